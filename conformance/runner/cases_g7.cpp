// G7: Message IDs, window, retransmission, replay (RFC 7296 §2.1–§2.3).
#include "conformance/runner/cases_common.hpp"

namespace ike::conform {
namespace {

const char* R_2_1 = "RFC 7296 §2.1";

void retransmitted_ike_sa_init(Case_context& cx) {
    cx.sub("a");
    Ike_sa& sa = cx.peer.new_sa();
    auto first = send_init(cx, sa);
    if (!cx.expect(first && normal_init_response(*first), Level::MUST, "F-INIT", "normal response", cx.show(first), R_2_1)) return;
    auto again = cx.peer.send_and_wait(sa, sa.msg1, 0);
    const bool same_spi = again && again->outer && again->outer->header.SPIr == first->outer->header.SPIr;
    cx.expect(same_spi, Level::MUST, "F-INIT resent bitwise", "the same response (same SPIr, KEr, Nr)", cx.show(again), R_2_1);
    if (same_spi && again->d.bytes != first->d.bytes) cx.note("the retransmitted response is not byte-identical");
    std::string err = cx.peer.complete_init(sa, *first);
    if (!cx.expect(err.empty(), Level::MUST, "keys", "usable", err, R_2_1)) return;
    if (!auth_ok(cx, sa, "F-AUTH")) return;
    cx.sub("b");
    cx.peer.send_raw(sa.msg1);
    auto late = cx.peer.collect(sa.SPIi, cx.peer.W());
    std::optional<Answer> shown;
    if (!late.empty()) shown = late.front();
    cx.expect(late.empty(), Level::SHOULD, "F-INIT resent after IKE_AUTH", "ignored (silence)", cx.show(shown), R_2_1);
    expect_live(cx, sa, "established SA unaffected", Level::MUST, R_2_1);
}

void retransmitted_ike_auth(Case_context& cx) {
    Ike_sa& sa = cx.peer.new_sa();
    if (!init_ok(cx, sa, "F-INIT")) return;
    auto inner = cx.peer.auth_payloads(sa);
    const Bytes req = cx.peer.seal(sa, Exchange_type::IKE_AUTH, 1, false, inner);
    auto a = cx.peer.send_and_wait(sa, req, 1);
    std::string err = a ? cx.peer.complete_auth(sa, *a) : "silence";
    if (!cx.expect(err.empty(), Level::MUST, "F-AUTH", "IKE SA established", err.empty() ? cx.show(a) : err, R_2_1)) return;
    sa.next_mid = 2;
    auto b = cx.peer.send_and_wait(sa, req, 1);
    cx.expect(b && b->d.bytes == a->d.bytes, Level::MUST, "F-AUTH resent bitwise", "the same response octets", cx.show(b), R_2_1);
    if (sa.children.empty()) return;
    auto d = cx.peer.probe_child(sa, sa.children[0].spi_runner);
    cx.expect(d && d->size() == 1, Level::MUST, "P-CHILD(s_r1)", "exactly one CHILD SA: D(ESP, [s_n1])",
              d ? std::to_string(d->size()) + " SPIs" : "no answer", R_2_1);
}

void responder_never_retransmits(Case_context& cx) {
    const auto wait = 3 * cx.peer.W();
    auto count_responses = [&](Ike_sa& sa, std::uint32_t mid) {
        std::size_t n = 0;
        for (const auto& a : cx.peer.collect(sa.SPIi, wait))
            if (a.outer && a.outer->header.is_response() && a.outer->header.message_id == mid) ++n;
        return n;
    };
    Ike_sa& sa = cx.peer.new_sa();
    Message m = cx.peer.init_request(sa);
    cx.peer.send_init(sa, m);
    auto first = cx.peer.wait_for([&](const Answer& a) { return a.outer && a.outer->header.SPIi == sa.SPIi; }, cx.peer.W());
    if (!cx.expect(first && normal_init_response(*first), Level::MUST, "F-INIT", "normal response", cx.show(first), R_2_1)) return;
    std::size_t extra = count_responses(sa, 0);
    cx.expect(extra == 0, Level::MUST, "3 x W after the IKE_SA_INIT response", "no retransmitted response",
              std::to_string(extra) + " more responses", R_2_1);
    if (!cx.peer.complete_init(sa, *first).empty()) return;
    const Bytes req = cx.peer.seal(sa, Exchange_type::IKE_AUTH, 1, false, cx.peer.auth_payloads(sa));
    cx.peer.send_raw(req);
    auto auth = cx.peer.wait_for([&](const Answer& a) { return a.outer && a.outer->header.SPIi == sa.SPIi; }, cx.peer.W());
    if (!auth || !cx.peer.complete_auth(sa, *auth).empty()) return;
    extra = count_responses(sa, 1);
    cx.expect(extra == 0, Level::MUST, "3 x W after the IKE_AUTH response", "no retransmitted response",
              std::to_string(extra) + " more responses", R_2_1);
    const Bytes live = cx.peer.seal(sa, Exchange_type::INFORMATIONAL, 2, false, {});
    cx.peer.send_raw(live);
    extra = count_responses(sa, 2);
    cx.expect(extra <= 1, Level::MUST, "3 x W after INFORMATIONAL #2", "exactly one response",
              std::to_string(extra) + " responses", R_2_1);
}

void retransmitted_request_not_reprocessed(Case_context& cx) {
    Ike_sa& sa = cx.established();
    Child_sa pending;
    auto inner = cx.peer.child_request(sa, pending);
    const Bytes create = cx.peer.seal(sa, Exchange_type::CREATE_CHILD_SA, 2, false, inner);
    auto a = cx.peer.send_and_wait(sa, create, 2);
    std::string err = a ? cx.peer.complete_child(sa, pending, *a) : "silence";
    if (!cx.expect(err.empty(), Level::MUST, "CREATE_CHILD_SA #2 (C2)", "CHILD SA created", err, "RFC 7296 §1.3.1")) return;
    auto b = cx.peer.send_and_wait(sa, create, 2);
    cx.expect(b && b->d.bytes == a->d.bytes, Level::MUST, "CREATE_CHILD_SA #2 resent bitwise", "the cached response, unchanged",
              cx.show(b), "RFC 7296 §2.1, §2.2");
    const Bytes del = cx.peer.seal(sa, Exchange_type::INFORMATIONAL, 3, false, {delete_esp({pending.spi_runner})});
    auto c = cx.peer.send_and_wait(sa, del, 3);
    cx.expect(c && c->inner && c->find(Payload_type::D), Level::MUST, "INFORMATIONAL #3 { D(ESP, [s_r2]) }",
              "response with D(ESP, [s_n2])", cx.show(c), "RFC 7296 §1.4.1");
    auto d = cx.peer.send_and_wait(sa, del, 3);
    cx.expect(c && d && d->d.bytes == c->d.bytes, Level::MUST, "INFORMATIONAL #3 resent bitwise", "the cached response, unchanged",
              cx.show(d), "RFC 7296 §2.1, §2.2");
    sa.next_mid = 4;
    expect_live(cx, sa, "IKE SA", Level::MUST, "RFC 7296 §2.2");
}

void old_request_replay(Case_context& cx) {
    Ike_sa& sa = cx.established();
    const Bytes two = cx.peer.seal(sa, Exchange_type::INFORMATIONAL, 2, false, {});
    auto a2 = cx.peer.send_and_wait(sa, two, 2);
    if (!cx.expect(a2 && a2->inner, Level::MUST, "INFORMATIONAL #2", "answered", cx.show(a2), "RFC 7296 §2.2")) return;
    sa.next_mid = 3;
    expect_live(cx, sa, "INFORMATIONAL #3", Level::MUST, "RFC 7296 §2.2");
    auto r = cx.peer.send_and_wait(sa, two, 2);
    cx.expect(!r || r->d.bytes == a2->d.bytes, Level::MUST, "INFORMATIONAL #2 replayed bitwise",
              "silence or the bitwise-identical cached response", cx.show(r), "RFC 7296 §2.1, §2.2");
    expect_live(cx, sa, "P-LIVE(4)", Level::MUST, "RFC 7296 §2.3");
}

void mid_beyond_window(Case_context& cx) {
    Ike_sa& sa = cx.established();
    // The next expected MID is 2; a NUT with window N (the profile's window_size, which it
    // announced with SET_WINDOW_SIZE) takes 2..N+1, so N+2 is the first outside (N+2 = 3 for 1).
    const std::uint32_t n = std::max(1u, cx.profile.window_size);
    auto not_acked = [&](std::uint32_t mid) {
        auto a = cx.peer.request_mid(sa, Exchange_type::INFORMATIONAL, mid, {});
        cx.expect(!(a && a->inner), Level::MUST, "INFORMATIONAL #" + std::to_string(mid) + " (outside the window)",
                  "not acknowledged", cx.show(a), "RFC 7296 §2.3");
    };
    not_acked(n + 2);
    not_acked(0x7fffffff);
    cx.peer.auto_answer = false;  // count the NUT's INVALID_MESSAGE_ID requests ourselves
    for (std::uint32_t mid = n + 3; mid <= n + 52; ++mid) cx.peer.send_raw(cx.peer.seal(sa, Exchange_type::INFORMATIONAL, mid, false, {}));
    auto got = cx.peer.collect(sa.SPIi, std::chrono::milliseconds(1500));
    std::size_t acked = 0, invalid_mid = 0, requests = 0;
    for (const auto& a : got) {
        if (!a.inner) continue;
        if (a.inner->header.is_response()) {
            ++acked;
        } else {
            ++requests;
            if (a.has_notify(Notify_type::INVALID_MESSAGE_ID)) ++invalid_mid;
            cx.peer.respond(sa, a, {});
        }
    }
    cx.peer.auto_answer = true;
    cx.expect(acked == 0, Level::MUST, "50 requests with MIDs " + std::to_string(n + 3) + ".." + std::to_string(n + 52), "none acknowledged", std::to_string(acked) + " responses",
              "RFC 7296 §2.3");
    if (invalid_mid) cx.note(std::to_string(invalid_mid) + " INFORMATIONAL requests with N(INVALID_MESSAGE_ID)");
    cx.expect(requests <= 5, Level::interop, "NUT requests during the burst", "rate limited (at most 5)",
              std::to_string(requests), "RFC 7296 §2.3");
    expect_live(cx, sa, "P-LIVE(2)", Level::MUST, "RFC 7296 §2.3");
}

void bad_icv_then_valid(Case_context& cx) {
    Ike_sa& sa = cx.established();
    Seal_options bad;
    bad.corrupt_icv = true;
    auto a = cx.peer.request_mid(sa, Exchange_type::INFORMATIONAL, 2, {}, bad);
    cx.expect(!a, Level::MUST, "INFORMATIONAL #2 with a bad ICV", "dropped without any notify", cx.show(a), "RFC 7296 §2.21.2, §3.14");
    expect_live(cx, sa, "the correct INFORMATIONAL #2", Level::MUST, "RFC 7296 §2.21.2");
}

void request_while_own_outstanding(Case_context& cx) {
    Ike_sa& sa = cx.established();
    if (sa.children.empty()) throw Case_abort("no CHILD SA C1");
    cx.peer.auto_answer = false;
    cx.trigger("rekey-child", sa.children[0].spi_nut);
    auto nut = cx.peer.wait_for(
        [&](const Answer& a) { return a.inner && a.outer->header.SPIi == sa.SPIi && !a.inner->header.is_response(); },
        std::chrono::milliseconds(10000));
    if (!nut) {
        // the trigger had no effect: nothing about the protocol can be judged (catalogue §5)
        cx.skip("the rekey-child trigger made the NUT send no request within 10 s");
        cx.peer.auto_answer = true;
        return;
    }
    auto mine = cx.peer.request_mid(sa, Exchange_type::INFORMATIONAL, 2, {});
    cx.expect(mine && mine->inner, Level::MUST, "INFORMATIONAL #2 while the NUT's request #" +
                                                    std::to_string(nut->inner->header.message_id) + " is unanswered",
              "answered", cx.show(mine), "RFC 7296 §2.3");
    sa.next_mid = 3;
    cx.peer.respond(sa, *nut, {notify(Notify_type::NO_ADDITIONAL_SAS)});
    cx.peer.auto_answer = true;
    expect_live(cx, sa, "both directions carry on", Level::MUST, "RFC 7296 §2.3");
}

}  // namespace

void register_g7(std::vector<Case>& t) {
    t.push_back({"IKEv2.R.2.1.retransmitted-ike-sa-init", "", Level::MUST, {}, retransmitted_ike_sa_init, ""});
    t.push_back({"IKEv2.R.2.1.retransmitted-ike-auth", "", Level::MUST, {}, retransmitted_ike_auth, ""});
    t.push_back({"IKEv2.R.2.1.responder-never-retransmits", "", Level::MUST, {}, responder_never_retransmits, ""});
    t.push_back({"IKEv2.R.2.2.retransmitted-request-not-reprocessed", "", Level::MUST, {}, retransmitted_request_not_reprocessed, ""});
    t.push_back({"IKEv2.R.2.2.old-request-replay", "", Level::MUST, {}, old_request_replay, ""});
    t.push_back({"IKEv2.R.2.3.mid-beyond-window", "", Level::MUST, {}, mid_beyond_window, ""});
    t.push_back({"IKEv2.R.2.2.bad-icv-then-valid", "", Level::MUST, {}, bad_icv_then_valid, ""});
    t.push_back({"IKEv2.R.2.3.request-while-own-outstanding", "", Level::MUST, {"trigger:rekey-child"},
                 request_while_own_outstanding, ""});
}

}  // namespace ike::conform
