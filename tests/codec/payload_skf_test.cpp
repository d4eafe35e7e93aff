// Tests of src/codec/payload_skf.cpp: Encrypted Fragment payload (RFC 7383 §2.5).
#include "tests/codec/codec_test_util.hpp"

namespace ike {
namespace {

using namespace ike::test;
using P = Payload_type;

TEST(Payload_SKF, decodes_first_fragment_with_first_inner_type) {
    // RFC 7383 §2.5: Next Payload = IDi (35) in fragment 1; Fragment Number 1, Total 3, then
    // IV | ciphertext | ICV kept whole.
    const Bytes d = datagram_with_chain(P::SKF, raw_payload(P::IDi, from_hex("00010003" "a1a2a3a4a5")));
    const Message m = decode_ok(d);
    const auto& f = std::get<Payload_SKF>(m.payloads.at(0).body);
    EXPECT_EQ(f.first_inner, P::IDi);
    EXPECT_EQ(f.fragment_number, 1);
    EXPECT_EQ(f.total_fragments, 3);
    EXPECT_EQ(to_hex(f.body), "a1a2a3a4a5");
    EXPECT_EQ(describe(m), "IKE_SA_INIT request #0 { SKF }");
    EXPECT_EQ(codec::encode_message(m), d);
}

TEST(Payload_SKF, rejects_fragment_number_zero_or_above_total) {
    EXPECT_EQ(decode_rule(datagram_with_chain(P::SKF, raw_payload(P::NONE, from_hex("00000003aa")))),
              "7383-2.5-fragment-number");
    EXPECT_EQ(decode_rule(datagram_with_chain(P::SKF, raw_payload(P::NONE, from_hex("00040003aa")))),
              "7383-2.5-fragment-number");
    EXPECT_EQ(decode_rule(datagram_with_chain(P::SKF, raw_payload(P::NONE, from_hex("0001")))),
              "7383-2.5-skf-length");
}

TEST(Payload_SKF, must_be_last) {
    Bytes chain = raw_payload(P::IDi, from_hex("00010001aa"));
    const Bytes v = raw_payload(P::NONE, {});
    chain.insert(chain.end(), v.begin(), v.end());
    EXPECT_EQ(decode_rule(datagram_with_chain(P::SKF, chain)), "7383-2.5-skf-last");
}

}  // namespace
}  // namespace ike
