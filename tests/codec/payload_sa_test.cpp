// Tests of src/codec/payload_sa.cpp: SA payload, proposals, transforms, attributes (RFC 7296 §3.3).
#include "tests/codec/codec_test_util.hpp"

namespace ike {
namespace {

using namespace ike::test;
using P = Payload_type;

// One IKE proposal: ENCR_AES_CBC/256, PRF_HMAC_SHA2_256, AUTH_HMAC_SHA2_256_128, MODP_2048,
// laid out by hand from RFC 7296 §3.3.1/§3.3.2/§3.3.5.
const char* sa_body_hex =
    "0000002c" "01010004"            // last proposal, length 44, #1, IKE, SPI size 0, 4 transforms
    "0300000c" "0100000c" "800e0100" // ENCR 12, Key Length 256
    "03000008" "02000005"            // PRF 5
    "03000008" "0300000c"            // INTEG 12
    "00000008" "0400000e";           // KE 14, last

Bytes sa_datagram(const std::string& body_hex) { return datagram_with_chain(P::SA, raw_payload(P::NONE, from_hex(body_hex))); }

TEST(Payload_SA, decodes_a_handmade_proposal) {
    const Message m = decode_ok(sa_datagram(sa_body_hex));
    const auto& sa = std::get<Payload_SA>(m.payloads.at(0).body);
    ASSERT_EQ(sa.proposals.size(), 1u);
    const Proposal& p = sa.proposals[0];
    EXPECT_EQ(p.number, 1);
    EXPECT_EQ(p.protocol, Protocol_id::IKE);
    ASSERT_EQ(p.transforms.size(), 4u);
    EXPECT_EQ(p.transforms[0].type, Transform_type::ENCR);
    EXPECT_EQ(p.transforms[0].id, 12);
    EXPECT_EQ(p.transforms[0].key_length, std::optional<std::uint16_t>(256));
    EXPECT_EQ(p.transforms[1].type, Transform_type::PRF);
    EXPECT_EQ(p.transforms[1].id, 5);
    EXPECT_FALSE(p.transforms[1].key_length.has_value());
    EXPECT_EQ(p.transforms[3].type, Transform_type::KE);
    EXPECT_EQ(p.transforms[3].id, 14);
    EXPECT_EQ(codec::encode_message(m), sa_datagram(sa_body_hex));
}

TEST(Payload_SA, decodes_ESP_proposal_with_SPI_from_aes256cbc_IKE_AUTH_shape) {
    // ESP, SPI ce245507, ENCR_NULL_AUTH_AES_GMAC/256, ESN 0 (values tshark shows for frame 3).
    const std::string body = "00000020" "02030402" "ce245507"
                             "0300000c" "01000015" "800e0100"
                             "00000008" "05000000";
    const Message m = decode_ok(sa_datagram(body));
    const auto& sa = std::get<Payload_SA>(m.payloads.at(0).body);
    EXPECT_EQ(sa.proposals[0].number, 2);  // a response echoes the accepted number
    EXPECT_EQ(sa.proposals[0].protocol, Protocol_id::ESP);
    EXPECT_EQ(to_hex(sa.proposals[0].spi), "ce245507");
    EXPECT_EQ(sa.proposals[0].transforms[0].id, 21);
}

TEST(Payload_SA, keeps_other_attributes_TLV_and_TV) {
    // transform length 18 = 8 + TV attribute 0x11 (4) + TLV attribute 0x12 (4 + 2)
    const std::string fixed = "0000001a" "01010001"
                              "00000012" "01000003" "80110005" "00120002" "abcd";
    const Message m = decode_ok(sa_datagram(fixed));
    const auto& t = std::get<Payload_SA>(m.payloads.at(0).body).proposals[0].transforms[0];
    ASSERT_EQ(t.other_attributes.size(), 2u);
    EXPECT_TRUE(t.other_attributes[0].tv);
    EXPECT_EQ(t.other_attributes[0].type, 0x11);
    EXPECT_EQ(to_hex(t.other_attributes[0].value), "0005");
    EXPECT_FALSE(t.other_attributes[1].tv);
    EXPECT_EQ(to_hex(t.other_attributes[1].value), "abcd");
    EXPECT_EQ(codec::encode_message(m), sa_datagram(fixed));
}

TEST(Payload_SA, rejects_transform_count_disagreeing_with_transforms) {
    std::string body = sa_body_hex;
    body[14] = '5';  // Num Transforms 5, four present
    EXPECT_EQ(decode_rule(sa_datagram(body)), "7296-3.3.1-transform-count");
}

TEST(Payload_SA, rejects_proposal_length_past_the_payload) {
    std::string body = sa_body_hex;
    body.replace(4, 4, "0038");
    EXPECT_EQ(decode_rule(sa_datagram(body)), "7296-3.3.1-proposal-length");
}

TEST(Payload_SA, rejects_transform_length_below_8) {
    std::string body = sa_body_hex;
    body.replace(16 + 4, 4, "0004");
    EXPECT_EQ(decode_rule(sa_datagram(body)), "7296-3.3.2-transform-length");
}

TEST(Payload_SA, rejects_last_transform_not_marked_last) {
    std::string body = sa_body_hex;
    body.replace(16 + 24 + 16 + 16, 2, "03");
    EXPECT_EQ(decode_rule(sa_datagram(body)), "7296-3.3.2-last-substruc");
}

TEST(Payload_SA, rejects_truncated_attribute) {
    const std::string body = "00000016" "01010001" "0000000e" "01000003" "0012000a" "ab" "cd";
    EXPECT_EQ(decode_rule(sa_datagram(body)), "7296-3.3.5-attribute-length");
}

TEST(Payload_SA, rejects_proposal_numbers_out_of_sequence) {
    const std::string one = "0000001001010001" "0000000801000003";
    std::string two = one;
    two[1] = '2';  // "more proposals"
    EXPECT_EQ(decode_rule(sa_datagram(two + one)), "7296-3.3.1-proposal-number");  // 1, 1
    std::string second = one;
    second[9] = '2';
    EXPECT_EQ(decode_rule(sa_datagram(two + second)), "");  // 1, 2
    std::string zero = one;
    zero[9] = '0';
    EXPECT_EQ(decode_rule(sa_datagram(zero)), "7296-3.3.1-proposal-number");
}

TEST(Payload_SA, rejects_empty_SA_and_SPI_size_past_proposal) {
    EXPECT_EQ(decode_rule(sa_datagram("")), "7296-3.3-no-proposal");
    EXPECT_EQ(decode_rule(sa_datagram("0000000c" "01030900" "aabbccdd")), "7296-3.3.1-spi-size");
}

TEST(Payload_SA, rejects_Key_Length_as_TLV) {
    const std::string body = "00000014" "01010001" "0000000c" "0100000c" "000e0000";
    EXPECT_EQ(decode_rule(sa_datagram(body)), "7296-3.3.5-key-length-tv");
}

}  // namespace
}  // namespace ike
