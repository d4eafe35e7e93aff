// ikeref test support: a tiny capture reader for test data (classic pcap and pcapng;
// Ethernet, BSD loopback (DLT_NULL), Linux cooked and raw IP; IPv4/IPv6; UDP only).
// Not for peer input in production: it reads files from /work/shared/testdata.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ike/types.hpp"

namespace ike::test {

/// One UDP datagram of a capture. `payload` holds what was captured of the UDP payload
/// (less than the UDP length says when the capture was truncated by its snap length).
struct Udp_datagram {
    std::size_t frame = 0;  ///< 1-based frame number in the capture, as tshark counts
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    Bytes payload;
};

/// All UDP datagrams of a capture file, in capture order; frames that are not UDP over IP
/// are skipped. Throws std::runtime_error when the file cannot be read or is neither pcap
/// nor pcapng.
std::vector<Udp_datagram> read_udp_datagrams(const std::string& path);

/// The IKE message inside a UDP payload: port 4500 payloads lose their 4-octet non-ESP marker
/// (RFC 3948 §2.2); returns an empty buffer for a keepalive or ESP on port 4500.
Bytes ike_message_of(const Udp_datagram&);

}  // namespace ike::test
