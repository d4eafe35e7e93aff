// Where negotiated CHILD SAs go (RFC 7296 §2.17 keys, §2.9 selectors): the Sa_backend
// interface, and Recording_backend, which keeps them in memory and writes Wireshark's key
// tables (UAT files `ikev2_decryption_table` and `esp_sa`) for key export (log_keys only).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ike/endpoint.hpp"

namespace ike::io {

/// Receives the Endpoint's Install_child_sa / Remove_child_sa outputs (and, with log_keys,
/// Keys_derived). Implementations: Recording_backend; an XFRM backend would be another.
class Sa_backend {
public:
    virtual ~Sa_backend() = default;
    /// A CHILD SA pair was negotiated: `sa.spi_in` protects what the peer sends us.
    virtual void install(const Child_sa& sa) = 0;
    /// The pair (spi_in, spi_out) of `connection` was deleted (RFC 7296 §1.4.1); a 0 SPI
    /// means that direction stays for now (a half-closed pair, see Remove_child_sa).
    virtual void remove(const std::string& connection, std::uint32_t spi_in,
                        std::uint32_t spi_out) = 0;
    /// IKE SA keys (only emitted when Config::log_keys is set). Default: ignored.
    virtual void ike_keys(const Keys_derived& keys) { (void)keys; }
};

/// An explicit copy of a Child_sa (Secrets are move-only).
Child_sa clone(const Child_sa& sa);
/// An explicit copy of Keys_derived.
Keys_derived clone(const Keys_derived& keys);

/// Wireshark's name for the IKEv2 encryption / integrity of a selected IKE proposal, as its
/// ikev2_decryption_table UAT spells it ("AES-GCM-256 with 16 octet ICV [RFC5282]",
/// "AES-CBC-256 [RFC3602]", "HMAC_SHA2_256_128 [RFC4868]", "NONE [RFC4306]" for AEAD).
/// nullopt when Wireshark has no entry (e.g. ChaCha20-Poly1305 in IKE).
std::optional<std::string> wireshark_ikev2_encryption(const Proposal& ike_proposal);
std::optional<std::string> wireshark_ikev2_integrity(const Proposal& ike_proposal);
/// Wireshark's ESP UAT names ("AES-GCM with 16 octet ICV [RFC4106]", "AES-CBC [RFC3602]";
/// authentication "NULL" for AEAD, "HMAC-SHA-256-128 [RFC4868]"). nullopt when unknown.
std::optional<std::string> wireshark_esp_encryption(const Proposal& esp_proposal);
std::optional<std::string> wireshark_esp_authentication(const Proposal& esp_proposal);

/// One ikev2_decryption_table UAT row, fields in Wireshark's order
/// `SPIi,SPIr,SK_ei,SK_er,"encryption",SK_ai,SK_ar,"integrity"`: SPIs 16 lower-case hex
/// digits, keys hex (SK_ai/SK_ar empty for AEAD), names quoted. Names Wireshark lacks are
/// written as "unknown".
std::string ikev2_decryption_table_row(const Keys_derived& keys);
/// The two esp_sa UAT rows of a CHILD SA (inbound then outbound), Wireshark's field order
/// `"IPv4","src","dst","0xSPI","encryption","0xkey","authentication","0xkey"` (SPI 8 hex
/// digits; AEAD keys include the salt, RFC 4106 §8.1; "IPv6" for IPv6 addresses).
std::vector<std::string> esp_sa_rows(const Child_sa& sa);

/// Keeps CHILD SAs in memory and writes Wireshark key tables. Not thread-safe.
class Recording_backend : public Sa_backend {
public:
    void install(const Child_sa& sa) override;
    void remove(const std::string& connection, std::uint32_t spi_in,
                std::uint32_t spi_out) override;
    void ike_keys(const Keys_derived& keys) override;

    /// CHILD SAs installed and not removed, in installation order; a half-removed pair stays
    /// (with the removed direction's SPI set to 0) until its other half is removed.
    const std::vector<Child_sa>& installed() const { return installed_; }
    /// Every CHILD SA ever installed, including removed ones (for key tables).
    const std::vector<Child_sa>& history() const { return history_; }
    /// IKE keys seen, by (SPIi, SPIr).
    const std::map<std::pair<Spi, Spi>, Keys_derived>& all_ike_keys() const { return ike_keys_; }
    const Child_sa* find_child(std::uint32_t spi_in) const;
    const Keys_derived* find_ike_keys(Spi SPIi, Spi SPIr) const;

    /// The UAT file texts: a comment line, then one row per line (all IKE SAs / every CHILD SA
    /// ever installed).
    std::string ikev2_decryption_table() const;
    std::string esp_sa_table() const;
    /// Writes the texts to `path`; throws std::runtime_error when the file cannot be written.
    void write_ikev2_decryption_table(const std::string& path) const;
    void write_esp_sa(const std::string& path) const;

private:
    std::vector<Child_sa> installed_;
    std::vector<Child_sa> history_;
    std::map<std::pair<Spi, Spi>, Keys_derived> ike_keys_;
};

}  // namespace ike::io
