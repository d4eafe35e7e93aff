#include "tests/support/protect.hpp"

#include "src/core/negotiation.hpp"
#include "src/core/sk_payload.hpp"

namespace ike::test {

Bytes protect_as(const Keys_derived& keys, bool from_original_initiator, const Message& m) {
    auto crypto = make_seeded_botan_provider(99);
    const auto* e = core::transform_of(keys.proposal, Transform_type::ENCR);
    const auto* i = core::transform_of(keys.proposal, Transform_type::INTEG);
    auto cipher = crypto->cipher(static_cast<Encr_id>(e->id), e->key_length.value_or(0));
    auto integ = (i && i->id) ? crypto->integrity(static_cast<Integ_id>(i->id)) : nullptr;
    core::Sk_keys k;
    k.cipher = cipher.get();
    k.integrity = integ.get();
    k.SK_e = from_original_initiator ? keys.SK_ei.view() : keys.SK_er.view();
    k.SK_a = from_original_initiator ? keys.SK_ai.view() : keys.SK_ar.view();
    const Bytes iv(cipher->iv_size(), 0);
    return core::protect(m.header, m.payloads, k, iv);
}

}  // namespace ike::test
