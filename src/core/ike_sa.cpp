// One IKE SA: carries out what the MSM rows decide. RFC 7296 §1.2, §1.4.1, §2.1–§2.2, §2.6,
// §2.14–§2.17, §2.21, §2.23.
#include "src/core/ike_sa.hpp"

#include <algorithm>
#include <cmath>

#include "src/codec/codec.hpp"
#include "src/codec/message_rules.hpp"
#include "src/codec/proposal_keywords.hpp"
#include "src/core/authentication.hpp"
#include "src/core/negotiation.hpp"
#include "src/core/sk_payload.hpp"

namespace ike::core {

namespace {

constexpr std::size_t nonce_size = 32;     // §2.10: at least half the PRF key size; 32 suits every PRF here
constexpr unsigned max_cookie_tries = 3;   // §2.6: bounded so a hostile responder cannot loop us
constexpr unsigned max_ke_tries = 2;       // §1.2: one retry per group we offer is enough

template <class T>
const T* body_of(const Message& m, Payload_type type) {
    const Payload* p = m.find(type);
    return p ? std::get_if<T>(&p->body) : nullptr;
}

Payload make(Payload_type t, Payload_body b) {
    Payload p;
    p.type = t;
    p.body = std::move(b);
    return p;
}

Payload notify(Notify_type type, Bytes data = {}, Protocol_id proto = Protocol_id::NONE, Bytes spi = {}) {
    Payload_N n;
    n.protocol = proto;
    n.spi = std::move(spi);
    n.type = static_cast<std::uint16_t>(type);
    n.data = std::move(data);
    return make(Payload_type::N, std::move(n));
}

std::uint32_t random_spi32(Crypto_provider& c) {
    for (;;) {
        const Bytes b = c.random(4);
        const std::uint32_t v = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                                (std::uint32_t{b[2]} << 8) | b[3];
        if (v >= 256) return v;  // RFC 4303 §2.1: 1..255 are reserved
    }
}

Bytes spi_octets(std::uint32_t v) {
    return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
            static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

std::uint32_t spi_value(const Bytes& b) {
    std::uint32_t v = 0;
    for (auto o : b) v = (v << 8) | o;
    return v;
}

bool has_error_notify(const Message& m) {
    for (const auto& p : m.payloads) {
        if (auto n = std::get_if<Payload_N>(&p.body); n && p.type == Payload_type::N && n->type < 16384) {
            return true;
        }
    }
    return false;
}

std::string first_error_notify(const Message& m) {
    for (const auto& p : m.payloads) {
        if (auto n = std::get_if<Payload_N>(&p.body); n && p.type == Payload_type::N && n->type < 16384) {
            return to_string(static_cast<Notify_type>(n->type));
        }
    }
    return "";
}

}  // namespace

Ike_sa::Ike_sa(Core& core, const Connection_config& conn, bool original_initiator, Spi our_spi,
               Address local, Address remote)
    : core_(core),
      conn_(&conn),
      original_initiator_(original_initiator),
      local_(std::move(local)),
      remote_(std::move(remote)),
      lifecycle_(*this) {
    (original_initiator_ ? SPIi_ : SPIr_) = our_spi;
    reply_local_ = local_;
    reply_remote_ = remote_;
}

Ike_sa::~Ike_sa() = default;

bool Ike_sa::half_open() const {
    return std::string(lifecycle_.state()) == "Half_open";
}

// ---- delivering events ------------------------------------------------------------------

template <class Event>
void Ike_sa::deliver(const Event& e) {
    dispatch_ = [this, &e] { route(e); };
    lifecycle_.process(e);
    dispatch_ = nullptr;
    while (!completions_.empty()) {
        auto next = std::move(completions_.front());
        completions_.erase(completions_.begin());
        next();
    }
}

template <class Event>
void Ike_sa::route(const Event& e) {
    using namespace model;
    if constexpr (std::is_same_v<Event, ev::IKE_AUTH_request_received>) {
        if (!auth_) auth_ = std::make_unique<IKE_AUTH_machine>(*this);
        auth_->process(e);
    } else if constexpr (std::is_same_v<Event, ev::IKE_AUTH_response_received>) {
        if (auth_) auth_->process(e);
    } else if constexpr (std::is_same_v<Event, ev::INFORMATIONAL_request_received>) {
        INFORMATIONAL_machine responder(*this);  // one machine per exchange in flight
        responder.process(e);
    } else if constexpr (std::is_same_v<Event, ev::INFORMATIONAL_response_received>) {
        if (info_) info_->process(e);
    } else if constexpr (std::is_same_v<Event, ev::Error_notify_received>) {
        if (auth_) {
            auth_->process(e);
        } else if (init_) {
            init_->process(e);
        }
    } else {
        if (init_) init_->process(e);
    }
    check_completions();
}

void Ike_sa::check_completions() {
    using namespace model;
    auto done = [](const char* s) { return std::string(s) == "Completed"; };
    auto failed = [](const char* s) { return std::string(s) == "Failed"; };
    if (init_ && !init_reported_ && (done(init_->state()) || failed(init_->state()))) {
        init_reported_ = true;
        const bool ok = done(init_->state());
        completions_.push_back([this, ok] {
            ok ? lifecycle_.process(ev::IKE_SA_INIT_completed{}) : lifecycle_.process(ev::Exchange_failed{});
        });
    }
    if (auth_ && !auth_reported_ && (done(auth_->state()) || failed(auth_->state()))) {
        auth_reported_ = true;
        const bool ok = done(auth_->state());
        completions_.push_back([this, ok] {
            ok ? lifecycle_.process(ev::IKE_AUTH_completed{}) : lifecycle_.process(ev::Exchange_failed{});
        });
    }
    if (info_ && !info_reported_ && (done(info_->state()) || failed(info_->state()))) {
        info_reported_ = true;
        const bool ok = done(info_->state());
        completions_.push_back([this, ok] {
            ok ? lifecycle_.process(ev::Delete_completed{}) : lifecycle_.process(ev::Exchange_failed{});
        });
    }
}

// ---- inputs --------------------------------------------------------------------------

void Ike_sa::initiate(const std::string& child) {
    for (const auto& c : conn_->children) {
        if (child.empty() || c.name == child) {
            child_ = &c;
            break;
        }
    }
    for (const auto& p : conn_->proposals) {
        if (auto t = transform_of(p, Transform_type::KE)) {
            group_ = static_cast<Ke_id>(t->id);
            break;
        }
    }
    deliver(model::ev::Initiate_requested{});
}

void Ike_sa::terminate() { deliver(model::ev::Delete_requested{}); }

void Ike_sa::on_IKE_SA_INIT_request(const Message& m, Octets raw, const Address& local,
                                    const Address& remote) {
    SPIi_ = m.header.SPIi;
    real_message_1_ = raw.to_bytes();
    last_request_raw_ = real_message_1_;
    reply_local_ = local;
    reply_remote_ = remote;
    trace(false, m, local, remote);
    deliver(model::ev::IKE_SA_INIT_request_received{{&m}});
}

void Ike_sa::on_IKE_SA_INIT_response(const Message& m, Octets raw, const Address& local,
                                     const Address& remote) {
    trace(false, m, local, remote);
    if (!original_initiator_ || !request_outstanding_ || m.header.message_id != outstanding_mid_) {
        diagnose(Severity::warning, "7296-2.2-response-without-request",
                 "IKE_SA_INIT response #" + std::to_string(m.header.message_id) +
                     " matches no outstanding request: dropped");
        return;
    }
    using namespace model;
    if (m.find_notify(Notify_type::COOKIE)) {
        stop_retransmission();
        deliver(ev::COOKIE_received{{&m}});
    } else if (m.find_notify(Notify_type::INVALID_KE_PAYLOAD)) {
        stop_retransmission();
        deliver(ev::INVALID_KE_PAYLOAD_received{{&m}});
    } else if (has_error_notify(m) && !m.find(Payload_type::SA)) {
        stop_retransmission();
        refusal_rule_ = "7296-2.21.1-error-notify";
        refusal_text_ = "responder answered " + first_error_notify(m);
        deliver(ev::Error_notify_received{{&m}});
    } else if (auto v = codec::check_message_rules(m)) {
        // An unprotected response cannot be trusted to end the exchange: keep waiting (§2.21).
        diagnose(Severity::warning, v->rule, "IKE_SA_INIT response dropped: " + v->text);
    } else {
        stop_retransmission();
        SPIr_ = m.header.SPIr;
        real_message_2_ = raw.to_bytes();
        detect_NAT(m, local, remote);
        deliver(ev::IKE_SA_INIT_response_received{{&m}});
    }
}

bool Ike_sa::answer_retransmission(Octets raw, std::uint32_t message_id, const Address& local,
                                   const Address& remote) {
    if (!last_response_mid_ || message_id != *last_response_mid_) return false;
    if (raw.size != last_request_raw_.size() ||
        !std::equal(raw.begin(), raw.end(), last_request_raw_.begin())) {
        return false;
    }
    // §2.1: a retransmitted request gets the cached response, byte for byte.
    diagnose(Severity::debug, "7296-2.1-retransmit-response",
             "request #" + std::to_string(message_id) + " retransmitted: cached response resent");
    send_raw_to(last_response_, local, remote);
    return true;
}

void Ike_sa::on_protected(const Message& m, Octets raw, const Address& local, const Address& remote) {
    using namespace model;
    trace(false, m, local, remote);
    const auto mid = m.header.message_id;
    const auto x = m.header.exchange;
    if (!m.header.is_response()) {
        if (mid != expected_request_mid_) {
            diagnose(Severity::warning, "7296-2.2-request-message-id",
                     "request #" + std::to_string(mid) + " outside the window (expected #" +
                         std::to_string(expected_request_mid_) + "): dropped");
            return;
        }
        last_request_raw_ = raw.to_bytes();
        reply_local_ = local;
        reply_remote_ = remote;
        for (const auto& p : m.payloads) {
            if (p.critical && std::holds_alternative<Payload_unknown>(p.body)) {
                // §2.5: an unrecognized critical payload rejects the whole message.
                diagnose(Severity::warning, "7296-2.5-unsupported-critical",
                         "critical payload type " + std::to_string(int(p.type)) + " not supported");
                send_error_response(m, Notify_type::UNSUPPORTED_CRITICAL_PAYLOAD,
                                    Bytes{static_cast<std::uint8_t>(p.type)});
                return;
            }
        }
        if (auto v = codec::check_message_rules(m)) {
            // §2.21.2: a protected request that passed its integrity check gets INVALID_SYNTAX.
            diagnose(Severity::warning, v->rule, v->text);
            send_error_response(m, Notify_type::INVALID_SYNTAX);
            if (x == Exchange_type::IKE_AUTH) deliver(ev::Exchange_failed{});
            return;
        }
        if (x == Exchange_type::IKE_AUTH) {
            deliver(ev::IKE_AUTH_request_received{{&m}});
        } else if (x == Exchange_type::INFORMATIONAL) {
            deliver(ev::INFORMATIONAL_request_received{{&m}});
        } else {
            diagnose(Severity::info, "7296-1.3-no-additional-sas",
                     to_string(x) + " is not implemented yet: NO_ADDITIONAL_SAS");
            send_error_response(m, Notify_type::NO_ADDITIONAL_SAS);
        }
        return;
    }
    if (!request_outstanding_ || mid != outstanding_mid_) {
        diagnose(Severity::warning, "7296-2.2-response-without-request",
                 "response #" + std::to_string(mid) + " matches no outstanding request: dropped");
        return;
    }
    stop_retransmission();
    if (x == Exchange_type::IKE_AUTH) {
        if (!m.find(Payload_type::AUTH) && has_error_notify(m)) {
            refusal_rule_ = "7296-2.21.2-error-notify";
            refusal_text_ = "responder answered " + first_error_notify(m);
            deliver(ev::Error_notify_received{{&m}});
        } else if (auto v = codec::check_message_rules(m)) {
            refusal_rule_ = v->rule;
            refusal_text_ = v->text;
            deliver(ev::Error_notify_received{{&m}});
        } else {
            deliver(ev::IKE_AUTH_response_received{{&m}});
        }
    } else if (x == Exchange_type::INFORMATIONAL) {
        deliver(ev::INFORMATIONAL_response_received{{&m}});
    }
}

void Ike_sa::on_timer(Timer_id id) {
    if (id != timer_) return;
    timer_ = 0;
    const model::ev::Retransmit_timer_expired e;
    if (info_ && !info_reported_) {
        info_->process(e);
    } else if (auth_ && !auth_reported_) {
        auth_->process(e);
    } else if (init_ && !init_reported_) {
        init_->process(e);
    }
    check_completions();
    while (!completions_.empty()) {
        auto next = std::move(completions_.front());
        completions_.erase(completions_.begin());
        next();
    }
}

// ---- guards ------------------------------------------------------------------------------

bool Ike_sa::retransmissions_left() const {
    if (retransmits_ < core_.config().retransmit.tries) return true;
    refusal_rule_ = "7296-2.1-retransmission-limit";
    refusal_text_ = "no response after " + std::to_string(retransmits_) + " retransmissions";
    return false;
}

bool Ike_sa::cookie_retries_left() const {
    if (cookie_tries_ < max_cookie_tries) return true;
    refusal_rule_ = "7296-2.6-cookie-loop";
    refusal_text_ = "responder kept asking for a COOKIE";
    return false;
}

bool Ike_sa::requested_group_acceptable(const Message& m) const {
    const auto* n = m.find_notify(Notify_type::INVALID_KE_PAYLOAD);
    if (!n || n->data.size() != 2) {
        refusal_rule_ = "7296-3.10.1-invalid-ke-data";
        refusal_text_ = "INVALID_KE_PAYLOAD without a 2-octet group";
        return false;
    }
    const auto g = static_cast<std::uint16_t>((n->data[0] << 8) | n->data[1]);
    bool offered = false;
    for (const auto& p : conn_->proposals) {
        for (const auto& t : p.transforms) {
            offered = offered || (t.type == Transform_type::KE && t.id == g);
        }
    }
    if (!offered || g == static_cast<std::uint16_t>(group_) || ke_tries_ >= max_ke_tries) {
        refusal_rule_ = "7296-1.2-invalid-ke-group";
        refusal_text_ = "responder asked for group " + to_string(static_cast<Ke_id>(g)) +
                        (offered ? " again" : ", which we did not offer");
        return false;
    }
    return true;
}

bool Ike_sa::ke_valid(const Message& m, Ke_id group) const {
    const auto* ke = body_of<Payload_KE>(m, Payload_type::KE);
    if (!ke || ke->group != static_cast<std::uint16_t>(group)) {
        refusal_rule_ = "7296-1.2-ke-group";
        refusal_text_ = "KE group differs from the selected D-H group";
        return false;
    }
    if (ke->data.size() != public_value_size(group)) {
        refusal_rule_ = "7296-3.4-ke-length";
        refusal_text_ = "KE data of " + std::to_string(ke->data.size()) + " octets for " +
                        to_string(group) + " (expected " + std::to_string(public_value_size(group)) + ")";
        return false;
    }
    return true;
}

bool Ike_sa::IKE_SA_INIT_response_acceptable(const Message& m) const {
    const auto* sa = body_of<Payload_SA>(m, Payload_type::SA);
    if (!sa || sa->proposals.size() != 1 || !proposal_from_offer(sa->proposals[0], IKE_offer())) {
        refusal_rule_ = "7296-2.7-response-proposal";
        refusal_text_ = "the responder's SA is not one proposal taken from our offer";
        return false;
    }
    const auto* ke_t = transform_of(sa->proposals[0], Transform_type::KE);
    if (!ke_t || ke_t->id != static_cast<std::uint16_t>(group_)) {
        refusal_rule_ = "7296-1.2-ke-group";
        refusal_text_ = "selected D-H group differs from our KEi";
        return false;
    }
    if (m.header.SPIr == 0) {
        refusal_rule_ = "7296-3.1-spir-zero";
        refusal_text_ = "IKE_SA_INIT response with SPIr 0";
        return false;
    }
    return ke_valid(m, group_);
}

bool Ike_sa::IKE_SA_INIT_proposal_acceptable(const Message& m) const {
    const auto* sa = body_of<Payload_SA>(m, Payload_type::SA);
    if (!sa) return false;
    auto s = select_proposal(sa->proposals, conn_->proposals, core_.crypto());
    if (!s.chosen) {
        refusal_rule_ = "7296-2.7-no-proposal-chosen";
        refusal_text_ = s.reason;
        return false;
    }
    const auto* ke_t = transform_of(*s.chosen, Transform_type::KE);
    return ke_t && ke_valid(m, static_cast<Ke_id>(ke_t->id));
}

Signed_octets_input Ike_sa::signed_octets_of(bool initiator_side) const {
    // §2.15: the initiator signs its IKE_SA_INIT request, Nr and prf(SK_pi, IDi'); the responder
    // its response, Ni and prf(SK_pr, IDr').
    return initiator_side ? Signed_octets_input{real_message_1_, Nr_, keys_.SK_pi.view()}
                          : Signed_octets_input{real_message_2_, Ni_, keys_.SK_pr.view()};
}

bool Ike_sa::peer_AUTH_valid(const Message& m) const {
    auto refusal = verify_identity(*prf_, core_.config(), *conn_, original_initiator_, m,
                                   signed_octets_of(!original_initiator_));
    if (!refusal) return true;
    refusal_rule_ = refusal->rule;
    refusal_text_ = refusal->text;
    return false;
}

namespace {
struct Child_match {
    const Child_config* child = nullptr;
    Proposal chosen;
    std::vector<Traffic_selector> tsi, tsr;
};
}  // namespace

bool Ike_sa::CHILD_SA_acceptable(const Message& m) const {
    const auto* sa = body_of<Payload_SA>(m, Payload_type::SA);
    const auto* tsi = body_of<Payload_TS>(m, Payload_type::TSi);
    const auto* tsr = body_of<Payload_TS>(m, Payload_type::TSr);
    if (!sa || !tsi || !tsr) {
        refusal_rule_ = "7296-1.2-child-payloads";
        refusal_text_ = "IKE_AUTH request without SA, TSi or TSr";
        return false;
    }
    std::string reasons;
    for (const auto& c : conn_->children) {
        auto s = select_proposal(sa->proposals, c.esp_proposals, core_.crypto());
        if (!s.chosen || s.chosen->spi.size() != 4) {
            reasons += "child " + c.name + ": " + (s.chosen ? "ESP SPI is not 4 octets" : s.reason) + "; ";
            continue;
        }
        // TSi is the initiator's side: our remote selectors (§2.9).
        auto ni = narrow(tsi->selectors, c.remote_ts);
        auto nr = narrow(tsr->selectors, c.local_ts);
        if (ni.empty() || nr.empty()) {
            reasons += "child " + c.name + ": TS_UNACCEPTABLE (TSi " +
                       (tsi->selectors.empty() ? std::string("none") : describe(tsi->selectors[0])) +
                       " / TSr " + (tsr->selectors.empty() ? std::string("none") : describe(tsr->selectors[0])) +
                       ")";
            refusal_rule_ = "7296-2.9-ts-unacceptable";
            refusal_text_ = reasons;
            continue;
        }
        return true;
    }
    if (refusal_rule_ != "7296-2.9-ts-unacceptable") refusal_rule_ = "7296-2.7-child-no-proposal-chosen";
    refusal_text_ = reasons;
    return false;
}

bool Ike_sa::CHILD_SA_response_acceptable(const Message& m) const {
    const auto* sa = body_of<Payload_SA>(m, Payload_type::SA);
    const auto* tsi = body_of<Payload_TS>(m, Payload_type::TSi);
    const auto* tsr = body_of<Payload_TS>(m, Payload_type::TSr);
    if (!sa || !tsi || !tsr || !child_) {
        refusal_rule_ = "7296-1.2-child-refused";
        refusal_text_ = "IKE_AUTH response without a CHILD SA: " + first_error_notify(m);
        return false;
    }
    if (sa->proposals.size() != 1 || sa->proposals[0].spi.size() != 4 ||
        !proposal_from_offer(sa->proposals[0], ESP_offer())) {
        refusal_rule_ = "7296-2.7-response-proposal";
        refusal_text_ = "the responder's ESP proposal is not taken from our offer";
        return false;
    }
    if (!selectors_within(tsi->selectors, child_->local_ts) ||
        !selectors_within(tsr->selectors, child_->remote_ts)) {
        refusal_rule_ = "7296-2.9-ts-widened";
        refusal_text_ = "the responder's selectors are not inside what we proposed";
        return false;
    }
    return true;
}

bool Ike_sa::deletes_IKE_SA(const Message& m) const {
    for (const auto& p : m.payloads) {
        if (auto d = std::get_if<Payload_D>(&p.body); d && d->protocol == Protocol_id::IKE) return true;
    }
    return false;
}

// ---- actions: IKE_SA_INIT -----------------------------------------------------------------

std::vector<Proposal> Ike_sa::IKE_offer() const {
    std::vector<Proposal> out = conn_->proposals;
    std::uint8_t n = 1;
    for (auto& p : out) {
        p.number = n++;
        p.protocol = Protocol_id::IKE;
        p.spi.clear();
    }
    return out;
}

std::vector<Proposal> Ike_sa::ESP_offer() const {
    std::vector<Proposal> out = child_ ? child_->esp_proposals : std::vector<Proposal>{};
    std::uint8_t n = 1;
    for (auto& p : out) {
        p.number = n++;
        p.protocol = Protocol_id::ESP;
        p.spi = spi_octets(child_spi_in_);
    }
    return out;
}

std::vector<Payload> Ike_sa::NAT_detection_payloads(const Address& src, const Address& dst) {
    // §2.23: SHA-1(SPIi | SPIr | IP | port), with SPIr as it stands in this message's header.
    std::vector<Payload> out;
    // With force_nat_t the source hash cannot match (as strongSwan's fake_nat does), so the
    // peer detects a NAT too and both sides agree on UDP encapsulation.
    out.push_back(notify(Notify_type::NAT_DETECTION_SOURCE_IP,
                         core_.config().force_nat_t ? core_.crypto().random(20)
                                                    : crypto::nat_detection_hash(SPIi_, SPIr_, src.ip, src.port)));
    out.push_back(notify(Notify_type::NAT_DETECTION_DESTINATION_IP,
                         crypto::nat_detection_hash(SPIi_, SPIr_, dst.ip, dst.port)));
    return out;
}

void Ike_sa::detect_NAT(const Message& m, const Address& local, const Address& remote) {
    bool any_source = false, source_match = false, dest_match = false, any_dest = false;
    for (const auto& p : m.payloads) {
        const auto* n = std::get_if<Payload_N>(&p.body);
        if (!n) continue;
        if (n->type == static_cast<std::uint16_t>(Notify_type::NAT_DETECTION_SOURCE_IP)) {
            any_source = true;
            source_match = source_match ||
                           n->data == crypto::nat_detection_hash(m.header.SPIi, m.header.SPIr, remote.ip, remote.port);
        } else if (n->type == static_cast<std::uint16_t>(Notify_type::NAT_DETECTION_DESTINATION_IP)) {
            any_dest = true;
            dest_match = dest_match ||
                         n->data == crypto::nat_detection_hash(m.header.SPIi, m.header.SPIr, local.ip, local.port);
        }
    }
    if (!any_source || !any_dest) return;  // the peer does not do NAT traversal
    nat_detected_ = !source_match || !dest_match || core_.config().force_nat_t;
    if (nat_detected_) {
        diagnose(Severity::info, "7296-2.23-nat-detected",
                 std::string(source_match ? "" : "peer behind a NAT; ") + (dest_match ? "" : "we are behind a NAT; ") +
                     (core_.config().force_nat_t ? "NAT-T forced by configuration" : ""));
    }
    if (nat_detected_ && original_initiator_ && !floated_) {
        // §2.23: the initiator moves to port 4500 for IKE_AUTH and everything after it.
        floated_ = true;
        local_.port = core_.config().nat_t_port;
        remote_.port = conn_->remote_nat_t_port;
    }
}

void Ike_sa::send_IKE_SA_INIT_request() {
    auto& crypto = core_.crypto();
    if (!ke_ || ke_->group() != group_) ke_ = crypto.key_exchange(group_);
    if (Ni_.empty()) Ni_ = crypto.random(nonce_size);
    Message m = header_for(Exchange_type::IKE_SA_INIT, false, 0);
    if (!cookie_.empty()) m.payloads.push_back(notify(Notify_type::COOKIE, cookie_));  // §2.6: first
    m.payloads.push_back(make(Payload_type::SA, Payload_SA{IKE_offer()}));
    m.payloads.push_back(make(Payload_type::KE, Payload_KE{static_cast<std::uint16_t>(group_), ke_->public_value()}));
    m.payloads.push_back(make(Payload_type::Nonce, Payload_Nonce{Ni_}));
    for (auto& p : NAT_detection_payloads(local_, remote_)) m.payloads.push_back(std::move(p));
    for (auto& p : IKE_SA_INIT_auth_payloads(core_.config(), *conn_)) m.payloads.push_back(std::move(p));
    send_request(std::move(m));
}

void Ike_sa::resend_IKE_SA_INIT_with_cookie(const Message& m) {
    ++cookie_tries_;
    cookie_ = m.find_notify(Notify_type::COOKIE)->data;
    send_IKE_SA_INIT_request();
}

void Ike_sa::resend_IKE_SA_INIT_with_group(const Message& m) {
    ++ke_tries_;
    const auto& d = m.find_notify(Notify_type::INVALID_KE_PAYLOAD)->data;
    group_ = static_cast<Ke_id>((d[0] << 8) | d[1]);
    diagnose(Severity::info, "7296-1.2-invalid-ke-retry", "responder asked for " + to_string(group_) + ": retrying");
    send_IKE_SA_INIT_request();
}

void Ike_sa::send_IKE_SA_INIT_response(const Message& m) {
    auto& crypto = core_.crypto();
    const auto& sa = *body_of<Payload_SA>(m, Payload_type::SA);
    proposal_ = select_proposal(sa.proposals, conn_->proposals, crypto).chosen;
    group_ = static_cast<Ke_id>(transform_of(*proposal_, Transform_type::KE)->id);
    ke_ = crypto.key_exchange(group_);
    Ni_ = body_of<Payload_Nonce>(m, Payload_type::Nonce)->data;
    Nr_ = crypto.random(nonce_size);
    detect_NAT(m, reply_local_, reply_remote_);
    Message r = header_for(Exchange_type::IKE_SA_INIT, true, 0);
    r.payloads.push_back(make(Payload_type::SA, Payload_SA{{*proposal_}}));
    r.payloads.push_back(make(Payload_type::KE, Payload_KE{static_cast<std::uint16_t>(group_), ke_->public_value()}));
    r.payloads.push_back(make(Payload_type::Nonce, Payload_Nonce{Nr_}));
    for (auto& p : NAT_detection_payloads(reply_local_, reply_remote_)) r.payloads.push_back(std::move(p));
    for (auto& p : IKE_SA_INIT_auth_payloads(core_.config(), *conn_)) r.payloads.push_back(std::move(p));
    send_response(std::move(r));
    real_message_2_ = last_response_;
}

void Ike_sa::send_NO_PROPOSAL_CHOSEN(const Message& m) {
    diagnose(Severity::warning, refusal_rule_.empty() ? "7296-2.7-no-proposal-chosen" : refusal_rule_,
             "NO_PROPOSAL_CHOSEN: " + refusal_text_);
    send_error_response(m, Notify_type::NO_PROPOSAL_CHOSEN);
}

void Ike_sa::set_algorithms(const Proposal& p) {
    auto& crypto = core_.crypto();
    prf_ = crypto.prf(static_cast<Prf_id>(transform_of(p, Transform_type::PRF)->id));
    const auto* e = transform_of(p, Transform_type::ENCR);
    cipher_ = crypto.cipher(static_cast<Encr_id>(e->id), e->key_length.value_or(0));
    const auto* i = transform_of(p, Transform_type::INTEG);
    integ_ = (i && i->id != 0) ? crypto.integrity(static_cast<Integ_id>(i->id)) : nullptr;
}

void Ike_sa::derive_IKE_SA_keys(const Message* m) {
    if (original_initiator_ && m) {
        proposal_ = body_of<Payload_SA>(*m, Payload_type::SA)->proposals[0];
        Nr_ = body_of<Payload_Nonce>(*m, Payload_type::Nonce)->data;
    }
    const Message* peer = m;
    const auto* ke = peer ? body_of<Payload_KE>(*peer, Payload_type::KE) : nullptr;
    auto g_ir = ke ? ke_->shared_secret(ke->data) : std::nullopt;
    if (!g_ir) {
        // RFC 6989 / RFC 8031 checks failed: the exchange cannot go on; no keys, no SA.
        diagnose(Severity::warning, "7296-3.4-ke-invalid", "peer KE value refused by the group's checks");
        report_failure("KE value invalid");
        completions_.push_back([this] { lifecycle_.process(model::ev::Exchange_failed{}); });
        return;
    }
    set_algorithms(*proposal_);
    // §2.14: SKEYSEED = prf(Ni | Nr, g^ir); {SK_d | SK_ai | ...} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
    const Secret skeyseed = crypto::SKEYSEED(*prf_, Ni_, Nr_, g_ir->view());
    keys_ = crypto::derive_ike_sa_keys(*prf_, skeyseed.view(), Ni_, Nr_, SPIi_, SPIr_,
                                       integ_ ? integ_->key_size() : 0, cipher_->key_size());
    keys_ready_ = true;
}

// ---- actions: IKE_AUTH ----------------------------------------------------------------------

void Ike_sa::send_IKE_AUTH_request() {
    auto& crypto = core_.crypto();
    child_spi_in_ = random_spi32(crypto);
    Message m = header_for(Exchange_type::IKE_AUTH, false, next_request_mid_);
    for (auto& p : prove_identity(*prf_, core_.config(), *conn_, false, signed_octets_of(true))) {
        m.payloads.push_back(std::move(p));
    }
    if (child_) {
        if (child_->mode == Ipsec_mode::transport) m.payloads.push_back(notify(Notify_type::USE_TRANSPORT_MODE));
        m.payloads.push_back(make(Payload_type::SA, Payload_SA{ESP_offer()}));
        m.payloads.push_back(make(Payload_type::TSi, Payload_TS{child_->local_ts}));
        m.payloads.push_back(make(Payload_type::TSr, Payload_TS{child_->remote_ts}));
    }
    send_request(std::move(m));
}

void Ike_sa::send_IKE_AUTH_response(const Message& m, bool with_CHILD_SA) {
    auto& crypto = core_.crypto();
    Message r = header_for(Exchange_type::IKE_AUTH, true, m.header.message_id);
    for (auto& p : prove_identity(*prf_, core_.config(), *conn_, true, signed_octets_of(false))) {
        r.payloads.push_back(std::move(p));
    }
    const auto* sa = body_of<Payload_SA>(m, Payload_type::SA);
    const auto* tsi = body_of<Payload_TS>(m, Payload_type::TSi);
    const auto* tsr = body_of<Payload_TS>(m, Payload_type::TSr);
    bool made = false;
    if (with_CHILD_SA && sa && tsi && tsr) {
        for (const auto& c : conn_->children) {
            auto s = select_proposal(sa->proposals, c.esp_proposals, crypto);
            auto ni = narrow(tsi->selectors, c.remote_ts);
            auto nr = narrow(tsr->selectors, c.local_ts);
            if (!s.chosen || s.chosen->spi.size() != 4 || ni.empty() || nr.empty()) continue;
            child_ = &c;
            const std::uint32_t spi_out = spi_value(s.chosen->spi);
            child_spi_in_ = random_spi32(crypto);
            Proposal ours = *s.chosen;
            ours.spi = spi_octets(child_spi_in_);
            if (c.mode == Ipsec_mode::transport && m.find_notify(Notify_type::USE_TRANSPORT_MODE)) {
                r.payloads.push_back(notify(Notify_type::USE_TRANSPORT_MODE));
            }
            r.payloads.push_back(make(Payload_type::SA, Payload_SA{{ours}}));
            r.payloads.push_back(make(Payload_type::TSi, Payload_TS{ni}));
            r.payloads.push_back(make(Payload_type::TSr, Payload_TS{nr}));
            make_CHILD_SA(ours, spi_out, nr, ni);
            made = true;
            break;
        }
    }
    if (!made) {
        // §1.2, §2.21.2: the IKE SA is established; the CHILD SA is refused with its reason.
        const bool ts = refusal_rule_ == "7296-2.9-ts-unacceptable";
        diagnose(Severity::warning, refusal_rule_, "CHILD SA refused: " + refusal_text_);
        r.payloads.push_back(notify(ts ? Notify_type::TS_UNACCEPTABLE : Notify_type::NO_PROPOSAL_CHOSEN));
    }
    send_response(std::move(r));
}

void Ike_sa::send_AUTHENTICATION_FAILED(const Message& m) {
    diagnose(Severity::warning, refusal_rule_, "AUTHENTICATION_FAILED: " + refusal_text_);
    send_error_response(m, Notify_type::AUTHENTICATION_FAILED);
}

void Ike_sa::install_CHILD_SA(const Message& m) {
    const auto& chosen = body_of<Payload_SA>(m, Payload_type::SA)->proposals[0];
    const auto* tsi = body_of<Payload_TS>(m, Payload_type::TSi);
    const auto* tsr = body_of<Payload_TS>(m, Payload_type::TSr);
    Proposal ours = chosen;
    ours.spi = spi_octets(child_spi_in_);
    make_CHILD_SA(ours, spi_value(chosen.spi), tsi->selectors, tsr->selectors);
}

void Ike_sa::make_CHILD_SA(const Proposal& chosen, std::uint32_t spi_out, std::vector<Traffic_selector> ts_local,
                           std::vector<Traffic_selector> ts_remote) {
    auto& crypto = core_.crypto();
    const auto* e = transform_of(chosen, Transform_type::ENCR);
    const auto* i = transform_of(chosen, Transform_type::INTEG);
    const std::size_t encr_size = crypto.cipher(static_cast<Encr_id>(e->id), e->key_length.value_or(0))->key_size();
    const std::size_t integ_size = (i && i->id) ? crypto.integrity(static_cast<Integ_id>(i->id))->key_size() : 0;
    // §2.17: KEYMAT = prf+(SK_d, Ni | Nr); initiator-to-responder keys first.
    const Secret keymat = crypto::KEYMAT(*prf_, keys_.SK_d.view(), Octets(), Ni_, Nr_, 2 * (encr_size + integ_size));
    auto k = crypto::split_KEYMAT(keymat.view(), encr_size, integ_size);
    child_spi_out_ = spi_out;
    child_proposal_ = chosen;
    child_ts_local_ = ts_local;
    child_ts_remote_ = ts_remote;
    Child_sa sa;
    sa.connection = conn_->name;
    sa.child = child_ ? child_->name : "";
    sa.SPIi = SPIi_;
    sa.SPIr = SPIr_;
    sa.spi_in = child_spi_in_;
    sa.spi_out = spi_out;
    sa.proposal = chosen;
    sa.encr_key_in = original_initiator_ ? std::move(k.encr_r) : std::move(k.encr_i);
    sa.integ_key_in = original_initiator_ ? std::move(k.integ_r) : std::move(k.integ_i);
    sa.encr_key_out = original_initiator_ ? std::move(k.encr_i) : std::move(k.encr_r);
    sa.integ_key_out = original_initiator_ ? std::move(k.integ_i) : std::move(k.integ_r);
    sa.local_ts = std::move(ts_local);
    sa.remote_ts = std::move(ts_remote);
    sa.mode = child_ ? child_->mode : Ipsec_mode::tunnel;
    sa.udp_encapsulation = nat_detected_ || floated_;
    sa.local = original_initiator_ ? local_ : reply_local_;
    sa.remote = original_initiator_ ? remote_ : reply_remote_;
    child_installed_ = true;
    core_.emit(Install_child_sa{std::move(sa)});
    core_.emit(Sa_event{Sa_event_kind::CHILD_SA_installed, conn_->name, SPIi_, SPIr_,
                        (child_ ? child_->name : std::string()) + " SPIs in " + to_hex(spi_octets(child_spi_in_)) +
                            " out " + to_hex(spi_octets(spi_out)) + " " + codec::proposal_keyword(chosen)});
}

// ---- actions: INFORMATIONAL -----------------------------------------------------------------

void Ike_sa::send_Delete_IKE_SA_request() {
    Message m = header_for(Exchange_type::INFORMATIONAL, false, next_request_mid_);
    m.payloads.push_back(make(Payload_type::D, Payload_D{Protocol_id::IKE, 0, {}}));
    send_request(std::move(m));
}

void Ike_sa::send_INFORMATIONAL_response(const Message& m) {
    Message r = header_for(Exchange_type::INFORMATIONAL, true, m.header.message_id);
    for (const auto& p : m.payloads) {
        const auto* d = std::get_if<Payload_D>(&p.body);
        if (!d || d->protocol != Protocol_id::ESP || !child_installed_) continue;
        for (const auto& spi : d->spis) {
            if (spi_value(spi) == child_spi_out_) {
                // §1.4.1: answer a CHILD SA Delete with the Delete of our inbound SA.
                r.payloads.push_back(make(Payload_type::D, Payload_D{Protocol_id::ESP, 4, {spi_octets(child_spi_in_)}}));
                core_.emit(Remove_child_sa{conn_->name, child_spi_in_, child_spi_out_});
                child_installed_ = false;
            }
        }
    }
    send_response(std::move(r));
}

// ---- lifecycle ----------------------------------------------------------------------------

void Ike_sa::start_IKE_SA_INIT_exchange(const Message* m) {
    init_ = std::make_unique<model::IKE_SA_INIT_machine>(*this);
    if (m) {
        init_->process(model::ev::IKE_SA_INIT_request_received{{m}});
    } else {
        init_->process(model::ev::Initiate_requested{});
    }
    check_completions();
}

void Ike_sa::start_IKE_AUTH_exchange() {
    auth_ = std::make_unique<model::IKE_AUTH_machine>(*this);
    auth_->process(model::ev::Initiate_requested{});
    check_completions();
}

void Ike_sa::dispatch_to_exchange(const Message&) {
    if (dispatch_) dispatch_();
}

void Ike_sa::start_Delete_exchange() {
    info_ = std::make_unique<model::INFORMATIONAL_machine>(*this);
    info_->process(model::ev::Delete_requested{});
    check_completions();
}

void Ike_sa::report_established() {
    core_.emit(Sa_event{Sa_event_kind::IKE_SA_established, conn_->name, SPIi_, SPIr_,
                        proposal_ ? codec::proposal_keyword(*proposal_) : std::string()});
    if (core_.config().log_keys) {
        Keys_derived k;
        k.SPIi = SPIi_;
        k.SPIr = SPIr_;
        k.proposal = *proposal_;
        k.SK_d = keys_.SK_d.clone();
        k.SK_ei = keys_.SK_ei.clone();
        k.SK_er = keys_.SK_er.clone();
        k.SK_ai = keys_.SK_ai.clone();
        k.SK_ar = keys_.SK_ar.clone();
        k.SK_pi = keys_.SK_pi.clone();
        k.SK_pr = keys_.SK_pr.clone();
        core_.emit(std::move(k));
    }
}

void Ike_sa::report_failure(const std::string& reason) {
    const std::string rule = refusal_rule_.empty() ? "model:" + reason : refusal_rule_;
    diagnose(Severity::warning, rule, reason + (refusal_text_.empty() ? "" : ": " + refusal_text_));
    core_.emit(Sa_event{Sa_event_kind::IKE_SA_failed, conn_->name, SPIi_, SPIr_, refusal_text_.empty() ? reason : refusal_text_});
}

void Ike_sa::remove_IKE_SA(const std::string& reason) {
    stop_retransmission();
    if (child_installed_) {
        core_.emit(Remove_child_sa{conn_->name, child_spi_in_, child_spi_out_});
        child_installed_ = false;
    }
    core_.emit(Sa_event{Sa_event_kind::IKE_SA_deleted, conn_->name, SPIi_, SPIr_, reason});
    removed_ = true;
}

void Ike_sa::no_transition(const char* machine, const char* state, const char* event) {
    diagnose(Severity::warning, "model:no-transition",
             std::string(machine) + " in " + state + " has no row for " + event + ": ignored");
}

// ---- sending --------------------------------------------------------------------------------

Message Ike_sa::header_for(Exchange_type x, bool response, std::uint32_t mid) const {
    Message m;
    m.header.SPIi = SPIi_;
    m.header.SPIr = SPIr_;
    m.header.exchange = x;
    m.header.flags = static_cast<std::uint8_t>((original_initiator_ ? flag::Initiator : 0) |
                                               (response ? flag::Response : 0));
    m.header.message_id = mid;
    m.was_protected = keys_ready_ && x != Exchange_type::IKE_SA_INIT;
    return m;
}

Bytes Ike_sa::encode(const Message& m) {
    if (!m.was_protected) return codec::encode_message(m);
    const bool from_initiator = original_initiator_;
    Sk_keys k;
    k.cipher = cipher_.get();
    k.integrity = integ_.get();
    k.SK_e = from_initiator ? keys_.SK_ei.view() : keys_.SK_er.view();
    k.SK_a = from_initiator ? keys_.SK_ai.view() : keys_.SK_ar.view();
    const Bytes iv = core_.crypto().random(cipher_->iv_size());
    return protect(m.header, m.payloads, k, iv);
}

void Ike_sa::send_request(Message m) {
    outstanding_ = encode(m);
    if (m.header.exchange == Exchange_type::IKE_SA_INIT) real_message_1_ = outstanding_;
    outstanding_mid_ = m.header.message_id;
    request_outstanding_ = true;
    retransmits_ = 0;
    trace(true, m, local_, remote_);
    send_raw_to(outstanding_, local_, remote_);
    if (timer_) core_.cancel_timer(timer_);
    timer_ = core_.arm_timer(our_spi(), core_.now() + core_.config().retransmit.timeout);
}

void Ike_sa::send_response(Message m) {
    last_response_ = encode(m);
    last_response_mid_ = m.header.message_id;
    expected_request_mid_ = m.header.message_id + 1;
    trace(true, m, reply_local_, reply_remote_);
    send_raw_to(last_response_, reply_local_, reply_remote_);
}

void Ike_sa::send_error_response(const Message& request, Notify_type type, Bytes data) {
    Message r = header_for(request.header.exchange, true, request.header.message_id);
    r.was_protected = request.was_protected && keys_ready_;
    r.payloads.push_back(notify(type, std::move(data)));
    send_response(std::move(r));
}

void Ike_sa::retransmit_request() {
    // §2.1: the requester retransmits with back-off (strongSwan's timeout * base^n schedule).
    ++retransmits_;
    diagnose(Severity::info, "7296-2.1-retransmit",
             "retransmission " + std::to_string(retransmits_) + " of request #" + std::to_string(outstanding_mid_));
    send_raw_to(outstanding_, local_, remote_);
    const auto& rc = core_.config().retransmit;
    const double wait = static_cast<double>(rc.timeout.count()) * std::pow(rc.base, static_cast<double>(retransmits_));
    timer_ = core_.arm_timer(our_spi(), core_.now() + Time(static_cast<std::int64_t>(wait)));
}

void Ike_sa::stop_retransmission() {
    if (timer_) core_.cancel_timer(timer_);
    timer_ = 0;
    if (request_outstanding_) next_request_mid_ = outstanding_mid_ + 1;
    request_outstanding_ = false;
}

void Ike_sa::send_raw_to(const Bytes& ike_message, const Address& local, const Address& remote) {
    Send_datagram d;
    d.local = local;
    d.remote = remote;
    if (local.port == core_.config().nat_t_port) d.bytes = {0, 0, 0, 0};  // RFC 3948 §2.2 non-ESP marker
    d.bytes.insert(d.bytes.end(), ike_message.begin(), ike_message.end());
    core_.emit(std::move(d));
}

void Ike_sa::diagnose(Severity s, std::string rule, std::string text) {
    core_.emit(Diagnostic{s, std::move(rule), conn_->name + "[" + to_hex(Bytes{
        static_cast<std::uint8_t>(SPIi_ >> 56), static_cast<std::uint8_t>(SPIi_ >> 48), static_cast<std::uint8_t>(SPIi_ >> 40),
        static_cast<std::uint8_t>(SPIi_ >> 32), static_cast<std::uint8_t>(SPIi_ >> 24), static_cast<std::uint8_t>(SPIi_ >> 16),
        static_cast<std::uint8_t>(SPIi_ >> 8), static_cast<std::uint8_t>(SPIi_)}) + "]: " + std::move(text)});
}

void Ike_sa::trace(bool sent, const Message& m, const Address& local, const Address& remote) {
    core_.emit(Message_trace{sent, local, remote, describe(m)});
}

// ---- listing -------------------------------------------------------------------------------

Ike_sa_info Ike_sa::info() const {
    Ike_sa_info i;
    i.connection = conn_->name;
    i.state = lifecycle_.state();
    i.original_initiator = original_initiator_;
    i.SPIi = SPIi_;
    i.SPIr = SPIr_;
    i.local = original_initiator_ ? local_ : reply_local_;
    i.remote = original_initiator_ ? remote_ : reply_remote_;
    i.proposal = proposal_ ? codec::proposal_keyword(*proposal_) : "";
    if (child_installed_ && child_proposal_) {
        Ike_sa_info::Child c;
        c.name = child_ ? child_->name : "";
        c.spi_in = child_spi_in_;
        c.spi_out = child_spi_out_;
        c.proposal = codec::proposal_keyword(*child_proposal_);
        c.local_ts = child_ts_local_;
        c.remote_ts = child_ts_remote_;
        i.children.push_back(std::move(c));
    }
    return i;
}

}  // namespace ike::core

namespace ike::core {

Ike_sa::Sk_view Ike_sa::peer_keys() const {
    // §2.14: SK_ei/SK_ai protect what the original initiator sends.
    return original_initiator_ ? Sk_view{cipher_.get(), integ_.get(), keys_.SK_er.view(), keys_.SK_ar.view()}
                               : Sk_view{cipher_.get(), integ_.get(), keys_.SK_ei.view(), keys_.SK_ai.view()};
}

}  // namespace ike::core
