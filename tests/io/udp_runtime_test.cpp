// src/io/udp_runtime + src/daemon/control: two real Endpoints in one io_context on 127.0.0.1
// negotiate over UDP; the control socket answers initiate/list/terminate. Expected values are
// cross-checks between the two independent sides (SPIs, keys in vs out), not our own output.
#include "src/io/udp_runtime.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <thread>

#include "ike/crypto_provider.hpp"
#include "src/daemon/config_toml.hpp"
#include "src/daemon/control.hpp"
#include "src/daemon/daemon.hpp"

namespace {

/// The demo's configs moved to other ports, so a running demo does not disturb the test.
std::string moved(std::string toml, int shift) {
    for (const char* port : {"15500", "15501", "15600", "15601"}) {
        const std::string from = port;
        const std::string to = std::to_string(std::stoi(from) + shift);
        for (auto at = toml.find(from); at != std::string::npos; at = toml.find(from, at))
            toml.replace(at, from.size(), to);
    }
    return toml;
}

struct Pair {
    explicit Pair(int shift)
        : initiator(ike::daemon::parse_config(moved(ike::daemon::demo_initiator_toml(), shift), "i"),
                    ike::make_botan_provider()),
          responder(ike::daemon::parse_config(moved(ike::daemon::demo_responder_toml(), shift), "r"),
                    ike::make_botan_provider()),
          ri(io, initiator, bi, "initiator"),
          rr(io, responder, br, "responder") {}
    ike::Endpoint initiator, responder;
    ike::io::Recording_backend bi, br;
    boost::asio::io_context io;
    ike::io::Udp_runtime ri, rr;
};

TEST(Udp_runtime, initiator_and_responder_establish_over_loopback) {
    Pair p(10000);
    const std::string pcap_path = ::testing::TempDir() + "ikeref_udp_runtime_test.pcap";
    ike::io::Pcap_writer pcap(pcap_path);
    p.ri.set_pcap(&pcap);
    int established = 0, installed = 0, traces = 0;
    auto on_event = [&](const ike::Sa_event& ev) {
        if (ev.kind == ike::Sa_event_kind::IKE_SA_established) ++established;
        if (ev.kind == ike::Sa_event_kind::CHILD_SA_installed) ++installed;
        if (installed == 2 && established == 2) p.io.stop();
    };
    p.ri.add_event_observer(on_event);
    p.rr.add_event_observer(on_event);
    p.ri.add_trace_observer([&](const ike::Message_trace&) { ++traces; });
    p.rr.start();
    p.ri.start();
    boost::asio::steady_timer deadline(p.io, std::chrono::seconds(10));
    deadline.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) p.io.stop();
    });
    boost::asio::post(p.io, [&] { p.ri.submit(ike::Initiate{"demo", "net", ike::io::steady_now()}); });
    p.io.run();

    EXPECT_EQ(established, 2);
    EXPECT_EQ(installed, 2);
    EXPECT_EQ(traces, 4);  // IKE_SA_INIT and IKE_AUTH, each way, seen by the initiator
    EXPECT_EQ(pcap.records(), 4u);
    ASSERT_EQ(p.bi.installed().size(), 1u);
    ASSERT_EQ(p.br.installed().size(), 1u);
    const ike::Child_sa& i = p.bi.installed()[0];
    const ike::Child_sa& r = p.br.installed()[0];
    EXPECT_EQ(i.spi_in, r.spi_out);
    EXPECT_EQ(i.spi_out, r.spi_in);
    EXPECT_EQ(i.encr_key_in.hex(), r.encr_key_out.hex());
    EXPECT_EQ(i.encr_key_out.hex(), r.encr_key_in.hex());
    EXPECT_EQ(i.encr_key_in.size(), 36u);  // AES-256 key + 4-octet salt (RFC 4106 §8.1)
    EXPECT_EQ(i.local.port, 25501);
    EXPECT_EQ(i.remote.port, 25500);
    // Keys_derived reached the runtime and the backend on both sides, with equal SPIs.
    ASSERT_EQ(p.bi.all_ike_keys().size(), 1u);
    const auto& [spis, keys] = *p.bi.all_ike_keys().begin();
    const ike::Keys_derived* rk = p.rr.ike_keys(spis.first, spis.second);
    ASSERT_NE(rk, nullptr);
    EXPECT_EQ(rk->SK_ei.hex(), keys.SK_ei.hex());
    EXPECT_EQ(p.rr.endpoint().list().at(0).state, p.ri.endpoint().list().at(0).state);
    std::remove(pcap_path.c_str());
}

// RFC 7296 §2.23 / RFC 3948 §2.2: with a NAT (forced here) the initiator floats to the NAT-T
// ports; datagrams there carry the non-ESP marker, which the runtime passes through untouched.
TEST(Udp_runtime, forced_NAT_T_floats_to_the_NAT_T_ports) {
    std::string ti = ike::daemon::demo_initiator_toml();
    ti.replace(ti.find("log_keys = true"), 15, "log_keys = true\nforce_nat_t = true");
    ike::Endpoint initiator(ike::daemon::parse_config(moved(ti, 10030), "i"),
                            ike::make_botan_provider());
    ike::Endpoint responder(
        ike::daemon::parse_config(moved(ike::daemon::demo_responder_toml(), 10030), "r"),
        ike::make_botan_provider());
    ike::io::Recording_backend bi, br;
    boost::asio::io_context io;
    ike::io::Udp_runtime ri(io, initiator, bi, "initiator"), rr(io, responder, br, "responder");
    const std::string pcap_path = ::testing::TempDir() + "ikeref_nat_t_test.pcap";
    ike::io::Pcap_writer pcap(pcap_path);
    ri.set_pcap(&pcap);
    std::vector<std::uint16_t> remote_ports;
    ri.add_trace_observer([&](const ike::Message_trace& t) {
        if (t.sent) remote_ports.push_back(t.remote.port);
    });
    int installed = 0;
    auto on_event = [&](const ike::Sa_event& ev) {
        if (ev.kind == ike::Sa_event_kind::CHILD_SA_installed && ++installed == 2) io.stop();
    };
    ri.add_event_observer(on_event);
    rr.add_event_observer(on_event);
    rr.start();
    ri.start();
    boost::asio::steady_timer deadline(io, std::chrono::seconds(10));
    deadline.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) io.stop();
    });
    boost::asio::post(io, [&] { ri.submit(ike::Initiate{"demo", "net", ike::io::steady_now()}); });
    io.run();
    ASSERT_EQ(installed, 2);
    EXPECT_EQ(remote_ports, (std::vector<std::uint16_t>{25530, 25630}));  // IKE_SA_INIT, IKE_AUTH
    ASSERT_EQ(bi.installed().size(), 1u);
    EXPECT_TRUE(bi.installed()[0].udp_encapsulation);
    EXPECT_EQ(bi.installed()[0].local.port, 25631);
    EXPECT_TRUE(br.installed().at(0).udp_encapsulation);
    std::remove(pcap_path.c_str());
}

TEST(Udp_runtime, bind_failure_names_the_address) {
    Pair p(10010);
    p.rr.start();
    ike::io::Recording_backend b;
    ike::Endpoint same(ike::daemon::parse_config(moved(ike::daemon::demo_responder_toml(), 10010), "r"),
                       ike::make_botan_provider());
    ike::io::Udp_runtime clash(p.io, same, b, "clash");
    try {
        clash.start();
        ADD_FAILURE() << "second bind of the same port succeeded";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("127.0.0.1 port 25510"), std::string::npos) << e.what();
    }
}

TEST(Control_server, initiate_list_terminate_over_the_socket) {
    Pair p(10020);
    const std::string sock = ::testing::TempDir() + "ikeref_control_test.sock";
    ike::daemon::Control_server control(p.io, p.ri, p.bi, sock);
    p.rr.start();
    p.ri.start();
    control.start();
    auto guard = boost::asio::make_work_guard(p.io);
    std::thread io_thread([&] { p.io.run(); });

    using ike::daemon::control_request;
    const auto bad = control_request(sock, {{"cmd", "initiate"}, {"connection", "nope"}},
                                     std::chrono::seconds(5));
    EXPECT_FALSE(bad.value("ok", true));
    EXPECT_EQ(bad.value("error", ""), "no connection 'nope'");

    const auto reply = control_request(
        sock, {{"cmd", "initiate"}, {"connection", "demo"}, {"child", "net"}, {"timeout", 8}},
        std::chrono::seconds(10));
    EXPECT_TRUE(reply.value("ok", false)) << reply.dump();
    EXPECT_EQ(reply.value("result", ""), "established");
    EXPECT_TRUE(reply.value("child_installed", false)) << reply.dump();

    const auto list = control_request(sock, {{"cmd", "list"}}, std::chrono::seconds(5));
    ASSERT_TRUE(list.value("ok", false)) << list.dump();
    ASSERT_EQ(list["ike_sas"].size(), 1u) << list.dump();
    const auto& sa = list["ike_sas"][0];
    EXPECT_EQ(sa["connection"], "demo");
    EXPECT_EQ(sa["SPIi"], reply["SPIi"]);
    EXPECT_EQ(sa["SPIi"].get<std::string>().size(), 16u);
    EXPECT_TRUE(sa["original_initiator"].get<bool>());
    EXPECT_EQ(sa["keys"]["SK_ei"].get<std::string>().size(), 72u);  // log_keys: 36 octets
    ASSERT_EQ(sa["children"].size(), 1u);
    const auto& c = sa["children"][0];
    EXPECT_EQ(c["name"], "net");
    EXPECT_EQ(c["spi_in"].get<std::string>().size(), 8u);
    EXPECT_EQ(c["local_ts"], nlohmann::json::array({"10.1.0.0/24"}));
    EXPECT_EQ(c["remote_ts"], nlohmann::json::array({"10.2.0.0/24"}));
    EXPECT_EQ(c["udp_encapsulation"], false);

    const auto term = control_request(sock, {{"cmd", "terminate"}, {"connection", "demo"}},
                                      std::chrono::seconds(5));
    EXPECT_TRUE(term.value("ok", false)) << term.dump();
    const auto unknown = control_request(sock, {{"cmd", "frobnicate"}}, std::chrono::seconds(5));
    EXPECT_FALSE(unknown.value("ok", true));

    boost::asio::post(p.io, [&] {
        control.stop();
        p.ri.stop();
        p.rr.stop();
        guard.reset();
        p.io.stop();
    });
    io_thread.join();
}

}  // namespace
