#!/usr/bin/env bash
# Drives the generated bash completion as bash does (COMP_WORDS, COMP_CWORD, the function, then
# COMPREPLY) for subcommands, flags, lab's actions and the values of --model, --mode and --close,
# the values checked against what --help lists. Also parses the zsh script when zsh is installed.
# Usage: tests/install/bash_completion.sh CONNPERF DOCS_DIR   (CTest: BashCompletion)
set -euo pipefail
bin=$1 docs=$2
bad=0
# shellcheck source=/dev/null
source "$docs/bash-completion/connperf"

# The sorted, space-separated completions of the last word.
complete_words() {
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  COMPREPLY=()
  _connperf
  printf '%s\n' "${COMPREPLY[@]}" | sort | paste -sd' '
}
expect() {  # expect WANTED WORDS...
  local want=$1 got
  shift
  got=$(complete_words "$@")
  if [[ $got != "$want" ]]; then
    echo "completion: '$*' gave '$got', wanted '$want'" >&2
    bad=1
  fi
}
# The values --help shows for an enum flag: "--close TEXT:{rst,fin}=rst" → "fin rst".
values() { "$bin" "$1" --help | grep -oE -- "$2 TEXT:\{[^}]*\}" | sed 's/.*{//; s/}//' | tr ',' '\n' | sort | paste -sd' '; }

subs=$("$bin" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' | sort | paste -sd' ')
expect "--help --version $subs" connperf ""
expect "cc compare crr" connperf c
expect "--close --close-notify" connperf crr --clo
expect "$(values crr --close)" connperf crr --close ""
expect "$(values crr --close)" connperf crr --close = ""
expect "$(values crr --close)" connperf crr --close =
expect "--close=rst" connperf crr --close=r
expect "$(values server --model)" connperf server --model ""
expect "epoll" connperf server --model e
expect "$(values server --mode)" connperf server -t 2 --mode ""
expect "--json" connperf crr 127.0.0.1:80 --js
expect "1.2 1.3" connperf crr --tls-version ""
expect "" connperf crr -t ""
expect "--help -h down run status up" connperf lab ""
expect "--name --nat" connperf lab up --na
[[ -n $(values server --model) && -n $(values server --mode) ]] || { echo "completion: no enum values in --help" >&2; bad=1; }
if command -v zsh >/dev/null; then
  zsh -n "$docs/zsh/_connperf" || { echo "completion: the zsh script does not parse" >&2; bad=1; }
fi
((bad == 0)) && echo "completion: bash completes subcommands, flags, actions and enum values"
exit "$bad"
