// The daemon's control socket: a Unix stream socket, one JSON request per line, one JSON reply
// per line. Requests: {"cmd":"initiate","connection":C,"child":N,"timeout":S},
// {"cmd":"list"}, {"cmd":"terminate","connection":C}. See Control_server::handle.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <list>
#include <memory>
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

    /// Answers one request; `reply` is called exactly once, now (list, terminate, errors) or
    /// later (initiate: when the IKE SA is established or failed, or after the timeout).
    /// Replies: {"ok":true,...} or {"ok":false,"error":text}; initiate adds
    /// "result":"established"|"failed"|"timeout", "SPIi","SPIr","child_installed".
    void handle(const nlohmann::json& request, std::function<void(nlohmann::json)> reply);

private:
    struct Session;
    struct Waiter;
    void accept();
    void on_event(const Sa_event& ev);

    boost::asio::io_context& io_;
    io::Udp_runtime& runtime_;
    const io::Recording_backend& backend_;
    std::string path_;
    struct Acceptor;
    std::unique_ptr<Acceptor> acceptor_;
    std::list<std::shared_ptr<Waiter>> waiters_;
    std::shared_ptr<bool> alive_;
};

/// Sends one request to the control socket at `path` and returns the reply. Throws
/// std::runtime_error when the socket cannot be reached, the reply is not JSON, or nothing
/// arrives within `timeout`.
nlohmann::json control_request(const std::string& path, const nlohmann::json& request,
                               std::chrono::seconds timeout);

}  // namespace ike::daemon
