# maxmemory end to end: the OOM refusal matches Redis byte for byte, and each eviction policy
# keeps memory near the limit while evicting only the keys it may.
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.vole_proc import start_redis, start_vole  # noqa: E402


@pytest.fixture(scope="module")
def vole():
    v = start_vole()
    yield v
    assert v.stop() == 0


@pytest.fixture(scope="module")
def redis_srv():
    r = start_redis()
    yield r
    r.stop()


def raw(port, payload):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk


def test_oom_reply_matches_redis(vole, redis_srv):
    script = (b"CONFIG SET maxmemory 1\r\nSET a b\r\nGET a\r\nDEL a\r\n"
              b"CONFIG SET maxmemory 0\r\nSET a b\r\n")
    assert raw(vole.port, script) == raw(redis_srv.port, script)


def counted(c):
    # what eviction measures: used_memory without the effect backlog (as Redis leaves out
    # its replication backlog and AOF buffers)
    m = c.info("memory")
    return int(m["used_memory"]) - int(m.get("mem_not_counted_for_evict", 0))


def fill(c, prefix, n, ttl=None):
    p = c.pipeline(transaction=False)
    for i in range(n):
        p.set(f"{prefix}:{i}", "x" * 200, ex=ttl)
        if i % 1000 == 999:
            p.execute()
    p.execute()


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-random", "allkeys-lfu"])
def test_allkeys_policies_bound_memory(vole, policy):
    c = vole.client(socket_timeout=30)
    c.flushall()
    c.config_set("maxmemory-policy", policy)
    base = counted(c)
    limit = base + 8 * 1024 * 1024
    c.config_set("maxmemory", limit)
    try:
        before = int(c.info("stats")["evicted_keys"])
        fill(c, "k", 100_000)  # ~30 MB of data without a limit
        used = counted(c)
        assert used <= limit + 2 * 1024 * 1024, (used, limit)
        assert int(c.info("stats")["evicted_keys"]) > before
        assert 0 < c.dbsize() < 100_000
    finally:
        c.config_set("maxmemory", 0)
        c.config_set("maxmemory-policy", "noeviction")
        c.flushall()


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-ttl", "volatile-random"])
def test_volatile_policies_keep_persistent_keys(vole, policy):
    c = vole.client(socket_timeout=30)
    c.flushall()
    c.config_set("maxmemory-policy", policy)
    fill(c, "keep", 1000)
    base = counted(c)
    limit = base + 4 * 1024 * 1024
    c.config_set("maxmemory", limit)
    try:
        fill(c, "vol", 60_000, ttl=3600)
        assert int(c.info("stats")["evicted_keys"]) > 0
        assert all(c.exists(f"keep:{i}") for i in range(0, 1000, 37))
    finally:
        c.config_set("maxmemory", 0)
        c.config_set("maxmemory-policy", "noeviction")
        c.flushall()
