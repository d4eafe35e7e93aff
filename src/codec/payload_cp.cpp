// ikeref codec: Configuration payload, RFC 7296 §3.15 and its attributes, §3.15.1.
//
//  CFG Type (1) | RESERVED (3) | Configuration Attributes (variable), each:
//  R (1 bit) | Attribute Type (15 bits) | Length (2) | Value (Length)
#include <stdexcept>

#include "src/codec/wire.hpp"

namespace ike::codec::wire {
namespace {

// §3.15.1 table: the lengths a known attribute may have. Returns true when `n` fits.
bool length_fits(std::uint16_t type, std::size_t n) {
    using A = Cfg_attribute_type;
    switch (static_cast<A>(type)) {
        case A::INTERNAL_IP4_ADDRESS:
        case A::INTERNAL_IP4_NETMASK:
        case A::INTERNAL_IP4_DNS:
        case A::INTERNAL_IP4_NBNS:
        case A::INTERNAL_IP4_DHCP: return n == 0 || n == 4;
        case A::INTERNAL_IP6_ADDRESS: return n == 0 || n == 17;
        case A::INTERNAL_IP6_DNS:
        case A::INTERNAL_IP6_DHCP: return n == 0 || n == 16;
        case A::INTERNAL_IP4_SUBNET: return n == 0 || n == 8;
        case A::SUPPORTED_ATTRIBUTES: return n % 2 == 0;
        case A::INTERNAL_IP6_SUBNET: return n == 17;
        case A::APPLICATION_VERSION:
        default: return true;
    }
}

}  // namespace

Decoded<Payload_CP> decode_CP(Octets body, std::size_t base) {
    Reader r(body, base);
    if (!r.has(4))
        return fail(base, Payload_type::CP, "7296-3.15-cp-length",
                    "CP payload body of " + std::to_string(body.size) + " octets is below 4");
    Payload_CP cp;
    cp.cfg_type = static_cast<Cfg_type>(r.u8());
    r.skip(3);
    while (r.remaining() != 0) {
        const std::size_t at = r.offset();
        if (!r.has(4))
            return fail(at, Payload_type::CP, "7296-3.15.1-attribute-header",
                        std::to_string(r.remaining()) +
                            " octets left for a 4-octet configuration attribute header");
        Cfg_attribute a;
        a.type = static_cast<std::uint16_t>(r.u16() & 0x7fff);  // R bit is reserved (§3.15.1)
        const std::uint16_t length = r.u16();
        if (!r.has(length))
            return fail(at + 2, Payload_type::CP, "7296-3.15.1-attribute-length",
                        "attribute length " + std::to_string(length) + " runs past the CP payload");
        if (!length_fits(a.type, length))
            return fail(at + 2, Payload_type::CP, "7296-3.15.1-attribute-length",
                        to_string(static_cast<Cfg_attribute_type>(a.type)) + " of " +
                            std::to_string(length) + " octets (the §3.15.1 table differs)");
        a.value = r.bytes(length);
        cp.attributes.push_back(std::move(a));
    }
    return cp;
}

void encode_CP(const Payload_CP& cp, Bytes& out) {
    put_u8(out, static_cast<std::uint8_t>(cp.cfg_type));
    put_u8(out, 0);
    put_u16(out, 0);
    for (const auto& a : cp.attributes) {
        if (a.value.size() > 0xffff) throw std::length_error("CP attribute over 65535 octets");
        put_u16(out, static_cast<std::uint16_t>(a.type & 0x7fff));
        put_u16(out, static_cast<std::uint16_t>(a.value.size()));
        put_bytes(out, a.value);
    }
}

}  // namespace ike::codec::wire
