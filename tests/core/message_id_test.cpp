// Message IDs near 2^32 (RFC 7296 §2.2: "In the unlikely event that Message IDs grow too large to
// fit in 32 bits, the IKE SA MUST be closed or rekeyed"), on two in-memory Endpoints whose IKE SA
// counters a test hook (src/core/testing.hpp) starts near the end. ikeref rekeys the IKE SA once
// its own next request reaches 2^32 - 2^16, or the peer's reach 2^32 - 2^15 (retried 15 s after
// a refusal, deleted after three); the new IKE SA starts both counters at 0 (§2.18); the peer's
// requests are answered up to #2^32-1 and one after it is dropped. Every test reads the Message
// IDs each side sent from the datagrams' IKE headers and checks that none wrapped.
// Requirements: 7296-2.2-s2, 7296-2.18-s3, 7296-2.25-s2.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "src/core/testing.hpp"
#include "tests/support/peer_pair.hpp"
#include "tests/support/protect.hpp"
#include "tests/support/sa_checks.hpp"

namespace ike::test {
namespace {

// The documented threshold for our requests (src/core/ike_sa.hpp Message_ID_rekey_threshold),
// 2^32 - 2^16; the peer's (Peer_Message_ID_rekey_threshold) is 2^32 - 2^15.
constexpr std::uint32_t T = 0xFFFF'0000u;
constexpr std::uint32_t Last = 0xFFFF'FFFFu;

Peer_pair established() {
    Peer_pair p(make_config(true), make_config(false), 51, 52);
    p.initiate();
    p.run();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    p.wire.clear();
    return p;
}

/// The IKE header fields of a sent datagram (§3.1: SPIi 0..7, SPIr 8..15, Exchange Type 18,
/// Flags 19, Message ID 20..23), after a non-ESP marker if there is one.
struct Header {
    Spi SPIi = 0;
    std::uint8_t exchange = 0, flags = 0;
    std::uint32_t mid = 0;
    bool response() const { return (flags & flag::Response) != 0; }
};
Header header_of(const Bytes& d) {
    const std::size_t o = d.size() >= 4 && d[0] == 0 && d[1] == 0 && d[2] == 0 && d[3] == 0 ? 4 : 0;
    Header h;
    EXPECT_GE(d.size(), o + 28);
    if (d.size() < o + 28) return h;
    for (std::size_t i = 0; i < 8; ++i) h.SPIi = (h.SPIi << 8) | d[o + i];
    h.exchange = d[o + 18];
    h.flags = d[o + 19];
    for (std::size_t i = 20; i < 24; ++i) h.mid = (h.mid << 8) | d[o + i];
    return h;
}

/// The Message IDs of the requests (or responses) side `s` sent on the IKE SA with SPIi `SPIi`, in order.
std::vector<std::uint32_t> sent_mids(const Side& s, Spi SPIi, bool responses = false) {
    std::vector<std::uint32_t> out;
    for (const auto& d : s.sent) {
        const Header h = header_of(d);
        if (h.SPIi == SPIi && h.response() == responses) out.push_back(h.mid);
    }
    return out;
}

/// §2.2: on every IKE SA, the Message IDs of the requests (and of the responses) a side sent
/// never go down (a retransmission repeats one): no counter wrapped to 0.
void expect_no_wrap(const Side& s, const char* who) {
    std::map<std::pair<Spi, bool>, std::uint32_t> last;
    for (const auto& d : s.sent) {
        const Header h = header_of(d);
        const auto key = std::make_pair(h.SPIi, h.response());
        const auto it = last.find(key);
        if (it != last.end()) {
            EXPECT_GE(h.mid, it->second) << who << (h.response() ? " response #" : " request #") << h.mid
                                         << " after #" << it->second;
        }
        last[key] = h.mid;
    }
}

bool sent_trace(const Side& s, const std::string& prefix) {
    return std::any_of(s.traces.begin(), s.traces.end(),
                       [&](const Message_trace& t) { return t.sent && t.notation.rfind(prefix, 0) == 0; });
}

/// Side a's and b's counters continue from `a_next` (a's requests) and `b_next` (b's requests).
void start_at(Peer_pair& p, std::uint32_t a_next, std::uint32_t b_next) {
    ASSERT_EQ(core::testing::start_Message_IDs_at(*p.a.ep, a_next, b_next), 1u);
    ASSERT_EQ(core::testing::start_Message_IDs_at(*p.b.ep, b_next, a_next), 1u);
}

/// Both sides' next request on the (one) IKE SA they hold takes Message ID 0 (§2.18).
void expect_new_IKE_SA_starts_at_0(Peer_pair& p) {
    const Spi SPIi = p.a.ep->list().at(0).SPIi;
    request(p, true, Create_CHILD_SA{"home", "net", p.now});
    p.run();
    request(p, false, Create_CHILD_SA{"home", "net", p.now});
    p.run();
    EXPECT_EQ(sent_mids(p.a, SPIi), (std::vector<std::uint32_t>{0})) << p.transcript();
    EXPECT_EQ(sent_mids(p.b, SPIi), (std::vector<std::uint32_t>{0})) << p.transcript();
}

TEST(Message_ID_limit, our_requests_reaching_the_threshold_rekey_the_IKE_SA) {
    auto p = established();
    const Spi old_SPIi = p.a.ep->list().at(0).SPIi;
    start_at(p, T - 1, 0);
    request(p, true, Create_CHILD_SA{"home", "net", p.now});  // takes #T-1; a's next is then T
    p.run();
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.2-s2")) << p.transcript();
    EXPECT_FALSE(p.b.has_diagnostic("7296-2.2-s2")) << p.transcript();  // b's peer threshold is not reached
    EXPECT_FALSE(p.a.has_diagnostic("7296-2.8.2-rekey-collision")) << p.transcript();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_rekeyed));
    EXPECT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_rekeyed));
    // On the old IKE SA: IKE_SA_INIT, IKE_AUTH, the CHILD SA, the rekey (§1.3.2), the Delete of the old SA.
    EXPECT_EQ(sent_mids(p.a, old_SPIi), (std::vector<std::uint32_t>{0, 1, T - 1, T, T + 1})) << p.transcript();
    EXPECT_TRUE(sent_trace(p.a, "CREATE_CHILD_SA request #" + std::to_string(T) + " { SK { SA, Ni, KE } }"))
        << p.transcript();
    EXPECT_TRUE(sent_trace(p.a, "INFORMATIONAL request #" + std::to_string(T + 1) + " { SK { D } }")) << p.transcript();
    EXPECT_NE(p.a.ep->list().at(0).SPIi, old_SPIi);
    expect_same_SAs(p, 2);
    expect_new_IKE_SA_starts_at_0(p);
    expect_same_SAs(p, 4);
    expect_no_wrap(p.a, "a");
    expect_no_wrap(p.b, "b");
}

TEST(Message_ID_limit, a_request_queued_at_the_threshold_does_not_go_on_the_old_IKE_SA) {
    auto p = established();
    const Spi old_SPIi = p.a.ep->list().at(0).SPIi;
    start_at(p, T - 1, 0);
    request(p, true, Create_CHILD_SA{"home", "net", p.now});  // #T-1
    request(p, true, Create_CHILD_SA{"home", "net", p.now});  // queued (window 1): waits for the rekey
    p.run();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_rekeyed)) << p.transcript();
    // Nothing but the rekey and the Delete went on the old IKE SA after #T-1.
    EXPECT_EQ(sent_mids(p.a, old_SPIi), (std::vector<std::uint32_t>{0, 1, T - 1, T, T + 1})) << p.transcript();
    // ... and the waiting create went to the new IKE SA (§1.3.2), as its first request (#0).
    expect_same_SAs(p, 3);
    EXPECT_EQ(sent_mids(p.a, p.a.ep->list().at(0).SPIi), (std::vector<std::uint32_t>{0})) << p.transcript();
    expect_no_wrap(p.a, "a");
    expect_no_wrap(p.b, "b");
}

TEST(Message_ID_limit, a_peer_that_rekeys_at_the_threshold_itself_is_left_to_do_it) {
    auto p = established();
    const Spi old_SPIi = p.a.ep->list().at(0).SPIi;
    start_at(p, 2, T - 1);
    request(p, false, Create_CHILD_SA{"home", "net", p.now});  // b's #T-1: b's next is then T
    p.run();
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.2-s2")) << p.transcript();
    EXPECT_FALSE(p.a.has_diagnostic("7296-2.2-s2")) << p.transcript();  // a's peer threshold is later
    EXPECT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_rekeyed));
    EXPECT_EQ(sent_mids(p.b, old_SPIi), (std::vector<std::uint32_t>{T - 1, T, T + 1})) << p.transcript();
    EXPECT_EQ(sent_mids(p.a, old_SPIi), (std::vector<std::uint32_t>{0, 1})) << p.transcript();
    expect_same_SAs(p, 2);
    EXPECT_NE(p.a.ep->list().at(0).SPIi, old_SPIi);
    expect_new_IKE_SA_starts_at_0(p);
    expect_same_SAs(p, 4);
    expect_no_wrap(p.a, "a");
    expect_no_wrap(p.b, "b");
}

TEST(Message_ID_limit, both_sides_reaching_the_threshold_together_rekey_and_one_IKE_SA_remains) {
    // Both sides' own requests reach the threshold at once: both rekey, a collision (§2.8.2).
    auto p = established();
    start_at(p, T - 1, T - 1);  // a's next request and b's take #T-1; then both rekey
    request(p, true, Create_CHILD_SA{"home", "net", p.now});
    request(p, false, Create_CHILD_SA{"home", "net", p.now});
    p.run();
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.2-s2")) << p.transcript();
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.2-s2")) << p.transcript();
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.8.2-rekey-collision")) << p.transcript();
    expect_same_SAs(p, 3);
    expect_new_IKE_SA_starts_at_0(p);
    expect_same_SAs(p, 5);
    expect_no_wrap(p.a, "a");
    expect_no_wrap(p.b, "b");
}

TEST(Message_ID_limit, the_peers_requests_are_answered_up_to_2_32_minus_1_and_one_after_it_is_dropped) {
    auto p = established();
    const Keys_derived& k = p.a.keys.at(0);  // used before the rekey adds keys
    start_at(p, 2, Last - 1);
    // A peer that does not rekey: empty INFORMATIONAL requests from b (the original responder)
    // with #2^32-2, #2^32-1 and then the wrapped #0.
    for (std::uint32_t mid : {Last - 1, Last, 0u}) {
        const Message m = protected_request(k, false, Exchange_type::INFORMATIONAL, mid);
        p.absorb(p.a, true,
                 p.a.ep->handle(Datagram_received{Address{{192, 0, 2, 1}, 500}, Address{{192, 0, 2, 2}, 500},
                                                  protect_as(k, false, m), p.now}));
    }
    EXPECT_EQ(sent_mids(p.a, k.SPIi, true), (std::vector<std::uint32_t>{Last - 1, Last})) << p.transcript();
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.2-request-message-id")) << p.transcript();  // #0 dropped
    // a started the rekey of the IKE SA after answering #2^32-2 (§1.3.2), with its own next ID.
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.2-s2")) << p.transcript();
    EXPECT_TRUE(sent_trace(p.a, "CREATE_CHILD_SA request #2 { SK { SA, Ni, KE } }")) << p.transcript();
    // b never sent #2^32-2 and #2^32-1 itself: the answers to them are not for it.
    p.wire.erase(std::remove_if(p.wire.begin(), p.wire.end(),
                                [](const In_flight& f) { return f.to_b && header_of(f.d.bytes).response(); }),
                 p.wire.end());
    p.run();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_rekeyed)) << p.transcript();
    expect_same_SAs(p, 1);
    expect_new_IKE_SA_starts_at_0(p);
    expect_no_wrap(p.a, "a");
}

/// Delivers datagrams and fires timers until `s` (a: to_b) has a request #mid on the wire; false
/// if that never happens.
bool advance_until_request(Peer_pair& p, bool from_a, std::uint32_t mid) {
    for (int step = 0; step < 200; ++step) {
        for (const auto& f : p.wire) {
            const Header h = header_of(f.d.bytes);
            if (f.to_b == from_a && !h.response() && h.mid == mid) return true;
        }
        if (!p.deliver_one() && !p.fire_next_timer()) return false;
    }
    return false;
}

TEST(Message_ID_limit, a_rekey_refused_three_times_at_the_threshold_deletes_the_IKE_SA) {
    // b's window is 5, so that it still takes a's Delete (#T+3) when a's rekeys never reached it.
    Config b = make_config(false);
    b.window_size = 5;
    Peer_pair p(make_config(true), std::move(b), 51, 52);
    p.initiate();
    p.run();
    ASSERT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    p.wire.clear();
    const Keys_derived& k = p.a.keys.at(0);
    const Spi old_SPIi = k.SPIi;
    start_at(p, T - 1, 0);
    request(p, true, Create_CHILD_SA{"home", "net", p.now});  // a's #T-1
    std::vector<Time> refused_at;
    for (std::uint32_t mid : {T, T + 1, T + 2}) {
        ASSERT_TRUE(advance_until_request(p, true, mid)) << p.transcript();
        // Each rekey request is answered in b's name with TEMPORARY_FAILURE (§2.25).
        p.wire.erase(std::remove_if(p.wire.begin(), p.wire.end(),
                                    [mid](const In_flight& f) { return f.to_b && header_of(f.d.bytes).mid == mid; }),
                     p.wire.end());
        ASSERT_TRUE(p.wire.empty()) << p.transcript();
        Message r = protected_request(k, false, Exchange_type::CREATE_CHILD_SA, mid);
        r.header.flags |= flag::Response;
        Payload n;
        n.type = Payload_type::N;
        n.body = Payload_N{Protocol_id::NONE, {}, static_cast<std::uint16_t>(Notify_type::TEMPORARY_FAILURE), {}};
        r.payloads.push_back(std::move(n));
        refused_at.push_back(p.now);
        p.absorb(p.a, true,
                 p.a.ep->handle(Datagram_received{Address{{192, 0, 2, 1}, 500}, Address{{192, 0, 2, 2}, 500},
                                                  protect_as(k, false, r), p.now}));
    }
    EXPECT_TRUE(sent_trace(p.a, "CREATE_CHILD_SA request #" + std::to_string(T + 2) + " { SK { SA, Ni, KE } }"))
        << p.transcript();
    // [7296-2.25-s2] not retried at once: 15 s between a refusal and the next attempt.
    ASSERT_EQ(refused_at.size(), 3u);
    EXPECT_GE(refused_at[1] - refused_at[0], Time(15000));
    EXPECT_GE(refused_at[2] - refused_at[1], Time(15000));
    // §2.2: not rekeyed after three attempts, so closed.
    ASSERT_TRUE(advance_until_request(p, true, T + 3)) << p.transcript();
    EXPECT_TRUE(sent_trace(p.a, "INFORMATIONAL request #" + std::to_string(T + 3) + " { SK { D } }")) << p.transcript();
    p.run();
    EXPECT_EQ(p.a.ep->ike_sa_count(), 0u) << p.transcript();
    EXPECT_EQ(p.b.ep->ike_sa_count(), 0u) << p.transcript();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_deleted));
    EXPECT_EQ(sent_mids(p.a, old_SPIi), (std::vector<std::uint32_t>{0, 1, T - 1, T, T + 1, T + 2, T + 3}))
        << p.transcript();
    expect_no_wrap(p.a, "a");
    expect_no_wrap(p.b, "b");
}

TEST(Message_ID_limit, a_rekey_refused_for_a_crossing_CHILD_SA_exchange_is_retried_later_and_succeeds) {
    auto p = established();
    start_at(p, T - 1, 0);
    request(p, true, Create_CHILD_SA{"home", "net", p.now});   // a's #T-1
    request(p, false, Create_CHILD_SA{"home", "net", p.now});  // b's #0, held back below
    ASSERT_EQ(p.wire.size(), 2u);
    ASSERT_TRUE(p.deliver_one());  // a's #T-1 to b, answered
    const In_flight b_request = p.wire.front();
    p.wire.pop_front();
    ASSERT_TRUE(p.deliver_one());  // the answer to a: a's rekey #T goes
    ASSERT_TRUE(p.deliver_one());  // b, with its CHILD SA request in flight, refuses it (§2.25.1)
    ASSERT_TRUE(p.deliver_one());
    EXPECT_TRUE(sent_trace(p.b, "CREATE_CHILD_SA response #" + std::to_string(T) + " { SK { N(TEMPORARY_FAILURE) } }"))
        << p.transcript();
    EXPECT_TRUE(p.wire.empty()) << p.transcript();  // [7296-2.25-s2] no retry at once
    p.wire.push_back(b_request);
    p.run();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_rekeyed)) << p.transcript();
    expect_same_SAs(p, 3);
    expect_new_IKE_SA_starts_at_0(p);
    expect_no_wrap(p.a, "a");
    expect_no_wrap(p.b, "b");
}

TEST(Message_ID_limit, after_request_2_32_minus_1_no_request_goes_with_a_wrapped_ID) {
    // Past the threshold already (only the hook can do that): the rekey takes the last Message
    // ID, and the Delete of the old IKE SA that would follow it has none left: the old SA is
    // closed without it, and the peer removes its copy when no Delete comes (§2.18).
    auto p = established();
    const Spi old_SPIi = p.a.ep->list().at(0).SPIi;
    start_at(p, Last, 0);
    request(p, true, Create_CHILD_SA{"home", "net", p.now});  // waits: only the rekey may start
    p.run(5000);
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_rekeyed)) << p.transcript();
    EXPECT_EQ(sent_mids(p.a, old_SPIi), (std::vector<std::uint32_t>{0, 1, Last})) << p.transcript();
    // The create that waited moved to the new IKE SA with the CHILD SAs (§1.3.2): its first request.
    expect_same_SAs(p, 2);
    expect_no_wrap(p.a, "a");
    expect_no_wrap(p.b, "b");
}

}  // namespace
}  // namespace ike::test
