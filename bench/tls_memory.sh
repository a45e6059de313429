#!/usr/bin/env bash
# bench/tls_memory.sh — memory per held connection: `connperf cc` holding N connections against
# `connperf server` (separate processes), each side's RSS once all are open minus its RSS before,
# divided by N. Plaintext, TLS 1.2 and TLS 1.3.
#
#   bench/tls_memory.sh            N=10000 (needs an open-file limit above N; raised here to 20000)
#   N=2000 PORT=18450 CONNPERF=/path/to/connperf bench/tls_memory.sh
#
# Waits are bounded: 30 s for all N to be established (counted on the server's port with ss),
# then 2 s before the RSS is read; both processes are stopped by their PIDs.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
B=${CONNPERF:-$HERE/../build/connperf}
N=${N:-10000}
PORT=${PORT:-18450}
ulimit -n 20000 2>/dev/null || { echo "tls_memory.sh: cannot raise the open-file limit" >&2; exit 1; }

rss() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }

one() {  # one() LABEL FLAGS...: a server and a cc with FLAGS, one table row
  local label=$1 sp cp s0 s1 c0 c1 est=0 i
  shift
  "$B" server "$@" --listen 127.0.0.1:$PORT -t 1 -q --idle-timeout 120 >/dev/null 2>&1 &
  sp=$!
  sleep 0.7
  s0=$(rss $sp)
  "$B" cc "$@" 127.0.0.1:$PORT -n "$N" --hold 60 -q >/dev/null 2>&1 &
  cp=$!
  sleep 0.3
  c0=$(rss $cp)
  for ((i = 0; i < 120; i++)); do
    est=$(ss -Htn state established "( sport = :$PORT )" | wc -l)
    [ "$est" -ge "$N" ] && break
    sleep 0.25
  done
  sleep 2
  c1=$(rss $cp)
  s1=$(rss $sp)
  kill -INT $cp; wait $cp
  kill -INT $sp; wait $sp
  awk -v l="$label" -v n="$N" -v e="$est" -v c0="$c0" -v c1="$c1" -v s0="$s0" -v s1="$s1" \
    'BEGIN { printf "| %s | %d | %.1f KiB | %.1f KiB |\n", l, e, (c1 - c0) / n, (s1 - s0) / n }'
  PORT=$((PORT + 1))
}

echo "| run | held | client (cc) per connection | server per connection |"
echo "|---|---:|---:|---:|"
one plaintext
one "TLS 1.2" --tls --tls-version 1.2
one "TLS 1.3" --tls --tls-version 1.3
