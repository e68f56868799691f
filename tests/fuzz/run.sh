#!/usr/bin/env bash
# Builds the HTTP request-path fuzz target with clang's libFuzzer (+ASan/UBSan) and runs it for a
# bounded time. Usage: tests/fuzz/run.sh [SECONDS] [OUT_DIR]   (default 20 s, a temp dir).
# Prints "fuzz: N runs, no crash" and exits 0, or exits non-zero with the crash input saved.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SECS="${1:-20}"
OUT="${2:-$(mktemp -d /tmp/vole-fuzz.XXXXXX)}"
mkdir -p "$OUT/corpus"
cp "$ROOT"/tests/fuzz/corpus/* "$OUT/corpus/" 2>/dev/null || true
CC="${CLANG:-clang}"
SRC=("$ROOT/tests/fuzz/fuzz_http.c" "$ROOT"/frontend-http/http_api.c "$ROOT"/frontend-http/http_parse.c
     "$ROOT"/frontend-http/resp3.c "$ROOT"/frontend-http/json_out.c "$ROOT"/frontend-http/metrics.c
     "$ROOT"/shared/buf.c "$ROOT"/shared/util.c)
"$CC" -g -O1 -D_GNU_SOURCE -I"$ROOT" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    "${SRC[@]}" -o "$OUT/fuzz_http" -lhttp_parser -ljansson -lm
cd "$OUT"
if ./fuzz_http -max_total_time="$SECS" -max_len=4096 -timeout=10 -rss_limit_mb=1024 \
    -artifact_prefix="$OUT/" corpus >"$OUT/fuzz.log" 2>&1; then
    runs=$(grep -oE 'Done [0-9]+ runs' "$OUT/fuzz.log" | grep -oE '[0-9]+' || echo "?")
    echo "fuzz: $runs runs in ${SECS}s, no crash"
    [ -z "${2:-}" ] && rm -rf "$OUT"
    exit 0
fi
tail -40 "$OUT/fuzz.log"
echo "fuzz: crash; inputs and log in $OUT" >&2
exit 1
