// RFC 7296 §3.14 Encrypted payload, RFC 5282 §5.1 AAD for AEAD.
#include "src/core/sk_payload.hpp"

#include "src/codec/codec.hpp"

namespace ike::core {

namespace {
constexpr std::size_t generic_header_size = 4;  // §3.2

void put16(Bytes& b, std::size_t at, std::size_t v) {
    b[at] = static_cast<std::uint8_t>(v >> 8);
    b[at + 1] = static_cast<std::uint8_t>(v & 0xff);
}
}  // namespace

Bytes protect(const Header& h, const std::vector<Payload>& inner, const Sk_keys& keys, Octets iv,
              const std::vector<Payload>& before_sk) {
    const Cipher& cipher = *keys.cipher;
    Bytes plaintext = codec::encode_payload_chain(inner);
    // [7296-3.14-s4] padding makes payloads + Padding + Pad Length a multiple of the block size (the minimum padding, as §3.14 recommends).
    // §3.14: Padding then Pad Length; the total must fill whole cipher blocks.
    const std::size_t block = cipher.block_size() ? cipher.block_size() : 1;
    const std::size_t pad = (block - (plaintext.size() + 1) % block) % block;
    plaintext.insert(plaintext.end(), pad, 0);
    plaintext.push_back(static_cast<std::uint8_t>(pad));

    const std::size_t icv_size = cipher.is_aead() ? 0 : keys.integrity->icv_size();
    const std::size_t ct_size = plaintext.size() + (cipher.is_aead() ? cipher.icv_size() : 0);
    const std::size_t sk_length = generic_header_size + iv.size + ct_size + icv_size;
    Bytes outer = codec::encode_payload_chain(before_sk);
    for (std::size_t at = 0; at + generic_header_size <= outer.size();) {
        const std::size_t length = std::size_t{outer[at + 2]} << 8 | outer[at + 3];
        if (length < generic_header_size) break;
        if (at + length >= outer.size()) outer[at] = static_cast<std::uint8_t>(Payload_type::SK);  // §3.2 chain
        at += length;
    }
    const std::size_t total = codec::header_size + outer.size() + sk_length;

    const Payload_type first = inner.empty() ? Payload_type::NONE : inner.front().type;
    Bytes out = codec::encode_header(h, before_sk.empty() ? Payload_type::SK : before_sk.front().type,
                                     static_cast<std::uint32_t>(total));
    out.insert(out.end(), outer.begin(), outer.end());
    const std::size_t sk_start = out.size();
    out.push_back(static_cast<std::uint8_t>(first));
    out.push_back(0);  // C bit clear, RESERVED
    out.resize(out.size() + 2);
    put16(out, sk_start + 2, sk_length);
    // RFC 5282 §5.1: the AAD is everything before the IV (IKE header, unencrypted payloads, SK header).
    const Bytes aad(out.begin(), out.end());
    out.insert(out.end(), iv.begin(), iv.end());
    const Bytes ct = cipher.encrypt(keys.SK_e, iv, aad, plaintext);
    out.insert(out.end(), ct.begin(), ct.end());
    if (!cipher.is_aead()) {
        // §3.14: the ICV covers the whole message from the header to the end of the ciphertext. [7296-3.14-s6]
        const Bytes icv = keys.integrity->compute(keys.SK_a, out);
        out.insert(out.end(), icv.begin(), icv.end());
    }
    return out;
}

std::variant<Message, Unprotect_error> unprotect(Octets datagram, const Message& outer,
                                                 const Sk_keys& keys) {
    if (outer.payloads.empty() || outer.payloads.back().type != Payload_type::SK) {
        return Unprotect_error{"7296-3.14-sk-last", "the Encrypted payload is not the last payload"};
    }
    const auto& sk = std::get<Payload_SK>(outer.payloads.back().body);
    const Cipher& cipher = *keys.cipher;
    const std::size_t iv_size = cipher.iv_size();
    const std::size_t icv_size = cipher.is_aead() ? cipher.icv_size() : keys.integrity->icv_size();
    if (sk.body.size() < iv_size + icv_size + 1 || datagram.size < sk.body.size() + generic_header_size) {
        return Unprotect_error{"7296-3.14-sk-length", "Encrypted payload shorter than IV and ICV"};
    }
    const std::size_t sk_start = datagram.size - sk.body.size() - generic_header_size;
    const std::uint8_t* body = datagram.data + sk_start + generic_header_size;
    const Octets iv(body, iv_size);
    std::optional<Bytes> plaintext;
    // [7296-1.2-s2] every protected message (IKE_AUTH included) has its ICV / AEAD tag verified before use.
    if (cipher.is_aead()) {
        const Octets aad(datagram.data, sk_start + generic_header_size);
        plaintext = cipher.decrypt(keys.SK_e, iv, aad, Octets(body + iv_size, sk.body.size() - iv_size));
        if (!plaintext) return Unprotect_error{"7296-2.21-integrity", "AEAD tag does not verify"};
    } else {
        // [7296-3.14-s6] the ICV is checked over the encrypted message, before decryption.
        const std::size_t covered = datagram.size - icv_size;
        if (!keys.integrity->verify(keys.SK_a, Octets(datagram.data, covered),
                                    Octets(datagram.data + covered, icv_size))) {
            return Unprotect_error{"7296-2.21-integrity", "ICV does not verify"};
        }
        plaintext = cipher.decrypt(keys.SK_e, iv, Octets(),
                                   Octets(body + iv_size, sk.body.size() - iv_size - icv_size));
        if (!plaintext) {
            return Unprotect_error{"7296-3.14-block-size", "ciphertext is not a whole number of blocks"};
        }
    }
    // [7296-3.14-s5] any Pad Length that stays inside the decrypted data is accepted.
    if (plaintext->empty() || static_cast<std::size_t>(plaintext->back()) + 1 > plaintext->size()) {
        return Unprotect_error{"7296-3.14-pad-length", "Pad Length runs past the decrypted data", true};
    }
    const std::size_t inner_size = plaintext->size() - plaintext->back() - 1;
    auto chain = codec::decode_payload_chain(sk.first_inner, Octets(plaintext->data(), inner_size),
                                             sk_start + generic_header_size + iv_size);
    if (!codec::ok(chain)) {
        const auto& e = codec::error(chain);
        return Unprotect_error{e.rule, e.text, true};
    }
    Message m;
    m.header = outer.header;
    m.payloads = std::move(codec::value(chain));
    m.was_protected = true;
    return m;
}

}  // namespace ike::core
