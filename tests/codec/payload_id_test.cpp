// Tests of src/codec/payload_id.cpp: IDi/IDr (RFC 7296 §3.5), with tcpdump's ikev2-id captures,
// and the terminator check of ID_FQDN / ID_RFC822_ADDR strings.
// Requirements: 7296-3.5-s3, 7296-3.5-s4.
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

// §3.5: "The string MUST NOT contain any terminators (e.g., NULL, CR, etc.)". A decodable ID
// payload holding one is not a codec error (§2.21.2 answers it AUTHENTICATION_FAILED); the helper
// finds the first NUL, CR or LF, and only in the two string types.
TEST(Payload_ID, id_terminator_finds_NUL_CR_LF_in_string_types_only) {
    const Bytes fqdn{'a', '.', 'b', 0x0d, 0x0a};
    EXPECT_EQ(codec::id_terminator(Id_type::ID_FQDN, fqdn), std::optional<std::size_t>(3));
    EXPECT_EQ(codec::describe_id_terminator(fqdn, 3), "CR (0x0d) at offset 3");
    EXPECT_EQ(codec::id_terminator(Id_type::ID_RFC822_ADDR, Bytes{'x', '@', 'y', 0x00}), std::optional<std::size_t>(3));
    EXPECT_EQ(codec::id_terminator(Id_type::ID_FQDN, Bytes{'a', 0x0a}), std::optional<std::size_t>(1));
    EXPECT_EQ(codec::id_terminator(Id_type::ID_FQDN, Bytes{'a', '.', 'b', 0x09}), std::nullopt);  // TAB is no terminator
    EXPECT_EQ(codec::id_terminator(Id_type::ID_KEY_ID, Bytes{0x00, 0x0a, 0x0d}), std::nullopt);
    EXPECT_EQ(codec::id_terminator(Id_type::ID_IPV4_ADDR, Bytes{10, 0, 0, 13}), std::nullopt);
    // The payload itself decodes: the refusal is authentication's, not the codec's.
    const Bytes wire{0, 0, 0, 10, 2, 0, 0, 0, 'a', 0x0d};
    auto chain = codec::decode_payload_chain(P::IDi, wire, 0);
    ASSERT_TRUE(codec::ok(chain));
    EXPECT_EQ(std::get<Payload_ID>(codec::value(chain).at(0).body).data, (Bytes{'a', 0x0d}));
}

}  // namespace
}  // namespace ike
