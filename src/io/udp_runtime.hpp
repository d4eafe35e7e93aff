// The Boost.Asio event loop around one sans-I/O ike::Endpoint (ARCHITECTURE.md): UDP sockets on
// ike_port and nat_t_port (RFC 7296 §2.23, RFC 3948 §2.2: the non-ESP marker stays in the
// payload, the Endpoint strips it), one steady_timer per Timer_id, CHILD SAs to an Sa_backend,
// events and message traces to spdlog. Several runtimes may share one io_context.
#pragma once

#include <boost/asio/io_context.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ike/endpoint.hpp"
#include "src/io/impair.hpp"
#include "src/io/pcap_writer.hpp"
#include "src/io/sa_backend.hpp"

namespace ike::io {

/// std::chrono::steady_clock since its epoch, in milliseconds: the `now` of every input.
Time steady_now();

/// Drives one Endpoint from one io_context thread. Not thread-safe: call everything from the
/// thread that runs the io_context.
class Udp_runtime {
public:
    using Event_observer = std::function<void(const Sa_event&)>;
    using Trace_observer = std::function<void(const Message_trace&)>;
    using Diagnostic_observer = std::function<void(const Diagnostic&)>;

    /// `endpoint` and `backend` must outlive the runtime. `name` prefixes log lines.
    Udp_runtime(boost::asio::io_context& io, Endpoint& endpoint, Sa_backend& backend,
                std::string name = "ikeref");
    ~Udp_runtime();
    Udp_runtime(const Udp_runtime&) = delete;
    Udp_runtime& operator=(const Udp_runtime&) = delete;

    /// Binds UDP sockets on every distinct literal local address of the configured connections
    /// (0.0.0.0 when a connection has none, or there are no connections) for ike_port and
    /// nat_t_port, and starts receiving. Throws std::runtime_error naming the address when a
    /// bind fails (e.g. port in use, or < 1024 without privilege).
    void start();
    /// Closes the sockets and cancels all timers; pending io_context work drains.
    void stop();

    /// Runs `input` through Endpoint::handle and carries out every output.
    void submit(Input input);

    Endpoint& endpoint() { return endpoint_; }
    const Endpoint& endpoint() const { return endpoint_; }
    const std::string& name() const { return name_; }
    /// Every datagram sent and received is also written here (nullptr: none).
    void set_pcap(Pcap_writer* pcap) { pcap_ = pcap; }
    /// Called for every Sa_event / Message_trace output, after logging.
    void add_event_observer(Event_observer f) { event_observers_.push_back(std::move(f)); }
    void add_trace_observer(Trace_observer f) { trace_observers_.push_back(std::move(f)); }
    void add_diagnostic_observer(Diagnostic_observer f) { diagnostic_observers_.push_back(std::move(f)); }
    /// TEST ONLY: put an Impairer between the sockets and the Endpoint, both directions
    /// (nullptr: none). Its actions are logged as "impair: ...".
    void set_impairer(std::unique_ptr<Impairer> impairer);
    Impairer* impairer() { return impairer_.get(); }
    /// IKE SA keys from Keys_derived outputs (present only with Config::log_keys).
    const Keys_derived* ike_keys(Spi SPIi, Spi SPIr) const;
    /// The addresses actually bound (after start()).
    std::vector<Address> bound() const;
    std::size_t armed_timers() const { return timers_.size(); }

private:
    struct Socket;
    struct Timer;
    void bind(const std::string& ip, std::uint16_t port);
    void receive(Socket& s);
    void drain(Socket& s);
    void execute(Output& out);
    void send(const Send_datagram& d);
    void send_now(const Send_datagram& d);
    void deliver(Datagram_received d);
    void carry_out(std::vector<Impair_packet> packets);
    void rearm_impair_timer();
    void arm(const Arm_timer& t);
    void cancel(Timer_id id);

    boost::asio::io_context& io_;
    Endpoint& endpoint_;
    Sa_backend& backend_;
    std::string name_;
    Pcap_writer* pcap_ = nullptr;
    std::vector<std::unique_ptr<Socket>> sockets_;
    std::map<Timer_id, std::unique_ptr<Timer>> timers_;
    std::uint64_t timer_generation_ = 0;
    std::map<std::pair<Spi, Spi>, Keys_derived> ike_keys_;
    std::vector<Event_observer> event_observers_;
    std::vector<Trace_observer> trace_observers_;
    std::vector<Diagnostic_observer> diagnostic_observers_;
    std::unique_ptr<Impairer> impairer_;
    std::unique_ptr<Timer> impair_timer_;
    bool stopped_ = false;
};

/// Log-friendly names.
std::string to_string(Sa_event_kind kind);

}  // namespace ike::io
