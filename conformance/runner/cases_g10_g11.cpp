// G10: INFORMATIONAL, delete and liveness (RFC 7296 §1.4, §2.4, §3.11);
// G11: error handling, protected and unprotected notifies (RFC 7296 §1.5, §2.21, §3.10.1).
#include "conformance/runner/cases_common.hpp"

namespace ike::conform {
namespace {

std::vector<std::uint32_t> delete_spis(const Answer& a) {
    std::vector<std::uint32_t> out;
    if (const Message* m = a.message())
        for (const auto& p : m->payloads)
            if (const auto* d = std::get_if<Payload_D>(&p.body))
                for (const auto& s : d->spis) out.push_back(spi_value(s));
    std::sort(out.begin(), out.end());
    return out;
}

std::string hex32(std::uint32_t v) { return to_hex(spi4(v)); }

// ---- G10 ---------------------------------------------------------------------------------------

void liveness_check(Case_context& cx) {
    Ike_sa& sa = cx.established();
    for (bool with_notify : {false, true}) {
        cx.sub(with_notify ? "b" : "a");
        std::vector<Payload> inner;
        if (with_notify) inner.push_back(notify_raw(50000));
        const std::uint32_t mid = sa.next_mid;
        auto a = cx.peer.request(sa, Exchange_type::INFORMATIONAL, inner);
        bool only_status = a && a->inner;
        if (only_status)
            for (const auto& p : a->inner->payloads) {
                const auto* n = std::get_if<Payload_N>(&p.body);
                only_status = only_status && n && n->type >= 16384;
            }
        cx.expect(only_status && a->inner->header.message_id == mid && a->inner->header.is_response(), Level::MUST,
                  with_notify ? "INFORMATIONAL SK { N(50000) }" : "INFORMATIONAL SK { }",
                  "INFORMATIONAL response #" + std::to_string(mid) + " { SK { } } (status notifies allowed)", cx.show(a),
                  "RFC 7296 §1.4, §2.4");
    }
}

void delete_child(Case_context& cx) {
    Ike_sa& sa = cx.established();
    std::string why;
    for (int i = 0; i < 2; ++i)
        if (!cx.peer.create_child(sa, &why)) throw Case_abort("C2/C3: " + why);
    if (sa.children.size() < 3) throw Case_abort("three CHILD SAs needed");
    const Child_sa c1 = sa.children[0], c2 = sa.children[1], c3 = sa.children[2];
    cx.sub("a");
    auto a = cx.peer.request(sa, Exchange_type::INFORMATIONAL, {delete_esp({c1.spi_runner})});
    cx.expect(a && a->inner && delete_spis(*a) == std::vector<std::uint32_t>{c1.spi_nut}, Level::MUST,
              "INFORMATIONAL SK { D(ESP, [s_r1]) }", "SK { D(ESP, [s_n1 = " + hex32(c1.spi_nut) + "]) }", cx.show(a),
              "RFC 7296 §1.4.1");
    cx.sub("b");
    auto b = cx.peer.request(sa, Exchange_type::INFORMATIONAL, {delete_esp({c2.spi_runner, c3.spi_runner})});
    std::vector<std::uint32_t> want{c2.spi_nut, c3.spi_nut};
    std::sort(want.begin(), want.end());
    cx.expect(b && b->inner && delete_spis(*b) == want, Level::MUST, "INFORMATIONAL SK { D(ESP, [s_r2, s_r3]) }",
              "Delete payload(s) listing s_n2 and s_n3", cx.show(b), "RFC 7296 §1.4.1");
}

void delete_ike_sa(Case_context& cx) {
    Ike_sa& sa = cx.established();
    auto a = cx.peer.request(sa, Exchange_type::INFORMATIONAL, {delete_ike()});
    cx.expect(a && a->inner && a->inner->payloads.empty(), Level::MUST, "INFORMATIONAL SK { D(IKE) }",
              "INFORMATIONAL response { SK { } }", cx.show(a), "RFC 7296 §1.4.1");
    expect_no_sa(cx, sa, "IKE SA gone", "RFC 7296 §1.4.1");
}

void several_delete_payloads(Case_context& cx) {
    const std::pair<const char*, int> variants[] = {{"a", 0}, {"b", 1}, {"c", 2}};
    for (const auto& [name, v] : variants) {
        cx.sub(name);
        Ike_sa& sa = cx.established();
        const std::uint32_t s1 = sa.children.empty() ? 0 : sa.children[0].spi_runner;
        std::vector<Payload> inner;
        if (v == 0) inner = {delete_esp({s1}), delete_ike()};
        if (v == 1) inner = {delete_ike(), delete_esp({s1})};
        if (v == 2) inner = {delete_ike(), delete_ike()};
        auto a = cx.peer.request(sa, Exchange_type::INFORMATIONAL, inner);
        cx.expect(a && a->inner, Level::MUST, "INFORMATIONAL with several Delete payloads", "a protected (empty) response",
                  cx.show(a), "RFC 7296 §3.11, §1.4.1");
        if (a && a->find(Payload_type::D)) cx.note("response lists " + a->describe());
        expect_no_sa(cx, sa, "everything torn down", "RFC 7296 §1.4.1");
        expect_fresh(cx, "NUT stays up");
    }
}

void delete_unknown_child(Case_context& cx) {
    Ike_sa& sa = cx.established();
    if (sa.children.empty()) throw Case_abort("no C1");
    const Child_sa c1 = sa.children[0];
    cx.sub("a");
    auto a = cx.peer.request(sa, Exchange_type::INFORMATIONAL, {delete_esp({0x0badc0de})});
    cx.expect(a && a->inner && delete_spis(*a).empty(), Level::SHOULD, "SK { D(ESP, [unknown SPI]) }",
              "a response without Delete payload", cx.show(a), "RFC 7296 §2.25.1");
    cx.sub("b");
    auto b = cx.peer.request(sa, Exchange_type::INFORMATIONAL, {delete_esp({c1.spi_runner, 0x0badc0df})});
    cx.expect(b && b->inner && delete_spis(*b) == std::vector<std::uint32_t>{c1.spi_nut}, Level::SHOULD,
              "SK { D(ESP, [s_r1, unknown SPI]) }", "D(ESP, [s_n1]) only", cx.show(b), "RFC 7296 §2.25.1");
    expect_live(cx, sa, "IKE SA stays up", Level::SHOULD, "RFC 7296 §2.25.1");
}

void delete_malformed(Case_context& cx) {
    struct V {
        const char* name;
        const char* what;
        Payload d;
        std::function<void(Bytes&, std::size_t)> edit;  // at = the D payload in the inner chain
    };
    Payload two = delete_esp({0x01020304, 0x05060708});
    Payload zero_size;
    zero_size.type = Payload_type::D;
    zero_size.body = Payload_D{Protocol_id::ESP, 0, {}};
    Payload ike8;
    ike8.type = Payload_type::D;
    ike8.body = Payload_D{Protocol_id::IKE, 8, {Bytes(8, 0x42)}};
    const std::vector<V> variants = {
        {"a", "D(ESP) SPI Size 4, Num of SPIs 3, 8 octets of SPIs", two, [](Bytes& p, std::size_t at) { put16(p, at + 6, 3); }},
        {"b", "D(ESP) SPI Size 0, Num of SPIs 1", zero_size, [](Bytes& p, std::size_t at) { put16(p, at + 6, 1); }},
        {"c", "D(IKE) SPI Size 8 with one SPI", ike8, {}},
        {"d", "D(ESP) Num of SPIs 0xffff", delete_esp({0x01020304}), [](Bytes& p, std::size_t at) { put16(p, at + 6, 0xffff); }}};
    for (const auto& v : variants) {
        cx.sub(v.name);
        Ike_sa& sa = cx.established();
        Seal_options opt;
        auto edit = v.edit;
        opt.edit_plaintext = [edit](Bytes& p) {
            if (edit) edit(p, 0);
        };
        auto a = cx.peer.request(sa, Exchange_type::INFORMATIONAL, {v.d}, opt);
        cx.expect(a && a->inner, Level::interop, v.what, "a protected response (INVALID_SYNTAX or the bad payload ignored)",
                  cx.show(a), "RFC 7296 §3.11, §2.21.3");
        if (a && a->inner && !a->has_notify(Notify_type::INVALID_SYNTAX) && !sa.children.empty()) {
            auto d = cx.peer.probe_child(sa, sa.children[0].spi_runner);
            cx.expect(d && d->size() == 1, Level::interop, "P-CHILD(s_r1)", "C1 not deleted by a malformed Delete",
                      d ? std::to_string(d->size()) + " SPIs" : "no answer", "RFC 7296 §3.11");
        }
        expect_fresh(cx, v.what);
    }
}

void informational_before_ike_auth(Case_context& cx) {
    const std::tuple<const char*, std::uint32_t, bool> variants[] = {{"a", 1, false}, {"bad-icv", 1, true}, {"mid0", 0, false},
                                                                     {"mid2", 2, false}};
    for (const auto& [name, mid, bad] : variants) {
        cx.sub(name);
        Ike_sa& sa = cx.peer.new_sa();
        if (!init_ok(cx, sa, "F-INIT")) continue;
        Seal_options opt;
        opt.corrupt_icv = bad;
        auto a = cx.peer.request_mid(sa, Exchange_type::INFORMATIONAL, mid, {delete_ike()}, opt);
        const std::string step = std::string("INFORMATIONAL #") + std::to_string(mid) + " { SK { D(IKE) } } before IKE_AUTH" +
                                 (bad ? " (bad ICV)" : "");
        cx.expect(!(a && !a->inner && a->outer && !a->outer->payloads.empty() &&
                    a->outer->payloads.back().type != Payload_type::SK),
                  Level::MUST, step, "never an unprotected error", cx.show(a), "RFC 7296 §1.4, §3.10.1");
        const bool allowed = !a || (!bad && a->inner && a->has_notify(Notify_type::INVALID_SYNTAX));
        cx.expect(allowed, Level::MUST, step, "silence, or (ICV verified) a protected INVALID_SYNTAX", cx.show(a),
                  "RFC 7296 §2.21");
        if (!a) auth_ok(cx, sa, "F-AUTH #1 afterwards");
    }
}

void initial_contact(Case_context& cx) {
    Ike_sa& sa1 = cx.established();
    Auth_spec spec;
    spec.extra_last.push_back(notify(Notify_type::INITIAL_CONTACT));
    Ike_sa& sa2 = cx.peer.new_sa();
    if (init_ok(cx, sa2, "SA2 F-INIT")) auth_ok(cx, sa2, "SA2 F-AUTH with N(INITIAL_CONTACT)", spec);
    const bool alive = cx.peer.probe_live(sa1);
    cx.note(alive ? "SA1 kept after INITIAL_CONTACT" : "SA1 deleted after INITIAL_CONTACT");
    cx.expect(true, Level::MAY, "SA1 after INITIAL_CONTACT", "deleted or kept", alive ? "kept" : "deleted", "RFC 7296 §2.4");
}

// ---- G11 ---------------------------------------------------------------------------------------

Bytes unknown_spi_request(Case_context& cx, Spi x, Spi y, std::uint8_t flags, std::uint32_t mid) {
    Header h;
    h.SPIi = x;
    h.SPIr = y;
    h.exchange = Exchange_type::INFORMATIONAL;
    h.flags = flags;
    h.message_id = mid;
    Bytes body = cx.peer.crypto().random(48);
    Bytes out = codec::encode_header(h, Payload_type::SK, static_cast<std::uint32_t>(codec::header_size + 4 + body.size()));
    out.push_back(0);
    out.push_back(0);
    out.resize(out.size() + 2);
    put16(out, codec::header_size + 2, 4 + body.size());
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

void request_for_unknown_spi(Case_context& cx) {
    Ike_sa& probe = cx.peer.new_sa();  // only for its random SPIi
    const Spi x = probe.SPIi, y = 0x1122334455667788ULL;
    cx.peer.send_raw(unknown_spi_request(cx, x, y, flag::Initiator, 5));
    auto got = cx.peer.collect(x, cx.peer.W());
    if (got.empty()) {
        cx.expect(true, Level::MAY, "INFORMATIONAL #5 with SPIs never issued", "silence or INVALID_IKE_SPI", "silence",
                  "RFC 7296 §2.21.4");
    } else {
        const Answer& a = got.front();
        const bool form = a.outer && !a.inner && a.outer->header.SPIi == x && a.outer->header.SPIr == y &&
                          a.outer->header.message_id == 5 && a.outer->header.is_response() &&
                          a.outer->header.exchange == Exchange_type::INFORMATIONAL &&
                          only_notify(a, Notify_type::INVALID_IKE_SPI);
        cx.expect(form, Level::MUST, "INFORMATIONAL #5 with SPIs never issued",
                  "unprotected INFORMATIONAL response #5 { N(INVALID_IKE_SPI) }, same SPIs", a.describe(), "RFC 7296 §1.5, §2.21.4");
    }
    const auto t0 = Clock::now();
    for (int i = 0; i < 1000; ++i) {
        Bytes spi = cx.peer.crypto().random(8);
        Spi s = 0;
        for (auto o : spi) s = (s << 8) | o;
        cx.peer.transport().send(cx.profile.target_address, cx.profile.target_port, unknown_spi_request(cx, s | 1, y, flag::Initiator, 5));
    }
    auto burst = cx.peer.collect(0, std::chrono::milliseconds(1000));
    const double secs = std::max(1.0, std::chrono::duration<double>(Clock::now() - t0).count());
    const double rate = static_cast<double>(burst.size()) / secs;
    cx.expect(rate <= 10.0, Level::SHOULD, "1000 such requests within 1 s", "at most 10 responses per second",
              std::to_string(burst.size()) + " responses in " + std::to_string(secs) + " s", "RFC 7296 §2.21.4");
}

void silent_on_unprotected_responses(Case_context& cx) {
    cx.sub("a");
    Ike_sa& probe = cx.peer.new_sa();
    cx.peer.send_raw(unknown_spi_request(cx, probe.SPIi, 0x99, flag::Initiator | flag::Response, 5));
    auto got = cx.peer.collect(probe.SPIi, cx.peer.W());
    cx.expect(got.empty(), Level::MUST, "a response with unknown SPIs", "no answer",
              got.empty() ? "silence" : got.front().describe(), "RFC 7296 §2.21.4");
    cx.sub("b");
    Message m;
    m.header.exchange = Exchange_type::INFORMATIONAL;
    m.header.flags = flag::Initiator;
    Payload n = notify(Notify_type::INVALID_SPI, cx.peer.crypto().random(4));
    m.payloads.push_back(n);
    cx.peer.send_raw(codec::encode_message(m));
    got = cx.peer.collect(0, cx.peer.W());
    cx.expect(got.empty(), Level::MUST, "one-way unprotected N(INVALID_SPI) with zero SPIs", "no answer",
              got.empty() ? "silence" : got.front().describe(), "RFC 7296 §1.5");
    cx.sub("c");
    Ike_sa& sa = cx.established();
    const Bytes fake = cx.peer.seal(sa, Exchange_type::INFORMATIONAL, 2, true, {});
    cx.peer.send_raw(fake);
    got = cx.peer.collect(sa.SPIi, cx.peer.W());
    cx.expect(got.empty(), Level::MUST, "INFORMATIONAL response #2 { SK { } } to a request never sent", "no answer",
              got.empty() ? "silence" : got.front().describe(), "RFC 7296 §2.21.4");
    expect_live(cx, sa, "F-EST unaffected", Level::MUST, "RFC 7296 §2.21.4");
}

void unprotected_notify_ignored(Case_context& cx) {
    Ike_sa& sa = cx.established();
    for (auto t : {Notify_type::INVALID_IKE_SPI, Notify_type::AUTHENTICATION_FAILED, Notify_type::INVALID_SYNTAX,
                   Notify_type::NO_PROPOSAL_CHOSEN}) {
        for (bool response : {false, true}) {
            Message m;
            m.header.SPIi = sa.SPIi;
            m.header.SPIr = sa.SPIr;
            m.header.exchange = Exchange_type::INFORMATIONAL;
            m.header.flags = static_cast<std::uint8_t>(flag::Initiator | (response ? flag::Response : 0));
            m.header.message_id = response ? 0 : sa.next_mid;
            m.payloads.push_back(notify(t));
            cx.peer.send_raw(codec::encode_message(m));
        }
    }
    auto got = cx.peer.collect(sa.SPIi, cx.peer.W());
    std::size_t answers = 0;
    for (const auto& a : got)
        if (a.outer && a.outer->header.is_response()) ++answers;
    cx.expect(answers == 0, Level::MUST, "unprotected INFORMATIONAL N(INVALID_IKE_SPI|AUTHENTICATION_FAILED|INVALID_SYNTAX|"
                                         "NO_PROPOSAL_CHOSEN) as requests and responses",
              "no answer", std::to_string(answers) + " responses", "RFC 7296 §2.21.4");
    cx.note("ICMP port-unreachable stimulus not sent (the runner has no raw socket)");
    expect_live(cx, sa, "IKE SA unchanged", Level::MUST, "RFC 7296 §2.4");
    if (!sa.children.empty()) {
        auto d = cx.peer.probe_child(sa, sa.children[0].spi_runner);
        cx.expect(d && d->size() == 1, Level::MUST, "P-CHILD(s_r1)", "C1 unchanged", d ? std::to_string(d->size()) + " SPIs" : "no answer",
                  "RFC 7296 §2.4");
    }
}

void invalid_syntax_is_fatal(Case_context& cx) {
    const std::pair<const char*, std::size_t> variants[] = {{"15", 15}, {"17", 17}, {"0", 0}, {"ffff", 0xffff}};
    for (const auto& [name, len] : variants) {
        cx.sub(name);
        Ike_sa& sa = cx.established();
        if (sa.children.empty()) throw Case_abort("no C1");
        Child_sa pending;
        auto inner = cx.peer.child_request(sa, pending, sa.children[0].spi_runner);
        const auto first = static_cast<std::uint8_t>(inner.front().type);
        Seal_options opt;
        const std::size_t l = len;
        opt.edit_plaintext = [first, l](Bytes& p) {
            auto at = inner_payload_at(p, first, Payload_type::TSi);
            if (at != std::string::npos && at + 12 <= p.size()) put16(p, at + 8 + 2, l);  // §3.13.1 Selector Length
        };
        auto a = cx.peer.request(sa, Exchange_type::CREATE_CHILD_SA, inner, opt);
        const std::string step = "rekey of C1 whose TSi selector has Selector Length " + std::to_string(len);
        if (!cx.expect(a && a->inner && !a->find(Payload_type::SA), Level::MUST, step, "a protected response, no new CHILD SA",
                       cx.show(a), "RFC 7296 §2.21.3, §3.10.1"))
            continue;
        if (a->has_notify(Notify_type::INVALID_SYNTAX)) {
            expect_no_sa(cx, sa, "after INVALID_SYNTAX the IKE SA is gone", "RFC 7296 §2.21.3");
        } else {
            expect_live(cx, sa, "after " + notifies_of(*a) + " the IKE SA remains", Level::MUST, "RFC 7296 §2.21.3");
        }
    }
}

void no_cleartext_invalid_syntax(Case_context& cx) {
    auto variant = [&](const std::string& name, const std::string& step, const std::function<void(Message&)>& change,
                       const Edit& edit) {
        cx.sub(name);
        Ike_sa& sa = cx.peer.new_sa();
        Message m = cx.peer.init_request(sa);
        if (change) change(m);
        Bytes b = codec::encode_message(m);
        if (edit) edit(b);
        auto a = cx.peer.send_and_wait(sa, b, 0);
        judge_refused_init(cx, step, a, "RFC 7296 §3.10.1");
    };
    auto drop = [](Payload_type t) {
        return [t](Message& m) {
            m.payloads.erase(std::remove_if(m.payloads.begin(), m.payloads.end(), [t](const Payload& p) { return p.type == t; }),
                             m.payloads.end());
        };
    };
    variant("a", "IKE_SA_INIT without Ni", drop(Payload_type::Nonce), {});
    variant("b", "IKE_SA_INIT without KEi", drop(Payload_type::KE), {});
    variant("c", "IKE_SA_INIT header only", [](Message& m) { m.payloads.clear(); }, {});
    variant("d", "IKE_SA_INIT with an SA payload of 4 octets", {}, [](Bytes& b) {
        // keep only the SA generic header: Length 4, Next Payload 0, message cut after it
        std::size_t at = payload_at(b, Payload_type::SA);
        if (!at) return;
        b.resize(at + 4);
        b[at] = 0;
        put16(b, at + 2, 4);
        b[24] = b[25] = 0;
        put16(b, 26, b.size());
    });
}

void unknown_notify_types_ignored(Case_context& cx) {
    Ike_sa& sa = cx.peer.new_sa();
    Init_spec spec;
    spec.after_nonce = {notify_raw(16383), notify_raw(50000)};
    auto a = send_init(cx, sa, spec);
    if (!cx.expect(a && normal_init_response(*a), Level::MUST, "F-INIT with N(16383) and N(50000)", "normal response", cx.show(a),
                   "RFC 7296 §3.10.1"))
        return;
    cx.expect(!a->notify(static_cast<Notify_type>(16383)) && !a->notify(static_cast<Notify_type>(50000)), Level::MUST,
              "IKE_SA_INIT response", "the unknown notifies are not echoed", a->describe(), "RFC 7296 §3.10.1");
    if (!cx.peer.complete_init(sa, *a).empty()) return;
    Auth_spec auth;
    auth.extra_last = {notify_raw(50000)};
    if (!auth_ok(cx, sa, "F-AUTH with N(50000) inside SK", auth)) return;
    Child_sa pending;
    auto inner = cx.peer.child_request(sa, pending);
    inner.push_back(notify_raw(16383));
    auto c = cx.peer.request(sa, Exchange_type::CREATE_CHILD_SA, inner);
    std::string err = c ? cx.peer.complete_child(sa, pending, *c) : "silence";
    cx.expect(err.empty(), Level::MUST, "CREATE_CHILD_SA with N(16383)", "CHILD SA created", err.empty() ? cx.show(c) : err,
              "RFC 7296 §3.10.1");
}

void invalid_spi_notify_received(Case_context& cx) {
    Ike_sa& sa = cx.established();
    if (sa.children.empty()) throw Case_abort("no C1");
    auto a = cx.peer.request(sa, Exchange_type::INFORMATIONAL, {notify(Notify_type::INVALID_SPI, spi4(sa.children[0].spi_nut))});
    cx.expect(a && a->inner, Level::MUST, "INFORMATIONAL SK { N(INVALID_SPI, s_n1) }", "a protected response", cx.show(a),
              "RFC 7296 §1.5, §1.4");
    expect_live(cx, sa, "IKE SA stays", Level::interop, "RFC 7296 §1.5");
    auto d = cx.peer.probe_child(sa, sa.children[0].spi_runner);
    cx.note(d && !d->empty() ? "C1 still exists" : "C1 was dropped");
}

}  // namespace

void register_g10_g11(std::vector<Case>& t) {
    t.push_back({"IKEv2.R.1.4.liveness-check", "", Level::MUST, {}, liveness_check, ""});
    t.push_back({"IKEv2.R.1.4.1.delete-child", "", Level::MUST, {}, delete_child, ""});
    t.push_back({"IKEv2.R.1.4.1.delete-ike", "", Level::MUST, {}, delete_ike_sa, ""});
    t.push_back({"IKEv2.R.3.11.several-delete-payloads", "", Level::MUST, {}, several_delete_payloads, ""});
    t.push_back({"IKEv2.R.2.25.1.delete-unknown-child", "", Level::SHOULD, {}, delete_unknown_child, ""});
    t.push_back({"IKEv2.R.3.11.delete-malformed", "", Level::interop, {}, delete_malformed, ""});
    t.push_back({"IKEv2.R.1.4.informational-before-ike-auth", "", Level::MUST, {}, informational_before_ike_auth, ""});
    t.push_back({"IKEv2.R.2.4.initial-contact", "", Level::MAY, {}, initial_contact, ""});
    t.push_back({"IKEv2.R.2.21.4.request-for-unknown-spi", "", Level::MAY, {}, request_for_unknown_spi, ""});
    t.push_back({"IKEv2.R.2.21.4.silent-on-unprotected-responses", "", Level::MUST, {}, silent_on_unprotected_responses, ""});
    t.push_back({"IKEv2.R.2.4.unprotected-notify-ignored", "", Level::MUST, {}, unprotected_notify_ignored, ""});
    t.push_back({"IKEv2.R.3.10.1.invalid-syntax-is-fatal", "", Level::MUST, {}, invalid_syntax_is_fatal, ""});
    t.push_back({"IKEv2.R.3.10.1.no-cleartext-invalid-syntax", "", Level::SHOULD, {}, no_cleartext_invalid_syntax, ""});
    t.push_back({"IKEv2.R.3.10.1.unknown-notify-types-ignored", "", Level::MUST, {}, unknown_notify_types_ignored, ""});
    t.push_back({"IKEv2.R.1.5.invalid-spi-notify-received", "", Level::MUST, {}, invalid_spi_notify_received, ""});
}

}  // namespace ike::conform
