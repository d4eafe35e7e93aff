// X.509 certificates, private keys and path validation (RFC 5280 §6, RFC 4945 §3.1, RFC 7296
// §3.7). Credentials come from OpenSSL's command line at test time (an implementation other than
// ours) and from our own issuer (src/crypto/x509.hpp) for the refusal cases.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "src/crypto/x509.hpp"

namespace ike {
namespace {

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

/// A scratch directory with OpenSSL-made credentials:
///   ca.key/ca.pem     ECDSA P-256 CA "C=CH, O=ikeref, CN=ikeref Test CA"
///   rsa.key/rsa.pem   RSA-2048 (PKCS#1 "RSA PRIVATE KEY"), CN=a.example.test,
///                     SAN DNS:a.example.test, email:alice@example.test, IP:192.0.2.1
///   ec.key/ec.pem     ECDSA P-384 (SEC1 "EC PRIVATE KEY"), CN=b.example.test, SAN DNS:b.example.test
///   ed.key/ed.pem     Ed25519 (PKCS#8), CN=c.example.test, SAN DNS:c.example.test
///   other-ca.*        an unrelated CA; stranger.pem is issued by it
class Openssl_credentials : public ::testing::Test {
protected:
    static std::string dir;
    static bool ok;

    static bool run(const std::string& cmd) {
        const std::string full = "cd " + dir + " && (" + cmd + ") >>openssl.log 2>&1";
        return std::system(full.c_str()) == 0;
    }
    static void SetUpTestSuite() {
        char tmpl[] = "/tmp/ikeref-x509-XXXXXX";
        if (!mkdtemp(tmpl)) return;
        dir = tmpl;
        if (std::system("command -v openssl >/dev/null 2>&1") != 0) return;
        const std::string ext = "printf 'basicConstraints=CA:FALSE\\nsubjectAltName=%s\\n' ";
        ok = run("openssl ecparam -name prime256v1 -genkey -noout -out ca.key") &&
             run("openssl req -x509 -new -key ca.key -sha256 -days 30 -subj '/C=CH/O=ikeref/CN=ikeref Test CA' "
                 "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out ca.pem") &&
             run("openssl ecparam -name prime256v1 -genkey -noout -out other-ca.key") &&
             run("openssl req -x509 -new -key other-ca.key -sha256 -days 30 -subj '/C=CH/O=other/CN=Other CA' "
                 "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out other-ca.pem") &&
             run("openssl genrsa -traditional -out rsa.key 2048") &&
             run("openssl req -new -key rsa.key -subj '/C=CH/O=ikeref/CN=a.example.test' -out rsa.csr") &&
             run(ext + "'DNS:a.example.test,email:alice@example.test,IP:192.0.2.1' >rsa.ext") &&
             run("openssl x509 -req -in rsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 10 -sha256 "
                 "-extfile rsa.ext -out rsa.pem") &&
             run("openssl ecparam -name secp384r1 -genkey -noout -out ec.key") &&
             run("openssl req -new -key ec.key -subj '/C=CH/O=ikeref/CN=b.example.test' -out ec.csr") &&
             run(ext + "'DNS:b.example.test' >ec.ext") &&
             run("openssl x509 -req -in ec.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 10 -sha256 "
                 "-extfile ec.ext -out ec.pem") &&
             run("openssl genpkey -algorithm ed25519 -out ed.key") &&
             run("openssl req -new -key ed.key -subj '/C=CH/O=ikeref/CN=c.example.test' -out ed.csr") &&
             run(ext + "'DNS:c.example.test' >ed.ext") &&
             run("openssl x509 -req -in ed.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 10 -sha256 "
                 "-extfile ed.ext -out ed.pem") &&
             run("openssl req -new -key ec.key -subj '/C=CH/O=ikeref/CN=b.example.test' -out stranger.csr") &&
             run("openssl x509 -req -in stranger.csr -CA other-ca.pem -CAkey other-ca.key -CAcreateserial -days 10 "
                 "-sha256 -extfile ec.ext -out stranger.pem") &&
             run("openssl x509 -in rsa.pem -outform der -out rsa.der") &&
             run("openssl x509 -in ca.pem -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha1 -r "
                 "| cut -c1-40 >ca.spki.sha1");
    }
    static void TearDownTestSuite() {
        if (!dir.empty()) std::system(("rm -rf " + dir).c_str());
    }
    void SetUp() override {
        if (!ok) GTEST_SKIP() << "openssl not available or failed (see " << dir << "/openssl.log)";
    }
    std::shared_ptr<const Certificate> cert(const std::string& name) {
        std::string error;
        auto c = parse_certificate(bytes_of(slurp(dir + "/" + name)), &error);
        EXPECT_TRUE(c) << name << ": " << error;
        return c;
    }
};
std::string Openssl_credentials::dir;
bool Openssl_credentials::ok = false;

TEST_F(Openssl_credentials, parses_PEM_and_DER_to_the_same_certificate) {
    auto pem = cert("rsa.pem");
    auto der = cert("rsa.der");
    ASSERT_TRUE(pem && der);
    EXPECT_EQ(pem->der(), der->der());
    EXPECT_EQ(pem->der(), bytes_of(slurp(dir + "/rsa.der")));
    EXPECT_EQ(pem->subject(), "C=CH, O=ikeref, CN=a.example.test");
    EXPECT_FALSE(pem->is_ca());
    EXPECT_TRUE(cert("ca.pem")->is_ca());
}

TEST_F(Openssl_credentials, decodes_public_key_kinds) {
    EXPECT_EQ(cert("rsa.pem")->public_key().algorithm(), Key_algorithm::RSA);
    EXPECT_EQ(cert("rsa.pem")->public_key().bits(), 2048u);
    EXPECT_EQ(cert("ec.pem")->public_key().algorithm(), Key_algorithm::ECDSA_P384);
    EXPECT_EQ(cert("ed.pem")->public_key().algorithm(), Key_algorithm::Ed25519);
    EXPECT_EQ(cert("ca.pem")->public_key().algorithm(), Key_algorithm::ECDSA_P256);
}

TEST_F(Openssl_credentials, CERTREQ_hash_is_SHA1_of_the_CA_SubjectPublicKeyInfo) {
    // RFC 7296 §3.7; the expected value is OpenSSL's SHA-1 over its own DER SPKI.
    const std::string expected = slurp(dir + "/ca.spki.sha1").substr(0, 40);
    EXPECT_EQ(to_hex(cert("ca.pem")->public_key().spki_sha1()), expected);
}

TEST_F(Openssl_credentials, parses_PKCS1_SEC1_and_PKCS8_private_keys_matching_their_certificates) {
    for (const char* name : {"rsa", "ec", "ed"}) {
        std::string error;
        auto key = parse_private_key(bytes_of(slurp(dir + "/" + name + ".key")), &error);
        ASSERT_TRUE(key) << name << ": " << error;
        EXPECT_EQ(key->public_key()->subject_public_key_info(),
                  cert(std::string(name) + ".pem")->public_key().subject_public_key_info())
            << name;
    }
}

TEST_F(Openssl_credentials, chain_to_configured_CA_validates) {
    const auto ca = cert("ca.pem");
    for (const char* name : {"rsa.pem", "ec.pem", "ed.pem"}) {
        EXPECT_EQ(validate_chain(*cert(name), {}, {ca}), std::nullopt) << name;
    }
}

TEST_F(Openssl_credentials, certificate_from_another_CA_does_not_chain) {
    auto why = validate_chain(*cert("stranger.pem"), {}, {cert("ca.pem")});
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("does not chain to a configured CA"), std::string::npos) << *why;
    EXPECT_EQ(validate_chain(*cert("stranger.pem"), {}, {cert("other-ca.pem")}), std::nullopt);
}

TEST_F(Openssl_credentials, no_configured_CA_is_a_refusal) {
    EXPECT_EQ(validate_chain(*cert("rsa.pem"), {}, {}), std::string("no CA certificate configured"));
}

TEST_F(Openssl_credentials, certificate_is_not_valid_after_its_notAfter) {
    auto why = validate_chain(*cert("rsa.pem"), {}, {cert("ca.pem")},
                              std::chrono::system_clock::now() + std::chrono::hours(24 * 11));
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("expired"), std::string::npos) << *why;
}

TEST_F(Openssl_credentials, identity_matches_subjectAltName_and_subject_DN) {
    const auto c = cert("rsa.pem");
    EXPECT_TRUE(c->matches_identity(Id_type::ID_FQDN, bytes_of("a.example.test")));
    EXPECT_TRUE(c->matches_identity(Id_type::ID_FQDN, bytes_of("A.Example.TEST")));
    EXPECT_TRUE(c->matches_identity(Id_type::ID_RFC822_ADDR, bytes_of("alice@example.test")));
    EXPECT_TRUE(c->matches_identity(Id_type::ID_IPV4_ADDR, Bytes{192, 0, 2, 1}));
    EXPECT_TRUE(c->matches_identity(Id_type::ID_DER_ASN1_DN, c->subject_der()));
}

TEST_F(Openssl_credentials, identity_differing_from_the_certificate_is_refused) {
    const auto c = cert("rsa.pem");
    EXPECT_FALSE(c->matches_identity(Id_type::ID_FQDN, bytes_of("b.example.test")));
    EXPECT_FALSE(c->matches_identity(Id_type::ID_FQDN, bytes_of("a.example.test.evil")));
    EXPECT_FALSE(c->matches_identity(Id_type::ID_RFC822_ADDR, bytes_of("bob@example.test")));
    EXPECT_FALSE(c->matches_identity(Id_type::ID_IPV4_ADDR, Bytes{192, 0, 2, 2}));
    EXPECT_FALSE(c->matches_identity(Id_type::ID_IPV4_ADDR, Bytes{192, 0, 2}));
    EXPECT_FALSE(c->matches_identity(Id_type::ID_DER_ASN1_DN, cert("ec.pem")->subject_der()));
    EXPECT_FALSE(c->matches_identity(Id_type::ID_DER_ASN1_DN, Bytes{0x30, 0x05, 0x01}));  // truncated DER
    EXPECT_FALSE(c->matches_identity(Id_type::ID_KEY_ID, bytes_of("a.example.test")));
}

TEST(Certificate, garbage_is_refused_with_a_reason) {
    std::string error;
    EXPECT_EQ(parse_certificate(Bytes{}, &error), nullptr);
    EXPECT_FALSE(error.empty());
    EXPECT_EQ(parse_certificate(Bytes{0x30, 0x82, 0x01, 0x00, 0x30}, &error), nullptr);
    EXPECT_EQ(parse_certificate(bytes_of("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), &error),
              nullptr);
    EXPECT_EQ(parse_private_key(Bytes{0x30, 0x03, 0x02, 0x01, 0x00}, &error), nullptr);
    EXPECT_EQ(parse_private_key(bytes_of("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), &error),
              nullptr);
}

// Our issuer (used by the core tests) against our validator and against a second CA.
class Issued : public ::testing::Test {
protected:
    std::unique_ptr<Crypto_provider> rng = make_seeded_botan_provider(42);
};

TEST_F(Issued, intermediate_CA_chains_when_sent_along) {
    crypto::Certificate_request r;
    r.common_name = "Root";
    r.ca = true;
    auto root_key = crypto::generate_private_key(Key_algorithm::ECDSA_P256, *rng);
    auto root = crypto::self_sign(*root_key, r, *rng);
    r.common_name = "Intermediate";
    auto mid_key = crypto::generate_private_key(Key_algorithm::ECDSA_P256, *rng);
    auto mid = crypto::issue(*root, *root_key, *mid_key, r, *rng);
    crypto::Certificate_request ee_req;
    ee_req.common_name = "a.example.test";
    ee_req.dns = {"a.example.test"};
    auto ee_key = crypto::generate_private_key(Key_algorithm::Ed25519, *rng);
    auto ee = crypto::issue(*mid, *mid_key, *ee_key, ee_req, *rng);
    EXPECT_EQ(validate_chain(*ee, {mid}, {root}), std::nullopt);
    EXPECT_TRUE(validate_chain(*ee, {}, {root}));  // intermediate missing
    EXPECT_TRUE(ee->matches_identity(Id_type::ID_FQDN, bytes_of("a.example.test")));
    // the PEM we hand to other tools parses back to the same key
    auto again = parse_private_key(bytes_of(crypto::private_key_pem(*ee_key)));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->public_key()->subject_public_key_info(), ee->public_key().subject_public_key_info());
    auto cert_again = parse_certificate(bytes_of(crypto::certificate_pem(*ee)));
    ASSERT_TRUE(cert_again);
    EXPECT_EQ(cert_again->der(), ee->der());
}

TEST_F(Issued, end_entity_certificate_cannot_act_as_CA) {
    crypto::Certificate_request r;
    r.common_name = "Root";
    r.ca = true;
    auto root_key = crypto::generate_private_key(Key_algorithm::ECDSA_P256, *rng);
    auto root = crypto::self_sign(*root_key, r, *rng);
    crypto::Certificate_request leaf;
    leaf.common_name = "leaf";
    auto leaf_key = crypto::generate_private_key(Key_algorithm::ECDSA_P256, *rng);
    auto leaf_cert = crypto::issue(*root, *root_key, *leaf_key, leaf, *rng);
    EXPECT_FALSE(leaf_cert->is_ca());
    EXPECT_THROW(crypto::issue(*leaf_cert, *leaf_key, *leaf_key, leaf, *rng), std::invalid_argument);
}

}  // namespace
}  // namespace ike
