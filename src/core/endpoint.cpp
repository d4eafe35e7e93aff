// The sans-I/O Endpoint: the SPI table, dispatch of datagrams to IKE SAs, timers, and the
// stateless responder gate that runs before any IKE SA exists. RFC 7296 §2.1–§2.2, §2.6,
// §2.21, §2.23; RFC 3948 §2.2 (non-ESP marker).
#include "ike/endpoint.hpp"

#include <deque>
#include <map>
#include <stdexcept>

#include "src/codec/codec.hpp"
#include "src/codec/message_rules.hpp"
#include "src/core/ike_sa.hpp"
#include "src/core/payloads.hpp"
#include "src/core/responder_gate.hpp"
#include "src/core/sk_payload.hpp"
#include "src/core/testing.hpp"

namespace ike {

using core::Ike_sa;

struct Endpoint::Impl final : core::Core {
    Config cfg;
    std::unique_ptr<Crypto_provider> crypto_;
    Outputs* out = nullptr;
    Time now_{};
    /// §2.21.4: unprotected answers to messages outside any IKE SA are rate limited.
    Time unprotected_second_{};
    Time gate_second_{};          // §2.4: IKE_SA_INIT requests acted on in the current second
    std::size_t gate_count_ = 0;
    int unprotected_sent_ = 0;
    static constexpr int max_unprotected_per_second = 10;
    std::map<Spi, std::unique_ptr<Ike_sa>> sas;                   // by our SPI
    std::map<std::pair<Spi, std::string>, Spi> responder_index;   // (SPIi, peer) -> our SPIr
    std::map<Timer_id, Spi> timers;
    Timer_id next_timer = 1;
    Bytes cookie_secret;
    std::deque<Refusal> refusals;  // the most recent, for `ikeref list --json`

    Impl(Config c, std::unique_ptr<Crypto_provider> p) : cfg(std::move(c)), crypto_(std::move(p)) {
        cookie_secret = crypto_->random(33);
        cookie_secret[0] = 1;  // VersionIDofSecret
    }

    const Config& config() const override { return cfg; }
    Crypto_provider& crypto() override { return *crypto_; }
    Time now() const override { return now_; }
    void emit(Output o) override { out->push_back(std::move(o)); }
    Timer_id arm_timer(Spi owner, Time at) override {
        const Timer_id id = next_timer++;
        timers[id] = owner;
        emit(Arm_timer{id, at});
        return id;
    }
    void cancel_timer(Timer_id id) override {
        if (timers.erase(id)) emit(Cancel_timer{id});
    }

    void record(Refusal r) override {
        static constexpr std::size_t kept = 32;
        r.at = now_;
        refusals.push_back(std::move(r));
        while (refusals.size() > kept) refusals.pop_front();
    }

    Spi allocate_spi() override { return new_spi(); }
    Ike_sa* find(Spi spi) override {
        auto it = sas.find(spi);
        return it == sas.end() ? nullptr : it->second.get();
    }
    bool has_other_IKE_SA(const Ike_sa& me) const override {
        for (const auto& [spi, sa] : sas) {
            if (sa.get() != &me && !sa->removed() && same_identities(*sa, me)) return true;
        }
        return false;
    }
    void remove_other_IKE_SAs(const Ike_sa& keeper, bool silently) override {
        for (auto& [spi, sa] : sas) {
            if (sa.get() == &keeper || sa->removed() || !same_identities(*sa, keeper)) continue;
            if (silently) {
                sa->forget("INITIAL_CONTACT on a new IKE SA between the same identities: the peer lost "
                           "this one; removed without a Delete (RFC 7296 §2.4)");
            } else if (sa->established()) {
                diagnose(Severity::info, "ikeref-unique-replace", "unique = replace: deleting the older IKE SA");
                sa->terminate();
            }
        }
    }
    std::map<std::string, std::map<Bytes, std::string>> leases;  // pool -> address -> identity

    std::optional<Bytes> lease(const std::vector<std::string>& pools, std::size_t family, const Bytes& requested,
                               const std::string& identity) override {
        for (const auto& name : pools) {  // the address this identity holds already
            for (const auto& [addr, who] : leases[name]) {
                if (who == identity && addr.size() == family) return addr;
            }
        }
        for (const auto& name : pools) {
            const Pool_config* p = cfg.find_pool(name);
            if (!p || p->first.size() != family) continue;
            auto& taken = leases[name];
            const bool in_pool = requested.size() == family && !(requested < p->first) && !(p->last < requested);
            if (in_pool && !taken.count(requested)) {
                taken[requested] = identity;
                return requested;
            }
            for (Bytes a = p->first;; ) {
                if (!taken.count(a)) {
                    taken[a] = identity;
                    return a;
                }
                if (a == p->last) break;
                for (std::size_t i = a.size(); i-- > 0;) {  // a + 1
                    if (++a[i] != 0) break;
                }
            }
        }
        return std::nullopt;
    }
    void release_leases(const std::string& identity) override {
        for (auto& [pool, taken] : leases) {
            for (auto it = taken.begin(); it != taken.end();) it = it->second == identity ? taken.erase(it) : std::next(it);
        }
    }

    void reauthenticate(Ike_sa& old) override {
        const Connection_config& conn = old.connection();
        auto local = Address::parse_ip(conn.local_addrs.empty() ? std::string() : conn.local_addrs.front(), cfg.ike_port);
        auto remote = Address::parse_ip(conn.remote_addrs.empty() ? std::string() : conn.remote_addrs.front(), conn.remote_port);
        if (!local || !remote) {
            diagnose(Severity::error, "ikeref-reauth", "connection " + conn.name + ": no local/remote address to reauthenticate");
            return;
        }
        const auto children = old.child_configs();
        const Spi spi = new_spi();
        auto sa = std::make_unique<Ike_sa>(*this, conn, true, spi, *local, *remote);
        auto& ref = *sa;
        sas.emplace(spi, std::move(sa));
        ref.replace(old.our_spi(), children);
        diagnose(Severity::info, "7296-2.8.3-reauthentication", "connection " + conn.name + ": new IKE SA before the old is deleted");
        ref.initiate(children.empty() ? std::string() : children.front()->name);
    }

    void IKE_SA_replaced(Spi old_spi, Spi new_spi) override {
        for (auto& [spi, sa] : sas) {
            if (!sa->removed()) sa->redirect_inheritance(old_spi, new_spi);
        }
    }

    static bool same_identities(const Ike_sa& a, const Ike_sa& b) {
        return a.connection().local.id == b.connection().local.id && a.connection().remote.id == b.connection().remote.id;
    }
    void adopt(std::unique_ptr<Ike_sa> sa) override {
        const Spi spi = sa->our_spi();
        sas.emplace(spi, std::move(sa));
    }

    /// The IKE SA of `connection` that takes an API request, or nullptr with a diagnostic: an
    /// established one, or one whose rekey we have in flight (the request waits there and moves
    /// to the new IKE SA, §1.3.2); the last in SPI order when there are several, as `ikeref
    /// list` shows them; with `child_spi_in`, the one holding that CHILD SA. `only_established`:
    /// not one being rekeyed (reauthentication).
    Ike_sa* request_target(const std::string& connection, const char* what, std::uint32_t child_spi_in = 0,
                        bool only_established = false) {
        Ike_sa* found = nullptr;
        for (auto& [spi, sa] : sas) {
            if (sa->connection().name != connection) continue;
            if (only_established ? !sa->established() : !sa->accepts_requests()) continue;
            if (child_spi_in != 0 && sa->holds_CHILD_SA(child_spi_in)) return sa.get();
            found = sa.get();
        }
        if (found) return found;
        diagnose(Severity::error, "ikeref-request", std::string(what) + ": no established IKE SA for '" + connection + "'");
        return nullptr;
    }

    void diagnose(Severity s, std::string rule, std::string text) {
        emit(Diagnostic{s, std::move(rule), std::move(text)});
    }

    Spi new_spi() {
        for (;;) {
            const Bytes b = crypto_->random(8);
            Spi v = 0;
            for (auto o : b) v = (v << 8) | o;
            // [7296-2.6-s1] [7296-3.1-s2] our IKE SPI is random, never zero, unique among our IKE SAs.
            if (v != 0 && !sas.count(v)) return v;
        }
    }

    std::size_t half_open() const {
        std::size_t n = 0;
        for (const auto& [spi, sa] : sas) n += (!sa->original_initiator() && sa->half_open()) ? 1 : 0;
        return n;
    }

    void sweep() {
        for (auto it = sas.begin(); it != sas.end();) {
            if (it->second->removed()) {
                for (auto i = responder_index.begin(); i != responder_index.end();) {
                    i = i->second == it->first ? responder_index.erase(i) : std::next(i);
                }
                for (auto t = timers.begin(); t != timers.end();) {
                    t = t->second == it->first ? timers.erase(t) : std::next(t);
                }
                it = sas.erase(it);
            } else {
                ++it;
            }
        }
    }

    void on_datagram(const Datagram_received& d) {
        Octets bytes(d.bytes);
        if (d.local.port == cfg.nat_t_port) {
            // RFC 3948 §2.2: 0xff alone is a NAT keepalive; a non-zero first word is ESP.
            if (bytes.size == 1 && bytes[0] == 0xff) return;
            if (bytes.size < 4 || bytes[0] || bytes[1] || bytes[2] || bytes[3]) {
                diagnose(Severity::debug, "3948-2.2-not-ike", "ESP or short datagram on the NAT-T port: not IKE");
                return;
            }
            bytes = Octets(bytes.data + 4, bytes.size - 4);
        }
        if (auto h = codec::peek_header(bytes); h && h->major_version > 2) {
            answer_major_version(*h, d);
            return;
        }
        auto decoded = codec::decode_message(bytes);
        if (!codec::ok(decoded)) {
            const auto& e = codec::error(decoded);
            // §2.21: nothing protected can be answered before the message is authenticated.
            diagnose(Severity::warning, e.rule,
                     "from " + d.remote.to_string() + " at offset " + std::to_string(e.offset) + ": " + e.text +
                         " (dropped)");
            return;
        }
        const Message& m = codec::value(decoded);
        if (m.header.major_version != 2) {
            diagnose(Severity::warning, "7296-2.5-major-version", "major version " +
                     std::to_string(m.header.major_version) + " from " + d.remote.to_string() + ": dropped");
            return;
        }
        if (m.header.exchange == Exchange_type::IKE_SA_INIT) {
            m.header.is_response() ? on_IKE_SA_INIT_response(m, bytes, d) : on_IKE_SA_INIT_request(m, bytes, d);
            return;
        }
        on_protected(m, bytes, d);
    }

    /// [7296-2.5-s2] [7296-3.1-s6] a message with a higher major version is dropped unprocessed;
    /// a request gets an unprotected N(INVALID_MAJOR_VERSION) in a version 2.0 response with the
    /// same SPIs, exchange type and Message ID (§1.5, §2.5), at most 10 such answers per second
    /// (§2.21.4). A response is never answered (§3.1).
    void answer_major_version(const Header& h, const Datagram_received& d) {
        const std::string what = "major version " + std::to_string(h.major_version) + " " +
                                 to_string(h.exchange) + " #" + std::to_string(h.message_id) + " from " +
                                 d.remote.to_string();
        if (h.is_response()) {
            diagnose(Severity::warning, "7296-2.5-major-version", what + " (a response): dropped");
            return;
        }
        if (now_ - unprotected_second_ >= Time(1000) || now_ < unprotected_second_) {
            unprotected_second_ = now_;
            unprotected_sent_ = 0;
        }
        if (++unprotected_sent_ > max_unprotected_per_second) {
            diagnose(Severity::warning, "7296-2.5-major-version", what + ": dropped (answers rate limited, §2.21.4)");
            return;
        }
        diagnose(Severity::warning, "7296-2.5-major-version", what + ": dropped, answered INVALID_MAJOR_VERSION");
        Message r;
        r.header = h;
        r.header.major_version = 2;
        r.header.minor_version = 0;
        // R set; I set when we are the original initiator, i.e. when the sender is not (§3.1).
        r.header.flags = static_cast<std::uint8_t>(flag::Response | (h.from_original_initiator() ? 0 : flag::Initiator));
        r.payloads.push_back(core::notify(Notify_type::INVALID_MAJOR_VERSION));
        emit(Message_trace{true, d.local, d.remote, describe(r)});
        Send_datagram s{d.local, d.remote, {}};
        if (d.local.port == cfg.nat_t_port) s.bytes = {0, 0, 0, 0};
        const Bytes b = codec::encode_message(r);
        s.bytes.insert(s.bytes.end(), b.begin(), b.end());
        emit(std::move(s));
    }

    void on_IKE_SA_INIT_request(const Message& m, Octets raw, const Datagram_received& d) {
        const auto key = std::make_pair(m.header.SPIi, d.remote.to_string());
        if (auto it = responder_index.find(key); it != responder_index.end()) {
            auto& sa = *sas.at(it->second);
            if (!sa.answer_retransmission(raw, 0, d.local, d.remote)) {
                diagnose(Severity::info, "7296-2.1-duplicate-sa-init",
                         "IKE_SA_INIT request for an existing half-open SA differs from the first: dropped");
            }
            return;
        }
        auto decision = core::responder_gate(m, d.remote, cfg, half_open(), cookie_secret, *crypto_);
        if (std::holds_alternative<core::Gate_proceed>(decision)) {
            // [7296-2.4-s7] the costly action on an unprotected message (a half-open IKE SA, its
            // D-H computation) is taken at a bounded rate; above it the request is dropped. The
            // gate's stateless answers (COOKIE, INVALID_KE_PAYLOAD, ...) are what bounds floods.
            if (now_ - gate_second_ >= Time(1000) || now_ < gate_second_) {
                gate_second_ = now_;
                gate_count_ = 0;
            }
            if (cfg.gate.unprotected_per_second != 0 && ++gate_count_ > cfg.gate.unprotected_per_second) {
                diagnose(Severity::warning, "7296-2.4-s7",
                         "IKE_SA_INIT request from " + d.remote.to_string() + ": dropped (more than " +
                             std::to_string(cfg.gate.unprotected_per_second) + " new IKE SAs per second)");
                return;
            }
        }
        if (auto* drop = std::get_if<core::Gate_drop>(&decision)) {
            diagnose(Severity::warning, drop->rule, "IKE_SA_INIT request from " + d.remote.to_string() + ": " +
                                                        drop->text + " (dropped, no state)");
            return;
        }
        if (auto* reply = std::get_if<core::Gate_reply>(&decision)) {
            diagnose(Severity::info, reply->rule, reply->text + " (no state kept)");
            emit(Message_trace{false, d.local, d.remote, describe(m)});
            emit(Message_trace{true, d.local, d.remote, describe(reply->response)});
            Send_datagram s{d.local, d.remote, {}};
            if (d.local.port == cfg.nat_t_port) s.bytes = {0, 0, 0, 0};
            const Bytes b = codec::encode_message(reply->response);
            s.bytes.insert(s.bytes.end(), b.begin(), b.end());
            emit(std::move(s));
            return;
        }
        const auto& go = std::get<core::Gate_proceed>(decision);
        const Spi spi = new_spi();
        auto sa = std::make_unique<Ike_sa>(*this, *go.connection, false, spi, d.local, d.remote);
        auto& ref = *sa;
        sas.emplace(spi, std::move(sa));
        responder_index[key] = spi;
        ref.on_IKE_SA_INIT_request(m, raw, d.local, d.remote);
    }

    void on_IKE_SA_INIT_response(const Message& m, Octets raw, const Datagram_received& d) {
        auto it = sas.find(m.header.SPIi);
        if (it == sas.end() || !it->second->original_initiator()) {
            diagnose(Severity::info, "7296-2.21.1-unknown-spi", "IKE_SA_INIT response for unknown SPIi: dropped");
            return;
        }
        it->second->on_IKE_SA_INIT_response(m, raw, d.local, d.remote);
    }

    void on_protected(const Message& m, Octets raw, const Datagram_received& d) {
        // The I flag says who sent it: from the original initiator, our SPI is SPIr (§3.1).
        const Spi ours = m.header.from_original_initiator() ? m.header.SPIr : m.header.SPIi;
        auto it = sas.find(ours);
        if (it == sas.end() || it->second->original_initiator() == m.header.from_original_initiator()) {
            // [7296-2.21.4-s9] a message for no IKE SA of ours changes no state: audited and dropped.
            diagnose(Severity::info, "7296-2.21.1-unknown-spi",
                     to_string(m.header.exchange) + " for an unknown IKE SA from " + d.remote.to_string() + ": dropped");
            return;
        }
        Ike_sa& sa = *it->second;
        // [7296-1.4-s1] INFORMATIONAL (like every exchange after IKE_SA_INIT) is accepted only under the keys and inside SK.
        if (!sa.keys_ready()) {
            diagnose(Severity::warning, "7296-2.21-no-keys",
                     to_string(m.header.exchange) + " before IKE_SA_INIT completed: dropped");
            return;
        }
        if (!m.header.is_response() && sa.answer_retransmission(raw, m.header.message_id, d.local, d.remote)) return;
        // [7296-1.5-s3] [7296-2.21.4-s5] an unprotected message after IKE_SA_INIT (INVALID_SPI, INVALID_IKE_SPI, ...) is dropped: no answer, no state change.
        if (m.payloads.empty() || m.payloads.back().type != Payload_type::SK) {
            diagnose(Severity::warning, "7296-3.14-sk-required",
                     to_string(m.header.exchange) + " without an Encrypted payload: dropped");
            return;
        }
        const auto k = sa.peer_keys();
        auto result = core::unprotect(raw, m, core::Sk_keys{k.cipher, k.integrity, k.SK_e, k.SK_a});
        if (auto* err = std::get_if<core::Unprotect_error>(&result)) {
            if (err->authenticated) {
                sa.on_malformed(m, raw, d.local, d.remote, err->rule, err->text);
                return;
            }
            // §2.21: a message that fails its integrity check is dropped silently.
            diagnose(Severity::warning, err->rule, to_string(m.header.exchange) + " #" +
                     std::to_string(m.header.message_id) + ": " + err->text + " (dropped)");
            return;
        }
        // §2.5: an unsupported critical payload before SK rejects the message all the same.
        const auto outer_critical = codec::unsupported_critical_payload(m.payloads);
        sa.on_protected(std::get<Message>(result), raw, d.local, d.remote, outer_critical);
    }
};

Endpoint::Endpoint(Config config, std::unique_ptr<Crypto_provider> crypto)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(crypto))) {
    for (const auto& c : impl_->cfg.connections) {
        for (const auto& p : c.proposals) {
            for (const auto& t : p.transforms) {
                if (!impl_->crypto_->supports(t.type, t.id, t.key_length)) {
                    throw std::invalid_argument("connection " + c.name + ": transform " + std::to_string(int(t.type)) +
                                                "/" + std::to_string(t.id) + " not supported");
                }
            }
        }
        for (const auto& pool : c.pools) {
            if (!impl_->cfg.find_pool(pool)) throw std::invalid_argument("connection " + c.name + ": no pool '" + pool + "'");
        }
    }
}

Endpoint::~Endpoint() = default;

Outputs Endpoint::handle(Input input) {
    Outputs outputs;
    impl_->out = &outputs;
    std::visit(
        [this](auto& in) {
            using T = std::decay_t<decltype(in)>;
            impl_->now_ = in.now;
            if constexpr (std::is_same_v<T, Datagram_received>) {
                impl_->on_datagram(in);
            } else if constexpr (std::is_same_v<T, Timer_expired>) {
                auto it = impl_->timers.find(in.id);
                if (it == impl_->timers.end()) return;
                const Spi owner = it->second;
                impl_->timers.erase(it);
                if (auto sa = impl_->sas.find(owner); sa != impl_->sas.end()) sa->second->on_timer(in.id);
            } else if constexpr (std::is_same_v<T, Initiate>) {
                const auto* conn = impl_->cfg.find_connection(in.connection);
                if (!conn || conn->remote_addrs.empty() || conn->local_addrs.empty()) {
                    impl_->diagnose(Severity::error, "ikeref-initiate",
                                    "cannot initiate '" + in.connection + "': unknown connection or no local/remote address");
                    return;
                }
                if (!core::have_credentials(impl_->cfg, *conn)) {
                    impl_->diagnose(Severity::error, "ikeref-initiate", "no credential (PSK) for " +
                                                                            conn->local.id.to_string() + " and " +
                                                                            conn->remote.id.to_string());
                    return;
                }
                auto local = Address::parse_ip(conn->local_addrs.front(), impl_->cfg.ike_port);
                auto remote = Address::parse_ip(conn->remote_addrs.front(), conn->remote_port);
                if (!local || !remote) {
                    impl_->diagnose(Severity::error, "ikeref-initiate", "connection " + in.connection +
                                                                            ": addresses are not IP literals");
                    return;
                }
                const Spi spi = impl_->new_spi();
                auto sa = std::make_unique<Ike_sa>(*impl_, *conn, true, spi, *local, *remote);
                auto& ref = *sa;
                impl_->sas.emplace(spi, std::move(sa));
                ref.initiate(in.child);
            } else if constexpr (std::is_same_v<T, Create_CHILD_SA>) {
                if (auto* sa = impl_->request_target(in.connection, "create CHILD SA")) {
                    if (!sa->request_CREATE_CHILD_SA(in.child)) {
                        impl_->diagnose(Severity::error, "ikeref-request", "no child '" + in.child + "' in " + in.connection);
                    }
                }
            } else if constexpr (std::is_same_v<T, Rekey_CHILD_SA>) {
                if (auto* sa = impl_->request_target(in.connection, "rekey CHILD SA", in.spi_in)) {
                    if (!sa->request_rekey_CHILD_SA(in.spi_in)) {
                        impl_->diagnose(Severity::error, "ikeref-request", "no CHILD SA with that SPI in " + in.connection);
                    }
                }
            } else if constexpr (std::is_same_v<T, Reauthenticate>) {
                if (auto* sa = impl_->request_target(in.connection, "reauthenticate", 0, true)) impl_->reauthenticate(*sa);
            } else if constexpr (std::is_same_v<T, Rekey_IKE_SA>) {
                if (auto* sa = impl_->request_target(in.connection, "rekey IKE SA")) sa->request_rekey_IKE_SA();
            } else if constexpr (std::is_same_v<T, Delete_CHILD_SA>) {
                if (auto* sa = impl_->request_target(in.connection, "delete CHILD SA", in.spi_in)) {
                    if (!sa->request_delete_CHILD_SA(in.spi_in)) {
                        impl_->diagnose(Severity::error, "ikeref-request", "no CHILD SA with that SPI in " + in.connection);
                    }
                }
            } else if constexpr (std::is_same_v<T, Terminate>) {
                std::vector<Ike_sa*> targets;
                for (auto& [spi, sa] : impl_->sas) {
                    if (sa->connection().name == in.connection) targets.push_back(sa.get());
                }
                for (auto* sa : targets) sa->terminate();
            }
        },
        input);
    impl_->sweep();
    impl_->out = nullptr;
    return outputs;
}

std::vector<Ike_sa_info> Endpoint::list() const {
    std::vector<Ike_sa_info> out;
    for (const auto& [spi, sa] : impl_->sas) out.push_back(sa->info());
    return out;
}

std::size_t Endpoint::ike_sa_count() const { return impl_->sas.size(); }
std::size_t Endpoint::half_open_count() const { return impl_->half_open(); }
std::vector<Refusal> Endpoint::refusals() const { return {impl_->refusals.begin(), impl_->refusals.end()}; }
const Config& Endpoint::config() const { return impl_->cfg; }

}  // namespace ike

// ---- test hooks (src/core/testing.hpp) -------------------------------------------------------

namespace ike::core::testing {

std::size_t start_Message_IDs_at(Endpoint& e, std::uint32_t next_request, std::uint32_t expected_request) {
    std::size_t changed = 0;
    for (auto& entry : e.impl_->sas) {
        if (!entry.second->established()) continue;
        entry.second->start_Message_IDs_at_for_testing(next_request, expected_request);
        ++changed;
    }
    return changed;
}

}  // namespace ike::core::testing
