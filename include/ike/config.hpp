// Endpoint configuration in strongSwan's swanctl vocabulary (connections, children, secrets),
// already parsed: the daemon reads TOML into this; tests build it directly.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ike/crypto_provider.hpp"
#include "ike/message.hpp"
#include "ike/types.hpp"

namespace ike {

/// An IP address (4 or 16 octets) and UDP port.
struct Address {
    Bytes ip;
    std::uint16_t port = 0;
    bool operator==(const Address& o) const { return ip == o.ip && port == o.port; }
    bool operator!=(const Address& o) const { return !(*this == o); }
    /// "192.0.2.1:500" / "[2001:db8::1]:500".
    std::string to_string() const;
    /// Parses a literal IPv4 or IPv6 address (no port); nullopt on anything else.
    static std::optional<Address> parse_ip(std::string_view text, std::uint16_t port);
};

/// An identity (RFC 7296 §3.5) as configured: "a.example.test" is ID_FQDN, "user@example.test"
/// ID_RFC822_ADDR, an IP literal ID_IPV4_ADDR / ID_IPV6_ADDR.
struct Identity {
    Id_type type = Id_type::ID_FQDN;
    Bytes data;
    bool operator==(const Identity& o) const { return type == o.type && data == o.data; }
    static Identity parse(std::string_view text);
    std::string to_string() const;
};

/// Which side authenticates how, in swanctl's words: `auth = "psk"` (Auth Method 2) or
/// `auth = "pubkey"` (certificates: methods 1, 9–11 or 14, RFC 7296 §3.8, RFC 7427).
struct Auth_config {
    std::string auth = "psk";
    Identity id;
    /// pubkey, local side: our certificate first, then intermediates, each sent in a CERT
    /// payload (X.509 Certificate - Signature, §3.6). Remote side: certificates pinned for the
    /// peer, used when it sends none.
    std::vector<std::shared_ptr<const Certificate>> certs{};
    /// pubkey, local side: the private key of certs[0].
    std::shared_ptr<const Private_key> private_key{};
    /// pubkey, remote side: the trust anchors the peer's certificate must chain to (RFC 5280
    /// §6); their SubjectPublicKeyInfo SHA-1 hashes go in our CERTREQ (§3.7).
    std::vector<std::shared_ptr<const Certificate>> cacerts{};
    /// pubkey, local side: sign with RSASSA-PSS (RFC 7427, RFC 8247 §3.2) instead of PKCS#1 v1.5
    /// (swanctl `auth = "rsa/pss"` spelling is accepted by the TOML loader).
    bool rsa_pss = false;
};

enum class Ipsec_mode { tunnel, transport };

/// swanctl `children.NAME`.
struct Child_config {
    std::string name;
    std::vector<Traffic_selector> local_ts;
    std::vector<Traffic_selector> remote_ts;
    std::vector<Proposal> esp_proposals;  ///< Protocol_id::ESP, no SPI (filled per SA)
    Ipsec_mode mode = Ipsec_mode::tunnel;
    /// Lifetimes (swanctl `rekey_time`, `life_time`, `rand_time`; RFC 7296 §2.8): the CHILD SA
    /// is rekeyed `rekey_time` minus a random jitter of up to `rand_time` after it was created,
    /// and deleted at `life_time` if that did not happen. 0 disables; life_time 0 means
    /// rekey_time * 1.1, rand_time 0 means rekey_time / 10.
    std::chrono::seconds rekey_time{3600};
    std::chrono::seconds life_time{0};
    std::chrono::seconds rand_time{0};
};

/// swanctl `unique` (RFC 7296 §2.4, INITIAL_CONTACT).
enum class Unique_policy {
    no,       ///< send INITIAL_CONTACT on the first IKE SA with the peer; on receiving it, drop
              ///< our other IKE SAs between the same identities (the peer lost them)
    never,    ///< neither send INITIAL_CONTACT nor act on it (a peer that may be replicated)
    replace,  ///< as `no`, and also delete older IKE SAs between the same identities when the
              ///< peer sent no INITIAL_CONTACT
};

/// swanctl `childless` (RFC 6023): IKE SAs without a CHILD SA from IKE_AUTH.
enum class Childless_policy {
    allow,  ///< announce CHILDLESS_IKEV2_SUPPORTED; initiate childless only when no child is named
    force,  ///< always initiate without a CHILD SA (needs the peer's announcement)
    never,  ///< do not announce; a childless IKE_AUTH request gets the RFC 7296 answer
};

/// swanctl `connections.NAME`.
struct Connection_config {
    std::string name;
    std::vector<std::string> local_addrs;   ///< literal IPs; empty means any
    std::vector<std::string> remote_addrs;  ///< literal IPs; the first is used to initiate
    std::uint16_t remote_port = 500;
    /// Port the peer listens on with the non-ESP marker; the initiator floats there when a NAT
    /// is detected (RFC 7296 §2.23). 4500 for any real peer; tests on loopback change it.
    std::uint16_t remote_nat_t_port = 4500;
    std::vector<Proposal> proposals;        ///< Protocol_id::IKE
    Auth_config local;
    Auth_config remote;
    std::vector<Child_config> children;
    /// IKE SA rekeying (swanctl `rekey_time`, `rand_time`; §2.8): 0 disables; rand_time 0
    /// means rekey_time / 10.
    std::chrono::seconds rekey_time{14400};
    /// Reauthentication (swanctl `reauth_time`, §2.8.3): a new IKE SA made before the old one
    /// is deleted, `reauth_time` minus up to `rand_time` after establishment. 0 disables.
    std::chrono::seconds reauth_time{0};
    /// Hard IKE SA lifetime (swanctl `over_time`, RFC 7296 §2.8): when neither rekeying nor
    /// reauthentication replaced the IKE SA `over_time` after the later of rekey_time and
    /// reauth_time, it is deleted with its CHILD SAs. 0 means 10 % of that later time; without
    /// rekey_time and reauth_time there is no hard lifetime.
    std::chrono::seconds over_time{0};
    std::chrono::seconds rand_time{0};
    /// Liveness check (swanctl `dpd_delay`, RFC 7296 §2.4): an empty INFORMATIONAL request after
    /// this long without hearing from the peer; unanswered, the IKE SA is deleted. 0 disables.
    std::chrono::seconds dpd_delay{0};
    Unique_policy unique = Unique_policy::no;
    Childless_policy childless = Childless_policy::allow;
    /// swanctl `vips` (initiator, RFC 7296 §2.19): virtual IPs asked for with CP(CFG_REQUEST) in
    /// IKE_AUTH; 4 zero octets (0.0.0.0) or 16 (::) ask for any address of that family, any
    /// other value asks for that address.
    std::vector<Bytes> vips;
    /// swanctl `pools` (responder): names of Config::pools that answer a CP(CFG_REQUEST).
    std::vector<std::string> pools;
};

/// swanctl `pools.NAME` (RFC 7296 §2.19, §3.15): the virtual IPs a responder assigns, one per
/// remote identity (the same identity gets the same address back while it has an IKE SA).
struct Pool_config {
    std::string name;
    Bytes first, last;      ///< inclusive range, 4 or 16 octets each
    std::vector<Bytes> dns; ///< INTERNAL_IP4_DNS / INTERNAL_IP6_DNS values for the CFG_REPLY
};

/// swanctl `secrets.ike-NAME`: a PSK shared by the listed identities.
struct Psk_config {
    std::vector<Identity> ids;
    std::string secret;
};

/// The stateless responder gate (RFC 7296 §2.6).
enum class Cookie_policy { on_load, always, never };

struct Gate_config {
    Cookie_policy cookies = Cookie_policy::on_load;
    std::size_t half_open_threshold = 50;  ///< half-open IKE SAs before COOKIE is demanded
    /// Seconds an original responder waits for IKE_AUTH after answering IKE_SA_INIT before it
    /// removes the half-open IKE SA without a word (the initiator gave up or never existed;
    /// RFC 7296 §2.6 leaves the timeout to the implementation). strongSwan's
    /// charon.half_open_timeout, 30 s by default. 0: never.
    std::chrono::seconds half_open_timeout{30};
    /// RFC 7296 §2.4: the most IKE_SA_INIT requests per second (all peers together) that make a
    /// new half-open IKE SA; the rest are dropped unanswered. The gate's stateless answers
    /// (COOKIE, INVALID_KE_PAYLOAD, ...) are not counted. 0: no limit.
    std::size_t unprotected_per_second = 500;
};

/// Retransmission schedule (strongSwan's charon.retransmit_* semantics, RFC 7296 §2.1):
/// attempt n (0-based) waits timeout * base^n; after `tries` retransmissions the SA fails.
struct Retransmit_config {
    std::chrono::milliseconds timeout{4000};
    double base = 1.8;
    unsigned tries = 5;
};

struct Config {
    std::vector<Connection_config> connections;
    std::vector<Psk_config> secrets;
    Gate_config gate;
    Retransmit_config retransmit;
    std::uint16_t ike_port = 500;    ///< local port for IKE
    std::uint16_t nat_t_port = 4500; ///< local port with the non-ESP marker (RFC 3948 §2.2)
    bool log_keys = false;           ///< emit Keys_derived outputs (Wireshark tables, tests)
    /// RFC 7296 §2.3 Message ID window: how many of the peer's requests we accept at once and
    /// whose responses we keep (announced with SET_WINDOW_SIZE in IKE_AUTH when above 1), and
    /// the most requests we keep in flight ourselves (never more than the peer announced; one
    /// with a peer that announced nothing, as strongSwan). 1 to 1024.
    std::uint32_t window_size = 1;
    /// Pretend a NAT was detected (strongSwan's charon.fake_nat idea), to move to nat_t_port.
    bool force_nat_t = false;
    /// The wall-clock time (UTC) at which the Endpoint's monotonic `now` (Time, ms) was zero.
    /// Certificate validity periods (RFC 5280 §4.1.2.5, §6.1.3 (a)(2)) are checked at
    /// wall_clock_at_zero + now, so the Endpoint reads no clock (sans-I/O). The daemon sets it
    /// once at start (system_clock::now() - its steady now); tests set it to place `now` in time.
    /// nullopt: not given; path validation then falls back to the system clock.
    std::optional<std::chrono::system_clock::time_point> wall_clock_at_zero{};
    std::vector<Pool_config> pools;
    const Pool_config* find_pool(std::string_view name) const;

    const Connection_config* find_connection(std::string_view name) const;
    /// The PSK shared by the two identities, or nullptr.
    const Psk_config* find_psk(const Identity& a, const Identity& b) const;
};

}  // namespace ike
