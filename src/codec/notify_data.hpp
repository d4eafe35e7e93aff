// ikeref codec: typed Notification Data of the notify types that carry structure (RFC 7296
// §3.10.1, §2.6 COOKIE, §2.23 NAT detection, §2.3 window, §2.22 IPComp; RFC 7427 §4, RFC 7383
// §2.3, RFC 4555, RFC 4478). Payload_N keeps the raw fields; these functions interpret them.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "src/codec/codec.hpp"

namespace ike::codec {

struct Notify_no_data {};  ///< Notification Data and SPI empty (e.g. IKEV2_FRAGMENTATION_SUPPORTED)
struct Notify_cookie { Bytes cookie; };                  ///< COOKIE: 1..64 octets (§2.6)
struct Notify_accepted_group { std::uint16_t group = 0; };  ///< INVALID_KE_PAYLOAD: 2 octets (§1.3, §3.10.1)
struct Notify_nat_detection { Bytes hash; };            ///< NAT_DETECTION_*_IP: 20-octet SHA-1 (§2.23)
/// REKEY_SA: no data; Protocol ID ESP or AH and the 4-octet SPI of the SA being rekeyed (§1.3.3).
struct Notify_rekey_sa { Protocol_id protocol = Protocol_id::ESP; std::uint32_t spi = 0; };
/// SIGNATURE_HASH_ALGORITHMS: 2-octet Hash Algorithm Identifiers, at least one (RFC 7427 §4).
struct Notify_hash_algorithms { std::vector<std::uint16_t> ids; };
struct Notify_window_size { std::uint32_t size = 0; };   ///< SET_WINDOW_SIZE: 4 octets (§2.3)
struct Notify_payload_type { std::uint8_t type = 0; };   ///< UNSUPPORTED_CRITICAL_PAYLOAD: 1 octet
struct Notify_major_version { std::uint8_t version = 0; };  ///< INVALID_MAJOR_VERSION: 1 octet
struct Notify_message_id { std::uint32_t id = 0; };      ///< INVALID_MESSAGE_ID: 4 octets
struct Notify_spi { std::uint32_t spi = 0; };            ///< INVALID_SPI: 4 octets (§3.10.1)
/// IPCOMP_SUPPORTED: IPComp CPI (2) and Transform ID (1) (§2.22).
struct Notify_ipcomp { std::uint16_t cpi = 0; std::uint8_t transform_id = 0; };
struct Notify_address { Bytes address; };  ///< ADDITIONAL_IP4_ADDRESS (4) / _IP6_ (16) (RFC 4555 §4)
struct Notify_seconds { std::uint32_t seconds = 0; };   ///< AUTH_LIFETIME: 4 octets (RFC 4478 §3)
struct Notify_opaque { Bytes data; };  ///< any other type: data kept as received

using Notify_data =
    std::variant<Notify_opaque, Notify_no_data, Notify_cookie, Notify_accepted_group,
                 Notify_nat_detection, Notify_rekey_sa, Notify_hash_algorithms, Notify_window_size,
                 Notify_payload_type, Notify_major_version, Notify_message_id, Notify_spi,
                 Notify_ipcomp, Notify_address, Notify_seconds>;

/// The typed data of `n` by its Notify Message Type. Refuses a length that the defining RFC
/// does not allow: rule ids "7296-2.6-cookie-length", "7296-3.10.1-invalid-ke-length",
/// "7296-2.23-nat-detection-length", "7296-1.3.3-rekey-sa-spi", "7427-4-hash-algorithms-length",
/// "7296-2.3-window-size-length", "7383-2.3-fragmentation-supported-data",
/// "7296-3.10.1-notify-data-length" (the others), each with the Notify's Decode_error offset
/// 0 (the caller knows where the payload sits). Never throws.
Decoded<Notify_data> decode_notify_data(const Payload_N& n);

/// A Notify payload of `type` carrying `data` (Protocol ID / SPI from Notify_rekey_sa, else
/// NONE and empty). Throws std::invalid_argument when `data` is not the kind `type` carries
/// (Notify_opaque goes with any type), std::length_error for a COOKIE outside 1..64 octets,
/// a NAT hash not of 20 octets or an address not of 4/16 octets.
Payload_N make_notify(Notify_type type, const Notify_data& data);

/// One line for diagnostics and `ikeref decode`: e.g. "group 19 (ECP_256)", "cookie 8 octets
/// 0102…", "SPI 0xc9f1d870 (ESP)", "" for Notify_no_data.
std::string describe(const Notify_data& data);

/// Convenience accessors: the value when `n` is of that type and well formed, else nullopt.
std::optional<Bytes> cookie_of(const Payload_N& n);
std::optional<std::uint16_t> accepted_group_of(const Payload_N& n);
std::optional<std::vector<std::uint16_t>> hash_algorithms_of(const Payload_N& n);
/// SET_WINDOW_SIZE's window (4 octets, RFC 7296 §2.3); nullopt for another type or length.
std::optional<std::uint32_t> window_size_of(const Payload_N& n);

}  // namespace ike::codec
