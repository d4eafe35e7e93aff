// The impairing transport (TEST ONLY): seeded, deterministic rules that drop, duplicate, delay
// or reorder chosen IKE datagrams between the UDP sockets and the Endpoint, in both directions.
// It is how collisions (RFC 7296 §2.8.1, §2.8.2) are provoked against a real peer and how the
// robustness tests lose and repeat messages. Enabled only when the daemon config has a
// [daemon.impair] table (config_toml.hpp); never configure it on a production daemon.
//
// Datagrams are selected by the plaintext IKE header (§3.1; also readable in SK-protected
// messages): direction, Exchange Type, the Response flag, Message ID, and a count of matching
// datagrams ("the 1st outbound CREATE_CHILD_SA request"). Non-IKE datagrams (NAT-T keepalives,
// anything shorter than the 28-octet header) are never impaired. The Impairer is sans-I/O:
// the runtime feeds it datagrams and the time and carries out what it returns.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "ike/endpoint.hpp"

namespace ike::io {

enum class Impair_direction { any, in, out };

/// Which datagrams a rule (or a delay's `until` trigger) selects; unset fields match anything.
struct Impair_selector {
    Impair_direction direction = Impair_direction::any;
    std::optional<Exchange_type> exchange;   ///< IKE header Exchange Type (§3.1)
    std::optional<bool> response;            ///< the R flag: true = responses only
    std::optional<std::uint32_t> message_id; ///< IKE header Message ID
};

enum class Impair_action { drop, duplicate, delay, reorder };

/// One rule. Each rule counts the datagrams its selector matches (1, 2, 3 ...; datagrams it
/// released or copied itself are not counted again) and impairs the ones numbered
/// nth .. nth + count - 1 (count 0: nth and every later one), each with `probability`
/// (drawn from the seeded generator only when below 1). The first rule that impairs a
/// datagram wins; later rules still count it.
struct Impair_rule {
    Impair_action action = Impair_action::drop;
    Impair_selector match;
    std::uint32_t nth = 1;
    std::uint32_t count = 1;
    double probability = 1.0;
    /// delay: how long to hold (with `until`: the longest hold, default 5 s);
    /// duplicate: gap before the copy (0: right after the original);
    /// reorder: the longest hold while waiting for the next datagram (default 1 s).
    Time delay{0};
    /// delay only: release the held datagram when a datagram matching this passes; the held
    /// one goes first (so ours crosses the trigger on the wire), then the trigger.
    std::optional<Impair_selector> until;
};

struct Impair_config {
    std::uint64_t seed = 1;
    std::vector<Impair_rule> rules;
};

/// A datagram on its way in (socket -> Endpoint) or out (Endpoint -> socket). Bytes as on the
/// socket: on the NAT-T port with the 4-octet non-ESP marker (RFC 3948 §2.2).
struct Impair_packet {
    bool outbound = false;
    Address local, remote;
    Bytes bytes;
};

class Impairer {
public:
    /// `nat_t_port`: datagrams whose local port is this one carry the non-ESP marker.
    Impairer(Impair_config config, std::uint16_t nat_t_port);

    /// A datagram arrives. Returns what goes on now, in order: datagrams released by `p`
    /// (an `until` trigger or a reorder), and `p` itself unless it is dropped or held.
    std::vector<Impair_packet> pass(Impair_packet p, Time now);
    /// Held datagrams whose time has come (deadline <= now), earliest first.
    std::vector<Impair_packet> expire(Time now);
    /// The earliest deadline among held datagrams.
    std::optional<Time> next_deadline() const;
    std::size_t held() const { return held_.size(); }
    /// One line per impairment since the last call, e.g.
    /// "rule 1 (delay): held outbound CREATE_CHILD_SA request #2 until inbound ...".
    std::vector<std::string> take_notes();
    const Impair_config& config() const { return config_; }

    /// "outbound CREATE_CHILD_SA request #2" (or "outbound non-IKE datagram of 1 octet").
    std::string describe(const Impair_packet& p) const;
    bool matches(const Impair_selector& s, const Impair_packet& p) const;

private:
    struct Held {
        Impair_packet packet;
        Time deadline{};
        std::size_t rule = 0;
        bool reorder = false;
        std::uint64_t order = 0;
    };
    std::optional<Header> header(const Impair_packet& p) const;
    void note(std::size_t rule, const std::string& text);

    Impair_config config_;
    std::uint16_t nat_t_port_;
    std::vector<std::uint64_t> seen_;  ///< per rule: matching datagrams so far
    std::vector<Held> held_;
    std::uint64_t order_ = 0;
    std::mt19937_64 rng_;
    std::vector<std::string> notes_;
};

/// Selector / action text as the config spells it ("out CREATE_CHILD_SA request #2").
std::string to_string(const Impair_selector& s);
std::string to_string(Impair_action a);

}  // namespace ike::io
