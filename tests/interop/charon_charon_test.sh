#!/usr/bin/env bash
# Harness self-check: strongSwan charon against charon, one per namespace.
# Usage: charon_charon_test.sh [ignored]   (ctest passes the ikeref binary; not used here)
# Exit 0 pass, 1 fail, 77 skipped (not root, no ip netns, no charon).
#
# For each suite (AEAD and CBC+HMAC) and each direction (b initiates, a initiates):
#   - both charons list the IKE SA ESTABLISHED and the CHILD SA INSTALLED (UDP-encapsulated:
#     kernel-libipsec fakes a NAT), with the same IKE SPIs and crossed CHILD SPIs;
#   - every key both logged (SKEYSEED, SK_*, CHILD SA keys) is equal on both sides;
#   - the key schedule recomputed from g^ir, Ni | Nr and the SPIs (python3 hmac) equals the
#     logged keys (checks the parser, not charon);
#   - one UDP datagram 10.2.0.1 -> 10.1.0.1 goes through the tunnel (packets-in on a = 1).
# With tshark installed, the first case also captures veth_a and checks that IKE_SA_INIT
# uses UDP 500 and IKE_AUTH / ESP use UDP 4500.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

iop_init

SUITES=(
    "gcm|aes256gcm16-prfsha256-x25519|aes256gcm16"
    "cbc|aes256-sha256-modp2048|aes128-sha256"
)
TIMINGS=()
CASES_FAILED=()
CASES_RUN=0

# run_case SUITE_NAME PROPOSAL ESP INITIATOR(a|b)
run_case() {
    local sname=$1 prop=$2 esp=$3 init=$4 resp
    resp=a; [ "$init" = a ] && resp=b
    local case="$sname-$init-initiates"
    echo "=== $case: IKE $prop, ESP $esp, charon ($init) initiates"
    local fails_before=$IOP_FAILED
    CASES_RUN=$((CASES_RUN + 1))
    iop_case "$case"
    iop_swanctl_conn a home net "$prop" "$esp" a.example.test b.example.test 10.1.0.0/24 10.2.0.0/24
    iop_swanctl_conn b home net "$prop" "$esp" b.example.test a.example.test 10.2.0.0/24 10.1.0.0/24
    local t_start t_ready t0 t1
    t_start=$(iop_now_ms)
    iop_charon_start a
    iop_charon_start b
    iop_swanctl_load a
    iop_swanctl_load b
    t_ready=$(iop_now_ms)

    local capture_pid=
    if [ "$IOP_CASE_NO" = 1 ] && command -v tshark >/dev/null && [ "${IOP_CAPTURE:-1}" = 1 ]; then
        ip netns exec "$IOP_NS_a" tshark -q -n -i veth_a -w "$IOP_DIR/veth_a.pcap" \
            >"$IOP_DIR/tshark.out" 2>&1 &
        capture_pid=$!
        IOP_PIDS+=("$capture_pid")
        for _ in $(seq 1 100); do
            grep -q 'Capturing on' "$IOP_DIR/tshark.out" 2>/dev/null && break
            sleep 0.05
        done
        # tshark prints "Capturing on" before its dumpcap child is reading the interface (a CI
        # run lost the first IKE_SA_INIT that way): wait for the pcap file header, then a little.
        for _ in $(seq 1 100); do
            [ "$(stat -c %s "$IOP_DIR/veth_a.pcap" 2>/dev/null || echo 0)" -ge 24 ] && break
            sleep 0.05
        done
        sleep 0.3
    fi

    t0=$(iop_now_ms)
    iop_swanctl "$init" --initiate --ike home --child net --timeout 10 >"$IOP_DIR/$init/initiate.out" 2>&1
    local rc=$?
    t1=$(iop_now_ms)
    local wire
    wire=$(iop_charon_wire_ms "$init")
    echo "  swanctl --initiate rc=$rc, $((t1 - t0)) ms (swanctl process to 'completed');" \
         "IKE_SA_INIT request -> CHILD_SA established in the initiator's log: ${wire:-?} ms;" \
         "cold start (2 charons + load) to established: $(( (t_ready - t_start) + (t1 - t0) )) ms"
    TIMINGS+=("$case: initiate $((t1 - t0)) ms, on the wire ${wire:-?} ms, cold start $(( (t_ready - t_start) + (t1 - t0) )) ms (daemons ready after $((t_ready - t_start)) ms)")
    [ "$rc" = 0 ] || { cat "$IOP_DIR/$init/initiate.out"; IOP_FAILED=$((IOP_FAILED + 1)); }

    iop_wait_charon_sa "$resp" 2000 || true
    local s
    for s in a b; do
        iop_charon_sas "$s" >/dev/null
        iop_charon_keys "$s" >"$IOP_DIR/$s/keys.txt"
    done
    local A="$IOP_DIR/a/sas.txt" B="$IOP_DIR/b/sas.txt" KA="$IOP_DIR/a/keys.txt" KB="$IOP_DIR/b/keys.txt"

    echo " SA state (swanctl --list-sas --raw):"
    for s in a b; do
        iop_check_eq "$s: IKE SA state" ESTABLISHED "$(iop_key "$IOP_DIR/$s/sas.txt" ike.state)"
        iop_check_eq "$s: CHILD SA state" INSTALLED "$(iop_key "$IOP_DIR/$s/sas.txt" child.state)"
        iop_check_eq "$s: CHILD SA count" 1 "$(iop_key "$IOP_DIR/$s/sas.txt" child_count)"
        iop_check_eq "$s: UDP encapsulation" yes "$(iop_key "$IOP_DIR/$s/sas.txt" child.encap)"
        iop_check_eq "$s: IKE port (NAT-T)" 4500 "$(iop_key "$IOP_DIR/$s/sas.txt" ike.local-port)"
    done
    iop_check_eq "initiator flag ($init)" yes "$(iop_key "$IOP_DIR/$init/sas.txt" ike.initiator)"
    iop_check_absent "initiator flag ($resp)" "$(iop_key "$IOP_DIR/$resp/sas.txt" ike.initiator)"
    echo " SPIs:"
    iop_check_eq "SPIi a = b" "$(iop_key "$A" ike.initiator-spi)" "$(iop_key "$B" ike.initiator-spi)"
    iop_check_eq "SPIr a = b" "$(iop_key "$A" ike.responder-spi)" "$(iop_key "$B" ike.responder-spi)"
    iop_check_eq "ESP spi-in a = spi-out b" "$(iop_key "$A" child.spi-in)" "$(iop_key "$B" child.spi-out)"
    iop_check_eq "ESP spi-out a = spi-in b" "$(iop_key "$A" child.spi-out)" "$(iop_key "$B" child.spi-in)"
    iop_check_eq "a: log spi_in = list" "$(iop_key "$A" child.spi-in)" "$(iop_key "$KA" CHILD_spi_in)"
    iop_check_eq "b: log spi_in = list" "$(iop_key "$B" child.spi-in)" "$(iop_key "$KB" CHILD_spi_in)"
    echo " keys logged by a vs b:"
    local names="g_ir SKEYSEED SK_d SK_ei SK_er SK_pi SK_pr CHILD_seed CHILD_encr_i CHILD_encr_r" n
    [ "$sname" = cbc ] && names="$names SK_ai SK_ar CHILD_integ_i CHILD_integ_r"
    for n in $names; do
        local va vb
        va=$(iop_key "$KA" "$n"); vb=$(iop_key "$KB" "$n")
        if [ -n "$va" ] && [ "$va" = "$vb" ]; then
            printf '  ok   %-24s %d octets\n' "$n a = b" $(( ${#va} / 2 ))
        else
            iop_check_eq "$n a = b" "$va" "$vb"
        fi
    done
    # lengths: GCM keys carry the 4-octet salt (RFC 4106): 36 octets for AES-256
    if [ "$sname" = gcm ]; then
        iop_check_eq "len SK_ei (AES-256+salt)" 72 "$(iop_key "$KA" SK_ei | tr -d '\n' | wc -c)"
        iop_check_eq "len ESP encr key" 72 "$(iop_key "$KA" CHILD_encr_i | tr -d '\n' | wc -c)"
        iop_check_absent "SK_ai (none with AEAD)" "$(iop_key "$KA" SK_ai)"
    else
        iop_check_eq "len SK_ei (AES-256)" 64 "$(iop_key "$KA" SK_ei | tr -d '\n' | wc -c)"
        iop_check_eq "len ESP encr (AES-128)" 32 "$(iop_key "$KA" CHILD_encr_i | tr -d '\n' | wc -c)"
        iop_check_eq "len ESP integ (SHA256)" 64 "$(iop_key "$KA" CHILD_integ_i | tr -d '\n' | wc -c)"
    fi
    echo " key schedule recomputed from a's log (python3 hmac):"
    iop_check_keymat a || IOP_FAILED=$((IOP_FAILED + 1))

    echo " data plane (kernel-libipsec, ESP in UDP 4500):"
    ip netns exec "$IOP_NS_b" bash -c "echo interop-probe >/dev/udp/$IOP_INNER_a/9" 2>/dev/null
    local pk
    for _ in $(seq 1 40); do
        iop_charon_sas a >/dev/null
        pk=$(iop_key "$A" child.packets-in)
        [ "${pk:-0}" -ge 1 ] && break
        sleep 0.05
    done
    iop_check_eq "a: ESP packets-in" 1 "$pk"

    if [ -n "$capture_pid" ]; then
        # dumpcap reads the interface in blocks (TPACKET_V3, a timeout of its own): a frame that
        # arrived just before SIGINT can be lost (a clean-clone CI run counted the ESP packet in
        # a's SA but not in the capture). Stop only once the file holds the ESP frame, or after 3 s.
        local want_spi
        want_spi="0x$(iop_key "$A" child.spi-in)"
        for _ in $(seq 1 30); do
            tshark -n -r "$IOP_DIR/veth_a.pcap" -T fields -e esp.spi 2>/dev/null | grep -qx "$want_spi" && break
            sleep 0.1
        done
        sleep 0.2
        kill -INT "$capture_pid" 2>/dev/null
        wait "$capture_pid" 2>/dev/null
        tshark -n -r "$IOP_DIR/veth_a.pcap" -T fields -e frame.time_relative -e udp.srcport \
            -e udp.dstport -e isakmp.exchangetype -e esp.spi -e _ws.col.Info 2>/dev/null \
            >"$IOP_DIR/capture.txt"
        echo " capture on veth_a (time, sport, dport, exchange type, ESP SPI, info):"
        sed 's/^/    /' "$IOP_DIR/capture.txt"
        # exchange types: 34 IKE_SA_INIT, 35 IKE_AUTH
        iop_check_eq "IKE_SA_INIT on UDP 500" 2 "$(awk -F'\t' '$4 == 34 && $2 == 500 && $3 == 500' "$IOP_DIR/capture.txt" | wc -l)"
        iop_check_eq "IKE_AUTH on UDP 4500" 2 "$(awk -F'\t' '$4 == 35 && $2 == 4500 && $3 == 4500' "$IOP_DIR/capture.txt" | wc -l)"
        iop_check_eq "ESP to a's spi-in, UDP 4500" 1 "$(awk -F'\t' -v spi="0x$(iop_key "$A" child.spi-in)" \
            '$5 == spi && $2 == 4500 && $3 == 4500' "$IOP_DIR/capture.txt" | wc -l)"
        local wire_cap
        wire_cap=$(awk -F'\t' '$4 == 34 && !t0 { t0 = $1 } $4 == 35 { t1 = $1 } END { if (t0 && t1) printf "%.1f", (t1 - t0) * 1000 }' \
            "$IOP_DIR/capture.txt")
        echo "  on the wire (capture): IKE_SA_INIT request -> IKE_AUTH response ${wire_cap:-?} ms"
        TIMINGS+=("$case: capture on veth_a: IKE_SA_INIT request -> IKE_AUTH response ${wire_cap:-?} ms")
    fi

    if [ "$IOP_FAILED" != "$fails_before" ]; then
        CASES_FAILED+=("$case")
        iop_show_log a 60
        iop_show_log b 60
    fi
}

for entry in "${SUITES[@]}"; do
    IFS='|' read -r sname prop esp <<<"$entry"
    run_case "$sname" "$prop" "$esp" b
    run_case "$sname" "$prop" "$esp" a
done
iop_case_end

echo "=== timings"
for t in "${TIMINGS[@]}"; do echo "  $t"; done
if [ "${#CASES_FAILED[@]}" != 0 ]; then
    echo "FAILED cases: ${CASES_FAILED[*]} ($IOP_FAILED failed checks)"
    exit 1
fi
echo "PASS: all $CASES_RUN charon<->charon cases"
exit 0
