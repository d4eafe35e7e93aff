// The plain RFC 7296 peer model (see reference_model.hpp). Written from RFC 7296 §1.2–§1.4,
// §2.1–§2.3, §2.8, §2.18, §2.21, §2.25 (RFC 5996 text, same section numbers); it does not
// look at model/ or src/core/.
#include "conformance/reference/reference_model.hpp"

#include <algorithm>
#include <sstream>

#include "src/codec/codec.hpp"

namespace ike::reference {

using Sa_state = Peer::Sa_state;
using Request = Peer::Request;

bool Message_view::has(const std::string& kind) const {
    return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

std::vector<std::string> kinds_of(const std::string& notation) {
    std::string chain = notation;
    if (const auto sk = chain.find("SK {"); sk != std::string::npos) {
        chain = chain.substr(sk + 4);
    } else if (const auto b = chain.find('{'); b != std::string::npos) {
        chain = chain.substr(b + 1);
    } else {
        return {};
    }
    std::vector<std::string> out;
    std::string cur;
    for (char c : chain) {
        if (c == ',' || c == '}' || c == ' ') {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
            if (c == '}') break;
            continue;
        }
        cur += c;
    }
    return out;
}

std::optional<Message_view> view_of(const Bytes& datagram, const std::string& notation) {
    const auto h = codec::peek_header(Octets(datagram));
    if (!h) return std::nullopt;
    Message_view v;
    v.SPIi = h->SPIi;
    v.SPIr = h->SPIr;
    v.exchange = h->exchange;
    v.response = h->is_response();
    v.from_original_initiator = h->from_original_initiator();
    v.message_id = h->message_id;
    v.kinds = kinds_of(notation);
    v.bytes = datagram;
    return v;
}

std::size_t Peer::live_IKE_SAs() const {
    return static_cast<std::size_t>(
        std::count_if(sas_.begin(), sas_.end(), [](const Sa& s) { return s.state != Sa_state::gone; }));
}

Peer::Sa* Peer::find(Spi SPIi, Spi SPIr) {
    for (auto& s : sas_) {
        if (s.state != Sa_state::gone && s.SPIi == SPIi && s.SPIr == SPIr) return &s;
    }
    return nullptr;
}

// §3.1: the I flag names the sender's role; we hold the SA in the other role.
Peer::Sa* Peer::find_for(const Message_view& m) {
    Sa* s = find(m.SPIi, m.SPIr);
    if (s && s->original_initiator == m.from_original_initiator) return nullptr;
    return s;
}

// The Endpoint applies an API request to the last established (or being rekeyed by us) IKE SA
// of the connection in the order of our SPI (its public contract: "the established IKE SA of connection", the last one as
// `ikeref list` shows them).
Peer::Sa* Peer::api_target() {
    Sa* best = nullptr;
    for (auto& s : sas_) {
        // §1.3.2: while our rekey of an IKE SA is in flight, requests wait there and move on to
        // the new IKE SA (the judged peer does as strongSwan does).
        if (s.state != Sa_state::established && s.state != Sa_state::rekeying) continue;
        const Spi ours = s.original_initiator ? s.SPIi : s.SPIr;
        const Spi best_ours = best ? (best->original_initiator ? best->SPIi : best->SPIr) : 0;
        if (!best || ours > best_ours) best = &s;
    }
    return best;
}

// ---- expectations ---------------------------------------------------------------------------

std::string Peer::show(const Expect& e) {
    std::ostringstream os;
    os << to_string(e.exchange) << (e.response ? " response #" : " request #")
       << (e.mid ? std::to_string(*e.mid) : std::string("?"));
    if (e.identical) {
        os << " (byte-identical resend)";
    } else {
        os << " {";
        for (std::size_t a = 0; a < e.alternatives.size(); ++a) {
            os << (a ? " | " : " ");
            for (std::size_t i = 0; i < e.alternatives[a].size(); ++i) os << (i ? ", " : "") << e.alternatives[a][i];
        }
        os << " }";
    }
    if (e.optional) os << " [optional]";
    if (!e.why.empty()) os << " (" << e.why << ")";
    return os.str();
}

std::string Peer::show(const Message_view& m) {
    std::ostringstream os;
    os << to_string(m.exchange) << (m.response ? " response #" : " request #") << m.message_id << " {";
    for (std::size_t i = 0; i < m.kinds.size(); ++i) os << (i ? ", " : " ") << m.kinds[i];
    os << " }";
    return os.str();
}

// Required kinds present; any notify not required must be a status notify the RFC allows to
// ride along (§2.23 NAT detection, RFC 7427 hashes, transport mode), never an error notify.
bool Peer::kinds_match(const std::vector<std::string>& required, const Message_view& m) {
    for (const auto& k : required) {
        if (!m.has(k)) return false;
    }
    static const char* const status[] = {"N(NAT_DETECTION_SOURCE_IP)", "N(NAT_DETECTION_DESTINATION_IP)",
                                         "N(SIGNATURE_HASH_ALGORITHMS)", "N(USE_TRANSPORT_MODE)",
                                         "N(IKEV2_FRAGMENTATION_SUPPORTED)", "N(INITIAL_CONTACT)",
                                         "N(CHILDLESS_IKEV2_SUPPORTED)"};  // RFC 6023 §3
    for (const auto& k : m.kinds) {
        if (k.rfind("N(", 0) != 0) continue;
        if (std::find(required.begin(), required.end(), k) != required.end()) continue;
        if (std::none_of(std::begin(status), std::end(status), [&k](const char* s) { return k == s; })) return false;
    }
    // An error answer carries nothing but its notify (§2.21): no SA when not required.
    if (std::find(required.begin(), required.end(), "SA") == required.end() && m.has("SA")) return false;
    return true;
}

std::vector<std::string> Peer::judge(const std::vector<Expect>& expected, const Observed& out,
                                     std::vector<const Observed_send*>* matched) {
    std::vector<std::string> diffs;
    std::vector<bool> used(out.sends.size(), false);
    matched->assign(expected.size(), nullptr);
    for (std::size_t e = 0; e < expected.size(); ++e) {
        const Expect& x = expected[e];
        for (std::size_t i = 0; i < out.sends.size(); ++i) {
            if (used[i]) continue;
            const auto& s = out.sends[i];
            bool ok;
            if (x.identical) {
                ok = !s.fresh && s.m.bytes == *x.identical;
            } else {
                ok = s.fresh && s.m.exchange == x.exchange && s.m.response == x.response &&
                     (!x.mid || s.m.message_id == *x.mid) && (!x.SPIi || s.m.SPIi == x.SPIi) &&
                     (!x.SPIr || s.m.SPIr == x.SPIr);
                if (ok && !x.alternatives.empty()) {
                    ok = std::any_of(x.alternatives.begin(), x.alternatives.end(),
                                     [&s](const std::vector<std::string>& k) { return kinds_match(k, s.m); });
                }
            }
            if (ok) {
                used[i] = true;
                (*matched)[e] = &s;
                break;
            }
        }
        // After an IKE SA rekey collision a new request is not judged (see resync()).
        const bool unjudged = lenient_requests_ && !x.response && !x.identical;
        if (!(*matched)[e] && !x.optional && !unjudged) diffs.push_back("expected " + show(x) + ", not sent");
    }
    for (std::size_t i = 0; i < out.sends.size(); ++i) {
        if (used[i]) continue;
        const auto& s = out.sends[i];
        // After an IKE rekey collision, or when a CHILD request of this step may have been
        // skipped (its CHILD SA gone), the next queued request may go out instead: catch up.
        if ((lenient_requests_ || pending_optional_.sa) && s.fresh && !s.m.response && resync(s)) continue;
        diffs.push_back("unexpected " + std::string(s.fresh ? "" : "resend of ") + show(s.m));
    }
    return diffs;
}

// After an IKE SA rekey collision (§2.8.2) this model cannot tell which new IKE SA carries the
// CHILD SAs (the nonces that decide it are inside SK): a new request there is not judged, the
// model takes it as the request in flight of its IKE SA and judges what follows.
Peer::Request Peer::request_in(const Message_view& m) {
    if (m.has("D(ESP)")) return Request::delete_CHILD_SA;
    if (m.has("D(IKE)")) return Request::delete_IKE_SA;
    if (m.has("N(REKEY_SA)")) return Request::rekey_CHILD_SA;
    if (m.has("SA") && m.has("KE") && !m.has("TSi")) return Request::rekey_IKE_SA;
    if (m.has("SA")) return Request::create_CHILD_SA;
    return Request::liveness;
}

bool Peer::resync(const Observed_send& s) {
    // Message IDs stay checked by the message_ids property; here the model only catches up.
    Sa* sa = find(s.m.SPIi, s.m.SPIr);
    if (!sa || s.m.message_id < sa->next_request_mid) return false;
    const Request r = request_in(s.m);
    auto q = std::find(sa->queue.begin(), sa->queue.end(), r);
    if (q != sa->queue.end()) sa->queue.erase(q);
    sa->outstanding = r;
    sa->outstanding_mid = s.m.message_id;
    sa->next_request_mid = s.m.message_id;
    sa->outstanding_bytes = s.m.bytes;
    sa->retransmits = 0;
    sa->timer = s.timer;
    if (r == Request::rekey_IKE_SA) sa->state = Sa_state::rekeying;
    if (r == Request::delete_IKE_SA) sa->state = Sa_state::deleting;
    return true;
}

// ---- requests we start -------------------------------------------------------------------------

Peer::Expect Peer::request_of(Sa& sa, Request r) {
    Expect e;
    e.req = r;
    e.response = false;
    e.mid = sa.next_request_mid;
    e.SPIi = sa.SPIi;
    e.SPIr = sa.SPIr;
    switch (r) {
        case Request::rekey_IKE_SA:  // §1.3.2: SA, Ni, KEi
            e.exchange = Exchange_type::CREATE_CHILD_SA;
            e.alternatives = {{"SA", "Ni", "KE"}};
            e.why = "§1.3.2 rekey IKE SA";
            break;
        case Request::rekey_CHILD_SA:  // §1.3.3: N(REKEY_SA), SA, Ni, [KEi,] TSi, TSr
            e.exchange = Exchange_type::CREATE_CHILD_SA;
            e.alternatives = {{"N(REKEY_SA)", "SA", "Ni", "TSi", "TSr"}};
            e.why = "§1.3.3 rekey CHILD SA";
            break;
        case Request::create_CHILD_SA:
            e.exchange = Exchange_type::CREATE_CHILD_SA;
            e.alternatives = {{"SA", "Ni", "TSi", "TSr"}};
            break;
        case Request::delete_CHILD_SA:  // §1.4.1
            e.exchange = Exchange_type::INFORMATIONAL;
            e.alternatives = {{"D(ESP)"}};
            e.why = "§1.4.1 delete CHILD SA";
            break;
        case Request::delete_IKE_SA:
            e.exchange = Exchange_type::INFORMATIONAL;
            e.alternatives = {{"D(IKE)"}};
            e.why = "§1.4.1 delete IKE SA";
            break;
        default:
            e.exchange = Exchange_type::INFORMATIONAL;
            break;
    }
    return e;
}

// §2.3 with a window of 1: the next request goes out once the previous one was answered.
void Peer::pump(Sa& sa, std::vector<Expect>& expect) {
    while (!sa.queue.empty() && sa.outstanding == Request::none && sa.state != Sa_state::gone) {
        const Request r = sa.queue.front();
        sa.queue.pop_front();
        const bool established = sa.state == Sa_state::established;
        bool can = established;
        const bool child_request = r == Request::rekey_CHILD_SA || r == Request::delete_CHILD_SA;
        if (child_request) can = established && sa.children != 0;
        if (!can) continue;
        Expect e = request_of(sa, r);
        if (child_request && sa.children < 0) e.optional = true;
        if (r == Request::rekey_CHILD_SA && sa.peer_rekeys_pending > 0) e.optional = true;  // §2.8
        expect.push_back(e);
        sa.outstanding = r;
        sa.outstanding_mid = sa.next_request_mid;
        sa.retransmits = 0;
        if (r == Request::rekey_IKE_SA) sa.state = Sa_state::rekeying;
        if (r == Request::delete_IKE_SA) sa.state = Sa_state::deleting;
        if (e.optional) {
            // Unsure whether the CHILD SA still exists: the observation decides (record_sends).
            sa.outstanding = Request::none;
            pending_optional_ = {&sa, r};
        }
        return;
    }
}

// ---- the step ------------------------------------------------------------------------------

std::vector<std::string> Peer::step(const Stimulus& in, const Observed& out) {
    std::vector<std::string> diffs;
    std::vector<Expect> expect;
    // Sa pointers taken in this step (pending_optional_, the switch below) stay valid: the SAs
    // this step may add (a new half-open SA, the new IKE SAs of a rekey) fit without reallocation.
    sas_.reserve(sas_.size() + 1 + out.events.size());
    // The old IKE SA whose queued requests move to its new IKE SA in this step (a rekey without
    // collision, §1.3.2; on a collision the model cannot tell the survivor: resync() follows).
    std::optional<std::size_t> migrate_from;
    pending_optional_ = {};
    inherited_children_ = -1;
    inherited_rekeys_pending_ = 0;
    // The CHILD SA table is learnt from the Endpoint's CHILD_SA_installed / CHILD_SA_deleted
    // events (the SA backend commands): this model judges the IKE SA exchanges, and the
    // properties check separately that both peers' CHILD SAs mirror each other.
    for (const auto& ev : out.events) {
        if (ev.kind != Observed_event::Kind::child_installed && ev.kind != Observed_event::Kind::child_deleted) continue;
        Sa* c = find(ev.SPIi, ev.SPIr);
        // Unknown (an IKE SA born from a rekey collision, §2.8.2: the CHILD SAs it inherited are
        // not visible here) stays unknown: the events say what changed, not how many there are.
        if (!c || c->children < 0) continue;
        c->children += ev.kind == Observed_event::Kind::child_installed ? 1 : -1;
        if (c->children < 0) c->children = 0;
    }
    // Which SA each expectation belongs to, to learn SPIs, octets and timers once matched.
    struct Bind {
        std::size_t sa;            // index into sas_
        enum class What { request, response, resend_request, resend_response, none } what;
    };
    std::vector<Bind> binds;
    auto add = [&](Expect e, std::size_t sa_index, Bind::What w) {
        expect.push_back(std::move(e));
        binds.push_back({sa_index, w});
    };
    auto index_of = [this](const Sa& s) { return static_cast<std::size_t>(&s - sas_.data()); };
    // Events that must (and may) appear.
    std::vector<Observed_event::Kind> must, may;

    switch (in.kind) {
        case Stimulus::Kind::initiate: {
            // §1.2: HDR, SAi1, KEi, Ni -->, Message ID 0, SPIr zero.
            Sa s;
            s.original_initiator = true;
            s.state = Sa_state::awaiting_IKE_SA_INIT_response;
            s.outstanding = Request::IKE_SA_INIT;
            s.outstanding_mid = 0;
            sas_.push_back(s);
            Expect e;
            e.exchange = Exchange_type::IKE_SA_INIT;
            e.mid = 0;
            e.alternatives = {{"SA", "KE", "Ni"}};
            e.why = "§1.2 initiate";
            add(e, sas_.size() - 1, Bind::What::request);
            break;
        }
        case Stimulus::Kind::rekey_IKE_SA:
        case Stimulus::Kind::rekey_CHILD_SA:
        case Stimulus::Kind::delete_CHILD_SA: {
            Sa* t = api_target();
            if (!t) break;
            const Request r = in.kind == Stimulus::Kind::rekey_IKE_SA     ? Request::rekey_IKE_SA
                              : in.kind == Stimulus::Kind::rekey_CHILD_SA ? Request::rekey_CHILD_SA
                                                                          : Request::delete_CHILD_SA;
            if (r != Request::rekey_IKE_SA && t->children == 0) break;  // no CHILD SA to act on
            t->queue.push_back(r);
            std::vector<Expect> e;
            pump(*t, e);
            for (auto& x : e) add(x, index_of(*t), Bind::What::request);
            break;
        }
        case Stimulus::Kind::delete_IKE_SA: {
            for (std::size_t i = 0; i < sas_.size(); ++i) {
                // §1.4.1; during our rekey the Delete waits and applies to the new IKE SA.
                if (sas_[i].state != Sa_state::established && sas_[i].state != Sa_state::rekeying) continue;
                sas_[i].queue.push_back(Request::delete_IKE_SA);
                std::vector<Expect> e;
                pump(sas_[i], e);
                for (auto& x : e) add(x, i, Bind::What::request);
            }
            break;
        }
        case Stimulus::Kind::timer: {
            Sa* owner = nullptr;
            for (auto& s : sas_) {
                if (s.state != Sa_state::gone && s.timer && *s.timer == in.timer) owner = &s;
            }
            if (owner && owner->outstanding != Request::none) {
                owner->timer.reset();
                if (owner->retransmits < settings_.tries) {
                    // §2.1: retransmit the request, byte for byte.
                    ++owner->retransmits;
                    Expect e;
                    e.identical = owner->outstanding_bytes;
                    e.why = "§2.1 retransmission";
                    add(e, index_of(*owner), Bind::What::resend_request);
                } else {
                    // §2.4: no answer after the retries: the IKE SA is deleted.
                    owner->state = Sa_state::gone;
                    must.push_back(Observed_event::Kind::deleted);
                    may.push_back(Observed_event::Kind::failed);
                }
            } else {
                // A timer that is not a retransmission. An original responder still waiting for
                // IKE_AUTH may give the half-open SA up (the timeout is the implementation's, §2.6;
                // strongSwan: half_open_timeout), and an old IKE SA replaced by the peer's rekey
                // whose Delete never came may be given up (§2.8.2, §2.18): removed without a message.
                for (auto& s : sas_) {
                    if (s.state != Sa_state::awaiting_IKE_AUTH_request && s.state != Sa_state::rekeyed) continue;
                    const bool gone = std::any_of(out.events.begin(), out.events.end(), [&s](const Observed_event& ev) {
                        return ev.kind == Observed_event::Kind::deleted && ev.SPIi == s.SPIi && ev.SPIr == s.SPIr;
                    });
                    if (!gone) continue;
                    s.state = Sa_state::gone;
                    may.push_back(Observed_event::Kind::deleted);
                }
                // §2.8.2: deleting a redundant IKE SA the peer did not delete: it may start a
                // Delete of a redundant SA.
                for (std::size_t i = 0; i < sas_.size(); ++i) {
                    if (!sas_[i].redundant || sas_[i].state != Sa_state::established) continue;
                    Expect e = request_of(sas_[i], Request::delete_IKE_SA);
                    e.optional = true;
                    e.why = "§2.8.2 redundant IKE SA";
                    add(e, i, Bind::What::request);
                }
            }
            break;
        }
        case Stimulus::Kind::datagram: {
            const Message_view& m = in.msg;
            if (!in.authentic) break;  // §2.21: fails its integrity check: dropped silently
            if (m.exchange == Exchange_type::IKE_SA_INIT && !m.response) {
                Sa* s = nullptr;
                for (auto& x : sas_) {
                    if (x.state != Sa_state::gone && !x.original_initiator && x.SPIi == m.SPIi) s = &x;
                }
                if (s) {
                    // §2.1: a retransmitted IKE_SA_INIT request gets the same response.
                    if (m.bytes == s->last_request_bytes && m.message_id == 0) {
                        Expect e;
                        e.identical = s->last_response_bytes;
                        e.why = "§2.1 cached IKE_SA_INIT response";
                        add(e, index_of(*s), Bind::What::resend_response);
                    }
                    break;
                }
                if (m.SPIr != 0 || m.message_id != 0) break;
                // §1.2: <-- HDR, SAr1, KEr, Nr
                Sa n;
                n.original_initiator = false;
                n.SPIi = m.SPIi;
                n.state = Sa_state::awaiting_IKE_AUTH_request;
                n.expected_request_mid = 1;
                n.last_response_mid = 0;
                n.last_request_bytes = m.bytes;
                sas_.push_back(n);
                Expect e;
                e.exchange = Exchange_type::IKE_SA_INIT;
                e.response = true;
                e.mid = 0;
                e.SPIi = m.SPIi;
                e.alternatives = {{"SA", "KE", "Nr"}};
                e.why = "§1.2 IKE_SA_INIT response";
                add(e, sas_.size() - 1, Bind::What::response);
                break;
            }
            if (m.exchange == Exchange_type::IKE_SA_INIT) {
                Sa* s = nullptr;
                for (auto& x : sas_) {
                    if (x.state == Sa_state::awaiting_IKE_SA_INIT_response && x.SPIi == m.SPIi) s = &x;
                }
                if (!s || s->outstanding != Request::IKE_SA_INIT || m.message_id != 0) break;  // §2.2 drop
                if (!m.has("SA") || !m.has("KE") || !m.has("Nr")) break;  // (no cookie/KE retries here)
                // §1.2: HDR, SK {IDi, AUTH, SAi2, TSi, TSr} -->, Message ID 1.
                if (s->timer) {
                    if (std::find(out.cancelled.begin(), out.cancelled.end(), *s->timer) == out.cancelled.end())
                        diffs.push_back("the retransmission timer of IKE_SA_INIT was not cancelled (§2.1)");
                }
                s->timer.reset();
                s->SPIr = m.SPIr;
                s->next_request_mid = 1;
                s->outstanding = Request::IKE_AUTH;
                s->outstanding_mid = 1;
                s->retransmits = 0;
                s->state = Sa_state::awaiting_IKE_AUTH_response;
                Expect e;
                e.exchange = Exchange_type::IKE_AUTH;
                e.mid = 1;
                e.SPIi = s->SPIi;
                e.SPIr = s->SPIr;
                e.alternatives = {{"IDi", "AUTH", "SA", "TSi", "TSr"}};
                e.why = "§1.2 IKE_AUTH request";
                add(e, index_of(*s), Bind::What::request);
                break;
            }
            Sa* s = find_for(m);
            if (!s) break;  // §2.21.1: unknown SPI: dropped
            const std::size_t si = index_of(*s);
            if (!m.response) {
                // §2.1: a retransmitted request is answered with the cached response.
                if (s->last_response_mid && m.message_id == *s->last_response_mid && m.bytes == s->last_request_bytes) {
                    Expect e;
                    e.identical = s->last_response_bytes;
                    e.why = "§2.1 cached response";
                    add(e, si, Bind::What::resend_response);
                    break;
                }
                // §2.2: only the next Message ID is processed.
                if (m.message_id != s->expected_request_mid) break;
                Expect e;
                e.exchange = m.exchange;
                e.response = true;
                e.mid = m.message_id;
                e.SPIi = s->SPIi;
                e.SPIr = s->SPIr;
                bool answered = true;
                switch (m.exchange) {
                    case Exchange_type::IKE_AUTH:
                        if (s->state != Sa_state::awaiting_IKE_AUTH_request) {
                            answered = false;
                            break;
                        }
                        if (in.bad_AUTH) {
                            // §2.15, §2.21.2: AUTH does not verify: AUTHENTICATION_FAILED, no SA.
                            e.alternatives = {{"N(AUTHENTICATION_FAILED)"}};
                            e.why = "§2.21.2 bad AUTH";
                            s->state = Sa_state::gone;
                            may.push_back(Observed_event::Kind::deleted);
                            may.push_back(Observed_event::Kind::failed);
                        } else {
                            // §1.2: <-- HDR, SK {IDr, AUTH, SAr2, TSi, TSr}
                            e.alternatives = {{"IDr", "AUTH", "SA", "TSi", "TSr"}};
                            e.why = "§1.2 IKE_AUTH response";
                            s->state = Sa_state::established;
                            must.push_back(Observed_event::Kind::established);
                        }
                        break;
                    case Exchange_type::CREATE_CHILD_SA: {
                        // §1.2, §1.3: CREATE_CHILD_SA follows the initial exchanges; before our
                        // IKE_AUTH completed the request cannot be processed (the peer retransmits).
                        if (s->state == Sa_state::awaiting_IKE_AUTH_request ||
                            s->state == Sa_state::awaiting_IKE_AUTH_response || s->state == Sa_state::gone) {
                            answered = false;
                            break;
                        }
                        const bool IKE_rekey = m.has("SA") && m.has("KE") && !m.has("TSi");
                        const bool closing_IKE = s->state == Sa_state::deleting || s->state == Sa_state::rekeyed;
                        const bool child_work = s->outstanding == Request::create_CHILD_SA ||
                                                s->outstanding == Request::rekey_CHILD_SA ||
                                                s->outstanding == Request::delete_CHILD_SA;
                        const std::vector<std::string> TEMPORARY_FAILURE{"N(TEMPORARY_FAILURE)"};
                        if (IKE_rekey) {
                            if (closing_IKE || child_work) {
                                // §2.25.1, §2.25.2
                                e.alternatives = {TEMPORARY_FAILURE};
                                e.why = "§2.25 IKE SA rekey while busy";
                            } else {
                                // §1.3.2: <-- HDR, SK {SA, Nr, KEr}; §2.25.2/§2.8.2 on a collision
                                e.alternatives = {{"SA", "Nr", "KE"}};
                                e.why = "§1.3.2 IKE SA rekey response";
                                must.push_back(Observed_event::Kind::rekeyed);
                                if (s->state == Sa_state::rekeying) {
                                    s->rekey_collision = true;
                                    lenient_requests_ = true;
                                    ++collisions_;
                                    inherited_children_ = -1;  // §2.8.2: the survivor inherits, later
                                } else {
                                    s->state = Sa_state::rekeyed;
                                    inherited_children_ = s->children;  // §2.18: they move to the new SA
                                    inherited_rekeys_pending_ = s->peer_rekeys_pending;
                                    s->children = 0;
                                    s->peer_rekeys_pending = 0;
                                    migrate_from = si;  // and so do our queued requests
                                }
                            }
                        } else {
                            const bool ours_IKE_rekey = s->outstanding == Request::rekey_IKE_SA;
                            if (closing_IKE || ours_IKE_rekey) {
                                e.alternatives = {TEMPORARY_FAILURE};  // §2.25.2
                                e.why = "§2.25.2 CHILD SA request while the IKE SA is rekeyed or closed";
                            } else if (s->outstanding == Request::delete_CHILD_SA) {
                                // §2.25.1: rekeying a CHILD SA we are closing (or another one).
                                e.alternatives = {TEMPORARY_FAILURE, {"SA", "Nr", "TSi", "TSr"}, {"N(CHILD_SA_NOT_FOUND)"}};
                                e.why = "§2.25.1";
                            } else if (s->children == 0) {
                                // §2.25; the count is ours, the REKEY_SA SPI is not visible here
                                e.alternatives = {{"N(CHILD_SA_NOT_FOUND)"}, {"SA", "Nr", "TSi", "TSr"}};
                                e.why = "§2.25 CHILD_SA_NOT_FOUND";
                            } else {
                                // §1.3.3: <-- HDR, SK {SA, Nr, [KEr,] TSi, TSr}
                                // The REKEY_SA SPI is not visible to this model: the CHILD SA it
                                // names may be gone already (§2.25: CHILD_SA_NOT_FOUND).
                                e.alternatives = {{"SA", "Nr", "TSi", "TSr"}, {"N(CHILD_SA_NOT_FOUND)"}};
                                e.why = "§1.3.3 CHILD SA rekey response";
                                if (s->outstanding == Request::rekey_CHILD_SA) {
                                    s->rekey_collision = true;  // §2.8.1
                                    ++collisions_;
                                }
                            }
                        }
                        break;
                    }
                    case Exchange_type::INFORMATIONAL:
                        if (s->state == Sa_state::awaiting_IKE_AUTH_request ||
                            s->state == Sa_state::awaiting_IKE_AUTH_response) {
                            answered = false;
                            break;
                        }
                        if (m.has("D(IKE)")) {
                            // §1.4.1: <-- HDR, SK {}; the IKE SA and its CHILD SAs are gone;
                            // §2.25.2: our own rekey or close is forgotten.
                            e.alternatives = {{}};
                            e.why = "§1.4.1 IKE SA deleted by the peer";
                            s->state = Sa_state::gone;
                            must.push_back(Observed_event::Kind::deleted);
                        } else if (m.has("D(ESP)")) {
                            e.alternatives = {{"D(ESP)"}, {}};  // §1.4.1, §2.25.1 (without D when closing too)
                            e.why = "§1.4.1 CHILD SA delete";  // the count moves once the answer is seen
                            if (s->peer_rekeys_pending > 0) --s->peer_rekeys_pending;
                            if (s->outstanding == Request::rekey_CHILD_SA) s->old_child_maybe_gone = true;
                        } else {
                            e.alternatives = {{}};  // §2.4 liveness
                        }
                        break;
                    default:
                        answered = false;
                }
                if (!answered) break;
                add(e, si, Bind::What::response);
                s->expected_request_mid = m.message_id + 1;
                s->last_response_mid = m.message_id;
                s->last_request_bytes = m.bytes;
                break;
            }
            // A response (§2.2): only to the request in flight, with its Message ID.
            if (s->outstanding == Request::none || m.message_id != s->outstanding_mid) break;
            if (s->timer &&
                std::find(out.cancelled.begin(), out.cancelled.end(), *s->timer) == out.cancelled.end()) {
                diffs.push_back("the retransmission timer of request #" + std::to_string(m.message_id) +
                                " was not cancelled by its response (§2.1)");
            }
            s->timer.reset();
            const Request done = s->outstanding;
            bool hold_queue = false;
            s->outstanding = Request::none;
            s->next_request_mid = m.message_id + 1;
            const bool error = std::any_of(m.kinds.begin(), m.kinds.end(), [](const std::string& k) {
                return k == "N(TEMPORARY_FAILURE)" || k == "N(NO_PROPOSAL_CHOSEN)" || k == "N(CHILD_SA_NOT_FOUND)" ||
                       k == "N(AUTHENTICATION_FAILED)" || k == "N(INVALID_SYNTAX)" || k == "N(TS_UNACCEPTABLE)" ||
                       k == "N(INVALID_KE_PAYLOAD)";
            });
            switch (done) {
                case Request::IKE_AUTH:
                    if (m.has("AUTH") && !error && !in.bad_AUTH) {
                        s->state = Sa_state::established;  // §1.2
                        must.push_back(Observed_event::Kind::established);
                    } else {
                        s->state = Sa_state::gone;  // §2.21.2
                        must.push_back(Observed_event::Kind::deleted);
                        may.push_back(Observed_event::Kind::failed);
                    }
                    break;
                case Request::rekey_IKE_SA:
                    if (m.has("SA") && !error) {
                        // §1.3.2, §2.18: the new IKE SA takes over; the rekey requester deletes the
                        // old one. §2.8.2 on a collision: whoever created the new SA with the
                        // lowest nonce deletes it instead (the nonces are inside SK: either way).
                        must.push_back(Observed_event::Kind::rekeyed);
                        inherited_children_ = s->rekey_collision ? -1 : s->children;
                        inherited_rekeys_pending_ = s->peer_rekeys_pending;
                        if (!s->rekey_collision) {
                            s->children = 0;
                            migrate_from = si;  // our queued requests move with the CHILD SAs
                        }
                        Expect del = request_of(*s, Request::delete_IKE_SA);
                        del.why = "§1.3.2 delete the old IKE SA";
                        if (s->rekey_collision) {
                            del.optional = true;
                            Expect del_new;
                            del_new.exchange = Exchange_type::INFORMATIONAL;
                            del_new.mid = 0;
                            del_new.alternatives = {{"D(IKE)"}};
                            del_new.optional = true;
                            del_new.on_new_SA = true;
                            del_new.why = "§2.8.2 delete our redundant new IKE SA";
                            add(del_new, si, Bind::What::none);
                        }
                        add(del, si, Bind::What::request);
                        s->outstanding = Request::delete_IKE_SA;
                        s->outstanding_mid = s->next_request_mid;
                        s->retransmits = 0;
                        s->state = Sa_state::deleting;
                    } else if (s->rekey_collision) {
                        // §2.8.2: we answered the peer's rekey while ours was in flight and ours
                        // failed: the peer's new IKE SA is the only one; it takes the CHILD SAs and
                        // this old SA waits for the peer's Delete.
                        s->state = Sa_state::rekeyed;
                        s->children = 0;
                        s->rekey_collision = false;
                    } else {
                        s->state = Sa_state::established;  // §2.21.3, §2.25: the old SA stays
                    }
                    break;
                case Request::rekey_CHILD_SA:
                    if (m.has("SA") && !error) {
                        // §1.3.3, §2.8: the old (or, §2.8.1, the redundant) CHILD SA is deleted,
                        // before API requests already waiting (§2.3 window; the RFC does not order
                        // them, the judged peer puts the Delete first, as strongSwan does).
                        Expect del = request_of(*s, Request::delete_CHILD_SA);
                        del.why = s->rekey_collision ? "§2.8.1 delete the redundant CHILD SA" : "§2.8 delete the old CHILD SA";
                        if (s->old_child_maybe_gone) {
                            // §1.4.1: the peer may have deleted the old SA meanwhile: nothing left to delete.
                            del.optional = true;
                            pending_optional_ = {s, Request::delete_CHILD_SA};
                            hold_queue = true;  // a queued request instead is caught up by resync()
                        } else {
                            s->outstanding = Request::delete_CHILD_SA;
                            s->outstanding_mid = s->next_request_mid;
                            s->retransmits = 0;
                        }
                        add(del, si, Bind::What::request);
                    }
                    s->rekey_collision = false;
                    s->old_child_maybe_gone = false;
                    break;
                case Request::delete_CHILD_SA:
                    break;
                case Request::delete_IKE_SA:
                    s->state = Sa_state::gone;  // §1.4.1
                    must.push_back(Observed_event::Kind::deleted);
                    break;
                default:
                    break;
            }
            if (s->state != Sa_state::gone && s->outstanding == Request::none && !hold_queue) {
                std::vector<Expect> e;
                pump(*s, e);
                for (auto& x : e) add(x, si, Bind::What::request);
            }
            break;
        }
    }

    // §2.18: the new IKE SAs of this step, learnt before judging so that their first requests
    // are judged (or, after a collision, resynchronised) here. §1.3.2: without a collision the
    // old SA's waiting requests move to the new one in order and the first starts at once: a
    // Delete of the old SA still waiting deletes the new one; a rekey of the old SA is void.
    const std::size_t known = sas_.size();
    learn_new_SAs(in, out, migrate_from.has_value());
    for (auto& e : expect) {
        // Not a Delete that a queued request moved to another IKE SA (resync() takes that one).
        if (e.on_new_SA && sas_.size() == known + 1) {
            e.SPIi = sas_[known].SPIi;
            e.SPIr = sas_[known].SPIr;
        }
    }
    if (migrate_from && sas_.size() == known + 1) {
        Sa& n = sas_[known];
        for (const Request r : sas_[*migrate_from].queue) {
            if (r != Request::rekey_IKE_SA && r != Request::liveness) n.queue.push_back(r);
        }
        sas_[*migrate_from].queue.clear();
        std::vector<Expect> e;
        pump(n, e);
        for (auto& x : e) add(x, known, Bind::What::request);
    }

    // Compare the sends.
    std::vector<const Observed_send*> matched;
    for (auto& d : judge(expect, out, &matched)) diffs.push_back(std::move(d));

    // Learn identifiers and octets from what matched (never decisions).
    for (std::size_t i = 0; i < expect.size(); ++i) {
        const Observed_send* s = matched[i];
        Sa& sa = sas_[binds[i].sa];
        // An optional CHILD request that was not sent (its CHILD SA was gone) left the request in
        // flight as it was (none, or what resync() found went out instead).
        if (!s && lenient_requests_ && binds[i].what == Bind::What::request && !expect[i].optional &&
            expect[i].req != Request::none && sa.outstanding == expect[i].req) {
            // Not judged (resync): the request did not go out here, so it is still queued.
            sa.outstanding = Request::none;
            if (sa.state == Sa_state::rekeying || sa.state == Sa_state::deleting) sa.state = Sa_state::established;
            sa.queue.push_front(expect[i].req);
            continue;
        }
        if (!s) {
            if (binds[i].what == Bind::What::request && sa.outstanding == Request::delete_IKE_SA && expect[i].optional &&
                expect[i].why.find("old IKE SA") != std::string::npos) {
                // §2.8.2: we deleted our redundant new SA instead; the old one waits for the peer.
                sa.outstanding = Request::none;
                sa.state = Sa_state::rekeyed;
            }
            continue;
        }
        switch (binds[i].what) {
            case Bind::What::request:
                if (s->m.exchange == Exchange_type::IKE_SA_INIT) sa.SPIi = s->m.SPIi;
                if (pending_optional_.sa == &sa) {
                    sa.outstanding = pending_optional_.r;
                    sa.outstanding_mid = s->m.message_id;
                    sa.retransmits = 0;
                }
                if (expect[i].why == "§2.8.2 redundant IKE SA") {
                    sa.outstanding = Request::delete_IKE_SA;
                    sa.outstanding_mid = s->m.message_id;
                    sa.retransmits = 0;
                    sa.state = Sa_state::deleting;
                }
                sa.outstanding_bytes = s->m.bytes;
                sa.timer = s->timer;
                break;
            case Bind::What::resend_request:
                sa.timer = s->timer;
                break;
            case Bind::What::response:
                if (s->m.exchange == Exchange_type::IKE_SA_INIT) sa.SPIr = s->m.SPIr;
                if (s->m.exchange == Exchange_type::CREATE_CHILD_SA && in.msg.has("N(REKEY_SA)") && s->m.has("SA"))
                    ++sa.peer_rekeys_pending;  // §2.8: the peer deletes the old SA next
                sa.last_response_bytes = s->m.bytes;
                if (s->m.has("N(AUTHENTICATION_FAILED)")) sa.state = Sa_state::gone;
                break;
            case Bind::What::resend_response:
            case Bind::What::none:
                break;
        }
    }

    // Events: every required kind must appear; nothing outside required + allowed (+ the events
    // of IKE SAs born from a rekey, learnt below).
    auto count = [&out](Observed_event::Kind k) {
        return std::count_if(out.events.begin(), out.events.end(), [k](const Observed_event& e) { return e.kind == k; });
    };
    for (auto k : must) {
        if (count(k) == 0) diffs.push_back("expected SA event " + std::to_string(int(k)) + ", none emitted");
    }
    for (const auto& ev : out.events) {
        if (ev.kind == Observed_event::Kind::other || ev.kind == Observed_event::Kind::child_installed ||
            ev.kind == Observed_event::Kind::child_deleted)
            continue;
        const bool listed = std::find(must.begin(), must.end(), ev.kind) != must.end() ||
                            std::find(may.begin(), may.end(), ev.kind) != may.end();
        // A rekey (§1.3.2) emits rekeyed + established for the new SA; a collision may also
        // delete an SA; a redundant SA's Delete is deleted.
        const bool rekey_related = std::find(must.begin(), must.end(), Observed_event::Kind::rekeyed) != must.end() &&
                                   (ev.kind == Observed_event::Kind::established || ev.kind == Observed_event::Kind::deleted);
        if (!listed && !rekey_related) {
            diffs.push_back("unexpected SA event " + std::to_string(int(ev.kind)));
        }
        if (ev.kind == Observed_event::Kind::established) ++established_;
    }
    // A collision resolves when the old SA is deleted or replaced.
    for (auto& s : sas_) {
        if (s.state == Sa_state::gone) s.rekey_collision = false;
    }
    return diffs;
}

// §2.18: an IKE SA born from a rekey starts established with Message IDs at 0; it holds the
// CHILD SAs of the old one (on a collision, §2.8.2, the survivor does: unknown here).
void Peer::learn_new_SAs(const Stimulus& in, const Observed& out, bool judged_requests) {
    for (const auto& ev : out.events) {
        if (ev.kind != Observed_event::Kind::rekeyed) continue;
        if (find(ev.SPIi, ev.SPIr)) continue;
        Sa n;
        n.SPIi = ev.SPIi;
        n.SPIr = ev.SPIr;
        n.state = Sa_state::established;
        n.children = inherited_children_;
        n.peer_rekeys_pending = inherited_rekeys_pending_;
        // §2.18: who requested the rekey is the new SA's original initiator: we did when this
        // step was the response to our request.
        n.original_initiator = in.kind == Stimulus::Kind::datagram && in.msg.response;
        for (const auto& snd : out.sends) {
            if (snd.m.SPIi == ev.SPIi && snd.m.SPIr == ev.SPIr) {
                n.original_initiator = snd.m.from_original_initiator;
                if (!snd.m.response && !judged_requests) {
                    // After a collision (§2.8.2): the Delete of a redundant new SA, or a request
                    // that moved to the survivor; taken as observed (resync()).
                    n.outstanding = request_in(snd.m);
                    n.outstanding_mid = snd.m.message_id;
                    n.next_request_mid = snd.m.message_id;
                    n.outstanding_bytes = snd.m.bytes;
                    n.timer = snd.timer;
                    if (n.outstanding == Request::delete_IKE_SA) n.state = Sa_state::deleting;
                }
            }
        }
        // After a collision both new SAs may be redundant for a while (§2.8.2).
        n.redundant = std::any_of(sas_.begin(), sas_.end(), [](const Sa& s) { return s.rekey_collision; });
        sas_.push_back(n);
    }
}

}  // namespace ike::reference
