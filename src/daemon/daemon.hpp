// `ikeref daemon` and `ikeref demo`: wiring of config, Endpoint, Udp_runtime, backends,
// control socket and logging.
#pragma once

#include <string>

namespace ike::daemon {

/// spdlog to stderr (and to `log_file` when not empty, appending); level info, debug when
/// `verbose`. Throws std::runtime_error when the log file cannot be opened.
void setup_logging(const std::string& log_file, bool verbose);

struct Daemon_options {
    std::string config_path;                              ///< TOML, see config_toml.hpp
    std::string control_path = "/run/ikeref/ikeref.sock";
    std::string log_file;                                  ///< "" = stderr only
    bool verbose = false;
};

/// Runs until SIGINT/SIGTERM. Returns 0 after a signal, 2 for a bad config, 1 when sockets or
/// the control socket cannot be opened.
int run_daemon(const Daemon_options& options);

/// Initiator and responder Endpoints on 127.0.0.1 (responder UDP 15500/15600, initiator
/// 15501/15601) with a built-in PSK config (aes256gcm16-prfsha256-x25519, ESP aes256gcm16,
/// 10.1.0.0/24 === 10.2.0.0/24, log_keys on). Prints every message in STYLE.md notation, both
/// sides' SA listings, writes out_dir/demo.pcap, out_dir/ikev2_decryption_table and
/// out_dir/esp_sa, and prints a tshark command that shows the capture decrypted.
/// Returns 0 only when both sides report the IKE SA established and the CHILD SA installed
/// within 10 s.
int run_demo(const std::string& out_dir);

/// The built-in TOML configs of the demo (for tests and documentation).
std::string demo_initiator_toml();
std::string demo_responder_toml();

}  // namespace ike::daemon
