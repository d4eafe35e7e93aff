// ikeref codec: Key Exchange payload, RFC 7296 §3.4.
//
//  Diffie-Hellman Group Num (2) | RESERVED (2) | Key Exchange Data (variable)
//
// The length of the Key Exchange Data depends on the group and is checked by core, which
// answers INVALID_SYNTAX or INVALID_KE_PAYLOAD (§1.3, §3.4); the codec only needs 4 octets.
#include "src/codec/wire.hpp"

namespace ike::codec::wire {

Decoded<Payload_KE> decode_KE(Octets body, std::size_t base) {
    Reader r(body, base);
    if (!r.has(4))
        return fail(base, Payload_type::KE, "7296-3.4-ke-length",
                    "KE payload body of " + std::to_string(body.size) + " octets is below 4");
    Payload_KE ke;
    ke.group = r.u16();
    r.skip(2);
    ke.data = r.bytes(r.remaining());
    return ke;
}

void encode_KE(const Payload_KE& ke, Bytes& out) {
    put_u16(out, ke.group);
    put_u16(out, 0);
    put_bytes(out, ke.data);
}

}  // namespace ike::codec::wire
