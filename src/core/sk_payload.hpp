// The Encrypted payload (RFC 7296 §3.14; AEAD per RFC 5282 §5): protect an inner payload chain
// into a whole IKE message, and verify + decrypt a received one. Integrity is checked before
// anything inside is interpreted (§2.21: a message failing its check is dropped silently).
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ike/crypto_provider.hpp"
#include "ike/message.hpp"

namespace ike::core {

/// Keys of one direction: SK_ei/SK_ai (initiator to responder) or SK_er/SK_ar.
struct Sk_keys {
    const Cipher* cipher = nullptr;
    const Integrity* integrity = nullptr;  ///< nullptr for AEAD ciphers
    Octets SK_e;
    Octets SK_a;
};

/// Encodes `h` + SK{ inner } with a fresh `iv` (cipher->iv_size() octets). Padding makes the
/// plaintext a multiple of the cipher's block size. `before_sk`: unencrypted payloads placed
/// between the header and SK (§3.14 allows them; ikeref sends none, tests craft them).
Bytes protect(const Header& h, const std::vector<Payload>& inner, const Sk_keys& keys, Octets iv,
              const std::vector<Payload>& before_sk = {});

/// Why a protected message was refused (rule ids of spec-notes/).
struct Unprotect_error {
    std::string rule;
    std::string text;
    /// The ICV or AEAD tag verified: the message is the peer's, only its content is malformed
    /// (Pad Length, inner payload chain). A request in this state gets INVALID_SYNTAX (§2.21.3).
    bool authenticated = false;
};

/// `datagram` is the whole IKE message (no non-ESP marker) whose outer chain `outer` ends with
/// SK. Returns the message with the decrypted inner chain (`was_protected` set), or the rule
/// broken: ICV/tag failure, bad padding, inner chain that does not decode (the last two with
/// `authenticated` set).
std::variant<Message, Unprotect_error> unprotect(Octets datagram, const Message& outer,
                                                 const Sk_keys& keys);

}  // namespace ike::core
