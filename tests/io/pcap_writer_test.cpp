// src/io/pcap_writer: the file reads back with libpcap (DLT_RAW) with correct IPv4/IPv6 and UDP
// fields; the UDP checksum equals the one of a real frame (Wireshark's aes128ccm12 capture,
// shared/testdata) rebuilt from its addresses, ports and payload.
#include "src/io/pcap_writer.hpp"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

namespace {

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

/// Independent one's-complement sum (RFC 1071 §4.1 style, byte pairs).
std::uint32_t ones_sum(const std::uint8_t* p, std::size_t n, std::uint32_t s = 0) {
    for (std::size_t i = 0; i < n; i += 2)
        s += static_cast<std::uint32_t>(p[i] << 8) + (i + 1 < n ? p[i + 1] : 0u);
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return s;
}

TEST(internet_checksum, RFC_1071_example) {
    // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, checksum is its complement.
    const ike::Bytes b{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(ike::io::internet_checksum(ike::Octets(b)), 0x220d);
}

TEST(build_ip_udp_packet, UDP_checksum_matches_a_real_frame) {
    std::ifstream in(std::string(IKEREF_SHARED_DIR) +
                     "/testdata/wireshark-ikev2/ikev2-decrypt-aes128ccm12-frames.hex.json");
    ASSERT_TRUE(in.good());
    const auto j = nlohmann::json::parse(in);
    for (const auto& hex : j.at("frames_hex")) {
        const ike::Bytes frame = ike::from_hex(hex.get<std::string>());
        ASSERT_GT(frame.size(), 42u);
        const std::uint8_t* ip = frame.data() + 14;  // Ethernet II
        ASSERT_EQ(ip[0], 0x45);
        const std::uint8_t* udp = ip + 20;
        const std::uint16_t udp_len = be16(udp + 4);
        ike::Address src, dst;
        src.ip.assign(ip + 12, ip + 16);
        dst.ip.assign(ip + 16, ip + 20);
        src.port = be16(udp);
        dst.port = be16(udp + 2);
        const ike::Octets payload(udp + 8, udp_len - 8u);
        const ike::Bytes p = ike::io::build_ip_udp_packet(src, dst, payload, be16(ip + 4));
        ASSERT_EQ(p.size(), 20u + udp_len);
        EXPECT_EQ(be16(p.data() + 2), be16(ip + 2));                 // total length
        EXPECT_TRUE(std::equal(p.begin() + 20, p.end(), udp)) << "UDP header+payload differ";
        EXPECT_EQ(ones_sum(p.data(), 20), 0xffffu);                  // IPv4 header checksum
    }
}

TEST(Pcap_writer, file_reads_back_with_libpcap) {
    const std::string path = ::testing::TempDir() + "ikeref_pcap_writer_test.pcap";
    const auto a4 = *ike::Address::parse_ip("192.0.2.1", 500);
    const auto b4 = *ike::Address::parse_ip("198.51.100.7", 4500);
    const auto a6 = *ike::Address::parse_ip("2001:db8::1", 500);
    const auto b6 = *ike::Address::parse_ip("2001:db8::2", 15500);
    const ike::Bytes payload{0, 0, 0, 0, 1, 2, 3, 4, 5};  // odd length exercises the pad byte
    {
        ike::io::Pcap_writer w(path);
        w.write(a4, b4, ike::Octets(payload));
        w.write(a6, b6, ike::Octets(payload));
        EXPECT_EQ(w.records(), 2u);
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    ASSERT_NE(p, nullptr) << err;
    EXPECT_EQ(pcap_datalink(p), DLT_RAW);
    pcap_pkthdr* h = nullptr;
    const u_char* d = nullptr;

    ASSERT_EQ(pcap_next_ex(p, &h, &d), 1);
    ASSERT_EQ(h->caplen, 20u + 8u + payload.size());
    EXPECT_EQ(d[0], 0x45);
    EXPECT_EQ(d[9], 17);
    EXPECT_EQ(be16(d + 2), 20 + 8 + payload.size());
    EXPECT_EQ(ike::Bytes(d + 12, d + 16), a4.ip);
    EXPECT_EQ(ike::Bytes(d + 16, d + 20), b4.ip);
    EXPECT_EQ(ones_sum(d, 20), 0xffffu);
    EXPECT_EQ(be16(d + 20), 500);
    EXPECT_EQ(be16(d + 22), 4500);
    EXPECT_EQ(be16(d + 24), 8 + payload.size());
    EXPECT_EQ(ike::Bytes(d + 28, d + 28 + payload.size()), payload);
    {   // pseudo-header + UDP sums to 0xffff when the checksum is right (RFC 768)
        std::uint32_t s = ones_sum(d + 12, 8);
        s += 17 + static_cast<std::uint32_t>(8 + payload.size());
        EXPECT_EQ(ones_sum(d + 20, 8 + payload.size(), s), 0xffffu);
    }

    ASSERT_EQ(pcap_next_ex(p, &h, &d), 1);
    ASSERT_EQ(h->caplen, 40u + 8u + payload.size());
    EXPECT_EQ(d[0] >> 4, 6);
    EXPECT_EQ(be16(d + 4), 8 + payload.size());
    EXPECT_EQ(d[6], 17);
    EXPECT_EQ(ike::Bytes(d + 8, d + 24), a6.ip);
    EXPECT_EQ(ike::Bytes(d + 24, d + 40), b6.ip);
    EXPECT_EQ(be16(d + 42), 15500);
    {
        std::uint32_t s = ones_sum(d + 8, 32);
        s += 17 + static_cast<std::uint32_t>(8 + payload.size());
        EXPECT_EQ(ones_sum(d + 40, 8 + payload.size(), s), 0xffffu);
    }
    EXPECT_EQ(pcap_next_ex(p, &h, &d), PCAP_ERROR_BREAK);
    pcap_close(p);
    std::remove(path.c_str());
}

TEST(Pcap_writer, refuses_unwritable_path_and_mixed_families) {
    EXPECT_THROW(ike::io::Pcap_writer("/nonexistent-dir/x.pcap"), std::runtime_error);
    EXPECT_THROW(ike::io::build_ip_udp_packet(*ike::Address::parse_ip("192.0.2.1", 1),
                                              *ike::Address::parse_ip("::1", 1), ike::Octets()),
                 std::invalid_argument);
}

}  // namespace
