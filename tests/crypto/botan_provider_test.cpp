// src/crypto/botan_provider: every supported transform against the outside vectors in
// ../shared/testdata/crypto-vectors (RFC 2202/4868/3566/4434/4493/4615/3602/3686/5282/7634,
// RFC 5114/7748/8031, strongSwan MODP); unsupported ones are reported as skipped with the
// reason. Plus key exchange agreement and peer value refusal (RFC 6989, RFC 8031 §2.3), the
// seeded provider, and "never throws on peer input" properties.
#include "src/crypto/botan_provider.hpp"

#include <botan/bigint.h>
#include <botan/dl_group.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>
#include <string>

#include "ike/crypto_provider.hpp"
#include "tests/crypto/vector_dir.hpp"
#include "tests/support/vectors.hpp"

namespace ike {
namespace {

using nlohmann::json;

Bytes unhex(const json& j) { return from_hex(j.get<std::string>()); }
std::string hex(Octets o) { return to_hex(o); }

std::unique_ptr<Crypto_provider> provider() { return make_botan_provider(); }

const Ke_id all_groups[] = {Ke_id::MODP_768,       Ke_id::MODP_1024,      Ke_id::MODP_1536,
                            Ke_id::MODP_2048,      Ke_id::MODP_3072,      Ke_id::MODP_4096,
                            Ke_id::MODP_6144,      Ke_id::MODP_8192,      Ke_id::ECP_256,
                            Ke_id::ECP_384,        Ke_id::ECP_521,        Ke_id::ECP_192,
                            Ke_id::ECP_224,        Ke_id::BRAINPOOL_P224, Ke_id::BRAINPOOL_P256,
                            Ke_id::BRAINPOOL_P384, Ke_id::BRAINPOOL_P512, Ke_id::Curve25519};

// The elliptic-curve groups with the RFC 5903 §7 x | y encoding (RFC 5114, RFC 6954 §3).
const Ke_id ec_groups[] = {Ke_id::ECP_256,        Ke_id::ECP_384,        Ke_id::ECP_521,
                           Ke_id::ECP_192,        Ke_id::ECP_224,        Ke_id::BRAINPOOL_P224,
                           Ke_id::BRAINPOOL_P256, Ke_id::BRAINPOOL_P384, Ke_id::BRAINPOOL_P512};

bool is_ec(Ke_id g) { return std::find(std::begin(ec_groups), std::end(ec_groups), g) != std::end(ec_groups); }

// --- prf.json -----------------------------------------------------------------------------

class Prf_vector : public ::testing::TestWithParam<json> {};

TEST_P(Prf_vector, matches) {
    const auto& c = GetParam();
    const auto p = provider();
    const auto id = c.at("iana_prf_id").get<std::uint16_t>();
    if (!p->supports(Transform_type::PRF, id, std::nullopt))
        GTEST_SKIP() << c.at("transform").get<std::string>() << " (PRF " << id << ") is not implemented";
    const auto prf = p->prf(static_cast<Prf_id>(id));
    const Bytes want = unhex(c.at("output"));
    EXPECT_EQ(prf->output_size(), want.size());
    EXPECT_EQ(prf->compute(unhex(c.at("key")), unhex(c.at("input"))).hex(), hex(want));
}

INSTANTIATE_TEST_SUITE_P(prf_json, Prf_vector, ::testing::ValuesIn(test::vector_cases("prf")),
                         test::case_id_name);

// --- integ.json ---------------------------------------------------------------------------

class Integ_vector : public ::testing::TestWithParam<json> {};

TEST_P(Integ_vector, matches) {
    const auto& c = GetParam();
    const auto p = provider();
    if (c.at("iana_integ_id").is_null())
        GTEST_SKIP() << c.at("transform").get<std::string>()
                     << " has no IANA Transform Type 3 id (not an IKEv2 transform)";
    const auto id = c.at("iana_integ_id").get<std::uint16_t>();
    if (!p->supports(Transform_type::INTEG, id, std::nullopt))
        GTEST_SKIP() << c.at("transform").get<std::string>() << " (INTEG " << id << ") is not implemented";
    const auto integ = p->integrity(static_cast<Integ_id>(id));
    const Bytes key = unhex(c.at("key")), input = unhex(c.at("input")), icv = unhex(c.at("icv"));
    ASSERT_EQ(integ->icv_size(), c.at("icv_len").get<std::size_t>());
    ASSERT_EQ(integ->key_size(), key.size());
    EXPECT_EQ(hex(integ->compute(key, input)), hex(icv));
    EXPECT_TRUE(integ->verify(key, input, icv));
    Bytes bad = icv;
    bad.back() ^= 0x01;
    EXPECT_FALSE(integ->verify(key, input, bad));
    EXPECT_FALSE(integ->verify(key, input, Bytes(icv.begin(), icv.end() - 1)));
}

INSTANTIATE_TEST_SUITE_P(integ_json, Integ_vector,
                         ::testing::ValuesIn(test::vector_cases("integ")), test::case_id_name);

// --- encr.json and aead.json --------------------------------------------------------------

class Cipher_vector : public ::testing::TestWithParam<json> {};

TEST_P(Cipher_vector, matches) {
    const auto& c = GetParam();
    const auto p = provider();
    const auto id = c.at("iana_encr_id").get<std::uint16_t>();
    const auto bits = c.at("key_bits").get<std::uint16_t>();
    // RFC 7634 §2 and RFC 2451: fixed key lengths, no Key Length attribute (§3.3.5).
    const bool fixed_key = id == static_cast<std::uint16_t>(Encr_id::ENCR_CHACHA20_POLY1305) ||
                           id == static_cast<std::uint16_t>(Encr_id::ENCR_3DES);
    const std::optional<std::uint16_t> attr = fixed_key ? std::nullopt : std::optional(bits);
    if (!p->supports(Transform_type::ENCR, id, attr))
        GTEST_SKIP() << c.at("transform").get<std::string>() << " (ENCR " << id << ", " << bits
                     << " bits) is not implemented";
    const auto cipher = p->cipher(static_cast<Encr_id>(id), fixed_key ? 0 : bits);
    const bool aead = c.contains("key_and_salt");
    const Bytes key = unhex(aead ? c.at("key_and_salt") : c.at("key"));
    const Bytes iv = unhex(c.at("iv")), plaintext = unhex(c.at("plaintext"));
    const Bytes aad = aead ? unhex(c.at("aad")) : Bytes{};
    const Bytes want = unhex(aead ? c.at("ciphertext_and_icv") : c.at("ciphertext"));
    ASSERT_EQ(cipher->is_aead(), aead);
    ASSERT_EQ(cipher->key_size(), key.size());
    ASSERT_EQ(cipher->iv_size(), iv.size());
    if (aead) {
        ASSERT_EQ(cipher->icv_size(), c.at("icv_len").get<std::size_t>());
    }

    EXPECT_EQ(hex(cipher->encrypt(key, iv, aad, plaintext)), hex(want));
    const auto back = cipher->decrypt(key, iv, aad, want);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(hex(*back), hex(plaintext));
    if (aead) {
        Bytes tampered = want;
        tampered.back() ^= 0x80;  // the ICV
        EXPECT_FALSE(cipher->decrypt(key, iv, aad, tampered).has_value());
        Bytes other_aad = aad;
        other_aad.push_back(0);
        EXPECT_FALSE(cipher->decrypt(key, iv, other_aad, want).has_value());
        EXPECT_FALSE(cipher->decrypt(key, iv, aad, Bytes(want.begin(), want.begin() + 3)).has_value());
    }
}

INSTANTIATE_TEST_SUITE_P(encr_json, Cipher_vector,
                         ::testing::ValuesIn(test::vector_cases("encr")), test::case_id_name);
INSTANTIATE_TEST_SUITE_P(aead_json, Cipher_vector,
                         ::testing::ValuesIn(test::vector_cases("aead")), test::case_id_name);

// --- ke.json ------------------------------------------------------------------------------

class Ke_vector : public ::testing::TestWithParam<json> {};

TEST_P(Ke_vector, matches_both_sides) {
    const auto& c = GetParam();
    const auto id = c.at("iana_dh_id").get<std::uint16_t>();
    if (!provider()->supports(Transform_type::KE, id, std::nullopt))
        GTEST_SKIP() << c.at("group").get<std::string>() << " (KE " << id
                     << ") is not implemented (RFC 8247 §2.4: legacy or not recommended)";
    const auto group = static_cast<Ke_id>(id);
    const auto i = crypto::make_key_exchange_with_private_value(group, unhex(c.at("private_i")));
    const auto r = crypto::make_key_exchange_with_private_value(group, unhex(c.at("private_r")));
    EXPECT_EQ(hex(i->public_value()), c.at("public_i").get<std::string>());
    EXPECT_EQ(hex(r->public_value()), c.at("public_r").get<std::string>());
    EXPECT_EQ(i->public_value().size(), public_value_size(group));
    const auto zi = i->shared_secret(unhex(c.at("public_r")));
    const auto zr = r->shared_secret(unhex(c.at("public_i")));
    ASSERT_TRUE(zi.has_value());
    ASSERT_TRUE(zr.has_value());
    EXPECT_EQ(zi->hex(), c.at("shared_secret").get<std::string>());
    EXPECT_EQ(zr->hex(), c.at("shared_secret").get<std::string>());
}

INSTANTIATE_TEST_SUITE_P(ke_json, Ke_vector, ::testing::ValuesIn(test::vector_cases("ke")),
                         test::case_id_name);

// A vector directory given by IKEREF_CRYPTO_VECTORS may hold only some of the sets.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Prf_vector);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Integ_vector);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Cipher_vector);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Ke_vector);

TEST(Crypto_vector_files, are_all_read) {
    if (!test::default_vector_dirs()) GTEST_SKIP() << "IKEREF_CRYPTO_VECTORS set: counts of the shared files do not apply";
    EXPECT_EQ(test::vector_cases("prf").size(), 23u);
    EXPECT_EQ(test::vector_cases("integ").size(), 15u);
    EXPECT_EQ(test::vector_cases("encr").size(), 11u);
    EXPECT_EQ(test::vector_cases("aead").size(), 28u);
    EXPECT_EQ(test::vector_cases("ke").size(), 10u);
}

// --- Key exchange agreement and refusal --------------------------------------------------

TEST(Key_exchange, both_sides_agree_for_every_group) {
    const auto p = provider();
    for (Ke_id g : all_groups) {
        SCOPED_TRACE(to_string(g));
        ASSERT_TRUE(p->supports(Transform_type::KE, static_cast<std::uint16_t>(g), std::nullopt));
        const auto a = p->key_exchange(g);
        const auto b = p->key_exchange(g);
        EXPECT_EQ(a->group(), g);
        ASSERT_EQ(a->public_value().size(), public_value_size(g));
        EXPECT_NE(hex(a->public_value()), hex(b->public_value()));
        const auto za = a->shared_secret(b->public_value());
        const auto zb = b->shared_secret(a->public_value());
        ASSERT_TRUE(za && zb);
        EXPECT_EQ(za->hex(), zb->hex());
        // g^ir length: the modulus for MODP, the field for ECP (x only), 32 for X25519.
        const std::size_t want = g == Ke_id::Curve25519 ? 32
                                 : is_ec(g)               ? public_value_size(g) / 2
                                                          : public_value_size(g);
        EXPECT_EQ(za->size(), want);
    }
}

TEST(Key_exchange, refuses_wrong_length_for_every_group) {
    const auto p = provider();
    for (Ke_id g : all_groups) {
        SCOPED_TRACE(to_string(g));
        const auto a = p->key_exchange(g);
        Bytes pub = p->key_exchange(g)->public_value();
        EXPECT_FALSE(a->shared_secret(Bytes{}).has_value());
        EXPECT_FALSE(a->shared_secret(Bytes(pub.begin(), pub.end() - 1)).has_value());
        pub.push_back(0);
        EXPECT_FALSE(a->shared_secret(pub).has_value());
        Bytes with_prefix{0x04};  // the SEC1 prefix the KE payload must not carry
        const Bytes ok = p->key_exchange(g)->public_value();
        with_prefix.insert(with_prefix.end(), ok.begin(), ok.end());
        EXPECT_FALSE(a->shared_secret(with_prefix).has_value());
    }
}

Bytes big_endian(const Botan::BigInt& v, std::size_t n) {
    const auto b = Botan::BigInt::encode_1363(v, n);
    return Bytes(b.begin(), b.end());
}

TEST(Key_exchange, MODP_refuses_0_1_p_minus_1_and_p_RFC_6989) {
    const auto p = provider();
    const std::pair<Ke_id, const char*> groups[] = {{Ke_id::MODP_1024, "modp/ietf/1024"},
                                                    {Ke_id::MODP_1536, "modp/ietf/1536"},
                                                    {Ke_id::MODP_2048, "modp/ietf/2048"},
                                                    {Ke_id::MODP_3072, "modp/ietf/3072"},
                                                    {Ke_id::MODP_8192, "modp/ietf/8192"}};
    for (auto [g, name] : groups) {
        SCOPED_TRACE(name);
        const Botan::BigInt prime = Botan::DL_Group(name).get_p();
        const std::size_t n = public_value_size(g);
        ASSERT_EQ(prime.bytes(), n);
        const auto a = p->key_exchange(g);
        EXPECT_FALSE(a->shared_secret(Bytes(n, 0)).has_value());
        EXPECT_FALSE(a->shared_secret(big_endian(1, n)).has_value());
        EXPECT_FALSE(a->shared_secret(big_endian(prime - 1, n)).has_value());
        EXPECT_FALSE(a->shared_secret(big_endian(prime, n)).has_value());
        EXPECT_FALSE(a->shared_secret(Bytes(n, 0xff)).has_value());
        EXPECT_TRUE(a->shared_secret(big_endian(2, n)).has_value());
        EXPECT_TRUE(a->shared_secret(big_endian(prime - 2, n)).has_value());
    }
}

// RFC 2409 §6.1: the First Oakley Group prime is 2^768 - 2^704 - 1 + 2^64 * { [2^638 pi] + 149686 }.
// [2^638 pi] from the hex digits of pi (3.243F6A88...): the prime is recomputed, not copied.
TEST(Key_exchange, MODP_768_prime_follows_RFC_2409_formula) {
    // floor(2^638 * pi): pi in hex has 2 integer bits (0x3); 638 fractional bits = 159.5 hex
    // digits, so take 161 fraction digits and shift right by 6 bits.
    const std::string pi_hex =  // pi * 16^161, 162 hex digits
        "3243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89452821E638D01377"
        "BE5466CF34E90C6CC0AC29B7C97C50DD3F84D5B5B54709179216D5D98979FB1BD1310BA698DFB5AC2";
    const Botan::BigInt pi_scaled("0x" + pi_hex);
    const Botan::BigInt floor_pi_638 = pi_scaled >> std::size_t{161 * 4 - 638};
    const Botan::BigInt want = Botan::BigInt::power_of_2(768) - Botan::BigInt::power_of_2(704) - 1 +
                               Botan::BigInt::power_of_2(64) * (floor_pi_638 + 149686);
    const auto a = crypto::make_key_exchange_with_private_value(Ke_id::MODP_768, big_endian(2, 1));
    // With x = 2 the public value is g^2 = 4; a peer value p-1 is refused, p-2 accepted.
    EXPECT_EQ(hex(a->public_value()), hex(big_endian(4, 96)));
    EXPECT_FALSE(a->shared_secret(big_endian(want - 1, 96)).has_value());
    const auto z = a->shared_secret(big_endian(want - 2, 96));
    ASSERT_TRUE(z.has_value());
    // (p-2)^2 = 4 mod p: the shared secret proves the modulus is `want`.
    EXPECT_EQ(z->hex(), hex(big_endian(4, 96)));
}

TEST(Key_exchange, ECP_refuses_points_off_the_curve_and_at_infinity) {
    const auto p = provider();
    for (Ke_id g : ec_groups) {
        SCOPED_TRACE(to_string(g));
        const auto a = p->key_exchange(g);
        Bytes pub = p->key_exchange(g)->public_value();
        ASSERT_TRUE(a->shared_secret(pub).has_value());
        Bytes off = pub;
        off.back() ^= 0x01;  // y changed: (x, y') is not on the curve
        EXPECT_FALSE(a->shared_secret(off).has_value());
        EXPECT_FALSE(a->shared_secret(Bytes(pub.size(), 0)).has_value());  // (0, 0)
        EXPECT_FALSE(a->shared_secret(Bytes(pub.size(), 0xff)).has_value());  // x, y >= p
    }
}

TEST(Key_exchange, ECP_refuses_coordinates_not_reduced_mod_p) {
    // A valid point with x replaced by x + p (congruent, but not a canonical encoding).
    // P-521's p = 2^521 - 1 leaves room for x + p in its 66-octet field.
    const auto p = provider();
    const auto a = p->key_exchange(Ke_id::ECP_521);
    const Bytes pub = p->key_exchange(Ke_id::ECP_521)->public_value();
    const Botan::BigInt prime = Botan::BigInt("0x01" + std::string(130, 'F'));
    const Botan::BigInt x(pub.data(), 66), y(pub.data() + 66, 66);
    Bytes shifted = big_endian(x + prime, 66);
    const Bytes ybytes = big_endian(y, 66);
    shifted.insert(shifted.end(), ybytes.begin(), ybytes.end());
    ASSERT_EQ(shifted.size(), 132u);
    EXPECT_FALSE(a->shared_secret(shifted).has_value());
}

TEST(Key_exchange, Curve25519_refuses_all_zero_result_RFC_8031) {
    const auto p = provider();
    const auto a = p->key_exchange(Ke_id::Curve25519);
    EXPECT_FALSE(a->shared_secret(Bytes(32, 0)).has_value());  // u = 0
    Bytes one(32, 0);
    one[0] = 1;  // u = 1 (little-endian), a point of small order
    EXPECT_FALSE(a->shared_secret(one).has_value());
    // RFC 7748 §5 / libsodium's list: the order-8 point u = 325606250916557431795983626356110631294008115727848805560023387167927233504
    const Bytes order8 = from_hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
    EXPECT_FALSE(a->shared_secret(order8).has_value());
}

TEST(Key_exchange, known_private_value_rejects_bad_input) {
    EXPECT_THROW(crypto::make_key_exchange_with_private_value(Ke_id::Curve25519, Bytes(31, 1)),
                 std::invalid_argument);
    EXPECT_THROW(crypto::make_key_exchange_with_private_value(Ke_id::MODP_1024, Bytes{1}),
                 std::invalid_argument);  // x < 2
    EXPECT_THROW(crypto::make_key_exchange_with_private_value(Ke_id::NONE, Bytes(32, 1)),
                 std::invalid_argument);
    EXPECT_THROW(crypto::make_key_exchange_with_private_value(Ke_id::ECP_256, Bytes(32, 0)),
                 std::invalid_argument);
}

// --- supports() and the factories ---------------------------------------------------------

TEST(Supports, answers_the_key_length_rules) {
    const auto p = provider();
    const auto encr = [&](Encr_id id, std::optional<std::uint16_t> bits) {
        return p->supports(Transform_type::ENCR, static_cast<std::uint16_t>(id), bits);
    };
    for (auto id : {Encr_id::ENCR_AES_CBC, Encr_id::ENCR_AES_CTR, Encr_id::ENCR_AES_GCM_8,
                    Encr_id::ENCR_AES_GCM_12, Encr_id::ENCR_AES_GCM_16, Encr_id::ENCR_AES_CCM_8,
                    Encr_id::ENCR_AES_CCM_12, Encr_id::ENCR_AES_CCM_16}) {
        SCOPED_TRACE(to_string(id));
        EXPECT_FALSE(encr(id, std::nullopt));  // AES needs the Key Length attribute
        EXPECT_TRUE(encr(id, 128));
        EXPECT_TRUE(encr(id, 192));
        EXPECT_TRUE(encr(id, 256));
        EXPECT_FALSE(encr(id, 64));
        EXPECT_FALSE(encr(id, 512));
        // SK_e = key | salt: 3 octets for CCM (RFC 4309), 4 for GCM (RFC 4106) and the
        // CTR nonce (RFC 3686), none for CBC.
        const bool ccm = id == Encr_id::ENCR_AES_CCM_8 || id == Encr_id::ENCR_AES_CCM_12 ||
                         id == Encr_id::ENCR_AES_CCM_16;
        const std::size_t salt = id == Encr_id::ENCR_AES_CBC ? 0u : ccm ? 3u : 4u;
        for (std::uint16_t bits : {std::uint16_t{128}, std::uint16_t{192}, std::uint16_t{256}})
            EXPECT_EQ(p->cipher(id, bits)->key_size(), bits / 8u + salt);
        EXPECT_THROW(p->cipher(id, 100), std::invalid_argument);
    }
    EXPECT_TRUE(encr(Encr_id::ENCR_CHACHA20_POLY1305, std::nullopt));
    EXPECT_FALSE(encr(Encr_id::ENCR_CHACHA20_POLY1305, 256));
    // RFC 2451 / RFC 2410: fixed key lengths, so no Key Length attribute (§3.3.5).
    EXPECT_TRUE(encr(Encr_id::ENCR_3DES, std::nullopt));
    EXPECT_FALSE(encr(Encr_id::ENCR_3DES, 192));
    EXPECT_TRUE(encr(Encr_id::ENCR_NULL, std::nullopt));
    EXPECT_FALSE(encr(Encr_id::ENCR_NULL, 128));
    EXPECT_FALSE(p->supports(Transform_type::ENCR, 9999, 128));
    EXPECT_THROW(p->cipher(Encr_id::ENCR_3DES, 192), std::invalid_argument);
    const auto des3 = p->cipher(Encr_id::ENCR_3DES, 0);
    EXPECT_EQ(des3->key_size(), 24u);
    EXPECT_EQ(des3->iv_size(), 8u);
    EXPECT_EQ(des3->block_size(), 8u);
    EXPECT_FALSE(des3->is_aead());
    const auto null = p->cipher(Encr_id::ENCR_NULL, 0);
    EXPECT_EQ(null->key_size(), 0u);
    EXPECT_EQ(null->iv_size(), 0u);

    EXPECT_TRUE(p->supports(Transform_type::PRF, 5, std::nullopt));
    EXPECT_FALSE(p->supports(Transform_type::PRF, 5, 256));  // RFC 7296 §3.3.5
    EXPECT_FALSE(p->supports(Transform_type::PRF, 1, std::nullopt));  // PRF_HMAC_MD5
    EXPECT_TRUE(p->supports(Transform_type::INTEG, 12, std::nullopt));
    EXPECT_FALSE(p->supports(Transform_type::INTEG, 0, std::nullopt));  // NONE is not an algorithm
    EXPECT_FALSE(p->supports(Transform_type::INTEG, 1, std::nullopt));  // HMAC-MD5-96
    EXPECT_THROW(p->integrity(Integ_id::NONE), std::invalid_argument);
    for (Ke_id g : all_groups)
        EXPECT_TRUE(p->supports(Transform_type::KE, static_cast<std::uint16_t>(g), std::nullopt));
    for (int g : {0, 3, 4, 22, 23, 24, 32, 35})
        EXPECT_FALSE(p->supports(Transform_type::KE, static_cast<std::uint16_t>(g), std::nullopt)) << g;
    EXPECT_THROW(p->key_exchange(Ke_id::NONE), std::invalid_argument);
    EXPECT_TRUE(p->supports(Transform_type::ESN, 0, std::nullopt));
    EXPECT_TRUE(p->supports(Transform_type::ESN, 1, std::nullopt));
    EXPECT_FALSE(p->supports(Transform_type::ESN, 2, std::nullopt));
}

TEST(Supports, agrees_with_the_factories_for_every_id) {
    const auto p = provider();
    for (std::uint16_t id = 0; id < 40; ++id) {
        if (p->supports(Transform_type::PRF, id, std::nullopt)) {
            EXPECT_NO_THROW(p->prf(static_cast<Prf_id>(id))) << id;
        } else {
            EXPECT_THROW(p->prf(static_cast<Prf_id>(id)), std::invalid_argument) << id;
        }
        if (p->supports(Transform_type::INTEG, id, std::nullopt)) {
            EXPECT_NO_THROW(p->integrity(static_cast<Integ_id>(id))) << id;
        } else {
            EXPECT_THROW(p->integrity(static_cast<Integ_id>(id)), std::invalid_argument) << id;
        }
        for (std::optional<std::uint16_t> bits : {std::optional<std::uint16_t>{}, std::optional<std::uint16_t>{128}}) {
            if (p->supports(Transform_type::ENCR, id, bits)) {
                EXPECT_NO_THROW(p->cipher(static_cast<Encr_id>(id), bits.value_or(0))) << id;
            }
        }
    }
}

TEST(Public_value_size, follows_RFC_7296_3_4_and_RFC_5903_7) {
    EXPECT_EQ(public_value_size(Ke_id::MODP_2048), 256u);
    EXPECT_EQ(public_value_size(Ke_id::MODP_8192), 1024u);
    EXPECT_EQ(public_value_size(Ke_id::ECP_256), 64u);
    EXPECT_EQ(public_value_size(Ke_id::ECP_384), 96u);
    EXPECT_EQ(public_value_size(Ke_id::ECP_521), 132u);
    EXPECT_EQ(public_value_size(Ke_id::Curve25519), 32u);
    EXPECT_EQ(public_value_size(Ke_id::MODP_768), 96u);
    EXPECT_EQ(public_value_size(Ke_id::MODP_1024), 128u);
    EXPECT_EQ(public_value_size(Ke_id::MODP_1536), 192u);
    EXPECT_EQ(public_value_size(Ke_id::ECP_192), 48u);
    EXPECT_EQ(public_value_size(Ke_id::ECP_224), 56u);
    EXPECT_EQ(public_value_size(Ke_id::BRAINPOOL_P224), 56u);
    EXPECT_EQ(public_value_size(Ke_id::BRAINPOOL_P512), 128u);
    EXPECT_EQ(public_value_size(Ke_id::NONE), 0u);
    EXPECT_EQ(public_value_size(static_cast<Ke_id>(9999)), 0u);
}

// --- The seeded provider -------------------------------------------------------------------

TEST(Seeded_provider, same_seed_same_octets_and_public_values) {
    const auto a = make_seeded_botan_provider(42), b = make_seeded_botan_provider(42);
    const auto c = make_seeded_botan_provider(43);
    const Bytes ra = a->random(32), rb = b->random(32), rc = c->random(32);
    EXPECT_EQ(hex(ra), hex(rb));
    EXPECT_NE(hex(ra), hex(rc));
    for (Ke_id g : {Ke_id::Curve25519, Ke_id::ECP_256, Ke_id::MODP_2048}) {
        SCOPED_TRACE(to_string(g));
        const Bytes pa = a->key_exchange(g)->public_value();
        EXPECT_EQ(hex(pa), hex(b->key_exchange(g)->public_value()));
        EXPECT_NE(hex(pa), hex(c->key_exchange(g)->public_value()));
    }
    EXPECT_EQ(hex(a->random(7)), hex(b->random(7)));
    EXPECT_NE(hex(a->random(16)), hex(a->random(16)));
}

TEST(Random, system_provider_gives_distinct_octets) {
    const auto p = provider();
    EXPECT_EQ(p->random(0).size(), 0u);
    EXPECT_NE(hex(p->random(32)), hex(p->random(32)));
}

// --- Ciphers: shapes and refusal -----------------------------------------------------------

TEST(Cipher, CBC_refuses_ciphertext_not_a_multiple_of_the_block) {
    const auto c = provider()->cipher(Encr_id::ENCR_AES_CBC, 128);
    const Bytes key(16, 1), iv(16, 2);
    EXPECT_EQ(c->block_size(), 16u);
    EXPECT_FALSE(c->decrypt(key, iv, {}, Bytes(17, 0)).has_value());
    EXPECT_FALSE(c->decrypt(key, Bytes(8, 0), {}, Bytes(16, 0)).has_value());
    EXPECT_TRUE(c->decrypt(key, iv, {}, Bytes(32, 0)).has_value());
    EXPECT_THROW(c->encrypt(key, iv, {}, Bytes(15, 0)), std::invalid_argument);
    EXPECT_THROW(c->encrypt(Bytes(15, 0), iv, {}, Bytes(16, 0)), std::invalid_argument);
}

TEST(Cipher, AEAD_shapes_follow_RFC_5282_and_RFC_7634) {
    const auto p = provider();
    const auto gcm = p->cipher(Encr_id::ENCR_AES_GCM_16, 256);
    EXPECT_TRUE(gcm->is_aead());
    EXPECT_EQ(gcm->key_size(), 36u);
    EXPECT_EQ(gcm->iv_size(), 8u);
    EXPECT_EQ(gcm->block_size(), 1u);
    EXPECT_EQ(gcm->icv_size(), 16u);
    EXPECT_EQ(p->cipher(Encr_id::ENCR_AES_GCM_8, 128)->icv_size(), 8u);
    EXPECT_EQ(p->cipher(Encr_id::ENCR_AES_CCM_12, 128)->key_size(), 19u);
    const auto chacha = p->cipher(Encr_id::ENCR_CHACHA20_POLY1305, 0);
    EXPECT_EQ(chacha->key_size(), 36u);
    EXPECT_EQ(chacha->icv_size(), 16u);
    // IKE SK padding with block 1: any plaintext length round-trips.
    const Bytes key(36, 7), iv(8, 9), aad{1, 2, 3};
    for (std::size_t n : {0u, 1u, 13u, 100u}) {
        const Bytes pt(n, 0x33);
        const Bytes ct = gcm->encrypt(key, iv, aad, pt);
        ASSERT_EQ(ct.size(), n + 16);
        const auto back = gcm->decrypt(key, iv, aad, ct);
        ASSERT_TRUE(back.has_value());
        EXPECT_EQ(hex(*back), hex(pt));
    }
}

// --- Properties: peer input never throws ---------------------------------------------------

RC_GTEST_PROP(Key_exchange_property, peer_value_never_throws, (const std::vector<std::uint8_t>& junk)) {
    static const auto p = make_seeded_botan_provider(7);
    static const auto x = p->key_exchange(Ke_id::Curve25519);
    static const auto e = p->key_exchange(Ke_id::ECP_256);
    static const auto m = p->key_exchange(Ke_id::MODP_2048);
    for (const Key_exchange* k : {x.get(), e.get(), m.get()}) {
        Bytes peer = junk;
        peer.resize(*rc::gen::element<std::size_t>(junk.size(), public_value_size(k->group())));
        const auto z = k->shared_secret(peer);
        if (z) RC_ASSERT(!z->empty());
    }
}

RC_GTEST_PROP(Cipher_property, decrypt_of_junk_never_throws_and_AEAD_refuses_it,
              (const std::vector<std::uint8_t>& junk)) {
    static const auto p = make_botan_provider();
    const Bytes key36(36, 5), key16(16, 5), key35(35, 5), iv8(8, 1), iv16(16, 1);
    RC_ASSERT(!p->cipher(Encr_id::ENCR_AES_GCM_16, 256)->decrypt(key36, iv8, {}, junk).has_value());
    RC_ASSERT(!p->cipher(Encr_id::ENCR_AES_CCM_16, 256)->decrypt(key35, iv8, {}, junk).has_value());
    RC_ASSERT(!p->cipher(Encr_id::ENCR_CHACHA20_POLY1305, 0)->decrypt(key36, iv8, {}, junk).has_value());
    const auto cbc = p->cipher(Encr_id::ENCR_AES_CBC, 128)->decrypt(key16, iv16, {}, junk);
    RC_ASSERT(cbc.has_value() == (junk.size() % 16 == 0));
}

}  // namespace
}  // namespace ike
