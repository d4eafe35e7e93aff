#!/usr/bin/env bash
# Interop: ikeref (namespace b, 192.0.2.2) against strongSwan charon (namespace a, 192.0.2.1).
# Usage: ikeref_charon_test.sh PATH/TO/ikeref
# Exit 0 pass, 1 fail, 77 skipped (no ikeref binary, not root, no ip netns, no charon).
#
# For each suite and each direction (ikeref initiates / charon initiates) it passes when:
#   - charon lists the IKE SA ESTABLISHED and the CHILD SA INSTALLED (swanctl --list-sas --raw);
#   - `ikeref list --json --keys` shows connection "home" in state "Established" with one child;
#   - original_initiator matches the direction; SPIi/SPIr equal charon's; ikeref's spi_in is
#     charon's spi-out and ikeref's spi_out is charon's spi-in;
#   - SK_d, SK_ei, SK_er, SK_pi, SK_pr (and SK_ai, SK_ar for the CBC suite) equal the values
#     charon logged, and the CHILD SA keys equal charon's "encryption/integrity initiator/
#     responder key" (ikeref as initiator: *_out = initiator key, *_in = responder key);
#   - the child uses UDP encapsulation (charon with kernel-libipsec always fakes a NAT) and
#     carries the configured traffic selectors.
# Each establishment is timed (ms). On failure both logs' relevant parts are printed.
# IOP_KEEP=1 keeps the work dir; IOP_KEEP_ON_FAIL=1 keeps it only when the test fails.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

if [ $# -lt 1 ] || [ -z "$1" ]; then
    iop_skip "usage: $0 PATH/TO/ikeref (no ikeref binary given)"
fi
IOP_IKEREF=$1
case "$IOP_IKEREF" in /*) ;; *) IOP_IKEREF="$PWD/$IOP_IKEREF" ;; esac
[ -f "$IOP_IKEREF" ] && [ -x "$IOP_IKEREF" ] || iop_skip "ikeref binary '$1' missing or not executable"

iop_init
command -v jq >/dev/null || command -v python3 >/dev/null ||
    iop_skip "need jq (apt install jq) or python3 to read 'ikeref list --json'"

SUITES=(
    "gcm|aes256gcm16-prfsha256-x25519|aes256gcm16"
    "cbc|aes256-sha256-modp2048|aes128-sha256"
)
# IOP_SUITES=gcm or IOP_DIRECTIONS=ikeref restrict the matrix (for debugging).
IOP_SUITES=${IOP_SUITES:-gcm cbc}
IOP_DIRECTIONS=${IOP_DIRECTIONS:-ikeref charon}
TIMINGS=()
CASES_FAILED=()
CASES_RUN=0

# run_case SUITE_NAME PROPOSAL ESP INITIATOR(ikeref|charon)
run_case() {
    local sname=$1 prop=$2 esp=$3 init=$4
    local case="$sname-$init-initiates"
    echo "=== $case: IKE $prop, ESP $esp, $init initiates"
    local fails_before=$IOP_FAILED
    CASES_RUN=$((CASES_RUN + 1))
    iop_case "$case"
    iop_swanctl_conn a home net "$prop" "$esp" a.example.test b.example.test 10.1.0.0/24 10.2.0.0/24
    iop_ikeref_conf b home net "$prop" "$esp" b.example.test a.example.test 10.2.0.0/24 10.1.0.0/24
    iop_charon_start a
    iop_swanctl_load a
    if ! iop_ikeref_start b; then
        echo "  FAIL ikeref daemon did not start"
        IOP_FAILED=$((IOP_FAILED + 1))
        CASES_FAILED+=("$case")
        iop_show_ikeref b
        return
    fi

    local t0 t1 rc
    t0=$(iop_now_ms)
    if [ "$init" = ikeref ]; then
        iop_ikeref b initiate home --child net --timeout 10 >"$IOP_DIR/b/initiate.out" 2>&1
        rc=$?
    else
        iop_swanctl a --initiate --ike home --child net --timeout 10 >"$IOP_DIR/a/initiate.out" 2>&1
        rc=$?
    fi
    t1=$(iop_now_ms)
    local wire=
    [ "$init" = charon ] && wire=$(iop_charon_wire_ms a)
    echo "  $init initiate: rc=$rc after $((t1 - t0)) ms${wire:+ (charon log: IKE_SA_INIT request -> CHILD_SA established $wire ms)}"
    TIMINGS+=("$case: initiate -> established $((t1 - t0)) ms${wire:+, charon log $wire ms}, ikeref control socket after ${IOP_IKEREF_READY_MS:-?} ms")
    iop_check_eq "initiate exit status" 0 "$rc" || {
        [ "$init" = ikeref ] && cat "$IOP_DIR/b/initiate.out"
        [ "$init" = charon ] && cat "$IOP_DIR/a/initiate.out"
    }

    # the responder may report a moment after the initiator returns
    iop_wait_charon_sa a 2000 || true
    iop_wait_ikeref_sa b home 2000 || true
    iop_charon_keys a >"$IOP_DIR/a/keys.txt"
    local A="$IOP_DIR/a/sas.txt" K="$IOP_DIR/a/keys.txt" J="$IOP_DIR/b/list.txt"
    [ -f "$J" ] || : >"$J"

    echo " charon (swanctl --list-sas --raw):"
    iop_check_eq "IKE SA state" ESTABLISHED "$(iop_key "$A" ike.state)"
    iop_check_eq "CHILD SA state" INSTALLED "$(iop_key "$A" child.state)"
    iop_check_eq "CHILD SA count" 1 "$(iop_key "$A" child_count)"
    iop_check_eq "UDP encapsulation" yes "$(iop_key "$A" child.encap)"
    iop_check_eq "remote (ikeref) port" 4500 "$(iop_key "$A" ike.remote-port)"
    if [ "$init" = charon ]; then
        iop_check_eq "charon is initiator" yes "$(iop_key "$A" ike.initiator)"
    else
        iop_check_absent "charon is initiator" "$(iop_key "$A" ike.initiator)"
    fi
    echo " ikeref (list --json --keys):"
    iop_check_eq "IKE SAs of 'home'" 1 "$(iop_key "$J" ike_count)"
    iop_check_eq "state" Established "$(iop_key "$J" ike.state)"
    iop_check_eq "children" 1 "$(iop_key "$J" ike.children_count)"
    iop_check_eq "original_initiator" "$([ "$init" = ikeref ] && echo true || echo false)" \
        "$(iop_key "$J" ike.original_initiator)"
    iop_check_eq "child name" net "$(iop_key "$J" ike.children.0.name)"
    iop_check_eq "udp_encapsulation" true "$(iop_key "$J" ike.children.0.udp_encapsulation)"
    iop_check_eq "local_ts" 10.2.0.0/24 "$(iop_key "$J" ike.children.0.local_ts.0)"
    iop_check_eq "remote_ts" 10.1.0.0/24 "$(iop_key "$J" ike.children.0.remote_ts.0)"
    echo "  info proposal: IKE '$(iop_key "$J" ike.proposal)', ESP '$(iop_key "$J" ike.children.0.proposal)'"
    echo " SPIs (ikeref vs charon):"
    iop_check_eq "SPIi" "$(iop_key "$A" ike.initiator-spi)" "$(iop_key "$J" ike.SPIi)"
    iop_check_eq "SPIr" "$(iop_key "$A" ike.responder-spi)" "$(iop_key "$J" ike.SPIr)"
    iop_check_eq "spi_in = charon spi-out" "$(iop_key "$A" child.spi-out)" "$(iop_key "$J" ike.children.0.spi_in)"
    iop_check_eq "spi_out = charon spi-in" "$(iop_key "$A" child.spi-in)" "$(iop_key "$J" ike.children.0.spi_out)"
    echo " IKE SA keys (ikeref vs charon's log):"
    local n
    for n in SK_d SK_ei SK_er SK_pi SK_pr; do
        iop_check_eq "$n" "$(iop_key "$K" "$n")" "$(iop_key "$J" "ike.keys.$n")"
    done
    if [ "$sname" = cbc ]; then
        for n in SK_ai SK_ar; do
            iop_check_eq "$n" "$(iop_key "$K" "$n")" "$(iop_key "$J" "ike.keys.$n")"
        done
    else
        # AEAD: no integrity keys (RFC 5282 §7); ikeref may omit them or print ""/null
        for n in SK_ai SK_ar; do
            local v; v=$(iop_key "$J" "ike.keys.$n"); [ "$v" = null ] && v=
            iop_check_absent "$n (AEAD)" "$v"
        done
    fi
    echo " CHILD SA keys (ikeref vs charon's log):"
    local own_out=i own_in=r
    [ "$init" = charon ] && { own_out=r; own_in=i; }
    iop_check_eq "encr_key_out" "$(iop_key "$K" CHILD_encr_$own_out)" "$(iop_key "$J" ike.children.0.encr_key_out)"
    iop_check_eq "encr_key_in" "$(iop_key "$K" CHILD_encr_$own_in)" "$(iop_key "$J" ike.children.0.encr_key_in)"
    if [ "$sname" = cbc ]; then
        iop_check_eq "integ_key_out" "$(iop_key "$K" CHILD_integ_$own_out)" "$(iop_key "$J" ike.children.0.integ_key_out)"
        iop_check_eq "integ_key_in" "$(iop_key "$K" CHILD_integ_$own_in)" "$(iop_key "$J" ike.children.0.integ_key_in)"
    else
        for n in integ_key_out integ_key_in; do
            local v; v=$(iop_key "$J" "ike.children.0.$n"); [ "$v" = null ] && v=
            iop_check_absent "$n (AEAD)" "$v"
        done
    fi

    if [ "$IOP_FAILED" != "$fails_before" ]; then
        CASES_FAILED+=("$case")
        iop_show_log a 60
        iop_show_ikeref b 60
    fi
}

for entry in "${SUITES[@]}"; do
    IFS='|' read -r sname prop esp <<<"$entry"
    case " $IOP_SUITES " in *" $sname "*) ;; *) continue ;; esac
    for init in $IOP_DIRECTIONS; do
        run_case "$sname" "$prop" "$esp" "$init"
    done
done
iop_case_end

echo "=== timings"
for t in "${TIMINGS[@]}"; do echo "  $t"; done
if [ "${#CASES_FAILED[@]}" != 0 ]; then
    echo "FAILED cases: ${CASES_FAILED[*]} ($IOP_FAILED failed checks)"
    exit 1
fi
echo "PASS: all $CASES_RUN ikeref<->charon cases"
exit 0
