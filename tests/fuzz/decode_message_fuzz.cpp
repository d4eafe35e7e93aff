// libFuzzer target: the codec on arbitrary octets (RFC 7296 §3). Decoding must never crash,
// throw or read out of bounds (ASan/UBSan); what decodes must survive encode -> decode
// unchanged; the rule table, the notation and typed notify data must accept any decoded message.
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "src/codec/codec.hpp"
#include "src/codec/message_rules.hpp"
#include "src/codec/notify_data.hpp"

namespace {

void exercise(const std::vector<ike::Payload>& payloads) {
    for (const auto& p : payloads)
        if (const auto* n = std::get_if<ike::Payload_N>(&p.body)) {
            auto d = ike::codec::decode_notify_data(*n);
            if (ike::codec::ok(d)) (void)ike::codec::describe(ike::codec::value(d));
        }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ike;
    const Octets in(data, size);
    auto r = codec::decode_message(in);
    if (codec::ok(r)) {
        Message m = codec::value(r);
        (void)describe(m);
        exercise(m.payloads);
        (void)codec::check_message_rules(m);
        m.was_protected = true;  // as if it were a decrypted inner chain
        (void)codec::check_message_rules(m);
        m.was_protected = false;
        const Bytes again = codec::encode_message(m);
        auto r2 = codec::decode_message(again);
        if (!codec::ok(r2) || !(codec::value(r2) == m)) __builtin_trap();  // round trip broken
    }
    // The same octets as an inner chain (after SK decryption): first octet = first payload type.
    if (size >= 1) {
        auto c = codec::decode_payload_chain(static_cast<Payload_type>(data[0]), Octets(data + 1, size - 1), 28);
        if (codec::ok(c)) {
            exercise(codec::value(c));
            const Bytes again = codec::encode_payload_chain(codec::value(c));
            const auto first = codec::value(c).empty() ? Payload_type::NONE : codec::value(c)[0].type;
            auto c2 = codec::decode_payload_chain(first, again, 0);
            if (!codec::ok(c2) || !(codec::value(c2) == codec::value(c))) __builtin_trap();
        }
    }
    return 0;
}
