#include "conformance/runner/cases_common.hpp"
namespace ike::conform {
void register_g6(std::vector<Case>&) {}
}
