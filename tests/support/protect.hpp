// Builds protected messages as a misbehaving peer would, from logged keys (Keys_derived), for
// regression tests of what the Endpoint does with authenticated but unexpected requests.
#pragma once

#include "ike/endpoint.hpp"

namespace ike::test {

/// `m` (header + inner payloads) encrypted and integrity-protected with the keys of the
/// original initiator (`from_original_initiator`) or responder, with a zero IV.
Bytes protect_as(const Keys_derived& keys, bool from_original_initiator, const Message& m);

}  // namespace ike::test
