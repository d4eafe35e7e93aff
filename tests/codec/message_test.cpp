// Tests of src/codec/message.cpp: equality, find/find_notify, and the STYLE.md notation.
#include "tests/codec/codec_test_util.hpp"

namespace ike {
namespace {

using namespace ike::test;
using P = Payload_type;

Message sa_init_request() {
    Message m;
    m.header.SPIi = 0x0102030405060708;
    m.header.flags = flag::Initiator;
    m.payloads = {payload(P::SA, Payload_SA{}), payload(P::KE, Payload_KE{}), payload(P::Nonce, Payload_Nonce{}),
                  notify(Notify_type::NAT_DETECTION_SOURCE_IP)};
    return m;
}

TEST(Message, describe_uses_the_STYLE_md_notation) {
    EXPECT_EQ(describe(sa_init_request()), "IKE_SA_INIT request #0 { SA, KE, Ni, N(NAT_DETECTION_SOURCE_IP) }");
    Message r = sa_init_request();
    r.header.flags = flag::Response;
    EXPECT_EQ(describe(r), "IKE_SA_INIT response #0 { SA, KE, Nr, N(NAT_DETECTION_SOURCE_IP) }");
    Message e;
    e.header.exchange = Exchange_type::INFORMATIONAL;
    e.header.message_id = 7;
    e.payloads = {payload(P::D, Payload_D{}), payload(P::V, Payload_V{}), payload(P::CERT, Payload_unknown{}),
                  payload(static_cast<P>(100), Payload_unknown{}), payload(static_cast<P>(101), Payload_unknown{}, true)};
    EXPECT_EQ(describe(e), "INFORMATIONAL request #7 { D, V, CERT, U(100), U(101,C) }");
    Message empty;
    empty.header.exchange = static_cast<Exchange_type>(99);
    EXPECT_EQ(describe(empty), "99 request #0 { }");
}

TEST(Message, find_and_find_notify) {
    Message m = sa_init_request();
    m.payloads.push_back(notify(Notify_type::COOKIE, {1, 2}));
    EXPECT_EQ(m.find(P::KE), &m.payloads[1]);
    EXPECT_EQ(m.find(P::TSi), nullptr);
    const Payload_N* c = m.find_notify(Notify_type::COOKIE);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->data, (Bytes{1, 2}));
    EXPECT_EQ(m.find_notify(Notify_type::INVALID_KE_PAYLOAD), nullptr);
}

TEST(Message, equality_sees_every_field) {
    const Message a = sa_init_request();
    EXPECT_EQ(a, sa_init_request());
    Message b = a;
    b.header.message_id = 1;
    EXPECT_FALSE(a == b);
    b = a;
    b.was_protected = true;
    EXPECT_FALSE(a == b);
    b = a;
    b.payloads[3].critical = true;
    EXPECT_FALSE(a == b);
    b = a;
    std::get<Payload_N>(b.payloads[3].body).spi = {1};
    EXPECT_FALSE(a == b);
    Transform t1;
    Transform t2 = t1;
    t2.key_length = 128;
    EXPECT_FALSE(t1 == t2);
    Traffic_selector s1;
    Traffic_selector s2 = s1;
    s2.end_port = 1;
    EXPECT_FALSE(s1 == s2);
    Transform_attribute a1;
    Transform_attribute a2 = a1;
    a2.tv = false;
    EXPECT_FALSE(a1 == a2);
}

}  // namespace
}  // namespace ike
