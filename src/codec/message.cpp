// ikeref typed messages: equality of every payload struct, lookup helpers, and the STYLE.md
// notation `IKE_SA_INIT request #0 { SA, KE, Ni, N(NAT_DETECTION_SOURCE_IP) }` (RFC 7296 §3.2 names).
#include "ike/message.hpp"

namespace ike {

bool Transform_attribute::operator==(const Transform_attribute& o) const {
    return type == o.type && tv == o.tv && value == o.value;
}
bool Transform::operator==(const Transform& o) const {
    return type == o.type && id == o.id && key_length == o.key_length &&
           other_attributes == o.other_attributes;
}
bool Proposal::operator==(const Proposal& o) const {
    return number == o.number && protocol == o.protocol && spi == o.spi &&
           transforms == o.transforms;
}
bool Payload_SA::operator==(const Payload_SA& o) const { return proposals == o.proposals; }
bool Payload_KE::operator==(const Payload_KE& o) const {
    return group == o.group && data == o.data;
}
bool Payload_ID::operator==(const Payload_ID& o) const {
    return id_type == o.id_type && data == o.data;  // RESERVED is ignored on receipt (§3.5); kept only for §2.15
}
bool Payload_AUTH::operator==(const Payload_AUTH& o) const {
    return method == o.method && data == o.data;
}
bool Payload_Nonce::operator==(const Payload_Nonce& o) const { return data == o.data; }
bool Payload_N::operator==(const Payload_N& o) const {
    return protocol == o.protocol && spi == o.spi && type == o.type && data == o.data;
}
bool Payload_D::operator==(const Payload_D& o) const {
    return protocol == o.protocol && spi_size == o.spi_size && spis == o.spis;
}
bool Payload_V::operator==(const Payload_V& o) const { return data == o.data; }
bool Traffic_selector::known_type() const {
    return ts_type == Ts_type::TS_IPV4_ADDR_RANGE || ts_type == Ts_type::TS_IPV6_ADDR_RANGE;
}
bool Traffic_selector::operator==(const Traffic_selector& o) const {
    return ts_type == o.ts_type && ip_protocol == o.ip_protocol && start_port == o.start_port &&
           end_port == o.end_port && start_address == o.start_address &&
           end_address == o.end_address && unknown_body == o.unknown_body;
}
bool Payload_TS::operator==(const Payload_TS& o) const { return selectors == o.selectors; }
bool Payload_SK::operator==(const Payload_SK& o) const {
    return first_inner == o.first_inner && body == o.body;
}
bool Payload_CERT::operator==(const Payload_CERT& o) const {
    return encoding == o.encoding && data == o.data;
}
bool Payload_CERTREQ::operator==(const Payload_CERTREQ& o) const {
    return encoding == o.encoding && ca_hashes == o.ca_hashes && authority == o.authority;
}
bool Cfg_attribute::operator==(const Cfg_attribute& o) const {
    return type == o.type && value == o.value;
}
bool Payload_CP::operator==(const Payload_CP& o) const {
    return cfg_type == o.cfg_type && attributes == o.attributes;
}
bool Payload_EAP::operator==(const Payload_EAP& o) const {
    return code == o.code && identifier == o.identifier && type == o.type && data == o.data;
}
bool Payload_SKF::operator==(const Payload_SKF& o) const {
    return first_inner == o.first_inner && fragment_number == o.fragment_number &&
           total_fragments == o.total_fragments && body == o.body;
}
bool Payload_unknown::operator==(const Payload_unknown& o) const { return body == o.body; }
bool Payload::operator==(const Payload& o) const {
    return type == o.type && critical == o.critical && body == o.body;
}
bool Header::operator==(const Header& o) const {
    return SPIi == o.SPIi && SPIr == o.SPIr && major_version == o.major_version &&
           minor_version == o.minor_version && exchange == o.exchange && flags == o.flags &&
           message_id == o.message_id;
}
bool Message::operator==(const Message& o) const {
    return header == o.header && payloads == o.payloads && was_protected == o.was_protected;
}

const Payload* Message::find(Payload_type type) const {
    for (const auto& p : payloads)
        if (p.type == type) return &p;
    return nullptr;
}

const Payload_N* Message::find_notify(Notify_type type) const {
    for (const auto& p : payloads) {
        if (p.type != Payload_type::N) continue;
        const auto* n = std::get_if<Payload_N>(&p.body);
        if (n != nullptr && n->type == static_cast<std::uint16_t>(type)) return n;
    }
    return nullptr;
}

namespace {

bool is_known_type(Payload_type t) {
    const auto v = static_cast<unsigned>(t);
    return (v >= 33 && v <= 48) || v == 53;
}

// RFC 7296 §3.2 notation; the Nonce is Ni in a request and Nr in a response, as in the
// RFC's exchange figures (§1.2, §1.3: the requester of CREATE_CHILD_SA sends Ni, whoever it is).
std::string payload_name(const Payload& p, bool request) {
    if (!is_known_type(p.type)) {
        std::string s = "U(" + std::to_string(static_cast<unsigned>(p.type));
        if (p.critical) s += ",C";
        return s + ")";
    }
    switch (p.type) {
        case Payload_type::Nonce:
            return request ? "Ni" : "Nr";
        case Payload_type::CP:  // RFC 7296 §1.2, §2.19 figures: CP(CFG_REQUEST), CP(CFG_REPLY)
            if (const auto* cp = std::get_if<Payload_CP>(&p.body)) return "CP(" + to_string(cp->cfg_type) + ")";
            return "CP";
        case Payload_type::N:
            if (const auto* n = std::get_if<Payload_N>(&p.body))
                return "N(" + to_string(static_cast<Notify_type>(n->type)) + ")";
            return "N";
        default:
            return to_string(p.type);
    }
}

std::string chain(const std::vector<Payload>& payloads, bool request) {
    std::string s = "{";
    bool first = true;
    for (const auto& p : payloads) {
        s += first ? " " : ", ";
        first = false;
        s += payload_name(p, request);
    }
    return s + " }";
}

}  // namespace

std::string describe(const Message& m) {
    const bool request = !m.header.is_response();
    std::string s = to_string(m.header.exchange);
    s += m.header.is_response() ? " response #" : " request #";
    s += std::to_string(m.header.message_id);
    s += ' ';
    if (m.was_protected)
        s += "{ SK " + chain(m.payloads, request) + " }";
    else
        s += chain(m.payloads, request);
    return s;
}

}  // namespace ike
