// The IKE_AUTH exchange in both roles (RFC 7296 §1.2), creating the first CHILD SA inside it
// (§2.17); authentication with AUTH payloads (§2.15), refusals per §2.21.2.
#pragma once

#include "model/actions.hpp"
#include "model/events.hpp"
#include "model/guards.hpp"
#include "model/states.hpp"

namespace ike::model {

struct IKE_AUTH_def : Machine_base<IKE_AUTH_def> {
    static constexpr const char* name = "IKE_AUTH";
    using initial_state = st::Idle;
    template <class E, class F> void on_entry(const E&, F&) {}

    using Auth_and_child = grd::And<grd::Peer_AUTH_valid, grd::CHILD_SA_acceptable>;
    using Auth_not_child = grd::And<grd::Peer_AUTH_valid, grd::Not<grd::CHILD_SA_acceptable>>;
    using Auth_and_child_response = grd::And<grd::Peer_AUTH_valid, grd::CHILD_SA_response_acceptable>;
    using Auth_not_child_response = grd::And<grd::Peer_AUTH_valid, grd::Not<grd::CHILD_SA_response_acceptable>>;

    // clang-format off
    using transition_table = boost::mpl::vector<
    //     Source                          Event                          Target                          Action                                        Guard
    // --- original initiator --------------------------------------------------------------------------------------------------------------------------------------------------
    Row<st::Idle,                       ev::Initiate_requested,         st::Awaiting_IKE_AUTH_response, act::Send_IKE_AUTH_request,                   none>,                                // §1.2, §2.15
    Row<st::Awaiting_IKE_AUTH_response, ev::IKE_AUTH_response_received, st::Completed,                  act::Install_CHILD_SA,                        Auth_and_child_response>,             // §1.2, §2.17
    Row<st::Awaiting_IKE_AUTH_response, ev::IKE_AUTH_response_received, st::Completed,                  none,                                         Auth_not_child_response>,             // §1.2, §2.9
    Row<st::Awaiting_IKE_AUTH_response, ev::IKE_AUTH_response_received, st::Failed,                     act::Report_failure,                          grd::Not<grd::Peer_AUTH_valid>>,      // §2.15
    Row<st::Awaiting_IKE_AUTH_response, ev::Error_notify_received,      st::Failed,                     act::Report_failure,                          none>,                                // §2.21.2
    Row<st::Awaiting_IKE_AUTH_response, ev::Retransmit_timer_expired,   st::Awaiting_IKE_AUTH_response, act::Retransmit_request,                      grd::Retransmissions_left>,           // §2.1
    Row<st::Awaiting_IKE_AUTH_response, ev::Retransmit_timer_expired,   st::Failed,                     act::Report_failure,                          grd::Not<grd::Retransmissions_left>>, // §2.1
    // --- original responder --------------------------------------------------------------------------------------------------------------------------------------------------
    Row<st::Idle,                       ev::IKE_AUTH_request_received,  st::Completed,                  act::Send_IKE_AUTH_response_with_CHILD_SA,    Auth_and_child>,                      // §1.2, §2.17
    Row<st::Idle,                       ev::IKE_AUTH_request_received,  st::Completed,                  act::Send_IKE_AUTH_response_without_CHILD_SA, Auth_not_child>,                      // §1.2, §2.9
    Row<st::Idle,                       ev::IKE_AUTH_request_received,  st::Failed,                     act::Send_AUTHENTICATION_FAILED,              grd::Not<grd::Peer_AUTH_valid>>       // §2.21.2
    >;
    // clang-format on
};

}  // namespace ike::model
