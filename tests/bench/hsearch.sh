#!/usr/bin/env bash
# HSEARCH over 1 M hashes, indexed (schema fields) and scanned, with ratios against GET on
# the same server (tests/bench/hsearch_bench.py). Environment: BUILD (default build),
# HASHES (1000000), R (runs per query, 3).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${BUILD:-${VOLE_BUILD:-build}}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
if [ ! -x "$BUILD/vole" ]; then
    echo "hsearch bench: $BUILD/vole not found; build first" >&2
    exit 2
fi
command -v redis-benchmark >/dev/null || { echo "hsearch bench: redis-benchmark not found" >&2; exit 2; }
export VOLE_BUILD="$BUILD" PYTHONDONTWRITEBYTECODE=1
exec /usr/bin/python3 "$ROOT/tests/bench/hsearch_bench.py"
