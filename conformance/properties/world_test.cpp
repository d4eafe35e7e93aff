// The World of the conformance properties (world.hpp) and its sanity tests: a lossless run
// reaches an established SA that the reference model agrees with, and the judge can fail.
#include "conformance/properties/world.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "src/codec/codec.hpp"
#include "src/core/negotiation.hpp"
#include "src/core/sk_payload.hpp"
#include "tests/support/protect.hpp"

namespace ike::properties {

namespace {

std::pair<Spi, Spi> key_of(const reference::Message_view& m) { return {m.SPIi, m.SPIr}; }

reference::Observed_event::Kind kind_of(Sa_event_kind k) {
    using K = reference::Observed_event::Kind;
    switch (k) {
        case Sa_event_kind::IKE_SA_established: return K::established;
        case Sa_event_kind::IKE_SA_rekeyed: return K::rekeyed;
        case Sa_event_kind::IKE_SA_deleted: return K::deleted;
        case Sa_event_kind::IKE_SA_failed: return K::failed;
        case Sa_event_kind::CHILD_SA_installed: return K::child_installed;
        case Sa_event_kind::CHILD_SA_deleted: return K::child_deleted;
        default: return K::other;
    }
}

}  // namespace

namespace {
// RFC 7296 §2.6: no cookies in these runs (the sequences cover them).
Config config_of(bool side_a) {
    Config c = test::make_config(side_a);
    c.gate.cookies = Cookie_policy::never;
    return c;
}
}  // namespace

World::World(std::uint64_t seed_a, std::uint64_t seed_b)
    : pair(config_of(true), config_of(false), seed_a, seed_b) {}

std::vector<std::string> World::kinds_of_message(const Message& m) const {
    std::vector<std::string> out;
    for (const auto& p : m.payloads) {
        if (p.type == Payload_type::Nonce) {
            out.push_back(m.header.is_response() ? "Nr" : "Ni");
        } else if (const auto* n = std::get_if<Payload_N>(&p.body)) {
            out.push_back("N(" + to_string(static_cast<Notify_type>(n->type)) + ")");
        } else if (const auto* d = std::get_if<Payload_D>(&p.body)) {
            out.push_back(d->protocol == Protocol_id::IKE ? "D(IKE)" : "D(ESP)");
        } else {
            out.push_back(to_string(p.type));
        }
    }
    return out;
}

// Header from the codec; kinds from the decrypted chain with the keys both sides logged.
reference::Message_view World::view(const Bytes& bytes) const {
    reference::Message_view v;
    if (auto h = reference::view_of(bytes, "")) v = *h;
    auto decoded = codec::decode_message(Octets(bytes));
    if (!codec::ok(decoded)) return v;
    const Message& m = codec::value(decoded);
    if (m.payloads.empty() || m.payloads.back().type != Payload_type::SK) {
        v.kinds = kinds_of_message(m);
        return v;
    }
    auto k = keys_.find({m.header.SPIi, m.header.SPIr});
    if (k == keys_.end()) return v;
    const Keys_derived& keys = k->second;
    auto crypto = make_seeded_botan_provider(7);
    const auto* e = core::transform_of(keys.proposal, Transform_type::ENCR);
    const auto* i = core::transform_of(keys.proposal, Transform_type::INTEG);
    auto cipher = crypto->cipher(static_cast<Encr_id>(e->id), e->key_length.value_or(0));
    auto integ = (i && i->id) ? crypto->integrity(static_cast<Integ_id>(i->id)) : nullptr;
    const bool from_i = m.header.from_original_initiator();
    core::Sk_keys sk{cipher.get(), integ.get(), from_i ? keys.SK_ei.view() : keys.SK_er.view(),
                     from_i ? keys.SK_ai.view() : keys.SK_ar.view()};
    auto r = core::unprotect(Octets(bytes), m, sk);
    if (auto* inner = std::get_if<Message>(&r)) v.kinds = kinds_of_message(*inner);
    return v;
}

void World::note(std::vector<std::string>& where, const std::string& what) {
    where.push_back("step " + std::to_string(stats.steps) + ": " + what);
}

// One input to one Endpoint: its outputs are judged by that side's reference model and the
// invariants, then go to the wire and the timer lists.
void World::feed(bool to_a, Input in, reference::Stimulus st) {
    ++stats.steps;
    test::Side& side = to_a ? pair.a : pair.b;
    Side_state& ss = to_a ? sa_ : sb_;
    const char* who = to_a ? "a" : "b";
    Outputs outs = side.ep->handle(std::move(in));

    reference::Observed obs;
    bool traced = false;
    const Bytes* last_send = nullptr;
    for (std::size_t i = 0; i < outs.size(); ++i) {
        auto& o = outs[i];
        if (auto* k = std::get_if<Keys_derived>(&o)) {
            Keys_derived c;
            c.SPIi = k->SPIi;
            c.SPIr = k->SPIr;
            c.proposal = k->proposal;
            c.SK_d = k->SK_d.clone();
            c.SK_ei = k->SK_ei.clone();
            c.SK_er = k->SK_er.clone();
            c.SK_ai = k->SK_ai.clone();
            c.SK_ar = k->SK_ar.clone();
            c.SK_pi = k->SK_pi.clone();
            c.SK_pr = k->SK_pr.clone();
            for (const auto& [spis, other] : keys_) {
                // §2.18: a rekeyed IKE SA has fresh keys; the old ones die with the old SA.
                if (spis != std::make_pair(k->SPIi, k->SPIr) && other.SK_d.hex() == k->SK_d.hex())
                    note(key_after_delete_errors, std::string(who) + ": a new IKE SA reuses the keys of an old one");
            }
            keys_[{k->SPIi, k->SPIr}] = std::move(c);
        } else if (auto* t = std::get_if<Message_trace>(&o)) {
            if (t->sent) traced = true;
            log_.push_back(std::string(who) + (t->sent ? " sent " : " recv ") + t->notation);
        } else if (auto* d = std::get_if<Send_datagram>(&o)) {
            reference::Observed_send s;
            s.m = view(d->bytes);
            s.fresh = traced;
            traced = false;
            if (i + 1 < outs.size()) {
                if (auto* a = std::get_if<Arm_timer>(&outs[i + 1])) s.timer = a->id;
            }
            const auto key = key_of(s.m);
            // [7296-2.2] no key is used after its IKE SA is deleted.
            if (ss.deleted.count(key)) {
                note(key_after_delete_errors, std::string(who) + " sent with the keys of deleted IKE SA: " +
                                                  to_string(s.m.exchange) + " #" + std::to_string(s.m.message_id));
            }
            if (!s.fresh) {
                // §2.1: a retransmission repeats an earlier datagram octet for octet.
                if (std::find(side.sent.begin(), side.sent.end(), d->bytes) == side.sent.end()) {
                    note(retransmission_errors, std::string(who) + " resent a datagram it never sent before: " +
                                                    to_string(s.m.exchange) + " #" + std::to_string(s.m.message_id));
                }
            } else if (!s.m.response) {
                // §2.2: requests carry 0, 1, 2, ... on each IKE SA (IKE_SA_INIT: always 0).
                if (s.m.exchange == Exchange_type::IKE_SA_INIT) {
                    if (s.m.message_id != 0) note(message_id_errors, "IKE_SA_INIT request with Message ID != 0");
                } else {
                    auto it = ss.next_request_mid.find(key);
                    const std::uint32_t want =
                        it != ss.next_request_mid.end() ? it->second : (s.m.exchange == Exchange_type::IKE_AUTH ? 1u : 0u);
                    if (s.m.message_id != want) {
                        note(message_id_errors, std::string(who) + " sent " + to_string(s.m.exchange) + " request #" +
                                                    std::to_string(s.m.message_id) + ", expected #" + std::to_string(want));
                    }
                    ss.next_request_mid[key] = s.m.message_id + 1;
                }
            } else if (s.m.exchange != Exchange_type::IKE_SA_INIT) {
                // §2.2: a request is processed once: one fresh response per Message ID.
                if (!ss.answered[key].insert(s.m.message_id).second) {
                    note(message_id_errors, std::string(who) + " answered request #" + std::to_string(s.m.message_id) +
                                                " twice as a new request (§2.1 says: resend the cached response)");
                }
            }
            log_.push_back(std::string(who) + (s.fresh ? " send " : " resend ") + to_string(s.m.exchange) +
                           (s.m.response ? " response #" : " request #") + std::to_string(s.m.message_id));
            obs.sends.push_back(std::move(s));
            last_send = &d->bytes;
        } else if (auto* a = std::get_if<Arm_timer>(&o)) {
            if (!ss.armed.insert(a->id).second) note(timer_errors, "timer armed twice");
            obs.armed.push_back(a->id);
        } else if (auto* c = std::get_if<Cancel_timer>(&o)) {
            if (!ss.armed.count(c->id)) note(timer_errors, "cancel of a timer never armed");
            ss.cancelled.insert(c->id);
            obs.cancelled.push_back(c->id);
        } else if (auto* e = std::get_if<Sa_event>(&o)) {
            obs.events.push_back({kind_of(e->kind), e->SPIi, e->SPIr});
            log_.push_back(std::string(who) + " event " + std::to_string(int(e->kind)) + " " + e->detail);
            if (e->kind == Sa_event_kind::IKE_SA_deleted) ss.deleted.insert({e->SPIi, e->SPIr});
            // An IKE SA removed because an exchange failed (retransmission limit, §2.4).
            if (e->kind == Sa_event_kind::IKE_SA_deleted && e->detail == "Exchange_failed") stats.failed = true;
            if (e->kind == Sa_event_kind::IKE_SA_established && st.bad_AUTH) {
                // §2.15: no SA is established on a forged AUTH.
                note(auth_errors, std::string(who) + " established an IKE SA on a forged IKE_AUTH");
            }
        } else if (auto* r = std::get_if<Remove_child_sa>(&o)) {
            ss.removed_child_spis.insert(r->spi_in);
        } else if (auto* ins = std::get_if<Install_child_sa>(&o)) {
            if (ss.removed_child_spis.count(ins->sa.spi_in)) note(key_after_delete_errors, "CHILD SA SPI reused after delete");
            if (st.bad_AUTH) {
                note(auth_errors, std::string(who) + " installed a CHILD SA on a forged IKE_AUTH");
            }
        } else if (auto* g = std::get_if<Diagnostic>(&o)) {
            if (g->rule.rfind("7296-2.8", 0) == 0 && g->rule.find("collision") != std::string::npos) stats.collision = true;
            if (g->rule == "7296-2.25-temporary-failure") stats.collision = true;
        }
    }
    (void)last_send;
    for (auto& d : ss.ref.step(st, obs)) note(reference_diffs, std::string(who) + ": " + d);
    if (ss.ref.collisions() > 0) stats.collision = true;
    if (pair.a.has_event(Sa_event_kind::IKE_SA_established) || pair.b.has_event(Sa_event_kind::IKE_SA_established)) {
        // counted below once both have it
    }
    pair.absorb(side, to_a, std::move(outs));
    if (pair.a.has_event(Sa_event_kind::IKE_SA_established) && pair.b.has_event(Sa_event_kind::IKE_SA_established))
        stats.established = true;
}

void World::initiate() {
    reference::Stimulus st;
    st.kind = reference::Stimulus::Kind::initiate;
    feed(true, Initiate{"home", "", pair.now}, st);
}

void World::deliver() {
    if (pair.wire.empty()) return;
    test::In_flight f = std::move(pair.wire.front());
    pair.wire.pop_front();
    reference::Stimulus st;
    st.kind = reference::Stimulus::Kind::datagram;
    st.msg = view(f.d.bytes);
    st.authentic = !corrupted_.count(f.d.bytes) && !forged_.count(f.d.bytes);
    if (forged_.count(f.d.bytes)) {
        st.authentic = true;  // integrity holds: only AUTH is wrong
        st.bad_AUTH = true;
    }
    Datagram_received r{f.d.remote, f.d.local, std::move(f.d.bytes), pair.now};
    log_.push_back(std::string(f.to_b ? "-> b " : "-> a ") + to_string(st.msg.exchange) +
                   (st.msg.response ? " response #" : " request #") + std::to_string(st.msg.message_id));
    feed(!f.to_b, std::move(r), st);
}

void World::drop() {
    if (pair.wire.empty()) return;
    pair.wire.pop_front();
    ++stats.lost;
    log_.push_back("drop");
}

void World::duplicate() {
    if (pair.wire.empty()) return;
    pair.wire.insert(pair.wire.begin() + 1, pair.wire.front());
    ++stats.duplicated;
    log_.push_back("duplicate");
}

void World::reorder(std::size_t k) {
    if (pair.wire.size() < 2) return;
    k = 1 + k % (pair.wire.size() - 1);
    auto f = std::move(pair.wire.front());
    pair.wire.pop_front();
    pair.wire.insert(pair.wire.begin() + static_cast<std::ptrdiff_t>(k), std::move(f));
    ++stats.reordered;
    log_.push_back("reorder " + std::to_string(k));
}

void World::fire_due(Time until) {
    for (;;) {
        bool on_a = false;
        Timer_id id = 0;
        std::optional<Time> at;
        for (bool a : {true, false}) {
            for (const auto& [tid, t] : (a ? pair.a : pair.b).timers) {
                if (!at || t < *at) {
                    at = t;
                    id = tid;
                    on_a = a;
                }
            }
        }
        if (!at || *at > until) return;
        (on_a ? pair.a : pair.b).timers.erase(id);
        (on_a ? sa_ : sb_).fired.insert(id);
        pair.now = std::max(pair.now, *at);
        ++stats.timers_fired;
        log_.push_back(std::string("timer ") + (on_a ? "a" : "b") + " " + std::to_string(id));
        reference::Stimulus st;
        st.kind = reference::Stimulus::Kind::timer;
        st.timer = id;
        feed(on_a, Timer_expired{id, pair.now}, st);
    }
}

void World::advance(std::chrono::milliseconds d) {
    const Time until = pair.now + d;
    fire_due(until);
    pair.now = std::max(pair.now, until);
}

namespace {
template <class F>
void on_sides(Who w, F&& f) {
    if (w != Who::B) f(true);
    if (w != Who::A) f(false);
}
}  // namespace

void World::rekey_IKE_SA(Who w) {
    on_sides(w, [&](bool a) {
        reference::Stimulus st;
        st.kind = reference::Stimulus::Kind::rekey_IKE_SA;
        log_.push_back(std::string("rekey IKE SA on ") + (a ? "a" : "b"));
        feed(a, Rekey_IKE_SA{"home", pair.now}, st);
    });
}

void World::rekey_CHILD_SA(Who w) {
    on_sides(w, [&](bool a) {
        reference::Stimulus st;
        st.kind = reference::Stimulus::Kind::rekey_CHILD_SA;
        log_.push_back(std::string("rekey CHILD SA on ") + (a ? "a" : "b"));
        feed(a, Rekey_CHILD_SA{"home", 0, pair.now}, st);
    });
}

void World::delete_IKE_SA(Who w) {
    on_sides(w, [&](bool a) {
        reference::Stimulus st;
        st.kind = reference::Stimulus::Kind::delete_IKE_SA;
        log_.push_back(std::string("delete IKE SA on ") + (a ? "a" : "b"));
        feed(a, Terminate{"home", pair.now}, st);
    });
}

void World::delete_CHILD_SA(Who w) {
    on_sides(w, [&](bool a) {
        reference::Stimulus st;
        st.kind = reference::Stimulus::Kind::delete_CHILD_SA;
        log_.push_back(std::string("delete CHILD SA on ") + (a ? "a" : "b"));
        feed(a, Delete_CHILD_SA{"home", 0, pair.now}, st);
    });
}

void World::corrupt_head() {
    if (pair.wire.empty()) return;
    Bytes& b = pair.wire.front().d.bytes;
    if (b.size() <= codec::header_size || corrupted_.count(b) || forged_.count(b)) return;  // twice = the original
    const auto h = codec::peek_header(Octets(b));
    if (!h || h->exchange == Exchange_type::IKE_SA_INIT) return;  // no ICV there (covered by sequences)
    b[b.size() - 1] ^= 0x5a;  // inside the ICV / tag: §2.21 drop
    corrupted_.insert(b);
    ++stats.corrupted;
    log_.push_back("corrupt head");
}

void World::forge_AUTH() {
    for (auto& f : pair.wire) {
        if (forged_.count(f.d.bytes)) continue;  // forging twice would flip the bit back
        auto decoded = codec::decode_message(Octets(f.d.bytes));
        if (!codec::ok(decoded)) continue;
        const Message& outer = codec::value(decoded);
        if (outer.header.exchange != Exchange_type::IKE_AUTH || outer.header.is_response()) continue;
        auto k = keys_.find({outer.header.SPIi, outer.header.SPIr});
        if (k == keys_.end()) continue;
        const Keys_derived& keys = k->second;
        auto crypto = make_seeded_botan_provider(7);
        const auto* e = core::transform_of(keys.proposal, Transform_type::ENCR);
        const auto* i = core::transform_of(keys.proposal, Transform_type::INTEG);
        auto cipher = crypto->cipher(static_cast<Encr_id>(e->id), e->key_length.value_or(0));
        auto integ = (i && i->id) ? crypto->integrity(static_cast<Integ_id>(i->id)) : nullptr;
        const bool from_i = outer.header.from_original_initiator();
        core::Sk_keys sk{cipher.get(), integ.get(), from_i ? keys.SK_ei.view() : keys.SK_er.view(),
                         from_i ? keys.SK_ai.view() : keys.SK_ar.view()};
        auto r = core::unprotect(Octets(f.d.bytes), outer, sk);
        auto* inner = std::get_if<Message>(&r);
        if (!inner) continue;
        Message forged = *inner;
        bool changed = false;
        for (auto& p : forged.payloads) {
            if (auto* a = std::get_if<Payload_AUTH>(&p.body); a && !a->data.empty()) {
                a->data[0] ^= 0x01;  // §2.15: the MAC over the signed octets no longer matches
                changed = true;
            }
        }
        if (!changed) continue;
        f.d.bytes = test::protect_as(keys, from_i, forged);
        forged_.insert(f.d.bytes);
        forged_SAs_.insert({outer.header.SPIi, outer.header.SPIr});
        ++stats.forged_AUTH;
        log_.push_back("forge AUTH");
        return;
    }
}

void World::finish() {
    for (int i = 0; i < 2000; ++i) {
        if (!pair.wire.empty()) {
            deliver();
            continue;
        }
        std::optional<Time> at;
        for (const auto* s : {&pair.a, &pair.b})
            for (const auto& [id, t] : s->timers)
                if (!at || t < *at) at = t;
        if (!at) return;
        fire_due(*at);
    }
}

std::string World::same_SAs_after_finish() const {
    auto established = [](const test::Side& s) {
        std::set<std::pair<Spi, Spi>> out;
        for (const auto& i : s.ep->list())
            if (i.state == "Established") out.insert({i.SPIi, i.SPIr});
        return out;
    };
    const auto ea = established(pair.a), eb = established(pair.b);
    if (ea != eb) {
        return "IKE SAs differ: a holds " + std::to_string(ea.size()) + ", b holds " + std::to_string(eb.size());
    }
    if (ea.size() > 1) return "more than one IKE SA left after a rekey: " + std::to_string(ea.size());
    std::set<std::pair<std::uint32_t, std::uint32_t>> ca, cb;
    for (const auto& i : pair.a.ep->list())
        for (const auto& c : i.children) ca.insert({c.spi_in, c.spi_out});
    for (const auto& i : pair.b.ep->list())
        for (const auto& c : i.children) cb.insert({c.spi_out, c.spi_in});
    if (ca != cb) return "CHILD SAs do not mirror: a " + std::to_string(ca.size()) + ", b " + std::to_string(cb.size());
    if (ca.size() > 1) return "more than one CHILD SA left after a rekey: " + std::to_string(ca.size());
    return "";
}

std::string World::quiescent_after_finish() const {
    for (const auto* s : {&pair.a, &pair.b}) {
        if (!s->timers.empty()) return "timers still armed after the run";
        for (const auto& i : s->ep->list()) {
            if (i.state != "Established") return "an IKE SA is stuck in " + i.state + " with no timer left";
        }
    }
    for (const auto* ss : {&sa_, &sb_}) {
        for (auto id : ss->armed) {
            if (!ss->fired.count(id) && !ss->cancelled.count(id)) return "timer " + std::to_string(id) + " neither fired nor cancelled";
        }
    }
    if (sa_.ref.live_IKE_SAs() != pair.a.ep->ike_sa_count() || sb_.ref.live_IKE_SAs() != pair.b.ep->ike_sa_count()) {
        if (!reference_diffs.empty()) return "";  // already reported step by step
        return "IKE SA count: reference a " + std::to_string(sa_.ref.live_IKE_SAs()) + " b " +
               std::to_string(sb_.ref.live_IKE_SAs()) + ", Endpoint a " + std::to_string(pair.a.ep->ike_sa_count()) +
               " b " + std::to_string(pair.b.ep->ike_sa_count());
    }
    return "";
}

std::string World::transcript() const {
    std::ostringstream os;
    for (const auto& l : log_) os << "  " << l << "\n";
    return os.str();
}

// ---- sanity of the World itself ------------------------------------------------------------

TEST(World, lossless_run_establishes_and_the_reference_agrees) {
    World w(1, 2);
    w.initiate();
    w.finish();
    EXPECT_TRUE(w.stats.established);
    EXPECT_TRUE(w.reference_diffs.empty()) << w.reference_diffs.front() << "\n" << w.transcript();
    EXPECT_EQ(w.same_SAs_after_finish(), "");
    EXPECT_EQ(w.quiescent_after_finish(), "");
}

TEST(World, rekeys_and_deletes_agree_with_the_reference) {
    World w(3, 4);
    w.initiate();
    w.finish();
    w.rekey_CHILD_SA(Who::A);
    w.finish();
    w.rekey_IKE_SA(Who::B);
    w.finish();
    w.rekey_IKE_SA(Who::both);
    w.finish();
    w.rekey_CHILD_SA(Who::both);
    w.finish();
    for (const auto& d : w.reference_diffs) ADD_FAILURE() << d;
    EXPECT_TRUE(w.message_id_errors.empty()) << w.message_id_errors.front();
    EXPECT_EQ(w.same_SAs_after_finish(), "") << w.transcript();
    w.delete_IKE_SA(Who::A);
    w.finish();
    for (const auto& d : w.reference_diffs) ADD_FAILURE() << d << "\n" << w.transcript();
    EXPECT_EQ(w.pair.a.ep->ike_sa_count(), 0u);
    EXPECT_EQ(w.pair.b.ep->ike_sa_count(), 0u);
}

TEST(World, a_forged_AUTH_establishes_nothing) {
    World w(5, 6);
    w.initiate();
    w.deliver();  // IKE_SA_INIT request
    w.deliver();  // response; a sends IKE_AUTH
    w.forge_AUTH();
    EXPECT_EQ(w.stats.forged_AUTH, 1);
    w.finish();
    EXPECT_FALSE(w.stats.established);
    EXPECT_TRUE(w.auth_errors.empty());
    for (const auto& d : w.reference_diffs) ADD_FAILURE() << d << "\n" << w.transcript();
}

// A counterexample of the 10,000-case run (seed 4981279245621594831) after K2 was fixed: API
// requests go to the last established IKE SA in our SPI order (as the Endpoint picks it), and
// the CHILD SA count of an IKE SA born from a rekey collision stays unknown (§2.8.2).
TEST(World, requests_after_an_IKE_SA_rekey_collision_agree_with_the_reference) {
    World w(1, 2);
    w.initiate();
    for (int i = 0; i < 4; ++i) w.deliver();
    w.rekey_IKE_SA(Who::both);
    for (int i = 0; i < 4; ++i) w.deliver();
    w.rekey_CHILD_SA(Who::A);
    w.rekey_CHILD_SA(Who::both);
    w.delete_IKE_SA(Who::A);
    w.rekey_CHILD_SA(Who::B);
    w.finish();
    EXPECT_TRUE(w.stats.collision);
    for (const auto& d : w.reference_diffs) ADD_FAILURE() << d << "\n" << w.transcript();
    EXPECT_EQ(w.quiescent_after_finish(), "");
    EXPECT_EQ(w.pair.a.ep->ike_sa_count(), 0u);
    EXPECT_EQ(w.pair.b.ep->ike_sa_count(), 0u);
}

// §1.3.2, §2.18: requests asked while our IKE SA rekey is in flight wait, then move to the new
// IKE SA in order; the reference predicts them there (Message ID 0, 1, ...), strictly (no
// collision here). The last one, a Delete of the IKE SA, deletes the new IKE SA.
TEST(World, requests_during_our_IKE_SA_rekey_move_to_the_new_IKE_SA_as_the_reference_predicts) {
    World w(11, 12);
    w.initiate();
    for (int i = 0; i < 4; ++i) w.deliver();
    w.rekey_IKE_SA(Who::A);
    w.rekey_CHILD_SA(Who::A);
    w.delete_CHILD_SA(Who::A);
    w.delete_IKE_SA(Who::A);
    w.finish();
    EXPECT_FALSE(w.stats.collision);
    for (const auto& d : w.reference_diffs) ADD_FAILURE() << d << "\n" << w.transcript();
    EXPECT_EQ(w.quiescent_after_finish(), "");
    const std::string t = w.transcript();
    if (std::getenv("IKEREF_TRACE")) std::cout << t;
    EXPECT_NE(t.find("a sent CREATE_CHILD_SA request #0 { SK { N(REKEY_SA)"), std::string::npos) << t;
    EXPECT_NE(t.find("a sent INFORMATIONAL request #2 { SK { D } }"), std::string::npos) << t;
    EXPECT_EQ(w.pair.a.ep->ike_sa_count(), 0u);
    EXPECT_EQ(w.pair.b.ep->ike_sa_count(), 0u);
}

// §2.8.2, found by simultaneous_rekey_keeps_the_same_SA_on_both_sides: b answers a's rekey of
// the IKE SA O while its own is in flight (the CHILD SAs wait on O for the collision to resolve);
// a rekeys the new SA NA again, b answers that while its own rekey of NA is in flight too, and
// a's Delete of NA comes first. NA held no CHILD SAs, and O's pending inheritance was not
// redirected to NA's successor: a's Delete of O then took b's CHILD SA with it.
TEST(World, a_collision_waiting_on_an_IKE_SA_that_the_peer_rekeys_and_deletes_follows_its_successor) {
    World w(1, 9109018);
    w.initiate();
    for (int i = 0; i < 4; ++i) w.deliver();
    w.rekey_IKE_SA(Who::both);
    w.reorder(0);
    w.drop();
    w.deliver();
    w.rekey_IKE_SA(Who::both);
    w.deliver();
    w.drop();
    w.drop();
    w.rekey_IKE_SA(Who::A);
    w.finish();
    EXPECT_TRUE(w.stats.collision);
    EXPECT_EQ(w.same_SAs_after_finish(), "") << w.transcript();
    for (const auto& d : w.reference_diffs) ADD_FAILURE() << d << "\n" << w.transcript();
}

// The next counterexample of that seed: a rekey of "the first CHILD SA" finds only CHILD SAs the
// peer has just rekeyed and is skipped (§2.8, K6), and a CHILD SA rekey of b that failed with
// TEMPORARY_FAILURE after b had answered a's rekey of the same SA leaves no stale collision
// behind for b's next rekey (§2.8.1).
TEST(World, a_skipped_rekey_of_a_CHILD_SA_rekeyed_by_the_peer_agrees_with_the_reference) {
    World w(11, 12);
    w.initiate();
    for (int i = 0; i < 3; ++i) w.deliver();
    w.rekey_CHILD_SA(Who::both);
    w.deliver();
    w.drop();
    w.rekey_CHILD_SA(Who::A);
    w.advance(std::chrono::milliseconds(500));
    w.deliver();
    w.rekey_CHILD_SA(Who::both);
    w.deliver();
    w.drop();
    w.finish();
    for (const auto& d : w.reference_diffs) ADD_FAILURE() << d << "\n" << w.transcript();
    EXPECT_EQ(w.same_SAs_after_finish(), "") << w.transcript();
    EXPECT_EQ(w.quiescent_after_finish(), "");
}

// The judge must be able to fail: a reference that expects a different first message.
TEST(World, the_reference_reports_a_wrong_message) {
    reference::Peer p(reference::Settings{3});
    reference::Stimulus st;
    st.kind = reference::Stimulus::Kind::initiate;
    reference::Observed obs;
    reference::Observed_send s;
    s.m.exchange = Exchange_type::IKE_AUTH;  // not IKE_SA_INIT
    s.m.message_id = 1;
    obs.sends.push_back(s);
    EXPECT_EQ(p.step(st, obs).size(), 2u);  // expected INIT not sent + unexpected IKE_AUTH
}

}  // namespace ike::properties
