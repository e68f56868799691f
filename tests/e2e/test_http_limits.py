# HTTP protocol handling: keep-alive, pipelining, chunked bodies, Expect: 100-continue, error
# statuses for bad input (400/404/405/413/414/431/408), CORS, and that one bad or slow client
# never stalls the others.
import json
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.http_util import http_instance, read_response  # noqa: E402
from lib.vole_proc import recv_until_closed, wait_until  # noqa: E402


@pytest.fixture(scope="module")
def h():
    yield from http_instance(["--http-max-body", "4096", "--http-max-header", "2048",
                         "--http-request-timeout-ms", "700", "--http-idle-timeout-ms", "1500",
                         "--http-cors-origin", "https://app.example"])


def status_of(resp):
    return int(resp.split(b" ", 2)[1]) if resp.startswith(b"HTTP/1.1 ") else None


def body_of(resp):
    return json.loads(resp.partition(b"\r\n\r\n")[2])


def test_keep_alive_many_requests_one_connection(h):
    c = h.conn()
    for i in range(50):
        assert h.request("PUT", f"/api/v1/keys/ka{i}", {"value": i}, conn=c)[0] == 200
    for i in range(50):
        assert h.get(f"/api/v1/keys/ka{i}", conn=c)[2]["value"] == str(i)
    c.close()


def test_pipelined_requests_answer_in_order(h):
    reqs = b""
    for i in range(20):
        body = json.dumps({"value": f"v{i}"}).encode()
        reqs += (b"PUT /api/v1/keys/pl%d HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
                 % (i, len(body), body))
    for i in range(20):
        reqs += b"GET /api/v1/keys/pl%d HTTP/1.1\r\nHost: x\r\n\r\n" % i
    reqs += b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    s = socket.create_connection((h.host, h.port), timeout=5)
    s.sendall(reqs)
    data, how = recv_until_closed(s, 5)
    s.close()
    assert how == "eof"
    parts = data.split(b"HTTP/1.1 ")[1:]
    assert len(parts) == 41
    values = [json.loads(p.partition(b"\r\n\r\n")[2])["value"] for p in parts[20:40]]
    assert values == [f"v{i}" for i in range(20)]
    assert b"Connection: close" in parts[-1]


def test_chunked_request_body(h):
    body = json.dumps({"value": "chunky"}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 5]), body[i:i + 5])
                      for i in range(0, len(body), 5))
    req = (b"PUT /api/v1/keys/chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
           + chunks + b"0\r\n\r\n")
    resp = h.raw(req)
    assert status_of(resp) == 200
    assert h.get("/api/v1/keys/chunked")[2]["value"] == "chunky"


def test_expect_continue(h):
    s = socket.create_connection((h.host, h.port), timeout=5)
    body = b'{"value":"cont"}'
    s.sendall(b"PUT /api/v1/keys/cont HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body))
    first = s.recv(100)
    assert first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    s.sendall(body)
    resp = first[len(b"HTTP/1.1 100 Continue\r\n\r\n"):] + read_response(s)
    s.close()
    assert status_of(resp) == 200


def test_invalid_json_400(h):
    st, hd, body = h.request("PUT", "/api/v1/keys/bad", b"{not json")
    assert st == 400 and body["error"].startswith("invalid JSON")
    assert hd["content-type"] == "application/json"
    st, _, body = h.request("PUT", "/api/v1/keys/bad", b"")
    assert st == 400 and "required" in body["error"]


def test_unknown_route_404_and_wrong_method_405(h):
    assert h.get("/api/v1/nothing")[::2] == (404, {"error": "no such route"})
    assert h.get("/")[0] == 404
    assert h.get("/api/v2/keys/a")[0] == 404
    st, hd, body = h.request("POST", "/api/v1/keys/a")
    assert st == 405 and hd["allow"] == "GET, PUT, DELETE, OPTIONS"
    st, hd, _ = h.request("GET", "/api/v1/command")
    assert st == 405 and hd["allow"] == "POST, OPTIONS"
    st, hd, _ = h.request("PATCH", "/health")
    assert st == 405 and "GET" in hd["allow"]


def test_body_too_large_413(h):
    st, hd, body = h.request("PUT", "/api/v1/keys/big", {"value": "x" * 5000})
    assert st == 413 and "too large" in body["error"]
    # a chunked body crossing the limit is refused too
    chunk = b"x" * 3000
    req = (b"PUT /api/v1/keys/big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
           + b"%x\r\n%s\r\n" % (len(chunk), chunk) * 2 + b"0\r\n\r\n")
    resp = h.raw(req, until_closed=True)
    assert status_of(resp) == 413 and b"Connection: close" in resp


def test_header_section_too_large_431(h):
    req = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 3000 + b"\r\n\r\n"
    resp = h.raw(req, until_closed=True)
    assert status_of(resp) == 431
    req = b"GET /health HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(400)) + b"\r\n"
    assert status_of(h.raw(req, until_closed=True)) == 431


def test_uri_too_long_414(h):
    resp = h.raw(b"GET /api/v1/keys/" + b"k" * 3000 + b" HTTP/1.1\r\n\r\n", until_closed=True)
    assert status_of(resp) == 414


def test_garbage_400_and_close(h):
    resp = h.raw(b"\x00\x01\x02 nonsense\r\n\r\n", until_closed=True)
    assert status_of(resp) in (400, 501)
    resp = h.raw(b"GET /health HTTP/9.9\r\n\r\n", until_closed=True)
    assert status_of(resp) in (400, 505)
    resp = h.raw(b"GET /api/v1/keys/%zz HTTP/1.1\r\n\r\n")
    assert status_of(resp) == 400
    # and the server still answers
    assert h.get("/health")[0] == 200


def test_slowloris_408_and_others_unaffected(h):
    slow = socket.create_connection((h.host, h.port), timeout=5)
    slow.sendall(b"GET /api/v1/keys/a HTTP/1.1\r\nHost: x\r\n")  # never finishes
    # others are served meanwhile (each within the client's 10 s timeout, not after it)
    for _ in range(10):
        assert h.get("/health")[0] == 200
    data, how = recv_until_closed(slow, 5)
    slow.close()
    assert how == "eof" and status_of(data) == 408


def test_slow_byte_by_byte_is_timed_out(h):
    s = socket.create_connection((h.host, h.port), timeout=5)
    start = time.monotonic()
    closed = False
    try:
        for ch in b"GET /health HTTP/1.1\r\nHost: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx":
            s.sendall(bytes([ch]))
            time.sleep(0.05)
    except OSError:
        closed = True
    data, how = recv_until_closed(s, 3)
    s.close()
    assert closed or status_of(data) == 408
    assert time.monotonic() - start < 5


def test_idle_keep_alive_closed(h):
    s = socket.create_connection((h.host, h.port), timeout=5)
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status_of(read_response(s)) == 200
    data, how = recv_until_closed(s, 5)
    s.close()
    assert how == "eof" and data == b""


def test_cors_headers_and_preflight(h):
    st, hd, _ = h.get("/health", headers={"Origin": "https://app.example"})
    assert hd["access-control-allow-origin"] == "https://app.example"
    st, hd, _ = h.request("OPTIONS", "/api/v1/keys/a", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "PUT"})
    assert st == 204
    assert hd["access-control-allow-methods"] == "GET, PUT, DELETE, OPTIONS"
    assert "Authorization" in hd["access-control-allow-headers"]
    assert hd["access-control-allow-origin"] == "https://app.example"


def test_http10_closes(h):
    resp = h.raw(b"GET /health HTTP/1.0\r\n\r\n", until_closed=True)
    assert status_of(resp) == 200 and b"Connection: close" in resp


def test_many_parallel_clients(h):
    errors = []

    def worker(n):
        try:
            c = h.conn()
            for i in range(30):
                st, _, _ = h.request("PUT", f"/api/v1/keys/par{n}-{i}", {"value": i}, conn=c)
                if st != 200:
                    errors.append(st)
            c.close()
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    ts = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    assert errors == []
    assert h.get("/api/v1/keys/par15-29")[2]["value"] == "29"


def test_client_vanishing_mid_request_is_harmless(h):
    for _ in range(20):
        s = socket.create_connection((h.host, h.port), timeout=5)
        s.sendall(b"PUT /api/v1/keys/v HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"val")
        s.close()
    assert wait_until(lambda: h.get("/health")[0] == 200, 5)


def test_blocking_command_then_identity_change_waits(h):
    """A request with another identity waits until the connection's blocked command answered,
    instead of replacing the engine client under it."""
    c = socket.create_connection((h.host, h.port), timeout=10)
    blpop = json.dumps(["BLPOP", "blk", "1"]).encode()
    c.sendall(b"POST /api/v1/command HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s" % (len(blpop), blpop)
              + b"GET /api/v1/dbsize?db=2 HTTP/1.1\r\nConnection: close\r\n\r\n")
    data, how = recv_until_closed(c, 5)
    c.close()
    parts = data.split(b"HTTP/1.1 ")[1:]
    assert len(parts) == 2
    assert body_of(b"HTTP/1.1 " + parts[0]) == {"result": None}
    assert body_of(b"HTTP/1.1 " + parts[1]) == {"dbsize": 0}


def test_nothing_after_connection_close_runs(h):
    """Pipelined requests after one with Connection: close are not executed."""
    body = b'{"value":"1"}'
    put = (b"PUT /api/v1/keys/after-close HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s"
           % (len(body), body))
    data = h.raw(b"GET /api/v1/dbsize HTTP/1.1\r\nConnection: close\r\n\r\n" + put,
                 until_closed=True)
    assert data.count(b"HTTP/1.1 ") == 1
    assert h.get("/api/v1/keys/after-close")[0] == 404


def test_client_kill_of_blocked_http_client_closes_it(h):
    """A killed engine client never answers its blocked command: the HTTP connection is closed
    instead of hanging."""
    s = socket.create_connection((h.host, h.port), timeout=10)
    body = json.dumps(["BLPOP", "never", "0"]).encode()
    s.sendall(b"POST /api/v1/command HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    addr = "%s:%d" % s.getsockname()
    r = h.vole.client(decode_responses=True)
    assert wait_until(lambda: any(c["addr"] == addr and c["cmd"] == "blpop"
                                  for c in r.client_list()), 5)
    assert r.client_kill(addr) is True
    r.close()
    data, how = recv_until_closed(s, 5)
    s.close()
    assert how in ("eof", "reset")
