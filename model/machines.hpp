// Non-template facades over the MSM machines, so that core never includes Boost.MSM (one machine
// per translation unit keeps each compile under ~1 GB; ARCHITECTURE.md). Every event type can be
// sent to every machine: an event without a row becomes a no_transition diagnostic.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/context.hpp"
#include "model/events.hpp"

namespace ike::model {

/// One transition table row, as exported for DOT/markdown/JSON and the edge-count test.
struct Row_info {
    std::string source, event, target, action, guard;
};

/// A machine definition `Def` (an MSM front end) behind a pimpl. Instantiated explicitly in the
/// machine's own TU (model/exchanges/*.cpp, model/ike_sa.cpp).
template <class Def>
class Machine_facade {
public:
    explicit Machine_facade(Ike_sa_ops& ops);
    ~Machine_facade();
    Machine_facade(const Machine_facade&) = delete;
    Machine_facade& operator=(const Machine_facade&) = delete;

    template <class Event>
    void process(const Event& e);
    /// Name of the current state (st::*::name).
    const char* state() const;
    static const char* name();
    static std::vector<Row_info> rows();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

struct IKE_SA_def;             // model/ike_sa.hpp: the IKE SA lifecycle
struct IKE_SA_INIT_def;        // model/exchanges/ike_sa_init.hpp
struct IKE_AUTH_def;           // model/exchanges/ike_auth.hpp
struct INFORMATIONAL_def;      // model/exchanges/informational.hpp
struct CREATE_CHILD_SA_def;    // model/exchanges/create_child_sa.hpp

using IKE_SA_machine = Machine_facade<IKE_SA_def>;
using IKE_SA_INIT_machine = Machine_facade<IKE_SA_INIT_def>;
using IKE_AUTH_machine = Machine_facade<IKE_AUTH_def>;
using INFORMATIONAL_machine = Machine_facade<INFORMATIONAL_def>;
using CREATE_CHILD_SA_machine = Machine_facade<CREATE_CHILD_SA_def>;

/// Every machine's name and rows, in a fixed order (for `ikeref model` and the tests).
struct Table_info {
    std::string machine;
    std::vector<Row_info> rows;
};
std::vector<Table_info> all_tables();

}  // namespace ike::model
