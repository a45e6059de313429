#!/usr/bin/env bash
# bench/server_log_cost.sh OLD NEW — what `server --log-connections` costs the server.
# callgrind: instructions on the server's epoll worker thread (-t 1) per connection (crr -c 4
# -n N against --mode http) and per request (rr -c 4 -n N), at two run lengths; the slope
# (difference over the difference in N) leaves out start-up and end. Rows: OLD and NEW without
# the flag (the log-off path), NEW with --log-connections (sample 1) and --log-sample 100.
# The clients are NEW, run natively; only the server runs under valgrind.
#   bench/server_log_cost.sh /work/main/build/connperf build/connperf
set -u
OLD=${1:?usage: bench/server_log_cost.sh OLD NEW}
NEW=${2:?usage: bench/server_log_cost.sh OLD NEW}
TMP=$(mktemp -d)
SPID=""
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

# Instructions of the server's worker thread over one client run: BIN CLIENT-ARGS -- SERVER-ARGS
worker_ir() {
  local bin=$1; shift
  local client=()
  while [ "$1" != "--" ]; do client+=("$1"); shift; done
  shift
  rm -f "$TMP"/cg.* "$TMP/s.err"
  valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$TMP/cg.%p" \
    "$bin" server --listen 127.0.0.1:0 -t 1 --mode http -q "$@" >/dev/null 2>"$TMP/s.err" &
  SPID=$!
  local port=""
  for _ in $(seq 400); do
    port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$TMP/s.err" 2>/dev/null | head -1 | sed 's/.*://')
    [ -n "$port" ] && break
    sleep 0.05
  done
  "$NEW" "${client[@]}" "127.0.0.1:$port" -q --timeout 60000 >/dev/null 2>&1
  kill -INT "$SPID"
  wait "$SPID" 2>/dev/null
  SPID=""
  # The worker's file is the one whose thread ran ServerWorker's loop.
  local f
  f=$(grep -l 'ServerWorker::on_io' "$TMP"/cg.*-* | head -1)
  grep -m1 '^summary:' "$f" | awk '{print $2}'
}

slope() {  # LABEL UNIT N1 N2 CLIENT-ARGS...
  local label=$1 unit=$2 n1=$3 n2=$4; shift 4
  while read -r name bin extra; do
    local a b
    # shellcheck disable=SC2086
    a=$(worker_ir "$bin" "$@" -n "$n1" -- $extra)
    # shellcheck disable=SC2086
    b=$(worker_ir "$bin" "$@" -n "$n2" -- $extra)
    printf '%-4s %-12s n=%-6s %12s  n=%-6s %12s  per %s: %.1f\n' "$label" "$name" "$n1" "$a" \
      "$n2" "$b" "$unit" "$(echo "($b - $a) / ($n2 - $n1)" | bc -l)"
  done <<ROWS
old-off $OLD
new-off $NEW
sample-1 $NEW --log-connections $TMP/l.ndjson
sample-100 $NEW --log-connections $TMP/l.ndjson --log-sample 100
ROWS
}

slope crr connection 1000 3000 crr -t 1 -c 4
slope rr request 10000 30000 rr -t 1 -c 4
