// CREATE_CHILD_SA on two in-memory Endpoints: new CHILD SAs (RFC 7296 §1.3.1), CHILD SA rekey
// (§1.3.3) with and without PFS, IKE SA rekey (§1.3.2, §2.18), CHILD SA delete (§1.4.1),
// INVALID_KE_PAYLOAD retry and CHILD_SA_NOT_FOUND (§2.25). A proposal offering a D-H group or
// NONE to a responder without PFS is answered with KE NONE (§2.7), KEi ignored, no KEr (§3.3.6).
// Requirements: 7296-2.7-s4, 7296-3.3.6-s11.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/peer_pair.hpp"

namespace ike::test {
namespace {

Peer_pair established(const std::string& esp_a = "aes256gcm16", const std::string& esp_b = "aes256gcm16") {
    Peer_pair p(make_config(true, "aes256gcm16-prfsha256-x25519", esp_a),
                make_config(false, "aes256gcm16-prfsha256-x25519", esp_b));
    p.initiate();
    p.run();
    EXPECT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    EXPECT_TRUE(p.b.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    return p;
}

void request(Peer_pair& p, bool on_a, Input in) {
    Side& s = on_a ? p.a : p.b;
    p.absorb(s, on_a, s.ep->handle(std::move(in)));
}

/// The CHILD SA installed on `s` with inbound SPI `spi_in`.
const Child_sa* installed(const Side& s, std::uint32_t spi_in) {
    for (const auto& c : s.installed) {
        if (c.spi_in == spi_in) return &c;
    }
    return nullptr;
}

/// Every CHILD SA currently listed on a has its mirror on b with the same keys.
void expect_children_mirror(const Peer_pair& p, std::size_t count) {
    const auto la = p.a.ep->list();
    const auto lb = p.b.ep->list();
    ASSERT_EQ(la.size(), 1u) << p.transcript();
    ASSERT_EQ(lb.size(), 1u) << p.transcript();
    ASSERT_EQ(la[0].children.size(), count) << p.transcript();
    ASSERT_EQ(lb[0].children.size(), count) << p.transcript();
    for (const auto& ca : la[0].children) {
        const auto it = std::find_if(lb[0].children.begin(), lb[0].children.end(),
                                     [&](const Ike_sa_info::Child& cb) { return cb.spi_in == ca.spi_out; });
        ASSERT_NE(it, lb[0].children.end());
        EXPECT_EQ(it->spi_out, ca.spi_in);
        const Child_sa* ka = installed(p.a, ca.spi_in);
        const Child_sa* kb = installed(p.b, it->spi_in);
        ASSERT_TRUE(ka && kb);
        EXPECT_EQ(ka->encr_key_out.hex(), kb->encr_key_in.hex());
        EXPECT_EQ(ka->encr_key_in.hex(), kb->encr_key_out.hex());
        EXPECT_EQ(ka->integ_key_out.hex(), kb->integ_key_in.hex());
    }
}

TEST(CREATE_CHILD_SA, creates_a_second_CHILD_SA_with_its_own_keys) {
    auto p = established();
    request(p, true, Create_CHILD_SA{"home", "net", p.now});
    p.run();
    expect_children_mirror(p, 2);
    ASSERT_EQ(p.a.installed.size(), 2u);
    EXPECT_NE(p.a.installed[0].encr_key_in.hex(), p.a.installed[1].encr_key_in.hex());  // new Ni, Nr (§2.17)
    const auto& t = p.a.traces;
    EXPECT_TRUE(std::any_of(t.begin(), t.end(), [](const Message_trace& m) {
        return m.sent && m.notation == "CREATE_CHILD_SA request #2 { SK { SA, Ni, TSi, TSr } }";
    })) << p.transcript();
}

TEST(CREATE_CHILD_SA, responder_can_create_a_CHILD_SA_too) {
    auto p = established();
    request(p, false, Create_CHILD_SA{"home", "net", p.now});
    p.run();
    expect_children_mirror(p, 2);
}

TEST(CREATE_CHILD_SA, rekeys_a_CHILD_SA_and_the_requester_deletes_the_old_one) {
    auto p = established();
    const std::uint32_t old_in = p.a.ep->list()[0].children[0].spi_in;
    request(p, true, Rekey_CHILD_SA{"home", 0, p.now});
    p.run();
    expect_children_mirror(p, 1);
    const auto la = p.a.ep->list();
    EXPECT_NE(la[0].children[0].spi_in, old_in);
    const auto& t = p.a.traces;
    EXPECT_TRUE(std::any_of(t.begin(), t.end(), [](const Message_trace& m) {
        return m.sent && m.notation == "CREATE_CHILD_SA request #2 { SK { N(REKEY_SA), SA, Ni, TSi, TSr } }";
    })) << p.transcript();
    EXPECT_TRUE(std::any_of(t.begin(), t.end(), [](const Message_trace& m) {
        return m.sent && m.notation == "INFORMATIONAL request #3 { SK { D } }";
    })) << p.transcript();
    EXPECT_TRUE(p.b.has_event(Sa_event_kind::CHILD_SA_deleted));
}

TEST(CREATE_CHILD_SA, rekeys_a_CHILD_SA_with_PFS) {
    auto p = established("aes256gcm16-x25519", "aes256gcm16-x25519");
    request(p, false, Rekey_CHILD_SA{"home", 0, p.now});
    p.run();
    expect_children_mirror(p, 1);
    const auto& t = p.b.traces;
    EXPECT_TRUE(std::any_of(t.begin(), t.end(), [](const Message_trace& m) {
        return m.sent && m.notation.find("CREATE_CHILD_SA request #0 { SK { N(REKEY_SA), SA, Ni, KE, TSi, TSr } }") == 0;
    })) << p.transcript();
}

TEST(CREATE_CHILD_SA, PFS_group_in_the_ESP_config_is_left_out_of_IKE_AUTH_on_either_side) {
    // RFC 7296 §1.2: IKE_AUTH SA payloads carry no D-H transform; the group applies to rekeys.
    for (const bool pfs_on_a : {true, false}) {
        auto p = established(pfs_on_a ? "aes256gcm16-x25519" : "aes256gcm16", pfs_on_a ? "aes256gcm16" : "aes256gcm16-x25519");
        expect_children_mirror(p, 1);
        EXPECT_EQ(p.a.ep->list()[0].children[0].proposal, "aes256gcm16") << p.transcript();
    }
    auto p = established("aes256gcm16-x25519", "aes256gcm16-x25519");
    expect_children_mirror(p, 1);
    request(p, true, Rekey_CHILD_SA{"home", 0, p.now});
    p.run();
    expect_children_mirror(p, 1);
    EXPECT_EQ(p.a.ep->list()[0].children[0].proposal, "aes256gcm16-x25519") << p.transcript();
}

// RFC 7296 §2.7: "The accepted cryptographic suite MUST contain exactly one transform of each
// type included in the proposal"; §3.3.6: "If one of the proposals offered is for the
// Diffie-Hellman group of NONE, and the responder selects that Diffie-Hellman group, then it MUST
// ignore the initiator's KE payload and omit the KE payload from the response." a offers
// Curve25519 or NONE (a Config built by code: the keywords have no KE "none") with a KEi; b has
// no PFS. Before the §2.7 fix b's answer left KE out and a refused it (7296-2.7-response-proposal).
TEST(CREATE_CHILD_SA, KE_group_or_NONE_to_a_responder_without_PFS_is_answered_NONE_without_KEr) {
    Config a = make_config(true, "aes256gcm16-prfsha256-x25519", "aes256gcm16-x25519");
    Transform none;
    none.type = Transform_type::KE;
    none.id = 0;
    a.connections[0].children[0].esp_proposals[0].transforms.push_back(none);
    Peer_pair p(std::move(a), make_config(false, "aes256gcm16-prfsha256-x25519", "aes256gcm16"));
    p.initiate();
    p.run();
    ASSERT_TRUE(p.a.has_event(Sa_event_kind::IKE_SA_established)) << p.transcript();
    expect_children_mirror(p, 1);
    const std::uint32_t old_in = p.a.ep->list()[0].children[0].spi_in;
    request(p, true, Rekey_CHILD_SA{"home", 0, p.now});
    p.run();
    expect_children_mirror(p, 1);
    EXPECT_NE(p.a.ep->list()[0].children[0].spi_in, old_in) << p.transcript();
    EXPECT_FALSE(p.a.has_diagnostic("7296-2.7-response-proposal")) << p.transcript();
    // Listed as strongSwan prints a suite without PFS: KE NONE has no keyword.
    EXPECT_EQ(p.a.ep->list()[0].children[0].proposal, "aes256gcm16");
    const auto& ta = p.a.traces;
    EXPECT_TRUE(std::any_of(ta.begin(), ta.end(), [](const Message_trace& m) {
        return m.sent && m.notation == "CREATE_CHILD_SA request #2 { SK { N(REKEY_SA), SA, Ni, KE, TSi, TSr } }";
    })) << p.transcript();
    const auto& tb = p.b.traces;
    EXPECT_TRUE(std::any_of(tb.begin(), tb.end(), [](const Message_trace& m) {
        return m.sent && m.notation == "CREATE_CHILD_SA response #2 { SK { SA, Nr, TSi, TSr } }";
    })) << p.transcript();
    // The new CHILD SA's suite holds one KE transform, NONE, on both ends.
    for (const Side* side : {&p.a, &p.b}) {
        const Proposal& chosen = side->installed.back().proposal;
        const auto kes = std::count_if(chosen.transforms.begin(), chosen.transforms.end(),
                                       [](const Transform& t) { return t.type == Transform_type::KE; });
        EXPECT_EQ(kes, 1);
        const auto ke = std::find_if(chosen.transforms.begin(), chosen.transforms.end(),
                                     [](const Transform& t) { return t.type == Transform_type::KE; });
        ASSERT_NE(ke, chosen.transforms.end());
        EXPECT_EQ(ke->id, 0);
    }
}

TEST(CREATE_CHILD_SA, INVALID_KE_PAYLOAD_in_a_CHILD_SA_rekey_is_retried_in_the_named_group) {
    auto p = established("aes256gcm16-x25519-ecp256", "aes256gcm16-ecp256");
    request(p, true, Rekey_CHILD_SA{"home", 0, p.now});
    p.run();
    EXPECT_TRUE(p.b.has_diagnostic("7296-1.3-invalid-ke-payload")) << p.transcript();
    EXPECT_TRUE(p.a.has_diagnostic("7296-1.3-invalid-ke-retry")) << p.transcript();
    expect_children_mirror(p, 1);
}

TEST(CREATE_CHILD_SA, rekeys_the_IKE_SA_and_moves_the_CHILD_SAs) {
    auto p = established();
    const auto before = p.a.ep->list()[0];
    request(p, true, Rekey_IKE_SA{"home", p.now});
    p.run();
    const auto la = p.a.ep->list();
    const auto lb = p.b.ep->list();
    ASSERT_EQ(la.size(), 1u) << p.transcript();
    ASSERT_EQ(lb.size(), 1u) << p.transcript();
    EXPECT_NE(la[0].SPIi, before.SPIi);
    EXPECT_EQ(la[0].SPIi, lb[0].SPIi);
    EXPECT_EQ(la[0].SPIr, lb[0].SPIr);
    EXPECT_EQ(la[0].state, "Established");
    ASSERT_EQ(la[0].children.size(), 1u);
    EXPECT_EQ(la[0].children[0].spi_in, before.children[0].spi_in);  // the CHILD SA moved, unchanged
    ASSERT_EQ(p.a.keys.size(), 2u);
    ASSERT_EQ(p.b.keys.size(), 2u);
    EXPECT_EQ(p.a.keys[1].SK_d.hex(), p.b.keys[1].SK_d.hex());
    EXPECT_EQ(p.a.keys[1].SK_ei.hex(), p.b.keys[1].SK_ei.hex());
    EXPECT_NE(p.a.keys[1].SK_d.hex(), p.a.keys[0].SK_d.hex());
    // The new IKE SA works: a CHILD SA created on it has matching keys, Message IDs from 0.
    request(p, true, Create_CHILD_SA{"home", "net", p.now});
    p.run();
    expect_children_mirror(p, 2);
    const auto& t = p.a.traces;
    EXPECT_TRUE(std::any_of(t.begin(), t.end(), [](const Message_trace& m) {
        return m.sent && m.notation == "CREATE_CHILD_SA request #0 { SK { SA, Ni, TSi, TSr } }";
    })) << p.transcript();
}

TEST(CREATE_CHILD_SA, original_responder_rekeys_the_IKE_SA) {
    auto p = established();
    request(p, false, Rekey_IKE_SA{"home", p.now});
    p.run();
    const auto la = p.a.ep->list();
    const auto lb = p.b.ep->list();
    ASSERT_EQ(la.size(), 1u) << p.transcript();
    ASSERT_EQ(lb.size(), 1u) << p.transcript();
    EXPECT_TRUE(lb[0].original_initiator);  // the rekey's requester is the new SA's original initiator
    EXPECT_FALSE(la[0].original_initiator);
    EXPECT_EQ(p.a.keys.back().SK_er.hex(), p.b.keys.back().SK_er.hex());
    request(p, true, Delete_CHILD_SA{"home", 0, p.now});
    p.run();
    expect_children_mirror(p, 0);
}

TEST(CREATE_CHILD_SA, deletes_one_CHILD_SA_and_keeps_the_IKE_SA) {
    auto p = established();
    request(p, true, Create_CHILD_SA{"home", "net", p.now});
    p.run();
    const std::uint32_t first = p.a.ep->list()[0].children[0].spi_in;
    request(p, true, Delete_CHILD_SA{"home", first, p.now});
    p.run();
    expect_children_mirror(p, 1);
    EXPECT_NE(p.a.ep->list()[0].children[0].spi_in, first);
}

TEST(CREATE_CHILD_SA, rekey_of_a_CHILD_SA_the_peer_already_deleted_gets_CHILD_SA_NOT_FOUND) {
    auto p = established();
    request(p, false, Delete_CHILD_SA{"home", 0, p.now});  // b -> a: D(ESP)
    request(p, true, Rekey_CHILD_SA{"home", 0, p.now});    // a -> b: N(REKEY_SA) for the same SA
    ASSERT_EQ(p.wire.size(), 2u);
    ASSERT_TRUE(p.deliver_one());  // a answers the Delete and drops the CHILD SA
    ASSERT_EQ(p.wire.size(), 2u);  // a's rekey request, then a's Delete response
    std::swap(p.wire[0], p.wire[1]);
    ASSERT_TRUE(p.deliver_one());  // b gets the Delete response: the CHILD SA is gone on b
    ASSERT_TRUE(p.deliver_one());  // ... then the rekey request
    p.run();
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.25-child-sa-not-found")) << p.transcript();
    const auto& t = p.b.traces;
    EXPECT_TRUE(std::any_of(t.begin(), t.end(), [](const Message_trace& m) {
        return m.sent && m.notation == "CREATE_CHILD_SA response #2 { SK { N(CHILD_SA_NOT_FOUND) } }";
    })) << p.transcript();
    // §2.21.3: the refusal ends the exchange, not the IKE SA.
    ASSERT_EQ(p.a.ep->list().size(), 1u);
    EXPECT_EQ(p.a.ep->list()[0].state, "Established");
    expect_children_mirror(p, 0);
}

TEST(CREATE_CHILD_SA, retransmitted_request_gets_the_cached_response) {
    auto p = established();
    int b_sent = 0;
    p.filter = [&](const In_flight& f) { return f.to_b || ++b_sent != 1; };  // lose the first response
    request(p, true, Create_CHILD_SA{"home", "net", p.now});
    p.run();
    expect_children_mirror(p, 2);
    EXPECT_TRUE(p.b.has_diagnostic("7296-2.1-retransmit-response")) << p.transcript();
}

}  // namespace
}  // namespace ike::test
