// The key-table rows we write are accepted by the real Wireshark: tshark validates UAT rows
// given with -o (algorithm label known, key length right for the algorithm) and refuses the
// rest. Skipped when tshark is not installed.
#include "src/io/sa_backend.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "src/io/pcap_writer.hpp"

namespace {

bool have_tshark() { return std::system("command -v tshark >/dev/null 2>&1") == 0; }

/// True when tshark accepts `-o uat:TABLE:ROW` (it exits non-zero with "Invalid -o flag").
bool tshark_accepts(const std::string& table, const std::string& row) {
    static const std::string pcap = [] {
        const std::string path = ::testing::TempDir() + "ikeref_wireshark_acceptance.pcap";
        ike::io::Pcap_writer w(path);
        const ike::Bytes payload(28, 0);
        w.write(*ike::Address::parse_ip("192.0.2.1", 500), *ike::Address::parse_ip("192.0.2.2", 500),
                ike::Octets(payload));
        return path;
    }();
    std::string quoted;  // single-quote for the shell
    for (char c : "uat:" + table + ":" + row) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    const std::string cmd = "tshark -r " + pcap + " -o '" + quoted + "' -c 1 >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
}

ike::Proposal proposal(ike::Protocol_id proto, ike::Encr_id e, std::uint16_t bits, ike::Integ_id i) {
    ike::Proposal p;
    p.protocol = proto;
    p.transforms.push_back({ike::Transform_type::ENCR, static_cast<std::uint16_t>(e), bits, {}});
    if (i != ike::Integ_id::NONE)
        p.transforms.push_back({ike::Transform_type::INTEG, static_cast<std::uint16_t>(i), {}, {}});
    return p;
}

ike::Keys_derived keys(const ike::Proposal& p, std::size_t sk_e, std::size_t sk_a) {
    ike::Keys_derived k;
    k.SPIi = 0x0102030405060708;
    k.SPIr = 0x1112131415161718;
    k.proposal = p;
    k.SK_ei = ike::Secret(ike::Bytes(sk_e, 0x11));
    k.SK_er = ike::Secret(ike::Bytes(sk_e, 0x22));
    k.SK_ai = ike::Secret(ike::Bytes(sk_a, 0x33));
    k.SK_ar = ike::Secret(ike::Bytes(sk_a, 0x44));
    return k;
}

TEST(wireshark_acceptance, tshark_refuses_a_bad_row) {
    if (!have_tshark()) GTEST_SKIP() << "tshark not installed";
    EXPECT_FALSE(tshark_accepts("esp_sa", "\"IPv4\",\"1.1.1.1\",\"2.2.2.2\",\"0x1\",\"BOGUS\",\"\",\"NULL\",\"\""));
}

TEST(wireshark_acceptance, ikev2_decryption_table_rows) {
    if (!have_tshark()) GTEST_SKIP() << "tshark not installed";
    using ike::Encr_id;
    using ike::Integ_id;
    const auto ike_p = ike::Protocol_id::IKE;
    struct Case {
        ike::Proposal p;
        std::size_t sk_e, sk_a;
    };
    const Case cases[] = {
        {proposal(ike_p, Encr_id::ENCR_AES_GCM_16, 256, Integ_id::NONE), 36, 0},
        {proposal(ike_p, Encr_id::ENCR_AES_GCM_8, 128, Integ_id::NONE), 20, 0},
        {proposal(ike_p, Encr_id::ENCR_AES_CCM_12, 128, Integ_id::NONE), 19, 0},
        {proposal(ike_p, Encr_id::ENCR_AES_CBC, 256, Integ_id::AUTH_HMAC_SHA2_256_128), 32, 32},
        {proposal(ike_p, Encr_id::ENCR_AES_CBC, 128, Integ_id::AUTH_HMAC_SHA1_96), 16, 20},
        {proposal(ike_p, Encr_id::ENCR_AES_CTR, 128, Integ_id::AUTH_HMAC_SHA2_384_192), 20, 48},
        {proposal(ike_p, Encr_id::ENCR_AES_CBC, 128, Integ_id::AUTH_AES_XCBC_96), 16, 16},
    };
    for (const auto& c : cases) {
        const std::string row = ike::io::ikev2_decryption_table_row(keys(c.p, c.sk_e, c.sk_a));
        EXPECT_TRUE(tshark_accepts("ikev2_decryption_table", row)) << row;
    }
}

TEST(wireshark_acceptance, esp_sa_rows) {
    if (!have_tshark()) GTEST_SKIP() << "tshark not installed";
    using ike::Encr_id;
    using ike::Integ_id;
    const auto esp = ike::Protocol_id::ESP;
    const ike::Proposal cases[] = {
        proposal(esp, Encr_id::ENCR_AES_GCM_16, 256, Integ_id::NONE),
        proposal(esp, Encr_id::ENCR_AES_GCM_12, 128, Integ_id::NONE),
        proposal(esp, Encr_id::ENCR_AES_CBC, 128, Integ_id::AUTH_HMAC_SHA2_256_128),
        proposal(esp, Encr_id::ENCR_AES_CTR, 128, Integ_id::AUTH_HMAC_SHA2_512_256),
        proposal(esp, Encr_id::ENCR_3DES, 0, Integ_id::AUTH_HMAC_SHA1_96),
    };
    for (const auto& p : cases) {
        ike::Child_sa sa;
        sa.proposal = p;
        sa.spi_in = 0xc0000001;
        sa.spi_out = 0xc0000002;
        sa.local = *ike::Address::parse_ip("192.0.2.2", 500);
        sa.remote = *ike::Address::parse_ip("192.0.2.1", 500);
        sa.encr_key_in = ike::Secret(ike::Bytes(20, 0x55));
        sa.encr_key_out = ike::Secret(ike::Bytes(20, 0x66));
        sa.integ_key_in = ike::Secret(ike::Bytes(32, 0x77));
        sa.integ_key_out = ike::Secret(ike::Bytes(32, 0x88));
        for (const auto& row : ike::io::esp_sa_rows(sa))
            EXPECT_TRUE(tshark_accepts("esp_sa", row)) << row;
    }
}

}  // namespace
