// model/export_tables: the exported tables have one edge per transition table row, and the
// tables say what RFC 7296 §1.2 requires of the order of exchanges.
#include "model/export_tables.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "model/machines.hpp"

namespace ike::model {
namespace {

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) ++n;
    return n;
}

TEST(Export_tables, dot_has_one_edge_per_row_of_each_table) {
    const std::string dot = export_tables("dot");
    std::size_t rows = 0;
    for (const auto& t : all_tables()) {
        ASSERT_FALSE(t.rows.empty()) << t.machine;
        rows += t.rows.size();
        // every edge of this machine starts with its cluster prefix
        const std::regex edge("\"" + t.machine + "\\.[A-Za-z_]+\" -> ");
        const auto n = static_cast<std::size_t>(
            std::distance(std::sregex_iterator(dot.begin(), dot.end(), edge), std::sregex_iterator()));
        EXPECT_EQ(n, t.rows.size()) << t.machine;
    }
    EXPECT_EQ(count(dot, " -> "), rows);
}

TEST(Export_tables, markdown_and_json_have_one_line_or_object_per_row) {
    std::size_t rows = 0;
    for (const auto& t : all_tables()) rows += t.rows.size();
    const std::string md = export_tables("markdown");
    EXPECT_EQ(count(md, "\n| "), rows + all_tables().size());  // + one header line per table
    EXPECT_EQ(count(export_tables("json"), "\"source\":"), rows);
    EXPECT_THROW(export_tables("svg"), std::invalid_argument);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

TEST(Export_tables, generated_diagrams_in_spec_notes_are_up_to_date) {
    const std::string dir = std::string(IKEREF_SOURCE_DIR) + "/spec-notes/diagrams/";
    EXPECT_EQ(read_file(dir + "tables.dot"), export_tables("dot")) << "run `make diagrams` and commit the result";
    EXPECT_EQ(read_file(dir + "tables.md"), export_tables("markdown")) << "run `make diagrams` and commit the result";
}

TEST(Export_tables, row_counts_stay_under_the_MPL_limit) {
    for (const auto& t : all_tables()) EXPECT_LT(t.rows.size(), 50u) << t.machine;  // ARCHITECTURE.md
}

bool has_row(const Table_info& t, const std::string& source, const std::string& event) {
    return std::any_of(t.rows.begin(), t.rows.end(),
                       [&](const Row_info& r) { return r.source == source && r.event == event; });
}

TEST(IKE_SA_table, IKE_AUTH_requests_are_accepted_only_after_IKE_SA_INIT_completed) {
    const auto tables = all_tables();
    const auto& ike_sa = tables[0];
    ASSERT_EQ(ike_sa.machine, "IKE_SA");
    // §1.2: IKE_AUTH follows IKE_SA_INIT; without a row the event is a no_transition diagnostic.
    EXPECT_FALSE(has_row(ike_sa, "Idle", "IKE_AUTH_request_received"));
    EXPECT_FALSE(has_row(ike_sa, "Half_open", "IKE_AUTH_request_received"));
    EXPECT_TRUE(has_row(ike_sa, "Authenticating", "IKE_AUTH_request_received"));
    EXPECT_FALSE(has_row(ike_sa, "Half_open", "INFORMATIONAL_request_received"));
}

TEST(IKE_SA_INIT_table, cookie_and_invalid_ke_reactions_are_rows) {
    const auto tables = all_tables();
    const auto& init = tables[1];
    ASSERT_EQ(init.machine, "IKE_SA_INIT");
    EXPECT_TRUE(has_row(init, "Awaiting_IKE_SA_INIT_response", "COOKIE_received"));
    EXPECT_TRUE(has_row(init, "Awaiting_IKE_SA_INIT_response", "INVALID_KE_PAYLOAD_received"));
    EXPECT_TRUE(has_row(init, "Awaiting_IKE_SA_INIT_response", "Retransmit_timer_expired"));
    // A responder never retransmits on its own (§2.1): no timer row leaves Idle.
    EXPECT_FALSE(has_row(init, "Idle", "Retransmit_timer_expired"));
}

TEST(CREATE_CHILD_SA_table, CREATE_CHILD_SA_is_accepted_only_on_an_established_IKE_SA) {
    const auto tables = all_tables();
    const auto& ike_sa = tables[0];
    EXPECT_FALSE(has_row(ike_sa, "Half_open", "CREATE_CHILD_SA_request_received"));
    EXPECT_FALSE(has_row(ike_sa, "Authenticating", "CREATE_CHILD_SA_request_received"));
    EXPECT_TRUE(has_row(ike_sa, "Established", "CREATE_CHILD_SA_request_received"));
    const auto it = std::find_if(tables.begin(), tables.end(), [](const Table_info& t) { return t.machine == "CREATE_CHILD_SA"; });
    ASSERT_NE(it, tables.end());
    EXPECT_TRUE(has_row(*it, "Awaiting_CREATE_CHILD_SA_response", "INVALID_KE_PAYLOAD_received"));
    EXPECT_TRUE(has_row(*it, "Idle", "CREATE_CHILD_SA_request_received"));
}

// A machine processing an event without a row reports it instead of asserting.
struct Recording_ops final : Ike_sa_ops {
    std::string seen;
    bool is_original_initiator() const override { return false; }
    bool retransmissions_left() const override { return true; }
    bool cookie_retries_left() const override { return true; }
    bool requested_group_acceptable(const Message&) const override { return true; }
    bool IKE_SA_INIT_response_acceptable(const Message&) const override { return true; }
    bool peer_KE_value_valid(const Message&) const override { return true; }
    bool IKE_SA_INIT_proposal_acceptable(const Message&) const override { return true; }
    bool peer_AUTH_valid(const Message&) const override { return true; }
    bool CHILD_SA_acceptable(const Message&) const override { return true; }
    bool CHILD_SA_response_acceptable(const Message&) const override { return true; }
    bool deletes_IKE_SA(const Message&) const override { return false; }
    bool is_IKE_SA_rekey(const Message&) const override { return false; }
    bool is_CHILD_SA_rekey(const Message&) const override { return false; }
    bool new_IKE_SA_acceptable(const Message&) const override { return true; }
    bool CHILD_SA_rekey_acceptable(const Message&) const override { return true; }
    bool new_CHILD_SA_acceptable(const Message&) const override { return true; }
    bool CREATE_CHILD_SA_response_acceptable(const Message&) const override { return true; }
    void send_CREATE_CHILD_SA_request() override {}
    void resend_CREATE_CHILD_SA_with_group(const Message&) override {}
    void complete_CREATE_CHILD_SA(const Message&) override {}
    void send_IKE_SA_rekey_response(const Message&) override {}
    void send_CHILD_SA_rekey_response(const Message&) override {}
    void send_new_CHILD_SA_response(const Message&) override {}
    void send_CREATE_CHILD_SA_refusal(const Message&) override {}
    void send_Delete_CHILD_SA_request() override {}
    void complete_Delete_CHILD_SA(const Message&) override {}
    void start_CREATE_CHILD_SA_exchange() override {}
    void start_Delete_CHILD_SA_exchange() override {}
    bool temporary_condition(const Message&) const override { return false; }
    void send_TEMPORARY_FAILURE(const Message&) override {}
    void send_liveness_check() override {}
    void start_liveness_check() override {}
    void send_IKE_SA_INIT_request() override {}
    void resend_IKE_SA_INIT_with_cookie(const Message&) override {}
    void resend_IKE_SA_INIT_with_group(const Message&) override {}
    void send_IKE_SA_INIT_response(const Message&) override {}
    void send_NO_PROPOSAL_CHOSEN(const Message&) override {}
    void derive_IKE_SA_keys(const Message*) override {}
    void retransmit_request() override {}
    void send_IKE_AUTH_request() override {}
    void send_IKE_AUTH_response(const Message&, bool) override {}
    void send_AUTHENTICATION_FAILED(const Message&) override {}
    void install_CHILD_SA(const Message&) override {}
    void send_Delete_IKE_SA_request() override {}
    void send_INFORMATIONAL_response(const Message&) override {}
    void start_IKE_SA_INIT_exchange(const Message*) override {}
    void start_IKE_AUTH_exchange() override {}
    void dispatch_to_exchange(const Message&) override { seen += "dispatch;"; }
    void start_Delete_exchange() override {}
    void report_established() override {}
    void report_failure(const std::string&) override {}
    void remove_IKE_SA(const std::string&) override {}
    void no_transition(const char* machine, const char* state, const char* event) override {
        seen += std::string(machine) + "/" + state + "/" + event + ";";
    }
};

TEST(IKE_SA_machine, IKE_AUTH_request_in_Idle_is_a_no_transition_not_a_dispatch) {
    Recording_ops ops;
    IKE_SA_machine m(ops);
    Message msg;
    m.process(ev::IKE_AUTH_request_received{{&msg}});
    EXPECT_EQ(ops.seen, "IKE_SA/Idle/IKE_AUTH_request_received;");
    EXPECT_STREQ(m.state(), "Idle");
}

}  // namespace
}  // namespace ike::model
