#include "tests/support/protect.hpp"

#include "src/codec/codec.hpp"
#include "src/core/negotiation.hpp"
#include "src/core/sk_payload.hpp"

namespace ike::test {
namespace {

/// The cipher and integrity objects behind a core::Sk_keys view, kept alive together.
struct Sk_context {
    std::unique_ptr<Crypto_provider> crypto = make_seeded_botan_provider(99);
    std::unique_ptr<Cipher> cipher;
    std::unique_ptr<Integrity> integ;
    core::Sk_keys keys;
    Sk_context(const Keys_derived& k, bool from_original_initiator) {
        const auto* e = core::transform_of(k.proposal, Transform_type::ENCR);
        const auto* i = core::transform_of(k.proposal, Transform_type::INTEG);
        cipher = crypto->cipher(static_cast<Encr_id>(e->id), e->key_length.value_or(0));
        if (i && i->id) integ = crypto->integrity(static_cast<Integ_id>(i->id));
        keys.cipher = cipher.get();
        keys.integrity = integ.get();
        keys.SK_e = from_original_initiator ? k.SK_ei.view() : k.SK_er.view();
        keys.SK_a = from_original_initiator ? k.SK_ai.view() : k.SK_ar.view();
    }
};

}  // namespace

Message protected_request(const Keys_derived& keys, bool from_original_initiator, Exchange_type x, std::uint32_t mid) {
    Message m;
    m.header.SPIi = keys.SPIi;
    m.header.SPIr = keys.SPIr;
    m.header.exchange = x;
    m.header.flags = from_original_initiator ? flag::Initiator : std::uint8_t{0};
    m.header.message_id = mid;
    m.was_protected = true;
    return m;
}

Bytes protect_as(const Keys_derived& keys, bool from_original_initiator, const Message& m,
                 const std::vector<Payload>& before_sk) {
    Sk_context c(keys, from_original_initiator);
    const Bytes iv(c.cipher->iv_size(), 0);
    return core::protect(m.header, m.payloads, c.keys, iv, before_sk);
}

std::optional<Message> unprotect_as(const Keys_derived& keys, bool from_original_initiator, const Bytes& datagram) {
    auto outer = codec::decode_message(datagram);
    if (!codec::ok(outer)) return std::nullopt;
    Sk_context c(keys, from_original_initiator);
    auto r = core::unprotect(datagram, codec::value(outer), c.keys);
    if (auto* m = std::get_if<Message>(&r)) return std::move(*m);
    return std::nullopt;
}

}  // namespace ike::test
