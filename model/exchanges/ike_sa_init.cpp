// The one translation unit that instantiates machine IKE_SA_INIT (one machine per TU: ARCHITECTURE.md).
#include "model/msm_prelude.hpp"
#include "model/exchanges/ike_sa_init.hpp"
#include "model/machine_facade_impl.hpp"

IKEREF_INSTANTIATE_MACHINE(ike::model::IKE_SA_INIT_def)
