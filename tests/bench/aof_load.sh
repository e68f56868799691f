#!/usr/bin/env bash
# AOF replay at start-up, Vole against redis-server on the same data and disk: both run with
# appendonly yes (appendfsync no, no automatic rewrites, so the whole data set is in the
# append-only records and nothing in a base), take the same RESP command file
# (tests/bench/snapshot_data.py: KEYS keys of mixed types, some with TTLs), shut down and
# start again. Compares the load time each server logs (Redis: "DB loaded from append only
# file", Vole: "data loaded ... in N ms") and the time from starting the process until it
# answers a read, and the size of the files. Prints ratios (vole / redis).
# Environment: BUILD, KEYS, R, MIX (see dataset.sh).
NAME=aofbench
source "$(dirname "${BASH_SOURCE[0]}")/dataset.sh"

# Polls until a read is answered (not -LOADING, not refused); prints the ms it took.
wait_serving() {
    local t0=$1
    for _ in $(seq 1 12000); do
        if redis-cli -p "$PORT" dbsize 2>/dev/null | grep -qE '^[0-9]+$'; then
            echo $(( $(ms) - t0 )); return 0
        fi
        sleep 0.01
    done
    echo "aof bench: the server did not start serving" >&2
    exit 1
}
start() { # start redis|vole DIR LOGFILE
    if [ "$1" = redis ]; then
        redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly yes \
            --appendfsync no --auto-aof-rewrite-percentage 0 --dir "$2" \
            --logfile "$3" --daemonize no &
    else
        "$BUILD/vole" --port "$PORT" --dir "$2" --appendonly yes --appendfsync no \
            --auto-aof-rewrite-percentage 0 --save "" --roles engine,frontend-resp,persister \
            > "$3" 2>&1 &
    fi
    PID=$!
}
stop() {
    redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
    wait "$PID" 2>/dev/null || true
    PID=""
}
dir_bytes() { du -sb "$1" | cut -f1; }

declare -a r_load v_load r_serve v_serve
for round in $(seq 1 "$R"); do
    line="round $round:"
    for srv in redis vole; do
        d="$WORK/$srv"
        rm -rf "$d" && mkdir -p "$d"
        start "$srv" "$d" "$WORK/$srv.log"
        wait_serving "$(ms)" >/dev/null
        redis-cli -p "$PORT" --pipe < "$WORK/data.resp" >/dev/null
        keys=$(redis-cli -p "$PORT" dbsize)
        stop
        size=$(dir_bytes "$d")
        : > "$WORK/$srv.log"
        t0=$(ms)
        start "$srv" "$d" "$WORK/$srv.log"
        serve=$(wait_serving "$t0")
        after=$(redis-cli -p "$PORT" dbsize)
        if [ "$srv" = redis ]; then
            l=$(sed -n 's/.*DB loaded from append only file: \([0-9.]*\) seconds.*/\1/p' \
                "$WORK/$srv.log" | tail -1)
            load=$(awk -v s="$l" 'BEGIN {printf "%d", s * 1000}')
            r_load+=("$load"); r_serve+=("$serve"); rsize=$size; rkeys=$after
        else
            load=$(sed -n 's/.*data loaded: .* in \([0-9]*\) ms.*/\1/p' "$WORK/$srv.log" | tail -1)
            v_load+=("$load"); v_serve+=("$serve"); vsize=$size; vkeys=$after
        fi
        stop
        if [ "$after" != "$keys" ]; then
            echo "aof bench: $srv had $keys keys before the restart and $after after" >&2
            exit 1
        fi
        line="$line $srv keys=$after load=${load}ms serving=${serve}ms files=$size;"
    done
    if [ "$vkeys" != "$rkeys" ]; then
        echo "aof bench: vole holds $vkeys keys, redis $rkeys: not the same data" >&2
        exit 1
    fi
    echo "$line"
done

rl=$(median "${r_load[@]}"); vl=$(median "${v_load[@]}")
rs=$(median "${r_serve[@]}"); vs=$(median "${v_serve[@]}")
echo
echo "AOF replay of $KEYS keys ($MIX), median of $R rounds:"
printf '%-8s %10s %12s %14s\n' "" "load ms" "serving ms" "file bytes"
printf '%-8s %10s %12s %14s\n' redis "$rl" "$rs" "$rsize"
printf '%-8s %10s %12s %14s\n' vole "$vl" "$vs" "$vsize"
awk -v vl="$vl" -v rl="$rl" -v vs="$vs" -v rs="$rs" -v vz="$vsize" -v rz="$rsize" 'BEGIN {
    printf "vole/redis: load %.2fx  until serving %.2fx  files %.2fx\n",
        vl / (rl ? rl : 1), vs / (rs ? rs : 1), vz / rz }'
