// The system under test of the conformance properties: two in-memory ike::Endpoints
// (tests/support/peer_pair) whose every step is judged by the reference model
// (conformance/reference) and by the invariants of RFC 7296 §2.1, §2.2, §2.8, §2.15, §2.21.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "conformance/reference/reference_model.hpp"
#include "tests/support/peer_pair.hpp"

namespace ike::properties {

/// What the wire and the API did to a run, and what it reached (for classification).
struct Run_stats {
    int lost = 0, duplicated = 0, reordered = 0, corrupted = 0, forged_AUTH = 0;
    int timers_fired = 0, steps = 0;
    bool established = false;  ///< both sides emitted IKE_SA_established
    bool collision = false;    ///< a simultaneous rekey or an exchange collision (§2.8, §2.25)
    bool failed = false;       ///< an IKE SA failed or was deleted after a timeout
};

enum class Who { A, B, both };

class World {
public:
    World(std::uint64_t seed_a, std::uint64_t seed_b);

    // ---- the commands --------------------------------------------------------------------
    void initiate();
    void deliver();                       ///< the datagram at the head of the wire
    void drop();
    void duplicate();
    void reorder(std::size_t k);          ///< moves the head datagram k places back
    void advance(std::chrono::milliseconds d);
    void rekey_IKE_SA(Who w);
    void rekey_CHILD_SA(Who w);
    void delete_IKE_SA(Who w);
    void delete_CHILD_SA(Who w);
    void corrupt_head();                  ///< flips one octet of the head datagram (§2.21)
    /// Replaces the first IKE_AUTH message on the wire by one with a wrong AUTH value, protected
    /// with the right keys (an attacker holding SK_e/SK_a but not the PSK, §2.15).
    void forge_AUTH();
    /// Delivers everything and fires every timer until quiet (bounded).
    void finish();

    // ---- verdicts --------------------------------------------------------------------------
    /// Every disagreement with the reference model, and every invariant broken, by property.
    std::vector<std::string> reference_diffs, message_id_errors, retransmission_errors, key_after_delete_errors,
        auth_errors, timer_errors;
    /// After finish(): both sides hold the same IKE SAs and mirrored CHILD SAs (empty: yes).
    std::string same_SAs_after_finish() const;
    /// After finish(): no armed timer left, no SA stuck waiting, reference and Endpoint agree
    /// on the number of IKE SAs.
    std::string quiescent_after_finish() const;

    Run_stats stats;
    std::string transcript() const;
    test::Peer_pair pair;

private:
    struct Side_state {
        reference::Peer ref{reference::Settings{3}};
        std::map<std::pair<Spi, Spi>, std::uint32_t> next_request_mid;  ///< per IKE SA
        std::map<std::pair<Spi, Spi>, std::set<std::uint32_t>> answered;  ///< fresh responses per IKE SA
        std::set<std::pair<Spi, Spi>> deleted;  ///< IKE SAs this side deleted
        std::set<std::uint32_t> removed_child_spis;
        std::set<Timer_id> armed, cancelled, fired;
    };
    void feed(bool to_a, Input in, reference::Stimulus st);
    reference::Message_view view(const Bytes& bytes) const;
    std::vector<std::string> kinds_of_message(const Message& m) const;
    void note(std::vector<std::string>& where, const std::string& what);
    void fire_due(Time until);

    Side_state sa_, sb_;
    std::map<std::pair<Spi, Spi>, Keys_derived> keys_;
    std::set<Bytes> corrupted_, forged_;
    std::set<std::pair<Spi, Spi>> forged_SAs_;
    std::vector<std::string> log_;
};

}  // namespace ike::properties
