// The traceability check of spec-notes/ (STYLE.md "spec-notes/"): every MUST and MUST NOT id of
// spec-notes/rfc7296/requirements.md must be named by code (src/, model/, include/,
// conformance/reference/) AND by a test (tests/, conformance/sequences/, or a test named for the
// id in spec-notes/rfc7296/tests.md when the test file itself does not name it), or have a written
// exception in spec-notes/rfc7296/exceptions.md, of one of four kinds:
//   not implemented          a feature ikeref does not have (deviations.md says why);
//   not applicable           not a rule an implementation can follow or break on the wire
//                            (a note to document writers, a table, a configuration interface);
//   code reference pending   implemented and tested, but no code names the id yet (the file
//                            to add it to is given): the backlog for src/ and model/ owners;
//   test pending             code names it, no test does yet;
//   pending                  neither yet (implemented or partly: the reason says where).
// A pending entry is checked: it fails once the code reference (or test) exists, so the list
// only shrinks. Also keeps the
// generated map spec-notes/rfc7296/coverage.md fresh: `make coverage-report` rewrites it
// (IKEREF_WRITE_COVERAGE=1 conformance_tests --gtest_filter='Requirements_coverage.*').
//
// How ids are referenced: as a whole token anywhere in a file — a Diagnostic rule string
// ("7296-2.6-cookie-required"), a comment (`// RFC 7296 §2.6 [7296-2.6-cookie-echo]`), a
// sequence file's `requirements:` line or an `expect: ... diagnostic 7296-...` line.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace ike::test {
namespace {

namespace fs = std::filesystem;

const std::string kRoot = IKEREF_SOURCE_DIR;
const char* const kCodeRoots[] = {"src", "model", "include", "conformance/reference"};
const char* const kTestRoots[] = {"tests", "conformance/sequences"};
const char* const kReport = "spec-notes/rfc7296/coverage.md";

struct Requirement {
    std::string id, section, level, text;
    bool enforced() const { return level == "MUST" || level == "MUST NOT"; }
};

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::vector<std::string> cells(const std::string& line) {
    std::vector<std::string> out;
    std::string cur;
    for (std::size_t i = 1; i < line.size(); ++i) {
        if (line[i] == '|') {
            out.push_back(trim(cur));
            cur.clear();
        } else {
            cur += line[i];
        }
    }
    return out;
}

bool is_id(const std::string& s) {
    if (s.size() < 6 || !std::isdigit(static_cast<unsigned char>(s[0]))) return false;
    if (s.find('-') != 4) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
    });
}

/// The level a row is held to: "MUST NOT" and "MUST" (also "MUST (read)"), else as written.
std::string normalise_level(const std::string& l) {
    if (l.rfind("MUST NOT", 0) == 0) return "MUST NOT";
    if (l.rfind("MUST", 0) == 0) return "MUST";
    return l;
}

/// Rows `| id | section | level | text |` of a requirement table (markdown), in file order.
std::vector<Requirement> parse_requirements(const std::string& md) {
    std::vector<Requirement> out;
    std::set<std::string> seen;
    std::istringstream in(md);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("| ", 0) != 0) continue;
        const auto c = cells(line);
        if (c.size() < 4 || !is_id(c[0]) || !seen.insert(c[0]).second) continue;
        out.push_back(Requirement{c[0], c[1], normalise_level(c[2]), c[3]});
    }
    return out;
}

struct Exception {
    std::string kind, reason;
};
const char* const kKinds[] = {"not implemented", "not applicable", "code reference pending", "test pending",
                              "pending"};

/// Rows `| id | kind | reason |` of spec-notes/rfc7296/exceptions.md (any table of the file).
std::map<std::string, Exception> parse_exceptions(const std::string& md) {
    std::map<std::string, Exception> out;
    std::istringstream in(md);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("| ", 0) != 0) continue;
        const auto c = cells(line);
        if (c.size() >= 3 && is_id(c[0])) out[c[0]] = Exception{c[1], c[2]};
    }
    return out;
}

bool token_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_'; }

/// Every id-shaped token (NNNN-...) of `text`, trailing '.' and '-' removed.
std::set<std::string> id_tokens(const std::string& text) {
    std::set<std::string> out;
    for (std::size_t i = 0; i + 5 < text.size(); ++i) {
        if (!std::isdigit(static_cast<unsigned char>(text[i])) || (i > 0 && token_char(text[i - 1]))) continue;
        std::size_t j = i;
        while (j < text.size() && token_char(text[j])) ++j;
        std::string tok = text.substr(i, j - i);
        while (!tok.empty() && (tok.back() == '.' || tok.back() == '-')) tok.pop_back();
        if (is_id(tok)) out.insert(tok);
        i = j;
    }
    return out;
}

bool scanned(const fs::path& p) {
    static const std::set<std::string> ext{".cpp", ".hpp", ".h", ".cc", ".seq", ".sh", ".toml", ".py"};
    return ext.count(p.extension().string()) > 0;
}

/// Sequence files ikeref does not pass yet (conformance/sequences/KNOWN_FAILURES.md rows
/// `| name.seq | ...`): they test nothing until they pass.
std::set<std::string> known_failure_files() {
    std::set<std::string> out;
    std::istringstream in(read_file(kRoot + "/conformance/sequences/KNOWN_FAILURES.md"));
    for (std::string line; std::getline(in, line);) {
        const auto end = line.find(".seq |");
        if (line.rfind("| ", 0) == 0 && end != std::string::npos)
            out.insert("conformance/sequences/" + trim(line.substr(2, end - 2)) + ".seq");
    }
    return out;
}

/// id -> files (relative to the source root) that name it, over the given roots.
std::map<std::string, std::set<std::string>> references(const std::vector<std::string>& roots) {
    const auto known_failures = known_failure_files();
    std::map<std::string, std::set<std::string>> out;
    for (const auto& r : roots) {
        const fs::path base = fs::path(kRoot) / r;
        if (!fs::exists(base)) continue;
        for (auto it = fs::recursive_directory_iterator(base); it != fs::recursive_directory_iterator(); ++it) {
            if (!it->is_regular_file() || !scanned(it->path())) continue;
            const std::string rel = fs::relative(it->path(), kRoot).generic_string();
            // This checker names ids in its own tests; that is no test of the rule.
            if (rel == "tests/conformance/requirements_coverage_test.cpp") continue;
            if (known_failures.count(rel)) continue;
            for (const auto& id : id_tokens(read_file(it->path().string()))) out[id].insert(rel);
        }
    }
    return out;
}

struct Coverage {
    std::vector<Requirement> rows;
    std::map<std::string, std::set<std::string>> code, tests;
    std::map<std::string, Exception> exceptions;

    bool has_code(const std::string& id) const { return code.count(id) > 0; }
    bool has_test(const std::string& id) const { return tests.count(id) > 0; }
    bool excepted(const std::string& id) const { return exceptions.count(id) > 0; }
    bool covered(const Requirement& r) const { return has_code(r.id) && has_test(r.id); }
};

/// spec-notes/rfc7296/tests.md: `| id | tests/... file | test name |` names a test that checks the
/// rule without naming its id (tests owned elsewhere). Counted when the file holds that name.
struct Test_pointer {
    std::string id, file, name;
};
std::vector<Test_pointer> parse_test_map(const std::string& md) {
    std::vector<Test_pointer> out;
    std::istringstream in(md);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("| ", 0) != 0) continue;
        auto c = cells(line);
        if (c.size() < 3 || !is_id(c[0])) continue;
        for (auto* x : {&c[1], &c[2]})
            if (x->size() >= 2 && x->front() == '`' && x->back() == '`') *x = x->substr(1, x->size() - 2);
        out.push_back(Test_pointer{c[0], c[1], c[2]});
    }
    return out;
}

Coverage measure() {
    Coverage c;
    c.rows = parse_requirements(read_file(kRoot + "/spec-notes/rfc7296/requirements.md"));
    c.code = references({std::begin(kCodeRoots), std::end(kCodeRoots)});
    c.tests = references({std::begin(kTestRoots), std::end(kTestRoots)});
    for (const auto& t : parse_test_map(read_file(kRoot + "/spec-notes/rfc7296/tests.md"))) {
        if (t.file.rfind("tests/", 0) != 0) continue;
        const std::string text = read_file(kRoot + "/" + t.file);
        if (!text.empty() && text.find(t.name) != std::string::npos) c.tests[t.id].insert(t.file);
    }
    c.exceptions = parse_exceptions(read_file(kRoot + "/spec-notes/rfc7296/exceptions.md"));
    return c;
}

std::string file_list(const std::map<std::string, std::set<std::string>>& refs, const std::string& id) {
    const auto it = refs.find(id);
    if (it == refs.end()) return "—";
    std::string s;
    std::size_t n = 0;
    for (const auto& f : it->second) {
        if (n == 5) {
            s += " (+" + std::to_string(it->second.size() - 5) + ")";
            break;
        }
        s += (n++ ? ", " : "") + ("`" + f + "`");
    }
    return s;
}

// "§2.21.1" -> {2, 21, 1} for ordering the report.
std::vector<int> section_key(const std::string& section) {
    std::vector<int> k;
    std::string num;
    for (char ch : section) {
        if (std::isdigit(static_cast<unsigned char>(ch))) num += ch;
        else if (ch == '.' && !num.empty()) {
            k.push_back(std::stoi(num));
            num.clear();
        } else if (!num.empty()) break;
    }
    if (!num.empty()) k.push_back(std::stoi(num));
    return k;
}

std::string first_section(const std::string& s) {
    const auto comma = s.find(',');
    return trim(comma == std::string::npos ? s : s.substr(0, comma));
}

/// The generated report (spec-notes/rfc7296/coverage.md).
std::string render(const Coverage& c) {
    std::size_t enforced = 0, both = 0, uncovered = 0;
    std::map<std::string, std::size_t> by_kind;
    for (const auto& r : c.rows) {
        if (!r.enforced()) continue;
        ++enforced;
        if (c.covered(r)) ++both;
        else if (c.excepted(r.id)) ++by_kind[c.exceptions.at(r.id).kind];
        else ++uncovered;
    }
    std::ostringstream os;
    os << "# RFC 7296 requirement coverage (generated: do not edit)\n\n"
       << "Generated by `make coverage-report` from `spec-notes/rfc7296/requirements.md`, the sources\n"
       << "and the exceptions in `spec-notes/rfc7296/exceptions.md`; `Requirements_coverage.report_is_fresh`\n"
       << "(conformance_tests) fails when this file is out of date. Code: an id named in `src/`,\n"
       << "`model/`, `include/` or `conformance/reference/`; tests: in `tests/` or\n"
       << "`conformance/sequences/`. Every MUST / MUST NOT id needs code and a test, or an exception.\n\n"
       << "| | ids |\n|---|---|\n"
       << "| rows in the table | " << c.rows.size() << " |\n"
       << "| MUST / MUST NOT | " << enforced << " |\n"
       << "| ... with code and a test | " << both << " |\n"
       << "| ... not implemented (exception) | " << by_kind["not implemented"] << " |\n"
       << "| ... not applicable (exception) | " << by_kind["not applicable"] << " |\n"
       << "| ... tested, code reference pending | " << by_kind["code reference pending"] << " |\n"
       << "| ... in code, test pending | " << by_kind["test pending"] << " |\n"
       << "| ... neither yet (pending) | " << by_kind["pending"] << " |\n"
       << "| ... uncovered | " << uncovered << " |\n"
       << "| other levels (SHOULD, MAY, ...) with code and a test | "
       << std::count_if(c.rows.begin(), c.rows.end(),
                        [&](const Requirement& r) { return !r.enforced() && c.covered(r); })
       << " of " << c.rows.size() - enforced << " |\n\n";
    std::vector<const Requirement*> order;
    for (const auto& r : c.rows) order.push_back(&r);
    std::stable_sort(order.begin(), order.end(), [](const Requirement* a, const Requirement* b) {
        return section_key(first_section(a->section)) < section_key(first_section(b->section));
    });
    std::string current;
    for (const Requirement* r : order) {
        const std::string sec = first_section(r->section);
        if (sec != current) {
            current = sec;
            os << "\n## " << sec << "\n\n| id | level | code | tests | status |\n|----|-------|------|-------|--------|\n";
        }
        std::string status;
        if (c.covered(*r)) status = "covered";
        else if (c.excepted(r->id)) status = c.exceptions.at(r->id).kind;
        else if (r->enforced()) status = "**uncovered**";
        else status = "—";
        os << "| " << r->id << " | " << r->level << " | " << file_list(c.code, r->id) << " | "
           << file_list(c.tests, r->id) << " | " << status << " |\n";
    }
    return os.str();
}

TEST(Requirements_coverage, ids_are_found_as_whole_tokens) {
    const auto t = id_tokens("x(\"7296-2.6-cookie-echo\"); // [7296-2.1-s1]. 7296-2.1-s10 a7296-1.2-x 12-3");
    EXPECT_EQ(t, (std::set<std::string>{"7296-2.6-cookie-echo", "7296-2.1-s1", "7296-2.1-s10"}));
    const auto rows = parse_requirements(
        "| id | section | level | x |\n|---|---|---|---|\n| 7296-1.2-s1 | §1.2 | MUST | a |\n"
        "| 7296-1.3-x | §1.3 | MUST (read) | b |\n| 7296-2.5-s10 | §2.5 | MUST NOT | c |\n"
        "| 7296-3.1-* , 7296-3.2-* | §3 | MUST | wildcard |\n| 7296-2.9-s1 | §2.9 | SHOULD | d |\n");
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[1].level, "MUST");
    EXPECT_EQ(rows[2].level, "MUST NOT");
    EXPECT_FALSE(rows[3].enforced());
    const auto ex = parse_exceptions("x\n| id | kind | why |\n|--|--|--|\n| 7296-2.16-s2 | not implemented | no EAP |\n"
                                     "| 7296-2.16-s3 | only two cells |\n");
    EXPECT_EQ(ex.size(), 1u);
    EXPECT_EQ(ex.at("7296-2.16-s2").kind, "not implemented");
}

TEST(Requirements_coverage, a_rule_emitted_by_core_and_replayed_by_a_sequence_is_covered) {
    const Coverage c = measure();
    EXPECT_GT(c.rows.size(), 300u);
    EXPECT_TRUE(c.has_code("7296-2.6-cookie-required"));
    EXPECT_TRUE(c.tests.at("7296-2.6-cookie-required").count("conformance/sequences/cookie.seq"));
    EXPECT_FALSE(c.has_code("7296-0.0-no-such-rule"));
}

TEST(Requirements_coverage, test_map_rows_name_existing_tests_of_known_ids) {
    const Coverage c = measure();
    std::set<std::string> ids;
    for (const auto& r : c.rows) ids.insert(r.id);
    for (const auto& t : parse_test_map(read_file(kRoot + "/spec-notes/rfc7296/tests.md"))) {
        EXPECT_TRUE(ids.count(t.id)) << "tests.md maps " << t.id << ", which has no row";
        EXPECT_EQ(t.file.rfind("tests/", 0), 0u) << t.id << ": " << t.file << " is not under tests/";
        EXPECT_NE(read_file(kRoot + "/" + t.file).find(t.name), std::string::npos)
            << "tests.md: " << t.file << " has no test " << t.name << " (for " << t.id << ")";
    }
}

TEST(Requirements_coverage, exceptions_name_ids_of_the_table) {
    const Coverage c = measure();
    std::set<std::string> ids;
    for (const auto& r : c.rows) ids.insert(r.id);
    for (const auto& [id, e] : c.exceptions) {
        EXPECT_TRUE(ids.count(id)) << "exceptions.md lists " << id << ", which has no row in requirements.md";
        EXPECT_FALSE(e.reason.empty()) << id << " has an exception without a reason";
        EXPECT_TRUE(std::find(std::begin(kKinds), std::end(kKinds), e.kind) != std::end(kKinds))
            << id << ": unknown kind \"" << e.kind << "\"";
        // A pending entry goes once it is done; a covered id needs no exception.
        EXPECT_FALSE(c.has_code(id) && c.has_test(id)) << id << " is covered now: remove it from exceptions.md";
        if (e.kind == "code reference pending") {
            EXPECT_TRUE(c.has_test(id)) << id << " is 'code reference pending' but no test names it";
            EXPECT_FALSE(c.has_code(id)) << id << " has its code reference now: remove it from exceptions.md";
        }
        if (e.kind == "pending") {
            EXPECT_FALSE(c.has_code(id)) << id << " has a code reference now: make it 'test pending' or remove it";
            EXPECT_FALSE(c.has_test(id)) << id << " has a test now: make it 'code reference pending' or remove it";
        }
        if (e.kind == "test pending") {
            EXPECT_TRUE(c.has_code(id)) << id << " is 'test pending' but no code names it";
            EXPECT_FALSE(c.has_test(id)) << id << " has its test now: remove it from exceptions.md";
        }
    }
}

TEST(Requirements_coverage, every_MUST_has_code_and_a_test_or_a_written_exception) {
    const Coverage c = measure();
    std::ostringstream missing;
    std::size_t n = 0;
    for (const auto& r : c.rows) {
        if (!r.enforced() || c.covered(r) || c.excepted(r.id)) continue;
        ++n;
        missing << "  " << r.id << " (" << r.section << ", " << r.level << "): "
                << (c.has_code(r.id) ? "" : "no code reference") << (!c.has_code(r.id) && !c.has_test(r.id) ? ", " : "")
                << (c.has_test(r.id) ? "" : "no test") << "\n";
    }
    EXPECT_EQ(n, 0u) << n << " MUST / MUST NOT ids have neither code and a test nor an exception "
                     << "(spec-notes/rfc7296/exceptions.md):\n"
                     << missing.str();
}

TEST(Requirements_coverage, report_is_fresh) {
    const std::string now = render(measure());
    const std::string path = kRoot + "/" + kReport;
    if (std::getenv("IKEREF_WRITE_COVERAGE")) {
        std::ofstream(path) << now;
        std::cout << "wrote " << path << "\n";
        return;
    }
    EXPECT_TRUE(read_file(path) == now) << kReport << " is out of date: run `make coverage-report` and commit it";
}

}  // namespace
}  // namespace ike::test
