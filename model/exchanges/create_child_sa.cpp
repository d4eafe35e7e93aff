// The one translation unit that instantiates machine CREATE_CHILD_SA (one machine per TU: ARCHITECTURE.md).
#include "model/msm_prelude.hpp"
#include "model/exchanges/create_child_sa.hpp"
#include "model/machine_facade_impl.hpp"

IKEREF_INSTANTIATE_MACHINE(ike::model::CREATE_CHILD_SA_def)
