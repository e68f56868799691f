#!/usr/bin/python3
# Throughput of Vole against redis-server on the same machine with redis-benchmark: rounds
# interleaved redis, vole, redis, vole..., then medians and the median of per-round ratios.
# Settings come from the environment (see vs-redis.sh).
import csv
import io
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib import vole_proc  # noqa: E402
import fanout  # noqa: E402

TESTS = os.environ.get("BENCH_TESTS", "set,get,incr,mset,ping_mbulk,lpush,rpop,sadd,hset,spop,"
                       "zadd,lrange_100,lrange_600,xadd")
# LRANGE replies are hundreds of times larger than the others: they get their own
# redis-benchmark run with fewer requests so a round stays short.
HEAVY = {"lrange_100", "lrange_300", "lrange_500", "lrange_600"}
# Tests redis-benchmark 7.0 has no -t name for: run as custom commands, one invocation each.
CUSTOM = {"xadd": ["XADD", "mystream", "*", "field", "value"]}
FANOUT_SUBS = int(os.environ.get("FANOUT_SUBS", "50"))
FANOUT_MSGS = int(os.environ.get("FANOUT_MSGS", "200000"))  # 0 skips the fan-out rows
FANOUT_MAX_SECS = float(os.environ.get("FANOUT_MAX_SECS", "10"))
HEAVY_DIVISOR = int(os.environ.get("BENCH_HEAVY_DIVISOR", "20"))
ROUNDS = int(os.environ.get("R", "3"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "50"))
PIPELINES = [int(p) for p in os.environ.get("BENCH_PIPELINES", "1,16").split(",")]
N_FOR = {1: int(os.environ.get("N_P1", os.environ.get("N", "100000"))),
         16: int(os.environ.get("N_P16", os.environ.get("N", "1000000")))}
# Both servers run without persistence unless told otherwise (tests/bench/persist.sh compares
# them with the same appendfsync).
VOLE_ARGS = shlex.split(os.environ.get("VOLE_ARGS", "--appendonly no"))
REDIS_ARGS = shlex.split(os.environ.get("REDIS_ARGS", ""))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run_benchmark(srv, pipeline, n):
    """redis-benchmark runs of every test (heavy ones with fewer requests); returns
    {test name: rps}."""
    tests = [t.strip() for t in TESTS.split(",") if t.strip()]
    light = [t for t in tests if t.lower() not in HEAVY and t.lower() not in CUSTOM]
    heavy = [t for t in tests if t.lower() in HEAVY]
    out = {}
    if light:
        out.update(run_tests(srv, pipeline, n, ["-t", ",".join(light)]))
    if heavy:
        out.update(run_tests(srv, pipeline, max(10000, n // HEAVY_DIVISOR),
                             ["-t", ",".join(heavy)]))
    for t in tests:
        if t.lower() in CUSTOM:
            res = run_tests(srv, pipeline, n, CUSTOM[t.lower()])
            out[t.upper()] = next(iter(res.values()))
    return out


def run_tests(srv, pipeline, n, what):
    """One redis-benchmark run; what is ["-t", tests] or a custom command line."""
    cmd = ["redis-benchmark", "-h", srv.host, "-p", str(srv.port), "-q", "-c", str(CLIENTS),
           "-n", str(n), "-P", str(pipeline), "--csv"] + what
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=1800)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    out = {}
    for row in csv.reader(io.StringIO(p.stdout)):
        if len(row) >= 2 and row[0] != "test":
            out[row[0]] = float(row[1])
    if not out:
        raise RuntimeError(f"no results from redis-benchmark: {p.stdout!r} {p.stderr!r}")
    return out


def main():
    print(f"# CPU: {cpu_model()}  nproc: {os.cpu_count()}  kernel: {platform.release()}")
    rv = subprocess.run(["redis-server", "--version"], stdout=subprocess.PIPE, text=True)
    print(f"# {rv.stdout.strip()}")
    print(f"# redis-benchmark -c {CLIENTS} -t {TESTS}; rounds {ROUNDS}; "
          + ", ".join(f"P={p}: n={N_FOR.get(p, N_FOR[1])}" for p in PIPELINES))
    if FANOUT_MSGS > 0:
        print(f"# fanout: {FANOUT_SUBS} subscribers, {FANOUT_MSGS} PUBLISH of 16 bytes, "
              f"rate = deliveries/s (a run is cut at {FANOUT_MAX_SECS:g}s); P=1 in its row")
    print(f"# vole: {vole_proc.vole_binary()} {' '.join(VOLE_ARGS)}")
    print(f"# redis-server {' '.join(REDIS_ARGS)}")
    sys.stdout.flush()

    redis = vole_proc.start_redis(extra_args=REDIS_ARGS)
    try:
        vole = vole_proc.start_vole(extra_args=VOLE_ARGS)
    except Exception:
        redis.stop()
        raise
    servers = [("redis", redis), ("vole", vole)]
    # results[(test, P)][name] = [rps per round]
    results = {}
    order = []
    t0 = time.monotonic()
    try:
        for rnd in range(1, ROUNDS + 1):
            for pipeline in PIPELINES:
                n = N_FOR.get(pipeline, N_FOR[1])
                for name, srv in servers:
                    srv_t = time.monotonic()
                    res = run_benchmark(srv, pipeline, n)
                    for test, rps in res.items():
                        key = (test, pipeline)
                        if key not in results:
                            results[key] = {"redis": [], "vole": []}
                            order.append(key)
                        results[key][name].append(rps)
                    summary = " ".join(f"{t}={r:.0f}" for t, r in res.items())
                    print(f"round {rnd}/{ROUNDS} P={pipeline} {name:5s} "
                          f"({time.monotonic() - srv_t:.1f}s): {summary}", file=sys.stderr)
                    sys.stderr.flush()
                    if not srv.alive():
                        raise RuntimeError(f"{name} died during the benchmark\n{srv.log_tail()}")
        fanout_name = f"PUBLISH fanout ({FANOUT_SUBS} subs)"
        for rnd in range(1, ROUNDS + 1) if FANOUT_MSGS > 0 else ():
            for name, srv in servers:
                rate, secs, capped = fanout.run(srv.host, srv.port, FANOUT_SUBS, FANOUT_MSGS,
                                                max_secs=FANOUT_MAX_SECS)
                key = (fanout_name, 1)
                if key not in results:
                    results[key] = {"redis": [], "vole": []}
                    order.append(key)
                results[key][name].append(rate)
                print(f"round {rnd}/{ROUNDS} fanout {name:5s} ({secs:.1f}s"
                      f"{', capped: rated on what was delivered' if capped else ''}): "
                      f"{rate:.0f} deliveries/s", file=sys.stderr)
                sys.stderr.flush()
                if not srv.alive():
                    raise RuntimeError(f"{name} died during the benchmark\n{srv.log_tail()}")
    finally:
        redis.stop()
        vole.stop()

    print(f"# total {time.monotonic() - t0:.0f}s")
    hdr = f"{'test':<26} {'P':>3} {'redis rps':>12} {'vole rps':>12} {'vole/redis':>10}"
    print(hdr)
    print("-" * len(hdr))
    for key in sorted(order, key=lambda k: (k[1], order.index(k))):
        test, pipeline = key
        r, v = results[key]["redis"], results[key]["vole"]
        ratios = [b / a for a, b in zip(r, v) if a > 0]
        ratio = statistics.median(ratios) if ratios else float("nan")
        print(f"{test:<26} {pipeline:>3} {statistics.median(r):>12.0f} "
              f"{statistics.median(v) if v else float('nan'):>12.0f} {ratio:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
