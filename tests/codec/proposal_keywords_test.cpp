// Tests of src/codec/proposal_keywords.cpp: strongSwan proposal keywords <-> proposals.
// Expected ids are the IANA "IKEv2 Transform Type" registry numbers, written as literals.
#include "src/codec/proposal_keywords.hpp"
#include "tests/codec/codec_test_util.hpp"

namespace ike {
namespace {


struct Expected {
    int type;
    int id;
    int key_length;  // 0 = none
};

std::vector<Expected> transforms_of(const std::string& kw, Protocol_id protocol) {
    std::string error;
    auto p = codec::parse_proposal(kw, protocol, &error);
    if (!p) {
        ADD_FAILURE() << kw << ": " << error;
        return {};
    }
    std::vector<Expected> out;
    for (const auto& t : p->transforms)
        out.push_back({static_cast<int>(t.type), t.id, t.key_length ? *t.key_length : 0});
    return out;
}

bool operator==(const Expected& a, const Expected& b) {
    return a.type == b.type && a.id == b.id && a.key_length == b.key_length;
}
std::ostream& operator<<(std::ostream& os, const Expected& e) {
    return os << "{" << e.type << "," << e.id << "," << e.key_length << "}";
}

TEST(Proposal_keywords, IKE_AEAD_with_prf) {
    // ENCR_AES_GCM_16 = 20 / 256, PRF_HMAC_SHA2_256 = 5, Curve25519 = 31.
    EXPECT_EQ(transforms_of("aes256gcm16-prfsha256-x25519", Protocol_id::IKE),
              (std::vector<Expected>{{1, 20, 256}, {2, 5, 0}, {4, 31, 0}}));
    // ENCR_AES_GCM_16 = 20 / 128, ECP_256 = 19.
    EXPECT_EQ(transforms_of("aes128gcm16-prfsha256-ecp256", Protocol_id::IKE),
              (std::vector<Expected>{{1, 20, 128}, {2, 5, 0}, {4, 19, 0}}));
    // ENCR_CHACHA20_POLY1305 = 28 (no Key Length attribute), PRF_HMAC_SHA2_512 = 7.
    EXPECT_EQ(transforms_of("chacha20poly1305-prfsha512-x25519", Protocol_id::IKE),
              (std::vector<Expected>{{1, 28, 0}, {2, 7, 0}, {4, 31, 0}}));
    EXPECT_EQ(transforms_of("aes256gcm128-prfsha384-curve25519", Protocol_id::IKE),
              (std::vector<Expected>{{1, 20, 256}, {2, 6, 0}, {4, 31, 0}}));
}

TEST(Proposal_keywords, IKE_non_AEAD_derives_prf_from_integrity) {
    // ENCR_AES_CBC = 12 / 256, PRF_HMAC_SHA2_256 = 5, AUTH_HMAC_SHA2_256_128 = 12, MODP_2048 = 14.
    EXPECT_EQ(transforms_of("aes256-sha256-modp2048", Protocol_id::IKE),
              (std::vector<Expected>{{1, 12, 256}, {2, 5, 0}, {3, 12, 0}, {4, 14, 0}}));
    // ENCR_AES_CTR = 13, PRF_AES128_XCBC = 4, AUTH_AES_XCBC_96 = 5, MODP_3072 = 15.
    EXPECT_EQ(transforms_of("aes128ctr-aesxcbc-modp3072", Protocol_id::IKE),
              (std::vector<Expected>{{1, 13, 128}, {2, 4, 0}, {3, 5, 0}, {4, 15, 0}}));
    // An explicit prf wins: PRF_HMAC_SHA1 = 2 with AUTH_HMAC_SHA2_512_256 = 14.
    EXPECT_EQ(transforms_of("3des-sha512-prfsha1-modp1024", Protocol_id::IKE),
              (std::vector<Expected>{{1, 3, 0}, {2, 2, 0}, {3, 14, 0}, {4, 2, 0}}));
    EXPECT_EQ(transforms_of("aes192-sha1-aescmac-ecp521", Protocol_id::IKE),
              (std::vector<Expected>{{1, 12, 192}, {2, 2, 0}, {2, 8, 0}, {3, 2, 0}, {3, 8, 0}, {4, 21, 0}}));
}

TEST(Proposal_keywords, several_keywords_of_one_type) {
    EXPECT_EQ(transforms_of("aes128-aes256-sha256-modp2048-ecp256", Protocol_id::IKE),
              (std::vector<Expected>{{1, 12, 128}, {1, 12, 256}, {2, 5, 0}, {3, 12, 0}, {4, 14, 0}, {4, 19, 0}}));
}

TEST(Proposal_keywords, ESP_gets_No_ESN_unless_told) {
    // ESN transform type 5: No_ESN = 0, ESN = 1.
    EXPECT_EQ(transforms_of("aes128-sha256", Protocol_id::ESP),
              (std::vector<Expected>{{1, 12, 128}, {3, 12, 0}, {5, 0, 0}}));
    EXPECT_EQ(transforms_of("aes256gcm16-modp2048-esn", Protocol_id::ESP),
              (std::vector<Expected>{{1, 20, 256}, {4, 14, 0}, {5, 1, 0}}));
    EXPECT_EQ(transforms_of("aes128ccm12-esn-noesn", Protocol_id::ESP),
              (std::vector<Expected>{{1, 15, 128}, {5, 1, 0}, {5, 0, 0}}));
    EXPECT_EQ(transforms_of("null-sha384", Protocol_id::AH),
              (std::vector<Expected>{{1, 11, 0}, {3, 13, 0}, {5, 0, 0}}));
}

TEST(Proposal_keywords, every_keyword_maps_to_its_IANA_id) {
    struct Row {
        const char* word;
        int type;
        int id;
        int key_length;
    };
    const Row rows[] = {
        {"aes128", 1, 12, 128},      {"aes192", 1, 12, 192},      {"aes256", 1, 12, 256},
        {"aes128ctr", 1, 13, 128},   {"aes192ctr", 1, 13, 192},   {"aes256ctr", 1, 13, 256},
        {"aes128gcm8", 1, 18, 128},  {"aes128gcm64", 1, 18, 128}, {"aes192gcm12", 1, 19, 192},
        {"aes192gcm96", 1, 19, 192}, {"aes256gcm16", 1, 20, 256}, {"aes256gcm128", 1, 20, 256},
        {"aes128ccm8", 1, 14, 128},  {"aes128ccm12", 1, 15, 128}, {"aes256ccm16", 1, 16, 256},
        {"chacha20poly1305", 1, 28, 0}, {"3des", 1, 3, 0},       {"null", 1, 11, 0},
        {"sha1", 3, 2, 0},           {"sha256", 3, 12, 0},        {"sha384", 3, 13, 0},
        {"sha512", 3, 14, 0},        {"aesxcbc", 3, 5, 0},        {"aescmac", 3, 8, 0},
        {"prfsha1", 2, 2, 0},        {"prfsha256", 2, 5, 0},      {"prfsha384", 2, 6, 0},
        {"prfsha512", 2, 7, 0},      {"prfaesxcbc", 2, 4, 0},     {"prfaescmac", 2, 8, 0},
        {"modp1024", 4, 2, 0},       {"modp1536", 4, 5, 0},       {"modp2048", 4, 14, 0},
        {"modp3072", 4, 15, 0},      {"modp4096", 4, 16, 0},      {"modp6144", 4, 17, 0},
        {"modp8192", 4, 18, 0},      {"ecp256", 4, 19, 0},        {"ecp384", 4, 20, 0},
        {"ecp521", 4, 21, 0},        {"x25519", 4, 31, 0},        {"curve25519", 4, 31, 0},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.word);
        // Complete the keyword into a valid ESP proposal and look for the transform.
        std::string kw = r.word;
        const bool aead = r.type == 1 && (r.id == 14 || r.id == 15 || r.id == 16 || r.id == 18 ||
                                          r.id == 19 || r.id == 20 || r.id == 28);
        if (r.type != 1) kw = "aes128gcm16-" + kw;
        else if (!aead) kw += "-sha256";
        if (r.type == 3) kw = "aes128-" + std::string(r.word);
        const Protocol_id protocol = r.type == 2 ? Protocol_id::IKE : Protocol_id::ESP;
        if (protocol == Protocol_id::IKE) kw += "-modp2048";
        const auto got = transforms_of(kw, protocol);
        EXPECT_NE(std::find(got.begin(), got.end(), Expected{r.type, r.id, r.key_length}), got.end()) << kw;
    }
}

TEST(Proposal_keywords, refuses_bad_strings_with_a_reason) {
    struct Bad {
        const char* kw;
        Protocol_id protocol;
    };
    for (const Bad& b : {Bad{"aes256-sha256-modp2049", Protocol_id::IKE}, Bad{"", Protocol_id::IKE},
                         Bad{"aes256--sha256-modp2048", Protocol_id::IKE},
                         Bad{"aes256gcm16-x25519", Protocol_id::IKE},          // IKE AEAD needs a prf
                         Bad{"aes256-modp2048", Protocol_id::IKE},             // no integrity
                         Bad{"aes256gcm16-sha256-prfsha256-x25519", Protocol_id::IKE},  // AEAD + integ
                         Bad{"aes256-aes256gcm16-sha256-prfsha256-x25519", Protocol_id::IKE},
                         Bad{"aes256-sha256", Protocol_id::IKE},               // no KE
                         Bad{"aes256-sha256-modp2048-esn", Protocol_id::IKE},
                         Bad{"aes256-sha256-prfsha256", Protocol_id::ESP},
                         Bad{"sha256-modp2048", Protocol_id::ESP}}) {
        std::string error;
        EXPECT_FALSE(codec::parse_proposal(b.kw, b.protocol, &error).has_value()) << b.kw;
        EXPECT_FALSE(error.empty()) << b.kw;
    }
    EXPECT_FALSE(codec::parse_proposal("bogus", Protocol_id::IKE, nullptr).has_value());
    std::string error;
    codec::parse_proposal("aes256-sha256-modp2049", Protocol_id::IKE, &error);
    EXPECT_NE(error.find("modp2049"), std::string::npos);
}

TEST(Proposal_keywords, print_then_parse_round_trip) {
    const std::pair<const char*, Protocol_id> cases[] = {
        {"aes256gcm16-prfsha256-x25519", Protocol_id::IKE},
        {"aes256-sha256-modp2048", Protocol_id::IKE},
        {"aes128-aes256-sha256-modp2048-ecp256", Protocol_id::IKE},
        {"aes128ctr-aesxcbc-modp3072", Protocol_id::IKE},
        {"chacha20poly1305-prfsha512-x25519", Protocol_id::IKE},
        {"aes128gcm64-prfaescmac-curve25519", Protocol_id::IKE},
        {"aes128-sha256", Protocol_id::ESP},
        {"aes256gcm16-modp2048-esn", Protocol_id::ESP},
        {"aes128ccm12-esn-noesn", Protocol_id::ESP},
        {"3des-sha1-noesn", Protocol_id::ESP},
    };
    for (const auto& [kw, protocol] : cases) {
        SCOPED_TRACE(kw);
        auto p = codec::parse_proposal(kw, protocol, nullptr);
        ASSERT_TRUE(p.has_value());
        const std::string printed = codec::proposal_keyword(*p);
        auto again = codec::parse_proposal(printed, protocol, nullptr);
        ASSERT_TRUE(again.has_value()) << printed;
        EXPECT_EQ(*again, *p) << printed;
        EXPECT_EQ(codec::proposal_keyword(*again), printed);
    }
}

TEST(Proposal_keywords, canonical_spellings) {
    auto kw = [](const char* s, Protocol_id p) { return codec::proposal_keyword(*codec::parse_proposal(s, p, nullptr)); };
    EXPECT_EQ(kw("aes256gcm16-prfsha256-x25519", Protocol_id::IKE), "aes256gcm16-prfsha256-x25519");
    EXPECT_EQ(kw("aes256-sha256-modp2048", Protocol_id::IKE), "aes256-sha256-prfsha256-modp2048");
    EXPECT_EQ(kw("aes128gcm128-prfsha256-curve25519", Protocol_id::IKE), "aes128gcm16-prfsha256-x25519");
    EXPECT_EQ(kw("aes128-sha256", Protocol_id::ESP), "aes128-sha256");
    EXPECT_EQ(kw("aes128-sha256-noesn", Protocol_id::ESP), "aes128-sha256");
    EXPECT_EQ(kw("aes128-sha256-esn", Protocol_id::ESP), "aes128-sha256-esn");
}

TEST(Proposal_keywords, keyword_of_the_captured_aes128ccm12_proposal) {
    // The proposal in the Wireshark aes128ccm12 capture: ENCR_AES_CCM_12/128, PRF_HMAC_SHA2_256, ECP_256.
    const Message m = test::decode_ok(test::aes128ccm12_messages().at(0));
    const auto& p = std::get<Payload_SA>(m.payloads.at(0).body).proposals.at(0);
    EXPECT_EQ(codec::proposal_keyword(p), "aes128ccm12-prfsha256-ecp256");
    EXPECT_EQ(*codec::parse_proposal("aes128ccm12-prfsha256-ecp256", Protocol_id::IKE, nullptr), p);
}

}  // namespace
}  // namespace ike
