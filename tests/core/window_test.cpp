// The Message ID window (RFC 7296 §2.3) on two in-memory Endpoints: SET_WINDOW_SIZE announced in
// IKE_AUTH, several requests of one peer in flight at once (1, 2 and 5), answered out of order,
// retransmissions answered from the per-Message-ID response cache, requests outside the window
// dropped (never answered with INVALID_MESSAGE_ID), the fallback to one with a peer that
// announced nothing, and the new IKE SA of a rekey starting again at one. Each test asserts from the wire or the traces how many requests were
// in flight together, then the SAs and keys both sides hold.
// Requirements: 7296-2.3-s1, 7296-2.3-s2, 7296-2.3-s4, 7296-2.3-s5, 7296-2.3-s6, 7296-2.3-s7,
// 7296-2.3-s8, 7296-2.3-s9, 7296-2.3-s10.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "tests/support/peer_pair.hpp"
#include "tests/support/protect.hpp"
#include "tests/support/sa_checks.hpp"

namespace ike::test {
namespace {

Peer_pair established(std::uint32_t window_a, std::uint32_t window_b) {
    Config a = make_config(true), b = make_config(false);
    a.window_size = window_a;
    b.window_size = window_b;
    Peer_pair p(std::move(a), std::move(b), 31, 32);
    p.initiate();
    p.run();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    p.wire.clear();
    return p;
}

bool sent_with(const Side& s, const std::string& prefix, const std::string& part) {
    return std::any_of(s.traces.begin(), s.traces.end(), [&](const Message_trace& t) {
        return t.sent && t.notation.rfind(prefix, 0) == 0 && t.notation.find(part) != std::string::npos;
    });
}

/// The most requests `s` had sent and not yet seen answered at one time, from its traces.
std::size_t most_in_flight(const Side& s, std::size_t from = 0) {
    std::set<std::string> open;
    std::size_t most = 0;
    for (std::size_t i = from; i < s.traces.size(); ++i) {
        const auto& n = s.traces[i].notation;
        const auto hash = n.find('#');
        if (hash == std::string::npos) continue;
        const std::string mid = n.substr(hash, n.find(' ', hash) - hash);
        const bool is_request = n.find(" request #") != std::string::npos;
        if (s.traces[i].sent && is_request) open.insert(mid);
        if (!s.traces[i].sent && !is_request) open.erase(mid);
        most = std::max(most, open.size());
    }
    return most;
}

void create_children(Peer_pair& p, int n) {
    for (int i = 0; i < n; ++i) request(p, true, Create_CHILD_SA{"home", "net", p.now});
}

TEST(Window, SET_WINDOW_SIZE_is_announced_in_IKE_AUTH_only_above_one) {
    auto p = established(5, 1);
    EXPECT_TRUE(sent_with(p.a, "IKE_AUTH request", "N(SET_WINDOW_SIZE)")) << p.transcript();
    EXPECT_FALSE(sent_with(p.b, "IKE_AUTH response", "N(SET_WINDOW_SIZE)")) << p.transcript();
    auto q = established(1, 1);
    EXPECT_FALSE(sent_with(q.a, "IKE_AUTH request", "N(SET_WINDOW_SIZE)"));
}

/// Both peers announce the same window; a asks for window + 2 CHILD SAs at once.
class Requests_in_flight : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(Requests_in_flight, as_many_as_the_window_and_the_others_wait) {
    const std::uint32_t window = GetParam();
    auto p = established(window, window);
    const auto mark = p.a.traces.size();
    create_children(p, static_cast<int>(window) + 2);
    EXPECT_EQ(p.wire.size(), window) << p.transcript();  // §2.3: the others wait for responses
    p.run();
    EXPECT_EQ(most_in_flight(p.a, mark), window) << p.transcript();
    expect_same_SAs(p, window + 3);  // IKE_AUTH's and the window + 2 created
}

INSTANTIATE_TEST_SUITE_P(Window, Requests_in_flight, ::testing::Values(1u, 2u, 5u),
                         [](const ::testing::TestParamInfo<std::uint32_t>& i) {
                             return "window_" + std::to_string(i.param);
                         });

TEST(Window, falls_back_to_one_with_a_peer_that_announced_no_window) {
    auto p = established(5, 1);  // b (like strongSwan) sends no SET_WINDOW_SIZE
    const auto mark = p.a.traces.size();
    create_children(p, 3);
    EXPECT_EQ(p.wire.size(), 1u);
    p.run();
    EXPECT_EQ(most_in_flight(p.a, mark), 1u);
    expect_same_SAs(p, 4);
}

TEST(Window, the_smaller_window_of_the_two_limits_the_requester) {
    auto p = established(2, 5);  // b would take 5, a keeps at most its own 2
    create_children(p, 4);
    EXPECT_EQ(p.wire.size(), 2u);
    p.run();
    expect_same_SAs(p, 5);
}

TEST(Window, requests_processed_and_answered_out_of_order) {
    auto p = established(5, 5);
    const auto mark_a = p.a.traces.size(), mark_b = p.b.traces.size();
    create_children(p, 5);
    ASSERT_EQ(p.wire.size(), 5u);
    std::reverse(p.wire.begin(), p.wire.end());  // b receives #6 first, #2 last
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(p.deliver_one());
    ASSERT_EQ(p.wire.size(), 5u) << p.transcript();  // b answered all five
    // b processed them from the highest Message ID down
    const auto& tb = p.b.traces;
    ASSERT_GE(tb.size(), mark_b + 2);
    EXPECT_EQ(tb[mark_b].notation.rfind("CREATE_CHILD_SA request #6", 0), 0u) << p.transcript();
    std::swap(p.wire[0], p.wire[3]);  // a gets the responses in the order #3, #5, #4, #6, #2
    p.run();
    EXPECT_EQ(most_in_flight(p.a, mark_a), 5u);
    expect_same_SAs(p, 6);
    EXPECT_FALSE(p.a.has_diagnostic("7296-2.2-response-without-request")) << p.transcript();
    EXPECT_FALSE(p.b.has_diagnostic("7296-2.2-request-message-id")) << p.transcript();
}

TEST(Window, a_retransmitted_request_within_the_window_gets_its_cached_response) {
    auto p = established(3, 3);
    create_children(p, 3);
    ASSERT_EQ(p.wire.size(), 3u);
    const auto first = p.wire.front();  // request #2
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(p.deliver_one());
    ASSERT_EQ(p.wire.size(), 3u);
    const Bytes response_2 = p.wire.front().d.bytes;
    const auto installed_b = p.b.installed.size();
    const auto responses = p.wire;  // held back: #2 arrives again after #3 and #4 were answered
    p.wire.clear();
    p.wire.push_back(first);
    ASSERT_TRUE(p.deliver_one());
    ASSERT_EQ(p.wire.size(), 1u) << p.transcript();
    EXPECT_EQ(p.wire.front().d.bytes, response_2);  // byte for byte (§2.1)
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.1-retransmit-response"));
    EXPECT_EQ(p.b.installed.size(), installed_b);  // nothing processed twice
    p.wire = responses;
    p.run();
    expect_same_SAs(p, 4);
}

TEST(Window, lost_request_is_retransmitted_while_later_ones_complete) {
    auto p = established(3, 3);
    create_children(p, 3);
    ASSERT_EQ(p.wire.size(), 3u);
    p.wire.pop_front();  // #2 is lost; #3 and #4 get through and are answered
    while (p.deliver_one()) {
    }
    EXPECT_EQ(p.a.installed.size(), 3u) << p.transcript();  // IKE_AUTH's + #3 + #4
    p.run();  // #2's retransmission timer fires
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.1-retransmit")) << p.transcript();
    expect_same_SAs(p, 4);
}

TEST(Window, a_request_beyond_the_window_is_dropped_unanswered) {
    auto p = established(1, 2);
    const Keys_derived& k = p.a.keys.at(0);
    for (std::uint32_t mid : {4u, 3u}) {  // b expects #2 and takes #2..#3
        const Message m = protected_request(k, true, Exchange_type::INFORMATIONAL, mid);
        Datagram_received d{Address{{192, 0, 2, 1}, 500}, Address{{192, 0, 2, 2}, 500}, protect_as(k, true, m), p.now};
        p.absorb(p.b, false, p.b.ep->handle(std::move(d)));
    }
    // #4 was dropped (outside #2..#3), #3 answered although #2 has not come
    ASSERT_EQ(p.wire.size(), 1u) << p.transcript();
    auto r = unprotect_as(k, false, p.wire.front().d.bytes);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header.message_id, 3u);
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.2-request-message-id"));
}

TEST(Window, requests_outside_the_window_get_no_INVALID_MESSAGE_ID) {
    // §2.3: sending INVALID_MESSAGE_ID is OPTIONAL and MUST be rate limited: ikeref never sends
    // it, however many requests outside the window come (as strongSwan, which ignores them).
    auto p = established(1, 2);
    const Keys_derived& k = p.a.keys.at(0);
    const auto sent_before = p.b.sent.size();
    for (std::uint32_t mid = 4; mid < 54; ++mid) {  // b's window is #2..#3
        const Message m = protected_request(k, true, Exchange_type::INFORMATIONAL, mid);
        Datagram_received d{Address{{192, 0, 2, 1}, 500}, Address{{192, 0, 2, 2}, 500}, protect_as(k, true, m), p.now};
        p.absorb(p.b, false, p.b.ep->handle(std::move(d)));
    }
    EXPECT_EQ(p.b.sent.size(), sent_before) << p.transcript();  // nothing at all, INVALID_MESSAGE_ID included
    EXPECT_TRUE(p.wire.empty());
    EXPECT_EQ(std::count_if(p.b.diagnostics.begin(), p.b.diagnostics.end(),
                            [](const Diagnostic& d) { return d.rule == "7296-2.2-request-message-id"; }),
              50);
    for (const auto& t : p.b.traces) EXPECT_EQ(t.notation.find("INVALID_MESSAGE_ID"), std::string::npos) << t.notation;
    p.run();
    expect_same_SAs(p, 1);  // the IKE SA goes on as before
}

TEST(Window, rekey_delete_and_create_in_flight_together) {
    auto p = established(5, 5);
    create_children(p, 2);
    p.run();
    const auto before = p.a.ep->list()[0].children;
    ASSERT_EQ(before.size(), 3u);
    const auto mark = p.a.traces.size();
    request(p, true, Rekey_CHILD_SA{"home", before[0].spi_in, p.now});
    request(p, true, Delete_CHILD_SA{"home", before[1].spi_in, p.now});
    request(p, true, Create_CHILD_SA{"home", "net", p.now});
    EXPECT_EQ(p.wire.size(), 3u) << p.transcript();
    p.run();
    EXPECT_GE(most_in_flight(p.a, mark), 3u);
    expect_same_SAs(p, 3);  // 3 - 1 deleted + 1 created; the rekeyed one replaced
    const auto after = p.a.ep->list()[0].children;
    for (const auto& c : after) {
        EXPECT_NE(c.spi_in, before[0].spi_in);  // the old SA of the rekey is gone
        EXPECT_NE(c.spi_in, before[1].spi_in);  // the deleted one too
    }
}

TEST(Window, IKE_SA_rekey_waits_for_the_window_to_drain_and_the_new_IKE_SA_announces_its_window_again) {
    auto p = established(5, 5);
    create_children(p, 3);
    request(p, true, Rekey_IKE_SA{"home", p.now});
    EXPECT_EQ(p.wire.size(), 3u);  // the rekey waits: it goes alone (§2.8.2, §2.25.2)
    p.run();
    expect_same_SAs(p, 4);
    // §2.3: the new IKE SA starts at window 1 until SET_WINDOW_SIZE is sent on it
    EXPECT_TRUE(sent_with(p.a, "INFORMATIONAL request #0", "N(SET_WINDOW_SIZE)")) << p.transcript();
    EXPECT_TRUE(sent_with(p.b, "INFORMATIONAL request #0", "N(SET_WINDOW_SIZE)")) << p.transcript();
    const auto mark = p.a.traces.size();
    create_children(p, 3);
    EXPECT_EQ(p.wire.size(), 3u) << p.transcript();
    p.run();
    EXPECT_EQ(most_in_flight(p.a, mark), 3u);
    expect_same_SAs(p, 7);
}

TEST(Window, both_peers_with_requests_in_flight_each_way) {
    auto p = established(5, 5);
    create_children(p, 3);
    for (int i = 0; i < 3; ++i) request(p, false, Create_CHILD_SA{"home", "net", p.now});
    EXPECT_EQ(p.wire.size(), 6u);
    p.run();
    expect_same_SAs(p, 7);
}

TEST(Window, an_INVALID_KE_PAYLOAD_retry_waits_until_it_fits_the_peers_window) {
    // a offers PFS with x25519 first; b takes only ecp256 and answers INVALID_KE_PAYLOAD (§1.3).
    Config a = make_config(true, "aes256gcm16-prfsha256-x25519", "aes256gcm16-x25519-ecp256");
    Config b = make_config(false, "aes256gcm16-prfsha256-x25519", "aes256gcm16-ecp256");
    a.window_size = b.window_size = 2;
    Peer_pair p(std::move(a), std::move(b), 41, 42);
    p.initiate();
    p.run();
    ASSERT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    p.wire.clear();
    create_children(p, 2);  // #2 and #3
    ASSERT_EQ(p.wire.size(), 2u);
    ASSERT_TRUE(p.deliver_one());
    ASSERT_TRUE(p.deliver_one());
    ASSERT_EQ(p.wire.size(), 2u);      // b's two INVALID_KE_PAYLOAD answers
    std::swap(p.wire[0], p.wire[1]);   // #3's first: its retry (#4) may not go before #2 is answered
    ASSERT_TRUE(p.deliver_one());
    EXPECT_TRUE(p.wire.size() == 1u) << p.transcript();  // nothing sent: #4 is held
    EXPECT_TRUE(p.a.has_diagnostic("7296-2.3-s5")) << p.transcript();
    ASSERT_TRUE(p.deliver_one());      // #2's answer: its retry #5 goes, and #4 is released
    EXPECT_EQ(p.wire.size(), 2u) << p.transcript();
    p.run();
    EXPECT_FALSE(p.b.has_diagnostic("7296-2.2-request-message-id")) << p.transcript();
    expect_same_SAs(p, 3);
}

}  // namespace
}  // namespace ike::test
