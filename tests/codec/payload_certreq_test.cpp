// Tests of src/codec/payload_certreq.cpp: Certificate Request payload (RFC 7296 §3.7).
#include "tests/codec/codec_test_util.hpp"

#include <rapidcheck/gtest.h>

namespace ike {
namespace {

using namespace ike::test;
using P = Payload_type;

const std::string h1 = "a9993e364706816aba3e25717850c26c9cd0d89d";  // SHA-1("abc"), FIPS 180
const std::string h2 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";  // SHA-1("")

Bytes certreq_datagram(const std::string& hex) {
    return datagram_with_chain(P::CERTREQ, raw_payload(P::NONE, from_hex(hex)));
}

TEST(Payload_CERTREQ, decodes_two_CA_hashes) {
    const Bytes d = certreq_datagram("04" + h1 + h2);
    const Message m = decode_ok(d);
    const auto& c = std::get<Payload_CERTREQ>(m.payloads.at(0).body);
    EXPECT_EQ(c.encoding, Cert_encoding::X509_Certificate_Signature);
    ASSERT_EQ(c.ca_hashes.size(), 2u);
    EXPECT_EQ(to_hex(c.ca_hashes[0]), h1);
    EXPECT_EQ(to_hex(c.ca_hashes[1]), h2);
    EXPECT_TRUE(c.authority.empty());
    EXPECT_EQ(codec::encode_message(m), d);
}

TEST(Payload_CERTREQ, rejects_CERTREQ_with_CA_field_not_multiple_of_20) {
    EXPECT_EQ(decode_rule(certreq_datagram("04" + h1 + "00")), "7296-3.7-certreq-ca-length");
    EXPECT_EQ(decode_rule(certreq_datagram("04" + h1.substr(0, 38))), "7296-3.7-certreq-ca-length");
    EXPECT_EQ(decode_rule(certreq_datagram("0c" + h1 + h2 + "0102")), "7296-3.7-certreq-ca-length");
}

TEST(Payload_CERTREQ, rejects_CERTREQ_shorter_than_one_hash) {
    EXPECT_EQ(decode_rule(certreq_datagram("04")), "7296-3.7-certreq-ca-length");
    EXPECT_EQ(decode_rule(certreq_datagram("0d" "0102030405")), "7296-3.7-certreq-ca-length");
    EXPECT_EQ(decode_rule(certreq_datagram("")), "7296-3.7-certreq-length");
}

TEST(Payload_CERTREQ, keeps_authority_of_non_X509_encodings_raw) {
    // RFC 7670 §3: a CERTREQ for Raw Public Key (15) has an empty Certification Authority.
    const Message m = decode_ok(certreq_datagram("0f"));
    const auto& c = std::get<Payload_CERTREQ>(m.payloads.at(0).body);
    EXPECT_EQ(c.encoding, Cert_encoding::Raw_Public_Key);
    EXPECT_TRUE(c.ca_hashes.empty());
    EXPECT_TRUE(c.authority.empty());
    const Message k = decode_ok(certreq_datagram("06" "abcd"));
    EXPECT_EQ(to_hex(std::get<Payload_CERTREQ>(k.payloads.at(0).body).authority), "abcd");
}

TEST(Payload_CERTREQ, encode_refuses_a_hash_not_of_20_octets) {
    Message m;
    Payload_CERTREQ c;
    c.ca_hashes = {Bytes(19, 1)};
    m.payloads = {Payload{P::CERTREQ, false, c}};
    EXPECT_THROW(codec::encode_message(m), std::length_error);
}

RC_GTEST_PROP(Payload_CERTREQ, round_trips, ()) {
    const Payload_CERTREQ c = *gen_ike::certreq();
    Message m;
    m.payloads = {Payload{P::CERTREQ, false, c}};
    const auto r = codec::decode_message(codec::encode_message(m));
    RC_ASSERT(codec::ok(r));
    RC_ASSERT(std::get<Payload_CERTREQ>(codec::value(r).payloads.at(0).body) == c);
}

RC_GTEST_PROP(Payload_CERTREQ, X509_body_decodes_iff_nonempty_multiple_of_20, ()) {
    const auto n = *rc::gen::inRange<std::size_t>(0, 100);
    const Bytes body = *gen_ike::bytes(n, n);
    Bytes b{4};
    b.insert(b.end(), body.begin(), body.end());
    const bool ok = codec::ok(codec::decode_message(datagram_with_chain(P::CERTREQ, raw_payload(P::NONE, b))));
    RC_ASSERT(ok == (n >= 20 && n % 20 == 0));
}

}  // namespace
}  // namespace ike
