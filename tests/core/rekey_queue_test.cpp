// API requests made while an IKE SA is being rekeyed (RFC 7296 §1.3.2, §2.18): they wait on the
// old IKE SA and move with its CHILD SAs to the new one, in order, as strongSwan moves its queued
// tasks; a Delete of the IKE SA asked for meanwhile deletes the new one. Before this, the Endpoint
// refused them ("no established IKE SA") while our rekey was in flight, and dropped those queued
// when the IKE SA was replaced.
// Requirements: 7296-1.3.2-s2, 7296-2.18-s3
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "tests/support/peer_pair.hpp"
#include "tests/support/sa_checks.hpp"

namespace ike::test {
namespace {

std::size_t count_sent(const Side& s, const std::string& fragment) {
    return static_cast<std::size_t>(std::count_if(s.traces.begin(), s.traces.end(), [&](const Message_trace& m) {
        return m.sent && m.notation.find(fragment) != std::string::npos;
    }));
}

std::size_t count_events(const Side& s, Sa_event_kind k) {
    return static_cast<std::size_t>(
        std::count_if(s.events.begin(), s.events.end(), [k](const Sa_event& e) { return e.kind == k; }));
}

struct Established {
    Spi SPIi = 0;
    std::uint32_t child_a = 0;  // a's inbound SPI of the first CHILD SA
};

Established establish(Peer_pair& p) {
    p.initiate();
    p.run();
    const auto l = p.a.ep->list();
    EXPECT_EQ(l.size(), 1u) << p.transcript();
    EXPECT_EQ(p.b.ep->list().size(), 1u) << p.transcript();
    if (l.size() != 1 || l[0].children.empty()) return {};
    return {l[0].SPIi, l[0].children[0].spi_in};
}

TEST(Rekey_queue, CHILD_SA_requests_made_during_our_IKE_SA_rekey_go_out_on_the_new_IKE_SA) {
    Peer_pair p(make_config(true), make_config(false), 11, 12);
    const auto before = establish(p);
    ASSERT_NE(before.child_a, 0u);
    request(p, true, Rekey_IKE_SA{"home", p.now});
    ASSERT_EQ(p.a.ep->list().at(0).state, "Rekeying");
    request(p, true, Create_CHILD_SA{"home", "net", p.now});
    request(p, true, Rekey_CHILD_SA{"home", before.child_a, p.now});
    EXPECT_FALSE(p.a.has_diagnostic("ikeref-request")) << p.transcript();  // taken, not refused
    ASSERT_EQ(p.wire.size(), 1u);  // only the IKE SA rekey is in flight (§2.3 window 1)
    p.run();
    // The new IKE SA's first requests: Message IDs from 0 (§2.18), in the order asked.
    EXPECT_EQ(count_sent(p.a, "CREATE_CHILD_SA request #0 { SK { SA, Ni, TSi, TSr"), 1u) << p.transcript();
    EXPECT_EQ(count_sent(p.a, "CREATE_CHILD_SA request #1 { SK { N(REKEY_SA)"), 1u) << p.transcript();
    EXPECT_EQ(count_events(p.a, Sa_event_kind::IKE_SA_rekeyed), 1u);
    // One IKE SA (the new one) with two CHILD SAs: the created one and the replacement of the
    // first; the rekeyed one is gone (its Delete followed, §2.8).
    expect_same_SAs(p, 2);
    const auto l = p.a.ep->list();
    EXPECT_NE(l.at(0).SPIi, before.SPIi);
    for (const auto& c : l.at(0).children) EXPECT_NE(c.spi_in, before.child_a);
}

TEST(Rekey_queue, a_Delete_of_a_CHILD_SA_asked_during_our_IKE_SA_rekey_deletes_it_on_the_new_IKE_SA) {
    Peer_pair p(make_config(true), make_config(false), 11, 12);
    const auto before = establish(p);
    request(p, true, Create_CHILD_SA{"home", "net", p.now});
    p.run();
    ASSERT_EQ(p.a.ep->list().at(0).children.size(), 2u) << p.transcript();
    request(p, true, Rekey_IKE_SA{"home", p.now});
    request(p, true, Delete_CHILD_SA{"home", before.child_a, p.now});
    p.run();
    EXPECT_EQ(count_sent(p.a, "INFORMATIONAL request #0 { SK { D } }"), 1u) << p.transcript();
    expect_same_SAs(p, 1);
    EXPECT_NE(p.a.ep->list().at(0).children.at(0).spi_in, before.child_a);
}

TEST(Rekey_queue, a_terminate_during_our_IKE_SA_rekey_deletes_the_new_IKE_SA) {
    Peer_pair p(make_config(true), make_config(false), 11, 12);
    establish(p);
    request(p, true, Rekey_IKE_SA{"home", p.now});
    request(p, true, Terminate{"home", p.now});
    p.run();
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.8.2-delete-follows-rekey")) << p.transcript();
    EXPECT_TRUE(p.a.ep->list().empty()) << p.transcript();
    EXPECT_TRUE(p.b.ep->list().empty()) << p.transcript();
    // Every CHILD SA installed was removed from the data plane again.
    EXPECT_EQ(p.a.removed.size(), p.a.installed.size());
    EXPECT_EQ(p.b.removed.size(), p.b.installed.size());
    // The old IKE SA's Delete completes the rekey (§1.3.2), the new one's the terminate.
    EXPECT_EQ(count_sent(p.a, "INFORMATIONAL request #3 { SK { D } }"), 1u) << p.transcript();
    EXPECT_EQ(count_sent(p.a, "INFORMATIONAL request #0 { SK { D } }"), 1u) << p.transcript();
}

// §2.8.2: both peers rekey the IKE SA at once while a has a CHILD SA request waiting. Whichever
// new IKE SA survives (the nonces decide), the request goes out on it and both peers end with
// the same IKE SA and CHILD SAs. The seeds give both outcomes.
TEST(Rekey_queue, a_request_waiting_behind_a_crossing_IKE_SA_rekey_follows_the_survivor) {
    int ours_survived = 0, theirs_survived = 0;
    for (std::uint64_t seed = 1; seed <= 12; ++seed) {
        SCOPED_TRACE("seeds " + std::to_string(seed) + ", " + std::to_string(seed + 100));
        Peer_pair p(make_config(true), make_config(false), seed, seed + 100);
        establish(p);
        request(p, true, Rekey_IKE_SA{"home", p.now});
        request(p, false, Rekey_IKE_SA{"home", p.now});
        request(p, true, Create_CHILD_SA{"home", "net", p.now});
        ASSERT_EQ(p.wire.size(), 2u);  // the two rekeys cross; the create waits on a
        p.run();
        expect_same_SAs(p, 2);
        EXPECT_EQ(count_sent(p.a, "Ni, TSi, TSr } }"), 1u) << p.transcript();  // the create went out once
        const auto l = p.a.ep->list();
        if (l.size() == 1) (l[0].original_initiator ? ours_survived : theirs_survived) += 1;
    }
    EXPECT_GT(ours_survived, 0);
    EXPECT_GT(theirs_survived, 0);
}

}  // namespace
}  // namespace ike::test
