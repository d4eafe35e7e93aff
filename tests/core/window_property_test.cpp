// A property of the Message ID window (RFC 7296 §2.3): whatever the windows of the two peers
// (1, 2 or 5 each), whatever work both sides ask for at the same time (CHILD SA creates, rekeys,
// deletes and IKE SA rekeys, so the collisions of §2.8.1, §2.8.2 and §2.25 included; an IKE SA
// rekey refused with TEMPORARY_FAILURE is not retried), and in whatever order
// the datagrams arrive, with some lost and retransmitted: no request in a window is refused,
// and both peers end holding one established IKE SA, the same, with the same CHILD SAs and keys.
// Requirements: 7296-2.3-s4, 7296-2.3-s5, 7296-2.3-s8.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <ostream>

#include "tests/support/peer_pair.hpp"
#include "tests/support/sa_checks.hpp"

namespace ike::test {
namespace {

enum class Op_kind { create, rekey, remove, rekey_IKE };

struct Op {
    bool on_a = true;
    Op_kind kind = Op_kind::create;
    std::size_t which = 0;       // index into that side's CHILD SAs (rekey, remove)
    std::size_t deliveries = 0;  // datagrams delivered, in random order, after the request
};

void showValue(const Op& op, std::ostream& os) {
    os << (op.on_a ? "a:" : "b:")
       << (op.kind == Op_kind::create ? "create" : op.kind == Op_kind::rekey ? "rekey" : op.kind == Op_kind::remove ? "delete" : "rekey-IKE")
       << "#" << op.which << "+" << op.deliveries;
}

/// Both sides hold the one IKE SA with mirrored CHILD SAs whose keys match.
void require_agreement(const Peer_pair& p) {
    const auto la = p.a.ep->list();
    const auto lb = p.b.ep->list();
    RC_ASSERT(la.size() == 1u);
    RC_ASSERT(lb.size() == 1u);
    RC_ASSERT(la[0].state == std::string("Established"));
    RC_ASSERT(lb[0].state == std::string("Established"));
    RC_ASSERT(la[0].SPIi == lb[0].SPIi);
    RC_ASSERT(la[0].children.size() == lb[0].children.size());
    for (const auto& ca : la[0].children) {
        const auto it = std::find_if(lb[0].children.begin(), lb[0].children.end(),
                                     [&](const Ike_sa_info::Child& cb) { return cb.spi_in == ca.spi_out; });
        RC_ASSERT(it != lb[0].children.end());
        RC_ASSERT(it->spi_out == ca.spi_in);
        const Child_sa* on_a = installed(p.a, ca.spi_in);
        const Child_sa* on_b = installed(p.b, it->spi_in);
        RC_ASSERT(on_a != nullptr);
        RC_ASSERT(on_b != nullptr);
        RC_ASSERT(on_a->encr_key_out.hex() == on_b->encr_key_in.hex());
        RC_ASSERT(on_a->encr_key_in.hex() == on_b->encr_key_out.hex());
    }
}

void deliver_random(Peer_pair& p, bool may_drop) {
    if (p.wire.empty()) return;
    const auto i = *rc::gen::inRange<std::size_t>(0, p.wire.size());
    std::swap(p.wire[0], p.wire[i]);
    if (may_drop && *rc::gen::weightedElement<bool>({{9, false}, {1, true}})) {
        p.wire.pop_front();  // lost; the requester's retransmission timer brings it back
        return;
    }
    p.deliver_one();
}

// ctest runs 1000 cases (about 2 s) with a fixed seed, as conformance/properties does; RC_PARAMS
// set by the caller wins (6 x 1000 random seeds passed when this was written).
[[maybe_unused]] const bool ci_seed = [] {
    if (!std::getenv("RC_PARAMS")) setenv("RC_PARAMS", "seed=20261130 max_success=1000", 0);
    return true;
}();

RC_GTEST_PROP(Window_property, both_peers_agree_after_concurrent_CHILD_SA_work_in_any_order, ()) {
    const auto window_a = *rc::gen::element<std::uint32_t>(1, 2, 5);
    const auto window_b = *rc::gen::element<std::uint32_t>(1, 2, 5);
    const bool lossy = *rc::gen::arbitrary<bool>();
    Config a = make_config(true), b = make_config(false);
    a.window_size = window_a;
    b.window_size = window_b;
    Peer_pair p(std::move(a), std::move(b), *rc::gen::inRange<std::uint64_t>(1, 1000), *rc::gen::inRange<std::uint64_t>(1000, 2000));
    p.initiate();
    p.run();
    RC_ASSERT(p.a.has_event(Sa_event_kind::IKE_SA_established));
    RC_TAG(window_a, window_b, lossy);

    const auto ops = *rc::gen::container<std::vector<Op>>(rc::gen::build<Op>(
        rc::gen::set(&Op::on_a, rc::gen::arbitrary<bool>()),
        rc::gen::set(&Op::kind, rc::gen::weightedElement<Op_kind>({{4, Op_kind::create}, {2, Op_kind::rekey},
                                                                    {2, Op_kind::remove}, {1, Op_kind::rekey_IKE}})),
        rc::gen::set(&Op::which, rc::gen::inRange<std::size_t>(0, 8)),
        rc::gen::set(&Op::deliveries, rc::gen::inRange<std::size_t>(0, 4))));
    std::size_t most_on_wire = 0;
    for (const auto& op : ops) {
        Side& s = op.on_a ? p.a : p.b;
        const auto list = s.ep->list();
        const auto& children = list.at(0).children;
        if (op.kind == Op_kind::rekey_IKE) {
            request(p, op.on_a, Rekey_IKE_SA{"home", p.now});
        } else if (op.kind == Op_kind::create || children.empty()) {
            request(p, op.on_a, Create_CHILD_SA{"home", "net", p.now});
        } else if (op.kind == Op_kind::rekey) {
            request(p, op.on_a, Rekey_CHILD_SA{"home", children[op.which % children.size()].spi_in, p.now});
        } else {
            request(p, op.on_a, Delete_CHILD_SA{"home", children[op.which % children.size()].spi_in, p.now});
        }
        most_on_wire = std::max(most_on_wire, p.wire.size());
        for (std::size_t i = 0; i < op.deliveries; ++i) deliver_random(p, lossy);
    }
    while (!p.wire.empty()) deliver_random(p, lossy);
    p.run(4000);  // retransmissions of what was lost, then what was queued behind it
    RC_TAG(most_on_wire > 2 ? "more than 2 on the wire" : "at most 2 on the wire");

    RC_LOG() << p.transcript();
    for (const Side* s : {&p.a, &p.b}) {
        // (IKE_SA_failed may come from an old IKE SA whose Delete response was lost: the peer had
        // removed it after answering, §1.4.1; what survives is checked below.)
        // §2.3: a request inside the window is never dropped; a retransmission is answered from the cache.
        RC_ASSERT(!s->has_diagnostic("7296-2.2-request-message-id"));
        // No message without a row. (An API request queued on an IKE SA that the peer's rekey
        // replaced meanwhile has no row there and is dropped with this diagnostic: allowed.)
        for (const auto& d : s->diagnostics) {
            RC_ASSERT(!(d.rule == "model:no-transition" && d.text.find("_received") != std::string::npos));
        }
    }
    require_agreement(p);
}

}  // namespace
}  // namespace ike::test
