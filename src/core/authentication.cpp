// RFC 7296 §2.15 (AUTH payload), §3.5 (ID payload), §3.6 (CERT), §3.7 (CERTREQ), §3.8 (AUTH
// payload); RFC 7427 (Digital Signature, SIGNATURE_HASH_ALGORITHMS); RFC 4945 §3.1 (identity in
// the certificate); RFC 5280 §6 (path validation).
#include "src/core/authentication.hpp"

#include <algorithm>
#include <stdexcept>

#include "src/codec/codec.hpp"
#include "src/core/payloads.hpp"
#include "src/crypto/auth_signature.hpp"
#include "src/crypto/keymat.hpp"

namespace ike::core {

namespace {

/// §2.15 RestOfInitIDPayload / RestOfRespIDPayload: ID Type, three RESERVED octets (as received:
/// the peer signed them), data.
Bytes id_payload_body(Id_type type, const Bytes& data, std::array<std::uint8_t, 3> reserved = {}) {
    Bytes b(4 + data.size(), 0);
    b[0] = static_cast<std::uint8_t>(type);
    std::copy(reserved.begin(), reserved.end(), b.begin() + 1);
    std::copy(data.begin(), data.end(), b.begin() + 4);
    return b;
}

template <class T>
const T* body_of(const Message& m, Payload_type type) {
    const Payload* p = m.find(type);
    return p ? std::get_if<T>(&p->body) : nullptr;
}

Bytes psk_octets(const Psk_config& p) { return Bytes(p.secret.begin(), p.secret.end()); }

bool is_pubkey(const Auth_config& a) { return a.auth == "pubkey"; }

bool is_signature_method(Auth_method m) {
    return m == Auth_method::RSA_Digital_Signature || m == Auth_method::ECDSA_SHA256_P256 ||
           m == Auth_method::ECDSA_SHA384_P384 || m == Auth_method::ECDSA_SHA512_P521 ||
           m == Auth_method::Digital_Signature;
}

// CERT (§3.6) with encoding 4 and `data` = one DER certificate, or CERTREQ (§3.7) with `data` =
// concatenated 20-octet CA hashes, as the codec's typed payloads.
Payload cert_payload(Payload_type type, const Bytes& data) {
    Payload p;
    p.type = type;
    if (type == Payload_type::CERT) {
        p.body = Payload_CERT{Cert_encoding::X509_Certificate_Signature, data};
    } else {
        Payload_CERTREQ req;
        for (std::size_t i = 0; i + 20 <= data.size(); i += 20)
            req.ca_hashes.emplace_back(data.begin() + static_cast<std::ptrdiff_t>(i),
                                       data.begin() + static_cast<std::ptrdiff_t>(i + 20));
        p.body = std::move(req);
    }
    return p;
}

/// The X.509 CERT payloads of `m`, in order (§3.6: the first one holds the signing key).
std::vector<Bytes> received_certificates(const Message& m, std::vector<std::string>& ignored) {
    std::vector<Bytes> out;
    for (const auto& p : m.payloads) {
        if (p.type != Payload_type::CERT) continue;
        // The codec decodes CERT into Payload_CERT (§3.6; an empty body is a decode error).
        const auto* c = std::get_if<Payload_CERT>(&p.body);
        if (!c) {
            ignored.push_back("empty CERT payload");
            continue;
        }
        if (c->encoding != Cert_encoding::X509_Certificate_Signature) {
            ignored.push_back("CERT encoding " + std::to_string(int(c->encoding)) + " not supported");
            continue;
        }
        out.push_back(c->data);
    }
    return out;
}

std::optional<Auth_refusal> verify_psk(const Prf& prf, const Config& config, const Connection_config& conn,
                                       const Payload_ID& id, const Payload_AUTH& auth, const Signed_octets_input& peers) {
    const Identity peer{id.id_type, id.data};
    if (auth.method != Auth_method::Shared_Key_Message_Integrity_Code) {
        return Auth_refusal{"7296-2.15-auth-method",
                            "auth method " + std::to_string(int(auth.method)) + " is not PSK (2)"};
    }
    // [7296-1.2-s3] the PSK is looked up by the IDs, so the ID names the key that made AUTH.
    const auto* psk = config.find_psk(conn.local.id, peer);
    if (!psk) return Auth_refusal{"7296-2.15-no-psk", "no PSK for " + conn.local.id.to_string() + " and " + peer.to_string()};
    const Bytes octets = crypto::signed_octets(prf, peers.real_message, peers.nonce, peers.SK_p,
                                               id_payload_body(id.id_type, id.data, id.reserved));
    const Secret expected = crypto::psk_auth(prf, psk_octets(*psk), octets);
    // [7296-1.2-s2] the PSK AUTH MAC is verified; a mismatch refuses the peer.
    if (!equal_constant_time(expected.view(), auth.data)) {
        return Auth_refusal{"7296-2.15-auth-mismatch", "AUTH payload does not match the PSK"};
    }
    return std::nullopt;
}

std::optional<Auth_refusal> verify_pubkey(const Prf& prf, const Connection_config& conn, const Message& m,
                                          const Payload_ID& id, const Payload_AUTH& auth,
                                          const Signed_octets_input& peers,
                                          std::chrono::system_clock::time_point when) {
    if (!is_signature_method(auth.method)) {
        return Auth_refusal{"7296-2.15-auth-method", "auth method " + std::to_string(int(auth.method)) +
                                                         " is not a signature method (1, 9, 10, 11, 14)"};
    }
    std::vector<std::string> ignored;
    const std::vector<Bytes> received = received_certificates(m, ignored);
    // §3.6: the first CERT holds the public key that verifies AUTH; later ones help build the path. [7296-3.6-s4]
    std::shared_ptr<const Certificate> end_entity;
    std::vector<std::shared_ptr<const Certificate>> intermediates;
    for (std::size_t i = 0; i < received.size(); ++i) {
        std::string error;
        auto c = parse_certificate(received[i], &error);
        if (!c) return Auth_refusal{"7296-3.6-cert-malformed", "CERT payload " + std::to_string(i + 1) + ": " + error};
        if (i == 0) {
            end_entity = std::move(c);
        } else {
            intermediates.push_back(std::move(c));
        }
    }
    if (!end_entity) {
        if (conn.remote.certs.empty()) {
            return Auth_refusal{"7296-3.6-cert-missing",
                                "no X.509 CERT payload and no certificate configured for the peer" +
                                    (ignored.empty() ? std::string() : " (" + ignored.front() + ")")};
        }
        end_entity = conn.remote.certs.front();  // pinned: trusted as configured
    } else {
        if (auto why = validate_chain(*end_entity, intermediates, conn.remote.cacerts, when)) {
            return Auth_refusal{"5280-6-path-validation", end_entity->subject() + ": " + *why};
        }
    }
    // RFC 4945 §3.1: the ID payload must be backed by the certificate (subject or subjectAltName).
    if (!end_entity->matches_identity(id.id_type, id.data)) {
        return Auth_refusal{"4945-3.1-id-not-in-cert", "identity " + Identity{id.id_type, id.data}.to_string() +
                                                           " is neither the subject nor a subjectAltName of " +
                                                           end_entity->subject()};
    }
    // The key was decoded once, when the certificate was parsed for this SA.
    const Bytes octets = crypto::signed_octets(prf, peers.real_message, peers.nonce, peers.SK_p,
                                               id_payload_body(id.id_type, id.data, id.reserved));
    if (auto why = crypto::verify_auth(end_entity->public_key(), auth.method, auth.data, octets)) {
        return Auth_refusal{"7296-2.15-auth-signature", *why};
    }
    return std::nullopt;
}

}  // namespace

Payload certificate_request(const Connection_config& conn) {
    // §3.7: the SHA-1 of each trusted CA's SubjectPublicKeyInfo, concatenated.
    Bytes hashes;
    for (const auto& ca : conn.remote.cacerts) {
        const Bytes h = ca->public_key().spki_sha1();
        hashes.insert(hashes.end(), h.begin(), h.end());
    }
    return cert_payload(Payload_type::CERTREQ, hashes);
}

bool wants_certificate_request(const Connection_config& conn) {
    return is_pubkey(conn.remote) && !conn.remote.cacerts.empty();
}

std::vector<Payload> IKE_SA_INIT_auth_payloads(const Config& config, const Connection_config& conn, bool as_responder) {
    std::vector<Payload> out = IKE_SA_INIT_auth_payloads(config, conn);
    // §1.2: CERTREQ rides in the IKE_SA_INIT response; the initiator's goes in IKE_AUTH (peers
    // such as strongSwan refuse a CERTREQ in the IKE_SA_INIT request).
    if (as_responder && wants_certificate_request(conn)) out.push_back(certificate_request(conn));
    return out;
}

std::vector<Payload> IKE_SA_INIT_auth_payloads(const Config&, const Connection_config& conn) {
    std::vector<Payload> out;
    if (!is_pubkey(conn.local) && !is_pubkey(conn.remote)) return out;
    // RFC 7427 §4: announce the hashes we verify and sign with.
    out.push_back(notify(Notify_type::SIGNATURE_HASH_ALGORITHMS,
                         crypto::signature_hash_algorithms_data(crypto::default_signature_hashes())));
    return out;
}

bool have_credentials(const Config& config, const Connection_config& conn) {
    if (is_pubkey(conn.local)) return conn.local.private_key && !conn.local.certs.empty();
    return config.find_psk(conn.local.id, conn.remote.id) != nullptr;
}

std::vector<Hash_algorithm> signature_hashes_of(const Message& m) {
    const Payload_N* n = m.find_notify(Notify_type::SIGNATURE_HASH_ALGORITHMS);
    return n ? crypto::parse_signature_hash_algorithms(n->data) : std::vector<Hash_algorithm>{};
}

std::vector<Payload> prove_identity(const Prf& prf, const Config& config, const Connection_config& conn,
                                    bool as_responder, const Signed_octets_input& ours) {
    const auto& id = conn.local.id;
    std::vector<Payload> out(1);
    out[0].type = as_responder ? Payload_type::IDr : Payload_type::IDi;
    out[0].body = Payload_ID{id.type, id.data};
    const Bytes octets = crypto::signed_octets(prf, ours.real_message, ours.nonce, ours.SK_p,
                                               id_payload_body(id.type, id.data));
    Payload auth;
    auth.type = Payload_type::AUTH;
    if (is_pubkey(conn.local)) {
        if (!conn.local.private_key || conn.local.certs.empty()) {
            throw std::invalid_argument("no private key and certificate for " + id.to_string());
        }
        // §1.2 IDx, [CERT+], AUTH: our certificate, then intermediates. [7296-1.2-s1] [7296-3.6-s4] certs[0] first: the config requires the private key to be its key.
        for (const auto& c : conn.local.certs) out.push_back(cert_payload(Payload_type::CERT, c->der()));
        if (!as_responder && wants_certificate_request(conn)) out.push_back(certificate_request(conn));
        std::unique_ptr<Crypto_provider> system_rng;
        Crypto_provider* rng = ours.rng;
        if (!rng) {
            system_rng = make_botan_provider();
            rng = system_rng.get();
        }
        std::string error;
        auto sig = crypto::sign_auth(*conn.local.private_key, octets, ours.peer_signature_hashes, conn.local.rsa_pss,
                                     *rng, &error);
        if (!sig) throw std::invalid_argument("cannot sign AUTH for " + id.to_string() + ": " + error);
        auth.body = Payload_AUTH{sig->method, std::move(sig->data)};
    } else {
        const auto* psk = config.find_psk(conn.local.id, conn.remote.id);
        if (!psk) throw std::invalid_argument("no PSK for " + conn.local.id.to_string() + " and " + conn.remote.id.to_string());
        const Secret mac = crypto::psk_auth(prf, psk_octets(*psk), octets);
        auth.body = Payload_AUTH{Auth_method::Shared_Key_Message_Integrity_Code, mac.view().to_bytes()};
    }
    out.push_back(std::move(auth));
    return out;
}

std::chrono::system_clock::time_point certificate_time(const Config& config,
                                                       std::optional<std::chrono::milliseconds> now) {
    if (config.wall_clock_at_zero && now) return *config.wall_clock_at_zero + *now;
    return std::chrono::system_clock::now();
}

std::optional<Auth_refusal> verify_identity(const Prf& prf, const Config& config, const Connection_config& conn,
                                            bool peer_is_responder, const Message& m,
                                            const Signed_octets_input& peers,
                                            std::optional<std::chrono::milliseconds> now) {
    const auto* id = body_of<Payload_ID>(m, peer_is_responder ? Payload_type::IDr : Payload_type::IDi);
    const auto* auth = body_of<Payload_AUTH>(m, Payload_type::AUTH);
    if (!id || !auth) return Auth_refusal{"7296-1.2-auth-payloads", "IKE_AUTH without ID or AUTH"};
    // §3.5: an ID_FQDN / ID_RFC822_ADDR string holding a terminator is an invalid ID, which §2.21.2
    // lists among the authentication errors answered AUTHENTICATION_FAILED: the payload decodes,
    // only its content is bad, so this is no INVALID_SYNTAX of a malformed message.
    // [7296-3.5-s3] [7296-3.5-s4] refused before any policy look-up or AUTH check.
    if (auto at = codec::id_terminator(id->id_type, id->data)) {
        const bool fqdn = id->id_type == Id_type::ID_FQDN;
        return Auth_refusal{fqdn ? "7296-3.5-s3" : "7296-3.5-s4",
                            std::string(peer_is_responder ? "IDr " : "IDi ") + (fqdn ? "ID_FQDN" : "ID_RFC822_ADDR") +
                                " holds a terminator, " + codec::describe_id_terminator(id->data, *at) +
                                " (RFC 7296 §3.5)"};
    }
    const Identity peer{id->id_type, id->data};
    if (!(peer == conn.remote.id)) {
        return Auth_refusal{"7296-2.15-identity", "peer identity " + peer.to_string() + " is not the configured " +
                                                      conn.remote.id.to_string()};
    }
    if (is_pubkey(conn.remote)) return verify_pubkey(prf, conn, m, *id, *auth, peers, certificate_time(config, now));
    return verify_psk(prf, config, conn, *id, *auth, peers);
}

}  // namespace ike::core
