// The IKE_SA_INIT exchange in both roles (RFC 7296 §1.2), with the initiator's reactions to
// COOKIE (§2.6) and INVALID_KE_PAYLOAD (§1.2, §2.7) and retransmission (§2.1). The responder's
// COOKIE and INVALID_KE_PAYLOAD answers come from the stateless gate in core, before any machine
// exists; a retransmitted request is answered from core's response cache.
#pragma once

#include "model/actions.hpp"
#include "model/events.hpp"
#include "model/guards.hpp"
#include "model/states.hpp"

namespace ike::model {

struct IKE_SA_INIT_def : Machine_base<IKE_SA_INIT_def> {
    static constexpr const char* name = "IKE_SA_INIT";
    using initial_state = st::Idle;
    template <class E, class F> void on_entry(const E&, F&) {}

    // clang-format off
    using transition_table = boost::mpl::vector<
    //     Source                             Event                             Target                             Action                                                  Guard
    // --- original initiator ----------------------------------------------------------------------------------------------------------------------------------------------------------------
    Row<st::Idle,                          ev::Initiate_requested,            st::Awaiting_IKE_SA_INIT_response, act::Send_IKE_SA_INIT_request,                          none>,                                       // §1.2
    Row<st::Awaiting_IKE_SA_INIT_response, ev::IKE_SA_INIT_response_received, st::Completed,                     act::Derive_IKE_SA_keys,                                grd::Response_acceptable>,                   // §1.2, §2.14
    Row<st::Awaiting_IKE_SA_INIT_response, ev::IKE_SA_INIT_response_received, st::Failed,                        act::Report_failure,                                    grd::Not<grd::Response_acceptable>>,         // §2.7, §3.4
    Row<st::Awaiting_IKE_SA_INIT_response, ev::COOKIE_received,               st::Awaiting_IKE_SA_INIT_response, act::Resend_IKE_SA_INIT_with_cookie,                    grd::Cookie_retries_left>,                   // §2.6
    Row<st::Awaiting_IKE_SA_INIT_response, ev::COOKIE_received,               st::Failed,                        act::Report_failure,                                    grd::Not<grd::Cookie_retries_left>>,         // §2.6
    Row<st::Awaiting_IKE_SA_INIT_response, ev::INVALID_KE_PAYLOAD_received,   st::Awaiting_IKE_SA_INIT_response, act::Resend_IKE_SA_INIT_with_group,                     grd::Requested_group_acceptable>,            // §1.2, §2.7
    Row<st::Awaiting_IKE_SA_INIT_response, ev::INVALID_KE_PAYLOAD_received,   st::Failed,                        act::Report_failure,                                    grd::Not<grd::Requested_group_acceptable>>,  // §1.2
    Row<st::Awaiting_IKE_SA_INIT_response, ev::Error_notify_received,         st::Failed,                        act::Report_failure,                                    none>,                                       // §2.21.1
    Row<st::Awaiting_IKE_SA_INIT_response, ev::Retransmit_timer_expired,      st::Awaiting_IKE_SA_INIT_response, act::Retransmit_request,                                grd::Retransmissions_left>,                  // §2.1
    Row<st::Awaiting_IKE_SA_INIT_response, ev::Retransmit_timer_expired,      st::Failed,                        act::Report_failure,                                    grd::Not<grd::Retransmissions_left>>,        // §2.1
    // --- original responder ----------------------------------------------------------------------------------------------------------------------------------------------------------------
    Row<st::Idle,                          ev::IKE_SA_INIT_request_received,  st::Completed,                     act::Seq<act::Send_IKE_SA_INIT_response, act::Derive_IKE_SA_keys>, grd::And<grd::Proposal_acceptable, grd::Peer_KE_valid>>,        // §1.2, §2.14
    Row<st::Idle,                          ev::IKE_SA_INIT_request_received,  st::Failed,                        act::Send_NO_PROPOSAL_CHOSEN,                           grd::Not<grd::Proposal_acceptable>>,         // §2.7
    Row<st::Idle,                          ev::IKE_SA_INIT_request_received,  st::Failed,                        act::Report_failure,                                    grd::And<grd::Proposal_acceptable, grd::Not<grd::Peer_KE_valid>>>  // RFC 6989 §2, §2.21.1: dropped, unanswered
    >;
    // clang-format on
};

}  // namespace ike::model
