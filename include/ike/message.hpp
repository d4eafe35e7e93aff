// Typed IKEv2 messages: the IKE header (RFC 7296 §3.1), the generic payload header (§3.2) and
// one struct per payload body (§3.3–§3.16, RFC 7383 §2.5 SKF). The codec (src/codec) turns
// bytes into these and back.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ike/types.hpp"

namespace ike {

/// RFC 7296 §3.3.5 transform attribute. Key Length (type 14) is TV; other types are kept as
/// received (TV when `tv` is set: `value` holds 2 octets).
struct Transform_attribute {
    std::uint16_t type = 0;  ///< without the AF bit
    bool tv = true;
    Bytes value;
    bool operator==(const Transform_attribute&) const;
};

/// RFC 7296 §3.3.2 Transform substructure.
struct Transform {
    Transform_type type = Transform_type::ENCR;
    std::uint16_t id = 0;                    ///< Encr_id, Prf_id, Integ_id, Ke_id or Esn_id value
    std::optional<std::uint16_t> key_length; ///< bits, from attribute 14
    std::vector<Transform_attribute> other_attributes;  ///< anything but Key Length
    bool operator==(const Transform&) const;
};

/// RFC 7296 §3.3.1 Proposal substructure.
struct Proposal {
    std::uint8_t number = 1;
    Protocol_id protocol = Protocol_id::IKE;
    Bytes spi;  ///< 0 octets (IKE_SA_INIT), 8 (IKE rekey) or 4 (ESP/AH)
    std::vector<Transform> transforms;
    bool operator==(const Proposal&) const;
};

struct Payload_SA {  ///< §3.3
    std::vector<Proposal> proposals;
    bool operator==(const Payload_SA&) const;
};
struct Payload_KE {  ///< §3.4
    std::uint16_t group = 0;  ///< Ke_id value
    Bytes data;
    bool operator==(const Payload_KE&) const;
};
struct Payload_ID {  ///< §3.5, IDi or IDr by the payload type
    Id_type id_type = Id_type::ID_FQDN;
    Bytes data;
    /// The RESERVED octets as received: §2.15 signs RestOfInitIDPayload as it came, so they are
    /// kept (and sent back out on re-encoding); zero in what we build.
    std::array<std::uint8_t, 3> reserved{};
    bool operator==(const Payload_ID&) const;
};
/// §3.6 Certificate payload: Cert Encoding (1 octet) and Certificate Data (the rest, e.g. one
/// DER X.509 certificate for X509_Certificate_Signature).
struct Payload_CERT {
    Cert_encoding encoding = Cert_encoding::X509_Certificate_Signature;  ///< unknown values kept
    Bytes data;
    bool operator==(const Payload_CERT&) const;
};
/// §3.7 Certificate Request payload. For the X.509 encodings (4, 12, 13) the Certification
/// Authority field is a concatenation of 20-octet SHA-1 hashes of CA SubjectPublicKeyInfos,
/// decoded into `ca_hashes` (at least one; a field that is empty or not a multiple of 20 is a
/// decode error, "7296-3.7-certreq-ca-length"). For any other encoding the field is kept raw in
/// `authority` (§3.7 defines its contents only for X.509; RFC 7670 §3 wants it empty for
/// Raw_Public_Key).
struct Payload_CERTREQ {
    Cert_encoding encoding = Cert_encoding::X509_Certificate_Signature;
    std::vector<Bytes> ca_hashes;  ///< each 20 octets (X.509 encodings only)
    Bytes authority;               ///< other encodings only
    bool operator==(const Payload_CERTREQ&) const;
};
struct Payload_AUTH {  ///< §3.8
    Auth_method method = Auth_method::Shared_Key_Message_Integrity_Code;
    Bytes data;
    bool operator==(const Payload_AUTH&) const;
};
struct Payload_Nonce {  ///< §3.9, 16..256 octets
    Bytes data;
    bool operator==(const Payload_Nonce&) const;
};
struct Payload_N {  ///< §3.10
    Protocol_id protocol = Protocol_id::NONE;
    Bytes spi;
    std::uint16_t type = 0;  ///< Notify_type value (unknown types kept)
    Bytes data;
    bool operator==(const Payload_N&) const;
};
struct Payload_D {  ///< §3.11
    Protocol_id protocol = Protocol_id::IKE;
    std::uint8_t spi_size = 0;
    std::vector<Bytes> spis;  ///< each spi_size octets
    bool operator==(const Payload_D&) const;
};
struct Payload_V {  ///< §3.12
    Bytes data;
    bool operator==(const Payload_V&) const;
};
/// §3.13.1 Traffic Selector: addresses are 4 (TS_IPV4_ADDR_RANGE) or 16 octets.
/// A selector of any other TS Type is kept opaque, so that it can be ignored (§2.9: "the
/// responder ignores that Traffic Selector") and re-encoded byte for byte: `ts_type` holds the
/// received number, `ip_protocol` the selector's second octet, `unknown_body` the octets after
/// the 4-octet selector header (Selector Length - 4); ports and addresses are unused then.
struct Traffic_selector {
    Ts_type ts_type = Ts_type::TS_IPV4_ADDR_RANGE;
    std::uint8_t ip_protocol = 0;  ///< 0 = any
    std::uint16_t start_port = 0;
    std::uint16_t end_port = 65535;
    Bytes start_address;
    Bytes end_address;
    Bytes unknown_body{};  ///< only for a TS Type other than 7 and 8; at most 65531 octets
    /// True for TS_IPV4_ADDR_RANGE and TS_IPV6_ADDR_RANGE, the types §3.13.1 defines.
    bool known_type() const;
    bool operator==(const Traffic_selector&) const;
};
struct Payload_TS {  ///< §3.13, TSi or TSr by the payload type
    std::vector<Traffic_selector> selectors;
    bool operator==(const Payload_TS&) const;
};
/// §3.14 Encrypted payload as it is on the wire: IV | ciphertext | ICV, still protected.
/// `first_inner` is the Next Payload field of the SK header: the type of the first inner payload.
struct Payload_SK {
    Payload_type first_inner = Payload_type::NONE;
    Bytes body;
    bool operator==(const Payload_SK&) const;
};
/// §3.15.1 Configuration attribute: 15-bit type and value (length is value.size()).
struct Cfg_attribute {
    std::uint16_t type = 0;  ///< Cfg_attribute_type value, without the reserved bit
    Bytes value;
    bool operator==(const Cfg_attribute&) const;
};
/// §3.15 Configuration payload (CP): CFG Type and attributes in order. Known attribute types
/// must have the lengths of the §3.15.1 table (decode error "7296-3.15.1-attribute-length").
struct Payload_CP {
    Cfg_type cfg_type = Cfg_type::CFG_REQUEST;  ///< unknown values kept
    std::vector<Cfg_attribute> attributes;
    bool operator==(const Payload_CP&) const;
};
/// §3.16 EAP payload: one EAP message (RFC 3748 §4). The EAP Length field is not stored: it is
/// the encoded size and must equal the payload body on decode ("7296-3.16-eap-length").
/// `type` is present for Request (1) and Response (2) (and RFC 6696 Initiate 5 / Finish 6),
/// absent for Success (3) and Failure (4); `data` is Type-Data (empty for Success/Failure).
struct Payload_EAP {
    std::uint8_t code = 1;
    std::uint8_t identifier = 0;
    std::optional<std::uint8_t> type;
    Bytes data;
    bool operator==(const Payload_EAP&) const;
};
/// RFC 7383 §2.5 Encrypted Fragment payload (SKF), as on the wire: Fragment Number (2),
/// Total Fragments (2), then IV | ciphertext | ICV kept whole (like Payload_SK). The generic
/// header's Next Payload is the first inner payload type in fragment 1 and 0 in the others.
/// Decode requires 1 <= fragment_number <= total_fragments ("7383-2.5-fragment-number").
struct Payload_SKF {
    Payload_type first_inner = Payload_type::NONE;
    std::uint16_t fragment_number = 1;
    std::uint16_t total_fragments = 1;
    Bytes body;
    bool operator==(const Payload_SKF&) const;
};
/// A payload of a type this codec does not decode (kept whole: skipped, or refused if critical).
struct Payload_unknown {
    Bytes body;
    bool operator==(const Payload_unknown&) const;
};

using Payload_body = std::variant<Payload_SA, Payload_KE, Payload_ID, Payload_AUTH, Payload_Nonce,
                                  Payload_N, Payload_D, Payload_V, Payload_TS, Payload_SK,
                                  Payload_unknown, Payload_CERT, Payload_CERTREQ, Payload_CP,
                                  Payload_EAP, Payload_SKF>;

/// One payload of a chain (§3.2): its type (the previous Next Payload field), critical bit, body.
struct Payload {
    Payload_type type = Payload_type::NONE;  ///< may hold a value outside the enum (unknown)
    bool critical = false;
    Payload_body body;
    bool operator==(const Payload&) const;
};

/// RFC 7296 §3.1 IKE header (28 octets).
struct Header {
    Spi SPIi = 0;
    Spi SPIr = 0;
    std::uint8_t major_version = 2;
    std::uint8_t minor_version = 0;
    Exchange_type exchange = Exchange_type::IKE_SA_INIT;
    std::uint8_t flags = 0;  ///< ike::flag bits
    std::uint32_t message_id = 0;
    bool is_response() const { return (flags & flag::Response) != 0; }
    bool from_original_initiator() const { return (flags & flag::Initiator) != 0; }
    bool operator==(const Header&) const;
};

/// A whole IKE message. Outside SK: `payloads` is the plaintext chain, possibly ending with SK.
/// After decryption, core builds a Message whose `payloads` hold the inner chain and sets
/// `was_protected`.
struct Message {
    Header header;
    std::vector<Payload> payloads;
    bool was_protected = false;
    bool operator==(const Message&) const;

    /// First payload of `type`, or nullptr.
    const Payload* find(Payload_type type) const;
    /// First Notify of `type`, or nullptr.
    const Payload_N* find_notify(Notify_type type) const;
};

/// STYLE.md notation: `IKE_SA_INIT request #0 { SA, KE, Ni, N(NAT_DETECTION_SOURCE_IP) }`.
/// Inside a decrypted message the chain is written `SK { IDi, AUTH, ... }`.
std::string describe(const Message&);

}  // namespace ike
