// The daemon's control socket: a Unix stream socket, one JSON request per line, one JSON reply
// per line. Requests: {"cmd":"initiate","connection":C,"child":N,"timeout":S},
// {"cmd":"list"}, {"cmd":"terminate","connection":C,"timeout":S},
// {"cmd":"create_child","connection":C,"child":N,"timeout":S},
// {"cmd":"rekey_child","connection":C,"spi_in":"8 hex","timeout":S},
// {"cmd":"rekey_ike","connection":C,"timeout":S},
// {"cmd":"delete_child","connection":C,"spi_in":"8 hex" (absent: the first),"timeout":S}.
// See Control_server::handle.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "src/io/sa_backend.hpp"
#include "src/io/udp_runtime.hpp"

namespace ike::daemon {

/// Default path of the control socket.
inline constexpr const char* default_control_path = "/run/ikeref/ikeref.sock";

class Control_server {
public:
    Control_server(boost::asio::io_context& io, io::Udp_runtime& runtime,
                   const io::Recording_backend& backend, std::string path);
    ~Control_server();
    Control_server(const Control_server&) = delete;
    Control_server& operator=(const Control_server&) = delete;

    /// Creates the parent directory if missing, replaces a stale socket file, listens.
    /// Throws std::runtime_error naming the path on failure.
    void start();
    void stop();

    /// Answers one request; `reply` is called exactly once, now (list, errors) or later
    /// (initiate: when the IKE SA is established or failed; the lifecycle commands when the
    /// Endpoint's SA list shows the outcome after a matching Sa_event; or after the timeout).
    /// Replies: {"ok":true,...} or {"ok":false,"error":text}; initiate adds
    /// "result":"established"|"failed"|"timeout", "SPIi","SPIr","child_installed".
    /// Lifecycle commands (RFC 7296 §1.3.1, §1.3.2, §1.3.3, §1.4.1), each refused at once
    /// ("error") when the connection has no established IKE SA or no such CHILD SA:
    ///   create_child: "result":"installed", "spi_in","spi_out" of the new CHILD SA;
    ///   rekey_child:  "result":"rekeyed", "old_spi_in", "spi_in","spi_out" (the old SA is gone
    ///                 and a new one of the same child is installed);
    ///   rekey_ike:    "result":"rekeyed", "old_SPIi","old_SPIr","SPIi","SPIr";
    ///   delete_child: "result":"deleted", "spi_in";
    ///   terminate:    "result":"deleted" (no IKE SA of the connection is left);
    /// or "ok":false with "result":"failed" (CHILD_SA_failed, IKE_SA_failed, the IKE SA gone,
    /// an error notify in the CREATE_CHILD_SA response) or "timeout" (default 30 s).
    void handle(const nlohmann::json& request, std::function<void(nlohmann::json)> reply);

private:
    struct Session;
    struct Waiter;
    struct Operation;
    void accept();
    void on_event(const Sa_event& ev);
    void on_trace(const Message_trace& tr);
    void start_operation(const std::string& cmd, const nlohmann::json& request,
                         std::function<void(nlohmann::json)> reply);
    void schedule_check(const std::string& connection, std::string failure);
    void check(Operation& op, const std::string& failure);
    void finish(const std::shared_ptr<Operation>& op, nlohmann::json result);

    boost::asio::io_context& io_;
    io::Udp_runtime& runtime_;
    const io::Recording_backend& backend_;
    std::string path_;
    struct Acceptor;
    std::unique_ptr<Acceptor> acceptor_;
    std::list<std::shared_ptr<Waiter>> waiters_;
    std::list<std::shared_ptr<Operation>> operations_;
    /// CHILD SAs already reported to a create_child request: several requests queued at once
    /// (§2.3) each get their own new CHILD SA.
    std::set<std::uint32_t> reported_new_;
    std::shared_ptr<bool> alive_;
};

/// Sends one request to the control socket at `path` and returns the reply. Throws
/// std::runtime_error when the socket cannot be reached, the reply is not JSON, or nothing
/// arrives within `timeout`.
nlohmann::json control_request(const std::string& path, const nlohmann::json& request,
                               std::chrono::seconds timeout);

}  // namespace ike::daemon
