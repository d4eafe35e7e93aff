// ikeref codec: Encrypted Fragment payload (SKF), RFC 7383 §2.5, as on the wire.
//
//  Fragment Number (2) | Total Fragments (2) | IV | Encrypted content | ICV
//
// As for SK (§3.14 of RFC 7296) the protected part is kept whole: its split needs the
// negotiated transforms. Reassembly (RFC 7383 §2.6) belongs to core.
#include "src/codec/wire.hpp"

namespace ike::codec::wire {

Decoded<Payload_SKF> decode_SKF(Payload_type first_inner, Octets body, std::size_t base) {
    Reader r(body, base);
    if (!r.has(4))
        return fail(base, Payload_type::SKF, "7383-2.5-skf-length",
                    "SKF payload body of " + std::to_string(body.size) + " octets is below 4");
    Payload_SKF skf;
    skf.first_inner = first_inner;
    skf.fragment_number = r.u16();
    skf.total_fragments = r.u16();
    // RFC 7383 §2.5: fragments are numbered from 1; the number is at most Total Fragments.
    if (skf.fragment_number == 0 || skf.fragment_number > skf.total_fragments)
        return fail(base, Payload_type::SKF, "7383-2.5-fragment-number",
                    "fragment " + std::to_string(skf.fragment_number) + " of " +
                        std::to_string(skf.total_fragments));
    skf.body = r.bytes(r.remaining());
    return skf;
}

void encode_SKF(const Payload_SKF& skf, Bytes& out) {
    put_u16(out, skf.fragment_number);
    put_u16(out, skf.total_fragments);
    put_bytes(out, skf.body);
}

}  // namespace ike::codec::wire
