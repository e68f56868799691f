# Streams against redis-server where the replies depend on the clock or need several
# connections: time-based IDs (`*`, `ms-*`) are monotonic and near the server's time, idle
# times and delivery times move as they should, and the keyspace events of every stream
# command match Redis's byte for byte, in order.
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.resp_raw import RawConn  # noqa: E402
from lib.vole_proc import requires  # noqa: E402

END = b"*3\r\n$7\r\nmessage\r\n$7\r\nxev:end\r\n$3\r\nend\r\n"
STREAM_CMDS = ("xadd", "xrange", "xdel", "xtrim", "xsetid", "xgroup", "xreadgroup", "xack",
               "xpending", "xclaim", "xautoclaim", "xinfo")


def bulk(reply):
    """The payload of a bulk string reply."""
    assert reply.startswith(b"$"), reply
    return reply.split(b"\r\n")[1]


def parse_id(b):
    ms, seq = b.split(b"-")
    return int(ms), int(seq)


def ints(reply):
    """Every integer of a (nested) RESP2 reply, in order."""
    return [int(line[1:]) for line in reply.split(b"\r\n") if line.startswith(b":")]


def test_auto_ids_monotonic(servers, opened):
    requires(servers[1], *STREAM_CMDS)
    for server in servers:
        c = RawConn(server)
        opened.append(c)
        c.call("FLUSHALL")
        before = int(time.time() * 1000)
        ids = [parse_id(bulk(c.call("XADD", "s", "*", "f", str(i)))) for i in range(300)]
        after = int(time.time() * 1000)
        assert ids == sorted(set(ids))
        assert before - 5 <= ids[0][0] <= after + 5
        assert ids[-1][0] <= after + 5
        # an explicit ID in the future, then `*` continues its sequence
        fut = ids[-1][0] + 10_000_000
        assert bulk(c.call("XADD", "s", f"{fut}-5", "f", "v")) == b"%d-5" % fut
        assert bulk(c.call("XADD", "s", "*", "f", "v")) == b"%d-6" % fut
        assert bulk(c.call("XADD", "s", f"{fut}-*", "f", "v")) == b"%d-7" % fut
        assert bulk(c.call("XADD", "s", f"{fut + 1}-*", "f", "v")) == b"%d-0" % (fut + 1)
        assert c.call("XADD", "s", f"{fut}-*", "f", "v").startswith(b"-ERR The ID specified")
        # `ms-*` on a new stream and a fresh millisecond
        assert bulk(c.call("XADD", "t", "5-*", "f", "v")) == b"5-0"
        assert bulk(c.call("XADD", "t", "5-*", "f", "v")) == b"5-1"
        assert c.call("XLEN", "s") == b":304\r\n"


def test_idle_and_delivery_times(servers, opened):
    requires(servers[1], *STREAM_CMDS)
    for server in servers:
        c = RawConn(server)
        opened.append(c)
        c.call("FLUSHALL")
        c.call("XADD", "s", "1-1", "f", "v")
        c.call("XADD", "s", "2-1", "f", "v")
        c.call("XGROUP", "CREATE", "s", "g", "0")
        c.call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
        t0 = time.time()
        time.sleep(0.15)
        # idle of the pending entries: at least the time slept, at most the time elapsed
        rows = c.call("XPENDING", "s", "g", "-", "+", "10")
        elapsed = int((time.time() - t0) * 1000) + 20
        vals = ints(rows)
        idles, counts = vals[0::2], vals[1::2]
        assert counts == [1, 1]
        assert all(140 <= i <= elapsed for i in idles), (idles, elapsed)
        # IDLE filter and XCLAIM's IDLE / TIME
        assert c.call("XPENDING", "s", "g", "IDLE", "100000", "-", "+", "10") == b"*0\r\n"
        assert ints(c.call("XPENDING", "s", "g", "IDLE", "100", "-", "+", "10"))[1::2] == [1, 1]
        c.call("XCLAIM", "s", "g", "bob", "0", "1-1", "IDLE", "60000", "JUSTID")
        idle = ints(c.call("XPENDING", "s", "g", "-", "+", "1"))[0]
        assert 60000 <= idle <= 61000
        now_ms = int(time.time() * 1000)
        c.call("XCLAIM", "s", "g", "bob", "0", "2-1", "TIME", str(now_ms - 30000), "JUSTID")
        idle = ints(c.call("XPENDING", "s", "g", "-", "+", "10"))[2]
        assert 29000 <= idle <= 31000
        # min-idle-time: the entry idle for 60 s is claimable, the fresh one not
        got = c.call("XCLAIM", "s", "g", "carol", "50000", "1-1", "2-1", "JUSTID")
        assert got == b"*1\r\n$3\r\n1-1\r\n"
        # XINFO CONSUMERS idle grows from zero; XINFO STREAM FULL shows absolute times
        info = c.call("XINFO", "CONSUMERS", "s", "g")
        assert info.count(b"$4\r\nidle\r\n") == 3
        full = c.call("XINFO", "STREAM", "s", "FULL")
        seen = [v for v in ints(full) if v > 10**12]
        assert seen and all(abs(v - now_ms) < 120000 for v in seen)


def events(server, opened, commands):
    ctl, sub = RawConn(server), RawConn(server)
    opened += [ctl, sub]
    assert ctl.call("FLUSHALL") == b"+OK\r\n"
    assert ctl.call("CONFIG", "SET", "notify-keyspace-events", "KEA") == b"+OK\r\n"
    sub.call("PSUBSCRIBE", "__key*__:*")
    sub.call("SUBSCRIBE", "xev:end")
    replies = [ctl.call(*cmd) for cmd in commands]
    ctl.call("PUBLISH", "xev:end", "end")
    frames = []
    while True:
        f = sub.frame()
        if f == END:
            break
        frames.append(f)
    assert ctl.call("CONFIG", "SET", "notify-keyspace-events", "") == b"+OK\r\n"
    return replies, frames


EVENT_COMMANDS = [
    ("XADD", "s", "1-1", "f", "v"),
    ("XADD", "s", "2-1", "f", "v"),
    ("XADD", "s", "3-1", "f", "v"),
    ("XADD", "s", "MAXLEN", "2", "4-1", "f", "v"),
    ("XADD", "s", "MAXLEN", "10", "5-1", "f", "v"),
    ("XADD", "nokey", "NOMKSTREAM", "1-1", "f", "v"),
    ("XADD", "s", "1-1", "f", "v"),
    ("XDEL", "s", "9-9"),
    ("XDEL", "s", "3-1"),
    ("XTRIM", "s", "MAXLEN", "10"),
    ("XTRIM", "s", "MAXLEN", "1"),
    ("XSETID", "s", "10-0"),
    ("XSETID", "s", "1-0"),
    ("XADD", "s", "11-1", "f", "v"),
    ("XADD", "s", "12-1", "f", "v"),
    ("XGROUP", "CREATE", "s", "g", "0"),
    ("XGROUP", "CREATE", "s", "g", "0"),
    ("XGROUP", "CREATE", "m", "g", "$", "MKSTREAM"),
    ("XGROUP", "SETID", "s", "g", "0"),
    ("XGROUP", "CREATECONSUMER", "s", "g", "c0"),
    ("XGROUP", "CREATECONSUMER", "s", "g", "c0"),
    ("XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "s", ">"),
    ("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"),
    ("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"),
    ("XREADGROUP", "GROUP", "g", "c9", "STREAMS", "s", "0"),
    ("XACK", "s", "g", "11-1"),
    ("XCLAIM", "s", "g", "c2", "0", "12-1", "JUSTID"),
    ("XCLAIM", "s", "g", "c3", "0", "99-1"),
    ("XDEL", "s", "12-1"),
    ("XAUTOCLAIM", "s", "g", "c4", "0", "0"),
    ("XGROUP", "DELCONSUMER", "s", "g", "c1"),
    ("XGROUP", "DELCONSUMER", "s", "g", "nobody"),
    ("XGROUP", "DESTROY", "s", "g"),
    ("XGROUP", "DESTROY", "s", "g"),
    ("XDEL", "s", "11-1", "4-1", "5-1"),
    ("EXISTS", "s"),
    ("DEL", "s"),
]


def test_keyspace_events(servers, opened):
    r, v = servers
    requires(v, *STREAM_CMDS)
    want = events(r, opened, EVENT_COMMANDS)
    got = events(v, opened, EVENT_COMMANDS)
    assert got[0] == want[0]
    assert got[1] == want[1]
