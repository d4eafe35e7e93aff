// ikeref codec: EAP payload, RFC 7296 §3.16, carrying one EAP message (RFC 3748 §4).
//
//  Code (1) | Identifier (1) | Length (2) | Type (1, Request/Response only) | Type-Data
#include <stdexcept>

#include "src/codec/wire.hpp"

namespace ike::codec::wire {
namespace {

// RFC 3748 §4.1 Request/Response and RFC 6696 §5.3 Initiate/Finish carry a Type octet;
// Success/Failure (§4.2) do not.
bool has_type(std::uint8_t code) { return code == 1 || code == 2 || code == 5 || code == 6; }

}  // namespace

Decoded<Payload_EAP> decode_EAP(Octets body, std::size_t base) {
    Reader r(body, base);
    if (!r.has(4))
        return fail(base, Payload_type::EAP, "7296-3.16-eap-length",
                    "EAP payload body of " + std::to_string(body.size) +
                        " octets is below the 4-octet EAP header");
    Payload_EAP eap;
    eap.code = r.u8();
    eap.identifier = r.u8();
    const std::uint16_t length = r.u16();
    // §3.16: the payload holds exactly one EAP message; its Length covers the whole message.
    if (length != body.size)
        return fail(base + 2, Payload_type::EAP, "7296-3.16-eap-length",
                    "EAP Length " + std::to_string(length) + " differs from the " +
                        std::to_string(body.size) + " octets of the payload body");
    if (has_type(eap.code)) {
        if (!r.has(1))
            return fail(base + 4, Payload_type::EAP, "7296-3.16-eap-length",
                        "EAP code " + std::to_string(eap.code) + " without its Type octet");
        eap.type = r.u8();
    } else if ((eap.code == 3 || eap.code == 4) && r.remaining() != 0) {
        return fail(base + 2, Payload_type::EAP, "7296-3.16-eap-length",
                    "EAP Success/Failure with " + std::to_string(r.remaining()) +
                        " octets of data (RFC 3748 §4.2: Length is 4)");
    }
    eap.data = r.bytes(r.remaining());
    return eap;
}

void encode_EAP(const Payload_EAP& eap, Bytes& out) {
    const std::size_t length = 4 + (eap.type ? 1 : 0) + eap.data.size();
    if (length > 0xffff) throw std::length_error("EAP message over 65535 octets");
    put_u8(out, eap.code);
    put_u8(out, eap.identifier);
    put_u16(out, static_cast<std::uint16_t>(length));
    if (eap.type) put_u8(out, *eap.type);
    put_bytes(out, eap.data);
}

}  // namespace ike::codec::wire
