#!/usr/bin/env bash
# Interop with certificates (auth = pubkey): ikeref (namespace b) against strongSwan charon
# (namespace a), one suite per key kind of the end-entity certificates (RSA-2048, ECDSA P-256,
# Ed25519; CA ECDSA P-256), both directions; CA and certificates made at test time by OpenSSL.
# Usage: ikeref_charon_certs_test.sh PATH/TO/ikeref
# Exit 0 pass, 1 fail, 77 skipped (no ikeref binary, not root, no ip netns, no charon, no openssl).
#
# Each case passes when: charon lists the IKE SA ESTABLISHED with one CHILD SA INSTALLED and its
# log says it authenticated b.example.test with a signature; ikeref lists "home" Established with
# one child; SPIs and SK_d, SK_ei, SK_er, SK_pi, SK_pr and the CHILD SA keys equal charon's.
# Refusal case (charon initiates, ikeref trusts another CA): no SA on ikeref, charon receives
# AUTHENTICATION_FAILED, ikeref's log names the path validation failure.
# IOP_KINDS (rsa ecdsa ed25519 untrusted) and IOP_DIRECTIONS narrow the matrix.
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
command -v openssl >/dev/null || iop_skip "openssl is needed to make the test certificates"

iop_init
command -v jq >/dev/null || command -v python3 >/dev/null ||
    iop_skip "need jq (apt install jq) or python3 to read 'ikeref list --json'"

PROP=aes256gcm16-prfsha256-x25519
ESP=aes256gcm16
IOP_KINDS=${IOP_KINDS:-rsa ecdsa ed25519 untrusted}
IOP_DIRECTIONS=${IOP_DIRECTIONS:-ikeref charon}
CASES_FAILED=()
CASES_RUN=0
CERTS="$IOP_WORK/certs"
chmod 755 "$IOP_WORK"
for kind in rsa ecdsa ed25519; do
    iop_make_certs "$CERTS/$kind" "$kind" || { cat "$CERTS/$kind/openssl.log" >&2; iop_die "openssl could not make $kind certificates"; }
done
iop_make_certs "$CERTS/other" ecdsa || iop_die "openssl could not make the other CA"
chmod -R a+rX "$CERTS"

# start_case CASE CERTDIR_charon CERTDIR_ikeref_cacert: configs, charon, ikeref daemon.
start_case() {
    local case=$1 kind=$2 trust=$3
    iop_case "$case"
    iop_swanctl_conn_pubkey a home net "$PROP" "$ESP" a.example.test b.example.test 10.1.0.0/24 10.2.0.0/24 "$CERTS/$kind"
    iop_ikeref_conf_pubkey b home net "$PROP" "$ESP" b.example.test a.example.test 10.2.0.0/24 10.1.0.0/24 "$CERTS/$kind"
    if [ "$trust" != "$kind" ]; then
        sed -i "s|$CERTS/$kind/ca.pem|$CERTS/$trust/ca.pem|" "$IOP_DIR/b/ikeref.toml"
    fi
    iop_charon_start a
    iop_swanctl_load a
    iop_ikeref_start b
}

run_case() {
    local kind=$1 init=$2 case="$1-$2-initiates" rc
    echo "=== $case: certificates $kind, IKE $PROP, ESP $ESP, $init initiates"
    local fails_before=$IOP_FAILED
    CASES_RUN=$((CASES_RUN + 1))
    if ! start_case "$case" "$kind" "$kind"; then
        echo "  FAIL ikeref daemon did not start"; IOP_FAILED=$((IOP_FAILED + 1))
        CASES_FAILED+=("$case"); iop_show_ikeref b; return
    fi
    local t0 t1
    t0=$(iop_now_ms)
    if [ "$init" = ikeref ]; then
        iop_ikeref b initiate home --child net --timeout 10 >"$IOP_DIR/b/initiate.out" 2>&1; rc=$?
    else
        iop_swanctl a --initiate --ike home --child net --timeout 10 >"$IOP_DIR/a/initiate.out" 2>&1; rc=$?
    fi
    t1=$(iop_now_ms)
    echo "  $init initiate: rc=$rc after $((t1 - t0)) ms"
    iop_check_eq "initiate exit status" 0 "$rc"
    iop_wait_charon_sa a 2000 || true
    iop_wait_ikeref_sa b home 2000 || true
    iop_charon_keys a >"$IOP_DIR/a/keys.txt"
    local A="$IOP_DIR/a/sas.txt" K="$IOP_DIR/a/keys.txt" J="$IOP_DIR/b/list.txt" L="$IOP_DIR/a/charon.log"
    [ -f "$J" ] || : >"$J"
    iop_check_eq "charon IKE SA state" ESTABLISHED "$(iop_key "$A" ike.state)"
    iop_check_eq "charon CHILD SA state" INSTALLED "$(iop_key "$A" child.state)"
    local line
    line=$(grep -E -m1 "authentication of 'b.example.test' with .* successful" "$L")
    if [ -n "$line" ]; then
        printf '  ok   %-24s %s\n' "charon verified ikeref" "${line#*> }"
    else
        printf '  FAIL %-24s no "authentication of b.example.test ... successful" in charon.log\n' "charon verified ikeref"
        IOP_FAILED=$((IOP_FAILED + 1))
    fi
    line=$(grep -E -m1 "authentication of 'a.example.test' \(myself\) with .* successful" "$L")
    echo "  info charon signed: ${line#*> }"
    iop_check_eq "ikeref state" Established "$(iop_key "$J" ike.state)"
    iop_check_eq "ikeref children" 1 "$(iop_key "$J" ike.children_count)"
    iop_check_eq "SPIi" "$(iop_key "$A" ike.initiator-spi)" "$(iop_key "$J" ike.SPIi)"
    iop_check_eq "SPIr" "$(iop_key "$A" ike.responder-spi)" "$(iop_key "$J" ike.SPIr)"
    local n
    for n in SK_d SK_ei SK_er SK_pi SK_pr; do
        iop_check_eq "$n" "$(iop_key "$K" "$n")" "$(iop_key "$J" "ike.keys.$n")"
    done
    local own_out=i own_in=r
    [ "$init" = charon ] && { own_out=r; own_in=i; }
    iop_check_eq "encr_key_out" "$(iop_key "$K" CHILD_encr_$own_out)" "$(iop_key "$J" ike.children.0.encr_key_out)"
    iop_check_eq "encr_key_in" "$(iop_key "$K" CHILD_encr_$own_in)" "$(iop_key "$J" ike.children.0.encr_key_in)"
    if [ "$IOP_FAILED" != "$fails_before" ]; then
        CASES_FAILED+=("$case"); iop_show_log a 60; iop_show_ikeref b 60
    fi
}

untrusted_case() {
    local case="untrusted-charon-initiates" rc
    echo "=== $case: charon's ECDSA certificate, ikeref trusts another CA"
    local fails_before=$IOP_FAILED
    CASES_RUN=$((CASES_RUN + 1))
    start_case "$case" ecdsa other || { CASES_FAILED+=("$case"); return; }
    iop_swanctl a --initiate --ike home --child net --timeout 10 >"$IOP_DIR/a/initiate.out" 2>&1; rc=$?
    if [ "$rc" = 0 ]; then
        printf '  FAIL %-24s expected failure\n' "initiate exit status"; IOP_FAILED=$((IOP_FAILED + 1))
    else
        printf '  ok   %-24s %s (refused)\n' "initiate exit status" "$rc"
    fi
    sleep 0.2
    local L="$IOP_DIR/a/charon.log" R="$IOP_DIR/b/ikeref.log" line
    line=$(grep -E -m1 'received AUTHENTICATION_FAILED' "$L")
    if [ -n "$line" ]; then printf '  ok   %-24s %s\n' "charon got AUTH_FAILED" "${line#*> }"
    else printf '  FAIL %-24s\n' "charon got AUTH_FAILED"; IOP_FAILED=$((IOP_FAILED + 1)); fi
    line=$(grep -E -m1 '5280-6-path-validation.*does not chain to a configured CA' "$R")
    if [ -n "$line" ]; then printf '  ok   %-24s %s\n' "ikeref names the reason" "$(printf '%s' "$line" | cut -c1-200)"
    else printf '  FAIL %-24s\n' "ikeref names the reason"; IOP_FAILED=$((IOP_FAILED + 1)); fi
    iop_ikeref_list b home || true
    iop_check_eq "ikeref IKE SAs of 'home'" 0 "$(iop_key "$IOP_DIR/b/list.txt" ike_count)"
    if [ "$IOP_FAILED" != "$fails_before" ]; then
        CASES_FAILED+=("$case"); iop_show_log a 40; iop_show_ikeref b 40
    fi
}

T0=$(iop_now_ms)
for kind in rsa ecdsa ed25519; do
    case " $IOP_KINDS " in *" $kind "*) ;; *) continue ;; esac
    for init in $IOP_DIRECTIONS; do run_case "$kind" "$init"; done
done
case " $IOP_KINDS " in *" untrusted "*) untrusted_case ;; esac
iop_case_end
echo "=== whole run $(( $(iop_now_ms) - T0 )) ms"
if [ "${#CASES_FAILED[@]}" != 0 ]; then
    echo "FAILED cases: ${CASES_FAILED[*]} ($IOP_FAILED failed checks)"
    exit 1
fi
echo "PASS: all $CASES_RUN ikeref<->charon certificate cases"
exit 0
