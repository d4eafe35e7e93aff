// Impairer: rule matching on the plaintext IKE header (RFC 7296 §3.1), held datagrams with
// deadlines and triggers, a seeded generator for probabilities.
#include "src/io/impair.hpp"

#include <algorithm>

#include "src/codec/codec.hpp"

namespace ike::io {

namespace {

constexpr Time default_until_hold{5000};
constexpr Time default_reorder_hold{1000};

std::string direction_text(bool outbound) { return outbound ? "outbound" : "inbound"; }

}  // namespace

std::string to_string(Impair_action a) {
    switch (a) {
        case Impair_action::drop: return "drop";
        case Impair_action::duplicate: return "duplicate";
        case Impair_action::delay: return "delay";
        case Impair_action::reorder: return "reorder";
    }
    return "?";
}

std::string to_string(const Impair_selector& s) {
    std::string out = s.direction == Impair_direction::in    ? "in"
                      : s.direction == Impair_direction::out ? "out"
                                                             : "any";
    out += " ";
    out += s.exchange ? ike::to_string(*s.exchange) : std::string("any-exchange");
    if (s.response) out += *s.response ? " response" : " request";
    if (s.message_id) out += " #" + std::to_string(*s.message_id);
    return out;
}

Impairer::Impairer(Impair_config config, std::uint16_t nat_t_port)
    : config_(std::move(config)),
      nat_t_port_(nat_t_port),
      seen_(config_.rules.size(), 0),
      rng_(config_.seed) {}

std::optional<Header> Impairer::header(const Impair_packet& p) const {
    Octets bytes(p.bytes);
    // RFC 3948 §2.2: on the NAT-T port an IKE message follows a 4-octet zero non-ESP marker;
    // anything else there (ESP, the 1-octet keepalive of §2.3) is not IKE.
    if (p.local.port == nat_t_port_) {
        if (bytes.size < 4 || bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0 || bytes[3] != 0)
            return std::nullopt;
        bytes = Octets(bytes.data + 4, bytes.size - 4);
    }
    auto h = codec::peek_header(bytes);
    if (!h || h->major_version != 2) return std::nullopt;
    return h;
}

std::string Impairer::describe(const Impair_packet& p) const {
    const auto h = header(p);
    if (!h)
        return direction_text(p.outbound) + " non-IKE datagram of " +
               std::to_string(p.bytes.size()) + " octets";
    return direction_text(p.outbound) + " " + ike::to_string(h->exchange) +
           (h->is_response() ? " response #" : " request #") + std::to_string(h->message_id);
}

bool Impairer::matches(const Impair_selector& s, const Impair_packet& p) const {
    if (s.direction == Impair_direction::in && p.outbound) return false;
    if (s.direction == Impair_direction::out && !p.outbound) return false;
    const auto h = header(p);
    if (!h) return false;
    if (s.exchange && h->exchange != *s.exchange) return false;
    if (s.response && h->is_response() != *s.response) return false;
    if (s.message_id && h->message_id != *s.message_id) return false;
    return true;
}

void Impairer::note(std::size_t rule, const std::string& text) {
    notes_.push_back("rule " + std::to_string(rule + 1) + " (" +
                     to_string(config_.rules[rule].action) + "): " + text);
}

std::vector<std::string> Impairer::take_notes() {
    std::vector<std::string> out;
    out.swap(notes_);
    return out;
}

std::vector<Impair_packet> Impairer::pass(Impair_packet p, Time now) {
    std::vector<Impair_packet> out;
    // 1. Delays waiting for a trigger that `p` is: the held datagram goes first.
    for (auto it = held_.begin(); it != held_.end();) {
        const Impair_rule& r = config_.rules[it->rule];
        if (!it->reorder && r.until && matches(*r.until, p)) {
            note(it->rule, "released " + describe(it->packet) + " on " + describe(p));
            out.push_back(std::move(it->packet));
            it = held_.erase(it);
        } else {
            ++it;
        }
    }
    // 2. The rules: each counts `p` when it matches; the first whose window covers it acts.
    std::optional<std::size_t> acting;
    for (std::size_t i = 0; i < config_.rules.size(); ++i) {
        const Impair_rule& r = config_.rules[i];
        if (!matches(r.match, p)) continue;
        const std::uint64_t n = ++seen_[i];
        const bool in_window = n >= r.nth && (r.count == 0 || n < std::uint64_t{r.nth} + r.count);
        if (!in_window || acting) continue;
        if (r.probability < 1.0) {
            std::uniform_real_distribution<double> u(0.0, 1.0);
            if (u(rng_) >= r.probability) continue;
        }
        acting = i;
    }
    bool emitted = true;
    if (acting) {
        const std::size_t i = *acting;
        const Impair_rule& r = config_.rules[i];
        switch (r.action) {
            case Impair_action::drop:
                note(i, "dropped " + describe(p));
                emitted = false;
                break;
            case Impair_action::duplicate:
                if (r.delay.count() == 0) {
                    note(i, "duplicated " + describe(p));
                    out.push_back(p);
                } else {
                    note(i, "duplicated " + describe(p) + ", copy after " +
                                std::to_string(r.delay.count()) + " ms");
                    held_.push_back(Held{p, now + r.delay, i, false, ++order_});
                }
                break;
            case Impair_action::delay: {
                const Time hold = r.until ? (r.delay.count() > 0 ? r.delay : default_until_hold)
                                          : r.delay;
                note(i, "held " + describe(p) +
                            (r.until ? " until " + to_string(*r.until) + " (at most " : " for ") +
                            std::to_string(hold.count()) + " ms" + (r.until ? ")" : ""));
                held_.push_back(Held{std::move(p), now + hold, i, false, ++order_});
                emitted = false;
                break;
            }
            case Impair_action::reorder: {
                const Time hold = r.delay.count() > 0 ? r.delay : default_reorder_hold;
                note(i, "held " + describe(p) + " to send it after the next " +
                            direction_text(p.outbound) + " datagram");
                held_.push_back(Held{std::move(p), now + hold, i, true, ++order_});
                emitted = false;
                break;
            }
        }
    }
    if (!emitted) return out;
    // 3. `p` goes on, then whatever a reorder held back in the same direction.
    const bool outbound = p.outbound;
    out.push_back(std::move(p));
    for (auto it = held_.begin(); it != held_.end();) {
        if (it->reorder && it->packet.outbound == outbound) {
            note(it->rule, "released " + describe(it->packet) + " after " + describe(out.back()));
            out.push_back(std::move(it->packet));
            it = held_.erase(it);
        } else {
            ++it;
        }
    }
    return out;
}

std::vector<Impair_packet> Impairer::expire(Time now) {
    std::vector<Held> due;
    for (auto it = held_.begin(); it != held_.end();) {
        if (it->deadline <= now) {
            due.push_back(std::move(*it));
            it = held_.erase(it);
        } else {
            ++it;
        }
    }
    std::stable_sort(due.begin(), due.end(), [](const Held& a, const Held& b) {
        return a.deadline != b.deadline ? a.deadline < b.deadline : a.order < b.order;
    });
    std::vector<Impair_packet> out;
    for (auto& h : due) {
        note(h.rule, "released " + describe(h.packet) + " (time)");
        out.push_back(std::move(h.packet));
    }
    return out;
}

std::optional<Time> Impairer::next_deadline() const {
    std::optional<Time> t;
    for (const auto& h : held_)
        if (!t || h.deadline < *t) t = h.deadline;
    return t;
}

}  // namespace ike::io
