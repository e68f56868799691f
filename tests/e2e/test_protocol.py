# Protocol-level differential tests: raw bytes go to redis-server and to Vole, and the raw
# responses and whether the server closed the connection must be the same.
import socket
import time

import pytest

QUIET = 0.3       # reference server: no byte for this long means it is waiting for input
EXTRA = 0.1       # subject: how long to look for bytes beyond what the reference sent
DEADLINE = 10.0



def _send(s, chunks, delay):
    """Sends the chunks; a server that closes early may reset the connection while we still
    write, which is part of what we observe, not an error."""
    try:
        for i, c in enumerate(chunks):
            if delay and i:
                time.sleep(delay)
            s.sendall(c)
    except OSError:
        pass


SENTINEL = b"*2\r\n$4\r\nECHO\r\n$16\r\n--end-of-case--\x00\r\n"
SENTINEL_REPLY = b"$16\r\n--end-of-case--\x00\r\n"


def _read(s, until=None, want_len=None, want_closed=False):
    """Reads a response until EOF (closed=True) or:
    - until: the response ends with these bytes (the sentinel's reply);
    - want_len: at least want_len bytes (and EOF when want_closed), then EXTRA seconds more to
      catch anything unexpected (used for a subject that must stay silent or match a reference);
    - neither: QUIET seconds of silence (reference server waiting for more input).
    Returns (bytes, closed)."""
    out = bytearray()
    deadline = time.monotonic() + DEADLINE
    quiet_until = None
    while True:
        now = time.monotonic()
        if until is not None:
            if out.endswith(until):
                return bytes(out), False
            timeout = deadline - now
        elif want_len is None:
            timeout = min(QUIET, deadline - now)
        elif len(out) >= want_len and not want_closed:
            if quiet_until is None:
                quiet_until = now + EXTRA
            timeout = quiet_until - now
        else:
            timeout = deadline - now
        if timeout <= 0:
            return bytes(out), False
        s.settimeout(timeout)
        try:
            d = s.recv(65536)
        except socket.timeout:
            return bytes(out), False
        except OSError:
            return bytes(out), True
        if not d:
            return bytes(out), True
        out += d


def _connect(srv):
    s = srv.connect()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def exchange(srv, chunks, delay=0.0, sentinel=True, ref=None):
    """Runs one conversation on a new connection and returns (response, closed).
    With sentinel, an ECHO of a marker follows the chunks and the response is read until its
    reply (or EOF): the marker proves the connection still serves commands. Without it the
    request is meant to leave the server waiting or closing: the reference is read until
    silence, the subject until it matches the reference's length."""
    s = _connect(srv)
    try:
        _send(s, list(chunks) + ([SENTINEL] if sentinel else []), delay)
        if sentinel:
            return _read(s, until=SENTINEL_REPLY)
        if ref is None:
            return _read(s)
        return _read(s, want_len=len(ref[0]), want_closed=ref[1])
    finally:
        s.close()


def compare(servers, chunks, delay=0.0, sentinel=True, ref_chunks=None):
    """Sends chunks to both servers and compares (response, closed); the reference may get
    the same bytes in one write (ref_chunks) so that its answer does not depend on timing."""
    r, v = servers
    if isinstance(chunks, bytes):
        chunks = [chunks]
    ref = exchange(r, ref_chunks or chunks, delay if ref_chunks is None else 0.0, sentinel)
    got = exchange(v, chunks, delay, sentinel, ref=ref)
    assert got == ref, (f"\nsent:  {b''.join(chunks)[:300]!r}\nredis: {ref!r}\n"
                        f"vole:  {got!r}")
    return ref


CASES = {
    "inline_ping": b"PING\r\n",
    "inline_lf_only": b"PING\n",
    "inline_quoted": b'SET a "b c"\r\nGET a\r\n',
    "inline_single_quoted": b"SET a 'x y z'\r\nGET a\r\n",
    "inline_escapes": b'ECHO "\\x41\\n\\t\\"q\\\\"\r\n',
    "inline_single_quote_escape": b"ECHO 'a\\'b'\r\n",
    "inline_spaces": b"   ECHO    spaced    \r\n",
    "inline_tabs": b"ECHO\tx\r\n",
    "inline_unbalanced_double": b'SET a "b c\r\n',
    "inline_unbalanced_single": b"SET a 'b\r\n",
    "inline_quote_then_text": b'SET a "b"c\r\n',
    "inline_lonely_quote": b'PING "\r\n',
    "inline_after_ok_then_bad": b'PING\r\nSET a "b\r\nPING\r\n',
    "multibulk_zero": b"*0\r\nPING\r\n",
    "multibulk_negative": b"*-1\r\nPING\r\n",
    "multibulk_invalid_len": b"*abc\r\n",
    "multibulk_leading_zero": b"*01\r\n$4\r\nPING\r\n",
    "multibulk_too_many": b"*2147483648\r\n",
    "multibulk_minus_zero": b"*-0\r\nPING\r\n",
    "bulk_minus_zero": b"*1\r\n$-0\r\n",
    "multibulk_lf_only": b"*1\n$4\r\nPING\r\n",
    "bulk_len_not_number": b"*3\r\n$x\r\n",
    "bulk_len_plus": b"*1\r\n$+4\r\nPING\r\n",
    "bulk_len_leading_zero": b"*1\r\n$04\r\nPING\r\n",
    "bulk_too_large": b"*1\r\n$536870913\r\n",
    "bulk_negative": b"*1\r\n$-1\r\n",
    "bulk_negative_big": b"*1\r\n$-5\r\n",
    "expected_dollar": b"*1\r\nPING\r\n",
    "error_after_good_commands": b"PING\r\n*1\r\n$4\r\nPING\r\n*abc\r\nPING\r\n",
    "unknown_command_inline_args": b"FOO a b c\r\n",
    "unknown_command_multibulk_args": b"*2\r\n$3\r\nFOO\r\n$1\r\na\r\n",
    "unknown_command_no_args": b"NOSUCHCMD\r\n",
    "unknown_command_long_args": b"FOO " + b" ".join([b"x" * 60] * 5) + b"\r\n",
    "unknown_command_long_name": b"Z" * 200 + b" a\r\n",
    "unknown_command_crlf_in_arg": b"*2\r\n$3\r\nFOO\r\n$4\r\na\r\nb\r\n",
    "unknown_command_prefix_chars": b"+PING\r\n-x\r\n",
    "wrong_arity_inline": b"GET\r\n",
    "wrong_arity_multibulk": b"*1\r\n$3\r\nGET\r\n",
    "wrong_arity_set": b"SET k\r\n",
    "wrong_arity_lowercase": b"get\r\nGeT a b\r\n",
    "empty_lines": b"\r\n\r\n\n  \r\nPING\r\n",
    "ping_then_garbage": b"*1\r\n$4\r\nPING\r\ngarbage here\r\n",
    "bulk_trailer_unchecked": b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n",
    "binary_bulk": (b"*3\r\n$3\r\nSET\r\n$3\r\nb\x00n\r\n$4\r\n\x00\r\n\xff\r\n"
                    b"*2\r\n$3\r\nGET\r\n$3\r\nb\x00n\r\n"),
    "empty_bulk_arg": b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
    "ping_with_arg": b"*2\r\n$4\r\nPING\r\n$5\r\nhello\r\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_raw(servers, name):
    compare(servers, CASES[name])


# Requests the server must keep waiting on: nothing comes back and the connection stays open.
INCOMPLETE = {
    "bulk_len_no_crlf": b"*3\r\n$x",
    "multibulk_header_only": b"*1\r\n",
    "bulk_header_only": b"*2\r\n$4\r\nECHO\r\n$5\r\n",
    "bulk_max_len_announced": b"*1\r\n$536870912\r\n",
    "huge_argc_announced": b"*2147483647\r\n",
    "inline_no_newline": b"PING",
    "payload_missing_crlf": b"*1\r\n$4\r\nPING",
}


@pytest.mark.parametrize("name", sorted(INCOMPLETE))
def test_incomplete(servers, name):
    ref = compare(servers, INCOMPLETE[name], sentinel=False)
    assert ref == (b"", False)


@pytest.mark.parametrize("payload,err", [
    (b"x" * 70000, b"too big inline request"),
    (b"*" + b"1" * 70000, b"too big mbulk count string"),
    (b"*1\r\n$" + b"1" * 70000, b"too big bulk count string"),
])
def test_too_big_without_newline(servers, payload, err):
    ref = compare(servers, payload, sentinel=False)
    assert err in ref[0] and ref[1]


def test_pipeline_1000_in_one_write(servers):
    cmds = []
    for i in range(1000):
        if i % 3 == 0:
            cmds.append(b"INCR pipectr\r\n")
        elif i % 3 == 1:
            cmds.append(b"*3\r\n$3\r\nSET\r\n$%d\r\nk%d\r\n$%d\r\nv%d\r\n" %
                        (len(b"k%d" % i), i, len(b"v%d" % i), i))
        else:
            cmds.append(b"*2\r\n$3\r\nGET\r\n$%d\r\nk%d\r\n" % (len(b"k%d" % (i - 1)), i - 1))
    cmds.append(b"DEL pipectr\r\n")
    ref = compare(servers, b"".join(cmds))
    assert ref[0].count(b"\r\n") >= 1000


def test_pipeline_1000_pings(servers):
    ref = compare(servers, b"*1\r\n$4\r\nPING\r\n" * 1000)
    assert ref[0] == b"+PONG\r\n" * 1000 + SENTINEL_REPLY


def test_split_byte_by_byte(servers):
    payload = (b"*3\r\n$3\r\nSET\r\n$5\r\nsplit\r\n$11\r\nhello world\r\n"
               b"*2\r\n$3\r\nGET\r\n$5\r\nsplit\r\nECHO \"in line\"\r\n")
    chunks = [payload[i:i + 1] for i in range(len(payload))]
    compare(servers, chunks, delay=0.002, ref_chunks=[payload])


def test_split_at_every_point(servers):
    payload = b"*2\r\n$4\r\nECHO\r\n$6\r\nab\r\ncd\r\n"
    r, v = servers
    ref = exchange(r, [payload])
    socks = []
    try:
        # one connection per split point, all in flight together to keep the test fast
        for i in range(1, len(payload)):
            s = _connect(v)
            s.sendall(payload[:i])
            socks.append((i, s))
        time.sleep(0.05)  # lets the first halves arrive alone (not a readiness wait)
        for i, s in socks:
            s.sendall(payload[i:] + SENTINEL)
        for i, s in socks:
            got = _read(s, until=SENTINEL_REPLY)
            assert got == ref, f"split at {i}: {payload[:i]!r} | {payload[i:]!r}"
    finally:
        for _, s in socks:
            s.close()


def test_error_then_close_keeps_other_clients(servers):
    r, v = servers
    keep = v.connect()
    try:
        compare(servers, b"*abc\r\n")
        keep.sendall(b"PING\r\n")
        assert _read(keep, until=b"\r\n") == (b"+PONG\r\n", False)
    finally:
        keep.close()
