// ikeref codec: Certificate payload, RFC 7296 §3.6.
//
//  Cert Encoding (1) | Certificate Data (variable)
#include "src/codec/wire.hpp"

namespace ike::codec::wire {

Decoded<Payload_CERT> decode_CERT(Octets body, std::size_t base) {
    Reader r(body, base);
    if (!r.has(1))
        return fail(base, Payload_type::CERT, "7296-3.6-cert-length",
                    "CERT payload without a Cert Encoding octet");
    Payload_CERT cert;
    cert.encoding = static_cast<Cert_encoding>(r.u8());
    cert.data = r.bytes(r.remaining());
    return cert;
}

void encode_CERT(const Payload_CERT& cert, Bytes& out) {
    put_u8(out, static_cast<std::uint8_t>(cert.encoding));
    put_bytes(out, cert.data);
}

}  // namespace ike::codec::wire
