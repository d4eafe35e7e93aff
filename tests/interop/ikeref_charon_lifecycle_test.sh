#!/usr/bin/env bash
# Interop: the IKE SA lifecycle between ikeref (namespace b) and strongSwan charon (namespace a):
# CREATE_CHILD_SA for a new CHILD SA (RFC 7296 §1.3.1), CHILD SA rekey (§1.3.3), IKE SA rekey
# (§1.3.2, §2.18), CHILD SA delete and IKE SA delete (§1.4.1), each requested once by charon
# (swanctl) and once by ikeref (ikeref CLI), with charon as the original initiator and with
# ikeref as the original initiator; and a dead peer (charon stopped: ikeref's next request times
# out, §2.4, and the IKE SA is removed).
# Usage: ikeref_charon_lifecycle_test.sh PATH/TO/ikeref      Exit 0 pass, 1 fail, 77 skipped.
#
# After every step both sides must list the same SAs and keys (lifecycle_check.py): one IKE SA
# with equal SPIs, ikeref's SK_* equal to those charon logged for that IKE SA (after an IKE
# rekey: the new one), the expected number of CHILD SAs pairing up one to one by SPI, and each
# CHILD SA's keys equal to those charon logged for it. The requesting command must exit 0; the
# listing is polled until it matches (up to IOP_CONVERGE_MS, default 5000). Each step is timed.
# IOP_RUNS="charon ikeref dead sigterm" narrows the runs; IOP_KEEP=1 keeps the work dir.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

if [ $# -lt 1 ] || [ -z "$1" ]; then
    iop_skip "usage: $0 PATH/TO/ikeref (no ikeref binary given)"
fi
IOP_IKEREF=$1
case "$IOP_IKEREF" in /*) ;; *) IOP_IKEREF="$PWD/$IOP_IKEREF" ;; esac
if [ ! -f "$IOP_IKEREF" ] || [ ! -x "$IOP_IKEREF" ]; then
    iop_skip "ikeref binary '$1' missing or not executable"
fi
iop_init
command -v python3 >/dev/null || iop_skip "python3 is needed to compare the listings"
command -v jq >/dev/null || iop_skip "jq is needed to read 'ikeref list --json'"

# shellcheck source=lifecycle_lib.sh
. "$HERE/lifecycle_lib.sh"
IOP_RUNS=${IOP_RUNS:-charon ikeref dead sigterm}

# Charon is the original initiator; charon's child rekeys happen while there is one CHILD SA
# (swanctl --rekey --child names a child, not an SA). With PFS by default (ESP proposal
# aes256gcm16-x25519, IOP_LIFE_ESP_CHARON to change it): the IKE_AUTH CHILD SA has no KE
# (RFC 7296 §1.2), every CREATE_CHILD_SA for a CHILD SA carries KEi/KEr (§1.3.1, §1.3.3); the
# last step checks that in ikeref's log.
run_charon_initiates() {
    CASE=charon-initiates
    life_setup "$CASE" "${IOP_LIFE_ESP_CHARON:-aes256gcm16-x25519}"
    life_step "swanctl --initiate" 1 charon_req --initiate --ike home --child net --timeout 10
    life_step "swanctl --rekey --child net" 1 charon_req --rekey --child net
    life_step "swanctl --rekey --ike home" 1 charon_req --rekey --ike home
    life_step "ikeref create-child home net" 2 ikeref_req create-child home net
    life_step "ikeref rekey home --child" 2 life_rekey_child_ikeref
    life_step "ikeref rekey home --ike" 2 ikeref_req rekey home --ike
    life_step "ikeref delete-child home SPI" 1 life_delete_child_ikeref
    life_step "swanctl --rekey --child net after ikeref's IKE rekey" 1 charon_req --rekey --child net
    life_step "swanctl --terminate --ike home" - charon_req --terminate --ike home
    case "${IOP_LIFE_ESP_CHARON:-aes256gcm16-x25519}" in
        *x25519*|*modp*|*ecp*)
            STEPS_RUN=$((STEPS_RUN + 1))
            echo "--- $CASE: PFS: every CREATE_CHILD_SA of a CHILD SA carried KE (§1.3.1, §1.3.3)"
            local with without
            with=$(grep -cE 'CREATE_CHILD_SA (request|response) #[0-9]+ \{ SK \{ .*KE.*TSi' "$IOP_DIR/b/ikeref.log")
            without=$(grep -E 'CREATE_CHILD_SA (request|response) #[0-9]+ \{ SK \{ .*TSi' "$IOP_DIR/b/ikeref.log" | grep -vc 'KE')
            if [ "$with" -ge 8 ] && [ "$without" = 0 ]; then
                echo "  ok   $with CREATE_CHILD_SA messages with KE and TSi, none without KE"
            else
                echo "  FAIL $with CREATE_CHILD_SA messages with KE and TSi (want >= 8), $without without KE"
                STEPS_FAILED+=("$CASE: PFS")
            fi
            ;;
    esac
}

# ikeref is the original initiator; no PFS (IOP_LIFE_ESP_IKEREF to change it, see above).
run_ikeref_initiates() {
    CASE=ikeref-initiates
    life_setup "$CASE" "${IOP_LIFE_ESP_IKEREF:-aes256gcm16}"
    life_step "ikeref initiate home" 1 ikeref_req initiate home --child net
    life_step "swanctl --rekey --child net" 1 charon_req --rekey --child net
    life_step "swanctl --rekey --ike home" 1 charon_req --rekey --ike home
    life_step "ikeref create-child home net" 2 ikeref_req create-child home net
    life_step "ikeref rekey home --child" 2 life_rekey_child_ikeref
    life_step "ikeref rekey home --ike" 2 ikeref_req rekey home --ike
    life_step "ikeref delete-child home SPI" 1 life_delete_child_ikeref
    life_step "three ikeref create-child at once (window 1 towards charon, §2.3)" 4 life_three_creates
    life_step "ikeref rekey home --ike and create-child at once (§1.3.2)" 5 life_rekey_ike_and_create
    life_step "ikeref terminate home" - ikeref_req terminate home
}

# §2.4: charon disappears (killed, no Delete); ikeref's IKE rekey request is retransmitted
# (1.0 s, base 1.4, 3 tries: ~7 s) and then the IKE SA and its CHILD SA are removed.
run_dead_peer() {
    CASE=dead-peer
    life_setup "$CASE" aes256gcm16
    life_step "ikeref initiate home" 1 ikeref_req initiate home --child net
    STEPS_RUN=$((STEPS_RUN + 1))
    echo "--- $CASE: charon killed, ikeref rekey home --ike"
    # shellcheck disable=SC2154
    kill -KILL "$IOP_CHARON_PID_a" 2>/dev/null
    local t0 t1 rc
    t0=$(iop_now_ms)
    iop_ikeref b rekey home --ike --timeout 20 >"$IOP_DIR/step.out" 2>&1
    rc=$?
    t1=$(iop_now_ms)
    local ok=1
    if [ "$rc" = 0 ]; then
        echo "  FAIL rekey succeeded with charon dead: $(cat "$IOP_DIR/step.out")"; ok=0
    elif grep -q '"result":"failed"' "$IOP_DIR/step.out"; then
        echo "  ok   rekey failed after $((t1 - t0)) ms: $(cat "$IOP_DIR/step.out")"
    else
        echo "  FAIL rekey did not report failure: rc $rc $(cat "$IOP_DIR/step.out")"; ok=0
    fi
    iop_ikeref b list --json --keys >"$IOP_DIR/b/list.json" 2>&1
    local n
    n=$(jq '[.ike_sas[] | select(.connection == "home")] | length' "$IOP_DIR/b/list.json")
    if [ "$n" = 0 ]; then
        echo "  ok   ikeref lists no IKE SA of home"
    else
        echo "  FAIL ikeref still lists $n IKE SA(s) of home"; ok=0
    fi
    if grep -q 'remove CHILD SA home' "$IOP_DIR/b/ikeref.log"; then
        echo "  ok   CHILD SA removed from the backend"
    else
        echo "  FAIL no 'remove CHILD SA' in ikeref's log"; ok=0
    fi
    if grep -q 'IKE_SA_deleted home' "$IOP_DIR/b/ikeref.log"; then
        echo "  ok   IKE_SA_deleted reported"
    else
        echo "  FAIL no IKE_SA_deleted in ikeref's log"; ok=0
    fi
    TIMINGS+=("$CASE: rekey with the peer dead -> failed and removed after $((t1 - t0)) ms")
    [ "$ok" = 1 ] || { STEPS_FAILED+=("$CASE: dead peer"); iop_show_ikeref b 40; }
}

# SIGTERM to the ikeref daemon with an IKE SA up: like charon, ikeref deletes its IKE SAs
# (INFORMATIONAL Delete, §1.4.1) before it exits, so that charon keeps no stale SA.
run_sigterm() {
    CASE=sigterm
    life_setup "$CASE" aes256gcm16
    life_step "ikeref initiate home" 1 ikeref_req initiate home --child net
    STEPS_RUN=$((STEPS_RUN + 1))
    echo "--- $CASE: SIGTERM to the ikeref daemon"
    local pid t0 t1 ok=1
    pid=$(pgrep -f -- "--config $IOP_DIR/b/ikeref.toml" | head -1)
    t0=$(iop_now_ms)
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    t1=$(iop_now_ms)
    if kill -0 "$pid" 2>/dev/null; then
        echo "  FAIL the daemon still runs $((t1 - t0)) ms after SIGTERM"; ok=0
    else
        echo "  ok   the daemon exited $((t1 - t0)) ms after SIGTERM"
    fi
    if grep -q "deleting 1 connection(s)' IKE SAs" "$IOP_DIR/b/ikeref.log"; then
        echo "  ok   ikeref deleted its IKE SA first"
    else
        echo "  FAIL no 'deleting ... IKE SAs' in ikeref's log"; ok=0
    fi
    local n
    n=$(iop_swanctl a --list-sas --raw 2>&1 | grep -c 'home {')
    if [ "$n" = 0 ]; then
        echo "  ok   charon lists no IKE SA of home (it got the Delete)"
    else
        echo "  FAIL charon still lists $n IKE SA(s) of home"; ok=0
    fi
    TIMINGS+=("$CASE: SIGTERM -> Delete answered and daemon gone after $((t1 - t0)) ms")
    [ "$ok" = 1 ] || { STEPS_FAILED+=("$CASE: SIGTERM"); iop_show_ikeref b 40; }
}

T_START=$(iop_now_ms)
for r in $IOP_RUNS; do
    case $r in
        charon) run_charon_initiates ;;
        ikeref) run_ikeref_initiates ;;
        dead) run_dead_peer ;;
        sigterm) run_sigterm ;;
        *) iop_die "unknown run '$r' (charon ikeref dead sigterm)" ;;
    esac
done
iop_case_end
echo "=== timings"
for t in "${TIMINGS[@]}"; do echo "  $t"; done
echo "  whole test: $(($(iop_now_ms) - T_START)) ms"
if [ "${#STEPS_FAILED[@]}" != 0 ]; then
    echo "FAILED steps (${#STEPS_FAILED[@]} of $STEPS_RUN):"
    for s in "${STEPS_FAILED[@]}"; do echo "  $s"; done
    exit 1
fi
echo "PASS: all $STEPS_RUN lifecycle steps"
exit 0
