// RFC 7296 §2.5: an IKE_SA_INIT request with an unrecognized payload whose critical bit is set is
// rejected with N(UNSUPPORTED_CRITICAL_PAYLOAD) naming the payload type, and no state is kept;
// without the critical bit the payload is skipped. §2.15: AUTH covers the ID payload's RESERVED
// octets as received.
#include <gtest/gtest.h>

#include "src/codec/codec.hpp"
#include "tests/support/peer_pair.hpp"

namespace ike::test {
namespace {

Message first_request(Peer_pair& p) {
    p.initiate();
    auto d = codec::decode_message(p.wire.front().d.bytes);
    EXPECT_TRUE(codec::ok(d));
    p.wire.clear();
    return codec::value(d);
}

void deliver_to_b(Peer_pair& p, const Message& m) {
    p.absorb(p.b, false,
             p.b.ep->handle(Datagram_received{Address{{192, 0, 2, 1}, 500}, Address{{192, 0, 2, 2}, 500},
                                              codec::encode_message(m), p.now}));
}

Payload unknown_payload(bool critical) {
    Payload u;
    u.type = static_cast<Payload_type>(200);
    u.critical = critical;
    u.body = Payload_unknown{Bytes{1, 2, 3, 4}};
    return u;
}

TEST(Critical_payload, unknown_critical_in_IKE_SA_INIT_is_refused_without_state) {
    Peer_pair p(make_config(true), make_config(false));
    Message m = first_request(p);
    m.payloads.push_back(unknown_payload(true));
    deliver_to_b(p, m);
    ASSERT_EQ(p.wire.size(), 1u) << p.transcript();
    auto r = codec::decode_message(p.wire.front().d.bytes);
    ASSERT_TRUE(codec::ok(r));
    const auto* n = codec::value(r).find_notify(Notify_type::UNSUPPORTED_CRITICAL_PAYLOAD);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->data, (Bytes{200}));
    EXPECT_EQ(codec::value(r).payloads.size(), 1u);
    EXPECT_EQ(p.b.ep->ike_sa_count(), 0u);
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.5-unsupported-critical"));
}

TEST(Critical_payload, unknown_non_critical_in_IKE_SA_INIT_is_skipped) {
    Peer_pair p(make_config(true), make_config(false));
    Message m = first_request(p);
    m.payloads.push_back(unknown_payload(false));
    deliver_to_b(p, m);
    ASSERT_EQ(p.wire.size(), 1u);
    auto r = codec::decode_message(p.wire.front().d.bytes);
    ASSERT_TRUE(codec::ok(r));
    EXPECT_NE(codec::value(r).find(Payload_type::SA), nullptr) << "an ordinary IKE_SA_INIT response";
    EXPECT_EQ(p.b.ep->ike_sa_count(), 1u);
}

TEST(ID_reserved, codec_keeps_the_RESERVED_octets_that_AUTH_covers) {
    // The codec keeps what came in, and re-encodes it unchanged: the octets §2.15 signs.
    Payload_ID id;
    id.id_type = Id_type::ID_FQDN;
    id.data = Bytes{'a'};
    id.reserved = {0xaa, 0xbb, 0xcc};
    Message m;
    m.header.exchange = Exchange_type::IKE_AUTH;
    Payload p;
    p.type = Payload_type::IDi;
    p.body = id;
    m.payloads.push_back(p);
    const Bytes wire = codec::encode_message(m);
    auto d = codec::decode_message(wire);
    ASSERT_TRUE(codec::ok(d));
    const auto& got = std::get<Payload_ID>(codec::value(d).payloads.at(0).body);
    EXPECT_EQ(got.reserved, (std::array<std::uint8_t, 3>{0xaa, 0xbb, 0xcc}));
    EXPECT_EQ(codec::encode_message(codec::value(d)), wire);
}

}  // namespace
}  // namespace ike::test
