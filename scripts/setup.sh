#!/usr/bin/env bash
# Installs, from Debian's apt, every package connperf needs to build, test and benchmark.
# Idempotent and quick when everything is present; run as root (or via sudo).
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libcli11-dev libfmt-dev nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
  curl apache2-utils nginx-light wrk python3 iproute2 procps time openssl tinyproxy-bin
  chromium
  nftables conntrack openmpi-bin libopenmpi-dev
  prometheus
  clang-16 libclang-rt-16-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
