// act:: actions in the imperative. Each is one call on the IKE SA (Ike_sa_ops); Seq<> runs two
// in order. Actions receive the machine as `fsm` (in a submachine, the submachine).
#pragma once

#include <string>

#include "model/events.hpp"
#include "model/machine_base.hpp"

namespace ike::model::act {

#define IKEREF_ACTION(Name, call)                                                  \
    struct Name {                                                                  \
        static constexpr const char* name = #Name;                                 \
        static std::string label() { return name; }                                \
        template <class E, class F, class S, class T>                              \
        void operator()(const E& e, F& fsm, S&, T&) const {                        \
            [[maybe_unused]] const Message* m = ev::message_of(e);                 \
            call;                                                                  \
        }                                                                          \
    }

// IKE_SA_INIT (§1.2, §2.6, §2.7, §2.14)
IKEREF_ACTION(Send_IKE_SA_INIT_request, fsm.ops().send_IKE_SA_INIT_request());
IKEREF_ACTION(Resend_IKE_SA_INIT_with_cookie, if (m) fsm.ops().resend_IKE_SA_INIT_with_cookie(*m));
IKEREF_ACTION(Resend_IKE_SA_INIT_with_group, if (m) fsm.ops().resend_IKE_SA_INIT_with_group(*m));
IKEREF_ACTION(Send_IKE_SA_INIT_response, if (m) fsm.ops().send_IKE_SA_INIT_response(*m));
IKEREF_ACTION(Send_NO_PROPOSAL_CHOSEN, if (m) fsm.ops().send_NO_PROPOSAL_CHOSEN(*m));
IKEREF_ACTION(Derive_IKE_SA_keys, fsm.ops().derive_IKE_SA_keys(m));
IKEREF_ACTION(Retransmit_request, fsm.ops().retransmit_request());
// IKE_AUTH (§1.2, §2.15, §2.17, §2.21.2)
IKEREF_ACTION(Send_IKE_AUTH_request, fsm.ops().send_IKE_AUTH_request());
IKEREF_ACTION(Send_IKE_AUTH_response_with_CHILD_SA, if (m) fsm.ops().send_IKE_AUTH_response(*m, true));
IKEREF_ACTION(Send_IKE_AUTH_response_without_CHILD_SA, if (m) fsm.ops().send_IKE_AUTH_response(*m, false));
IKEREF_ACTION(Send_AUTHENTICATION_FAILED, if (m) fsm.ops().send_AUTHENTICATION_FAILED(*m));
IKEREF_ACTION(Install_CHILD_SA, if (m) fsm.ops().install_CHILD_SA(*m));
// INFORMATIONAL (§1.4)
IKEREF_ACTION(Send_Delete_IKE_SA_request, fsm.ops().send_Delete_IKE_SA_request());
IKEREF_ACTION(Send_INFORMATIONAL_response, if (m) fsm.ops().send_INFORMATIONAL_response(*m));
// CREATE_CHILD_SA (§1.3, §2.8, §2.17, §2.18)
IKEREF_ACTION(Send_CREATE_CHILD_SA_request, fsm.ops().send_CREATE_CHILD_SA_request());
IKEREF_ACTION(Resend_CREATE_CHILD_SA_with_group, if (m) fsm.ops().resend_CREATE_CHILD_SA_with_group(*m));
IKEREF_ACTION(Complete_CREATE_CHILD_SA, if (m) fsm.ops().complete_CREATE_CHILD_SA(*m));
IKEREF_ACTION(Send_IKE_SA_rekey_response, if (m) fsm.ops().send_IKE_SA_rekey_response(*m));
IKEREF_ACTION(Send_CHILD_SA_rekey_response, if (m) fsm.ops().send_CHILD_SA_rekey_response(*m));
IKEREF_ACTION(Send_new_CHILD_SA_response, if (m) fsm.ops().send_new_CHILD_SA_response(*m));
IKEREF_ACTION(Send_CREATE_CHILD_SA_refusal, if (m) fsm.ops().send_CREATE_CHILD_SA_refusal(*m));
IKEREF_ACTION(Send_TEMPORARY_FAILURE, if (m) fsm.ops().send_TEMPORARY_FAILURE(*m));
IKEREF_ACTION(Send_Delete_CHILD_SA_request, fsm.ops().send_Delete_CHILD_SA_request());
IKEREF_ACTION(Send_liveness_check, fsm.ops().send_liveness_check());
IKEREF_ACTION(Complete_Delete_CHILD_SA, if (m) fsm.ops().complete_Delete_CHILD_SA(*m));
// Lifecycle
IKEREF_ACTION(Start_CREATE_CHILD_SA_exchange, fsm.ops().start_CREATE_CHILD_SA_exchange());
IKEREF_ACTION(Start_Delete_CHILD_SA_exchange, fsm.ops().start_Delete_CHILD_SA_exchange());
IKEREF_ACTION(Start_liveness_check, fsm.ops().start_liveness_check());
IKEREF_ACTION(Start_IKE_SA_INIT_exchange, fsm.ops().start_IKE_SA_INIT_exchange(m));
IKEREF_ACTION(Start_IKE_AUTH_exchange, fsm.ops().start_IKE_AUTH_exchange());
IKEREF_ACTION(Dispatch_to_exchange, if (m) fsm.ops().dispatch_to_exchange(*m));
IKEREF_ACTION(Start_Delete_exchange, fsm.ops().start_Delete_exchange());
IKEREF_ACTION(Report_established, fsm.ops().report_established());
IKEREF_ACTION(Report_failure, fsm.ops().report_failure(E::name));
IKEREF_ACTION(Remove_IKE_SA, fsm.ops().remove_IKE_SA(E::name));

#undef IKEREF_ACTION

template <class A, class B>
struct Seq {
    static std::string label() { return A::label() + ", " + B::label(); }
    template <class E, class F, class S, class T>
    void operator()(const E& e, F& fsm, S& s, T& t) const {
        A()(e, fsm, s, t);
        B()(e, fsm, s, t);
    }
};

}  // namespace ike::model::act
