// Small building blocks shared by the case files: one stimulus, one judgement each.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "conformance/runner/case.hpp"
#include "src/codec/codec.hpp"

namespace ike::conform {

using Edit = std::function<void(Bytes&)>;

/// Builds F-INIT per `spec`, applies `edit` to the encoded octets, sends it (msg1 := the edited
/// octets) and waits for the response (W, resent at W/2). nullopt = silence.
std::optional<Answer> send_init(Case_context& cx, Ike_sa& sa, const Init_spec& spec = {}, const Edit& edit = {},
                                std::uint16_t port = 0);
/// As above, and on a normal response derives the keys; the step is recorded as a MUST finding.
bool init_ok(Case_context& cx, Ike_sa& sa, const std::string& step, const Init_spec& spec = {},
             const Edit& edit = {});
/// F-AUTH with `spec` (and sealing options), judged: the IKE SA must be established.
bool auth_ok(Case_context& cx, Ike_sa& sa, const std::string& step, const Auth_spec& spec = {},
             const Seal_options& opt = {}, std::vector<Payload>* reorder = nullptr);
/// An IKE_SA_INIT that must not create an IKE SA: silence preferred; NO_PROPOSAL_CHOSEN or
/// INVALID_KE_PAYLOAD a NOTE; unprotected INVALID_SYNTAX a WARN; a normal response FAIL.
void judge_refused_init(Case_context& cx, const std::string& step, const std::optional<Answer>& a,
                        const std::string& requirement);
/// How long a trigger may take to make the NUT send its request (10 s).
constexpr auto trigger_wait = std::chrono::milliseconds(10000);
/// The NUT's IKE_SA_INIT request after the initiate trigger; throws Case_abort (the case is
/// skipped: the trigger had no effect) when none comes within trigger_wait.
Answer nut_init(Case_context& cx);
/// Everything the NUT sends on SPIi `spi` during `window`, none of it auto-answered.
std::vector<Answer> watch(Case_context& cx, Spi spi, std::chrono::milliseconds window);
/// The NUT is still there: P-FRESH answered (MUST).
void expect_fresh(Case_context& cx, const std::string& step);
/// No IKE SA exists for `sa` on the NUT: P-LIVE gets no protected answer (MUST).
void expect_no_sa(Case_context& cx, Ike_sa& sa, const std::string& step, const std::string& requirement);
/// The IKE SA is alive: P-LIVE answered (level as given).
void expect_live(Case_context& cx, Ike_sa& sa, const std::string& step, Level level, const std::string& requirement);

/// Sets the 7 RESERVED bits of every generic payload header of the chain at `start` and the
/// RESERVED fields of SA (proposal, transform), KE and TS bodies (§3.2, §3.3.1, §3.3.2, §3.4, §3.13).
void set_reserved(Bytes& b, std::size_t start, std::uint8_t first);
/// Offset of the first payload of `type` in the outer chain of an encoded message, or 0.
std::size_t payload_at(const Bytes& msg, Payload_type type);
/// A payload of `type` in an inner chain (offsets inside the chain), or npos.
std::size_t inner_payload_at(const Bytes& chain, std::uint8_t first, Payload_type type);
void put16(Bytes& b, std::size_t at, std::size_t v);
std::size_t get16(const Bytes& b, std::size_t at);

}  // namespace ike::conform
