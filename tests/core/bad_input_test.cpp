// Bad input from the network (first-slice list): each is dropped or answered as RFC 7296 §2.21
// says, with a diagnostic naming the rule, never a crash and never new state.
// Requirements: 7296-2.4-s7.
#include <gtest/gtest.h>

#include "src/codec/codec.hpp"
#include "tests/support/peer_pair.hpp"

namespace ike::test {
namespace {

Address addr(std::uint8_t last, std::uint16_t port) { return Address{{192, 0, 2, last}, port}; }

struct Responder {
    Side b;
    explicit Responder(const std::string& proposal = "aes256gcm16-prfsha256-x25519") {
        b.ep = std::make_unique<Endpoint>(make_config(false, proposal), make_seeded_botan_provider(7));
    }
    void feed(Peer_pair& helper, Bytes bytes) {
        helper.absorb(b, false, b.ep->handle(Datagram_received{addr(1, 500), addr(2, 500), std::move(bytes), Time{0}}));
    }
};

/// The initiator's first IKE_SA_INIT request, as octets and decoded.
Bytes first_request(const std::string& proposal = "aes256gcm16-prfsha256-x25519") {
    Peer_pair p(make_config(true, proposal), make_config(false, proposal));
    p.initiate();
    return p.wire.front().d.bytes;
}

Message decoded(const Bytes& b) {
    auto d = codec::decode_message(b);
    EXPECT_TRUE(codec::ok(d));
    return codec::value(d);
}

TEST(Bad_input, drops_datagram_shorter_than_the_IKE_header) {
    Peer_pair helper(make_config(true), make_config(false));
    Responder r;
    Bytes b = first_request();
    b.resize(20);
    r.feed(helper, b);
    EXPECT_TRUE(helper.wire.empty());
    EXPECT_EQ(r.b.ep->ike_sa_count(), 0u);
    ASSERT_EQ(r.b.diagnostics.size(), 1u);
    EXPECT_NE(r.b.diagnostics[0].rule.find("7296-3.1"), std::string::npos) << r.b.diagnostics[0].rule;
}

TEST(Bad_input, drops_header_length_that_disagrees_with_the_datagram) {
    Peer_pair helper(make_config(true), make_config(false));
    Responder r;
    Bytes b = first_request();
    b.push_back(0);  // one octet more than the Length field says
    r.feed(helper, b);
    EXPECT_TRUE(helper.wire.empty());
    EXPECT_EQ(r.b.ep->ike_sa_count(), 0u);
    ASSERT_FALSE(r.b.diagnostics.empty());
    EXPECT_NE(r.b.diagnostics[0].rule.find("7296-3.1"), std::string::npos) << r.b.diagnostics[0].rule;
}

TEST(Bad_input, drops_payload_length_running_past_the_message) {
    Peer_pair helper(make_config(true), make_config(false));
    Responder r;
    Bytes b = first_request();
    b[28 + 2] = 0xff;  // first payload's Payload Length
    b[28 + 3] = 0xff;
    r.feed(helper, b);
    EXPECT_TRUE(helper.wire.empty());
    EXPECT_EQ(r.b.ep->ike_sa_count(), 0u);
    ASSERT_FALSE(r.b.diagnostics.empty());
    EXPECT_NE(r.b.diagnostics[0].rule.find("7296-3.2"), std::string::npos) << r.b.diagnostics[0].rule;
}

TEST(Bad_input, rejects_KE_whose_length_does_not_match_group_14) {
    Peer_pair helper(make_config(true), make_config(false));
    Responder r("aes256-sha256-modp2048");
    Message m = decoded(first_request("aes256-sha256-modp2048"));
    for (auto& p : m.payloads) {
        if (auto* ke = std::get_if<Payload_KE>(&p.body)) ke->data.assign(1024, 0x5a);  // 256 expected
    }
    r.feed(helper, codec::encode_message(m));
    EXPECT_TRUE(helper.wire.empty());  // nothing protected before keys exist; no answer
    EXPECT_EQ(r.b.ep->ike_sa_count(), 0u);
    EXPECT_TRUE(r.b.has_diagnostic("7296-3.4-ke-length"));
}

TEST(Bad_input, drops_IKE_SA_INIT_request_without_Ni) {
    Peer_pair helper(make_config(true), make_config(false));
    Responder r;
    Message m = decoded(first_request());
    m.payloads.erase(std::remove_if(m.payloads.begin(), m.payloads.end(),
                                    [](const Payload& p) { return p.type == Payload_type::Nonce; }),
                     m.payloads.end());
    r.feed(helper, codec::encode_message(m));
    EXPECT_TRUE(helper.wire.empty());
    EXPECT_EQ(r.b.ep->ike_sa_count(), 0u);
    ASSERT_FALSE(r.b.diagnostics.empty());
    EXPECT_NE(r.b.diagnostics[0].rule.find("Ni"), std::string::npos) << r.b.diagnostics[0].rule;
}

TEST(Bad_input, drops_IKE_SA_INIT_request_without_KE) {
    Peer_pair helper(make_config(true), make_config(false));
    Responder r;
    Message m = decoded(first_request());
    m.payloads.erase(std::remove_if(m.payloads.begin(), m.payloads.end(),
                                    [](const Payload& p) { return p.type == Payload_type::KE; }),
                     m.payloads.end());
    r.feed(helper, codec::encode_message(m));
    EXPECT_TRUE(helper.wire.empty());
    EXPECT_EQ(r.b.ep->ike_sa_count(), 0u);
    ASSERT_FALSE(r.b.diagnostics.empty());
    EXPECT_NE(r.b.diagnostics[0].rule.find("KE"), std::string::npos) << r.b.diagnostics[0].rule;
}

TEST(Bad_input, IKE_AUTH_with_a_flipped_ciphertext_bit_is_dropped_silently_and_changes_nothing) {
    Peer_pair p(make_config(true), make_config(false));
    int to_b = 0;
    p.filter = [&](const In_flight& f) {
        if (f.to_b && ++to_b == 2) const_cast<In_flight&>(f).d.bytes[60] ^= 0x01;  // inside SK
        return true;
    };
    p.initiate();
    ASSERT_TRUE(p.deliver_one());  // IKE_SA_INIT request
    ASSERT_TRUE(p.deliver_one());  // response
    ASSERT_TRUE(p.deliver_one());  // corrupted IKE_AUTH request
    EXPECT_TRUE(p.wire.empty());   // §2.21: no answer to a message failing its integrity check
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.21-integrity"));
    // [7296-2.4-s4] a message without valid protection neither ends the SA nor counts against the peer.
    EXPECT_EQ(p.b.ep->list().at(0).state, "Authenticating");
    p.run();  // the initiator's retransmission (intact) completes the exchange
    EXPECT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
}

TEST(Bad_input, IKE_AUTH_request_before_IKE_SA_INIT_response_is_not_accepted) {
    // An IKE_AUTH for an SPI the responder never gave out: unknown IKE SA, dropped.
    Peer_pair helper(make_config(true), make_config(false));
    Responder r;
    Message m = decoded(first_request());
    m.header.exchange = Exchange_type::IKE_AUTH;
    m.header.SPIr = 0x1122334455667788ULL;
    m.header.message_id = 1;
    r.feed(helper, codec::encode_message(m));
    EXPECT_TRUE(helper.wire.empty());
    EXPECT_EQ(r.b.ep->ike_sa_count(), 0u);
    EXPECT_TRUE(r.b.has_diagnostic("7296-2.21.1-unknown-spi"));
}

// RFC 7296 §2.4 (7296-2.4-s7): actions on unprotected messages are rate limited: IKE_SA_INIT
// requests that would make a half-open IKE SA beyond Config::gate.unprotected_per_second in one
// second are dropped unanswered; the next second they are taken again. (The conformance runner
// floods the COOKIE listener with 1000 requests: stateless COOKIE answers are not counted.)
TEST(Bad_input, IKE_SA_INIT_requests_beyond_the_rate_limit_are_dropped_without_state) {
    Config cb = make_config(false);
    cb.gate.unprotected_per_second = 3;
    Side b;
    b.ep = std::make_unique<Endpoint>(std::move(cb), make_seeded_botan_provider(7));
    Peer_pair helper(make_config(true), make_config(false));
    const Bytes request = first_request();
    auto feed = [&](std::uint8_t n, Time at) {
        Bytes r = request;
        r[7] = n;  // another SPIi: another initiator
        helper.absorb(b, false, b.ep->handle(Datagram_received{addr(1, 500), addr(2, 500), std::move(r), at}));
    };
    for (std::uint8_t n = 1; n <= 5; ++n) feed(n, Time{100});
    EXPECT_EQ(helper.wire.size(), 3u);         // three answered
    EXPECT_EQ(b.ep->list().size(), 3u);        // three half-open IKE SAs, none for the other two
    EXPECT_TRUE(b.has_diagnostic("7296-2.4-s7"));
    feed(6, Time{1100});                       // a second later: taken again
    EXPECT_EQ(helper.wire.size(), 4u);
    EXPECT_EQ(b.ep->list().size(), 4u);
}

TEST(Bad_input, stateless_COOKIE_answers_are_not_rate_limited) {
    Config cb = make_config(false);
    cb.gate.unprotected_per_second = 3;
    cb.gate.cookies = Cookie_policy::always;
    Side b;
    b.ep = std::make_unique<Endpoint>(std::move(cb), make_seeded_botan_provider(7));
    Peer_pair helper(make_config(true), make_config(false));
    const Bytes request = first_request();
    for (std::uint8_t n = 1; n <= 5; ++n) {
        Bytes r = request;
        r[7] = n;
        helper.absorb(b, false, b.ep->handle(Datagram_received{addr(1, 500), addr(2, 500), std::move(r), Time{100}}));
    }
    EXPECT_EQ(helper.wire.size(), 5u);  // five N(COOKIE) answers, no state
    EXPECT_TRUE(b.ep->list().empty());
    EXPECT_FALSE(b.has_diagnostic("7296-2.4-s7"));
}

}  // namespace
}  // namespace ike::test
