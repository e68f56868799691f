# The scheduler can never slow or stop the engine, and loses no webhook deliveries:
#   - SET latency with webhooks to an endpoint that never answers and to one that answers 500
#     (retries with backoff) compared with no webhooks: the ratio is printed and bounded;
#   - the scheduler's queue stays bounded (the rest waits in the engine's outbox);
#   - SIGKILL of the scheduler while events flow: the supervisor restarts it and every event
#     reaches the endpoint at least once; cron jobs go on after the restart.
import os
import signal
import statistics
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.vole_proc import free_port, start_vole, wait_until  # noqa: E402
from lib.webhook_receiver import Receiver  # noqa: E402

ROLES = ("--roles", "engine,frontend-resp,scheduler")


@pytest.fixture
def recv():
    r = Receiver()
    yield r
    r.stop()


def stats(c):
    s = c.execute_command("WEBHOOK", "STATS")
    return {k.decode(): (int(v) if isinstance(v, int) or v.isdigit() else v)
            for k, v in zip(s[::2], s[1::2])}


def set_loop(c, n, prefix):
    lat = []
    for i in range(n):
        t = time.perf_counter()
        c.set(f"{prefix}{i}", "v")
        lat.append(time.perf_counter() - t)
    return statistics.median(lat), sorted(lat)[int(n * 0.99)]


def test_bad_endpoints_do_not_slow_set(recv):
    v = start_vole(extra_args=(*ROLES, "--webhook-timeout-ms", "10000", "--webhook-retries", "5",
                               "--webhook-retry-base-ms", "100", "--webhook-queue-max", "500"))
    try:
        c = v.client()
        n = 3000
        base, hooked = [], []
        for rnd in range(2):
            base.append(set_loop(c, n, f"b{rnd}:"))
            c.execute_command("WEBHOOK", "REGISTER", "h*", "set", recv.url("/hang"))
            c.execute_command("WEBHOOK", "REGISTER", "h*", "set", recv.url("/fail"))
            hooked.append(set_loop(c, n, f"h{rnd}:"))
            c.execute_command("WEBHOOK", "UNREGISTER", "h*", "set", recv.url("/hang"))
            c.execute_command("WEBHOOK", "UNREGISTER", "h*", "set", recv.url("/fail"))
        b50, b99 = min(m for m, _ in base), min(p for _, p in base)
        h50, h99 = min(m for m, _ in hooked), min(p for _, p in hooked)
        st = wait_until(lambda: (lambda s: s if s.get("webhook_queued", 0) > 0 else None)(stats(c)), 5)
        print(f"\nSET latency, no webhooks: median {b50 * 1e6:.0f} us, p99 {b99 * 1e6:.0f} us; "
              f"with a hanging and a failing endpoint: median {h50 * 1e6:.0f} us, "
              f"p99 {h99 * 1e6:.0f} us; median ratio {h50 / b50:.2f}, p99 ratio {h99 / b99:.2f}")
        print(f"scheduler queue {st['webhook_queued']} (max {st['webhook_queue_max']}), "
              f"in flight {st['webhook_inflight']}, engine outbox {st['outbox_records']} records, "
              f"refused (left in the outbox) {st['webhook_refused']}")
        assert h50 / b50 < 2.0, (b50, h50)
        # 12,000 matching events: the scheduler holds at most webhook-queue-max of them
        assert st["webhook_queued"] <= 500
        assert st["outbox_records"] > 500
        assert st["webhook_inflight"] <= 64
        assert c.ping()
    finally:
        assert v.stop() == 0, v.log_tail()


def test_sigkill_scheduler_under_load_loses_nothing(recv):
    v = start_vole(extra_args=(*ROLES, "--cron-time-scale", "60", "--watchdog-ms", "2000"))
    try:
        c = v.client(decode_responses=True)
        c.execute_command("WEBHOOK", "REGISTER", "load:*", "set", recv.url("/ok-load"))
        c.execute_command("CRON.ADD", "tick", "* * * * *", "INCR", "ticks")
        old = wait_until(lambda: v.child_pid("scheduler"), 5)
        n = 3000
        killed = threading.Event()

        def writer():
            w = v.client()
            for i in range(n):
                w.set(f"load:{i}", i)
                if i == n // 3:
                    killed.wait(5)
            w.close()

        th = threading.Thread(target=writer)
        th.start()
        assert wait_until(lambda: len(recv.got("/ok-load")) > 0 or None, 10)
        os.kill(old, signal.SIGKILL)
        killed.set()
        th.join(60)
        new = wait_until(lambda: (lambda p: p if p and p != old else None)(v.child_pid("scheduler")), 10)
        assert new, v.log_tail()
        want = {f"load:{i}" for i in range(n)}
        ok = wait_until(lambda: want <= set(recv.keys("/ok-load")), 30)
        keys = recv.keys("/ok-load")
        missing = want - set(keys)
        print(f"\n{n} events, {len(keys)} deliveries ({len(keys) - len(set(keys))} duplicates "
              f"after the SIGKILL), missing {len(missing)}")
        assert ok, sorted(missing)[:20]
        # cron goes on with the new scheduler
        runs = int(dict(zip(*[iter(c.execute_command("CRON.INFO", "tick"))] * 2))["run_count"])
        assert wait_until(lambda: int(dict(zip(*[iter(c.execute_command("CRON.INFO", "tick"))] * 2))
                                      ["run_count"]) > runs, 10)
        assert wait_until(lambda: stats(v.client())["outbox_records"] == 0, 10)
    finally:
        assert v.stop() == 0, v.log_tail()


def test_undelivered_events_survive_sigkill_of_everything(tmp_path):
    """The outbox is persisted like data: events raised (and acknowledged to the writer) while
    the endpoint is down are delivered after the whole server was killed and started again."""
    data = tmp_path / "data"
    port = free_port()
    url = f"http://127.0.0.1:{port}/ok-later"  # nothing listens there yet
    args = ("--dir", str(data), "--appendfsync", "always", "--webhook-retry-base-ms", "100",
            "--webhook-retries", "100")
    v = start_vole(extra_args=args)
    try:
        c = v.client(decode_responses=True)
        c.execute_command("WEBHOOK", "REGISTER", "later:*", "set", url)
        for i in range(25):
            c.set(f"later:{i}", i)
        # the first half travels in a snapshot (a new AOF base), the rest as effects after it
        c.bgrewriteaof()
        assert wait_until(lambda: "new AOF base at effect" in v.log_text(), 20), v.log_tail()
        for i in range(25, 50):
            c.set(f"later:{i}", i)
        assert stats(v.client())["outbox_records"] == 50
        for pid in list(v.instance_pids()) + [v.pid]:
            os.kill(pid, signal.SIGKILL)
    finally:
        v.stop()
    recv = Receiver(port=port)
    try:
        v = start_vole(extra_args=args)
        try:
            want = {f"later:{i}" for i in range(50)}
            assert wait_until(lambda: want <= set(recv.keys("/ok-later")), 30), \
                (sorted(want - set(recv.keys("/ok-later")))[:10], v.log_tail())
            c = v.client()
            assert wait_until(lambda: stats(c)["outbox_records"] == 0, 10)
        finally:
            assert v.stop() == 0, v.log_tail()
    finally:
        recv.stop()

