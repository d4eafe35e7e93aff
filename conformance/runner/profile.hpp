// The target profile of `ikeref conform` (CONFORMANCE-CATALOGUE.md §5): where the
// implementation under test (NUT) listens, the identities and PSK both sides use, the proposals
// and traffic selectors its policy accepts, the capabilities it claims and the trigger commands
// that make it start an exchange. Read from TOML (toml++).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "ike/config.hpp"
#include "ike/message.hpp"

namespace ike::conform {

/// A profile that cannot be used: what() names the file and the key.
class Profile_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Profile {
    std::string name = "target";
    // [target]: the NUT. Ports 500 and 4500 (RFC 7296 §2.11, §2.23).
    std::string target_address = "127.0.0.1";
    std::uint16_t target_port = 500;
    std::uint16_t target_nat_t_port = 4500;
    /// Optional second listener of the same NUT configured to demand a COOKIE for every
    /// IKE_SA_INIT (capability `cookie-mode`); 0 = none.
    std::uint16_t cookie_mode_port = 0;
    // [runner]: where the runner binds (it answers the NUT's requests there, too).
    std::string runner_address = "127.0.0.1";
    std::uint16_t runner_port = 500;
    std::uint16_t runner_nat_t_port = 4500;
    // [auth]
    Identity runner_id;  ///< IDi when the runner initiates
    Identity target_id;  ///< the NUT's identity (IDr)
    Identity cp_runner_id;  ///< IDi of the configuration payload cases (default: runner_id)
    std::string psk;
    // [proposals]: strongSwan keywords (codec::parse_proposal). `ike` is F-INIT's SAi1 (the
    // first entry), `esp` F-AUTH's SAi2.
    std::vector<Proposal> ike;
    std::vector<Proposal> esp;
    std::vector<std::uint16_t> groups;  ///< D-H groups the NUT's IKE policy accepts (Ke_id)
    std::uint16_t pfs_group = 0;         ///< NUT's CHILD SA PFS group (0: none)
    // [traffic_selectors]: runner side (TSi when the runner initiates) and NUT side.
    std::vector<Traffic_selector> runner_ts;
    std::vector<Traffic_selector> target_ts;
    /// The NUT's address pool for the runner's CFG_REQUEST (capability cp-pool), as a range.
    std::optional<Traffic_selector> pool;
    // [features] -> capability names of the catalogue: cert, cookie-mode, cp-pool, cp-required,
    // nat-t, frag, window>1, transport, pfs, dataplane, liveness.
    std::set<std::string> capabilities;
    unsigned window_size = 1;
    // [triggers]: name (initiate, create-child, rekey-child, rekey-ike, delete-child,
    // delete-ike, liveness) -> shell command. `{spi}` in a command is replaced by the NUT's
    // inbound SPI of the CHILD SA concerned (8 hex digits).
    std::map<std::string, std::string> triggers;
    // [timing]
    std::chrono::milliseconds rto0{4000};  ///< the NUT's first retransmission interval
    /// Silence window W (catalogue §4): clamp(2 * rto0, 4 s, 30 s) unless set explicitly
    /// (a CI-sized value for targets on a local link).
    std::chrono::milliseconds silence_window{8000};
    std::chrono::milliseconds spacing{1000};  ///< gap between repeated unprotected stimuli

    bool has(const std::string& capability) const { return capabilities.count(capability) != 0; }
    bool has_trigger(const std::string& t) const { return triggers.count(t) != 0; }
};

/// Reads a profile. Throws Profile_error (file and key in the message) on a TOML error, an
/// unknown key, a bad address, proposal keyword or traffic selector, or a missing PSK.
Profile load_profile(const std::string& path);
/// The same from text; `file_name` labels errors.
Profile parse_profile(const std::string& toml_text, const std::string& file_name);

}  // namespace ike::conform
