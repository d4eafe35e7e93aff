// Authentication seam (RFC 7296 §2.15, §3.6–§3.8; RFC 7427; RFC 4945 §3.1): certificates made
// at test time by src/crypto/x509.hpp (whose output OpenSSL checks in tests/crypto), then IKE SAs
// established between two in-memory Endpoints with RSA, ECDSA P-256 and Ed25519, and each bad
// input refused with AUTHENTICATION_FAILED and a named reason. An ID_FQDN / ID_RFC822_ADDR
// holding a terminator (§3.5) is an invalid ID: AUTHENTICATION_FAILED (§2.21.2), in both roles.
// Requirements: 7296-3.5-s3, 7296-3.5-s4.
#include <gtest/gtest.h>

#include "src/core/authentication.hpp"
#include "src/crypto/auth_signature.hpp"
#include "src/crypto/x509.hpp"
#include "tests/support/peer_pair.hpp"

namespace ike::test {
namespace {

struct Credentials {
    std::shared_ptr<const Certificate> ca;
    std::shared_ptr<const Private_key> ca_key;
    std::shared_ptr<const Certificate> other_ca;  // unrelated CA
    std::shared_ptr<const Private_key> other_ca_key;
    std::map<std::pair<Key_algorithm, std::string>, std::pair<std::shared_ptr<const Certificate>,
                                                              std::shared_ptr<const Private_key>>> ee;
};

class Certificates : public ::testing::Test {
protected:
    static std::unique_ptr<Crypto_provider> rng;
    static Credentials creds;

    static std::shared_ptr<const Certificate> make_ca(const std::string& cn, std::shared_ptr<const Private_key>& key) {
        key = crypto::generate_private_key(Key_algorithm::ECDSA_P256, *rng);
        crypto::Certificate_request r;
        r.common_name = cn;
        r.ca = true;
        return crypto::self_sign(*key, r, *rng);
    }
    static void SetUpTestSuite() {
        rng = make_seeded_botan_provider(99);
        creds.ca = make_ca("ikeref Test CA", creds.ca_key);
        creds.other_ca = make_ca("Other CA", creds.other_ca_key);
        for (auto alg : {Key_algorithm::RSA, Key_algorithm::ECDSA_P256, Key_algorithm::Ed25519}) {
            for (std::string name : {"a.example.test", "b.example.test"}) {
                auto key = crypto::generate_private_key(alg, *rng);
                crypto::Certificate_request r;
                r.common_name = name;
                r.dns = {name};
                creds.ee[{alg, name}] = {crypto::issue(*creds.ca, *creds.ca_key, *key, r, *rng), key};
            }
        }
    }
    static void TearDownTestSuite() {
        creds = Credentials{};
        rng.reset();
    }

    /// make_config(side_a) switched to certificates of `alg`, trusting `ca`.
    static Config pubkey_config(bool side_a, Key_algorithm alg, std::shared_ptr<const Certificate> trust = nullptr) {
        Config c = make_config(side_a);
        auto& conn = c.connections[0];
        const std::string me = side_a ? "a.example.test" : "b.example.test";
        conn.local.auth = "pubkey";
        conn.local.certs = {creds.ee[{alg, me}].first};
        conn.local.private_key = creds.ee[{alg, me}].second;
        conn.remote.auth = "pubkey";
        conn.remote.cacerts = {trust ? trust : creds.ca};
        c.secrets.clear();  // no PSK to fall back on
        return c;
    }

    /// Runs the prove/verify seam once: a's IKE_AUTH payloads checked by b's config.
    std::optional<core::Auth_refusal> prove_and_verify(const Config& a, const Config& b,
                                                       std::vector<Hash_algorithm> hashes = {},
                                                       std::function<void(Message&)> tamper = nullptr,
                                                       Bytes verify_message = {}) {
        auto prf = rng->prf(Prf_id::PRF_HMAC_SHA2_256);
        const Bytes real_message = {1, 2, 3, 4}, nonce(32, 0x5a), SK_p(32, 0x11);
        core::Signed_octets_input ours{real_message, nonce, SK_p, hashes, rng.get()};
        Message m;
        m.payloads = core::prove_identity(*prf, a, a.connections[0], false, ours);
        if (tamper) tamper(m);
        const Bytes& rm = verify_message.empty() ? real_message : verify_message;
        core::Signed_octets_input peers{rm, nonce, SK_p};
        return core::verify_identity(*prf, b, b.connections[0], false, m, peers);
    }
};
std::unique_ptr<Crypto_provider> Certificates::rng;
Credentials Certificates::creds;

Auth_method method_of(const std::vector<Payload>& ps) {
    for (const auto& p : ps)
        if (p.type == Payload_type::AUTH) return std::get<Payload_AUTH>(p.body).method;
    return Auth_method::DSS_Digital_Signature;
}

TEST_F(Certificates, prove_identity_sends_IDi_CERT_AUTH_with_the_key_method) {
    auto prf = rng->prf(Prf_id::PRF_HMAC_SHA2_256);
    const Bytes x = {1}, n(16, 2), k(32, 3);
    const std::pair<Key_algorithm, Auth_method> classic[] = {
        {Key_algorithm::RSA, Auth_method::RSA_Digital_Signature},
        {Key_algorithm::ECDSA_P256, Auth_method::ECDSA_SHA256_P256},
        {Key_algorithm::Ed25519, Auth_method::Digital_Signature},  // RFC 8420: method 14 only
    };
    for (const auto& [alg, method] : classic) {
        Config a = pubkey_config(true, alg);
        auto ps = core::prove_identity(*prf, a, a.connections[0], false, {x, n, k, {}, rng.get()});
        ASSERT_EQ(ps.size(), 4u);
        EXPECT_EQ(ps[0].type, Payload_type::IDi);
        EXPECT_EQ(ps[1].type, Payload_type::CERT);
        const auto& cert = std::get<Payload_CERT>(ps[1].body);
        EXPECT_EQ(cert.encoding, Cert_encoding::X509_Certificate_Signature);  // 4
        // [7296-1.2-s1] [7296-3.6-s4] the first CERT is certs[0], the certificate of the key that signs AUTH.
        EXPECT_EQ(cert.data, a.connections[0].local.certs[0]->der());
        EXPECT_EQ(ps[2].type, Payload_type::CERTREQ);  // §1.2: the initiator's CERTREQ is in IKE_AUTH
        EXPECT_EQ(ps[3].type, Payload_type::AUTH);
        EXPECT_EQ(method_of(ps), method) << to_string(alg);
        // the responder sends no CERTREQ in IKE_AUTH
        auto psr = core::prove_identity(*prf, a, a.connections[0], true, {x, n, k, {}, rng.get()});
        ASSERT_EQ(psr.size(), 3u);
        EXPECT_EQ(psr[0].type, Payload_type::IDr);
        EXPECT_EQ(psr[2].type, Payload_type::AUTH);
        // with the peer's SIGNATURE_HASH_ALGORITHMS: Digital Signature (RFC 7427)
        auto ps14 = core::prove_identity(*prf, a, a.connections[0], false,
                                         {x, n, k, crypto::default_signature_hashes(), rng.get()});
        EXPECT_EQ(method_of(ps14), Auth_method::Digital_Signature) << to_string(alg);
    }
}

TEST_F(Certificates, verify_identity_accepts_every_kind_and_method) {
    for (auto alg : {Key_algorithm::RSA, Key_algorithm::ECDSA_P256, Key_algorithm::Ed25519}) {
        for (bool with_hashes : {false, true}) {
            const auto hashes = with_hashes ? crypto::default_signature_hashes() : std::vector<Hash_algorithm>{};
            EXPECT_EQ(prove_and_verify(pubkey_config(true, alg), pubkey_config(false, alg), hashes), std::nullopt)
                << to_string(alg) << (with_hashes ? " method 14" : " classic");
        }
    }
    // RSA-PSS
    Config a = pubkey_config(true, Key_algorithm::RSA);
    a.connections[0].local.rsa_pss = true;
    EXPECT_EQ(prove_and_verify(a, pubkey_config(false, Key_algorithm::RSA), crypto::default_signature_hashes()),
              std::nullopt);
}

TEST_F(Certificates, empty_signature_is_refused) {
    auto r = prove_and_verify(pubkey_config(true, Key_algorithm::ECDSA_P256), pubkey_config(false, Key_algorithm::ECDSA_P256),
                              {}, [](Message& m) {
                                  for (auto& p : m.payloads)
                                      if (p.type == Payload_type::AUTH) std::get<Payload_AUTH>(p.body).data.clear();
                              });
    ASSERT_TRUE(r);
    EXPECT_EQ(r->rule, "7296-2.15-auth-signature");
    EXPECT_EQ(r->text, "empty signature");
}

TEST_F(Certificates, signature_over_wrong_octets_is_refused) {
    for (auto alg : {Key_algorithm::RSA, Key_algorithm::ECDSA_P256, Key_algorithm::Ed25519}) {
        auto r = prove_and_verify(pubkey_config(true, alg), pubkey_config(false, alg), {}, nullptr, Bytes{1, 2, 3, 5});
        ASSERT_TRUE(r) << to_string(alg);
        EXPECT_EQ(r->rule, "7296-2.15-auth-signature");
        EXPECT_NE(r->text.find("does not verify"), std::string::npos) << r->text;
    }
}

TEST_F(Certificates, certificate_that_does_not_chain_is_refused) {
    auto r = prove_and_verify(pubkey_config(true, Key_algorithm::RSA),
                              pubkey_config(false, Key_algorithm::RSA, creds.other_ca));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->rule, "5280-6-path-validation");
    EXPECT_NE(r->text.find("does not chain to a configured CA"), std::string::npos) << r->text;
    EXPECT_NE(r->text.find("CN=a.example.test"), std::string::npos) << r->text;
}

TEST_F(Certificates, identity_differing_from_the_certificate_is_refused) {
    // a claims b.example.test's identity... no: a claims "c.example.test" with a's certificate,
    // and b is configured to expect c.example.test: the ID passes, the certificate does not back it.
    Config a = pubkey_config(true, Key_algorithm::ECDSA_P256);
    a.connections[0].local.id = Identity::parse("c.example.test");
    Config b = pubkey_config(false, Key_algorithm::ECDSA_P256);
    b.connections[0].remote.id = Identity::parse("c.example.test");
    auto r = prove_and_verify(a, b);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->rule, "4945-3.1-id-not-in-cert");
    EXPECT_NE(r->text.find("c.example.test"), std::string::npos) << r->text;
}

TEST_F(Certificates, missing_or_malformed_CERT_is_refused) {
    auto strip = [](Message& m) {
        m.payloads.erase(std::remove_if(m.payloads.begin(), m.payloads.end(),
                                        [](const Payload& p) { return p.type == Payload_type::CERT; }),
                         m.payloads.end());
    };
    auto r = prove_and_verify(pubkey_config(true, Key_algorithm::Ed25519), pubkey_config(false, Key_algorithm::Ed25519), {},
                              strip);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->rule, "7296-3.6-cert-missing");
    // a pinned peer certificate makes the CERT payload unnecessary
    Config b = pubkey_config(false, Key_algorithm::Ed25519);
    b.connections[0].remote.certs = {creds.ee[{Key_algorithm::Ed25519, "a.example.test"}].first};
    EXPECT_EQ(prove_and_verify(pubkey_config(true, Key_algorithm::Ed25519), b, {}, strip), std::nullopt);

    auto garble = [](Message& m) {
        for (auto& p : m.payloads)
            if (p.type == Payload_type::CERT) std::get<Payload_CERT>(p.body).data.resize(39);
    };
    r = prove_and_verify(pubkey_config(true, Key_algorithm::RSA), pubkey_config(false, Key_algorithm::RSA), {}, garble);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->rule, "7296-3.6-cert-malformed");
}

TEST_F(Certificates, psk_AUTH_where_certificates_are_configured_is_refused) {
    Config a = make_config(true);
    auto r = prove_and_verify(a, pubkey_config(false, Key_algorithm::RSA));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->rule, "7296-2.15-auth-method");
}

TEST_F(Certificates, IKE_SA_INIT_carries_hash_algorithms_and_the_responder_CERTREQ) {
    Config b = pubkey_config(false, Key_algorithm::RSA);
    auto ps = core::IKE_SA_INIT_auth_payloads(b, b.connections[0], true);
    ASSERT_EQ(ps.size(), 2u);
    const auto& n = std::get<Payload_N>(ps[0].body);
    EXPECT_EQ(n.type, static_cast<std::uint16_t>(Notify_type::SIGNATURE_HASH_ALGORITHMS));
    EXPECT_EQ(to_hex(n.data), "0002000300040005");
    EXPECT_EQ(ps[1].type, Payload_type::CERTREQ);
    const auto& req = std::get<Payload_CERTREQ>(ps[1].body);
    EXPECT_EQ(req.encoding, Cert_encoding::X509_Certificate_Signature);  // 4
    ASSERT_EQ(req.ca_hashes.size(), 1u);
    EXPECT_EQ(req.ca_hashes[0], creds.ca->public_key().spki_sha1());
    // the request (and the direction-blind form) carries no CERTREQ (§1.2)
    EXPECT_EQ(core::IKE_SA_INIT_auth_payloads(b, b.connections[0], false).size(), 1u);
    EXPECT_EQ(core::IKE_SA_INIT_auth_payloads(b, b.connections[0]).size(), 1u);
    // PSK: nothing
    Config p = make_config(false);
    EXPECT_TRUE(core::IKE_SA_INIT_auth_payloads(p, p.connections[0], true).empty());
    Message init;
    init.payloads = ps;
    EXPECT_EQ(core::signature_hashes_of(init), crypto::default_signature_hashes());
}

TEST_F(Certificates, have_credentials_needs_key_and_certificate) {
    Config a = pubkey_config(true, Key_algorithm::RSA);
    EXPECT_TRUE(core::have_credentials(a, a.connections[0]));
    a.connections[0].local.private_key.reset();
    EXPECT_FALSE(core::have_credentials(a, a.connections[0]));
}

// ---- two Endpoints ----------------------------------------------------------------------

void expect_established(const Peer_pair& p) {
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    ASSERT_EQ(p.a.keys.size(), 1u);
    ASSERT_EQ(p.b.keys.size(), 1u);
    EXPECT_EQ(p.a.keys[0].SK_pi.hex(), p.b.keys[0].SK_pi.hex());
    EXPECT_EQ(p.a.installed.size(), 1u);
    EXPECT_EQ(p.b.installed.size(), 1u);
}

TEST_F(Certificates, establishes_IKE_SA_with_RSA_certificates) {
    Peer_pair p(pubkey_config(true, Key_algorithm::RSA), pubkey_config(false, Key_algorithm::RSA));
    p.initiate();
    p.run();
    expect_established(p);
}

TEST_F(Certificates, establishes_IKE_SA_with_ECDSA_P256_certificates) {
    Peer_pair p(pubkey_config(true, Key_algorithm::ECDSA_P256), pubkey_config(false, Key_algorithm::ECDSA_P256));
    p.initiate();
    p.run();
    expect_established(p);
}

TEST_F(Certificates, establishes_IKE_SA_with_Ed25519_certificates) {
    Peer_pair p(pubkey_config(true, Key_algorithm::Ed25519), pubkey_config(false, Key_algorithm::Ed25519));
    p.initiate();
    p.run();
    expect_established(p);
}

TEST_F(Certificates, establishes_with_mixed_key_kinds) {
    Peer_pair p(pubkey_config(true, Key_algorithm::Ed25519), pubkey_config(false, Key_algorithm::RSA));
    p.initiate();
    p.run();
    expect_established(p);
}

TEST_F(Certificates, responder_refuses_certificate_from_untrusted_CA_with_AUTHENTICATION_FAILED) {
    Peer_pair p(pubkey_config(true, Key_algorithm::ECDSA_P256),
                pubkey_config(false, Key_algorithm::ECDSA_P256, creds.other_ca));
    p.initiate();
    p.run();
    EXPECT_FALSE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_FALSE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_TRUE(p.b.has_diagnostic("5280-6-path-validation")) << p.transcript();
    EXPECT_TRUE(p.b.installed.empty());
    EXPECT_NE(p.transcript().find("AUTHENTICATION_FAILED"), std::string::npos) << p.transcript();
}

TEST_F(Certificates, initiator_refuses_responder_identity_not_in_certificate) {
    Config b = pubkey_config(false, Key_algorithm::RSA);
    b.connections[0].local.id = Identity::parse("c.example.test");
    Config a = pubkey_config(true, Key_algorithm::RSA);
    a.connections[0].remote.id = Identity::parse("c.example.test");
    Peer_pair p(a, b);
    p.initiate();
    p.run();
    EXPECT_FALSE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_TRUE(p.a.has_diagnostic("4945-3.1-id-not-in-cert")) << p.transcript();
    EXPECT_TRUE(p.a.installed.empty());
}

// ---- Certificate validity at the Endpoint's time, not the system clock (sans-I/O) ---------------

// 2030-01-01T00:00:00Z and 2030-02-01T00:00:00Z (Unix time 1893456000 + 31 days).
const auto window_start = std::chrono::system_clock::from_time_t(1893456000);
const auto window_end = std::chrono::system_clock::from_time_t(1893456000 + 31 * 86400);

class Certificate_time : public ::testing::Test {
protected:
    static std::unique_ptr<Crypto_provider> rng;
    static std::shared_ptr<const Certificate> ca, a_cert, b_cert;
    static std::shared_ptr<const Private_key> a_key, b_key;

    static void SetUpTestSuite() {
        rng = make_seeded_botan_provider(2030);
        auto ca_key = crypto::generate_private_key(Key_algorithm::ECDSA_P256, *rng);
        crypto::Certificate_request r;
        r.common_name = "Window CA";
        r.ca = true;
        r.not_before = window_start - std::chrono::hours(24 * 365);
        r.not_after = window_end + std::chrono::hours(24 * 365);
        ca = crypto::self_sign(*ca_key, r, *rng);
        for (bool side_a : {true, false}) {
            auto key = crypto::generate_private_key(Key_algorithm::ECDSA_P256, *rng);
            crypto::Certificate_request e;
            e.common_name = side_a ? "a.example.test" : "b.example.test";
            e.dns = {e.common_name};
            e.not_before = window_start;  // valid only during January 2030
            e.not_after = window_end;
            (side_a ? a_cert : b_cert) = crypto::issue(*ca, *ca_key, *key, e, *rng);
            (side_a ? a_key : b_key) = key;
        }
    }
    static void TearDownTestSuite() {
        ca = a_cert = b_cert = nullptr;
        a_key = b_key = nullptr;
        rng.reset();
    }

    /// make_config(side_a) with the windowed certificates; `now == 0` is `at_zero`.
    static Config config(bool side_a, std::chrono::system_clock::time_point at_zero) {
        Config c = make_config(side_a);
        auto& conn = c.connections[0];
        conn.local.auth = "pubkey";
        conn.local.certs = {side_a ? a_cert : b_cert};
        conn.local.private_key = side_a ? a_key : b_key;
        conn.remote.auth = "pubkey";
        conn.remote.cacerts = {ca};
        c.secrets.clear();
        c.wall_clock_at_zero = at_zero;
        return c;
    }

    /// a's IKE_AUTH payloads checked by b's config at Endpoint time `now`.
    static std::optional<core::Auth_refusal> verify_at(const Config& b, std::optional<std::chrono::milliseconds> now) {
        const Config a = config(true, window_start);
        auto prf = rng->prf(Prf_id::PRF_HMAC_SHA2_256);
        const Bytes real_message = {1, 2, 3, 4}, nonce(32, 0x5a), SK_p(32, 0x11);
        core::Signed_octets_input ours{real_message, nonce, SK_p, {}, rng.get()};
        Message m;
        m.payloads = core::prove_identity(*prf, a, a.connections[0], false, ours);
        core::Signed_octets_input peers{real_message, nonce, SK_p};
        return core::verify_identity(*prf, b, b.connections[0], false, m, peers, now);
    }
};
std::unique_ptr<Crypto_provider> Certificate_time::rng;
std::shared_ptr<const Certificate> Certificate_time::ca, Certificate_time::a_cert, Certificate_time::b_cert;
std::shared_ptr<const Private_key> Certificate_time::a_key, Certificate_time::b_key;

using std::chrono::hours;
using std::chrono::milliseconds;

TEST_F(Certificate_time, certificate_time_is_the_wall_clock_at_zero_plus_now) {
    Config c = make_config(false);
    c.wall_clock_at_zero = window_start;
    EXPECT_EQ(core::certificate_time(c, milliseconds(1500)), window_start + milliseconds(1500));
    // Without a wall clock, or without `now`, only the system clock is left (the daemon's fallback).
    const auto before = std::chrono::system_clock::now();
    EXPECT_GE(core::certificate_time(c, std::nullopt), before);
    c.wall_clock_at_zero.reset();
    EXPECT_GE(core::certificate_time(c, milliseconds(1500)), before);
}

TEST_F(Certificate_time, accepted_at_a_now_inside_the_validity_window) {
    // now = 15 days after January 1st 2030 (the system clock is years away from the window).
    const Config b = config(false, window_start);
    EXPECT_FALSE(verify_at(b, std::chrono::duration_cast<milliseconds>(hours(24 * 15))));
    // The same instant reached from another epoch.
    const Config b2 = config(false, window_start + hours(24 * 10));
    EXPECT_FALSE(verify_at(b2, std::chrono::duration_cast<milliseconds>(hours(24 * 5))));
}

TEST_F(Certificate_time, refused_before_notBefore_and_after_notAfter) {
    const Config early = config(false, window_start - hours(1));
    auto r = verify_at(early, milliseconds(0));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->rule, "5280-6-path-validation");
    EXPECT_NE(r->text.find("not yet valid"), std::string::npos) << r->text;

    const Config late = config(false, window_end + hours(1));
    r = verify_at(late, milliseconds(0));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->rule, "5280-6-path-validation");
    EXPECT_NE(r->text.find("expired"), std::string::npos) << r->text;

    // One hour in, then `now` moves past the end: refused at the later now.
    const Config in = config(false, window_end - hours(1));
    EXPECT_FALSE(verify_at(in, milliseconds(0)));
    EXPECT_TRUE(verify_at(in, std::chrono::duration_cast<milliseconds>(hours(2))));
}

// Through two Endpoints: AUTHENTICATION_FAILED and the Diagnostic when the Endpoints' `now` lies
// outside the window, an IKE SA when it lies inside, whatever the system clock says (the IKE SA
// passes its `now` to verify_identity).
TEST_F(Certificate_time, Endpoints_establish_inside_the_window) {
    Peer_pair p(config(true, window_start + hours(24)), config(false, window_start + hours(24)));
    p.initiate();
    p.run();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
}

TEST_F(Certificate_time, Endpoints_refuse_outside_the_window_with_AUTHENTICATION_FAILED) {
    Peer_pair p(config(true, window_end + hours(24)), config(false, window_end + hours(24)));
    p.initiate();
    p.run();
    EXPECT_FALSE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_FALSE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_TRUE(p.b.has_diagnostic("5280-6-path-validation")) << p.transcript();
    EXPECT_NE(p.transcript().find("N(AUTHENTICATION_FAILED)"), std::string::npos) << p.transcript();
    EXPECT_TRUE(p.b.installed.empty());
}

// ---- §3.5: no terminators in ID_FQDN / ID_RFC822_ADDR ------------------------------------------

/// `text` as an identity of `type`, built without Identity::parse (which refuses terminators), so
/// that a peer that sends one can be played.
Identity raw_identity(Id_type type, const std::string& text) {
    Identity id;
    id.type = type;
    id.data.assign(text.begin(), text.end());
    return id;
}

/// The PSK pair of make_config with the initiator's identity (`initiator_side`) or the
/// responder's replaced by `id` on both ends and in the shared secret: only the §3.5 check can
/// refuse it (PSK look-up, identity match and AUTH would all succeed).
Peer_pair pair_with_identity(const Identity& id, bool initiator_side) {
    Config a = make_config(true), b = make_config(false);
    Config& owner = initiator_side ? a : b;
    Config& peer = initiator_side ? b : a;
    owner.connections[0].local.id = id;
    peer.connections[0].remote.id = id;
    const Identity other = Identity::parse(initiator_side ? "b.example.test" : "a.example.test");
    for (Config* c : {&a, &b}) c->secrets = {{{id, other}, "example-psk-0123456789abcdef"}};
    return Peer_pair(std::move(a), std::move(b));
}

// RFC 7296 §3.5 ID_FQDN: "The string MUST NOT contain any terminators (e.g., NULL, CR, etc.)";
// §2.21.2: "invalid ID" is one of the errors that "SHOULD result in an AUTHENTICATION_FAILED
// notification", returned in the protected response.
TEST(Identity_terminator, IDi_FQDN_with_CR_is_refused_with_AUTHENTICATION_FAILED) {
    Peer_pair p = pair_with_identity(raw_identity(Id_type::ID_FQDN, "a.example.test\r"), true);
    p.initiate();
    p.run();
    EXPECT_FALSE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_FALSE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_TRUE(p.b.installed.empty());
    EXPECT_TRUE(p.b.has_diagnostic("7296-3.5-s3")) << p.transcript();
    const auto refusals = p.b.ep->refusals();
    ASSERT_EQ(refusals.size(), 1u) << p.transcript();
    EXPECT_EQ(refusals[0].exchange, Exchange_type::IKE_AUTH);
    EXPECT_EQ(refusals[0].notify, Notify_type::AUTHENTICATION_FAILED);
    EXPECT_EQ(refusals[0].rule, "7296-3.5-s3");
    EXPECT_NE(refusals[0].text.find("CR (0x0d) at offset 14"), std::string::npos) << refusals[0].text;
}

// §3.5 ID_RFC822_ADDR: "The string MUST NOT contain any terminators."
TEST(Identity_terminator, IDi_RFC822_ADDR_with_NUL_is_refused_with_AUTHENTICATION_FAILED) {
    Peer_pair p = pair_with_identity(raw_identity(Id_type::ID_RFC822_ADDR, std::string("a@example.test\0", 15)), true);
    p.initiate();
    p.run();
    EXPECT_FALSE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    const auto refusals = p.b.ep->refusals();
    ASSERT_EQ(refusals.size(), 1u) << p.transcript();
    EXPECT_EQ(refusals[0].notify, Notify_type::AUTHENTICATION_FAILED);
    EXPECT_EQ(refusals[0].rule, "7296-3.5-s4");
    EXPECT_NE(refusals[0].text.find("NUL (0x00) at offset 14"), std::string::npos) << refusals[0].text;
}

// The initiator applies the same rule to IDr (§2.21.2: the error occurred on the initiator).
TEST(Identity_terminator, IDr_FQDN_with_LF_is_refused_by_the_initiator) {
    Peer_pair p = pair_with_identity(raw_identity(Id_type::ID_FQDN, "b.example\n.test"), false);
    p.initiate();
    p.run();
    EXPECT_FALSE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_TRUE(p.a.installed.empty());
    EXPECT_TRUE(p.a.has_diagnostic("7296-3.5-s3")) << p.transcript();
}

// Control: the same pair with a clean identity establishes, so the refusals above come from the
// terminator alone.
TEST(Identity_terminator, the_same_identity_without_terminator_establishes) {
    Peer_pair p = pair_with_identity(raw_identity(Id_type::ID_FQDN, "a.example.test"), true);
    p.initiate();
    p.run();
    EXPECT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
}

TEST(Identity_terminator, verify_identity_names_the_octet_and_the_rule) {
    auto rng = make_seeded_botan_provider(7);
    auto prf = rng->prf(Prf_id::PRF_HMAC_SHA2_256);
    Config b = make_config(false);
    Message m;
    Payload id;
    id.type = Payload_type::IDi;
    id.body = Payload_ID{Id_type::ID_FQDN, Bytes{'a', 0x0a, 'b'}};
    Payload auth;
    auth.type = Payload_type::AUTH;
    auth.body = Payload_AUTH{Auth_method::Shared_Key_Message_Integrity_Code, Bytes(32, 0)};
    m.payloads = {id, auth};
    const Bytes rm{1}, nonce(32, 1), SK_p(32, 2);
    auto r = core::verify_identity(*prf, b, b.connections[0], false, m, core::Signed_octets_input{rm, nonce, SK_p});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->rule, "7296-3.5-s3");
    EXPECT_EQ(r->text, "IDi ID_FQDN holds a terminator, LF (0x0a) at offset 1 (RFC 7296 §3.5)");
    // ID_KEY_ID is an opaque octet stream (§3.5): the same octets are no terminator there.
    std::get<Payload_ID>(m.payloads[0].body).id_type = Id_type::ID_KEY_ID;
    r = core::verify_identity(*prf, b, b.connections[0], false, m, core::Signed_octets_input{rm, nonce, SK_p});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->rule, "7296-2.15-identity");
}

}  // namespace
}  // namespace ike::test
