#!/usr/bin/env bash
# Runs every test suite against a build: unit tests (ctest), the differential scripts against
# redis-server, then the end-to-end and integration pytest suites. Prints one total line
# "N passed, M failed, K skipped" and exits non-zero if any part failed. Skipped are checks that
# wait for commands of a later milestone (diff script lines, pytest tests, ctest tests).
# Usage: tests/run-all.sh [BUILD_DIR]   (default: build)
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-build}"
case "$BUILD" in /*) ;; *) BUILD="$(pwd)/$BUILD" ;; esac
PY=/usr/bin/python3

if [ ! -x "$BUILD/vole" ]; then
    echo "run-all: $BUILD/vole not found; build first (make build)" >&2
    exit 2
fi

# Every server the suites start inherits this marker, so whatever is left behind by a crash or
# an interrupt can be found and stopped, and nothing else is touched.
export VOLE_TEST_RUN_ID="run-all-$$-$RANDOM$RANDOM"
export VOLE_BUILD="$BUILD"
export PYTHONDONTWRITEBYTECODE=1
unset VOLE_TESTS_AGAINST_REDIS

LOGDIR="$(mktemp -d /tmp/vole-run-all.XXXXXX)"
# servers' data dirs and logs go under LOGDIR too, so an interrupted run leaves nothing behind
export TMPDIR="$LOGDIR/tmp"
mkdir -p "$TMPDIR"

cleanup() {
    local env pid vars
    for env in /proc/[0-9]*/environ; do
        pid="${env#/proc/}"
        pid="${pid%/environ}"
        [ "$pid" = "$$" ] && continue
        # read with a builtin: a helper process would itself carry the marker
        { mapfile -d "" vars < "$env"; } 2>/dev/null || continue
        case " ${vars[*]} " in
        *" VOLE_TEST_RUN_ID=$VOLE_TEST_RUN_ID "*) kill -KILL "$pid" 2>/dev/null ;;
        esac
    done
    rm -rf "$LOGDIR"
}
trap cleanup EXIT
trap 'echo "run-all: interrupted"; exit 130' INT TERM

TOTAL_PASS=0
TOTAL_FAIL=0
TOTAL_SKIP=0
FAILED_PARTS=()

# add NAME PASSED FAILED SKIPPED RC: adds a part's counts; a part that failed without reporting
# a failure (crash, timeout, no summary) counts as one failure.
add() {
    local name=$1 p=${2:-0} f=${3:-0} s=${4:-0} rc=$5
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    TOTAL_PASS=$((TOTAL_PASS + p))
    TOTAL_FAIL=$((TOTAL_FAIL + f))
    TOTAL_SKIP=$((TOTAL_SKIP + s))
    [ "$rc" -ne 0 ] && FAILED_PARTS+=("$name")
    printf '== %s: %d passed, %d failed, %d skipped (exit %d)\n\n' "$name" "$p" "$f" "$s" "$rc"
}

START=$(date +%s)

# ---- 1. unit tests ----
echo "== unit tests (ctest)"
(cd "$BUILD" && timeout --foreground -k 10 600 ctest --output-on-failure --timeout 300) 2>&1 |
    tee "$LOGDIR/ctest.log"
rc=${PIPESTATUS[0]}
line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$LOGDIR/ctest.log" |
    tail -1)
if [ -n "$line" ]; then
    f=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    t=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
    # ctest counts a skipped test as passed; list it as skipped instead
    s=$(grep -cE '^[[:space:]]*[0-9]+ - .*\(Skipped\)$' "$LOGDIR/ctest.log")
    add "unit" $((t - f - s)) "$f" "$s" "$rc"
elif grep -q 'No tests were found' "$LOGDIR/ctest.log"; then
    add "unit" 0 0 0 "$rc"
else
    add "unit" 0 0 0 $((rc ? rc : 1))
fi

# ---- 2. differential scripts ----
echo "== differential scripts (tests/diff/run_diff.py)"
timeout --foreground -k 10 900 "$PY" "$ROOT/tests/diff/run_diff.py" 2>&1 | tee "$LOGDIR/diff.log"
rc=${PIPESTATUS[0]}
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$LOGDIR/diff.log" | tail -1)
if [ -n "$line" ]; then
    add "diff" "$(cut -d' ' -f1 <<<"$line")" "$(cut -d' ' -f3 <<<"$line")" \
        "$(cut -d' ' -f5 <<<"$line")" "$rc"
else
    add "diff" 0 0 0 $((rc ? rc : 1))
fi

# ---- 3. end-to-end and integration ----
echo "== e2e + integration (pytest)"
(cd "$ROOT" && timeout --foreground -k 10 900 "$PY" -m pytest -q -rfEs -p no:cacheprovider \
    tests/e2e tests/integration) 2>&1 | tee "$LOGDIR/pytest.log"
rc=${PIPESTATUS[0]}
line=$(grep -E '[0-9]+ (passed|failed|errors?|skipped|xfailed|xpassed|deselected).* in [0-9.]+s' \
    "$LOGDIR/pytest.log" | tail -1)
count() { grep -oE "[0-9]+ $1" <<<"$line" | head -1 | cut -d' ' -f1; }
p=$(count passed); f=$(count failed); e=$(count 'errors?'); s=$(count skipped)
add "pytest" "${p:-0}" $(( ${f:-0} + ${e:-0} )) "${s:-0}" "$rc"

# ---- 4. fuzzing the HTTP request path (libFuzzer, bounded) ----
echo "== fuzz (tests/fuzz/run.sh, HTTP request path)"
if command -v clang >/dev/null; then
    timeout --foreground -k 10 120 bash "$ROOT/tests/fuzz/run.sh" 20 2>&1 | tee "$LOGDIR/fuzz.log"
    rc=${PIPESTATUS[0]}
    if [ "$rc" -eq 0 ]; then add "fuzz" 1 0 0 0; else add "fuzz" 0 1 0 "$rc"; fi
else
    echo "clang not installed (deploy/install-deps.sh --test installs it)"
    add "fuzz" 0 0 1 0
fi

echo "== run-all finished in $(( $(date +%s) - START ))s"
if [ ${#FAILED_PARTS[@]} -gt 0 ]; then
    echo "failed parts: ${FAILED_PARTS[*]}"
fi
echo "$TOTAL_PASS passed, $TOTAL_FAIL failed, $TOTAL_SKIP skipped"
[ "$TOTAL_FAIL" -eq 0 ] && [ ${#FAILED_PARTS[@]} -eq 0 ]
