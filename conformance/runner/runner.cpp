// run_cases: the loop over the case table.
#include "conformance/runner/runner.hpp"

#include <fnmatch.h>
#include <sys/wait.h>

#include <iostream>

#include "conformance/runner/report.hpp"

namespace ike::conform {

bool case_selected(const std::string& id, const std::string& pattern) {
    // several patterns may be given separated by commas
    std::size_t start = 0;
    for (;;) {
        auto end = pattern.find(',', start);
        std::string p = pattern.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!p.empty() && ::fnmatch(p.c_str(), id.c_str(), 0) == 0) return true;
        if (end == std::string::npos) return false;
        start = end + 1;
    }
}

namespace {

std::string missing_need(const Profile& p, const Case& c) {
    for (const auto& n : c.needs) {
        if (n.rfind("trigger:", 0) == 0) {
            if (!p.has_trigger(n.substr(8))) return "the profile has no trigger '" + n.substr(8) + "'";
        } else if (!p.has(n)) {
            return "the target does not claim '" + n + "'";
        }
    }
    return "";
}

void reap_triggers() {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
}

}  // namespace

Run_output run_cases(const Profile& profile, const Run_options& options) {
    Run_output out;
    Udp_transport transport(profile.runner_address, profile.runner_port, profile.runner_nat_t_port);
    auto crypto = make_botan_provider();
    Peer peer(profile, transport, *crypto);
    for (const Case& c : case_table()) {
        if (!case_selected(c.id, options.cases_glob)) continue;
        if (!c.run) {
            out.not_implemented.push_back(&c);
            continue;
        }
        const auto t0 = Clock::now();
        peer.reset();
        Case_context cx(peer, c.id, c.section);
        const std::string missing = missing_need(profile, c);
        std::vector<std::string> trace;
        if (!missing.empty()) {
            cx.skip(missing);
        } else {
            try {
                c.run(cx);
            } catch (const Case_abort& e) {
                cx.note(std::string("case stopped: ") + e.what());
            } catch (const std::exception& e) {
                cx.current().error = e.what();
            }
            for (const auto& v : peer.header_violations)
                cx.expect(false, Level::MUST, "CHK-hdr", "version 0x20, X/V clear, Length exact, C and RESERVED 0", v,
                          "RFC 7296 §3.1, §3.2");
            trace = peer.trace;
            if (options.check_alive) {
                peer.reset();
                peer.auto_answer = true;
                if (!peer.probe_fresh())
                    cx.expect(false, Level::MUST, "CHK-alive (P-FRESH)", "IKE_SA_INIT response to a fresh F-INIT",
                              "unresponsive: " + cx.show(std::nullopt), "catalogue §2 CHK-alive");
            }
        }
        peer.auto_answer = true;
        auto& results = cx.results;
        if (results.empty()) cx.current();
        const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
        for (auto& r : results) {
            r.trace = trace;
            r.seconds = secs / static_cast<double>(results.size());
            r.verdict = judge(r);
            if (options.verbose) std::cerr << to_string(r.verdict) << " " << r.name << "\n";
            out.results.push_back(r);
        }
        reap_triggers();
    }
    return out;
}

}  // namespace ike::conform
