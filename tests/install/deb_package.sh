#!/usr/bin/env bash
# `cpack -G DEB` as `make deb` runs it, into a scratch directory: Depends name libfmt and zlib1g and no
# libopenmpi, Recommends name libopenmpi when the MPI module is in; unpacked with dpkg -x into a
# scratch root, the binary prints its version and commit and runs `demo -d 1`; the module is found
# there under mpirun, and a tree without it says so under a launcher and exits 1.
# Usage: tests/install/deb_package.sh BUILD_DIR   (CTest: DebPackage)
set -euo pipefail
build=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bad=0
fail() { echo "deb: $*" >&2; bad=1; }

(cd "$build" && cpack -G DEB -B "$work/pkg") >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log" >&2; exit 1; }
deb=$(ls "$work"/pkg/connperf_*.deb)
depends=$(dpkg-deb -f "$deb" Depends)
recommends=$(dpkg-deb -f "$deb" Recommends)
echo "deb: $(basename "$deb"): Depends: $depends; Recommends: $recommends"
[[ $depends == *libfmt* ]] || fail "Depends lacks libfmt"
[[ $depends == *zlib1g* ]] || fail "Depends lacks zlib1g (--hdr-log links zlib)"
[[ $depends == *libssl3* ]] || fail "Depends lacks libssl3 (TLS)"
[[ $depends != *openmpi* ]] || fail "Depends names Open MPI; it belongs in Recommends"
dpkg-deb -x "$deb" "$work/root"
bin=$work/root/usr/bin/connperf
[[ -f $work/root/usr/share/man/man1/connperf-crr.1 ]] || fail "no connperf-crr(1)"
[[ -f $work/root/usr/share/bash-completion/completions/connperf ]] || fail "no bash completion"
"$bin" --version | grep -qE '^connperf [0-9.]+' || fail "--version: $("$bin" --version)"
"$bin" demo -d 1 >"$work/demo.out" 2>&1 || fail "demo -d 1 failed: $(cat "$work/demo.out")"
grep -qE '^completed +[0-9,]+' "$work/demo.out" || fail "demo printed no completed line"

module=$work/root/usr/lib/connperf/connperf_mpi.so
if [[ -f $build/connperf_mpi.so ]]; then
  [[ -f $module ]] || fail "the build has the MPI module, the package not"
  [[ $recommends == *libopenmpi* ]] || fail "Recommends lacks libopenmpi"
  if command -v mpirun >/dev/null; then
    "$bin" server --listen 127.0.0.1:0 -t 1 -d 20 -q >/dev/null 2>"$work/server.err" &
    server=$!
    for _ in $(seq 100); do grep -q 'listening on' "$work/server.err" && break; sleep 0.05; done
    port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/server.err")
    env OMPI_MCA_btl=self,tcp OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo \
      mpirun --allow-run-as-root --oversubscribe -np 2 "$bin" crr -q -n 200 "127.0.0.1:$port" \
      >"$work/mpi.out" 2>&1 || fail "crr under mpirun from the package: $(cat "$work/mpi.out")"
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm "$module"
fi
# Without the module, started as if by a launcher: one line saying so, exit 1.
set +e
OMPI_COMM_WORLD_SIZE=2 "$bin" crr -q -n 1 127.0.0.1:9 >"$work/nompi.out" 2>&1
code=$?
set -e
[[ $code == 1 ]] && grep -q 'the MPI module cannot be loaded' "$work/nompi.out" ||
  fail "without the module under a launcher: exit $code, $(cat "$work/nompi.out")"
((bad == 0)) && echo "deb: unpacked, --version, demo -d 1 and the MPI module path work"
exit "$bad"
