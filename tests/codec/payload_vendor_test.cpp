// Tests of src/codec/payload_vendor.cpp: Vendor ID payload (RFC 7296 §3.12).
#include "tests/codec/codec_test_util.hpp"

namespace ike {
namespace {

using namespace ike::test;
using P = Payload_type;

TEST(Payload_V, keeps_vendor_id_octets) {
    // strongSwan's vendor ID is the MD5 of "strongSwan": 882fe56d6fd20dbc2251613b2ebe5beb.
    const Bytes d = datagram_with_chain(P::V, raw_payload(P::NONE, from_hex("882fe56d6fd20dbc2251613b2ebe5beb")));
    const Message m = decode_ok(d);
    EXPECT_EQ(to_hex(std::get<Payload_V>(m.payloads.at(0).body).data), "882fe56d6fd20dbc2251613b2ebe5beb");
    EXPECT_EQ(codec::encode_message(m), d);
}

TEST(Payload_V, accepts_empty_vendor_id) {
    const Message m = decode_ok(datagram_with_chain(P::V, raw_payload(P::NONE, {})));
    EXPECT_TRUE(std::get<Payload_V>(m.payloads.at(0).body).data.empty());
}

}  // namespace
}  // namespace ike
