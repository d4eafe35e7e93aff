// INITIAL_CONTACT (RFC 7296 §2.4) with swanctl's `unique` policy, and childless IKE SAs
// (RFC 6023), both roles, on two in-memory Endpoints.
#include <gtest/gtest.h>

#include <algorithm>

#include "ike/crypto_provider.hpp"
#include "tests/support/peer_pair.hpp"

namespace ike::test {
namespace {

/// The notation of the IKE_AUTH requests `side` received, in order.
std::vector<std::string> IKE_AUTH_requests(const Side& side) {
    std::vector<std::string> out;
    for (const auto& t : side.traces) {
        if (!t.sent && t.notation.find("IKE_AUTH request") != std::string::npos) out.push_back(t.notation);
    }
    return out;
}

std::size_t count_events(const Side& s, Sa_event_kind k) {
    return static_cast<std::size_t>(
        std::count_if(s.events.begin(), s.events.end(), [k](const Sa_event& e) { return e.kind == k; }));
}

/// The initiator restarts: a new Endpoint with the same configuration and no state.
void restart_a(Peer_pair& pair, Config a, std::uint64_t seed) {
    pair.a.ep = std::make_unique<Endpoint>(std::move(a), make_seeded_botan_provider(seed));
    pair.wire.clear();
}

TEST(Initial_contact, first_IKE_SA_sends_it_and_a_second_one_does_not) {
    Peer_pair pair(make_config(true), make_config(false));
    pair.initiate();
    pair.run();
    pair.initiate();
    pair.run();
    const auto reqs = IKE_AUTH_requests(pair.b);
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_NE(reqs[0].find("N(INITIAL_CONTACT)"), std::string::npos) << reqs[0];
    EXPECT_EQ(reqs[1].find("N(INITIAL_CONTACT)"), std::string::npos) << "the first IKE SA is still up: " << reqs[1];
    EXPECT_EQ(pair.b.ep->ike_sa_count(), 2u) << "unique = no keeps both without INITIAL_CONTACT";
    EXPECT_EQ(pair.a.ep->ike_sa_count(), 2u);
}

TEST(Initial_contact, responder_drops_the_lost_IKE_SA_without_a_Delete) {
    Peer_pair pair(make_config(true), make_config(false));
    pair.initiate();
    pair.run();
    ASSERT_EQ(pair.b.ep->ike_sa_count(), 1u);
    const auto old_sa = pair.b.ep->list().at(0);
    const std::size_t sent_before = pair.b.sent.size();
    restart_a(pair, make_config(true), 11);  // a crashed and lost its IKE SA
    pair.initiate();
    pair.run();
    ASSERT_EQ(IKE_AUTH_requests(pair.b).size(), 2u);
    EXPECT_NE(IKE_AUTH_requests(pair.b)[1].find("N(INITIAL_CONTACT)"), std::string::npos);
    const auto now = pair.b.ep->list();
    ASSERT_EQ(now.size(), 1u);
    EXPECT_NE(now[0].SPIi, old_sa.SPIi) << "the old IKE SA is the one removed";
    EXPECT_EQ(now[0].state, "Established");
    EXPECT_EQ(count_events(pair.b, Sa_event_kind::IKE_SA_deleted), 1u);
    EXPECT_EQ(count_events(pair.b, Sa_event_kind::CHILD_SA_deleted), 1u) << "its CHILD SA goes with it";
    EXPECT_TRUE(pair.b.has_diagnostic("7296-2.4-initial-contact"));
    // b sent only the two answers of the new IKE SA: no INFORMATIONAL Delete to the lost peer.
    EXPECT_EQ(pair.b.sent.size() - sent_before, 2u);
}

TEST(Initial_contact, unique_never_neither_sends_nor_honours_it) {
    Config a = make_config(true);
    a.connections[0].unique = Unique_policy::never;
    Config b = make_config(false);
    b.connections[0].unique = Unique_policy::never;
    Peer_pair pair(a, std::move(b));
    pair.initiate();
    pair.run();
    EXPECT_EQ(IKE_AUTH_requests(pair.b).at(0).find("N(INITIAL_CONTACT)"), std::string::npos);

    // Even when the (restarted) peer asserts INITIAL_CONTACT, b keeps both.
    Config a2 = make_config(true);
    restart_a(pair, a2, 12);
    pair.initiate();
    pair.run();
    EXPECT_NE(IKE_AUTH_requests(pair.b).at(1).find("N(INITIAL_CONTACT)"), std::string::npos);
    EXPECT_EQ(pair.b.ep->ike_sa_count(), 2u);
}

TEST(Initial_contact, unique_replace_deletes_the_older_IKE_SA_with_a_Delete_exchange) {
    Config b = make_config(false);
    b.connections[0].unique = Unique_policy::replace;
    Peer_pair pair(make_config(true), std::move(b));
    pair.initiate();
    pair.run();
    pair.initiate();  // a keeps its first IKE SA: no INITIAL_CONTACT this time
    pair.run();
    EXPECT_EQ(pair.b.ep->ike_sa_count(), 1u);
    EXPECT_EQ(pair.a.ep->ike_sa_count(), 1u) << "a processed b's Delete of the older IKE SA";
    EXPECT_TRUE(pair.b.has_diagnostic("ikeref-unique-replace"));
    EXPECT_EQ(pair.a.ep->list().at(0).SPIi, pair.b.ep->list().at(0).SPIi) << "both keep the newer one";
}

// ---- RFC 6023 ------------------------------------------------------------------------

TEST(Childless, both_sides_announce_support_in_IKE_SA_INIT) {
    Peer_pair pair(make_config(true), make_config(false));
    pair.initiate();
    pair.run();
    int announced = 0;
    for (const Side* s : {&pair.a, &pair.b}) {
        for (const auto& t : s->traces) {
            if (!t.sent && t.notation.find("IKE_SA_INIT") != std::string::npos &&
                t.notation.find("N(CHILDLESS_IKEV2_SUPPORTED)") != std::string::npos)
                ++announced;
        }
    }
    EXPECT_EQ(announced, 2);
}

TEST(Childless, force_establishes_an_IKE_SA_without_CHILD_SA_then_CREATE_CHILD_SA_adds_one) {
    Config a = make_config(true);
    a.connections[0].childless = Childless_policy::force;
    Peer_pair pair(std::move(a), make_config(false));
    pair.initiate();
    pair.run();
    ASSERT_TRUE(pair.a.has_event(Sa_event_kind::IKE_SA_established));
    ASSERT_TRUE(pair.b.has_event(Sa_event_kind::IKE_SA_established));
    const auto req = IKE_AUTH_requests(pair.b).at(0);
    EXPECT_EQ(req.find("SA,"), std::string::npos) << req;
    EXPECT_EQ(req.find("TSi"), std::string::npos) << req;
    EXPECT_TRUE(pair.a.installed.empty());
    EXPECT_TRUE(pair.b.installed.empty());
    EXPECT_FALSE(pair.a.has_event(Sa_event_kind::CHILD_SA_failed));
    EXPECT_TRUE(pair.b.has_diagnostic("6023-3-childless"));
    for (const auto& t : pair.a.traces) {
        if (!t.sent && t.notation.find("IKE_AUTH response") != std::string::npos) {
            EXPECT_EQ(t.notation.find("N("), std::string::npos) << "no error notify: " << t.notation;
        }
    }
    // §1.3.1: the CHILD SA comes with CREATE_CHILD_SA.
    pair.absorb(pair.a, true, pair.a.ep->handle(Create_CHILD_SA{"home", "net", pair.now}));
    pair.run();
    ASSERT_EQ(pair.a.installed.size(), 1u);
    ASSERT_EQ(pair.b.installed.size(), 1u);
    EXPECT_EQ(pair.a.installed[0].encr_key_out.hex(), pair.b.installed[0].encr_key_in.hex());
}

TEST(Childless, responder_with_never_does_not_announce_and_initiator_falls_back_to_a_CHILD_SA) {
    Config b = make_config(false);
    b.connections[0].childless = Childless_policy::never;
    Peer_pair pair(make_config(true), std::move(b));
    pair.initiate("home");
    pair.run();
    for (const auto& t : pair.a.traces) {
        if (!t.sent && t.notation.find("IKE_SA_INIT response") != std::string::npos) {
            EXPECT_EQ(t.notation.find("CHILDLESS"), std::string::npos) << t.notation;
        }
    }
    EXPECT_EQ(pair.a.installed.size(), 1u);
}

}  // namespace
}  // namespace ike::test
