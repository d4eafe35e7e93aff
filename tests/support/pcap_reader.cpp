// ikeref test support: classic pcap / pcapng reader for test captures (see pcap_reader.hpp).
#include "tests/support/pcap_reader.hpp"

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace ike::test {
namespace {

struct Cursor {
    const Bytes& b;
    bool big_endian;
    std::uint32_t u32(std::size_t at) const {
        if (at + 4 > b.size()) throw std::runtime_error("capture truncated");
        if (big_endian)
            return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
                   (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
        return (std::uint32_t{b[at + 3]} << 24) | (std::uint32_t{b[at + 2]} << 16) |
               (std::uint32_t{b[at + 1]} << 8) | b[at];
    }
    std::uint16_t u16(std::size_t at) const {
        if (at + 2 > b.size()) throw std::runtime_error("capture truncated");
        return big_endian ? static_cast<std::uint16_t>((b[at] << 8) | b[at + 1])
                          : static_cast<std::uint16_t>((b[at + 1] << 8) | b[at]);
    }
};

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

// IP packet -> UDP datagram, if it is one.
bool parse_ip(const std::uint8_t* p, std::size_t n, std::size_t frame, std::vector<Udp_datagram>& out) {
    if (n < 1) return false;
    const unsigned version = p[0] >> 4;
    std::size_t hdr = 0;
    std::size_t ip_total = n;
    if (version == 4) {
        if (n < 20) return false;
        hdr = std::size_t{p[0] & 0x0fu} * 4;
        if (p[9] != 17 || hdr < 20 || n < hdr) return false;
        if ((be16(p + 6) & 0x1fff) != 0) return false;  // not the first fragment
        ip_total = std::min<std::size_t>(n, be16(p + 2));
    } else if (version == 6) {
        if (n < 40 || p[6] != 17) return false;
        hdr = 40;
        ip_total = std::min<std::size_t>(n, 40 + std::size_t{be16(p + 4)});
    } else {
        return false;
    }
    if (ip_total < hdr + 8) return false;
    const std::uint8_t* udp = p + hdr;
    Udp_datagram d;
    d.frame = frame;
    d.src_port = be16(udp);
    d.dst_port = be16(udp + 2);
    std::size_t len = ip_total - hdr - 8;
    const std::size_t udp_len = be16(udp + 4);
    if (udp_len >= 8) len = std::min(len, udp_len - 8);
    d.payload.assign(udp + 8, udp + 8 + len);
    out.push_back(std::move(d));
    return true;
}

void parse_frame(std::uint32_t linktype, const std::uint8_t* p, std::size_t n, std::size_t frame,
                 std::vector<Udp_datagram>& out) {
    switch (linktype & 0xffff) {
        case 1: {  // Ethernet, possibly one 802.1Q tag
            std::size_t off = 12;
            if (n < 14) return;
            std::uint16_t ethertype = be16(p + off);
            if (ethertype == 0x8100) {
                if (n < 18) return;
                off += 4;
                ethertype = be16(p + off);
            }
            if (ethertype == 0x0800 || ethertype == 0x86dd) parse_ip(p + off + 2, n - off - 2, frame, out);
            return;
        }
        case 0:    // BSD loopback: 4-octet address family in host order
        case 109:  // OpenBSD enc/loop
            if (n >= 4) parse_ip(p + 4, n - 4, frame, out);
            return;
        case 113:  // Linux cooked
            if (n >= 16) parse_ip(p + 16, n - 16, frame, out);
            return;
        case 12:
        case 14:
        case 101:  // raw IP
            parse_ip(p, n, frame, out);
            return;
        default:
            return;
    }
}

std::vector<Udp_datagram> read_classic(const Bytes& b, bool big_endian) {
    Cursor c{b, big_endian};
    const std::uint32_t linktype = c.u32(20);
    std::vector<Udp_datagram> out;
    std::size_t at = 24;
    std::size_t frame = 0;
    while (at + 16 <= b.size()) {
        const std::uint32_t incl = c.u32(at + 8);
        at += 16;
        const std::size_t n = std::min<std::size_t>(incl, b.size() - at);
        parse_frame(linktype, b.data() + at, n, ++frame, out);
        at += n;
    }
    return out;
}

std::vector<Udp_datagram> read_pcapng(const Bytes& b) {
    std::vector<Udp_datagram> out;
    std::vector<std::uint32_t> linktypes;
    bool big_endian = false;
    std::size_t at = 0;
    std::size_t frame = 0;
    while (at + 12 <= b.size()) {
        const std::uint32_t type = Cursor{b, big_endian}.u32(at);
        if (type == 0x0A0D0D0A) {  // section header: byte order magic decides
            big_endian = b[at + 8] == 0x1A;
            linktypes.clear();
        }
        const Cursor c{b, big_endian};
        const std::uint32_t len = c.u32(at + 4);
        if (len < 12 || at + len > b.size()) break;
        if (type == 1) {
            linktypes.push_back(c.u16(at + 8));
        } else if (type == 6) {  // enhanced packet block
            const std::uint32_t iface = c.u32(at + 8);
            const std::uint32_t cap = c.u32(at + 20);
            const std::size_t n = std::min<std::size_t>(cap, len - 28);
            ++frame;
            if (iface < linktypes.size()) parse_frame(linktypes[iface], b.data() + at + 28, n, frame, out);
        } else if (type == 3) {  // simple packet block (interface 0)
            ++frame;
            if (!linktypes.empty()) parse_frame(linktypes[0], b.data() + at + 12, len - 16, frame, out);
        }
        at += len;
    }
    return out;
}

}  // namespace

std::vector<Udp_datagram> read_udp_datagrams(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + path);
    const Bytes b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (b.size() < 24) throw std::runtime_error("not a capture: " + path);
    const std::uint32_t magic_le = Cursor{b, false}.u32(0);
    if (magic_le == 0xa1b2c3d4 || magic_le == 0xa1b23c4d) return read_classic(b, false);
    if (magic_le == 0xd4c3b2a1 || magic_le == 0x4d3cb2a1) return read_classic(b, true);
    if (magic_le == 0x0A0D0D0A) return read_pcapng(b);
    throw std::runtime_error("neither pcap nor pcapng: " + path);
}

Bytes ike_message_of(const Udp_datagram& d) {
    if (d.src_port != 4500 && d.dst_port != 4500) return d.payload;
    // RFC 3948 §2.2: a zero non-ESP marker precedes IKE on port 4500.
    if (d.payload.size() >= 4 && d.payload[0] == 0 && d.payload[1] == 0 && d.payload[2] == 0 &&
        d.payload[3] == 0)
        return Bytes(d.payload.begin() + 4, d.payload.end());
    return {};
}

}  // namespace ike::test
