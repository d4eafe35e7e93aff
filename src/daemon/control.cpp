// Control_server (asio local stream sockets) and the blocking client used by the CLI.
#include "src/daemon/control.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <istream>
#include <stdexcept>

#include "src/daemon/sa_listing.hpp"

namespace ike::daemon {

namespace asio = boost::asio;
using stream = asio::local::stream_protocol;

struct Control_server::Acceptor {
    explicit Acceptor(asio::io_context& io) : acceptor(io) {}
    stream::acceptor acceptor;
};

struct Control_server::Session : std::enable_shared_from_this<Session> {
    Session(stream::socket s, Control_server& owner, std::shared_ptr<bool> flag)
        : socket(std::move(s)), server(owner), alive(std::move(flag)) {}
    stream::socket socket;
    Control_server& server;
    std::shared_ptr<bool> alive;
    asio::streambuf in{1 << 20};  // a request line longer than 1 MiB ends the session
    std::string out;

    void read() {
        auto self = shared_from_this();
        asio::async_read_until(socket, in, '\n',
                               [self](const boost::system::error_code& ec, std::size_t) {
                                   if (ec || !*self->alive) return;
                                   std::istream is(&self->in);
                                   std::string line;
                                   std::getline(is, line);
                                   self->dispatch(line);
                               });
    }

    void dispatch(const std::string& line) {
        auto self = shared_from_this();
        auto reply = [self](nlohmann::json j) {
            if (!*self->alive) return;
            self->out = j.dump() + "\n";
            asio::async_write(self->socket, asio::buffer(self->out),
                              [self](const boost::system::error_code& ec, std::size_t) {
                                  if (!ec && *self->alive) self->read();
                              });
        };
        nlohmann::json request;
        try {
            request = nlohmann::json::parse(line);
        } catch (const std::exception& e) {
            reply({{"ok", false}, {"error", std::string("request is not JSON: ") + e.what()}});
            return;
        }
        server.handle(request, reply);
    }
};

struct Control_server::Waiter {
    explicit Waiter(asio::io_context& io) : timer(io) {}
    std::string connection;
    std::string child;
    std::function<void(nlohmann::json)> reply;
    asio::steady_timer timer;
    bool done = false;
    bool established = false;
    std::vector<Spi> children_of;  ///< SPIi of each CHILD_SA_installed seen (any order)
    Spi SPIi = 0, SPIr = 0;
};

Control_server::Control_server(asio::io_context& io, io::Udp_runtime& runtime,
                               const io::Recording_backend& backend, std::string path)
    : io_(io),
      runtime_(runtime),
      backend_(backend),
      path_(std::move(path)),
      alive_(std::make_shared<bool>(true)) {
    std::weak_ptr<bool> alive = alive_;
    runtime_.add_event_observer([this, alive](const Sa_event& ev) {
        if (auto a = alive.lock(); a && *a) on_event(ev);
    });
}

Control_server::~Control_server() {
    stop();
    *alive_ = false;
}

void Control_server::start() {
    const auto slash = path_.rfind('/');
    if (slash != std::string::npos && slash > 0) {
        const std::string dir = path_.substr(0, slash);
        if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST)
            throw std::runtime_error("cannot create " + dir + ": " + std::strerror(errno));
    }
    ::unlink(path_.c_str());  // a stale socket from an earlier run
    acceptor_ = std::make_unique<Acceptor>(io_);
    boost::system::error_code ec;
    acceptor_->acceptor.open(stream(), ec);
    if (!ec) acceptor_->acceptor.bind(stream::endpoint(path_), ec);
    if (!ec) acceptor_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("cannot listen on " + path_ + ": " + ec.message());
    ::chmod(path_.c_str(), 0660);
    spdlog::info("control socket {}", path_);
    accept();
}

void Control_server::stop() {
    if (acceptor_) {
        boost::system::error_code ec;
        acceptor_->acceptor.close(ec);
        acceptor_.reset();
        ::unlink(path_.c_str());
    }
    for (auto& w : waiters_) w->timer.cancel();
    waiters_.clear();
}

void Control_server::accept() {
    std::shared_ptr<bool> alive = alive_;
    acceptor_->acceptor.async_accept([this, alive](const boost::system::error_code& ec,
                                                   stream::socket s) {
        if (!*alive || ec == asio::error::operation_aborted || !acceptor_) return;
        if (!ec) std::make_shared<Session>(std::move(s), *this, alive)->read();
        accept();
    });
}

void Control_server::handle(const nlohmann::json& request,
                            std::function<void(nlohmann::json)> reply) {
    const std::string cmd = request.is_object() ? request.value("cmd", "") : "";
    try {
        if (cmd == "list") {
            nlohmann::json j = list_json(runtime_, backend_);
            j["ok"] = true;
            reply(std::move(j));
        } else if (cmd == "initiate") {
            const std::string connection = request.value("connection", "");
            const std::string child = request.value("child", "");
            const double timeout = request.value("timeout", 30.0);
            const Connection_config* conn = runtime_.endpoint().config().find_connection(connection);
            if (conn == nullptr) {
                reply({{"ok", false}, {"error", "no connection '" + connection + "'"}});
                return;
            }
            if (!child.empty() && std::none_of(conn->children.begin(), conn->children.end(),
                                               [&](const Child_config& c) { return c.name == child; })) {
                reply({{"ok", false},
                       {"error", "connection '" + connection + "' has no child '" + child + "'"}});
                return;
            }
            auto w = std::make_shared<Waiter>(io_);
            w->connection = connection;
            w->child = child;
            w->reply = std::move(reply);
            waiters_.push_back(w);
            w->timer.expires_after(std::chrono::milliseconds(
                static_cast<long long>(std::max(0.1, std::min(timeout, 3600.0)) * 1000.0)));
            std::shared_ptr<bool> alive = alive_;
            w->timer.async_wait([this, w, alive](const boost::system::error_code& ec) {
                if (ec || !*alive || w->done) return;
                w->done = true;
                waiters_.remove(w);
                w->reply({{"ok", false}, {"result", "timeout"}, {"connection", w->connection}});
            });
            runtime_.submit(Initiate{connection, child, io::steady_now()});
        } else if (cmd == "terminate") {
            const std::string connection = request.value("connection", "");
            if (runtime_.endpoint().config().find_connection(connection) == nullptr) {
                reply({{"ok", false}, {"error", "no connection '" + connection + "'"}});
                return;
            }
            runtime_.submit(Terminate{connection, io::steady_now()});
            reply({{"ok", true}, {"result", "terminating"}, {"connection", connection}});
        } else {
            reply({{"ok", false}, {"error", "unknown cmd '" + cmd + "' (initiate, list, terminate)"}});
        }
    } catch (const std::exception& e) {
        reply({{"ok", false}, {"error", e.what()}});
    }
}

// IKE_SA_established answers after the rest of the same output batch has run, so a
// CHILD_SA_installed from the same IKE_AUTH exchange is reported too, before or after it.
void Control_server::on_event(const Sa_event& ev) {
    for (auto& w : waiters_) {
        if (w->done || w->connection != ev.connection) continue;
        if (ev.kind == Sa_event_kind::CHILD_SA_installed) w->children_of.push_back(ev.SPIi);
        if (ev.kind != Sa_event_kind::IKE_SA_established && ev.kind != Sa_event_kind::IKE_SA_failed)
            continue;
        if (w->established) continue;
        w->SPIi = ev.SPIi;
        w->SPIr = ev.SPIr;
        const bool ok = ev.kind == Sa_event_kind::IKE_SA_established;
        w->established = ok;
        const std::string detail = ev.detail;
        std::shared_ptr<Waiter> waiter = w;
        std::shared_ptr<bool> alive = alive_;
        asio::post(io_, [this, waiter, ok, detail, alive] {
            if (!*alive || waiter->done) return;
            waiter->done = true;
            waiter->timer.cancel();
            waiters_.remove(waiter);
            nlohmann::json j{{"ok", ok},
                             {"result", ok ? "established" : "failed"},
                             {"connection", waiter->connection},
                             {"SPIi", spi_hex(waiter->SPIi)},
                             {"SPIr", spi_hex(waiter->SPIr)}};
            if (ok)
                j["child_installed"] = std::find(waiter->children_of.begin(),
                                                 waiter->children_of.end(),
                                                 waiter->SPIi) != waiter->children_of.end();
            if (!detail.empty()) j["detail"] = detail;
            waiter->reply(std::move(j));
        });
        if (!ok) w->established = true;  // answered (failed): take no further events
    }
}

nlohmann::json control_request(const std::string& path, const nlohmann::json& request,
                               std::chrono::seconds timeout) {
    asio::io_context io;
    stream::socket s(io);
    boost::system::error_code ec;
    s.connect(stream::endpoint(path), ec);
    if (ec) throw std::runtime_error("cannot connect to " + path + ": " + ec.message() +
                                     " (is `ikeref daemon` running? --control PATH)");
    timeval tv{};
    tv.tv_sec = static_cast<decltype(tv.tv_sec)>(timeout.count());
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const std::string line = request.dump() + "\n";
    asio::write(s, asio::buffer(line), ec);
    if (ec) throw std::runtime_error("cannot write to " + path + ": " + ec.message());
    asio::streambuf buf;
    asio::read_until(s, buf, '\n', ec);
    if (ec) throw std::runtime_error("no reply from " + path + ": " + ec.message());
    std::istream is(&buf);
    std::string reply;
    std::getline(is, reply);
    try {
        return nlohmann::json::parse(reply);
    } catch (const std::exception& e) {
        throw std::runtime_error("reply from " + path + " is not JSON: " + e.what());
    }
}

}  // namespace ike::daemon
