// ikeref capture decoding (`ikeref decode`): reads pcap/pcapng through libpcap, finds IKE in
// UDP 500 / 4500 (RFC 3948 §2.2 non-ESP marker) or given ports over IPv4/IPv6, decodes each
// message with the codec (RFC 7296 §3), checks the message-rule table, and with a Wireshark
// ikev2_decryption_table verifies the ICV or AEAD tag and decrypts SK (§3.14, RFC 5282) through
// core's unprotect. Output is a JSON record per packet, and a text rendering of it.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ike/crypto_provider.hpp"
#include "ike/types.hpp"

namespace ike::io {

/// One UDP datagram, or one IP packet carrying ESP (protocol 50), of a capture.
struct Captured_packet {
    std::size_t frame = 0;  ///< 1-based frame number, as tshark counts
    std::string src;        ///< source address, dotted IPv4 or IPv6 text
    std::string dst;
    std::uint8_t ip_protocol = 17;  ///< 17 UDP or 50 ESP
    std::uint16_t src_port = 0;     ///< UDP only
    std::uint16_t dst_port = 0;
    Bytes payload;  ///< the UDP payload (or the ESP header and rest), as captured
    bool truncated = false;  ///< snap length or an IP fragment cut the payload short
};

/// Every UDP and ESP packet of a pcap or pcapng file (Ethernet with VLAN tags, BSD loopback,
/// Linux cooked v1/v2, raw IP), in capture order. Other frames are skipped; IP fragments
/// other than the first are skipped. Throws std::runtime_error when libpcap cannot open the file.
std::vector<Captured_packet> read_capture(const std::string& path);

/// One row of Wireshark's ikev2_decryption_table UAT: SPIs and the SK_e/SK_a keys of both
/// directions, the algorithms as Wireshark labels them ("AES-CBC-256 [RFC3602]",
/// "HMAC_SHA2_256_128 [RFC4868]", "AES-CCM-128 with 12 octet ICV [RFC5282]").
struct Ike_key_row {
    Spi SPIi = 0;
    Spi SPIr = 0;
    Bytes SK_ei, SK_er, SK_ai, SK_ar;
    std::string encryption;
    std::string integrity;
};

/// Reads a table file: one row per line, `SPIi,SPIr,SK_ei,SK_er,"encryption",SK_ai,SK_ar,
/// "integrity"`; lines starting with # and blank lines are skipped. Throws std::runtime_error
/// naming the line for a malformed row or an unreadable file.
std::vector<Ike_key_row> read_ikev2_decryption_table(const std::string& path);

/// Wireshark's encryption label as an Encr_id and key length in bits (0 when fixed), or nullopt.
std::optional<std::pair<Encr_id, std::uint16_t>> encryption_of_label(const std::string& label);
/// Wireshark's integrity label as an Integ_id (NONE for "NONE [RFC4306]"), or nullopt (e.g. the
/// "ANY n-bits of Authentication [No Checking]" rows).
std::optional<Integ_id> integrity_of_label(const std::string& label);

struct Decode_options {
    std::set<std::uint16_t> extra_ports;  ///< besides 500 and 4500
    std::vector<Ike_key_row> keys;
};

/// The JSON record of one packet:
///   {"frame", "src", "dst", "sport", "dport", "kind": "IKEv2" | "IKEv1" | "ESP" |
///    "NAT-keepalive" | "other", "length",
///    IKEv2: "header": {"SPIi","SPIr","next_payload","version","exchange","exchange_type",
///                      "flags","flag_names","message_id","length"},
///           "summary": STYLE.md notation, "payloads": [...],
///           "error": {"rule","text","offset"} when the message is malformed,
///           "rule_violation": {"rule","text"} when the message-rule table refuses it,
///           "sk": {"status": "no-key" | "verified" | "failed" | "unsupported", "check":
///                  "ICV" | "AEAD tag", "rule", "text", "inner": [...], "summary"}}.
/// `provider` supplies the cipher and integrity algorithms. Never throws on packet content.
nlohmann::json decode_packet(const Captured_packet& p, const Decode_options& options,
                             const Crypto_provider& provider);

/// Text rendering of one record: a header line, the HDR(...) form and the notation, one line
/// per payload with its fields, the SK verdict and inner payloads, any broken rule.
std::string render_text(const nlohmann::json& record);

}  // namespace ike::io
