// The transition tables as text, generated from the rows themselves (walked at compile time with
// mpl::for_each): DOT for diagrams, markdown for the teaching docs, JSON for tools and tests.
#pragma once

#include <string>
#include <string_view>

namespace ike::model {

/// `format` is "dot", "markdown" or "json"; throws std::invalid_argument otherwise.
/// One edge (DOT), table line (markdown) or row object (JSON) per transition table row.
std::string export_tables(std::string_view format);

}  // namespace ike::model
