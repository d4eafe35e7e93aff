// Delete crossings of a CHILD SA (RFC 7296 §1.4.1): when both ends delete the same CHILD SA at
// once, each removes the outbound SA of the pair while it processes the peer's Delete request
// and the inbound SA only when the response to its own Delete arrives, so that the peer's
// traffic still in flight is accepted until then. The data plane sees two Remove_child_sa
// outputs for the pair (spi_in 0, then spi_out 0); a Delete that does not cross removes the pair
// at once, and a half-closed pair whose IKE SA dies before the response is removed with it.
// Requirements: 7296-1.4.1-s4, 7296-1.4.1-s5.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/peer_pair.hpp"
#include "tests/support/sa_checks.hpp"

namespace ike::test {
namespace {

Peer_pair established() {
    Peer_pair p(make_config(true), make_config(false), 21, 22);
    p.initiate();
    p.run();
    EXPECT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    return p;
}

bool is(const Remove_child_sa& r, std::uint32_t spi_in, std::uint32_t spi_out) {
    return r.connection == "home" && r.spi_in == spi_in && r.spi_out == spi_out;
}

std::string show(const Side& s) {
    std::string out;
    for (const auto& r : s.removed) out += " {" + std::to_string(r.spi_in) + ", " + std::to_string(r.spi_out) + "}";
    return out;
}

TEST(Delete_crossing, outbound_SA_goes_with_the_peers_request_inbound_SA_with_our_response) {
    auto p = established();
    ASSERT_EQ(p.a.installed.size(), 1u);
    const std::uint32_t a_in = p.a.installed[0].spi_in, a_out = p.a.installed[0].spi_out;
    const std::uint32_t b_in = p.b.installed[0].spi_in, b_out = p.b.installed[0].spi_out;
    ASSERT_EQ(a_in, b_out);
    ASSERT_EQ(a_out, b_in);
    request(p, true, Delete_CHILD_SA{"home", 0, p.now});
    request(p, false, Delete_CHILD_SA{"home", 0, p.now});
    ASSERT_EQ(p.wire.size(), 2u);  // both Deletes in flight: [a's request, b's request]

    ASSERT_TRUE(p.deliver_one());  // a's Delete reaches b, whose own Delete is in flight
    ASSERT_EQ(p.b.removed.size(), 1u) << p.transcript();
    EXPECT_TRUE(is(p.b.removed[0], 0, b_out)) << "only b's outbound SA:" << show(p.b);
    EXPECT_TRUE(p.a.removed.empty());
    // §1.4.1 / §2.25.1: b's response names nothing: the SA is not deleted twice.
    EXPECT_EQ(p.b.traces.back().notation, "INFORMATIONAL response #2 { SK { } }") << p.transcript();

    ASSERT_TRUE(p.deliver_one());  // b's Delete reaches a, whose own Delete is in flight
    ASSERT_EQ(p.a.removed.size(), 1u) << p.transcript();
    EXPECT_TRUE(is(p.a.removed[0], 0, a_out)) << "only a's outbound SA:" << show(p.a);
    EXPECT_EQ(p.a.traces.back().notation, "INFORMATIONAL response #0 { SK { } }") << p.transcript();

    ASSERT_TRUE(p.deliver_one());  // b's response to a's Delete: a's inbound SA goes now
    ASSERT_EQ(p.a.removed.size(), 2u) << p.transcript();
    EXPECT_TRUE(is(p.a.removed[1], a_in, 0)) << show(p.a);
    EXPECT_EQ(p.b.removed.size(), 1u) << "b's inbound SA waits for a's response";

    ASSERT_TRUE(p.deliver_one());  // a's response to b's Delete
    ASSERT_EQ(p.b.removed.size(), 2u) << p.transcript();
    EXPECT_TRUE(is(p.b.removed[1], b_in, 0)) << show(p.b);

    p.run();
    EXPECT_EQ(p.a.removed.size(), 2u) << "nothing removed twice:" << show(p.a);
    EXPECT_EQ(p.b.removed.size(), 2u) << "nothing removed twice:" << show(p.b);
    expect_same_SAs(p, 0);
    EXPECT_TRUE(p.wire.empty());
}

TEST(Delete_crossing, Delete_that_does_not_cross_removes_the_pair_at_once) {
    auto p = established();
    const std::uint32_t a_in = p.a.installed[0].spi_in, a_out = p.a.installed[0].spi_out;
    request(p, true, Delete_CHILD_SA{"home", 0, p.now});
    ASSERT_TRUE(p.deliver_one());  // b: the recipient closes both directions, answers with its Delete
    ASSERT_EQ(p.b.removed.size(), 1u);
    EXPECT_TRUE(is(p.b.removed[0], a_out, a_in)) << show(p.b);
    ASSERT_TRUE(p.deliver_one());
    ASSERT_EQ(p.a.removed.size(), 1u);
    EXPECT_TRUE(is(p.a.removed[0], a_in, a_out)) << show(p.a);
    expect_same_SAs(p, 0);
}

TEST(Delete_crossing, half_closed_pair_goes_with_its_IKE_SA_when_our_response_never_comes) {
    auto p = established();
    const std::uint32_t a_in = p.a.installed[0].spi_in, a_out = p.a.installed[0].spi_out;
    request(p, true, Delete_CHILD_SA{"home", 0, p.now});
    request(p, false, Delete_CHILD_SA{"home", 0, p.now});
    // a's Delete is lost; b's reaches a, which answers (outbound SA removed) and then hears nothing.
    p.wire.pop_front();
    ASSERT_TRUE(p.deliver_one());
    ASSERT_EQ(p.a.removed.size(), 1u);
    EXPECT_TRUE(is(p.a.removed[0], 0, a_out)) << show(p.a);
    p.filter = [](const In_flight& f) { return f.to_b; };  // nothing reaches a any more
    p.run();
    EXPECT_EQ(p.a.ep->ike_sa_count(), 0u) << p.transcript();
    ASSERT_EQ(p.a.removed.size(), 2u) << show(p.a);
    EXPECT_TRUE(is(p.a.removed[1], a_in, 0)) << "the inbound SA is not left behind:" << show(p.a);
}

}  // namespace
}  // namespace ike::test
