// The daemon's configuration file: TOML in strongSwan's swanctl vocabulary (connections,
// children, secrets) plus a [daemon] table, read into ike::Config. Every refusal names the file,
// the line and the key at fault: `home.toml:7: connections.home.proposals[0]: unknown ...`.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "ike/config.hpp"
#include "src/io/impair.hpp"

namespace ike::daemon {

/// A configuration that cannot be used. what() is "FILE:LINE: KEY: reason" (LINE is 1-based;
/// KEY the dotted path of the offending key, array elements as `key[i]`).
class Config_error : public std::runtime_error {
public:
    Config_error(std::string file, unsigned line, std::string key, const std::string& reason);
    const std::string& file() const { return file_; }
    unsigned line() const { return line_; }
    const std::string& key() const { return key_; }

private:
    std::string file_;
    unsigned line_;
    std::string key_;
};

/// What the daemon reads besides ike::Config.
struct Daemon_settings {
    Config config;
    std::string key_dir;  ///< [daemon] key_dir: where Wireshark key tables go; "" = none
    /// [daemon.impair] (TEST ONLY): present = the impairing transport is on (io/impair.hpp).
    std::optional<io::Impair_config> impair;
};

/// Parses TOML text (`file_name` only labels errors). Throws Config_error on a TOML syntax
/// error, an unknown key, a value of the wrong type or range, an unknown proposal keyword
/// (codec::parse_proposal), a bad traffic selector or identity, or a secret without `secret`.
///
/// Schema (swanctl names; defaults in parentheses):
///   [daemon] ike_port (500) nat_t_port (4500) log_keys (false) key_dir ("") force_nat_t (false)
///   [daemon.retransmit] timeout (seconds, 4.0) base (1.8) tries (5)
///   [daemon.gate] cookies ("on_load" | "always" | "never") half_open_threshold (50)
///   [daemon.impair] (TEST ONLY: drops, repeats, delays or reorders IKE datagrams on purpose;
///                      present = enabled) seed (1)
///   [[daemon.impair.rules]] action ("drop" | "duplicate" | "delay" | "reorder")
///                      direction ("in" | "out" | "any") exchange ("IKE_SA_INIT" | "IKE_AUTH" |
///                      "CREATE_CHILD_SA" | "INFORMATIONAL" | a number; default any)
///                      message ("request" | "response" | "any") message_id (default any)
///                      nth (1) count (1; 0 = no limit) probability (1.0)
///                      delay_ms (delay: hold; with until: at most, 5000; duplicate: gap of the
///                      copy, 0; reorder: longest hold, 1000)
///                      until = { direction, exchange, message, message_id } (delay only)
///   [connections.NAME] version (2) local_addrs remote_addrs (IP literals) remote_port (500)
///                      remote_nat_t_port (4500: where the initiator floats, RFC 7296 §2.23)
///                      proposals (IKE keywords, default ["aes128-sha256-x25519"])
///   [connections.NAME.local|remote] auth ("psk" | "pubkey" | "rsa/pss") id (default: the
///                      first address); with pubkey: local certs (PEM/DER files, ours first)
///                      and private_key (PKCS#8, PKCS#1 or SEC1), remote cacerts (trust
///                      anchors) and/or certs (pinned peer certificate); relative paths are
///                      taken from the config file's directory
///   [connections.NAME.children.CHILD] local_ts remote_ts (CIDR, address, a-b range, each with
///                      an optional "[proto/port]"; empty = the IKE SA's own address),
///                      esp_proposals (default ["aes128gcm16", "aes128-sha256"]),
///                      mode ("tunnel" | "transport")
///   [secrets.ike-NAME] id | id-* (string or array) secret (text, "0x" hex)
Daemon_settings parse_settings(std::string_view toml_text, std::string_view file_name);

/// Reads and parses the file at `path`; Config_error also when it cannot be read.
Daemon_settings load_settings(const std::string& path);

/// parse_settings(...).config
Config parse_config(std::string_view toml_text, std::string_view file_name);
/// load_settings(path).config
Config load_config(const std::string& path);

/// Parses one swanctl traffic selector: "10.1.0.0/24", "10.1.0.5", "2001:db8::/32",
/// "10.1.0.1-10.1.0.9", each optionally followed by "[proto/port]" ("[tcp/443]", "[udp]",
/// "[17/1000-2000]", "[gre]"; proto: tcp, udp, icmp, ipv6-icmp, sctp, gre, %any or a number).
/// Returns false and sets `error` on bad input, including a port other than "%any" / 0-65535
/// with a protocol whose port is undefined (0 or an empty proto, gre, ...: RFC 7296 §3.13.1,
/// codec::ts_ports_defined). RFC 7296 §3.13.1.
bool parse_traffic_selector(std::string_view text, Traffic_selector& out, std::string& error);

/// swanctl text of a selector: "10.1.0.0/24" when the range is a prefix, "a-b" otherwise,
/// plus "[proto/port]" when either is restricted.
std::string traffic_selector_to_string(const Traffic_selector& ts);

}  // namespace ike::daemon
