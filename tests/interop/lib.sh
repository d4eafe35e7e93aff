# shellcheck shell=bash
# Interop harness: ikeref <-> strongSwan charon (5.9.x) in two network namespaces.
#
# Source this file from a test script, then:
#   iop_init                      # root/netns checks (exit 77 = skipped), work dir, cleanup trap
#   iop_case NAME                 # fresh namespaces a (192.0.2.1) and b (192.0.2.2), dir $IOP_DIR
#   iop_swanctl_conn a CONN CHILD PROPOSAL ESP LOCAL_ID REMOTE_ID LOCAL_TS REMOTE_TS
#   iop_charon_start a            # charon in namespace a, waits for its vici socket
#   iop_swanctl_load a            # swanctl --load-all
#   iop_swanctl a --initiate --ike home --child net
#   iop_charon_sas a              # "name value" lines from swanctl --list-sas --raw
#   iop_charon_keys a             # "NAME hex" lines parsed from charon's log
#   iop_case_end                  # stop processes, delete the namespaces (iop_case does it too)
# Everything (processes, namespaces, and the work dir unless IOP_KEEP=1 or the test failed
# with IOP_KEEP_ON_FAIL=1) is removed on exit, also on failure or Ctrl-C.
#
# Facts this relies on (measured, see README.md): charon's pid file is /var/run/charon.pid, so
# every charon gets its own tmpfs /run inside `ip netns exec` (which already gives a private
# mount namespace); the vici socket lives in the test's work dir so swanctl can reach it
# from any mount namespace.

IOP_CHARON=${IOP_CHARON:-/usr/lib/ipsec/charon}
IOP_SWANCTL=${IOP_SWANCTL:-swanctl}
IOP_ADDR_a=192.0.2.1
IOP_ADDR_b=192.0.2.2
IOP_INNER_a=10.1.0.1   # inside 10.1.0.0/24, the traffic selector of side a
IOP_INNER_b=10.2.0.1   # inside 10.2.0.0/24, the traffic selector of side b
IOP_PSK=${IOP_PSK:-example-psk-0123456789abcdef}
IOP_PIDS=()            # every background process we started (killed by pid on case end/exit)
IOP_WORK=              # work dir of this run
IOP_DIR=               # work dir of the current case: $IOP_DIR/a, $IOP_DIR/b
IOP_NS_a=
IOP_NS_b=
IOP_CASE_NO=0
IOP_FAILED=0           # failed checks (iop_check_eq)

iop_log() { printf '[interop %s] %s\n' "$(date +%H:%M:%S.%3N)" "$*" >&2; }

# iop_skip REASON: exit 77, which ctest reports as "skipped".
iop_skip() {
    echo "SKIP: $*" >&2
    exit 77
}

iop_die() {
    echo "FAIL: $*" >&2
    exit 1
}

# iop_now_ms: wall clock in milliseconds.
iop_now_ms() { date +%s%3N; }

# iop_init: check the preconditions (root, ip netns, charon, swanctl), make the work dir and
# install the cleanup trap. Skips (77) when the machine cannot run the test.
iop_init() {
    [ "$(id -u)" = 0 ] || iop_skip "interop tests need root (network namespaces, tmpfs mounts)"
    command -v ip >/dev/null || iop_skip "iproute2 (ip) is not installed"
    [ -x "$IOP_CHARON" ] || iop_skip "$IOP_CHARON not found (apt install strongswan-charon libcharon-extra-plugins libstrongswan-extra-plugins libstrongswan-standard-plugins)"
    command -v "$IOP_SWANCTL" >/dev/null || iop_skip "swanctl not found (apt install strongswan-swanctl)"
    [ -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] ||
        iop_skip "charon plugin kernel-libipsec missing (apt install libcharon-extra-plugins)"
    [ -c /dev/net/tun ] || iop_skip "/dev/net/tun missing (kernel-libipsec needs it)"
    IOP_WORK=$(mktemp -d "${TMPDIR:-/tmp}/ikeref-interop.XXXXXX") || iop_skip "mktemp failed"
    chmod 755 "$IOP_WORK"
    trap iop_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP
    # probe: can we create and enter a namespace at all?
    local probe=ikeref-probe-$$
    if ! ip netns add "$probe" 2>"$IOP_WORK/netns.err"; then
        iop_skip "ip netns does not work here: $(cat "$IOP_WORK/netns.err")"
    fi
    if ! ip netns exec "$probe" sh -c 'mount -t tmpfs x /run' 2>"$IOP_WORK/netns.err"; then
        ip netns del "$probe" 2>/dev/null
        iop_skip "ip netns exec / tmpfs mount does not work here: $(cat "$IOP_WORK/netns.err")"
    fi
    ip netns del "$probe"
}

# iop_case_end: stop every process we started (by pid: TERM, then KILL after 3 s) and delete
# the current namespaces.
iop_case_end() {
    local pid
    for pid in "${IOP_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${IOP_PIDS[@]}"; do
        for _ in $(seq 1 30); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    IOP_PIDS=()
    [ -n "$IOP_NS_a" ] && ip netns del "$IOP_NS_a" 2>/dev/null
    [ -n "$IOP_NS_b" ] && ip netns del "$IOP_NS_b" 2>/dev/null
    IOP_NS_a=
    IOP_NS_b=
    return 0
}

# iop_cleanup (EXIT trap): iop_case_end, then remove the work dir unless asked to keep it.
iop_cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    iop_case_end
    if [ -n "$IOP_WORK" ] && [ -d "$IOP_WORK" ]; then
        if [ "${IOP_KEEP:-0}" = 1 ] || { [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ "${IOP_KEEP_ON_FAIL:-0}" = 1 ]; }; then
            echo "work dir kept: $IOP_WORK" >&2
        else
            rm -rf "$IOP_WORK"
        fi
    fi
    exit "$rc"
}

# iop_ns SIDE / iop_addr SIDE: namespace name / outer address of side a or b.
iop_ns() { local v="IOP_NS_$1"; echo "${!v}"; }
iop_addr() { local v="IOP_ADDR_$1"; echo "${!v}"; }

# iop_case NAME: end the previous case, make $IOP_DIR=$IOP_WORK/NAME/{a,b} and bring up fresh
# namespaces ikeref-a-PID-N (charon, 192.0.2.1/24 on veth_a) and ikeref-b-PID-N (192.0.2.2/24
# on veth_b) joined by one veth pair; loopback up in both, with 10.1.0.1 (a) / 10.2.0.1 (b)
# on lo (inside the traffic selectors 10.1.0.0/24 and 10.2.0.0/24).
iop_case() {
    [ -n "$IOP_WORK" ] || iop_die "iop_init first"
    iop_case_end
    IOP_CASE_NO=$((IOP_CASE_NO + 1))
    IOP_DIR="$IOP_WORK/$1"
    mkdir -p "$IOP_DIR/a" "$IOP_DIR/b"
    IOP_NS_a=ikeref-a-$$-$IOP_CASE_NO
    IOP_NS_b=ikeref-b-$$-$IOP_CASE_NO
    ip netns add "$IOP_NS_a" || iop_die "netns add $IOP_NS_a"
    ip netns add "$IOP_NS_b" || iop_die "netns add $IOP_NS_b"
    ip -n "$IOP_NS_a" link add veth_a type veth peer name veth_b netns "$IOP_NS_b" ||
        iop_die "veth pair"
    ip -n "$IOP_NS_a" addr add "$IOP_ADDR_a/24" dev veth_a
    ip -n "$IOP_NS_b" addr add "$IOP_ADDR_b/24" dev veth_b
    # charon's route install (kernel-libipsec) needs a local address inside local_ts, else
    # "unable to install IPsec policies (SPD) in kernel" and TS_UNACCEPTABLE
    ip -n "$IOP_NS_a" addr add "$IOP_INNER_a/32" dev lo
    ip -n "$IOP_NS_b" addr add "$IOP_INNER_b/32" dev lo
    local s
    for s in a b; do
        # no IPv6 on the link: keeps captures free of router solicitations
        ip netns exec "$(iop_ns $s)" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
            net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
        ip -n "$(iop_ns $s)" link set lo up
        ip -n "$(iop_ns $s)" link set "veth_$s" up
    done
    # wait for carrier on both ends (IPv4 has no DAD; no ping on minimal systems)
    for _ in $(seq 1 100); do
        if [ "$(ip netns exec "$IOP_NS_a" cat /sys/class/net/veth_a/operstate)" = up ] &&
           [ "$(ip netns exec "$IOP_NS_b" cat /sys/class/net/veth_b/operstate)" = up ]; then
            return 0
        fi
        sleep 0.02
    done
    iop_die "veth pair did not come up"
}

# iop_exec SIDE CMD...: run a command in that side's namespace.
iop_exec() { local s=$1; shift; ip netns exec "$(iop_ns "$s")" "$@"; }

# ---------------------------------------------------------------------------------------------
# charon

# iop_strongswan_conf SIDE: write $IOP_DIR/SIDE/strongswan.conf.
# Plugin list: load_modular = no, so every algorithm used by any test must be named here
# (ctr ccm xcbc cmac chapoly included); kernel-libipsec before kernel-netlink.
iop_strongswan_conf() {
    local s=$1 dir="$IOP_DIR/$1"
    cat >"$dir/strongswan.conf" <<EOF
charon {
  load_modular = no
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey constraints revocation curve25519 sha1 sha2 md5 hmac gcm ccm ctr xcbc cmac chapoly aes des gmp kdf kernel-libipsec kernel-netlink socket-default vici updown
  install_routes = yes
  install_virtual_ip = no
  retransmit_timeout = ${IOP_RETRANSMIT_TIMEOUT:-1.0}
  retransmit_base = ${IOP_RETRANSMIT_BASE:-1.4}
  retransmit_tries = ${IOP_RETRANSMIT_TRIES:-2}
  half_open_timeout = 10
  plugins {
    vici { socket = unix://$dir/charon.vici }
    kernel-libipsec { allow_peer_ts = no }
  }
  filelog {
    keys {
      path = $dir/charon.log
      append = no
      flush_line = yes
      time_format = %H:%M:%S
      time_add_ms = yes
      ike_name = yes
      default = 1
      ike = 4
      chd = 4
      knl = 2
      cfg = 2
      net = 1
      enc = 1
    }
    stderr { default = 0 }
  }
  syslog { daemon { default = -1 } auth { default = -1 } }
}
swanctl {
  socket = unix://$dir/charon.vici
}
EOF
}

# iop_charon_start SIDE: start charon in that side's namespace with a private tmpfs /run;
# wait (up to 5 s) for the vici socket. Sets IOP_CHARON_PID_<SIDE>, IOP_CHARON_READY_MS_<SIDE>.
iop_charon_start() {
    local s=$1 dir="$IOP_DIR/$1" ns
    ns=$(iop_ns "$s")
    [ -f "$dir/strongswan.conf" ] || iop_strongswan_conf "$s"
    rm -f "$dir/charon.vici"
    local t0 t1
    t0=$(iop_now_ms)
    ip netns exec "$ns" sh -c "mount -t tmpfs x /run && STRONGSWAN_CONF='$dir/strongswan.conf' exec '$IOP_CHARON'" \
        >"$dir/charon.stdout" 2>&1 &
    local pid=$!
    IOP_PIDS+=("$pid")
    printf -v "IOP_CHARON_PID_$s" '%s' "$pid"
    for _ in $(seq 1 500); do
        [ -S "$dir/charon.vici" ] && break
        kill -0 "$pid" 2>/dev/null || { cat "$dir/charon.stdout" >&2; iop_die "charon ($s) exited at start"; }
        sleep 0.01
    done
    [ -S "$dir/charon.vici" ] || iop_die "charon ($s): no vici socket after 5 s"
    t1=$(iop_now_ms)
    printf -v "IOP_CHARON_READY_MS_$s" '%s' "$((t1 - t0))"
    iop_log "charon ($s) pid $pid, vici ready after $((t1 - t0)) ms"
}

# iop_swanctl SIDE ARGS...: swanctl against that side's charon (run inside its namespace).
iop_swanctl() {
    local s=$1; shift
    ip netns exec "$(iop_ns "$s")" env STRONGSWAN_CONF="$IOP_DIR/$s/strongswan.conf" \
        "$IOP_SWANCTL" "$@"
}

# iop_swanctl_conn SIDE CONN CHILD PROPOSAL ESP_PROPOSAL LOCAL_ID REMOTE_ID LOCAL_TS REMOTE_TS
# writes $IOP_DIR/SIDE/swanctl.conf (PSK auth, tunnel mode, no automatic actions, no rekeying).
iop_swanctl_conn() {
    local s=$1 conn=$2 child=$3 prop=$4 esp=$5 lid=$6 rid=$7 lts=$8 rts=$9
    local other=b
    [ "$s" = b ] && other=a
    cat >"$IOP_DIR/$s/swanctl.conf" <<EOF
connections {
  $conn {
    version = 2
    local_addrs = $(iop_addr "$s")
    remote_addrs = $(iop_addr "$other")
    proposals = $prop
    rekey_time = 0
    reauth_time = 0
    dpd_delay = 0
    local {
      auth = psk
      id = $lid
    }
    remote {
      auth = psk
      id = $rid
    }
    children {
      $child {
        local_ts = $lts
        remote_ts = $rts
        esp_proposals = $esp
        mode = tunnel
        rekey_time = 0
        start_action = none
        dpd_action = none
        close_action = none
      }
    }
  }
}
secrets {
  ike-$conn {
    id-l = $lid
    id-r = $rid
    secret = "$IOP_PSK"
  }
}
EOF
}

# iop_swanctl_load SIDE: load that side's swanctl.conf (connections and secrets).
iop_swanctl_load() {
    local s=$1
    iop_swanctl "$s" --load-all --noprompt --file "$IOP_DIR/$s/swanctl.conf" \
        >"$IOP_DIR/$s/load.out" 2>&1 || { cat "$IOP_DIR/$s/load.out" >&2; iop_die "swanctl --load-all ($s)"; }
}

# ---------------------------------------------------------------------------------------------
# Parsing charon's log.
#
# Formats (strongSwan 5.9.8, filelog ike=4 chd=4, ike_name=yes), one chunk dump per key:
#   13:04:05.123 09[IKE] <home|1> Sk_ei secret => 36 bytes @ 0x7f...
#   13:04:05.123 09[IKE] <home|1>    0: E5 E3 30 D2 8A 57 7A 58 05 7C 3E 60 D7 88 5A 61  ..0..WzX.|>`..Za
#   13:04:05.123 09[IKE] <home|1>   16: ...
# (see README.md for the exact list of labels). iop_charon_keys prints one "NAME HEX" line
# per key, lower-case hex, for the LAST IKE SA / CHILD SA found in the log:
#   SKEYSEED SK_d SK_ai SK_ar SK_ei SK_er SK_pi SK_pr
#   CHILD_encr_i CHILD_integ_i CHILD_encr_r CHILD_integ_r (initiator->responder = _i)
#   SPIi SPIr (IKE SPIs, 16 hex digits)

# iop_dump_chunks LOG: turn every "<label> => N bytes @ ADDR" dump into "label<TAB>hex".
iop_dump_chunks() {
    awk '
    function flush() { if (label != "") { print label "\t" hex; } label=""; hex=""; want=0 }
    {
        line=$0
        # strip "HH:MM:SS.mmm NN[GRP] <name|id> "
        sub(/^[0-9:.]+ +[0-9]+\[[A-Z]+\] +/, "", line)
        sub(/^<[^>]*> /, "", line)
        if (match(line, / => [0-9]+ bytes @ (0x)?[0-9a-fA-F]+$/)) {
            flush()
            label=substr(line, 1, RSTART-1)
            n=substr(line, RSTART+4); sub(/ bytes.*/, "", n); want=n+0
            if (want == 0) { print label "\t"; label="" }
            next
        }
        if (label != "" && match(line, /^ *[0-9]+: /)) {
            rest=substr(line, RLENGTH+1)
            # hex bytes are "XX " groups before two spaces and the ASCII column
            for (k=0; k<16 && length(hex) < 2*want; k++) {
                b=substr(rest, 3*k+1, 2)
                if (b !~ /^[0-9A-Fa-f][0-9A-Fa-f]$/) break
                hex = hex tolower(b)
            }
            if (length(hex) >= 2*want) flush()
            next
        }
        if (label != "") flush()
    }
    END { flush() }' "$1"
}

# iop_charon_keys SIDE: print "NAME hex" lines (lower-case hex) parsed from that side's
# charon.log; when the log holds several SAs the last value of each name wins. Names:
#   g_ir SKEYSEED SK_d SK_ai SK_ar SK_ei SK_er SK_pi SK_pr       (IKE SA, RFC 7296 §2.14)
#   CHILD_seed (Ni | Nr, or g^ir | Ni | Nr with PFS)             (§2.17)
#   CHILD_encr_i CHILD_encr_r CHILD_integ_i CHILD_integ_r        (i = initiator->responder)
#   CHILD_spi_in CHILD_spi_out                                   (8 hex digits, inbound = ours)
# Missing names are simply not printed (e.g. no SK_ai with an AEAD).
iop_charon_keys() { iop_charon_keys_file "$IOP_DIR/$1/charon.log"; }

# iop_charon_keys_file LOG: as iop_charon_keys, for any charon filelog written with ike=4 chd=4.
iop_charon_keys_file() {
    local log=$1
    [ -f "$log" ] || return 1
    {
        iop_dump_chunks "$log"
        # "adding inbound ESP SA" is followed by "  SPI 0xa738deba, src ... dst ..."
        awk '
            / adding inbound ESP SA/  { dir="in";  next }
            / adding outbound ESP SA/ { dir="out"; next }
            dir != "" && match($0, /SPI 0x[0-9a-fA-F]+/) {
                print "CHILD_spi_" dir "\t" tolower(substr($0, RSTART+6, RLENGTH-6)); dir=""; next }
            { dir="" }' "$log"
    } | awk -F'\t' '
        BEGIN {
            map["shared Diffie Hellman secret"]="g_ir"; map["SKEYSEED"]="SKEYSEED"
            map["Sk_d secret"]="SK_d";   map["Sk_ai secret"]="SK_ai"; map["Sk_ar secret"]="SK_ar"
            map["Sk_ei secret"]="SK_ei"; map["Sk_er secret"]="SK_er"
            map["Sk_pi secret"]="SK_pi"; map["Sk_pr secret"]="SK_pr"
            map["seed"]="CHILD_seed"
            map["encryption initiator key"]="CHILD_encr_i"; map["encryption responder key"]="CHILD_encr_r"
            map["integrity initiator key"]="CHILD_integ_i"; map["integrity responder key"]="CHILD_integ_r"
            map["CHILD_spi_in"]="CHILD_spi_in"; map["CHILD_spi_out"]="CHILD_spi_out"
            n=split("g_ir SKEYSEED SK_d SK_ai SK_ar SK_ei SK_er SK_pi SK_pr CHILD_seed CHILD_encr_i CHILD_encr_r CHILD_integ_i CHILD_integ_r CHILD_spi_in CHILD_spi_out", order, " ")
        }
        ($1 in map) { v[map[$1]]=$2 }
        END { for (i=1; i<=n; i++) if (order[i] in v) print order[i], v[order[i]] }'
}

# iop_key FILE NAME: value of NAME in a "NAME value" file (as written by iop_charon_keys or
# iop_charon_sas); empty when absent.
iop_key() { awk -v k="$2" '$1 == k { $1=""; sub(/^ /, ""); print; exit }' "$1"; }

# iop_charon_sas SIDE: flatten `swanctl --list-sas --raw` of that side into "name value" lines:
#   ike_count N, child_count N (children of the first IKE SA),
#   ike.<key> value      for the first IKE SA (ike.name, ike.state, ike.initiator-spi,
#                        ike.responder-spi, ike.initiator (yes when we initiated), ike.local-port,
#                        ike.remote-port, ike.nat-remote, ike.encr-alg, ike.integ-alg, ike.prf-alg,
#                        ike.dh-group, ...)
#   child.<key> value    for its first CHILD SA (child.name, child.state, child.spi-in,
#                        child.spi-out, child.encap, child.encr-alg, child.integ-alg,
#                        child.local-ts, child.remote-ts (lists as space-separated items), ...)
# Values with spaces in IDs are not supported (the tests use FQDN identities).
iop_charon_sas() {
    local s=$1
    iop_swanctl "$s" --list-sas --raw >"$IOP_DIR/$s/list-sas.raw" 2>&1 || return 1
    iop_flatten_list_sas "$IOP_DIR/$s/list-sas.raw" | tee "$IOP_DIR/$s/sas.txt"
}

# iop_flatten_list_sas FILE: the flattening of iop_charon_sas for a saved
# `swanctl --list-sas --raw` output.
iop_flatten_list_sas() {
    awk '
        /^list-sa event / {
            line=$0; sub(/^list-sa event /, "", line)
            gsub(/\{/, " { ", line); gsub(/\}/, " } ", line)
            nt=split(line, t, /[ \t]+/)
            depth=0; pending=""; listkey=""; listval=""
            nike++
            for (i=1; i<=nt; i++) {
                w=t[i]; if (w == "") continue
                if (listkey != "") {               # inside key=[a b c]
                    if (w ~ /\]$/) { sub(/\]$/, "", w); listval=listval " " w; emit(listkey, listval); listkey="" }
                    else listval=listval " " w
                    continue
                }
                if (w == "{") { depth++; name[depth]=pending; pending=""
                    if (depth == 4 && nike == 1 && name[3] == "child-sas") { nchild++; if (nchild == 1) print "child.name", name[4] }
                    if (depth == 2 && nike == 1) print "ike.name", name[2]
                    continue }
                if (w == "}") { depth--; continue }
                eq=index(w, "=")
                if (eq == 0) { pending=w; continue }
                k=substr(w, 1, eq-1); val=substr(w, eq+1)
                if (val ~ /^\[/) {
                    sub(/^\[/, "", val)
                    if (val ~ /\]$/) { sub(/\]$/, "", val); emit(k, val) }
                    else { listkey=k; listval=val }
                    continue
                }
                emit(k, val)
            }
        }
        function emit(k, val) {
            if (nike != 1) return
            if (depth == 2) print "ike." k, val
            else if (depth == 4 && nchild == 1 && name[3] == "child-sas") print "child." k, val
        }
        END { print "ike_count", nike+0; print "child_count", nchild+0 }
    ' "$1"
}

# iop_wait_charon_sa SIDE TIMEOUT_MS: poll until that side lists an IKE SA ESTABLISHED with a
# CHILD SA INSTALLED; 0 when reached, 1 on timeout. Leaves $IOP_DIR/SIDE/sas.txt behind.
iop_wait_charon_sa() {
    local s=$1 limit=$(( $(iop_now_ms) + $2 ))
    while :; do
        iop_charon_sas "$s" >/dev/null
        if [ "$(iop_key "$IOP_DIR/$s/sas.txt" ike.state)" = ESTABLISHED ] &&
           [ "$(iop_key "$IOP_DIR/$s/sas.txt" child.state)" = INSTALLED ]; then
            return 0
        fi
        [ "$(iop_now_ms)" -lt "$limit" ] || return 1
        sleep 0.05
    done
}

# iop_show_log SIDE [LINES]: the interesting part of charon's log (no hex dumps), for failures.
iop_show_log() {
    local s=$1 n=${2:-80}
    echo "----- charon ($s) log: $IOP_DIR/$s/charon.log (last $n lines without hex dumps) -----" >&2
    grep -v -E '\] (<[^>]*> )? +[0-9]+: [0-9A-F]{2} ' "$IOP_DIR/$s/charon.log" 2>/dev/null |
        grep -v -E 'vici client|   [a-z_]+ = ' | tail -n "$n" >&2
}

# iop_check_eq WHAT EXPECTED ACTUAL: compare (case-insensitive hex), print, count failures.
iop_check_eq() {
    local what=$1 exp=$2 act=$3
    if [ -z "$exp" ] && [ -z "$act" ]; then
        printf '  FAIL %-24s both empty\n' "$what"; IOP_FAILED=$((IOP_FAILED + 1)); return 1
    fi
    if [ "${exp,,}" = "${act,,}" ]; then
        printf '  ok   %-24s %s\n' "$what" "$act"
    else
        printf '  FAIL %-24s expected %s\n       %-24s got      %s\n' "$what" "${exp:-<none>}" "" "${act:-<none>}"
        IOP_FAILED=$((IOP_FAILED + 1)); return 1
    fi
}

# iop_check_keymat SIDE: recompute, with python3's hmac (independent of charon and of ikeref),
# SKEYSEED = prf(Ni | Nr, g^ir), {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} =
# prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) (RFC 7296 §2.14) and KEYMAT = prf+(SK_d, Ni | Nr) =
# encr_i | integ_i | encr_r | integ_r (§2.17) from the values parsed out of that side's charon
# log (g_ir, CHILD_seed = Ni | Nr) and its list-sas (SPIs, PRF); compare with what charon
# logged. Validates the log parser and the SPI mapping. Needs $IOP_DIR/SIDE/keys.txt and
# sas.txt (iop_charon_keys / iop_charon_sas output). Returns 0 when everything matches.
iop_check_keymat() {
    local s=$1
    command -v python3 >/dev/null || { echo "  (python3 missing: key schedule not recomputed)"; return 0; }
    python3 - "$IOP_DIR/$s/keys.txt" "$IOP_DIR/$s/sas.txt" <<'PY'
import hashlib, hmac, sys
def load(p):
    d = {}
    for line in open(p):
        parts = line.split(None, 1)
        if len(parts) == 2:
            d[parts[0]] = parts[1].strip()
    return d
k, sa = load(sys.argv[1]), load(sys.argv[2])
h = {"PRF_HMAC_SHA1": hashlib.sha1, "PRF_HMAC_SHA2_256": hashlib.sha256,
     "PRF_HMAC_SHA2_384": hashlib.sha384, "PRF_HMAC_SHA2_512": hashlib.sha512}[sa["ike.prf-alg"]]
prf = lambda key, data: hmac.new(key, data, h).digest()
def prf_plus(key, seed, n):
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = prf(key, t + seed + bytes([i])); out += t; i += 1
    return out[:n]
b = lambda name: bytes.fromhex(k.get(name, ""))
nonces = b("CHILD_seed")          # Ni | Nr (no PFS on the first CHILD SA)
spis = bytes.fromhex(sa["ike.initiator-spi"] + sa["ike.responder-spi"])
bad = 0
def check(name, got):
    global bad
    ok = got.hex() == k.get(name)
    print("  %s   %-14s recomputed %s" % ("ok" if ok else "FAIL", name, "matches" if ok else got.hex()))
    bad += not ok
skeyseed = prf(nonces, b("g_ir")); check("SKEYSEED", skeyseed)
names = [n for n in ("SK_d", "SK_ai", "SK_ar", "SK_ei", "SK_er", "SK_pi", "SK_pr") if n in k]
lens = [len(b(n)) for n in names]
stream = prf_plus(skeyseed, nonces + spis, sum(lens)); off = 0
for n, l in zip(names, lens):
    check(n, stream[off:off + l]); off += l
names = [n for n in ("CHILD_encr_i", "CHILD_integ_i", "CHILD_encr_r", "CHILD_integ_r") if n in k]
lens = [len(b(n)) for n in names]
stream = prf_plus(b("SK_d"), nonces, sum(lens)); off = 0
for n, l in zip(names, lens):
    check(n, stream[off:off + l]); off += l
sys.exit(1 if bad else 0)
PY
}

# iop_log_ms SIDE REGEX: charon log timestamp (ms since midnight) of the first line matching.
iop_log_ms() {
    awk -v re="$2" '$0 ~ re { split($1, t, /[:.]/); print ((t[1]*60 + t[2])*60 + t[3])*1000 + t[4]; exit }' \
        "$IOP_DIR/$1/charon.log"
}

# iop_charon_wire_ms SIDE: ms from "generating IKE_SA_INIT request" to the CHILD SA
# "established with SPIs" line in that side's log (the initiator's view of the exchange).
iop_charon_wire_ms() {
    local t0 t1
    t0=$(iop_log_ms "$1" 'generating IKE_SA_INIT request') || return 1
    t1=$(iop_log_ms "$1" 'CHILD_SA .* established with SPIs') || return 1
    [ -n "$t0" ] && [ -n "$t1" ] && echo $((t1 - t0))
}

# iop_check_absent WHAT VALUE: pass when VALUE is empty.
iop_check_absent() {
    if [ -z "$2" ]; then
        printf '  ok   %-24s absent\n' "$1"
    else
        printf '  FAIL %-24s expected absent, got %s\n' "$1" "$2"; IOP_FAILED=$((IOP_FAILED + 1)); return 1
    fi
}

# ---------------------------------------------------------------------------------------------
# ikeref (side b). Interface (see README.md):
#   ikeref daemon --config FILE --control SOCK --log LOGFILE      (foreground)
#   ikeref initiate CONN --child CHILD --control SOCK --timeout 10 (exit 0 when established)
#   ikeref list --json --keys --control SOCK

IOP_IKEREF=${IOP_IKEREF:-}

# iop_ikeref_conf SIDE CONN CHILD PROPOSAL ESP LOCAL_ID REMOTE_ID LOCAL_TS REMOTE_TS
# writes $IOP_DIR/SIDE/ikeref.toml (strongSwan vocabulary, PSK, short retransmissions).
iop_ikeref_conf() {
    local s=$1 conn=$2 child=$3 prop=$4 esp=$5 lid=$6 rid=$7 lts=$8 rts=$9
    local other=a
    [ "$s" = a ] && other=b
    cat >"$IOP_DIR/$s/ikeref.toml" <<EOF2
[daemon]
ike_port = 500
nat_t_port = 4500
log_keys = true
[daemon.retransmit]
timeout = ${IOP_RETRANSMIT_TIMEOUT:-1.0}
base = ${IOP_RETRANSMIT_BASE:-1.4}
tries = ${IOP_RETRANSMIT_TRIES:-3}
[connections.$conn]
local_addrs  = ["$(iop_addr "$s")"]
remote_addrs = ["$(iop_addr "$other")"]
proposals    = ["$prop"]
[connections.$conn.local]
auth = "psk"
id   = "$lid"
[connections.$conn.remote]
auth = "psk"
id   = "$rid"
[connections.$conn.children.$child]
local_ts      = ["$lts"]
remote_ts     = ["$rts"]
esp_proposals = ["$esp"]
[secrets.ike-$conn]
id     = ["$rid", "$lid"]
secret = "$IOP_PSK"
EOF2
}

# iop_ikeref_start SIDE: run `ikeref daemon` in that side's namespace in the background
# (config $IOP_DIR/SIDE/ikeref.toml, control socket $IOP_DIR/SIDE/ikeref.sock, log
# $IOP_DIR/SIDE/ikeref.log, stdout/stderr $IOP_DIR/SIDE/ikeref.stdout); wait up to 5 s for the
# control socket. Returns 1 (with the reason on stderr) when the daemon exits or never listens.
# Sets IOP_IKEREF_READY_MS.
iop_ikeref_start() {
    local s=$1 dir="$IOP_DIR/$1" t0 t1 pid
    rm -f "$dir/ikeref.sock"
    t0=$(iop_now_ms)
    ip netns exec "$(iop_ns "$s")" "$IOP_IKEREF" daemon --config "$dir/ikeref.toml" \
        --control "$dir/ikeref.sock" --log "$dir/ikeref.log" >"$dir/ikeref.stdout" 2>&1 &
    pid=$!
    IOP_PIDS+=("$pid")
    for _ in $(seq 1 500); do
        [ -S "$dir/ikeref.sock" ] && break
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid"; local rc=$?
            echo "ikeref daemon exited at start (rc $rc):" >&2
            tail -n 30 "$dir/ikeref.stdout" "$dir/ikeref.log" 2>/dev/null >&2
            return 1
        fi
        sleep 0.01
    done
    [ -S "$dir/ikeref.sock" ] || { echo "ikeref daemon: no control socket $dir/ikeref.sock after 5 s" >&2; return 1; }
    t1=$(iop_now_ms)
    IOP_IKEREF_READY_MS=$((t1 - t0))
    iop_log "ikeref daemon ($s) pid $pid, control socket ready after $IOP_IKEREF_READY_MS ms"
}

# iop_ikeref SIDE SUBCOMMAND ARGS...: run an ikeref client command against that side's daemon
# (killed after IOP_CMD_TIMEOUT seconds, default 30; exit status 124 then).
iop_ikeref() {
    local s=$1 sub=$2; shift 2
    timeout -k 2 "${IOP_CMD_TIMEOUT:-30}" ip netns exec "$(iop_ns "$s")" "$IOP_IKEREF" "$sub" "$@" \
        --control "$IOP_DIR/$s/ikeref.sock"
}

# iop_json_flatten FILE CONN: flatten `ikeref list --json` output into "path value" lines:
#   ike_count N                  IKE SAs of connection CONN
#   ike.<field> value            the first IKE SA of CONN (ike.state, ike.SPIi, ike.keys.SK_d,
#                                ike.children.0.spi_in, ike.children.0.local_ts.0, ...)
#   ike.children_count N
# Booleans print as true/false, null as null. Uses jq, else python3.
iop_json_flatten() {
    local f=$1 conn=$2
    if command -v jq >/dev/null && [ "${IOP_NO_JQ:-0}" != 1 ]; then
        jq -r --arg c "$conn" '
            [.ike_sas[]? | select(.connection == $c)] as $sas
            | "ike_count \($sas | length)",
              ( $sas[0] // empty
                | ("ike.children_count \((.children // []) | length)"),
                  (paths(type != "object" and type != "array") as $p | "ike.\($p | map(tostring) | join(".")) \(getpath($p))") )' "$f"
    else
        python3 - "$f" "$conn" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
sas = [s for s in doc.get("ike_sas", []) if s.get("connection") == sys.argv[2]]
print("ike_count", len(sas))
def walk(prefix, v):
    if isinstance(v, dict):
        for k, x in v.items(): walk(prefix + "." + k, x)
    elif isinstance(v, list):
        for i, x in enumerate(v): walk(prefix + "." + str(i), x)
    else:
        print(prefix, "null" if v is None else ("true" if v is True else ("false" if v is False else v)))
if sas:
    print("ike.children_count", len(sas[0].get("children") or []))
    walk("ike", sas[0])
PY
    fi
}

# iop_ikeref_list SIDE CONN: `ikeref list --json --keys` into $IOP_DIR/SIDE/list.json and its
# flattened form $IOP_DIR/SIDE/list.txt (see iop_json_flatten). Returns 1 when the command
# fails or prints no valid JSON.
iop_ikeref_list() {
    local s=$1 conn=$2
    iop_ikeref "$s" list --json --keys >"$IOP_DIR/$s/list.json" 2>"$IOP_DIR/$s/list.err" || return 1
    iop_json_flatten "$IOP_DIR/$s/list.json" "$conn" >"$IOP_DIR/$s/list.txt" 2>>"$IOP_DIR/$s/list.err"
}

# iop_wait_ikeref_sa SIDE CONN TIMEOUT_MS: poll `ikeref list` until CONN's first IKE SA is
# "Established" with at least one child; 0 when reached, 1 on timeout.
iop_wait_ikeref_sa() {
    local s=$1 limit=$(( $(iop_now_ms) + $3 ))
    while :; do
        if iop_ikeref_list "$s" "$2" &&
           [ "$(iop_key "$IOP_DIR/$s/list.txt" ike.state)" = Established ] &&
           [ "$(iop_key "$IOP_DIR/$s/list.txt" ike.children_count)" -ge 1 ] 2>/dev/null; then
            return 0
        fi
        [ "$(iop_now_ms)" -lt "$limit" ] || return 1
        sleep 0.05
    done
}

# iop_show_ikeref SIDE [LINES]: ikeref's log, stdout and last list output, for failures.
iop_show_ikeref() {
    local s=$1 n=${2:-60} f
    for f in ikeref.stdout ikeref.log list.json list.err; do
        [ -s "$IOP_DIR/$s/$f" ] || continue
        echo "----- ikeref ($s) $f: $IOP_DIR/$s/$f (last $n lines) -----" >&2
        tail -n "$n" "$IOP_DIR/$s/$f" >&2
    done
}

# ---------------------------------------------------------------------------------------------
# Certificates (auth = pubkey). strongSwan's `pki` is not installed here: OpenSSL makes them.

# iop_make_certs DIR KIND(rsa|ecdsa|ed25519): DIR/ca.key, DIR/ca.pem (ECDSA P-256 CA
# "C=CH, O=ikeref, CN=ikeref interop CA"), and for s in a b: DIR/s.key (PKCS#8 private key of
# KIND: RSA-2048, ECDSA P-256 or Ed25519) and DIR/s.pem (CN = subjectAltName DNS =
# s.example.test, signed by the CA with SHA-256, valid 2 days). Returns 1 when openssl fails.
iop_make_certs() {
    local dir=$1 kind=$2
    mkdir -p "$dir"
    (
        cd "$dir" || exit 1
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key &&
        openssl req -x509 -new -key ca.key -sha256 -days 2 -subj '/C=CH/O=ikeref/CN=ikeref interop CA' \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out ca.pem ||
            exit 1
        for s in a b; do
            case $kind in
                rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$s.key" ;;
                ecdsa) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$s.key" ;;
                ed25519) openssl genpkey -algorithm ed25519 -out "$s.key" ;;
                *) exit 1 ;;
            esac || exit 1
            printf 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:%s.example.test\n' "$s" >"$s.ext"
            openssl req -new -key "$s.key" -subj "/C=CH/O=ikeref/CN=$s.example.test" -out "$s.csr" &&
            openssl x509 -req -in "$s.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -sha256 \
                -extfile "$s.ext" -out "$s.pem" || exit 1
        done
    ) >"$dir/openssl.log" 2>&1
}

# iop_swanctl_conn_pubkey SIDE CONN CHILD PROPOSAL ESP LOCAL_ID REMOTE_ID LOCAL_TS REMOTE_TS CERTDIR:
# iop_swanctl_conn with certificates, auth = pubkey: CERTDIR/SIDE.pem, SIDE.key and ca.pem are
# copied where swanctl --load-all finds them (x509/, private/, x509ca/ next to swanctl.conf);
# local certs = SIDE.pem, remote cacerts = ca.pem; no PSK secret.
iop_swanctl_conn_pubkey() {
    local s=$1 certs=${10}
    iop_swanctl_conn "$@"
    local d="$IOP_DIR/$s" f="$IOP_DIR/$s/swanctl.conf" tmp="$IOP_DIR/$s/swanctl.conf.tmp"
    mkdir -p "$d/x509" "$d/x509ca" "$d/private"
    cp "$certs/$s.pem" "$d/x509/" && cp "$certs/ca.pem" "$d/x509ca/" && cp "$certs/$s.key" "$d/private/" || return 1
    awk -v side="$s" '
        /^secrets \{/ { exit }
        /^    local \{/ { section = "local" }
        /^    remote \{/ { section = "remote" }
        /^      auth = psk/ {
            print "      auth = pubkey"
            if (section == "local") print "      certs = " side ".pem"
            else print "      cacerts = ca.pem"
            next
        }
        { print }' "$f" >"$tmp" && mv "$tmp" "$f"
}

# iop_ikeref_conf_pubkey SIDE CONN CHILD PROPOSAL ESP LOCAL_ID REMOTE_ID LOCAL_TS REMOTE_TS CERTDIR:
# iop_ikeref_conf with auth = "pubkey": local certs = [CERTDIR/SIDE.pem], private_key =
# CERTDIR/SIDE.key, remote cacerts = [CERTDIR/ca.pem]; no [secrets].
iop_ikeref_conf_pubkey() {
    local s=$1 certs=${10}
    iop_ikeref_conf "$@"
    local f="$IOP_DIR/$s/ikeref.toml" tmp="$IOP_DIR/$s/ikeref.toml.tmp"
    awk -v certs="$certs" -v side="$s" '
        /^\[secrets\./ { skip = 1; next }
        /^\[/ { skip = 0 }
        skip { next }
        /^\[connections\.[^.]*\.local\]/ { section = "local" }
        /^\[connections\.[^.]*\.remote\]/ { section = "remote" }
        /^auth = "psk"/ {
            print "auth = \"pubkey\""
            if (section == "local") { print "certs = [\"" certs "/" side ".pem\"]"; print "private_key = \"" certs "/" side ".key\"" }
            else print "cacerts = [\"" certs "/ca.pem\"]"
            next
        }
        { print }' "$f" >"$tmp" && mv "$tmp" "$f"
}
