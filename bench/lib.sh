# bench/lib.sh — what the bench scripts share, sourced (`. "$HERE/lib.sh"`): a figure of many
# short rounds is printed as its median with the spread beside it, "median (min–max)", because on
# a shared host the run-to-run spread is often larger than the difference being measured (an rr
# pair on 2 cores gave 63k to 179k/s within minutes). A difference inside the spread is noise:
# `connperf compare A.json,B.json,... C.json,D.json,...` judges result files the same way.
#
# Each reads numbers from stdin, separated by spaces or newlines.

# The median.
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# "min–max".
spread() { tr ' ' '\n' | grep -v '^$' | sort -g | awk 'NR==1 {lo=$1} {hi=$1} END {print lo "–" hi}'; }
# "median (min–max)": the cell of a table of rounds.
med_spread() {
  local v
  v=$(cat)
  printf '%s (%s)' "$(median <<<"$v")" "$(spread <<<"$v")"
}

# Processes, each by PID: its children; kill it and its descendants, children first; whether it
# still runs (a zombie does not); wait at most $2 seconds for our child $1 to exit (its exit code,
# 124 and killed on timeout; the script's log() says so).
children() { pgrep -P "$1" 2>/dev/null; }
kill_tree() {
  local sig=$1 pid=$2 c
  for c in $(children "$pid"); do kill_tree "$sig" "$c"; done
  kill "-$sig" "$pid" 2>/dev/null
}
alive() { kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]; }
wait_bounded() {
  local pid=$1 limit=$2 i
  for ((i = 0; i < limit * 10; i++)); do alive "$pid" || break; sleep 0.1; done
  if alive "$pid"; then
    log "pid $pid still running after ${limit}s, killing it"
    kill_tree TERM "$pid"; sleep 0.5; kill_tree KILL "$pid"
    wait "$pid" 2>/dev/null
    return 124
  fi
  wait "$pid" 2>/dev/null
}
