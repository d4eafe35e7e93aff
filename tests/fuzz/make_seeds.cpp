// Writes the fuzz seed corpora: every UDP 500/4500 IKE message of the captures under a
// directory (decode_message corpus), and the initiator's requests of an in-memory PSK dialogue
// as [flags][length][datagram] records (responder corpus). Usage: fuzz_make_seeds CAPTURE_DIR OUT
#include <filesystem>
#include <fstream>
#include <iostream>

#include "src/io/capture.hpp"
#include "tests/support/peer_pair.hpp"

namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const ike::Bytes& b) {
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

void record(ike::Bytes& out, const ike::Bytes& d, bool nat_t) {
    out.push_back(nat_t ? 1 : 0);
    out.push_back(static_cast<std::uint8_t>(d.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(d.size()));
    out.insert(out.end(), d.begin(), d.end());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: fuzz_make_seeds CAPTURE_DIR OUT_DIR\n";
        return 2;
    }
    const fs::path out(argv[2]);
    fs::create_directories(out / "decode_message");
    fs::create_directories(out / "responder");
    int n = 0;
    for (const auto& e : fs::recursive_directory_iterator(argv[1])) {
        const auto ext = e.path().extension();
        if (!e.is_regular_file() || (ext != ".pcap" && ext != ".pcapng")) continue;
        try {
            for (const auto& p : ike::io::read_capture(e.path().string())) {
                if (p.ip_protocol != 17) continue;
                ike::Bytes m = p.payload;
                if ((p.src_port == 4500 || p.dst_port == 4500) && m.size() >= 4 && m[0] == 0 && m[1] == 0 &&
                    m[2] == 0 && m[3] == 0)
                    m.erase(m.begin(), m.begin() + 4);
                write(out / "decode_message" / ("capture-" + std::to_string(n++)), m);
            }
        } catch (const std::exception& ex) {
            std::cerr << e.path() << ": " << ex.what() << "\n";
        }
    }
    // The PSK dialogue: what the initiator sends to the responder (seed 2, make_config(false)).
    ike::test::Peer_pair pair(ike::test::make_config(true), ike::test::make_config(false), 1, 2);
    ike::Bytes seq;
    pair.filter = [&seq](const ike::test::In_flight& f) {
        if (f.to_b) record(seq, f.d.bytes, f.d.local.port == 4500);
        return true;
    };
    pair.initiate();
    pair.run();
    pair.terminate();
    pair.run();
    write(out / "responder" / "psk-dialogue", seq);
    int k = 0;
    for (const auto& b : pair.a.sent) {
        write(out / "decode_message" / ("peer-" + std::to_string(k++)), b);
        ike::Bytes one;
        record(one, b, false);
        write(out / "responder" / ("single-" + std::to_string(k)), one);
    }
    std::cout << n << " capture messages, " << k << " initiator datagrams\n";
    return 0;
}
