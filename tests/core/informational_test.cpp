// INFORMATIONAL requests (RFC 7296 §1.4, §2.2, §2.21) that an authenticated peer could send at the
// wrong moment or with odd contents: regression tests with crafted, correctly protected messages.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/peer_pair.hpp"
#include "tests/support/protect.hpp"

namespace ike::test {
namespace {

Payload payload(Payload_type t, Payload_body b) {
    Payload p;
    p.type = t;
    p.body = std::move(b);
    return p;
}

Message request(const Keys_derived& k, Exchange_type x, std::uint32_t mid, bool from_initiator) {
    Message m;
    m.header.SPIi = k.SPIi;
    m.header.SPIr = k.SPIr;
    m.header.exchange = x;
    m.header.flags = from_initiator ? flag::Initiator : 0;
    m.header.message_id = mid;
    m.was_protected = true;
    return m;
}

Bytes spi4(std::uint32_t v) {
    return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
            static_cast<std::uint8_t>(v)};
}

void feed_b(Peer_pair& p, Bytes bytes) {
    Datagram_received d{Address{{192, 0, 2, 1}, 500}, Address{{192, 0, 2, 2}, 500}, std::move(bytes), p.now};
    p.absorb(p.b, false, p.b.ep->handle(std::move(d)));
}

bool b_sent(const Peer_pair& p, const std::string& notation) {
    return std::any_of(p.b.traces.begin(), p.b.traces.end(),
                       [&](const Message_trace& t) { return t.sent && t.notation == notation; });
}

TEST(INFORMATIONAL, Delete_of_the_IKE_SA_sent_instead_of_IKE_AUTH_is_ignored) {
    Peer_pair p(make_config(true), make_config(false));
    p.initiate();
    ASSERT_TRUE(p.deliver_one());  // IKE_SA_INIT request
    ASSERT_TRUE(p.deliver_one());  // response: a has keys, its IKE_AUTH request is on the wire
    ASSERT_EQ(p.a.keys.size(), 1u);
    const Bytes real_auth = p.wire.front().d.bytes;
    p.wire.clear();
    Message m = request(p.a.keys[0], Exchange_type::INFORMATIONAL, 1, true);
    m.payloads.push_back(payload(Payload_type::D, Payload_D{Protocol_id::IKE, 0, {}}));
    feed_b(p, protect_as(p.a.keys[0], true, m));
    // §1.2: nothing but IKE_AUTH may follow IKE_SA_INIT; the Delete has no row: no answer, no change.
    EXPECT_TRUE(p.wire.empty());
    EXPECT_TRUE(p.b.has_diagnostic("model:no-transition")) << p.transcript();
    ASSERT_EQ(p.b.ep->ike_sa_count(), 1u);
    EXPECT_EQ(p.b.ep->list()[0].state, "Authenticating");
    // The real IKE_AUTH still completes.
    feed_b(p, real_auth);
    p.run();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
}

TEST(INFORMATIONAL, several_Deletes_with_the_IKE_SA_last_remove_everything) {
    Peer_pair p(make_config(true), make_config(false));
    p.initiate();
    p.run();
    ASSERT_EQ(p.a.keys.size(), 1u);
    const auto child = p.a.ep->list()[0].children[0];
    Message m = request(p.a.keys[0], Exchange_type::INFORMATIONAL, 2, true);
    m.payloads.push_back(payload(Payload_type::D, Payload_D{Protocol_id::ESP, 4, {spi4(child.spi_in), spi4(0x01020304)}}));
    m.payloads.push_back(payload(Payload_type::D, Payload_D{Protocol_id::IKE, 0, {}}));
    feed_b(p, protect_as(p.a.keys[0], true, m));
    // §1.4.1: the CHILD SA Delete is answered with ours, the unknown SPI ignored, then the IKE SA goes.
    EXPECT_TRUE(b_sent(p, "INFORMATIONAL response #2 { SK { D } }")) << p.transcript();
    EXPECT_EQ(p.b.ep->ike_sa_count(), 0u);
    EXPECT_TRUE(p.b.has_event(Sa_event_kind::CHILD_SA_deleted));
    EXPECT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_deleted));
}

TEST(INFORMATIONAL, Delete_for_an_unknown_SPI_is_answered_without_a_Delete) {
    Peer_pair p(make_config(true), make_config(false));
    p.initiate();
    p.run();
    Message m = request(p.a.keys[0], Exchange_type::INFORMATIONAL, 2, true);
    m.payloads.push_back(payload(Payload_type::D, Payload_D{Protocol_id::ESP, 4, {spi4(0x0badf00d)}}));
    feed_b(p, protect_as(p.a.keys[0], true, m));
    EXPECT_TRUE(b_sent(p, "INFORMATIONAL response #2 { SK { } }")) << p.transcript();
    EXPECT_EQ(p.b.ep->list()[0].children.size(), 1u);
}

TEST(INFORMATIONAL, request_outside_the_window_is_dropped) {
    Peer_pair p(make_config(true), make_config(false));
    p.initiate();
    p.run();
    Message m = request(p.a.keys[0], Exchange_type::INFORMATIONAL, 7, true);  // expected #2
    feed_b(p, protect_as(p.a.keys[0], true, m));
    EXPECT_TRUE(p.wire.empty());
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.2-request-message-id")) << p.transcript();
    // The window did not move: #2 is still answered.
    Message ok = request(p.a.keys[0], Exchange_type::INFORMATIONAL, 2, true);
    feed_b(p, protect_as(p.a.keys[0], true, ok));
    EXPECT_TRUE(b_sent(p, "INFORMATIONAL response #2 { SK { } }")) << p.transcript();
}

TEST(INFORMATIONAL, response_to_a_request_never_sent_is_dropped) {
    Peer_pair p(make_config(true), make_config(false));
    p.initiate();
    p.run();
    Message m = request(p.a.keys[0], Exchange_type::INFORMATIONAL, 0, true);
    m.header.flags = static_cast<std::uint8_t>(flag::Initiator | flag::Response);
    feed_b(p, protect_as(p.a.keys[0], true, m));
    EXPECT_TRUE(p.wire.empty());
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.2-response-without-request")) << p.transcript();
    EXPECT_EQ(p.b.ep->list()[0].state, "Established");
}

TEST(INFORMATIONAL, peer_rekeying_the_same_CHILD_SA_twice_then_deleting_the_old_and_one_replacement) {
    Peer_pair p(make_config(true), make_config(false));
    p.initiate();
    p.run();
    const auto& k = p.a.keys[0];
    const auto old = p.a.ep->list()[0].children[0];  // a's view: spi_in is what b sends with
    std::vector<std::uint32_t> replacements;
    for (std::uint32_t mid : {2u, 3u}) {
        Message r = request(k, Exchange_type::CREATE_CHILD_SA, mid, true);
        Payload_N n;
        n.protocol = Protocol_id::ESP;
        n.spi = spi4(old.spi_in);
        n.type = static_cast<std::uint16_t>(Notify_type::REKEY_SA);
        r.payloads.push_back(payload(Payload_type::N, n));
        Proposal prop = p.a.installed[0].proposal;
        prop.spi = spi4(0x1000 + mid);
        r.payloads.push_back(payload(Payload_type::SA, Payload_SA{{prop}}));
        r.payloads.push_back(payload(Payload_type::Nonce, Payload_Nonce{Bytes(32, static_cast<std::uint8_t>(mid))}));
        r.payloads.push_back(payload(Payload_type::TSi, Payload_TS{old.local_ts}));
        r.payloads.push_back(payload(Payload_type::TSr, Payload_TS{old.remote_ts}));
        feed_b(p, protect_as(k, true, r));
        replacements.push_back(0x1000 + mid);
    }
    ASSERT_EQ(p.b.ep->list()[0].children.size(), 3u) << p.transcript();  // old + two replacements
    Message d = request(k, Exchange_type::INFORMATIONAL, 4, true);
    d.payloads.push_back(payload(Payload_type::D, Payload_D{Protocol_id::ESP, 4, {spi4(old.spi_in), spi4(replacements[0])}}));
    feed_b(p, protect_as(k, true, d));
    const auto children = p.b.ep->list()[0].children;
    ASSERT_EQ(children.size(), 1u) << p.transcript();
    EXPECT_EQ(children[0].spi_out, replacements[1]);  // the second replacement survives
    EXPECT_TRUE(b_sent(p, "INFORMATIONAL response #4 { SK { D } }"));
}

}  // namespace
}  // namespace ike::test
