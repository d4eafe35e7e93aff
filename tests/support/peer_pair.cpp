#include "tests/support/peer_pair.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "src/codec/proposal_keywords.hpp"

namespace ike::test {

Config make_config(bool side_a, const std::string& proposal, const std::string& esp) {
    Config c;
    Connection_config conn;
    conn.name = "home";
    conn.local_addrs = {side_a ? "192.0.2.2" : "192.0.2.1"};
    conn.remote_addrs = {side_a ? "192.0.2.1" : "192.0.2.2"};
    std::string err;
    auto p = codec::parse_proposal(proposal, Protocol_id::IKE, &err);
    if (!p) throw std::invalid_argument(err);
    conn.proposals = {*p};
    conn.local.auth = "psk";
    conn.local.id = Identity::parse(side_a ? "a.example.test" : "b.example.test");
    conn.remote.auth = "psk";
    conn.remote.id = Identity::parse(side_a ? "b.example.test" : "a.example.test");
    Child_config child;
    child.name = "net";
    Traffic_selector net1{Ts_type::TS_IPV4_ADDR_RANGE, 0, 0, 65535, {10, 1, 0, 0}, {10, 1, 0, 255}};
    Traffic_selector net2{Ts_type::TS_IPV4_ADDR_RANGE, 0, 0, 65535, {10, 2, 0, 0}, {10, 2, 0, 255}};
    child.local_ts = {side_a ? net1 : net2};
    child.remote_ts = {side_a ? net2 : net1};
    auto e = codec::parse_proposal(esp, Protocol_id::ESP, &err);
    if (!e) throw std::invalid_argument(err);
    child.esp_proposals = {*e};
    child.rekey_time = std::chrono::seconds(0);  // lifetimes off unless a test asks for them
    conn.children.push_back(child);
    conn.rekey_time = std::chrono::seconds(0);
    c.connections.push_back(conn);
    c.secrets.push_back({{Identity::parse("a.example.test"), Identity::parse("b.example.test")},
                         "example-psk-0123456789abcdef"});
    c.log_keys = true;
    c.retransmit.timeout = std::chrono::milliseconds(1000);
    c.retransmit.base = 2.0;
    c.retransmit.tries = 3;
    return c;
}

bool Side::has_event(Sa_event_kind k) const {
    return std::any_of(events.begin(), events.end(), [k](const Sa_event& e) { return e.kind == k; });
}

bool Side::has_diagnostic(const std::string& rule) const {
    return std::any_of(diagnostics.begin(), diagnostics.end(),
                       [&rule](const Diagnostic& d) { return d.rule == rule; });
}

Peer_pair::Peer_pair(Config ca, Config cb, std::uint64_t seed_a, std::uint64_t seed_b) {
    a.ep = std::make_unique<Endpoint>(std::move(ca), make_seeded_botan_provider(seed_a));
    b.ep = std::make_unique<Endpoint>(std::move(cb), make_seeded_botan_provider(seed_b));
}

void Peer_pair::absorb(Side& s, bool is_a, Outputs out) {
    for (auto& o : out) {
        std::visit(
            [&](auto& x) {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, Send_datagram>) {
                    s.sent.push_back(x.bytes);
                    wire.push_back(In_flight{is_a, std::move(x)});
                } else if constexpr (std::is_same_v<T, Arm_timer>) {
                    s.timers[x.id] = x.at;
                } else if constexpr (std::is_same_v<T, Cancel_timer>) {
                    s.timers.erase(x.id);
                } else if constexpr (std::is_same_v<T, Install_child_sa>) {
                    s.installed.push_back(std::move(x.sa));
                } else if constexpr (std::is_same_v<T, Remove_child_sa>) {
                    s.removed.push_back(x);
                } else if constexpr (std::is_same_v<T, Sa_event>) {
                    s.events.push_back(x);
                } else if constexpr (std::is_same_v<T, Diagnostic>) {
                    s.diagnostics.push_back(x);
                } else if constexpr (std::is_same_v<T, Keys_derived>) {
                    s.keys.push_back(std::move(x));
                } else if constexpr (std::is_same_v<T, Message_trace>) {
                    s.traces.push_back(x);
                }
            },
            o);
    }
}

void Peer_pair::initiate(const std::string& connection) {
    absorb(a, true, a.ep->handle(Initiate{connection, "", now}));
}

void Peer_pair::terminate(const std::string& connection) {
    absorb(a, true, a.ep->handle(Terminate{connection, now}));
}

bool Peer_pair::deliver_one() {
    if (wire.empty()) return false;
    In_flight f = std::move(wire.front());
    wire.pop_front();
    if (filter && !filter(f)) return true;
    Side& to = f.to_b ? b : a;
    Datagram_received r{f.d.remote, f.d.local, std::move(f.d.bytes), now};
    absorb(to, !f.to_b, to.ep->handle(std::move(r)));
    return true;
}

bool Peer_pair::fire_next_timer() {
    Side* best = nullptr;
    Timer_id id = 0;
    Time at{};
    for (Side* s : {&a, &b}) {
        for (const auto& [tid, t] : s->timers) {
            if (!best || t < at) {
                best = s;
                id = tid;
                at = t;
            }
        }
    }
    if (!best) return false;
    best->timers.erase(id);
    now = std::max(now, at);
    absorb(*best, best == &a, best->ep->handle(Timer_expired{id, now}));
    return true;
}

void Peer_pair::run(int max_steps) {
    for (int i = 0; i < max_steps; ++i) {
        if (deliver_one()) continue;
        if (!fire_next_timer()) return;
    }
}

std::string Peer_pair::transcript() const {
    std::ostringstream os;
    for (const Side* s : {&a, &b}) {
        os << (s == &a ? "--- a ---\n" : "--- b ---\n");
        for (const auto& t : s->traces) os << (t.sent ? "  sent " : "  recv ") << t.notation << "\n";
        for (const auto& d : s->diagnostics) os << "  diag " << d.rule << ": " << d.text << "\n";
    }
    return os.str();
}

}  // namespace ike::test
