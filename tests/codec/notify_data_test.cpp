// Tests of src/codec/notify_data.cpp: typed Notification Data (RFC 7296 §3.10.1 and friends).
#include "src/codec/notify_data.hpp"
#include "tests/codec/codec_test_util.hpp"

#include <rapidcheck/gtest.h>

namespace ike {
namespace {

using namespace ike::test;
using namespace ike::codec;

const Payload_N* notify_in(const Message& m, Notify_type t) { return m.find_notify(t); }

TEST(Notify_data, COOKIE_and_NAT_hashes_of_ikev2four_as_tshark_shows) {
    const auto four = ike_messages_of_capture("tcpdump-isakmp/ikev2four.pcap");
    ASSERT_GE(four.size(), 2u);
    // ikev2four.tshark.txt frame 1: NAT_DETECTION_SOURCE_IP 442ffe5a..., frame 2: COOKIE.
    const Message m1 = decode_ok(four[0]);
    const auto nat = decode_notify_data(*notify_in(m1, Notify_type::NAT_DETECTION_SOURCE_IP));
    ASSERT_TRUE(ok(nat));
    EXPECT_EQ(to_hex(std::get<Notify_nat_detection>(value(nat)).hash), "442ffe5aea0cee4dbacc758e801233bdc09a0abf");
    const Message m2 = decode_ok(four[1]);
    const auto cookie = cookie_of(*notify_in(m2, Notify_type::COOKIE));
    ASSERT_TRUE(cookie.has_value());
    EXPECT_EQ(to_hex(*cookie), "00000001c2221e50c16e123f2b0c71aefcf0cb3b798782c6");
}

TEST(Notify_data, every_notify_of_the_captures_decodes) {
    for (const auto& b : aes128ccm12_messages()) {
        const Message m = decode_ok(b);
        for (const auto& p : m.payloads)
            if (const auto* n = std::get_if<Payload_N>(&p.body)) {
                auto r = decode_notify_data(*n);
                EXPECT_TRUE(ok(r)) << (ok(r) ? "" : error(r).rule);
            }
    }
}

Payload_N n_of(Notify_type t, const std::string& data_hex, Protocol_id p = Protocol_id::NONE,
               const std::string& spi_hex = "") {
    Payload_N n;
    n.type = static_cast<std::uint16_t>(t);
    n.protocol = p;
    n.spi = from_hex(spi_hex);
    n.data = from_hex(data_hex);
    return n;
}

std::string rule(const Payload_N& n) {
    auto r = decode_notify_data(n);
    return ok(r) ? std::string() : error(r).rule;
}

TEST(Notify_data, structured_types_decode_their_fields) {
    EXPECT_EQ(accepted_group_of(n_of(Notify_type::INVALID_KE_PAYLOAD, "0013")), std::optional<std::uint16_t>(19));
    auto r = decode_notify_data(n_of(Notify_type::REKEY_SA, "", Protocol_id::ESP, "c9f1d870"));
    ASSERT_TRUE(ok(r));
    EXPECT_EQ(std::get<Notify_rekey_sa>(value(r)).spi, 0xc9f1d870u);
    EXPECT_EQ(describe(value(r)), "ESP SPI 0xc9f1d870");
    // RFC 7427 §4 / the value our crypto layer sends: SHA2_256, SHA2_384, SHA2_512, Identity.
    EXPECT_EQ(hash_algorithms_of(n_of(Notify_type::SIGNATURE_HASH_ALGORITHMS, "0002000300040005")),
              (std::optional<std::vector<std::uint16_t>>{{2, 3, 4, 5}}));
    r = decode_notify_data(n_of(Notify_type::SET_WINDOW_SIZE, "00000020"));
    ASSERT_TRUE(ok(r));
    EXPECT_EQ(std::get<Notify_window_size>(value(r)).size, 32u);
    r = decode_notify_data(n_of(Notify_type::IKEV2_FRAGMENTATION_SUPPORTED, ""));
    ASSERT_TRUE(ok(r));
    EXPECT_TRUE(std::holds_alternative<Notify_no_data>(value(r)));
    r = decode_notify_data(n_of(Notify_type::UNSUPPORTED_CRITICAL_PAYLOAD, "64"));
    EXPECT_EQ(std::get<Notify_payload_type>(value(r)).type, 100);
    r = decode_notify_data(n_of(Notify_type::IPCOMP_SUPPORTED, "123402"));
    EXPECT_EQ(std::get<Notify_ipcomp>(value(r)).cpi, 0x1234);
    r = decode_notify_data(n_of(static_cast<Notify_type>(40000), "abcd"));
    EXPECT_EQ(to_hex(std::get<Notify_opaque>(value(r)).data), "abcd");
}

TEST(Notify_data, rejects_lengths_the_RFCs_do_not_allow) {
    EXPECT_EQ(rule(n_of(Notify_type::COOKIE, "")), "7296-2.6-cookie-length");
    EXPECT_EQ(rule(n_of(Notify_type::COOKIE, std::string(130, 'a'))), "7296-2.6-cookie-length");
    EXPECT_EQ(rule(n_of(Notify_type::INVALID_KE_PAYLOAD, "13")), "7296-3.10.1-invalid-ke-length");
    EXPECT_EQ(rule(n_of(Notify_type::NAT_DETECTION_DESTINATION_IP, "00")), "7296-2.23-nat-detection-length");
    EXPECT_EQ(rule(n_of(Notify_type::REKEY_SA, "", Protocol_id::IKE, "c9f1d870")), "7296-1.3.3-rekey-sa-spi");
    EXPECT_EQ(rule(n_of(Notify_type::REKEY_SA, "", Protocol_id::ESP, "c9f1d8")), "7296-1.3.3-rekey-sa-spi");
    EXPECT_EQ(rule(n_of(Notify_type::SIGNATURE_HASH_ALGORITHMS, "000200")), "7427-4-hash-algorithms-length");
    EXPECT_EQ(rule(n_of(Notify_type::SIGNATURE_HASH_ALGORITHMS, "")), "7427-4-hash-algorithms-length");
    EXPECT_EQ(rule(n_of(Notify_type::SET_WINDOW_SIZE, "0020")), "7296-2.3-window-size-length");
    EXPECT_EQ(rule(n_of(Notify_type::IKEV2_FRAGMENTATION_SUPPORTED, "00")), "7383-2.3-fragmentation-supported-data");
    EXPECT_EQ(rule(n_of(Notify_type::INITIAL_CONTACT, "00")), "7296-3.10.1-notify-data-length");
}

/// Every typed kind with its type, to round-trip through make_notify and the payload codec.
rc::Gen<std::pair<Notify_type, Notify_data>> typed_notify() {
    using T = Notify_type;
    using G = std::pair<Notify_type, Notify_data>;
    auto u8 = rc::gen::arbitrary<std::uint8_t>();
    auto u16 = rc::gen::arbitrary<std::uint16_t>();
    auto u32 = rc::gen::arbitrary<std::uint32_t>();
    auto mk = [](T t, auto g) {
        return rc::gen::map(g, [t](auto v) { return G{t, Notify_data(v)}; });
    };
    return rc::gen::oneOf(
        mk(T::COOKIE, rc::gen::map(gen_ike::bytes(1, 64), [](Bytes b) { return Notify_cookie{b}; })),
        mk(T::INVALID_KE_PAYLOAD, rc::gen::map(u16, [](std::uint16_t g) { return Notify_accepted_group{g}; })),
        mk(T::NAT_DETECTION_SOURCE_IP, rc::gen::map(gen_ike::bytes(20, 20), [](Bytes b) { return Notify_nat_detection{b}; })),
        mk(T::NAT_DETECTION_DESTINATION_IP, rc::gen::map(gen_ike::bytes(20, 20), [](Bytes b) { return Notify_nat_detection{b}; })),
        mk(T::REKEY_SA, rc::gen::map(rc::gen::pair(rc::gen::element(Protocol_id::ESP, Protocol_id::AH), u32),
                                     [](std::pair<Protocol_id, std::uint32_t> p) { return Notify_rekey_sa{p.first, p.second}; })),
        mk(T::SIGNATURE_HASH_ALGORITHMS,
           rc::gen::map(rc::gen::nonEmpty(rc::gen::container<std::vector<std::uint16_t>>(u16)),
                        [](std::vector<std::uint16_t> v) { return Notify_hash_algorithms{v}; })),
        mk(T::SET_WINDOW_SIZE, rc::gen::map(u32, [](std::uint32_t v) { return Notify_window_size{v}; })),
        mk(T::UNSUPPORTED_CRITICAL_PAYLOAD, rc::gen::map(u8, [](std::uint8_t v) { return Notify_payload_type{v}; })),
        mk(T::INVALID_MAJOR_VERSION, rc::gen::map(u8, [](std::uint8_t v) { return Notify_major_version{v}; })),
        mk(T::INVALID_MESSAGE_ID, rc::gen::map(u32, [](std::uint32_t v) { return Notify_message_id{v}; })),
        mk(T::INVALID_SPI, rc::gen::map(u32, [](std::uint32_t v) { return Notify_spi{v}; })),
        mk(T::IPCOMP_SUPPORTED, rc::gen::map(rc::gen::pair(u16, u8), [](std::pair<std::uint16_t, std::uint8_t> p) {
               return Notify_ipcomp{p.first, p.second};
           })),
        mk(static_cast<T>(16397), rc::gen::map(gen_ike::bytes(4, 4), [](Bytes b) { return Notify_address{b}; })),
        mk(static_cast<T>(16398), rc::gen::map(gen_ike::bytes(16, 16), [](Bytes b) { return Notify_address{b}; })),
        mk(static_cast<T>(16403), rc::gen::map(u32, [](std::uint32_t v) { return Notify_seconds{v}; })),
        mk(T::IKEV2_FRAGMENTATION_SUPPORTED, rc::gen::just(Notify_no_data{})),
        mk(T::INITIAL_CONTACT, rc::gen::just(Notify_no_data{})),
        mk(static_cast<T>(16418), rc::gen::just(Notify_no_data{})));
}

bool same(const Notify_data& a, const Notify_data& b) {
    // Compare through the canonical wire form: the typed values have no operator==.
    return a.index() == b.index() && describe(a) == describe(b);
}

RC_GTEST_PROP(Notify_data, typed_notifies_round_trip_through_the_payload_codec, ()) {
    const auto [type, data] = *typed_notify();
    Message m;
    m.payloads = {Payload{Payload_type::N, false, make_notify(type, data)}};
    const auto r = decode_message(encode_message(m));
    RC_ASSERT(ok(r));
    const auto back = decode_notify_data(std::get<Payload_N>(value(r).payloads.at(0).body));
    RC_ASSERT(ok(back));
    RC_ASSERT(same(value(back), data));
}

RC_GTEST_PROP(Notify_data, arbitrary_notify_never_throws, ()) {
    Payload_N n;
    n.type = *rc::gen::arbitrary<std::uint16_t>();
    n.protocol = static_cast<Protocol_id>(*rc::gen::inRange(0, 5));
    n.spi = *gen_ike::bytes(0, 8);
    n.data = *gen_ike::bytes(0, 70);
    auto r = decode_notify_data(n);
    if (ok(r)) (void)describe(value(r));
}

}  // namespace
}  // namespace ike
