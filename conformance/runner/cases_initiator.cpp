// Cases where the NUT is the initiator of the exchange the runner perturbs (catalogue §1, "I"):
// the runner makes the NUT initiate with the `initiate` trigger and plays the responder.
// G1, G2, G3, G5, G6, G11, G12, G13 I-cases (RFC 7296 §1.2, §2.5, §2.6, §2.7, §2.9, §2.21, §2.23).
#include "conformance/runner/cases_common.hpp"

#include <thread>

#include "src/core/negotiation.hpp"

namespace ike::conform {
namespace {

std::size_t count_exchange(const std::vector<Answer>& got, Exchange_type e, bool requests) {
    std::size_t n = 0;
    for (const auto& a : got)
        if (a.outer && a.outer->header.exchange == e && a.outer->header.is_response() != requests) ++n;
    return n;
}

/// Answers the NUT's IKE_SA_INIT with `resp` (edited by the case), derives keys, waits for its
/// IKE_AUTH request. nullopt when it sent none within 3 x W.
std::optional<Answer> answer_init(Case_context& cx, Ike_sa& sa, const Answer& init, const Message& resp) {
    cx.peer.send_response(sa, resp, true, init);
    std::string err = cx.peer.derive_as_responder(sa, *init.outer);
    if (!err.empty()) throw Case_abort(err);
    const Spi spi = sa.SPIi;
    const auto deadline = Clock::now() + 3 * cx.peer.W();
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return std::nullopt;
        auto a = cx.peer.wait_for(
            [spi](const Answer& x) {
                return x.outer && x.outer->header.SPIi == spi && !x.outer->header.is_response() &&
                       (x.outer->header.exchange == Exchange_type::IKE_AUTH || x.outer->header.exchange == Exchange_type::IKE_SA_INIT);
            },
            left);
        if (!a || a->outer->header.exchange == Exchange_type::IKE_AUTH) return a;
        if (a->d.bytes == sa.msg1) {  // §2.1: a retransmitted request gets the same response again
            cx.peer.transport().send(a->d.from_ip, a->d.from_port, sa.msg2, a->d.local_port == cx.profile.runner_nat_t_port);
            cx.note("answered a retransmission of the NUT's IKE_SA_INIT with the same response");
        }
    }
}

Ike_sa& accept(Case_context& cx, const Answer& init, Message* resp) {
    std::string why;
    Ike_sa* sa = cx.peer.accept_nut_init(init, resp, &why);
    if (!sa) {
        cx.expect(false, Level::MUST, "the NUT's IKE_SA_INIT request", "an offer the runner can answer", why, "RFC 7296 §1.2");
        throw Case_abort(why);
    }
    return *sa;
}

/// Completes IKE_AUTH normally; returns true when the runner's P-LIVE (MID 0) is then answered.
bool finish_auth(Case_context& cx, Ike_sa& sa, const Answer& auth, const std::function<void(std::vector<Payload>&)>& edit = {},
                 const Seal_options& opt = {}) {
    std::vector<Payload> inner;
    std::string err = cx.peer.answer_nut_auth(sa, auth, &inner);
    if (!cx.expect(err.empty(), Level::MUST, "the NUT's IKE_AUTH request", "IDi and a valid AUTH (PSK)", err.empty() ? auth.describe() : err,
                   "RFC 7296 §2.15"))
        return false;
    if (edit) edit(inner);
    cx.peer.respond(sa, auth, inner, opt);
    sa.established = true;
    sa.next_mid = 0;
    sa.nut_port = auth.d.from_port;
    sa.nut_nat_t = auth.d.local_port == cx.profile.runner_nat_t_port && cx.profile.runner_nat_t_port != cx.profile.runner_port;
    return true;
}

/// The NUT initiates (initiate trigger), the runner answers its IKE_SA_INIT normally: the
/// runner's IKE SA and the NUT's IKE_AUTH request; nullopt, judged as a failed MUST, when no
/// IKE_AUTH request came (RFC 7296 §1.2).
struct Nut_auth {
    Ike_sa* sa = nullptr;
    Answer auth;
};
std::optional<Nut_auth> nut_auth_request(Case_context& cx) {
    Answer init = nut_init(cx);
    Message resp;
    Ike_sa& sa = accept(cx, init, &resp);
    auto auth = answer_init(cx, sa, init, resp);
    if (!cx.expect(auth.has_value(), Level::MUST, "IKE_AUTH request", "sent by the NUT", "none", "RFC 7296 §1.2"))
        return std::nullopt;
    return Nut_auth{&sa, std::move(*auth)};
}

/// An edit for finish_auth: `f` applied to every selector of the response's TSr.
std::function<void(std::vector<Payload>&)> each_TSr(std::function<void(Traffic_selector&)> f) {
    return [f = std::move(f)](std::vector<Payload>& inner) {
        for (auto& p : inner)
            if (p.type == Payload_type::TSr)
                for (auto& t : std::get<Payload_TS>(p.body).selectors) f(t);
    };
}

/// P-LIVE from the runner (the original responder: its first request has MID 0, I clear).
bool alive(Case_context& cx, Ike_sa& sa) { return cx.peer.probe_live(sa, 0); }

// ---- cases -------------------------------------------------------------------------------------

void initiator_offer_format(Case_context& cx) {
    Answer init = nut_init(cx);
    const Message& m = *init.outer;
    cx.expect(m.header.SPIi != 0 && m.header.SPIr == 0 && m.header.message_id == 0 && (m.header.flags & flag::Initiator) &&
                  !(m.header.flags & flag::Response),
              Level::MUST, "IKE_SA_INIT request header", "SPIi != 0, SPIr = 0, MID 0, I set, R clear", init.describe(),
              "RFC 7296 §3.1");
    const auto* sa_p = m.find(Payload_type::SA);
    const auto* ke_p = m.find(Payload_type::KE);
    const auto* ni_p = m.find(Payload_type::Nonce);
    if (!cx.expect(sa_p && ke_p && ni_p, Level::MUST, "IKE_SA_INIT request", "SA, KE, Ni", init.describe(), "RFC 7296 §1.2")) return;
    const auto& props = std::get<Payload_SA>(sa_p->body).proposals;
    bool numbered = true, complete = true, key_length = true, group_offered = false;
    std::size_t strongest_prf_key = 0;
    for (std::size_t i = 0; i < props.size(); ++i) {
        const auto& p = props[i];
        numbered = numbered && p.number == i + 1;
        auto has = [&](Transform_type t) {
            return std::any_of(p.transforms.begin(), p.transforms.end(), [t](const Transform& x) { return x.type == t; });
        };
        bool aead = false;
        for (const auto& t : p.transforms) {
            if (t.type == Transform_type::ENCR) {
                const auto id = static_cast<Encr_id>(t.id);
                aead = aead || (id >= Encr_id::ENCR_AES_CCM_8 && id != Encr_id::ENCR_AES_CTR) ||
                       id == Encr_id::ENCR_CHACHA20_POLY1305;
                if ((id == Encr_id::ENCR_AES_CBC || id == Encr_id::ENCR_AES_CTR) && !t.key_length) key_length = false;
            }
            if (t.type == Transform_type::KE && t.id == std::get<Payload_KE>(ke_p->body).group) group_offered = true;
            if (t.type == Transform_type::PRF && cx.peer.crypto().supports(Transform_type::PRF, t.id, std::nullopt))
                strongest_prf_key = std::max(strongest_prf_key, cx.peer.crypto().prf(static_cast<Prf_id>(t.id))->key_size());
        }
        complete = complete && has(Transform_type::ENCR) && has(Transform_type::PRF) && has(Transform_type::KE) &&
                   (aead || has(Transform_type::INTEG));
    }
    cx.expect(numbered, Level::MUST, "proposal numbers", "1, 2, ... in order", std::to_string(props.size()) + " proposals",
              "RFC 7296 §3.3.1");
    cx.expect(complete, Level::MUST, "proposal contents", "ENCR, PRF, D-H and (unless combined mode) INTEG in each",
              init.describe(), "RFC 7296 §3.3.3");
    cx.expect(key_length, Level::MUST, "AES-CBC/AES-CTR", "carry a Key Length attribute", init.describe(), "RFC 7296 §3.3.5");
    cx.expect(group_offered, Level::MUST, "KEi group", "offered in the SA payload", init.describe(), "RFC 7296 §1.2, §3.4");
    const std::size_t n = std::get<Payload_Nonce>(ni_p->body).data.size();
    cx.expect(n >= 16 && n <= 256 && n >= strongest_prf_key / 2, Level::MUST, "Ni length",
              "16..256 octets, at least half the key size of the strongest PRF offered", std::to_string(n) + " octets",
              "RFC 7296 §2.10, §3.9");
    Message resp;
    Ike_sa& sa = accept(cx, init, &resp);
    if (auto auth = answer_init(cx, sa, init, resp)) finish_auth(cx, sa, *auth);
}

void header_fields_passive(Case_context& cx) {
    auto started = nut_auth_request(cx);
    if (!started) return;
    Ike_sa& sa = *started->sa;
    const Answer* auth = &started->auth;
    cx.expect(auth->outer->header.message_id == 1 && (auth->outer->header.flags & flag::Initiator), Level::MUST,
              "IKE_AUTH request header", "MID 1, I set", auth->describe(), "RFC 7296 §2.2, §3.1");
    if (!finish_auth(cx, sa, *auth) || sa.children.empty()) return;
    cx.peer.auto_answer = false;
    cx.trigger("rekey-child", sa.children[0].spi_nut);
    const Spi spi = sa.SPIi;
    auto rekey = cx.peer.wait_for([spi](const Answer& a) { return a.inner && a.inner->header.SPIi == spi && !a.inner->header.is_response(); },
                                  trigger_wait);
    if (rekey) {
        cx.expect(rekey->inner->header.message_id == 2 && (rekey->inner->header.flags & flag::Initiator) &&
                      !(rekey->inner->header.flags & flag::Response),
                  Level::MUST, "the NUT's next request", "MID 2, I set, R clear", rekey->describe(), "RFC 7296 §2.2, §3.1");
        cx.peer.respond(sa, *rekey, {notify(Notify_type::NO_ADDITIONAL_SAS)});
    } else {
        cx.note("rekey-child trigger: no request from the NUT");
    }
    cx.trigger("delete-ike");
    auto del = cx.peer.wait_for([spi](const Answer& a) { return a.inner && a.inner->header.SPIi == spi && !a.inner->header.is_response() &&
                                                                a.inner->header.exchange == Exchange_type::INFORMATIONAL; },
                                trigger_wait);
    cx.peer.auto_answer = true;
    if (del) {
        cx.expect((del->inner->header.flags & flag::Initiator) && del->inner->header.message_id == (rekey ? 3u : 2u), Level::MUST,
                  "the NUT's Delete", "I set, one more MID per request", del->describe(), "RFC 7296 §2.2");
        cx.peer.respond(sa, *del, {});
    } else {
        cx.note("delete-ike trigger: no INFORMATIONAL from the NUT");
    }
}

void minor_version_in_response(Case_context& cx) {
    Answer init = nut_init(cx);
    Message resp;
    Ike_sa& sa = accept(cx, init, &resp);
    resp.header.minor_version = 0xf;  // version 0x2f
    auto auth = answer_init(cx, sa, init, resp);
    if (!cx.expect(auth.has_value(), Level::MUST, "IKE_SA_INIT response with version 0x2f", "the NUT continues with IKE_AUTH",
                   "no IKE_AUTH request", "RFC 7296 §2.5"))
        return;
    Seal_options opt;
    opt.version = 0x2f;
    if (!finish_auth(cx, sa, *auth, {}, opt)) return;
    cx.expect(alive(cx, sa), Level::MUST, "IKE_AUTH response with version 0x2f", "IKE SA established (P-LIVE answered)",
              "no answer", "RFC 7296 §2.5");
}

void major_version_higher_response(Case_context& cx) {
    Answer init = nut_init(cx);
    Message resp;
    Ike_sa& sa = accept(cx, init, &resp);
    Message bad = resp;
    bad.header.major_version = 3;
    cx.peer.send_response(sa, bad, false, init);
    auto got = watch(cx, sa.SPIi, 2 * cx.peer.W());
    cx.expect(count_exchange(got, Exchange_type::IKE_AUTH, true) == 0, Level::MUST, "IKE_SA_INIT response with version 0x30",
              "dropped: no IKE_AUTH built on it", std::to_string(count_exchange(got, Exchange_type::IKE_AUTH, true)) + " IKE_AUTH requests",
              "RFC 7296 §2.5");
    Answer retry = init;
    for (const auto& g : got)
        if (g.outer && g.outer->header.exchange == Exchange_type::IKE_SA_INIT) retry = g;
    if (!cx.expect(retry.d.at != init.d.at, Level::MUST, "after the 0x30 response", "the NUT retransmits its IKE_SA_INIT",
                   "no retransmission within 2 x W", "RFC 7296 §2.1"))
        return;
    auto auth = answer_init(cx, sa, retry, resp);
    cx.expect(auth && finish_auth(cx, sa, *auth) && alive(cx, sa), Level::MUST, "the correct response to a retransmission",
              "the exchange completes", auth ? auth->describe() : "no IKE_AUTH", "RFC 7296 §2.5");
}

void unknown_noncritical_in_response(Case_context& cx) {
    Answer init = nut_init(cx);
    Message resp;
    Ike_sa& sa = accept(cx, init, &resp);
    resp.payloads.insert(resp.payloads.begin() + 3, unknown_payload(100, false));  // between Nr and the NAT-D notifies
    auto auth = answer_init(cx, sa, init, resp);
    if (!cx.expect(auth.has_value(), Level::MUST, "IKE_SA_INIT response with U(100, C=0)", "U ignored: IKE_AUTH follows",
                   "no IKE_AUTH request", "RFC 7296 §2.5"))
        return;
    cx.expect(finish_auth(cx, sa, *auth) && alive(cx, sa), Level::MUST, "runner AUTH over message 2 including U",
              "IKE SA established", "not established", "RFC 7296 §2.15");
}

void unknown_critical_in_response(Case_context& cx) {
    cx.sub("a");
    Answer init = nut_init(cx);
    Message resp;
    Ike_sa& sa = accept(cx, init, &resp);
    resp.payloads.insert(resp.payloads.begin() + 3, unknown_payload(200, true));
    cx.peer.send_response(sa, resp, true, init);
    auto got = watch(cx, sa.SPIi, 3 * cx.peer.W());
    const auto n = count_exchange(got, Exchange_type::IKE_AUTH, true);
    cx.expect(n == 0, Level::MUST, "IKE_SA_INIT response with U(200, C=1)", "no IKE_AUTH request built on it",
              std::to_string(n) + " IKE_AUTH requests", "RFC 7296 §2.5");
}

void cookie_retry_format(Case_context& cx) {
    Answer init = nut_init(cx);
    const Bytes cookie = cx.peer.crypto().random(32);
    Message c;
    c.header = init.outer->header;
    c.header.flags = flag::Response;
    c.payloads = {notify(Notify_type::COOKIE, cookie)};
    cx.peer.transport().send(init.d.from_ip, init.d.from_port, codec::encode_message(c), init.d.local_port == cx.profile.runner_nat_t_port);
    const Spi spi = init.outer->header.SPIi;
    auto retry = cx.peer.wait_for(
        [&](const Answer& a) {
            return a.outer && a.outer->header.SPIi == spi && a.outer->header.exchange == Exchange_type::IKE_SA_INIT &&
                   !a.outer->header.is_response() && !a.outer->payloads.empty() && a.outer->payloads[0].type == Payload_type::N;
        },
        3 * cx.peer.W());
    if (!cx.expect(retry.has_value(), Level::MUST, "N(COOKIE, 32 octets)", "a retry with N(COOKIE) first", "none",
                   "RFC 7296 §2.6"))
        return;
    const auto* n = std::get_if<Payload_N>(&retry->outer->payloads[0].body);
    cx.expect(n && n->type == static_cast<std::uint16_t>(Notify_type::COOKIE) && n->data == cookie && retry->outer->header.SPIr == 0 &&
                  retry->outer->header.message_id == 0,
              Level::MUST, "the retry", "N(COOKIE) with the same 32 octets first, same SPIi, SPIr 0, MID 0", retry->describe(),
              "RFC 7296 §2.6");
    std::vector<Payload> rest(retry->outer->payloads.begin() + 1, retry->outer->payloads.end());
    cx.expect(rest == init.outer->payloads, Level::MUST, "the retry's other payloads", "identical to the first request",
              retry->describe(), "RFC 7296 §2.6");
    Message resp;
    Ike_sa& sa = accept(cx, *retry, &resp);
    auto auth = answer_init(cx, sa, *retry, resp);
    cx.expect(auth && finish_auth(cx, sa, *auth) && alive(cx, sa), Level::MUST, "IKE_AUTH",
              "completes; the NUT's AUTH covers the retried request", auth ? auth->describe() : "no IKE_AUTH", "RFC 7296 §2.15");
}

void bad_responder_auth(Case_context& cx) {
    auto started = nut_auth_request(cx);
    if (!started) return;
    Ike_sa& sa = *started->sa;
    const Answer* auth = &started->auth;
    const bool ok = finish_auth(cx, sa, *auth, [&](std::vector<Payload>& inner) {
        for (auto& p : inner)
            if (auto* a = std::get_if<Payload_AUTH>(&p.body)) a->data.back() ^= 0x01;  // AUTH with a wrong key
    });
    if (!ok) return;
    auto got = watch(cx, sa.SPIi, 2 * cx.peer.W());
    for (const auto& g : got)
        if (g.inner && g.has_notify(Notify_type::AUTHENTICATION_FAILED)) cx.note("the NUT sent " + g.describe());
    cx.expect(count_exchange(got, Exchange_type::IKE_AUTH, false) == 0, Level::MUST, "after the bad AUTH", "never a reply to the response",
              std::to_string(got.size()) + " datagrams", "RFC 7296 §2.21");
    cx.expect(!alive(cx, sa), Level::MUST, "runner P-LIVE(0)", "no IKE SA: no protected answer", "answered", "RFC 7296 §2.21.2");
}

void child_error_keeps_ike(Case_context& cx) {
    for (auto t : {Notify_type::NO_PROPOSAL_CHOSEN, Notify_type::TS_UNACCEPTABLE}) {
        cx.sub(t == Notify_type::NO_PROPOSAL_CHOSEN ? "a" : "b");
        auto started = nut_auth_request(cx);
        if (!started) continue;
        Ike_sa& sa = *started->sa;
        const Answer* auth = &started->auth;
        const bool ok = finish_auth(cx, sa, *auth, [t](std::vector<Payload>& inner) {
            std::vector<Payload> keep;
            for (const auto& p : inner)
                if (p.type == Payload_type::IDr || p.type == Payload_type::AUTH) keep.push_back(p);
            keep.push_back(notify(t));
            inner = keep;
        });
        if (!ok) continue;
        sa.children.clear();
        cx.expect(alive(cx, sa), Level::MUST, "IKE_AUTH response SK { IDr, AUTH, N(" + to_string(t) + ") }",
                  "authentication counts as successful: P-LIVE answered", "no answer", "RFC 7296 §2.21.2");
    }
}

void malformed_response(Case_context& cx) {
    auto started = nut_auth_request(cx);
    if (!started) return;
    Ike_sa& sa = *started->sa;
    const Answer* auth = &started->auth;
    std::vector<Payload> inner;
    if (!cx.peer.answer_nut_auth(sa, *auth, &inner).empty()) return;
    const auto first = static_cast<std::uint8_t>(inner.front().type);
    Seal_options opt;
    opt.edit_plaintext = [first](Bytes& p) {
        auto at = inner_payload_at(p, first, Payload_type::TSr);
        if (at != std::string::npos && at + 12 <= p.size()) put16(p, at + 10, 15);  // Selector Length 15
    };
    cx.peer.respond(sa, *auth, inner, opt);
    auto got = watch(cx, sa.SPIi, 2 * cx.peer.W());
    cx.expect(count_exchange(got, Exchange_type::IKE_AUTH, false) == 0, Level::MUST, "IKE_AUTH response with a TSr Selector Length 15",
              "never a reply to the response", std::to_string(got.size()) + " datagrams", "RFC 7296 §2.21");
    for (const auto& g : got)
        if (g.inner) cx.note("the NUT cleaned up with " + g.describe());
    expect_fresh(cx, "NUT stays up");
}

void error_then_genuine_response(Case_context& cx) {
    Answer init = nut_init(cx);
    Message resp;
    Ike_sa& sa = accept(cx, init, &resp);
    Message npc;
    npc.header = init.outer->header;
    npc.header.flags = flag::Response;
    npc.payloads = {notify(Notify_type::NO_PROPOSAL_CHOSEN)};
    cx.peer.transport().send(init.d.from_ip, init.d.from_port, codec::encode_message(npc), init.d.local_port == cx.profile.runner_nat_t_port);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto auth = answer_init(cx, sa, init, resp);
    cx.expect(auth.has_value() && finish_auth(cx, sa, *auth), Level::SHOULD,
              "unprotected N(NO_PROPOSAL_CHOSEN), then a valid response 200 ms later", "the NUT completes with the valid response",
              auth ? auth->describe() : "no IKE_AUTH request", "RFC 7296 §2.21.1");
}

void nat_detected_by_initiator(Case_context& cx) {
    Answer init = nut_init(cx);
    Message resp;
    Ike_sa& sa = accept(cx, init, &resp);
    for (auto& p : resp.payloads)
        if (auto* n = std::get_if<Payload_N>(&p.body); n && n->type == static_cast<std::uint16_t>(Notify_type::NAT_DETECTION_DESTINATION_IP))
            n->data.front() ^= 0xff;  // the NUT appears to be behind a NAT
    auto auth = answer_init(cx, sa, init, resp);
    if (!cx.expect(auth.has_value(), Level::MUST, "IKE_AUTH request", "sent by the NUT", "none", "RFC 7296 §2.23")) return;
    cx.expect(auth->d.local_port == cx.profile.runner_nat_t_port && auth->d.kind == "ike", Level::MUST,
              "IKE_AUTH request after a mismatching NAT_DETECTION_DESTINATION_IP", "sent to port 4500 with the non-ESP marker",
              "received on port " + std::to_string(auth->d.local_port), "RFC 7296 §2.23");
    finish_auth(cx, sa, *auth);
}

void accept_narrowed(Case_context& cx) {
    auto started = nut_auth_request(cx);
    if (!started) return;
    Ike_sa& sa = *started->sa;
    const Answer* auth = &started->auth;
    const bool ok = finish_auth(cx, sa, *auth, each_TSr([](Traffic_selector& t) {
        if (t.end_address.size() == 4 && t.end_address[3] == 0xff) t.end_address[3] = 0x7f;  // /24 -> /25
    }));
    if (!ok || sa.children.empty()) return;
    auto got = watch(cx, sa.SPIi, cx.peer.W());
    bool deleted = false;
    for (const auto& g : got)
        if (g.inner && g.find(Payload_type::D)) deleted = true;
    cx.expect(!deleted, Level::MUST, "IKE_AUTH response with TSr narrowed to a /25", "the NUT keeps the narrowed CHILD SA",
              deleted ? "the NUT deleted it" : "kept", "RFC 7296 §2.9");
    auto d = cx.peer.probe_child(sa, sa.children[0].spi_runner);
    cx.expect(d && d->size() == 1, Level::MUST, "P-CHILD", "the narrowed CHILD SA exists on the NUT",
              d ? std::to_string(d->size()) + " SPIs" : "no answer", "RFC 7296 §2.9");
}

void reject_widened(Case_context& cx) {
    auto started = nut_auth_request(cx);
    if (!started) return;
    Ike_sa& sa = *started->sa;
    const Answer* auth = &started->auth;
    const bool ok = finish_auth(cx, sa, *auth, each_TSr([](Traffic_selector& t) {
        if (t.start_address.size() == 4) t.start_address[2] &= 0xfe, t.end_address[2] |= 0x01;  // /24 -> /23
    }));
    if (!ok) return;
    auto got = watch(cx, sa.SPIi, 2 * cx.peer.W());
    bool deleted = false;
    for (const auto& g : got)
        if (g.inner && g.find(Payload_type::D)) {
            deleted = true;
            cx.peer.respond(sa, g, {});
        }
    // No RFC sentence binds the initiator here (§2.9 tells the responder to narrow to a subset),
    // so the behaviour is recorded, not judged (catalogue: interop).
    cx.expect(true, Level::MAY, "IKE_AUTH response with TSr widened to a /23",
              "the NUT deletes the CHILD SA (or the IKE SA), or keeps it", deleted ? "Delete sent" : "no Delete", "RFC 7296 §2.9");
    cx.note(deleted ? "the NUT deleted the widened CHILD SA" : "the NUT kept the CHILD SA with widened selectors (no Delete)");
    cx.expect(count_exchange(got, Exchange_type::IKE_AUTH, false) == 0, Level::MUST, "after the widened response",
              "never a reply to the response", std::to_string(got.size()) + " datagrams", "RFC 7296 §2.21");
}

}  // namespace

void register_initiator_cases(std::vector<Case>& t) {
    const std::vector<std::string> init = {"trigger:initiate"};
    t.push_back({"IKEv2.I.2.7.initiator-offer-format", "", Level::MUST, init, initiator_offer_format, ""});
    t.push_back({"IKEv2.I.3.1.header-fields-passive", "", Level::MUST,
                 {"trigger:initiate", "trigger:rekey-child", "trigger:delete-ike"}, header_fields_passive, ""});
    t.push_back({"IKEv2.I.2.5.minor-version-in-response", "", Level::MUST, init, minor_version_in_response, ""});
    t.push_back({"IKEv2.I.2.5.major-version-higher-response", "", Level::MUST, init, major_version_higher_response, ""});
    t.push_back({"IKEv2.I.3.2.unknown-noncritical-in-response", "", Level::MUST, init, unknown_noncritical_in_response, ""});
    t.push_back({"IKEv2.I.3.2.unknown-critical-in-response", "", Level::MUST, {"trigger:initiate", "trigger:create-child"},
                 unknown_critical_in_response, ""});
    t.push_back({"IKEv2.I.2.6.cookie-retry-format", "", Level::MUST, init, cookie_retry_format, ""});
    t.push_back({"IKEv2.I.2.21.2.bad-responder-auth", "", Level::MUST, init, bad_responder_auth, ""});
    t.push_back({"IKEv2.I.2.21.2.child-error-keeps-ike", "", Level::MUST, init, child_error_keeps_ike, ""});
    t.push_back({"IKEv2.I.2.21.malformed-response", "", Level::MUST, init, malformed_response, ""});
    t.push_back({"IKEv2.I.2.21.1.error-then-genuine-response", "", Level::SHOULD, init, error_then_genuine_response, ""});
    t.push_back({"IKEv2.I.2.23.nat-detected-by-initiator", "", Level::MUST, {"trigger:initiate", "nat-t"}, nat_detected_by_initiator, ""});
    t.push_back({"IKEv2.I.2.9.accept-narrowed", "", Level::MUST, init, accept_narrowed, ""});
    t.push_back({"IKEv2.I.2.9.reject-widened", "", Level::interop, init, reject_widened, ""});
}

}  // namespace ike::conform
