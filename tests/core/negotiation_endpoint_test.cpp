// src/core/negotiation.cpp seen from two Endpoints on the in-memory wire: the Key Length rule of
// RFC 7296 §3.3.5 (a longer key of the configured cipher is accepted, a shorter one refused) and
// selectors of an unknown TS Type, which the responder ignores (§2.9); ports on a protocol
// without ports (§3.13.1) are never answered.
// An IKE_SA_INIT request whose proposal carries an SPI is answered without one (§3.3.1). A KE NONE
// in the peer's IKE_AUTH ESP proposal is answered (§2.7: one transform of each type offered).
// Requirements: 7296-3.13.1-s1, 7296-3.13.1-s2, 7296-3.3.1-s4, 7296-2.7-s4.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <tuple>

#include "src/codec/codec.hpp"
#include "src/core/authentication.hpp"
#include "tests/support/protect.hpp"
#include "tests/support/peer_pair.hpp"
#include "tests/support/sa_checks.hpp"

namespace ike::test {
namespace {

const Transform* encr_of(const Proposal& p) {
    for (const auto& t : p.transforms) {
        if (t.type == Transform_type::ENCR) return &t;
    }
    return nullptr;
}

// ---- §3.3.5 Key Length ----------------------------------------------------------------------

// RFC 7296 §3.3.5 [7296-3.3.5-s6]: "if a peer is configured to accept a variable-length cipher
// with a key length of X bits and is offered that cipher with a larger key length, the
// implementation SHOULD accept the offer if it supports use of the longer key."
TEST(Key_length, AES_CBC_256_offered_to_a_responder_configured_for_128_is_accepted) {
    Peer_pair p(make_config(true, "aes256-sha256-x25519", "aes256-sha256"),
                make_config(false, "aes128-sha256-x25519", "aes128-sha256"));
    p.initiate();
    p.run();
    ASSERT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    ASSERT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_TRUE(p.b.ep->refusals().empty());

    // Both ends use AES-CBC with the offered 256-bit key: SK_ei/SK_er are 32 octets (RFC 3602)
    // and identical on both sides (§2.14).
    ASSERT_EQ(p.a.keys.size(), 1u);
    ASSERT_EQ(p.b.keys.size(), 1u);
    const Keys_derived& ka = p.a.keys[0];
    const Keys_derived& kb = p.b.keys[0];
    for (const Proposal* chosen : {&ka.proposal, &kb.proposal}) {
        const Transform* e = encr_of(*chosen);
        ASSERT_NE(e, nullptr);
        EXPECT_EQ(e->id, 12);  // ENCR_AES_CBC
        EXPECT_EQ(e->key_length, 256);
    }
    EXPECT_EQ(ka.SK_ei.size(), 32u);
    EXPECT_EQ(ka.SK_er.size(), 32u);
    EXPECT_EQ(ka.SK_ei.hex(), kb.SK_ei.hex());
    EXPECT_EQ(ka.SK_er.hex(), kb.SK_er.hex());
    EXPECT_EQ(ka.SK_ai.hex(), kb.SK_ai.hex());
    EXPECT_EQ(ka.SK_d.hex(), kb.SK_d.hex());

    // The CHILD SA, negotiated inside IKE_AUTH, takes AES-CBC/256 too: 32-octet keys, mirrored.
    ASSERT_EQ(p.a.installed.size(), 1u);
    ASSERT_EQ(p.b.installed.size(), 1u);
    const Child_sa& ca = p.a.installed[0];
    const Child_sa& cb = p.b.installed[0];
    ASSERT_NE(encr_of(cb.proposal), nullptr);
    EXPECT_EQ(encr_of(cb.proposal)->key_length, 256);
    EXPECT_EQ(encr_of(ca.proposal)->key_length, 256);
    EXPECT_EQ(ca.encr_key_out.size(), 32u);
    EXPECT_EQ(ca.encr_key_out.hex(), cb.encr_key_in.hex());
    EXPECT_EQ(ca.encr_key_in.hex(), cb.encr_key_out.hex());
}

TEST(Key_length, AES_GCM_256_offered_to_a_responder_configured_for_128_is_accepted) {
    Peer_pair p(make_config(true, "aes256gcm16-prfsha256-x25519", "aes256gcm16"),
                make_config(false, "aes128gcm16-prfsha256-x25519", "aes128gcm16"));
    p.initiate();
    p.run();
    ASSERT_TRUE(p.b.has_event(Sa_event_kind::CHILD_SA_installed)) << p.transcript();
    ASSERT_TRUE(p.a.has_event(Sa_event_kind::CHILD_SA_installed)) << p.transcript();
    ASSERT_EQ(p.a.keys.size(), 1u);
    ASSERT_EQ(p.b.keys.size(), 1u);
    EXPECT_EQ(encr_of(p.b.keys[0].proposal)->key_length, 256);
    // RFC 5282 §7.1: SK_ei is the 32-octet AES key plus a 4-octet salt.
    EXPECT_EQ(p.a.keys[0].SK_ei.size(), 36u);
    EXPECT_EQ(p.a.keys[0].SK_ei.hex(), p.b.keys[0].SK_ei.hex());
    EXPECT_EQ(p.a.keys[0].SK_er.hex(), p.b.keys[0].SK_er.hex());
    // RFC 4106 §8.1: ESP's KEYMAT per direction is 36 octets for a 256-bit key.
    ASSERT_EQ(p.b.installed.size(), 1u);
    EXPECT_EQ(encr_of(p.b.installed[0].proposal)->key_length, 256);
    EXPECT_EQ(p.b.installed[0].encr_key_in.size(), 36u);
    EXPECT_EQ(p.a.installed[0].encr_key_out.hex(), p.b.installed[0].encr_key_in.hex());
}

TEST(Key_length, AES_CBC_128_offered_to_a_responder_configured_for_256_is_refused) {
    Peer_pair p(make_config(true, "aes128-sha256-x25519"), make_config(false, "aes256-sha256-x25519"));
    p.initiate();
    p.run();
    ASSERT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_failed)) << p.transcript();
    const auto refusals = p.b.ep->refusals();
    ASSERT_EQ(refusals.size(), 1u);
    EXPECT_EQ(refusals[0].exchange, Exchange_type::IKE_SA_INIT);
    EXPECT_EQ(refusals[0].notify, Notify_type::NO_PROPOSAL_CHOSEN);
    ASSERT_EQ(refusals[0].proposals.size(), 1u);
    ASSERT_EQ(refusals[0].proposals[0].types.size(), 1u) << "only ENCR differs";
    const auto* encr = failed(refusals[0], "ENCR");
    ASSERT_NE(encr, nullptr);
    EXPECT_TRUE(contains(encr->offered, "ENCR_AES_CBC/128"));
    EXPECT_TRUE(contains(encr->configured, "ENCR_AES_CBC/256"));
}

TEST(Key_length, AES_GCM_128_offered_to_a_responder_configured_for_256_is_refused) {
    Peer_pair p(make_config(true, "aes128gcm16-prfsha256-x25519"), make_config(false, "aes256gcm16-prfsha256-x25519"));
    p.initiate();
    p.run();
    ASSERT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_failed)) << p.transcript();
    const auto refusals = p.b.ep->refusals();
    ASSERT_EQ(refusals.size(), 1u);
    const auto* encr = failed(refusals[0], "ENCR");
    ASSERT_NE(encr, nullptr);
    EXPECT_TRUE(contains(encr->offered, "ENCR_AES_GCM_16/128"));
    EXPECT_TRUE(contains(encr->configured, "ENCR_AES_GCM_16/256"));
}

// ---- §2.9 unknown TS Type -------------------------------------------------------------------

// A selector of TS Type 200 (unassigned) in the initiator's local_ts: ikeref never proposes one
// from a real configuration, but the codec encodes what it decoded, so the test uses it to put
// an unknown TS Type into TSi on the wire.
Traffic_selector unknown_type() {
    Traffic_selector t;
    t.ts_type = static_cast<Ts_type>(200);
    t.unknown_body = {0, 0, 0xff, 0xff, 10, 1, 0, 0, 10, 1, 0, 255};
    return t;
}

// RFC 7296 §2.9: "If the type of Traffic Selector proposed is unknown, the responder ignores
// that Traffic Selector, so that the unknown type is not returned in the narrowed set."
TEST(Unknown_TS_type, is_ignored_beside_a_known_selector_and_not_returned) {
    Config a = make_config(true);
    auto& local = a.connections[0].children[0].local_ts;
    local.insert(local.begin(), unknown_type());
    Peer_pair p(std::move(a), make_config(false));
    p.initiate();
    p.run();
    ASSERT_TRUE(p.b.has_event(Sa_event_kind::CHILD_SA_installed)) << p.transcript();
    ASSERT_TRUE(p.a.has_event(Sa_event_kind::CHILD_SA_installed)) << p.transcript();
    EXPECT_TRUE(p.b.ep->refusals().empty());
    ASSERT_EQ(p.b.installed.size(), 1u);
    ASSERT_EQ(p.b.installed[0].remote_ts.size(), 1u);
    EXPECT_EQ(p.b.installed[0].remote_ts[0].ts_type, Ts_type::TS_IPV4_ADDR_RANGE);
    EXPECT_EQ(p.b.installed[0].remote_ts[0].start_address, (Bytes{10, 1, 0, 0}));
    ASSERT_EQ(p.a.installed.size(), 1u);
    ASSERT_EQ(p.a.installed[0].local_ts.size(), 1u) << "the responder returned the known selector only";
    EXPECT_EQ(p.a.installed[0].local_ts[0].ts_type, Ts_type::TS_IPV4_ADDR_RANGE);
}

TEST(Unknown_TS_type, alone_in_TSi_gives_TS_UNACCEPTABLE_naming_it) {
    Config a = make_config(true);
    a.connections[0].children[0].local_ts = {unknown_type()};
    Peer_pair p(std::move(a), make_config(false));
    p.initiate();
    p.run();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << "§1.2: the IKE SA survives";
    EXPECT_TRUE(p.b.installed.empty());
    const auto refusals = p.b.ep->refusals();
    ASSERT_EQ(refusals.size(), 1u);
    const Refusal& r = refusals[0];
    EXPECT_EQ(r.exchange, Exchange_type::IKE_AUTH);
    EXPECT_EQ(r.notify, Notify_type::TS_UNACCEPTABLE);
    EXPECT_EQ(r.rule, "7296-2.9-ts-unacceptable");
    ASSERT_EQ(r.selectors.size(), 1u);
    EXPECT_TRUE(r.selectors[0].TSi_empty);
    EXPECT_FALSE(r.selectors[0].TSr_empty);
    ASSERT_EQ(r.selectors[0].TSi.size(), 1u);
    EXPECT_EQ(static_cast<int>(r.selectors[0].TSi[0].ts_type), 200);
    EXPECT_NE(r.text.find("TS Type 200"), std::string::npos) << r.text;
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.9-ts-unacceptable"));
}

// ---- §3.13.1 ports of protocols without ports -------------------------------------------------

// RFC 7296 §3.13.1: for protocol 0 Start Port "MUST be zero" and End Port "MUST be 65535". An
// initiator (a Config built by code; the TOML loader refuses it) that proposes protocol 0 with
// port 80 gets TS_UNACCEPTABLE: the responder neither narrows to 0/80-80 nor widens the offer.
TEST(Portless_protocol, TSi_with_ports_on_protocol_0_gives_TS_UNACCEPTABLE_naming_the_rule) {
    Config a = make_config(true);
    auto& ts = a.connections[0].children[0].local_ts.at(0);
    ts.start_port = 80;
    ts.end_port = 80;
    Peer_pair p(std::move(a), make_config(false));
    p.initiate();
    p.run();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << "§1.2: the IKE SA survives";
    EXPECT_TRUE(p.b.installed.empty()) << p.transcript();
    EXPECT_TRUE(p.a.installed.empty()) << p.transcript();
    const auto refusals = p.b.ep->refusals();
    ASSERT_EQ(refusals.size(), 1u) << p.transcript();
    EXPECT_EQ(refusals[0].notify, Notify_type::TS_UNACCEPTABLE);
    ASSERT_EQ(refusals[0].selectors.size(), 1u);
    EXPECT_TRUE(refusals[0].selectors[0].TSi_empty);
    EXPECT_FALSE(refusals[0].selectors[0].TSr_empty);
    EXPECT_NE(refusals[0].text.find("[0/80-80] (ports on a protocol without ports, §3.13.1"), std::string::npos)
        << refusals[0].text;
}

// GRE (47) proposed with all ports to a responder configured for any protocol: installed with
// protocol 47 and ports 0..65535 on both ends.
TEST(Portless_protocol, GRE_is_narrowed_with_ports_0_to_65535) {
    Config a = make_config(true);
    a.connections[0].children[0].local_ts.at(0).ip_protocol = 47;
    Peer_pair p(std::move(a), make_config(false));
    p.initiate();
    p.run();
    ASSERT_EQ(p.b.installed.size(), 1u) << p.transcript();
    ASSERT_EQ(p.b.installed[0].remote_ts.size(), 1u);
    EXPECT_EQ(p.b.installed[0].remote_ts[0].ip_protocol, 47);
    EXPECT_EQ(p.b.installed[0].remote_ts[0].start_port, 0);
    EXPECT_EQ(p.b.installed[0].remote_ts[0].end_port, 65535);
    ASSERT_EQ(p.a.installed.size(), 1u) << p.transcript();
}

// ---- §3.3.1 SPI Size in IKE_SA_INIT -------------------------------------------------------------

/// The IKE_SA_INIT response b sends to a's first request after `edit` changed that request.
std::optional<Message> IKE_SA_INIT_response_to(const std::function<void(Payload_SA&)>& edit) {
    Peer_pair p(make_config(true), make_config(false));
    p.initiate();
    if (p.wire.size() != 1) return std::nullopt;
    auto request = codec::decode_message(p.wire.front().d.bytes);
    p.wire.clear();
    if (!codec::ok(request)) return std::nullopt;
    Message m = codec::value(request);
    for (auto& pl : m.payloads)
        if (auto* sa = std::get_if<Payload_SA>(&pl.body)) edit(*sa);
    const Address a_addr{{192, 0, 2, 2}, 500}, b_addr{{192, 0, 2, 1}, 500};
    p.absorb(p.b, false, p.b.ep->handle(Datagram_received{b_addr, a_addr, codec::encode_message(m), p.now}));
    if (p.wire.size() != 1) return std::nullopt;
    auto response = codec::decode_message(p.wire.front().d.bytes);
    if (!codec::ok(response)) return std::nullopt;
    return codec::value(response);
}

// RFC 7296 §3.3.1: "SPI Size (1 octet) - For an initial IKE SA negotiation, this field MUST be
// zero; the SPI is obtained from the outer header." The responder takes its SPIs from the header
// and never echoes a proposal SPI (before: select_proposal's copy of the offered SPI was sent).
TEST(IKE_SA_INIT_SPI, a_proposal_SPI_in_the_request_is_not_echoed) {
    const auto r = IKE_SA_INIT_response_to([](Payload_SA& sa) {
        for (auto& prop : sa.proposals) prop.spi = {1, 2, 3, 4, 5, 6, 7, 8};
    });
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->header.is_response());
    EXPECT_NE(r->header.SPIr, 0u);
    const Payload* sa = r->find(Payload_type::SA);
    ASSERT_NE(sa, nullptr) << "answered with a proposal, not refused";
    const auto& proposals = std::get<Payload_SA>(sa->body).proposals;
    ASSERT_EQ(proposals.size(), 1u);
    EXPECT_TRUE(proposals[0].spi.empty()) << "SPI Size " << proposals[0].spi.size();
}

TEST(IKE_SA_INIT_SPI, a_request_without_SPI_is_answered_without_SPI) {
    // Control: the test's decode / re-encode of the request changes nothing by itself.
    const auto r = IKE_SA_INIT_response_to([](Payload_SA&) {});
    ASSERT_TRUE(r.has_value());
    const Payload* sa = r->find(Payload_type::SA);
    ASSERT_NE(sa, nullptr);
    EXPECT_TRUE(std::get<Payload_SA>(sa->body).proposals.at(0).spi.empty());
}

// ---- §2.7 KE NONE offered in IKE_AUTH --------------------------------------------------------

// RFC 7296 §1.2: IKE_AUTH SA payloads "cannot contain Transform Type 4 (Diffie-Hellman group)
// with any value other than NONE"; §2.7: "The accepted cryptographic suite MUST contain exactly
// one transform of each type included in the proposal." ikeref's own offer omits KE (§1.2
// SHOULD), so the initiator's IKE_AUTH request is crafted here with its logged keys: IDi and a
// valid PSK AUTH, and an ESP proposal of AES-GCM-256, No_ESN and KE NONE. Before the fix the
// responder dropped the KE NONE with the PFS groups and answered without any KE transform.
TEST(KE_NONE_in_IKE_AUTH, is_answered_with_KE_NONE) {
    const Config a_config = make_config(true);
    Peer_pair p(a_config, make_config(false));
    p.initiate();
    ASSERT_TRUE(p.deliver_one());  // IKE_SA_INIT request -> b
    ASSERT_TRUE(p.deliver_one());  // IKE_SA_INIT response -> a, which sends IKE_AUTH
    ASSERT_EQ(p.wire.size(), 1u) << p.transcript();
    p.wire.clear();  // a's own IKE_AUTH request is replaced by the crafted one
    ASSERT_EQ(p.a.keys.size(), 1u);
    const Keys_derived& k = p.a.keys[0];
    ASSERT_FALSE(p.a.sent.empty());
    ASSERT_FALSE(p.b.sent.empty());
    auto response = codec::decode_message(p.b.sent[0]);
    ASSERT_TRUE(codec::ok(response));
    const Payload* nr = codec::value(response).find(Payload_type::Nonce);
    ASSERT_NE(nr, nullptr);
    const Bytes Nr = std::get<Payload_Nonce>(nr->body).data;

    auto crypto = make_seeded_botan_provider(3);
    auto prf = crypto->prf(Prf_id::PRF_HMAC_SHA2_256);  // the IKE proposal's PRF
    Message m;
    m.header.SPIi = k.SPIi;
    m.header.SPIr = k.SPIr;
    m.header.exchange = Exchange_type::IKE_AUTH;
    m.header.flags = flag::Initiator;
    m.header.message_id = 1;
    m.was_protected = true;
    m.payloads = core::prove_identity(*prf, a_config, a_config.connections[0], false,
                                      core::Signed_octets_input{p.a.sent[0], Nr, k.SK_pi.view()});
    Proposal esp;
    esp.number = 1;
    esp.protocol = Protocol_id::ESP;
    esp.spi = {0xc0, 0x01, 0x02, 0x03};
    for (auto [type, id, bits] : {std::tuple{Transform_type::ENCR, 20, 256},  // ENCR_AES_GCM_16
                                  std::tuple{Transform_type::ESN, 0, 0}, std::tuple{Transform_type::KE, 0, 0}}) {
        Transform t;
        t.type = type;
        t.id = static_cast<std::uint16_t>(id);
        if (bits) t.key_length = static_cast<std::uint16_t>(bits);
        esp.transforms.push_back(t);
    }
    Payload sa;
    sa.type = Payload_type::SA;
    sa.body = Payload_SA{{esp}};
    m.payloads.push_back(sa);
    const auto& child = a_config.connections[0].children[0];
    Payload tsi, tsr;
    tsi.type = Payload_type::TSi;
    tsi.body = Payload_TS{child.local_ts};
    tsr.type = Payload_type::TSr;
    tsr.body = Payload_TS{child.remote_ts};
    m.payloads.push_back(tsi);
    m.payloads.push_back(tsr);

    const Address a_addr{{192, 0, 2, 2}, 500}, b_addr{{192, 0, 2, 1}, 500};
    p.absorb(p.b, false, p.b.ep->handle(Datagram_received{b_addr, a_addr, protect_as(k, true, m), p.now}));
    ASSERT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    ASSERT_EQ(p.b.installed.size(), 1u) << p.transcript();
    const Proposal& chosen = p.b.installed[0].proposal;
    ASSERT_EQ(std::count_if(chosen.transforms.begin(), chosen.transforms.end(),
                            [](const Transform& t) { return t.type == Transform_type::KE; }),
              1)
        << p.transcript();
    const auto ke = std::find_if(chosen.transforms.begin(), chosen.transforms.end(),
                                 [](const Transform& t) { return t.type == Transform_type::KE; });
    EXPECT_EQ(ke->id, 0);
    // The response on the wire carries it too.
    ASSERT_EQ(p.wire.size(), 1u);
    const auto answer = unprotect_as(k, false, p.wire.front().d.bytes);
    ASSERT_TRUE(answer.has_value());
    const Payload* rsa = answer->find(Payload_type::SA);
    ASSERT_NE(rsa, nullptr) << p.transcript();
    const auto& rp = std::get<Payload_SA>(rsa->body).proposals.at(0);
    EXPECT_EQ(std::count_if(rp.transforms.begin(), rp.transforms.end(),
                            [](const Transform& t) { return t.type == Transform_type::KE && t.id == 0; }),
              1);
}

}  // namespace
}  // namespace ike::test
