// ikeref vocabulary: IANA names of IKEv2 registry values (RFC 7296 §3, IANA "IKEv2
// Parameters"), hex helpers and constant-time comparison for ike::Secret.
#include <stdexcept>

#include "ike/types.hpp"

namespace ike {
namespace {

struct Name {
    unsigned value;
    const char* name;
};

template <std::size_t N>
std::string lookup(const Name (&table)[N], unsigned v) {
    for (const auto& e : table)
        if (e.value == v) return e.name;
    return std::to_string(v);
}

// IANA "IKEv2 Exchange Types".
constexpr Name exchange_names[] = {
    {34, "IKE_SA_INIT"},        {35, "IKE_AUTH"},        {36, "CREATE_CHILD_SA"},
    {37, "INFORMATIONAL"},      {38, "IKE_SESSION_RESUME"}, {39, "GSA_AUTH"},
    {40, "GSA_REGISTRATION"},   {41, "GSA_REKEY"},       {43, "IKE_INTERMEDIATE"},
    {44, "IKE_FOLLOWUP_KE"},
};

// IANA "IKEv2 Payload Types", notation column (RFC 7296 §3.2).
constexpr Name payload_names[] = {
    {0, "NONE"},  {33, "SA"},   {34, "KE"},  {35, "IDi"}, {36, "IDr"},   {37, "CERT"},
    {38, "CERTREQ"}, {39, "AUTH"}, {40, "Nonce"}, {41, "N"}, {42, "D"}, {43, "V"},
    {44, "TSi"},  {45, "TSr"},  {46, "SK"},  {47, "CP"},  {48, "EAP"},   {49, "GSPM"},
    {50, "IDg"},  {51, "GSA"},  {52, "KD"},  {53, "SKF"}, {54, "PS"},
};

// IANA "IKEv2 Notify Message Types - Error Types" and "- Status Types".
constexpr Name notify_names[] = {
    {1, "UNSUPPORTED_CRITICAL_PAYLOAD"},
    {4, "INVALID_IKE_SPI"},
    {5, "INVALID_MAJOR_VERSION"},
    {7, "INVALID_SYNTAX"},
    {9, "INVALID_MESSAGE_ID"},
    {11, "INVALID_SPI"},
    {14, "NO_PROPOSAL_CHOSEN"},
    {17, "INVALID_KE_PAYLOAD"},
    {24, "AUTHENTICATION_FAILED"},
    {34, "SINGLE_PAIR_REQUIRED"},
    {35, "NO_ADDITIONAL_SAS"},
    {36, "INTERNAL_ADDRESS_FAILURE"},
    {37, "FAILED_CP_REQUIRED"},
    {38, "TS_UNACCEPTABLE"},
    {39, "INVALID_SELECTORS"},
    {40, "UNACCEPTABLE_ADDRESSES"},
    {41, "UNEXPECTED_NAT_DETECTED"},
    {42, "USE_ASSIGNED_HoA"},
    {43, "TEMPORARY_FAILURE"},
    {44, "CHILD_SA_NOT_FOUND"},
    {45, "INVALID_GROUP_ID"},
    {46, "AUTHORIZATION_FAILED"},
    {47, "STATE_NOT_FOUND"},
    {48, "TS_MAX_QUEUE"},
    {16384, "INITIAL_CONTACT"},
    {16385, "SET_WINDOW_SIZE"},
    {16386, "ADDITIONAL_TS_POSSIBLE"},
    {16387, "IPCOMP_SUPPORTED"},
    {16388, "NAT_DETECTION_SOURCE_IP"},
    {16389, "NAT_DETECTION_DESTINATION_IP"},
    {16390, "COOKIE"},
    {16391, "USE_TRANSPORT_MODE"},
    {16392, "HTTP_CERT_LOOKUP_SUPPORTED"},
    {16393, "REKEY_SA"},
    {16394, "ESP_TFC_PADDING_NOT_SUPPORTED"},
    {16395, "NON_FIRST_FRAGMENTS_ALSO"},
    {16396, "MOBIKE_SUPPORTED"},
    {16397, "ADDITIONAL_IP4_ADDRESS"},
    {16398, "ADDITIONAL_IP6_ADDRESS"},
    {16399, "NO_ADDITIONAL_ADDRESSES"},
    {16400, "UPDATE_SA_ADDRESSES"},
    {16401, "COOKIE2"},
    {16402, "NO_NATS_ALLOWED"},
    {16403, "AUTH_LIFETIME"},
    {16404, "MULTIPLE_AUTH_SUPPORTED"},
    {16405, "ANOTHER_AUTH_FOLLOWS"},
    {16406, "REDIRECT_SUPPORTED"},
    {16407, "REDIRECT"},
    {16408, "REDIRECTED_FROM"},
    {16409, "TICKET_LT_OPAQUE"},
    {16410, "TICKET_REQUEST"},
    {16411, "TICKET_ACK"},
    {16412, "TICKET_NACK"},
    {16413, "TICKET_OPAQUE"},
    {16414, "LINK_ID"},
    {16415, "USE_WESP_MODE"},
    {16416, "ROHC_SUPPORTED"},
    {16417, "EAP_ONLY_AUTHENTICATION"},
    {16418, "CHILDLESS_IKEV2_SUPPORTED"},
    {16419, "QUICK_CRASH_DETECTION"},
    {16420, "IKEV2_MESSAGE_ID_SYNC_SUPPORTED"},
    {16421, "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED"},
    {16422, "IKEV2_MESSAGE_ID_SYNC"},
    {16423, "IPSEC_REPLAY_COUNTER_SYNC"},
    {16424, "SECURE_PASSWORD_METHODS"},
    {16425, "PSK_PERSIST"},
    {16426, "PSK_CONFIRM"},
    {16427, "ERX_SUPPORTED"},
    {16428, "IFOM_CAPABILITY"},
    {16429, "SENDER_REQUEST_ID"},
    {16430, "IKEV2_FRAGMENTATION_SUPPORTED"},
    {16431, "SIGNATURE_HASH_ALGORITHMS"},
    {16432, "CLONE_IKE_SA_SUPPORTED"},
    {16433, "CLONE_IKE_SA"},
    {16434, "PUZZLE"},
    {16435, "USE_PPK"},
    {16436, "PPK_IDENTITY"},
    {16437, "NO_PPK_AUTH"},
    {16438, "INTERMEDIATE_EXCHANGE_SUPPORTED"},
    {16439, "IP4_ALLOWED"},
    {16440, "IP6_ALLOWED"},
    {16441, "ADDITIONAL_KEY_EXCHANGE"},
    {16442, "USE_AGGFRAG"},
    {16443, "SUPPORTED_AUTH_METHODS"},
    {16444, "SA_RESOURCE_INFO"},
};

// IANA "Transform Type 1 - Encryption Algorithm Transform IDs".
constexpr Name encr_names[] = {
    {1, "ENCR_DES_IV64"},  {2, "ENCR_DES"},        {3, "ENCR_3DES"},       {4, "ENCR_RC5"},
    {5, "ENCR_IDEA"},      {6, "ENCR_CAST"},       {7, "ENCR_BLOWFISH"},   {8, "ENCR_3IDEA"},
    {9, "ENCR_DES_IV32"},  {11, "ENCR_NULL"},      {12, "ENCR_AES_CBC"},   {13, "ENCR_AES_CTR"},
    {14, "ENCR_AES_CCM_8"}, {15, "ENCR_AES_CCM_12"}, {16, "ENCR_AES_CCM_16"},
    {18, "ENCR_AES_GCM_8"}, {19, "ENCR_AES_GCM_12"}, {20, "ENCR_AES_GCM_16"},
    {21, "ENCR_NULL_AUTH_AES_GMAC"}, {23, "ENCR_CAMELLIA_CBC"}, {24, "ENCR_CAMELLIA_CTR"},
    {25, "ENCR_CAMELLIA_CCM_8"}, {26, "ENCR_CAMELLIA_CCM_12"}, {27, "ENCR_CAMELLIA_CCM_16"},
    {28, "ENCR_CHACHA20_POLY1305"}, {29, "ENCR_AES_CCM_8_IIV"}, {30, "ENCR_AES_GCM_16_IIV"},
    {31, "ENCR_CHACHA20_POLY1305_IIV"}, {32, "ENCR_KUZNYECHIK_MGM_KTREE"},
    {33, "ENCR_MAGMA_MGM_KTREE"}, {34, "ENCR_KUZNYECHIK_MGM_MAC_KTREE"},
    {35, "ENCR_MAGMA_MGM_MAC_KTREE"},
};

// IANA "Transform Type 2 - Pseudorandom Function Transform IDs".
constexpr Name prf_names[] = {
    {1, "PRF_HMAC_MD5"},      {2, "PRF_HMAC_SHA1"},     {3, "PRF_HMAC_TIGER"},
    {4, "PRF_AES128_XCBC"},   {5, "PRF_HMAC_SHA2_256"}, {6, "PRF_HMAC_SHA2_384"},
    {7, "PRF_HMAC_SHA2_512"}, {8, "PRF_AES128_CMAC"},   {9, "PRF_HMAC_STREEBOG_512"},
};

// IANA "Transform Type 3 - Integrity Algorithm Transform IDs".
constexpr Name integ_names[] = {
    {0, "NONE"},
    {1, "AUTH_HMAC_MD5_96"},
    {2, "AUTH_HMAC_SHA1_96"},
    {3, "AUTH_DES_MAC"},
    {4, "AUTH_KPDK_MD5"},
    {5, "AUTH_AES_XCBC_96"},
    {6, "AUTH_HMAC_MD5_128"},
    {7, "AUTH_HMAC_SHA1_160"},
    {8, "AUTH_AES_CMAC_96"},
    {9, "AUTH_AES_128_GMAC"},
    {10, "AUTH_AES_192_GMAC"},
    {11, "AUTH_AES_256_GMAC"},
    {12, "AUTH_HMAC_SHA2_256_128"},
    {13, "AUTH_HMAC_SHA2_384_192"},
    {14, "AUTH_HMAC_SHA2_512_256"},
};

// IANA "Transform Type 4 - Key Exchange Method Transform IDs", in the enum's spelling.
constexpr Name ke_names[] = {
    {0, "NONE"},       {1, "MODP_768"},   {2, "MODP_1024"},  {5, "MODP_1536"},
    {14, "MODP_2048"}, {15, "MODP_3072"}, {16, "MODP_4096"}, {17, "MODP_6144"},
    {18, "MODP_8192"}, {19, "ECP_256"},   {20, "ECP_384"},   {21, "ECP_521"},
    {22, "MODP_1024_160_POS"}, {23, "MODP_2048_224_POS"}, {24, "MODP_2048_256_POS"},
    {25, "ECP_192"},   {26, "ECP_224"},   {27, "BRAINPOOL_P224"}, {28, "BRAINPOOL_P256"},
    {29, "BRAINPOOL_P384"}, {30, "BRAINPOOL_P512"}, {31, "Curve25519"}, {32, "Curve448"},
    {33, "GOST3410_2012_256"}, {34, "GOST3410_2012_512"}, {35, "ML_KEM_512"},
    {36, "ML_KEM_768"}, {37, "ML_KEM_1024"},
};

// IANA "Transform Type 5 - Extended Sequence Numbers Transform IDs".
constexpr Name esn_names[] = {{0, "No_ESN"}, {1, "ESN"}};

// IANA "Transform Type Values" (RFC 7296 §3.3.2, RFC 9370 ADDKE1..7).
constexpr Name transform_type_names[] = {
    {1, "ENCR"},   {2, "PRF"},    {3, "INTEG"},  {4, "KE"},     {5, "ESN"},   {6, "ADDKE1"},
    {7, "ADDKE2"}, {8, "ADDKE3"}, {9, "ADDKE4"}, {10, "ADDKE5"}, {11, "ADDKE6"}, {12, "ADDKE7"},
};

// IANA "IKEv2 Security Protocol Identifiers" (RFC 7296 §3.3.1, RFC 4595).
constexpr Name protocol_names[] = {
    {0, "NONE"}, {1, "IKE"}, {2, "AH"}, {3, "ESP"}, {4, "FC_ESP_HEADER"}, {5, "FC_CT_AUTHENTICATION"},
};

// IANA "IKEv2 Identification Payload ID Types" (RFC 7296 §3.5, RFC 4595, RFC 7619).
constexpr Name id_type_names[] = {
    {1, "ID_IPV4_ADDR"},   {2, "ID_FQDN"},   {3, "ID_RFC822_ADDR"}, {5, "ID_IPV6_ADDR"},
    {9, "ID_DER_ASN1_DN"}, {10, "ID_DER_ASN1_GN"}, {11, "ID_KEY_ID"}, {12, "ID_FC_NAME"},
    {13, "ID_NULL"},
};

// IANA "IKEv2 Authentication Method" (RFC 7296 §3.8, RFC 4754, RFC 6467, RFC 7619, RFC 7427).
constexpr Name auth_method_names[] = {
    {1, "RSA_Digital_Signature"},
    {2, "Shared_Key_Message_Integrity_Code"},
    {3, "DSS_Digital_Signature"},
    {9, "ECDSA_SHA256_P256"},
    {10, "ECDSA_SHA384_P384"},
    {11, "ECDSA_SHA512_P521"},
    {12, "Generic_Secure_Password_Authentication_Method"},
    {13, "NULL_Authentication"},
    {14, "Digital_Signature"},
};

// IANA "IKEv2 Traffic Selector Types" (RFC 7296 §3.13.1, RFC 4595, RFC 9478).
constexpr Name ts_type_names[] = {
    {7, "TS_IPV4_ADDR_RANGE"}, {8, "TS_IPV6_ADDR_RANGE"}, {9, "TS_FC_ADDR_RANGE"}, {10, "TS_SECLABEL"},
};

// IANA "IKEv2 Certificate Encodings" (RFC 7296 §3.6, RFC 4806, RFC 7670).
constexpr Name cert_encoding_names[] = {
    {1, "PKCS7_wrapped_X509"},
    {2, "PGP_Certificate"},
    {3, "DNS_Signed_Key"},
    {4, "X509_Certificate_Signature"},
    {6, "Kerberos_Token"},
    {7, "Certificate_Revocation_List"},
    {8, "Authority_Revocation_List"},
    {9, "SPKI_Certificate"},
    {10, "X509_Certificate_Attribute"},
    {11, "Raw_RSA_Key"},
    {12, "Hash_and_URL_of_X509_certificate"},
    {13, "Hash_and_URL_of_X509_bundle"},
    {14, "OCSP_Content"},
    {15, "Raw_Public_Key"},
};

// IANA "IKEv2 Configuration Payload CFG Types" (RFC 7296 §3.15).
constexpr Name cfg_type_names[] = {
    {1, "CFG_REQUEST"}, {2, "CFG_REPLY"}, {3, "CFG_SET"}, {4, "CFG_ACK"},
};

// IANA "IKEv2 Configuration Payload Attribute Types" (RFC 7296 §3.15.1 and later RFCs).
constexpr Name cfg_attribute_names[] = {
    {1, "INTERNAL_IP4_ADDRESS"},
    {2, "INTERNAL_IP4_NETMASK"},
    {3, "INTERNAL_IP4_DNS"},
    {4, "INTERNAL_IP4_NBNS"},
    {6, "INTERNAL_IP4_DHCP"},
    {7, "APPLICATION_VERSION"},
    {8, "INTERNAL_IP6_ADDRESS"},
    {10, "INTERNAL_IP6_DNS"},
    {12, "INTERNAL_IP6_DHCP"},
    {13, "INTERNAL_IP4_SUBNET"},
    {14, "SUPPORTED_ATTRIBUTES"},
    {15, "INTERNAL_IP6_SUBNET"},
    {16, "MIP6_HOME_PREFIX"},
    {17, "INTERNAL_IP6_LINK"},
    {18, "INTERNAL_IP6_PREFIX"},
    {19, "HOME_AGENT_ADDRESS"},
    {20, "P_CSCF_IP4_ADDRESS"},
    {21, "P_CSCF_IP6_ADDRESS"},
    {22, "FTT_KAT"},
    {23, "EXTERNAL_SOURCE_IP4_NAT_INFO"},
    {24, "TIMEOUT_PERIOD_FOR_LIVENESS_CHECK"},
    {25, "INTERNAL_DNS_DOMAIN"},
    {26, "INTERNAL_DNSSEC_TA"},
};

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string to_string(Exchange_type v) { return lookup(exchange_names, static_cast<unsigned>(v)); }
std::string to_string(Payload_type v) { return lookup(payload_names, static_cast<unsigned>(v)); }
std::string to_string(Notify_type v) { return lookup(notify_names, static_cast<unsigned>(v)); }
std::string to_string(Encr_id v) { return lookup(encr_names, static_cast<unsigned>(v)); }
std::string to_string(Prf_id v) { return lookup(prf_names, static_cast<unsigned>(v)); }
std::string to_string(Integ_id v) { return lookup(integ_names, static_cast<unsigned>(v)); }
std::string to_string(Ke_id v) { return lookup(ke_names, static_cast<unsigned>(v)); }
std::string to_string(Esn_id v) { return lookup(esn_names, static_cast<unsigned>(v)); }
std::string to_string(Transform_type v) {
    return lookup(transform_type_names, static_cast<unsigned>(v));
}
std::string to_string(Protocol_id v) { return lookup(protocol_names, static_cast<unsigned>(v)); }
std::string to_string(Id_type v) { return lookup(id_type_names, static_cast<unsigned>(v)); }
std::string to_string(Auth_method v) { return lookup(auth_method_names, static_cast<unsigned>(v)); }
std::string to_string(Ts_type v) { return lookup(ts_type_names, static_cast<unsigned>(v)); }
std::string to_string(Cert_encoding v) {
    return lookup(cert_encoding_names, static_cast<unsigned>(v));
}
std::string to_string(Cfg_type v) { return lookup(cfg_type_names, static_cast<unsigned>(v)); }
std::string to_string(Cfg_attribute_type v) {
    return lookup(cfg_attribute_names, static_cast<unsigned>(v));
}

std::string Secret::hex() const { return to_hex(view()); }

bool equal_constant_time(Octets a, Octets b) {
    if (a.size != b.size) return false;  // the length is not secret
    unsigned diff = 0;
    for (std::size_t i = 0; i < a.size; ++i) diff |= static_cast<unsigned>(a[i] ^ b[i]);
    return diff == 0;
}

std::string to_hex(Octets o) {
    static const char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(o.size * 2);
    for (std::uint8_t b : o) {
        s.push_back(digits[b >> 4]);
        s.push_back(digits[b & 0x0f]);
    }
    return s;
}

Bytes from_hex(std::string_view s) {
    if (s.size() % 2 != 0) throw std::invalid_argument("from_hex: odd number of hex digits");
    Bytes out;
    out.reserve(s.size() / 2);
    for (std::size_t i = 0; i < s.size(); i += 2) {
        int hi = hex_digit(s[i]);
        int lo = hex_digit(s[i + 1]);
        if (hi < 0 || lo < 0) throw std::invalid_argument("from_hex: not a hex digit");
        out.push_back(static_cast<std::uint8_t>((hi << 4) | lo));
    }
    return out;
}

}  // namespace ike
