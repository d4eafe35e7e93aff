// Builds protected messages as a misbehaving peer would, from logged keys (Keys_derived), for
// regression tests of what the Endpoint does with authenticated but unexpected requests.
#pragma once

#include <optional>

#include "ike/endpoint.hpp"

namespace ike::test {

/// `m` (header + inner payloads) encrypted and integrity-protected with the keys of the
/// original initiator (`from_original_initiator`) or responder, with a zero IV; `before_sk` are
/// unencrypted payloads placed before SK.
Bytes protect_as(const Keys_derived& keys, bool from_original_initiator, const Message& m,
                 const std::vector<Payload>& before_sk = {});

/// The message `datagram` decrypted with the keys of the side that sent it, or nullopt when it
/// does not decode or verify.
std::optional<Message> unprotect_as(const Keys_derived& keys, bool from_original_initiator, const Bytes& datagram);

}  // namespace ike::test
