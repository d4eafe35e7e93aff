// ikeref codec: Traffic Selector payloads TSi and TSr, RFC 7296 §3.13, selectors §3.13.1.
//
//  Payload:  Number of TSs (1) | RESERVED (3) | Traffic Selectors
//  Selector: TS Type (1) | IP Protocol ID (1) | Selector Length (2) | Start Port (2) |
//            End Port (2) | Starting Address (4 or 16) | Ending Address (4 or 16)
//  Any other TS Type: TS Type (1) | octet (1) | Selector Length (2) | body (Selector Length - 4)
#include <stdexcept>

#include "src/codec/wire.hpp"

namespace ike::codec::wire {
namespace {

// §3.13.1: Selector Length is 16 for TS_IPV4_ADDR_RANGE and 40 for TS_IPV6_ADDR_RANGE.
std::size_t address_size(Ts_type t) { return t == Ts_type::TS_IPV4_ADDR_RANGE ? 4 : 16; }
std::size_t selector_length(Ts_type t) { return 8 + 2 * address_size(t); }

}  // namespace

Decoded<Payload_TS> decode_TS(Payload_type type, Octets body, std::size_t base) {
    Reader r(body, base);
    if (!r.has(4))
        return fail(base, type, "7296-3.13-ts-length",
                    "TS payload body of " + std::to_string(body.size) + " octets is below 4");
    const std::uint8_t count = r.u8();
    // [7296-3.13-s1] RESERVED ignored on receipt.
    r.skip(3);
    Payload_TS ts;
    for (unsigned i = 0; i < count; ++i) {
        const std::size_t at = r.offset();
        if (!r.has(4))
            return fail(at, type, "7296-3.13-ts-count",
                        "Number of TSs " + std::to_string(count) + " but only " +
                            std::to_string(i) + " selectors present");
        Traffic_selector s;
        const std::uint8_t ts_type = r.u8();
        s.ip_protocol = r.u8();
        const std::uint16_t len = r.u16();
        s.ts_type = static_cast<Ts_type>(ts_type);
        if (!s.known_type()) {
            // §2.9: a selector of an unknown TS Type is ignored by the responder, not refused:
            // keep its octets. Selector Length still counts the 4-octet header (§3.13.1).
            if (len < 4u)
                return fail(at + 2, type, "7296-3.13.1-selector-length",
                            "Selector Length " + std::to_string(len) + " for TS Type " +
                                std::to_string(ts_type) + " is below the 4-octet header");
            if (!r.has(len - 4u))
                return fail(at + 2, type, "7296-3.13.1-selector-length",
                            "selector runs past the TS payload");
            s.unknown_body = r.bytes(len - 4u);
            ts.selectors.push_back(std::move(s));
            continue;
        }
        if (len != selector_length(s.ts_type))
            return fail(at + 2, type, "7296-3.13.1-selector-length",
                        "Selector Length " + std::to_string(len) + " for TS Type " +
                            std::to_string(ts_type) + " (must be " +
                            std::to_string(selector_length(s.ts_type)) + ")");
        if (!r.has(len - 4u))
            return fail(at + 2, type, "7296-3.13.1-selector-length",
                        "selector runs past the TS payload");
        s.start_port = r.u16();
        s.end_port = r.u16();
        s.start_address = r.bytes(address_size(s.ts_type));
        s.end_address = r.bytes(address_size(s.ts_type));
        ts.selectors.push_back(std::move(s));
    }
    if (r.remaining() != 0)
        return fail(r.offset(), type, "7296-3.13-ts-count",
                    "Number of TSs " + std::to_string(count) + " leaves " +
                        std::to_string(r.remaining()) + " octets unused");
    return ts;
}

void encode_TS(const Payload_TS& ts, Bytes& out) {
    if (ts.selectors.size() > 0xff) throw std::length_error("TS payload over 255 selectors");
    put_u8(out, static_cast<std::uint8_t>(ts.selectors.size()));
    // [7296-3.13-s1] the 3 RESERVED octets are sent as zero; decode_TS skips them unread.
    put_u8(out, 0);
    put_u16(out, 0);
    for (const auto& s : ts.selectors) {
        put_u8(out, static_cast<std::uint8_t>(s.ts_type));
        put_u8(out, s.ip_protocol);
        if (!s.known_type()) {  // kept opaque on decode: the same octets back
            if (s.unknown_body.size() > 0xffff - 4u) throw std::length_error("TS selector over 65535 octets");
            put_u16(out, static_cast<std::uint16_t>(4u + s.unknown_body.size()));
            put_bytes(out, s.unknown_body);
            continue;
        }
        put_u16(out, static_cast<std::uint16_t>(selector_length(s.ts_type)));
        put_u16(out, s.start_port);
        put_u16(out, s.end_port);
        for (const Bytes* a : {&s.start_address, &s.end_address}) {
            Bytes addr = *a;
            addr.resize(address_size(s.ts_type), 0);  // 4 or 16 octets on the wire
            put_bytes(out, addr);
        }
    }
}

}  // namespace ike::codec::wire

namespace ike::codec {

bool ts_ports_defined(std::uint8_t ip_protocol) {
    switch (ip_protocol) {
        case 1:    // ICMP: Type and Code (RFC 4301 §4.4.1.1)
        case 6:    // TCP
        case 17:   // UDP
        case 33:   // DCCP
        case 58:   // ICMPv6: Type and Code
        case 132:  // SCTP
        case 135:  // Mobility Header: MH Type
        case 136:  // UDP-Lite
            return true;
        default:
            return false;
    }
}

// [7296-3.13.1-s1] [7296-3.13.1-s2] a protocol without ports (including 0) has Start Port 0 and
// End Port 65535. The decoder keeps what it received; narrowing matches such a selector with
// nothing (src/core/negotiation.cpp) and the configuration refuses one (src/daemon/config_toml.cpp).
bool ts_ports_valid(const Traffic_selector& ts) {
    if (!ts.known_type() || ts_ports_defined(ts.ip_protocol)) return true;
    return ts.start_port == 0 && ts.end_port == 65535;
}

}  // namespace ike::codec
