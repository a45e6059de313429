#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS on a scratch copy of its seed corpus (tests/fuzz/corpus/
# <target>, never written), JOBS at a time, and prints the executions each reached. Exits
# non-zero when a target crashed or broke an invariant; the input is kept as BUILD/<target>-crash-*.
# usage: run.sh BUILD SECONDS JOBS TARGET...
set -uo pipefail
build=$1 seconds=$2 jobs=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)

run_one() {
  local t=$1 work=$build/corpus/$1
  rm -rf "$work" && mkdir -p "$work"
  "$build/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/$t-" "$work" "$here/corpus/$t" >"$build/$t.log" 2>&1
  local rc=$?
  local execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/$t.log" | tail -1)
  printf '%-16s %s executions in %ss%s\n' "$t" "${execs:-?}" "$seconds" \
    "$([ $rc -eq 0 ] || echo ", FAILED (exit $rc, see $build/$t.log)")"
  return $rc
}

failed=0 running=0 pids=()
for t in "$@"; do
  run_one "$t" >"$build/$t.summary" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
echo "fuzz: target, executions"
for t in "$@"; do cat "$build/$t.summary"; done
if [ $failed -ne 0 ]; then
  for t in "$@"; do grep -h -A30 "ERROR\|fuzz invariant" "$build/$t.log" | head -60; done
  echo "fuzz: a target crashed" >&2
  exit 1
fi
echo "fuzz: no target crashed"
