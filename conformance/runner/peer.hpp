// The scripted peer (CONFORMANCE-CATALOGUE.md §3): an IKEv2 peer driven step by step by a case.
// It builds F-INIT and F-AUTH (or answers the NUT's own requests when the NUT initiates), keeps
// every key (RFC 7296 §2.14, §2.15, §2.17) so it can protect any crafted message and read every
// protected answer, sends and waits with bounded deadlines, and never trusts what comes back.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "conformance/runner/profile.hpp"
#include "conformance/runner/transport.hpp"
#include "ike/crypto_provider.hpp"
#include "ike/message.hpp"
#include "src/core/sk_payload.hpp"
#include "src/crypto/keymat.hpp"

namespace ike::conform {

/// A CHILD SA as the runner knows it: SPIs of both directions (4 octets) and the selectors.
struct Child_sa {
    std::uint32_t spi_runner = 0;  ///< the runner's inbound SPI (s_r1 ...)
    std::uint32_t spi_nut = 0;     ///< the NUT's inbound SPI (s_n1 ...)
    std::vector<Traffic_selector> tsi, tsr;
};

/// One IKE SA between the runner and the NUT (RFC 7296 §2.14 key material, §2.2 Message IDs).
struct Ike_sa {
    Spi SPIi = 0, SPIr = 0;
    bool runner_is_original_initiator = true;
    std::uint16_t nut_port = 500;  ///< where requests go; nut_nat_t: with the non-ESP marker
    bool nut_nat_t = false;
    std::uint16_t source_port = 0;  ///< non-zero: the runner sends from this port (§2.11)
    Proposal proposal;             ///< the chosen IKE proposal
    std::unique_ptr<Prf> prf;
    std::unique_ptr<Cipher> cipher;
    std::unique_ptr<Integrity> integ;  ///< nullptr for AEAD
    crypto::Ike_sa_keys keys;
    std::unique_ptr<Key_exchange> ke;  ///< our D-H private value, while IKE_SA_INIT is pending
    Bytes Ni, Nr;
    Bytes msg1, msg2;  ///< the IKE_SA_INIT request and response as sent / received (§2.15)
    std::uint32_t next_mid = 0;      ///< the runner's next request Message ID
    std::uint32_t nut_next_mid = 0;  ///< the Message ID the runner expects from the NUT
    bool keys_ready = false;
    bool established = false;
    std::vector<Child_sa> children;

    /// Keys of the runner's sending direction (SK_ei/SK_ai when it is the original initiator).
    core::Sk_keys send_keys() const;
    core::Sk_keys recv_keys() const;
    std::uint8_t request_flags() const;  ///< I when the runner is the original initiator
};

/// A datagram from the NUT, decoded as far as it goes.
struct Answer {
    Datagram d;
    std::optional<Message> outer;  ///< nullopt: does not decode (problem says why)
    std::optional<Message> inner;  ///< the decrypted chain when SK was present and keys known
    std::string problem;

    const Message* message() const { return inner ? &*inner : (outer ? &*outer : nullptr); }
    bool is_protected() const { return inner.has_value(); }
    bool has_notify(Notify_type t) const;
    const Payload_N* notify(Notify_type t) const;
    const Payload* find(Payload_type t) const;
    /// Payload types of the (inner) chain, in order.
    std::vector<Payload_type> types() const;
    /// STYLE.md notation: `IKE_SA_INIT response #0 { SA, KE, Nr, N(NAT_DETECTION_SOURCE_IP) }`,
    /// or `garbage (N octets: reason)`.
    std::string describe() const;
};

/// How to build F-INIT (catalogue §3); defaults give exactly F-INIT.
struct Init_spec {
    std::vector<Proposal> proposals;          ///< empty: the profile's first IKE proposal
    std::optional<std::uint16_t> ke_group;    ///< default: the first KE of the first proposal
    std::optional<Bytes> ke_data;             ///< replaces the public value
    std::size_t nonce_size = 32;
    std::optional<Bytes> nonce;
    bool nat_detection = true;
    Bytes cookie;                             ///< non-empty: N(COOKIE) first (§2.6)
    std::vector<Payload> after_nonce;         ///< inserted between Ni and the NAT-D notifies
    std::vector<Payload> first;               ///< inserted before everything (after a COOKIE)
    /// Retry (§2.6, §1.2): keep the SA's Ni and D-H value when the group is unchanged.
    bool keep_ke_and_nonce = false;
};

/// How to build F-AUTH's inner chain (catalogue §3).
struct Auth_spec {
    std::optional<std::string> psk;            ///< default: the profile's
    std::optional<Identity> id;                ///< default: the profile's runner identity
    bool send_idr = false;                     ///< add IDr = the NUT's identity
    std::vector<Proposal> esp;                 ///< default: the profile's ESP proposals
    std::vector<Traffic_selector> tsi, tsr;    ///< default: runner_ts / target_ts
    std::vector<Payload> extra_first;          ///< before IDi (e.g. U(100) as first payload)
    std::vector<Payload> extra_last;           ///< after TSr
    std::array<std::uint8_t, 3> id_reserved{};  ///< IDi RESERVED octets (AUTH covers them)
    /// Builds AUTH over these octets instead of the correct InitiatorSignedOctets.
    std::function<Bytes(const Ike_sa&, Octets id_body)> signed_octets_override;
    bool omit_auth = false;
};

/// Options of one protected message (§3.14).
struct Seal_options {
    std::uint8_t version = 0x20;
    std::optional<std::uint8_t> flags;            ///< default: request/response flags of the SA
    std::size_t extra_pad_blocks = 0;             ///< Pad Length this many blocks above minimum
    bool random_padding = false;
    std::optional<Bytes> iv;                      ///< default: random
    bool corrupt_icv = false;                     ///< flip the last octet
    std::vector<Payload> outer_before_sk;         ///< unencrypted payloads before SK
    std::function<void(Bytes&)> edit_plaintext;   ///< edits the encoded inner chain
};

class Peer {
public:
    Peer(const Profile& profile, Udp_transport& transport, Crypto_provider& crypto);

    const Profile& profile() const { return profile_; }
    Crypto_provider& crypto() { return crypto_; }
    Udp_transport& transport() { return transport_; }
    std::chrono::milliseconds W() const { return profile_.silence_window; }

    /// A new IKE SA with a random non-zero SPIi, owned by the peer until `reset`.
    Ike_sa& new_sa();
    /// Forgets every SA and the inbox (between cases).
    void reset();

    // ---- runner as original initiator --------------------------------------------------
    /// F-INIT per `spec`; stores Ni and the D-H private value in `sa`.
    Message init_request(Ike_sa& sa, const Init_spec& spec = {});
    /// Encodes, remembers the octets as msg1 (AUTH covers them) and sends to the NUT.
    Bytes send_init(Ike_sa& sa, const Message& m, std::uint16_t port = 0);
    /// Sends `bytes` (msg1 := bytes) without encoding: for byte-edited requests.
    void send_init_bytes(Ike_sa& sa, const Bytes& bytes, std::uint16_t port = 0);
    /// Takes the IKE_SA_INIT response: SPIr, chosen proposal, KEr, Nr, then SKEYSEED and SK_*.
    /// Returns "" or why the response cannot be used.
    std::string complete_init(Ike_sa& sa, const Answer& a);
    /// F-AUTH's inner chain: [IDr], IDi, AUTH, SAi2, TSi, TSr (§1.2).
    std::vector<Payload> auth_payloads(Ike_sa& sa, const Auth_spec& spec = {});
    /// AUTH payload data for `sa` (§2.15) over the given signed octets.
    Bytes psk_auth(const Ike_sa& sa, const std::string& psk, Octets signed_octets) const;
    /// Reads an IKE_AUTH response: verifies the NUT's AUTH, records the CHILD SA; "" or reason.
    std::string complete_auth(Ike_sa& sa, const Answer& a, const Auth_spec& spec = {});
    /// F-INIT + F-AUTH. nullptr and `*why` when the NUT did not complete them. Handles a
    /// COOKIE answer (§2.6) by retrying once.
    Ike_sa* establish(std::string* why, const Init_spec& init = {}, const Auth_spec& auth = {});

    /// Rekeys `old` (the runner requests, §1.3.2): KEi of `group` (0: the SA's group), the SA
    /// proposal offering `offered_groups` (default: group). The new SA (keys per §2.18, MIDs from
    /// 0, CHILD SAs moved) or nullptr with `*why`; `*answer` receives the response.
    Ike_sa* rekey_ike(Ike_sa& old, std::string* why, std::uint16_t group = 0, std::optional<Answer>* answer = nullptr,
                      std::vector<std::uint16_t> offered_groups = {});

    // ---- protected messages ---------------------------------------------------------------
    /// Header + SK{inner} under the SA's sending keys (§3.14), with `opt`'s deviations.
    Bytes seal(const Ike_sa& sa, Exchange_type exch, std::uint32_t mid, bool response,
               const std::vector<Payload>& inner, const Seal_options& opt = {});
    /// Sends a protected request with the SA's next Message ID (then increments it) and waits
    /// for the response (resent at W/2). nullopt on silence.
    std::optional<Answer> request(Ike_sa& sa, Exchange_type exch, const std::vector<Payload>& inner,
                                  const Seal_options& opt = {});
    /// The same with an explicit Message ID (the SA's counter is not touched).
    std::optional<Answer> request_mid(Ike_sa& sa, Exchange_type exch, std::uint32_t mid,
                                      const std::vector<Payload>& inner, const Seal_options& opt = {});

    // ---- sending and waiting ----------------------------------------------------------------
    void send_raw(const Bytes& ike, std::uint16_t port = 0, bool nat_t = false, bool no_marker = false);
    /// Sends `bytes`, waits up to W for a response with `sa.SPIi`, Message ID `mid` and the R
    /// flag, resending `bytes` once at W/2 (catalogue §4). nullopt = silence.
    std::optional<Answer> send_and_wait(Ike_sa& sa, const Bytes& bytes, std::uint32_t mid,
                                        std::uint16_t port = 0, bool nat_t = false);
    /// Waits until `pred` accepts a datagram (removed from the inbox) or `timeout` passes.
    /// NUT requests on known SAs that no one waits for are answered as a plain peer would
    /// (INFORMATIONAL: empty response; others: NO_ADDITIONAL_SAS) while `auto_answer` is on.
    std::optional<Answer> wait_for(const std::function<bool(const Answer&)>& pred,
                                   std::chrono::milliseconds timeout);
    /// Any datagram attributable to SPIi `spi` (or, with spi 0, any datagram at all).
    std::vector<Answer> collect(Spi spi, std::chrono::milliseconds window);
    /// Decodes a datagram, decrypting with the SA it belongs to when keys are known.
    Answer decode(const Datagram& d);
    bool auto_answer = true;

    // ---- probes (catalogue §3) -----------------------------------------------------------
    /// P-LIVE(n): INFORMATIONAL SK{} with MID n (default: the SA's next MID), answered by SK{}
    /// with MID n. Increments next_mid when answered and n was the next MID.
    bool probe_live(Ike_sa& sa, std::optional<std::uint32_t> mid = std::nullopt);
    /// P-FRESH: a new F-INIT gets an IKE_SA_INIT response (any).
    bool probe_fresh();
    /// P-CHILD(spi): SK{D(ESP,[spi])}; returns the NUT's Delete SPIs in the response (nullopt
    /// when unanswered).
    std::optional<std::vector<std::uint32_t>> probe_child(Ike_sa& sa, std::uint32_t spi_runner);

    // ---- CHILD SAs -------------------------------------------------------------------------
    /// CREATE_CHILD_SA inner chain for a new (or, with rekey_spi, rekeyed) CHILD SA:
    /// [N(REKEY_SA)], SA(ESP), Ni, [KEi], TSi, TSr (§1.3.1, §1.3.3). Stores Ni and the new SPI
    /// in `pending`.
    std::vector<Payload> child_request(Ike_sa& sa, Child_sa& pending, std::optional<std::uint32_t> rekey_spi = {},
                                       std::uint16_t pfs_group = 0);
    /// Reads a CREATE_CHILD_SA response for `pending`; "" or reason.
    std::string complete_child(Ike_sa& sa, Child_sa& pending, const Answer& a);
    /// CREATE_CHILD_SA for a new CHILD SA with the profile's proposal; the new SA or nullptr.
    Child_sa* create_child(Ike_sa& sa, std::string* why);
    /// Answers the NUT's CREATE_CHILD_SA request `req` for a CHILD SA (new, or a rekey with
    /// REKEY_SA) normally (RFC 7296 §1.3.1, §1.3.3): its first proposal with the runner's SPI,
    /// Nr (32 octets), KEr when that proposal has a D-H group, TSi/TSr as asked; the new CHILD SA
    /// joins sa.children (a rekeyed one stays until its Delete). Returns "" or why it cannot
    /// (then nothing is sent).
    std::string answer_child(Ike_sa& sa, const Answer& req);

    // ---- runner as responder (the NUT initiates) ----------------------------------------------
    /// Waits for the NUT's IKE_SA_INIT request (any SPIi) up to `timeout`.
    std::optional<Answer> await_nut_init(std::chrono::milliseconds timeout);
    /// Builds the runner's IKE_SA_INIT response to `req` (the first offered proposal we support,
    /// KEr in the KEi group, Nr, NAT-D) and the SA state; nullptr when the offer is unusable.
    Ike_sa* accept_nut_init(const Answer& req, Message* response, std::string* why);
    /// Encodes and sends a response for `sa` (msg2 := bytes for IKE_SA_INIT when `record`).
    Bytes send_response(Ike_sa& sa, const Message& m, bool record_msg2, const Answer& to);
    /// Derives keys once msg2 is known (runner as responder).
    std::string derive_as_responder(Ike_sa& sa, const Message& req);
    /// Verifies the NUT's IKE_AUTH request and builds the runner's response inner chain.
    std::string answer_nut_auth(Ike_sa& sa, const Answer& req, std::vector<Payload>* inner);
    /// Sends a protected response to `req` for `sa`.
    void respond(Ike_sa& sa, const Answer& req, const std::vector<Payload>& inner, const Seal_options& opt = {});
    /// Triggered initiation completed with a plain runner: the SA or nullptr.
    Ike_sa* accept_nut_initiation(std::string* why, std::chrono::milliseconds timeout);

    /// SPIi of every IKE SA the NUT initiated and the runner took (never reset: a late
    /// retransmission from an earlier case is not mistaken for a new initiation).
    std::set<Spi> nut_initiations;
    /// Every datagram that was attributable during the current case (for the report).
    std::vector<std::string> trace;
    /// CHK-hdr violations seen in the current case (catalogue §2, RFC 7296 §3.1, §3.2).
    std::vector<std::string> header_violations;

private:
    void note(const std::string& dir, const std::string& what);
    Ike_sa* sa_for(Spi SPIi, Spi SPIr);
    void answer_request(Ike_sa& sa, const Answer& a);
    void check_header(const Answer& a);

    const Profile& profile_;
    Udp_transport& transport_;
    Crypto_provider& crypto_;
    std::vector<std::unique_ptr<Ike_sa>> sas_;
    Clock::time_point started_ = Clock::now();
};

// ---- helpers used by cases -------------------------------------------------------------------

/// A payload of `type` with `critical` set and body `body` (kept as unknown).
Payload unknown_payload(std::uint8_t type, bool critical, std::size_t body_size = 10);
Payload notify(Notify_type type, Bytes data = {});
Payload notify_raw(std::uint16_t type, Bytes data = {});
Payload delete_esp(const std::vector<std::uint32_t>& spis);
Payload delete_ike();
Payload sa_payload(std::vector<Proposal> proposals);
Payload ts_payload(Payload_type type, std::vector<Traffic_selector> ts);
Bytes spi4(std::uint32_t spi);
std::uint32_t spi_value(const Bytes& spi);
/// Offsets of the generic payload headers of the chain that starts at `start` in `bytes`
/// with first type `first`; stops at Next Payload 0, SK, or anything out of bounds.
std::vector<std::pair<std::size_t, std::uint8_t>> chain_offsets(const Bytes& bytes, std::size_t start,
                                                                std::uint8_t first);
/// The IKE_SA_INIT default proposal of the catalogue's other suites (keywords).
Proposal proposal(const std::string& keyword, Protocol_id protocol = Protocol_id::IKE, std::uint8_t number = 1);
/// Traffic selector from swanctl text ("10.1.0.0/24").
Traffic_selector ts(const std::string& text);
/// Do `inner` and `outer` selectors satisfy inner ⊆ outer (each inner one inside some outer)?
bool ts_within(const std::vector<Traffic_selector>& inner, const std::vector<Traffic_selector>& outer);

}  // namespace ike::conform
