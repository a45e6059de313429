#!/usr/bin/env bash
# Removes what `make install` installed, as listed in MANIFEST (build/installed_files.txt, one path
# a line, DESTDIR included), then the directories it leaves empty that are connperf's own.
# Usage: scripts/uninstall.sh MANIFEST
set -euo pipefail

manifest=${1:?usage: $0 MANIFEST}
if [ ! -f "$manifest" ]; then
  echo "uninstall: no $manifest: nothing was installed from this build (make install writes it)" >&2
  exit 1
fi
while IFS= read -r path || [ -n "$path" ]; do
  [ -n "$path" ] || continue
  if [ -e "$path" ] || [ -L "$path" ]; then
    rm -f -- "$path"
    echo "removed $path"
  fi
  # lib/connperf/ is connperf's alone; every other directory is shared and stays.
  dir=$(dirname -- "$path")
  if [ "$(basename -- "$dir")" = connperf ]; then rmdir -- "$dir" 2>/dev/null || true; fi
done <"$manifest"
rm -f -- "$manifest"
