#!/usr/bin/env bash
# JSON documents against plain strings on the same Vole server: JSON.SET / JSON.GET of a 1 KB
# document vs SET / GET of the same bytes (redis-benchmark, rounds interleaved, medians), the
# ratios, and the memory a document takes as a tree vs as a string.
# Environment: BUILD (default build), N (requests per run, default 100000), R (rounds, 3),
# BENCH_CLIENTS (50), BENCH_PIPELINES ("1,16"), DOCS (documents for the memory row, 10000).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${BUILD:-${VOLE_BUILD:-build}}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac

if [ ! -x "$BUILD/vole" ]; then
    echo "json bench: building Vole in $BUILD" >&2
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$BUILD" -j "$(nproc)"
fi
if ! command -v redis-benchmark >/dev/null; then
    echo "json bench: redis-benchmark not found (deploy/install-deps.sh --test)" >&2
    exit 2
fi

export VOLE_BUILD="$BUILD" PYTHONDONTWRITEBYTECODE=1
exec /usr/bin/python3 "$ROOT/tests/bench/json_bench.py"
