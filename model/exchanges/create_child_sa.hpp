// The CREATE_CHILD_SA exchange in both roles (RFC 7296 §1.3): a new CHILD SA (§1.3.1), rekeying
// a CHILD SA (§1.3.3, REKEY_SA) and rekeying the IKE SA (§1.3.2, §2.18), with INVALID_KE_PAYLOAD
// answered by one retry in the named group. A refusal ends only this exchange (§2.21.3); only a
// requester that never hears back gives up the IKE SA (§2.1, via Report_failure).
#pragma once

#include "model/actions.hpp"
#include "model/events.hpp"
#include "model/guards.hpp"
#include "model/states.hpp"

namespace ike::model {

struct CREATE_CHILD_SA_def : Machine_base<CREATE_CHILD_SA_def> {
    static constexpr const char* name = "CREATE_CHILD_SA";
    using initial_state = st::Idle;
    template <class E, class F> void on_entry(const E&, F&) {}

    using Temporary = grd::Temporary_condition;
    template <class G>
    using Normally = grd::And<grd::Not<Temporary>, G>;
    using IKE_rekey_ok = Normally<grd::And<grd::Rekeys_IKE_SA, grd::New_IKE_SA_acceptable>>;
    using IKE_rekey_refused = Normally<grd::And<grd::Rekeys_IKE_SA, grd::Not<grd::New_IKE_SA_acceptable>>>;
    using CHILD_rekey_ok = Normally<grd::And<grd::Rekeys_CHILD_SA, grd::CHILD_SA_rekey_acceptable>>;
    using CHILD_rekey_refused = Normally<grd::And<grd::Rekeys_CHILD_SA, grd::Not<grd::CHILD_SA_rekey_acceptable>>>;
    using New_CHILD_ok = Normally<grd::And<grd::Creates_CHILD_SA, grd::New_CHILD_SA_acceptable>>;
    using New_CHILD_refused = Normally<grd::And<grd::Creates_CHILD_SA, grd::Not<grd::New_CHILD_SA_acceptable>>>;
    using Awaiting = st::Awaiting_CREATE_CHILD_SA_response;

    // clang-format off
    using transition_table = boost::mpl::vector<
    //     Source     Event                                 Target       Action                                   Guard
    // --- requester -------------------------------------------------------------------------------------------------------------------------------------------------
    Row<st::Idle,  ev::Create_CHILD_SA_requested,          Awaiting,    act::Send_CREATE_CHILD_SA_request,       none>,                                              // §1.3.1
    Row<st::Idle,  ev::Rekey_CHILD_SA_requested,           Awaiting,    act::Send_CREATE_CHILD_SA_request,       none>,                                              // §1.3.3
    Row<st::Idle,  ev::Rekey_IKE_SA_requested,             Awaiting,    act::Send_CREATE_CHILD_SA_request,       none>,                                              // §1.3.2
    Row<Awaiting,  ev::CREATE_CHILD_SA_response_received,  st::Completed, act::Complete_CREATE_CHILD_SA,         grd::CREATE_CHILD_SA_response_acceptable>,          // §1.3, §2.17, §2.18
    Row<Awaiting,  ev::CREATE_CHILD_SA_response_received,  st::Failed,  act::Report_failure,                     grd::Not<grd::CREATE_CHILD_SA_response_acceptable>>, // §2.7, §2.9
    Row<Awaiting,  ev::INVALID_KE_PAYLOAD_received,        Awaiting,    act::Resend_CREATE_CHILD_SA_with_group,  grd::Requested_group_acceptable>,                   // §1.3, §1.2
    Row<Awaiting,  ev::INVALID_KE_PAYLOAD_received,        st::Failed,  act::Report_failure,                     grd::Not<grd::Requested_group_acceptable>>,         // §1.2
    Row<Awaiting,  ev::Error_notify_received,              st::Failed,  act::Report_failure,                     none>,                                              // §2.21.3, §2.25
    Row<Awaiting,  ev::Retransmit_timer_expired,           Awaiting,    act::Retransmit_request,                 grd::Retransmissions_left>,                         // §2.1
    Row<Awaiting,  ev::Retransmit_timer_expired,           st::Failed,  act::Report_failure,                     grd::Not<grd::Retransmissions_left>>,               // §2.1, §2.4
    // --- responder -------------------------------------------------------------------------------------------------------------------------------------------------
    Row<st::Idle,  ev::CREATE_CHILD_SA_request_received,   st::Completed, act::Send_IKE_SA_rekey_response,       IKE_rekey_ok>,                                      // §1.3.2, §2.18
    Row<st::Idle,  ev::CREATE_CHILD_SA_request_received,   st::Failed,  act::Send_CREATE_CHILD_SA_refusal,       IKE_rekey_refused>,                                 // §2.18, §2.21.3
    Row<st::Idle,  ev::CREATE_CHILD_SA_request_received,   st::Completed, act::Send_CHILD_SA_rekey_response,     CHILD_rekey_ok>,                                    // §1.3.3
    Row<st::Idle,  ev::CREATE_CHILD_SA_request_received,   st::Failed,  act::Send_CREATE_CHILD_SA_refusal,       CHILD_rekey_refused>,                               // §2.25 CHILD_SA_NOT_FOUND
    Row<st::Idle,  ev::CREATE_CHILD_SA_request_received,   st::Completed, act::Send_new_CHILD_SA_response,       New_CHILD_ok>,                                      // §1.3.1
    Row<st::Idle,  ev::CREATE_CHILD_SA_request_received,   st::Failed,  act::Send_CREATE_CHILD_SA_refusal,       New_CHILD_refused>,                                 // §2.21.3
    Row<st::Idle,  ev::CREATE_CHILD_SA_request_received,   st::Failed,  act::Send_TEMPORARY_FAILURE,             Temporary>                                          // §2.25.1, §2.25.2
    >;
    // clang-format on
};

}  // namespace ike::model
