# Delayed keys: SET key value AFTER seconds and SETDELAYED key value delay [EX ttl]. The key is
# invisible to every read, EXISTS, KEYS, SCAN, DBSIZE until the delay passes; then it appears
# (with a "set" keyspace event) and its TTL starts counting.
import sys
import time
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.vole_proc import wait_until  # noqa: E402


def invisible(r, key):
    assert r.get(key) is None
    assert r.exists(key) == 0
    assert key not in r.keys("*")
    assert key not in list(r.scan_iter("*"))
    assert r.type(key) == "none"
    assert r.ttl(key) == -2
    assert r.strlen(key) == 0


def test_setdelayed_appears_then_ttl_starts(vole_server, vr):
    vr.config_set("notify-keyspace-events", "KEA")
    p = vole_server.client(decode_responses=True).pubsub()
    p.subscribe("__keyspace@0__:flag")
    assert p.get_message(timeout=2)["type"] == "subscribe"
    t0 = time.time()
    assert vr.execute_command("SETDELAYED", "flag", "enabled", 1, "EX", 60) == "OK"
    assert p.get_message(timeout=2)["data"] == "setdelayed"
    invisible(vr, "flag")
    assert vr.dbsize() == 0
    assert wait_until(lambda: vr.get("flag") == "enabled", 5)
    assert time.time() - t0 >= 0.95
    # the TTL started when the key appeared, not when it was scheduled
    assert 58 <= vr.ttl("flag") <= 60
    assert vr.dbsize() == 1
    events = []
    wait_until(lambda: events.append(p.get_message(timeout=0.1)) or
               [e["data"] for e in events if e] == ["set", "expire"], 3)
    assert [e["data"] for e in events if e] == ["set", "expire"]
    p.close()
    vr.config_set("notify-keyspace-events", "")


def test_set_after(vr):
    assert vr.execute_command("SET", "announcement", "Big news!", "AFTER", 1) is True
    invisible(vr, "announcement")
    assert wait_until(lambda: vr.get("announcement") == "Big news!", 5)
    assert vr.ttl("announcement") == -1
    assert vr.execute_command("SET", "a2", "v", "AFTER", 1, "PX", 30000) is True
    assert wait_until(lambda: vr.exists("a2") == 1, 5)
    assert 28000 <= vr.pttl("a2") <= 30000


def test_overwrites_existing_and_reschedule_replaces(vr):
    vr.set("k", "old")
    vr.execute_command("SETDELAYED", "k", "first", 100)
    vr.execute_command("SETDELAYED", "k", "second", 1)  # replaces the pending value
    assert vr.get("k") == "old"  # the visible value is untouched until then
    assert wait_until(lambda: vr.get("k") == "second", 5)
    time.sleep(0.3)  # the replaced schedule never fires: nothing else changes the value
    assert vr.get("k") == "second"


def test_flush_drops_pending(vr):
    vr.execute_command("SETDELAYED", "gone", "v", 1)
    vr.flushdb()
    vr.execute_command("SETDELAYED", "marker", "v", 1)
    assert wait_until(lambda: vr.exists("marker") == 1, 5)
    assert vr.exists("gone") == 0


def test_swapdb_moves_pending_keys_with_the_data(vr):
    """A pending key belongs to its database's data: after SWAPDB it appears in the other
    index, with the data it was written beside."""
    vr.select(0)
    vr.set("home", "db0-data")
    vr.execute_command("SETDELAYED", "pending", "v", 1)
    vr.select(1)
    vr.execute_command("SETDELAYED", "other", "w", 1)
    vr.select(0)
    assert vr.swapdb(0, 1)
    vr.execute_command("SETDELAYED", "marker", "v", 1)  # due with or after the others
    assert wait_until(lambda: vr.exists("marker") == 1, 5)
    assert vr.get("other") == "w" and vr.exists("pending", "home") == 0
    vr.select(1)
    assert vr.get("pending") == "v" and vr.get("home") == "db0-data"
    vr.flushdb()
    vr.select(0)
    vr.flushdb()


def test_namespace_isolation(vr):
    vr.execute_command("NAMESPACE", "CREATE", "later")
    vr.execute_command("NAMESPACE", "USE", "later")
    vr.execute_command("SETDELAYED", "nk", "v", 1)
    vr.execute_command("NAMESPACE", "USE", "default")
    vr.execute_command("SETDELAYED", "marker", "v", 1)
    assert wait_until(lambda: vr.exists("marker") == 1, 5)
    assert vr.exists("nk") == 0
    vr.execute_command("NAMESPACE", "USE", "later")
    assert wait_until(lambda: vr.get("nk") == "v", 5)
    vr.execute_command("NAMESPACE", "USE", "default")
    vr.execute_command("NAMESPACE", "DROP", "later")


def test_errors(vr):
    with pytest.raises(redis.ResponseError, match="not an integer"):
        vr.execute_command("SETDELAYED", "k", "v", "soon")
    with pytest.raises(redis.ResponseError, match="invalid delay"):
        vr.execute_command("SETDELAYED", "k", "v", -1)
    with pytest.raises(redis.ResponseError, match="syntax error"):
        vr.execute_command("SETDELAYED", "k", "v", 1, "NX")
    with pytest.raises(redis.ResponseError, match="syntax error"):
        vr.execute_command("SETDELAYED", "k", "v", 1, "EX")
    with pytest.raises(redis.ResponseError, match="invalid expire time"):
        vr.execute_command("SETDELAYED", "k", "v", 1, "EX", 0)
    with pytest.raises(redis.ResponseError, match="AFTER must come right after the value"):
        vr.execute_command("SET", "k", "v", "EX", 10, "AFTER", 1)
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        vr.execute_command("SETDELAYED", "k", "v")
    # plain SET is unchanged
    assert vr.set("plain", "v", ex=10)
    assert vr.dbsize() == 1
