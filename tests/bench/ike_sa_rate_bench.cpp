// Benchmark (issue 4 item 6): IKE SAs per second through two in-memory Endpoints (no sockets,
// IKE_SA_INIT + IKE_AUTH with one CHILD SA), beside the ceiling computed from Botan's cost of the
// same primitives for both peers, measured in the same run.
//
// Suites: PSK + X25519 (aes128gcm16-prfsha256-x25519, ESP aes128gcm16) and ECDSA-P256
// certificates (same transforms, Auth Method 9, a CA and two end-entity certificates).
//
// Ceiling per IKE SA, both peers together (what the protocol cannot avoid):
//   X25519: 2 key generations + 2 agreements
//   HMAC-SHA2-256: 32 PRF calls (per side: SKEYSEED 1, prf+ of 168 octets of SK_* 6, AUTH 3 to
//                  make + 3 to check, prf+ of the CHILD SA's 72 octets 3)
//   AES-256-GCM: the IKE_AUTH request and response (about 300 octets), each sealed once, opened once
//   System RNG: SPIs, nonces, IVs (10 draws)
//   with certificates: 2 ECDSA-P256 signatures, 2 AUTH verifications with the peer's (new) key,
//                      2 certificate parses (decoding the peer's public key), 2 RFC 5280 path
//                      validations (Botan's x509_path_validate of the peer's certificate)
// Times are process CPU time (clock_gettime CLOCK_PROCESS_CPUTIME_ID).
// Usage: ike_sa_rate_bench [seconds per measurement, default 2] [psk|cert: only that suite's SA loop]
//        ike_sa_rate_bench SECONDS profile-psk|profile-cert   (the SA loop alone, for perf/callgrind)
#include <botan/auto_rng.h>
#include <botan/curve25519.h>
#include <botan/ecdsa.h>
#include <botan/aead.h>
#include <botan/mac.h>
#include <botan/pubkey.h>
#include <botan/system_rng.h>
#include <botan/certstor.h>
#include <botan/x509cert.h>
#include <botan/x509path.h>
#include <botan/data_src.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <cstdio>
#include <deque>
#include <functional>
#include <stdexcept>
#include <string>

#include "ike/endpoint.hpp"
#include "src/codec/proposal_keywords.hpp"
#include "src/crypto/x509.hpp"

namespace {

using namespace ike;
// Process CPU time, not wall time: the machine is shared, and preemption would otherwise land
// on whichever measurement happened to be running.
struct Clock {
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<Clock, duration>;
    static time_point now() {
        timespec ts{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return time_point(duration(std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec));
    }
};

Config make_config(bool initiator) {
    Config c;
    Connection_config conn;
    conn.name = "home";
    conn.local_addrs = {initiator ? "192.0.2.2" : "192.0.2.1"};
    conn.remote_addrs = {initiator ? "192.0.2.1" : "192.0.2.2"};
    std::string err;
    conn.proposals = {*codec::parse_proposal("aes128gcm16-prfsha256-x25519", Protocol_id::IKE, &err)};
    conn.local = {"psk", Identity::parse(initiator ? "a.example.test" : "b.example.test")};
    conn.remote = {"psk", Identity::parse(initiator ? "b.example.test" : "a.example.test")};
    Child_config child;
    child.name = "net";
    Traffic_selector net1{Ts_type::TS_IPV4_ADDR_RANGE, 0, 0, 65535, {10, 1, 0, 0}, {10, 1, 0, 255}};
    Traffic_selector net2{Ts_type::TS_IPV4_ADDR_RANGE, 0, 0, 65535, {10, 2, 0, 0}, {10, 2, 0, 255}};
    child.local_ts = {initiator ? net1 : net2};
    child.remote_ts = {initiator ? net2 : net1};
    child.esp_proposals = {*codec::parse_proposal("aes128gcm16", Protocol_id::ESP, &err)};
    conn.children.push_back(child);
    c.connections.push_back(conn);
    c.secrets.push_back({{Identity::parse("a.example.test"), Identity::parse("b.example.test")},
                         "example-psk-0123456789abcdef"});
    c.gate.cookies = Cookie_policy::never;
    c.gate.unprotected_per_second = 0;  // the clock stands still here: no §2.4 rate limit
    return c;
}

struct Certs {
    std::shared_ptr<const Certificate> ca, a, b;
    std::shared_ptr<const Private_key> a_key, b_key;
};

Certs make_certs() {
    auto rng = make_botan_provider();
    Certs c;
    auto ca_key = crypto::generate_private_key(Key_algorithm::ECDSA_P256, *rng);
    crypto::Certificate_request r;
    r.common_name = "Bench CA";
    r.ca = true;
    c.ca = crypto::self_sign(*ca_key, r, *rng);
    for (bool side_a : {true, false}) {
        auto key = crypto::generate_private_key(Key_algorithm::ECDSA_P256, *rng);
        crypto::Certificate_request e;
        e.common_name = side_a ? "a.example.test" : "b.example.test";
        e.dns = {e.common_name};
        auto cert = crypto::issue(*c.ca, *ca_key, *key, e, *rng);
        (side_a ? c.a : c.b) = cert;
        (side_a ? c.a_key : c.b_key) = key;
    }
    return c;
}

void use_certs(Config& c, bool initiator, const Certs& certs) {
    auto& conn = c.connections[0];
    conn.local.auth = "pubkey";
    conn.local.certs = {initiator ? certs.a : certs.b};
    conn.local.private_key = initiator ? certs.a_key : certs.b_key;
    conn.remote.auth = "pubkey";
    conn.remote.cacerts = {certs.ca};
    c.secrets.clear();
}

/// Two Endpoints; `establish()` runs one IKE SA (with its CHILD SA) to completion.
class Pair {
public:
    Pair(Config a, Config b)
        : a_(std::move(a), make_botan_provider()), b_(std::move(b), make_botan_provider()) {}

    bool establish() {
        established_ = 0;
        absorb(true, a_.handle(Initiate{"home", "", now_}));
        while (!wire_.empty()) {
            auto f = std::move(wire_.front());
            wire_.pop_front();
            Endpoint& to = f.first ? b_ : a_;
            absorb(!f.first, to.handle(Datagram_received{f.second.remote, f.second.local, std::move(f.second.bytes), now_}));
        }
        return established_ == 2;
    }
    std::size_t sas() const { return a_.ike_sa_count(); }

private:
    void absorb(bool from_a, Outputs out) {
        for (auto& o : out) {
            if (auto* d = std::get_if<Send_datagram>(&o)) wire_.emplace_back(from_a, std::move(*d));
            if (auto* e = std::get_if<Sa_event>(&o))
                if (e->kind == Sa_event_kind::IKE_SA_established) ++established_;
        }
    }
    Endpoint a_, b_;
    std::deque<std::pair<bool, Send_datagram>> wire_;
    Time now_{0};
    int established_ = 0;
};

/// Calls `f` repeatedly for about `seconds`; returns microseconds per call.
double per_call_us(double seconds, const std::function<void()>& f) {
    std::size_t n = 0;
    const auto t0 = Clock::now();
    auto t = t0;
    do {
        for (int i = 0; i < 16; ++i) f();
        n += 16;
        t = Clock::now();
    } while (std::chrono::duration<double>(t - t0).count() < seconds);
    return std::chrono::duration<double, std::micro>(t - t0).count() / double(n);
}

/// IKE SAs kept per pair of Endpoints before a fresh pair (IKEREF_BENCH_SAS_PER_PAIR, default 500).
std::size_t sas_per_pair() {
    static const std::size_t n = [] {
        const char* v = std::getenv("IKEREF_BENCH_SAS_PER_PAIR");
        const long x = v ? std::atol(v) : 500;
        return x > 0 ? static_cast<std::size_t>(x) : std::size_t{500};
    }();
    return n;
}

double sa_rate(double seconds, const Config& a, const Config& b, std::size_t& count) {
    // A fresh pair every 500 SAs keeps the SPI tables at a realistic size.
    std::unique_ptr<Pair> pair;
    count = 0;
    const auto t0 = Clock::now();
    auto t = t0;
    do {
        if (count % sas_per_pair() == 0) pair = std::make_unique<Pair>(a, b);
        if (!pair->establish()) throw std::runtime_error("IKE SA not established");
        ++count;
        t = Clock::now();
    } while (std::chrono::duration<double>(t - t0).count() < seconds);
    return double(count) / std::chrono::duration<double>(t - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::stod(argv[1]) : 2.0;
    Botan::System_RNG rng;
    const std::string mode = argc > 2 ? argv[2] : "";
    if (mode == "profile-psk" || mode == "profile-cert") {
        // Only the Endpoints' SA loop, for a profiler (perf, callgrind); no ceiling.
        Config a = make_config(true), b = make_config(false);
        if (mode == "profile-cert") {
            const Certs certs = make_certs();
            use_certs(a, true, certs);
            use_certs(b, false, certs);
        }
        std::size_t n = 0;
        const double rate = sa_rate(seconds, a, b, n);
        std::printf("%s: %.0f IKE SAs/s, %.1f us per SA (%zu SAs)\n", mode.c_str(), rate, 1e6 / rate, n);
        return 0;
    }

    // ---- Botan's cost of the primitives -----------------------------------------------
    Botan::X25519_PrivateKey peer(rng);
    const auto peer_pub = peer.public_value();
    const double x25519_keygen = per_call_us(seconds / 4, [&] { Botan::X25519_PrivateKey k(rng); });
    Botan::X25519_PrivateKey mine(rng);
    const double x25519_agree = per_call_us(seconds / 4, [&] {
        Botan::PK_Key_Agreement ka(mine, rng, "Raw");
        (void)ka.derive_key(0, peer_pub);
    });
    auto hmac = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
    const std::vector<std::uint8_t> key32(32, 1), msg(400, 2);
    const double hmac_us = per_call_us(seconds / 4, [&] {
        hmac->set_key(key32);
        hmac->update(msg.data(), 100);
        (void)hmac->final();
    });
    std::vector<std::uint8_t> key16(16, 3), nonce(12, 4);
    auto seal = Botan::AEAD_Mode::create_or_throw("AES-128/GCM(16)", Botan::ENCRYPTION);
    auto open = Botan::AEAD_Mode::create_or_throw("AES-128/GCM(16)", Botan::DECRYPTION);
    seal->set_key(key16);
    open->set_key(key16);
    Botan::secure_vector<std::uint8_t> sealed(msg.begin(), msg.begin() + 300);
    seal->set_associated_data(msg.data(), 28);
    seal->start(nonce);
    seal->finish(sealed);
    const double gcm_us = per_call_us(seconds / 4, [&] {
        Botan::secure_vector<std::uint8_t> b(msg.begin(), msg.begin() + 300);
        seal->set_associated_data(msg.data(), 28);
        seal->start(nonce);
        seal->finish(b);
        Botan::secure_vector<std::uint8_t> c = sealed;
        open->set_associated_data(msg.data(), 28);
        open->start(nonce);
        open->finish(c);
    });  // one seal + one open
    const double rng_us = per_call_us(seconds / 8, [&] {
        std::uint8_t b[32];
        rng.randomize(b, sizeof b);
    });
    const double psk_ceiling_us = 2 * x25519_keygen + 2 * x25519_agree + 32 * hmac_us + 2 * gcm_us + 10 * rng_us;

    const Certs certs = make_certs();
    Botan::ECDSA_PrivateKey ec(rng, Botan::EC_Group("secp256r1"));
    Botan::PK_Signer signer(ec, rng, "EMSA1(SHA-256)");
    const auto sig = signer.sign_message(msg, rng);
    const double ecdsa_sign = per_call_us(seconds / 4, [&] { (void)signer.sign_message(msg, rng); });
    // Each peer's key is new to the other side: the verifier (and its precomputation) is built
    // per IKE SA, so that is the primitive's cost here.
    const double ecdsa_verify = per_call_us(seconds / 4, [&] {
        Botan::PK_Verifier v(ec, "EMSA1(SHA-256)");
        (void)v.verify_message(msg, sig);
    });
    const auto der = certs.a->der();
    const auto ca_der = certs.ca->der();
    Botan::DataSource_Memory ca_src(ca_der.data(), ca_der.size());
    const Botan::X509_Certificate ca_cert(ca_src);
    Botan::Certificate_Store_In_Memory store;
    store.add_certificate(ca_cert);
    const double cert_parse = per_call_us(seconds / 4, [&] {
        Botan::DataSource_Memory src(der.data(), der.size());
        Botan::X509_Certificate c(src);
        std::unique_ptr<Botan::Public_Key> k(c.subject_public_key());
    });
    Botan::DataSource_Memory ee_src(der.data(), der.size());
    const Botan::X509_Certificate ee_cert(ee_src);
    // RFC 5280 path validation as Botan does it (end-entity signature, plus its own checks of the anchor)
    const double path_validate = per_call_us(seconds / 4, [&] {
        const auto r = Botan::x509_path_validate(ee_cert, Botan::Path_Validation_Restrictions(), store);
        if (!r.successful_validation()) throw std::runtime_error("bench certificate does not validate");
    });
    const double cert_ceiling_us = psk_ceiling_us + 2 * ecdsa_sign + 2 * ecdsa_verify + 2 * cert_parse + 2 * path_validate;

    std::printf("Botan primitive costs (us): X25519 keygen %.1f, X25519 agreement %.1f, HMAC-SHA256 %.2f, "
                "AES-128-GCM seal+open 300 B %.2f, RNG 32 B %.2f, ECDSA-P256 sign %.1f, verify (new key) %.1f, "
                "X.509 parse+key %.1f, path validation %.1f\n",
                x25519_keygen, x25519_agree, hmac_us, gcm_us, rng_us, ecdsa_sign, ecdsa_verify, cert_parse,
                path_validate);
    std::printf("ceiling per IKE SA, both peers: PSK + X25519 %.1f us, ECDSA-P256 certificates %.1f us\n",
                psk_ceiling_us, cert_ceiling_us);

    // The same steps through ikeref's wrappers (src/crypto), to see which one costs more than Botan.
    {
        auto provider = make_botan_provider();
        const Bytes tbs(msg.begin(), msg.end());
        const double our_parse = per_call_us(seconds / 8, [&] { (void)parse_certificate(der); });
        const double our_validate = per_call_us(seconds / 8, [&] {
            if (validate_chain(*certs.a, {}, {certs.ca})) throw std::runtime_error("bench certificate does not validate");
        });
        const Bytes our_sig = certs.a_key->sign(Signature_scheme::ECDSA_SHA256, tbs, *provider);
        const double our_sign = per_call_us(seconds / 8, [&] { (void)certs.a_key->sign(Signature_scheme::ECDSA_SHA256, tbs, *provider); });
        const double our_verify = per_call_us(seconds / 8, [&] {
            auto c = parse_certificate(der);  // a new key, as per IKE SA
            if (!c->public_key().verify(Signature_scheme::ECDSA_SHA256, tbs, our_sig)) throw std::runtime_error("verify");
        });
        std::printf("ikeref wrappers (us): parse_certificate %.1f, validate_chain %.1f, sign %.1f, parse + verify %.1f\n",
                    our_parse, our_validate, our_sign, our_verify);
    }

    // ---- the Endpoints -------------------------------------------------------------------
    struct Row {
        const char* name;
        Config a, b;
        double ceiling_us;
    };
    Config ca = make_config(true), cb = make_config(false);
    Config xa = ca, xb = cb;
    use_certs(xa, true, certs);
    use_certs(xb, false, certs);
    const Row rows[] = {{"PSK + X25519", ca, cb, psk_ceiling_us}, {"ECDSA-P256 certificates + X25519", xa, xb, cert_ceiling_us}};
    std::printf("%-34s %12s %12s %14s %8s\n", "suite (both peers, one thread)", "IKE SAs/s", "us per SA",
                "ceiling SAs/s", "ratio");
    const std::string only = argc > 2 ? argv[2] : "";
    for (const auto& r : rows) {
        if ((only == "psk" && &r != &rows[0]) || (only == "cert" && &r != &rows[1])) continue;
        std::size_t n = 0;
        const double rate = sa_rate(seconds, r.a, r.b, n);
        const double ceiling = 1e6 / r.ceiling_us;
        std::printf("%-34s %12.0f %12.1f %14.0f %8.2f   (%zu SAs)\n", r.name, rate, 1e6 / rate, ceiling,
                    rate / ceiling, n);
    }
    return 0;
}
