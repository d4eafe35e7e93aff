// Tests of src/codec/payload_nonce.cpp: Nonce payload, 16..256 octets (RFC 7296 §3.9).
#include "tests/codec/codec_test_util.hpp"

namespace ike {
namespace {

using namespace ike::test;
using P = Payload_type;

Bytes nonce_datagram(std::size_t n) { return datagram_with_chain(P::Nonce, raw_payload(P::NONE, Bytes(n, 0x5a))); }

TEST(Payload_Nonce, accepts_16_to_256_octets) {
    for (std::size_t n : {16u, 32u, 256u}) {
        const Message m = decode_ok(nonce_datagram(n));
        EXPECT_EQ(std::get<Payload_Nonce>(m.payloads.at(0).body).data.size(), n);
    }
}

TEST(Payload_Nonce, rejects_nonce_shorter_than_16_or_longer_than_256) {
    for (std::size_t n : {0u, 15u, 257u}) {
        auto r = codec::decode_message(nonce_datagram(n));
        ASSERT_FALSE(codec::ok(r)) << n;
        EXPECT_EQ(codec::error(r).rule, "7296-3.9-nonce-length");
        EXPECT_EQ(codec::error(r).offset, 32u);
    }
}

// RFC 7296 §1.2/§1.3 figures: the requester's nonce is Ni, the responder's Nr, whichever
// side is the original initiator (a CREATE_CHILD_SA from the original responder sends Ni).
TEST(Payload_Nonce, printed_Ni_in_requests_and_Nr_in_responses) {
    Message m = decode_ok(nonce_datagram(16));
    EXPECT_EQ(describe(m), "IKE_SA_INIT request #0 { Ni }");
    m.header.flags = flag::Response;
    EXPECT_EQ(describe(m), "IKE_SA_INIT response #0 { Nr }");
    m.header.exchange = Exchange_type::CREATE_CHILD_SA;
    m.header.flags = 0;  // request from the original responder
    m.was_protected = true;
    EXPECT_EQ(describe(m), "CREATE_CHILD_SA request #0 { SK { Ni } }");
    m.header.flags = flag::Initiator | flag::Response;  // response from the original initiator
    EXPECT_EQ(describe(m), "CREATE_CHILD_SA response #0 { SK { Nr } }");
}

}  // namespace
}  // namespace ike
