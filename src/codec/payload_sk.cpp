// ikeref codec: Encrypted and Authenticated payload, RFC 7296 §3.14, as on the wire.
//
//  Initialization Vector | Encrypted IKE Payloads, Padding, Pad Length | Integrity Checksum Data
//
// The sizes of IV and ICV depend on the negotiated transforms, so the split, the ICV check and
// the decryption belong to core/crypto; the codec keeps the body whole. The generic header's
// Next Payload is the type of the first inner payload.
#include "src/codec/wire.hpp"

namespace ike::codec::wire {

Decoded<Payload_SK> decode_SK(Payload_type first_inner, Octets body, std::size_t /*base*/) {
    return Payload_SK{first_inner, body.to_bytes()};
}

void encode_SK(const Payload_SK& sk, Bytes& out) { put_bytes(out, sk.body); }

}  // namespace ike::codec::wire
