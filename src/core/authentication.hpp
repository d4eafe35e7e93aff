// IKE_AUTH authentication (RFC 7296 §2.15): the payloads that prove our identity and the check
// of the peer's. PSK (Auth Method 2) and certificates: RSA (1), ECDSA (9–11) and Digital
// Signature (14, RFC 7427; RSA PKCS#1 v1.5 / PSS, ECDSA, Ed25519 per RFC 8420), CERT (§3.6,
// X.509 Certificate - Signature), CERTREQ (§3.7), path validation and the RFC 4945 identity check.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "ike/config.hpp"
#include "ike/crypto_provider.hpp"
#include "ike/message.hpp"

namespace ike::core {

/// The octets one side signs (§2.15): `real_message` is that side's IKE_SA_INIT message,
/// `nonce` the other side's nonce, `SK_p` that side's SK_pi or SK_pr.
struct Signed_octets_input {
    Octets real_message;
    Octets nonce;
    Octets SK_p;
    /// Signing side only: the hashes of the peer's SIGNATURE_HASH_ALGORITHMS notify in its
    /// IKE_SA_INIT message (RFC 7427 §4; see `signature_hashes_of`). Empty: the peer sent none,
    /// so RSA and ECDSA keys use the classic methods 1 and 9–11.
    std::vector<Hash_algorithm> peer_signature_hashes{};
    /// Signing side only: randomness for RSA-PSS salts and ECDSA blinding; the system RNG when null.
    Crypto_provider* rng = nullptr;
};

struct Auth_refusal {
    std::string rule;  ///< requirement id, e.g. 7296-2.15-auth-mismatch
    std::string text;
};

/// IDi (or IDr when `as_responder`) and AUTH for our side of `conn`; with certificates
/// IDx, CERT (ours, then intermediates), [CERTREQ (initiator only)], AUTH (§1.2). Throws
/// std::invalid_argument when the config has no credential for it (checked before initiating).
std::vector<Payload> prove_identity(const Prf& prf, const Config& config, const Connection_config& conn,
                                    bool as_responder, const Signed_octets_input& ours);

/// Checks the peer's ID and AUTH in `m` against `conn.remote`; nullopt when they verify.
/// `now` is the Endpoint's time (ms since its epoch): the peer's certificate chain is validated
/// at `certificate_time(config, now)` (RFC 5280 §6.1.3 (a)(2)).
std::optional<Auth_refusal> verify_identity(const Prf& prf, const Config& config, const Connection_config& conn,
                                            bool peer_is_responder, const Message& m,
                                            const Signed_octets_input& peers,
                                            std::optional<std::chrono::milliseconds> now = std::nullopt);

/// The time at which certificate validity is checked: config.wall_clock_at_zero + now when both
/// are given (sans-I/O); the system clock otherwise (a daemon that has not set
/// Config::wall_clock_at_zero, or a caller without `now`).
std::chrono::system_clock::time_point certificate_time(const Config& config,
                                                       std::optional<std::chrono::milliseconds> now);

/// Payloads our side adds to its IKE_SA_INIT message for authentication: with certificates on
/// either side N(SIGNATURE_HASH_ALGORITHMS) (RFC 7427 §4); none with PSK. The two-argument form
/// never adds CERTREQ (it does not know the direction).
std::vector<Payload> IKE_SA_INIT_auth_payloads(const Config& config, const Connection_config& conn);

/// As above; `as_responder` (the IKE_SA_INIT response) adds CERTREQ with our trusted CAs' key
/// hashes (§1.2, §3.7) when the peer must authenticate with a certificate. The initiator's
/// CERTREQ goes in its IKE_AUTH request (prove_identity adds it).
std::vector<Payload> IKE_SA_INIT_auth_payloads(const Config& config, const Connection_config& conn,
                                               bool as_responder);

/// True when `config` holds a credential for our side of `conn` (a PSK for its identities, or
/// with auth = "pubkey" a private key and a certificate).
bool have_credentials(const Config& config, const Connection_config& conn);

/// The hashes announced by a SIGNATURE_HASH_ALGORITHMS notify in `IKE_SA_INIT_message` (RFC
/// 7427 §4); empty when it has none.
std::vector<Hash_algorithm> signature_hashes_of(const Message& IKE_SA_INIT_message);

}  // namespace ike::core
