// libFuzzer target: a responder Endpoint (tests/support make_config, seeded Botan provider)
// fed arbitrary datagrams. Input: records of [flags (1)][length (2)][datagram]; flags bit 0
// sends on UDP 4500 (with whatever marker the datagram carries), bit 1 advances time by 1 s
// and fires nothing else. The seeds (make_seeds) replay a real initiator's IKE_SA_INIT,
// IKE_AUTH and INFORMATIONAL requests, so mutations reach the SK and exchange code.
#include <cstddef>
#include <cstdint>

#include "ike/crypto_provider.hpp"
#include "ike/endpoint.hpp"
#include "tests/support/peer_pair.hpp"

namespace {

const ike::Config& responder_config() {
    static const ike::Config c = ike::test::make_config(false);
    return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ike;
    Endpoint ep(responder_config(), make_seeded_botan_provider(2));
    const Address b500{{192, 0, 2, 1}, 500}, a500{{192, 0, 2, 2}, 500};
    const Address b4500{{192, 0, 2, 1}, 4500}, a4500{{192, 0, 2, 2}, 4500};
    std::size_t at = 0;
    Time now{0};
    for (int i = 0; i < 16 && at + 3 <= size; ++i) {
        const std::uint8_t flags = data[at];
        std::size_t len = (std::size_t{data[at + 1]} << 8) | data[at + 2];
        at += 3;
        if (len > size - at) len = size - at;
        if (flags & 2) now += Time(1000);
        Datagram_received d;
        d.local = (flags & 1) ? b4500 : b500;
        d.remote = (flags & 1) ? a4500 : a500;
        d.bytes.assign(data + at, data + at + len);
        d.now = now;
        (void)ep.handle(std::move(d));
        at += len;
    }
    return 0;
}
