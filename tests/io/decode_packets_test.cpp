// Tests of src/io/capture.cpp on hand-built captures: IPv6, UDP 4500 with the non-ESP marker
// (RFC 3948 §2.2), NAT-keepalive, ESP in UDP, raw ESP, a non-standard port with --port, a
// malformed message followed by a good one, a rule-table violation; pcap files written here
// octet by octet (LINKTYPE_RAW).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "src/io/capture.hpp"
#include "tests/support/vectors.hpp"

namespace ike {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

void put16(Bytes& b, unsigned v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
}
void put32le(Bytes& b, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// RFC 8200 §3 header + RFC 768 UDP (checksum 0: not checked by the reader).
Bytes ipv6_udp(std::uint16_t sport, std::uint16_t dport, const Bytes& payload) {
    Bytes p = {0x60, 0, 0, 0};
    put16(p, static_cast<unsigned>(8 + payload.size()));
    p.push_back(17);
    p.push_back(64);
    Bytes src = from_hex("20010db8000000000000000000000001"), dst = from_hex("20010db8000000000000000000000002");
    p.insert(p.end(), src.begin(), src.end());
    p.insert(p.end(), dst.begin(), dst.end());
    put16(p, sport);
    put16(p, dport);
    put16(p, static_cast<unsigned>(8 + payload.size()));
    put16(p, 0);
    p.insert(p.end(), payload.begin(), payload.end());
    return p;
}

Bytes ipv4(std::uint8_t proto, const Bytes& l4) {
    Bytes p = {0x45, 0};
    put16(p, static_cast<unsigned>(20 + l4.size()));
    p.insert(p.end(), {0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2});
    p.insert(p.end(), l4.begin(), l4.end());
    return p;
}

Bytes udp(std::uint16_t sport, std::uint16_t dport, const Bytes& payload) {
    Bytes u;
    put16(u, sport);
    put16(u, dport);
    put16(u, static_cast<unsigned>(8 + payload.size()));
    put16(u, 0);
    u.insert(u.end(), payload.begin(), payload.end());
    return u;
}

// Classic pcap (tcpdump's format), LINKTYPE_RAW (101).
std::string write_pcap(const std::vector<Bytes>& packets) {
    Bytes f;
    put32le(f, 0xa1b2c3d4);
    f.insert(f.end(), {2, 0, 4, 0});
    put32le(f, 0);
    put32le(f, 0);
    put32le(f, 65535);
    put32le(f, 101);
    for (const auto& p : packets) {
        put32le(f, 1);
        put32le(f, 0);
        put32le(f, static_cast<std::uint32_t>(p.size()));
        put32le(f, static_cast<std::uint32_t>(p.size()));
        f.insert(f.end(), p.begin(), p.end());
    }
    const std::string path = (fs::temp_directory_path() / ("ikeref-decode-" + std::to_string(::getpid()) + ".pcap")).string();
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(f.data()), static_cast<std::streamsize>(f.size()));
    return path;
}

// Frame 1 of ikev2-decrypt-aes128ccm12-frames (an IKE_SA_INIT request, 248 octets of IKE).
Bytes ike_sa_init() {
    auto j = test::load_shared_json("testdata/wireshark-ikev2/ikev2-decrypt-aes128ccm12-frames.hex.json");
    Bytes frame = from_hex(j.at("frames_hex").at(0).get<std::string>());
    return Bytes(frame.begin() + 14 + 20 + 8, frame.end());
}

std::vector<json> decode_file(const std::string& path, const io::Decode_options& o) {
    const auto provider = make_botan_provider();
    std::vector<json> out;
    for (const auto& p : io::read_capture(path)) out.push_back(io::decode_packet(p, o, *provider));
    fs::remove(path);
    return out;
}

TEST(Decode_packets, IPv6_NAT_T_marker_keepalive_ESP_and_other_ports) {
    const Bytes ike = ike_sa_init();
    Bytes marked = {0, 0, 0, 0};
    marked.insert(marked.end(), ike.begin(), ike.end());
    const Bytes esp = from_hex("c9f1d870" "00000001" "deadbeef");
    const auto path = write_pcap({
        ipv6_udp(4500, 4500, marked),           // IKE after the non-ESP marker
        ipv6_udp(4500, 4500, {0xff}),           // NAT-keepalive (RFC 3948 §2.3)
        ipv6_udp(4500, 4500, esp),              // ESP in UDP (RFC 3948 §2.1)
        ipv4(50, esp),                          // ESP (RFC 4303)
        ipv4(17, udp(7000, 7001, ike)),         // IKE on ports given with --port
        ipv6_udp(500, 500, ike),                // plain IKE over IPv6
    });
    io::Decode_options o;
    o.extra_ports = {7001};
    const auto r = decode_file(path, o);
    ASSERT_EQ(r.size(), 6u);
    EXPECT_EQ(r[0]["kind"], "IKEv2");
    EXPECT_EQ(r[0]["non_esp_marker"], true);
    EXPECT_EQ(r[0]["src"], "2001:db8:0:0:0:0:0:1");
    EXPECT_EQ(r[0]["header"]["SPIi"], "ea684d21597afd36");  // expect.json frame 1
    EXPECT_EQ(r[0]["summary"], r[5]["summary"]);
    EXPECT_EQ(r[1]["kind"], "NAT-keepalive");
    EXPECT_EQ(r[2]["kind"], "ESP");
    EXPECT_EQ(r[2]["esp_spi"], "c9f1d870");
    EXPECT_EQ(r[3]["kind"], "ESP");
    EXPECT_EQ(r[3]["esp_seq"], 1);
    EXPECT_EQ(r[4]["kind"], "IKEv2");
    EXPECT_FALSE(r[4].contains("error"));
    EXPECT_EQ(r[5]["kind"], "IKEv2");
    // without --port, port 7001 is not IKE
    const auto path2 = write_pcap({ipv4(17, udp(7000, 7001, ike))});
    EXPECT_EQ(decode_file(path2, {})[0]["kind"], "other");
}

TEST(Decode_packets, malformed_message_names_its_rule_and_decoding_goes_on) {
    Bytes bad = ike_sa_init();
    bad[28 + 2] = 0xff;  // first payload's length runs past the message (§3.2)
    const auto path = write_pcap({ipv4(17, udp(500, 500, bad)), ipv4(17, udp(500, 500, ike_sa_init()))});
    const auto r = decode_file(path, {});
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0]["error"]["rule"], "7296-3.2-payload-length");
    EXPECT_NE(io::render_text(r[0]).find("MALFORMED: 7296-3.2-payload-length"), std::string::npos);
    EXPECT_FALSE(r[1].contains("error"));
}

TEST(Decode_packets, rule_table_violation_is_shown) {
    // An IKE_SA_INIT request whose Nonce is relabelled as a Vendor ID: §1.2 needs Ni.
    Bytes m = ike_sa_init();
    auto r0 = decode_file(write_pcap({ipv4(17, udp(500, 500, m))}), {});
    ASSERT_FALSE(r0[0].contains("rule_violation"));
    // KE's Next Payload (offset of the KE payload's first octet) names Nonce (40): make it V (43).
    const std::size_t sa_len = (std::size_t{m[28 + 2]} << 8) | m[28 + 3];
    const std::size_t ke_at = 28 + sa_len;
    ASSERT_EQ(m[ke_at], 40);
    m[ke_at] = 43;
    const auto r = decode_file(write_pcap({ipv4(17, udp(500, 500, m))}), {});
    ASSERT_TRUE(r[0].contains("rule_violation"));
    EXPECT_EQ(r[0]["rule_violation"]["rule"], "7296-1.2-sa-init-request-needs-Ni");
    EXPECT_NE(io::render_text(r[0]).find("RULE BROKEN: 7296-1.2-sa-init-request-needs-Ni"), std::string::npos);
}

}  // namespace
}  // namespace ike
