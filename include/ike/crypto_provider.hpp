// The crypto provider: every PRF, integrity, cipher, key exchange and random octet the core
// uses comes through this interface (ARCHITECTURE.md, sans-I/O contract). Botan lives behind
// it in src/crypto; no Botan type crosses this header. RFC 7296 §2.13–§2.15, §3.3.2, §3.14.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

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

/// Octets of a KE payload's data for `group` (RFC 7296 §3.4 / RFC 5903 §7), 0 if unknown.
std::size_t public_value_size(Ke_id group);

/// The Botan-backed provider using the system RNG.
std::unique_ptr<Crypto_provider> make_botan_provider();
/// The Botan-backed provider with a deterministic RNG seeded from `seed`: the same seed gives
/// the same SPIs, nonces, private keys and IVs, so a whole dialogue is reproducible byte for
/// byte. For tests and the conformance properties only.
std::unique_ptr<Crypto_provider> make_seeded_botan_provider(std::uint64_t seed);

}  // namespace ike
