// Authenticated but malformed messages (RFC 7296 §2.21.2, §2.21.3, §2.5, §3.11): a request whose
// ICV verifies and whose Message ID is the expected one, but whose content does not decode, gets
// a protected N(INVALID_SYNTAX), and INVALID_SYNTAX ends the IKE SA in both peers without a
// Delete. An unrecognized critical payload before SK rejects the request like one inside it.
// Higher major versions are answered with an unprotected INVALID_MAJOR_VERSION.
// Requirements: 7296-2.21.3-s1, 7296-2.21.2-s3, 7296-2.21.3-invalid-syntax-fatal, 7296-2.5-s8,
// 7296-2.5-s2, 7296-3.1-s6, 7296-2.5-major-version, 7296-3.11-s3, 7296-2.21.1-error-notify.
#include <gtest/gtest.h>

#include <algorithm>

#include "src/codec/codec.hpp"
#include "tests/support/peer_pair.hpp"
#include "tests/support/protect.hpp"

namespace ike::test {
namespace {

Payload payload(Payload_type t, Payload_body b, bool critical = false) {
    Payload p;
    p.type = t;
    p.critical = critical;
    p.body = std::move(b);
    return p;
}

void feed_b(Peer_pair& p, Bytes bytes) {
    Datagram_received d{Address{{192, 0, 2, 1}, 500}, Address{{192, 0, 2, 2}, 500}, std::move(bytes), p.now};
    p.absorb(p.b, false, p.b.ep->handle(std::move(d)));
}

/// TSi whose one TS_IPV4_ADDR_RANGE selector says Selector Length `length` (§3.13.1: 16).
Payload bad_TSi(std::uint16_t length) {
    Bytes body{1, 0, 0, 0,  // Number of TSs 1, RESERVED
               7, 0, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length & 0xff),
               0, 0, 0xff, 0xff, 10, 0, 0, 0, 10, 0, 0, 255};
    return payload(Payload_type::TSi, Payload_unknown{body});
}

struct Established {
    Peer_pair p{make_config(true), make_config(false)};
    const Keys_derived& keys() const { return p.a.keys.at(0); }
    Established() {
        p.initiate();
        p.run();
        EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established));
        p.wire.clear();
    }
    /// B's only answer, decrypted with B's keys.
    std::optional<Message> answer() const {
        if (p.wire.size() != 1) return std::nullopt;
        return unprotect_as(keys(), false, p.wire.front().d.bytes);
    }
};

TEST(Malformed_request, bad_selector_length_in_a_CHILD_SA_rekey_gets_INVALID_SYNTAX_and_ends_the_IKE_SA) {
    for (std::uint16_t length : {std::uint16_t{15}, std::uint16_t{17}, std::uint16_t{0}, std::uint16_t{0xffff}}) {
        SCOPED_TRACE(length);
        Established e;
        const auto children = e.p.b.installed.size();
        Message m = protected_request(e.keys(), true, Exchange_type::CREATE_CHILD_SA, 2);
        m.payloads.push_back(bad_TSi(length));
        feed_b(e.p, protect_as(e.keys(), true, m));
        auto r = e.answer();
        ASSERT_TRUE(r) << e.p.transcript();
        EXPECT_TRUE(r->header.is_response());
        EXPECT_EQ(r->header.message_id, 2u);
        ASSERT_EQ(r->payloads.size(), 1u);
        EXPECT_NE(r->find_notify(Notify_type::INVALID_SYNTAX), nullptr);
        // §2.21.3: fatal in both peers: B's IKE SA and its CHILD SA are gone, with no Delete sent.
        EXPECT_EQ(e.p.b.ep->ike_sa_count(), 0u);
        EXPECT_TRUE(e.p.b.has_diagnostic("7296-2.21.3-invalid-syntax-fatal"));
        EXPECT_TRUE(std::any_of(e.p.b.diagnostics.begin(), e.p.b.diagnostics.end(),
                                [](const Diagnostic& d) { return d.rule.rfind("7296-3.13", 0) == 0; }))
            << e.p.transcript();
        EXPECT_TRUE(e.p.b.has_event(Sa_event_kind::IKE_SA_deleted));
        EXPECT_EQ(children, 1u);
        // A receives the INVALID_SYNTAX answer to a request it never sent: dropped, A unchanged.
        e.p.run();
        EXPECT_EQ(e.p.a.ep->ike_sa_count(), 1u);
    }
}

TEST(Malformed_request, outside_the_window_is_dropped_without_an_answer) {
    Established e;
    Message m = protected_request(e.keys(), true, Exchange_type::CREATE_CHILD_SA, 5);
    m.payloads.push_back(bad_TSi(15));
    feed_b(e.p, protect_as(e.keys(), true, m));
    EXPECT_TRUE(e.p.wire.empty());
    EXPECT_EQ(e.p.b.ep->ike_sa_count(), 1u);
    EXPECT_TRUE(e.p.b.has_diagnostic("7296-2.2-request-message-id"));
}

TEST(Malformed_request, Delete_of_the_IKE_SA_with_SPI_Size_8_is_INVALID_SYNTAX) {
    // §3.11: SPI Size MUST be zero for IKE. The Delete is not taken as a Delete of the IKE SA: B
    // answers INVALID_SYNTAX (which ends the IKE SA without a Delete payload, §2.21.3).
    Established e;
    Message m = protected_request(e.keys(), true, Exchange_type::INFORMATIONAL, 2);
    m.payloads.push_back(payload(Payload_type::D, Payload_D{Protocol_id::IKE, 8, {Bytes(8, 0x42)}}));
    feed_b(e.p, protect_as(e.keys(), true, m));
    auto r = e.answer();
    ASSERT_TRUE(r) << e.p.transcript();
    EXPECT_NE(r->find_notify(Notify_type::INVALID_SYNTAX), nullptr);
    EXPECT_EQ(r->find(Payload_type::D), nullptr) << "not answered as a Delete";
    EXPECT_TRUE(e.p.b.has_diagnostic("7296-3.11-spi-size"));
}

TEST(Malformed_request, message_rule_violation_on_an_established_SA_ends_it_too) {
    // A CREATE_CHILD_SA request without Ni decodes but breaks §1.3's payload rules.
    Established e;
    Message m = protected_request(e.keys(), true, Exchange_type::CREATE_CHILD_SA, 2);
    m.payloads.push_back(payload(Payload_type::N, Payload_N{}));
    feed_b(e.p, protect_as(e.keys(), true, m));
    auto r = e.answer();
    ASSERT_TRUE(r) << e.p.transcript();
    EXPECT_NE(r->find_notify(Notify_type::INVALID_SYNTAX), nullptr);
    EXPECT_EQ(e.p.b.ep->ike_sa_count(), 0u);
}

TEST(Malformed_request, INVALID_SYNTAX_received_in_a_response_ends_the_IKE_SA_of_the_requester) {
    // §2.21.3: "fatal in both peers". B sends a CHILD SA request; A's answer is replaced by a
    // protected INVALID_SYNTAX; B deletes its IKE SA without a Delete exchange.
    Established e;
    auto& p = e.p;
    // B (original responder) creates a CHILD SA: let its request reach the wire.
    p.absorb(p.b, false, p.b.ep->handle(Create_CHILD_SA{"home", "net", p.now}));
    ASSERT_EQ(p.wire.size(), 1u) << p.transcript();
    auto req = codec::decode_message(p.wire.front().d.bytes);
    ASSERT_TRUE(codec::ok(req));
    p.wire.clear();
    Message r;
    r.header = codec::value(req).header;
    r.header.flags = flag::Response | flag::Initiator;  // from A, the original initiator
    r.payloads.push_back(payload(Payload_type::N, Payload_N{Protocol_id::NONE, {}, 7, {}}));
    Datagram_received d{Address{{192, 0, 2, 1}, 500}, Address{{192, 0, 2, 2}, 500}, protect_as(e.keys(), true, r), p.now};
    p.absorb(p.b, false, p.b.ep->handle(std::move(d)));
    EXPECT_TRUE(p.wire.empty()) << "no Delete, no answer to a response";
    EXPECT_EQ(p.b.ep->ike_sa_count(), 0u) << p.transcript();
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.21.3-invalid-syntax-fatal"));
}

TEST(Malformed_request, unknown_critical_payload_before_SK_in_IKE_AUTH_is_refused) {
    // §2.5: an unrecognized payload with the critical flag rejects the message wherever it is;
    // in IKE_AUTH, UNSUPPORTED_CRITICAL_PAYLOAD means no IKE SA (§2.21.2).
    Peer_pair p(make_config(true), make_config(false));
    p.initiate();
    ASSERT_TRUE(p.deliver_one());
    ASSERT_TRUE(p.deliver_one());
    ASSERT_EQ(p.a.keys.size(), 1u);
    const Keys_derived& keys = p.a.keys[0];
    auto real = unprotect_as(keys, true, p.wire.front().d.bytes);
    ASSERT_TRUE(real);
    p.wire.clear();
    Message m = *real;
    m.was_protected = true;
    const Bytes bytes = protect_as(keys, true, m, {payload(static_cast<Payload_type>(100), Payload_unknown{{1, 2}}, true)});
    feed_b(p, bytes);
    ASSERT_EQ(p.wire.size(), 1u) << p.transcript();
    auto r = unprotect_as(keys, false, p.wire.front().d.bytes);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->payloads.size(), 1u);
    const auto* n = r->find_notify(Notify_type::UNSUPPORTED_CRITICAL_PAYLOAD);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->data, Bytes{100});
    EXPECT_EQ(p.b.ep->ike_sa_count(), 0u);
    EXPECT_FALSE(p.b.has_event(Sa_event_kind::IKE_SA_established));
}

TEST(Malformed_request, higher_major_version_is_answered_INVALID_MAJOR_VERSION_unprotected) {
    Peer_pair p(make_config(true), make_config(false));
    p.initiate();
    Bytes first = p.wire.front().d.bytes;
    p.wire.clear();
    first[17] = 0x30;  // §3.1 MjVer 3
    feed_b(p, first);
    ASSERT_EQ(p.wire.size(), 1u);
    auto r = codec::decode_message(p.wire.front().d.bytes);
    ASSERT_TRUE(codec::ok(r));
    const Message& m = codec::value(r);
    EXPECT_EQ(m.header.major_version, 2);
    EXPECT_TRUE(m.header.is_response());
    EXPECT_FALSE(m.header.from_original_initiator());
    EXPECT_EQ(m.header.exchange, Exchange_type::IKE_SA_INIT);
    ASSERT_EQ(m.payloads.size(), 1u);
    EXPECT_NE(m.find_notify(Notify_type::INVALID_MAJOR_VERSION), nullptr);
    EXPECT_EQ(p.b.ep->ike_sa_count(), 0u) << "dropped: no state";
    // A response with a higher major version is never answered (§3.1).
    p.wire.clear();
    Bytes response = first;
    response[19] = flag::Response;
    feed_b(p, response);
    EXPECT_TRUE(p.wire.empty());
    // §2.21.4: a flood gets at most 10 answers per second.
    for (int i = 0; i < 30; ++i) feed_b(p, first);
    EXPECT_LE(p.wire.size(), 10u);
    EXPECT_GE(p.wire.size(), 9u);
}

TEST(Malformed_request, higher_major_version_on_an_established_SA_is_not_processed) {
    Established e;
    Message m = protected_request(e.keys(), true, Exchange_type::INFORMATIONAL, 2);
    Bytes b = protect_as(e.keys(), true, m);
    b[17] = 0x30;
    feed_b(e.p, b);
    ASSERT_EQ(e.p.wire.size(), 1u);
    auto r = codec::decode_message(e.p.wire.front().d.bytes);
    ASSERT_TRUE(codec::ok(r));
    EXPECT_NE(codec::value(r).find_notify(Notify_type::INVALID_MAJOR_VERSION), nullptr);
    EXPECT_EQ(codec::value(r).header.message_id, 2u);
    // Message ID 2 was not consumed: the same request with version 2 is answered.
    e.p.wire.clear();
    feed_b(e.p, protect_as(e.keys(), true, m));
    auto answer = e.answer();
    ASSERT_TRUE(answer) << e.p.transcript();
    EXPECT_EQ(answer->header.message_id, 2u);
    EXPECT_EQ(e.p.b.ep->ike_sa_count(), 1u);
}

void feed_a(Peer_pair& p, Bytes bytes) {
    Datagram_received d{Address{{192, 0, 2, 2}, 500}, Address{{192, 0, 2, 1}, 500}, std::move(bytes), p.now};
    p.absorb(p.a, true, p.a.ep->handle(std::move(d)));
}

/// A's IKE_SA_INIT request delivered to B; B's response taken off the wire, decoded.
Message genuine_IKE_SA_INIT_response(Peer_pair& p) {
    p.initiate();
    EXPECT_TRUE(p.deliver_one());
    EXPECT_EQ(p.wire.size(), 1u);
    auto r = codec::decode_message(p.wire.front().d.bytes);
    EXPECT_TRUE(codec::ok(r));
    p.wire.clear();
    return codec::value(r);
}

TEST(Malformed_response, IKE_SA_INIT_response_with_an_unknown_critical_payload_is_rejected) {
    // §2.5: the message MUST be rejected: no IKE_AUTH is built on it; the genuine one still works.
    Peer_pair p(make_config(true), make_config(false));
    const Message genuine = genuine_IKE_SA_INIT_response(p);
    Message bad = genuine;
    bad.payloads.push_back(payload(static_cast<Payload_type>(200), Payload_unknown{{1, 2, 3}}, true));
    feed_a(p, codec::encode_message(bad));
    EXPECT_TRUE(p.wire.empty()) << p.transcript();
    EXPECT_TRUE(p.a.keys.empty());
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.5-unsupported-critical"));
    feed_a(p, codec::encode_message(genuine));
    p.run();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
}

TEST(Malformed_response, unprotected_error_then_genuine_IKE_SA_INIT_response_establishes) {
    // §2.21.1: an unprotected NO_PROPOSAL_CHOSEN may be forged; the genuine answer that follows wins.
    Peer_pair p(make_config(true), make_config(false));
    const Message genuine = genuine_IKE_SA_INIT_response(p);
    Message forged;
    forged.header = genuine.header;
    forged.header.SPIr = 0;
    forged.payloads.push_back(payload(Payload_type::N, Payload_N{Protocol_id::NONE, {}, 14, {}}));
    feed_a(p, codec::encode_message(forged));
    EXPECT_FALSE(p.a.has_event(Sa_event_kind::IKE_SA_failed));
    p.now += Time(200);
    feed_a(p, codec::encode_message(genuine));
    p.run();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_FALSE(p.a.has_event(Sa_event_kind::IKE_SA_failed));
}

TEST(Malformed_response, unprotected_error_alone_ends_the_attempt_when_the_timer_fires) {
    Peer_pair p(make_config(true), make_config(false));
    const Message genuine = genuine_IKE_SA_INIT_response(p);
    Message error;
    error.header = genuine.header;
    error.header.SPIr = 0;
    error.payloads.push_back(payload(Payload_type::N, Payload_N{Protocol_id::NONE, {}, 14, {}}));
    feed_a(p, codec::encode_message(error));
    EXPECT_FALSE(p.a.has_event(Sa_event_kind::IKE_SA_failed));
    const auto sent_before = p.a.sent.size();
    ASSERT_TRUE(p.fire_next_timer());
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_failed)) << p.transcript();
    EXPECT_EQ(p.a.sent.size(), sent_before) << "no retransmission: the attempt ended";
    EXPECT_EQ(p.a.ep->ike_sa_count(), 0u);
}

TEST(Malformed_response, unrecognized_error_notify_next_to_SA_fails_the_CHILD_SA_request) {
    // §3.10.1 (7296-3.10.1-s1): an error type the requester does not recognize means the request
    // failed entirely, even next to SA, Nr, TSi and TSr.
    Established e;
    auto& p = e.p;
    const auto installed = p.a.installed.size();
    p.absorb(p.a, true, p.a.ep->handle(Create_CHILD_SA{"home", "net", p.now}));
    ASSERT_TRUE(p.deliver_one());  // A's request to B
    ASSERT_EQ(p.wire.size(), 1u);
    auto r = unprotect_as(e.keys(), false, p.wire.front().d.bytes);
    ASSERT_TRUE(r);
    ASSERT_NE(r->find(Payload_type::SA), nullptr);
    p.wire.clear();
    r->payloads.push_back(payload(Payload_type::N, Payload_N{Protocol_id::NONE, {}, 8191, {}}));
    r->was_protected = true;
    feed_a(p, protect_as(e.keys(), false, *r));
    EXPECT_EQ(p.a.installed.size(), installed) << p.transcript();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::CHILD_SA_failed));
    EXPECT_EQ(p.a.ep->ike_sa_count(), 1u) << "the IKE SA stays (§2.21.3)";
}

}  // namespace
}  // namespace ike::test
