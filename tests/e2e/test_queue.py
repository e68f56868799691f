# Reliable queues over RESP with redis-py (no oracle: the semantics of issue 7 written as
# tests): FIFO delivery, acknowledgement, visibility timeouts returning messages, MAXRETRIES
# and the dead-letter list, delays, QNACK, QREQUEUE, replies in RESP2 and RESP3, errors,
# keyspace events, COMMAND DOCS rows, and DEQUEUE ... BLOCK: served by another connection's
# ENQUEUE in blocking order, timing out, woken by a delayed message or an expired visibility
# timeout without any other command, and never holding up other clients.
import sys
import threading
import time
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.resp_raw import RawConn  # noqa: E402
from lib.vole_proc import wait_until  # noqa: E402


@pytest.fixture
def r(vole_r):
    return vole_r


def conn(server):
    return server.client()


def q(r, *args):
    return r.execute_command(*args)


def info(r, key):
    flat = q(r, "QINFO", key)
    return {flat[i].decode(): flat[i + 1] for i in range(0, len(flat), 2)}


def blocked_clients(r):
    return r.info("clients")["blocked_clients"]


def test_fifo_ack_and_info(r):
    ids = [q(r, "ENQUEUE", "tasks", f"m{i}") for i in range(5)]
    assert len(set(ids)) == 5
    assert ids == sorted(ids, key=lambda s: tuple(int(x) for x in s.split(b"-")))
    assert r.type("tasks") == b"queue"
    assert q(r, "QLEN", "tasks") == 5
    assert q(r, "QPEEK", "tasks") == [[ids[0], b"m0", 0]]
    assert q(r, "QPEEK", "tasks", "COUNT", 2) == [[ids[0], b"m0", 0], [ids[1], b"m1", 0]]
    got = [q(r, "DEQUEUE", "tasks") for _ in range(5)]
    assert [g[1] for g in got] == [b"m0", b"m1", b"m2", b"m3", b"m4"]
    assert [g[0] for g in got] == ids
    assert q(r, "DEQUEUE", "tasks") is None
    assert info(r, "tasks") == {"pending": 0, "processing": 5, "dead": 0, "delayed": 0}
    assert q(r, "QACK", "tasks", ids[0]) == 1
    assert q(r, "QACK", "tasks", ids[0]) == 0
    assert q(r, "QACK", "tasks", *ids[1:]) == 4
    assert r.exists("tasks") == 0  # the last message gone, the key goes


def test_visibility_timeout_and_dead_letter(r):
    mid = q(r, "ENQUEUE", "jobs", "flaky", "MAXRETRIES", 2)
    m = q(r, "DEQUEUE", "jobs", "TIMEOUT", "0.2")
    assert m == [mid, b"flaky", 0]
    assert q(r, "QACK", "jobs", "0-1") == 0
    # not acknowledged: back in the queue once the visibility timeout passes
    assert wait_until(lambda: q(r, "QLEN", "jobs") == 1, 3)
    m = q(r, "DEQUEUE", "jobs", "TIMEOUT", "0.2")
    assert m == [mid, b"flaky", 1]
    # the second failed delivery of MAXRETRIES 2: dead-lettered, not delivered again
    assert wait_until(lambda: info(r, "jobs")["dead"] == 1, 3)
    assert q(r, "DEQUEUE", "jobs") is None
    assert q(r, "QDEAD", "jobs") == [[mid, b"flaky", 2]]
    assert q(r, "QDEAD", "jobs", "COUNT", 5) == [[mid, b"flaky", 2]]
    assert q(r, "QREQUEUE", "jobs", mid) == 1
    assert q(r, "QREQUEUE", "jobs", mid) == 0
    assert q(r, "DEQUEUE", "jobs") == [mid, b"flaky", 0]
    assert q(r, "QACK", "jobs", mid) == 1


def test_default_maxretries_is_five(r):
    mid = q(r, "ENQUEUE", "d", "x")
    for i in range(5):
        assert q(r, "DEQUEUE", "d", "TIMEOUT", "30") == [mid, b"x", i]
        assert q(r, "QNACK", "d", mid) == 1
    assert info(r, "d") == {"pending": 0, "processing": 0, "dead": 1, "delayed": 0}


def test_delay_and_nack_delay(r):
    later = q(r, "ENQUEUE", "dq", "later", "DELAY", "0.3")
    now = q(r, "ENQUEUE", "dq", "now")
    assert info(r, "dq")["delayed"] == 1
    assert q(r, "DEQUEUE", "dq") == [now, b"now", 0]
    assert q(r, "DEQUEUE", "dq") is None
    assert q(r, "QNACK", "dq", now, "DELAY", "0.3") == 1
    assert q(r, "QNACK", "dq", now) == 0  # no longer being processed
    assert info(r, "dq") == {"pending": 0, "processing": 0, "dead": 0, "delayed": 2}
    # FIFO in the order messages became ready: `later` first, then the nacked one
    assert wait_until(lambda: q(r, "QLEN", "dq") == 2, 3)
    assert q(r, "DEQUEUE", "dq")[0] == later
    assert q(r, "DEQUEUE", "dq") == [now, b"now", 1]


def test_errors(r):
    r.set("s", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        q(r, "ENQUEUE", "s", "b")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        q(r, "DEQUEUE", "s")
    with pytest.raises(redis.ResponseError, match="syntax error"):
        q(r, "ENQUEUE", "e", "b", "BOGUS", "1")
    with pytest.raises(redis.ResponseError, match="MAXRETRIES must be a positive integer"):
        q(r, "ENQUEUE", "e", "b", "MAXRETRIES", "-1")
    with pytest.raises(redis.ResponseError, match="TIMEOUT must be a positive number"):
        q(r, "DEQUEUE", "e", "TIMEOUT", "x")
    with pytest.raises(redis.ResponseError, match="Invalid message ID"):
        q(r, "QACK", "e", "12")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        q(r, "QACK", "e")
    with pytest.raises(redis.ResponseError, match="internal"):
        q(r, "VOLE.QUEUE", "ADD", "e", "1-1", "0", "5", "b")
    assert r.exists("e") == 0
    assert q(r, "QLEN", "nothing") == 0
    assert info(r, "nothing") == {"pending": 0, "processing": 0, "dead": 0, "delayed": 0}
    assert q(r, "QPEEK", "nothing") == []
    assert q(r, "QDEAD", "nothing") == []


def test_binary_bodies_and_keys(r):
    body = bytes(range(256)) * 10
    mid = q(r, "ENQUEUE", b"q\x00\xff", body)
    assert q(r, "DEQUEUE", b"q\x00\xff") == [mid, body, 0]


def test_resp3_qinfo_is_a_map(vole_alone):
    c = RawConn(vole_alone)
    try:
        c.call("FLUSHALL")
        c.call("HELLO", "3")
        c.call("ENQUEUE", "q3", "a")
        assert c.call("QINFO", "q3") == (b"%4\r\n$7\r\npending\r\n:1\r\n$10\r\nprocessing\r\n:0\r\n"
                                         b"$4\r\ndead\r\n:0\r\n$7\r\ndelayed\r\n:0\r\n")
        assert c.call("DEQUEUE", "none") == b"_\r\n"
        assert c.call("DEQUEUE", "q3").startswith(b"*3\r\n$")
    finally:
        c.close()


def keyevents(r, classes, pattern, run):
    """(channel, key) of the keyspace events published while run() ran with the given classes."""
    r.config_set("notify-keyspace-events", classes)
    p = r.pubsub()
    p.psubscribe(pattern)
    p.get_message(timeout=1)
    try:
        run()
        got = []
        while (m := p.get_message(timeout=0.5)) is not None:
            got.append((m["channel"], m["data"]))
        return got
    finally:
        p.close()
        r.config_set("notify-keyspace-events", "")


def test_keyspace_events(vole_alone, r):
    def run():
        mid = q(r, "ENQUEUE", "ev", "x")
        q(r, "DEQUEUE", "ev")
        q(r, "QACK", "ev", mid)

    assert keyevents(r, "KEA", "__keyevent@0__:*", run) == [
        (b"__keyevent@0__:enqueue", b"ev"), (b"__keyevent@0__:dequeue", b"ev"),
        (b"__keyevent@0__:qack", b"ev"), (b"__keyevent@0__:del", b"ev")]


def test_command_docs(vole_alone):
    c = RawConn(vole_alone)
    try:
        for name in ("enqueue", "dequeue", "qack", "qnack", "qpeek", "qlen", "qinfo", "qdead",
                     "qrequeue"):
            docs = c.call("COMMAND", "DOCS", name)
            assert b"queue" in docs and b"summary" in docs, docs
        assert b"TIMEOUT" in c.call("COMMAND", "DOCS", "dequeue")
        assert c.call("COMMAND", "GETKEYS", "ENQUEUE", "k", "b") == b"*1\r\n$1\r\nk\r\n"
    finally:
        c.close()


# ---- DEQUEUE ... BLOCK ----

def test_block_served_by_enqueue_in_order(vole_alone, r):
    results = {}

    def waiter(name):
        c = conn(vole_alone)
        results[name] = q(c, "DEQUEUE", "bq", "BLOCK", 5000)
        c.close()

    t1 = threading.Thread(target=waiter, args=("first",))
    t1.start()
    assert wait_until(lambda: blocked_clients(r) == 1, 5)
    t2 = threading.Thread(target=waiter, args=("second",))
    t2.start()
    assert wait_until(lambda: blocked_clients(r) == 2, 5)
    # others are not held up while two clients wait
    assert r.ping()
    a = q(r, "ENQUEUE", "bq", "a")
    t1.join(5)
    assert results["first"] == [a, b"a", 0]
    b = q(r, "ENQUEUE", "bq", "b")
    t2.join(5)
    assert results["second"] == [b, b"b", 0]
    assert info(r, "bq")["processing"] == 2


def test_block_timeout(vole_alone, r):
    t = time.monotonic()
    assert q(r, "DEQUEUE", "empty", "BLOCK", 200) is None
    assert time.monotonic() - t >= 0.19
    assert blocked_clients(r) == 0


def test_block_woken_by_delayed_message(vole_alone, r):
    mid = q(r, "ENQUEUE", "dl", "soon", "DELAY", "0.3")
    t = time.monotonic()
    assert q(r, "DEQUEUE", "dl", "BLOCK", 3000) == [mid, b"soon", 0]
    took = time.monotonic() - t
    assert 0.2 <= took < 1.5, took


def test_block_woken_by_expired_visibility(vole_alone, r):
    mid = q(r, "ENQUEUE", "vis", "m")
    assert q(r, "DEQUEUE", "vis", "TIMEOUT", "0.3") == [mid, b"m", 0]
    t = time.monotonic()
    assert q(r, "DEQUEUE", "vis", "BLOCK", 3000, "TIMEOUT", "10") == [mid, b"m", 1]
    assert 0.2 <= time.monotonic() - t < 1.5


def test_block_in_multi_does_not_block(vole_alone, r):
    p = r.pipeline(transaction=True)
    p.execute_command("DEQUEUE", "mq", "BLOCK", 0)
    assert p.execute() == [None]


def test_blocked_client_disconnect(vole_alone, r):
    c = RawConn(vole_alone)
    c.send("DEQUEUE", "gone", "BLOCK", 0)
    assert wait_until(lambda: blocked_clients(r) == 1, 5)
    c.close()
    assert wait_until(lambda: blocked_clients(r) == 0, 5)
    mid = q(r, "ENQUEUE", "gone", "x")
    assert q(r, "QINFO", "gone")[1] == 1  # nobody took it
    assert q(r, "DEQUEUE", "gone") == [mid, b"x", 0]


def test_client_unblock(vole_alone, r):
    c = conn(vole_alone)
    cid = c.client_id()
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", q(c, "DEQUEUE", "u", "BLOCK", 0)))
    t.start()
    assert wait_until(lambda: blocked_clients(r) == 1, 5)
    assert r.client_unblock(cid) == 1
    t.join(5)
    assert out["r"] is None
    c.close()


def test_generic_key_commands(r):
    a = q(r, "ENQUEUE", "src", "one")
    b = q(r, "ENQUEUE", "src", "two", "DELAY", 60)
    q(r, "DEQUEUE", "src")
    assert r.copy("src", "dst") == 1
    assert info(r, "dst") == info(r, "src") == {"pending": 0, "processing": 1, "dead": 0,
                                                "delayed": 1}
    assert q(r, "QACK", "dst", a) == 1
    assert info(r, "src")["processing"] == 1  # the copy is independent
    assert r.rename("src", "moved") is True
    assert q(r, "QACK", "moved", a) == 1
    assert r.memory_usage("moved") > 0
    assert r.delete("moved") == 1
    assert q(r, "QINFO", "dst")[7] == 1 and b


def test_concurrent_producers_and_consumers(vole_alone, r):
    """Four producers and four blocking consumers that acknowledge at once: every message is
    delivered exactly once (no visibility timeout passes), none is lost."""
    n_per = 300
    delivered, acks, lock = [], [], threading.Lock()

    def producer(p):
        c = conn(vole_alone)
        pipe = c.pipeline(transaction=False)
        for i in range(n_per):
            pipe.execute_command("ENQUEUE", "work", f"{p}:{i}")
        pipe.execute()
        c.close()

    def consumer():
        c = conn(vole_alone)
        while True:
            m = q(c, "DEQUEUE", "work", "BLOCK", 500, "TIMEOUT", 30)
            if m is None:
                break
            acked = q(c, "QACK", "work", m[0])
            with lock:
                delivered.append(m[1])
                acks.append(acked)
        c.close()

    consumers = [threading.Thread(target=consumer) for _ in range(4)]
    producers = [threading.Thread(target=producer, args=(p,)) for p in range(4)]
    for t in consumers + producers:
        t.start()
    for t in producers + consumers:
        t.join(30)
    assert sorted(delivered) == sorted(f"{p}:{i}".encode() for p in range(4) for i in range(n_per))
    assert acks == [1] * len(delivered)
    assert r.exists("work") == 0


def test_timer_events(vole_alone, r):
    def run():
        q(r, "ENQUEUE", "te", "x", "MAXRETRIES", 1, "DELAY", "0.1")
        assert wait_until(lambda: q(r, "QLEN", "te") == 1, 3)
        q(r, "DEQUEUE", "te", "TIMEOUT", "0.1")
        assert wait_until(lambda: info(r, "te")["dead"] == 1, 3)

    assert [ch for ch, _ in keyevents(r, "Ed", "__keyevent@0__:q*", run)] == [
        b"__keyevent@0__:qready", b"__keyevent@0__:qexpired", b"__keyevent@0__:qdead"]
