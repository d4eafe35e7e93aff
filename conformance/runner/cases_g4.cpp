// G4: INVALID_KE_PAYLOAD (RFC 7296 §1.2, §1.3, §2.18, §3.4, §3.10.1).
#include "conformance/runner/cases_common.hpp"

namespace ike::conform {
namespace {

bool group19_only(Case_context& cx) {
    if (cx.profile.groups == std::vector<std::uint16_t>{19}) return true;
    cx.skip("the profile does not declare that the NUT accepts group 19 only (proposals.groups = [19])");
    return false;
}

Init_spec offer_31_and_19(Case_context& cx) {
    Init_spec spec;
    Proposal p = cx.profile.ike[0];
    p.transforms.erase(std::remove_if(p.transforms.begin(), p.transforms.end(),
                                      [](const Transform& t) { return t.type == Transform_type::KE; }),
                       p.transforms.end());
    for (std::uint16_t g : {std::uint16_t{31}, std::uint16_t{19}}) {
        Transform t;
        t.type = Transform_type::KE;
        t.id = g;
        p.transforms.push_back(t);
    }
    spec.proposals = {p};
    spec.ke_group = 31;
    return spec;
}

bool judge_invalid_ke(Case_context& cx, const std::string& step, const std::optional<Answer>& a) {
    const bool ok = a && only_notify(*a, Notify_type::INVALID_KE_PAYLOAD) &&
                    a->notify(Notify_type::INVALID_KE_PAYLOAD)->data == Bytes{0x00, 0x13};
    cx.expect(ok, Level::MUST, step, "unprotected IKE_SA_INIT response #0 { N(INVALID_KE_PAYLOAD, 0x0013) }", cx.show(a),
              "RFC 7296 §1.2, §3.4");
    if (a && a->outer)
        if (a->outer->header.SPIr != 0) cx.note("the refusal carries a non-zero SPIr (catalogue: interop, SPIr 0 expected; no RFC keyword)");
    return ok;
}

void invalid_ke_wrong_group(Case_context& cx) {
    if (!group19_only(cx)) return;
    Ike_sa& sa = cx.peer.new_sa();
    judge_invalid_ke(cx, "F-INIT offering D-H 31 and 19 with KEi(31)", send_init(cx, sa, offer_31_and_19(cx)));
}

void invalid_ke_retry_succeeds(Case_context& cx) {
    if (!group19_only(cx)) return;
    Ike_sa& sa = cx.peer.new_sa();
    Init_spec spec = offer_31_and_19(cx);
    if (!judge_invalid_ke(cx, "F-INIT with KEi(31)", send_init(cx, sa, spec))) return;
    spec.ke_group = 19;  // same SPIi, same SAi1, new Ni
    if (init_ok(cx, sa, "retry with KEi(19) and a new Ni", spec)) auth_ok(cx, sa, "F-AUTH whose AUTH covers the retry");
}

void invalid_ke_create_child_pfs(Case_context& cx) {
    Ike_sa& sa = cx.established();
    Child_sa pending;
    auto inner = cx.peer.child_request(sa, pending, std::nullopt, 31);
    for (auto& p : inner)
        if (auto* s = std::get_if<Payload_SA>(&p.body))
            for (auto& pr : s->proposals) {
                Transform t;
                t.type = Transform_type::KE;
                t.id = cx.profile.pfs_group;
                pr.transforms.push_back(t);
            }
    auto a = cx.peer.request(sa, Exchange_type::CREATE_CHILD_SA, inner);
    Bytes want{static_cast<std::uint8_t>(cx.profile.pfs_group >> 8), static_cast<std::uint8_t>(cx.profile.pfs_group)};
    cx.expect(a && a->inner && a->has_notify(Notify_type::INVALID_KE_PAYLOAD) &&
                  a->notify(Notify_type::INVALID_KE_PAYLOAD)->data == want && !a->find(Payload_type::SA),
              Level::MUST, "CREATE_CHILD_SA with KEi(31), offering 31 and the PFS group",
              "CREATE_CHILD_SA response { SK { N(INVALID_KE_PAYLOAD, PFS group) } }", cx.show(a), "RFC 7296 §1.3");
    Child_sa retry;
    auto inner2 = cx.peer.child_request(sa, retry, std::nullopt, cx.profile.pfs_group);
    auto b = cx.peer.request(sa, Exchange_type::CREATE_CHILD_SA, inner2);
    std::string err = b ? cx.peer.complete_child(sa, retry, *b) : "silence";
    cx.expect(err.empty() && b->find(Payload_type::KE), Level::MUST, "retry with KEi(PFS group)",
              "CREATE_CHILD_SA response { SK { SA, Nr, KEr, TSi, TSr } }", err.empty() ? cx.show(b) : err, "RFC 7296 §1.3");
}

void invalid_ke_ike_rekey(Case_context& cx) {
    if (!group19_only(cx)) return;
    Ike_sa& sa = cx.established();
    std::optional<Answer> a;
    std::string why;
    Ike_sa* fresh = cx.peer.rekey_ike(sa, &why, 31, &a, {31, 19});
    cx.expect(!fresh && a && a->inner && a->has_notify(Notify_type::INVALID_KE_PAYLOAD) &&
                  a->notify(Notify_type::INVALID_KE_PAYLOAD)->data == Bytes{0x00, 0x13},
              Level::MUST, "IKE SA rekey SK { SA(IKE, D-H 31 and 19), Ni, KEi(31) }",
              "CREATE_CHILD_SA response { SK { N(INVALID_KE_PAYLOAD, 0x0013) } }", cx.show(a), "RFC 7296 §1.3, §2.18");
    expect_live(cx, sa, "old IKE SA unchanged", Level::MUST, "RFC 7296 §2.18");
    fresh = cx.peer.rekey_ike(sa, &why, 19, &a, {31, 19});
    if (!cx.expect(fresh != nullptr, Level::MUST, "retry with KEi(19)", "the IKE SA is rekeyed", why, "RFC 7296 §1.3.2")) return;
    expect_live(cx, *fresh, "new IKE SA", Level::MUST, "RFC 7296 §2.18");
}

}  // namespace

void register_g4(std::vector<Case>& t) {
    t.push_back({"IKEv2.R.1.2.invalid-ke-wrong-group", "", Level::MUST, {}, invalid_ke_wrong_group, ""});
    t.push_back({"IKEv2.R.1.2.invalid-ke-retry-succeeds", "", Level::MUST, {}, invalid_ke_retry_succeeds, ""});
    t.push_back({"IKEv2.R.1.3.invalid-ke-create-child-pfs", "", Level::MUST, {"pfs"}, invalid_ke_create_child_pfs, ""});
    t.push_back({"IKEv2.R.2.18.invalid-ke-ike-rekey", "", Level::MUST, {}, invalid_ke_ike_rekey, ""});
}

}  // namespace ike::conform
