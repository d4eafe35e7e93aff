// Exchange collisions on two in-memory Endpoints (RFC 7296 §2.8.1, §2.8.2, §2.25). Each scenario
// asserts from the traces that the colliding requests really were in flight at the same time,
// then that both peers end with the same surviving SAs and keys.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "tests/support/peer_pair.hpp"
#include "tests/support/sa_checks.hpp"

namespace ike::test {
namespace {

Peer_pair established() {
    Peer_pair p(make_config(true), make_config(false), 11, 12);
    p.initiate();
    p.run();
    EXPECT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    return p;
}

/// Index of the first trace on `s` that starts with `prefix` (sent or received as asked), or -1.
long trace_index(const Side& s, bool sent, const std::string& prefix, std::size_t from = 0) {
    for (std::size_t i = from; i < s.traces.size(); ++i) {
        if (s.traces[i].sent == sent && s.traces[i].notation.rfind(prefix, 0) == 0) return static_cast<long>(i);
    }
    return -1;
}

/// On side `s`: its own `exchange` request went out before it received the peer's request of
/// the same exchange, and that arrived before its own response: the two were in flight together.
void expect_overlap(const Side& s, const std::string& exchange, std::size_t from) {
    const long sent_req = trace_index(s, true, exchange + " request", from);
    const long got_req = trace_index(s, false, exchange + " request", from);
    const long got_resp = trace_index(s, false, exchange + " response", from);
    ASSERT_GE(sent_req, 0);
    ASSERT_GE(got_req, 0);
    ASSERT_GE(got_resp, 0);
    EXPECT_LT(sent_req, got_req);
    EXPECT_LT(got_req, got_resp);
}

TEST(Collision, simultaneous_CHILD_SA_rekey_keeps_one_new_SA_chosen_by_the_lowest_nonce) {
    auto p = established();
    const auto mark_a = p.a.traces.size(), mark_b = p.b.traces.size();
    const auto old_a = p.a.ep->list()[0].children[0].spi_in;
    request(p, true, Rekey_CHILD_SA{"home", 0, p.now});
    request(p, false, Rekey_CHILD_SA{"home", 0, p.now});
    ASSERT_EQ(p.wire.size(), 2u);  // both requests are on the wire before either is answered
    p.run();
    expect_overlap(p.a, "CREATE_CHILD_SA", mark_a);
    expect_overlap(p.b, "CREATE_CHILD_SA", mark_b);
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.8.1-rekey-collision")) << p.transcript();
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.8.1-rekey-collision")) << p.transcript();
    expect_same_SAs(p, 1);
    EXPECT_NE(p.a.ep->list()[0].children[0].spi_in, old_a);  // the old SA is gone, a new one survives
    EXPECT_EQ(p.a.installed.size(), 3u);                      // old + two new, one of them closed
}

TEST(Collision, simultaneous_CHILD_SA_rekey_with_a_lost_request_ends_with_CHILD_SA_NOT_FOUND_ignored) {
    auto p = established();
    request(p, true, Rekey_CHILD_SA{"home", 0, p.now});
    request(p, false, Rekey_CHILD_SA{"home", 0, p.now});
    ASSERT_EQ(p.wire.size(), 2u);
    p.wire.pop_front();  // §2.8.1's second sequence: A's req1 is lost
    p.run();
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.1-retransmit")) << p.transcript();
    const auto& t = p.b.traces;
    EXPECT_TRUE(std::any_of(t.begin(), t.end(), [](const Message_trace& m) {
        return m.sent && m.notation.find("N(CHILD_SA_NOT_FOUND)") != std::string::npos;
    })) << p.transcript();
    expect_same_SAs(p, 1);
}

TEST(Collision, simultaneous_IKE_SA_rekey_keeps_one_new_IKE_SA_that_inherits_the_CHILD_SAs) {
    auto p = established();
    const auto mark_a = p.a.traces.size(), mark_b = p.b.traces.size();
    const auto child = p.a.ep->list()[0].children[0];
    request(p, true, Rekey_IKE_SA{"home", p.now});
    request(p, false, Rekey_IKE_SA{"home", p.now});
    ASSERT_EQ(p.wire.size(), 2u);
    p.run();
    expect_overlap(p.a, "CREATE_CHILD_SA", mark_a);
    expect_overlap(p.b, "CREATE_CHILD_SA", mark_b);
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.8.2-rekey-collision")) << p.transcript();
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.8.2-rekey-collision")) << p.transcript();
    expect_same_SAs(p, 1);
    EXPECT_EQ(p.a.ep->list()[0].children[0].spi_in, child.spi_in);  // inherited, not rekeyed
    // Both computed the survivor's keys alike.
    const auto spii = p.a.ep->list()[0].SPIi;
    const Keys_derived* ka = nullptr;
    const Keys_derived* kb = nullptr;
    for (const auto& k : p.a.keys) if (k.SPIi == spii) ka = &k;
    for (const auto& k : p.b.keys) if (k.SPIi == spii) kb = &k;
    ASSERT_TRUE(ka && kb);
    EXPECT_EQ(ka->SK_d.hex(), kb->SK_d.hex());
    // And it works: a new CHILD SA on it.
    request(p, true, Create_CHILD_SA{"home", "net", p.now});
    p.run();
    expect_same_SAs(p, 2);
}

TEST(Collision, redundant_IKE_SA_the_peer_dropped_already_is_removed_as_routine_not_as_a_failure) {
    // §2.8.2 as charon 5.9.8 sometimes ends it (tests/interop/ikeref_charon_crossing.sh): the
    // redundant IKE SA is gone at the peer, so no Delete on it is ever answered. Here every
    // INFORMATIONAL on a new IKE SA is lost (window 1: there are no others than those Deletes).
    auto p = established();
    const Spi old_SPIi = p.a.ep->list().at(0).SPIi;
    p.filter = [old_SPIi](const In_flight& f) {
        const Bytes& d = f.d.bytes;
        if (d.size() < 28) return true;
        Spi SPIi = 0;
        for (std::size_t i = 0; i < 8; ++i) SPIi = (SPIi << 8) | d[i];
        return !(d[18] == static_cast<std::uint8_t>(Exchange_type::INFORMATIONAL) && SPIi != old_SPIi);
    };
    request(p, true, Rekey_IKE_SA{"home", p.now});
    request(p, false, Rekey_IKE_SA{"home", p.now});
    p.run();
    ASSERT_TRUE(p.a.has_diagnostic("7296-2.8.2-rekey-collision")) << p.transcript();
    expect_same_SAs(p, 1);
    for (const Side* s : {&p.a, &p.b}) {
        EXPECT_TRUE(std::any_of(s->diagnostics.begin(), s->diagnostics.end(), [](const Diagnostic& d) {
            return d.rule == "7296-2.8.2-redundant-IKE-SA" && d.severity == Severity::info &&
                   d.text.find("redundant IKE SA removed without a response") != std::string::npos;
        })) << p.transcript();
        EXPECT_FALSE(s->has_event(Sa_event_kind::IKE_SA_failed)) << p.transcript();
        EXPECT_FALSE(std::any_of(s->diagnostics.begin(), s->diagnostics.end(), [](const Diagnostic& d) {
            return d.severity >= Severity::warning && d.text.find("retransmissions") != std::string::npos;
        })) << p.transcript();  // the failure warning is kept for real failures
        EXPECT_TRUE(s->has_event(Sa_event_kind::IKE_SA_deleted));
    }
}

TEST(Collision, IKE_SA_rekey_during_a_CHILD_SA_rekey_gets_TEMPORARY_FAILURE) {
    auto p = established();
    const auto mark_a = p.a.traces.size();
    request(p, true, Rekey_CHILD_SA{"home", 0, p.now});
    request(p, false, Rekey_IKE_SA{"home", p.now});
    ASSERT_EQ(p.wire.size(), 2u);
    p.run();
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.25-temporary-failure") || p.b.has_diagnostic("7296-2.25-temporary-failure"))
        << p.transcript();
    const long got_req = trace_index(p.a, false, "CREATE_CHILD_SA request", mark_a);
    const long got_resp = trace_index(p.a, false, "CREATE_CHILD_SA response", mark_a);
    EXPECT_LT(got_req, got_resp);
    expect_same_SAs(p, 1);
}

TEST(Collision, both_peers_delete_the_same_CHILD_SA_and_answer_without_Delete) {
    auto p = established();
    request(p, true, Delete_CHILD_SA{"home", 0, p.now});
    request(p, false, Delete_CHILD_SA{"home", 0, p.now});
    ASSERT_EQ(p.wire.size(), 2u);
    p.run();
    const auto& t = p.a.traces;
    EXPECT_TRUE(std::any_of(t.begin(), t.end(), [](const Message_trace& m) {
        return m.sent && m.notation == "INFORMATIONAL response #0 { SK { } }";
    })) << p.transcript();
    expect_same_SAs(p, 0);
}

TEST(Collision, rekey_of_a_CHILD_SA_the_peer_is_closing_gets_TEMPORARY_FAILURE) {
    auto p = established();
    request(p, true, Delete_CHILD_SA{"home", 0, p.now});
    request(p, false, Rekey_CHILD_SA{"home", 0, p.now});
    ASSERT_EQ(p.wire.size(), 2u);
    std::swap(p.wire[0], p.wire[1]);  // the rekey arrives first, while a's Delete is in flight
    p.run();
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.25-temporary-failure")) << p.transcript();
    EXPECT_TRUE(p.b.has_event(Sa_event_kind::CHILD_SA_failed)) << p.transcript();
    expect_same_SAs(p, 0);
}

TEST(Collision, both_peers_delete_the_IKE_SA) {
    auto p = established();
    request(p, true, Terminate{"home", p.now});
    request(p, false, Terminate{"home", p.now});
    ASSERT_EQ(p.wire.size(), 2u);
    p.run();
    EXPECT_EQ(p.a.ep->ike_sa_count(), 0u) << p.transcript();
    EXPECT_EQ(p.b.ep->ike_sa_count(), 0u) << p.transcript();
    EXPECT_TRUE(p.a.timers.empty());
    EXPECT_TRUE(p.b.timers.empty());
}

TEST(Collision, IKE_SA_delete_during_its_rekey_forgets_the_rekey) {
    auto p = established();
    request(p, true, Rekey_IKE_SA{"home", p.now});
    request(p, false, Terminate{"home", p.now});
    ASSERT_EQ(p.wire.size(), 2u);
    std::swap(p.wire[0], p.wire[1]);  // b's Delete reaches a first
    p.run();
    EXPECT_EQ(p.b.ep->ike_sa_count(), 0u) << p.transcript();
    EXPECT_EQ(p.a.ep->ike_sa_count(), 0u) << p.transcript();
    EXPECT_TRUE(p.a.timers.empty());
}

}  // namespace
}  // namespace ike::test
