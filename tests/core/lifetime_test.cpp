// Lifetimes (RFC 7296 §2.8: soft lifetime starts a jittered rekey, hard lifetime deletes) and
// liveness checks (§2.4) on two in-memory Endpoints driven by the fake clock.
// Requirements: 7296-2.8-s4, 7296-2.8-s1.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/peer_pair.hpp"

namespace ike::test {
namespace {

using std::chrono::seconds;

bool sent(const Side& s, const std::string& prefix) {
    return std::any_of(s.traces.begin(), s.traces.end(),
                       [&](const Message_trace& t) { return t.sent && t.notation.rfind(prefix, 0) == 0; });
}

/// Delivers what is on the wire without firing any timer (run() would fire the lifetimes too).
void settle(Peer_pair& p) {
    while (p.deliver_one()) {}
}

/// Fires timers (delivering everything in between) until `now` passes `until`.
void advance(Peer_pair& p, Time until) {
    for (int i = 0; i < 10000 && p.now < until; ++i) {
        if (p.deliver_one()) continue;
        Time next{};
        bool any = false;
        for (const Side* s : {&p.a, &p.b}) {
            for (const auto& [id, at] : s->timers) {
                if (!any || at < next) next = at;
                any = true;
            }
        }
        if (!any || next > until) break;
        p.fire_next_timer();
    }
    p.now = std::max(p.now, until);
    while (p.deliver_one()) {}
}

TEST(Lifetime, CHILD_SA_soft_lifetime_rekeys_within_the_jitter_window) {
    auto ca = make_config(true);
    ca.connections[0].children[0].rekey_time = seconds(600);
    ca.connections[0].children[0].rand_time = seconds(60);
    Peer_pair p(std::move(ca), make_config(false));
    p.initiate();
    settle(p);
    const auto first = p.a.ep->list().at(0).children.at(0).spi_in;
    advance(p, Time(540 * 1000 - 1));  // rekey_time - rand_time: not yet
    EXPECT_EQ(p.a.ep->list().at(0).children.at(0).spi_in, first);
    EXPECT_FALSE(sent(p.a, "CREATE_CHILD_SA request"));
    advance(p, Time(600 * 1000));
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.8-soft-lifetime")) << p.transcript();
    ASSERT_EQ(p.a.ep->list().at(0).children.size(), 1u);
    EXPECT_NE(p.a.ep->list().at(0).children.at(0).spi_in, first);
    ASSERT_EQ(p.b.ep->list().at(0).children.size(), 1u);
}

TEST(Lifetime, jitter_differs_with_the_random_source) {
    std::vector<std::uint32_t> rekey_ms;
    for (std::uint64_t seed : {1u, 2u, 3u, 4u}) {
        auto ca = make_config(true);
        ca.connections[0].children[0].rekey_time = seconds(600);
        ca.connections[0].children[0].rand_time = seconds(60);
        Peer_pair p(std::move(ca), make_config(false), seed, seed + 100);
        p.initiate();
        p.run();
        std::uint32_t at = 0;
        for (const auto& [id, t] : p.a.timers) at = std::max<std::uint32_t>(at, static_cast<std::uint32_t>(t.count()));
        rekey_ms.push_back(at);
    }
    std::sort(rekey_ms.begin(), rekey_ms.end());
    EXPECT_NE(rekey_ms.front(), rekey_ms.back());
    for (auto t : rekey_ms) EXPECT_GE(t, 540u * 1000u);
}

TEST(Lifetime, CHILD_SA_hard_lifetime_deletes_when_the_rekey_cannot_happen) {
    auto ca = make_config(true);
    ca.connections[0].children[0].rekey_time = seconds(600);
    ca.connections[0].children[0].life_time = seconds(610);
    ca.retransmit.tries = 50;  // the rekey keeps retransmitting past the hard lifetime
    Peer_pair p(std::move(ca), make_config(false));
    p.initiate();
    settle(p);
    p.filter = [](const In_flight& f) { return !f.to_b; };  // b hears nothing more
    const auto spi = p.a.ep->list().at(0).children.at(0).spi_in;
    advance(p, Time(611 * 1000));
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.8-hard-lifetime")) << p.transcript();
    // 7296-2.8-s1: out of the data plane at once, though its Delete cannot complete (b is silent);
    // the state and SPIs stay until then (7296-1.4.1-s6).
    auto removals = [&] {
        return std::count_if(p.a.removed.begin(), p.a.removed.end(), [&](const Remove_child_sa& r) { return r.spi_in == spi; });
    };
    EXPECT_EQ(removals(), 1);
    ASSERT_EQ(p.a.ep->list().size(), 1u);
    EXPECT_EQ(p.a.ep->list().at(0).children.size(), 1u);
    p.filter = nullptr;  // b hears again: the rekey's retransmission, then the Delete complete
    advance(p, Time(2000 * 1000));
    ASSERT_EQ(p.a.ep->list().size(), 1u) << p.transcript();
    const auto after = p.a.ep->list();
    for (const auto& c : after.at(0).children) EXPECT_NE(c.spi_in, spi);  // its state is gone now
    EXPECT_EQ(removals(), 1);  // and it was not removed from the data plane twice
}

TEST(Lifetime, IKE_SA_soft_lifetime_rekeys_the_IKE_SA) {
    auto ca = make_config(true);
    ca.connections[0].rekey_time = seconds(3600);
    Peer_pair p(std::move(ca), make_config(false));
    p.initiate();
    settle(p);
    const auto spi = p.a.ep->list().at(0).SPIi;
    advance(p, Time(3601 * 1000));
    ASSERT_EQ(p.a.ep->list().size(), 1u) << p.transcript();
    EXPECT_NE(p.a.ep->list()[0].SPIi, spi);
    EXPECT_EQ(p.a.ep->list()[0].SPIi, p.b.ep->list().at(0).SPIi);
    EXPECT_EQ(p.a.ep->list()[0].children.size(), 1u);
}

TEST(Liveness, silent_peer_is_detected_and_the_IKE_SA_removed) {
    auto ca = make_config(true);
    ca.connections[0].dpd_delay = seconds(30);
    Peer_pair p(std::move(ca), make_config(false));
    p.initiate();
    settle(p);
    p.filter = [](const In_flight& f) { return !f.to_b; };  // the peer is gone
    advance(p, Time(300 * 1000));
    EXPECT_TRUE(sent(p.a, "INFORMATIONAL request #2 { SK { } }")) << p.transcript();
    EXPECT_EQ(p.a.ep->ike_sa_count(), 0u) << p.transcript();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_deleted));
}

TEST(Liveness, answering_peer_keeps_the_IKE_SA) {
    auto ca = make_config(true);
    ca.connections[0].dpd_delay = seconds(30);
    Peer_pair p(std::move(ca), make_config(false));
    p.initiate();
    settle(p);
    advance(p, Time(100 * 1000));
    EXPECT_TRUE(sent(p.a, "INFORMATIONAL request #2 { SK { } }")) << p.transcript();
    EXPECT_TRUE(sent(p.b, "INFORMATIONAL response #2 { SK { } }")) << p.transcript();
    EXPECT_EQ(p.a.ep->ike_sa_count(), 1u);
    EXPECT_EQ(p.b.ep->ike_sa_count(), 1u);
}

// RFC 7296 §2.8 (7296-2.8-s4): an IKE SA whose lifetime is over and that no rekey or
// reauthentication replaced is closed with its CHILD SAs (strongSwan's over_time).
TEST(Lifetime, IKE_SA_not_replaced_within_its_hard_lifetime_is_deleted_with_its_CHILD_SAs) {
    auto ca = make_config(true), cb = make_config(false);
    ca.connections[0].rekey_time = seconds(0);
    cb.connections[0].rekey_time = seconds(0);
    cb.connections[0].reauth_time = seconds(100);  // b is the responder: only a would reauthenticate
    cb.connections[0].over_time = seconds(10);
    Peer_pair p(std::move(ca), std::move(cb));
    p.initiate();
    settle(p);
    ASSERT_EQ(p.b.ep->list().size(), 1u);
    advance(p, Time(109 * 1000));
    EXPECT_EQ(p.b.ep->list().size(), 1u);
    EXPECT_FALSE(p.b.has_diagnostic("7296-2.8-s4"));
    advance(p, Time(111 * 1000));
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.8-s4")) << p.transcript();
    EXPECT_TRUE(sent(p.b, "INFORMATIONAL request #0 { SK { D } }")) << p.transcript();
    EXPECT_TRUE(p.a.ep->list().empty()) << p.transcript();
    EXPECT_TRUE(p.b.ep->list().empty()) << p.transcript();
}

TEST(Lifetime, an_IKE_SA_rekeyed_in_time_outlives_the_hard_lifetime_of_the_old_one) {
    auto ca = make_config(true), cb = make_config(false);
    ca.connections[0].rekey_time = seconds(100);
    ca.connections[0].rand_time = seconds(1);
    ca.connections[0].over_time = seconds(20);
    cb.connections[0].rekey_time = seconds(0);
    Peer_pair p(std::move(ca), std::move(cb));
    p.initiate();
    settle(p);
    const auto first = p.a.ep->list().at(0).SPIi;
    advance(p, Time(125 * 1000));  // past the first IKE SA's hard lifetime (120 s)
    ASSERT_EQ(p.a.ep->list().size(), 1u) << p.transcript();
    EXPECT_NE(p.a.ep->list().at(0).SPIi, first);
    EXPECT_EQ(p.a.ep->list().at(0).state, "Established");
    EXPECT_FALSE(p.a.has_diagnostic("7296-2.8-s4")) << p.transcript();
    ASSERT_EQ(p.b.ep->list().size(), 1u);
}

}  // namespace
}  // namespace ike::test
