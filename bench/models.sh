#!/usr/bin/env bash
# bench/models.sh — the server models side by side on loopback:
#  1. connections per second under `connperf crr` (-t 2 -c 64, HTTP, RST close) for each of
#     --model epoll|thread|fork|iterative, ROUNDS alternating rounds of SECONDS each, medians;
#  2. resident memory per idle connection at COUNT (default 10,000) open connections for epoll
#     and thread: VmRSS of the server before and after tests/peers/hold_conns.py opens them.
# Targets (issue "server models"): epoll >= 3x thread in CPS; epoll < 2 KiB per idle connection.
#   ROUNDS=3 SECONDS=5 COUNT=10000 bench/models.sh        writes bench/out/models.md
set -u
_seconds_env=$SECONDS
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CONNPERF=${CONNPERF:-$ROOT/build/connperf}
OUT=$HERE/out
ROUNDS=${ROUNDS:-5}
DUR=${DURATION:-$([ "$_seconds_env" -gt 0 ] 2>/dev/null && echo "$_seconds_env" || echo 3)}
COUNT=${COUNT:-10000}
mkdir -p "$OUT"
TMP=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT

start_server() {  # model extra... → sets SPID, PORT
  local model=$1; shift
  "$CONNPERF" server --listen 127.0.0.1:0 --model "$model" --mode http -q "$@" \
    >"$TMP/server.out" 2>"$TMP/server.err" &
  SPID=$!; PIDS+=("$SPID")
  for _ in $(seq 100); do
    PORT=$(grep -o 'listening on [^ ]*' "$TMP/server.err" 2>/dev/null | sed 's/.*://')
    [ -n "$PORT" ] && return 0
    sleep 0.05
  done
  echo "models.sh: server --model $model did not start" >&2; return 1
}

stop_server() { kill -TERM "$SPID" 2>/dev/null; timeout 15 tail --pid="$SPID" -f /dev/null; }

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# CPU ticks of the server: its own and its reaped children's (fork), user + system.
server_ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat" 2>/dev/null || echo 0; }

cps_run() {  # model → prints "cps server_cpu_us_per_connection"
  start_server "$1" --max-connections 256 || { echo "0 0"; return; }
  local t0 t1
  t0=$(server_ticks "$SPID")
  timeout $((DUR + 30)) "$CONNPERF" crr "127.0.0.1:$PORT" -t 2 -c 64 -d "$DUR" -q \
    --json "$TMP/crr.json" >/dev/null 2>&1
  t1=$(server_ticks "$SPID")
  stop_server
  python3 -c "
import json; s = json.load(open('$TMP/crr.json'))['summary']
print(round(s['cps']), round(($t1 - $t0) / $HZ * 1e6 / max(s['completed'], 1), 1))" 2>/dev/null || echo "0 0"
}
HZ=$(getconf CLK_TCK)

MODELS=(epoll thread fork iterative)
declare -A RUNS SCPU
for r in $(seq "$ROUNDS"); do
  for i in "${!MODELS[@]}"; do
    m=${MODELS[$(( (i + r) % ${#MODELS[@]} ))]}
    read -r v us <<<"$(cps_run "$m")"
    echo "models.sh: round $r/$ROUNDS $m: $v conn/s, server CPU $us us per connection" >&2
    RUNS[$m]="${RUNS[$m]:-} $v"
    SCPU[$m]="${SCPU[$m]:-} $us"
  done
done

. "$HERE/lib.sh"  # median, spread, med_spread

mem_run() {  # model → prints "rss_before rss_after held"
  start_server "$1" --max-connections $((COUNT + 1000)) --idle-timeout 600 || { echo "0 0 0"; return; }
  local before after held
  sleep 0.3
  before=$(rss_kib "$SPID")
  python3 "$ROOT/tests/peers/hold_conns.py" --port "$PORT" --count "$COUNT" >"$TMP/hold.out" &
  local hp=$!; PIDS+=("$hp")
  for _ in $(seq 1200); do grep -q held "$TMP/hold.out" 2>/dev/null && break; sleep 0.1; done
  sleep 1
  after=$(rss_kib "$SPID")
  held=$(awk '{print $2}' "$TMP/hold.out")
  kill -TERM "$hp"; wait "$hp" 2>/dev/null
  stop_server
  echo "$before $after ${held:-0}"
}

{
  echo "## Server models on loopback: $ROUNDS round(s) x ${DUR} s, $(nproc) CPUs, $(uname -sr)"
  echo
  echo "| model | conn/s, median (min–max) (crr -t 2 -c 64) | vs thread | server CPU per connection |"
  echo "|---|---:|---:|---:|"
  thread_cps=$(echo "${RUNS[thread]}" | median)
  for m in "${MODELS[@]}"; do
    v=$(echo "${RUNS[$m]}" | median)
    ratio=$(python3 -c "print(f'{$v/$thread_cps:.2f}x' if $thread_cps else 'n/a')")
    echo "| $m | $(med_spread <<<"${RUNS[$m]}") | $ratio | $(median <<<"${SCPU[$m]}") us |"
  done
  echo
  echo "| model | idle connections held | server RSS before (KiB) | after (KiB) | per connection |"
  echo "|---|---:|---:|---:|---:|"
  for m in epoll thread; do
    read -r before after held <<<"$(mem_run "$m")"
    per=$(python3 -c "print(f'{($after-$before)*1024/$held:.0f} bytes' if $held else 'n/a')")
    echo "| $m | $held | $before | $after | $per |"
  done
  echo
  epoll_cps=$(echo "${RUNS[epoll]}" | median)
  python3 -c "print(f'epoll / thread = {$epoll_cps/$thread_cps:.2f}x (target >= 3)' if $thread_cps else 'epoll / thread = n/a')"
} | tee "$OUT/models.md"
