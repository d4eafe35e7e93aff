// ikeref codec: the generic payload header and the payload chain, RFC 7296 §3.2.
//
//  Next Payload (1) | C (1 bit) RESERVED (7 bits) | Payload Length (2, includes these 4 octets)
//  followed by the payload body.
#include <algorithm>
#include <stdexcept>

#include "src/codec/wire.hpp"

namespace ike::codec {

using namespace wire;

void wire::patch_u16(Bytes& out, std::size_t at, std::size_t value) {
    if (value > 0xffff) throw std::length_error("IKE length field overflow (over 65535 octets)");
    out[at] = static_cast<std::uint8_t>(value >> 8);
    out[at + 1] = static_cast<std::uint8_t>(value);
}

namespace {

constexpr std::size_t generic_header_size = 4;

Decoded<Payload_body> decode_body(Payload_type type, std::uint8_t next, Octets body,
                                  std::size_t base) {
    auto lift = [](auto&& r) -> Decoded<Payload_body> {
        if (!ok(r)) return error(r);
        return Payload_body(std::move(value(r)));
    };
    // [7296-3.2-s5] every payload type of RFC 7296 has its decoder.
    switch (type) {
        case Payload_type::SA: return lift(decode_SA(body, base));
        case Payload_type::KE: return lift(decode_KE(body, base));
        case Payload_type::IDi:
        case Payload_type::IDr: return lift(decode_ID(type, body, base));
        case Payload_type::AUTH: return lift(decode_AUTH(body, base));
        case Payload_type::Nonce: return lift(decode_Nonce(body, base));
        case Payload_type::N: return lift(decode_N(body, base));
        case Payload_type::D: return lift(decode_D(body, base));
        case Payload_type::V: return lift(decode_V(body, base));
        case Payload_type::TSi:
        case Payload_type::TSr: return lift(decode_TS(type, body, base));
        case Payload_type::SK:
            return lift(decode_SK(static_cast<Payload_type>(next), body, base));
        case Payload_type::CERT: return lift(decode_CERT(body, base));
        case Payload_type::CERTREQ: return lift(decode_CERTREQ(body, base));
        case Payload_type::CP: return lift(decode_CP(body, base));
        case Payload_type::EAP: return lift(decode_EAP(body, base));
        case Payload_type::SKF:
            return lift(decode_SKF(static_cast<Payload_type>(next), body, base));
        default:
            // Unknown types: kept whole (§3.2 critical bit decides, in the caller, between
            // skipping and UNSUPPORTED_CRITICAL_PAYLOAD, §2.5).
            // [7296-2.5-s7] [7296-2.5-s9] skipped by its length, contents unread; without C it is ignored.
            return Payload_body(Payload_unknown{body.to_bytes()});
    }
}

void encode_body(const Payload_body& body, Bytes& out) {
    std::visit(
        [&out](const auto& b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, Payload_SA>) encode_SA(b, out);
            else if constexpr (std::is_same_v<T, Payload_KE>) encode_KE(b, out);
            else if constexpr (std::is_same_v<T, Payload_ID>) encode_ID(b, out);
            else if constexpr (std::is_same_v<T, Payload_AUTH>) encode_AUTH(b, out);
            else if constexpr (std::is_same_v<T, Payload_Nonce>) encode_Nonce(b, out);
            else if constexpr (std::is_same_v<T, Payload_N>) encode_N(b, out);
            else if constexpr (std::is_same_v<T, Payload_D>) encode_D(b, out);
            else if constexpr (std::is_same_v<T, Payload_V>) encode_V(b, out);
            else if constexpr (std::is_same_v<T, Payload_TS>) encode_TS(b, out);
            else if constexpr (std::is_same_v<T, Payload_SK>) encode_SK(b, out);
            else if constexpr (std::is_same_v<T, Payload_CERT>) encode_CERT(b, out);
            else if constexpr (std::is_same_v<T, Payload_CERTREQ>) encode_CERTREQ(b, out);
            else if constexpr (std::is_same_v<T, Payload_CP>) encode_CP(b, out);
            else if constexpr (std::is_same_v<T, Payload_EAP>) encode_EAP(b, out);
            else if constexpr (std::is_same_v<T, Payload_SKF>) encode_SKF(b, out);
            else put_bytes(out, b.body);  // Payload_unknown
        },
        body);
}

}  // namespace

Decoded<std::vector<Payload>> decode_payload_chain(Payload_type first, Octets bytes,
                                                   std::size_t base_offset) {
    std::vector<Payload> payloads;
    payloads.reserve(std::min<std::size_t>(8, bytes.size / 4));  // typical chains hold up to 8
    Reader r(bytes, base_offset);
    auto type = first;
    // Each payload consumes at least 4 octets, so this loop ends.
    while (type != Payload_type::NONE) {
        const std::size_t at = r.offset();
        if (!r.has(generic_header_size))
            return fail(at, type, "7296-3.2-payload-header",
                        "payload " + to_string(type) + " announced but only " +
                            std::to_string(r.remaining()) + " octets remain");
        const std::uint8_t next = r.u8();
        // [7296-3.2-s7] [7296-2.5-s6] the 7 RESERVED bits are ignored; [7296-3.2-s3] for known types C is only recorded, never acted on.
        const bool critical = (r.u8() & 0x80) != 0;
        const std::uint16_t length = r.u16();
        if (length < generic_header_size)
            return fail(at + 2, type, "7296-3.2-payload-length",
                        "payload length " + std::to_string(length) + " is below 4");
        const std::size_t body_size = length - generic_header_size;
        if (!r.has(body_size))
            return fail(at + 2, type, "7296-3.2-payload-length",
                        "payload length " + std::to_string(length) + " runs past the message (" +
                            std::to_string(r.remaining() + generic_header_size) +
                            " octets left)");
        const std::size_t body_at = r.offset();
        auto body = decode_body(type, next, r.view(body_size), body_at);
        if (!ok(body)) return error(body);
        payloads.push_back(Payload{type, critical, std::move(value(body))});
        if (type == Payload_type::SK || type == Payload_type::SKF) {
            // §3.14 (RFC 7383 §2.5 for SKF): the SK payload is the last one; its Next Payload
            // names the first inner one.
            // [7296-3.14-s1] [7296-3.1-s1] SK is last; an SK inside SK fails check_message_rules (no form allows it).
            if (r.remaining() != 0)
                return fail(r.offset(), type,
                            type == Payload_type::SK ? "7296-3.14-sk-last" : "7383-2.5-skf-last",
                            std::to_string(r.remaining()) + " octets follow the " +
                                to_string(type) + " payload");
            break;
        }
        type = static_cast<Payload_type>(next);
    }
    if (r.remaining() != 0)
        return fail(r.offset(), Payload_type::NONE, "7296-3.2-trailing-octets",
                    std::to_string(r.remaining()) + " octets follow the last payload");
    return payloads;
}

Bytes encode_payload_chain(const std::vector<Payload>& payloads) {
    Bytes out;
    for (std::size_t i = 0; i < payloads.size(); ++i) {
        const Payload& p = payloads[i];
        Payload_type next = i + 1 < payloads.size() ? payloads[i + 1].type : Payload_type::NONE;
        if (const auto* sk = std::get_if<Payload_SK>(&p.body)) next = sk->first_inner;
        if (const auto* skf = std::get_if<Payload_SKF>(&p.body)) next = skf->first_inner;
        const std::size_t at = out.size();
        put_u8(out, static_cast<std::uint8_t>(next));
        // [7296-2.5-s10] [7296-3.2-s4] ikeref builds no payload with `critical` set (only decoded ones carry it); [7296-3.2-s6] [7296-2.5-s6] RESERVED sent as zero.
        put_u8(out, p.critical ? 0x80 : 0x00);
        put_u16(out, 0);
        encode_body(p.body, out);
        patch_u16(out, at + 2, out.size() - at);
    }
    return out;
}

}  // namespace ike::codec
