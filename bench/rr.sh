#!/usr/bin/env bash
# bench/rr.sh — requests per second over persistent connections, on loopback:
#  1. connperf rr --request raw -> connperf server --mode crr (tiny request and reply) at 100
#     and 400 connections (target: >= 180,000/s, neper tcp_rr's level on this kind of machine);
#  2. connperf rr vs wrk, HTTP keep-alive, against the same nginx (2 workers) at 50, 200 and
#     1,000 connections, alternating, with the CPU seconds of client + server per 1,000 requests
#     (target: connperf >= 1.2x wrk, or within 5% where both are server-bound).
#   ROUNDS=3 SECONDS=5 bench/rr.sh           writes bench/out/rr.md
set -u
_seconds_env=$SECONDS
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CONNPERF=${CONNPERF:-$ROOT/build/connperf}
OUT=$HERE/out
ROUNDS=${ROUNDS:-3}
DUR=${DURATION:-$([ "$_seconds_env" -gt 0 ] 2>/dev/null && echo "$_seconds_env" || echo 5)}
mkdir -p "$OUT"
TMP=$(mktemp -d)
NGINX_DIR=$TMP/nginx
SPID=""
cleanup() {
  [ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null
  "$ROOT/tests/peers/nginx.sh" stop "$NGINX_DIR" >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT
HZ=$(getconf CLK_TCK)

# CPU ticks of a process and its children (nginx master + workers).
tree_ticks() {
  local total=0 p
  for p in $1 $(pgrep -P "$1"); do
    [ -r "/proc/$p/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$total"
}

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# Part 1: raw.
"$CONNPERF" server --listen 127.0.0.1:0 --mode crr -t 1 -q >"$TMP/s.out" 2>"$TMP/s.err" &
SPID=$!
sleep 0.5
PORT=$(grep -o 'listening on [^ ]*' "$TMP/s.err" | sed 's/.*://')
declare -A RAW
for r in $(seq "$ROUNDS"); do
  for c in 100 400; do
    "$CONNPERF" rr "127.0.0.1:$PORT" -t 1 -c "$c" -d "$DUR" --request raw -q --json "$TMP/r.json" >/dev/null
    v=$(python3 -c "import json;print(round(json.load(open('$TMP/r.json'))['summary']['qps']))")
    echo "rr.sh: raw c=$c round $r: $v/s" >&2
    RAW[$c]="${RAW[$c]:-} $v"
  done
done
kill -TERM "$SPID"; wait "$SPID" 2>/dev/null; SPID=""

# Part 2: connperf rr vs wrk against nginx.
NPORT=$(python3 -c "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])")
"$ROOT/tests/peers/nginx.sh" start "$NGINX_DIR" "$NPORT" 2 >/dev/null || { echo "rr.sh: nginx did not start" >&2; exit 1; }
NPID=$(cat "$NGINX_DIR/nginx.pid")
declare -A QPS CPU
run_one() {  # tool conns → "qps cpu_s_per_1000"
  local before after client qps n
  before=$(tree_ticks "$NPID")
  if [ "$1" = connperf ]; then
    client=$( { /usr/bin/env time -f '%U %S' "$CONNPERF" rr "127.0.0.1:$NPORT" -t 1 -c "$2" -d "$DUR" -q --json "$TMP/n.json" >/dev/null; } 2>&1 | tail -1)
    qps=$(python3 -c "import json;print(json.load(open('$TMP/n.json'))['summary']['qps'])")
  else
    client=$( { /usr/bin/env time -f '%U %S' wrk -t1 -c"$2" -d"${DUR}s" "http://127.0.0.1:$NPORT/" >"$TMP/w.out"; } 2>&1 | tail -1)
    qps=$(awk '/Requests\/sec/ {print $2}' "$TMP/w.out")
  fi
  after=$(tree_ticks "$NPID")
  python3 -c "
c = sum(map(float, '$client'.split())); s = ($after - $before) / $HZ; q = float('$qps')
print(round(q), round((c + s) / (q * $DUR) * 1000, 4))"
}
for r in $(seq "$ROUNDS"); do
  for c in 50 200 1000; do
    for tool in connperf wrk; do
      read -r q cpu <<<"$(run_one "$tool" "$c")"
      echo "rr.sh: $tool c=$c round $r: $q/s, $cpu CPU s per 1000" >&2
      QPS[$tool-$c]="${QPS[$tool-$c]:-} $q"
      CPU[$tool-$c]="${CPU[$tool-$c]:-} $cpu"
    done
  done
done

{
  echo "## rr on loopback: $ROUNDS round(s) x ${DUR} s, $(nproc) CPUs, $(uname -sr)"
  echo
  echo "| run | connections | median requests/s |"
  echo "|---|---:|---:|"
  for c in 100 400; do echo "| connperf rr --request raw -> server --mode crr | $c | $(echo "${RAW[$c]}" | median) |"; done
  echo
  echo "| connections | connperf rr req/s | wrk req/s | ratio | connperf CPU s/1000 | wrk CPU s/1000 |"
  echo "|---:|---:|---:|---:|---:|---:|"
  for c in 50 200 1000; do
    a=$(echo "${QPS[connperf-$c]}" | median); b=$(echo "${QPS[wrk-$c]}" | median)
    ca=$(echo "${CPU[connperf-$c]}" | median); cb=$(echo "${CPU[wrk-$c]}" | median)
    echo "| $c | $a | $b | $(python3 -c "print(f'{$a/$b:.2f}x')") | $ca | $cb |"
  done
} | tee "$OUT/rr.md"
