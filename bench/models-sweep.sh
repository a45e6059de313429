#!/usr/bin/env bash
# bench/models-sweep.sh — the server-model experiment: QPS against the number of persistent
# connections, `connperf rr --sweep` against `connperf server --model thread|epoll|fork`
# (HTTP keep-alive), first 50..450 in steps of 50, then 1000,5000,10000.
#   STEP=5 WARMUP=1 bench/models-sweep.sh      writes bench/out/models-sweep.md and .csv
# Both ends run on this machine; the server gets --max-connections 12000 so the thread and fork
# models are capped by the sweep, not by their defaults.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CONNPERF=${CONNPERF:-$ROOT/build/connperf}
OUT=$HERE/out
STEP=${STEP:-5}
WARMUP=${WARMUP:-1}
MODELS=${MODELS:-"thread epoll fork"}
SMALL=50,100,150,200,250,300,350,400,450
LARGE=${LARGE:-1000,5000,10000}
mkdir -p "$OUT"
TMP=$(mktemp -d)
SPID=""
cleanup() { [ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

echo "model,connections,open_connections,qps,error_rate,p50_us,p99_us,p999_us" >"$OUT/models-sweep.csv"
{
  echo "## QPS vs connections: connperf rr --sweep -> connperf server --mode http, ${STEP} s steps, $(nproc) CPUs"
  echo
  echo "| model | connections | qps | error rate | p50 | p99 | p99.9 |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
} >"$OUT/models-sweep.md"

for model in $MODELS; do
  for list in "$SMALL" "$LARGE"; do
    "$CONNPERF" server --listen 127.0.0.1:0 --model "$model" --mode http -t 1 -q \
      --max-connections 12000 --idle-timeout 600 >"$TMP/server.out" 2>"$TMP/server.err" &
    SPID=$!
    PORT=""
    for _ in $(seq 100); do
      PORT=$(grep -o 'listening on [^ ]*' "$TMP/server.err" 2>/dev/null | sed 's/.*://')
      [ -n "$PORT" ] && break
      sleep 0.05
    done
    echo "models-sweep.sh: $model: $list" >&2
    timeout 900 "$CONNPERF" rr "127.0.0.1:$PORT" -t 1 --sweep "$list" -d "$STEP" \
      --warmup "$WARMUP" --timeout 2000 -q --csv "$TMP/steps.csv" >&2
    kill -TERM "$SPID"; timeout 15 tail --pid="$SPID" -f /dev/null; SPID=""
    tail -n +2 "$TMP/steps.csv" | sed "s/^/$model,/" >>"$OUT/models-sweep.csv"
    tail -n +2 "$TMP/steps.csv" | awk -F, -v m="$model" \
      '{printf "| %s | %s | %.0f | %.4f | %sus | %sus | %sus |\n", m, $1, $3, $4, $5, $6, $7}' \
      >>"$OUT/models-sweep.md"
  done
done
cat "$OUT/models-sweep.md"
