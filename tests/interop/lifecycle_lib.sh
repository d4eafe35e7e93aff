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

