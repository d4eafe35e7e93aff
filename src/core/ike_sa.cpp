// One IKE SA: carries out what the MSM rows decide. RFC 7296 §1.2, §1.4.1, §2.1–§2.2, §2.6,
// §2.14–§2.17, §2.21, §2.23.
#include "src/core/ike_sa.hpp"

#include <algorithm>
#include <cmath>

#include "src/codec/codec.hpp"
#include "src/codec/message_rules.hpp"
#include "src/codec/notify_data.hpp"
#include "src/codec/proposal_keywords.hpp"
#include "src/core/authentication.hpp"
#include "src/core/negotiation.hpp"
#include "src/core/payloads.hpp"
#include "src/core/sk_payload.hpp"

namespace ike::core {

namespace {

// [7296-3.9-s1] our nonces are 32 octets, within 16..256.
constexpr std::size_t nonce_size = 32;     // §2.10: at least half the PRF key size; 32 suits every PRF here
constexpr unsigned max_cookie_tries = 3;   // §2.6: bounded so a hostile responder cannot loop us
constexpr unsigned max_ke_tries = 2;       // §1.2: one retry per group we offer is enough

template <class T>
const T* body_of(const Message& m, Payload_type type) {
    const Payload* p = m.find(type);
    return p ? std::get_if<T>(&p->body) : nullptr;
}

// make() and notify() (src/core/payloads.hpp): [7296-3.10-s2] [7296-3.10-s3] no SPI in a notify
// about the IKE SA: Protocol ID 0 and SPI Size 0; a received Notify's Protocol ID is never read.

/// §1.3.1, §2.17: transport mode only when configured and USE_TRANSPORT_MODE is in the message
/// that decides (the request for the responder, the response for the initiator): the responder
/// answers with the notify exactly when it accepts transport mode [7296-1.3.1-s2]; an initiator
/// whose request was declined installs tunnel mode, which ikeref accepts, rather than deleting
/// the SA [7296-1.3.1-s3].
Ipsec_mode negotiated_mode(const Child_config* config, const Message& m) {
    return config && config->mode == Ipsec_mode::transport && m.find_notify(Notify_type::USE_TRANSPORT_MODE)
               ? Ipsec_mode::transport
               : Ipsec_mode::tunnel;
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

// [7296-3.10.1-s3] status types (16384 and up), known or not, never make a response a failure.
bool has_error_notify(const Message& m) {
    for (const auto& p : m.payloads) {
        if (auto n = std::get_if<Payload_N>(&p.body); n && p.type == Payload_type::N && n->type < 16384) {
            return true;
        }
    }
    return false;
}

/// §3.10.1: the first error notify whose type has no IANA name known here, if any.
std::optional<std::uint16_t> unrecognized_error_notify(const Message& m) {
    for (const auto& p : m.payloads) {
        const auto* n = std::get_if<Payload_N>(&p.body);
        if (!n || p.type != Payload_type::N || n->type >= 16384) continue;
        const std::string name = to_string(static_cast<Notify_type>(n->type));
        if (!name.empty() && name[0] >= '0' && name[0] <= '9') return n->type;
    }
    return std::nullopt;
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
    pump();
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
    } else if constexpr (std::is_same_v<Event, ev::CREATE_CHILD_SA_request_received>) {
        CREATE_CHILD_SA_machine responder(*this);  // one machine per exchange in flight
        responder.process(e);
    } else if constexpr (std::is_same_v<Event, ev::CREATE_CHILD_SA_response_received>) {
        if (ccs_) ccs_->process(e);
    } else if constexpr (std::is_same_v<Event, ev::Error_notify_received> ||
                         std::is_same_v<Event, ev::INVALID_KE_PAYLOAD_received>) {
        if (requester_ == Requester::ccs && ccs_) {
            ccs_->process(e);
        } else if (requester_ == Requester::auth && auth_) {
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
    if (info_ && (done(info_->state()) || failed(info_->state()))) {
        const bool ok = done(info_->state());
        const bool of_IKE_SA = req_.kind == Request_kind::delete_IKE;
        info_.reset();
        req_.kind = Request_kind::none;
        if (!ok) {
            completions_.push_back([this] { lifecycle_.process(ev::Exchange_failed{}); });
        } else if (of_IKE_SA) {
            completions_.push_back([this] { lifecycle_.process(ev::Delete_completed{}); });
        }
    }
    if (ccs_ && (done(ccs_->state()) || failed(ccs_->state()))) {
        const bool ok = done(ccs_->state());
        const bool IKE_rekey = req_.kind == Request_kind::rekey_IKE;
        const bool timed_out = refusal_rule_ == "7296-2.1-retransmission-limit";
        if (!ok) {
            // §2.21.3: the exchange failed, the IKE SA stays (unless the peer is gone).
            core_.emit(Sa_event{Sa_event_kind::CHILD_SA_failed, conn_->name, SPIi_, SPIr_,
                                std::string(IKE_rekey ? "IKE SA rekey" : "CHILD SA exchange") + " failed: " +
                                    (refusal_text_.empty() ? refusal_rule_ : refusal_text_)});
        }
        if (!ok && req_.kind == Request_kind::rekey_child && collision_.new_spi_in) {
            // §2.8.1: our rekey of the CHILD SA failed: there is no collision left to decide, the
            // peer's new SA simply replaces the old one (no stale nonces for our next rekey).
            collision_ = Collision{};
        }
        completions_.push_back([this, ok, IKE_rekey, timed_out] {
            ccs_.reset();
            req_ = Child_request{};
            if (timed_out) {
                lifecycle_.process(ev::Exchange_failed{});  // §2.4: the peer is gone
            } else if (IKE_rekey && ok && lost_IKE_collision_) {
                lifecycle_.process(ev::IKE_SA_rekeyed_by_peer{});  // §2.8.2: the peer's new SA survives
                await_Delete_of_old_IKE_SA();
            } else if (IKE_rekey && !ok && hand_children_to_peer_rekey()) {
                lifecycle_.process(ev::IKE_SA_rekeyed_by_peer{});  // §2.8.2: only the peer's new SA exists
                await_Delete_of_old_IKE_SA();
            } else if (IKE_rekey) {
                ok ? lifecycle_.process(ev::IKE_SA_rekeyed{}) : lifecycle_.process(ev::CHILD_exchange_completed{});
            }
        });
    }
    if (rekeyed_by_peer_) {
        rekeyed_by_peer_ = false;
        completions_.push_back([this] {
            abandon_liveness_checks();
            lifecycle_.process(ev::IKE_SA_rekeyed_by_peer{});
            await_Delete_of_old_IKE_SA();
        });
    }
}

// ---- inputs --------------------------------------------------------------------------

void Ike_sa::initiate(const std::string& child) {
    for (const auto& c : conn_->children) {
        if (conn_->childless == Childless_policy::force) break;  // RFC 6023: no CHILD SA in IKE_AUTH
        if (child.empty() || c.name == child) {
            child_ = &c;
            break;
        }
    }
    // [7296-3.4-s2] KEi uses the first group of the first proposal naming one; a retry only an offered group (requested_group_acceptable).
    for (const auto& p : conn_->proposals) {
        if (auto t = transform_of(p, Transform_type::KE)) {
            group_ = static_cast<Ke_id>(t->id);
            break;
        }
    }
    deliver(model::ev::Initiate_requested{});
}

void Ike_sa::terminate() {
    // While our rekey is in flight the Delete waits, then goes to the new IKE SA (replaced_by).
    if (!accepts_requests()) {
        deliver(model::ev::Delete_requested{});  // no row outside Established: a diagnostic
        return;
    }
    enqueue(Request_kind::delete_IKE, 0, nullptr);
}

void Ike_sa::on_IKE_SA_INIT_request(const Message& m, Octets raw, const Address& local,
                                    const Address& remote) {
    ke_checked_ = nullptr;  // a new message: the guards' memo starts empty
    SPIi_ = m.header.SPIi;
    real_message_1_ = raw.to_bytes();
    last_request_raw_ = real_message_1_;
    reply_local_ = local;
    reply_remote_ = remote;
    trace(false, m, local, remote);
    deliver(model::ev::IKE_SA_INIT_request_received{{&m}});
    arm_half_open_timeout();
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
    if (const auto critical = codec::unsupported_critical_payload(m.payloads)) {
        // [7296-2.5-s8] the message is rejected: nothing is built on it; the request is
        // retransmitted as if it had not arrived (a response is never answered, §3.1).
        diagnose(Severity::warning, "7296-2.5-unsupported-critical",
                 "IKE_SA_INIT response with critical payload type " + std::to_string(int(*critical)) +
                     ": rejected, still waiting");
        return;
    }
    if (m.find_notify(Notify_type::INVALID_MAJOR_VERSION) && !m.find(Payload_type::SA)) {
        // §2.5: we sent 2.0, the only version we speak; there is no lower one to fall back to.
        diagnose(Severity::warning, "7296-2.5-invalid-major-version-ignored",
                 "IKE_SA_INIT answered INVALID_MAJOR_VERSION though we sent version 2.0: ignored, still waiting");
        return;
    }
    if (!has_error_notify(m) || m.find(Payload_type::SA)) pending_init_error_.reset();
    if (m.find_notify(Notify_type::COOKIE)) {
        stop_retransmission();
        deliver(ev::COOKIE_received{{&m}});
    } else if (m.find_notify(Notify_type::INVALID_KE_PAYLOAD)) {
        stop_retransmission();
        deliver(ev::INVALID_KE_PAYLOAD_received{{&m}});
    } else if (has_error_notify(m) && !m.find(Payload_type::SA)) {
        // §2.21.1: an unprotected error may be forged and "should not" be acted on at once: the
        // request stays outstanding until its retransmission timer fires; a genuine response
        // arriving meanwhile wins, otherwise the attempt ends with this error then.
        diagnose(Severity::info, "7296-2.21.1-error-notify",
                 "responder answered " + first_error_notify(m) + " (unprotected): giving up when the retransmission timer fires unless a genuine response arrives");
        if (!pending_init_error_) pending_init_error_ = m;
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
#if defined(IKEREF_MUTANT_FORGET_CACHED_RESPONSE) || defined(IKEREF_MUTANT_ACCEPT_MESSAGE_ID_TWICE)
    return false;
#endif
    const auto it = answered_.find(message_id);
    if (it == answered_.end()) return false;
    const Bytes& request = it->second.request;
    if (raw.size != request.size() || !std::equal(raw.begin(), raw.end(), request.begin())) return false;
    // §2.1: a retransmitted request gets the cached response, byte for byte. [7296-2.1-s1]
    // [7296-2.3-s8] one is kept for each of the last window_size requests.
    diagnose(Severity::debug, "7296-2.1-retransmit-response",
             "request #" + std::to_string(message_id) + " retransmitted: cached response resent");
    send_raw_to(it->second.response, local, remote);
    return true;
}

void Ike_sa::on_protected(const Message& m, Octets raw, const Address& local, const Address& remote,
                          std::optional<Payload_type> outer_critical) {
    using namespace model;
    auth_checked_ = nullptr;  // a new message: the guards' memo starts empty
    trace(false, m, local, remote);
    // [7296-2.4-s4] only protected messages count: nothing unprotected (ikeref has no ICMP input) marks the peer alive or dead.
    last_received_ = core_.now();  // it passed its integrity check: the peer is alive (§2.4)
    follow_NAT_T_peer(local, remote);
    const auto mid = m.header.message_id;
    const auto x = m.header.exchange;
    // [7296-2.3-s4] a request is answered whether or not one of ours is outstanding.
    if (!m.header.is_response()) {
#ifdef IKEREF_MUTANT_ACCEPT_MESSAGE_ID_TWICE
        if (mid > expected_request_mid_) {
#else
        if (!in_receive_window(mid)) {
#endif
            // [7296-2.1-s5] [7296-2.3-s9] a request whose response is forgotten, or outside the window, is dropped unanswered.
            // [7296-2.3-s10] INVALID_MESSAGE_ID (OPTIONAL) is never sent, so never more often than a rate
            // limit allows (strongSwan's task_manager_v2.c ignores such a request the same way).
            diagnose(Severity::warning, "7296-2.2-request-message-id",
                     "request #" + std::to_string(mid) + " outside the window (" + receive_window_text() + "): dropped");
            return;
        }
        note_peer_window(m);
        last_request_raw_ = raw.to_bytes();
        reply_local_ = local;
        // [7296-2.23-s1] the response goes back to the address and port the request came from.
        reply_remote_ = remote;
        answer_request(m, outer_critical);
        end_after_fatal_response();
        return;
    }
    if (x == Exchange_type::CREATE_CHILD_SA || x == Exchange_type::INFORMATIONAL) {
        if (m.find_notify(Notify_type::INVALID_SYNTAX) &&
            ((request_outstanding_ && mid == outstanding_mid_) || parked_.count(mid))) {
            // [7296-2.21.3-invalid-syntax-fatal] INVALID_SYNTAX is fatal in both peers: the exchange ends as refused,
            // then the IKE SA goes without a Delete.
            fatal_response_sent_ = true;
        }
    }
    // [7296-3.1-s11] [7296-2.21.4-s1] a response is never answered: it completes our request or is dropped.
    // §2.3: with several requests in flight, the one this answers becomes the active one.
    if ((!request_outstanding_ || mid != outstanding_mid_) && !activate(mid)) {
        diagnose(Severity::warning, "7296-2.2-response-without-request",
                 "response #" + std::to_string(mid) + " matches no outstanding request: dropped");
        return;
    }
    if (const auto critical = codec::unsupported_critical_payload(m.payloads)) {
        // [7296-2.5-s8] the response is rejected: nothing is built on it.
        reject_response(m, "7296-2.5-unsupported-critical",
                        "critical payload type " + std::to_string(int(*critical)) + " not supported");
        end_after_fatal_response();
        return;
    }
    stop_retransmission();
    note_peer_window(m);
    if (x == Exchange_type::IKE_AUTH) {
        if (!m.find(Payload_type::AUTH) && has_error_notify(m)) {
            refusal_rule_ = "7296-2.21.2-error-notify";
            refusal_text_ = "responder answered " + first_error_notify(m);
            deliver(ev::Error_notify_received{{&m}});
        } else if (auto u = unrecognized_error_notify(m)) {
            // [7296-3.10.1-s1] an error type we do not recognize: the request failed entirely.
            refusal_rule_ = "7296-3.10.1-s1";
            refusal_text_ = "responder answered unrecognized error notify " + std::to_string(*u);
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
    } else if (x == Exchange_type::CREATE_CHILD_SA) {
        if (m.find_notify(Notify_type::INVALID_KE_PAYLOAD)) {
            deliver(ev::INVALID_KE_PAYLOAD_received{{&m}});
        } else if (has_error_notify(m) && !m.find(Payload_type::SA)) {
            refusal_rule_ = "7296-2.21.3-error-notify";
            refusal_text_ = "peer answered " + first_error_notify(m);
            deliver(ev::Error_notify_received{{&m}});
        } else if (auto u = unrecognized_error_notify(m)) {
            // [7296-3.10.1-s1] an error type we do not recognize next to SA: the request failed entirely.
            refusal_rule_ = "7296-3.10.1-s1";
            refusal_text_ = "peer answered unrecognized error notify " + std::to_string(*u);
            deliver(ev::Error_notify_received{{&m}});
        } else if (auto v = codec::check_message_rules(m)) {
            refusal_rule_ = v->rule;
            refusal_text_ = v->text;
            deliver(ev::Error_notify_received{{&m}});
        } else {
            deliver(ev::CREATE_CHILD_SA_response_received{{&m}});
        }
    }
    end_after_fatal_response();
}

void Ike_sa::answer_request(const Message& m, std::optional<Payload_type> outer_critical) {
    using namespace model;
    const auto x = m.header.exchange;
    if (!outer_critical) outer_critical = codec::unsupported_critical_payload(m.payloads);
    if (outer_critical) {
        // [7296-2.5-s8] [7296-2.21.2-s3] an unrecognized critical payload, inside SK or before it,
        // rejects the whole request: UNSUPPORTED_CRITICAL_PAYLOAD with its type, nothing else.
        diagnose(Severity::warning, "7296-2.5-unsupported-critical",
                 "critical payload type " + std::to_string(int(*outer_critical)) + " not supported");
        send_error_response(m, Notify_type::UNSUPPORTED_CRITICAL_PAYLOAD,
                            Bytes{static_cast<std::uint8_t>(*outer_critical)});
        return;
    }
    if (auto v = codec::check_message_rules(m)) {
        // §2.21.2: a protected request that passed its integrity check gets INVALID_SYNTAX. [7296-3.10.1-s4]
        diagnose(Severity::warning, v->rule, v->text);
        send_error_response(m, Notify_type::INVALID_SYNTAX);
        return;
    }
    // [7296-3.10.1-s2] [7296-3.10.1-s3] a request's notifies are looked up by known type only: unknown error and status types are ignored; [7296-3.12-s4] Vendor IDs are never read.
    if (x == Exchange_type::IKE_AUTH) {
        deliver(ev::IKE_AUTH_request_received{{&m}});
    } else if (x == Exchange_type::INFORMATIONAL) {
        deliver(ev::INFORMATIONAL_request_received{{&m}});
    } else if (x == Exchange_type::CREATE_CHILD_SA) {
        deliver(ev::CREATE_CHILD_SA_request_received{{&m}});
    }
}

void Ike_sa::on_malformed(const Message& outer, Octets raw, const Address& local, const Address& remote,
                          const std::string& rule, const std::string& text) {
    using namespace model;
    auth_checked_ = nullptr;
    Message header_only;
    header_only.header = outer.header;
    header_only.was_protected = true;
    trace(false, header_only, local, remote);
    last_received_ = core_.now();  // its ICV verified: the peer is alive (§2.4)
    const auto mid = outer.header.message_id;
    const auto x = outer.header.exchange;
    const std::string what = to_string(x) + " #" + std::to_string(mid);
    if (!outer.header.is_response()) {
        if (!in_receive_window(mid)) {
            diagnose(Severity::warning, "7296-2.2-request-message-id",
                     "malformed request #" + std::to_string(mid) + " outside the window (" + receive_window_text() +
                         "): dropped");
            return;
        }
        last_request_raw_ = raw.to_bytes();
        reply_local_ = local;
        reply_remote_ = remote;
        // [7296-2.21.3-s1] [7296-2.21.2-s3] a request that passed the ICV and window checks but is
        // badly formatted gets a protected INVALID_SYNTAX, which ends the IKE SA (§2.21.3).
        diagnose(Severity::warning, rule, what + ": " + text + ": answered INVALID_SYNTAX");
        send_error_response(header_only, Notify_type::INVALID_SYNTAX);
        end_after_fatal_response();
        return;
    }
 if ((!request_outstanding_ || mid != outstanding_mid_) && !activate(mid)) {
        diagnose(Severity::warning, "7296-2.2-response-without-request",
                 "malformed response #" + std::to_string(mid) + " matches no outstanding request: dropped");
        return;
    }
    reject_response(header_only, rule, text);
}

void Ike_sa::reject_response(const Message& m, const std::string& rule, const std::string& text) {
    using namespace model;
    // §2.21: an error in a response is not answered; it ends our exchange as refused.
    stop_retransmission();
    diagnose(Severity::warning, rule,
             to_string(m.header.exchange) + " response #" + std::to_string(m.header.message_id) + " rejected: " + text);
    refusal_rule_ = rule;
    refusal_text_ = "response rejected: " + text;
    Message header_only;
    header_only.header = m.header;
    header_only.was_protected = true;
    if (m.header.exchange == Exchange_type::INFORMATIONAL) {
        deliver(ev::INFORMATIONAL_response_received{{&header_only}});
    } else {
        deliver(ev::Error_notify_received{{&header_only}});
    }
}

void Ike_sa::end_after_fatal_response() {
    if (!fatal_response_sent_) return;
    fatal_response_sent_ = false;
    if (removed_) return;
    // [7296-2.21.3-invalid-syntax-fatal] INVALID_SYNTAX (and in IKE_AUTH UNSUPPORTED_CRITICAL_PAYLOAD) ends the IKE
    // SA in both peers without a Delete payload (§2.21.2, §2.21.3).
    diagnose(Severity::warning, "7296-2.21.3-invalid-syntax-fatal", "fatal error notify exchanged: the IKE SA is deleted without a Delete");
    deliver(model::ev::Exchange_failed{});
}

void Ike_sa::on_timer(Timer_id id) {
    if (auto it = duty_.find(id); it != duty_.end()) {
        auto duty = std::move(it->second);
        duty_.erase(it);
        duty();
        pump();
        return;
    }
    if (id != timer_) {
        // §2.3: the retransmission timer of another request in flight: that one becomes active.
        const auto it = std::find_if(parked_.begin(), parked_.end(), [id](const auto& e) { return e.second.timer == id; });
        if (it == parked_.end() || !activate(it->first)) return;
    }
    timer_ = 0;
    if (requester_ == Requester::init && pending_init_error_) {
        // §2.21.1: no genuine IKE_SA_INIT response came after the unprotected error: act on it now.
        const Message error = std::move(*pending_init_error_);
        pending_init_error_.reset();
        refusal_rule_ = "7296-2.21.1-error-notify";
        refusal_text_ = "responder answered " + first_error_notify(error);
        deliver(model::ev::Error_notify_received{{&error}});
        return;
    }
    const model::ev::Retransmit_timer_expired e;
    switch (requester_) {
        case Requester::info: if (info_) info_->process(e); break;
        case Requester::ccs: if (ccs_) ccs_->process(e); break;
        case Requester::auth: if (auth_) auth_->process(e); break;
        case Requester::init: if (init_) init_->process(e); break;
        case Requester::none: break;
    }
    check_completions();
    while (!completions_.empty()) {
        auto next = std::move(completions_.front());
        completions_.erase(completions_.begin());
        next();
    }
    pump();
}

// ---- guards ------------------------------------------------------------------------------

bool Ike_sa::retransmissions_left() const {
    if (retransmits_ < core_.config().retransmit.tries) return true;
    // [7296-2.4-s5] the peer is declared dead only when every retransmission went unanswered.
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
    const bool in_CREATE_CHILD_SA = requester_ == Requester::ccs;
    bool offered = false;
    for (const auto& p : in_CREATE_CHILD_SA ? req_.offer : conn_->proposals) {
        for (const auto& t : p.transforms) {
            offered = offered || (t.type == Transform_type::KE && t.id == g);
        }
    }
    const Ke_id current = in_CREATE_CHILD_SA ? req_.group : group_;
    const unsigned tries = in_CREATE_CHILD_SA ? req_.ke_tries : ke_tries_;
    if (!offered || g == static_cast<std::uint16_t>(current) || tries >= max_ke_tries) {
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
    refusal_proposals_.clear();
    refusal_selectors_.clear();
    const auto* sa = body_of<Payload_SA>(m, Payload_type::SA);
    if (!sa) return false;
    auto s = select_proposal(sa->proposals, conn_->proposals, core_.crypto());
    if (!s.chosen) {
        refusal_rule_ = "7296-2.7-no-proposal-chosen";
        refusal_text_ = s.reason;
        note_proposal_refusal(s.refusal);
        return false;
    }
    const auto* ke_t = transform_of(*s.chosen, Transform_type::KE);
    return ke_t && ke_valid(m, static_cast<Ke_id>(ke_t->id));
}

bool Ike_sa::peer_KE_value_valid(const Message& m) const {
    // Our key pair for the selected group is made here, so that g^ir is known before we answer:
    // a value that fails RFC 6989 §2.1/§2.3 or gives RFC 8031's all-zero result costs no reply.
    if (ke_checked_ == &m) return g_ir_.has_value();  // another guard row of the same request
    ke_checked_ = &m;
    const auto* sa = body_of<Payload_SA>(m, Payload_type::SA);
    const auto* ke = body_of<Payload_KE>(m, Payload_type::KE);
    if (!sa || !ke) return false;
    auto chosen = select_proposal(sa->proposals, conn_->proposals, core_.crypto()).chosen;
    const auto* group = chosen ? transform_of(*chosen, Transform_type::KE) : nullptr;
    if (!group) return false;
    ke_ = core_.crypto().key_exchange(static_cast<Ke_id>(group->id));
    g_ir_ = ke_->shared_secret(ke->data);
    if (g_ir_) return true;
    refusal_rule_ = "7296-3.4-ke-invalid";
    refusal_text_ = "KEi of " + to_string(static_cast<Ke_id>(group->id)) +
                    " refused by the group's checks (RFC 6989 §2, RFC 8031 §2.3); request dropped unanswered";
    return false;
}

Signed_octets_input Ike_sa::signed_octets_of(bool initiator_side) const {
    // §2.15: the initiator signs its IKE_SA_INIT request, Nr and prf(SK_pi, IDi'); the responder
    // its response, Ni and prf(SK_pr, IDr').
    return initiator_side
               ? Signed_octets_input{real_message_1_, Nr_, keys_.SK_pi.view(), peer_signature_hashes_, &core_.crypto()}
               : Signed_octets_input{real_message_2_, Ni_, keys_.SK_pr.view(), peer_signature_hashes_, &core_.crypto()};
}

bool Ike_sa::peer_AUTH_valid(const Message& m) const {
#ifdef IKEREF_MUTANT_SKIP_AUTH_VERIFICATION
    return true;
#endif
    if (auth_checked_ == &m) return auth_valid_;  // another guard row of the same message
    auth_checked_ = &m;
    auth_valid_ = peer_AUTH_verified(m);
    return auth_valid_;
}

bool Ike_sa::peer_AUTH_verified(const Message& m) const {
    if (!original_initiator_) {
        // §2.15: the responder learns IDi only now; several connections may share addresses and
        // IKE proposals and differ in the remote identity. Take the one configured for IDi.
        if (const auto* id = body_of<Payload_ID>(m, Payload_type::IDi)) {
            const Identity peer{id->id_type, id->data};
            if (!(peer == conn_->remote.id)) {
                for (const auto& c : core_.config().connections) {
                    if (c.remote.id == peer && c.local.id == conn_->local.id) {
                        conn_ = &c;
                        break;
                    }
                }
            }
        }
    }
    auto refusal = verify_identity(*prf_, core_.config(), *conn_, original_initiator_, m,
                                   signed_octets_of(!original_initiator_),
                                   std::chrono::duration_cast<std::chrono::milliseconds>(core_.now()));
    if (!refusal) {
        initial_contact_ = m.find_notify(Notify_type::INITIAL_CONTACT) != nullptr;  // §2.4, now authenticated
        if (const auto* cp = body_of<Payload_CP>(m, Payload_type::CP)) peer_CP_ = *cp;  // §2.19
        return true;
    }
    refusal_rule_ = refusal->rule;
    refusal_text_ = refusal->text;
    return false;
}

namespace {
/// §1.2: "the SA payloads in the IKE_AUTH exchange cannot contain Transform Type 4 (Diffie-Hellman
/// group) with any value other than NONE" (RFC 5996 words; RFC 7296 keeps the rule): PFS groups
/// of a CHILD SA config apply to its later CREATE_CHILD_SA exchanges only. `keep_NONE` (the
/// peer's proposals) keeps a KE NONE (id 0), which select_proposal then answers [7296-2.7-s4].
std::vector<Proposal> without_KE(std::vector<Proposal> ps, bool keep_NONE = false) {
    for (auto& p : ps) {
        p.transforms.erase(std::remove_if(p.transforms.begin(), p.transforms.end(),
                                          [keep_NONE](const Transform& t) {
                                              return t.type == Transform_type::KE && !(keep_NONE && t.id == 0);
                                          }),
                           p.transforms.end());
    }
    return ps;
}
}  // namespace

std::optional<Ike_sa::Child_match> Ike_sa::match_child(const Message& m, const Child_config* only,
                                                       bool in_IKE_AUTH) const {
    const auto* sa = body_of<Payload_SA>(m, Payload_type::SA);
    const auto* tsi = body_of<Payload_TS>(m, Payload_type::TSi);
    const auto* tsr = body_of<Payload_TS>(m, Payload_type::TSr);
    refusal_notify_ = Notify_type::NO_PROPOSAL_CHOSEN;
    refusal_data_.clear();
    refusal_proposals_.clear();
    refusal_selectors_.clear();
    if (!sa || !tsi || !tsr) {
        refusal_rule_ = "7296-1.2-child-payloads";
        refusal_text_ = "request without SA, TSi or TSr";
        refusal_notify_ = Notify_type::INVALID_SYNTAX;
        return std::nullopt;
    }
    std::string reasons;
    bool ts_problem = false;
    for (const auto& c : conn_->children) {
        if (only && &c != only) continue;
        auto sel = in_IKE_AUTH ? select_proposal(without_KE(sa->proposals, true), without_KE(c.esp_proposals), core_.crypto())
                               : select_proposal(sa->proposals, c.esp_proposals, core_.crypto());
        if (!sel.chosen || sel.chosen->spi.size() != 4) {
            reasons += "child " + c.name + ": " + (sel.chosen ? "ESP SPI is not 4 octets" : sel.reason) + "; ";
            note_proposal_refusal(sel.refusal);
            continue;
        }
        // §2.9: TSi is the initiator's side, so it is narrowed against our remote selectors.
        auto ni = narrow(tsi->selectors, c.remote_ts);
        auto nr = narrow(tsr->selectors, c.local_ts);
        std::string transport_problem;
        if (c.mode == Ipsec_mode::transport && m.find_notify(Notify_type::USE_TRANSPORT_MODE)) {
            // [7296-2.23.1-s1] [7296-2.23-s12] transport mode: exactly one IP address each side, the
            // IKE SA's: the requester's (TSi) and ours (TSr). §2.23.1: behind a NAT, single-address
            // selectors are first substituted by the addresses the IKE packets show; then narrowed
            // (§2.9); a request holding neither address gets TS_UNACCEPTABLE (§2.9, §2.23.1: the
            // SPD entry found does not allow it, and this CHILD SA is transport-only).
            const Bytes& peer_ip = (original_initiator_ ? remote_ : reply_remote_).ip;
            const Bytes& our_ip = (original_initiator_ ? local_ : reply_local_).ip;
            if (nat_detected_ || floated_) {
                ni = narrow(substitute_address(tsi->selectors, peer_ip), c.remote_ts);
                nr = narrow(substitute_address(tsr->selectors, our_ip), c.local_ts);
            }
            auto hi = narrow_to_address(ni, peer_ip);
            auto hr = narrow_to_address(nr, our_ip);
            if (!ni.empty() && !nr.empty() && (hi.empty() || hr.empty())) {
                transport_problem = "transport mode needs one IP address each side, the IKE SA's (§2.23.1): " +
                                    (hi.empty() ? "TSi holds no " + describe(host_selector(peer_ip)) : std::string()) +
                                    (hi.empty() && hr.empty() ? ", " : "") +
                                    (hr.empty() ? "TSr holds no " + describe(host_selector(our_ip)) : std::string());
            }
            ni = std::move(hi);
            nr = std::move(hr);
        }
        if (!transport_problem.empty()) {
            ts_problem = true;
            reasons += "child " + c.name + ": " + transport_problem + "; ";
            refusal_selectors_.push_back(Refusal::Selector_mismatch{c.name, tsi->selectors, tsr->selectors,
                                                                    c.remote_ts, c.local_ts, ni.empty(), nr.empty()});
            continue;
        }
        if (ni.empty() || nr.empty()) {
            // §2.9: name every selector compared, and the side that had no intersection.
            ts_problem = true;
            auto all = [](const std::vector<Traffic_selector>& v) {
                std::string out;
                for (const auto& t : v) out += (out.empty() ? "" : ", ") + describe(t);
                return out.empty() ? std::string("none") : out;
            };
            reasons += "child " + c.name + ": " + (ni.empty() ? "TSi [" + all(tsi->selectors) + "] vs remote_ts [" +
                                                                    all(c.remote_ts) + "] have no intersection"
                                                              : std::string()) +
                       (ni.empty() && nr.empty() ? ", " : "") +
                       (nr.empty() ? "TSr [" + all(tsr->selectors) + "] vs local_ts [" + all(c.local_ts) +
                                         "] have no intersection"
                                   : std::string()) +
                       "; ";
            refusal_selectors_.push_back(Refusal::Selector_mismatch{c.name, tsi->selectors, tsr->selectors,
                                                                    c.remote_ts, c.local_ts, ni.empty(), nr.empty()});
            continue;
        }
        return Child_match{&c, *sel.chosen, std::move(ni), std::move(nr)};
    }
    refusal_rule_ = ts_problem ? "7296-2.9-ts-unacceptable" : "7296-2.7-child-no-proposal-chosen";
    refusal_notify_ = ts_problem ? Notify_type::TS_UNACCEPTABLE : Notify_type::NO_PROPOSAL_CHOSEN;
    refusal_text_ = reasons.empty() ? "no CHILD SA configured" : reasons;
    return std::nullopt;
}

bool Ike_sa::transport_selectors(const Child_config& c, std::vector<Traffic_selector>& tsi,
                                 std::vector<Traffic_selector>& tsr) {
    tsi = c.local_ts;
    tsr = c.remote_ts;
    if (c.mode != Ipsec_mode::transport) return false;
    // [7296-2.23.1-s4] [7296-2.23-s12] the client proposing transport mode: TSi entries of exactly
    // one IP address, the IKE SA's source; TSr entries the IKE SA's destination (protocol and
    // ports as configured).
    const Bytes& our_ip = (original_initiator_ ? local_ : reply_local_).ip;
    const Bytes& peer_ip = (original_initiator_ ? remote_ : reply_remote_).ip;
    auto hi = narrow_to_address(c.local_ts, our_ip);
    auto hr = narrow_to_address(c.remote_ts, peer_ip);
    if (hi.empty() || hr.empty()) {
        diagnose(Severity::warning, "7296-2.23.1-s4",
                 "child " + c.name + ": transport mode not proposed, tunnel mode instead: " +
                     (hi.empty() ? "no local_ts holds the IKE SA's source " + describe(host_selector(our_ip)) + " "
                                 : std::string()) +
                     (hr.empty() ? "no remote_ts holds the IKE SA's destination " + describe(host_selector(peer_ip))
                                 : std::string()));
        return false;
    }
    tsi = std::move(hi);
    tsr = std::move(hr);
    return true;
}

std::vector<Traffic_selector> Ike_sa::response_selectors(const Message& m, Payload_type which,
                                                        const Child_config* c) const {
    const auto* ts = body_of<Payload_TS>(m, which);
    if (!ts) return {};
    if (negotiated_mode(c, m) != Ipsec_mode::transport || !(nat_detected_ || floated_)) return ts->selectors;
    // [7296-2.23.1-s4] the client substitutes the addresses of its IKE packets before using them.
    const Bytes& ip = which == Payload_type::TSi ? (original_initiator_ ? local_ : reply_local_).ip
                                                 : (original_initiator_ ? remote_ : reply_remote_).ip;
    return substitute_address(ts->selectors, ip);
}

bool Ike_sa::CHILD_SA_acceptable(const Message& m) const { return match_child(m, nullptr, true).has_value(); }

bool Ike_sa::CHILD_SA_response_acceptable(const Message& m) const {
    const auto* sa = body_of<Payload_SA>(m, Payload_type::SA);
    const auto* tsi = body_of<Payload_TS>(m, Payload_type::TSi);
    const auto* tsr = body_of<Payload_TS>(m, Payload_type::TSr);
    if (!sa || !tsi || !tsr || !child_) {
        // [7296-2.21.2-s4] only the CHILD SA fails: IKE_AUTH still completes (model ike_auth.hpp Auth_not_child_response).
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
    if (!selectors_within(response_selectors(m, Payload_type::TSi, child_), child_->local_ts) ||
        !selectors_within(response_selectors(m, Payload_type::TSr, child_), child_->remote_ts)) {
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
    // [7296-3.3-s5] [7296-3.3-s6] proposals numbered 1, 2, ... in configured order [7296-3.3-s2]; no SPI in our IKE_SA_INIT offer.
    std::uint8_t n = 1;
    for (auto& p : out) {
        p.number = n++;
        p.protocol = Protocol_id::IKE;
        p.spi.clear();
    }
    return out;
}

std::vector<Proposal> Ike_sa::ESP_offer() const {
    // Only used in IKE_AUTH: no D-H transform there (§1.2).
    std::vector<Proposal> out = child_ ? without_KE(child_->esp_proposals) : std::vector<Proposal>{};
    std::uint8_t n = 1;
    for (auto& p : out) {
        p.number = n++;
        p.protocol = Protocol_id::ESP;
        p.spi = spi_octets(child_spi_in_);
    }
    return out;
}

// [7296-2.23-s6] both IKE_SA_INIT messages carry NAT_DETECTION_SOURCE_IP and _DESTINATION_IP (request and response build them here).
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
        // [7296-2.23-s10] the initiator compares both NAT_DETECTION hashes with the outer addresses and moves on a mismatch.
        // §2.23: the initiator moves to port 4500 for IKE_AUTH and everything after it.
        floated_ = true;
        local_.port = core_.config().nat_t_port;
        remote_.port = conn_->remote_nat_t_port;
    }
}

void Ike_sa::follow_NAT_T_peer(const Address& local, const Address& remote) {
    if (original_initiator_ || local.port != core_.config().nat_t_port || (local_ == local && remote_ == remote)) return;
    // [7296-2.23-s2] the initiator moved to port 4500 (§2.23): once an authenticated message came
    // there, our own requests (liveness checks, rekeys, Deletes) go from 4500 to where it came from.
    diagnose(Severity::info, "7296-2.23-s2", "peer moved to " + remote.to_string() + ": our requests follow, from port " +
                                                 std::to_string(local.port));
    floated_ = true;
    local_ = local;
    remote_ = remote;
}

void Ike_sa::send_IKE_SA_INIT_request() {
    auto& crypto = core_.crypto();
    if (!ke_ || ke_->group() != group_) ke_ = crypto.key_exchange(group_);
    if (Ni_.empty()) Ni_ = crypto.random(nonce_size);
    Message m = header_for(Exchange_type::IKE_SA_INIT, false, 0);
    // [7296-2.6-cookie-echo] a retry repeats the same Ni, KEi (same group) and offer; [7296-3.1-s3] SPIr_ is still 0 here.
    if (!cookie_.empty()) m.payloads.push_back(notify(Notify_type::COOKIE, cookie_));  // §2.6: first
    m.payloads.push_back(make(Payload_type::SA, Payload_SA{IKE_offer()}));
    m.payloads.push_back(make(Payload_type::KE, Payload_KE{static_cast<std::uint16_t>(group_), ke_->public_value()}));
    m.payloads.push_back(make(Payload_type::Nonce, Payload_Nonce{Ni_}));
    for (auto& p : NAT_detection_payloads(local_, remote_)) m.payloads.push_back(std::move(p));
    for (auto& p : IKE_SA_INIT_auth_payloads(core_.config(), *conn_, false)) m.payloads.push_back(std::move(p));
    if (conn_->childless != Childless_policy::never) m.payloads.push_back(notify(Notify_type::CHILDLESS_IKEV2_SUPPORTED));  // RFC 6023 §3
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
    // [7296-2.6.1-s1] cookie_ is kept: the retry with the new group carries the COOKIE again.
    group_ = static_cast<Ke_id>((d[0] << 8) | d[1]);
    diagnose(Severity::info, "7296-1.2-invalid-ke-retry", "responder asked for " + to_string(group_) + ": retrying");
    // [7296-1.2-s5] the retry sends the full IKE_offer() again, only the KEi group changes.
    send_IKE_SA_INIT_request();
}

void Ike_sa::send_IKE_SA_INIT_response(const Message& m) {
    auto& crypto = core_.crypto();
    const auto& sa = *body_of<Payload_SA>(m, Payload_type::SA);
    proposal_ = select_proposal(sa.proposals, conn_->proposals, crypto).chosen;
    // §3.3.1 [7296-3.3.1-s4]: SPI Size "For an initial IKE SA negotiation, this field MUST be
    // zero; the SPI is obtained from the outer header": a peer's proposal SPI is ignored, not echoed.
    proposal_->spi.clear();
    group_ = static_cast<Ke_id>(transform_of(*proposal_, Transform_type::KE)->id);
    if (!ke_ || ke_->group() != group_) ke_ = crypto.key_exchange(group_);  // made by peer_KE_value_valid
    Ni_ = body_of<Payload_Nonce>(m, Payload_type::Nonce)->data;
    peer_signature_hashes_ = signature_hashes_of(m);  // RFC 7427 §4
    Nr_ = crypto.random(nonce_size);
    detect_NAT(m, reply_local_, reply_remote_);
    Message r = header_for(Exchange_type::IKE_SA_INIT, true, 0);
    r.payloads.push_back(make(Payload_type::SA, Payload_SA{{*proposal_}}));
    r.payloads.push_back(make(Payload_type::KE, Payload_KE{static_cast<std::uint16_t>(group_), ke_->public_value()}));
    r.payloads.push_back(make(Payload_type::Nonce, Payload_Nonce{Nr_}));
    for (auto& p : NAT_detection_payloads(reply_local_, reply_remote_)) r.payloads.push_back(std::move(p));
    for (auto& p : IKE_SA_INIT_auth_payloads(core_.config(), *conn_, true)) r.payloads.push_back(std::move(p));
    peer_childless_ = m.find_notify(Notify_type::CHILDLESS_IKEV2_SUPPORTED) != nullptr;
    if (conn_->childless != Childless_policy::never) r.payloads.push_back(notify(Notify_type::CHILDLESS_IKEV2_SUPPORTED));  // RFC 6023 §3
    send_response(std::move(r));
}

void Ike_sa::send_NO_PROPOSAL_CHOSEN(const Message& m) {
    diagnose(Severity::warning, refusal_rule_.empty() ? "7296-2.7-no-proposal-chosen" : refusal_rule_,
             "NO_PROPOSAL_CHOSEN: " + refusal_text_);
    record_refusal(Exchange_type::IKE_SA_INIT, Notify_type::NO_PROPOSAL_CHOSEN);
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
        peer_signature_hashes_ = signature_hashes_of(*m);  // RFC 7427 §4
        peer_childless_ = m->find_notify(Notify_type::CHILDLESS_IKEV2_SUPPORTED) != nullptr;
    }
    const Message* peer = m;
    const auto* ke = peer ? body_of<Payload_KE>(*peer, Payload_type::KE) : nullptr;
    auto g_ir = g_ir_ ? std::move(g_ir_) : ke ? ke_->shared_secret(ke->data) : std::nullopt;
    g_ir_.reset();
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
    emit_keys();
}

// ---- actions: IKE_AUTH ----------------------------------------------------------------------

void Ike_sa::send_IKE_AUTH_request() {
    auto& crypto = core_.crypto();
    child_spi_in_ = random_spi32(crypto);
    Message m = header_for(Exchange_type::IKE_AUTH, false, next_request_mid_);
    for (auto& p : prove_identity(*prf_, core_.config(), *conn_, false, signed_octets_of(true))) {
        m.payloads.push_back(std::move(p));
    }
    // §2.4: "this IKE SA is the only IKE SA currently active between the authenticated identities"
    // [7296-2.4-s2] never with unique = never (a replicated identity); only in this first IKE_AUTH request [7296-2.4-s3].
    if (conn_->unique != Unique_policy::never && !core_.has_other_IKE_SA(*this)) {
        m.payloads.push_back(notify(Notify_type::INITIAL_CONTACT));
    }
    if (!conn_->vips.empty()) {
        // §2.19, §3.15.1: ask for the configured virtual IPs (an empty value asks for any) and DNS.
        Payload_CP cp;
        cp.cfg_type = Cfg_type::CFG_REQUEST;
        bool v4 = false, v6 = false;
        for (const auto& v : conn_->vips) {
            const bool any = std::all_of(v.begin(), v.end(), [](std::uint8_t o) { return o == 0; });
            Bytes value = any ? Bytes{} : v;
            if (v.size() == 16 && !any) value.push_back(128);  // INTERNAL_IP6_ADDRESS: address | prefix length
            cp.attributes.push_back({static_cast<std::uint16_t>(v.size() == 4 ? Cfg_attribute_type::INTERNAL_IP4_ADDRESS
                                                                                : Cfg_attribute_type::INTERNAL_IP6_ADDRESS),
                                     std::move(value)});
            (v.size() == 4 ? v4 : v6) = true;
        }
        if (v4) cp.attributes.push_back({static_cast<std::uint16_t>(Cfg_attribute_type::INTERNAL_IP4_DNS), {}});
        if (v6) cp.attributes.push_back({static_cast<std::uint16_t>(Cfg_attribute_type::INTERNAL_IP6_DNS), {}});
        m.payloads.push_back(make(Payload_type::CP, std::move(cp)));
    }
    if (!child_ && !peer_childless_) {
        // RFC 6023 §3: without the responder's CHILDLESS_IKEV2_SUPPORTED, IKE_AUTH carries a CHILD SA.
        if (!conn_->children.empty() && conn_->childless != Childless_policy::force) {
            child_ = &conn_->children.front();
        } else {
            diagnose(Severity::warning, "6023-3-childless-not-supported",
                     "the responder did not announce CHILDLESS_IKEV2_SUPPORTED; IKE_AUTH without a CHILD SA may be refused");
        }
    }
    if (child_) {
        std::vector<Traffic_selector> tsi, tsr;
        if (transport_selectors(*child_, tsi, tsr)) m.payloads.push_back(notify(Notify_type::USE_TRANSPORT_MODE));
        m.payloads.push_back(make(Payload_type::SA, Payload_SA{ESP_offer()}));
        m.payloads.push_back(make(Payload_type::TSi, Payload_TS{std::move(tsi)}));
        m.payloads.push_back(make(Payload_type::TSr, Payload_TS{std::move(tsr)}));
    }
    // §2.3: our window (above 1) is announced now and holds once the initial exchanges complete.
    if (auto w = window_notify()) m.payloads.push_back(std::move(*w));
    send_request(std::move(m));
}

void Ike_sa::send_IKE_AUTH_response(const Message& m, bool with_CHILD_SA) {
    auto& crypto = core_.crypto();
    Message r = header_for(Exchange_type::IKE_AUTH, true, m.header.message_id);
    for (auto& p : prove_identity(*prf_, core_.config(), *conn_, true, signed_octets_of(false))) {
        r.payloads.push_back(std::move(p));
    }
    const bool childless_request = !m.find(Payload_type::SA) && !m.find(Payload_type::TSi) && !m.find(Payload_type::TSr);
    std::optional<Child_match> match = with_CHILD_SA ? match_child(m, nullptr, true) : std::nullopt;
    bool address_failure = false;
    bool address_requested = false;
    if (const auto* cp = body_of<Payload_CP>(m, Payload_type::CP); cp && cp->cfg_type == Cfg_type::CFG_REQUEST) {
        for (const auto& a : cp->attributes) {
            address_requested = address_requested || a.type == static_cast<std::uint16_t>(Cfg_attribute_type::INTERNAL_IP4_ADDRESS) ||
                                a.type == static_cast<std::uint16_t>(Cfg_attribute_type::INTERNAL_IP6_ADDRESS);
        }
        if (auto reply = answer_CP_request(*cp, address_failure)) r.payloads.push_back(make(Payload_type::CP, std::move(*reply)));
    }
    if (!address_failure && !address_requested && !conn_->pools.empty() && !childless_request) {
        // §2.19: a connection with pools requires CP (strongSwan's rule: pools set, no virtual IP
        // asked for): "IRAS MUST fail the request, and terminate the Child SA creation with a
        // FAILED_CP_REQUIRED error"; the IKE SA stays (§2.21.2).
        refusal_rule_ = "7296-2.19-cp-required";
        refusal_text_ = "connection " + conn_->name + " assigns virtual IPs and the request has no CP(CFG_REQUEST) for an address";
        diagnose(Severity::warning, refusal_rule_, "CHILD SA refused: " + refusal_text_);
        record_refusal(Exchange_type::IKE_AUTH, Notify_type::FAILED_CP_REQUIRED);
        r.payloads.push_back(notify(Notify_type::FAILED_CP_REQUIRED));
    } else if (address_failure) {
        // §3.10.1: "If this error is generated within an IKE_AUTH exchange, no Child SA will be created."
        diagnose(Severity::warning, "7296-3.10.1-internal-address-failure", "no virtual IP left in the pools for " +
                                                                              conn_->remote.id.to_string());
        r.payloads.push_back(notify(Notify_type::INTERNAL_ADDRESS_FAILURE));
    } else if (childless_request && conn_->childless != Childless_policy::never) {
        // RFC 6023 §3: an IKE SA without a CHILD SA; CHILD SAs follow with CREATE_CHILD_SA.
        diagnose(Severity::info, "6023-3-childless", "IKE SA established without a CHILD SA");
    } else if (match) {
        child_ = match->config;
        const std::uint32_t spi_out = spi_value(match->chosen.spi);
        const std::uint32_t spi_in = random_spi32(crypto);
        Proposal ours = match->chosen;
        ours.spi = spi_octets(spi_in);
        if (child_->mode == Ipsec_mode::transport && m.find_notify(Notify_type::USE_TRANSPORT_MODE)) {
            r.payloads.push_back(notify(Notify_type::USE_TRANSPORT_MODE));
        }
        narrow_to_virtual_ips(match->tsi);
        r.payloads.push_back(make(Payload_type::SA, Payload_SA{{ours}}));
        r.payloads.push_back(make(Payload_type::TSi, Payload_TS{match->tsi}));
        r.payloads.push_back(make(Payload_type::TSr, Payload_TS{match->tsr}));
        make_CHILD_SA(child_, ours, spi_in, spi_out, match->tsr, match->tsi, Octets(), Ni_, Nr_, false,
                      negotiated_mode(child_, m));
    } else {
        // §1.2, §2.21.2: the IKE SA is established; the CHILD SA is refused with its reason.
        match_child(m, nullptr, true);  // sets the refusal reason
        diagnose(Severity::warning, refusal_rule_, "CHILD SA refused: " + refusal_text_);
        const auto sent = refusal_notify_ == Notify_type::TS_UNACCEPTABLE ? Notify_type::TS_UNACCEPTABLE
                                                                          : Notify_type::NO_PROPOSAL_CHOSEN;
        record_refusal(Exchange_type::IKE_AUTH, sent);
        r.payloads.push_back(notify(sent));
    }
    if (auto w = window_notify()) r.payloads.push_back(std::move(*w));  // §2.3
    send_response(std::move(r));
}

void Ike_sa::send_AUTHENTICATION_FAILED(const Message& m) {
    diagnose(Severity::warning, refusal_rule_, "AUTHENTICATION_FAILED: " + refusal_text_);
    record_refusal(Exchange_type::IKE_AUTH, Notify_type::AUTHENTICATION_FAILED);
    send_error_response(m, Notify_type::AUTHENTICATION_FAILED);
}

void Ike_sa::install_CHILD_SA(const Message& m) {
    const auto& chosen = body_of<Payload_SA>(m, Payload_type::SA)->proposals[0];
    Proposal ours = chosen;
    ours.spi = spi_octets(child_spi_in_);
    make_CHILD_SA(child_, ours, child_spi_in_, spi_value(chosen.spi), response_selectors(m, Payload_type::TSi, child_),
                  response_selectors(m, Payload_type::TSr, child_), Octets(),
                  Ni_, Nr_, true, negotiated_mode(child_, m));
}

void Ike_sa::make_CHILD_SA(const Child_config* config, const Proposal& chosen, std::uint32_t spi_in,
                           std::uint32_t spi_out, std::vector<Traffic_selector> ts_local,
                           std::vector<Traffic_selector> ts_remote, Octets g_ir, Octets Ni, Octets Nr,
                           bool we_requested, Ipsec_mode mode) {
    auto& crypto = core_.crypto();
    const auto* e = transform_of(chosen, Transform_type::ENCR);
    const auto* i = transform_of(chosen, Transform_type::INTEG);
    const std::size_t encr_size = crypto.cipher(static_cast<Encr_id>(e->id), e->key_length.value_or(0))->key_size();
    const std::size_t integ_size = (i && i->id) ? crypto.integrity(static_cast<Integ_id>(i->id))->key_size() : 0;
    // §2.17: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr); the keys of the direction from the
    // requester of the exchange that creates the CHILD SA come first.
    const Secret keymat = crypto::KEYMAT(*prf_, keys_.SK_d.view(), g_ir, Ni, Nr, 2 * (encr_size + integ_size));
    auto k = crypto::split_KEYMAT(keymat.view(), encr_size, integ_size);
    Child_state st{config, spi_in, spi_out, chosen, ts_local, ts_remote, Time{0}, Time{0}};
    if (config && config->rekey_time.count() > 0) {
        st.rekey_at = jittered(config->rekey_time, config->rand_time);
        const auto life = config->life_time.count() > 0 ? config->life_time : config->rekey_time * 11 / 10;
        st.expire_at = core_.now() + std::chrono::duration_cast<Time>(life);
    }
    arm_CHILD_SA_lifetimes(st);
    Child_sa sa;
    sa.connection = conn_->name;
    sa.child = config ? config->name : "";
    sa.SPIi = SPIi_;
    sa.SPIr = SPIr_;
    sa.spi_in = spi_in;
    sa.spi_out = spi_out;
    sa.proposal = chosen;
    sa.encr_key_in = we_requested ? std::move(k.encr_r) : std::move(k.encr_i);
    sa.integ_key_in = we_requested ? std::move(k.integ_r) : std::move(k.integ_i);
    sa.encr_key_out = we_requested ? std::move(k.encr_i) : std::move(k.encr_r);
    sa.integ_key_out = we_requested ? std::move(k.integ_i) : std::move(k.integ_r);
    sa.local_ts = std::move(ts_local);
    sa.remote_ts = std::move(ts_remote);
    sa.mode = mode;
    sa.local = original_initiator_ ? local_ : reply_local_;
    sa.remote = original_initiator_ ? remote_ : reply_remote_;
    // [7296-2.23-s5] a detected NAT means UDP-encapsulated ESP, [7296-2.23-s3] never on port 500:
    // only on the NAT-T port the IKE SA moved to.
    sa.udp_encapsulation = (nat_detected_ || floated_) && sa.local.port == core_.config().nat_t_port;
    children_.push_back(std::move(st));
    core_.emit(Install_child_sa{std::move(sa)});
    core_.emit(Sa_event{Sa_event_kind::CHILD_SA_installed, conn_->name, SPIi_, SPIr_,
                        (config ? config->name : std::string()) + " SPIs in " + to_hex(spi_octets(spi_in)) + " out " +
                            to_hex(spi_octets(spi_out)) + " " + codec::proposal_keyword(chosen)});
}

void Ike_sa::remove_CHILD_SA(std::size_t index, const std::string& why, bool keep_inbound) {
    const Child_state c = children_[index];
    children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(index));
    if (!c.expired && keep_inbound) {
        // [7296-1.4.1-s4] the outbound SA now (spi_in 0: none), the inbound one with our response.
        core_.emit(Remove_child_sa{conn_->name, 0, c.spi_out});
        half_closed_.push_back(c.spi_in);
    } else if (!c.expired) {
        core_.emit(Remove_child_sa{conn_->name, c.spi_in, c.spi_out});  // else removed at expiry
    }
    core_.emit(Sa_event{Sa_event_kind::CHILD_SA_deleted, conn_->name, SPIi_, SPIr_,
                        (c.config ? c.config->name : std::string()) + " SPIs in " + to_hex(spi_octets(c.spi_in)) +
                            " out " + to_hex(spi_octets(c.spi_out)) + ": " + why});
}

Child_state* Ike_sa::child_by_spi_in(std::uint32_t spi_in) {
    for (auto& c : children_) {
        if (c.spi_in == spi_in || spi_in == 0) return &c;
    }
    return nullptr;
}

Child_state* Ike_sa::child_by_spi_out(std::uint32_t spi_out) {
    for (auto& c : children_) {
        if (c.spi_out == spi_out) return &c;
    }
    return nullptr;
}

// ---- actions: INFORMATIONAL -----------------------------------------------------------------

// [7296-2.8-s6] after a rekey the old SA is in Deleting, where no other request starts: this Delete is its last request.
void Ike_sa::send_Delete_IKE_SA_request() {
    Message m = header_for(Exchange_type::INFORMATIONAL, false, next_request_mid_);
    m.payloads.push_back(make(Payload_type::D, Payload_D{Protocol_id::IKE, 0, {}}));
    send_request(std::move(m));
}

void Ike_sa::send_INFORMATIONAL_response(const Message& m) {
    // [7296-1.4-s4] every INFORMATIONAL request is answered, an empty response when there is nothing to say.
    Message r = header_for(Exchange_type::INFORMATIONAL, true, m.header.message_id);
    Payload_D ours{Protocol_id::ESP, 4, {}};
    for (const auto& p : m.payloads) {
        const auto* d = std::get_if<Payload_D>(&p.body);
        if (!d || d->protocol != Protocol_id::ESP) continue;
        for (const auto& spi : d->spis) {
            // §1.4.1: the peer names its inbound SPIs (our outbound); we answer with ours.
            bool known = false;
            for (std::size_t i = 0; i < children_.size(); ++i) {
                if (children_[i].spi_out != spi_value(spi)) continue;
                known = true;
                // §2.25.1: closing one we are closing too: answer without a Delete payload. [7296-1.4.1-s5]
                const bool closing = in_flight(Request_kind::delete_child, children_[i].spi_in) != nullptr;
                if (!closing) ours.spis.push_back(spi_octets(children_[i].spi_in));
                // [7296-1.4.1-s1] [7296-1.4.1-s3] the designated CHILD SA is closed in both directions;
                // [7296-1.4.1-s4] when our Delete of it crosses this one, only its outbound SA now.
                remove_CHILD_SA(i, closing ? "deleted by both peers at once" : "deleted by the peer", closing);
                break;
            }
            if (!known && predecessor_) {
                // §2.8.2: the CHILD SA may still sit on the IKE SA we replace, waiting for the
                // collision to resolve (its Delete decides that we inherit); the peer, which did
                // not notice the collision, already moved it here and closes it: closed there.
                Ike_sa* old = core_.find(predecessor_);
                std::uint32_t spi_in = 0;
                if (old && !old->removed() && (spi_in = old->close_CHILD_SA(spi_value(spi))) != 0) {
                    diagnose(Severity::info, "7296-2.8.2-delete-before-inheritance",
                             "CHILD SA " + to_hex(spi_octets(spi_in)) + " deleted by the peer before it moved to this IKE SA");
                    ours.spis.push_back(spi_octets(spi_in));
                    known = true;
                }
            }
            if (!known && (in_flight(Request_kind::create_child) || in_flight(Request_kind::rekey_child))) {
                // The peer may be deleting the CHILD SA our CREATE_CHILD_SA request just made, whose
                // response (with that SPI) has not reached us yet: remembered for complete_CREATE_CHILD_SA.
                deleted_before_known_.push_back(spi_value(spi));
                if (deleted_before_known_.size() > 16) deleted_before_known_.erase(deleted_before_known_.begin());
            }
        }
    }
    if (!ours.spis.empty()) r.payloads.push_back(make(Payload_type::D, std::move(ours)));
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
    req_ = Child_request{};
    req_.kind = Request_kind::delete_IKE;
    info_ = std::make_unique<model::INFORMATIONAL_machine>(*this);
    info_->process(model::ev::Delete_requested{});
    check_completions();
}

void Ike_sa::report_established() {
    if (auth_ && original_initiator_) take_CP_reply();
    if (auth_ && replaces_) {
        // After this row's processing ends (the requests below start new machine events).
        completions_.push_back([this] { continue_reauthentication(); });
    }
    if (auth_) our_window_ = std::max<std::uint32_t>(1, core_.config().window_size);  // announced in IKE_AUTH (§2.3)
    if (auth_) {  // established by IKE_AUTH (not by a rekey): §2.4 INITIAL_CONTACT and `unique`
        if (initial_contact_ && conn_->unique != Unique_policy::never) {
            core_.remove_other_IKE_SAs(*this, true);
        } else if (conn_->unique == Unique_policy::replace) {
            core_.remove_other_IKE_SAs(*this, false);
        }
    }
    if (half_open_timer_) {
        core_.cancel_timer(half_open_timer_);
        duty_.erase(half_open_timer_);
        half_open_timer_ = 0;
    }
    last_received_ = core_.now();
    arm_IKE_SA_lifetime();
    arm_liveness();
    core_.emit(Sa_event{Sa_event_kind::IKE_SA_established, conn_->name, SPIi_, SPIr_,
                        proposal_ ? codec::proposal_keyword(*proposal_) : std::string()});
}

void Ike_sa::emit_keys() {
    // As soon as they exist (not only once authenticated), so that a capture of a failed
    // IKE_AUTH can be decrypted too. Only when key logging was asked for.
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
    if (redundant_ && rule == "7296-2.1-retransmission-limit") {
        // §2.8.2: the peer dropped the redundant IKE SA of the collision before our Delete came
        // (charon does): routine clean-up, no IKE_SA_failed (IKE_SA_deleted follows).
        diagnose(Severity::info, "7296-2.8.2-redundant-IKE-SA",
                 "redundant IKE SA removed without a response to its Delete (" + refusal_text_ + ")");
        return;
    }
    diagnose(Severity::warning, rule, reason + (refusal_text_.empty() ? "" : ": " + refusal_text_));
    // [7296-2.25-s2] an error answer (TEMPORARY_FAILURE too) is never retried at once: only a later lifetime timer asks again.
    // §2.21.3: a refused or unacceptable CREATE_CHILD_SA exchange ends only that exchange; the IKE
    // SA stays (check_completions reports CHILD_SA_failed). Only a peer that never answers (§2.4)
    // takes the IKE SA down with it.
    if (ccs_ && requester_ == Requester::ccs && rule != "7296-2.1-retransmission-limit") return;
    core_.emit(Sa_event{Sa_event_kind::IKE_SA_failed, conn_->name, SPIi_, SPIr_, refusal_text_.empty() ? reason : refusal_text_});
}

void Ike_sa::forget(const std::string& why) {
    diagnose(Severity::info, "7296-2.4-initial-contact", why);
    for (auto& [id, duty] : duty_) core_.cancel_timer(id);
    duty_.clear();
    remove_IKE_SA(why);
}

void Ike_sa::remove_IKE_SA(const std::string& reason) {
    stop_retransmission();
    for (auto& [mid, p] : parked_) {  // the other requests in flight go with the IKE SA (§2.3)
        if (p.timer) core_.cancel_timer(p.timer);
        p.timer = 0;
    }
    parked_.clear();
    if (collision_.active && collision_.new_IKE_spi) {
        // §2.8.2: we noticed the collision but the peer did not: its Delete of this IKE SA means its
        // new IKE SA (the one our answer created) survives and inherits the CHILD SAs.
        // (collision_.new_IKE_spi follows that SA through its own rekeys: redirect_inheritance.)
        // Also without CHILD SAs here: an older IKE SA whose collision still waits on this one
        // (its CHILD SAs go to this SA's successor) must be redirected to the survivor.
        if (Ike_sa* survivor = core_.find(collision_.new_IKE_spi); survivor && !survivor->removed()) {
            if (!children_.empty()) {
                diagnose(Severity::info, "7296-2.8.2-peer-did-not-notice",
                         "the peer deleted the old IKE SA: its new IKE SA inherits the CHILD SAs");
                survivor->inherit_children(std::move(children_));
                children_.clear();
            }
            replaced_by(survivor->our_spi());
        }
    }
    while (!children_.empty()) remove_CHILD_SA(children_.size() - 1, "its IKE SA is gone");
    for (const auto spi_in : half_closed_) core_.emit(Remove_child_sa{conn_->name, spi_in, 0});  // §1.4.1
    half_closed_.clear();
    if (!original_initiator_ && !virtual_ips_.empty() && !core_.has_other_IKE_SA(*this)) {
        core_.release_leases(conn_->remote.id.to_string());  // §2.19: the peer's last IKE SA is gone
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
    // [7296-1.4-s2] every message of this IKE SA (its control messages too) carries its own SPIs, under its keys.
    m.header.SPIi = SPIi_;
    m.header.SPIr = SPIr_;
    m.header.exchange = x;
    // [7296-3.1-s10] R clear in requests, set in responses; [7296-3.1-s12] I set by the original initiator only, V never set.
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
    // [7296-3.14-s3] a new random IV for every message; unprotect() takes whatever IV it receives.
    const Bytes iv = core_.crypto().random(cipher_->iv_size());
    return protect(m.header, m.payloads, k, iv);
}

void Ike_sa::send_request(Message m) {
    if (m.header.exchange != Exchange_type::IKE_SA_INIT && request_mids_exhausted_) {
        // [7296-2.2-s2] #2^32-1 was our last Message ID: no request goes with a wrapped one. (Not
        // reached while the rekey at Message_ID_rekey_threshold works: its margin is 2^16.)
        diagnose(Severity::error, "7296-2.2-s2", "no Message ID left for another request: the IKE SA is removed without a Delete");
        completions_.push_back([this] { lifecycle_.process(model::ev::Exchange_failed{}); });
        return;
    }
    // [7296-2.1-s3] [7296-2.3-s7] the request octets are kept until the response stops retransmission.
    outstanding_ = encode(m);
    if (m.header.exchange == Exchange_type::IKE_SA_INIT) real_message_1_ = outstanding_;
    outstanding_mid_ = m.header.message_id;
    request_outstanding_ = true;
    switch (m.header.exchange) {
        case Exchange_type::IKE_SA_INIT: requester_ = Requester::init; break;
        case Exchange_type::IKE_AUTH: requester_ = Requester::auth; break;
        case Exchange_type::CREATE_CHILD_SA: requester_ = Requester::ccs; break;
        case Exchange_type::INFORMATIONAL: requester_ = Requester::info; break;
    }
    retransmits_ = 0;
    // §2.2: the next request takes the next Message ID (a window > 1 sends it before this is answered).
    if (m.header.exchange != Exchange_type::IKE_SA_INIT) {
        // [7296-2.2-s2] never past 2^32-1: the counter stops there, marked used up.
        if (m.header.message_id == UINT32_MAX) {
            request_mids_exhausted_ = true;
        } else {
            next_request_mid_ = m.header.message_id + 1;
        }
    }
    trace(true, m, local_, remote_);
    if (timer_) core_.cancel_timer(timer_);
    timer_ = 0;
    held_ = false;
    if (m.header.exchange != Exchange_type::IKE_SA_INIT && !fits_window(m.header.message_id)) {
        // [7296-2.3-s5] (an INVALID_KE_PAYLOAD retry took the next Message ID while others are in
        // flight): sent once the responses up through #mid - window are in.
        diagnose(Severity::info, "7296-2.3-s5", "request #" + std::to_string(m.header.message_id) +
                                                    " held until the peer's window has room");
        held_ = true;
        return;
    }
    send_raw_to(outstanding_, local_, remote_);
    timer_ = core_.arm_timer(our_spi(), core_.now() + core_.config().retransmit.timeout);
}

bool Ike_sa::fits_window(std::uint32_t mid) const {
    for (const auto& [other, p] : parked_) {
        if (other < mid && mid - other >= send_window()) return false;
    }
    return true;
}

void Ike_sa::release_held_requests() {
    if (held_ && request_outstanding_ && fits_window(outstanding_mid_)) {
        held_ = false;
        send_raw_to(outstanding_, local_, remote_);
        timer_ = core_.arm_timer(our_spi(), core_.now() + core_.config().retransmit.timeout);
    }
    for (auto& [mid, p] : parked_) {
        if (!p.held || !fits_window(mid)) continue;
        p.held = false;
        send_raw_to(p.octets, local_, remote_);
        p.timer = core_.arm_timer(our_spi(), core_.now() + core_.config().retransmit.timeout);
    }
}

void Ike_sa::send_response(Message m) {
    if (m.was_protected && !m.find(Payload_type::AUTH) &&
        (m.find_notify(Notify_type::INVALID_SYNTAX) ||
         (m.header.exchange == Exchange_type::IKE_AUTH && m.find_notify(Notify_type::UNSUPPORTED_CRITICAL_PAYLOAD)))) {
        fatal_response_sent_ = true;  // §2.21.2, §2.21.3: ended once the request is handled
    }
    // [7296-2.1-s4] [7296-2.3-s8] the response is kept, with its request, for as long as the
    // request can still be retransmitted: the last `our_window_` Message IDs below the window's edge.
    const auto mid = m.header.message_id;
    Answered& a = answered_[mid];
    a.request = last_request_raw_;
    a.response = encode(m);
    const Bytes& response = a.response;
    if (m.header.exchange == Exchange_type::IKE_SA_INIT) real_message_2_ = response;
    while (!peer_mids_exhausted_ && answered_.count(expected_request_mid_)) {
        // [7296-2.2-s2] the peer's #2^32-1 answered: no later request fits 32 bits (the window ends there).
        if (expected_request_mid_ == UINT32_MAX) {
            peer_mids_exhausted_ = true;
        } else {
            ++expected_request_mid_;
        }
    }
    trace(true, m, reply_local_, reply_remote_);
    send_raw_to(response, reply_local_, reply_remote_);
    // Pruned after sending: `response` refers into the map.
    const std::uint32_t keep_from = expected_request_mid_ >= our_window_ ? expected_request_mid_ - our_window_ : 0;
    answered_.erase(answered_.begin(), answered_.lower_bound(keep_from));
}

void Ike_sa::send_error_response(const Message& request, Notify_type type, Bytes data) {
    Message r = header_for(request.header.exchange, true, request.header.message_id);
    r.was_protected = request.was_protected && keys_ready_;
    r.payloads.push_back(notify(type, std::move(data)));
    send_response(std::move(r));
}

void Ike_sa::retransmit_request() {
    // §2.1: the requester retransmits with back-off (strongSwan's timeout * base^n schedule). [7296-2.1-retransmit-identical] [7296-2.2-s1] the stored octets, same Message ID.
    ++retransmits_;
    diagnose(Severity::info, "7296-2.1-retransmit",
             "retransmission " + std::to_string(retransmits_) + " of request #" + std::to_string(outstanding_mid_));
#ifndef IKEREF_MUTANT_NEVER_RETRANSMIT
    send_raw_to(outstanding_, local_, remote_);
#endif
    const auto& rc = core_.config().retransmit;
    const double wait = static_cast<double>(rc.timeout.count()) * std::pow(rc.base, static_cast<double>(retransmits_));
    timer_ = core_.arm_timer(our_spi(), core_.now() + Time(static_cast<std::int64_t>(wait)));
}

void Ike_sa::stop_retransmission() {
#ifndef IKEREF_MUTANT_KEEP_RETRANSMIT_TIMER
    if (timer_) core_.cancel_timer(timer_);
#endif
    timer_ = 0;
#ifdef IKEREF_MUTANT_REPEAT_MESSAGE_ID
    if (request_outstanding_) next_request_mid_ = outstanding_mid_;
#else
    // IKE_SA_INIT (Message ID 0) is answered: IKE_AUTH takes #1 (§2.2). Others advanced when sent.
    if (request_outstanding_ && requester_ == Requester::init) next_request_mid_ = outstanding_mid_ + 1;
#endif
    request_outstanding_ = false;
    held_ = false;
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
    i.virtual_ips = virtual_ips_;
    i.dns = dns_;
    for (const auto& c : children_) {
        Ike_sa_info::Child ci;
        ci.name = c.config ? c.config->name : "";
        ci.spi_in = c.spi_in;
        ci.spi_out = c.spi_out;
        ci.proposal = codec::proposal_keyword(c.proposal);
        ci.local_ts = c.local_ts;
        ci.remote_ts = c.remote_ts;
        i.children.push_back(std::move(ci));
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

// ==== CREATE_CHILD_SA (RFC 7296 §1.3, §2.17, §2.18) and CHILD SA deletes (§1.4.1) ==========

namespace ike::core {

namespace {

Bytes spi8(Spi v) {
    Bytes b(8);
    for (std::size_t i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
    return b;
}

Spi spi8_value(const Bytes& b) {
    Spi v = 0;
    for (auto o : b) v = (v << 8) | o;
    return v;
}

Ke_id first_group(const std::vector<Proposal>& ps) {
    for (const auto& p : ps) {
        if (const auto* t = transform_of(p, Transform_type::KE); t && t->id) return static_cast<Ke_id>(t->id);
    }
    return Ke_id::NONE;
}

}  // namespace

bool Ike_sa::established() const { return std::string(lifecycle_.state()) == "Established"; }

bool Ike_sa::accepts_requests() const {
    const std::string state = lifecycle_.state();
    return state == "Established" || state == "Rekeying";
}

void Ike_sa::submit(Request_kind kind, std::uint32_t target, std::function<void()> start) {
    queued_.push_back(Queued{kind, target, nullptr, std::move(start)});
    pump();
}

void Ike_sa::replaced_by(Spi successor) {
    core_.IKE_SA_replaced(our_spi(), successor);
    Ike_sa* next = core_.find(successor);
    if (!next || next == this || next->removed()) return;
    // [7296-1.3.2-s2] no new CREATE_CHILD_SA exchange started on an IKE SA being rekeyed: the
    // requests wait (may_start) and, §2.18, as the CHILD SAs moved to the new IKE SA, so do they
    // (strongSwan moves its queued tasks the same way); they keep their order. A Delete of this
    // IKE SA still waiting (we found it redundant, or were asked to close it, §2.8.2, §1.4.1)
    // applies to the IKE SA that replaces it.
    auto waiting = std::move(queued_);
    queued_.clear();
    for (auto& q : waiting) {
        switch (q.kind) {
            case Request_kind::create_child:
            case Request_kind::rekey_child:
            case Request_kind::delete_child:
                next->enqueue(q.kind, q.target, q.config);
                break;
            case Request_kind::delete_IKE:
                diagnose(Severity::info, "7296-2.8.2-delete-follows-rekey",
                         "this IKE SA was to be deleted and was rekeyed: its successor is deleted instead");
                next->terminate();
                break;
            default:  // a rekey of this IKE SA or a liveness check: the successor is new
                break;
        }
    }
}

void Ike_sa::delete_rekeyed_CHILD_SA(std::uint32_t spi_in) {
    // §2.8: the Delete that completes a CHILD SA rekey goes before API requests queued earlier
    // (as strongSwan queues it): behind an IKE SA rekey it would be lost with the old IKE SA and
    // both CHILD SAs would stay.
    queued_.push_front(queued_request(Request_kind::delete_child, spi_in, nullptr));
    pump();
}

void Ike_sa::pump() {
    if (!removed_ && !delivering_) release_held_requests();
    rekey_before_Message_IDs_run_out();
    // §2.3: a new request waits until the window has room and nothing in flight conflicts with it.
    while (!queued_.empty() && !removed_ && !delivering_ && may_start(queued_.front())) {
        auto next = std::move(queued_.front());
        queued_.pop_front();
        park();
        delivering_ = true;
        next.start();
        delivering_ = false;
    }
}

bool Ike_sa::may_start(const Queued& q) const {
    // [7296-2.2-s2] near the end of the Message IDs only the IKE SA's rekey or Delete (and the
    // Deletes that complete CHILD SA rekeys) start; the rest waits for the IKE SA that replaces it.
    if (request_mids_exhausted_) return false;
    if (Message_IDs_running_out() && q.kind != Request_kind::rekey_IKE && q.kind != Request_kind::delete_IKE &&
        q.kind != Request_kind::delete_child) {
        return false;
    }
    const std::size_t busy = requests_in_flight();
    if (ccs_ || info_) {
        if (!request_outstanding_) return false;  // an exchange still completing (not parkable)
    }
    if (busy == 0) return true;
    // [7296-2.3-s2] one at a time until the initial exchanges complete and the peer announced more;
    // [7296-2.3-s5] [7296-2.3-s6] request X waits for the responses up through X - window.
    if (requester_ == Requester::init || requester_ == Requester::auth) return false;
    std::uint32_t oldest = request_outstanding_ ? outstanding_mid_ : parked_.begin()->first;
    if (!parked_.empty()) oldest = std::min(oldest, parked_.begin()->first);
    if (next_request_mid_ - oldest >= send_window()) return false;
    // Next to others only CHILD SA work that cannot collide with itself: the IKE SA's rekey and
    // Delete go alone (§2.8.2, §2.25.2), at most one CHILD SA rekey (its collision state, §2.8.1),
    // and never two requests on one CHILD SA.
    auto alone = [](Request_kind k) { return k == Request_kind::rekey_IKE || k == Request_kind::delete_IKE || k == Request_kind::none; };
    if (alone(q.kind)) return false;
    bool conflict = false;
    auto check = [&](const Child_request& r) {
        if (alone(r.kind)) conflict = true;
        if (q.kind == Request_kind::rekey_child && r.kind == Request_kind::rekey_child) conflict = true;
        if (q.target != 0 && (r.old_spi_in == q.target || r.new_spi_in == q.target)) conflict = true;
    };
    if (request_outstanding_) check(req_);
    for (const auto& [mid, pk] : parked_) check(pk.req);
    if (conflict) return false;
    // A rekey or Delete with target 0 (the first CHILD SA): wait, the target is chosen when it starts.
    if (q.target == 0 && (q.kind == Request_kind::rekey_child || q.kind == Request_kind::delete_child)) return false;
    return true;
}

void Ike_sa::rekey_before_Message_IDs_run_out() {
    // RFC 7296 §2.2 [7296-2.2-s2]: "In the unlikely event that Message IDs grow too large to fit in
    // 32 bits, the IKE SA MUST be closed or rekeyed." Either counter (ours or the peer's) at its
    // threshold: we rekey the IKE SA (§1.3.2; the new one starts both counters at 0, §2.18), or,
    // when Message_ID_rekey_attempts rekeys were refused, delete it. The peer's requests are
    // answered up to #2^32-1; one after it is outside the window (in_receive_window), dropped (§2.3).
    if (removed_ || delivering_ || !established() || !Message_IDs_running_out()) return;
    if (in_flight(Request_kind::rekey_IKE) || in_flight(Request_kind::delete_IKE)) return;
    auto ends_IKE_SA = [](const Queued& q) { return q.kind == Request_kind::rekey_IKE || q.kind == Request_kind::delete_IKE; };
    // Ahead of it only the Deletes that complete CHILD SA rekeys (delete_rekeyed_CHILD_SA).
    auto front = std::find_if(queued_.begin(), queued_.end(), [](const Queued& q) { return q.kind != Request_kind::delete_child; });
    const auto queued = std::find_if(queued_.begin(), queued_.end(), ends_IKE_SA);
    if (queued != queued_.end()) {
        if (queued != front) {  // queued behind requests that may not start any more: moved up
            Queued q = std::move(*queued);
            queued_.erase(queued);
            front = std::find_if(queued_.begin(), queued_.end(), [](const Queued& x) { return x.kind != Request_kind::delete_child; });
            queued_.insert(front, std::move(q));
        }
        return;
    }
    if (Message_ID_rekey_waiting_) return;
    if (!Message_ID_rekey_due_ && Message_ID_rekeys_ < Message_ID_rekey_attempts) {
        // [7296-2.25-s2] the last rekey was refused (the IKE SA is Established again): not retried at once.
        Message_ID_rekey_waiting_ = true;
        arm_duty(core_.now() + std::chrono::duration_cast<Time>(Message_ID_rekey_retry), [this] {
            Message_ID_rekey_waiting_ = false;
            Message_ID_rekey_due_ = true;
            if (!removed_) pump();
        });
        return;
    }
    if (Message_ID_rekey_due_) {
        Message_ID_rekey_due_ = false;
        ++Message_ID_rekeys_;
        diagnose(Severity::info, "7296-2.2-s2",
                 "Message IDs near 2^32 (next request #" + std::to_string(next_request_mid_) + ", peer's #" +
                     std::to_string(expected_request_mid_) + "): rekeying the IKE SA" +
                     (Message_ID_rekeys_ > 1 ? " (attempt " + std::to_string(Message_ID_rekeys_) + ")" : ""));
        queued_.insert(front, queued_request(Request_kind::rekey_IKE, 0, nullptr));
        return;
    }
    // The rekeys were refused (the IKE SA is Established again): the IKE SA is closed.
    diagnose(Severity::warning, "7296-2.2-s2",
             "Message IDs near 2^32 and " + std::to_string(Message_ID_rekey_attempts) +
                 " rekeys of the IKE SA refused: deleting the IKE SA");
    queued_.insert(front, queued_request(Request_kind::delete_IKE, 0, nullptr));
}

std::uint32_t Ike_sa::close_CHILD_SA(std::uint32_t spi_out) {
    for (std::size_t i = 0; i < children_.size(); ++i) {
        if (children_[i].spi_out != spi_out) continue;
        const std::uint32_t spi_in = children_[i].spi_in;
        remove_CHILD_SA(i, "deleted by the peer on the IKE SA that replaces this one");
        return spi_in;
    }
    return 0;
}

void Ike_sa::abandon_liveness_checks() {
    // §2.4, §2.3: a liveness check (or window announcement) on an IKE SA the peer has just
    // replaced proves nothing any more; its late response is then dropped as unmatched. (The
    // peer's rekey is refused with TEMPORARY_FAILURE while any other request of ours is in flight.)
    if (request_outstanding_ && info_ && req_.kind == Request_kind::liveness) {
        diagnose(Severity::info, "7296-2.18-liveness-abandoned",
                 "INFORMATIONAL #" + std::to_string(outstanding_mid_) + " abandoned: the IKE SA was rekeyed by the peer");
        stop_retransmission();
        info_.reset();
        req_ = Child_request{};
        requester_ = Requester::none;
    }
    for (auto it = parked_.begin(); it != parked_.end();) {
        if (it->second.req.kind != Request_kind::liveness) {
            ++it;
            continue;
        }
        if (it->second.timer) core_.cancel_timer(it->second.timer);
        it = parked_.erase(it);
    }
}

void Ike_sa::park() {
    // [7296-2.3-s7] the parked request keeps its octets for retransmission until its response.
    if (!request_outstanding_) return;
    Parked& p = parked_[outstanding_mid_];
    p.octets = std::move(outstanding_);
    p.held = held_;
    held_ = false;
    p.retransmits = retransmits_;
    p.timer = timer_;
    p.requester = requester_;
    p.req = std::move(req_);
    p.ccs = std::move(ccs_);
    p.info = std::move(info_);
    outstanding_.clear();
    retransmits_ = 0;
    timer_ = 0;
    requester_ = Requester::none;
    req_ = Child_request{};
    request_outstanding_ = false;
}

bool Ike_sa::activate(std::uint32_t mid) {
    auto it = parked_.find(mid);
    if (it == parked_.end()) return false;
    Parked p = std::move(it->second);
    parked_.erase(it);
    park();
    outstanding_ = std::move(p.octets);
    held_ = p.held;
    outstanding_mid_ = mid;
    retransmits_ = p.retransmits;
    timer_ = p.timer;
    requester_ = p.requester;
    req_ = std::move(p.req);
    ccs_ = std::move(p.ccs);
    info_ = std::move(p.info);
    request_outstanding_ = true;
    return true;
}

const Ike_sa::Child_request* Ike_sa::in_flight(Request_kind kind, std::uint32_t target) const {
    auto matches = [&](const Child_request& r) { return r.kind == kind && (target == 0 || r.old_spi_in == target); };
    if ((ccs_ || info_) && matches(req_)) return &req_;
    for (const auto& [mid, p] : parked_) {
        if (matches(p.req)) return &p.req;
    }
    return nullptr;
}

bool Ike_sa::in_receive_window(std::uint32_t mid) const {
    // [7296-2.3-s9] the peer's requests from the lowest unanswered Message ID on, `our_window_` of
    // them, each answered once (out of order too); a retransmission was answered from the cache.
    // [7296-2.2-s2] a request after the peer's #2^32-1 could only carry a wrapped ID: none fits.
    return !peer_mids_exhausted_ && mid >= expected_request_mid_ && mid - expected_request_mid_ < our_window_ &&
           !answered_.count(mid);
}

std::string Ike_sa::receive_window_text() const {
    return our_window_ == 1 ? "expected #" + std::to_string(expected_request_mid_)
                            : "window #" + std::to_string(expected_request_mid_) + "..#" +
                                  std::to_string(std::min<std::uint64_t>(std::uint64_t{expected_request_mid_} + our_window_ - 1, UINT32_MAX));
}

void Ike_sa::note_peer_window(const Message& m) {
    const auto* n = m.find_notify(Notify_type::SET_WINDOW_SIZE);
    if (!n) return;
    const auto w = codec::window_size_of(*n);
    if (!w || *w == 0) {
        diagnose(Severity::warning, "7296-2.3-window-size-length", "SET_WINDOW_SIZE without a 4-octet size above 0: ignored");
        return;
    }
    if (*w < peer_window_) {
        // §2.3: a window cannot be reduced; what a smaller value means is not defined.
        diagnose(Severity::info, "7296-2.3-window-not-reduced",
                 "peer announced window " + std::to_string(*w) + " below " + std::to_string(peer_window_) + ": kept");
        return;
    }
    peer_window_ = *w;
    diagnose(Severity::debug, "7296-2.3-set-window-size", "peer's window: " + std::to_string(peer_window_));
}

std::uint32_t Ike_sa::send_window() const {
    // §2.3: the window is one until the initial exchanges complete.
    if (!established()) return 1;
    return std::max<std::uint32_t>(1, std::min(peer_window_, core_.config().window_size));
}

std::optional<Payload> Ike_sa::window_notify() const {
    const std::uint32_t w = core_.config().window_size;
    if (w <= 1) return std::nullopt;
    // [7296-2.3-s1] 4 octets, big endian (make_notify), the number of responses we keep (answered_).
    return make(Payload_type::N, codec::make_notify(Notify_type::SET_WINDOW_SIZE, codec::Notify_window_size{w}));
}

bool Ike_sa::request_CREATE_CHILD_SA(const std::string& child) {
    const Child_config* config = nullptr;
    for (const auto& c : conn_->children) {
        if (child.empty() || c.name == child) {
            config = &c;
            break;
        }
    }
    if (!config) return false;
    enqueue(Request_kind::create_child, 0, config);
    return true;
}

Child_state* Ike_sa::rekey_target(std::uint32_t spi_in) {
    if (spi_in != 0) return child_by_spi_in(spi_in);
    for (auto& c : children_) {
        if (!c.rekeyed_by_peer && !c.expired) return &c;
    }
    return children_.empty() ? nullptr : &children_.front();
}

bool Ike_sa::request_rekey_CHILD_SA(std::uint32_t spi_in) {
    if (!child_by_spi_in(spi_in)) return false;
    enqueue(Request_kind::rekey_child, spi_in, nullptr);
    return true;
}

bool Ike_sa::request_rekey_IKE_SA() {
    enqueue(Request_kind::rekey_IKE, 0, nullptr);
    return true;
}

bool Ike_sa::request_delete_CHILD_SA(std::uint32_t spi_in) {
    if (!child_by_spi_in(spi_in)) return false;
    enqueue(Request_kind::delete_child, spi_in, nullptr);
    return true;
}

Ike_sa::Queued Ike_sa::queued_request(Request_kind kind, std::uint32_t target, const Child_config* config) {
    std::function<void()> start;
    switch (kind) {
        case Request_kind::create_child:
            start = [this, config] {
                req_ = Child_request{};
                req_.kind = Request_kind::create_child;
                req_.config = config;
                deliver(model::ev::Create_CHILD_SA_requested{});
            };
            break;
        case Request_kind::rekey_child:
            start = [this, spi_in = target] {
                const Child_state* c = rekey_target(spi_in);
                if (!c) return;  // deleted while the request waited
                if (c->rekeyed_by_peer) {
                    // §2.8: the peer has rekeyed it already and will delete it; a second rekey would leave
                    // two new CHILD SAs for one (strongSwan skips a CHILD SA in state REKEYED too).
                    diagnose(Severity::info, "7296-2.8-already-rekeyed",
                             "CHILD SA " + to_hex(spi_octets(c->spi_in)) + " was just rekeyed by the peer: not rekeyed again");
                    return;
                }
                req_ = Child_request{};
                req_.kind = Request_kind::rekey_child;
                req_.config = c->config;
                req_.old_spi_in = c->spi_in;
                deliver(model::ev::Rekey_CHILD_SA_requested{});
            };
            break;
        case Request_kind::delete_child:
            start = [this, spi_in = target] {
                const Child_state* c = child_by_spi_in(spi_in);
                if (!c || (spi_in != 0 && c->spi_in != spi_in)) return;  // deleted meanwhile (§1.4.1)
                req_ = Child_request{};
                req_.kind = Request_kind::delete_child;
                req_.old_spi_in = c->spi_in;
                deliver(model::ev::Delete_CHILD_SA_requested{});
            };
            break;
        case Request_kind::rekey_IKE:
            start = [this] {
                req_ = Child_request{};
                req_.kind = Request_kind::rekey_IKE;
                deliver(model::ev::Rekey_IKE_SA_requested{});
            };
            break;
        case Request_kind::delete_IKE:
            start = [this] {
                req_ = Child_request{};
                req_.kind = Request_kind::delete_IKE;
                deliver(model::ev::Delete_requested{});
            };
            break;
        default:  // liveness and reauthentication build their own (submit)
            break;
    }
    return Queued{kind, target, config, std::move(start)};
}

void Ike_sa::enqueue(Request_kind kind, std::uint32_t target, const Child_config* config) {
    queued_.push_back(queued_request(kind, target, config));
    pump();
}

void Ike_sa::start_CREATE_CHILD_SA_exchange() {
    ccs_ = std::make_unique<model::CREATE_CHILD_SA_machine>(*this);
    switch (req_.kind) {
        case Request_kind::create_child: ccs_->process(model::ev::Create_CHILD_SA_requested{}); break;
        case Request_kind::rekey_child: ccs_->process(model::ev::Rekey_CHILD_SA_requested{}); break;
        case Request_kind::rekey_IKE: ccs_->process(model::ev::Rekey_IKE_SA_requested{}); break;
        default: break;
    }
    check_completions();
}

void Ike_sa::start_Delete_CHILD_SA_exchange() {
    info_ = std::make_unique<model::INFORMATIONAL_machine>(*this);
    info_->process(model::ev::Delete_CHILD_SA_requested{});
    check_completions();
}

// ---- requester ------------------------------------------------------------------------------

void Ike_sa::send_CREATE_CHILD_SA_request() {
    auto& crypto = core_.crypto();
    req_.Ni = crypto.random(nonce_size);
    Message m = header_for(Exchange_type::CREATE_CHILD_SA, false, next_request_mid_);
    if (req_.kind == Request_kind::rekey_IKE) {
        // §1.3.2: SA (with the new SPIi in the proposals), Ni, KEi; no TS. §2.18: a new D-H is a MUST. [7296-1.3.2-s1]
        if (!req_.new_spi) req_.new_spi = core_.allocate_spi();
        req_.offer = IKE_offer();
        for (auto& p : req_.offer) p.spi = spi8(req_.new_spi);
        if (req_.group == Ke_id::NONE) req_.group = group_;
        req_.ke = crypto.key_exchange(req_.group);
        m.payloads.push_back(make(Payload_type::SA, Payload_SA{req_.offer}));
        m.payloads.push_back(make(Payload_type::Nonce, Payload_Nonce{req_.Ni}));
        m.payloads.push_back(make(Payload_type::KE, Payload_KE{static_cast<std::uint16_t>(req_.group), req_.ke->public_value()}));
    } else {
        const Child_config& c = *req_.config;
        const Child_state* old = req_.kind == Request_kind::rekey_child ? child_by_spi_in(req_.old_spi_in) : nullptr;
        if (req_.kind == Request_kind::rekey_child) {
            // §1.3.3: REKEY_SA names the SA being rekeyed by the SPI we receive it with. [7296-1.3.3-s1]
            // [7296-3.10-s1] a notify about a CHILD SA names ESP (CHILD_SA_NOT_FOUND copies REKEY_SA's protocol).
            m.payloads.push_back(notify(Notify_type::REKEY_SA, {}, Protocol_id::ESP, spi_octets(req_.old_spi_in)));
        }
        std::vector<Traffic_selector> tsi, tsr;
        // A rekey keeps the old SA's mode and selectors (§2.8); a new SA gets them from c (§2.23.1).
        const bool transport = old ? c.mode == Ipsec_mode::transport : transport_selectors(c, tsi, tsr);
        if (old) {
            tsi = old->local_ts;
            tsr = old->remote_ts;
        }
        if (transport) m.payloads.push_back(notify(Notify_type::USE_TRANSPORT_MODE));
        req_.new_spi_in = random_spi32(crypto);
        req_.offer = c.esp_proposals;
        std::uint8_t n = 1;
        for (auto& p : req_.offer) {
            p.number = n++;
            p.protocol = Protocol_id::ESP;
            p.spi = spi_octets(req_.new_spi_in);
        }
        m.payloads.push_back(make(Payload_type::SA, Payload_SA{req_.offer}));
        m.payloads.push_back(make(Payload_type::Nonce, Payload_Nonce{req_.Ni}));
        // [7296-1.3-s4] [7296-1.3-s5] KEi is in a group of our offer: its first, or the offered one INVALID_KE_PAYLOAD asked for.
        if (req_.group == Ke_id::NONE) req_.group = first_group(req_.offer);
        // [7296-3.4-s3] no KE when no proposal of ours names a D-H group.
        if (req_.group != Ke_id::NONE) {  // PFS (§1.3.1): a KE when the ESP proposal names a group
            req_.ke = crypto.key_exchange(req_.group);
            m.payloads.push_back(make(Payload_type::KE, Payload_KE{static_cast<std::uint16_t>(req_.group), req_.ke->public_value()}));
        }
        m.payloads.push_back(make(Payload_type::TSi, Payload_TS{std::move(tsi)}));
        m.payloads.push_back(make(Payload_type::TSr, Payload_TS{std::move(tsr)}));
    }
    send_request(std::move(m));
}

void Ike_sa::resend_CREATE_CHILD_SA_with_group(const Message& m) {
    const auto& d = m.find_notify(Notify_type::INVALID_KE_PAYLOAD)->data;
    ++req_.ke_tries;
    req_.group = static_cast<Ke_id>((d[0] << 8) | d[1]);
    diagnose(Severity::info, "7296-1.3-invalid-ke-retry", "peer asked for " + to_string(req_.group) + ": retrying");
    send_CREATE_CHILD_SA_request();  // a new request with the next Message ID
}

bool Ike_sa::CREATE_CHILD_SA_response_acceptable(const Message& m) const {
    const auto* sa = body_of<Payload_SA>(m, Payload_type::SA);
    const auto* nonce = body_of<Payload_Nonce>(m, Payload_type::Nonce);
    const bool IKE = req_.kind == Request_kind::rekey_IKE;
    if (!sa || !nonce || sa->proposals.size() != 1 || !proposal_from_offer(sa->proposals[0], req_.offer) ||
        sa->proposals[0].spi.size() != (IKE ? 8u : 4u)) {
        refusal_rule_ = "7296-2.7-response-proposal";
        refusal_text_ = "the CREATE_CHILD_SA response's SA is not one proposal taken from our offer";
        return false;
    }
    const auto* group = transform_of(sa->proposals[0], Transform_type::KE);
    if (group && group->id) {
        const auto* ke = body_of<Payload_KE>(m, Payload_type::KE);
        if (!req_.ke || group->id != static_cast<std::uint16_t>(req_.group) || !ke || ke->group != group->id ||
            ke->data.size() != public_value_size(req_.group)) {
            refusal_rule_ = "7296-1.3-ke";
            refusal_text_ = "KEr missing or not of the selected group";
            return false;
        }
    }
    if (!IKE) {
        const auto* tsi = body_of<Payload_TS>(m, Payload_type::TSi);
        const auto* tsr = body_of<Payload_TS>(m, Payload_type::TSr);
        const Child_state* old = req_.kind == Request_kind::rekey_child
                                     ? const_cast<Ike_sa*>(this)->child_by_spi_in(req_.old_spi_in) : nullptr;
        const auto& local = old ? old->local_ts : req_.config->local_ts;
        const auto& remote = old ? old->remote_ts : req_.config->remote_ts;
        if (!tsi || !tsr || !selectors_within(response_selectors(m, Payload_type::TSi, req_.config), local) ||
            !selectors_within(response_selectors(m, Payload_type::TSr, req_.config), remote)) {
            refusal_rule_ = "7296-2.9-ts-widened";
            refusal_text_ = "the responder's selectors are not inside what we proposed";
            return false;
        }
    }
    return true;
}

void Ike_sa::complete_CREATE_CHILD_SA(const Message& m) {
    const Proposal& chosen = body_of<Payload_SA>(m, Payload_type::SA)->proposals[0];
    const Bytes& Nr = body_of<Payload_Nonce>(m, Payload_type::Nonce)->data;
    std::optional<Secret> g_ir;
    if (const auto* ke = body_of<Payload_KE>(m, Payload_type::KE); ke && req_.ke) {
        g_ir = req_.ke->shared_secret(ke->data);
        if (!g_ir) {
            diagnose(Severity::warning, "7296-3.4-ke-invalid", "peer KE value refused by the group's checks");
            return;
        }
    }
    if (req_.kind == Request_kind::rekey_IKE) {
        // §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old PRF; the new SA's
        // keys with the new PRF and SPIs. We requested the rekey: we are its original initiator.
        Rekeyed_state st;
        st.SPIi = req_.new_spi;
        st.SPIr = spi8_value(chosen.spi);
        st.proposal = chosen;
        st.proposal.spi.clear();
        st.Ni = req_.Ni;
        st.Nr = Nr;
        st.keys = rekeyed_IKE_SA_keys(chosen, g_ir->view(), st);
        bool ours_redundant = false;
        Ike_sa* theirs_sa = nullptr;
        if (collision_.active && collision_.new_IKE_spi) {
            // §2.8.2: the new IKE SA with the lowest nonce is deleted by the node that created it;
            // the other one inherits every CHILD SA.
            ours_redundant = std::min(st.Ni, st.Nr) < std::min(collision_.Ni, collision_.Nr);
#ifdef IKEREF_MUTANT_INVERT_NONCE_2_8_2
            if (original_initiator_) ours_redundant = !ours_redundant;
#endif
            theirs_sa = core_.find(collision_.new_IKE_spi);
            diagnose(Severity::info, "7296-2.8.2-rekey-collision",
                     std::string("simultaneous IKE SA rekey: ") +
                         (ours_redundant ? "our new IKE SA has the lowest nonce: we delete it; the peer's inherits"
                                         : "the peer's new IKE SA has the lowest nonce: ours inherits"));
            collision_ = Collision{};
        }
        if (!ours_redundant) {
            // [7296-1.4-s3] the CHILD SAs move to the new IKE SA: their control messages go under the successor.
            st.children = std::move(children_);
            children_.clear();
        }
        st.local = local_;
        st.remote = remote_;
        st.nat = nat_detected_ || floated_;
        st.virtual_ips = virtual_ips_;
        st.old_SPIi = SPIi_;
        st.old_SPIr = SPIr_;
        st.old_our_spi = our_spi();
        st.peer_window = peer_window_;
        auto fresh = std::make_unique<Ike_sa>(core_, *conn_, true, st.SPIi, local_, remote_);
        Ike_sa& ref = *fresh;
        fresh->adopt_rekey(std::move(st));
        core_.adopt(std::move(fresh));
        if (!ours_redundant) replaced_by(ref.our_spi());
        if (ours_redundant) {
            lost_IKE_collision_ = true;
            if (theirs_sa) {
                theirs_sa->inherit_children(std::move(children_));
                replaced_by(theirs_sa->our_spi());
            }
            children_.clear();
            ref.redundant_ = true;
            ref.terminate();
        } else if (theirs_sa) {
            // The peer should delete the redundant IKE SA it created; if it never does (it may not
            // have noticed the collision), we delete it ourselves (strongSwan does the same).
            theirs_sa->expect_delete_by_peer(core_.config().retransmit.timeout * 3);
        }
        return;
    }
    Proposal ours = chosen;
    ours.spi = spi_octets(req_.new_spi_in);
    make_CHILD_SA(req_.config, ours, req_.new_spi_in, spi_value(chosen.spi), response_selectors(m, Payload_type::TSi, req_.config),
                  response_selectors(m, Payload_type::TSr, req_.config),
                  g_ir ? g_ir->view() : Octets(), req_.Ni, Nr, true, negotiated_mode(req_.config, m));
    if (req_.kind == Request_kind::rekey_child) {
        if (collision_.active && collision_.new_spi_in) {
            // §2.8.1: of the two new SAs, the one whose exchange holds the lowest of the four nonces
            // (octet by octet; a prefix is lower) is closed by the node that created it; the
            // node that initiated the survivor deletes the old SA.
            const Bytes& lowest_ours = std::min(req_.Ni, Nr);
            const Bytes& lowest_theirs = std::min(collision_.Ni, collision_.Nr);
            const bool ours_redundant = lowest_ours < lowest_theirs;
            diagnose(Severity::info, "7296-2.8.1-rekey-collision",
                     std::string("simultaneous CHILD SA rekey: the lowest nonce is in ") +
                         (ours_redundant ? "our exchange: we delete our new SA " + to_hex(spi_octets(req_.new_spi_in))
                                         : "the peer's exchange: we delete the old SA " + to_hex(spi_octets(req_.old_spi_in))));
#if defined(IKEREF_MUTANT_INVERT_NONCE_2_8_1)
            delete_rekeyed_CHILD_SA(original_initiator_ != ours_redundant ? req_.new_spi_in : req_.old_spi_in);
#elif defined(IKEREF_MUTANT_KEEP_REDUNDANT_CHILD_SA)
            if (!ours_redundant) delete_rekeyed_CHILD_SA(req_.old_spi_in);
#else
            delete_rekeyed_CHILD_SA(ours_redundant ? req_.new_spi_in : req_.old_spi_in);
#endif
            collision_ = Collision{};
        } else {
            // §2.8: the requester of a CHILD SA rekey deletes the old SA once the new one is in.
            delete_rekeyed_CHILD_SA(req_.old_spi_in);
        }
    }
    const auto gone = std::find(deleted_before_known_.begin(), deleted_before_known_.end(), spi_value(chosen.spi));
    if (gone != deleted_before_known_.end()) {
        // §1.4.1: the peer already deleted (both directions of) the SA this response creates: its
        // Delete arrived first, while we did not know the SPI yet. We close ours without a message.
        deleted_before_known_.erase(gone);
        for (std::size_t i = 0; i < children_.size(); ++i) {
            if (children_[i].spi_in != req_.new_spi_in) continue;
            diagnose(Severity::info, "7296-1.4.1-deleted-before-response",
                     "CHILD SA " + to_hex(spi_octets(req_.new_spi_in)) + " was deleted by the peer before its CREATE_CHILD_SA response arrived");
            remove_CHILD_SA(i, "deleted by the peer before its creation completed here");
            break;
        }
    }
}

void Ike_sa::send_Delete_CHILD_SA_request() {
    Message m = header_for(Exchange_type::INFORMATIONAL, false, next_request_mid_);
    // [7296-1.4.1-s2] [7296-2.4-s11] we name our inbound SPI; the peer closes the other half itself.
    m.payloads.push_back(make(Payload_type::D, Payload_D{Protocol_id::ESP, 4, {spi_octets(req_.old_spi_in)}}));
    send_request(std::move(m));
}

void Ike_sa::complete_Delete_CHILD_SA(const Message&) {
    if (req_.kind != Request_kind::delete_child) return;
    // [7296-1.4.1-s4] the peer's Delete crossed ours and took the outbound SA: the inbound one goes now.
    if (const auto h = std::find(half_closed_.begin(), half_closed_.end(), req_.old_spi_in); h != half_closed_.end()) {
        half_closed_.erase(h);
        core_.emit(Remove_child_sa{conn_->name, req_.old_spi_in, 0});
        return;
    }
    // §1.4.1: the SA is gone in both directions once the response arrives (a response without
    // the paired Delete means the peer had already removed it).
    // [7296-1.4.1-s6] our half-closed SA is kept until this response: never closed alone.
    for (std::size_t i = 0; i < children_.size(); ++i) {
        if (children_[i].spi_in == req_.old_spi_in) {
            remove_CHILD_SA(i, "deleted");
            break;
        }
    }
}

// ---- responder -----------------------------------------------------------------------------

bool Ike_sa::is_IKE_SA_rekey(const Message& m) const {
    const auto* sa = body_of<Payload_SA>(m, Payload_type::SA);
    return sa && !sa->proposals.empty() && sa->proposals[0].protocol == Protocol_id::IKE;
}

bool Ike_sa::is_CHILD_SA_rekey(const Message& m) const { return m.find_notify(Notify_type::REKEY_SA) != nullptr; }

bool Ike_sa::KE_acceptable_for(const Message& m, const Proposal& chosen) const {
    const auto* group = transform_of(chosen, Transform_type::KE);
    const auto* ke = body_of<Payload_KE>(m, Payload_type::KE);
    // [7296-3.3.6-s11] no D-H group chosen (NONE or absent): KEi ignored here, and the response carries no KEr.
    if (!group || group->id == 0) return true;  // no PFS chosen: a KEi is ignored
    if (!ke || ke->group != group->id) {
        // §1.3: the KEi group is not the selected one: INVALID_KE_PAYLOAD names the one we want. [7296-3.4-s4]
        refusal_rule_ = "7296-1.3-invalid-ke-payload";
        refusal_text_ = "KEi group is not the selected " + to_string(static_cast<Ke_id>(group->id));
        refusal_notify_ = Notify_type::INVALID_KE_PAYLOAD;
        refusal_data_ = {static_cast<std::uint8_t>(group->id >> 8), static_cast<std::uint8_t>(group->id & 0xff)};
        return false;
    }
    if (ke->data.size() != public_value_size(static_cast<Ke_id>(ke->group))) {
        refusal_rule_ = "7296-3.4-ke-length";
        refusal_text_ = "KE data length does not match its group";
        refusal_notify_ = Notify_type::INVALID_SYNTAX;
        return false;
    }
    return true;
}

bool Ike_sa::new_IKE_SA_acceptable(const Message& m) const {
    const auto* sa = body_of<Payload_SA>(m, Payload_type::SA);
    refusal_notify_ = Notify_type::NO_PROPOSAL_CHOSEN;
    refusal_data_.clear();
    auto sel = select_proposal(sa->proposals, conn_->proposals, core_.crypto());
    refusal_proposals_.clear();
    refusal_selectors_.clear();
    if (!sel.chosen) note_proposal_refusal(sel.refusal);
    if (!sel.chosen || sel.chosen->spi.size() != 8 || spi8_value(sel.chosen->spi) == 0) {
        refusal_rule_ = "7296-2.18-no-proposal-chosen";
        refusal_text_ = sel.chosen ? "new IKE SPI is not 8 non-zero octets" : sel.reason;
        return false;
    }
    const auto* group = transform_of(*sel.chosen, Transform_type::KE);
    if (!group || group->id == 0) {
        // [7296-2.18-s2] a responder never accepts an IKE SA rekey without D-H.
        refusal_rule_ = "7296-2.18-dh-required";
        refusal_text_ = "an IKE SA rekey without a D-H group";
        return false;
    }
    return KE_acceptable_for(m, *sel.chosen);
}

bool Ike_sa::CHILD_SA_rekey_acceptable(const Message& m) const {
    const auto* n = m.find_notify(Notify_type::REKEY_SA);
    refusal_notify_ = Notify_type::NO_PROPOSAL_CHOSEN;
    refusal_data_.clear();
    const Child_state* old = (n && n->spi.size() == 4) ? const_cast<Ike_sa*>(this)->child_by_spi_out(spi_value(n->spi)) : nullptr;
    if (!old) {
        // §2.25: CHILD_SA_NOT_FOUND, with the SPI copied from REKEY_SA.
        refusal_rule_ = "7296-2.25-child-sa-not-found";
        refusal_text_ = "REKEY_SA for SPI " + (n ? to_hex(n->spi) : std::string("?")) + " matches no CHILD SA";
        refusal_notify_ = Notify_type::CHILD_SA_NOT_FOUND;
        refusal_protocol_ = Protocol_id::ESP;
        refusal_spi_ = n ? n->spi : Bytes{};
        return false;
    }
    auto match = match_child(m, old->config, false);
    return match && KE_acceptable_for(m, match->chosen);
}

bool Ike_sa::new_CHILD_SA_acceptable(const Message& m) const {
    auto match = match_child(m, nullptr, false);
    return match && KE_acceptable_for(m, match->chosen);
}

void Ike_sa::send_CREATE_CHILD_SA_refusal(const Message& m) {
    diagnose(Severity::warning, refusal_rule_, "CREATE_CHILD_SA refused: " + refusal_text_);
    record_refusal(Exchange_type::CREATE_CHILD_SA, refusal_notify_);
    Message r = header_for(Exchange_type::CREATE_CHILD_SA, true, m.header.message_id);
    Payload_N n;
    n.type = static_cast<std::uint16_t>(refusal_notify_);
    n.data = refusal_data_;
    if (refusal_notify_ == Notify_type::CHILD_SA_NOT_FOUND) {
        n.protocol = refusal_protocol_;
        n.spi = refusal_spi_;
    }
    r.payloads.push_back(make(Payload_type::N, std::move(n)));
    send_response(std::move(r));
}

void Ike_sa::send_IKE_SA_rekey_response(const Message& m) {
    auto& crypto = core_.crypto();
    const auto* sa = body_of<Payload_SA>(m, Payload_type::SA);
    Proposal chosen = *select_proposal(sa->proposals, conn_->proposals, crypto).chosen;
    const Ke_id group = static_cast<Ke_id>(transform_of(chosen, Transform_type::KE)->id);
    auto ke = crypto.key_exchange(group);
    const auto* kei = body_of<Payload_KE>(m, Payload_type::KE);
    auto g_ir = ke->shared_secret(kei->data);
    if (!g_ir) {
        refusal_rule_ = "7296-3.4-ke-invalid";
        refusal_text_ = "peer KE value refused by the group's checks";
        refusal_notify_ = Notify_type::INVALID_SYNTAX;
        send_CREATE_CHILD_SA_refusal(m);
        return;
    }
    Rekeyed_state st;
    st.SPIi = spi8_value(chosen.spi);  // the peer requested the rekey: it is the new SA's original initiator
    st.SPIr = core_.allocate_spi();
    st.Ni = body_of<Payload_Nonce>(m, Payload_type::Nonce)->data;
    st.Nr = crypto.random(nonce_size);
    Proposal ours = chosen;
    ours.spi = spi8(st.SPIr);
    Message r = header_for(Exchange_type::CREATE_CHILD_SA, true, m.header.message_id);
    r.payloads.push_back(make(Payload_type::SA, Payload_SA{{ours}}));
    r.payloads.push_back(make(Payload_type::Nonce, Payload_Nonce{st.Nr}));
    r.payloads.push_back(make(Payload_type::KE, Payload_KE{static_cast<std::uint16_t>(group), ke->public_value()}));
    send_response(std::move(r));
    st.keys = rekeyed_IKE_SA_keys(chosen, g_ir->view(), st);
    st.proposal = chosen;
    st.proposal.spi.clear();
    const bool colliding = in_flight(Request_kind::rekey_IKE) != nullptr;
    if (colliding) {
        // §2.25.2: answer as usual; which new SA survives is decided when our own response arrives.
        collision_.active = true;
        collision_.Ni = st.Ni;
        collision_.Nr = st.Nr;
        collision_.new_IKE_spi = st.SPIr;
    } else {
        st.children = std::move(children_);
        children_.clear();
    }
    st.local = reply_local_;
    st.remote = reply_remote_;
    st.nat = nat_detected_ || floated_;
    st.virtual_ips = virtual_ips_;
    st.old_SPIi = SPIi_;
    st.old_SPIr = SPIr_;
    st.old_our_spi = our_spi();
    st.peer_window = peer_window_;
    const Spi new_spi = st.SPIr;
    auto fresh = std::make_unique<Ike_sa>(core_, *conn_, false, st.SPIr, reply_local_, reply_remote_);
    fresh->adopt_rekey(std::move(st));
    core_.adopt(std::move(fresh));
    if (!colliding) {
        rekeyed_by_peer_ = true;
        replaced_by(new_spi);
    }
}

void Ike_sa::send_CHILD_SA_rekey_response(const Message& m) { send_new_CHILD_SA_response(m); }

void Ike_sa::send_new_CHILD_SA_response(const Message& m) {
    auto& crypto = core_.crypto();
    const auto* n = m.find_notify(Notify_type::REKEY_SA);
    Child_state* old = n ? child_by_spi_out(spi_value(n->spi)) : nullptr;
    auto match = match_child(m, old ? old->config : nullptr, false);
    std::optional<Secret> g_ir;
    std::unique_ptr<Key_exchange> ke;
    const auto* group = transform_of(match->chosen, Transform_type::KE);
    if (group && group->id) {
        ke = crypto.key_exchange(static_cast<Ke_id>(group->id));
        g_ir = ke->shared_secret(body_of<Payload_KE>(m, Payload_type::KE)->data);
        if (!g_ir) {
            refusal_rule_ = "7296-3.4-ke-invalid";
            refusal_text_ = "peer KE value refused by the group's checks";
            refusal_notify_ = Notify_type::INVALID_SYNTAX;
            send_CREATE_CHILD_SA_refusal(m);
            return;
        }
    }
    const Bytes& Ni = body_of<Payload_Nonce>(m, Payload_type::Nonce)->data;
    // [7296-3.9-s2] a fresh random nonce for every exchange (Ni, Nr alike).
    const Bytes Nr = crypto.random(nonce_size);
    const std::uint32_t spi_in = random_spi32(crypto);
    Proposal ours = match->chosen;
    ours.spi = spi_octets(spi_in);
    Message r = header_for(Exchange_type::CREATE_CHILD_SA, true, m.header.message_id);
    if (match->config->mode == Ipsec_mode::transport && m.find_notify(Notify_type::USE_TRANSPORT_MODE)) {
        Payload_N t;
        t.type = static_cast<std::uint16_t>(Notify_type::USE_TRANSPORT_MODE);
        r.payloads.push_back(make(Payload_type::N, std::move(t)));
    }
    r.payloads.push_back(make(Payload_type::SA, Payload_SA{{ours}}));
    r.payloads.push_back(make(Payload_type::Nonce, Payload_Nonce{Nr}));
    // [7296-3.4-s3] KEr only when the chosen proposal has a D-H group.
    if (ke) r.payloads.push_back(make(Payload_type::KE, Payload_KE{group->id, ke->public_value()}));
    narrow_to_virtual_ips(match->tsi);  // §2.19: every CHILD SA of a road warrior (responder only)
    r.payloads.push_back(make(Payload_type::TSi, Payload_TS{match->tsi}));
    r.payloads.push_back(make(Payload_type::TSr, Payload_TS{match->tsr}));
    send_response(std::move(r));
    if (old && in_flight(Request_kind::rekey_child, old->spi_in)) {
        // §2.25.1: we are rekeying the same CHILD SA: answer as usual, decide by the nonces later.
        collision_.active = true;
        collision_.Ni = Ni;
        collision_.Nr = Nr;
        collision_.new_spi_in = spi_in;
    }
    // The old SA of a rekey stays until the requester deletes it (§2.8); it is not rekeyed again.
    if (old) old->rekeyed_by_peer = true;
    make_CHILD_SA(match->config, ours, spi_in, spi_value(match->chosen.spi), match->tsr, match->tsi,
                  g_ir ? g_ir->view() : Octets(), Ni, Nr, false, negotiated_mode(match->config, m));
}

// ---- the new IKE SA of a rekey -------------------------------------------------------------

void Ike_sa::adopt_rekey(Rekeyed_state st) {
    SPIi_ = st.SPIi;
    SPIr_ = st.SPIr;
    proposal_ = st.proposal;
    group_ = static_cast<Ke_id>(transform_of(*proposal_, Transform_type::KE)->id);
    Ni_ = std::move(st.Ni);
    Nr_ = std::move(st.Nr);
    set_algorithms(*proposal_);
    keys_ = std::move(st.keys);
    keys_ready_ = true;
    children_ = std::move(st.children);
    for (const auto& ch : children_) arm_CHILD_SA_lifetimes(ch);  // the old IKE SA's timers go with it
    if (!children_.empty()) child_ = children_.front().config;
    local_ = reply_local_ = st.local;
    remote_ = reply_remote_ = st.remote;
    nat_detected_ = floated_ = st.nat;
    virtual_ips_ = std::move(st.virtual_ips);
    predecessor_ = st.old_our_spi;
    // [7296-2.18-s3] the new IKE SA starts both Message ID counters at 0.
    next_request_mid_ = 0;  // §2.18: the new IKE SA resets its message counters
    expected_request_mid_ = 0;
    init_reported_ = auth_reported_ = true;
    emit_keys();
    lifecycle_.process(model::ev::Rekeyed_IKE_SA_adopted{});
    core_.emit(Sa_event{Sa_event_kind::IKE_SA_rekeyed, conn_->name, SPIi_, SPIr_,
                        "replaces " + to_hex(spi8(st.old_SPIi)) + "_i " + to_hex(spi8(st.old_SPIr)) + "_r, " +
                            codec::proposal_keyword(*proposal_)});
    report_established();
    if (window_notify() && st.peer_window > 1) {
        // §2.3: "the new IKE SA starts with window size 1 until it is explicitly increased by
        // sending a new SET_WINDOW_SIZE notification": an INFORMATIONAL announces ours again,
        // to a peer that announced a window itself (strongSwan never does: it would gain nothing,
        // and our first request on the new IKE SA could reach it before it has the SA, §2.18).
        submit(Request_kind::liveness, 0, [this] {
            req_ = Child_request{};
            req_.kind = Request_kind::liveness;
            req_.announce_window = true;
            deliver(model::ev::Liveness_check_requested{});
        });
    }
}

}  // namespace ike::core

namespace ike::core {

bool Ike_sa::temporary_condition(const Message& m) const {
    const std::string state = lifecycle_.state();
    const bool closing_IKE = state == "Deleting" || state == "Rekeyed";
    if (is_IKE_SA_rekey(m)) {
        // §2.25.1: while we create, rekey or close a CHILD SA; §2.25.2 / §2.8.2: while we close
        // (or already replaced) this IKE SA.
        const bool child_work = in_flight(Request_kind::create_child) ||
                                in_flight(Request_kind::rekey_child) ||
                                in_flight(Request_kind::delete_child);
        if (child_work || closing_IKE) {
            refusal_text_ = child_work ? "IKE SA rekey while our CHILD SA exchange is in flight"
                                       : "IKE SA rekey of an IKE SA we are closing";
            return true;
        }
        return false;
    }
    // §2.25.2: creating or rekeying a CHILD SA while we rekey or close the IKE SA.
    if (in_flight(Request_kind::rekey_IKE) || closing_IKE) {
        refusal_text_ = "CHILD SA request while the IKE SA is being rekeyed or closed";
        return true;
    }
    // §2.25.1: rekeying a CHILD SA we are closing.
    if (const auto* n = m.find_notify(Notify_type::REKEY_SA); n && n->spi.size() == 4) {
        const auto* c = const_cast<Ike_sa*>(this)->child_by_spi_out(spi_value(n->spi));
        if (c && in_flight(Request_kind::delete_child, c->spi_in)) {
            refusal_text_ = "rekey of a CHILD SA we are closing";
            return true;
        }
    }
    return false;
}

void Ike_sa::send_TEMPORARY_FAILURE(const Message& m) {
    diagnose(Severity::info, "7296-2.25-temporary-failure", "TEMPORARY_FAILURE: " + refusal_text_);
    Message r = header_for(Exchange_type::CREATE_CHILD_SA, true, m.header.message_id);
    r.payloads.push_back(notify(Notify_type::TEMPORARY_FAILURE));
    send_response(std::move(r));
}

void Ike_sa::inherit_children(std::vector<Child_state> children) {
    for (auto& c : children) {
        arm_CHILD_SA_lifetimes(c);  // the old IKE SA's timers go with it
        children_.push_back(std::move(c));
    }
    if (!children_.empty() && !child_) child_ = children_.front().config;
}

}  // namespace ike::core

// ==== lifetimes (RFC 7296 §2.8) and liveness (§2.4) ========================================

namespace ike::core {

void Ike_sa::arm_duty(Time at, std::function<void()> duty) {
    duty_[core_.arm_timer(our_spi(), at)] = std::move(duty);
}

Time Ike_sa::jittered(std::chrono::seconds base, std::chrono::seconds rand) {
    // §2.8.1: jitter rekeying so that both ends rarely start at the same moment.
    const Time spread = std::chrono::duration_cast<Time>(rand.count() > 0 ? rand : base / 10);
    const Bytes r = core_.crypto().random(4);
    const std::uint64_t v = (std::uint64_t{r[0]} << 24) | (std::uint64_t{r[1]} << 16) | (std::uint64_t{r[2]} << 8) | r[3];
    const auto jitter = spread.count() > 0 ? static_cast<std::int64_t>(v % static_cast<std::uint64_t>(spread.count() + 1)) : 0;
    return core_.now() + std::chrono::duration_cast<Time>(base) - Time(jitter);
}

void Ike_sa::arm_CHILD_SA_lifetimes(const Child_state& c) {
    const std::uint32_t spi = c.spi_in;
    if (c.rekey_at.count() > 0) {
        arm_duty(c.rekey_at, [this, spi] {
            if (child_by_spi_in(spi) && established()) {
                diagnose(Severity::info, "7296-2.8-soft-lifetime", "CHILD SA " + to_hex(spi_octets(spi)) + ": rekeying");
                request_rekey_CHILD_SA(spi);
            }
        });
    }
    if (c.expire_at.count() > 0) {
        arm_duty(c.expire_at, [this, spi] {
            Child_state* child = child_by_spi_in(spi);
            if (!child || child->spi_in != spi || child->expired) return;
            diagnose(Severity::warning, "7296-2.8-hard-lifetime", "CHILD SA " + to_hex(spi_octets(spi)) + ": expired");
            // [7296-2.8-s1] an expired SA is not used: out of the data plane now, not only once the
            // Delete below completes (which may wait behind other requests, or never be answered).
            // [7296-1.4.1-s6] its state and SPIs stay until then: nothing is reused unilaterally.
            child->expired = true;
            core_.emit(Remove_child_sa{conn_->name, child->spi_in, child->spi_out});
            request_delete_CHILD_SA(spi);
        });
    }
}

void Ike_sa::arm_IKE_SA_lifetime() {
    if (conn_->reauth_time.count() > 0 && original_initiator_) {
        arm_duty(jittered(conn_->reauth_time, conn_->rand_time), [this] {
            if (!established()) return;
            diagnose(Severity::info, "7296-2.8.3-reauth-time", "IKE SA: reauthenticating");
            core_.reauthenticate(*this);
        });
    }
    const auto later = std::max(conn_->rekey_time, conn_->reauth_time);
    if (later.count() > 0) {
        // [7296-2.8-s4] the IKE SA was neither rekeyed nor replaced in time (rekeys refused or
        // failing): it is closed, with its CHILD SAs (strongSwan's over_time).
        const auto over = conn_->over_time.count() > 0 ? conn_->over_time : later / 10;
        const auto hard = std::chrono::duration_cast<Time>(later + over);
        arm_duty(core_.now() + hard, [this, hard] {
            if (removed_) return;
            diagnose(Severity::warning, "7296-2.8-s4",
                     "IKE SA not replaced within its hard lifetime (" + std::to_string(hard.count() / 1000) +
                         " s): deleting it and its CHILD SAs");
            // (Rekeying ends by itself, Rekeyed waits for the peer's Delete, Deleting is closing.)
            if (established()) terminate();
        });
    }
    if (conn_->rekey_time.count() <= 0) return;
    arm_duty(jittered(conn_->rekey_time, conn_->rand_time), [this] {
        if (!established()) return;
        diagnose(Severity::info, "7296-2.8-soft-lifetime", "IKE SA: rekeying");
        request_rekey_IKE_SA();
    });
}

void Ike_sa::arm_liveness() {
    if (conn_->dpd_delay.count() <= 0) return;
    const Time delay = std::chrono::duration_cast<Time>(conn_->dpd_delay);
    const Time next = last_received_ + delay > core_.now() ? last_received_ + delay : core_.now() + delay;
    arm_duty(next, [this, delay] {
        if (removed_) return;
        if (established() && core_.now() - last_received_ >= delay && requests_in_flight() == 0 && queued_.empty()) {
            submit(Request_kind::liveness, 0, [this] {
                req_ = Child_request{};
                req_.kind = Request_kind::liveness;
                deliver(model::ev::Liveness_check_requested{});
            });
        }
        arm_liveness();
    });
}

void Ike_sa::arm_half_open_timeout() {
    // An original responder that answered IKE_SA_INIT holds state until IKE_AUTH arrives; if the
    // initiator gave up (or never existed, §2.6) nothing else would ever remove it.
    const auto timeout = core_.config().gate.half_open_timeout;
    if (removed_ || original_initiator_ || timeout.count() <= 0 || established()) return;
    const Timer_id id = core_.arm_timer(our_spi(), core_.now() + std::chrono::duration_cast<Time>(timeout));
    half_open_timer_ = id;
    duty_[id] = [this, timeout] {
        half_open_timer_ = 0;
        if (removed_ || !(half_open() || std::string(lifecycle_.state()) == "Authenticating")) return;
        refusal_rule_ = "ikeref-half-open-timeout";
        refusal_text_ = "no IKE_AUTH request within " + std::to_string(timeout.count()) + " s";
        diagnose(Severity::info, refusal_rule_, "half-open IKE SA removed: " + refusal_text_);
        deliver(model::ev::Exchange_failed{});  // §2.21.2: no Delete, the peer never authenticated
    };
}

void Ike_sa::start_liveness_check() {
    info_ = std::make_unique<model::INFORMATIONAL_machine>(*this);
    info_->process(model::ev::Liveness_check_requested{});
    check_completions();
}

void Ike_sa::send_liveness_check() {
    // §2.4: an INFORMATIONAL request with no payloads; an answer proves the peer alive.
    Message m = header_for(Exchange_type::INFORMATIONAL, false, next_request_mid_);
    if (req_.announce_window) {
        if (auto w = window_notify()) m.payloads.push_back(std::move(*w));  // §2.3, after an IKE SA rekey
        our_window_ = std::max<std::uint32_t>(1, core_.config().window_size);
    }
    send_request(std::move(m));
}

}  // namespace ike::core

namespace ike::core {

bool Ike_sa::hand_children_to_peer_rekey() {
    if (!collision_.active || !collision_.new_IKE_spi) return false;
    Ike_sa* survivor = core_.find(collision_.new_IKE_spi);
    collision_ = Collision{};
    if (!survivor || survivor->removed()) return false;
    // §2.8.2, §2.25.2: we answered the peer's rekey of this IKE SA while ours was in flight, and
    // ours failed: the peer's new IKE SA is the only one and takes the CHILD SAs over now (the
    // peer moved them when our answer arrived); this SA waits for the peer's Delete.
    diagnose(Severity::info, "7296-2.8.2-rekey-collision",
             "our IKE SA rekey failed after we answered the peer's: its new IKE SA inherits the CHILD SAs");
    survivor->inherit_children(std::move(children_));
    children_.clear();
    replaced_by(survivor->our_spi());
    return true;
}

void Ike_sa::await_Delete_of_old_IKE_SA() {
    if (std::string(lifecycle_.state()) != "Rekeyed") return;
    // §2.8.2, §2.18: the peer that initiated the surviving rekey deletes this old IKE SA. If its
    // Delete never comes (the peer failed or gave up its Delete exchange), nothing else would
    // ever remove it: wait for as long as the peer may retransmit its Delete (§2.1, assuming its
    // schedule is ours), then remove it without a message, as the peer has by then.
    const auto& rc = core_.config().retransmit;
    double wait = 0;
    for (unsigned n = 0; n <= rc.tries; ++n) wait += static_cast<double>(rc.timeout.count()) * std::pow(rc.base, static_cast<double>(n));
    arm_duty(core_.now() + Time(static_cast<std::int64_t>(wait)) + rc.timeout, [this] {
        if (removed_ || std::string(lifecycle_.state()) != "Rekeyed") return;
        diagnose(Severity::info, "7296-2.8.2-old-IKE-SA-not-deleted",
                 "the peer did not delete the rekeyed IKE SA: removed without a Delete");
        remove_IKE_SA("rekeyed IKE SA not deleted by the peer");
    });
}

void Ike_sa::expect_delete_by_peer(Time within) {
    arm_duty(core_.now() + within, [this] {
        if (removed_ || !established()) return;
        diagnose(Severity::info, "7296-2.8.2-redundant-IKE-SA",
                 "the peer did not delete its redundant IKE SA: deleting it ourselves");
        redundant_ = true;
        terminate();
    });
}

}  // namespace ike::core

namespace ike::core {

crypto::Ike_sa_keys Ike_sa::rekeyed_IKE_SA_keys(const Proposal& chosen, Octets g_ir, const Rekeyed_state& st) {
    // §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old SA's PRF; the new SA's
    // SK_* with the new PRF, the new SPIs and the nonces of the rekey exchange.
    auto& crypto = core_.crypto();
    const Secret skeyseed = crypto::SKEYSEED_rekey(*prf_, keys_.SK_d.view(), g_ir, st.Ni, st.Nr);
    auto new_prf = crypto.prf(static_cast<Prf_id>(transform_of(chosen, Transform_type::PRF)->id));
    const auto* e = transform_of(chosen, Transform_type::ENCR);
    const auto* i = transform_of(chosen, Transform_type::INTEG);
    const std::size_t encr = crypto.cipher(static_cast<Encr_id>(e->id), e->key_length.value_or(0))->key_size();
    const std::size_t integ = (i && i->id) ? crypto.integrity(static_cast<Integ_id>(i->id))->key_size() : 0;
#ifdef IKEREF_MUTANT_REUSE_OLD_KEYS_AFTER_REKEY
    return crypto::Ike_sa_keys{keys_.SK_d.clone(), keys_.SK_ai.clone(), keys_.SK_ar.clone(), keys_.SK_ei.clone(),
                               keys_.SK_er.clone(), keys_.SK_pi.clone(), keys_.SK_pr.clone()};
#endif
    return crypto::derive_ike_sa_keys(*new_prf, skeyseed.view(), st.Ni, st.Nr, st.SPIi, st.SPIr, integ, encr);
}

}  // namespace ike::core

namespace ike::core {

void Ike_sa::note_proposal_refusal(const Proposal_refusals& r) const {
    for (const auto& p : r.proposals) {
        Refusal::Proposal_mismatch pm;
        pm.number = p.number;
        pm.protocol = p.protocol;
        pm.configured = p.configured;
        pm.problem = p.problem;
        for (const auto& t : p.mismatches) {
            Refusal::Proposal_mismatch::Type ty;
            ty.type = describe(t.type);
            for (const auto& o : t.offered) ty.offered.push_back(describe(o));
            for (const auto& c : t.configured) ty.configured.push_back(describe(c));
            pm.types.push_back(std::move(ty));
        }
        refusal_proposals_.push_back(std::move(pm));
    }
}

void Ike_sa::record_refusal(Exchange_type x, Notify_type sent) {
    Refusal r;
    r.connection = conn_->name;
    r.SPIi = SPIi_;
    r.SPIr = SPIr_;
    r.remote = original_initiator_ ? remote_ : reply_remote_;
    r.exchange = x;
    r.notify = sent;
    r.rule = refusal_rule_;
    r.text = refusal_text_;
    r.proposals = std::move(refusal_proposals_);
    r.selectors = std::move(refusal_selectors_);
    refusal_proposals_.clear();
    refusal_selectors_.clear();
    core_.record(std::move(r));
}

}  // namespace ike::core

namespace ike::core {

// ---- Configuration payload (RFC 7296 §2.19, §3.15) -----------------------------------------

std::optional<Payload_CP> Ike_sa::answer_CP_request(const Payload_CP& request, bool& failed) {
    failed = false;
    if (conn_->pools.empty()) return std::nullopt;  // §2.19: a responder without pools ignores the CP
    using A = Cfg_attribute_type;
    Payload_CP reply;
    reply.cfg_type = Cfg_type::CFG_REPLY;
    bool asked = false;
    for (const auto& a : request.attributes) {
        const auto type = static_cast<A>(a.type);
        if (type != A::INTERNAL_IP4_ADDRESS && type != A::INTERNAL_IP6_ADDRESS) continue;
        asked = true;
        const std::size_t family = type == A::INTERNAL_IP4_ADDRESS ? 4 : 16;
        const Bytes wanted = a.value.size() >= family
                                 ? Bytes(a.value.begin(), a.value.begin() + static_cast<std::ptrdiff_t>(family))
                                 : Bytes{};
        auto got = core_.lease(conn_->pools, family, wanted, conn_->remote.id.to_string());
        if (!got) continue;
        virtual_ips_.push_back(*got);
        Bytes value = *got;
        if (family == 16) value.push_back(128);
        reply.attributes.push_back({a.type, std::move(value)});
    }
    if (asked && virtual_ips_.empty()) {
        failed = true;
        return std::nullopt;
    }
    for (const auto& a : request.attributes) {
        const auto type = static_cast<A>(a.type);
        if (type != A::INTERNAL_IP4_DNS && type != A::INTERNAL_IP6_DNS) continue;
        const std::size_t family = type == A::INTERNAL_IP4_DNS ? 4 : 16;
        for (const auto& name : conn_->pools) {
            if (const Pool_config* p = core_.config().find_pool(name)) {
                for (const auto& d : p->dns) {
                    if (d.size() == family) reply.attributes.push_back({a.type, d});
                }
            }
        }
    }
    for (const auto& v : virtual_ips_) {
        diagnose(Severity::info, "7296-2.19-virtual-ip",
                 "assigned " + Address{v, 0}.to_string() + " to " + conn_->remote.id.to_string());
    }
    return reply;
}

void Ike_sa::take_CP_reply() {
    using A = Cfg_attribute_type;
    if (peer_CP_ && peer_CP_->cfg_type == Cfg_type::CFG_REPLY) {
        for (const auto& a : peer_CP_->attributes) {
            const auto type = static_cast<A>(a.type);
            if (type == A::INTERNAL_IP4_ADDRESS && a.value.size() == 4) virtual_ips_.push_back(a.value);
            if (type == A::INTERNAL_IP6_ADDRESS && a.value.size() == 17) virtual_ips_.emplace_back(a.value.begin(), a.value.begin() + 16);
            if ((type == A::INTERNAL_IP4_DNS && a.value.size() == 4) || (type == A::INTERNAL_IP6_DNS && a.value.size() == 16))
                dns_.push_back(a.value);
        }
    }
    peer_CP_.reset();
    for (const auto& v : virtual_ips_) {
        diagnose(Severity::info, "7296-2.19-virtual-ip", "the responder assigned us " + Address{v, 0}.to_string());
    }
    if (!conn_->vips.empty() && virtual_ips_.empty()) {
        diagnose(Severity::warning, "7296-2.19-no-virtual-ip",
                 "we asked for a virtual IP (CP(CFG_REQUEST)) and the responder assigned none");
    }
}

}  // namespace ike::core

namespace ike::core {

void Ike_sa::replace(Spi old, std::vector<const Child_config*> children) {
    replaces_ = old;
    replace_children_ = std::move(children);
}

std::vector<const Child_config*> Ike_sa::child_configs() const {
    std::vector<const Child_config*> out;
    for (const auto& c : children_) {
        if (c.config) out.push_back(c.config);
    }
    return out;
}

}  // namespace ike::core

namespace ike::core {

void Ike_sa::continue_reauthentication() {
    // §2.8.3 make-before-break: the other CHILD SAs again on this IKE SA, then the old one goes
    // (its deletion is queued behind the CREATE_CHILD_SA requests and waits for them, §2.3).
    bool first_made = child_ != nullptr && !children_.empty();
    for (const auto* c : replace_children_) {
        if (first_made && c == child_) {
            first_made = false;  // created in IKE_AUTH
            continue;
        }
        request_CREATE_CHILD_SA(c->name);
    }
    // Kind none: it waits until nothing is in flight (the CHILD SAs above are made, §2.8.3).
    submit(Request_kind::none, 0, [this, old = replaces_] {
        if (Ike_sa* o = core_.find(old); o && !o->removed()) {
            diagnose(Severity::info, "7296-2.8.3-reauthenticated", "new IKE SA in place: deleting the old one");
            o->terminate();
        }
    });
    replaces_ = 0;
    replace_children_.clear();
}

}  // namespace ike::core

namespace ike::core {

void Ike_sa::narrow_to_virtual_ips(std::vector<Traffic_selector>& tsi) const {
    // §2.19: the initiator's side of its CHILD SAs is the virtual IP we assigned it.
    if (virtual_ips_.empty() || original_initiator_) return;
    std::vector<Traffic_selector> vip_ts;
    for (const auto& v : virtual_ips_) {
        vip_ts.push_back(Traffic_selector{v.size() == 4 ? Ts_type::TS_IPV4_ADDR_RANGE : Ts_type::TS_IPV6_ADDR_RANGE, 0, 0,
                                          65535, v, v});
    }
    auto narrowed = narrow(tsi, vip_ts);
    if (!narrowed.empty()) tsi = std::move(narrowed);
}

}  // namespace ike::core
