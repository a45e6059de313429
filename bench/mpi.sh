#!/usr/bin/env bash
# bench/mpi.sh — does running as MPI ranks cost anything per connection?
#
#   bench/mpi.sh [--quick]          ROUNDS rounds (default 3) of DURATION seconds (default 10)
#   ROUNDS=5 DURATION=20 bench/mpi.sh      CONNPERF=/path/to/connperf overrides the binary
#
# On this host, against one `connperf server -t 2` on 127.0.0.1, paired and alternating (the
# order swaps every round, so drift does not favour whoever runs first):
#   single   connperf crr -t 2 -c 64                            one process, two threads
#   mpi      mpirun -np 2 connperf crr -t 1 -c 64               two ranks of one thread each
# Both are asked for the same job (-c 64 in total, same -d); each reports the job's cps in its
# JSON (`summary.cps`; for mpi the merged figure of both ranks). The ratio mpi/single per round
# and its median tell whether the ranks' per-interval reductions cost anything per connection:
# the goal is a median ratio >= 0.95. MPI's own traffic stays on lo (btl self,tcp on lo).
#
# Writes the report to stdout and bench/out/mpi.md, per-run numbers to bench/out/mpi.tsv.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$HERE/out
CONNPERF=${CONNPERF:-$HERE/../build/connperf}
ROUNDS=${ROUNDS:-5}
DUR=${DURATION:-6}
for arg in "$@"; do
  case $arg in
    --quick) DUR=3; ROUNDS=1 ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "mpi.sh: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done
command -v mpirun >/dev/null || { echo "mpi.sh: mpirun not found (scripts/setup.sh installs openmpi-bin)" >&2; exit 1; }
[ -x "$CONNPERF" ] || { echo "mpi.sh: $CONNPERF not built" >&2; exit 1; }
mkdir -p "$OUT"
TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
export OMPI_MCA_btl=self,tcp OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo

"$CONNPERF" server --listen 127.0.0.1:0 -t 2 --mode http -q >/dev/null 2>"$TMP/server.err" &
SERVER_PID=$!
for _ in $(seq 100); do grep -q "listening on" "$TMP/server.err" && break; sleep 0.1; done
TARGET=$(sed -n 's/.*listening on \([0-9.:]*\).*/\1/p' "$TMP/server.err" | head -1)
[ -n "$TARGET" ] || { echo "mpi.sh: server did not start" >&2; exit 1; }

cps() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["cps"])' "$1"; }
run_single() { "$CONNPERF" crr -q -t 2 -c 64 -d "$DUR" --json "$TMP/single.json" "$TARGET" >/dev/null && cps "$TMP/single.json"; }
run_mpi() {
  mpirun --allow-run-as-root --oversubscribe -np 2 "$CONNPERF" crr -q -t 1 -c 64 -d "$DUR" \
    --json "$TMP/mpi.json" "$TARGET" >/dev/null && cps "$TMP/mpi.json"
}

printf 'round\tsingle_cps\tmpi_cps\tratio\n' > "$OUT/mpi.tsv"
ratios=()
for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then s=$(run_single); m=$(run_mpi); else m=$(run_mpi); s=$(run_single); fi
  r=$(python3 -c "print(f'{$m/$s:.3f}')")
  ratios+=("$r")
  printf '%s\t%.0f\t%.0f\t%s\n' "$round" "$s" "$m" "$r" >> "$OUT/mpi.tsv"
  echo "mpi.sh: round $round: single $s cps, mpi $m cps, ratio $r" >&2
done
. "$(dirname "$0")/lib.sh"  # median, spread, med_spread
median=$(printf '%s\n' "${ratios[@]}" | med_spread)
{
  echo "# MPI overhead: 2 ranks x 1 thread vs 1 process x 2 threads ($ROUNDS rounds x ${DUR} s, -c 64, $TARGET)"
  echo
  echo "| round | single cps | mpi cps | mpi/single |"
  echo "|---|---|---|---|"
  tail -n +2 "$OUT/mpi.tsv" | awk -F'\t' '{printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4}'
  echo
  echo "median ratio (min–max): $median (goal: median >= 0.95)"
} | tee "$OUT/mpi.md"
