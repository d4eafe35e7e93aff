// ikeref codec: Security Association payload, RFC 7296 §3.3 (proposals §3.3.1, transforms
// §3.3.2, attributes §3.3.5).
//
//  Proposal:  Last Substruc (1: 0 last, 2 more) | RESERVED (1) | Proposal Length (2) |
//             Proposal Num (1) | Protocol ID (1) | SPI Size (1) | Num Transforms (1) |
//             SPI (SPI Size) | Transforms
//  Transform: Last Substruc (1: 0 last, 3 more) | RESERVED (1) | Transform Length (2) |
//             Transform Type (1) | RESERVED (1) | Transform ID (2) | Attributes
//  Attribute: AF (1 bit) Attribute Type (15 bits) | Length or Value (2) | Value (TLV only)
#include <algorithm>
#include <stdexcept>

#include "src/codec/wire.hpp"

namespace ike::codec::wire {
namespace {

constexpr Payload_type SA = Payload_type::SA;
constexpr std::uint8_t last_substruc = 0;
constexpr std::uint8_t more_proposals = 2;
constexpr std::uint8_t more_transforms = 3;

Decoded<Transform> decode_transform(Octets bytes, std::size_t base) {
    Reader r(bytes, base);
    Transform t;
    t.type = static_cast<Transform_type>(r.u8());
    // [7296-3.3.2-s2] (this RESERVED too)
    r.skip(1);
    t.id = r.u16();
    while (r.remaining() > 0) {
        const std::size_t at = r.offset();
        if (!r.has(4))
            return fail(at, SA, "7296-3.3.5-attribute-length",
                        "transform attribute truncated to " + std::to_string(r.remaining()) +
                            " octets");
        const std::uint16_t af_type = r.u16();
        const bool tv = (af_type & 0x8000) != 0;
        const auto type = static_cast<std::uint16_t>(af_type & 0x7fff);
        Transform_attribute a;
        a.type = type;
        a.tv = tv;
        if (tv) {
            a.value = r.bytes(2);
        } else {
            const std::uint16_t len = r.u16();
            if (!r.has(len))
                return fail(at + 2, SA, "7296-3.3.5-attribute-length",
                            "attribute length " + std::to_string(len) + " runs past the transform");
            a.value = r.bytes(len);
        }
        if (type == Attribute_Key_Length) {
            // §3.3.5: Key Length is TV and appears at most once. [7296-3.3.5-s1] [7296-3.3-s9]
            if (!tv)
                return fail(at, SA, "7296-3.3.5-key-length-tv", "Key Length attribute is not TV");
            if (t.key_length)
                return fail(at, SA, "7296-3.3.5-key-length-once",
                            "Key Length attribute appears twice");
            t.key_length = static_cast<std::uint16_t>((a.value[0] << 8) | a.value[1]);
        } else {
            t.other_attributes.push_back(std::move(a));
        }
    }
    return t;
}

Decoded<Proposal> decode_proposal(Octets bytes, std::size_t base) {
    Reader r(bytes, base);
    Proposal p;
    p.number = r.u8();
    p.protocol = static_cast<Protocol_id>(r.u8());
    const std::uint8_t spi_size = r.u8();
    const std::uint8_t num_transforms = r.u8();
    if (!r.has(spi_size))
        return fail(r.offset(), SA, "7296-3.3.1-spi-size",
                    "SPI size " + std::to_string(spi_size) + " runs past the proposal");
    p.spi = r.bytes(spi_size);
    // Each transform takes at least 8 octets: never reserve more than the octets can hold.
    p.transforms.reserve(std::min<std::size_t>(num_transforms, r.remaining() / 8));
    std::uint8_t last = more_transforms;
    while (r.remaining() > 0) {
        const std::size_t at = r.offset();
        if (last == last_substruc)
            return fail(at, SA, "7296-3.3.2-last-substruc",
                        "octets follow the transform marked last");
        if (!r.has(8))
            return fail(at, SA, "7296-3.3.2-transform-length",
                        "transform header truncated to " + std::to_string(r.remaining()) +
                            " octets");
        last = r.u8();
        // [7296-3.3.2-s2] RESERVED ignored.
        r.skip(1);
        const std::uint16_t len = r.u16();
        if (last != last_substruc && last != more_transforms)
            return fail(at, SA, "7296-3.3.2-last-substruc",
                        "transform Last Substruc " + std::to_string(last) + " is neither 0 nor 3");
        if (len < 8 || !r.has(len - 4u))
            return fail(at + 2, SA, "7296-3.3.2-transform-length",
                        "transform length " + std::to_string(len) +
                            " is below 8 or runs past the proposal");
        auto t = decode_transform(r.view(len - 4u), at + 4);
        if (!ok(t)) return error(t);
        p.transforms.push_back(std::move(value(t)));
    }
    if (last != last_substruc)
        return fail(r.offset(), SA, "7296-3.3.2-last-substruc",
                    "the last transform is not marked last");
    // [7296-3.3-s4] every length and count is checked against the octets present.
    if (p.transforms.size() != num_transforms)
        return fail(base + 3, SA, "7296-3.3.1-transform-count",
                    "Num Transforms " + std::to_string(num_transforms) + " but " +
                        std::to_string(p.transforms.size()) + " transforms present");
    return p;
}

}  // namespace

Decoded<Payload_SA> decode_SA(Octets body, std::size_t base) {
    Reader r(body, base);
    Payload_SA sa;
    std::uint8_t last = more_proposals;
    while (r.remaining() > 0) {
        const std::size_t at = r.offset();
        if (last == last_substruc)
            return fail(at, SA, "7296-3.3.1-last-substruc",
                        "octets follow the proposal marked last");
        if (!r.has(8))
            return fail(at, SA, "7296-3.3.1-proposal-length",
                        "proposal header truncated to " + std::to_string(r.remaining()) +
                            " octets");
        last = r.u8();
        // [7296-3.3.1-s2] RESERVED ignored.
        r.skip(1);
        const std::uint16_t len = r.u16();
        if (last != last_substruc && last != more_proposals)
            return fail(at, SA, "7296-3.3.1-last-substruc",
                        "proposal Last Substruc " + std::to_string(last) + " is neither 0 nor 2");
        if (len < 8 || !r.has(len - 4u))
            return fail(at + 2, SA, "7296-3.3.1-proposal-length",
                        "proposal length " + std::to_string(len) +
                            " is below 8 or runs past the SA payload");
        auto p = decode_proposal(r.view(len - 4u), at + 4);
        if (!ok(p)) return error(p);
        // §3.3.1: numbering starts at 1 (a response echoes the chosen number) and each
        // subsequent proposal is one more than the previous.
        const std::uint8_t number = value(p).number;
        // [7296-3.3-s5] received numbers checked in sequence as well.
        if (number == 0 || (!sa.proposals.empty() && number != sa.proposals.back().number + 1))
            return fail(at + 4, SA, "7296-3.3.1-proposal-number",
                        "proposal number " + std::to_string(number) + " out of sequence");
        sa.proposals.push_back(std::move(value(p)));
    }
    if (sa.proposals.empty())
        return fail(base, SA, "7296-3.3-no-proposal", "SA payload without proposals");
    if (last != last_substruc)
        return fail(r.offset(), SA, "7296-3.3.1-last-substruc",
                    "the last proposal is not marked last");
    return sa;
}

void encode_SA(const Payload_SA& sa, Bytes& out) {
    for (std::size_t i = 0; i < sa.proposals.size(); ++i) {
        const Proposal& p = sa.proposals[i];
        const std::size_t p_at = out.size();
        // [7296-3.3.1-s1] the byte after Last Substruc is RESERVED, sent as zero.
        put_u8(out, i + 1 < sa.proposals.size() ? more_proposals : last_substruc);
        put_u8(out, 0);
        put_u16(out, 0);
        put_u8(out, p.number);
        put_u8(out, static_cast<std::uint8_t>(p.protocol));
        if (p.spi.size() > 0xff) throw std::length_error("proposal SPI over 255 octets");
        if (p.transforms.size() > 0xff) throw std::length_error("over 255 transforms");
        put_u8(out, static_cast<std::uint8_t>(p.spi.size()));
        put_u8(out, static_cast<std::uint8_t>(p.transforms.size()));
        put_bytes(out, p.spi);
        for (std::size_t j = 0; j < p.transforms.size(); ++j) {
            const Transform& t = p.transforms[j];
            const std::size_t t_at = out.size();
            // [7296-3.3.2-s1] both RESERVED octets of a transform are sent as zero.
            put_u8(out, j + 1 < p.transforms.size() ? more_transforms : last_substruc);
            put_u8(out, 0);
            put_u16(out, 0);
            put_u8(out, static_cast<std::uint8_t>(t.type));
            put_u8(out, 0);
            put_u16(out, t.id);
            // [7296-3.3-s9] Key Length is one optional field: never two; [7296-3.3.5-s1] sent TV (AF = 1).
            if (t.key_length) {
                put_u16(out, static_cast<std::uint16_t>(0x8000 | Attribute_Key_Length));
                put_u16(out, *t.key_length);
            }
            for (const auto& a : t.other_attributes) {
                const auto type = static_cast<std::uint16_t>(a.type & 0x7fff);
                // [7296-3.3.5-s2] an attribute keeps the format it was decoded with: TLV stays TLV.
                if (a.tv) {
                    put_u16(out, static_cast<std::uint16_t>(0x8000 | type));
                    put_u8(out, a.value.size() > 0 ? a.value[0] : 0);
                    put_u8(out, a.value.size() > 1 ? a.value[1] : 0);
                } else {
                    put_u16(out, type);
                    const std::size_t len_at = out.size();
                    put_u16(out, 0);
                    patch_u16(out, len_at, a.value.size());
                    put_bytes(out, a.value);
                }
            }
            patch_u16(out, t_at + 2, out.size() - t_at);
        }
        patch_u16(out, p_at + 2, out.size() - p_at);
    }
}

}  // namespace ike::codec::wire
