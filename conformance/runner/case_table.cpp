// Every case of CONFORMANCE-CATALOGUE.md (149, generated from its headings: id, RFC sections,
// level, needs as written) and the registration of the implemented ones. A case not
// implemented is listed with its reason (`ikeref conform --list`, NOT_IMPLEMENTED.md).
#include "conformance/runner/case.hpp"

#include <algorithm>

namespace ike::conform {
namespace {

struct Catalogue_row {
    const char* id;
    const char* section;
    Level level;
    const char* needs;  // as the catalogue writes it
};

const Catalogue_row catalogue[] = {
    {"IKEv2.R.3.1.header-flag-bits", "§3.1", Level::MUST, "—"},
    {"IKEv2.R.3.2.reserved-fields-nonzero", "§2.5, §3.2, §3.3.1, §3.3.2, §3.4, §3.13", Level::MUST, "—"},
    {"IKEv2.R.3.2.critical-bit-on-known-payloads", "§3.2", Level::MUST, "—"},
    {"IKEv2.R.3.2.unknown-noncritical-ike-sa-init", "§2.5, §3.2, §2.15", Level::MUST, "—"},
    {"IKEv2.R.3.2.unknown-noncritical-in-sk", "§2.5, §3.2", Level::MUST, "—"},
    {"IKEv2.R.3.2.unknown-critical-ike-sa-init", "§2.5, §3.2, §2.21.1", Level::MUST, "—"},
    {"IKEv2.R.3.2.unknown-critical-ike-auth", "§2.5, §2.21.2", Level::MUST, "—"},
    {"IKEv2.R.3.2.unknown-critical-create-child-sa", "§2.5, §2.21, §2.21.3", Level::MUST, "—"},
    {"IKEv2.R.3.2.unknown-critical-informational-rejected-whole", "§2.5, §1.4.1", Level::MUST, "—"},
    {"IKEv2.I.3.2.unknown-critical-in-response", "§2.5, §2.21", Level::MUST, "trigger:initiate, trigger:create-child"},
    {"IKEv2.I.3.2.unknown-noncritical-in-response", "§2.5, §2.15", Level::MUST, "trigger:initiate"},
    {"IKEv2.R.2.5.payload-order", "§2.5", Level::MUST, "—"},
    {"IKEv2.R.3.1.header-sanity", "§3.1", Level::interop, "—"},
    {"IKEv2.R.3.2.payload-length-inconsistent", "§3.2, §3.3, §2.21.2, §3.10.1", Level::MUST, "—"},
    {"IKEv2.R.3.14.padding-and-iv", "§3.14", Level::MUST, "— (CBC suite)"},
    {"IKEv2.I.3.1.header-fields-passive", "§3.1, §3.2, §2.2", Level::MUST, "trigger:initiate, trigger:rekey-child, trigger:delete-ike"},
    {"IKEv2.R.2.5.minor-version-higher", "§2.5, §3.1", Level::MUST, "—"},
    {"IKEv2.R.2.5.major-version-higher-init", "§2.5, §1.5, §3.1", Level::MUST, "—"},
    {"IKEv2.R.2.5.major-version-higher-established", "§2.5, §1.5", Level::MUST, "—"},
    {"IKEv2.I.2.5.minor-version-in-response", "§2.5, §3.1", Level::MUST, "trigger:initiate"},
    {"IKEv2.I.2.5.major-version-higher-response", "§2.5", Level::MUST, "trigger:initiate"},
    {"IKEv2.R.2.7.proposal-selection-format", "§2.7, §3.3.1, §3.3.6, §3.4, §3.9, §2.10", Level::MUST, "—"},
    {"IKEv2.R.3.3.1.second-proposal-selected", "§2.7, §3.3.1", Level::MUST, "—"},
    {"IKEv2.R.2.7.no-acceptable-proposal", "§2.7, §2.6, §2.21.1", Level::MUST, "—"},
    {"IKEv2.R.3.3.6.unknown-transform-type", "§3.3.6", Level::MUST, "—"},
    {"IKEv2.R.3.3.6.unknown-transform-id-or-attribute", "§3.3.6", Level::MUST, "—"},
    {"IKEv2.R.3.3.6.missing-mandatory-type", "§3.3.3, §3.3.6", Level::MUST, "—"},
    {"IKEv2.R.3.3.5.key-length-attribute", "§3.3.5", Level::MUST, "—"},
    {"IKEv2.R.3.3.2.esn-negotiation", "§3.3.2, §3.3.3, §3.3.6, §1.2", Level::MUST, "—"},
    {"IKEv2.R.1.2.child-dh-in-ike-auth", "§1.2, §3.3.3", Level::MUST, "—"},
    {"IKEv2.I.2.7.initiator-offer-format", "§3.1, §3.3.1, §3.3.5, §3.4, §3.9, §2.10", Level::MUST, "trigger:initiate (profile with at least two proposals and two groups)"},
    {"IKEv2.I.3.3.6.response-not-in-offer", "§3.3.6", Level::MUST, "trigger:initiate"},
    {"IKEv2.R.3.9.nonce-length-bounds", "§3.9, §2.10", Level::MUST, "—"},
    {"IKEv2.R.3.4.ke-length-wrong", "§3.4", Level::MUST, "—"},
    {"IKEv2.R.3.4.ke-invalid-public-value", "§3.4; RFC 6989 §2.1; RFC 8031", Level::MUST, "—"},
    {"IKEv2.R.1.2.invalid-ke-wrong-group", "§1.2, §3.4, §3.10.1", Level::MUST, "profile: NUT accepts group 19 only"},
    {"IKEv2.R.1.2.invalid-ke-retry-succeeds", "§1.2, §2.2, §2.15", Level::MUST, "as above"},
    {"IKEv2.I.1.2.invalid-ke-retry", "§1.2, §2.2, §3.4", Level::MUST, "trigger:initiate (NUT offers 19 and 14, KEi(19))"},
    {"IKEv2.I.1.2.invalid-ke-nonzero-spir", "§2.6", Level::SHOULD, "as above"},
    {"IKEv2.I.1.2.invalid-ke-bad-data", "§1.2, §3.10.1", Level::interop, "as above"},
    {"IKEv2.R.1.3.invalid-ke-create-child-pfs", "§1.3", Level::MUST, "pfs (NUT Child PFS group 19)"},
    {"IKEv2.R.2.18.invalid-ke-ike-rekey", "§1.3, §2.18", Level::MUST, "profile: NUT accepts group 19 only"},
    {"IKEv2.I.1.3.invalid-ke-child-rekey-retry", "§1.3", Level::interop, "trigger:rekey-child, pfs (NUT offers 19 and 14)"},
    {"IKEv2.R.2.6.cookie-issued", "§2.6", Level::SHOULD, "cookie-mode"},
    {"IKEv2.R.2.6.cookie-echo-accepted", "§2.6, §2.2, §2.15", Level::MUST, "cookie-mode"},
    {"IKEv2.R.2.6.cookie-mismatch", "§2.6", Level::MUST, "cookie-mode"},
    {"IKEv2.R.2.6.cookie-unsolicited", "§2.6", Level::MUST, "— (NUT not in cookie mode)"},
    {"IKEv2.R.2.6.1.cookie-then-invalid-ke", "§2.6.1", Level::MUST, "cookie-mode; NUT accepts group 19 only"},
    {"IKEv2.I.2.6.cookie-retry-format", "§2.6, §2.2, §2.15", Level::MUST, "trigger:initiate"},
    {"IKEv2.I.2.6.1.cookie-and-invalid-ke", "§2.6.1, §2.15", Level::MUST, "trigger:initiate (NUT offers 19 and 14, KEi(19))"},
    {"IKEv2.R.1.2.psk-baseline", "§1.2, §2.15, §3.5, §3.8", Level::MUST, "—"},
    {"IKEv2.R.2.15.psk-mismatch", "§2.15, §1.2, §2.21.2", Level::MUST, "—"},
    {"IKEv2.R.2.15.auth-over-wrong-octets", "§2.15, §1.2", Level::MUST, "—"},
    {"IKEv2.R.2.15.id-reserved-in-auth", "§2.15, §3.5", Level::MUST, "—"},
    {"IKEv2.R.2.15.psk-64-octet", "§2.15", Level::MUST, "profile PSKs"},
    {"IKEv2.R.1.2.cert-signature-baseline", "§1.2, §2.15, §3.6, §3.8", Level::MUST, "cert"},
    {"IKEv2.R.1.2.cert-chain-rejected", "§1.2, §2.21.2", Level::MUST, "cert"},
    {"IKEv2.R.3.8.signature-malformed", "§3.8, §1.2", Level::MUST, "cert"},
    {"IKEv2.R.2.16.no-auth-without-eap", "§2.16, §2.21.2", Level::MUST, "— (NUT policy for IDi is PSK only)"},
    {"IKEv2.R.1.2.missing-mandatory-payloads", "§1.2, §2.21.2", Level::MUST, "—"},
    {"IKEv2.R.2.21.2.child-failure-keeps-ike", "§1.2, §2.21.2", Level::MUST, "—"},
    {"IKEv2.I.2.21.2.bad-responder-auth", "§1.2, §2.21.2", Level::MUST, "trigger:initiate"},
    {"IKEv2.I.1.2.responder-identity-unexpected", "§1.2; RFC 4301 §4.4.3 (PAD)", Level::interop, "trigger:initiate, cert"},
    {"IKEv2.I.2.21.2.child-error-keeps-ike", "§2.21.2", Level::MUST, "trigger:initiate"},
    {"IKEv2.R.2.1.retransmitted-ike-sa-init", "§2.1", Level::MUST, "—"},
    {"IKEv2.R.2.1.same-spii-two-peers", "§2.1", Level::SHOULD, "—"},
    {"IKEv2.R.2.1.retransmitted-ike-auth", "§2.1", Level::MUST, "—"},
    {"IKEv2.R.2.1.responder-never-retransmits", "§2.1", Level::MUST, "—"},
    {"IKEv2.R.2.2.retransmitted-request-not-reprocessed", "§2.1, §2.2", Level::MUST, "—"},
    {"IKEv2.R.2.2.old-request-replay", "§2.1, §2.2, §2.3", Level::MUST, "—"},
    {"IKEv2.R.2.3.mid-beyond-window", "§2.3", Level::MUST, "— (window 1)"},
    {"IKEv2.R.2.2.bad-icv-then-valid", "§2.21.2, §3.10.1, §3.14", Level::MUST, "—"},
    {"IKEv2.R.2.3.request-while-own-outstanding", "§2.3", Level::MUST, "trigger:liveness (or trigger:rekey-child)"},
    {"IKEv2.I.2.3.one-request-at-a-time", "§2.3", Level::MUST, "trigger:create-child, trigger:liveness"},
    {"IKEv2.R.2.3.window-size-honoured", "§2.3", Level::MUST, "window>1 (the NUT sent `N(SET_WINDOW_SIZE, N)`, N ≥ 2)"},
    {"IKEv2.I.2.1.retransmit-requests", "§2.1, §2.4", Level::MUST, "trigger:initiate, trigger:liveness"},
    {"IKEv2.I.2.2.stray-responses", "§2.1, §2.2, §2.21", Level::MUST, "trigger:create-child"},
    {"IKEv2.R.1.3.1.new-child", "§1.3, §1.3.1", Level::MUST, "— ((b) needs pfs)"},
    {"IKEv2.R.1.3.1.transport-mode", "§1.3.1", Level::MUST, "transport (for (a))"},
    {"IKEv2.R.1.3.3.rekey-child", "§1.3.3, §2.8, §1.4.1", Level::MUST, "— (dataplane optional)"},
    {"IKEv2.R.1.3.rekey-child-ts-changed", "§2.8, §2.9", Level::interop, "—"},
    {"IKEv2.R.2.17.child-keymat", "§2.17", Level::MUST, "dataplane"},
    {"IKEv2.R.1.3.2.rekey-ike-sa", "§1.3.2, §2.18, §2.8", Level::MUST, "—"},
    {"IKEv2.R.2.18.ike-rekey-mid-reset", "§2.18, §1.3.2, §2.3", Level::MUST, "—"},
    {"IKEv2.R.2.18.ike-rekey-without-ke", "§2.18, §1.3.2", Level::MUST, "—"},
    {"IKEv2.I.2.18.rekey-ike-initiator", "§1.3.2, §2.8, §2.18, §3.1", Level::MUST, "trigger:rekey-ike"},
    {"IKEv2.I.1.3.3.rekey-child-initiator", "§1.3.3, §2.8", Level::MUST, "trigger:rekey-child"},
    {"IKEv2.R.2.8.parallel-child-sas", "§2.8, §1.3.1", Level::SHOULD, "—"},
    {"IKEv2.R.2.8.1.simultaneous-child-rekey", "§2.8.1, §2.25.1", Level::SHOULD, "trigger:rekey-child"},
    {"IKEv2.R.2.8.1.late-rekey-of-replaced-child", "§2.8.1, §2.25, §3.10", Level::SHOULD, "—"},
    {"IKEv2.I.2.25.child-sa-not-found", "§2.25", Level::SHOULD, "trigger:rekey-child"},
    {"IKEv2.R.2.25.1.rekey-child-being-closed", "§2.25.1", Level::SHOULD, "trigger:delete-child"},
    {"IKEv2.R.2.25.1.crossing-child-deletes", "§1.4.1, §2.25.1", Level::MUST, "trigger:delete-child"},
    {"IKEv2.R.2.25.1.ike-rekey-during-child-rekey", "§2.25.1", Level::SHOULD, "trigger:rekey-child"},
    {"IKEv2.R.2.8.2.simultaneous-ike-rekey", "§2.8.2, §2.25.2", Level::SHOULD, "trigger:rekey-ike"},
    {"IKEv2.R.2.8.2.rekey-of-already-rekeyed-ike", "§2.8.2, §2.25.2", Level::SHOULD, "trigger:rekey-ike"},
    {"IKEv2.R.2.25.2.delete-ike-during-ike-operation", "§2.25.2, §1.4.1", Level::SHOULD, "trigger:rekey-ike, trigger:delete-ike"},
    {"IKEv2.R.2.25.2.child-requests-during-ike-rekey", "§2.25.2", Level::SHOULD, "trigger:rekey-ike"},
    {"IKEv2.I.2.25.temporary-failure-backoff", "§2.25", Level::MUST, "trigger:rekey-child"},
    {"IKEv2.R.2.25.1.double-rekey-same-child", "§2.25.1, §1.4.1", Level::interop, "—"},
    {"IKEv2.R.1.4.liveness-check", "§1.4, §2.4", Level::MUST, "—"},
    {"IKEv2.R.1.4.1.delete-child", "§1.4.1, §3.11", Level::MUST, "— (dataplane optional)"},
    {"IKEv2.R.1.4.1.delete-ike", "§1.4.1", Level::MUST, "— (dataplane optional)"},
    {"IKEv2.R.3.11.several-delete-payloads", "§3.11, §1.4.1", Level::MUST, "—"},
    {"IKEv2.R.2.25.1.delete-unknown-child", "§2.25.1, §1.4.1", Level::SHOULD, "—"},
    {"IKEv2.R.3.11.delete-malformed", "§3.11, §2.21.3", Level::interop, "—"},
    {"IKEv2.R.1.4.informational-before-ike-auth", "§1.4, §3.10.1, §2.21", Level::MUST, "—"},
    {"IKEv2.I.2.4.dead-peer-detection", "§2.4", Level::SHOULD, "liveness"},
    {"IKEv2.R.2.4.initial-contact", "§2.4", Level::MAY, "—"},
    {"IKEv2.R.2.21.4.request-for-unknown-spi", "§2.21.4, §1.5", Level::MAY, "—"},
    {"IKEv2.R.2.21.4.silent-on-unprotected-responses", "§2.21.4, §1.5, §3.1", Level::MUST, "—"},
    {"IKEv2.R.2.4.unprotected-notify-ignored", "§2.4, §2.21.4", Level::MUST, "—"},
    {"IKEv2.R.3.10.1.invalid-syntax-is-fatal", "§2.21.3, §3.10.1, §3.13.1", Level::MUST, "—"},
    {"IKEv2.R.3.10.1.no-cleartext-invalid-syntax", "§3.10.1, §2.21.1", Level::SHOULD, "—"},
    {"IKEv2.R.3.10.1.unknown-notify-types-ignored", "§3.10.1", Level::MUST, "—"},
    {"IKEv2.I.3.10.1.unknown-error-in-response", "§3.10.1", Level::MUST, "trigger:create-child, trigger:initiate"},
    {"IKEv2.I.2.21.malformed-response", "§2.21, §2.21.2", Level::MUST, "trigger:initiate"},
    {"IKEv2.I.2.21.1.error-then-genuine-response", "§2.21.1, §2.4", Level::SHOULD, "trigger:initiate"},
    {"IKEv2.R.1.5.invalid-spi-notify-received", "§1.5, §1.4", Level::MUST, "—"},
    {"IKEv2.I.1.5.invalid-spi-sent", "§1.5", Level::MAY, "dataplane"},
    {"IKEv2.R.2.23.nat-detection-payloads", "§2.23", Level::MUST, "nat-t"},
    {"IKEv2.R.2.23.initiator-behind-nat", "§2.23", Level::MUST, "nat-t (dataplane optional)"},
    {"IKEv2.R.2.11.any-source-port", "§2.11, §2.23", Level::MUST, "— ((b) needs nat-t)"},
    {"IKEv2.R.2.23.port-4500-framing", "§2.23, §3.1; RFC 3948 §2.2, §2.3", Level::MUST, "nat-t"},
    {"IKEv2.R.2.23.udp-encap-esp-without-nat", "§2.23", Level::MUST, "nat-t, dataplane"},
    {"IKEv2.I.2.23.nat-detected-by-initiator", "§2.23", Level::MUST, "trigger:initiate, nat-t"},
    {"IKEv2.R.2.9.ts-narrowing", "§2.9", Level::MUST, "—"},
    {"IKEv2.R.2.9.ts-first-selector-kept", "§2.9", Level::MUST, "—"},
    {"IKEv2.R.2.9.ts-unacceptable-create-child-sa", "§2.9, §2.21.3", Level::MUST, "—"},
    {"IKEv2.R.2.9.ts-unknown-type", "§2.9", Level::SHOULD, "—"},
    {"IKEv2.R.3.13.ts-counts", "§3.13", Level::MUST, "—"},
    {"IKEv2.R.3.13.ts-malformed", "§3.13, §3.13.1, §2.21.2", Level::MUST, "—"},
    {"IKEv2.I.2.9.accept-narrowed", "§2.9", Level::MUST, "trigger:initiate (dataplane optional)"},
    {"IKEv2.I.2.9.reject-widened", "§2.9", Level::interop, "trigger:initiate"},
    {"IKEv2.R.2.19.cfg-request-address", "§2.19, §3.15.1", Level::MUST, "cp-pool"},
    {"IKEv2.R.2.5.cp-after-sa", "§2.5, §2.19", Level::MUST, "cp-pool"},
    {"IKEv2.R.3.15.1.unknown-attribute", "§3.15.1", Level::MUST, "cp-pool"},
    {"IKEv2.R.3.15.4.unsupported-family", "§3.15.4", Level::SHOULD, "cp-pool (IPv4 only)"},
    {"IKEv2.R.2.19.cp-required", "§2.19", Level::MUST, "cp-required"},
    {"IKEv2.R.2.19.no-unsolicited-reply", "§2.19", Level::MUST, "cp-pool (CP optional for the runner's identity)"},
    {"IKEv2.I.3.15.1.reply-with-unknown-attributes", "§3.15.1, §3.15.4", Level::MUST, "trigger:initiate (the NUT requests an address)"},
    {"IKEv2.R.7383-2.3.negotiation", "7383 §2.3, §2.5", Level::MUST, "frag"},
    {"IKEv2.R.7383-2.6.reassembly", "7383 §2.5, §2.6", Level::MUST, "frag"},
    {"IKEv2.R.7383-2.6.unauthenticated-fragment-ignored", "7383 §2.6", Level::MUST, "frag"},
    {"IKEv2.R.7383-2.6.total-fragments-change", "7383 §2.6", Level::MUST, "frag"},
    {"IKEv2.R.7383-2.5.fragment-field-checks", "7383 §2.5, §2.6", Level::MUST, "frag"},
    {"IKEv2.R.7383-2.6.1.retransmitted-fragments", "7383 §2.6.1", Level::MUST, "frag"},
    {"IKEv2.R.7383-2.6.reassembly-bounded", "7383 §2.6 (sets no numeric limits)", Level::interop, "frag"},
    {"IKEv2.I.7383-2.5.initiator-fragments", "7383 §2.5, §2.6.1", Level::MUST, "trigger:initiate, frag, cert"},
};

/// Why a case is not implemented: what the runner (or the targets' triggers) lack for it.
std::string reason_for(const Catalogue_row& row) {
    static const std::pair<const char*, const char*> reasons[] = {
        {"IKEv2.R.2.15.psk-64-octet", "needs the NUT reconfigured with three different PSKs during the run (no reconfiguration trigger)"},
        {"IKEv2.R.7383-2.6.reassembly-bounded", "a 65535-fragment flood against 50 half-open SAs is not written (resource case; SKF builder exists)"},
        {"IKEv2.I.7383-2.5.initiator-fragments", "needs certificates to make the NUT's IKE_AUTH large enough to fragment (runner is PSK only)"},
        {"IKEv2.I.3.15.1.reply-with-unknown-attributes", "needs a NUT configured to request a virtual IP when it initiates; no profile has one"},
        {"IKEv2.I.3.10.1.unknown-error-in-response", "variant (a) answers a CREATE_CHILD_SA the NUT starts: needs create-child on the runner's SA (ikeref's trigger picks another IKE SA, charon's profile has none)"},
        {"IKEv2.I.2.2.stray-responses", "answers a NUT-started CREATE_CHILD_SA: same create-child trigger limit as above"},
        {"IKEv2.I.2.3.one-request-at-a-time", "needs create-child and liveness triggers on the runner's SA (not available in either profile)"},
        {"IKEv2.I.2.4.dead-peer-detection", "needs capability liveness (neither profile configures dpd_delay)"},
        {"IKEv2.I.1.3.invalid-ke-child-rekey-retry", "needs rekey-child on the runner's SA and a NUT with PFS offering two groups"},
        {"IKEv2.I.2.18.rekey-ike-initiator", "needs a rekey-ike trigger acting on the runner's IKE SA: ikeref's picks one IKE SA of the connection by itself, charon's profile has none"},
        {"IKEv2.I.2.25.child-sa-not-found", "needs rekey-child on the runner's SA (see rekey-ike-initiator)"},
        {"IKEv2.I.2.25.temporary-failure-backoff", "needs rekey-child on the runner's SA and minutes of run time"},
    };
    const std::string id = row.id;
    for (const auto& [case_id, why] : reasons)
        if (id == case_id) return why;
    const std::string needs = row.needs;
    if (id.find("7383") != std::string::npos) return "IKE fragmentation case not written";
    if (needs.find("cert") != std::string::npos) return "certificate authentication is not implemented in the runner (PSK only)";
    if (needs.find("dataplane") != std::string::npos) return "the runner has no ESP data plane";
    if (needs.find("trigger:") != std::string::npos)
        return "collision case: needs the NUT triggered to rekey/delete the runner's own SA at a chosen moment (ikeref's "
               "triggers pick an IKE SA of the connection by themselves; charon's profile has only initiate)";
    return "not written yet";
}

}  // namespace

const std::vector<Case>& case_table() {
    static const std::vector<Case> table = [] {
        std::vector<Case> implemented;
        register_g1(implemented);
        register_g2(implemented);
        register_g3(implemented);
        register_g4(implemented);
        register_g5(implemented);
        register_g6(implemented);
        register_g7(implemented);
        register_g8(implemented);
        register_g10_g11(implemented);
        register_g12_g13(implemented);
        register_initiator_cases(implemented);
        register_more_cases(implemented);
        register_g14(implemented);
        register_g15(implemented);
        register_g9_to_g15(implemented);
        std::vector<Case> all;
        for (const auto& row : catalogue) {
            auto it = std::find_if(implemented.begin(), implemented.end(),
                                   [&](const Case& c) { return c.id == row.id; });
            if (it != implemented.end()) {
                Case c = *it;
                if (c.section.empty()) c.section = row.section;
                all.push_back(c);
                continue;
            }
            Case c;
            c.id = row.id;
            c.section = row.section;
            c.level = row.level;
            c.not_implemented = reason_for(row);
            all.push_back(c);
        }
        return all;
    }();
    return table;
}

}  // namespace ike::conform
