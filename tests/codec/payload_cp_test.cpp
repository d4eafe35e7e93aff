// Tests of src/codec/payload_cp.cpp: Configuration payload (RFC 7296 §3.15, §3.15.1).
#include "tests/codec/codec_test_util.hpp"

#include <rapidcheck/gtest.h>

namespace ike {
namespace {

using namespace ike::test;
using P = Payload_type;

Bytes cp_datagram(const std::string& hex) {
    return datagram_with_chain(P::CP, raw_payload(P::NONE, from_hex(hex)));
}

TEST(Payload_CP, decodes_CFG_REPLY_with_address_and_DNS) {
    // §3.15: CFG_REPLY (2), RESERVED; INTERNAL_IP4_ADDRESS (1) 10.0.0.5; INTERNAL_IP4_DNS (3)
    // 8.8.8.8; INTERNAL_IP6_ADDRESS (8) 2001:db8::1/64 (16 + prefix octet).
    const Bytes d = cp_datagram("02000000" "00010004" "0a000005" "00030004" "08080808"
                                "00080011" "20010db8000000000000000000000001" "40");
    const Message m = decode_ok(d);
    const auto& cp = std::get<Payload_CP>(m.payloads.at(0).body);
    EXPECT_EQ(cp.cfg_type, Cfg_type::CFG_REPLY);
    ASSERT_EQ(cp.attributes.size(), 3u);
    EXPECT_EQ(cp.attributes[0].type, 1u);
    EXPECT_EQ(to_hex(cp.attributes[0].value), "0a000005");
    EXPECT_EQ(cp.attributes[1].type, 3u);
    EXPECT_EQ(cp.attributes[2].value.size(), 17u);
    EXPECT_EQ(codec::encode_message(m), d);
}

TEST(Payload_CP, ignores_reserved_bit_of_attribute_type) {
    const Message m = decode_ok(cp_datagram("01000000" "80010000"));
    EXPECT_EQ(std::get<Payload_CP>(m.payloads.at(0).body).attributes.at(0).type, 1u);
}

TEST(Payload_CP, rejects_attribute_lengths_outside_the_table) {
    EXPECT_EQ(decode_rule(cp_datagram("01000000" "00010003" "0a0000")), "7296-3.15.1-attribute-length");
    EXPECT_EQ(decode_rule(cp_datagram("01000000" "000a0004" "00000000")), "7296-3.15.1-attribute-length");
    EXPECT_EQ(decode_rule(cp_datagram("01000000" "000e0003" "000100")), "7296-3.15.1-attribute-length");
    EXPECT_EQ(decode_rule(cp_datagram("01000000" "000f0000")), "7296-3.15.1-attribute-length");
}

TEST(Payload_CP, rejects_attribute_running_past_the_payload) {
    EXPECT_EQ(decode_rule(cp_datagram("01000000" "00070005" "0102")), "7296-3.15.1-attribute-length");
    EXPECT_EQ(decode_rule(cp_datagram("01000000" "0007")), "7296-3.15.1-attribute-header");
    EXPECT_EQ(decode_rule(cp_datagram("0100")), "7296-3.15-cp-length");
}

RC_GTEST_PROP(Payload_CP, round_trips, ()) {
    const Payload_CP cp = *gen_ike::cp();
    Message m;
    m.payloads = {Payload{P::CP, false, cp}};
    const auto r = codec::decode_message(codec::encode_message(m));
    RC_ASSERT(codec::ok(r));
    RC_ASSERT(std::get<Payload_CP>(codec::value(r).payloads.at(0).body) == cp);
}

}  // namespace
}  // namespace ike
