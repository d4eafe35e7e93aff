#!/usr/bin/env bash
# Interop of IPsec transport mode (RFC 7296 §1.3.1 USE_TRANSPORT_MODE, §2.23.1 selectors of one
# address each, the IKE SA's) between charon (a, 192.0.2.1) and ikeref (b, 192.0.2.2).
#   charon: child mode = transport, local_ts = remote_ts = dynamic (its own / the peer's address);
#   ikeref: mode = "transport", local_ts = ["192.0.2.2"], remote_ts = ["192.0.2.1"].
#   IKE aes256gcm16-prfsha256-x25519; ESP aes256gcm16-x25519 then aes256gcm16 on both sides (the
#   CHILD SA of IKE_AUTH has no KE, §1.2: the proposal without PFS is the one selected).
#
# LIMIT OF THIS MACHINE: charon cannot install a transport-mode SA here. kernel-libipsec refuses
# it ("IPsec SA: unsupported mode", "unable to install inbound and outbound IPsec SA (SAD) in
# kernel") and the kernel's XFRM has no ESP (`ip xfrm state add ... proto esp` fails, also in
# transport mode), and no fake kernel backend (load-tester) is installed. So charon negotiates
# the transport CHILD SA, logs its keys and SPIs, and then drops it: as IKE_AUTH responder it
# answers N(NO_PROPOSAL_CHOSEN) ("failed to establish CHILD_SA, keeping IKE_SA"), as initiator it
# sends a Delete right after the IKE_AUTH response. Consequences, checked as far as they go:
#   - charon never lists an INSTALLED transport CHILD SA, so its mode and selectors are read
#     from its log (N(USE_TRANSP) in the IKE_AUTH request and response, "selecting traffic
#     selectors ... => match: A/32") instead of `swanctl --list-sas`;
#   - no CHILD SA rekeys (`ikeref rekey --child` / `swanctl --rekey --child`): charon has no CHILD
#     SA to rekey; no data plane (ikeref has no ESP either).
# ikeref drops charon's first Delete (a [daemon.impair] rule: the first inbound INFORMATIONAL
# request) and charon retransmits it after 3 s, so that ikeref's CHILD SA stays listed long
# enough to compare its SPIs and keys with charon's log. (Dropping every Delete made charon give
# up, reconnect childless and crash: "thread 7 received 11", charon 5.9.8, not ikeref.)
#
# Cases:
#   - charon-initiates: `swanctl --initiate`. Checks: USE_TRANSPORT_MODE in the IKE_AUTH request
#     and response (both logs); charon selected TSi = 192.0.2.1/32, TSr = 192.0.2.2/32; ikeref
#     lists one CHILD SA with local_ts 192.0.2.2/32, remote_ts 192.0.2.1/32; SPIi/SPIr, the ESP
#     SPIs and the CHILD SA keys equal charon's (charon initiated: ikeref's encr_key_in is the
#     "encryption initiator key", §2.17).
#   - ikeref-initiates: `ikeref initiate`. Checks: ikeref's IKE_AUTH request carries
#     USE_TRANSPORT_MODE with TSi 192.0.2.2/32, TSr 192.0.2.1/32 (as charon received them: its
#     "selecting traffic selectors" lines) and charon chose transport mode (it tried to install
#     it: "IPsec SA: unsupported mode"); the IKE SA is up on both sides with equal SPIs and
#     ikeref holds no CHILD SA after charon's N(NO_PROPOSAL_CHOSEN); then `ikeref create-child`:
#     CREATE_CHILD_SA request with USE_TRANSPORT_MODE and the same selectors (charon again picks
#     transport and cannot install it).
#   - charon-subnet (negative, §2.9 / §2.23.1 and README "children.X.mode"): charon proposes
#     transport with remote_ts = 10.2.0.0/24, which does not hold ikeref's IKE address, so ikeref
#     cannot narrow it to one address of the IKE SA: N(TS_UNACCEPTABLE) in the IKE_AUTH response,
#     a refusal listed by ikeref, no CHILD SA, the IKE SA stays up.
#   - charon-narrowed: charon proposes transport with remote_ts = 192.0.2.0/24 (holds ikeref's
#     address): ikeref narrows TSr to 192.0.2.2/32 (§2.9), charon accepts it ("config:
#     192.0.2.0/24, received: 192.0.2.2/32 => match: 192.0.2.2/32"), same checks as
#     charon-initiates.
# Usage: ikeref_charon_transport_test.sh PATH/TO/ikeref      Exit 0 pass, 1 fail, 77 skipped.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

if [ $# -lt 1 ] || [ -z "$1" ]; then iop_skip "usage: $0 PATH/TO/ikeref (no ikeref binary given)"; fi
IOP_IKEREF=$1
case "$IOP_IKEREF" in /*) ;; *) IOP_IKEREF="$PWD/$IOP_IKEREF" ;; esac
[ -x "$IOP_IKEREF" ] || iop_skip "ikeref binary '$1' missing or not executable"
iop_init
command -v jq >/dev/null || iop_skip "need jq to read 'ikeref list --json'"

PROPOSAL=aes256gcm16-prfsha256-x25519
A_ADDR=$IOP_ADDR_a
B_ADDR=$IOP_ADDR_b
CASES_FAILED=()
TIMINGS=()

# setup NAME CHARON_LOCAL_TS CHARON_REMOTE_TS: charon (a) with a transport child, ikeref (b)
# with a transport child of one address each, dropping the first INFORMATIONAL request it
# receives (charon's Delete of the CHILD SA it could not install); both running.
setup() {
    iop_case "$1"
    CASE=$1
    iop_swanctl_conn a home net "$PROPOSAL" "aes256gcm16-x25519, aes256gcm16" a.example.test b.example.test "$2" "$3"
    sed -i 's/^        mode = tunnel$/        mode = transport/' "$IOP_DIR/a/swanctl.conf"
    grep -q '^        mode = transport$' "$IOP_DIR/a/swanctl.conf" || iop_die "swanctl.conf: mode not set"
    iop_ikeref_conf b home net "$PROPOSAL" "aes256gcm16-x25519" b.example.test a.example.test "$B_ADDR" "$A_ADDR"
    sed -i 's/^esp_proposals = \["aes256gcm16-x25519"\]$/esp_proposals = ["aes256gcm16-x25519", "aes256gcm16"]\nmode          = "transport"/' \
        "$IOP_DIR/b/ikeref.toml"
    grep -q '^mode          = "transport"$' "$IOP_DIR/b/ikeref.toml" || iop_die "ikeref.toml: mode not set"
    cat >>"$IOP_DIR/b/ikeref.toml" <<'TOML'
[daemon.impair]
seed = 1
[[daemon.impair.rules]]
action = "drop"
direction = "in"
exchange = "INFORMATIONAL"
message = "request"
nth = 1
count = 1
TOML
    # charon retransmits its Delete after 3 s (not 1 s): the checks read ikeref's CHILD SA before
    iop_strongswan_conf a
    sed -i 's/^  retransmit_timeout = .*/  retransmit_timeout = 3.0/' "$IOP_DIR/a/strongswan.conf"
    iop_charon_start a
    iop_swanctl_load a
    iop_ikeref_start b || { iop_show_ikeref b; iop_die "ikeref daemon did not start"; }
}

# log_has SIDE EXPECTED WHAT ERE: count of lines of that side's log matching ERE (charon.log
# without hex dumps, or ikeref.log) compared with EXPECTED.
log_count() {
    local f="$IOP_DIR/$1/charon.log"
    [ "$1" = b ] && f="$IOP_DIR/b/ikeref.log"
    grep -v -E '\] (<[^>]*> )? +[0-9]+: [0-9A-F]{2} ' "$f" | grep -c -E "$2"
}

# check_ts_charon: charon selected TSi/TSr of one address each, the IKE SA's (§2.23.1).
check_ts_charon() {
    iop_check_eq "charon TS for us" 1 \
        "$(log_count a "config: [0-9./]+, received: $A_ADDR/32 => match: $A_ADDR/32\$" | sed 's/^[1-9][0-9]*$/1/')"
    iop_check_eq "charon TS for other" 1 \
        "$(log_count a "config: [0-9./]+, received: $B_ADDR/32 => match: $B_ADDR/32\$" | sed 's/^[1-9][0-9]*$/1/')"
    iop_check_eq "charon TS no other" 0 "$(log_count a '=> match: ' | awk -v n="$(log_count a "=> match: ($A_ADDR|$B_ADDR)/32\$")" '{ print $1 - n }')"
}

# check_ikeref_child: ikeref's one CHILD SA against charon's log and listing (charon initiated).
check_ikeref_child() {
    local J="$IOP_DIR/b/list.json" K="$IOP_DIR/a/keys.txt" A="$IOP_DIR/a/sas.txt"
    local q='[.ike_sas[] | select(.connection == "home")][0]'
    iop_charon_keys a >"$K"
    iop_charon_sas a >/dev/null
    iop_check_eq "ikeref IKE SA" Established "$(jq -r "$q.state // empty" "$J")"
    iop_check_eq "SPIi" "$(iop_key "$A" ike.initiator-spi)" "$(jq -r "$q.SPIi // empty" "$J")"
    iop_check_eq "SPIr" "$(iop_key "$A" ike.responder-spi)" "$(jq -r "$q.SPIr // empty" "$J")"
    iop_check_eq "ikeref children" 1 "$(jq -r "$q.children | length" "$J")"
    iop_check_eq "ikeref local_ts" "$B_ADDR/32" "$(jq -r "$q.children[0].local_ts | join(\" \")" "$J" | sed 's/\[.*//')"
    iop_check_eq "ikeref remote_ts" "$A_ADDR/32" "$(jq -r "$q.children[0].remote_ts | join(\" \")" "$J" | sed 's/\[.*//')"
    iop_check_eq "spi_in = charon out" "$(iop_key "$K" CHILD_spi_out)" "$(jq -r "$q.children[0].spi_in // empty" "$J")"
    iop_check_eq "spi_out = charon in" "$(iop_key "$K" CHILD_spi_in)" "$(jq -r "$q.children[0].spi_out // empty" "$J")"
    # charon initiated the exchange: initiator key = charon -> ikeref = ikeref's inbound (§2.17)
    iop_check_eq "encr_key_in" "$(iop_key "$K" CHILD_encr_i)" "$(jq -r "$q.children[0].encr_key_in // empty" "$J")"
    iop_check_eq "encr_key_out" "$(iop_key "$K" CHILD_encr_r)" "$(jq -r "$q.children[0].encr_key_out // empty" "$J")"
    iop_check_eq "SK_d" "$(iop_key "$K" SK_d)" "$(jq -r "$q.keys.SK_d // empty" "$J")"
}

# charon_initiates NAME CHARON_REMOTE_TS: swanctl --initiate of a transport child.
charon_initiates() {
    local fails_before=$IOP_FAILED t0 t1
    setup "$1" dynamic "$2"
    echo "=== $CASE: swanctl --initiate, charon remote_ts $2"
    # swanctl returns only after charon's Delete (3 s later): read both sides while ikeref still
    # holds the CHILD SA (charon has logged its keys once it tried to install the SA)
    local ipid limit J="$IOP_DIR/b/list.json"
    t0=$(iop_now_ms)
    iop_swanctl a --initiate --ike home --child net --timeout 10 >"$IOP_DIR/a/initiate.out" 2>&1 &
    ipid=$!
    limit=$((t0 + 2500))
    while :; do
        iop_ikeref b list --json --keys >"$J" 2>"$IOP_DIR/b/list.err"
        if [ "$(jq -r '[.ike_sas[] | select(.connection == "home")][0].children | length' "$J" 2>/dev/null)" = 1 ] &&
           [ "$(log_count a 'IPsec SA: unsupported mode')" = 2 ]; then
            break
        fi
        [ "$(iop_now_ms)" -lt "$limit" ] || break
        sleep 0.05
    done
    t1=$(iop_now_ms)
    TIMINGS+=("$CASE: swanctl --initiate: both sides read after $((t1 - t0)) ms")
    iop_check_eq "charon: IKE_AUTH req USE_TRANSP" 1 "$(log_count a 'generating IKE_AUTH request 1 \[.*N\(USE_TRANSP\)')"
    iop_check_eq "charon: IKE_AUTH resp USE_TRANSP" 1 "$(log_count a 'parsed IKE_AUTH response 1 \[.*N\(USE_TRANSP\)')"
    iop_check_eq "ikeref: IKE_AUTH req USE_TRANSP" 1 "$(log_count b 'IKE_AUTH request #1 \{.*N\(USE_TRANSPORT_MODE\)')"
    iop_check_eq "ikeref: IKE_AUTH resp USE_TRANSP" 1 "$(log_count b 'IKE_AUTH response #1 \{.*N\(USE_TRANSPORT_MODE\), SA, TSi, TSr')"
    check_ts_charon
    echo "  info charon: $(log_count a 'IPsec SA: unsupported mode') x 'IPsec SA: unsupported mode' (kernel-libipsec, see header)"
    check_ikeref_child
    wait "$ipid"
    [ "$IOP_FAILED" = "$fails_before" ] || { CASES_FAILED+=("$CASE"); iop_show_log a 40; iop_show_ikeref b 40; }
}

ikeref_initiates() {
    local fails_before=$IOP_FAILED t0 t1 rc J
    setup ikeref-initiates dynamic dynamic
    J="$IOP_DIR/b/list.json"
    echo "=== $CASE: ikeref initiate"
    t0=$(iop_now_ms)
    iop_ikeref b initiate home --child net --timeout 10 >"$IOP_DIR/b/initiate.out" 2>&1; rc=$?
    t1=$(iop_now_ms)
    TIMINGS+=("$CASE: ikeref initiate $((t1 - t0)) ms")
    echo "  info ikeref initiate exit status $rc: $(tr -d '\n' <"$IOP_DIR/b/initiate.out" | cut -c1-160)"
    iop_check_eq "ikeref: IKE_AUTH req USE_TRANSP" 1 "$(log_count b 'IKE_AUTH request #1 \{.*N\(USE_TRANSPORT_MODE\), SA, TSi, TSr')"
    iop_check_eq "charon: IKE_AUTH req USE_TRANSP" 1 "$(log_count a 'parsed IKE_AUTH request 1 \[.*N\(USE_TRANSP\)')"
    check_ts_charon
    # charon chose transport: it tried to install it (and could not, see header)
    iop_check_eq "charon tried transport SA" 2 "$(log_count a 'IPsec SA: unsupported mode')"
    iop_check_eq "charon: NO_PROPOSAL_CHOSEN" 1 "$(log_count a 'generating IKE_AUTH response 1 \[.*N\(NO_PROP\)')"
    iop_charon_sas a >/dev/null
    iop_ikeref b list --json --keys >"$J" 2>"$IOP_DIR/b/list.err"
    local q='[.ike_sas[] | select(.connection == "home")][0]'
    iop_check_eq "charon IKE SA" ESTABLISHED "$(iop_key "$IOP_DIR/a/sas.txt" ike.state)"
    iop_check_eq "ikeref IKE SA" Established "$(jq -r "$q.state // empty" "$J")"
    iop_check_eq "SPIi" "$(iop_key "$IOP_DIR/a/sas.txt" ike.initiator-spi)" "$(jq -r "$q.SPIi // empty" "$J")"
    iop_check_eq "SPIr" "$(iop_key "$IOP_DIR/a/sas.txt" ike.responder-spi)" "$(jq -r "$q.SPIr // empty" "$J")"
    iop_check_eq "ikeref children" 0 "$(jq -r "$q.children | length" "$J")"
    # the same through CREATE_CHILD_SA (§1.3.1) on the IKE SA left without a CHILD SA
    echo "--- $CASE: ikeref create-child"
    iop_ikeref b create-child home net --timeout 10 >"$IOP_DIR/b/create.out" 2>&1; rc=$?
    echo "  info ikeref create-child exit status $rc: $(tr -d '\n' <"$IOP_DIR/b/create.out" | cut -c1-160)"
    iop_check_eq "ikeref: CREATE_CHILD_SA USE_TRANSP" 1 "$(log_count b 'CREATE_CHILD_SA request #2 \{.*N\(USE_TRANSPORT_MODE\), SA, Ni, KE, TSi, TSr')"
    iop_check_eq "charon: CREATE_CHILD_SA USE_TRANSP" 1 "$(log_count a 'parsed CREATE_CHILD_SA request 2 \[.*N\(USE_TRANSP\)')"
    iop_check_eq "charon TS selections" 4 "$(log_count a "=> match: ($A_ADDR|$B_ADDR)/32\$")"
    check_ts_charon
    iop_check_eq "charon tried transport SA" 4 "$(log_count a 'IPsec SA: unsupported mode')"
    [ "$IOP_FAILED" = "$fails_before" ] || { CASES_FAILED+=("$CASE"); iop_show_log a 40; iop_show_ikeref b 40; }
}

# charon proposes transport with a remote subnet that does not hold ikeref's IKE address.
charon_subnet() {
    local fails_before=$IOP_FAILED rc t0 t1 J
    setup charon-subnet dynamic 10.2.0.0/24
    J="$IOP_DIR/b/list.json"
    echo "=== $CASE: swanctl --initiate, TSr 10.2.0.0/24 cannot be narrowed to $B_ADDR"
    t0=$(iop_now_ms)
    iop_swanctl a --initiate --ike home --child net --timeout 10 >"$IOP_DIR/a/initiate.out" 2>&1; rc=$?
    t1=$(iop_now_ms)
    TIMINGS+=("$CASE: swanctl --initiate $((t1 - t0)) ms")
    iop_check_eq "swanctl --initiate fails" yes "$([ "$rc" != 0 ] && echo yes || echo "no (exit 0)")"
    iop_check_eq "ikeref: N(TS_UNACCEPTABLE)" 1 "$(log_count b 'IKE_AUTH response #1 \{.*N\(TS_UNACCEPTABLE\)')"
    iop_check_eq "charon: TS_UNACCEPTABLE" 1 "$(log_count a 'received TS_UNACCEPTABLE notify')"
    iop_check_eq "charon: no SA install" 0 "$(log_count a 'IPsec SA: unsupported mode')"
    iop_charon_sas a >/dev/null
    iop_check_eq "charon IKE SA" ESTABLISHED "$(iop_key "$IOP_DIR/a/sas.txt" ike.state)"
    iop_check_eq "charon CHILD SAs" 0 "$(iop_key "$IOP_DIR/a/sas.txt" child_count)"
    iop_ikeref b list --json >"$J" 2>"$IOP_DIR/b/list.err"
    local q='[.ike_sas[] | select(.connection == "home")][0]'
    iop_check_eq "ikeref IKE SA" Established "$(jq -r "$q.state // empty" "$J")"
    iop_check_eq "ikeref children" 0 "$(jq -r "$q.children | length" "$J")"
    iop_check_eq "ikeref refusal" TS_UNACCEPTABLE "$(jq -r '.refusals[-1].notify // empty' "$J")"
    [ "$IOP_FAILED" = "$fails_before" ] || { CASES_FAILED+=("$CASE"); iop_show_log a 40; iop_show_ikeref b 40; }
}

T0=$(iop_now_ms)
for c in ${IOP_TRANSPORT_CASES:-charon-initiates ikeref-initiates charon-subnet charon-narrowed}; do
    case $c in
        charon-initiates) charon_initiates charon-initiates dynamic ;;
        ikeref-initiates) ikeref_initiates ;;
        charon-subnet) charon_subnet ;;
        charon-narrowed) charon_initiates charon-narrowed 192.0.2.0/24 ;;
        *) iop_die "unknown case $c" ;;
    esac
done
iop_case_end
echo "timings:"
printf '  %s\n' "${TIMINGS[@]}"
echo "total $(($(iop_now_ms) - T0)) ms"
if [ "${#CASES_FAILED[@]}" != 0 ]; then
    echo "FAILED cases: ${CASES_FAILED[*]} ($IOP_FAILED failed checks)"
    exit 1
fi
echo "PASS: transport mode, $IOP_CASE_NO case(s) ($IOP_FAILED failed checks; charon cannot install transport SAs here: no rekeys, no data plane; see header)"
exit 0
