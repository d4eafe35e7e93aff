// src/io/sa_backend: Wireshark UAT rows. The expected ikev2_decryption_table rows are the lines
// of Wireshark's own table (shared/testdata/wireshark-ikev2/ikev2_decryption_table.csv); the
// esp_sa field order and labels are those of Wireshark's packet-ipsec.c UAT.
#include "src/io/sa_backend.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace {

using ike::Encr_id;
using ike::Integ_id;
using ike::Transform_type;

std::string wireshark_row(const std::string& spii) {
    std::ifstream in(std::string(IKEREF_SHARED_DIR) +
                     "/testdata/wireshark-ikev2/ikev2_decryption_table.csv");
    EXPECT_TRUE(in.good()) << "testdata missing";
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(spii + ",", 0) == 0) return line;
    ADD_FAILURE() << "no row for " << spii;
    return "";
}

std::vector<std::string> split_csv(const std::string& line) {
    std::vector<std::string> f;
    std::string cur;
    bool quoted = false;
    for (char c : line) {
        if (c == '"') {
            quoted = !quoted;
        } else if (c == ',' && !quoted) {
            f.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    f.push_back(cur);
    return f;
}

ike::Proposal ike_proposal(Encr_id e, std::optional<std::uint16_t> bits, Integ_id i) {
    ike::Proposal p;
    p.protocol = ike::Protocol_id::IKE;
    ike::Transform t;
    t.type = Transform_type::ENCR;
    t.id = static_cast<std::uint16_t>(e);
    t.key_length = bits;
    p.transforms.push_back(t);
    if (i != Integ_id::NONE) {
        ike::Transform a;
        a.type = Transform_type::INTEG;
        a.id = static_cast<std::uint16_t>(i);
        p.transforms.push_back(a);
    }
    ike::Transform prf;
    prf.type = Transform_type::PRF;
    prf.id = 5;
    p.transforms.push_back(prf);
    return p;
}

/// Keys_derived from the key fields of Wireshark's row, our row compared with the whole line.
void expect_row_matches(const std::string& spii, const ike::Proposal& proposal) {
    const std::string line = wireshark_row(spii);
    const auto f = split_csv(line);
    ASSERT_EQ(f.size(), 8u) << line;
    ike::Keys_derived k;
    k.SPIi = std::stoull(f[0], nullptr, 16);
    k.SPIr = std::stoull(f[1], nullptr, 16);
    k.SK_ei = ike::Secret(ike::from_hex(f[2]));
    k.SK_er = ike::Secret(ike::from_hex(f[3]));
    k.SK_ai = ike::Secret(ike::from_hex(f[5]));
    k.SK_ar = ike::Secret(ike::from_hex(f[6]));
    k.proposal = proposal;
    EXPECT_EQ(ike::io::ikev2_decryption_table_row(k), line);
}

TEST(ikev2_decryption_table, AES_CBC_256_with_HMAC_SHA2_256_128_row_as_Wireshark) {
    expect_row_matches("191ccd371a7a1f7b",
                       ike_proposal(Encr_id::ENCR_AES_CBC, 256, Integ_id::AUTH_HMAC_SHA2_256_128));
}

TEST(ikev2_decryption_table, AES_GCM_256_16_octet_ICV_row_as_Wireshark) {
    expect_row_matches("0158b8fb90b7623d",
                       ike_proposal(Encr_id::ENCR_AES_GCM_16, 256, Integ_id::NONE));
}

TEST(ikev2_decryption_table, AES_GCM_256_8_octet_ICV_row_as_Wireshark) {
    expect_row_matches("5d48bfeeb7d574da",
                       ike_proposal(Encr_id::ENCR_AES_GCM_8, 256, Integ_id::NONE));
}

TEST(ikev2_decryption_table, AES_CCM_128_12_octet_ICV_row_as_Wireshark) {
    expect_row_matches("ea684d21597afd36",
                       ike_proposal(Encr_id::ENCR_AES_CCM_12, 128, Integ_id::NONE));
}

TEST(ikev2_decryption_table, AES_CTR_192_with_HMAC_SHA2_512_256_row_as_Wireshark) {
    expect_row_matches("81f24c0acd8fa55c",
                       ike_proposal(Encr_id::ENCR_AES_CTR, 192, Integ_id::AUTH_HMAC_SHA2_512_256));
}

TEST(ikev2_decryption_table, NULL_encryption_row_as_Wireshark) {
    expect_row_matches("1234567890123456",
                       ike_proposal(Encr_id::ENCR_NULL, std::nullopt, Integ_id::NONE));
}

TEST(ikev2_decryption_table, AEAD_integrity_is_NONE_even_if_listed) {
    auto p = ike_proposal(Encr_id::ENCR_AES_GCM_16, 128, Integ_id::AUTH_HMAC_SHA2_256_128);
    EXPECT_EQ(ike::io::wireshark_ikev2_integrity(p), std::optional<std::string>("NONE [RFC4306]"));
    EXPECT_EQ(ike::io::wireshark_ikev2_encryption(p),
              std::optional<std::string>("AES-GCM-128 with 16 octet ICV [RFC5282]"));
    EXPECT_FALSE(ike::io::wireshark_ikev2_encryption(
        ike_proposal(Encr_id::ENCR_CHACHA20_POLY1305, std::nullopt, Integ_id::NONE)));
}

ike::Child_sa child(Encr_id e, std::uint16_t bits, Integ_id i) {
    ike::Child_sa sa;
    sa.connection = "home";
    sa.child = "net";
    sa.spi_in = 0xc1a2b3d4;
    sa.spi_out = 0x0000abcd;
    sa.proposal = ike_proposal(e, bits, i);
    sa.proposal.protocol = ike::Protocol_id::ESP;
    sa.local = *ike::Address::parse_ip("192.0.2.2", 4500);
    sa.remote = *ike::Address::parse_ip("192.0.2.1", 4500);
    sa.encr_key_in = ike::Secret(ike::Bytes{0x01, 0x02});
    sa.encr_key_out = ike::Secret(ike::Bytes{0x0a, 0x0b});
    if (i != Integ_id::NONE) {
        sa.integ_key_in = ike::Secret(ike::Bytes{0x11});
        sa.integ_key_out = ike::Secret(ike::Bytes{0x22});
    }
    return sa;
}

TEST(esp_sa, rows_in_Wireshark_field_order_inbound_then_outbound) {
    const auto rows = ike::io::esp_sa_rows(child(Encr_id::ENCR_AES_GCM_16, 256, Integ_id::NONE));
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0],
              "\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0xc1a2b3d4\","
              "\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x0102\",\"NULL\",\"\"");
    EXPECT_EQ(rows[1],
              "\"IPv4\",\"192.0.2.2\",\"192.0.2.1\",\"0x0000abcd\","
              "\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x0a0b\",\"NULL\",\"\"");
}

TEST(esp_sa, CBC_with_HMAC_SHA2_256_128_labels) {
    const auto rows = ike::io::esp_sa_rows(
        child(Encr_id::ENCR_AES_CBC, 128, Integ_id::AUTH_HMAC_SHA2_256_128));
    EXPECT_EQ(rows.at(0),
              "\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0xc1a2b3d4\",\"AES-CBC [RFC3602]\","
              "\"0x0102\",\"HMAC-SHA-256-128 [RFC4868]\",\"0x11\"");
}

TEST(esp_sa, IPv6_rows_say_IPv6) {
    auto sa = child(Encr_id::ENCR_AES_GCM_16, 128, Integ_id::NONE);
    sa.local = *ike::Address::parse_ip("2001:db8::2", 500);
    sa.remote = *ike::Address::parse_ip("2001:db8::1", 500);
    const auto rows = ike::io::esp_sa_rows(sa);
    EXPECT_EQ(rows.at(0).rfind("\"IPv6\",\"2001:db8::1\",\"2001:db8::2\",", 0), 0u) << rows[0];
}

TEST(Recording_backend, records_installs_removes_and_keys) {
    ike::io::Recording_backend b;
    b.install(child(Encr_id::ENCR_AES_GCM_16, 256, Integ_id::NONE));
    ASSERT_EQ(b.installed().size(), 1u);
    const ike::Child_sa* c = b.find_child(0xc1a2b3d4);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->encr_key_in.hex(), "0102");
    EXPECT_EQ(c->local.port, 4500);
    b.remove("home", 0xc1a2b3d4, 0x0000abcd);
    EXPECT_TRUE(b.installed().empty());
    EXPECT_EQ(b.history().size(), 1u);  // key tables still list it
    const std::string esp = b.esp_sa_table();
    EXPECT_NE(esp.find("\"0xc1a2b3d4\""), std::string::npos);
    EXPECT_EQ(esp[0], '#');

    ike::Keys_derived k;
    k.SPIi = 0x0102030405060708;
    k.SPIr = 0x1112131415161718;
    k.proposal = ike_proposal(Encr_id::ENCR_AES_GCM_16, 256, Integ_id::NONE);
    k.SK_ei = ike::Secret(ike::Bytes{0xaa});
    k.SK_er = ike::Secret(ike::Bytes{0xbb});
    b.ike_keys(k);
    ASSERT_NE(b.find_ike_keys(k.SPIi, k.SPIr), nullptr);
    EXPECT_NE(b.ikev2_decryption_table().find(
                  "0102030405060708,1112131415161718,aa,bb,\"AES-GCM-256 with 16 octet ICV "
                  "[RFC5282]\",,,\"NONE [RFC4306]\"\n"),
              std::string::npos);
}

TEST(Recording_backend, half_removed_pair_stays_until_its_inbound_SA_goes_too) {
    // RFC 7296 §1.4.1 Delete crossing: the outbound SA first (spi_in 0), the inbound one later.
    ike::io::Recording_backend b;
    b.install(child(Encr_id::ENCR_AES_GCM_16, 256, Integ_id::NONE));
    b.remove("home", 0, 0x0000abcd);
    ASSERT_EQ(b.installed().size(), 1u);
    EXPECT_EQ(b.installed()[0].spi_in, 0xc1a2b3d4u);
    EXPECT_EQ(b.installed()[0].spi_out, 0u);
    EXPECT_NE(b.find_child(0xc1a2b3d4), nullptr) << "the inbound SA still takes traffic";
    b.remove("other", 0xc1a2b3d4, 0);
    EXPECT_EQ(b.installed().size(), 1u) << "another connection's SPI";
    b.remove("home", 0xc1a2b3d4, 0);
    EXPECT_TRUE(b.installed().empty());
    EXPECT_EQ(b.history().size(), 1u);
}

}  // namespace
