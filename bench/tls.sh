#!/usr/bin/env bash
# bench/tls.sh — full TLS handshakes per second on loopback: connperf against wrk and nginx, the
# bound `openssl speed` sets, and resumed against full handshakes.
#
#   bench/tls.sh [--quick]        ROUNDS rounds (default 5) of DURATION seconds (default 3) per run
#   ROUNDS=7 DURATION=3 bench/tls.sh        CONNPERF=/path/to/connperf overrides the binary
#   bench/tls.sh --report         the tables again from the last run's bench/out/tls.tsv
#   MAIN=/work/main/build/connperf bench/tls.sh   also plaintext crr -> server of this binary
#                                 and of MAIN's ("plain", "plain-main"): what --tls costs the
#                                 plaintext path (nothing, it should be)
#
# Every run is one client on CPU 1 and one server on CPU 0 (taskset; the server has one core:
# nginx one worker, connperf server -t 1), one client thread with 64 connections in flight, on
# 127.0.0.1. One self-signed ECDSA P-256 certificate (made here with `openssl req`) serves every
# server; the key exchange is X25519 everywhere. nginx has its session cache and tickets off, so
# every handshake it makes is full whatever the client offers, and no access log.
#   wrk-nginx-1.2     wrk -t1 -c64 -H 'Connection: close' https://... -> nginx, ssl_protocols TLSv1.2
#   cp-nginx-1.2      connperf crr --tls --tls-version 1.2 -t 1 -c 64 -> the same nginx
#   wrk-nginx-1.3 / cp-nginx-1.3: the same against nginx with TLSv1.3 only (wrk offers 1.3 when it may)
#   cp-cp-1.2         connperf crr --tls 1.2 -> connperf server --tls --session-cache off --tickets off
#   cp-cp-1.3         the same in 1.3
#   cp-cp-1.2-resumed crr --tls 1.2 --resume 1 -> connperf server --tls (cache and tickets on)
#   cp-cp-1.3-resumed the same in 1.3
# Runs alternate within a round (the order rotates every round). Handshakes per second are each
# client's own figure (wrk "Requests/sec", connperf JSON "cps"): one request per connection, so
# requests/s == connections/s == handshakes/s. CPU: the client's user+sys from `times` in the
# subshell that waited for it; the server's (nginx master and worker) from /proc/PID/stat just
# before it is stopped; both divided by the handshakes completed, in microseconds.
#
# The bound: `openssl speed -seconds 2 ecdsap256 ecdhx25519` on CPU 0, once before the rounds: a
# full handshake costs the server one ECDSA P-256 signature and one X25519 exchange, so one core
# does at most 1 / (1/sign_per_s + 1/ecdh_per_s) of them. That bound leaves out the server's own
# X25519 key (a key generation per handshake costs about one exchange: callgrind puts both at
# 0.5-0.6 M instructions in OpenSSL 3.0), so the table also shows 1 / (1/sign + 2/ecdh).
#
# Ratios are taken per round (runs next to each other) and shown as median (min–max) over the
# rounds; the targets of issue 21 are printed beside them. On a host shared with other work the
# spread is wide: read the spread before the median.
# Writes the report to stdout and bench/out/tls.md, per-run numbers to bench/out/tls.tsv, tool
# output to bench/out/logs/tls-*.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=$HERE/out
LOGS=$OUT/logs
CONNPERF=${CONNPERF:-$HERE/../build/connperf}
MAIN=${MAIN:-}
PEERS=$ROOT/tests/peers
ROUNDS=${ROUNDS:-5}
DUR=${DURATION:-3}
CONC=64
SERVER_CPU=0
CLIENT_CPU=1

REPORT_ONLY=0
for arg in "$@"; do
  case $arg in
    --quick) DUR=2; ROUNDS=1 ;;
    --report) REPORT_ONLY=1 ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "tls.sh: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done
[[ $DUR =~ ^[0-9]+$ ]] && [ "$DUR" -ge 1 ] || { echo "tls.sh: DURATION must be a whole number >= 1" >&2; exit 2; }
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] || { echo "tls.sh: ROUNDS must be >= 1" >&2; exit 2; }

log() { echo "tls.sh: $*" >&2; }

RESULTS=$OUT/tls.tsv
report() {  # the tables, from $RESULTS and $OUT/tls.speed
  local sign ecdh
  read -r sign ecdh <"$OUT/tls.speed" 2>/dev/null
  python3 - "$RESULTS" "$OUT/tls.md" "$(sed -n 's/^# //p' "$OUT/tls.speed" 2>/dev/null)" \
    "${sign:-0}" "${ecdh:-0}" <<'EOF'
import statistics, sys
from collections import defaultdict

results, md_path, what, sign, ecdh = sys.argv[1:6]
sign, ecdh = float(sign or 0), float(ecdh or 0)
label = {
    "wrk-nginx": "wrk -t1 -c64 -H 'Connection: close' → nginx (1 worker)",
    "cp-nginx": "connperf crr --tls -t 1 -c 64 → nginx (1 worker)",
    "cp-cp": "connperf crr --tls → connperf server --tls -t 1 (no resumption)",
    "cp-cp-resumed": "connperf crr --tls --resume 1 → connperf server --tls -t 1",
    "plain": "plaintext crr → server, this binary",
    "plain-main": "plaintext crr → server, MAIN's binary",
}
runs = defaultdict(dict)  # name -> round -> (cps, client us, server us)
rows = []
with open(results) as f:
    next(f)
    for line in f:
        parts = (line.rstrip("\n").split("\t") + [""] * 7)[:7]
        rows.append(parts)
        rnd, name, cps, done, ccpu, scpu, note = parts
        try:
            cps, done, ccpu, scpu = float(cps), int(float(done)), float(ccpu), float(scpu)
        except ValueError:
            continue
        if done > 0:
            runs[name][int(rnd)] = (cps, ccpu / done * 1e6, scpu / done * 1e6)

def cell(values, fmt="{:,.0f}"):
    if not values:
        return "n/a"
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"

def col(name, i):
    return [v[i] for v in runs[name].values()]

def ratios(a, b, f=lambda x, y: x / y):
    """Per round, a against b (both ran in that round)."""
    return [f(runs[a][r], runs[b][r]) for r in runs[a] if r in runs[b] and runs[b][r][0] > 0]

out = [f"## TLS handshakes on loopback: {what}", "",
       "Client on CPU 1, server on CPU 0; ECDSA P-256 certificate, X25519 (the host may be "
       "shared: read the spread).", ""]
out.append("| run | TLS | handshakes/s, median (min–max) | client µs/handshake | server µs/handshake |")
out.append("|---|---|---:|---:|---:|")
for v in ("1.2", "1.3"):
    for base in ("wrk-nginx", "cp-nginx", "cp-cp", "cp-cp-resumed"):
        name = f"{base}-{v}" if base != "cp-cp-resumed" else f"cp-cp-{v}-resumed"
        if name not in runs:
            continue
        out.append(f"| {label[base]} | {v} | {cell(col(name, 0))} | {cell(col(name, 1))} | "
                   f"{cell(col(name, 2))} |")
for name in ("plain", "plain-main"):
    if name in runs:
        out.append(f"| {label[name]} | - | {cell(col(name, 0))} | {cell(col(name, 1))} | {cell(col(name, 2))} |")
out.append("")
bound = 1 / (1 / sign + 1 / ecdh) if sign > 0 and ecdh > 0 else 0
bound_kg = 1 / (1 / sign + 2 / ecdh) if sign > 0 and ecdh > 0 else 0
if bound:
    out.append(f"`openssl speed` on CPU 0: ECDSA P-256 {sign:,.0f} signs/s, X25519 {ecdh:,.0f} ops/s: "
               f"one core makes at most {bound:,.0f} full handshakes/s (sign + exchange, "
               f"{1e6 / bound:.0f} µs); with the server's X25519 key generation (about one more "
               f"exchange) {bound_kg:,.0f}/s ({1e6 / bound_kg:.0f} µs).")
    out.append("")
out.append("| ratio, per round | TLS | median (min–max) | target |")
out.append("|---|---|---:|---|")
for v in ("1.2", "1.3"):
    wrk, cpn, cpp, res = f"wrk-nginx-{v}", f"cp-nginx-{v}", f"cp-cp-{v}", f"cp-cp-{v}-resumed"
    r = ratios(cpn, wrk, lambda a, b: a[0] / b[0])
    if r: out.append(f"| connperf crr / wrk, handshakes/s on the same nginx | {v} | {cell(r, '{:.2f}x')} | >= 1.2x |")
    r = ratios(cpn, wrk, lambda a, b: b[1] / a[1])
    if r: out.append(f"| wrk / connperf crr, client CPU per handshake | {v} | {cell(r, '{:.2f}x')} | (efficiency) |")
    r = ratios(cpp, cpn, lambda a, b: a[0] / b[0])
    if r: out.append(f"| connperf server / nginx, handshakes/s (one core each, same client) | {v} | {cell(r, '{:.2f}x')} | >= 1.0x |")
    r = ratios(cpp, cpn, lambda a, b: b[2] / a[2])
    if r: out.append(f"| connperf server / nginx, handshakes per CPU-second of the server | {v} | {cell(r, '{:.2f}x')} | >= 1.0x |")
    if bound and cpp in runs:
        out.append(f"| pair's handshakes/s / openssl-speed bound | {v} | {cell([c / bound * 100 for c in col(cpp, 0)], '{:.0f}%')} | >= 70% |")
        out.append(f"| server's handshakes per CPU-second / bound | {v} | {cell([1e6 / s / bound * 100 for s in col(cpp, 2) if s > 0], '{:.0f}%')} | >= 70% |")
        out.append(f"| server's handshakes per CPU-second / bound with key generation | {v} | {cell([1e6 / s / bound_kg * 100 for s in col(cpp, 2) if s > 0], '{:.0f}%')} | |")
    r = ratios(res, cpp, lambda a, b: a[0] / b[0])
    if r: out.append(f"| resumed / full handshakes/s (connperf pair) | {v} | {cell(r, '{:.2f}x')} | {'>= 3x' if v == '1.2' else 'stated'} |")
    r = ratios(res, cpp, lambda a, b: (b[1] + b[2]) / (a[1] + a[2]))
    if r: out.append(f"| resumed / full, handshakes per CPU-second of the pair (client + server) | {v} | {cell(r, '{:.2f}x')} | |")
r = ratios("plain", "plain-main", lambda a, b: a[0] / b[0])
if r: out.append(f"| plaintext, this binary / MAIN's | - | {cell(r, '{:.2f}x')} | about 1.0x |")
out.append("")
out.append("<details><summary>runs</summary>")
out.append("")
out.append("| round | run | handshakes/s | completed | client CPU s | server CPU s | notes |")
out.append("|---:|---|---:|---:|---:|---:|---|")
for p in rows:
    out.append("| " + " | ".join(p) + " |")
out.append("")
out.append("</details>")
text = "\n".join(out) + "\n"
sys.stdout.write(text)
open(md_path, "w").write(text)
EOF
}
if [ "$REPORT_ONLY" = 1 ]; then
  [ -s "$RESULTS" ] || { log "no $RESULTS: run bench/tls.sh first"; exit 1; }
  report
  exit 0
fi

[ -x "$CONNPERF" ] || { log "no connperf binary at $CONNPERF (build it first)"; exit 1; }
command -v openssl >/dev/null || { log "openssl not found (apt-get install openssl)"; exit 1; }
command -v taskset >/dev/null || { log "taskset not found (util-linux)"; exit 1; }
HAVE_NGINX=1; [ -x "${NGINX:-/usr/sbin/nginx}" ] || { HAVE_NGINX=0; log "nginx missing (scripts/setup.sh installs nginx-light): no nginx rows"; }
HAVE_WRK=1; command -v wrk >/dev/null || { HAVE_WRK=0; log "wrk missing (scripts/setup.sh installs wrk): no wrk rows"; }
if [ "$HAVE_WRK" = 1 ] && ! ldd "$(command -v wrk)" 2>/dev/null | grep -q libssl; then
  HAVE_WRK=0; log "this wrk is built without TLS: no wrk rows"
fi
[ "$(nproc)" -ge 2 ] || { SERVER_CPU=0; CLIENT_CPU=0; log "one CPU: client and server share it"; }

# ---------------------------------------------------------------- process bookkeeping
PIDS=()
NGINX_DIRS=()
. "$HERE/lib.sh"  # median, spread, med_spread; children, kill_tree, alive, wait_bounded
cleanup() {
  local pid d
  for pid in "${PIDS[@]}"; do alive "$pid" && kill_tree TERM "$pid"; done
  for d in "${NGINX_DIRS[@]}"; do
    [ -s "$d/nginx.pid" ] && "$PEERS/nginx.sh" stop "$d" >/dev/null 2>&1
  done
  [ -n "${TMP:-}" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- CPU
TCK=$(getconf CLK_TCK)
proc_ticks() {  # utime+stime+cutime+cstime of one process, in ticks
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  s=${s##*) }
  # shellcheck disable=SC2086
  set -- $s
  echo $(( ${12} + ${13} + ${14} + ${15} ))
}
tree_ticks() {
  local total c
  total=$(proc_ticks "$1")
  for c in $(children "$1"); do total=$(( total + $(tree_ticks "$c") )); done
  echo "$total"
}
ticks_to_s() { awk -v t="$1" -v hz="$TCK" 'BEGIN { printf "%.3f", t / hz }'; }
times_to_s() {  # children's user+sys from a `times` output (its second line)
  awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); s += a[1] * 60 + a[2] } printf "%.3f", s }' "$1"
}

# ---------------------------------------------------------------- helpers
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_listening() {  # file pid -> port
  local file=$1 pid=$2 i port
  for ((i = 0; i < 100; i++)); do
    port=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$file" 2>/dev/null | head -n1)
    [ -n "$port" ] && { echo "$port"; return 0; }
    alive "$pid" || return 1
    sleep 0.1
  done
  return 1
}
run_client() {  # prefix cmd...: prefix.out, prefix.err, prefix.times (the client's CPU)
  local prefix=$1 sp
  shift
  ( taskset -c "$CLIENT_CPU" "$@" >"$prefix.out" 2>"$prefix.err"; rc=$?; times >"$prefix.times"; exit $rc ) &
  sp=$!
  PIDS+=("$sp")
  wait_bounded "$sp" $((DUR + 30))
}
json_get() {  # file expr
  python3 - "$1" "$2" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    print(eval(sys.argv[2], {}, {"d": d}))
except Exception:
    print("")
EOF
}

# ---------------------------------------------------------------- servers
# Each start_* sets SERVER_PID and PORT (not in $(...): the server must be this shell's child).
SERVER_PID=""
PORT=""
start_nginx() {  # version
  local d=$TMP/nginx-$RUN_TAG
  PORT=$(free_port)
  NGINX_DIRS+=("$d")
  TLS_CERT=$TMP/cert.pem TLS_KEY=$TMP/key.pem TLS_SESSIONS=off ACCESS_LOG=off \
    TLS_PROTOCOLS="TLSv$1" taskset -c "$SERVER_CPU" "$PEERS/nginx.sh" start "$d" "$PORT" 1 \
    >"$d.start.log" 2>&1 || { cat "$d.start.log" >&2; return 1; }
  SERVER_PID=$(tr -dc '0-9' <"$d/nginx.pid")
}
stop_nginx() { "$PEERS/nginx.sh" stop "$TMP/nginx-$RUN_TAG" >/dev/null 2>&1; }

start_connperf() {  # name sessions(on|off|plain) [binary]
  local p=$LOGS/tls-$RUN_TAG-$1-server tls=()
  [ "$2" != plain ] && tls=(--tls --cert "$TMP/cert.pem" --key "$TMP/key.pem" --session-cache "$2" --tickets "$2")
  taskset -c "$SERVER_CPU" "${3:-$CONNPERF}" server --listen 127.0.0.1:0 -t 1 -q "${tls[@]}" \
    --json "$p.json" >"$p.out" 2>"$p.err" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  PORT=$(wait_listening "$p.err" "$SERVER_PID") || { log "connperf server did not start (see $p.err)"; return 1; }
}
stop_connperf() { kill -TERM "$SERVER_PID" 2>/dev/null; wait_bounded "$SERVER_PID" 10 >/dev/null; }

# ---------------------------------------------------------------- one run
# Prints: name cps completed client_cpu_s server_cpu_s note
run_one() {
  local name=$1 p=$LOGS/tls-$RUN_TAG-$1 version kind cps ndone ccpu scpu note rc stop
  version=${name#*-*-}; version=${version%-resumed}
  kind=${name%%-*}-$(echo "$name" | cut -d- -f2)
  case $name in
    plain) kind=plain; start_connperf "$name" plain || return 1; stop=stop_connperf ;;
    plain-main) kind=plain; start_connperf "$name" plain "$MAIN" || return 1; stop=stop_connperf ;;
  esac
  case $kind in
    *-nginx) start_nginx "$version" || return 1; stop=stop_nginx ;;
    cp-cp)
      if [[ $name == *resumed ]]; then start_connperf "$name" on || return 1
      else start_connperf "$name" off || return 1; fi
      stop=stop_connperf ;;
  esac
  if [[ $kind == wrk-* ]]; then
    run_client "$p" wrk -t1 -c"$CONC" -d"${DUR}s" -H 'Connection: close' "https://127.0.0.1:$PORT/"
    rc=$?
    cps=$(awk '/^Requests\/sec:/ { print $2 }' "$p.out")
    ndone=$(awk '/requests in/ { print $1 }' "$p.out")
    note=$(grep -o 'Socket errors:.*' "$p.out" | tr -d ',' | tr ' ' '_')
    note="rc=$rc ${note:-socket_errors=0}"
  elif [ "$kind" = plain ]; then
    local bin=$CONNPERF
    [ "$name" = plain-main ] && bin=$MAIN
    run_client "$p" "$bin" crr "127.0.0.1:$PORT" -t 1 -c "$CONC" -d "$DUR" -q --json "$p.json"
    rc=$?
    cps=$(json_get "$p.json" 'round(d["summary"]["cps"])')
    ndone=$(json_get "$p.json" 'd["summary"]["completed"]')
    note="rc=$rc errors=$(json_get "$p.json" 'sum(d["summary"]["errors"].values())')"
  else
    local resume=()
    [[ $name == *resumed ]] && resume=(--resume 1)
    run_client "$p" "$CONNPERF" crr "127.0.0.1:$PORT" -t 1 -c "$CONC" -d "$DUR" --tls \
      --tls-version "$version" "${resume[@]}" -q --json "$p.json"
    rc=$?
    cps=$(json_get "$p.json" 'round(d["summary"]["cps"])')
    ndone=$(json_get "$p.json" 'd["summary"]["completed"]')
    note="rc=$rc errors=$(json_get "$p.json" 'sum(d["summary"]["errors"].values())')"
    note+=" full=$(json_get "$p.json" 'd["summary"]["tls"]["full"]') resumed=$(json_get "$p.json" 'd["summary"]["tls"]["resumed"]')"
    note+=" $(json_get "$p.json" 'd["summary"]["tls"]["version"] + "," + d["summary"]["tls"]["cipher"] + "," + d["summary"]["tls"]["group"]')"
  fi
  scpu=$(ticks_to_s "$(tree_ticks "$SERVER_PID")")
  $stop
  ccpu=$(times_to_s "$p.times")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$cps" "$ndone" "$ccpu" "$scpu" "$note"
}

# ---------------------------------------------------------------- setup
mkdir -p "$OUT" "$LOGS" || exit 1
rm -f "$LOGS"/tls-*
TMP=$(mktemp -d /tmp/tls-bench.XXXXXX) || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/key.pem" \
  -out "$TMP/cert.pem" -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1 ||
  { log "openssl req could not make a certificate"; exit 1; }

NAMES=()
for v in 1.2 1.3; do
  [ "$HAVE_WRK" = 1 ] && [ "$HAVE_NGINX" = 1 ] && NAMES+=("wrk-nginx-$v")
  [ "$HAVE_NGINX" = 1 ] && NAMES+=("cp-nginx-$v")
  NAMES+=("cp-cp-$v" "cp-cp-$v-resumed")
done
[ -n "$MAIN" ] && NAMES+=(plain plain-main)

log "openssl speed ecdsap256 ecdhx25519 on CPU $SERVER_CPU (2 s each)"
taskset -c "$SERVER_CPU" openssl speed -seconds 2 ecdsap256 ecdhx25519 >"$LOGS/tls-speed.txt" 2>/dev/null
SIGN=$(awk '/ecdsa \(nistp256\)/ { print $(NF-1) }' "$LOGS/tls-speed.txt")
ECDH=$(awk '/ecdh \(X25519\)/ { print $NF }' "$LOGS/tls-speed.txt")
log "  ECDSA P-256 sign ${SIGN:-?}/s, X25519 ${ECDH:-?}/s"

log "${#NAMES[@]} runs a round (${NAMES[*]}), $ROUNDS round(s) of ${DUR}s, on $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
RESULTS=$OUT/tls.tsv
printf 'round\tname\tcps\tcompleted\tclient_cpu_s\tserver_cpu_s\tnote\n' >"$RESULTS"
n=${#NAMES[@]}
for ((r = 0; r < ROUNDS; r++)); do
  for ((i = 0; i < n; i++)); do
    name=${NAMES[$(((i + r) % n))]}
    RUN_TAG="r$((r + 1))"
    if run_one "$name" >"$TMP/line" && line=$(cat "$TMP/line") && [ -n "$line" ]; then
      printf '%s\t%s\n' "$((r + 1))" "$line" >>"$RESULTS"
      log "round $((r + 1)) $(echo "$line" | awk -F'\t' '{ printf "%s: %s/s, %s done, CPU client %ss server %ss, %s", $1, $2, $3, $4, $5, $6 }')"
    else
      printf '%s\t%s\t\t\t\t\tfailed\n' "$((r + 1))" "$name" >>"$RESULTS"
      log "round $((r + 1)) $name failed (logs in $LOGS)"
    fi
    sleep 0.5
  done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
printf '%s %s\n# %s round(s) x %s s, %s CPUs, Linux %s; load average after the runs %s\n' \
  "${SIGN:-0}" "${ECDH:-0}" "$ROUNDS" "$DUR" "$(nproc)" "$(uname -r)" "$LOAD_AFTER" >"$OUT/tls.speed"
report
