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

std::pair<std::size_t, std::size_t> minimal_padding(const Keys_derived& keys, const Message& m) {
    Sk_context c(keys, true);
    const std::size_t block = c.cipher->block_size() ? c.cipher->block_size() : 1;
    const std::size_t chain = codec::encode_payload_chain(m.payloads).size();
    return {(block - (chain + 1) % block) % block, block};
}

Bytes protect_padded(const Keys_derived& keys, bool from_original_initiator, const Message& m,
                     std::uint8_t pad_length, std::uint8_t pad_octet) {
    // The layout of core::protect (§3.14), with the Padding chosen by the caller.
    Sk_context c(keys, from_original_initiator);
    const Cipher& cipher = *c.cipher;
    Bytes plaintext = codec::encode_payload_chain(m.payloads);
    plaintext.insert(plaintext.end(), pad_length, pad_octet);
    plaintext.push_back(pad_length);
    const Bytes iv(cipher.iv_size(), 0);
    const std::size_t icv_size = cipher.is_aead() ? 0 : c.integ->icv_size();
    const std::size_t ct_size = plaintext.size() + (cipher.is_aead() ? cipher.icv_size() : 0);
    const std::size_t sk_length = 4 + iv.size() + ct_size + icv_size;
    Bytes out = codec::encode_header(m.header, Payload_type::SK,
                                     static_cast<std::uint32_t>(codec::header_size + sk_length));
    const Payload_type first = m.payloads.empty() ? Payload_type::NONE : m.payloads.front().type;
    out.push_back(static_cast<std::uint8_t>(first));
    out.push_back(0);
    out.push_back(static_cast<std::uint8_t>(sk_length >> 8));
    out.push_back(static_cast<std::uint8_t>(sk_length & 0xff));
    const Bytes aad(out.begin(), out.end());  // RFC 5282 §5.1
    out.insert(out.end(), iv.begin(), iv.end());
    const Bytes ct = cipher.encrypt(c.keys.SK_e, iv, aad, plaintext);
    out.insert(out.end(), ct.begin(), ct.end());
    if (!cipher.is_aead()) {
        const Bytes icv = c.integ->compute(c.keys.SK_a, out);
        out.insert(out.end(), icv.begin(), icv.end());
    }
    return out;
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
