// G5: COOKIE and its interplay with INVALID_KE_PAYLOAD (RFC 7296 §2.6, §2.6.1).
#include "conformance/runner/cases_common.hpp"

namespace ike::conform {
namespace {

std::optional<Bytes> cookie_of(const std::optional<Answer>& a) {
    if (!a || !only_notify(*a, Notify_type::COOKIE)) return std::nullopt;
    return a->notify(Notify_type::COOKIE)->data;
}

void cookie_issued(Case_context& cx) {
    const auto port = cx.profile.cookie_mode_port;
    Ike_sa& sa = cx.peer.new_sa();
    auto a = send_init(cx, sa, {}, {}, port);
    auto c = cookie_of(a);
    cx.expect(c && !c->empty() && c->size() <= 64 && a->outer->header.SPIr == 0, Level::SHOULD, "F-INIT to the cookie-mode port",
              "unprotected IKE_SA_INIT response #0 { N(COOKIE, 1..64 octets) } only", cx.show(a), "RFC 7296 §2.6");
    // 1000 F-INITs from distinct SPIi: answered statelessly, the NUT stays responsive
    for (int i = 0; i < 1000; ++i) {
        Ike_sa& x = cx.peer.new_sa();
        x.nut_port = port;
        cx.peer.transport().send(cx.profile.target_address, port, codec::encode_message(cx.peer.init_request(x)));
    }
    cx.peer.collect(0, std::chrono::milliseconds(500));
    cx.note("1000 F-INITs sent to the cookie-mode port");
    expect_fresh(cx, "after 1000 F-INITs");
}

void cookie_echo_accepted(Case_context& cx) {
    const auto port = cx.profile.cookie_mode_port;
    Ike_sa& sa = cx.peer.new_sa();
    auto c = cookie_of(send_init(cx, sa, {}, {}, port));
    if (!cx.expect(c.has_value(), Level::MUST, "F-INIT to the cookie-mode port", "N(COOKIE)", "no cookie", "RFC 7296 §2.6")) return;
    Init_spec spec;
    spec.cookie = *c;
    spec.keep_ke_and_nonce = true;
    if (init_ok(cx, sa, "retry with N(COOKIE) first", spec)) auth_ok(cx, sa, "F-AUTH whose AUTH covers the cookie-bearing request");
}

void cookie_mismatch(Case_context& cx) {
    const auto port = cx.profile.cookie_mode_port;
    Ike_sa& sa = cx.peer.new_sa();
    auto c = cookie_of(send_init(cx, sa, {}, {}, port));
    if (!cx.expect(c.has_value(), Level::MUST, "F-INIT to the cookie-mode port", "N(COOKIE)", "no cookie", "RFC 7296 §2.6")) return;
    Init_spec spec;
    spec.cookie = *c;
    spec.cookie.back() ^= 0x01;
    spec.keep_ke_and_nonce = true;
    auto a = send_init(cx, sa, spec, {}, port);
    cx.expect(cookie_of(a).has_value(), Level::MUST, "retry with the cookie's last octet flipped",
              "a fresh N(COOKIE) response, no IKE SA", cx.show(a), "RFC 7296 §2.6");
}

void cookie_unsolicited(Case_context& cx) {
    Init_spec spec;
    spec.cookie = cx.peer.crypto().random(16);
    Ike_sa& sa = cx.peer.new_sa();
    if (init_ok(cx, sa, "F-INIT with an unsolicited N(COOKIE, 16 octets) first", spec))
        auth_ok(cx, sa, "F-AUTH");
}

void cookie_then_invalid_ke(Case_context& cx) {
    if (cx.profile.groups != std::vector<std::uint16_t>{19}) {
        cx.skip("needs a NUT that accepts group 19 only");
        return;
    }
    const auto port = cx.profile.cookie_mode_port;
    Init_spec spec;
    Proposal p = cx.profile.ike[0];
    Transform t31;
    t31.type = Transform_type::KE;
    t31.id = 31;
    p.transforms.insert(p.transforms.begin(), t31);
    spec.proposals = {p};
    spec.ke_group = 31;
    Ike_sa& sa = cx.peer.new_sa();
    auto c = cookie_of(send_init(cx, sa, spec, {}, port));
    if (!cx.expect(c.has_value(), Level::MUST, "(1) F-INIT with KEi(31)", "N(COOKIE)", "no cookie", "RFC 7296 §2.6")) return;
    spec.cookie = *c;
    spec.keep_ke_and_nonce = true;
    auto a = send_init(cx, sa, spec, {}, port);
    if (!cx.expect(a && a->has_notify(Notify_type::INVALID_KE_PAYLOAD), Level::MUST, "(2) retry with the cookie and KEi(31)",
                   "N(INVALID_KE_PAYLOAD, 0x0013)", cx.show(a), "RFC 7296 §2.6.1"))
        return;
    spec.ke_group = 19;
    a = send_init(cx, sa, spec, {}, port);
    if (auto c2 = cookie_of(a)) {
        cx.expect(false, Level::SHOULD, "(3) same cookie and KEi(19)", "normal response (the shorter exchange)", a->describe(),
                  "RFC 7296 §2.6.1");
        spec.cookie = *c2;
        a = send_init(cx, sa, spec, {}, port);
    }
    if (!cx.expect(a && normal_init_response(*a), Level::MUST, "retry with a valid cookie and KEi(19)", "normal IKE_SA_INIT response",
                   cx.show(a), "RFC 7296 §2.6.1"))
        return;
    std::string err = cx.peer.complete_init(sa, *a);
    if (cx.expect(err.empty(), Level::MUST, "keys", "usable response", err, "RFC 7296 §2.6.1")) auth_ok(cx, sa, "F-AUTH");
}

}  // namespace

void register_g5(std::vector<Case>& t) {
    t.push_back({"IKEv2.R.2.6.cookie-issued", "", Level::SHOULD, {"cookie-mode"}, cookie_issued, ""});
    t.push_back({"IKEv2.R.2.6.cookie-echo-accepted", "", Level::MUST, {"cookie-mode"}, cookie_echo_accepted, ""});
    t.push_back({"IKEv2.R.2.6.cookie-mismatch", "", Level::MUST, {"cookie-mode"}, cookie_mismatch, ""});
    t.push_back({"IKEv2.R.2.6.cookie-unsolicited", "", Level::MUST, {}, cookie_unsolicited, ""});
    t.push_back({"IKEv2.R.2.6.1.cookie-then-invalid-ke", "", Level::MUST, {"cookie-mode"}, cookie_then_invalid_ke, ""});
}

}  // namespace ike::conform
