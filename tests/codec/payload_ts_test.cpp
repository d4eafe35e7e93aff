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

// RFC 7296 §2.9: "If the type of Traffic Selector proposed is unknown, the responder ignores
// that Traffic Selector": the codec keeps it (§3.13.1 layout: TS Type, one octet, Selector
// Length counting the 4-octet header, then the body) instead of refusing the payload.
TEST(Payload_TS, keeps_a_selector_of_unknown_TS_type_and_reencodes_it_byte_for_byte) {
    // TS Type 200, second octet 0x11, Selector Length 10, six octets of body; then an IPv4 selector.
    const std::string odd = "c811000a" "010203040506";
    const Bytes d = ts_datagram("02000000" + odd + v4);
    const Message m = decode_ok(d);
    const auto& ts = std::get<Payload_TS>(m.payloads.at(0).body);
    ASSERT_EQ(ts.selectors.size(), 2u);
    EXPECT_EQ(static_cast<int>(ts.selectors[0].ts_type), 200);
    EXPECT_FALSE(ts.selectors[0].known_type());
    EXPECT_EQ(ts.selectors[0].ip_protocol, 0x11);
    EXPECT_EQ(to_hex(ts.selectors[0].unknown_body), "010203040506");
    EXPECT_TRUE(ts.selectors[0].start_address.empty());
    EXPECT_TRUE(ts.selectors[1].known_type());
    EXPECT_EQ(to_hex(ts.selectors[1].start_address), "c0a80100");
    EXPECT_EQ(codec::encode_message(m), d);
}

TEST(Payload_TS, keeps_unknown_TS_types_with_empty_or_address_sized_bodies) {
    // Selector Length 4: a header alone. And an IPv4 selector retyped to 9 (the conformance
    // runner's case retypes one to 200 the same way): 16 octets, body = ports and addresses.
    std::string retyped = v4;
    retyped.replace(0, 2, "09");
    const Bytes d = ts_datagram("02000000" "ff000004" + retyped);
    const Message m = decode_ok(d);
    const auto& ts = std::get<Payload_TS>(m.payloads.at(0).body);
    ASSERT_EQ(ts.selectors.size(), 2u);
    EXPECT_EQ(static_cast<int>(ts.selectors[0].ts_type), 255);
    EXPECT_TRUE(ts.selectors[0].unknown_body.empty());
    EXPECT_EQ(static_cast<int>(ts.selectors[1].ts_type), 9);
    EXPECT_EQ(ts.selectors[1].ip_protocol, 6);
    EXPECT_EQ(to_hex(ts.selectors[1].unknown_body), "0000ffffc0a80100c0a801ff");
    EXPECT_EQ(codec::encode_message(m), d);
}

TEST(Payload_TS, rejects_unknown_TS_type_with_selector_length_below_its_header) {
    EXPECT_EQ(decode_rule(ts_datagram("01000000" "c8000003")), "7296-3.13.1-selector-length");
    EXPECT_EQ(decode_rule(ts_datagram("01000000" "c8000000")), "7296-3.13.1-selector-length");
}

TEST(Payload_TS, rejects_unknown_TS_type_running_past_the_payload) {
    EXPECT_EQ(decode_rule(ts_datagram("01000000" "c8000009" "01020304")), "7296-3.13.1-selector-length");
    EXPECT_EQ(decode_rule(ts_datagram("01000000" "c800ffff" "01020304")), "7296-3.13.1-selector-length");
    // Selector Length 6 but 8 octets follow: the extra two are not a selector.
    EXPECT_EQ(decode_rule(ts_datagram("01000000" "c8000006" "01020304")), "7296-3.13-ts-count");
}

TEST(Payload_TS, known_TS_types_keep_their_exact_selector_length) {
    // TS_IPV4_ADDR_RANGE with Selector Length 15 (one octet short, payload consistent with it).
    std::string short4 = v4.substr(0, v4.size() - 2);
    short4.replace(4, 4, "000f");
    EXPECT_EQ(decode_rule(ts_datagram("01000000" + short4)), "7296-3.13.1-selector-length");
    // TS_IPV6_ADDR_RANGE with Selector Length 4.
    EXPECT_EQ(decode_rule(ts_datagram("01000000" "08000004")), "7296-3.13.1-selector-length");
}

TEST(Payload_TS, encodes_a_hand_built_unknown_selector) {
    Traffic_selector t;
    t.ts_type = static_cast<Ts_type>(13);
    t.ip_protocol = 0;
    t.unknown_body = from_hex("aabb");
    Payload_TS ts;
    ts.selectors = {t};
    Message m;
    m.header.SPIi = 1;
    m.header.flags = flag::Initiator;
    m.payloads.push_back(Payload{P::TSi, false, ts});
    EXPECT_EQ(codec::encode_message(m), ts_datagram("01000000" "0d000006" "aabb"));
}

}  // namespace
}  // namespace ike
