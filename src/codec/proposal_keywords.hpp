// ikeref codec: strongSwan proposal keywords ("aes256gcm16-prfsha256-x25519") to SA proposals
// (RFC 7296 §3.3.1–§3.3.2, IANA transform ids) and back. Used by config, CLI and tests.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ike/message.hpp"

namespace ike::codec {

/// Parses a dash-separated strongSwan proposal string such as "aes256-sha256-modp2048",
/// "aes128gcm16-prfsha256-ecp256" (IKE) or "aes128-sha256", "aes256gcm16-modp2048-esn" (ESP).
/// Several keywords of one type add several transforms of that type, in keyword order.
/// Rules (strongSwan's): an IKE proposal without a prf keyword and a non-AEAD cipher gets the
/// PRFs matching its integrity algorithms (sha256 -> PRF_HMAC_SHA2_256); an ESP/AH proposal
/// without "esn"/"noesn" gets ESN transform No_ESN. IKE needs ENCR, PRF and a KE method; AEAD
/// and non-AEAD ciphers cannot share a proposal; AEAD takes no integrity algorithm.
/// "null" (ENCR_NULL) is refused for IKE (RFC 8247 §2.1); ESP/AH take it.
/// Legacy keywords (3des, modp768, modp1024, modp1536, ecp192, ecp224; RFC 8247 §2.1, §2.4)
/// parse like the others: they are "off by default" because proposal selection (RFC 7296 §2.7)
/// only takes what the configuration lists, and no default proposal names them.
/// Returns the proposal (number 1, empty SPI, transforms in type order ENCR, PRF, INTEG, KE,
/// ESN), or nullopt with `*error` (if non-null) naming the offending keyword.
std::optional<Proposal> parse_proposal(std::string_view keyword, Protocol_id protocol,
                                       std::string* error);

/// The canonical keyword of a proposal: encryption, integrity, prf, key exchange, "esn"
/// (ESN), "noesn" only when both ESN values are offered; e.g. "aes256-sha256-prfsha256-modp2048".
/// parse_proposal(proposal_keyword(p), p.protocol) == p for proposals made by parse_proposal.
/// Transforms without a keyword are printed as "<type>:<id>" (not parseable).
std::string proposal_keyword(const Proposal&);

}  // namespace ike::codec
