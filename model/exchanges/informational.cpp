// The one translation unit that instantiates machine INFORMATIONAL (one machine per TU: ARCHITECTURE.md).
#include "model/msm_prelude.hpp"
#include "model/exchanges/informational.hpp"
#include "model/machine_facade_impl.hpp"

IKEREF_INSTANTIATE_MACHINE(ike::model::INFORMATIONAL_def)
