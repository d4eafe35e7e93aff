// ikeref codec: Certificate Request payload, RFC 7296 §3.7.
//
//  Cert Encoding (1) | Certification Authority (variable: for X.509 encodings a concatenation
//  of 20-octet SHA-1 hashes of CA SubjectPublicKeyInfos)
#include <stdexcept>

#include "src/codec/wire.hpp"

namespace ike::codec::wire {
namespace {

constexpr std::size_t ca_hash_size = 20;  // SHA-1, §3.7

// §3.7: "The contents of the Certification Authority field are defined only for X.509
// certificates, which are types 4, 12, and 13."
bool is_x509(Cert_encoding e) {
    return e == Cert_encoding::X509_Certificate_Signature ||
           e == Cert_encoding::Hash_and_URL_of_X509_certificate ||
           e == Cert_encoding::Hash_and_URL_of_X509_bundle;
}

}  // namespace

Decoded<Payload_CERTREQ> decode_CERTREQ(Octets body, std::size_t base) {
    Reader r(body, base);
    if (!r.has(1))
        return fail(base, Payload_type::CERTREQ, "7296-3.7-certreq-length",
                    "CERTREQ payload without a Cert Encoding octet");
    Payload_CERTREQ req;
    req.encoding = static_cast<Cert_encoding>(r.u8());
    if (!is_x509(req.encoding)) {
        req.authority = r.bytes(r.remaining());
        return req;
    }
    const std::size_t n = r.remaining();
    if (n < ca_hash_size || n % ca_hash_size != 0)
        return fail(base + 1, Payload_type::CERTREQ, "7296-3.7-certreq-ca-length",
                    "Certification Authority field of " + std::to_string(n) +
                        " octets is not a nonempty list of 20-octet SHA-1 hashes");
    while (r.remaining() != 0) req.ca_hashes.push_back(r.bytes(ca_hash_size));
    return req;
}

void encode_CERTREQ(const Payload_CERTREQ& req, Bytes& out) {
    put_u8(out, static_cast<std::uint8_t>(req.encoding));
    for (const auto& h : req.ca_hashes) {
        if (h.size() != ca_hash_size)
            throw std::length_error("CERTREQ CA hash of " + std::to_string(h.size()) +
                                        " octets (must be 20, RFC 7296 §3.7)");
        put_bytes(out, h);
    }
    put_bytes(out, req.authority);
}

}  // namespace ike::codec::wire
