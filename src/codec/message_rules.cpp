// ikeref codec: the message-rule table as data, and the one function that reads it.
// RFC 7296 §1.2, §1.3, §1.4, §2.16, §2.21.
#include "src/codec/message_rules.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace ike::codec {
namespace {

using E = Exchange_type;
using P = Payload_type;
constexpr bool request = false;
constexpr bool response = true;
constexpr bool in_SK = true;
constexpr bool plain = false;

// clang-format off
const std::vector<Payload_rule> rules = {
//  exchange            direction  form            payload     min max   SK      rule id
    // §1.2 HDR, SAi1, KEi, Ni -->   <-- HDR, SAr1, KEr, Nr, [CERTREQ]
    {E::IKE_SA_INIT,     request,  "initial",      P::SA,      1,  1,    plain, "7296-1.2-sa-init-request-needs-SA"},
    {E::IKE_SA_INIT,     request,  "initial",      P::KE,      1,  1,    plain, "7296-1.2-sa-init-request-needs-KE"},
    {E::IKE_SA_INIT,     request,  "initial",      P::Nonce,   1,  1,    plain, "7296-1.2-sa-init-request-needs-Ni"},
    {E::IKE_SA_INIT,     request,  "initial",      P::N,       0,  many, plain, "7296-1.2-sa-init-request-may-N"},
    {E::IKE_SA_INIT,     request,  "initial",      P::V,       0,  many, plain, "7296-1.2-sa-init-request-may-V"},
    {E::IKE_SA_INIT,     request,  "initial",      P::CERTREQ, 0,  many, plain, "7296-1.2-sa-init-request-may-CERTREQ"},
    {E::IKE_SA_INIT,     response, "initial",      P::SA,      1,  1,    plain, "7296-1.2-sa-init-response-needs-SA"},
    {E::IKE_SA_INIT,     response, "initial",      P::KE,      1,  1,    plain, "7296-1.2-sa-init-response-needs-KE"},
    {E::IKE_SA_INIT,     response, "initial",      P::Nonce,   1,  1,    plain, "7296-1.2-sa-init-response-needs-Nr"},
    {E::IKE_SA_INIT,     response, "initial",      P::N,       0,  many, plain, "7296-1.2-sa-init-response-may-N"},
    {E::IKE_SA_INIT,     response, "initial",      P::V,       0,  many, plain, "7296-1.2-sa-init-response-may-V"},
    {E::IKE_SA_INIT,     response, "initial",      P::CERTREQ, 0,  many, plain, "7296-1.2-sa-init-response-may-CERTREQ"},
    // §1.2 HDR, SK {IDi, [CERT,] [CERTREQ,] [IDr,] AUTH, SAi2, TSi, TSr} -->
    // (AUTH omitted when the initiator wants EAP, §2.16; SAi2/TSi/TSr omitted when childless, RFC 6023)
    {E::IKE_AUTH,        request,  "initial",      P::IDi,     1,  1,    in_SK, "7296-1.2-ike-auth-request-needs-IDi"},
    {E::IKE_AUTH,        request,  "initial",      P::CERT,    0,  many, in_SK, "7296-1.2-ike-auth-request-may-CERT"},
    {E::IKE_AUTH,        request,  "initial",      P::CERTREQ, 0,  many, in_SK, "7296-1.2-ike-auth-request-may-CERTREQ"},
    {E::IKE_AUTH,        request,  "initial",      P::IDr,     0,  1,    in_SK, "7296-1.2-ike-auth-request-may-IDr"},
    {E::IKE_AUTH,        request,  "initial",      P::AUTH,    0,  1,    in_SK, "7296-1.2-ike-auth-request-AUTH"},
    {E::IKE_AUTH,        request,  "initial",      P::SA,      0,  1,    in_SK, "7296-1.2-ike-auth-request-SAi2"},
    {E::IKE_AUTH,        request,  "initial",      P::TSi,     0,  1,    in_SK, "7296-1.2-ike-auth-request-TSi"},
    {E::IKE_AUTH,        request,  "initial",      P::TSr,     0,  1,    in_SK, "7296-1.2-ike-auth-request-TSr"},
    {E::IKE_AUTH,        request,  "initial",      P::CP,      0,  1,    in_SK, "7296-1.2-ike-auth-request-may-CP"},
    {E::IKE_AUTH,        request,  "initial",      P::N,       0,  many, in_SK, "7296-1.2-ike-auth-request-may-N"},
    {E::IKE_AUTH,        request,  "initial",      P::V,       0,  many, in_SK, "7296-1.2-ike-auth-request-may-V"},
    // §2.16 HDR, SK {EAP} -->   and the last round   HDR, SK {AUTH} -->
    {E::IKE_AUTH,        request,  "eap-continue", P::EAP,     1,  1,    in_SK, "7296-2.16-ike-auth-request-needs-EAP"},
    {E::IKE_AUTH,        request,  "eap-continue", P::N,       0,  many, in_SK, "7296-2.16-ike-auth-request-may-N"},
    {E::IKE_AUTH,        request,  "eap-continue", P::V,       0,  many, in_SK, "7296-2.16-ike-auth-request-may-V"},
    {E::IKE_AUTH,        request,  "eap-final",    P::AUTH,    1,  1,    in_SK, "7296-2.16-ike-auth-request-needs-AUTH"},
    {E::IKE_AUTH,        request,  "eap-final",    P::N,       0,  many, in_SK, "7296-2.16-ike-auth-request-final-may-N"},
    {E::IKE_AUTH,        request,  "eap-final",    P::V,       0,  many, in_SK, "7296-2.16-ike-auth-request-final-may-V"},
    // §1.2 <-- HDR, SK {IDr, [CERT,] AUTH, SAr2, TSi, TSr}  (SAr2/TSi/TSr absent when the
    // CHILD SA failed, §1.2 last paragraphs, or childless)
    {E::IKE_AUTH,        response, "initial",      P::IDr,     1,  1,    in_SK, "7296-1.2-ike-auth-response-needs-IDr"},
    {E::IKE_AUTH,        response, "initial",      P::CERT,    0,  many, in_SK, "7296-1.2-ike-auth-response-may-CERT"},
    {E::IKE_AUTH,        response, "initial",      P::AUTH,    1,  1,    in_SK, "7296-1.2-ike-auth-response-needs-AUTH"},
    {E::IKE_AUTH,        response, "initial",      P::SA,      0,  1,    in_SK, "7296-1.2-ike-auth-response-SAr2"},
    {E::IKE_AUTH,        response, "initial",      P::TSi,     0,  1,    in_SK, "7296-1.2-ike-auth-response-TSi"},
    {E::IKE_AUTH,        response, "initial",      P::TSr,     0,  1,    in_SK, "7296-1.2-ike-auth-response-TSr"},
    {E::IKE_AUTH,        response, "initial",      P::CP,      0,  1,    in_SK, "7296-1.2-ike-auth-response-may-CP"},
    {E::IKE_AUTH,        response, "initial",      P::N,       0,  many, in_SK, "7296-1.2-ike-auth-response-may-N"},
    {E::IKE_AUTH,        response, "initial",      P::V,       0,  many, in_SK, "7296-1.2-ike-auth-response-may-V"},
    // §2.16 <-- HDR, SK {IDr, [CERT,] AUTH, EAP}
    {E::IKE_AUTH,        response, "eap-first",    P::IDr,     1,  1,    in_SK, "7296-2.16-ike-auth-response-needs-IDr"},
    {E::IKE_AUTH,        response, "eap-first",    P::CERT,    0,  many, in_SK, "7296-2.16-ike-auth-response-may-CERT"},
    {E::IKE_AUTH,        response, "eap-first",    P::AUTH,    0,  1,    in_SK, "7296-2.16-ike-auth-response-AUTH"},
    {E::IKE_AUTH,        response, "eap-first",    P::EAP,     1,  1,    in_SK, "7296-2.16-ike-auth-response-needs-EAP"},
    {E::IKE_AUTH,        response, "eap-first",    P::N,       0,  many, in_SK, "7296-2.16-ike-auth-response-first-may-N"},
    {E::IKE_AUTH,        response, "eap-first",    P::V,       0,  many, in_SK, "7296-2.16-ike-auth-response-first-may-V"},
    // §2.16 <-- HDR, SK {EAP}
    {E::IKE_AUTH,        response, "eap-continue", P::EAP,     1,  1,    in_SK, "7296-2.16-ike-auth-response-continue-needs-EAP"},
    {E::IKE_AUTH,        response, "eap-continue", P::N,       0,  many, in_SK, "7296-2.16-ike-auth-response-continue-may-N"},
    {E::IKE_AUTH,        response, "eap-continue", P::V,       0,  many, in_SK, "7296-2.16-ike-auth-response-continue-may-V"},
    // §2.16 <-- HDR, SK {AUTH, SAr2, TSi, TSr}
    {E::IKE_AUTH,        response, "eap-final",    P::AUTH,    1,  1,    in_SK, "7296-2.16-ike-auth-response-final-needs-AUTH"},
    {E::IKE_AUTH,        response, "eap-final",    P::SA,      0,  1,    in_SK, "7296-2.16-ike-auth-response-final-SAr2"},
    {E::IKE_AUTH,        response, "eap-final",    P::TSi,     0,  1,    in_SK, "7296-2.16-ike-auth-response-final-TSi"},
    {E::IKE_AUTH,        response, "eap-final",    P::TSr,     0,  1,    in_SK, "7296-2.16-ike-auth-response-final-TSr"},
    {E::IKE_AUTH,        response, "eap-final",    P::CP,      0,  1,    in_SK, "7296-2.16-ike-auth-response-final-may-CP"},
    {E::IKE_AUTH,        response, "eap-final",    P::N,       0,  many, in_SK, "7296-2.16-ike-auth-response-final-may-N"},
    {E::IKE_AUTH,        response, "eap-final",    P::V,       0,  many, in_SK, "7296-2.16-ike-auth-response-final-may-V"},
    // §1.3.1/§1.3.2/§1.3.3 HDR, SK {[N(REKEY_SA)], SA, Ni, [KEi], [TSi, TSr]} -->
    {E::CREATE_CHILD_SA, request,  "initial",      P::SA,      1,  1,    in_SK, "7296-1.3-create-child-sa-request-needs-SA"},
    {E::CREATE_CHILD_SA, request,  "initial",      P::Nonce,   1,  1,    in_SK, "7296-1.3-create-child-sa-request-needs-Ni"},
    {E::CREATE_CHILD_SA, request,  "initial",      P::KE,      0,  1,    in_SK, "7296-1.3-create-child-sa-request-may-KEi"},
    {E::CREATE_CHILD_SA, request,  "initial",      P::TSi,     0,  1,    in_SK, "7296-1.3-create-child-sa-request-TSi"},
    {E::CREATE_CHILD_SA, request,  "initial",      P::TSr,     0,  1,    in_SK, "7296-1.3-create-child-sa-request-TSr"},
    {E::CREATE_CHILD_SA, request,  "initial",      P::N,       0,  many, in_SK, "7296-1.3-create-child-sa-request-may-N"},
    {E::CREATE_CHILD_SA, request,  "initial",      P::V,       0,  many, in_SK, "7296-1.3-create-child-sa-request-may-V"},
    // <-- HDR, SK {SA, Nr, [KEr], [TSi, TSr]}
    {E::CREATE_CHILD_SA, response, "initial",      P::SA,      1,  1,    in_SK, "7296-1.3-create-child-sa-response-needs-SA"},
    {E::CREATE_CHILD_SA, response, "initial",      P::Nonce,   1,  1,    in_SK, "7296-1.3-create-child-sa-response-needs-Nr"},
    {E::CREATE_CHILD_SA, response, "initial",      P::KE,      0,  1,    in_SK, "7296-1.3-create-child-sa-response-may-KEr"},
    {E::CREATE_CHILD_SA, response, "initial",      P::TSi,     0,  1,    in_SK, "7296-1.3-create-child-sa-response-TSi"},
    {E::CREATE_CHILD_SA, response, "initial",      P::TSr,     0,  1,    in_SK, "7296-1.3-create-child-sa-response-TSr"},
    {E::CREATE_CHILD_SA, response, "initial",      P::N,       0,  many, in_SK, "7296-1.3-create-child-sa-response-may-N"},
    {E::CREATE_CHILD_SA, response, "initial",      P::V,       0,  many, in_SK, "7296-1.3-create-child-sa-response-may-V"},
    // §1.4 HDR, SK {[N,] [D,] [CP,] ...} -->   (an empty SK is the liveness check, §2.4)
    {E::INFORMATIONAL,   request,  "initial",      P::N,       0,  many, in_SK, "7296-1.4-informational-request-may-N"},
    {E::INFORMATIONAL,   request,  "initial",      P::D,       0,  many, in_SK, "7296-1.4-informational-request-may-D"},
    {E::INFORMATIONAL,   request,  "initial",      P::CP,      0,  1,    in_SK, "7296-1.4-informational-request-may-CP"},
    {E::INFORMATIONAL,   request,  "initial",      P::V,       0,  many, in_SK, "7296-1.4-informational-request-may-V"},
    {E::INFORMATIONAL,   response, "initial",      P::N,       0,  many, in_SK, "7296-1.4-informational-response-may-N"},
    {E::INFORMATIONAL,   response, "initial",      P::D,       0,  many, in_SK, "7296-1.4-informational-response-may-D"},
    {E::INFORMATIONAL,   response, "initial",      P::CP,      0,  1,    in_SK, "7296-1.4-informational-response-may-CP"},
    {E::INFORMATIONAL,   response, "initial",      P::V,       0,  many, in_SK, "7296-1.4-informational-response-may-V"},
};
// clang-format on

// Types the table decides: RFC 7296 §3.2 (33..48) and SKF (53, RFC 7383 §2.5). A type
// without a row in a form is forbidden in it; SK and SKF have no row anywhere, so an inner
// chain holding them (or an IKE_SA_INIT carrying them) is refused.
bool is_rfc7296_payload(Payload_type t) {
    const auto v = static_cast<unsigned>(t);
    return (v >= 33 && v <= 48) || v == 53;
}

std::string direction(bool is_response) { return is_response ? "response" : "request"; }

// §1.2, §2.6, §2.21: a response made only of Notify (and Vendor ID) payloads, carrying an error
// notify, COOKIE or REDIRECT (RFC 5685), reports a failure instead of the normal answer.
bool is_error_notify_only_response(const Message& m) {
    if (!m.header.is_response()) return false;
    bool has_error = false;
    for (const auto& p : m.payloads) {
        if (p.type == Payload_type::V) continue;
        if (p.type != Payload_type::N) return false;
        const auto* n = std::get_if<Payload_N>(&p.body);
        if (n == nullptr) return false;
        const auto t = static_cast<Notify_type>(n->type);
        if (is_error(t) || t == Notify_type::COOKIE || n->type == 16407 /* REDIRECT */)
            has_error = true;
    }
    return has_error;
}

// "7296-<section of the form's first row>-<exchange>-<direction>-allows-no-<payload>".
std::string not_allowed_rule(const Message& m, const Payload_rule& first_row, Payload_type type) {
    const std::string first(first_row.rule);
    const auto dash = first.find('-', 5);
    std::string exchange = to_string(m.header.exchange);
    for (char& c : exchange) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
    return first.substr(0, dash) + "-" + exchange + "-" + direction(first_row.response) +
           "-allows-no-" + to_string(type);
}

std::optional<Rule_violation> check_form(const Message& m, const std::vector<const Payload_rule*>& form) {
    const std::string name = to_string(m.header.exchange) + " " + direction(m.header.is_response());
    std::map<Payload_type, unsigned> count;
    // [7296-2.5-s11] payloads are counted per type, their order is never checked.
    for (const auto& p : m.payloads)
        if (is_rfc7296_payload(p.type)) ++count[p.type];
    for (const auto& [type, n] : count) {
        auto row = std::find_if(form.begin(), form.end(),
                                [t = type](const Payload_rule* r) { return r->payload == t; });
        if (row == form.end())
            return Rule_violation{not_allowed_rule(m, *form.front(), type),
                                  name + " (" + form.front()->form + ") may not carry " +
                                      to_string(type)};
        if (n > (*row)->max)
            return Rule_violation{(*row)->rule, name + " carries " + std::to_string(n) + " " +
                                                    to_string(type) + ", at most " +
                                                    std::to_string((*row)->max) + " allowed"};
    }
    for (const Payload_rule* r : form) {
        const unsigned n = count.count(r->payload) ? count[r->payload] : 0;
        if (n < r->min)
            return Rule_violation{r->rule, name + " lacks " + to_string(r->payload)};
    }
    return std::nullopt;
}

}  // namespace

const std::vector<Payload_rule>& message_rule_table() { return rules; }

std::optional<Payload_type> unsupported_critical_payload(const std::vector<Payload>& payloads) {
    for (const auto& p : payloads) {
        if (p.critical && std::holds_alternative<Payload_unknown>(p.body)) return p.type;
    }
    return std::nullopt;
}

std::optional<Rule_violation> check_message_rules(const Message& m) {
    const bool is_response = m.header.is_response();
    // The forms of this (exchange, direction), in table order.
    std::vector<std::vector<const Payload_rule*>> forms;
    for (const auto& r : rules) {
        if (r.exchange != m.header.exchange || r.response != is_response) continue;
        if (forms.empty() || std::string(forms.back().front()->form) != r.form) forms.emplace_back();
        forms.back().push_back(&r);
    }
    if (forms.empty())
        return Rule_violation{"7296-3.1-exchange-type",
                              "no message rules for exchange type " + to_string(m.header.exchange)};
    // §3.14: IKE_SA_INIT is never protected; every later exchange carries its payloads in SK.
    const bool inside_SK = forms.front().front()->inside_SK;
    if (inside_SK != m.was_protected)
        return Rule_violation{inside_SK ? "7296-3.14-payloads-inside-SK" : "7296-1.2-sa-init-not-protected",
                              to_string(m.header.exchange) +
                                  (inside_SK ? " payloads must be inside SK"
                                             : " must not be protected")};
    if (is_error_notify_only_response(m)) return std::nullopt;
    std::optional<Rule_violation> first;
    for (const auto& form : forms) {
        auto v = check_form(m, form);
        if (!v) return std::nullopt;
        if (!first) first = std::move(v);
    }
    return first;
}

}  // namespace ike::codec
