// Proposal selection (RFC 7296 §2.7, §3.3) and traffic selector narrowing (§2.9): pure functions
// over typed payloads, each returning the structured reason when nothing fits.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ike/crypto_provider.hpp"
#include "ike/message.hpp"

namespace ike::core {

/// The chosen proposal: the offered proposal's number, protocol and SPI, and exactly one
/// transform of each type present (§3.3.6). `reason` says, when nothing was chosen, for each
/// offered proposal which transform type had no match.
struct Selection {
    std::optional<Proposal> chosen;
    std::string reason;
};

/// The responder's choice (§2.7): our proposals in order of preference, the first transform of
/// each type that the peer also offered and the provider supports.
Selection select_proposal(const std::vector<Proposal>& offered, const std::vector<Proposal>& ours,
                          const Crypto_provider& crypto);

/// The initiator's check of a response (§2.7): `chosen` holds exactly one proposal whose
/// number and transforms (one per type) come from the same proposal of `offered`.
bool proposal_from_offer(const Proposal& chosen, const std::vector<Proposal>& offered);

/// The single transform of `type` in a chosen proposal, or nullptr.
const Transform* transform_of(const Proposal& p, Transform_type type);

/// §2.9 narrowing: every non-empty intersection of an offered selector with a configured one.
/// Empty when nothing overlaps (the caller answers TS_UNACCEPTABLE).
std::vector<Traffic_selector> narrow(const std::vector<Traffic_selector>& offered,
                                     const std::vector<Traffic_selector>& configured);

/// True when every selector of `got` lies inside some selector of `proposed` (initiator check).
bool selectors_within(const std::vector<Traffic_selector>& got,
                      const std::vector<Traffic_selector>& proposed);

/// "10.1.0.0-10.1.0.255/0-65535 proto 0" style text for diagnostics and listings.
std::string describe(const Traffic_selector& ts);

}  // namespace ike::core
