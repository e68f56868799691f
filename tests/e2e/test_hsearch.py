# HSEARCH pattern WHERE field op value [AND|OR ...] [LIMIT offset count] [SORTBY field
# ASC|DESC] [COUNT]. The same answers whether the schema indexes serve the query or a scan
# does; checked against a Python model on random data and queries, and after every kind of
# change the indexes must follow (updates, HDEL, delete, rename, expiry, flush).
import fnmatch
import random
import sys
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.resp_raw import RawConn  # noqa: E402
from lib.vole_proc import wait_until  # noqa: E402


def hs(r, *args):
    out = r.execute_command("HSEARCH", *args)
    if isinstance(out, int):
        return out
    return [(k, dict(zip(f[::2], f[1::2]))) for k, f in out]


def schema_set(r, *args):
    """SCHEMA.SET, then waits until the cron has filled the indexes (INFO keyspace)."""
    assert r.execute_command("SCHEMA.SET", *args) == "OK"
    assert wait_until(lambda: r.info("keyspace")["hsearch_index"]["status"] == "ready", 10)


def keys(r, *args):
    return [k for k, _ in hs(r, *args)]


@pytest.fixture
def clean(vr):
    for p in vr.execute_command("SCHEMA.LIST"):
        vr.execute_command("SCHEMA.DEL", p)
    yield vr
    for p in vr.execute_command("SCHEMA.LIST"):
        vr.execute_command("SCHEMA.DEL", p)


def spec_users(r):
    r.hset("user:1", mapping={"name": "John", "age": 25, "status": "active"})
    r.hset("user:2", mapping={"name": "Jane", "age": 32, "status": "active"})
    r.hset("user:3", mapping={"name": "Bob", "age": 17, "status": "inactive"})


@pytest.mark.parametrize("indexed", [False, True])
def test_spec_example(clean, indexed):
    r = clean
    if indexed:
        schema_set(r, "user:*", "name:string", "age:int", "status:string")
    spec_users(r)
    got = hs(r, "user:*", "WHERE", "age", ">", "18", "AND", "status", "=", "active",
             "LIMIT", 0, 50)
    assert got == [("user:1", {"name": "John", "age": "25", "status": "active"}),
                   ("user:2", {"name": "Jane", "age": "32", "status": "active"})]
    assert hs(r, "user:*", "WHERE", "age", ">", "18", "COUNT") == 2
    assert keys(r, "user:*", "WHERE", "age", "<=", "25", "OR", "name", "=", "Jane") == \
        ["user:1", "user:2", "user:3"]
    assert keys(r, "user:*", "WHERE", "name", "CONTAINS", "o") == ["user:1", "user:3"]
    assert keys(r, "user:*", "WHERE", "name", "STARTSWITH", "J") == ["user:1", "user:2"]
    assert keys(r, "user:*", "WHERE", "status", "!=", "active") == ["user:3"]
    assert keys(r, "user:*", "WHERE", "age", "=", "25.0") == ["user:1"]  # numeric equality
    assert keys(r, "user:*", "SORTBY", "age", "DESC") == ["user:2", "user:1", "user:3"]
    assert keys(r, "user:*", "SORTBY", "name") == ["user:3", "user:2", "user:1"]
    assert keys(r, "user:*", "SORTBY", "age", "ASC", "LIMIT", 1, 1) == ["user:1"]
    assert keys(r, "*") == ["user:1", "user:2", "user:3"]
    assert keys(r, "user:*", "WHERE", "missing", "=", "x") == []
    assert keys(r, "user:*", "WHERE", "missing", "!=", "x") == []


OPS = ["=", "!=", ">", "<", ">=", "<=", "CONTAINS", "STARTSWITH"]


def model_cond(h, field, op, value):
    if field not in h:
        return False
    v = h[field]
    if op == "CONTAINS":
        return value in v
    if op == "STARTSWITH":
        return v.startswith(value)

    def num(s):
        try:
            x = float(s)
            return None if x != x else x
        except ValueError:
            return None
    a, b = num(v), num(value)
    if a is not None and b is not None:
        cmp = (a > b) - (a < b)
    else:
        x, y = v.encode(), value.encode()
        cmp = (x > y) - (x < y)
    return {"=": cmp == 0, "!=": cmp != 0, ">": cmp > 0, "<": cmp < 0, ">=": cmp >= 0,
            "<=": cmp <= 0}[op]


def model(data, pattern, groups):
    out = []
    for k in sorted(data, key=lambda s: s.encode()):
        if not fnmatch.fnmatchcase(k, pattern):
            continue
        h = data[k]
        if not groups or any(all(model_cond(h, *c) for c in g) for g in groups):
            out.append(k)
    return out


def random_query(rng):
    groups = []
    for _ in range(rng.randint(1, 3)):
        g = []
        for _ in range(rng.randint(1, 3)):
            field = rng.choice(["age", "score", "city", "name", "nope"])
            op = rng.choice(OPS)
            if field in ("age", "score"):
                value = str(rng.choice([rng.randint(-5, 105), round(rng.uniform(0, 50), 1)]))
            else:
                value = rng.choice(["paris", "rome", "oslo", "n1", "n", "o", "zzz"])
            g.append((field, op, value))
        groups.append(g)
    args = ["WHERE"]
    for gi, g in enumerate(groups):
        if gi:
            args.append("OR")
        for ci, c in enumerate(g):
            if ci:
                args.append("AND")
            args.extend(c)
    return groups, args


@pytest.mark.parametrize("indexed", [False, True])
def test_random_against_model(clean, indexed):
    r = clean
    rng = random.Random(7 + indexed)
    if indexed:
        schema_set(r, "p:*", "age:int", "score:float", "city:string")
    data = {}
    pipe = r.pipeline(transaction=False)
    for i in range(400):
        k = f"p:{i}" if i % 10 else f"q:{i}"
        h = {"age": str(rng.randint(0, 100)), "city": rng.choice(["paris", "rome", "oslo"]),
             "name": f"n{i}"}
        if rng.random() < 0.7:
            h["score"] = str(round(rng.uniform(0, 50), 1))
        data[k] = h
        pipe.hset(k, mapping=h)
    pipe.execute()
    for _ in range(150):
        groups, args = random_query(rng)
        for pattern in ("p:*", "*", "p:1*"):
            assert keys(r, pattern, *args) == model(data, pattern, groups), (pattern, args)
    # the index follows changes
    for i in range(1, 400, 7):
        k = f"p:{i}" if i % 10 else f"q:{i}"
        op = rng.choice(["update", "hdel", "del", "rename"])
        if op == "update":
            data[k]["age"] = str(rng.randint(0, 100))
            r.hset(k, "age", data[k]["age"])
        elif op == "hdel":
            data[k].pop("city", None)
            r.hdel(k, "city")
        elif op == "del":
            del data[k]
            r.delete(k)
        else:
            nk = k + ":moved"
            data[nk] = data.pop(k)
            r.rename(k, nk)
    r.hincrby("p:3", "age", 1000)
    data["p:3"]["age"] = str(int(data["p:3"]["age"]) + 1000)
    for _ in range(100):
        groups, args = random_query(rng)
        for pattern in ("p:*", "*"):
            assert keys(r, pattern, *args) == model(data, pattern, groups), (pattern, args)


def test_index_follows_expiry_flush_and_schema_changes(clean):
    r = clean
    schema_set(r, "u:*", "age:int")
    r.hset("u:1", "age", 10)
    r.hset("u:2", "age", 20)
    assert keys(r, "u:*", "WHERE", "age", ">", 5) == ["u:1", "u:2"]
    r.pexpire("u:1", 30)
    assert wait_until(lambda: keys(r, "u:*", "WHERE", "age", ">", 5) == ["u:2"], 5)
    r.set("u:2", "now a string")
    assert keys(r, "u:*", "WHERE", "age", ">", 5) == []
    r.hset("u:3", "age", 30)
    schema_set(r, "u:*", "age:int", "tag:string")
    r.hset("u:4", "tag", "x")  # no age: allowed, not required
    assert keys(r, "u:*", "WHERE", "tag", "=", "x", "OR", "age", ">=", 30) == ["u:3", "u:4"]
    r.flushdb()
    assert keys(r, "u:*", "WHERE", "age", ">", 0) == []
    r.hset("v:1", "age", 5)
    r.execute_command("COPY", "v:1", "u:9")
    assert keys(r, "u:*", "WHERE", "age", "=", 5) == ["u:9"]


def test_namespaces_are_separate(clean):
    r = clean
    schema_set(r, "u:*", "age:int")
    r.hset("u:1", "age", 1)
    r.execute_command("NAMESPACE", "CREATE", "hsn")
    r.execute_command("NAMESPACE", "USE", "hsn")
    assert keys(r, "u:*", "WHERE", "age", "=", 1) == []
    r.hset("u:1", "age", 2)
    assert keys(r, "u:*", "WHERE", "age", ">", 0) == ["u:1"]
    assert hs(r, "u:*", "WHERE", "age", ">", 0)[0][1] == {"age": "2"}
    r.execute_command("NAMESPACE", "USE", "default")
    r.execute_command("NAMESPACE", "DROP", "hsn")
    assert hs(r, "u:*", "WHERE", "age", ">", 0)[0][1] == {"age": "1"}


def test_errors(clean):
    r = clean
    for bad in (["x", "WHERE"], ["x", "WHERE", "a", "=="], ["x", "WHERE", "a", "~", "1"],
                ["x", "WHERE", "a", "=", "1", "AND"], ["x", "LIMIT", "0"], ["x", "bogus"],
                ["x", "WHERE", "a", "=", "1", "XOR", "b", "=", "2"]):
        with pytest.raises(redis.ResponseError, match="syntax error"):
            r.execute_command("HSEARCH", *bad)
    with pytest.raises(redis.ResponseError, match="LIMIT offset"):
        r.execute_command("HSEARCH", "x", "LIMIT", -1, 5)


def test_resp3_shape(vole_server, clean):
    clean.hset("h:1", "a", "1")
    c = RawConn(vole_server)
    try:
        c.call("HELLO", "3")
        assert c.call("HSEARCH", "h:*", "WHERE", "a", "=", "1") == \
            b"*1\r\n*2\r\n$3\r\nh:1\r\n%1\r\n$1\r\na\r\n$1\r\n1\r\n"
    finally:
        c.close()


def test_index_entries_follow_hdel_and_delete(clean):
    """The indexes hold one entry per indexed field of each hash (INFO keyspace entries=):
    HDEL of an indexed field, of a hash's last field, and DEL take theirs away at once."""
    r = clean
    schema_set(r, "user:*", "name:string", "age:int", "status:string")

    def entries():
        return r.info("keyspace")["hsearch_index"]["entries"]
    spec_users(r)
    assert entries() == 9
    assert r.hdel("user:1", "age", "nosuch", "age") == 1
    assert entries() == 8
    assert keys(r, "user:*", "WHERE", "age", ">", "18") == ["user:2"]
    r.hdel("user:2", "name", "age", "status")  # the last fields: the key goes too
    assert r.exists("user:2") == 0
    assert entries() == 5
    r.delete("user:3")
    assert entries() == 2
    r.hset("user:1", "age", 40)
    assert entries() == 3
    assert keys(r, "user:*", "WHERE", "age", ">", "18") == ["user:1"]

