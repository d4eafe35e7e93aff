// G14: configuration payload (RFC 7296 §2.19, §3.15).
#include "conformance/runner/cases_common.hpp"

namespace ike::conform {
namespace {

Payload cfg_request(const std::vector<std::pair<std::uint16_t, Bytes>>& attrs) {
    Payload p;
    p.type = Payload_type::CP;
    Payload_CP cp;
    cp.cfg_type = Cfg_type::CFG_REQUEST;
    for (const auto& [t, v] : attrs) cp.attributes.push_back(Cfg_attribute{t, v});
    p.body = cp;
    return p;
}

constexpr std::uint16_t IP4 = static_cast<std::uint16_t>(Cfg_attribute_type::INTERNAL_IP4_ADDRESS);
constexpr std::uint16_t DNS4 = static_cast<std::uint16_t>(Cfg_attribute_type::INTERNAL_IP4_DNS);
constexpr std::uint16_t IP6 = static_cast<std::uint16_t>(Cfg_attribute_type::INTERNAL_IP6_ADDRESS);

/// F-AUTH with `cp` inserted before (or after) SAi2, TSi = TSr = 0.0.0.0/0.
std::optional<Answer> auth_with_cp(Case_context& cx, Ike_sa& sa, std::optional<Payload> cp, bool after_sa) {
    Auth_spec spec;
    spec.id = cx.profile.cp_runner_id;
    spec.tsi = {ts("0.0.0.0/0")};
    spec.tsr = {ts("0.0.0.0/0")};
    auto inner = cx.peer.auth_payloads(sa, spec);
    if (cp) {
        auto at = std::find_if(inner.begin(), inner.end(), [](const Payload& p) { return p.type == Payload_type::SA; });
        if (after_sa && at != inner.end()) ++at;
        inner.insert(at, *cp);
    }
    auto a = cx.peer.request(sa, Exchange_type::IKE_AUTH, inner);
    if (a) cx.peer.complete_auth(sa, *a, spec);
    return a;
}

const Payload_CP* reply_of(const Answer& a) {
    const auto* p = a.find(Payload_type::CP);
    return p ? std::get_if<Payload_CP>(&p->body) : nullptr;
}

std::vector<Bytes> addresses(const Payload_CP& cp, std::uint16_t type) {
    std::vector<Bytes> out;
    for (const auto& at : cp.attributes)
        if (at.type == type) out.push_back(at.value);
    return out;
}

bool in_pool(const Case_context& cx, const Bytes& a) {
    const auto& p = *cx.profile.pool;
    return a.size() == 4 && a >= p.start_address && a <= p.end_address;
}

Ike_sa* init_only(Case_context& cx) {
    Ike_sa& sa = cx.peer.new_sa();
    return init_ok(cx, sa, "F-INIT") ? &sa : nullptr;
}

void judge_address_reply(Case_context& cx, const std::optional<Answer>& a, Ike_sa& sa, const std::string& step) {
    const Payload_CP* cp = a ? reply_of(*a) : nullptr;
    const auto v4 = cp ? addresses(*cp, IP4) : std::vector<Bytes>{};
    if (!cx.expect(sa.established && cp && cp->cfg_type == Cfg_type::CFG_REPLY && v4.size() == 1 && in_pool(cx, v4[0]), Level::MUST,
                   step, "CP(CFG_REPLY) with exactly one 4-octet INTERNAL_IP4_ADDRESS from the pool", cx.show(a), "RFC 7296 §2.19, §3.15.1"))
        return;
    const auto* tsi = a->find(Payload_type::TSi);
    Traffic_selector host;
    host.start_address = host.end_address = v4[0];
    cx.expect(tsi && ts_within(std::get<Payload_TS>(tsi->body).selectors, {host}), Level::MUST, "TSi",
              "narrowed to the assigned address " + to_hex(v4[0]), a->describe(), "RFC 7296 §2.19");
}

void cfg_request_address(Case_context& cx) {
    Ike_sa* sa = init_only(cx);
    if (!sa) return;
    auto a = auth_with_cp(cx, *sa, cfg_request({{IP4, {}}, {DNS4, {}}}), false);
    judge_address_reply(cx, a, *sa, "F-AUTH with CP(CFG_REQUEST) { INTERNAL_IP4_ADDRESS(), INTERNAL_IP4_DNS() } before SAi2");
}

void cp_after_sa(Case_context& cx) {
    Ike_sa* sa = init_only(cx);
    if (!sa) return;
    auto a = auth_with_cp(cx, *sa, cfg_request({{IP4, {}}, {DNS4, {}}}), true);
    judge_address_reply(cx, a, *sa, "F-AUTH with CP(CFG_REQUEST) placed after SAi2");
}

void unknown_attribute(Case_context& cx) {
    Ike_sa* sa = init_only(cx);
    if (!sa) return;
    auto a = auth_with_cp(cx, *sa, cfg_request({{IP4, {}}, {0x0fff, {1, 2, 3, 4}}, {0x4100, {5, 6}}}), false);
    judge_address_reply(cx, a, *sa, "CFG_REQUEST with attribute types 0x0fff and 0x4100");
    const Payload_CP* cp = a ? reply_of(*a) : nullptr;
    if (cp)
        cx.expect(addresses(*cp, 0x0fff).empty() && addresses(*cp, 0x4100).empty(), Level::MUST, "CFG_REPLY",
                  "the unknown attributes are not returned", a->describe(), "RFC 7296 §3.15.1");
}

void unsupported_family(Case_context& cx) {
    cx.sub("a");
    if (Ike_sa* sa = init_only(cx)) {
        auto a = auth_with_cp(cx, *sa, cfg_request({{IP6, {}}, {IP4, {}}}), false);
        const Payload_CP* cp = a ? reply_of(*a) : nullptr;
        cx.expect(sa->established && cp && addresses(*cp, IP4).size() == 1, Level::SHOULD,
                  "CFG_REQUEST { INTERNAL_IP6_ADDRESS(), INTERNAL_IP4_ADDRESS() } (IPv4 pool)",
                  "an IPv4 address, the IPv6 request ignored", cx.show(a), "RFC 7296 §3.15.4");
    }
    cx.sub("b");
    if (Ike_sa* sa = init_only(cx)) {
        auto a = auth_with_cp(cx, *sa, cfg_request({{IP6, {}}}), false);
        cx.expect(sa->established && a->has_notify(Notify_type::INTERNAL_ADDRESS_FAILURE) && !a->find(Payload_type::SA), Level::SHOULD,
                  "CFG_REQUEST { INTERNAL_IP6_ADDRESS() } only (IPv4 pool)",
                  "N(INTERNAL_ADDRESS_FAILURE), IKE SA established, no CHILD SA", cx.show(a), "RFC 7296 §3.15.4");
    }
}

void no_unsolicited_reply(Case_context& cx) {
    Ike_sa* sa = init_only(cx);
    if (!sa) return;
    auto a = auth_with_cp(cx, *sa, std::nullopt, false);
    cx.expect(sa->established && !a->find(Payload_type::CP), Level::MUST, "F-AUTH without CP", "IKE SA established, no CP payload",
              cx.show(a), "RFC 7296 §2.19");
}

void cp_required(Case_context& cx) {
    Ike_sa* sa = init_only(cx);
    if (!sa) return;
    auto a = auth_with_cp(cx, *sa, std::nullopt, false);
    cx.expect(sa->established && a->has_notify(Notify_type::FAILED_CP_REQUIRED), Level::MUST,
              "F-AUTH without CP for an identity whose policy requires one", "SK { IDr, AUTH, N(FAILED_CP_REQUIRED) }; IKE SA established",
              cx.show(a), "RFC 7296 §2.19");
}

}  // namespace

void register_g14(std::vector<Case>& t) {
    t.push_back({"IKEv2.R.2.19.cfg-request-address", "", Level::MUST, {"cp-pool"}, cfg_request_address, ""});
    t.push_back({"IKEv2.R.2.5.cp-after-sa", "", Level::MUST, {"cp-pool"}, cp_after_sa, ""});
    t.push_back({"IKEv2.R.3.15.1.unknown-attribute", "", Level::MUST, {"cp-pool"}, unknown_attribute, ""});
    t.push_back({"IKEv2.R.3.15.4.unsupported-family", "", Level::SHOULD, {"cp-pool"}, unsupported_family, ""});
    t.push_back({"IKEv2.R.2.19.cp-required", "", Level::MUST, {"cp-required"}, cp_required, ""});
    t.push_back({"IKEv2.R.2.19.no-unsolicited-reply", "", Level::MUST, {"cp-pool"}, no_unsolicited_reply, ""});
}

}  // namespace ike::conform
