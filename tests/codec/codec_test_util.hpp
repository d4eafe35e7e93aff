// ikeref codec tests: shared helpers (capture loading, small message builders) and the
// RapidCheck generators for every payload type. Test code only.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include "src/codec/codec.hpp"
#include "tests/support/pcap_reader.hpp"
#include "tests/support/vectors.hpp"

namespace ike::test {

/// The IKE messages of a capture under testdata/, in capture order (UDP 500/4500).
inline std::vector<Bytes> ike_messages_of_capture(const std::string& relative) {
    std::vector<Bytes> out;
    for (const auto& d : read_udp_datagrams(shared_path("testdata/" + relative))) {
        Bytes m = ike_message_of(d);
        if (!m.empty()) out.push_back(std::move(m));
    }
    return out;
}

/// The 4 IKE messages of ikev2-decrypt-aes128ccm12-frames.hex.json (Ethernet/IPv4/UDP frames).
inline std::vector<Bytes> aes128ccm12_messages() {
    auto j = load_shared_json("testdata/wireshark-ikev2/ikev2-decrypt-aes128ccm12-frames.hex.json");
    std::vector<Bytes> out;
    for (const auto& h : j.at("frames_hex")) {
        Bytes frame = from_hex(h.get<std::string>());
        const std::size_t ip_header = std::size_t{frame.at(14) & 0x0fu} * 4;
        out.emplace_back(frame.begin() + static_cast<std::ptrdiff_t>(14 + ip_header + 8), frame.end());
    }
    return out;
}

inline Message decode_ok(const Bytes& datagram) {
    auto r = codec::decode_message(datagram);
    if (!codec::ok(r)) {
        ADD_FAILURE() << "decode failed: " << codec::error(r).rule << ": " << codec::error(r).text;
        return {};
    }
    return codec::value(r);
}

/// The rule id of a refused decode, or "" when it decoded.
inline std::string decode_rule(const Bytes& datagram) {
    auto r = codec::decode_message(datagram);
    return codec::ok(r) ? std::string() : codec::error(r).rule;
}

/// A datagram: header (IKE_SA_INIT request, SPIi 1) + raw chain bytes, Length computed.
inline Bytes datagram_with_chain(Payload_type first, const Bytes& chain) {
    Header h;
    h.SPIi = 1;
    h.flags = flag::Initiator;
    Bytes d = codec::encode_header(h, first, static_cast<std::uint32_t>(codec::header_size + chain.size()));
    d.insert(d.end(), chain.begin(), chain.end());
    return d;
}

/// One generic payload: next, flags, length = 4 + body.size() (or `length` if given), body.
inline Bytes raw_payload(Payload_type next, const Bytes& body, int length = -1) {
    const std::size_t len = length >= 0 ? static_cast<std::size_t>(length) : body.size() + 4;
    Bytes p = {static_cast<std::uint8_t>(next), 0, static_cast<std::uint8_t>(len >> 8),
               static_cast<std::uint8_t>(len)};
    p.insert(p.end(), body.begin(), body.end());
    return p;
}

inline Payload payload(Payload_type t, Payload_body b, bool critical = false) {
    return Payload{t, critical, std::move(b)};
}

inline Payload notify(Notify_type t, Bytes data = {}) {
    Payload_N n;
    n.type = static_cast<std::uint16_t>(t);
    n.data = std::move(data);
    return payload(Payload_type::N, n);
}

}  // namespace ike::test

// --- RapidCheck generators for every payload type --------------------------------------
namespace ike::test::gen_ike {

inline rc::Gen<Bytes> bytes(std::size_t min, std::size_t max) {
    return rc::gen::mapcat(rc::gen::inRange(min, max + 1), [](std::size_t n) {
        return rc::gen::container<Bytes>(n, rc::gen::arbitrary<std::uint8_t>());
    });
}

/// std::optional version of rc::gen::maybe.
template <class T>
rc::Gen<std::optional<T>> optional_of(rc::Gen<T> g) {
    return rc::gen::map(rc::gen::maybe(std::move(g)), [](rc::Maybe<T> m) {
        return m ? std::optional<T>(std::move(*m)) : std::optional<T>();
    });
}

template <class E, class U>
rc::Gen<E> enum_value() {
    return rc::gen::map(rc::gen::arbitrary<U>(), [](U v) { return static_cast<E>(v); });
}

inline rc::Gen<Transform_attribute> attribute() {
    return rc::gen::mapcat(rc::gen::arbitrary<bool>(), [](bool tv) {
        return rc::gen::build<Transform_attribute>(
            rc::gen::set(&Transform_attribute::type,
                         rc::gen::suchThat(rc::gen::inRange<std::uint16_t>(0, 0x8000),
                                           [](std::uint16_t t) { return t != Attribute_Key_Length; })),
            rc::gen::set(&Transform_attribute::tv, rc::gen::just(tv)),
            rc::gen::set(&Transform_attribute::value, tv ? bytes(2, 2) : bytes(0, 24)));
    });
}

inline rc::Gen<Transform> transform() {
    return rc::gen::build<Transform>(
        rc::gen::set(&Transform::type, enum_value<Transform_type, std::uint8_t>()),
        rc::gen::set(&Transform::id, rc::gen::arbitrary<std::uint16_t>()),
        rc::gen::set(&Transform::key_length, optional_of(rc::gen::arbitrary<std::uint16_t>())),
        rc::gen::set(&Transform::other_attributes,
                     rc::gen::resize(4, rc::gen::container<std::vector<Transform_attribute>>(attribute()))));
}

inline rc::Gen<Proposal> proposal() {
    return rc::gen::build<Proposal>(
        rc::gen::set(&Proposal::protocol, enum_value<Protocol_id, std::uint8_t>()),
        rc::gen::set(&Proposal::spi,
                     rc::gen::mapcat(rc::gen::element<std::size_t>(0, 4, 8),
                                     [](std::size_t n) { return bytes(n, n); })),
        rc::gen::set(&Proposal::transforms,
                     rc::gen::mapcat(rc::gen::inRange(1, 7), [](int n) {
                         return rc::gen::container<std::vector<Transform>>(
                             static_cast<std::size_t>(n), transform());
                     })));
}

inline rc::Gen<Payload_SA> sa() {
    return rc::gen::map(
        rc::gen::pair(rc::gen::inRange(1, 200),
                      rc::gen::mapcat(rc::gen::inRange(1, 5),
                                      [](int n) {
                                          return rc::gen::container<std::vector<Proposal>>(
                                              static_cast<std::size_t>(n), proposal());
                                      })),
        [](std::pair<int, std::vector<Proposal>> p) {
            Payload_SA s;
            s.proposals = std::move(p.second);
            for (std::size_t i = 0; i < s.proposals.size(); ++i)
                s.proposals[i].number = static_cast<std::uint8_t>(p.first + static_cast<int>(i));
            return s;
        });
}

/// A TS_IPV4_ADDR_RANGE or TS_IPV6_ADDR_RANGE selector, or (one time in five) one of an
/// unknown TS Type kept opaque (RFC 7296 §2.9, §3.13.1).
inline rc::Gen<Traffic_selector> selector() {
    auto unknown = rc::gen::build<Traffic_selector>(
        rc::gen::set(&Traffic_selector::ts_type,
                     rc::gen::map(rc::gen::suchThat(rc::gen::arbitrary<std::uint8_t>(),
                                                    [](std::uint8_t v) { return v != 7 && v != 8; }),
                                  [](std::uint8_t v) { return static_cast<Ts_type>(v); })),
        rc::gen::set(&Traffic_selector::ip_protocol, rc::gen::arbitrary<std::uint8_t>()),
        rc::gen::set(&Traffic_selector::unknown_body, bytes(0, 40)));
    auto known = rc::gen::mapcat(rc::gen::element(Ts_type::TS_IPV4_ADDR_RANGE, Ts_type::TS_IPV6_ADDR_RANGE),
                           [](Ts_type t) {
                               const std::size_t n = t == Ts_type::TS_IPV4_ADDR_RANGE ? 4 : 16;
                               return rc::gen::build<Traffic_selector>(
                                   rc::gen::set(&Traffic_selector::ts_type, rc::gen::just(t)),
                                   rc::gen::set(&Traffic_selector::ip_protocol, rc::gen::arbitrary<std::uint8_t>()),
                                   rc::gen::set(&Traffic_selector::start_port, rc::gen::arbitrary<std::uint16_t>()),
                                   rc::gen::set(&Traffic_selector::end_port, rc::gen::arbitrary<std::uint16_t>()),
                                   rc::gen::set(&Traffic_selector::start_address, bytes(n, n)),
                                   rc::gen::set(&Traffic_selector::end_address, bytes(n, n)));
                           });
    return rc::gen::weightedOneOf<Traffic_selector>({{4, known}, {1, unknown}});
}

inline rc::Gen<Payload_D> del() {
    // §3.11: SPI Size is 0 for IKE and 4 for AH and ESP; other protocol ids take any size.
    return rc::gen::mapcat(enum_value<Protocol_id, std::uint8_t>(), [](Protocol_id protocol) {
        const bool ipsec = protocol == Protocol_id::AH || protocol == Protocol_id::ESP;
        auto sizes = protocol == Protocol_id::IKE ? rc::gen::just<std::uint8_t>(0)
                     : ipsec                      ? rc::gen::just<std::uint8_t>(4)
                                                  : rc::gen::element<std::uint8_t>(0, 4, 8);
        return rc::gen::mapcat(sizes, [protocol](std::uint8_t size) {
            return rc::gen::build<Payload_D>(
                rc::gen::set(&Payload_D::protocol, rc::gen::just(protocol)),
                rc::gen::set(&Payload_D::spi_size, rc::gen::just(size)),
                rc::gen::set(&Payload_D::spis,
                             size == 0 ? rc::gen::just(std::vector<Bytes>{})
                                       : rc::gen::resize(6, rc::gen::container<std::vector<Bytes>>(bytes(size, size)))));
        });
    });
}

inline rc::Gen<Payload_CERT> cert() {
    return rc::gen::build<Payload_CERT>(
        rc::gen::set(&Payload_CERT::encoding, enum_value<Cert_encoding, std::uint8_t>()),
        rc::gen::set(&Payload_CERT::data, bytes(0, 80)));
}

/// X.509 encodings (4, 12, 13) carry 1..4 hashes of 20 octets; others a raw authority field.
inline rc::Gen<Payload_CERTREQ> certreq() {
    return rc::gen::mapcat(enum_value<Cert_encoding, std::uint8_t>(), [](Cert_encoding e) {
        const auto v = static_cast<unsigned>(e);
        const bool x509 = v == 4 || v == 12 || v == 13;
        return rc::gen::build<Payload_CERTREQ>(
            rc::gen::set(&Payload_CERTREQ::encoding, rc::gen::just(e)),
            rc::gen::set(&Payload_CERTREQ::ca_hashes,
                         x509 ? rc::gen::mapcat(rc::gen::inRange<std::size_t>(1, 5),
                                                [](std::size_t n) {
                                                    return rc::gen::container<std::vector<Bytes>>(
                                                        n, bytes(20, 20));
                                                })
                              : rc::gen::just(std::vector<Bytes>{})),
            rc::gen::set(&Payload_CERTREQ::authority, x509 ? rc::gen::just(Bytes{}) : bytes(0, 30)));
    });
}

/// Attribute types with free lengths (7 APPLICATION_VERSION, unassigned ones) or a value of a
/// length the §3.15.1 table allows.
inline rc::Gen<Cfg_attribute> cfg_attribute() {
    return rc::gen::oneOf(
        rc::gen::build<Cfg_attribute>(
            rc::gen::set(&Cfg_attribute::type, rc::gen::element<std::uint16_t>(7, 16, 100, 0x7fff)),
            rc::gen::set(&Cfg_attribute::value, bytes(0, 20))),
        rc::gen::mapcat(rc::gen::elementOf(std::vector<std::pair<std::uint16_t, std::size_t>>{
                            {1, 0}, {1, 4}, {2, 4}, {3, 4}, {4, 0}, {6, 4}, {8, 17}, {8, 0}, {10, 16},
                            {12, 16}, {13, 8}, {14, 6}, {15, 17}}),
                        [](std::pair<std::uint16_t, std::size_t> t) {
                            return rc::gen::build<Cfg_attribute>(
                                rc::gen::set(&Cfg_attribute::type, rc::gen::just(t.first)),
                                rc::gen::set(&Cfg_attribute::value, bytes(t.second, t.second)));
                        }));
}

inline rc::Gen<Payload_CP> cp() {
    return rc::gen::build<Payload_CP>(
        rc::gen::set(&Payload_CP::cfg_type, enum_value<Cfg_type, std::uint8_t>()),
        rc::gen::set(&Payload_CP::attributes,
                     rc::gen::resize(6, rc::gen::container<std::vector<Cfg_attribute>>(cfg_attribute()))));
}

/// Request/Response/Initiate/Finish carry a Type octet, Success/Failure nothing, other codes data.
inline rc::Gen<Payload_EAP> eap() {
    return rc::gen::mapcat(rc::gen::arbitrary<std::uint8_t>(), [](std::uint8_t code) {
        const bool typed = code == 1 || code == 2 || code == 5 || code == 6;
        const bool bare = code == 3 || code == 4;
        return rc::gen::build<Payload_EAP>(
            rc::gen::set(&Payload_EAP::code, rc::gen::just(code)),
            rc::gen::set(&Payload_EAP::identifier, rc::gen::arbitrary<std::uint8_t>()),
            rc::gen::set(&Payload_EAP::type,
                         typed ? rc::gen::map(rc::gen::arbitrary<std::uint8_t>(),
                                              [](std::uint8_t t) { return std::optional<std::uint8_t>(t); })
                               : rc::gen::just(std::optional<std::uint8_t>())),
            rc::gen::set(&Payload_EAP::data, bare ? rc::gen::just(Bytes{}) : bytes(0, 40)));
    });
}

/// A payload other than SK: its type always matches its body.
inline rc::Gen<Payload> plain_payload() {
    using P = Payload_type;
    auto with = [](P t, auto body_gen) {
        return rc::gen::map(rc::gen::pair(body_gen, rc::gen::arbitrary<bool>()),
                            [t](auto p) { return Payload{t, p.second, Payload_body(std::move(p.first))}; });
    };
    return rc::gen::oneOf(
        with(P::SA, sa()),
        with(P::KE, rc::gen::build<Payload_KE>(rc::gen::set(&Payload_KE::group, rc::gen::arbitrary<std::uint16_t>()),
                                                rc::gen::set(&Payload_KE::data, bytes(0, 64)))),
        rc::gen::mapcat(rc::gen::element(P::IDi, P::IDr), [with](P t) {
            return with(t, rc::gen::build<Payload_ID>(
                               rc::gen::set(&Payload_ID::id_type, enum_value<Id_type, std::uint8_t>()),
                               rc::gen::set(&Payload_ID::data, bytes(0, 40))));
        }),
        with(P::AUTH, rc::gen::build<Payload_AUTH>(
                          rc::gen::set(&Payload_AUTH::method, enum_value<Auth_method, std::uint8_t>()),
                          rc::gen::set(&Payload_AUTH::data, bytes(0, 64)))),
        with(P::Nonce, rc::gen::build<Payload_Nonce>(rc::gen::set(&Payload_Nonce::data, bytes(16, 256)))),
        with(P::N, rc::gen::build<Payload_N>(
                       rc::gen::set(&Payload_N::protocol, enum_value<Protocol_id, std::uint8_t>()),
                       rc::gen::set(&Payload_N::spi, bytes(0, 8)),
                       rc::gen::set(&Payload_N::type, rc::gen::arbitrary<std::uint16_t>()),
                       rc::gen::set(&Payload_N::data, bytes(0, 40)))),
        with(P::D, del()),
        with(P::V, rc::gen::build<Payload_V>(rc::gen::set(&Payload_V::data, bytes(0, 32)))),
        rc::gen::mapcat(rc::gen::element(P::TSi, P::TSr), [with](P t) {
            return with(t, rc::gen::build<Payload_TS>(rc::gen::set(
                               &Payload_TS::selectors,
                               rc::gen::resize(4, rc::gen::container<std::vector<Traffic_selector>>(selector())))));
        }),
        with(P::CERT, cert()),
        with(P::CERTREQ, certreq()),
        with(P::CP, cp()),
        with(P::EAP, eap()),
        // Unassigned and not-decoded types are carried as Payload_unknown.
        rc::gen::mapcat(rc::gen::suchThat(rc::gen::inRange<unsigned>(1, 256),
                                          [](unsigned v) { return (v < 33 || v > 48) && v != 53; }),
                        [with](unsigned v) {
                            return with(static_cast<P>(v), rc::gen::build<Payload_unknown>(
                                                               rc::gen::set(&Payload_unknown::body, bytes(0, 40))));
                        }));
}

/// An SK payload, or (one time in four) an SKF payload (RFC 7383 §2.5): both end a chain.
inline rc::Gen<Payload> sk_payload() {
    auto sk = rc::gen::map(
        rc::gen::pair(rc::gen::arbitrary<std::uint8_t>(), bytes(0, 64)), [](std::pair<std::uint8_t, Bytes> p) {
            return Payload{Payload_type::SK, false, Payload_SK{static_cast<Payload_type>(p.first), std::move(p.second)}};
        });
    auto skf = rc::gen::map(
        rc::gen::tuple(rc::gen::arbitrary<std::uint8_t>(), rc::gen::inRange<std::uint16_t>(1, 0xffff),
                       rc::gen::arbitrary<std::uint16_t>(), bytes(0, 64)),
        [](std::tuple<std::uint8_t, std::uint16_t, std::uint16_t, Bytes> t) {
            Payload_SKF f;
            f.first_inner = static_cast<Payload_type>(std::get<0>(t));
            f.total_fragments = std::get<1>(t);
            f.fragment_number = static_cast<std::uint16_t>(1 + std::get<2>(t) % f.total_fragments);
            f.body = std::move(std::get<3>(t));
            return Payload{Payload_type::SKF, false, Payload_body(std::move(f))};
        });
    return rc::gen::weightedOneOf<Payload>({{3, sk}, {1, skf}});
}

inline rc::Gen<Header> header() {
    return rc::gen::build<Header>(
        rc::gen::set(&Header::SPIi, rc::gen::arbitrary<std::uint64_t>()),
        rc::gen::set(&Header::SPIr, rc::gen::arbitrary<std::uint64_t>()),
        rc::gen::set(&Header::major_version, rc::gen::just<std::uint8_t>(2)),
        rc::gen::set(&Header::minor_version, rc::gen::inRange<std::uint8_t>(0, 16)),
        rc::gen::set(&Header::exchange, enum_value<Exchange_type, std::uint8_t>()),
        rc::gen::set(&Header::flags, rc::gen::arbitrary<std::uint8_t>()),
        rc::gen::set(&Header::message_id, rc::gen::arbitrary<std::uint32_t>()));
}

/// A message of 0..8 plaintext payloads, optionally ending with one SK payload (§3.14).
inline rc::Gen<Message> message() {
    return rc::gen::map(
        rc::gen::tuple(header(), rc::gen::resize(8, rc::gen::container<std::vector<Payload>>(plain_payload())),
                       optional_of(sk_payload())),
        [](std::tuple<Header, std::vector<Payload>, std::optional<Payload>> t) {
            Message m;
            m.header = std::get<0>(t);
            m.payloads = std::move(std::get<1>(t));
            if (std::get<2>(t)) m.payloads.push_back(std::move(*std::get<2>(t)));
            return m;
        });
}

}  // namespace ike::test::gen_ike
