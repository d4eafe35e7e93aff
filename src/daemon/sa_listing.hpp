// The JSON that `ikeref list` and the demo print: Endpoint::list() joined with the key export
// (Keys_derived for IKE SAs, the Recording_backend for CHILD SAs) when log_keys is set.
#pragma once

#include <nlohmann/json.hpp>

#include "src/io/sa_backend.hpp"
#include "src/io/udp_runtime.hpp"

namespace ike::daemon {

/// {"ike_sas":[{"connection","state","original_initiator","SPIi" (16 hex),"SPIr","local",
///   "remote","proposal","keys":{"SK_d","SK_ei","SK_er","SK_ai","SK_ar","SK_pi","SK_pr"} (hex;
///   only with log_keys), "children":[{"name","spi_in" (8 hex),"spi_out","proposal",
///   "encr_key_in","integ_key_in","encr_key_out","integ_key_out" (hex; only with log_keys),
///   "local_ts":["10.1.0.0/24"],"remote_ts":[...],"udp_encapsulation":bool}]}]}
nlohmann::json list_json(const io::Udp_runtime& runtime, const io::Recording_backend& backend);

/// Human-readable rendering of list_json's value (keys shown only when `keys`).
std::string list_text(const nlohmann::json& listing, bool keys);

/// 16 / 8 lower-case hex digits.
std::string spi_hex(Spi spi);
std::string spi_hex(std::uint32_t spi);

}  // namespace ike::daemon
