// Every transform of the registry (issue 4 item 1) through two in-memory Endpoints: an IKE SA
// and a CHILD SA with that transform, each side once as initiator and once as responder; both
// sides derive identical keys of the transform's sizes (RFC 7296 §2.14, §2.17), and the keyword
// of the chosen proposal parses and prints back (strongSwan's proposal keywords).
// Legacy transforms (3DES, MODP 768/1024/1536, ECP 192/224) are negotiated only when configured
// explicitly: a responder with the default proposals refuses them (RFC 8247 §2.1, §2.4).
#include <gtest/gtest.h>

#include <algorithm>

#include "src/codec/proposal_keywords.hpp"
#include "tests/support/peer_pair.hpp"
#include "tests/support/vectors.hpp"

namespace ike::test {
namespace {

struct Suite {
    std::string name;
    std::string ike;  ///< IKE proposal keyword, configured on both sides
    std::string esp;  ///< ESP proposal keyword, configured on both sides
    bool b_initiates = false;
};

void PrintTo(const Suite& s, std::ostream* os) { *os << s.ike << " / " << s.esp; }

std::vector<Suite> suites() {
    // Transform under test first; the rest is a fixed, modern filler.
    const std::vector<std::pair<std::string, std::pair<std::string, std::string>>> base = {
        // ENCR (Transform Type 1), IKE and ESP
        {"ENCR_AES_CBC_128", {"aes128-sha256-x25519", "aes128-sha256"}},
        {"ENCR_AES_CBC_192", {"aes192-sha256-x25519", "aes192-sha256"}},
        {"ENCR_AES_CBC_256", {"aes256-sha256-x25519", "aes256-sha256"}},
        {"ENCR_AES_CTR_128", {"aes128ctr-sha256-x25519", "aes128ctr-sha256"}},
        {"ENCR_AES_CTR_192", {"aes192ctr-sha256-x25519", "aes192ctr-sha256"}},
        {"ENCR_AES_CTR_256", {"aes256ctr-sha256-x25519", "aes256ctr-sha256"}},
        {"ENCR_AES_GCM_8", {"aes128gcm8-prfsha256-x25519", "aes128gcm8"}},
        {"ENCR_AES_GCM_12", {"aes192gcm12-prfsha256-x25519", "aes192gcm12"}},
        {"ENCR_AES_GCM_16", {"aes256gcm16-prfsha256-x25519", "aes256gcm16"}},
        {"ENCR_AES_CCM_8", {"aes128ccm8-prfsha256-x25519", "aes128ccm8"}},
        {"ENCR_AES_CCM_12", {"aes192ccm12-prfsha256-x25519", "aes192ccm12"}},
        {"ENCR_AES_CCM_16", {"aes256ccm16-prfsha256-x25519", "aes256ccm16"}},
        {"ENCR_CHACHA20_POLY1305", {"chacha20poly1305-prfsha256-x25519", "chacha20poly1305"}},
        {"ENCR_3DES_legacy", {"3des-sha256-x25519", "3des-sha256"}},
        {"ENCR_NULL_ESP_only", {"aes128-sha256-x25519", "null-sha256"}},
        // PRF (Transform Type 2)
        {"PRF_HMAC_SHA1", {"aes128-sha256-prfsha1-x25519", "aes128gcm16"}},
        {"PRF_HMAC_SHA2_256", {"aes128-sha256-prfsha256-x25519", "aes128gcm16"}},
        {"PRF_HMAC_SHA2_384", {"aes128-sha256-prfsha384-x25519", "aes128gcm16"}},
        {"PRF_HMAC_SHA2_512", {"aes128-sha256-prfsha512-x25519", "aes128gcm16"}},
        {"PRF_AES128_XCBC", {"aes128-sha256-prfaesxcbc-x25519", "aes128gcm16"}},
        {"PRF_AES128_CMAC", {"aes128-sha256-prfaescmac-x25519", "aes128gcm16"}},
        // INTEG (Transform Type 3), IKE and ESP
        {"AUTH_HMAC_SHA1_96", {"aes128-sha1-prfsha256-x25519", "aes128-sha1"}},
        {"AUTH_HMAC_SHA2_256_128", {"aes128-sha256-prfsha256-x25519", "aes128-sha256"}},
        {"AUTH_HMAC_SHA2_384_192", {"aes128-sha384-prfsha256-x25519", "aes128-sha384"}},
        {"AUTH_HMAC_SHA2_512_256", {"aes128-sha512-prfsha256-x25519", "aes128-sha512"}},
        {"AUTH_AES_XCBC_96", {"aes128-aesxcbc-prfsha256-x25519", "aes128-aesxcbc"}},
        {"AUTH_AES_CMAC_96", {"aes128-aescmac-prfsha256-x25519", "aes128-aescmac"}},
        // Key exchange (Transform Type 4)
        {"MODP_2048", {"aes128gcm16-prfsha256-modp2048", "aes128gcm16"}},
        {"MODP_3072", {"aes128gcm16-prfsha256-modp3072", "aes128gcm16"}},
        {"MODP_4096", {"aes128gcm16-prfsha256-modp4096", "aes128gcm16"}},
        {"MODP_6144", {"aes128gcm16-prfsha256-modp6144", "aes128gcm16"}},
        {"MODP_8192", {"aes128gcm16-prfsha256-modp8192", "aes128gcm16"}},
        {"ECP_256", {"aes128gcm16-prfsha256-ecp256", "aes128gcm16"}},
        {"ECP_384", {"aes128gcm16-prfsha256-ecp384", "aes128gcm16"}},
        {"ECP_521", {"aes128gcm16-prfsha256-ecp521", "aes128gcm16"}},
        {"BRAINPOOL_P224", {"aes128gcm16-prfsha256-ecp224bp", "aes128gcm16"}},
        {"BRAINPOOL_P256", {"aes128gcm16-prfsha256-ecp256bp", "aes128gcm16"}},
        {"BRAINPOOL_P384", {"aes128gcm16-prfsha256-ecp384bp", "aes128gcm16"}},
        {"BRAINPOOL_P512", {"aes128gcm16-prfsha256-ecp512bp", "aes128gcm16"}},
        {"Curve25519", {"aes128gcm16-prfsha256-x25519", "aes128gcm16"}},
        {"MODP_768_legacy", {"aes128gcm16-prfsha256-modp768", "aes128gcm16"}},
        {"MODP_1024_legacy", {"aes128gcm16-prfsha256-modp1024", "aes128gcm16"}},
        {"MODP_1536_legacy", {"aes128gcm16-prfsha256-modp1536", "aes128gcm16"}},
        {"ECP_192_legacy", {"aes128gcm16-prfsha256-ecp192", "aes128gcm16"}},
        {"ECP_224_legacy", {"aes128gcm16-prfsha256-ecp224", "aes128gcm16"}},
        // A PFS group in the ESP proposal is left out of IKE_AUTH (§1.2): still establishes.
        {"ESP_with_PFS_group", {"aes128gcm16-prfsha256-x25519", "aes128gcm16-ecp256"}},
    };
    std::vector<Suite> out;
    for (const auto& [name, kw] : base) {
        out.push_back({name + "_a_initiates", kw.first, kw.second, false});
        out.push_back({name + "_b_initiates", kw.first, kw.second, true});
    }
    return out;
}

Proposal parsed(const std::string& keyword, Protocol_id protocol) {
    std::string error;
    auto p = codec::parse_proposal(keyword, protocol, &error);
    if (!p) throw std::invalid_argument(error);
    return *p;
}

/// The keyword of `chosen` parses back to the same transforms and prints the same keyword.
void expect_keyword_round_trip(const Proposal& chosen, Protocol_id protocol, const std::string& configured) {
    const std::string kw = codec::proposal_keyword(chosen);
    std::string error;
    const auto back = codec::parse_proposal(kw, protocol, &error);
    ASSERT_TRUE(back) << kw << ": " << error;
    EXPECT_EQ(back->transforms, chosen.transforms) << kw;
    EXPECT_EQ(codec::proposal_keyword(*back), kw);
    // One proposal with one transform per type is configured: the responder chose exactly it.
    EXPECT_EQ(kw, codec::proposal_keyword(parsed(configured, protocol)));
}

class Transforms : public ::testing::TestWithParam<Suite> {};

TEST_P(Transforms, establish_IKE_and_CHILD_SA_with_identical_keys) {
    const Suite& s = GetParam();
    Peer_pair p(make_config(true, s.ike, s.esp), make_config(false, s.ike, s.esp));
    if (s.b_initiates) {
        p.absorb(p.b, false, p.b.ep->handle(Initiate{"home", "", p.now}));
    } else {
        p.initiate();
    }
    p.run();
    ASSERT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    ASSERT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    ASSERT_TRUE(p.a.has_event(Sa_event_kind::CHILD_SA_installed)) << p.transcript();
    ASSERT_TRUE(p.b.has_event(Sa_event_kind::CHILD_SA_installed)) << p.transcript();

    // §2.14: both sides derived the same SK_* (Keys_derived with Config::log_keys).
    ASSERT_EQ(p.a.keys.size(), 1u);
    ASSERT_EQ(p.b.keys.size(), 1u);
    const Keys_derived& ka = p.a.keys[0];
    const Keys_derived& kb = p.b.keys[0];
    EXPECT_EQ(ka.SPIi, kb.SPIi);
    EXPECT_EQ(ka.SPIr, kb.SPIr);
    for (auto [x, y] : {std::pair{&ka.SK_d, &kb.SK_d}, {&ka.SK_ei, &kb.SK_ei}, {&ka.SK_er, &kb.SK_er},
                        {&ka.SK_ai, &kb.SK_ai}, {&ka.SK_ar, &kb.SK_ar}, {&ka.SK_pi, &kb.SK_pi},
                        {&ka.SK_pr, &kb.SK_pr}}) {
        EXPECT_EQ(x->hex(), y->hex());
    }
    // Sizes follow the chosen transforms (§2.14: SK_d/SK_pi/SK_pr the PRF's key length).
    const auto crypto = make_botan_provider();
    const Proposal& ike = ka.proposal;
    const auto prf_t = std::find_if(ike.transforms.begin(), ike.transforms.end(),
                                     [](const Transform& t) { return t.type == Transform_type::PRF; });
    const auto encr_t = std::find_if(ike.transforms.begin(), ike.transforms.end(),
                                      [](const Transform& t) { return t.type == Transform_type::ENCR; });
    ASSERT_NE(prf_t, ike.transforms.end());
    ASSERT_NE(encr_t, ike.transforms.end());
    EXPECT_EQ(ka.SK_d.size(), crypto->prf(static_cast<Prf_id>(prf_t->id))->key_size());
    EXPECT_EQ(ka.SK_ei.size(),
              crypto->cipher(static_cast<Encr_id>(encr_t->id), encr_t->key_length.value_or(0))->key_size());
    EXPECT_NE(ka.SK_ei.hex(), ka.SK_er.hex());
    expect_keyword_round_trip(ike, Protocol_id::IKE, s.ike);
    ASSERT_EQ(p.a.ep->list().size(), 1u);
    EXPECT_EQ(p.a.ep->list()[0].proposal, codec::proposal_keyword(ike));
    EXPECT_EQ(p.b.ep->list()[0].proposal, codec::proposal_keyword(ike));

    // §2.17: the CHILD SA keys mirror each other.
    ASSERT_EQ(p.a.installed.size(), 1u);
    ASSERT_EQ(p.b.installed.size(), 1u);
    const Child_sa& ca = p.a.installed[0];
    const Child_sa& cb = p.b.installed[0];
    EXPECT_EQ(ca.spi_in, cb.spi_out);
    EXPECT_EQ(ca.spi_out, cb.spi_in);
    EXPECT_EQ(ca.encr_key_in.hex(), cb.encr_key_out.hex());
    EXPECT_EQ(ca.encr_key_out.hex(), cb.encr_key_in.hex());
    EXPECT_EQ(ca.integ_key_in.hex(), cb.integ_key_out.hex());
    EXPECT_EQ(ca.integ_key_out.hex(), cb.integ_key_in.hex());
    const auto esp_encr = std::find_if(ca.proposal.transforms.begin(), ca.proposal.transforms.end(),
                                        [](const Transform& t) { return t.type == Transform_type::ENCR; });
    ASSERT_NE(esp_encr, ca.proposal.transforms.end());
    EXPECT_EQ(ca.encr_key_in.size(),
              crypto->cipher(static_cast<Encr_id>(esp_encr->id), esp_encr->key_length.value_or(0))->key_size());
    // §1.2: a PFS group is not negotiated in IKE_AUTH, so the installed proposal has none.
    Proposal esp_configured = parsed(s.esp, Protocol_id::ESP);
    esp_configured.transforms.erase(
        std::remove_if(esp_configured.transforms.begin(), esp_configured.transforms.end(),
                       [](const Transform& t) { return t.type == Transform_type::KE; }),
        esp_configured.transforms.end());
    expect_keyword_round_trip(ca.proposal, Protocol_id::ESP, codec::proposal_keyword(esp_configured));
}

INSTANTIATE_TEST_SUITE_P(RFC_8247_registry, Transforms, ::testing::ValuesIn(suites()),
                         [](const ::testing::TestParamInfo<Suite>& i) { return i.param.name; });

// ---- Legacy transforms are off by default ---------------------------------------------------

class Legacy_off_by_default : public ::testing::TestWithParam<std::string> {};

TEST_P(Legacy_off_by_default, a_responder_configured_without_it_answers_NO_PROPOSAL_CHOSEN) {
    // The initiator offers only the legacy transform; the responder has the test defaults
    // (aes256gcm16-prfsha256-x25519 / aes256gcm16), which name no legacy transform.
    const std::string& offer = GetParam();
    Peer_pair p(make_config(true, offer), make_config(false));
    p.initiate();
    p.run();
    EXPECT_FALSE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_EQ(p.b.ep->ike_sa_count(), 0u);
    EXPECT_TRUE(std::any_of(p.b.traces.begin(), p.b.traces.end(), [](const Message_trace& t) {
        return t.sent && t.notation.find("N(NO_PROPOSAL_CHOSEN)") != std::string::npos;
    })) << p.transcript();
}

INSTANTIATE_TEST_SUITE_P(RFC_8247, Legacy_off_by_default,
                         ::testing::Values("3des-sha256-prfsha256-x25519", "aes256gcm16-prfsha256-modp768",
                                           "aes256gcm16-prfsha256-modp1024", "aes256gcm16-prfsha256-modp1536",
                                           "aes256gcm16-prfsha256-ecp192", "aes256gcm16-prfsha256-ecp224"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return test_name(i.param); });

TEST(Legacy_off_by_default_ESP, 3DES_CHILD_SA_is_refused_by_a_responder_configured_without_it) {
    // IKE with the defaults, ESP offering only 3des-sha1: the IKE SA is established, the CHILD SA
    // is refused with NO_PROPOSAL_CHOSEN in the IKE_AUTH response (§1.2, §2.21.2).
    Peer_pair p(make_config(true, "aes256gcm16-prfsha256-x25519", "3des-sha1"), make_config(false));
    p.initiate();
    p.run();
    EXPECT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_TRUE(p.b.installed.empty());
    EXPECT_TRUE(p.a.installed.empty());
    EXPECT_TRUE(std::any_of(p.b.traces.begin(), p.b.traces.end(), [](const Message_trace& t) {
        return t.sent && t.notation.rfind("IKE_AUTH response", 0) == 0 &&
               t.notation.find("N(NO_PROPOSAL_CHOSEN)") != std::string::npos;
    })) << p.transcript();
}

TEST(Proposal_keywords, null_encryption_is_refused_for_IKE_and_accepted_for_ESP) {
    std::string error;
    EXPECT_FALSE(codec::parse_proposal("null-sha256-x25519", Protocol_id::IKE, &error));
    EXPECT_NE(error.find("ESP only"), std::string::npos) << error;
    const auto esp = codec::parse_proposal("null-sha256", Protocol_id::ESP, &error);
    ASSERT_TRUE(esp) << error;
    EXPECT_EQ(codec::proposal_keyword(*esp), "null-sha256");
}

TEST(Proposal_keywords, legacy_and_brainpool_keywords_carry_their_IANA_ids) {
    const std::pair<const char*, Ke_id> groups[] = {
        {"modp768", Ke_id::MODP_768},          {"modp1024", Ke_id::MODP_1024},
        {"modp1536", Ke_id::MODP_1536},        {"ecp192", Ke_id::ECP_192},
        {"ecp224", Ke_id::ECP_224},            {"ecp224bp", Ke_id::BRAINPOOL_P224},
        {"ecp256bp", Ke_id::BRAINPOOL_P256},   {"ecp384bp", Ke_id::BRAINPOOL_P384},
        {"ecp512bp", Ke_id::BRAINPOOL_P512}};
    // IANA "Transform Type 4": 1, 2, 5, 25, 26, 27, 28, 29, 30.
    const std::uint16_t iana[] = {1, 2, 5, 25, 26, 27, 28, 29, 30};
    for (std::size_t i = 0; i < std::size(groups); ++i) {
        const auto p = parsed(std::string("aes128-sha256-") + groups[i].first, Protocol_id::IKE);
        const auto ke = std::find_if(p.transforms.begin(), p.transforms.end(),
                                     [](const Transform& t) { return t.type == Transform_type::KE; });
        ASSERT_NE(ke, p.transforms.end());
        EXPECT_EQ(ke->id, iana[i]) << groups[i].first;
        EXPECT_EQ(ke->id, static_cast<std::uint16_t>(groups[i].second));
    }
    const auto des = parsed("3des-sha1", Protocol_id::ESP);
    EXPECT_EQ(des.transforms[0].id, 3u);  // IANA ENCR_3DES
    EXPECT_FALSE(des.transforms[0].key_length.has_value());
}

}  // namespace
}  // namespace ike::test
