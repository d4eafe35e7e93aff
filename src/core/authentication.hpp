// IKE_AUTH authentication (RFC 7296 §2.15): the payloads that prove our identity and the check
// of the peer's. PSK (Auth Method 2) for now; certificates (methods 1, 9–11, 14) plug in here.
#pragma once

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
};

struct Auth_refusal {
    std::string rule;  ///< requirement id, e.g. 7296-2.15-auth-mismatch
    std::string text;
};

/// IDi (or IDr when `as_responder`) and AUTH for our side of `conn`. Throws std::invalid_argument
/// when the config has no credential for it (checked before initiating).
std::vector<Payload> prove_identity(const Prf& prf, const Config& config, const Connection_config& conn,
                                    bool as_responder, const Signed_octets_input& ours);

/// Checks the peer's ID and AUTH in `m` against `conn.remote`; nullopt when they verify.
std::optional<Auth_refusal> verify_identity(const Prf& prf, const Config& config, const Connection_config& conn,
                                            bool peer_is_responder, const Message& m,
                                            const Signed_octets_input& peers);

/// Payloads our side adds to its IKE_SA_INIT message for authentication (CERTREQ, §3.7, and
/// SIGNATURE_HASH_ALGORITHMS, RFC 7427); none with PSK.
std::vector<Payload> IKE_SA_INIT_auth_payloads(const Config& config, const Connection_config& conn);

/// True when `config` holds a credential for our side of `conn`.
bool have_credentials(const Config& config, const Connection_config& conn);

}  // namespace ike::core
