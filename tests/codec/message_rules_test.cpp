// Tests of src/codec/message_rules.cpp: the message-rule table (RFC 7296 §1.2–§1.4, §2.16, §2.21).
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "src/codec/message_rules.hpp"
#include "tests/codec/codec_test_util.hpp"

namespace ike {
namespace {

using namespace ike::test;
using P = Payload_type;

Message msg(Exchange_type x, bool response, std::vector<Payload> payloads, bool in_sk) {
    Message m;
    m.header.exchange = x;
    m.header.flags = response ? flag::Response : flag::Initiator;
    m.header.message_id = x == Exchange_type::IKE_SA_INIT ? 0 : 1;
    m.payloads = std::move(payloads);
    m.was_protected = in_sk;
    return m;
}

Payload p(P t) {
    switch (t) {
        case P::SA: return payload(t, Payload_SA{});
        case P::KE: return payload(t, Payload_KE{});
        case P::Nonce: return payload(t, Payload_Nonce{});
        case P::IDi:
        case P::IDr: return payload(t, Payload_ID{});
        case P::AUTH: return payload(t, Payload_AUTH{});
        case P::TSi:
        case P::TSr: return payload(t, Payload_TS{});
        case P::D: return payload(t, Payload_D{});
        case P::V: return payload(t, Payload_V{});
        case P::CERT: return payload(t, Payload_CERT{});
        case P::CERTREQ: return payload(t, Payload_CERTREQ{});
        case P::CP: return payload(t, Payload_CP{});
        case P::EAP: return payload(t, Payload_EAP{});
        case P::SKF: return payload(t, Payload_SKF{});
        default: return payload(t, Payload_unknown{});
    }
}

std::string rule_of(const Message& m) {
    auto v = codec::check_message_rules(m);
    return v ? v->rule : std::string();
}

TEST(Message_rules, real_IKE_SA_INIT_messages_pass) {
    for (const auto& b : aes128ccm12_messages()) {
        const Message m = decode_ok(b);
        if (m.header.exchange == Exchange_type::IKE_SA_INIT) {
            EXPECT_EQ(rule_of(m), "") << describe(m);
        }
    }
    // ikev2four: request, N(COOKIE)-only response, request with cookie, response.
    const auto four = ike_messages_of_capture("tcpdump-isakmp/ikev2four.pcap");
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(rule_of(decode_ok(four[i])), "") << i;
}

TEST(Message_rules, IKE_SA_INIT_without_Ni_names_the_rule) {
    const auto m = msg(Exchange_type::IKE_SA_INIT, false, {p(P::SA), p(P::KE)}, false);
    auto v = codec::check_message_rules(m);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->rule, "7296-1.2-sa-init-request-needs-Ni");
    EXPECT_NE(v->text.find("Nonce"), std::string::npos);
}

TEST(Message_rules, IKE_SA_INIT_without_KE) {
    EXPECT_EQ(rule_of(msg(Exchange_type::IKE_SA_INIT, false, {p(P::SA), p(P::Nonce)}, false)),
              "7296-1.2-sa-init-request-needs-KE");
    EXPECT_EQ(rule_of(msg(Exchange_type::IKE_SA_INIT, true, {p(P::SA), p(P::Nonce)}, false)),
              "7296-1.2-sa-init-response-needs-KE");
}

TEST(Message_rules, IKE_SA_INIT_with_two_SA_or_foreign_payload) {
    EXPECT_EQ(rule_of(msg(Exchange_type::IKE_SA_INIT, false, {p(P::SA), p(P::SA), p(P::KE), p(P::Nonce)}, false)),
              "7296-1.2-sa-init-request-needs-SA");
    EXPECT_EQ(rule_of(msg(Exchange_type::IKE_SA_INIT, false, {p(P::SA), p(P::KE), p(P::Nonce), p(P::IDi)}, false)),
              "7296-1.2-ike-sa-init-request-allows-no-IDi");
    EXPECT_EQ(rule_of(msg(Exchange_type::IKE_SA_INIT, false, {p(P::SA), p(P::KE), p(P::Nonce)}, true)),
              "7296-1.2-sa-init-not-protected");
}

TEST(Message_rules, payload_order_is_not_enforced) {
    EXPECT_EQ(rule_of(msg(Exchange_type::IKE_SA_INIT, false, {p(P::Nonce), p(P::V), p(P::KE), p(P::SA)}, false)), "");
}

TEST(Message_rules, notify_only_error_responses_pass) {
    for (Notify_type t : {Notify_type::INVALID_KE_PAYLOAD, Notify_type::NO_PROPOSAL_CHOSEN, Notify_type::COOKIE})
        EXPECT_EQ(rule_of(msg(Exchange_type::IKE_SA_INIT, true, {notify(t)}, false)), "") << to_string(t);
    EXPECT_EQ(rule_of(msg(Exchange_type::IKE_AUTH, true, {notify(Notify_type::AUTHENTICATION_FAILED)}, true)), "");
    EXPECT_EQ(rule_of(msg(Exchange_type::CREATE_CHILD_SA, true, {notify(Notify_type::NO_ADDITIONAL_SAS)}, true)), "");
    // A status notify alone is not an answer, and a request is never excused.
    EXPECT_EQ(rule_of(msg(Exchange_type::IKE_SA_INIT, true, {notify(Notify_type::NAT_DETECTION_SOURCE_IP)}, false)),
              "7296-1.2-sa-init-response-needs-SA");
    EXPECT_EQ(rule_of(msg(Exchange_type::IKE_SA_INIT, false, {notify(Notify_type::COOKIE)}, false)),
              "7296-1.2-sa-init-request-needs-SA");
}

TEST(Message_rules, IKE_AUTH_without_IDi) {
    EXPECT_EQ(rule_of(msg(Exchange_type::IKE_AUTH, false, {p(P::AUTH), p(P::SA), p(P::TSi), p(P::TSr)}, true)),
              "7296-1.2-ike-auth-request-needs-IDi");
}

TEST(Message_rules, IKE_AUTH_forms) {
    using X = Exchange_type;
    EXPECT_EQ(rule_of(msg(X::IKE_AUTH, false, {p(P::IDi), p(P::AUTH), p(P::SA), p(P::TSi), p(P::TSr), notify(Notify_type::INITIAL_CONTACT)}, true)), "");
    EXPECT_EQ(rule_of(msg(X::IKE_AUTH, false, {p(P::IDi), p(P::SA), p(P::TSi), p(P::TSr)}, true)), "");  // EAP wanted
    EXPECT_EQ(rule_of(msg(X::IKE_AUTH, false, {p(P::EAP)}, true)), "");
    EXPECT_EQ(rule_of(msg(X::IKE_AUTH, false, {p(P::AUTH)}, true)), "");
    EXPECT_EQ(rule_of(msg(X::IKE_AUTH, true, {p(P::IDr), p(P::AUTH), p(P::SA), p(P::TSi), p(P::TSr)}, true)), "");
    EXPECT_EQ(rule_of(msg(X::IKE_AUTH, true, {p(P::IDr), p(P::AUTH), notify(Notify_type::TS_UNACCEPTABLE)}, true)), "");
    EXPECT_EQ(rule_of(msg(X::IKE_AUTH, true, {p(P::IDr), p(P::AUTH), p(P::EAP)}, true)), "");
    EXPECT_EQ(rule_of(msg(X::IKE_AUTH, true, {p(P::IDr), p(P::SA)}, true)), "7296-1.2-ike-auth-response-needs-AUTH");
    EXPECT_EQ(rule_of(msg(X::IKE_AUTH, false, {p(P::IDi), p(P::AUTH), p(P::KE)}, true)), "7296-1.2-ike-auth-request-allows-no-KE");
    EXPECT_EQ(rule_of(msg(X::IKE_AUTH, false, {p(P::IDi), p(P::AUTH)}, false)), "7296-3.14-payloads-inside-SK");
}

TEST(Message_rules, CREATE_CHILD_SA_and_INFORMATIONAL) {
    using X = Exchange_type;
    EXPECT_EQ(rule_of(msg(X::CREATE_CHILD_SA, false, {notify(Notify_type::REKEY_SA), p(P::SA), p(P::Nonce), p(P::TSi), p(P::TSr)}, true)), "");
    EXPECT_EQ(rule_of(msg(X::CREATE_CHILD_SA, false, {p(P::SA), p(P::Nonce), p(P::KE)}, true)), "");
    EXPECT_EQ(rule_of(msg(X::CREATE_CHILD_SA, true, {p(P::SA), p(P::TSi), p(P::TSr)}, true)), "7296-1.3-create-child-sa-response-needs-Nr");
    EXPECT_EQ(rule_of(msg(X::INFORMATIONAL, false, {}, true)), "");
    EXPECT_EQ(rule_of(msg(X::INFORMATIONAL, false, {p(P::D), p(P::D)}, true)), "");
    EXPECT_EQ(rule_of(msg(X::INFORMATIONAL, true, {p(P::SA)}, true)), "7296-1.4-informational-response-allows-no-SA");
    EXPECT_EQ(rule_of(msg(static_cast<X>(99), false, {}, true)), "7296-3.1-exchange-type");
}

TEST(Message_rules, unknown_payload_types_are_left_to_the_caller) {
    EXPECT_EQ(rule_of(msg(Exchange_type::INFORMATIONAL, false, {payload(static_cast<P>(100), Payload_unknown{}, true)}, true)), "");
}

TEST(Message_rules, table_rows_are_well_formed) {
    std::set<std::string> ids;
    for (const auto& r : codec::message_rule_table()) {
        EXPECT_TRUE(ids.insert(r.rule).second) << "duplicate rule id " << r.rule;
        EXPECT_LE(r.min, r.max) << r.rule;
        EXPECT_EQ(std::string(r.rule).rfind("7296-", 0), 0u) << r.rule;
        // §3.14: only IKE_SA_INIT is unprotected.
        EXPECT_EQ(r.inside_SK, r.exchange != Exchange_type::IKE_SA_INIT) << r.rule;
        // A required row says so in its id, an optional one does not.
        EXPECT_EQ(r.min > 0, std::string(r.rule).find("-needs-") != std::string::npos) << r.rule;
    }
    EXPECT_GT(ids.size(), 50u);
}

}  // namespace
}  // namespace ike

// --- invariants of the table (issue 3 "done when" item 2) ----------------------------------
namespace ike {
namespace {

using namespace ike::test;
using P = Payload_type;

// Every payload type the table decides: RFC 7296 §3.2 (33..48) and SKF (RFC 7383 §2.5).
std::vector<P> decided_types() {
    std::vector<P> out;
    for (unsigned v = 33; v <= 48; ++v) out.push_back(static_cast<P>(v));
    out.push_back(P::SKF);
    return out;
}

struct Form_key {
    Exchange_type exchange;
    bool response;
    std::string form;
    bool operator<(const Form_key& o) const {
        return std::tie(exchange, response, form) < std::tie(o.exchange, o.response, o.form);
    }
};

std::map<Form_key, std::vector<const codec::Payload_rule*>> forms() {
    std::map<Form_key, std::vector<const codec::Payload_rule*>> out;
    for (const auto& r : codec::message_rule_table()) out[{r.exchange, r.response, r.form}].push_back(&r);
    return out;
}

TEST(Message_rule_invariants, SK_and_SKF_are_envelopes_never_rows) {
    for (const auto& r : codec::message_rule_table()) {
        EXPECT_NE(r.payload, P::SK) << r.rule;
        EXPECT_NE(r.payload, P::SKF) << r.rule;
    }
}

TEST(Message_rule_invariants, nothing_inside_SK_in_IKE_SA_INIT_everything_inside_SK_elsewhere) {
    for (const auto& r : codec::message_rule_table())
        EXPECT_EQ(r.inside_SK, r.exchange != Exchange_type::IKE_SA_INIT) << r.rule;
}

TEST(Message_rule_invariants, rule_ids_unique_and_bounds_sane) {
    std::set<std::string> ids;
    for (const auto& r : codec::message_rule_table()) {
        EXPECT_TRUE(ids.insert(r.rule).second) << "duplicate " << r.rule;
        EXPECT_LE(r.min, r.max) << r.rule;
        EXPECT_GE(r.max, 1u) << r.rule;
    }
    for (const auto& [key, rows] : forms()) {
        std::set<P> seen;
        for (const auto* r : rows) EXPECT_TRUE(seen.insert(r->payload).second) << "two rows for one payload in " << r->rule;
    }
}

// The minimal message of a form: each payload at its minimum count.
Message minimal(const Form_key& key, const std::vector<const codec::Payload_rule*>& rows) {
    std::vector<Payload> ps;
    for (const auto* r : rows)
        for (unsigned i = 0; i < r->min; ++i) ps.push_back(p(r->payload));
    return msg(key.exchange, key.response, ps, key.exchange != Exchange_type::IKE_SA_INIT);
}

TEST(Message_rule_invariants, every_payload_type_is_allowed_or_forbidden_per_form_as_its_rows_say) {
    for (const auto& [key, rows] : forms()) {
        const Message base = minimal(key, rows);
        ASSERT_EQ(rule_of(base), "") << describe(base) << " (" << key.form << ")";
        for (P t : decided_types()) {
            const auto row = std::find_if(rows.begin(), rows.end(), [t](const auto* r) { return r->payload == t; });
            Message m = base;
            m.payloads.push_back(p(t));
            const unsigned now = static_cast<unsigned>(std::count_if(
                m.payloads.begin(), m.payloads.end(), [t](const Payload& q) { return q.type == t; }));
            const bool allowed_by_row = row != rows.end() && now <= (*row)->max;
            // Another form of the same exchange may still accept the message; only the
            // allowed-by-row direction is certain.
            if (allowed_by_row) {
                EXPECT_EQ(rule_of(m), "") << to_string(t) << " in " << describe(m) << " (" << key.form << ")";
            } else {
                bool some_form_has_it = false;
                for (const auto& [k2, rows2] : forms())
                    if (k2.exchange == key.exchange && k2.response == key.response) {
                        for (const auto* r : rows2) some_form_has_it |= r->payload == t;
                    }
                if (!some_form_has_it) {
                    EXPECT_NE(rule_of(m), "") << to_string(t) << " in " << describe(m) << " (" << key.form << ")";
                }
            }
        }
    }
}

TEST(Message_rule_invariants, protection_must_match_the_exchange) {
    for (const auto& [key, rows] : forms()) {
        Message m = minimal(key, rows);
        m.was_protected = !m.was_protected;
        EXPECT_NE(rule_of(m), "") << describe(m);
    }
}

}  // namespace
TEST(Message_rules, unsupported_critical_payload_names_the_first_unknown_payload_with_the_critical_flag) {
    // RFC 7296 §2.5: only an unrecognized payload with the Critical flag rejects the message.
    auto payload = [](Payload_type t, bool critical, Payload_body b) {
        Payload p;
        p.type = t;
        p.critical = critical;
        p.body = std::move(b);
        return p;
    };
    const auto unknown = [](std::uint8_t t) { return static_cast<Payload_type>(t); };
    std::vector<Payload> chain{payload(Payload_type::Nonce, true, Payload_Nonce{Bytes(16, 1)}),  // known, critical
                               payload(unknown(200), false, Payload_unknown{Bytes{1, 2}})};      // unknown, not critical
    EXPECT_FALSE(codec::unsupported_critical_payload(chain));
    chain.push_back(payload(unknown(201), true, Payload_unknown{Bytes{}}));
    chain.push_back(payload(unknown(202), true, Payload_unknown{Bytes{}}));
    const auto t = codec::unsupported_critical_payload(chain);
    ASSERT_TRUE(t);
    EXPECT_EQ(static_cast<int>(*t), 201);
}

}  // namespace ike
