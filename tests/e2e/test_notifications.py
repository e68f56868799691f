# Keyspace notifications against redis-server: with the same notify-keyspace-events classes,
# the same commands publish the same __keyspace@<db>__ / __keyevent@<db>__ messages, byte for
# byte, in the same order. A subscriber on its own connection collects the frames until a
# marker message published after the commands.
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.resp_raw import DEFAULT_TIMEOUT, RawConn  # noqa: E402
from lib.vole_proc import requires  # noqa: E402

END = b"*3\r\n$7\r\nmessage\r\n$7\r\nnke:end\r\n$3\r\nend\r\n"


def events(server, opened, flags, commands, pattern="__key*__:*", resp3=False):
    """Frames a pattern subscriber receives while commands run with the given classes."""
    ctl, sub = RawConn(server), RawConn(server)
    opened += [ctl, sub]
    assert ctl.call("FLUSHALL") == b"+OK\r\n"
    assert ctl.call("CONFIG", "SET", "notify-keyspace-events", flags) == b"+OK\r\n"
    if resp3:
        sub.send("HELLO", "3")
        sub.frame()
    sub.call("PSUBSCRIBE", pattern)
    sub.call("SUBSCRIBE", "nke:end")
    replies = [ctl.call(*c) for c in commands]
    ctl.call("PUBLISH", "nke:end", "end")
    frames = []
    while True:
        f = sub.frame()
        if f.replace(b">", b"*", 1) == END:
            break
        frames.append(f)
    assert ctl.call("CONFIG", "SET", "notify-keyspace-events", "") == b"+OK\r\n"
    return replies, frames


def compare(servers, opened, flags, commands, **kw):
    out = [events(s, opened, flags, commands, **kw) for s in servers]
    assert out[0] == out[1], f"redis: {out[0]!r}\nvole:  {out[1]!r}"
    return out[0]


CMDS_BY_TYPE = {
    "string": (["set", "incrby", "append", "getdel"], [
        ("SET", "s", "v"), ("SET", "s", "v2", "XX"), ("SET", "s", "v3", "NX"),
        ("INCRBY", "n", "5"), ("APPEND", "s", "x"), ("GETDEL", "s"), ("GETDEL", "s")]),
    "generic": (["del", "expire", "rename", "persist"], [
        ("SET", "g", "1"), ("EXPIRE", "g", "100"), ("PERSIST", "g"), ("RENAME", "g", "g2"),
        ("DEL", "g2", "nosuch"), ("SET", "p", "1"), ("EXPIRE", "p", "-1"), ("DEL", "nosuch")]),
    "list": (["lpush", "rpush", "lpop", "rpop"], [
        ("LPUSH", "l", "a", "b"), ("RPUSH", "l", "c"), ("LPOP", "l"), ("RPOP", "l", "2"),
        ("LPOP", "l")]),
    "hash": (["hset", "hdel", "hincrby"], [
        ("HSET", "h", "f", "v", "g", "w"), ("HINCRBY", "h", "n", "1"), ("HDEL", "h", "f"),
        ("HDEL", "h", "g", "n")]),
    "set": (["sadd", "srem"], [
        ("SADD", "st", "a", "b"), ("SADD", "st", "a"), ("SREM", "st", "a"), ("SREM", "st", "b")]),
    "zset": (["zadd", "zincrby", "zrem"], [
        ("ZADD", "z", "1", "a", "2", "b"), ("ZINCRBY", "z", "1", "a"), ("ZREM", "z", "a", "b")]),
}


@pytest.mark.parametrize("kind", sorted(CMDS_BY_TYPE))
def test_events_of_each_type(servers, opened, kind):
    names, cmds = CMDS_BY_TYPE[kind]
    requires(servers[1], "psubscribe", "publish", *names)
    replies, frames = compare(servers, opened, "KEA", cmds)
    assert frames, "no event published"
    # with key creation ("new") and key misses too
    compare(servers, opened, "KEAnm", cmds)


def test_class_filters(servers, opened):
    requires(servers[1], "psubscribe", "lpush", "hset")
    cmds = [("SET", "a", "1"), ("LPUSH", "l", "x"), ("HSET", "h", "f", "v"), ("DEL", "a", "l"),
            ("EXPIRE", "h", "100")]
    for flags in ("K$", "E$", "Kl", "Eg", "KEh", "Kg$", "E", "K", "", "AK", "Ax"):
        compare(servers, opened, flags, cmds)


def test_key_miss_and_new(servers, opened):
    requires(servers[1], "psubscribe", "hget", "lrange")
    cmds = [("GET", "missing"), ("EXISTS", "missing"), ("SET", "k", "1"), ("GET", "k"),
            ("SET", "k", "2"), ("HGET", "nohash", "f"), ("LRANGE", "nolist", "0", "-1"),
            ("TYPE", "missing"), ("INCR", "fresh"), ("MGET", "m1", "k", "m2")]
    for flags in ("Km", "Em", "KEA", "KEAm", "KEn", "Knm"):
        _, frames = compare(servers, opened, flags, cmds)
    # the miss class is not part of A
    _, frames = compare(servers, opened, "KEA", [("GET", "missing")])
    assert frames == []


def test_other_database_and_channel_subscriber(servers, opened):
    cmds = [("SELECT", "5"), ("SET", "k5", "v"), ("DEL", "k5"), ("SELECT", "0"),
            ("SET", "k0", "v")]
    compare(servers, opened, "KEA", cmds)
    # a plain channel subscription to one key's keyspace channel
    compare(servers, opened, "KEA", [("SET", "one", "1"), ("SET", "two", "2"), ("DEL", "one")],
            pattern="__keyspace@0__:on?")


def test_binary_and_long_keys(servers, opened):
    key = b"bin\x00key\r\n" + b"x" * 400
    compare(servers, opened, "KEA", [("SET", key, "v"), ("DEL", key)])


def test_resp3_subscriber(servers, opened):
    compare(servers, opened, "KEA", [("SET", "r", "1"), ("DEL", "r")], resp3=True)


def test_expired_event(servers, opened):
    """A key set with PX 50 publishes "expired" once it is removed (by the active cycle here, or
    by an access): polled with a deadline, never slept for."""
    out = []
    for server in servers:
        ctl, sub = RawConn(server), RawConn(server)
        opened += [ctl, sub]
        assert ctl.call("FLUSHALL") == b"+OK\r\n"
        ctl.call("CONFIG", "SET", "notify-keyspace-events", "KEA")
        sub.call("PSUBSCRIBE", "__key*__:*")
        got = [ctl.call("SET", "ex", "v", "PX", "50")]
        got += sub.frames(2)  # set
        got += sub.frames(2, timeout=DEFAULT_TIMEOUT)  # expired, keyspace then keyevent
        got.append(ctl.call("EXISTS", "ex"))
        ctl.call("CONFIG", "SET", "notify-keyspace-events", "")
        out.append(got)
    assert out[0] == out[1], f"redis: {out[0]!r}\nvole:  {out[1]!r}"
