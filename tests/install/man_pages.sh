#!/usr/bin/env bash
# connperf(1) names every subcommand that `connperf --help` lists; each has its connperf-SUB(1);
# every flag that `connperf SUB --help` (and `connperf SUB ACTION --help`, for lab) lists appears
# in that page as man renders it; man renders every page without a warning.
# Usage: tests/install/man_pages.sh CONNPERF DOCS_DIR   (CTest: ManPages)
set -euo pipefail
bin=$1 pages=$2/man1
bad=0

# The names in the "Subcommands:" block of `$@ --help`.
subcommands() { "$@" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }'; }
# The flags in the name column of `$@ --help` ("  -t,--threads UINT ..." → -t, --threads).
flags() { "$@" --help | awk '/^  -/ { print $1 }' | tr ',' '\n'; }
render() { LC_ALL=C MANWIDTH=200 man --warnings -l "$1" 2>"$1.warnings" | col -b; }

check_flags() {  # check_flags RENDERED_TEXT COMMAND...
  local text=$1 flag
  shift
  for flag in $(flags "$@"); do
    if ! grep -qE -- "(^|[^-[:alnum:]])$flag([^-[:alnum:]]|$)" <<<"$text"; then
      echo "man: '$*' has $flag in --help but not in its page" >&2
      bad=1
    fi
  done
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp "$pages"/*.1 "$scratch"/
main=$(render "$scratch/connperf.1")
check_flags "$main" "$bin"
count=0
for sub in $(subcommands "$bin"); do
  page=$scratch/connperf-$sub.1
  if [[ ! -f $page ]]; then
    echo "man: no page connperf-$sub.1 for subcommand $sub" >&2
    bad=1
    continue
  fi
  grep -qF "connperf-$sub(1)" <<<"$main" || { echo "man: connperf(1) does not name connperf-$sub(1)" >&2; bad=1; }
  text=$(render "$page")
  check_flags "$text" "$bin" "$sub"
  for action in $(subcommands "$bin" "$sub"); do check_flags "$text" "$bin" "$sub" "$action"; done
  count=$((count + 1))
done
for warnings in "$scratch"/*.warnings; do
  if [[ -s $warnings ]]; then
    echo "man: ${warnings%.warnings}: $(cat "$warnings")" >&2
    bad=1
  fi
done
((count > 0)) || { echo "man: no subcommands in --help" >&2; bad=1; }
((bad == 0)) && echo "man: connperf(1) and $count subcommand pages hold every flag of --help"
exit "$bad"
