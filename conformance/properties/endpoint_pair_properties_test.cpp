// RapidCheck stateful properties (rc::state) over two in-memory Endpoints with the commands
// Deliver, Drop, Duplicate, Reorder, Advance_time, Initiate, Rekey_IKE_SA, Rekey_CHILD_SA,
// Delete, Corrupt and Forge_AUTH. Every step is judged by the reference model and the
// invariants of RFC 7296; each property asserts its own verdict and classifies its runs.
//
// Size: RC_PARAMS (e.g. "max_success=10000") sets the number of cases (default below: 1000 at a
// fixed seed); see README.md for the
// 10,000-case run. Each property also asserts, over the whole run, that at least a third of the
// cases reached an established SA and at least one in twenty had a collision (issue 6).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>

#include "conformance/properties/world.hpp"

namespace ike::properties {
namespace {

struct Model {
    bool initiated = false;
};
using Cmd = rc::state::Command<Model, World>;

struct Initiate_cmd : Cmd {
    void checkPreconditions(const Model& m) const override { RC_PRE(!m.initiated); }
    void apply(Model& m) const override { m.initiated = true; }
    void run(const Model&, World& w) const override { w.initiate(); }
    void show(std::ostream& os) const override { os << "Initiate"; }
};
struct Deliver_cmd : Cmd {
    void run(const Model&, World& w) const override { w.deliver(); }
    void show(std::ostream& os) const override { os << "Deliver"; }
};
struct Drop_cmd : Cmd {
    void run(const Model&, World& w) const override { w.drop(); }
    void show(std::ostream& os) const override { os << "Drop"; }
};
struct Duplicate_cmd : Cmd {
    void run(const Model&, World& w) const override { w.duplicate(); }
    void show(std::ostream& os) const override { os << "Duplicate"; }
};
struct Reorder_cmd : Cmd {
    std::size_t k = *rc::gen::inRange<std::size_t>(0, 4);
    void run(const Model&, World& w) const override { w.reorder(k); }
    void show(std::ostream& os) const override { os << "Reorder(" << k << ")"; }
};
struct Advance_time_cmd : Cmd {
    // Mostly short steps; sometimes long enough to exhaust the retransmissions (1+2+4+8 s).
    int ms = *rc::gen::weightedElement<int>({{6, 500}, {4, 1000}, {2, 2500}, {1, 16000}});
    void run(const Model&, World& w) const override { w.advance(std::chrono::milliseconds(ms)); }
    void show(std::ostream& os) const override { os << "Advance_time(" << ms << "ms)"; }
};
Who gen_who() { return *rc::gen::weightedElement<Who>({{3, Who::A}, {3, Who::B}, {4, Who::both}}); }
const char* name(Who w) { return w == Who::A ? "A" : w == Who::B ? "B" : "both"; }
struct Rekey_IKE_SA_cmd : Cmd {
    Who who = gen_who();
    void checkPreconditions(const Model& m) const override { RC_PRE(m.initiated); }
    void run(const Model&, World& w) const override { w.rekey_IKE_SA(who); }
    void show(std::ostream& os) const override { os << "Rekey_IKE_SA(" << name(who) << ")"; }
};
struct Rekey_CHILD_SA_cmd : Cmd {
    Who who = gen_who();
    void checkPreconditions(const Model& m) const override { RC_PRE(m.initiated); }
    void run(const Model&, World& w) const override { w.rekey_CHILD_SA(who); }
    void show(std::ostream& os) const override { os << "Rekey_CHILD_SA(" << name(who) << ")"; }
};
struct Delete_cmd : Cmd {
    Who who = *rc::gen::element(Who::A, Who::B);
    bool child = *rc::gen::weightedElement<bool>({{3, true}, {1, false}});
    void checkPreconditions(const Model& m) const override { RC_PRE(m.initiated); }
    void run(const Model&, World& w) const override { child ? w.delete_CHILD_SA(who) : w.delete_IKE_SA(who); }
    void show(std::ostream& os) const override { os << "Delete(" << name(who) << (child ? ", CHILD" : ", IKE") << ")"; }
};
struct Corrupt_cmd : Cmd {
    void run(const Model&, World& w) const override { w.corrupt_head(); }
    void show(std::ostream& os) const override { os << "Corrupt"; }
};
struct Forge_AUTH_cmd : Cmd {
    void run(const Model&, World& w) const override { w.forge_AUTH(); }
    void show(std::ostream& os) const override { os << "Forge_AUTH"; }
};

/// Weights of one property's command mix.
struct Mix {
    int deliver = 30, drop = 3, duplicate = 3, reorder = 3, advance = 4, rekey_IKE = 4, rekey_CHILD = 4,
        del = 1, corrupt = 1, forge = 0;
};

auto commands(const Mix& mix) {
    return [mix](const Model& m) {
        using G = rc::Gen<std::shared_ptr<const Cmd>>;
        using rc::state::gen::execOneOfWithArgs;
        // Initiate first most of the time, so that most runs get to an SA.
        std::vector<std::pair<std::size_t, G>> gens = {
            {static_cast<std::size_t>(m.initiated ? 0 : 40), execOneOfWithArgs<Initiate_cmd>()()},
            {static_cast<std::size_t>(mix.deliver), execOneOfWithArgs<Deliver_cmd>()()},
            {static_cast<std::size_t>(mix.drop), execOneOfWithArgs<Drop_cmd>()()},
            {static_cast<std::size_t>(mix.duplicate), execOneOfWithArgs<Duplicate_cmd>()()},
            {static_cast<std::size_t>(mix.reorder), execOneOfWithArgs<Reorder_cmd>()()},
            {static_cast<std::size_t>(mix.advance), execOneOfWithArgs<Advance_time_cmd>()()},
            {static_cast<std::size_t>(m.initiated ? mix.rekey_IKE : 0), execOneOfWithArgs<Rekey_IKE_SA_cmd>()()},
            {static_cast<std::size_t>(m.initiated ? mix.rekey_CHILD : 0), execOneOfWithArgs<Rekey_CHILD_SA_cmd>()()},
            {static_cast<std::size_t>(m.initiated ? mix.del : 0), execOneOfWithArgs<Delete_cmd>()()},
            {static_cast<std::size_t>(mix.corrupt), execOneOfWithArgs<Corrupt_cmd>()()},
            {static_cast<std::size_t>(mix.forge), execOneOfWithArgs<Forge_AUTH_cmd>()()},
        };
        gens.erase(std::remove_if(gens.begin(), gens.end(), [](const auto& g) { return g.first == 0; }), gens.end());
        std::size_t total = 0;
        for (const auto& g : gens) total += g.first;
        return rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, total), [gens](std::size_t x) {
            for (const auto& g : gens) {
                if (x < g.first) return g.second;
                x -= g.first;
            }
            return gens.back().second;
        });
    };
}

enum class Property {
    reference_agrees,
    message_ids,
    retransmission_identical,
    simultaneous_rekey_same_SA,
    no_key_after_delete,
    timers_fire_or_cancel,
    no_SA_without_valid_AUTH
};

struct Counts {
    std::atomic<int> runs{0}, established{0}, collision{0}, loss{0};
};

std::string first(const std::vector<std::string>& v) { return v.empty() ? std::string() : v.front(); }

void one_case(Property p, const Mix& mix, Counts& counts) {
    const auto seed_a = *rc::gen::inRange<std::uint64_t>(1, 1u << 30);
    // Different seeds: equal random streams would give both peers the same nonces (§2.8 ties).
    const auto seed_b = seed_a + *rc::gen::inRange<std::uint64_t>(1, 1u << 30);
    World w(seed_a, seed_b);
    rc::state::check(Model{}, w, commands(mix));
    w.finish();

    ++counts.runs;
    if (w.stats.established) ++counts.established;
    if (w.stats.collision) ++counts.collision;
    if (w.stats.lost > 0) ++counts.loss;
    RC_CLASSIFY(w.stats.established, "reached an established SA");
    RC_CLASSIFY(w.stats.collision, "had a collision");
    RC_CLASSIFY(w.stats.lost > 0, "had loss");

    const std::string t = "\n" + w.transcript();
    switch (p) {
        case Property::reference_agrees:
            if (!w.reference_diffs.empty()) RC_FAIL(first(w.reference_diffs) + t);
            break;
        case Property::message_ids:
            if (!w.message_id_errors.empty()) RC_FAIL(first(w.message_id_errors) + t);
            break;
        case Property::retransmission_identical:
            if (!w.retransmission_errors.empty()) RC_FAIL(first(w.retransmission_errors) + t);
            break;
        case Property::simultaneous_rekey_same_SA:
            // Only where both sides could end in agreement: no forged or failed SA.
            if (!w.stats.failed && w.stats.forged_AUTH == 0) {
                const auto why = w.same_SAs_after_finish();
                if (!why.empty()) RC_FAIL(why + t);
            }
            break;
        case Property::no_key_after_delete:
            if (!w.key_after_delete_errors.empty()) RC_FAIL(first(w.key_after_delete_errors) + t);
            break;
        case Property::timers_fire_or_cancel: {
            if (!w.timer_errors.empty()) RC_FAIL(first(w.timer_errors) + t);
            const auto why = w.quiescent_after_finish();
            if (!why.empty()) RC_FAIL(why + t);
            break;
        }
        case Property::no_SA_without_valid_AUTH:
            if (!w.auth_errors.empty()) RC_FAIL(first(w.auth_errors) + t);
            break;
    }
}

void run_property(const char* title, Property p, const Mix& mix) {
    Counts counts;
    const bool ok = rc::check(title, [&] { one_case(p, mix, counts); });
    EXPECT_TRUE(ok);
    const int n = counts.runs.load();
    std::cout << "[ classification ] " << title << ": " << n << " runs, established " << counts.established
              << ", collision " << counts.collision << ", loss " << counts.loss << "\n";
    if (!ok || n == 0) return;
    // Issue 6: at least a third of the runs reach an established SA, one in twenty collides.
    EXPECT_GE(3 * counts.established.load(), n) << "too few runs reached an established SA";
    EXPECT_GE(20 * counts.collision.load(), n) << "too few runs had a collision";
}

// ctest runs 1000 cases with a fixed seed (reproducible CI, ~9 s); RC_PARAMS set by the caller wins.
[[maybe_unused]] const bool ci_seed = [] {
    if (!std::getenv("RC_PARAMS")) setenv("RC_PARAMS", "seed=20261129 max_success=1000", 0);
    return true;
}();

}  // namespace

TEST(Endpoint_pair_properties, reference_model_agrees_on_every_step) {
    run_property("the MSM machines and the reference model agree on every observable step",
                 Property::reference_agrees, Mix{});
}
TEST(Endpoint_pair_properties, message_ids_follow_2_2) {
    run_property("Message IDs: 0,1,2.. per IKE SA; each request answered once (§2.2)", Property::message_ids, Mix{});
}
TEST(Endpoint_pair_properties, retransmissions_are_byte_identical) {
    Mix mix;
    mix.drop = 6;
    mix.duplicate = 6;
    mix.advance = 6;
    mix.rekey_IKE = 6;
    mix.rekey_CHILD = 6;
    run_property("a retransmission is byte-identical to the original (§2.1)", Property::retransmission_identical, mix);
}
TEST(Endpoint_pair_properties, simultaneous_rekey_keeps_the_same_SA_on_both_sides) {
    Mix mix;
    mix.rekey_IKE = 6;
    mix.rekey_CHILD = 6;
    mix.del = 0;
    mix.corrupt = 0;
    run_property("after a simultaneous rekey both sides keep the same SA (§2.8)",
                 Property::simultaneous_rekey_same_SA, mix);
}
TEST(Endpoint_pair_properties, no_key_is_used_after_its_SA_is_deleted) {
    Mix mix;
    mix.del = 4;
    run_property("no key is used after its SA is deleted (§1.4.1)", Property::no_key_after_delete, mix);
}
TEST(Endpoint_pair_properties, every_armed_timer_fires_or_is_cancelled) {
    run_property("every armed timer fires or is cancelled; nothing hangs (§2.1, §2.4)",
                 Property::timers_fire_or_cancel, Mix{});
}
TEST(Endpoint_pair_properties, no_SA_without_a_valid_AUTH) {
    Mix mix;
    mix.forge = 4;
    mix.corrupt = 3;
    run_property("no SA is established or advanced without a valid AUTH (§2.15, §2.21)",
                 Property::no_SA_without_valid_AUTH, mix);
}

}  // namespace ike::properties
