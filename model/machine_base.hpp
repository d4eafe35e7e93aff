// The common base of every machine definition and of every state: state names for listings and
// diagnostics, and no_transition / exception_caught turned into diagnostics (never an assert).
#pragma once

#include <exception>

#include "model/msm_prelude.hpp"
#include "model/context.hpp"

namespace ike::model {

/// Base of every machine definition: holds the IKE SA it runs for and reports unexpected events
/// as diagnostics instead of asserting (ARCHITECTURE.md, Errors).
template <class Derived>
struct Machine_base : msmf::state_machine_def<Derived> {
    Ike_sa_ops* ops_ = nullptr;
    const char* state_name_ = "";
    Ike_sa_ops& ops() { return *ops_; }

    template <class Fsm, class Event>
    void no_transition(const Event&, Fsm&, int) {
        if (ops_) ops_->no_transition(Derived::name, state_name_, Event::name);
    }
    template <class Fsm, class Event>
    void exception_caught(const Event&, Fsm&, std::exception& e) {
        if (ops_) ops_->no_transition(Derived::name, state_name_, e.what());
    }
};

/// Every state records its name in the machine when entered.
template <class Derived>
struct Named_state : msmf::state<> {
    template <class Event, class Fsm>
    void on_entry(const Event&, Fsm& fsm) {
        fsm.state_name_ = Derived::name;
    }
};

}  // namespace ike::model
