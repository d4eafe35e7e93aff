// ikeref codec: Nonce payload (Ni, Nr), RFC 7296 §3.9.
//
//  Nonce Data (16..256 octets)
#include "src/codec/wire.hpp"

namespace ike::codec::wire {

// §3.9: "The size of the Nonce Data MUST be between 16 and 256 octets, inclusive." [7296-3.9-s1]
inline constexpr std::size_t nonce_min = 16;
inline constexpr std::size_t nonce_max = 256;

Decoded<Payload_Nonce> decode_Nonce(Octets body, std::size_t base) {
    if (body.size < nonce_min || body.size > nonce_max)
        return fail(base, Payload_type::Nonce, "7296-3.9-nonce-length",
                    "nonce of " + std::to_string(body.size) + " octets is outside 16..256");
    return Payload_Nonce{body.to_bytes()};
}

void encode_Nonce(const Payload_Nonce& n, Bytes& out) { put_bytes(out, n.data); }

}  // namespace ike::codec::wire
