// ikeref public vocabulary: IANA IKEv2 registry values as scoped enums, byte buffers and the
// move-only Secret. RFC 7296 §3 (payload, exchange, notify numbers), §3.3.2 (transform ids).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ike {

/// Octet string as carried on the wire.
using Bytes = std::vector<std::uint8_t>;

/// Read-only view of octets (C++17 has no std::span).
struct Octets {
    const std::uint8_t* data = nullptr;
    std::size_t size = 0;
    Octets() = default;
    Octets(const std::uint8_t* d, std::size_t n) : data(d), size(n) {}
    Octets(const Bytes& b) : data(b.data()), size(b.size()) {}  // NOLINT implicit by design
    const std::uint8_t* begin() const { return data; }
    const std::uint8_t* end() const { return data + size; }
    bool empty() const { return size == 0; }
    std::uint8_t operator[](std::size_t i) const { return data[i]; }
    Bytes to_bytes() const { return Bytes(begin(), end()); }
};

/// IKE SA SPI (8 octets, RFC 7296 §3.1) held as a big-endian integer; 0 means "not yet known".
using Spi = std::uint64_t;

/// RFC 7296 §3.1 Exchange Type (IANA "IKEv2 Exchange Types").
enum class Exchange_type : std::uint8_t {
    IKE_SA_INIT = 34,
    IKE_AUTH = 35,
    CREATE_CHILD_SA = 36,
    INFORMATIONAL = 37,
};

/// RFC 7296 §3.2 Next Payload values (IANA "IKEv2 Payload Types").
enum class Payload_type : std::uint8_t {
    NONE = 0,
    SA = 33,
    KE = 34,
    IDi = 35,
    IDr = 36,
    CERT = 37,
    CERTREQ = 38,
    AUTH = 39,
    Nonce = 40,  ///< Ni or Nr
    N = 41,      ///< Notify
    D = 42,      ///< Delete
    V = 43,      ///< Vendor ID
    TSi = 44,
    TSr = 45,
    SK = 46,
    CP = 47,
    EAP = 48,
    SKF = 53,  ///< RFC 7383 §2.5
};

/// RFC 7296 §3.1 header flags.
namespace flag {
inline constexpr std::uint8_t Initiator = 0x08;  ///< I: sender is the original initiator
inline constexpr std::uint8_t Version = 0x10;    ///< V: must be clear in IKEv2
inline constexpr std::uint8_t Response = 0x20;   ///< R
}  // namespace flag

/// RFC 7296 §3.3.1 Protocol ID.
enum class Protocol_id : std::uint8_t { NONE = 0, IKE = 1, AH = 2, ESP = 3 };

/// RFC 7296 §3.3.2 Transform Type.
enum class Transform_type : std::uint8_t { ENCR = 1, PRF = 2, INTEG = 3, KE = 4, ESN = 5 };

/// Transform Type 1 (IANA), with RFC 5282 / RFC 7634 AEAD ids.
enum class Encr_id : std::uint16_t {
    ENCR_3DES = 3,
    ENCR_NULL = 11,
    ENCR_AES_CBC = 12,
    ENCR_AES_CTR = 13,
    ENCR_AES_CCM_8 = 14,
    ENCR_AES_CCM_12 = 15,
    ENCR_AES_CCM_16 = 16,
    ENCR_AES_GCM_8 = 18,
    ENCR_AES_GCM_12 = 19,
    ENCR_AES_GCM_16 = 20,
    ENCR_CHACHA20_POLY1305 = 28,
};

/// Transform Type 2 (IANA).
enum class Prf_id : std::uint16_t {
    PRF_HMAC_SHA1 = 2,
    PRF_AES128_XCBC = 4,
    PRF_HMAC_SHA2_256 = 5,
    PRF_HMAC_SHA2_384 = 6,
    PRF_HMAC_SHA2_512 = 7,
    PRF_AES128_CMAC = 8,
};

/// Transform Type 3 (IANA).
enum class Integ_id : std::uint16_t {
    NONE = 0,
    AUTH_HMAC_SHA1_96 = 2,
    AUTH_AES_XCBC_96 = 5,
    AUTH_AES_CMAC_96 = 8,
    AUTH_HMAC_SHA2_256_128 = 12,
    AUTH_HMAC_SHA2_384_192 = 13,
    AUTH_HMAC_SHA2_512_256 = 14,
};

/// Transform Type 4 (IANA "Key Exchange Method", formerly D-H group).
enum class Ke_id : std::uint16_t {
    NONE = 0,
    MODP_768 = 1,
    MODP_1024 = 2,
    MODP_1536 = 5,
    MODP_2048 = 14,
    MODP_3072 = 15,
    MODP_4096 = 16,
    MODP_6144 = 17,
    MODP_8192 = 18,
    ECP_256 = 19,
    ECP_384 = 20,
    ECP_521 = 21,
    ECP_192 = 25,          ///< legacy (RFC 5114 §2.6), off by default
    ECP_224 = 26,          ///< legacy (RFC 5114 §2.7), off by default
    BRAINPOOL_P224 = 27,   ///< RFC 6954
    BRAINPOOL_P256 = 28,
    BRAINPOOL_P384 = 29,
    BRAINPOOL_P512 = 30,
    Curve25519 = 31,
};

/// Transform Type 5.
enum class Esn_id : std::uint16_t { No_ESN = 0, ESN = 1 };

/// RFC 7296 §3.3.5 transform attribute type (TV format): Key Length in bits.
inline constexpr std::uint16_t Attribute_Key_Length = 14;

/// RFC 7296 §3.5 ID Type.
enum class Id_type : std::uint8_t {
    ID_IPV4_ADDR = 1,
    ID_FQDN = 2,
    ID_RFC822_ADDR = 3,
    ID_IPV6_ADDR = 5,
    ID_DER_ASN1_DN = 9,
    ID_DER_ASN1_GN = 10,
    ID_KEY_ID = 11,
};

/// RFC 7296 §3.8 Auth Method.
enum class Auth_method : std::uint8_t {
    RSA_Digital_Signature = 1,
    Shared_Key_Message_Integrity_Code = 2,
    DSS_Digital_Signature = 3,
    ECDSA_SHA256_P256 = 9,
    ECDSA_SHA384_P384 = 10,
    ECDSA_SHA512_P521 = 11,
    Digital_Signature = 14,
};

/// RFC 7296 §3.6 Certificate Encoding (IANA "IKEv2 Certificate Encodings"), used by CERT and
/// CERTREQ; RFC 4806 adds 14, RFC 7670 adds 15.
enum class Cert_encoding : std::uint8_t {
    PKCS7_wrapped_X509 = 1,
    PGP_Certificate = 2,
    DNS_Signed_Key = 3,
    X509_Certificate_Signature = 4,
    Kerberos_Token = 6,
    Certificate_Revocation_List = 7,
    Authority_Revocation_List = 8,
    SPKI_Certificate = 9,
    X509_Certificate_Attribute = 10,
    Raw_RSA_Key = 11,
    Hash_and_URL_of_X509_certificate = 12,
    Hash_and_URL_of_X509_bundle = 13,
    OCSP_Content = 14,
    Raw_Public_Key = 15,
};

/// RFC 7296 §3.15 CFG Type.
enum class Cfg_type : std::uint8_t { CFG_REQUEST = 1, CFG_REPLY = 2, CFG_SET = 3, CFG_ACK = 4 };

/// RFC 7296 §3.15.1 Configuration Attribute Type (IANA "IKEv2 Configuration Payload Attribute
/// Types"), 15 bits.
enum class Cfg_attribute_type : std::uint16_t {
    INTERNAL_IP4_ADDRESS = 1,
    INTERNAL_IP4_NETMASK = 2,
    INTERNAL_IP4_DNS = 3,
    INTERNAL_IP4_NBNS = 4,
    INTERNAL_IP4_DHCP = 6,
    APPLICATION_VERSION = 7,
    INTERNAL_IP6_ADDRESS = 8,
    INTERNAL_IP6_DNS = 10,
    INTERNAL_IP6_DHCP = 12,
    INTERNAL_IP4_SUBNET = 13,
    SUPPORTED_ATTRIBUTES = 14,
    INTERNAL_IP6_SUBNET = 15,
};

/// RFC 7296 §3.13.1 TS Type.
enum class Ts_type : std::uint8_t { TS_IPV4_ADDR_RANGE = 7, TS_IPV6_ADDR_RANGE = 8 };

/// RFC 7296 §3.10.1 Notify Message Types (IANA), error range below 16384, status above.
enum class Notify_type : std::uint16_t {
    UNSUPPORTED_CRITICAL_PAYLOAD = 1,
    INVALID_IKE_SPI = 4,
    INVALID_MAJOR_VERSION = 5,
    INVALID_SYNTAX = 7,
    INVALID_MESSAGE_ID = 9,
    INVALID_SPI = 11,
    NO_PROPOSAL_CHOSEN = 14,
    INVALID_KE_PAYLOAD = 17,
    AUTHENTICATION_FAILED = 24,
    SINGLE_PAIR_REQUIRED = 34,
    NO_ADDITIONAL_SAS = 35,
    INTERNAL_ADDRESS_FAILURE = 36,
    FAILED_CP_REQUIRED = 37,
    TS_UNACCEPTABLE = 38,
    INVALID_SELECTORS = 39,
    TEMPORARY_FAILURE = 43,
    CHILD_SA_NOT_FOUND = 44,
    INITIAL_CONTACT = 16384,
    SET_WINDOW_SIZE = 16385,
    ADDITIONAL_TS_POSSIBLE = 16386,
    IPCOMP_SUPPORTED = 16387,
    NAT_DETECTION_SOURCE_IP = 16388,
    NAT_DETECTION_DESTINATION_IP = 16389,
    COOKIE = 16390,
    USE_TRANSPORT_MODE = 16391,
    HTTP_CERT_LOOKUP_SUPPORTED = 16392,
    REKEY_SA = 16393,
    ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
    NON_FIRST_FRAGMENTS_ALSO = 16395,
    MOBIKE_SUPPORTED = 16396,
    MULTIPLE_AUTH_SUPPORTED = 16404,
    EAP_ONLY_AUTHENTICATION = 16417,
    CHILDLESS_IKEV2_SUPPORTED = 16418,
    IKEV2_FRAGMENTATION_SUPPORTED = 16430,
    SIGNATURE_HASH_ALGORITHMS = 16431,
};

/// True for the error range of RFC 7296 §3.10.1 (types below 16384).
constexpr bool is_error(Notify_type t) { return static_cast<std::uint16_t>(t) < 16384; }

/// IANA name of a value, or its number in decimal when the registry entry is not known here.
std::string to_string(Exchange_type);
std::string to_string(Payload_type);
std::string to_string(Notify_type);
std::string to_string(Encr_id);
std::string to_string(Prf_id);
std::string to_string(Integ_id);
std::string to_string(Ke_id);
std::string to_string(Esn_id);
std::string to_string(Transform_type);
std::string to_string(Protocol_id);
std::string to_string(Id_type);
std::string to_string(Auth_method);
std::string to_string(Ts_type);
std::string to_string(Cert_encoding);
std::string to_string(Cfg_type);
std::string to_string(Cfg_attribute_type);

/// Move-only octet buffer for key material that zeroizes itself on destruction and move.
/// Compare with `equal_constant_time`; never printed unless key logging is asked for.
class Secret {
public:
    Secret() = default;
    explicit Secret(Bytes b) : bytes_(std::move(b)) {}
    Secret(const std::uint8_t* d, std::size_t n) : bytes_(d, d + n) {}
    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;
    Secret(Secret&& o) noexcept : bytes_(std::move(o.bytes_)) { o.wipe(); }
    Secret& operator=(Secret&& o) noexcept {
        if (this != &o) {
            wipe();
            bytes_ = std::move(o.bytes_);
            o.wipe();
        }
        return *this;
    }
    ~Secret() { wipe(); }

    /// An explicit copy (key material is duplicated only where the code says so).
    Secret clone() const { return Secret(bytes_); }
    Octets view() const { return Octets(bytes_); }
    const std::uint8_t* data() const { return bytes_.data(); }
    std::size_t size() const { return bytes_.size(); }
    bool empty() const { return bytes_.empty(); }
    /// Hex for key logging only (Wireshark tables, charon comparison in tests).
    std::string hex() const;

private:
    void wipe() noexcept {
        volatile std::uint8_t* p = bytes_.data();
        for (std::size_t i = 0; i < bytes_.size(); ++i) p[i] = 0;
        bytes_.clear();
    }
    Bytes bytes_;
};

/// Constant-time comparison of two octet strings (length is not secret).
bool equal_constant_time(Octets a, Octets b);

/// Lower-case hex of octets; `from_hex` accepts upper or lower case and throws
/// std::invalid_argument on odd length or a non-hex digit (config and test input only).
std::string to_hex(Octets);
Bytes from_hex(std::string_view);

}  // namespace ike
