// list_json / list_text.
#include "src/daemon/sa_listing.hpp"

#include <cstdio>
#include <sstream>

#include "src/daemon/config_toml.hpp"

namespace ike::daemon {

std::string spi_hex(Spi spi) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(spi));
    return buf;
}

std::string spi_hex(std::uint32_t spi) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", spi);
    return buf;
}

namespace {

nlohmann::json selectors(const std::vector<Traffic_selector>& ts) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& t : ts) a.push_back(traffic_selector_to_string(t));
    return a;
}

/// RFC 7296 §2.7, §2.9, §2.15: why we refused, structured (Endpoint::refusals).
nlohmann::json refusals_json(const std::vector<Refusal>& refusals) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : refusals) {
        nlohmann::json j;
        j["at_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(r.at).count();
        j["connection"] = r.connection;
        j["SPIi"] = spi_hex(r.SPIi);
        j["SPIr"] = spi_hex(r.SPIr);
        j["remote"] = r.remote.to_string();
        j["exchange"] = to_string(r.exchange);
        j["notify"] = to_string(r.notify);
        j["rule"] = r.rule;
        j["text"] = r.text;
        nlohmann::json ps = nlohmann::json::array();
        for (const auto& p : r.proposals) {
            nlohmann::json pj;
            pj["proposal"] = p.number;
            pj["protocol"] = to_string(p.protocol);
            if (!p.problem.empty()) pj["problem"] = p.problem;
            if (p.configured) pj["configured_proposal"] = p.configured;
            nlohmann::json types = nlohmann::json::array();
            for (const auto& t : p.types) {
                types.push_back({{"type", t.type}, {"offered", t.offered}, {"configured", t.configured}});
            }
            pj["no_match"] = std::move(types);
            ps.push_back(std::move(pj));
        }
        if (!ps.empty()) j["proposals"] = std::move(ps);
        nlohmann::json ts = nlohmann::json::array();
        for (const auto& m : r.selectors) {
            ts.push_back({{"child", m.child},
                          {"TSi", selectors(m.TSi)},
                          {"TSr", selectors(m.TSr)},
                          {"remote_ts", selectors(m.remote_ts)},
                          {"local_ts", selectors(m.local_ts)},
                          {"TSi_no_intersection", m.TSi_empty},
                          {"TSr_no_intersection", m.TSr_empty}});
        }
        if (!ts.empty()) j["selectors"] = std::move(ts);
        out.push_back(std::move(j));
    }
    return out;
}

}  // namespace

nlohmann::json list_json(const io::Udp_runtime& runtime, const io::Recording_backend& backend) {
    const bool log_keys = runtime.endpoint().config().log_keys;
    nlohmann::json sas = nlohmann::json::array();
    for (const auto& sa : runtime.endpoint().list()) {
        nlohmann::json j;
        j["connection"] = sa.connection;
        j["state"] = sa.state;
        j["original_initiator"] = sa.original_initiator;
        j["SPIi"] = spi_hex(sa.SPIi);
        j["SPIr"] = spi_hex(sa.SPIr);
        j["local"] = sa.local.to_string();
        j["remote"] = sa.remote.to_string();
        j["proposal"] = sa.proposal;
        if (!sa.virtual_ips.empty() || !sa.dns.empty()) {  // RFC 7296 §2.19
            auto ips = [](const std::vector<Bytes>& v) {
                nlohmann::json a = nlohmann::json::array();
                for (const auto& ip : v) {
                    std::string s = Address{ip, 0}.to_string();
                    s = s.substr(0, s.rfind(':'));
                    if (!s.empty() && s.front() == '[') s = s.substr(1, s.size() - 2);
                    a.push_back(s);
                }
                return a;
            };
            j["virtual_ips"] = ips(sa.virtual_ips);
            j["dns"] = ips(sa.dns);
        }
        if (log_keys) {
            if (const Keys_derived* k = runtime.ike_keys(sa.SPIi, sa.SPIr)) {
                j["keys"] = {{"SK_d", k->SK_d.hex()},   {"SK_ei", k->SK_ei.hex()},
                             {"SK_er", k->SK_er.hex()}, {"SK_ai", k->SK_ai.hex()},
                             {"SK_ar", k->SK_ar.hex()}, {"SK_pi", k->SK_pi.hex()},
                             {"SK_pr", k->SK_pr.hex()}};
            }
        }
        nlohmann::json children = nlohmann::json::array();
        for (const auto& c : sa.children) {
            nlohmann::json cj;
            cj["name"] = c.name;
            cj["spi_in"] = spi_hex(c.spi_in);
            cj["spi_out"] = spi_hex(c.spi_out);
            cj["proposal"] = c.proposal;
            const Child_sa* rec = backend.find_child(c.spi_in);
            if (log_keys && rec != nullptr) {
                cj["encr_key_in"] = rec->encr_key_in.hex();
                cj["integ_key_in"] = rec->integ_key_in.hex();
                cj["encr_key_out"] = rec->encr_key_out.hex();
                cj["integ_key_out"] = rec->integ_key_out.hex();
            }
            cj["local_ts"] = selectors(c.local_ts);
            cj["remote_ts"] = selectors(c.remote_ts);
            cj["udp_encapsulation"] = rec != nullptr && rec->udp_encapsulation;
            children.push_back(std::move(cj));
        }
        j["children"] = std::move(children);
        sas.push_back(std::move(j));
    }
    return nlohmann::json{{"ike_sas", std::move(sas)}, {"refusals", refusals_json(runtime.endpoint().refusals())}};
}

std::string list_text(const nlohmann::json& listing, bool keys) {
    std::ostringstream out;
    const auto& sas = listing.value("ike_sas", nlohmann::json::array());
    if (sas.empty()) out << "no IKE SAs\n";
    for (const auto& sa : sas) {
        out << sa.value("connection", "?") << ": IKE SA " << sa.value("state", "?") << ", "
            << sa.value("local", "?") << " <-> " << sa.value("remote", "?") << ", "
            << (sa.value("original_initiator", false) ? "initiator" : "responder") << "\n"
            << "  SPIi " << sa.value("SPIi", "") << "  SPIr " << sa.value("SPIr", "") << "  "
            << sa.value("proposal", "") << "\n";
        for (const auto& v : sa.value("virtual_ips", nlohmann::json::array()))
            out << "  virtual IP " << v.get<std::string>() << "\n";
        if (keys && sa.contains("keys"))
            for (const auto& [k, v] : sa["keys"].items())
                if (!v.get<std::string>().empty())  // no SK_ai/SK_ar with an AEAD cipher (§2.14)
                    out << "  " << k << " " << v.get<std::string>() << "\n";
        for (const auto& c : sa.value("children", nlohmann::json::array())) {
            out << "  CHILD SA " << c.value("name", "?") << ": spi_in " << c.value("spi_in", "")
                << " spi_out " << c.value("spi_out", "") << "  " << c.value("proposal", "")
                << (c.value("udp_encapsulation", false) ? "  UDP-encapsulated" : "") << "\n    ";
            for (const auto& t : c.value("local_ts", nlohmann::json::array()))
                out << t.get<std::string>() << " ";
            out << "=== ";
            for (const auto& t : c.value("remote_ts", nlohmann::json::array()))
                out << t.get<std::string>() << " ";
            out << "\n";
            if (keys)
                for (const char* k : {"encr_key_in", "integ_key_in", "encr_key_out", "integ_key_out"})
                    if (c.contains(k) && !c[k].get<std::string>().empty())
                        out << "    " << k << " " << c[k].get<std::string>() << "\n";
        }
    }
    for (const auto& r : listing.value("refusals", nlohmann::json::array())) {
        out << "refused " << r.value("exchange", "?") << " from " << r.value("remote", "?") << " ("
            << r.value("connection", "?") << "): " << r.value("notify", "?") << " [" << r.value("rule", "") << "] "
            << r.value("text", "") << "\n";
    }
    return out.str();
}

}  // namespace ike::daemon
