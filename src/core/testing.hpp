// Hooks for tests of rules no test could reach through the protocol in reasonable time (RFC 7296
// §2.2: Message IDs near 2^32). Internal to src/core: not in include/ike, not reachable from the
// network or the config; only tests include this header.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ike/endpoint.hpp"

namespace ike::core::testing {

/// Tests only: every established IKE SA of `e` continues its Message IDs from `next_request`
/// (our next request) and `expected_request` (the peer's next request), as if that many exchanges
/// had happened (7296-2.2-s2). Returns how many IKE SAs were changed.
std::size_t start_Message_IDs_at(Endpoint& e, std::uint32_t next_request, std::uint32_t expected_request);

}  // namespace ike::core::testing
