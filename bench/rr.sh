#!/usr/bin/env bash
# bench/rr.sh — requests per second over persistent connections, on loopback:
#  1. connperf rr --request raw -> connperf server --mode crr -t 1 (4-byte request, 7-byte reply)
#     at 100 and 400 connections, alternating with bench/rr_floor (a bare C epoll client doing the
#     same) against the same server. Targets: >= 180,000/s (neper tcp_rr's level on this kind of
#     machine); the floor ratio says how much of what the machine gives connperf takes.
#  2. connperf rr vs wrk, HTTP keep-alive, -t 1 each, against the same nginx at 50, 200 and 1,000
#     connections, alternating. With PIN=1 (the default on 2+ CPUs) nginx runs one worker on
#     CPU 1 and the clients run on CPU 0, so the server's core is the bottleneck and the table
#     shows it (nginx busy %); PIN=0 lets everything share the CPUs (nginx 2 workers).
#     Reported: requests/s, nginx busy, client CPU seconds per 1,000 requests.
#     Target: connperf >= 1.2x wrk, or within 5% where both are server-bound.
#     QUOTA=0.5 caps nginx at half a core (a cgroup CPU quota, v1 or v2): the server is then the
#     bottleneck by construction and the clients have CPU to spare.
#   ROUNDS=5 SECONDS=3 bench/rr.sh           writes bench/out/rr.md (the defaults: many short
#                                            rounds; tables print median (min–max))
#   ONLY=raw or ONLY=wrk runs one half.
set -u
_seconds_env=$SECONDS
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CONNPERF=${CONNPERF:-$ROOT/build/connperf}
OUT=$HERE/out
ROUNDS=${ROUNDS:-5}
DUR=${DURATION:-$([ "$_seconds_env" -gt 0 ] 2>/dev/null && echo "$_seconds_env" || echo 3)}
ONLY=${ONLY:-}
PIN=${PIN:-$([ "$(nproc)" -ge 2 ] && echo 1 || echo 0)}
QUOTA=${QUOTA:-}
mkdir -p "$OUT"
TMP=$(mktemp -d)
NGINX_DIR=$TMP/nginx
SPID=""
CGROUP=""
cleanup() {
  [ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null
  "$ROOT/tests/peers/nginx.sh" stop "$NGINX_DIR" >/dev/null 2>&1
  [ -n "$CGROUP" ] && rmdir "$CGROUP" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
HZ=$(getconf CLK_TCK)
die() { echo "rr.sh: $*" >&2; exit 1; }
[ -x "$CONNPERF" ] || die "$CONNPERF not built (make build)"
command -v wrk >/dev/null || die "wrk missing (scripts/setup.sh)"

# CPU ticks of a process and its children (nginx master + workers).
tree_ticks() {
  local total=0 p
  for p in $1 $(pgrep -P "$1"); do
    [ -r "/proc/$p/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$total"
}
. "$HERE/lib.sh"  # median, spread, med_spread
ratio() { python3 -c "print(f'{$1/$2:.2f}x' if $2 else 'n/a')"; }
# The median of the per-round ratios: each pair ran back to back, so drift cancels.
paired() { printf '%.2fx' "$(median <<<"$1")"; }
qps_of() { python3 -c "import json;print(round(json.load(open('$1'))['summary']['qps']))" 2>/dev/null || echo 0; }
SERVER_CPU=() CLIENT_CPU=()
[ "$PIN" = 1 ] && SERVER_CPU=(taskset -c 1) && CLIENT_CPU=(taskset -c 0)

# Part 1: raw, connperf against the C floor.
declare -A RAW PAIR
if [ "$ONLY" != wrk ]; then
  FLOOR=$OUT/rr_floor
  ${CC:-cc} -O2 -o "$FLOOR" "$HERE/rr_floor.c" || die "could not compile bench/rr_floor.c"
  "$CONNPERF" server --listen 127.0.0.1:0 --mode crr -t 1 -q >"$TMP/s.out" 2>"$TMP/s.err" &
  SPID=$!
  for _ in $(seq 100); do
    PORT=$(grep -o 'listening on [^ ]*' "$TMP/s.err" | sed 's/.*://'); [ -n "$PORT" ] && break; sleep 0.05
  done
  [ -n "$PORT" ] || die "connperf server did not start"
  for r in $(seq "$ROUNDS"); do
    for c in 100 400; do
      for tool in connperf floor; do
        if [ "$tool" = connperf ]; then
          "$CONNPERF" rr "127.0.0.1:$PORT" -t 1 -c "$c" -d "$DUR" --request raw -q --json "$TMP/r.json" >/dev/null
          v=$(qps_of "$TMP/r.json")
        else
          v=$("$FLOOR" 127.0.0.1 "$PORT" "$c" "$DUR" | awk '{printf "%.0f", $4}')
        fi
        echo "rr.sh: raw $tool c=$c round $r: $v/s" >&2
        RAW[$tool-$c]="${RAW[$tool-$c]:-} ${v:-0}"
        PAIR[$tool]=${v:-0}
      done
      RAW[ratio-$c]="${RAW[ratio-$c]:-} $(python3 -c "print(${PAIR[connperf]} / ${PAIR[floor]} if ${PAIR[floor]} else 0)")"
    done
  done
  kill -TERM "$SPID"; wait "$SPID" 2>/dev/null; SPID=""
fi

# Part 2: connperf rr vs wrk against nginx.
declare -A QPS CPU BUSY
if [ "$ONLY" != raw ]; then
  NPORT=$(python3 -c "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])")
  "${SERVER_CPU[@]}" "$ROOT/tests/peers/nginx.sh" start "$NGINX_DIR" "$NPORT" "$([ "$PIN" = 1 ] && echo 1 || echo 2)" >/dev/null ||
    die "nginx did not start"
  NPID=$(cat "$NGINX_DIR/nginx.pid")
  UA="connperf/$("$CONNPERF" --version | awk '{print $2}')"
  if [ -n "$QUOTA" ]; then  # a CPU quota for nginx: cgroup v2 cpu.max, else v1 cfs_quota_us
    quota_us=$(python3 -c "print(int($QUOTA * 100000))")
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
      CGROUP=/sys/fs/cgroup/connperf-rr-bench.$$
      mkdir "$CGROUP" && echo "$quota_us 100000" >"$CGROUP/cpu.max"
    else
      CGROUP=/sys/fs/cgroup/cpu/connperf-rr-bench.$$
      mkdir "$CGROUP" && echo 100000 >"$CGROUP/cpu.cfs_period_us" && echo "$quota_us" >"$CGROUP/cpu.cfs_quota_us"
    fi || die "cannot set a CPU quota (needs root and the cgroup cpu controller)"
    for p in $NPID $(pgrep -P "$NPID"); do echo "$p" >"$CGROUP/cgroup.procs"; done
  fi
  run_one() {  # tool conns → "qps client_cpu_s_per_1000 nginx_busy_percent"
    local before after client qps t0 t1
    before=$(tree_ticks "$NPID"); t0=$(date +%s.%N)
    if [ "$1" = connperf ]; then
      client=$( { /usr/bin/env time -f '%U %S' "${CLIENT_CPU[@]}" "$CONNPERF" rr "127.0.0.1:$NPORT" -t 1 -c "$2" -d "$DUR" -q --json "$TMP/n.json" >/dev/null; } 2>&1 | tail -1)
      qps=$(qps_of "$TMP/n.json")
    else
      # The same request bytes as connperf's (wrk sends only Host by itself).
      client=$( { /usr/bin/env time -f '%U %S' "${CLIENT_CPU[@]}" wrk -t1 -c"$2" -d"${DUR}s" \
                  -H "User-Agent: $UA" -H 'Accept: */*' "http://127.0.0.1:$NPORT/" >"$TMP/w.out"; } 2>&1 | tail -1)
      qps=$(awk '/Requests\/sec/ {print $2}' "$TMP/w.out")
    fi
    after=$(tree_ticks "$NPID"); t1=$(date +%s.%N)
    python3 -c "
c = sum(map(float, '$client'.split())); s = ($after - $before) / $HZ; q = float('${qps:-0}') or 1
print(round(q), round(c / (q * $DUR) * 1000, 4), round(100 * s / ($t1 - $t0)))"
  }
  for r in $(seq "$ROUNDS"); do
    for c in 50 200 1000; do
      for i in 0 1; do
        tool=$([ $(( (i + r) % 2 )) = 0 ] && echo connperf || echo wrk)
        read -r q cpu busy <<<"$(run_one "$tool" "$c")"
        echo "rr.sh: $tool c=$c round $r: $q/s, client $cpu CPU s per 1000, nginx busy $busy%" >&2
        QPS[$tool-$c]="${QPS[$tool-$c]:-} $q"
        CPU[$tool-$c]="${CPU[$tool-$c]:-} $cpu"
        BUSY[$tool-$c]="${BUSY[$tool-$c]:-} $busy"
        PAIR[$tool]=$q
      done
      QPS[ratio-$c]="${QPS[ratio-$c]:-} $(python3 -c "print(${PAIR[connperf]} / ${PAIR[wrk]} if ${PAIR[wrk]} else 0)")"
    done
  done
fi

{
  echo "## rr on loopback: $ROUNDS round(s) x ${DUR} s, $(nproc) CPUs, $(uname -sr), medians (min–max)"
  echo
  if [ "$ONLY" != wrk ]; then
    echo "Raw: \`rr -t 1 --request raw\` and bench/rr_floor -> \`server --mode crr -t 1\`, sharing the CPUs."
    echo
    echo "| connections | connperf rr req/s | C floor req/s | ratio of medians | median paired ratio |"
    echo "|---:|---:|---:|---:|---:|"
    for c in 100 400; do
      a=$(median <<<"${RAW[connperf-$c]}"); b=$(median <<<"${RAW[floor-$c]}")
      echo "| $c | $(med_spread <<<"${RAW[connperf-$c]}") | $(med_spread <<<"${RAW[floor-$c]}") | $(ratio "$a" "$b") | $(paired "${RAW[ratio-$c]}") |"
    done
    echo
  fi
  if [ "$ONLY" != raw ]; then
    if [ "$PIN" = 1 ]; then
      echo -n "HTTP keep-alive, -t 1 each -> nginx, 1 worker on CPU 1; clients on CPU 0"
    else
      echo -n "HTTP keep-alive, -t 1 each -> nginx, 2 workers; everything shares the CPUs"
    fi
    [ -n "$QUOTA" ] && echo "; nginx capped at $QUOTA of a core (busy % is of one core)." || echo "."

    echo
    echo "| connections | connperf rr req/s | wrk req/s | ratio of medians | median paired ratio | nginx busy (connperf / wrk) | client CPU s / 1000 req (connperf / wrk) |"
    echo "|---:|---:|---:|---:|---:|---:|---:|"
    for c in 50 200 1000; do
      a=$(median <<<"${QPS[connperf-$c]}"); b=$(median <<<"${QPS[wrk-$c]}")
      echo "| $c | $(med_spread <<<"${QPS[connperf-$c]}") | $(med_spread <<<"${QPS[wrk-$c]}") | $(ratio "$a" "$b") | $(paired "${QPS[ratio-$c]}") | $(median <<<"${BUSY[connperf-$c]}")% / $(median <<<"${BUSY[wrk-$c]}")% | $(median <<<"${CPU[connperf-$c]}") / $(median <<<"${CPU[wrk-$c]}") |"
    done
  fi
} | tee "$OUT/rr.md"
