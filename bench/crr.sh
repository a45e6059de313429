#!/usr/bin/env bash
# bench/crr.sh — new TCP connections per second on loopback: connperf against its peers.
#
#   bench/crr.sh [--quick]        ROUNDS rounds (default 3) of SECONDS seconds (default 10) per run
#   ROUNDS=5 SECONDS=20 bench/crr.sh     (DURATION=20 works too)
#   --quick: 3 s x 1 round.  CONNPERF=/path/to/connperf overrides the binary under test.
#
# Contenders, each a client and a server on 127.0.0.1, each on its own free port, all for the
# same number of seconds, the order rotated every round (alternating, so drift and thermal
# effects do not favour whoever runs first):
#   connperf   connperf crr -t 2 -c 64 (--request http, --close rst) -> connperf server -t 2 --mode http
#   ab         ab -c 64 -t SECONDS (HTTP/1.0, no keep-alive)        -> nginx, 2 workers
#   wrk        wrk -t2 -c64 -H "Connection: close"                   -> nginx, 2 workers
#   classic    tests/peers/classic_client.py --threads 16            -> tests/peers/classic_server.py
#   floor      bench/crr_floor client, 2 threads, 64 in flight        -> crr_floor server, 2 threads
#
# Connections per second come from each tool's own report (connperf/classic JSON "cps", ab
# "Requests per second", wrk "Requests/sec", crr_floor "cps"); every request is on a new
# connection, so requests/s == connections/s for all of them.
#
# CPU accounting (client + server, user + system, all threads and worker processes):
#  * Servers run until we stop them, so just before stopping one we read utime+stime (plus
#    cutime+cstime, i.e. reaped children) from /proc/PID/stat of the server process and, recursively,
#    of every child process (nginx: master + workers; workers are not reaped by the master while
#    they run, so RUSAGE_CHILDREN of anything would miss them). /proc/PID/stat of a process is
#    already the total over all of its threads. Units: clock ticks (getconf CLK_TCK).
#  * Clients exit on their own, so /proc cannot be read "just before" they stop. Each client runs
#    in a subshell that waits for it and then runs the `times` builtin, whose second line is the
#    RUSAGE_CHILDREN total of that subshell: exactly the client (with all its threads), reaped.
#  Both include a little idle time before/after the measured seconds (start-up, epoll/poll
#  timeouts), the same for every contender.
# CPU seconds per 1,000 connections = (client CPU + server CPU) / completed * 1000, per run;
# the table shows medians over the rounds.
#
# Writes the report to stdout and bench/out/crr.md, per-run numbers to bench/out/crr.tsv, raw
# tool output to bench/out/logs/ (bench/out/crr_floor is compiled there on every run).
set -u

# Must be first: bash's own $SECONDS starts from an imported SECONDS=N and then counts up.
_seconds_env=$SECONDS

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=$HERE/out
LOGS=$OUT/logs
CONNPERF=${CONNPERF:-$HERE/../build/connperf}
PEERS=$ROOT/tests/peers
ROUNDS=${ROUNDS:-5}
if [ -n "${DURATION:-}" ]; then
  DUR=$DURATION
elif [ "$_seconds_env" -gt 0 ] 2>/dev/null; then
  DUR=$_seconds_env
else
  DUR=5
fi
THREADS=2
CONC=64
CLASSIC_THREADS=16

for arg in "$@"; do
  case $arg in
    --quick) DUR=3; ROUNDS=1 ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "crr.sh: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done
[[ $DUR =~ ^[0-9]+$ ]] && [ "$DUR" -ge 1 ] || { echo "crr.sh: SECONDS must be a whole number >= 1" >&2; exit 2; }
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] || { echo "crr.sh: ROUNDS must be >= 1" >&2; exit 2; }

log() { echo "crr.sh: $*" >&2; }

# ---------------------------------------------------------------- process bookkeeping
PIDS=()         # everything we started in the background
NGINX_DIRS=()   # nginx instances (daemonized, stopped through nginx.sh)

. "$HERE/lib.sh"  # median, spread, med_spread; children, kill_tree, alive, wait_bounded

cleanup() {
  local pid d
  for pid in "${PIDS[@]}"; do
    alive "$pid" && kill_tree TERM "$pid"
  done
  for d in "${NGINX_DIRS[@]}"; do
    [ -s "$d/nginx.pid" ] && "$PEERS/nginx.sh" stop "$d" >/dev/null 2>&1
  done
  sleep 0.2
  for pid in "${PIDS[@]}"; do
    alive "$pid" && kill_tree KILL "$pid"
  done
  [ -n "${TMP:-}" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- CPU measurement
TCK=$(getconf CLK_TCK)

# utime+stime+cutime+cstime of one process, in ticks (0 when gone).
proc_ticks() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  s=${s##*) }   # drop "pid (comm) "; comm may contain spaces
  # shellcheck disable=SC2086
  set -- $s     # now $1 = state (field 3), so field N is ${N-2}
  echo $(( ${12} + ${13} + ${14} + ${15} ))
}

# The same, summed over a process and all its descendants.
tree_ticks() {
  local total c
  total=$(proc_ticks "$1")
  for c in $(children "$1"); do total=$(( total + $(tree_ticks "$c") )); done
  echo "$total"
}

ticks_to_s() { awk -v t="$1" -v hz="$TCK" 'BEGIN { printf "%.3f", t / hz }'; }

# Seconds of children CPU (user + sys) from a `times` output file (second line).
times_to_s() {
  awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); s += a[1] * 60 + a[2] } printf "%.3f", s }' "$1"
}

# ---------------------------------------------------------------- helpers
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=""

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits (bounded) for "listening on HOST:PORT" in file $1 written by pid $2; prints PORT.
wait_listening() {
  local file=$1 pid=$2 i port
  for ((i = 0; i < 100; i++)); do
    port=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$file" 2>/dev/null | head -n1)
    [ -n "$port" ] && { echo "$port"; return 0; }
    alive "$pid" || return 1
    sleep 0.1
  done
  return 1
}

# Stops a server we started directly (SIGTERM, bounded), then KILL if needed.
stop_server() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null
  wait_bounded "$pid" 10 >/dev/null
}

# Runs a client in a subshell that records its CPU (`times`), bounded to DUR+30 s.
# Usage: run_client PREFIX cmd...   (PREFIX.out, PREFIX.err, PREFIX.times)
run_client() {
  local prefix=$1 sp rc
  shift
  ( "$@" >"$prefix.out" 2>"$prefix.err"; rc=$?; times >"$prefix.times"; exit $rc ) &
  sp=$!
  PIDS+=("$sp")
  wait_bounded "$sp" $((DUR + 30))
  rc=$?
  return $rc
}

json_get() { # file expr
  "$PY" - "$1" "$2" <<'EOF'
import json, sys
try:
    text = open(sys.argv[1]).read()
    try:
        d = json.loads(text)
    except ValueError:  # a one-line JSON report after other output: take the last line
        d = json.loads(text.strip().splitlines()[-1])
    print(eval(sys.argv[2], {}, {"d": d}))
except Exception:
    print("")
EOF
}

# ---------------------------------------------------------------- one run per contender
# Each prints one TSV line: contender cps completed client_cpu_s server_cpu_s note
RUN_TAG=""

run_connperf() {
  local p=$LOGS/$RUN_TAG-connperf spid port cps ndone ccpu scpu note rc
  "$CONNPERF" server --listen 127.0.0.1:0 -t "$THREADS" --mode http -q --json "$p.server.json" \
    >"$p.server.out" 2>"$p.server.err" &
  spid=$!; PIDS+=("$spid")
  port=$(wait_listening "$p.server.err" "$spid") || { log "connperf server did not start (see $p.server.err)"; stop_server "$spid"; return 1; }
  run_client "$p" "$CONNPERF" crr "127.0.0.1:$port" -t "$THREADS" -c "$CONC" -d "$DUR" \
    --request http --close rst -q --json "$p.json"
  rc=$?
  scpu=$(ticks_to_s "$(tree_ticks "$spid")")
  stop_server "$spid"
  cps=$(json_get "$p.json" 'd["summary"]["cps"]')
  ndone=$(json_get "$p.json" 'd["summary"]["completed"]')
  note="rc=$rc errors=$(json_get "$p.json" 'sum(d["summary"]["errors"].values()) if isinstance(d["summary"]["errors"], dict) else d["summary"]["errors"]')"
  note+=" server_accepted=$(json_get "$p.server.json" 'd["summary"]["accepted"]') server_rst=$(json_get "$p.server.json" 'd["summary"]["rst"]')"
  ccpu=$(times_to_s "$p.times")
  printf 'connperf\t%s\t%s\t%s\t%s\t%s\n' "$cps" "$ndone" "$ccpu" "$scpu" "$note"
}

start_nginx() { # dir port -> master pid (the caller has put dir in NGINX_DIRS for the trap)
  "$PEERS/nginx.sh" start "$1" "$2" "$THREADS" >"$1.start.log" 2>&1 || { cat "$1.start.log" >&2; return 1; }
  tr -dc '0-9' <"$1/nginx.pid"
}

run_ab() {
  local p=$LOGS/$RUN_TAG-ab d port mpid cps ndone ccpu scpu note rc
  d=$TMP/nginx-$RUN_TAG-ab; port=$(free_port); NGINX_DIRS+=("$d")
  mpid=$(start_nginx "$d" "$port") || { log "nginx did not start for ab"; return 1; }
  # -t implies -n 50000; the later -n raises the cap so the time limit is what ends the run.
  # -r: do not abort on a receive error (count it instead).
  run_client "$p" ab -q -r -c "$CONC" -t "$DUR" -n $((DUR * 100000)) "http://127.0.0.1:$port/"
  rc=$?
  scpu=$(ticks_to_s "$(tree_ticks "$mpid")")
  "$PEERS/nginx.sh" stop "$d" >>"$d.start.log" 2>&1
  cps=$(awk '/^Requests per second:/ { print $4 }' "$p.out")
  ndone=$(awk '/^Complete requests:/ { print $3 }' "$p.out")
  note="rc=$rc failed=$(awk '/^Failed requests:/ { print $3 }' "$p.out")"
  ccpu=$(times_to_s "$p.times")
  printf 'ab\t%s\t%s\t%s\t%s\t%s\n' "$cps" "$ndone" "$ccpu" "$scpu" "$note"
}

run_wrk() {
  local p=$LOGS/$RUN_TAG-wrk d port mpid cps ndone ccpu scpu note rc
  d=$TMP/nginx-$RUN_TAG-wrk; port=$(free_port); NGINX_DIRS+=("$d")
  mpid=$(start_nginx "$d" "$port") || { log "nginx did not start for wrk"; return 1; }
  run_client "$p" wrk -t"$THREADS" -c"$CONC" -d"${DUR}s" -H "Connection: close" "http://127.0.0.1:$port/"
  rc=$?
  scpu=$(ticks_to_s "$(tree_ticks "$mpid")")
  "$PEERS/nginx.sh" stop "$d" >>"$d.start.log" 2>&1
  cps=$(awk '/^Requests\/sec:/ { print $2 }' "$p.out")
  ndone=$(awk '/requests in/ { print $1 }' "$p.out")
  # wrk prints a "Socket errors:" line only when there were some.
  note=$(grep -o 'Socket errors:.*' "$p.out" | tr -d ',' | tr ' ' '_')
  note="rc=$rc ${note:-socket_errors=0}"
  ccpu=$(times_to_s "$p.times")
  printf 'wrk\t%s\t%s\t%s\t%s\t%s\n' "$cps" "$ndone" "$ccpu" "$scpu" "$note"
}

run_classic() {
  local p=$LOGS/$RUN_TAG-classic spid port cps ndone ccpu scpu note rc
  "$PY" "$PEERS/classic_server.py" --host 127.0.0.1 --port 0 >"$p.server.line" 2>"$p.server.err" &
  spid=$!; PIDS+=("$spid")
  port=$(wait_listening "$p.server.err" "$spid") || { log "classic server did not start (see $p.server.err)"; stop_server "$spid"; return 1; }
  run_client "$p" "$PY" "$PEERS/classic_client.py" --host 127.0.0.1 --port "$port" \
    --threads "$CLASSIC_THREADS" --duration "$DUR"
  rc=$?
  scpu=$(ticks_to_s "$(tree_ticks "$spid")")
  stop_server "$spid"
  cps=$(json_get "$p.out" 'd["cps"]')
  ndone=$(json_get "$p.out" 'd["completed"]')
  note="rc=$rc errors=$(json_get "$p.out" 'sum(d["errors"].values())') server_accepted=$(json_get "$p.server.line" 'd["accepted"]') server_rst=$(json_get "$p.server.line" 'd["rst"]')"
  ccpu=$(times_to_s "$p.times")
  printf 'classic\t%s\t%s\t%s\t%s\t%s\n' "$cps" "$ndone" "$ccpu" "$scpu" "$note"
}

run_floor() {
  local p=$LOGS/$RUN_TAG-floor spid port cps ndone ccpu scpu note rc
  "$FLOOR" server 0 "$THREADS" >"$p.server.out" 2>"$p.server.err" &
  spid=$!; PIDS+=("$spid")
  port=$(wait_listening "$p.server.err" "$spid") || { log "crr_floor server did not start (see $p.server.err)"; stop_server "$spid"; return 1; }
  run_client "$p" "$FLOOR" client 127.0.0.1 "$port" "$THREADS" "$CONC" "$DUR"
  rc=$?
  scpu=$(ticks_to_s "$(tree_ticks "$spid")")
  stop_server "$spid"
  cps=$(awk '/^completed/ { print $4 }' "$p.out")
  ndone=$(awk '/^completed/ { print $2 }' "$p.out")
  note="rc=$rc errors=$(awk '/^completed/ { print $8 }' "$p.out") server: $(tr ' ' '_' <"$p.server.out")"
  ccpu=$(times_to_s "$p.times")
  printf 'floor\t%s\t%s\t%s\t%s\t%s\n' "$cps" "$ndone" "$ccpu" "$scpu" "$note"
}

# ---------------------------------------------------------------- checks
mkdir -p "$OUT" "$LOGS" || exit 1
rm -f "$LOGS"/*
TMP=$(mktemp -d /tmp/crr-bench.XXXXXX) || exit 1

[ -n "$PY" ] || { log "python3 is required"; exit 1; }

CONTENDERS=()
if [ -x "$CONNPERF" ]; then CONTENDERS+=(connperf); else log "no connperf binary at $CONNPERF (build it: make build); its row is n/a"; fi
if command -v ab >/dev/null && [ -x /usr/sbin/nginx ]; then CONTENDERS+=(ab); else log "ab or nginx missing (apt-get install apache2-utils nginx-light); skipping ab"; fi
if command -v wrk >/dev/null && [ -x /usr/sbin/nginx ]; then CONTENDERS+=(wrk); else log "wrk or nginx missing (apt-get install wrk nginx-light); skipping wrk"; fi
CONTENDERS+=(classic)

FLOOR=$OUT/crr_floor
if ${CC:-cc} -O2 -pthread -o "$FLOOR" "$HERE/crr_floor.c"; then
  CONTENDERS+=(floor)
else
  log "could not compile bench/crr_floor.c; skipping the C floor"
fi

read -r PORT_LO PORT_HI </proc/sys/net/ipv4/ip_local_port_range
PORTS=$((PORT_HI - PORT_LO + 1))
# RST closes (connperf, classic, floor) leave no TIME_WAIT. ab and wrk talk to nginx, which
# closes first, so TIME_WAIT sits on the server side and does not use up client ports; the
# ports needed at once are then roughly those in flight plus what the kernel keeps in
# FIN_WAIT/LAST_ACK. A narrow range still makes connect() hunt longer for a free port.
if [ "$PORTS" -lt 16384 ]; then
  log "WARNING: local port range $PORT_LO-$PORT_HI has only $PORTS ports; widen it for fair results:"
  log "         sysctl -w net.ipv4.ip_local_port_range='1024 65000'"
fi
NOFILE=$(ulimit -n)
if [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((CONC * 4)) ]; then
  log "WARNING: open-file limit $NOFILE is low for $CONC connections in flight (ulimit -n)"
fi

log "${#CONTENDERS[@]} contenders (${CONTENDERS[*]}), $ROUNDS round(s) of ${DUR}s each, on $(nproc) CPUs; port range $PORT_LO-$PORT_HI"

# ---------------------------------------------------------------- rounds
RESULTS=$OUT/crr.tsv
printf 'round\tcontender\tcps\tcompleted\tclient_cpu_s\tserver_cpu_s\tnote\n' >"$RESULTS"
n=${#CONTENDERS[@]}
for ((r = 0; r < ROUNDS; r++)); do
  for ((i = 0; i < n; i++)); do
    c=${CONTENDERS[$(( (i + r) % n ))]}
    RUN_TAG="r$((r + 1))"
    log "round $((r + 1))/$ROUNDS: $c (${DUR}s)"
    # Not in $(...): the run must happen in this shell so PIDS/NGINX_DIRS reach the EXIT trap.
    if "run_$c" >"$TMP/line" && line=$(cat "$TMP/line") && [ -n "$line" ]; then
      printf '%s\t%s\n' "$((r + 1))" "$line" >>"$RESULTS"
      log "  $(echo "$line" | awk -F'\t' '{ printf "%s conn/s, %s completed, CPU client %ss server %ss, %s", $2, $3, $4, $5, $6 }')"
    else
      printf '%s\t%s\t\t\t\t\tfailed\n' "$((r + 1))" "$c" >>"$RESULTS"
      log "  $c failed (logs in $LOGS)"
    fi
    sleep 1   # let the previous run's sockets drain
  done
done

# ---------------------------------------------------------------- report
"$PY" - "$RESULTS" "$OUT/crr.md" "$DUR" "$ROUNDS" "$(nproc)" "$(uname -r)" <<'EOF'
import statistics, sys

results, md_path, dur, rounds, ncpu, kernel = sys.argv[1:7]
order = ["connperf", "ab", "wrk", "classic", "floor"]
label = {
    "connperf": "connperf crr → connperf server (http)",
    "ab": "ab (no keep-alive) → nginx",
    "wrk": "wrk (Connection: close) → nginx",
    "classic": "classic_client.py → classic_server.py",
    "floor": "crr_floor (C epoll) → crr_floor",
}
runs = {k: [] for k in order}
rows = []
with open(results) as f:
    next(f)
    for line in f:
        parts = line.rstrip("\n").split("\t")
        parts += [""] * (7 - len(parts))
        rnd, who, cps, done, ccpu, scpu, note = parts[:7]
        rows.append(parts[:7])
        try:
            cps, done, ccpu, scpu = float(cps), int(float(done)), float(ccpu), float(scpu)
        except ValueError:
            continue
        if done <= 0:
            continue
        runs[who].append((cps, (ccpu + scpu) / done * 1000.0))

med = {}
for k in order:
    if runs[k]:
        med[k] = (statistics.median(r[0] for r in runs[k]), statistics.median(r[1] for r in runs[k]))

base = med.get("connperf", (None,))[0]
out = []
out.append(f"## CRR on loopback: {rounds} round(s) x {dur} s, {ncpu} CPUs, Linux {kernel}")
out.append("")
out.append("| contender | conn/s, median (min–max) | CPU s per 1000 conns | ratio to connperf |")
out.append("|---|---:|---:|---:|")
for k in order:
    if k not in med:
        if any(r[1] == k for r in rows) or k == "connperf":
            out.append(f"| {label[k]} | n/a | n/a | n/a |")
        continue
    cps, cpu = med[k]
    ratio = f"{cps / base:.2f}x" if base else "n/a"
    lo, hi = min(r[0] for r in runs[k]), max(r[0] for r in runs[k])
    out.append(f"| {label[k]} | {cps:,.0f} ({lo:,.0f}–{hi:,.0f}) | {cpu:.3f} | {ratio} |")
out.append("")
peers = [med[k][0] for k in ("ab", "wrk", "classic") if k in med]
if base and peers:
    out.append(f"connperf / best peer = {base / max(peers):.2f}x (target >= 1.4)")
else:
    out.append("connperf / best peer = n/a (target >= 1.4)")
if base and "floor" in med:
    out.append(f"connperf / C floor = {base / med['floor'][0]:.2f} (target >= 0.90)")
else:
    out.append("connperf / C floor = n/a (target >= 0.90)")
out.append("")
out.append("<details><summary>runs</summary>")
out.append("")
out.append("| round | contender | conn/s | completed | client CPU s | server CPU s | notes |")
out.append("|---:|---|---:|---:|---:|---:|---|")
for rnd, who, cps, done, ccpu, scpu, note in rows:
    out.append(f"| {rnd} | {who} | {cps} | {done} | {ccpu} | {scpu} | {note} |")
out.append("")
out.append("</details>")
text = "\n".join(out) + "\n"
sys.stdout.write(text)
with open(md_path, "w") as f:
    f.write(text)
EOF
