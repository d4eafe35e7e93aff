// Replays conformance/sequences/*.seq (format: conformance/sequences/README.md) on two
// in-memory Endpoints: (a) deterministically, line for line; (b) as a RapidCheck property with
// random drops, duplicates, timer firings and the file's own API requests (create-child,
// rekey-child, rekey-ike, delete-child, terminate) at random moments. RFC 7296 §1.2–§1.4,
// §2.1–§2.8, §2.21, §2.23, §2.25.
//
// Invariants of the property (each run: one sequence's configs, a random schedule, then a
// lossless finish that also performs the file's remaining requests):
//   - [7296-2.1-retransmit-response] a sequence without requests never installs more than one
//     CHILD SA on either side (a retransmitted IKE_AUTH creates nothing new);
//   - one side never derives two different key sets for the same SPIs, and both sides derive
//     the same SK_d..SK_pr for the same SPIs (§2.14, §2.18);
//   - when both sides end with one established IKE SA of the same SPIs, they hold the same IKE
//     SA keys and mirrored CHILD SAs with mirrored keys (§2.17), whatever was lost on the way;
//   - [7296-2.6-cookie-required] a delivery the responder answers with N(COOKIE) creates no
//     IKE SA and no half-open SA on the responder.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "src/codec/codec.hpp"
#include "src/codec/proposal_keywords.hpp"
#include "src/core/negotiation.hpp"
#include "src/core/sk_payload.hpp"
#include <set>
#include "tests/support/peer_pair.hpp"
#include "tests/support/protect.hpp"

namespace ike::test {
namespace {

// ---- the format --------------------------------------------------------------------------

struct Peer_spec {
    std::vector<std::string> proposals{"aes256gcm16-prfsha256-x25519"};
    std::vector<std::string> esp{"aes256gcm16"};
    Cookie_policy cookies = Cookie_policy::on_load;
    std::optional<std::string> psk;
    std::vector<Traffic_selector> local_ts, remote_ts;  // empty: make_config's
    bool force_nat_t = false;
    std::chrono::seconds dpd{0};
    std::optional<unsigned> tries;
    std::optional<std::string> remote_id;  // the identity this peer expects of the other
    std::optional<std::string> id;         // this peer's own identity
    Ipsec_mode mode = Ipsec_mode::tunnel;
    std::optional<Childless_policy> childless;
    std::optional<Unique_policy> unique;
};

enum class Step_kind { message, drop, duplicate, advance, swap, corrupt, set_version, request, craft };
enum class Request_kind { create_child, rekey_child, rekey_ike, delete_child, terminate, restart, initiate };

constexpr const char* kIgnored = "(ignored)";

struct Step {
    Step_kind kind = Step_kind::message;
    bool from_initiator = true;  // message: I -> R; request, craft: done by I
    std::string notation;        // message (or "(ignored)"), craft
    std::chrono::milliseconds advance{0};
    Request_kind request = Request_kind::create_child;
    std::size_t child_index = 0;  // rekey-child, delete-child: which of list()[0].children
    std::optional<std::size_t> offset;  // corrupt: octet of the IKE message to flip (default: the last)
    std::uint8_t version = 0x20;        // set-version: major << 4 | minor
    int line = 0;
};

struct Expectation {
    std::string text;  // as written, without "expect:"
    int after_step = 0;  // 0: at the end
    int line = 0;
};

struct Sequence {
    std::string name, rfc;
    std::vector<std::string> requirements;
    Peer_spec I, R;
    std::vector<Step> steps;
    std::vector<Expectation> expectations;
};

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

// Collapses runs of blanks so alignment in the files does not matter.
std::string squeeze(const std::string& s) {
    std::string out;
    bool blank = false;
    for (char c : trim(s)) {
        if (c == ' ' || c == '\t') {
            blank = true;
            continue;
        }
        if (blank && !out.empty()) out += ' ';
        blank = false;
        out += c;
    }
    return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::istringstream is(s);
    for (std::string x; std::getline(is, x, sep);)
        if (!trim(x).empty()) out.push_back(trim(x));
    return out;
}

Bytes parse_ipv4(const std::string& s, const std::string& where) {
    const auto parts = split(s, '.');
    if (parts.size() != 4) throw std::runtime_error(where + ": not an IPv4 address: " + s);
    Bytes b;
    for (const auto& x : parts) {
        const int v = std::stoi(x);
        if (v < 0 || v > 255) throw std::runtime_error(where + ": not an IPv4 address: " + s);
        b.push_back(static_cast<std::uint8_t>(v));
    }
    return b;
}

/// `10.1.0.0/24` or `10.1.0.5-10.1.0.9`: an IPv4 range, any protocol and port (§3.13.1).
Traffic_selector parse_ts(const std::string& s, const std::string& where) {
    Traffic_selector ts{Ts_type::TS_IPV4_ADDR_RANGE, 0, 0, 65535, {}, {}};
    const auto slash = s.find('/'), dash = s.find('-');
    if (slash != std::string::npos) {
        ts.start_address = parse_ipv4(s.substr(0, slash), where);
        const int len = std::stoi(s.substr(slash + 1));
        if (len < 0 || len > 32) throw std::runtime_error(where + ": bad prefix length in " + s);
        std::uint32_t a = 0;
        for (auto o : ts.start_address) a = (a << 8) | o;
        const std::uint32_t host = len == 32 ? 0u : (0xffffffffu >> len);
        a &= ~host;
        const std::uint32_t e = a | host;
        ts.start_address = {static_cast<std::uint8_t>(a >> 24), static_cast<std::uint8_t>(a >> 16),
                            static_cast<std::uint8_t>(a >> 8), static_cast<std::uint8_t>(a)};
        ts.end_address = {static_cast<std::uint8_t>(e >> 24), static_cast<std::uint8_t>(e >> 16),
                          static_cast<std::uint8_t>(e >> 8), static_cast<std::uint8_t>(e)};
    } else if (dash != std::string::npos) {
        ts.start_address = parse_ipv4(s.substr(0, dash), where);
        ts.end_address = parse_ipv4(s.substr(dash + 1), where);
    } else {
        ts.start_address = ts.end_address = parse_ipv4(s, where);
    }
    return ts;
}

Peer_spec parse_peer(const std::string& v, const std::string& where) {
    Peer_spec p;
    std::istringstream is(v);
    std::string kv;
    while (is >> kv) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos) throw std::runtime_error(where + ": expected key=value, got " + kv);
        const auto k = kv.substr(0, eq), val = kv.substr(eq + 1);
        if (k == "proposal") p.proposals = split(val, ',');
        else if (k == "esp") p.esp = split(val, ',');
        else if (k == "cookies") {
            if (val == "never") p.cookies = Cookie_policy::never;
            else if (val == "always") p.cookies = Cookie_policy::always;
            else if (val == "on_load") p.cookies = Cookie_policy::on_load;
            else throw std::runtime_error(where + ": unknown cookie policy " + val);
        } else if (k == "psk") p.psk = val;
        else if (k == "local_ts" || k == "remote_ts") {
            auto& dst = k == "local_ts" ? p.local_ts : p.remote_ts;
            for (const auto& t : split(val, ',')) dst.push_back(parse_ts(t, where));
        } else if (k == "nat_t") {
            if (val != "force") throw std::runtime_error(where + ": nat_t takes only 'force'");
            p.force_nat_t = true;
        } else if (k == "dpd") {
            if (val.empty() || val.back() != 's') throw std::runtime_error(where + ": dpd needs seconds (10s)");
            p.dpd = std::chrono::seconds(std::stoi(val.substr(0, val.size() - 1)));
        } else if (k == "tries") p.tries = static_cast<unsigned>(std::stoul(val));
        else if (k == "remote_id") p.remote_id = val;
        else if (k == "id") p.id = val;
        else if (k == "childless") {
            if (val == "allow") p.childless = Childless_policy::allow;
            else if (val == "force") p.childless = Childless_policy::force;
            else if (val == "never") p.childless = Childless_policy::never;
            else throw std::runtime_error(where + ": childless is allow, force or never");
        } else if (k == "unique") {
            if (val == "no") p.unique = Unique_policy::no;
            else if (val == "never") p.unique = Unique_policy::never;
            else if (val == "replace") p.unique = Unique_policy::replace;
            else throw std::runtime_error(where + ": unique is no, never or replace");
        }
        else if (k == "mode") {
            if (val == "transport") p.mode = Ipsec_mode::transport;
            else if (val == "tunnel") p.mode = Ipsec_mode::tunnel;
            else throw std::runtime_error(where + ": mode is tunnel or transport");
        }
        else throw std::runtime_error(where + ": unknown key " + k);
    }
    if (p.proposals.empty() || p.esp.empty()) throw std::runtime_error(where + ": empty proposal list");
    return p;
}

/// `create-child`, `rekey-child [N]`, `rekey-ike`, `delete-child [N]`, `terminate`, `craft ...`.
Step parse_action(bool initiator, const std::string& v, int n, const std::string& where) {
    Step st;
    st.from_initiator = initiator;
    st.line = n;
    std::istringstream is(v);
    std::string verb;
    is >> verb;
    if (verb == "craft") {
        st.kind = Step_kind::craft;
        st.notation = trim(v.substr(5));
        return st;
    }
    st.kind = Step_kind::request;
    if (verb == "create-child") st.request = Request_kind::create_child;
    else if (verb == "rekey-child") st.request = Request_kind::rekey_child;
    else if (verb == "rekey-ike") st.request = Request_kind::rekey_ike;
    else if (verb == "delete-child") st.request = Request_kind::delete_child;
    else if (verb == "terminate") st.request = Request_kind::terminate;
    else if (verb == "restart") st.request = Request_kind::restart;
    else if (verb == "initiate") st.request = Request_kind::initiate;
    else throw std::runtime_error(where + ": unknown action " + verb);
    std::size_t idx = 0;
    if (is >> idx) {
        if (st.request != Request_kind::rekey_child && st.request != Request_kind::delete_child)
            throw std::runtime_error(where + ": only rekey-child and delete-child take a CHILD SA index");
        st.child_index = idx;
    }
    std::string rest;
    if (is >> rest) throw std::runtime_error(where + ": unexpected " + rest);
    return st;
}

/// Parses a sequence file's text; throws std::runtime_error naming `origin:line` on bad input.
Sequence parse_sequence(const std::string& text, const std::string& origin) {
    Sequence s;
    std::istringstream in(text);
    std::string raw;
    int n = 0;
    while (std::getline(in, raw)) {
        ++n;
        const std::string where = origin + ":" + std::to_string(n);
        // '#' inside a message (Message ID "#0") is not a comment: only at line start or after a blank.
        std::string line = raw;
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] != '#') continue;
            if (i == 0 || ((raw[i - 1] == ' ' || raw[i - 1] == '\t') &&
                           (i + 1 >= raw.size() || !std::isdigit(static_cast<unsigned char>(raw[i + 1]))))) {
                line = raw.substr(0, i);
                break;
            }
        }
        line = squeeze(line);
        if (line.empty()) continue;
        auto starts = [&](const std::string& p) { return line.rfind(p, 0) == 0; };
        if (starts("I -> R ") || starts("R -> I ")) {
            Step st;
            st.kind = Step_kind::message;
            st.from_initiator = line[0] == 'I';
            st.notation = line.substr(7);
            st.line = n;
            s.steps.push_back(st);
        } else if (starts("corrupt ")) {
            Step st;
            st.kind = Step_kind::corrupt;
            st.line = n;
            st.offset = static_cast<std::size_t>(std::stoul(line.substr(8)));
            s.steps.push_back(st);
        } else if (starts("set-version ")) {
            const auto v = split(line.substr(12), '.');
            if (v.size() != 2) throw std::runtime_error(where + ": set-version M.N");
            Step st;
            st.kind = Step_kind::set_version;
            st.line = n;
            st.version = static_cast<std::uint8_t>((std::stoi(v[0]) << 4) | (std::stoi(v[1]) & 0x0f));
            s.steps.push_back(st);
        } else if (line == "drop" || line == "duplicate" || line == "swap" || line == "corrupt") {
            Step st;
            st.kind = line == "drop" ? Step_kind::drop
                      : line == "duplicate" ? Step_kind::duplicate
                      : line == "swap" ? Step_kind::swap
                                        : Step_kind::corrupt;
            st.line = n;
            s.steps.push_back(st);
        } else if (starts("advance ")) {
            const std::string v = line.substr(8);
            std::size_t used = 0;
            const long long num = std::stoll(v, &used);
            const std::string unit = v.substr(used);
            Step st;
            st.kind = Step_kind::advance;
            st.line = n;
            if (unit == "s") st.advance = std::chrono::milliseconds(num * 1000);
            else if (unit == "ms") st.advance = std::chrono::milliseconds(num);
            else throw std::runtime_error(where + ": advance needs s or ms");
            s.steps.push_back(st);
        } else if (starts("expect:")) {
            Expectation e;
            e.line = n;
            e.text = trim(line.substr(7));
            const auto a = e.text.find(" after step ");
            if (a != std::string::npos) {
                e.after_step = std::stoi(e.text.substr(a + 12));
                e.text = e.text.substr(0, a);
            }
            s.expectations.push_back(e);
        } else if (starts("name:")) {
            s.name = trim(line.substr(5));
        } else if (starts("rfc:")) {
            s.rfc = trim(line.substr(4));
        } else if (starts("requirements:")) {
            s.requirements = split(line.substr(13), ',');
        } else if (starts("I:") || starts("R:")) {
            const std::string rest = trim(line.substr(2));
            const bool initiator = line[0] == 'I';
            std::string first;
            std::istringstream(rest) >> first;
            if (first.empty() || first.find('=') != std::string::npos) {
                if (!s.steps.empty()) throw std::runtime_error(where + ": peer configuration after the first step");
                (initiator ? s.I : s.R) = parse_peer(rest, where);
            } else {
                s.steps.push_back(parse_action(initiator, rest, n, where));
            }
        } else {
            throw std::runtime_error(where + ": not a header, step or expectation: " + line);
        }
    }
    if (s.name.empty()) throw std::runtime_error(origin + ": no name:");
    return s;
}

std::string sequence_dir() { return std::string(IKEREF_SOURCE_DIR) + "/conformance/sequences/"; }

Sequence load_sequence(const std::string& stem) {
    const std::string path = sequence_dir() + stem + ".seq";
    std::ifstream f(path);
    if (!f) throw std::runtime_error("cannot open " + path);
    std::stringstream ss;
    ss << f.rdbuf();
    return parse_sequence(ss.str(), stem + ".seq");
}

/// Every `*.seq` in conformance/sequences, by stem, sorted.
std::vector<std::string> sequence_stems() {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(sequence_dir()))
        if (e.path().extension() == ".seq") out.push_back(e.path().stem().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<Proposal> proposals_of(const std::vector<std::string>& keywords, Protocol_id protocol) {
    std::vector<Proposal> out;
    for (const auto& k : keywords) {
        std::string err;
        auto p = codec::parse_proposal(k, protocol, &err);
        if (!p) throw std::invalid_argument(k + ": " + err);
        p->number = static_cast<std::uint8_t>(out.size() + 1);
        out.push_back(*p);
    }
    return out;
}

Config config_of(const Peer_spec& p, bool initiator) {
    Config c = make_config(initiator, p.proposals[0], p.esp[0]);
    auto& conn = c.connections[0];
    conn.proposals = proposals_of(p.proposals, Protocol_id::IKE);
    conn.children[0].esp_proposals = proposals_of(p.esp, Protocol_id::ESP);
    c.gate.cookies = p.cookies;
    if (p.psk) c.secrets[0].secret = *p.psk;
    if (!p.local_ts.empty()) conn.children[0].local_ts = p.local_ts;
    if (!p.remote_ts.empty()) conn.children[0].remote_ts = p.remote_ts;
    c.force_nat_t = p.force_nat_t;
    conn.dpd_delay = p.dpd;
    if (p.tries) c.retransmit.tries = *p.tries;
    if (p.psk && *p.psk == "none") c.secrets.clear();
    if (p.remote_id) conn.remote.id = Identity::parse(*p.remote_id);
    if (p.id) conn.local.id = Identity::parse(*p.id);
    // The PSK belongs to the pair of identities this peer uses (§2.15).
    if (!c.secrets.empty()) c.secrets[0].ids = {conn.local.id, conn.remote.id};
    conn.children[0].mode = p.mode;
    if (p.childless) conn.childless = *p.childless;
    if (p.unique) conn.unique = *p.unique;
    return c;
}

// ---- inputs to one peer --------------------------------------------------------------------

Side& side_of(Peer_pair& p, char who) { return who == 'I' ? p.a : p.b; }

/// Inbound SPI of CHILD SA `index` of the first IKE SA on `s` (0 when there is none: the
/// Endpoint then picks its first CHILD SA).
std::uint32_t child_spi(const Side& s, std::size_t index) {
    const auto l = s.ep->list();
    if (l.empty() || index >= l[0].children.size()) return 0;
    return l[0].children[index].spi_in;
}

/// `restart` replaces the peer's Endpoint by a fresh one with the same configuration (a crash
/// and reboot: all its SAs are gone, its timers too; what it said so far stays in the Side).
void perform(Peer_pair& p, const Step& st, const Sequence& seq) {
    Side& s = st.from_initiator ? p.a : p.b;
    if (st.request == Request_kind::restart) {
        s.ep = std::make_unique<Endpoint>(config_of(st.from_initiator ? seq.I : seq.R, st.from_initiator),
                                          make_seeded_botan_provider(st.from_initiator ? 101 : 102));
        s.timers.clear();
        return;
    }
    Input in;
    switch (st.request) {
    case Request_kind::restart: return;
    case Request_kind::initiate: in = Initiate{"home", "", p.now}; break;
    case Request_kind::create_child: in = Create_CHILD_SA{"home", "net", p.now}; break;
    case Request_kind::rekey_child: in = Rekey_CHILD_SA{"home", child_spi(s, st.child_index), p.now}; break;
    case Request_kind::rekey_ike: in = Rekey_IKE_SA{"home", p.now}; break;
    case Request_kind::delete_child: in = Delete_CHILD_SA{"home", child_spi(s, st.child_index), p.now}; break;
    case Request_kind::terminate: in = Terminate{"home", p.now}; break;
    }
    p.absorb(s, st.from_initiator, s.ep->handle(std::move(in)));
}

std::optional<Notify_type> notify_by_name(const std::string& name) {
    for (unsigned v = 1; v < 65536; ++v) {
        if (to_string(static_cast<Notify_type>(v)) == name) return static_cast<Notify_type>(v);
    }
    return std::nullopt;
}

Bytes be32(std::uint32_t v) {
    return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
            static_cast<std::uint8_t>(v)};
}

/// A message as a misbehaving peer would send it (format: README "craft"): protected with the
/// crafting side's current IKE SA keys, put on the wire towards the other side. Returns "" or
/// why it could not be built.
std::string craft(Peer_pair& p, const Step& st) {
    Side& s = st.from_initiator ? p.a : p.b;
    const Config& cfg = s.ep->config();
    // EXCHANGE request|response #N { SK { P, ... } }
    std::istringstream is(st.notation);
    std::string exch, dir, mid;
    is >> exch >> dir >> mid;
    std::string rest;
    std::getline(is, rest);
    rest = trim(rest);
    const std::string open = "{ SK {", close = "} }";
    if (rest.rfind(open, 0) != 0 || rest.size() < open.size() + close.size() ||
        rest.compare(rest.size() - close.size(), close.size(), close) != 0)
        return "craft needs { SK { ... } }";
    // Payloads are separated by commas outside parentheses (U(200,C) is one payload).
    std::vector<std::string> inner;
    {
        std::string cur;
        int depth = 0;
        for (char c : rest.substr(open.size(), rest.size() - open.size() - close.size())) {
            if (c == '(') ++depth;
            if (c == ')') --depth;
            if (c == ',' && depth == 0) {
                if (!trim(cur).empty()) inner.push_back(trim(cur));
                cur.clear();
                continue;
            }
            cur += c;
        }
        if (!trim(cur).empty()) inner.push_back(trim(cur));
    }
    const auto l = s.ep->list();
    if (l.empty()) return "craft: no IKE SA on the crafting side";
    const Keys_derived* keys = nullptr;
    for (const auto& k : s.keys)
        if (k.SPIi == l[0].SPIi && k.SPIr == l[0].SPIr) keys = &k;
    if (!keys) return "craft: no keys for the IKE SA";
    Message m;
    m.header.SPIi = l[0].SPIi;
    m.header.SPIr = l[0].SPIr;
    std::optional<Exchange_type> x;
    for (unsigned v = 34; v <= 37; ++v)
        if (to_string(static_cast<Exchange_type>(v)) == exch) x = static_cast<Exchange_type>(v);
    if (!x) return "craft: unknown exchange " + exch;
    m.header.exchange = *x;
    if (dir != "request" && dir != "response") return "craft: request or response, not " + dir;
    m.header.flags = static_cast<std::uint8_t>((l[0].original_initiator ? flag::Initiator : 0) |
                                               (dir == "response" ? flag::Response : 0));
    if (mid.size() < 2 || mid[0] != '#') return "craft: Message ID #N, not " + mid;
    m.header.message_id = static_cast<std::uint32_t>(std::stoul(mid.substr(1)));
    m.was_protected = true;
    const auto& child = cfg.connections[0].children[0];
    for (std::string tok : inner) {
        Payload pl;
        // A trailing '!' sets the critical bit (§2.5) on any payload, known types included.
        const bool critical = !tok.empty() && tok.back() == '!';
        if (critical) tok.pop_back();
        if (tok.rfind("U(", 0) == 0) {  // U(n) or U(n,C): an unknown payload type
            const auto body = tok.substr(2, tok.size() - 3);
            const auto parts = split(body, ',');
            pl.type = static_cast<Payload_type>(std::stoi(parts.at(0)));
            pl.critical = parts.size() > 1 && parts[1] == "C";
            pl.body = Payload_unknown{Bytes{0xde, 0xad, 0xbe, 0xef}};
        } else if (tok == "D(IKE)") {
            pl.type = Payload_type::D;
            pl.body = Payload_D{Protocol_id::IKE, 0, {}};
        } else if (tok == "D(ESP)") {  // §3.11: the SPI the sender expects inbound
            pl.type = Payload_type::D;
            if (l[0].children.empty()) return "craft: D(ESP) without a CHILD SA";
            pl.body = Payload_D{Protocol_id::ESP, 4, {be32(l[0].children[0].spi_in)}};
        } else if (tok.rfind("N(", 0) == 0) {  // N(NAME) or N(number)
            const std::string name = tok.substr(2, tok.size() - 3);
            auto t = notify_by_name(name);
            if (!t && !name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
                t = static_cast<Notify_type>(std::stoul(name));
            if (!t) return "craft: unknown notify " + tok;
            Payload_N n;
            n.type = static_cast<std::uint16_t>(*t);
            pl.type = Payload_type::N;
            pl.body = n;
        } else if (tok == "Ni" || tok == "Nr") {
            pl.type = Payload_type::Nonce;
            pl.body = Payload_Nonce{Bytes(32, 0x5a)};
        } else if (tok == "SA") {
            pl.type = Payload_type::SA;
            Payload_SA sa;
            sa.proposals = child.esp_proposals;
            for (auto& pr : sa.proposals) pr.spi = be32(0xc0ffee01);
            pl.body = sa;
        } else if (tok == "IDi" || tok == "IDr") {
            const Identity& me = cfg.connections[0].local.id;
            pl.type = tok == "IDi" ? Payload_type::IDi : Payload_type::IDr;
            pl.body = Payload_ID{me.type, me.data};
        } else if (tok == "V") {  // a Vendor ID nobody knows (§3.12)
            pl.type = Payload_type::V;
            pl.body = Payload_V{Bytes{'i', 'k', 'e', 'r', 'e', 'f', '-', 't', 'e', 's', 't'}};
        } else if (tok == "AUTH") {  // a PSK AUTH value that cannot verify
            pl.type = Payload_type::AUTH;
            pl.body = Payload_AUTH{Auth_method::Shared_Key_Message_Integrity_Code, Bytes(32, 0x11)};
        } else if (tok == "TSi" || tok == "TSr") {
            const bool mine = (tok == "TSi") == (dir == "request");
            pl.type = tok == "TSi" ? Payload_type::TSi : Payload_type::TSr;
            pl.body = Payload_TS{mine ? child.local_ts : child.remote_ts};
        } else {
            return "craft: cannot build payload " + tok;
        }
        pl.critical = pl.critical || critical;
        m.payloads.push_back(std::move(pl));
    }
    Send_datagram d;
    const auto& conn = cfg.connections[0];
    d.local = Address{parse_ipv4(conn.local_addrs.at(0), "craft"), cfg.ike_port};
    d.remote = Address{parse_ipv4(conn.remote_addrs.at(0), "craft"), conn.remote_port};
    d.bytes = protect_as(*keys, l[0].original_initiator, m);
    p.wire.push_back(In_flight{st.from_initiator, std::move(d)});
    return "";
}

// ---- checks shared by replay and property ------------------------------------------------

bool same_ike_keys(const Keys_derived& x, const Keys_derived& y) {
    return x.SPIi == y.SPIi && x.SPIr == y.SPIr && x.SK_d.hex() == y.SK_d.hex() && x.SK_ei.hex() == y.SK_ei.hex() &&
           x.SK_er.hex() == y.SK_er.hex() && x.SK_ai.hex() == y.SK_ai.hex() && x.SK_ar.hex() == y.SK_ar.hex() &&
           x.SK_pi.hex() == y.SK_pi.hex() && x.SK_pr.hex() == y.SK_pr.hex();
}

// The CHILD SA of one side is the mirror of the other's (RFC 7296 §2.17: KEYMAT is taken
// initiator-to-responder first, so one side's outbound keys are the other's inbound keys).
bool mirrored_child(const Child_sa& x, const Child_sa& y) {
    return x.spi_in == y.spi_out && x.spi_out == y.spi_in && x.encr_key_in.hex() == y.encr_key_out.hex() &&
           x.encr_key_out.hex() == y.encr_key_in.hex() && x.integ_key_in.hex() == y.integ_key_out.hex() &&
           x.integ_key_out.hex() == y.integ_key_in.hex() && !x.encr_key_in.empty() &&
           x.encr_key_in.hex() != x.encr_key_out.hex();
}

const Child_sa* installed(const Side& s, std::uint32_t spi_in) {
    const Child_sa* found = nullptr;
    for (const auto& c : s.installed)
        if (c.spi_in == spi_in) found = &c;
    return found;
}

const Keys_derived* keys_of(const Side& s, Spi SPIi, Spi SPIr) {
    const Keys_derived* found = nullptr;
    for (const auto& k : s.keys)
        if (k.SPIi == SPIi && k.SPIr == SPIr) found = &k;
    return found;
}

/// Both sides hold one established IKE SA with the same SPIs and keys, and the same CHILD SAs
/// (each one's mirror on the other side, with mirrored keys). "" or why not.
std::string same_sas(const Peer_pair& p) {
    const auto la = p.a.ep->list(), lb = p.b.ep->list();
    if (la.size() != 1 || lb.size() != 1)
        return "IKE SAs: I " + std::to_string(la.size()) + ", R " + std::to_string(lb.size());
    if (la[0].SPIi != lb[0].SPIi || la[0].SPIr != lb[0].SPIr) return "the IKE SAs have different SPIs";
    if (la[0].state != "Established" || lb[0].state != "Established")
        return "IKE SA states: I " + la[0].state + ", R " + lb[0].state;
    const Keys_derived* ka = keys_of(p.a, la[0].SPIi, la[0].SPIr);
    const Keys_derived* kb = keys_of(p.b, lb[0].SPIi, lb[0].SPIr);
    if (!ka || !kb || !same_ike_keys(*ka, *kb)) return "IKE SA keys differ (or were not derived)";
    if (la[0].children.size() != lb[0].children.size())
        return "CHILD SAs: I " + std::to_string(la[0].children.size()) + ", R " + std::to_string(lb[0].children.size());
    for (const auto& ca : la[0].children) {
        const auto it = std::find_if(lb[0].children.begin(), lb[0].children.end(),
                                     [&](const Ike_sa_info::Child& cb) { return cb.spi_in == ca.spi_out; });
        if (it == lb[0].children.end() || it->spi_out != ca.spi_in) return "a CHILD SA of I has no mirror on R";
        const Child_sa* x = installed(p.a, ca.spi_in);
        const Child_sa* y = installed(p.b, it->spi_in);
        if (!x || !y || !mirrored_child(*x, *y)) return "CHILD SA keys do not mirror";
    }
    return "";
}

std::optional<Sa_event_kind> event_by_name(const std::string& n) {
    static const std::map<std::string, Sa_event_kind> names{
        {"IKE_SA_established", Sa_event_kind::IKE_SA_established},
        {"CHILD_SA_installed", Sa_event_kind::CHILD_SA_installed},
        {"IKE_SA_deleted", Sa_event_kind::IKE_SA_deleted},
        {"IKE_SA_failed", Sa_event_kind::IKE_SA_failed},
        {"IKE_SA_rekeyed", Sa_event_kind::IKE_SA_rekeyed},
        {"CHILD_SA_deleted", Sa_event_kind::CHILD_SA_deleted},
        {"CHILD_SA_failed", Sa_event_kind::CHILD_SA_failed}};
    const auto it = names.find(n);
    if (it == names.end()) return std::nullopt;
    return it->second;
}

/// What the replay noted about each message step: the port it was sent to.
struct Step_record {
    std::map<int, std::uint16_t> port;
    std::map<int, bool> marker;  // began with the 4-octet non-ESP marker (RFC 3948 §2.2)
};

/// Checks one expectation; returns an empty string when it holds, else why not.
std::string check(Peer_pair& p, const Expectation& e, const Step_record& rec) {
    std::istringstream is(e.text);
    std::vector<std::string> w;
    for (std::string t; is >> t;) w.push_back(t);
    if (w.size() == 3 && w[0] == "same" && w[2] == "keys") {
        if (w[1] == "IKE") {
            if (p.a.keys.size() != 1 || p.b.keys.size() != 1)
                return "key sets derived: I " + std::to_string(p.a.keys.size()) + ", R " + std::to_string(p.b.keys.size());
            return same_ike_keys(p.a.keys[0], p.b.keys[0]) ? "" : "IKE SA keys differ";
        }
        if (w[1] == "CHILD") {
            if (p.a.installed.size() != 1 || p.b.installed.size() != 1)
                return "CHILD SAs: I " + std::to_string(p.a.installed.size()) + ", R " +
                       std::to_string(p.b.installed.size());
            return mirrored_child(p.a.installed[0], p.b.installed[0]) ? "" : "CHILD SA keys do not mirror";
        }
    }
    if (w.size() == 2 && w[0] == "same" && w[1] == "SAs") return same_sas(p);
    if (w.size() == 4 && w[0] == "step" && w[2] == "port") {
        const int n = std::stoi(w[1]);
        const auto it = rec.port.find(n);
        if (it == rec.port.end()) return "step " + w[1] + " delivered no message";
        if (std::to_string(it->second) != w[3]) return "step " + w[1] + " went to port " + std::to_string(it->second);
        if (w[3] == "4500" && !rec.marker.at(n)) return "step " + w[1] + " has no non-ESP marker";
        return "";
    }
    if (w.size() >= 3 && (w[0] == "I" || w[0] == "R")) {
        Side& s = side_of(p, w[0][0]);
        if (w.size() == 3 && w[1] == "IKE_SA") {
            Sa_event_kind k;
            if (w[2] == "established") k = Sa_event_kind::IKE_SA_established;
            else if (w[2] == "failed") k = Sa_event_kind::IKE_SA_failed;
            else if (w[2] == "deleted") k = Sa_event_kind::IKE_SA_deleted;
            else if (w[2] == "rekeyed") k = Sa_event_kind::IKE_SA_rekeyed;
            else return "unknown IKE_SA state " + w[2];
            return s.has_event(k) ? "" : w[0] + " has no IKE_SA " + w[2] + " event";
        }
        if (w.size() == 3 && w[1] == "event") {
            const auto k = event_by_name(w[2]);
            if (!k) return "unknown event " + w[2];
            return s.has_event(*k) ? "" : w[0] + " has no " + w[2] + " event";
        }
        if (w.size() == 4 && w[1] == "no" && w[2] == "event") {
            const auto k = event_by_name(w[3]);
            if (!k) return "unknown event " + w[3];
            return s.has_event(*k) ? w[0] + " has a " + w[3] + " event" : "";
        }
        if (w.size() == 3 && w[1] == "ike_sa_count") {
            const auto got = s.ep->ike_sa_count();
            return std::to_string(got) == w[2] ? "" : "ike_sa_count is " + std::to_string(got);
        }
        if (w.size() == 3 && w[1] == "child_sa_count") {
            const auto got = s.installed.size();
            return std::to_string(got) == w[2] ? "" : "child_sa_count is " + std::to_string(got);
        }
        if (w.size() == 3 && w[1] == "children") {
            std::size_t got = 0;
            for (const auto& sa : s.ep->list()) got += sa.children.size();
            return std::to_string(got) == w[2] ? "" : "children is " + std::to_string(got);
        }
        if (w.size() == 3 && w[1] == "keys_derived") {
            return std::to_string(s.keys.size()) == w[2] ? "" : "keys_derived is " + std::to_string(s.keys.size());
        }
        if (w.size() == 3 && w[1] == "state") {
            const auto l = s.ep->list();
            if (l.size() != 1) return w[0] + " has " + std::to_string(l.size()) + " IKE SAs";
            return l[0].state == w[2] ? "" : "state is " + l[0].state;
        }
        if (w.size() == 3 && (w[1] == "local_ts" || w[1] == "remote_ts")) {  // of the last CHILD SA installed
            if (s.installed.empty()) return w[0] + " installed no CHILD SA";
            const auto& got = w[1] == "local_ts" ? s.installed.back().local_ts : s.installed.back().remote_ts;
            std::vector<Traffic_selector> want;
            for (const auto& t : split(w[2], ',')) want.push_back(parse_ts(t, "expect"));
            return got == want ? "" : w[1] + " differs (" + std::to_string(got.size()) + " selectors)";
        }
        if (w.size() == 3 && w[1] == "mode") {  // of the last CHILD SA installed
            if (s.installed.empty()) return w[0] + " installed no CHILD SA";
            const bool transport = s.installed.back().mode == Ipsec_mode::transport;
            return (transport ? "transport" : "tunnel") == w[2] ? "" : "mode is " + std::string(transport ? "transport" : "tunnel");
        }
        if (w.size() == 3 && w[1] == "diagnostic") {
            return s.has_diagnostic(w[2]) ? "" : w[0] + " has no diagnostic " + w[2];
        }
        if (w.size() == 4 && w[1] == "no" && w[2] == "diagnostic") {
            return s.has_diagnostic(w[3]) ? w[0] + " has a diagnostic " + w[3] : "";
        }
    }
    return "unknown expectation";
}

// Fires every timer due at or before now + d, in order, then sets the clock to now + d.
void advance(Peer_pair& p, std::chrono::milliseconds d) {
    const Time target = p.now + d;
    for (;;) {
        std::optional<Time> earliest;
        for (const Side* s : {&p.a, &p.b})
            for (const auto& [id, at] : s->timers)
                if (!earliest || at < *earliest) earliest = at;
        if (!earliest || *earliest > target) break;
        p.fire_next_timer();
    }
    p.now = std::max(p.now, target);
}

// ---- rules every datagram on the wire must keep ------------------------------------------
//
// After each replay, every datagram either Endpoint sent (crafted ones are not in Side::sent)
// is decoded, its SK payload opened with the logged keys, and checked against the format and
// exchange rules below; each names the requirement id it checks.

struct Sent_message {
    bool by_I = true;
    Bytes bytes;  // without the non-ESP marker
    Message outer;
    std::optional<Message> inner;  // decrypted SK chain (header copied), when keys were known
    const Message& payloads() const { return inner ? *inner : outer; }
};

std::optional<Message> open_sk(const Bytes& bytes, const Message& outer, const Peer_pair& p) {
    if (outer.payloads.empty() || outer.payloads.back().type != Payload_type::SK) return std::nullopt;
    const Keys_derived* k = keys_of(p.a, outer.header.SPIi, outer.header.SPIr);
    if (!k) k = keys_of(p.b, outer.header.SPIi, outer.header.SPIr);
    if (!k) return std::nullopt;
    auto crypto = make_seeded_botan_provider(7);
    const auto* e = core::transform_of(k->proposal, Transform_type::ENCR);
    const auto* i = core::transform_of(k->proposal, Transform_type::INTEG);
    if (!e) return std::nullopt;
    auto cipher = crypto->cipher(static_cast<Encr_id>(e->id), e->key_length.value_or(0));
    auto integ = (i && i->id) ? crypto->integrity(static_cast<Integ_id>(i->id)) : nullptr;
    core::Sk_keys keys;
    keys.cipher = cipher.get();
    keys.integrity = integ.get();
    const bool from_i = outer.header.from_original_initiator();
    keys.SK_e = from_i ? k->SK_ei.view() : k->SK_er.view();
    keys.SK_a = from_i ? k->SK_ai.view() : k->SK_ar.view();
    auto r = core::unprotect(Octets(bytes), outer, keys);
    if (auto* m = std::get_if<Message>(&r)) return *m;
    return std::nullopt;
}

bool aead(const Transform& t) {
    static const std::set<std::uint16_t> ids{14, 15, 16, 18, 19, 20, 28};  // CCM, GCM, GMAC, ChaCha20-Poly1305
    return t.type == Transform_type::ENCR && ids.count(t.id) > 0;
}
bool aes_needs_length(const Transform& t) {
    static const std::set<std::uint16_t> ids{12, 13, 14, 15, 16, 18, 19, 20};
    return t.type == Transform_type::ENCR && ids.count(t.id) > 0;
}

/// Key of an exchange: SPIi, Message ID, exchange, and whether the original initiator asked.
std::tuple<Spi, std::uint32_t, int, bool> exchange_key(const Header& h) {
    const bool requester_is_oi = h.is_response() ? !h.from_original_initiator() : h.from_original_initiator();
    return {h.SPIi, h.message_id, static_cast<int>(h.exchange), requester_is_oi};
}

/// Checks the rules; returns one line per violation ("id: what"), empty when all hold.
/// `delivered` is every datagram delivered, in order, with its direction.
std::vector<std::string> wire_rules(const Peer_pair& p, const std::vector<std::pair<bool, Bytes>>& delivered) {
    std::vector<std::string> bad;
    auto fail = [&](const std::string& id, const std::string& what) { bad.push_back(id + ": " + what); };
    auto strip = [](Bytes b) {
        if (b.size() >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0) b.erase(b.begin(), b.begin() + 4);
        return b;
    };
    std::vector<Sent_message> sent;
    std::set<Bytes> unique;
    for (const Side* s : {&p.a, &p.b}) {
        for (const auto& raw : s->sent) {
            Sent_message m;
            m.by_I = s == &p.a;
            m.bytes = strip(raw);
            auto d = codec::decode_message(Octets(m.bytes));
            if (!codec::ok(d)) {
                fail("7296-3.1-length", "a sent datagram does not decode");
                continue;
            }
            m.outer = codec::value(d);
            m.inner = open_sk(m.bytes, m.outer, p);
            if (unique.insert(m.bytes).second) sent.push_back(std::move(m));
        }
    }
    // Requests by exchange key, to pair responses with them.
    std::map<std::tuple<Spi, std::uint32_t, int, bool>, const Sent_message*> requests;
    for (const auto& m : sent)
        if (!m.outer.header.is_response()) requests[exchange_key(m.outer.header)] = &m;
    const Spi initial_SPIi = p.a.keys.empty() ? 0 : p.a.keys.front().SPIi;
    // A crafted request (not in Side::sent) may be answered too: index every delivered request.
    std::vector<Sent_message> crafted;
    for (const auto& [to_b, raw] : delivered) {
        Sent_message m;
        m.by_I = to_b;
        m.bytes = strip(raw);
        if (unique.count(m.bytes)) continue;
        auto d = codec::decode_message(Octets(m.bytes));
        if (!codec::ok(d) || codec::value(d).header.is_response()) continue;
        m.outer = codec::value(d);
        m.inner = open_sk(m.bytes, m.outer, p);
        crafted.push_back(std::move(m));
    }
    for (const auto& m : crafted) requests.emplace(exchange_key(m.outer.header), &m);
    // Nonce -> the IKE_SA_INIT request (sender, SPIi) that used it: a repeat of that request
    // (with a COOKIE, or a new KEi after INVALID_KE_PAYLOAD) keeps Ni (§2.6, the §2.6.1 figure).
    std::map<Bytes, std::optional<std::pair<bool, Spi>>> nonces;
    std::set<Bytes> ivs;
    for (const auto& m : sent) {
        const Header& h = m.outer.header;
        const std::string what = std::string(m.by_I ? "I" : "R") + " sent " + describe(m.payloads());
        if (h.major_version != 2)
            fail("7296-3.1-s4", what + ": major version " + std::to_string(h.major_version) + " (7296-2.5-s4)");
        if (h.minor_version != 0) fail("7296-3.1-s7", what + ": minor version " + std::to_string(h.minor_version));
        if (h.SPIi == 0) fail("7296-3.1-s2", what + ": SPIi is zero");
        if (h.exchange == Exchange_type::IKE_SA_INIT && !h.is_response() && h.SPIr != 0)
            fail("7296-3.1-s3", what + ": SPIr not zero in the first message");
        if (h.flags & flag::Version) fail("7296-3.1-s12", what + ": V bit set");
        if (h.SPIi == initial_SPIi && h.from_original_initiator() != m.by_I)
            fail("7296-3.1-s12", what + ": I bit does not name the original initiator");
        // Outer chain, byte for byte: critical bit clear for types of this document, RESERVED zero.
        for (std::size_t off = 28, next = m.bytes.size() > 16 ? m.bytes[16] : 0; next != 0 && off + 4 <= m.bytes.size();) {
            const std::uint8_t flags = m.bytes[off + 1];
            if (flags & 0x80) fail("7296-3.2-s4", what + ": critical bit on payload type " + std::to_string(next));
            if (h.is_response() && (flags & 0x80)) fail("7296-2.5-s10", what + ": critical bit in a response");
            if (flags & 0x7f) fail("7296-3.2-s6", what + ": RESERVED bits of a payload header set (7296-2.5-s6)");
            if (next == static_cast<std::size_t>(Payload_type::SA)) {  // §3.3.1, §3.3.2: RESERVED octets zero
                const std::size_t plen = static_cast<std::size_t>((m.bytes[off + 2] << 8) | m.bytes[off + 3]);
                for (std::size_t q = off + 4; q + 8 <= off + plen && q + 8 <= m.bytes.size();) {
                    const std::size_t qlen = static_cast<std::size_t>((m.bytes[q + 2] << 8) | m.bytes[q + 3]);
                    if (m.bytes[q + 1] != 0) fail("7296-3.3.1-s1", what + ": Proposal RESERVED not zero");
                    const std::size_t spi = m.bytes[q + 6];
                    for (std::size_t t = q + 8 + spi; t + 8 <= q + qlen && t + 8 <= m.bytes.size();) {
                        const std::size_t tlen = static_cast<std::size_t>((m.bytes[t + 2] << 8) | m.bytes[t + 3]);
                        if (m.bytes[t + 1] != 0 || m.bytes[t + 5] != 0) fail("7296-3.3.2-s1", what + ": Transform RESERVED not zero");
                        if (tlen < 8) break;
                        t += tlen;
                    }
                    if (qlen < 8) break;
                    q += qlen;
                }
            }
            if (next == static_cast<std::size_t>(Payload_type::SK) &&
                off + static_cast<std::size_t>((m.bytes[off + 2] << 8) | m.bytes[off + 3]) != m.bytes.size())
                fail("7296-3.14-s1", what + ": SK is not the last payload");
            next = m.bytes[off];
            const std::size_t len = static_cast<std::size_t>((m.bytes[off + 2] << 8) | m.bytes[off + 3]);
            if (len < 4) break;
            off += len;
        }
        for (std::size_t i = 0; i < m.outer.payloads.size(); ++i)
            if (m.outer.payloads[i].type == Payload_type::SK && i + 1 != m.outer.payloads.size())
                fail("7296-3.1-s1", what + ": SK is not the last payload");
        if (m.inner) {
            // §3.14: a fresh IV per message (retransmissions are the same message, kept once).
            const auto& sk = std::get<Payload_SK>(m.outer.payloads.back().body);
            const Bytes iv(sk.body.begin(), sk.body.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(8, sk.body.size())));
            if (!ivs.insert(iv).second) fail("7296-3.14-s3", what + ": IV used before");
            for (const auto& pl : m.inner->payloads) {
                if (pl.critical && static_cast<unsigned>(pl.type) >= 33 && static_cast<unsigned>(pl.type) <= 48)
                    fail("7296-3.2-s4", what + ": critical bit on an inner payload");
                if (pl.type == Payload_type::SK) fail("7296-3.1-s1", what + ": SK inside SK");
            }
        }
        const Message& body = m.payloads();
        bool has_ke_transform = false;
        const Payload_SA* sa = nullptr;
        for (const auto& pl : body.payloads) {
            if (const auto* x = std::get_if<Payload_SA>(&pl.body)) {
                sa = x;
                for (std::size_t i = 0; i < x->proposals.size(); ++i) {
                    const Proposal& pr = x->proposals[i];
                    if (!h.is_response() && pr.number != i + 1)
                        fail(i == 0 ? "7296-3.3-s6" : "7296-3.3-s5", what + ": proposal " + std::to_string(i + 1) +
                                                                 " numbered " + std::to_string(pr.number));
                    if (h.exchange == Exchange_type::IKE_SA_INIT && !pr.spi.empty())
                        fail("7296-3.3.1-s4", what + ": SPI in an IKE_SA_INIT proposal");
                    bool has_aead = false, has_integ = false;
                    for (const auto& t : pr.transforms) {
                        if (t.type == Transform_type::KE && t.id != 0) has_ke_transform = true;
                        if (aead(t)) has_aead = true;
                        if (t.type == Transform_type::INTEG && t.id != 0) has_integ = true;
                        if (t.key_length && (t.type != Transform_type::ENCR || t.id == 28 || t.id == 3))
                            fail("7296-3.3.5-s3", what + ": Key Length on a fixed-key transform");
                        if (aes_needs_length(t) && !t.key_length)
                            fail("7296-3.3.5-s4", what + ": AES without Key Length (7296-2.13-s1)");
                        std::set<std::uint16_t> attr_types;
                        for (const auto& a : t.other_attributes)
                            if (!attr_types.insert(a.type).second || a.type == 14)
                                fail("7296-3.3-s9", what + ": a transform repeats an attribute type");
                    }
                    if (has_aead && has_integ) fail("7296-3.3-s7", what + ": combined-mode cipher with an integrity algorithm");
                    if (h.exchange == Exchange_type::CREATE_CHILD_SA && pr.protocol == Protocol_id::IKE) {
                        bool ke = false;
                        for (const auto& t : pr.transforms) ke = ke || (t.type == Transform_type::KE && t.id != 0);
                        if (!ke) fail("7296-2.18-s2", what + ": IKE SA rekey proposal without a D-H group");
                    }
                }
            }
        }
        bool has_ke = false;
        for (const auto& pl : body.payloads) {
            if (const auto* ke = std::get_if<Payload_KE>(&pl.body)) {
                has_ke = true;
                bool listed = false;
                if (sa)
                    for (const auto& pr : sa->proposals)
                        for (const auto& t : pr.transforms) listed = listed || (t.type == Transform_type::KE && t.id == ke->group);
                if (!listed) fail("7296-3.4-s2", what + ": KE group " + std::to_string(ke->group) + " not in the SA payload");
            }
            if (const auto* n = std::get_if<Payload_Nonce>(&pl.body)) {
                if (n->data.size() < 16 || n->data.size() > 256) fail("7296-3.9-s1", what + ": nonce of " + std::to_string(n->data.size()) + " octets");
                std::optional<std::pair<bool, Spi>> use;
                if (h.exchange == Exchange_type::IKE_SA_INIT && !h.is_response()) use = std::make_pair(m.by_I, h.SPIi);
                const auto it = nonces.find(n->data);
                if (it == nonces.end()) nonces.emplace(n->data, use);
                else if (!use || it->second != use) fail("7296-3.9-s2", what + ": nonce reused");
            }
            if (const auto* n = std::get_if<Payload_N>(&pl.body)) {
                if (n->spi.empty() && n->protocol != Protocol_id::NONE) fail("7296-3.10-s2", what + ": Protocol ID without SPI");
                const bool about_child = n->type == static_cast<std::uint16_t>(Notify_type::REKEY_SA) ||
                                         n->type == static_cast<std::uint16_t>(Notify_type::CHILD_SA_NOT_FOUND) ||
                                         n->type == static_cast<std::uint16_t>(Notify_type::INVALID_SPI);
                if (!about_child && (!n->spi.empty() || n->protocol != Protocol_id::NONE))
                    fail("7296-3.10-s3", what + ": a Notify about the IKE SA with an SPI or Protocol ID");
                if (n->type == static_cast<std::uint16_t>(Notify_type::COOKIE) && (n->data.empty() || n->data.size() > 64))
                    fail("7296-2.6-s3", what + ": COOKIE of " + std::to_string(n->data.size()) + " octets");
                if (n->type == static_cast<std::uint16_t>(Notify_type::REKEY_SA) &&
                    (n->protocol != Protocol_id::ESP && n->protocol != Protocol_id::AH))
                    fail("7296-3.10-s1", what + ": REKEY_SA not for AH or ESP");
                // §1.3.3: REKEY_SA names the SA being replaced by the SPI the sender receives on.
                if (n->type == static_cast<std::uint16_t>(Notify_type::REKEY_SA)) {
                    const Side& by = m.by_I ? p.a : p.b;
                    const bool own = n->spi.size() == 4 &&
                                     std::any_of(by.installed.begin(), by.installed.end(), [&](const Child_sa& c) {
                                         return be32(c.spi_in) == n->spi;
                                     });
                    if (!own) fail("7296-1.3.3-s1", what + ": REKEY_SA SPI is not one of the sender's inbound SPIs");
                }
                // §2.5, §3.10.1: the data of these notifies is the payload type / the D-H group.
                if (n->type == static_cast<std::uint16_t>(Notify_type::UNSUPPORTED_CRITICAL_PAYLOAD) && n->data.size() != 1)
                    fail("7296-2.5-s8", what + ": UNSUPPORTED_CRITICAL_PAYLOAD without the one-octet payload type");
                if (n->type == static_cast<std::uint16_t>(Notify_type::INVALID_KE_PAYLOAD) &&
                    (n->data.size() != 2 || (n->data[0] == 0 && n->data[1] == 0)))
                    fail("7296-1.2-invalid-ke-payload", what + ": INVALID_KE_PAYLOAD without the 2-octet group");
            }
            if (const auto* d = std::get_if<Payload_D>(&pl.body)) {
                const std::size_t want = d->protocol == Protocol_id::IKE ? 0 : 4;
                if (d->spi_size != want) fail("7296-3.11-s3", what + ": Delete SPI size " + std::to_string(d->spi_size));
                for (const auto& spi : d->spis)
                    if (spi.size() != d->spi_size) fail("7296-3.11-s1", what + ": Delete SPIs of another size (7296-3.11-s2)");
                // §1.4.1, §3.11: an endpoint deletes its incoming SA, named by the SPI it receives on.
                if (d->protocol == Protocol_id::ESP) {
                    const Side& by = m.by_I ? p.a : p.b;
                    for (const auto& spi : d->spis)
                        if (std::none_of(by.installed.begin(), by.installed.end(),
                                         [&](const Child_sa& c) { return be32(c.spi_in) == spi; }))
                            fail("7296-1.4.1-s2", what + ": Delete names an SPI that is not one of the sender's inbound SPIs");
                }
            }
            if (const auto* id = std::get_if<Payload_ID>(&pl.body)) {
                if (id->id_type == Id_type::ID_FQDN || id->id_type == Id_type::ID_RFC822_ADDR)
                    for (auto c : id->data)
                        if (c == 0 || c == '\r' || c == '\n')
                            fail(id->id_type == Id_type::ID_FQDN ? "7296-3.5-s3" : "7296-3.5-s4", what + ": terminator in an ID string");
            }
            if (const auto* ts = std::get_if<Payload_TS>(&pl.body)) {
                for (const auto& t : ts->selectors)
                    if (t.ip_protocol == 0 && (t.start_port != 0 || t.end_port != 65535))
                        fail(t.start_port != 0 ? "7296-3.13.1-s1" : "7296-3.13.1-s2",
                             what + ": protocol 0 without the ANY port range (7296-3.13.1-s3)");
            }
        }
        if (has_ke && !has_ke_transform) fail("7296-3.4-s3", what + ": KE without a D-H group in the SA payload");
        if (h.exchange == Exchange_type::CREATE_CHILD_SA && !h.is_response() && sa && !sa->proposals.empty() &&
            sa->proposals[0].protocol == Protocol_id::IKE && !has_ke)
            fail("7296-1.3.2-s1", what + ": IKE SA rekey request without KEi");
        // A response answers a request of the other side (§3.1: nobody answers a response).
        if (h.is_response()) {
            const auto it = requests.find(exchange_key(h));
            if (it == requests.end() || it->second->by_I == m.by_I) {
                fail("7296-3.1-s11", what + ": a response to no request of the peer");
                fail("7296-3.1-s10", what + ": the Response bit on a message that answers nothing");
                continue;
            }
            const Message& req = it->second->payloads();
            const Payload_SA* req_sa = nullptr;
            for (const auto& pl : req.payloads)
                if (const auto* x = std::get_if<Payload_SA>(&pl.body)) req_sa = x;
            // §2.9: the responder narrows, never widens: each selector it answers lies within one
            // the requester proposed (same type, protocol, ports and address range inside).
            for (const Payload_type tt : {Payload_type::TSi, Payload_type::TSr}) {
                const Payload_TS* got = nullptr;
                const Payload_TS* asked = nullptr;
                for (const auto& pl : body.payloads)
                    if (pl.type == tt) got = std::get_if<Payload_TS>(&pl.body);
                for (const auto& pl : req.payloads)
                    if (pl.type == tt) asked = std::get_if<Payload_TS>(&pl.body);
                if (!got || !asked) continue;
                for (const auto& g : got->selectors) {
                    const bool inside = std::any_of(asked->selectors.begin(), asked->selectors.end(), [&](const Traffic_selector& a) {
                        return a.ts_type == g.ts_type && (a.ip_protocol == 0 || a.ip_protocol == g.ip_protocol) &&
                               a.start_port <= g.start_port && g.end_port <= a.end_port &&
                               a.start_address <= g.start_address && g.end_address <= a.end_address;
                    });
                    if (!inside) fail("7296-2.9-ts-widened", what + ": a selector wider than any proposed (7296-2.9-s2)");
                }
            }
            if (sa && req_sa) {
                if (sa->proposals.size() != 1) fail("7296-3.3.6-s2", what + ": more than one proposal in the response");
                for (const auto& pr : sa->proposals) {
                    const auto rp = std::find_if(req_sa->proposals.begin(), req_sa->proposals.end(),
                                                 [&](const Proposal& q) { return q.number == pr.number; });
                    if (rp == req_sa->proposals.end()) {
                        fail("7296-3.3.1-s3", what + ": accepted proposal number was not offered");
                        continue;
                    }
                    if (rp->protocol != pr.protocol) fail("7296-2.7-s2", what + ": accepted proposal of another protocol");
                    std::map<Transform_type, int> per_type, offered_types;
                    for (const auto& t : rp->transforms) offered_types[t.type]++;
                    for (const auto& t : pr.transforms) {
                        per_type[t.type]++;
                        if (std::find(rp->transforms.begin(), rp->transforms.end(), t) == rp->transforms.end())
                            fail("7296-3.3.6-s4", what + ": accepted transform not offered unmodified");
                    }
                    for (const auto& [type, n] : per_type)
                        if (n != 1) fail("7296-2.7-s4", what + ": " + std::to_string(n) + " transforms of one type");
                    for (const auto& [type, n] : offered_types)
                        if (!per_type.count(type) && type != Transform_type::ESN)
                            fail("7296-3.3.6-s3", what + ": a transform type of the proposal is missing");
                }
            }
        }
    }
    // §2.6: each end's SPIs identify its IKE SAs uniquely: SPIi of each IKE_SA_INIT attempt,
    // SPIr of each answer, the SPI of each IKE SA rekey proposal.
    std::map<bool, std::map<Spi, std::string>> chosen;  // by_I -> SPI -> where
    for (const auto& m : sent) {
        const Header& h = m.outer.header;
        auto note = [&](Spi v, const std::string& where) {
            if (v == 0) return;
            const auto [it, fresh] = chosen[m.by_I].emplace(v, where);
            if (!fresh && it->second != where) fail("7296-2.6-s1", "an SPI chosen twice: " + where + ", " + it->second);
        };
        if (h.exchange == Exchange_type::IKE_SA_INIT && !h.is_response()) note(h.SPIi, "IKE_SA_INIT SPIi");
        if (h.exchange == Exchange_type::IKE_SA_INIT && h.is_response()) note(h.SPIr, "IKE_SA_INIT SPIr");
        for (const auto& pl : m.payloads().payloads)
            if (const auto* x = std::get_if<Payload_SA>(&pl.body))
                for (const auto& pr : x->proposals)
                    if (pr.protocol == Protocol_id::IKE && pr.spi.size() == 8) {
                        Spi v = 0;
                        for (auto o : pr.spi) v = (v << 8) | o;
                        note(v, "rekey #" + std::to_string(h.message_id) + (h.is_response() ? " response" : " request"));
                    }
    }
    // §2.13, §2.14: SK_d, SK_pi and SK_pr are as long as the PRF's preferred key.
    static const std::map<std::uint16_t, std::size_t> prf_key{{2, 20}, {4, 16}, {5, 32}, {6, 48}, {7, 64}, {8, 16}};
    for (const Side* s : {&p.a, &p.b})
        for (const auto& k : s->keys) {
            const auto* prf = core::transform_of(k.proposal, Transform_type::PRF);
            if (!prf || !prf_key.count(prf->id)) continue;
            const std::size_t want = prf_key.at(prf->id);
            if (k.SK_d.size() != want || k.SK_pi.size() != want || k.SK_pr.size() != want)
                fail("7296-2.14-s1", "SK_d/SK_pi/SK_pr not " + std::to_string(want) + " octets (7296-2.13-s3)");
        }
    // §1.4.1: SPIs are not reused: every CHILD SA a side installs has an inbound SPI of its own,
    // never zero (§3.3.1 SPI of ESP), never one an earlier CHILD SA had.
    for (const Side* s : {&p.a, &p.b}) {
        std::set<std::uint32_t> spis;
        for (const auto& c : s->installed) {
            if (c.spi_in == 0 || c.spi_out == 0) fail("7296-1.4.1-s6", "a CHILD SA with SPI zero");
            if (!spis.insert(c.spi_in).second) fail("7296-1.4.1-s6", "an inbound SPI used for a second CHILD SA");
        }
    }
    // §2.23: UDP encapsulation of ESP never on port 500.
    for (const Side* s : {&p.a, &p.b})
        for (const auto& c : s->installed)
            if (c.udp_encapsulation && (c.local.port == 500 || c.remote.port == 500))
                fail("7296-2.23-s3", "a UDP-encapsulated CHILD SA on port 500");
    // §2.3: with the default window of one, a side has at most one request outstanding: walking
    // its traces, every request it sends (a retransmission is the same one) must find the
    // previous one answered.
    for (const Side* s : {&p.a, &p.b}) {
        std::set<std::string> outstanding;
        for (const auto& t : s->traces) {
            const auto hash = t.notation.find(" #");
            if (hash == std::string::npos) continue;
            const auto sp = t.notation.find(' ', hash + 2);
            const std::string key = t.notation.substr(0, t.notation.find(' ')) + t.notation.substr(hash, sp - hash);
            const bool request = t.notation.find(" request #") != std::string::npos;
            if (t.sent && request) {
                outstanding.insert(key);
                if (outstanding.size() > 1)
                    fail("7296-2.3-s2", std::string(s == &p.a ? "I" : "R") + " sent " + t.notation +
                                            " with another request outstanding");
            }
            if (!t.sent && !request) outstanding.erase(key);
        }
    }
    // §2.1: a response is sent again only for a retransmitted request: copies of a response
    // bytes <= copies of its request the responder received.
    for (const Side* s : {&p.a, &p.b}) {
        std::map<Bytes, int> sent_copies;
        for (const auto& raw : s->sent) sent_copies[strip(raw)]++;
        for (const auto& [bytes, n] : sent_copies) {
            auto d = codec::decode_message(Octets(bytes));
            if (!codec::ok(d) || !codec::value(d).header.is_response()) continue;
            const auto key = exchange_key(codec::value(d).header);
            int received = 0;
            for (const auto& [to_b, b] : delivered) {
                if (to_b != (s == &p.b)) continue;
                auto r = codec::decode_message(Octets(strip(b)));
                if (codec::ok(r) && !codec::value(r).header.is_response() && exchange_key(codec::value(r).header) == key)
                    ++received;
            }
            if (n > received)
                fail("7296-2.1-s1", std::string(s == &p.a ? "I" : "R") + " sent a response " + std::to_string(n) +
                                        " times for " + std::to_string(received) + " copies of its request");
        }
    }
    return bad;
}

// ---- (a) deterministic replay ------------------------------------------------------------

void replay(const Sequence& s) {
    Peer_pair p(config_of(s.I, true), config_of(s.R, false));
    p.initiate();
    Step_record rec;
    auto check_after = [&](int step) {
        for (const auto& e : s.expectations) {
            if (e.after_step != step) continue;
            const auto why = check(p, e, rec);
            EXPECT_EQ(why, "") << s.name << ".seq:" << e.line << ": expect: " << e.text
                               << (step ? " after step " + std::to_string(step) : std::string()) << "\n"
                               << p.transcript();
        }
    };
    // A byte-identical retransmission (§2.1) is answered or discarded without a new trace;
    // it carries the notation its first copy was traced with.
    std::map<Bytes, std::string> seen;
    std::vector<std::pair<bool, Bytes>> delivered;
    int step_no = 0;
    for (const auto& st : s.steps) {
        ++step_no;
        const std::string where = s.name + ".seq:" + std::to_string(st.line);
        switch (st.kind) {
        case Step_kind::message: {
            ASSERT_FALSE(p.wire.empty()) << where << ": nothing on the wire\n" << p.transcript();
            ASSERT_EQ(p.wire.front().to_b, st.from_initiator)
                << where << ": next datagram goes the other way\n" << p.transcript();
            Side& to = st.from_initiator ? p.b : p.a;
            const Bytes bytes = p.wire.front().d.bytes;
            rec.port[step_no] = p.wire.front().d.remote.port;
            rec.marker[step_no] = bytes.size() >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0 && bytes[3] == 0;
            const auto before = to.traces.size();
            delivered.emplace_back(st.from_initiator, bytes);
            p.deliver_one();
            std::vector<std::string> received;
            for (auto i = before; i < to.traces.size(); ++i)
                if (!to.traces[i].sent) received.push_back(to.traces[i].notation);
            if (st.notation == kIgnored) {
                EXPECT_TRUE(received.empty() && !seen.count(bytes))
                    << where << ": the receiver traced " << (received.empty() ? seen[bytes] : received[0])
                    << " for a datagram it should ignore\n" << p.transcript();
                break;
            }
            if (received.empty() && seen.count(bytes)) received.push_back(seen[bytes]);
            if (received.size() == 1) seen.emplace(bytes, received[0]);
            ASSERT_EQ(received.size(), 1u) << where << ": receiver traced " << received.size() << " messages\n"
                                           << p.transcript();
            EXPECT_EQ(received[0], st.notation) << where;
            break;
        }
        case Step_kind::drop:
            ASSERT_FALSE(p.wire.empty()) << where << ": nothing to drop";
            p.wire.pop_front();
            break;
        case Step_kind::duplicate:
            ASSERT_FALSE(p.wire.empty()) << where << ": nothing to duplicate";
            p.wire.insert(p.wire.begin() + 1, p.wire.front());
            break;
        case Step_kind::swap:
            ASSERT_GE(p.wire.size(), 2u) << where << ": swap needs two datagrams on the wire\n" << p.transcript();
            std::swap(p.wire[0], p.wire[1]);
            break;
        case Step_kind::corrupt: {
            ASSERT_FALSE(p.wire.empty()) << where << ": nothing to corrupt";
            Bytes& b = p.wire.front().d.bytes;
            const std::size_t marker = p.wire.front().d.remote.port == 4500 ? 4 : 0;
            const std::size_t at = st.offset ? marker + *st.offset : b.size() - 1;  // default: inside the ICV (§3.14)
            ASSERT_LT(at, b.size()) << where << ": corrupt offset past the datagram";
            b[at] ^= 0x01;
            break;
        }
        case Step_kind::set_version: {
            ASSERT_FALSE(p.wire.empty()) << where << ": nothing to change";
            Bytes& b = p.wire.front().d.bytes;
            const std::size_t marker = p.wire.front().d.remote.port == 4500 ? 4 : 0;
            ASSERT_GT(b.size(), marker + 17) << where;
            b[marker + 17] = st.version;  // §3.1: MjVer | MnVer
            break;
        }
        case Step_kind::advance:
            advance(p, st.advance);
            break;
        case Step_kind::request:
            perform(p, st, s);
            break;
        case Step_kind::craft: {
            const auto why = craft(p, st);
            ASSERT_EQ(why, "") << where;
            break;
        }
        }
        check_after(step_no);
    }
    EXPECT_TRUE(p.wire.empty()) << s.name << ".seq: " << p.wire.size()
                                << " datagram(s) left on the wire after the last step\n" << p.transcript();
    check_after(0);
    for (const auto& v : wire_rules(p, delivered)) ADD_FAILURE() << s.name << ".seq: " << v;
    // [7296-3.3-s2] The initiator's IKE proposals go out in the order configured (most preferred
    // first), each with the transforms its keyword names.
    if (!p.a.sent.empty()) {
        auto first = codec::decode_message(Octets(p.a.sent[0]));
        if (codec::ok(first) && codec::value(first).header.exchange == Exchange_type::IKE_SA_INIT) {
            const auto want = proposals_of(s.I.proposals, Protocol_id::IKE);
            auto key = [](std::vector<Transform> t) {
                std::sort(t.begin(), t.end(), [](const Transform& x, const Transform& y) {
                    return std::make_tuple(x.type, x.id, x.key_length) < std::make_tuple(y.type, y.id, y.key_length);
                });
                return t;
            };
            for (const auto& pl : codec::value(first).payloads) {
                const auto* sa = std::get_if<Payload_SA>(&pl.body);
                if (!sa) continue;
                EXPECT_EQ(sa->proposals.size(), want.size()) << s.name << ".seq: 7296-3.3-s2: proposals sent";
                for (std::size_t i = 0; i < std::min(sa->proposals.size(), want.size()); ++i)
                    EXPECT_TRUE(key(sa->proposals[i].transforms) == key(want[i].transforms))
                        << s.name << ".seq: 7296-3.3-s2: proposal " << i + 1 << " is not the configured one";
            }
        }
    }
}

TEST(Sequence_format, parses_header_steps_and_expectations) {
    const auto s = parse_sequence(
        "name: t   # c\nrfc: 7296 §2.6\nrequirements: 7296-2.6-a, 7296-2.6-b\n"
        "I: proposal=aes128-sha256-modp2048 cookies=always\n"
        "R: proposal=aes128-sha256-modp2048,aes256gcm16-prfsha256-x25519 esp=aes128gcm16,aes256gcm16 psk=x "
        "local_ts=10.2.0.0/25,10.3.0.7 remote_ts=10.1.0.5-10.1.0.9 nat_t=force dpd=10s tries=2\n"
        "I ->  R   IKE_SA_INIT request #0 { SA, KE, Ni }   # first\n"
        "drop\nduplicate\nadvance 1500ms\nadvance 2s\nswap\ncorrupt\n"
        "R: rekey-child 1\nI: rekey-ike\nI: craft INFORMATIONAL request #2 { SK { U(200,C) } }\n"
        "R -> I (ignored)\n"
        "expect: R ike_sa_count 0 after step 2\nexpect: same IKE keys\n",
        "t");
    EXPECT_EQ(s.name, "t");
    EXPECT_EQ(s.rfc, "7296 §2.6");
    ASSERT_EQ(s.requirements.size(), 2u);
    EXPECT_EQ(s.requirements[1], "7296-2.6-b");
    EXPECT_EQ(s.I.proposals, std::vector<std::string>{"aes128-sha256-modp2048"});
    EXPECT_EQ(s.I.esp, std::vector<std::string>{"aes256gcm16"});
    EXPECT_EQ(s.I.cookies, Cookie_policy::always);
    EXPECT_EQ(s.R.cookies, Cookie_policy::on_load);
    EXPECT_EQ(s.R.proposals.size(), 2u);
    EXPECT_EQ(s.R.esp.size(), 2u);
    EXPECT_EQ(s.R.psk, std::optional<std::string>("x"));
    ASSERT_EQ(s.R.local_ts.size(), 2u);
    EXPECT_EQ(s.R.local_ts[0].end_address, (Bytes{10, 2, 0, 127}));
    EXPECT_EQ(s.R.local_ts[1].start_address, (Bytes{10, 3, 0, 7}));
    EXPECT_EQ(s.R.local_ts[1].end_address, (Bytes{10, 3, 0, 7}));
    EXPECT_EQ(s.R.remote_ts.at(0).end_address, (Bytes{10, 1, 0, 9}));
    EXPECT_TRUE(s.R.force_nat_t);
    EXPECT_EQ(s.R.dpd.count(), 10);
    EXPECT_EQ(s.R.tries, std::optional<unsigned>(2));
    ASSERT_EQ(s.steps.size(), 11u);
    EXPECT_EQ(s.steps[0].notation, "IKE_SA_INIT request #0 { SA, KE, Ni }");
    EXPECT_TRUE(s.steps[0].from_initiator);
    EXPECT_EQ(s.steps[1].kind, Step_kind::drop);
    EXPECT_EQ(s.steps[2].kind, Step_kind::duplicate);
    EXPECT_EQ(s.steps[3].advance.count(), 1500);
    EXPECT_EQ(s.steps[4].advance.count(), 2000);
    EXPECT_EQ(s.steps[5].kind, Step_kind::swap);
    EXPECT_EQ(s.steps[6].kind, Step_kind::corrupt);
    EXPECT_EQ(s.steps[7].kind, Step_kind::request);
    EXPECT_EQ(s.steps[7].request, Request_kind::rekey_child);
    EXPECT_EQ(s.steps[7].child_index, 1u);
    EXPECT_FALSE(s.steps[7].from_initiator);
    EXPECT_EQ(s.steps[8].request, Request_kind::rekey_ike);
    EXPECT_EQ(s.steps[9].kind, Step_kind::craft);
    EXPECT_EQ(s.steps[9].notation, "INFORMATIONAL request #2 { SK { U(200,C) } }");
    EXPECT_EQ(s.steps[10].notation, kIgnored);
    ASSERT_EQ(s.expectations.size(), 2u);
    EXPECT_EQ(s.expectations[0].text, "R ike_sa_count 0");
    EXPECT_EQ(s.expectations[0].after_step, 2);
    EXPECT_EQ(s.expectations[1].after_step, 0);
}

TEST(Sequence_format, rejects_unknown_lines_and_keys) {
    EXPECT_THROW(parse_sequence("name: t\nfrobnicate\n", "t"), std::runtime_error);
    EXPECT_THROW(parse_sequence("name: t\nI: colour=blue\n", "t"), std::runtime_error);
    EXPECT_THROW(parse_sequence("name: t\nadvance 2h\n", "t"), std::runtime_error);
    EXPECT_THROW(parse_sequence("rfc: x\n", "t"), std::runtime_error);
    EXPECT_THROW(parse_sequence("name: t\nI: rekey-everything\n", "t"), std::runtime_error);
    EXPECT_THROW(parse_sequence("name: t\nI: rekey-ike 2\n", "t"), std::runtime_error);
    EXPECT_THROW(parse_sequence("name: t\ndrop\nI: proposal=aes256gcm16-prfsha256-x25519\n", "t"),
                 std::runtime_error);
    EXPECT_THROW(parse_sequence("name: t\nR: local_ts=10.1.0.0/33\n", "t"), std::runtime_error);
}

// Every file in the directory parses, names itself after its stem, and cites ids that exist.
TEST(Sequence_files, at_least_40_files_each_citing_known_requirement_ids) {
    std::ifstream f(std::string(IKEREF_SOURCE_DIR) + "/spec-notes/rfc7296/requirements.md");
    ASSERT_TRUE(f);
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string table = ss.str();
    // Form rules (7296-1.2-ike-auth-request-needs-IDi ...) are named by the message-rule table
    // itself (requirements.md, Table 2).
    std::ifstream r(std::string(IKEREF_SOURCE_DIR) + "/src/codec/message_rules.cpp");
    ASSERT_TRUE(r);
    std::stringstream rs;
    rs << r.rdbuf();
    const std::string rules = rs.str();
    std::ifstream rd(sequence_dir() + "README.md");
    ASSERT_TRUE(rd);
    std::stringstream rds;
    rds << rd.rdbuf();
    const std::string readme = rds.str();
    const auto stems = sequence_stems();
    EXPECT_GE(stems.size(), 40u);
    for (const auto& stem : stems) {
        const Sequence s = load_sequence(stem);
        EXPECT_EQ(s.name, stem);
        EXPECT_FALSE(s.requirements.empty()) << stem;
        EXPECT_FALSE(s.expectations.empty()) << stem;
        EXPECT_NE(readme.find("| " + stem + ".seq |"), std::string::npos) << stem << ".seq is not in README.md's table";
        for (const auto& id : s.requirements)
            EXPECT_TRUE(table.find("| " + id + " |") != std::string::npos ||
                        rules.find("\"" + id + "\"") != std::string::npos)
                << stem << ".seq cites " << id
                                                                      << ", which has no row in requirements.md";
    }
}

class Sequence_replay : public ::testing::TestWithParam<std::string> {};

/// Files listed in conformance/sequences/KNOWN_FAILURES.md (`| name.seq | ...`): the RFC says
/// what the file says, ikeref does not do it yet; the row names the rule and what was observed.
std::map<std::string, std::string> known_failures() {
    std::map<std::string, std::string> out;
    std::ifstream f(sequence_dir() + "KNOWN_FAILURES.md");
    for (std::string line; std::getline(f, line);) {
        if (line.rfind("| ", 0) != 0) continue;
        const auto end = line.find(".seq |");
        if (end == std::string::npos) continue;
        out[trim(line.substr(2, end - 2))] = line;
    }
    return out;
}

TEST(Sequence_files, known_failures_name_existing_files) {
    const auto stems = sequence_stems();
    for (const auto& [stem, row] : known_failures())
        EXPECT_TRUE(std::find(stems.begin(), stems.end(), stem) != stems.end())
            << "KNOWN_FAILURES.md lists " << stem << ".seq, which does not exist";
}

TEST_P(Sequence_replay, messages_and_end_state_match_the_file) {
    const Sequence s = load_sequence(GetParam());
    const auto known = known_failures();
    if (known.count(GetParam()))
        GTEST_SKIP() << GetParam() << ".seq is a known failure of ikeref (KNOWN_FAILURES.md): " << known.at(GetParam());
    replay(s);
}

std::string param_name(const ::testing::TestParamInfo<std::string>& i) { return i.param; }

INSTANTIATE_TEST_SUITE_P(Files, Sequence_replay, ::testing::ValuesIn(sequence_stems()), param_name);

// A replay must be able to fail: a sequence with one payload changed is refused.
TEST(Sequence_replay_negative, a_wrong_payload_chain_is_reported) {
    Sequence s = load_sequence("initial_exchanges");
    s.steps[1].notation = "IKE_SA_INIT response #0 { SA, KE, Nr }";
    ::testing::TestPartResultArray failures;
    {
        ::testing::ScopedFakeTestPartResultReporter reporter(
            ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
        replay(s);
    }
    EXPECT_GE(failures.size(), 1);
}

// ... and so must an expectation and an "(ignored)" line that does not hold.
TEST(Sequence_replay_negative, a_wrong_expectation_and_a_traced_ignored_datagram_are_reported) {
    for (int variant = 0; variant < 2; ++variant) {
        Sequence s = load_sequence("initial_exchanges");
        if (variant == 0) s.expectations.push_back(Expectation{"I children 2", 0, 0});
        else s.steps[2].notation = kIgnored;
        ::testing::TestPartResultArray failures;
        {
            ::testing::ScopedFakeTestPartResultReporter reporter(
                ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
            replay(s);
        }
        EXPECT_GE(failures.size(), 1) << "variant " << variant;
    }
}

// The wire rules can fail: a critical bit, a minor version and a reused nonce put into the
// datagrams a real dialogue sent are each reported under their id.
TEST(Wire_rules, report_a_critical_bit_a_minor_version_a_reused_nonce_and_a_second_outstanding_request) {
    Peer_pair p(make_config(true), make_config(false));
    p.initiate();
    p.run();
    EXPECT_TRUE(std::none_of(p.a.sent.begin(), p.a.sent.end(), [](const Bytes& b) { return b.empty(); }));
    auto has = [](const std::vector<std::string>& v, const std::string& id) {
        return std::any_of(v.begin(), v.end(), [&](const std::string& x) { return x.rfind(id + ":", 0) == 0; });
    };
    const auto clean = wire_rules(p, {});
    EXPECT_FALSE(has(clean, "7296-3.2-s4"));
    EXPECT_FALSE(has(clean, "7296-3.9-s2"));
    ASSERT_GE(p.a.sent[0].size(), 30u);
    p.a.sent[0][28 + 1] |= 0x80;  // critical bit of the first payload (SA) of IKE_SA_INIT
    p.a.sent[0][17] = 0x21;       // version 2.1
    EXPECT_TRUE(has(wire_rules(p, {}), "7296-3.2-s4"));
    EXPECT_TRUE(has(wire_rules(p, {}), "7296-3.1-s7"));
    // The responder's IKE_SA_INIT response sent again as if it were a new message with I's nonce.
    Peer_pair q(make_config(true), make_config(false));
    q.initiate();
    q.run();
    q.b.sent.push_back(q.a.sent[0]);
    q.b.sent.back()[19] ^= 0x01;  // another Message ID: a different message, same Ni
    EXPECT_TRUE(has(wire_rules(q, {}), "7296-3.9-s2"));
    // Two requests of one side outstanding at once break the window of one.
    q.a.traces.push_back(Message_trace{true, {}, {}, "INFORMATIONAL request #7 { SK { } }"});
    q.a.traces.push_back(Message_trace{true, {}, {}, "INFORMATIONAL request #8 { SK { } }"});
    EXPECT_TRUE(has(wire_rules(q, {}), "7296-2.3-s2"));
}

// ---- (b) random schedules ----------------------------------------------------------------

enum class Op { deliver, drop_next, duplicate_next, fire_timer, request };

void random_schedule_property(const Sequence& s) {
    std::vector<const Step*> requests;
    for (const auto& st : s.steps)
        if (st.kind == Step_kind::request) requests.push_back(&st);
    // deliver is the common case; loss and duplication one in six each, timers one in eight.
    const auto op_gen = requests.empty()
                        ? rc::gen::weightedElement<Op>(
                              {{12, Op::deliver}, {4, Op::drop_next}, {4, Op::duplicate_next}, {3, Op::fire_timer}})
                        : rc::gen::weightedElement<Op>({{12, Op::deliver},
                                                        {4, Op::drop_next},
                                                        {4, Op::duplicate_next},
                                                        {3, Op::fire_timer},
                                                        {3, Op::request}});
    const auto ops = *rc::gen::container<std::vector<Op>>(*rc::gen::inRange<std::size_t>(0, 40), op_gen);
    Peer_pair p(config_of(s.I, true), config_of(s.R, false));
    p.initiate();
    int lost = 0, duplicated = 0, cookie_answers = 0;
    std::size_t next_request = 0;

    auto deliver = [&] {
        if (p.wire.empty()) return;
        const bool to_R = p.wire.front().to_b;
        const auto sa_before = p.b.ep->ike_sa_count();
        const auto half_before = p.b.ep->half_open_count();
        const auto traces_before = p.b.traces.size();
        p.deliver_one();
        if (!to_R) return;
        for (auto i = traces_before; i < p.b.traces.size(); ++i) {
            if (p.b.traces[i].sent && p.b.traces[i].notation.rfind("IKE_SA_INIT response", 0) == 0 &&
                p.b.traces[i].notation.find("N(COOKIE)") != std::string::npos) {
                // [7296-2.6-cookie-required] the COOKIE answer keeps no state.
                ++cookie_answers;
                RC_ASSERT(p.b.ep->ike_sa_count() == sa_before);
                RC_ASSERT(p.b.ep->half_open_count() == half_before);
            }
        }
    };
    auto at_most_one_child = [&] {
        if (!requests.empty()) return;
        RC_ASSERT(p.a.installed.size() <= 1u);
        RC_ASSERT(p.b.installed.size() <= 1u);
    };
    for (Op op : ops) {
        switch (op) {
        case Op::deliver: deliver(); break;
        case Op::drop_next:
            if (!p.wire.empty()) {
                p.wire.pop_front();
                ++lost;
            }
            break;
        case Op::duplicate_next:
            if (!p.wire.empty()) {
                p.wire.insert(p.wire.begin() + 1, p.wire.front());
                ++duplicated;
            }
            break;
        case Op::fire_timer: p.fire_next_timer(); break;
        case Op::request:
            if (next_request < requests.size()) perform(p, *requests[next_request++], s);
            break;
        }
        at_most_one_child();
    }
    // Lossless finish: deliver everything, fire timers, until quiet; then the file's remaining
    // requests, each followed by the same.
    auto settle = [&] {
        for (int i = 0; i < 300; ++i) {
            if (!p.wire.empty()) {
                deliver();
                continue;
            }
            if (!p.fire_next_timer()) break;
        }
    };
    settle();
    while (next_request < requests.size()) {
        perform(p, *requests[next_request++], s);
        settle();
    }
    at_most_one_child();
    // Never two different key sets for one IKE SA, on one side or across the two.
    for (const Side* x : {&p.a, &p.b})
        for (const Side* y : {&p.a, &p.b})
            for (const auto& kx : x->keys)
                for (const auto& ky : y->keys)
                    if (kx.SPIi == ky.SPIi && kx.SPIr == ky.SPIr) RC_ASSERT(same_ike_keys(kx, ky));

    const auto la = p.a.ep->list(), lb = p.b.ep->list();
    const bool same_sa = la.size() == 1 && lb.size() == 1 && la[0].SPIi == lb[0].SPIi && la[0].SPIr == lb[0].SPIr &&
                         la[0].state == "Established" && lb[0].state == "Established";
    if (same_sa) {
        const auto why = same_sas(p);
        if (!why.empty()) RC_FAIL(why + "\n" + p.transcript());
    }
    // With cookies always required, R answers COOKIE to anything that reaches it first; only a
    // schedule that lost every request can end without one (regression: the seed-dependent
    // flake where every IKE_SA_INIT request was dropped).
    const bool R_heard_something = std::any_of(p.b.traces.begin(), p.b.traces.end(),
                                               [](const Message_trace& t) { return !t.sent; });
    if (s.R.cookies == Cookie_policy::always && R_heard_something) RC_ASSERT(cookie_answers >= 1);
    RC_TAG(same_sa ? "same established IKE SA" : "no common established IKE SA");
    RC_CLASSIFY(lost > 0, "had loss");
    RC_CLASSIFY(duplicated > 0, "had duplicates");
}

/// Cases per file: IKEREF_SEQ_RC_CASES, else RC_PARAMS' max_success when given, else 200 (a
/// file's 200 runs take about 0.3 s); `RC_PARAMS=seed=N` still seeds them.
int cases_per_file() {
    if (const char* v = std::getenv("IKEREF_SEQ_RC_CASES")) return std::max(1, std::atoi(v));
    const char* rc = std::getenv("RC_PARAMS");
    if (rc && std::string(rc).find("max_success") != std::string::npos) return rc::detail::configuration().testParams.maxSuccess;
    return 200;
}

class Sequence_random_schedule : public ::testing::TestWithParam<std::string> {};

TEST_P(Sequence_random_schedule, keys_and_SAs_agree_under_loss_duplication_and_timers) {
    const Sequence s = load_sequence(GetParam());
    rc::detail::TestParams params = rc::detail::configuration().testParams;
    params.maxSuccess = cases_per_file();
    params.seed += std::hash<std::string>{}(GetParam());  // each file its own schedules
    rc::detail::TestMetadata meta;
    meta.id = GetParam();
    meta.description = GetParam();
    const auto result = rc::detail::checkTestable([&] { random_schedule_property(s); }, meta, params);
    std::cerr << "- " << GetParam() << ": ";
    rc::detail::printResultMessage(result, std::cerr);
    std::cerr << "\n";
    EXPECT_TRUE(result.template is<rc::detail::SuccessResult>()) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Files, Sequence_random_schedule, ::testing::ValuesIn(sequence_stems()), param_name);

}  // namespace
}  // namespace ike::test
