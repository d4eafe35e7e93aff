// ikeref codec: the one message-rule table (ARCHITECTURE.md principle 1): for each exchange and
// direction, which payloads a message may carry, how many, and whether inside SK.
// RFC 7296 §1.2 (IKE_SA_INIT, IKE_AUTH), §1.3 (CREATE_CHILD_SA), §1.4 (INFORMATIONAL),
// §2.16 (EAP rounds of IKE_AUTH), §2.21 (error-notify-only responses). Order is never
// enforced (§2.5: "payloads MAY be sent in any order").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ike/message.hpp"

namespace ike::codec {

/// A refused message: `rule` is the id of the violated row (e.g.
/// "7296-1.2-sa-init-request-needs-Ni"), `text` says what was found.
struct Rule_violation {
    std::string rule;
    std::string text;
};

inline constexpr unsigned many = 0xffff;  ///< `max` of a row without an upper bound

/// One row of the table. A (exchange, direction) has one or more message forms (`form`, e.g.
/// "initial", "eap-continue"); a message must match one form. Within a form, payload
/// `payload` appears `min`..`max` times, inside SK when `inside_SK`. Payload types with no
/// row in the form are not allowed in it (the table decides RFC 7296 §3.2 types 33..48 and SKF,
/// 53, RFC 7383 §2.5; SK and SKF are envelopes and have no row); other types are left to the
/// caller (skip, or UNSUPPORTED_CRITICAL_PAYLOAD when critical, §2.5).
struct Payload_rule {
    Exchange_type exchange;
    bool response;
    const char* form;
    Payload_type payload;
    unsigned min;
    unsigned max;
    bool inside_SK;
    const char* rule;
};

/// The rows, in table order (the first form of each (exchange, direction) is its main form).
const std::vector<Payload_rule>& message_rule_table();

/// Checks `m` against the table. `m` is a plaintext IKE_SA_INIT message, or a decrypted
/// message (`was_protected` = true, `payloads` = the inner chain). A response whose payloads
/// are only Notify (and V) with at least one error Notify, COOKIE or REDIRECT is allowed
/// (§1.2, §2.6, §2.21). Returns nullopt when the message fits a form, else the violation
/// measured against the main form. Unknown exchange types are a violation
/// ("7296-3.1-exchange-type").
std::optional<Rule_violation> check_message_rules(const Message& m);

/// RFC 7296 §2.5: the type of the first payload of `payloads` that was not recognized (decoded
/// as Payload_unknown) and has its Critical flag set, which rejects the whole message; nullopt
/// when there is none.
std::optional<Payload_type> unsupported_critical_payload(const std::vector<Payload>& payloads);

}  // namespace ike::codec
