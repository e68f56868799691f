# JSON documents over RESP with redis-py. There is no RedisJSON oracle on this machine: the
# expected replies below are RedisJSON 2.x's documented behaviour (reply shapes, nils, error
# texts), written down before the implementation. $ paths answer per match; legacy paths
# (".a", "a") answer with one value and error when nothing matches.
import json
import sys
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.vole_proc import start_subject, wait_until  # noqa: E402


@pytest.fixture(scope="module")
def server():
    v = start_subject()
    yield v
    rc = v.stop()
    assert rc == 0, f"server exited with {rc}\n{v.log_tail()}"


@pytest.fixture
def r(server):
    c = server.client(decode_responses=True)
    c.flushall()
    yield c
    c.close()


def cmd(r, *args):
    return r.execute_command(*args)


def err(r, *args):
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


def doc(r, key):
    return json.loads(cmd(r, "JSON.GET", key))


# ---------- the spec's examples ----------

def test_spec_examples(r):
    assert cmd(r, "JSON.SET", "user:1", "$",
               '{"name":"John","age":30,"address":{"city":"NYC"}}') == "OK"
    assert cmd(r, "JSON.GET", "user:1", "$.address.city") == '["NYC"]'
    assert cmd(r, "JSON.NUMINCRBY", "user:1", "$.age", "1") == "[31]"
    assert cmd(r, "JSON.DEL", "user:1", "$.address") == 1
    assert cmd(r, "JSON.TYPE", "user:1", "$.name") == ["string"]
    assert cmd(r, "JSON.KEYS", "user:1", "$") == ["name", "age"]
    assert cmd(r, "JSON.SET", "items", "$", '["a","b"]') == "OK"
    assert cmd(r, "JSON.ARRAPPEND", "items", "$", '"c"') == [3]
    assert cmd(r, "JSON.ARRLEN", "items", "$") == [3]
    assert cmd(r, "TYPE", "user:1") == "ReJSON-RL"
    assert cmd(r, "JSON.GET", "user:1") == '{"name":"John","age":31}'


# ---------- JSON.SET ----------

def test_set_rules(r):
    assert err(r, "JSON.SET", "k", "$.a", "1") == "new objects must be created at the root"
    assert err(r, "JSON.SET", "k", ".a", "1") == "new objects must be created at the root"
    assert cmd(r, "JSON.SET", "k", "$", "1", "XX") is None
    assert cmd(r, "EXISTS", "k") == 0
    assert cmd(r, "JSON.SET", "k", ".", '{"a":1}', "NX") == "OK"
    assert cmd(r, "JSON.SET", "k", "$", "2", "NX") is None
    assert cmd(r, "JSON.SET", "k", "$.a", "2", "NX") is None       # exists
    assert cmd(r, "JSON.SET", "k", "$.b", "2", "XX") is None       # missing
    assert cmd(r, "JSON.SET", "k", "$.b", "[1,2]", "NX") == "OK"   # added
    assert cmd(r, "JSON.SET", "k", "a", '"x"') == "OK"             # legacy path
    assert cmd(r, "JSON.SET", "k", "$.x.y", "1") is None           # parent missing
    assert err(r, "JSON.SET", "k", "$..zz", "1") == "wrong static path"
    assert err(r, "JSON.SET", "k", "$.b[5]", "1") == "array index out of range"
    assert cmd(r, "JSON.SET", "k", "$.b[-1]", "9") == "OK"
    assert err(r, "JSON.SET", "k", "$", "1", "GT") == "syntax error"
    assert doc(r, "k") == {"a": "x", "b": [1, 9]}
    # several matches, including one inside another
    cmd(r, "JSON.SET", "n", "$", '{"a":{"a":1},"b":{"a":2}}')
    assert cmd(r, "JSON.SET", "n", "$..a", "0") == "OK"
    assert doc(r, "n") == {"a": 0, "b": {"a": 0}}
    cmd(r, "SET", "str", "v")
    assert err(r, "JSON.SET", "str", "$", "1").startswith("WRONGTYPE Operation against a key")


def test_invalid_json_is_an_error(r):
    for bad in ("{bad", "[1,", "", "nul", '{"a":1}x'):
        with pytest.raises(redis.ResponseError):
            cmd(r, "JSON.SET", "k", "$", bad)
    assert cmd(r, "EXISTS", "k") == 0
    # nesting limit (128 levels, as RedisJSON's parser)
    assert cmd(r, "JSON.SET", "k", "$", "[" * 128 + "]" * 128) == "OK"
    with pytest.raises(redis.ResponseError):
        cmd(r, "JSON.SET", "k", "$", "[" * 129 + "]" * 129)
    # insertions keep the limit too: a 127-level value below $.a.b would make 129
    cmd(r, "JSON.SET", "d", "$", '{"a":{"b":1}}')
    assert err(r, "JSON.SET", "d", "$.a.b", "[" * 127 + "]" * 127) == \
        "the document would nest deeper than 128 levels"
    assert err(r, "JSON.ARRAPPEND", "k", "$" + "[0]" * 127, "[]") == \
        "the document would nest deeper than 128 levels"
    assert cmd(r, "JSON.SET", "d", "$.a.b", "[" * 126 + "]" * 126) == "OK"


# ---------- JSON.GET / MGET / TYPE ----------

def test_get_shapes(r):
    cmd(r, "JSON.SET", "k", "$", '{"a":1,"b":[1,2],"c":{"d":null}}')
    assert cmd(r, "JSON.GET", "k") == '{"a":1,"b":[1,2],"c":{"d":null}}'
    assert cmd(r, "JSON.GET", "k", ".a") == "1"
    assert cmd(r, "JSON.GET", "k", "b") == "[1,2]"
    assert cmd(r, "JSON.GET", "k", "$.a") == "[1]"
    assert cmd(r, "JSON.GET", "k", "$.zz") == "[]"
    assert err(r, "JSON.GET", "k", ".zz") == "Path '$.zz' does not exist"
    assert json.loads(cmd(r, "JSON.GET", "k", ".a", ".b")) == {".a": 1, ".b": [1, 2]}
    assert json.loads(cmd(r, "JSON.GET", "k", "$.a", ".b")) == {"$.a": [1], ".b": [[1, 2]]}
    assert err(r, "JSON.GET", "k", ".a", ".zz") == "Path '.zz' does not exist"
    assert cmd(r, "JSON.GET", "missing") is None
    assert cmd(r, "JSON.GET", "k", "INDENT", "\t", "NEWLINE", "\n", "SPACE", " ", ".") == \
        '{\n\t"a": 1,\n\t"b": [\n\t\t1,\n\t\t2\n\t],\n\t"c": {\n\t\t"d": null\n\t}\n}'
    assert cmd(r, "JSON.GET", "k", "SPACE", " ", "$.c") == '[{"d": null}]'
    assert cmd(r, "JSON.GET", "k", "INDENT", "  ", "$.zz") == "[]"
    assert cmd(r, "JSON.GET", "k", "NOESCAPE", ".a") == "1"
    assert err(r, "JSON.GET", "k", "$.a[").startswith("JSON Path error")
    # a path echoed in an error never breaks the protocol
    assert err(r, "JSON.GET", "k", ".a\r\nb") == "Path '$.a  b' does not exist"
    assert cmd(r, "PING") is True


def test_number_and_string_forms(r):
    cmd(r, "JSON.SET", "k", "$", '[1.0, 0.1, 1e21, 1.5e-7, 100, -0.0, 3.14, 1e2, 0.00001, '
        '123456789012345678, -5, 2.5E+3]')
    assert cmd(r, "JSON.GET", "k") == \
        "[1.0,0.1,1e21,1.5e-7,100,-0.0,3.14,100.0,0.00001,123456789012345678,-5,2500.0]"
    cmd(r, "JSON.SET", "s", "$", r'"a\"b\\c\u0001\n\/é"')
    assert cmd(r, "JSON.GET", "s") == r'"a\"b\\c\u0001\n/é"'
    assert cmd(r, "JSON.STRLEN", "s") == 10  # bytes: a " b \ c \x01 \n / and é (2)


def test_mget(r):
    cmd(r, "JSON.SET", "a", "$", '{"x":1}')
    cmd(r, "JSON.SET", "b", "$", '{"y":2}')
    cmd(r, "SET", "s", "str")
    assert cmd(r, "JSON.MGET", "a", "b", "nope", "s", "$.x") == ["[1]", "[]", None, None]
    assert cmd(r, "JSON.MGET", "a", "b", ".x") == ["1", None]


def test_type(r):
    cmd(r, "JSON.SET", "k", "$", '{"n":null,"b":true,"i":1,"f":1.5,"s":"x","a":[],"o":{}}')
    assert cmd(r, "JSON.TYPE", "k", "$.*") == \
        ["null", "boolean", "integer", "number", "string", "array", "object"]
    assert cmd(r, "JSON.TYPE", "k") == "object"
    assert cmd(r, "JSON.TYPE", "k", ".f") == "number"
    assert cmd(r, "JSON.TYPE", "k", ".zz") is None
    assert cmd(r, "JSON.TYPE", "k", "$.zz") == []
    assert cmd(r, "JSON.TYPE", "missing") is None


# ---------- JSON.DEL / FORGET / CLEAR ----------

def test_del(r):
    cmd(r, "JSON.SET", "k", "$", '{"a":{"a":1},"b":{"a":2},"arr":[1,2,3,4]}')
    assert cmd(r, "JSON.DEL", "k", "$..a") == 2          # the nested a goes with its parent
    assert doc(r, "k") == {"b": {}, "arr": [1, 2, 3, 4]}
    assert cmd(r, "JSON.DEL", "k", "$.arr[?(@>2)]") == 2
    assert cmd(r, "JSON.FORGET", "k", ".arr[0]") == 1
    assert doc(r, "k") == {"b": {}, "arr": [2]}
    assert cmd(r, "JSON.DEL", "k", "$.zz") == 0
    assert cmd(r, "JSON.DEL", "k", "$.arr[*]") == 1
    assert cmd(r, "JSON.DEL", "k") == 1
    assert cmd(r, "EXISTS", "k") == 0
    assert cmd(r, "JSON.DEL", "k") == 0
    cmd(r, "JSON.SET", "k", "$", '{"a":1}')
    assert cmd(r, "JSON.DEL", "k", "$") == 1
    assert cmd(r, "EXISTS", "k") == 0


def test_clear(r):
    cmd(r, "JSON.SET", "k", "$", '{"a":[1],"o":{"x":1},"n":5,"f":0,"s":"x","e":[]}')
    assert cmd(r, "JSON.CLEAR", "k", "$.*") == 3
    assert doc(r, "k") == {"a": [], "o": {}, "n": 0, "f": 0, "s": "x", "e": []}
    assert cmd(r, "JSON.CLEAR", "k") == 1
    assert doc(r, "k") == {}
    assert err(r, "JSON.CLEAR", "nope") == \
        "could not perform this operation on a key that doesn't exist"
    cmd(r, "JSON.SET", "k", "$", '{"o":{"o":{"n":1}}}')
    assert cmd(r, "JSON.CLEAR", "k", "$..o") == 1  # the inner one left with the outer
    assert doc(r, "k") == {"o": {}}


# ---------- numbers, booleans, strings ----------

def test_numincrby_nummultby(r):
    cmd(r, "JSON.SET", "k", "$", '{"a":1,"b":"x","c":1.5}')
    assert cmd(r, "JSON.NUMINCRBY", "k", "$.*", "2") == "[3,null,3.5]"
    assert cmd(r, "JSON.NUMINCRBY", "k", ".a", "2") == "5"
    assert cmd(r, "JSON.NUMMULTBY", "k", "$.a", "1.5") == "[7.5]"
    assert cmd(r, "JSON.NUMINCRBY", "k", ".c", "0.5") == "4.0"
    assert err(r, "JSON.NUMINCRBY", "k", ".b", "1") == \
        "Path '$.b' does not exist or does not contains a number"
    assert cmd(r, "JSON.NUMINCRBY", "k", "$.zz", "1") == "[]"
    assert err(r, "JSON.NUMINCRBY", "k", "$.a", '"x"') == "bad input number"
    with pytest.raises(redis.ResponseError):
        cmd(r, "JSON.NUMINCRBY", "k", "$.a", "abc")
    cmd(r, "JSON.SET", "k", "$.big", "1e308")
    assert err(r, "JSON.NUMMULTBY", "k", "$.big", "10") == "result is not a number"
    assert err(r, "JSON.NUMINCRBY", "nope", "$.a", "1") == \
        "could not perform this operation on a key that doesn't exist"
    assert doc(r, "k") == {"a": 7.5, "b": "x", "c": 4.0, "big": 1e308}
    cmd(r, "JSON.SET", "i", "$", "9223372036854775807")
    assert cmd(r, "JSON.NUMINCRBY", "i", "$", "1") == "[-9223372036854775808]"  # wraps


def test_toggle(r):
    cmd(r, "JSON.SET", "k", "$", '{"t":true,"n":1}')
    assert cmd(r, "JSON.TOGGLE", "k", "$.t") == [0]
    assert cmd(r, "JSON.TOGGLE", "k", "$.*") == [1, None]
    assert cmd(r, "JSON.TOGGLE", "k", ".t") == "false"
    assert err(r, "JSON.TOGGLE", "k", ".n") == "Path '$.n' does not exist or not a bool"
    assert doc(r, "k") == {"t": False, "n": 1}


def test_strappend_strlen(r):
    cmd(r, "JSON.SET", "k", "$", '{"s":"foo","n":1}')
    assert cmd(r, "JSON.STRAPPEND", "k", "$.s", '"bar"') == [6]
    assert cmd(r, "JSON.STRAPPEND", "k", "$.*", '"x"') == [7, None]
    assert cmd(r, "JSON.STRAPPEND", "k", ".s", '"!"') == 8
    assert err(r, "JSON.STRAPPEND", "k", '"x"') == "Path '$' does not exist or not a string"
    assert err(r, "JSON.STRAPPEND", "k", "$.s", "5") == \
        "WRONGTYPE wrong type of path value - expected string but found 5"
    assert cmd(r, "JSON.STRLEN", "k", "$.*") == [8, None]
    assert cmd(r, "JSON.STRLEN", "k", ".s") == 8
    assert err(r, "JSON.STRLEN", "k", ".n") == \
        "WRONGTYPE wrong type of path value - expected string but found integer"
    assert err(r, "JSON.STRLEN", "k", ".zz") == "Path '$.zz' does not exist"
    assert cmd(r, "JSON.STRLEN", "nope", ".s") is None
    assert err(r, "JSON.STRLEN", "nope", "$.s") == \
        "could not perform this operation on a key that doesn't exist"
    assert doc(r, "k") == {"s": "foobarx!", "n": 1}


# ---------- arrays ----------

def test_arrays(r):
    cmd(r, "JSON.SET", "k", "$", '{"a":[1],"b":"x"}')
    assert cmd(r, "JSON.ARRAPPEND", "k", "$.*", "2", "3") == [3, None]
    assert cmd(r, "JSON.ARRAPPEND", "k", ".a", "4") == 4
    assert err(r, "JSON.ARRAPPEND", "k", ".b", "4") == "Path '.b' does not exist or not an array"
    assert cmd(r, "JSON.ARRINSERT", "k", "$.a", "0", '"z"') == [5]
    assert cmd(r, "JSON.ARRINSERT", "k", "$.a", "-1", "9") == [6]
    assert err(r, "JSON.ARRINSERT", "k", "$.a", "10", "1") == "index out of bounds"
    assert err(r, "JSON.ARRINSERT", "k", ".b", "0", "1") == \
        "Path '$.b' does not exist or not an array"
    assert doc(r, "k")["a"] == ["z", 1, 2, 3, 9, 4]
    assert cmd(r, "JSON.ARRINDEX", "k", "$.a", "3") == [3]
    assert cmd(r, "JSON.ARRINDEX", "k", "$.a", '"z"') == [0]
    assert cmd(r, "JSON.ARRINDEX", "k", "$.a", "42") == [-1]
    assert cmd(r, "JSON.ARRINDEX", "k", "$.a", "1", "2") == [-1]
    assert cmd(r, "JSON.ARRINDEX", "k", "$.a", "4", "-3", "0") == [5]
    assert cmd(r, "JSON.ARRINDEX", "k", "$.*", "9") == [4, None]
    assert cmd(r, "JSON.ARRINDEX", "k", ".a", "9") == 4
    assert cmd(r, "JSON.ARRINDEX", "k", ".a", "1.0") == -1        # 1.0 is not the integer 1
    assert err(r, "JSON.ARRINDEX", "k", ".b", "1") == \
        "WRONGTYPE wrong type of path value - expected array but found string"
    assert err(r, "JSON.ARRINDEX", "nope", "$.a", "1") == "Path '$.a' does not exist"
    assert "wrong number of arguments" in err(r, "JSON.ARRINDEX", "k", "$.a", "1", "0", "0", "0")
    assert cmd(r, "JSON.ARRLEN", "k", "$.*") == [6, None]
    assert cmd(r, "JSON.ARRLEN", "k", ".a") == 6
    assert err(r, "JSON.ARRLEN", "k", ".b") == "Path '.b' does not exist or not an array"
    assert err(r, "JSON.ARRLEN", "k", ".zz") == "Path '.zz' does not exist"
    assert cmd(r, "JSON.ARRLEN", "nope") is None
    assert err(r, "JSON.ARRLEN", "nope", "$") == \
        "could not perform this operation on a key that doesn't exist"
    assert cmd(r, "JSON.ARRPOP", "k", "$.a") == ["4"]
    assert cmd(r, "JSON.ARRPOP", "k", ".a", "0") == '"z"'
    assert cmd(r, "JSON.ARRPOP", "k", "$.a", "99") == ["9"]        # clamps to the last
    assert err(r, "JSON.ARRPOP", "k") == "Path '$' does not exist or not an array"
    assert doc(r, "k")["a"] == [1, 2, 3]
    cmd(r, "JSON.SET", "k", "$.e", "[]")
    assert cmd(r, "JSON.ARRPOP", "k", "$.e") == [None]
    assert cmd(r, "JSON.ARRPOP", "k", ".e") is None


def test_arrtrim(r):
    cmd(r, "JSON.SET", "k", "$", '{"a":[0,1,2,3,4],"s":1}')
    assert cmd(r, "JSON.ARRTRIM", "k", "$.a", "1", "3") == [3]
    assert doc(r, "k")["a"] == [1, 2, 3]
    assert cmd(r, "JSON.ARRTRIM", "k", ".a", "0", "-1") == 3
    assert cmd(r, "JSON.ARRTRIM", "k", "$.*", "-2", "99") == [2, None]
    assert doc(r, "k")["a"] == [2, 3]
    assert cmd(r, "JSON.ARRTRIM", "k", "$.a", "5", "10") == [0]
    assert doc(r, "k")["a"] == []


# ---------- objects ----------

def test_objects(r):
    cmd(r, "JSON.SET", "k", "$", '{"o":{"x":1,"y":2},"n":1}')
    assert cmd(r, "JSON.OBJKEYS", "k", "$.*") == [["x", "y"], None]
    assert cmd(r, "JSON.OBJKEYS", "k", ".o") == ["x", "y"]
    assert cmd(r, "JSON.OBJKEYS", "k") == ["o", "n"]
    assert err(r, "JSON.OBJKEYS", "k", ".n") == "Path '$.n' does not exist or not an object"
    assert cmd(r, "JSON.OBJKEYS", "k", ".zz") is None
    assert cmd(r, "JSON.OBJKEYS", "nope") is None
    assert cmd(r, "JSON.OBJLEN", "k", "$.o") == [2]
    assert cmd(r, "JSON.OBJLEN", "k", ".o") == 2
    assert cmd(r, "JSON.OBJLEN", "k") == 2
    assert cmd(r, "JSON.OBJLEN", "k", ".zz") is None
    assert err(r, "JSON.OBJLEN", "k", ".n") == \
        "WRONGTYPE wrong type of path value - expected object but found integer"
    assert cmd(r, "JSON.OBJLEN", "nope") is None
    assert err(r, "JSON.OBJLEN", "nope", "$") == "Path '$' does not exist or not an object"
    # Vole's JSON.KEYS: one flat list
    assert cmd(r, "JSON.KEYS", "k") == ["o", "n"]
    assert cmd(r, "JSON.KEYS", "k", "$.o") == ["x", "y"]
    assert cmd(r, "JSON.KEYS", "k", "$.zz") == []
    assert cmd(r, "JSON.KEYS", "nope") is None
    assert err(r, "JSON.KEYS", "k", "$.n") == \
        "WRONGTYPE wrong type of path value - expected object but found integer"


def test_merge(r):
    cmd(r, "JSON.SET", "k", "$", '{"a":1,"b":{"c":2}}')
    assert cmd(r, "JSON.MERGE", "k", "$", '{"a":null,"b":{"d":3}}') == "OK"
    assert doc(r, "k") == {"b": {"c": 2, "d": 3}}
    assert cmd(r, "JSON.MERGE", "k", "$.b.c", "5") == "OK"
    assert cmd(r, "JSON.MERGE", "k", "$.new", "[7]") == "OK"
    assert doc(r, "k") == {"b": {"c": 5, "d": 3}, "new": [7]}
    assert cmd(r, "JSON.MERGE", "k", "$.b", '{"c":{"x":1},"d":null}') == "OK"
    assert doc(r, "k") == {"b": {"c": {"x": 1}}, "new": [7]}
    assert err(r, "JSON.MERGE", "nope", "$.a", "1") == "new objects must be created at the root"
    assert cmd(r, "JSON.MERGE", "nope", "$", '{"a":1}') == "OK"
    assert doc(r, "nope") == {"a": 1}
    assert cmd(r, "JSON.MERGE", "k", "$.x.y", "1") is None


# ---------- JSONPath ----------

def test_jsonpath(r):
    cmd(r, "JSON.SET", "k", "$", '{"items":[{"p":5,"n":"a"},{"p":15,"n":"b"},{"p":25,"n":"c",'
        '"tags":["x"]}],"meta":{"n":"m"}}')
    g = lambda p: json.loads(cmd(r, "JSON.GET", "k", p))  # noqa: E731
    assert g("$.items[?(@.p > 10)].n") == ["b", "c"]
    assert g("$.items[?(@.p > 10 && @.p < 20)].n") == ["b"]
    assert g("$.items[?(@.p < 10 || @.n == 'c')].n") == ["a", "c"]
    assert g('$.items[?(@.n != "a")].p') == [15, 25]
    assert g("$.items[?(!(@.p >= 15))].n") == ["a"]
    assert g("$.items[?(@.tags)].n") == ["c"]
    assert g('$.items[?(@.n =~ "^[ab]$")].p') == [5, 15]
    assert g("$..n") == ["a", "b", "c", "m"]
    assert g("$.items[-1].n") == ["c"]
    assert g("$.items[0:2].n") == ["a", "b"]
    assert g("$.items[::2].n") == ["a", "c"]
    assert g("$.items[0,2].n") == ["a", "c"]
    assert g("$.items[*].p") == [5, 15, 25]
    assert g("$['items'][0]['n']") == ["a"]
    assert g('$["meta","zz"]') == [{"n": "m"}]
    assert g("$.meta.*") == ["m"]
    assert g("$..[?(@.p == 25)].n") == ["c"]
    assert g("$.items[?(@.p > $.items[0].p)].n") == ["b", "c"]
    assert g("items[1].n") == "b"          # legacy
    assert g(".items[1].n") == "b"
    for bad in ("$.items[", "$.items[?(@.p >)]", "$..", "$.items[1:2:-1]", "$$"):
        assert err(r, "JSON.GET", "k", bad).startswith("JSON Path error")


def test_wrongtype_and_arity(r):
    cmd(r, "SET", "s", "v")
    for args in (("JSON.GET", "s"), ("JSON.DEL", "s"), ("JSON.ARRAPPEND", "s", "$", "1"),
                 ("JSON.STRLEN", "s", "$"), ("JSON.TYPE", "s")):
        e = err(r, *args)
        assert e.startswith("WRONGTYPE Operation against a key holding the wrong kind of value"), args
    assert "wrong number of arguments" in err(r, "JSON.SET", "k", "$")
    assert "wrong number of arguments" in err(r, "JSON.ARRAPPEND", "k", "$")


def test_keyspace_events(server, r):
    r.config_set("notify-keyspace-events", "KEA")
    p = r.pubsub()
    p.psubscribe("__keyspace@0__:ev")
    assert p.get_message(timeout=2)["type"] == "psubscribe"
    cmd(r, "JSON.SET", "ev", "$", '{"a":[1]}')
    cmd(r, "JSON.ARRAPPEND", "ev", "$.a", "2")
    cmd(r, "JSON.GET", "ev")
    cmd(r, "JSON.DEL", "ev", "$.zz")            # changes nothing: no event
    cmd(r, "JSON.DEL", "ev")
    got = []
    wait_until(lambda: (got.extend(m["data"] for m in iter(lambda: p.get_message(timeout=0.1),
                                                             None)), len(got) >= 3)[1], 5)
    assert got == ["json.set", "json.arrappend", "json.del"]
    p.close()
    r.config_set("notify-keyspace-events", "")


def test_redis_py_json_client(r):
    """redis-py's own JSON commands (r.json()) parse Vole's replies."""
    j = r.json()
    assert j.set("doc", "$", {"a": 1, "b": [1, 2], "c": {"d": "x"}})
    assert j.get("doc") == {"a": 1, "b": [1, 2], "c": {"d": "x"}}
    assert j.get("doc", "$.a") == [1]
    assert j.get("doc", ".c.d") == "x"
    assert j.arrappend("doc", "$.b", 3) == [3]
    assert j.numincrby("doc", "$.a", 2) == [3]
    assert j.type("doc", "$.b") == ["array"]
    assert j.objkeys("doc", "$") == [["a", "b", "c"]]
    assert j.mget(["doc", "none"], "$.a") == [[3], None]
    assert j.delete("doc", "$.c") == 1
    assert j.get("doc") == {"a": 3, "b": [1, 2, 3]}


def test_command_docs(r):
    names = ["json.set", "json.get", "json.mget", "json.del", "json.forget", "json.type",
             "json.numincrby", "json.nummultby", "json.strappend", "json.strlen",
             "json.arrappend", "json.arrinsert", "json.arrindex", "json.arrlen", "json.arrpop",
             "json.arrtrim", "json.objkeys", "json.objlen", "json.clear", "json.toggle",
             "json.merge", "json.keys"]
    conn = r.connection_pool.get_connection("COMMAND")  # raw reply: no redis-py callback
    try:
        conn.send_command("COMMAND", "DOCS", *names)
        raw = conn.read_response()
    finally:
        r.connection_pool.release(conn)
    docs = dict(zip(raw[::2], raw[1::2])) if isinstance(raw, list) else raw
    assert sorted(docs) == sorted(names)
    for n in names:
        d = docs[n]
        d = dict(zip(d[::2], d[1::2])) if isinstance(d, list) else d
        assert d["group"] == "json" and d["summary"], n
    info = r.execute_command("COMMAND", "INFO", "json.mget")
    assert info["json.mget"]["arity"] == -3


def test_memory_usage(r):
    cmd(r, "JSON.SET", "k", "$", json.dumps({"f%d" % i: "v" * 20 for i in range(20)}))
    n = cmd(r, "MEMORY", "USAGE", "k")
    assert 1000 < n < 10000


def test_random_commands_keep_documents_valid(r):
    """Random commands with random paths and values (seeded): every reply is a value or an
    error, the server stays up, and the document always reads back as valid JSON."""
    import random
    rnd = random.Random(7)
    paths = ["$", ".", "$.a", ".a", "a", "$.a[0]", "$.a[-1]", "$..a", "$..*", "$.*", "$.b.c",
             "$.a[*]", "$.a[1:3]", "$..[?(@ > 1)]", "$.a[?(@.x == 1)]", "$['a','b']", ".b.c",
             "$..c", "$.z", "$.a[0].x", "$..x", "$[0]", "$.b[?(@ != null)]"]
    values = ['1', '2.5', '"s"', 'true', 'null', '[]', '{}', '[1,2,{"x":1}]', '{"a":[1,{"x":2}]}',
              '{"c":{"a":3}}', '[[1],[2,[3]]]', '"x\\u0000y"', '-7', '1e300']
    commands = [
        lambda p, v: ("JSON.SET", "f", p, v), lambda p, v: ("JSON.GET", "f", p),
        lambda p, v: ("JSON.DEL", "f", p), lambda p, v: ("JSON.NUMINCRBY", "f", p, "3"),
        lambda p, v: ("JSON.NUMMULTBY", "f", p, "-2"), lambda p, v: ("JSON.STRAPPEND", "f", p, '"ab"'),
        lambda p, v: ("JSON.ARRAPPEND", "f", p, v, v), lambda p, v: ("JSON.ARRINSERT", "f", p, "0", v),
        lambda p, v: ("JSON.ARRPOP", "f", p), lambda p, v: ("JSON.ARRTRIM", "f", p, "0", "1"),
        lambda p, v: ("JSON.ARRINDEX", "f", p, v), lambda p, v: ("JSON.CLEAR", "f", p),
        lambda p, v: ("JSON.TOGGLE", "f", p), lambda p, v: ("JSON.MERGE", "f", p, v),
        lambda p, v: ("JSON.OBJKEYS", "f", p), lambda p, v: ("JSON.OBJLEN", "f", p),
        lambda p, v: ("JSON.ARRLEN", "f", p), lambda p, v: ("JSON.STRLEN", "f", p),
        lambda p, v: ("JSON.TYPE", "f", p), lambda p, v: ("JSON.KEYS", "f", p),
    ]
    for i in range(3000):
        if i % 50 == 0:
            cmd(r, "JSON.SET", "f", "$", rnd.choice(values[5:]))
        c = rnd.choice(commands)(rnd.choice(paths), rnd.choice(values))
        try:
            cmd(r, *c)
        except redis.ResponseError:
            pass
        text = cmd(r, "JSON.GET", "f")
        if text is not None:
            json.loads(text)
    assert cmd(r, "PING") is True


def test_resp3_shapes(server, r):
    """RESP3 (RedisJSON's RESP3 guide): the default path is $, numbers from NUMINCRBY are
    numbers, JSON.TYPE gives one array per match."""
    from lib.resp_raw import RawConn
    c = RawConn(server)
    try:
        assert c.call("HELLO", "3").startswith(b"%")
        assert c.call("JSON.SET", "k", "$", '{"a":1,"b":[1],"c":1.5}') == b"+OK\r\n"
        assert c.call("JSON.GET", "k") == b'$25\r\n[{"a":1,"b":[1],"c":1.5}]\r\n'
        assert c.call("JSON.NUMINCRBY", "k", "$.*", "2") == b"*3\r\n:3\r\n_\r\n,3.5\r\n"
        assert c.call("JSON.NUMINCRBY", "k", ".c", "1") == b",4.5\r\n"
        assert c.call("JSON.NUMINCRBY", "k", ".a", "1") == b":4\r\n"
        assert c.call("JSON.TYPE", "k", "$.a") == b"*1\r\n*1\r\n$7\r\ninteger\r\n"
        assert c.call("JSON.TYPE", "k") == b"*1\r\n*1\r\n$6\r\nobject\r\n"
        assert c.call("JSON.ARRLEN", "k") == b"*1\r\n_\r\n"
        assert c.call("JSON.OBJLEN", "k") == b"*1\r\n:3\r\n"
        assert c.call("JSON.TOGGLE", "k", "$.a") == b"*1\r\n_\r\n"
        assert c.call("JSON.DEL", "k") == b":1\r\n"
    finally:
        c.close()
