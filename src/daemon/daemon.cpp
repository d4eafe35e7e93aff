// run_daemon: config -> Endpoint (Botan provider) -> Udp_runtime + Control_server; key files.
#include "src/daemon/daemon.hpp"

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <memory>
#include <optional>

#include "ike/crypto_provider.hpp"
#include "ike/endpoint.hpp"
#include "src/daemon/config_toml.hpp"
#include "src/daemon/control.hpp"
#include "src/io/sa_backend.hpp"
#include "src/io/udp_runtime.hpp"

namespace ike::daemon {

namespace {
/// How long the daemon waits, after SIGINT/SIGTERM, for the answers to its Deletes.
constexpr auto shutdown_grace = std::chrono::seconds(2);
}  // namespace

void setup_logging(const std::string& log_file, bool verbose) {
    std::vector<spdlog::sink_ptr> sinks;
    sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    if (!log_file.empty()) {
        try {
            sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(log_file, false));
        } catch (const spdlog::spdlog_ex& e) {
            throw std::runtime_error("cannot open log file " + log_file + ": " + e.what());
        }
    }
    auto logger = std::make_shared<spdlog::logger>("ikeref", sinks.begin(), sinks.end());
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
    logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
}

namespace {

/// Records CHILD SAs and, with log_keys and a key_dir, rewrites the Wireshark key tables in
/// key_dir after every change.
class Key_file_backend : public io::Sa_backend {
public:
    Key_file_backend(io::Recording_backend& inner, std::string dir)
        : inner_(inner), dir_(std::move(dir)) {}
    void install(const Child_sa& sa) override {
        inner_.install(sa);
        write();
    }
    void remove(const std::string& c, std::uint32_t in, std::uint32_t out) override {
        inner_.remove(c, in, out);
    }
    void ike_keys(const Keys_derived& k) override {
        inner_.ike_keys(k);
        write();
    }

private:
    void write() {
        if (dir_.empty()) return;
        try {
            inner_.write_ikev2_decryption_table(dir_ + "/ikev2_decryption_table");
            inner_.write_esp_sa(dir_ + "/esp_sa");
        } catch (const std::exception& e) {
            spdlog::warn("key export: {}", e.what());
        }
    }
    io::Recording_backend& inner_;
    std::string dir_;
};

}  // namespace

int run_daemon(const Daemon_options& options) {
    Daemon_settings settings;
    try {
        settings = load_settings(options.config_path);
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 2;
    }
    const bool log_keys = settings.config.log_keys;
    const std::uint16_t nat_t_port = settings.config.nat_t_port;
    std::optional<io::Impair_config> impair = std::move(settings.impair);
    // The runtime's `now` is the steady clock; certificates are checked in wall-clock time
    // (RFC 5280 §6.1.3): tell the Endpoint where its zero lies, once.
    settings.config.wall_clock_at_zero =
        std::chrono::system_clock::now() -
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::steady_clock::now().time_since_epoch());
    std::unique_ptr<Endpoint> endpoint;
    try {
        endpoint = std::make_unique<Endpoint>(std::move(settings.config), make_botan_provider());
    } catch (const std::exception& e) {
        spdlog::error("{}: {}", options.config_path, e.what());
        return 2;
    }
    io::Recording_backend recording;
    Key_file_backend backend(recording, log_keys ? settings.key_dir : std::string());
    boost::asio::io_context io;
    io::Udp_runtime runtime(io, *endpoint, backend, "ikeref");
    if (impair) runtime.set_impairer(std::make_unique<io::Impairer>(std::move(*impair), nat_t_port));
    Control_server control(io, runtime, recording, options.control_path);
    try {
        runtime.start();
        control.start();
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
    // SIGINT/SIGTERM: like charon, delete every established IKE SA first (INFORMATIONAL
    // Delete, RFC 7296 §1.4.1) so that the peers do not keep stale SAs, then stop; at most
    // shutdown_grace, or at once on a second signal.
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    boost::asio::steady_timer shutdown_timer(io);
    const auto stop_now = [&] {
        shutdown_timer.cancel();
        control.stop();
        runtime.stop();
        io.stop();
    };
    const auto closing = [&] {
        for (const auto& sa : endpoint->list())
            if (sa.state == "Established" || sa.state == "Rekeying" || sa.state == "Deleting") return true;
        return false;
    };
    std::function<void()> poll_shutdown;
    const auto deadline = std::make_shared<std::chrono::steady_clock::time_point>();
    poll_shutdown = [&] {
        if (!closing() || std::chrono::steady_clock::now() >= *deadline) {
            if (closing()) spdlog::warn("stopping with IKE SAs whose Delete was not answered");
            stop_now();
            return;
        }
        shutdown_timer.expires_after(std::chrono::milliseconds(50));
        shutdown_timer.async_wait([&](const boost::system::error_code& ec) {
            if (!ec) poll_shutdown();
        });
    };
    std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (*deadline != std::chrono::steady_clock::time_point{}) {
            spdlog::info("signal {} again: stopping now", sig);
            stop_now();
            return;
        }
        *deadline = std::chrono::steady_clock::now() + shutdown_grace;
        std::set<std::string> connections;
        for (const auto& sa : endpoint->list())
            if (sa.state == "Established" || sa.state == "Rekeying") connections.insert(sa.connection);
        spdlog::info("signal {}: deleting {} connection(s)' IKE SAs, then stopping", sig, connections.size());
        control.stop();
        for (const auto& c : connections) runtime.submit(Terminate{c, io::steady_now()});
        signals.async_wait(on_signal);
        poll_shutdown();
    };
    signals.async_wait(on_signal);
    spdlog::info("ikeref daemon running ({} connection(s), IKE port {}, NAT-T port {}{})",
                 endpoint->config().connections.size(), endpoint->config().ike_port,
                 endpoint->config().nat_t_port, log_keys ? ", log_keys" : "");
    io.run();
    return 0;
}

}  // namespace ike::daemon
