#!/usr/bin/env bash
# Throughput of RATELIMIT and the reliable-queue commands (ENQUEUE, DEQUEUE + QACK, and the
# whole ENQUEUE/DEQUEUE/QACK cycle) against SET on the same Vole server, with the C load
# generator tests/bench/queue_bench.c (built here into the build dir). Prints each
# command's median throughput over interleaved rounds and its ratio to SET (target >= 0.7).
# Environment: BUILD (default build), R (rounds, default 3), SECS (seconds per run, 3),
# CONNS (connections, 50), P (pipeline depth, 16; P=1 measures round trips), VOLE_ARGS.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${BUILD:-${VOLE_BUILD:-build}}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac

if [ ! -x "$BUILD/vole" ]; then
    echo "queue bench: building Vole in $BUILD" >&2
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$BUILD" -j "$(nproc)"
fi
GEN="$BUILD/vole-bench-queue"
if [ ! -x "$GEN" ] || [ "$ROOT/tests/bench/queue_bench.c" -nt "$GEN" ]; then
    cc -O2 -Wall -o "$GEN" "$ROOT/tests/bench/queue_bench.c" -lpthread
fi

export VOLE_BUILD="$BUILD" PYTHONDONTWRITEBYTECODE=1 QUEUE_BENCH_GEN="$GEN"
exec /usr/bin/python3 "$ROOT/tests/bench/queue_bench.py"
