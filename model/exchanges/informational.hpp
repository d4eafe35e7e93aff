// The INFORMATIONAL exchange in both roles (RFC 7296 §1.4): deleting the IKE SA (§1.4.1) and
// answering any protected INFORMATIONAL request (liveness, deletes, notifies).
#pragma once

#include "model/actions.hpp"
#include "model/events.hpp"
#include "model/guards.hpp"
#include "model/states.hpp"

namespace ike::model {

struct INFORMATIONAL_def : Machine_base<INFORMATIONAL_def> {
    static constexpr const char* name = "INFORMATIONAL";
    using initial_state = st::Idle;
    template <class E, class F> void on_entry(const E&, F&) {}

    // clang-format off
    using transition_table = boost::mpl::vector<
    //     Source                               Event                               Target                               Action                           Guard
    // --- requester --------------------------------------------------------------------------------------------------------------------------------------------------
    Row<st::Idle,                            ev::Delete_requested,                st::Awaiting_INFORMATIONAL_response, act::Send_Delete_IKE_SA_request, none>,                                // §1.4.1
    Row<st::Idle,                            ev::Delete_CHILD_SA_requested,       st::Awaiting_INFORMATIONAL_response, act::Send_Delete_CHILD_SA_request, none>,                              // §1.4.1
    Row<st::Idle,                            ev::Liveness_check_requested,        st::Awaiting_INFORMATIONAL_response, act::Send_liveness_check,          none>,                              // §2.4
    Row<st::Awaiting_INFORMATIONAL_response, ev::INFORMATIONAL_response_received, st::Completed,                       act::Complete_Delete_CHILD_SA,   none>,                                // §1.4.1
    Row<st::Awaiting_INFORMATIONAL_response, ev::Retransmit_timer_expired,        st::Awaiting_INFORMATIONAL_response, act::Retransmit_request,         grd::Retransmissions_left>,           // §2.1
    Row<st::Awaiting_INFORMATIONAL_response, ev::Retransmit_timer_expired,        st::Failed,                          act::Report_failure,             grd::Not<grd::Retransmissions_left>>, // §2.1, §2.4
    // --- responder --------------------------------------------------------------------------------------------------------------------------------------------------
    Row<st::Idle,                            ev::INFORMATIONAL_request_received,  st::Completed,                       act::Send_INFORMATIONAL_response, none>                                // §1.4
    >;
    // clang-format on
};

}  // namespace ike::model
