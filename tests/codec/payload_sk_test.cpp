// Tests of src/codec/payload_sk.cpp: the SK payload kept whole (RFC 7296 §3.14).
#include "tests/codec/codec_test_util.hpp"

namespace ike {
namespace {

using namespace ike::test;
using P = Payload_type;

TEST(Payload_SK, next_payload_of_SK_is_first_inner_payload) {
    const auto msgs = aes128ccm12_messages();
    const Message m = decode_ok(msgs.at(3));
    const auto& sk = std::get<Payload_SK>(m.payloads.at(0).body);
    // tshark frame 4: IV a80c957bac15c3f8 (8), 1 octet encrypted (pad length), 12-octet tag,
    // no inner payload.
    EXPECT_EQ(sk.first_inner, P::NONE);
    EXPECT_EQ(sk.body.size(), 8u + 1u + 12u);
    EXPECT_EQ(to_hex(Octets(sk.body.data(), 8)), "a80c957bac15c3f8");
    // The SK generic header on the wire carries first_inner as Next Payload.
    EXPECT_EQ(msgs[3][28], 0);
    EXPECT_EQ(msgs[2][28], static_cast<std::uint8_t>(P::D));
}

TEST(Payload_SK, decrypted_message_is_described_inside_SK) {
    Message m;
    m.header.exchange = Exchange_type::IKE_AUTH;
    m.header.flags = flag::Response;
    m.header.message_id = 1;
    m.was_protected = true;
    m.payloads = {test::payload(P::IDr, Payload_ID{}), test::payload(P::AUTH, Payload_AUTH{}),
                  test::payload(P::SA, Payload_SA{}), test::payload(P::TSi, Payload_TS{}),
                  test::payload(P::TSr, Payload_TS{})};
    EXPECT_EQ(describe(m), "IKE_AUTH response #1 { SK { IDr, AUTH, SA, TSi, TSr } }");
    m.payloads.clear();
    EXPECT_EQ(describe(m), "IKE_AUTH response #1 { SK { } }");
}

}  // namespace
}  // namespace ike
