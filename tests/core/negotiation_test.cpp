// Proposal selection (RFC 7296 §2.7, §3.3.3, §3.3.5, §3.3.6) and its structured refusal reason.
// Proposals are built from strongSwan keywords (the codec's parser) or laid out transform by
// transform with their IANA numbers, so that the expected reason does not come from our output.
// Narrowing (§2.9) keeps ports 0..65535 on protocols without ports (§3.13.1).
// Requirements: 7296-3.13.1-s1, 7296-3.13.1-s2, 7296-2.7-s4.
#include <gtest/gtest.h>

#include <algorithm>

#include "src/codec/proposal_keywords.hpp"
#include "src/core/negotiation.hpp"

namespace ike::core {
namespace {

Proposal kw(const std::string& keyword, Protocol_id protocol = Protocol_id::IKE, std::uint8_t number = 1) {
    std::string error;
    auto p = codec::parse_proposal(keyword, protocol, &error);
    if (!p) throw std::runtime_error("bad keyword " + keyword + ": " + error);
    p->number = number;
    return *p;
}

Transform tr(Transform_type type, std::uint16_t id, std::optional<std::uint16_t> key_length = std::nullopt) {
    Transform t;
    t.type = type;
    t.id = id;
    t.key_length = key_length;
    return t;
}

class Negotiation : public ::testing::Test {
protected:
    std::unique_ptr<Crypto_provider> crypto = make_seeded_botan_provider(7);
    Selection select(const std::vector<Proposal>& offered, const std::vector<Proposal>& ours) {
        return select_proposal(offered, ours, *crypto);
    }
};

// A single mismatch of `type`: one refusal, one mismatch, of that type.
void expect_single_mismatch(const Selection& s, Transform_type type) {
    ASSERT_FALSE(s.chosen);
    ASSERT_EQ(s.refusal.proposals.size(), 1u) << s.reason;
    const auto& r = s.refusal.proposals[0];
    EXPECT_TRUE(r.problem.empty()) << r.problem;
    EXPECT_EQ(r.configured, 1u);
    ASSERT_EQ(r.mismatches.size(), 1u) << s.reason;
    EXPECT_EQ(r.mismatches[0].type, type) << s.reason;
    EXPECT_EQ(s.refusal.failed_types(), std::vector<Transform_type>{type});
    EXPECT_EQ(s.reason, s.refusal.text());
}

TEST_F(Negotiation, chooses_one_transform_per_type_in_our_order_of_preference) {
    // Peer offers two ENCR and two KE; we prefer ecp256 over x25519 and aes128gcm16 first.
    const auto offered = kw("aes256gcm16-aes128gcm16-prfsha256-x25519-ecp256");
    const auto ours = kw("aes128gcm16-prfsha256-ecp256-x25519");
    auto s = select({offered}, {ours});
    ASSERT_TRUE(s.chosen) << s.reason;
    ASSERT_EQ(s.chosen->transforms.size(), 3u);
    EXPECT_EQ(s.chosen->transforms[0].id, 20);  // ENCR_AES_GCM_16
    EXPECT_EQ(s.chosen->transforms[0].key_length, 128);
    EXPECT_EQ(s.chosen->transforms[1].id, 5);   // PRF_HMAC_SHA2_256
    EXPECT_EQ(s.chosen->transforms[2].id, 19);  // ECP_256
    EXPECT_TRUE(s.reason.empty());
}

TEST_F(Negotiation, keeps_received_proposal_number_and_spi) {
    auto offered1 = kw("aes256-sha256-modp2048", Protocol_id::IKE, 1);
    auto offered2 = kw("aes128gcm16-prfsha256-x25519", Protocol_id::IKE, 2);
    auto s = select({offered1, offered2}, {kw("aes128gcm16-prfsha256-x25519")});
    ASSERT_TRUE(s.chosen) << s.reason;
    EXPECT_EQ(s.chosen->number, 2);
    EXPECT_TRUE(proposal_from_offer(*s.chosen, {offered1, offered2}));
}

TEST_F(Negotiation, refusal_names_ENCR_with_offered_and_configured) {
    auto s = select({kw("aes256gcm16-prfsha256-x25519")}, {kw("chacha20poly1305-prfsha256-x25519")});
    expect_single_mismatch(s, Transform_type::ENCR);
    const auto& m = s.refusal.proposals[0].mismatches[0];
    ASSERT_EQ(m.offered.size(), 1u);
    EXPECT_EQ(m.offered[0].id, 20);
    ASSERT_EQ(m.configured.size(), 1u);
    EXPECT_EQ(m.configured[0].id, 28);
    EXPECT_EQ(s.reason,
              "proposal #1 (IKE) vs configured #1: ENCR offered [ENCR_AES_GCM_16/256] configured "
              "[ENCR_CHACHA20_POLY1305]");
}

TEST_F(Negotiation, refusal_names_PRF) {
    auto s = select({kw("aes256gcm16-prfsha512-x25519")}, {kw("aes256gcm16-prfsha256-x25519")});
    expect_single_mismatch(s, Transform_type::PRF);
    EXPECT_NE(s.reason.find("PRF offered [PRF_HMAC_SHA2_512] configured [PRF_HMAC_SHA2_256]"), std::string::npos)
        << s.reason;
}

TEST_F(Negotiation, refusal_names_INTEG) {
    // explicit prf so that only INTEG differs
    auto s = select({kw("aes256-sha384-prfsha256-modp2048")}, {kw("aes256-sha256-prfsha256-modp2048")});
    expect_single_mismatch(s, Transform_type::INTEG);
    EXPECT_NE(s.reason.find("INTEG offered [AUTH_HMAC_SHA2_384_192] configured [AUTH_HMAC_SHA2_256_128]"),
              std::string::npos)
        << s.reason;
}

TEST_F(Negotiation, refusal_names_KE) {
    auto s = select({kw("aes256gcm16-prfsha256-x25519")}, {kw("aes256gcm16-prfsha256-ecp256")});
    expect_single_mismatch(s, Transform_type::KE);
    EXPECT_NE(s.reason.find("KE offered [Curve25519] configured [ECP_256]"), std::string::npos) << s.reason;
}

TEST_F(Negotiation, refusal_names_ESN) {
    auto s = select({kw("aes128gcm16-esn", Protocol_id::ESP)}, {kw("aes128gcm16-noesn", Protocol_id::ESP)});
    // "noesn" alone is No_ESN (0); "esn" is ESN (1)
    expect_single_mismatch(s, Transform_type::ESN);
    EXPECT_NE(s.reason.find("proposal #1 (ESP) vs configured #1: ESN offered [ESN] configured [No_ESN]"),
              std::string::npos)
        << s.reason;
}

TEST_F(Negotiation, ESN_chosen_from_both_values_offered) {
    auto offered = kw("aes128gcm16-esn-noesn", Protocol_id::ESP);
    auto s = select({offered}, {kw("aes128gcm16", Protocol_id::ESP)});
    ASSERT_TRUE(s.chosen) << s.reason;
    const Transform* esn = transform_of(*s.chosen, Transform_type::ESN);
    ASSERT_NE(esn, nullptr);
    EXPECT_EQ(esn->id, 0);  // No_ESN: what we configured
}

TEST_F(Negotiation, shorter_key_length_is_refused_and_named) {
    // §3.3.5: only a larger key length may be accepted in place of the configured one.
    auto s = select({kw("aes128-sha256-modp2048")}, {kw("aes256-sha256-modp2048")});
    expect_single_mismatch(s, Transform_type::ENCR);
    EXPECT_NE(s.reason.find("ENCR offered [ENCR_AES_CBC/128] configured [ENCR_AES_CBC/256]"), std::string::npos)
        << s.reason;
    EXPECT_FALSE(s.refusal.proposals[0].mismatches[0].unsupported);
}

// RFC 7296 §3.3.5 [7296-3.3.5-s6]: configured for X bits, offered the same cipher with a larger
// key length the provider supports: accepted, with the offered length (a value that supplies
// greater security, [7296-3.3.5-s5]).
TEST_F(Negotiation, longer_key_length_of_the_configured_cipher_is_accepted_with_the_offered_length) {
    auto s = select({kw("aes256-sha256-modp2048")}, {kw("aes128-sha256-modp2048")});
    ASSERT_TRUE(s.chosen) << s.reason;
    const Transform* encr = transform_of(*s.chosen, Transform_type::ENCR);
    ASSERT_NE(encr, nullptr);
    EXPECT_EQ(encr->id, 12);  // ENCR_AES_CBC
    EXPECT_EQ(encr->key_length, 256);
    EXPECT_TRUE(proposal_from_offer(*s.chosen, {kw("aes256-sha256-modp2048")}));

    auto s192 = select({kw("aes192-sha256-modp2048")}, {kw("aes128-sha256-modp2048")});
    ASSERT_TRUE(s192.chosen) << s192.reason;
    EXPECT_EQ(transform_of(*s192.chosen, Transform_type::ENCR)->key_length, 192);
}

TEST_F(Negotiation, longer_AES_GCM_key_length_is_accepted_for_IKE_and_ESP) {
    auto ike = select({kw("aes256gcm16-prfsha256-x25519")}, {kw("aes128gcm16-prfsha256-x25519")});
    ASSERT_TRUE(ike.chosen) << ike.reason;
    EXPECT_EQ(transform_of(*ike.chosen, Transform_type::ENCR)->id, 20);  // ENCR_AES_GCM_16
    EXPECT_EQ(transform_of(*ike.chosen, Transform_type::ENCR)->key_length, 256);
    auto esp = select({kw("aes256gcm16", Protocol_id::ESP)}, {kw("aes128gcm16", Protocol_id::ESP)});
    ASSERT_TRUE(esp.chosen) << esp.reason;
    EXPECT_EQ(transform_of(*esp.chosen, Transform_type::ENCR)->key_length, 256);
    auto shorter = select({kw("aes128gcm16", Protocol_id::ESP)}, {kw("aes256gcm16", Protocol_id::ESP)});
    expect_single_mismatch(shorter, Transform_type::ENCR);
    EXPECT_NE(shorter.reason.find("ENCR offered [ENCR_AES_GCM_16/128] configured [ENCR_AES_GCM_16/256]"),
              std::string::npos)
        << shorter.reason;
}

TEST_F(Negotiation, exact_key_length_is_preferred_over_a_longer_one) {
    // The peer lists AES-CBC/256 first, then AES-CBC/128: we configured 128 and take it.
    auto offered = kw("aes128-sha256-modp2048");
    offered.transforms.insert(offered.transforms.begin(), tr(Transform_type::ENCR, 12, 256));
    auto s = select({offered}, {kw("aes128-sha256-modp2048")});
    ASSERT_TRUE(s.chosen) << s.reason;
    EXPECT_EQ(transform_of(*s.chosen, Transform_type::ENCR)->key_length, 128);
    // An exact match of another configured cipher is also preferred to a longer key.
    auto t = select({kw("chacha20poly1305-aes256gcm16-prfsha256-x25519")},
                    {kw("aes128gcm16-chacha20poly1305-prfsha256-x25519")});
    ASSERT_TRUE(t.chosen) << t.reason;
    EXPECT_EQ(transform_of(*t.chosen, Transform_type::ENCR)->id, 28);  // ENCR_CHACHA20_POLY1305
}

TEST_F(Negotiation, longer_key_length_the_provider_lacks_is_refused_as_unsupported) {
    auto offered = kw("aes128-sha256-modp2048");
    for (auto& t : offered.transforms) {
        if (t.type == Transform_type::ENCR) t.key_length = 512;  // no AES-512
    }
    ASSERT_FALSE(crypto->supports(Transform_type::ENCR, 12, 512));
    auto s = select({offered}, {kw("aes128-sha256-modp2048")});
    expect_single_mismatch(s, Transform_type::ENCR);
    EXPECT_TRUE(s.refusal.proposals[0].mismatches[0].unsupported);
    EXPECT_NE(s.reason.find("ENCR offered [ENCR_AES_CBC/512] configured [ENCR_AES_CBC/128] (not supported"),
              std::string::npos)
        << s.reason;
}

TEST_F(Negotiation, longer_key_length_of_another_cipher_is_refused) {
    // AES-CTR/256 is not AES-CBC with a longer key.
    auto offered = kw("aes128-sha256-modp2048");
    for (auto& t : offered.transforms) {
        if (t.type == Transform_type::ENCR) {
            t.id = 13;  // ENCR_AES_CTR
            t.key_length = 256;
        }
    }
    auto s = select({offered}, {kw("aes128-sha256-modp2048")});
    expect_single_mismatch(s, Transform_type::ENCR);
}

TEST_F(Negotiation, key_length_attribute_on_a_fixed_key_transform_is_unacceptable) {
    // §3.3.5: Key Length only for variable-length ciphers; PRF_HMAC_SHA2_256 with one never matches.
    Proposal offered;
    offered.transforms = {tr(Transform_type::ENCR, 20, 256), tr(Transform_type::PRF, 5, 256),
                          tr(Transform_type::KE, 31)};
    auto s = select({offered}, {kw("aes256gcm16-prfsha256-x25519")});
    expect_single_mismatch(s, Transform_type::PRF);
    EXPECT_NE(s.reason.find("PRF offered [PRF_HMAC_SHA2_256/256] configured [PRF_HMAC_SHA2_256]"),
              std::string::npos)
        << s.reason;
}

TEST_F(Negotiation, AES_without_key_length_is_unacceptable) {
    Proposal offered;
    offered.transforms = {tr(Transform_type::ENCR, 20), tr(Transform_type::PRF, 5), tr(Transform_type::KE, 31)};
    auto ours = kw("aes256gcm16-prfsha256-x25519");
    ours.transforms[0].key_length.reset();  // even if we were misconfigured the same way
    auto s = select({offered}, {ours});
    expect_single_mismatch(s, Transform_type::ENCR);
}

TEST_F(Negotiation, transform_with_unknown_attribute_is_unacceptable_others_still_considered) {
    auto offered = kw("aes256gcm16-prfsha256-x25519");
    Transform odd = tr(Transform_type::PRF, 7);
    odd.other_attributes.push_back({99, true, {0, 1}});
    offered.transforms.insert(offered.transforms.begin() + 1, odd);
    auto s = select({offered}, {kw("aes256gcm16-prfsha512-prfsha256-x25519")});
    ASSERT_TRUE(s.chosen) << s.reason;
    EXPECT_EQ(transform_of(*s.chosen, Transform_type::PRF)->id, 5);  // not the one with attribute 99
}

TEST_F(Negotiation, proposal_with_unknown_transform_type_is_refused_others_processed) {
    auto bad = kw("aes256gcm16-prfsha256-x25519", Protocol_id::IKE, 1);
    bad.transforms.push_back(tr(static_cast<Transform_type>(9), 1));
    auto good = kw("aes256gcm16-prfsha256-x25519", Protocol_id::IKE, 2);
    auto s = select({bad, good}, {kw("aes256gcm16-prfsha256-x25519")});
    ASSERT_TRUE(s.chosen) << s.reason;
    EXPECT_EQ(s.chosen->number, 2);

    s = select({bad}, {kw("aes256gcm16-prfsha256-x25519")});
    ASSERT_FALSE(s.chosen);
    ASSERT_EQ(s.refusal.proposals.size(), 1u);
    EXPECT_EQ(s.refusal.proposals[0].problem, "unknown Transform Type 9");
    EXPECT_EQ(s.reason, "proposal #1 (IKE): unknown Transform Type 9");
}

TEST_F(Negotiation, proposal_whose_transforms_are_all_of_one_type_is_refused) {
    Proposal offered;
    offered.transforms = {tr(Transform_type::ENCR, 20, 256), tr(Transform_type::ENCR, 20, 128)};
    auto s = select({offered}, {kw("aes256gcm16-prfsha256-x25519")});
    ASSERT_FALSE(s.chosen);
    ASSERT_EQ(s.refusal.proposals.size(), 1u);
    EXPECT_EQ(s.refusal.proposals[0].problem, "missing mandatory PRF transform (§3.3.3)");
}

TEST_F(Negotiation, IKE_proposal_with_cbc_and_no_INTEG_is_refused) {
    Proposal offered;
    offered.transforms = {tr(Transform_type::ENCR, 12, 256), tr(Transform_type::PRF, 5), tr(Transform_type::KE, 14)};
    auto s = select({offered}, {kw("aes256-sha256-modp2048")});
    ASSERT_FALSE(s.chosen);
    EXPECT_EQ(s.reason, "proposal #1 (IKE): missing mandatory INTEG transform (§3.3.3)");
}

TEST_F(Negotiation, ESP_proposal_without_ESN_is_refused) {
    Proposal offered;
    offered.protocol = Protocol_id::ESP;
    offered.spi = {1, 2, 3, 4};
    offered.transforms = {tr(Transform_type::ENCR, 20, 128)};
    auto s = select({offered}, {kw("aes128gcm16", Protocol_id::ESP)});
    ASSERT_FALSE(s.chosen);
    EXPECT_EQ(s.reason, "proposal #1 (ESP): missing mandatory ESN transform (§3.3.3)");
}

/// How many transforms of `type` the chosen proposal holds.
std::size_t count_of(const Proposal& p, Transform_type type) {
    return static_cast<std::size_t>(std::count_if(p.transforms.begin(), p.transforms.end(),
                                                  [type](const Transform& t) { return t.type == type; }));
}

// RFC 7296 §2.7: "The accepted cryptographic suite MUST contain exactly one transform of each
// type included in the proposal." A peer's INTEG NONE beside an AEAD cipher is answered as NONE,
// not left out (before: the answer had no INTEG transform, a type the proposal included).
TEST_F(Negotiation, ESP_peer_INTEG_NONE_with_AEAD_is_chosen_as_NONE) {
    auto offered = kw("aes128gcm16", Protocol_id::ESP);
    offered.transforms.push_back(tr(Transform_type::INTEG, 0));
    auto s = select({offered}, {kw("aes128gcm16", Protocol_id::ESP)});
    ASSERT_TRUE(s.chosen) << s.reason;
    ASSERT_EQ(count_of(*s.chosen, Transform_type::INTEG), 1u);
    EXPECT_EQ(transform_of(*s.chosen, Transform_type::INTEG)->id, 0);
    for (auto type : {Transform_type::ENCR, Transform_type::ESN}) EXPECT_EQ(count_of(*s.chosen, type), 1u);
    EXPECT_EQ(s.chosen->transforms.size(), 3u);
    EXPECT_TRUE(proposal_from_offer(*s.chosen, {offered}));
}

// §2.7 with KE: a CREATE_CHILD_SA proposal offering a group and NONE, to a responder without PFS,
// is answered with KE NONE (§3.3.6: "If one of the proposals offered is for the Diffie-Hellman
// group of NONE, and the responder selects that Diffie-Hellman group ...").
TEST_F(Negotiation, ESP_peer_KE_group_or_NONE_to_a_responder_without_PFS_is_chosen_as_NONE) {
    auto offered = kw("aes128gcm16-x25519", Protocol_id::ESP);
    offered.transforms.push_back(tr(Transform_type::KE, 0));
    auto s = select({offered}, {kw("aes128gcm16", Protocol_id::ESP)});
    ASSERT_TRUE(s.chosen) << s.reason;
    ASSERT_EQ(count_of(*s.chosen, Transform_type::KE), 1u);
    EXPECT_EQ(transform_of(*s.chosen, Transform_type::KE)->id, 0);
    EXPECT_TRUE(proposal_from_offer(*s.chosen, {offered}));
    // With PFS configured our group is chosen, never NONE.
    s = select({offered}, {kw("aes128gcm16-x25519", Protocol_id::ESP)});
    ASSERT_TRUE(s.chosen) << s.reason;
    ASSERT_EQ(count_of(*s.chosen, Transform_type::KE), 1u);
    EXPECT_EQ(transform_of(*s.chosen, Transform_type::KE)->id, 31);  // Curve25519
}

TEST_F(Negotiation, KE_NONE_alone_is_refused_when_we_require_PFS) {
    auto offered = kw("aes128gcm16", Protocol_id::ESP);
    offered.transforms.push_back(tr(Transform_type::KE, 0));
    auto s = select({offered}, {kw("aes128gcm16-x25519", Protocol_id::ESP)});
    expect_single_mismatch(s, Transform_type::KE);
}

TEST_F(Negotiation, PFS_group_offered_but_not_configured_names_KE) {
    auto s = select({kw("aes128gcm16-x25519", Protocol_id::ESP)}, {kw("aes128gcm16", Protocol_id::ESP)});
    expect_single_mismatch(s, Transform_type::KE);
    EXPECT_NE(s.reason.find("KE offered [Curve25519] configured []"), std::string::npos) << s.reason;
}

TEST_F(Negotiation, several_types_fail_and_each_received_proposal_is_reported) {
    auto p1 = kw("aes256gcm16-prfsha512-x25519", Protocol_id::IKE, 1);
    auto p2 = kw("aes128-sha1-modp2048", Protocol_id::IKE, 2);
    auto s = select({p1, p2}, {kw("aes256gcm16-prfsha256-ecp256")});
    ASSERT_FALSE(s.chosen);
    ASSERT_EQ(s.refusal.proposals.size(), 2u);
    EXPECT_EQ(s.refusal.proposals[0].number, 1);
    EXPECT_EQ(s.refusal.proposals[0].mismatches.size(), 2u);  // PRF, KE
    EXPECT_EQ(s.refusal.proposals[1].number, 2);
    EXPECT_EQ(s.refusal.proposals[1].mismatches.size(), 4u);  // ENCR, PRF, INTEG, KE
    EXPECT_EQ(s.refusal.failed_types(), (std::vector<Transform_type>{Transform_type::ENCR, Transform_type::PRF,
                                                                     Transform_type::INTEG, Transform_type::KE}));
    EXPECT_NE(s.reason.find("; proposal #2 (IKE) vs configured #1: ENCR offered [ENCR_AES_CBC/128]"),
              std::string::npos)
        << s.reason;
}

TEST_F(Negotiation, wrong_protocol_is_reported) {
    auto s = select({kw("aes128gcm16", Protocol_id::ESP)}, {kw("aes256gcm16-prfsha256-x25519")});
    ASSERT_FALSE(s.chosen);
    EXPECT_EQ(s.reason, "proposal #1 (ESP): no configured ESP proposal");
}

TEST_F(Negotiation, nothing_offered) {
    auto s = select({}, {kw("aes256gcm16-prfsha256-x25519")});
    ASSERT_FALSE(s.chosen);
    EXPECT_EQ(s.reason, "no proposal received");
}

TEST_F(Negotiation, unsupported_transform_is_named) {
    // ENCR_3DES is outside the provider (legacy, RFC 8247 §2.1 MAY-): both list it, it is refused.
    Proposal p;
    p.transforms = {tr(Transform_type::ENCR, 3), tr(Transform_type::PRF, 5), tr(Transform_type::INTEG, 12),
                    tr(Transform_type::KE, 14)};
    if (crypto->supports(Transform_type::ENCR, 3, std::nullopt)) GTEST_SKIP() << "provider has 3DES";
    auto s = select({p}, {p});
    expect_single_mismatch(s, Transform_type::ENCR);
    EXPECT_TRUE(s.refusal.proposals[0].mismatches[0].unsupported);
    EXPECT_NE(s.reason.find("(not supported by the crypto provider)"), std::string::npos) << s.reason;
}

TEST_F(Negotiation, describes_transforms_with_IANA_names) {
    EXPECT_EQ(describe(tr(Transform_type::ENCR, 12, 256)), "ENCR_AES_CBC/256");
    EXPECT_EQ(describe(tr(Transform_type::INTEG, 5)), "AUTH_AES_XCBC_96");
    EXPECT_EQ(describe(tr(Transform_type::PRF, 8)), "PRF_AES128_CMAC");
    EXPECT_EQ(describe(tr(Transform_type::KE, 15)), "MODP_3072");
    EXPECT_EQ(describe(tr(Transform_type::ESN, 1)), "ESN");
    EXPECT_EQ(describe(static_cast<Transform_type>(6)), "type 6");
}

// ---- §2.9 narrowing ------------------------------------------------------------------------

Traffic_selector v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t first, std::uint8_t last) {
    Traffic_selector t;
    t.ts_type = Ts_type::TS_IPV4_ADDR_RANGE;
    t.start_address = {a, b, c, first};
    t.end_address = {a, b, c, last};
    return t;
}

// A selector of TS Type 200 as the codec keeps it (§3.13.1 layout, opaque body).
Traffic_selector unknown_type() {
    Traffic_selector t;
    t.ts_type = static_cast<Ts_type>(200);
    t.unknown_body = {0, 0, 0xff, 0xff, 10, 1, 0, 0, 10, 1, 0, 255};
    return t;
}

TEST(Narrowing, intersects_offered_with_configured) {
    auto n = narrow({v4(10, 1, 0, 0, 255)}, {v4(10, 1, 0, 128, 255)});
    ASSERT_EQ(n.size(), 1u);
    EXPECT_EQ(n[0].start_address, (Bytes{10, 1, 0, 128}));
    EXPECT_EQ(n[0].end_address, (Bytes{10, 1, 0, 255}));
    EXPECT_TRUE(narrow({v4(10, 9, 0, 0, 255)}, {v4(10, 1, 0, 0, 255)}).empty());
}

// RFC 7296 §2.9: "If the type of Traffic Selector proposed is unknown, the responder ignores
// that Traffic Selector, so that the unknown type is not returned in the narrowed set."
TEST(Narrowing, ignores_a_selector_of_unknown_TS_type_beside_a_known_one) {
    auto n = narrow({unknown_type(), v4(10, 1, 0, 0, 255)}, {v4(10, 1, 0, 0, 255)});
    ASSERT_EQ(n.size(), 1u);
    EXPECT_EQ(n[0].ts_type, Ts_type::TS_IPV4_ADDR_RANGE);
    EXPECT_EQ(n[0].start_address, (Bytes{10, 1, 0, 0}));
}

TEST(Narrowing, only_unknown_TS_types_narrow_to_nothing) {
    EXPECT_TRUE(narrow({unknown_type()}, {v4(10, 1, 0, 0, 255)}).empty());
    EXPECT_TRUE(narrow({unknown_type()}, {unknown_type()}).empty());
}

TEST(Narrowing, an_initiator_finds_no_unknown_TS_type_inside_what_it_proposed) {
    EXPECT_TRUE(selectors_within({v4(10, 1, 0, 0, 15)}, {v4(10, 1, 0, 0, 255)}));
    EXPECT_FALSE(selectors_within({unknown_type()}, {v4(10, 1, 0, 0, 255)}));
    EXPECT_FALSE(selectors_within({unknown_type(), v4(10, 1, 0, 0, 15)}, {v4(10, 1, 0, 0, 255)}));
}

TEST(Narrowing, describes_a_selector_of_unknown_TS_type_by_its_number) {
    EXPECT_EQ(describe(unknown_type()), "TS Type 200 (unknown, ignored)");
    EXPECT_EQ(describe(v4(10, 1, 0, 0, 255)), "10.1.0.0-10.1.0.255[0/0-65535]");
}

// ---- §3.13.1: ports of protocols without ports --------------------------------------------------

Traffic_selector with_ports(Traffic_selector t, std::uint8_t protocol, std::uint16_t start, std::uint16_t end) {
    t.ip_protocol = protocol;
    t.start_port = start;
    t.end_port = end;
    return t;
}

// RFC 7296 §3.13.1: "For protocols for which port is undefined (including protocol 0), or if all
// ports are allowed, [Start Port] MUST be zero" and "[End Port] MUST be 65535".
TEST(Narrowing, a_portless_protocol_is_answered_with_ports_0_to_65535) {
    // GRE (47) offered, "any protocol, any port" configured: GRE with every port.
    auto n = narrow({with_ports(v4(10, 1, 0, 0, 255), 47, 0, 65535)}, {v4(10, 1, 0, 0, 255)});
    ASSERT_EQ(n.size(), 1u);
    EXPECT_EQ(n[0].ip_protocol, 47);
    EXPECT_EQ(n[0].start_port, 0);
    EXPECT_EQ(n[0].end_port, 65535);
    // Protocol 0 offered, TCP port 80 configured: the answer is TCP, which has ports.
    n = narrow({v4(10, 1, 0, 0, 255)}, {with_ports(v4(10, 1, 0, 0, 255), 6, 80, 80)});
    ASSERT_EQ(n.size(), 1u);
    EXPECT_EQ(n[0].ip_protocol, 6);
    EXPECT_EQ(n[0].start_port, 80);
    EXPECT_EQ(n[0].end_port, 80);
}

TEST(Narrowing, ports_on_a_portless_protocol_match_nothing) {
    // Offered by a peer: protocol 0 with port 80. Before the §3.13.1 check the intersection with
    // "any" was protocol 0, ports 80..80, and that was sent back.
    EXPECT_TRUE(narrow({with_ports(v4(10, 1, 0, 0, 255), 0, 80, 80)}, {v4(10, 1, 0, 0, 255)}).empty());
    // Configured (a Config built by code): GRE with ports 1000-2000 against GRE offered.
    EXPECT_TRUE(narrow({with_ports(v4(10, 1, 0, 0, 255), 47, 0, 65535)},
                       {with_ports(v4(10, 1, 0, 0, 255), 47, 1000, 2000)})
                    .empty());
    // Beside a valid selector only the valid one is narrowed.
    auto n = narrow({with_ports(v4(10, 1, 0, 0, 255), 0, 0, 80), v4(10, 1, 0, 0, 15)}, {v4(10, 1, 0, 0, 255)});
    ASSERT_EQ(n.size(), 1u);
    EXPECT_EQ(n[0].start_port, 0);
    EXPECT_EQ(n[0].end_port, 65535);
    // The initiator does not accept such a selector in a response either.
    EXPECT_FALSE(selectors_within({with_ports(v4(10, 1, 0, 0, 15), 0, 80, 80)}, {v4(10, 1, 0, 0, 255)}));
    // ICMP keeps Type/Code in the port fields (RFC 4301 §4.4.1.1): not portless.
    n = narrow({with_ports(v4(10, 1, 0, 0, 255), 1, 0x0800, 0x08ff)}, {v4(10, 1, 0, 0, 255)});
    ASSERT_EQ(n.size(), 1u);
    EXPECT_EQ(n[0].start_port, 0x0800);
    EXPECT_EQ(describe(with_ports(v4(10, 1, 0, 0, 255), 0, 80, 80)),
              "10.1.0.0-10.1.0.255[0/80-80] (ports on a protocol without ports, §3.13.1: matches nothing)");
}

}  // namespace
}  // namespace ike::core
