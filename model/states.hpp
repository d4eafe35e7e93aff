// st:: states, named for what the IKE SA or exchange waits for (STYLE.md).
#pragma once

#include "model/machine_base.hpp"

namespace ike::model::st {

#define IKEREF_STATE(Name)                                      \
    struct Name : Named_state<Name> {                           \
        static constexpr const char* name = #Name;              \
    }

// IKE SA lifecycle (model/ike_sa.hpp).
IKEREF_STATE(Idle);
IKEREF_STATE(Half_open);          ///< IKE_SA_INIT in progress or done, not authenticated (§1.2)
IKEREF_STATE(Authenticating);     ///< IKE_AUTH in progress
IKEREF_STATE(Established);
IKEREF_STATE(Rekeying);           ///< our IKE SA rekey is in flight (§1.3.2)
IKEREF_STATE(Rekeyed);            ///< the peer rekeyed this IKE SA; waiting for its Delete (§2.18)
IKEREF_STATE(Deleting);           ///< our Delete is in flight (§1.4.1)
IKEREF_STATE(Deleted);            ///< final: the SA is gone

// Exchanges (model/exchanges/*.hpp); `Idle` above is also their initial state.
IKEREF_STATE(Awaiting_IKE_SA_INIT_response);
IKEREF_STATE(Awaiting_IKE_AUTH_response);
IKEREF_STATE(Awaiting_INFORMATIONAL_response);
IKEREF_STATE(Awaiting_CREATE_CHILD_SA_response);
IKEREF_STATE(Completed);          ///< final: the exchange succeeded
IKEREF_STATE(Failed);             ///< final: the exchange failed

#undef IKEREF_STATE

}  // namespace ike::model::st
