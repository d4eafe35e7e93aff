// The control socket's lifecycle commands (create_child, rekey_child, rekey_ike, delete_child,
// terminate) between two real Endpoints over loopback, each with its own control socket. After
// every step both `list` replies must show the same SAs (our spi_in = their spi_out) and the
// same keys (our *_in = their *_out, same SK_*): cross-checks of two independent sides.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <future>
#include <memory>
#include <thread>

#include "ike/crypto_provider.hpp"
#include "src/daemon/config_toml.hpp"
#include "src/daemon/control.hpp"
#include "src/daemon/daemon.hpp"
#include "src/io/impair.hpp"
#include "src/io/udp_runtime.hpp"

namespace {

using nlohmann::json;
using ike::daemon::control_request;

std::string moved(std::string toml, int shift) {
    for (const char* port : {"15500", "15501", "15600", "15601"}) {
        const std::string from = port;
        const std::string to = std::to_string(std::stoi(from) + shift);
        for (auto at = toml.find(from); at != std::string::npos; at = toml.find(from, at))
            toml.replace(at, from.size(), to);
    }
    return toml;
}

struct Sides {
    /// `responder_impair`: a [daemon.impair] table for the responder's transport ("" = none).
    explicit Sides(int shift, const std::string& responder_impair = "")
        : initiator(ike::daemon::parse_config(moved(ike::daemon::demo_initiator_toml(), shift), "i"),
                    ike::make_botan_provider()),
          responder(ike::daemon::parse_config(moved(ike::daemon::demo_responder_toml(), shift), "r"),
                    ike::make_botan_provider()),
          ri(io, initiator, bi, "initiator"),
          rr(io, responder, br, "responder"),
          sock_i(::testing::TempDir() + "ikeref_life_i.sock"),
          sock_r(::testing::TempDir() + "ikeref_life_r.sock"),
          ci(io, ri, bi, sock_i),
          cr(io, rr, br, sock_r) {
        if (!responder_impair.empty()) {
            auto settings = ike::daemon::parse_settings(moved(ike::daemon::demo_responder_toml(), shift) + responder_impair, "r");
            if (settings.impair)
                rr.set_impairer(std::make_unique<ike::io::Impairer>(std::move(*settings.impair),
                                                                   static_cast<std::uint16_t>(15600 + shift)));
        }
        rr.start();
        ri.start();
        ci.start();
        cr.start();
        thread = std::thread([this] { io.run(); });
    }
    ~Sides() {
        boost::asio::post(io, [this] {
            ci.stop();
            cr.stop();
            ri.stop();
            rr.stop();
            guard.reset();
            io.stop();
        });
        thread.join();
    }
    json ask(bool on_initiator, json request, int seconds = 10) {
        return control_request(on_initiator ? sock_i : sock_r, request, std::chrono::seconds(seconds));
    }
    ike::Endpoint initiator, responder;
    ike::io::Recording_backend bi, br;
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard =
        boost::asio::make_work_guard(io);
    ike::io::Udp_runtime ri, rr;
    std::string sock_i, sock_r;
    ike::daemon::Control_server ci, cr;
    std::thread thread;
};

/// Both listings show one IKE SA with equal SPIs and SK_*, `children` CHILD SAs each mirrored
/// with crossed SPIs and keys. Returns the initiator's IKE SA entry.
json expect_mirrored(Sides& s, std::size_t children) {
    json li = s.ask(true, {{"cmd", "list"}});
    json lr = s.ask(false, {{"cmd", "list"}});
    EXPECT_EQ(li["ike_sas"].size(), 1u) << li.dump(1);
    EXPECT_EQ(lr["ike_sas"].size(), 1u) << lr.dump(1);
    if (li["ike_sas"].size() != 1u || lr["ike_sas"].size() != 1u) return {};
    const json& a = li["ike_sas"][0];
    const json& b = lr["ike_sas"][0];
    EXPECT_EQ(a["state"], "Established");
    EXPECT_EQ(b["state"], "Established");
    EXPECT_EQ(a["SPIi"], b["SPIi"]);
    EXPECT_EQ(a["SPIr"], b["SPIr"]);
    EXPECT_TRUE(a.contains("keys")) << a.dump(1);
    for (const char* k : {"SK_d", "SK_ei", "SK_er", "SK_pi", "SK_pr"}) EXPECT_EQ(a["keys"][k], b["keys"][k]) << k;
    EXPECT_EQ(a["children"].size(), children) << a.dump(1);
    EXPECT_EQ(b["children"].size(), children) << b.dump(1);
    for (const auto& ca : a["children"]) {
        bool found = false;
        for (const auto& cb : b["children"]) {
            if (cb["spi_in"] != ca["spi_out"]) continue;
            found = true;
            EXPECT_EQ(cb["spi_out"], ca["spi_in"]);
            EXPECT_EQ(cb["encr_key_in"], ca["encr_key_out"]);
            EXPECT_EQ(cb["encr_key_out"], ca["encr_key_in"]);
            EXPECT_EQ(ca["encr_key_in"].get<std::string>().size(), 72u);  // AES-256 + salt
        }
        EXPECT_TRUE(found) << "no mirror of " << ca.dump() << " in " << b.dump(1);
    }
    return a;
}

TEST(Control_lifecycle, every_command_waits_for_its_outcome_and_both_sides_agree) {
    Sides s(10060);
    const json init = s.ask(true, {{"cmd", "initiate"}, {"connection", "demo"}, {"child", "net"}, {"timeout", 8}});
    ASSERT_TRUE(init.value("ok", false)) << init.dump();
    json sa = expect_mirrored(s, 1);
    ASSERT_FALSE(sa.is_null());
    const std::string first = sa["children"][0]["spi_in"];

    // §1.3.1 a second CHILD SA, asked on the responder side (it is the requester then)
    json r = s.ask(false, {{"cmd", "create_child"}, {"connection", "demo"}, {"child", "net"}});
    ASSERT_TRUE(r.value("ok", false)) << r.dump();
    EXPECT_EQ(r["result"], "installed");
    sa = expect_mirrored(s, 2);

    // §1.3.3 rekey of the first CHILD SA: it is replaced, the other stays
    r = s.ask(true, {{"cmd", "rekey_child"}, {"connection", "demo"}, {"spi_in", first}});
    ASSERT_TRUE(r.value("ok", false)) << r.dump();
    EXPECT_EQ(r["result"], "rekeyed");
    EXPECT_EQ(r["old_spi_in"], first);
    EXPECT_NE(r["spi_in"], first);
    sa = expect_mirrored(s, 2);
    for (const auto& c : sa["children"]) EXPECT_NE(c["spi_in"], first);

    // §1.3.2 IKE SA rekey: new SPIs, the listing shows the new SK_* (Keys_derived), the CHILD
    // SAs moved
    const std::string old_SPIi = sa["SPIi"];
    const std::string old_SK_d = sa["keys"]["SK_d"];
    r = s.ask(true, {{"cmd", "rekey_ike"}, {"connection", "demo"}});
    ASSERT_TRUE(r.value("ok", false)) << r.dump();
    EXPECT_EQ(r["result"], "rekeyed");
    EXPECT_EQ(r["old_SPIi"], old_SPIi);
    sa = expect_mirrored(s, 2);
    EXPECT_NE(sa["SPIi"], old_SPIi);
    EXPECT_EQ(sa["SPIi"], r["SPIi"]);
    EXPECT_NE(sa["keys"]["SK_d"], old_SK_d);

    // §1.4.1 delete one CHILD SA (the responder's, by SPI), then the first by default
    const std::string victim = sa["children"][1]["spi_in"];
    r = s.ask(true, {{"cmd", "delete_child"}, {"connection", "demo"}, {"spi_in", victim}});
    ASSERT_TRUE(r.value("ok", false)) << r.dump();
    EXPECT_EQ(r["result"], "deleted");
    EXPECT_EQ(r["spi_in"], victim);
    expect_mirrored(s, 1);

    // refusals at once: unknown SPI, unknown child, bad SPI text
    r = s.ask(true, {{"cmd", "rekey_child"}, {"connection", "demo"}, {"spi_in", "deadbeef"}});
    EXPECT_FALSE(r.value("ok", true));
    EXPECT_EQ(r.value("error", ""), "no CHILD SA with spi_in deadbeef in 'demo'");
    r = s.ask(true, {{"cmd", "create_child"}, {"connection", "demo"}, {"child", "nope"}});
    EXPECT_EQ(r.value("error", ""), "connection 'demo' has no child 'nope'");
    r = s.ask(true, {{"cmd", "delete_child"}, {"connection", "demo"}, {"spi_in", "xyz"}});
    EXPECT_EQ(r.value("error", ""), "spi_in: expected up to 8 hex digits, got 'xyz'");

    // terminate waits until the IKE SA is gone on our side; the peer follows (§1.4.1)
    r = s.ask(true, {{"cmd", "terminate"}, {"connection", "demo"}});
    ASSERT_TRUE(r.value("ok", false)) << r.dump();
    EXPECT_EQ(r["result"], "deleted");
    EXPECT_TRUE(s.ask(true, {{"cmd", "list"}})["ike_sas"].empty());
    EXPECT_TRUE(s.ask(false, {{"cmd", "list"}})["ike_sas"].empty());
    r = s.ask(true, {{"cmd", "rekey_ike"}, {"connection", "demo"}});
    EXPECT_EQ(r.value("error", ""), "no established IKE SA of 'demo'");
    r = s.ask(true, {{"cmd", "terminate"}, {"connection", "demo"}});
    EXPECT_EQ(r.value("error", ""), "no IKE SA of 'demo'");
}

// A daemon whose control socket path another live daemon answers on refuses to start instead
// of unlinking the socket (the first daemon, with its SAs, would become unreachable).
TEST(Control_lifecycle, a_second_daemon_does_not_take_over_a_live_control_socket) {
    Sides s(10080);
    ike::daemon::Control_server second(s.io, s.ri, s.bi, s.sock_i);
    try {
        second.start();
        ADD_FAILURE() << "the second control server started on a live socket";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("another ikeref daemon answers on"), std::string::npos) << e.what();
    }
    const json r = s.ask(true, {{"cmd", "list"}});
    EXPECT_TRUE(r.contains("ike_sas")) << r.dump();  // the first one still answers
}

// §1.3.2: a create_child asked while our IKE SA rekey is in flight is taken (it waits and moves
// to the new IKE SA) instead of refused with "no established IKE SA". The responder's impairing
// transport holds each CREATE_CHILD_SA response 400 ms, so the create_child (asked 100 ms after
// the rekey_ike) finds the IKE SA in state Rekeying.
TEST(Control_lifecycle, create_child_during_an_IKE_SA_rekey_is_taken) {
    Sides s(10070, R"(
[daemon.impair]
seed = 1
[[daemon.impair.rules]]
action = "delay"
direction = "out"
exchange = "CREATE_CHILD_SA"
message = "response"
count = 0
delay_ms = 400
)");
    const json init = s.ask(true, {{"cmd", "initiate"}, {"connection", "demo"}, {"child", "net"}, {"timeout", 8}});
    ASSERT_TRUE(init.value("ok", false)) << init.dump();
    for (std::size_t round = 1; round <= 2; ++round) {
        auto rekey = std::async(std::launch::async, [&] { return s.ask(true, {{"cmd", "rekey_ike"}, {"connection", "demo"}}); });
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        EXPECT_EQ(s.ask(true, {{"cmd", "list"}})["ike_sas"][0]["state"], "Rekeying");
        const json created = s.ask(true, {{"cmd", "create_child"}, {"connection", "demo"}, {"child", "net"}});
        const json rekeyed = rekey.get();
        ASSERT_TRUE(rekeyed.value("ok", false)) << rekeyed.dump();
        ASSERT_TRUE(created.value("ok", false)) << created.dump();
        EXPECT_EQ(created["result"], "installed");
        const json sa = expect_mirrored(s, 1 + round);
        ASSERT_FALSE(sa.is_null());
        EXPECT_EQ(sa["SPIi"], rekeyed["SPIi"]);
    }
}

}  // namespace
