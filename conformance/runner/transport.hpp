// The runner's UDP transport: one socket on the IKE port and one on the NAT-T port (RFC 7296
// §2.11, §2.23; the 4-octet non-ESP marker of RFC 3948 §2.2 on the latter). Every wait is
// bounded by a deadline (poll); nothing here blocks longer than asked.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>

#include "ike/types.hpp"

namespace ike::conform {

using Clock = std::chrono::steady_clock;

/// One datagram as received.
struct Datagram {
    Bytes bytes;                  ///< the IKE message (non-ESP marker removed on the NAT-T port)
    std::uint16_t local_port = 0; ///< which of our sockets received it
    std::string from_ip;
    std::uint16_t from_port = 0;
    Clock::time_point at;
    /// Port 4500 only: "ike" (marker present), "keepalive" (one 0xFF octet), "esp" (no marker).
    std::string kind = "ike";
};

class Udp_transport {
public:
    /// Binds `ip`:`port` and `ip`:`nat_t_port` (0 = no NAT-T socket). Throws std::runtime_error
    /// when a socket cannot be bound.
    Udp_transport(const std::string& ip, std::uint16_t port, std::uint16_t nat_t_port);
    ~Udp_transport();
    Udp_transport(const Udp_transport&) = delete;
    Udp_transport& operator=(const Udp_transport&) = delete;

    /// Sends `ike` to `ip`:`port` from our IKE socket, or, with `nat_t`, from the NAT-T socket
    /// with the non-ESP marker prepended. `raw` sends the octets as they are (no marker) from
    /// the socket chosen by `nat_t`. Returns false when the kernel refused the datagram.
    bool send(const std::string& ip, std::uint16_t port, const Bytes& ike, bool nat_t = false,
              bool raw = false);
    /// Sends from an ephemeral socket bound to `source_port` (RFC 7296 §2.11 cases); the socket is
    /// kept so answers to it are received too.
    bool send_from(std::uint16_t source_port, const std::string& ip, std::uint16_t port, const Bytes& ike);

    /// Waits until a datagram is available or `deadline` passes; returns false on timeout.
    /// Received datagrams are appended to `inbox`.
    bool poll_until(Clock::time_point deadline);
    /// Everything received and not yet consumed, oldest first.
    std::deque<Datagram> inbox;
    /// Number of datagrams dropped because the inbox was full (flood protection).
    std::size_t dropped = 0;

    std::uint16_t port() const { return port_; }
    std::uint16_t nat_t_port() const { return nat_t_port_; }

private:
    void drain(int fd, std::uint16_t local_port, bool nat_t);
    int fd_ = -1, nat_t_fd_ = -1, extra_fd_ = -1;
    std::uint16_t port_ = 0, nat_t_port_ = 0, extra_port_ = 0;
    std::string ip_;
};

}  // namespace ike::conform
