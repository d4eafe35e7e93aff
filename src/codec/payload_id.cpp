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
