# RATELIMIT over RESP with redis-py (no oracle: issue 7's semantics written as tests): the
# four-value reply, the exact sliding window, COST, PEEK consuming nothing, RESET, the key
# expiring when its newest request leaves the window, errors, and COMMAND DOCS rows.
import sys
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


def rl(r, *args):
    return r.execute_command("RATELIMIT", *args)


def test_reply_and_window(r):
    t0 = int(time.time() * 1000)
    allowed, remaining, retry, reset = rl(r, "api:user:1", 3, 60)
    assert (allowed, remaining, retry) == (1, 2, 0)
    assert t0 + 60000 - 50 <= reset <= int(time.time() * 1000) + 60000
    assert rl(r, "api:user:1", 3, 60)[:3] == [1, 1, 0]
    assert rl(r, "api:user:1", 3, 60)[:3] == [1, 0, 0]
    allowed, remaining, retry, reset2 = rl(r, "api:user:1", 3, 60)
    assert (allowed, remaining) == (0, 0)
    assert 59000 < retry <= 60000
    assert reset2 == reset
    assert r.type("api:user:1") == b"ratelimit"
    # the key outlives its newest request by one to two windows
    assert 59000 < r.pttl("api:user:1") <= 120000


def test_sliding_window_edges(r):
    assert rl(r, "w", 2, "0.3")[0] == 1
    time.sleep(0.15)
    assert rl(r, "w", 2, "0.3")[0] == 1
    denied = rl(r, "w", 2, "0.3")
    assert denied[0] == 0 and 0 < denied[2] <= 160
    # once the first request left (0.3 s after it), exactly one slot is free again
    time.sleep(denied[2] / 1000 + 0.02)
    assert rl(r, "w", 2, "0.3")[0] == 1
    assert rl(r, "w", 2, "0.3")[0] == 0


def test_cost_peek_reset(r):
    assert rl(r, "c", 10, 60, "COST", 7)[:3] == [1, 3, 0]
    assert rl(r, "c", 10, 60, "COST", 4)[:2] == [0, 3]
    peek = r.execute_command("RATELIMIT.PEEK", "c")
    assert peek[:3] == [1, 3, 0]
    assert r.execute_command("RATELIMIT.PEEK", "c", 10, 60)[:3] == [1, 3, 0]
    # with a lower limit the 7 counted requests already fill it: denied until they leave
    allowed, remaining, retry, reset = r.execute_command("RATELIMIT.PEEK", "c", 7, 60)
    assert (allowed, remaining, reset) == (0, 0, peek[3])
    assert 0 < retry <= 60000
    assert rl(r, "c", 10, 60, "COST", 3)[:2] == [1, 0]
    assert r.execute_command("RATELIMIT.RESET", "c") == 1
    assert r.execute_command("RATELIMIT.RESET", "c") == 0
    assert r.execute_command("RATELIMIT.PEEK", "c") is None
    assert r.execute_command("RATELIMIT.PEEK", "c", 5, 1)[:3] == [1, 5, 0]
    assert rl(r, "c", 10, 60)[:2] == [1, 9]


def test_key_expires_with_its_window(r):
    rl(r, "short", 5, "0.2")
    assert r.exists("short") == 1
    assert wait_until(lambda: r.exists("short") == 0, 3)


def test_errors(r):
    r.set("s", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        rl(r, "s", 5, 1)
    with pytest.raises(redis.ResponseError, match="max must be a positive integer"):
        rl(r, "k", 0, 1)
    with pytest.raises(redis.ResponseError, match="window must be a positive number"):
        rl(r, "k", 1, -1)
    with pytest.raises(redis.ResponseError, match="COST must not exceed max"):
        rl(r, "k", 1, 1, "COST", 2)
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        rl(r, "k", 1)
    with pytest.raises(redis.ResponseError, match="internal"):
        r.execute_command("VOLE.RATELIMIT", "k", 1, 1000, 1, 1)
    assert r.exists("k") == 0


def test_resp3_and_docs(vole_alone):
    c = RawConn(vole_alone)
    try:
        c.call("HELLO", "3")
        assert c.call("RATELIMIT", "r3", 2, 10).startswith(b"*4\r\n:1\r\n:1\r\n:0\r\n:")
        for name in ("ratelimit", "ratelimit.peek", "ratelimit.reset"):
            docs = c.call("COMMAND", "DOCS", name)
            assert b"ratelimit" in docs and b"summary" in docs
        assert b"COST" in c.call("COMMAND", "DOCS", "ratelimit")
    finally:
        c.close()


def test_generic_key_commands(r):
    rl(r, "a", 5, 60, "COST", 2)
    assert r.copy("a", "b") == 1
    assert rl(r, "b", 5, 60)[:2] == [1, 2]
    assert rl(r, "a", 5, 60)[:2] == [1, 2]  # the copy is independent
    assert r.memory_usage("a") > 0
    assert r.rename("a", "c") is True
    assert rl(r, "c", 5, 60)[:2] == [1, 1]
