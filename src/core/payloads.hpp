// Payload builders shared by the core (Endpoint, responder gate, Ike_sa, authentication).
#pragma once

#include <utility>

#include "ike/message.hpp"

namespace ike::core {

/// A payload of type `t` with body `b` (critical flag clear, RFC 7296 §3.2).
inline Payload make(Payload_type t, Payload_body b) {
    Payload p;
    p.type = t;
    p.body = std::move(b);
    return p;
}

/// A Notify payload (RFC 7296 §3.10) of `type` with `data`. Without `proto`/`spi` it is about
/// the IKE SA: Protocol ID 0 and SPI Size 0. [7296-3.10-s2] [7296-3.10-s3]
inline Payload notify(Notify_type type, Bytes data = {}, Protocol_id proto = Protocol_id::NONE, Bytes spi = {}) {
    Payload_N n;
    n.protocol = proto;
    n.spi = std::move(spi);
    n.type = static_cast<std::uint16_t>(type);
    n.data = std::move(data);
    return make(Payload_type::N, std::move(n));
}

}  // namespace ike::core
