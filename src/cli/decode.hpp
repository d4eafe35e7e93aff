// ikeref decode FILE [--port N] [--keys TABLE] [--json]: every IKE message of a pcap/pcapng
// capture in the STYLE.md notation with header fields (RFC 7296 §3), SK verified and decrypted
// with a Wireshark ikev2_decryption_table (§3.14, RFC 5282). See src/io/capture.hpp.
#pragma once

#include <CLI/CLI.hpp>

namespace ike::cli {

/// Adds the `decode` subcommand to `app`. It runs from its parse callback and ends the parse
/// with CLI::Success (exit 0) or CLI::RuntimeError(1) (unreadable capture or key table).
void add_decode_subcommand(CLI::App& app);

}  // namespace ike::cli
