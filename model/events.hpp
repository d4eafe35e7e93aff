// ev:: what happened. Core decodes, decrypts and classifies every datagram, then raises one of
// these; API requests and timers become events too. The MSM never sees bytes (ARCHITECTURE.md).
#pragma once

#include <type_traits>

#include "ike/message.hpp"

namespace ike::model::ev {

/// Events that carry the decoded (and, inside SK, decrypted) message that caused them.
struct With_message {
    const Message* msg = nullptr;
};

#define IKEREF_EVENT(Name)                                 \
    struct Name {                                          \
        static constexpr const char* name = #Name;         \
    }
#define IKEREF_MESSAGE_EVENT(Name)                         \
    struct Name : With_message {                           \
        static constexpr const char* name = #Name;         \
    }

// API requests and timers.
IKEREF_EVENT(Initiate_requested);          ///< start an IKE SA as original initiator (§1.2)
IKEREF_EVENT(Delete_requested);            ///< delete the IKE SA (§1.4.1)
IKEREF_EVENT(Retransmit_timer_expired);    ///< the requester's timer (§2.1)
IKEREF_EVENT(Create_CHILD_SA_requested);   ///< a new CHILD SA (§1.3.1)
IKEREF_EVENT(Rekey_CHILD_SA_requested);    ///< §1.3.3
IKEREF_EVENT(Rekey_IKE_SA_requested);      ///< §1.3.2
IKEREF_EVENT(Delete_CHILD_SA_requested);   ///< §1.4.1
IKEREF_EVENT(Liveness_check_requested);    ///< the peer was silent for dpd_delay (§2.4)

// Requests from the peer, classified by exchange (§1.2, §1.4).
IKEREF_MESSAGE_EVENT(IKE_SA_INIT_request_received);
IKEREF_MESSAGE_EVENT(IKE_AUTH_request_received);
IKEREF_MESSAGE_EVENT(INFORMATIONAL_request_received);
IKEREF_MESSAGE_EVENT(CREATE_CHILD_SA_request_received);

// Responses from the peer, classified by what they carry.
IKEREF_MESSAGE_EVENT(IKE_SA_INIT_response_received);
IKEREF_MESSAGE_EVENT(COOKIE_received);               ///< IKE_SA_INIT response { N(COOKIE) }, §2.6
IKEREF_MESSAGE_EVENT(INVALID_KE_PAYLOAD_received);   ///< IKE_SA_INIT response { N(INVALID_KE_PAYLOAD) }, §1.2
IKEREF_MESSAGE_EVENT(Error_notify_received);         ///< a response holding only error notifies, §2.21
IKEREF_MESSAGE_EVENT(IKE_AUTH_response_received);
IKEREF_MESSAGE_EVENT(INFORMATIONAL_response_received);
IKEREF_MESSAGE_EVENT(CREATE_CHILD_SA_response_received);

// Completions raised by core when an exchange machine reaches a final state; they drive the
// IKE SA lifecycle machine.
IKEREF_EVENT(IKE_SA_INIT_completed);
IKEREF_EVENT(IKE_AUTH_completed);
IKEREF_EVENT(Exchange_failed);
IKEREF_EVENT(Delete_completed);
IKEREF_EVENT(IKE_SA_delete_received);
IKEREF_EVENT(CHILD_exchange_completed);    ///< a CREATE_CHILD_SA or CHILD SA Delete ended (either way)
IKEREF_EVENT(IKE_SA_rekeyed);              ///< we rekeyed this IKE SA: the new one took over (§1.3.2)
IKEREF_EVENT(IKE_SA_rekeyed_by_peer);      ///< the peer rekeyed it; it waits for the peer's Delete
IKEREF_EVENT(Rekeyed_IKE_SA_adopted);      ///< a new IKE SA born from a rekey starts established

#undef IKEREF_EVENT
#undef IKEREF_MESSAGE_EVENT

/// The message of an event, or nullptr for events without one. (A template overload would
/// beat a base-class overload in resolution, so this is one template with a compile-time test.)
template <class E>
const Message* message_of(const E& e) {
    if constexpr (std::is_base_of_v<With_message, E>) {
        return e.msg;
    } else {
        return nullptr;
    }
}

}  // namespace ike::model::ev
