#!/usr/bin/env bash
# Benchmarks Vole against redis-server (same machine, no persistence) with redis-benchmark,
# interleaving the two servers round by round, and prints a table of median throughputs.
# Environment: BUILD (default build), N (requests for both P), N_P1 (default 100000),
# N_P16 (default 1000000), R (rounds, default 3), BENCH_TESTS, BENCH_CLIENTS (50),
# REDIS_ARGS (extra flags for redis-server),
# BENCH_PIPELINES ("1,16"), VOLE_ARGS (extra flags for vole; default --appendonly no, as
# redis-server runs without persistence here).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${BUILD:-${VOLE_BUILD:-build}}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac

if [ ! -x "$BUILD/vole" ]; then
    echo "vs-redis: building Vole in $BUILD" >&2
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$BUILD" -j "$(nproc)"
fi
for tool in redis-server redis-benchmark; do
    if ! command -v "$tool" >/dev/null; then
        echo "vs-redis: $tool not found (make test-deps)" >&2
        exit 2
    fi
done

export VOLE_BUILD="$BUILD" PYTHONDONTWRITEBYTECODE=1
exec /usr/bin/python3 "$ROOT/tests/bench/vs_redis.py"
