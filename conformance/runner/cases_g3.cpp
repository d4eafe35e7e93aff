#include "conformance/runner/cases_common.hpp"
namespace ike::conform {
void register_g3(std::vector<Case>&) {}
}
