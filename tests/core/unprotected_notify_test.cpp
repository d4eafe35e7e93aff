// Unprotected error notifies after IKE_SA_INIT (RFC 7296 §1.5, §2.21.4): INVALID_SPI and
// INVALID_IKE_SPI may be sent outside any IKE SA, unprotected, as a "response" with the SPIs and
// Message ID of the message they complain about. Their receiver must not answer them (a loop,
// §1.5) and must not change any SA because of them (they are unauthenticated, §2.21.4): sent
// to both ends of an established IKE SA, with its SPIs and with unknown ones, they produce no
// datagram and no SA change, and the Message IDs both ways continue where they were.
// Requirements: 7296-1.5-s3, 7296-2.21.4-s5.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "src/codec/codec.hpp"
#include "tests/support/peer_pair.hpp"
#include "tests/support/protect.hpp"
#include "tests/support/sa_checks.hpp"

namespace ike::test {
namespace {

Bytes spi4(std::uint32_t v) {
    return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
            static_cast<std::uint8_t>(v)};
}

/// What a Side shows of its SAs: the list, CHILD SA keys, timers and counts of every output kind.
struct Snapshot {
    std::vector<std::string> sas;
    std::vector<std::string> child_keys;
    std::map<Timer_id, Time> timers;
    std::size_t installed = 0, removed = 0, events = 0, keys = 0, sent = 0;
    bool operator==(const Snapshot& o) const {
        return sas == o.sas && child_keys == o.child_keys && timers == o.timers && installed == o.installed &&
               removed == o.removed && events == o.events && keys == o.keys && sent == o.sent;
    }
};

Snapshot snapshot(const Side& s) {
    Snapshot out;
    for (const auto& sa : s.ep->list()) {
        std::string line = sa.connection + " " + sa.state + " " + std::to_string(sa.SPIi) + " " +
                           std::to_string(sa.SPIr) + " " + sa.local.to_string() + " " + sa.remote.to_string();
        for (const auto& c : sa.children) line += " " + std::to_string(c.spi_in) + "/" + std::to_string(c.spi_out);
        out.sas.push_back(line);
    }
    for (const auto& c : s.installed) out.child_keys.push_back(c.encr_key_in.hex() + c.encr_key_out.hex());
    out.timers = s.timers;
    out.installed = s.installed.size();
    out.removed = s.removed.size();
    out.events = s.events.size();
    out.keys = s.keys.size();
    out.sent = s.sent.size();
    return out;
}

struct Case {
    std::string name;
    Header header;
    Payload_N notify;
};

/// The unprotected notifies a peer (or an attacker) could send to the side holding `keys` as
/// original initiator (`to_initiator`) or responder.
std::vector<Case> cases(const Keys_derived& k, std::uint32_t child_spi, bool to_initiator) {
    std::vector<Case> out;
    const Payload_N invalid_spi{Protocol_id::ESP, {}, static_cast<std::uint16_t>(Notify_type::INVALID_SPI), spi4(child_spi)};
    const Payload_N invalid_spi_unknown{Protocol_id::ESP, {}, static_cast<std::uint16_t>(Notify_type::INVALID_SPI),
                                        spi4(0x0badc0de)};
    const Payload_N invalid_ike_spi{Protocol_id::NONE, {}, static_cast<std::uint16_t>(Notify_type::INVALID_IKE_SPI), {}};
    // The sender's I flag: set when it is the original initiator, i.e. when we are not (§3.1).
    const std::uint8_t i_bit = to_initiator ? 0 : flag::Initiator;
    struct Spis {
        const char* name;
        Spi SPIi, SPIr;
    };
    const Spis spis[] = {{"the IKE SA's SPIs", k.SPIi, k.SPIr},
                         {"unknown SPIs", 0x1122334455667788ULL, 0x99aabbccddeeff00ULL},
                         {"the IKE SA's SPIi, SPIr zero", k.SPIi, 0},
                         {"the IKE SA's SPIs swapped", k.SPIr, k.SPIi}};
    for (const auto& s : spis) {
        for (std::uint8_t flags : {std::uint8_t(flag::Response | i_bit), std::uint8_t(flag::Response | (i_bit ^ flag::Initiator)),
                                   i_bit}) {
            for (std::uint32_t mid : {0u, 1u, 2u, 0xffffffffu}) {
                for (const auto* n : {&invalid_spi, &invalid_spi_unknown, &invalid_ike_spi}) {
                    Case c;
                    c.header.SPIi = s.SPIi;
                    c.header.SPIr = s.SPIr;
                    c.header.exchange = Exchange_type::INFORMATIONAL;
                    c.header.flags = flags;
                    c.header.message_id = mid;
                    c.notify = *n;
                    c.name = std::string(s.name) + ", flags " + std::to_string(flags) + ", #" + std::to_string(mid) +
                             ", notify " + std::to_string(n->type);
                    out.push_back(c);
                }
            }
        }
    }
    return out;
}

Bytes encode(const Case& c) {
    Message m;
    m.header = c.header;
    Payload p;
    p.type = Payload_type::N;
    p.body = c.notify;
    m.payloads.push_back(p);
    return codec::encode_message(m);
}

/// Sends every case to side a (`to_a`) or b of an established pair and checks that nothing
/// changes, then that both sides' Message IDs continue where they were.
void expect_ignored(bool to_a) {
    Peer_pair p(make_config(true), make_config(false));
    p.initiate();
    p.run();
    expect_same_SAs(p, 1);
    ASSERT_EQ(p.a.keys.size(), 1u);
    const Keys_derived k = {p.a.keys[0].SPIi, p.a.keys[0].SPIr, p.a.keys[0].proposal, p.a.keys[0].SK_d.clone(),
                            p.a.keys[0].SK_ei.clone(), p.a.keys[0].SK_er.clone(), p.a.keys[0].SK_ai.clone(),
                            p.a.keys[0].SK_ar.clone(), p.a.keys[0].SK_pi.clone(), p.a.keys[0].SK_pr.clone()};
    Side& target = to_a ? p.a : p.b;
    ASSERT_EQ(target.installed.size(), 1u);
    const std::uint32_t child_spi = target.installed[0].spi_out;  // the peer's inbound SPI, named in INVALID_SPI
    const Snapshot before_a = snapshot(p.a), before_b = snapshot(p.b);
    const auto all = cases(k, child_spi, to_a);
    for (const auto& c : all) {
        SCOPED_TRACE(c.name);
        for (std::uint16_t port : {std::uint16_t{500}, std::uint16_t{4500}}) {
            Bytes bytes = encode(c);
            if (port == 4500) bytes.insert(bytes.begin(), 4, 0);  // RFC 3948 non-ESP marker
            const Address a_addr{{192, 0, 2, 2}, port}, b_addr{{192, 0, 2, 1}, port};
            Datagram_received d{to_a ? a_addr : b_addr, to_a ? b_addr : a_addr, std::move(bytes), p.now};
            Outputs out = target.ep->handle(std::move(d));
            for (const auto& o : out) {
                // [7296-1.5-s3] no answer; [7296-2.21.4-s5] no SA change: only Diagnostics may come out.
                EXPECT_TRUE(std::holds_alternative<Diagnostic>(o) || std::holds_alternative<Message_trace>(o))
                    << "output kind " << o.index();
            }
            p.absorb(target, to_a, std::move(out));
        }
    }
    EXPECT_TRUE(p.wire.empty());
    EXPECT_TRUE(snapshot(p.a) == before_a) << p.transcript();
    EXPECT_TRUE(snapshot(p.b) == before_b) << p.transcript();
    EXPECT_TRUE(target.has_diagnostic("7296-3.14-sk-required")) << "dropped as unprotected";
    EXPECT_TRUE(target.has_diagnostic("7296-2.21.1-unknown-spi")) << "dropped as for no IKE SA";

    // Message IDs: A's next request is #2 (after IKE_SA_INIT #0, IKE_AUTH #1), B's first is #0,
    // and each is answered: the injected Message IDs moved neither window.
    request(p, true, Create_CHILD_SA{"home", "net", p.now});
    ASSERT_EQ(p.wire.size(), 1u) << p.transcript();
    auto a_request = unprotect_as(k, true, p.wire.front().d.bytes);
    ASSERT_TRUE(a_request);
    EXPECT_EQ(a_request->header.message_id, 2u);
    ASSERT_TRUE(p.deliver_one());
    ASSERT_EQ(p.wire.size(), 1u) << p.transcript();
    auto b_response = unprotect_as(k, false, p.wire.front().d.bytes);
    ASSERT_TRUE(b_response);
    EXPECT_TRUE(b_response->header.is_response());
    EXPECT_EQ(b_response->header.message_id, 2u);
    p.run();
    expect_same_SAs(p, 2);
    request(p, false, Create_CHILD_SA{"home", "net", p.now});
    ASSERT_EQ(p.wire.size(), 1u) << p.transcript();
    auto b_request = unprotect_as(k, false, p.wire.front().d.bytes);
    ASSERT_TRUE(b_request);
    EXPECT_FALSE(b_request->header.is_response());
    EXPECT_EQ(b_request->header.message_id, 0u);
    p.run();
    expect_same_SAs(p, 3);
}

TEST(Unprotected_notify, INVALID_SPI_and_INVALID_IKE_SPI_to_the_original_responder_get_no_answer_and_change_nothing) {
    expect_ignored(false);
}

TEST(Unprotected_notify, INVALID_SPI_and_INVALID_IKE_SPI_to_the_original_initiator_get_no_answer_and_change_nothing) {
    expect_ignored(true);
}

}  // namespace
}  // namespace ike::test
