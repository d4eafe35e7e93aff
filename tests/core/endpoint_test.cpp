// Endpoint: two in-memory peers (tests/support/peer_pair) negotiate IKE and CHILD SAs.
// RFC 7296 §1.2, §2.1, §2.6, §2.17, §2.23.
#include <gtest/gtest.h>

#include "src/codec/codec.hpp"
#include "tests/support/peer_pair.hpp"

namespace ike::test {
namespace {

void expect_same_keys(const Peer_pair& p) {
    ASSERT_EQ(p.a.keys.size(), 1u);
    ASSERT_EQ(p.b.keys.size(), 1u);
    const auto& ka = p.a.keys[0];
    const auto& kb = p.b.keys[0];
    EXPECT_EQ(ka.SPIi, kb.SPIi);
    EXPECT_EQ(ka.SPIr, kb.SPIr);
    EXPECT_EQ(ka.SK_d.hex(), kb.SK_d.hex());
    EXPECT_EQ(ka.SK_ei.hex(), kb.SK_ei.hex());
    EXPECT_EQ(ka.SK_er.hex(), kb.SK_er.hex());
    EXPECT_EQ(ka.SK_pi.hex(), kb.SK_pi.hex());
    ASSERT_EQ(p.a.installed.size(), 1u);
    ASSERT_EQ(p.b.installed.size(), 1u);
    const auto& ca = p.a.installed[0];
    const auto& cb = p.b.installed[0];
    EXPECT_EQ(ca.spi_in, cb.spi_out);
    EXPECT_EQ(ca.spi_out, cb.spi_in);
    EXPECT_EQ(ca.encr_key_out.hex(), cb.encr_key_in.hex());
    EXPECT_EQ(ca.encr_key_in.hex(), cb.encr_key_out.hex());
    EXPECT_EQ(ca.integ_key_out.hex(), cb.integ_key_in.hex());
    EXPECT_NE(ca.encr_key_in.hex(), ca.encr_key_out.hex());
}

TEST(Endpoint, establishes_IKE_SA_and_CHILD_SA_with_psk_gcm_x25519) {
    Peer_pair p(make_config(true), make_config(false));
    p.initiate();
    p.run();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    expect_same_keys(p);
    EXPECT_EQ(p.a.keys[0].SK_ei.size(), 36u);  // AES-256 key + 4-octet salt (RFC 5282)
    EXPECT_EQ(p.a.installed[0].encr_key_in.size(), 36u);
    const auto la = p.a.ep->list();
    ASSERT_EQ(la.size(), 1u);
    EXPECT_EQ(la[0].state, "Established");
    ASSERT_EQ(la[0].children.size(), 1u);
    EXPECT_EQ(p.a.traces.size(), 4u) << p.transcript();
}

TEST(Endpoint, establishes_with_cbc_modp2048_and_esp_cbc_sha256) {
    Peer_pair p(make_config(true, "aes256-sha256-modp2048", "aes128-sha256"),
                make_config(false, "aes256-sha256-modp2048", "aes128-sha256"));
    p.initiate();
    p.run();
    ASSERT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    expect_same_keys(p);
    EXPECT_EQ(p.a.keys[0].SK_ai.size(), 32u);
    EXPECT_EQ(p.a.installed[0].encr_key_in.size(), 16u);
    EXPECT_EQ(p.a.installed[0].integ_key_in.size(), 32u);
}

TEST(Endpoint, responder_answers_retransmitted_request_with_byte_identical_cached_response) {
    Peer_pair p(make_config(true), make_config(false));
    // Drop the first IKE_AUTH response (b -> a, second datagram b sends): a retransmits.
    int b_sent = 0;
    p.filter = [&](const In_flight& f) { return f.to_b || ++b_sent != 2; };
    p.initiate();
    p.run();
    ASSERT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    ASSERT_EQ(p.b.sent.size(), 3u) << p.transcript();
    EXPECT_EQ(p.b.sent[1], p.b.sent[2]);  // §2.1: the cached response, byte for byte
    EXPECT_EQ(p.b.installed.size(), 1u);  // the retransmission created nothing new
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.1-retransmit-response"));
}

TEST(Endpoint, initiator_gives_up_after_retransmission_limit) {
    Peer_pair p(make_config(true), make_config(false));
    p.filter = [](const In_flight&) { return false; };
    p.initiate();
    p.run();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_failed));
    EXPECT_EQ(p.a.sent.size(), 4u);  // the request and 3 retransmissions
    EXPECT_EQ(p.a.ep->ike_sa_count(), 0u);
    EXPECT_TRUE(p.a.timers.empty());
}

TEST(Endpoint, cookie_dialogue_completes_and_responder_keeps_no_state_for_the_cookie_answer) {
    auto cb = make_config(false);
    cb.gate.cookies = Cookie_policy::always;
    Peer_pair p(make_config(true), std::move(cb));
    p.initiate();
    ASSERT_TRUE(p.deliver_one());  // IKE_SA_INIT request reaches b
    EXPECT_EQ(p.b.ep->ike_sa_count(), 0u);
    ASSERT_EQ(p.b.traces.size(), 2u);
    EXPECT_NE(p.b.traces[1].notation.find("N(COOKIE)"), std::string::npos) << p.transcript();
    p.run();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    expect_same_keys(p);
}

TEST(Endpoint, INVALID_KE_PAYLOAD_retry_in_the_named_group) {
    auto ca = make_config(true, "aes256gcm16-prfsha256-x25519-ecp256");
    auto cb = make_config(false, "aes256gcm16-prfsha256-ecp256");
    Peer_pair p(std::move(ca), std::move(cb));
    p.initiate();
    ASSERT_TRUE(p.deliver_one());
    EXPECT_EQ(p.b.ep->ike_sa_count(), 0u);  // answered INVALID_KE_PAYLOAD statelessly
    p.run();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_TRUE(p.a.has_diagnostic("7296-1.2-invalid-ke-retry"));
    expect_same_keys(p);
}

TEST(Endpoint, wrong_psk_gives_AUTHENTICATION_FAILED_and_no_SA) {
    auto cb = make_config(false);
    cb.secrets[0].secret = "another-secret";
    Peer_pair p(make_config(true), std::move(cb));
    p.initiate();
    p.run();
    EXPECT_FALSE(p.a.has_event(Sa_event_kind::IKE_SA_established));
    EXPECT_FALSE(p.b.has_event(Sa_event_kind::IKE_SA_established));
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.15-auth-mismatch")) << p.transcript();
    EXPECT_TRUE(p.a.installed.empty());
    EXPECT_TRUE(p.b.installed.empty());
    EXPECT_EQ(p.a.ep->ike_sa_count(), 0u);
    EXPECT_EQ(p.b.ep->ike_sa_count(), 0u);
}

TEST(Endpoint, proposal_mismatch_gives_NO_PROPOSAL_CHOSEN_with_reason) {
    Peer_pair p(make_config(true, "aes128gcm16-prfsha256-x25519"), make_config(false, "aes256gcm16-prfsha256-x25519"));
    p.initiate();
    p.run();
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.7-no-proposal-chosen")) << p.transcript();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_failed));
    EXPECT_EQ(p.b.ep->ike_sa_count(), 0u);
}

TEST(Endpoint, delete_removes_both_IKE_SAs_and_CHILD_SAs) {
    Peer_pair p(make_config(true), make_config(false));
    p.initiate();
    p.run();
    ASSERT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established));
    p.terminate();
    p.run();
    EXPECT_EQ(p.a.ep->ike_sa_count(), 0u) << p.transcript();
    EXPECT_EQ(p.b.ep->ike_sa_count(), 0u) << p.transcript();
    EXPECT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_deleted));
}

TEST(Endpoint, forced_NAT_T_moves_IKE_AUTH_to_port_4500_with_non_ESP_marker) {
    auto ca = make_config(true);
    ca.force_nat_t = true;
    Peer_pair p(std::move(ca), make_config(false));
    std::vector<std::uint16_t> ports;
    p.filter = [&](const In_flight& f) {
        if (f.to_b) ports.push_back(f.d.remote.port);
        return true;
    };
    p.initiate();
    p.run();
    ASSERT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    ASSERT_EQ(ports.size(), 2u);
    EXPECT_EQ(ports[0], 500);
    EXPECT_EQ(ports[1], 4500);
    ASSERT_GE(p.a.sent[1].size(), 4u);
    EXPECT_EQ(p.a.sent[1][0], 0);  // RFC 3948 §2.2 non-ESP marker
    EXPECT_TRUE(p.a.installed[0].udp_encapsulation);
    EXPECT_TRUE(p.b.installed[0].udp_encapsulation);
}

TEST(Endpoint, after_NAT_T_the_responders_own_requests_leave_from_port_4500) {
    // RFC 7296 §2.23 (7296-2.23-s2): all traffic after a NAT was detected goes over port 4500,
    // the original responder's own requests (here a CHILD SA rekey) included.
    auto ca = make_config(true);
    ca.force_nat_t = true;
    Peer_pair p(std::move(ca), make_config(false));
    p.initiate();
    p.run();
    ASSERT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    std::vector<std::pair<std::uint16_t, std::uint16_t>> from_b;  // local, remote port
    p.filter = [&](const In_flight& f) {
        if (!f.to_b) from_b.emplace_back(f.d.local.port, f.d.remote.port);
        return true;
    };
    p.absorb(p.b, false, p.b.ep->handle(Rekey_CHILD_SA{"home", 0, p.now}));
    p.run();
    ASSERT_GE(from_b.size(), 2u) << p.transcript();  // the rekey request and the Delete of the old SA
    for (const auto& [local, remote] : from_b) {
        EXPECT_EQ(local, 4500);
        EXPECT_EQ(remote, 4500);
    }
    EXPECT_EQ(p.b.ep->list().at(0).children.size(), 1u);
    EXPECT_TRUE(p.b.installed.back().udp_encapsulation);
}

TEST(Endpoint, CHILD_SA_requests_go_to_the_IKE_SA_that_holds_the_CHILD_SA) {
    // Two IKE SAs of one connection (initiate twice): a rekey or delete names a CHILD SA by its
    // inbound SPI, and must act on whichever IKE SA holds it.
    Peer_pair p(make_config(true), make_config(false));
    p.initiate();
    p.run();
    p.initiate();
    p.run();
    const auto list = p.a.ep->list();
    ASSERT_EQ(list.size(), 2u);
    for (const auto& sa : list) {
        ASSERT_EQ(sa.children.size(), 1u);
        const std::uint32_t spi = sa.children[0].spi_in;
        p.absorb(p.a, true, p.a.ep->handle(Rekey_CHILD_SA{"home", spi, p.now}));
        p.run();
        bool found = false;
        for (const auto& now : p.a.ep->list()) {
            if (now.SPIi != sa.SPIi) continue;
            found = true;
            ASSERT_EQ(now.children.size(), 1u);
            EXPECT_NE(now.children[0].spi_in, spi) << "rekeyed on its own IKE SA";
        }
        EXPECT_TRUE(found);
    }
    EXPECT_FALSE(p.a.has_diagnostic("ikeref-request"));
}

}  // namespace
}  // namespace ike::test
