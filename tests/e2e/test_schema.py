# Hash schemas: SCHEMA.SET pattern field:type[:required]... enforced on HSET, HMSET, HSETNX,
# HINCRBY, HINCRBYFLOAT with "ERR schema violation: field 'age' must be int" style errors;
# nothing is written when any field fails.
import pytest
import redis


def sset(r, pattern, *fields):
    return r.execute_command("SCHEMA.SET", pattern, *fields)


@pytest.fixture
def schema(vr):
    for p in vr.execute_command("SCHEMA.LIST"):
        vr.execute_command("SCHEMA.DEL", p)
    assert sset(vr, "user:*", "name:string", "age:int", "email:email", "score:float",
                "active:bool") == "OK"
    yield vr
    for p in vr.execute_command("SCHEMA.LIST"):
        vr.execute_command("SCHEMA.DEL", p)


def violation(field, what):
    return pytest.raises(redis.ResponseError,
                         match=f"^schema violation: field '{field}' {what}$")


def test_types_enforced(schema):
    r = schema
    assert r.hset("user:1", mapping={"name": "John", "age": 25, "email": "john@example.com"}) == 3
    with violation("age", "must be int"):
        r.hset("user:2", mapping={"name": "Jane", "age": "notanumber"})
    assert r.exists("user:2") == 0
    with violation("email", "must be email"):
        r.hset("user:1", "email", "not-an-email")
    with violation("score", "must be float"):
        r.hset("user:1", "score", "1.5x")
    with violation("active", "must be bool"):
        r.hset("user:1", "active", "maybe")
    for ok in ("true", "false", "1", "0", "yes", "no", "TRUE"):
        r.hset("user:1", "active", ok)
    r.hset("user:1", mapping={"score": "-1.5e3", "age": "-7"})
    # fields the schema does not declare are free
    r.hset("user:1", "nickname", "anything at all")
    # keys the pattern does not match are free
    assert r.hset("account:1", "age", "old") == 1


def test_nothing_written_on_failure(schema):
    r = schema
    r.hset("user:1", mapping={"name": "A", "age": 1})
    with violation("age", "must be int"):
        r.hset("user:1", mapping={"name": "B", "other": "x", "age": "1.5"})
    assert r.hgetall("user:1") == {"name": "A", "age": "1"}
    with violation("age", "must be int"):
        r.execute_command("HMSET", "user:1", "name", "C", "age", "x")
    with violation("age", "must be int"):
        r.hsetnx("user:9", "age", "x")
    assert r.exists("user:9") == 0
    # HSETNX on an existing field writes nothing, so nothing is checked
    assert r.hsetnx("user:1", "age", "x") == 0
    assert r.hgetall("user:1") == {"name": "A", "age": "1"}


def test_incr_checked(schema):
    r = schema
    r.hset("user:1", mapping={"age": 1, "score": 1, "email": "a@b.co"})
    assert r.hincrby("user:1", "age", 2) == 3
    assert r.hincrbyfloat("user:1", "score", 0.5) == 1.5
    with violation("age", "must be int"):
        r.hincrbyfloat("user:1", "age", 0.5)
    assert r.hget("user:1", "age") == "3"
    assert r.hincrbyfloat("user:1", "age", 2) == 5  # stays an integer: allowed
    with pytest.raises(redis.ResponseError, match="hash value is not an integer"):
        r.hincrby("user:1", "email", 1)  # Redis's own check comes first
    with violation("email", "must be email"):
        r.hincrby("user:new", "email", 1)
    assert r.exists("user:new") == 0


def test_required(schema):
    r = schema
    sset(r, "order:*", "id:int:required", "note:required", "qty:int")
    with violation("id", "is required"):
        r.hset("order:1", "qty", 3)
    with violation("note", "is required"):
        r.hset("order:1", mapping={"id": 1})
    assert r.exists("order:1") == 0
    assert r.hset("order:1", mapping={"id": 1, "note": "n"}) == 2
    # present in the hash already: later writes need not repeat it
    assert r.hset("order:1", "qty", 5) == 1
    assert r.execute_command("SCHEMA.GET", "order:*") == [
        "id", "int:required", "note", "string:required", "qty", "int"]


def test_several_schemas_apply(schema):
    r = schema
    sset(r, "user:admin:*", "level:int")
    with violation("level", "must be int"):
        r.hset("user:admin:1", "level", "high")
    with violation("age", "must be int"):
        r.hset("user:admin:1", "age", "old")
    assert r.hset("user:admin:1", mapping={"level": 3, "age": 40}) == 2


def test_get_list_del_replace(schema):
    r = schema
    assert r.execute_command("SCHEMA.LIST") == ["user:*"]
    sset(r, "a:*", "x:int")
    assert r.execute_command("SCHEMA.LIST") == ["a:*", "user:*"]
    assert r.execute_command("SCHEMA.GET", "a:*") == ["x", "int"]
    sset(r, "a:*", "x:string")  # replaces
    assert r.execute_command("SCHEMA.GET", "a:*") == ["x", "string"]
    r.hset("a:1", "x", "text")
    assert r.execute_command("SCHEMA.DEL", "a:*") == 1
    assert r.execute_command("SCHEMA.DEL", "a:*") == 0
    assert r.execute_command("SCHEMA.GET", "a:*") is None
    assert r.execute_command("SCHEMA.LIST") == ["user:*"]


def test_schema_errors(schema):
    r = schema
    for bad in ("age", "age:number", ":int", "age:int:optional", "age:int:required:x"):
        with pytest.raises(redis.ResponseError, match="invalid schema field"):
            sset(r, "x:*", bad)
    with pytest.raises(redis.ResponseError, match="declared twice"):
        sset(r, "x:*", "a:int", "a:float")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        r.execute_command("SCHEMA.SET", "x:*")
    assert r.execute_command("SCHEMA.GET", "x:*") is None
