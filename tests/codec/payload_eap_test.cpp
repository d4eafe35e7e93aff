// Tests of src/codec/payload_eap.cpp: EAP payload (RFC 7296 §3.16, RFC 3748 §4).
#include "tests/codec/codec_test_util.hpp"

#include <rapidcheck/gtest.h>

namespace ike {
namespace {

using namespace ike::test;
using P = Payload_type;

Bytes eap_datagram(const std::string& hex) {
    return datagram_with_chain(P::EAP, raw_payload(P::NONE, from_hex(hex)));
}

TEST(Payload_EAP, decodes_EAP_Response_Identity) {
    // RFC 3748 §4.1/§5.1: Code 2 (Response), Identifier 7, Length 9, Type 1 (Identity), "user".
    const Bytes d = eap_datagram("02070009" "01" "75736572");
    const Message m = decode_ok(d);
    const auto& e = std::get<Payload_EAP>(m.payloads.at(0).body);
    EXPECT_EQ(e.code, 2);
    EXPECT_EQ(e.identifier, 7);
    EXPECT_EQ(e.type, std::optional<std::uint8_t>(1));
    EXPECT_EQ(std::string(e.data.begin(), e.data.end()), "user");
    EXPECT_EQ(codec::encode_message(m), d);
}

TEST(Payload_EAP, decodes_EAP_Success_without_type) {
    const Message m = decode_ok(eap_datagram("03070004"));
    const auto& e = std::get<Payload_EAP>(m.payloads.at(0).body);
    EXPECT_EQ(e.code, 3);
    EXPECT_FALSE(e.type.has_value());
}

TEST(Payload_EAP, rejects_EAP_length_not_equal_to_payload) {
    EXPECT_EQ(decode_rule(eap_datagram("0207000a" "01" "75736572")), "7296-3.16-eap-length");
    EXPECT_EQ(decode_rule(eap_datagram("02070008" "01" "75736572")), "7296-3.16-eap-length");
    EXPECT_EQ(decode_rule(eap_datagram("020700")), "7296-3.16-eap-length");
    EXPECT_EQ(decode_rule(eap_datagram("02070004")), "7296-3.16-eap-length");    // no Type
    EXPECT_EQ(decode_rule(eap_datagram("04070005" "00")), "7296-3.16-eap-length");  // Failure + data
}

RC_GTEST_PROP(Payload_EAP, round_trips, ()) {
    const Payload_EAP e = *gen_ike::eap();
    Message m;
    m.payloads = {Payload{P::EAP, false, e}};
    const auto r = codec::decode_message(codec::encode_message(m));
    RC_ASSERT(codec::ok(r));
    RC_ASSERT(std::get<Payload_EAP>(codec::value(r).payloads.at(0).body) == e);
}

}  // namespace
}  // namespace ike
