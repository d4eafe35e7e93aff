// Udp_transport: BSD sockets and poll(2), IPv4 and IPv6.
#include "conformance/runner/transport.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ike::conform {
namespace {

constexpr std::size_t inbox_limit = 4096;  // a flood beyond this is counted, not stored

struct Sockaddr {
    sockaddr_storage ss{};
    socklen_t len = 0;
};

Sockaddr make_addr(const std::string& ip, std::uint16_t port) {
    Sockaddr a;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
    if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        a.len = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        a.len = sizeof(sockaddr_in6);
    } else {
        throw std::runtime_error("not an IP address: " + ip);
    }
    return a;
}

int bind_udp(const std::string& ip, std::uint16_t port) {
    Sockaddr a = make_addr(ip, port);
    int fd = ::socket(a.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a.ss), a.len) != 0) {
        int e = errno;
        ::close(fd);
        throw std::runtime_error("bind " + ip + ":" + std::to_string(port) + ": " + std::strerror(e));
    }
    return fd;
}

}  // namespace

Udp_transport::Udp_transport(const std::string& ip, std::uint16_t port, std::uint16_t nat_t_port)
    : port_(port), nat_t_port_(nat_t_port), ip_(ip) {
    fd_ = bind_udp(ip, port);
    if (nat_t_port != 0) {
        try {
            nat_t_fd_ = bind_udp(ip, nat_t_port);
        } catch (...) {
            ::close(fd_);
            throw;
        }
    }
}

Udp_transport::~Udp_transport() {
    for (int fd : {fd_, nat_t_fd_, extra_fd_})
        if (fd >= 0) ::close(fd);
}

bool Udp_transport::send(const std::string& ip, std::uint16_t port, const Bytes& ike, bool nat_t, bool raw) {
    int fd = nat_t ? nat_t_fd_ : fd_;
    if (fd < 0) return false;
    Bytes out;
    if (nat_t && !raw) out.assign(4, 0);  // RFC 3948 §2.2 non-ESP marker
    out.insert(out.end(), ike.begin(), ike.end());
    Sockaddr a = make_addr(ip, port);
    return ::sendto(fd, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&a.ss), a.len) ==
           static_cast<ssize_t>(out.size());
}

bool Udp_transport::send_from(std::uint16_t source_port, const std::string& ip, std::uint16_t port,
                              const Bytes& ike) {
    if (extra_fd_ < 0 || extra_port_ != source_port) {
        if (extra_fd_ >= 0) ::close(extra_fd_);
        extra_fd_ = -1;
        extra_fd_ = bind_udp(ip_, source_port);
        extra_port_ = source_port;
    }
    Sockaddr a = make_addr(ip, port);
    return ::sendto(extra_fd_, ike.data(), ike.size(), 0, reinterpret_cast<sockaddr*>(&a.ss), a.len) ==
           static_cast<ssize_t>(ike.size());
}

void Udp_transport::drain(int fd, std::uint16_t local_port, bool nat_t) {
    std::uint8_t buf[65536];
    for (int i = 0; i < 256; ++i) {  // bounded per call: a flood cannot pin us here
        sockaddr_storage from{};
        socklen_t len = sizeof from;
        ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) return;  // EAGAIN, or an ICMP error reported on the socket: never an answer
        Datagram d;
        d.local_port = local_port;
        d.at = Clock::now();
        char text[INET6_ADDRSTRLEN] = {0};
        if (from.ss_family == AF_INET) {
            const auto* v4 = reinterpret_cast<const sockaddr_in*>(&from);
            ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
            d.from_port = ntohs(v4->sin_port);
        } else if (from.ss_family == AF_INET6) {
            const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&from);
            ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
            d.from_port = ntohs(v6->sin6_port);
        }
        d.from_ip = text;
        const auto size = static_cast<std::size_t>(n);
        if (nat_t) {
            if (size == 1 && buf[0] == 0xff) {
                d.kind = "keepalive";
            } else if (size >= 4 && buf[0] == 0 && buf[1] == 0 && buf[2] == 0 && buf[3] == 0) {
                d.bytes.assign(buf + 4, buf + size);
            } else {
                d.kind = "esp";
                d.bytes.assign(buf, buf + size);
            }
        } else {
            d.bytes.assign(buf, buf + size);
        }
        if (inbox.size() >= inbox_limit) {
            ++dropped;
            continue;
        }
        inbox.push_back(std::move(d));
    }
}

bool Udp_transport::poll_until(Clock::time_point deadline) {
    for (;;) {
        pollfd fds[3];
        nfds_t n = 0;
        std::uint16_t ports[3];
        bool nat[3];
        const struct {
            int fd;
            std::uint16_t port;
            bool nat;
        } socks[] = {{fd_, port_, false}, {nat_t_fd_, nat_t_port_, true}, {extra_fd_, extra_port_, false}};
        for (const auto& s : socks) {
            const int fd = s.fd;
            const std::uint16_t p = s.port;
            const bool is_nat = s.nat;
            if (fd < 0) continue;
            fds[n] = pollfd{fd, POLLIN, 0};
            ports[n] = p;
            nat[n] = is_nat;
            ++n;
        }
        auto now = Clock::now();
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
        if (left < 0) left = 0;
        int rc = ::poll(fds, n, static_cast<int>(left));
        if (rc < 0 && errno == EINTR) continue;
        if (rc <= 0) return false;
        std::size_t before = inbox.size();
        for (nfds_t i = 0; i < n; ++i)
            if (fds[i].revents & (POLLIN | POLLERR)) drain(fds[i].fd, ports[i], nat[i]);
        if (inbox.size() > before) return true;
        if (Clock::now() >= deadline) return false;
    }
}

}  // namespace ike::conform
