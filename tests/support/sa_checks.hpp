// Checks on two Endpoints of a Peer_pair shared by the core tests: requests given to one side,
// the CHILD SAs each side installed, the SAs both sides hold, and the structured refusals.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "tests/support/peer_pair.hpp"

namespace ike::test {

/// Hands `in` to side a (`on_a`) or b and puts what it emits on the wire.
inline void request(Peer_pair& p, bool on_a, Input in) {
    Side& s = on_a ? p.a : p.b;
    p.absorb(s, on_a, s.ep->handle(std::move(in)));
}

/// The CHILD SA side `s` installed with inbound SPI `spi_in`, or nullptr.
inline const Child_sa* installed(const Side& s, std::uint32_t spi_in) {
    for (const auto& c : s.installed) {
        if (c.spi_in == spi_in) return &c;
    }
    return nullptr;
}

/// Both sides hold one established IKE SA, the same one, with `children` mirrored CHILD SAs
/// whose keys match (a's outbound key is b's inbound key). IKEREF_TRACE=1 prints the dialogue.
inline void expect_same_SAs(const Peer_pair& p, std::size_t children) {
    if (std::getenv("IKEREF_TRACE")) std::cout << p.transcript();
    const auto la = p.a.ep->list();
    const auto lb = p.b.ep->list();
    ASSERT_EQ(la.size(), 1u) << p.transcript();
    ASSERT_EQ(lb.size(), 1u) << p.transcript();
    EXPECT_EQ(la[0].SPIi, lb[0].SPIi);
    EXPECT_EQ(la[0].SPIr, lb[0].SPIr);
    EXPECT_EQ(la[0].state, "Established");
    EXPECT_EQ(lb[0].state, "Established");
    ASSERT_EQ(la[0].children.size(), children) << p.transcript();
    ASSERT_EQ(lb[0].children.size(), children) << p.transcript();
    for (const auto& ca : la[0].children) {
        const auto it = std::find_if(lb[0].children.begin(), lb[0].children.end(),
                                     [&](const Ike_sa_info::Child& cb) { return cb.spi_in == ca.spi_out; });
        ASSERT_NE(it, lb[0].children.end()) << p.transcript();
        EXPECT_EQ(it->spi_out, ca.spi_in);
        const Child_sa* on_a = installed(p.a, ca.spi_in);
        const Child_sa* on_b = installed(p.b, it->spi_in);
        ASSERT_NE(on_a, nullptr) << p.transcript();
        ASSERT_NE(on_b, nullptr) << p.transcript();
        EXPECT_EQ(on_a->encr_key_out.hex(), on_b->encr_key_in.hex());
    }
}

/// The transform type `type` ("ENCR", "KE", ...) a refusal names as without a match, or nullptr.
inline const Refusal::Proposal_mismatch::Type* failed(const Refusal& r, const std::string& type) {
    for (const auto& p : r.proposals) {
        for (const auto& t : p.types) {
            if (t.type == type) return &t;
        }
    }
    return nullptr;
}

inline bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace ike::test
