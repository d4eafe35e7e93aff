// One IKE SA: its state data (SPIs, nonces, keys, Message IDs, the cached response) and the MSM
// machines that decide what happens to it. It implements model::Ike_sa_ops: the model chooses,
// this class carries out (build and send messages, derive keys, install CHILD SAs).
// RFC 7296 §1.2, §1.4.1, §2.1–§2.2, §2.14–§2.17, §2.23.
#pragma once

#include <deque>
#include <map>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ike/endpoint.hpp"
#include "model/context.hpp"
#include "model/machines.hpp"
#include "src/core/authentication.hpp"
#include "src/core/negotiation.hpp"
#include "src/crypto/keymat.hpp"

namespace ike::core {

/// What an IKE SA needs from the Endpoint that owns it.
class Core {
public:
    virtual ~Core() = default;
    virtual const Config& config() const = 0;
    virtual Crypto_provider& crypto() = 0;
    virtual Time now() const = 0;
    virtual void emit(Output o) = 0;
    /// Keeps the structured reason of a refusal we sent (Endpoint::refusals).
    virtual void record(Refusal r) = 0;
    virtual Timer_id arm_timer(Spi owner, Time at) = 0;
    virtual void cancel_timer(Timer_id id) = 0;
    /// A fresh, unused, non-zero IKE SPI (RFC 7296 §2.6: unpredictable).
    virtual Spi allocate_spi() = 0;
    /// Takes over the IKE SA born from a rekey of another (§2.18).
    virtual void adopt(std::unique_ptr<class Ike_sa> sa) = 0;
    /// The IKE SA with our SPI `spi`, or nullptr.
    virtual class Ike_sa* find(Spi spi) = 0;
    /// Whether another IKE SA (any state) joins the same two identities as `sa` (§2.4).
    virtual bool has_other_IKE_SA(const class Ike_sa& sa) const = 0;
    /// §2.4: `sa` was just authenticated and the peer asserted (INITIAL_CONTACT) or our
    /// `unique = replace` policy says it is the only IKE SA between the two identities: the
    /// others go, silently when the peer sent INITIAL_CONTACT (it has lost them), with a
    /// Delete exchange otherwise.
    virtual void remove_other_IKE_SAs(const class Ike_sa& sa, bool silently) = 0;
    /// §2.19: an address of `family_octets` (4 or 16) from the named pools for `identity`: the
    /// one it holds already, else `requested` when free and in a pool, else the first free one.
    /// nullopt when the pools of that family are exhausted (INTERNAL_ADDRESS_FAILURE).
    virtual std::optional<Bytes> lease(const std::vector<std::string>& pools, std::size_t family_octets,
                                       const Bytes& requested, const std::string& identity) = 0;
    /// Frees the addresses `identity` holds (its last IKE SA is gone).
    virtual void release_leases(const std::string& identity) = 0;
    /// §2.8.3: starts a new IKE SA that replaces `old` (make-before-break).
    virtual void reauthenticate(class Ike_sa& old) = 0;
    /// §2.8.2, §2.18: the IKE SA with our SPI `old_spi` handed its CHILD SAs to the one with our
    /// SPI `new_spi` (a rekey): an IKE SA whose CHILD SAs are to go to `old_spi` once its rekey
    /// collision resolves sends them to `new_spi` instead (Ike_sa::redirect_inheritance).
    virtual void IKE_SA_replaced(Spi old_spi, Spi new_spi) = 0;
};

/// A CHILD SA of this IKE SA (§2.17).
struct Child_state {
    const Child_config* config = nullptr;
    std::uint32_t spi_in = 0, spi_out = 0;
    Proposal proposal;
    std::vector<Traffic_selector> local_ts, remote_ts;
    Time rekey_at{0}, expire_at{0};  ///< soft and hard lifetime (0: none), RFC 7296 §2.8
    /// The peer rekeyed it (we answered its REKEY_SA); its Delete is still to come (§2.8). Not
    /// rekeyed again, as strongSwan does not rekey a CHILD SA in state REKEYED.
    bool rekeyed_by_peer = false;
    /// Its hard lifetime passed (§2.8): removed from the data plane at once, its state (and SPIs)
    /// kept until the Delete exchange completes (§1.4.1).
    bool expired = false;
};

class Ike_sa final : public model::Ike_sa_ops {
public:
    /// `our_spi` is SPIi for the original initiator, SPIr for the original responder.
    Ike_sa(Core& core, const Connection_config& conn, bool original_initiator, Spi our_spi,
           Address local, Address remote);
    ~Ike_sa() override;

    // ---- inputs from the Endpoint (already decoded; decrypted when protected) ------------
    void initiate(const std::string& child);
    void terminate();
    /// §2.4: the peer said (INITIAL_CONTACT) it has lost this IKE SA: removed without a Delete.
    void forget(const std::string& why);
    /// API requests on an established IKE SA; queued while the Message ID window (§2.3) is full
    /// or a request in flight conflicts (send_window, may_start). Return false when the target
    /// does not exist.
    bool request_CREATE_CHILD_SA(const std::string& child);
    bool request_rekey_CHILD_SA(std::uint32_t spi_in);
    bool request_rekey_IKE_SA();
    bool request_delete_CHILD_SA(std::uint32_t spi_in);
    /// §2.8.3: this new IKE SA replaces `old`: once established it creates the CHILD SAs of
    /// `children` not made in IKE_AUTH, then deletes `old`.
    void replace(Spi old, std::vector<const Child_config*> children);
    void continue_reauthentication();
    /// The configs of this SA's CHILD SAs, in order (for reauthentication).
    std::vector<const Child_config*> child_configs() const;
    bool established() const;
    /// Whether API requests may be queued here: established, or our rekey of it in flight (its
    /// requests wait and move to the new IKE SA, §1.3.2, as strongSwan's queued tasks do).
    bool accepts_requests() const;
    bool holds_CHILD_SA(std::uint32_t spi_in) const {
        for (const auto& c : children_)
            if (c.spi_in == spi_in) return true;
        return false;
    }
    /// Makes this (new) IKE SA the continuation of a rekeyed one (§2.18): established at once,
    /// Message IDs from 0, the old SA's CHILD SAs moved in.
    struct Rekeyed_state {
        Spi SPIi = 0, SPIr = 0;
        Proposal proposal;
        Bytes Ni, Nr;
        crypto::Ike_sa_keys keys;
        std::vector<Child_state> children;
        Address local, remote;
        bool nat = false;
        std::vector<Bytes> virtual_ips;  // §2.19: they stay with the IKE SA's successor
        Spi old_SPIi = 0, old_SPIr = 0;
        Spi old_our_spi = 0;  // our SPI of the IKE SA this one replaces
        std::uint32_t peer_window = 1;  // the window the peer had announced on the old IKE SA (§2.3)
    };
    void adopt_rekey(Rekeyed_state st);
    /// Removes the CHILD SA whose outbound SPI is `spi_out` (the peer deleted it, §1.4.1);
    /// returns its inbound SPI, 0 when there is none.
    std::uint32_t close_CHILD_SA(std::uint32_t spi_out);
    /// §2.8.2: the surviving new IKE SA of a rekey collision inherits the CHILD SAs.
    void inherit_children(std::vector<Child_state> children);
    /// §2.8.2: the new IKE SA `from` that may inherit this SA's CHILD SAs (a collision not yet
    /// resolved) was itself rekeyed into `to`: `to` inherits them instead.
    void redirect_inheritance(Spi from, Spi to) {
        if (collision_.active && collision_.new_IKE_spi == from) collision_.new_IKE_spi = to;
    }
    /// §2.8.2: this IKE SA is redundant and its creator (the peer) should delete it; if that
    /// has not happened `within` from now, delete it ourselves.
    void expect_delete_by_peer(Time within);
    /// An IKE_SA_INIT request that passed the stateless gate; `raw` is the message octets.
    void on_IKE_SA_INIT_request(const Message& m, Octets raw, const Address& local, const Address& remote);
    /// An IKE_SA_INIT response (plaintext) for our request.
    void on_IKE_SA_INIT_response(const Message& m, Octets raw, const Address& local, const Address& remote);
    /// A protected message after decryption; `raw` the whole datagram octets (for retransmission checks).
    /// `outer_critical`: the type of an unrecognized payload with the critical flag outside SK
    /// (§2.5: it rejects the whole request), if there was one.
    void on_protected(const Message& m, Octets raw, const Address& local, const Address& remote,
                      std::optional<Payload_type> outer_critical = std::nullopt);
    /// A protected message whose ICV verified but whose content does not decode (`rule`, `text`
    /// say why; `outer` holds the header). A request in the window gets a protected
    /// INVALID_SYNTAX and the IKE SA ends (§2.21.3); a response ends our exchange as refused.
    void on_malformed(const Message& outer, Octets raw, const Address& local, const Address& remote,
                      const std::string& rule, const std::string& text);
    void on_timer(Timer_id id);
    /// When a request is a retransmission of one answered within the window (the same octets
    /// under a Message ID whose response is kept, §2.3): resend that response byte for byte
    /// (§2.1) and return true.
    bool answer_retransmission(Octets raw, std::uint32_t message_id, const Address& local,
                               const Address& remote);

    /// Tests only (src/core/testing.hpp, 7296-2.2-s2): both Message ID counters of this
    /// established IKE SA continue from `next_request` (ours) and `expected_request` (the
    /// peer's), as if that many exchanges had happened. Not reachable from the network or the config.
    void start_Message_IDs_at_for_testing(std::uint32_t next_request, std::uint32_t expected_request) {
        next_request_mid_ = next_request;
        expected_request_mid_ = expected_request;
    }
    /// §2.2 [7296-2.2-s2]: once our next request would take this Message ID, we rekey the IKE SA
    /// (or, if that is refused, delete it) before a Message ID would need more than 32 bits. The 2^16
    /// IDs above it leave room for the requests still in flight, the rekey attempts with
    /// their INVALID_KE_PAYLOAD retries, and the Delete of the old IKE SA.
    static constexpr std::uint32_t Message_ID_rekey_threshold = 0xFFFF'0000u;
    /// The same for the peer's requests, 2^15 later: a peer that rekeys at the same point as we
    /// do is left to it (no collision); one that does not is rekeyed by us with 2^15 IDs to spare.
    static constexpr std::uint32_t Peer_Message_ID_rekey_threshold = 0xFFFF'8000u;

    Spi our_spi() const { return original_initiator_ ? SPIi_ : SPIr_; }
    Spi SPIi() const { return SPIi_; }
    Spi SPIr() const { return SPIr_; }
    bool original_initiator() const { return original_initiator_; }
    bool keys_ready() const { return keys_ready_; }
    bool removed() const { return removed_; }
    bool half_open() const;
    const Connection_config& connection() const { return *conn_; }
    /// Keys for unprotecting what the peer sends: SK_er/SK_ar for the original initiator.
    struct Sk_view { const Cipher* cipher; const Integrity* integrity; Octets SK_e, SK_a; };
    Sk_view peer_keys() const;
    Ike_sa_info info() const;
    /// The octets of the first IKE_SA_INIT request we received (responder: retransmission check).
    const Bytes& first_request() const { return real_message_1_; }

    // ---- model::Ike_sa_ops -------------------------------------------------------------
    bool is_original_initiator() const override { return original_initiator_; }
    bool retransmissions_left() const override;
    bool cookie_retries_left() const override;
    bool requested_group_acceptable(const Message& m) const override;
    bool IKE_SA_INIT_response_acceptable(const Message& m) const override;
    bool IKE_SA_INIT_proposal_acceptable(const Message& m) const override;
    bool peer_KE_value_valid(const Message& m) const override;
    bool peer_AUTH_verified(const Message& m) const;
    bool peer_AUTH_valid(const Message& m) const override;
    bool CHILD_SA_acceptable(const Message& m) const override;
    bool CHILD_SA_response_acceptable(const Message& m) const override;
    bool deletes_IKE_SA(const Message& m) const override;
    bool is_IKE_SA_rekey(const Message& m) const override;
    bool is_CHILD_SA_rekey(const Message& m) const override;
    bool new_IKE_SA_acceptable(const Message& m) const override;
    bool CHILD_SA_rekey_acceptable(const Message& m) const override;
    bool new_CHILD_SA_acceptable(const Message& m) const override;
    bool CREATE_CHILD_SA_response_acceptable(const Message& m) const override;
    bool temporary_condition(const Message& m) const override;

    void send_IKE_SA_INIT_request() override;
    void resend_IKE_SA_INIT_with_cookie(const Message& m) override;
    void resend_IKE_SA_INIT_with_group(const Message& m) override;
    void send_IKE_SA_INIT_response(const Message& m) override;
    void send_NO_PROPOSAL_CHOSEN(const Message& m) override;
    void derive_IKE_SA_keys(const Message* m) override;
    void retransmit_request() override;
    void send_IKE_AUTH_request() override;
    void send_IKE_AUTH_response(const Message& m, bool with_CHILD_SA) override;
    void send_AUTHENTICATION_FAILED(const Message& m) override;
    void install_CHILD_SA(const Message& m) override;
    void send_Delete_IKE_SA_request() override;
    void send_INFORMATIONAL_response(const Message& m) override;
    void send_CREATE_CHILD_SA_request() override;
    void resend_CREATE_CHILD_SA_with_group(const Message& m) override;
    void complete_CREATE_CHILD_SA(const Message& m) override;
    void send_IKE_SA_rekey_response(const Message& m) override;
    void send_CHILD_SA_rekey_response(const Message& m) override;
    void send_new_CHILD_SA_response(const Message& m) override;
    void send_CREATE_CHILD_SA_refusal(const Message& m) override;
    void send_TEMPORARY_FAILURE(const Message& m) override;
    void send_Delete_CHILD_SA_request() override;
    void send_liveness_check() override;
    void complete_Delete_CHILD_SA(const Message& m) override;
    void start_CREATE_CHILD_SA_exchange() override;
    void start_Delete_CHILD_SA_exchange() override;
    void start_liveness_check() override;
    void start_IKE_SA_INIT_exchange(const Message* m) override;
    void start_IKE_AUTH_exchange() override;
    void dispatch_to_exchange(const Message& m) override;
    void start_Delete_exchange() override;
    void report_established() override;
    void report_failure(const std::string& reason) override;
    void remove_IKE_SA(const std::string& reason) override;
    void no_transition(const char* machine, const char* state, const char* event) override;

private:
    template <class Event>
    void deliver(const Event& e);
    template <class Event>
    void route(const Event& e);
    void check_completions();
    void diagnose(Severity s, std::string rule, std::string text);
    void trace(bool sent, const Message& m, const Address& local, const Address& remote);

    Message header_for(Exchange_type x, bool response, std::uint32_t mid) const;
    void send_request(Message m);
    void send_response(Message m);
    void send_error_response(const Message& request, Notify_type type, Bytes data = {});
    Bytes encode(const Message& m);
    void send_raw_to(const Bytes& ike_message, const Address& local, const Address& remote);
    void stop_retransmission();

    std::vector<Proposal> IKE_offer() const;
    std::vector<Proposal> ESP_offer() const;
    std::vector<Payload> NAT_detection_payloads(const Address& src, const Address& dst);
    void detect_NAT(const Message& m, const Address& local, const Address& remote);
    bool ke_valid(const Message& m, Ke_id group) const;
    Signed_octets_input signed_octets_of(bool initiator_side) const;
    /// Derives KEYMAT (§2.17) with the nonces (and g^ir, if any) of the exchange that created
    /// it, records the CHILD SA and emits Install_child_sa.
    void make_CHILD_SA(const Child_config* config, const Proposal& chosen, std::uint32_t spi_in, std::uint32_t spi_out,
                       std::vector<Traffic_selector> ts_local, std::vector<Traffic_selector> ts_remote,
                       Octets g_ir, Octets Ni, Octets Nr, bool we_requested, Ipsec_mode mode);
    /// Forgets CHILD SA `index` and removes it from the data plane; `keep_inbound` (a Delete
    /// crossing ours, §1.4.1) removes only its outbound SA and keeps the inbound one in
    /// half_closed_ until our Delete's response.
    void remove_CHILD_SA(std::size_t index, const std::string& why, bool keep_inbound = false);
    Child_state* child_by_spi_in(std::uint32_t spi_in);
    Child_state* child_by_spi_out(std::uint32_t spi_out);
    /// The CHILD SA a rekey request names: `spi_in`, or (0) the first the peer has not rekeyed.
    Child_state* rekey_target(std::uint32_t spi_in);
    /// The responder's choice for a CHILD SA request (IKE_AUTH or CREATE_CHILD_SA): which child
    /// config, proposal and narrowed selectors; nullopt with refusal_* set.
    struct Child_match {
        const Child_config* config = nullptr;
        Proposal chosen;
        std::vector<Traffic_selector> tsi, tsr;
    };
    /// `in_IKE_AUTH`: D-H transforms are left out of both sides' proposals (§1.2).
    std::optional<Child_match> match_child(const Message& m, const Child_config* only, bool in_IKE_AUTH) const;
    /// §2.23.1: the TSi / TSr we propose for a new CHILD SA of `c` (its local_ts / remote_ts);
    /// in transport mode narrowed to the IKE SA's source / destination address. False (and a
    /// Diagnostic) when `c` is not transport mode or no configured selector holds that address:
    /// then the configured selectors are proposed in tunnel mode.
    bool transport_selectors(const Child_config& c, std::vector<Traffic_selector>& tsi,
                             std::vector<Traffic_selector>& tsr);
    /// The TSi or TSr (`which`) of the response `m` to our CHILD SA request for `c`; §2.23.1:
    /// when it selected transport mode behind a NAT, single addresses replaced by the IKE SA's
    /// (TSi: ours, TSr: the peer's) before anything else uses them. Empty without the payload.
    std::vector<Traffic_selector> response_selectors(const Message& m, Payload_type which, const Child_config* c) const;
    bool KE_acceptable_for(const Message& m, const Proposal& chosen) const;
    /// §2.8: queues the Delete of the old (or redundant) CHILD SA of a rekey at the front.
    void delete_rekeyed_CHILD_SA(std::uint32_t spi_in);
    /// §2.8.2, §2.18: this old IKE SA was replaced by the peer's rekey and waits in Rekeyed for
    /// the peer's Delete; if it has not come after the peer's whole retransmission schedule (as
    /// ours, Config::retransmit) plus one timeout, the SA is removed without a message.
    void await_Delete_of_old_IKE_SA();
    /// §2.8.2: our IKE SA rekey failed after we answered the peer's colliding one: the peer's new
    /// IKE SA inherits the CHILD SAs. False when there was no such collision.
    bool hand_children_to_peer_rekey();
    void pump();
    /// Timers other than retransmission: lifetimes and liveness (§2.4, §2.8).
    void arm_duty(Time at, std::function<void()> duty);
    Time jittered(std::chrono::seconds base, std::chrono::seconds rand);
    void arm_CHILD_SA_lifetimes(const Child_state& c);
    void arm_IKE_SA_lifetime();
    void arm_liveness();
    /// Original responder: removes the IKE SA if IKE_AUTH does not come within
    /// Config::gate.half_open_timeout (strongSwan's half_open_timeout).
    void arm_half_open_timeout();
    Timer_id half_open_timer_ = 0;
    void set_algorithms(const Proposal& p);
    void emit_keys();
    /// §2.18: the new IKE SA's keys from this (old) SA's SK_d and PRF.
    crypto::Ike_sa_keys rekeyed_IKE_SA_keys(const Proposal& chosen, Octets g_ir, const Rekeyed_state& st);

    Core& core_;
    // The responder may switch to the connection whose remote identity is the peer's IDi
    // (checked when AUTH is verified), as strongSwan switches peer configs.
    mutable const Connection_config* conn_;
    const Child_config* child_ = nullptr;
    bool original_initiator_;
    Spi SPIi_ = 0, SPIr_ = 0;
    Address local_, remote_;

    // IKE_SA_INIT
    Ke_id group_ = Ke_id::NONE;
    mutable std::unique_ptr<Key_exchange> ke_;
    mutable std::optional<Secret> g_ir_;  // responder: computed when KEi is checked, before answering
    Bytes Ni_, Nr_, cookie_;
    unsigned cookie_tries_ = 0, ke_tries_ = 0;
    std::optional<Proposal> proposal_;  // the selected IKE proposal
    Bytes real_message_1_, real_message_2_;
    std::vector<Hash_algorithm> peer_signature_hashes_;  // RFC 7427 §4, from the peer's IKE_SA_INIT
    bool peer_childless_ = false;
    Spi replaces_ = 0;                                  // §2.8.3: the IKE SA this one reauthenticates
    std::vector<const Child_config*> replace_children_;
    // peer_AUTH_valid is asked by several guard rows for one message: verified once (§2.15).
    mutable const Message* auth_checked_ = nullptr;
    mutable bool auth_valid_ = false;
    mutable const Message* ke_checked_ = nullptr;  // the same for peer_KE_value_valid  // RFC 6023: the peer's IKE_SA_INIT had CHILDLESS_IKEV2_SUPPORTED
    mutable bool initial_contact_ = false;
    mutable std::optional<Payload_CP> peer_CP_;  // §2.19: the CP of the peer's authenticated IKE_AUTH
    std::vector<Bytes> virtual_ips_;             // §2.19: assigned to us (initiator) or to the peer (responder)
    std::vector<Bytes> dns_;                     // INTERNAL_IP4_DNS / INTERNAL_IP6_DNS received
    /// §2.19, §3.15: the responder's CP(CFG_REPLY) for a CP(CFG_REQUEST), addresses leased from
    /// the connection's pools; nullopt (and `failed` set) when no address could be assigned.
    std::optional<Payload_CP> answer_CP_request(const Payload_CP& request, bool& failed);
    void take_CP_reply();
    void narrow_to_virtual_ips(std::vector<Traffic_selector>& tsi) const;  // §2.4: the peer's (authenticated) IKE_AUTH had INITIAL_CONTACT
    bool nat_detected_ = false;
    bool floated_ = false;  // moved to the NAT-T port (§2.23)

    // keys (§2.14)
    std::unique_ptr<Prf> prf_;
    std::unique_ptr<Integrity> integ_;
    std::unique_ptr<Cipher> cipher_;
    crypto::Ike_sa_keys keys_;
    bool keys_ready_ = false;

    // Message IDs and retransmission (§2.1, §2.2). The fields from `outstanding_` to `timer_`,
    // with req_, requester_, ccs_ and info_, describe the *active* request of ours; the others in
    // flight wait in `parked_` (§2.3 window) and are swapped in when their response or timer comes.
    std::uint32_t next_request_mid_ = 0;
    /// The lowest Message ID of the peer's requests not yet answered (the window's left edge).
    std::uint32_t expected_request_mid_ = 0;
    /// §2.2 [7296-2.2-s2]: our request #2^32-1 was sent (no Message ID is left for another), or
    /// the peer's #2^32-1 was answered (no later request of the peer fits): the counters never wrap.
    bool request_mids_exhausted_ = false, peer_mids_exhausted_ = false;
    /// How many rekeys of this IKE SA were started because Message IDs reached the threshold;
    /// after Message_ID_rekey_attempts refused ones the IKE SA is deleted instead. A refused one
    /// is retried Message_ID_rekey_retry later, not at once ([7296-2.25-s2]: TEMPORARY_FAILURE;
    /// strongSwan retries a failed rekey after 10–30 s, ike_sa.h RETRY_INTERVAL - RETRY_JITTER).
    unsigned Message_ID_rekeys_ = 0;
    static constexpr unsigned Message_ID_rekey_attempts = 3;
    static constexpr std::chrono::seconds Message_ID_rekey_retry{15};
    /// A refused rekey's retry is armed (waiting) or its time has come (due).
    bool Message_ID_rekey_waiting_ = false, Message_ID_rekey_due_ = true;
    /// §2.2: once Message IDs reach the threshold, queues the IKE SA's rekey first (its Delete
    /// if the rekeys were refused); called by pump().
    void rekey_before_Message_IDs_run_out();
    bool Message_IDs_running_out() const {
        return next_request_mid_ >= Message_ID_rekey_threshold || expected_request_mid_ >= Peer_Message_ID_rekey_threshold ||
               request_mids_exhausted_ || peer_mids_exhausted_;
    }
    Bytes outstanding_;
    std::uint32_t outstanding_mid_ = 0;
    bool request_outstanding_ = false;
    unsigned retransmits_ = 0;
    Timer_id timer_ = 0;
    /// The octets of the request being answered (its cache entry is written by send_response).
    Bytes last_request_raw_;
    /// §2.3: a copy of each response for the last `window_size` requests (by Message ID), with the
    /// request it answered, to resend when that request is retransmitted (§2.1).
    struct Answered { Bytes request, response; };
    std::map<std::uint32_t, Answered> answered_;
    /// §2.3: how many requests the peer may have in flight to us (1 until we announced more).
    std::uint32_t our_window_ = 1;
    /// §2.3: the largest SET_WINDOW_SIZE the peer announced (it can only grow); 1 if none.
    std::uint32_t peer_window_ = 1;
    void note_peer_window(const Message& m);
    /// Whether the peer's request `mid` is in our window and not answered yet (§2.3).
    bool in_receive_window(std::uint32_t mid) const;
    std::string receive_window_text() const;
    /// How many requests of ours may be in flight now: 1 until the initial exchanges complete,
    /// then the smaller of Config::window_size and the peer's window (§2.3).
    std::uint32_t send_window() const;
    /// The SET_WINDOW_SIZE notify we announce, or nothing when our window is 1.
    std::optional<Payload> window_notify() const;
    /// A response that ends the IKE SA without a Delete was sent (INVALID_SYNTAX; in IKE_AUTH also
    /// UNSUPPORTED_CRITICAL_PAYLOAD, §2.21.2, §2.21.3): the IKE SA goes once the request is handled.
    bool fatal_response_sent_ = false;
    /// §2.21.1: an unprotected error answer to our IKE_SA_INIT, acted on when the retransmission
    /// timer fires unless a genuine response arrives first.
    std::optional<Message> pending_init_error_;
    void answer_request(const Message& m, std::optional<Payload_type> outer_critical);
    void end_after_fatal_response();
    /// Original responder: after an authenticated message on the NAT-T port, send our own requests
    /// there too (§2.23).
    void follow_NAT_T_peer(const Address& local, const Address& remote);
    /// A response to our outstanding request that cannot be used (`rule`, `text`): our exchange
    /// ends as refused; nothing is sent (§2.21).
    void reject_response(const Message& m, const std::string& rule, const std::string& text);
    Address reply_local_, reply_remote_;

    // CHILD SAs (§2.17); child_spi_in_ is the SPI offered in the IKE_AUTH request in flight
    std::uint32_t child_spi_in_ = 0;
    std::vector<Child_state> children_;
    /// §1.4.1: outbound SPIs the peer deleted that matched no CHILD SA while a CREATE_CHILD_SA of
    /// ours was in flight: its response may still create that SA (its Delete overtook it).
    std::vector<std::uint32_t> deleted_before_known_;
    /// §1.4.1: inbound SPIs of CHILD SAs both peers deleted at once whose outbound SA is removed
    /// already; each inbound SA goes when our Delete's response arrives (or with the IKE SA).
    std::vector<std::uint32_t> half_closed_;
    /// Our SPI of the IKE SA this one replaced by a rekey (0: none), §2.18.
    Spi predecessor_ = 0;

    // the CREATE_CHILD_SA or Delete we requested (the active one; others in parked_, §2.3)
    enum class Request_kind { none, create_child, rekey_child, rekey_IKE, delete_child, delete_IKE, liveness };
    struct Child_request {
        Request_kind kind = Request_kind::none;
        const Child_config* config = nullptr;
        std::uint32_t old_spi_in = 0;  // rekey / delete target
        std::uint32_t new_spi_in = 0;
        Spi new_spi = 0;               // IKE rekey: our SPI of the new IKE SA
        Ke_id group = Ke_id::NONE;
        std::unique_ptr<Key_exchange> ke;
        Bytes Ni;
        std::vector<Proposal> offer;
        unsigned ke_tries = 0;
        bool announce_window = false;  // liveness: carries SET_WINDOW_SIZE (§2.3)
    };
    Child_request req_;
    /// A request waiting for its turn (§2.3): what it is and the CHILD SA it acts on, so that
    /// pump() can tell whether it may run next to those in flight.
    struct Queued {
        Request_kind kind = Request_kind::none;
        std::uint32_t target = 0;  // our inbound SPI of the CHILD SA rekeyed or deleted (0: none)
        const Child_config* config = nullptr;  // create_child: the CHILD SA to create
        std::function<void()> start;
    };
    /// The queue entry of a request of `kind` (create/rekey/delete of a CHILD SA, rekey or
    /// Delete of the IKE SA) on `target` (our inbound SPI; 0: none or the first) with `config`
    /// (create). Its target is checked when it starts, not now: it may have been moved here from
    /// the IKE SA this one replaced (replaced_by), or wait behind others.
    Queued queued_request(Request_kind kind, std::uint32_t target, const Child_config* config);
    /// queued_request(...) at the back of the queue, then pump().
    void enqueue(Request_kind kind, std::uint32_t target, const Child_config* config);
    std::deque<Queued> queued_;
    enum class Requester { none, init, auth, ccs, info } requester_ = Requester::none;
    /// Another request of ours in flight, parked while a different one is active (§2.3).
    struct Parked {
        Bytes octets;
        bool held = false;
        unsigned retransmits = 0;
        Timer_id timer = 0;
        Requester requester = Requester::none;
        Child_request req;
        std::unique_ptr<model::CREATE_CHILD_SA_machine> ccs;
        std::unique_ptr<model::INFORMATIONAL_machine> info;
    };
    std::map<std::uint32_t, Parked> parked_;  // by Message ID
    /// The active request was built but not sent: it would exceed the peer's window (§2.3, an
    /// INVALID_KE_PAYLOAD retry while others are in flight); release_held_requests sends it.
    bool held_ = false;
    /// Whether request `mid` fits the window next to the other requests in flight (§2.3).
    bool fits_window(std::uint32_t mid) const;
    /// Sends the held requests that fit the window now.
    void release_held_requests();
    /// Drops our liveness checks in flight (the peer rekeyed this IKE SA, §2.18).
    void abandon_liveness_checks();
    /// Moves the active request (if any) to parked_.
    void park();
    /// Makes the parked request `mid` the active one (parking the current one); false if none.
    bool activate(std::uint32_t mid);
    /// The in-flight request (active or parked) of `kind` acting on CHILD SA `target` (0: any).
    const Child_request* in_flight(Request_kind kind, std::uint32_t target = 0) const;
    std::size_t requests_in_flight() const { return parked_.size() + (request_outstanding_ ? 1 : 0); }
    /// Whether queued request `q` may start now, next to those in flight (§2.3, §2.8, §2.25).
    bool may_start(const Queued& q) const;
    void submit(Request_kind kind, std::uint32_t target, std::function<void()> start);
    /// This IKE SA was replaced by the one with our SPI `successor` (a rekey, §2.18): tells the
    /// Core (IKE_SA_replaced); the requests still queued here go to the successor, in order (a
    /// Delete of this IKE SA deletes the successor; a queued rekey of this IKE SA or liveness
    /// check is dropped: the successor is new).
    void replaced_by(Spi successor);
    mutable Notify_type refusal_notify_ = Notify_type::NO_PROPOSAL_CHOSEN;
    mutable Bytes refusal_data_;
    mutable Protocol_id refusal_protocol_ = Protocol_id::NONE;
    mutable Bytes refusal_spi_;
    bool rekeyed_by_peer_ = false;

    // §2.8: a peer's rekey answered while our own rekey of the same SA was in flight. The nonces of
    // the peer's exchange decide, against ours, which new SA is redundant.
    struct Collision {
        bool active = false;
        Bytes Ni, Nr;                 // of the peer's exchange
        std::uint32_t new_spi_in = 0; // CHILD: the SA that exchange created (our inbound SPI)
        Spi new_IKE_spi = 0;          // IKE: our SPI of the IKE SA that exchange created
    };
    Collision collision_;
    bool lost_IKE_collision_ = false;
    /// §2.8.2: this is the redundant IKE SA of a rekey collision, being deleted: a Delete the peer
    /// does not answer (it dropped the SA already, as charon does) is routine, not a failure.
    bool redundant_ = false;
    std::map<Timer_id, std::function<void()>> duty_;
    Time last_received_{0};
    // refusal reason of the last guard that said no (shown by the action that follows)
    mutable std::string refusal_rule_, refusal_text_;
    mutable std::vector<Refusal::Proposal_mismatch> refusal_proposals_;
    mutable std::vector<Refusal::Selector_mismatch> refusal_selectors_;
    /// The refusal just sent, with the reason the guard left (then cleared).
    void record_refusal(Exchange_type x, Notify_type sent);
    void note_proposal_refusal(const Proposal_refusals& r) const;

    // the machines
    model::IKE_SA_machine lifecycle_;
    std::unique_ptr<model::IKE_SA_INIT_machine> init_;
    std::unique_ptr<model::IKE_AUTH_machine> auth_;
    std::unique_ptr<model::INFORMATIONAL_machine> info_;
    std::unique_ptr<model::CREATE_CHILD_SA_machine> ccs_;
    std::function<void()> dispatch_;
    std::vector<std::function<void()>> completions_;
    bool init_reported_ = false, auth_reported_ = false;
    bool removed_ = false;
    bool delivering_ = false;
};

}  // namespace ike::core
