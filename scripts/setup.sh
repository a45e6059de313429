#!/usr/bin/env bash
# Installs, from Debian's apt, the packages connperf needs for one job, and only those:
#   scripts/setup.sh build     compilers, CMake and the libraries the binary is built from
#                              (make demo, make build, make install)
#   scripts/setup.sh package   build + Open MPI's headers, so the MPI module is built (make deb)
#   scripts/setup.sh test      package + GoogleTest and every peer the tests run against (make test),
#                              and hdr-histogram-js from npm into tests/hdr/node_modules (git-ignored)
#   scripts/setup.sh list SET  prints the set's packages that are missing, installs nothing
# Idempotent and quick when everything is present; run as root (or via sudo).
set -euo pipefail

build=(build-essential cmake pkg-config libcli11-dev libfmt-dev nlohmann-json3-dev zlib1g-dev libssl-dev)
package=("${build[@]}" libopenmpi-dev)
test=("${package[@]}"
  libgtest-dev libgmock-dev libbenchmark-dev
  curl apache2-utils nginx-light wrk python3 iproute2 procps time openssl tinyproxy-bin
  chromium
  nftables conntrack openmpi-bin
  prometheus
  clang-16 libclang-rt-16-dev
  man-db groff-base zsh
  nodejs
)

list_only=false
if [ "${1:-}" = list ]; then list_only=true; shift; fi
set_name=${1:-test}
case $set_name in
  build) packages=("${build[@]}") ;;
  package) packages=("${package[@]}") ;;
  test) packages=("${test[@]}") ;;
  *) echo "usage: $0 [list] build|package|test" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The HdrLogReader test reads --hdr-log with HdrHistogram's JavaScript port: from the npm
# registry (npm's own client), into the source tree's git-ignored tests/hdr/node_modules.
npm_packages() {
  [ "$set_name" = test ] || return 0
  local dir
  dir=$(cd "$(dirname "$0")/../tests/hdr" && pwd)
  [ -d "$dir/node_modules/hdr-histogram-js" ] && return 0
  if $list_only; then echo "npm:hdr-histogram-js"; return 0; fi
  command -v npm >/dev/null || $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
  echo "setup ($set_name): npm install hdr-histogram-js into $dir" >&2
  (cd "$dir" && npm install --no-save --no-package-lock --no-audit --no-fund --prefix . \
     hdr-histogram-js >/dev/null)
}

if $list_only; then
  [ ${#missing[@]} -eq 0 ] || printf '%s\n' "${missing[@]}"
  npm_packages
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ${#missing[@]} -eq 0 ]; then
  npm_packages
  exit 0
fi

echo "setup ($set_name): installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_packages
