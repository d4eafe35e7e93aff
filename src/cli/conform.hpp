// ikeref conform --profile TARGET.toml --junit FILE [--report FILE] [--cases GLOB] [--list]:
// the conformance runner (conformance/runner, CONFORMANCE-CATALOGUE.md) against a live target.
#pragma once

#include <CLI/CLI.hpp>

namespace ike::cli {

/// Adds the `conform` subcommand. It runs from its parse callback and ends the parse with
/// CLI::Success (exit 0: every run case PASS, NOTE or SKIP), CLI::RuntimeError(1) (a FAIL, WARN
/// or ERROR verdict) or CLI::RuntimeError(2) (unusable profile, sockets that cannot be bound).
void add_conform_subcommand(CLI::App& app);

}  // namespace ike::cli
