// ikeref codec, internal: bounds-checked big-endian reading and appending of wire fields, and
// the per-payload body decoders/encoders (one file per RFC 7296 §3.x payload).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "src/codec/codec.hpp"

namespace ike::codec::wire {

/// Reads fields from `in`; every read is preceded by a `has(n)` check by the caller.
/// `base` is the datagram offset of in[0], so `offset()` is an absolute position.
class Reader {
public:
    Reader(Octets in, std::size_t base) : in_(in), base_(base) {}
    bool has(std::size_t n) const { return in_.size - pos_ >= n; }
    std::size_t remaining() const { return in_.size - pos_; }
    std::size_t offset() const { return base_ + pos_; }
    std::uint8_t u8() { return in_[pos_++]; }
    std::uint16_t u16() {
        auto v = static_cast<std::uint16_t>((in_[pos_] << 8) | in_[pos_ + 1]);
        pos_ += 2;
        return v;
    }
    std::uint32_t u32() {
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v = (v << 8) | in_[pos_++];
        return v;
    }
    std::uint64_t u64() {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = (v << 8) | in_[pos_++];
        return v;
    }
    Bytes bytes(std::size_t n) {
        Bytes b(in_.data + pos_, in_.data + pos_ + n);
        pos_ += n;
        return b;
    }
    Octets view(std::size_t n) {
        Octets v(in_.data + pos_, n);
        pos_ += n;
        return v;
    }
    void skip(std::size_t n) { pos_ += n; }

private:
    Octets in_;
    std::size_t base_;
    std::size_t pos_ = 0;
};

inline void put_u8(Bytes& out, std::uint8_t v) { out.push_back(v); }
inline void put_u16(Bytes& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}
inline void put_u32(Bytes& out, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
inline void put_u64(Bytes& out, std::uint64_t v) {
    for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
inline void put_bytes(Bytes& out, const Bytes& b) { out.insert(out.end(), b.begin(), b.end()); }
/// Overwrite a 16-bit length at `at`; throws std::length_error if it does not fit.
void patch_u16(Bytes& out, std::size_t at, std::size_t value);

inline Decode_error fail(std::size_t offset, Payload_type payload, const char* rule,
                         std::string text) {
    return Decode_error{offset, payload, rule, std::move(text)};
}

// --- payload bodies: `body` is the payload after its 4-octet generic header, `base` its
// datagram offset. Each decoder checks every length before it reads. ---------------------
Decoded<Payload_SA> decode_SA(Octets body, std::size_t base);
void encode_SA(const Payload_SA&, Bytes& out);
Decoded<Payload_KE> decode_KE(Octets body, std::size_t base);
void encode_KE(const Payload_KE&, Bytes& out);
Decoded<Payload_ID> decode_ID(Payload_type type, Octets body, std::size_t base);
void encode_ID(const Payload_ID&, Bytes& out);
Decoded<Payload_AUTH> decode_AUTH(Octets body, std::size_t base);
void encode_AUTH(const Payload_AUTH&, Bytes& out);
Decoded<Payload_Nonce> decode_Nonce(Octets body, std::size_t base);
void encode_Nonce(const Payload_Nonce&, Bytes& out);
Decoded<Payload_N> decode_N(Octets body, std::size_t base);
void encode_N(const Payload_N&, Bytes& out);
Decoded<Payload_D> decode_D(Octets body, std::size_t base);
void encode_D(const Payload_D&, Bytes& out);
Decoded<Payload_V> decode_V(Octets body, std::size_t base);
void encode_V(const Payload_V&, Bytes& out);
Decoded<Payload_TS> decode_TS(Payload_type type, Octets body, std::size_t base);
void encode_TS(const Payload_TS&, Bytes& out);
Decoded<Payload_SK> decode_SK(Payload_type first_inner, Octets body, std::size_t base);
void encode_SK(const Payload_SK&, Bytes& out);

Decoded<Payload_CERT> decode_CERT(Octets body, std::size_t base);
void encode_CERT(const Payload_CERT&, Bytes& out);
Decoded<Payload_CERTREQ> decode_CERTREQ(Octets body, std::size_t base);
void encode_CERTREQ(const Payload_CERTREQ&, Bytes& out);
Decoded<Payload_CP> decode_CP(Octets body, std::size_t base);
void encode_CP(const Payload_CP&, Bytes& out);
Decoded<Payload_EAP> decode_EAP(Octets body, std::size_t base);
void encode_EAP(const Payload_EAP&, Bytes& out);
Decoded<Payload_SKF> decode_SKF(Payload_type first_inner, Octets body, std::size_t base);
void encode_SKF(const Payload_SKF&, Bytes& out);

}  // namespace ike::codec::wire
