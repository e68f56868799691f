#!/usr/bin/env bash
# Vole's core features against SET/GET on the same server.
#   tests/bench/core.sh            tags, schema-checked HSET, SETDELAYED, the audit log and
#                                  namespaces (tests/bench/core_bench.py)
#   tests/bench/core.sh hsearch    HSEARCH over 1 M hashes (tests/bench/hsearch_bench.py;
#                                  also tests/bench/hsearch.sh)
# Environment: BUILD (default build), N (requests per run, 200000), R (rounds, 3),
# BENCH_PIPELINE (16), BENCH_CLIENTS (50), HASHES (1000000).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${BUILD:-${VOLE_BUILD:-build}}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
if [ ! -x "$BUILD/vole" ]; then
    echo "bench: $BUILD/vole not found; build first" >&2
    exit 2
fi
command -v redis-benchmark >/dev/null || { echo "bench: redis-benchmark not found" >&2; exit 2; }
export VOLE_BUILD="$BUILD" PYTHONDONTWRITEBYTECODE=1
case "${1:-}" in
hsearch) exec /usr/bin/python3 "$ROOT/tests/bench/hsearch_bench.py" ;;
"") exec /usr/bin/python3 "$ROOT/tests/bench/core_bench.py" ;;
*) echo "usage: $0 [hsearch]" >&2; exit 2 ;;
esac
