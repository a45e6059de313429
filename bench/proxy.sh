#!/usr/bin/env bash
# bench/proxy.sh — connperf proxy against tinyproxy, same client, same origin, one run:
#  1. requests per second through each proxy: `ab -X` to a private nginx serving a 100-byte
#     file, without keep-alive (a new client and upstream connection per request) and with
#     `ab -k` (client keep-alive); proxy CPU seconds per 1000 requests from /proc/PID/stat;
#  2. CONNECT tunnel throughput: curl fetching a BIG_MB file from nginx directly, then through
#     each proxy's tunnel (`curl -p -x`), as a ratio of direct.
# Contenders alternate within every round; medians over ROUNDS.
# Targets (issue "connperf proxy"): >= 2x tinyproxy's requests per second; tunnel >= 80% of direct.
#   ROUNDS=3 N=20000 C=32 BIG_MB=1024 bench/proxy.sh        writes bench/out/proxy.md
#   ONLY=requests or ONLY=tunnel runs one half.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CONNPERF=${CONNPERF:-$ROOT/build/connperf}
TINYPROXY=${TINYPROXY:-/usr/bin/tinyproxy}
OUT=$HERE/out
ROUNDS=${ROUNDS:-5}
N=${N:-20000}
C=${C:-32}
BIG_MB=${BIG_MB:-1024}
ONLY=${ONLY:-}
mkdir -p "$OUT"
TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do
    kill "$p" 2>/dev/null
    timeout 10 tail --pid="$p" -f /dev/null
    kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  # TERM to the master: it stops its workers (a KILLed master would leave them running).
  if [ -s "$TMP/nginx/nginx.pid" ]; then
    local m; m=$(cat "$TMP/nginx/nginx.pid")
    kill -TERM "$m" 2>/dev/null
    timeout 10 tail --pid="$m" -f /dev/null
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

die() { echo "proxy.sh: $*" >&2; exit 1; }
[ -x "$CONNPERF" ] || die "$CONNPERF not built (make build)"
for p in ab curl nginx "$TINYPROXY"; do command -v "$p" >/dev/null || die "$p missing (scripts/setup.sh)"; done

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
. "$HERE/lib.sh"  # median, spread, med_spread

# The origin: nginx, 2 workers, sendfile, a 100-byte file and a sparse BIG_MB file.
ORIGIN=$(free_port)
mkdir -p "$TMP/nginx/www" "$TMP/nginx/tmp"
head -c 100 /dev/zero | tr '\0' 'x' >"$TMP/nginx/www/small"
truncate -s "${BIG_MB}M" "$TMP/nginx/www/big"
cat >"$TMP/nginx/nginx.conf" <<EOF
$([ "$(id -u)" -eq 0 ] && echo "user root;")
worker_processes 2;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;
  client_body_temp_path $TMP/nginx/tmp; proxy_temp_path $TMP/nginx/tmp;
  fastcgi_temp_path $TMP/nginx/tmp; uwsgi_temp_path $TMP/nginx/tmp; scgi_temp_path $TMP/nginx/tmp;
  server { listen 127.0.0.1:$ORIGIN; root $TMP/nginx/www; }
}
EOF
nginx -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx" || die "nginx did not start"
wait_port "$ORIGIN" || die "nginx does not accept on $ORIGIN"

# The proxies, started once each and kept for the whole run.
CP_PORT=$(free_port)
"$CONNPERF" proxy --listen "127.0.0.1:$CP_PORT" -t 2 -q --connect-ports "$ORIGIN" \
  --max-connections 4096 >"$TMP/connperf.out" 2>"$TMP/connperf.err" &
CP_PID=$!; PIDS+=("$CP_PID")
TP_PORT=$(free_port)
cat >"$TMP/tinyproxy.conf" <<EOF
Port $TP_PORT
Listen 127.0.0.1
Timeout 60
MaxClients 1024
LogFile "$TMP/tinyproxy.log"
LogLevel Critical
Allow 127.0.0.1
ConnectPort $ORIGIN
DisableViaHeader No
EOF
"$TINYPROXY" -d -c "$TMP/tinyproxy.conf" >"$TMP/tinyproxy.out" 2>&1 &
TP_PID=$!; PIDS+=("$TP_PID")
wait_port "$CP_PORT" || die "connperf proxy did not start: $(cat "$TMP/connperf.err")"
wait_port "$TP_PORT" || die "tinyproxy did not start: $(cat "$TMP/tinyproxy.out")"

declare -A PORT=([connperf]=$CP_PORT [tinyproxy]=$TP_PORT)
declare -A PID=([connperf]=$CP_PID [tinyproxy]=$TP_PID)
declare -A RPS CPU FAIL
TICK=$(getconf CLK_TCK)

ab_run() {  # name keepalive → records rps, cpu s per 1000 requests, failures
  local name=$1 ka=$2 key="$1 $2" t0 t1 out rps failed done
  t0=$(cpu_ticks "${PID[$name]}")
  out=$(timeout 120 ab -q $([ "$ka" = keep-alive ] && echo -k) -n "$N" -c "$C" \
        -X "127.0.0.1:${PORT[$name]}" "http://127.0.0.1:$ORIGIN/small" 2>&1)
  t1=$(cpu_ticks "${PID[$name]}")
  rps=$(awk '/^Requests per second/ {print $4}' <<<"$out")
  failed=$(awk '/^Failed requests/ {print $3}' <<<"$out")
  done=$(awk '/^Complete requests/ {print $3}' <<<"$out")
  [ -n "$rps" ] || { rps=0; failed=$N; done=0; }
  RPS[$key]="${RPS[$key]:-} $rps"
  CPU[$key]="${CPU[$key]:-} $(awk -v t=$((t1 - t0)) -v hz="$TICK" -v n="${done:-0}" \
             'BEGIN {printf "%.3f", (n ? t / hz / n * 1000 : 0)}')"
  FAIL[$key]=$(( ${FAIL[$key]:-0} + ${failed:-0} + N - ${done:-0} ))
  echo "proxy.sh: $name $ka: $rps req/s (failed ${failed:-?})" >&2
}

declare -A MBS
tunnel_run() {  # name → records MB/s (direct = no proxy)
  local name=$1 args=() bps
  [ "$name" != direct ] && args=(-p -x "http://127.0.0.1:${PORT[$name]}")
  bps=$(timeout 120 curl -s --max-time 100 "${args[@]}" -o /dev/null -w '%{speed_download}' \
        "http://127.0.0.1:$ORIGIN/big")
  MBS[$name]="${MBS[$name]:-} $(awk -v b="${bps:-0}" 'BEGIN {printf "%.0f", b / 1e6}')"
  echo "proxy.sh: tunnel $name: $(awk -v b="${bps:-0}" 'BEGIN {printf "%.0f", b / 1e6}') MB/s" >&2
}

# Warm-up: the first read of the sparse file fills the page cache; it would count against direct.
curl -s --max-time 100 -o /dev/null "http://127.0.0.1:$ORIGIN/big"

NAMES=(connperf tinyproxy)
for r in $(seq "$ROUNDS"); do
  if [ "$ONLY" != tunnel ]; then
    for ka in close keep-alive; do
      for i in 0 1; do ab_run "${NAMES[$(( (i + r) % 2 ))]}" "$ka"; done
    done
  fi
  if [ "$ONLY" != requests ]; then
    for name in direct connperf tinyproxy direct connperf; do tunnel_run "$name"; done
  fi
done

{
  echo "## connperf proxy vs tinyproxy ($(nproc) CPUs, all on loopback; $ROUNDS rounds, medians (min–max))"
  echo
  if [ "$ONLY" != tunnel ]; then
  echo "Requests: \`ab -n $N -c $C -X PROXY http://127.0.0.1:$ORIGIN/small\` (nginx, 100-byte file)."
  echo
  echo "| client connections | contender | req/s | proxy CPU s / 1000 req | failed |"
  echo "|---|---|---:|---:|---:|"
  for ka in close keep-alive; do
    for name in "${NAMES[@]}"; do
      key="$name $ka"
      echo "| $ka | $name | $(med_spread <<<"${RPS[$key]}") | $(median <<<"${CPU[$key]}") | ${FAIL[$key]} |"
    done
  done
  echo
  for ka in close keep-alive; do
    a=$(median <<<"${RPS[connperf $ka]}"); b=$(median <<<"${RPS[tinyproxy $ka]}")
    echo "- $ka: connperf / tinyproxy = **$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')x**"
  done
  echo
  fi
  [ "$ONLY" = requests ] && exit 0
  echo "CONNECT tunnel: \`curl -p -x PROXY http://127.0.0.1:$ORIGIN/big\` (${BIG_MB} MiB) vs the same curl direct."
  echo
  echo "| path | MB/s | of direct |"
  echo "|---|---:|---:|"
  d=$(median <<<"${MBS[direct]}")
  for name in direct connperf tinyproxy; do
    m=$(median <<<"${MBS[$name]}")
    echo "| $name | $(med_spread <<<"${MBS[$name]}") | $(awk -v m="$m" -v d="$d" 'BEGIN {printf "%.0f%%", (d > 0 ? 100 * m / d : 0)}') |"
  done
} | tee "$OUT/proxy.md"
