#!/usr/bin/env bash
# bench/lab.sh — new connections per second through the lab's DUT (a forwarding namespace with
# connection tracking) against the same client and server one veth hop apart with no forwarding.
# Per round, alternating:
#   through   crr in NAME-client -> DUT (forwarding, conntrack) -> server in NAME-server
#   direct    crr in NAME-client -> server in NAME-dut on 198.18.0.1 (same link, nothing forwarded)
# and the CPU time of the whole host's softirq work per connection (from /proc/stat), which is
# where forwarding and conntrack run. Root only; builds its own lab and removes it.
#   ROUNDS=3 SECONDS=5 bench/lab.sh           writes bench/out/lab.md
set -u
_seconds_env=$SECONDS
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CONNPERF=${CONNPERF:-$ROOT/build/connperf}
OUT=$HERE/out
ROUNDS=${ROUNDS:-5}
if [ -n "${DURATION:-}" ]; then DUR=$DURATION
elif [ "$_seconds_env" -gt 0 ] 2>/dev/null && [ "$_seconds_env" -le 600 ]; then DUR=$_seconds_env
else DUR=3; fi
NAME=${NAME:-cpbench}
CONC=${CONC:-64}
THREADS=${THREADS:-2}
mkdir -p "$OUT"
TMP=$(mktemp -d)
SPID=""
cleanup() { [ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null; "$CONNPERF" lab down --name "$NAME" >/dev/null 2>&1; rm -rf "$TMP"; }
trap cleanup EXIT
die() { echo "lab.sh: $*" >&2; exit 1; }
[ -x "$CONNPERF" ] || die "$CONNPERF not built (make build)"
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
"$CONNPERF" lab up --name "$NAME" --sources 4 >/dev/null || die "lab up failed"

. "$HERE/lib.sh"  # median, spread, med_spread
softirq_ticks() { awk '/^cpu / {print $8}' /proc/stat; }

run_one() {  # how → "cps softirq_us_per_conn"
  local how=$1 ns addr
  if [ "$how" = through ]; then ns=$NAME-server addr=198.19.0.2; else ns=$NAME-dut addr=198.18.0.1; fi
  "$CONNPERF" server --netns "$ns" --listen "$addr:8080" -t "$THREADS" -q >"$TMP/s.out" 2>"$TMP/s.err" &
  SPID=$!
  for _ in $(seq 100); do grep -q 'listening on' "$TMP/s.err" && break; sleep 0.05; done
  local s0; s0=$(softirq_ticks)
  "$CONNPERF" crr --netns "$NAME-client" "$addr:8080" -t "$THREADS" -c "$CONC" -d "$DUR" -q \
    --bind 198.18.0.10-198.18.0.13 --json "$TMP/c.json" >/dev/null 2>"$TMP/c.err"
  local s1; s1=$(softirq_ticks)
  kill -INT "$SPID"; wait "$SPID" 2>/dev/null; SPID=""
  python3 -c "
import json, os
s = json.load(open('$TMP/c.json'))['summary']
hz = os.sysconf('SC_CLK_TCK')
print(round(s['cps']), round(($s1 - $s0) / hz * 1e6 / max(1, s['completed']), 2))"
}

declare -A CPS SIRQ
for r in $(seq "$ROUNDS"); do
  order="through direct"; [ $((r % 2)) -eq 0 ] && order="direct through"
  for how in $order; do
    read -r cps sirq <<<"$(run_one "$how")"
    CPS[$how]+=" $cps"; SIRQ[$how]+=" $sirq"
    echo "round $r $how: $cps conn/s, softirq ${sirq} us/conn" >&2
  done
done
{
  echo "## crr through the lab's DUT vs direct: $ROUNDS round(s) x ${DUR} s, crr -t $THREADS -c $CONC, $(nproc) CPUs, medians (min–max)"
  echo
  echo "| path | conn/s | host softirq CPU per connection |"
  echo "|---|---:|---:|"
  for how in direct through; do
    echo "| $how | $(med_spread <<<"${CPS[$how]}") | $(med_spread <<<"${SIRQ[$how]}") us |"
  done
  echo
  t=$(echo "${CPS[through]}" | median); d=$(echo "${CPS[direct]}" | median)
  echo "through / direct = $(python3 -c "print(f'{$t / $d:.2f}')")"
} | tee "$OUT/lab.md"
