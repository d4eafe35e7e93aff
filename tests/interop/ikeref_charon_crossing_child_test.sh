#!/usr/bin/env bash
# Interop (ctest): the CHILD SA half of ikeref_charon_crossing.sh - simultaneous CHILD SA rekeys
# (RFC 7296 §2.8.1) crossed with the impairing transport, IOP_CROSS_ROUNDS (4) rounds; both ends
# must keep exactly one surviving CHILD SA with the same SPIs and keys. The IKE SA half stays out
# of ctest until it passes. Usage: ikeref_charon_crossing_child_test.sh PATH/TO/ikeref
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IOP_RUNS=child exec bash "$HERE/ikeref_charon_crossing.sh" "$@"
