// G8: CREATE_CHILD_SA: new CHILD SA, CHILD rekey, IKE rekey (RFC 7296 §1.3, §2.8, §2.18).
#include <algorithm>

#include "conformance/runner/cases_common.hpp"

namespace ike::conform {
namespace {

void new_child(Case_context& cx) {
    cx.sub("a");
    Ike_sa& sa = cx.established();
    Child_sa pending;
    auto a = cx.peer.request(sa, Exchange_type::CREATE_CHILD_SA, cx.peer.child_request(sa, pending));
    std::string err = a ? cx.peer.complete_child(sa, pending, *a) : "silence";
    cx.expect(err.empty() && !a->find(Payload_type::KE) && a->find(Payload_type::Nonce), Level::MUST,
              "CREATE_CHILD_SA SK { SA(ESP), Ni, TSi, TSr }", "SK { SA (one proposal, SPI Size 4), Nr, TSi, TSr } without KEr",
              err.empty() ? cx.show(a) : err, "RFC 7296 §1.3.1");
    if (!cx.profile.has("pfs")) return;
    cx.sub("b");
    Child_sa pfs;
    auto b = cx.peer.request(sa, Exchange_type::CREATE_CHILD_SA, cx.peer.child_request(sa, pfs, std::nullopt, cx.profile.pfs_group));
    err = b ? cx.peer.complete_child(sa, pfs, *b) : "silence";
    cx.expect(err.empty() && b->find(Payload_type::KE), Level::MUST, "CREATE_CHILD_SA with KEi(PFS group)",
              "SK { SA, Nr, KEr, TSi, TSr }", err.empty() ? cx.show(b) : err, "RFC 7296 §1.3.1");
}

void transport_mode(Case_context& cx) {
    cx.sub("b");
    Ike_sa& sa = cx.established();
    Child_sa pending;
    pending.tsi = {ts(cx.profile.runner_address)};
    pending.tsr = {ts(cx.profile.target_address)};
    auto inner = cx.peer.child_request(sa, pending);
    inner.insert(inner.begin(), notify(Notify_type::USE_TRANSPORT_MODE));
    auto a = cx.peer.request(sa, Exchange_type::CREATE_CHILD_SA, inner);
    if (!cx.expect(a && a->inner, Level::MUST, "CREATE_CHILD_SA with N(USE_TRANSPORT_MODE), host selectors",
                   "a protected response", cx.show(a), "RFC 7296 §1.3.1"))
        return;
    if (cx.profile.has("transport"))
        cx.expect(a->has_notify(Notify_type::USE_TRANSPORT_MODE), Level::MUST, "response (transport allowed)",
                  "includes N(USE_TRANSPORT_MODE)", a->describe(), "RFC 7296 §1.3.1");
    else
        cx.expect(!a->has_notify(Notify_type::USE_TRANSPORT_MODE), Level::MUST, "response (tunnel-only policy)",
                  "no N(USE_TRANSPORT_MODE): a tunnel, or a refusal", a->describe(), "RFC 7296 §1.3.1");
}

void rekey_child(Case_context& cx) {
    Ike_sa& sa = cx.established();
    if (sa.children.empty()) throw Case_abort("no C1");
    const Child_sa c1 = sa.children[0];
    Child_sa pending;
    pending.tsi = c1.tsi;
    pending.tsr = c1.tsr;
    auto a = cx.peer.request(sa, Exchange_type::CREATE_CHILD_SA, cx.peer.child_request(sa, pending, c1.spi_runner));
    std::string err = a ? cx.peer.complete_child(sa, pending, *a) : "silence";
    if (!cx.expect(err.empty(), Level::MUST, "CREATE_CHILD_SA SK { N(REKEY_SA, s_r1), SA, Ni, TSi, TSr }",
                   "a new CHILD SA", err.empty() ? cx.show(a) : err, "RFC 7296 §1.3.3"))
        return;
    auto d = cx.peer.probe_child(sa, c1.spi_runner);
    cx.expect(d && d->size() == 1 && (*d)[0] == c1.spi_nut, Level::MUST, "INFORMATIONAL SK { D(ESP, [s_r1]) }",
              "D(ESP, [s_n1])", d ? std::to_string(d->size()) + " SPIs" : "no answer", "RFC 7296 §1.4.1");
}

void rekey_child_ts_changed(Case_context& cx) {
    for (const std::string name : {"a", "b"}) {
        cx.sub(name);
        Ike_sa& sa = cx.established();
        if (sa.children.empty()) throw Case_abort("no C1");
        const Child_sa c1 = sa.children[0];
        Child_sa pending;
        if (name == "a") {
            pending.tsi = {ts("0.0.0.0/0")};
            pending.tsr = {ts("0.0.0.0/0")};
        } else {
            Traffic_selector h1 = cx.profile.runner_ts[0], h2 = cx.profile.target_ts[0];
            h1.end_address = h1.start_address;
            h2.end_address = h2.start_address;
            pending.tsi = {h1};
            pending.tsr = {h2};
        }
        const auto offer_i = pending.tsi, offer_r = pending.tsr;
        auto a = cx.peer.request(sa, Exchange_type::CREATE_CHILD_SA, cx.peer.child_request(sa, pending, c1.spi_runner));
        std::string err = a ? cx.peer.complete_child(sa, pending, *a) : "silence";
        const bool narrowed = err.empty() && ts_within(pending.tsi, offer_i) && ts_within(pending.tsr, offer_r) &&
                              ts_within(pending.tsi, cx.profile.runner_ts) && ts_within(pending.tsr, cx.profile.target_ts);
        cx.expect(narrowed || (a && a->has_notify(Notify_type::TS_UNACCEPTABLE)), Level::interop,
                  name == "a" ? "rekey of C1 with TSi = TSr = 0.0.0.0/0" : "rekey of C1 with single-host selectors",
                  "narrowed inside offer and policy, or N(TS_UNACCEPTABLE)", cx.show(a), "RFC 7296 §2.8, §2.9");
        expect_live(cx, sa, "IKE SA survives", Level::interop, "RFC 7296 §2.8");
    }
}

void rekey_ike_sa(Case_context& cx) {
    Ike_sa& old = cx.established();
    if (old.children.empty()) throw Case_abort("no C1");
    const Child_sa c1 = old.children[0];
    std::string why;
    std::optional<Answer> a;
    Ike_sa* fresh = cx.peer.rekey_ike(old, &why, 0, &a);
    if (!cx.expect(fresh != nullptr, Level::MUST, "CREATE_CHILD_SA SK { SA(IKE, SPI Size 8), Ni, KEi }",
                   "SK { SA(IKE, SPI Size 8, new SPIr), Nr, KEr }; keys per §2.18 decrypt", why.empty() ? cx.show(a) : why,
                   "RFC 7296 §1.3.2, §2.18"))
        return;
    cx.expect(fresh->SPIr != 0, Level::MUST, "new SPIr", "non-zero", std::to_string(fresh->SPIr), "RFC 7296 §1.3.2");
    expect_live(cx, *fresh, "new IKE SA answers MID 0", Level::MUST, "RFC 7296 §2.18");
    auto d = cx.peer.request(old, Exchange_type::INFORMATIONAL, {delete_ike()});
    cx.expect(d && d->inner && d->inner->payloads.empty(), Level::MUST, "SK { D(IKE) } on the old SA",
              "INFORMATIONAL response { SK { } }", cx.show(d), "RFC 7296 §1.4.1");
    auto c = cx.peer.probe_child(*fresh, c1.spi_runner);
    cx.expect(c && c->size() == 1 && (*c)[0] == c1.spi_nut, Level::MUST, "SK { D(ESP, [s_r1]) } on the new SA",
              "D(ESP, [s_n1]): C1 moved to the new IKE SA", c ? std::to_string(c->size()) + " SPIs" : "no answer",
              "RFC 7296 §1.3.2");
}

void ike_rekey_mid_reset(Case_context& cx) {
    Ike_sa& old = cx.established();
    std::string why;
    Ike_sa* fresh = cx.peer.rekey_ike(old, &why);
    if (!cx.expect(fresh != nullptr, Level::MUST, "IKE SA rekey", "new IKE SA", why, "RFC 7296 §1.3.2")) return;
    // §2.3: the new SA starts at window 1; a NUT of window N (profile window_size) may announce N
    // again on it at once, so the probes sit outside 0..N-1: MID 3 (the old SA's next) for N <= 3.
    const std::uint32_t n = std::max(1u, cx.profile.window_size);
    const std::uint32_t old_next = std::max(3u, n);
    auto a = cx.peer.request_mid(*fresh, Exchange_type::INFORMATIONAL, old_next, {});
    cx.expect(!(a && a->inner), Level::MUST, "new SA: MID " + std::to_string(old_next) + " (old numbering)", "not acknowledged",
              cx.show(a), "RFC 7296 §2.18");
    expect_live(cx, *fresh, "new SA: MID 0", Level::MUST, "RFC 7296 §2.18");
    const std::uint32_t beyond = 1 + n;  // outside 1..N once MID 0 is answered (MID 2 for window 1)
    a = cx.peer.request_mid(*fresh, Exchange_type::INFORMATIONAL, beyond, {});
    cx.expect(!(a && a->inner), Level::MUST, "new SA: MID " + std::to_string(beyond) + " before MID 1",
              "not acknowledged (outside the window)", cx.show(a), "RFC 7296 §2.3");
}

void ike_rekey_without_ke(Case_context& cx) {
    Ike_sa& sa = cx.established();
    Proposal p = sa.proposal;
    p.spi = Bytes(8, 0x11);
    for (auto& t : p.transforms)
        if (t.type == Transform_type::KE) t.id = 0;
    Payload ni;
    ni.type = Payload_type::Nonce;
    ni.body = Payload_Nonce{cx.peer.crypto().random(32)};
    auto a = cx.peer.request(sa, Exchange_type::CREATE_CHILD_SA, {sa_payload({p}), ni});
    const bool npc = a && a->inner && a->has_notify(Notify_type::NO_PROPOSAL_CHOSEN);
    const bool syntax = a && a->inner && a->has_notify(Notify_type::INVALID_SYNTAX);
    cx.expect(npc || syntax, Level::MUST, "IKE rekey SK { SA(IKE, D-H NONE), Ni } without KEi",
              "N(NO_PROPOSAL_CHOSEN) (INVALID_SYNTAX tolerated), no new IKE SA", cx.show(a), "RFC 7296 §2.18");
    if (a && a->find(Payload_type::SA)) cx.expect(false, Level::MUST, "no new IKE SA", "no SA payload", a->describe(), "RFC 7296 §2.18");
    if (npc) expect_live(cx, sa, "old SA after NO_PROPOSAL_CHOSEN", Level::MUST, "RFC 7296 §2.21.3");
}

void parallel_child_sas(Case_context& cx) {
    Ike_sa& sa = cx.established();
    if (sa.children.empty()) throw Case_abort("no C1");
    const Child_sa c1 = sa.children[0];
    Child_sa pending;
    pending.tsi = c1.tsi;
    pending.tsr = c1.tsr;
    auto a = cx.peer.request(sa, Exchange_type::CREATE_CHILD_SA, cx.peer.child_request(sa, pending));
    std::string err = a ? cx.peer.complete_child(sa, pending, *a) : "silence";
    cx.expect(err.empty(), Level::SHOULD, "CREATE_CHILD_SA with exactly C1's selectors (no REKEY_SA)", "a second CHILD SA",
              err.empty() ? cx.show(a) : err, "RFC 7296 §2.8");
    cx.sub("variant");
    auto inner = cx.peer.child_request(sa, pending);
    for (auto& p : inner)
        if (auto* s = std::get_if<Payload_SA>(&p.body)) {
            Proposal bad = proposal("3des-sha1", Protocol_id::ESP);
            bad.spi = s->proposals[0].spi;
            s->proposals = {bad};
        }
    auto b = cx.peer.request(sa, Exchange_type::CREATE_CHILD_SA, inner);
    cx.expect(b && b->inner && b->has_notify(Notify_type::NO_PROPOSAL_CHOSEN), Level::SHOULD,
              "CREATE_CHILD_SA with a proposal the NUT refuses", "N(NO_PROPOSAL_CHOSEN)", cx.show(b), "RFC 7296 §2.8");
    expect_live(cx, sa, "IKE SA stays up", Level::SHOULD, "RFC 7296 §2.21.3");
    auto d = cx.peer.probe_child(sa, c1.spi_runner);
    cx.expect(d && d->size() == 1 && (*d)[0] == c1.spi_nut, Level::SHOULD, "P-CHILD(s_r1)", "C1 was not replaced: D(ESP, [s_n1])",
              d ? std::to_string(d->size()) + " SPIs" : "no answer", "RFC 7296 §2.8");
}

}  // namespace

// The NUT rekeys C1 on the runner's IKE SA (trigger rekey-child); the runner answers normally.
void rekey_child_initiator(Case_context& cx) {
    Ike_sa& sa = cx.established();
    if (sa.children.empty()) throw Case_abort("no CHILD SA C1");
    const Child_sa c1 = sa.children[0];
    const Spi spi = sa.SPIi;
    cx.peer.auto_answer = false;
    struct Restore {
        Peer& p;
        ~Restore() { p.auto_answer = true; }
    } restore{cx.peer};
    cx.trigger("rekey-child", c1.spi_nut);
    auto req = cx.peer.wait_for(
        [spi](const Answer& a) {
            return a.inner && a.inner->header.SPIi == spi && !a.inner->header.is_response() &&
                   a.inner->header.exchange == Exchange_type::CREATE_CHILD_SA;
        },
        trigger_wait);
    if (!req) {
        cx.skip("the rekey-child trigger made the NUT send no CREATE_CHILD_SA request within 10 s");
        return;
    }
    const Payload_N* rekey = req->notify(Notify_type::REKEY_SA);
    cx.expect(rekey && rekey->protocol == Protocol_id::ESP && rekey->spi.size() == 4 && spi_value(rekey->spi) == c1.spi_nut,
              Level::MUST, "the NUT's CHILD SA rekey request",
              "N(REKEY_SA) with Protocol ID 3, SPI Size 4 and its inbound SPI of C1", req->describe(), "RFC 7296 §1.3.3, §3.10");
    // [SHOULD] the same selectors as C1 (the NUT's TSi is its side: the runner's TSr of C1)
    const auto* tsi = req->find(Payload_type::TSi);
    const auto* tsr = req->find(Payload_type::TSr);
    const bool same_ts = tsi && tsr && std::get<Payload_TS>(tsi->body).selectors == c1.tsr &&
                         std::get<Payload_TS>(tsr->body).selectors == c1.tsi;
    cx.expect(same_ts, Level::SHOULD, "the NUT's CHILD SA rekey request", "TSi/TSr those of C1", req->describe(), "RFC 7296 §2.8");
    const std::string err = cx.peer.answer_child(sa, *req);
    if (!cx.expect(err.empty(), Level::MUST, "the NUT's CHILD SA rekey request", "SA, Ni, [KEi,] TSi, TSr the runner can answer",
                   err.empty() ? "answered" : err, "RFC 7296 §1.3.3"))
        return;
    // §1.3.3, §2.8: after the response the NUT deletes C1, naming its old inbound SPI.
    auto del = cx.peer.wait_for(
        [spi](const Answer& a) {
            return a.inner && a.inner->header.SPIi == spi && !a.inner->header.is_response() &&
                   a.inner->header.exchange == Exchange_type::INFORMATIONAL;
        },
        2 * cx.peer.W());
    bool names_c1 = false;
    if (del)
        for (const auto& p : del->inner->payloads)
            if (const auto* d = std::get_if<Payload_D>(&p.body); d && d->protocol == Protocol_id::ESP)
                for (const auto& s : d->spis) names_c1 = names_c1 || spi_value(s) == c1.spi_nut;
    cx.expect(names_c1, Level::SHOULD, "after the rekey response", "D(ESP, [the NUT's old inbound SPI of C1])", cx.show(del),
              "RFC 7296 §1.3.3, §2.8");
    if (del) cx.peer.respond(sa, *del, {delete_esp({c1.spi_runner})});
    if (names_c1)
        sa.children.erase(std::remove_if(sa.children.begin(), sa.children.end(),
                                         [&](const Child_sa& c) { return c.spi_nut == c1.spi_nut; }),
                          sa.children.end());
    expect_live(cx, sa, "the IKE SA after the CHILD SA rekey", Level::MUST, "RFC 7296 §1.3.3");
}

void register_g8(std::vector<Case>& t) {
    t.push_back({"IKEv2.R.1.3.1.new-child", "", Level::MUST, {}, new_child, ""});
    t.push_back({"IKEv2.R.1.3.1.transport-mode", "", Level::MUST, {}, transport_mode, ""});
    t.push_back({"IKEv2.R.1.3.3.rekey-child", "", Level::MUST, {}, rekey_child, ""});
    t.push_back({"IKEv2.R.1.3.rekey-child-ts-changed", "", Level::interop, {}, rekey_child_ts_changed, ""});
    t.push_back({"IKEv2.R.1.3.2.rekey-ike-sa", "", Level::MUST, {}, rekey_ike_sa, ""});
    t.push_back({"IKEv2.R.2.18.ike-rekey-mid-reset", "", Level::MUST, {}, ike_rekey_mid_reset, ""});
    t.push_back({"IKEv2.R.2.18.ike-rekey-without-ke", "", Level::MUST, {}, ike_rekey_without_ke, ""});
    t.push_back({"IKEv2.R.2.8.parallel-child-sas", "", Level::SHOULD, {}, parallel_child_sas, ""});
    t.push_back({"IKEv2.I.1.3.3.rekey-child-initiator", "", Level::MUST, {"trigger:rekey-child"}, rekey_child_initiator, ""});
}

}  // namespace ike::conform
