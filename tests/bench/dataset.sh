# Sourced by the benchmarks that load the same data set into Vole and redis-server
# (snapshot.sh, aof_load.sh): settings from the environment, tool checks, a work directory
# removed at exit (with the server whose pid is in PID), median(), and the RESP command file
# $WORK/data.resp made by snapshot_data.py.
# Environment: BUILD (default build), KEYS (default 1000000), R (rounds, default 3; the median
# is reported), MIX (mixed | strings, default mixed). Needs NAME (for messages) set first.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${BUILD:-${VOLE_BUILD:-build}}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
KEYS="${KEYS:-1000000}"
R="${R:-3}"
MIX="${MIX:-mixed}"
for tool in redis-server redis-cli; do
    command -v "$tool" >/dev/null || { echo "$NAME: $tool not found" >&2; exit 2; }
done
[ -x "$BUILD/vole" ] || { echo "$NAME: no $BUILD/vole (build first)" >&2; exit 2; }

WORK="$(mktemp -d "/tmp/vole-$NAME.XXXXXX")"
PID=""
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }

echo "$NAME: generating $KEYS keys ($MIX)..."
/usr/bin/python3 "$ROOT/tests/bench/snapshot_data.py" "$KEYS" "$MIX" > "$WORK/data.resp"
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
