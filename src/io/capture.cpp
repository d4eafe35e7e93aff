// ikeref capture decoding: libpcap reading, IKE recognition (RFC 7296 §2.23, RFC 3948 §2.2),
// codec decoding, the message-rule table, and SK verification/decryption through core.
#include "src/io/capture.hpp"

#include <pcap/pcap.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "src/codec/codec.hpp"
#include "src/codec/message_rules.hpp"
#include "src/codec/notify_data.hpp"
#include "src/core/sk_payload.hpp"

namespace ike::io {
namespace {

using json = nlohmann::json;

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

std::string ipv4_text(const std::uint8_t* a) {
    return std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." +
           std::to_string(a[3]);
}

std::string ipv6_text(const std::uint8_t* a) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%x:%x:%x:%x:%x:%x:%x:%x", be16(a), be16(a + 2), be16(a + 4),
                  be16(a + 6), be16(a + 8), be16(a + 10), be16(a + 12), be16(a + 14));
    return buf;
}

std::string spi_hex(Spi s) {
    char buf[20];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(s));
    return buf;
}

// Transport layer of one IP packet: fills `out` for UDP or ESP; false for anything else.
bool parse_ip(const std::uint8_t* p, std::size_t n, Captured_packet& out) {
    if (n < 1) return false;
    const unsigned version = p[0] >> 4;
    std::size_t at = 0;
    std::uint8_t proto = 0;
    std::size_t end = n;
    if (version == 4) {
        if (n < 20) return false;
        const std::size_t ihl = std::size_t{p[0] & 0x0fu} * 4;
        if (ihl < 20 || n < ihl) return false;
        const std::size_t total = be16(p + 2);
        if (total >= ihl && total < end) end = total;  // Ethernet padding
        const std::uint16_t frag = be16(p + 6);
        if ((frag & 0x1fff) != 0) return false;  // not the first fragment
        out.truncated = (frag & 0x2000) != 0 || total > n;
        proto = p[9];
        out.src = ipv4_text(p + 12);
        out.dst = ipv4_text(p + 16);
        at = ihl;
    } else if (version == 6) {
        if (n < 40) return false;
        const std::size_t plen = be16(p + 4);
        if (40 + plen < end) end = 40 + plen;
        out.truncated = 40 + plen > n;
        proto = p[6];
        out.src = ipv6_text(p + 8);
        out.dst = ipv6_text(p + 24);
        at = 40;
        // Extension headers (RFC 8200 §4): hop-by-hop, routing, destination options, fragment.
        for (int i = 0; i < 8 && (proto == 0 || proto == 43 || proto == 60 || proto == 44); ++i) {
            if (end < at + 8) return false;
            if (proto == 44) {
                if ((be16(p + at + 2) & 0xfff8) != 0) return false;  // not the first fragment
                out.truncated = out.truncated || (p[at + 3] & 1) != 0;
                proto = p[at];
                at += 8;
            } else {
                const std::size_t len = (std::size_t{p[at + 1]} + 1) * 8;
                proto = p[at];
                at += len;
            }
        }
        if (at > end) return false;
    } else {
        return false;
    }
    out.ip_protocol = proto;
    if (proto == 17) {
        if (end < at + 8) return false;
        out.src_port = be16(p + at);
        out.dst_port = be16(p + at + 2);
        const std::size_t ulen = be16(p + at + 4);
        std::size_t stop = end;
        if (ulen >= 8 && at + ulen <= end) stop = at + ulen;
        if (ulen >= 8 && at + ulen > end) out.truncated = true;
        out.payload.assign(p + at + 8, p + stop);
        return true;
    }
    if (proto == 50) {
        out.payload.assign(p + at, p + end);
        return true;
    }
    return false;
}

// The IP packet inside a link-layer frame, or nullptr.
const std::uint8_t* ip_of_frame(int linktype, const std::uint8_t* f, std::size_t n, std::size_t& rest) {
    std::size_t at = 0;
    switch (linktype) {
        case DLT_EN10MB: {
            if (n < 14) return nullptr;
            std::uint16_t type = be16(f + 12);
            at = 14;
            while ((type == 0x8100 || type == 0x88a8) && n >= at + 4) {
                type = be16(f + at + 2);
                at += 4;
            }
            if (type != 0x0800 && type != 0x86dd) return nullptr;
            break;
        }
        case DLT_NULL:
        case DLT_LOOP: at = 4; break;
        case DLT_LINUX_SLL: at = 16; break;
#ifdef DLT_LINUX_SLL2
        case DLT_LINUX_SLL2: at = 20; break;
#endif
        case DLT_RAW:
#ifdef DLT_IPV4
        case DLT_IPV4:
        case DLT_IPV6:
#endif
#if DLT_RAW != 101
        case 101:  // LINKTYPE_RAW as stored in files
#endif
            at = 0;
            break;
        default: return nullptr;
    }
    if (n <= at) return nullptr;
    rest = n - at;
    return f + at;
}

// --- payload fields -----------------------------------------------------------------------

std::string transform_name(const Transform& t) {
    switch (t.type) {
        case Transform_type::ENCR: return to_string(static_cast<Encr_id>(t.id));
        case Transform_type::PRF: return to_string(static_cast<Prf_id>(t.id));
        case Transform_type::INTEG: return to_string(static_cast<Integ_id>(t.id));
        case Transform_type::KE: return to_string(static_cast<Ke_id>(t.id));
        case Transform_type::ESN: return to_string(static_cast<Esn_id>(t.id));
        default: return std::to_string(t.id);
    }
}

std::string id_text(const Payload_ID& id) {
    switch (id.id_type) {
        case Id_type::ID_FQDN:
        case Id_type::ID_RFC822_ADDR: {
            std::string s;
            for (auto c : id.data) s += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
            return s;
        }
        case Id_type::ID_IPV4_ADDR:
            if (id.data.size() == 4) return ipv4_text(id.data.data());
            break;
        case Id_type::ID_IPV6_ADDR:
            if (id.data.size() == 16) return ipv6_text(id.data.data());
            break;
        default: break;
    }
    return to_hex(id.data);
}

std::string address_text(const Bytes& a) {
    if (a.size() == 4) return ipv4_text(a.data());
    if (a.size() == 16) return ipv6_text(a.data());
    return to_hex(a);
}

json payload_json(const Payload& p, bool request) {
    json j;
    j["type"] = static_cast<unsigned>(p.type);
    j["name"] = to_string(p.type);
    if (p.type == Payload_type::Nonce) j["name"] = request ? "Ni" : "Nr";
    j["critical"] = p.critical;
    std::visit(
        [&](const auto& b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, Payload_SA>) {
                json ps = json::array();
                for (const auto& pr : b.proposals) {
                    json tj = json::array();
                    for (const auto& t : pr.transforms) {
                        json x{{"type", to_string(t.type)}, {"id", t.id}, {"name", transform_name(t)}};
                        if (t.key_length) x["key_length"] = *t.key_length;
                        tj.push_back(x);
                    }
                    ps.push_back({{"number", pr.number},
                                  {"protocol", to_string(pr.protocol)},
                                  {"spi", to_hex(pr.spi)},
                                  {"transforms", tj}});
                }
                j["proposals"] = ps;
            } else if constexpr (std::is_same_v<T, Payload_KE>) {
                j["group"] = b.group;
                j["group_name"] = to_string(static_cast<Ke_id>(b.group));
                j["data"] = to_hex(b.data);
            } else if constexpr (std::is_same_v<T, Payload_ID>) {
                j["id_type"] = to_string(b.id_type);
                j["data"] = to_hex(b.data);
                j["text"] = id_text(b);
            } else if constexpr (std::is_same_v<T, Payload_CERT>) {
                j["encoding"] = to_string(b.encoding);
                j["data"] = to_hex(b.data);
            } else if constexpr (std::is_same_v<T, Payload_CERTREQ>) {
                j["encoding"] = to_string(b.encoding);
                json h = json::array();
                for (const auto& x : b.ca_hashes) h.push_back(to_hex(x));
                j["ca_hashes"] = h;
                if (!b.authority.empty()) j["authority"] = to_hex(b.authority);
            } else if constexpr (std::is_same_v<T, Payload_AUTH>) {
                j["method"] = to_string(b.method);
                j["method_id"] = static_cast<unsigned>(b.method);
                j["data"] = to_hex(b.data);
            } else if constexpr (std::is_same_v<T, Payload_Nonce>) {
                j["data"] = to_hex(b.data);
            } else if constexpr (std::is_same_v<T, Payload_N>) {
                j["name"] = "N(" + to_string(static_cast<Notify_type>(b.type)) + ")";
                j["notify_type"] = b.type;
                j["notify_name"] = to_string(static_cast<Notify_type>(b.type));
                j["protocol"] = to_string(b.protocol);
                j["spi"] = to_hex(b.spi);
                j["data"] = to_hex(b.data);
                auto d = codec::decode_notify_data(b);
                if (codec::ok(d)) {
                    const std::string s = codec::describe(codec::value(d));
                    if (!s.empty()) j["decoded"] = s;
                } else {
                    j["data_error"] = {{"rule", codec::error(d).rule}, {"text", codec::error(d).text}};
                }
            } else if constexpr (std::is_same_v<T, Payload_D>) {
                j["protocol"] = to_string(b.protocol);
                j["spi_size"] = b.spi_size;
                json s = json::array();
                for (const auto& x : b.spis) s.push_back(to_hex(x));
                j["spis"] = s;
            } else if constexpr (std::is_same_v<T, Payload_V>) {
                j["data"] = to_hex(b.data);
            } else if constexpr (std::is_same_v<T, Payload_TS>) {
                json s = json::array();
                for (const auto& t : b.selectors)
                    s.push_back({{"ts_type", to_string(t.ts_type)},
                                 {"ip_protocol", t.ip_protocol},
                                 {"start_port", t.start_port},
                                 {"end_port", t.end_port},
                                 {"start_address", address_text(t.start_address)},
                                 {"end_address", address_text(t.end_address)}});
                j["selectors"] = s;
            } else if constexpr (std::is_same_v<T, Payload_SK>) {
                j["first_inner"] = to_string(b.first_inner);
                j["body_length"] = b.body.size();
            } else if constexpr (std::is_same_v<T, Payload_CP>) {
                j["cfg_type"] = to_string(b.cfg_type);
                json a = json::array();
                for (const auto& x : b.attributes)
                    a.push_back({{"type", x.type},
                                 {"name", to_string(static_cast<Cfg_attribute_type>(x.type))},
                                 {"value", to_hex(x.value)}});
                j["attributes"] = a;
            } else if constexpr (std::is_same_v<T, Payload_EAP>) {
                j["code"] = b.code;
                j["identifier"] = b.identifier;
                if (b.type) j["eap_type"] = *b.type;
                j["data"] = to_hex(b.data);
            } else if constexpr (std::is_same_v<T, Payload_SKF>) {
                j["first_inner"] = to_string(b.first_inner);
                j["fragment_number"] = b.fragment_number;
                j["total_fragments"] = b.total_fragments;
                j["body_length"] = b.body.size();
            } else {
                j["data"] = to_hex(b.body);
                if (static_cast<unsigned>(p.type) < 33 || static_cast<unsigned>(p.type) > 53)
                    j["name"] = "U(" + std::to_string(static_cast<unsigned>(p.type)) + ")";
            }
        },
        p.body);
    return j;
}

json payloads_json(const std::vector<Payload>& ps, bool request) {
    json a = json::array();
    for (const auto& p : ps) a.push_back(payload_json(p, request));
    return a;
}

std::string flag_names(std::uint8_t f) {
    std::string s;
    auto add = [&s](const char* n) { s += s.empty() ? n : std::string(", ") + n; };
    if (f & flag::Initiator) add("I");
    if (f & flag::Version) add("V");
    if (f & flag::Response) add("R");
    return "{" + s + "}";
}

json header_json(const Header& h, Octets datagram) {
    return {{"SPIi", spi_hex(h.SPIi)},
            {"SPIr", spi_hex(h.SPIr)},
            {"next_payload", datagram[16]},
            {"version", std::to_string(h.major_version) + "." + std::to_string(h.minor_version)},
            {"exchange", to_string(h.exchange)},
            {"exchange_type", static_cast<unsigned>(h.exchange)},
            {"flags", h.flags},
            {"flag_names", flag_names(h.flags)},
            {"message_id", h.message_id},
            {"length", be32(datagram.data + 24)}};
}

const Ike_key_row* key_for(const Header& h, const std::vector<Ike_key_row>& keys) {
    for (const auto& k : keys)
        if (k.SPIi == h.SPIi && k.SPIr == h.SPIr) return &k;
    return nullptr;
}

// SK verification and decryption with the table row (§3.14; RFC 5282 §5 for AEAD).
json decrypt_sk(Octets ike, const Message& outer, const Decode_options& options, const Crypto_provider& provider) {
    json sk;
    const Ike_key_row* row = key_for(outer.header, options.keys);
    if (!row) {
        sk["status"] = "no-key";
        return sk;
    }
    const auto encr = encryption_of_label(row->encryption);
    const auto integ = integrity_of_label(row->integrity);
    if (!encr || !integ) {
        sk["status"] = "unsupported";
        sk["text"] = "table row algorithms not usable: \"" + row->encryption + "\", \"" + row->integrity + "\"";
        return sk;
    }
    // §2.14: SK_ei/SK_ai protect what the original initiator sends; SK_er/SK_ar the other way.
    const bool from_initiator = outer.header.from_original_initiator();
    try {
        auto cipher = provider.cipher(encr->first, encr->second);
        std::unique_ptr<Integrity> integrity;
        if (*integ != Integ_id::NONE) integrity = provider.integrity(*integ);
        sk["check"] = cipher->is_aead() ? "AEAD tag" : "ICV";
        core::Sk_keys keys;
        keys.cipher = cipher.get();
        keys.integrity = integrity.get();
        keys.SK_e = from_initiator ? Octets(row->SK_ei) : Octets(row->SK_er);
        keys.SK_a = from_initiator ? Octets(row->SK_ai) : Octets(row->SK_ar);
        if (keys.SK_e.size != cipher->key_size() || (integrity && keys.SK_a.size != integrity->key_size())) {
            sk["status"] = "unsupported";
            sk["text"] = "key lengths of the table row do not fit the algorithms";
            return sk;
        }
        if (!cipher->is_aead() && !integrity) {
            sk["status"] = "unsupported";
            sk["text"] = "no integrity algorithm for a non-AEAD cipher";
            return sk;
        }
        auto r = core::unprotect(ike, outer, keys);
        if (const auto* e = std::get_if<core::Unprotect_error>(&r)) {
            sk["status"] = e->rule == "7296-2.21-integrity" ? "failed" : "malformed";
            sk["rule"] = e->rule;
            sk["text"] = e->text;
            return sk;
        }
        const Message& inner = std::get<Message>(r);
        sk["status"] = "verified";
        sk["summary"] = describe(inner);
        sk["inner"] = payloads_json(inner.payloads, !inner.header.is_response());
        if (auto v = codec::check_message_rules(inner))
            sk["rule_violation"] = {{"rule", v->rule}, {"text", v->text}};
    } catch (const std::exception& e) {
        sk["status"] = "unsupported";
        sk["text"] = e.what();
    }
    return sk;
}

json decode_ike(Octets ike, const Decode_options& options, const Crypto_provider& provider) {
    json j;
    j["length"] = ike.size;
    auto h = codec::peek_header(ike);
    if (!h) {
        j["kind"] = "IKEv2";
        j["error"] = {{"rule", "7296-3.1-length"},
                      {"text", "datagram of " + std::to_string(ike.size) + " octets is shorter than the 28-octet IKE header"},
                      {"offset", 0}};
        return j;
    }
    if (h->major_version == 1) {
        // RFC 2408 §3.1: ISAKMP header, the same 28 octets with major version 1.
        j["kind"] = "IKEv1";
        j["header"] = {{"SPIi", spi_hex(h->SPIi)}, {"SPIr", spi_hex(h->SPIr)},
                       {"exchange_type", static_cast<unsigned>(h->exchange)}, {"message_id", h->message_id}};
        return j;
    }
    j["kind"] = "IKEv2";
    j["header"] = header_json(*h, ike);
    auto r = codec::decode_message(ike);
    if (!codec::ok(r)) {
        const auto& e = codec::error(r);
        j["error"] = {{"rule", e.rule}, {"text", e.text}, {"offset", e.offset}, {"payload", to_string(e.payload)}};
        return j;
    }
    const Message& m = codec::value(r);
    j["summary"] = describe(m);
    j["payloads"] = payloads_json(m.payloads, !m.header.is_response());
    const bool protected_ = !m.payloads.empty() && m.payloads.back().type == Payload_type::SK;
    if (protected_) {
        j["sk"] = decrypt_sk(ike, m, options, provider);
    } else if (m.header.exchange == Exchange_type::IKE_SA_INIT ||
               (!m.payloads.empty() && m.payloads.back().type != Payload_type::SKF)) {
        if (auto v = codec::check_message_rules(m)) j["rule_violation"] = {{"rule", v->rule}, {"text", v->text}};
    }
    return j;
}

bool is_ike_port(std::uint16_t port, const Decode_options& o) {
    return port == 500 || port == 4500 || o.extra_ports.count(port) != 0;
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) s.pop_back();
    std::size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    s = s.substr(i);
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    return s;
}

}  // namespace

std::vector<Captured_packet> read_capture(const std::string& path) {
    char err[PCAP_ERRBUF_SIZE] = {0};
    pcap_t* pc = pcap_open_offline(path.c_str(), err);
    if (!pc) throw std::runtime_error("cannot read capture " + path + ": " + err);
    const int linktype = pcap_datalink(pc);
    std::vector<Captured_packet> out;
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    std::size_t frame = 0;
    int rc = 0;
    while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
        ++frame;
        std::size_t rest = 0;
        const std::uint8_t* ip = ip_of_frame(linktype, data, hdr->caplen, rest);
        if (!ip) continue;
        Captured_packet p;
        p.frame = frame;
        if (!parse_ip(ip, rest, p)) continue;
        if (hdr->caplen < hdr->len) p.truncated = true;
        out.push_back(std::move(p));
    }
    pcap_close(pc);
    return out;
}

std::vector<Ike_key_row> read_ikev2_decryption_table(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read key table " + path);
    std::vector<Ike_key_row> rows;
    std::string line;
    std::size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        // Split on commas outside quotes.
        std::vector<std::string> f;
        std::string cur;
        bool quoted = false;
        for (char c : line) {
            if (c == '"') quoted = !quoted;
            if (c == ',' && !quoted) {
                f.push_back(trim(cur));
                cur.clear();
            } else {
                cur += c;
            }
        }
        f.push_back(trim(cur));
        if (f.size() != 8)
            throw std::runtime_error(path + ":" + std::to_string(number) + ": expected 8 fields, found " +
                                     std::to_string(f.size()));
        try {
            Ike_key_row r;
            auto spi = [](const std::string& s) {
                const Bytes b = from_hex(s);
                if (b.size() != 8) throw std::invalid_argument("SPI not 8 octets");
                Spi v = 0;
                for (auto x : b) v = (v << 8) | x;
                return v;
            };
            r.SPIi = spi(f[0]);
            r.SPIr = spi(f[1]);
            r.SK_ei = from_hex(f[2]);
            r.SK_er = from_hex(f[3]);
            r.encryption = f[4];
            r.SK_ai = from_hex(f[5]);
            r.SK_ar = from_hex(f[6]);
            r.integrity = f[7];
            rows.push_back(std::move(r));
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error(path + ":" + std::to_string(number) + ": " + e.what());
        }
    }
    return rows;
}

std::optional<std::pair<Encr_id, std::uint16_t>> encryption_of_label(const std::string& label) {
    // Labels of Wireshark's vs_ikev2_encr_algs (packet-isakmp.c).
    if (label == "NULL [RFC2410]") return std::make_pair(Encr_id::ENCR_NULL, std::uint16_t{0});
    if (label == "3DES [RFC2451]") return std::make_pair(Encr_id::ENCR_3DES, std::uint16_t{0});
    unsigned bits = 0, icv = 0;
    char tail[32] = {0};
    if (std::sscanf(label.c_str(), "AES-CBC-%u [RFC3602%31s", &bits, tail) == 2)
        return std::make_pair(Encr_id::ENCR_AES_CBC, static_cast<std::uint16_t>(bits));
    if (std::sscanf(label.c_str(), "AES-CTR-%u [RFC5930%31s", &bits, tail) == 2)
        return std::make_pair(Encr_id::ENCR_AES_CTR, static_cast<std::uint16_t>(bits));
    if (std::sscanf(label.c_str(), "AES-GCM-%u with %u octet ICV", &bits, &icv) == 2) {
        if (icv == 8) return std::make_pair(Encr_id::ENCR_AES_GCM_8, static_cast<std::uint16_t>(bits));
        if (icv == 12) return std::make_pair(Encr_id::ENCR_AES_GCM_12, static_cast<std::uint16_t>(bits));
        if (icv == 16) return std::make_pair(Encr_id::ENCR_AES_GCM_16, static_cast<std::uint16_t>(bits));
    }
    if (std::sscanf(label.c_str(), "AES-CCM-%u with %u octet ICV", &bits, &icv) == 2) {
        if (icv == 8) return std::make_pair(Encr_id::ENCR_AES_CCM_8, static_cast<std::uint16_t>(bits));
        if (icv == 12) return std::make_pair(Encr_id::ENCR_AES_CCM_12, static_cast<std::uint16_t>(bits));
        if (icv == 16) return std::make_pair(Encr_id::ENCR_AES_CCM_16, static_cast<std::uint16_t>(bits));
    }
    return std::nullopt;
}

std::optional<Integ_id> integrity_of_label(const std::string& label) {
    // Labels of Wireshark's vs_ikev2_auth_algs.
    if (label == "NONE [RFC4306]") return Integ_id::NONE;
    if (label == "HMAC_SHA1_96 [RFC2404]") return Integ_id::AUTH_HMAC_SHA1_96;
    if (label == "HMAC_SHA2_256_128 [RFC4868]") return Integ_id::AUTH_HMAC_SHA2_256_128;
    if (label == "HMAC_SHA2_384_192 [RFC4868]") return Integ_id::AUTH_HMAC_SHA2_384_192;
    if (label == "HMAC_SHA2_512_256 [RFC4868]") return Integ_id::AUTH_HMAC_SHA2_512_256;
    if (label == "AES-XCBC-MAC-96 [RFC3566]") return Integ_id::AUTH_AES_XCBC_96;
    if (label == "AES-CMAC-96 [RFC4494]") return Integ_id::AUTH_AES_CMAC_96;
    return std::nullopt;
}

json decode_packet(const Captured_packet& p, const Decode_options& options, const Crypto_provider& provider) {
    json j{{"frame", p.frame}, {"src", p.src}, {"dst", p.dst}};
    if (p.truncated) j["truncated"] = true;
    if (p.ip_protocol == 50) {
        // RFC 4303 §2: SPI (4) | Sequence Number (4).
        j["kind"] = "ESP";
        if (p.payload.size() >= 8) {
            j["esp_spi"] = to_hex(Octets(p.payload.data(), 4));
            j["esp_seq"] = be32(p.payload.data() + 4);
        }
        return j;
    }
    j["sport"] = p.src_port;
    j["dport"] = p.dst_port;
    if (!is_ike_port(p.src_port, options) && !is_ike_port(p.dst_port, options)) {
        j["kind"] = "other";
        return j;
    }
    Octets ike(p.payload);
    const bool natt = p.src_port == 4500 || p.dst_port == 4500 ||
                      (p.payload.size() >= 4 && be32(p.payload.data()) == 0 && p.src_port != 500 && p.dst_port != 500);
    if (natt) {
        // RFC 3948 §2.2/§2.3: 0xff alone is a NAT-keepalive; a zero SPI is the non-ESP marker.
        if (p.payload.size() == 1 && p.payload[0] == 0xff) {
            j["kind"] = "NAT-keepalive";
            return j;
        }
        if (p.payload.size() < 4 || be32(p.payload.data()) != 0) {
            j["kind"] = "ESP";
            j["udp_encapsulated"] = true;
            if (p.payload.size() >= 8) {
                j["esp_spi"] = to_hex(Octets(p.payload.data(), 4));
                j["esp_seq"] = be32(p.payload.data() + 4);
            }
            return j;
        }
        ike = Octets(p.payload.data() + 4, p.payload.size() - 4);
        j["non_esp_marker"] = true;
    }
    json d = decode_ike(ike, options, provider);
    for (auto it = d.begin(); it != d.end(); ++it) j[it.key()] = it.value();
    return j;
}

namespace {

void render_payloads(std::ostringstream& o, const json& payloads, const std::string& indent) {
    for (const auto& p : payloads) {
        o << indent << p.value("name", std::string("?"));
        if (p.value("critical", false)) o << " (critical)";
        if (p.contains("proposals")) {
            for (const auto& pr : p["proposals"]) {
                o << "\n" << indent << "  proposal #" << pr["number"].get<int>() << " "
                  << pr["protocol"].get<std::string>();
                if (!pr["spi"].get<std::string>().empty()) o << " SPI " << pr["spi"].get<std::string>();
                o << ":";
                for (const auto& t : pr["transforms"]) {
                    o << " " << t["type"].get<std::string>() << "=" << t["name"].get<std::string>();
                    if (t.contains("key_length")) o << "/" << t["key_length"].get<int>();
                }
            }
        }
        for (const char* k : {"group", "group_name", "id_type", "text", "method", "encoding", "protocol",
                              "spi_size", "cfg_type", "code", "identifier", "eap_type", "first_inner",
                              "fragment_number", "total_fragments", "body_length", "decoded"}) {
            if (!p.contains(k)) continue;
            if (std::string(k) == "protocol" && p.contains("notify_type") && p["protocol"] == "NONE") continue;
            o << " " << k << "=";
            if (p[k].is_string())
                o << p[k].get<std::string>();
            else
                o << p[k].dump();
        }
        if (p.contains("data") && !p["data"].get<std::string>().empty() && !p.contains("decoded"))
            o << " data=" << p["data"].get<std::string>();
        if (p.contains("spi") && !p["spi"].get<std::string>().empty()) o << " spi=" << p["spi"].get<std::string>();
        if (p.contains("spis")) o << " spis=" << p["spis"].dump();
        if (p.contains("ca_hashes")) o << " ca_hashes=" << p["ca_hashes"].dump();
        if (p.contains("attributes"))
            for (const auto& a : p["attributes"])
                o << " " << a["name"].get<std::string>() << "=" << a["value"].get<std::string>();
        if (p.contains("selectors"))
            for (const auto& s : p["selectors"])
                o << " [" << s["ts_type"].get<std::string>() << " proto " << s["ip_protocol"].get<int>() << " "
                  << s["start_address"].get<std::string>() << "-" << s["end_address"].get<std::string>() << " ports "
                  << s["start_port"].get<int>() << "-" << s["end_port"].get<int>() << "]";
        if (p.contains("data_error"))
            o << "  MALFORMED DATA: " << p["data_error"]["rule"].get<std::string>() << ": "
              << p["data_error"]["text"].get<std::string>();
        o << "\n";
    }
}

}  // namespace

std::string render_text(const json& r) {
    std::ostringstream o;
    o << "#" << r.value("frame", 0) << " " << r.value("src", std::string()) ;
    if (r.contains("sport")) o << ":" << r["sport"].get<int>();
    o << " -> " << r.value("dst", std::string());
    if (r.contains("dport")) o << ":" << r["dport"].get<int>();
    const std::string kind = r.value("kind", std::string("other"));
    o << " " << kind;
    if (r.contains("length")) o << " " << r["length"].get<std::size_t>() << " octets";
    if (r.value("non_esp_marker", false)) o << " (after non-ESP marker)";
    if (r.value("truncated", false)) o << " (truncated)";
    o << "\n";
    if (kind == "ESP") {
        if (r.contains("esp_spi"))
            o << "  ESP SPI " << r["esp_spi"].get<std::string>() << " seq " << r["esp_seq"].get<std::uint32_t>() << "\n";
        return o.str();
    }
    if (kind == "IKEv1") {
        const auto& h = r["header"];
        o << "  IKEv1 (ISAKMP, RFC 2408) message, exchange type " << h["exchange_type"].get<int>() << ", SPIi "
          << h["SPIi"].get<std::string>() << ": not an IKEv2 message, not decoded\n";
        return o.str();
    }
    if (kind != "IKEv2") return o.str();
    if (r.contains("header")) {
        const auto& h = r["header"];
        o << "  HDR(" << h["SPIi"].get<std::string>() << ", " << h["SPIr"].get<std::string>() << ", "
          << h["exchange"].get<std::string>() << ", " << h["flag_names"].get<std::string>() << ", "
          << h["message_id"].get<std::uint32_t>() << ") version " << h["version"].get<std::string>() << " length "
          << h["length"].get<std::uint32_t>() << "\n";
    }
    if (r.contains("error")) {
        o << "  MALFORMED: " << r["error"]["rule"].get<std::string>() << " at offset "
          << r["error"]["offset"].get<std::size_t>() << ": " << r["error"]["text"].get<std::string>() << "\n";
        return o.str();
    }
    o << "  " << r["summary"].get<std::string>() << "\n";
    render_payloads(o, r["payloads"], "    ");
    if (r.contains("sk")) {
        const auto& sk = r["sk"];
        const std::string st = sk["status"].get<std::string>();
        o << "  SK: ";
        if (st == "no-key") o << "no key in the table (not decrypted)\n";
        else if (st == "verified") o << sk["check"].get<std::string>() << " verified\n";
        else if (st == "failed") o << sk["check"].get<std::string>() << " FAILED (" << sk["rule"].get<std::string>() << ")\n";
        else o << st << ": " << sk.value("rule", std::string()) << " " << sk.value("text", std::string()) << "\n";
        if (st == "verified") {
            o << "  " << sk["summary"].get<std::string>() << "\n";
            render_payloads(o, sk["inner"], "    ");
            if (sk.contains("rule_violation"))
                o << "  RULE BROKEN: " << sk["rule_violation"]["rule"].get<std::string>() << ": "
                  << sk["rule_violation"]["text"].get<std::string>() << "\n";
        }
    }
    if (r.contains("rule_violation"))
        o << "  RULE BROKEN: " << r["rule_violation"]["rule"].get<std::string>() << ": "
          << r["rule_violation"]["text"].get<std::string>() << "\n";
    return o.str();
}

}  // namespace ike::io
