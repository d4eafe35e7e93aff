// src/io/impair (the TEST ONLY impairing transport): rule selection on hand-laid RFC 7296 §3.1
// headers, drop / duplicate / delay (timed and until a trigger) / reorder, counting, seeded
// probabilities, the NAT-T non-ESP marker; the [daemon.impair] TOML; and the runtime wiring
// over loopback (a dropped IKE_SA_INIT request is retransmitted, a held request crosses).
#include "src/io/impair.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "ike/crypto_provider.hpp"
#include "src/daemon/config_toml.hpp"
#include "src/daemon/daemon.hpp"
#include "src/io/udp_runtime.hpp"

namespace {

using ike::Bytes;
using ike::Exchange_type;
using ike::Time;
using ike::io::Impair_action;
using ike::io::Impair_config;
using ike::io::Impair_direction;
using ike::io::Impair_packet;
using ike::io::Impair_rule;
using ike::io::Impairer;

constexpr std::uint16_t nat_t = 4500;

/// A bare IKE header (RFC 7296 §3.1), octet by octet: SPIi 01..08, SPIr 11..18, Next Payload
/// SK (46), version 2.0, Exchange Type, Flags (I = 0x08, R = 0x20), Message ID, Length 28.
Bytes header(std::uint8_t exchange, bool response, std::uint32_t mid) {
    Bytes b = {1, 2, 3, 4, 5, 6, 7, 8, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 46, 0x20,
               exchange, static_cast<std::uint8_t>(0x08 | (response ? 0x20 : 0)),
               static_cast<std::uint8_t>(mid >> 24), static_cast<std::uint8_t>(mid >> 16),
               static_cast<std::uint8_t>(mid >> 8), static_cast<std::uint8_t>(mid), 0, 0, 0, 28};
    return b;
}

constexpr std::uint8_t CCS = 36, INFO = 37, INIT = 34;

Impair_packet packet(bool outbound, std::uint8_t exchange, bool response, std::uint32_t mid,
                     std::uint16_t port = 500) {
    Impair_packet p;
    p.outbound = outbound;
    p.local = *ike::Address::parse_ip("192.0.2.2", port);
    p.remote = *ike::Address::parse_ip("192.0.2.1", port);
    p.bytes = header(exchange, response, mid);
    return p;
}

std::uint32_t mid_of(const Impair_packet& p) {
    const std::size_t o = p.bytes.size() - 28 + 20;
    return static_cast<std::uint32_t>(p.bytes[o] << 24 | p.bytes[o + 1] << 16 | p.bytes[o + 2] << 8 |
                                      p.bytes[o + 3]);
}

Impair_rule rule(Impair_action a, Impair_direction d, std::optional<Exchange_type> x,
                 std::optional<bool> response) {
    Impair_rule r;
    r.action = a;
    r.match.direction = d;
    r.match.exchange = x;
    r.match.response = response;
    return r;
}

TEST(Impairer, drops_only_the_nth_matching_datagram) {
    auto r = rule(Impair_action::drop, Impair_direction::out, Exchange_type::CREATE_CHILD_SA, false);
    r.nth = 2;
    Impairer im(Impair_config{1, {r}}, nat_t);
    const Time t{0};
    EXPECT_EQ(im.pass(packet(true, CCS, false, 2), t).size(), 1u);   // 1st: passes
    EXPECT_EQ(im.pass(packet(true, CCS, true, 7), t).size(), 1u);    // a response: not counted
    EXPECT_EQ(im.pass(packet(false, CCS, false, 0), t).size(), 1u);  // inbound: not counted
    EXPECT_EQ(im.pass(packet(true, INFO, false, 3), t).size(), 1u);  // other exchange
    EXPECT_TRUE(im.pass(packet(true, CCS, false, 4), t).empty());    // 2nd: dropped
    EXPECT_EQ(im.pass(packet(true, CCS, false, 4), t).size(), 1u);   // 3rd (retransmission): passes
    const auto notes = im.take_notes();
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_EQ(notes[0], "rule 1 (drop): dropped outbound CREATE_CHILD_SA request #4");
}

TEST(Impairer, count_zero_impairs_every_match_from_nth_on_and_message_id_selects) {
    auto r = rule(Impair_action::drop, Impair_direction::any, std::nullopt, std::nullopt);
    r.match.message_id = 5;
    r.count = 0;
    Impairer im(Impair_config{1, {r}}, nat_t);
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(im.pass(packet(i % 2 == 0, INFO, i == 2, 5), Time{0}).empty());
    EXPECT_EQ(im.pass(packet(true, INFO, false, 6), Time{0}).size(), 1u);
}

TEST(Impairer, delay_until_a_trigger_releases_the_held_datagram_before_the_trigger) {
    auto r = rule(Impair_action::delay, Impair_direction::out, Exchange_type::CREATE_CHILD_SA, false);
    r.until = ike::io::Impair_selector{Impair_direction::in, Exchange_type::CREATE_CHILD_SA, false, std::nullopt};
    Impairer im(Impair_config{1, {r}}, nat_t);
    EXPECT_TRUE(im.pass(packet(true, CCS, false, 2), Time{100}).empty());
    EXPECT_EQ(im.held(), 1u);
    ASSERT_TRUE(im.next_deadline().has_value());
    EXPECT_EQ(im.next_deadline()->count(), 5100);  // default longest hold with until: 5 s
    // Not the trigger: an inbound response, an outbound request, an inbound INFORMATIONAL.
    EXPECT_EQ(im.pass(packet(false, CCS, true, 1), Time{200}).size(), 1u);
    EXPECT_EQ(im.pass(packet(false, INFO, false, 9), Time{200}).size(), 1u);
    EXPECT_EQ(im.held(), 1u);
    const auto out = im.pass(packet(false, CCS, false, 9), Time{300});
    ASSERT_EQ(out.size(), 2u);
    EXPECT_TRUE(out[0].outbound);  // ours first: it crosses the peer's request on the wire
    EXPECT_EQ(mid_of(out[0]), 2u);
    EXPECT_FALSE(out[1].outbound);
    EXPECT_EQ(mid_of(out[1]), 9u);
    EXPECT_EQ(im.held(), 0u);
    EXPECT_FALSE(im.next_deadline().has_value());
}

TEST(Impairer, delay_until_gives_up_at_delay_ms) {
    auto r = rule(Impair_action::delay, Impair_direction::out, std::nullopt, false);
    r.until = ike::io::Impair_selector{Impair_direction::in, std::nullopt, false, std::nullopt};
    r.delay = Time{250};
    Impairer im(Impair_config{1, {r}}, nat_t);
    EXPECT_TRUE(im.pass(packet(true, CCS, false, 2), Time{1000}).empty());
    EXPECT_TRUE(im.expire(Time{1249}).empty());
    const auto out = im.expire(Time{1250});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(mid_of(out[0]), 2u);
}

TEST(Impairer, timed_delays_release_in_deadline_order) {
    auto a = rule(Impair_action::delay, Impair_direction::out, Exchange_type::CREATE_CHILD_SA, std::nullopt);
    a.delay = Time{300};
    a.count = 0;
    auto b = rule(Impair_action::delay, Impair_direction::in, std::nullopt, std::nullopt);
    b.delay = Time{100};
    Impairer im(Impair_config{1, {a, b}}, nat_t);
    EXPECT_TRUE(im.pass(packet(true, CCS, false, 1), Time{0}).empty());   // due 300
    EXPECT_TRUE(im.pass(packet(false, INFO, false, 2), Time{50}).empty()); // due 150
    EXPECT_TRUE(im.pass(packet(true, CCS, false, 3), Time{60}).empty());  // due 360
    EXPECT_EQ(im.next_deadline()->count(), 150);
    const auto out = im.expire(Time{310});
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(mid_of(out[0]), 2u);
    EXPECT_EQ(mid_of(out[1]), 1u);
    EXPECT_EQ(im.next_deadline()->count(), 360);
}

TEST(Impairer, duplicates_now_or_after_a_gap) {
    auto now = rule(Impair_action::duplicate, Impair_direction::out, Exchange_type::INFORMATIONAL, false);
    auto later = rule(Impair_action::duplicate, Impair_direction::in, Exchange_type::INFORMATIONAL, true);
    later.delay = Time{40};
    Impairer im(Impair_config{1, {now, later}}, nat_t);
    const auto out = im.pass(packet(true, INFO, false, 3), Time{0});
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].bytes, out[1].bytes);
    EXPECT_EQ(im.pass(packet(false, INFO, true, 3), Time{10}).size(), 1u);
    EXPECT_EQ(im.next_deadline()->count(), 50);
    const auto copy = im.expire(Time{50});
    ASSERT_EQ(copy.size(), 1u);
    EXPECT_EQ(copy[0].bytes, header(INFO, true, 3));
    // count 1: the next one is not duplicated
    EXPECT_EQ(im.pass(packet(true, INFO, false, 4), Time{60}).size(), 1u);
}

TEST(Impairer, reorder_sends_the_held_datagram_after_the_next_one_in_its_direction) {
    auto r = rule(Impair_action::reorder, Impair_direction::out, Exchange_type::CREATE_CHILD_SA, false);
    Impairer im(Impair_config{1, {r}}, nat_t);
    EXPECT_TRUE(im.pass(packet(true, CCS, false, 2), Time{0}).empty());
    EXPECT_EQ(im.pass(packet(false, INFO, false, 7), Time{1}).size(), 1u);  // other direction
    EXPECT_EQ(im.held(), 1u);
    const auto out = im.pass(packet(true, INFO, false, 3), Time{2});
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(mid_of(out[0]), 3u);
    EXPECT_EQ(mid_of(out[1]), 2u);
    // nothing follows within the longest hold (1 s default): released alone
    Impairer im2(Impair_config{1, {r}}, nat_t);
    EXPECT_TRUE(im2.pass(packet(true, CCS, false, 2), Time{0}).empty());
    EXPECT_EQ(im2.expire(Time{1000}).size(), 1u);
}

std::vector<bool> dropped(std::uint64_t seed) {
    auto r = rule(Impair_action::drop, Impair_direction::any, std::nullopt, std::nullopt);
    r.count = 0;
    r.probability = 0.5;
    Impairer im(Impair_config{seed, {r}}, nat_t);
    std::vector<bool> out;
    for (std::uint32_t i = 0; i < 200; ++i) out.push_back(im.pass(packet(true, INFO, false, i), Time{0}).empty());
    return out;
}

TEST(Impairer, probabilities_are_seeded_and_deterministic) {
    const auto a = dropped(7), b = dropped(7), c = dropped(8);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    const auto n = std::count(a.begin(), a.end(), true);
    EXPECT_GT(n, 60);   // 200 draws at 0.5: 100 expected, 60..140 is > 8 sigma wide
    EXPECT_LT(n, 140);
}

// RFC 3948 §2.2: on the NAT-T port IKE follows a 4-octet zero non-ESP marker; ESP (a nonzero
// SPI there) and the 1-octet keepalive 0xFF (§2.3) are never IKE.
TEST(Impairer, reads_the_header_behind_the_non_ESP_marker_and_leaves_other_traffic_alone) {
    auto r = rule(Impair_action::drop, Impair_direction::any, Exchange_type::CREATE_CHILD_SA, std::nullopt);
    r.count = 0;
    Impairer im(Impair_config{1, {r}}, nat_t);
    auto ike = packet(true, CCS, false, 2, nat_t);
    ike.bytes.insert(ike.bytes.begin(), 4, 0);
    EXPECT_EQ(im.describe(ike), "outbound CREATE_CHILD_SA request #2");
    EXPECT_TRUE(im.pass(ike, Time{0}).empty());
    auto esp = packet(false, CCS, false, 2, nat_t);  // first 4 octets 01020304: an ESP SPI
    EXPECT_EQ(im.pass(esp, Time{0}).size(), 1u);
    Impair_packet keepalive{false, ike.local, ike.remote, {0xff}};
    EXPECT_EQ(im.pass(keepalive, Time{0}).size(), 1u);
    EXPECT_EQ(im.describe(keepalive), "inbound non-IKE datagram of 1 octets");
    // On port 500 the same marker-prefixed bytes are not an IKE header (version octet moves).
    auto on500 = ike;
    on500.local.port = 500;
    EXPECT_EQ(im.pass(on500, Time{0}).size(), 1u);
}

// ---- [daemon.impair] ----------------------------------------------------------------------

const char* base_toml = "[daemon]\nike_port = 500\n";

TEST(Impair_config, parses_rules_with_until_and_defaults) {
    const std::string toml = std::string(base_toml) +
                             "[daemon.impair]\nseed = 42\n"
                             "[[daemon.impair.rules]]\naction = \"delay\"\ndirection = \"out\"\n"
                             "exchange = \"CREATE_CHILD_SA\"\nmessage = \"request\"\n"
                             "until = { direction = \"in\", exchange = \"CREATE_CHILD_SA\", message = \"request\" }\n"
                             "delay_ms = 3000\n"
                             "[[daemon.impair.rules]]\naction = \"drop\"\nmessage_id = 3\nnth = 2\ncount = 0\n"
                             "probability = 0.25\nexchange = 37\n";
    const auto s = ike::daemon::parse_settings(toml, "t.toml");
    ASSERT_TRUE(s.impair.has_value());
    EXPECT_EQ(s.impair->seed, 42u);
    ASSERT_EQ(s.impair->rules.size(), 2u);
    const auto& a = s.impair->rules[0];
    EXPECT_EQ(a.action, Impair_action::delay);
    EXPECT_EQ(a.match.direction, Impair_direction::out);
    EXPECT_EQ(a.match.exchange, Exchange_type::CREATE_CHILD_SA);
    EXPECT_EQ(a.match.response, false);
    EXPECT_FALSE(a.match.message_id.has_value());
    EXPECT_EQ(a.nth, 1u);
    EXPECT_EQ(a.count, 1u);
    EXPECT_EQ(a.delay.count(), 3000);
    ASSERT_TRUE(a.until.has_value());
    EXPECT_EQ(a.until->direction, Impair_direction::in);
    EXPECT_EQ(ike::io::to_string(*a.until), "in CREATE_CHILD_SA request");
    const auto& b = s.impair->rules[1];
    EXPECT_EQ(b.action, Impair_action::drop);
    EXPECT_EQ(b.match.direction, Impair_direction::any);
    EXPECT_EQ(b.match.exchange, Exchange_type::INFORMATIONAL);
    EXPECT_FALSE(b.match.response.has_value());
    EXPECT_EQ(b.match.message_id, 3u);
    EXPECT_EQ(b.nth, 2u);
    EXPECT_EQ(b.count, 0u);
    EXPECT_DOUBLE_EQ(b.probability, 0.25);
    EXPECT_FALSE(ike::daemon::parse_settings(base_toml, "t.toml").impair.has_value());
}

std::string error_of(const std::string& rules) {
    try {
        ike::daemon::parse_settings(std::string(base_toml) + "[daemon.impair]\n" + rules, "t.toml");
    } catch (const ike::daemon::Config_error& e) {
        return e.what();
    }
    return "(accepted)";
}

TEST(Impair_config, refusals_name_line_and_key) {
    EXPECT_EQ(error_of("[[daemon.impair.rules]]\naction = \"mangle\"\n"),
              "t.toml:5: daemon.impair.rules[0].action: expected drop, duplicate, delay or reorder, got 'mangle'");
    EXPECT_EQ(error_of("[[daemon.impair.rules]]\naction = \"drop\"\nuntil = { direction = \"in\" }\n"),
              "t.toml:6: daemon.impair.rules[0].until: only a delay rule can have until");
    EXPECT_EQ(error_of("[[daemon.impair.rules]]\naction = \"delay\"\n"),
              "t.toml:4: daemon.impair.rules[0].delay_ms: a delay rule needs delay_ms > 0 or until");
    EXPECT_EQ(error_of("[[daemon.impair.rules]]\naction = \"drop\"\nexchange = \"IKE_AUTHH\"\n"),
              "t.toml:6: daemon.impair.rules[0].exchange: expected IKE_SA_INIT, IKE_AUTH, "
              "CREATE_CHILD_SA, INFORMATIONAL, any or a number, got 'IKE_AUTHH'");
    EXPECT_EQ(error_of("[[daemon.impair.rules]]\naction = \"drop\"\ndirektion = \"in\"\n"),
              "t.toml:6: daemon.impair.rules[0].direktion: unknown key");
    EXPECT_EQ(error_of("[[daemon.impair.rules]]\naction = \"drop\"\nprobability = 1.5\n"),
              "t.toml:6: daemon.impair.rules[0].probability: value out of range 0..1");
    EXPECT_EQ(error_of("[[daemon.impair.rules]]\naction = \"drop\"\nnth = 0\n"),
              "t.toml:6: daemon.impair.rules[0].nth: value 0 out of range 1..4294967295");
}

// ---- through Udp_runtime over loopback ----------------------------------------------------

std::string moved(std::string toml, int shift) {
    for (const char* port : {"15500", "15501", "15600", "15601"}) {
        const std::string from = port;
        const std::string to = std::to_string(std::stoi(from) + shift);
        for (auto at = toml.find(from); at != std::string::npos; at = toml.find(from, at))
            toml.replace(at, from.size(), to);
    }
    return toml;
}

// RFC 7296 §2.1: the initiator's first IKE_SA_INIT request is dropped on the way out; the
// retransmission (1 s later) establishes the IKE SA. The capture holds what hit the wire.
TEST(Impairer, in_the_runtime_a_dropped_request_is_retransmitted) {
    ike::Endpoint initiator(ike::daemon::parse_config(moved(ike::daemon::demo_initiator_toml(), 10040), "i"),
                            ike::make_botan_provider());
    ike::Endpoint responder(ike::daemon::parse_config(moved(ike::daemon::demo_responder_toml(), 10040), "r"),
                            ike::make_botan_provider());
    ike::io::Recording_backend bi, br;
    boost::asio::io_context io;
    ike::io::Udp_runtime ri(io, initiator, bi, "initiator"), rr(io, responder, br, "responder");
    auto r = rule(Impair_action::drop, Impair_direction::out, Exchange_type::IKE_SA_INIT, false);
    ri.set_impairer(std::make_unique<Impairer>(Impair_config{1, {r}}, initiator.config().nat_t_port));
    int responder_requests = 0, installed = 0;
    rr.add_trace_observer([&](const ike::Message_trace& t) {
        if (!t.sent && t.notation.rfind("IKE_SA_INIT request", 0) == 0) ++responder_requests;
    });
    auto on_event = [&](const ike::Sa_event& ev) {
        if (ev.kind == ike::Sa_event_kind::CHILD_SA_installed && ++installed == 2) io.stop();
    };
    ri.add_event_observer(on_event);
    rr.add_event_observer(on_event);
    rr.start();
    ri.start();
    boost::asio::steady_timer deadline(io, std::chrono::seconds(10));
    deadline.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) io.stop();
    });
    const auto t0 = ike::io::steady_now();
    boost::asio::post(io, [&] { ri.submit(ike::Initiate{"demo", "net", ike::io::steady_now()}); });
    io.run();
    EXPECT_EQ(installed, 2);
    EXPECT_EQ(responder_requests, 1);  // the first never arrived
    EXPECT_GE((ike::io::steady_now() - t0).count(), 900);  // waited for the retransmission timer
    ASSERT_EQ(bi.installed().size(), 1u);
    EXPECT_EQ(bi.installed()[0].encr_key_out.hex(), br.installed().at(0).encr_key_in.hex());
}

// A CREATE_CHILD_SA request held until the peer's own CREATE_CHILD_SA request arrives: both
// Endpoints see their request in flight when the other's arrives (the crossing of §2.8).
TEST(Impairer, in_the_runtime_a_held_request_crosses_the_peers_request) {
    ike::Endpoint initiator(ike::daemon::parse_config(moved(ike::daemon::demo_initiator_toml(), 10050), "i"),
                            ike::make_botan_provider());
    ike::Endpoint responder(ike::daemon::parse_config(moved(ike::daemon::demo_responder_toml(), 10050), "r"),
                            ike::make_botan_provider());
    ike::io::Recording_backend bi, br;
    boost::asio::io_context io;
    ike::io::Udp_runtime ri(io, initiator, bi, "initiator"), rr(io, responder, br, "responder");
    auto r = rule(Impair_action::delay, Impair_direction::out, Exchange_type::CREATE_CHILD_SA, false);
    r.until = ike::io::Impair_selector{Impair_direction::in, Exchange_type::CREATE_CHILD_SA, false, std::nullopt};
    ri.set_impairer(std::make_unique<Impairer>(Impair_config{1, {r}}, initiator.config().nat_t_port));
    std::vector<std::string> seen_i;  // initiator's sent/received CREATE_CHILD_SA, in order
    ri.add_trace_observer([&](const ike::Message_trace& t) {
        if (t.notation.rfind("CREATE_CHILD_SA", 0) == 0)
            seen_i.push_back(std::string(t.sent ? "sent " : "received ") + t.notation.substr(0, t.notation.find(" {")));
    });
    int installed = 0, established = 0;
    bool asked = false;
    auto on_event = [&](const ike::Sa_event& ev) {
        if (ev.kind == ike::Sa_event_kind::IKE_SA_established) ++established;
        if (ev.kind == ike::Sa_event_kind::CHILD_SA_installed) ++installed;
        if (established == 2 && installed == 2 && !asked) {
            asked = true;
            boost::asio::post(io, [&] {
                ri.submit(ike::Create_CHILD_SA{"demo", "net", ike::io::steady_now()});
                // the initiator's request is held now; the responder asks 50 ms later
                EXPECT_EQ(ri.impairer()->held(), 1u);
                auto t = std::make_shared<boost::asio::steady_timer>(io, std::chrono::milliseconds(50));
                t->async_wait([&, t](const boost::system::error_code&) {
                    rr.submit(ike::Create_CHILD_SA{"demo", "net", ike::io::steady_now()});
                });
            });
        }
        if (installed == 6) io.stop();
    };
    ri.add_event_observer(on_event);
    rr.add_event_observer(on_event);
    rr.start();
    ri.start();
    boost::asio::steady_timer deadline(io, std::chrono::seconds(10));
    deadline.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) io.stop();
    });
    boost::asio::post(io, [&] { ri.submit(ike::Initiate{"demo", "net", ike::io::steady_now()}); });
    io.run();
    EXPECT_EQ(installed, 6);
    // The initiator sent its request (the Endpoint's view) before the responder's arrived, and
    // received the responder's request before the response to its own.
    ASSERT_EQ(seen_i.size(), 4u);
    EXPECT_EQ(seen_i[0], "sent CREATE_CHILD_SA request #2");
    EXPECT_EQ(seen_i[1], "received CREATE_CHILD_SA request #0");
    EXPECT_EQ(seen_i[2], "sent CREATE_CHILD_SA response #0");
    EXPECT_EQ(seen_i[3], "received CREATE_CHILD_SA response #2");
    EXPECT_EQ(bi.installed().size(), 3u);
    EXPECT_EQ(br.installed().size(), 3u);
    EXPECT_EQ(ri.impairer()->held(), 0u);
}

}  // namespace
