// A pcap file of the IKE datagrams a runtime sent and received, for Wireshark/tshark: link type
// LINKTYPE_RAW (DLT_RAW), each record a synthesized IPv4 (RFC 791) or IPv6 (RFC 8200) header,
// a UDP header (RFC 768) with correct checksums, then the UDP payload as sent/received.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "ike/config.hpp"
#include "ike/types.hpp"

struct pcap;
struct pcap_dumper;

namespace ike::io {

/// The raw IP packet (no link header) carrying `payload` in UDP from `src` to `dst`.
/// Both addresses must have the same family (4 or 16 octets); throws std::invalid_argument
/// otherwise or when the payload exceeds 65507 (IPv4) / 65527 (IPv6) octets.
/// IPv4: 20-octet header, TTL 64, DF clear, identification `ip_id`, header checksum set.
/// IPv6: 40-octet header, hop limit 64. UDP checksum over the pseudo-header (never 0: 0xffff).
Bytes build_ip_udp_packet(const Address& src, const Address& dst, Octets payload,
                          std::uint16_t ip_id = 0);

/// Internet checksum (RFC 1071) of `data`, folded, complemented.
std::uint16_t internet_checksum(Octets data);

class Pcap_writer {
public:
    /// Creates (truncates) `path`; throws std::runtime_error when libpcap cannot open it.
    explicit Pcap_writer(const std::string& path);
    ~Pcap_writer();
    Pcap_writer(const Pcap_writer&) = delete;
    Pcap_writer& operator=(const Pcap_writer&) = delete;

    /// Appends one datagram; `when` is wall-clock time (the record timestamp).
    void write(const Address& src, const Address& dst, Octets payload,
               std::chrono::system_clock::time_point when = std::chrono::system_clock::now());
    void flush();
    std::size_t records() const { return records_; }

private:
    pcap* pcap_ = nullptr;
    pcap_dumper* dumper_ = nullptr;
    std::uint16_t next_ip_id_ = 1;
    std::size_t records_ = 0;
};

}  // namespace ike::io
