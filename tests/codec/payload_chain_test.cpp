// Tests of src/codec/payload_chain.cpp: the generic payload header and chain (RFC 7296 §3.2),
// with the round-trip and robustness properties over every payload type.
#include "tests/codec/codec_test_util.hpp"

#include <rapidcheck/gtest.h>  // after gtest.h

namespace ike {
namespace {

using namespace ike::test;
using P = Payload_type;

const Bytes v_body = {0xde, 0xad, 0xbe, 0xef};

TEST(Payload_chain, rejects_payload_length_running_past_the_message) {
    // V claims 9 octets but only 8 follow.
    const Bytes d = datagram_with_chain(P::V, raw_payload(P::NONE, v_body, 9));
    auto r = codec::decode_message(d);
    ASSERT_FALSE(codec::ok(r));
    EXPECT_EQ(codec::error(r).rule, "7296-3.2-payload-length");
    EXPECT_EQ(codec::error(r).payload, P::V);
    EXPECT_EQ(codec::error(r).offset, 28u + 2u);  // the Payload Length field
}

TEST(Payload_chain, rejects_payload_length_below_4) {
    for (int len : {0, 1, 3}) {
        const Bytes d = datagram_with_chain(P::V, raw_payload(P::NONE, v_body, len));
        EXPECT_EQ(decode_rule(d), "7296-3.2-payload-length") << len;
    }
}

TEST(Payload_chain, rejects_zero_length_payload_at_the_end) {
    Bytes chain = raw_payload(P::V, v_body);
    const Bytes last = raw_payload(P::NONE, {}, 0);  // V with Payload Length 0
    chain.insert(chain.end(), last.begin(), last.end());
    EXPECT_EQ(decode_rule(datagram_with_chain(P::V, chain)), "7296-3.2-payload-length");
}

TEST(Payload_chain, rejects_next_payload_announced_with_no_octets_left) {
    EXPECT_EQ(decode_rule(datagram_with_chain(P::V, raw_payload(P::N, v_body))), "7296-3.2-payload-header");
    EXPECT_EQ(decode_rule(datagram_with_chain(P::SA, {})), "7296-3.2-payload-header");
}

TEST(Payload_chain, rejects_octets_after_the_last_payload) {
    Bytes chain = raw_payload(P::NONE, v_body);
    chain.push_back(0);
    EXPECT_EQ(decode_rule(datagram_with_chain(P::V, chain)), "7296-3.2-trailing-octets");
}

TEST(Payload_chain, rejects_payload_after_SK) {
    // §3.14: SK is the last payload; its Next Payload names the first inner payload.
    Bytes chain = raw_payload(P::IDi, {1, 2, 3, 4, 5, 6, 7, 8});
    const Bytes extra = raw_payload(P::NONE, v_body);
    chain.insert(chain.end(), extra.begin(), extra.end());
    EXPECT_EQ(decode_rule(datagram_with_chain(P::SK, chain)), "7296-3.14-sk-last");
}

TEST(Payload_chain, keeps_unknown_payloads_with_their_critical_bit) {
    Bytes chain = raw_payload(static_cast<P>(100), v_body);  // V, then type 100
    Bytes unknown = raw_payload(P::NONE, {1, 2, 3});
    unknown[1] = 0x80;  // critical
    chain.insert(chain.end(), unknown.begin(), unknown.end());
    const Bytes d = datagram_with_chain(P::V, chain);
    const Message m = decode_ok(d);
    ASSERT_EQ(m.payloads.size(), 2u);
    EXPECT_EQ(static_cast<unsigned>(m.payloads[1].type), 100u);
    EXPECT_TRUE(m.payloads[1].critical);
    EXPECT_EQ(std::get<Payload_unknown>(m.payloads[1].body).body, (Bytes{1, 2, 3}));
    EXPECT_EQ(describe(m), "IKE_SA_INIT request #0 { V, U(100,C) }");
    EXPECT_EQ(codec::encode_message(m), d);
}

TEST(Payload_chain, decodes_CERTREQ_CP_and_EAP_in_one_chain) {
    // CERTREQ (encoding 4, one 20-octet hash), CP (CFG_REQUEST, empty INTERNAL_IP4_ADDRESS),
    // EAP (Request, id 2, Identity, RFC 3748 §5.1).
    Bytes chain = raw_payload(P::CP, from_hex("04" "00112233445566778899aabbccddeeff00112233"));
    const Bytes cp = raw_payload(P::EAP, from_hex("01000000" "00010000"));
    const Bytes eap = raw_payload(P::NONE, from_hex("0102000501"));
    chain.insert(chain.end(), cp.begin(), cp.end());
    chain.insert(chain.end(), eap.begin(), eap.end());
    const Bytes d = datagram_with_chain(P::CERTREQ, chain);
    const Message m = decode_ok(d);
    ASSERT_EQ(m.payloads.size(), 3u);
    EXPECT_EQ(std::get<Payload_CERTREQ>(m.payloads[0].body).ca_hashes.size(), 1u);
    EXPECT_EQ(std::get<Payload_CP>(m.payloads[1].body).attributes.at(0).type, 1u);
    EXPECT_EQ(std::get<Payload_EAP>(m.payloads[2].body).type, std::optional<std::uint8_t>(1));
    // the RFC 7296 §1.2 figures name the CFG Type
    EXPECT_EQ(describe(m), "IKE_SA_INIT request #0 { CERTREQ, CP(CFG_REQUEST), EAP }");
    EXPECT_EQ(codec::encode_message(m), d);
}

TEST(Payload_chain, inner_chain_offsets_are_relative_to_base) {
    const Bytes inner = raw_payload(P::NONE, v_body, 40);
    auto r = codec::decode_payload_chain(P::V, inner, 1000);
    ASSERT_FALSE(codec::ok(r));
    EXPECT_EQ(codec::error(r).offset, 1002u);
}

TEST(Payload_chain, encode_inner_chain_of_aes256cbc_IKE_AUTH_shape) {
    // The chain tshark shows inside frame 4 of ikev2-decrypt-aes256cbc: IDr, AUTH, SA, TSi, TSr, N.
    Payload_ID idr;
    idr.id_type = Id_type::ID_IPV4_ADDR;
    idr.data = {192, 168, 1, 14};
    Payload_AUTH auth;
    auth.data = from_hex("ebbc48efe986d5058f0d52a71f34986d1ab78f63c0fdde69164cd57638b1b048");
    const std::vector<Payload> inner = {payload(P::IDr, idr), payload(P::AUTH, auth),
                                        notify(static_cast<Notify_type>(16403), {0, 0, 0x0e, 0x10})};
    const Bytes b = codec::encode_payload_chain(inner);
    // IDr: next AUTH(39), length 12, type 1, reserved, 192.168.1.14.
    EXPECT_EQ(to_hex(Octets(b.data(), 12)), "2700000c01000000c0a8010e");
    auto back = codec::decode_payload_chain(P::IDr, b, 0);
    ASSERT_TRUE(codec::ok(back));
    EXPECT_EQ(codec::value(back), inner);
}

// --- properties -------------------------------------------------------------------------
RC_GTEST_PROP(Payload_chain, decode_of_encode_is_identity, ()) {
    const Message m = *gen_ike::message();
    const Bytes b = codec::encode_message(m);
    auto r = codec::decode_message(b);
    if (!codec::ok(r)) RC_FAIL(codec::error(r).rule + ": " + codec::error(r).text);
    RC_ASSERT(codec::value(r) == m);
    RC_ASSERT(codec::encode_message(codec::value(r)) == b);
}

RC_GTEST_PROP(Payload_chain, inner_chain_round_trips, ()) {
    const auto payloads = *rc::gen::resize(8, rc::gen::container<std::vector<Payload>>(gen_ike::plain_payload()));
    const Bytes b = codec::encode_payload_chain(payloads);
    const P first = payloads.empty() ? P::NONE : payloads.front().type;
    auto r = codec::decode_payload_chain(first, b, 28);
    RC_ASSERT(codec::ok(r));
    RC_ASSERT(codec::value(r) == payloads);
}

RC_GTEST_PROP(Payload_chain, decoding_arbitrary_bytes_never_crashes, (const Bytes& junk)) {
    (void)codec::decode_message(junk);
    (void)codec::peek_header(junk);
    for (unsigned first : {0u, 33u, 34u, 35u, 40u, 41u, 42u, 44u, 46u, 100u})
        (void)codec::decode_payload_chain(static_cast<P>(first), junk, 0);
}

RC_GTEST_PROP(Payload_chain, arbitrary_chain_behind_a_valid_header_never_crashes, (const Bytes& junk)) {
    const auto first = *rc::gen::element<unsigned>(33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 53, 99);
    auto r = codec::decode_message(datagram_with_chain(static_cast<P>(first), junk));
    if (codec::ok(r)) {
        // Whatever decodes re-encodes to something that decodes to the same message.
        auto again = codec::decode_message(codec::encode_message(codec::value(r)));
        RC_ASSERT(codec::ok(again));
        RC_ASSERT(codec::value(again) == codec::value(r));
    }
}

std::vector<Bytes> real_messages() {
    std::vector<Bytes> all = aes128ccm12_messages();
    for (const char* f : {"wireshark-ikev2/ikev2-decrypt-aes256cbc.pcapng", "tcpdump-isakmp/ikev2four.pcap",
                          "tcpdump-isakmp/ikev2-id-normal.pcap"})
        for (auto& b : ike_messages_of_capture(f)) all.push_back(std::move(b));
    return all;
}

RC_GTEST_PROP(Payload_chain, mutated_real_messages_never_crash, ()) {
    static const std::vector<Bytes> messages = real_messages();
    Bytes b = *rc::gen::elementOf(messages);
    const auto flips = *rc::gen::inRange(0, 9);
    for (int i = 0; i < flips; ++i) {
        const auto at = *rc::gen::inRange<std::size_t>(0, b.size());
        b[at] = static_cast<std::uint8_t>(b[at] ^ (1u << *rc::gen::inRange(0, 8)));
    }
    if (*rc::gen::arbitrary<bool>()) b.resize(*rc::gen::inRange<std::size_t>(0, b.size() + 1));
    if (*rc::gen::arbitrary<bool>() && b.size() >= 28) {
        // Keep the header Length consistent so the chain decoder is reached.
        const auto n = static_cast<std::uint32_t>(b.size());
        b[24] = static_cast<std::uint8_t>(n >> 24);
        b[25] = static_cast<std::uint8_t>(n >> 16);
        b[26] = static_cast<std::uint8_t>(n >> 8);
        b[27] = static_cast<std::uint8_t>(n);
    }
    auto r = codec::decode_message(b);
    if (codec::ok(r)) {
        auto again = codec::decode_message(codec::encode_message(codec::value(r)));
        RC_ASSERT(codec::ok(again));
        RC_ASSERT(codec::value(again) == codec::value(r));
    }
}

}  // namespace
}  // namespace ike
