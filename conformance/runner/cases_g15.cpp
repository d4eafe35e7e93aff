// G15: IKE fragmentation basics (RFC 7383 §2.3, §2.5, §2.6). The runner builds Encrypted
// Fragment payloads (SKF, type 53) itself: each fragment carries Fragment Number and Total
// Fragments, its own IV, padding and ICV; Next Payload is the first inner type in fragment 1
// and 0 in the others (RFC 7383 §2.5).
#include "conformance/runner/cases_common.hpp"

#include <thread>

namespace ike::conform {
namespace {

struct Fragment_fields {
    std::uint16_t number = 1, total = 1;
    std::uint8_t next_payload = 0;
};

/// One SKF message: HDR(..., MID) | SKF header | Fragment Number | Total Fragments | IV |
/// E(chunk | padding | Pad Length) | ICV. For AEAD the AAD runs from the header to Total
/// Fragments (RFC 7383 §2.5, RFC 5282 §5.1).
Bytes seal_fragment(Case_context& cx, const Ike_sa& sa, Exchange_type exch, std::uint32_t mid, const Fragment_fields& f,
                    Bytes plaintext, bool random_content = false) {
    const Cipher& cipher = *sa.cipher;
    const std::size_t block = cipher.block_size() ? cipher.block_size() : 1;
    const std::size_t pad = (block - (plaintext.size() + 1) % block) % block;
    plaintext.insert(plaintext.end(), pad, 0);
    plaintext.push_back(static_cast<std::uint8_t>(pad));
    Header h;
    h.SPIi = sa.SPIi;
    h.SPIr = sa.SPIr;
    h.exchange = exch;
    h.flags = sa.request_flags();
    h.message_id = mid;
    const Bytes iv = cx.peer.crypto().random(cipher.iv_size());
    const std::size_t icv = cipher.is_aead() ? 0 : sa.integ->icv_size();
    const std::size_t ct = plaintext.size() + (cipher.is_aead() ? cipher.icv_size() : 0);
    const std::size_t len = 8 + iv.size() + ct + icv;
    Bytes out = codec::encode_header(h, Payload_type::SKF, static_cast<std::uint32_t>(codec::header_size + len));
    out.push_back(f.next_payload);
    out.push_back(0);
    out.resize(out.size() + 6);
    put16(out, codec::header_size + 2, len);
    put16(out, codec::header_size + 4, f.number);
    put16(out, codec::header_size + 6, f.total);
    const Bytes aad(out.begin(), out.end());
    const auto keys = sa.send_keys();
    out.insert(out.end(), iv.begin(), iv.end());
    const Bytes c = random_content ? cx.peer.crypto().random(ct) : cipher.encrypt(keys.SK_e, iv, aad, plaintext);
    out.insert(out.end(), c.begin(), c.end());
    if (!cipher.is_aead()) {
        const Bytes mac = random_content ? cx.peer.crypto().random(icv) : sa.integ->compute(keys.SK_a, out);
        out.insert(out.end(), mac.begin(), mac.end());
    }
    return out;
}

/// F-AUTH's inner chain split into `n` fragments (MID 1).
std::vector<Bytes> auth_fragments(Case_context& cx, Ike_sa& sa, std::size_t n, const std::vector<Payload>& inner) {
    const Bytes plain = codec::encode_payload_chain(inner);
    std::vector<Bytes> out;
    const std::size_t part = (plain.size() + n - 1) / n;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t from = std::min(plain.size(), i * part), to = std::min(plain.size(), from + part);
        Fragment_fields f;
        f.number = static_cast<std::uint16_t>(i + 1);
        f.total = static_cast<std::uint16_t>(n);
        f.next_payload = i == 0 ? static_cast<std::uint8_t>(inner.front().type) : 0;
        out.push_back(seal_fragment(cx, sa, Exchange_type::IKE_AUTH, 1, f,
                                    Bytes(plain.begin() + static_cast<std::ptrdiff_t>(from), plain.begin() + static_cast<std::ptrdiff_t>(to))));
    }
    return out;
}

/// F-INIT with N(IKEV2_FRAGMENTATION_SUPPORTED); true when the NUT answered with it too.
bool init_with_fragmentation(Case_context& cx, Ike_sa& sa) {
    Init_spec spec;
    spec.after_nonce.push_back(notify(Notify_type::IKEV2_FRAGMENTATION_SUPPORTED));
    auto a = send_init(cx, sa, spec);
    if (!cx.expect(a && normal_init_response(*a), Level::MUST, "F-INIT with N(IKEV2_FRAGMENTATION_SUPPORTED)", "normal response",
                   cx.show(a), "RFC 7383 §2.3"))
        return false;
    const bool frag = a->has_notify(Notify_type::IKEV2_FRAGMENTATION_SUPPORTED);
    cx.expect(frag, Level::MUST, "IKE_SA_INIT response", "N(IKEV2_FRAGMENTATION_SUPPORTED) (fragmentation enabled)", a->describe(),
              "RFC 7383 §2.3");
    return frag && cx.peer.complete_init(sa, *a).empty();
}

/// Waits for the IKE_AUTH response (SK or SKF) and judges it; "" when established.
bool judge_auth(Case_context& cx, Ike_sa& sa, const std::string& step) {
    const Spi spi = sa.SPIi;
    auto a = cx.peer.wait_for([spi](const Answer& x) { return x.outer && x.outer->header.SPIi == spi && x.outer->header.is_response() &&
                                                             x.outer->header.exchange == Exchange_type::IKE_AUTH; },
                              cx.peer.W());
    if (a && !a->inner && a->outer && !a->outer->payloads.empty() && a->outer->payloads.back().type == Payload_type::SKF) {
        cx.note("the NUT fragmented its IKE_AUTH response (not reassembled by the runner)");
        cx.expect(true, Level::MUST, step, "an IKE_AUTH response", a->describe(), "RFC 7383 §2.6");
        return true;
    }
    std::string err = a ? cx.peer.complete_auth(sa, *a) : "silence";
    return cx.expect(err.empty(), Level::MUST, step, "a normal IKE_AUTH response; IKE SA established", err.empty() ? cx.show(a) : err,
                     "RFC 7383 §2.6");
}

/// Sends one fragment and waits 20 ms: a NUT may hand datagrams to several threads, and the
/// cases are about the order in which fragments arrive, so keep that order.
void send_one(Case_context& cx, const Bytes& fragment) {
    cx.peer.send_raw(fragment);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

void send_all(Case_context& cx, const std::vector<Bytes>& frags, const std::vector<std::size_t>& order) {
    for (auto i : order) send_one(cx, frags[i]);
}

void negotiation(Case_context& cx) {
    cx.sub("a");
    Ike_sa& sa = cx.peer.new_sa();
    init_with_fragmentation(cx, sa);
    cx.sub("b");
    Ike_sa& sb = cx.peer.new_sa();
    if (!init_ok(cx, sb, "F-INIT without N(IKEV2_FRAGMENTATION_SUPPORTED)")) return;
    Auth_spec spec;
    spec.extra_last.push_back(notify_raw(50000, Bytes(1400, 0x5a)));  // a large IKE_AUTH request
    auto inner = cx.peer.auth_payloads(sb, spec);
    auto a = cx.peer.request(sb, Exchange_type::IKE_AUTH, inner);
    const bool skf = a && a->outer && !a->outer->payloads.empty() && a->outer->payloads.back().type == Payload_type::SKF;
    cx.expect(a && !skf, Level::MUST, "large F-AUTH on an SA without fragmentation negotiated", "an unfragmented response (no SKF)",
              cx.show(a), "RFC 7383 §2.3");
}

void reassembly(Case_context& cx) {
    for (const auto& [name, order] : {std::pair<std::string, std::vector<std::size_t>>{"in-order", {0, 1, 2}}, {"3-1-2", {2, 0, 1}}}) {
        cx.sub(name);
        Ike_sa& sa = cx.peer.new_sa();
        if (!init_with_fragmentation(cx, sa)) continue;
        auto frags = auth_fragments(cx, sa, 3, cx.peer.auth_payloads(sa));
        send_all(cx, frags, order);
        judge_auth(cx, sa, "F-AUTH as 3 fragments, order " + name);
    }
}

void unauthenticated_fragment_ignored(Case_context& cx) {
    Ike_sa& sa = cx.peer.new_sa();
    if (!init_with_fragmentation(cx, sa)) return;
    auto frags = auth_fragments(cx, sa, 3, cx.peer.auth_payloads(sa));
    send_one(cx, frags[0]);
    Fragment_fields forged{2, 4, 0};
    send_one(cx, seal_fragment(cx, sa, Exchange_type::IKE_AUTH, 1, forged, Bytes(40, 0), true));
    send_all(cx, frags, {1, 2});
    judge_auth(cx, sa, "fragment 1/3, a forged 2/4 (random IV, content, ICV), then 2/3 and 3/3");
}

void total_fragments_change(Case_context& cx) {
    cx.sub("a");
    {
        Ike_sa& sa = cx.peer.new_sa();
        if (init_with_fragmentation(cx, sa)) {
            auto inner = cx.peer.auth_payloads(sa);
            auto three = auth_fragments(cx, sa, 3, inner);
            auto two = auth_fragments(cx, sa, 2, inner);
            send_all(cx, three, {0, 1});
            send_one(cx, two[0]);
            send_one(cx, three[2]);
            judge_auth(cx, sa, "1/3, 2/3, then 1/2 (lower total), then 3/3");
        }
    }
    cx.sub("b");
    Ike_sa& sa = cx.peer.new_sa();
    if (!init_with_fragmentation(cx, sa)) return;
    auto inner = cx.peer.auth_payloads(sa);
    auto three = auth_fragments(cx, sa, 3, inner);
    auto four = auth_fragments(cx, sa, 4, inner);
    send_one(cx, three[0]);
    send_all(cx, four, {0, 1, 2, 3});
    judge_auth(cx, sa, "1/3, then the 4-fragment set");
}

void fragment_field_checks(Case_context& cx) {
    const std::vector<std::tuple<std::string, std::string, Fragment_fields>> variants = {
        {"a", "Fragment Number 0", {0, 3, 0}},
        {"b", "Fragment Number 4 of 3", {4, 3, 0}},
        {"c", "Total Fragments 0", {2, 0, 0}},
        {"d", "Next Payload 35 in fragment 2", {2, 3, 35}}};
    for (const auto& [name, what, f] : variants) {
        cx.sub(name);
        Ike_sa& sa = cx.peer.new_sa();
        if (!init_with_fragmentation(cx, sa)) continue;
        auto frags = auth_fragments(cx, sa, 3, cx.peer.auth_payloads(sa));
        send_one(cx, seal_fragment(cx, sa, Exchange_type::IKE_AUTH, 1, f, Bytes(40, 0x29)));
        send_all(cx, frags, {0, 1, 2});
        const Spi spi = sa.SPIi;
        auto a = cx.peer.wait_for([spi](const Answer& x) { return x.outer && x.outer->header.SPIi == spi && x.outer->header.is_response(); },
                                  cx.peer.W());
        if (a && a->inner && a->has_notify(Notify_type::INVALID_SYNTAX)) {
            // RFC 7383's text is not on disk here (catalogue: Check 2nd); RFC 7296 §2.21 allows a
            // malformed request to be answered with INVALID_SYNTAX, so this is recorded, not judged.
            cx.note("the NUT answered the fragment with " + what + " with " + a->describe() + " (the SA is then gone)");
            cx.expect(true, Level::MAY, what, "dropped silently, or INVALID_SYNTAX", a->describe(), "RFC 7383 §2.5; RFC 7296 §2.21");
            continue;
        }
        std::string err = a ? cx.peer.complete_auth(sa, *a) : "silence";
        cx.expect(err.empty(), Level::MUST, "an otherwise valid fragment with " + what + ", then the correct set",
                  "the bad fragment dropped, the correct set completes", err.empty() ? cx.show(a) : err, "RFC 7383 §2.5, §2.6");
    }
}

void retransmitted_fragments(Case_context& cx) {
    Ike_sa& sa = cx.peer.new_sa();
    if (!init_with_fragmentation(cx, sa)) return;
    auto frags = auth_fragments(cx, sa, 3, cx.peer.auth_payloads(sa));
    send_all(cx, frags, {0, 1, 2});
    if (!judge_auth(cx, sa, "F-AUTH as 3 fragments")) return;
    cx.sub("a");
    send_one(cx, frags[1]);
    auto got = cx.peer.collect(sa.SPIi, cx.peer.W());
    cx.expect(got.empty(), Level::MUST, "fragment 2 resent alone", "no retransmission of the response",
              std::to_string(got.size()) + " datagrams", "RFC 7383 §2.6.1");
    cx.sub("b");
    send_one(cx, frags[0]);
    got = cx.peer.collect(sa.SPIi, cx.peer.W());
    std::size_t responses = 0;
    for (const auto& g : got)
        if (g.outer && g.outer->header.is_response() && g.outer->header.message_id == 1) ++responses;
    cx.expect(responses >= 1, Level::MUST, "fragment 1 resent alone", "the whole response resent", std::to_string(responses) + " datagrams",
              "RFC 7383 §2.6.1");
}

}  // namespace

void register_g15(std::vector<Case>& t) {
    const std::vector<std::string> frag = {"frag"};
    t.push_back({"IKEv2.R.7383-2.3.negotiation", "", Level::MUST, frag, negotiation, ""});
    t.push_back({"IKEv2.R.7383-2.6.reassembly", "", Level::MUST, frag, reassembly, ""});
    t.push_back({"IKEv2.R.7383-2.6.unauthenticated-fragment-ignored", "", Level::MUST, frag, unauthenticated_fragment_ignored, ""});
    t.push_back({"IKEv2.R.7383-2.6.total-fragments-change", "", Level::MUST, frag, total_fragments_change, ""});
    t.push_back({"IKEv2.R.7383-2.5.fragment-field-checks", "", Level::MUST, frag, fragment_field_checks, ""});
    t.push_back({"IKEv2.R.7383-2.6.1.retransmitted-fragments", "", Level::MUST, frag, retransmitted_fragments, ""});
}

}  // namespace ike::conform
