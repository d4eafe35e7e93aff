// The conformance oracle: a deliberately plain model of one IKEv2 peer written from RFC 7296
// (§1.2–§1.4, §2.1–§2.3, §2.8, §2.18, §2.21, §2.25), with an explicit enum state per IKE SA
// and per exchange role and simple switch code. It is independent of model/ (never linked)
// and is used only to judge an ike::Endpoint: given what the Endpoint receives and the API
// inputs it gets, it predicts what the Endpoint must emit and reports every difference.
//
// What is compared (the "observable step"): for every datagram sent, exchange type, request or
// response, Message ID and payload kinds (inner kinds for SK messages, from the sender's
// Message_trace notation), retransmissions and cached responses byte for byte, silent drops,
// and the SA events IKE_SA_established / IKE_SA_rekeyed / IKE_SA_deleted / IKE_SA_failed.
// Where the RFC leaves a choice the reference cannot see (which nonce is lowest, §2.8), it
// accepts every allowed outcome and follows the one observed.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ike/message.hpp"
#include "ike/types.hpp"

namespace ike::reference {

/// One IKE message as the oracle sees it: the header fields from the codec and the payload
/// kinds (inside SK, the decrypted inner chain) as STYLE.md names them: "SA", "KE", "Ni",
/// "N(COOKIE)", "D", "AUTH", ...
struct Message_view {
    Spi SPIi = 0, SPIr = 0;
    Exchange_type exchange = Exchange_type::IKE_SA_INIT;
    bool response = false;
    bool from_original_initiator = false;
    std::uint32_t message_id = 0;
    std::vector<std::string> kinds;
    Bytes bytes;  ///< the whole IKE message (no non-ESP marker)
    bool has(const std::string& kind) const;
};

/// Decodes the header of `datagram` with the codec and the kinds from `notation` (the
/// Message_trace text, e.g. "IKE_AUTH request #1 { SK { IDi, AUTH } }"; empty: kinds unknown).
/// nullopt when the datagram is not an IKE message.
std::optional<Message_view> view_of(const Bytes& datagram, const std::string& notation);

/// Splits a STYLE.md notation into payload kinds (the inner chain when it has SK { ... }).
std::vector<std::string> kinds_of(const std::string& notation);

/// A message the Endpoint emitted in one step. `fresh`: traced as a new message (a resend of a
/// request or of a cached response is not traced).
struct Observed_send {
    Message_view m;
    bool fresh = true;
    std::optional<std::uint64_t> timer;  ///< the Arm_timer right after it (a request's retransmission timer)
};
struct Observed_event {
    enum class Kind { established, rekeyed, deleted, failed, child_installed, child_deleted, other } kind = Kind::other;
    Spi SPIi = 0, SPIr = 0;
};
/// Everything the Endpoint emitted for one input.
struct Observed {
    std::vector<Observed_send> sends;
    std::vector<Observed_event> events;
    std::vector<std::uint64_t> armed;      ///< Arm_timer ids, in order
    std::vector<std::uint64_t> cancelled;  ///< Cancel_timer ids
};

/// The input the Endpoint got.
struct Stimulus {
    enum class Kind { initiate, rekey_IKE_SA, rekey_CHILD_SA, delete_IKE_SA, delete_CHILD_SA, timer, datagram };
    Kind kind = Kind::initiate;
    std::uint64_t timer = 0;   ///< timer: its id
    Message_view msg;          ///< datagram: header + the kinds its sender traced
    /// datagram: it is what the peer sent, unmodified. A forged or corrupted message fails its
    /// integrity check (§2.21) or its AUTH (§2.15) and must change nothing.
    bool authentic = true;
    /// datagram: integrity-valid but with a wrong AUTH value (an attacker holding SK_a/SK_e).
    bool bad_AUTH = false;
};

/// Retransmission settings of the judged Endpoint (Config::retransmit), §2.1.
struct Settings {
    unsigned tries = 3;
};

/// The plain model of one peer: every IKE SA it holds and what each waits for.
class Peer {
public:
    explicit Peer(Settings s) : settings_(s) {}

    /// Judges one step: predicts from the state and `in`, compares with `out`, then moves the
    /// state on (following the observed choice where the RFC allows several). Returns one line
    /// per disagreement ("expected ... got ..."), empty when the Endpoint agreed.
    std::vector<std::string> step(const Stimulus& in, const Observed& out);

    /// Counters of what the model saw (for classification).
    int collisions() const { return collisions_; }
    int established_count() const { return established_; }
    /// Number of IKE SAs the model holds that are not gone.
    std::size_t live_IKE_SAs() const;

    enum class Sa_state {
        awaiting_IKE_SA_INIT_response,  ///< original initiator, §1.2
        awaiting_IKE_AUTH_request,      ///< original responder after IKE_SA_INIT, §1.2
        awaiting_IKE_AUTH_response,     ///< original initiator, §1.2
        established,
        rekeying,                       ///< our IKE SA rekey in flight, §1.3.2
        rekeyed,                        ///< replaced by a rekey; waits for the peer's Delete, §2.18
        deleting,                       ///< our Delete in flight, §1.4.1
        gone
    };
    /// What we asked in the request in flight (requester role, §2.2).
    enum class Request {
        none, IKE_SA_INIT, IKE_AUTH, create_CHILD_SA, rekey_CHILD_SA, rekey_IKE_SA, delete_CHILD_SA,
        delete_IKE_SA, liveness
    };

private:
    struct Sa {
        bool original_initiator = false;
        Spi SPIi = 0, SPIr = 0;
        Sa_state state = Sa_state::gone;
        // requester role (§2.1, §2.2)
        std::uint32_t next_request_mid = 0;
        Request outstanding = Request::none;
        std::uint32_t outstanding_mid = 0;
        Bytes outstanding_bytes;
        unsigned retransmits = 0;
        std::optional<std::uint64_t> timer;
        std::deque<Request> queue;  ///< API requests waiting for the window (§2.3)
        // responder role (§2.1, §2.2)
        std::uint32_t expected_request_mid = 0;
        std::optional<std::uint32_t> last_response_mid;
        Bytes last_request_bytes, last_response_bytes;
        // CHILD SAs, counted
        int children = 0;
        bool rekey_collision = false;  ///< answered the peer's rekey while ours was in flight (§2.8)
        bool redundant = false;        ///< a new IKE SA of a collision the peer may delete (§2.8.2)
        bool old_child_maybe_gone = false;  ///< the peer deleted a CHILD SA while our rekey was in flight
        /// CHILD SA rekeys of the peer we answered whose Delete of the old SA has not come yet: a
        /// CHILD SA rekeyed by the peer is not rekeyed again (§2.8), so a rekey request of ours may
        /// find nothing to rekey (the SPIs are not visible here).
        int peer_rekeys_pending = 0;
    };

    struct Expect {
        Exchange_type exchange = Exchange_type::IKE_SA_INIT;
        bool response = false;
        std::optional<std::uint32_t> mid;  ///< nullopt: any (e.g. a new SA's first request)
        std::vector<std::vector<std::string>> alternatives;  ///< each: kinds required (empty: any)
        std::optional<Bytes> identical;    ///< a resend: these octets
        Spi SPIi = 0, SPIr = 0;            ///< 0: learn from the observation
        bool optional = false;
        Request req = Request::none;       ///< the request this expectation starts (pump)
        bool on_new_SA = false;            ///< sent on the new IKE SA of this step (SPIs learnt)
        std::string why;
    };

    Sa* find(Spi SPIi, Spi SPIr);
    Sa* find_for(const Message_view& m);
    Sa* api_target();
    std::vector<std::string> judge(const std::vector<Expect>& expected, const Observed& out,
                                   std::vector<const Observed_send*>* matched);
    static bool kinds_match(const std::vector<std::string>& required, const Message_view& m);
    static std::string show(const Expect& e);
    static std::string show(const Message_view& m);

    /// Starts the next queued API request of `sa` if the window is free; returns what is expected.
    void pump(Sa& sa, std::vector<Expect>& expect);
    Expect request_of(Sa& sa, Request r);
    bool resync(const Observed_send& s);
    /// Adds the IKE SAs born from a rekey in this step (their rekeyed events). `judged_requests`:
    /// their requests are predicted (queued requests that moved there) rather than learnt.
    void learn_new_SAs(const Stimulus& in, const Observed& out, bool judged_requests);
    /// What request `m` (one of ours) is, from its payload kinds.
    static Request request_in(const Message_view& m);

    Settings settings_;
    std::vector<Sa> sas_;
    struct Pending_optional {
        Sa* sa = nullptr;
        Request r = Request::none;
    };
    Pending_optional pending_optional_;  ///< a CHILD request that may or may not go out this step
    int inherited_children_ = -1;
    int inherited_rekeys_pending_ = 0;   ///< with inherited_children_
    bool lenient_requests_ = false;      ///< after an IKE SA rekey collision: see resync()        ///< CHILD SAs a new IKE SA of this step takes over (-1: unknown)
    int collisions_ = 0;
    int established_ = 0;
};

}  // namespace ike::reference
