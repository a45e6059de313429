#!/usr/bin/env bash
# bench/tls.sh — TLS handshakes per second on loopback, connperf against itself, and what --tls
# costs the plaintext path (nothing, it should be).
#
#   bench/tls.sh                     ROUNDS rounds (default 5) of DURATION seconds (default 3)
#   MAIN=/work/main/build/connperf bench/tls.sh   also plaintext crr: this binary vs MAIN's
#   CONNPERF=/path/to/connperf overrides the binary under test.
#
# Each run: `connperf server -t 1` (CPU 0) and `connperf crr -t 1 -c 64` (CPU 1) on 127.0.0.1,
# with taskset so client and server each have one core of a 2-core machine:
#   tls1.2-full     crr --tls --tls-version 1.2              -> server --tls (ECDSA P-256, X25519)
#   tls1.2-resumed  crr --tls --tls-version 1.2 --resume 1   -> the same server
#   tls1.3-full / tls1.3-resumed: the same with --tls-version 1.3
#   plain / plain-main: crr (no TLS) -> server of the same binary (MAIN's for plain-main)
# Runs alternate within a round (the order rotates every round); the table shows medians of each
# tool's own JSON "cps" (completed connections per second = handshakes per second with --tls).
# Per-run numbers: bench/out/tls.tsv; the table: stdout and bench/out/tls.md.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$HERE/out
CONNPERF=${CONNPERF:-$HERE/../build/connperf}
MAIN=${MAIN:-}
ROUNDS=${ROUNDS:-5}
DUR=${DURATION:-3}
mkdir -p "$OUT"
TSV=$OUT/tls.tsv
: >"$TSV"

names=(tls1.2-full tls1.2-resumed tls1.3-full tls1.3-resumed)
[ -n "$MAIN" ] && names+=(plain plain-main)

# One run: prints completed connections per second.
run_one() {
  local name=$1 bin=$CONNPERF extra=()
  case $name in
    tls1.2-full) extra=(--tls --tls-version 1.2) ;;
    tls1.2-resumed) extra=(--tls --tls-version 1.2 --resume 1) ;;
    tls1.3-full) extra=(--tls --tls-version 1.3) ;;
    tls1.3-resumed) extra=(--tls --tls-version 1.3 --resume 1) ;;
    plain) ;;
    plain-main) bin=$MAIN ;;
  esac
  local srv_tls=()
  [ ${#extra[@]} -gt 0 ] && srv_tls=(--tls)
  local log
  log=$(mktemp)
  taskset -c 0 "$bin" server --listen 127.0.0.1:0 -t 1 -q "${srv_tls[@]}" >/dev/null 2>"$log" &
  local spid=$!
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$log")
    [ -n "$port" ] && break
    sleep 0.05
  done
  taskset -c 1 "$bin" crr "127.0.0.1:$port" -t 1 -c 64 -d "$DUR" -q --json - "${extra[@]}" \
    2>/dev/null | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["summary"]["cps"]))'
  kill -TERM "$spid"
  wait "$spid" 2>/dev/null
  rm -f "$log"
}

for round in $(seq "$ROUNDS"); do
  n=${#names[@]}
  for i in $(seq 0 $((n - 1))); do
    name=${names[$(((i + round - 1) % n))]}
    cps=$(run_one "$name")
    printf '%s\t%s\t%s\n' "$round" "$name" "$cps" >>"$TSV"
    echo "round $round $name: $cps/s" >&2
  done
done

{
  echo "| run | connections/s (median of $ROUNDS x ${DUR}s) | runs |"
  echo "|---|---:|---|"
  for name in "${names[@]}"; do
    awk -F'\t' -v n="$name" '$2 == n { print $3 }' "$TSV" | sort -n | awk -v n="$name" '
      { v[NR] = $1; all = all (NR > 1 ? ", " : "") $1 }
      END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "| %s | %d | %s |\n", n, m, all }'
  done
} | tee "$OUT/tls.md"
