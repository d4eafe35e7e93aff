// ikeref codec: Vendor ID payload, RFC 7296 §3.12.
//
//  Vendor ID (variable)
#include "src/codec/wire.hpp"

namespace ike::codec::wire {

Decoded<Payload_V> decode_V(Octets body, std::size_t /*base*/) {
    return Payload_V{body.to_bytes()};
}

void encode_V(const Payload_V& v, Bytes& out) { put_bytes(out, v.data); }

}  // namespace ike::codec::wire
