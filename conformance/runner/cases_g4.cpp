#include "conformance/runner/cases_common.hpp"
namespace ike::conform {
void register_g4(std::vector<Case>&) {}
}
