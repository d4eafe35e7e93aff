// Two Endpoints joined by an in-memory wire with a fake clock: deliver, drop, duplicate and
// advance time deterministically. Used by core tests and the conformance properties.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ike/endpoint.hpp"

namespace ike::test {

/// A PSK config for one side of the test pair: connection "home", child "net",
/// `proposal` / `esp` in strongSwan keywords.
Config make_config(bool side_a, const std::string& proposal = "aes256gcm16-prfsha256-x25519",
                   const std::string& esp = "aes256gcm16");

struct In_flight {
    bool to_b = true;
    Send_datagram d;
};

struct Side {
    std::unique_ptr<Endpoint> ep;
    std::map<Timer_id, Time> timers;
    std::vector<Child_sa> installed;
    std::vector<Remove_child_sa> removed;  ///< every Remove_child_sa output, in order
    std::vector<Sa_event> events;
    std::vector<Diagnostic> diagnostics;
    std::vector<Keys_derived> keys;
    std::vector<Message_trace> traces;
    std::vector<Bytes> sent;  ///< every datagram this side sent, in order
    bool has_event(Sa_event_kind k) const;
    bool has_diagnostic(const std::string& rule) const;
};

class Peer_pair {
public:
    Peer_pair(Config a, Config b, std::uint64_t seed_a = 1, std::uint64_t seed_b = 2);

    Side a, b;
    Time now{0};
    std::deque<In_flight> wire;
    /// Return false to drop a datagram as it is delivered.
    std::function<bool(const In_flight&)> filter;

    void initiate(const std::string& connection = "home");
    void terminate(const std::string& connection = "home");
    /// Delivers one datagram; false when the wire is empty.
    bool deliver_one();
    /// Fires the earliest armed timer (advancing `now`); false when none is armed.
    bool fire_next_timer();
    /// Delivers everything, then fires timers, until quiet or `max_steps`.
    void run(int max_steps = 1000);
    void absorb(Side& s, bool is_a, Outputs out);

    /// For conformance: a dump of traces and diagnostics of both sides.
    std::string transcript() const;
};

}  // namespace ike::test
