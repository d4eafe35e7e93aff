#include "conformance/runner/cases_common.hpp"
namespace ike::conform {
void register_g7(std::vector<Case>&) {}
}
