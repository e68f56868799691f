#!/usr/bin/python3
# The engine's longest pause during BGSAVE: both servers fork, so the pause is the fork
# (INFO latest_fork_usec), measured with the same keys on both; also the time until the
# background save has finished. Progress lines go to stderr.
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib import vole_proc  # noqa: E402

KEYS = int(os.environ.get("KEYS", "1000000"))
ROUNDS = int(os.environ.get("R", "3"))


def fill(srv):
    print(f"filling {srv.kind} with {KEYS} keys", file=sys.stderr)
    subprocess.run(["redis-benchmark", "-h", srv.host, "-p", str(srv.port), "-q", "-t", "set",
                    "-n", str(KEYS), "-r", str(KEYS * 10), "-P", "64", "-d", "32"],
                   check=True, stdout=subprocess.DEVNULL)


def bgsave(c):
    t0 = time.monotonic()
    c.bgsave()
    while int(c.info("persistence")["rdb_bgsave_in_progress"]):
        time.sleep(0.01)  # progress polling of a running save, not readiness
    secs = time.monotonic() - t0
    info = c.info("persistence")
    assert info["rdb_last_bgsave_status"] == "ok", info
    return int(c.info("stats")["latest_fork_usec"]), secs


def main():
    redis = vole_proc.start_redis()
    vole = vole_proc.start_vole(extra_args=["--appendonly", "no"])
    try:
        for srv in (redis, vole):
            fill(srv)
        rows = {"redis": [], "vole": []}
        for rnd in range(ROUNDS):
            for name, srv in (("redis", redis), ("vole", vole)):
                fork_us, secs = bgsave(srv.client(socket_timeout=60))
                rows[name].append((fork_us, secs))
                print(f"round {rnd + 1}/{ROUNDS} {name}: fork {fork_us} us, save {secs:.2f} s",
                      file=sys.stderr)
        print(f"{'':8s} {'keys':>9s} {'fork pause (us)':>16s} {'bgsave (s)':>11s}")
        for name in ("redis", "vole"):
            fk = sorted(r[0] for r in rows[name])[len(rows[name]) // 2]
            sv = sorted(r[1] for r in rows[name])[len(rows[name]) // 2]
            print(f"{name:8s} {KEYS:9d} {fk:16d} {sv:11.2f}")
        rf = sorted(r[0] for r in rows["redis"])[ROUNDS // 2]
        vf = sorted(r[0] for r in rows["vole"])[ROUNDS // 2]
        print(f"pause ratio vole/redis: {vf / max(rf, 1):.2f} (lower is better)")
    finally:
        vole.stop()
        redis.stop()


if __name__ == "__main__":
    main()
