// Reports of a conformance run: JUnit XML (FAIL -> <failure type="MUST">, WARN -> <failure
// type="SHOULD">, NOTE -> <system-out>, SKIP -> <skipped>, ERROR -> <error>; catalogue §2) and
// a readable text report giving, for each failure, the step, expected against actual in
// STYLE.md notation and the requirement.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "conformance/runner/case.hpp"

namespace ike::conform {

struct Summary {
    std::size_t passed = 0, failed = 0, warned = 0, skipped = 0, errors = 0, not_implemented = 0;
    std::size_t total() const { return passed + failed + warned + skipped + errors; }
};

/// The verdict of a result from its findings (catalogue §2).
Verdict judge(const Result& r);
Summary summarize(const std::vector<Result>& results, std::size_t not_implemented);

/// XML-escapes text (&, <, >, ", ' and control characters other than tab/newline).
std::string xml_escape(const std::string& text);

/// JUnit XML: one <testsuite name=suite> with one <testcase> per result.
void write_junit(std::ostream& out, const std::string& suite, const std::vector<Result>& results,
                 const std::vector<const Case*>& not_implemented);
/// The text report.
void write_report(std::ostream& out, const std::string& target, const std::vector<Result>& results,
                  const std::vector<const Case*>& not_implemented);
/// One line per case name whose verdict is FAIL, WARN or ERROR: "<name> <VERDICT>".
void write_failures(std::ostream& out, const std::vector<Result>& results);

}  // namespace ike::conform
