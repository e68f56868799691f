#!/usr/bin/python3
# The JSON benchmark behind json.sh: a 1 KB document written and read with JSON.SET/JSON.GET
# and the same bytes with SET/GET, on one Vole server; rounds interleave the four tests and the
# medians and their ratios are printed, then the memory of DOCS documents stored both ways.
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib import vole_proc  # noqa: E402

N = int(os.environ.get("N", "100000"))
ROUNDS = int(os.environ.get("R", "3"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "50"))
PIPELINES = [int(p) for p in os.environ.get("BENCH_PIPELINES", "1,16").split(",")]
DOCS = int(os.environ.get("DOCS", "10000"))


def document():
    """A realistic 1 KB document: nested objects, an array of objects, numbers, strings."""
    d = {"id": 123456, "name": "Alice Example", "email": "alice@example.com", "active": True,
         "score": 97.25, "tags": ["admin", "beta", "eu-west"],
         "address": {"street": "1 Main Street", "city": "Springfield", "zip": "12345",
                     "geo": {"lat": 48.8566, "lon": 2.3522}},
         "orders": [{"id": 1000 + i, "total": 19.99 + i, "items": i + 1, "status": "shipped"}
                    for i in range(6)],
         "notes": ""}
    text = json.dumps(d, separators=(",", ":"))
    d["notes"] = "x" * (1024 - len(text))
    text = json.dumps(d, separators=(",", ":"))
    assert len(text) == 1024, len(text)
    return text


def bench(srv, pipeline, args):
    cmd = ["redis-benchmark", "-h", srv.host, "-p", str(srv.port), "-q", "-c", str(CLIENTS),
           "-n", str(N), "-P", str(pipeline)] + args
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=1800)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:12])} failed: {p.stderr.strip()}")
    # -q prints "<command>: <rps> requests per second, ..." (the command holds the JSON
    # text, so --csv cannot be parsed reliably)
    found = re.findall(r"([0-9.]+) requests per second", p.stdout)
    if found:
        return float(found[-1])
    raise RuntimeError(f"no result: {p.stdout!r} {p.stderr!r}")


def used_memory(r):
    return int(r.info("memory")["used_memory"])


def main():
    text = document()
    srv = vole_proc.start_vole()
    try:
        r = srv.client()
        r.execute_command("JSON.SET", "jdoc", "$", text)
        r.set("sdoc", text)
        assert json.loads(r.execute_command("JSON.GET", "jdoc")) == json.loads(text)
        tests = [("SET", ["SET", "sdoc", text]), ("GET", ["GET", "sdoc"]),
                 ("JSON.SET", ["JSON.SET", "jdoc", "$", text]),
                 ("JSON.GET", ["JSON.GET", "jdoc"]),
                 ("JSON.GET $.address.city", ["JSON.GET", "jdoc", "$.address.city"]),
                 ("JSON.NUMINCRBY $.score", ["JSON.NUMINCRBY", "jdoc", "$.score", "1"])]
        print(f"# 1 KB document, redis-benchmark -c {CLIENTS} -n {N}, rounds {ROUNDS}, "
              f"medians in requests/s")
        res = {}
        for _ in range(ROUNDS):
            for p in PIPELINES:
                for name, args in tests:
                    res.setdefault((name, p), []).append(bench(srv, p, args))
        med = {k: statistics.median(v) for k, v in res.items()}
        print(f"{'test':<26}{'P':>4}{'rps':>12}{'ratio':>18}")
        for p in PIPELINES:
            for name, _ in tests:
                base = "SET" if "SET" in name or "INCR" in name else "GET"
                ratio = med[(name, p)] / med[(base, p)]
                note = "" if name in ("SET", "GET") else f"{ratio:.2f}x {base}"
                print(f"{name:<26}{p:>4}{med[(name, p)]:>12.0f}{note:>18}")

        # memory: DOCS documents as trees vs as strings
        r.flushall()
        base = used_memory(r)
        pipe = r.pipeline(transaction=False)
        for i in range(DOCS):
            pipe.execute_command("JSON.SET", f"j:{i}", "$", text)
            if i % 1000 == 999:
                pipe.execute()
        pipe.execute()
        json_bytes = used_memory(r) - base
        usage = r.execute_command("MEMORY", "USAGE", "j:0")
        r.flushall()
        base = used_memory(r)
        for i in range(DOCS):
            pipe.set(f"s:{i}", text)
            if i % 1000 == 999:
                pipe.execute()
        pipe.execute()
        str_bytes = used_memory(r) - base
        print(f"memory per document: tree {json_bytes / DOCS:.0f} B, string {str_bytes / DOCS:.0f} B"
              f" ({json_bytes / str_bytes:.2f}x); MEMORY USAGE of one tree: {usage} B")
        r.close()
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
