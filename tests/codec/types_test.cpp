// Tests of src/codec/types.cpp: IANA names, hex helpers, constant-time comparison, Secret.
#include "tests/codec/codec_test_util.hpp"

#include <rapidcheck/gtest.h>  // after gtest.h

namespace ike {
namespace {

TEST(Types, IANA_names_of_known_values) {
    EXPECT_EQ(to_string(Exchange_type::IKE_SA_INIT), "IKE_SA_INIT");
    EXPECT_EQ(to_string(Exchange_type::INFORMATIONAL), "INFORMATIONAL");
    EXPECT_EQ(to_string(static_cast<Exchange_type>(43)), "IKE_INTERMEDIATE");
    EXPECT_EQ(to_string(Payload_type::TSr), "TSr");
    EXPECT_EQ(to_string(Payload_type::SKF), "SKF");
    EXPECT_EQ(to_string(Notify_type::INVALID_KE_PAYLOAD), "INVALID_KE_PAYLOAD");
    EXPECT_EQ(to_string(Notify_type::SIGNATURE_HASH_ALGORITHMS), "SIGNATURE_HASH_ALGORITHMS");
    EXPECT_EQ(to_string(static_cast<Notify_type>(16403)), "AUTH_LIFETIME");  // tshark's name in aes256cbc
    EXPECT_EQ(to_string(Encr_id::ENCR_AES_GCM_16), "ENCR_AES_GCM_16");
    EXPECT_EQ(to_string(Encr_id::ENCR_CHACHA20_POLY1305), "ENCR_CHACHA20_POLY1305");
    EXPECT_EQ(to_string(static_cast<Encr_id>(21)), "ENCR_NULL_AUTH_AES_GMAC");
    EXPECT_EQ(to_string(Prf_id::PRF_AES128_XCBC), "PRF_AES128_XCBC");
    EXPECT_EQ(to_string(Integ_id::AUTH_HMAC_SHA2_512_256), "AUTH_HMAC_SHA2_512_256");
    EXPECT_EQ(to_string(Ke_id::Curve25519), "Curve25519");
    EXPECT_EQ(to_string(Ke_id::MODP_2048), "MODP_2048");
}

TEST(Types, unknown_values_print_as_decimal) {
    EXPECT_EQ(to_string(static_cast<Exchange_type>(200)), "200");
    EXPECT_EQ(to_string(static_cast<Payload_type>(100)), "100");
    EXPECT_EQ(to_string(static_cast<Notify_type>(40000)), "40000");
    EXPECT_EQ(to_string(static_cast<Encr_id>(1024)), "1024");
    EXPECT_EQ(to_string(static_cast<Prf_id>(99)), "99");
    EXPECT_EQ(to_string(static_cast<Integ_id>(99)), "99");
    EXPECT_EQ(to_string(static_cast<Ke_id>(1000)), "1000");
}

TEST(Types, hex_round_trip_and_errors) {
    EXPECT_EQ(to_hex(Bytes{0x00, 0xab, 0xff}), "00abff");
    EXPECT_EQ(from_hex("00ABff"), (Bytes{0x00, 0xab, 0xff}));
    EXPECT_TRUE(from_hex("").empty());
    EXPECT_THROW(from_hex("abc"), std::invalid_argument);
    EXPECT_THROW(from_hex("zz"), std::invalid_argument);
    EXPECT_THROW(from_hex("0g"), std::invalid_argument);
}

TEST(Types, equal_constant_time_compares_contents_and_length) {
    EXPECT_TRUE(equal_constant_time(Bytes{1, 2, 3}, Bytes{1, 2, 3}));
    EXPECT_FALSE(equal_constant_time(Bytes{1, 2, 3}, Bytes{1, 2, 4}));
    EXPECT_FALSE(equal_constant_time(Bytes{0x80, 2, 3}, Bytes{0, 2, 3}));
    EXPECT_FALSE(equal_constant_time(Bytes{1, 2}, Bytes{1, 2, 3}));
    EXPECT_TRUE(equal_constant_time(Bytes{}, Bytes{}));
}

TEST(Types, secret_hex_clone_and_move_wipes_source) {
    Secret s(from_hex("be83fe15f6a9976941870830fe26c014b863b3"));  // SK_ei of aes128ccm12
    EXPECT_EQ(s.hex(), "be83fe15f6a9976941870830fe26c014b863b3");
    Secret c = s.clone();
    EXPECT_TRUE(equal_constant_time(c.view(), s.view()));
    Secret moved = std::move(s);
    EXPECT_EQ(moved.size(), 19u);
    EXPECT_TRUE(s.empty());  // NOLINT(bugprone-use-after-move): checking the wipe
}

RC_GTEST_PROP(Types, from_hex_inverts_to_hex, (const Bytes& b)) { RC_ASSERT(from_hex(to_hex(b)) == b); }

}  // namespace
}  // namespace ike
