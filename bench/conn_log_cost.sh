#!/usr/bin/env bash
# bench/conn_log_cost.sh OLD NEW — what --log-connections costs.
#  1. callgrind: instructions on the worker thread per connection (crr -t 1 -c 4 -n N) and per
#     request (rr -t 1 -c 4 -n N), OLD and NEW without the flag, at two run lengths; the slope
#     (difference over the difference in N) leaves out start-up and end.
#  2. CPS: crr -t 1 -c 32 -d SECONDS against a server -t 1 of NEW, alternating rounds of no log,
#     --log-connections sample 1 and --log-sample 100; the median and spread of each.
#   ROUNDS=7 SECONDS=2 bench/conn_log_cost.sh /work/main/build/connperf build/connperf
set -u
_seconds_env=$SECONDS
OLD=${1:?usage: bench/conn_log_cost.sh OLD NEW}
NEW=${2:?usage: bench/conn_log_cost.sh OLD NEW}
ROUNDS=${ROUNDS:-7}
if [ "$_seconds_env" -gt 0 ] 2>/dev/null && [ "$_seconds_env" -le 600 ]; then DUR=$_seconds_env; else DUR=2; fi
TMP=$(mktemp -d)
SPID=""
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

"$NEW" server --listen 127.0.0.1:0 -t 1 --mode http >"$TMP/s.out" 2>"$TMP/s.err" &
SPID=$!
for _ in $(seq 100); do
  PORT=$(grep -o 'listening on [0-9.]*:[0-9]*' "$TMP/s.err" "$TMP/s.out" 2>/dev/null | head -1 | sed 's/.*://')
  [ -n "$PORT" ] && break
  sleep 0.05
done
T=127.0.0.1:$PORT

# Instructions of the worker thread (callgrind's thread 2; 1 is the reporting thread) of a run.
worker_ir() {  # BIN ARGS...
  rm -f "$TMP"/cg.*
  valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$TMP/cg.%p" "$@" -q \
    >/dev/null 2>"$TMP/vg.err"
  grep -m1 '^summary:' "$TMP"/cg.*-02 | awk '{print $2}'
}

slope() {  # LABEL UNIT N1 N2 ARGS... (run on OLD and NEW)
  local label=$1 unit=$2 n1=$3 n2=$4; shift 4
  for bin in "$OLD" "$NEW"; do
    local a b
    a=$(worker_ir "$bin" "$@" -n "$n1")
    b=$(worker_ir "$bin" "$@" -n "$n2")
    printf '%-4s %-40s n=%-6s %12s  n=%-6s %12s  per %s: %.1f (at n=%s: %.1f)\n' "$label" "$bin" \
      "$n1" "$a" "$n2" "$b" "$unit" "$(echo "($b - $a) / ($n2 - $n1)" | bc -l)" "$n2" \
      "$(echo "$b / $n2" | bc -l)"
  done
}

if [ "${SKIP_CPS:-0}" = 1 ]; then ROUNDS=0; fi
if [ "${SKIP_CALLGRIND:-0}" != 1 ]; then
  slope crr connection 2000 6000 crr "$T" -t 1 -c 4
  slope rr request 20000 60000 rr "$T" -t 1 -c 4
fi

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
spread() { tr ' ' '\n' | grep -v '^$' | sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%s..%s", lo, hi}'; }

cps() {  # ARGS...: one crr run's cps
  "$NEW" crr "$T" -t 1 -c 32 -d "$DUR" -q --json "$TMP/r.json" "$@" >/dev/null 2>&1
  python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['summary']['cps']))" "$TMP/r.json"
}

OFF="" S1="" S100=""
for r in $(seq "$ROUNDS"); do
  OFF="$OFF $(cps)"
  S1="$S1 $(cps --log-connections "$TMP/l.ndjson")"
  S100="$S100 $(cps --log-connections "$TMP/l.ndjson" --log-sample 100)"
done
echo "crr -t 1 -c 32 -d $DUR, $ROUNDS rounds alternating (cps median, spread):"
echo "  no log        $(echo $OFF | median)  ($(echo $OFF | spread))"
echo "  sample 1      $(echo $S1 | median)  ($(echo $S1 | spread))"
echo "  sample 100    $(echo $S100 | median)  ($(echo $S100 | spread))"
