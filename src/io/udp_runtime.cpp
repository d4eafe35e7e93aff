// Udp_runtime: sockets via native recvmsg/sendmsg (IP_PKTINFO / IPV6_PKTINFO, so a wildcard
// socket still knows and chooses the local address the Endpoint sees: RFC 7296 §2.23 NAT
// detection hashes it), asio steady_timers, output dispatch.
#include "src/io/udp_runtime.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <stdexcept>

namespace ike::io {

namespace asio = boost::asio;
using asio::ip::udp;

Time steady_now() {
    return std::chrono::duration_cast<Time>(
        std::chrono::steady_clock::now().time_since_epoch());
}

std::string to_string(Sa_event_kind kind) {
    switch (kind) {
        case Sa_event_kind::IKE_SA_established: return "IKE_SA_established";
        case Sa_event_kind::CHILD_SA_installed: return "CHILD_SA_installed";
        case Sa_event_kind::IKE_SA_deleted: return "IKE_SA_deleted";
        case Sa_event_kind::IKE_SA_rekeyed: return "IKE_SA_rekeyed";
        case Sa_event_kind::CHILD_SA_deleted: return "CHILD_SA_deleted";
        case Sa_event_kind::CHILD_SA_failed: return "CHILD_SA_failed";
        case Sa_event_kind::IKE_SA_failed: return "IKE_SA_failed";
    }
    return "?";
}

struct Udp_runtime::Socket {
    explicit Socket(asio::io_context& io) : socket(io) {}
    udp::socket socket;
    Address bound;      ///< ip empty when bound to the wildcard address
    bool v6 = false;
};

struct Udp_runtime::Timer {
    explicit Timer(asio::io_context& io) : timer(io) {}
    asio::steady_timer timer;
    std::uint64_t generation = 0;
};

namespace {

bool to_sockaddr(const Address& a, sockaddr_storage& ss, socklen_t& len) {
    std::memset(&ss, 0, sizeof ss);
    if (a.ip.size() == 4) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
        sin->sin_family = AF_INET;
        sin->sin_port = htons(a.port);
        std::memcpy(&sin->sin_addr, a.ip.data(), 4);
        len = sizeof(sockaddr_in);
        return true;
    }
    if (a.ip.size() == 16) {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(a.port);
        std::memcpy(&sin6->sin6_addr, a.ip.data(), 16);
        len = sizeof(sockaddr_in6);
        return true;
    }
    return false;
}

Address from_sockaddr(const sockaddr_storage& ss) {
    Address a;
    if (ss.ss_family == AF_INET) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
        const auto* p = reinterpret_cast<const std::uint8_t*>(&sin->sin_addr);
        a.ip.assign(p, p + 4);
        a.port = ntohs(sin->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
        const auto* p = reinterpret_cast<const std::uint8_t*>(&sin6->sin6_addr);
        a.ip.assign(p, p + 16);
        a.port = ntohs(sin6->sin6_port);
    }
    return a;
}

spdlog::level::level_enum level(Severity s) {
    switch (s) {
        case Severity::debug: return spdlog::level::debug;
        case Severity::info: return spdlog::level::info;
        case Severity::warning: return spdlog::level::warn;
        case Severity::error: return spdlog::level::err;
    }
    return spdlog::level::info;
}

}  // namespace

Udp_runtime::Udp_runtime(asio::io_context& io, Endpoint& endpoint, Sa_backend& backend,
                         std::string name)
    : io_(io), endpoint_(endpoint), backend_(backend), name_(std::move(name)) {}

Udp_runtime::~Udp_runtime() { stop(); }

void Udp_runtime::start() {
    stopped_ = false;
    const Config& c = endpoint_.config();
    std::set<std::string> ips;
    bool wildcard = c.connections.empty();
    for (const auto& conn : c.connections) {
        if (conn.local_addrs.empty()) wildcard = true;
        for (const auto& ip : conn.local_addrs) ips.insert(ip);
    }
    for (const std::uint16_t port : {c.ike_port, c.nat_t_port}) {
        for (const auto& ip : ips) bind(ip, port);
        if (wildcard) {
            bind("0.0.0.0", port);
            try {
                bind("::", port);
            } catch (const std::exception& e) {
                spdlog::warn("[{}] no IPv6 wildcard socket: {}", name_, e.what());
            }
        }
    }
}

void Udp_runtime::bind(const std::string& ip, std::uint16_t port) {
    auto s = std::make_unique<Socket>(io_);
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(ip, ec);
    if (ec) throw std::runtime_error("cannot bind " + ip + ": not an IP address");
    const udp::endpoint ep(addr, port);
    s->v6 = addr.is_v6();
    s->socket.open(ep.protocol(), ec);
    if (!ec && s->v6) s->socket.set_option(asio::ip::v6_only(true), ec);
    if (!ec) s->socket.bind(ep, ec);
    if (ec)
        throw std::runtime_error("cannot bind UDP " + ip + " port " + std::to_string(port) +
                                 ": " + ec.message());
    s->socket.non_blocking(true, ec);
    const int on = 1;
    const int fd = s->socket.native_handle();
    if (addr.is_unspecified()) {
        if (s->v6)
            ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
        else
            ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
    } else {
        s->bound = *Address::parse_ip(ip, port);
    }
    s->bound.port = port;
    spdlog::info("[{}] listening on UDP {}{}", name_,
                 s->bound.ip.empty() ? (s->v6 ? "[::]:" : "0.0.0.0:") : "",
                 s->bound.ip.empty() ? std::to_string(port) : s->bound.to_string());
    sockets_.push_back(std::move(s));
    receive(*sockets_.back());
}

void Udp_runtime::receive(Socket& s) {
    Socket* sp = &s;
    s.socket.async_wait(udp::socket::wait_read, [this, sp](const boost::system::error_code& ec) {
        if (ec) return;  // closed (stop) or aborted: `this` may be gone
        drain(*sp);
        if (!stopped_ && sp->socket.is_open()) receive(*sp);
    });
}

void Udp_runtime::drain(Socket& s) {
    std::vector<std::uint8_t> buf(65536);
    for (int budget = 64; budget > 0 && s.socket.is_open(); --budget) {
        sockaddr_storage from{};
        alignas(cmsghdr) unsigned char control[256];
        iovec iov{buf.data(), buf.size()};
        msghdr msg{};
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        const ssize_t n = ::recvmsg(s.socket.native_handle(), &msg, MSG_DONTWAIT);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                spdlog::warn("[{}] recvmsg: {}", name_, std::strerror(errno));
            return;
        }
        if ((msg.msg_flags & MSG_TRUNC) != 0) continue;  // larger than any IKE datagram we take
        Datagram_received d;
        d.remote = from_sockaddr(from);
        d.local = s.bound;
        if (d.local.ip.empty()) {
            for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                    in_pktinfo info{};
                    std::memcpy(&info, CMSG_DATA(c), sizeof info);
                    const auto* p = reinterpret_cast<const std::uint8_t*>(&info.ipi_addr);
                    d.local.ip.assign(p, p + 4);
                } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
                    in6_pktinfo info{};
                    std::memcpy(&info, CMSG_DATA(c), sizeof info);
                    const auto* p = reinterpret_cast<const std::uint8_t*>(&info.ipi6_addr);
                    d.local.ip.assign(p, p + 16);
                }
            }
        }
        d.bytes.assign(buf.begin(), buf.begin() + n);
        d.now = steady_now();
        if (pcap_ != nullptr) pcap_->write(d.remote, d.local, Octets(d.bytes));
        deliver(std::move(d));
    }
    // Budget spent with data still queued: the next async_wait fires at once.
}

void Udp_runtime::deliver(Datagram_received d) {
    if (!impairer_) {
        submit(std::move(d));
        return;
    }
    Impair_packet p{false, std::move(d.local), std::move(d.remote), std::move(d.bytes)};
    carry_out(impairer_->pass(std::move(p), d.now));
}

void Udp_runtime::set_impairer(std::unique_ptr<Impairer> impairer) {
    impairer_ = std::move(impairer);
    if (impairer_)
        spdlog::warn("[{}] impairing transport ON ({} rule(s), seed {}): TEST ONLY", name_,
                     impairer_->config().rules.size(), impairer_->config().seed);
}

// What the Impairer let through or released: outbound to the socket, inbound to the Endpoint.
void Udp_runtime::carry_out(std::vector<Impair_packet> packets) {
    if (impairer_)
        for (const auto& n : impairer_->take_notes()) spdlog::info("[{}] impair: {}", name_, n);
    for (auto& p : packets) {
        if (stopped_) break;
        if (p.outbound)
            send_now(Send_datagram{std::move(p.local), std::move(p.remote), std::move(p.bytes)});
        else
            submit(Datagram_received{std::move(p.local), std::move(p.remote), std::move(p.bytes),
                                     steady_now()});
    }
    rearm_impair_timer();
}

void Udp_runtime::rearm_impair_timer() {
    if (!impairer_ || stopped_) return;
    const auto at = impairer_->next_deadline();
    if (!impair_timer_) impair_timer_ = std::make_unique<Timer>(io_);
    impair_timer_->timer.cancel();
    if (!at) return;
    const std::uint64_t generation = ++impair_timer_->generation;
    impair_timer_->timer.expires_at(asio::steady_timer::time_point(
        std::chrono::duration_cast<asio::steady_timer::duration>(*at)));
    impair_timer_->timer.async_wait([this, generation](const boost::system::error_code& ec) {
        if (ec || stopped_ || !impair_timer_ || impair_timer_->generation != generation) return;
        carry_out(impairer_->expire(steady_now()));
    });
}

void Udp_runtime::submit(Input input) {
    Outputs outs = endpoint_.handle(std::move(input));
    for (auto& o : outs) execute(o);
}

void Udp_runtime::execute(Output& out) {
    if (auto* d = std::get_if<Send_datagram>(&out)) {
        send(*d);
    } else if (auto* t = std::get_if<Arm_timer>(&out)) {
        arm(*t);
    } else if (auto* ct = std::get_if<Cancel_timer>(&out)) {
        cancel(ct->id);
    } else if (auto* ins = std::get_if<Install_child_sa>(&out)) {
        const Child_sa& sa = ins->sa;
        spdlog::info("[{}] install CHILD SA {}/{} spi_in {:08x} spi_out {:08x}{}", name_,
                     sa.connection, sa.child, sa.spi_in, sa.spi_out,
                     sa.udp_encapsulation ? " (UDP-encapsulated)" : "");
        backend_.install(sa);
    } else if (auto* rm = std::get_if<Remove_child_sa>(&out)) {
        spdlog::info("[{}] remove CHILD SA {} spi_in {:08x} spi_out {:08x}", name_, rm->connection,
                     rm->spi_in, rm->spi_out);
        backend_.remove(rm->connection, rm->spi_in, rm->spi_out);
    } else if (auto* ev = std::get_if<Sa_event>(&out)) {
        spdlog::log(ev->kind == Sa_event_kind::IKE_SA_failed ? spdlog::level::warn
                                                             : spdlog::level::info,
                    "[{}] {} {} SPIi {:016x} SPIr {:016x}{}{}", name_, to_string(ev->kind),
                    ev->connection, ev->SPIi, ev->SPIr, ev->detail.empty() ? "" : ": ",
                    ev->detail);
        for (auto& f : event_observers_) f(*ev);
    } else if (auto* k = std::get_if<Keys_derived>(&out)) {
        backend_.ike_keys(*k);
        ike_keys_[{k->SPIi, k->SPIr}] = std::move(*k);
    } else if (auto* tr = std::get_if<Message_trace>(&out)) {
        spdlog::info("[{}] {} {} {} {}", name_, tr->local.to_string(), tr->sent ? "-->" : "<--",
                     tr->remote.to_string(), tr->notation);
        for (auto& f : trace_observers_) f(*tr);
    } else if (auto* dg = std::get_if<Diagnostic>(&out)) {
        spdlog::log(level(dg->severity), "[{}] {}: {}", name_, dg->rule, dg->text);
        for (auto& f : diagnostic_observers_) f(*dg);
    }
}

void Udp_runtime::send(const Send_datagram& d) {
    if (!impairer_) {
        send_now(d);
        return;
    }
    carry_out(impairer_->pass(Impair_packet{true, d.local, d.remote, d.bytes}, steady_now()));
}

void Udp_runtime::send_now(const Send_datagram& d) {
    // Prefer the socket bound to exactly local; else a wildcard socket of that port and family,
    // telling the kernel the source address with PKTINFO.
    Socket* chosen = nullptr;
    const bool v6 = d.remote.ip.size() == 16;
    for (auto& s : sockets_)
        if (!s->bound.ip.empty() && s->bound == d.local) chosen = s.get();
    if (chosen == nullptr)
        for (auto& s : sockets_)
            if (s->bound.ip.empty() && s->bound.port == d.local.port && s->v6 == v6) chosen = s.get();
    if (chosen == nullptr || !chosen->socket.is_open()) {
        spdlog::warn("[{}] no socket for local {} (datagram to {} dropped)", name_,
                     d.local.to_string(), d.remote.to_string());
        return;
    }
    sockaddr_storage to{};
    socklen_t to_len = 0;
    if (!to_sockaddr(d.remote, to, to_len)) {
        spdlog::warn("[{}] bad remote address {}", name_, d.remote.to_string());
        return;
    }
    iovec iov{const_cast<std::uint8_t*>(d.bytes.data()), d.bytes.size()};
    msghdr msg{};
    msg.msg_name = &to;
    msg.msg_namelen = to_len;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) unsigned char control[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
    if (chosen->bound.ip.empty() && d.local.ip.size() == d.remote.ip.size()) {
        msg.msg_control = control;
        cmsghdr* c = nullptr;
        if (!v6) {
            msg.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
            c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = IPPROTO_IP;
            c->cmsg_type = IP_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
            in_pktinfo info{};
            std::memcpy(&info.ipi_spec_dst, d.local.ip.data(), 4);
            std::memcpy(CMSG_DATA(c), &info, sizeof info);
        } else {
            msg.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
            c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = IPPROTO_IPV6;
            c->cmsg_type = IPV6_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
            in6_pktinfo info{};
            std::memcpy(&info.ipi6_addr, d.local.ip.data(), 16);
            std::memcpy(CMSG_DATA(c), &info, sizeof info);
        }
    }
    if (::sendmsg(chosen->socket.native_handle(), &msg, MSG_DONTWAIT) < 0) {
        spdlog::warn("[{}] sendmsg to {}: {}", name_, d.remote.to_string(), std::strerror(errno));
        return;
    }
    if (pcap_ != nullptr) {
        Address src = d.local;
        if (src.ip.empty()) src = chosen->bound;
        pcap_->write(src, d.remote, Octets(d.bytes));
    }
}

void Udp_runtime::arm(const Arm_timer& t) {
    auto& slot = timers_[t.id];
    if (!slot) slot = std::make_unique<Timer>(io_);
    slot->timer.cancel();
    slot->generation = ++timer_generation_;
    slot->timer.expires_at(asio::steady_timer::time_point(
        std::chrono::duration_cast<asio::steady_timer::duration>(t.at)));
    const Timer_id id = t.id;
    const std::uint64_t generation = slot->generation;
    slot->timer.async_wait([this, id, generation](const boost::system::error_code& ec) {
        if (ec) return;  // cancelled: `this` may be gone
        auto it = timers_.find(id);
        if (it == timers_.end() || it->second->generation != generation) return;  // re-armed
        timers_.erase(it);
        submit(Timer_expired{id, steady_now()});
    });
}

void Udp_runtime::cancel(Timer_id id) {
    auto it = timers_.find(id);
    if (it == timers_.end()) return;
    it->second->timer.cancel();
    timers_.erase(it);
}

void Udp_runtime::stop() {
    stopped_ = true;
    for (auto& s : sockets_) {
        boost::system::error_code ec;
        s->socket.close(ec);
    }
    sockets_.clear();
    for (auto& [id, t] : timers_) t->timer.cancel();
    timers_.clear();
    if (impair_timer_) impair_timer_->timer.cancel();
}

const Keys_derived* Udp_runtime::ike_keys(Spi SPIi, Spi SPIr) const {
    auto it = ike_keys_.find({SPIi, SPIr});
    return it == ike_keys_.end() ? nullptr : &it->second;
}

std::vector<Address> Udp_runtime::bound() const {
    std::vector<Address> out;
    for (const auto& s : sockets_) out.push_back(s->bound);
    return out;
}

}  // namespace ike::io
