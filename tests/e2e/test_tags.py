# Key tags: TAG key name=value..., TAGGET, TAGDEL, TAGQUERY expr (AND/OR/NOT, parentheses)
# [LIMIT n]. Tags vanish with their key (delete, expiry, eviction, flush); RENAME and MOVE
# carry them.
import sys
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.resp_raw import RawConn  # noqa: E402
from lib.vole_proc import wait_until  # noqa: E402


def tag(r, key, *pairs):
    return r.execute_command("TAG", key, *pairs)


def tagget(r, key):
    flat = r.execute_command("TAGGET", key)
    return dict(zip(flat[::2], flat[1::2]))


def q(r, *expr):
    return r.execute_command("TAGQUERY", *expr)


@pytest.fixture
def users(vr):
    data = {
        "user:1": ("env=prod", "region=us-east", "tier=premium"),
        "user:2": ("env=prod", "region=eu-west", "tier=free"),
        "user:3": ("env=dev", "region=us-east", "tier=premium"),
        "user:4": ("env=staging", "tier=free"),
    }
    for k, tags in data.items():
        vr.set(k, "x")
        assert tag(vr, k, *tags) == len(tags)
    return vr


def test_tag_get_del(users):
    r = users
    assert tagget(r, "user:1") == {"env": "prod", "region": "us-east", "tier": "premium"}
    # updating a tag is not a new name
    assert tag(r, "user:1", "tier=gold", "owner=ann") == 1
    assert tagget(r, "user:1")["tier"] == "gold"
    assert q(r, "tier=premium") == ["user:3"]
    assert r.execute_command("TAGDEL", "user:1", "region", "nope") == 1
    assert "region" not in tagget(r, "user:1")
    assert tagget(r, "nokey") == {}
    # a value may contain '='
    assert tag(r, "user:4", "expr=a=b") == 1
    assert tagget(r, "user:4")["expr"] == "a=b"


def test_query_expressions(users):
    r = users
    assert q(r, "env=prod", "AND", "tier=premium") == ["user:1"]
    assert q(r, "env=prod AND tier=premium", "LIMIT", 100) == ["user:1"]
    assert q(r, "env=prod OR env=dev") == ["user:1", "user:2", "user:3"]
    assert q(r, "NOT env=prod") == ["user:3", "user:4"]
    assert q(r, "(env=prod OR env=dev) AND NOT tier=free") == ["user:1", "user:3"]
    assert q(r, "env=prod AND (region=eu-west OR tier=premium)") == ["user:1", "user:2"]
    # AND binds tighter than OR
    assert q(r, "env=dev OR env=prod AND tier=free") == ["user:2", "user:3"]
    assert q(r, "region=*") == ["user:1", "user:2", "user:3"]
    assert q(r, "NOT region=*") == ["user:4"]
    assert q(r, "env=nothing") == []
    assert q(r, "tier=free OR tier=premium", "LIMIT", 2) == ["user:1", "user:2"]
    assert q(r, "tier=free", "LIMIT", 0) == []
    assert q(r, "env=prod", "and", "tier=premium") == ["user:1"]


def test_query_errors(users):
    r = users
    for bad in (["env=prod AND"], ["(env=prod"], ["env=prod tier=free"], ["AND"], ["env"],
                ["env=prod )"], [" "]):
        with pytest.raises(redis.ResponseError, match="syntax error"):
            q(r, *bad)
    with pytest.raises(redis.ResponseError, match="LIMIT"):
        q(r, "env=prod", "LIMIT", -1)


def test_tag_errors(vr):
    with pytest.raises(redis.ResponseError, match="no such key"):
        tag(vr, "missing", "a=b")
    vr.set("k", 1)
    with pytest.raises(redis.ResponseError, match="expected name=value"):
        tag(vr, "k", "novalue")
    with pytest.raises(redis.ResponseError, match="expected name=value"):
        tag(vr, "k", "=v")
    assert tagget(vr, "k") == {}


def test_tags_vanish_with_key(users):
    r = users
    r.delete("user:1")
    assert q(r, "env=prod") == ["user:2"]
    r.set("user:1", "again")
    assert tagget(r, "user:1") == {}
    # expiry (lazy and active)
    r.pexpire("user:2", 50)
    assert wait_until(lambda: q(r, "env=prod") == [], 5)
    # overwriting the value keeps the tags
    r.set("user:3", "new value")
    assert tagget(r, "user:3")["env"] == "dev"
    r.flushdb()
    assert q(r, "tier=free OR tier=premium OR env=dev") == []


def test_rename_and_move_carry_tags(users):
    r = users
    r.rename("user:1", "user:100")
    assert tagget(r, "user:1") == {}
    assert tagget(r, "user:100")["tier"] == "premium"
    assert q(r, "tier=premium") == ["user:100", "user:3"]
    # renaming onto a tagged key replaces its tags
    r.rename("user:100", "user:2")
    assert tagget(r, "user:2") == {"env": "prod", "region": "us-east", "tier": "premium"}
    assert q(r, "tier=free") == ["user:4"]
    r.move("user:2", 5)
    assert q(r, "env=prod") == []
    r.select(5)
    assert q(r, "env=prod") == ["user:2"]
    r.flushdb()
    r.select(0)


def test_tags_per_namespace(vr):
    vr.set("k", 1)
    tag(vr, "k", "a=1")
    vr.execute_command("NAMESPACE", "CREATE", "tg")
    vr.execute_command("NAMESPACE", "USE", "tg")
    assert q(vr, "a=1") == []
    vr.set("k", 1)
    tag(vr, "k", "a=2")
    assert tagget(vr, "k") == {"a": "2"}
    vr.execute_command("NAMESPACE", "DROP", "tg")
    assert tagget(vr, "k") == {"a": "1"}
    vr.execute_command("NAMESPACE", "CREATE", "tg")
    vr.execute_command("NAMESPACE", "USE", "tg")
    assert q(vr, "a=2") == []
    vr.execute_command("NAMESPACE", "USE", "default")
    vr.execute_command("NAMESPACE", "DROP", "tg")


def test_resp3_map(vole_server, vr):
    vr.set("k", 1)
    tag(vr, "k", "b=2", "a=1")
    c = RawConn(vole_server)
    try:
        c.call("HELLO", "3")
        assert c.call("TAGGET", "k") == b"%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"
        assert c.call("TAGGET", "none") == b"%0\r\n"
    finally:
        c.close()


def test_keyspace_events(vole_server, vr):
    vr.config_set("notify-keyspace-events", "KEA")
    p = vole_server.client(decode_responses=True).pubsub()
    p.psubscribe("__keyspace@0__:t")
    assert p.get_message(timeout=2)["type"] == "psubscribe"
    vr.set("t", 1)
    tag(vr, "t", "a=1")
    vr.execute_command("TAGDEL", "t", "a")
    got = []
    wait_until(lambda: got.append(p.get_message(timeout=0.1)) or
               len([m for m in got if m]) >= 3, 3)
    assert [m["data"] for m in got if m] == ["set", "tag", "tagdel"]
    p.close()
    vr.config_set("notify-keyspace-events", "")
