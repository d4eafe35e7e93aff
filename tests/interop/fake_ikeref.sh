#!/usr/bin/env bash
# Test double for the harness: implements ikeref's command-line interface on top of a second
# strongSwan charon, so ikeref_charon_test.sh can be exercised before ikeref exists:
#   bash ikeref_charon_test.sh tests/interop/fake_ikeref.sh      (must PASS)
#   FAKE_IKEREF_CORRUPT=SK_ei bash ikeref_charon_test.sh tests/interop/fake_ikeref.sh (must FAIL)
# Not a test itself (not named *_test.sh). Subcommands, as ikeref's:
#   daemon --config FILE --control SOCK --log LOGFILE   foreground; TOML as in README.md
#   initiate CONN --child CHILD --control SOCK [--timeout S]
#   list --json [--keys] --control SOCK
# FAKE_IKEREF_CORRUPT=NAME flips the last hex digit of that key in `list` (SK_d, SK_ei, ...,
# encr_key_in, spi_in, SPIi, ...) to prove the test notices a wrong value.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

sub=${1:-}; shift || true
CONFIG='' CONTROL='' LOG='' CONN='' CHILD='' TIMEOUT=10 JSON=0 KEYS=0
while [ $# -gt 0 ]; do
    case "$1" in
        --config) CONFIG=$2; shift 2 ;;
        --control) CONTROL=$2; shift 2 ;;
        --log) LOG=$2; shift 2 ;;
        --child) CHILD=$2; shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        --json) JSON=1; shift ;;
        --keys) KEYS=1; shift ;;
        -*) echo "fake_ikeref: unknown option $1" >&2; exit 2 ;;
        *) CONN=$1; shift ;;
    esac
done
[ -n "$CONTROL" ] || { echo "fake_ikeref: --control SOCK required" >&2; exit 2; }
STATE="$CONTROL.d"
export STRONGSWAN_CONF="$STATE/strongswan.conf"

case "$sub" in
daemon)
    [ -n "$CONFIG" ] && [ -n "$LOG" ] || { echo "fake_ikeref daemon: --config and --log required" >&2; exit 2; }
    mkdir -p "$STATE"
    echo "$LOG" >"$STATE/logpath"
    # TOML (strongSwan vocabulary) -> swanctl.conf
    python3 - "$CONFIG" "$STATE/swanctl.conf" <<'PY' || exit 2
import sys, tomllib
cfg = tomllib.load(open(sys.argv[1], "rb"))
out = ["connections {"]
for name, c in cfg.get("connections", {}).items():
    out += ["  %s {" % name, "    version = 2",
            "    local_addrs = " + ",".join(c["local_addrs"]),
            "    remote_addrs = " + ",".join(c["remote_addrs"]),
            "    proposals = " + ",".join(c["proposals"]),
            "    rekey_time = 0", "    reauth_time = 0", "    dpd_delay = 0",
            "    local { auth = %s\n      id = %s }" % (c["local"]["auth"], c["local"]["id"]),
            "    remote { auth = %s\n      id = %s }" % (c["remote"]["auth"], c["remote"]["id"]),
            "    children {"]
    for cn, ch in c.get("children", {}).items():
        out += ["      %s {" % cn,
                "        local_ts = " + ",".join(ch["local_ts"]),
                "        remote_ts = " + ",".join(ch["remote_ts"]),
                "        esp_proposals = " + ",".join(ch["esp_proposals"]),
                "        mode = tunnel", "        rekey_time = 0", "        start_action = none",
                "      }"]
    out += ["    }", "  }"]
out += ["}", "secrets {"]
for name, s in cfg.get("secrets", {}).items():
    out += ["  %s {" % name]
    out += ["    id-%d = %s" % (i, x) for i, x in enumerate(s["id"])]
    out += ['    secret = "%s"' % s["secret"], "  }"]
out += ["}"]
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
    cat >"$STRONGSWAN_CONF" <<EOF
charon {
  load_modular = no
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey curve25519 sha1 sha2 hmac gcm ccm ctr xcbc cmac chapoly aes gmp kdf kernel-libipsec kernel-netlink socket-default vici
  install_routes = no
  retransmit_timeout = 1.0
  retransmit_base = 1.4
  retransmit_tries = 2
  plugins { vici { socket = unix://$STATE/charon.vici } }
  filelog {
    keys { path = $LOG
      append = no
      flush_line = yes
      time_format = %H:%M:%S
      time_add_ms = yes
      ike_name = yes
      default = 1
      ike = 4
      chd = 4 }
    stderr { default = 0 }
  }
  syslog { daemon { default = -1 } auth { default = -1 } }
}
swanctl { socket = unix://$STATE/charon.vici }
EOF
    # we run inside `ip netns exec`, which gives a private mount namespace: own /run
    mount -t tmpfs x /run || exit 2
    /usr/lib/ipsec/charon &
    cpid=$!
    trap 'kill -TERM $cpid 2>/dev/null; wait $cpid 2>/dev/null; rm -f "$CONTROL"; exit 0' TERM INT HUP
    for _ in $(seq 1 500); do [ -S "$STATE/charon.vici" ] && break; sleep 0.01; done
    swanctl --load-all --noprompt --file "$STATE/swanctl.conf" >"$STATE/load.out" 2>&1 ||
        { cat "$STATE/load.out" >&2; kill $cpid; exit 2; }
    ln -s "$STATE/charon.vici" "$CONTROL"   # the "control socket" appears when ready
    wait $cpid
    ;;
initiate)
    [ -n "$CONN" ] && [ -n "$CHILD" ] || { echo "fake_ikeref initiate: CONN --child CHILD" >&2; exit 2; }
    swanctl --initiate --ike "$CONN" --child "$CHILD" --timeout "$TIMEOUT" >"$STATE/initiate.out" 2>&1 ||
        { tail -5 "$STATE/initiate.out" >&2; exit 1; }
    ;;
list)
    [ "$JSON" = 1 ] || { swanctl --list-sas; exit $?; }
    swanctl --list-sas --raw >"$STATE/list-sas.raw" 2>&1 || exit 1
    iop_flatten_list_sas "$STATE/list-sas.raw" >"$STATE/sas.txt"
    : >"$STATE/keys.txt"
    [ "$KEYS" = 1 ] && iop_charon_keys_file "$(cat "$STATE/logpath")" >"$STATE/keys.txt"
    python3 - "$STATE/sas.txt" "$STATE/keys.txt" "${FAKE_IKEREF_CORRUPT:-}" <<'PY'
import json, sys
def load(p):
    d = {}
    for line in open(p):
        parts = line.rstrip("\n").split(" ", 1)
        if len(parts) == 2: d[parts[0]] = parts[1]
    return d
sa, k, corrupt = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
def bad(name, v):
    if name == corrupt and v:
        return v[:-1] + ("0" if v[-1] != "0" else "1")
    return v
out = {"ike_sas": []}
if int(sa.get("ike_count", "0")) > 0:
    init = sa.get("ike.initiator") == "yes"
    ike = {"connection": sa.get("ike.name"),
           "state": {"ESTABLISHED": "Established"}.get(sa.get("ike.state"), sa.get("ike.state")),
           "original_initiator": init,
           "SPIi": bad("SPIi", sa.get("ike.initiator-spi")), "SPIr": bad("SPIr", sa.get("ike.responder-spi")),
           "local": sa.get("ike.local-host"), "remote": sa.get("ike.remote-host"),
           "proposal": "/".join(x for x in (sa.get("ike.encr-alg"), sa.get("ike.integ-alg"),
                                            sa.get("ike.prf-alg"), sa.get("ike.dh-group")) if x),
           "keys": {n: bad(n, k.get(n, "")) for n in ("SK_d", "SK_ei", "SK_er", "SK_ai", "SK_ar", "SK_pi", "SK_pr")},
           "children": []}
    if int(sa.get("child_count", "0")) > 0:
        out_dir, in_dir = ("i", "r") if init else ("r", "i")
        ike["children"].append({
            "name": sa.get("child.name"),
            "spi_in": bad("spi_in", sa.get("child.spi-in")), "spi_out": bad("spi_out", sa.get("child.spi-out")),
            "proposal": "/".join(x for x in (sa.get("child.encr-alg"), sa.get("child.integ-alg")) if x),
            "encr_key_in": bad("encr_key_in", k.get("CHILD_encr_" + in_dir, "")),
            "integ_key_in": bad("integ_key_in", k.get("CHILD_integ_" + in_dir, "")),
            "encr_key_out": bad("encr_key_out", k.get("CHILD_encr_" + out_dir, "")),
            "integ_key_out": bad("integ_key_out", k.get("CHILD_integ_" + out_dir, "")),
            "local_ts": sa.get("child.local-ts", "").split(),
            "remote_ts": sa.get("child.remote-ts", "").split(),
            "udp_encapsulation": sa.get("child.encap") == "yes"})
    out["ike_sas"].append(ike)
print(json.dumps(out, indent=1))
PY
    ;;
*)
    echo "fake_ikeref: subcommand daemon|initiate|list" >&2; exit 2 ;;
esac
