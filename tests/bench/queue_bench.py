#!/usr/bin/python3
# Driver of tests/bench/queue.sh: starts one Vole server, runs the load generator for SET,
# RATELIMIT, ENQUEUE, DEQUEUE + QACK and the ENQUEUE/DEQUEUE/QACK cycle, interleaved round by
# round, and prints medians and the median per-round ratio to SET.
import os
import shlex
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib import vole_proc  # noqa: E402

ROUNDS = int(os.environ.get("R", "3"))
SECS = float(os.environ.get("SECS", "3"))
CONNS = int(os.environ.get("CONNS", "50"))
PIPELINE = int(os.environ.get("P", "16"))
VOLE_ARGS = shlex.split(os.environ.get("VOLE_ARGS", ""))
GEN = os.environ["QUEUE_BENCH_GEN"]
TARGET = 0.7
# dequeue-ack drains what the enqueue run of the same round left, so it comes right after it
MODES = ["set", "ratelimit", "enqueue", "dequeue-ack", "cycle"]
LABELS = {"set": "SET", "ratelimit": "RATELIMIT", "enqueue": "ENQUEUE",
          "dequeue-ack": "DEQUEUE+QACK", "cycle": "ENQUEUE/DEQUEUE/QACK"}


def run(srv, mode):
    out = subprocess.run([GEN, srv.host, str(srv.port), mode, str(CONNS), str(PIPELINE),
                          str(SECS)], check=True, capture_output=True, text=True).stdout
    return float(out.split()[0])


def main():
    srv = vole_proc.start_vole(extra_args=VOLE_ARGS)
    cli = srv.client()
    try:
        rps = {m: [] for m in MODES}
        for rnd in range(ROUNDS):
            cli.flushall()
            for m in MODES:
                rps[m].append(run(srv, m))
            print(f"round {rnd + 1}: " +
                  ", ".join(f"{LABELS[m]} {rps[m][-1]:,.0f}" for m in MODES), flush=True)
        left = cli.execute_command("QLEN", "bench:queue")
        print(f"\n{CONNS} connections, pipeline {PIPELINE}, {SECS:g} s runs, {ROUNDS} rounds "
              f"(commands per second; ratio = median of per-round ratios to SET)")
        print(f"{'command':<24}{'median ops/s':>14}{'ratio':>8}  target >= {TARGET}")
        failed = []
        for m in MODES:
            med = statistics.median(rps[m])
            ratio = statistics.median(a / b for a, b in zip(rps[m], rps["set"]))
            mark = "" if m == "set" else ("ok" if ratio >= TARGET else "BELOW")
            if mark == "BELOW":
                failed.append(LABELS[m])
            print(f"{LABELS[m]:<24}{med:>14,.0f}{ratio:>8.2f}  {mark}")
        print(f"(messages left in bench:queue after the last round: {left})")
        if failed:
            print("below target: " + ", ".join(failed))
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
