#!/usr/bin/env bash
# run_mutant.sh MUTANT_EXE BASELINE_LIST: runs the suite (properties + sequence replay) built
# against one mutant and succeeds only when it fails through a property or sequence failure
# (a gtest failure with a RapidCheck counterexample or an EXPECT failure) that the unmutated
# baseline build does not have (BASELINE_LIST, written by `run_mutant.sh --baseline EXE LIST`)
# -- not through a missing build (compile error), a crash or a sanitizer abort. The builds are
# ctest's fixture `mutants.build`. RC_PARAMS defaults to a CI-sized, reproducible run.
set -u
export RC_PARAMS=${RC_PARAMS:-"max_success=300 seed=20261129"}
# The sequence replay's random schedules (a RapidCheck run per file) are left out for time.
filter='Endpoint_pair_properties.*:World.*:*Sequence*-*Sequence_random_schedule*'
failed() { grep -E '^\[  FAILED  \] ([A-Za-z_]+/)?(Endpoint_pair_properties|World|Sequence[A-Za-z_]*)\.[A-Za-z_0-9/]+( \(|,)' | sed 's/^\[  FAILED  \] //; s/ (.*//; s/, where.*//' | sort -u; }
if [ "$1" = "--baseline" ]; then
  # The unmutated suite: its failures (if any) are written to LIST; they cannot count as catches.
  "$2" --gtest_filter="$filter" 2>&1 | failed >"$3"
  exit 0
fi
exe=$1 list=$2
name=$(basename "$exe")
if [ ! -x "$exe" ] || [ ! -f "$list" ]; then
  echo "$exe or $list missing (compile error? see the mutants.build test): not a valid catch"
  exit 1
fi
out=$("$exe" --gtest_filter="$filter" 2>&1)
rc=$?
if grep -qE 'AddressSanitizer|UndefinedBehaviorSanitizer|Segmentation fault|terminate called|Aborted' <<<"$out" || [ $rc -gt 1 ]; then
  echo "$out" | tail -40
  echo "mutant $name: crashed (exit $rc): not a valid catch"
  exit 1
fi
base_failed=$(cat "$list")
caught=$(comm -23 <(failed <<<"$out") <(printf '%s\n' "$base_failed" | sed '/^$/d'))
if [ $rc -eq 1 ] && [ -n "$caught" ]; then
  echo "mutant $name caught by:"
  echo "$caught" | sed 's/^/  /'
  grep -E '^step [0-9]+:|^(more|IKE SAs|CHILD SAs|an IKE SA|timer)' <<<"$out" | head -3 | sed 's/^/  /'
  exit 0
fi
echo "$out" | tail -20
echo "mutant $name survived: no property or sequence failed that the baseline does not fail${base_failed:+ (baseline fails: $(echo $base_failed))}"
exit 1
