#!/usr/bin/env bash
# Throughput of tags, schema-checked HSET, SETDELAYED, the audit log and namespaces against
# SET/GET on the same Vole server (tests/bench/core_bench.py). Environment: BUILD (default
# build), N (requests per run, 200000), R (rounds, 3), BENCH_PIPELINE (16), BENCH_CLIENTS (50).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${BUILD:-${VOLE_BUILD:-build}}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
if [ ! -x "$BUILD/vole" ]; then
    echo "core bench: $BUILD/vole not found; build first" >&2
    exit 2
fi
command -v redis-benchmark >/dev/null || { echo "core bench: redis-benchmark not found" >&2; exit 2; }
export VOLE_BUILD="$BUILD" PYTHONDONTWRITEBYTECODE=1
exec /usr/bin/python3 "$ROOT/tests/bench/core_bench.py"
