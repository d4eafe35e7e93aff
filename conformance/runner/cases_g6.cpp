// G6: IKE_AUTH with PSK: identities, authentication failures, CHILD SA failures
// (RFC 7296 §1.2, §2.15, §2.16, §2.21.2).
#include "conformance/runner/cases_common.hpp"

namespace ike::conform {
namespace {

Ike_sa* init_only(Case_context& cx) {
    Ike_sa& sa = cx.peer.new_sa();
    return init_ok(cx, sa, "F-INIT") ? &sa : nullptr;
}

void psk_baseline(Case_context& cx) {
    for (bool idr : {false, true}) {
        cx.sub(idr ? "b" : "a");
        Ike_sa* sa = init_only(cx);
        if (!sa) continue;
        Auth_spec spec;
        spec.send_idr = idr;
        auto inner = cx.peer.auth_payloads(*sa, spec);
        auto a = cx.peer.request(*sa, Exchange_type::IKE_AUTH, inner);
        std::string err = a ? cx.peer.complete_auth(*sa, *a, spec) : "silence";
        if (!cx.expect(err.empty(), Level::MUST, idr ? "F-AUTH with IDr" : "F-AUTH without IDr",
                       "SK { IDr, AUTH, SA, TSi, TSr } with AUTH = prf(prf(PSK, \"Key Pad for IKEv2\"), msg2 | Ni | prf(SK_pr, IDr'))",
                       err.empty() ? cx.show(a) : err, "RFC 7296 §2.15"))
            continue;
        const auto* sa2 = a->find(Payload_type::SA);
        bool one = false;
        if (sa2) {
            const auto& props = std::get<Payload_SA>(sa2->body).proposals;
            one = props.size() == 1 && props[0].spi.size() == 4 && props[0].protocol == Protocol_id::ESP &&
                  props[0].number == cx.profile.esp[0].number;
        }
        cx.expect(one, Level::MUST, "SAr2", "one ESP proposal with the offered number and a 4-octet SPI", a->describe(),
                  "RFC 7296 §3.3");
        const auto* tsi = a->find(Payload_type::TSi);
        const auto* tsr = a->find(Payload_type::TSr);
        cx.expect(tsi && tsr && ts_within(std::get<Payload_TS>(tsi->body).selectors, cx.profile.runner_ts) &&
                      ts_within(std::get<Payload_TS>(tsr->body).selectors, cx.profile.target_ts),
                  Level::MUST, "TSi/TSr", "within the offer", a->describe(), "RFC 7296 §2.9");
    }
}

/// An IKE_AUTH that must not create an IKE SA: [SHOULD] SK { N(AUTHENTICATION_FAILED) } only;
/// [MUST] the following CREATE_CHILD_SA with MID 2 gets no protected answer.
void judge_auth_refused(Case_context& cx, Ike_sa& sa, const std::string& step, const Auth_spec& spec,
                        Level notify_level = Level::SHOULD) {
    auto inner = cx.peer.auth_payloads(sa, spec);
    auto a = cx.peer.request(sa, Exchange_type::IKE_AUTH, inner);
    cx.expect(a && a->inner && only_notify(*a, Notify_type::AUTHENTICATION_FAILED), notify_level, step,
              "IKE_AUTH response { SK { N(AUTHENTICATION_FAILED) } }", cx.show(a), "RFC 7296 §2.21.2");
    cx.expect(!(a && a->find(Payload_type::AUTH)), Level::MUST, step + ": no IKE SA", "no AUTH from the NUT", cx.show(a),
              "RFC 7296 §2.15");
    // act as if it had succeeded (strongSwan conftest pretend_auth)
    sa.next_mid = 2;
    Child_sa pending;
    auto child = cx.peer.child_request(sa, pending);
    auto b = cx.peer.request_mid(sa, Exchange_type::CREATE_CHILD_SA, 2, child);
    cx.expect(!(b && b->inner), Level::MUST, "CREATE_CHILD_SA #2 after the refusal",
              "silence or unprotected INVALID_IKE_SPI (no IKE SA)", cx.show(b), "RFC 7296 §2.21.2");
}

void psk_mismatch(Case_context& cx) {
    cx.sub("a");
    if (Ike_sa* sa = init_only(cx)) {
        Auth_spec spec;
        spec.psk = cx.profile.psk + "-wrong";
        judge_auth_refused(cx, *sa, "F-AUTH with AUTH from a different PSK", spec);
    }
    cx.sub("b");
    if (Ike_sa* sa = init_only(cx)) {
        Auth_spec spec;
        spec.id = Identity::parse("nobody.invalid");
        judge_auth_refused(cx, *sa, "F-AUTH with an IDi the NUT has no key or policy for", spec);
    }
}

void auth_over_wrong_octets(Case_context& cx) {
    using Build = std::function<Bytes(const Ike_sa&, Octets)>;
    auto prf_id = [](const Ike_sa& sa, Octets key, Octets body) {
        auto s = sa.prf->compute(key, body);
        return Bytes(s.data(), s.data() + s.size());
    };
    const std::vector<std::tuple<std::string, std::string, Build>> variants = {
        {"a", "AUTH over message 2 (the NUT's own octets reflected)",
         [prf_id](const Ike_sa& sa, Octets body) {
             Bytes o = sa.msg2;
             o.insert(o.end(), sa.Ni.begin(), sa.Ni.end());
             Bytes m = prf_id(sa, sa.keys.SK_pr.view(), body);
             o.insert(o.end(), m.begin(), m.end());
             return o;
         }},
        {"b", "AUTH without Nr in the signed octets",
         [prf_id](const Ike_sa& sa, Octets body) {
             Bytes o = sa.msg1;
             Bytes m = prf_id(sa, sa.keys.SK_pi.view(), body);
             o.insert(o.end(), m.begin(), m.end());
             return o;
         }},
        {"c", "AUTH with prf(SK_pr, IDi') instead of prf(SK_pi, IDi')",
         [prf_id](const Ike_sa& sa, Octets body) {
             Bytes o = sa.msg1;
             o.insert(o.end(), sa.Nr.begin(), sa.Nr.end());
             Bytes m = prf_id(sa, sa.keys.SK_pr.view(), body);
             o.insert(o.end(), m.begin(), m.end());
             return o;
         }}};
    for (const auto& [name, what, build] : variants) {
        cx.sub(name);
        if (Ike_sa* sa = init_only(cx)) {
            Auth_spec spec;
            spec.signed_octets_override = build;
            judge_auth_refused(cx, *sa, "F-AUTH with " + what, spec);
        }
    }
    cx.sub("d");
    if (Ike_sa* sa = init_only(cx)) {
        // AUTH computed for the right IDi, then one octet of the IDi data changed
        Auth_spec spec;
        const Identity real = cx.profile.runner_id;
        spec.signed_octets_override = [real](const Ike_sa& s, Octets) {
            Bytes body{static_cast<std::uint8_t>(real.type), 0, 0, 0};
            body.insert(body.end(), real.data.begin(), real.data.end());
            return crypto::signed_octets(*s.prf, s.msg1, s.Nr, s.keys.SK_pi.view(), body);
        };
        Identity changed = real;
        changed.data.back() ^= 0x01;
        spec.id = changed;
        judge_auth_refused(cx, *sa, "F-AUTH whose IDi was changed after AUTH was computed", spec);
    }
}

void id_reserved_in_auth(Case_context& cx) {
    Ike_sa* sa = init_only(cx);
    if (!sa) return;
    Auth_spec spec;
    spec.id_reserved = {0xaa, 0xbb, 0xcc};
    auto inner = cx.peer.auth_payloads(*sa, spec);
    const auto first = static_cast<std::uint8_t>(inner.front().type);
    Seal_options opt;
    opt.edit_plaintext = [first](Bytes& p) {
        auto at = inner_payload_at(p, first, Payload_type::IDi);
        if (at != std::string::npos && at + 8 <= p.size()) {
            p[at + 5] = 0xaa;
            p[at + 6] = 0xbb;
            p[at + 7] = 0xcc;
        }
    };
    auth_ok(cx, *sa, "F-AUTH with IDi RESERVED = 0xaabbcc, AUTH over the body as sent", spec, opt, &inner);
}

void no_auth_without_eap(Case_context& cx) {
    Ike_sa* sa = init_only(cx);
    if (!sa) return;
    Auth_spec spec;
    spec.omit_auth = true;
    auto inner = cx.peer.auth_payloads(*sa, spec);
    auto a = cx.peer.request(*sa, Exchange_type::IKE_AUTH, inner);
    cx.expect(a && a->inner && a->has_notify(Notify_type::AUTHENTICATION_FAILED), Level::SHOULD, "F-AUTH without AUTH",
              "IKE_AUTH response { SK { N(AUTHENTICATION_FAILED) } }", cx.show(a), "RFC 7296 §2.16, §2.21.2");
    cx.expect(!(a && (a->find(Payload_type::AUTH) || a->find(Payload_type::EAP))), Level::MUST, "no IKE SA, no EAP",
              "neither AUTH nor EAP from the NUT", cx.show(a), "RFC 7296 §2.16");
    expect_no_sa(cx, *sa, "no IKE SA", "RFC 7296 §2.21.2");
}

void missing_mandatory_payloads(Case_context& cx) {
    auto variant = [&](const std::string& name, const std::string& step, const std::vector<Payload_type>& keep) {
        cx.sub(name);
        Ike_sa* sa = init_only(cx);
        if (!sa) return;
        auto inner = cx.peer.auth_payloads(*sa);
        std::vector<Payload> kept;
        for (const auto& p : inner)
            if (std::find(keep.begin(), keep.end(), p.type) != keep.end()) kept.push_back(p);
        auto a = cx.peer.request(*sa, Exchange_type::IKE_AUTH, kept);
        const bool refused = a && a->inner &&
                             (a->has_notify(Notify_type::INVALID_SYNTAX) || a->has_notify(Notify_type::AUTHENTICATION_FAILED));
        if (name == "b" && a && a->find(Payload_type::AUTH) && !a->find(Payload_type::SA)) {
            cx.expect(true, Level::MUST, step, "INVALID_SYNTAX, or an IKE SA without CHILD SA (childless)", a->describe(),
                      "RFC 7296 §1.2; RFC 6023");
            cx.note("IKE SA without CHILD SA: " + a->describe());
            return;
        }
        cx.expect(!(a && a->find(Payload_type::AUTH)), Level::MUST, step + ": no IKE SA", "no AUTH from the NUT", cx.show(a),
                  "RFC 7296 §1.2, §2.21.2");
        cx.expect(refused, Level::interop, step, "IKE_AUTH response { SK { N(INVALID_SYNTAX) } } (AUTHENTICATION_FAILED tolerated)",
                  cx.show(a), "RFC 7296 §2.21.2");
    };
    variant("a", "F-AUTH SK { AUTH, SAi2, TSi, TSr } without IDi",
            {Payload_type::AUTH, Payload_type::SA, Payload_type::TSi, Payload_type::TSr});
    variant("b", "F-AUTH SK { IDi, AUTH } without SAi2, TSi, TSr", {Payload_type::IDi, Payload_type::AUTH});
    variant("c", "F-AUTH SK { }", {});
}

void child_failure_keeps_ike(Case_context& cx) {
    auto variant = [&](const std::string& name, const std::string& step, const Auth_spec& spec, Notify_type want) {
        cx.sub(name);
        Ike_sa* sa = init_only(cx);
        if (!sa) return;
        auto inner = cx.peer.auth_payloads(*sa, spec);
        auto a = cx.peer.request(*sa, Exchange_type::IKE_AUTH, inner);
        std::string err = a ? cx.peer.complete_auth(*sa, *a, spec) : "silence";
        cx.expect(err.empty() && a->has_notify(want) && !a->find(Payload_type::SA) && !a->find(Payload_type::TSi),
                  Level::MUST, step, "IKE_AUTH response { SK { IDr, AUTH, N(" + to_string(want) + ") } } without SA, TSi, TSr",
                  err.empty() ? cx.show(a) : err, "RFC 7296 §2.21.2");
        if (!err.empty()) return;
        expect_live(cx, *sa, "IKE SA established", Level::MUST, "RFC 7296 §2.21.2");
        std::string why;
        cx.expect(cx.peer.create_child(*sa, &why) != nullptr, Level::MUST, "CREATE_CHILD_SA with acceptable selectors",
                  "CHILD SA created", why.empty() ? "created" : why, "RFC 7296 §1.3.1");
    };
    Auth_spec ts;
    ts.tsi = {conform::ts("203.0.113.0/24")};
    ts.tsr = {conform::ts("203.0.114.0/24")};
    variant("a", "F-AUTH with TSi/TSr outside the NUT's policy", ts, Notify_type::TS_UNACCEPTABLE);
    Auth_spec esp;
    esp.esp = {proposal("3des-sha1", Protocol_id::ESP)};
    variant("b", "F-AUTH with an ESP proposal the NUT refuses (3DES/SHA1)", esp, Notify_type::NO_PROPOSAL_CHOSEN);
}

}  // namespace

void register_g6(std::vector<Case>& t) {
    t.push_back({"IKEv2.R.1.2.psk-baseline", "", Level::MUST, {}, psk_baseline, ""});
    t.push_back({"IKEv2.R.2.15.psk-mismatch", "", Level::MUST, {}, psk_mismatch, ""});
    t.push_back({"IKEv2.R.2.15.auth-over-wrong-octets", "", Level::MUST, {}, auth_over_wrong_octets, ""});
    t.push_back({"IKEv2.R.2.15.id-reserved-in-auth", "", Level::MUST, {}, id_reserved_in_auth, ""});
    t.push_back({"IKEv2.R.2.16.no-auth-without-eap", "", Level::MUST, {}, no_auth_without_eap, ""});
    t.push_back({"IKEv2.R.1.2.missing-mandatory-payloads", "", Level::MUST, {}, missing_mandatory_payloads, ""});
    t.push_back({"IKEv2.R.2.21.2.child-failure-keeps-ike", "", Level::MUST, {}, child_failure_keeps_ike, ""});
}

}  // namespace ike::conform
