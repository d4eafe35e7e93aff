// ikeref conform: runs the catalogue against a target and writes JUnit XML and a text report.
#include "src/cli/conform.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <fstream>
#include <iostream>
#include <memory>

#include "conformance/runner/report.hpp"
#include "conformance/runner/runner.hpp"

namespace ike::cli {
namespace {

struct Conform_args {
    std::string profile, junit, report, failures, cases = "*";
    bool list = false, verbose = false, no_alive = false;
};

int list_cases(const std::string& glob) {
    std::size_t implemented = 0, total = 0;
    for (const auto& c : conform::case_table()) {
        if (!conform::case_selected(c.id, glob)) continue;
        ++total;
        if (c.run) {
            ++implemented;
            std::string needs;
            for (const auto& n : c.needs) needs += (needs.empty() ? "" : " ") + n;
            std::cout << "implemented      " << c.id << "  [" << c.section << "]"
                      << (needs.empty() ? "" : "  needs: " + needs) << "\n";
        } else {
            std::cout << "not implemented  " << c.id << "  -- " << c.not_implemented << "\n";
        }
    }
    std::cout << implemented << " of " << total << " cases implemented\n";
    return 0;
}

int run_conform(const Conform_args& a) {
    if (a.list) return list_cases(a.cases);
    if (a.profile.empty()) {
        std::cerr << "ikeref conform: --profile is required\n";
        return 2;
    }
    // A typo in a CI's glob must not pass as "0 failed" (checked before anything is sent).
    const auto& table = conform::case_table();
    if (std::none_of(table.begin(), table.end(), [&](const auto& c) { return conform::case_selected(c.id, a.cases); })) {
        std::cerr << "ikeref conform: no case matches --cases '" << a.cases << "' (ikeref conform --list shows the ids)\n";
        return 2;
    }
    conform::Profile profile;
    try {
        profile = conform::load_profile(a.profile);
    } catch (const std::exception& e) {
        std::cerr << "ikeref conform: " << e.what() << "\n";
        return 2;
    }
    // The output files must be writable before minutes of cases run (a CI that reads a JUnit
    // file nobody could write would see nothing).
    for (const std::string* path : {&a.junit, &a.report, &a.failures}) {
        if (path->empty()) continue;
        std::ofstream probe(*path);
        if (!probe) {
            std::cerr << "ikeref conform: cannot write " << *path << ": " << std::strerror(errno) << "\n";
            return 2;
        }
    }
    conform::Run_options opt;
    opt.cases_glob = a.cases;
    opt.verbose = a.verbose;
    opt.check_alive = !a.no_alive;
    conform::Run_output out;
    try {
        out = conform::run_cases(profile, opt);
    } catch (const std::exception& e) {
        std::cerr << "ikeref conform: " << e.what() << "\n";
        return 2;
    }
    bool written = true;
    const auto write = [&written](const std::string& path, const std::function<void(std::ostream&)>& body) {
        if (path.empty()) return;
        std::ofstream f(path);
        body(f);
        f.close();
        if (!f) {
            std::cerr << "ikeref conform: cannot write " << path << ": " << std::strerror(errno) << "\n";
            written = false;
        }
    };
    write(a.junit, [&](std::ostream& f) {
        conform::write_junit(f, "ikeref-conform." + profile.name, out.results, out.not_implemented);
    });
    write(a.report, [&](std::ostream& f) { conform::write_report(f, profile.name, out.results, out.not_implemented); });
    write(a.failures, [&](std::ostream& f) { conform::write_failures(f, out.results); });
    if (!written) return 2;
    const auto s = conform::summarize(out.results, out.not_implemented.size());
    std::cout << "ikeref conform " << profile.name << ": " << s.passed << " passed, " << s.failed << " failed, "
              << s.warned << " warned, " << s.skipped << " skipped, " << s.errors << " errors, "
              << s.not_implemented << " not implemented\n";
    return (s.failed + s.warned + s.errors) == 0 ? 0 : 1;
}

}  // namespace

void add_conform_subcommand(CLI::App& app) {
    auto args = std::make_shared<Conform_args>();
    auto* sub = app.add_subcommand("conform", "run the RFC 7296 conformance catalogue against a target");
    sub->add_option("--profile", args->profile, "target profile (conformance/profiles/*.toml)");
    sub->add_option("--junit", args->junit, "write JUnit XML here");
    sub->add_option("--report", args->report, "write the readable report here");
    sub->add_option("--failures", args->failures, "write '<case> <VERDICT>' for every FAIL/WARN/ERROR here");
    sub->add_option("--cases", args->cases, "glob(s) over case ids, comma separated (default *)");
    sub->add_flag("--list", args->list, "list the catalogue: implemented or not, and why");
    sub->add_flag("-v,--verbose", args->verbose, "one line per case on stderr");
    sub->add_flag("--no-alive-check", args->no_alive, "skip the P-FRESH probe after each case");
    sub->callback([args]() {
        const int rc = run_conform(*args);
        if (rc != 0) throw CLI::RuntimeError(rc);
        throw CLI::Success();
    });
}

}  // namespace ike::cli
