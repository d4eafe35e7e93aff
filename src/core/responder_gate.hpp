// The stateless responder gate (RFC 7296 §2.6, §1.2): runs on an IKE_SA_INIT request before any
// IKE SA exists and answers COOKIE or INVALID_KE_PAYLOAD without keeping state.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "ike/config.hpp"
#include "ike/crypto_provider.hpp"
#include "ike/message.hpp"

namespace ike::core {

struct Gate_proceed {
    const Connection_config* connection = nullptr;
};
/// Answer with this unprotected response and keep nothing.
struct Gate_reply {
    Message response;
    std::string rule, text;
};
struct Gate_drop {
    std::string rule, text;
};
using Gate_decision = std::variant<Gate_proceed, Gate_reply, Gate_drop>;

/// `secret` is the responder's cookie secret (its first octet is the VersionIDofSecret);
/// `half_open` the number of half-open IKE SAs now.
Gate_decision responder_gate(const Message& request, const Address& remote, const Config& config,
                             std::size_t half_open, Octets secret, const Crypto_provider& crypto);

/// §2.6: Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>).
Bytes make_cookie(Octets secret, const Message& request, const Address& remote);

}  // namespace ike::core
