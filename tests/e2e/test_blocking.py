# Blocking commands across connections against redis-server: the same steps (waiters served by
# pushes from other connections, FIFO order, several keys, timeouts, BLMOVE chains, pipelined
# follow-ups, disconnects, CLIENT UNBLOCK / KILL, MULTI/EXEC wake-ups) run on both servers over
# raw sockets, and every frame each connection receives must be byte-identical. A step that
# needs a client to be blocked first polls INFO's blocked_clients with a deadline.
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.resp_raw import RawConn  # noqa: E402
from lib.vole_proc import requires, wait_until  # noqa: E402

BLOCKING_CMDS = ("blpop", "brpop", "blmove", "brpoplpush", "blmpop", "bzpopmin", "bzpopmax",
                 "bzmpop", "client|unblock")
TIMEOUT = 5.0


def info_field(conn, name):
    text = conn.call("INFO", "clients").decode()
    for line in text.split("\r\n"):
        if line.startswith(name + ":"):
            return int(line.split(":", 1)[1])
    raise AssertionError(f"{name} missing from INFO clients: {text!r}")


def wait_blocked(ctl, n):
    """Waits until exactly n clients are blocked (so later steps happen after they blocked)."""
    got = wait_until(lambda: info_field(ctl, "blocked_clients") == n, TIMEOUT)
    assert got, f"blocked_clients never reached {n} (now {info_field(ctl, 'blocked_clients')})"


def run_both(servers, scenario):
    """Runs scenario(server, log) on redis and on the subject; log(label, frame) records what
    each connection received; the two records must be equal."""
    out = []
    for srv in servers:
        requires(srv, *BLOCKING_CMDS)
        conns = []

        def conn():
            c = RawConn(srv)
            conns.append(c)
            return c

        record = []
        ctl = conn()
        ctl.call("FLUSHALL")
        try:
            scenario(srv, conn, ctl, lambda label, f: record.append((label, f)))
        finally:
            for c in conns:
                c.close()
        out.append(record)
    assert out[0] == out[1], f"\nredis: {out[0]}\nvole:  {out[1]}"
    return out[0]


def test_waiter_served_by_push(servers):
    def sc(srv, conn, ctl, log):
        a, b = conn(), conn()
        a.send("BLPOP", "k", 0)
        wait_blocked(ctl, 1)
        log("push", b.call("RPUSH", "k", "x", "y"))
        log("a", a.frame())
        log("left", b.call("LRANGE", "k", 0, -1))
        a.send("BRPOP", "k", "0")
        log("a2", a.frame())  # served at once: y is still there
        log("gone", b.call("EXISTS", "k"))

    rec = run_both(servers, sc)
    assert rec[1] == ("a", b"*2\r\n$1\r\nk\r\n$1\r\nx\r\n")


def test_fifo_three_waiters(servers):
    def sc(srv, conn, ctl, log):
        w = [conn(), conn(), conn()]
        pusher = conn()
        for i, c in enumerate(w):
            c.send("BRPOP", "q", 0)
            wait_blocked(ctl, i + 1)
        log("push2", pusher.call("LPUSH", "q", "one", "two"))
        log("w0", w[0].frame())
        log("w1", w[1].frame())
        log("w2-idle", w[2].nothing_pending(0.1))
        log("blocked", info_field(ctl, "blocked_clients"))
        log("push1", pusher.call("LPUSH", "q", "three"))
        log("w2", w[2].frame())
        log("exists", pusher.call("EXISTS", "q"))

    run_both(servers, sc)


def test_waiter_on_several_keys(servers):
    def sc(srv, conn, ctl, log):
        a, b = conn(), conn()
        a.send("BLPOP", "k1", "k2", "k3", 0)
        wait_blocked(ctl, 1)
        log("push", b.call("RPUSH", "k2", "v2"))
        log("a", a.frame())
        # a key named twice counts once
        a.send("BLPOP", "d", "d", 0)
        wait_blocked(ctl, 1)
        log("push-d", b.call("RPUSH", "d", "1", "2"))
        log("a-d", a.frame())
        log("d-left", b.call("LRANGE", "d", 0, -1))
        # BLMPOP with COUNT
        a.send("BLMPOP", 0, 2, "l1", "l2", "RIGHT", "COUNT", 2)
        wait_blocked(ctl, 1)
        log("push-l2", b.call("RPUSH", "l2", "a", "b", "c"))
        log("a-mpop", a.frame())
        # sorted sets
        a.send("BZPOPMIN", "z1", "z2", 0)
        wait_blocked(ctl, 1)
        log("zadd", b.call("ZADD", "z2", 2, "two", 1, "one"))
        log("a-bzpopmin", a.frame())
        a.send("BZPOPMAX", "z1", "z2", 0)
        log("a-bzpopmax-now", a.frame())
        a.send("BZMPOP", 0, 2, "z3", "z4", "MAX", "COUNT", 5)
        wait_blocked(ctl, 1)
        log("zadd4", b.call("ZADD", "z4", 1, "a", 2, "b", 3, "c"))
        log("a-bzmpop", a.frame())
        log("z4", b.call("EXISTS", "z4"))

    run_both(servers, sc)


def test_waiters_of_other_types_stay(servers):
    def sc(srv, conn, ctl, log):
        zw, lw, c = conn(), conn(), conn()
        zw.send("BZPOPMIN", "k", 0)
        wait_blocked(ctl, 1)
        lw.send("BLPOP", "k", 0)
        wait_blocked(ctl, 2)
        log("push", c.call("RPUSH", "k", "a"))
        log("lw", lw.frame())
        log("zw-idle", zw.nothing_pending(0.1))
        log("set", c.call("SET", "k", "str"))  # a string serves nobody
        log("zw-idle2", zw.nothing_pending(0.1))
        log("del", c.call("DEL", "k"))
        log("zadd", c.call("ZADD", "k", 5, "m"))
        log("zw", zw.frame())

    run_both(servers, sc)


def test_timeouts(servers):
    def sc(srv, conn, ctl, log):
        a = conn()
        for cmd in (("BLPOP", "k", "0.1"), ("BRPOP", "k1", "k2", "0.1"),
                    ("BLMOVE", "k", "d", "LEFT", "RIGHT", "0.1"), ("BRPOPLPUSH", "k", "d", "0.1"),
                    ("BLMPOP", "0.1", 1, "k", "LEFT"), ("BZPOPMIN", "z", "0.1"),
                    ("BZPOPMAX", "z", "0.1"), ("BZMPOP", "0.1", 1, "z", "MIN", "COUNT", 3)):
            t0 = time.monotonic()
            a.send(*cmd)
            f = a.frame()
            took = time.monotonic() - t0
            assert 0.09 <= took < 3.0, f"{cmd} answered after {took:.3f}s"
            log(cmd[0], f)
        log("hello", a.call("HELLO", "3")[:1])
        for cmd in (("BLPOP", "k", "0.1"), ("BLMOVE", "k", "d", "LEFT", "RIGHT", "0.1"),
                    ("BZMPOP", "0.1", 1, "z", "MIN")):
            log(cmd[0] + "-resp3", a.call(*cmd))
        log("blocked", info_field(ctl, "blocked_clients"))
        log("in-table", info_field(ctl, "clients_in_timeout_table"))

    rec = run_both(servers, sc)
    assert rec[0] == ("BLPOP", b"*-1\r\n")
    assert ("BLPOP-resp3", b"_\r\n") in rec


def test_timeout_cleared_when_served(servers):
    def sc(srv, conn, ctl, log):
        a, b = conn(), conn()
        a.send("BLPOP", "k", "0.3")
        wait_blocked(ctl, 1)
        log("in-table", info_field(ctl, "clients_in_timeout_table"))
        log("push", b.call("RPUSH", "k", "v"))
        log("a", a.frame())
        log("idle", a.nothing_pending(0.4))  # no second (timeout) reply
        log("in-table-after", info_field(ctl, "clients_in_timeout_table"))

    run_both(servers, sc)


def test_blmove_chain(servers):
    def sc(srv, conn, ctl, log):
        a, b, c = conn(), conn(), conn()
        a.send("BLMOVE", "l1", "l2", "LEFT", "RIGHT", 0)
        wait_blocked(ctl, 1)
        b.send("BRPOPLPUSH", "l2", "l3", 0)
        wait_blocked(ctl, 2)
        log("push", c.call("RPUSH", "l1", "x", "y"))
        log("a", a.frame())
        log("b", b.frame())
        for k in ("l1", "l2", "l3"):
            log(k, c.call("LRANGE", k, 0, -1))
        # a rotation on the same key
        a.send("BLMOVE", "r", "r", "RIGHT", "LEFT", 0)
        wait_blocked(ctl, 1)
        log("push-r", c.call("RPUSH", "r", "1"))
        log("a-r", a.frame())
        log("r", c.call("LRANGE", "r", 0, -1))

    run_both(servers, sc)


def test_blmove_wrongtype_destination_when_served(servers):
    def sc(srv, conn, ctl, log):
        a, b, c = conn(), conn(), conn()
        a.send("BRPOPLPUSH", "src", "dst", 0)
        wait_blocked(ctl, 1)
        b.send("BLPOP", "src", 0)
        wait_blocked(ctl, 2)
        log("set", c.call("SET", "dst", "string"))
        log("push", c.call("RPUSH", "src", "v"))
        log("a", a.frame())  # WRONGTYPE, unblocked, nothing moved
        log("b", b.frame())  # the element goes to the next waiter
        log("src", c.call("EXISTS", "src"))
        log("blocked", info_field(ctl, "blocked_clients"))

    rec = run_both(servers, sc)
    assert rec[2][1].startswith(b"-WRONGTYPE")


def test_pipelined_followups_after_serve(servers):
    def sc(srv, conn, ctl, log):
        a, b = conn(), conn()
        a.send_many(("BLPOP", "k", 0), ("INCR", "cnt"), ("BLPOP", "k", 0), ("GET", "cnt"),
                    ("PING",))
        wait_blocked(ctl, 1)
        log("cnt-before", b.call("GET", "cnt"))  # INCR waits behind the BLPOP
        log("push1", b.call("RPUSH", "k", "a"))
        log("a1", a.frame())
        log("a2", a.frame())
        wait_blocked(ctl, 1)  # the second BLPOP blocks again
        log("a-idle", a.nothing_pending(0.1))
        log("push2", b.call("RPUSH", "k", "b"))
        log("a3", a.frames(3))
        log("blocked", info_field(ctl, "blocked_clients"))

    run_both(servers, sc)


def test_followups_after_timeout(servers):
    def sc(srv, conn, ctl, log):
        a = conn()
        a.send_many(("BLPOP", "k", "0.1"), ("RPUSH", "k", "x"), ("BLPOP", "k", 0))
        log("a", a.frames(3))

    run_both(servers, sc)


def test_disconnect_while_blocked(servers):
    def sc(srv, conn, ctl, log):
        a, b = conn(), conn()
        a.send("BLPOP", "k", 0)
        a2 = conn()
        a2.send("BLPOP", "k", "k2", 0)
        wait_blocked(ctl, 2)
        a.close()
        wait_blocked(ctl, 1)
        log("push", b.call("RPUSH", "k", "v1", "v2"))
        log("a2", a2.frame())
        log("left", b.call("LRANGE", "k", 0, -1))
        a2.close()
        wait_blocked(ctl, 0)
        log("push2", b.call("RPUSH", "k2", "z"))
        log("k2", b.call("LLEN", "k2"))

    run_both(servers, sc)


def test_client_kill_blocked(servers):
    def sc(srv, conn, ctl, log):
        a, b = conn(), conn()
        aid = int(a.call("CLIENT", "ID")[1:-2])
        a.send("BLPOP", "k", 0)
        wait_blocked(ctl, 1)
        log("kill", b.call("CLIENT", "KILL", "ID", aid))
        log("closed", a.closed_by_peer())
        wait_blocked(ctl, 0)
        log("push", b.call("RPUSH", "k", "v"))
        log("llen", b.call("LLEN", "k"))

    run_both(servers, sc)


def test_client_unblock(servers):
    def sc(srv, conn, ctl, log):
        a, b = conn(), conn()
        aid = int(a.call("CLIENT", "ID")[1:-2])
        log("not-blocked", b.call("CLIENT", "UNBLOCK", aid))
        a.send_many(("BLPOP", "k", 0), ("PING", "after"))
        wait_blocked(ctl, 1)
        log("unblock", b.call("CLIENT", "UNBLOCK", aid))
        log("a", a.frames(2))
        a.send("BZPOPMIN", "z", 0)
        wait_blocked(ctl, 1)
        log("unblock-timeout", b.call("CLIENT", "UNBLOCK", aid, "TIMEOUT"))
        log("a-timeout", a.frame())
        a.send("BLMOVE", "s", "d", "LEFT", "LEFT", 0)
        wait_blocked(ctl, 1)
        log("unblock-error", b.call("CLIENT", "unblock", aid, "error"))
        log("a-error", a.frame())
        log("again", b.call("CLIENT", "UNBLOCK", aid, "ERROR"))
        log("blocked", info_field(ctl, "blocked_clients"))
        log("push", b.call("RPUSH", "k", "v"))  # nobody waits any more
        log("llen", b.call("LLEN", "k"))

    run_both(servers, sc)


def test_wakeup_after_exec(servers):
    def sc(srv, conn, ctl, log):
        a, b = conn(), conn()
        a.send("BLPOP", "k", 0)
        wait_blocked(ctl, 1)
        log("multi", b.call("MULTI"))
        log("q1", b.call("LPUSH", "k", "a"))
        log("q2", b.call("LPUSH", "k", "b"))
        log("q3", b.call("LLEN", "k"))
        log("exec", b.call("EXEC"))  # LLEN saw both: nobody was served inside EXEC
        log("a", a.frame())
        log("left", b.call("LRANGE", "k", 0, -1))
        # pushed then emptied inside the same EXEC: the waiter keeps waiting
        a.send("BLPOP", "e", 0)
        wait_blocked(ctl, 1)
        b.call("MULTI")
        b.call("RPUSH", "e", "x")
        b.call("DEL", "e")
        log("exec2", b.call("EXEC"))
        log("a-idle", a.nothing_pending(0.1))
        log("push", b.call("RPUSH", "e", "y"))
        log("a2", a.frame())

    run_both(servers, sc)


def test_blocking_inside_multi_does_not_block(servers):
    def sc(srv, conn, ctl, log):
        a = conn()
        log("multi", a.call("MULTI"))
        for cmd in (("BLPOP", "k", 0), ("BLMOVE", "k", "d", "LEFT", "LEFT", 0),
                    ("BZMPOP", 0, 1, "z", "MIN"), ("RPUSH", "k", "v"), ("BRPOP", "k", 0)):
            log(cmd[0], a.call(*cmd))
        log("exec", a.call("EXEC"))
        log("blocked", info_field(ctl, "blocked_clients"))

    run_both(servers, sc)


def test_resp3_served(servers):
    def sc(srv, conn, ctl, log):
        a, b = conn(), conn()
        a.call("HELLO", "3")
        a.send("BZPOPMIN", "z", 0)
        wait_blocked(ctl, 1)
        log("zadd", b.call("ZADD", "z", "1.5", "m"))
        log("a", a.frame())
        a.send("BZMPOP", 0, 1, "z", "MIN")
        wait_blocked(ctl, 1)
        log("zadd2", b.call("ZADD", "z", "2", "n"))
        log("a2", a.frame())
        a.send("BLMPOP", 0, 1, "l", "LEFT", "COUNT", 9)
        wait_blocked(ctl, 1)
        log("push", b.call("RPUSH", "l", "1", "2"))
        log("a3", a.frame())

    run_both(servers, sc)


def test_select_and_swapdb(servers):
    def sc(srv, conn, ctl, log):
        a, b = conn(), conn()
        log("select", a.call("SELECT", 3))
        a.send("BLPOP", "k", 0)
        wait_blocked(ctl, 1)
        log("push-db0", b.call("RPUSH", "k", "db0"))  # another database: nobody served
        log("a-idle", a.nothing_pending(0.1))
        b.call("SELECT", 3)
        log("push-db3", b.call("RPUSH", "k", "db3"))
        log("a", a.frame())

    run_both(servers, sc)


def test_many_waiters_and_keys(servers):
    """Many clients on overlapping keys, served in FIFO order per key as elements arrive."""
    def sc(srv, conn, ctl, log):
        waiters = []
        for i in range(12):
            c = conn()
            keys = [f"m{i % 3}", f"m{(i + 1) % 3}"]
            c.send("BLPOP", *keys, 0)
            wait_blocked(ctl, i + 1)
            waiters.append(c)
        p = conn()
        for j in range(12):
            log(f"push{j}", p.call("RPUSH", f"m{j % 3}", f"e{j}"))
        for i, c in enumerate(waiters):
            log(f"w{i}", c.frame())
        log("blocked", info_field(ctl, "blocked_clients"))

    run_both(servers, sc)


def test_keyspace_events_when_served(servers):
    """The events a served waiter causes, in Redis's order (push, pop, del, new...)."""
    def sc(srv, conn, ctl, log):
        requires(srv, "psubscribe", "config|set")
        sub, a, b, c = conn(), conn(), conn(), conn()
        log("config", ctl.call("CONFIG", "SET", "notify-keyspace-events", "KEA"))
        try:
            log("psub", sub.call("PSUBSCRIBE", "__keyevent@0__:*"))
            a.send("BLPOP", "k", 0)
            wait_blocked(ctl, 1)
            b.send("BLMOVE", "s", "d", "RIGHT", "LEFT", 0)
            wait_blocked(ctl, 2)
            c.send("BZMPOP", 0, 1, "z", "MAX", "COUNT", 2)
            wait_blocked(ctl, 3)
            log("push-k", ctl.call("RPUSH", "k", "1"))
            log("a", a.frame())
            log("push-s", ctl.call("RPUSH", "s", "x", "y"))
            log("b", b.frame())
            log("zadd", ctl.call("ZADD", "z", 1, "m", 2, "n"))
            log("c", c.frame())
            log("timeout", a.call("BRPOP", "none", "0.05"))
            sub.send("PING")  # its reply comes after every event
            while True:
                f = sub.frame()
                log("sub", f)
                if b"pong" in f:
                    break
        finally:
            ctl.call("CONFIG", "SET", "notify-keyspace-events", "")

    run_both(servers, sc)


def test_xread_block(servers):
    def sc(srv, conn, ctl, log):
        requires(srv, "xread", "xadd", "xdel", "xreadgroup", "xgroup|create", "xgroup|destroy")
        a, b, w = conn(), conn(), conn()
        log("xadd0", w.call("XADD", "s1", "1-1", "f", "v"))
        a.send("XREAD", "BLOCK", 0, "STREAMS", "s1", "s2", "$", "0-0")
        b.send("XREAD", "COUNT", 1, "BLOCK", 0, "STREAMS", "s1", "1-1")
        wait_blocked(ctl, 2)
        log("xadd1", w.call("XADD", "s1", "2-1", "a", "1"))
        log("a", a.frame())
        log("b", b.frame())
        a.send("XREAD", "BLOCK", 0, "STREAMS", "s1", "s2", "$", "$")
        wait_blocked(ctl, 1)
        log("xadd-s2", w.call("XADD", "s2", "5-5", "x", "y"))  # creates s2
        log("a2", a.frame())
        log("timeout", a.call("XREAD", "BLOCK", 50, "STREAMS", "s1", "$"))
        # consumer groups
        log("group", w.call("XGROUP", "CREATE", "s1", "g", "$"))
        a.send("XREADGROUP", "GROUP", "g", "alice", "BLOCK", 0, "STREAMS", "s1", ">")
        wait_blocked(ctl, 1)
        b.send("XREADGROUP", "GROUP", "g", "bob", "COUNT", 5, "BLOCK", 0, "STREAMS", "s1", ">")
        wait_blocked(ctl, 2)
        log("xadd2", w.call("XADD", "s1", "3-1", "k", "v"))
        log("alice", a.frame())
        log("b-idle", b.nothing_pending(0.1))  # alice took the only new entry
        log("xadd3", w.call("XADD", "s1", "4-1", "k2", "v2"))
        log("bob", b.frame())
        log("pending", w.call("XPENDING", "s1", "g"))
        a.send("XREADGROUP", "GROUP", "g", "alice", "BLOCK", 0, "STREAMS", "s1", ">")
        wait_blocked(ctl, 1)
        log("destroy", w.call("XGROUP", "DESTROY", "s1", "g"))
        log("nogroup", a.frame())
        log("blocked", info_field(ctl, "blocked_clients"))

    run_both(servers, sc)


def test_xread_block_resp3_and_multi(servers):
    def sc(srv, conn, ctl, log):
        requires(srv, "xread", "xadd")
        a, w = conn(), conn()
        a.call("HELLO", "3")
        a.send("XREAD", "BLOCK", 0, "STREAMS", "s", "$")
        wait_blocked(ctl, 1)
        log("xadd", w.call("XADD", "s", "1-1", "f", "v"))
        log("a", a.frame())
        log("timeout", a.call("XREAD", "BLOCK", 30, "STREAMS", "s", "$"))
        log("multi", a.call("MULTI"))
        log("q", a.call("XREAD", "BLOCK", 0, "STREAMS", "s", "$"))
        log("exec", a.call("EXEC"))

    run_both(servers, sc)


def test_client_list_flag(servers):
    def sc(srv, conn, ctl, log):
        a = conn()
        aid = int(a.call("CLIENT", "ID")[1:-2])
        a.send("BLPOP", "k", 0)
        wait_blocked(ctl, 1)
        line = ctl.call("CLIENT", "LIST", "ID", aid).decode()
        log("flags", [f for f in line.split() if f.startswith("flags=")])
        log("unblock", ctl.call("CLIENT", "UNBLOCK", aid))
        log("a", a.frame())
        line = ctl.call("CLIENT", "LIST", "ID", aid).decode()
        log("flags-after", [f for f in line.split() if f.startswith("flags=")])

    run_both(servers, sc)


def test_swapdb_serves_waiters(servers):
    def sc(srv, conn, ctl, log):
        a, z, b = conn(), conn(), conn()
        log("select", a.call("SELECT", 1))
        log("select-z", z.call("SELECT", 1))
        log("push0", b.call("RPUSH", "k", "from-db0"))
        log("zadd0", b.call("ZADD", "zk", 1, "m"))
        a.send("BLPOP", "k", 0)
        wait_blocked(ctl, 1)
        z.send("BZPOPMIN", "zk", "other", 0)
        wait_blocked(ctl, 2)
        log("swap", b.call("SWAPDB", 0, 1))
        log("a", a.frame())
        log("z", z.frame())
        log("db0", b.call("DBSIZE"))

    run_both(servers, sc)


def test_quit_among_deferred_commands(servers):
    def sc(srv, conn, ctl, log):
        a, b = conn(), conn()
        a.send_many(("BLPOP", "k", 0), ("SET", "before", "1"), ("QUIT",), ("SET", "after", "1"))
        wait_blocked(ctl, 1)
        log("push", b.call("RPUSH", "k", "v"))
        log("a", a.frames(3))
        log("closed", a.closed_by_peer())
        log("keys", b.call("EXISTS", "before", "after"))

    run_both(servers, sc)
