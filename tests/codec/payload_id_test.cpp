// Tests of src/codec/payload_id.cpp: IDi/IDr (RFC 7296 §3.5), with tcpdump's ikev2-id captures.
#include "tests/codec/codec_test_util.hpp"

namespace ike {
namespace {

using namespace ike::test;
using P = Payload_type;

TEST(Payload_ID, decodes_IDi_of_tcpdump_ikev2_id_normal) {
    const auto msgs = ike_messages_of_capture("tcpdump-isakmp/ikev2-id-normal.pcap");
    ASSERT_EQ(msgs.size(), 1u);
    // tcpdump: (v2IDi: len=5 01000000de ipv4:de): a 9-octet IDi followed by 39 stray octets,
    // which tcpdump ignores and we refuse (§3.1 Length covers header + payloads).
    EXPECT_EQ(decode_rule(msgs[0]), "7296-3.2-trailing-octets");
    auto chain = codec::decode_payload_chain(P::IDi, Octets(msgs[0].data() + 28, 9), 28);
    ASSERT_TRUE(codec::ok(chain));
    const auto& id = std::get<Payload_ID>(codec::value(chain).at(0).body);
    EXPECT_EQ(id.id_type, Id_type::ID_IPV4_ADDR);
    EXPECT_EQ(to_hex(id.data), "de");
}

TEST(Payload_ID, rejects_IDi_shorter_than_its_fixed_fields_ikev2_id_short) {
    const auto msgs = ike_messages_of_capture("tcpdump-isakmp/ikev2-id-short.pcap");
    ASSERT_EQ(msgs.size(), 1u);
    // tcpdump: (v2IDi: len=1 01 [payload too short])
    auto r = codec::decode_message(msgs[0]);
    ASSERT_FALSE(codec::ok(r));
    EXPECT_EQ(codec::error(r).rule, "7296-3.5-id-length");
    EXPECT_EQ(codec::error(r).payload, P::IDi);
}

TEST(Payload_ID, IDr_round_trip_with_fqdn) {
    Payload_ID id;
    id.id_type = Id_type::ID_FQDN;
    id.data = {'m', 'o', 'o', 'n'};
    const std::vector<Payload> chain = {test::payload(P::IDr, id)};
    const Bytes b = codec::encode_payload_chain(chain);
    EXPECT_EQ(to_hex(b), "0000000c02000000" "6d6f6f6e");
    auto back = codec::decode_payload_chain(P::IDr, b, 0);
    ASSERT_TRUE(codec::ok(back));
    EXPECT_EQ(codec::value(back), chain);
}

}  // namespace
}  // namespace ike
