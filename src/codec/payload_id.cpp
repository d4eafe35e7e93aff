// ikeref codec: Identification payloads IDi and IDr, RFC 7296 §3.5.
//
//  ID Type (1) | RESERVED (3) | Identification Data (variable)
#include "src/codec/wire.hpp"

namespace ike::codec::wire {

Decoded<Payload_ID> decode_ID(Payload_type type, Octets body, std::size_t base) {
    Reader r(body, base);
    if (!r.has(4))
        return fail(base, type, "7296-3.5-id-length",
                    "ID payload body of " + std::to_string(body.size) + " octets is below 4");
    Payload_ID id;
    id.id_type = static_cast<Id_type>(r.u8());
    for (auto& o : id.reserved) o = r.u8();
    id.data = r.bytes(r.remaining());
    return id;
}

void encode_ID(const Payload_ID& id, Bytes& out) {
    put_u8(out, static_cast<std::uint8_t>(id.id_type));
    // [7296-3.5-s1] our ID payloads are built with reserved{} (zeros); [7296-3.5-s2] received RESERVED octets are kept only to recompute AUTH over the payload as sent, never interpreted.
    for (auto o : id.reserved) put_u8(out, o);
    put_bytes(out, id.data);
}

}  // namespace ike::codec::wire

namespace ike::codec {

// [7296-3.5-s3] (ID_FQDN) [7296-3.5-s4] (ID_RFC822_ADDR): no terminator in the string. NUL, CR and
// LF are the terminators C strings and text protocols use; the other ID Types are binary.
std::optional<std::size_t> id_terminator(Id_type type, Octets data) {
    if (type != Id_type::ID_FQDN && type != Id_type::ID_RFC822_ADDR) return std::nullopt;
    for (std::size_t i = 0; i < data.size; ++i) {
        if (data[i] == 0x00 || data[i] == 0x0d || data[i] == 0x0a) return i;
    }
    return std::nullopt;
}

std::string describe_id_terminator(Octets data, std::size_t offset) {
    if (offset >= data.size) return "no terminator";
    const std::uint8_t c = data[offset];
    const char* name = c == 0x00 ? "NUL (0x00)" : c == 0x0d ? "CR (0x0d)" : c == 0x0a ? "LF (0x0a)" : "octet";
    return std::string(name) + " at offset " + std::to_string(offset);
}

}  // namespace ike::codec
