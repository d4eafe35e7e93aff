// More cases: G7 same-SPIi peers and window size (RFC 7296 §2.1, §2.3), G9 late and double CHILD
// SA rekeys (§2.8.1, §2.25), and initiator-side negotiation refusals (§3.3.6, §1.2, §2.6.1, §2.1).
#include "conformance/runner/cases_common.hpp"

#include <set>
#include <thread>

namespace ike::conform {
namespace {

// ---- G7 ----------------------------------------------------------------------------------------

void same_spii_two_peers(Case_context& cx) {
    Ike_sa& a = cx.peer.new_sa();
    Ike_sa& b = cx.peer.new_sa();
    b.SPIi = a.SPIi;          // two hosts behind one NAT that picked the same SPIi
    b.source_port = 40002;    // same address, another source port, another Ni
    const bool ok_a = init_ok(cx, a, "F-INIT from port " + std::to_string(cx.profile.runner_port));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    // the second SA is looked up by SPIi only in the peer: keep them apart by SPIr afterwards
    auto rb = send_init(cx, b);
    const bool ok_b = cx.expect(rb && normal_init_response(*rb), Level::SHOULD, "F-INIT with the same SPIi from port 40002",
                                "an independent IKE_SA_INIT response", cx.show(rb), "RFC 7296 §2.1");
    if (!ok_a || !ok_b) return;
    cx.expect(rb->outer->header.SPIr != a.SPIr, Level::SHOULD, "the two responses", "different SPIr",
              std::to_string(a.SPIr) + " and " + std::to_string(rb->outer->header.SPIr), "RFC 7296 §2.1");
    if (!cx.peer.complete_init(b, *rb).empty()) return;
    auth_ok(cx, a, "F-AUTH of the first SA");
    auto inner = cx.peer.auth_payloads(b);
    const Bytes req = cx.peer.seal(b, Exchange_type::IKE_AUTH, 1, false, inner);
    cx.peer.transport().send_from(40002, cx.profile.target_address, cx.profile.target_port, req);
    const Spi r = b.SPIr;
    auto ans = cx.peer.wait_for([r](const Answer& x) { return x.outer && x.outer->header.SPIr == r && x.outer->header.is_response() &&
                                                             x.outer->header.exchange == Exchange_type::IKE_AUTH; },
                                cx.peer.W());
    cx.expect(ans.has_value() && ans->d.local_port == 40002, Level::SHOULD, "F-AUTH of the second SA (port 40002)",
              "IKE_AUTH response to port 40002", cx.show(ans), "RFC 7296 §2.1");
}

void window_size_honoured(Case_context& cx) {
    const std::uint32_t n = cx.profile.window_size;
    Ike_sa& sa = cx.established();
    std::vector<Bytes> reqs;
    const std::uint32_t far = n + 2;
    cx.peer.send_raw(cx.peer.seal(sa, Exchange_type::INFORMATIONAL, far, false, {}));
    for (std::uint32_t mid = n + 1; mid >= 2; --mid) cx.peer.send_raw(cx.peer.seal(sa, Exchange_type::INFORMATIONAL, mid, false, {}));
    std::set<std::uint32_t> answered;
    for (const auto& a : cx.peer.collect(sa.SPIi, cx.peer.W()))
        if (a.inner && a.inner->header.is_response()) answered.insert(a.inner->header.message_id);
    bool all = true;
    for (std::uint32_t mid = 2; mid <= n + 1; ++mid) all = all && answered.count(mid);
    cx.expect(all, Level::MUST, "MIDs 2..N+1 back to back (N = " + std::to_string(n) + ")", "all answered, in any order",
              std::to_string(answered.size()) + " answered", "RFC 7296 §2.3");
    cx.expect(answered.count(far) == 0, Level::MUST, "MID N+2 sent first", "not acknowledged (outside the window)",
              answered.count(far) ? "acknowledged" : "not acknowledged", "RFC 7296 §2.3");
    auto again = cx.peer.request_mid(sa, Exchange_type::INFORMATIONAL, far, {});
    cx.expect(again && again->inner, Level::MUST, "MID N+2 again", "answered (inside the moved window)", cx.show(again), "RFC 7296 §2.3");
}

// ---- G9 ----------------------------------------------------------------------------------------

std::optional<Answer> rekey(Case_context& cx, Ike_sa& sa, std::uint32_t spi, Child_sa& pending) {
    pending.tsi = cx.profile.runner_ts;
    pending.tsr = cx.profile.target_ts;
    return cx.peer.request(sa, Exchange_type::CREATE_CHILD_SA, cx.peer.child_request(sa, pending, spi));
}

void late_rekey_of_replaced_child(Case_context& cx) {
    Ike_sa& sa = cx.established();
    if (sa.children.empty()) throw Case_abort("no C1");
    const Child_sa c1 = sa.children[0];
    Child_sa c1b;
    auto a = rekey(cx, sa, c1.spi_runner, c1b);
    if (!cx.expect(a && cx.peer.complete_child(sa, c1b, *a).empty(), Level::MUST, "rekey C1 into C1'", "new CHILD SA", cx.show(a),
                   "RFC 7296 §1.3.3"))
        return;
    cx.peer.probe_child(sa, c1.spi_runner);  // delete C1
    Child_sa late;
    auto b = rekey(cx, sa, c1.spi_runner, late);
    const auto* n = b ? b->notify(Notify_type::CHILD_SA_NOT_FOUND) : nullptr;
    cx.expect(n && n->protocol == Protocol_id::ESP && n->spi == spi4(c1.spi_runner) && !b->find(Payload_type::SA), Level::SHOULD,
              "late rekey with N(REKEY_SA, ESP, s_r1) after C1 was deleted",
              "SK { N(CHILD_SA_NOT_FOUND) } with Protocol ID 3, SPI Size 4, SPI s_r1; no new CHILD SA", cx.show(b),
              "RFC 7296 §2.25, §3.10");
    auto d = cx.peer.probe_child(sa, c1b.spi_runner);
    cx.expect(d && d->size() == 1 && (*d)[0] == c1b.spi_nut, Level::SHOULD, "P-CHILD(C1')", "C1' unaffected",
              d ? std::to_string(d->size()) + " SPIs" : "no answer", "RFC 7296 §2.25");
}

void double_rekey_same_child(Case_context& cx) {
    Ike_sa& sa = cx.established();
    if (sa.children.empty()) throw Case_abort("no C1");
    const Child_sa c1 = sa.children[0];
    Child_sa b, c;
    auto r1 = rekey(cx, sa, c1.spi_runner, b);
    if (!cx.expect(r1 && cx.peer.complete_child(sa, b, *r1).empty(), Level::interop, "rekey C1 into B", "answered with a new CHILD SA",
                   cx.show(r1), "RFC 7296 §1.3.3"))
        return;
    auto r2 = rekey(cx, sa, c1.spi_runner, c);
    const bool c_made = r2 && cx.peer.complete_child(sa, c, *r2).empty();
    cx.expect(r2 && r2->inner, Level::interop, "rekey C1 again (same REKEY_SA)",
              "answered: a CHILD SA C, TEMPORARY_FAILURE or CHILD_SA_NOT_FOUND", cx.show(r2), "RFC 7296 §2.25.1");
    for (const auto& [name, ch] : {std::pair<std::string, Child_sa>{"C1", c1}, {"B", b}, {"C", c}}) {
        if (name == "C" && !c_made) continue;
        auto d = cx.peer.probe_child(sa, ch.spi_runner);
        cx.expect(d && d->size() == 1 && (*d)[0] == ch.spi_nut, Level::interop, "delete " + name,
                  "D(ESP) with the paired SPI of exactly that SA", d ? std::to_string(d->size()) + " SPIs" : "no answer",
                  "RFC 7296 §1.4.1");
    }
    expect_live(cx, sa, "IKE SA alive at the end", Level::interop, "RFC 7296 §2.25.1");
}

// ---- initiator-side negotiation --------------------------------------------------------------

std::size_t auth_requests(const std::vector<Answer>& got) {
    std::size_t n = 0;
    for (const auto& a : got)
        if (a.outer && a.outer->header.exchange == Exchange_type::IKE_AUTH && !a.outer->header.is_response()) ++n;
    return n;
}

void response_not_in_offer(Case_context& cx) {
    struct V {
        const char* name;
        const char* what;
        std::function<void(Proposal&)> edit;
    };
    const std::vector<V> variants = {
        {"a", "an ENCR the NUT did not offer (ENCR_3DES)",
         [](Proposal& p) {
             for (auto& t : p.transforms)
                 if (t.type == Transform_type::ENCR) t = Transform{Transform_type::ENCR, 3, std::nullopt, {}};
         }},
        {"b", "two ENCR transforms",
         [](Proposal& p) {
             for (const auto& t : p.transforms)
                 if (t.type == Transform_type::ENCR) {
                     p.transforms.push_back(t);
                     break;
                 }
         }},
        {"c", "a changed Key Length",
         [](Proposal& p) {
             for (auto& t : p.transforms)
                 if (t.type == Transform_type::ENCR && t.key_length) t.key_length = *t.key_length == 256 ? 128 : 256;
         }},
        {"d", "a Proposal Num that was not offered", [](Proposal& p) { p.number = 77; }},
        {"e", "no PRF transform",
         [](Proposal& p) {
             p.transforms.erase(std::remove_if(p.transforms.begin(), p.transforms.end(),
                                               [](const Transform& t) { return t.type == Transform_type::PRF; }),
                                p.transforms.end());
         }}};
    for (const auto& v : variants) {
        cx.sub(v.name);
        Answer init = nut_init(cx);
        Message resp;
        std::string why;
        Ike_sa* sa = cx.peer.accept_nut_init(init, &resp, &why);
        if (!sa) throw Case_abort(why);
        for (auto& p : resp.payloads)
            if (auto* s = std::get_if<Payload_SA>(&p.body)) v.edit(s->proposals[0]);
        cx.peer.send_response(*sa, resp, true, init);
        auto got = watch(cx, sa->SPIi, 2 * cx.peer.W());
        cx.expect(auth_requests(got) == 0, Level::MUST, std::string("SAr1 with ") + v.what,
                  "the NUT ends the exchange: no IKE_AUTH request", std::to_string(auth_requests(got)) + " IKE_AUTH requests",
                  "RFC 7296 §3.3.6");
    }
}

void invalid_ke_bad_data(Case_context& cx) {
    const std::vector<std::pair<std::string, Bytes>> variants = {
        {"a", {0x00, 0x0f}}, {"b0", {}}, {"b1", {0x00}}, {"b3", {0x00, 0x0e, 0x00}}};
    for (const auto& [name, data] : variants) {
        cx.sub(name);
        Answer init = nut_init(cx);
        Message n;
        n.header = init.outer->header;
        n.header.flags = flag::Response;
        n.payloads = {notify(Notify_type::INVALID_KE_PAYLOAD, data)};
        cx.peer.transport().send(init.d.from_ip, init.d.from_port, codec::encode_message(n),
                                 init.d.local_port == cx.profile.runner_nat_t_port);
        auto got = watch(cx, init.outer->header.SPIi, 2 * cx.peer.W());
        bool bad_group = false;
        for (const auto& g : got)
            if (const auto* ke = g.find(Payload_type::KE); ke && g.outer->header.exchange == Exchange_type::IKE_SA_INIT) {
                const auto group = std::get<Payload_KE>(ke->body).group;
                bool offered = false;
                for (const auto& p : std::get<Payload_SA>(init.outer->find(Payload_type::SA)->body).proposals)
                    for (const auto& t : p.transforms) offered = offered || (t.type == Transform_type::KE && t.id == group);
                bad_group = bad_group || !offered;
            }
        cx.expect(!bad_group, Level::interop, "INVALID_KE_PAYLOAD data " + (data.empty() ? std::string("(empty)") : to_hex(data)),
                  "never a KE for a group the NUT did not offer", bad_group ? "KE of an unoffered group" : "none",
                  "RFC 7296 §1.2");
        expect_fresh(cx, "NUT stays up");
    }
}

/// The NUT offers at least two groups: the one it did not use in KEi, or nullopt.
std::optional<std::uint16_t> other_group(const Answer& init) {
    const auto kei = std::get<Payload_KE>(init.outer->find(Payload_type::KE)->body).group;
    for (const auto& p : std::get<Payload_SA>(init.outer->find(Payload_type::SA)->body).proposals)
        for (const auto& t : p.transforms)
            if (t.type == Transform_type::KE && t.id != kei && public_value_size(static_cast<Ke_id>(t.id))) return t.id;
    return std::nullopt;
}

void invalid_ke_retry(Case_context& cx, bool nonzero_spir) {
    Answer init = nut_init(cx);
    auto g = other_group(init);
    if (!g) {
        cx.skip("the NUT offers a single D-H group; the case needs an initiator offering two");
        return;
    }
    Message n;
    n.header = init.outer->header;
    n.header.flags = flag::Response;
    if (nonzero_spir) n.header.SPIr = 0x0123456789abcdefULL;
    n.payloads = {notify(Notify_type::INVALID_KE_PAYLOAD, {static_cast<std::uint8_t>(*g >> 8), static_cast<std::uint8_t>(*g)})};
    cx.peer.transport().send(init.d.from_ip, init.d.from_port, codec::encode_message(n), init.d.local_port == cx.profile.runner_nat_t_port);
    const Spi spi = init.outer->header.SPIi;
    const std::uint16_t want = *g;
    auto retry = cx.peer.wait_for(
        [spi, want](const Answer& a) {
            const auto* ke = a.find(Payload_type::KE);
            return a.outer && a.outer->header.SPIi == spi && a.outer->header.exchange == Exchange_type::IKE_SA_INIT &&
                   ke && std::get<Payload_KE>(ke->body).group == want;
        },
        3 * cx.peer.W());
    const Level level = nonzero_spir ? Level::SHOULD : Level::MUST;
    if (!cx.expect(retry.has_value(), level, "N(INVALID_KE_PAYLOAD, group " + std::to_string(want) + ")",
                   "a retry with KEi of that group", "none", "RFC 7296 §1.2"))
        return;
    cx.expect(retry->outer->header.SPIr == 0 && retry->outer->header.message_id == 0 &&
                  *retry->outer->find(Payload_type::SA) == *init.outer->find(Payload_type::SA),
              level, "the retry", "same SPIi, SPIr 0, MID 0, the full original SA payload", retry->describe(), "RFC 7296 §1.2, §2.2");
    Message resp;
    std::string why;
    Ike_sa* sa = cx.peer.accept_nut_init(*retry, &resp, &why);
    if (!sa) return;
    cx.peer.send_response(*sa, resp, true, *retry);
    cx.peer.derive_as_responder(*sa, *retry->outer);
    auto auth = cx.peer.wait_for([spi](const Answer& a) { return a.outer && a.outer->header.SPIi == spi &&
                                                               a.outer->header.exchange == Exchange_type::IKE_AUTH; },
                                 3 * cx.peer.W());
    std::vector<Payload> inner;
    std::string err = auth ? cx.peer.answer_nut_auth(*sa, *auth, &inner) : "no IKE_AUTH";
    cx.expect(err.empty(), level, "IKE_AUTH after the retry", "completes (AUTH over the retried request)", err, "RFC 7296 §1.2");
    if (err.empty()) cx.peer.respond(*sa, *auth, inner);
}

void cookie_and_invalid_ke(Case_context& cx) {
    Answer init = nut_init(cx);
    auto g = other_group(init);
    if (!g) {
        cx.skip("the NUT offers a single D-H group; the case needs an initiator offering two");
        return;
    }
    const Spi spi = init.outer->header.SPIi;
    auto reply = [&](const Answer& to, Payload p) {
        Message m;
        m.header = to.outer->header;
        m.header.flags = flag::Response;
        m.payloads = {std::move(p)};
        cx.peer.transport().send(to.d.from_ip, to.d.from_port, codec::encode_message(m), to.d.local_port == cx.profile.runner_nat_t_port);
    };
    auto next = [&](std::function<bool(const Answer&)> pred) {
        return cx.peer.wait_for([&](const Answer& a) { return a.outer && a.outer->header.SPIi == spi && !a.outer->header.is_response() &&
                                                              pred(a); },
                                3 * cx.peer.W());
    };
    const Bytes c1 = cx.peer.crypto().random(16);
    reply(init, notify(Notify_type::COOKIE, c1));
    auto r1 = next([&](const Answer& a) { return a.notify(Notify_type::COOKIE) != nullptr; });
    if (!cx.expect(r1.has_value(), Level::MUST, "N(COOKIE, c1)", "a retry with c1", "none", "RFC 7296 §2.6")) return;
    reply(*r1, notify(Notify_type::INVALID_KE_PAYLOAD, {static_cast<std::uint8_t>(*g >> 8), static_cast<std::uint8_t>(*g)}));
    const std::uint16_t want = *g;
    auto r2 = next([want](const Answer& a) {
        const auto* ke = a.find(Payload_type::KE);
        return ke && std::get<Payload_KE>(ke->body).group == want;
    });
    if (!cx.expect(r2.has_value(), Level::MUST, "N(INVALID_KE_PAYLOAD) after the cookie retry", "a retry with KEi(" + std::to_string(want) + ")",
                   "none", "RFC 7296 §2.6.1"))
        return;
    cx.expect(r2->outer->header.message_id == 0 && *r2->outer->find(Payload_type::SA) == *init.outer->find(Payload_type::SA), Level::MUST,
              "the retry", "MID 0, same SPIi, the full proposal set", r2->describe(), "RFC 7296 §2.6.1");
    const auto* c = r2->notify(Notify_type::COOKIE);
    Answer last = *r2;
    if (!c || c->data != c1) {  // the longer path: a new cookie
        const Bytes c2 = cx.peer.crypto().random(16);
        reply(*r2, notify(Notify_type::COOKIE, c2));
        auto r3 = next([&](const Answer& a) { return a.notify(Notify_type::COOKIE) && a.notify(Notify_type::COOKIE)->data == c2; });
        if (!cx.expect(r3.has_value(), Level::MUST, "a new COOKIE(c2)", "a retry echoing c2", "none", "RFC 7296 §2.6.1")) return;
        last = *r3;
    }
    Message resp;
    std::string why;
    Ike_sa* sa = cx.peer.accept_nut_init(last, &resp, &why);
    if (!sa) return;
    cx.peer.send_response(*sa, resp, true, last);
    cx.peer.derive_as_responder(*sa, *last.outer);
    auto auth = next([](const Answer& a) { return a.outer->header.exchange == Exchange_type::IKE_AUTH; });
    std::vector<Payload> inner;
    std::string err = auth ? cx.peer.answer_nut_auth(*sa, *auth, &inner) : "no IKE_AUTH";
    cx.expect(err.empty(), Level::MUST, "IKE_AUTH", "the NUT's AUTH verifies over the last request it sent", err, "RFC 7296 §2.15");
    if (err.empty()) cx.peer.respond(*sa, *auth, inner);
}

void retransmit_requests(Case_context& cx) {
    cx.sub("a");
    Answer init = nut_init(cx);
    auto got = watch(cx, init.outer->header.SPIi, std::chrono::milliseconds(12000));
    std::vector<Answer> copies{init};
    for (const auto& g : got)
        if (g.outer && g.outer->header.exchange == Exchange_type::IKE_SA_INIT && !g.outer->header.is_response()) copies.push_back(g);
    bool identical = true;
    for (const auto& c : copies) identical = identical && c.d.bytes == init.d.bytes;
    cx.expect(copies.size() >= 2, Level::MUST, "IKE_SA_INIT left unanswered", "retransmitted",
              std::to_string(copies.size() - 1) + " retransmissions in 12 s", "RFC 7296 §2.1");
    cx.expect(identical, Level::MUST, "retransmissions", "bitwise identical", identical ? "identical" : "different", "RFC 7296 §2.1");
    if (copies.size() >= 3) {
        const auto d1 = copies[1].d.at - copies[0].d.at, d2 = copies[2].d.at - copies[1].d.at;
        cx.expect(d2 >= d1, Level::MUST, "retransmission intervals", "growing (exponential back-off)",
                  std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d1).count()) + " ms then " +
                      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d2).count()) + " ms",
                  "RFC 7296 §2.1, §2.4");
    }
    const bool stopped = !copies.empty() && Clock::now() - copies.back().d.at > std::chrono::milliseconds(3000);
    cx.expect(stopped, Level::MUST, "after the last retransmission", "the NUT gives up (nothing for 3 s)",
              stopped ? "stopped" : "still sending", "RFC 7296 §2.1");
    cx.note("RTO0 measured: " +
            (copies.size() >= 2 ? std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(copies[1].d.at - copies[0].d.at).count()) + " ms"
                                : std::string("n/a")));
}

}  // namespace

void register_more_cases(std::vector<Case>& t) {
    const std::vector<std::string> init = {"trigger:initiate"};
    t.push_back({"IKEv2.R.2.1.same-spii-two-peers", "", Level::SHOULD, {}, same_spii_two_peers, ""});
    t.push_back({"IKEv2.R.2.3.window-size-honoured", "", Level::MUST, {"window>1"}, window_size_honoured, ""});
    t.push_back({"IKEv2.R.2.8.1.late-rekey-of-replaced-child", "", Level::SHOULD, {}, late_rekey_of_replaced_child, ""});
    t.push_back({"IKEv2.R.2.25.1.double-rekey-same-child", "", Level::interop, {}, double_rekey_same_child, ""});
    t.push_back({"IKEv2.I.3.3.6.response-not-in-offer", "", Level::MUST, init, response_not_in_offer, ""});
    t.push_back({"IKEv2.I.1.2.invalid-ke-bad-data", "", Level::interop, init, invalid_ke_bad_data, ""});
    t.push_back({"IKEv2.I.1.2.invalid-ke-retry", "", Level::MUST, init, [](Case_context& cx) { invalid_ke_retry(cx, false); }, ""});
    t.push_back({"IKEv2.I.1.2.invalid-ke-nonzero-spir", "", Level::SHOULD, init, [](Case_context& cx) { invalid_ke_retry(cx, true); }, ""});
    t.push_back({"IKEv2.I.2.6.1.cookie-and-invalid-ke", "", Level::MUST, init, cookie_and_invalid_ke, ""});
    t.push_back({"IKEv2.I.2.1.retransmit-requests", "", Level::MUST, init, retransmit_requests, ""});
}

}  // namespace ike::conform
