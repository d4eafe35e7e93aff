// Builds protected messages as a misbehaving peer would, from logged keys (Keys_derived), for
// regression tests of what the Endpoint does with authenticated but unexpected requests.
#pragma once

#include <optional>
#include <utility>

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

/// As protect_as, without payloads before SK, but with `pad_length` octets of Padding, each
/// `pad_octet`, before the Pad Length octet (RFC 7296 §3.14: any length that keeps the plaintext
/// a multiple of the block size is valid, the minimum is only recommended). The caller chooses a
/// valid length; the result is whatever the cipher makes of it.
Bytes protect_padded(const Keys_derived& keys, bool from_original_initiator, const Message& m,
                     std::uint8_t pad_length, std::uint8_t pad_octet = 0);

/// The Padding octets a sender padding minimally would add to `m`'s inner chain with `keys`'
/// cipher (block size minus 1 minus the chain length modulo the block size), and the block size.
std::pair<std::size_t, std::size_t> minimal_padding(const Keys_derived& keys, const Message& m);

/// The message `datagram` decrypted with the keys of the side that sent it, or nullopt when it
/// does not decode or verify.
std::optional<Message> unprotect_as(const Keys_derived& keys, bool from_original_initiator, const Bytes& datagram);

}  // namespace ike::test
