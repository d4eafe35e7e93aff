// The structured refusal reason (Endpoint::refusals, shown by `ikeref list --json`): for each
// received proposal the transform type that had no match, offered against configured
// (RFC 7296 §2.7, §3.3.6), and for TS_UNACCEPTABLE the selectors compared (§2.9).
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/peer_pair.hpp"
#include "tests/support/sa_checks.hpp"

namespace ike::test {
namespace {

TEST(Refusal, IKE_SA_INIT_KE_mismatch_names_the_KE_type_offered_and_configured) {
    Peer_pair pair(make_config(true, "aes256gcm16-prfsha256-x25519"), make_config(false, "aes256gcm16-prfsha256-ecp256"));
    pair.initiate();
    pair.run();
    ASSERT_TRUE(pair.a.has_event(Sa_event_kind::IKE_SA_failed));
    EXPECT_TRUE(pair.a.ep->refusals().empty()) << "the initiator refused nothing";
    const auto refusals = pair.b.ep->refusals();
    ASSERT_EQ(refusals.size(), 1u);
    const Refusal& r = refusals[0];
    EXPECT_EQ(r.exchange, Exchange_type::IKE_SA_INIT);
    EXPECT_EQ(r.notify, Notify_type::NO_PROPOSAL_CHOSEN);
    EXPECT_EQ(r.rule, "7296-2.7-no-proposal-chosen");
    EXPECT_EQ(r.connection, "home");
    ASSERT_EQ(r.proposals.size(), 1u);
    EXPECT_EQ(r.proposals[0].number, 1);
    EXPECT_EQ(r.proposals[0].protocol, Protocol_id::IKE);
    EXPECT_EQ(r.proposals[0].configured, 1u);
    ASSERT_EQ(r.proposals[0].types.size(), 1u) << "only KE differs";
    const auto* ke = failed(r, "KE");
    ASSERT_NE(ke, nullptr);
    EXPECT_TRUE(contains(ke->offered, "Curve25519"));
    EXPECT_TRUE(contains(ke->configured, "ECP_256"));
    EXPECT_EQ(pair.b.ep->ike_sa_count(), 0u);
}

TEST(Refusal, IKE_SA_INIT_several_types_each_named) {
    Peer_pair pair(make_config(true, "aes128-sha256-modp2048"), make_config(false, "aes256gcm16-prfsha384-x25519"));
    pair.initiate();
    pair.run();
    const auto refusals = pair.b.ep->refusals();
    ASSERT_EQ(refusals.size(), 1u);
    for (const char* type : {"ENCR", "PRF", "KE"}) EXPECT_NE(failed(refusals[0], type), nullptr) << type;
    const auto* encr = failed(refusals[0], "ENCR");
    ASSERT_NE(encr, nullptr);
    EXPECT_TRUE(contains(encr->offered, "ENCR_AES_CBC/128"));
    EXPECT_TRUE(contains(encr->configured, "ENCR_AES_GCM_16/256"));
}

TEST(Refusal, IKE_AUTH_ESP_mismatch_refuses_the_CHILD_SA_with_the_ENCR_reason) {
    Peer_pair pair(make_config(true, "aes256gcm16-prfsha256-x25519", "aes128gcm16"),
                   make_config(false, "aes256gcm16-prfsha256-x25519", "aes256gcm16"));
    pair.initiate();
    pair.run();
    EXPECT_TRUE(pair.a.has_event(Sa_event_kind::IKE_SA_established)) << "§1.2: the IKE SA survives";
    const auto refusals = pair.b.ep->refusals();
    ASSERT_EQ(refusals.size(), 1u);
    EXPECT_EQ(refusals[0].exchange, Exchange_type::IKE_AUTH);
    EXPECT_EQ(refusals[0].notify, Notify_type::NO_PROPOSAL_CHOSEN);
    ASSERT_FALSE(refusals[0].proposals.empty());
    EXPECT_EQ(refusals[0].proposals[0].protocol, Protocol_id::ESP);
    const auto* encr = failed(refusals[0], "ENCR");
    ASSERT_NE(encr, nullptr);
    EXPECT_TRUE(contains(encr->offered, "ENCR_AES_GCM_16/128"));
    EXPECT_TRUE(contains(encr->configured, "ENCR_AES_GCM_16/256"));
}

TEST(Refusal, TS_UNACCEPTABLE_names_the_selectors_compared_and_the_empty_side) {
    Config a = make_config(true);
    // The initiator asks for 10.9.0.0/24 as its side: the responder's remote_ts is 10.1.0.0/24.
    a.connections[0].children[0].local_ts[0].start_address = {10, 9, 0, 0};
    a.connections[0].children[0].local_ts[0].end_address = {10, 9, 0, 255};
    Peer_pair pair(std::move(a), make_config(false));
    pair.initiate();
    pair.run();
    const auto refusals = pair.b.ep->refusals();
    ASSERT_EQ(refusals.size(), 1u);
    const Refusal& r = refusals[0];
    EXPECT_EQ(r.notify, Notify_type::TS_UNACCEPTABLE);
    EXPECT_EQ(r.rule, "7296-2.9-ts-unacceptable");
    ASSERT_EQ(r.selectors.size(), 1u);
    const auto& s = r.selectors[0];
    EXPECT_EQ(s.child, "net");
    EXPECT_TRUE(s.TSi_empty);
    EXPECT_FALSE(s.TSr_empty);
    ASSERT_EQ(s.TSi.size(), 1u);
    EXPECT_EQ(s.TSi[0].start_address, (Bytes{10, 9, 0, 0}));
    ASSERT_EQ(s.remote_ts.size(), 1u);
    EXPECT_EQ(s.remote_ts[0].start_address, (Bytes{10, 1, 0, 0}));
    EXPECT_NE(r.text.find("10.9.0.0"), std::string::npos) << r.text;
    EXPECT_NE(r.text.find("10.1.0.0"), std::string::npos) << r.text;
    EXPECT_TRUE(pair.b.has_diagnostic("7296-2.9-ts-unacceptable"));
}

TEST(Refusal, AUTHENTICATION_FAILED_is_recorded_with_its_rule) {
    Config b = make_config(false);
    for (auto& s : b.secrets) s.secret = "not-the-same-psk-0123456789";
    Peer_pair pair(make_config(true), std::move(b));
    pair.initiate();
    pair.run();
    const auto refusals = pair.b.ep->refusals();
    ASSERT_EQ(refusals.size(), 1u);
    EXPECT_EQ(refusals[0].exchange, Exchange_type::IKE_AUTH);
    EXPECT_EQ(refusals[0].notify, Notify_type::AUTHENTICATION_FAILED);
    EXPECT_EQ(refusals[0].rule, "7296-2.15-auth-mismatch");
}

}  // namespace
}  // namespace ike::test
