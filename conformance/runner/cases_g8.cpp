#include "conformance/runner/cases_common.hpp"
namespace ike::conform {
void register_g8(std::vector<Case>&) {}
}
