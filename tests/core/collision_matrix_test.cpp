// Collision matrix (RFC 7296 §2.8.1, §2.8.2, §2.25): every pair of colliding requests, each under
// every wire perturbation (reordered, dropped, duplicated, lost response, delayed), on two
// in-memory Endpoints. Each scenario asserts from the traces that both requests were in flight at
// the same time, then that both peers agree on the surviving IKE and CHILD SAs and their keys.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "tests/support/peer_pair.hpp"

namespace ike::test {
namespace {

struct Kind {
    const char* name;
    std::function<Input(Time)> a, b;
    const char* a_exchange;
    const char* b_exchange;
    long ike_sas;         // expected IKE SAs per side at the end
    long min_children, max_children;
};

Input rekey_child(Time t) { return Rekey_CHILD_SA{"home", 0, t}; }
Input rekey_ike(Time t) { return Rekey_IKE_SA{"home", t}; }
Input delete_child(Time t) { return Delete_CHILD_SA{"home", 0, t}; }
Input delete_ike(Time t) { return Terminate{"home", t}; }
Input create_child(Time t) { return Create_CHILD_SA{"home", "net", t}; }

const Kind kinds[] = {
    {"CHILD_rekey_x_CHILD_rekey", rekey_child, rekey_child, "CREATE_CHILD_SA", "CREATE_CHILD_SA", 1, 1, 1},
    {"IKE_rekey_x_IKE_rekey", rekey_ike, rekey_ike, "CREATE_CHILD_SA", "CREATE_CHILD_SA", 1, 1, 1},
    {"CHILD_rekey_x_IKE_rekey", rekey_child, rekey_ike, "CREATE_CHILD_SA", "CREATE_CHILD_SA", 1, 1, 1},
    {"CHILD_create_x_IKE_rekey", create_child, rekey_ike, "CREATE_CHILD_SA", "CREATE_CHILD_SA", 1, 1, 2},
    {"CHILD_delete_x_CHILD_delete", delete_child, delete_child, "INFORMATIONAL", "INFORMATIONAL", 1, 0, 0},
    {"CHILD_rekey_x_CHILD_delete", rekey_child, delete_child, "CREATE_CHILD_SA", "INFORMATIONAL", 1, 0, 1},
    {"IKE_delete_x_IKE_delete", delete_ike, delete_ike, "INFORMATIONAL", "INFORMATIONAL", 0, 0, 0},
    {"IKE_rekey_x_IKE_delete", rekey_ike, delete_ike, "CREATE_CHILD_SA", "INFORMATIONAL", 0, 0, 0},
};

enum class Perturbation { none, reordered, a_request_dropped, duplicated, first_response_dropped, a_request_delayed };
const Perturbation perturbations[] = {Perturbation::none, Perturbation::reordered, Perturbation::a_request_dropped,
                                      Perturbation::duplicated, Perturbation::first_response_dropped,
                                      Perturbation::a_request_delayed};
const char* name(Perturbation p) {
    switch (p) {
        case Perturbation::none: return "in_order";
        case Perturbation::reordered: return "reordered";
        case Perturbation::a_request_dropped: return "request_dropped";
        case Perturbation::duplicated: return "duplicated";
        case Perturbation::first_response_dropped: return "response_dropped";
        case Perturbation::a_request_delayed: return "request_delayed";
    }
    return "?";
}

struct Scenario {
    const Kind* kind;
    Perturbation perturbation;
};

std::vector<Scenario> all_scenarios() {
    std::vector<Scenario> out;
    for (const auto& k : kinds) {
        for (auto p : perturbations) out.push_back({&k, p});
    }
    return out;
}

long index_of(const Side& s, bool sent, const std::string& prefix, std::size_t from) {
    for (std::size_t i = from; i < s.traces.size(); ++i) {
        if (s.traces[i].sent == sent && s.traces[i].notation.rfind(prefix, 0) == 0) return static_cast<long>(i);
    }
    return -1;
}

const Child_sa* installed(const Side& s, std::uint32_t spi_in) {
    for (const auto& c : s.installed) {
        if (c.spi_in == spi_in) return &c;
    }
    return nullptr;
}

bool is_response(const Bytes& b) { return b.size() > 19 && (b[19] & flag::Response) != 0; }

class Collision_matrix : public ::testing::TestWithParam<Scenario> {};

TEST_P(Collision_matrix, both_requests_overlap_and_both_peers_agree) {
    const Scenario sc = GetParam();
    Peer_pair p(make_config(true), make_config(false), 21, 22);
    p.initiate();
    p.run();
    ASSERT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established));
    const auto mark_a = p.a.traces.size(), mark_b = p.b.traces.size();

    p.absorb(p.a, true, p.a.ep->handle(sc.kind->a(p.now)));
    p.absorb(p.b, false, p.b.ep->handle(sc.kind->b(p.now)));
    ASSERT_EQ(p.wire.size(), 2u);  // [a's request, b's request]: both in flight

    bool response_dropped = false;
    switch (sc.perturbation) {
        case Perturbation::none: break;
        case Perturbation::reordered: std::swap(p.wire[0], p.wire[1]); break;
        case Perturbation::a_request_dropped: p.wire.pop_front(); break;  // a retransmits later
        case Perturbation::duplicated:
            p.wire.push_back(p.wire[0]);
            p.wire.push_back(p.wire[1]);
            break;
        case Perturbation::first_response_dropped:
            p.filter = [&response_dropped](const In_flight& f) {
                if (!response_dropped && is_response(f.d.bytes)) return !(response_dropped = true);
                return true;
            };
            break;
        case Perturbation::a_request_delayed: {
            // b's request is delivered and answered before a's request leaves the wire.
            In_flight a_req = p.wire.front();
            p.wire.pop_front();
            ASSERT_TRUE(p.deliver_one());
            while (p.deliver_one()) {}
            p.wire.push_back(a_req);
            break;
        }
    }
    p.run();

    // Overlap: each side sent its request before it received the other's (§2.25).
    const long a_sent = index_of(p.a, true, std::string(sc.kind->a_exchange) + " request", mark_a);
    const long a_got = index_of(p.a, false, std::string(sc.kind->b_exchange) + " request", mark_a);
    const long b_sent = index_of(p.b, true, std::string(sc.kind->b_exchange) + " request", mark_b);
    const long b_got = index_of(p.b, false, std::string(sc.kind->a_exchange) + " request", mark_b);
    ASSERT_GE(a_sent, 0) << p.transcript();
    ASSERT_GE(b_sent, 0) << p.transcript();
    if (a_got >= 0) {
        EXPECT_LT(a_sent, a_got) << p.transcript();
    }
    if (b_got >= 0) {
        EXPECT_LT(b_sent, b_got) << p.transcript();
    }
    EXPECT_TRUE(a_got >= 0 || b_got >= 0) << p.transcript();

    // Agreement.
    const auto la = p.a.ep->list();
    const auto lb = p.b.ep->list();
    ASSERT_EQ(static_cast<long>(la.size()), sc.kind->ike_sas) << p.transcript();
    ASSERT_EQ(static_cast<long>(lb.size()), sc.kind->ike_sas) << p.transcript();
    if (sc.kind->ike_sas == 0) {
        EXPECT_TRUE(p.a.timers.empty());
        EXPECT_TRUE(p.b.timers.empty());
        return;
    }
    EXPECT_EQ(la[0].SPIi, lb[0].SPIi) << p.transcript();
    EXPECT_EQ(la[0].SPIr, lb[0].SPIr) << p.transcript();
    EXPECT_EQ(la[0].state, "Established") << p.transcript();
    EXPECT_EQ(lb[0].state, "Established") << p.transcript();
    ASSERT_EQ(la[0].children.size(), lb[0].children.size()) << p.transcript();
    EXPECT_GE(static_cast<long>(la[0].children.size()), sc.kind->min_children) << p.transcript();
    EXPECT_LE(static_cast<long>(la[0].children.size()), sc.kind->max_children) << p.transcript();
    for (const auto& ca : la[0].children) {
        const auto it = std::find_if(lb[0].children.begin(), lb[0].children.end(),
                                     [&](const Ike_sa_info::Child& cb) { return cb.spi_in == ca.spi_out; });
        ASSERT_NE(it, lb[0].children.end()) << p.transcript();
        EXPECT_EQ(it->spi_out, ca.spi_in);
        EXPECT_EQ(installed(p.a, ca.spi_in)->encr_key_out.hex(), installed(p.b, it->spi_in)->encr_key_in.hex());
    }
    // The surviving IKE SA's keys are the same on both sides.
    const Keys_derived* ka = nullptr;
    const Keys_derived* kb = nullptr;
    for (const auto& k : p.a.keys) {
        if (k.SPIi == la[0].SPIi && k.SPIr == la[0].SPIr) ka = &k;
    }
    for (const auto& k : p.b.keys) {
        if (k.SPIi == lb[0].SPIi && k.SPIr == lb[0].SPIr) kb = &k;
    }
    ASSERT_TRUE(ka && kb);
    EXPECT_EQ(ka->SK_d.hex(), kb->SK_d.hex());
    EXPECT_EQ(ka->SK_er.hex(), kb->SK_er.hex());
    // Nothing is left waiting: no request outstanding, the SA still answers.
    p.absorb(p.a, true, p.a.ep->handle(Create_CHILD_SA{"home", "net", p.now}));
    p.run();
    EXPECT_EQ(p.a.ep->list().at(0).children.size(), la[0].children.size() + 1) << p.transcript();
}

INSTANTIATE_TEST_SUITE_P(Scenarios, Collision_matrix, ::testing::ValuesIn(all_scenarios()),
                         [](const ::testing::TestParamInfo<Scenario>& i) {
                             return std::string(i.param.kind->name) + "__" + name(i.param.perturbation);
                         });

}  // namespace
}  // namespace ike::test
