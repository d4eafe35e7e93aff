#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (ASan + UBSan) in build-fuzz, seeds the corpora
# from the captures and an in-memory PSK dialogue, and runs each target for a bounded time,
# printing libFuzzer's final stats (executions, coverage). Exit status: 0 when every target ran
# clean, 1 on a crash/leak/UBSan report (the reproducer is left in build-fuzz/artifacts).
#   tests/fuzz/run.sh [SECONDS per target, default 60]
# Env: IKEREF_FUZZ_BUILD (default <repo>/build-fuzz), IKEREF_CAPTURE_DIR (default ../shared/testdata).
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${IKEREF_FUZZ_BUILD:-$root/build-fuzz}"
captures="${IKEREF_CAPTURE_DIR:-$root/../shared/testdata}"

CC=clang-14 CXX=clang++-14 cmake -S "$root/tests/fuzz" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz_targets -j "${JOBS:-1}"

seeds="$build/seeds"
rm -rf "$seeds"
"$build/fuzz_make_seeds" "$captures" "$seeds"

status=0
for target in decode_message responder; do
    corpus="$build/corpus/$target"
    mkdir -p "$corpus" "$build/artifacts"
    echo "== fuzz_$target for ${seconds}s"
    log="$build/fuzz_$target.log"
    if ! "$build/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
            -rss_limit_mb=2048 -artifact_prefix="$build/artifacts/$target-" \
            "$corpus" "$seeds/$target" >"$log" 2>&1; then
        status=1
        echo "fuzz_$target FAILED:"
        grep -E 'ERROR|SUMMARY|Test unit written' "$log" || tail -n 40 "$log"
    fi
    # libFuzzer's last status line (coverage, features, corpus) and final stats.
    grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1 || true
    grep -E '^stat::' "$log" || true
done
exit "$status"
