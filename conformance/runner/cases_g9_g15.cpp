#include "conformance/runner/cases_common.hpp"
namespace ike::conform {
void register_g9_to_g15(std::vector<Case>&) {}
}
