// RFC 7296 §3.8 signature methods, RFC 7427 (Digital Signature, SIGNATURE_HASH_ALGORITHMS),
// RFC 4754 (ECDSA r | s), RFC 8420 (Ed25519), RFC 8247 §3.2 (RSASSA-PSS).
#include "src/crypto/auth_signature.hpp"

#include <botan/alg_id.h>
#include <botan/asn1_obj.h>
#include <botan/ber_dec.h>
#include <botan/der_enc.h>

#include <algorithm>

namespace ike::crypto {
namespace {

// DER bodies of the OIDs (RFC 7427 Appendix A, RFC 4055, RFC 5758, RFC 8410).
const Bytes oid_rsa_pkcs1[] = {
    {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05},  // sha1WithRSAEncryption
    {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b},  // sha256WithRSAEncryption
    {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c},  // sha384WithRSAEncryption
    {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d},  // sha512WithRSAEncryption
};
const Bytes oid_ecdsa[] = {
    {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02},  // ecdsa-with-SHA256
    {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03},  // ecdsa-with-SHA384
    {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04},  // ecdsa-with-SHA512
};
const Bytes oid_sha2[] = {
    {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01},  // id-sha256
    {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02},  // id-sha384
    {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03},  // id-sha512
};
const Bytes oid_pss = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a};   // id-RSASSA-PSS
const Bytes oid_mgf1 = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08};  // id-mgf1
const Bytes oid_ed25519 = {0x2b, 0x65, 0x70};                                    // id-Ed25519

// DER TLV with a short or long length (all our values are below 256 octets).
Bytes tlv(std::uint8_t tag, const Bytes& value) {
    Bytes out{tag};
    if (value.size() < 0x80) {
        out.push_back(static_cast<std::uint8_t>(value.size()));
    } else {
        out.push_back(0x81);
        out.push_back(static_cast<std::uint8_t>(value.size()));
    }
    out.insert(out.end(), value.begin(), value.end());
    return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

const Bytes der_null = {0x05, 0x00};

Bytes alg_id(const Bytes& oid, const Bytes& params) { return tlv(0x30, cat({tlv(0x06, oid), params})); }

// sha index 0, 1, 2 = SHA-256, -384, -512
Bytes pss_alg_id(std::size_t sha) {
    const Bytes hash = alg_id(oid_sha2[sha], der_null);
    const std::uint8_t salt = static_cast<std::uint8_t>(32 + 16 * sha);
    const Bytes params = tlv(0x30, cat({tlv(0xa0, hash), tlv(0xa1, alg_id(oid_mgf1, hash)), tlv(0xa2, tlv(0x02, {salt}))}));
    return alg_id(oid_pss, params);
}

Bytes oid_body(const Botan::OID& oid) {
    std::vector<std::uint8_t> der;
    Botan::DER_Encoder(der).encode(oid);
    // strip tag and (short) length
    return Bytes(der.begin() + 2, der.end());
}

int sha2_index(const Botan::AlgorithmIdentifier& a) {
    const Bytes body = oid_body(a.get_oid());
    for (std::size_t i = 0; i < 3; ++i) {
        if (body == oid_sha2[i]) {
            // RFC 4055 §2.1: parameters NULL or absent
            const auto& p = a.get_parameters();
            if (!p.empty() && p != std::vector<std::uint8_t>(der_null.begin(), der_null.end())) return -1;
            return int(i);
        }
    }
    return -1;
}

std::optional<Signature_scheme> parse_pss(const std::vector<std::uint8_t>& params, std::string* error) {
    // RSASSA-PSS-params (RFC 4055 §3.1): hashAlgorithm [0], maskGenAlgorithm [1], saltLength [2],
    // trailerField [3]; defaults SHA-1 / MGF1-SHA-1 / 20 / 1, which RFC 8247 rules out.
    Botan::AlgorithmIdentifier hash, mgf;
    std::size_t salt = 20, trailer = 1;
    const auto ctx = [](int n) { return Botan::ASN1_Tag(n); };
    const auto cls = Botan::ASN1_Tag(Botan::CONSTRUCTED | Botan::CONTEXT_SPECIFIC);
    Botan::BER_Decoder(params)
        .start_cons(Botan::SEQUENCE)
        .decode_optional(hash, ctx(0), cls, Botan::AlgorithmIdentifier())
        .decode_optional(mgf, ctx(1), cls, Botan::AlgorithmIdentifier())
        .decode_optional(salt, ctx(2), cls, std::size_t(20))
        .decode_optional(trailer, ctx(3), cls, std::size_t(1))
        .end_cons()
        .verify_end();
    const int h = sha2_index(hash);
    if (h < 0) {
        if (error) *error = "RSASSA-PSS hash is not SHA2-256/384/512";
        return std::nullopt;
    }
    if (oid_body(mgf.get_oid()) != oid_mgf1) {
        if (error) *error = "RSASSA-PSS mask generation is not MGF1";
        return std::nullopt;
    }
    Botan::AlgorithmIdentifier mgf_hash;
    Botan::BER_Decoder(mgf.get_parameters()).decode(mgf_hash).verify_end();
    if (sha2_index(mgf_hash) != h) {
        if (error) *error = "RSASSA-PSS MGF1 hash differs from the message hash";
        return std::nullopt;
    }
    if (salt != 32u + 16u * std::size_t(h) || trailer != 1) {
        if (error) *error = "RSASSA-PSS salt length " + std::to_string(salt) + " is not the hash length";
        return std::nullopt;
    }
    const Signature_scheme pss[] = {Signature_scheme::RSA_PSS_SHA256, Signature_scheme::RSA_PSS_SHA384,
                                    Signature_scheme::RSA_PSS_SHA512};
    return pss[h];
}

std::string name(Auth_method m) { return "auth method " + std::to_string(int(m)); }

}  // namespace

Bytes algorithm_identifier(Signature_scheme s) {
    switch (s) {
        case Signature_scheme::RSA_PKCS1_SHA1: return alg_id(oid_rsa_pkcs1[0], der_null);
        case Signature_scheme::RSA_PKCS1_SHA256: return alg_id(oid_rsa_pkcs1[1], der_null);
        case Signature_scheme::RSA_PKCS1_SHA384: return alg_id(oid_rsa_pkcs1[2], der_null);
        case Signature_scheme::RSA_PKCS1_SHA512: return alg_id(oid_rsa_pkcs1[3], der_null);
        case Signature_scheme::RSA_PSS_SHA256: return pss_alg_id(0);
        case Signature_scheme::RSA_PSS_SHA384: return pss_alg_id(1);
        case Signature_scheme::RSA_PSS_SHA512: return pss_alg_id(2);
        case Signature_scheme::ECDSA_SHA256: return alg_id(oid_ecdsa[0], {});
        case Signature_scheme::ECDSA_SHA384: return alg_id(oid_ecdsa[1], {});
        case Signature_scheme::ECDSA_SHA512: return alg_id(oid_ecdsa[2], {});
        case Signature_scheme::Ed25519: return alg_id(oid_ed25519, {});
    }
    return {};
}

std::optional<Signature_scheme> parse_algorithm_identifier(Octets der, std::string* error) {
    try {
        Botan::AlgorithmIdentifier a;
        Botan::BER_Decoder(der.data, der.size).decode(a).verify_end();
        const Bytes oid = oid_body(a.get_oid());
        const auto& params = a.get_parameters();
        const bool null_or_absent = params.empty() || params == std::vector<std::uint8_t>(der_null.begin(), der_null.end());
        const Signature_scheme pkcs1[] = {Signature_scheme::RSA_PKCS1_SHA1, Signature_scheme::RSA_PKCS1_SHA256,
                                          Signature_scheme::RSA_PKCS1_SHA384, Signature_scheme::RSA_PKCS1_SHA512};
        const Signature_scheme ecdsa[] = {Signature_scheme::ECDSA_SHA256, Signature_scheme::ECDSA_SHA384,
                                          Signature_scheme::ECDSA_SHA512};
        for (std::size_t i = 0; i < 4; ++i) {
            if (oid == oid_rsa_pkcs1[i] && null_or_absent) return pkcs1[i];
        }
        for (std::size_t i = 0; i < 3; ++i) {
            if (oid == oid_ecdsa[i] && params.empty()) return ecdsa[i];
        }
        if (oid == oid_ed25519 && params.empty()) return Signature_scheme::Ed25519;
        if (oid == oid_pss) return parse_pss(params, error);
        if (error) *error = "unknown signature AlgorithmIdentifier " + a.get_oid().to_string();
    } catch (const std::exception& e) {
        if (error) *error = std::string("malformed AlgorithmIdentifier: ") + e.what();
    }
    return std::nullopt;
}

Hash_algorithm hash_of(Signature_scheme s) {
    switch (s) {
        case Signature_scheme::RSA_PKCS1_SHA1: return Hash_algorithm::SHA1;
        case Signature_scheme::RSA_PKCS1_SHA256:
        case Signature_scheme::RSA_PSS_SHA256:
        case Signature_scheme::ECDSA_SHA256: return Hash_algorithm::SHA2_256;
        case Signature_scheme::RSA_PKCS1_SHA384:
        case Signature_scheme::RSA_PSS_SHA384:
        case Signature_scheme::ECDSA_SHA384: return Hash_algorithm::SHA2_384;
        case Signature_scheme::RSA_PKCS1_SHA512:
        case Signature_scheme::RSA_PSS_SHA512:
        case Signature_scheme::ECDSA_SHA512: return Hash_algorithm::SHA2_512;
        case Signature_scheme::Ed25519: return Hash_algorithm::Identity;
    }
    return Hash_algorithm::Identity;
}

std::optional<Auth_method> classic_method(Key_algorithm key) {
    switch (key) {
        case Key_algorithm::RSA: return Auth_method::RSA_Digital_Signature;
        case Key_algorithm::ECDSA_P256: return Auth_method::ECDSA_SHA256_P256;
        case Key_algorithm::ECDSA_P384: return Auth_method::ECDSA_SHA384_P384;
        case Key_algorithm::ECDSA_P521: return Auth_method::ECDSA_SHA512_P521;
        default: return std::nullopt;
    }
}

std::optional<Signature_scheme> choose_scheme(Key_algorithm key, const std::vector<Hash_algorithm>& peer,
                                              bool prefer_pss) {
    auto has = [&peer](Hash_algorithm h) { return std::find(peer.begin(), peer.end(), h) != peer.end(); };
    std::vector<Signature_scheme> order;
    switch (key) {
        case Key_algorithm::RSA:
            if (prefer_pss) {
                order = {Signature_scheme::RSA_PSS_SHA256, Signature_scheme::RSA_PSS_SHA384, Signature_scheme::RSA_PSS_SHA512};
            } else {
                order = {Signature_scheme::RSA_PKCS1_SHA256, Signature_scheme::RSA_PKCS1_SHA384,
                         Signature_scheme::RSA_PKCS1_SHA512};
            }
            break;
        case Key_algorithm::ECDSA_P256:
            order = {Signature_scheme::ECDSA_SHA256, Signature_scheme::ECDSA_SHA384, Signature_scheme::ECDSA_SHA512};
            break;
        case Key_algorithm::ECDSA_P384:
            order = {Signature_scheme::ECDSA_SHA384, Signature_scheme::ECDSA_SHA256, Signature_scheme::ECDSA_SHA512};
            break;
        case Key_algorithm::ECDSA_P521:
            order = {Signature_scheme::ECDSA_SHA512, Signature_scheme::ECDSA_SHA384, Signature_scheme::ECDSA_SHA256};
            break;
        case Key_algorithm::Ed25519: order = {Signature_scheme::Ed25519}; break;
        case Key_algorithm::other: break;
    }
    for (auto s : order) {
        if (has(hash_of(s))) return s;
    }
    return std::nullopt;
}

std::optional<Auth_signature> sign_auth(const Private_key& key, Octets signed_octets,
                                        const std::vector<Hash_algorithm>& peer_hashes, bool prefer_pss,
                                        Crypto_provider& rng, std::string* error) {
    try {
        const auto classic = classic_method(key.algorithm());
        if (peer_hashes.empty() && classic && !prefer_pss) {
            // RFC 7296 §3.8 / RFC 4754: method 1 is PKCS#1 v1.5 with SHA-1; 9–11 r | s.
            Signature_scheme s = Signature_scheme::RSA_PKCS1_SHA1;
            if (*classic == Auth_method::ECDSA_SHA256_P256) s = Signature_scheme::ECDSA_SHA256;
            if (*classic == Auth_method::ECDSA_SHA384_P384) s = Signature_scheme::ECDSA_SHA384;
            if (*classic == Auth_method::ECDSA_SHA512_P521) s = Signature_scheme::ECDSA_SHA512;
            return Auth_signature{*classic, key.sign(s, signed_octets, rng, Ecdsa_format::r_s)};
        }
        // RFC 7427 §4: without the peer's notify we may still use method 14 for Ed25519 / PSS
        // (RFC 8420 §2: Ed25519 has no other method); assume the peer supports our choice.
        const auto hashes = peer_hashes.empty() ? default_signature_hashes() : peer_hashes;
        const auto scheme = choose_scheme(key.algorithm(), hashes, prefer_pss);
        if (!scheme) {
            if (error) *error = "peer's SIGNATURE_HASH_ALGORITHMS has no hash for a " + to_string(key.algorithm()) + " key";
            return std::nullopt;
        }
        const Bytes ai = algorithm_identifier(*scheme);
        const Bytes sig = key.sign(*scheme, signed_octets, rng, Ecdsa_format::der);
        Auth_signature out;
        out.method = Auth_method::Digital_Signature;
        out.data.push_back(static_cast<std::uint8_t>(ai.size()));
        out.data.insert(out.data.end(), ai.begin(), ai.end());
        out.data.insert(out.data.end(), sig.begin(), sig.end());
        return out;
    } catch (const std::exception& e) {
        if (error) *error = std::string("signing failed: ") + e.what();
        return std::nullopt;
    }
}

std::optional<std::string> verify_auth(const Public_key& key, Auth_method method, Octets auth_data,
                                       Octets signed_octets) {
    Signature_scheme scheme = Signature_scheme::RSA_PKCS1_SHA1;
    Ecdsa_format format = Ecdsa_format::r_s;
    Octets sig = auth_data;
    Key_algorithm needs = Key_algorithm::other;
    switch (method) {
        case Auth_method::RSA_Digital_Signature: needs = Key_algorithm::RSA; break;
        case Auth_method::ECDSA_SHA256_P256:
            scheme = Signature_scheme::ECDSA_SHA256;
            needs = Key_algorithm::ECDSA_P256;
            break;
        case Auth_method::ECDSA_SHA384_P384:
            scheme = Signature_scheme::ECDSA_SHA384;
            needs = Key_algorithm::ECDSA_P384;
            break;
        case Auth_method::ECDSA_SHA512_P521:
            scheme = Signature_scheme::ECDSA_SHA512;
            needs = Key_algorithm::ECDSA_P521;
            break;
        case Auth_method::Digital_Signature: {
            // RFC 7427 §3: | ASN.1 Length (1 octet) | AlgorithmIdentifier | Signature Value |
            if (auth_data.size < 1 || auth_data[0] == 0 || std::size_t(auth_data[0]) + 1 > auth_data.size) {
                return std::string("Digital Signature AUTH data too short for its AlgorithmIdentifier length");
            }
            std::string why;
            const auto s = parse_algorithm_identifier(Octets(auth_data.data + 1, auth_data[0]), &why);
            if (!s) return why;
            scheme = *s;
            format = Ecdsa_format::der;
            sig = Octets(auth_data.data + 1 + auth_data[0], auth_data.size - 1 - auth_data[0]);
            break;
        }
        default: return name(method) + " is not a signature method";
    }
    if (needs != Key_algorithm::other && key.algorithm() != needs) {
        return name(method) + " needs a " + to_string(needs) + " key, the certificate holds " +
               to_string(key.algorithm());
    }
    if (sig.empty()) return std::string("empty signature");
    if (!key.verify(scheme, signed_octets, sig, format)) {
        return to_string(scheme) + " signature (" + name(method) + ") does not verify with the " +
               to_string(key.algorithm()) + " key";
    }
    return std::nullopt;
}

Bytes signature_hash_algorithms_data(const std::vector<Hash_algorithm>& hashes) {
    Bytes out;
    for (auto h : hashes) {
        const auto v = static_cast<std::uint16_t>(h);
        out.push_back(static_cast<std::uint8_t>(v >> 8));
        out.push_back(static_cast<std::uint8_t>(v & 0xff));
    }
    return out;
}

std::vector<Hash_algorithm> parse_signature_hash_algorithms(Octets data) {
    std::vector<Hash_algorithm> out;
    for (std::size_t i = 0; i + 1 < data.size; i += 2) {
        out.push_back(static_cast<Hash_algorithm>((data[i] << 8) | data[i + 1]));
    }
    return out;
}

std::vector<Hash_algorithm> default_signature_hashes() {
    return {Hash_algorithm::SHA2_256, Hash_algorithm::SHA2_384, Hash_algorithm::SHA2_512, Hash_algorithm::Identity};
}

}  // namespace ike::crypto
