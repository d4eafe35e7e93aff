// Case_context and the judging helpers.
#include "conformance/runner/case.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace ike::conform {

std::string to_string(Level l) {
    switch (l) {
        case Level::MUST: return "MUST";
        case Level::SHOULD: return "SHOULD";
        case Level::MAY: return "MAY";
        case Level::interop: return "interop";
    }
    return "?";
}

std::string to_string(Verdict v) {
    switch (v) {
        case Verdict::PASS: return "PASS";
        case Verdict::FAIL: return "FAIL";
        case Verdict::WARN: return "WARN";
        case Verdict::NOTE: return "NOTE";
        case Verdict::SKIP: return "SKIP";
        case Verdict::ERROR: return "ERROR";
    }
    return "?";
}

Case_context::Case_context(Peer& p, const std::string& id, const std::string& section)
    : peer(p), profile(p.profile()), id_(id), section_(section) {}

Result& Case_context::current() {
    if (results.empty()) {
        Result r;
        r.name = id_;
        r.id = id_;
        r.section = section_;
        results.push_back(r);
    }
    return results.back();
}

void Case_context::sub(const std::string& name) {
    // the unnamed first result, if still empty, becomes the first sub-case
    if (results.size() == 1 && results[0].name == id_ && results[0].findings.empty() &&
        results[0].notes.empty() && results[0].skip_reason.empty()) {
        results[0].name = id_ + "/" + name;
        return;
    }
    Result r;
    r.name = id_ + "/" + name;
    r.id = id_;
    r.section = section_;
    results.push_back(r);
}

bool Case_context::expect(bool ok, Level level, const std::string& step, const std::string& expected,
                          const std::string& actual, const std::string& requirement) {
    current().findings.push_back(Finding{level, ok, step, expected, actual, requirement});
    return ok;
}

void Case_context::note(const std::string& text) { current().notes.push_back(text); }

void Case_context::skip(const std::string& reason) { current().skip_reason = reason; }

Ike_sa& Case_context::established(const Init_spec& init, const Auth_spec& auth) {
    std::string why;
    Ike_sa* sa = peer.establish(&why, init, auth);
    if (!sa) {
        expect(false, Level::MUST, "F-EST", "IKE SA and CHILD SA established (F-INIT, F-AUTH)", why,
               "RFC 7296 §1.2");
        throw Case_abort("F-EST failed: " + why);
    }
    return *sa;
}

bool Case_context::trigger(const std::string& name, std::uint32_t spi) {
    auto it = profile.triggers.find(name);
    if (it == profile.triggers.end()) return false;
    std::string cmd = it->second;
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x", spi);
    for (auto pos = cmd.find("{spi}"); pos != std::string::npos; pos = cmd.find("{spi}"))
        cmd.replace(pos, 5, hex);
    note("trigger " + name + ": " + cmd);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);
        // CONFORM_TRIGGER_LOG names a file for the commands' output (debugging); else discarded
        const char* log = std::getenv("CONFORM_TRIGGER_LOG");
        if (!std::freopen(log ? log : "/dev/null", "a", stdout)) ::_exit(126);
        if (!std::freopen(log ? log : "/dev/null", "a", stderr)) ::_exit(126);
        ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    // the command runs on its own; finished ones are reaped by the runner between cases
    return pid > 0;
}

std::string Case_context::show(const std::optional<Answer>& a) const {
    if (!a) return "silence (" + std::to_string(profile.silence_window.count()) + " ms)";
    return a->describe();
}

std::string notifies_of(const Answer& a) {
    std::string s;
    if (const Message* m = a.message())
        for (const auto& p : m->payloads)
            if (const auto* n = std::get_if<Payload_N>(&p.body))
                s += (s.empty() ? "" : ", ") + ("N(" + to_string(static_cast<Notify_type>(n->type)) + ")");
    return s.empty() ? "no notify" : s;
}

bool only_notify(const Answer& a, Notify_type type) {
    const Message* m = a.message();
    if (!m || m->payloads.size() != 1) return false;
    const auto* n = std::get_if<Payload_N>(&m->payloads[0].body);
    return n && n->type == static_cast<std::uint16_t>(type);
}

bool normal_init_response(const Answer& a) {
    const Message* m = a.message();
    return m && m->header.exchange == Exchange_type::IKE_SA_INIT && m->find(Payload_type::SA) &&
           m->find(Payload_type::KE) && m->find(Payload_type::Nonce);
}

}  // namespace ike::conform
