// Tests of src/codec/payload_ke.cpp: KE payload (RFC 7296 §3.4).
#include "tests/codec/codec_test_util.hpp"

namespace ike {
namespace {

using namespace ike::test;
using P = Payload_type;

TEST(Payload_KE, decodes_group_and_data_and_leaves_data_length_to_core) {
    // Group 31 with 3 octets of data: the codec does not judge the length (the group does).
    const Bytes d = datagram_with_chain(P::KE, raw_payload(P::NONE, from_hex("001f0000aabbcc")));
    const Message m = decode_ok(d);
    const auto& ke = std::get<Payload_KE>(m.payloads.at(0).body);
    EXPECT_EQ(ke.group, 31);
    EXPECT_EQ(to_hex(ke.data), "aabbcc");
    EXPECT_EQ(codec::encode_message(m), d);
}

TEST(Payload_KE, rejects_KE_shorter_than_its_fixed_fields) {
    auto r = codec::decode_message(datagram_with_chain(P::KE, raw_payload(P::NONE, from_hex("001f00"))));
    ASSERT_FALSE(codec::ok(r));
    EXPECT_EQ(codec::error(r).rule, "7296-3.4-ke-length");
    EXPECT_EQ(codec::error(r).payload, P::KE);
}

}  // namespace
}  // namespace ike
