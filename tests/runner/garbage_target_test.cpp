// The runner against a fake target that answers every datagram with garbage and floods: it
// must finish in bounded time, never crash, and report what it saw (issue 6, "Bad input").
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "conformance/runner/profile.hpp"
#include "conformance/runner/runner.hpp"

namespace ike::conform {
namespace {

/// A UDP "target" on 127.0.0.1:port that answers each datagram with `answers` random datagrams
/// (some of them beginning with the request's SPIi, so they are attributable), until stopped.
class Garbage_target {
public:
    Garbage_target(std::uint16_t port, int answers) : answers_(answers) {
        fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        thread_ = std::thread([this] { loop(); });
    }
    ~Garbage_target() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    bool bound() const { return bound_; }
    std::size_t received() const { return received_; }

private:
    void loop() {
        std::mt19937 rng(42);
        std::uint8_t buf[65536];
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            sockaddr_in from{};
            socklen_t len = sizeof from;
            const ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
            if (n <= 0) continue;
            ++received_;
            for (int i = 0; i < answers_; ++i) {
                std::vector<std::uint8_t> out(rng() % 300);
                for (auto& o : out) o = static_cast<std::uint8_t>(rng());
                if (i % 2 == 0 && out.size() >= 28 && n >= 8) {
                    std::copy(buf, buf + 8, out.begin());  // the request's SPIi: attributable garbage
                    out[19] = 0x20;                        // R flag
                }
                ::sendto(fd_, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
            }
        }
    }
    int fd_ = -1;
    int answers_ = 0;
    bool bound_ = false;
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> received_{0};
    std::thread thread_;
};

Profile fake_profile(std::uint16_t target_port, std::uint16_t runner_port) {
    Profile p = parse_profile(R"(
[target]
address = "127.0.0.1"
[runner]
address = "127.0.0.1"
[auth]
runner_id = "b.example.test"
target_id = "a.example.test"
psk = "secret"
[traffic_selectors]
runner = ["10.2.0.0/24"]
target = ["10.1.0.0/24"]
[timing]
silence_window = 0.2
)", "fake.toml");
    p.target_port = target_port;
    p.target_nat_t_port = static_cast<std::uint16_t>(target_port + 1);
    p.runner_port = runner_port;
    p.runner_nat_t_port = static_cast<std::uint16_t>(runner_port + 1);
    return p;
}

TEST(Garbage_target, runner_finishes_in_bounded_time_and_reports_what_it_saw) {
    const auto base = static_cast<std::uint16_t>(41000 + (::getpid() % 2000) * 4);
    Garbage_target target(base, 20);  // 20 garbage datagrams per request: a flood
    ASSERT_TRUE(target.bound());
    Run_options opt;
    opt.cases_glob = "IKEv2.R.3.1.header-flag-bits,IKEv2.R.2.5.major-version-higher-init,IKEv2.R.1.4.liveness-check,"
                     "IKEv2.R.2.21.4.request-for-unknown-spi";
    const auto t0 = std::chrono::steady_clock::now();
    Run_output out = run_cases(fake_profile(base, static_cast<std::uint16_t>(base + 2)), opt);
    const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(secs, 60.0);  // every wait is bounded (W = 0.2 s here)
    EXPECT_GT(target.received(), 0u);
    ASSERT_EQ(out.results.size(), 4u);
    for (const auto& r : out.results) {
        EXPECT_TRUE(r.error.empty()) << r.name << ": " << r.error;
        if (r.id == "IKEv2.R.2.21.4.request-for-unknown-spi") continue;  // garbage may count as "no INVALID_IKE_SPI"
        EXPECT_EQ(r.verdict, Verdict::FAIL) << r.name;  // a garbage-answering target never passes
    }
    // the report shows the garbage: an undecodable datagram is described, not hidden
    bool saw_garbage = false;
    for (const auto& r : out.results)
        for (const auto& t : r.trace) saw_garbage = saw_garbage || t.find("garbage") != std::string::npos;
    for (const auto& r : out.results)
        for (const auto& f : r.findings) saw_garbage = saw_garbage || f.actual.find("garbage") != std::string::npos;
    EXPECT_TRUE(saw_garbage);
}

TEST(Garbage_target, silence_is_bounded_and_judged_unresponsive) {
    const auto base = static_cast<std::uint16_t>(49000 + (::getpid() % 1000) * 4);
    Run_options opt;
    opt.cases_glob = "IKEv2.R.2.5.minor-version-higher";
    const auto t0 = std::chrono::steady_clock::now();
    Run_output out = run_cases(fake_profile(base, static_cast<std::uint16_t>(base + 2)), opt);  // nobody listens
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
    ASSERT_EQ(out.results.size(), 1u);
    EXPECT_EQ(out.results[0].verdict, Verdict::FAIL);
    bool unresponsive = false;
    for (const auto& f : out.results[0].findings) unresponsive = unresponsive || f.actual.find("unresponsive") != std::string::npos;
    EXPECT_TRUE(unresponsive);
}

}  // namespace
}  // namespace ike::conform
