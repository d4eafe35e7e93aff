# shellcheck shell=bash
# Helpers shared by ikeref_charon_lifecycle_test.sh and ikeref_charon_crossing*.sh (sourced after
# lib.sh and iop_init): charon in namespace a and ikeref in b with connection "home", child
# "net"; a step runs one request and then polls until both sides list the same SAs and keys
# (lifecycle_check.py). Sets/uses CASE, STEPS_RUN, STEPS_FAILED, TIMINGS.

PROPOSAL=aes256gcm16-prfsha256-x25519
IOP_CONVERGE_MS=${IOP_CONVERGE_MS:-5000}
STEPS_RUN=0
STEPS_FAILED=()
TIMINGS=()

LIFE_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# life_setup NAME ESP: fresh namespaces, charon (a) and ikeref (b) configured and running.
# LIFE_IKEREF_EXTRA: TOML appended to ikeref's config (e.g. a [daemon.impair] table).
life_setup() {
    iop_case "$1"
    iop_swanctl_conn a home net "$PROPOSAL" "$2" a.example.test b.example.test 10.1.0.0/24 10.2.0.0/24
    iop_ikeref_conf b home net "$PROPOSAL" "$2" b.example.test a.example.test 10.2.0.0/24 10.1.0.0/24
    # §2.3: ikeref announces a window of 5 (SET_WINDOW_SIZE in IKE_AUTH); charon announces none,
    # so ikeref must keep to one request in flight (life_three_creates checks it).
    sed -i 's/^ike_port = 500$/ike_port = 500\nwindow_size = 5/' "$IOP_DIR/b/ikeref.toml"
    [ -n "${LIFE_IKEREF_EXTRA:-}" ] && printf '%s\n' "$LIFE_IKEREF_EXTRA" >>"$IOP_DIR/b/ikeref.toml"
    iop_charon_start a
    iop_swanctl_load a
    iop_ikeref_start b || { iop_show_ikeref b; iop_die "ikeref daemon did not start"; }
}

# life_spi N: spi_in (8 hex) of ikeref's N-th CHILD SA of "home" (0-based), from a fresh list.
life_spi() {
    iop_ikeref b list --json --keys >"$IOP_DIR/b/spi.json" 2>/dev/null
    jq -r --argjson n "$1" '[.ike_sas[] | select(.connection == "home" and .state == "Established")][0].children[$n].spi_in // empty' \
        "$IOP_DIR/b/spi.json"
}

# life_compare WANT: one comparison into $IOP_DIR/check.out; 0 when it passes.
life_compare() {
    iop_swanctl a --list-sas --raw >"$IOP_DIR/a/list-sas.raw" 2>&1
    iop_ikeref b list --json --keys >"$IOP_DIR/b/list.json" 2>"$IOP_DIR/b/list.err"
    python3 "$LIFE_HERE/lifecycle_check.py" "$IOP_DIR/a/list-sas.raw" "$IOP_DIR/a/charon.log" \
        "$IOP_DIR/b/list.json" home "$1" >"$IOP_DIR/check.out" 2>&1
}

# life_step NAME WANT CMD...: run CMD (a swanctl or ikeref request), require exit 0, then poll
# until both listings agree with WANT CHILD SAs ("-": no IKE SA on either side).
life_step() {
    local name=$1 want=$2 t0 t1 t2 rc
    shift 2
    STEPS_RUN=$((STEPS_RUN + 1))
    echo "--- $CASE: $name"
    t0=$(iop_now_ms)
    "$@" >"$IOP_DIR/step.out" 2>&1
    rc=$?
    t1=$(iop_now_ms)
    local ok=1
    if [ "$rc" != 0 ]; then
        echo "  FAIL $* exited $rc:"; sed 's/^/       /' "$IOP_DIR/step.out"
        ok=0
    else
        echo "  ok   request: exit 0 after $((t1 - t0)) ms ($(tr -d '\n' <"$IOP_DIR/step.out" | cut -c1-150))"
    fi
    local limit=$((t1 + IOP_CONVERGE_MS))
    while ! life_compare "$want"; do
        [ "$(iop_now_ms)" -lt "$limit" ] || break
        sleep 0.1
    done
    t2=$(iop_now_ms)
    if grep -q FAIL "$IOP_DIR/check.out"; then ok=0; fi
    cat "$IOP_DIR/check.out"
    TIMINGS+=("$CASE: $name: request $((t1 - t0)) ms, listings agree after $((t2 - t1)) ms")
    if [ "$ok" = 0 ]; then
        STEPS_FAILED+=("$CASE: $name")
        iop_show_log a 40
        iop_show_ikeref b 40
    fi
}

ikeref_req() { iop_ikeref b "$@" --timeout 10; }
charon_req() { iop_swanctl a "$@"; }
life_rekey_child_ikeref() { ikeref_req rekey home --child "$(life_spi 0)"; }
life_delete_child_ikeref() { ikeref_req delete-child home "$(life_spi 1)"; }
# Three create-child requests at once: with charon (window 1, no SET_WINDOW_SIZE) ikeref sends
# them one after the other; a second request in flight would be dropped by charon and show up
# as a retransmission in ikeref's log.
life_three_creates() {
    local pids=() rc=0 p from
    from=$(wc -l <"$IOP_DIR/b/ikeref.log")
    for i in 1 2 3; do
        ikeref_req create-child home net >"$IOP_DIR/b/create$i.out" 2>&1 &
        pids+=("$!")
    done
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    if tail -n "+$((from + 1))" "$IOP_DIR/b/ikeref.log" | grep -q 'retransmission [0-9]* of request'; then
        echo "  ikeref retransmitted a request: more than one in flight towards charon?" >&2
        tail -n "+$((from + 1))" "$IOP_DIR/b/ikeref.log" | grep 'retransmission [0-9]* of request' | head -3 >&2
        rc=1
    fi
    # each request reports its own new CHILD SA
    local spis
    spis=$(cat "$IOP_DIR"/b/create[123].out | jq -r '.spi_in // empty' | sort -u | wc -l)
    if [ "$spis" != 3 ]; then
        echo "  the three create-child requests reported $spis distinct CHILD SAs, not 3" >&2
        rc=1
    fi
    return $rc
}


# life_rekey_ike_and_create: ikeref's IKE SA rekey and a create-child asked at once. A create that
# arrives while the rekey is in flight waits and goes out on the new IKE SA (RFC 7296 §1.3.2);
# either way both must succeed (before, an overlap was refused: "no established IKE SA").
life_rekey_ike_and_create() {
    local rekey_pid rc=0 from
    from=$(wc -l <"$IOP_DIR/b/ikeref.log")
    ikeref_req rekey home --ike >"$IOP_DIR/b/rekey-create-1.out" 2>&1 &
    rekey_pid=$!
    ikeref_req create-child home net >"$IOP_DIR/b/rekey-create-2.out" 2>&1 || rc=1
    wait "$rekey_pid" || rc=1
    # Informational (first on the step's line): the create waited for the rekey when it went out
    # as the new IKE SA's first request (#0) before the old IKE SA's Delete.
    if tail -n "+$((from + 1))" "$IOP_DIR/b/ikeref.log" | grep -E 'CREATE_CHILD_SA request #0 \{ SK \{ SA, Ni, TSi|INFORMATIONAL request #[0-9]+ \{ SK \{ D \} \}' |
        head -1 | grep -q 'CREATE_CHILD_SA'; then
        echo "overlap: the create waited for the IKE SA rekey, then went first on the new IKE SA; "
    else
        echo "no overlap this time; "
    fi
    cat "$IOP_DIR/b/rekey-create-1.out" "$IOP_DIR/b/rekey-create-2.out"
    return $rc
}
