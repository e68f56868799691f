#!/usr/bin/python3
# Throughput of Vole's core features against SET/GET on the same server, with
# redis-benchmark (custom commands, random keys from -r), median of interleaved rounds, and
# the median of the per-round ratios. Run through tests/bench/core.sh.
#   TAG / TAGGET / TAGQUERY (one term)      vs SET / GET
#   HSET on a key with a schema (checked and indexed) vs HSET without one
#   SETDELAYED                              vs SET
#   SET with the audit log enabled          vs SET with it disabled
#   SET in a namespace (NAMESPACE USE)      vs SET in database 0 (a pipelined loop in Python,
#                                           as redis-benchmark cannot switch namespaces)
import os
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib import vole_proc  # noqa: E402
import vs_redis  # noqa: E402  (run_tests: one redis-benchmark run)

ROUNDS = int(os.environ.get("R", "3"))
N = int(os.environ.get("N", "200000"))
P = int(os.environ.get("BENCH_PIPELINE", "16"))
KEYS = 100000

# (name, command, baseline name); "r" stands for redis-benchmark's __rand_int__
CASES = [
    ("SET", ["SET", "k:r", "v"], None),
    ("GET", ["GET", "k:r"], None),
    ("TAG", ["TAG", "k:r", "env=prod", "tier=gold"], "SET"),
    ("TAGGET", ["TAGGET", "k:r"], "GET"),
    ("TAGQUERY (1 of 10 values)", ["TAGQUERY", "shard=7", "LIMIT", "10"], "GET"),
    ("HSET no schema", ["HSET", "h:r", "name", "ann", "age", "42"], "SET"),
    ("HSET schema+index", ["HSET", "user:r", "name", "ann", "age", "42"], "SET"),
    ("SETDELAYED", ["SETDELAYED", "d:r", "v", "3600"], "SET"),
]


def bench(srv, cmd):
    args = [a.replace("r", "__rand_int__") if a.endswith(":r") else a for a in cmd]
    res = vs_redis.run_tests(srv, P, N, ["-r", str(KEYS)] + args)
    return next(iter(res.values()))


def resp(*args):
    out = [f"*{len(args)}\r\n".encode()]
    for a in args:
        b = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def pipelined_sets(srv, n, prefix_cmds=()):
    """n SETs on one connection in batches of 1000 (after prefix_cmds); returns ops/s."""
    s = socket.create_connection((srv.host, srv.port))
    f = s.makefile("rb")
    for c in prefix_cmds:
        s.sendall(resp(*c))
        f.readline()
    t0 = time.perf_counter()
    batch = 1000
    for start in range(0, n, batch):
        s.sendall(b"".join(resp("SET", f"ns:{i}", "v") for i in range(start, start + batch)))
        for _ in range(batch):
            f.readline()
    dt = time.perf_counter() - t0
    s.close()
    return n / dt


def with_vole(run):
    """Runs run(server) on a fresh Vole; prints the server's log if it fails; exit code."""
    v = vole_proc.start_vole()
    try:
        run(v)
    except Exception:
        print(v.log_tail(), file=sys.stderr)
        raise
    finally:
        rc = v.stop()
    return 0 if rc == 0 else 1


def main():
    print(f"# CPU: {vs_redis.cpu_model()}  nproc: {os.cpu_count()}")
    print(f"# redis-benchmark -c {vs_redis.CLIENTS} -P {P} -n {N} -r {KEYS}; rounds {ROUNDS}")
    return with_vole(run)


def run(v):
    r = v.client()
    r.execute_command("SCHEMA.SET", "user:*", "name:string", "age:int")
    # tagged keys for TAGQUERY: 10,000 keys over 10 shard values
    pipe = r.pipeline(transaction=False)
    for i in range(10000):
        pipe.set(f"t:{i}", "v")
        pipe.execute_command("TAG", f"t:{i}", f"shard={i % 10}")
    pipe.execute()
    # every key TAG/TAGGET may pick exists (redis-benchmark's __rand_int__ is 12 digits)
    for start in range(0, KEYS, 10000):
        r.mset({f"k:{i:012d}": "v" for i in range(start, start + 10000)})
    r.execute_command("NAMESPACE", "CREATE", "bench")
    rates = {name: [] for name, _, _ in CASES}
    audit = {"SET audit off": [], "SET audit on": []}
    ns = {"SET db0 (1 conn)": [], "SET namespace (1 conn)": []}
    for rnd in range(ROUNDS):
        for name, cmd, _ in CASES:
            rates[name].append(bench(v, cmd))
        audit["SET audit off"].append(bench(v, ["SET", "a:r", "v"]))
        r.execute_command("AUDIT.ENABLE")
        audit["SET audit on"].append(bench(v, ["SET", "a:r", "v"]))
        r.execute_command("AUDIT.DISABLE")
        r.execute_command("AUDIT.CLEAR")
        ns["SET db0 (1 conn)"].append(pipelined_sets(v, 100000))
        ns["SET namespace (1 conn)"].append(
            pipelined_sets(v, 100000, [("NAMESPACE", "USE", "bench")]))
        print(f"round {rnd + 1}/{ROUNDS} done", file=sys.stderr)
    print(f"{'command':28s} {'ops/s':>12s}  ratio")
    for name, _, base in CASES:
        med = statistics.median(rates[name])
        if base:
            ratio = statistics.median(a / b for a, b in zip(rates[name], rates[base]))
            print(f"{name:28s} {med:12.0f}  {ratio:.2f}x {base}")
        else:
            print(f"{name:28s} {med:12.0f}")
    for group, base in ((audit, "SET audit off"), (ns, "SET db0 (1 conn)")):
        for name, vals in group.items():
            ratio = statistics.median(a / b for a, b in zip(vals, group[base]))
            print(f"{name:28s} {statistics.median(vals):12.0f}  {ratio:.2f}x {base}")


if __name__ == "__main__":
    sys.exit(main())
