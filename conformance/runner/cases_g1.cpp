// G1: header and payload format, critical bit, unknown payloads (RFC 7296 §3.1, §3.2, §2.5, §3.14).
#include "conformance/runner/cases_common.hpp"

namespace ike::conform {
namespace {

const char* R_3_2 = "RFC 7296 §3.2";
const char* R_2_5 = "RFC 7296 §2.5";

void header_flag_bits(Case_context& cx) {
    Ike_sa& sa = cx.peer.new_sa();
    // §3.1: the X bits and V must be ignored on receipt; AUTH covers message 1 as received.
    if (!init_ok(cx, sa, "F-INIT with flags I|V|X (0xdf)", {}, [](Bytes& b) { b[19] = 0xdf; })) return;
    Seal_options opt;
    opt.flags = 0xdf;
    auth_ok(cx, sa, "F-AUTH with flags 0xdf, AUTH over message 1 as sent", {}, opt);
}

void reserved_fields_nonzero(Case_context& cx) {
    Ike_sa& sa = cx.peer.new_sa();
    if (!init_ok(cx, sa, "F-INIT with every RESERVED field non-zero", {},
                 [](Bytes& b) { set_reserved(b, codec::header_size, b[16]); }))
        return;
    Seal_options opt;
    std::vector<Payload> inner = cx.peer.auth_payloads(sa);
    const auto first = static_cast<std::uint8_t>(inner.front().type);
    opt.edit_plaintext = [first](Bytes& p) { set_reserved(p, 0, first); };
    auth_ok(cx, sa, "F-AUTH with every RESERVED field non-zero inside SK", {}, opt, &inner);
}

void critical_bit_on_known(Case_context& cx) {
    Ike_sa& sa = cx.peer.new_sa();
    Message m = cx.peer.init_request(sa);
    for (auto& p : m.payloads) p.critical = true;
    Bytes b = codec::encode_message(m);
    sa.msg1 = b;
    auto a = cx.peer.send_and_wait(sa, b, 0);
    if (!cx.expect(a && normal_init_response(*a), Level::MUST, "F-INIT with C=1 on SA, KE, Ni, N(NAT_DETECTION_*)",
                   "normal IKE_SA_INIT response (C is ignored on understood payloads)", cx.show(a), R_3_2))
        return;
    std::string err = cx.peer.complete_init(sa, *a);
    if (!cx.expect(err.empty(), Level::MUST, "keys", "usable response", err, R_3_2)) return;
    auto inner = cx.peer.auth_payloads(sa);
    for (auto& p : inner) p.critical = true;
    auth_ok(cx, sa, "F-AUTH with C=1 on IDi, AUTH, SA, TSi, TSr", {}, {}, &inner);
}

void unknown_noncritical_init(Case_context& cx) {
    for (std::uint8_t t : {std::uint8_t{100}, std::uint8_t{200}}) {
        cx.sub(t == 100 ? "a" : "b");
        Ike_sa& sa = cx.peer.new_sa();
        Init_spec spec;
        spec.after_nonce.push_back(unknown_payload(t, false));
        auto a = send_init(cx, sa, spec);
        if (!cx.expect(a && normal_init_response(*a), Level::MUST, "F-INIT with U(" + std::to_string(t) + ", C=0)",
                       "normal IKE_SA_INIT response", cx.show(a), R_2_5))
            continue;
        bool echoed = false;
        for (auto pt : a->types()) echoed = echoed || static_cast<std::uint8_t>(pt) == t;
        cx.expect(!echoed, Level::MUST, "response payloads", "no U payload echoed", a->describe(), R_2_5);
        std::string err = cx.peer.complete_init(sa, *a);
        if (!cx.expect(err.empty(), Level::MUST, "keys", "usable response", err, R_2_5)) continue;
        auth_ok(cx, sa, "F-AUTH whose AUTH covers message 1 including U", {}, {});
    }
}

void unknown_noncritical_in_sk(Case_context& cx) {
    cx.sub("a");
    Auth_spec spec;
    spec.extra_first.push_back(unknown_payload(100, false));
    Ike_sa* sa = nullptr;
    {
        Ike_sa& s = cx.peer.new_sa();
        if (init_ok(cx, s, "F-INIT") && auth_ok(cx, s, "F-AUTH with SK { U(100, C=0), IDi, ... }", spec)) sa = &s;
    }
    if (!sa) sa = &cx.established();
    cx.sub("b");
    Child_sa pending;
    auto inner = cx.peer.child_request(*sa, pending);
    inner.push_back(unknown_payload(200, false));
    auto a = cx.peer.request(*sa, Exchange_type::CREATE_CHILD_SA, inner);
    std::string err = a ? cx.peer.complete_child(*sa, pending, *a) : "silence";
    cx.expect(err.empty(), Level::MUST, "CREATE_CHILD_SA with U(200, C=0) last in SK",
              "CREATE_CHILD_SA response { SK { SA, Nr, TSi, TSr } }", err.empty() ? cx.show(a) : err, R_2_5);
    cx.sub("c");
    a = cx.peer.request(*sa, Exchange_type::INFORMATIONAL, {unknown_payload(100, false)});
    cx.expect(a && a->inner && a->inner->payloads.empty(), Level::MUST, "INFORMATIONAL SK { U(100, C=0) }",
              "INFORMATIONAL response { SK { } }", cx.show(a), R_2_5);
}

void unknown_critical_init(Case_context& cx) {
    Ike_sa& sa = cx.peer.new_sa();
    Init_spec spec;
    spec.after_nonce.push_back(unknown_payload(200, true));
    auto a = send_init(cx, sa, spec);
    const bool ok = a && only_notify(*a, Notify_type::UNSUPPORTED_CRITICAL_PAYLOAD) &&
                    a->notify(Notify_type::UNSUPPORTED_CRITICAL_PAYLOAD)->data == Bytes{0xc8};
    cx.expect(ok, Level::MUST, "F-INIT with U(200, C=1) after Ni",
              "IKE_SA_INIT response #0 { N(UNSUPPORTED_CRITICAL_PAYLOAD, 0xc8) } only", cx.show(a), "RFC 7296 §2.5, §3.2");
    if (a && a->outer && a->outer->header.SPIr != 0)
        cx.note("the refusal carries a non-zero SPIr (catalogue: interop, SPIr 0 expected; no RFC keyword)");
    Ike_sa& again = cx.peer.new_sa();
    again.SPIi = sa.SPIi;  // the same F-INIT without U
    init_ok(cx, again, "the same F-INIT without U");
}

void unknown_critical_auth(Case_context& cx) {
    for (int v = 0; v < 2; ++v) {
        cx.sub(v == 0 ? "a" : "b");
        Ike_sa& sa = cx.peer.new_sa();
        if (!init_ok(cx, sa, "F-INIT")) continue;
        Auth_spec spec;
        spec.psk = "deliberately-wrong-key";
        Seal_options opt;
        if (v == 0)
            spec.extra_first.push_back(unknown_payload(100, true));
        else
            opt.outer_before_sk.push_back(unknown_payload(100, true));
        auto inner = cx.peer.auth_payloads(sa, spec);
        auto a = cx.peer.request(sa, Exchange_type::IKE_AUTH, inner, opt);
        const bool ok = a && a->inner && only_notify(*a, Notify_type::UNSUPPORTED_CRITICAL_PAYLOAD) &&
                        a->notify(Notify_type::UNSUPPORTED_CRITICAL_PAYLOAD)->data == Bytes{0x64};
        cx.expect(ok, Level::MUST,
                  v == 0 ? "F-AUTH with SK { U(100, C=1), ... } and a wrong AUTH" : "F-AUTH with U(100, C=1) before SK",
                  "IKE_AUTH response { SK { N(UNSUPPORTED_CRITICAL_PAYLOAD, 0x64) } } only", cx.show(a),
                  "RFC 7296 §2.5, §2.21.2");
        expect_no_sa(cx, sa, "after the refusal", "RFC 7296 §2.21.2");
    }
}

void unknown_critical_create_child(Case_context& cx) {
    Ike_sa& sa = cx.established();
    Child_sa pending;
    auto inner = cx.peer.child_request(sa, pending);
    inner.push_back(unknown_payload(200, true));
    auto a = cx.peer.request(sa, Exchange_type::CREATE_CHILD_SA, inner);
    const bool ok = a && a->inner && a->has_notify(Notify_type::UNSUPPORTED_CRITICAL_PAYLOAD) &&
                    !a->find(Payload_type::SA);
    cx.expect(ok, Level::MUST, "CREATE_CHILD_SA with SK { ..., U(200, C=1) }",
              "CREATE_CHILD_SA response { SK { N(UNSUPPORTED_CRITICAL_PAYLOAD, 0xc8) } }, no SA", cx.show(a),
              "RFC 7296 §2.5, §2.21.3");
    expect_live(cx, sa, "IKE SA survives", Level::SHOULD, "RFC 7296 §2.21");
}

void unknown_critical_informational(Case_context& cx) {
    Ike_sa& sa = cx.established();
    std::string why;
    Child_sa* c2 = cx.peer.create_child(sa, &why);
    if (!cx.expect(c2 != nullptr, Level::MUST, "CHILD SA C2", "created", why, "RFC 7296 §1.3.1")) return;
    const Child_sa c = *c2;
    auto a = cx.peer.request(sa, Exchange_type::INFORMATIONAL, {delete_esp({c.spi_runner}), unknown_payload(200, true)});
    const bool ok = a && a->inner && a->has_notify(Notify_type::UNSUPPORTED_CRITICAL_PAYLOAD) && !a->find(Payload_type::D);
    cx.expect(ok, Level::MUST, "INFORMATIONAL SK { D(ESP, [s_r2]), U(200, C=1) }",
              "INFORMATIONAL response { SK { N(UNSUPPORTED_CRITICAL_PAYLOAD, 0xc8) } } without D", cx.show(a),
              "RFC 7296 §2.5");
    auto d = cx.peer.probe_child(sa, c.spi_runner);
    cx.expect(d && d->size() == 1 && (*d)[0] == c.spi_nut, Level::MUST, "P-CHILD(s_r2)",
              "D(ESP, [s_n2]): C2 was not deleted by the rejected message",
              d ? (d->empty() ? "response without Delete" : "Delete of another SPI") : "no answer", "RFC 7296 §2.5, §1.4.1");
}

void payload_order(Case_context& cx) {
    auto reorder_init = [&](const std::string& name, const std::vector<Payload_type>& order) {
        cx.sub(name);
        Ike_sa& sa = cx.peer.new_sa();
        Message m = cx.peer.init_request(sa);
        std::vector<Payload> sorted;
        for (auto t : order)
            for (const auto& p : m.payloads)
                if (p.type == t) sorted.push_back(p);
        m.payloads = sorted;
        Bytes b = codec::encode_message(m);
        sa.msg1 = b;
        auto a = cx.peer.send_and_wait(sa, b, 0);
        if (!cx.expect(a && normal_init_response(*a), Level::MUST, "F-INIT in another payload order",
                       "normal IKE_SA_INIT response", cx.show(a), R_2_5))
            return;
        std::string err = cx.peer.complete_init(sa, *a);
        if (cx.expect(err.empty(), Level::MUST, "keys", "usable response", err, R_2_5)) auth_ok(cx, sa, "F-AUTH");
    };
    reorder_init("a", {Payload_type::SA, Payload_type::Nonce, Payload_type::KE, Payload_type::N});
    reorder_init("b", {Payload_type::N, Payload_type::KE, Payload_type::Nonce, Payload_type::SA});
    cx.sub("c");
    Ike_sa& sa = cx.peer.new_sa();
    if (!init_ok(cx, sa, "F-INIT")) return;
    auto inner = cx.peer.auth_payloads(sa);
    std::vector<Payload> sorted;
    for (auto t : {Payload_type::AUTH, Payload_type::TSr, Payload_type::SA, Payload_type::TSi, Payload_type::IDi})
        for (const auto& p : inner)
            if (p.type == t) sorted.push_back(p);
    auth_ok(cx, sa, "F-AUTH SK { AUTH, TSr, SAi2, TSi, IDi }", {}, {}, &sorted);
}

void header_sanity(Case_context& cx) {
    Ike_sa& sa = cx.peer.new_sa();
    const Bytes full = codec::encode_message(cx.peer.init_request(sa));
    auto silent = [&](const std::string& step, const Bytes& b, bool answer_is_note) {
        cx.peer.send_raw(b);
        auto got = cx.peer.collect(sa.SPIi, cx.peer.W());
        std::optional<Answer> first;
        if (!got.empty()) first = got.front();
        if (answer_is_note && first) {
            cx.note(step + ": answered " + first->describe());
        } else {
            cx.expect(got.empty(), Level::interop, step, "silence", cx.show(first), "RFC 7296 §3.1");
        }
        expect_fresh(cx, step);
    };
    for (std::size_t n : {0u, 1u, 16u, 17u, 18u, 27u})
        silent("prefix of " + std::to_string(n) + " octets", Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n)), false);
    Bytes longer = full;
    put16(longer, 26, full.size() + 8);
    silent("Length 8 more than the datagram", longer, false);
    Bytes junk = full;
    junk.insert(junk.end(), 8, 0x5a);
    silent("8 octets of trailing junk", junk, true);
    Bytes huge = full;
    huge[24] = huge[25] = huge[26] = huge[27] = 0xff;
    silent("Length 0xffffffff", huge, false);
    Ike_sa& zero = cx.peer.new_sa();
    zero.SPIi = 0;
    Bytes z = codec::encode_message(cx.peer.init_request(zero));
    cx.peer.send_raw(z);
    auto got = cx.peer.collect(0, cx.peer.W());
    for (const auto& g : got)
        if (g.outer && g.outer->header.SPIi == 0) cx.note("SPIi 0: answered " + g.describe());
    cx.expect(true, Level::MAY, "F-INIT with SPIi 0", "silence or NOTE", std::to_string(got.size()) + " datagrams", "RFC 7296 §3.1");
    expect_fresh(cx, "after SPIi 0");
}

void payload_length_inconsistent(Case_context& cx) {
    auto variant = [&](const std::string& name, const std::string& step, const Edit& edit) {
        cx.sub(name);
        Ike_sa& sa = cx.peer.new_sa();
        auto a = send_init(cx, sa, {}, edit);
        judge_refused_init(cx, step, a, "RFC 7296 §3.2, §3.3");
        expect_fresh(cx, step);
    };
    variant("a", "F-INIT with KE Payload Length 8 too large", [](Bytes& b) {
        if (auto at = payload_at(b, Payload_type::KE)) put16(b, at + 2, get16(b, at + 2) + 8);
    });
    variant("b", "F-INIT with Proposal Length 4 too large", [](Bytes& b) {
        if (auto at = payload_at(b, Payload_type::SA)) put16(b, at + 6, get16(b, at + 6) + 4);
    });
    variant("c", "F-INIT with Num Transforms 5 but 4 present", [](Bytes& b) {
        if (auto at = payload_at(b, Payload_type::SA)) b[at + 4 + 7] = 5;
    });
    cx.sub("d");
    Ike_sa& sa = cx.peer.new_sa();
    if (!init_ok(cx, sa, "F-INIT")) return;
    auto inner = cx.peer.auth_payloads(sa);
    const auto first = static_cast<std::uint8_t>(inner.front().type);
    Seal_options opt;
    opt.edit_plaintext = [first](Bytes& p) {
        auto at = inner_payload_at(p, first, Payload_type::TSi);
        if (at != std::string::npos) put16(p, at + 2, get16(p, at + 2) - 3);
    };
    auto a = cx.peer.request(sa, Exchange_type::IKE_AUTH, inner, opt);
    cx.expect(a && a->inner && a->has_notify(Notify_type::INVALID_SYNTAX) && !a->find(Payload_type::AUTH), Level::MUST,
              "F-AUTH whose TSi Payload Length is 3 too small", "IKE_AUTH response { SK { N(INVALID_SYNTAX) } }",
              cx.show(a), "RFC 7296 §2.21.2, §3.10.1");
    expect_no_sa(cx, sa, "no IKE SA", "RFC 7296 §2.21.2");
}

void padding_and_iv(Case_context& cx) {
    cx.sub("a");
    Ike_sa& sa = cx.peer.new_sa();
    if (!init_ok(cx, sa, "F-INIT")) return;
    Seal_options pad;
    pad.extra_pad_blocks = 1;
    pad.random_padding = true;
    if (!auth_ok(cx, sa, "F-AUTH with one extra block of random padding", {}, pad)) return;
    auto a = cx.peer.request(sa, Exchange_type::INFORMATIONAL, {}, pad);
    cx.expect(a && a->inner, Level::MUST, "INFORMATIONAL with extra random padding", "INFORMATIONAL response { SK { } }",
              cx.show(a), "RFC 7296 §3.14");
    cx.sub("b");
    Seal_options zero_iv;
    zero_iv.iv = Bytes(sa.cipher->iv_size(), 0);
    a = cx.peer.request(sa, Exchange_type::INFORMATIONAL, {}, zero_iv);
    cx.expect(a && a->inner, Level::MUST, "INFORMATIONAL with an all-zero IV", "INFORMATIONAL response { SK { } }",
              cx.show(a), "RFC 7296 §3.14");
}

}  // namespace

void register_g1(std::vector<Case>& t) {
    t.push_back({"IKEv2.R.3.1.header-flag-bits", "", Level::MUST, {}, header_flag_bits, ""});
    t.push_back({"IKEv2.R.3.2.reserved-fields-nonzero", "", Level::MUST, {}, reserved_fields_nonzero, ""});
    t.push_back({"IKEv2.R.3.2.critical-bit-on-known-payloads", "", Level::MUST, {}, critical_bit_on_known, ""});
    t.push_back({"IKEv2.R.3.2.unknown-noncritical-ike-sa-init", "", Level::MUST, {}, unknown_noncritical_init, ""});
    t.push_back({"IKEv2.R.3.2.unknown-noncritical-in-sk", "", Level::MUST, {}, unknown_noncritical_in_sk, ""});
    t.push_back({"IKEv2.R.3.2.unknown-critical-ike-sa-init", "", Level::MUST, {}, unknown_critical_init, ""});
    t.push_back({"IKEv2.R.3.2.unknown-critical-ike-auth", "", Level::MUST, {}, unknown_critical_auth, ""});
    t.push_back({"IKEv2.R.3.2.unknown-critical-create-child-sa", "", Level::MUST, {}, unknown_critical_create_child, ""});
    t.push_back({"IKEv2.R.3.2.unknown-critical-informational-rejected-whole", "", Level::MUST, {},
                 unknown_critical_informational, ""});
    t.push_back({"IKEv2.R.2.5.payload-order", "", Level::MUST, {}, payload_order, ""});
    t.push_back({"IKEv2.R.3.1.header-sanity", "", Level::interop, {}, header_sanity, ""});
    t.push_back({"IKEv2.R.3.2.payload-length-inconsistent", "", Level::MUST, {}, payload_length_inconsistent, ""});
    t.push_back({"IKEv2.R.3.14.padding-and-iv", "", Level::MUST, {}, padding_and_iv, ""});
}

}  // namespace ike::conform
