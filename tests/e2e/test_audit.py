# The audit log: AUDIT.ENABLE/DISABLE, AUDIT key [COUNT n], AUDIT.SEARCH pattern [COUNT n],
# AUDIT.CLEAR, AUDIT.SIZE; entries hold time, key, command (values cut over
# audit-value-max-len), client address and user; bounded by audit-max-entries.
import time

import pytest
import redis


def entries(flat_list):
    return [dict(zip(e[::2], e[1::2])) for e in flat_list]


@pytest.fixture
def audit(vr):
    vr.execute_command("AUDIT.DISABLE")
    vr.execute_command("AUDIT.CLEAR")
    vr.config_set("audit-max-entries", 10000)
    vr.config_set("audit-value-max-len", 128)
    yield vr
    vr.execute_command("AUDIT.DISABLE")
    vr.execute_command("AUDIT.CLEAR")


def test_disabled_by_default_records_nothing(audit):
    audit.set("user:1", "John")
    assert audit.execute_command("AUDIT.SIZE") == 0
    assert audit.execute_command("AUDIT", "user:1") == []


def test_records_writes(audit):
    r = audit
    assert r.execute_command("AUDIT.ENABLE") == "OK"
    before = int(time.time() * 1000)
    r.set("user:1", "John")
    r.get("user:1")  # reads are not audited
    r.set("user:1", "John", nx=True)  # did not write: not audited
    r.hset("user:2", mapping={"name": "Jane"})
    r.mset({"a": 1, "b": 2})  # one entry per key
    r.delete("nothing")  # wrote nothing
    after = int(time.time() * 1000)
    assert r.execute_command("AUDIT.SIZE") == 4
    e = entries(r.execute_command("AUDIT", "user:1", "COUNT", 5))
    assert len(e) == 1
    e = e[0]
    assert e["key"] == "user:1" and e["command"] == "SET user:1 John"
    assert before <= e["time"] <= after
    assert e["client"].startswith("127.0.0.1:") and e["user"] == "default"
    assert e["db"] == 0
    found = entries(r.execute_command("AUDIT.SEARCH", "user:*", "COUNT", 50))
    assert [x["key"] for x in found] == ["user:2", "user:1"]  # newest first
    assert found[0]["command"] == "HSET user:2 name Jane"
    assert [x["key"] for x in entries(r.execute_command("AUDIT.SEARCH", "*"))] == \
        ["b", "a", "user:2", "user:1"]
    assert [x["key"] for x in entries(r.execute_command("AUDIT.SEARCH", "*", "COUNT", 1))] == ["b"]


def test_keyless_and_transactions(audit):
    r = audit
    r.execute_command("AUDIT.ENABLE")
    r.set("k", 1)
    r.flushall()
    p = r.pipeline(transaction=True)
    p.set("t1", "v").incr("t2")
    p.execute()
    found = entries(r.execute_command("AUDIT.SEARCH", "*"))
    assert [(x["key"], x["command"]) for x in found] == [
        ("t2", "INCRBY t2 1"), ("t1", "SET t1 v"), ("", "FLUSHALL"), ("k", "SET k 1")]


def test_truncation_and_bound(audit):
    r = audit
    r.execute_command("AUDIT.ENABLE")
    r.config_set("audit-value-max-len", 5)
    r.set("key", "abcdefghij")
    assert entries(r.execute_command("AUDIT", "key"))[0]["command"] == \
        "SET key abcde...(10 bytes)"
    r.config_set("audit-max-entries", 3)
    for i in range(6):
        r.set(f"n{i}", i)
    assert r.execute_command("AUDIT.SIZE") == 3
    assert [x["key"] for x in entries(r.execute_command("AUDIT.SEARCH", "*"))] == ["n5", "n4", "n3"]
    assert r.config_get("audit-max-entries") == {"audit-max-entries": "3"}


def test_disable_clear(audit):
    r = audit
    r.execute_command("AUDIT.ENABLE")
    r.set("a", 1)
    assert r.execute_command("AUDIT.DISABLE") == "OK"
    r.set("b", 1)
    assert r.execute_command("AUDIT.SIZE") == 1
    assert r.execute_command("AUDIT.CLEAR") == 1
    assert r.execute_command("AUDIT.SIZE") == 0


def test_per_namespace(audit):
    r = audit
    r.execute_command("AUDIT.ENABLE")
    r.execute_command("NAMESPACE", "CREATE", "aud")
    r.execute_command("NAMESPACE", "USE", "aud")
    r.set("k", "in-ns")
    r.execute_command("NAMESPACE", "USE", "default")
    r.set("k", "in-default")
    assert [x["command"] for x in entries(r.execute_command("AUDIT", "k"))] == ["SET k in-default"]
    r.execute_command("NAMESPACE", "USE", "aud")
    e = entries(r.execute_command("AUDIT", "k"))
    assert [x["command"] for x in e] == ["SET k in-ns"] and e[0]["db"] >= 16
    r.execute_command("NAMESPACE", "USE", "default")
    r.execute_command("NAMESPACE", "DROP", "aud")


def test_errors(audit):
    r = audit
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("AUDIT", "k", "COUNT")
    with pytest.raises(redis.ResponseError, match="COUNT must be a positive integer"):
        r.execute_command("AUDIT.SEARCH", "*", "COUNT", 0)
    with pytest.raises(redis.ResponseError):
        r.config_set("audit-max-entries", 0)
