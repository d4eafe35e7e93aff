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
#include <set>
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

/// One lifecycle command waiting for its outcome (see handle()).
struct Control_server::Operation {
    explicit Operation(asio::io_context& io) : timer(io) {}
    std::string cmd, connection, child;
    std::uint32_t spi_in = 0;             ///< the CHILD SA rekeyed or deleted
    Spi SPIi = 0, SPIr = 0;               ///< the IKE SA when the command started
    std::set<std::uint32_t> before;       ///< spi_in of every CHILD SA when it started
    std::function<void(nlohmann::json)> reply;
    asio::steady_timer timer;
    bool done = false;
    bool check_posted = false;
};

namespace {

bool live(const Ike_sa_info& sa) { return sa.state != "Deleted" && sa.state != "Deleting"; }

bool is_established(const Ike_sa_info& sa) { return sa.state == "Established"; }

/// Whether the Endpoint takes a request on `sa`: established, or being rekeyed by us (the
/// request waits and moves to the new IKE SA, RFC 7296 §1.3.2).
bool takes_requests(const Ike_sa_info& sa) { return sa.state == "Established" || sa.state == "Rekeying"; }

/// The established IKE SA of `connection` (the newest when an IKE rekey left two); with
/// `takes_requests`, also one being rekeyed.
const Ike_sa_info* established(const std::vector<Ike_sa_info>& list, const std::string& connection,
                               bool (*state_ok)(const Ike_sa_info&) = is_established) {
    const Ike_sa_info* found = nullptr;
    for (const auto& sa : list)
        if (sa.connection == connection && state_ok(sa)) found = &sa;
    return found;
}

/// The IKE SA of `connection` taking requests that holds the CHILD SA `spi_in` (a connection
/// may have several IKE SAs: repeated initiate, unique = no, reauthentication), else the last one.
const Ike_sa_info* established_with_child(const std::vector<Ike_sa_info>& list, const std::string& connection,
                                          std::uint32_t spi_in) {
    for (const auto& sa : list) {
        if (sa.connection != connection || !takes_requests(sa)) continue;
        for (const auto& c : sa.children)
            if (c.spi_in == spi_in) return &sa;
    }
    return established(list, connection, takes_requests);
}

const Ike_sa_info::Child* child_of(const Ike_sa_info& sa, std::uint32_t spi_in) {
    for (const auto& c : sa.children)
        if (c.spi_in == spi_in) return &c;
    return nullptr;
}

bool parse_spi(const nlohmann::json& request, std::uint32_t& out, std::string& error) {
    if (!request.contains("spi_in") || request["spi_in"].is_null()) {
        out = 0;
        return true;
    }
    const auto& v = request["spi_in"];
    if (v.is_number_unsigned() && v.get<std::uint64_t>() <= 0xffffffffu) {
        out = static_cast<std::uint32_t>(v.get<std::uint64_t>());
        return true;
    }
    if (!v.is_string()) {
        error = "spi_in: expected 8 hex digits";
        return false;
    }
    std::string t = v.get<std::string>();
    if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) t = t.substr(2);
    if (t.empty() || t.size() > 8 ||
        t.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        error = "spi_in: expected up to 8 hex digits, got '" + v.get<std::string>() + "'";
        return false;
    }
    out = static_cast<std::uint32_t>(std::stoul(t, nullptr, 16));
    return true;
}

}  // namespace

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
    runtime_.add_trace_observer([this, alive](const Message_trace& tr) {
        if (auto a = alive.lock(); a && *a) on_trace(tr);
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
    {
        // A socket file a live daemon still answers on is not stale: taking it over would leave
        // that daemon (and its SAs) unreachable. A stale one from an earlier run is removed.
        boost::system::error_code probe_ec;
        stream::socket probe(io_);
        probe.connect(stream::endpoint(path_), probe_ec);
        if (!probe_ec)
            throw std::runtime_error("another ikeref daemon answers on " + path_ +
                                     ": stop it, or give this one its own --control SOCK");
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
    for (auto& op : operations_) op->timer.cancel();
    operations_.clear();
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
        } else if (cmd == "terminate" || cmd == "create_child" || cmd == "rekey_child" ||
                   cmd == "rekey_ike" || cmd == "reauth" || cmd == "delete_child") {
            start_operation(cmd, request, std::move(reply));
        } else {
            reply({{"ok", false},
                   {"error", "unknown cmd '" + cmd +
                                 "' (initiate, list, terminate, create_child, rekey_child, "
                                 "rekey_ike, reauth, delete_child)"}});
        }
    } catch (const std::exception& e) {
        reply({{"ok", false}, {"error", e.what()}});
    }
}

// IKE_SA_established answers after the rest of the same output batch has run, so a
// CHILD_SA_installed from the same IKE_AUTH exchange is reported too, before or after it.
void Control_server::on_event(const Sa_event& ev) {
    if (ev.kind == Sa_event_kind::CHILD_SA_failed)
        schedule_check(ev.connection, "CHILD_SA_failed" + (ev.detail.empty() ? "" : ": " + ev.detail));
    else if (ev.kind == Sa_event_kind::IKE_SA_failed)
        schedule_check(ev.connection, "IKE_SA_failed" + (ev.detail.empty() ? "" : ": " + ev.detail));
    else
        schedule_check(ev.connection, "");
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

void Control_server::start_operation(const std::string& cmd, const nlohmann::json& request,
                                     std::function<void(nlohmann::json)> reply) {
    const std::string connection = request.value("connection", "");
    const Connection_config* conn = runtime_.endpoint().config().find_connection(connection);
    if (conn == nullptr) {
        reply({{"ok", false}, {"error", "no connection '" + connection + "'"}});
        return;
    }
    auto op = std::make_shared<Operation>(io_);
    op->cmd = cmd;
    op->connection = connection;
    const auto list = runtime_.endpoint().list();
    const Ike_sa_info* sa = established(list, connection, cmd == "reauth" ? is_established : takes_requests);
    if (cmd == "rekey_child" || cmd == "delete_child") {
        std::uint32_t spi = 0;
        std::string ignored;
        if (parse_spi(request, spi, ignored) && spi != 0) sa = established_with_child(list, connection, spi);
    }
    if (cmd == "terminate") {
        if (std::none_of(list.begin(), list.end(),
                         [&](const Ike_sa_info& s) { return s.connection == connection; })) {
            reply({{"ok", false}, {"error", "no IKE SA of '" + connection + "'"}});
            return;
        }
    } else if (sa == nullptr) {
        reply({{"ok", false}, {"error", "no established IKE SA of '" + connection + "'"}});
        return;
    }
    if (sa != nullptr) {
        op->SPIi = sa->SPIi;
        op->SPIr = sa->SPIr;
        for (const auto& c : sa->children) op->before.insert(c.spi_in);
    }
    Input input;
    const Time now = io::steady_now();
    if (cmd == "create_child") {
        op->child = request.value("child", "");
        if (op->child.empty() && !conn->children.empty()) op->child = conn->children.front().name;
        if (std::none_of(conn->children.begin(), conn->children.end(),
                         [&](const Child_config& c) { return c.name == op->child; })) {
            reply({{"ok", false},
                   {"error", "connection '" + connection + "' has no child '" + op->child + "'"}});
            return;
        }
        input = Create_CHILD_SA{connection, op->child, now};
    } else if (cmd == "rekey_child" || cmd == "delete_child") {
        std::string error;
        if (!parse_spi(request, op->spi_in, error)) {
            reply({{"ok", false}, {"error", error}});
            return;
        }
        if (op->spi_in == 0 && !sa->children.empty()) op->spi_in = sa->children.front().spi_in;
        const Ike_sa_info::Child* c = child_of(*sa, op->spi_in);
        if (c == nullptr) {
            reply({{"ok", false},
                   {"error", "no CHILD SA with spi_in " + spi_hex(op->spi_in) + " in '" +
                                 connection + "'"}});
            return;
        }
        op->child = c->name;
        if (cmd == "rekey_child")
            input = Rekey_CHILD_SA{connection, op->spi_in, now};
        else
            input = Delete_CHILD_SA{connection, op->spi_in, now};
    } else if (cmd == "rekey_ike") {
        input = Rekey_IKE_SA{connection, now};
    } else if (cmd == "reauth") {
        input = Reauthenticate{connection, now};
    } else {
        input = Terminate{connection, now};
    }
    op->reply = std::move(reply);
    operations_.push_back(op);
    const double timeout = request.value("timeout", 30.0);
    op->timer.expires_after(std::chrono::milliseconds(
        static_cast<long long>(std::max(0.1, std::min(timeout, 3600.0)) * 1000.0)));
    std::shared_ptr<bool> alive = alive_;
    op->timer.async_wait([this, op, alive](const boost::system::error_code& ec) {
        if (ec || !*alive || op->done) return;
        finish(op, {{"ok", false}, {"result", "timeout"}});
    });
    runtime_.submit(std::move(input));
    schedule_check(connection, "");  // e.g. an input refused at once by the Endpoint
}

// Checks run after the whole output batch of the Endpoint (posted), on the SA list.
void Control_server::schedule_check(const std::string& connection, std::string failure) {
    for (auto& op : operations_) {
        if (op->done || op->connection != connection) continue;
        if (op->check_posted && failure.empty()) continue;
        op->check_posted = true;
        std::shared_ptr<Operation> o = op;
        std::shared_ptr<bool> alive = alive_;
        asio::post(io_, [this, o, alive, failure] {
            if (!*alive || o->done) return;
            o->check_posted = false;
            check(*o, failure);
        });
    }
}

void Control_server::check(Operation& op, const std::string& failure) {
    std::shared_ptr<Operation> self;
    for (auto& o : operations_)
        if (o.get() == &op) self = o;
    if (!self) return;
    const auto list = runtime_.endpoint().list();
    const Ike_sa_info* sa = established(list, op.connection);
    if (op.cmd == "rekey_child" || op.cmd == "delete_child") {
        for (const auto& s : list)  // the IKE SA the command started on, while it is there
            if (s.SPIi == op.SPIi && s.SPIr == op.SPIr && s.state == "Established") sa = &s;
    }
    nlohmann::json j{{"ok", true}};
    if (op.cmd == "terminate") {
        if (std::any_of(list.begin(), list.end(),
                        [&](const Ike_sa_info& s) { return s.connection == op.connection; }))
            return;
        j["result"] = "deleted";
        finish(self, std::move(j));
        return;
    }
    const bool any_live = std::any_of(list.begin(), list.end(), [&](const Ike_sa_info& s) {
        return s.connection == op.connection && live(s);
    });
    if (!failure.empty() || !any_live) {
        finish(self, {{"ok", false},
                      {"result", "failed"},
                      {"detail", failure.empty() ? "the IKE SA is gone" : failure}});
        return;
    }
    if (sa == nullptr) return;
    if (op.cmd == "rekey_ike" || op.cmd == "reauth") {
        const bool old_listed = std::any_of(list.begin(), list.end(), [&](const Ike_sa_info& s) {
            return s.SPIi == op.SPIi && s.SPIr == op.SPIr;
        });
        if (old_listed || (sa->SPIi == op.SPIi && sa->SPIr == op.SPIr)) return;
        j["result"] = op.cmd == "reauth" ? "reauthenticated" : "rekeyed";
        j["old_SPIi"] = spi_hex(op.SPIi);
        j["old_SPIr"] = spi_hex(op.SPIr);
        j["SPIi"] = spi_hex(sa->SPIi);
        j["SPIr"] = spi_hex(sa->SPIr);
        finish(self, std::move(j));
        return;
    }
    const Ike_sa_info::Child* fresh = nullptr;
    for (const auto& c : sa->children) {
        if (c.name != op.child || op.before.count(c.spi_in) != 0) continue;
        if (op.cmd == "create_child" && reported_new_.count(c.spi_in) != 0) continue;  // another request's
        fresh = &c;
        if (op.cmd == "create_child") break;
    }
    if (op.cmd == "create_child") {
        if (fresh == nullptr) return;
        j["result"] = "installed";
        // Forget reported SPIs that are gone, then claim this one.
        for (auto it = reported_new_.begin(); it != reported_new_.end();) {
            const bool alive = std::any_of(list.begin(), list.end(), [&](const Ike_sa_info& s) {
                return child_of(s, *it) != nullptr;
            });
            it = alive ? std::next(it) : reported_new_.erase(it);
        }
        reported_new_.insert(fresh->spi_in);
    } else if (op.cmd == "rekey_child") {
        if (child_of(*sa, op.spi_in) != nullptr) return;
        if (fresh == nullptr) {
            finish(self, {{"ok", false},
                          {"result", "failed"},
                          {"detail", "CHILD SA " + spi_hex(op.spi_in) + " deleted without a replacement"}});
            return;
        }
        j["result"] = "rekeyed";
        j["old_spi_in"] = spi_hex(op.spi_in);
    } else {  // delete_child
        if (child_of(*sa, op.spi_in) != nullptr) return;
        j["result"] = "deleted";
        j["spi_in"] = spi_hex(op.spi_in);
        finish(self, std::move(j));
        return;
    }
    j["spi_in"] = spi_hex(fresh->spi_in);
    j["spi_out"] = spi_hex(fresh->spi_out);
    j["SPIi"] = spi_hex(sa->SPIi);
    j["SPIr"] = spi_hex(sa->SPIr);
    finish(self, std::move(j));
}

void Control_server::finish(const std::shared_ptr<Operation>& op, nlohmann::json result) {
    if (op->done) return;
    op->done = true;
    op->timer.cancel();
    operations_.remove(op);
    result["cmd"] = op->cmd;
    result["connection"] = op->connection;
    op->reply(std::move(result));
}

// §2.21.3: an error notify in a CREATE_CHILD_SA response ends the exchange without a CHILD SA
// (INVALID_KE_PAYLOAD is retried by the Endpoint in the named group, §1.3).
void Control_server::on_trace(const Message_trace& tr) {
    if (operations_.empty() || tr.sent) return;
    if (tr.notation.rfind("CREATE_CHILD_SA response", 0) != 0) return;
    if (tr.notation.find("N(") == std::string::npos ||
        tr.notation.find("INVALID_KE_PAYLOAD") != std::string::npos ||
        tr.notation.find(" SA,") != std::string::npos || tr.notation.find("{ SA") != std::string::npos)
        return;
    for (auto& op : operations_)
        if (!op->done && op->cmd != "terminate" && op->cmd != "delete_child")
            schedule_check(op->connection, "peer answered " + tr.notation);
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
