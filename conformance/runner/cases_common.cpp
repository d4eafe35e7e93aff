// Shared stimuli and judgements of the cases.
#include "conformance/runner/cases_common.hpp"

namespace ike::conform {

Answer nut_init(Case_context& cx) {
    if (!cx.trigger("initiate")) throw Case_abort("no initiate trigger");
    auto init = cx.peer.await_nut_init(trigger_wait);
    if (!init) {
        cx.skip("the initiate trigger made the NUT send no IKE_SA_INIT request within 10 s");
        throw Case_abort("no IKE_SA_INIT from the NUT");
    }
    return *init;
}

std::vector<Answer> watch(Case_context& cx, Spi spi, std::chrono::milliseconds window) {
    cx.peer.auto_answer = false;
    auto got = cx.peer.collect(spi, window);
    cx.peer.auto_answer = true;
    return got;
}

void put16(Bytes& b, std::size_t at, std::size_t v) {
    b[at] = static_cast<std::uint8_t>((v >> 8) & 0xff);
    b[at + 1] = static_cast<std::uint8_t>(v & 0xff);
}
std::size_t get16(const Bytes& b, std::size_t at) { return (std::size_t{b[at]} << 8) | b[at + 1]; }

std::optional<Answer> send_init(Case_context& cx, Ike_sa& sa, const Init_spec& spec, const Edit& edit,
                                std::uint16_t port) {
    Message m = cx.peer.init_request(sa, spec);
    Bytes b = codec::encode_message(m);
    if (edit) edit(b);
    if (port) sa.nut_port = port;
    sa.msg1 = b;
    auto a = cx.peer.send_and_wait(sa, b, 0, sa.nut_port);
    // §2.6: a responder may ask any initiator for a cookie. Outside the cookie cases (which
    // name the cookie-mode port) the runner retries once with it, everything else unchanged.
    if (port == 0 && a && only_notify(*a, Notify_type::COOKIE)) {
        Init_spec retry = spec;
        retry.cookie = a->notify(Notify_type::COOKIE)->data;
        retry.keep_ke_and_nonce = true;
        cx.note("the NUT asked for a COOKIE; retried with it");
        Bytes r = codec::encode_message(cx.peer.init_request(sa, retry));
        if (edit) edit(r);
        sa.msg1 = r;
        a = cx.peer.send_and_wait(sa, r, 0, sa.nut_port);
    }
    return a;
}

bool init_ok(Case_context& cx, Ike_sa& sa, const std::string& step, const Init_spec& spec, const Edit& edit) {
    auto a = send_init(cx, sa, spec, edit);
    if (!cx.expect(a && normal_init_response(*a), Level::MUST, step, "IKE_SA_INIT response { SA, KE, Nr, ... }",
                   cx.show(a), "RFC 7296 §1.2"))
        return false;
    std::string err = cx.peer.complete_init(sa, *a);
    return cx.expect(err.empty(), Level::MUST, step + " (keys)", "a usable SAr1, KEr and Nr", err.empty() ? "usable" : err,
                     "RFC 7296 §2.7, §3.3, §3.4");
}

bool auth_ok(Case_context& cx, Ike_sa& sa, const std::string& step, const Auth_spec& spec, const Seal_options& opt,
             std::vector<Payload>* reorder) {
    auto inner = reorder ? *reorder : cx.peer.auth_payloads(sa, spec);
    auto a = cx.peer.request(sa, Exchange_type::IKE_AUTH, inner, opt);
    std::string err = a ? cx.peer.complete_auth(sa, *a, spec) : "silence";
    return cx.expect(err.empty() && sa.established, Level::MUST, step,
                     "IKE_AUTH response { SK { IDr, AUTH, SA, TSi, TSr } } with a valid AUTH",
                     err.empty() ? cx.show(a) : err + " (" + cx.show(a) + ")", "RFC 7296 §1.2, §2.15");
}

void judge_refused_init(Case_context& cx, const std::string& step, const std::optional<Answer>& a,
                        const std::string& requirement) {
    if (!a) {
        cx.expect(true, Level::MUST, step, "no IKE SA (silence preferred)", "silence", requirement);
        return;
    }
    const bool normal = normal_init_response(*a);
    cx.expect(!normal, Level::MUST, step, "no IKE SA: no IKE_SA_INIT response with SA, KE, Nr", a->describe(), requirement);
    if (normal) return;
    if (a->has_notify(Notify_type::INVALID_SYNTAX))
        cx.expect(false, Level::SHOULD, step, "no unprotected INVALID_SYNTAX (§3.10.1 keeps it for protected messages)",
                  a->describe(), "RFC 7296 §3.10.1");
    else
        cx.note(step + ": answered " + a->describe());
}

void expect_fresh(Case_context& cx, const std::string& step) {
    cx.expect(cx.peer.probe_fresh(), Level::MUST, step + " P-FRESH", "IKE_SA_INIT response to a fresh F-INIT",
              "no answer", "catalogue §2 CHK-alive");
}

void expect_no_sa(Case_context& cx, Ike_sa& sa, const std::string& step, const std::string& requirement) {
    const std::uint32_t mid = sa.next_mid;
    auto a = cx.peer.request_mid(sa, Exchange_type::INFORMATIONAL, mid, {});
    const bool protected_answer = a && a->inner;
    cx.expect(!protected_answer, Level::MUST, step + " P-LIVE(" + std::to_string(mid) + ")",
              "no IKE SA: silence or unprotected INVALID_IKE_SPI", cx.show(a), requirement);
}

void expect_live(Case_context& cx, Ike_sa& sa, const std::string& step, Level level, const std::string& requirement) {
    const std::uint32_t mid = sa.next_mid;
    cx.expect(cx.peer.probe_live(sa), level, step + " P-LIVE(" + std::to_string(mid) + ")",
              "INFORMATIONAL response #" + std::to_string(mid) + " { SK { } }", "no protected answer", requirement);
}

std::size_t payload_at(const Bytes& msg, Payload_type type) {
    if (msg.size() < codec::header_size) return 0;
    for (const auto& [off, t] : chain_offsets(msg, codec::header_size, msg[16]))
        if (t == static_cast<std::uint8_t>(type)) return off;
    return 0;
}

std::size_t inner_payload_at(const Bytes& chain, std::uint8_t first, Payload_type type) {
    for (const auto& [off, t] : chain_offsets(chain, 0, first))
        if (t == static_cast<std::uint8_t>(type)) return off;
    return std::string::npos;
}

void set_reserved(Bytes& b, std::size_t start, std::uint8_t first) {
    for (const auto& [off, type] : chain_offsets(b, start, first)) {
        b[off + 1] |= 0x7f;  // §3.2: the 7 RESERVED bits after C
        const std::size_t len = get16(b, off + 2);
        const std::size_t end = std::min(b.size(), off + len);
        const auto t = static_cast<Payload_type>(type);
        if (t == Payload_type::SA) {
            for (std::size_t p = off + 4; p + 8 <= end;) {  // §3.3.1 proposal
                b[p + 1] = 0xff;
                const std::size_t plen = get16(b, p + 2);
                const std::size_t spi = b[p + 6];
                for (std::size_t x = p + 8 + spi; x + 8 <= p + plen && x + 8 <= end;) {  // §3.3.2 transform
                    b[x + 1] = 0xff;
                    b[x + 5] = 0xff;
                    const std::size_t tlen = get16(b, x + 2);
                    if (tlen < 8) break;
                    x += tlen;
                }
                if (plen < 8) break;
                p += plen;
            }
        } else if (t == Payload_type::KE && off + 8 <= end) {
            b[off + 6] = 0xff;  // §3.4 RESERVED
            b[off + 7] = 0xff;
        } else if ((t == Payload_type::TSi || t == Payload_type::TSr) && off + 8 <= end) {
            b[off + 5] = b[off + 6] = b[off + 7] = 0xff;  // §3.13 RESERVED
        }
    }
}

}  // namespace ike::conform
