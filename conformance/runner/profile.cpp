// Profile TOML -> Profile (CONFORMANCE-CATALOGUE.md §5).
#include "conformance/runner/profile.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "src/codec/proposal_keywords.hpp"
#include "src/daemon/config_toml.hpp"

namespace ike::conform {
namespace {

struct Reader {
    std::string file;

    [[noreturn]] void fail(const std::string& key, const std::string& why) const {
        throw Profile_error(file + ": " + key + ": " + why);
    }
    void only_keys(const toml::table& t, const std::string& where,
                   std::initializer_list<const char*> keys) const {
        for (const auto& entry : t) {
            const std::string key(entry.first.str());
            if (std::find_if(keys.begin(), keys.end(), [&key](const char* x) { return key == x; }) == keys.end())
                fail(where + "." + key, "unknown key");
        }
    }
    std::optional<std::string> str(const toml::table& t, const std::string& where, const char* key) const {
        const auto* n = t.get(key);
        if (!n) return std::nullopt;
        if (!n->is_string()) fail(where + "." + key, "must be a string");
        return n->value<std::string>();
    }
    std::optional<std::int64_t> integer(const toml::table& t, const std::string& where, const char* key) const {
        const auto* n = t.get(key);
        if (!n) return std::nullopt;
        if (!n->is_integer()) fail(where + "." + key, "must be an integer");
        return n->value<std::int64_t>();
    }
    std::optional<double> number(const toml::table& t, const std::string& where, const char* key) const {
        const auto* n = t.get(key);
        if (!n) return std::nullopt;
        if (!n->is_number()) fail(where + "." + key, "must be a number (seconds)");
        return n->value<double>();
    }
    std::optional<bool> boolean(const toml::table& t, const std::string& where, const char* key) const {
        const auto* n = t.get(key);
        if (!n) return std::nullopt;
        if (!n->is_boolean()) fail(where + "." + key, "must be true or false");
        return n->value<bool>();
    }
    std::vector<std::string> strings(const toml::table& t, const std::string& where, const char* key) const {
        std::vector<std::string> out;
        const auto* n = t.get(key);
        if (!n) return out;
        if (n->is_string()) return {*n->value<std::string>()};
        const auto* a = n->as_array();
        if (!a) fail(where + "." + key, "must be a string or an array of strings");
        for (const auto& e : *a) {
            if (!e.is_string()) fail(where + "." + key, "must hold strings");
            out.push_back(*e.value<std::string>());
        }
        return out;
    }
    std::uint16_t port(const toml::table& t, const std::string& where, const char* key, std::uint16_t def) const {
        auto v = integer(t, where, key);
        if (!v) return def;
        if (*v < 0 || *v > 65535) fail(where + "." + key, "not a UDP port");
        return static_cast<std::uint16_t>(*v);
    }
    const toml::table* table(const toml::table& t, const char* key) const {
        const auto* n = t.get(key);
        if (!n) return nullptr;
        if (!n->is_table()) fail(key, "must be a table");
        return n->as_table();
    }
};

std::chrono::milliseconds ms(double seconds) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0));
}

}  // namespace

Profile parse_profile(const std::string& text, const std::string& file_name) {
    Reader r{file_name};
    toml::table doc;
    try {
        doc = toml::parse(text, file_name);
    } catch (const toml::parse_error& e) {
        std::ostringstream s;
        s << file_name << ":" << e.source().begin.line << ": " << e.description();
        throw Profile_error(s.str());
    }
    r.only_keys(doc, "", {"name", "target", "runner", "auth", "proposals", "traffic_selectors",
                          "features", "triggers", "timing"});
    Profile p;
    if (auto v = r.str(doc, "", "name")) p.name = *v;

    if (const auto* t = r.table(doc, "target")) {
        r.only_keys(*t, "target", {"address", "port", "nat_t_port", "cookie_mode_port"});
        if (auto v = r.str(*t, "target", "address")) p.target_address = *v;
        p.target_port = r.port(*t, "target", "port", 500);
        p.target_nat_t_port = r.port(*t, "target", "nat_t_port", 4500);
        p.cookie_mode_port = r.port(*t, "target", "cookie_mode_port", 0);
    }
    if (!Address::parse_ip(p.target_address, 0)) r.fail("target.address", "not an IP literal");
    if (const auto* t = r.table(doc, "runner")) {
        r.only_keys(*t, "runner", {"address", "port", "nat_t_port"});
        if (auto v = r.str(*t, "runner", "address")) p.runner_address = *v;
        p.runner_port = r.port(*t, "runner", "port", 500);
        p.runner_nat_t_port = r.port(*t, "runner", "nat_t_port", 4500);
    }
    if (!Address::parse_ip(p.runner_address, 0)) r.fail("runner.address", "not an IP literal");

    const auto* auth = r.table(doc, "auth");
    if (!auth) r.fail("auth", "missing (runner_id, target_id, psk)");
    r.only_keys(*auth, "auth", {"runner_id", "target_id", "psk", "cp_runner_id"});
    p.runner_id = Identity::parse(r.str(*auth, "auth", "runner_id").value_or(p.runner_address));
    p.target_id = Identity::parse(r.str(*auth, "auth", "target_id").value_or(p.target_address));
    p.cp_runner_id = Identity::parse(r.str(*auth, "auth", "cp_runner_id").value_or(p.runner_id.to_string()));
    auto psk = r.str(*auth, "auth", "psk");
    if (!psk || psk->empty()) r.fail("auth.psk", "missing");
    p.psk = *psk;
    if (p.psk.rfind("0x", 0) == 0) {
        try {
            Bytes b = from_hex(p.psk.substr(2));
            p.psk.assign(b.begin(), b.end());
        } catch (const std::exception&) {
            r.fail("auth.psk", "bad hex after 0x");
        }
    }

    std::vector<std::string> ike_kw{"aes128-sha256-ecp256"}, esp_kw{"aes128-sha256"};
    if (const auto* t = r.table(doc, "proposals")) {
        r.only_keys(*t, "proposals", {"ike", "esp", "groups", "pfs_group"});
        if (t->contains("ike")) ike_kw = r.strings(*t, "proposals", "ike");
        if (t->contains("esp")) esp_kw = r.strings(*t, "proposals", "esp");
        if (const auto* g = t->get("groups")) {
            const auto* a = g->as_array();
            if (!a) r.fail("proposals.groups", "must be an array of D-H group numbers");
            for (const auto& e : *a) {
                if (!e.is_integer()) r.fail("proposals.groups", "must hold integers");
                p.groups.push_back(static_cast<std::uint16_t>(*e.value<std::int64_t>()));
            }
        }
        p.pfs_group = static_cast<std::uint16_t>(r.integer(*t, "proposals", "pfs_group").value_or(0));
    }
    for (std::size_t i = 0; i < ike_kw.size(); ++i) {
        std::string err;
        auto prop = codec::parse_proposal(ike_kw[i], Protocol_id::IKE, &err);
        if (!prop) r.fail("proposals.ike[" + std::to_string(i) + "]", err);
        prop->number = static_cast<std::uint8_t>(i + 1);
        p.ike.push_back(*prop);
    }
    for (std::size_t i = 0; i < esp_kw.size(); ++i) {
        std::string err;
        auto prop = codec::parse_proposal(esp_kw[i], Protocol_id::ESP, &err);
        if (!prop) r.fail("proposals.esp[" + std::to_string(i) + "]", err);
        prop->number = static_cast<std::uint8_t>(i + 1);
        p.esp.push_back(*prop);
    }
    if (p.ike.empty() || p.esp.empty()) r.fail("proposals", "need at least one ike and one esp proposal");
    if (p.groups.empty()) {
        for (const auto& t : p.ike[0].transforms)
            if (t.type == Transform_type::KE) p.groups.push_back(t.id);
    }

    const auto* ts = r.table(doc, "traffic_selectors");
    if (!ts) r.fail("traffic_selectors", "missing (runner, target)");
    r.only_keys(*ts, "traffic_selectors", {"runner", "target", "pool"});
    if (auto pool = r.str(*ts, "traffic_selectors", "pool")) {
        Traffic_selector sel;
        std::string err;
        if (!daemon::parse_traffic_selector(*pool, sel, err)) r.fail("traffic_selectors.pool", err);
        p.pool = sel;
    }
    for (const char* side : {"runner", "target"}) {
        auto& out = std::string(side) == "runner" ? p.runner_ts : p.target_ts;
        for (const auto& s : r.strings(*ts, "traffic_selectors", side)) {
            Traffic_selector sel;
            std::string err;
            if (!daemon::parse_traffic_selector(s, sel, err))
                r.fail(std::string("traffic_selectors.") + side, err);
            out.push_back(sel);
        }
        if (out.empty()) r.fail(std::string("traffic_selectors.") + side, "missing");
    }

    if (const auto* f = r.table(doc, "features")) {
        r.only_keys(*f, "features", {"cert", "cookies", "cp_pool", "cp_required", "nat_t",
                                     "fragmentation", "window_size", "transport", "pfs",
                                     "dataplane", "liveness"});
        const std::pair<const char*, const char*> flags[] = {
            {"cert", "cert"},         {"cookies", "cookie-mode"}, {"cp_pool", "cp-pool"},
            {"cp_required", "cp-required"}, {"nat_t", "nat-t"},   {"fragmentation", "frag"},
            {"transport", "transport"}, {"pfs", "pfs"},           {"dataplane", "dataplane"},
            {"liveness", "liveness"}};
        for (const auto& [key, cap] : flags)
            if (r.boolean(*f, "features", key).value_or(false)) p.capabilities.insert(cap);
        p.window_size = static_cast<unsigned>(r.integer(*f, "features", "window_size").value_or(1));
        if (p.window_size > 1) p.capabilities.insert("window>1");
    }
    if (p.has("cookie-mode") && p.cookie_mode_port == 0)
        r.fail("features.cookies", "needs target.cookie_mode_port (a listener that always demands a COOKIE)");
    if (p.has("cp-pool") && !p.pool) r.fail("features.cp_pool", "needs traffic_selectors.pool (the NUT's address range)");
    if (p.has("pfs") && p.pfs_group == 0) r.fail("features.pfs", "needs proposals.pfs_group");

    if (const auto* t = r.table(doc, "triggers")) {
        r.only_keys(*t, "triggers", {"initiate", "create-child", "rekey-child", "rekey-ike",
                                     "delete-child", "delete-ike", "liveness"});
        for (const auto& [k, v] : *t) {
            if (!v.is_string()) r.fail("triggers." + std::string(k.str()), "must be a shell command");
            p.triggers[std::string(k.str())] = *v.value<std::string>();
        }
    }

    bool window_set = false;
    if (const auto* t = r.table(doc, "timing")) {
        r.only_keys(*t, "timing", {"rto0", "silence_window", "spacing"});
        if (auto v = r.number(*t, "timing", "rto0")) p.rto0 = ms(*v);
        if (auto v = r.number(*t, "timing", "silence_window")) {
            p.silence_window = ms(*v);
            window_set = true;
        }
        if (auto v = r.number(*t, "timing", "spacing")) p.spacing = ms(*v);
    }
    if (!window_set) {  // catalogue §4: W = clamp(2 x RTO0, 4 s, 30 s)
        p.silence_window = std::clamp(2 * p.rto0, std::chrono::milliseconds(4000),
                                      std::chrono::milliseconds(30000));
    }
    return p;
}

Profile load_profile(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw Profile_error(path + ": cannot read");
    std::stringstream s;
    s << in.rdbuf();
    return parse_profile(s.str(), path);
}

}  // namespace ike::conform
