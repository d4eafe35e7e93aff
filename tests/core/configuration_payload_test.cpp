// The Configuration payload (RFC 7296 §2.19, §3.15): an initiator asks for virtual IPs with
// CP(CFG_REQUEST) in IKE_AUTH, a responder assigns them from its pools with CP(CFG_REPLY), narrows
// the initiator's TSi to them, and answers INTERNAL_ADDRESS_FAILURE when the pool is empty.
#include <gtest/gtest.h>

#include "ike/crypto_provider.hpp"
#include "tests/support/peer_pair.hpp"

namespace ike::test {
namespace {

Traffic_selector any4() { return {Ts_type::TS_IPV4_ADDR_RANGE, 0, 0, 65535, {0, 0, 0, 0}, {255, 255, 255, 255}}; }

/// Initiator a asks for `vips`; its own side of the CHILD SA is "anything" (the address comes
/// from the responder). Responder b has pool "rw" = 10.3.0.1-10.3.0.`last` with DNS 10.3.0.53.
std::pair<Config, Config> road_warrior(std::vector<Bytes> vips, std::uint8_t last = 20) {
    Config a = make_config(true);
    a.connections[0].vips = std::move(vips);
    a.connections[0].children[0].local_ts = {any4()};
    Config b = make_config(false);
    b.pools.push_back(Pool_config{"rw", {10, 3, 0, 1}, {10, 3, 0, last}, {{10, 3, 0, 53}}});
    b.connections[0].pools = {"rw"};
    b.connections[0].children[0].remote_ts = {any4()};
    return {std::move(a), std::move(b)};
}

std::string IKE_AUTH(const Side& s, bool request) {
    for (const auto& t : s.traces) {
        if (!t.sent && t.notation.find(request ? "IKE_AUTH request" : "IKE_AUTH response") != std::string::npos)
            return t.notation;
    }
    return {};
}

TEST(Configuration_payload, responder_assigns_the_first_pool_address_and_narrows_TSi_to_it) {
    auto [a, b] = road_warrior({Bytes{0, 0, 0, 0}});
    Peer_pair pair(std::move(a), std::move(b));
    pair.initiate();
    pair.run();
    EXPECT_NE(IKE_AUTH(pair.b, true).find("CP(CFG_REQUEST)"), std::string::npos) << IKE_AUTH(pair.b, true);
    EXPECT_NE(IKE_AUTH(pair.a, false).find("CP(CFG_REPLY)"), std::string::npos) << IKE_AUTH(pair.a, false);
    const auto la = pair.a.ep->list();
    const auto lb = pair.b.ep->list();
    ASSERT_EQ(la.size(), 1u);
    ASSERT_EQ(lb.size(), 1u);
    ASSERT_EQ(la[0].virtual_ips.size(), 1u);
    EXPECT_EQ(la[0].virtual_ips[0], (Bytes{10, 3, 0, 1}));
    EXPECT_EQ(lb[0].virtual_ips, la[0].virtual_ips) << "the responder lists what it assigned";
    ASSERT_EQ(la[0].dns.size(), 1u);
    EXPECT_EQ(la[0].dns[0], (Bytes{10, 3, 0, 53}));
    ASSERT_EQ(pair.a.installed.size(), 1u);
    ASSERT_EQ(pair.a.installed[0].local_ts.size(), 1u);
    EXPECT_EQ(pair.a.installed[0].local_ts[0].start_address, (Bytes{10, 3, 0, 1}));
    EXPECT_EQ(pair.a.installed[0].local_ts[0].end_address, (Bytes{10, 3, 0, 1})) << "TSi narrowed to the virtual IP";
    ASSERT_EQ(pair.b.installed.size(), 1u);
    EXPECT_EQ(pair.b.installed[0].remote_ts[0].start_address, (Bytes{10, 3, 0, 1}));
}

TEST(Configuration_payload, a_later_CHILD_SA_is_narrowed_to_the_virtual_IP_too) {
    auto [a, b] = road_warrior({Bytes{0, 0, 0, 0}});
    Peer_pair pair(std::move(a), std::move(b));
    pair.initiate();
    pair.run();
    pair.absorb(pair.a, true, pair.a.ep->handle(Create_CHILD_SA{"home", "net", pair.now}));
    pair.run();
    ASSERT_EQ(pair.b.installed.size(), 2u);
    for (const auto& c : pair.b.installed) {
        ASSERT_EQ(c.remote_ts.size(), 1u);
        EXPECT_EQ(c.remote_ts[0].start_address, (Bytes{10, 3, 0, 1}));
        EXPECT_EQ(c.remote_ts[0].end_address, (Bytes{10, 3, 0, 1})) << "§2.19: not the whole TSi the initiator asked for";
    }
    EXPECT_EQ(pair.a.installed.back().local_ts.at(0).end_address, (Bytes{10, 3, 0, 1}));
}

TEST(Configuration_payload, a_requested_address_inside_the_pool_is_granted) {
    auto [a, b] = road_warrior({Bytes{10, 3, 0, 7}});
    Peer_pair pair(std::move(a), std::move(b));
    pair.initiate();
    pair.run();
    ASSERT_EQ(pair.a.ep->list().at(0).virtual_ips.size(), 1u);
    EXPECT_EQ(pair.a.ep->list().at(0).virtual_ips[0], (Bytes{10, 3, 0, 7}));
}

TEST(Configuration_payload, same_identity_gets_the_same_address_and_the_lease_ends_with_its_last_IKE_SA) {
    auto [a, b] = road_warrior({Bytes{0, 0, 0, 0}});
    Peer_pair pair(a, std::move(b));
    pair.initiate();
    pair.run();
    pair.initiate();  // a second IKE SA between the same identities
    pair.run();
    const auto lb = pair.b.ep->list();
    ASSERT_EQ(lb.size(), 2u);
    EXPECT_EQ(lb[0].virtual_ips, lb[1].virtual_ips);
    pair.terminate();
    pair.run();
    pair.terminate();
    pair.run();
    ASSERT_EQ(pair.b.ep->ike_sa_count(), 0u);
    // A new identity now gets 10.3.0.1 again: the lease was released.
    Config c = a;
    c.connections[0].local.id = Identity::parse("c.example.test");
    c.secrets.push_back({{Identity::parse("c.example.test"), Identity::parse("b.example.test")}, "example-psk-0123456789abcdef"});
    Config b2 = pair.b.ep->config();
    b2.connections[0].remote.id = Identity::parse("c.example.test");
    b2.secrets.push_back({{Identity::parse("c.example.test"), Identity::parse("b.example.test")}, "example-psk-0123456789abcdef"});
    Peer_pair pair2(std::move(c), std::move(b2));
    pair2.initiate();
    pair2.run();
    ASSERT_EQ(pair2.a.ep->list().at(0).virtual_ips.size(), 1u);
    EXPECT_EQ(pair2.a.ep->list().at(0).virtual_ips[0], (Bytes{10, 3, 0, 1}));
}

TEST(Configuration_payload, pool_of_one_address_refuses_a_second_identity) {
    auto [a, b] = road_warrior({Bytes{0, 0, 0, 0}}, 1);
    // b knows two initiators: a.example.test (connection "home") and c.example.test ("home-c").
    Connection_config home_c = b.connections[0];
    home_c.name = "home-c";
    home_c.remote.id = Identity::parse("c.example.test");
    b.connections.push_back(home_c);
    b.secrets.push_back({{Identity::parse("c.example.test"), Identity::parse("b.example.test")}, "example-psk-0123456789abcdef"});
    Peer_pair pair(a, b);
    pair.initiate();
    pair.run();
    ASSERT_EQ(pair.a.ep->list().at(0).virtual_ips.size(), 1u);

    Config c = a;
    c.connections[0].local.id = Identity::parse("c.example.test");
    c.secrets.push_back({{Identity::parse("c.example.test"), Identity::parse("b.example.test")}, "example-psk-0123456789abcdef"});
    pair.a.ep = std::make_unique<Endpoint>(std::move(c), make_seeded_botan_provider(5));
    pair.a.traces.clear();
    pair.a.installed.clear();
    pair.initiate();
    pair.run();
    EXPECT_NE(IKE_AUTH(pair.a, false).find("N(INTERNAL_ADDRESS_FAILURE)"), std::string::npos) << IKE_AUTH(pair.a, false);
    EXPECT_TRUE(pair.a.installed.empty()) << "§3.10.1: no CHILD SA";
    EXPECT_TRUE(pair.b.has_diagnostic("7296-3.10.1-internal-address-failure"));
}

TEST(Configuration_payload, responder_without_pools_ignores_the_request) {
    auto [a, b] = road_warrior({Bytes{0, 0, 0, 0}});
    b.connections[0].pools.clear();
    Peer_pair pair(std::move(a), std::move(b));
    pair.initiate();
    pair.run();
    EXPECT_EQ(IKE_AUTH(pair.a, false).find("CP("), std::string::npos);
    EXPECT_TRUE(pair.a.has_event(Sa_event_kind::IKE_SA_established));
    EXPECT_TRUE(pair.a.has_diagnostic("7296-2.19-no-virtual-ip"));
    EXPECT_TRUE(pair.a.ep->list().at(0).virtual_ips.empty());
}

TEST(Configuration_payload, unknown_pool_name_is_a_configuration_error) {
    Config b = make_config(false);
    b.connections[0].pools = {"nope"};
    EXPECT_THROW(Endpoint(std::move(b), make_seeded_botan_provider(1)), std::invalid_argument);
}

TEST(Configuration_payload, responder_with_pools_answers_FAILED_CP_REQUIRED_to_IKE_AUTH_without_CP_and_keeps_the_IKE_SA) {
    // §2.19: "IRAS MUST fail the request, and terminate the Child SA creation with a
    // FAILED_CP_REQUIRED error"; §2.21.2: the IKE SA is still established.
    auto [a, b] = road_warrior({});  // a asks for no virtual IP
    Peer_pair pair(std::move(a), std::move(b));
    pair.initiate();
    pair.run();
    EXPECT_EQ(IKE_AUTH(pair.b, true).find("CP("), std::string::npos);
    const std::string response = IKE_AUTH(pair.a, false);
    EXPECT_NE(response.find("N(FAILED_CP_REQUIRED)"), std::string::npos) << response;
    EXPECT_EQ(response.find("TSi"), std::string::npos) << response;  // no SA, TSi, TSr
    EXPECT_TRUE(pair.a.has_event(Sa_event_kind::IKE_SA_established));
    EXPECT_TRUE(pair.b.has_event(Sa_event_kind::IKE_SA_established));
    EXPECT_TRUE(pair.a.installed.empty()) << "no CHILD SA";
    EXPECT_TRUE(pair.b.installed.empty()) << "no CHILD SA";
    EXPECT_TRUE(pair.b.has_diagnostic("7296-2.19-cp-required"));
    const auto refusals = pair.b.ep->refusals();
    ASSERT_FALSE(refusals.empty());
    EXPECT_EQ(refusals.back().notify, Notify_type::FAILED_CP_REQUIRED);
}

}  // namespace
}  // namespace ike::test
