# Client-side caching (CLIENT TRACKING) against redis-server: the same steps run on both
# servers over raw sockets and every frame (replies and invalidation pushes) must be
# byte-identical; client ids, which differ between the servers, are replaced by names.
import re
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.resp_raw import RawConn  # noqa: E402
from lib.vole_proc import requires, wait_until  # noqa: E402

CMDS = ("client|tracking", "client|caching", "client|getredir", "client|trackinginfo",
        "multi", "exec", "subscribe", "mset", "mget")


@pytest.fixture
def both(servers):
    requires(servers[1], *CMDS)
    opened = []

    def conn(server, resp3=False):
        c = RawConn(server)
        opened.append(c)
        if resp3:
            assert c.call("HELLO", "3").startswith(b"%")
        return c

    for s in servers:
        c = conn(s)
        assert c.call("FLUSHALL") == b"+OK\r\n"
    yield servers, conn
    for c in opened:
        c.close()


def client_id(c):
    return int(c.call("CLIENT", "ID")[1:-2])


def run_both(servers, conn, scenario):
    out = [scenario(s, conn) for s in servers]
    assert out[0] == out[1], f"redis: {out[0]!r}\nvole:  {out[1]!r}"
    return out[0]


def barrier(c):
    """Everything pushed to c before now has arrived: returns it, then the PING reply."""
    c.send("PING")
    got = []
    while True:
        f = c.frame()
        if f == b"+PONG\r\n":
            return got
        got.append(f)


def test_default_mode_invalidations(both):
    def scenario(server, conn):
        a, b = conn(server, True), conn(server, True)
        t = [a.call("CLIENT", "TRACKING", "on"), a.call("GET", "k1"), a.call("MGET", "k2", "k3")]
        t += [b.call("SET", "k1", "v"), a.frame()]
        t += [b.call("MSET", "k2", "1", "k3", "2"), a.frame(), a.frame()]
        t += [b.call("SET", "k1", "again"), barrier(a)]  # no longer tracked: nothing
        # the client's own write: the invalidation follows its reply
        t += [a.call("GET", "k1"), a.call("SET", "k1", "x"), a.frame()]
        t += [a.call("GET", "k1"), a.call("MULTI"), a.call("SET", "k1", "y"),
              a.call("GET", "k1"), a.call("EXEC"), a.frame()]
        t += [b.call("SET", "k1", "z"), a.frame()]
        t += [a.call("CLIENT", "TRACKINGINFO"), a.call("CLIENT", "GETREDIR")]
        # a wrong-type read is tracked too
        t += [b.call("RPUSH", "l", "1"), a.call("GET", "l"), b.call("DEL", "l"), a.frame()]
        t += [a.call("CLIENT", "TRACKING", "off"), a.call("GET", "k9"),
              b.call("SET", "k9", "1"), barrier(a), a.call("CLIENT", "TRACKINGINFO")]
        return t

    run_both(*both, scenario)


def test_expiry_and_flush(both):
    def scenario(server, conn):
        a, b = conn(server, True), conn(server, True)
        t = [a.call("CLIENT", "TRACKING", "on")]
        # 300 ms: alive at the GET even on a loaded machine
        t += [b.call("SET", "e1", "v", "PX", "300"), a.call("GET", "e1")]
        time.sleep(0.4)
        # expired by the active cycle or by this lookup: either way one invalidation
        t += [b.call("GET", "e1"), a.frame(), barrier(a)]
        t += [a.call("GET", "f1"), b.call("FLUSHALL"), a.frame()]
        t += [a.call("FLUSHDB"), a.frame()]  # the flusher itself: after its reply
        t += [b.call("SELECT", "2"), b.call("FLUSHDB"), a.frame()]  # any database
        t += [b.call("SET", "f1", "1"), barrier(a)]  # the flush emptied the table
        return t

    run_both(*both, scenario)


def test_noloop_and_optin_optout(both):
    def scenario(server, conn):
        a, b = conn(server, True), conn(server, True)
        t = [a.call("CLIENT", "TRACKING", "on", "NOLOOP"), a.call("GET", "n1"),
             a.call("SET", "n1", "1"), barrier(a), a.call("GET", "n1"),
             b.call("SET", "n1", "2"), a.frame()]
        t += [a.call("CLIENT", "TRACKING", "off"), a.call("CLIENT", "TRACKING", "on", "OPTIN"),
              a.call("GET", "o1"), b.call("SET", "o1", "1"), barrier(a),
              a.call("CLIENT", "CACHING", "yes"), a.call("CLIENT", "TRACKINGINFO"),
              a.call("GET", "o1"), b.call("SET", "o1", "2"), a.frame()]
        # CACHING lasts one command, but CLIENT subcommands keep it
        t += [a.call("CLIENT", "CACHING", "yes"), a.call("CLIENT", "GETREDIR"),
              a.call("GET", "o2"), a.call("GET", "o3"), b.call("MSET", "o2", "1", "o3", "1"),
              a.frame(), barrier(a)]
        # ... and a whole transaction
        t += [a.call("CLIENT", "CACHING", "yes"), a.call("MULTI"), a.call("GET", "o4"),
              a.call("GET", "o5"), a.call("EXEC"), a.call("GET", "o6"),
              b.call("MSET", "o4", "1", "o5", "1", "o6", "1"), a.frame(), a.frame(), barrier(a)]
        t += [a.call("CLIENT", "TRACKING", "on", "OPTOUT"), a.call("CLIENT", "CACHING", "no")]
        t += [a.call("CLIENT", "TRACKING", "off"), a.call("CLIENT", "TRACKING", "on", "OPTOUT"),
              a.call("CLIENT", "CACHING", "no"), a.call("GET", "q1"), a.call("GET", "q2"),
              b.call("MSET", "q1", "1", "q2", "1"), a.frame(), barrier(a),
              a.call("CLIENT", "CACHING", "no"), a.call("CLIENT", "TRACKINGINFO")]
        return t

    run_both(*both, scenario)


def test_bcast_prefixes(both):
    def scenario(server, conn):
        b, c, d = conn(server, True), conn(server, True), conn(server, True)
        t = [c.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "obj:",
                    "NOLOOP"), c.call("CLIENT", "TRACKINGINFO")]
        flags = re.search(rb"flags=(\S+)", c.call("CLIENT", "INFO")).group(1)
        t.append(flags)
        t += [b.call("SET", "user:1", "a"), c.frame()]
        t += [b.call("MSET", "obj:2", "1", "user:0", "1", "other", "1"), c.frame(), c.frame()]
        # several keys of one prefix in one transaction: one message, keys sorted
        t += [b.call("MULTI"), b.call("SET", "user:9", "1"), b.call("SET", "user:3", "1"),
              b.call("DEL", "user:9"), b.call("EXEC"), c.frame()]
        # a pipeline is one batch: one message per prefix for all of it
        t += [b.pipeline([("SET", "obj:b", "1"), ("SET", "obj:a", "1"), ("SET", "x", "1")]),
              c.frame()]
        t += [c.call("SET", "user:5", "1"), barrier(c)]  # NOLOOP
        t += [c.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:x"),
              c.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "zz", "PREFIX", "z"),
              c.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "new:"),
              c.call("CLIENT", "TRACKINGINFO"), c.call("CLIENT", "TRACKING", "on")]
        t += [d.call("CLIENT", "TRACKING", "on", "BCAST"), b.call("SET", "anything", "1"),
              d.frame(), d.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a")]
        t += [b.call("FLUSHALL"), c.frame(), d.frame()]
        return t

    run_both(*both, scenario)


def test_redirect(both):
    def scenario(server, conn):
        s, r, b = conn(server), conn(server), conn(server)
        sid = client_id(s)
        t = [s.call("SUBSCRIBE", "__redis__:invalidate")]
        t += [r.call("CLIENT", "TRACKING", "on", "REDIRECT", str(sid)), r.call("GET", "rk")]
        t.append(r.call("CLIENT", "GETREDIR") == b":%d\r\n" % sid)
        t += [b.call("SET", "rk", "1"), s.frame()]
        t += [r.call("GET", "rk"), b.call("FLUSHALL"), s.frame()]
        info = r.call("CLIENT", "INFO")
        t.append(re.search(rb"redir=(\S+)", info).group(1) == str(sid).encode())
        # a RESP3 target gets pushes
        u, w = conn(server, True), conn(server)
        uid = client_id(u)
        t += [w.call("CLIENT", "TRACKING", "on", "REDIRECT", str(uid)), w.call("GET", "w1"),
              b.call("SET", "w1", "1"), u.frame(), b.call("FLUSHDB"), u.frame()]
        # the target goes away: flag R, broken_redirect, and a RESP3 tracker is told
        s.close()
        assert wait_until(lambda: b"id=%d " % sid not in b.call("CLIENT", "LIST"), 5)
        t += [r.call("GET", "rk2"), b.call("SET", "rk2", "1"), barrier(r)]
        t.append(r.call("CLIENT", "TRACKINGINFO").replace(str(sid).encode(), b"SID"))
        t.append(re.search(rb"flags=(\S+)", r.call("CLIENT", "INFO")).group(1))
        r3, s3 = conn(server, True), conn(server)
        sid3 = client_id(s3)
        t += [r3.call("CLIENT", "TRACKING", "on", "REDIRECT", str(sid3)), r3.call("GET", "z1")]
        s3.close()
        assert wait_until(lambda: b"id=%d " % sid3 not in b.call("CLIENT", "LIST"), 5)
        t += [b.call("SET", "z1", "1"), r3.frame().replace(str(sid3).encode(), b"SID")]
        t.append(re.search(rb"flags=(\S+)", r3.call("CLIENT", "INFO")).group(1))
        # RESP2 without a redirect: accepted, nothing can be sent
        q = conn(server)
        t += [q.call("CLIENT", "TRACKING", "on"), q.call("GET", "t2"), b.call("SET", "t2", "1"),
              barrier(q)]
        return t

    run_both(*both, scenario)


def test_reset_and_disconnect_forget_tracking(both):
    def scenario(server, conn):
        a, b = conn(server, True), conn(server, True)
        t = [a.call("CLIENT", "TRACKING", "on", "BCAST"), a.call("RESET"),
             a.call("CLIENT", "TRACKINGINFO"), b.call("SET", "x", "1"), barrier(a)]
        a.close()
        a2 = conn(server, True)
        t += [a2.call("CLIENT", "TRACKING", "on"), a2.call("GET", "x"), b.call("SET", "x", "2"),
              a2.frame()]
        return t

    run_both(*both, scenario)


def info_fields(c, *names):
    text = c.call("INFO", "everything").decode()
    return [re.search(r"^%s:(\d+)" % n, text, re.M).group(1) for n in names]


def test_info_counters(both):
    fields = ("tracking_clients", "tracking_total_keys", "tracking_total_items",
              "tracking_total_prefixes")

    def scenario(server, conn):
        a, b, c = conn(server, True), conn(server, True), conn(server, True)
        t = [info_fields(b, *fields)]
        t += [a.call("CLIENT", "TRACKING", "on"), a.call("MGET", "i1", "i2", "i3"),
              c.call("CLIENT", "TRACKING", "on"), c.call("GET", "i1"),
              b.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p1", "PREFIX", "p2")]
        t.append(info_fields(b, *fields))
        t += [b.call("SET", "i2", "1"), a.frame(), b.call("CLIENT", "TRACKING", "off")]
        t.append(info_fields(b, *fields))
        n = int(info_fields(b, "connected_clients")[0])
        c.close()
        assert wait_until(lambda: int(info_fields(b, "connected_clients")[0]) == n - 1, 5)
        t.append(info_fields(b, *fields))
        t += [b.call("FLUSHALL"), a.frame(), info_fields(b, *fields)]
        return t

    run_both(*both, scenario)


def test_tracking_table_max_keys(both):
    """Past tracking-table-max-keys, keys are invalidated at random until the table fits: the
    same number of invalidation messages on both servers (which keys is random)."""
    def scenario(server, conn):
        s, r, b = conn(server), conn(server), conn(server)
        assert b.call("CONFIG", "SET", "tracking-table-max-keys", "3") == b"+OK\r\n"
        try:
            sid = client_id(s)
            s.call("SUBSCRIBE", "__redis__:invalidate")
            r.call("CLIENT", "TRACKING", "on", "REDIRECT", str(sid))
            for i in range(10):
                r.call("GET", f"lim{i}")
            assert wait_until(lambda: int(info_fields(b, "tracking_total_keys")[0]) <= 3, 5)
            keys = int(info_fields(b, "tracking_total_keys")[0])
            s.send("PING")  # a subscribed RESP2 connection answers PING with ["pong", ""]
            msgs = []
            while not (f := s.frame()).startswith(b"*2\r\n$4\r\npong"):
                msgs.append(f)
            return len([m for m in msgs if b"invalidate" in m]), keys
        finally:
            b.call("CONFIG", "SET", "tracking-table-max-keys", "1000000")

    assert run_both(*both, scenario) == (7, 3)
