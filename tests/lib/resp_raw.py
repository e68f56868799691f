# Raw RESP over a socket for the python tests that compare exact reply bytes: the request
# encoder, the RESP2/RESP3 frame splitter and a connection that hands back whole frames.
import socket
import time

DEFAULT_TIMEOUT = 5.0
RECV_SIZE = 1 << 16


def _arg_bytes(a):
    if isinstance(a, (bytes, bytearray)):
        return a
    return str(a).encode()


def encode(*args):
    """One command as a RESP array of bulk strings; arguments that are not bytes are sent as
    their str() (ints, floats, str)."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = _arg_bytes(a)
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def frame_length(buf, pos=0):
    """End offset of the RESP2/RESP3 value starting at pos, or -1 when incomplete."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        return -1
    t, body = buf[pos:pos + 1], buf[pos + 1:end]
    nxt = end + 2
    if t in b"+-:_,#(":
        return nxt
    if t in b"$=!":
        n = int(body)
        if n < 0:
            return nxt
        return nxt + n + 2 if len(buf) >= nxt + n + 2 else -1
    if t in b"*>~%|":
        n = int(body)
        if n < 0:
            return nxt
        if t in b"%|":
            n *= 2
        for _ in range(n):
            nxt = frame_length(buf, nxt)
            if nxt < 0:
                return -1
        return nxt
    raise AssertionError(f"bad RESP type {t!r} in {buf[pos:pos + 40]!r}")


class RawConn:
    """One connection to a server (anything with .host and .port) sending commands and
    reading whole reply/push frames as raw bytes. timeout bounds the connect and, by default,
    the wait for each frame."""

    def __init__(self, server, timeout=DEFAULT_TIMEOUT):
        self.timeout = timeout
        self.sock = socket.create_connection((server.host, server.port), timeout=timeout)
        self.buf = b""

    def send(self, *args):
        self.sock.sendall(encode(*args))

    def send_many(self, *cmds):
        """Pipelines several commands in one write."""
        self.sock.sendall(b"".join(encode(*c) for c in cmds))

    def frame(self, timeout=None):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            if self.buf:
                n = frame_length(self.buf)
                if n > 0:
                    f, self.buf = self.buf[:n], self.buf[n:]
                    return f
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no complete frame; have {self.buf[:200]!r}")
            self.sock.settimeout(left)
            chunk = self.sock.recv(RECV_SIZE)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk

    def frames(self, n, timeout=None):
        return [self.frame(timeout) for _ in range(n)]

    def call(self, *args):
        self.send(*args)
        return self.frame()

    def pipeline(self, cmds):
        """Sends the commands (argument sequences) in one write; returns their replies."""
        self.send_many(*cmds)
        return self.frames(len(cmds))

    def nothing_pending(self, wait=0.05):
        """True when no bytes arrive within wait seconds (used after a barrier)."""
        if self.buf:
            return False
        self.sock.settimeout(wait)
        try:
            chunk = self.sock.recv(RECV_SIZE)
        except socket.timeout:
            return True
        self.buf += chunk
        return not chunk

    def closed_by_peer(self, timeout=None):
        """True when the server closes (or resets) the connection within timeout; what it
        sends before that is kept for frame()."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(RECV_SIZE)
            except socket.timeout:
                return False
            except OSError:
                return True
            if not chunk:
                return True
            self.buf += chunk
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
