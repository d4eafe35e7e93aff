// Definition of Machine_facade<Def>, included only by the TU that owns machine Def; it ends with
// IKEREF_INSTANTIATE_MACHINE(Def), which instantiates the facade for every event type.
#pragma once

#include <boost/core/demangle.hpp>
#include <string>
#include <type_traits>

#include "model/machine_base.hpp"
#include "model/machines.hpp"

namespace ike::model {

template <class T, class = void>
struct Has_label : std::false_type {};
template <class T>
struct Has_label<T, std::void_t<decltype(T::label())>> : std::true_type {};

/// The name of a row cell: states and events by `name`, guards and actions by `label()`
/// (which composes Not<>, And<>, Seq<>), msmf::none as the empty string.
template <class T>
std::string label_of() {
    if constexpr (std::is_same_v<T, none>) {
        return "";
    } else if constexpr (Has_label<T>::value) {
        return T::label();
    } else {
        return T::name;
    }
}

template <class Def>
struct Machine_facade<Def>::Impl {
    Machine<Def> fsm;
};

template <class Def>
Machine_facade<Def>::Machine_facade(Ike_sa_ops& ops) : impl_(std::make_unique<Impl>()) {
    impl_->fsm.ops_ = &ops;
    impl_->fsm.start();
}

template <class Def>
Machine_facade<Def>::~Machine_facade() = default;

template <class Def>
template <class Event>
void Machine_facade<Def>::process(const Event& e) {
    impl_->fsm.process_event(e);
}

template <class Def>
const char* Machine_facade<Def>::state() const {
    return impl_->fsm.state_name_;
}

template <class Def>
const char* Machine_facade<Def>::name() {
    return Def::name;
}

template <class T>
struct Type_wrap {
    using type = Type_wrap<T>;  // mpl::for_each applies the wrapper as a metafunction
    using inner = T;
};

template <class Def>
std::vector<Row_info> Machine_facade<Def>::rows() {
    std::vector<Row_info> out;
    boost::mpl::for_each<typename Def::transition_table, Type_wrap<boost::mpl::placeholders::_1>>(
        [&out](auto w) {
            using R = typename decltype(w)::inner;
            out.push_back(Row_info{label_of<typename R::Source>(), label_of<typename R::Evt>(),
                                   label_of<typename R::Target>(), label_of<typename R::Action>(),
                                   label_of<typename R::Guard>()});
        });
    return out;
}

}  // namespace ike::model

#define IKEREF_INSTANTIATE_EVENT(Def, E) \
    template void ike::model::Machine_facade<Def>::process<ike::model::ev::E>(const ike::model::ev::E&);

#define IKEREF_INSTANTIATE_MACHINE(Def)                                     \
    template class ike::model::Machine_facade<Def>;                         \
    IKEREF_INSTANTIATE_EVENT(Def, Initiate_requested)                       \
    IKEREF_INSTANTIATE_EVENT(Def, Delete_requested)                         \
    IKEREF_INSTANTIATE_EVENT(Def, Retransmit_timer_expired)                 \
    IKEREF_INSTANTIATE_EVENT(Def, IKE_SA_INIT_request_received)             \
    IKEREF_INSTANTIATE_EVENT(Def, IKE_AUTH_request_received)                \
    IKEREF_INSTANTIATE_EVENT(Def, INFORMATIONAL_request_received)           \
    IKEREF_INSTANTIATE_EVENT(Def, IKE_SA_INIT_response_received)            \
    IKEREF_INSTANTIATE_EVENT(Def, COOKIE_received)                          \
    IKEREF_INSTANTIATE_EVENT(Def, INVALID_KE_PAYLOAD_received)              \
    IKEREF_INSTANTIATE_EVENT(Def, Error_notify_received)                    \
    IKEREF_INSTANTIATE_EVENT(Def, IKE_AUTH_response_received)               \
    IKEREF_INSTANTIATE_EVENT(Def, INFORMATIONAL_response_received)          \
    IKEREF_INSTANTIATE_EVENT(Def, IKE_SA_INIT_completed)                    \
    IKEREF_INSTANTIATE_EVENT(Def, IKE_AUTH_completed)                       \
    IKEREF_INSTANTIATE_EVENT(Def, Exchange_failed)                          \
    IKEREF_INSTANTIATE_EVENT(Def, Delete_completed)                         \
    IKEREF_INSTANTIATE_EVENT(Def, IKE_SA_delete_received)                  \
    IKEREF_INSTANTIATE_EVENT(Def, Create_CHILD_SA_requested)                \
    IKEREF_INSTANTIATE_EVENT(Def, Rekey_CHILD_SA_requested)                 \
    IKEREF_INSTANTIATE_EVENT(Def, Rekey_IKE_SA_requested)                   \
    IKEREF_INSTANTIATE_EVENT(Def, Delete_CHILD_SA_requested)                \
    IKEREF_INSTANTIATE_EVENT(Def, Liveness_check_requested)                 \
    IKEREF_INSTANTIATE_EVENT(Def, CREATE_CHILD_SA_request_received)         \
    IKEREF_INSTANTIATE_EVENT(Def, CREATE_CHILD_SA_response_received)        \
    IKEREF_INSTANTIATE_EVENT(Def, CHILD_exchange_completed)                 \
    IKEREF_INSTANTIATE_EVENT(Def, IKE_SA_rekeyed)                           \
    IKEREF_INSTANTIATE_EVENT(Def, IKE_SA_rekeyed_by_peer)                   \
    IKEREF_INSTANTIATE_EVENT(Def, Rekeyed_IKE_SA_adopted)
