// One IKE SA: its state data (SPIs, nonces, keys, Message IDs, the cached response) and the MSM
// machines that decide what happens to it. It implements model::Ike_sa_ops: the model chooses,
// this class carries out (build and send messages, derive keys, install CHILD SAs).
// RFC 7296 §1.2, §1.4.1, §2.1–§2.2, §2.14–§2.17, §2.23.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ike/endpoint.hpp"
#include "model/context.hpp"
#include "model/machines.hpp"
#include "src/core/authentication.hpp"
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
    virtual Timer_id arm_timer(Spi owner, Time at) = 0;
    virtual void cancel_timer(Timer_id id) = 0;
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
    /// An IKE_SA_INIT request that passed the stateless gate; `raw` is the message octets.
    void on_IKE_SA_INIT_request(const Message& m, Octets raw, const Address& local, const Address& remote);
    /// An IKE_SA_INIT response (plaintext) for our request.
    void on_IKE_SA_INIT_response(const Message& m, Octets raw, const Address& local, const Address& remote);
    /// A protected message after decryption; `raw` the whole datagram octets (for retransmission checks).
    void on_protected(const Message& m, Octets raw, const Address& local, const Address& remote);
    void on_timer(Timer_id id);
    /// When a request is a retransmission of the last one answered: resend the cached response
    /// byte for byte (§2.1) and return true.
    bool answer_retransmission(Octets raw, std::uint32_t message_id, const Address& local,
                               const Address& remote);

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
    bool peer_AUTH_valid(const Message& m) const override;
    bool CHILD_SA_acceptable(const Message& m) const override;
    bool CHILD_SA_response_acceptable(const Message& m) const override;
    bool deletes_IKE_SA(const Message& m) const override;

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
    void make_CHILD_SA(const Proposal& chosen, std::uint32_t spi_out, std::vector<Traffic_selector> ts_local,
                       std::vector<Traffic_selector> ts_remote);
    void set_algorithms(const Proposal& p);

    Core& core_;
    const Connection_config* conn_;
    const Child_config* child_ = nullptr;
    bool original_initiator_;
    Spi SPIi_ = 0, SPIr_ = 0;
    Address local_, remote_;

    // IKE_SA_INIT
    Ke_id group_ = Ke_id::NONE;
    std::unique_ptr<Key_exchange> ke_;
    Bytes Ni_, Nr_, cookie_;
    unsigned cookie_tries_ = 0, ke_tries_ = 0;
    std::optional<Proposal> proposal_;  // the selected IKE proposal
    Bytes real_message_1_, real_message_2_;
    bool nat_detected_ = false;
    bool floated_ = false;  // moved to the NAT-T port (§2.23)

    // keys (§2.14)
    std::unique_ptr<Prf> prf_;
    std::unique_ptr<Integrity> integ_;
    std::unique_ptr<Cipher> cipher_;
    crypto::Ike_sa_keys keys_;
    bool keys_ready_ = false;

    // Message IDs and retransmission (§2.1, §2.2)
    std::uint32_t next_request_mid_ = 0;
    std::uint32_t expected_request_mid_ = 0;
    Bytes outstanding_;
    std::uint32_t outstanding_mid_ = 0;
    bool request_outstanding_ = false;
    unsigned retransmits_ = 0;
    Timer_id timer_ = 0;
    Bytes last_request_raw_, last_response_;
    std::optional<std::uint32_t> last_response_mid_;
    Address reply_local_, reply_remote_;

    // the CHILD SA created with IKE_AUTH (§2.17)
    std::uint32_t child_spi_in_ = 0, child_spi_out_ = 0;
    std::optional<Proposal> child_proposal_;
    std::vector<Traffic_selector> child_ts_local_, child_ts_remote_;
    bool child_installed_ = false;

    // refusal reason of the last guard that said no (shown by the action that follows)
    mutable std::string refusal_rule_, refusal_text_;

    // the machines
    model::IKE_SA_machine lifecycle_;
    std::unique_ptr<model::IKE_SA_INIT_machine> init_;
    std::unique_ptr<model::IKE_AUTH_machine> auth_;
    std::unique_ptr<model::INFORMATIONAL_machine> info_;
    std::function<void()> dispatch_;
    std::vector<std::function<void()>> completions_;
    bool init_reported_ = false, auth_reported_ = false, info_reported_ = false;
    bool removed_ = false;
    bool delivering_ = false;
};

}  // namespace ike::core
