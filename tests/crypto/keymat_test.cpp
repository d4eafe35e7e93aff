// src/crypto/keymat: the key schedule against outside known answers (NIST CAVP SP 800-135
// IKEv2 KDF, strongSwan/NSS KDF vectors, a real charon run), and the AUTH / NAT / cookie
// hashes against independent computations with Botan used directly (a different code path).
#include "src/crypto/keymat.hpp"

#include <botan/hash.h>
#include <botan/mac.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "ike/crypto_provider.hpp"
#include "tests/crypto/vector_dir.hpp"
#include "tests/support/vectors.hpp"

namespace ike::crypto {
namespace {

Bytes hex(const std::string& s) { return from_hex(s); }
std::string hex(Octets o) { return to_hex(o); }

Spi spi(const std::string& s) {
    const Bytes b = from_hex(s);
    if (b.size() != 8) throw std::invalid_argument("SPI must be 8 octets");
    Spi v = 0;
    for (auto o : b) v = (v << 8) | o;
    return v;
}

Bytes cat(std::initializer_list<Octets> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

Bytes slice(const Bytes& b, std::size_t off, std::size_t n) {
    return Bytes(b.begin() + static_cast<std::ptrdiff_t>(off),
                 b.begin() + static_cast<std::ptrdiff_t>(off + n));
}

class Keymat : public ::testing::Test {
protected:
    std::unique_ptr<Crypto_provider> provider = make_botan_provider();
};

// --- NIST CAVP SP 800-135 IKEv2 (testdata/README.md §3) --------------------------------

Prf_id prf_for(const std::string& hash) {
    if (hash == "SHA-1") return Prf_id::PRF_HMAC_SHA1;
    if (hash == "SHA-256") return Prf_id::PRF_HMAC_SHA2_256;
    if (hash == "SHA-384") return Prf_id::PRF_HMAC_SHA2_384;
    if (hash == "SHA-512") return Prf_id::PRF_HMAC_SHA2_512;
    throw std::invalid_argument("unexpected hash " + hash);
}

TEST_F(Keymat, matches_all_600_NIST_CAVP_IKEv2_cases) {
    // Every ikev2*.fax of $IKEREF_CAVP_IKE_KDF (default: the shared ikev2.shared.fax, 600 cases).
    std::vector<test::Fax_case> cases;
    for (const auto& file : test::cavp_ikev2_files()) {
        auto more = test::read_fax(file);
        cases.insert(cases.end(), more.begin(), more.end());
    }
    ASSERT_FALSE(cases.empty()) << "no ikev2*.fax in " << test::cavp_ike_kdf_dir();
    if (test::default_vector_dirs()) {
        ASSERT_EQ(cases.size(), 600u);
    }
    std::size_t checked = 0;
    for (const auto& c : cases) {
        const auto& f = c.fields;
        SCOPED_TRACE(c.group.at("algorithm") + " g^ir " + c.group.at("g^ir length") + " Ni " +
                     c.group.at("Ni length") + " COUNT " + f.at("COUNT"));
        const auto prf = provider->prf(prf_for(c.group.at("algorithm")));
        const std::size_t h = prf->output_size();
        const std::size_t dkm_len = std::stoul(c.group.at("DKM length")) / 8;
        const std::size_t child_len = std::stoul(c.group.at("Child SA DKM length")) / 8;
        const Bytes Ni = hex(f.at("Ni")), Nr = hex(f.at("Nr"));
        const Bytes g_ir = hex(f.at("g^ir")), g_ir_new = hex(f.at("g^ir (new)"));
        const Spi SPIi = spi(f.at("SPIi")), SPIr = spi(f.at("SPIr"));
        const Bytes dkm = hex(f.at("DKM"));
        ASSERT_EQ(dkm.size(), dkm_len);

        // SKEYSEED = prf(Ni | Nr, g^ir)
        const Secret skeyseed = SKEYSEED(*prf, Ni, Nr, g_ir);
        EXPECT_EQ(skeyseed.hex(), f.at("SKEYSEED"));

        // DKM = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
        const Bytes seed = cat({Ni, Nr, hex(f.at("SPIi")), hex(f.at("SPIr"))});
        EXPECT_EQ(prf_plus(*prf, skeyseed.view(), seed, dkm_len).hex(), f.at("DKM"));

        // derive_ike_sa_keys slices the same stream: SK_d = first hLen octets, then the rest
        // in §2.14 order as far as the published DKM reaches (integ = h, encr = 16 + 4).
        const std::size_t integ = h, encr = 20;
        const Ike_sa_keys k = derive_ike_sa_keys(*prf, skeyseed.view(), Ni, Nr, SPIi, SPIr,
                                                 integ, encr);
        ASSERT_EQ(k.SK_d.size(), h);
        EXPECT_EQ(hex(k.SK_d.view()), hex(slice(dkm, 0, h)));
        const Secret* order[] = {&k.SK_d, &k.SK_ai, &k.SK_ar, &k.SK_ei, &k.SK_er, &k.SK_pi, &k.SK_pr};
        std::size_t off = 0;
        for (const Secret* s : order) {
            if (off + s->size() > dkm_len) break;
            EXPECT_EQ(s->hex(), hex(slice(dkm, off, s->size()))) << "at offset " << off;
            off += s->size();
        }

        // DKM(Child SA) = prf+(SK_d, Ni | Nr); DKM(Child SA D-H) = prf+(SK_d, g^ir (new) | Ni | Nr)
        EXPECT_EQ(KEYMAT(*prf, k.SK_d.view(), Octets(), Ni, Nr, child_len).hex(),
                  f.at("DKM(Child SA)"));
        EXPECT_EQ(KEYMAT(*prf, k.SK_d.view(), g_ir_new, Ni, Nr, child_len).hex(),
                  f.at("DKM(Child SA D-H)"));

        // SKEYSEED(Rekey) = prf(SK_d, g^ir (new) | Ni | Nr)
        EXPECT_EQ(SKEYSEED_rekey(*prf, k.SK_d.view(), g_ir_new, Ni, Nr).hex(),
                  f.at("SKEYSEED(Rekey)"));
        ++checked;
    }
    EXPECT_EQ(checked, cases.size());
}

// --- crypto-vectors/kdf.json (testdata/README.md §4) ------------------------------------

class Kdf_vector : public ::testing::TestWithParam<nlohmann::json> {};

TEST_P(Kdf_vector, matches) {
    const auto& c = GetParam();
    const auto provider = make_botan_provider();
    const auto id = c.at("iana_prf_id").get<std::uint16_t>();
    if (!provider->supports(Transform_type::PRF, id, std::nullopt))
        GTEST_SKIP() << c.at("prf").get<std::string>() << " is not implemented";
    const auto prf = provider->prf(static_cast<Prf_id>(id));
    const Bytes key = hex(c.at("key").get<std::string>());
    const Bytes salt = hex(c.at("salt").get<std::string>());
    const std::string want = c.at("output").get<std::string>();
    const std::string function = c.at("function").get<std::string>();
    if (function == "KDF_PRF") {
        // "salt" is Ni | Nr (the PRF key), "key" is g^ir; Ni and Nr are the two halves.
        const std::size_t half = salt.size() / 2;
        EXPECT_EQ(SKEYSEED(*prf, slice(salt, 0, half), slice(salt, half, salt.size() - half), key)
                      .hex(),
                  want);
    } else {
        ASSERT_EQ(function, "KDF_PRF_PLUS");
        EXPECT_EQ(prf_plus(*prf, key, salt, want.size() / 2).hex(), want);
    }
}

INSTANTIATE_TEST_SUITE_P(kdf_json, Kdf_vector,
                         ::testing::ValuesIn(test::vector_cases("kdf")),
                         test::case_id_name);

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Kdf_vector);

TEST(Kdf_vectors, file_has_all_7_cases) {
    if (!test::default_vector_dirs()) GTEST_SKIP() << "IKEREF_CRYPTO_VECTORS set";
    EXPECT_EQ(test::vector_cases("kdf").size(), 7u);
}

// --- nss_ike_aesxcbc.json: PRF_AES128_XCBC SKEYSEED and prf+ ---------------------------

TEST_F(Keymat, AES_XCBC_SKEYSEED_and_prf_plus_match_NSS) {
    if (!test::default_vector_dirs() && test::vector_cases("nss_ike_aesxcbc").empty())
        GTEST_SKIP() << "no nss_ike_aesxcbc.json in " << test::crypto_vectors_dir();
    const auto j = test::vector_file("nss_ike_aesxcbc");
    const auto prf = provider->prf(Prf_id::PRF_AES128_XCBC);
    std::size_t checked = 0;
    for (const auto& c : j.at("cases")) {
        SCOPED_TRACE(c.at("id").get<std::string>());
        const std::string want = c.at("output").get<std::string>();
        if (c.contains("g_ir")) {
            EXPECT_EQ(SKEYSEED(*prf, hex(c.at("Ni").get<std::string>()),
                               hex(c.at("Nr").get<std::string>()),
                               hex(c.at("g_ir").get<std::string>()))
                          .hex(),
                      want);
        } else {
            EXPECT_EQ(prf_plus(*prf, hex(c.at("key").get<std::string>()),
                               hex(c.at("seed").get<std::string>()), want.size() / 2)
                          .hex(),
                      want);
        }
        ++checked;
    }
    EXPECT_EQ(checked, 3u);
}

// RFC 7296 §2.14: for the AES PRFs only the first 64 bits of each nonce key SKEYSEED. The
// NSS vector above has 8-octet nonces, so check the truncation itself: longer nonces with the
// same first 8 octets give the same SKEYSEED, and it equals prf(Ni[0..8] | Nr[0..8], g^ir).
TEST_F(Keymat, AES_PRF_SKEYSEED_uses_first_64_bits_of_each_nonce) {
    for (auto id : {Prf_id::PRF_AES128_XCBC, Prf_id::PRF_AES128_CMAC}) {
        const auto prf = provider->prf(id);
        const Bytes Ni = hex("32b50d5f4a3763f3" "00112233445566778899aabbccddeeff");
        const Bytes Nr = hex("9206a04b26564cb1" "ffeeddccbbaa99887766554433221100");
        const Bytes g_ir = hex("4b2c1f971981a8ad8d0abeafabf38cf75fc8349c148142465ed9c8b516b8be52");
        const Secret got = SKEYSEED(*prf, Ni, Nr, g_ir);
        EXPECT_EQ(got.hex(), prf->compute(hex("32b50d5f4a3763f39206a04b26564cb1"), g_ir).hex());
        if (id == Prf_id::PRF_AES128_XCBC) {  // the NSS value for the 8-octet nonces
            EXPECT_EQ(got.hex(), "08b95345c9557240ddc98d6e1dfda875");
        }
    }
}

// --- The worked charon key schedule (shared/peers/strongswan/README.md) -----------------

TEST_F(Keymat, matches_charon_key_schedule_AES_GCM_256_X25519) {
    const auto prf = provider->prf(Prf_id::PRF_HMAC_SHA2_256);
    const Bytes Ni = hex("51dc93d75769dce2c1b1ec748817934d408c507bf57c08ea88e1696ebec7cc00");
    const Bytes Nr = hex("1f83c97a9161d7bfbaa487bbcd9b53654d0f80411a4058e54c2e9bf1d63a8a4b");
    const Bytes g_ir = hex("36db2c58077bf91c97c7b6c42d12543aa3181ef7193b5c8421cc8ccb1de1173b");
    const Secret skeyseed = SKEYSEED(*prf, Ni, Nr, g_ir);
    EXPECT_EQ(skeyseed.hex(), "71cf6ba10cbbe9fc1c2b942e1df8145d4058f7724130be1d463b61ceb41648a5");
    const auto gcm = provider->cipher(Encr_id::ENCR_AES_GCM_16, 256);
    ASSERT_EQ(gcm->key_size(), 36u);
    const Ike_sa_keys k = derive_ike_sa_keys(*prf, skeyseed.view(), Ni, Nr,
                                             spi("c74bd99a1aae7c66"), spi("52056be14e724186"),
                                             0, gcm->key_size());
    EXPECT_EQ(k.SK_d.hex(), "ef55a7cc22b33892a4cccdcca953975f3ec74da84071780591c06e96a6b8968b");
    EXPECT_TRUE(k.SK_ai.empty());
    EXPECT_TRUE(k.SK_ar.empty());
    EXPECT_EQ(k.SK_ei.hex(),
              "e5e330d28a577a58057c3e60d7885a61ebb2f7cb165eec93d98e00a86de02d195140cb4d");
    EXPECT_EQ(k.SK_er.size(), 36u);
    EXPECT_EQ(k.SK_pi.size(), 32u);
    EXPECT_EQ(k.SK_pr.size(), 32u);
    const Secret keymat = KEYMAT(*prf, k.SK_d.view(), Octets(), Ni, Nr, 2 * 36);
    const Child_sa_keys esp = split_KEYMAT(keymat.view(), 36, 0);
    EXPECT_EQ(esp.encr_i.hex(),
              "d3016e2cc82b8274c64059cad45167a129c3a39fcae57cbcec5ec7ff3d043edac8e8d683");
    EXPECT_EQ(esp.encr_r.size(), 36u);
    EXPECT_TRUE(esp.integ_i.empty());
}

// --- prf+ and split_KEYMAT shapes -------------------------------------------------------

TEST_F(Keymat, prf_plus_refuses_more_than_255_blocks) {
    const auto prf = provider->prf(Prf_id::PRF_HMAC_SHA2_256);
    const Bytes key(32, 1), seed(8, 2);
    EXPECT_EQ(prf_plus(*prf, key, seed, 255 * 32).size(), 255u * 32u);
    EXPECT_THROW(prf_plus(*prf, key, seed, 255 * 32 + 1), std::invalid_argument);
    EXPECT_TRUE(prf_plus(*prf, key, seed, 0).empty());
}

TEST_F(Keymat, prf_plus_prefixes_agree_and_T1_is_prf_of_seed_and_0x01) {
    const auto prf = provider->prf(Prf_id::PRF_HMAC_SHA1);
    const Bytes key = hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), seed = hex("4869");
    const Secret long_ = prf_plus(*prf, key, seed, 50);
    const Secret short_ = prf_plus(*prf, key, seed, 7);
    EXPECT_EQ(long_.hex().substr(0, 14), short_.hex());
    EXPECT_EQ(long_.hex().substr(0, 40), prf->compute(key, hex("486901")).hex());
}

TEST(Split_KEYMAT, takes_encr_i_integ_i_encr_r_integ_r_in_order) {
    Bytes keymat(2 * (16 + 32) + 5);
    for (std::size_t i = 0; i < keymat.size(); ++i) keymat[i] = static_cast<std::uint8_t>(i);
    const Child_sa_keys k = split_KEYMAT(keymat, 16, 32);
    EXPECT_EQ(hex(k.encr_i.view()), hex(slice(keymat, 0, 16)));
    EXPECT_EQ(hex(k.integ_i.view()), hex(slice(keymat, 16, 32)));
    EXPECT_EQ(hex(k.encr_r.view()), hex(slice(keymat, 48, 16)));
    EXPECT_EQ(hex(k.integ_r.view()), hex(slice(keymat, 64, 32)));
    EXPECT_THROW(split_KEYMAT(slice(keymat, 0, 95), 16, 32), std::invalid_argument);
}

// --- AUTH (RFC 7296 §2.15), independently with Botan's HMAC -----------------------------

Bytes botan_hmac(const std::string& hash, Octets key, Octets data) {
    auto mac = Botan::MessageAuthenticationCode::create_or_throw("HMAC(" + hash + ")");
    mac->set_key(key.data, key.size);
    mac->update(data.data, data.size);
    const auto out = mac->final();
    return Bytes(out.begin(), out.end());
}

TEST_F(Keymat, signed_octets_is_message_then_nonce_then_prf_of_ID_body) {
    const auto prf = provider->prf(Prf_id::PRF_HMAC_SHA2_256);
    const Bytes message = hex("c74bd99a1aae7c660000000000000000212022080000000000000150");
    const Bytes Nr = hex("1f83c97a9161d7bfbaa487bbcd9b5365");
    const Bytes SK_pi = Bytes(32, 0x5a);
    Bytes id_body = hex("02000000");  // ID_FQDN, 3 reserved octets, then the data
    for (char ch : std::string("moon.strongswan.org")) id_body.push_back(static_cast<std::uint8_t>(ch));
    const Bytes got = signed_octets(*prf, message, Nr, SK_pi, id_body);
    ASSERT_EQ(got.size(), message.size() + Nr.size() + 32);
    EXPECT_EQ(hex(slice(got, 0, message.size())), hex(message));
    EXPECT_EQ(hex(slice(got, message.size(), Nr.size())), hex(Nr));
    EXPECT_EQ(hex(slice(got, message.size() + Nr.size(), 32)),
              hex(botan_hmac("SHA-256", SK_pi, id_body)));
}

TEST_F(Keymat, psk_auth_is_prf_of_prf_of_secret_and_key_pad) {
    const std::string pad = "Key Pad for IKEv2";
    const Bytes pad_octets(pad.begin(), pad.end());
    ASSERT_EQ(pad_octets.size(), 17u);
    const std::string psk_text = "This is a strong password";
    const Bytes psk(psk_text.begin(), psk_text.end());
    const Bytes octets = hex("00112233445566778899aabbccddeeff0102030405060708");
    for (auto [id, hash] : {std::pair{Prf_id::PRF_HMAC_SHA1, "SHA-1"},
                            std::pair{Prf_id::PRF_HMAC_SHA2_256, "SHA-256"},
                            std::pair{Prf_id::PRF_HMAC_SHA2_384, "SHA-384"},
                            std::pair{Prf_id::PRF_HMAC_SHA2_512, "SHA-512"}}) {
        const auto prf = provider->prf(id);
        const Bytes inner = botan_hmac(hash, psk, pad_octets);
        EXPECT_EQ(psk_auth(*prf, psk, octets).hex(), hex(botan_hmac(hash, inner, octets))) << hash;
    }
}

// --- NAT detection (RFC 7296 §2.23) and cookie (§2.6), independently with Botan ---------

Bytes botan_hash(const std::string& name, Octets data) {
    auto h = Botan::HashFunction::create_or_throw(name);
    h->update(data.data, data.size);
    const auto out = h->final();
    return Bytes(out.begin(), out.end());
}

TEST(Nat_detection_hash, is_SHA1_of_SPIi_SPIr_address_and_port) {
    const Bytes ipv4 = hex("c0000201");  // 192.0.2.1
    const Bytes got = nat_detection_hash(spi("c74bd99a1aae7c66"), spi("0000000000000000"), ipv4, 500);
    ASSERT_EQ(got.size(), 20u);
    EXPECT_EQ(hex(got), hex(botan_hash("SHA-1", hex("c74bd99a1aae7c660000000000000000c000020101f4"))));
    const Bytes ipv6 = hex("20010db8000000000000000000000001");
    EXPECT_EQ(hex(nat_detection_hash(0x0102030405060708u, 0x1112131415161718u, ipv6, 4500)),
              hex(botan_hash("SHA-1", hex("0102030405060708111213141516171820010db8000000000000000000000001"
                                          "1194"))));
}

TEST(Cookie_hash, is_SHA256_of_Ni_IPi_SPIi_and_secret_in_RFC_order) {
    const Bytes secret = hex("000102030405060708090a0b0c0d0e0f"), Ni = hex("a1a2a3a4a5a6a7a8a9aaabacadaeafb0");
    const Bytes ip = hex("c0000201"), SPIi = hex("c74bd99a1aae7c66");
    const Bytes got = cookie_hash(secret, Ni, ip, SPIi);
    ASSERT_EQ(got.size(), 32u);
    EXPECT_EQ(hex(got), hex(botan_hash("SHA-256", cat({Ni, ip, SPIi, secret}))));
    EXPECT_NE(hex(got), hex(cookie_hash(secret, Ni, hex("c0000202"), SPIi)));
}

}  // namespace
}  // namespace ike::crypto
