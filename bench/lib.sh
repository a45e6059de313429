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
