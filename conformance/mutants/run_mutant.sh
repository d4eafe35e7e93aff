#!/usr/bin/env bash
# run_mutant.sh CMAKE BUILD_DIR TARGET EXE: builds the mutant, runs the property suite on it and
# succeeds only when the suite fails through a property/assertion failure (a gtest failure
# with a RapidCheck counterexample or an EXPECT failure), not through a compile error, a crash
# or a sanitizer abort. RC_PARAMS defaults to a CI-sized run.
set -u
cmake_bin=$1 build=$2 target=$3 exe=$4
if ! "$cmake_bin" --build "$build" --target "$target" -j1 >"$build/$target.build.log" 2>&1; then
  echo "mutant $target: does not compile (see $build/$target.build.log): not a valid catch"
  exit 1
fi
export RC_PARAMS=${RC_PARAMS:-max_success=300}
out=$("$exe" --gtest_filter='Endpoint_pair_properties.*:World.*' 2>&1)
rc=$?
if grep -qE 'AddressSanitizer|UndefinedBehaviorSanitizer|Segmentation fault|terminate called|Aborted' <<<"$out" || [ $rc -gt 1 ]; then
  echo "$out" | tail -40
  echo "mutant $target: crashed (exit $rc): not a valid catch"
  exit 1
fi
if [ $rc -eq 1 ] && grep -qE '^\[  FAILED  \] (Endpoint_pair_properties|World)\.' <<<"$out"; then
  echo "mutant $target caught by:"
  grep -E '^\[  FAILED  \] [A-Za-z_]+\.' <<<"$out" | sort -u
  grep -E '^step [0-9]+:|^(more|IKE SAs|CHILD SAs|an IKE SA|timer)' <<<"$out" | head -5
  exit 0
fi
echo "$out" | tail -20
echo "mutant $target survived: every property passed"
exit 1
