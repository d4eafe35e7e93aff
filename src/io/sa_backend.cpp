// Recording_backend and Wireshark key-table rows. Field orders and algorithm labels follow
// Wireshark's UATs: packet-isakmp.c (ikev2_decryption_table) and packet-ipsec.c (esp_sa).
#include "src/io/sa_backend.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace ike::io {

namespace {

const Transform* find(const Proposal& p, Transform_type type) {
    for (const auto& t : p.transforms)
        if (t.type == type) return &t;
    return nullptr;
}

std::string with_bits(const char* pattern, unsigned bits) {
    char buf[96];
    std::snprintf(buf, sizeof buf, pattern, bits);
    return buf;
}

std::string with_bits_icv(const char* pattern, unsigned bits, unsigned icv) {
    char buf[96];
    std::snprintf(buf, sizeof buf, pattern, bits, icv);
    return buf;
}

unsigned aead_icv_octets(Encr_id id) {
    switch (id) {
        case Encr_id::ENCR_AES_GCM_8:
        case Encr_id::ENCR_AES_CCM_8: return 8;
        case Encr_id::ENCR_AES_GCM_12:
        case Encr_id::ENCR_AES_CCM_12: return 12;
        default: return 16;
    }
}

bool is_aead(Encr_id id) {
    switch (id) {
        case Encr_id::ENCR_AES_GCM_8:
        case Encr_id::ENCR_AES_GCM_12:
        case Encr_id::ENCR_AES_GCM_16:
        case Encr_id::ENCR_AES_CCM_8:
        case Encr_id::ENCR_AES_CCM_12:
        case Encr_id::ENCR_AES_CCM_16:
        case Encr_id::ENCR_CHACHA20_POLY1305: return true;
        default: return false;
    }
}

std::string hex8(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", v);
    return buf;
}

std::string hex16(Spi v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

std::string quoted(const std::optional<std::string>& s) { return "\"" + s.value_or("unknown") + "\""; }

std::string ip_only(const Address& a) {
    std::string s = a.to_string();
    s.erase(s.rfind(':'));
    if (!s.empty() && s.front() == '[') s = s.substr(1, s.size() - 2);
    return s;
}

std::string esp_row(const Child_sa& sa, const Address& src, const Address& dst, std::uint32_t spi,
                    const Secret& encr, const Secret& integ) {
    std::string key_e = encr.empty() ? "" : "0x" + encr.hex();
    std::string key_a = integ.empty() ? "" : "0x" + integ.hex();
    return std::string("\"") + (src.ip.size() == 16 ? "IPv6" : "IPv4") + "\",\"" + ip_only(src) +
           "\",\"" + ip_only(dst) + "\",\"0x" + hex8(spi) + "\"," +
           quoted(wireshark_esp_encryption(sa.proposal)) + ",\"" + key_e + "\"," +
           quoted(wireshark_esp_authentication(sa.proposal)) + ",\"" + key_a + "\"";
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + path);
    out << text;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace

Child_sa clone(const Child_sa& sa) {
    Child_sa c;
    c.connection = sa.connection;
    c.child = sa.child;
    c.SPIi = sa.SPIi;
    c.SPIr = sa.SPIr;
    c.spi_in = sa.spi_in;
    c.spi_out = sa.spi_out;
    c.proposal = sa.proposal;
    c.encr_key_in = sa.encr_key_in.clone();
    c.integ_key_in = sa.integ_key_in.clone();
    c.encr_key_out = sa.encr_key_out.clone();
    c.integ_key_out = sa.integ_key_out.clone();
    c.local_ts = sa.local_ts;
    c.remote_ts = sa.remote_ts;
    c.mode = sa.mode;
    c.udp_encapsulation = sa.udp_encapsulation;
    c.local = sa.local;
    c.remote = sa.remote;
    return c;
}

Keys_derived clone(const Keys_derived& k) {
    Keys_derived c;
    c.SPIi = k.SPIi;
    c.SPIr = k.SPIr;
    c.proposal = k.proposal;
    c.SK_d = k.SK_d.clone();
    c.SK_ei = k.SK_ei.clone();
    c.SK_er = k.SK_er.clone();
    c.SK_ai = k.SK_ai.clone();
    c.SK_ar = k.SK_ar.clone();
    c.SK_pi = k.SK_pi.clone();
    c.SK_pr = k.SK_pr.clone();
    return c;
}

// Labels of Wireshark's vs_ikev2_encr_algs (packet-isakmp.c).
std::optional<std::string> wireshark_ikev2_encryption(const Proposal& p) {
    const Transform* t = find(p, Transform_type::ENCR);
    if (t == nullptr) return std::nullopt;
    const unsigned bits = t->key_length.value_or(0);
    const auto id = static_cast<Encr_id>(t->id);
    const bool aes_bits = bits == 128 || bits == 192 || bits == 256;
    switch (id) {
        case Encr_id::ENCR_3DES: return std::string("3DES [RFC2451]");
        case Encr_id::ENCR_NULL: return std::string("NULL [RFC2410]");
        case Encr_id::ENCR_AES_CBC:
            if (aes_bits) return with_bits("AES-CBC-%u [RFC3602]", bits);
            break;
        case Encr_id::ENCR_AES_CTR:
            if (aes_bits) return with_bits("AES-CTR-%u [RFC5930]", bits);
            break;
        case Encr_id::ENCR_AES_GCM_8:
        case Encr_id::ENCR_AES_GCM_12:
        case Encr_id::ENCR_AES_GCM_16:
            if (aes_bits)
                return with_bits_icv("AES-GCM-%u with %u octet ICV [RFC5282]", bits,
                                     aead_icv_octets(id));
            break;
        case Encr_id::ENCR_AES_CCM_8:
        case Encr_id::ENCR_AES_CCM_12:
        case Encr_id::ENCR_AES_CCM_16:
            if (aes_bits)
                return with_bits_icv("AES-CCM-%u with %u octet ICV [RFC5282]", bits,
                                     aead_icv_octets(id));
            break;
        default: break;
    }
    return std::nullopt;
}

// Labels of Wireshark's vs_ikev2_auth_algs; AEAD ciphers carry no integrity (RFC 5282 §8).
std::optional<std::string> wireshark_ikev2_integrity(const Proposal& p) {
    const Transform* e = find(p, Transform_type::ENCR);
    const Transform* t = find(p, Transform_type::INTEG);
    if ((e != nullptr && is_aead(static_cast<Encr_id>(e->id))) || t == nullptr || t->id == 0)
        return std::string("NONE [RFC4306]");
    switch (static_cast<Integ_id>(t->id)) {
        case Integ_id::AUTH_HMAC_SHA1_96: return std::string("HMAC_SHA1_96 [RFC2404]");
        case Integ_id::AUTH_HMAC_SHA2_256_128: return std::string("HMAC_SHA2_256_128 [RFC4868]");
        case Integ_id::AUTH_HMAC_SHA2_384_192: return std::string("HMAC_SHA2_384_192 [RFC4868]");
        case Integ_id::AUTH_HMAC_SHA2_512_256: return std::string("HMAC_SHA2_512_256 [RFC4868]");
        case Integ_id::AUTH_AES_XCBC_96:
        case Integ_id::AUTH_AES_CMAC_96:
            return std::string("ANY 96-bits of Authentication [No Checking]");
        default: return std::nullopt;
    }
}

// Labels of Wireshark's esp_encryption_type_vals (packet-ipsec.c).
std::optional<std::string> wireshark_esp_encryption(const Proposal& p) {
    const Transform* t = find(p, Transform_type::ENCR);
    if (t == nullptr) return std::nullopt;
    switch (static_cast<Encr_id>(t->id)) {
        case Encr_id::ENCR_NULL: return std::string("NULL");
        case Encr_id::ENCR_3DES: return std::string("TripleDES-CBC [RFC2451]");
        case Encr_id::ENCR_AES_CBC: return std::string("AES-CBC [RFC3602]");
        case Encr_id::ENCR_AES_CTR: return std::string("AES-CTR [RFC3686]");
        case Encr_id::ENCR_AES_GCM_8: return std::string("AES-GCM with 8 octet ICV [RFC4106]");
        case Encr_id::ENCR_AES_GCM_12: return std::string("AES-GCM with 12 octet ICV [RFC4106]");
        case Encr_id::ENCR_AES_GCM_16: return std::string("AES-GCM with 16 octet ICV [RFC4106]");
        case Encr_id::ENCR_CHACHA20_POLY1305:
            return std::string("ChaCha20 with Poly1305 [RFC7634]");
        default: return std::nullopt;
    }
}

// Labels of Wireshark's esp_authentication_type_vals.
std::optional<std::string> wireshark_esp_authentication(const Proposal& p) {
    const Transform* e = find(p, Transform_type::ENCR);
    const Transform* t = find(p, Transform_type::INTEG);
    if ((e != nullptr && is_aead(static_cast<Encr_id>(e->id))) || t == nullptr || t->id == 0)
        return std::string("NULL");
    switch (static_cast<Integ_id>(t->id)) {
        case Integ_id::AUTH_HMAC_SHA1_96: return std::string("HMAC-SHA-1-96 [RFC2404]");
        case Integ_id::AUTH_HMAC_SHA2_256_128: return std::string("HMAC-SHA-256-128 [RFC4868]");
        case Integ_id::AUTH_HMAC_SHA2_384_192: return std::string("HMAC-SHA-384-192 [RFC4868]");
        case Integ_id::AUTH_HMAC_SHA2_512_256: return std::string("HMAC-SHA-512-256 [RFC4868]");
        case Integ_id::AUTH_AES_XCBC_96:
        case Integ_id::AUTH_AES_CMAC_96:
            return std::string("ANY 96 bit authentication [no checking]");
        default: return std::nullopt;
    }
}

std::string ikev2_decryption_table_row(const Keys_derived& k) {
    const auto integ = wireshark_ikev2_integrity(k.proposal);
    // Wireshark's "ANY n-bits [No Checking]" entries take no key (their key length is 0).
    const bool no_key = integ && integ->rfind("ANY ", 0) == 0;
    return hex16(k.SPIi) + "," + hex16(k.SPIr) + "," + k.SK_ei.hex() + "," + k.SK_er.hex() + "," +
           quoted(wireshark_ikev2_encryption(k.proposal)) + "," +
           (no_key ? std::string() : k.SK_ai.hex()) + "," +
           (no_key ? std::string() : k.SK_ar.hex()) + "," + quoted(integ);
}

std::vector<std::string> esp_sa_rows(const Child_sa& sa) {
    return {esp_row(sa, sa.remote, sa.local, sa.spi_in, sa.encr_key_in, sa.integ_key_in),
            esp_row(sa, sa.local, sa.remote, sa.spi_out, sa.encr_key_out, sa.integ_key_out)};
}

void Recording_backend::install(const Child_sa& sa) {
    installed_.push_back(clone(sa));
    history_.push_back(clone(sa));
}

void Recording_backend::remove(const std::string& connection, std::uint32_t spi_in,
                               std::uint32_t spi_out) {
    // A 0 SPI: that direction stays (RFC 7296 §1.4.1 half-closed pair); the pair goes once both did.
    if (spi_in == 0 && spi_out == 0) return;
    for (auto& c : installed_) {
        if (c.connection != connection) continue;
        if ((spi_in == 0 || c.spi_in == spi_in) && (spi_out == 0 || c.spi_out == spi_out)) {
            if (spi_in != 0) c.spi_in = 0;
            if (spi_out != 0) c.spi_out = 0;
        }
    }
    installed_.erase(std::remove_if(installed_.begin(), installed_.end(),
                                    [&](const Child_sa& c) {
                                        return c.connection == connection && c.spi_in == 0 && c.spi_out == 0;
                                    }),
                     installed_.end());
}

void Recording_backend::ike_keys(const Keys_derived& keys) {
    ike_keys_[{keys.SPIi, keys.SPIr}] = clone(keys);
}

const Child_sa* Recording_backend::find_child(std::uint32_t spi_in) const {
    for (const auto& c : installed_)
        if (c.spi_in == spi_in) return &c;
    return nullptr;
}

const Keys_derived* Recording_backend::find_ike_keys(Spi SPIi, Spi SPIr) const {
    auto it = ike_keys_.find({SPIi, SPIr});
    return it == ike_keys_.end() ? nullptr : &it->second;
}

std::string Recording_backend::ikev2_decryption_table() const {
    std::string out = "# ikev2_decryption_table (Wireshark UAT), written by ikeref\n";
    for (const auto& [spis, keys] : ike_keys_) out += ikev2_decryption_table_row(keys) + "\n";
    return out;
}

std::string Recording_backend::esp_sa_table() const {
    std::string out = "# esp_sa (Wireshark UAT), written by ikeref\n";
    for (const auto& sa : history_)
        for (const auto& row : esp_sa_rows(sa)) out += row + "\n";
    return out;
}

void Recording_backend::write_ikev2_decryption_table(const std::string& path) const {
    write_file(path, ikev2_decryption_table());
}

void Recording_backend::write_esp_sa(const std::string& path) const {
    write_file(path, esp_sa_table());
}

}  // namespace ike::io
