// ikeref codec: Notify payload, RFC 7296 §3.10.
//
//  Protocol ID (1) | SPI Size (1) | Notify Message Type (2) | SPI (SPI Size) |
//  Notification Data (variable)
#include <stdexcept>

#include "src/codec/wire.hpp"

namespace ike::codec::wire {

Decoded<Payload_N> decode_N(Octets body, std::size_t base) {
    Reader r(body, base);
    if (!r.has(4))
        return fail(base, Payload_type::N, "7296-3.10-notify-length",
                    "Notify payload body of " + std::to_string(body.size) + " octets is below 4");
    Payload_N n;
    n.protocol = static_cast<Protocol_id>(r.u8());
    const std::uint8_t spi_size = r.u8();
    n.type = r.u16();
    if (!r.has(spi_size))
        return fail(base + 1, Payload_type::N, "7296-3.10-spi-size",
                    "SPI size " + std::to_string(spi_size) + " runs past the Notify payload");
    n.spi = r.bytes(spi_size);
    n.data = r.bytes(r.remaining());
    return n;
}

void encode_N(const Payload_N& n, Bytes& out) {
    if (n.spi.size() > 0xff) throw std::length_error("Notify SPI over 255 octets");
    put_u8(out, static_cast<std::uint8_t>(n.protocol));
    put_u8(out, static_cast<std::uint8_t>(n.spi.size()));
    put_u16(out, n.type);
    put_bytes(out, n.spi);
    put_bytes(out, n.data);
}

}  // namespace ike::codec::wire
