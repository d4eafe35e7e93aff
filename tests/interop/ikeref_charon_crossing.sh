#!/usr/bin/env bash
# Interop: simultaneous rekeys between ikeref (namespace b) and charon (namespace a), made to
# cross with ikeref's impairing transport (src/io/impair.hpp, [daemon.impair]): ikeref's
# outbound CREATE_CHILD_SA request is held until charon's own CREATE_CHILD_SA request has
# arrived, then sent before that request reaches ikeref's Endpoint; so each side receives the
# other's rekey request while its own is in flight.
#   child: `ikeref rekey home --child SPI` and `swanctl --rekey --child net` (RFC 7296 §2.8.1)
#   ike:   `ikeref rekey home --ike` and `swanctl --rekey --ike home` (§2.8.2)
# Passes when the crossing really happened (ikeref's log shows the held request released on
# charon's request; charon's log shows ikeref's request parsed between its own request and
# the response to it) and both ends then keep exactly one surviving SA (one IKE SA, one CHILD
# SA) with the same SPIs and keys (lifecycle_check.py, polled up to IOP_CONVERGE_MS, see
# below), IOP_CROSS_ROUNDS (default 4) times on the same IKE SA: the lowest nonce decides which
# side's SA is redundant, so several rounds let both ends win and lose. Every round must
# converge; a round that did not cross (charon finished its own exchange first) is followed by
# another one, at most IOP_EXTRA_ROUNDS (default 2) more.
# Usage: ikeref_charon_crossing.sh PATH/TO/ikeref; IOP_RUNS="child ike" narrows; IOP_CAPTURE=1
# captures veth_b to $IOP_DIR/b/crossing.pcap (use with IOP_KEEP=1).
# Not a ctest script itself: ikeref_charon_crossing_test.sh runs it (both halves, with a retry).
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

# How long both ends may take to agree after a round (set before lifecycle_lib.sh, whose own
# default of 5000 would otherwise win). The slowest RFC-correct outcome, seen with charon 5.9.8
# whenever ikeref wins an IKE SA collision: charon processes our Delete of the old IKE SA
# before our response to its CREATE_CHILD_SA request (its IKE_SA manager drops a response #0
# that arrives while it processes our request #0, "ignoring request with ID 0, already
# processing", or the Delete's thread gets the IKE SA first), so it aborts its own rekey as
# §2.8.2 allows ("peer did not notice IKE_SA rekey collision, abort active rekeying") and
# never deletes the redundant IKE SA that exists only on our side. ikeref waits 3 retransmission
# timeouts for that Delete, then sends its own, which charon cannot answer; §2.4 lets ikeref
# conclude only after its retransmissions went unanswered: 3 t + t * sum(base^n, n = 0..tries)
# = 10.1 s with lib.sh's ikeref settings (t 1.0 s, base 1.4, 3 tries). Plus 5 s for a busy machine.
if [ -z "${IOP_CONVERGE_MS:-}" ]; then
    IOP_CONVERGE_MS=$(awk -v t="${IOP_RETRANSMIT_TIMEOUT:-1.0}" -v b="${IOP_RETRANSMIT_BASE:-1.4}" \
        -v n="${IOP_RETRANSMIT_TRIES:-3}" 'BEGIN { s = 3 * t; for (i = 0; i <= n; i++) s += t * b ^ i;
        printf "%d\n", s * 1000 + 5000 }')
fi
# shellcheck source=lifecycle_lib.sh
. "$HERE/lifecycle_lib.sh"
IOP_RUNS=${IOP_RUNS:-child ike}
IOP_CROSS_ROUNDS=${IOP_CROSS_ROUNDS:-4}

# Hold every outbound CREATE_CHILD_SA request until an inbound CREATE_CHILD_SA request passes
# (at most 4 s; a retransmission after 1 s is held again).
LIFE_IKEREF_EXTRA='[daemon.impair]
seed = 1
[[daemon.impair.rules]]
action = "delay"
direction = "out"
exchange = "CREATE_CHILD_SA"
message = "request"
nth = 1
count = 0
delay_ms = 4000
until = { direction = "in", exchange = "CREATE_CHILD_SA", message = "request" }'

# cross_check_overlap: the evidence that in this round both requests were in flight at the
# same time on each side (each count below grew since the previous round). Returns 1 when the
# round did not cross: on a busy machine charon may finish its own exchange before it parses
# ours (it then answers TEMPORARY_FAILURE, or NO_CHILD_SA for the CHILD SA it already rekeyed
# and deleted: §2.8.2's one-sided case, §2.25.1); that round must still converge, and
# run_crossing adds another round.
CROSS_PREV=(0 0 0)
cross_check_overlap() {
    local log="$IOP_DIR/b/ikeref.log" clog="$IOP_DIR/a/charon.log" rel ch ik crossed=1 k
    rel=$(grep -c 'impair: rule 1 (delay): released outbound CREATE_CHILD_SA request .* on inbound CREATE_CHILD_SA request' "$log")
    # charon: generating its request ... parsed ikeref's request ... parsed the response
    ch=$(awk '
        /generating CREATE_CHILD_SA request/ { mine=1; next }
        mine == 1 && /parsed CREATE_CHILD_SA request/ { crossed++; mine=2; next }
        /parsed CREATE_CHILD_SA response/ { mine=0 }
        END { print crossed+0 }' "$clog")
    # ikeref: sent its request, received charon's request before the response to its own
    ik=$(awk '
        /--> .* CREATE_CHILD_SA request/ { mine=1; next }
        mine == 1 && /<-- .* CREATE_CHILD_SA request/ { crossed++; mine=2; next }
        /<-- .* CREATE_CHILD_SA response/ { mine=0 }
        END { print crossed+0 }' "$log")
    if [ "$rel" -gt "${CROSS_PREV[0]}" ]; then
        echo "  ok   ikeref held its request until charon's arrived ($rel times): $(grep -o 'impair: rule 1 (delay): released.*' "$log" | tail -1)"
    else
        echo "  info no crossing: ikeref's request was not released by charon's (impair log: $(grep -o 'impair: .*' "$log" | tail -2 | tr '\n' ';'))"; crossed=0
    fi
    if [ "$ch" -gt "${CROSS_PREV[1]}" ]; then
        echo "  ok   charon parsed ikeref's CREATE_CHILD_SA request while its own was outstanding ($ch times)"
    else
        echo "  info no crossing: charon parsed ikeref's request after its own exchange ended ($(grep -o -E 'generating CREATE_CHILD_SA response [0-9]+ \[[^]]*\]' "$clog" | tail -1))"; crossed=0
    fi
    if [ "$ik" -gt "${CROSS_PREV[2]}" ]; then
        echo "  ok   ikeref received charon's request while its own was outstanding ($ik times)"
    else
        echo "  info no crossing: ikeref's log shows no request of charon's while its own was outstanding"; crossed=0
    fi
    CROSS_PREV=("$rel" "$ch" "$ik")
    echo "  info charon: $(grep -o -E '(CHILD_SA|IKE_SA) rekey collision (won|lost)[^,]*' "$clog" | tail -1)"
    # The slow outcome explained at IOP_CONVERGE_MS, so far in this case
    k=$(grep -c 'peer did not notice IKE_SA rekey collision, abort active rekeying' "$clog")
    if [ "$k" -gt 0 ]; then
        echo "  info charon aborted its IKE SA rekey on our Delete of the old IKE SA $k time(s) (§2.8.2); dropped responses: $(grep -c 'ignoring request with ID' "$clog")"
    fi
    [ "$crossed" = 1 ]
}

# run_crossing KIND(child|ike): IOP_CROSS_ROUNDS crossings on one IKE SA (the nonces decide
# who wins, §2.8: several rounds make both outcomes likely).
run_crossing() {
    local kind=$1
    CASE=crossing-$kind
    life_setup "$CASE" aes256gcm16
    if [ "${IOP_CAPTURE:-0}" = 1 ]; then  # $IOP_DIR/b/crossing.pcap, for diagnosis
        iop_exec b dumpcap -q -i veth_b -f udp -w "$IOP_DIR/b/crossing.pcap" >/dev/null 2>&1 &
        IOP_PIDS+=("$!")
        sleep 0.5
    fi
    life_step "ikeref initiate home" 1 ikeref_req initiate home --child net
    # Rounds until IOP_CROSS_ROUNDS of them crossed, at most IOP_EXTRA_ROUNDS (2) more.
    local round=0 extra=${IOP_EXTRA_ROUNDS:-2}
    CROSS_PREV=(0 0 0)
    CROSSED=0
    while [ "$CROSSED" -lt "$IOP_CROSS_ROUNDS" ] && [ "$round" -lt $((IOP_CROSS_ROUNDS + extra)) ]; do
        round=$((round + 1))
        cross_round "$kind" "$round"
    done
    STEPS_RUN=$((STEPS_RUN + 1))
    if [ "$CROSSED" -lt "$IOP_CROSS_ROUNDS" ]; then
        echo "  FAIL only $CROSSED of $round rounds crossed, want $IOP_CROSS_ROUNDS"
        STEPS_FAILED+=("$CASE: $CROSSED of $round rounds crossed")
    else
        echo "  ok   $CROSSED of $round rounds crossed"
    fi
}

# cross_round KIND ROUND: one crossing of both rekey requests, then the checks.
cross_round() {
    local kind=$1 round=$2 t0 t1 rc
    STEPS_RUN=$((STEPS_RUN + 1))
    echo "--- $CASE round $round: ikeref and charon rekey the $kind SA at the same moment"
    t0=$(iop_now_ms)
    if [ "$kind" = child ]; then
        iop_ikeref b rekey home --child "$(life_spi 0)" --timeout 15 >"$IOP_DIR/b/rekey.out" 2>&1 &
    else
        iop_ikeref b rekey home --ike --timeout 15 >"$IOP_DIR/b/rekey.out" 2>&1 &
    fi
    local ikeref_pid=$!
    sleep 0.3  # ikeref's request is held by now (it waits for charon's)
    if [ "$kind" = child ]; then
        iop_swanctl a --rekey --child net >"$IOP_DIR/a/rekey.out" 2>&1
    else
        iop_swanctl a --rekey --ike home >"$IOP_DIR/a/rekey.out" 2>&1
    fi
    echo "  info swanctl --rekey: exit $? ($(tr -d '\n' <"$IOP_DIR/a/rekey.out" | cut -c1-100))"
    wait "$ikeref_pid"
    rc=$?
    t1=$(iop_now_ms)
    echo "  info ikeref rekey: exit $rc after $((t1 - t0)) ms ($(tr -d '\n' <"$IOP_DIR/b/rekey.out" | cut -c1-200))"
    local ok=1
    cross_check_overlap && CROSSED=$((CROSSED + 1))
    local limit=$(($(iop_now_ms) + IOP_CONVERGE_MS)) t2
    while ! life_compare 1; do
        [ "$(iop_now_ms)" -lt "$limit" ] || break
        sleep 0.2
    done
    t2=$(iop_now_ms)
    grep -q FAIL "$IOP_DIR/check.out" && ok=0
    cat "$IOP_DIR/check.out"
    TIMINGS+=("$CASE round $round: both rekeys -> listings agree after $((t2 - t0)) ms (ikeref command $((t1 - t0)) ms, rc $rc)")
    if [ "$ok" = 0 ]; then
        STEPS_FAILED+=("$CASE round $round")
        iop_show_log a 60
        iop_show_ikeref b 60
    fi
}

T_START=$(iop_now_ms)
for r in $IOP_RUNS; do
    case $r in
        child | ike) run_crossing "$r" ;;
        *) iop_die "unknown run '$r' (child ike)" ;;
    esac
done
iop_case_end
echo "=== timings"
for t in "${TIMINGS[@]}"; do echo "  $t"; done
echo "  whole test: $(($(iop_now_ms) - T_START)) ms"
if [ "${#STEPS_FAILED[@]}" != 0 ]; then
    echo "FAILED (${#STEPS_FAILED[@]} of $STEPS_RUN): ${STEPS_FAILED[*]}"
    exit 1
fi
echo "PASS: all $STEPS_RUN crossing steps"
exit 0
