// Internal to src/crypto and its tests: hooks of the Botan provider that the public
// ike::Crypto_provider interface does not expose. No Botan type appears here.
// RFC 7296 §2.14 (fixed-key PRFs), RFC 5903 / RFC 8031 / RFC 3526 known-answer key exchange.
#pragma once

#include <memory>

#include "ike/crypto_provider.hpp"

namespace ike::crypto {

/// Marker base of the PRFs that take a fixed-length key (PRF_AES128_XCBC, PRF_AES128_CMAC):
/// RFC 7296 §2.14 keys SKEYSEED with only the first 64 bits of Ni and of Nr for them.
class Fixed_key_prf : public Prf {};

/// A key exchange whose private value is given rather than drawn (known-answer tests only).
/// MODP: the exponent x, big-endian, any length; ECP: the scalar d, big-endian;
/// Curve25519: the 32-octet scalar as in RFC 7748 (clamped internally).
/// Throws std::invalid_argument for an unsupported group or an unusable private value.
std::unique_ptr<Key_exchange> make_key_exchange_with_private_value(Ke_id group,
                                                                   Octets private_value);

/// The prime p of a MODP group (RFC 2409 §6, RFC 3526), big-endian, public_value_size(group)
/// octets; for tests that build the RFC 6989 §2.1 edge values (0, 1, p-1). Throws
/// std::invalid_argument for a group that is not MODP.
Bytes modp_prime(Ke_id group);

}  // namespace ike::crypto
