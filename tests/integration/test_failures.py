# Failure handling: malformed inter-process messages are dropped without harm, hung or killed
# children are replaced without leaving stale clients behind, and misbehaving clients (protocol
# errors, too many connections, an oversized query buffer) are cut off exactly as Redis does.
import os
import random
import signal
import struct
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.vole_proc import (proc_is_zombie, proc_ppid, recv_until_closed,  # noqa: E402
                           start_redis, start_vole, wait_until)

WATCHDOG_MS = 1000


@pytest.fixture
def vole():
    v = start_vole()
    yield v
    v.stop()


@pytest.fixture(scope="module")
def redis_ref():
    r = start_redis()
    yield r
    r.stop()


def _wait_child(v, role, timeout=5.0, other_than=None):
    pid = wait_until(lambda: (lambda p: p if p and p != other_than else None)(v.child_pid(role)),
                     timeout)
    assert pid, f"no (new) {role} child of supervisor {v.pid}: {v.children()}\n{v.log_tail()}"
    return pid


def _try(f):
    try:
        return f()
    except Exception:
        return None


# ---------------------------------------------------------------------------------------------
# The inter-process protocol (docs/protocol.md), written independently of shared/proto.c so the
# engine's codec is checked from outside.

MAGIC = 0x564F
VERSION = 1
FE_HELLO, CMD_BATCH, REPLY_BATCH, PUSH, CONFIG = 1, 2, 3, 4, 5
REC_CMD, REC_OPEN, REC_CLOSE, REC_ERR_CLOSE = 1, 2, 3, 4


def hdr(mtype, count, seq=0, version=VERSION, magic=MAGIC):
    return struct.pack("<HBBII", magic, version, mtype, count, seq)


def str16(b):
    return struct.pack("<H", len(b)) + b


def rec_open(client, addr=b"127.0.0.1:40000", laddr=b"127.0.0.1:1", flags=0):
    return struct.pack("<BI", REC_OPEN, client) + str16(addr) + str16(laddr) + bytes([flags])


def rec_cmd(client, *args):
    args = [a.encode() if isinstance(a, str) else a for a in args]
    return struct.pack("<BII", REC_CMD, client, len(args)) + b"".join(
        struct.pack("<I", len(a)) + a for a in args)


def rec_close(client):
    return struct.pack("<BI", REC_CLOSE, client)


def batch(seq, *recs, count=None):
    return hdr(CMD_BATCH, len(recs) if count is None else count, seq) + b"".join(recs)


def hello(role, instance):
    return hdr(FE_HELLO, 1) + str16(role) + str16(instance)


def decode_reply_message(msg):
    """(type, seq, [(client, flags, bytes)]) of a REPLY_BATCH or PUSH; raises ValueError on
    anything that does not follow docs/protocol.md exactly."""
    if len(msg) < 12:
        raise ValueError(f"short message {msg!r}")
    magic, version, mtype, count, seq = struct.unpack_from("<HBBII", msg)
    if magic != MAGIC or version != VERSION:
        raise ValueError(f"bad header {msg[:12]!r}")
    if mtype not in (REPLY_BATCH, PUSH):
        raise ValueError(f"not a reply message: type {mtype}")
    pos, recs = 12, []
    for _ in range(count):
        if len(msg) - pos < 9:
            raise ValueError(f"truncated record header at {pos} in {msg!r}")
        client, flags, n = struct.unpack_from("<IBI", msg, pos)
        pos += 9
        if len(msg) - pos < n:
            raise ValueError(f"truncated record body at {pos} in {msg!r}")
        recs.append((client, flags, msg[pos:pos + n]))
        pos += n
    if pos != len(msg):
        raise ValueError(f"{len(msg) - pos} trailing bytes in {msg!r}")
    return mtype, seq, recs


def per_client(recs):
    """Reply bytes and OR-ed flags per client: the engine may split one client's replies over
    several records."""
    out = {}
    for client, flags, data in recs:
        b, f = out.get(client, (b"", 0))
        out[client] = (b + data, f | flags)
    return out


class EngineLink:
    """A DEALER connected to a running engine, speaking the frontend side of the protocol."""

    def __init__(self, v, routing_id=b"test-failures"):
        import zmq
        self.zmq = zmq
        self.v = v
        path = v.run_dir / "engine.sock"
        assert wait_until(path.exists, 5.0), f"{path} missing\n{v.log_tail()}"
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        if routing_id is not None:
            self.sock.setsockopt(zmq.ROUTING_ID, routing_id)
        self.sock.connect(v.engine_endpoint())
        self.seq = 0x40000000
        self.seen = []  # every reply message received, decoded

    def close(self):
        self.sock.close(0)
        self.ctx.term()

    def send(self, *frames):
        self.sock.send_multipart(list(frames))

    def next_seq(self):
        self.seq += 1
        return self.seq

    def wait_answer(self, seq, timeout=5.0):
        """Receives until the REPLY_BATCH answering batch seq arrives; returns its records.
        Every other message (answers to dropped batches, CONFIG) is decoded or skipped."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sock.poll(int(left * 1000) + 1):
                raise AssertionError(f"no REPLY_BATCH with seq {seq:#x} within {timeout}s\n"
                                     f"{self.v.log_tail()}")
            frames = self.sock.recv_multipart()
            assert len(frames) == 1, f"engine sent a multi-frame message: {frames!r}"
            msg = frames[0]
            if len(msg) >= 4 and msg[3] == CONFIG:
                continue
            mtype, mseq, recs = decode_reply_message(msg)
            self.seen.append((mtype, mseq, recs))
            if mtype == REPLY_BATCH and mseq == seq:
                return recs

    def sync(self, timeout=5.0):
        """An empty batch and its answer: everything sent before it has been handled."""
        s = self.next_seq()
        self.send(batch(s))
        assert self.wait_answer(s, timeout) == []

    def run(self, *recs):
        s = self.next_seq()
        self.send(batch(s, *recs))
        return per_client(self.wait_answer(s))


def _dropping_lines(v):
    return [ln for ln in v.log_text().splitlines() if "dropping" in ln.lower()]


def _malformed_cases(rng):
    """(label, frame) pairs: each frame is malformed in one way the engine must reject."""
    good = batch(7, rec_open(900), rec_cmd(900, "PING"), rec_close(900))
    cases = [
        ("empty frame", b""),
        ("one byte", b"\x4f"),
        ("header minus one byte", hdr(CMD_BATCH, 0)[:11]),
        ("wrong magic", hdr(CMD_BATCH, 0, magic=0x1234)),
        ("wrong version", hdr(CMD_BATCH, 0, version=2) + rec_cmd(1, "PING")),
        ("version 0", hdr(CMD_BATCH, 0, version=0)),
        ("huge count, no records", hdr(CMD_BATCH, 0xFFFFFFFF)),
        ("huge count, one record", hdr(CMD_BATCH, 0x7FFFFFFF) + rec_close(5)),
        ("count larger than records", batch(0, rec_close(5), rec_close(6), count=3)),
        ("truncated record kind only", hdr(CMD_BATCH, 1) + b"\x01"),
        ("truncated cmd record", batch(0, rec_cmd(901, "PING", "x"))[:-1]),
        ("arg length past the end",
         hdr(CMD_BATCH, 1) + struct.pack("<BIII", REC_CMD, 902, 1, 1000) + b"PING"),
        ("argc 0", hdr(CMD_BATCH, 1) + struct.pack("<BII", REC_CMD, 903, 0)),
        ("huge argc", hdr(CMD_BATCH, 1) + struct.pack("<BII", REC_CMD, 904, 0xFFFFFFFF)
         + struct.pack("<I", 4) + b"PING"),
        ("record kind 99", hdr(CMD_BATCH, 1) + struct.pack("<BI", 99, 905)),
        ("record kind 0", hdr(CMD_BATCH, 1) + struct.pack("<BI", 0, 905)),
        ("open with addr past the end",
         hdr(CMD_BATCH, 1) + struct.pack("<BIH", REC_OPEN, 906, 500) + b"1.2.3.4:5"),
        ("open without flags byte", batch(0, rec_open(907))[:-1]),
        ("err_close length past the end",
         hdr(CMD_BATCH, 1) + struct.pack("<BII", REC_ERR_CLOSE, 908, 99) + b"-ERR x\r\n"),
        ("trailing garbage", batch(0, rec_close(909)) + b"\x00garbage"),
        ("one trailing byte", batch(0) + b"\x00"),
        ("hello truncated", hdr(FE_HELLO, 1) + struct.pack("<H", 40) + b"frontend"),
        ("hello without instance", hdr(FE_HELLO, 1) + str16(b"x")),
        ("reply type sent to engine", hdr(REPLY_BATCH, 0)),
        ("push type sent to engine", hdr(PUSH, 0)),
        ("config type sent to engine", hdr(CONFIG, 0)),
        ("type 0", hdr(0, 0)),
        ("type 255", hdr(255, 0)),
    ]
    # every strict prefix of a valid batch is incomplete (count promises 3 records)
    for cut in range(12, len(good)):
        cases.append((f"valid batch cut at {cut}", good[:cut]))
    for n in (1, 2, 3, 7, 11, 12, 13, 64, 511, 4096, 65536):
        cases.append((f"{n} random bytes", bytes(rng.getrandbits(8) for _ in range(n))))
    return cases


def _random_frames(rng, n):
    """Random frames, half of them behind a valid CMD_BATCH header so the decoder sees them."""
    out = []
    for i in range(n):
        size = rng.choice((rng.randrange(0, 40), rng.randrange(0, 600), rng.randrange(0, 5000)))
        body = rng.randbytes(size) if hasattr(rng, "randbytes") else bytes(
            rng.getrandbits(8) for _ in range(size))
        if i % 2:
            body = hdr(CMD_BATCH, rng.choice((1, 2, 3, rng.getrandbits(32))), 0) + body
        out.append(body)
    return out


def test_engine_drops_malformed_messages(vole):
    pytest.importorskip("zmq", reason="python3-zmq is installed by deploy/install-deps.sh")
    engine = _wait_child(vole, "engine")
    link = EngineLink(vole)
    rng = random.Random(20261122)
    try:
        link.send(hello(b"test-failures", b"malformed"))
        # one category at a time: the engine answers the sync batch after dropping the frame,
        # and a new "dropping" line must show up for it
        for label, frame in _malformed_cases(rng):
            before = len(_dropping_lines(vole))
            link.send(frame)
            link.sync()
            assert wait_until(lambda: len(_dropping_lines(vole)) > before, 2.0), \
                f"no 'dropping ...' log line for {label} ({frame[:40]!r})\n{vole.log_tail()}"
            assert vole.child_pid("engine") == engine, f"engine restarted after {label}"
        # and a few hundred random frames in one go
        for frame in _random_frames(rng, 300):
            link.send(frame)
        link.sync()
        assert vole.child_pid("engine") == engine, f"engine restarted\n{vole.log_tail()}"
        # well-formed but odd: names longer than the engine keeps are cut, not trusted
        link.send(hello(b"r" * 65535, b"i" * 65535))
        link.send(hello(b"", b""))
        link.sync()
        link.send(hello(b"test-failures", b"malformed"))
        # a peer with ZeroMQ's default (binary, NUL-led) routing id is logged just as well
        anon = EngineLink(vole, routing_id=None)
        try:
            before = len(_dropping_lines(vole))
            anon.send(b"\x00\x01binary")
            anon.send(hdr(CMD_BATCH, 1) + b"\xff")
            anon.sync()
            assert wait_until(lambda: len(_dropping_lines(vole)) >= before + 2, 2.0), \
                vole.log_tail()
        finally:
            anon.close()

        # the engine still runs well-formed batches, and its replies decode per the doc
        got = link.run(rec_open(4242), rec_cmd(4242, "PING"))
        assert got == {4242: (b"+PONG\r\n", 0)}, got
        got = link.run(rec_cmd(4242, "SET", "fail:bin", b"a\x00\r\nb"),
                       rec_cmd(4242, "GET", "fail:bin"), rec_cmd(4242, "DEL", "fail:bin"),
                       rec_cmd(4242, "ECHO"))
        assert got == {4242: (b"+OK\r\n$5\r\na\x00\r\nb\r\n:1\r\n"
                              b"-ERR wrong number of arguments for 'echo' command\r\n", 0)}, got
        # a command for a connection the engine never opened is answered and closed
        got = link.run(rec_cmd(5151, "PING"))
        assert 5151 in got and got[5151][0].startswith(b"-") and got[5151][1] & 1, got
        got = link.run(rec_close(4242), rec_open(4343), rec_cmd(4343, "QUIT"))
        assert got == {4343: (b"+OK\r\n", 1)}, got
        link.run(rec_close(4343))
        for mtype, mseq, recs in link.seen:
            assert mtype == REPLY_BATCH, f"unexpected PUSH {recs!r}"
    finally:
        link.close()

    # no restart, and clients of the real frontend were never disturbed
    assert vole.child_pid("engine") == engine
    assert "restart" not in "\n".join(ln for ln in vole.log_text().splitlines()
                                      if "engine" in ln.lower()), vole.log_tail()
    c = vole.client(socket_timeout=5)
    try:
        assert c.ping() is True
        c.set("after-fuzz", "ok")
        assert c.get("after-fuzz") == b"ok"
    finally:
        c.close()
    assert any("engine" in ln for ln in _dropping_lines(vole)), vole.log_tail()


def test_engine_drops_multi_frame_messages(vole):
    """Every message is one frame (docs/protocol.md): a message with more frames is malformed,
    so the engine must keep serving everyone, run none of its frames, and log the drop."""
    pytest.importorskip("zmq", reason="python3-zmq is installed by deploy/install-deps.sh")
    engine = _wait_child(vole, "engine")
    link = EngineLink(vole)
    try:
        link.send(hello(b"test-failures", b"multi-frame"))
        link.sync()
        before = len(_dropping_lines(vole))
        # garbage first, a valid batch second; then a valid batch first, garbage after it
        s1, s2 = link.next_seq(), link.next_seq()
        link.send(b"garbage", batch(s1, rec_open(61), rec_cmd(61, "PING")))
        link.send(batch(s2, rec_open(62), rec_cmd(62, "PING")), b"\x00extra frame")
        # the engine must still answer the real frontend's clients and this link
        served = vole.ping(timeout=2.0)
        try:
            link.sync(timeout=1.0)
            answered = True
        except AssertionError:
            answered = False
        assert served and answered, \
            f"engine stopped answering after multi-frame messages (RESP client PONG: {served}, " \
            f"batch after them answered: {answered}); engine {engine} alive: " \
            f"{not proc_is_zombie(engine)}\n{vole.log_tail()}"
        ran = [(mseq, recs) for _, mseq, recs in link.seen if mseq in (s1, s2) and recs]
        assert not ran, f"frames of multi-frame messages were executed: {ran!r}"
        assert vole.child_pid("engine") == engine
        assert wait_until(lambda: len(_dropping_lines(vole)) >= before + 2, 2.0), \
            f"multi-frame messages dropped without a log line each\n{vole.log_tail()}"
    finally:
        link.close()
        # a wedged engine ignores SIGTERM: kill it here so teardown does not wait out the
        # supervisor's stop grace period
        if not vole.ping(timeout=0.3) and vole.child_pid("engine") == engine:
            os.kill(engine, signal.SIGKILL)


# ---------------------------------------------------------------------------------------------
# Hung and killed children


@pytest.mark.parametrize("role", ["engine", "frontend-resp"])
def test_hung_child_is_killed_and_restarted(role):
    v = start_vole(extra_args=["--watchdog-ms", str(WATCHDOG_MS)])
    old = None
    try:
        old = _wait_child(v, role)
        other = "frontend-resp" if role == "engine" else "engine"
        other_pid = _wait_child(v, other)
        c = v.client(socket_timeout=5)
        assert c.ping() is True
        c.close()
        t0 = time.monotonic()
        os.kill(old, signal.SIGSTOP)
        limit = WATCHDOG_MS / 1000 + 2.0
        new = wait_until(lambda: (lambda p: p if p and p != old else None)(v.child_pid(role)),
                         limit)
        assert new, f"hung {role} {old} not replaced within {limit}s\n{v.log_tail()}"
        assert wait_until(lambda: proc_is_zombie(old), 1.0), f"hung {role} {old} still alive"
        left = limit - (time.monotonic() - t0)
        ok = wait_until(lambda: v.ping(timeout=0.5), max(left, 0.05))
        took = time.monotonic() - t0
        assert ok, f"no PONG {took:.2f}s after SIGSTOP of {role}\n{v.log_tail()}"
        # heartbeats come every 200 ms, so the last one may predate the SIGSTOP by that much
        assert took >= WATCHDOG_MS / 1000 - 0.3, f"{role} replaced too early ({took:.2f}s)"
        assert proc_ppid(new) == v.pid
        assert v.alive()
        assert wait_until(lambda: any(role in ln and "heartbeat" in ln
                                      for ln in v.log_text().splitlines()), 2.0), \
            f"watchdog kill of {role} not logged\n{v.log_tail()}"
        # the healthy child, beating all along, was not taken for hung
        assert v.child_pid(other) == other_pid, f"{other} was restarted too\n{v.log_tail()}"
    finally:
        if old and proc_ppid(old) == v.pid and not proc_is_zombie(old):
            os.kill(old, signal.SIGCONT)
        v.stop()


def _client_names(c):
    return sorted(e.get("name", "") for e in c.client_list())


def test_frontend_restart_leaves_no_stale_clients(vole):
    import redis
    olds = []
    for i in range(5):
        c = redis.Redis(host=vole.host, port=vole.port, socket_timeout=5,
                        single_connection_client=True)
        c.client_setname(f"old-{i}")
        olds.append(c)
    assert _client_names(olds[0]) == [f"old-{i}" for i in range(5)]
    fe = _wait_child(vole, "frontend-resp")
    os.kill(fe, signal.SIGKILL)
    _wait_child(vole, "frontend-resp", other_than=fe)
    assert wait_until(lambda: vole.ping(timeout=0.5), 3.0), vole.log_tail()
    for c in olds:
        with pytest.raises(redis.ConnectionError):
            c.ping()
        c.close()
    c = redis.Redis(host=vole.host, port=vole.port, socket_timeout=5,
                    single_connection_client=True)
    try:
        c.client_setname("new-0")
        # the list may briefly still hold the pings' connections, never an old client
        last = wait_until(lambda: (lambda n: n if n == ["new-0"] else None)(_client_names(c)),
                          2.0)
        assert last == ["new-0"], f"CLIENT LIST after frontend restart: {c.client_list()}"
    finally:
        c.close()


def test_engine_restart_closes_clients(vole):
    import redis
    raws = []
    for i in range(3):
        s = vole.connect()
        s.sendall(b"CLIENT SETNAME old-raw-%d\r\n" % i)
        assert s.recv(5) == b"+OK\r\n"
        raws.append(s)
    rp = redis.Redis(host=vole.host, port=vole.port, socket_timeout=5,
                     single_connection_client=True)
    rp.client_setname("old-py")
    assert len(rp.client_list()) == 4
    eng = _wait_child(vole, "engine")
    try:
        os.kill(eng, signal.SIGKILL)
        t0 = time.monotonic()
        for s in raws:
            data, how = recv_until_closed(s, 3.0)
            assert how in ("eof", "reset") and data == b"", \
                f"client not closed after engine restart: {how}, {data!r}\n{vole.log_tail()}"
        # redis-py sees the close (or has reconnected to a fresh connection)
        try:
            rp.ping()
            reconnected = True
        except redis.ConnectionError:
            reconnected = False
        rp.close()
        left = 2.0 - (time.monotonic() - t0)
        assert wait_until(lambda: vole.ping(timeout=0.5), max(left, 0.05)), \
            f"no PONG within 2 s of the engine kill\n{vole.log_tail()}"
        assert _wait_child(vole, "engine", other_than=eng) != eng
        c = redis.Redis(host=vole.host, port=vole.port, socket_timeout=5,
                        single_connection_client=True)
        try:
            c.client_setname("new-py")
            last = wait_until(lambda: (lambda n: n if n == ["new-py"] else None)(
                _client_names(c)), 2.0)
            assert last == ["new-py"], \
                f"CLIENT LIST after engine restart (redis-py reconnected: {reconnected}): " \
                f"{c.client_list()}"
        finally:
            c.close()
    finally:
        for s in raws:
            s.close()


# ---------------------------------------------------------------------------------------------
# Misbehaving clients, compared byte for byte with redis-server

PROTO_ERROR_PIPELINES = [
    b"PING\r\nPING\r\n*1\r\n$x\r\n",
    b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$x\r\nPING\r\n",
    b"PING\r\n*-1\r\nPING\r\n*a\r\nPING\r\n",
    b"PING\r\n\"a\r\nPING\r\n",
    b"*2\r\n$4\r\nECHO\r\n$1\r\na\r\n*1\r\n*\r\nPING\r\n",
    b"SET k v\r\nGET k\r\n*1\r\nx\r\nGET k\r\n",
    b"*1\r\n$4\r\nPING\r\n*1\r\n$-5\r\n",
    b"PING\r\n*99999999999\r\n",
]


def _exchange(srv, payload, timeout=3.0):
    s = srv.connect()
    try:
        s.sendall(payload)
        return recv_until_closed(s, timeout)
    finally:
        s.close()


@pytest.mark.parametrize("payload", PROTO_ERROR_PIPELINES, ids=lambda p: repr(p)[2:30])
def test_protocol_error_mid_pipeline_matches_redis(vole, redis_ref, payload):
    want, want_how = _exchange(redis_ref, payload)
    assert want_how in ("eof", "reset") and b"Protocol error" in want, (want, want_how)
    got, how = _exchange(vole, payload)
    assert (got, how in ("eof", "reset")) == (want, True), \
        f"sent {payload!r}\nvole:  {got!r} ({how})\nredis: {want!r} ({want_how})"
    assert vole.ping()


def _maxclients_story(srv):
    """What a server with maxclients 3 sends to a 4th and 5th connection, and whether a slot
    freed by a close is usable again."""
    held = [srv.connect() for _ in range(3)]
    out = []
    try:
        for s in held:
            s.sendall(b"PING\r\n")
            out.append(("held", s.recv(64)))
        out.append(("4th",) + recv_until_closed(srv.connect(), 3.0))
        extra = srv.connect()
        try:
            extra.sendall(b"PING\r\n")
        except OSError:
            pass
        out.append(("5th, sent PING",) + recv_until_closed(extra, 3.0))
        extra.close()
        held.pop().close()
        out.append(("after a close", wait_until(lambda: srv.ping(timeout=0.5), 2.0)))
    finally:
        for s in held:
            s.close()
    return [tuple("closed" if x in ("eof", "reset") else x for x in step) for step in out]


def test_maxclients_matches_redis():
    r = start_redis(extra_args=["--maxclients", "3"])
    try:
        want = _maxclients_story(r)
    finally:
        r.stop()
    assert want[3] == ("4th", b"-ERR max number of clients reached\r\n", "closed"), want
    v = start_vole(extra_args=["--maxclients", "3"])
    try:
        got = _maxclients_story(v)
        assert got == want, f"vole:  {got}\nredis: {want}\n{v.log_tail()}"
        assert v.child_pid("frontend-resp") and v.child_pid("engine")
    finally:
        v.stop()


def _query_buffer_story(srv):
    """CONFIG SET client-query-buffer-limit 1mb, a client sends 2 MB of an unfinished 3 MB bulk;
    returns what that client got, and checks a bystander is unaffected throughout."""
    other = srv.client(socket_timeout=5)
    try:
        assert other.config_set("client-query-buffer-limit", "1mb")
        other.set("bystander", "still-here")
        hog = srv.connect()
        try:
            hog.sendall(b"*1\r\n$3000000\r\n" + b"x" * (2 * 1024 * 1024))
        except OSError:
            pass  # the server may close while we are still sending
        data, how = recv_until_closed(hog, 5.0)
        hog.close()
        assert other.ping() is True
        assert other.get("bystander") == b"still-here"
        assert other.config_set("client-query-buffer-limit", "1gb")
        assert other.config_get("client-query-buffer-limit") == \
            {"client-query-buffer-limit": "1073741824"}
        # with the limit back, a bigger query goes through
        big = srv.connect()
        try:
            blob = b"y" * 3000000
            big.sendall(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$3000000\r\n" + blob + b"\r\n")
            big.settimeout(5)
            assert big.recv(5) == b"+OK\r\n"
        finally:
            big.close()
        assert other.strlen("big") == 3000000
        other.delete("big", "bystander")
        return data, "closed" if how in ("eof", "reset") else how
    finally:
        other.close()


def test_query_buffer_limit_closes_only_that_client(vole, redis_ref):
    want = _query_buffer_story(redis_ref)
    assert want == (b"", "closed"), want
    got = _query_buffer_story(vole)
    assert got == want, f"vole: {got!r}, redis: {want!r}\n{vole.log_tail()}"
    assert vole.child_pid("frontend-resp") and vole.child_pid("engine")
