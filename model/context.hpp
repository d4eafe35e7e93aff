// What actions and guards may ask of the IKE SA they run for. Core implements it (src/core);
// the model only decides *which* of these happens and when (RFC 7296 §1.2, §2.1, §2.6, §2.15).
#pragma once

#include <string>

#include "ike/message.hpp"

namespace ike::model {

/// Operations of one IKE SA. `m` is the message of the event that triggered the row.
/// Guards are pure predicates (RFC rules); actions build and send messages, derive keys, and
/// report completions back to core.
class Ike_sa_ops {
public:
    virtual ~Ike_sa_ops() = default;

    // ---- guards -------------------------------------------------------------------------
    virtual bool is_original_initiator() const = 0;
    virtual bool retransmissions_left() const = 0;                          // §2.1
    virtual bool cookie_retries_left() const = 0;                           // §2.6
    virtual bool requested_group_acceptable(const Message& m) const = 0;    // §1.2, §2.7
    virtual bool IKE_SA_INIT_response_acceptable(const Message& m) const = 0;  // §2.7, §3.4
    virtual bool IKE_SA_INIT_proposal_acceptable(const Message& m) const = 0;  // §2.7
    /// RFC 6989 §2, RFC 8031 §2.3: the peer's KE value is an element of the group (checked
    /// before anything is sent back, so a bad value costs the responder no state).
    virtual bool peer_KE_value_valid(const Message& m) const = 0;
    virtual bool peer_AUTH_valid(const Message& m) const = 0;               // §2.15, §2.16
    virtual bool CHILD_SA_acceptable(const Message& m) const = 0;           // §2.7, §2.9 (responder)
    virtual bool CHILD_SA_response_acceptable(const Message& m) const = 0;  // §2.7, §2.9 (initiator)
    virtual bool deletes_IKE_SA(const Message& m) const = 0;                // §1.4.1
    virtual bool is_IKE_SA_rekey(const Message& m) const = 0;               // §1.3.2: SA of protocol IKE
    virtual bool is_CHILD_SA_rekey(const Message& m) const = 0;             // §1.3.3: N(REKEY_SA)
    virtual bool new_IKE_SA_acceptable(const Message& m) const = 0;         // §2.18
    virtual bool CHILD_SA_rekey_acceptable(const Message& m) const = 0;     // §1.3.3, §2.25
    virtual bool new_CHILD_SA_acceptable(const Message& m) const = 0;       // §1.3.1
    virtual bool CREATE_CHILD_SA_response_acceptable(const Message& m) const = 0;
    /// §2.25.1, §2.25.2: the request collides with an exchange we are running on the same SA in a
    /// way that only TEMPORARY_FAILURE can answer (rekey of a CHILD SA we are closing, anything
    /// during our IKE SA rekey, an IKE SA rekey while we work on a CHILD SA or close the IKE SA).
    virtual bool temporary_condition(const Message& m) const = 0;

    // ---- actions ------------------------------------------------------------------------
    virtual void send_IKE_SA_INIT_request() = 0;
    virtual void resend_IKE_SA_INIT_with_cookie(const Message& m) = 0;
    virtual void resend_IKE_SA_INIT_with_group(const Message& m) = 0;
    virtual void send_IKE_SA_INIT_response(const Message& m) = 0;
    virtual void send_NO_PROPOSAL_CHOSEN(const Message& m) = 0;
    virtual void derive_IKE_SA_keys(const Message* m) = 0;
    virtual void retransmit_request() = 0;
    virtual void send_IKE_AUTH_request() = 0;
    virtual void send_IKE_AUTH_response(const Message& m, bool with_CHILD_SA) = 0;
    virtual void send_AUTHENTICATION_FAILED(const Message& m) = 0;
    virtual void install_CHILD_SA(const Message& m) = 0;
    virtual void send_Delete_IKE_SA_request() = 0;
    virtual void send_INFORMATIONAL_response(const Message& m) = 0;
    virtual void send_CREATE_CHILD_SA_request() = 0;  // new CHILD SA, CHILD rekey or IKE rekey, as requested
    virtual void resend_CREATE_CHILD_SA_with_group(const Message& m) = 0;
    virtual void complete_CREATE_CHILD_SA(const Message& m) = 0;
    virtual void send_IKE_SA_rekey_response(const Message& m) = 0;
    virtual void send_CHILD_SA_rekey_response(const Message& m) = 0;
    virtual void send_new_CHILD_SA_response(const Message& m) = 0;
    virtual void send_CREATE_CHILD_SA_refusal(const Message& m) = 0;
    virtual void send_TEMPORARY_FAILURE(const Message& m) = 0;
    virtual void send_Delete_CHILD_SA_request() = 0;
    virtual void send_liveness_check() = 0;                                  // §2.4: INFORMATIONAL { }
    virtual void complete_Delete_CHILD_SA(const Message& m) = 0;

    // ---- lifecycle ----------------------------------------------------------------------
    virtual void start_IKE_SA_INIT_exchange(const Message* m) = 0;
    virtual void start_IKE_AUTH_exchange() = 0;
    virtual void dispatch_to_exchange(const Message& m) = 0;
    virtual void start_Delete_exchange() = 0;
    virtual void start_CREATE_CHILD_SA_exchange() = 0;
    virtual void start_Delete_CHILD_SA_exchange() = 0;
    virtual void start_liveness_check() = 0;
    virtual void report_established() = 0;
    virtual void report_failure(const std::string& reason) = 0;
    virtual void remove_IKE_SA(const std::string& reason) = 0;

    /// A row was not found for an event (MSM no_transition), or an action threw.
    virtual void no_transition(const char* machine, const char* state, const char* event) = 0;
};

}  // namespace ike::model
