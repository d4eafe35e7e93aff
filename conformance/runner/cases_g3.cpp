// G3: IKE_SA_INIT negotiation: proposals, transforms, ESN, key length, KE, nonces
// (RFC 7296 §1.2, §2.7, §2.10, §3.3, §3.4, §3.9).
#include "conformance/runner/cases_common.hpp"

#include "src/core/negotiation.hpp"

namespace ike::conform {
namespace {

const Proposal* chosen(const Answer& a) {
    const auto* p = a.find(Payload_type::SA);
    if (!p) return nullptr;
    const auto& props = std::get<Payload_SA>(p->body).proposals;
    return props.size() == 1 ? &props[0] : nullptr;
}

std::string show_proposal(const Answer& a) {
    const auto* p = a.find(Payload_type::SA);
    if (!p) return a.describe();
    std::string s;
    for (const auto& pr : std::get<Payload_SA>(p->body).proposals) {
        s += "#" + std::to_string(pr.number) + " " + to_string(pr.protocol) + " [";
        for (const auto& t : pr.transforms) s += core::describe(t) + " ";
        s += "] ";
    }
    return s;
}

Transform transform(Transform_type type, std::uint16_t id, std::optional<std::uint16_t> key_length = {}) {
    Transform t;
    t.type = type;
    t.id = id;
    t.key_length = key_length;
    return t;
}

void proposal_selection_format(Case_context& cx) {
    Init_spec spec;
    spec.proposals = {proposal("aes128-aes256-sha256-sha384-prfsha256-prfsha384-ecp256-modp2048")};
    spec.ke_group = 19;
    Ike_sa& sa = cx.peer.new_sa();
    auto a = send_init(cx, sa, spec);
    if (a && a->has_notify(Notify_type::INVALID_KE_PAYLOAD)) {
        cx.expect(true, Level::MUST, "F-INIT", "INVALID_KE_PAYLOAD if the NUT prefers group 14", a->describe(), "RFC 7296 §1.2");
        return;
    }
    if (!cx.expect(a && normal_init_response(*a), Level::MUST, "F-INIT with two transforms of each type",
                   "normal IKE_SA_INIT response", cx.show(a), "RFC 7296 §2.7"))
        return;
    const Proposal* p = chosen(*a);
    const std::string req = "RFC 7296 §2.7, §3.3.6";
    if (!cx.expect(p != nullptr, Level::MUST, "SAr1", "exactly one proposal", show_proposal(*a), req)) return;
    cx.expect(p->number == 1 && p->protocol == Protocol_id::IKE && p->spi.empty(), Level::MUST, "SAr1 proposal",
              "Proposal Num 1, Protocol ID IKE, SPI Size 0", show_proposal(*a), "RFC 7296 §3.3.1");
    const auto& offered = spec.proposals[0].transforms;
    for (auto type : {Transform_type::ENCR, Transform_type::PRF, Transform_type::INTEG, Transform_type::KE}) {
        int n = 0;
        bool from_offer = true;
        for (const auto& t : p->transforms)
            if (t.type == type) {
                ++n;
                from_offer = from_offer && std::find(offered.begin(), offered.end(), t) != offered.end();
            }
        cx.expect(n == 1 && from_offer, Level::MUST, "SAr1 " + core::describe(type),
                  "exactly one transform of the type, one of those offered (Key Length as offered)", show_proposal(*a), req);
    }
    const auto* ke = a->find(Payload_type::KE);
    const auto* kt = core::transform_of(*p, Transform_type::KE);
    if (ke && kt) {
        const auto& k = std::get<Payload_KE>(ke->body);
        cx.expect(k.group == kt->id && k.data.size() == public_value_size(static_cast<Ke_id>(k.group)), Level::MUST,
                  "KEr", "in the chosen group, of the group's exact length",
                  "group " + std::to_string(k.group) + ", " + std::to_string(k.data.size()) + " octets", "RFC 7296 §3.4");
    }
    const auto* nr = a->find(Payload_type::Nonce);
    const auto* prf = core::transform_of(*p, Transform_type::PRF);
    if (nr && prf) {
        const std::size_t n = std::get<Payload_Nonce>(nr->body).data.size();
        const std::size_t half = cx.peer.crypto().prf(static_cast<Prf_id>(prf->id))->key_size() / 2;
        cx.expect(n >= 16 && n <= 256 && n >= half, Level::MUST, "Nr length", "16..256 octets and at least half the PRF key",
                  std::to_string(n) + " octets", "RFC 7296 §2.10, §3.9");
    }
    cx.expect(a->outer->header.SPIr != 0, Level::MUST, "SPIr", "non-zero", std::to_string(a->outer->header.SPIr),
              "RFC 7296 §3.1");
}

void second_proposal_selected(Case_context& cx) {
    Init_spec spec;
    spec.proposals = {proposal("3des-sha1-prfsha1-modp2048", Protocol_id::IKE, 1), cx.profile.ike[0]};
    spec.proposals[1].number = 2;
    spec.ke_group = 19;
    Ike_sa& sa = cx.peer.new_sa();
    auto a = send_init(cx, sa, spec);
    const Proposal* p = a ? chosen(*a) : nullptr;
    bool ok = p && p->number == 2;
    if (ok)
        for (const auto& t : p->transforms)
            ok = ok && std::find(spec.proposals[1].transforms.begin(), spec.proposals[1].transforms.end(), t) !=
                           spec.proposals[1].transforms.end();
    cx.expect(ok, Level::MUST, "F-INIT: #1 3DES/SHA1/MODP-2048 (outside policy), #2 default suite",
              "SAr1 with Proposal Num 2 and transforms of proposal 2", a ? show_proposal(*a) : cx.show(a), "RFC 7296 §2.7, §3.3.1");
}

void judge_npc(Case_context& cx, const std::string& step, const std::optional<Answer>& a) {
    cx.expect(a && only_notify(*a, Notify_type::NO_PROPOSAL_CHOSEN) && !a->inner, Level::MUST, step,
              "unprotected IKE_SA_INIT response #0 { N(NO_PROPOSAL_CHOSEN) }", cx.show(a), "RFC 7296 §2.7, §2.21.1");
}

void no_acceptable_proposal(Case_context& cx) {
    Init_spec spec;
    spec.proposals = {proposal("3des-sha1-prfsha1-modp2048")};
    spec.ke_group = 14;
    Ike_sa& sa = cx.peer.new_sa();
    auto a = send_init(cx, sa, spec);
    judge_npc(cx, "F-INIT offering only 3DES/SHA1/MODP-2048", a);
    if (a && a->outer)
        if (a->outer->header.SPIr != 0) cx.note("the refusal carries a non-zero SPIr (catalogue: interop, SPIr 0 expected; no RFC keyword)");
}

void with_second(Case_context& cx, const std::string& what, const Proposal& odd) {
    cx.sub("a");
    Init_spec spec;
    Proposal second = cx.profile.ike[0];
    second.number = 2;
    spec.proposals = {odd, second};
    spec.ke_group = 19;
    Ike_sa& sa = cx.peer.new_sa();
    auto a = send_init(cx, sa, spec);
    const Proposal* p = a ? chosen(*a) : nullptr;
    cx.expect(p && p->number == 2, Level::MUST, "F-INIT: #1 " + what + ", #2 default suite", "SAr1 selects proposal 2",
              a ? show_proposal(*a) : cx.show(a), "RFC 7296 §3.3.6");
    cx.sub("b");
    Init_spec alone;
    alone.proposals = {odd};
    alone.ke_group = 19;
    Ike_sa& sb = cx.peer.new_sa();
    judge_npc(cx, "F-INIT: only " + what, send_init(cx, sb, alone));
}

void unknown_transform_type(Case_context& cx) {
    Proposal odd = cx.profile.ike[0];
    odd.transforms.push_back(transform(static_cast<Transform_type>(241), 1));
    with_second(cx, "default suite plus Transform Type 241", odd);
}

void missing_mandatory_type(Case_context& cx) {
    Proposal odd = cx.profile.ike[0];
    odd.transforms.erase(std::remove_if(odd.transforms.begin(), odd.transforms.end(),
                                        [](const Transform& t) { return t.type == Transform_type::INTEG; }),
                         odd.transforms.end());
    with_second(cx, "no integrity transform with a non-AEAD cipher", odd);
}

void unknown_transform_id_or_attribute(Case_context& cx) {
    Proposal p = cx.profile.ike[0];
    std::vector<Transform> rest;
    for (const auto& t : p.transforms)
        if (t.type != Transform_type::ENCR) rest.push_back(t);
    Transform odd_attr = transform(Transform_type::ENCR, static_cast<std::uint16_t>(Encr_id::ENCR_AES_CBC), 256);
    odd_attr.other_attributes.push_back(Transform_attribute{16400, true, {0x00, 0x01}});
    p.transforms = {transform(Transform_type::ENCR, 1000), odd_attr,
                    transform(Transform_type::ENCR, static_cast<std::uint16_t>(Encr_id::ENCR_AES_CBC), 128)};
    p.transforms.insert(p.transforms.end(), rest.begin(), rest.end());
    Init_spec spec;
    spec.proposals = {p};
    spec.ke_group = 19;
    Ike_sa& sa = cx.peer.new_sa();
    auto a = send_init(cx, sa, spec);
    const Proposal* c = a ? chosen(*a) : nullptr;
    const Transform* e = c ? core::transform_of(*c, Transform_type::ENCR) : nullptr;
    cx.expect(e && e->id == static_cast<std::uint16_t>(Encr_id::ENCR_AES_CBC) && e->key_length == 128 &&
                  e->other_attributes.empty(),
              Level::MUST, "F-INIT: ENCR 1000, AES-CBC/256 + attribute 16400, AES-CBC/128",
              "SAr1 selects ENCR_AES_CBC/128, no unknown attribute", a ? show_proposal(*a) : cx.show(a), "RFC 7296 §3.3.6");
}

void key_length_attribute(Case_context& cx) {
    auto variant = [&](const std::string& name, std::optional<std::uint16_t> bits, const std::string& what) {
        cx.sub(name);
        Proposal p = cx.profile.ike[0];
        for (auto& t : p.transforms)
            if (t.type == Transform_type::ENCR) {
                t.id = static_cast<std::uint16_t>(Encr_id::ENCR_AES_CBC);
                t.key_length = bits;
            }
        Init_spec spec;
        spec.proposals = {p};
        spec.ke_group = 19;
        Ike_sa& sa = cx.peer.new_sa();
        judge_npc(cx, "F-INIT: ENCR_AES_CBC " + what, send_init(cx, sa, spec));
    };
    variant("a", std::nullopt, "without Key Length");
    variant("b", 100, "with Key Length 100");
    variant("b0", 0, "with Key Length 0");
    cx.sub("c");
    Proposal p = cx.profile.ike[0];
    for (auto& t : p.transforms)
        if (t.type == Transform_type::ENCR) t.key_length = 256;
    Init_spec spec;
    spec.proposals = {p};
    Ike_sa& sa = cx.peer.new_sa();
    auto a = send_init(cx, sa, spec);
    cx.expect(a && normal_init_response(*a), Level::SHOULD, "F-INIT: only ENCR_AES_CBC/256 (policy: /128)",
              "accepted when the NUT implements the longer key", cx.show(a), "RFC 7296 §3.3.5");
}

Ike_sa* init_only(Case_context& cx) {
    Ike_sa& sa = cx.peer.new_sa();
    return init_ok(cx, sa, "F-INIT") ? &sa : nullptr;
}

/// F-AUTH with `esp` as SAi2: the IKE SA must be established; returns the response.
std::optional<Answer> auth_with_esp(Case_context& cx, Ike_sa& sa, const std::vector<Proposal>& esp, const std::string& step) {
    Auth_spec spec;
    spec.esp = esp;
    auto inner = cx.peer.auth_payloads(sa, spec);
    auto a = cx.peer.request(sa, Exchange_type::IKE_AUTH, inner);
    std::string err = a ? cx.peer.complete_auth(sa, *a, spec) : "silence";
    cx.expect(err.empty(), Level::MUST, step + ": IKE SA", "established (IDr and a valid AUTH)", err.empty() ? cx.show(a) : err,
              "RFC 7296 §1.2, §2.21.2");
    return a;
}

void esn_negotiation(Case_context& cx) {
    Proposal base = cx.profile.esp[0];
    base.transforms.erase(std::remove_if(base.transforms.begin(), base.transforms.end(),
                                         [](const Transform& t) { return t.type == Transform_type::ESN; }),
                          base.transforms.end());
    auto with = [&](std::vector<std::uint16_t> esn) {
        Proposal p = base;
        for (auto v : esn) p.transforms.push_back(transform(Transform_type::ESN, v));
        return p;
    };
    cx.sub("a");
    if (Ike_sa* sa = init_only(cx)) {
        auto a = auth_with_esp(cx, *sa, {with({0, 1})}, "SAi2 with ESN 0 and 1");
        const Proposal* c = a ? chosen(*a) : nullptr;
        int n = 0;
        if (c)
            for (const auto& t : c->transforms) n += t.type == Transform_type::ESN;
        cx.expect(n == 1, Level::MUST, "SAr2", "exactly one ESN transform", a ? show_proposal(*a) : cx.show(a), "RFC 7296 §3.3.6");
    }
    cx.sub("b");
    if (Ike_sa* sa = init_only(cx)) {
        auto a = auth_with_esp(cx, *sa, {with({1})}, "SAi2 with ESN 1 only");
        const Proposal* c = a ? chosen(*a) : nullptr;
        const Transform* e = c ? core::transform_of(*c, Transform_type::ESN) : nullptr;
        cx.expect((e && e->id == 1) || (a && a->has_notify(Notify_type::NO_PROPOSAL_CHOSEN)), Level::MUST, "SAr2",
                  "ESN 1, or N(NO_PROPOSAL_CHOSEN)", a ? show_proposal(*a) + " " + notifies_of(*a) : cx.show(a), "RFC 7296 §3.3.6");
    }
    cx.sub("c");
    if (Ike_sa* sa = init_only(cx)) {
        auto a = auth_with_esp(cx, *sa, {base}, "SAi2 without ESN transform");
        cx.expect(a && a->has_notify(Notify_type::NO_PROPOSAL_CHOSEN) && !a->find(Payload_type::SA), Level::MUST,
                  "SAi2 without the mandatory ESN type", "N(NO_PROPOSAL_CHOSEN), no SAr2", cx.show(a), "RFC 7296 §3.3.3, §3.3.6");
    }
}

void child_dh_in_ike_auth(Case_context& cx) {
    for (std::uint16_t g : {std::uint16_t{0}, std::uint16_t{19}}) {
        cx.sub(g == 0 ? "a" : "b");
        Ike_sa* sa = init_only(cx);
        if (!sa) continue;
        Proposal p = cx.profile.esp[0];
        p.transforms.push_back(transform(Transform_type::KE, g));
        auto a = auth_with_esp(cx, *sa, {p}, "SAi2 with D-H " + std::to_string(g));
        const Proposal* c = a ? chosen(*a) : nullptr;
        const Transform* k = c ? core::transform_of(*c, Transform_type::KE) : nullptr;
        cx.expect(!k || k->id == 0, Level::MUST, "SAr2", "no D-H transform other than NONE",
                  a ? show_proposal(*a) : cx.show(a), "RFC 7296 §1.2, §3.3.3");
        if (g == 0)
            cx.expect(c != nullptr, Level::MUST, "SAi2 with D-H NONE", "accepted like a proposal without D-H",
                      a ? show_proposal(*a) + " " + notifies_of(*a) : cx.show(a), "RFC 7296 §3.3.3");
        else
            cx.expect(c != nullptr || (a && a->has_notify(Notify_type::NO_PROPOSAL_CHOSEN)), Level::interop,
                      "SAi2 with D-H 19", "CHILD SA created ignoring the group, or N(NO_PROPOSAL_CHOSEN)",
                      a ? show_proposal(*a) + " " + notifies_of(*a) : cx.show(a), "RFC 7296 §1.2");
    }
}

void nonce_length_bounds(Case_context& cx) {
    const std::pair<const char*, std::size_t> variants[] = {{"a", 16}, {"b", 256}, {"c", 8}, {"d", 300}};
    for (const auto& [name, n] : variants) {
        cx.sub(name);
        Init_spec spec;
        spec.nonce_size = n;
        Ike_sa& sa = cx.peer.new_sa();
        if (n >= 16 && n <= 256) {
            if (init_ok(cx, sa, "F-INIT with a " + std::to_string(n) + "-octet Ni", spec)) auth_ok(cx, sa, "F-AUTH");
        } else {
            auto a = send_init(cx, sa, spec);
            if (a && normal_init_response(*a))
                cx.expect(false, Level::interop, "F-INIT with a " + std::to_string(n) + "-octet Ni", "no IKE SA (silence preferred)",
                          a->describe(), "RFC 7296 §3.9");
            else
                judge_refused_init(cx, "F-INIT with a " + std::to_string(n) + "-octet Ni", a, "RFC 7296 §3.9");
        }
    }
}

/// F-INIT offering the profile's first IKE proposal with its D-H group replaced by `group`
/// and a KE payload of that group (whose data the case sets).
Init_spec offer_in_group(Case_context& cx, std::uint16_t group) {
    Init_spec spec;
    Proposal p = cx.profile.ike[0];
    for (auto& t : p.transforms)
        if (t.type == Transform_type::KE) t.id = group;
    spec.proposals = {p};
    spec.ke_group = group;
    return spec;
}

void ke_length_wrong(Case_context& cx) {
    const std::tuple<const char*, std::uint16_t, std::size_t> variants[] = {
        {"a0", 19, 0}, {"a63", 19, 63}, {"a65", 19, 65}, {"a4000", 19, 4000},
        {"b255", 14, 255}, {"b257", 14, 257}, {"c31", 31, 31}, {"c33", 31, 33}};
    for (const auto& [name, group, n] : variants) {
        cx.sub(name);
        Init_spec spec = offer_in_group(cx, group);
        spec.ke_data = Bytes(n, 0x5a);
        Ike_sa& sa = cx.peer.new_sa();
        const std::string step = "F-INIT: group " + std::to_string(group) + " KE of " + std::to_string(n) + " octets";
        judge_refused_init(cx, step, send_init(cx, sa, spec), "RFC 7296 §3.4");
        expect_fresh(cx, step);
    }
}

void ke_invalid_public_value(Case_context& cx) {
    Bytes off_curve(64, 0);
    off_curve[31] = 1;
    off_curve[63] = 1;  // (1, 1) is not on P-256
    const std::tuple<const char*, std::uint16_t, Bytes> variants[] = {
        {"a0", 14, Bytes(256, 0)},
        {"a1", 14, [] { Bytes b(256, 0); b[255] = 1; return b; }()},
        {"b-zero", 19, Bytes(64, 0)},
        {"b-off-curve", 19, off_curve},
        {"c", 31, Bytes(32, 0)}};
    for (const auto& [name, group, data] : variants) {
        cx.sub(name);
        Init_spec spec = offer_in_group(cx, group);
        spec.ke_data = data;
        Ike_sa& sa = cx.peer.new_sa();
        const std::string step = "F-INIT: group " + std::to_string(group) + " invalid public value " + name;
        auto a = send_init(cx, sa, spec);
        if (a && normal_init_response(*a)) {
            // a NUT that derives keys lazily may answer; the runner cannot compute g^ir and the
            // IKE_AUTH it sends can never verify, so no IKE SA can follow (NOTE).
            cx.note(step + ": answered normally " + a->describe());
            cx.expect(true, Level::MUST, step, "no IKE SA", "IKE_SA_INIT answered; no IKE SA can be authenticated",
                      "RFC 7296 §3.4");
        } else {
            judge_refused_init(cx, step, a, "RFC 7296 §3.4; RFC 6989 §2.1");
        }
        expect_fresh(cx, step);
    }
}

}  // namespace

void register_g3(std::vector<Case>& t) {
    t.push_back({"IKEv2.R.2.7.proposal-selection-format", "", Level::MUST, {}, proposal_selection_format, ""});
    t.push_back({"IKEv2.R.3.3.1.second-proposal-selected", "", Level::MUST, {}, second_proposal_selected, ""});
    t.push_back({"IKEv2.R.2.7.no-acceptable-proposal", "", Level::MUST, {}, no_acceptable_proposal, ""});
    t.push_back({"IKEv2.R.3.3.6.unknown-transform-type", "", Level::MUST, {}, unknown_transform_type, ""});
    t.push_back({"IKEv2.R.3.3.6.unknown-transform-id-or-attribute", "", Level::MUST, {}, unknown_transform_id_or_attribute, ""});
    t.push_back({"IKEv2.R.3.3.6.missing-mandatory-type", "", Level::MUST, {}, missing_mandatory_type, ""});
    t.push_back({"IKEv2.R.3.3.5.key-length-attribute", "", Level::MUST, {}, key_length_attribute, ""});
    t.push_back({"IKEv2.R.3.3.2.esn-negotiation", "", Level::MUST, {}, esn_negotiation, ""});
    t.push_back({"IKEv2.R.1.2.child-dh-in-ike-auth", "", Level::MUST, {}, child_dh_in_ike_auth, ""});
    t.push_back({"IKEv2.R.3.9.nonce-length-bounds", "", Level::MUST, {}, nonce_length_bounds, ""});
    t.push_back({"IKEv2.R.3.4.ke-length-wrong", "", Level::MUST, {}, ke_length_wrong, ""});
    t.push_back({"IKEv2.R.3.4.ke-invalid-public-value", "", Level::MUST, {}, ke_invalid_public_value, ""});
}

}  // namespace ike::conform
