// Tests of src/codec/payload_ts.cpp: TSi/TSr (RFC 7296 §3.13, selectors §3.13.1).
#include "tests/codec/codec_test_util.hpp"

namespace ike {
namespace {

using namespace ike::test;
using P = Payload_type;

Bytes ts_datagram(const std::string& hex) { return datagram_with_chain(P::TSi, raw_payload(P::NONE, from_hex(hex))); }

// One IPv4 selector: TCP ports 0..65535, 192.168.1.0 - 192.168.1.255.
const std::string v4 = "07060010" "0000ffff" "c0a80100" "c0a801ff";
// One IPv6 selector: any protocol, ::1 - ::1.
const std::string v6 = "08000028" "0000ffff" "00000000000000000000000000000001" "00000000000000000000000000000001";

TEST(Payload_TS, decodes_IPv4_and_IPv6_selectors) {
    const Bytes d = ts_datagram("02000000" + v4 + v6);
    const Message m = decode_ok(d);
    const auto& ts = std::get<Payload_TS>(m.payloads.at(0).body);
    ASSERT_EQ(ts.selectors.size(), 2u);
    EXPECT_EQ(ts.selectors[0].ts_type, Ts_type::TS_IPV4_ADDR_RANGE);
    EXPECT_EQ(ts.selectors[0].ip_protocol, 6);
    EXPECT_EQ(ts.selectors[0].end_port, 65535);
    EXPECT_EQ(to_hex(ts.selectors[0].end_address), "c0a801ff");
    EXPECT_EQ(ts.selectors[1].ts_type, Ts_type::TS_IPV6_ADDR_RANGE);
    EXPECT_EQ(ts.selectors[1].start_address.size(), 16u);
    EXPECT_EQ(codec::encode_message(m), d);
}

TEST(Payload_TS, rejects_TS_with_wrong_selector_length) {
    std::string bad4 = v4;
    bad4.replace(4, 4, "0028");  // IPv4 with 40
    EXPECT_EQ(decode_rule(ts_datagram("01000000" + bad4)), "7296-3.13.1-selector-length");
    std::string bad6 = v6;
    bad6.replace(4, 4, "0010");  // IPv6 with 16
    EXPECT_EQ(decode_rule(ts_datagram("01000000" + bad6)), "7296-3.13.1-selector-length");
    std::string odd = v4;
    odd.replace(4, 4, "0011");
    EXPECT_EQ(decode_rule(ts_datagram("01000000" + odd + "00")), "7296-3.13.1-selector-length");
}

TEST(Payload_TS, rejects_number_of_TSs_disagreeing_with_the_payload) {
    EXPECT_EQ(decode_rule(ts_datagram("02000000" + v4)), "7296-3.13-ts-count");
    EXPECT_EQ(decode_rule(ts_datagram("01000000" + v4 + v4)), "7296-3.13-ts-count");
    EXPECT_EQ(decode_rule(ts_datagram("00000000" + v4)), "7296-3.13-ts-count");
    EXPECT_EQ(decode_rule(ts_datagram("01000000" + v4.substr(0, 20))), "7296-3.13.1-selector-length");
}

TEST(Payload_TS, rejects_unknown_TS_type) {
    std::string fc = v4;
    fc.replace(0, 2, "09");
    EXPECT_EQ(decode_rule(ts_datagram("01000000" + fc)), "7296-3.13.1-ts-type");
}

}  // namespace
}  // namespace ike
