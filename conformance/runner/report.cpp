// JUnit XML and text reports.
#include "conformance/runner/report.hpp"

#include <cstdio>

namespace ike::conform {

Verdict judge(const Result& r) {
    if (!r.error.empty()) return Verdict::ERROR;
    if (!r.skip_reason.empty()) return Verdict::SKIP;
    bool warn = false;
    for (const auto& f : r.findings) {
        if (f.met) continue;
        if (f.level == Level::MUST) return Verdict::FAIL;
        if (f.level == Level::SHOULD || f.level == Level::interop) warn = true;
    }
    if (warn) return Verdict::WARN;
    bool asserted = false;
    for (const auto& f : r.findings) asserted = asserted || f.level != Level::MAY;
    if (!asserted) return Verdict::NOTE;  // a case that asserted nothing is never a PASS
    return Verdict::PASS;
}

Summary summarize(const std::vector<Result>& results, std::size_t not_implemented) {
    Summary s;
    s.not_implemented = not_implemented;
    for (const auto& r : results) {
        switch (r.verdict) {
            case Verdict::PASS:
            case Verdict::NOTE: ++s.passed; break;
            case Verdict::FAIL: ++s.failed; break;
            case Verdict::WARN: ++s.warned; break;
            case Verdict::SKIP: ++s.skipped; break;
            case Verdict::ERROR: ++s.errors; break;
        }
    }
    return s;
}

std::string xml_escape(const std::string& t) {
    std::string out;
    for (char ch : t) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                if (c < 0x20 && c != '\n' && c != '\t') {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\x%02x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out;
}

namespace {

std::string finding_text(const Finding& f) {
    return "step: " + f.step + "\n  expected: " + f.expected + "\n  actual:   " + f.actual +
           "\n  requirement: " + f.requirement + " [" + to_string(f.level) + "]";
}

std::string details(const Result& r, bool failures_only) {
    std::string s;
    for (const auto& f : r.findings)
        if (!failures_only || !f.met) s += finding_text(f) + "\n";
    return s;
}

std::string system_out(const Result& r) {
    std::string s;
    for (const auto& n : r.notes) s += "NOTE " + n + "\n";
    for (const auto& f : r.findings)
        if (f.met) s += "ok   " + f.step + ": " + f.actual + " [" + f.requirement + "]\n";
    s += "trace:\n";
    for (const auto& t : r.trace) s += "  " + t + "\n";
    return s;
}

}  // namespace

void write_junit(std::ostream& out, const std::string& suite, const std::vector<Result>& results,
                 const std::vector<const Case*>& not_implemented) {
    Summary s = summarize(results, not_implemented.size());
    double total = 0;
    for (const auto& r : results) total += r.seconds;
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out << "<testsuites>\n<testsuite name=\"" << xml_escape(suite) << "\" tests=\""
        << results.size() + not_implemented.size() << "\" failures=\"" << s.failed + s.warned << "\" errors=\""
        << s.errors << "\" skipped=\"" << s.skipped + s.not_implemented << "\" time=\"" << total << "\">\n";
    for (const auto& r : results) {
        out << "  <testcase classname=\"" << xml_escape(suite) << "\" name=\"" << xml_escape(r.name)
            << "\" time=\"" << r.seconds << "\">\n";
        switch (r.verdict) {
            case Verdict::FAIL:
            case Verdict::WARN: {
                std::string first;
                for (const auto& f : r.findings)
                    if (!f.met) {
                        first = f.step + ": expected " + f.expected + ", got " + f.actual + " (" + f.requirement + ")";
                        break;
                    }
                out << "    <failure type=\"" << (r.verdict == Verdict::FAIL ? "MUST" : "SHOULD") << "\" message=\""
                    << xml_escape(first) << "\">" << xml_escape(details(r, true)) << "</failure>\n";
                break;
            }
            case Verdict::SKIP:
                out << "    <skipped message=\"" << xml_escape(r.skip_reason) << "\"/>\n";
                break;
            case Verdict::ERROR:
                out << "    <error message=\"" << xml_escape(r.error) << "\"/>\n";
                break;
            default: break;
        }
        out << "    <system-out>" << xml_escape(system_out(r)) << "</system-out>\n";
        out << "  </testcase>\n";
    }
    for (const Case* c : not_implemented) {
        out << "  <testcase classname=\"" << xml_escape(suite) << "\" name=\"" << xml_escape(c->id)
            << "\" time=\"0\">\n    <skipped message=\"not implemented: " << xml_escape(c->not_implemented)
            << "\"/>\n  </testcase>\n";
    }
    out << "</testsuite>\n</testsuites>\n";
}

void write_report(std::ostream& out, const std::string& target, const std::vector<Result>& results,
                  const std::vector<const Case*>& not_implemented) {
    Summary s = summarize(results, not_implemented.size());
    out << "ikeref conform: target " << target << "\n";
    out << "summary: " << s.passed << " passed, " << s.failed << " failed, " << s.warned << " warned, "
        << s.skipped << " skipped, " << s.errors << " errors, " << s.not_implemented << " not implemented\n\n";
    for (const auto& r : results) {
        out << to_string(r.verdict) << "  " << r.name << "  (" << r.section << ", " << r.seconds << " s)\n";
        if (r.verdict == Verdict::SKIP) out << "  skipped: " << r.skip_reason << "\n";
        if (r.verdict == Verdict::ERROR) out << "  runner error: " << r.error << "\n";
        if (r.verdict == Verdict::FAIL || r.verdict == Verdict::WARN) {
            for (const auto& f : r.findings)
                if (!f.met) out << "  " << finding_text(f) << "\n";
            out << "  trace:\n";
            for (const auto& t : r.trace) out << "    " << t << "\n";
        }
        for (const auto& n : r.notes) out << "  note: " << n << "\n";
    }
    if (!not_implemented.empty()) {
        out << "\nnot implemented:\n";
        for (const Case* c : not_implemented) out << "  " << c->id << ": " << c->not_implemented << "\n";
    }
}

void write_failures(std::ostream& out, const std::vector<Result>& results) {
    for (const auto& r : results)
        if (r.verdict == Verdict::FAIL || r.verdict == Verdict::WARN || r.verdict == Verdict::ERROR)
            out << r.name << " " << to_string(r.verdict) << "\n";
}

}  // namespace ike::conform
