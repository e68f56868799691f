#!/usr/bin/python3
# HSEARCH over 1 M hashes (tests/bench/hsearch.sh): loads HASHES hashes user:N {name, age
# 0-99, status active|inactive, city c0-c49}, declares a schema (name:string age:int
# status:string city:string) on "user:*" and times: the index build (the cron fills the
# indexes in slices after SCHEMA.SET; INFO keyspace says when they are ready), indexed queries (equality, conjunction, numeric range), and the
# same queries with the pattern "*", which no schema covers, so they scan every key; plus
# HSET on indexed hashes, all against GET on the same server. Query times are measured at
# the client (redis-py parses the reply), so the LIMIT-ed ones show the server's work best.
import os
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib import vole_proc  # noqa: E402
import vs_redis  # noqa: E402
from core_bench import resp, with_vole  # noqa: E402

HASHES = int(os.environ.get("HASHES", "1000000"))
R = int(os.environ.get("R", "3"))


def load(srv, n):
    s = socket.create_connection((srv.host, srv.port))
    f = s.makefile("rb")
    batch = 5000
    for start in range(0, n, batch):
        s.sendall(b"".join(
            resp("HSET", f"user:{i}", "name", f"n{i}", "age", i % 100,
                 "status", "active" if i % 3 else "inactive", "city", f"c{i % 50}")
            for i in range(start, min(n, start + batch))))
        for _ in range(min(n, start + batch) - start):
            line = f.readline()
            assert line.startswith(b":"), line
    s.close()


def timed(r, *args, reps=R):
    """Median seconds of reps runs of one HSEARCH."""
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        r.execute_command("HSEARCH", *args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    print(f"# CPU: {vs_redis.cpu_model()}  nproc: {os.cpu_count()}; {HASHES} hashes; "
          f"median of {R} runs")
    return with_vole(run)


def run(v):
    r = v.client()
    t0 = time.perf_counter()
    load(v, HASHES)
    print(f"load: {HASHES / (time.perf_counter() - t0):.0f} HSET/s (one connection, "
          f"pipelined)")
    mem0 = r.info("memory")["used_memory"]
    get = vs_redis.run_tests(v, 16, 200000, ["-r", "100000", "GET", "user:__rand_int__"])
    get_rps = next(iter(get.values()))
    print(f"GET baseline: {get_rps:.0f} ops/s (redis-benchmark -P 16)")
    r.execute_command("SCHEMA.SET", "user:*", "name:string", "age:int", "status:string",
                      "city:string")
    t0 = time.perf_counter()
    probe = vole_proc.wait_until(
        lambda: r.info("keyspace")["hsearch_index"]["status"] == "ready", 600, interval=0.05)
    build = time.perf_counter() - t0
    assert probe, "the indexes were not filled within 600 s"
    mem1 = r.info("memory")["used_memory"]
    print(f"index build (by the cron, in slices, after SCHEMA.SET): {build:.2f}s, "
          f"{(mem1 - mem0) / HASHES:.0f} bytes/hash for 4 indexed fields")
    queries = [
        ("name = n4242", ["WHERE", "name", "=", "n4242"]),
        ("city = c7 AND age = 7, LIMIT 0 10",
         ["WHERE", "city", "=", "c7", "AND", "age", "=", "7", "LIMIT", "0", "10"]),
        ("age > 98 AND status = inactive, LIMIT 0 10",
         ["WHERE", "age", ">", "98", "AND", "status", "=", "inactive", "LIMIT", "0", "10"]),
        ("age >= 99 OR city = c1, LIMIT 0 10",
         ["WHERE", "age", ">=", "99", "OR", "city", "=", "c1", "LIMIT", "0", "10"]),
    ]
    print(f"{'query':45s} {'matches':>8s} {'indexed ms':>11s} {'scan ms':>9s} {'speed-up':>9s}"
          f"  indexed/s vs GET")
    for name, q in queries:
        count = r.execute_command("HSEARCH", "user:*", *[a for a in q if a not in
                                                          ("LIMIT", "0", "10")], "COUNT")
        ti = timed(r, "user:*", *q)
        ts = timed(r, "*", *q, reps=1)
        print(f"{name:45s} {count:8d} {ti * 1000:11.2f} {ts * 1000:9.1f} {ts / ti:8.0f}x"
              f"  {1 / ti / get_rps:.5f}x")
    set_rps = next(iter(vs_redis.run_tests(v, 16, 200000, ["-r", "100000", "HSET",
                                                           "user:__rand_int__", "age",
                                                           "5"]).values()))
    print(f"HSET on indexed hashes: {set_rps:.0f} ops/s = {set_rps / get_rps:.2f}x GET")


if __name__ == "__main__":
    sys.exit(main())
