// `ikeref demo`: an initiator and a responder Endpoint in one process and one io_context on
// 127.0.0.1, negotiating IKE_SA_INIT + IKE_AUTH (RFC 7296 §1.2) with a PSK; capture, key tables
// and the tshark command that shows the capture decrypted.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <utility>

#include "ike/crypto_provider.hpp"
#include "ike/endpoint.hpp"
#include "src/daemon/config_toml.hpp"
#include "src/daemon/daemon.hpp"
#include "src/daemon/sa_listing.hpp"
#include "src/io/pcap_writer.hpp"
#include "src/io/sa_backend.hpp"
#include "src/io/udp_runtime.hpp"

namespace ike::daemon {

namespace {

constexpr std::uint16_t responder_port = 15500;
constexpr std::uint16_t responder_nat_t_port = 15600;
constexpr std::uint16_t initiator_port = 15501;
constexpr std::uint16_t initiator_nat_t_port = 15601;

std::string demo_toml(bool initiator) {
    const std::uint16_t port = initiator ? initiator_port : responder_port;
    const std::uint16_t nat_t = initiator ? initiator_nat_t_port : responder_nat_t_port;
    const std::uint16_t peer = initiator ? responder_port : initiator_port;
    const std::uint16_t peer_nat_t = initiator ? responder_nat_t_port : initiator_nat_t_port;
    const char* lid = initiator ? "initiator.ikeref.test" : "responder.ikeref.test";
    const char* rid = initiator ? "responder.ikeref.test" : "initiator.ikeref.test";
    const char* lts = initiator ? "10.1.0.0/24" : "10.2.0.0/24";
    const char* rts = initiator ? "10.2.0.0/24" : "10.1.0.0/24";
    return "[daemon]\n"
           "ike_port = " + std::to_string(port) + "\n"
           "nat_t_port = " + std::to_string(nat_t) + "\n"
           "log_keys = true\n"
           "[daemon.retransmit]\n"
           "timeout = 1.0\n"
           "base = 1.5\n"
           "tries = 3\n"
           "[connections.demo]\n"
           "local_addrs  = [\"127.0.0.1\"]\n"
           "remote_addrs = [\"127.0.0.1\"]\n"
           "remote_port  = " + std::to_string(peer) + "\n"
           "remote_nat_t_port = " + std::to_string(peer_nat_t) + "\n"
           "proposals    = [\"aes256gcm16-prfsha256-x25519\"]\n"
           "[connections.demo.local]\n"
           "auth = \"psk\"\n"
           "id   = \"" + lid + "\"\n"
           "[connections.demo.remote]\n"
           "auth = \"psk\"\n"
           "id   = \"" + rid + "\"\n"
           "[connections.demo.children.net]\n"
           "local_ts      = [\"" + lts + "\"]\n"
           "remote_ts     = [\"" + rts + "\"]\n"
           "esp_proposals = [\"aes256gcm16\"]\n"
           "[secrets.ike-demo]\n"
           "id     = [\"initiator.ikeref.test\", \"responder.ikeref.test\"]\n"
           "secret = \"ikeref-demo-psk-not-for-production\"\n";
}

struct Side_status {
    bool established = false;
    bool child_installed = false;
    bool failed = false;
    std::string detail;
};

}  // namespace

std::string demo_initiator_toml() { return demo_toml(true); }
std::string demo_responder_toml() { return demo_toml(false); }

int run_demo(const std::string& out_dir) {
    std::error_code fs_ec;
    std::filesystem::create_directories(out_dir, fs_ec);
    if (fs_ec) {
        std::cerr << "cannot create " << out_dir << ": " << fs_ec.message() << "\n";
        return 1;
    }
    std::unique_ptr<Endpoint> initiator, responder;
    try {
        initiator = std::make_unique<Endpoint>(parse_config(demo_initiator_toml(), "demo-initiator.toml"),
                                               make_botan_provider());
        responder = std::make_unique<Endpoint>(parse_config(demo_responder_toml(), "demo-responder.toml"),
                                               make_botan_provider());
    } catch (const std::exception& e) {
        std::cerr << "demo config: " << e.what() << "\n";
        return 1;
    }
    io::Recording_backend initiator_sas, responder_sas;
    const std::string pcap_path = out_dir + "/demo.pcap";
    std::unique_ptr<io::Pcap_writer> pcap;
    try {
        pcap = std::make_unique<io::Pcap_writer>(pcap_path);
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
    boost::asio::io_context io;
    io::Udp_runtime ri(io, *initiator, initiator_sas, "initiator");
    io::Udp_runtime rr(io, *responder, responder_sas, "responder");
    ri.set_pcap(pcap.get());  // the initiator sends or receives every datagram of the demo

    // The sender's trace of each message: every message once, with its direction.
    ri.add_trace_observer([](const Message_trace& t) {
        if (t.sent) std::cout << "  initiator --> responder   " << t.notation << "\n";
    });
    rr.add_trace_observer([](const Message_trace& t) {
        if (t.sent) std::cout << "  initiator <-- responder   " << t.notation << "\n";
    });
    Side_status si, sr;
    bool timed_out = false;
    auto check_done = [&] {
        const bool done = (si.established && si.child_installed && sr.established &&
                           sr.child_installed) ||
                          si.failed || sr.failed;
        if (done) boost::asio::post(io, [&] { io.stop(); });
    };
    auto observe = [&](Side_status& s) {
        return [&s, &check_done](const Sa_event& ev) {
            switch (ev.kind) {
                case Sa_event_kind::IKE_SA_established: s.established = true; break;
                case Sa_event_kind::CHILD_SA_installed: s.child_installed = true; break;
                case Sa_event_kind::IKE_SA_failed:
                    s.failed = true;
                    s.detail = ev.detail;
                    break;
                case Sa_event_kind::IKE_SA_deleted:
                case Sa_event_kind::IKE_SA_rekeyed:
                case Sa_event_kind::CHILD_SA_deleted:
                case Sa_event_kind::CHILD_SA_failed: break;
            }
            check_done();
        };
    };
    ri.add_event_observer(observe(si));
    rr.add_event_observer(observe(sr));

    try {
        rr.start();
        ri.start();
    } catch (const std::exception& e) {
        std::cerr << "demo: " << e.what() << "\n";
        return 1;
    }
    boost::asio::steady_timer deadline(io, std::chrono::seconds(10));
    deadline.async_wait([&](const boost::system::error_code& ec) {
        if (ec) return;
        timed_out = true;
        io.stop();
    });
    std::cout << "ikeref demo: initiator 127.0.0.1:" << initiator_port
              << "  responder 127.0.0.1:" << responder_port
              << "  (PSK, aes256gcm16-prfsha256-x25519, ESP aes256gcm16)\n\n";
    boost::asio::post(io, [&] { ri.submit(Initiate{"demo", "net", io::steady_now()}); });
    io.run();
    deadline.cancel();

    std::cout << "\ninitiator SAs:\n" << list_json(ri, initiator_sas).dump(2) << "\n";
    std::cout << "\nresponder SAs:\n" << list_json(rr, responder_sas).dump(2) << "\n";
    ri.stop();
    rr.stop();
    pcap->flush();

    const std::string ike_table = out_dir + "/ikev2_decryption_table";
    const std::string esp_table = out_dir + "/esp_sa";
    try {
        initiator_sas.write_ikev2_decryption_table(ike_table);
        initiator_sas.write_esp_sa(esp_table);
    } catch (const std::exception& e) {
        std::cerr << "demo: " << e.what() << "\n";
    }
    // The two configurations, as files a user can start daemons from (ikeref daemon --config).
    const std::string initiator_toml = out_dir + "/initiator.toml", responder_toml = out_dir + "/responder.toml";
    for (const auto& [path, text] : {std::pair{initiator_toml, demo_initiator_toml()}, std::pair{responder_toml, demo_responder_toml()}}) {
        std::ofstream f(path);
        f << text;
        if (!f) std::cerr << "demo: cannot write " << path << "\n";
    }
    std::cout << "\nwrote " << pcap_path << " (" << pcap->records() << " datagrams), " << ike_table
              << ", " << esp_table << "\nthe configurations: " << initiator_toml << ", " << responder_toml
              << " (ikeref daemon --config FILE --control SOCK runs each)\n";
    for (const auto& [spis, keys] : initiator_sas.all_ike_keys()) {
        std::cout << "\nshow the capture decrypted:\n  tshark -r " << pcap_path
                  << " -d udp.port==" << responder_port << ",isakmp -o 'uat:ikev2_decryption_table:"
                  << io::ikev2_decryption_table_row(keys) << "' -V\n";
        break;
    }

    const bool ok = si.established && si.child_installed && sr.established && sr.child_installed;
    std::cout << "\ninitiator: IKE SA " << (si.established ? "established" : "NOT established")
              << ", CHILD SA " << (si.child_installed ? "installed" : "NOT installed")
              << (si.failed ? " (failed: " + si.detail + ")" : "") << "\n"
              << "responder: IKE SA " << (sr.established ? "established" : "NOT established")
              << ", CHILD SA " << (sr.child_installed ? "installed" : "NOT installed")
              << (sr.failed ? " (failed: " + sr.detail + ")" : "") << "\n";
    if (timed_out) std::cout << "demo: timed out after 10 s\n";
    std::cout << (ok ? "demo: OK" : "demo: FAILED") << "\n";
    return ok ? 0 : 1;
}

}  // namespace ike::daemon
