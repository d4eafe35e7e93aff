// Tests of src/codec/payload_cert.cpp: Certificate payload (RFC 7296 §3.6).
#include "tests/codec/codec_test_util.hpp"

#include <rapidcheck/gtest.h>

namespace ike {
namespace {

using namespace ike::test;
using P = Payload_type;

Bytes cert_datagram(const std::string& hex) {
    return datagram_with_chain(P::CERT, raw_payload(P::NONE, from_hex(hex)));
}

TEST(Payload_CERT, decodes_encoding_and_certificate_data) {
    // §3.6: Cert Encoding 4 (X.509 Certificate - Signature), then the DER certificate
    // (here the first octets of a DER SEQUENCE: 30 82 01 0a).
    const Bytes d = cert_datagram("04" "3082010a");
    const Message m = decode_ok(d);
    const auto& c = std::get<Payload_CERT>(m.payloads.at(0).body);
    EXPECT_EQ(c.encoding, Cert_encoding::X509_Certificate_Signature);
    EXPECT_EQ(to_hex(c.data), "3082010a");
    EXPECT_EQ(codec::encode_message(m), d);
}

TEST(Payload_CERT, keeps_unknown_encoding) {
    const Message m = decode_ok(cert_datagram("c8" "01"));
    EXPECT_EQ(static_cast<unsigned>(std::get<Payload_CERT>(m.payloads.at(0).body).encoding), 200u);
}

TEST(Payload_CERT, rejects_CERT_without_encoding_octet) {
    EXPECT_EQ(decode_rule(cert_datagram("")), "7296-3.6-cert-length");
}

RC_GTEST_PROP(Payload_CERT, round_trips, ()) {
    const Payload_CERT c = *gen_ike::cert();
    Message m;
    m.payloads = {Payload{P::CERT, false, c}};
    const auto r = codec::decode_message(codec::encode_message(m));
    RC_ASSERT(codec::ok(r));
    RC_ASSERT(std::get<Payload_CERT>(codec::value(r).payloads.at(0).body) == c);
}

}  // namespace
}  // namespace ike
