// G2: version numbers (RFC 7296 §2.5, §1.5, §3.1).
#include "conformance/runner/cases_common.hpp"

namespace ike::conform {
namespace {

void minor_version_higher(Case_context& cx) {
    Ike_sa& sa = cx.peer.new_sa();
    // §2.5: a higher minor version is processed as if it were the implementation's own.
    if (!init_ok(cx, sa, "F-INIT with version 0x21", {}, [](Bytes& b) { b[17] = 0x21; })) return;
    Seal_options opt;
    opt.version = 0x21;
    auth_ok(cx, sa, "F-AUTH with version 0x21", {}, opt);
}

void major_version_higher_init(Case_context& cx) {
    Ike_sa& sa = cx.peer.new_sa();
    auto a = send_init(cx, sa, {}, [](Bytes& b) { b[17] = 0x30; });
    cx.expect(!a || !normal_init_response(*a), Level::MUST, "F-INIT with version 0x30", "dropped: no IKE SA",
              cx.show(a), "RFC 7296 §2.5");
    const bool notify = a && a->outer && only_notify(*a, Notify_type::INVALID_MAJOR_VERSION) && !a->inner &&
                        a->outer->header.is_response() && a->d.bytes.size() > 17 && a->d.bytes[17] == 0x20;
    cx.expect(notify, Level::SHOULD, "answer to version 0x30",
              "unprotected IKE_SA_INIT response #0 { N(INVALID_MAJOR_VERSION) } with version 0x20", cx.show(a),
              "RFC 7296 §1.5, §2.5");
    if (notify && !a->notify(Notify_type::INVALID_MAJOR_VERSION)->data.empty())
        cx.note("INVALID_MAJOR_VERSION data " + to_hex(a->notify(Notify_type::INVALID_MAJOR_VERSION)->data));
}

void major_version_higher_established(Case_context& cx) {
    Ike_sa& sa = cx.established();
    Seal_options opt;
    opt.version = 0x30;
    auto a = cx.peer.request_mid(sa, Exchange_type::INFORMATIONAL, sa.next_mid, {}, opt);
    cx.expect(!(a && a->inner), Level::MUST, "INFORMATIONAL #2 { SK { } } with version 0x30",
              "not processed: no SK-protected answer", cx.show(a), "RFC 7296 §2.5");
    const bool notify = a && !a->inner && a->outer && a->has_notify(Notify_type::INVALID_MAJOR_VERSION) &&
                        a->outer->header.exchange == Exchange_type::INFORMATIONAL;
    cx.expect(notify, Level::SHOULD, "answer to version 0x30",
              "unprotected INFORMATIONAL response #2 { N(INVALID_MAJOR_VERSION) }", cx.show(a), "RFC 7296 §1.5, §2.5");
    expect_live(cx, sa, "MID 2 not consumed", Level::MUST, "RFC 7296 §2.5");
}

}  // namespace

void register_g2(std::vector<Case>& t) {
    t.push_back({"IKEv2.R.2.5.minor-version-higher", "", Level::MUST, {}, minor_version_higher, ""});
    t.push_back({"IKEv2.R.2.5.major-version-higher-init", "", Level::MUST, {}, major_version_higher_init, ""});
    t.push_back({"IKEv2.R.2.5.major-version-higher-established", "", Level::MUST, {},
                 major_version_higher_established, ""});
}

}  // namespace ike::conform
