# Server-Sent Events: GET /api/v1/events delivers pub/sub messages and keyspace notifications,
# sends heartbeats, continues ids after Last-Event-ID, and cleans up after vanished or slow
# readers.
import json
import socket
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.http_util import http_instance  # noqa: E402
from lib.vole_proc import wait_until  # noqa: E402


@pytest.fixture(scope="module")
def h():
    yield from http_instance(["--notify-keyspace-events", "KEA", "--http-sse-heartbeat-ms", "300",
                         "--http-sse-max-buffer", "1mb"])


@pytest.fixture
def r(h):
    c = h.vole.client(decode_responses=True)
    yield c
    c.close()


class Stream:
    """A raw SSE reader."""

    def __init__(self, h, query, headers=b""):
        self.s = socket.create_connection((h.host, h.port), timeout=5)
        self.s.sendall(b"GET /api/v1/events?%s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (query.encode(), headers))
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.s.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        self.head, _, self.buf = self.buf.partition(b"\r\n\r\n")

    def status(self):
        return int(self.head.split(b" ")[1])

    def blocks(self, n, timeout=5):
        """The next n blocks (separated by a blank line), comments included."""
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < n and time.monotonic() < deadline:
            if b"\n\n" in self.buf:
                blk, _, self.buf = self.buf.partition(b"\n\n")
                out.append(blk.decode())
                continue
            self.s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            self.buf += chunk
        return out

    def events(self, n, timeout=5):
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < n and time.monotonic() < deadline:
            for b in self.blocks(1, max(0.01, deadline - time.monotonic())):
                fields = dict(line.split(": ", 1) for line in b.split("\n")
                              if line and not line.startswith(":") and ": " in line)
                if "data" in fields:
                    fields["data"] = json.loads(fields["data"])
                    out.append(fields)
        return out

    def close(self):
        self.s.close()


def numsub(r, ch):
    return dict(r.pubsub_numsub(ch))[ch]


def test_channel_messages(h, r):
    st = Stream(h, "channels=news,sports")
    assert st.status() == 200 and b"text/event-stream" in st.head
    assert st.blocks(1)[0].startswith(": subscribed")
    assert numsub(r, "news") == 1 and numsub(r, "sports") == 1
    r.publish("news", "hello")
    assert h.request("POST", "/api/v1/publish/sports", {"message": "goal"})[2] == {"receivers": 1}
    ev = st.events(2)
    assert [e["data"] for e in ev] == [{"channel": "news", "message": "hello"},
                                       {"channel": "sports", "message": "goal"}]
    assert [e["id"] for e in ev] == ["1", "2"] and ev[0]["event"] == "message"
    st.close()
    assert wait_until(lambda: numsub(r, "news") == 0, 5)


def test_keyspace_pattern_events(h, r):
    st = Stream(h, "patterns=__keyspace__:user:*")
    st.blocks(1)
    h.request("PUT", "/api/v1/keys/user:7", {"value": "x"})
    r.delete("user:7")
    r.set("other", 1)
    ev = st.events(2)
    assert [e["data"]["event"] for e in ev] == ["set", "del"]
    assert ev[0]["data"]["key"] == "user:7" and ev[0]["data"]["db"] == 0
    assert ev[0]["data"]["pattern"] == "__keyspace@0__:user:*"
    st.close()


def test_keyevent_channel_in_another_db(h, r):
    st = Stream(h, "channels=__keyevent__:expired&db=4")
    st.blocks(1)
    r4 = h.vole.client(db=4, decode_responses=True)
    r4.set("tmp", 1, px=20)
    ev = st.events(1, timeout=5)
    r4.close()
    assert ev and ev[0]["data"]["event"] == "expired" and ev[0]["data"]["key"] == "tmp"
    assert ev[0]["data"]["db"] == 4
    st.close()


def test_heartbeat(h):
    st = Stream(h, "channels=quiet")
    st.blocks(1)
    blocks = st.blocks(2, timeout=3)
    assert blocks == [": keepalive", ": keepalive"]
    st.close()


def test_last_event_id_continues_numbering(h, r):
    st = Stream(h, "channels=resume", b"Last-Event-ID: 41\r\n")
    st.blocks(1)
    r.publish("resume", "a")
    assert st.events(1)[0]["id"] == "42"
    st.close()


def test_bad_stream_requests(h):
    assert h.get("/api/v1/events")[0] == 400
    assert h.get("/api/v1/events?channels=")[0] == 400
    st, _, body = h.get("/api/v1/events?channels=a&db=5000")
    assert st == 400 and "DB index" in body["error"]


def test_vanished_reader_is_unsubscribed(h, r):
    streams = [Stream(h, "channels=gone") for _ in range(5)]
    for s in streams:
        s.blocks(1)
    assert numsub(r, "gone") == 5
    for s in streams:
        s.close()
    assert wait_until(lambda: numsub(r, "gone") == 0, 5)


def test_slow_reader_dropped_others_served(h, r):
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.settimeout(5)
    slow.connect((h.host, h.port))
    slow.sendall(b"GET /api/v1/events?channels=flood HTTP/1.1\r\nHost: x\r\n\r\n")
    assert wait_until(lambda: numsub(r, "flood") == 1, 5)
    fast = Stream(h, "channels=flood")
    fast.blocks(1)
    payload = "x" * 10000
    # 10 MB in rounds of 500 kB that the fast reader reads before the next round: it stays
    # under the limit, the slow one (which never reads) passes it once the kernel buffers fill
    got = 0
    for _ in range(20):
        p = r.pipeline(transaction=False)
        for _ in range(50):
            p.publish("flood", payload)
        p.execute()
        got += len(fast.events(50, timeout=5))
    assert got == 1000
    assert wait_until(lambda: numsub(r, "flood") == 1, 5)
    st, _, text = h.get("/metrics")
    assert "vole_http_sse_dropped_total 1" in text
    fast.close()
    slow.close()


def test_client_kill_ends_stream(h, r):
    """An HTTP client is a client of the engine like any other: CLIENT KILL over RESP ends its
    stream."""
    st = Stream(h, "channels=killme")
    st.blocks(1)
    addr = "%s:%d" % st.s.getsockname()
    assert any(c["addr"] == addr for c in r.client_list())
    assert r.client_kill(addr) is True
    st.s.settimeout(5)
    rest = b""
    while True:
        chunk = st.s.recv(4096)
        if not chunk:
            break
        rest += chunk
    st.close()
    assert wait_until(lambda: numsub(r, "killme") == 0, 5)
