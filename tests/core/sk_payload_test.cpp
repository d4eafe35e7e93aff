// The Encrypted payload's Padding (RFC 7296 §3.14): a sender should pad minimally, but a
// recipient accepts any Pad Length that keeps the plaintext a whole number of cipher blocks.
// Requests padded beyond the minimum, built by hand with the IKE SA's keys, are accepted and
// answered by the Endpoint; core::unprotect returns the same inner chain as with minimal padding.
// Requirements: 7296-3.14-s5.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/peer_pair.hpp"
#include "tests/support/protect.hpp"

namespace ike::test {
namespace {

struct Established {
    Peer_pair p;
    explicit Established(const std::string& ike, const std::string& esp)
        : p(make_config(true, ike, esp), make_config(false, ike, esp)) {
        p.initiate();
        p.run();
        EXPECT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
        p.wire.clear();
    }
    const Keys_derived& keys() const { return p.a.keys.at(0); }
};

/// INFORMATIONAL request #mid from A (the original initiator) carrying `payloads`.
Message informational(const Keys_derived& k, std::uint32_t mid, std::vector<Payload> payloads = {}) {
    Message m;
    m.header.SPIi = k.SPIi;
    m.header.SPIr = k.SPIr;
    m.header.exchange = Exchange_type::INFORMATIONAL;
    m.header.flags = flag::Initiator;
    m.header.message_id = mid;
    m.payloads = std::move(payloads);
    m.was_protected = true;
    return m;
}

Payload unknown_status_notify() {
    Payload p;
    p.type = Payload_type::N;
    p.body = Payload_N{Protocol_id::NONE, {}, 40001, {1, 2, 3, 4, 5}};  // a status type (>= 16384) B ignores
    return p;
}

/// Every Pad Length from the minimum up to 255 in steps of the block size, minimum excluded.
std::vector<std::uint8_t> longer_paddings(const Keys_derived& k, const Message& m) {
    const auto [minimum, block] = minimal_padding(k, m);
    std::vector<std::uint8_t> out;
    for (std::size_t pad = minimum + block; pad <= 255; pad += block) out.push_back(static_cast<std::uint8_t>(pad));
    return out;
}

void expect_longer_padding_answered(const std::string& ike, const std::string& esp, std::size_t block) {
    Established e(ike, esp);
    const Message probe = informational(e.keys(), 2);
    const auto minimum = minimal_padding(e.keys(), probe);
    EXPECT_EQ(minimum.second, block) << "the cipher's padding unit";
    const auto pads = longer_paddings(e.keys(), probe);
    ASSERT_FALSE(pads.empty());
    std::uint32_t mid = 2;
    for (std::uint8_t pad : pads) {
        SCOPED_TRACE(int{pad});
        const Message m = informational(e.keys(), mid);
        const Bytes bytes = protect_padded(e.keys(), true, m, pad, static_cast<std::uint8_t>(0xa5 + pad));
        // The plaintext (Padding + Pad Length, no payloads) fills whole blocks, and more than one
        // block when pad >= block: the padding really is longer than needed.
        EXPECT_EQ((std::size_t{pad} + 1) % block, 0u);
        Datagram_received d{Address{{192, 0, 2, 1}, 500}, Address{{192, 0, 2, 2}, 500}, bytes, e.p.now};
        e.p.absorb(e.p.b, false, e.p.b.ep->handle(std::move(d)));
        ASSERT_EQ(e.p.wire.size(), 1u) << e.p.transcript();
        auto r = unprotect_as(e.keys(), false, e.p.wire.front().d.bytes);
        ASSERT_TRUE(r) << e.p.transcript();
        EXPECT_TRUE(r->header.is_response());
        EXPECT_EQ(r->header.exchange, Exchange_type::INFORMATIONAL);
        EXPECT_EQ(r->header.message_id, mid);
        EXPECT_TRUE(r->payloads.empty()) << "an empty INFORMATIONAL request gets an empty response (§1.4)";
        e.p.run();  // A drops a response to a request it did not send
        e.p.wire.clear();
        ++mid;
    }
    EXPECT_FALSE(e.p.b.has_diagnostic("7296-3.14-pad-length")) << e.p.transcript();
    EXPECT_EQ(e.p.b.ep->ike_sa_count(), 1u);
    ASSERT_EQ(e.p.b.ep->list().size(), 1u);
    EXPECT_EQ(e.p.b.ep->list()[0].state, "Established");
}

TEST(SK_padding, AES_CBC_request_with_more_than_minimal_padding_is_accepted_and_answered) {
    // AES-CBC pads to 16 octets: an empty chain needs 15 octets of Padding; 31, 47, ... 255 too are valid.
    expect_longer_padding_answered("aes256-sha256-x25519", "aes256-sha256", 16);
}

TEST(SK_padding, AES_GCM_request_with_non_minimal_padding_is_accepted_and_answered) {
    // RFC 5282 §3: AES-GCM needs no padding (block size 1); any Pad Length 1..255 is valid.
    expect_longer_padding_answered("aes128gcm16-prfsha256-x25519", "aes128gcm16", 1);
}

TEST(SK_padding, inner_chain_is_the_same_whatever_the_valid_padding) {
    for (const char* ike : {"aes128-sha256-x25519", "aes256gcm16-prfsha256-x25519"}) {
        SCOPED_TRACE(ike);
        Established e(ike, "aes128-sha256");
        const Message m = informational(e.keys(), 2, {unknown_status_notify()});
        const auto [minimum, block] = minimal_padding(e.keys(), m);
        // The Notify is 8 + 5 = 13 octets: CBC needs 2 octets of Padding (13 + 2 + 1 = 16).
        if (block == 16) {
            EXPECT_EQ(minimum, 2u);
        }
        for (std::size_t pad = minimum; pad <= 255; pad += block) {
            SCOPED_TRACE(pad);
            const auto r = unprotect_as(e.keys(), true, protect_padded(e.keys(), true, m, static_cast<std::uint8_t>(pad), 0xff));
            ASSERT_TRUE(r);
            ASSERT_EQ(r->payloads.size(), 1u);
            EXPECT_EQ(r->payloads[0], m.payloads[0]);
        }
    }
}

}  // namespace
}  // namespace ike::test
