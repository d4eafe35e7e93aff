// Transport mode traffic selectors (RFC 7296 §2.23, §2.23.1): "For transport mode, it MUST use
// exactly one IP address in the TSi and TSr payloads". The initiator of a transport-mode CHILD SA
// proposes the IKE SA's source (TSi) and destination (TSr), each narrowed from its configured
// selectors; with none holding them it proposes tunnel mode instead. A responder whose CHILD SA
// is transport mode narrows a transport-mode request to those two addresses, and answers
// TS_UNACCEPTABLE when the request holds neither (§2.9). Requests are crafted with the IKE SA's
// keys (tests/support/protect.hpp).
// Requirements: 7296-2.23.1-s1, 7296-2.23.1-s4, 7296-2.23-s12.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "src/codec/proposal_keywords.hpp"
#include "src/core/negotiation.hpp"
#include "tests/support/peer_pair.hpp"
#include "tests/support/protect.hpp"
#include "tests/support/sa_checks.hpp"

namespace ike::test {
namespace {

Traffic_selector range(Bytes from, Bytes to, std::uint8_t protocol = 0, std::uint16_t port_from = 0,
                       std::uint16_t port_to = 65535) {
    return Traffic_selector{Ts_type::TS_IPV4_ADDR_RANGE, protocol, port_from, port_to, std::move(from), std::move(to)};
}

const Bytes a_ip{192, 0, 2, 2}, b_ip{192, 0, 2, 1};
const Traffic_selector doc_net = range({192, 0, 2, 0}, {192, 0, 2, 255});
const Traffic_selector any_v4 = range({0, 0, 0, 0}, {255, 255, 255, 255});

Config transport_config(bool side_a, std::vector<Traffic_selector> local, std::vector<Traffic_selector> remote) {
    Config c = make_config(side_a);
    auto& child = c.connections[0].children[0];
    child.mode = Ipsec_mode::transport;
    child.local_ts = std::move(local);
    child.remote_ts = std::move(remote);
    return c;
}

Payload payload(Payload_type t, Payload_body b) {
    Payload p;
    p.type = t;
    p.body = std::move(b);
    return p;
}

/// A's CREATE_CHILD_SA request #2 for a new CHILD SA, crafted: SA (aes256gcm16), Ni, TSi, TSr,
/// and N(USE_TRANSPORT_MODE) when `transport`.
Message create_child(const Keys_derived& k, bool transport, std::vector<Traffic_selector> tsi,
                     std::vector<Traffic_selector> tsr) {
    Message m = protected_request(k, true, Exchange_type::CREATE_CHILD_SA, 2);
    std::string err;
    auto esp = codec::parse_proposal("aes256gcm16", Protocol_id::ESP, &err);
    EXPECT_TRUE(esp) << err;
    esp->number = 1;
    esp->protocol = Protocol_id::ESP;
    esp->spi = {0x12, 0x34, 0x56, 0x78};
    if (transport) m.payloads.push_back(payload(Payload_type::N, Payload_N{Protocol_id::NONE, {}, static_cast<std::uint16_t>(Notify_type::USE_TRANSPORT_MODE), {}}));
    m.payloads.push_back(payload(Payload_type::SA, Payload_SA{{*esp}}));
    m.payloads.push_back(payload(Payload_type::Nonce, Payload_Nonce{Bytes(32, 0x5a)}));
    m.payloads.push_back(payload(Payload_type::TSi, Payload_TS{std::move(tsi)}));
    m.payloads.push_back(payload(Payload_type::TSr, Payload_TS{std::move(tsr)}));
    return m;
}

const std::vector<Traffic_selector>* selectors(const Message& m, Payload_type t) {
    const Payload* p = m.find(t);
    if (!p) return nullptr;
    return &std::get<Payload_TS>(p->body).selectors;
}

struct Established {
    Peer_pair p;
    Established()
        : p(transport_config(true, {doc_net}, {doc_net}), transport_config(false, {doc_net}, {any_v4})) {
        p.initiate();
        p.run();
        EXPECT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
        p.wire.clear();
    }
    const Keys_derived& keys() const { return p.a.keys.at(0); }
    /// B's answer to `m`, decrypted.
    std::optional<Message> ask_b(const Message& m) {
        Datagram_received d{Address{b_ip, 500}, Address{a_ip, 500}, protect_as(keys(), true, m), p.now};
        p.absorb(p.b, false, p.b.ep->handle(std::move(d)));
        if (p.wire.size() != 1) return std::nullopt;
        auto r = unprotect_as(keys(), false, p.wire.front().d.bytes);
        p.wire.clear();
        return r;
    }
};

TEST(Transport_mode, initiator_proposes_the_IKE_SA_addresses_narrowed_from_its_selectors) {
    // IKE_AUTH: configured 192.0.2.0/24 both ways; proposed and installed: the two hosts.
    Established e;
    ASSERT_EQ(e.p.a.installed.size(), 1u);
    EXPECT_EQ(e.p.a.installed[0].mode, Ipsec_mode::transport);
    EXPECT_EQ(e.p.a.installed[0].local_ts, (std::vector<Traffic_selector>{range(a_ip, a_ip)}));
    EXPECT_EQ(e.p.a.installed[0].remote_ts, (std::vector<Traffic_selector>{range(b_ip, b_ip)}));
    EXPECT_EQ(e.p.b.installed[0].local_ts, (std::vector<Traffic_selector>{range(b_ip, b_ip)}));
    EXPECT_EQ(e.p.b.installed[0].remote_ts, (std::vector<Traffic_selector>{range(a_ip, a_ip)}));
    // CREATE_CHILD_SA: the request itself carries one address each side.
    request(e.p, true, Create_CHILD_SA{"home", "net", e.p.now});
    ASSERT_EQ(e.p.wire.size(), 1u);
    auto m = unprotect_as(e.keys(), true, e.p.wire.front().d.bytes);
    ASSERT_TRUE(m);
    EXPECT_NE(m->find_notify(Notify_type::USE_TRANSPORT_MODE), nullptr);
    ASSERT_NE(selectors(*m, Payload_type::TSi), nullptr);
    EXPECT_EQ(*selectors(*m, Payload_type::TSi), (std::vector<Traffic_selector>{range(a_ip, a_ip)}));
    EXPECT_EQ(*selectors(*m, Payload_type::TSr), (std::vector<Traffic_selector>{range(b_ip, b_ip)}));
    e.p.run();
    expect_same_SAs(e.p, 2);
}

TEST(Transport_mode, initiator_keeps_protocol_and_ports_of_its_selectors) {
    Peer_pair p(transport_config(true, {range({192, 0, 2, 0}, {192, 0, 2, 127}, 6, 5000, 5000)}, {range(b_ip, b_ip, 6, 80, 80)}),
                transport_config(false, {doc_net}, {any_v4}));
    p.initiate();
    p.run();
    ASSERT_EQ(p.b.installed.size(), 1u) << p.transcript();
    EXPECT_EQ(p.b.installed[0].mode, Ipsec_mode::transport);
    EXPECT_EQ(p.b.installed[0].remote_ts, (std::vector<Traffic_selector>{range(a_ip, a_ip, 6, 5000, 5000)}));
    EXPECT_EQ(p.b.installed[0].local_ts, (std::vector<Traffic_selector>{range(b_ip, b_ip, 6, 80, 80)}));
}

TEST(Transport_mode, initiator_whose_selectors_hold_no_IKE_address_proposes_tunnel_mode) {
    // make_config's 10.1.0.0/24 <-> 10.2.0.0/24 cannot be one address, the IKE SA's (192.0.2.x).
    Config a = make_config(true), b = make_config(false);
    a.connections[0].children[0].mode = Ipsec_mode::transport;
    b.connections[0].children[0].mode = Ipsec_mode::transport;
    Peer_pair p(std::move(a), std::move(b));
    p.initiate();
    p.run();
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.23.1-s4")) << p.transcript();
    const bool asked = std::any_of(p.a.traces.begin(), p.a.traces.end(), [](const Message_trace& t) {
        return t.sent && t.notation.find("USE_TRANSPORT_MODE") != std::string::npos;
    });
    EXPECT_FALSE(asked) << p.transcript();
    ASSERT_EQ(p.a.installed.size(), 1u);
    EXPECT_EQ(p.a.installed[0].mode, Ipsec_mode::tunnel);
    EXPECT_EQ(p.b.installed.at(0).mode, Ipsec_mode::tunnel);
    expect_same_SAs(p, 1);
}

TEST(Transport_mode, responder_narrows_a_transport_request_to_the_IKE_SA_addresses) {
    Established e;
    auto r = e.ask_b(create_child(e.keys(), true, {doc_net}, {range({192, 0, 2, 0}, {192, 0, 2, 15}, 17, 0, 65535)}));
    ASSERT_TRUE(r) << e.p.transcript();
    EXPECT_NE(r->find_notify(Notify_type::USE_TRANSPORT_MODE), nullptr) << e.p.transcript();
    ASSERT_NE(selectors(*r, Payload_type::TSi), nullptr) << e.p.transcript();
    EXPECT_EQ(*selectors(*r, Payload_type::TSi), (std::vector<Traffic_selector>{range(a_ip, a_ip)}));
    EXPECT_EQ(*selectors(*r, Payload_type::TSr), (std::vector<Traffic_selector>{range(b_ip, b_ip, 17, 0, 65535)}));
    ASSERT_EQ(e.p.b.installed.size(), 2u);
    EXPECT_EQ(e.p.b.installed[1].mode, Ipsec_mode::transport);
    EXPECT_EQ(e.p.b.installed[1].remote_ts, (std::vector<Traffic_selector>{range(a_ip, a_ip)}));
}

TEST(Transport_mode, responder_behind_a_NAT_substitutes_the_addresses_the_IKE_packets_show) {
    // §2.23.1: the client sends its own address (10.0.0.5, behind its NAT); the server replaces
    // it with the IKE SA's (here the address A's packets come from) before the SPD lookup.
    Config a = transport_config(true, {doc_net}, {doc_net});
    a.force_nat_t = true;  // A's NAT_DETECTION_SOURCE_IP does not match: B sees A behind a NAT
    Peer_pair p(std::move(a), transport_config(false, {doc_net}, {any_v4}));
    p.initiate();
    p.run();
    ASSERT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    p.wire.clear();
    const Keys_derived& k = p.a.keys.at(0);
    const Address from = p.b.ep->list().at(0).remote, to = p.b.ep->list().at(0).local;
    Bytes bytes = protect_as(k, true, create_child(k, true, {range({10, 0, 0, 5}, {10, 0, 0, 5})}, {range(b_ip, b_ip)}));
    if (to.port != 500) bytes.insert(bytes.begin(), 4, 0);  // RFC 3948 non-ESP marker on the NAT-T port
    p.absorb(p.b, false, p.b.ep->handle(Datagram_received{to, from, std::move(bytes), p.now}));
    ASSERT_EQ(p.wire.size(), 1u) << p.transcript();
    Bytes answer = p.wire.front().d.bytes;
    if (to.port != 500) answer.erase(answer.begin(), answer.begin() + 4);
    auto r = unprotect_as(k, false, answer);
    ASSERT_TRUE(r) << p.transcript();
    EXPECT_NE(r->find_notify(Notify_type::USE_TRANSPORT_MODE), nullptr) << p.transcript();
    ASSERT_NE(selectors(*r, Payload_type::TSi), nullptr) << p.transcript();
    EXPECT_EQ(*selectors(*r, Payload_type::TSi), (std::vector<Traffic_selector>{range(from.ip, from.ip)}));
    EXPECT_EQ(p.b.installed.back().remote_ts, (std::vector<Traffic_selector>{range(from.ip, from.ip)}));
}

TEST(Transport_mode, through_a_NAT_both_ends_substitute_the_addresses_their_IKE_packets_show) {
    // §2.23.1's scenario with one NAT: A (10.0.0.5) behind a NAT that shows it as 198.51.100.7.
    // A proposes 10.0.0.5 <-> 192.0.2.1; B substitutes 198.51.100.7 for TSi and answers with it;
    // A substitutes its own 10.0.0.5 back before checking and installing (7296-2.23.1-s4).
    const Bytes inside{10, 0, 0, 5}, outside{198, 51, 100, 7};
    Config a = transport_config(true, {range(inside, inside)}, {range(b_ip, b_ip)});
    a.connections[0].local_addrs = {"10.0.0.5"};
    Config b = transport_config(false, {range(b_ip, b_ip)}, {any_v4});
    b.connections[0].remote_addrs = {};
    Peer_pair p(std::move(a), std::move(b));
    p.initiate();
    for (int i = 0; i < 100 && !p.wire.empty(); ++i) {
        In_flight f = std::move(p.wire.front());
        p.wire.pop_front();
        if (f.to_b && f.d.local.ip == inside) f.d.local.ip = outside;   // the NAT rewrites A's source
        if (!f.to_b && f.d.remote.ip == outside) f.d.remote.ip = inside;  // and B's answers back
        p.wire.push_front(std::move(f));
        ASSERT_TRUE(p.deliver_one());
    }
    ASSERT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    ASSERT_EQ(p.b.installed.size(), 1u) << p.transcript();
    EXPECT_EQ(p.b.installed[0].mode, Ipsec_mode::transport);
    EXPECT_EQ(p.b.installed[0].remote_ts, (std::vector<Traffic_selector>{range(outside, outside)}));
    ASSERT_EQ(p.a.installed.size(), 1u) << "A accepted B's substituted selectors: " << p.transcript();
    EXPECT_EQ(p.a.installed[0].mode, Ipsec_mode::transport);
    EXPECT_EQ(p.a.installed[0].local_ts, (std::vector<Traffic_selector>{range(inside, inside)}));
    EXPECT_EQ(p.a.installed[0].remote_ts, (std::vector<Traffic_selector>{range(b_ip, b_ip)}));
    EXPECT_EQ(p.a.installed[0].encr_key_out.hex(), p.b.installed[0].encr_key_in.hex());
}

TEST(Transport_mode, responder_refuses_a_transport_request_without_the_IKE_SA_addresses) {
    Established e;
    const Traffic_selector net = range({10, 1, 0, 0}, {10, 1, 0, 255});
    auto r = e.ask_b(create_child(e.keys(), true, {net}, {range(b_ip, b_ip)}));
    ASSERT_TRUE(r) << e.p.transcript();
    EXPECT_NE(r->find_notify(Notify_type::TS_UNACCEPTABLE), nullptr) << e.p.transcript();
    EXPECT_EQ(r->find(Payload_type::SA), nullptr);
    EXPECT_EQ(e.p.b.installed.size(), 1u) << "no CHILD SA made";
    const auto refusals = e.p.b.ep->refusals();
    ASSERT_FALSE(refusals.empty());
    EXPECT_EQ(refusals.back().notify, Notify_type::TS_UNACCEPTABLE);
    EXPECT_NE(refusals.back().text.find("§2.23.1"), std::string::npos) << refusals.back().text;
    EXPECT_EQ(e.p.b.ep->ike_sa_count(), 1u) << "only the CHILD SA is refused";
}

TEST(Transport_mode, responder_takes_a_tunnel_request_with_the_same_selectors_as_tunnel) {
    // Without N(USE_TRANSPORT_MODE) nothing asks for one address: narrowed as usual, tunnel mode.
    Established e;
    const Traffic_selector net = range({10, 1, 0, 0}, {10, 1, 0, 255});
    auto r = e.ask_b(create_child(e.keys(), false, {net}, {doc_net}));
    ASSERT_TRUE(r) << e.p.transcript();
    EXPECT_EQ(r->find_notify(Notify_type::USE_TRANSPORT_MODE), nullptr);
    ASSERT_NE(selectors(*r, Payload_type::TSi), nullptr) << e.p.transcript();
    EXPECT_EQ(*selectors(*r, Payload_type::TSi), (std::vector<Traffic_selector>{net}));
    EXPECT_EQ(e.p.b.installed.back().mode, Ipsec_mode::tunnel);
}

TEST(Transport_mode_selectors, narrow_to_address_and_substitute_address) {
    using core::narrow_to_address;
    using core::substitute_address;
    const auto web = range({192, 0, 2, 0}, {192, 0, 2, 255}, 6, 443, 443);
    EXPECT_EQ(narrow_to_address({web, range({10, 0, 0, 0}, {10, 0, 0, 9})}, a_ip),
              (std::vector<Traffic_selector>{range(a_ip, a_ip, 6, 443, 443)}));
    EXPECT_TRUE(narrow_to_address({range({10, 0, 0, 0}, {10, 0, 0, 9})}, a_ip).empty());
    EXPECT_TRUE(narrow_to_address({web}, Bytes(16, 1)).empty()) << "another family";
    EXPECT_TRUE(narrow_to_address({web}, Bytes{1, 2, 3}).empty()) << "not an address";
    // Single addresses are replaced (the NAT's view), ranges are left alone.
    EXPECT_EQ(substitute_address({range({10, 0, 0, 5}, {10, 0, 0, 5}, 17, 500, 500), web}, a_ip),
              (std::vector<Traffic_selector>{range(a_ip, a_ip, 17, 500, 500), web}));
}

}  // namespace
}  // namespace ike::test
