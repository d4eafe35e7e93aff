// ikeref codec: Delete payload, RFC 7296 §3.11.
//
//  Protocol ID (1) | SPI Size (1) | Num of SPIs (2) | SPIs (SPI Size * Num of SPIs)
#include <stdexcept>

#include "src/codec/wire.hpp"

namespace ike::codec::wire {

Decoded<Payload_D> decode_D(Octets body, std::size_t base) {
    Reader r(body, base);
    if (!r.has(4))
        return fail(base, Payload_type::D, "7296-3.11-delete-length",
                    "Delete payload body of " + std::to_string(body.size) + " octets is below 4");
    Payload_D d;
    d.protocol = static_cast<Protocol_id>(r.u8());
    d.spi_size = r.u8();
    const std::uint16_t count = r.u16();
    // [7296-3.11-s3] SPI Size "MUST be zero for IKE (SPI is in message header) or four for AH and ESP".
    const bool ipsec = d.protocol == Protocol_id::AH || d.protocol == Protocol_id::ESP;
    if ((d.protocol == Protocol_id::IKE && d.spi_size != 0) || (ipsec && d.spi_size != 4))
        return fail(base + 1, Payload_type::D, "7296-3.11-spi-size",
                    "SPI Size " + std::to_string(d.spi_size) + " for protocol " +
                        std::to_string(static_cast<int>(d.protocol)) + " (must be " + (ipsec ? "4" : "0") + ")");
    // §3.11: the payload holds exactly Num of SPIs SPIs of SPI Size octets each.
    if (r.remaining() != std::size_t{d.spi_size} * count)
        return fail(base + 2, Payload_type::D, "7296-3.11-spi-count",
                    std::to_string(count) + " SPIs of " + std::to_string(d.spi_size) +
                        " octets do not fill the " + std::to_string(r.remaining()) +
                        " octets present");
    // With SPI Size 0 there is nothing to hold the count: refuse a nonzero one (§3.11, IKE SA
    // deletion carries Num of SPIs 0).
    if (d.spi_size == 0 && count != 0)
        return fail(base + 2, Payload_type::D, "7296-3.11-spi-count",
                    std::to_string(count) + " SPIs announced with SPI Size 0");
    for (std::uint16_t i = 0; i < count; ++i) d.spis.push_back(r.bytes(d.spi_size));
    return d;
}

// [7296-3.11-s1] [7296-3.11-s2] a Payload_D has one protocol and one SPI Size: its SPIs cannot mix protocols.
void encode_D(const Payload_D& d, Bytes& out) {
    if (d.spis.size() > 0xffff) throw std::length_error("Delete payload over 65535 SPIs");
    put_u8(out, static_cast<std::uint8_t>(d.protocol));
    put_u8(out, d.spi_size);
    put_u16(out, static_cast<std::uint16_t>(d.spis.size()));
    for (const auto& spi : d.spis) {
        Bytes s = spi;
        s.resize(d.spi_size, 0);  // each SPI is spi_size octets on the wire
        put_bytes(out, s);
    }
}

}  // namespace ike::codec::wire
