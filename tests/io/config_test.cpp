// src/core/config.cpp: Address and Identity literals (RFC 7296 §3.5), Config::find_psk.
#include "ike/config.hpp"

#include <gtest/gtest.h>

namespace {

TEST(Address, parses_IPv4_and_IPv6_literals) {
    auto a = ike::Address::parse_ip("192.0.2.1", 500);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->ip, (ike::Bytes{192, 0, 2, 1}));
    EXPECT_EQ(a->port, 500);
    EXPECT_EQ(a->to_string(), "192.0.2.1:500");
    auto b = ike::Address::parse_ip("2001:db8::1", 4500);
    ASSERT_TRUE(b);
    ASSERT_EQ(b->ip.size(), 16u);
    EXPECT_EQ(b->ip[0], 0x20);
    EXPECT_EQ(b->ip[1], 0x01);
    EXPECT_EQ(b->ip[15], 0x01);
    EXPECT_EQ(b->to_string(), "[2001:db8::1]:4500");
}

TEST(Address, refuses_non_literals) {
    EXPECT_FALSE(ike::Address::parse_ip("", 500));
    EXPECT_FALSE(ike::Address::parse_ip("example.test", 500));
    EXPECT_FALSE(ike::Address::parse_ip("192.0.2.256", 500));
    EXPECT_FALSE(ike::Address::parse_ip("192.0.2.1:500", 500));
    EXPECT_FALSE(ike::Address::parse_ip("2001:db8:::1", 500));
}

TEST(Identity, FQDN_RFC822_and_IP_literals) {
    auto fqdn = ike::Identity::parse("a.example.test");
    EXPECT_EQ(fqdn.type, ike::Id_type::ID_FQDN);
    EXPECT_EQ(fqdn.data, (ike::Bytes{'a', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 't', 'e',
                                     's', 't'}));
    EXPECT_EQ(fqdn.to_string(), "a.example.test");
    auto mail = ike::Identity::parse("user@example.test");
    EXPECT_EQ(mail.type, ike::Id_type::ID_RFC822_ADDR);
    EXPECT_EQ(mail.to_string(), "user@example.test");
    auto v4 = ike::Identity::parse("192.0.2.7");
    EXPECT_EQ(v4.type, ike::Id_type::ID_IPV4_ADDR);
    EXPECT_EQ(v4.data, (ike::Bytes{192, 0, 2, 7}));
    EXPECT_EQ(v4.to_string(), "192.0.2.7");
    auto v6 = ike::Identity::parse("2001:db8::7");
    EXPECT_EQ(v6.type, ike::Id_type::ID_IPV6_ADDR);
    ASSERT_EQ(v6.data.size(), 16u);
    EXPECT_EQ(v6.data[15], 7);
    EXPECT_EQ(v6.to_string(), "2001:db8::7");
}

TEST(Identity, swanctl_prefixes) {
    auto forced = ike::Identity::parse("@192.0.2.7");  // '@' forces ID_FQDN, '@' dropped
    EXPECT_EQ(forced.type, ike::Id_type::ID_FQDN);
    EXPECT_EQ(forced.data, (ike::Bytes{'1', '9', '2', '.', '0', '.', '2', '.', '7'}));
    auto keyid = ike::Identity::parse("@#0a0B");
    EXPECT_EQ(keyid.type, ike::Id_type::ID_KEY_ID);
    EXPECT_EQ(keyid.data, (ike::Bytes{0x0a, 0x0b}));
    EXPECT_EQ(keyid.to_string(), "@#0a0b");
    EXPECT_THROW(ike::Identity::parse(""), std::invalid_argument);
    EXPECT_THROW(ike::Identity::parse("@"), std::invalid_argument);
}

TEST(Config, find_psk_follows_swanctl) {
    ike::Config c;
    const auto a = ike::Identity::parse("a.example.test");
    const auto b = ike::Identity::parse("b.example.test");
    const auto x = ike::Identity::parse("x.example.test");
    c.secrets.push_back({{x}, "single"});
    c.secrets.push_back({{a, b}, "pair"});
    EXPECT_EQ(c.find_psk(a, b)->secret, "pair");
    EXPECT_EQ(c.find_psk(b, a)->secret, "pair");
    EXPECT_EQ(c.find_psk(x, x)->secret, "single");  // one id serves both equal identities
    EXPECT_EQ(c.find_psk(a, x), nullptr);
    c.secrets.insert(c.secrets.begin(), ike::Psk_config{{}, "any"});
    EXPECT_EQ(c.find_psk(a, x)->secret, "any");     // no ids: any pair
    EXPECT_EQ(c.find_psk(a, b)->secret, "pair");    // a listed match wins over the wildcard
}

}  // namespace
