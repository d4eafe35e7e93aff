#!/usr/bin/env bash
# The conformance runner against ikeref's own daemon (issue 6, item 6).
# Usage: conform_ikeref_test.sh PATH/TO/ikeref      Exit 0 pass, 1 fail, 77 skipped.
#
# ikeref daemon in namespace a (192.0.2.1, ports 500/4500; connection home with PFS-optional ESP
# proposals, connection cp with an address pool) plus a second daemon that demands a
# COOKIE for every IKE_SA_INIT (ports 1500/14500, capability cookie-mode); `ikeref conform
# --profile conformance/profiles/ikeref.toml` in namespace b (192.0.2.2). Every implemented
# case must pass or be skipped, except the cases listed in conformance/runner/KNOWN_IKEREF_BUGS.md
# (lines "- `<case>`"), which must fail: the test fails when the set of failures differs.
# CONFORM_CASES narrows the run (glob); IOP_KEEP=1 keeps the work dir with junit.xml and report.txt.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"

[ $# -ge 1 ] && [ -n "$1" ] || iop_skip "usage: $0 PATH/TO/ikeref"
IOP_IKEREF=$1
case "$IOP_IKEREF" in /*) ;; *) IOP_IKEREF="$PWD/$IOP_IKEREF" ;; esac
[ -x "$IOP_IKEREF" ] || iop_skip "ikeref binary '$1' missing or not executable"
iop_init

iop_case conform-ikeref
iop_ikeref_conf a home net aes128-sha256-ecp256 aes128-sha256 a.example.test b.example.test 10.1.0.0/24 10.2.0.0/24
# capability pfs (profile proposals.pfs_group = 19): CHILD SAs of CREATE_CHILD_SA with or without
# a D-H group; with one, group 19 only, so KEi(31) gets INVALID_KE_PAYLOAD(19) (§1.3). IKE_AUTH
# leaves the group out (§1.2).
sed -i 's/^esp_proposals = \["aes128-sha256"\]$/esp_proposals = ["aes128-sha256-ecp256", "aes128-sha256"]/' "$IOP_DIR/a/ikeref.toml"
grep -q '^esp_proposals = \["aes128-sha256-ecp256", "aes128-sha256"\]$' "$IOP_DIR/a/ikeref.toml" ||
    iop_die "could not set the PFS esp_proposals"
# capabilities cp-pool and cp-required: a second connection for the configuration payload cases
# (G14), as in conform_charon_test.sh: identity cp.example.test, virtual IPs from pool p1 (the
# profile's traffic_selectors.pool), remote_ts 0.0.0.0/0 narrowed to the assigned address
# (§2.19). The responder picks it by IDi (§2.15). With pools, a CP is required (FAILED_CP_REQUIRED
# without one), as in strongSwan.
cat >>"$IOP_DIR/a/ikeref.toml" <<EOF2
[connections.cp]
local_addrs  = ["$IOP_ADDR_a"]
remote_addrs = ["$IOP_ADDR_b"]
proposals    = ["aes128-sha256-ecp256"]
pools        = ["p1"]
[connections.cp.local]
auth = "psk"
id   = "a.example.test"
[connections.cp.remote]
auth = "psk"
id   = "cp.example.test"
[connections.cp.children.cpnet]
local_ts      = ["10.1.0.0/24"]
remote_ts     = ["0.0.0.0/0"]
esp_proposals = ["aes128-sha256"]
[secrets.ike-cp]
id     = ["cp.example.test", "a.example.test"]
secret = "$IOP_PSK"
[pools.p1]
addrs = "10.2.0.100-10.2.0.200"
EOF2
cat >>"$IOP_DIR/a/ikeref.toml" <<EOF2
[daemon.gate]
cookies = "never"
half_open_threshold = 1000000
EOF2
# capability window>1 (profile features.window_size = 5): SET_WINDOW_SIZE 5 in IKE_AUTH (§2.3)
sed -i 's/^ike_port = 500$/ike_port = 500\nwindow_size = 5/' "$IOP_DIR/a/ikeref.toml"
grep -q '^window_size = 5$' "$IOP_DIR/a/ikeref.toml" || iop_die "could not set window_size"
# the cookie-mode listener: same policy, other ports, COOKIE demanded for every IKE_SA_INIT
mkdir -p "$IOP_DIR/a2"
sed -e 's/^ike_port = 500/ike_port = 1500/' -e 's/^nat_t_port = 4500/nat_t_port = 14500/' \
    -e 's/^cookies = "never"/cookies = "always"/' "$IOP_DIR/a/ikeref.toml" >"$IOP_DIR/a2/ikeref.toml"
iop_ikeref_start a || iop_die "ikeref daemon did not start"
ip netns exec "$(iop_ns a)" "$IOP_IKEREF" daemon --config "$IOP_DIR/a2/ikeref.toml" \
    --control "$IOP_DIR/a2/ikeref.sock" --log "$IOP_DIR/a2/ikeref.log" >"$IOP_DIR/a2/ikeref.stdout" 2>&1 &
IOP_PIDS+=("$!")

export IKEREF_BIN="$IOP_IKEREF" IKEREF_CONTROL="$IOP_DIR/a/ikeref.sock" CONFORM_TRIGGER_LOG="$IOP_DIR/triggers.log"
t0=$(iop_now_ms)
iop_exec b "$IOP_IKEREF" conform --profile "$ROOT/conformance/profiles/ikeref.toml" \
    --junit "$IOP_DIR/junit.xml" --report "$IOP_DIR/report.txt" --failures "$IOP_DIR/failures.txt" \
    --cases "${CONFORM_CASES:-*}" -v 2>"$IOP_DIR/conform.err" | tee "$IOP_DIR/conform.out"
rc=${PIPESTATUS[0]}
echo "conform finished in $(( ($(iop_now_ms) - t0) / 1000 )) s (rc $rc)"
[ "$rc" -le 1 ] || { cat "$IOP_DIR/conform.err"; iop_die "ikeref conform could not run"; }
[ -n "${CONFORM_JUNIT_OUT:-}" ] && cp "$IOP_DIR/junit.xml" "$CONFORM_JUNIT_OUT"
[ -n "${CONFORM_REPORT_OUT:-}" ] && cp "$IOP_DIR/report.txt" "$CONFORM_REPORT_OUT"

awk '{print $1}' "$IOP_DIR/failures.txt" | sort -u >"$IOP_DIR/actual"
sed -n 's/^- `\([^`]*\)`.*/\1/p' "$ROOT/conformance/runner/KNOWN_IKEREF_BUGS.md" 2>/dev/null | sort -u >"$IOP_DIR/expected"
if [ "${CONFORM_CASES:-*}" != "*" ]; then
    # a narrowed run: only the expected failures among the cases that ran
    grep -o 'name="[^"]*"' "$IOP_DIR/junit.xml" | sed 's/name="//;s/"$//' | sort -u >"$IOP_DIR/ran"
    comm -12 "$IOP_DIR/expected" "$IOP_DIR/ran" >"$IOP_DIR/expected.ran" && mv "$IOP_DIR/expected.ran" "$IOP_DIR/expected"
fi
if ! diff -u "$IOP_DIR/expected" "$IOP_DIR/actual" >"$IOP_DIR/diff"; then
    echo "FAIL: failures differ from conformance/runner/KNOWN_IKEREF_BUGS.md (- expected, + actual):"
    cat "$IOP_DIR/diff"
    echo "----- report (failures) -----"
    awk '/^(FAIL|WARN|ERROR) /{p=1} /^(PASS|SKIP|NOTE) /{p=0} p' "$IOP_DIR/report.txt" | head -300
    exit 1
fi
echo "PASS: every implemented case passed or was skipped (known ikeref bugs: $(wc -l <"$IOP_DIR/expected"))"
exit 0
