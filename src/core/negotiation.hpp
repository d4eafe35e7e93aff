// Proposal selection (RFC 7296 §2.7, §3.3) and traffic selector narrowing (§2.9): pure functions
// over typed payloads, each returning the structured reason when nothing fits.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ike/crypto_provider.hpp"
#include "ike/message.hpp"

namespace ike::core {

/// One transform type that had no match between a received proposal and one configured
/// proposal (RFC 7296 §3.3.6: the responder picks one transform of each type both list).
struct Transform_mismatch {
    Transform_type type = Transform_type::ENCR;
    std::vector<Transform> offered;     ///< the received proposal's transforms of `type` (may be empty)
    std::vector<Transform> configured;  ///< the configured proposal's transforms of `type` (may be empty)
    bool unsupported = false;  ///< a common transform exists but the crypto provider lacks it
};

/// Why one received proposal was not chosen: either the proposal itself is unacceptable
/// (`problem`: unknown transform type, missing mandatory type, malformed attribute, §3.3.6),
/// or, against configured proposal number `configured` (1-based, in configuration order), the
/// transform types listed in `mismatches` had no match.
struct Proposal_refusal {
    std::uint8_t number = 0;  ///< the received Proposal Num
    Protocol_id protocol = Protocol_id::IKE;
    std::string problem;
    std::size_t configured = 0;  ///< 0 when `problem` is set or nothing of this protocol is configured
    std::vector<Transform_mismatch> mismatches;
};

/// The structured NO_PROPOSAL_CHOSEN reason: one entry per (received proposal, configured
/// proposal) pair that was compared, in the order tried.
struct Proposal_refusals {
    std::vector<Proposal_refusal> proposals;
    /// One line, e.g. "proposal #1 (IKE) vs configured #1: KE offered [Curve25519] configured
    /// [ECP_256]"; entries separated by "; ".
    std::string text() const;
    /// The transform types that failed in any entry, each once, in type order.
    std::vector<Transform_type> failed_types() const;
};

/// The chosen proposal: the offered proposal's number, protocol and SPI, and exactly one
/// transform of each type present (§3.3.6). When nothing was chosen `refusal` says, for each
/// received proposal, which transform type had no match, and `reason` is `refusal.text()`.
struct Selection {
    std::optional<Proposal> chosen;
    std::string reason;
    Proposal_refusals refusal;
};

/// "ENCR_AES_CBC/256", "PRF_HMAC_SHA2_256", "Curve25519", "ESN", "type 9 id 3": the IANA
/// name of a transform's id, with its Key Length attribute (bits) when present.
std::string describe(const Transform& t);

/// "ENCR", "PRF", "INTEG", "KE", "ESN", or "type N" for an unknown Transform Type.
std::string describe(Transform_type t);

/// The responder's choice (§2.7): our proposals in order of preference, the first transform of
/// each type that the peer also offered and the provider supports. A received proposal with an
/// unknown Transform Type or missing a mandatory type (§3.3.3, §3.3.6), and a transform with an
/// attribute we do not understand or a Key Length where the algorithm has none (or none where
/// AES needs one, §3.3.5), are unacceptable. When no ENCR transform matches exactly, a
/// configured cipher accepts the same cipher offered with a longer Key Length the provider
/// supports (§3.3.5 implementation note), and the offered length is chosen. A type we do not
/// configure (INTEG with a combined-mode cipher, KE without PFS) is accepted only as NONE: the
/// peer's INTEG or KE NONE (id 0) transform is then chosen, so the answer holds exactly one
/// transform of each type the received proposal includes (§2.7). Never throws on peer input.
Selection select_proposal(const std::vector<Proposal>& offered, const std::vector<Proposal>& ours,
                          const Crypto_provider& crypto);

/// The initiator's check of a response (§2.7): `chosen` holds exactly one proposal whose
/// number and transforms (one per type) come from the same proposal of `offered`.
bool proposal_from_offer(const Proposal& chosen, const std::vector<Proposal>& offered);

/// The single transform of `type` in a chosen proposal, or nullptr.
const Transform* transform_of(const Proposal& p, Transform_type type);

/// §2.9 narrowing: every non-empty intersection of an offered selector with a configured one.
/// Offered selectors of an unknown TS Type are ignored (§2.9), never returned; so is a selector
/// (offered or configured) with ports other than 0..65535 on a protocol without ports (§3.13.1,
/// codec::ts_ports_valid), so a returned selector of such a protocol always has 0..65535. Empty when
/// nothing overlaps, including when every offered selector is of an unknown type (the caller
/// answers TS_UNACCEPTABLE).
std::vector<Traffic_selector> narrow(const std::vector<Traffic_selector>& offered,
                                     const std::vector<Traffic_selector>& configured);

/// §2.23.1 transport mode: the selector of exactly `address` (4 octets: TS_IPV4_ADDR_RANGE,
/// 16: TS_IPV6_ADDR_RANGE), any protocol, ports 0..65535.
Traffic_selector host_selector(const Bytes& address);

/// §2.23.1 transport mode: each selector of `ts` narrowed to the one IP address `address` (4 or
/// 16 octets), its protocol and ports kept; selectors that do not contain `address` (or are of
/// the other family or an unknown type) are left out. Empty when none contains it.
std::vector<Traffic_selector> narrow_to_address(const std::vector<Traffic_selector>& ts, const Bytes& address);

/// §2.23.1 address substitution behind a NAT: every selector of `ts` that holds exactly one
/// address of `address`'s family gets `address` instead (protocol and ports kept); the others
/// are returned unchanged.
std::vector<Traffic_selector> substitute_address(const std::vector<Traffic_selector>& ts, const Bytes& address);

/// True when every selector of `got` lies inside some selector of `proposed` (initiator check).
/// False when `got` is empty or holds a selector of an unknown TS Type (we propose none, so a
/// response returning one did not narrow what we proposed, §2.9) or one that is not
/// codec::ts_ports_valid (§3.13.1).
bool selectors_within(const std::vector<Traffic_selector>& got,
                      const std::vector<Traffic_selector>& proposed);

/// "10.1.0.0-10.1.0.255[0/0-65535]" style text for diagnostics and listings; "TS Type 200
/// (unknown, ignored)" for a selector of an unknown TS Type; a selector that is not
/// codec::ts_ports_valid gets " (ports on a protocol without ports, §3.13.1: matches nothing)".
std::string describe(const Traffic_selector& ts);

}  // namespace ike::core
