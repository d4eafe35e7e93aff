#!/usr/bin/env bash
# The conformance runner against strongSwan's charon (issue 6, item 6).
# Usage: conform_charon_test.sh PATH/TO/ikeref      Exit 0 pass, 1 fail, 77 skipped.
#
# charon in namespace a (192.0.2.1; lib.sh's strongswan.conf plus DoS thresholds raised so the
# runner's many half-open IKE SAs never trigger cookies or blocking); `ikeref conform --profile
# conformance/profiles/charon.toml` in namespace b (192.0.2.2). The test passes when the cases
# that FAIL, WARN or ERROR are exactly those listed in conformance/expected_failures (one line
# per case: "<case>  RFC 7296 §x: <the RFC words charon's answer breaks>").
# CONFORM_CASES narrows the run (glob, comma separated); the full catalogue is the default and
# fits the 300 s ctest budget (about 2 minutes). IOP_KEEP=1 keeps junit.xml and report.txt.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"

[ $# -ge 1 ] && [ -n "$1" ] || iop_skip "usage: $0 PATH/TO/ikeref"
IOP_IKEREF=$1
case "$IOP_IKEREF" in /*) ;; *) IOP_IKEREF="$PWD/$IOP_IKEREF" ;; esac
[ -x "$IOP_IKEREF" ] || iop_skip "ikeref binary '$1' missing or not executable"
iop_init

iop_case conform-charon
iop_swanctl_conn a home net aes128-sha256-ecp256 aes128-sha256 a.example.test b.example.test 10.1.0.0/24 10.2.0.0/24
# a second connection for the configuration payload cases (G14): identity cp.example.test,
# an address pool, remote_ts dynamic (narrowed to the assigned address); charon then demands a
# CP from that identity (FAILED_CP_REQUIRED otherwise), which is capability cp-required
cat >>"$IOP_DIR/a/swanctl.conf" <<EOF2
connections {
  cp {
    version = 2
    local_addrs = $IOP_ADDR_a
    remote_addrs = $IOP_ADDR_b
    proposals = aes128-sha256-ecp256
    rekey_time = 0
    reauth_time = 0
    pools = p1
    local {
      auth = psk
      id = a.example.test
    }
    remote {
      auth = psk
      id = cp.example.test
    }
    children {
      cpnet {
        local_ts = 10.1.0.0/24
        esp_proposals = aes128-sha256
        rekey_time = 0
      }
    }
  }
}
secrets {
  ike-cp {
    id-l = a.example.test
    id-r = cp.example.test
    secret = "$IOP_PSK"
  }
}
pools {
  p1 {
    addrs = 10.2.0.100-10.2.0.200
  }
}
EOF2
iop_strongswan_conf a
# the runner opens hundreds of half-open IKE SAs from one address: keep charon's DoS
# protection (cookies from 30 half-open SAs, blocking from 5 per peer) out of the way
sed -i 's/^  half_open_timeout = 10$/  half_open_timeout = 10\n  cookie_threshold = 1000000\n  block_threshold = 1000000\n  init_limit_half_open = 0\n  cookie_threshold_ip = 1000000\n  dos_protection = no\n  reuse_ikesa = no/' \
    "$IOP_DIR/a/strongswan.conf"
iop_charon_start a
iop_swanctl_load a

export CHARON_CONF="$IOP_DIR/a/strongswan.conf" CONFORM_TRIGGER_LOG="$IOP_DIR/triggers.log"
t0=$(iop_now_ms)
iop_exec b "$IOP_IKEREF" conform --profile "$ROOT/conformance/profiles/charon.toml" \
    --junit "$IOP_DIR/junit.xml" --report "$IOP_DIR/report.txt" --failures "$IOP_DIR/failures.txt" \
    --cases "${CONFORM_CASES:-*}" -v 2>"$IOP_DIR/conform.err" | tee "$IOP_DIR/conform.out"
rc=${PIPESTATUS[0]}
echo "conform finished in $(( ($(iop_now_ms) - t0) / 1000 )) s (rc $rc)"
[ "$rc" -le 1 ] || { cat "$IOP_DIR/conform.err"; iop_die "ikeref conform could not run"; }
[ -n "${CONFORM_JUNIT_OUT:-}" ] && cp "$IOP_DIR/junit.xml" "$CONFORM_JUNIT_OUT"
[ -n "${CONFORM_REPORT_OUT:-}" ] && cp "$IOP_DIR/report.txt" "$CONFORM_REPORT_OUT"

awk '{print $1}' "$IOP_DIR/failures.txt" | sort -u >"$IOP_DIR/actual"
grep -v '^#' "$ROOT/conformance/expected_failures" | awk 'NF {print $1}' | sort -u >"$IOP_DIR/expected"
if [ "${CONFORM_CASES:-*}" != "*" ]; then
    grep -o 'name="[^"]*"' "$IOP_DIR/junit.xml" | sed 's/name="//;s/"$//' | sort -u >"$IOP_DIR/ran"
    comm -12 "$IOP_DIR/expected" "$IOP_DIR/ran" >"$IOP_DIR/expected.ran" && mv "$IOP_DIR/expected.ran" "$IOP_DIR/expected"
fi
if ! diff -u "$IOP_DIR/expected" "$IOP_DIR/actual" >"$IOP_DIR/diff"; then
    echo "FAIL: failures differ from conformance/expected_failures (- expected, + actual):"
    cat "$IOP_DIR/diff"
    echo "----- report (failures) -----"
    awk '/^(FAIL|WARN|ERROR) /{p=1} /^(PASS|SKIP|NOTE) /{p=0} p' "$IOP_DIR/report.txt" | head -400
    iop_show_log a 40
    exit 1
fi
echo "PASS: charon's failures are exactly the $(wc -l <"$IOP_DIR/expected") cited in conformance/expected_failures"
exit 0
