// Tests of src/codec/payload_notify.cpp: Notify payload (RFC 7296 §3.10).
#include "tests/codec/codec_test_util.hpp"

namespace ike {
namespace {

using namespace ike::test;
using P = Payload_type;

TEST(Payload_N, decodes_notify_with_SPI_and_data) {
    // REKEY_SA (16393) for ESP SPI 0x01020304: protocol 3, SPI size 4.
    const Bytes d = datagram_with_chain(P::N, raw_payload(P::NONE, from_hex("0304400901020304")));
    const Message m = decode_ok(d);
    const auto* n = m.find_notify(Notify_type::REKEY_SA);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->protocol, Protocol_id::ESP);
    EXPECT_EQ(to_hex(n->spi), "01020304");
    EXPECT_TRUE(n->data.empty());
    EXPECT_EQ(codec::encode_message(m), d);
}

TEST(Payload_N, keeps_unknown_notify_types) {
    const Message m = decode_ok(datagram_with_chain(P::N, raw_payload(P::NONE, from_hex("0000a00bff"))));
    EXPECT_EQ(std::get<Payload_N>(m.payloads.at(0).body).type, 0xa00b);
    EXPECT_EQ(describe(m), "IKE_SA_INIT request #0 { N(40971) }");
}

TEST(Payload_N, rejects_SPI_size_past_the_payload) {
    EXPECT_EQ(decode_rule(datagram_with_chain(P::N, raw_payload(P::NONE, from_hex("030840090102")))), "7296-3.10-spi-size");
    EXPECT_EQ(decode_rule(datagram_with_chain(P::N, raw_payload(P::NONE, from_hex("0300")))), "7296-3.10-notify-length");
}

}  // namespace
}  // namespace ike
