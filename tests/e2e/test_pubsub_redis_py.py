# Pub/Sub as Debian's redis-py (4.3) client sees it, against redis-server and Vole: subscribe and
# pattern loops read with get_message, publish counts, unsubscribes, pipelines that mix PUBLISH
# with other commands, and one channel with a thousand subscribers. Both servers must give the
# same observable results.
import resource
import selectors
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.resp_raw import encode, frame_length  # noqa: E402
from lib.vole_proc import requires, wait_until  # noqa: E402

redis = pytest.importorskip("redis")

PUBSUB_CMDS = ("subscribe", "unsubscribe", "psubscribe", "punsubscribe", "publish",
               "pubsub|numsub", "pubsub|numpat", "pubsub|channels")
TIMEOUT = 5.0
MANY = 1000


@pytest.fixture
def both(servers):
    """(servers, client(server)) with both servers flushed; clients are closed afterwards."""
    requires(servers[1], *PUBSUB_CMDS)
    made = []

    def client(server):
        c = redis.Redis(host=server.host, port=server.port, socket_timeout=TIMEOUT,
                        socket_connect_timeout=TIMEOUT)
        made.append(c)
        return c

    for s in servers:
        c = client(s)
        assert c.flushall() is True
    yield servers, client
    for c in made:
        try:
            c.close()
        except Exception:
            pass


def run_both(servers, client, scenario):
    """Runs scenario(client_factory_for_server) on each server; the transcripts must match."""
    out = []
    for s in servers:
        pubsubs = []

        def mk(s=s):
            return client(s)

        try:
            out.append(scenario(mk, pubsubs))
        finally:
            for p in pubsubs:
                try:
                    p.close()
                except Exception:
                    pass
    assert out[0] == out[1], f"\nredis: {out[0]!r}\nvole:  {out[1]!r}"
    return out[0]


def get_messages(ps, n, timeout=TIMEOUT):
    """The next n messages of a PubSub, polled with get_message until the deadline; fails
    naming what did arrive."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"wanted {n} pub/sub messages within {timeout}s, got {got!r}")
        m = ps.get_message(timeout=min(left, 0.2))
        if m is not None:
            got.append(m)
    return got


def no_more_messages(ps, wait=0.2):
    """None when nothing arrives within wait seconds, else the stray message."""
    return ps.get_message(timeout=wait)


def numsub(c, channel):
    return dict(c.pubsub_numsub(channel))[channel.encode()]


def test_subscribe_get_message_loop(both):
    def scenario(mk, pubsubs):
        r = mk()
        ps = r.pubsub()
        pubsubs.append(ps)
        t = []
        ps.subscribe("rp:a", "rp:b")
        t.append(get_messages(ps, 2))
        t.append(ps.subscribed)
        t.append(r.publish("rp:a", "hello"))
        t.append(r.publish("rp:b", b"bin\x00\r\n" * 100))
        t.append(r.publish("rp:none", "x"))
        t.append(get_messages(ps, 2))
        t.append(no_more_messages(ps))
        t.append(r.pubsub_numsub("rp:a", "rp:b", "rp:none"))
        t.append(sorted(r.pubsub_channels("rp:*")))
        # a second subscriber on the same channel doubles the count
        ps2 = r.pubsub(ignore_subscribe_messages=True)
        pubsubs.append(ps2)
        ps2.subscribe("rp:a")
        t.append(ps2.get_message(timeout=1.0))  # the confirmation is swallowed: None
        t.append(wait_until(lambda: numsub(r, "rp:a") == 2, TIMEOUT))
        t.append(r.publish("rp:a", "two"))
        t.append(get_messages(ps, 1))
        t.append(get_messages(ps2, 1))
        return t

    run_both(*both, scenario)


def test_psubscribe_and_patterns(both):
    def scenario(mk, pubsubs):
        r = mk()
        ps = r.pubsub()
        pubsubs.append(ps)
        t = []
        ps.psubscribe("rpp.*", "rpp.[xy]")
        t.append(get_messages(ps, 2))
        ps.subscribe("rpp.x")
        t.append(get_messages(ps, 1))
        t.append(r.pubsub_numpat())
        # one channel subscription and two matching patterns: three deliveries, the channel's
        # first; the patterns' order is Redis's hash-table order, so compared sorted
        t.append(r.publish("rpp.x", "m1"))
        ms = get_messages(ps, 3)
        t.append(ms[0])
        t.append(sorted(repr(sorted(m.items())) for m in ms[1:]))
        t.append(r.publish("rpp.z", "m2"))
        t.append(get_messages(ps, 1))
        t.append(r.publish("other", "m3"))
        t.append(no_more_messages(ps))
        ps.punsubscribe("rpp.*")
        t.append(get_messages(ps, 1))
        t.append(r.pubsub_numpat())
        t.append(r.publish("rpp.z", "m4"))
        t.append(r.publish("rpp.y", "m5"))
        t.append(get_messages(ps, 1))
        ps.punsubscribe()
        t.append(get_messages(ps, 1))
        t.append(r.pubsub_numpat())
        t.append(ps.subscribed)
        return t

    run_both(*both, scenario)


def test_unsubscribe(both):
    def scenario(mk, pubsubs):
        r = mk()
        ps = r.pubsub()
        pubsubs.append(ps)
        t = []
        ps.subscribe("rpu:1", "rpu:2", "rpu:3")
        t.append(get_messages(ps, 3))
        ps.unsubscribe("rpu:2")
        t.append(get_messages(ps, 1))
        t.append(r.publish("rpu:2", "lost"))
        t.append(r.publish("rpu:1", "kept"))
        t.append(get_messages(ps, 1))
        t.append(r.pubsub_numsub("rpu:1", "rpu:2", "rpu:3"))
        # unsubscribing from everything: one reply per remaining channel, in an order Redis
        # leaves to its hash table, so compared as a sorted list; the last count is 0
        ps.unsubscribe()
        ms = get_messages(ps, 2)
        t.append(sorted((m["type"], m["channel"]) for m in ms))
        t.append(sorted(m["data"] for m in ms))
        t.append(wait_until(lambda: not ps.subscribed, 1.0))
        t.append(r.publish("rpu:1", "gone"))
        t.append(r.publish("rpu:3", "gone"))
        t.append(r.pubsub_numsub("rpu:1", "rpu:3"))
        # unsubscribing from a channel never subscribed still answers, with count 0
        ps.subscribe("rpu:4")
        t.append(get_messages(ps, 1))
        ps.unsubscribe("rpu:never")
        t.append(get_messages(ps, 1))
        # the connection goes back to normal commands once nothing is subscribed
        ps.unsubscribe("rpu:4")
        t.append(get_messages(ps, 1))
        ps.reset()
        t.append(r.pubsub_numsub("rpu:4"))
        return t

    run_both(*both, scenario)


@pytest.mark.parametrize("transaction", [False, True])
def test_pipeline_mixes_publish(both, transaction):
    def scenario(mk, pubsubs):
        r = mk()
        ps = r.pubsub()
        pubsubs.append(ps)
        t = []
        ps.subscribe("rpl:ch")
        t.append(get_messages(ps, 1))
        p = r.pipeline(transaction=transaction)
        p.set("rpl:k", "v1")
        p.publish("rpl:ch", "first")
        p.incr("rpl:n")
        p.publish("rpl:nobody", "x")
        p.rpush("rpl:list", "a", "b")
        p.publish("rpl:ch", "second")
        p.get("rpl:k")
        p.pubsub_numsub("rpl:ch")
        p.lrange("rpl:list", 0, -1)
        t.append(p.execute())
        t.append(get_messages(ps, 2))
        t.append(no_more_messages(ps))
        # an error inside the pipeline does not stop the publishes around it
        p = r.pipeline(transaction=transaction)
        p.publish("rpl:ch", "before")
        p.incr("rpl:k")  # not an integer
        p.publish("rpl:ch", "after")
        try:
            res = p.execute(raise_on_error=False)
            t.append([repr(x) if isinstance(x, Exception) else x for x in res])
        except redis.ResponseError as e:
            t.append(("raised", str(e)))
        t.append(get_messages(ps, 2))
        t.append(r.mget("rpl:k", "rpl:n"))
        return t

    run_both(*both, scenario)


def _raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        new = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    if soft != resource.RLIM_INFINITY and soft < need:
        pytest.skip(f"RLIMIT_NOFILE {soft} is below the {need} descriptors this test needs")


def _read_all(socks, want, timeout):
    """Reads from every socket until each holds a complete frame equal to want[sock]; returns
    {sock: bytes} for those that did not get there by the deadline (with what they got)."""
    sel = selectors.DefaultSelector()
    bufs = {}
    for s in socks:
        bufs[s] = b""
        sel.register(s, selectors.EVENT_READ)
    pending = set(socks)
    deadline = time.monotonic() + timeout
    try:
        while pending:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in sel.select(min(left, 0.5)):
                s = key.fileobj
                try:
                    chunk = s.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    sel.unregister(s)
                    pending.discard(s)
                    bufs[s] += b"<closed>"
                    continue
                bufs[s] += chunk
                if len(bufs[s]) >= len(want) and frame_length(bufs[s]) > 0:
                    sel.unregister(s)
                    pending.discard(s)
    finally:
        sel.close()
    return {s: b for s, b in bufs.items() if b != want or s in pending}


def test_thousand_subscribers_one_channel(both):
    import socket
    servers, client = both
    _raise_nofile(2 * MANY + 256)
    sub_req = encode("SUBSCRIBE", "rpm:ch")
    confirm = b"*3\r\n$9\r\nsubscribe\r\n$6\r\nrpm:ch\r\n:1\r\n"
    payload = b"to-all-\x00-" * 8
    message = (b"*3\r\n$7\r\nmessage\r\n$6\r\nrpm:ch\r\n$%d\r\n%s\r\n" % (len(payload), payload))
    results = []
    for server in servers:
        r = client(server)
        socks = []
        try:
            for _ in range(MANY):
                s = socket.create_connection((server.host, server.port), timeout=TIMEOUT)
                s.setblocking(False)
                socks.append(s)
                s.sendall(sub_req)
            bad = _read_all(socks, confirm, 15.0)
            assert not bad, (f"{server.kind}: {len(bad)} of {MANY} subscribers got no SUBSCRIBE "
                             f"confirmation, e.g. {next(iter(bad.values()))[:200]!r}")
            assert numsub(r, "rpm:ch") == MANY
            count = r.publish("rpm:ch", payload)
            bad = _read_all(socks, message, 15.0)
            results.append((server.kind, count, len(bad)))
            assert count == MANY, f"{server.kind}: PUBLISH to {MANY} subscribers answered {count}"
            assert not bad, (f"{server.kind}: {len(bad)} of {MANY} subscribers did not receive "
                             f"exactly the message, e.g. {next(iter(bad.values()))[:200]!r}")
        finally:
            for s in socks:
                s.close()
        last = wait_until(lambda: numsub(r, "rpm:ch") == 0, 10.0)
        assert last, (f"{server.kind}: PUBSUB NUMSUB rpm:ch still "
                      f"{numsub(r, 'rpm:ch')} 10 s after closing all {MANY} subscribers")
        assert r.pubsub_channels("rpm:*") == []
        # the server still serves normally after the burst
        assert r.publish("rpm:ch", "x") == 0
        assert r.ping() is True
    assert [x[1:] for x in results] == [(MANY, 0), (MANY, 0)], results
