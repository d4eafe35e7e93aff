// The Botan 2.19 implementation of ike::Crypto_provider: PRFs (RFC 2104/4868/4434/4615),
// integrity (RFC 2404/4868/3566/4494), SK ciphers (RFC 3602, 3686, 5282, 7634) and key
// exchange (RFC 3526, 5903, 8031) with peer value checks (RFC 6989, RFC 8031 §2.3).
#include "src/crypto/botan_provider.hpp"

#include <botan/aead.h>
#include <botan/bigint.h>
#include <botan/block_cipher.h>
#include <botan/chacha_rng.h>
#include <botan/cipher_mode.h>
#include <botan/curve25519.h>
#include <botan/dh.h>
#include <botan/dl_group.h>
#include <botan/ec_group.h>
#include <botan/ecdh.h>
#include <botan/hash.h>
#include <botan/mac.h>
#include <botan/mem_ops.h>
#include <botan/pubkey.h>
#include <botan/stream_cipher.h>
#include <botan/system_rng.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <stdexcept>
#include <string>

namespace ike {
namespace {

using Botan::secure_vector;

Secret to_secret(const secure_vector<std::uint8_t>& v) { return Secret(v.data(), v.size()); }

std::uint16_t raw(Encr_id id) { return static_cast<std::uint16_t>(id); }
std::uint16_t raw(Prf_id id) { return static_cast<std::uint16_t>(id); }
std::uint16_t raw(Integ_id id) { return static_cast<std::uint16_t>(id); }
std::uint16_t raw(Ke_id id) { return static_cast<std::uint16_t>(id); }

// ---------------------------------------------------------------------------------------
// AES-XCBC-MAC-96 / AES-XCBC-PRF-128 (RFC 3566 §4, RFC 4434 §2): Botan has none.

constexpr std::size_t aes_block = 16;

// RFC 3566 §4: 128-bit key K; K1 = E(K, 0x01..), K2 = E(K, 0x02..), K3 = E(K, 0x03..).
secure_vector<std::uint8_t> aes_xcbc_mac(const std::uint8_t* key, const std::uint8_t* msg,
                                         std::size_t n) {
    auto aes = Botan::BlockCipher::create_or_throw("AES-128");
    aes->set_key(key, aes_block);
    secure_vector<std::uint8_t> k1(aes_block, 0x01), k2(aes_block, 0x02), k3(aes_block, 0x03);
    aes->encrypt(k1.data());
    aes->encrypt(k2.data());
    aes->encrypt(k3.data());
    aes->set_key(k1.data(), k1.size());

    secure_vector<std::uint8_t> e(aes_block, 0);
    std::size_t off = 0;
    // All blocks but the last are chained with K1.
    while (n - off > aes_block) {
        for (std::size_t i = 0; i < aes_block; ++i) e[i] ^= msg[off + i];
        aes->encrypt(e.data());
        off += aes_block;
    }
    const std::size_t last = n - off;  // 0..16; 0 only for the empty message
    if (last == aes_block) {
        for (std::size_t i = 0; i < aes_block; ++i)
            e[i] = static_cast<std::uint8_t>(e[i] ^ msg[off + i] ^ k2[i]);
    } else {
        // Pad with 10*, then XOR with K3.
        secure_vector<std::uint8_t> m(aes_block, 0);
        for (std::size_t i = 0; i < last; ++i) m[i] = msg[off + i];
        m[last] = 0x80;
        for (std::size_t i = 0; i < aes_block; ++i)
            e[i] = static_cast<std::uint8_t>(e[i] ^ m[i] ^ k3[i]);
    }
    aes->encrypt(e.data());
    return e;
}

secure_vector<std::uint8_t> aes_cmac(const std::uint8_t* key, const std::uint8_t* msg,
                                     std::size_t n) {
    auto mac = Botan::MessageAuthenticationCode::create_or_throw("CMAC(AES-128)");
    mac->set_key(key, aes_block);
    mac->update(msg, n);
    return mac->final();
}

using Aes_mac_fn = secure_vector<std::uint8_t> (*)(const std::uint8_t*, const std::uint8_t*,
                                                   std::size_t);

// RFC 4434 §2 (AES-XCBC-PRF-128): a 16-octet key is used as is, a shorter one is padded with
// zeros, a longer one is replaced by AES-XCBC-MAC(0^128, key).
// RFC 4615 §3 (AES-CMAC-PRF-128): any key that is not 16 octets, shorter or longer, is
// replaced by AES-CMAC(0^128, key).
secure_vector<std::uint8_t> aes_prf_key(Aes_mac_fn mac, Octets key) {
    if (key.size == aes_block) return secure_vector<std::uint8_t>(key.begin(), key.end());
    if (key.size < aes_block && mac == &aes_xcbc_mac) {
        secure_vector<std::uint8_t> k(aes_block, 0);
        for (std::size_t i = 0; i < key.size; ++i) k[i] = key[i];
        return k;
    }
    const std::array<std::uint8_t, aes_block> zero{};
    return mac(zero.data(), key.data, key.size);
}

// ---------------------------------------------------------------------------------------
// PRFs (Transform Type 2).

// A Prf, Integrity or Cipher object serves one IKE SA inside one Endpoint (one thread). They
// keep their Botan object and its key schedule between calls: prf+ (RFC 7296 §2.14) calls the
// PRF many times with one key, and every SK payload of a direction uses the same SK_e / SK_a.
// Creating the Botan object (name parsing, allocation) and the key schedule per call cost about
// a tenth of an IKE SA with PSK + X25519.

/// The key last given to a Botan algorithm; set() skips the key schedule when it is unchanged.
class Key_cache {
public:
    void set(Botan::SymmetricAlgorithm& alg, const std::uint8_t* key, std::size_t n) {
        if (valid_ && last_.size() == n && Botan::constant_time_compare(last_.data(), key, n)) return;
        valid_ = false;
        alg.set_key(key, n);  // may throw (invalid length): the cache stays invalid
        last_.assign(key, key + n);
        valid_ = true;
    }
    void invalidate() { valid_ = false; }

private:
    secure_vector<std::uint8_t> last_;
    bool valid_ = false;
};

class Hmac_prf final : public Prf {
public:
    Hmac_prf(const std::string& hash, std::size_t size)
        : mac_(Botan::MessageAuthenticationCode::create_or_throw("HMAC(" + hash + ")")), size_(size) {}
    std::size_t output_size() const override { return size_; }
    std::size_t key_size() const override { return size_; }  // RFC 4868 §2.1.2, RFC 2104
    Secret compute(Octets key, Octets data) const override {
        key_.set(*mac_, key.data, key.size);
        mac_->update(data.data, data.size);
        std::array<std::uint8_t, 64> out{};  // SHA-512 at most; no allocation per call
        mac_->final(out.data());              // HMAC keeps its key for the next message
        Secret s(out.data(), size_);
        Botan::secure_scrub_memory(out.data(), out.size());
        return s;
    }

private:
    std::unique_ptr<Botan::MessageAuthenticationCode> mac_;
    mutable Key_cache key_;
    std::size_t size_;
};

class Aes_prf final : public crypto::Fixed_key_prf {
public:
    explicit Aes_prf(Aes_mac_fn mac) : mac_(mac) {}
    std::size_t output_size() const override { return aes_block; }
    std::size_t key_size() const override { return aes_block; }
    Secret compute(Octets key, Octets data) const override {
        const auto k = aes_prf_key(mac_, key);
        return to_secret(mac_(k.data(), data.data, data.size));
    }

private:
    Aes_mac_fn mac_;
};

// ---------------------------------------------------------------------------------------
// Integrity (Transform Type 3): a MAC truncated to icv_size.

class Mac_integrity final : public Integrity {
public:
    Mac_integrity(const std::string& hmac_hash, std::size_t key_size, std::size_t icv_size)
        : mac_(Botan::MessageAuthenticationCode::create_or_throw("HMAC(" + hmac_hash + ")")),
          key_size_(key_size),
          icv_size_(icv_size) {}
    Mac_integrity(Aes_mac_fn mac, std::size_t icv_size)
        : aes_mac_(mac), key_size_(aes_block), icv_size_(icv_size) {}
    std::size_t key_size() const override { return key_size_; }
    std::size_t icv_size() const override { return icv_size_; }
    Bytes compute(Octets key, Octets data) const override {
        if (key.size != key_size_)
            throw std::invalid_argument("Integrity: key must be " + std::to_string(key_size_) +
                                        " octets");
        if (aes_mac_ != nullptr) {
            const auto full = aes_mac_(key.data, data.data, data.size);
            return Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(icv_size_));
        }
        key_.set(*mac_, key.data, key.size);
        mac_->update(data.data, data.size);
        std::array<std::uint8_t, 64> full{};  // SHA-512 at most
        mac_->final(full.data());
        return Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(icv_size_));
    }
    bool verify(Octets key, Octets data, Octets icv) const override {
        if (icv.size != icv_size_) return false;
        const Bytes mine = compute(key, data);
        return Botan::constant_time_compare(mine.data(), icv.data, icv_size_);
    }

private:
    std::unique_ptr<Botan::MessageAuthenticationCode> mac_;  // HMAC; null for the AES MACs
    mutable Key_cache key_;
    Aes_mac_fn aes_mac_ = nullptr;
    std::size_t key_size_;
    std::size_t icv_size_;
};

// ---------------------------------------------------------------------------------------
// Ciphers (Transform Type 1).

void check_key(Octets key, std::size_t want) {
    if (key.size != want)
        throw std::invalid_argument("Cipher: SK_e must be " + std::to_string(want) + " octets");
}

/// CBC without padding (the SK payload pads itself, §3.14): AES-CBC (RFC 3602: IV and block
/// 16 octets) and 3DES-CBC (RFC 2451: IV and block 8 octets, 24-octet key; legacy).
class Cbc_cipher final : public Cipher {
public:
    Cbc_cipher(std::string botan_name, std::size_t key_octets, std::size_t block)
        : name_(std::move(botan_name)), key_octets_(key_octets), block_(block) {}
    bool is_aead() const override { return false; }
    std::size_t key_size() const override { return key_octets_; }
    std::size_t iv_size() const override { return block_; }
    std::size_t block_size() const override { return block_; }
    std::size_t icv_size() const override { return 0; }
    Bytes encrypt(Octets key, Octets iv, Octets, Octets plaintext) const override {
        check_key(key, key_octets_);
        if (iv.size != block_ || plaintext.size % block_ != 0)
            throw std::invalid_argument(name_ + ": IV " + std::to_string(block_) +
                                        " octets, plaintext a multiple of " + std::to_string(block_));
        return run(Botan::ENCRYPTION, key, iv, plaintext);
    }
    std::optional<Bytes> decrypt(Octets key, Octets iv, Octets,
                                 Octets ciphertext) const override {
        check_key(key, key_octets_);
        if (iv.size != block_ || ciphertext.size % block_ != 0) return std::nullopt;
        try {
            return run(Botan::DECRYPTION, key, iv, ciphertext);
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }

private:
    Bytes run(Botan::Cipher_Dir dir, Octets key, Octets iv, Octets in) const {
        if (in.empty()) return {};
        auto mode = Botan::Cipher_Mode::create_or_throw(name_, dir);
        mode->set_key(key.data, key.size);
        mode->start(iv.data, iv.size);
        secure_vector<std::uint8_t> buf(in.begin(), in.end());
        mode->finish(buf);
        return Bytes(buf.begin(), buf.end());
    }
    std::string name_;
    std::size_t key_octets_;
    std::size_t block_;
};

/// ENCR_NULL (RFC 2410): ESP only (RFC 7296 §3.3.2 and RFC 8247 §2.1 do not allow it for IKE;
/// parse_proposal refuses it there). No key, no IV; the SA backend applies it to ESP.
class Null_cipher final : public Cipher {
public:
    bool is_aead() const override { return false; }
    std::size_t key_size() const override { return 0; }
    std::size_t iv_size() const override { return 0; }
    std::size_t block_size() const override { return 1; }
    std::size_t icv_size() const override { return 0; }
    Bytes encrypt(Octets, Octets, Octets, Octets plaintext) const override { return plaintext.to_bytes(); }
    std::optional<Bytes> decrypt(Octets, Octets, Octets, Octets ciphertext) const override {
        return ciphertext.to_bytes();
    }
};

/// AES-CTR (RFC 3686 §2, §5.1): SK_e = key | 4-octet nonce; IV 8; counter block
/// nonce | IV | 32-bit block counter starting at 1.
class Aes_ctr final : public Cipher {
public:
    explicit Aes_ctr(std::size_t aes_octets) : aes_octets_(aes_octets) {}
    bool is_aead() const override { return false; }
    std::size_t key_size() const override { return aes_octets_ + 4; }
    std::size_t iv_size() const override { return 8; }
    std::size_t block_size() const override { return 1; }
    std::size_t icv_size() const override { return 0; }
    Bytes encrypt(Octets key, Octets iv, Octets, Octets plaintext) const override {
        check_key(key, key_size());
        if (iv.size != 8) throw std::invalid_argument("AES-CTR: IV must be 8 octets");
        return run(key, iv, plaintext);
    }
    std::optional<Bytes> decrypt(Octets key, Octets iv, Octets,
                                 Octets ciphertext) const override {
        check_key(key, key_size());
        if (iv.size != 8) return std::nullopt;
        try {
            return run(key, iv, ciphertext);
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }

private:
    Bytes run(Octets key, Octets iv, Octets in) const {
        auto ctr = Botan::StreamCipher::create_or_throw(
            "CTR-BE(AES-" + std::to_string(aes_octets_ * 8) + ",4)");
        ctr->set_key(key.data, aes_octets_);
        std::array<std::uint8_t, 16> block{};
        for (std::size_t i = 0; i < 4; ++i) block[i] = key[aes_octets_ + i];
        for (std::size_t i = 0; i < 8; ++i) block[4 + i] = iv[i];
        block[15] = 1;
        ctr->set_iv(block.data(), block.size());
        Bytes out(in.begin(), in.end());
        ctr->cipher1(out.data(), out.size());
        return out;
    }
    std::size_t aes_octets_;
};

/// AEAD for IKE (RFC 5282 §4–§5, RFC 7634 §2–§3): SK_e = key | salt, nonce = salt | IV,
/// output ciphertext | ICV. block_size 1: the SK payload still adds its Pad Length octet.
class Aead final : public Cipher {
public:
    Aead(std::string botan_name, std::size_t key_octets, std::size_t salt_octets,
         std::size_t icv_octets)
        : name_(std::move(botan_name)),
          key_octets_(key_octets),
          salt_octets_(salt_octets),
          icv_octets_(icv_octets) {}
    bool is_aead() const override { return true; }
    std::size_t key_size() const override { return key_octets_ + salt_octets_; }
    std::size_t iv_size() const override { return 8; }
    std::size_t block_size() const override { return 1; }
    std::size_t icv_size() const override { return icv_octets_; }
    Bytes encrypt(Octets key, Octets iv, Octets aad, Octets plaintext) const override {
        check_key(key, key_size());
        if (iv.size != 8) throw std::invalid_argument("AEAD: IV must be 8 octets");
        secure_vector<std::uint8_t> buf(plaintext.begin(), plaintext.end());
        auto mode = start(Botan::ENCRYPTION, key, iv, aad);
        mode->finish(buf);
        return Bytes(buf.begin(), buf.end());
    }
    std::optional<Bytes> decrypt(Octets key, Octets iv, Octets aad,
                                 Octets ciphertext) const override {
        check_key(key, key_size());
        if (iv.size != 8 || ciphertext.size < icv_octets_) return std::nullopt;
        try {
            secure_vector<std::uint8_t> buf(ciphertext.begin(), ciphertext.end());
            auto mode = start(Botan::DECRYPTION, key, iv, aad);
            mode->finish(buf);  // throws Invalid_Authentication_Tag
            return Bytes(buf.begin(), buf.end());
        } catch (const std::exception&) {
            decrypt_ = Slot{};  // the next message starts from a fresh mode object
            return std::nullopt;
        }
    }

private:
    /// The mode of `dir`, kept between calls (see Key_cache), keyed and started for this message.
    Botan::AEAD_Mode* start(Botan::Cipher_Dir dir, Octets key, Octets iv, Octets aad) const {
        auto& slot = dir == Botan::ENCRYPTION ? encrypt_ : decrypt_;
        if (!slot.mode) slot.mode = Botan::AEAD_Mode::create_or_throw(name_, dir);
        slot.key.set(*slot.mode, key.data, key_octets_);
        slot.mode->set_associated_data(aad.data, aad.size);
        std::array<std::uint8_t, 16> nonce{};  // salt (3 or 4) | IV (8)
        const std::size_t salt = key.size - key_octets_;
        std::copy(key.data + key_octets_, key.data + key.size, nonce.begin());
        std::copy(iv.begin(), iv.end(), nonce.begin() + static_cast<std::ptrdiff_t>(salt));
        slot.mode->start(nonce.data(), salt + iv.size);
        return slot.mode.get();
    }
    struct Slot {
        std::unique_ptr<Botan::AEAD_Mode> mode;
        Key_cache key;
    };
    mutable Slot encrypt_, decrypt_;
    std::string name_;
    std::size_t key_octets_;
    std::size_t salt_octets_;
    std::size_t icv_octets_;
};

bool aes_key_length(std::optional<std::uint16_t> bits) {
    return bits && (*bits == 128 || *bits == 192 || *bits == 256);
}

std::size_t aead_icv(Encr_id id) {
    switch (id) {
        case Encr_id::ENCR_AES_CCM_8:
        case Encr_id::ENCR_AES_GCM_8: return 8;
        case Encr_id::ENCR_AES_CCM_12:
        case Encr_id::ENCR_AES_GCM_12: return 12;
        default: return 16;
    }
}

// ---------------------------------------------------------------------------------------
// Key exchange (Transform Type 4).

// RFC 2409 §6.1 "First Oakley Default Group" (768 bits, generator 2): the prime
// 2^768 - 2^704 - 1 + 2^64 * { [2^638 pi] + 149686 }, as the RFC prints it in hex. Botan 2.19
// names the RFC 2409 / RFC 3526 groups 2 and 5 ("modp/ietf/1024", "modp/ietf/1536") but not this one.
const char* const oakley_group_1_p =
    "0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
    "E485B576625E7EC6F44C42E9A63A3620FFFFFFFFFFFFFFFF";

Botan::DL_Group oakley_group_1() {
    const Botan::BigInt p(oakley_group_1_p);
    return Botan::DL_Group(p, (p - 1) >> 1, Botan::BigInt(2));  // a safe prime: q = (p-1)/2
}

const Botan::DL_Group& modp_group(Ke_id id) {
    // Named groups are immutable once built; C++11 statics make the first use thread-safe.
    switch (id) {
        case Ke_id::MODP_768: { static const Botan::DL_Group g = oakley_group_1(); return g; }
        case Ke_id::MODP_1024: { static const Botan::DL_Group g("modp/ietf/1024"); return g; }
        case Ke_id::MODP_1536: { static const Botan::DL_Group g("modp/ietf/1536"); return g; }
        case Ke_id::MODP_2048: { static const Botan::DL_Group g("modp/ietf/2048"); return g; }
        case Ke_id::MODP_3072: { static const Botan::DL_Group g("modp/ietf/3072"); return g; }
        case Ke_id::MODP_4096: { static const Botan::DL_Group g("modp/ietf/4096"); return g; }
        case Ke_id::MODP_6144: { static const Botan::DL_Group g("modp/ietf/6144"); return g; }
        case Ke_id::MODP_8192: { static const Botan::DL_Group g("modp/ietf/8192"); return g; }
        default: throw std::invalid_argument("not a supported MODP group: " + std::to_string(raw(id)));
    }
}

const char* ec_group_name(Ke_id id) {
    switch (id) {
        case Ke_id::ECP_256: return "secp256r1";
        case Ke_id::ECP_384: return "secp384r1";
        case Ke_id::ECP_521: return "secp521r1";
        case Ke_id::ECP_192: return "secp192r1";  // RFC 5114 §2.6 (legacy)
        case Ke_id::ECP_224: return "secp224r1";  // RFC 5114 §2.7 (legacy)
        case Ke_id::BRAINPOOL_P224: return "brainpool224r1";  // RFC 6954 §2
        case Ke_id::BRAINPOOL_P256: return "brainpool256r1";
        case Ke_id::BRAINPOOL_P384: return "brainpool384r1";
        case Ke_id::BRAINPOOL_P512: return "brainpool512r1";
        default: return nullptr;
    }
}

bool is_modp(Ke_id id) {
    return id == Ke_id::MODP_768 || id == Ke_id::MODP_1024 || id == Ke_id::MODP_1536 || id == Ke_id::MODP_2048 || id == Ke_id::MODP_3072 || id == Ke_id::MODP_4096 ||
           id == Ke_id::MODP_6144 || id == Ke_id::MODP_8192;
}

bool all_zero(const std::uint8_t* p, std::size_t n) {
    std::uint8_t acc = 0;
    for (std::size_t i = 0; i < n; ++i) acc = static_cast<std::uint8_t>(acc | p[i]);
    return acc == 0;
}

/// Finite-field D-H over the RFC 2409 / RFC 3526 groups (all safe primes, so RFC 6989 §2.1's
/// 1 < y < p-1 is the whole check). g^ir is padded to the modulus length (§2.14).
class Modp_exchange final : public Key_exchange {
public:
    Modp_exchange(Ke_id id, Botan::RandomNumberGenerator& rng, const Botan::BigInt& x)
        : id_(id), key_(rng, modp_group(id), x) {}
    Ke_id group() const override { return id_; }
    Bytes public_value() const override {
        // [7296-3.4-s1] the MODP public value is left-padded with zeros to the modulus length (public_value_size checks what we receive).
        const auto v = Botan::BigInt::encode_1363(key_.get_y(), p_bytes());
        return Bytes(v.begin(), v.end());
    }
    std::optional<Secret> shared_secret(Octets peer) const override {
        try {
            if (peer.size != p_bytes()) return std::nullopt;  // RFC 7296 §3.4: padded to p
            const Botan::BigInt y(peer.data, peer.size);
            const Botan::BigInt& p = modp_group(id_).get_p();
            if (y <= 1 || y >= p - 1) return std::nullopt;  // RFC 6989 §2.1
            Botan::PK_Key_Agreement ka(key_, Botan::system_rng(), "Raw");
            const auto z = ka.derive_key(0, peer.data, peer.size).bits_of();
            if (z.size() > p_bytes() || all_zero(z.data(), z.size())) return std::nullopt;
            secure_vector<std::uint8_t> padded(p_bytes() - z.size(), 0);
            padded.insert(padded.end(), z.begin(), z.end());
            return to_secret(padded);
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }

private:
    std::size_t p_bytes() const { return modp_group(id_).get_p().bytes(); }
    Ke_id id_;
    Botan::DH_PrivateKey key_;
};

/// ECDH over the NIST (RFC 5903, RFC 5114) and brainpool (RFC 6954) curves with the RFC 5903 §7 encoding: x | y, no 0x04; g^ir = x.
class Ecp_exchange final : public Key_exchange {
public:
    Ecp_exchange(Ke_id id, Botan::RandomNumberGenerator& rng, const Botan::BigInt& d)
        : id_(id), key_(rng, Botan::EC_Group(ec_group_name(id)), d) {}
    Ke_id group() const override { return id_; }
    Bytes public_value() const override {
        const auto v = key_.public_value(Botan::PointGFp::UNCOMPRESSED);
        return Bytes(v.begin() + 1, v.end());  // strip 0x04
    }
    std::optional<Secret> shared_secret(Octets peer) const override {
        try {
            const Botan::EC_Group& g = key_.domain();
            const std::size_t n = g.get_p_bytes();
            if (peer.size != 2 * n) return std::nullopt;
            const Botan::BigInt x(peer.data, n);
            const Botan::BigInt y(peer.data + n, n);
            if (x >= g.get_p() || y >= g.get_p()) return std::nullopt;
            const Botan::PointGFp point = g.point(x, y);
            if (point.is_zero() || !point.on_the_curve() || !g.verify_public_element(point))
                return std::nullopt;  // RFC 6989 §2.3
            std::vector<std::uint8_t> encoded(1 + peer.size);
            encoded[0] = 0x04;  // SEC1 uncompressed point, which the KE payload omits
            std::copy(peer.begin(), peer.end(), encoded.begin() + 1);
            Botan::PK_Key_Agreement ka(key_, Botan::system_rng(), "Raw");
            const auto z = ka.derive_key(0, encoded).bits_of();
            if (z.size() != n) return std::nullopt;
            return to_secret(z);
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }

private:
    Ke_id id_;
    Botan::ECDH_PrivateKey key_;
};

/// X25519 (RFC 7748 §5, RFC 8031 §2): 32-octet values; an all-zero result is refused. The
/// private scalar is drawn at creation; the public value (a base-point multiplication) is
/// computed on first use, so an exchange made only to check a peer's value costs one
/// multiplication, not two.
class X25519_exchange final : public Key_exchange {
public:
    explicit X25519_exchange(const secure_vector<std::uint8_t>& scalar) : private_(scalar) {}
    Ke_id group() const override { return Ke_id::Curve25519; }
    Bytes public_value() const override {
        if (!have_public_) {
            Botan::curve25519_basepoint(public_.data(), private_.data());
            have_public_ = true;
        }
        return Bytes(public_.begin(), public_.end());
    }
    std::optional<Secret> shared_secret(Octets peer) const override {
        if (peer.size != 32) return std::nullopt;
        secure_vector<std::uint8_t> z(32);
        Botan::curve25519_donna(z.data(), private_.data(), peer.data);
        if (all_zero(z.data(), z.size())) return std::nullopt;  // RFC 8031 §2.3
        return to_secret(z);
    }

private:
    secure_vector<std::uint8_t> private_;
    mutable std::array<std::uint8_t, 32> public_{};
    mutable bool have_public_ = false;
};

std::unique_ptr<Key_exchange> make_exchange(Ke_id id, Botan::RandomNumberGenerator& rng,
                                            Octets private_value, bool given) {
    if (is_modp(id)) {
        const Botan::BigInt x = given ? Botan::BigInt(private_value.data, private_value.size)
                                      : Botan::BigInt(0);
        if (given && x < 2) throw std::invalid_argument("MODP private value must be >= 2");
        return std::make_unique<Modp_exchange>(id, rng, x);
    }
    if (ec_group_name(id) != nullptr) {
        const Botan::BigInt d = given ? Botan::BigInt(private_value.data, private_value.size)
                                      : Botan::BigInt(0);
        if (given && d.is_zero()) throw std::invalid_argument("ECP private value is zero");
        return std::make_unique<Ecp_exchange>(id, rng, d);
    }
    if (id == Ke_id::Curve25519) {
        secure_vector<std::uint8_t> scalar(32);
        if (given) {
            if (private_value.size != 32)
                throw std::invalid_argument("Curve25519 private value must be 32 octets");
            scalar.assign(private_value.begin(), private_value.end());
        } else {
            rng.randomize(scalar.data(), scalar.size());
        }
        return std::make_unique<X25519_exchange>(scalar);
    }
    throw std::invalid_argument("unsupported key exchange method " + std::to_string(raw(id)));
}

// ---------------------------------------------------------------------------------------
// The provider.

class Botan_provider final : public Crypto_provider {
public:
    explicit Botan_provider(std::unique_ptr<Botan::RandomNumberGenerator> rng)
        : rng_(std::move(rng)) {}

    bool supports(Transform_type type, std::uint16_t id,
                  std::optional<std::uint16_t> key_length_bits) const override {
        switch (type) {
            case Transform_type::ENCR:
                switch (static_cast<Encr_id>(id)) {
                    case Encr_id::ENCR_AES_CBC:
                    case Encr_id::ENCR_AES_CTR:
                    case Encr_id::ENCR_AES_CCM_8:
                    case Encr_id::ENCR_AES_CCM_12:
                    case Encr_id::ENCR_AES_CCM_16:
                    case Encr_id::ENCR_AES_GCM_8:
                    case Encr_id::ENCR_AES_GCM_12:
                    case Encr_id::ENCR_AES_GCM_16: return aes_key_length(key_length_bits);
                    // RFC 7634 §2: fixed 256-bit key, no Key Length attribute.
                    case Encr_id::ENCR_CHACHA20_POLY1305: return !key_length_bits.has_value();
                    // RFC 2451 / RFC 2410: fixed key lengths, no Key Length attribute (§3.3.5).
                    case Encr_id::ENCR_3DES:
                    case Encr_id::ENCR_NULL: return !key_length_bits.has_value();
                    default: return false;
                }
            case Transform_type::PRF:
                if (key_length_bits) return false;  // RFC 7296 §3.3.5
                switch (static_cast<Prf_id>(id)) {
                    case Prf_id::PRF_HMAC_SHA1:
                    case Prf_id::PRF_AES128_XCBC:
                    case Prf_id::PRF_HMAC_SHA2_256:
                    case Prf_id::PRF_HMAC_SHA2_384:
                    case Prf_id::PRF_HMAC_SHA2_512:
                    case Prf_id::PRF_AES128_CMAC: return true;
                    default: return false;
                }
            case Transform_type::INTEG:
                if (key_length_bits) return false;
                switch (static_cast<Integ_id>(id)) {
                    case Integ_id::AUTH_HMAC_SHA1_96:
                    case Integ_id::AUTH_AES_XCBC_96:
                    case Integ_id::AUTH_AES_CMAC_96:
                    case Integ_id::AUTH_HMAC_SHA2_256_128:
                    case Integ_id::AUTH_HMAC_SHA2_384_192:
                    case Integ_id::AUTH_HMAC_SHA2_512_256: return true;
                    default: return false;
                }
            case Transform_type::KE: {
                if (key_length_bits) return false;
                const auto g = static_cast<Ke_id>(id);
                return is_modp(g) || ec_group_name(g) != nullptr || g == Ke_id::Curve25519;
            }
            case Transform_type::ESN:
                return !key_length_bits && id <= static_cast<std::uint16_t>(Esn_id::ESN);
        }
        return false;
    }

    std::unique_ptr<Prf> prf(Prf_id id) const override {
        switch (id) {
            case Prf_id::PRF_HMAC_SHA1: return std::make_unique<Hmac_prf>("SHA-1", 20);
            case Prf_id::PRF_HMAC_SHA2_256: return std::make_unique<Hmac_prf>("SHA-256", 32);
            case Prf_id::PRF_HMAC_SHA2_384: return std::make_unique<Hmac_prf>("SHA-384", 48);
            case Prf_id::PRF_HMAC_SHA2_512: return std::make_unique<Hmac_prf>("SHA-512", 64);
            case Prf_id::PRF_AES128_XCBC: return std::make_unique<Aes_prf>(&aes_xcbc_mac);
            case Prf_id::PRF_AES128_CMAC: return std::make_unique<Aes_prf>(&aes_cmac);
        }
        throw std::invalid_argument("unsupported PRF " + std::to_string(raw(id)));
    }

    std::unique_ptr<Integrity> integrity(Integ_id id) const override {
        switch (id) {
            case Integ_id::AUTH_HMAC_SHA1_96: return std::make_unique<Mac_integrity>("SHA-1", 20, 12);
            case Integ_id::AUTH_HMAC_SHA2_256_128:
                return std::make_unique<Mac_integrity>("SHA-256", 32, 16);
            case Integ_id::AUTH_HMAC_SHA2_384_192:
                return std::make_unique<Mac_integrity>("SHA-384", 48, 24);
            case Integ_id::AUTH_HMAC_SHA2_512_256:
                return std::make_unique<Mac_integrity>("SHA-512", 64, 32);
            case Integ_id::AUTH_AES_XCBC_96: return std::make_unique<Mac_integrity>(&aes_xcbc_mac, 12);
            case Integ_id::AUTH_AES_CMAC_96: return std::make_unique<Mac_integrity>(&aes_cmac, 12);
            case Integ_id::NONE: break;
        }
        throw std::invalid_argument("unsupported integrity algorithm " + std::to_string(raw(id)));
    }

    std::unique_ptr<Cipher> cipher(Encr_id id, std::uint16_t key_length_bits) const override {
        if (id == Encr_id::ENCR_CHACHA20_POLY1305) {
            if (key_length_bits != 0 && key_length_bits != 256)
                throw std::invalid_argument("ChaCha20-Poly1305 has a 256-bit key");
            return std::make_unique<Aead>("ChaCha20Poly1305", 32, 4, 16);  // RFC 7634 §2
        }
        if (id == Encr_id::ENCR_3DES || id == Encr_id::ENCR_NULL) {
            if (key_length_bits != 0)
                throw std::invalid_argument("3DES and NULL take no Key Length attribute");
            if (id == Encr_id::ENCR_NULL) return std::make_unique<Null_cipher>();
            return std::make_unique<Cbc_cipher>("TripleDES/CBC/NoPadding", 24, 8);  // RFC 2451 §2
        }
        if (!supports(Transform_type::ENCR, raw(id), key_length_bits))
            throw std::invalid_argument("unsupported cipher " + std::to_string(raw(id)) + "/" +
                                        std::to_string(key_length_bits));
        const std::size_t k = key_length_bits / 8u;
        const std::string aes = "AES-" + std::to_string(key_length_bits);
        const std::string icv = std::to_string(aead_icv(id));
        switch (id) {
            case Encr_id::ENCR_AES_CBC:
                return std::make_unique<Cbc_cipher>(aes + "/CBC/NoPadding", k, aes_block);
            case Encr_id::ENCR_AES_CTR: return std::make_unique<Aes_ctr>(k);
            case Encr_id::ENCR_AES_GCM_8:
            case Encr_id::ENCR_AES_GCM_12:
            case Encr_id::ENCR_AES_GCM_16:  // RFC 4106 §8.1 / RFC 5282: 4-octet salt
                return std::make_unique<Aead>(aes + "/GCM(" + icv + ")", k, 4, aead_icv(id));
            case Encr_id::ENCR_AES_CCM_8:
            case Encr_id::ENCR_AES_CCM_12:
            case Encr_id::ENCR_AES_CCM_16:  // RFC 4309 §4 / RFC 5282: 3-octet salt, L = 4
                return std::make_unique<Aead>(aes + "/CCM(" + icv + ",4)", k, 3, aead_icv(id));
            default: break;
        }
        throw std::invalid_argument("unsupported cipher " + std::to_string(raw(id)));
    }

    std::unique_ptr<Key_exchange> key_exchange(Ke_id group) override {
        return make_exchange(group, *rng_, Octets(), false);
    }

    Bytes random(std::size_t n) override {
        Bytes out(n);
        if (n != 0) rng_->randomize(out.data(), n);
        return out;
    }

private:
    std::unique_ptr<Botan::RandomNumberGenerator> rng_;
};

}  // namespace

std::size_t public_value_size(Ke_id group) {
    switch (group) {
        case Ke_id::MODP_768: return 96;  // RFC 7296 §3.4: the modulus length
        case Ke_id::MODP_1024: return 128;
        case Ke_id::MODP_1536: return 192;
        case Ke_id::MODP_2048: return 256;
        case Ke_id::MODP_3072: return 384;
        case Ke_id::MODP_4096: return 512;
        case Ke_id::MODP_6144: return 768;
        case Ke_id::MODP_8192: return 1024;
        case Ke_id::ECP_256: return 64;  // RFC 5903 §7: x | y
        case Ke_id::ECP_384: return 96;
        case Ke_id::ECP_521: return 132;
        case Ke_id::ECP_192: return 48;
        case Ke_id::ECP_224: return 56;
        case Ke_id::BRAINPOOL_P224: return 56;  // RFC 6954 §3: the RFC 5903 encoding
        case Ke_id::BRAINPOOL_P256: return 64;
        case Ke_id::BRAINPOOL_P384: return 96;
        case Ke_id::BRAINPOOL_P512: return 128;
        case Ke_id::Curve25519: return 32;  // RFC 8031 §2
        case Ke_id::NONE: return 0;
    }
    return 0;
}

std::unique_ptr<Crypto_provider> make_botan_provider() {
    return std::make_unique<Botan_provider>(std::make_unique<Botan::System_RNG>());
}

std::unique_ptr<Crypto_provider> make_seeded_botan_provider(std::uint64_t seed) {
    // ChaCha_RNG wants 256 bits of seed: expand the 8 seed octets with SHA-256 under a label.
    auto sha = Botan::HashFunction::create_or_throw("SHA-256");
    static const char label[] = "ikeref seeded provider";
    sha->update(reinterpret_cast<const std::uint8_t*>(label), sizeof label - 1);
    for (int shift = 56; shift >= 0; shift -= 8)
        sha->update(static_cast<std::uint8_t>(seed >> shift));
    return std::make_unique<Botan_provider>(std::make_unique<Botan::ChaCha_RNG>(sha->final()));
}

namespace crypto {

std::unique_ptr<Key_exchange> make_key_exchange_with_private_value(Ke_id group,
                                                                   Octets private_value) {
    return make_exchange(group, Botan::system_rng(), private_value, true);
}

Bytes modp_prime(Ke_id group) {
    if (!is_modp(group)) throw std::invalid_argument("not a MODP group: " + std::to_string(raw(group)));
    const auto& p = modp_group(group).get_p();
    const auto v = Botan::BigInt::encode_1363(p, p.bytes());
    return Bytes(v.begin(), v.end());
}

}  // namespace crypto
}  // namespace ike
