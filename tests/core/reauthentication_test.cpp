// Reauthentication, make-before-break (RFC 7296 §2.8.3): a new IKE SA with new IKE_SA_INIT and
// IKE_AUTH exchanges (new SKEYSEED, new authentication), every CHILD SA made again on it, and only
// then the old IKE SA deleted; by command and by `reauth_time`.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/peer_pair.hpp"

namespace ike::test {
namespace {

std::size_t count_events(const Side& s, Sa_event_kind k) {
    return static_cast<std::size_t>(
        std::count_if(s.events.begin(), s.events.end(), [k](const Sa_event& e) { return e.kind == k; }));
}

/// Index in `side.traces` of the first trace containing `what`, or npos.
std::size_t first_trace(const Side& side, const std::string& what, std::size_t from = 0) {
    for (std::size_t i = from; i < side.traces.size(); ++i) {
        if (side.traces[i].notation.find(what) != std::string::npos) return i;
    }
    return std::string::npos;
}

TEST(Reauthentication, new_IKE_SA_with_both_CHILD_SAs_before_the_old_one_is_deleted) {
    Peer_pair pair(make_config(true), make_config(false));
    pair.initiate();
    pair.run();
    pair.absorb(pair.a, true, pair.a.ep->handle(Create_CHILD_SA{"home", "net", pair.now}));
    pair.run();
    ASSERT_EQ(pair.a.ep->list().at(0).children.size(), 2u);
    const auto old_sa = pair.a.ep->list().at(0);
    const std::size_t traces_before = pair.a.traces.size();
    const std::size_t keys_before = pair.a.keys.size();

    pair.absorb(pair.a, true, pair.a.ep->handle(Reauthenticate{"home", pair.now}));
    pair.run();

    const auto la = pair.a.ep->list();
    const auto lb = pair.b.ep->list();
    ASSERT_EQ(la.size(), 1u);
    ASSERT_EQ(lb.size(), 1u);
    EXPECT_NE(la[0].SPIi, old_sa.SPIi) << "a new IKE SA, not a rekey of the old";
    EXPECT_EQ(la[0].SPIi, lb[0].SPIi);
    EXPECT_EQ(la[0].state, "Established");
    EXPECT_EQ(la[0].children.size(), 2u) << "both CHILD SAs made again";
    EXPECT_EQ(lb[0].children.size(), 2u);
    for (const auto& c : la[0].children) {
        for (const auto& o : old_sa.children) EXPECT_NE(c.spi_in, o.spi_in);
    }
    // Make-before-break: IKE_SA_INIT, IKE_AUTH and the CREATE_CHILD_SA all precede the Delete of
    // the old IKE SA.
    const auto init = first_trace(pair.a, "IKE_SA_INIT request", traces_before);
    const auto auth = first_trace(pair.a, "IKE_AUTH request", traces_before);
    const auto ccs = first_trace(pair.a, "CREATE_CHILD_SA request", traces_before);
    const auto del_old = first_trace(pair.a, "INFORMATIONAL request", traces_before);
    ASSERT_NE(init, std::string::npos);
    ASSERT_NE(auth, std::string::npos);
    ASSERT_NE(ccs, std::string::npos);
    ASSERT_NE(del_old, std::string::npos);
    EXPECT_LT(init, auth);
    EXPECT_LT(auth, ccs);
    EXPECT_LT(ccs, del_old) << [&] { std::string s; for (std::size_t i = traces_before; i < pair.a.traces.size(); ++i) s += std::to_string(i) + (pair.a.traces[i].sent ? " > " : " < ") + pair.a.traces[i].notation + "\n"; return s; }();
    // New IKE_AUTH: no INITIAL_CONTACT, the old IKE SA was still up (§2.4).
    EXPECT_EQ(pair.a.traces[auth].notation.find("INITIAL_CONTACT"), std::string::npos);
    // New keys: a fresh SKEYSEED (one more Keys_derived with other SK_d).
    ASSERT_GT(pair.a.keys.size(), keys_before);
    EXPECT_NE(pair.a.keys.back().SK_d.hex(), pair.a.keys[keys_before - 1].SK_d.hex());
    EXPECT_EQ(count_events(pair.b, Sa_event_kind::IKE_SA_deleted), 1u);
    EXPECT_TRUE(pair.a.has_diagnostic("7296-2.8.3-reauthenticated"));
}

TEST(Reauthentication, reauth_time_starts_it_and_the_SA_keeps_being_replaced) {
    Config a = make_config(true);
    a.connections[0].reauth_time = std::chrono::seconds(600);
    a.connections[0].rand_time = std::chrono::seconds(60);
    Peer_pair pair(std::move(a), make_config(false));
    pair.initiate();
    while (pair.deliver_one()) {
    }
    ASSERT_EQ(pair.a.ep->list().size(), 1u);
    const Spi first = pair.a.ep->list().at(0).SPIi;
    // Advance through one reauthentication (due 540-600 s after establishment).
    while (pair.now < std::chrono::seconds(601) && pair.fire_next_timer()) {
        while (pair.deliver_one()) {
        }
    }
    EXPECT_GE(pair.now, std::chrono::seconds(540));
    const auto la = pair.a.ep->list();
    ASSERT_GE(la.size(), 1u);
    ASSERT_EQ(la.size(), 1u) << "the old IKE SA is deleted";
    EXPECT_NE(la.back().SPIi, first);
    EXPECT_TRUE(pair.a.has_diagnostic("7296-2.8.3-reauth-time"));
    EXPECT_EQ(pair.b.ep->ike_sa_count(), pair.a.ep->ike_sa_count());
    EXPECT_EQ(pair.a.ep->list().back().children.size(), 1u);
}

TEST(Reauthentication, without_an_established_IKE_SA_it_is_refused_with_a_diagnostic) {
    Peer_pair pair(make_config(true), make_config(false));
    pair.absorb(pair.a, true, pair.a.ep->handle(Reauthenticate{"home", pair.now}));
    EXPECT_TRUE(pair.a.has_diagnostic("ikeref-request"));
    EXPECT_TRUE(pair.wire.empty());
}

}  // namespace
}  // namespace ike::test
