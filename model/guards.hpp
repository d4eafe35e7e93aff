// grd:: guards as RFC predicates. Each asks the IKE SA (Ike_sa_ops); Not<> and And<> compose
// them so that rows with the same source and event are mutually exclusive.
#pragma once

#include <string>

#include "model/events.hpp"
#include "model/machine_base.hpp"

namespace ike::model::grd {

#define IKEREF_GUARD(Name, expr)                                                   \
    struct Name {                                                                  \
        static constexpr const char* name = #Name;                                 \
        static std::string label() { return name; }                                \
        template <class E, class F, class S, class T>                              \
        bool operator()(const E& e, F& fsm, S&, T&) const {                        \
            [[maybe_unused]] const Message* m = ev::message_of(e);                 \
            return (expr);                                                         \
        }                                                                          \
    }

IKEREF_GUARD(Is_original_initiator, fsm.ops().is_original_initiator());
IKEREF_GUARD(Retransmissions_left, fsm.ops().retransmissions_left());                  // §2.1
IKEREF_GUARD(Cookie_retries_left, fsm.ops().cookie_retries_left());                    // §2.6
IKEREF_GUARD(Requested_group_acceptable, m && fsm.ops().requested_group_acceptable(*m));  // §1.2
IKEREF_GUARD(Response_acceptable, m && fsm.ops().IKE_SA_INIT_response_acceptable(*m));    // §2.7
IKEREF_GUARD(Proposal_acceptable, m && fsm.ops().IKE_SA_INIT_proposal_acceptable(*m));    // §2.7
IKEREF_GUARD(Peer_KE_valid, m && fsm.ops().peer_KE_value_valid(*m));                      // RFC 6989 §2
IKEREF_GUARD(Peer_AUTH_valid, m && fsm.ops().peer_AUTH_valid(*m));                        // §2.15
IKEREF_GUARD(CHILD_SA_acceptable, m && fsm.ops().CHILD_SA_acceptable(*m));                // §2.9
IKEREF_GUARD(CHILD_SA_response_acceptable, m && fsm.ops().CHILD_SA_response_acceptable(*m));
IKEREF_GUARD(Deletes_IKE_SA, m && fsm.ops().deletes_IKE_SA(*m));                          // §1.4.1
IKEREF_GUARD(Rekeys_IKE_SA, m && fsm.ops().is_IKE_SA_rekey(*m));                           // §1.3.2
IKEREF_GUARD(Rekeys_CHILD_SA, m && fsm.ops().is_CHILD_SA_rekey(*m));                       // §1.3.3
IKEREF_GUARD(New_IKE_SA_acceptable, m && fsm.ops().new_IKE_SA_acceptable(*m));             // §2.18
IKEREF_GUARD(CHILD_SA_rekey_acceptable, m && fsm.ops().CHILD_SA_rekey_acceptable(*m));     // §1.3.3
IKEREF_GUARD(New_CHILD_SA_acceptable, m && fsm.ops().new_CHILD_SA_acceptable(*m));         // §1.3.1
IKEREF_GUARD(Temporary_condition, m && fsm.ops().temporary_condition(*m));                 // §2.25
IKEREF_GUARD(CREATE_CHILD_SA_response_acceptable, m && fsm.ops().CREATE_CHILD_SA_response_acceptable(*m));

#undef IKEREF_GUARD

template <class G>
struct Not {
    static std::string label() { return "!" + G::label(); }
    template <class E, class F, class S, class T>
    bool operator()(const E& e, F& fsm, S& s, T& t) const {
        return !G()(e, fsm, s, t);
    }
};

template <class A, class B>
struct And;

/// Neither an IKE SA rekey nor a CHILD SA rekey: a new CHILD SA (§1.3.1).
struct Creates_CHILD_SA {
    static constexpr const char* name = "Creates_CHILD_SA";
    static std::string label() { return name; }
    template <class E, class F, class S, class T>
    bool operator()(const E& e, F& fsm, S& s, T& t) const {
        return !Rekeys_IKE_SA()(e, fsm, s, t) && !Rekeys_CHILD_SA()(e, fsm, s, t);
    }
};

template <class A, class B>
struct And {
    static std::string label() { return A::label() + " && " + B::label(); }
    template <class E, class F, class S, class T>
    bool operator()(const E& e, F& fsm, S& s, T& t) const {
        return A()(e, fsm, s, t) && B()(e, fsm, s, t);
    }
};

}  // namespace ike::model::grd
