# DELMATCH pattern [COUNT n]: deletes the keys of the current database matching a glob, in
# steps (the first in the command, the rest in the engine's timer), raising "del" events;
# a large run never keeps other clients waiting. DEL takes literal names (no patterns).
import sys
import threading
import time
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.vole_proc import start_vole, wait_until  # noqa: E402


@pytest.fixture(scope="module")
def vole():
    v = start_vole()
    yield v
    assert v.stop() == 0, v.log_tail()


@pytest.fixture
def r(vole):
    c = vole.client()
    c.flushall()
    yield c
    c.close()


def test_small_in_one_step(r):
    r.mset({"temp:1": 1, "temp:2": 2, "temp:a:b": 3, "tempx": 4, "keep": 5})
    assert r.delete("temp:*") == 0  # DEL is literal
    assert r.execute_command("DELMATCH", "temp:*") == 3
    assert sorted(r.keys("*")) == [b"keep", b"tempx"]
    assert r.execute_command("DELMATCH", "nothing:*") == 0
    assert r.execute_command("DELMATCH", "t[e]mp?") == 1
    assert r.keys("*") == [b"keep"]


def test_other_database_untouched(r, vole):
    c = vole.client(db=2)
    c.set("temp:x", 1)
    r.set("temp:x", 1)
    assert r.execute_command("DELMATCH", "temp:*") == 1
    assert c.get("temp:x") == b"1"
    c.flushdb()
    c.close()


def test_errors(r):
    for args, msg in [((), "wrong number"), (("p", "COUNT", "0"), "COUNT must be"),
                      (("p", "COUNT", "x"), "COUNT must be"), (("p", "LIMIT", "5"), "syntax"),
                      (("p", "COUNT"), "syntax")]:
        with pytest.raises(redis.ResponseError, match=msg):
            r.execute_command("DELMATCH", *args)


def test_incremental_with_events(r, vole):
    ps_conn = vole.client()
    ps_conn.config_set("notify-keyspace-events", "Eg")
    p = ps_conn.pubsub()
    p.subscribe("__keyevent@0__:del")
    p.get_message(timeout=1)
    r.mset({f"big:{i}": i for i in range(5000)})
    r.set("other", 1)
    first = r.execute_command("DELMATCH", "big:*", "COUNT", "100")
    assert 0 < first < 5000  # one step now, the rest in the background
    assert wait_until(lambda: r.dbsize() == 1, 10)
    assert r.get("other") == b"1"
    got = set()
    deadline = time.time() + 5
    while len(got) < 5000 and time.time() < deadline:
        m = p.get_message(timeout=0.5)
        if m and m["type"] == "message":
            got.add(m["data"])
    assert len(got) == 5000
    p.close()
    ps_conn.config_set("notify-keyspace-events", "")
    ps_conn.close()


def test_large_does_not_stall(r, vole):
    n = 200000
    pipe = r.pipeline(transaction=False)
    for i in range(0, n, 1000):
        pipe.mset({f"m:{j}": "x" for j in range(i, i + 1000)})
    pipe.execute()
    assert r.dbsize() == n
    worst = [0.0]
    stop = threading.Event()

    def pinger():
        c = vole.client()
        c.ping()  # connected before timing
        started.set()
        while not stop.is_set():
            t = time.perf_counter()
            c.ping()
            worst[0] = max(worst[0], time.perf_counter() - t)
        c.close()

    started = threading.Event()
    th = threading.Thread(target=pinger)
    th.start()
    started.wait(5)
    t = time.perf_counter()
    r.execute_command("DELMATCH", "m:*")
    took = time.perf_counter() - t
    ok = wait_until(lambda: r.dbsize() == 0, 60)
    total = time.perf_counter() - t
    stop.set()
    th.join()
    assert ok, r.dbsize()
    print(f"DELMATCH of {n} keys: first step {took * 1000:.1f} ms, all gone in {total:.2f} s, "
          f"worst PING meanwhile {worst[0] * 1000:.1f} ms")
    assert took < 0.2
    # slices of ~1 ms between batches; the bound is generous for a busy shared machine and
    # still far below what deleting everything at once would cost under the pinger
    assert worst[0] < 0.5
