// RFC 7296 §2.7 (proposal choice), §3.3.6 (one transform per type), §2.9 (narrowing).
#include "src/core/negotiation.hpp"

#include <algorithm>
#include <sstream>

#include "src/codec/codec.hpp"

namespace ike::core {

namespace {

// [7296-3.3.3-s1] every transform type of IKE, ESP and AH (§3.3.3) is understood.
const Transform_type all_types[] = {Transform_type::ENCR, Transform_type::PRF, Transform_type::INTEG,
                                    Transform_type::KE, Transform_type::ESN};

bool known_type(Transform_type t) {
    return std::find(std::begin(all_types), std::end(all_types), t) != std::end(all_types);
}

bool same_transform(const Transform& a, const Transform& b) {
    return a.type == b.type && a.id == b.id && a.key_length == b.key_length;
}

// `offered` is `configured`'s cipher with a larger Key Length attribute (§3.3.5).
bool longer_key(const Transform& configured, const Transform& offered) {
    return configured.type == Transform_type::ENCR && offered.type == configured.type &&
           offered.id == configured.id && configured.key_length && offered.key_length &&
           *offered.key_length > *configured.key_length;
}

bool has_type(const Proposal& p, Transform_type t) {
    return std::any_of(p.transforms.begin(), p.transforms.end(),
                       [t](const Transform& x) { return x.type == t; });
}

std::vector<Transform> of_type(const Proposal& p, Transform_type t) {
    std::vector<Transform> out;
    for (const auto& x : p.transforms) {
        if (x.type == t) out.push_back(x);
    }
    return out;
}

// RFC 5282, RFC 7634: combined-mode ciphers carry no INTEG transform (§3.3.3).
bool is_aead(std::uint16_t encr) {
    switch (static_cast<Encr_id>(encr)) {
        case Encr_id::ENCR_AES_CCM_8: case Encr_id::ENCR_AES_CCM_12: case Encr_id::ENCR_AES_CCM_16:
        case Encr_id::ENCR_AES_GCM_8: case Encr_id::ENCR_AES_GCM_12: case Encr_id::ENCR_AES_GCM_16:
        case Encr_id::ENCR_CHACHA20_POLY1305:
            return true;
        default:
            return false;
    }
}

// RFC 3602, 3686, 4309, 4106: AES ciphers need the Key Length attribute; every other transform
// we know has a fixed key and must not carry one (§3.3.5: "used only with ... variable key length").
bool needs_key_length(const Transform& t) {
    if (t.type != Transform_type::ENCR) return false;
    switch (static_cast<Encr_id>(t.id)) {
        case Encr_id::ENCR_AES_CBC: case Encr_id::ENCR_AES_CTR:
        case Encr_id::ENCR_AES_CCM_8: case Encr_id::ENCR_AES_CCM_12: case Encr_id::ENCR_AES_CCM_16:
        case Encr_id::ENCR_AES_GCM_8: case Encr_id::ENCR_AES_GCM_12: case Encr_id::ENCR_AES_GCM_16:
            return true;
        default:
            return false;
    }
}

bool fixed_key(const Transform& t) {
    if (t.type != Transform_type::ENCR) return true;
    switch (static_cast<Encr_id>(t.id)) {
        case Encr_id::ENCR_CHACHA20_POLY1305: case Encr_id::ENCR_3DES: case Encr_id::ENCR_NULL:
            return true;
        default:
            return false;
    }
}

// RFC 7296 §3.3.6: a transform we do not understand, or one with an attribute we do not
// understand, is unacceptable; other transforms of the same type are still considered.
// [7296-3.3.6-s7] [7296-3.3.5-s3] Key Length on a fixed-key transform, or [7296-3.3.5-s4] none on AES, is unacceptable; [7296-2.13-s1] AES is thus always negotiated with a fixed size.
bool acceptable_transform(const Transform& t) {
    if (!t.other_attributes.empty()) return false;
    if (t.key_length && fixed_key(t)) return false;
    if (!t.key_length && needs_key_length(t)) return false;
    return true;
}

// §3.3.6 "a proposal that contains a Transform Type it does not understand, or ... is missing
// a mandatory Transform Type ... MUST consider this proposal unacceptable"; §3.3.3 lists the
// mandatory types per protocol. Empty when the proposal is well-formed.
// [7296-3.3.6-s6] such a proposal is skipped; the others are processed as usual (select_proposal).
std::string proposal_problem(const Proposal& p) {
    for (const auto& t : p.transforms) {
        if (!known_type(t.type)) return "unknown Transform Type " + std::to_string(int(t.type));
    }
    std::vector<Transform_type> mandatory;
    if (p.protocol == Protocol_id::IKE) {
        mandatory = {Transform_type::ENCR, Transform_type::PRF, Transform_type::KE};
        const auto encrs = of_type(p, Transform_type::ENCR);
        const bool all_aead = !encrs.empty() && std::all_of(encrs.begin(), encrs.end(), [](const Transform& t) {
            return is_aead(t.id);
        });
        if (!all_aead) mandatory.push_back(Transform_type::INTEG);
    } else if (p.protocol == Protocol_id::ESP) {
        mandatory = {Transform_type::ENCR, Transform_type::ESN};
    } else if (p.protocol == Protocol_id::AH) {
        mandatory = {Transform_type::INTEG, Transform_type::ESN};
    } else {
        return "unknown Protocol ID " + std::to_string(int(p.protocol));
    }
    for (auto t : mandatory) {
        if (!has_type(p, t)) return "missing mandatory " + describe(t) + " transform (§3.3.3)";
    }
    return {};
}

const char* protocol_name(Protocol_id p) {
    switch (p) {
        case Protocol_id::IKE: return "IKE";
        case Protocol_id::ESP: return "ESP";
        case Protocol_id::AH: return "AH";
        case Protocol_id::NONE: break;
    }
    return "?";
}

std::string list(const std::vector<Transform>& ts) {
    std::string s = "[";
    for (std::size_t i = 0; i < ts.size(); ++i) {
        if (i) s += ' ';
        s += describe(ts[i]);
    }
    return s + "]";
}

// The chosen transform of `type`, compared against one configured proposal: our order of
// preference first (§2.7). `unsupported` is set when a common transform exists that the
// provider lacks. When we list no transform of `type` and the peer offers INTEG or KE "NONE"
// (id 0), that NONE transform is chosen.
const Transform* pick(const Proposal& mine, const Proposal& theirs, Transform_type type,
                      const Crypto_provider& crypto, bool& unsupported) {
    unsupported = false;
    if (!has_type(mine, type)) {
        // §3.3.3: a configured proposal omits an optional type whose only acceptable value is
        // NONE. §2.7: "The accepted cryptographic suite MUST contain exactly one transform of
        // each type included in the proposal" [7296-2.7-s4]: so when the peer's proposal
        // includes INTEG or KE with NONE among its values, the answer carries that NONE
        // transform (as offered, §3.3.6) instead of leaving the type out. A type the peer
        // offers without NONE stays a mismatch.
        if (type == Transform_type::INTEG || type == Transform_type::KE) {
            for (const auto& t : theirs.transforms) {
                if (t.type == type && t.id == 0 && acceptable_transform(t)) return &t;
            }
        }
        return nullptr;
    }
    for (const auto& m : mine.transforms) {
        if (m.type != type) continue;
        for (const auto& t : theirs.transforms) {
            if (!same_transform(m, t) || !acceptable_transform(t)) continue;
            if (crypto.supports(t.type, t.id, t.key_length)) return &t;
            unsupported = true;
        }
    }
    // RFC 7296 §3.3.5 [7296-3.3.5-s6]: "if a peer is configured to accept a variable-length
    // cipher with a key length of X bits and is offered that cipher with a larger key length,
    // the implementation SHOULD accept the offer if it supports use of the longer key"
    // [7296-3.3.5-s5]. Only when no transform of this type matched exactly (exact matches stay
    // preferred); never a shorter key. The offered transform, with its length, is chosen.
    for (const auto& m : mine.transforms) {
        if (m.type != type || !m.key_length) continue;
        for (const auto& t : theirs.transforms) {
            if (!longer_key(m, t) || !acceptable_transform(t)) continue;
            if (crypto.supports(t.type, t.id, t.key_length)) return &t;
            unsupported = true;
        }
    }
    return nullptr;
}

}  // namespace

std::string describe(Transform_type t) {
    switch (t) {
        case Transform_type::ENCR: return "ENCR";
        case Transform_type::PRF: return "PRF";
        case Transform_type::INTEG: return "INTEG";
        case Transform_type::KE: return "KE";
        case Transform_type::ESN: return "ESN";
    }
    return "type " + std::to_string(int(t));
}

std::string describe(const Transform& t) {
    std::string s;
    switch (t.type) {
        case Transform_type::ENCR: s = to_string(static_cast<Encr_id>(t.id)); break;
        case Transform_type::PRF: s = to_string(static_cast<Prf_id>(t.id)); break;
        case Transform_type::INTEG: s = to_string(static_cast<Integ_id>(t.id)); break;
        case Transform_type::KE: s = to_string(static_cast<Ke_id>(t.id)); break;
        case Transform_type::ESN: s = t.id == 0 ? "No_ESN" : t.id == 1 ? "ESN" : "ESN_" + std::to_string(t.id); break;
        default: s = "type " + std::to_string(int(t.type)) + " id " + std::to_string(t.id); break;
    }
    if (t.key_length) s += "/" + std::to_string(*t.key_length);
    if (!t.other_attributes.empty()) s += "+attr" + std::to_string(t.other_attributes.front().type);
    return s;
}

std::string Proposal_refusals::text() const {
    std::ostringstream os;
    for (std::size_t i = 0; i < proposals.size(); ++i) {
        const auto& r = proposals[i];
        if (i) os << "; ";
        os << "proposal #" << int(r.number) << " (" << protocol_name(r.protocol) << ")";
        if (!r.problem.empty()) {
            os << ": " << r.problem;
            continue;
        }
        os << " vs configured #" << r.configured << ":";
        for (std::size_t k = 0; k < r.mismatches.size(); ++k) {
            const auto& m = r.mismatches[k];
            os << (k ? ", " : " ") << describe(m.type) << " offered " << list(m.offered) << " configured "
               << list(m.configured);
            if (m.unsupported) os << " (not supported by the crypto provider)";
        }
    }
    return os.str();
}

std::vector<Transform_type> Proposal_refusals::failed_types() const {
    std::vector<Transform_type> out;
    for (auto type : all_types) {
        for (const auto& r : proposals) {
            const bool hit = std::any_of(r.mismatches.begin(), r.mismatches.end(),
                                         [type](const Transform_mismatch& m) { return m.type == type; });
            if (hit) {
                out.push_back(type);
                break;
            }
        }
    }
    return out;
}

const Transform* transform_of(const Proposal& p, Transform_type type) {
    for (const auto& t : p.transforms) {
        if (t.type == type) return &t;
    }
    return nullptr;
}

Selection select_proposal(const std::vector<Proposal>& offered, const std::vector<Proposal>& ours,
                          const Crypto_provider& crypto) {
    Selection s;
    // §3.3.6: malformed received proposals are refused once, whatever we configured.
    std::vector<std::string> problems(offered.size());
    for (std::size_t i = 0; i < offered.size(); ++i) problems[i] = proposal_problem(offered[i]);

    std::vector<bool> compared(offered.size(), false);
    // [7296-3.3.4-s5] [7296-3.3.4-s6] an offer is accepted only where it matches a configured proposal (pick below).
    for (std::size_t k = 0; k < ours.size(); ++k) {
        const auto& mine = ours[k];
        for (std::size_t i = 0; i < offered.size(); ++i) {
            const auto& theirs = offered[i];
            // [7296-2.7-s2] only a configured proposal of the same protocol is compared; the answer keeps it.
            if (theirs.protocol != mine.protocol || !problems[i].empty()) continue;
            compared[i] = true;
            Proposal chosen;
            // [7296-3.3.1-s3] the accepted proposal keeps the number it was offered with.
            chosen.number = theirs.number;
            chosen.protocol = theirs.protocol;
            chosen.spi = theirs.spi;
            Proposal_refusal refusal{theirs.number, theirs.protocol, {}, k + 1, {}};
            for (auto type : all_types) {
                if (!has_type(mine, type) && !has_type(theirs, type)) continue;
                bool unsupported = false;
                const Transform* t = pick(mine, theirs, type, crypto, unsupported);
                if (t) {
                    // [7296-3.3.6-s3] one transform of the type; [7296-3.3.6-s4] the offered one, its attributes copied unmodified.
                    // [7296-2.7-s4] exactly one of each type the proposal includes, NONE included.
                    chosen.transforms.push_back(*t);
                } else {
                    refusal.mismatches.push_back({type, of_type(theirs, type), of_type(mine, type), unsupported});
                }
            }
            // [7296-2.7-s1] [7296-3.3.6-s1] [7296-3.3.6-s2] a single proposal is chosen, each type from our configured one [7296-3.3.4-s5].
            if (refusal.mismatches.empty()) {
                s.chosen = std::move(chosen);
                return s;
            }
            s.refusal.proposals.push_back(std::move(refusal));
        }
    }
    for (std::size_t i = 0; i < offered.size(); ++i) {
        if (!problems[i].empty()) {
            s.refusal.proposals.push_back({offered[i].number, offered[i].protocol, problems[i], 0, {}});
        } else if (!compared[i]) {
            s.refusal.proposals.push_back({offered[i].number, offered[i].protocol,
                                           std::string("no configured ") + protocol_name(offered[i].protocol) +
                                               " proposal",
                                           0, {}});
        }
    }
    s.reason = s.refusal.proposals.empty() ? "no proposal received" : s.refusal.text();
    return s;
}

// [7296-3.3.6-s5] the initiator checks the answer against its offer; callers end the exchange when it is not (7296-2.7-response-proposal).
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
    // §2.9: "If the type of Traffic Selector proposed is unknown, the responder ignores that
    // Traffic Selector, so that the unknown type is not returned in the narrowed set." An
    // unknown type intersects nothing: narrowing skips it, and an initiator never finds one
    // inside what it proposed (it proposes none).
    if (!a.known_type() || !b.known_type()) return std::nullopt;
    // §3.13.1: a protocol whose port is undefined (including 0) has ports 0..65535. A selector
    // giving it another range (a peer's, or one put in a Config by code) matches nothing, as
    // OPAQUE ports (65535..0) do below. With both inputs valid the intersection is valid: a
    // result protocol without ports comes from inputs of that protocol or 0, all 0..65535.
    // [7296-3.13.1-s1] [7296-3.13.1-s2] so narrowing never answers with ports on such a protocol.
    if (!codec::ts_ports_valid(a) || !codec::ts_ports_valid(b)) return std::nullopt;
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

// [7296-2.9-s2] narrowing: the intersection of each offered selector with our policy; empty = TS_UNACCEPTABLE, all of it = no narrowing.
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

Traffic_selector host_selector(const Bytes& address) {
    Traffic_selector t;
    t.ts_type = address.size() == 16 ? Ts_type::TS_IPV6_ADDR_RANGE : Ts_type::TS_IPV4_ADDR_RANGE;
    t.start_address = address;
    t.end_address = address;
    return t;
}

// [7296-2.23.1-s1] transport mode selectors hold exactly one IP address: what intersects the host.
std::vector<Traffic_selector> narrow_to_address(const std::vector<Traffic_selector>& ts, const Bytes& address) {
    if (address.size() != 4 && address.size() != 16) return {};
    return narrow(ts, {host_selector(address)});
}

std::vector<Traffic_selector> substitute_address(const std::vector<Traffic_selector>& ts, const Bytes& address) {
    std::vector<Traffic_selector> out = ts;
    for (auto& t : out) {
        if (t.known_type() && t.start_address.size() == address.size() && t.start_address == t.end_address) {
            t.start_address = address;
            t.end_address = address;
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
    if (!ts.known_type()) return "TS Type " + std::to_string(int(ts.ts_type)) + " (unknown, ignored)";
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
    if (!codec::ts_ports_valid(ts)) os << " (ports on a protocol without ports, §3.13.1: matches nothing)";
    return os.str();
}

}  // namespace ike::core
