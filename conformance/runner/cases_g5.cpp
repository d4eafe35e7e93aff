#include "conformance/runner/cases_common.hpp"
namespace ike::conform {
void register_g5(std::vector<Case>&) {}
}
