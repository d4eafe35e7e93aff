// RFC 7296 §2.15 (AUTH payload), §3.5 (ID payload), §3.8 (AUTH payload).
#include "src/core/authentication.hpp"

#include <algorithm>
#include <stdexcept>

#include "src/crypto/keymat.hpp"

namespace ike::core {

namespace {

/// §2.15 RestOfInitIDPayload / RestOfRespIDPayload: ID Type, three RESERVED octets, data.
Bytes id_payload_body(Id_type type, const Bytes& data) {
    Bytes b(4 + data.size(), 0);
    b[0] = static_cast<std::uint8_t>(type);
    std::copy(data.begin(), data.end(), b.begin() + 4);
    return b;
}

template <class T>
const T* body_of(const Message& m, Payload_type type) {
    const Payload* p = m.find(type);
    return p ? std::get_if<T>(&p->body) : nullptr;
}

Bytes psk_octets(const Psk_config& p) { return Bytes(p.secret.begin(), p.secret.end()); }

}  // namespace

std::vector<Payload> IKE_SA_INIT_auth_payloads(const Config&, const Connection_config&) { return {}; }

bool have_credentials(const Config& config, const Connection_config& conn) {
    return config.find_psk(conn.local.id, conn.remote.id) != nullptr;
}

std::vector<Payload> prove_identity(const Prf& prf, const Config& config, const Connection_config& conn,
                                    bool as_responder, const Signed_octets_input& ours) {
    const auto* psk = config.find_psk(conn.local.id, conn.remote.id);
    if (!psk) throw std::invalid_argument("no PSK for " + conn.local.id.to_string() + " and " + conn.remote.id.to_string());
    const auto& id = conn.local.id;
    std::vector<Payload> out(2);
    out[0].type = as_responder ? Payload_type::IDr : Payload_type::IDi;
    out[0].body = Payload_ID{id.type, id.data};
    const Bytes octets = crypto::signed_octets(prf, ours.real_message, ours.nonce, ours.SK_p,
                                               id_payload_body(id.type, id.data));
    const Secret auth = crypto::psk_auth(prf, psk_octets(*psk), octets);
    out[1].type = Payload_type::AUTH;
    out[1].body = Payload_AUTH{Auth_method::Shared_Key_Message_Integrity_Code, auth.view().to_bytes()};
    return out;
}

std::optional<Auth_refusal> verify_identity(const Prf& prf, const Config& config, const Connection_config& conn,
                                            bool peer_is_responder, const Message& m,
                                            const Signed_octets_input& peers) {
    const auto* id = body_of<Payload_ID>(m, peer_is_responder ? Payload_type::IDr : Payload_type::IDi);
    const auto* auth = body_of<Payload_AUTH>(m, Payload_type::AUTH);
    if (!id || !auth) return Auth_refusal{"7296-1.2-auth-payloads", "IKE_AUTH without ID or AUTH"};
    const Identity peer{id->id_type, id->data};
    if (!(peer == conn.remote.id)) {
        return Auth_refusal{"7296-2.15-identity", "peer identity " + peer.to_string() + " is not the configured " +
                                                      conn.remote.id.to_string()};
    }
    if (auth->method != Auth_method::Shared_Key_Message_Integrity_Code) {
        return Auth_refusal{"7296-2.15-auth-method",
                            "auth method " + std::to_string(int(auth->method)) + " is not PSK (2)"};
    }
    const auto* psk = config.find_psk(conn.local.id, peer);
    if (!psk) return Auth_refusal{"7296-2.15-no-psk", "no PSK for " + conn.local.id.to_string() + " and " + peer.to_string()};
    const Bytes octets = crypto::signed_octets(prf, peers.real_message, peers.nonce, peers.SK_p,
                                               id_payload_body(id->id_type, id->data));
    const Secret expected = crypto::psk_auth(prf, psk_octets(*psk), octets);
    if (!equal_constant_time(expected.view(), auth->data)) {
        return Auth_refusal{"7296-2.15-auth-mismatch", "AUTH payload does not match the PSK"};
    }
    return std::nullopt;
}

}  // namespace ike::core
