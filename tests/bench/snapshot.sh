#!/usr/bin/env bash
# Snapshot save/load time and file size for the same data in Vole and Redis: generates a
# RESP command file (tests/bench/snapshot_data.py: KEYS keys of mixed types, some with TTLs),
# pipes it into a fresh redis-server and times SAVE and the RDB load at restart (Redis's own
# "DB loaded from disk" figure); runs `vole bench-snapshot` on the same file, which fills an
# in-process engine and times writing and loading the snapshot. Prints ratios (vole / redis).
# Environment: BUILD, KEYS, R, MIX (see dataset.sh).
NAME=snapbench
source "$(dirname "${BASH_SOURCE[0]}")/dataset.sh"

start_redis() {
    redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" \
        --dbfilename dump.rdb --logfile "$WORK/redis.log" --daemonize no &
    PID=$!
    for _ in $(seq 1 600); do
        if redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG; then return 0; fi
        sleep 0.05
    done
    echo "snapshot bench: redis-server did not start" >&2
    exit 1
}
stop_redis() {
    redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
    wait "$PID" 2>/dev/null || true
    PID=""
}

declare -a r_save r_load v_save v_load
for round in $(seq 1 "$R"); do
    rm -f "$WORK/dump.rdb" "$WORK/redis.log"
    start_redis
    redis-cli -p "$PORT" --pipe < "$WORK/data.resp" >/dev/null
    rkeys=$(redis-cli -p "$PORT" dbsize)
    t0=$(ms); redis-cli -p "$PORT" save >/dev/null; t1=$(ms)
    r_save+=($((t1 - t0)))
    stop_redis
    rsize=$(stat -c %s "$WORK/dump.rdb")
    : > "$WORK/redis.log"
    start_redis
    for _ in $(seq 1 600); do
        grep -q "DB loaded from disk" "$WORK/redis.log" && break
        sleep 0.05
    done
    rload=$(sed -n 's/.*DB loaded from disk: \([0-9.]*\) seconds.*/\1/p' "$WORK/redis.log" | tail -1)
    r_load+=($(awk -v s="$rload" 'BEGIN {printf "%d", s * 1000}'))
    stop_redis

    out=$("$BUILD/vole" bench-snapshot "$WORK/data.resp" "$WORK/vole.snap")
    vkeys=$(sed -n 's/.* keys=\([0-9]*\) .*/\1/p' <<<"$out")
    v_save+=($(sed -n 's/.*save_ms=\([0-9]*\).*/\1/p' <<<"$out"))
    v_load+=($(sed -n 's/.*load_ms=\([0-9]*\).*/\1/p' <<<"$out"))
    vsize=$(sed -n 's/.*file_bytes=\([0-9]*\).*/\1/p' <<<"$out")
    if [ "$vkeys" != "$rkeys" ]; then
        echo "snapshot bench: vole holds $vkeys keys, redis $rkeys: not the same data" >&2
        exit 1
    fi
    echo "round $round: redis keys=$rkeys save=${r_save[-1]}ms load=${r_load[-1]}ms size=$rsize;" \
         "vole keys=$vkeys save=${v_save[-1]}ms load=${v_load[-1]}ms size=$vsize"
done

rs=$(median "${r_save[@]}"); rl=$(median "${r_load[@]}")
vs=$(median "${v_save[@]}"); vl=$(median "${v_load[@]}")
echo
echo "snapshot of $KEYS keys ($MIX), median of $R rounds:"
printf '%-8s %10s %10s %14s\n' "" "save ms" "load ms" "file bytes"
printf '%-8s %10s %10s %14s\n' redis "$rs" "$rl" "$rsize"
printf '%-8s %10s %10s %14s\n' vole "$vs" "$vl" "$vsize"
awk -v vs="$vs" -v rs="$rs" -v vl="$vl" -v rl="$rl" -v vz="$vsize" -v rz="$rsize" 'BEGIN {
    printf "vole/redis: save %.2fx  load %.2fx  size %.2fx  (targets: save < 1.00x, load <= 1.50x)\n",
        vs / (rs ? rs : 1), vl / (rl ? rl : 1), vz / rz }'
