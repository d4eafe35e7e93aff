// Runs the selected cases of the catalogue against one target and collects the results.
#pragma once

#include <string>
#include <vector>

#include "conformance/runner/case.hpp"
#include "conformance/runner/profile.hpp"

namespace ike::conform {

struct Run_options {
    std::string cases_glob = "*";   ///< fnmatch(3) pattern over case ids
    bool check_alive = true;        ///< CHK-alive (P-FRESH) after every case
    bool verbose = false;           ///< one line per case on stderr
};

struct Run_output {
    std::vector<Result> results;
    std::vector<const Case*> not_implemented;  ///< selected but not implemented
};

/// Runs every selected case: SKIP when a needed capability or trigger is missing, ERROR when
/// the runner itself throws; never hangs (each wait is bounded by the profile's windows).
/// Throws std::runtime_error when the runner's sockets cannot be bound.
Run_output run_cases(const Profile& profile, const Run_options& options);

/// True when `id` matches the glob `pattern` (fnmatch, no special meaning for '/').
bool case_selected(const std::string& id, const std::string& pattern);

}  // namespace ike::conform
