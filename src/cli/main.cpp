// ikeref command line (CLI11): daemon, initiate, list, terminate, rekey, create-child,
// delete-child (control socket clients),
// model (transition tables as DOT / markdown / JSON), demo.
#include <CLI/CLI.hpp>

#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>

#include "model/export_tables.hpp"
#include "src/cli/conform.hpp"
#include "src/cli/decode.hpp"
#include "src/daemon/control.hpp"
#include "src/daemon/daemon.hpp"
#include "src/daemon/sa_listing.hpp"

namespace {

/// Drops key material from a listing (`list` without --keys).
void strip_keys(nlohmann::json& listing) {
    if (!listing.contains("ike_sas")) return;
    for (auto& sa : listing["ike_sas"]) {
        sa.erase("keys");
        if (!sa.contains("children")) continue;
        for (auto& c : sa["children"])
            for (const char* k : {"encr_key_in", "integ_key_in", "encr_key_out", "integ_key_out"})
                c.erase(k);
    }
}

int client(const std::string& control, const nlohmann::json& request, int timeout_s,
           nlohmann::json& reply) {
    try {
        reply = ike::daemon::control_request(control, request, std::chrono::seconds(timeout_s));
    } catch (const std::exception& e) {
        std::cerr << "ikeref: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ikeref: IKEv2 (RFC 7296) as Boost.MSM transition tables"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "ikeref " IKEREF_VERSION);
    std::string control = ike::daemon::default_control_path;

    ike::daemon::Daemon_options daemon_options;
    auto* daemon = app.add_subcommand("daemon", "run the IKE daemon in the foreground");
    daemon->add_option("--config", daemon_options.config_path, "TOML config (swanctl vocabulary)")
        ->required();
    daemon->add_option("--control", daemon_options.control_path, "control socket path")->capture_default_str();
    daemon->add_option("--log", daemon_options.log_file, "also log to this file");
    daemon->add_flag("-v,--verbose", daemon_options.verbose, "debug logging");

    std::string conn, child;
    double timeout = 30;
    auto* initiate = app.add_subcommand("initiate", "start an IKE SA (and CHILD SA) and wait");
    initiate->add_option("connection", conn, "connection name")->required();
    initiate->add_option("--child", child, "CHILD SA name (default: the first)");
    initiate->add_option("--timeout", timeout, "seconds to wait (default 30)");
    initiate->add_option("--control", control, "control socket path");

    bool json = false, keys = false;
    auto* list = app.add_subcommand("list", "list IKE and CHILD SAs");
    list->add_flag("--json", json, "JSON output");
    list->add_flag("--keys", keys, "include keys (daemon needs log_keys = true)");
    list->add_option("--control", control, "control socket path");

    auto* terminate = app.add_subcommand("terminate", "delete the IKE SAs of a connection and wait");
    terminate->add_option("connection", conn, "connection name")->required();
    terminate->add_option("--timeout", timeout, "seconds to wait (default 30)");
    terminate->add_option("--control", control, "control socket path");

    // Lifecycle commands (RFC 7296 §1.3, §1.4.1): each waits for the outcome, exit 0 on success.
    bool rekey_ike = false;
    std::string spi;
    auto* rekey = app.add_subcommand("rekey", "rekey the IKE SA (--ike) or a CHILD SA (--child SPI) and wait");
    rekey->add_option("connection", conn, "connection name")->required();
    auto* rekey_ike_flag = rekey->add_flag("--ike", rekey_ike, "rekey the IKE SA (RFC 7296 §1.3.2)");
    auto* rekey_child_opt =
        rekey->add_option("--child", spi, "rekey the CHILD SA with this spi_in (hex, as in `list`; §1.3.3)");
    rekey_ike_flag->excludes(rekey_child_opt);
    bool reauth = false;
    auto* reauth_flag = rekey->add_flag("--reauth", reauth,
                                        "reauthenticate: a new IKE SA, then the old one deleted (RFC 7296 §2.8.3)");
    reauth_flag->excludes(rekey_child_opt);
    reauth_flag->excludes(rekey_ike_flag);
    rekey->add_option("--timeout", timeout, "seconds to wait (default 30)");
    rekey->add_option("--control", control, "control socket path");

    auto* create_child = app.add_subcommand("create-child", "create another CHILD SA on the IKE SA and wait");
    create_child->add_option("connection", conn, "connection name")->required();
    create_child->add_option("child", child, "CHILD SA name (config children.NAME)")->required();
    create_child->add_option("--timeout", timeout, "seconds to wait (default 30)");
    create_child->add_option("--control", control, "control socket path");

    auto* delete_child = app.add_subcommand("delete-child", "delete a CHILD SA and wait");
    delete_child->add_option("connection", conn, "connection name")->required();
    delete_child->add_option("spi", spi, "spi_in of the CHILD SA (hex, as in `list`; default: the first)");
    delete_child->add_option("--timeout", timeout, "seconds to wait (default 30)");
    delete_child->add_option("--control", control, "control socket path");

    std::string format = "dot";
    auto* model = app.add_subcommand("model", "print the transition tables");
    model->add_option("--format", format, "dot (default), markdown or json")
        ->check(CLI::IsMember({"dot", "markdown", "json"}));

    std::string out_dir = "ikeref-demo";
    auto* demo = app.add_subcommand("demo", "initiator and responder on 127.0.0.1, with capture");
    demo->add_option("--out", out_dir, "directory for demo.pcap and the key tables");

    ike::cli::add_decode_subcommand(app);
    ike::cli::add_conform_subcommand(app);
    // Usage errors exit 2 (as swanctl and most tools); a subcommand's own result (conform)
    // keeps its code. An unknown command is named as such, not "a subcommand is required".
    if (argc > 1 && argv[1][0] != '-') {
        try {
            app.get_subcommand(argv[1]);
        } catch (const CLI::OptionNotFound&) {
            std::cerr << "ikeref: unknown command '" << argv[1] << "' (ikeref --help lists them)\n";
            return 2;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::RuntimeError& e) {
        return e.get_exit_code();
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }

    if (daemon->parsed()) {
        try {
            ike::daemon::setup_logging(daemon_options.log_file, daemon_options.verbose);
        } catch (const std::exception& e) {
            std::cerr << "ikeref: " << e.what() << "\n";
            return 1;
        }
        return ike::daemon::run_daemon(daemon_options);
    }
    if (initiate->parsed()) {
        nlohmann::json req{{"cmd", "initiate"}, {"connection", conn}, {"timeout", timeout}};
        if (!child.empty()) req["child"] = child;
        nlohmann::json reply;
        if (int rc = client(control, req, static_cast<int>(timeout) + 5, reply)) return rc;
        std::cout << reply.dump() << "\n";
        return reply.value("ok", false) ? 0 : 1;
    }
    if (list->parsed()) {
        nlohmann::json reply;
        if (int rc = client(control, {{"cmd", "list"}}, 10, reply)) return rc;
        if (!reply.value("ok", false)) {
            std::cerr << "ikeref: " << reply.value("error", reply.dump()) << "\n";
            return 1;
        }
        reply.erase("ok");
        if (!keys) strip_keys(reply);
        if (json)
            std::cout << reply.dump(1) << "\n";
        else
            std::cout << ike::daemon::list_text(reply, keys);
        return 0;
    }
    if (terminate->parsed() || rekey->parsed() || create_child->parsed() || delete_child->parsed()) {
        nlohmann::json req{{"connection", conn}, {"timeout", timeout}};
        if (terminate->parsed()) {
            req["cmd"] = "terminate";
        } else if (create_child->parsed()) {
            req["cmd"] = "create_child";
            req["child"] = child;
        } else if (delete_child->parsed()) {
            req["cmd"] = "delete_child";
            if (!spi.empty()) req["spi_in"] = spi;
        } else if (reauth) {
            req["cmd"] = "reauth";
        } else if (rekey_ike) {
            req["cmd"] = "rekey_ike";
        } else if (!spi.empty()) {
            req["cmd"] = "rekey_child";
            req["spi_in"] = spi;
        } else {
            std::cerr << "ikeref: rekey needs --ike, --reauth or --child SPI\n";
            return 2;
        }
        nlohmann::json reply;
        if (int rc = client(control, req, static_cast<int>(timeout) + 5, reply)) return rc;
        std::cout << reply.dump() << "\n";
        return reply.value("ok", false) ? 0 : 1;
    }
    if (model->parsed()) {
        try {
            std::cout << ike::model::export_tables(format);
        } catch (const std::exception& e) {
            std::cerr << "ikeref: " << e.what() << "\n";
            return 1;
        }
        return 0;
    }
    if (demo->parsed()) {
        spdlog::set_level(spdlog::level::warn);  // the demo prints its own lines
        return ike::daemon::run_demo(out_dir);
    }
    return 2;
}
