// The IKE SA lifecycle (RFC 7296 §1.2, §1.4.1): which exchange may run in which phase. Every
// message reaches its exchange machine only through a row here, so an IKE_AUTH request before
// IKE_SA_INIT completed, or a response in the wrong role, has no row and is dropped with a
// diagnostic (§2.21: nothing is advanced without a row).
#pragma once

#include "model/actions.hpp"
#include "model/events.hpp"
#include "model/guards.hpp"
#include "model/states.hpp"

namespace ike::model {

struct IKE_SA_def : Machine_base<IKE_SA_def> {
    static constexpr const char* name = "IKE_SA";
    using initial_state = st::Idle;
    template <class E, class F> void on_entry(const E&, F&) {}

    using Initiator = grd::Is_original_initiator;
    using Responder = grd::Not<grd::Is_original_initiator>;

    // clang-format off
    using transition_table = boost::mpl::vector<
    //     Source              Event                               Target              Action                                               Guard
    Row<st::Idle,           ev::Initiate_requested,             st::Half_open,      act::Start_IKE_SA_INIT_exchange,                     Initiator>,                // §1.2
    Row<st::Idle,           ev::IKE_SA_INIT_request_received,   st::Half_open,      act::Start_IKE_SA_INIT_exchange,                     Responder>,                // §1.2
    // --- IKE_SA_INIT in progress -------------------------------------------------------------------------------------------------------------------------------
    Row<st::Half_open,      ev::IKE_SA_INIT_response_received,  st::Half_open,      act::Dispatch_to_exchange,                           Initiator>,                // §1.2
    Row<st::Half_open,      ev::COOKIE_received,                st::Half_open,      act::Dispatch_to_exchange,                           Initiator>,                // §2.6
    Row<st::Half_open,      ev::INVALID_KE_PAYLOAD_received,    st::Half_open,      act::Dispatch_to_exchange,                           Initiator>,                // §1.2
    Row<st::Half_open,      ev::Error_notify_received,          st::Half_open,      act::Dispatch_to_exchange,                           Initiator>,                // §2.21.1
    Row<st::Half_open,      ev::IKE_SA_INIT_completed,          st::Authenticating, act::Start_IKE_AUTH_exchange,                        Initiator>,                // §1.2
    Row<st::Half_open,      ev::IKE_SA_INIT_completed,          st::Authenticating, none,                                                Responder>,                // §1.2
    Row<st::Half_open,      ev::Exchange_failed,                st::Deleted,        act::Remove_IKE_SA,                                  none>,                     // §2.21.1
    // --- IKE_AUTH in progress ----------------------------------------------------------------------------------------------------------------------------------
    Row<st::Authenticating, ev::IKE_AUTH_request_received,      st::Authenticating, act::Dispatch_to_exchange,                           Responder>,                // §1.2
    Row<st::Authenticating, ev::IKE_AUTH_response_received,     st::Authenticating, act::Dispatch_to_exchange,                           Initiator>,                // §1.2
    Row<st::Authenticating, ev::Error_notify_received,          st::Authenticating, act::Dispatch_to_exchange,                           Initiator>,                // §2.21.2
    Row<st::Authenticating, ev::IKE_AUTH_completed,             st::Established,    act::Report_established,                             none>,                     // §1.2
    Row<st::Authenticating, ev::Exchange_failed,                st::Deleted,        act::Remove_IKE_SA,                                  none>,                     // §2.21.2
    // --- established -------------------------------------------------------------------------------------------------------------------------------------------
    Row<st::Established,    ev::INFORMATIONAL_request_received, st::Established,    act::Dispatch_to_exchange,                           grd::Not<grd::Deletes_IKE_SA>>, // §1.4
    Row<st::Established,    ev::INFORMATIONAL_request_received, st::Deleted,        act::Seq<act::Dispatch_to_exchange, act::Remove_IKE_SA>, grd::Deletes_IKE_SA>,  // §1.4.1
    Row<st::Established,    ev::Delete_requested,               st::Deleting,       act::Start_Delete_exchange,                          none>,                     // §1.4.1
    Row<st::Established,    ev::Exchange_failed,                st::Deleted,        act::Remove_IKE_SA,                                  none>,                     // §2.4
    Row<st::Established,    ev::Create_CHILD_SA_requested,      st::Established,    act::Start_CREATE_CHILD_SA_exchange,                 none>,                     // §1.3.1
    Row<st::Established,    ev::Rekey_CHILD_SA_requested,       st::Established,    act::Start_CREATE_CHILD_SA_exchange,                 none>,                     // §1.3.3
    Row<st::Established,    ev::Rekey_IKE_SA_requested,         st::Rekeying,       act::Start_CREATE_CHILD_SA_exchange,                 none>,                     // §1.3.2
    Row<st::Established,    ev::Delete_CHILD_SA_requested,      st::Established,    act::Start_Delete_CHILD_SA_exchange,                 none>,                     // §1.4.1
    Row<st::Established,    ev::Liveness_check_requested,       st::Established,    act::Start_liveness_check,                           none>,                     // §2.4
    Row<st::Established,    ev::CREATE_CHILD_SA_request_received, st::Established,  act::Dispatch_to_exchange,                           none>,                     // §1.3
    Row<st::Established,    ev::CREATE_CHILD_SA_response_received, st::Established, act::Dispatch_to_exchange,                           none>,                     // §1.3
    Row<st::Established,    ev::INVALID_KE_PAYLOAD_received,    st::Established,    act::Dispatch_to_exchange,                           none>,                     // §1.3
    Row<st::Established,    ev::Error_notify_received,          st::Established,    act::Dispatch_to_exchange,                           none>,                     // §2.21.3
    Row<st::Established,    ev::INFORMATIONAL_response_received, st::Established,   act::Dispatch_to_exchange,                           none>,                     // §1.4.1
    Row<st::Established,    ev::IKE_SA_rekeyed_by_peer,         st::Rekeyed,        none,                                                none>,                     // §2.18
    // --- rekeying (ours) and rekeyed (by the peer) ----------------------------------------------------------------------------------------------------------
    Row<st::Rekeying,       ev::CREATE_CHILD_SA_response_received, st::Rekeying,    act::Dispatch_to_exchange,                           none>,                     // §1.3.2
    Row<st::Rekeying,       ev::INVALID_KE_PAYLOAD_received,    st::Rekeying,       act::Dispatch_to_exchange,                           none>,                     // §1.3.2
    Row<st::Rekeying,       ev::Error_notify_received,          st::Rekeying,       act::Dispatch_to_exchange,                           none>,                     // §2.21.3
    Row<st::Rekeying,       ev::INFORMATIONAL_request_received, st::Rekeying,       act::Dispatch_to_exchange,                           grd::Not<grd::Deletes_IKE_SA>>, // §1.4
    Row<st::Rekeying,       ev::INFORMATIONAL_request_received, st::Deleted,        act::Seq<act::Dispatch_to_exchange, act::Remove_IKE_SA>, grd::Deletes_IKE_SA>,  // §2.25.2: forget our rekey
    Row<st::Rekeying,       ev::CREATE_CHILD_SA_request_received, st::Rekeying,     act::Dispatch_to_exchange,                           none>,                     // §2.8.2, §2.25.2
    Row<st::Rekeying,       ev::IKE_SA_rekeyed_by_peer,         st::Rekeyed,        none,                                                none>,                     // §2.8.2: the peer's new SA survives
    Row<st::Rekeying,       ev::IKE_SA_rekeyed,                 st::Deleting,       act::Start_Delete_exchange,                          none>,                     // §1.3.2: the rekey initiator deletes the old SA
    Row<st::Rekeying,       ev::CHILD_exchange_completed,       st::Established,    none,                                                none>,                     // §2.21.3: a refused rekey keeps the SA
    Row<st::Rekeying,       ev::Exchange_failed,                st::Deleted,        act::Remove_IKE_SA,                                  none>,                     // §2.4
    Row<st::Rekeyed,        ev::INFORMATIONAL_request_received, st::Deleted,        act::Seq<act::Dispatch_to_exchange, act::Remove_IKE_SA>, grd::Deletes_IKE_SA>,  // §1.4.1
    Row<st::Rekeyed,        ev::INFORMATIONAL_request_received, st::Rekeyed,        act::Dispatch_to_exchange,                           grd::Not<grd::Deletes_IKE_SA>>, // §1.4
    Row<st::Rekeyed,        ev::CREATE_CHILD_SA_request_received, st::Rekeyed,      act::Dispatch_to_exchange,                           none>,                     // §2.8.2 TEMPORARY_FAILURE
    Row<st::Idle,           ev::Rekeyed_IKE_SA_adopted,         st::Established,    none,                                                none>,                     // §2.18
    // --- deleting ----------------------------------------------------------------------------------------------------------------------------------------------
    Row<st::Deleting,       ev::INFORMATIONAL_response_received, st::Deleting,      act::Dispatch_to_exchange,                           none>,                     // §1.4.1
    Row<st::Deleting,       ev::INFORMATIONAL_request_received, st::Deleting,       act::Dispatch_to_exchange,                           grd::Not<grd::Deletes_IKE_SA>>, // §1.4.1
    Row<st::Deleting,       ev::INFORMATIONAL_request_received, st::Deleted,        act::Seq<act::Dispatch_to_exchange, act::Remove_IKE_SA>, grd::Deletes_IKE_SA>,  // §2.25.2: forget our close
    Row<st::Deleting,       ev::CREATE_CHILD_SA_request_received, st::Deleting,     act::Dispatch_to_exchange,                           none>,                     // §2.25.2 TEMPORARY_FAILURE
    Row<st::Deleting,       ev::Delete_completed,               st::Deleted,        act::Remove_IKE_SA,                                  none>,                     // §1.4.1
    Row<st::Deleting,       ev::Exchange_failed,                st::Deleted,        act::Remove_IKE_SA,                                  none>                      // §2.4
    >;
    // clang-format on
};

}  // namespace ike::model
