// Signature AUTH payload data (RFC 7296 §2.15, §3.8): the classic methods RSA Digital
// Signature (1, PKCS#1 v1.5 with SHA-1) and ECDSA (9, 10, 11; RFC 4754), and Digital Signature
// (14; RFC 7427) whose data is | length | AlgorithmIdentifier | signature |, with RSA PKCS#1
// v1.5, RSASSA-PSS (RFC 8247 §3.2), ECDSA and Ed25519 (RFC 8420); the SIGNATURE_HASH_ALGORITHMS
// notify (RFC 7427 §4). Pure functions; no Botan type appears here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ike/crypto_provider.hpp"

namespace ike::crypto {

/// The DER AlgorithmIdentifier of a scheme as RFC 7427 Appendix A spells it (PKCS#1 and PSS hash
/// parameters NULL; ECDSA and Ed25519 without parameters; PSS: MGF1 with the same hash,
/// salt length = hash length).
Bytes algorithm_identifier(Signature_scheme scheme);

/// The scheme named by a received AlgorithmIdentifier (DER), or nullopt with `*error` set for
/// an unknown OID, malformed DER, or PSS parameters other than (SHA-2 hash, MGF1 with the
/// same hash, salt length = hash length). Never throws.
std::optional<Signature_scheme> parse_algorithm_identifier(Octets der, std::string* error = nullptr);

/// The RFC 7427 §4 hash a scheme uses (Identity for Ed25519).
Hash_algorithm hash_of(Signature_scheme scheme);

/// The classic Auth Method of a key (1 for RSA, 9/10/11 for ECDSA P-256/384/521), or nullopt
/// (Ed25519 has none: RFC 8420 uses method 14 only).
std::optional<Auth_method> classic_method(Key_algorithm key);

/// The scheme a signer uses with method 14 (RFC 7427 §4): a hash the peer announced, the
/// curve's own hash first for ECDSA, SHA2-256 first for RSA; PSS instead of PKCS#1 v1.5 when
/// `prefer_pss`. nullopt when the peer announced no usable hash.
std::optional<Signature_scheme> choose_scheme(Key_algorithm key, const std::vector<Hash_algorithm>& peer_hashes,
                                              bool prefer_pss);

/// The Auth Method and Authentication Data of an AUTH payload.
struct Auth_signature {
    Auth_method method = Auth_method::Digital_Signature;
    Bytes data;
};

/// Signs `signed_octets` (§2.15 InitiatorSignedOctets / ResponderSignedOctets). With a non-empty
/// `peer_hashes` (the peer sent SIGNATURE_HASH_ALGORITHMS) or an Ed25519 key: method 14 with
/// the scheme of `choose_scheme`; otherwise the key's classic method. nullopt with `*error` when
/// no method fits (Ed25519 key, peer announced no Identity hash). Never throws.
std::optional<Auth_signature> sign_auth(const Private_key& key, Octets signed_octets,
                                        const std::vector<Hash_algorithm>& peer_hashes, bool prefer_pss,
                                        Crypto_provider& rng, std::string* error = nullptr);

/// Checks an AUTH payload made with a signature method against the peer's public key (decoded
/// once per SA by the caller). nullopt when it verifies, else the reason ("empty signature",
/// "auth method 9 needs an ECDSA P-256 key, the certificate holds RSA", "RSA-PSS/SHA-256
/// signature does not verify", ...). Methods other than 1, 9, 10, 11, 14 are refused. Never throws.
std::optional<std::string> verify_auth(const Public_key& key, Auth_method method, Octets auth_data,
                                       Octets signed_octets);

/// Notification data of SIGNATURE_HASH_ALGORITHMS: 2 octets per hash, in order (RFC 7427 §4).
Bytes signature_hash_algorithms_data(const std::vector<Hash_algorithm>& hashes);

/// The hashes of a received SIGNATURE_HASH_ALGORITHMS notify; unknown values are kept (as
/// their number), an odd trailing octet is ignored.
std::vector<Hash_algorithm> parse_signature_hash_algorithms(Octets data);

/// What we announce: SHA2-256, SHA2-384, SHA2-512, Identity (RFC 8247 §3.2: no SHA-1).
std::vector<Hash_algorithm> default_signature_hashes();

}  // namespace ike::crypto
