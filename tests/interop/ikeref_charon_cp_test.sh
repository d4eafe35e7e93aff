#!/usr/bin/env bash
# Interop of the Configuration payload (RFC 7296 §2.19, §3.15): virtual IPs assigned from a pool.
#   - ikeref-initiates: ikeref (b) asks for vips = ["0.0.0.0"]; charon (a) assigns from its pool
#     10.3.0.0/28 with DNS 10.3.0.53. Pass: both list the same virtual IP, ikeref lists the DNS
#     server, ikeref's CHILD SA local_ts and charon's remote_ts are that address alone, and the
#     CHILD SA keys equal charon's.
#   - charon-initiates: charon asks for vips = 0.0.0.0; ikeref assigns from its pool
#     10.4.0.0/28 (first address 10.4.0.1). Pass: charon lists local-vips 10.4.0.1, ikeref lists
#     it as the peer's virtual IP, and charon's CHILD SA local_ts is 10.4.0.1/32.
# Usage: ikeref_charon_cp_test.sh PATH/TO/ikeref      Exit 0 pass, 1 fail, 77 skipped.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ $# -ge 1 ] && [ -n "$1" ] || iop_skip "usage: $0 PATH/TO/ikeref (no ikeref binary given)"
IOP_IKEREF=$1
case "$IOP_IKEREF" in /*) ;; *) IOP_IKEREF="$PWD/$IOP_IKEREF" ;; esac
[ -x "$IOP_IKEREF" ] || iop_skip "ikeref binary '$1' missing or not executable"
iop_init
command -v jq >/dev/null || iop_skip "need jq to read 'ikeref list --json'"

PROP=aes256gcm16-prfsha256-x25519
ESP=aes256gcm16
CASES_FAILED=()

# add_pool_charon SIDE POOL ADDRS DNS: a pools section in swanctl.conf and `pools = POOL` in the conn.
add_pool_charon() {
    sed -i "0,/    dpd_delay = 0/s//    dpd_delay = 0\n    pools = $2/" "$IOP_DIR/$1/swanctl.conf"
    cat >>"$IOP_DIR/$1/swanctl.conf" <<EOF
pools {
  $2 {
    addrs = $3
    dns = $4
  }
}
EOF
}

ikeref_initiates() {
    local case=ikeref-initiates fails_before=$IOP_FAILED rc
    echo "=== $case: ikeref asks for a virtual IP, charon assigns it from 10.3.0.0/28"
    iop_case "$case"
    iop_swanctl_conn a home net "$PROP" "$ESP" a.example.test b.example.test 10.1.0.0/24 dynamic
    add_pool_charon a rw 10.3.0.0/28 10.3.0.53
    iop_ikeref_conf b home net "$PROP" "$ESP" b.example.test a.example.test 0.0.0.0/0 10.1.0.0/24
    sed -i '/^proposals    = /a vips         = ["0.0.0.0"]' "$IOP_DIR/b/ikeref.toml"
    iop_charon_start a
    iop_swanctl_load a
    iop_ikeref_start b || { CASES_FAILED+=("$case"); iop_show_ikeref b; return; }
    iop_ikeref b initiate home --child net --timeout 10 >"$IOP_DIR/b/initiate.out" 2>&1; rc=$?
    iop_check_eq "initiate exit status" 0 "$rc"
    iop_wait_charon_sa a 2000 || true
    iop_charon_keys a >"$IOP_DIR/a/keys.txt"
    iop_ikeref b list --json --keys >"$IOP_DIR/b/list.json" 2>/dev/null
    local A="$IOP_DIR/a/sas.txt" K="$IOP_DIR/a/keys.txt" J="$IOP_DIR/b/list.json"
    local vip
    vip=$(jq -r '.ike_sas[0].virtual_ips[0] // empty' "$J")
    iop_check_eq "ikeref virtual IP" 10.3.0.1 "$vip"
    iop_check_eq "charon remote-vips" 10.3.0.1 "$(iop_key "$A" ike.remote-vips)"
    iop_check_eq "ikeref DNS" 10.3.0.53 "$(jq -r '.ike_sas[0].dns[0] // empty' "$J")"
    iop_check_eq "ikeref local_ts" "10.3.0.1/32" "$(jq -r '.ike_sas[0].children[0].local_ts[0] // empty' "$J" | sed 's/\[.*//')"
    iop_check_eq "charon remote-ts" "10.3.0.1/32" "$(iop_key "$A" child.remote-ts)"
    # ikeref initiated: its outbound keys are the initiator's (RFC 7296 §2.17)
    iop_check_eq "encr_key_out" "$(iop_key "$K" CHILD_encr_i)" "$(jq -r '.ike_sas[0].children[0].encr_key_out // empty' "$J")"
    iop_check_eq "encr_key_in" "$(iop_key "$K" CHILD_encr_r)" "$(jq -r '.ike_sas[0].children[0].encr_key_in // empty' "$J")"
    [ "$IOP_FAILED" = "$fails_before" ] || { CASES_FAILED+=("$case"); iop_show_log a 40; iop_show_ikeref b 40; }
}

charon_initiates() {
    local case=charon-initiates fails_before=$IOP_FAILED rc
    echo "=== $case: charon asks for a virtual IP, ikeref assigns it from 10.4.0.0/28"
    iop_case "$case"
    iop_swanctl_conn a home net "$PROP" "$ESP" a.example.test b.example.test dynamic 10.2.0.0/24
    sed -i "0,/    dpd_delay = 0/s//    dpd_delay = 0\n    vips = 0.0.0.0/" "$IOP_DIR/a/swanctl.conf"
    iop_ikeref_conf b home net "$PROP" "$ESP" b.example.test a.example.test 10.2.0.0/24 0.0.0.0/0
    sed -i '/^proposals    = /a pools        = ["rw"]' "$IOP_DIR/b/ikeref.toml"
    printf '[pools.rw]\naddrs = "10.4.0.0/28"\ndns = ["10.4.0.53"]\n' >>"$IOP_DIR/b/ikeref.toml"
    # charon routes its CHILD SA from the virtual IP: let it add the address in its namespace.
    iop_strongswan_conf a
    sed -i 's/install_virtual_ip = no/install_virtual_ip = yes/' "$IOP_DIR/a/strongswan.conf"
    iop_charon_start a
    iop_swanctl_load a
    iop_ikeref_start b || { CASES_FAILED+=("$case"); iop_show_ikeref b; return; }
    iop_swanctl a --initiate --ike home --child net --timeout 10 >"$IOP_DIR/a/initiate.out" 2>&1; rc=$?
    iop_check_eq "initiate exit status" 0 "$rc"
    iop_wait_charon_sa a 2000 || true
    iop_ikeref b list --json >"$IOP_DIR/b/list.json" 2>/dev/null
    local A="$IOP_DIR/a/sas.txt" J="$IOP_DIR/b/list.json"
    iop_check_eq "charon local-vips" 10.4.0.1 "$(iop_key "$A" ike.local-vips)"
    iop_check_eq "ikeref assigned" 10.4.0.1 "$(jq -r '.ike_sas[0].virtual_ips[0] // empty' "$J")"
    iop_check_eq "charon local-ts" "10.4.0.1/32" "$(iop_key "$A" child.local-ts)"
    local line
    line=$(grep -m1 -E 'installing DNS server 10.4.0.53|DNS.*10.4.0.53' "$IOP_DIR/a/charon.log")
    echo "  info charon on DNS: ${line#*> }"
    [ "$IOP_FAILED" = "$fails_before" ] || { CASES_FAILED+=("$case"); iop_show_log a 40; iop_show_ikeref b 40; }
}

ikeref_initiates
charon_initiates
iop_case_end
if [ "${#CASES_FAILED[@]}" != 0 ]; then
    echo "FAILED cases: ${CASES_FAILED[*]} ($IOP_FAILED failed checks)"
    exit 1
fi
echo "PASS: both Configuration payload cases"
exit 0
