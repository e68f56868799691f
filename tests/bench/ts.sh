#!/usr/bin/env bash
# Time-series throughput on one Vole server, as ratios against the closest built-in commands
# on the same server: TS.ADD vs XADD (both append a timestamped entry) and vs SET, TS.GET vs
# GET, TS.RANGE of 10 samples vs LRANGE of 10 elements. Uses redis-benchmark; prints each
# command's requests/s and the ratios.
# Environment: BUILD (default build), N (requests per test, default 200000), C (clients, 50),
# P (pipeline, default 16), VOLE_ARGS (extra flags for vole).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${BUILD:-${VOLE_BUILD:-build}}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
N="${N:-200000}"
C="${C:-50}"
P="${P:-16}"

for tool in redis-benchmark redis-cli; do
    if ! command -v "$tool" >/dev/null; then
        echo "ts bench: $tool not found (deploy/install-deps.sh)" >&2
        exit 2
    fi
done
[ -x "$BUILD/vole" ] || { echo "ts bench: no $BUILD/vole (build first)" >&2; exit 2; }

TMP="$(mktemp -d)"
PORT="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
# shellcheck disable=SC2086
"$BUILD/vole" --addr "127.0.0.1:$PORT" --dir "$TMP" ${VOLE_ARGS:-} >"$TMP/log" 2>&1 &
VOLE_PID=$!
cleanup() {
    kill -TERM "$VOLE_PID" 2>/dev/null || true
    wait "$VOLE_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
for _ in $(seq 1 200); do
    if redis-cli -p "$PORT" PING 2>/dev/null | grep -q PONG; then break; fi
    sleep 0.05
done
redis-cli -p "$PORT" PING | grep -q PONG || { echo "ts bench: vole did not start" >&2; cat "$TMP/log" >&2; exit 1; }

# one benchmark: prints requests per second
rps() {
    redis-benchmark -p "$PORT" -n "$N" -c "$C" -P "$P" -r 1000 --csv "$@" | tail -1 |
        awk -F'","' '{ gsub(/"/, "", $2); print $2 }'
}

cli() { redis-cli -p "$PORT" "$@" >/dev/null; }

# seed the read tests: 1000 series/lists/strings with 100 samples/elements each
{
    for i in $(seq 0 999); do
        k=$(printf '%012d' "$i")
        echo "SET key:$k v"
        echo "TS.CREATE ts:$k DUPLICATE_POLICY LAST"
        for t in $(seq 1 100); do echo "TS.ADD ts:$k $t $t"; done
        echo "RPUSH list:$k $(seq -s ' ' 1 100)"
    done
} | redis-cli -p "$PORT" >/dev/null

SET=$(rps SET key:__rand_int__ v)
GET=$(rps GET key:__rand_int__)
XADD=$(rps XADD stream:__rand_int__ '*' v 1)
TSADD=$(rps TS.ADD tsw:__rand_int__ '*' 1.5 ON_DUPLICATE LAST)
TSGET=$(rps TS.GET ts:__rand_int__)
LRANGE=$(rps LRANGE list:__rand_int__ 0 9)
TSRANGE=$(rps TS.RANGE ts:__rand_int__ - + COUNT 10)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
printf '%-28s %12s\n' "command (n=$N c=$C P=$P)" "requests/s"
printf '%-28s %12s\n' SET "$SET" GET "$GET" XADD "$XADD" "TS.ADD" "$TSADD" "TS.GET" "$TSGET" \
    "LRANGE 0 9" "$LRANGE" "TS.RANGE COUNT 10" "$TSRANGE"
echo
echo "TS.ADD / XADD        $(ratio "$TSADD" "$XADD")"
echo "TS.ADD / SET         $(ratio "$TSADD" "$SET")"
echo "TS.GET / GET         $(ratio "$TSGET" "$GET")"
echo "TS.RANGE / LRANGE    $(ratio "$TSRANGE" "$LRANGE")"
