#!/usr/bin/env bash
# bench/cc.sh — how fast `connperf cc` opens N concurrent connections, and what holding them
# costs the client. One `connperf server -t 2` on loopback; per round:
#  1. `cc -n N` as fast as possible (no --ramp) from the BIND source addresses (default two, as
#     the kernel's port search slows connect() once one address uses half the local port range):
#     time until all N are open, the ramp rate (N / that time) and failures;
#  2. the client's VmRSS while holding N, against the same command holding BASE connections:
#     (rss_N - rss_BASE) / (N - BASE) is the user-space memory per held connection.
# Targets (issue "persistent load"): N = 15,000 without errors; under 1 KiB per held connection.
#   ROUNDS=3 N=15000 bench/cc.sh              writes bench/out/cc.md
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CONNPERF=${CONNPERF:-$ROOT/build/connperf}
OUT=$HERE/out
ROUNDS=${ROUNDS:-5}
N=${N:-15000}
BASE=${BASE:-100}
HOLD=${HOLD:-3}
BIND=${BIND:-127.0.0.9,127.0.0.10}
mkdir -p "$OUT"
TMP=$(mktemp -d)
SPID=""
cleanup() { [ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
die() { echo "cc.sh: $*" >&2; exit 1; }
[ -x "$CONNPERF" ] || die "$CONNPERF not built (make build)"

"$CONNPERF" server --listen 127.0.0.1:0 -t 2 -q --max-connections $((N + 1000)) --idle-timeout 600 \
  >"$TMP/s.out" 2>"$TMP/s.err" &
SPID=$!
for _ in $(seq 100); do
  PORT=$(grep -o 'listening on [^ ]*' "$TMP/s.err" | sed 's/.*://'); [ -n "$PORT" ] && break; sleep 0.05
done
[ -n "$PORT" ] || die "connperf server did not start"

. "$HERE/lib.sh"  # median, spread, med_spread

run_cc() {  # count → "time_to_reach_s failed established rss_kib_while_holding"
  local count=$1 pid rss=0
  "$CONNPERF" cc "127.0.0.1:$PORT" -n "$count" --hold "$HOLD" --bind "$BIND" -q \
    --json "$TMP/cc.json" >/dev/null 2>"$TMP/cc.err" &
  pid=$!
  # Sample the resident size in the middle of the hold (all attempts have ended by then).
  for _ in $(seq 600); do
    grep -q . "$TMP/cc.json" 2>/dev/null && break
    [ -r "/proc/$pid/status" ] || break
    local now; now=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null)
    [ -n "$now" ] && [ "$now" -gt "$rss" ] && rss=$now
    sleep 0.05
  done
  wait "$pid"
  python3 -c "
import json; s = json.load(open('$TMP/cc.json'))['summary']
print(s['time_to_reach_s'], s['failed'], s['established'], $rss)"
  rm -f "$TMP/cc.json"
}

declare -A T FAILED RSS
for r in $(seq "$ROUNDS"); do
  order="$N $BASE"; [ $((r % 2)) -eq 0 ] && order="$BASE $N"
  for count in $order; do
    read -r t f e rss <<<"$(run_cc "$count")"
    echo "cc.sh: round $r n=$count: all open after $t s, established $e, failed $f, peak RSS $rss KiB" >&2
    T[$count]="${T[$count]:-} $t"; FAILED[$count]=$(( ${FAILED[$count]:-0} + f )); RSS[$count]="${RSS[$count]:-} $rss"
    sleep 1  # RST closes leave nothing behind, but let the server finish counting
  done
done
kill -TERM "$SPID"; wait "$SPID" 2>/dev/null; SPID=""

{
  echo "## cc on loopback: $ROUNDS round(s), $(nproc) CPUs, $(uname -sr), medians (min–max); --bind $BIND"
  echo
  t=$(median <<<"${T[$N]}")
  echo "| connections | time until all open | ramp rate | failed (all rounds) | client peak RSS |"
  echo "|---:|---:|---:|---:|---:|"
  for count in "$BASE" "$N"; do
    tc=$(median <<<"${T[$count]}")
    echo "| $count | $(printf '%.3f' "$tc") s ($(spread <<<"${T[$count]}")) | $(python3 -c "print(f'{$count/$tc:,.0f}/s' if $tc > 0 else 'n/a')") | ${FAILED[$count]} | $(median <<<"${RSS[$count]}") KiB |"
  done
  echo
  a=$(median <<<"${RSS[$N]}"); b=$(median <<<"${RSS[$BASE]}")
  python3 -c "print(f'Client memory per held connection: ({$a} - {$b}) KiB / ({$N} - {$BASE}) = {($a - $b) * 1024 / ($N - $BASE):.0f} bytes')"
} | tee "$OUT/cc.md"
