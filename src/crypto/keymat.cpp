// The IKEv2 key schedule (RFC 7296 §2.13–§2.18), the AUTH octets (§2.15) and the
// NAT detection and cookie hashes (§2.23, §2.6).
#include "src/crypto/keymat.hpp"

#include <botan/hash.h>
#include <botan/secmem.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "src/crypto/botan_provider.hpp"

namespace ike::crypto {
namespace {

using Buffer = Botan::secure_vector<std::uint8_t>;  // zeroized on destruction

void append(Buffer& b, Octets o) { b.insert(b.end(), o.begin(), o.end()); }

template <typename Vec>
void append_spi(Vec& b, Spi spi) {
    for (int shift = 56; shift >= 0; shift -= 8)
        b.push_back(static_cast<std::uint8_t>(spi >> shift));
}

Secret take(Octets all, std::size_t& offset, std::size_t n) {
    Secret s(all.data + offset, n);
    offset += n;
    return s;
}

}  // namespace

// RFC 7296 §2.13
Secret prf_plus(const Prf& prf, Octets key, Octets seed, std::size_t length) {
    const std::size_t h = prf.output_size();
    if (length > 255 * h)
        throw std::invalid_argument("prf+: " + std::to_string(length) +
                                    " octets exceed 255 * prf output (" + std::to_string(h) +
                                    ")");
    Buffer out;
    out.reserve(length + h);
    Buffer input;
    Secret t;
    for (std::size_t n = 1; out.size() < length; ++n) {
        input.clear();
        append(input, t.view());  // T(n-1), empty for T1
        append(input, seed);
        input.push_back(static_cast<std::uint8_t>(n));
        t = prf.compute(key, Octets(input.data(), input.size()));
        append(out, t.view());
    }
    return Secret(out.data(), length);
}

// RFC 7296 §2.14
Secret SKEYSEED(const Prf& prf, Octets Ni, Octets Nr, Octets g_ir) {
    Buffer key;
    if (dynamic_cast<const Fixed_key_prf*>(&prf) != nullptr) {
        // §2.14: AES-XCBC-PRF-128 and AES-CMAC-PRF-128 take the first 64 bits of each nonce.
        append(key, Octets(Ni.data, std::min<std::size_t>(Ni.size, 8)));
        append(key, Octets(Nr.data, std::min<std::size_t>(Nr.size, 8)));
    } else {
        append(key, Ni);
        append(key, Nr);
    }
    return prf.compute(Octets(key.data(), key.size()), g_ir);
}

// RFC 7296 §2.14
Ike_sa_keys derive_ike_sa_keys(const Prf& prf, Octets skeyseed, Octets Ni, Octets Nr, Spi SPIi,
                               Spi SPIr, std::size_t integ_key_size,
                               std::size_t encr_key_size) {
    Buffer seed;
    append(seed, Ni);
    append(seed, Nr);
    append_spi(seed, SPIi);
    append_spi(seed, SPIr);
    // [7296-2.13-s3] [7296-2.14-s1] SK_d, SK_pi and SK_pr take the PRF's preferred key size (key_size(): the HMAC output length, 16 for the AES PRFs).
    const std::size_t p = prf.key_size();
    const Secret all = prf_plus(prf, skeyseed, Octets(seed.data(), seed.size()),
                                3 * p + 2 * integ_key_size + 2 * encr_key_size);
    std::size_t off = 0;
    Ike_sa_keys k;
    k.SK_d = take(all.view(), off, p);
    k.SK_ai = take(all.view(), off, integ_key_size);
    k.SK_ar = take(all.view(), off, integ_key_size);
    k.SK_ei = take(all.view(), off, encr_key_size);
    k.SK_er = take(all.view(), off, encr_key_size);
    k.SK_pi = take(all.view(), off, p);
    k.SK_pr = take(all.view(), off, p);
    return k;
}

// RFC 7296 §2.18
Secret SKEYSEED_rekey(const Prf& prf, Octets SK_d_old, Octets g_ir_new, Octets Ni, Octets Nr) {
    Buffer data;
    append(data, g_ir_new);
    append(data, Ni);
    append(data, Nr);
    return prf.compute(SK_d_old, Octets(data.data(), data.size()));
}

// RFC 7296 §2.17
Secret KEYMAT(const Prf& prf, Octets SK_d, Octets g_ir, Octets Ni, Octets Nr,
              std::size_t length) {
    Buffer seed;
    append(seed, g_ir);  // empty unless the CREATE_CHILD_SA carried KE
    append(seed, Ni);
    append(seed, Nr);
    return prf_plus(prf, SK_d, Octets(seed.data(), seed.size()), length);
}

// RFC 7296 §2.17
Child_sa_keys split_KEYMAT(Octets keymat, std::size_t encr_key_size,
                           std::size_t integ_key_size) {
    if (keymat.size < 2 * (encr_key_size + integ_key_size))
        throw std::invalid_argument("split_KEYMAT: KEYMAT shorter than 2 * (encr + integ)");
    std::size_t off = 0;
    Child_sa_keys k;
    // [7296-2.17-s1] initiator-to-responder keys first; [7296-2.17-s2] in each direction the encryption key, then the integrity key.
    k.encr_i = take(keymat, off, encr_key_size);
    k.integ_i = take(keymat, off, integ_key_size);
    k.encr_r = take(keymat, off, encr_key_size);
    k.integ_r = take(keymat, off, integ_key_size);
    return k;
}

// RFC 7296 §2.15
Bytes signed_octets(const Prf& prf, Octets real_message, Octets peer_nonce, Octets SK_p,
                    Octets id_payload_body) {
    const Secret maced_id = prf.compute(SK_p, id_payload_body);
    Bytes out;
    out.reserve(real_message.size + peer_nonce.size + maced_id.size());
    out.insert(out.end(), real_message.begin(), real_message.end());
    out.insert(out.end(), peer_nonce.begin(), peer_nonce.end());
    out.insert(out.end(), maced_id.data(), maced_id.data() + maced_id.size());
    return out;
}

// RFC 7296 §2.15
Secret psk_auth(const Prf& prf, Octets shared_secret, Octets signed_octets) {
    static const char key_pad[] = "Key Pad for IKEv2";  // 17 octets, no NUL
    const Secret inner = prf.compute(
        shared_secret,
        Octets(reinterpret_cast<const std::uint8_t*>(key_pad), sizeof key_pad - 1));
    return prf.compute(inner.view(), signed_octets);
}

// RFC 7296 §2.23
Bytes nat_detection_hash(Spi SPIi, Spi SPIr, Octets ip, std::uint16_t port) {
    auto sha1 = Botan::HashFunction::create_or_throw("SHA-1");
    Bytes spis;
    append_spi(spis, SPIi);
    append_spi(spis, SPIr);
    sha1->update(spis);
    sha1->update(ip.data, ip.size);
    sha1->update(static_cast<std::uint8_t>(port >> 8));
    sha1->update(static_cast<std::uint8_t>(port & 0xff));
    const auto h = sha1->final();
    return Bytes(h.begin(), h.end());
}

// RFC 7296 §2.6
Bytes cookie_hash(Octets secret, Octets Ni, Octets ip_i, Octets SPIi) {
    auto sha = Botan::HashFunction::create_or_throw("SHA-256");
    sha->update(Ni.data, Ni.size);
    sha->update(ip_i.data, ip_i.size);
    sha->update(SPIi.data, SPIi.size);
    sha->update(secret.data, secret.size);
    const auto h = sha->final();
    return Bytes(h.begin(), h.end());
}

}  // namespace ike::crypto
