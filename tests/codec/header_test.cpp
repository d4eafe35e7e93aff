// Tests of src/codec/header.cpp: the IKE header (RFC 7296 §3.1) and decode_message/
// encode_message against real captures (Wireshark's aes128ccm12 and aes256cbc, tcpdump's
// ikev2four) and the malformed captures of tcpdump's regression suite.
#include <filesystem>
#include <fstream>

#include "tests/codec/codec_test_util.hpp"

namespace ike {
namespace {

using namespace ike::test;

// "IKE_SA_INIT (34)" -> 34 ; "0x00000002" -> 2.
unsigned leading_number_in_parens(const std::string& s) {
    return static_cast<unsigned>(std::stoul(s.substr(s.find('(') + 1)));
}

// Compares decoded messages with the per-frame tshark summary of a *.expect.json file.
void check_against_expect_json(const std::vector<Bytes>& messages, const std::string& expect) {
    const auto j = load_shared_json("testdata/wireshark-ikev2/" + expect);
    const auto& frames = j.at("frames");
    ASSERT_EQ(messages.size(), frames.size());
    for (std::size_t i = 0; i < messages.size(); ++i) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        const auto& f = frames[i];
        const Message m = decode_ok(messages[i]);
        EXPECT_EQ(m.header.SPIi, std::stoull(f.at("ispi").get<std::string>(), nullptr, 16));
        EXPECT_EQ(m.header.SPIr, std::stoull(f.at("rspi").get<std::string>(), nullptr, 16));
        EXPECT_EQ(std::to_string(m.header.major_version) + "." + std::to_string(m.header.minor_version),
                  f.at("version").get<std::string>());
        EXPECT_EQ(static_cast<unsigned>(m.header.exchange), leading_number_in_parens(f.at("exchange")));
        EXPECT_EQ(m.header.flags, std::stoul(f.at("flags").get<std::string>().substr(0, 4), nullptr, 16));
        EXPECT_EQ(m.header.message_id, std::stoul(f.at("msgid").get<std::string>(), nullptr, 16));
        EXPECT_EQ(messages[i].size(), std::stoul(f.at("ike_length").get<std::string>()));
        // Outer payload chain and, inside SA, the proposal and transform ids.
        std::vector<unsigned> outer;
        std::vector<unsigned> transform_ids;
        for (const auto& p : f.at("payloads")) {
            const std::string depth = p.at("depth");
            if (depth == "outer") outer.push_back(p.at("type").get<unsigned>());
            if (depth == "outer-sub2")
                transform_ids.push_back(leading_number_in_parens(p.at("fields").at(0).get<std::string>().substr(
                    p.at("fields").at(0).get<std::string>().rfind('('))));
        }
        std::vector<unsigned> got_outer;
        std::vector<unsigned> got_ids;
        for (const auto& p : m.payloads) {
            got_outer.push_back(static_cast<unsigned>(p.type));
            if (const auto* sa = std::get_if<Payload_SA>(&p.body))
                for (const auto& prop : sa->proposals)
                    for (const auto& t : prop.transforms) got_ids.push_back(t.id);
        }
        EXPECT_EQ(got_outer, outer);
        EXPECT_EQ(got_ids, transform_ids);
        // Re-encoding gives the captured octets.
        EXPECT_EQ(codec::encode_message(m), messages[i]);
    }
}

TEST(Header, aes128ccm12_frames_match_tshark_and_reencode_identically) {
    check_against_expect_json(aes128ccm12_messages(), "ikev2-decrypt-aes128ccm12-frames.expect.json");
}

TEST(Header, aes128ccm12_pcap_holds_the_same_octets_as_the_hex_json) {
    EXPECT_EQ(ike_messages_of_capture("wireshark-ikev2/ikev2-decrypt-aes128ccm12-frames.pcap"),
              aes128ccm12_messages());
}

TEST(Header, aes256cbc_pcapng_matches_tshark_and_reencodes_identically) {
    check_against_expect_json(ike_messages_of_capture("wireshark-ikev2/ikev2-decrypt-aes256cbc.pcapng"),
                              "ikev2-decrypt-aes256cbc.expect.json");
}

TEST(Header, aes128ccm12_IKE_SA_INIT_request_details) {
    const Message m = decode_ok(aes128ccm12_messages().at(0));
    EXPECT_EQ(describe(m),
              "IKE_SA_INIT request #0 { SA, KE, Ni, N(NAT_DETECTION_SOURCE_IP), "
              "N(NAT_DETECTION_DESTINATION_IP), N(SIGNATURE_HASH_ALGORITHMS) }");
    const auto& sa = std::get<Payload_SA>(m.payloads.at(0).body);
    ASSERT_EQ(sa.proposals.size(), 1u);
    EXPECT_EQ(sa.proposals[0].protocol, Protocol_id::IKE);
    EXPECT_TRUE(sa.proposals[0].spi.empty());
    ASSERT_EQ(sa.proposals[0].transforms.size(), 3u);
    // tshark: ENCR-AES-CCM_12 (15) with Key Length 128 (the 19-octet SK_ei = 16 + 3 salt).
    EXPECT_EQ(sa.proposals[0].transforms[0].key_length, std::optional<std::uint16_t>(128));
    const auto& ke = std::get<Payload_KE>(m.payloads.at(1).body);
    EXPECT_EQ(ke.group, 19);
    EXPECT_EQ(ke.data.size(), 64u);  // RFC 5903 §7: x | y of P-256
    EXPECT_EQ(to_hex(std::get<Payload_Nonce>(m.payloads.at(2).body).data),
              "b655462d6f4b66f872ccd7f0f4b4857732921339cbaa5237edba244f262b6823");
}

TEST(Header, aes128ccm12_INFORMATIONAL_keeps_SK_whole) {
    const auto msgs = aes128ccm12_messages();
    const Message m = decode_ok(msgs.at(2));
    ASSERT_EQ(m.payloads.size(), 1u);
    const auto& sk = std::get<Payload_SK>(m.payloads[0].body);
    // tshark: first inner payload Delete; IV 8 octets, 9 octets encrypted, 12-octet ICV.
    EXPECT_EQ(sk.first_inner, Payload_type::D);
    EXPECT_EQ(sk.body.size(), 8u + 9u + 12u);
    EXPECT_EQ(to_hex(Octets(sk.body.data(), 8)), "cca0b35de5abc51c");
    EXPECT_EQ(describe(m), "INFORMATIONAL request #2 { SK }");
}

// tcpdump's ikev2four.out (-v): the cookie dialogue of RFC 7296 §2.6 and its payload chains.
TEST(Header, ikev2four_cookie_dialogue_matches_tcpdump) {
    const auto msgs = ike_messages_of_capture("tcpdump-isakmp/ikev2four.pcap");
    ASSERT_EQ(msgs.size(), 21u);
    std::vector<Message> m;
    for (const auto& b : msgs) m.push_back(decode_ok(b));
    EXPECT_EQ(describe(m[0]), "IKE_SA_INIT request #0 { SA, KE, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP) }");
    EXPECT_EQ(describe(m[1]), "IKE_SA_INIT response #0 { N(COOKIE) }");
    EXPECT_EQ(describe(m[2]),
              "IKE_SA_INIT request #0 { N(COOKIE), SA, KE, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP) }");
    EXPECT_EQ(describe(m[3]), "IKE_SA_INIT response #0 { SA, KE, Nr, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP) }");
    // tcpdump: cookie data=(00000001c2221e50c16e123f2b0c71aefcf0cb3b798782c6), echoed in frame 3.
    ASSERT_NE(m[1].find_notify(Notify_type::COOKIE), nullptr);
    EXPECT_EQ(to_hex(m[1].find_notify(Notify_type::COOKIE)->data), "00000001c2221e50c16e123f2b0c71aefcf0cb3b798782c6");
    ASSERT_NE(m[2].find_notify(Notify_type::COOKIE), nullptr);
    EXPECT_EQ(m[2].find_notify(Notify_type::COOKIE)->data, m[1].find_notify(Notify_type::COOKIE)->data);
    // (sa: len=116 (p: #1 protoid=isakmp transform=12 ...)): aes 128/256/192, 3des, prf sha/md5/xcbc,
    // integ sha/md5/xcbc, dh modp1024/modp2048.
    const auto& sa = std::get<Payload_SA>(m[0].find(Payload_type::SA)->body);
    ASSERT_EQ(sa.proposals.size(), 1u);
    std::vector<std::pair<int, int>> got;
    for (const auto& t : sa.proposals[0].transforms) got.emplace_back(static_cast<int>(t.type), t.id);
    const std::vector<std::pair<int, int>> expected = {{1, 12}, {1, 12}, {1, 12}, {1, 3}, {2, 2}, {2, 1},
                                                       {2, 4},  {3, 2},  {3, 1},  {3, 5}, {4, 2}, {4, 14}};
    EXPECT_EQ(got, expected);
    EXPECT_EQ(sa.proposals[0].transforms[0].key_length, std::optional<std::uint16_t>(0x80));
    EXPECT_EQ(sa.proposals[0].transforms[1].key_length, std::optional<std::uint16_t>(0x100));
    EXPECT_EQ(sa.proposals[0].transforms[2].key_length, std::optional<std::uint16_t>(0xc0));
    // (v2ke: len=128 group=modp1024): tcpdump prints the KE data length; MODP_1024 is 128 octets.
    EXPECT_EQ(std::get<Payload_KE>(m[0].find(Payload_type::KE)->body).group, 2);
    EXPECT_EQ(std::get<Payload_KE>(m[0].find(Payload_type::KE)->body).data.size(), 128u);
    EXPECT_EQ(std::get<Payload_Nonce>(m[0].find(Payload_type::Nonce)->body).data.size(), 32u);
    // Later frames: SK only (v2e), message ids as tcpdump prints them.
    const std::vector<std::uint32_t> ids = {1, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7, 8, 8, 0};
    for (std::size_t i = 4; i < m.size(); ++i) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        EXPECT_EQ(m[i].header.message_id, ids[i - 4]);
        ASSERT_EQ(m[i].payloads.size(), 1u);
        EXPECT_EQ(m[i].payloads[0].type, Payload_type::SK);
    }
    for (std::size_t i = 0; i < msgs.size(); ++i) EXPECT_EQ(codec::encode_message(m[i]), msgs[i]);
}

TEST(Header, peek_header_reads_fields_of_any_version) {
    Bytes d = aes128ccm12_messages().at(1);
    d[17] = 0x10;  // major version 1
    auto h = codec::peek_header(d);
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->major_version, 1);
    EXPECT_EQ(h->SPIi, 0xea684d21597afd36u);
    EXPECT_EQ(h->SPIr, 0xd9fe2ab22dac23acu);
    EXPECT_TRUE(h->is_response());
    EXPECT_FALSE(h->from_original_initiator());
    EXPECT_FALSE(codec::peek_header(Octets(d.data(), 27)).has_value());
}

TEST(Header, encode_header_layout) {
    Header h;
    h.SPIi = 0x0102030405060708;
    h.SPIr = 0x1112131415161718;
    h.exchange = Exchange_type::IKE_AUTH;
    h.flags = flag::Initiator | flag::Response;
    h.message_id = 0x01020304;
    EXPECT_EQ(to_hex(codec::encode_header(h, Payload_type::SK, 0x11223344)),
              "0102030405060708" "1112131415161718" "2e" "20" "23" "28" "01020304" "11223344");
}

// --- regression tests -----------------------------------------------------------------
TEST(Header, rejects_datagram_shorter_than_the_header) {
    const Bytes d = aes128ccm12_messages().at(0);
    for (std::size_t n : {0u, 1u, 27u}) EXPECT_EQ(decode_rule(Bytes(d.begin(), d.begin() + static_cast<long>(n))), "7296-3.1-length");
}

TEST(Header, rejects_header_length_disagreeing_with_the_datagram) {
    Bytes d = aes128ccm12_messages().at(0);
    Bytes longer = d;
    longer.push_back(0);
    EXPECT_EQ(decode_rule(longer), "7296-3.1-length");
    Bytes shorter(d.begin(), d.end() - 1);
    EXPECT_EQ(decode_rule(shorter), "7296-3.1-length");
    d[27] ^= 0x01;
    EXPECT_EQ(decode_rule(d), "7296-3.1-length");
}

TEST(Header, rejects_major_version_other_than_2) {
    Bytes d = aes128ccm12_messages().at(0);
    d[17] = 0x10;
    EXPECT_EQ(decode_rule(d), "7296-3.1-major-version");
    d[17] = 0x30;
    EXPECT_EQ(decode_rule(d), "7296-3.1-major-version");
    d[17] = 0x21;  // a higher minor version is fine (§2.5)
    EXPECT_EQ(decode_rule(d), "");
}

TEST(Header, empty_message_is_header_only) {
    Message m;
    m.header.exchange = Exchange_type::INFORMATIONAL;
    const Bytes b = codec::encode_message(m);
    EXPECT_EQ(b.size(), 28u);
    EXPECT_EQ(decode_ok(b), m);
}

// tcpdump's malformed captures: every UDP payload, and every IKE message in them, is
// decoded without crash (run under ASan/UBSan); IKEv1 ones are refused for their version.
TEST(Header, malformed_tcpdump_captures_are_refused_without_crash) {
    const auto dir = std::filesystem::path(shared_path("testdata/tcpdump-isakmp/malformed"));
    std::size_t captures = 0;
    std::size_t datagrams = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".pcap") continue;
        ++captures;
        SCOPED_TRACE(entry.path().filename().string());
        for (const auto& d : read_udp_datagrams(entry.path().string())) {
            ++datagrams;
            for (const Bytes& b : {d.payload, ike_message_of(d)}) {
                auto r = codec::decode_message(b);
                auto h = codec::peek_header(b);
                if (h && h->major_version == 1) {
                    ASSERT_FALSE(codec::ok(r));
                    EXPECT_EQ(codec::error(r).rule, "7296-3.1-major-version");
                }
            }
        }
    }
    EXPECT_EQ(captures, 7u);
    EXPECT_GT(datagrams, 7u);
}

TEST(Header, ikev1_captures_are_refused_for_their_major_version) {
    for (const char* f : {"tcpdump-isakmp/ISAKMP_sa_setup.pcap", "tcpdump-isakmp/isakmp4500.pcap"}) {
        SCOPED_TRACE(f);
        std::size_t n = 0;
        for (const auto& b : ike_messages_of_capture(f)) {
            if (b.size() < 28) continue;  // keepalives
            ++n;
            EXPECT_EQ(decode_rule(b), "7296-3.1-major-version");
        }
        EXPECT_GT(n, 0u);
    }
}

}  // namespace
}  // namespace ike
