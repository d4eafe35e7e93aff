// ikeref decode: the CLI front of src/io/capture (read, decode, print text or JSON lines).
#include "src/cli/decode.hpp"

#include <iostream>
#include <memory>

#include "ike/crypto_provider.hpp"
#include "src/io/capture.hpp"

namespace ike::cli {
namespace {

struct Decode_args {
    std::string file;
    std::vector<std::uint16_t> ports;
    std::string keys;
    bool json = false;
};

int run_decode(const Decode_args& a) {
    io::Decode_options options;
    options.extra_ports.insert(a.ports.begin(), a.ports.end());
    std::vector<io::Captured_packet> packets;
    try {
        if (!a.keys.empty()) options.keys = io::read_ikev2_decryption_table(a.keys);
        packets = io::read_capture(a.file);
    } catch (const std::exception& e) {
        std::cerr << "ikeref decode: " << e.what() << "\n";
        return 1;
    }
    const auto provider = make_botan_provider();
    nlohmann::json all = nlohmann::json::array();
    for (const auto& p : packets) {
        auto r = io::decode_packet(p, options, *provider);
        if (r.value("kind", std::string()) == "other") continue;
        if (a.json)
            all.push_back(std::move(r));
        else
            std::cout << io::render_text(r) << "\n";
    }
    if (a.json) std::cout << all.dump(1) << "\n";
    return 0;
}

}  // namespace

void add_decode_subcommand(CLI::App& app) {
    auto args = std::make_shared<Decode_args>();
    auto* sub = app.add_subcommand("decode", "show every IKE message of a pcap/pcapng capture");
    sub->add_option("file", args->file, "capture file (pcap or pcapng)")->required();
    sub->add_option("--port", args->ports, "UDP port carrying IKE besides 500 and 4500 (repeatable)");
    sub->add_option("--keys", args->keys, "Wireshark ikev2_decryption_table file: verify and decrypt SK");
    sub->add_flag("--json", args->json, "one JSON array of packet records");
    sub->callback([args]() {
        const int rc = run_decode(*args);
        if (rc != 0) throw CLI::RuntimeError(rc);
        throw CLI::Success();
    });
}

}  // namespace ike::cli
