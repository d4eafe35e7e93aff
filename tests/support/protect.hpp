// Builds protected messages as a misbehaving peer would, from logged keys (Keys_derived), for
// regression tests of what the Endpoint does with authenticated but unexpected requests.
#pragma once

#include <optional>

#include "ike/endpoint.hpp"

namespace ike::test {

/// The header of a protected request (R clear, §3.1) of exchange `x` with Message ID `mid` on
/// the IKE SA of `keys`, sent by the original initiator (I set) or the original responder; no
/// payloads yet. Pass it to protect_as with the same `from_original_initiator`.
Message protected_request(const Keys_derived& keys, bool from_original_initiator, Exchange_type x, std::uint32_t mid);

/// `m` (header + inner payloads) encrypted and integrity-protected with the keys of the
/// original initiator (`from_original_initiator`) or responder, with a zero IV; `before_sk` are
/// unencrypted payloads placed before SK.
Bytes protect_as(const Keys_derived& keys, bool from_original_initiator, const Message& m,
                 const std::vector<Payload>& before_sk = {});

/// The message `datagram` decrypted with the keys of the side that sent it, or nullopt when it
/// does not decode or verify.
std::optional<Message> unprotect_as(const Keys_derived& keys, bool from_original_initiator, const Bytes& datagram);

}  // namespace ike::test
