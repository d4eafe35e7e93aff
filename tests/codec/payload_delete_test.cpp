// Tests of src/codec/payload_delete.cpp: Delete payload (RFC 7296 §3.11).
#include "tests/codec/codec_test_util.hpp"

namespace ike {
namespace {

using namespace ike::test;
using P = Payload_type;

Bytes delete_datagram(const std::string& hex) { return datagram_with_chain(P::D, raw_payload(P::NONE, from_hex(hex))); }

TEST(Payload_D, decodes_IKE_SA_deletion_as_in_aes128ccm12_frame_3) {
    // tshark (decrypted frame 3): Delete, Protocol ID IKE (1), SPI Size 0, Number of SPIs 0.
    const Message m = decode_ok(delete_datagram("01000000"));
    const auto& d = std::get<Payload_D>(m.payloads.at(0).body);
    EXPECT_EQ(d.protocol, Protocol_id::IKE);
    EXPECT_EQ(d.spi_size, 0);
    EXPECT_TRUE(d.spis.empty());
}

TEST(Payload_D, decodes_two_ESP_SPIs) {
    const Bytes b = delete_datagram("03040002" "c9f1d870" "ce245507");
    const Message m = decode_ok(b);
    const auto& d = std::get<Payload_D>(m.payloads.at(0).body);
    ASSERT_EQ(d.spis.size(), 2u);
    EXPECT_EQ(to_hex(d.spis[1]), "ce245507");
    EXPECT_EQ(codec::encode_message(m), b);
}

TEST(Payload_D, rejects_delete_spi_count_mismatch) {
    EXPECT_EQ(decode_rule(delete_datagram("03040003" "c9f1d870" "ce245507")), "7296-3.11-spi-count");
    EXPECT_EQ(decode_rule(delete_datagram("03040001" "c9f1d870" "ce245507")), "7296-3.11-spi-count");
    EXPECT_EQ(decode_rule(delete_datagram("03040002" "c9f1d870" "ce2455")), "7296-3.11-spi-count");
    EXPECT_EQ(decode_rule(delete_datagram("01000005")), "7296-3.11-spi-count");
    EXPECT_EQ(decode_rule(delete_datagram("0100")), "7296-3.11-delete-length");
}

}  // namespace
}  // namespace ike
