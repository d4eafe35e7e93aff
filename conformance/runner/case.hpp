// A conformance case (CONFORMANCE-CATALOGUE.md §0–§2): its catalogue id, RFC section, level and
// needs, and the function that drives it. Findings are judged into the verdicts of §2:
// an unmet MUST is FAIL, an unmet SHOULD or interop expectation WARN, MAY outcomes NOTE.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "conformance/runner/peer.hpp"
#include "conformance/runner/profile.hpp"

namespace ike::conform {

enum class Level { MUST, SHOULD, MAY, interop };
enum class Verdict { PASS, FAIL, WARN, NOTE, SKIP, ERROR };
std::string to_string(Level);
std::string to_string(Verdict);

/// One judged expectation: the step, what RFC 7296 wants, what the NUT did (STYLE.md notation),
/// and the requirement (`RFC 7296 §2.5` or a spec-notes id).
struct Finding {
    Level level = Level::MUST;
    bool met = true;
    std::string step, expected, actual, requirement;
};

/// The result of one case or sub-case (`<id>/a`).
struct Result {
    std::string name;   ///< catalogue id, or id/sub
    std::string id;     ///< catalogue id
    std::string section;
    Verdict verdict = Verdict::PASS;
    std::vector<Finding> findings;
    std::vector<std::string> notes;
    std::string skip_reason;
    std::string error;
    std::vector<std::string> trace;
    double seconds = 0;
};

/// Thrown by a case when a step it depends on failed; the step is recorded as a finding.
struct Case_abort : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Case_context {
public:
    Case_context(Peer& peer, const std::string& id, const std::string& section);
    Peer& peer;
    const Profile& profile;

    /// Starts sub-case `name` (results are then named `<id>/<name>`).
    void sub(const std::string& name);
    /// Records an expectation; returns `ok`.
    bool expect(bool ok, Level level, const std::string& step, const std::string& expected,
                const std::string& actual, const std::string& requirement);
    /// Records a MAY outcome or any behaviour worth showing (NOTE).
    void note(const std::string& text);
    /// Marks the current sub-case skipped (an unclaimed feature or missing trigger).
    void skip(const std::string& reason);
    /// F-EST (catalogue §3): an established IKE SA with one CHILD SA, or Case_abort.
    Ike_sa& established(const Init_spec& init = {}, const Auth_spec& auth = {});
    /// Runs a trigger command of the profile in the background (`{spi}` replaced); false when
    /// the profile has no such trigger.
    bool trigger(const std::string& name, std::uint32_t spi = 0);
    /// The text of an answer or "silence (W ms)".
    std::string show(const std::optional<Answer>& a) const;

    std::vector<Result> results;
    Result& current();

private:
    std::string id_, section_;
};

/// The catalogue entry of a case.
struct Case {
    std::string id;
    std::string section;  ///< "§2.5, §3.1"
    Level level = Level::MUST;
    std::vector<std::string> needs;  ///< capabilities and "trigger:NAME"
    std::function<void(Case_context&)> run;  ///< empty: not implemented
    std::string not_implemented;              ///< why, when run is empty
};

/// Every catalogue case, implemented or not, in catalogue order.
const std::vector<Case>& case_table();

// One registration function per catalogue group (cases_g*.cpp).
void register_g1(std::vector<Case>&);
void register_g2(std::vector<Case>&);
void register_g3(std::vector<Case>&);
void register_g4(std::vector<Case>&);
void register_g5(std::vector<Case>&);
void register_g6(std::vector<Case>&);
void register_g7(std::vector<Case>&);
void register_g8(std::vector<Case>&);
void register_g10_g11(std::vector<Case>&);
void register_g12_g13(std::vector<Case>&);
void register_initiator_cases(std::vector<Case>&);
void register_more_cases(std::vector<Case>&);
void register_g14(std::vector<Case>&);
void register_g15(std::vector<Case>&);
void register_g9_to_g15(std::vector<Case>&);

// ---- judging helpers shared by the cases -------------------------------------------------------

/// "N(TYPE)" names of an answer's notifies.
std::string notifies_of(const Answer& a);
/// True when `a` is an unprotected IKE_SA_INIT response whose only payload is N(type).
bool only_notify(const Answer& a, Notify_type type);
/// True when `a` is an answer in which a normal IKE_SA_INIT response (SA, KE, Nonce) is seen.
bool normal_init_response(const Answer& a);

}  // namespace ike::conform
