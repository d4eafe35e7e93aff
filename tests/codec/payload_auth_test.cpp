// Tests of src/codec/payload_auth.cpp: AUTH payload (RFC 7296 §3.8).
#include "tests/codec/codec_test_util.hpp"

namespace ike {
namespace {

using namespace ike::test;
using P = Payload_type;

TEST(Payload_AUTH, encodes_method_reserved_and_data) {
    Payload_AUTH a;
    a.method = Auth_method::Shared_Key_Message_Integrity_Code;
    // The AUTH data Wireshark's suite expects in ikev2-decrypt-aes256cbc.
    a.data = from_hex("e1a8d550064201a7ec024a85758d0673c61c5c510ac13bcd225d6327f50da3d3");
    const Bytes b = codec::encode_payload_chain({test::payload(P::AUTH, a)});
    EXPECT_EQ(to_hex(Octets(b.data(), 8)), "0000002802000000");
    auto back = codec::decode_payload_chain(P::AUTH, b, 0);
    ASSERT_TRUE(codec::ok(back));
    EXPECT_EQ(std::get<Payload_AUTH>(codec::value(back).at(0).body), a);
}

TEST(Payload_AUTH, rejects_AUTH_shorter_than_its_fixed_fields) {
    EXPECT_EQ(decode_rule(datagram_with_chain(P::AUTH, raw_payload(P::NONE, {2, 0}))), "7296-3.8-auth-length");
}

}  // namespace
}  // namespace ike
