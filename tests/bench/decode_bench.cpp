// Google Benchmark: decoding cost of the codec (RFC 7296 §3) and of SK verification +
// decryption (§3.14) through core::unprotect. Not a test: prints numbers.
//   build/tests/bench/decode_bench [--benchmark_filter=...]
// Cases: a 222-octet IKE_SA_INIT request (SA{ENCR_AES_GCM_16/256, PRF_HMAC_SHA2_256,
// Curve25519}, KE, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP),
// N(IKEV2_FRAGMENTATION_SUPPORTED), N(SIGNATURE_HASH_ALGORITHMS)), and the 256-octet IKE_AUTH
// request of Wireshark's ikev2-decrypt-aes256cbc capture (AES-CBC-256, HMAC-SHA2-256-128),
// without and with decryption.
#include <benchmark/benchmark.h>

#include <stdexcept>

#include "ike/crypto_provider.hpp"
#include "src/codec/codec.hpp"
#include "src/core/sk_payload.hpp"
#include "src/io/capture.hpp"

namespace {

using namespace ike;

Bytes sa_init_222() {
    Message m;
    m.header.SPIi = 0x191ccd371a7a1f7bULL;
    m.header.flags = flag::Initiator;
    Proposal p;
    p.transforms = {Transform{Transform_type::ENCR, 20, 256, {}}, Transform{Transform_type::PRF, 5, {}, {}},
                    Transform{Transform_type::KE, 31, {}, {}}};
    Payload_N nat_s{Protocol_id::NONE, {}, 16388, Bytes(20, 0x11)};
    Payload_N nat_d{Protocol_id::NONE, {}, 16389, Bytes(20, 0x22)};
    Payload_N frag{Protocol_id::NONE, {}, 16430, {}};
    Payload_N sha{Protocol_id::NONE, {}, 16431, {0, 2, 0, 3, 0, 4}};
    m.payloads = {Payload{Payload_type::SA, false, Payload_SA{{p}}},
                  Payload{Payload_type::KE, false, Payload_KE{31, Bytes(32, 0x33)}},
                  Payload{Payload_type::Nonce, false, Payload_Nonce{Bytes(32, 0x44)}},
                  Payload{Payload_type::N, false, nat_s},
                  Payload{Payload_type::N, false, nat_d},
                  Payload{Payload_type::N, false, frag},
                  Payload{Payload_type::N, false, sha}};
    Bytes b = codec::encode_message(m);
    if (b.size() != 222) throw std::logic_error("IKE_SA_INIT is " + std::to_string(b.size()) + " octets, not 222");
    return b;
}

struct Ike_auth {
    Bytes datagram;
    io::Ike_key_row keys;
};

const Ike_auth& ike_auth_request() {
    static const Ike_auth a = [] {
        const std::string dir = std::string(IKEREF_SHARED_DIR) + "/testdata/wireshark-ikev2/";
        Ike_auth r;
        for (const auto& p : io::read_capture(dir + "ikev2-decrypt-aes256cbc.pcapng"))
            if (p.frame == 3) r.datagram = p.payload;
        for (const auto& k : io::read_ikev2_decryption_table(dir + "ikev2_decryption_table.csv"))
            if (k.SPIi == 0x191ccd371a7a1f7bULL) r.keys = k;
        if (r.datagram.size() != 256) throw std::runtime_error("aes256cbc frame 3 not found");
        return r;
    }();
    return a;
}

void BM_decode_IKE_SA_INIT_222(benchmark::State& state) {
    const Bytes b = sa_init_222();
    for (auto _ : state) {
        auto r = codec::decode_message(b);
        benchmark::DoNotOptimize(r);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * b.size()));
}
BENCHMARK(BM_decode_IKE_SA_INIT_222);

void BM_peek_header(benchmark::State& state) {
    const Bytes b = sa_init_222();
    for (auto _ : state) {
        auto h = codec::peek_header(b);
        benchmark::DoNotOptimize(h);
    }
}
BENCHMARK(BM_peek_header);

void BM_decode_IKE_AUTH_request_outer(benchmark::State& state) {
    const Bytes& b = ike_auth_request().datagram;
    for (auto _ : state) {
        auto r = codec::decode_message(b);
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(BM_decode_IKE_AUTH_request_outer);

void BM_decode_and_decrypt_IKE_AUTH_request(benchmark::State& state) {
    const auto& a = ike_auth_request();
    const auto provider = make_botan_provider();
    const auto cipher = provider->cipher(Encr_id::ENCR_AES_CBC, 256);
    const auto integ = provider->integrity(Integ_id::AUTH_HMAC_SHA2_256_128);
    core::Sk_keys keys{cipher.get(), integ.get(), Octets(a.keys.SK_ei), Octets(a.keys.SK_ai)};
    for (auto _ : state) {
        auto outer = codec::decode_message(a.datagram);
        auto inner = core::unprotect(a.datagram, codec::value(outer), keys);
        if (inner.index() != 0) state.SkipWithError("ICV did not verify");
        benchmark::DoNotOptimize(inner);
    }
}
BENCHMARK(BM_decode_and_decrypt_IKE_AUTH_request);

}  // namespace

BENCHMARK_MAIN();
