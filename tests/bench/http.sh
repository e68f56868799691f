#!/usr/bin/env bash
# Benchmarks the HTTP API against RESP on the same Vole instance, in the same run: wrk keep-alive
# GET of a key and PUT of a key over HTTP, redis-benchmark GET and SET over RESP, with the same
# number of connections; prints requests/s and the HTTP/RESP ratio for each operation.
# Environment: BUILD (default build), DURATION (wrk seconds, default 5), CONNS (default 50),
# THREADS (wrk threads, default 1), N (redis-benchmark requests, default 200000),
# VOLE_ARGS (extra flags for vole).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${BUILD:-${VOLE_BUILD:-build}}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
DURATION="${DURATION:-5}"
CONNS="${CONNS:-50}"
THREADS="${THREADS:-1}"
N="${N:-200000}"

for tool in wrk redis-benchmark curl; do
    if ! command -v "$tool" >/dev/null; then
        echo "http-bench: $tool not found (make test-deps)" >&2
        exit 2
    fi
done
if [ ! -x "$BUILD/vole" ]; then
    echo "http-bench: $BUILD/vole not found; build first" >&2
    exit 2
fi

TMP="$(mktemp -d /tmp/vole-http-bench.XXXXXX)"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RESP_PORT=$(free_port)
HTTP_PORT=$(free_port)
# shellcheck disable=SC2086
"$BUILD/vole" --addr "127.0.0.1:$RESP_PORT" --http-addr "127.0.0.1:$HTTP_PORT" --dir "$TMP/data" \
    ${VOLE_ARGS:-} >"$TMP/vole.log" 2>&1 &
VOLE_PID=$!
cleanup() {
    kill -TERM "$VOLE_PID" 2>/dev/null || true
    wait "$VOLE_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$HTTP_PORT/ready" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -sf "http://127.0.0.1:$HTTP_PORT/ready" >/dev/null || { cat "$TMP/vole.log"; exit 1; }

VALUE=xxxxxxxxxxxxxxxx
curl -sf -X PUT "http://127.0.0.1:$HTTP_PORT/api/v1/keys/key:__rand_int__" -d "{\"value\":\"$VALUE\"}" >/dev/null
redis-cli -p "$RESP_PORT" SET key:__rand_int__ "$VALUE" >/dev/null
cat >"$TMP/put.lua" <<LUA
wrk.method = "PUT"
wrk.body = '{"value":"$VALUE"}'
wrk.headers["Content-Type"] = "application/json"
LUA

wrk_rps() { wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" "$@" | awk '/Requests\/sec/ {print $2}'; }
rb_rps() { redis-benchmark -p "$RESP_PORT" -c "$CONNS" -n "$N" -t "$1" -d 16 --csv 2>/dev/null |
    awk -F'"' 'NR==2 {print $4}'; }

HTTP_GET=$(wrk_rps "http://127.0.0.1:$HTTP_PORT/api/v1/keys/key:__rand_int__")
HTTP_PUT=$(wrk_rps -s "$TMP/put.lua" "http://127.0.0.1:$HTTP_PORT/api/v1/keys/key:__rand_int__")
RESP_GET=$(rb_rps get)
RESP_SET=$(rb_rps set)

printf '%-28s %14s\n' "operation ($CONNS conns)" "requests/s"
printf '%-28s %14.0f\n' "HTTP GET /api/v1/keys/k" "$HTTP_GET"
printf '%-28s %14.0f\n' "RESP GET (redis-benchmark)" "$RESP_GET"
printf '%-28s %14.0f\n' "HTTP PUT /api/v1/keys/k" "$HTTP_PUT"
printf '%-28s %14.0f\n' "RESP SET (redis-benchmark)" "$RESP_SET"
awk -v a="$HTTP_GET" -v b="$RESP_GET" 'BEGIN { printf "ratio GET HTTP/RESP: %.2f\n", a / b }'
awk -v a="$HTTP_PUT" -v b="$RESP_SET" 'BEGIN { printf "ratio PUT-vs-SET HTTP/RESP: %.2f\n", a / b }'
