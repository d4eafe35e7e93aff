// Signature AUTH data: classic methods 1, 9, 10, 11 (RFC 7296 §3.8, RFC 4754) and Digital
// Signature 14 (RFC 7427) with RSA PKCS#1 v1.5, RSA-PSS, ECDSA and Ed25519 (RFC 8420).
// Known answers: RFC 7427 Appendix A / RFC 8420 §2 AlgorithmIdentifier octets; OpenSSL's
// command line signs what we verify and verifies what we sign.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "src/crypto/auth_signature.hpp"
#include "src/crypto/x509.hpp"

namespace ike::crypto {
namespace {

Bytes from_hex(const std::string& h) {
    Bytes b;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2) b.push_back(static_cast<std::uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
    return b;
}

Bytes octets_to_sign() {
    const std::string s = "RealMessage1 | NonceRData | prf(SK_pi, IDi') (RFC 7296 §2.15)";
    return Bytes(s.begin(), s.end());
}

TEST(Algorithm_identifier, matches_RFC_7427_appendix_A_and_RFC_8420) {
    EXPECT_EQ(to_hex(algorithm_identifier(Signature_scheme::RSA_PKCS1_SHA1)), "300d06092a864886f70d0101050500");
    EXPECT_EQ(to_hex(algorithm_identifier(Signature_scheme::RSA_PKCS1_SHA256)), "300d06092a864886f70d01010b0500");
    EXPECT_EQ(to_hex(algorithm_identifier(Signature_scheme::RSA_PKCS1_SHA384)), "300d06092a864886f70d01010c0500");
    EXPECT_EQ(to_hex(algorithm_identifier(Signature_scheme::RSA_PKCS1_SHA512)), "300d06092a864886f70d01010d0500");
    EXPECT_EQ(to_hex(algorithm_identifier(Signature_scheme::ECDSA_SHA256)), "300a06082a8648ce3d040302");
    EXPECT_EQ(to_hex(algorithm_identifier(Signature_scheme::ECDSA_SHA384)), "300a06082a8648ce3d040303");
    EXPECT_EQ(to_hex(algorithm_identifier(Signature_scheme::ECDSA_SHA512)), "300a06082a8648ce3d040304");
    EXPECT_EQ(to_hex(algorithm_identifier(Signature_scheme::Ed25519)), "300506032b6570");
    // RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 (RFC 7427 A.4.3)
    EXPECT_EQ(to_hex(algorithm_identifier(Signature_scheme::RSA_PSS_SHA256)),
              "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108"
              "300d06096086480165030402010500a203020120");
}

TEST(Algorithm_identifier, parses_back_every_scheme) {
    for (int i = 0; i <= int(Signature_scheme::Ed25519); ++i) {
        const auto s = static_cast<Signature_scheme>(i);
        std::string error;
        EXPECT_EQ(parse_algorithm_identifier(algorithm_identifier(s), &error), s) << to_string(s) << ": " << error;
    }
}

TEST(Algorithm_identifier, accepts_absent_hash_parameters_in_PKCS1) {
    // RFC 4055 §2.1: NULL and absent parameters are equivalent.
    EXPECT_EQ(parse_algorithm_identifier(from_hex("300b06092a864886f70d01010b")), Signature_scheme::RSA_PKCS1_SHA256);
}

TEST(Algorithm_identifier, refuses_unknown_malformed_and_odd_PSS) {
    std::string error;
    EXPECT_FALSE(parse_algorithm_identifier(from_hex("300b06092a864886f70d010104"), &error));  // md5WithRSA
    EXPECT_NE(error.find("unknown"), std::string::npos) << error;
    EXPECT_FALSE(parse_algorithm_identifier(from_hex("300d06092a864886f70d01010b05"), &error));  // truncated
    EXPECT_FALSE(parse_algorithm_identifier(Bytes{}, &error));
    // PSS with salt 20
    EXPECT_FALSE(parse_algorithm_identifier(
        from_hex("304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108"
                 "300d06096086480165030402010500a203020114"),
        &error));
    EXPECT_NE(error.find("salt"), std::string::npos) << error;
    // PSS with all defaults (SHA-1): RFC 8247 rules SHA-1 out
    EXPECT_FALSE(parse_algorithm_identifier(from_hex("300f06092a864886f70d01010a3002"), &error));
}

TEST(Signature_hash_algorithms, notify_data_is_two_octets_per_hash) {
    EXPECT_EQ(to_hex(signature_hash_algorithms_data(default_signature_hashes())), "0002000300040005");
    EXPECT_EQ(parse_signature_hash_algorithms(from_hex("000200030004000500")),
              (std::vector<Hash_algorithm>{Hash_algorithm::SHA2_256, Hash_algorithm::SHA2_384,
                                           Hash_algorithm::SHA2_512, Hash_algorithm::Identity}));
    EXPECT_TRUE(parse_signature_hash_algorithms(Bytes{}).empty());
}

TEST(Choose_scheme, follows_the_peer_hashes_and_the_curve) {
    const std::vector<Hash_algorithm> all = default_signature_hashes();
    EXPECT_EQ(choose_scheme(Key_algorithm::RSA, all, false), Signature_scheme::RSA_PKCS1_SHA256);
    EXPECT_EQ(choose_scheme(Key_algorithm::RSA, all, true), Signature_scheme::RSA_PSS_SHA256);
    EXPECT_EQ(choose_scheme(Key_algorithm::RSA, {Hash_algorithm::SHA2_512}, false), Signature_scheme::RSA_PKCS1_SHA512);
    EXPECT_EQ(choose_scheme(Key_algorithm::ECDSA_P384, all, false), Signature_scheme::ECDSA_SHA384);
    EXPECT_EQ(choose_scheme(Key_algorithm::ECDSA_P521, all, false), Signature_scheme::ECDSA_SHA512);
    EXPECT_EQ(choose_scheme(Key_algorithm::Ed25519, all, false), Signature_scheme::Ed25519);
    EXPECT_EQ(choose_scheme(Key_algorithm::Ed25519, {Hash_algorithm::SHA2_256}, false), std::nullopt);
    EXPECT_EQ(choose_scheme(Key_algorithm::RSA, {Hash_algorithm::SHA1}, false), std::nullopt);
}

// One key of each kind, generated once.
class Keys : public ::testing::Test {
protected:
    static std::unique_ptr<Crypto_provider> rng;
    static std::map<Key_algorithm, std::shared_ptr<const Private_key>> keys;
    static void SetUpTestSuite() {
        rng = make_seeded_botan_provider(2024);
        for (auto k : {Key_algorithm::RSA, Key_algorithm::ECDSA_P256, Key_algorithm::ECDSA_P384,
                       Key_algorithm::ECDSA_P521, Key_algorithm::Ed25519}) {
            keys[k] = generate_private_key(k, *rng);
        }
    }
    static void TearDownTestSuite() {
        keys.clear();
        rng.reset();
    }
};
std::unique_ptr<Crypto_provider> Keys::rng;
std::map<Key_algorithm, std::shared_ptr<const Private_key>> Keys::keys;

TEST_F(Keys, classic_methods_without_peer_notify) {
    const std::map<Key_algorithm, Auth_method> expected = {
        {Key_algorithm::RSA, Auth_method::RSA_Digital_Signature},
        {Key_algorithm::ECDSA_P256, Auth_method::ECDSA_SHA256_P256},
        {Key_algorithm::ECDSA_P384, Auth_method::ECDSA_SHA384_P384},
        {Key_algorithm::ECDSA_P521, Auth_method::ECDSA_SHA512_P521},
    };
    for (const auto& [alg, method] : expected) {
        const auto& key = *keys[alg];
        auto a = sign_auth(key, octets_to_sign(), {}, false, *rng);
        ASSERT_TRUE(a) << to_string(alg);
        EXPECT_EQ(a->method, method);
        // RFC 4754 §7: r | s, each the curve's octet length; RSA: modulus length
        const std::size_t len = alg == Key_algorithm::RSA ? 256 : alg == Key_algorithm::ECDSA_P256 ? 64
                                : alg == Key_algorithm::ECDSA_P384 ? 96 : 132;
        EXPECT_EQ(a->data.size(), len) << to_string(alg);
        EXPECT_EQ(verify_auth(*key.public_key(), a->method, a->data, octets_to_sign()), std::nullopt) << to_string(alg);
    }
}

TEST_F(Keys, Ed25519_uses_method_14_even_without_peer_notify) {
    auto a = sign_auth(*keys[Key_algorithm::Ed25519], octets_to_sign(), {}, false, *rng);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->method, Auth_method::Digital_Signature);
    ASSERT_EQ(a->data.size(), 1u + 7u + 64u);
    EXPECT_EQ(a->data[0], 7);
}

TEST_F(Keys, digital_signature_method_14_for_every_key_and_hash) {
    for (const auto& [alg, key] : keys) {
        for (bool pss : {false, true}) {
            if (pss && alg != Key_algorithm::RSA) continue;
            for (auto h : {Hash_algorithm::SHA2_256, Hash_algorithm::SHA2_384, Hash_algorithm::SHA2_512,
                           Hash_algorithm::Identity}) {
                auto s = choose_scheme(alg, {h}, pss);
                if (!s) continue;
                std::string error;
                auto a = sign_auth(*key, octets_to_sign(), {h}, pss, *rng, &error);
                ASSERT_TRUE(a) << error;
                EXPECT_EQ(a->method, Auth_method::Digital_Signature);
                const Bytes ai = algorithm_identifier(*s);
                ASSERT_GT(a->data.size(), 1 + ai.size());
                EXPECT_EQ(Bytes(a->data.begin() + 1, a->data.begin() + 1 + long(ai.size())), ai) << to_string(*s);
                EXPECT_EQ(verify_auth(*key->public_key(), a->method, a->data, octets_to_sign()), std::nullopt)
                    << to_string(*s);
            }
        }
    }
}

TEST_F(Keys, signature_over_wrong_octets_is_refused) {
    for (const auto& [alg, key] : keys) {
        auto a = sign_auth(*key, octets_to_sign(), default_signature_hashes(), false, *rng);
        ASSERT_TRUE(a);
        Bytes other = octets_to_sign();
        other.back() ^= 1;
        auto why = verify_auth(*key->public_key(), a->method, a->data, other);
        ASSERT_TRUE(why) << to_string(alg);
        EXPECT_NE(why->find("does not verify"), std::string::npos) << *why;
        // and a flipped signature bit
        Bytes flipped = a->data;
        flipped.back() ^= 0x80;
        EXPECT_TRUE(verify_auth(*key->public_key(), a->method, flipped, octets_to_sign())) << to_string(alg);
    }
}

TEST_F(Keys, empty_signature_is_refused) {
    const auto pub = keys[Key_algorithm::ECDSA_P256]->public_key();
    EXPECT_EQ(verify_auth(*pub, Auth_method::ECDSA_SHA256_P256, Bytes{}, octets_to_sign()), std::string("empty signature"));
    // method 14 with an AlgorithmIdentifier and nothing after it
    Bytes only_ai{12};
    const Bytes ai = algorithm_identifier(Signature_scheme::ECDSA_SHA256);
    only_ai.insert(only_ai.end(), ai.begin(), ai.end());
    EXPECT_EQ(verify_auth(*pub, Auth_method::Digital_Signature, only_ai, octets_to_sign()), std::string("empty signature"));
    EXPECT_TRUE(verify_auth(*pub, Auth_method::Digital_Signature, Bytes{}, octets_to_sign()));
    EXPECT_TRUE(verify_auth(*pub, Auth_method::Digital_Signature, Bytes{40, 0x30}, octets_to_sign()));
}

TEST_F(Keys, method_and_key_must_agree) {
    auto a = sign_auth(*keys[Key_algorithm::ECDSA_P256], octets_to_sign(), {}, false, *rng);
    ASSERT_TRUE(a);
    auto why = verify_auth(*keys[Key_algorithm::RSA]->public_key(), a->method, a->data, octets_to_sign());
    ASSERT_TRUE(why);
    EXPECT_EQ(*why, "auth method 9 needs a ECDSA-P256 key, the certificate holds RSA");
    why = verify_auth(*keys[Key_algorithm::ECDSA_P384]->public_key(), Auth_method::ECDSA_SHA256_P256, a->data,
                      octets_to_sign());
    EXPECT_TRUE(why);
    EXPECT_TRUE(verify_auth(*keys[Key_algorithm::ECDSA_P256]->public_key(), Auth_method::Shared_Key_Message_Integrity_Code,
                            a->data, octets_to_sign()));
    // a method-14 Ed25519 signature presented as RSA-PKCS1
    auto e = sign_auth(*keys[Key_algorithm::Ed25519], octets_to_sign(), {}, false, *rng);
    ASSERT_TRUE(e);
    Bytes lie = e->data;
    const Bytes rsa_ai = algorithm_identifier(Signature_scheme::RSA_PKCS1_SHA256);
    lie.erase(lie.begin(), lie.begin() + 8);
    lie.insert(lie.begin(), rsa_ai.begin(), rsa_ai.end());
    lie.insert(lie.begin(), static_cast<std::uint8_t>(rsa_ai.size()));
    EXPECT_TRUE(verify_auth(*keys[Key_algorithm::Ed25519]->public_key(), Auth_method::Digital_Signature, lie,
                            octets_to_sign()));
}

TEST_F(Keys, ed25519_refused_when_peer_lacks_identity_hash) {
    std::string error;
    EXPECT_FALSE(sign_auth(*keys[Key_algorithm::Ed25519], octets_to_sign(), {Hash_algorithm::SHA2_256}, false, *rng, &error));
    EXPECT_NE(error.find("no hash"), std::string::npos) << error;
}

TEST_F(Keys, seeded_rng_gives_reproducible_signatures) {
    auto r1 = make_seeded_botan_provider(5);
    auto r2 = make_seeded_botan_provider(5);
    const auto& key = *keys[Key_algorithm::RSA];
    auto a = sign_auth(key, octets_to_sign(), default_signature_hashes(), true, *r1);
    auto b = sign_auth(key, octets_to_sign(), default_signature_hashes(), true, *r2);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->data, b->data);
}

// --- OpenSSL cross-checks -------------------------------------------------------------------

class Openssl_signatures : public Keys {
protected:
    std::string dir;
    void SetUp() override {
        if (std::system("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "openssl not installed";
        char tmpl[] = "/tmp/ikeref-sig-XXXXXX";
        ASSERT_TRUE(mkdtemp(tmpl));
        dir = tmpl;
        write("msg", octets_to_sign());
    }
    void TearDown() override {
        if (!dir.empty()) std::system(("rm -rf " + dir).c_str());
    }
    void write(const std::string& name, const Bytes& b) {
        std::ofstream f(dir + "/" + name, std::ios::binary);
        f.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
    }
    Bytes read(const std::string& name) {
        std::ifstream f(dir + "/" + name, std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        const std::string s = ss.str();
        return Bytes(s.begin(), s.end());
    }
    bool run(const std::string& cmd) { return std::system(("cd " + dir + " && " + cmd + " >>log 2>&1").c_str()) == 0; }
    void write_key(const Private_key& k) {
        const std::string pem = private_key_pem(k);
        write("key.pem", Bytes(pem.begin(), pem.end()));
        ASSERT_TRUE(run("openssl pkey -in key.pem -pubout -out pub.pem"));
    }
    // openssl options per scheme (dgst), or "" for Ed25519 (pkeyutl -rawin)
    static std::string dgst_options(Signature_scheme s) {
        switch (s) {
            case Signature_scheme::RSA_PKCS1_SHA256: case Signature_scheme::ECDSA_SHA256: return "-sha256";
            case Signature_scheme::ECDSA_SHA384: return "-sha384";
            case Signature_scheme::ECDSA_SHA512: return "-sha512";
            case Signature_scheme::RSA_PSS_SHA256:
                return "-sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -sigopt rsa_mgf1_md:sha256";
            case Signature_scheme::RSA_PSS_SHA384:
                return "-sha384 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -sigopt rsa_mgf1_md:sha384";
            default: return "";
        }
    }
};

TEST_F(Openssl_signatures, we_verify_what_openssl_signs) {
    const std::pair<Key_algorithm, Signature_scheme> cases[] = {
        {Key_algorithm::RSA, Signature_scheme::RSA_PKCS1_SHA256}, {Key_algorithm::RSA, Signature_scheme::RSA_PSS_SHA256},
        {Key_algorithm::RSA, Signature_scheme::RSA_PSS_SHA384},   {Key_algorithm::ECDSA_P256, Signature_scheme::ECDSA_SHA256},
        {Key_algorithm::ECDSA_P384, Signature_scheme::ECDSA_SHA384}, {Key_algorithm::ECDSA_P521, Signature_scheme::ECDSA_SHA512},
        {Key_algorithm::Ed25519, Signature_scheme::Ed25519},
    };
    for (const auto& [alg, scheme] : cases) {
        write_key(*keys[alg]);
        const std::string cmd = scheme == Signature_scheme::Ed25519
                                    ? "openssl pkeyutl -sign -inkey key.pem -rawin -in msg -out sig"
                                    : "openssl dgst " + dgst_options(scheme) + " -sign key.pem -out sig msg";
        ASSERT_TRUE(run(cmd)) << cmd;
        const Bytes ai = algorithm_identifier(scheme);
        Bytes auth{static_cast<std::uint8_t>(ai.size())};
        auth.insert(auth.end(), ai.begin(), ai.end());
        const Bytes sig = read("sig");
        auth.insert(auth.end(), sig.begin(), sig.end());
        EXPECT_EQ(verify_auth(*keys[alg]->public_key(), Auth_method::Digital_Signature, auth, octets_to_sign()),
                  std::nullopt)
            << to_string(scheme);
    }
}

TEST_F(Openssl_signatures, openssl_verifies_what_we_sign) {
    const std::pair<Key_algorithm, Signature_scheme> cases[] = {
        {Key_algorithm::RSA, Signature_scheme::RSA_PKCS1_SHA256}, {Key_algorithm::RSA, Signature_scheme::RSA_PSS_SHA256},
        {Key_algorithm::ECDSA_P256, Signature_scheme::ECDSA_SHA256}, {Key_algorithm::ECDSA_P384, Signature_scheme::ECDSA_SHA384},
        {Key_algorithm::Ed25519, Signature_scheme::Ed25519},
    };
    for (const auto& [alg, scheme] : cases) {
        write_key(*keys[alg]);
        auto a = sign_auth(*keys[alg], octets_to_sign(), {hash_of(scheme)},
                           scheme == Signature_scheme::RSA_PSS_SHA256, *rng);
        ASSERT_TRUE(a);
        const Bytes ai = algorithm_identifier(scheme);
        write("sig", Bytes(a->data.begin() + 1 + long(ai.size()), a->data.end()));
        const std::string cmd = scheme == Signature_scheme::Ed25519
                                    ? "openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in msg -sigfile sig"
                                    : "openssl dgst " + dgst_options(scheme) + " -verify pub.pem -signature sig msg";
        EXPECT_TRUE(run(cmd)) << to_string(scheme) << ": " << cmd;
        // and the refusal of a wrong message by openssl, so the check above can fail
        write("msg2", Bytes{1, 2, 3});
        std::string bad = cmd;
        bad.replace(bad.find(" msg"), 4, " msg2");
        EXPECT_FALSE(run(bad)) << to_string(scheme);
    }
}

}  // namespace
}  // namespace ike::crypto
