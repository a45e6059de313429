#!/usr/bin/env bash
# bench/ab.sh OLD NEW — two connperf binaries side by side on the same work, alternating rounds
# (old, new, new, old, ...), medians and the new/old ratio: the check that a change costs no
# speed. Each binary serves itself (server and client from the same build):
#   crr     crr -t 2 -c 64 -d SECONDS                   -> server -t 2 --mode http
#   rr      rr -t 1 -c 50 -d SECONDS --request raw       -> server -t 1 --mode crr
#   proxy   ab -n N -c 32 (a connection per request) through proxy -t 2 -> server -t 1 --mode http
#   proxyk  the same with ab -k (keep-alive)
#   ROUNDS=5 SECONDS=4 bench/ab.sh /work/base/connperf build/connperf
set -u
_seconds_env=$SECONDS
HERE=$(cd "$(dirname "$0")" && pwd)
OLD=${1:?usage: bench/ab.sh OLD NEW}
NEW=${2:?usage: bench/ab.sh OLD NEW}
ROUNDS=${ROUNDS:-5}
if [ "$_seconds_env" -gt 0 ] 2>/dev/null && [ "$_seconds_env" -le 600 ]; then DUR=$_seconds_env; else DUR=4; fi
N=${N:-20000}
TMP=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT

. "$HERE/lib.sh"  # median, spread, med_spread

PORT=""
start() {  # BIN ARGS... → PORT; the process is remembered for stop_all
  local bin=$1; shift
  : >"$TMP/p.err"
  "$bin" "$@" -q >"$TMP/p.out" 2>"$TMP/p.err" &
  PIDS+=($!)
  PORT=""
  for _ in $(seq 100); do
    PORT=$(grep -o 'listening on [^ ]*' "$TMP/p.err" | head -1 | sed 's/.*://')
    [ -n "$PORT" ] && return
    sleep 0.05
  done
  echo "ab.sh: $bin $* did not start" >&2; exit 1
}
stop_all() { for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; PIDS=(); }

one() {  # BIN WORK → figure
  local bin=$1 work=$2 sp pp
  case $work in
    crr)
      start "$bin" server --listen 127.0.0.1:0 -t 2 --mode http; sp=$PORT
      "$bin" crr "127.0.0.1:$sp" -t 2 -c 64 -d "$DUR" -q --json "$TMP/j" >/dev/null
      python3 -c "import json; print(round(json.load(open('$TMP/j'))['summary']['cps']))" ;;
    rr)
      start "$bin" server --listen 127.0.0.1:0 -t 1 --mode crr; sp=$PORT
      "$bin" rr "127.0.0.1:$sp" -t 1 -c 50 -d "$DUR" --request raw -q --json "$TMP/j" >/dev/null
      python3 -c "import json; print(round(json.load(open('$TMP/j'))['summary']['qps']))" ;;
    proxy|proxyk)
      start "$bin" server --listen 127.0.0.1:0 -t 1 --mode http; sp=$PORT
      start "$bin" proxy --listen 127.0.0.1:0 -t 2; pp=$PORT
      local k=""; [ "$work" = proxyk ] && k="-k"
      ab $k -q -n "$N" -c 32 -X "127.0.0.1:$pp" "http://127.0.0.1:$sp/" 2>/dev/null |
        awk '/Requests per second/ {print int($4)}' ;;
  esac
  stop_all
}

declare -A FIG
for r in $(seq "$ROUNDS"); do
  order="old new"; [ $((r % 2)) -eq 0 ] && order="new old"
  for work in crr rr proxy proxyk; do
    for who in $order; do
      bin=$OLD; [ "$who" = new ] && bin=$NEW
      one "$bin" "$work" >"$TMP/fig"
      f=$(cat "$TMP/fig")
      FIG[$work.$who]+=" $f"
      echo "round $r $work $who: $f" >&2
    done
  done
done
echo "| work | old, median (min–max) | new, median (min–max) | new/old |"
echo "|---|---:|---:|---:|"
for work in crr rr proxy proxyk; do
  o=$(median <<<"${FIG[$work.old]}"); n=$(median <<<"${FIG[$work.new]}")
  echo "| $work | $(med_spread <<<"${FIG[$work.old]}") | $(med_spread <<<"${FIG[$work.new]}") |" \
       "$(python3 -c "print(f'{$n / $o:.3f}')") |"
done
echo "(a new/old ratio whose two ranges overlap is inside the run-to-run spread: noise)"
