// ikeref codec: typed Notification Data (RFC 7296 §3.10.1 and the RFCs that define status
// types with structured data). See notify_data.hpp for the layouts.
#include "src/codec/notify_data.hpp"

#include <stdexcept>

#include "src/codec/wire.hpp"

namespace ike::codec {
namespace {

using N = Notify_type;
using wire::fail;

Decode_error bad(const char* rule, const Payload_N& n, const std::string& what) {
    return fail(0, Payload_type::N, rule,
                to_string(static_cast<Notify_type>(n.type)) + ": " + what + " (" +
                    std::to_string(n.data.size()) + " octets of data, SPI of " +
                    std::to_string(n.spi.size()) + ")");
}

std::uint32_t u32_of(const Bytes& b) {
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
           std::uint32_t{b[3]};
}
std::uint16_t u16_of(const Bytes& b, std::size_t at = 0) {
    return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

// Status types whose Notification Data is empty by their definition (RFC 7296 §3.10.1,
// RFC 4555 §4, RFC 4739 §3, RFC 5685 §4, RFC 5998 §4, RFC 6023 §3, RFC 7383 §2.3, RFC 9242 §3).
bool carries_no_data(std::uint16_t t) {
    switch (static_cast<N>(t)) {
        case N::INITIAL_CONTACT:
        case N::ADDITIONAL_TS_POSSIBLE:
        case N::USE_TRANSPORT_MODE:
        case N::HTTP_CERT_LOOKUP_SUPPORTED:
        case N::ESP_TFC_PADDING_NOT_SUPPORTED:
        case N::NON_FIRST_FRAGMENTS_ALSO:
        case N::MOBIKE_SUPPORTED:
        case N::MULTIPLE_AUTH_SUPPORTED:
        case N::EAP_ONLY_AUTHENTICATION:
        case N::IKEV2_FRAGMENTATION_SUPPORTED: return true;
        default: break;
    }
    switch (t) {
        case 16399:  // NO_ADDITIONAL_ADDRESSES
        case 16400:  // UPDATE_SA_ADDRESSES
        case 16405:  // ANOTHER_AUTH_FOLLOWS
        case 16406:  // REDIRECT_SUPPORTED
        case 16418:  // CHILDLESS_IKEV2_SUPPORTED
        case 16438:  // INTERMEDIATE_EXCHANGE_SUPPORTED
            return true;
        default: return false;
    }
}

template <class T, class... Args>
Decoded<Notify_data> typed(Args&&... args) {
    return Notify_data(T{std::forward<Args>(args)...});
}

}  // namespace

Decoded<Notify_data> decode_notify_data(const Payload_N& n) {
    const Bytes& d = n.data;
    switch (n.type) {
        case static_cast<std::uint16_t>(N::COOKIE):
            // §2.6 / §3.10.1: "between 1 and 64 octets".
            if (d.empty() || d.size() > 64) return bad("7296-2.6-cookie-length", n, "cookie not of 1..64 octets");
            return typed<Notify_cookie>(d);
        case static_cast<std::uint16_t>(N::INVALID_KE_PAYLOAD):
            if (d.size() != 2) return bad("7296-3.10.1-invalid-ke-length", n, "accepted group not 2 octets");
            return typed<Notify_accepted_group>(u16_of(d));
        case static_cast<std::uint16_t>(N::NAT_DETECTION_SOURCE_IP):
        case static_cast<std::uint16_t>(N::NAT_DETECTION_DESTINATION_IP):
            if (d.size() != 20) return bad("7296-2.23-nat-detection-length", n, "hash not 20 octets");
            return typed<Notify_nat_detection>(d);
        case static_cast<std::uint16_t>(N::REKEY_SA):
            if ((n.protocol != Protocol_id::ESP && n.protocol != Protocol_id::AH) || n.spi.size() != 4 ||
                !d.empty())
                return bad("7296-1.3.3-rekey-sa-spi", n, "needs Protocol ESP/AH, a 4-octet SPI, no data");
            return typed<Notify_rekey_sa>(n.protocol, u32_of(n.spi));
        case static_cast<std::uint16_t>(N::SIGNATURE_HASH_ALGORITHMS): {
            if (d.empty() || d.size() % 2 != 0)
                return bad("7427-4-hash-algorithms-length", n, "not a nonempty list of 2-octet ids");
            Notify_hash_algorithms h;
            for (std::size_t i = 0; i < d.size(); i += 2) h.ids.push_back(u16_of(d, i));
            return Notify_data(std::move(h));
        }
        case static_cast<std::uint16_t>(N::SET_WINDOW_SIZE):
            if (d.size() != 4) return bad("7296-2.3-window-size-length", n, "window size not 4 octets");
            return typed<Notify_window_size>(u32_of(d));
        case static_cast<std::uint16_t>(N::UNSUPPORTED_CRITICAL_PAYLOAD):
            if (d.size() != 1) return bad("7296-3.10.1-notify-data-length", n, "payload type not 1 octet");
            return typed<Notify_payload_type>(d[0]);
        case static_cast<std::uint16_t>(N::INVALID_MAJOR_VERSION):
            if (d.size() != 1) return bad("7296-3.10.1-notify-data-length", n, "version not 1 octet");
            return typed<Notify_major_version>(d[0]);
        case static_cast<std::uint16_t>(N::INVALID_MESSAGE_ID):
            if (d.size() != 4) return bad("7296-3.10.1-notify-data-length", n, "Message ID not 4 octets");
            return typed<Notify_message_id>(u32_of(d));
        case static_cast<std::uint16_t>(N::INVALID_SPI):
            if (d.size() != 4) return bad("7296-3.10.1-notify-data-length", n, "SPI not 4 octets");
            return typed<Notify_spi>(u32_of(d));
        case static_cast<std::uint16_t>(N::IPCOMP_SUPPORTED):
            if (d.size() != 3) return bad("7296-3.10.1-notify-data-length", n, "CPI and Transform ID not 3 octets");
            return typed<Notify_ipcomp>(u16_of(d), d[2]);
        case 16397:  // ADDITIONAL_IP4_ADDRESS, RFC 4555 §4
            if (d.size() != 4) return bad("7296-3.10.1-notify-data-length", n, "IPv4 address not 4 octets");
            return typed<Notify_address>(d);
        case 16398:  // ADDITIONAL_IP6_ADDRESS
            if (d.size() != 16) return bad("7296-3.10.1-notify-data-length", n, "IPv6 address not 16 octets");
            return typed<Notify_address>(d);
        case 16403:  // AUTH_LIFETIME, RFC 4478 §3
            if (d.size() != 4) return bad("7296-3.10.1-notify-data-length", n, "lifetime not 4 octets");
            return typed<Notify_seconds>(u32_of(d));
        default: break;
    }
    if (carries_no_data(n.type)) {
        if (!d.empty())
            return bad(n.type == static_cast<std::uint16_t>(N::IKEV2_FRAGMENTATION_SUPPORTED)
                           ? "7383-2.3-fragmentation-supported-data"
                           : "7296-3.10.1-notify-data-length",
                       n, "this type carries no data");
        return typed<Notify_no_data>();
    }
    return typed<Notify_opaque>(d);
}

Payload_N make_notify(Notify_type type, const Notify_data& data) {
    Payload_N n;
    n.type = static_cast<std::uint16_t>(type);
    auto need = [&](bool fits, const char* what) {
        if (!fits) throw std::invalid_argument(std::string("make_notify: ") + what + " does not go with " + to_string(type));
    };
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Notify_opaque>) {
                n.data = v.data;
            } else if constexpr (std::is_same_v<T, Notify_no_data>) {
                need(carries_no_data(n.type), "Notify_no_data");
            } else if constexpr (std::is_same_v<T, Notify_cookie>) {
                need(type == N::COOKIE, "Notify_cookie");
                if (v.cookie.empty() || v.cookie.size() > 64) throw std::length_error("COOKIE not of 1..64 octets");
                n.data = v.cookie;
            } else if constexpr (std::is_same_v<T, Notify_accepted_group>) {
                need(type == N::INVALID_KE_PAYLOAD, "Notify_accepted_group");
                wire::put_u16(n.data, v.group);
            } else if constexpr (std::is_same_v<T, Notify_nat_detection>) {
                need(type == N::NAT_DETECTION_SOURCE_IP || type == N::NAT_DETECTION_DESTINATION_IP,
                     "Notify_nat_detection");
                if (v.hash.size() != 20) throw std::length_error("NAT detection hash not 20 octets");
                n.data = v.hash;
            } else if constexpr (std::is_same_v<T, Notify_rekey_sa>) {
                need(type == N::REKEY_SA, "Notify_rekey_sa");
                n.protocol = v.protocol;
                wire::put_u32(n.spi, v.spi);
            } else if constexpr (std::is_same_v<T, Notify_hash_algorithms>) {
                need(type == N::SIGNATURE_HASH_ALGORITHMS, "Notify_hash_algorithms");
                for (auto id : v.ids) wire::put_u16(n.data, id);
            } else if constexpr (std::is_same_v<T, Notify_window_size>) {
                need(type == N::SET_WINDOW_SIZE, "Notify_window_size");
                wire::put_u32(n.data, v.size);
            } else if constexpr (std::is_same_v<T, Notify_payload_type>) {
                need(type == N::UNSUPPORTED_CRITICAL_PAYLOAD, "Notify_payload_type");
                n.data = {v.type};
            } else if constexpr (std::is_same_v<T, Notify_major_version>) {
                need(type == N::INVALID_MAJOR_VERSION, "Notify_major_version");
                n.data = {v.version};
            } else if constexpr (std::is_same_v<T, Notify_message_id>) {
                need(type == N::INVALID_MESSAGE_ID, "Notify_message_id");
                wire::put_u32(n.data, v.id);
            } else if constexpr (std::is_same_v<T, Notify_spi>) {
                need(type == N::INVALID_SPI, "Notify_spi");
                wire::put_u32(n.data, v.spi);
            } else if constexpr (std::is_same_v<T, Notify_ipcomp>) {
                need(type == N::IPCOMP_SUPPORTED, "Notify_ipcomp");
                wire::put_u16(n.data, v.cpi);
                n.data.push_back(v.transform_id);
            } else if constexpr (std::is_same_v<T, Notify_address>) {
                const auto t = static_cast<std::uint16_t>(type);
                need(t == 16397 || t == 16398, "Notify_address");
                if (v.address.size() != (t == 16397 ? 4u : 16u)) throw std::length_error("address length");
                n.data = v.address;
            } else if constexpr (std::is_same_v<T, Notify_seconds>) {
                need(static_cast<std::uint16_t>(type) == 16403, "Notify_seconds");
                wire::put_u32(n.data, v.seconds);
            }
        },
        data);
    return n;
}

std::string describe(const Notify_data& data) {
    return std::visit(
        [](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Notify_opaque>)
                return v.data.empty() ? std::string() : to_hex(v.data);
            else if constexpr (std::is_same_v<T, Notify_no_data>) return "";
            else if constexpr (std::is_same_v<T, Notify_cookie>) return "cookie " + to_hex(v.cookie);
            else if constexpr (std::is_same_v<T, Notify_accepted_group>)
                return "group " + std::to_string(v.group) + " (" + to_string(static_cast<Ke_id>(v.group)) + ")";
            else if constexpr (std::is_same_v<T, Notify_nat_detection>) return "hash " + to_hex(v.hash);
            else if constexpr (std::is_same_v<T, Notify_rekey_sa>) {
                Bytes s;
                wire::put_u32(s, v.spi);
                return to_string(v.protocol) + " SPI 0x" + to_hex(s);
            } else if constexpr (std::is_same_v<T, Notify_hash_algorithms>) {
                static const char* names[] = {"0", "SHA1", "SHA2_256", "SHA2_384", "SHA2_512", "Identity",
                                              "STREEBOG_256", "STREEBOG_512"};
                std::string s = "hashes";
                for (auto id : v.ids) s += std::string(" ") + (id < 8 ? names[id] : std::to_string(id).c_str());
                return s;
            } else if constexpr (std::is_same_v<T, Notify_window_size>) return "window " + std::to_string(v.size);
            else if constexpr (std::is_same_v<T, Notify_payload_type>)
                return "payload " + to_string(static_cast<Payload_type>(v.type));
            else if constexpr (std::is_same_v<T, Notify_major_version>) return "version " + std::to_string(v.version >> 4);
            else if constexpr (std::is_same_v<T, Notify_message_id>) return "Message ID " + std::to_string(v.id);
            else if constexpr (std::is_same_v<T, Notify_spi>) {
                Bytes s;
                wire::put_u32(s, v.spi);
                return "SPI 0x" + to_hex(s);
            } else if constexpr (std::is_same_v<T, Notify_ipcomp>)
                return "CPI " + std::to_string(v.cpi) + " transform " + std::to_string(v.transform_id);
            else if constexpr (std::is_same_v<T, Notify_address>) return "address " + to_hex(v.address);
            else return "lifetime " + std::to_string(v.seconds) + " s";
        },
        data);
}

std::optional<Bytes> cookie_of(const Payload_N& n) {
    if (n.type != static_cast<std::uint16_t>(N::COOKIE)) return std::nullopt;
    auto r = decode_notify_data(n);
    if (!ok(r)) return std::nullopt;
    return std::get<Notify_cookie>(value(r)).cookie;
}

std::optional<std::uint16_t> accepted_group_of(const Payload_N& n) {
    if (n.type != static_cast<std::uint16_t>(N::INVALID_KE_PAYLOAD)) return std::nullopt;
    auto r = decode_notify_data(n);
    if (!ok(r)) return std::nullopt;
    return std::get<Notify_accepted_group>(value(r)).group;
}

std::optional<std::uint32_t> window_size_of(const Payload_N& n) {
    if (n.type != static_cast<std::uint16_t>(N::SET_WINDOW_SIZE)) return std::nullopt;
    auto r = decode_notify_data(n);
    if (!ok(r)) return std::nullopt;
    return std::get<Notify_window_size>(value(r)).size;
}

std::optional<std::vector<std::uint16_t>> hash_algorithms_of(const Payload_N& n) {
    if (n.type != static_cast<std::uint16_t>(N::SIGNATURE_HASH_ALGORITHMS)) return std::nullopt;
    auto r = decode_notify_data(n);
    if (!ok(r)) return std::nullopt;
    return std::get<Notify_hash_algorithms>(value(r)).ids;
}

}  // namespace ike::codec
