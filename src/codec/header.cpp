// ikeref codec: the IKE header, RFC 7296 §3.1, and whole-message decode/encode.
//
//  0                   1                   2                   3
//  IKE SA Initiator's SPI (8) | IKE SA Responder's SPI (8) | Next Payload (1) |
//  MjVer (4 bits) MnVer (4 bits) | Exchange Type (1) | Flags (1) | Message ID (4) | Length (4)
#include <stdexcept>

#include "src/codec/wire.hpp"

namespace ike::codec {

using namespace wire;

std::optional<Header> peek_header(Octets datagram) {
    if (datagram.size < header_size) return std::nullopt;
    Reader r(datagram, 0);
    Header h;
    h.SPIi = r.u64();
    h.SPIr = r.u64();
    r.skip(1);  // Next Payload
    const std::uint8_t version = r.u8();
    h.major_version = static_cast<std::uint8_t>(version >> 4);
    h.minor_version = static_cast<std::uint8_t>(version & 0x0f);
    h.exchange = static_cast<Exchange_type>(r.u8());
    h.flags = r.u8();
    h.message_id = r.u32();
    return h;
}

Bytes encode_header(const Header& h, Payload_type first, std::uint32_t total_length) {
    Bytes out;
    out.reserve(header_size);
    put_u64(out, h.SPIi);
    put_u64(out, h.SPIr);
    put_u8(out, static_cast<std::uint8_t>(first));
    // [7296-3.1-s4] [7296-3.1-s7] [7296-2.5-s4] ikeref sends version 2.0 only (the Header defaults, requests and responses alike).
    put_u8(out, static_cast<std::uint8_t>((h.major_version << 4) | (h.minor_version & 0x0f)));
    put_u8(out, static_cast<std::uint8_t>(h.exchange));
    put_u8(out, h.flags);
    put_u32(out, h.message_id);
    put_u32(out, total_length);
    return out;
}

Decoded<Message> decode_message(Octets datagram) {
    // RFC 7296 §3.1: a datagram shorter than the fixed header cannot be an IKE message.
    auto h = peek_header(datagram);
    if (!h)
        return fail(0, Payload_type::NONE, "7296-3.1-length",
                    "datagram of " + std::to_string(datagram.size) +
                        " octets is shorter than the 28-octet IKE header");
    Reader r(datagram, 0);
    r.skip(16);
    const auto first = static_cast<Payload_type>(r.u8());
    r.skip(7);
    const std::uint32_t length = r.u32();
    // §1.5/§2.5: another major version is answered with INVALID_MAJOR_VERSION by the caller.
    // [7296-2.5-s1] [7296-3.1-s8] the minor version is read but never checked or used.
    if (h->major_version != 2)
        return fail(17, Payload_type::NONE, "7296-3.1-major-version",
                    "major version " + std::to_string(h->major_version) + " is not 2");
    // §3.1 Length: "Length of the total message (header + payloads) in octets."
    if (length != datagram.size)
        return fail(24, Payload_type::NONE, "7296-3.1-length",
                    "header Length " + std::to_string(length) + " but datagram has " +
                        std::to_string(datagram.size) + " octets");
    auto chain = decode_payload_chain(
        first, Octets(datagram.data + header_size, datagram.size - header_size), header_size);
    if (!ok(chain)) return error(chain);
    Message m;
    m.header = *h;
    m.payloads = std::move(value(chain));
    return m;
}

Bytes encode_message(const Message& m) {
    Bytes chain = encode_payload_chain(m.payloads);
    const auto first = m.payloads.empty() ? Payload_type::NONE : m.payloads.front().type;
    const std::size_t total = header_size + chain.size();
    if (total > 0xffffffffu) throw std::length_error("IKE message longer than 2^32-1 octets");
    Bytes out = encode_header(m.header, first, static_cast<std::uint32_t>(total));
    out.insert(out.end(), chain.begin(), chain.end());
    return out;
}

}  // namespace ike::codec
