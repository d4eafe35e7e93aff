// rows -> DOT / markdown / JSON. No MSM here: the rows come from each machine's own TU.
#include "model/export_tables.hpp"

#include <sstream>
#include <stdexcept>

#include "model/machines.hpp"

namespace ike::model {

std::vector<Table_info> all_tables() {
    return {
        {IKE_SA_machine::name(), IKE_SA_machine::rows()},
        {IKE_SA_INIT_machine::name(), IKE_SA_INIT_machine::rows()},
        {IKE_AUTH_machine::name(), IKE_AUTH_machine::rows()},
        {CREATE_CHILD_SA_machine::name(), CREATE_CHILD_SA_machine::rows()},
        {INFORMATIONAL_machine::name(), INFORMATIONAL_machine::rows()},
    };
}

namespace {

std::string escape(const std::string& s, char quote) {
    std::string out;
    for (char c : s) {
        if (c == quote || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

std::string edge_label(const Row_info& r) {
    std::string label = r.event;
    if (!r.guard.empty()) label += " [" + r.guard + "]";
    if (!r.action.empty()) label += " / " + r.action;
    return label;
}

std::string to_dot(const std::vector<Table_info>& tables) {
    std::ostringstream os;
    os << "digraph ikeref {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
          "  edge [fontname=\"Helvetica\", fontsize=9];\n";
    for (const auto& t : tables) {
        os << "  subgraph \"cluster_" << t.machine << "\" {\n    label=\"" << t.machine << "\";\n";
        for (const auto& r : t.rows) {
            os << "    \"" << t.machine << "." << r.source << "\" -> \"" << t.machine << "." << r.target
               << "\" [label=\"" << escape(edge_label(r), '"') << "\"];\n";
        }
        os << "  }\n";
    }
    os << "}\n";
    return os.str();
}

std::string to_markdown(const std::vector<Table_info>& tables) {
    std::ostringstream os;
    for (const auto& t : tables) {
        os << "## " << t.machine << " (" << t.rows.size() << " rows)\n\n"
           << "| source | event | guard | action | target |\n|---|---|---|---|---|\n";
        for (const auto& r : t.rows) {
            os << "| " << r.source << " | " << r.event << " | " << escape(r.guard, '|') << " | "
               << r.action << " | " << r.target << " |\n";
        }
        os << "\n";
    }
    return os.str();
}

std::string to_json(const std::vector<Table_info>& tables) {
    std::ostringstream os;
    os << "{\"machines\":[";
    for (std::size_t i = 0; i < tables.size(); ++i) {
        const auto& t = tables[i];
        os << (i ? "," : "") << "{\"name\":\"" << t.machine << "\",\"rows\":[";
        for (std::size_t j = 0; j < t.rows.size(); ++j) {
            const auto& r = t.rows[j];
            os << (j ? "," : "") << "{\"source\":\"" << r.source << "\",\"event\":\"" << r.event
               << "\",\"guard\":\"" << escape(r.guard, '"') << "\",\"action\":\"" << r.action
               << "\",\"target\":\"" << r.target << "\"}";
        }
        os << "]}";
    }
    os << "]}\n";
    return os.str();
}

}  // namespace

std::string export_tables(std::string_view format) {
    const auto tables = all_tables();
    if (format == "dot") return to_dot(tables);
    if (format == "markdown") return to_markdown(tables);
    if (format == "json") return to_json(tables);
    throw std::invalid_argument("unknown table format '" + std::string(format) +
                                "' (dot, markdown or json)");
}

}  // namespace ike::model
