// The crypto provider: every PRF, integrity, cipher, key exchange and random octet the core
// uses comes through this interface (ARCHITECTURE.md, sans-I/O contract). Botan lives behind
// it in src/crypto; no Botan type crosses this header. RFC 7296 §2.13–§2.15, §3.3.2, §3.14.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ike/types.hpp"

namespace ike {

/// A pseudo-random function (Transform Type 2), e.g. HMAC-SHA2-256 (RFC 4868).
class Prf {
public:
    virtual ~Prf() = default;
    /// Output length in octets (32 for PRF_HMAC_SHA2_256, 16 for the AES-based PRFs).
    virtual std::size_t output_size() const = 0;
    /// Preferred key length in octets (RFC 7296 §2.14: the length of SK_d, SK_pi, SK_pr).
    virtual std::size_t key_size() const = 0;
    /// prf(key, data); any key length (RFC 4434/4615 rules for the AES PRFs).
    virtual Secret compute(Octets key, Octets data) const = 0;
};

/// An integrity algorithm (Transform Type 3): truncated MAC.
class Integrity {
public:
    virtual ~Integrity() = default;
    virtual std::size_t key_size() const = 0;  ///< octets of SK_ai / SK_ar
    virtual std::size_t icv_size() const = 0;  ///< octets of the truncated ICV
    virtual Bytes compute(Octets key, Octets data) const = 0;
    /// Constant-time comparison of compute(key, data) with `icv`.
    virtual bool verify(Octets key, Octets data, Octets icv) const = 0;
};

/// An encryption algorithm (Transform Type 1) as used by the SK payload (RFC 7296 §3.14) and,
/// for AEAD, RFC 5282 §3–§5: `key` includes the salt (AES-GCM: key | 4-octet salt; AES-CCM:
/// key | 3-octet salt), the nonce is salt | iv.
class Cipher {
public:
    virtual ~Cipher() = default;
    virtual bool is_aead() const = 0;
    virtual std::size_t key_size() const = 0;    ///< octets of SK_e including any salt
    virtual std::size_t iv_size() const = 0;     ///< octets of the IV carried in SK
    virtual std::size_t block_size() const = 0;  ///< padding unit (1 for stream/AEAD modes)
    virtual std::size_t icv_size() const = 0;    ///< AEAD tag octets, 0 otherwise
    /// Returns ciphertext (| tag for AEAD). `plaintext` must be a multiple of block_size();
    /// `aad` is ignored by non-AEAD ciphers.
    virtual Bytes encrypt(Octets key, Octets iv, Octets aad, Octets plaintext) const = 0;
    /// Returns the plaintext, or nullopt when the AEAD tag does not verify or the length is
    /// not a multiple of the block size.
    virtual std::optional<Bytes> decrypt(Octets key, Octets iv, Octets aad,
                                         Octets ciphertext) const = 0;
};

/// One side of one key exchange (Transform Type 4), with its private value generated at creation.
class Key_exchange {
public:
    virtual ~Key_exchange() = default;
    virtual Ke_id group() const = 0;
    /// Public value as carried in the KE payload (RFC 7296 §3.4; ECP: x | y without 0x04,
    /// RFC 5903 §7; Curve25519: 32 octets, RFC 8031). Length: `public_value_size(group())`.
    virtual Bytes public_value() const = 0;
    /// The shared secret g^ir (ECP: the x coordinate), or nullopt when `peer_public` has the
    /// wrong length, is not a valid point/element (RFC 6989), or gives an all-zero result.
    virtual std::optional<Secret> shared_secret(Octets peer_public) const = 0;
};

/// Factory for the algorithms above plus randomness. Throws std::invalid_argument for an
/// algorithm it does not implement (callers check `supports` first when the id came from a peer).
class Crypto_provider {
public:
    virtual ~Crypto_provider() = default;
    virtual bool supports(Transform_type type, std::uint16_t id,
                          std::optional<std::uint16_t> key_length_bits) const = 0;
    virtual std::unique_ptr<Prf> prf(Prf_id id) const = 0;
    virtual std::unique_ptr<Integrity> integrity(Integ_id id) const = 0;
    /// `key_length_bits` is the Key Length attribute (128/192/256 for AES), required for AES.
    virtual std::unique_ptr<Cipher> cipher(Encr_id id, std::uint16_t key_length_bits) const = 0;
    virtual std::unique_ptr<Key_exchange> key_exchange(Ke_id group) = 0;
    /// Fills `n` random octets.
    virtual Bytes random(std::size_t n) = 0;
};

// ---------------------------------------------------------------------------------------------
// Public-key signatures and X.509 certificates (RFC 7296 §2.15, §3.6, §3.7; RFC 7427; RFC 8420;
// RFC 4945). Implemented with Botan in src/crypto; no Botan type appears here.

/// Hash Algorithm Identifiers of the SIGNATURE_HASH_ALGORITHMS notify (RFC 7427 §4, IANA
/// "IKEv2 Hash Algorithms"; Identity = 5 is RFC 8420's for EdDSA).
enum class Hash_algorithm : std::uint16_t { SHA1 = 1, SHA2_256 = 2, SHA2_384 = 3, SHA2_512 = 4, Identity = 5 };

/// A signature algorithm with its hash and padding (RFC 7427 §3, Appendix A; RFC 8420).
enum class Signature_scheme : std::uint8_t {
    RSA_PKCS1_SHA1,
    RSA_PKCS1_SHA256,
    RSA_PKCS1_SHA384,
    RSA_PKCS1_SHA512,
    RSA_PSS_SHA256,  ///< RSASSA-PSS, MGF1 with the same hash, salt length = hash length
    RSA_PSS_SHA384,
    RSA_PSS_SHA512,
    ECDSA_SHA256,
    ECDSA_SHA384,
    ECDSA_SHA512,
    Ed25519,  ///< pure EdDSA over the whole message (RFC 8032, RFC 8420)
};

/// "RSA-PSS/SHA-256" style name for diagnostics.
std::string to_string(Signature_scheme);

enum class Key_algorithm : std::uint8_t { RSA, ECDSA_P256, ECDSA_P384, ECDSA_P521, Ed25519, other };

/// "RSA", "ECDSA-P256", ... for diagnostics.
std::string to_string(Key_algorithm);

/// ECDSA signature encodings: r | s, each of the curve's octet length (RFC 4754 §7, Auth
/// Methods 9–11), or a DER Ecdsa-Sig-Value (RFC 7427 §3 with RFC 5480, Auth Method 14).
enum class Ecdsa_format : std::uint8_t { r_s, der };

/// A public key decoded once, verified against many times.
class Public_key {
public:
    virtual ~Public_key() = default;
    virtual Key_algorithm algorithm() const = 0;
    /// Modulus bits (RSA), field bits (ECDSA), 256 (Ed25519).
    virtual std::size_t bits() const = 0;
    /// True when `signature` is a valid signature of `message` under `scheme`; false for a
    /// scheme that does not fit the key, an empty or malformed signature. Never throws.
    virtual bool verify(Signature_scheme scheme, Octets message, Octets signature,
                        Ecdsa_format format = Ecdsa_format::r_s) const = 0;
    /// The DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7).
    virtual const Bytes& subject_public_key_info() const = 0;
    /// SHA-1 of the DER SubjectPublicKeyInfo (20 octets): a CA's entry in CERTREQ (RFC 7296 §3.7).
    virtual Bytes spki_sha1() const = 0;
};

/// A private key (RSA, ECDSA, Ed25519).
class Private_key {
public:
    virtual ~Private_key() = default;
    virtual Key_algorithm algorithm() const = 0;
    virtual std::size_t bits() const = 0;
    /// The signature of `message` under `scheme`; randomness (PSS salt, ECDSA blinding) comes
    /// from `rng`, so a seeded provider gives reproducible signatures. Throws
    /// std::invalid_argument when `scheme` does not fit the key.
    virtual Bytes sign(Signature_scheme scheme, Octets message, Crypto_provider& rng,
                       Ecdsa_format format = Ecdsa_format::r_s) const = 0;
    virtual std::shared_ptr<const Public_key> public_key() const = 0;
};

/// An X.509 certificate (RFC 5280), parsed once; its public key decoded once, at parse time.
class Certificate {
public:
    virtual ~Certificate() = default;
    virtual const Bytes& der() const = 0;
    virtual const Public_key& public_key() const = 0;
    virtual std::shared_ptr<const Public_key> shared_public_key() const = 0;
    /// Subject DN as text ("C=CH, O=ikeref, CN=a.example.test").
    virtual std::string subject() const = 0;
    /// DER of the subject Name (the data of an ID_DER_ASN1_DN identity, RFC 7296 §3.5).
    virtual Bytes subject_der() const = 0;
    virtual bool is_ca() const = 0;
    /// RFC 4945 §3.1 basics: ID_DER_ASN1_DN equals the subject (DN comparison); ID_FQDN a
    /// dNSName, ID_RFC822_ADDR an rfc822Name, ID_IPV4_ADDR / ID_IPV6_ADDR an iPAddress of
    /// subjectAltName (names case-insensitive). False for other ID types and malformed data.
    virtual bool matches_identity(Id_type type, Octets data) const = 0;
};

/// Parses one certificate from DER or PEM octets; nullptr (and `*error`, if given) on bad
/// input. Never throws.
std::shared_ptr<const Certificate> parse_certificate(Octets der_or_pem, std::string* error = nullptr);

/// Parses an unencrypted private key: PKCS#8 (PEM "PRIVATE KEY" or DER), PKCS#1 RSA ("RSA
/// PRIVATE KEY") or SEC1 ("EC PRIVATE KEY"), as written by strongSwan's `pki --gen`; nullptr
/// (and `*error`) on bad input. Never throws.
std::shared_ptr<const Private_key> parse_private_key(Octets der_or_pem, std::string* error = nullptr);

/// RFC 5280 §6 path validation of `end_entity` (with `intermediates`, any order) to one of
/// `trust_anchors` at `when`: signatures, validity periods, basicConstraints, key usage;
/// no revocation checking. nullopt when valid, else the reason ("certificate does not chain
/// to a configured CA", "certificate has expired", ...). Never throws.
std::optional<std::string> validate_chain(
    const Certificate& end_entity, const std::vector<std::shared_ptr<const Certificate>>& intermediates,
    const std::vector<std::shared_ptr<const Certificate>>& trust_anchors,
    std::chrono::system_clock::time_point when = std::chrono::system_clock::now());


/// Octets of a KE payload's data for `group` (RFC 7296 §3.4 / RFC 5903 §7), 0 if unknown.
std::size_t public_value_size(Ke_id group);

/// The Botan-backed provider using the system RNG.
std::unique_ptr<Crypto_provider> make_botan_provider();
/// The Botan-backed provider with a deterministic RNG seeded from `seed`: the same seed gives
/// the same SPIs, nonces, private keys and IVs, so a whole dialogue is reproducible byte for
/// byte. For tests and the conformance properties only.
std::unique_ptr<Crypto_provider> make_seeded_botan_provider(std::uint64_t seed);

}  // namespace ike
