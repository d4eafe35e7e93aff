// The sans-I/O IKEv2 engine (ARCHITECTURE.md): Outputs handle(Input). No sockets, clocks,
// threads or randomness inside; time is an input value and randomness comes from the injected
// Crypto_provider. RFC 7296 §1–§2.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "ike/config.hpp"
#include "ike/crypto_provider.hpp"
#include "ike/message.hpp"

namespace ike {

/// Milliseconds since an arbitrary epoch chosen by the caller (monotonic).
using Time = std::chrono::milliseconds;
using Timer_id = std::uint64_t;

// ---- inputs -------------------------------------------------------------------------------

/// A UDP payload received on `local` from `remote`. On `Config::nat_t_port` it still carries
/// the 4-octet non-ESP marker (RFC 3948 §2.2); the Endpoint strips it.
struct Datagram_received {
    Address local;
    Address remote;
    Bytes bytes;
    Time now{};
};
struct Timer_expired {
    Timer_id id = 0;
    Time now{};
};
/// Start an IKE SA for `connection` and CHILD SA `child` inside IKE_AUTH (RFC 7296 §1.2).
struct Initiate {
    std::string connection;
    std::string child;  ///< empty: the connection's first child
    Time now{};
};
/// Delete the IKE SAs of `connection` (and with them their CHILD SAs), RFC 7296 §1.4.1.
struct Terminate {
    std::string connection;
    Time now{};
};
/// Create another CHILD SA `child` of `connection` on its established IKE SA (RFC 7296 §1.3.1).
struct Create_CHILD_SA {
    std::string connection;
    std::string child;
    Time now{};
};
/// Rekey the CHILD SA whose inbound SPI is `spi_in` (0: the first one the peer has not just
/// rekeyed), §1.3.3. A CHILD SA the peer has rekeyed (its Delete still to come) is not rekeyed
/// again: Diagnostic 7296-2.8-already-rekeyed (§2.8).
struct Rekey_CHILD_SA {
    std::string connection;
    std::uint32_t spi_in = 0;
    Time now{};
};
/// Rekey the established IKE SA of `connection`, §1.3.2.
struct Rekey_IKE_SA {
    std::string connection;
    Time now{};
};
/// Reauthenticate the established IKE SA of `connection`, make-before-break (RFC 7296 §2.8.3):
/// a new IKE SA with new IKE_SA_INIT and IKE_AUTH exchanges, the CHILD SAs created again on
/// it, then the old IKE SA deleted.
struct Reauthenticate {
    std::string connection;
    Time now{};
};
/// Delete the CHILD SA whose inbound SPI is `spi_in` (0: the first one), §1.4.1.
struct Delete_CHILD_SA {
    std::string connection;
    std::uint32_t spi_in = 0;
    Time now{};
};
using Input = std::variant<Datagram_received, Timer_expired, Initiate, Terminate, Create_CHILD_SA,
                           Rekey_CHILD_SA, Rekey_IKE_SA, Delete_CHILD_SA, Reauthenticate>;

// ---- outputs ------------------------------------------------------------------------------

/// Send `bytes` as a UDP payload from `local` to `remote` (already with the non-ESP marker
/// when sent from the NAT-T port).
struct Send_datagram {
    Address local;
    Address remote;
    Bytes bytes;
};
struct Arm_timer {
    Timer_id id = 0;
    Time at{};
};
struct Cancel_timer {
    Timer_id id = 0;
};

/// A negotiated CHILD SA (RFC 7296 §2.17) for the SA backend. Keys: `*_in` protect traffic the
/// peer sends to us; the encryption key includes the salt for AEAD (RFC 4106 §8.1).
struct Child_sa {
    std::string connection;
    std::string child;
    Spi SPIi = 0, SPIr = 0;          ///< the IKE SA it belongs to
    std::uint32_t spi_in = 0;        ///< SPI we chose (peer sends with it)
    std::uint32_t spi_out = 0;       ///< SPI the peer chose
    Proposal proposal;               ///< the selected ESP proposal
    Secret encr_key_in, integ_key_in, encr_key_out, integ_key_out;
    std::vector<Traffic_selector> local_ts, remote_ts;
    Ipsec_mode mode = Ipsec_mode::tunnel;
    bool udp_encapsulation = false;  ///< RFC 3948, when a NAT was detected
    Address local, remote;
};
struct Install_child_sa {
    Child_sa sa;
};
/// Remove the inbound SA `spi_in` and the outbound SA `spi_out` of a CHILD SA pair. One of them
/// is 0 (a reserved SPI, RFC 4303 §2.1) when only the other direction goes: on a Delete crossing
/// ours, the outbound SA goes while the peer's request is processed and the inbound one when our
/// response arrives (RFC 7296 §1.4.1).
struct Remove_child_sa {
    std::string connection;
    std::uint32_t spi_in = 0, spi_out = 0;
};

enum class Sa_event_kind {
    IKE_SA_established,
    CHILD_SA_installed,
    IKE_SA_deleted,
    IKE_SA_failed,
    IKE_SA_rekeyed,      ///< this IKE SA replaced an older one (§1.3.2); SPIi/SPIr are the new ones
    CHILD_SA_deleted,
    CHILD_SA_failed,     ///< a CREATE_CHILD_SA exchange was refused or failed (§2.21.3)
};
struct Sa_event {
    Sa_event_kind kind = Sa_event_kind::IKE_SA_established;
    std::string connection;
    Spi SPIi = 0, SPIr = 0;
    std::string detail;
};

/// Keys of an IKE SA, emitted as soon as IKE_SA_INIT (or the rekey, §2.18) derived them, and
/// only when `Config::log_keys` is set (Wireshark's ikev2_decryption_table, tests that compare
/// with charon, captures of failed IKE_AUTH exchanges).
struct Keys_derived {
    Spi SPIi = 0, SPIr = 0;
    Proposal proposal;
    Secret SK_d, SK_ei, SK_er, SK_ai, SK_ar, SK_pi, SK_pr;
};

/// One IKE message sent or received, in STYLE.md notation (after decryption when possible).
struct Message_trace {
    bool sent = false;
    Address local, remote;
    std::string notation;
};

enum class Severity { debug, info, warning, error };
/// Why something was refused or happened: `rule` is a requirement id or a rule name
/// (`7296-2.21-no-unprotected-answer`, `codec:payload-length`), `text` the explanation.
struct Diagnostic {
    Severity severity = Severity::info;
    std::string rule;
    std::string text;
};

using Output = std::variant<Send_datagram, Arm_timer, Cancel_timer, Install_child_sa,
                            Remove_child_sa, Sa_event, Keys_derived, Message_trace, Diagnostic>;
using Outputs = std::vector<Output>;

/// What `ikeref list` shows of one IKE SA.
struct Ike_sa_info {
    std::string connection;
    std::string state;  ///< the MSM state name, e.g. "Established"
    bool original_initiator = false;
    Spi SPIi = 0, SPIr = 0;
    Address local, remote;
    std::string proposal;  ///< strongSwan keyword of the selected IKE proposal
    struct Child {
        std::string name;
        std::uint32_t spi_in = 0, spi_out = 0;
        std::string proposal;
        std::vector<Traffic_selector> local_ts, remote_ts;
    };
    std::vector<Child> children;
    /// RFC 7296 §2.19: virtual IPs assigned to us (initiator) or by us to the peer (responder),
    /// and the DNS servers the responder named; 4 or 16 octets each.
    std::vector<Bytes> virtual_ips, dns;
};

/// Why this Endpoint refused a peer's proposals, traffic selectors or identity: the structured
/// reason behind a NO_PROPOSAL_CHOSEN (RFC 7296 §2.7, §3.3.6), TS_UNACCEPTABLE (§2.9),
/// AUTHENTICATION_FAILED (§2.15) or INVALID_KE_PAYLOAD (§1.2) it sent. `ikeref list --json`
/// shows the most recent ones (Endpoint::refusals).
struct Refusal {
    Time at{0};                 ///< the Endpoint's clock when the refusal was sent
    std::string connection;
    Spi SPIi = 0, SPIr = 0;
    Address remote;
    Exchange_type exchange = Exchange_type::IKE_SA_INIT;
    Notify_type notify = Notify_type::NO_PROPOSAL_CHOSEN;  ///< the notify sent
    std::string rule;  ///< requirement id, as in the Diagnostic
    std::string text;  ///< one line, as in the Diagnostic
    /// §3.3.6: one received proposal compared with one configured proposal, and what failed.
    struct Proposal_mismatch {
        std::uint8_t number = 0;          ///< received Proposal Num
        Protocol_id protocol = Protocol_id::IKE;
        std::size_t configured = 0;       ///< configured proposal (1-based); 0 with `problem`
        std::string problem;              ///< the received proposal itself is unacceptable
        struct Type {
            std::string type;             ///< "ENCR", "PRF", "INTEG", "KE", "ESN"
            std::vector<std::string> offered, configured;  ///< IANA names, e.g. "ENCR_AES_GCM_16/256"
        };
        std::vector<Type> types;          ///< the transform types that had no match
    };
    std::vector<Proposal_mismatch> proposals;
    /// §2.9: the selectors received against one configured CHILD SA's, with no overlap.
    struct Selector_mismatch {
        std::string child;
        std::vector<Traffic_selector> TSi, TSr;            ///< as received
        std::vector<Traffic_selector> remote_ts, local_ts; ///< configured (TSi is narrowed against remote_ts)
        bool TSi_empty = false, TSr_empty = false;         ///< which side had no intersection
    };
    std::vector<Selector_mismatch> selectors;
};

class Endpoint;
namespace core::testing {
/// Tests only (src/core/testing.hpp).
std::size_t start_Message_IDs_at(Endpoint& e, std::uint32_t next_request, std::uint32_t expected_request);
}  // namespace core::testing

class Endpoint {
public:
    /// Throws std::invalid_argument for a config that cannot work (unknown proposal ids).
    Endpoint(Config config, std::unique_ptr<Crypto_provider> crypto);
    ~Endpoint();
    Endpoint(const Endpoint&) = delete;
    Endpoint& operator=(const Endpoint&) = delete;

    /// Runs to completion; never throws on peer input (bad input becomes Diagnostic outputs
    /// and the RFC 7296 §2.21 answer).
    Outputs handle(Input input);

    std::vector<Ike_sa_info> list() const;
    /// Number of IKE SAs in any state (the gate's half-open count is part of it).
    std::size_t ike_sa_count() const;
    std::size_t half_open_count() const;
    /// The most recent refusals this Endpoint sent (at most 32, oldest first).
    std::vector<Refusal> refusals() const;
    const Config& config() const;

private:
    friend std::size_t core::testing::start_Message_IDs_at(Endpoint&, std::uint32_t, std::uint32_t);
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ike
