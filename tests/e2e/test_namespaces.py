# Namespaces: NAMESPACE CREATE/USE/LIST/CURRENT/DROP are separate keyspaces (not prefixes),
# chosen per connection like SELECT; "default" is database 0; SELECT 0-15 still work.
import sys
import threading
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.vole_proc import wait_until  # noqa: E402


def ns(r, *args):
    return r.execute_command("NAMESPACE", *args)


@pytest.fixture(autouse=True)
def no_namespaces(vr):
    for name in ns(vr, "LIST")[1:]:
        ns(vr, "DROP", name)


def test_create_use_isolated(vole_server, vr):
    assert ns(vr, "CREATE", "analytics") == "OK"
    other = vole_server.client(decode_responses=True)
    assert ns(vr, "USE", "analytics") == "OK"
    vr.set("pageview:home", 42)
    assert vr.get("pageview:home") == "42"
    assert ns(vr, "CURRENT") == "analytics"
    # another connection stays in default
    assert ns(other, "CURRENT") == "default"
    assert other.get("pageview:home") is None
    assert other.dbsize() == 0
    ns(vr, "USE", "default")
    assert vr.get("pageview:home") is None
    ns(vr, "USE", "analytics")
    assert vr.get("pageview:home") == "42"
    other.close()


def test_default_is_db0_and_select_works(vr):
    vr.set("k", "in-db0")
    ns(vr, "CREATE", "n1")
    ns(vr, "USE", "n1")
    assert vr.get("k") is None
    vr.select(0)
    assert vr.get("k") == "in-db0"
    assert ns(vr, "CURRENT") == "default"
    vr.select(3)
    assert ns(vr, "CURRENT") == "db3"
    vr.set("k3", "x")
    ns(vr, "USE", "default")
    assert vr.get("k3") is None
    vr.select(3)
    assert vr.get("k3") == "x"
    vr.select(0)


def test_keyspace_commands_per_namespace(vr):
    ns(vr, "CREATE", "a")
    ns(vr, "CREATE", "b")
    ns(vr, "USE", "a")
    vr.mset({"x1": 1, "x2": 2, "x3": 3})
    vr.expire("x1", 100)
    ns(vr, "USE", "b")
    vr.set("y", 1)
    assert vr.dbsize() == 1
    assert vr.keys("*") == ["y"]
    assert list(vr.scan_iter("*")) == ["y"]
    ns(vr, "USE", "a")
    assert vr.dbsize() == 3
    assert sorted(vr.keys("*")) == ["x1", "x2", "x3"]
    assert sorted(vr.scan_iter("x*")) == ["x1", "x2", "x3"]
    ks = vr.info("keyspace")
    assert ks["ns_a"]["keys"] == 3 and ks["ns_a"]["expires"] == 1
    assert ks["ns_b"]["keys"] == 1
    assert vr.flushdb()
    assert vr.dbsize() == 0
    ns(vr, "USE", "b")
    assert vr.dbsize() == 1
    assert "ns_a" not in vr.info("keyspace")
    # FLUSHALL empties namespaces too
    vr.flushall()
    assert vr.dbsize() == 0
    assert ns(vr, "LIST") == ["default", "a", "b"]
    ns(vr, "USE", "default")


def test_list_and_drop(vole_server, vr):
    for n in ("zeta", "alpha", "mid"):
        assert ns(vr, "CREATE", n) == "OK"
    assert ns(vr, "LIST") == ["default", "alpha", "mid", "zeta"]
    ns(vr, "USE", "mid")
    vr.mset({"a": 1, "b": 2})
    other = vole_server.client(decode_responses=True)
    ns(other, "USE", "mid")
    assert ns(other, "DROP", "mid") == 2
    # both connections are back in default, and the keys are gone
    assert ns(vr, "CURRENT") == "default"
    assert ns(other, "CURRENT") == "default"
    assert ns(vr, "LIST") == ["default", "alpha", "zeta"]
    # re-created: empty
    ns(vr, "CREATE", "mid")
    ns(vr, "USE", "mid")
    assert vr.dbsize() == 0
    ns(vr, "USE", "default")
    other.close()


def test_errors(vr):
    ns(vr, "CREATE", "dup")
    with pytest.raises(redis.ResponseError, match="already exists"):
        ns(vr, "CREATE", "dup")
    with pytest.raises(redis.ResponseError, match="already exists"):
        ns(vr, "CREATE", "default")
    with pytest.raises(redis.ResponseError, match="no such namespace 'nope'"):
        ns(vr, "USE", "nope")
    with pytest.raises(redis.ResponseError, match="no such namespace"):
        ns(vr, "DROP", "nope")
    with pytest.raises(redis.ResponseError, match="cannot be dropped"):
        ns(vr, "DROP", "default")
    with pytest.raises(redis.ResponseError, match="invalid namespace name"):
        ns(vr, "CREATE", "has space")
    with pytest.raises(redis.ResponseError, match="unknown subcommand"):
        ns(vr, "FROB")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        ns(vr, "CREATE")


def test_many_namespaces_stable(vole_server, vr):
    """Creating many namespaces never moves a connection's keyspace (no dangling db)."""
    ns(vr, "CREATE", "first")
    ns(vr, "USE", "first")
    vr.set("kept", "yes")
    for i in range(200):
        ns(vr, "CREATE", f"n{i}")
    assert vr.get("kept") == "yes"
    for i in range(200):
        ns(vr, "DROP", f"n{i}")
    assert vr.get("kept") == "yes"
    ns(vr, "USE", "default")


def test_blocking_in_namespace(vole_server, vr):
    ns(vr, "CREATE", "q")
    a = vole_server.client(decode_responses=True)
    ns(a, "USE", "q")
    ns(vr, "USE", "q")
    got = []
    t = threading.Thread(target=lambda: got.append(a.blpop("jobs", timeout=5)))
    t.start()
    # the waiter is blocked before the push
    wait_until(lambda: vr.info("clients")["blocked_clients"] == 1, 5)
    vr.rpush("jobs", "j1")
    t.join(6)
    assert got and tuple(got[0]) == ("jobs", "j1")
    ns(vr, "USE", "default")
    a.close()


def test_drop_answers_clients_blocked_in_it(vole_server, vr):
    """A client waiting on a key of a namespace that is dropped gets an error at once (it
    used to wait on, and could be served by a later namespace in the same slot)."""
    ns(vr, "CREATE", "gone")
    a = vole_server.client(decode_responses=True)
    ns(a, "USE", "gone")
    got = []

    def waiter():
        try:
            got.append(a.blpop("jobs", timeout=0))
        except redis.exceptions.ResponseError as e:
            got.append(str(e))
    t = threading.Thread(target=waiter)
    t.start()
    assert wait_until(lambda: vr.info("clients")["blocked_clients"] == 1, 5)
    assert ns(vr, "DROP", "gone") == 0
    t.join(5)
    assert got == ["UNBLOCKED the namespace was dropped"]
    assert vr.info("clients")["blocked_clients"] == 0
    # the connection is back in default and works
    assert ns(a, "CURRENT") == "default"
    ns(vr, "CREATE", "gone")
    ns(vr, "USE", "gone")
    vr.rpush("jobs", "j1")  # a new namespace in the same slot serves nobody from the old one
    assert vr.lrange("jobs", 0, -1) == ["j1"]
    ns(vr, "USE", "default")
    a.close()


def test_keyspace_events_carry_the_slot(vole_server, vr):
    vr.config_set("notify-keyspace-events", "KEA")
    ns(vr, "CREATE", "ev")
    ns(vr, "USE", "ev")
    p = vole_server.client(decode_responses=True).pubsub()
    p.psubscribe("__keyevent@*__:set")
    assert p.get_message(timeout=2)["type"] == "psubscribe"
    vr.set("k", 1)
    msg = p.get_message(timeout=2)
    assert msg["data"] == "k" and msg["channel"].startswith("__keyevent@")
    assert msg["channel"] != "__keyevent@0__:set"
    p.close()
    vr.config_set("notify-keyspace-events", "")
    ns(vr, "USE", "default")
