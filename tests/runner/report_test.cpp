// The runner's judging (catalogue §2 verdicts), JUnit XML writer and profile reader.
#include <gtest/gtest.h>

#include <sstream>

#include "conformance/runner/profile.hpp"
#include "conformance/runner/report.hpp"
#include "conformance/runner/runner.hpp"

namespace ike::conform {
namespace {

Finding finding(Level level, bool met) { return Finding{level, met, "step", "expected", "actual", "RFC 7296 §2.5"}; }

Result result(std::vector<Finding> f) {
    Result r;
    r.name = "IKEv2.R.2.5.payload-order/a";
    r.id = "IKEv2.R.2.5.payload-order";
    r.findings = std::move(f);
    return r;
}

TEST(Judge, unmet_MUST_is_FAIL_even_with_met_findings) {
    EXPECT_EQ(judge(result({finding(Level::MUST, true), finding(Level::MUST, false)})), Verdict::FAIL);
}

TEST(Judge, unmet_SHOULD_or_interop_is_WARN) {
    EXPECT_EQ(judge(result({finding(Level::MUST, true), finding(Level::SHOULD, false)})), Verdict::WARN);
    EXPECT_EQ(judge(result({finding(Level::MUST, true), finding(Level::interop, false)})), Verdict::WARN);
}

TEST(Judge, MUST_beats_SHOULD) {
    EXPECT_EQ(judge(result({finding(Level::SHOULD, false), finding(Level::MUST, false)})), Verdict::FAIL);
}

TEST(Judge, a_case_that_asserted_nothing_is_never_PASS) {
    EXPECT_EQ(judge(result({})), Verdict::NOTE);
    EXPECT_EQ(judge(result({finding(Level::MAY, true)})), Verdict::NOTE);
    EXPECT_EQ(judge(result({finding(Level::MUST, true)})), Verdict::PASS);
}

TEST(Judge, skip_and_error_win_over_findings) {
    Result s = result({finding(Level::MUST, false)});
    s.skip_reason = "the target does not claim 'frag'";
    EXPECT_EQ(judge(s), Verdict::SKIP);
    Result e = result({finding(Level::MUST, true)});
    e.error = "bind: address in use";
    EXPECT_EQ(judge(e), Verdict::ERROR);
}

TEST(Summary, counts_each_verdict_and_not_implemented) {
    std::vector<Result> rs(5);
    rs[0].verdict = Verdict::PASS;
    rs[1].verdict = Verdict::FAIL;
    rs[2].verdict = Verdict::WARN;
    rs[3].verdict = Verdict::SKIP;
    rs[4].verdict = Verdict::NOTE;
    const Summary s = summarize(rs, 7);
    EXPECT_EQ(s.passed, 2u);
    EXPECT_EQ(s.failed, 1u);
    EXPECT_EQ(s.warned, 1u);
    EXPECT_EQ(s.skipped, 1u);
    EXPECT_EQ(s.not_implemented, 7u);
}

TEST(Junit, escapes_markup_and_control_characters) {
    EXPECT_EQ(xml_escape("a<b>&\"c'\x01"), "a&lt;b&gt;&amp;&quot;c&apos;\\x01");
}

TEST(Junit, failure_types_skips_and_not_implemented) {
    Result fail = result({finding(Level::MUST, false)});
    fail.name = "IKEv2.R.x/a";
    fail.verdict = Verdict::FAIL;
    Result warn = result({finding(Level::SHOULD, false)});
    warn.name = "IKEv2.R.y";
    warn.verdict = Verdict::WARN;
    Result skip = result({});
    skip.name = "IKEv2.R.z";
    skip.skip_reason = "no <frag>";
    skip.verdict = Verdict::SKIP;
    Case ni;
    ni.id = "IKEv2.R.7383-2.3.negotiation";
    ni.not_implemented = "no SKF";
    std::ostringstream out;
    write_junit(out, "suite", {fail, warn, skip}, {&ni});
    const std::string x = out.str();
    EXPECT_NE(x.find("tests=\"4\" failures=\"2\" errors=\"0\" skipped=\"2\""), std::string::npos) << x;
    EXPECT_NE(x.find("name=\"IKEv2.R.x/a\""), std::string::npos);
    EXPECT_NE(x.find("<failure type=\"MUST\""), std::string::npos);
    EXPECT_NE(x.find("<failure type=\"SHOULD\""), std::string::npos);
    EXPECT_NE(x.find("<skipped message=\"no &lt;frag&gt;\"/>"), std::string::npos);
    EXPECT_NE(x.find("<skipped message=\"not implemented: no SKF\"/>"), std::string::npos);
    EXPECT_NE(x.find("expected: expected"), std::string::npos);  // step, expected, actual, requirement
    EXPECT_NE(x.find("requirement: RFC 7296 §2.5 [MUST]"), std::string::npos);
}

TEST(Failures, lists_FAIL_WARN_and_ERROR_only) {
    std::vector<Result> rs(3);
    rs[0].name = "a";
    rs[0].verdict = Verdict::PASS;
    rs[1].name = "b";
    rs[1].verdict = Verdict::WARN;
    rs[2].name = "c";
    rs[2].verdict = Verdict::SKIP;
    std::ostringstream out;
    write_failures(out, rs);
    EXPECT_EQ(out.str(), "b WARN\n");
}

TEST(Selection, globs_are_comma_separated) {
    EXPECT_TRUE(case_selected("IKEv2.R.2.5.payload-order", "IKEv2.R.2.5.*"));
    EXPECT_TRUE(case_selected("IKEv2.R.2.5.payload-order", "x,IKEv2.R.*order"));
    EXPECT_FALSE(case_selected("IKEv2.I.2.5.payload-order", "IKEv2.R.*"));
}

TEST(CaseTable, holds_the_149_catalogue_cases_once_each) {
    const auto& t = case_table();
    EXPECT_EQ(t.size(), 149u);
    std::set<std::string> ids;
    for (const auto& c : t) {
        EXPECT_TRUE(ids.insert(c.id).second) << c.id;
        EXPECT_TRUE(c.run || !c.not_implemented.empty()) << c.id << ": neither implemented nor a reason";
    }
}

const char* minimal = R"(
[target]
address = "192.0.2.1"
[auth]
runner_id = "b.example.test"
psk = "secret"
[traffic_selectors]
runner = ["10.2.0.0/24"]
target = "10.1.0.0/24"
)";

TEST(Profile, defaults_follow_the_catalogue) {
    Profile p = parse_profile(minimal, "t.toml");
    EXPECT_EQ(p.target_port, 500);
    EXPECT_EQ(p.target_nat_t_port, 4500);
    ASSERT_EQ(p.ike.size(), 1u);  // F-INIT: AES-CBC-128, HMAC-SHA2-256, ECP-256 (catalogue §3)
    EXPECT_EQ(p.groups, std::vector<std::uint16_t>{19});
    EXPECT_EQ(p.silence_window, std::chrono::milliseconds(8000));  // clamp(2 x 4 s, 4 s, 30 s)
    EXPECT_FALSE(p.has("frag"));
}

TEST(Profile, features_become_capabilities) {
    Profile p = parse_profile(std::string(minimal) + "[features]\nnat_t = true\nwindow_size = 4\n[timing]\nrto0 = 1.0\n", "t.toml");
    EXPECT_TRUE(p.has("nat-t"));
    EXPECT_TRUE(p.has("window>1"));
    EXPECT_EQ(p.silence_window, std::chrono::milliseconds(4000));  // 2 x 1 s clamped up to 4 s
}

TEST(Profile, refuses_unknown_keys_and_bad_keywords_with_the_key) {
    try {
        parse_profile(std::string(minimal) + "[features]\nfragmentaton = true\n", "t.toml");
        FAIL() << "unknown key accepted";
    } catch (const Profile_error& e) {
        EXPECT_NE(std::string(e.what()).find("features.fragmentaton"), std::string::npos) << e.what();
    }
    EXPECT_THROW(parse_profile(std::string(minimal) + "[proposals]\nike = [\"aes128-nonsense\"]\n", "t.toml"), Profile_error);
    EXPECT_THROW(parse_profile("[auth]\npsk = \"x\"\n", "t.toml"), Profile_error);  // no traffic selectors
}

TEST(Profile, the_shipped_profiles_load) {
    for (const char* name : {"ikeref", "charon"}) {
        Profile p = load_profile(std::string(IKEREF_SOURCE_DIR) + "/conformance/profiles/" + name + ".toml");
        EXPECT_EQ(p.name, name);
        EXPECT_TRUE(p.has_trigger("initiate"));
    }
}

}  // namespace
}  // namespace ike::conform
