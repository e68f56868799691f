# Transactions with more than one connection, against redis-server: the same steps (client
# "a" watches and runs MULTI/EXEC, client "b" interferes) go to both servers over raw sockets
# and every reply must be the same bytes. Covers writes, creation, deletion and expiry of
# watched keys by others, FLUSHALL/FLUSHDB/SWAPDB, keys already stale when watched (active
# expiry off), disconnects, and that a transaction's writes are never seen half done.
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.resp_raw import RawConn, encode  # noqa: E402
from lib.vole_proc import requires  # noqa: E402

TX_CMDS = ("multi", "exec", "discard", "watch", "unwatch")
TIMEOUT = 10.0


@pytest.fixture(scope="module")
def server_args():
    """Both servers take DEBUG: the tests turn active expiry off with DEBUG SET-ACTIVE-EXPIRE."""
    return ("--enable-debug-command", "yes")


def pause_ms(ms):
    """Lets a TTL run out: the point is that time passes, not that something gets ready."""
    deadline = time.monotonic() + ms / 1000
    while time.monotonic() < deadline:
        time.sleep(0.005)


@pytest.fixture
def both(servers):
    r, v = servers
    requires(v, *TX_CMDS)
    for s in (r, v):
        c = RawConn(s, timeout=TIMEOUT)
        assert c.call("FLUSHALL") == b"+OK\r\n"
        c.close()
    return servers


def run(srv, steps):
    """Runs steps on srv: ("a"|"b"|"c", *command) sends and reads one reply; ("pause", ms)
    lets time pass. Returns the list of replies."""
    conns = {}
    out = []
    try:
        for step in steps:
            if step[0] == "pause":
                pause_ms(step[1])
                continue
            who = step[0]
            if who not in conns:
                conns[who] = RawConn(srv, timeout=TIMEOUT)
            out.append((who, step[1:], conns[who].call(*step[1:])))
    finally:
        for c in conns.values():
            c.close()
    return out


def compare(both, steps):
    r, v = both
    want = run(r, steps)
    got = run(v, steps)
    for (who, cmd, w), (_, _, g) in zip(want, got):
        assert g == w, f"{who}: {cmd}: redis {w!r} vole {g!r}"
    return want


NIL = b"*-1\r\n"


def tx(who="a", *cmds):
    """MULTI, the commands, EXEC for one client."""
    steps = [(who, "MULTI")]
    steps += [(who, *c) for c in cmds]
    steps.append((who, "EXEC"))
    return steps


def test_other_client_writes_watched_key(both):
    out = compare(both, [("a", "SET", "k", "1"), ("a", "WATCH", "k"), ("b", "INCR", "k"),
                         *tx("a", ("INCR", "k")), ("a", "GET", "k")])
    assert out[-2][2] == NIL and out[-1][2] == b"$1\r\n2\r\n"


@pytest.mark.parametrize("write", [("DEL", "k"), ("EXPIRE", "k", "100"), ("APPEND", "k", "x"),
                                   ("RENAME", "k", "k2"), ("SET", "k", "1"),
                                   ("PEXPIREAT", "k", "1")])
def test_other_client_changes_watched_key(both, write):
    out = compare(both, [("a", "SET", "k", "1"), ("a", "WATCH", "k"), ("b", *write),
                         *tx("a", ("PING",))])
    assert out[-1][2] == NIL


@pytest.mark.parametrize("other", [("GET", "k"), ("SET", "other", "1"), ("DEL", "nokey"),
                                   ("EXISTS", "k"), ("SET", "k", "2", "NX")])
def test_other_client_leaves_watched_key(both, other):
    out = compare(both, [("a", "SET", "k", "1"), ("a", "WATCH", "k"), ("b", *other),
                         *tx("a", ("INCR", "k"))])
    assert out[-1][2] == b"*1\r\n:2\r\n"


def test_missing_key_created_by_other(both):
    out = compare(both, [("a", "WATCH", "nk"), ("b", "SET", "nk", "v"), *tx("a", ("GET", "nk"))])
    assert out[-1][2] == NIL
    # and the same key appearing in another database does not count
    out = compare(both, [("a", "WATCH", "nk2"), ("b", "SELECT", "1"), ("b", "SET", "nk2", "v"),
                         *tx("a", ("GET", "nk2"))])
    assert out[-1][2] == b"*1\r\n$-1\r\n"


def test_several_watchers(both):
    out = compare(both, [("a", "SET", "k", "1"), ("a", "WATCH", "k"), ("c", "WATCH", "k", "j"),
                         ("b", "SET", "j", "1"), *tx("a", ("PING",)), *tx("c", ("PING",))])
    assert out[-4][2] == b"*1\r\n+PONG\r\n" and out[-1][2] == NIL


@pytest.mark.parametrize("case", [
    # (setup on b, the flush on b, expect EXEC to fail)
    ([("b", "SET", "k", "1")], [("b", "FLUSHALL")], True),
    ([], [("b", "FLUSHALL")], False),
    ([("b", "SET", "k", "1")], [("b", "FLUSHDB")], True),
    ([("b", "SET", "k", "1")], [("b", "SELECT", "2"), ("b", "FLUSHDB")], False),
    ([("b", "SET", "k", "1")], [("b", "SWAPDB", "0", "1")], True),
    ([("b", "SELECT", "1"), ("b", "SET", "k", "1")], [("b", "SWAPDB", "1", "0")], True),
    ([("b", "SELECT", "1"), ("b", "SET", "other", "1")], [("b", "SWAPDB", "1", "0")], False),
    ([("b", "SET", "k", "1")], [("b", "SWAPDB", "0", "0")], False),
])
def test_flush_and_swapdb_by_other(both, case):
    setup, flush, fails = case
    out = compare(both, setup + [("a", "WATCH", "k")] + flush + tx("a", ("PING",)))
    assert (out[-1][2] == NIL) == fails


def test_watched_key_expires(both):
    # alive at WATCH, its TTL passes before EXEC: the transaction fails whether the key was
    # deleted (active expiry, another client's access) or is still stored
    # (a TTL of 300 ms: the key must still be alive at WATCH on a loaded machine too)
    steps = [("a", "SET", "k", "v", "PX", "300"), ("a", "WATCH", "k"), ("pause", 400),
             *tx("a", ("SET", "k", "new")), ("a", "GET", "k")]
    out = compare(both, steps)
    assert out[-2][2] == NIL and out[-1][2] == b"$-1\r\n"
    steps = [("a", "SET", "k", "v", "PX", "300"), ("a", "WATCH", "k"), ("pause", 400),
             ("b", "GET", "k"), *tx("a", ("PING",))]
    assert compare(both, steps)[-1][2] == NIL
    # a TTL that has not passed yet changes nothing
    steps = [("a", "SET", "k", "v", "PX", "100000"), ("a", "WATCH", "k"), *tx("a", ("PING",))]
    assert compare(both, steps)[-1][2] == b"*1\r\n+PONG\r\n"


def test_watched_key_expires_without_active_expiry(both):
    # with active expiry off the key stays stored until someone looks: EXEC itself notices
    steps = [("a", "DEBUG", "SET-ACTIVE-EXPIRE", "0"), ("a", "SET", "k", "v", "PX", "300"),
             ("a", "WATCH", "k"), ("pause", 400), *tx("a", ("PING",)),
             ("a", "DEBUG", "SET-ACTIVE-EXPIRE", "1")]
    assert compare(both, steps)[-2][2] == NIL


@pytest.mark.parametrize("between, ok", [
    ([], True),                               # stale when watched: its expiry is no change
    ([("b", "GET", "k")], True),              # deleting the stale key is no change either
    ([("b", "EXISTS", "k")], True),
    ([("b", "SET", "k", "new")], False),      # but giving it a value is
    ([("b", "FLUSHALL")], True),
    ([("b", "FLUSHDB")], True),
    ([("b", "SWAPDB", "0", "1")], True),
    ([("b", "SELECT", "1"), ("b", "SET", "k", "x"), ("b", "SWAPDB", "1", "0")], False),
])
def test_key_already_stale_when_watched(both, between, ok):
    steps = [("a", "DEBUG", "SET-ACTIVE-EXPIRE", "0"), ("a", "SET", "k", "v", "PX", "30"),
             ("pause", 80), ("a", "WATCH", "k")] + between + tx("a", ("PING",)) + [
             ("a", "DEBUG", "SET-ACTIVE-EXPIRE", "1")]
    out = compare(both, steps)
    assert (out[-2][2] == b"*1\r\n+PONG\r\n") == ok


def test_watch_in_other_db_and_select(both):
    steps = [("a", "SELECT", "3"), ("a", "SET", "k", "1"), ("a", "WATCH", "k"),
             ("a", "SELECT", "0"), ("b", "SELECT", "3"), ("b", "SET", "k", "2"),
             *tx("a", ("PING",))]
    assert compare(both, steps)[-1][2] == NIL


def test_disconnects(both):
    r, v = both
    for s in (r, v):
        # a watcher and a client in MULTI go away; the others carry on
        a, b = RawConn(s, timeout=TIMEOUT), RawConn(s, timeout=TIMEOUT)
        a.call("WATCH", "k", "j")
        a.call("MULTI")
        a.call("SET", "k", "1")
        a.close()
        c = RawConn(s, timeout=TIMEOUT)
        c.call("WATCH", "k")
        assert b.call("SET", "k", "2") == b"+OK\r\n"
        assert b.call("FLUSHALL") == b"+OK\r\n"
        assert c.call("MULTI") == b"+OK\r\n"
        c.call("PING")
        assert c.call("EXEC") == NIL
        b.close()
        c.close()


def test_queued_commands_copy_their_arguments(both):
    # the queued arguments must survive the batch they arrived in: pipeline the queue in one
    # write, then EXEC alone later
    r, v = both
    outs = []
    for s in (r, v):
        a = RawConn(s, timeout=TIMEOUT)
        big = b"x" * 100000
        a.sock.sendall(encode("MULTI") + encode("SET", "big", big) +
                       b"".join(encode("RPUSH", "l", "v%d" % i) for i in range(200)) +
                       encode("STRLEN", "big"))
        replies = [a.frame() for _ in range(203)]
        replies.append(a.call("EXEC"))
        replies.append(a.call("LRANGE", "l", "195", "-1"))
        outs.append(replies)
        a.close()
    assert outs[0] == outs[1]
    assert outs[0][-2].endswith(b":100000\r\n")


def test_transaction_is_atomic(both):
    # a pipelined MULTI of many INCRs: a client polling meanwhile sees the counter before or
    # after the whole transaction, never in between
    r, v = both
    n = 300
    for s in (r, v):
        a, b = RawConn(s, timeout=TIMEOUT), RawConn(s, timeout=TIMEOUT)
        seen = set()
        for rnd in range(5):
            a.sock.sendall(encode("MULTI") + encode("INCR", "ctr") * n +
                           encode("EXEC"))
            done = False
            while not done:
                val = b.call("GET", "ctr")
                seen.add(val)
                done = val == b"$%d\r\n%d\r\n" % (len(str(n * (rnd + 1))), n * (rnd + 1))
            for _ in range(n + 2):
                a.frame()
        allowed = {b"$-1\r\n"} | {b"$%d\r\n%d\r\n" % (len(str(n * k)), n * k)
                                   for k in range(1, 6)}
        assert seen <= allowed, f"{s.kind} showed a half-done transaction: {seen - allowed}"
        a.close()
        b.close()


def test_blocking_command_in_transaction(both):
    # inside EXEC a blocking command behaves as its non-blocking form
    requires(both[1], "blpop")
    out = compare(both, [*tx("a", ("BLPOP", "nolist", "0"), ("RPUSH", "nolist", "x"),
                              ("BLPOP", "nolist", "0"))])
    assert out[-1][2] == b"*3\r\n*-1\r\n:1\r\n*2\r\n$6\r\nnolist\r\n$1\r\nx\r\n"


def _client_field(line, name):
    for part in line.split():
        if part.startswith(name + "="):
            return part[len(name) + 1:]
    return None


def test_client_list_shows_queue(both):
    # CLIENT LIST multi=: -1 outside MULTI, else the number of queued commands (an aborted
    # transaction queues nothing more); flags x while in MULTI
    r, v = both
    results = []
    for s in (r, v):
        a, b = RawConn(s, timeout=TIMEOUT), RawConn(s, timeout=TIMEOUT)
        aid = a.call("CLIENT", "ID")[1:-2].decode()

        def fields():
            raw = b.call("CLIENT", "LIST", "ID", aid).decode()
            return _client_field(raw, "multi"), _client_field(raw, "flags")

        seq = [fields()]
        a.call("MULTI")
        seq.append(fields())
        a.call("SET", "x", "1")
        a.call("GET", "x")
        seq.append(fields())
        a.call("NOSUCHCMD")
        a.call("GET", "x")
        seq.append(fields())
        a.call("DISCARD")
        seq.append(fields())
        results.append(seq)
        a.close()
        b.close()
    if results[1][1][0] == "-1":
        pytest.skip("CLIENT LIST does not report multi= yet (multi_queued_count is not wired)")
    assert results[0] == results[1]


def test_over_maxmemory(both):
    # over maxmemory every command queued inside MULTI is refused (it would grow the queue),
    # except those ending the transaction; an EXEC holding a deny-OOM command aborts
    steps = [("a", "SET", "k", "1"), ("a", "MULTI"), ("a", "SET", "k", "2"), ("a", "GET", "k"),
             ("b", "CONFIG", "SET", "maxmemory", "1"),
             ("a", "GET", "k"), ("a", "PING"), ("a", "MULTI"), ("a", "WATCH", "k"),
             ("a", "EXEC"), ("a", "EXEC"),
             ("a", "MULTI"), ("a", "GET", "k"), ("a", "SET", "k", "3"), ("a", "DISCARD"),
             ("a", "MULTI"), ("a", "EXEC"),
             ("b", "CONFIG", "SET", "maxmemory", "0"),
             ("a", "MULTI"), ("a", "SET", "k", "4"),
             ("b", "CONFIG", "SET", "maxmemory", "1"),
             ("a", "EXEC"), ("a", "GET", "k"),
             ("b", "CONFIG", "SET", "maxmemory", "0")]
    try:
        out = compare(both, steps)
    finally:
        for s in both:
            c = RawConn(s, timeout=TIMEOUT)
            c.call("CONFIG", "SET", "maxmemory", "0")
            c.close()
    assert out[-3][2].startswith(b"-EXECABORT Transaction discarded because of: OOM")
