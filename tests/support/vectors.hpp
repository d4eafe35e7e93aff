// Readers for the outside known-answer data in ../shared/testdata: the JSON fact tables
// (crypto-vectors/*.json) and NIST CAVP response files (*.fax). Test code only.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ike::test {

/// IKEREF_SHARED_DIR + "/" + relative, e.g. shared_path("testdata/crypto-vectors/prf.json").
std::string shared_path(const std::string& relative);

/// Parses a JSON file under the shared dir; throws std::runtime_error when it is missing or
/// malformed.
nlohmann::json load_shared_json(const std::string& relative);

/// The "cases" array of a testdata/crypto-vectors/<name>.json file, or an empty vector when
/// the file cannot be read (tests check the count separately, so nothing vanishes silently).
std::vector<nlohmann::json> crypto_vector_cases(const std::string& name);

/// One COUNT block of a CAVP .fax file with the [..] group headers in force for it.
struct Fax_case {
    /// "[g^ir length = 256]" -> {"g^ir length", "256"}; a header without '=' such as
    /// "[SHA-1]" is stored under the key "algorithm".
    std::map<std::string, std::string> group;
    /// "Ni = 32b5..." -> {"Ni", "32b5..."}, including "COUNT".
    std::map<std::string, std::string> fields;
};

/// Reads every COUNT block of a .fax file under the shared dir; throws std::runtime_error
/// when the file cannot be opened.
std::vector<Fax_case> read_fax(const std::string& relative);

/// A GoogleTest-safe parameter name: letters, digits and '_' only.
std::string test_name(const std::string& raw);

/// Parameter-name generator for INSTANTIATE_TEST_SUITE_P over JSON cases: the case's "id".
std::string case_id_name(const ::testing::TestParamInfo<nlohmann::json>& param);

}  // namespace ike::test
