// The one translation unit that instantiates machine IKE_SA (one machine per TU: ARCHITECTURE.md).
#include "model/msm_prelude.hpp"
#include "model/ike_sa.hpp"
#include "model/machine_facade_impl.hpp"

IKEREF_INSTANTIATE_MACHINE(ike::model::IKE_SA_def)
