# MONITOR against redis-server: a monitor connection watches another client's commands; every
# line must match Redis byte for byte once the timestamp and the client's address are masked
# (the address is checked separately against the client's own CLIENT INFO addr).
import re
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.resp_raw import RawConn  # noqa: E402
from lib.vole_proc import requires  # noqa: E402

LINE = re.compile(rb"^\+(\d+)\.(\d{6}) \[(\d+) ([^\]]+)\] (.*)\r\n$", re.S)


@pytest.fixture
def both(servers):
    requires(servers[1], "monitor", "multi", "exec", "subscribe", "blpop", "lpush")
    opened = []

    def conn(server):
        c = RawConn(server)
        opened.append(c)
        return c

    for s in servers:
        c = conn(s)
        assert c.call("FLUSHALL") == b"+OK\r\n"
    yield servers, conn
    for c in opened:
        c.close()


def addr_of(c):
    info = c.call("CLIENT", "INFO").decode()
    return re.search(r" addr=(\S+)", info).group(1).encode()


def masked(frame, addrs):
    """The monitor line with its timestamp replaced; the address must be a known client's."""
    m = LINE.match(frame)
    if not m:
        return frame
    assert abs(int(m.group(1)) - time.time()) < 60, frame
    who = addrs.get(m.group(4), b"?" + m.group(4))
    return b"+TS [" + m.group(3) + b" " + who + b"] " + m.group(5) + b"\r\n"


def until_end(mon, a, addrs):
    """Monitor lines up to the one of an ECHO END sent by a (a barrier)."""
    a.call("ECHO", "END")
    out = []
    while True:
        f = masked(mon.frame(), addrs)
        out.append(f)
        if f.endswith(b'"ECHO" "END"\r\n'):
            return out


def run_both(servers, conn, scenario):
    out = [scenario(s, conn) for s in servers]
    assert out[0] == out[1], f"redis: {out[0]!r}\nvole:  {out[1]!r}"
    return out[0]


def test_monitor_streams_other_clients(both):
    def scenario(server, conn):
        mon, a = conn(server), conn(server)
        addrs = {addr_of(mon): b"MON", addr_of(a): b"A"}
        t = [mon.call("MONITOR")]
        cmds = [("SET", b'k\n"\\x', b"a\x01\xff\t\a\b\r b\x7f \x00"), ("GET", "missing"),
                ("SELECT", "3"), ("ECHO", ""), ("DEL", "k"), ("SELECT", "0"),
                ("HELLO", "2", "AUTH", "user", "secret"),  # redacted credentials
                ("CLIENT", "ID"), ("CLIENT", "LIST"),      # admin: not shown
                ("CONFIG", "GET", "maxmemory"), ("DEBUG", "SLEEP", "0"),
                ("NOSUCHCOMMAND", "x"), ("GET",),          # rejected: not shown
                ("PING",)]
        for cmd in cmds:
            r = a.call(*cmd)
            t.append(r[:1] if cmd[0] == "CLIENT" else r[:14])  # ids differ
        t += until_end(mon, a, addrs)
        t.append(mon.call("PING"))  # its own commands show too, after the reply
        t.append(masked(mon.frame(), addrs))
        assert mon.nothing_pending(0.1)
        return t

    t = run_both(*both, scenario)
    assert t.count(b"+PONG\r\n") == 2


def test_monitor_multi_exec_order(both):
    def scenario(server, conn):
        mon, a = conn(server), conn(server)
        addrs = {addr_of(mon): b"MON", addr_of(a): b"A"}
        t = [mon.call("MONITOR")]
        t += [a.call("MULTI"), a.call("SET", "x", "1"), a.call("INCR", "x"), a.call("EXEC")]
        t += [a.call("MULTI"), a.call("NOSUCH"), a.call("EXEC")]  # EXECABORT still shows
        t += [a.call("MULTI"), a.call("MONITOR"), a.call("EXEC")]  # refused inside EXEC
        t += until_end(mon, a, addrs)
        assert mon.nothing_pending(0.1)
        return t

    run_both(*both, scenario)


def test_monitor_client_restrictions_and_reset(both):
    def scenario(server, conn):
        mon, a = conn(server), conn(server)
        addrs = {addr_of(mon): b"MON", addr_of(a): b"A"}
        t = [mon.call("MONITOR")]
        flags = re.search(rb"flags=(\S+)", mon.call("CLIENT", "INFO")).group(1)
        t.append(flags)
        t.append(masked(mon.frame(), addrs))  # its own CLIENT INFO
        t.append(mon.call("GET", "k"))     # keyspace refused
        t.append(mon.call("SET", "k", "v"))
        mon.send("MONITOR")                # ignored: no reply at all
        t.append(mon.call("ECHO", "hi"))
        t.append(masked(mon.frame(), addrs))
        t.append(mon.call("SUBSCRIBE", "ch"))
        t.append(masked(mon.frame(), addrs))
        t.append(a.call("PUBLISH", "ch", "m"))
        t.append(mon.frame())
        t.append(masked(mon.frame(), addrs))
        t.append(mon.call("RESET"))
        t.append(a.call("SET", "k", "v"))
        t.append(mon.call("PING"))
        assert mon.nothing_pending(0.1)
        t.append(re.search(rb"flags=(\S+)", mon.call("CLIENT", "INFO")).group(1))
        return t

    run_both(*both, scenario)


def test_monitor_blocking_and_resp3(both):
    def scenario(server, conn):
        mon, mon3, a, b = conn(server), conn(server), conn(server), conn(server)
        addrs = {addr_of(mon): b"MON", addr_of(mon3): b"MON3", addr_of(a): b"A",
                 addr_of(b): b"B"}
        t = [mon.call("MONITOR"), mon3.call("HELLO", "3")[:2], mon3.call("MONITOR")]
        t += until_end(mon, a, addrs)
        b.send("BLPOP", "bl", "0")
        t.append(masked(mon.frame(), addrs))  # shown once, when it blocks
        t.append(masked(mon3.frame(), addrs))
        t.append(a.call("LPUSH", "bl", "1"))
        t.append(b.frame())
        t.append(masked(mon.frame(), addrs))
        t.append(masked(mon3.frame(), addrs))
        mon3.close()
        t.append(a.call("SET", "after", "close"))
        t += until_end(mon, a, addrs)
        assert mon.nothing_pending(0.1)
        return t

    run_both(*both, scenario)
