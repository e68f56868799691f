#!/usr/bin/env bash
# Persistence benchmarks, Vole against redis-server on the same disk in the same run:
#  1. SET throughput with appendfsync always and everysec (both servers with the AOF on),
#     through vs_redis.py (interleaved rounds, medians, median of per-round ratios);
#  2. the longest engine pause of a BGSAVE (the fork: INFO latest_fork_usec on both) with
#     1 M keys loaded, and the time until the snapshot is on disk.
# Snapshot save/load time and size against RDB: tests/bench/snapshot.sh.
# Environment: BUILD, R (rounds, default 3), N_P1 / N_P16 (requests), KEYS (default 1000000).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${BUILD:-${VOLE_BUILD:-build}}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
export BUILD VOLE_BUILD="$BUILD" PYTHONDONTWRITEBYTECODE=1

for fsync in always everysec; do
    echo "== SET with appendfsync $fsync (both servers: appendonly yes)"
    BENCH_TESTS=set FANOUT_MSGS=0 N_P1="${N_P1:-50000}" N_P16="${N_P16:-500000}" \
        VOLE_ARGS="--appendonly yes --appendfsync $fsync" \
        REDIS_ARGS="--appendonly yes --appendfsync $fsync" \
        bash "$ROOT/tests/bench/vs-redis.sh"
done
echo "== BGSAVE pause with ${KEYS:-1000000} keys"
exec /usr/bin/python3 "$ROOT/tests/bench/persist_pause.py"
