// Non-inline members of include/ike/config.hpp: address and identity literals (RFC 7296 §3.5),
// connection and PSK look-up in swanctl's manner.
#include "ike/config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <stdexcept>

#include "src/codec/codec.hpp"

namespace ike {

namespace {

/// Text of a 4- or 16-octet address via inet_ntop; "" for any other length.
std::string ip_text(const Bytes& ip) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (ip.size() == 4) {
        if (inet_ntop(AF_INET, ip.data(), buf, sizeof buf) == nullptr) return {};
    } else if (ip.size() == 16) {
        if (inet_ntop(AF_INET6, ip.data(), buf, sizeof buf) == nullptr) return {};
    } else {
        return {};
    }
    return buf;
}

/// 4 or 16 octets of an IPv4 / IPv6 literal, or an empty vector.
Bytes ip_octets(std::string_view text) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return {};
    const std::string s(text);  // inet_pton needs a terminated string
    Bytes out(16);
    if (s.find(':') == std::string::npos) {
        if (inet_pton(AF_INET, s.c_str(), out.data()) != 1) return {};
        out.resize(4);
        return out;
    }
    if (inet_pton(AF_INET6, s.c_str(), out.data()) != 1) return {};
    return out;
}

bool contains(const std::vector<Identity>& ids, const Identity& id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// [7296-3.5-s3] [7296-3.5-s4] we never send an ID_FQDN / ID_RFC822_ADDR holding a terminator.
void check_no_terminator(const Identity& id) {
    if (auto at = codec::id_terminator(id.type, id.data)) {
        throw std::invalid_argument(std::string(id.type == Id_type::ID_FQDN ? "ID_FQDN" : "ID_RFC822_ADDR") +
                                    " holds a terminator, " + codec::describe_id_terminator(id.data, *at) +
                                    " (RFC 7296 §3.5)");
    }
}

}  // namespace

std::string Address::to_string() const {
    std::string host = ip_text(ip);
    if (host.empty()) host = ip.empty() ? "any" : "?" + std::to_string(ip.size()) + "octets";
    if (ip.size() == 16) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

std::optional<Address> Address::parse_ip(std::string_view text, std::uint16_t port) {
    Bytes octets = ip_octets(text);
    if (octets.empty()) return std::nullopt;
    Address a;
    a.ip = std::move(octets);
    a.port = port;
    return a;
}

// RFC 7296 §3.5: ID_IPV4_ADDR carries 4 octets, ID_IPV6_ADDR 16, ID_FQDN and ID_RFC822_ADDR
// the text without terminator. swanctl conventions: a leading '@' forces ID_FQDN (the '@' is
// dropped), "@#hex" is ID_KEY_ID, anything else holding '@' is ID_RFC822_ADDR.
// [7296-3.5-s5] ID_IPV4_ADDR, ID_FQDN, ID_RFC822_ADDR and ID_KEY_ID can each be configured to send and to accept; [7296-3.5-s7] ID_IPV6_ADDR too.
Identity Identity::parse(std::string_view text) {
    if (text.empty()) throw std::invalid_argument("empty identity");
    Identity id;
    if (text.size() > 2 && text[0] == '@' && text[1] == '#') {
        id.type = Id_type::ID_KEY_ID;
        id.data = from_hex(text.substr(2));
        return id;
    }
    if (text[0] == '@') {
        if (text.size() == 1) throw std::invalid_argument("empty identity after '@'");
        id.type = Id_type::ID_FQDN;
        id.data.assign(text.begin() + 1, text.end());
        check_no_terminator(id);
        return id;
    }
    Bytes ip = ip_octets(text);
    if (ip.size() == 4) {
        id.type = Id_type::ID_IPV4_ADDR;
        id.data = std::move(ip);
        return id;
    }
    if (ip.size() == 16) {
        id.type = Id_type::ID_IPV6_ADDR;
        id.data = std::move(ip);
        return id;
    }
    id.type = text.find('@') != std::string_view::npos ? Id_type::ID_RFC822_ADDR : Id_type::ID_FQDN;
    id.data.assign(text.begin(), text.end());
    check_no_terminator(id);
    return id;
}

std::string Identity::to_string() const {
    switch (type) {
        case Id_type::ID_FQDN:
        case Id_type::ID_RFC822_ADDR:
            return std::string(data.begin(), data.end());
        case Id_type::ID_IPV4_ADDR:
        case Id_type::ID_IPV6_ADDR: {
            std::string s = ip_text(data);
            if (!s.empty()) return s;
            break;
        }
        case Id_type::ID_KEY_ID:
            return "@#" + to_hex(Octets(data));
        default:
            break;
    }
    return "id" + std::to_string(static_cast<unsigned>(type)) + ":" + to_hex(Octets(data));
}

const Pool_config* Config::find_pool(std::string_view name) const {
    for (const auto& p : pools)
        if (p.name == name) return &p;
    return nullptr;
}

const Connection_config* Config::find_connection(std::string_view name) const {
    for (const auto& c : connections)
        if (c.name == name) return &c;
    return nullptr;
}

// swanctl: a secret with ids matches when both identities are listed (one id serves both when
// they are equal); a secret without ids matches any pair, but only when no listed one does.
const Psk_config* Config::find_psk(const Identity& a, const Identity& b) const {
    for (const auto& s : secrets)
        if (!s.ids.empty() && contains(s.ids, a) && contains(s.ids, b)) return &s;
    for (const auto& s : secrets)
        if (s.ids.empty()) return &s;
    return nullptr;
}

}  // namespace ike
