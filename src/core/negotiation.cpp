// RFC 7296 §2.7 (proposal choice), §3.3.6 (one transform per type), §2.9 (narrowing).
#include "src/core/negotiation.hpp"

#include <algorithm>
#include <sstream>

namespace ike::core {

namespace {

const Transform_type all_types[] = {Transform_type::ENCR, Transform_type::PRF, Transform_type::INTEG,
                                    Transform_type::KE, Transform_type::ESN};

bool same_transform(const Transform& a, const Transform& b) {
    return a.type == b.type && a.id == b.id && a.key_length == b.key_length;
}

bool has_type(const Proposal& p, Transform_type t) {
    return std::any_of(p.transforms.begin(), p.transforms.end(),
                       [t](const Transform& x) { return x.type == t; });
}

const char* type_name(Transform_type t) {
    switch (t) {
        case Transform_type::ENCR: return "ENCR";
        case Transform_type::PRF: return "PRF";
        case Transform_type::INTEG: return "INTEG";
        case Transform_type::KE: return "KE";
        case Transform_type::ESN: return "ESN";
    }
    return "?";
}

}  // namespace

const Transform* transform_of(const Proposal& p, Transform_type type) {
    for (const auto& t : p.transforms) {
        if (t.type == type) return &t;
    }
    return nullptr;
}

Selection select_proposal(const std::vector<Proposal>& offered, const std::vector<Proposal>& ours,
                          const Crypto_provider& crypto) {
    Selection s;
    std::ostringstream why;
    for (const auto& mine : ours) {
        for (const auto& theirs : offered) {
            if (theirs.protocol != mine.protocol) continue;
            Proposal chosen;
            chosen.number = theirs.number;
            chosen.protocol = theirs.protocol;
            chosen.spi = theirs.spi;
            bool ok = true;
            for (auto type : all_types) {
                const bool in_mine = has_type(mine, type);
                const bool in_theirs = has_type(theirs, type);
                if (!in_mine && !in_theirs) continue;
                // §3.3.6: a type both sides list must match; ESN and INTEG with AEAD may be absent.
                const Transform* pick = nullptr;
                for (const auto& m : mine.transforms) {
                    if (m.type != type) continue;
                    for (const auto& t : theirs.transforms) {
                        if (same_transform(m, t) && crypto.supports(t.type, t.id, t.key_length)) {
                            pick = &t;
                            break;
                        }
                    }
                    if (pick) break;
                }
                if (!pick) {
                    ok = false;
                    why << "proposal #" << int(theirs.number) << ": no " << type_name(type) << " match; ";
                    break;
                }
                chosen.transforms.push_back(*pick);
            }
            if (ok) {
                s.chosen = std::move(chosen);
                return s;
            }
        }
    }
    s.reason = why.str().empty() ? "no proposal of a matching protocol" : why.str();
    return s;
}

bool proposal_from_offer(const Proposal& chosen, const std::vector<Proposal>& offered) {
    for (const auto& p : offered) {
        if (p.number != chosen.number || p.protocol != chosen.protocol) continue;
        for (auto type : all_types) {
            int count = 0;
            for (const auto& t : chosen.transforms) {
                if (t.type != type) continue;
                ++count;
                const bool found = std::any_of(p.transforms.begin(), p.transforms.end(),
                                               [&](const Transform& o) { return same_transform(o, t); });
                if (!found) return false;
            }
            if (count > 1) return false;
            if (count == 0 && has_type(p, type) && type != Transform_type::ESN) return false;
        }
        return true;
    }
    return false;
}

namespace {

bool less_or_equal(const Bytes& a, const Bytes& b) { return a <= b; }  // same length, big-endian

std::optional<Traffic_selector> intersect(const Traffic_selector& a, const Traffic_selector& b) {
    if (a.ts_type != b.ts_type || a.start_address.size() != b.start_address.size()) return std::nullopt;
    if (a.ip_protocol != 0 && b.ip_protocol != 0 && a.ip_protocol != b.ip_protocol) return std::nullopt;
    Traffic_selector r;
    r.ts_type = a.ts_type;
    r.ip_protocol = a.ip_protocol ? a.ip_protocol : b.ip_protocol;
    r.start_port = std::max(a.start_port, b.start_port);
    r.end_port = std::min(a.end_port, b.end_port);
    r.start_address = less_or_equal(a.start_address, b.start_address) ? b.start_address : a.start_address;
    r.end_address = less_or_equal(a.end_address, b.end_address) ? a.end_address : b.end_address;
    if (r.start_port > r.end_port || !less_or_equal(r.start_address, r.end_address)) return std::nullopt;
    return r;
}

}  // namespace

std::vector<Traffic_selector> narrow(const std::vector<Traffic_selector>& offered,
                                     const std::vector<Traffic_selector>& configured) {
    std::vector<Traffic_selector> out;
    for (const auto& o : offered) {
        for (const auto& c : configured) {
            if (auto r = intersect(o, c)) {
                if (std::find(out.begin(), out.end(), *r) == out.end()) out.push_back(*r);
            }
        }
    }
    return out;
}

bool selectors_within(const std::vector<Traffic_selector>& got,
                      const std::vector<Traffic_selector>& proposed) {
    if (got.empty()) return false;
    for (const auto& g : got) {
        const bool inside = std::any_of(proposed.begin(), proposed.end(), [&](const Traffic_selector& p) {
            auto r = intersect(g, p);
            return r && *r == g;
        });
        if (!inside) return false;
    }
    return true;
}

std::string describe(const Traffic_selector& ts) {
    std::ostringstream os;
    auto addr = [&os](const Bytes& a) {
        if (a.size() == 4) {
            os << int(a[0]) << '.' << int(a[1]) << '.' << int(a[2]) << '.' << int(a[3]);
        } else {
            os << to_hex(a);
        }
    };
    addr(ts.start_address);
    os << '-';
    addr(ts.end_address);
    os << '[' << int(ts.ip_protocol) << '/' << ts.start_port << '-' << ts.end_port << ']';
    return os.str();
}

}  // namespace ike::core
