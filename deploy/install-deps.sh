#!/usr/bin/env bash
# Installs what Vole needs to build, run and test on Debian 12. Idempotent: only
# missing packages are installed, and apt-get update runs only when something is missing.
set -euo pipefail

BUILD_PKGS=(build-essential cmake pkg-config libzmq3-dev libczmq-dev libjansson-dev libzstd-dev
            libssl-dev libcurl4-openssl-dev libcmocka-dev libjemalloc-dev libxxhash-dev libisal-dev
            libhttp-parser-dev)
TEST_PKGS=(redis-server redis-tools python3 python3-pytest python3-redis python3-zmq
           curl prometheus wrk clang)

want=("${BUILD_PKGS[@]}")
if [ "${1:-}" = "--test" ]; then want+=("${TEST_PKGS[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Debian starts a redis-server service on install; the tests start their own on free ports.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
