// RFC 7296 rules the sequence format cannot express: an unprotected answer no honest responder
// sends (§1.2: INVALID_KE_PAYLOAD naming a group the initiator never offered), the PSK
// management interface (§2.15: 64-octet ASCII secrets without a terminator, hex secrets), and
// RESERVED fields inside payloads (§3.2, §3.3.1, §3.3.2, §3.5, §3.13: sent as zero, ignored on
// receipt), set octet by octet where no peer can be made to send them.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "src/codec/codec.hpp"
#include "src/daemon/config_toml.hpp"
#include "tests/support/peer_pair.hpp"

namespace ike::test {
namespace {

// [7296-1.2-invalid-ke-group] An unauthenticated INVALID_KE_PAYLOAD may come from an attacker:
// the initiator retries only in a group it proposed (§1.2: "MUST retry ... with the corrected
// Diffie-Hellman group", from its own proposals), never in one it did not offer.
TEST(RFC7296_rules, INVALID_KE_PAYLOAD_naming_a_group_never_offered_is_not_followed) {
    Peer_pair p(make_config(true), make_config(false));  // I offers Curve25519 only
    p.initiate();
    ASSERT_EQ(p.wire.size(), 1u);
    const In_flight request = p.wire.front();
    p.wire.clear();
    auto decoded = codec::decode_message(Octets(request.d.bytes));
    ASSERT_TRUE(codec::ok(decoded));
    Message answer;
    answer.header.SPIi = codec::value(decoded).header.SPIi;
    answer.header.SPIr = 0;
    answer.header.exchange = Exchange_type::IKE_SA_INIT;
    answer.header.flags = flag::Response;
    answer.header.message_id = 0;
    Payload n;
    n.type = Payload_type::N;
    Payload_N body;
    body.type = static_cast<std::uint16_t>(Notify_type::INVALID_KE_PAYLOAD);
    body.data = {0, 21};  // ECP_521: not in the initiator's proposal
    n.body = body;
    answer.payloads.push_back(n);
    Datagram_received d{request.d.local, request.d.remote, codec::encode_message(answer), p.now};
    p.absorb(p.a, true, p.a.ep->handle(std::move(d)));
    EXPECT_TRUE(p.a.has_diagnostic("7296-1.2-invalid-ke-group")) << p.transcript();
    // Whatever it sends next (a retransmission, nothing), no KE of group 21 leaves the initiator.
    p.run();
    for (const auto& sent : p.a.sent) {
        auto m = codec::decode_message(Octets(sent));
        if (!codec::ok(m)) continue;
        for (const auto& pl : codec::value(m).payloads) {
            if (const auto* ke = std::get_if<Payload_KE>(&pl.body)) {
                EXPECT_NE(ke->group, 21) << p.transcript();
            }
        }
    }
}

const char* const kToml =
    "[connections.home]\n"
    "local_addrs  = [\"192.0.2.2\"]\n"
    "remote_addrs = [\"192.0.2.1\"]\n"
    "proposals    = [\"aes256gcm16-prfsha256-x25519\"]\n"
    "[connections.home.local]\nauth = \"psk\"\nid = \"a.example.test\"\n"
    "[connections.home.remote]\nauth = \"psk\"\nid = \"b.example.test\"\n"
    "[connections.home.children.net]\nlocal_ts = [\"10.1.0.0/24\"]\nremote_ts = [\"10.2.0.0/24\"]\n"
    "esp_proposals = [\"aes256gcm16\"]\n"
    "[secrets.ike-home]\nid = [\"a.example.test\", \"b.example.test\"]\n";

// 64 printable ASCII octets (§2.15: "at least 64 octets").
const std::string kAscii64 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/";

std::string hex_of(const std::string& s) {
    static const char* digits = "0123456789abcdef";
    std::string out = "0x";
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        out += digits[c >> 4];
        out += digits[c & 0x0f];
    }
    return out;
}

// [7296-2.15-s2] [7296-2.15-s3] The configuration takes a 64-octet ASCII secret as exactly those
// octets (no terminator added) and the same secret in hex; two peers configured one way each
// authenticate each other, which they could not if either form changed an octet.
TEST(RFC7296_rules, PSK_of_64_ASCII_octets_and_its_hex_form_are_the_same_secret) {
    ASSERT_EQ(kAscii64.size(), 64u);
    const Config ascii = daemon::parse_config(std::string(kToml) + "secret = \"" + kAscii64 + "\"\n", "ascii.toml");
    const Config hex = daemon::parse_config(std::string(kToml) + "secret = \"" + hex_of(kAscii64) + "\"\n", "hex.toml");
    ASSERT_EQ(ascii.secrets.size(), 1u);
    ASSERT_EQ(hex.secrets.size(), 1u);
    EXPECT_EQ(ascii.secrets[0].secret, kAscii64);  // 64 octets, no NUL appended
    EXPECT_EQ(hex.secrets[0].secret, kAscii64);

    Config a = make_config(true), b = make_config(false);
    a.secrets = ascii.secrets;
    b.secrets = hex.secrets;
    Peer_pair p(std::move(a), std::move(b));
    p.initiate();
    p.run();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();

    // And a secret differing in its last octet does not authenticate (the test can fail).
    Config c = make_config(true), d = make_config(false);
    c.secrets = ascii.secrets;
    d.secrets = hex.secrets;
    d.secrets[0].secret.back() = '=';
    Peer_pair q(std::move(c), std::move(d));
    q.initiate();
    q.run();
    EXPECT_FALSE(q.b.has_event(Sa_event_kind::IKE_SA_established)) << q.transcript();
}

// A chain of the payloads with RESERVED fields: IDi (§3.5), TSi (§3.13), SA (§3.3.1, §3.3.2).
std::vector<Payload> reserved_chain() {
    std::vector<Payload> chain;
    Payload id;
    id.type = Payload_type::IDi;
    id.body = Payload_ID{Id_type::ID_FQDN, Bytes{'a', '.', 'e', 'x'}};
    chain.push_back(id);
    Payload ts;
    ts.type = Payload_type::TSi;
    ts.body = Payload_TS{{Traffic_selector{Ts_type::TS_IPV4_ADDR_RANGE, 0, 0, 65535, {10, 1, 0, 0}, {10, 1, 0, 255}}}};
    chain.push_back(ts);
    Payload sa;
    sa.type = Payload_type::SA;
    Payload_SA body;
    Proposal pr;
    pr.number = 1;
    pr.protocol = Protocol_id::ESP;
    pr.spi = {1, 2, 3, 4};
    Transform encr;
    encr.type = Transform_type::ENCR;
    encr.id = 20;  // AES-GCM-16
    encr.key_length = 256;
    Transform esn;
    esn.type = Transform_type::ESN;
    esn.id = 0;
    pr.transforms = {encr, esn};
    body.proposals = {pr};
    sa.body = body;
    chain.push_back(sa);
    return chain;
}

// Offsets in the encoded chain: IDi at 0 (4-octet header, ID Type, 3 RESERVED), TSi after it
// (header, Number of TSs, 3 RESERVED), SA after that (header, Proposal: last, RESERVED, ...).
struct Reserved_at {
    std::size_t id_reserved, ts_reserved, proposal_reserved, transform_reserved_1, transform_reserved_2;
};
Reserved_at reserved_offsets(const Bytes& b) {
    const std::size_t id_len = static_cast<std::size_t>((b[2] << 8) | b[3]);
    const std::size_t ts = id_len;
    const std::size_t ts_len = static_cast<std::size_t>((b[ts + 2] << 8) | b[ts + 3]);
    const std::size_t sa = ts + ts_len;
    const std::size_t proposal = sa + 4;
    const std::size_t transform = proposal + 8 + 4;  // 4-octet SPI
    return {5, ts + 5, proposal + 1, transform + 1, transform + 5};
}

// [7296-3.5-s1] [7296-3.13-s1] [7296-3.3.1-s1] [7296-3.3.2-s1] The encoder sends every RESERVED
// field as zero; [7296-3.2-s7] [7296-3.5-s2] [7296-3.3.1-s2] [7296-3.3.2-s2] the decoder ignores
// their content: the chain with all of them set decodes to the same payloads.
TEST(RFC7296_rules, RESERVED_fields_are_sent_as_zero_and_ignored_on_receipt) {
    const auto chain = reserved_chain();
    Bytes b = codec::encode_payload_chain(chain);
    const Reserved_at at = reserved_offsets(b);
    for (std::size_t i : {at.id_reserved, at.id_reserved + 1, at.id_reserved + 2, at.ts_reserved, at.ts_reserved + 1,
                          at.ts_reserved + 2, at.proposal_reserved, at.transform_reserved_1, at.transform_reserved_2}) {
        ASSERT_LT(i, b.size());
        EXPECT_EQ(b[i], 0) << "RESERVED octet " << i << " not zero";
    }
    Bytes dirty = b;
    for (std::size_t i : {at.id_reserved, at.id_reserved + 2, at.ts_reserved, at.ts_reserved + 2, at.proposal_reserved,
                          at.transform_reserved_1, at.transform_reserved_2})
        dirty[i] = 0xa5;
    dirty[1] |= 0x7f;  // the generic payload header's RESERVED bits of IDi (§3.2)
    auto clean = codec::decode_payload_chain(Payload_type::IDi, Octets(b), 0);
    auto decoded = codec::decode_payload_chain(Payload_type::IDi, Octets(dirty), 0);
    ASSERT_TRUE(codec::ok(clean));
    ASSERT_TRUE(codec::ok(decoded)) << codec::error(decoded).rule;
    EXPECT_TRUE(codec::value(decoded) == codec::value(clean));
    EXPECT_TRUE(codec::value(clean) == chain);
}

// [7296-3.3.5-s2] A variable-length (TLV) attribute stays TLV on the wire even when its value
// would fit the two octets of the fixed form; [7296-3.3.5-s1] the Key Length stays TV.
TEST(RFC7296_rules, variable_length_attribute_is_not_encoded_fixed_length) {
    auto chain = reserved_chain();
    auto& sa = std::get<Payload_SA>(chain[2].body);
    sa.proposals[0].transforms[0].other_attributes = {Transform_attribute{17, false, Bytes{0x12, 0x34}}};
    const Bytes b = codec::encode_payload_chain(chain);
    const Reserved_at at = reserved_offsets(b);
    const std::size_t attrs = at.transform_reserved_2 + 3;  // after RESERVED and Transform ID
    // Key Length first (TV: AF bit set, type 14), then the TLV attribute (AF clear, its length 2).
    ASSERT_GE(b.size(), attrs + 10);
    EXPECT_EQ(b[attrs], 0x80);
    EXPECT_EQ(b[attrs + 1], 14);
    EXPECT_EQ(b[attrs + 4], 0x00);  // AF clear
    EXPECT_EQ(b[attrs + 5], 17);
    EXPECT_EQ(b[attrs + 6], 0x00);
    EXPECT_EQ(b[attrs + 7], 2);  // Attribute Length
    auto back = codec::decode_payload_chain(Payload_type::IDi, Octets(b), 0);
    ASSERT_TRUE(codec::ok(back));
    EXPECT_TRUE(codec::value(back) == chain);
}

}  // namespace
}  // namespace ike::test
