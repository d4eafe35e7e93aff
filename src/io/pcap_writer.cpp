// pcap_open_dead(DLT_RAW) + pcap_dump of synthesized IPv4/IPv6 + UDP packets.
#include "src/io/pcap_writer.hpp"

#include <pcap/pcap.h>

#include <stdexcept>

namespace ike::io {

namespace {

void put16(Bytes& b, std::size_t at, std::uint16_t v) {
    b[at] = static_cast<std::uint8_t>(v >> 8);
    b[at + 1] = static_cast<std::uint8_t>(v & 0xff);
}

/// One's-complement sum of 16-bit big-endian words, unfolded.
std::uint32_t sum16(Octets data, std::uint32_t sum = 0) {
    std::size_t i = 0;
    for (; i + 1 < data.size; i += 2)
        sum += static_cast<std::uint32_t>((data[i] << 8) | data[i + 1]);
    if (i < data.size) sum += static_cast<std::uint32_t>(data[i] << 8);
    return sum;
}

std::uint16_t fold(std::uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffff);
}

}  // namespace

std::uint16_t internet_checksum(Octets data) { return fold(sum16(data)); }

Bytes build_ip_udp_packet(const Address& src, const Address& dst, Octets payload,
                          std::uint16_t ip_id) {
    if (src.ip.size() != dst.ip.size() || (src.ip.size() != 4 && src.ip.size() != 16))
        throw std::invalid_argument("build_ip_udp_packet: addresses of one family needed");
    const bool v4 = src.ip.size() == 4;
    const std::size_t ip_len = v4 ? 20 : 40;
    if (payload.size > (v4 ? 65507u : 65527u))
        throw std::invalid_argument("build_ip_udp_packet: payload too long");
    const std::size_t udp_len = 8 + payload.size;
    Bytes p(ip_len + udp_len, 0);
    if (v4) {
        p[0] = 0x45;  // version 4, IHL 5
        put16(p, 2, static_cast<std::uint16_t>(ip_len + udp_len));
        put16(p, 4, ip_id);
        p[8] = 64;   // TTL
        p[9] = 17;   // UDP
        std::copy(src.ip.begin(), src.ip.end(), p.begin() + 12);
        std::copy(dst.ip.begin(), dst.ip.end(), p.begin() + 16);
        put16(p, 10, internet_checksum(Octets(p.data(), 20)));
    } else {
        p[0] = 0x60;  // version 6
        put16(p, 4, static_cast<std::uint16_t>(udp_len));
        p[6] = 17;   // next header UDP
        p[7] = 64;   // hop limit
        std::copy(src.ip.begin(), src.ip.end(), p.begin() + 8);
        std::copy(dst.ip.begin(), dst.ip.end(), p.begin() + 24);
    }
    const std::size_t u = ip_len;
    put16(p, u, src.port);
    put16(p, u + 2, dst.port);
    put16(p, u + 4, static_cast<std::uint16_t>(udp_len));
    std::copy(payload.begin(), payload.end(), p.begin() + static_cast<std::ptrdiff_t>(u + 8));
    // RFC 768 / RFC 8200 §8.1 pseudo-header: src, dst, zero, protocol, UDP length.
    std::uint32_t sum = sum16(Octets(src.ip));
    sum = sum16(Octets(dst.ip), sum);
    sum += 17;
    sum += static_cast<std::uint32_t>(udp_len);
    sum = sum16(Octets(p.data() + u, udp_len), sum);
    std::uint16_t c = fold(sum);
    if (c == 0) c = 0xffff;
    put16(p, u + 6, c);
    return p;
}

Pcap_writer::Pcap_writer(const std::string& path) {
    pcap_ = pcap_open_dead(DLT_RAW, 65535);
    if (pcap_ == nullptr) throw std::runtime_error("pcap_open_dead failed");
    dumper_ = pcap_dump_open(pcap_, path.c_str());
    if (dumper_ == nullptr) {
        const std::string why = pcap_geterr(pcap_);
        pcap_close(pcap_);
        throw std::runtime_error("cannot write pcap " + path + ": " + why);
    }
}

Pcap_writer::~Pcap_writer() {
    if (dumper_ != nullptr) pcap_dump_close(dumper_);
    if (pcap_ != nullptr) pcap_close(pcap_);
}

void Pcap_writer::write(const Address& src, const Address& dst, Octets payload,
                        std::chrono::system_clock::time_point when) {
    if (src.ip.size() != dst.ip.size()) return;  // nothing sensible to record
    const Bytes packet = build_ip_udp_packet(src, dst, payload, next_ip_id_++);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch())
                        .count();
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<decltype(h.ts.tv_sec)>(us / 1000000);
    h.ts.tv_usec = static_cast<decltype(h.ts.tv_usec)>(us % 1000000);
    h.caplen = static_cast<bpf_u_int32>(packet.size());
    h.len = h.caplen;
    pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, packet.data());
    ++records_;
}

void Pcap_writer::flush() {
    if (dumper_ != nullptr) pcap_dump_flush(dumper_);
}

}  // namespace ike::io
