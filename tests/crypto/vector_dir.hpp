// Where the known-answer tests of tests/crypto read their vectors (issue 4 item 4): the
// directories come from environment variables, defaulting to ../shared/testdata, so that more
// vector files in the same formats run through the same tests:
//   IKEREF_CRYPTO_VECTORS  directory of <set>.json fact tables (prf, integ, encr, aead, ke, kdf,
//                          nss_ike_aesxcbc); default <shared>/testdata/crypto-vectors
//   IKEREF_CAVP_IKE_KDF    directory of NIST CAVP SP 800-135 IKEv2 response files (every
//                          ikev2*.fax); default <shared>/testdata/nist-cavp-ike-kdf
// Case counts of the shared files are asserted only when both variables are unset.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/vectors.hpp"

namespace ike::test {

inline std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return (v != nullptr && *v != '\0') ? std::string(v) : fallback;
}

inline std::string crypto_vectors_dir() {
    return env_or("IKEREF_CRYPTO_VECTORS", shared_path("testdata/crypto-vectors"));
}

inline std::string cavp_ike_kdf_dir() {
    return env_or("IKEREF_CAVP_IKE_KDF", shared_path("testdata/nist-cavp-ike-kdf"));
}

/// True when the vectors come from ../shared/testdata (its case counts are known).
inline bool default_vector_dirs() {
    return std::getenv("IKEREF_CRYPTO_VECTORS") == nullptr && std::getenv("IKEREF_CAVP_IKE_KDF") == nullptr;
}

/// The whole JSON file <crypto_vectors_dir>/<set>.json; throws std::runtime_error when missing.
inline nlohmann::json vector_file(const std::string& set) {
    const std::string path = crypto_vectors_dir() + "/" + set + ".json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    return nlohmann::json::parse(in);
}

/// The "cases" of <crypto_vectors_dir>/<set>.json, or none when it cannot be read (the
/// are_all_read tests check the counts, so nothing vanishes silently).
inline std::vector<nlohmann::json> vector_cases(const std::string& set) {
    try {
        return vector_file(set).at("cases").get<std::vector<nlohmann::json>>();
    } catch (const std::exception&) {
        return {};
    }
}

/// Paths (relative to the shared dir, as read_fax takes them) of every ikev2*.fax file of
/// cavp_ike_kdf_dir(), sorted.
inline std::vector<std::string> cavp_ikev2_files() {
    namespace fs = std::filesystem;
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(cavp_ike_kdf_dir(), ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind("ikev2", 0) == 0 && e.path().extension() == ".fax")
            out.push_back(fs::relative(e.path(), shared_path(""), ec).string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace ike::test
