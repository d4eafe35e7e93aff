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
    r.skip(3);
    id.data = r.bytes(r.remaining());
    return id;
}

void encode_ID(const Payload_ID& id, Bytes& out) {
    put_u8(out, static_cast<std::uint8_t>(id.id_type));
    put_u8(out, 0);
    put_u16(out, 0);
    put_bytes(out, id.data);
}

}  // namespace ike::codec::wire
