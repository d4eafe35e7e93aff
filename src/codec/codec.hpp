// ikeref codec, internal API: bytes <-> typed messages (RFC 7296 §3.1 header, §3.2 generic
// payload header and chain, §3.3–§3.14 payload bodies). Used by core, crypto and tests.
// Decoding never throws and never reads outside its input; every refusal is a Decode_error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ike/message.hpp"
#include "ike/types.hpp"

namespace ike::codec {

/// Why a datagram or chain was refused.
/// - offset: octet offset of the offending field from the start of the datagram (for an inner
///   chain: base_offset + offset inside the chain).
/// - payload: the payload being decoded (Payload_type::NONE for the IKE header).
/// - rule: short machine-readable id, e.g. "7296-3.1-length", "7296-3.2-payload-length",
///   "7296-3.13.1-selector-length"; the error policy (RFC 7296 §2.21) maps it to a notify.
/// - text: a human-readable sentence.
struct Decode_error {
    std::size_t offset = 0;
    Payload_type payload = Payload_type::NONE;
    std::string rule;
    std::string text;
};

/// Result of a decode: holds T on success, Decode_error otherwise. Use
/// `std::get_if<T>(&r)` / `std::get_if<Decode_error>(&r)`, or the helpers `ok`, `value`, `error`.
template <class T>
using Decoded = std::variant<T, Decode_error>;

template <class T>
bool ok(const Decoded<T>& r) { return r.index() == 0; }
template <class T>
const T& value(const Decoded<T>& r) { return std::get<0>(r); }  ///< precondition: ok(r)
template <class T>
T& value(Decoded<T>& r) { return std::get<0>(r); }  ///< precondition: ok(r)
template <class T>
const Decode_error& error(const Decoded<T>& r) { return std::get<1>(r); }  ///< precondition: !ok(r)

/// RFC 7296 §3.1: the IKE header is 28 octets.
inline constexpr std::size_t header_size = 28;

/// The header fields of a datagram of at least 28 octets (nullopt if shorter). No other check:
/// any major version and Length are returned as received, so the caller can answer
/// INVALID_MAJOR_VERSION (§1.5, §2.5) or drop.
std::optional<Header> peek_header(Octets datagram);

/// Decode a whole IKE message (§3.1, §3.2): the header must be 28 octets, Length must equal the
/// datagram length, the major version must be 2, then the outer payload chain is decoded.
/// An SK payload (§3.14) is kept as Payload_SK (body = IV | ciphertext | ICV) and must be last;
/// so is an SKF payload (RFC 7383 §2.5, Payload_SKF). CERT, CERTREQ, CP and EAP (§3.6, §3.7,
/// §3.15, §3.16) are decoded into their structs. Unknown payload types become Payload_unknown
/// with their critical bit. Never throws.
Decoded<Message> decode_message(Octets datagram);

/// Decode a payload chain starting with type `first` that fills `bytes` exactly (an inner
/// chain from a decrypted SK payload, padding already removed, or the outer chain).
/// `base_offset` is added to every Decode_error offset. Never throws.
Decoded<std::vector<Payload>> decode_payload_chain(Payload_type first, Octets bytes,
                                                   std::size_t base_offset);

/// Encode a message: computes every Next Payload field (an SK payload's Next Payload is its
/// `first_inner`, likewise for SKF) and every length. Throws std::length_error if a payload
/// body exceeds 65531 octets (not representable, §3.2) or a CERTREQ CA hash is not 20 octets. `was_protected` is ignored: encryption is core's.
Bytes encode_message(const Message&);

/// Encode a chain without header: the plaintext of an SK payload (§3.14); the SK payload's
/// Next Payload must then be payloads[0].type (NONE if empty). Throws std::length_error as above.
Bytes encode_payload_chain(const std::vector<Payload>&);

/// RFC 7296 §3.5: an ID_FQDN or ID_RFC822_ADDR string "MUST NOT contain any terminators (e.g.,
/// NULL, CR, etc.)". Returns the octet offset in `data` of the first NUL (0x00), CR (0x0d) or LF
/// (0x0a) when `type` is ID_FQDN or ID_RFC822_ADDR; nullopt when there is none or `type` is another
/// (binary) ID Type. Used on what we send (configuration) and what we receive (IKE_AUTH). Never throws.
std::optional<std::size_t> id_terminator(Id_type type, Octets data);

/// Text for a diagnostic about the terminator at `offset` of `data` ("CR (0x0d) at offset 3").
std::string describe_id_terminator(Octets data, std::size_t offset);

/// RFC 7296 §3.13.1 with RFC 4301 §4.4.1.1: true for the IP protocols whose selectors carry
/// ports, TCP (6), UDP (17), DCCP (33), SCTP (132), UDP-Lite (136), or values held in the port
/// fields: ICMP (1) and ICMPv6 (58) Type/Code, Mobility Header (135) MH Type. For every other
/// protocol, including 0, the port "is undefined".
bool ts_ports_defined(std::uint8_t ip_protocol);

/// §3.13.1: "For protocols for which port is undefined (including protocol 0) ... [Start Port]
/// MUST be zero ... [End Port] MUST be 65535". False when `ts` (TS Type 7 or 8) gives such a
/// protocol any other port range; true otherwise (also for a selector of an unknown TS Type).
bool ts_ports_valid(const Traffic_selector& ts);

/// The 28-octet header with `first` as Next Payload and `total_length` as Length (§3.1).
Bytes encode_header(const Header&, Payload_type first, std::uint32_t total_length);

}  // namespace ike::codec
