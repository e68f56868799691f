# Helpers for the HTTP API tests: a Vole started with --http-addr on a free port, and small
# request functions over http.client and raw sockets.
import http.client
import json
import socket
import time

from .vole_proc import free_port, start_vole, wait_until


class VoleHttp:
    """A Vole instance with its HTTP API: .vole (VoleProc), .port (HTTP port)."""

    def __init__(self, vole, port):
        self.vole = vole
        self.host = "127.0.0.1"
        self.port = port

    def conn(self, timeout=10):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, conn=None):
        """(status, headers dict (lower-case names), parsed JSON or text) on a new connection
        unless conn is given. body: bytes/str as is, anything else JSON-encoded."""
        c = conn or self.conn()
        h = dict(headers or {})
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        if not conn:
            c.close()
        ctype = hdrs.get("content-type", "")
        if ctype.startswith("application/json"):
            return r.status, hdrs, json.loads(data)
        return r.status, hdrs, data.decode(errors="replace")

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def raw(self, data, timeout=5.0, until_closed=False):
        """Sends raw bytes on a fresh socket; returns what came back (until the peer closes
        when until_closed, else until a complete response with Content-Length arrived)."""
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        try:
            s.sendall(data)
            return read_response(s, timeout, until_closed)
        finally:
            s.close()

    def stop(self):
        return self.vole.stop()


def read_response(sock, timeout=5.0, until_closed=False):
    """Reads one HTTP response with a Content-Length (or everything until close)."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not until_closed and b"\r\n\r\n" in data:
            head, _, body = data.partition(b"\r\n\r\n")
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    if len(body) >= int(line.split(b":")[1]):
                        return data
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


def http_ready(port, path="/health"):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        c.request("GET", path)
        ok = c.getresponse().status == 200
        c.close()
        return ok
    except OSError:
        return False


def start_vole_http(extra_args=(), ready_path="/ready", attempts=3):
    """Starts Vole with the HTTP API on a free port and waits until ready_path answers 200."""
    last = None
    for _ in range(attempts):
        port = free_port()
        v = start_vole(extra_args=["--http-addr", f"127.0.0.1:{port}", *extra_args])
        if wait_until(lambda: http_ready(port, ready_path), 10):
            return VoleHttp(v, port)
        last = RuntimeError(f"HTTP API on port {port} not ready\n{v.log_tail()}")
        v.stop()
    raise last


def http_instance(extra_args=()):
    """Generator for a module fixture: yields a started VoleHttp, then checks it stops cleanly
    (a crash during the module shows up as a non-zero exit)."""
    s = start_vole_http(extra_args)
    yield s
    rc = s.stop()
    assert rc == 0, s.vole.log_tail()
