// ikeref codec: Authentication payload, RFC 7296 §3.8.
//
//  Auth Method (1) | RESERVED (3) | Authentication Data (variable)
#include "src/codec/wire.hpp"

namespace ike::codec::wire {

Decoded<Payload_AUTH> decode_AUTH(Octets body, std::size_t base) {
    Reader r(body, base);
    if (!r.has(4))
        return fail(base, Payload_type::AUTH, "7296-3.8-auth-length",
                    "AUTH payload body of " + std::to_string(body.size) + " octets is below 4");
    Payload_AUTH auth;
    auth.method = static_cast<Auth_method>(r.u8());
    r.skip(3);
    auth.data = r.bytes(r.remaining());
    return auth;
}

void encode_AUTH(const Payload_AUTH& auth, Bytes& out) {
    put_u8(out, static_cast<std::uint8_t>(auth.method));
    put_u8(out, 0);
    put_u16(out, 0);
    put_bytes(out, auth.data);
}

}  // namespace ike::codec::wire
