// src/daemon/config_toml: swanctl-vocabulary TOML -> ike::Config, and refusals that name the
// file, the line and the key. Expected values are written from the example by hand (IANA ids).
// Requirements: 7296-3.5-s3, 7296-3.5-s4 (ids with terminators refused), 7296-3.13.1-s1,
// 7296-3.13.1-s2 (no ports on protocols without ports), 7296-2.23.1-s1, 7296-2.23-s12 (transport
// mode selectors must be able to become the IKE SA's address).
#include "src/daemon/config_toml.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace {

using ike::daemon::Config_error;
using ike::daemon::parse_config;
using ike::daemon::parse_settings;

// Line numbers matter: line 1 is `[connections.home]`.
const char* const example =
    "[connections.home]\n"                                  // 1
    "local_addrs  = [\"192.0.2.2\"]\n"                      // 2
    "remote_addrs = [\"192.0.2.1\"]\n"                      // 3
    "proposals    = [\"aes256gcm16-prfsha256-x25519\"]\n"   // 4
    "[connections.home.local]\n"                            // 5
    "auth = \"psk\"\n"                                      // 6
    "id   = \"a.example.test\"\n"                           // 7
    "[connections.home.remote]\n"                           // 8
    "auth = \"psk\"\n"                                      // 9
    "id   = \"b.example.test\"\n"                           // 10
    "[connections.home.children.net]\n"                     // 11
    "local_ts      = [\"10.1.0.0/24\"]\n"                   // 12
    "remote_ts     = [\"10.2.0.0/24\"]\n"                   // 13
    "esp_proposals = [\"aes256gcm16\"]\n"                   // 14
    "[secrets.ike-home]\n"                                  // 15
    "id     = [\"a.example.test\", \"b.example.test\"]\n"   // 16
    "secret = \"example-psk-0123456789abcdef\"\n";          // 17

ike::Bytes text_bytes(const char* s) { return ike::Bytes(s, s + std::char_traits<char>::length(s)); }

const ike::Transform* find(const ike::Proposal& p, ike::Transform_type t) {
    for (const auto& x : p.transforms)
        if (x.type == t) return &x;
    return nullptr;
}

/// Replace the first occurrence of `from` in the example by `to`.
std::string edited(const std::string& from, const std::string& to) {
    std::string s = example;
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
}

/// The message of the Config_error thrown for `text`, or "" when none is thrown.
std::string refusal(const std::string& text) {
    try {
        parse_config(text, "home.toml");
    } catch (const Config_error& e) {
        return e.what();
    }
    return "";
}

TEST(config_toml, example_gives_expected_connection) {
    const ike::Config c = parse_config(example, "home.toml");
    ASSERT_EQ(c.connections.size(), 1u);
    const auto& home = c.connections[0];
    EXPECT_EQ(home.name, "home");
    EXPECT_EQ(home.local_addrs, std::vector<std::string>{"192.0.2.2"});
    EXPECT_EQ(home.remote_addrs, std::vector<std::string>{"192.0.2.1"});
    EXPECT_EQ(home.remote_port, 500);
    EXPECT_EQ(home.remote_nat_t_port, 4500);
    EXPECT_EQ(home.local.auth, "psk");
    EXPECT_EQ(home.local.id.type, ike::Id_type::ID_FQDN);
    EXPECT_EQ(home.local.id.data, text_bytes("a.example.test"));
    EXPECT_EQ(home.remote.id.data, text_bytes("b.example.test"));
    EXPECT_EQ(c.find_connection("home"), &home);
    EXPECT_EQ(c.find_connection("away"), nullptr);
}

TEST(config_toml, example_gives_IKE_proposal_by_IANA_ids) {
    const ike::Config c = parse_config(example, "home.toml");
    ASSERT_EQ(c.connections.at(0).proposals.size(), 1u);
    const ike::Proposal& p = c.connections[0].proposals[0];
    EXPECT_EQ(p.protocol, ike::Protocol_id::IKE);
    EXPECT_EQ(p.number, 1);
    const auto* encr = find(p, ike::Transform_type::ENCR);
    ASSERT_NE(encr, nullptr);
    EXPECT_EQ(encr->id, 20);  // ENCR_AES_GCM_16
    EXPECT_EQ(encr->key_length, std::optional<std::uint16_t>(256));
    const auto* prf = find(p, ike::Transform_type::PRF);
    ASSERT_NE(prf, nullptr);
    EXPECT_EQ(prf->id, 5);  // PRF_HMAC_SHA2_256
    const auto* ke = find(p, ike::Transform_type::KE);
    ASSERT_NE(ke, nullptr);
    EXPECT_EQ(ke->id, 31);  // Curve25519
    const auto* integ = find(p, ike::Transform_type::INTEG);
    EXPECT_TRUE(integ == nullptr || integ->id == 0);  // AEAD: no integrity (RFC 5282 §8)
}

TEST(config_toml, example_gives_child_with_selectors_and_ESP_proposal) {
    const ike::Config c = parse_config(example, "home.toml");
    ASSERT_EQ(c.connections.at(0).children.size(), 1u);
    const auto& net = c.connections[0].children[0];
    EXPECT_EQ(net.name, "net");
    EXPECT_EQ(net.mode, ike::Ipsec_mode::tunnel);
    ASSERT_EQ(net.local_ts.size(), 1u);
    EXPECT_EQ(net.local_ts[0].ts_type, ike::Ts_type::TS_IPV4_ADDR_RANGE);
    EXPECT_EQ(net.local_ts[0].start_address, (ike::Bytes{10, 1, 0, 0}));
    EXPECT_EQ(net.local_ts[0].end_address, (ike::Bytes{10, 1, 0, 255}));
    EXPECT_EQ(net.local_ts[0].ip_protocol, 0);
    EXPECT_EQ(net.local_ts[0].start_port, 0);
    EXPECT_EQ(net.local_ts[0].end_port, 65535);
    ASSERT_EQ(net.remote_ts.size(), 1u);
    EXPECT_EQ(net.remote_ts[0].start_address, (ike::Bytes{10, 2, 0, 0}));
    EXPECT_EQ(net.remote_ts[0].end_address, (ike::Bytes{10, 2, 0, 255}));
    ASSERT_EQ(net.esp_proposals.size(), 1u);
    EXPECT_EQ(net.esp_proposals[0].protocol, ike::Protocol_id::ESP);
    const auto* encr = find(net.esp_proposals[0], ike::Transform_type::ENCR);
    ASSERT_NE(encr, nullptr);
    EXPECT_EQ(encr->id, 20);
    EXPECT_EQ(encr->key_length, std::optional<std::uint16_t>(256));
    const auto* esn = find(net.esp_proposals[0], ike::Transform_type::ESN);
    EXPECT_TRUE(esn == nullptr || esn->id == 0);  // no ESN unless asked for
}

std::string with_mode_transport(std::string s) {
    const std::string key = "esp_proposals = [\"aes256gcm16\"]\n";
    const auto at = s.find(key);
    return s.insert(at + key.size(), "mode          = \"transport\"\n");
}

TEST(config_toml, transport_mode_selectors_holding_the_IKE_addresses_are_accepted) {
    // Hosts (the IKE SA's addresses), or ranges that hold them and narrow to them (§2.23.1).
    for (const auto& [local, remote] : {std::pair<std::string, std::string>{"\"192.0.2.2\"", "\"192.0.2.1\""},
                                        {"\"192.0.2.0/24[tcp]\"", "\"0.0.0.0/0\""},
                                        {"\"10.9.0.0/16\", \"192.0.2.2/32\"", "\"192.0.2.1\""}}) {
        SCOPED_TRACE(local + " / " + remote);
        std::string text = with_mode_transport(edited("[\"10.1.0.0/24\"]", "[" + local + "]"));
        text.replace(text.find("[\"10.2.0.0/24\"]"), std::string("[\"10.2.0.0/24\"]").size(), "[" + remote + "]");
        if (local.find("10.9") != std::string::npos) {
            EXPECT_NE(refusal(text), "") << "10.9.0.0/16 can never be 192.0.2.2";
            continue;
        }
        EXPECT_EQ(refusal(text), "");
        const ike::Config c = parse_config(text, "home.toml");
        EXPECT_EQ(c.connections.at(0).children.at(0).mode, ike::Ipsec_mode::transport);
    }
}

TEST(config_toml, transport_mode_selector_that_cannot_be_the_IKE_address_is_refused_with_line_and_key) {
    // The example's 10.1.0.0/24 <-> 10.2.0.0/24 holds neither 192.0.2.2 nor 192.0.2.1.
    const std::string m = refusal(with_mode_transport(example));
    EXPECT_EQ(m.rfind("home.toml:12: connections.home.children.net.local_ts[0]: ", 0), 0u) << m;
    EXPECT_NE(m.find("192.0.2.2"), std::string::npos) << m;
    EXPECT_NE(m.find("§2.23.1"), std::string::npos) << m;
    // Only the remote side wrong: line 13, remote_ts, naming remote_addrs.
    const std::string r = refusal(with_mode_transport(edited("[\"10.1.0.0/24\"]", "[\"192.0.2.2\"]")));
    EXPECT_EQ(r.rfind("home.toml:13: connections.home.children.net.remote_ts[0]: ", 0), 0u) << r;
    EXPECT_NE(r.find("remote_addrs [192.0.2.1]"), std::string::npos) << r;
    // The same selectors in tunnel mode are fine.
    EXPECT_EQ(refusal(example), "");
}

TEST(config_toml, transport_mode_without_selectors_is_refused) {
    std::string text = with_mode_transport(example);
    text.erase(text.find("local_ts"), std::string("local_ts      = [\"10.1.0.0/24\"]\n").size());
    const std::string m = refusal(text);
    EXPECT_EQ(m.rfind("home.toml:11: connections.home.children.net.local_ts: missing", 0), 0u) << m;
}

TEST(config_toml, transport_mode_with_any_address_checks_nothing_before_run_time) {
    // local_addrs %any: the IKE SA's source is known only when it exists (Ike_sa::transport_selectors).
    const std::string text = with_mode_transport(edited("local_addrs  = [\"192.0.2.2\"]", "local_addrs  = [\"%any\"]"));
    const std::string m = refusal(text);
    EXPECT_EQ(m.rfind("home.toml:13: connections.home.children.net.remote_ts[0]: ", 0), 0u) << "only remote_ts checked: " << m;
}

TEST(config_toml, example_gives_secret_and_defaults) {
    const ike::Config c = parse_config(example, "home.toml");
    ASSERT_EQ(c.secrets.size(), 1u);
    EXPECT_EQ(c.secrets[0].secret, "example-psk-0123456789abcdef");
    ASSERT_EQ(c.secrets[0].ids.size(), 2u);
    EXPECT_EQ(c.secrets[0].ids[0].data, text_bytes("a.example.test"));
    EXPECT_EQ(c.secrets[0].ids[1].data, text_bytes("b.example.test"));
    const auto a = ike::Identity::parse("a.example.test");
    const auto b = ike::Identity::parse("b.example.test");
    EXPECT_EQ(c.find_psk(a, b), &c.secrets[0]);
    EXPECT_EQ(c.find_psk(b, a), &c.secrets[0]);
    EXPECT_EQ(c.find_psk(a, ike::Identity::parse("c.example.test")), nullptr);
    // [daemon] absent: the documented defaults.
    EXPECT_EQ(c.ike_port, 500);
    EXPECT_EQ(c.nat_t_port, 4500);
    EXPECT_FALSE(c.log_keys);
    EXPECT_FALSE(c.force_nat_t);
    EXPECT_EQ(c.retransmit.timeout.count(), 4000);
    EXPECT_DOUBLE_EQ(c.retransmit.base, 1.8);
    EXPECT_EQ(c.retransmit.tries, 5u);
    EXPECT_EQ(c.gate.cookies, ike::Cookie_policy::on_load);
    EXPECT_EQ(c.gate.half_open_threshold, 50u);
    EXPECT_EQ(c.gate.half_open_timeout.count(), 30);
    EXPECT_EQ(c.window_size, 1u);  // RFC 7296 §2.3: one unless configured
}

TEST(config_toml, retransmit_base_must_grow_the_interval) {
    // RFC 7296 §2.4 (7296-2.4-s8): retransmission times MUST increase exponentially.
    const std::string text = std::string("[daemon.retransmit]\nbase = 1.0\n") + edited("", "");
    try {
        parse_settings(text, "d.toml");
        FAIL() << "base = 1.0 accepted";
    } catch (const Config_error& e) {
        EXPECT_NE(std::string(e.what()).find("daemon.retransmit.base"), std::string::npos) << e.what();
    }
}

TEST(config_toml, window_size_must_be_1_to_1024) {
    for (const char* bad : {"0", "1025"}) {
        const std::string text = std::string("[daemon]\nwindow_size = ") + bad + "\n" + edited("", "");
        try {
            parse_settings(text, "d.toml");
            FAIL() << "window_size = " << bad << " accepted";
        } catch (const Config_error& e) {
            EXPECT_NE(std::string(e.what()).find("daemon.window_size"), std::string::npos) << e.what();
        }
    }
}

TEST(config_toml, daemon_table_sets_ports_retransmit_and_gate) {
    const std::string text = std::string(
                                 "[daemon]\n"
                                 "ike_port = 15500\n"
                                 "nat_t_port = 15600\n"
                                 "log_keys = true\n"
                                 "force_nat_t = true\n"
                                 "key_dir = \"/tmp/keys\"\n"
                                 "window_size = 5\n"
                                 "[daemon.retransmit]\n"
                                 "timeout = 0.5\n"
                                 "base = 2.0\n"
                                 "tries = 3\n"
                                 "[daemon.gate]\n"
                                 "cookies = \"always\"\n"
                                 "half_open_threshold = 7\n"
                                 "half_open_timeout = \"2m\"\n") +
                             edited("remote_addrs = [\"192.0.2.1\"]",
                                    "remote_addrs = [\"192.0.2.1\"]\nremote_port = 15501\n"
                                    "remote_nat_t_port = 15601");
    const auto s = parse_settings(text, "d.toml");
    EXPECT_EQ(s.config.ike_port, 15500);
    EXPECT_EQ(s.config.nat_t_port, 15600);
    EXPECT_TRUE(s.config.log_keys);
    EXPECT_TRUE(s.config.force_nat_t);
    EXPECT_EQ(s.key_dir, "/tmp/keys");
    EXPECT_EQ(s.config.retransmit.timeout.count(), 500);
    EXPECT_DOUBLE_EQ(s.config.retransmit.base, 2.0);
    EXPECT_EQ(s.config.retransmit.tries, 3u);
    EXPECT_EQ(s.config.gate.cookies, ike::Cookie_policy::always);
    EXPECT_EQ(s.config.gate.half_open_threshold, 7u);
    EXPECT_EQ(s.config.gate.half_open_timeout.count(), 120);
    EXPECT_EQ(s.config.window_size, 5u);
    EXPECT_EQ(s.config.connections.at(0).remote_port, 15501);
    EXPECT_EQ(s.config.connections.at(0).remote_nat_t_port, 15601);
}

TEST(config_toml, refuses_unknown_proposal_keyword_naming_file_line_key) {
    const std::string m =
        refusal(edited("aes256gcm16-prfsha256-x25519", "aes257gcm16-prfsha256-x25519"));
    EXPECT_EQ(m.rfind("home.toml:4: connections.home.proposals[0]: ", 0), 0u) << m;
    EXPECT_NE(m.find("aes257"), std::string::npos) << m;
}

TEST(config_toml, refuses_unknown_ESP_proposal_keyword) {
    const std::string m = refusal(edited("[\"aes256gcm16\"]", "[\"aes256gcm16\", \"rot13\"]"));
    EXPECT_EQ(m.rfind("home.toml:14: connections.home.children.net.esp_proposals[1]: ", 0), 0u)
        << m;
}

TEST(config_toml, refuses_bad_CIDR_naming_file_line_key) {
    const std::string m = refusal(edited("10.2.0.0/24", "10.2.0.0/33"));
    EXPECT_EQ(m.rfind("home.toml:13: connections.home.children.net.remote_ts[0]: ", 0), 0u) << m;
    EXPECT_NE(m.find("prefix"), std::string::npos) << m;
    const std::string m2 = refusal(edited("10.1.0.0/24", "10.1.0/24"));
    EXPECT_EQ(m2.rfind("home.toml:12: connections.home.children.net.local_ts[0]: ", 0), 0u) << m2;
}

TEST(config_toml, refuses_secret_without_secret) {
    const std::string m = refusal(edited("secret = \"example-psk-0123456789abcdef\"\n", ""));
    EXPECT_EQ(m, "home.toml:15: secrets.ike-home.secret: missing secret");
}

TEST(config_toml, refuses_unknown_key_at_its_line) {
    const std::string m = refusal(edited("remote_addrs", "remote_adrs"));
    EXPECT_EQ(m, "home.toml:3: connections.home.remote_adrs: unknown key");
    const std::string m2 = refusal(edited("auth = \"psk\"\nid   = \"b", "auth = \"psk\"\nidd  = \"b"));
    EXPECT_EQ(m2, "home.toml:10: connections.home.remote.idd: unknown key");
    const std::string m3 = refusal(std::string(example) + "[charon]\nthreads = 4\n");
    EXPECT_EQ(m3, "home.toml:18: charon: unknown key");
}

TEST(config_toml, refuses_wrong_type_naming_key) {
    const std::string m = refusal(edited("remote_addrs = [\"192.0.2.1\"]",
                                         "remote_addrs = [\"192.0.2.1\"]\nremote_port = \"500\""));
    EXPECT_EQ(m, "home.toml:4: connections.home.remote_port: expected an integer, got string");
    const std::string m2 = refusal(edited("[\"10.2.0.0/24\"]", "[10]"));
    EXPECT_EQ(m2, "home.toml:13: connections.home.children.net.remote_ts[0]: expected a string, "
                  "got integer");
    const std::string m3 = refusal("[daemon]\nlog_keys = \"yes\"\n");
    EXPECT_EQ(m3, "home.toml:2: daemon.log_keys: expected a boolean, got string");
}

TEST(config_toml, refuses_out_of_range_and_bad_enum_values) {
    EXPECT_EQ(refusal("[daemon]\nike_port = 70000\n"),
              "home.toml:2: daemon.ike_port: value 70000 out of range 1..65535");
    EXPECT_EQ(refusal("[daemon.gate]\ncookies = \"sometimes\"\n"),
              "home.toml:2: daemon.gate.cookies: expected \"on_load\", \"always\" or \"never\", "
              "got 'sometimes'");
    const std::string m = refusal(edited("auth = \"psk\"", "auth = \"eap\""));
    EXPECT_EQ(m.rfind("home.toml:6: connections.home.local.auth: ", 0), 0u) << m;
}

TEST(config_toml, refuses_TOML_syntax_error_with_line) {
    const std::string m = refusal("[daemon]\nike_port = = 5\n");
    EXPECT_EQ(m.rfind("home.toml:2: ", 0), 0u) << m;
}

TEST(config_toml, load_config_names_the_path) {
    const std::string path = ::testing::TempDir() + "ikeref_config_test.toml";
    {
        std::ofstream out(path);
        out << edited("10.2.0.0/24", "10.2.0.0/99");
    }
    try {
        ike::daemon::load_config(path);
        ADD_FAILURE() << "no refusal";
    } catch (const Config_error& e) {
        EXPECT_EQ(e.file(), path);
        EXPECT_EQ(e.line(), 13u);
        EXPECT_EQ(e.key(), "connections.home.children.net.remote_ts[0]");
    }
    std::remove(path.c_str());
    EXPECT_THROW(ike::daemon::load_config(path), Config_error);
}

// RFC 7296 §3.5: ID_FQDN and ID_RFC822_ADDR strings "MUST NOT contain any terminators (e.g.,
// NULL, CR, etc.)". TOML escapes can put one in an id; the loader refuses it with file, line, key.
TEST(config_toml, refuses_FQDN_id_with_CR_naming_file_line_key) {
    const std::string m = refusal(edited("id   = \"a.example.test\"", "id   = \"a.example.test\\r\""));
    EXPECT_EQ(m, "home.toml:7: connections.home.local.id: bad identity 'a.example.test\\x0d': ID_FQDN holds a "
                 "terminator, CR (0x0d) at offset 14 (RFC 7296 §3.5)");
}

TEST(config_toml, refuses_terminators_in_remote_ids_and_secret_ids) {
    const std::string m = refusal(edited("id   = \"b.example.test\"", "id   = \"@b.example\\n.test\""));
    EXPECT_EQ(m, "home.toml:10: connections.home.remote.id: bad identity '@b.example\\x0a.test': ID_FQDN holds a "
                 "terminator, LF (0x0a) at offset 9 (RFC 7296 §3.5)");
    const std::string m2 =
        refusal(edited("id     = [\"a.example.test\", ", "id     = [\"a@example.test\\u0000\", "));
    EXPECT_EQ(m2.rfind("home.toml:16: secrets.ike-home.id: bad identity 'a@example.test\\x00': ID_RFC822_ADDR holds "
                       "a terminator, NUL (0x00) at offset 14",
                       0),
              0u)
        << m2;
}

// An identity must fit an IKE_AUTH message (RFC 7296 §3.5, one UDP datagram): a 70 000-character
// id once passed the loader and broke the encoder mid-exchange. 1024 characters load, 1025 do not.
TEST(config_toml, refuses_an_identity_longer_than_1024_characters) {
    const std::string ok(1024 - std::string(".example.test").size(), 'a');
    EXPECT_NO_THROW(parse_config(edited("id   = \"a.example.test\"", "id   = \"" + ok + ".example.test\""), "home.toml"));
    const std::string m = refusal(edited("id   = \"a.example.test\"", "id   = \"a" + ok + ".example.test\""));
    EXPECT_EQ(m, "home.toml:7: connections.home.local.id: identity of 1025 characters: at most 1024 (it must fit an "
                 "IKE_AUTH message, RFC 7296 §3.5)");
}

TEST(config_toml, accepts_ids_without_terminators_and_binary_key_ids) {
    // Control for the two tests above: the same ids without the escape load, and ID_KEY_ID is
    // an opaque octet stream (§3.5) in which 0x00, 0x0a and 0x0d are ordinary octets.
    const auto c = parse_config(edited("id   = \"a.example.test\"", "id   = \"@#000a0d\""), "home.toml");
    EXPECT_EQ(c.connections.at(0).local.id.type, ike::Id_type::ID_KEY_ID);
    EXPECT_EQ(c.connections.at(0).local.id.data, (ike::Bytes{0x00, 0x0a, 0x0d}));
    EXPECT_EQ(parse_config(example, "home.toml").connections.at(0).remote.id.data, text_bytes("b.example.test"));
}

TEST(traffic_selector, single_address_and_port_in_brackets) {
    ike::Traffic_selector ts;
    std::string error;
    ASSERT_TRUE(ike::daemon::parse_traffic_selector("10.1.0.5[tcp/443]", ts, error)) << error;
    EXPECT_EQ(ts.start_address, (ike::Bytes{10, 1, 0, 5}));
    EXPECT_EQ(ts.end_address, (ike::Bytes{10, 1, 0, 5}));
    EXPECT_EQ(ts.ip_protocol, 6);
    EXPECT_EQ(ts.start_port, 443);
    EXPECT_EQ(ts.end_port, 443);
    ASSERT_TRUE(ike::daemon::parse_traffic_selector("10.1.0.0/24[udp/1000-2000]", ts, error));
    EXPECT_EQ(ts.ip_protocol, 17);
    EXPECT_EQ(ts.start_port, 1000);
    EXPECT_EQ(ts.end_port, 2000);
    EXPECT_EQ(ike::daemon::traffic_selector_to_string(ts), "10.1.0.0/24[17/1000-2000]");
}

// RFC 7296 §3.13.1: "For protocols for which port is undefined (including protocol 0) ... this
// field MUST be zero" (Start Port) and "MUST be 65535" (End Port).
TEST(traffic_selector, refuses_a_port_with_a_protocol_without_ports) {
    ike::Traffic_selector ts;
    std::string error;
    EXPECT_FALSE(ike::daemon::parse_traffic_selector("10.1.0.0/24[%any/80]", ts, error));
    EXPECT_EQ(error, "port '80' with protocol 0 ('%any'), which has no ports (RFC 7296 §3.13.1: Start Port 0, "
                     "End Port 65535)");
    EXPECT_FALSE(ike::daemon::parse_traffic_selector("10.1.0.0/24[/53]", ts, error));
    EXPECT_EQ(error.rfind("port '53' with protocol 0 (any)", 0), 0u) << error;
    EXPECT_FALSE(ike::daemon::parse_traffic_selector("10.1.0.0/24[gre/80-90]", ts, error));
    EXPECT_EQ(error.rfind("port '80-90' with protocol 47 ('gre')", 0), 0u) << error;
    // Every port, however written, and protocols with ports (ICMP Type/Code too) are accepted.
    ASSERT_TRUE(ike::daemon::parse_traffic_selector("10.1.0.0/24[gre/0-65535]", ts, error)) << error;
    EXPECT_EQ(ts.ip_protocol, 47);
    EXPECT_EQ(ts.start_port, 0);
    EXPECT_EQ(ts.end_port, 65535);
    ASSERT_TRUE(ike::daemon::parse_traffic_selector("10.1.0.0/24[gre]", ts, error)) << error;
    EXPECT_EQ(ts.end_port, 65535);
    ASSERT_TRUE(ike::daemon::parse_traffic_selector("10.1.0.0/24[%any/%any]", ts, error)) << error;
    ASSERT_TRUE(ike::daemon::parse_traffic_selector("10.1.0.0/24[icmp/2048]", ts, error)) << error;
    EXPECT_EQ(ts.start_port, 2048);
    ASSERT_TRUE(ike::daemon::parse_traffic_selector("10.1.0.0/24[sctp/5060]", ts, error)) << error;
    // In a file: refused with file, line and key.
    const std::string m = refusal(edited("10.2.0.0/24", "10.2.0.0/24[%any/80]"));
    EXPECT_EQ(m.rfind("home.toml:13: connections.home.children.net.remote_ts[0]: port '80' with protocol 0", 0), 0u)
        << m;
}

TEST(traffic_selector, IPv6_prefix_and_range) {
    ike::Traffic_selector ts;
    std::string error;
    ASSERT_TRUE(ike::daemon::parse_traffic_selector("2001:db8::/32", ts, error)) << error;
    EXPECT_EQ(ts.ts_type, ike::Ts_type::TS_IPV6_ADDR_RANGE);
    ike::Bytes start(16, 0), end(16, 0xff);
    start[0] = end[0] = 0x20;
    start[1] = end[1] = 0x01;
    start[2] = end[2] = 0x0d;
    start[3] = end[3] = 0xb8;
    EXPECT_EQ(ts.start_address, start);
    EXPECT_EQ(ts.end_address, end);
    ASSERT_TRUE(ike::daemon::parse_traffic_selector("10.0.0.1-10.0.0.9", ts, error));
    EXPECT_EQ(ts.start_address, (ike::Bytes{10, 0, 0, 1}));
    EXPECT_EQ(ts.end_address, (ike::Bytes{10, 0, 0, 9}));
    EXPECT_EQ(ike::daemon::traffic_selector_to_string(ts), "10.0.0.1-10.0.0.9");
    ASSERT_TRUE(ike::daemon::parse_traffic_selector("0.0.0.0/0", ts, error));
    EXPECT_EQ(ts.end_address, (ike::Bytes{255, 255, 255, 255}));
    EXPECT_FALSE(ike::daemon::parse_traffic_selector("10.0.0.9-10.0.0.1", ts, error));
    EXPECT_FALSE(ike::daemon::parse_traffic_selector("10.0.0.0/24[tcp/99999]", ts, error));
    EXPECT_FALSE(ike::daemon::parse_traffic_selector("10.0.0.0/24[foo]", ts, error));
    EXPECT_FALSE(ike::daemon::parse_traffic_selector("::/129", ts, error));
}

}  // namespace

TEST(config_toml, lifetimes_and_dpd_take_swanctl_durations) {
    std::string text = edited("proposals    = [\"aes256gcm16-prfsha256-x25519\"]",
                              "proposals    = [\"aes256gcm16-prfsha256-x25519\"]\nrekey_time = \"4h\"\n"
                              "rand_time = 600\ndpd_delay = \"30s\"\nover_time = \"20m\"");
    const std::string esp = "esp_proposals = [\"aes256gcm16\"]\n";
    text.replace(text.find(esp), esp.size(), esp + "rekey_time = \"50m\"\nlife_time = \"1h\"\n");
    const auto c = parse_config(text, "home.toml");
    const auto& conn = c.connections.at(0);
    EXPECT_EQ(conn.rekey_time.count(), 4 * 3600);
    EXPECT_EQ(conn.rand_time.count(), 600);
    EXPECT_EQ(conn.dpd_delay.count(), 30);
    EXPECT_EQ(conn.over_time.count(), 20 * 60);
    EXPECT_EQ(conn.children.at(0).rekey_time.count(), 50 * 60);
    EXPECT_EQ(conn.children.at(0).life_time.count(), 3600);
}

TEST(config_toml, refuses_a_bad_duration_naming_key) {
    const std::string m = refusal(edited("proposals    = [\"aes256gcm16-prfsha256-x25519\"]",
                                         "proposals    = [\"aes256gcm16-prfsha256-x25519\"]\nrekey_time = \"4 hours\""));
    EXPECT_EQ(m.rfind("home.toml:5: connections.home.rekey_time: expected a duration", 0), 0u) << m;
}
