// RFC 7296 §2.6 (cookies), §1.2 and §2.7 (INVALID_KE_PAYLOAD), §2.21.1 (no protected answer
// before keys exist: malformed requests are dropped with a diagnostic).
#include "src/core/responder_gate.hpp"

#include <algorithm>

#include "src/codec/message_rules.hpp"
#include "src/core/negotiation.hpp"
#include "src/core/payloads.hpp"
#include "src/crypto/keymat.hpp"

namespace ike::core {

namespace {

Message response_with(const Message& request, Notify_type type, Bytes data) {
    Message r;
    r.header = request.header;
    r.header.SPIr = 0;  // §2.6: no state, so no responder SPI
    r.header.flags = flag::Response;
    r.payloads.push_back(notify(type, std::move(data)));
    return r;
}

bool address_listed(const std::vector<std::string>& list, const Address& a) {
    if (list.empty()) return true;
    return std::any_of(list.begin(), list.end(), [&a](const std::string& s) {
        auto parsed = Address::parse_ip(s, 0);
        return parsed && parsed->ip == a.ip;
    });
}

}  // namespace

Bytes make_cookie(Octets secret, const Message& request, const Address& remote) {
    const Payload* nonce = request.find(Payload_type::Nonce);
    const Bytes Ni = nonce ? std::get<Payload_Nonce>(nonce->body).data : Bytes{};
    Bytes spi(8);
    for (int i = 0; i < 8; ++i) spi[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(request.header.SPIi >> (56 - 8 * i));
    // [7296-2.6-s3] 1 + 32 (SHA-256) = 33 octets, within 1..64; received cookies are length-checked in codec/notify_data.cpp.
    Bytes cookie{secret.empty() ? std::uint8_t{0} : secret[0]};
    const Bytes h = crypto::cookie_hash(secret, Ni, remote.ip, spi);
    cookie.insert(cookie.end(), h.begin(), h.end());
    return cookie;
}

Gate_decision responder_gate(const Message& request, const Address& remote, const Config& config,
                             std::size_t half_open, Octets secret, const Crypto_provider& crypto) {
    if (request.header.SPIr != 0 || request.header.message_id != 0) {
        return Gate_drop{"7296-3.1-sa-init-header", "IKE_SA_INIT request with SPIr or Message ID not 0"};
    }
    if (const auto critical = codec::unsupported_critical_payload(request.payloads)) {
        // §2.5: "the message MUST be rejected and the response ... MUST include a Notify payload
        // UNSUPPORTED_CRITICAL_PAYLOAD" with the payload type as data; no state is kept.
        return Gate_reply{response_with(request, Notify_type::UNSUPPORTED_CRITICAL_PAYLOAD,
                                        Bytes{static_cast<std::uint8_t>(*critical)}),
                          "7296-2.5-unsupported-critical",
                          "critical payload type " + std::to_string(int(*critical)) + " not supported"};
    }
    if (auto v = codec::check_message_rules(request)) return Gate_drop{v->rule, v->text};

    // §2.6: under load (or always, by configuration) demand a cookie before keeping any state.
    const bool want_cookie = config.gate.cookies == Cookie_policy::always ||
                             (config.gate.cookies == Cookie_policy::on_load &&
                              half_open >= config.gate.half_open_threshold);
    if (want_cookie) {
        const Bytes expected = make_cookie(secret, request, remote);
        const Payload_N* got = request.find_notify(Notify_type::COOKIE);
        // [7296-2.6-s6] a cookie that does not verify counts as none: a new one is demanded.
        if (!got || !equal_constant_time(got->data, expected)) {
            return Gate_reply{response_with(request, Notify_type::COOKIE, expected), "7296-2.6-cookie-required",
                              got ? "COOKIE does not verify: a new one sent" : "COOKIE demanded"};
        }
    }

    const Connection_config* conn = nullptr;
    for (const auto& c : config.connections) {
        if (address_listed(c.remote_addrs, remote)) {
            conn = &c;
            break;
        }
    }
    if (!conn) return Gate_drop{"ikeref-no-connection", "no connection accepts " + remote.to_string()};

    const auto& sa = std::get<Payload_SA>(request.find(Payload_type::SA)->body);
    const auto& ke = std::get<Payload_KE>(request.find(Payload_type::KE)->body);
    auto s = select_proposal(sa.proposals, conn->proposals, crypto);
    if (s.chosen) {
        const Transform* group = transform_of(*s.chosen, Transform_type::KE);
        if (group && group->id != ke.group) {
            // §1.2: the KEi group is not the one we selected: name the one we want. [7296-3.4-s4]
            Bytes data{static_cast<std::uint8_t>(group->id >> 8), static_cast<std::uint8_t>(group->id & 0xff)};
            return Gate_reply{response_with(request, Notify_type::INVALID_KE_PAYLOAD, data),
                              "7296-1.2-invalid-ke-payload",
                              "KEi is " + to_string(static_cast<Ke_id>(ke.group)) + ", selected " +
                                  to_string(static_cast<Ke_id>(group->id))};
        }
        if (group && ke.data.size() != public_value_size(static_cast<Ke_id>(ke.group))) {
            return Gate_drop{"7296-3.4-ke-length",
                             "KE data of " + std::to_string(ke.data.size()) + " octets for " +
                                 to_string(static_cast<Ke_id>(ke.group))};
        }
    }
    return Gate_proceed{conn};
}

}  // namespace ike::core
