# Pub/Sub across connections against redis-server: the same steps (subscribers, publishers,
# patterns, shard channels, RESP3 pushes, disconnects) run on both servers over raw sockets and
# every frame each connection receives must be byte-identical. Frames whose order Redis leaves
# to its hash tables (UNSUBSCRIBE without arguments) are compared as multisets.
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.resp_raw import RawConn  # noqa: E402
from lib.vole_proc import requires, wait_until  # noqa: E402

PUBSUB_CMDS = ("subscribe", "unsubscribe", "psubscribe", "punsubscribe", "publish",
               "ssubscribe", "sunsubscribe", "spublish", "pubsub|numsub", "pubsub|numpat")
TIMEOUT = 5.0


@pytest.fixture
def both(servers):
    requires(servers[1], *PUBSUB_CMDS)
    opened = []

    def conn(server):
        c = RawConn(server)
        opened.append(c)
        return c

    for s in servers:
        c = conn(s)
        assert c.call("FLUSHALL") == b"+OK\r\n"
        c.close()
    yield servers, conn
    for c in opened:
        c.close()


def run_both(servers, conn, scenario):
    """Runs scenario(server, conn) on each server; returns the two transcripts, which must be
    equal."""
    out = [scenario(s, conn) for s in servers]
    assert out[0] == out[1], f"redis: {out[0]!r}\nvole:  {out[1]!r}"
    return out[0]


def numsub(pub, channel, shard=False):
    r = pub.call("PUBSUB", "SHARDNUMSUB" if shard else "NUMSUB", channel)
    return int(r.split(b"\r\n")[-2][1:])


def test_publish_subscribe(both):
    def scenario(server, conn):
        sub, pub = conn(server), conn(server)
        t = [sub.call("SUBSCRIBE", "ps:ch", "ps:other")]
        t.append(sub.frame())
        t.append(pub.call("PUBLISH", "ps:ch", "hello"))
        t.append(sub.frame())
        t.append(pub.call("PUBLISH", "ps:ch", b"bin\x00\r\nary" * 50))
        t.append(sub.frame())
        t.append(pub.call("PUBLISH", "ps:none", "x"))
        t.append(pub.call("PUBLISH", "ps:other", ""))
        t.append(sub.frame())
        t.append(pub.call("PUBSUB", "NUMSUB", "ps:ch", "ps:other", "ps:none"))
        t.append(sub.call("UNSUBSCRIBE", "ps:ch"))
        t.append(pub.call("PUBLISH", "ps:ch", "lost"))
        t.append(sub.call("PING"))  # also shows no message arrived in between
        return t

    run_both(*both, scenario)


def test_patterns(both):
    def scenario(server, conn):
        sub, pub = conn(server), conn(server)
        t = sub.frames(0)
        sub.send("SUBSCRIBE", "news.a")
        sub.send("PSUBSCRIBE", "news.*", "n[eo]ws.?", r"x\*")
        t += sub.frames(4)
        t.append(pub.call("PUBSUB", "NUMPAT"))
        t.append(pub.call("PUBLISH", "news.a", "m1"))
        # the message first, then one pmessage per pattern (in the server's hash order)
        t.append(sub.frame())
        t.append(sorted(sub.frames(2)))
        t.append(pub.call("PUBLISH", "news.long", "m2"))  # only news.*
        t += sub.frames(1)
        t.append(pub.call("PUBLISH", "x*", "m3"))
        t += sub.frames(1)
        t.append(pub.call("PUBLISH", "xy", "m4"))
        t.append(sub.call("PUNSUBSCRIBE", "news.*"))
        t.append(pub.call("PUBLISH", "news.long", "m5"))
        t.append(sub.call("PUNSUBSCRIBE"))  # the rest, in subscription order
        t += sub.frames(1)
        t.append(pub.call("PUBSUB", "NUMPAT"))
        t.append(pub.call("PUBLISH", "news.b", "m6"))
        t.append(sub.call("PING", "done"))
        return t

    run_both(*both, scenario)


def test_pattern_and_channel_counts_per_client(both):
    """Two clients on the same pattern count once in NUMPAT; each receives its own copy."""
    def scenario(server, conn):
        a, b, pub = conn(server), conn(server), conn(server)
        t = [a.call("PSUBSCRIBE", "pc:*"), b.call("PSUBSCRIBE", "pc:*"),
             pub.call("PUBSUB", "NUMPAT"), pub.call("PUBLISH", "pc:1", "x"), a.frame(),
             b.frame(), a.call("PUNSUBSCRIBE", "pc:*"), pub.call("PUBSUB", "NUMPAT"),
             pub.call("PUBLISH", "pc:1", "y"), b.frame(), b.call("PUNSUBSCRIBE"),
             pub.call("PUBSUB", "NUMPAT")]
        return t

    run_both(*both, scenario)


def test_unsubscribe_all(both):
    """UNSUBSCRIBE with no channel answers once per channel (Redis's order is its hash order:
    compared as a set, with the counts going down one by one)."""
    def scenario(server, conn):
        sub, pub = conn(server), conn(server)
        names = [f"ua:{i}" for i in range(10)]
        sub.send("SUBSCRIBE", *names)
        t = sub.frames(len(names))
        sub.send("PSUBSCRIBE", "ua:*")
        t += sub.frames(1)
        sub.send("UNSUBSCRIBE")
        frames = sub.frames(len(names))
        parts = [f.split(b"\r\n") for f in frames]
        t.append(sorted(p[:5] for p in parts))  # header, kind, channel
        t.append([p[-2] for p in parts])  # the counts
        t.append(pub.call("PUBSUB", "NUMSUB", *names[:3]))
        t.append(pub.call("PUBLISH", "ua:1", "only-pattern"))
        t.append(sub.frame())
        t.append(sub.call("PUNSUBSCRIBE"))
        t.append(sub.call("GET", "k"))  # out of subscribed mode
        t.append(sub.call("UNSUBSCRIBE"))
        return t

    run_both(*both, scenario)


def test_many_subscribers(both):
    def scenario(server, conn):
        subs = [conn(server) for _ in range(25)]
        pub = conn(server)
        t = []
        for i, s in enumerate(subs):
            t.append(s.call("SUBSCRIBE", "many"))
            if i % 2:
                t.append(s.call("PSUBSCRIBE", "ma*"))
        t.append(pub.call("PUBSUB", "NUMSUB", "many"))
        t.append(pub.call("PUBLISH", "many", "to-all"))
        for i, s in enumerate(subs):
            t += s.frames(1 + i % 2)
        # some leave: the rest still receive, in subscription order on each connection
        for s in subs[:10]:
            s.close()
        assert wait_until(lambda: numsub(pub, "many") == 15, TIMEOUT)
        assert wait_until(lambda: pub.call("PUBSUB", "NUMPAT") == b":1\r\n", TIMEOUT)
        t.append(pub.call("PUBLISH", "many", "to-rest"))
        for i, s in enumerate(subs[10:], 10):
            t += s.frames(1 + i % 2)
        return t

    run_both(*both, scenario)


def test_disconnect_cleans_up(both):
    def scenario(server, conn):
        sub, pub = conn(server), conn(server)
        sub.send("SUBSCRIBE", "dc:a", "dc:b")
        sub.send("PSUBSCRIBE", "dc:*")
        sub.send("SSUBSCRIBE", "dc:s")
        t = sub.frames(4)
        t.append(pub.call("PUBSUB", "NUMSUB", "dc:a", "dc:b"))
        sub.close()
        assert wait_until(lambda: numsub(pub, "dc:a") == 0, TIMEOUT)
        assert wait_until(lambda: numsub(pub, "dc:s", shard=True) == 0, TIMEOUT)
        t.append(pub.call("PUBSUB", "NUMPAT"))
        t.append(pub.call("PUBSUB", "CHANNELS", "dc:*"))
        t.append(pub.call("PUBLISH", "dc:a", "x"))
        t.append(pub.call("SPUBLISH", "dc:s", "x"))
        return t

    run_both(*both, scenario)


def test_client_kill_subscriber(both):
    def scenario(server, conn):
        sub, pub = conn(server), conn(server)
        t = [sub.call("CLIENT", "SETNAME", "victim"), sub.call("SUBSCRIBE", "kill:a")]
        pub.call("CLIENT", "KILL", "SKIPME", "yes")
        assert wait_until(lambda: numsub(pub, "kill:a") == 0, TIMEOUT)
        t.append(pub.call("PUBLISH", "kill:a", "x"))
        return t

    run_both(*both, scenario)


def test_shard_channels(both):
    def scenario(server, conn):
        sub, pub = conn(server), conn(server)
        t = [sub.call("SSUBSCRIBE", "sh:a")]
        sub.send("SUBSCRIBE", "sh:a")
        t.append(sub.frame())
        t.append(pub.call("SPUBLISH", "sh:a", "shard"))  # only the shard subscription
        t.append(sub.frame())
        t.append(pub.call("PUBLISH", "sh:a", "plain"))  # only the plain one
        t.append(sub.frame())
        t.append(pub.call("PUBSUB", "SHARDCHANNELS", "sh:*"))
        t.append(pub.call("PUBSUB", "SHARDNUMSUB", "sh:a", "sh:b"))
        t.append(sub.call("SUNSUBSCRIBE"))
        t.append(sub.call("UNSUBSCRIBE"))
        t.append(pub.call("SPUBLISH", "sh:a", "gone"))
        return t

    run_both(*both, scenario)


def test_resp3_pushes(both):
    """A RESP3 subscriber gets push frames and may run any command; a message published while
    its command runs arrives in order with its replies; publishing to itself pushes the message
    before PUBLISH's reply."""
    def scenario(server, conn):
        sub, pub = conn(server), conn(server)
        sub.send("HELLO", "3")
        sub.frame()
        t = [sub.call("SUBSCRIBE", "r3:a"), sub.call("PSUBSCRIBE", "r3:*")]
        t.append(sub.call("SET", "r3:k", "v"))
        t.append(sub.call("GET", "r3:k"))
        t.append(pub.call("PUBLISH", "r3:a", "hi"))
        t += sub.frames(2)
        sub.send("PUBLISH", "r3:a", "self")
        t += sub.frames(3)
        t.append(sub.call("PING"))
        t.append(sub.call("UNSUBSCRIBE"))
        t.append(sub.call("PUNSUBSCRIBE"))
        t.append(sub.call("UNSUBSCRIBE"))
        t.append(sub.call("DEL", "r3:k"))
        return t

    run_both(*both, scenario)


def test_reset_and_hello_while_subscribed(both):
    def scenario(server, conn):
        sub, pub = conn(server), conn(server)
        t = [sub.call("SUBSCRIBE", "rs:a"), sub.call("GET", "x")]
        t.append(sub.call("RESET"))
        t.append(pub.call("PUBLISH", "rs:a", "x"))
        t.append(sub.call("GET", "x"))
        # RESP3 subscriber switching back to RESP2 enters subscribed mode's restrictions
        sub.send("HELLO", "3")
        sub.frame()
        t.append(sub.call("SUBSCRIBE", "rs:b"))
        sub.send("HELLO", "2")
        sub.frame()
        t.append(sub.call("GET", "x"))
        t.append(sub.call("PING"))
        t.append(pub.call("PUBLISH", "rs:b", "y"))
        t.append(sub.frame())
        t.append(sub.call("QUIT"))
        return t

    run_both(*both, scenario)


def test_slow_subscriber_is_disconnected(both):
    """A subscriber that never reads is closed once its queued output passes the pub/sub hard
    limit (32 MB by default) instead of growing memory without bound; the publisher is not
    affected. Which PUBLISH first counts 0 depends on socket buffers, so only the outcome is
    compared."""
    servers, conn = both
    payload = b"x" * (1024 * 1024)

    def scenario(server, conn):
        sub, pub = conn(server), conn(server)
        sub.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        t = [sub.call("SUBSCRIBE", "slow")]
        for _ in range(80):
            pub.send("PUBLISH", "slow", payload)
        counts = [pub.frame(timeout=30) for _ in range(80)]
        assert counts[0] == b":1\r\n"
        assert wait_until(lambda: numsub(pub, "slow") == 0, 30)
        t.append(pub.call("PUBLISH", "slow", "after"))
        t.append(pub.call("PING"))
        return t

    run_both(servers, conn, scenario)


def test_soft_output_limit_disconnects_after_its_seconds(both):
    """client-output-buffer-limit's soft part: above the soft limit for longer than its
    seconds (checked as output is added) the subscriber is closed, as in Redis; below the
    hard limit nothing happens at once. The limits are set and restored with CONFIG SET."""
    servers, conn = both

    def scenario(server, conn):
        sub, pub = conn(server), conn(server)
        t = [pub.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 64mb 256kb 1")]
        try:
            sub.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            t.append(sub.call("SUBSCRIBE", "soft"))
            # 16 MB: more than socket buffers take (the kernel's and, in Redis, its per-event
            # write cap differ), far above the soft limit, far below the hard one
            for _ in range(16):
                pub.call("PUBLISH", "soft", b"y" * (1024 * 1024))
            # still subscribed right away: the soft limit needs its second
            t.append(numsub(pub, "soft") == 1)
            # more output after the second passes: the check closes it
            gone = wait_until(lambda: pub.call("PUBLISH", "soft", "tick") == b":0\r\n", 10,
                              interval=0.1)
            t.append(gone)
        finally:
            t.append(pub.call("CONFIG", "SET", "client-output-buffer-limit",
                              "pubsub 32mb 8mb 60"))
        return t

    run_both(servers, conn, scenario)
