#!/usr/bin/env bash
# bench/soak.sh — a long crr run that must add up exactly: COUNT (default 10^6) new connections
# on loopback, closed with RST, against connperf server; then client completed == server rst,
# exactly, and both sides' invariants of DESIGN §3. Prints the peak memory (VmHWM) of both.
#
#   bench/soak.sh                 10^6 connections, at most 900 s
#   COUNT=100000 LIMIT=120 bench/soak.sh
#   CONNPERF=/path/to/connperf  THREADS=2 (each side)  CONC=64 (in flight)
#
# Exit 0 when every check holds, 1 otherwise. Results (both JSON documents and the output) go to
# bench/out/soak/. Sends traffic to 127.0.0.1 only; the server is stopped by its PID.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CONNPERF=${CONNPERF:-$HERE/../build/connperf}
COUNT=${COUNT:-1000000}
LIMIT=${LIMIT:-900}
THREADS=${THREADS:-2}
CONC=${CONC:-64}
OUT=$HERE/out/soak
mkdir -p "$OUT"
[ -x "$CONNPERF" ] || { echo "soak: no connperf at $CONNPERF (make build first)" >&2; exit 1; }

server_pid=""
cleanup() { [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null || true; }
trap cleanup EXIT

# The server's peak memory is read from /proc just before it is stopped; the client's from
# GNU time (-f %M: maximum resident set size, KiB), since it exits on its own.
"$CONNPERF" server --listen 127.0.0.1:0 -t "$THREADS" -q --json "$OUT/server.json" \
  2>"$OUT/server.err" >/dev/null &
server_pid=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$OUT/server.err" | head -1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "soak: the server did not start: $(cat "$OUT/server.err")" >&2; exit 1; }

echo "soak: $COUNT crr connections to 127.0.0.1:$port (-t $THREADS -c $CONC, at most $LIMIT s)"
start=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$OUT/client.maxrss" \
  "$CONNPERF" crr "127.0.0.1:$port" -n "$COUNT" -d "$LIMIT" -t "$THREADS" -c "$CONC" \
  --interval 10 --json "$OUT/client.json" | tee "$OUT/client.out"
end=$(date +%s.%N)

server_hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status")
kill -TERM "$server_pid"
wait "$server_pid" || { echo "soak: the server exited non-zero" >&2; exit 1; }
server_pid=""

python3 - "$OUT/client.json" "$OUT/server.json" "$(cat "$OUT/client.maxrss")" "$server_hwm" \
  "$COUNT" "$start" "$end" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))["summary"]
s = json.load(open(sys.argv[2]))["summary"]
client_kib, server_kib, count = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
wall = float(sys.argv[7]) - float(sys.argv[6])
checks = [
    ("client completed == COUNT", c["completed"] == count),
    ("client completed == server rst", c["completed"] == s["rst"]),
    ("client started == completed + errors + aborted",
     c["started"] == c["completed"] + c["error_total"] + c["aborted"]),
    ("server accepted == rst + fin + closed_by_server + errors + active",
     s["accepted"] == s["rst"] + s["fin"] + s["closed_by_server"] + s["errors"] + s["active"]),
]
print(f"client: started {c['started']:,} completed {c['completed']:,} errors {c['error_total']:,} "
      f"aborted {c['aborted']:,}  {c['cps']:,.0f} conn/s  p99 total {c['latency_us']['total']['p99']} us")
print(f"server: accepted {s['accepted']:,} rst {s['rst']:,} fin {s['fin']:,} "
      f"closed_by_server {s['closed_by_server']:,} errors {s['errors']:,} active {s['active']:,}")
print(f"peak memory (VmHWM): client {client_kib / 1024:.1f} MiB, server {server_kib / 1024:.1f} MiB"
      f"  wall {wall:.1f} s")
ok = True
for name, good in checks:
    print(f"  {'ok  ' if good else 'FAIL'} {name}")
    ok = ok and good
sys.exit(0 if ok else 1)
EOF
