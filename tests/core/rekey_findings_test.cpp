// Regression scenarios for the deviations the conformance properties found (K1-K7 in
// conformance/properties/README.md, now fixed), each the smallest dialogue on two in-memory
// Endpoints, asserting the SAs that survive on both sides. RFC 7296 §2.4, §2.8, §2.18, §2.21.3,
// §2.25.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "src/codec/codec.hpp"
#include "tests/support/peer_pair.hpp"
#include "tests/support/sa_checks.hpp"

namespace ike::test {
namespace {

std::size_t count_events(const Side& s, Sa_event_kind k) {
    return static_cast<std::size_t>(
        std::count_if(s.events.begin(), s.events.end(), [k](const Sa_event& e) { return e.kind == k; }));
}

std::size_t count_sent(const Side& s, const std::string& fragment) {
    return static_cast<std::size_t>(std::count_if(s.traces.begin(), s.traces.end(), [&](const Message_trace& m) {
        return m.sent && m.notation.find(fragment) != std::string::npos;
    }));
}

// K2: the Delete that completes a CHILD SA rekey (§2.8) goes out before API requests queued
// earlier; behind an IKE SA rekey it was lost with the old IKE SA and two CHILD SAs remained.
TEST(Rekey_findings, Delete_of_the_rekeyed_CHILD_SA_goes_before_a_queued_IKE_SA_rekey) {
    Peer_pair p(make_config(true), make_config(false), 11, 12);
    p.initiate();
    p.run();
    ASSERT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    const auto old_b = p.b.ep->list()[0].children[0].spi_in;
    request(p, false, Rekey_CHILD_SA{"home", 0, p.now});
    request(p, false, Rekey_IKE_SA{"home", p.now});  // queued behind the CHILD SA rekey
    ASSERT_EQ(p.wire.size(), 1u);
    ASSERT_TRUE(p.deliver_one());  // b's REKEY_SA request
    ASSERT_TRUE(p.deliver_one());  // a's response: b must now send the Delete, not the IKE rekey
    ASSERT_EQ(p.wire.size(), 1u);
    EXPECT_EQ(count_sent(p.b, "INFORMATIONAL request"), 1u) << p.transcript();
    EXPECT_EQ(count_sent(p.b, "INFORMATIONAL request #1 { SK { D } }"), 1u) << p.transcript();
    p.run();
    expect_same_SAs(p, 1);
    EXPECT_NE(p.b.ep->list()[0].children[0].spi_in, old_b);
    EXPECT_EQ(count_events(p.b, Sa_event_kind::IKE_SA_rekeyed), 1u);
}

// K1: a CREATE_CHILD_SA exchange that fails (here TEMPORARY_FAILURE, §2.25) ends only that
// exchange (§2.21.3): CHILD_SA_failed, never IKE_SA_failed, since the IKE SA stays.
TEST(Rekey_findings, a_refused_CREATE_CHILD_SA_reports_CHILD_SA_failed_not_IKE_SA_failed) {
    Peer_pair p(make_config(true), make_config(false), 11, 12);
    p.initiate();
    p.run();
    request(p, true, Rekey_CHILD_SA{"home", 0, p.now});
    request(p, false, Rekey_IKE_SA{"home", p.now});
    ASSERT_EQ(p.wire.size(), 2u);  // crossing: each is refused with TEMPORARY_FAILURE
    p.run();
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.25-temporary-failure")) << p.transcript();
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.25-temporary-failure")) << p.transcript();
    EXPECT_EQ(count_events(p.a, Sa_event_kind::CHILD_SA_failed), 1u) << p.transcript();
    EXPECT_EQ(count_events(p.b, Sa_event_kind::CHILD_SA_failed), 1u) << p.transcript();
    EXPECT_EQ(count_events(p.a, Sa_event_kind::IKE_SA_failed), 0u) << p.transcript();
    EXPECT_EQ(count_events(p.b, Sa_event_kind::IKE_SA_failed), 0u) << p.transcript();
    expect_same_SAs(p, 1);
}

// K3: an original responder whose initiator gave up after IKE_SA_INIT removes the half-open
// IKE SA after Config::gate.half_open_timeout (30 s, strongSwan's default), without a Delete.
TEST(Rekey_findings, a_half_open_responder_SA_is_removed_after_half_open_timeout) {
    Peer_pair p(make_config(true), make_config(false), 11, 12);
    EXPECT_EQ(p.b.ep->config().gate.half_open_timeout, std::chrono::seconds(30));
    p.initiate();
    ASSERT_TRUE(p.deliver_one());  // IKE_SA_INIT request
    ASSERT_TRUE(p.deliver_one());  // response; a sends IKE_AUTH
    ASSERT_EQ(p.b.ep->list().at(0).state, "Authenticating");
    p.filter = [](const In_flight&) { return false; };  // the initiator is cut off from now on
    p.run();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_deleted)) << p.transcript();  // a gave up (§2.1)
    EXPECT_EQ(p.a.ep->ike_sa_count(), 0u);
    EXPECT_EQ(p.b.ep->ike_sa_count(), 0u) << p.transcript();
    EXPECT_TRUE(p.b.has_diagnostic("ikeref-half-open-timeout")) << p.transcript();
    EXPECT_EQ(count_events(p.b, Sa_event_kind::IKE_SA_deleted), 1u);
    EXPECT_EQ(count_sent(p.b, "INFORMATIONAL"), 0u);  // nothing is sent to an unauthenticated peer
    EXPECT_GE(p.now, Time(30000));
    EXPECT_TRUE(p.b.timers.empty());
}

TEST(Rekey_findings, the_half_open_timeout_is_cancelled_once_IKE_AUTH_completes) {
    Peer_pair p(make_config(true), make_config(false), 11, 12);
    p.initiate();
    while (p.deliver_one()) {
    }
    ASSERT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_TRUE(p.b.timers.empty());  // lifetimes and liveness are off in make_config
    p.now += std::chrono::seconds(60);
    p.run();
    EXPECT_EQ(p.b.ep->ike_sa_count(), 1u) << p.transcript();
    EXPECT_FALSE(p.b.has_diagnostic("ikeref-half-open-timeout"));
}

// K6: a CHILD SA the peer has just rekeyed (its Delete of the old SA still to come) is not
// rekeyed again (§2.8): a request for "the first CHILD SA" takes the new one, a request naming
// the old one is refused with a diagnostic. Before, two new CHILD SAs survived.
TEST(Rekey_findings, a_CHILD_SA_the_peer_just_rekeyed_is_not_rekeyed_again) {
    Peer_pair p(make_config(true), make_config(false), 11, 12);
    p.initiate();
    p.run();
    const auto old_b = p.b.ep->list()[0].children[0].spi_in;
    request(p, true, Rekey_CHILD_SA{"home", 0, p.now});
    ASSERT_TRUE(p.deliver_one());  // a's REKEY_SA request; b answers and now holds old + new
    ASSERT_EQ(p.b.ep->list()[0].children.size(), 2u);
    request(p, false, Rekey_CHILD_SA{"home", old_b, p.now});  // names the old one
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.8-already-rekeyed")) << p.transcript();
    EXPECT_EQ(count_sent(p.b, "CREATE_CHILD_SA request"), 0u);
    p.run();
    expect_same_SAs(p, 1);
    EXPECT_NE(p.b.ep->list()[0].children[0].spi_in, old_b);
}

TEST(Rekey_findings, a_rekey_of_the_first_CHILD_SA_skips_one_the_peer_just_rekeyed) {
    Peer_pair p(make_config(true), make_config(false), 11, 12);
    p.initiate();
    p.run();
    const auto old_b = p.b.ep->list()[0].children[0].spi_in;
    request(p, true, Rekey_CHILD_SA{"home", 0, p.now});
    ASSERT_TRUE(p.deliver_one());  // a's REKEY_SA request; b answers and now holds old + new
    request(p, false, Rekey_CHILD_SA{"home", 0, p.now});  // the new CHILD SA is rekeyed
    EXPECT_FALSE(p.b.has_diagnostic("7296-2.8-already-rekeyed"));
    p.run();
    EXPECT_EQ(count_sent(p.b, "CREATE_CHILD_SA request"), 1u) << p.transcript();
    expect_same_SAs(p, 1);
    EXPECT_NE(p.b.ep->list()[0].children[0].spi_in, old_b);
    EXPECT_EQ(p.b.installed.size(), 3u);  // old, a's rekey of it, b's rekey of that
}

/// A filter that drops every INFORMATIONAL request sent on the IKE SA `SPIi`/`SPIr`.
std::function<bool(const In_flight&)> drop_INFORMATIONAL_requests_on(Spi SPIi, Spi SPIr) {
    return [SPIi, SPIr](const In_flight& f) {
        const auto h = codec::peek_header(Octets(f.d.bytes));
        return !(h && h->SPIi == SPIi && h->SPIr == SPIr && h->exchange == Exchange_type::INFORMATIONAL &&
                 !h->is_response());
    };
}

// K4: the old IKE SA a peer's rekey replaced waits in Rekeyed for the peer's Delete (§2.18); when
// that Delete never arrives (here: every try lost, the peer gives its old SA up, §2.1), the old
// SA is removed after the peer's retransmission schedule instead of staying forever.
TEST(Rekey_findings, a_rekeyed_IKE_SA_whose_Delete_never_arrives_is_removed) {
    Peer_pair p(make_config(true), make_config(false), 11, 12);
    p.initiate();
    p.run();
    const auto old = p.a.ep->list()[0];
    p.filter = drop_INFORMATIONAL_requests_on(old.SPIi, old.SPIr);
    request(p, true, Rekey_IKE_SA{"home", p.now});
    while (p.deliver_one()) {
    }
    ASSERT_EQ(p.b.ep->ike_sa_count(), 2u);  // the new SA, and the old one waiting in Rekeyed
    p.run();
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.1-retransmit")) << p.transcript();
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.8.2-old-IKE-SA-not-deleted")) << p.transcript();
    expect_same_SAs(p, 1);
    EXPECT_NE(p.b.ep->list()[0].SPIi, old.SPIi);
    EXPECT_TRUE(p.b.timers.empty());
}

// K4 after a collision (§2.8.2): both rekey at once; the side whose new IKE SA is redundant
// deletes it and its old SA waits for the peer's Delete, which is lost every time.
TEST(Rekey_findings, after_a_lost_IKE_SA_rekey_collision_the_old_IKE_SA_is_removed_if_never_deleted) {
    Peer_pair p(make_config(true), make_config(false), 11, 12);
    p.initiate();
    p.run();
    const auto old = p.a.ep->list()[0];
    const auto child = old.children.at(0);
    p.filter = drop_INFORMATIONAL_requests_on(old.SPIi, old.SPIr);
    request(p, true, Rekey_IKE_SA{"home", p.now});
    request(p, false, Rekey_IKE_SA{"home", p.now});
    ASSERT_EQ(p.wire.size(), 2u);
    p.run();
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.8.2-rekey-collision")) << p.transcript();
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.8.2-old-IKE-SA-not-deleted") ||
                p.b.has_diagnostic("7296-2.8.2-old-IKE-SA-not-deleted"))
        << p.transcript();
    expect_same_SAs(p, 1);
    EXPECT_NE(p.a.ep->list()[0].SPIi, old.SPIi);
    EXPECT_EQ(p.a.ep->list()[0].children[0].spi_in, child.spi_in);  // inherited by the survivor
}

/// Delivers the first datagram on the wire that goes to `to_b` with `exchange`, request or
/// response, on the IKE SA `SPIi` (0: any); false when there is none.
bool deliver_first(Peer_pair& p, bool to_b, Exchange_type exchange, bool response, Spi SPIi = 0) {
    for (std::size_t i = 0; i < p.wire.size(); ++i) {
        const auto h = codec::peek_header(Octets(p.wire[i].d.bytes));
        if (!h || p.wire[i].to_b != to_b || h->exchange != exchange || h->is_response() != response) continue;
        if (SPIi && h->SPIi != SPIi) continue;
        auto f = std::move(p.wire[i]);
        p.wire.erase(p.wire.begin() + static_cast<std::ptrdiff_t>(i));
        p.wire.push_front(std::move(f));
        return p.deliver_one();
    }
    return false;
}

/// The IKE SA of `s` in `state`, or nullopt.
std::optional<Ike_sa_info> sa_in(const Side& s, const std::string& state) {
    for (const auto& i : s.ep->list())
        if (i.state == state) return i;
    return std::nullopt;
}

// K7 (§2.8.2, §2.25.2): a answers b's IKE SA rekey while its own is in flight; b, having
// finished its rekey, answers a's with TEMPORARY_FAILURE. The CHILD SA must move to b's new
// IKE SA on a at once: a later Delete of that CHILD SA then goes on the new IKE SA, and both sides
// agree. Before, the CHILD SA stayed on a's old IKE SA and the Delete removed it on a only.
TEST(Rekey_findings, a_failed_IKE_SA_rekey_after_answering_the_peers_hands_the_CHILD_SAs_over) {
    Peer_pair p(make_config(true), make_config(false), 11, 12);
    p.initiate();
    p.run();
    const auto old = p.a.ep->list()[0];
    const auto child = old.children.at(0);
    request(p, true, Rekey_IKE_SA{"home", p.now});
    request(p, false, Rekey_IKE_SA{"home", p.now});
    ASSERT_TRUE(deliver_first(p, false, Exchange_type::CREATE_CHILD_SA, false));  // b's rekey reaches a: answered
    ASSERT_TRUE(deliver_first(p, true, Exchange_type::CREATE_CHILD_SA, true));    // b's rekey done: b deletes old
    ASSERT_TRUE(deliver_first(p, true, Exchange_type::CREATE_CHILD_SA, false));   // a's rekey: TEMPORARY_FAILURE
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.25-temporary-failure")) << p.transcript();
    ASSERT_TRUE(deliver_first(p, false, Exchange_type::CREATE_CHILD_SA, true));   // a's rekey fails
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::CHILD_SA_failed)) << p.transcript();
    const auto fresh = sa_in(p.a, "Established");
    ASSERT_TRUE(fresh) << p.transcript();
    EXPECT_NE(fresh->SPIi, old.SPIi);
    ASSERT_EQ(fresh->children.size(), 1u) << p.transcript();  // handed over at once
    EXPECT_EQ(fresh->children[0].spi_in, child.spi_in);
    request(p, true, Delete_CHILD_SA{"home", child.spi_in, p.now});
    p.run();
    expect_same_SAs(p, 0);
    EXPECT_EQ(p.a.ep->list()[0].SPIi, fresh->SPIi);
}

// K5 (§2.8.2): a answers b's IKE SA rekey while its own is in flight; b did not notice the
// collision, deletes the old IKE SA and rekeys its new one again before that Delete reaches a.
// a's old IKE SA must hand its CHILD SA to the successor of the new one. Before, it looked the
// new one up by its SPI, found it rekeyed away, and the CHILD SA went with the old IKE SA.
TEST(Rekey_findings, an_old_IKE_SA_hands_its_CHILD_SAs_to_the_successor_of_a_rekeyed_survivor) {
    Peer_pair p(make_config(true), make_config(false), 11, 12);
    p.initiate();
    p.run();
    const auto old = p.a.ep->list()[0];
    const auto child = old.children.at(0);
    request(p, true, Rekey_IKE_SA{"home", p.now});
    request(p, false, Rekey_IKE_SA{"home", p.now});
    ASSERT_TRUE(deliver_first(p, false, Exchange_type::CREATE_CHILD_SA, false));  // b's rekey reaches a: answered
    ASSERT_TRUE(deliver_first(p, true, Exchange_type::CREATE_CHILD_SA, true));    // b's rekey done: b deletes old
    const auto survivor = sa_in(p.b, "Established");
    ASSERT_TRUE(survivor) << p.transcript();
    request(p, false, Rekey_IKE_SA{"home", p.now});  // b rekeys the survivor again
    ASSERT_TRUE(deliver_first(p, false, Exchange_type::CREATE_CHILD_SA, false, survivor->SPIi));
    ASSERT_TRUE(deliver_first(p, true, Exchange_type::CREATE_CHILD_SA, true, survivor->SPIi));
    ASSERT_TRUE(deliver_first(p, false, Exchange_type::INFORMATIONAL, false, old.SPIi));  // b's Delete of old
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.8.2-peer-did-not-notice")) << p.transcript();
    p.run();
    expect_same_SAs(p, 1);
    EXPECT_EQ(p.a.ep->list()[0].children[0].spi_in, child.spi_in);  // inherited twice, never rekeyed
    EXPECT_NE(p.a.ep->list()[0].SPIi, survivor->SPIi);
    EXPECT_NE(p.a.ep->list()[0].SPIi, old.SPIi);
}

// Found with the K-fixes (10,000-case run): b answers a's rekey of a CHILD SA while its own rekey
// of it is in flight, then its own fails (TEMPORARY_FAILURE: a is deleting that SA). No collision
// is left to decide (§2.8.1): b's next CHILD SA rekey must delete the old SA, not its new one.
TEST(Rekey_findings, a_failed_CHILD_SA_rekey_leaves_no_collision_for_the_next_rekey) {
    Peer_pair p(make_config(true), make_config(false), 11, 12);
    p.initiate();
    p.run();
    request(p, true, Rekey_CHILD_SA{"home", 0, p.now});
    request(p, false, Rekey_CHILD_SA{"home", 0, p.now});
    ASSERT_TRUE(deliver_first(p, true, Exchange_type::CREATE_CHILD_SA, false));   // a's rekey: b answers
    ASSERT_TRUE(deliver_first(p, false, Exchange_type::CREATE_CHILD_SA, true));   // a done, deletes the old SA
    ASSERT_TRUE(deliver_first(p, false, Exchange_type::CREATE_CHILD_SA, false));  // b's rekey: TEMPORARY_FAILURE
    ASSERT_TRUE(deliver_first(p, true, Exchange_type::CREATE_CHILD_SA, true));    // b's rekey fails
    ASSERT_TRUE(p.b.has_event(Sa_event_kind::CHILD_SA_failed)) << p.transcript();
    p.run();
    expect_same_SAs(p, 1);
    const auto survivor = p.b.ep->list()[0].children[0].spi_in;
    const auto diagnostics = p.b.diagnostics.size();
    request(p, false, Rekey_CHILD_SA{"home", 0, p.now});
    p.run();
    expect_same_SAs(p, 1);
    EXPECT_NE(p.b.ep->list()[0].children[0].spi_in, survivor) << p.transcript();  // rekeyed: the old one went
    for (std::size_t i = diagnostics; i < p.b.diagnostics.size(); ++i)
        EXPECT_NE(p.b.diagnostics[i].rule, "7296-2.8.1-rekey-collision") << p.transcript();
}

// Found by Window_property: the responder of a CREATE_CHILD_SA deletes the new CHILD SA at once
// and its Delete overtakes the (lost, retransmitted) response. The requester cannot match the
// Delete's SPI yet (it learns it from the response); once the response arrives, the SA the peer
// has already deleted must not stay (§1.4.1: both directions are closed).
TEST(Rekey_findings, a_Delete_that_overtakes_the_CREATE_CHILD_SA_response_closes_the_new_SA_on_arrival) {
    Peer_pair p(make_config(true), make_config(false), 51, 52);
    p.initiate();
    p.run();
    ASSERT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established));
    p.wire.clear();
    request(p, false, Create_CHILD_SA{"home", "net", p.now});  // b asks
    ASSERT_EQ(p.wire.size(), 1u);
    ASSERT_TRUE(p.deliver_one());  // a creates the SA and answers ...
    ASSERT_EQ(p.wire.size(), 1u);
    p.wire.clear();  // ... but the response is lost
    const auto la = p.a.ep->list();
    ASSERT_EQ(la[0].children.size(), 2u);
    request(p, true, Delete_CHILD_SA{"home", la[0].children[1].spi_in, p.now});  // a deletes it at once
    ASSERT_TRUE(p.deliver_one());  // b: an SPI it does not know yet
    ASSERT_TRUE(p.deliver_one());
    EXPECT_EQ(p.a.ep->list()[0].children.size(), 1u);
    p.run();  // b retransmits its request and gets the cached response
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.1-retransmit")) << p.transcript();
    EXPECT_TRUE(p.b.has_diagnostic("7296-1.4.1-deleted-before-response")) << p.transcript();
    expect_same_SAs(p, 1);
}

}  // namespace
}  // namespace ike::test
