#!/usr/bin/env bash
# Unit tests mirror the source tree (DESIGN.md section 2): tests/unit/<folder>/<file>_test.cpp tests
# src/<folder>/<file>.{h,cpp}, so the test of a file is found by its name. A test of a test helper
# tests/<folder>/<file>.h sits at the same place (tests/unit/poll_until_test.cpp tests
# tests/poll_until.h). Integration tests are named after what they run end to end, never after a
# unit test's file. Prints each file that breaks a rule; exits 1 if any does.
# Usage: tests/layout_check.sh [repository root]   (CTest: TestLayout)
set -euo pipefail

root=${1:-$(dirname "$0")/..}
cd "$root"
bad=0

while IFS= read -r -d '' test; do
  rel=${test#tests/unit/}
  dir=$(dirname "$rel")
  name=$(basename "$rel" _test.cpp)
  [[ $dir == . ]] && dir= || dir=$dir/
  if [[ -f src/$dir$name.h || -f src/$dir$name.cpp || -f tests/$dir$name.h ]]; then continue; fi
  echo "layout: $test has no src/$dir$name.h or src/$dir$name.cpp to test" >&2
  bad=1
done < <(find tests/unit -name '*_test.cpp' -print0 | sort -z)

while IFS= read -r -d '' stray; do
  echo "layout: $stray is not named <file>_test.cpp" >&2
  bad=1
done < <(find tests/unit -name '*.cpp' ! -name '*_test.cpp' -print0 | sort -z)

declare -A unit_names=()
while IFS= read -r -d '' test; do
  unit_names[$(basename "$test")]=$test
done < <(find tests/unit -name '*_test.cpp' -print0)
while IFS= read -r -d '' test; do
  name=$(basename "$test")
  if [[ -n ${unit_names[$name]:-} ]]; then
    echo "layout: $test has the name of ${unit_names[$name]}; name it after what it runs" >&2
    bad=1
  fi
done < <(find tests/integration -name '*_test.cpp' -print0 | sort -z)

# Layers (DESIGN.md section 2): only the command layer (src/cli/, src/main.cpp) includes cli/, and
# nothing below the run layer includes run/.
while IFS= read -r line; do
  echo "layout: ${line%%:*} includes the command layer (cli/): only src/cli and src/main.cpp may" >&2
  bad=1
done < <(grep -rln '#include "cli/' src --include='*.h' --include='*.cpp' |
         grep -v -e '^src/cli/' -e '^src/main.cpp$' || true)
while IFS= read -r line; do
  echo "layout: $line includes the run layer (run/) from below it" >&2
  bad=1
done < <(grep -rln '#include "run/' src --include='*.h' --include='*.cpp' |
         grep -v -e '^src/run/' -e '^src/cli/' -e '^src/main.cpp$' || true)

if ((bad == 0)); then
  echo "layout: $(find tests/unit -name '*_test.cpp' | wc -l) unit test files mirror src/"
fi
exit "$bad"
