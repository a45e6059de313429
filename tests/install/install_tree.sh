#!/usr/bin/env bash
# The install rules into a scratch DESTDIR with PREFIX /opt/connperf: the binary runs and names its
# commit, man finds the pages there, the completions and (when built) the MPI module are where the
# binary and the shells look; scripts/uninstall.sh then removes every file it installed.
# Usage: tests/install/install_tree.sh BUILD_DIR SOURCE_DIR   (CTest: InstallTree)
set -euo pipefail
build=$1 src=$2
root=$(mktemp -d)
trap 'rm -rf "$root"; rm -f "$build/install_manifest_Unspecified.txt"' EXIT
prefix=$root/opt/connperf

# The install step alone (a component, so the user's install_manifest.txt is left alone).
DESTDIR=$root cmake -DCMAKE_INSTALL_COMPONENT=Unspecified -DCMAKE_INSTALL_PREFIX=/opt/connperf \
  -P "$build/cmake_install.cmake" >/dev/null
awk -v d="$root" '{ print d $0 }' "$build/install_manifest_Unspecified.txt" >"$root/manifest"  # as make install
bad=0
check() { "$@" >/dev/null 2>&1 || { echo "install: failed: $*" >&2; bad=1; }; }
check test -x "$prefix/bin/connperf"
version=$("$prefix/bin/connperf" --version)
[[ $version =~ ^connperf\ [0-9]+\.[0-9]+\.[0-9]+(\ \(git\ [0-9a-f]+(-dirty)?\))?$ ]] ||
  { echo "install: --version printed '$version'" >&2; bad=1; }
check test -f "$prefix/share/man/man1/connperf.1"
check man -M "$prefix/share/man" -w connperf-crr
check test -f "$prefix/share/bash-completion/completions/connperf"
check test -f "$prefix/share/zsh/vendor-completions/_connperf"
if [[ -f $build/connperf_mpi.so ]]; then check test -f "$prefix/lib/connperf/connperf_mpi.so"; fi
"$src/scripts/uninstall.sh" "$root/manifest" >/dev/null
left=$(find "$root" -type f)
[[ -z $left ]] || { echo "install: uninstall left $left" >&2; bad=1; }
((bad == 0)) && echo "install: $version installed under a DESTDIR and uninstalled"
exit "$bad"
