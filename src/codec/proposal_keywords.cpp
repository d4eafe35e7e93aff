// ikeref codec: strongSwan proposal keywords <-> SA proposals (RFC 7296 §3.3, IANA ids).
// The keyword spellings follow strongSwan's proposal_keywords_static.txt.
#include "src/codec/proposal_keywords.hpp"

#include <algorithm>

namespace ike::codec {
namespace {

struct Keyword {
    const char* word;
    Transform_type type;
    std::uint16_t id;
    std::uint16_t key_length;  ///< bits, 0 = no Key Length attribute
    bool canonical;            ///< the spelling proposal_keyword prints
};

using T = Transform_type;
constexpr auto u16 = [](auto v) { return static_cast<std::uint16_t>(v); };

// clang-format off
const Keyword keywords[] = {
    // Transform Type 1: encryption (AES-CBC, AES-CTR, AEAD: RFC 4106 GCM, RFC 4309 CCM, RFC 7634)
    // [7296-3.3.5-s3] only the variable-key AES ciphers below carry a Key Length; fixed-key ones (3DES, ChaCha20) and PRF/INTEG get 0 = none.
    {"null",             T::ENCR, u16(Encr_id::ENCR_NULL), 0, true},
    {"3des",             T::ENCR, u16(Encr_id::ENCR_3DES), 0, true},
    {"aes128",           T::ENCR, u16(Encr_id::ENCR_AES_CBC), 128, true},
    {"aes",              T::ENCR, u16(Encr_id::ENCR_AES_CBC), 128, false},
    {"aes192",           T::ENCR, u16(Encr_id::ENCR_AES_CBC), 192, true},
    {"aes256",           T::ENCR, u16(Encr_id::ENCR_AES_CBC), 256, true},
    {"aes128ctr",        T::ENCR, u16(Encr_id::ENCR_AES_CTR), 128, true},
    {"aes192ctr",        T::ENCR, u16(Encr_id::ENCR_AES_CTR), 192, true},
    {"aes256ctr",        T::ENCR, u16(Encr_id::ENCR_AES_CTR), 256, true},
    {"aes128ccm8",       T::ENCR, u16(Encr_id::ENCR_AES_CCM_8), 128, true},
    {"aes128ccm64",      T::ENCR, u16(Encr_id::ENCR_AES_CCM_8), 128, false},
    {"aes128ccm12",      T::ENCR, u16(Encr_id::ENCR_AES_CCM_12), 128, true},
    {"aes128ccm96",      T::ENCR, u16(Encr_id::ENCR_AES_CCM_12), 128, false},
    {"aes128ccm16",      T::ENCR, u16(Encr_id::ENCR_AES_CCM_16), 128, true},
    {"aes128ccm128",     T::ENCR, u16(Encr_id::ENCR_AES_CCM_16), 128, false},
    {"aes128ccm",        T::ENCR, u16(Encr_id::ENCR_AES_CCM_16), 128, false},
    {"aes192ccm8",       T::ENCR, u16(Encr_id::ENCR_AES_CCM_8), 192, true},
    {"aes192ccm64",      T::ENCR, u16(Encr_id::ENCR_AES_CCM_8), 192, false},
    {"aes192ccm12",      T::ENCR, u16(Encr_id::ENCR_AES_CCM_12), 192, true},
    {"aes192ccm96",      T::ENCR, u16(Encr_id::ENCR_AES_CCM_12), 192, false},
    {"aes192ccm16",      T::ENCR, u16(Encr_id::ENCR_AES_CCM_16), 192, true},
    {"aes192ccm128",     T::ENCR, u16(Encr_id::ENCR_AES_CCM_16), 192, false},
    {"aes192ccm",        T::ENCR, u16(Encr_id::ENCR_AES_CCM_16), 192, false},
    {"aes256ccm8",       T::ENCR, u16(Encr_id::ENCR_AES_CCM_8), 256, true},
    {"aes256ccm64",      T::ENCR, u16(Encr_id::ENCR_AES_CCM_8), 256, false},
    {"aes256ccm12",      T::ENCR, u16(Encr_id::ENCR_AES_CCM_12), 256, true},
    {"aes256ccm96",      T::ENCR, u16(Encr_id::ENCR_AES_CCM_12), 256, false},
    {"aes256ccm16",      T::ENCR, u16(Encr_id::ENCR_AES_CCM_16), 256, true},
    {"aes256ccm128",     T::ENCR, u16(Encr_id::ENCR_AES_CCM_16), 256, false},
    {"aes256ccm",        T::ENCR, u16(Encr_id::ENCR_AES_CCM_16), 256, false},
    {"aes128gcm8",       T::ENCR, u16(Encr_id::ENCR_AES_GCM_8), 128, true},
    {"aes128gcm64",      T::ENCR, u16(Encr_id::ENCR_AES_GCM_8), 128, false},
    {"aes128gcm12",      T::ENCR, u16(Encr_id::ENCR_AES_GCM_12), 128, true},
    {"aes128gcm96",      T::ENCR, u16(Encr_id::ENCR_AES_GCM_12), 128, false},
    {"aes128gcm16",      T::ENCR, u16(Encr_id::ENCR_AES_GCM_16), 128, true},
    {"aes128gcm128",     T::ENCR, u16(Encr_id::ENCR_AES_GCM_16), 128, false},
    {"aes128gcm",        T::ENCR, u16(Encr_id::ENCR_AES_GCM_16), 128, false},
    {"aes192gcm8",       T::ENCR, u16(Encr_id::ENCR_AES_GCM_8), 192, true},
    {"aes192gcm64",      T::ENCR, u16(Encr_id::ENCR_AES_GCM_8), 192, false},
    {"aes192gcm12",      T::ENCR, u16(Encr_id::ENCR_AES_GCM_12), 192, true},
    {"aes192gcm96",      T::ENCR, u16(Encr_id::ENCR_AES_GCM_12), 192, false},
    {"aes192gcm16",      T::ENCR, u16(Encr_id::ENCR_AES_GCM_16), 192, true},
    {"aes192gcm128",     T::ENCR, u16(Encr_id::ENCR_AES_GCM_16), 192, false},
    {"aes192gcm",        T::ENCR, u16(Encr_id::ENCR_AES_GCM_16), 192, false},
    {"aes256gcm8",       T::ENCR, u16(Encr_id::ENCR_AES_GCM_8), 256, true},
    {"aes256gcm64",      T::ENCR, u16(Encr_id::ENCR_AES_GCM_8), 256, false},
    {"aes256gcm12",      T::ENCR, u16(Encr_id::ENCR_AES_GCM_12), 256, true},
    {"aes256gcm96",      T::ENCR, u16(Encr_id::ENCR_AES_GCM_12), 256, false},
    {"aes256gcm16",      T::ENCR, u16(Encr_id::ENCR_AES_GCM_16), 256, true},
    {"aes256gcm128",     T::ENCR, u16(Encr_id::ENCR_AES_GCM_16), 256, false},
    {"aes256gcm",        T::ENCR, u16(Encr_id::ENCR_AES_GCM_16), 256, false},
    {"chacha20poly1305", T::ENCR, u16(Encr_id::ENCR_CHACHA20_POLY1305), 0, true},
    // Transform Type 3: integrity (RFC 4868, RFC 3566, RFC 4494)
    {"sha1",             T::INTEG, u16(Integ_id::AUTH_HMAC_SHA1_96), 0, true},
    {"sha",              T::INTEG, u16(Integ_id::AUTH_HMAC_SHA1_96), 0, false},
    {"sha256",           T::INTEG, u16(Integ_id::AUTH_HMAC_SHA2_256_128), 0, true},
    {"sha2_256",         T::INTEG, u16(Integ_id::AUTH_HMAC_SHA2_256_128), 0, false},
    {"sha384",           T::INTEG, u16(Integ_id::AUTH_HMAC_SHA2_384_192), 0, true},
    {"sha2_384",         T::INTEG, u16(Integ_id::AUTH_HMAC_SHA2_384_192), 0, false},
    {"sha512",           T::INTEG, u16(Integ_id::AUTH_HMAC_SHA2_512_256), 0, true},
    {"sha2_512",         T::INTEG, u16(Integ_id::AUTH_HMAC_SHA2_512_256), 0, false},
    {"aesxcbc",          T::INTEG, u16(Integ_id::AUTH_AES_XCBC_96), 0, true},
    {"aescmac",          T::INTEG, u16(Integ_id::AUTH_AES_CMAC_96), 0, true},
    // Transform Type 2: PRF
    {"prfsha1",          T::PRF, u16(Prf_id::PRF_HMAC_SHA1), 0, true},
    {"prfsha256",        T::PRF, u16(Prf_id::PRF_HMAC_SHA2_256), 0, true},
    {"prfsha384",        T::PRF, u16(Prf_id::PRF_HMAC_SHA2_384), 0, true},
    {"prfsha512",        T::PRF, u16(Prf_id::PRF_HMAC_SHA2_512), 0, true},
    {"prfaesxcbc",       T::PRF, u16(Prf_id::PRF_AES128_XCBC), 0, true},
    {"prfaescmac",       T::PRF, u16(Prf_id::PRF_AES128_CMAC), 0, true},
    // Transform Type 4: key exchange method (RFC 2409, RFC 3526, RFC 5903, RFC 5114, RFC 6954,
    // RFC 8031)
    {"modp768",          T::KE, u16(Ke_id::MODP_768), 0, true},
    {"modp1024",         T::KE, u16(Ke_id::MODP_1024), 0, true},
    {"modp1536",         T::KE, u16(Ke_id::MODP_1536), 0, true},
    {"modp2048",         T::KE, u16(Ke_id::MODP_2048), 0, true},
    {"modp3072",         T::KE, u16(Ke_id::MODP_3072), 0, true},
    {"modp4096",         T::KE, u16(Ke_id::MODP_4096), 0, true},
    {"modp6144",         T::KE, u16(Ke_id::MODP_6144), 0, true},
    {"modp8192",         T::KE, u16(Ke_id::MODP_8192), 0, true},
    {"ecp256",           T::KE, u16(Ke_id::ECP_256), 0, true},
    {"ecp384",           T::KE, u16(Ke_id::ECP_384), 0, true},
    {"ecp521",           T::KE, u16(Ke_id::ECP_521), 0, true},
    {"ecp192",           T::KE, u16(Ke_id::ECP_192), 0, true},
    {"ecp224",           T::KE, u16(Ke_id::ECP_224), 0, true},
    {"ecp224bp",         T::KE, u16(Ke_id::BRAINPOOL_P224), 0, true},  // RFC 6954
    {"ecp256bp",         T::KE, u16(Ke_id::BRAINPOOL_P256), 0, true},
    {"ecp384bp",         T::KE, u16(Ke_id::BRAINPOOL_P384), 0, true},
    {"ecp512bp",         T::KE, u16(Ke_id::BRAINPOOL_P512), 0, true},
    {"x25519",           T::KE, u16(Ke_id::Curve25519), 0, true},
    {"curve25519",       T::KE, u16(Ke_id::Curve25519), 0, false},
    // Transform Type 5: extended sequence numbers (ESP/AH only)
    {"esn",              T::ESN, u16(Esn_id::ESN), 0, true},
    {"noesn",            T::ESN, u16(Esn_id::No_ESN), 0, true},
};
// clang-format on

bool is_aead(std::uint16_t encr) {
    switch (static_cast<Encr_id>(encr)) {
        case Encr_id::ENCR_AES_CCM_8:
        case Encr_id::ENCR_AES_CCM_12:
        case Encr_id::ENCR_AES_CCM_16:
        case Encr_id::ENCR_AES_GCM_8:
        case Encr_id::ENCR_AES_GCM_12:
        case Encr_id::ENCR_AES_GCM_16:
        case Encr_id::ENCR_CHACHA20_POLY1305: return true;
        default: return false;
    }
}

// strongSwan derives the IKE PRF from the integrity algorithm when none is given.
std::optional<std::uint16_t> prf_for_integ(std::uint16_t integ) {
    switch (static_cast<Integ_id>(integ)) {
        case Integ_id::AUTH_HMAC_SHA1_96: return u16(Prf_id::PRF_HMAC_SHA1);
        case Integ_id::AUTH_AES_XCBC_96: return u16(Prf_id::PRF_AES128_XCBC);
        case Integ_id::AUTH_AES_CMAC_96: return u16(Prf_id::PRF_AES128_CMAC);
        case Integ_id::AUTH_HMAC_SHA2_256_128: return u16(Prf_id::PRF_HMAC_SHA2_256);
        case Integ_id::AUTH_HMAC_SHA2_384_192: return u16(Prf_id::PRF_HMAC_SHA2_384);
        case Integ_id::AUTH_HMAC_SHA2_512_256: return u16(Prf_id::PRF_HMAC_SHA2_512);
        default: return std::nullopt;
    }
}

const Keyword* find_keyword(std::string_view word) {
    for (const auto& k : keywords)
        if (word == k.word) return &k;
    return nullptr;
}

Transform make_transform(Transform_type type, std::uint16_t id, std::uint16_t key_length) {
    Transform t;
    t.type = type;
    t.id = id;
    if (key_length != 0) t.key_length = key_length;
    return t;
}

bool set_error(std::string* error, std::string text) {
    if (error != nullptr) *error = std::move(text);
    return false;
}

}  // namespace

// [7296-3.3.4-s4] the management facility for acceptable suites: connection `proposals` / `esp_proposals` keywords.
std::optional<Proposal> parse_proposal(std::string_view keyword, Protocol_id protocol,
                                       std::string* error) {
    std::vector<Transform> by_type[6];  // index = Transform_type value
    std::size_t start = 0;
    while (start <= keyword.size()) {
        std::size_t end = keyword.find('-', start);
        if (end == std::string_view::npos) end = keyword.size();
        const std::string_view word = keyword.substr(start, end - start);
        const Keyword* k = find_keyword(word);
        if (k == nullptr) {
            set_error(error, "unknown proposal keyword '" + std::string(word) + "'");
            return std::nullopt;
        }
        // [7296-3.3-s10] one keyword, one transform with at most one Key Length: key sizes are alternatives as separate transforms.
        Transform t = make_transform(k->type, k->id, k->key_length);
        auto& list = by_type[static_cast<std::size_t>(k->type)];
        if (std::find(list.begin(), list.end(), t) == list.end()) list.push_back(std::move(t));
        start = end + 1;
    }
    const auto& encr = by_type[1];
    auto& prf = by_type[2];
    const auto& integ = by_type[3];
    auto& esn = by_type[5];
    if (encr.empty()) {
        set_error(error, "no encryption algorithm in '" + std::string(keyword) + "'");
        return std::nullopt;
    }
    const bool aead = is_aead(encr.front().id);
    for (const auto& e : encr)
        if (is_aead(e.id) != aead) {
            set_error(error, "AEAD and non-AEAD ciphers need separate proposals");
            return std::nullopt;
        }
    // [7296-3.3-s7] a combined-mode cipher is offered with no integrity transform at all.
    if (aead && !integ.empty()) {
        set_error(error, "an AEAD cipher takes no integrity algorithm");
        return std::nullopt;
    }
    if (!aead && integ.empty()) {
        set_error(error, "a non-AEAD cipher needs an integrity algorithm");
        return std::nullopt;
    }
    if (protocol == Protocol_id::IKE) {
        // RFC 8247 §2.1 / IANA: ENCR_NULL is not allowed for IKE (the SK payload must encrypt).
        for (const auto& e : encr)
            if (e.id == u16(Encr_id::ENCR_NULL)) {
                set_error(error, "'null' encryption is for ESP only, not IKE");
                return std::nullopt;
            }
        if (!esn.empty()) {
            set_error(error, "esn/noesn apply to ESP and AH only");
            return std::nullopt;
        }
        if (prf.empty())
            for (const auto& i : integ)
                if (auto p = prf_for_integ(i.id)) {
                    Transform t = make_transform(T::PRF, *p, 0);
                    if (std::find(prf.begin(), prf.end(), t) == prf.end()) prf.push_back(t);
                }
        if (prf.empty()) {
            set_error(error, "an IKE proposal needs a PRF (prfsha256, ...)");
            return std::nullopt;
        }
        // [7296-2.18-s2] every IKE proposal names a real D-H group (there is no KE "none" keyword), so an IKE SA rekey never proposes NONE.
        if (by_type[4].empty()) {
            set_error(error, "an IKE proposal needs a key exchange method (modp2048, x25519, ...)");
            return std::nullopt;
        }
    } else {
        if (!prf.empty()) {
            set_error(error, "a PRF applies to IKE proposals only");
            return std::nullopt;
        }
        if (esn.empty()) esn.push_back(make_transform(T::ESN, u16(Esn_id::No_ESN), 0));
    }
    Proposal p;
    p.number = 1;
    p.protocol = protocol;
    for (std::size_t type = 1; type <= 5; ++type)
        p.transforms.insert(p.transforms.end(), by_type[type].begin(), by_type[type].end());
    return p;
}

std::string proposal_keyword(const Proposal& p) {
    std::vector<std::string> words;
    auto word_for = [](const Transform& t) -> std::string {
        for (const auto& k : keywords)
            if (k.canonical && k.type == t.type && k.id == t.id &&
                (k.key_length == 0 ? !t.key_length : t.key_length == k.key_length))
                return k.word;
        std::string s = std::to_string(static_cast<unsigned>(t.type)) + ":" + std::to_string(t.id);
        if (t.key_length) s += "/" + std::to_string(*t.key_length);
        return s;
    };
    const bool only_no_esn =
        std::count_if(p.transforms.begin(), p.transforms.end(),
                      [](const Transform& t) { return t.type == T::ESN; }) == 1 &&
        std::any_of(p.transforms.begin(), p.transforms.end(), [](const Transform& t) {
            return t.type == T::ESN && t.id == u16(Esn_id::No_ESN);
        });
    // Print order: encryption, integrity, prf, key exchange, esn (strongSwan's habit).
    for (T type : {T::ENCR, T::INTEG, T::PRF, T::KE, T::ESN}) {
        if (type == T::ESN && only_no_esn) continue;
        for (const auto& t : p.transforms) {
            // INTEG / KE NONE (id 0, chosen when the peer offers it, RFC 7296 §2.7) is what an
            // omitted type means (§3.3.3): no word, as strongSwan prints it.
            if (t.type != type || ((type == T::INTEG || type == T::KE) && t.id == 0)) continue;
            words.push_back(word_for(t));
        }
    }
    std::string s;
    for (const auto& w : words) s += (s.empty() ? "" : "-") + w;
    return s;
}

}  // namespace ike::codec
