# End-to-end tests through redis-py (Debian's 4.3): binary round trips, big pipelines,
# concurrent clients, RESP3 when the client library can speak it, databases and expiry.
import inspect
import os
import sys
import threading
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.vole_proc import requires, start_subject, wait_until  # noqa: E402


@pytest.fixture(scope="module")
def server():
    v = start_subject()
    yield v
    rc = v.stop()
    # a clean shutdown is part of the contract; a crash during the module shows up here
    assert rc == 0, f"server exited with {rc}\n{v.log_tail()}"


@pytest.fixture
def r(server):
    c = server.client(socket_timeout=10)
    c.flushall()
    yield c
    c.close()


def test_ping_echo(r):
    assert r.ping() is True
    assert r.echo(b"hello") == b"hello"


@pytest.mark.parametrize("value", [
    b"",
    bytes(range(256)),
    b"\r\n\r\n$3\r\n*1\r\n",
    b"\x00" * 1000,
    "ünïcödé ✓".encode(),
    os.urandom(1 << 20),
], ids=["empty", "all-bytes", "resp-lookalike", "nuls", "utf8", "1MiB-random"])
def test_binary_round_trip(r, value):
    key = b"bin:\x00\xff:" + value[:16]
    assert r.set(key, value) is True
    assert r.get(key) == value
    assert r.strlen(key) == len(value)
    assert r.exists(key) == 1
    assert r.getrange(key, 0, 9) == value[:10]


def test_many_binary_keys(r):
    keys = [bytes([i, 0, 255 - i]) for i in range(256)]
    r.mset({k: k[::-1] for k in keys})
    assert r.mget(keys) == [k[::-1] for k in keys]
    assert sorted(r.keys("*")) == sorted(keys)
    assert r.dbsize() == 256


def test_pipeline_10k(r):
    n = 10000
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.set(f"pk:{i}", i)
    assert p.execute() == [True] * n
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.get(f"pk:{i}")
    assert p.execute() == [str(i).encode() for i in range(n)]
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.incr("pctr")
    assert p.execute() == list(range(1, n + 1))
    assert r.dbsize() == n + 1


def test_pipeline_transaction(r):
    requires(r, "multi", "exec", "rpush", "llen", "lrange")
    p = r.pipeline(transaction=True)
    for i in range(1000):
        p.rpush("tl", i)
    p.llen("tl")
    p.lrange("tl", 0, 2)
    res = p.execute()
    assert res[:1000] == list(range(1, 1001))
    assert res[1000] == 1000
    assert res[1001] == [b"0", b"1", b"2"]


def test_pipeline_errors_in_place(r):
    requires(r, "lpush")
    r.set("s", "text")
    p = r.pipeline(transaction=False)
    p.incr("s")
    p.set("t", 1)
    p.lpush("s", "x")
    p.get("t")
    res = p.execute(raise_on_error=False)
    assert isinstance(res[0], redis.ResponseError)
    assert str(res[0]) == "value is not an integer or out of range"
    assert res[1] is True
    assert isinstance(res[2], redis.ResponseError)
    assert str(res[2]).startswith("WRONGTYPE")
    assert res[3] == b"1"


def test_concurrent_incr_50_clients(server, r):
    clients, per = 50, 200
    errors = []
    barrier = threading.Barrier(clients)

    def worker():
        try:
            c = server.client(socket_timeout=30)
            barrier.wait(timeout=30)
            for _ in range(per):
                c.incr("shared")
            c.close()
        except Exception as e:  # reported below: an exception in a thread is otherwise lost
            errors.append(repr(e))

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:5]
    assert not any(t.is_alive() for t in threads)
    assert int(r.get("shared")) == clients * per


def test_concurrent_pipelines(server, r):
    requires(server, "rpush", "lrange")
    clients, per = 20, 500
    errors = []

    def worker(n):
        try:
            c = server.client(socket_timeout=30)
            p = c.pipeline(transaction=False)
            for i in range(per):
                p.rpush(f"list:{n}", i)
                p.incr("total")
            res = p.execute()
            assert res[0::2] == list(range(1, per + 1))
            c.close()
        except Exception as e:
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:5]
    assert int(r.get("total")) == clients * per
    for n in range(clients):
        assert r.lrange(f"list:{n}", 0, -1) == [str(i).encode() for i in range(per)]


def test_resp3(server):
    if "protocol" not in inspect.signature(redis.Redis.__init__).parameters:
        pytest.skip(f"redis-py {redis.__version__} cannot speak RESP3 (protocol=3 needs 5.0+)")
    requires(server, "hset", "hgetall", "smembers")
    c = redis.Redis(host=server.host, port=server.port, protocol=3)
    c.hset("h3", mapping={"a": "1", "b": "2"})
    assert c.hgetall("h3") == {b"a": b"1", b"b": b"2"}
    assert c.smembers("nothing") == set()
    c.close()


def test_select_isolation(server, r):
    d1 = server.client(db=1)
    d15 = server.client(db=15)
    r.set("k", "zero")
    d1.set("k", "one")
    assert r.get("k") == b"zero"
    assert d1.get("k") == b"one"
    assert d15.get("k") is None
    assert r.dbsize() == 1 and d1.dbsize() == 1 and d15.dbsize() == 0
    d1.flushdb()
    assert d1.get("k") is None
    assert r.get("k") == b"zero"
    assert r.move("k", 15) is True
    assert r.get("k") is None
    assert d15.get("k") == b"zero"
    with pytest.raises(redis.ResponseError, match="DB index is out of range"):
        r.execute_command("SELECT", 16)
    r.flushall()
    assert d15.dbsize() == 0
    d1.close()
    d15.close()


def test_select_on_one_connection(r):
    # one raw connection: SELECT changes the db for the following commands only on it
    r.execute_command("SET", "x", "db0")
    pool = redis.ConnectionPool(host=r.connection_pool.connection_kwargs["host"],
                                port=r.connection_pool.connection_kwargs["port"])
    conn = pool.get_connection("_")
    try:
        conn.send_command("SELECT", 3)
        assert conn.read_response() == b"OK"
        conn.send_command("GET", "x")
        assert conn.read_response() is None
        conn.send_command("SET", "x", "db3")
        assert conn.read_response() == b"OK"
    finally:
        pool.release(conn)
        pool.disconnect()
    assert r.get("x") == b"db0"


def test_expiry_observed(r):
    assert r.set("e1", "v", px=150) is True
    assert r.set("e2", "v", ex=100) is True
    r.set("e3", "v")
    assert r.pexpire("e3", 200) is True
    assert r.get("e1") == b"v"
    assert 0 < r.pttl("e1") <= 150
    assert r.ttl("e2") == 100
    assert wait_until(lambda: r.get("e1") is None, 5.0), "e1 did not expire within 5 s"
    assert wait_until(lambda: r.exists("e3") == 0, 5.0), "e3 did not expire within 5 s"
    assert r.ttl("e1") == -2
    assert r.get("e2") == b"v"
    assert r.persist("e2") is True
    assert r.ttl("e2") == -1


def test_active_expiry_removes_keys(r):
    # keys nobody touches again must go by the background cycle (DBSIZE counts them until then)
    p = r.pipeline(transaction=False)
    for i in range(200):
        p.set(f"ax:{i}", i, px=50)
    p.set("stay", 1)
    p.execute()
    assert wait_until(lambda: r.dbsize() == 1, 10.0), f"dbsize stays {r.dbsize()}"


def test_expire_in_the_past_deletes(r):
    r.set("gone", 1)
    assert r.expireat("gone", 1) is True
    assert r.exists("gone") == 0


def test_large_multibulk_reply(r):
    requires(r, "rpush", "lrange")
    r.rpush("big", *range(50000))
    vals = r.lrange("big", 0, -1)
    assert len(vals) == 50000 and vals[-1] == b"49999"
