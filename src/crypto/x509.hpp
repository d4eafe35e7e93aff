// Internal to src/crypto and tests: key generation and certificate issuance (what strongSwan's
// `pki --gen/--self/--issue` do), used to make credentials at test time and by the demo.
// The parsing, verification and path validation live behind include/ike/crypto_provider.hpp.
// RFC 5280 (certificates), RFC 8410 (Ed25519 keys). No Botan type appears here.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "ike/crypto_provider.hpp"

namespace ike::crypto {

/// A fresh private key: RSA (2048 bits unless `rsa_bits`), ECDSA on P-256/384/521, Ed25519,
/// drawn from `rng`. Throws std::invalid_argument for Key_algorithm::other.
std::shared_ptr<const Private_key> generate_private_key(Key_algorithm algorithm, Crypto_provider& rng,
                                                        std::size_t rsa_bits = 2048);

/// What goes into a certificate: subject DN "C=<country>, O=<organization>, CN=<common_name>",
/// subjectAltName entries, CA flag (basicConstraints cA, keyCertSign), validity window.
struct Certificate_request {
    std::string common_name;
    std::string organization = "ikeref";
    std::string country = "CH";
    std::vector<std::string> dns;    ///< dNSName entries
    std::string email;               ///< one rfc822Name, if non-empty
    std::string ip;                  ///< one iPAddress (IPv4 literal), if non-empty
    bool ca = false;
    std::chrono::system_clock::time_point not_before = std::chrono::system_clock::now() - std::chrono::hours(1);
    std::chrono::system_clock::time_point not_after = std::chrono::system_clock::now() + std::chrono::hours(24 * 30);
};

/// A self-signed certificate for `key` (SHA-256 signatures; pure Ed25519 for Ed25519 keys).
/// Throws std::invalid_argument when Botan refuses the request.
std::shared_ptr<const Certificate> self_sign(const Private_key& key, const Certificate_request& request,
                                             Crypto_provider& rng);

/// A certificate for `subject_key`'s public key signed by `ca_key` under `ca`.
std::shared_ptr<const Certificate> issue(const Certificate& ca, const Private_key& ca_key,
                                         const Private_key& subject_key, const Certificate_request& request,
                                         Crypto_provider& rng);

/// PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") of a key made here, to hand to another tool.
std::string private_key_pem(const Private_key& key);

/// PEM ("-----BEGIN CERTIFICATE-----") of a certificate.
std::string certificate_pem(const Certificate& cert);

}  // namespace ike::crypto
