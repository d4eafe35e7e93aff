// The scripted peer: building, protecting, sending and reading IKEv2 messages for the cases.
#include "conformance/runner/peer.hpp"

#include <algorithm>
#include <cstring>
#include <thread>

#include "src/codec/codec.hpp"
#include "src/codec/notify_data.hpp"
#include "src/codec/proposal_keywords.hpp"
#include "src/core/negotiation.hpp"
#include "src/daemon/config_toml.hpp"

namespace ike::conform {
namespace {

constexpr std::size_t generic_header_size = 4;  // RFC 7296 §3.2

void put16(Bytes& b, std::size_t at, std::size_t v) {
    b[at] = static_cast<std::uint8_t>((v >> 8) & 0xff);
    b[at + 1] = static_cast<std::uint8_t>(v & 0xff);
}

Spi random_spi(Crypto_provider& c) {
    Spi s = 0;
    while (s == 0) {
        Bytes b = c.random(8);
        for (auto o : b) s = (s << 8) | o;
    }
    return s;
}

Bytes address_octets(const std::string& ip) {
    auto a = Address::parse_ip(ip, 0);
    return a ? a->ip : Bytes{};
}

Bytes id_body(const Identity& id, const std::array<std::uint8_t, 3>& reserved) {
    Bytes b{static_cast<std::uint8_t>(id.type), reserved[0], reserved[1], reserved[2]};
    b.insert(b.end(), id.data.begin(), id.data.end());
    return b;
}

Bytes id_body(const Payload_ID& id) {
    Bytes b{static_cast<std::uint8_t>(id.id_type), 0, 0, 0};
    b.insert(b.end(), id.data.begin(), id.data.end());
    return b;
}

}  // namespace

// ---- Ike_sa ------------------------------------------------------------------------------------

core::Sk_keys Ike_sa::send_keys() const {
    core::Sk_keys k;
    k.cipher = cipher.get();
    k.integrity = integ.get();
    const bool i = runner_is_original_initiator;  // §2.14: SK_ei/SK_ai protect the initiator's messages
    k.SK_e = i ? keys.SK_ei.view() : keys.SK_er.view();
    k.SK_a = i ? keys.SK_ai.view() : keys.SK_ar.view();
    return k;
}

core::Sk_keys Ike_sa::recv_keys() const {
    core::Sk_keys k;
    k.cipher = cipher.get();
    k.integrity = integ.get();
    const bool i = runner_is_original_initiator;
    k.SK_e = i ? keys.SK_er.view() : keys.SK_ei.view();
    k.SK_a = i ? keys.SK_ar.view() : keys.SK_ai.view();
    return k;
}

std::uint8_t Ike_sa::request_flags() const { return runner_is_original_initiator ? flag::Initiator : 0; }

// ---- Answer ------------------------------------------------------------------------------------

const Payload* Answer::find(Payload_type t) const {
    const Message* m = message();
    return m ? m->find(t) : nullptr;
}
const Payload_N* Answer::notify(Notify_type t) const {
    const Message* m = message();
    return m ? m->find_notify(t) : nullptr;
}
bool Answer::has_notify(Notify_type t) const { return notify(t) != nullptr; }
std::vector<Payload_type> Answer::types() const {
    std::vector<Payload_type> out;
    if (const Message* m = message())
        for (const auto& p : m->payloads) out.push_back(p.type);
    return out;
}
std::string Answer::describe() const {
    if (const Message* m = message()) {
        std::string s = ike::describe(*m);
        if (!inner && outer && !outer->payloads.empty() && outer->payloads.back().type == Payload_type::SK)
            s += " (not decrypted: " + (problem.empty() ? std::string("no keys") : problem) + ")";
        return s;
    }
    return "garbage (" + std::to_string(d.bytes.size()) + " octets: " + problem + ")";
}

// ---- helpers -----------------------------------------------------------------------------------

Payload unknown_payload(std::uint8_t type, bool critical, std::size_t body_size) {
    Payload p;
    p.type = static_cast<Payload_type>(type);
    p.critical = critical;
    Bytes body(body_size);
    for (std::size_t i = 0; i < body_size; ++i) body[i] = static_cast<std::uint8_t>(0xa0 + i);
    p.body = Payload_unknown{body};
    return p;
}

Payload notify_raw(std::uint16_t type, Bytes data) {
    Payload p;
    p.type = Payload_type::N;
    Payload_N n;
    n.type = type;
    n.data = std::move(data);
    p.body = n;
    return p;
}
Payload notify(Notify_type type, Bytes data) { return notify_raw(static_cast<std::uint16_t>(type), std::move(data)); }

Bytes spi4(std::uint32_t spi) {
    return {static_cast<std::uint8_t>(spi >> 24), static_cast<std::uint8_t>(spi >> 16),
            static_cast<std::uint8_t>(spi >> 8), static_cast<std::uint8_t>(spi)};
}
std::uint32_t spi_value(const Bytes& spi) {
    std::uint32_t v = 0;
    for (auto o : spi) v = (v << 8) | o;
    return v;
}

Payload delete_esp(const std::vector<std::uint32_t>& spis) {
    Payload p;
    p.type = Payload_type::D;
    Payload_D d;
    d.protocol = Protocol_id::ESP;
    d.spi_size = 4;
    for (auto s : spis) d.spis.push_back(spi4(s));
    p.body = d;
    return p;
}
Payload delete_ike() {
    Payload p;
    p.type = Payload_type::D;
    Payload_D d;
    d.protocol = Protocol_id::IKE;
    d.spi_size = 0;
    p.body = d;
    return p;
}
Payload sa_payload(std::vector<Proposal> proposals) {
    Payload p;
    p.type = Payload_type::SA;
    p.body = Payload_SA{std::move(proposals)};
    return p;
}
Payload ts_payload(Payload_type type, std::vector<Traffic_selector> sel) {
    Payload p;
    p.type = type;
    p.body = Payload_TS{std::move(sel)};
    return p;
}

std::vector<std::pair<std::size_t, std::uint8_t>> chain_offsets(const Bytes& b, std::size_t start, std::uint8_t first) {
    std::vector<std::pair<std::size_t, std::uint8_t>> out;
    std::size_t at = start;
    std::uint8_t type = first;
    while (type != 0 && at + generic_header_size <= b.size() && out.size() < 256) {
        out.emplace_back(at, type);
        if (type == static_cast<std::uint8_t>(Payload_type::SK)) break;
        const std::size_t len = (static_cast<std::size_t>(b[at + 2]) << 8) | b[at + 3];
        if (len < generic_header_size) break;
        type = b[at];
        at += len;
    }
    return out;
}

Proposal proposal(const std::string& keyword, Protocol_id protocol, std::uint8_t number) {
    std::string err;
    auto p = codec::parse_proposal(keyword, protocol, &err);
    if (!p) throw std::invalid_argument("runner proposal '" + keyword + "': " + err);
    p->number = number;
    return *p;
}

Traffic_selector ts(const std::string& text) {
    Traffic_selector t;
    std::string err;
    if (!daemon::parse_traffic_selector(text, t, err)) throw std::invalid_argument(text + ": " + err);
    return t;
}

bool ts_within(const std::vector<Traffic_selector>& inner, const std::vector<Traffic_selector>& outer) {
    for (const auto& i : inner) {
        bool inside = false;
        for (const auto& o : outer) {
            if (i.ts_type != o.ts_type) continue;
            if (o.ip_protocol != 0 && o.ip_protocol != i.ip_protocol) continue;
            if (i.start_port < o.start_port || i.end_port > o.end_port) continue;
            if (i.start_address < o.start_address || i.end_address > o.end_address) continue;
            inside = true;
        }
        if (!inside) return false;
    }
    return true;
}

// ---- Peer --------------------------------------------------------------------------------------

Peer::Peer(const Profile& profile, Udp_transport& transport, Crypto_provider& crypto)
    : profile_(profile), transport_(transport), crypto_(crypto) {}

Ike_sa& Peer::new_sa() {
    auto sa = std::make_unique<Ike_sa>();
    sa->SPIi = random_spi(crypto_);
    sa->nut_port = profile_.target_port;
    sas_.push_back(std::move(sa));
    return *sas_.back();
}

void Peer::reset() {
    sas_.clear();
    transport_.inbox.clear();
    trace.clear();
    header_violations.clear();
}

Ike_sa* Peer::sa_for(Spi SPIi, Spi SPIr) {
    for (auto it = sas_.rbegin(); it != sas_.rend(); ++it) {
        auto& sa = **it;
        if (sa.SPIi == SPIi && (SPIr == 0 || sa.SPIr == 0 || sa.SPIr == SPIr)) return &sa;
    }
    return nullptr;
}

void Peer::note(const std::string& dir, const std::string& what) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_).count();
    if (trace.size() < 400) trace.push_back("[" + std::to_string(ms) + " ms] " + dir + " " + what);
}

Answer Peer::decode(const Datagram& d) {
    Answer a;
    a.d = d;
    if (d.kind != "ike") {
        a.problem = d.kind;
        return a;
    }
    auto m = codec::decode_message(d.bytes);
    if (!codec::ok(m)) {
        a.problem = codec::error(m).rule + ": " + codec::error(m).text;
        return a;
    }
    a.outer = codec::value(m);
    const auto& h = a.outer->header;
    if (!a.outer->payloads.empty() && a.outer->payloads.back().type == Payload_type::SK) {
        Ike_sa* sa = sa_for(h.SPIi, h.SPIr);
        if (sa && sa->keys_ready) {
            auto r = core::unprotect(d.bytes, *a.outer, sa->recv_keys());
            if (auto* msg = std::get_if<Message>(&r))
                a.inner = std::move(*msg);
            else
                a.problem = std::get<core::Unprotect_error>(r).rule + ": " + std::get<core::Unprotect_error>(r).text;
        }
    }
    return a;
}

void Peer::send_raw(const Bytes& ike, std::uint16_t port, bool nat_t, bool no_marker) {
    if (port == 0) port = nat_t ? profile_.target_nat_t_port : profile_.target_port;
    transport_.send(profile_.target_address, port, ike, nat_t, no_marker);
    auto m = codec::decode_message(ike);
    note("->", codec::ok(m) ? describe(codec::value(m)) + " (" + std::to_string(ike.size()) + " octets)"
                            : "crafted " + std::to_string(ike.size()) + " octets");
}

void Peer::check_header(const Answer& a) {
    // CHK-hdr (catalogue §2): version 0x20, X and V bits clear, Length = message length, C bit
    // and RESERVED clear on every payload the NUT sends (§2.5, §3.1, §3.2).
    const Bytes& b = a.d.bytes;
    if (a.d.kind != "ike" || b.size() < codec::header_size) return;
    auto bad = [&](const std::string& what) {
        if (header_violations.size() < 20) header_violations.push_back(what + " in " + a.describe());
    };
    if (b[17] != 0x20) bad("version octet 0x" + to_hex(Octets(&b[17], 1)) + " (expected 0x20)");
    if (b[19] & 0xd7) bad("flags octet 0x" + to_hex(Octets(&b[19], 1)) + " has X or V bits set");
    const std::size_t len = (std::size_t{b[24]} << 24) | (std::size_t{b[25]} << 16) | (std::size_t{b[26]} << 8) | b[27];
    if (len != b.size()) bad("header Length " + std::to_string(len) + " but " + std::to_string(b.size()) + " octets");
    for (const auto& [off, type] : chain_offsets(b, codec::header_size, b[16])) {
        (void)type;
        if (b[off + 1] != 0) bad("C bit or RESERVED set on payload type " + std::to_string(type));
    }
    if (a.inner)
        for (const auto& p : a.inner->payloads)
            if (p.critical) bad("C bit set on inner payload " + to_string(p.type));
}

void Peer::answer_request(Ike_sa& sa, const Answer& a) {
    if (!a.inner) return;
    const auto& h = a.inner->header;
    std::vector<Payload> inner;
    if (h.exchange == Exchange_type::INFORMATIONAL) {
        // §1.4.1: answer a Delete of CHILD SAs with the paired SPIs; of the IKE SA with nothing.
        for (const auto& p : a.inner->payloads) {
            if (const auto* d = std::get_if<Payload_D>(&p.body); d && d->protocol == Protocol_id::ESP) {
                std::vector<std::uint32_t> ours;
                for (const auto& s : d->spis) {
                    auto it = std::find_if(sa.children.begin(), sa.children.end(),
                                           [&](const Child_sa& c) { return c.spi_nut == spi_value(s); });
                    if (it != sa.children.end()) {
                        ours.push_back(it->spi_runner);
                        sa.children.erase(it);
                    }
                }
                if (!ours.empty()) inner.push_back(delete_esp(ours));
            }
        }
    } else if (h.exchange == Exchange_type::CREATE_CHILD_SA) {
        inner.push_back(notify(Notify_type::NO_ADDITIONAL_SAS));
    } else {
        return;
    }
    respond(sa, a, inner);
}

std::optional<Answer> Peer::wait_for(const std::function<bool(const Answer&)>& pred,
                                     std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::size_t scanned = 0;
    for (;;) {
        auto& box = transport_.inbox;
        for (std::size_t i = scanned; i < box.size();) {
            Answer a = decode(box[i]);
            if (pred(a)) {
                box.erase(box.begin() + static_cast<std::ptrdiff_t>(i));
                note("<-", a.describe());
                check_header(a);
                return a;
            }
            // A request of the NUT on a known, keyed SA that no one waits for: behave as a
            // plain peer would, so the NUT does not give up on the SA (§2.4).
            if (auto_answer && a.inner && !a.inner->header.is_response()) {
                if (Ike_sa* sa = sa_for(a.inner->header.SPIi, a.inner->header.SPIr)) {
                    note("<-", a.describe() + " (answered by the runner)");
                    answer_request(*sa, a);
                    box.erase(box.begin() + static_cast<std::ptrdiff_t>(i));
                    continue;
                }
            }
            ++i;
        }
        scanned = box.size();
        if (Clock::now() >= deadline) return std::nullopt;
        if (!transport_.poll_until(deadline)) {
            if (box.size() == scanned) return std::nullopt;
        }
    }
}

std::vector<Answer> Peer::collect(Spi spi, std::chrono::milliseconds window) {
    std::vector<Answer> out;
    const auto deadline = Clock::now() + window;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) break;
        auto a = wait_for(
            [&](const Answer& x) {
                if (spi == 0) return true;
                const Message* m = x.message();
                if (m) return m->header.SPIi == spi;
                // garbage: attributable when its first 8 octets are our SPIi
                return x.d.bytes.size() >= 8 && codec::peek_header(x.d.bytes) &&
                       codec::peek_header(x.d.bytes)->SPIi == spi;
            },
            left);
        if (!a) break;
        out.push_back(std::move(*a));
        if (out.size() > 200) break;  // a flood: enough evidence
    }
    return out;
}

std::optional<Answer> Peer::send_and_wait(Ike_sa& sa, const Bytes& bytes, std::uint32_t mid, std::uint16_t port,
                                          bool nat_t) {
    const Spi spi = sa.SPIi;
    auto match = [&](const Answer& a) {
        const Message* m = a.outer ? &*a.outer : nullptr;
        if (!m) {
            auto h = codec::peek_header(a.d.bytes);  // an undecodable answer is still an answer
            return h && h->SPIi == spi && (h->flags & flag::Response) && h->message_id == mid;
        }
        return m->header.SPIi == spi && m->header.is_response() && m->header.message_id == mid;
    };
    auto send = [&] {
        if (sa.source_port && !nat_t) {
            transport_.send_from(sa.source_port, profile_.target_address, port ? port : profile_.target_port, bytes);
            note("->", "(from port " + std::to_string(sa.source_port) + ") " + std::to_string(bytes.size()) + " octets");
        } else {
            send_raw(bytes, port, nat_t);
        }
    };
    send();
    auto half = W() / 2;
    if (auto a = wait_for(match, half)) return a;
    send();  // catalogue §4: one bitwise resend at W/2 guards against loss
    return wait_for(match, W() - half);
}

// ---- runner as initiator -----------------------------------------------------------------------

Message Peer::init_request(Ike_sa& sa, const Init_spec& spec) {
    Message m;
    m.header.SPIi = sa.SPIi;
    m.header.exchange = Exchange_type::IKE_SA_INIT;
    m.header.flags = flag::Initiator;
    std::vector<Proposal> props = spec.proposals;
    if (props.empty()) props = {profile_.ike.front()};
    std::uint16_t group = 0;
    if (spec.ke_group) {
        group = *spec.ke_group;
    } else {
        for (const auto& t : props.front().transforms)
            if (t.type == Transform_type::KE) {
                group = t.id;
                break;
            }
    }
    if (!spec.cookie.empty()) m.payloads.push_back(notify(Notify_type::COOKIE, spec.cookie));
    for (const auto& p : spec.first) m.payloads.push_back(p);
    m.payloads.push_back(sa_payload(props));
    Payload ke;
    ke.type = Payload_type::KE;
    Payload_KE ke_body;
    ke_body.group = group;
    const bool keep = spec.keep_ke_and_nonce && sa.ke && static_cast<std::uint16_t>(sa.ke->group()) == group;
    if (keep) {
        ke_body.data = sa.ke->public_value();
    } else if (public_value_size(static_cast<Ke_id>(group)) != 0) {
        sa.ke = crypto_.key_exchange(static_cast<Ke_id>(group));
        ke_body.data = sa.ke->public_value();
    } else {
        sa.ke.reset();
        ke_body.data.assign(32, 0x42);
    }
    if (spec.ke_data) ke_body.data = *spec.ke_data;
    ke.body = ke_body;
    m.payloads.push_back(ke);
    if (spec.nonce)
        sa.Ni = *spec.nonce;
    else if (!(spec.keep_ke_and_nonce && !sa.Ni.empty()))
        sa.Ni = crypto_.random(spec.nonce_size);
    Payload ni;
    ni.type = Payload_type::Nonce;
    ni.body = Payload_Nonce{sa.Ni};
    m.payloads.push_back(ni);
    for (const auto& p : spec.after_nonce) m.payloads.push_back(p);
    if (spec.nat_detection) {
        // §2.23: SOURCE over our address and port, DESTINATION over the NUT's; SPIr is zero.
        m.payloads.push_back(notify(Notify_type::NAT_DETECTION_SOURCE_IP,
                                    crypto::nat_detection_hash(sa.SPIi, 0, address_octets(profile_.runner_address),
                                                               profile_.runner_port)));
        m.payloads.push_back(notify(Notify_type::NAT_DETECTION_DESTINATION_IP,
                                    crypto::nat_detection_hash(sa.SPIi, 0, address_octets(profile_.target_address),
                                                               sa.nut_port)));
    }
    return m;
}

Bytes Peer::send_init(Ike_sa& sa, const Message& m, std::uint16_t port) {
    Bytes b = codec::encode_message(m);
    send_init_bytes(sa, b, port);
    return b;
}

void Peer::send_init_bytes(Ike_sa& sa, const Bytes& bytes, std::uint16_t port) {
    sa.msg1 = bytes;
    if (port) sa.nut_port = port;
    send_raw(bytes, sa.nut_port);
}

std::string Peer::complete_init(Ike_sa& sa, const Answer& a) {
    const Message* m = a.message();
    if (!m) return "IKE_SA_INIT response does not decode: " + a.problem;
    if (m->header.SPIr == 0) return "SPIr is zero";
    const auto* sa_p = m->find(Payload_type::SA);
    const auto* ke_p = m->find(Payload_type::KE);
    const auto* nr_p = m->find(Payload_type::Nonce);
    if (!sa_p || !ke_p || !nr_p) return "SA, KE or Nr missing";
    const auto& props = std::get<Payload_SA>(sa_p->body).proposals;
    if (props.size() != 1) return "SAr1 holds " + std::to_string(props.size()) + " proposals, not 1";
    sa.proposal = props.front();
    const auto& ke = std::get<Payload_KE>(ke_p->body);
    if (!sa.ke || static_cast<std::uint16_t>(sa.ke->group()) != ke.group) return "KEr group differs from KEi";
    auto g_ir = sa.ke->shared_secret(ke.data);
    if (!g_ir) return "KEr is not a valid public value of group " + std::to_string(ke.group);
    sa.Nr = std::get<Payload_Nonce>(nr_p->body).data;
    sa.SPIr = m->header.SPIr;
    sa.msg2 = a.d.bytes;
    const auto* e = core::transform_of(sa.proposal, Transform_type::ENCR);
    const auto* p = core::transform_of(sa.proposal, Transform_type::PRF);
    const auto* i = core::transform_of(sa.proposal, Transform_type::INTEG);
    if (!e || !p) return "SAr1 lacks ENCR or PRF";
    if (!crypto_.supports(Transform_type::ENCR, e->id, e->key_length) ||
        !crypto_.supports(Transform_type::PRF, p->id, std::nullopt))
        return "chosen transforms are not supported by the runner";
    sa.cipher = crypto_.cipher(static_cast<Encr_id>(e->id), e->key_length.value_or(0));
    sa.prf = crypto_.prf(static_cast<Prf_id>(p->id));
    sa.integ = (i && i->id) ? crypto_.integrity(static_cast<Integ_id>(i->id)) : nullptr;
    if (!sa.cipher->is_aead() && !sa.integ) return "no integrity algorithm for a non-AEAD cipher";
    auto skeyseed = crypto::SKEYSEED(*sa.prf, sa.Ni, sa.Nr, g_ir->view());
    sa.keys = crypto::derive_ike_sa_keys(*sa.prf, skeyseed.view(), sa.Ni, sa.Nr, sa.SPIi, sa.SPIr,
                                         sa.integ ? sa.integ->key_size() : 0, sa.cipher->key_size());
    sa.keys_ready = true;
    sa.next_mid = 1;
    return "";
}

Bytes Peer::psk_auth(const Ike_sa& sa, const std::string& psk, Octets signed_octets) const {
    const Bytes key(psk.begin(), psk.end());
    auto s = crypto::psk_auth(*sa.prf, key, signed_octets);
    return Bytes(s.data(), s.data() + s.size());
}

std::vector<Payload> Peer::auth_payloads(Ike_sa& sa, const Auth_spec& spec) {
    std::vector<Payload> out = spec.extra_first;
    const Identity id = spec.id.value_or(profile_.runner_id);
    Payload idi;
    idi.type = Payload_type::IDi;
    idi.body = Payload_ID{id.type, id.data};
    out.push_back(idi);
    if (spec.send_idr) {
        Payload idr;
        idr.type = Payload_type::IDr;
        idr.body = Payload_ID{profile_.target_id.type, profile_.target_id.data};
        out.push_back(idr);
    }
    if (!spec.omit_auth) {
        const Bytes body = id_body(id, spec.id_reserved);
        Bytes octets = spec.signed_octets_override
                           ? spec.signed_octets_override(sa, body)
                           : crypto::signed_octets(*sa.prf, sa.msg1, sa.Nr, sa.keys.SK_pi.view(), body);
        Payload auth;
        auth.type = Payload_type::AUTH;
        auth.body = Payload_AUTH{Auth_method::Shared_Key_Message_Integrity_Code,
                                 psk_auth(sa, spec.psk.value_or(profile_.psk), octets)};
        out.push_back(auth);
    }
    std::vector<Proposal> esp = spec.esp.empty() ? profile_.esp : spec.esp;
    Child_sa child;
    child.spi_runner = spi_value(crypto_.random(4)) | 0x01000000u;
    for (auto& p : esp) p.spi = spi4(child.spi_runner);
    out.push_back(sa_payload(esp));
    child.tsi = spec.tsi.empty() ? profile_.runner_ts : spec.tsi;
    child.tsr = spec.tsr.empty() ? profile_.target_ts : spec.tsr;
    out.push_back(ts_payload(Payload_type::TSi, child.tsi));
    out.push_back(ts_payload(Payload_type::TSr, child.tsr));
    for (const auto& p : spec.extra_last) out.push_back(p);
    sa.children.push_back(child);  // pending until complete_auth
    return out;
}

std::string Peer::complete_auth(Ike_sa& sa, const Answer& a, const Auth_spec&) {
    if (!a.inner) return "IKE_AUTH response is not a protected message: " + a.describe();
    const Message& m = *a.inner;
    const auto* idr = m.find(Payload_type::IDr);
    const auto* auth = m.find(Payload_type::AUTH);
    if (!idr || !auth) return "IDr or AUTH missing (" + a.describe() + ")";
    // §2.15: ResponderSignedOctets = RealMessage2 | NonceIData | prf(SK_pr, IDr')
    const Bytes octets = crypto::signed_octets(*sa.prf, sa.msg2, sa.Ni, sa.keys.SK_pr.view(),
                                               id_body(std::get<Payload_ID>(idr->body)));
    const auto& ad = std::get<Payload_AUTH>(auth->body);
    if (ad.method != Auth_method::Shared_Key_Message_Integrity_Code) return "AUTH method is not PSK (2)";
    if (!equal_constant_time(ad.data, psk_auth(sa, profile_.psk, octets))) return "the NUT's AUTH does not verify";
    sa.established = true;  // §2.21.2: a CHILD SA error notify does not undo authentication
    sa.next_mid = std::max<std::uint32_t>(sa.next_mid, 2);
    bool child_error = false;
    for (const auto& p : m.payloads)
        if (const auto* n = std::get_if<Payload_N>(&p.body); n && n->type < 16384) child_error = true;
    const auto* sa_p = m.find(Payload_type::SA);
    if (!child_error && sa_p && !sa.children.empty()) {
        const auto& props = std::get<Payload_SA>(sa_p->body).proposals;
        if (props.size() == 1 && props[0].spi.size() == 4) {
            sa.children.back().spi_nut = spi_value(props[0].spi);
            if (const auto* t = m.find(Payload_type::TSi)) sa.children.back().tsi = std::get<Payload_TS>(t->body).selectors;
            if (const auto* t = m.find(Payload_type::TSr)) sa.children.back().tsr = std::get<Payload_TS>(t->body).selectors;
            return "";
        }
    }
    if (!sa.children.empty() && sa.children.back().spi_nut == 0) sa.children.pop_back();  // no CHILD SA was made
    return "";
}

Ike_sa* Peer::rekey_ike(Ike_sa& old, std::string* why, std::uint16_t group, std::optional<Answer>* answer,
                        std::vector<std::uint16_t> offered_groups) {
    // §1.3.2: SK { SA(IKE, SPI = new SPIi), Ni, KEi }; §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)
    auto fresh = std::make_unique<Ike_sa>();
    Ike_sa& sa = *fresh;
    sa.SPIi = random_spi(crypto_);
    sa.nut_port = old.nut_port;
    sa.nut_nat_t = old.nut_nat_t;
    Proposal p = old.proposal;
    p.spi = Bytes(8);
    for (int i = 0; i < 8; ++i) p.spi[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(sa.SPIi >> (56 - 8 * i));
    if (group == 0)
        for (const auto& t : old.proposal.transforms)
            if (t.type == Transform_type::KE) group = t.id;
    if (offered_groups.empty()) offered_groups = {group};
    p.transforms.erase(std::remove_if(p.transforms.begin(), p.transforms.end(),
                                      [](const Transform& t) { return t.type == Transform_type::KE; }),
                       p.transforms.end());
    for (auto g : offered_groups) {
        Transform t;
        t.type = Transform_type::KE;
        t.id = g;
        p.transforms.push_back(t);
    }
    sa.ke = crypto_.key_exchange(static_cast<Ke_id>(group));
    sa.Ni = crypto_.random(32);
    Payload ke;
    ke.type = Payload_type::KE;
    ke.body = Payload_KE{group, sa.ke->public_value()};
    Payload ni;
    ni.type = Payload_type::Nonce;
    ni.body = Payload_Nonce{sa.Ni};
    auto a = request(old, Exchange_type::CREATE_CHILD_SA, {sa_payload({p}), ni, ke});
    if (answer) *answer = a;
    if (!a || !a->inner) {
        if (why) *why = a ? "response not protected: " + a->describe() : "CREATE_CHILD_SA (IKE rekey) unanswered";
        return nullptr;
    }
    const auto* sa_p = a->inner->find(Payload_type::SA);
    const auto* ke_p = a->inner->find(Payload_type::KE);
    const auto* nr_p = a->inner->find(Payload_type::Nonce);
    if (!sa_p || !ke_p || !nr_p) {
        if (why) *why = "no SA, KEr or Nr: " + a->describe();
        return nullptr;
    }
    const auto& props = std::get<Payload_SA>(sa_p->body).proposals;
    if (props.size() != 1 || props[0].spi.size() != 8) {
        if (why) *why = "SA payload without one IKE proposal with an 8-octet SPI";
        return nullptr;
    }
    sa.proposal = props[0];
    for (auto o : props[0].spi) sa.SPIr = (sa.SPIr << 8) | o;
    auto g_ir = sa.ke->shared_secret(std::get<Payload_KE>(ke_p->body).data);
    if (!g_ir) {
        if (why) *why = "KEr is not a valid public value";
        return nullptr;
    }
    sa.Nr = std::get<Payload_Nonce>(nr_p->body).data;
    const auto* e = core::transform_of(sa.proposal, Transform_type::ENCR);
    const auto* pr = core::transform_of(sa.proposal, Transform_type::PRF);
    const auto* in = core::transform_of(sa.proposal, Transform_type::INTEG);
    if (!e || !pr) {
        if (why) *why = "chosen proposal lacks ENCR or PRF";
        return nullptr;
    }
    sa.cipher = crypto_.cipher(static_cast<Encr_id>(e->id), e->key_length.value_or(0));
    sa.prf = crypto_.prf(static_cast<Prf_id>(pr->id));
    sa.integ = (in && in->id) ? crypto_.integrity(static_cast<Integ_id>(in->id)) : nullptr;
    auto skeyseed = crypto::SKEYSEED_rekey(*old.prf, old.keys.SK_d.view(), g_ir->view(), sa.Ni, sa.Nr);
    sa.keys = crypto::derive_ike_sa_keys(*sa.prf, skeyseed.view(), sa.Ni, sa.Nr, sa.SPIi, sa.SPIr,
                                         sa.integ ? sa.integ->key_size() : 0, sa.cipher->key_size());
    sa.keys_ready = true;
    sa.established = true;
    sa.next_mid = 0;  // §2.18: the new IKE SA starts its Message IDs at 0
    sa.children = old.children;  // §1.3.2: CHILD SAs move to the new IKE SA
    sas_.push_back(std::move(fresh));
    return &sa;
}

Ike_sa* Peer::establish(std::string* why, const Init_spec& init, const Auth_spec& auth) {
    Ike_sa& sa = new_sa();
    Init_spec spec = init;
    for (int attempt = 0; attempt < 2; ++attempt) {
        sa.msg1 = codec::encode_message(init_request(sa, spec));
        auto a = send_and_wait(sa, sa.msg1, 0);
        if (!a) {
            if (why) *why = "IKE_SA_INIT request #0 unanswered within " + std::to_string(W().count()) + " ms";
            return nullptr;
        }
        if (const auto* c = a->notify(Notify_type::COOKIE); c && attempt == 0 && spec.cookie.empty()) {
            spec.cookie = c->data;  // §2.6: retry with the cookie, everything else unchanged
            spec.keep_ke_and_nonce = true;
            continue;
        }
        std::string err = complete_init(sa, *a);
        if (!err.empty()) {
            if (why) *why = "IKE_SA_INIT: " + err + " (" + a->describe() + ")";
            return nullptr;
        }
        break;
    }
    if (!sa.keys_ready) {
        if (why) *why = "IKE_SA_INIT did not complete";
        return nullptr;
    }
    auto inner = auth_payloads(sa, auth);
    auto a = request(sa, Exchange_type::IKE_AUTH, inner);
    if (!a) {
        if (why) *why = "IKE_AUTH request #1 unanswered";
        return nullptr;
    }
    std::string err = complete_auth(sa, *a, auth);
    if (!err.empty()) {
        if (why) *why = "IKE_AUTH: " + err + " (" + a->describe() + ")";
        return nullptr;
    }
    return &sa;
}

// ---- protected messages ------------------------------------------------------------------------

Bytes Peer::seal(const Ike_sa& sa, Exchange_type exch, std::uint32_t mid, bool response,
                 const std::vector<Payload>& inner, const Seal_options& opt) {
    const Cipher& cipher = *sa.cipher;
    Bytes plaintext = codec::encode_payload_chain(inner);
    if (opt.edit_plaintext) opt.edit_plaintext(plaintext);
    // §3.14: Padding then Pad Length; the total fills whole cipher blocks.
    const std::size_t block = cipher.block_size() ? cipher.block_size() : 1;
    std::size_t pad = (block - (plaintext.size() + 1) % block) % block + opt.extra_pad_blocks * block;
    if (pad > 255) pad = (block - (plaintext.size() + 1) % block) % block;
    Bytes padding = opt.random_padding ? crypto_.random(pad) : Bytes(pad, 0);
    plaintext.insert(plaintext.end(), padding.begin(), padding.end());
    plaintext.push_back(static_cast<std::uint8_t>(pad));

    Header h;
    h.SPIi = sa.SPIi;
    h.SPIr = sa.SPIr;
    h.major_version = static_cast<std::uint8_t>(opt.version >> 4);
    h.minor_version = static_cast<std::uint8_t>(opt.version & 0x0f);
    h.exchange = exch;
    h.flags = opt.flags ? *opt.flags
                        : static_cast<std::uint8_t>(sa.request_flags() | (response ? flag::Response : 0));
    h.message_id = mid;

    Bytes before = opt.outer_before_sk.empty() ? Bytes{} : codec::encode_payload_chain(opt.outer_before_sk);
    if (!before.empty()) {  // the last outer payload's Next Payload is SK
        auto offs = chain_offsets(before, 0, static_cast<std::uint8_t>(opt.outer_before_sk.front().type));
        if (!offs.empty()) before[offs.back().first] = static_cast<std::uint8_t>(Payload_type::SK);
    }
    const Bytes iv = opt.iv ? *opt.iv : crypto_.random(cipher.iv_size());
    const std::size_t icv_size = cipher.is_aead() ? 0 : sa.integ->icv_size();
    const std::size_t ct_size = plaintext.size() + (cipher.is_aead() ? cipher.icv_size() : 0);
    const std::size_t sk_length = generic_header_size + iv.size() + ct_size + icv_size;
    const std::size_t total = codec::header_size + before.size() + sk_length;
    const Payload_type first_outer = opt.outer_before_sk.empty() ? Payload_type::SK : opt.outer_before_sk.front().type;
    Bytes out = codec::encode_header(h, first_outer, static_cast<std::uint32_t>(total));
    out.insert(out.end(), before.begin(), before.end());
    const std::size_t sk_at = out.size();
    out.push_back(static_cast<std::uint8_t>(inner.empty() ? Payload_type::NONE : inner.front().type));
    out.push_back(0);
    out.resize(out.size() + 2);
    put16(out, sk_at + 2, sk_length);
    const Bytes aad(out.begin(), out.end());  // RFC 5282 §5.1
    const auto keys = sa.send_keys();
    out.insert(out.end(), iv.begin(), iv.end());
    const Bytes ct = cipher.encrypt(keys.SK_e, iv, aad, plaintext);
    out.insert(out.end(), ct.begin(), ct.end());
    if (!cipher.is_aead()) {
        const Bytes icv = sa.integ->compute(keys.SK_a, out);  // §3.14: header to end of ciphertext
        out.insert(out.end(), icv.begin(), icv.end());
    }
    if (opt.corrupt_icv) out.back() ^= 0x01;
    return out;
}

std::optional<Answer> Peer::request(Ike_sa& sa, Exchange_type exch, const std::vector<Payload>& inner,
                                    const Seal_options& opt) {
    const std::uint32_t mid = sa.next_mid;
    auto a = request_mid(sa, exch, mid, inner, opt);
    if (a) sa.next_mid = mid + 1;
    return a;
}

std::optional<Answer> Peer::request_mid(Ike_sa& sa, Exchange_type exch, std::uint32_t mid,
                                        const std::vector<Payload>& inner, const Seal_options& opt) {
    const Bytes b = seal(sa, exch, mid, false, inner, opt);
    return send_and_wait(sa, b, mid, sa.nut_port, sa.nut_nat_t);
}

// ---- probes ------------------------------------------------------------------------------------

bool Peer::probe_live(Ike_sa& sa, std::optional<std::uint32_t> mid) {
    const std::uint32_t n = mid.value_or(sa.next_mid);
    auto a = request_mid(sa, Exchange_type::INFORMATIONAL, n, {});
    if (!a || !a->inner) return false;
    if (n == sa.next_mid) sa.next_mid = n + 1;
    return a->inner->header.exchange == Exchange_type::INFORMATIONAL;
}

bool Peer::probe_fresh() {
    Ike_sa& sa = new_sa();
    sa.msg1 = codec::encode_message(init_request(sa));
    auto a = send_and_wait(sa, sa.msg1, 0);
    return a && a->outer && a->outer->header.exchange == Exchange_type::IKE_SA_INIT;
}

std::optional<std::vector<std::uint32_t>> Peer::probe_child(Ike_sa& sa, std::uint32_t spi_runner) {
    auto a = request(sa, Exchange_type::INFORMATIONAL, {delete_esp({spi_runner})});
    if (!a || !a->inner) return std::nullopt;
    std::vector<std::uint32_t> out;
    for (const auto& p : a->inner->payloads)
        if (const auto* d = std::get_if<Payload_D>(&p.body))
            for (const auto& s : d->spis) out.push_back(spi_value(s));
    sa.children.erase(std::remove_if(sa.children.begin(), sa.children.end(),
                                     [&](const Child_sa& c) { return c.spi_runner == spi_runner; }),
                      sa.children.end());
    return out;
}

// ---- CHILD SAs ---------------------------------------------------------------------------------

std::vector<Payload> Peer::child_request(Ike_sa& sa, Child_sa& pending, std::optional<std::uint32_t> rekey_spi,
                                         std::uint16_t pfs_group) {
    std::vector<Payload> out;
    if (rekey_spi) {
        Payload n = notify(Notify_type::REKEY_SA);
        auto& nb = std::get<Payload_N>(n.body);
        nb.protocol = Protocol_id::ESP;
        nb.spi = spi4(*rekey_spi);
        out.push_back(n);
    }
    std::vector<Proposal> esp = profile_.esp;
    pending.spi_runner = spi_value(crypto_.random(4)) | 0x01000000u;
    for (auto& p : esp) {
        p.spi = spi4(pending.spi_runner);
        if (pfs_group) {
            Transform t;
            t.type = Transform_type::KE;
            t.id = pfs_group;
            p.transforms.push_back(t);
        }
    }
    out.push_back(sa_payload(esp));
    Payload ni;
    ni.type = Payload_type::Nonce;
    ni.body = Payload_Nonce{crypto_.random(32)};
    out.push_back(ni);
    if (pfs_group) {
        Payload ke;
        ke.type = Payload_type::KE;
        sa.ke = crypto_.key_exchange(static_cast<Ke_id>(pfs_group));
        ke.body = Payload_KE{pfs_group, sa.ke->public_value()};
        out.push_back(ke);
    }
    if (pending.tsi.empty()) pending.tsi = profile_.runner_ts;
    if (pending.tsr.empty()) pending.tsr = profile_.target_ts;
    out.push_back(ts_payload(Payload_type::TSi, pending.tsi));
    out.push_back(ts_payload(Payload_type::TSr, pending.tsr));
    return out;
}

std::string Peer::complete_child(Ike_sa& sa, Child_sa& pending, const Answer& a) {
    if (!a.inner) return "CREATE_CHILD_SA response not protected: " + a.describe();
    for (const auto& p : a.inner->payloads)
        if (const auto* n = std::get_if<Payload_N>(&p.body); n && n->type < 16384)
            return "error N(" + to_string(static_cast<Notify_type>(n->type)) + ")";
    const auto* sa_p = a.inner->find(Payload_type::SA);
    if (!sa_p) return "no SA payload";
    const auto& props = std::get<Payload_SA>(sa_p->body).proposals;
    if (props.size() != 1 || props[0].spi.size() != 4) return "SA payload does not hold one ESP proposal with a 4-octet SPI";
    pending.spi_nut = spi_value(props[0].spi);
    if (const auto* t = a.inner->find(Payload_type::TSi)) pending.tsi = std::get<Payload_TS>(t->body).selectors;
    if (const auto* t = a.inner->find(Payload_type::TSr)) pending.tsr = std::get<Payload_TS>(t->body).selectors;
    sa.children.push_back(pending);
    return "";
}

Child_sa* Peer::create_child(Ike_sa& sa, std::string* why) {
    Child_sa pending;
    auto inner = child_request(sa, pending);
    auto a = request(sa, Exchange_type::CREATE_CHILD_SA, inner);
    if (!a) {
        if (why) *why = "CREATE_CHILD_SA unanswered";
        return nullptr;
    }
    std::string err = complete_child(sa, pending, *a);
    if (!err.empty()) {
        if (why) *why = err + " (" + a->describe() + ")";
        return nullptr;
    }
    return &sa.children.back();
}

std::string Peer::answer_child(Ike_sa& sa, const Answer& req) {
    if (!req.inner) return "CREATE_CHILD_SA request not protected: " + req.describe();
    const auto* sa_p = req.inner->find(Payload_type::SA);
    const auto* tsi = req.inner->find(Payload_type::TSi);
    const auto* tsr = req.inner->find(Payload_type::TSr);
    if (!sa_p || !tsi || !tsr || !req.inner->find(Payload_type::Nonce)) return "not a CHILD SA request (SA, Ni, TSi, TSr): " + req.describe();
    const auto& offered = std::get<Payload_SA>(sa_p->body).proposals;
    if (offered.empty() || offered[0].spi.size() != 4) return "the first proposal has no 4-octet SPI: " + req.describe();
    Proposal chosen = offered[0];
    Child_sa fresh;
    fresh.spi_nut = spi_value(chosen.spi);
    fresh.spi_runner = spi_value(crypto_.random(4)) | 0x01000000u;
    chosen.spi = spi4(fresh.spi_runner);
    std::vector<Payload> out{sa_payload({chosen})};
    Payload nr;
    nr.type = Payload_type::Nonce;
    nr.body = Payload_Nonce{crypto_.random(32)};
    out.push_back(nr);
    for (const auto& t : chosen.transforms) {
        if (t.type != Transform_type::KE || t.id == 0) continue;
        const auto* kei = req.inner->find(Payload_type::KE);
        if (!kei || std::get<Payload_KE>(kei->body).group != t.id) return "proposal with D-H group " + std::to_string(t.id) + " but no KEi of it";
        auto ke = crypto_.key_exchange(static_cast<Ke_id>(t.id));
        if (!ke) return "D-H group " + std::to_string(t.id) + " not available to the runner";
        Payload kr;
        kr.type = Payload_type::KE;
        kr.body = Payload_KE{t.id, ke->public_value()};
        out.push_back(kr);
    }
    // The NUT's TSi is its own side: the runner keeps its selectors from its own point of view.
    fresh.tsi = std::get<Payload_TS>(tsr->body).selectors;
    fresh.tsr = std::get<Payload_TS>(tsi->body).selectors;
    out.push_back(*tsi);
    out.push_back(*tsr);
    respond(sa, req, out);
    sa.children.push_back(fresh);
    return "";
}

// ---- runner as responder -----------------------------------------------------------------------

std::optional<Answer> Peer::await_nut_init(std::chrono::milliseconds timeout) {
    auto a = wait_for(
        [this](const Answer& x) {
            return x.outer && x.outer->header.exchange == Exchange_type::IKE_SA_INIT && !x.outer->header.is_response() &&
                   x.outer->header.SPIr == 0 && nut_initiations.count(x.outer->header.SPIi) == 0;
        },
        timeout);
    if (a) nut_initiations.insert(a->outer->header.SPIi);
    return a;
}

Ike_sa* Peer::accept_nut_init(const Answer& req, Message* response, std::string* why) {
    const Message& m = *req.outer;
    const auto* sa_p = m.find(Payload_type::SA);
    const auto* ke_p = m.find(Payload_type::KE);
    const auto* ni_p = m.find(Payload_type::Nonce);
    if (!sa_p || !ke_p || !ni_p) {
        if (why) *why = "the NUT's IKE_SA_INIT lacks SA, KE or Ni";
        return nullptr;
    }
    const auto& ke = std::get<Payload_KE>(ke_p->body);
    auto sel = core::select_proposal(std::get<Payload_SA>(sa_p->body).proposals, std::get<Payload_SA>(sa_p->body).proposals,
                                     crypto_);
    if (!sel.chosen) {
        if (why) *why = "no proposal of the NUT is usable by the runner: " + sel.reason;
        return nullptr;
    }
    // keep the group of KEi when it is offered in the chosen proposal
    for (auto& t : sel.chosen->transforms)
        if (t.type == Transform_type::KE) t.id = ke.group;
    auto sa_up = std::make_unique<Ike_sa>();
    Ike_sa& sa = *sa_up;
    sa.SPIi = m.header.SPIi;
    sa.SPIr = random_spi(crypto_);
    sa.runner_is_original_initiator = false;
    sa.nut_port = req.d.from_port;
    sa.nut_nat_t = req.d.local_port == transport_.nat_t_port() && req.d.local_port != transport_.port();
    sa.proposal = *sel.chosen;
    sa.Ni = std::get<Payload_Nonce>(ni_p->body).data;
    sa.Nr = crypto_.random(32);
    sa.ke = crypto_.key_exchange(static_cast<Ke_id>(ke.group));
    sa.msg1 = req.d.bytes;
    Message r;
    r.header = m.header;
    r.header.SPIr = sa.SPIr;
    r.header.flags = flag::Response;
    r.payloads.push_back(sa_payload({sa.proposal}));
    Payload kep;
    kep.type = Payload_type::KE;
    kep.body = Payload_KE{ke.group, sa.ke->public_value()};
    r.payloads.push_back(kep);
    Payload nr;
    nr.type = Payload_type::Nonce;
    nr.body = Payload_Nonce{sa.Nr};
    r.payloads.push_back(nr);
    r.payloads.push_back(notify(Notify_type::NAT_DETECTION_SOURCE_IP,
                                crypto::nat_detection_hash(sa.SPIi, sa.SPIr, address_octets(profile_.runner_address),
                                                           req.d.local_port)));
    r.payloads.push_back(notify(Notify_type::NAT_DETECTION_DESTINATION_IP,
                                crypto::nat_detection_hash(sa.SPIi, sa.SPIr, address_octets(req.d.from_ip),
                                                           req.d.from_port)));
    *response = r;
    sas_.push_back(std::move(sa_up));
    return &sa;
}

Bytes Peer::send_response(Ike_sa& sa, const Message& m, bool record_msg2, const Answer& to) {
    Bytes b = codec::encode_message(m);
    if (record_msg2) sa.msg2 = b;
    const bool nat_t = to.d.local_port == transport_.nat_t_port() && transport_.nat_t_port() != transport_.port();
    transport_.send(to.d.from_ip, to.d.from_port, b, nat_t);
    note("->", describe(m));
    return b;
}

std::string Peer::derive_as_responder(Ike_sa& sa, const Message& req) {
    const auto* ke_p = req.find(Payload_type::KE);
    auto g_ir = sa.ke->shared_secret(std::get<Payload_KE>(ke_p->body).data);
    if (!g_ir) return "the NUT's KEi is not a valid public value";
    const auto* e = core::transform_of(sa.proposal, Transform_type::ENCR);
    const auto* p = core::transform_of(sa.proposal, Transform_type::PRF);
    const auto* i = core::transform_of(sa.proposal, Transform_type::INTEG);
    sa.cipher = crypto_.cipher(static_cast<Encr_id>(e->id), e->key_length.value_or(0));
    sa.prf = crypto_.prf(static_cast<Prf_id>(p->id));
    sa.integ = (i && i->id) ? crypto_.integrity(static_cast<Integ_id>(i->id)) : nullptr;
    auto skeyseed = crypto::SKEYSEED(*sa.prf, sa.Ni, sa.Nr, g_ir->view());
    sa.keys = crypto::derive_ike_sa_keys(*sa.prf, skeyseed.view(), sa.Ni, sa.Nr, sa.SPIi, sa.SPIr,
                                         sa.integ ? sa.integ->key_size() : 0, sa.cipher->key_size());
    sa.keys_ready = true;
    sa.nut_next_mid = 1;
    return "";
}

std::string Peer::answer_nut_auth(Ike_sa& sa, const Answer& req, std::vector<Payload>* inner) {
    if (!req.inner) return "the NUT's IKE_AUTH request does not decrypt: " + req.problem;
    const Message& m = *req.inner;
    const auto* idi = m.find(Payload_type::IDi);
    const auto* auth = m.find(Payload_type::AUTH);
    if (!idi || !auth) return "IDi or AUTH missing in the NUT's IKE_AUTH request";
    const Bytes octets = crypto::signed_octets(*sa.prf, sa.msg1, sa.Nr, sa.keys.SK_pi.view(),
                                               id_body(std::get<Payload_ID>(idi->body)));
    if (!equal_constant_time(std::get<Payload_AUTH>(auth->body).data, psk_auth(sa, profile_.psk, octets)))
        return "the NUT's AUTH does not verify";
    Payload idr;
    idr.type = Payload_type::IDr;
    idr.body = Payload_ID{profile_.runner_id.type, profile_.runner_id.data};
    inner->push_back(idr);
    const Bytes r_octets = crypto::signed_octets(*sa.prf, sa.msg2, sa.Ni, sa.keys.SK_pr.view(),
                                                 id_body(std::get<Payload_ID>(idr.body)));
    Payload a;
    a.type = Payload_type::AUTH;
    a.body = Payload_AUTH{Auth_method::Shared_Key_Message_Integrity_Code, psk_auth(sa, profile_.psk, r_octets)};
    inner->push_back(a);
    const auto* sa2 = m.find(Payload_type::SA);
    const auto* tsi = m.find(Payload_type::TSi);
    const auto* tsr = m.find(Payload_type::TSr);
    if (sa2 && tsi && tsr) {
        auto sel = core::select_proposal(std::get<Payload_SA>(sa2->body).proposals,
                                         std::get<Payload_SA>(sa2->body).proposals, crypto_);
        if (sel.chosen) {
            Child_sa c;
            c.spi_nut = spi_value(sel.chosen->spi);
            c.spi_runner = spi_value(crypto_.random(4)) | 0x01000000u;
            sel.chosen->spi = spi4(c.spi_runner);
            c.tsi = std::get<Payload_TS>(tsi->body).selectors;
            c.tsr = std::get<Payload_TS>(tsr->body).selectors;
            inner->push_back(sa_payload({*sel.chosen}));
            inner->push_back(ts_payload(Payload_type::TSi, c.tsi));
            inner->push_back(ts_payload(Payload_type::TSr, c.tsr));
            sa.children.push_back(c);
        }
    }
    return "";
}

void Peer::respond(Ike_sa& sa, const Answer& req, const std::vector<Payload>& inner, const Seal_options& opt) {
    const Message* m = req.message();
    if (!m) return;
    const Bytes b = seal(sa, m->header.exchange, m->header.message_id, true, inner, opt);
    const bool nat_t = req.d.local_port == transport_.nat_t_port() && transport_.nat_t_port() != transport_.port();
    transport_.send(req.d.from_ip, req.d.from_port, b, nat_t);
    Message shown;
    shown.header = m->header;
    shown.header.flags = static_cast<std::uint8_t>(sa.request_flags() | flag::Response);
    shown.payloads = inner;
    shown.was_protected = true;
    note("->", describe(shown));
    if (m->header.message_id == sa.nut_next_mid) ++sa.nut_next_mid;
}

Ike_sa* Peer::accept_nut_initiation(std::string* why, std::chrono::milliseconds timeout) {
    auto init = await_nut_init(timeout);
    if (!init) {
        if (why) *why = "the NUT sent no IKE_SA_INIT request after the initiate trigger";
        return nullptr;
    }
    Message resp;
    Ike_sa* sa = accept_nut_init(*init, &resp, why);
    if (!sa) return nullptr;
    send_response(*sa, resp, true, *init);
    std::string err = derive_as_responder(*sa, *init->outer);
    if (!err.empty()) {
        if (why) *why = err;
        return nullptr;
    }
    const Spi spi = sa->SPIi;
    auto auth = wait_for(
        [&](const Answer& a) {
            return a.outer && a.outer->header.SPIi == spi && a.outer->header.exchange == Exchange_type::IKE_AUTH &&
                   !a.outer->header.is_response();
        },
        timeout);
    if (!auth) {
        if (why) *why = "the NUT sent no IKE_AUTH request";
        return nullptr;
    }
    std::vector<Payload> inner;
    err = answer_nut_auth(*sa, *auth, &inner);
    if (!err.empty()) {
        if (why) *why = err;
        return nullptr;
    }
    respond(*sa, *auth, inner);
    sa->established = true;
    sa->next_mid = 0;  // §2.2: the original responder's first request uses Message ID 0
    if (!auth->d.from_ip.empty()) {
        sa->nut_port = auth->d.from_port;
        sa->nut_nat_t = auth->d.local_port == transport_.nat_t_port() && transport_.nat_t_port() != transport_.port();
    }
    return sa;
}

}  // namespace ike::conform
