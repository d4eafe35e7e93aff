#!/usr/bin/env bash
# Interop matrix with PSK: ikeref (namespace b, 192.0.2.2) against strongSwan charon (namespace
# a, 192.0.2.1) over the RFC 8247 suites of issue 4 item 5, both directions, plus a proposal
# mismatch provoked on purpose.
# Usage: ikeref_charon_suites_test.sh PATH/TO/ikeref
# Exit 0 pass, 1 fail, 77 skipped (no ikeref binary, not root, no ip netns, no charon).
#
# Each suite and direction passes when (as in ikeref_charon_test.sh):
#   - charon lists the IKE SA ESTABLISHED and one CHILD SA INSTALLED, and names the negotiated
#     algorithms (encr-alg/prf-alg/dh-group) of the suite;
#   - `ikeref list --json --keys` shows "home" Established with one child, prints the same
#     proposal keywords that were configured, and original_initiator matches the direction;
#   - SPIi/SPIr equal charon's; spi_in/spi_out are charon's spi-out/spi-in;
#   - SK_d, SK_ei, SK_er, SK_pi, SK_pr (SK_ai, SK_ar unless the IKE suite is an AEAD) and the
#     CHILD SA encryption (and integrity, unless AEAD) keys equal the values charon logged.
# Mismatch (RFC 7296 §2.7, §3.10.1): charon offers/accepts only x25519, ikeref only ecp256:
#   - ikeref as responder: charon's log shows it received NO_PROPOSAL_CHOSEN, no SA on either
#     side, and ikeref's log names the transform type (KE) and both sides' groups;
#   - ikeref as initiator: charon's log shows "received proposals unacceptable" and that it sent
#     N(NO_PROP); ikeref's initiate fails and its log shows NO_PROPOSAL_CHOSEN received;
#   - ESP mismatch (ikeref responder): charon gets NO_PROPOSAL_CHOSEN for the CHILD SA and
#     ikeref's log names ENCR.
# IOP_SUITES / IOP_DIRECTIONS narrow the matrix; IOP_KEEP / IOP_KEEP_ON_FAIL keep the work dir.
# [7296-3.14-s4] suite cbc384: charon decrypts ikeref's AES-CBC SK payloads, so their padding must fill whole 16-octet blocks.
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

iop_init
command -v jq >/dev/null || command -v python3 >/dev/null ||
    iop_skip "need jq (apt install jq) or python3 to read 'ikeref list --json'"

# name|IKE proposal|ESP proposal|IKE AEAD (yes/no)|ESP AEAD|charon encr-alg|prf-alg|dh-group|
#   the keyword ikeref prints for the negotiated IKE proposal (strongSwan's implied prf explicit)
SUITES=(
    "gcm128|aes128gcm16-prfsha256-ecp256|aes128gcm16|yes|yes|AES_GCM_16|PRF_HMAC_SHA2_256|ECP_256|aes128gcm16-prfsha256-ecp256"
    "chapoly|chacha20poly1305-prfsha512-x25519|chacha20poly1305|yes|yes|CHACHA20_POLY1305|PRF_HMAC_SHA2_512|CURVE_25519|chacha20poly1305-prfsha512-x25519"
    "cbc384|aes256-sha384-ecp384|aes256-sha384|no|no|AES_CBC|PRF_HMAC_SHA2_384|ECP_384|aes256-sha384-prfsha384-ecp384"
    "ctrxcbc|aes128ctr-aesxcbc-modp3072|aes128ctr-aesxcbc|no|no|AES_CTR|PRF_AES128_XCBC|MODP_3072|aes128ctr-aesxcbc-prfaesxcbc-modp3072"
    "ccm|aes256ccm16-prfsha256-x25519|aes256ccm16|yes|yes|AES_CCM_16|PRF_HMAC_SHA2_256|CURVE_25519|aes256ccm16-prfsha256-x25519"
)
IOP_SUITES=${IOP_SUITES:-gcm128 chapoly cbc384 ctrxcbc ccm mismatch}
IOP_DIRECTIONS=${IOP_DIRECTIONS:-ikeref charon}
TIMINGS=()
CASES_FAILED=()
CASES_RUN=0

# setup_case CASE CHARON_IKE CHARON_ESP IKEREF_IKE IKEREF_ESP: fresh namespaces, both configs,
# charon started and loaded, ikeref daemon started. Returns 1 when ikeref does not start.
setup_case() {
    local case=$1
    iop_case "$case"
    iop_swanctl_conn a home net "$2" "$3" a.example.test b.example.test 10.1.0.0/24 10.2.0.0/24
    iop_ikeref_conf b home net "$4" "$5" b.example.test a.example.test 10.2.0.0/24 10.1.0.0/24
    iop_charon_start a
    iop_swanctl_load a
    if ! iop_ikeref_start b; then
        echo "  FAIL ikeref daemon did not start"
        IOP_FAILED=$((IOP_FAILED + 1))
        iop_show_ikeref b
        return 1
    fi
}

# initiate INIT: start the exchange from ikeref or charon; prints the exit status.
initiate() {
    if [ "$1" = ikeref ]; then
        iop_ikeref b initiate home --child net --timeout 10 >"$IOP_DIR/b/initiate.out" 2>&1
    else
        iop_swanctl a --initiate --ike home --child net --timeout 10 >"$IOP_DIR/a/initiate.out" 2>&1
    fi
    echo $?
}

# run_case SUITE_NAME PROPOSAL ESP IKE_AEAD ESP_AEAD ENCR PRF DH PRINTED INITIATOR(ikeref|charon)
run_case() {
    local sname=$1 prop=$2 esp=$3 ike_aead=$4 esp_aead=$5 encr=$6 prf=$7 dh=$8 printed=$9 init=${10}
    local case="$sname-$init-initiates"
    echo "=== $case: IKE $prop, ESP $esp, $init initiates"
    local fails_before=$IOP_FAILED
    CASES_RUN=$((CASES_RUN + 1))
    setup_case "$case" "$prop" "$esp" "$prop" "$esp" || { CASES_FAILED+=("$case"); return; }

    local t0 t1 rc
    t0=$(iop_now_ms)
    rc=$(initiate "$init")
    t1=$(iop_now_ms)
    echo "  $init initiate: rc=$rc after $((t1 - t0)) ms"
    TIMINGS+=("$case: initiate -> established $((t1 - t0)) ms")
    iop_check_eq "initiate exit status" 0 "$rc" || {
        [ "$init" = ikeref ] && cat "$IOP_DIR/b/initiate.out"
        [ "$init" = charon ] && cat "$IOP_DIR/a/initiate.out"
    }

    iop_wait_charon_sa a 2000 || true
    iop_wait_ikeref_sa b home 2000 || true
    iop_charon_keys a >"$IOP_DIR/a/keys.txt"
    local A="$IOP_DIR/a/sas.txt" K="$IOP_DIR/a/keys.txt" J="$IOP_DIR/b/list.txt"
    [ -f "$J" ] || : >"$J"

    echo " charon (swanctl --list-sas --raw):"
    iop_check_eq "IKE SA state" ESTABLISHED "$(iop_key "$A" ike.state)"
    iop_check_eq "CHILD SA state" INSTALLED "$(iop_key "$A" child.state)"
    iop_check_eq "CHILD SA count" 1 "$(iop_key "$A" child_count)"
    iop_check_eq "IKE encr-alg" "$encr" "$(iop_key "$A" ike.encr-alg)"
    iop_check_eq "IKE prf-alg" "$prf" "$(iop_key "$A" ike.prf-alg)"
    iop_check_eq "IKE dh-group" "$dh" "$(iop_key "$A" ike.dh-group)"
    iop_check_eq "ESP encr-alg" "$encr" "$(iop_key "$A" child.encr-alg)"
    echo " ikeref (list --json --keys):"
    iop_check_eq "IKE SAs of 'home'" 1 "$(iop_key "$J" ike_count)"
    iop_check_eq "state" Established "$(iop_key "$J" ike.state)"
    iop_check_eq "children" 1 "$(iop_key "$J" ike.children_count)"
    iop_check_eq "original_initiator" "$([ "$init" = ikeref ] && echo true || echo false)" \
        "$(iop_key "$J" ike.original_initiator)"
    iop_check_eq "IKE proposal keyword" "$printed" "$(iop_key "$J" ike.proposal)"
    iop_check_eq "ESP proposal keyword" "$esp" "$(iop_key "$J" ike.children.0.proposal)"
    echo " SPIs (ikeref vs charon):"
    iop_check_eq "SPIi" "$(iop_key "$A" ike.initiator-spi)" "$(iop_key "$J" ike.SPIi)"
    iop_check_eq "SPIr" "$(iop_key "$A" ike.responder-spi)" "$(iop_key "$J" ike.SPIr)"
    iop_check_eq "spi_in = charon spi-out" "$(iop_key "$A" child.spi-out)" "$(iop_key "$J" ike.children.0.spi_in)"
    iop_check_eq "spi_out = charon spi-in" "$(iop_key "$A" child.spi-in)" "$(iop_key "$J" ike.children.0.spi_out)"
    echo " IKE SA keys (ikeref vs charon's log):"
    local n v
    for n in SK_d SK_ei SK_er SK_pi SK_pr; do
        iop_check_eq "$n" "$(iop_key "$K" "$n")" "$(iop_key "$J" "ike.keys.$n")"
    done
    for n in SK_ai SK_ar; do
        if [ "$ike_aead" = yes ]; then
            v=$(iop_key "$J" "ike.keys.$n"); [ "$v" = null ] && v=
            iop_check_absent "$n (AEAD)" "$v"
        else
            iop_check_eq "$n" "$(iop_key "$K" "$n")" "$(iop_key "$J" "ike.keys.$n")"
        fi
    done
    echo " CHILD SA keys (ikeref vs charon's log):"
    local own_out=i own_in=r
    [ "$init" = charon ] && { own_out=r; own_in=i; }
    iop_check_eq "encr_key_out" "$(iop_key "$K" CHILD_encr_$own_out)" "$(iop_key "$J" ike.children.0.encr_key_out)"
    iop_check_eq "encr_key_in" "$(iop_key "$K" CHILD_encr_$own_in)" "$(iop_key "$J" ike.children.0.encr_key_in)"
    if [ "$esp_aead" = yes ]; then
        for n in integ_key_out integ_key_in; do
            v=$(iop_key "$J" "ike.children.0.$n"); [ "$v" = null ] && v=
            iop_check_absent "$n (AEAD)" "$v"
        done
    else
        iop_check_eq "integ_key_out" "$(iop_key "$K" CHILD_integ_$own_out)" "$(iop_key "$J" ike.children.0.integ_key_out)"
        iop_check_eq "integ_key_in" "$(iop_key "$K" CHILD_integ_$own_in)" "$(iop_key "$J" ike.children.0.integ_key_in)"
    fi

    if [ "$IOP_FAILED" != "$fails_before" ]; then
        CASES_FAILED+=("$case")
        iop_show_log a 60
        iop_show_ikeref b 60
    fi
}

# check_grep WHAT FILE REGEX: pass when an extended regex matches a line of FILE.
check_grep() {
    local what=$1 file=$2 re=$3 line
    line=$(grep -E -m1 -- "$re" "$file" 2>/dev/null)
    if [ -n "$line" ]; then
        printf '  ok   %-24s %s\n' "$what" "$(printf '%s' "$line" | cut -c1-160)"
    else
        printf '  FAIL %-24s no line matching /%s/ in %s\n' "$what" "$re" "$file"
        IOP_FAILED=$((IOP_FAILED + 1)); return 1
    fi
}

# check_no_sa: neither side holds an IKE SA for "home".
check_no_sa() {
    iop_charon_sas a >/dev/null
    iop_check_eq "charon IKE SAs" 0 "$(iop_key "$IOP_DIR/a/sas.txt" ike_count)"
    iop_ikeref_list b home || true
    iop_check_eq "ikeref IKE SAs of 'home'" 0 "$(iop_key "$IOP_DIR/b/list.txt" ike_count)"
}

# mismatch_case KIND(ike|esp) INITIATOR
mismatch_case() {
    local kind=$1 init=$2 case="mismatch-$1-$2-initiates"
    local c_ike=aes256gcm16-prfsha256-x25519 c_esp=aes256gcm16
    local r_ike=aes256gcm16-prfsha256-ecp256 r_esp=aes256gcm16
    # ESP: another cipher (a longer key of the same cipher would be accepted, RFC 7296 §3.3.5)
    if [ "$kind" = esp ]; then r_ike=$c_ike; r_esp=chacha20poly1305; fi
    echo "=== $case: charon IKE $c_ike ESP $c_esp, ikeref IKE $r_ike ESP $r_esp, $init initiates"
    local fails_before=$IOP_FAILED
    CASES_RUN=$((CASES_RUN + 1))
    setup_case "$case" "$c_ike" "$c_esp" "$r_ike" "$r_esp" || { CASES_FAILED+=("$case"); return; }
    local rc
    rc=$(initiate "$init")
    echo "  $init initiate: rc=$rc"
    if [ "$rc" = 0 ]; then
        printf '  FAIL %-24s expected failure, got 0\n' "initiate exit status"; IOP_FAILED=$((IOP_FAILED + 1))
    else
        printf '  ok   %-24s %s (refused)\n' "initiate exit status" "$rc"
    fi
    sleep 0.2
    local L="$IOP_DIR/a/charon.log" R="$IOP_DIR/b/ikeref.log"
    if [ "$kind" = ike ] && [ "$init" = charon ]; then
        check_grep "charon got NO_PROP" "$L" 'parsed IKE_SA_INIT response 0 \[ N\(NO_PROP\) \]'
        check_grep "ikeref names KE" "$R" 'NO_PROPOSAL_CHOSEN.*KE offered \[Curve25519\] configured \[ECP_256\]'
        # the same reason, structured, in `ikeref list --json` (refusals[].proposals[].no_match[])
        iop_ikeref b list --json >"$IOP_DIR/b/list.json" 2>/dev/null
        iop_check_eq "list --json refusal" "IKE_SA_INIT NO_PROPOSAL_CHOSEN KE Curve25519 ECP_256" \
            "$(jq -r '.refusals[-1] | "\(.exchange) \(.notify) \(.proposals[0].no_match[0].type) \(.proposals[0].no_match[0].offered[0]) \(.proposals[0].no_match[0].configured[0])"' "$IOP_DIR/b/list.json")"
        check_no_sa
    elif [ "$kind" = ike ]; then
        check_grep "charon refused" "$L" 'received proposals unacceptable'
        check_grep "charon sent NO_PROP" "$L" 'generating IKE_SA_INIT response 0 \[ N\(NO_PROP\) \]'
        check_grep "ikeref got NO_PROPOSAL" "$R" 'NO_PROPOSAL_CHOSEN'
        check_no_sa
    else
        # the IKE SA is established, the CHILD SA refused (§1.2, §2.21.2)
        check_grep "charon got NO_PROP" "$L" 'parsed IKE_AUTH response 1 \[.*N\(NO_PROP\)'
        check_grep "ikeref names ENCR" "$R" 'no-proposal-chosen.*ENCR offered \[ENCR_AES_GCM_16/256\] configured \[ENCR_CHACHA20_POLY1305\]'
        iop_ikeref b list --json >"$IOP_DIR/b/list.json" 2>/dev/null
        iop_check_eq "list --json refusal" "IKE_AUTH NO_PROPOSAL_CHOSEN ESP ENCR" \
            "$(jq -r '.refusals[-1] | "\(.exchange) \(.notify) \(.proposals[0].protocol) \(.proposals[0].no_match[0].type)"' "$IOP_DIR/b/list.json")"
        iop_charon_sas a >/dev/null
        iop_check_eq "charon CHILD SAs" 0 "$(iop_key "$IOP_DIR/a/sas.txt" child_count)"
    fi
    if [ "$IOP_FAILED" != "$fails_before" ]; then
        CASES_FAILED+=("$case")
        iop_show_log a 40
        iop_show_ikeref b 40
    fi
}

T_START=$(iop_now_ms)
for entry in "${SUITES[@]}"; do
    IFS='|' read -r sname prop esp ike_aead esp_aead encr prf dh printed <<<"$entry"
    case " $IOP_SUITES " in *" $sname "*) ;; *) continue ;; esac
    for init in $IOP_DIRECTIONS; do
        run_case "$sname" "$prop" "$esp" "$ike_aead" "$esp_aead" "$encr" "$prf" "$dh" "$printed" "$init"
    done
done
case " $IOP_SUITES " in
    *" mismatch "*)
        for init in $IOP_DIRECTIONS; do mismatch_case ike "$init"; done
        case " $IOP_DIRECTIONS " in *" charon "*) mismatch_case esp charon ;; esac
        ;;
esac
iop_case_end

echo "=== timings (whole run $(( $(iop_now_ms) - T_START )) ms)"
for t in "${TIMINGS[@]}"; do echo "  $t"; done
if [ "${#CASES_FAILED[@]}" != 0 ]; then
    echo "FAILED cases: ${CASES_FAILED[*]} ($IOP_FAILED failed checks)"
    exit 1
fi
echo "PASS: all $CASES_RUN ikeref<->charon suite cases"
exit 0
