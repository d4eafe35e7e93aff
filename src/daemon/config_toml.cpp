// TOML (toml++) -> ike::Config in swanctl's vocabulary. Each check names the file, the line
// (toml++ source regions) and the dotted key at fault.
#include "src/daemon/config_toml.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include <toml++/toml.h>

#include "src/codec/codec.hpp"
#include "src/codec/proposal_keywords.hpp"

namespace ike::daemon {

Config_error::Config_error(std::string file, unsigned line, std::string key,
                           const std::string& reason)
    : std::runtime_error(file + (line ? ":" + std::to_string(line) : std::string()) + ": " +
                         (key.empty() ? std::string() : key + ": ") + reason),
      file_(std::move(file)),
      line_(line),
      key_(std::move(key)) {}

namespace {

const char* const default_ike_proposals[] = {"aes128-sha256-x25519"};
const char* const default_esp_proposals[] = {"aes128gcm16", "aes128-sha256"};

std::string type_name(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::table: return "table";
        case toml::node_type::array: return "array";
        case toml::node_type::string: return "string";
        case toml::node_type::integer: return "integer";
        case toml::node_type::floating_point: return "float";
        case toml::node_type::boolean: return "boolean";
        case toml::node_type::date: return "date";
        case toml::node_type::time: return "time";
        case toml::node_type::date_time: return "date-time";
        default: return "nothing";
    }
}

/// The file being read and the checks, each throwing Config_error with file, line and key.
class Reader {
public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    [[noreturn]] void fail(const toml::source_region& where, const std::string& key,
                           const std::string& reason) const {
        throw Config_error(file_, static_cast<unsigned>(where.begin.line), key, reason);
    }
    [[noreturn]] void fail(const toml::node& n, const std::string& key,
                           const std::string& reason) const {
        fail(n.source(), key, reason);
    }

    /// Refuses any key of `t` not in `allowed` (or accepted by `also`).
    template <typename Pred>
    void only_keys(const toml::table& t, const std::string& path,
                   std::initializer_list<std::string_view> allowed, Pred also) const {
        for (auto&& [k, v] : t) {
            bool ok = also(k.str());
            for (auto a : allowed) ok = ok || k.str() == a;
            if (!ok) {
                const auto& where = k.source().begin.line != 0 ? k.source() : v.source();
                fail(where, join(path, k.str()), "unknown key");
            }
        }
    }
    void only_keys(const toml::table& t, const std::string& path,
                   std::initializer_list<std::string_view> allowed) const {
        only_keys(t, path, allowed, [](std::string_view) { return false; });
    }

    static std::string join(const std::string& path, std::string_view key) {
        return path.empty() ? std::string(key) : path + "." + std::string(key);
    }

    const toml::table* table(const toml::table& t, const std::string& path,
                             std::string_view key) const {
        const toml::node* n = t.get(key);
        if (n == nullptr) return nullptr;
        if (!n->is_table()) fail(*n, join(path, key), "expected a table, got " + type_name(*n));
        return n->as_table();
    }

    std::optional<std::string> string(const toml::table& t, const std::string& path,
                                      std::string_view key) const {
        const toml::node* n = t.get(key);
        if (n == nullptr) return std::nullopt;
        if (!n->is_string()) fail(*n, join(path, key), "expected a string, got " + type_name(*n));
        return n->as_string()->get();
    }

    std::optional<bool> boolean(const toml::table& t, const std::string& path,
                                std::string_view key) const {
        const toml::node* n = t.get(key);
        if (n == nullptr) return std::nullopt;
        if (!n->is_boolean())
            fail(*n, join(path, key), "expected a boolean, got " + type_name(*n));
        return n->as_boolean()->get();
    }

    std::optional<std::int64_t> integer(const toml::table& t, const std::string& path,
                                        std::string_view key, std::int64_t lo,
                                        std::int64_t hi) const {
        const toml::node* n = t.get(key);
        if (n == nullptr) return std::nullopt;
        if (!n->is_integer())
            fail(*n, join(path, key), "expected an integer, got " + type_name(*n));
        const std::int64_t v = n->as_integer()->get();
        if (v < lo || v > hi)
            fail(*n, join(path, key),
                 "value " + std::to_string(v) + " out of range " + std::to_string(lo) + ".." +
                     std::to_string(hi));
        return v;
    }

    /// A float; an integer is accepted too ("timeout = 4").
    std::optional<double> number(const toml::table& t, const std::string& path,
                                 std::string_view key, double lo, double hi) const {
        const toml::node* n = t.get(key);
        if (n == nullptr) return std::nullopt;
        double v = 0;
        if (n->is_floating_point())
            v = n->as_floating_point()->get();
        else if (n->is_integer())
            v = static_cast<double>(n->as_integer()->get());
        else
            fail(*n, join(path, key), "expected a number, got " + type_name(*n));
        if (!(v >= lo && v <= hi))
            fail(*n, join(path, key), "value out of range " + fmt_num(lo) + ".." + fmt_num(hi));
        return v;
    }

    /// A list of strings; a single string is taken as a list of one. Each element with the
    /// node it came from (for its line).
    std::vector<std::pair<std::string, const toml::node*>> strings(const toml::table& t,
                                                                   const std::string& path,
                                                                   std::string_view key) const {
        std::vector<std::pair<std::string, const toml::node*>> out;
        const toml::node* n = t.get(key);
        if (n == nullptr) return out;
        if (n->is_string()) {
            out.emplace_back(n->as_string()->get(), n);
            return out;
        }
        if (!n->is_array())
            fail(*n, join(path, key), "expected an array of strings, got " + type_name(*n));
        const toml::array& a = *n->as_array();
        for (std::size_t i = 0; i < a.size(); ++i) {
            const toml::node& e = a[i];
            if (!e.is_string())
                fail(e, join(path, key) + "[" + std::to_string(i) + "]",
                     "expected a string, got " + type_name(e));
            out.emplace_back(e.as_string()->get(), &e);
        }
        return out;
    }

    const std::string& file() const { return file_; }

private:
    static std::string fmt_num(double d) {
        std::ostringstream s;
        s << d;
        return s.str();
    }
    std::string file_;
};

// ---- traffic selectors (RFC 7296 §3.13.1, swanctl syntax) -----------------------------------

bool parse_ip(std::string_view text, Bytes& out) {
    auto a = Address::parse_ip(text, 0);
    if (!a) return false;
    out = std::move(a->ip);
    return true;
}

bool parse_uint(std::string_view s, unsigned long max, unsigned long& out) {
    if (s.empty() || s.size() > 10) return false;
    unsigned long v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned long>(c - '0');
    }
    if (v > max) return false;
    out = v;
    return true;
}

bool parse_protocol(std::string_view s, std::uint8_t& out) {
    struct Name {
        std::string_view name;
        std::uint8_t number;
    };
    static const Name names[] = {{"icmp", 1},       {"tcp", 6},   {"udp", 17},
                                 {"ipv6-icmp", 58}, {"icmp6", 58}, {"sctp", 132},
                                 {"gre", 47},       {"%any", 0}};
    if (s.empty()) {
        out = 0;
        return true;
    }
    for (const auto& n : names)
        if (n.name == s) {
            out = n.number;
            return true;
        }
    unsigned long v = 0;
    if (!parse_uint(s, 255, v)) return false;
    out = static_cast<std::uint8_t>(v);
    return true;
}

bool parse_ports(std::string_view s, std::uint16_t& lo, std::uint16_t& hi) {
    // [7296-3.13.1-s3] "any port" is start 0, end 65535 (also Traffic_selector's defaults).
    if (s.empty() || s == "%any") {
        lo = 0;
        hi = 65535;
        return true;
    }
    const auto dash = s.find('-');
    unsigned long a = 0, b = 0;
    if (dash == std::string_view::npos) {
        if (!parse_uint(s, 65535, a)) return false;
        b = a;
    } else if (!parse_uint(s.substr(0, dash), 65535, a) ||
               !parse_uint(s.substr(dash + 1), 65535, b) || a > b) {
        return false;
    }
    lo = static_cast<std::uint16_t>(a);
    hi = static_cast<std::uint16_t>(b);
    return true;
}

/// start = address with host bits cleared, end = with host bits set.
void apply_prefix(Bytes& start, Bytes& end, unsigned prefix) {
    end = start;
    for (std::size_t i = 0; i < start.size(); ++i) {
        const unsigned bit0 = static_cast<unsigned>(i) * 8;
        std::uint8_t mask = 0xff;
        if (prefix <= bit0)
            mask = 0;
        else if (prefix < bit0 + 8)
            mask = static_cast<std::uint8_t>(0xff << (8 - (prefix - bit0)));
        start[i] = static_cast<std::uint8_t>(start[i] & mask);
        end[i] = static_cast<std::uint8_t>(end[i] | static_cast<std::uint8_t>(~mask));
    }
}

/// Prefix length when [start, end] is exactly one prefix, else -1.
int prefix_of(const Bytes& start, const Bytes& end) {
    if (start.size() != end.size() || start.empty()) return -1;
    const int bits = static_cast<int>(start.size() * 8);
    for (int p = 0; p <= bits; ++p) {
        Bytes s = start, e;
        apply_prefix(s, e, static_cast<unsigned>(p));
        if (s == start && e == end) return p;
    }
    return -1;
}

std::string ip_string(const Bytes& ip) {
    Address a;
    a.ip = ip;
    std::string s = a.to_string();  // "host:0" or "[host]:0"
    s.erase(s.rfind(':'));
    if (!s.empty() && s.front() == '[') s = s.substr(1, s.size() - 2);
    return s;
}

}  // namespace

bool parse_traffic_selector(std::string_view text, Traffic_selector& out, std::string& error) {
    Traffic_selector ts;
    std::string_view addr = text;
    const auto bracket = text.find('[');
    if (bracket != std::string_view::npos) {
        if (text.back() != ']') {
            error = "missing ']' in '" + std::string(text) + "'";
            return false;
        }
        addr = text.substr(0, bracket);
        std::string_view inner = text.substr(bracket + 1, text.size() - bracket - 2);
        const auto slash = inner.find('/');
        const std::string_view proto = inner.substr(0, slash);
        const std::string_view port =
            slash == std::string_view::npos ? std::string_view() : inner.substr(slash + 1);
        if (!parse_protocol(proto, ts.ip_protocol)) {
            error = "unknown protocol '" + std::string(proto) + "'";
            return false;
        }
        if (!parse_ports(port, ts.start_port, ts.end_port)) {
            error = "bad port '" + std::string(port) + "'";
            return false;
        }
        // [7296-3.13.1-s1] [7296-3.13.1-s2] a protocol whose port is undefined (including 0,
        // "%any") is sent with ports 0..65535 only: a port given with it is refused, not dropped.
        if (!codec::ts_ports_valid(ts)) {
            error = "port '" + std::string(port) + "' with protocol " + std::to_string(ts.ip_protocol) +
                    (proto.empty() ? std::string(" (any)") : " ('" + std::string(proto) + "')") +
                    ", which has no ports (RFC 7296 §3.13.1: Start Port 0, End Port 65535)";
            return false;
        }
    }
    if (addr.empty()) {
        error = "missing address in '" + std::string(text) + "'";
        return false;
    }
    const auto slash = addr.find('/');
    const auto dash = addr.find('-');
    if (slash != std::string_view::npos) {
        if (!parse_ip(addr.substr(0, slash), ts.start_address)) {
            error = "bad address in '" + std::string(addr) + "'";
            return false;
        }
        unsigned long prefix = 0;
        const unsigned long max = ts.start_address.size() * 8;
        if (!parse_uint(addr.substr(slash + 1), max, prefix)) {
            error = "bad prefix length in '" + std::string(addr) + "' (0.." +
                    std::to_string(max) + ")";
            return false;
        }
        apply_prefix(ts.start_address, ts.end_address, static_cast<unsigned>(prefix));
    } else if (dash != std::string_view::npos) {
        if (!parse_ip(addr.substr(0, dash), ts.start_address) ||
            !parse_ip(addr.substr(dash + 1), ts.end_address) ||
            ts.start_address.size() != ts.end_address.size() ||
            ts.end_address < ts.start_address) {
            error = "bad address range '" + std::string(addr) + "'";
            return false;
        }
    } else {
        if (!parse_ip(addr, ts.start_address)) {
            error = "bad address '" + std::string(addr) + "'";
            return false;
        }
        ts.end_address = ts.start_address;
    }
    ts.ts_type = ts.start_address.size() == 4 ? Ts_type::TS_IPV4_ADDR_RANGE
                                              : Ts_type::TS_IPV6_ADDR_RANGE;
    out = std::move(ts);
    return true;
}

std::string traffic_selector_to_string(const Traffic_selector& ts) {
    std::string s;
    const int p = prefix_of(ts.start_address, ts.end_address);
    if (p >= 0)
        s = ip_string(ts.start_address) + "/" + std::to_string(p);
    else
        s = ip_string(ts.start_address) + "-" + ip_string(ts.end_address);
    const bool any_port = ts.start_port == 0 && ts.end_port == 65535;
    if (ts.ip_protocol != 0 || !any_port) {
        s += "[";
        if (ts.ip_protocol != 0) s += std::to_string(ts.ip_protocol);
        if (!any_port) {
            s += "/" + std::to_string(ts.start_port);
            if (ts.end_port != ts.start_port) s += "-" + std::to_string(ts.end_port);
        }
        s += "]";
    }
    return s;
}

namespace {

std::vector<Proposal> proposals(const Reader& r, const toml::table& t, const std::string& path,
                                std::string_view key, Protocol_id protocol) {
    auto items = r.strings(t, path, key);
    std::vector<std::pair<std::string, const toml::node*>> expanded;
    for (auto& [text, node] : items) {
        if (text == "default") {
            if (protocol == Protocol_id::IKE)
                for (const char* d : default_ike_proposals) expanded.emplace_back(d, node);
            else
                for (const char* d : default_esp_proposals) expanded.emplace_back(d, node);
        } else {
            expanded.emplace_back(text, node);
        }
    }
    if (t.get(key) == nullptr) {
        if (protocol == Protocol_id::IKE)
            for (const char* d : default_ike_proposals) expanded.emplace_back(d, &t);
        else
            for (const char* d : default_esp_proposals) expanded.emplace_back(d, &t);
    } else if (expanded.empty()) {
        r.fail(*t.get(key), Reader::join(path, key), "empty proposal list");
    }
    std::vector<Proposal> out;
    for (std::size_t i = 0; i < expanded.size(); ++i) {
        std::string error;
        auto p = codec::parse_proposal(expanded[i].first, protocol, &error);
        const std::string where = Reader::join(path, key) + "[" + std::to_string(i) + "]";
        if (!p) r.fail(*expanded[i].second, where, error.empty() ? "bad proposal" : error);
        if (out.size() >= 255) r.fail(*expanded[i].second, where, "more than 255 proposals");
        p->number = static_cast<std::uint8_t>(out.size() + 1);  // RFC 7296 §3.3.1
        out.push_back(std::move(*p));
    }
    return out;
}

std::vector<Traffic_selector> selectors(const Reader& r, const toml::table& t,
                                        const std::string& path, std::string_view key) {
    std::vector<Traffic_selector> out;
    const auto items = r.strings(t, path, key);
    for (std::size_t i = 0; i < items.size(); ++i) {
        Traffic_selector ts;
        std::string error;
        if (!parse_traffic_selector(items[i].first, ts, error))
            r.fail(*items[i].second, Reader::join(path, key) + "[" + std::to_string(i) + "]",
                   error);
        out.push_back(std::move(ts));
    }
    return out;
}

std::vector<std::string> addresses(const Reader& r, const toml::table& t, const std::string& path,
                                   std::string_view key) {
    std::vector<std::string> out;
    const auto items = r.strings(t, path, key);
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (items[i].first == "%any") continue;
        if (!Address::parse_ip(items[i].first, 0))
            r.fail(*items[i].second, Reader::join(path, key) + "[" + std::to_string(i) + "]",
                   "not an IP address literal: '" + items[i].first + "'");
        out.push_back(items[i].first);
    }
    return out;
}

/// `text` with control octets written as \xNN, for an error message on one line.
std::string printable(const std::string& text) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        } else {
            out += ch;
        }
    }
    return out;
}

// [7296-3.5-s3] [7296-3.5-s4] an id whose ID_FQDN / ID_RFC822_ADDR text holds NUL, CR or LF (written with
// TOML escapes for U+0000, CR, LF) is refused here (Identity::parse throws), so we never send one.
Identity identity(const Reader& r, const toml::node& n, const std::string& key,
                  const std::string& text) {
    // An identity travels in IKE_AUTH (§3.5), whose message must fit one UDP datagram (ikeref
    // does no RFC 7383 fragmentation): a 70 000-character id once broke the encoder mid-exchange.
    constexpr std::size_t max_identity = 1024;
    if (text.size() > max_identity)
        r.fail(n, key, "identity of " + std::to_string(text.size()) + " characters: at most " +
                           std::to_string(max_identity) + " (it must fit an IKE_AUTH message, RFC 7296 §3.5)");
    try {
        return Identity::parse(text);
    } catch (const std::exception& e) {
        r.fail(n, key, std::string("bad identity '") + printable(text) + "': " + e.what());
    }
}

// A credential file named in the config: absolute, or relative to the config file's directory.
std::string credential_path(const Reader& r, const std::string& name) {
    if (!name.empty() && name[0] == '/') return name;
    const auto slash = r.file().rfind('/');
    return slash == std::string::npos ? name : r.file().substr(0, slash + 1) + name;
}

Bytes read_credential(const Reader& r, const toml::node& n, const std::string& key, const std::string& name) {
    const std::string file = credential_path(r, name);
    std::ifstream in(file, std::ios::binary);
    if (!in) r.fail(n, key, "cannot read '" + file + "'");
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    return Bytes(text.begin(), text.end());
}

std::vector<std::shared_ptr<const Certificate>> certificates(const Reader& r, const toml::table& t,
                                                             const std::string& path, std::string_view key) {
    std::vector<std::shared_ptr<const Certificate>> out;
    const auto items = r.strings(t, path, key);
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string k = Reader::join(path, key) + "[" + std::to_string(i) + "]";
        std::string error;
        auto c = parse_certificate(read_credential(r, *items[i].second, k, items[i].first), &error);
        if (!c) r.fail(*items[i].second, k, "'" + items[i].first + "': " + error);
        out.push_back(std::move(c));
    }
    return out;
}

Auth_config auth(const Reader& r, const toml::table& t, const std::string& path,
                 const std::vector<std::string>& own_addrs, bool local) {
    r.only_keys(t, path, {"auth", "id", "certs", "cacerts", "private_key"});
    Auth_config a;
    if (auto v = r.string(t, path, "auth")) {
        // swanctl: "pubkey" (any signature method), "rsa/pss" (pubkey, RSASSA-PSS when we sign)
        if (*v == "rsa/pss") {
            a.auth = "pubkey";
            a.rsa_pss = true;
        } else if (*v == "psk" || *v == "pubkey") {
            a.auth = *v;
        } else {
            r.fail(*t.get("auth"), path + ".auth", "unsupported auth '" + *v + "' (supported: psk, pubkey, rsa/pss)");
        }
    }
    if (auto v = r.string(t, path, "id")) {
        a.id = identity(r, *t.get("id"), path + ".id", *v);
    } else if (!own_addrs.empty()) {
        a.id = Identity::parse(own_addrs.front());  // swanctl: the IP address by default
    } else {
        r.fail(t, path + ".id", "missing id (and no address to default to)");
    }
    a.certs = certificates(r, t, path, "certs");
    a.cacerts = certificates(r, t, path, "cacerts");
    if (const toml::node* k = t.get("private_key")) {
        const auto name = r.string(t, path, "private_key");
        std::string error;
        a.private_key = parse_private_key(read_credential(r, *k, path + ".private_key", *name), &error);
        if (!a.private_key) r.fail(*k, path + ".private_key", "'" + *name + "': " + error);
    }
    if (a.auth == "pubkey" && local) {
        if (a.certs.empty()) r.fail(t, path + ".certs", "auth = \"pubkey\" needs our certificate");
        if (!a.private_key) r.fail(t, path + ".private_key", "auth = \"pubkey\" needs the private key of certs[0]");
        if (a.private_key->public_key()->subject_public_key_info() !=
            a.certs.front()->public_key().subject_public_key_info()) {
            r.fail(*t.get("private_key"), path + ".private_key", "the private key does not belong to certs[0]");
        }
    }
    if (a.auth == "pubkey" && !local && a.cacerts.empty() && a.certs.empty()) {
        r.fail(t, path + ".cacerts", "auth = \"pubkey\" needs cacerts (or the peer's certs) to trust");
    }
    return a;
}

/// A swanctl duration: an integer number of seconds, or a string "90", "30s", "10m", "4h", "1d".
std::optional<std::chrono::seconds> duration(const Reader& r, const toml::table& t, const std::string& path,
                                             std::string_view key) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    const std::string kpath = path + "." + std::string(key);
    if (n->is_integer()) {
        const auto v = n->as_integer()->get();
        if (v < 0) r.fail(*n, kpath, "a duration cannot be negative");
        return std::chrono::seconds(v);
    }
    if (!n->is_string()) r.fail(*n, kpath, "expected seconds or a string like \"4h\", got " + type_name(*n));
    const std::string s = n->as_string()->get();
    std::size_t digits = 0;
    while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
    const std::string unit = s.substr(digits);
    long long mult = 0;
    if (unit.empty() || unit == "s") mult = 1;
    else if (unit == "m") mult = 60;
    else if (unit == "h") mult = 3600;
    else if (unit == "d") mult = 86400;
    if (digits == 0 || mult == 0 || digits > 9) {
        r.fail(*n, kpath, "expected a duration like \"30s\", \"10m\", \"4h\" or \"1d\", got '" + s + "'");
    }
    return std::chrono::seconds(std::stoll(s.substr(0, digits)) * mult);
}

Child_config child(const Reader& r, const toml::table& t, const std::string& path,
                   std::string name) {
    r.only_keys(t, path, {"local_ts", "remote_ts", "esp_proposals", "mode", "rekey_time", "life_time", "rand_time"});
    Child_config c;
    c.name = std::move(name);
    c.local_ts = selectors(r, t, path, "local_ts");
    c.remote_ts = selectors(r, t, path, "remote_ts");
    c.esp_proposals = proposals(r, t, path, "esp_proposals", Protocol_id::ESP);
    if (auto m = r.string(t, path, "mode")) {
        if (*m == "tunnel")
            c.mode = Ipsec_mode::tunnel;
        else if (*m == "transport")
            c.mode = Ipsec_mode::transport;
        else
            r.fail(*t.get("mode"), path + ".mode", "expected \"tunnel\" or \"transport\", got '" + *m + "'");
    }
    if (auto d = duration(r, t, path, "rekey_time")) c.rekey_time = *d;
    if (auto d = duration(r, t, path, "life_time")) c.life_time = *d;
    if (auto d = duration(r, t, path, "rand_time")) c.rand_time = *d;
    return c;
}

/// RFC 7296 §2.23.1 [7296-2.23.1-s1] [7296-2.23-s12]: the selectors of a transport-mode CHILD SA
/// are one IP address each, the IKE SA's (local_ts: the source, remote_ts: the destination),
/// narrowed from the configured ones (Ike_sa::transport_selectors). A transport-mode child needs
/// both lists (ikeref has no swanctl `dynamic`), and, where the connection names its addresses,
/// every selector must hold one of them: one that does not can never be a single such address.
void check_transport_selectors(const Reader& r, const toml::table& t, const std::string& path, const Child_config& c,
                               const Connection_config& conn) {
    if (c.mode != Ipsec_mode::transport) return;
    auto holds = [](const Traffic_selector& ts, const std::string& text) {
        const auto a = Address::parse_ip(text, 0);
        return a && a->ip.size() == ts.start_address.size() && ts.start_address <= a->ip && a->ip <= ts.end_address;
    };
    for (const bool local : {true, false}) {
        const std::string key = local ? "local_ts" : "remote_ts";
        const auto& selectors = local ? c.local_ts : c.remote_ts;
        const auto& addrs = local ? conn.local_addrs : conn.remote_addrs;
        if (selectors.empty()) {
            r.fail(t, Reader::join(path, key), "missing: mode = \"transport\" needs the " +
                                                   std::string(local ? "local" : "remote") +
                                                   " IKE address as a selector (RFC 7296 §2.23.1)");
        }
        if (addrs.empty()) continue;  // %any: the IKE SA's address is known only at run time
        const auto items = r.strings(t, path, key);
        for (std::size_t i = 0; i < selectors.size() && i < items.size(); ++i) {
            if (std::any_of(addrs.begin(), addrs.end(), [&](const std::string& a) { return holds(selectors[i], a); })) continue;
            std::string list;
            for (const auto& a : addrs) list += (list.empty() ? "" : ", ") + a;
            r.fail(*items[i].second, Reader::join(path, key) + "[" + std::to_string(i) + "]",
                   "mode = \"transport\" uses exactly one IP address per selector, the IKE SA's (RFC 7296 §2.23.1): '" +
                       items[i].first + "' holds none of " + (local ? "local_addrs" : "remote_addrs") + " [" + list + "]");
        }
    }
}

Connection_config connection(const Reader& r, const toml::table& t, const std::string& path,
                             std::string name) {
    r.only_keys(t, path,
                {"version", "local_addrs", "remote_addrs", "remote_port", "remote_nat_t_port",
                 "proposals", "local", "remote", "children", "rekey_time", "rand_time", "dpd_delay", "unique",
                 "childless", "vips", "pools", "reauth_time", "over_time"});
    Connection_config c;
    c.name = std::move(name);
    if (auto v = r.integer(t, path, "version", 0, 2); v && *v == 1)
        r.fail(*t.get("version"), path + ".version", "IKEv1 is not supported");
    c.local_addrs = addresses(r, t, path, "local_addrs");
    c.remote_addrs = addresses(r, t, path, "remote_addrs");
    if (auto v = r.integer(t, path, "remote_port", 1, 65535))
        c.remote_port = static_cast<std::uint16_t>(*v);
    if (auto v = r.integer(t, path, "remote_nat_t_port", 1, 65535))
        c.remote_nat_t_port = static_cast<std::uint16_t>(*v);
    c.proposals = proposals(r, t, path, "proposals", Protocol_id::IKE);
    if (auto d = duration(r, t, path, "rekey_time")) c.rekey_time = *d;
    if (auto d = duration(r, t, path, "rand_time")) c.rand_time = *d;
    if (auto d = duration(r, t, path, "dpd_delay")) c.dpd_delay = *d;
    if (auto d = duration(r, t, path, "reauth_time")) c.reauth_time = *d;
    if (auto d = duration(r, t, path, "over_time")) c.over_time = *d;
    for (const auto& v : addresses(r, t, path, "vips")) c.vips.push_back(Address::parse_ip(v, 0)->ip);
    for (const auto& item : r.strings(t, path, "pools")) c.pools.push_back(item.first);
    if (auto u = r.string(t, path, "unique")) {
        if (*u == "no")
            c.unique = Unique_policy::no;
        else if (*u == "never")
            c.unique = Unique_policy::never;
        else if (*u == "replace")
            c.unique = Unique_policy::replace;
        else
            r.fail(*t.get("unique"), path + ".unique", "expected \"no\", \"never\" or \"replace\", got '" + *u + "'");
    }
    if (auto v = r.string(t, path, "childless")) {
        if (*v == "allow")
            c.childless = Childless_policy::allow;
        else if (*v == "force")
            c.childless = Childless_policy::force;
        else if (*v == "never")
            c.childless = Childless_policy::never;
        else
            r.fail(*t.get("childless"), path + ".childless", "expected \"allow\", \"force\" or \"never\", got '" + *v + "'");
    }
    const toml::table* local = r.table(t, path, "local");
    const toml::table* remote = r.table(t, path, "remote");
    if (local == nullptr) r.fail(t, path + ".local", "missing table");
    if (remote == nullptr) r.fail(t, path + ".remote", "missing table");
    c.local = auth(r, *local, path + ".local", c.local_addrs, true);
    c.remote = auth(r, *remote, path + ".remote", c.remote_addrs, false);
    if (const toml::table* children = r.table(t, path, "children")) {
        for (auto&& [k, v] : *children) {
            const std::string cpath = path + ".children." + std::string(k.str());
            if (!v.is_table()) r.fail(v, cpath, "expected a table, got " + type_name(v));
            c.children.push_back(child(r, *v.as_table(), cpath, std::string(k.str())));
            check_transport_selectors(r, *v.as_table(), cpath, c.children.back(), c);
        }
    }
    return c;
}

/// swanctl `pools.NAME` (RFC 7296 §2.19): `addrs` as "10.3.0.0/24" (network and broadcast
/// addresses left out) or "10.3.0.1-10.3.0.20"; `dns` a list of addresses.
Pool_config pool(const Reader& r, const toml::table& t, const std::string& path, std::string name) {
    r.only_keys(t, path, {"addrs", "dns"});
    Pool_config p;
    p.name = std::move(name);
    const auto addrs = r.string(t, path, "addrs");
    if (!addrs) r.fail(t, path + ".addrs", "missing (e.g. \"10.3.0.0/24\")");
    Traffic_selector ts;
    std::string error;
    if (!parse_traffic_selector(*addrs, ts, error) || addrs->find('[') != std::string::npos)
        r.fail(*t.get("addrs"), path + ".addrs", error.empty() ? "expected an address range" : error);
    p.first = ts.start_address;
    p.last = ts.end_address;
    const auto slash = addrs->find('/');
    if (slash != std::string::npos && p.first.size() == 4 && p.first != p.last) {
        const unsigned prefix = static_cast<unsigned>(std::stoul(addrs->substr(slash + 1)));
        if (prefix < 31) {  // skip the network and broadcast addresses
            for (std::size_t i = p.first.size(); i-- > 0;)
                if (++p.first[i] != 0) break;
            for (std::size_t i = p.last.size(); i-- > 0;)
                if (p.last[i]-- != 0) break;
        }
    }
    for (const auto& a : addresses(r, t, path, "dns")) p.dns.push_back(Address::parse_ip(a, 0)->ip);
    return p;
}

/// swanctl secrets: "0x" hex or plain text.
std::string secret_value(const Reader& r, const toml::node& n, const std::string& key,
                         const std::string& text) {
    // [7296-2.15-s3] a hex encoding is accepted ("0x..."); [7296-2.15-s2] otherwise the text is used as is: any length, no terminator added.
    if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        try {
            const Bytes b = from_hex(std::string_view(text).substr(2));
            return std::string(b.begin(), b.end());
        } catch (const std::exception& e) {
            r.fail(n, key, std::string("bad hex secret: ") + e.what());
        }
    }
    if (text.empty()) r.fail(n, key, "empty secret");
    return text;
}

Psk_config secret(const Reader& r, const toml::table& t, const std::string& path) {
    r.only_keys(t, path, {"secret"}, [](std::string_view k) {
        return k == "id" || k.substr(0, 3) == "id-";
    });
    Psk_config p;
    for (auto&& [k, v] : t) {
        if (k.str() == "secret") continue;
        const std::string key = path + "." + std::string(k.str());
        for (auto& [text, node] : r.strings(t, path, k.str()))
            p.ids.push_back(identity(r, *node, key, text));
    }
    auto s = r.string(t, path, "secret");
    if (!s) r.fail(t, path + ".secret", "missing secret");
    p.secret = secret_value(r, *t.get("secret"), path + ".secret", *s);
    return p;
}

// ---- [daemon.impair] (TEST ONLY, io/impair.hpp) ---------------------------------------------

io::Impair_selector impair_selector(const Reader& r, const toml::table& t, const std::string& path,
                                    bool with_until) {
    if (with_until)
        r.only_keys(t, path,
                    {"action", "direction", "exchange", "message", "message_id", "nth", "count",
                     "probability", "delay_ms", "until"});
    else
        r.only_keys(t, path, {"direction", "exchange", "message", "message_id"});
    io::Impair_selector s;
    if (auto v = r.string(t, path, "direction")) {
        if (*v == "in")
            s.direction = io::Impair_direction::in;
        else if (*v == "out")
            s.direction = io::Impair_direction::out;
        else if (*v != "any")
            r.fail(*t.get("direction"), path + ".direction",
                   "expected \"in\", \"out\" or \"any\", got '" + *v + "'");
    }
    if (const toml::node* n = t.get("exchange")) {
        if (n->is_integer()) {
            const auto v = r.integer(t, path, "exchange", 0, 255);
            s.exchange = static_cast<Exchange_type>(*v);
        } else {
            const auto v = r.string(t, path, "exchange");
            static const Exchange_type all[] = {Exchange_type::IKE_SA_INIT, Exchange_type::IKE_AUTH,
                                                Exchange_type::CREATE_CHILD_SA,
                                                Exchange_type::INFORMATIONAL};
            for (auto e : all)
                if (ike::to_string(e) == *v) s.exchange = e;
            if (!s.exchange && *v != "any")
                r.fail(*n, path + ".exchange",
                       "expected IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL, any or "
                       "a number, got '" + *v + "'");
        }
    }
    if (auto v = r.string(t, path, "message")) {
        if (*v == "request")
            s.response = false;
        else if (*v == "response")
            s.response = true;
        else if (*v != "any")
            r.fail(*t.get("message"), path + ".message",
                   "expected \"request\", \"response\" or \"any\", got '" + *v + "'");
    }
    if (auto v = r.integer(t, path, "message_id", 0, 0xffffffffLL))
        s.message_id = static_cast<std::uint32_t>(*v);
    return s;
}

io::Impair_config impair_table(const Reader& r, const toml::table& t) {
    const std::string path = "daemon.impair";
    r.only_keys(t, path, {"seed", "rules"});
    io::Impair_config c;
    if (auto v = r.integer(t, path, "seed", 0, std::numeric_limits<std::int64_t>::max()))
        c.seed = static_cast<std::uint64_t>(*v);
    const toml::node* rules = t.get("rules");
    if (rules == nullptr) return c;
    if (!rules->is_array_of_tables())
        r.fail(*rules, path + ".rules", "expected an array of tables ([[daemon.impair.rules]])");
    const toml::array& a = *rules->as_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
        const std::string p = path + ".rules[" + std::to_string(i) + "]";
        const toml::table& rt = *a[i].as_table();
        io::Impair_rule rule;
        rule.match = impair_selector(r, rt, p, true);
        const auto action = r.string(rt, p, "action");
        if (!action) r.fail(rt, p + ".action", "missing action (drop, duplicate, delay, reorder)");
        if (*action == "drop")
            rule.action = io::Impair_action::drop;
        else if (*action == "duplicate")
            rule.action = io::Impair_action::duplicate;
        else if (*action == "delay")
            rule.action = io::Impair_action::delay;
        else if (*action == "reorder")
            rule.action = io::Impair_action::reorder;
        else
            r.fail(*rt.get("action"), p + ".action",
                   "expected drop, duplicate, delay or reorder, got '" + *action + "'");
        if (auto v = r.integer(rt, p, "nth", 1, 0xffffffffLL)) rule.nth = static_cast<std::uint32_t>(*v);
        if (auto v = r.integer(rt, p, "count", 0, 0xffffffffLL))
            rule.count = static_cast<std::uint32_t>(*v);
        if (auto v = r.number(rt, p, "probability", 0.0, 1.0)) rule.probability = *v;
        if (auto v = r.integer(rt, p, "delay_ms", 0, 3600000)) rule.delay = Time(*v);
        if (const toml::table* u = r.table(rt, p, "until")) {
            if (rule.action != io::Impair_action::delay)
                r.fail(*rt.get("until"), p + ".until", "only a delay rule can have until");
            rule.until = impair_selector(r, *u, p + ".until", false);
        }
        if (rule.action == io::Impair_action::delay && !rule.until && rule.delay.count() == 0)
            r.fail(rt, p + ".delay_ms", "a delay rule needs delay_ms > 0 or until");
        c.rules.push_back(std::move(rule));
    }
    return c;
}

void daemon_table(const Reader& r, const toml::table& t, Daemon_settings& out) {
    const std::string path = "daemon";
    r.only_keys(t, path,
                {"ike_port", "nat_t_port", "log_keys", "key_dir", "force_nat_t", "retransmit",
                 "gate", "impair", "window_size"});
    if (const toml::table* im = r.table(t, path, "impair")) out.impair = impair_table(r, *im);
    Config& c = out.config;
    if (auto v = r.integer(t, path, "ike_port", 1, 65535)) c.ike_port = static_cast<std::uint16_t>(*v);
    if (auto v = r.integer(t, path, "nat_t_port", 1, 65535))
        c.nat_t_port = static_cast<std::uint16_t>(*v);
    if (c.ike_port == c.nat_t_port)
        r.fail(t.get("nat_t_port") ? t.get("nat_t_port")->source() : t.source(),
               "daemon.nat_t_port", "must differ from ike_port");
    if (auto v = r.boolean(t, path, "log_keys")) c.log_keys = *v;
    if (auto v = r.boolean(t, path, "force_nat_t")) c.force_nat_t = *v;
    // RFC 7296 §2.3: SET_WINDOW_SIZE.
    if (auto v = r.integer(t, path, "window_size", 1, 1024)) c.window_size = static_cast<std::uint32_t>(*v);
    if (auto v = r.string(t, path, "key_dir")) out.key_dir = *v;
    if (const toml::table* rt = r.table(t, path, "retransmit")) {
        const std::string p = "daemon.retransmit";
        r.only_keys(*rt, p, {"timeout", "base", "tries"});
        if (auto v = r.number(*rt, p, "timeout", 0.001, 86400.0))
            c.retransmit.timeout = std::chrono::milliseconds(std::llround(*v * 1000.0));
        // [7296-2.4-s8] retransmission times MUST increase exponentially: base above 1.
        if (auto v = r.number(*rt, p, "base", 1.1, 100.0)) c.retransmit.base = *v;
        if (auto v = r.integer(*rt, p, "tries", 0, 100)) c.retransmit.tries = static_cast<unsigned>(*v);
    }
    if (const toml::table* g = r.table(t, path, "gate")) {
        const std::string p = "daemon.gate";
        r.only_keys(*g, p, {"cookies", "half_open_threshold", "half_open_timeout", "unprotected_per_second"});
        if (auto v = r.string(*g, p, "cookies")) {
            if (*v == "on_load")
                c.gate.cookies = Cookie_policy::on_load;
            else if (*v == "always")
                c.gate.cookies = Cookie_policy::always;
            else if (*v == "never")
                c.gate.cookies = Cookie_policy::never;
            else
                r.fail(*g->get("cookies"), p + ".cookies",
                       "expected \"on_load\", \"always\" or \"never\", got '" + *v + "'");
        }
        if (auto v = r.integer(*g, p, "half_open_threshold", 0, 1000000000))
            c.gate.half_open_threshold = static_cast<std::size_t>(*v);
        if (auto d = duration(r, *g, p, "half_open_timeout")) c.gate.half_open_timeout = *d;
        if (auto v = r.integer(*g, p, "unprotected_per_second", 0, 1000000000))
            c.gate.unprotected_per_second = static_cast<std::size_t>(*v);
    }
}

}  // namespace

Daemon_settings parse_settings(std::string_view toml_text, std::string_view file_name) {
    const Reader r{std::string(file_name)};
    toml::table root;
    try {
        root = toml::parse(toml_text, file_name);
    } catch (const toml::parse_error& e) {
        throw Config_error(std::string(file_name), static_cast<unsigned>(e.source().begin.line),
                           "", std::string(e.description()));
    }
    r.only_keys(root, "", {"daemon", "connections", "secrets", "pools"});
    Daemon_settings out;
    if (const toml::table* d = r.table(root, "", "daemon")) daemon_table(r, *d, out);
    if (const toml::table* cs = r.table(root, "", "connections")) {
        for (auto&& [k, v] : *cs) {
            const std::string path = "connections." + std::string(k.str());
            if (!v.is_table()) r.fail(v, path, "expected a table, got " + type_name(v));
            out.config.connections.push_back(
                connection(r, *v.as_table(), path, std::string(k.str())));
        }
    }
    if (const toml::table* ps = r.table(root, "", "pools")) {
        for (auto&& [k, v] : *ps) {
            const std::string path = "pools." + std::string(k.str());
            if (!v.is_table()) r.fail(v, path, "expected a table, got " + type_name(v));
            out.config.pools.push_back(pool(r, *v.as_table(), path, std::string(k.str())));
        }
    }
    for (const auto& c : out.config.connections) {
        for (const auto& name : c.pools) {
            if (!out.config.find_pool(name)) {
                const std::string key = "connections." + c.name + ".pools";
                const toml::node* at = root.at_path(key).node();
                r.fail(at ? *at : static_cast<const toml::node&>(root), key, "no pool '" + name + "' in [pools]");
            }
        }
    }
    if (const toml::table* ss = r.table(root, "", "secrets")) {
        for (auto&& [k, v] : *ss) {
            const std::string path = "secrets." + std::string(k.str());
            const std::string_view name = k.str();
            if (name != "ike" && name.substr(0, 4) != "ike-")
                r.fail(k.source().begin.line != 0 ? k.source() : v.source(), path,
                       "unsupported secret kind (supported: ike, ike-NAME)");
            if (!v.is_table()) r.fail(v, path, "expected a table, got " + type_name(v));
            out.config.secrets.push_back(secret(r, *v.as_table(), path));
        }
    }
    return out;
}

Daemon_settings load_settings(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Config_error(path, 0, "", std::string("cannot open file: ") + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw Config_error(path, 0, "", "cannot read file");
    return parse_settings(text.str(), path);
}

Config parse_config(std::string_view toml_text, std::string_view file_name) {
    return parse_settings(toml_text, file_name).config;
}

Config load_config(const std::string& path) { return load_settings(path).config; }

}  // namespace ike::daemon
