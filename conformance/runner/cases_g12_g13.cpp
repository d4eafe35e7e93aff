// G12: NAT traversal and ports (RFC 7296 §2.11, §2.23; RFC 3948 §2.2);
// G13: traffic selectors and narrowing (RFC 7296 §2.9, §3.13).
#include "conformance/runner/cases_common.hpp"

#include "src/crypto/keymat.hpp"

namespace ike::conform {
namespace {

Bytes ip_octets(const std::string& ip) {
    auto a = Address::parse_ip(ip, 0);
    return a ? a->ip : Bytes{};
}

// ---- G12 ---------------------------------------------------------------------------------------

void nat_detection_payloads(Case_context& cx) {
    Ike_sa& sa = cx.peer.new_sa();
    auto a = send_init(cx, sa);
    if (!cx.expect(a && normal_init_response(*a), Level::MUST, "F-INIT with correct NAT-D notifies", "normal response", cx.show(a),
                   "RFC 7296 §2.23"))
        return;
    const Spi r = a->outer->header.SPIr;
    const Bytes src = crypto::nat_detection_hash(sa.SPIi, r, ip_octets(a->d.from_ip), a->d.from_port);
    const Bytes dst = crypto::nat_detection_hash(sa.SPIi, r, ip_octets(cx.profile.runner_address), a->d.local_port);
    const auto* s = a->notify(Notify_type::NAT_DETECTION_SOURCE_IP);
    const auto* d = a->notify(Notify_type::NAT_DETECTION_DESTINATION_IP);
    cx.expect(s && d && s->data.size() == 20 && d->data.size() == 20, Level::MUST, "NAT-D notifies in the response",
              "N(NAT_DETECTION_SOURCE_IP) and N(NAT_DETECTION_DESTINATION_IP), 20 octets each", a->describe(), "RFC 7296 §2.23");
    if (s)
        cx.expect(s->data == src, Level::MUST, "NAT_DETECTION_SOURCE_IP",
                  "SHA-1(SPIi | SPIr | " + a->d.from_ip + " | " + std::to_string(a->d.from_port) + ") (the NUT's sending address)",
                  to_hex(s->data), "RFC 7296 §2.23");
    if (d)
        cx.expect(d->data == dst, Level::MUST, "NAT_DETECTION_DESTINATION_IP",
                  "SHA-1(SPIi | SPIr | " + cx.profile.runner_address + " | " + std::to_string(a->d.local_port) + ")",
                  to_hex(d->data), "RFC 7296 §2.23");
}

void initiator_behind_nat(Case_context& cx) {
    Ike_sa& sa = cx.peer.new_sa();
    Init_spec spec;
    spec.nat_detection = false;
    spec.after_nonce = {notify(Notify_type::NAT_DETECTION_SOURCE_IP,
                               crypto::nat_detection_hash(sa.SPIi, 0, ip_octets("198.51.100.1"), 40000)),
                        notify(Notify_type::NAT_DETECTION_DESTINATION_IP,
                               crypto::nat_detection_hash(sa.SPIi, 0, ip_octets(cx.profile.target_address), cx.profile.target_port))};
    if (!init_ok(cx, sa, "F-INIT with a NAT_DETECTION_SOURCE_IP over another address (faked NAT)", spec)) return;
    sa.nut_port = cx.profile.target_nat_t_port;
    sa.nut_nat_t = true;
    auto inner = cx.peer.auth_payloads(sa);
    auto a = cx.peer.request(sa, Exchange_type::IKE_AUTH, inner);
    std::string err = a ? cx.peer.complete_auth(sa, *a) : "silence";
    if (!cx.expect(err.empty(), Level::MUST, "F-AUTH to port 4500 with the non-ESP marker", "IKE SA established",
                   err.empty() ? cx.show(a) : err, "RFC 7296 §2.23"))
        return;
    cx.expect(a->d.from_port == cx.profile.target_nat_t_port && a->d.local_port == cx.profile.runner_nat_t_port && a->d.kind == "ike",
              Level::MUST, "IKE_AUTH response", "from NUT port 4500 to the runner's port 4500, with the marker",
              "from port " + std::to_string(a->d.from_port) + " to " + std::to_string(a->d.local_port), "RFC 7296 §2.23");
    auto b = cx.peer.request(sa, Exchange_type::INFORMATIONAL, {});
    cx.expect(b && b->inner && b->d.from_port == cx.profile.target_nat_t_port, Level::MUST, "later request on 4500",
              "answered on 4500", cx.show(b), "RFC 7296 §2.23");
}

void any_source_port(Case_context& cx) {
    cx.sub("a");
    Ike_sa& sa = cx.peer.new_sa();
    sa.source_port = 40001;
    if (init_ok(cx, sa, "F-INIT from source port 40001")) {
        if (auth_ok(cx, sa, "F-AUTH from port 40001"))
            cx.note("IKE SA established on ports 40001 <-> " + std::to_string(cx.profile.target_port));
    }
    if (!cx.profile.has("nat-t")) return;
    cx.sub("b");
    Ike_sa& sb = cx.peer.new_sa();
    sb.nut_port = cx.profile.target_nat_t_port;
    sb.nut_nat_t = true;
    Message m = cx.peer.init_request(sb);
    sb.msg1 = codec::encode_message(m);
    auto a = cx.peer.send_and_wait(sb, sb.msg1, 0, sb.nut_port, true);
    cx.expect(a && normal_init_response(*a) && a->d.local_port == cx.profile.runner_nat_t_port && a->d.kind == "ike",
              Level::interop, "F-INIT to port 4500 with the marker", "answered on 4500 with the marker", cx.show(a),
              "RFC 7296 §2.11, §2.23");
}

void port_4500_framing(Case_context& cx) {
    Ike_sa& sa = cx.peer.new_sa();
    sa.nut_port = cx.profile.target_nat_t_port;
    sa.nut_nat_t = true;
    Message m = cx.peer.init_request(sa);
    sa.msg1 = codec::encode_message(m);
    auto a = cx.peer.send_and_wait(sa, sa.msg1, 0, sa.nut_port, true);
    if (!cx.expect(a && normal_init_response(*a), Level::MUST, "F-INIT on port 4500", "normal response", cx.show(a),
                   "RFC 7296 §2.23"))
        return;
    if (!cx.peer.complete_init(sa, *a).empty() || !auth_ok(cx, sa, "F-AUTH on port 4500")) return;
    const Bytes valid = cx.peer.seal(sa, Exchange_type::INFORMATIONAL, sa.next_mid, false, {});
    const std::vector<std::pair<std::string, Bytes>> stimuli = {
        {"a single 0xff octet (NAT keepalive)", Bytes{0xff}},
        {"the 4-octet zero marker alone", Bytes(4, 0)},
        {"the marker and 10 octets", [] { Bytes b(4, 0); b.insert(b.end(), 10, 0x33); return b; }()},
        {"the marker and the first 20 octets of a valid request",
         [&] { Bytes b(4, 0); b.insert(b.end(), valid.begin(), valid.begin() + 20); return b; }()}};
    for (const auto& [what, bytes] : stimuli) {
        cx.peer.send_raw(bytes, cx.profile.target_nat_t_port, true, true);
        auto got = cx.peer.collect(0, cx.peer.W() / 2);
        std::size_t answers = 0;
        for (const auto& g : got)
            if (g.d.kind == "ike") ++answers;
        cx.expect(answers == 0, what == "a single 0xff octet (NAT keepalive)" ? Level::MUST : Level::interop, what,
                  "no answer", std::to_string(answers) + " datagrams", "RFC 7296 §2.23; RFC 3948 §2.2");
    }
    expect_live(cx, sa, "P-LIVE on 4500", Level::MUST, "RFC 7296 §2.23");
}

// ---- G13 ---------------------------------------------------------------------------------------

std::vector<Traffic_selector> returned(const Answer& a, Payload_type t) {
    const auto* p = a.find(t);
    return p ? std::get<Payload_TS>(p->body).selectors : std::vector<Traffic_selector>{};
}

Traffic_selector widen(Traffic_selector t) {  // a /24 becomes the /22 that holds it
    if (t.start_address.size() == 4) {
        t.start_address[2] &= 0xfc;
        t.end_address[2] |= 0x03;
        t.end_address[3] = 0xff;
    }
    return t;
}

std::optional<Answer> auth_with_ts(Case_context& cx, Ike_sa& sa, const std::vector<Traffic_selector>& tsi,
                                   const std::vector<Traffic_selector>& tsr, const Seal_options& opt = {}) {
    Auth_spec spec;
    spec.tsi = tsi;
    spec.tsr = tsr;
    auto inner = cx.peer.auth_payloads(sa, spec);
    auto a = cx.peer.request(sa, Exchange_type::IKE_AUTH, inner, opt);
    if (a) cx.peer.complete_auth(sa, *a, spec);
    return a;
}

Ike_sa* init_only(Case_context& cx) {
    Ike_sa& sa = cx.peer.new_sa();
    return init_ok(cx, sa, "F-INIT") ? &sa : nullptr;
}

void ts_narrowing(Case_context& cx) {
    cx.sub("a");
    if (Ike_sa* sa = init_only(cx)) {
        auto a = auth_with_ts(cx, *sa, cx.profile.runner_ts, cx.profile.target_ts);
        cx.expect(a && sa->established && returned(*a, Payload_type::TSi) == cx.profile.runner_ts &&
                      returned(*a, Payload_type::TSr) == cx.profile.target_ts,
                  Level::MUST, "F-AUTH with TSi/TSr equal to the policy", "the same selectors returned", cx.show(a), "RFC 7296 §2.9");
    }
    cx.sub("b");
    if (Ike_sa* sa = init_only(cx)) {
        const std::vector<Traffic_selector> oi{widen(cx.profile.runner_ts[0])}, orr{ts("0.0.0.0/0")};
        auto a = auth_with_ts(cx, *sa, oi, orr);
        const auto ri = a ? returned(*a, Payload_type::TSi) : std::vector<Traffic_selector>{};
        const auto rr = a ? returned(*a, Payload_type::TSr) : std::vector<Traffic_selector>{};
        cx.expect(!ri.empty() && !rr.empty() && ts_within(ri, oi) && ts_within(rr, orr) && ts_within(ri, cx.profile.runner_ts) &&
                      ts_within(rr, cx.profile.target_ts),
                  Level::MUST, "F-AUTH with TSi = the runner's /22, TSr = 0.0.0.0/0", "TSi, TSr inside both offer and policy",
                  cx.show(a), "RFC 7296 §2.9");
        cx.expect(!(a && a->has_notify(Notify_type::SINGLE_PAIR_REQUIRED)), Level::SHOULD, "narrowing", "not SINGLE_PAIR_REQUIRED",
                  cx.show(a), "RFC 7296 §2.9");
    }
}

void ts_first_selector_kept(Case_context& cx) {
    Ike_sa* sa = init_only(cx);
    if (!sa) return;
    Traffic_selector pi = cx.profile.runner_ts[0], pr = cx.profile.target_ts[0];
    Traffic_selector hi = pi, hr = pr;
    hi.ip_protocol = 6;
    hi.start_port = hi.end_port = 40000;
    hi.start_address[3] = 7;
    hi.end_address = hi.start_address;
    hr.ip_protocol = 6;
    hr.start_port = hr.end_port = 443;
    hr.start_address[3] = 10;
    hr.end_address = hr.start_address;
    auto a = auth_with_ts(cx, *sa, {hi, pi}, {hr, pr});
    const auto ri = a ? returned(*a, Payload_type::TSi) : std::vector<Traffic_selector>{};
    const auto rr = a ? returned(*a, Payload_type::TSr) : std::vector<Traffic_selector>{};
    cx.expect(sa->established && ts_within({hi}, ri) && ts_within({hr}, rr), Level::MUST,
              "F-AUTH with a packet-triggered first pair (tcp 40000 -> tcp 443) and the whole subnets",
              "the returned selectors include the first pair", cx.show(a), "RFC 7296 §2.9");
}

void ts_unacceptable_create_child(Case_context& cx) {
    Ike_sa& sa = cx.established();
    Child_sa pending;
    pending.tsi = {ts("203.0.113.0/24")};
    pending.tsr = {ts("203.0.114.0/24")};
    auto a = cx.peer.request(sa, Exchange_type::CREATE_CHILD_SA, cx.peer.child_request(sa, pending));
    cx.expect(a && a->inner && a->has_notify(Notify_type::TS_UNACCEPTABLE) && !a->find(Payload_type::SA), Level::MUST,
              "CREATE_CHILD_SA with selectors outside every policy", "CREATE_CHILD_SA response { SK { N(TS_UNACCEPTABLE) } }",
              cx.show(a), "RFC 7296 §2.9, §2.21.3");
    expect_live(cx, sa, "IKE SA stays up", Level::MUST, "RFC 7296 §2.21.3");
}

void ts_unknown_type(Case_context& cx) {
    for (bool alone : {false, true}) {
        cx.sub(alone ? "variant" : "a");
        Ike_sa* sa = init_only(cx);
        if (!sa) continue;
        Traffic_selector odd = cx.profile.runner_ts[0];  // encoded as IPv4 (16 octets), then retyped to 200
        std::vector<Traffic_selector> tsi{odd};
        if (!alone) tsi.push_back(cx.profile.runner_ts[0]);
        Auth_spec spec;
        spec.tsi = tsi;
        auto inner = cx.peer.auth_payloads(*sa, spec);
        const auto first = static_cast<std::uint8_t>(inner.front().type);
        Seal_options opt;
        opt.edit_plaintext = [first](Bytes& p) {
            auto at = inner_payload_at(p, first, Payload_type::TSi);
            if (at != std::string::npos && at + 9 <= p.size()) p[at + 8] = 200;  // §3.13.1 TS Type
        };
        auto a = cx.peer.request(*sa, Exchange_type::IKE_AUTH, inner, opt);
        std::string err = a ? cx.peer.complete_auth(*sa, *a, spec) : "silence";
        if (!alone) {
            const auto ri = a ? returned(*a, Payload_type::TSi) : std::vector<Traffic_selector>{};
            bool unknown_returned = false;
            for (const auto& t : ri) unknown_returned = unknown_returned || static_cast<int>(t.ts_type) == 200;
            cx.expect(err.empty() && !sa->children.empty() && !unknown_returned, Level::SHOULD,
                      "TSi = [TS Type 200, valid IPv4 selector]", "CHILD SA from the valid selector; the unknown one not returned",
                      err.empty() ? cx.show(a) : err, "RFC 7296 §2.9");
        } else {
            cx.expect(err.empty() && a->has_notify(Notify_type::TS_UNACCEPTABLE), Level::SHOULD, "TSi = [TS Type 200] only",
                      "IKE SA established with N(TS_UNACCEPTABLE)", err.empty() ? cx.show(a) : err, "RFC 7296 §2.9");
        }
    }
}

void ts_counts(Case_context& cx) {
    Ike_sa* sa = init_only(cx);
    if (!sa) return;
    std::vector<Traffic_selector> tsi;
    const std::uint8_t protos[] = {6, 17, 1};
    for (int i = 0; i < 3; ++i) {
        Traffic_selector t = cx.profile.runner_ts[0];
        t.start_address[3] = static_cast<std::uint8_t>(64 * i);
        t.end_address[3] = static_cast<std::uint8_t>(64 * i + 63);
        t.ip_protocol = protos[i];
        tsi.push_back(t);
    }
    auto a = auth_with_ts(cx, *sa, tsi, cx.profile.target_ts);
    cx.expect(sa->established && !sa->children.empty(), Level::MUST, "F-AUTH with three TSi selectors and one TSr",
              "accepted: CHILD SA created", cx.show(a), "RFC 7296 §3.13");
}

void ts_malformed(Case_context& cx) {
    struct V {
        const char* name;
        const char* what;
        std::function<void(Bytes&, std::size_t)> edit;  // at = TSi payload in the chain
    };
    const std::vector<V> variants = {
        {"a", "Number of TSs = 0", [](Bytes& p, std::size_t at) { p[at + 4] = 0; }},
        {"b", "Number of TSs = 2 with one selector", [](Bytes& p, std::size_t at) { p[at + 4] = 2; }},
        {"c", "starting address above ending address (x.x.x.255 - x.x.x.0)",
         [](Bytes& p, std::size_t at) {
             if (at + 24 > p.size()) return;
             p[at + 8 + 8 + 3] = 0xff;   // §3.13.1 Starting Address, last octet
             p[at + 8 + 12 + 3] = 0x00;  // Ending Address, last octet
         }},
        {"d", "TS_IPV6_ADDR_RANGE with Selector Length 16", [](Bytes& p, std::size_t at) { p[at + 8] = 8; }}};
    for (const auto& v : variants) {
        cx.sub(v.name);
        Ike_sa* sa = init_only(cx);
        if (!sa) continue;
        auto inner = cx.peer.auth_payloads(*sa);
        const auto first = static_cast<std::uint8_t>(inner.front().type);
        Seal_options opt;
        auto edit = v.edit;
        opt.edit_plaintext = [first, edit](Bytes& p) {
            auto at = inner_payload_at(p, first, Payload_type::TSi);
            if (at != std::string::npos && at + 8 <= p.size()) edit(p, at);
        };
        auto a = cx.peer.request(*sa, Exchange_type::IKE_AUTH, inner, opt);
        const bool child = a && a->inner && a->find(Payload_type::SA) && a->find(Payload_type::TSi);
        cx.expect(!child, Level::MUST, std::string("F-AUTH whose TSi has ") + v.what, "no CHILD SA", cx.show(a), "RFC 7296 §3.13");
        const bool allowed = a && a->inner &&
                             (a->has_notify(Notify_type::INVALID_SYNTAX) || a->has_notify(Notify_type::TS_UNACCEPTABLE));
        cx.expect(allowed, Level::interop, std::string("answer to ") + v.what,
                  "INVALID_SYNTAX (no IKE SA) or AUTH with TS_UNACCEPTABLE", cx.show(a), "RFC 7296 §3.13.1, §2.21.2");
        expect_fresh(cx, v.what);
    }
}

}  // namespace

void register_g12_g13(std::vector<Case>& t) {
    t.push_back({"IKEv2.R.2.23.nat-detection-payloads", "", Level::MUST, {"nat-t"}, nat_detection_payloads, ""});
    t.push_back({"IKEv2.R.2.23.initiator-behind-nat", "", Level::MUST, {"nat-t"}, initiator_behind_nat, ""});
    t.push_back({"IKEv2.R.2.11.any-source-port", "", Level::MUST, {}, any_source_port, ""});
    t.push_back({"IKEv2.R.2.23.port-4500-framing", "", Level::MUST, {"nat-t"}, port_4500_framing, ""});
    t.push_back({"IKEv2.R.2.9.ts-narrowing", "", Level::MUST, {}, ts_narrowing, ""});
    t.push_back({"IKEv2.R.2.9.ts-first-selector-kept", "", Level::MUST, {}, ts_first_selector_kept, ""});
    t.push_back({"IKEv2.R.2.9.ts-unacceptable-create-child-sa", "", Level::MUST, {}, ts_unacceptable_create_child, ""});
    t.push_back({"IKEv2.R.2.9.ts-unknown-type", "", Level::SHOULD, {}, ts_unknown_type, ""});
    t.push_back({"IKEv2.R.3.13.ts-counts", "", Level::MUST, {}, ts_counts, ""});
    t.push_back({"IKEv2.R.3.13.ts-malformed", "", Level::MUST, {}, ts_malformed, ""});
}

}  // namespace ike::conform
