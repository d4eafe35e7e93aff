// Readers for ../shared/testdata (see vectors.hpp).
#include "tests/support/vectors.hpp"

#include <cctype>
#include <fstream>
#include <stdexcept>

namespace ike::test {
namespace {

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

}  // namespace

std::string shared_path(const std::string& relative) {
    return std::string(IKEREF_SHARED_DIR) + "/" + relative;
}

nlohmann::json load_shared_json(const std::string& relative) {
    std::ifstream in(shared_path(relative));
    if (!in) throw std::runtime_error("cannot open " + shared_path(relative));
    return nlohmann::json::parse(in);
}

std::vector<nlohmann::json> crypto_vector_cases(const std::string& name) {
    try {
        const auto j = load_shared_json("testdata/crypto-vectors/" + name + ".json");
        return j.at("cases").get<std::vector<nlohmann::json>>();
    } catch (const std::exception&) {
        return {};
    }
}

std::vector<Fax_case> read_fax(const std::string& relative) {
    std::ifstream in(shared_path(relative));
    if (!in) throw std::runtime_error("cannot open " + shared_path(relative));
    std::vector<Fax_case> cases;
    std::map<std::string, std::string> group;
    bool last_was_header = false;
    Fax_case* current = nullptr;
    std::string line;
    while (std::getline(in, line)) {
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        if (line.front() == '[' && line.back() == ']') {
            if (!last_was_header) group.clear();  // a new parameter group starts
            last_was_header = true;
            current = nullptr;
            const std::string body = line.substr(1, line.size() - 2);
            const auto eq = body.find('=');
            if (eq == std::string::npos)
                group["algorithm"] = trim(body);
            else
                group[trim(body.substr(0, eq))] = trim(body.substr(eq + 1));
            continue;
        }
        last_was_header = false;
        const auto eq = line.find(" = ");
        if (eq == std::string::npos) continue;
        const std::string key = trim(line.substr(0, eq));
        const std::string value = trim(line.substr(eq + 3));
        if (key == "COUNT") {
            cases.push_back(Fax_case{group, {}});
            current = &cases.back();
        }
        if (current != nullptr) current->fields[key] = value;
    }
    return cases;
}

std::string test_name(const std::string& raw) {
    std::string out;
    for (char c : raw) out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
    return out;
}

std::string case_id_name(const ::testing::TestParamInfo<nlohmann::json>& param) {
    return test_name(param.param.at("id").get<std::string>());
}

}  // namespace ike::test
