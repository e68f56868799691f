#!/usr/bin/python3
# Differential harness: runs the command scripts in tests/diff/scripts against a reference
# redis-server and Vole over raw RESP and compares the reply bytes (or, for directives, the
# reply as a multiset, its shape, or the union of a full SCAN iteration).
#
# Script format: one command per line, split with shlex; '#' comments and blank lines are
# skipped; words with a backslash are decoded with 'unicode_escape' (so "\x00" is a byte).
# Directives: '!unordered CMD', '!shape CMD', '!scan CMD-WITHOUT-CURSOR', and the line
# '!proto3' (HELLO 3 on both, reply not compared).
#
# '!requires CMD [CMD ...]' lines, allowed only before the script's first command, name commands
# (or container|sub) the whole script needs. Before running it, COMMAND INFO is asked of both
# sides: a name redis-server does not know is an error in the script; when Vole does not know one
# yet, the script is skipped ("SKIP <script> (needs: ...)") and each of its command lines counts
# as skipped, so checks of later milestones wait in the tree and run by themselves once the
# commands exist. With --redis-only nothing is skipped.
import argparse
import glob
import os
import shlex
import socket
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

DEFAULT_TIMEOUT = 5.0
SCAN_MAX_CALLS = 100000


class Incomplete(Exception):
    pass


class BadReply(Exception):
    pass


class ScriptError(Exception):
    """A line of a script that cannot be run (bad directive, bad quoting)."""


AGG_TYPES = b"*~>%|"
LINE_TYPES = b"+-:_,#("
BULK_TYPES = b"$=!"


class Reply:
    """One parsed RESP2/RESP3 reply: its type byte, the raw bytes, and its children for
    aggregates (maps and attributes have 2*n children, key then value)."""

    __slots__ = ("type", "raw", "count", "children", "payload")

    def __init__(self, type_, raw, count=None, children=None, payload=None):
        self.type = type_
        self.raw = raw
        self.count = count
        self.children = children
        self.payload = payload

    def is_agg(self):
        return self.children is not None


def _line(buf, pos):
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise Incomplete()
    return buf[pos:end], end + 2


def parse_reply(buf, pos=0, depth=0):
    """Parses one reply from buf at pos; returns (Reply, next_pos) or raises Incomplete /
    BadReply."""
    if depth > 64:
        raise BadReply("nesting too deep")
    if pos >= len(buf):
        raise Incomplete()
    t = buf[pos:pos + 1]
    line, nxt = _line(buf, pos + 1)
    if t in (b"+", b"-", b":", b"_", b",", b"#", b"("):
        return Reply(t, bytes(buf[pos:nxt]), payload=bytes(line)), nxt
    try:
        n = int(line)
    except ValueError:
        raise BadReply(f"bad length {bytes(line)!r} after {t!r}")
    if t in (b"$", b"=", b"!"):
        if n < 0:
            return Reply(t, bytes(buf[pos:nxt]), payload=None), nxt
        if len(buf) < nxt + n + 2:
            raise Incomplete()
        if buf[nxt + n:nxt + n + 2] != b"\r\n":
            raise BadReply("bulk payload not followed by CRLF")
        return Reply(t, bytes(buf[pos:nxt + n + 2]), payload=bytes(buf[nxt:nxt + n])), nxt + n + 2
    if t in (b"*", b"~", b">", b"%", b"|"):
        if n < 0:
            return Reply(t, bytes(buf[pos:nxt]), count=n, children=None), nxt
        k = n * 2 if t in (b"%", b"|") else n
        children = []
        p = nxt
        for _ in range(k):
            c, p = parse_reply(buf, p, depth + 1)
            children.append(c)
        if t == b"|":
            # an attribute describes the reply that follows it; keep both as one reply
            val, p = parse_reply(buf, p, depth + 1)
            return Reply(val.type, bytes(buf[pos:p]), val.count, val.children, val.payload), p
        return Reply(t, bytes(buf[pos:p]), count=n, children=children), p
    raise BadReply(f"unknown reply type {t!r}")


def encode_command(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n" % len(a))
        out.append(a)
        out.append(b"\r\n")
    return b"".join(out)


class Conn:
    """A raw RESP connection that sends multibulk commands and reads exactly one reply."""

    def __init__(self, host, port, timeout=DEFAULT_TIMEOUT):
        self.host, self.port, self.timeout = host, port, timeout
        self.sock = None
        self.buf = bytearray()
        self.connect()

    def connect(self):
        self.close()
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None

    def call(self, args):
        """Returns a Reply; connection trouble becomes a pseudo-reply of type b'!' (closed,
        timeout, invalid RESP) and the connection is reopened for the next command."""
        try:
            if self.sock is None:
                self.connect()
            self.sock.sendall(encode_command(args))
            return self.read_reply()
        except (Incomplete, BadReply, OSError) as e:
            if isinstance(e, socket.timeout):
                what = b"<timeout>"
            elif isinstance(e, BadReply):
                what = b"<invalid RESP: " + str(e).encode() + b" in " + bytes(self.buf[:200]) + b">"
            else:
                what = b"<connection closed>"
            self.close()
            return Reply(b"?", what)

    def read_reply(self):
        deadline = time.monotonic() + self.timeout
        while True:
            if self.buf:
                try:
                    r, used = parse_reply(self.buf)
                    del self.buf[:used]
                    return r
                except Incomplete:
                    pass
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk


def decode_word(w):
    b = w.encode("utf-8")
    if "\\" in w:
        # unicode_escape reads bytes as latin-1, so non-escape bytes pass through unchanged
        return b.decode("unicode_escape").encode("latin-1")
    return b


def canon_unordered(r, depth=0):
    """RESP bytes of r with aggregate children sorted (top level and one level below); map
    entries are sorted as key+value units."""
    if not r.is_agg() or depth > 1:
        return r.raw
    if r.type == b"%":
        units = [r.children[i].raw + canon_unordered(r.children[i + 1], depth + 1)
                 for i in range(0, len(r.children), 2)]
    else:
        units = [canon_unordered(c, depth + 1) for c in r.children]
    return r.type + b"%d\r\n" % r.count + b"".join(sorted(units))


def shape(r):
    if r.is_agg():
        return (r.type, r.count)
    if r.type in (b"*", b"~", b">", b"%"):
        return (r.type, r.count)  # null aggregate
    if r.type == b"?":
        return (r.type, r.raw)
    if r.type in (b"$", b"=", b"!") and r.payload is None:
        return (r.type, "null")
    return (r.type,)


def scan_all(conn, words):
    """Iterates a SCAN-like command from cursor 0 to completion; returns (set of items, None)
    or (None, raw reply) when a call does not answer with [cursor, [elements]]."""
    pos = 1 if words[0].upper() == b"SCAN" else 2
    pairs = words[0].upper() in (b"HSCAN", b"ZSCAN")
    items = set()
    cursor = b"0"
    for _ in range(SCAN_MAX_CALLS):
        r = conn.call(words[:pos] + [cursor] + words[pos:])
        if not (r.is_agg() and r.count == 2 and r.children[0].payload is not None
                and r.children[1].is_agg()):
            return None, r.raw
        els = [c.raw for c in r.children[1].children]
        if pairs:
            items.update(zip(els[0::2], els[1::2]))
        else:
            items.update(els)
        cursor = r.children[0].payload
        if cursor == b"0":
            return items, None
    return None, b"<scan did not finish after %d calls>" % SCAN_MAX_CALLS


class Runner:
    def __init__(self, a_addr, b_addr, a_name, b_name, timeout, verbose, may_skip=True):
        self.a_addr, self.b_addr = a_addr, b_addr
        self.a_name, self.b_name = a_name, b_name
        self.timeout = timeout
        self.verbose = verbose
        self.may_skip = may_skip
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def _conns(self):
        return (Conn(*self.a_addr, timeout=self.timeout), Conn(*self.b_addr, timeout=self.timeout))

    def mismatch(self, where, line, a, b, note=""):
        self.failed += 1
        print(f"MISMATCH {where}: {line}{'  (' + note + ')' if note else ''}")
        print(f"  {self.a_name}: {a!r}")
        print(f"  {self.b_name}: {b!r}")
        sys.stdout.flush()

    def run_script(self, path):
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        needs, bad = script_requires(lines)
        for lineno, msg in bad:
            self.failed += 1
            print(f"ERROR {show_path(path)}:{lineno}: {msg}")
        ca, cb = self._conns()
        try:
            if needs:
                unknown = missing_commands(ca, needs)
                if unknown:
                    # a typo in the directive would otherwise skip the script forever
                    self.failed += 1
                    print(f"ERROR {show_path(path)}: !requires names commands {self.a_name} "
                          f"does not know: {' '.join(unknown)}")
                    return
                missing = missing_commands(cb, needs) if self.may_skip else []
                if missing:
                    n = count_commands(lines)
                    self.skipped += n
                    print(f"SKIP {show_path(path)} (needs: {' '.join(missing)})")
                    return
            for c in (ca, cb):
                for cmd in ([b"FLUSHALL"], [b"SELECT", b"0"]):
                    r = c.call(cmd)
                    if r.raw != b"+OK\r\n":
                        raise RuntimeError(f"{path}: setup {cmd} failed on "
                                           f"{c.host}:{c.port}: {r.raw!r}")
            for lineno, line in enumerate(lines, 1):
                text = line.strip()
                if not text or text.startswith("#") or is_requires(text):
                    continue
                where = f"{show_path(path)}:{lineno}"
                try:
                    self.run_line(ca, cb, where, text)
                except ScriptError as e:
                    # a broken line is a failure of the script, not a reason to stop it
                    self.failed += 1
                    print(f"ERROR {where}: {e}")
        finally:
            ca.close()
            cb.close()

    def run_line(self, ca, cb, where, text):
        mode = "raw"
        if text.startswith("!"):
            directive, _, rest = text.partition(" ")
            if directive == "!proto3" and not rest.strip():
                ra, rb = ca.call([b"HELLO", b"3"]), cb.call([b"HELLO", b"3"])
                if not (ra.is_agg() and rb.is_agg()):
                    self.mismatch(where, text, ra.raw, rb.raw, "HELLO 3 failed")
                return
            if directive not in ("!unordered", "!shape", "!scan"):
                raise ScriptError(f"unknown directive {directive}")
            mode = directive[1:]
            text = rest.strip()
        try:
            words = [decode_word(w) for w in shlex.split(text)]
        except ValueError as e:
            raise ScriptError(f"cannot split line: {e}")
        if not words:
            raise ScriptError("empty command")
        if mode == "scan":
            sa, ea = scan_all(ca, words)
            sb, eb = scan_all(cb, words)
            if ea is not None or eb is not None:
                ok = ea == eb
                ra, rb = ea if ea is not None else sorted(sa), eb if eb is not None else sorted(sb)
                note = "scan did not complete"
            else:
                ok = sa == sb
                ra, rb = sorted(sa - sb), sorted(sb - sa)
                note = "items only on each side"
            if self.verbose:
                print(f"{where}: {text} -> {len(sa or ())} items")
            if ok:
                self.passed += 1
            else:
                self.mismatch(where, text, ra, rb, note)
            return
        ra = ca.call(words)
        rb = cb.call(words)
        if self.verbose:
            print(f"{where}: {text} -> {ra.raw!r}")
        if mode == "raw":
            ok = ra.raw == rb.raw
        elif mode == "unordered":
            ok = canon_unordered(ra) == canon_unordered(rb)
        else:
            ok = shape(ra) == shape(rb)
        if ok:
            self.passed += 1
        else:
            self.mismatch(where, text, ra.raw, rb.raw, mode if mode != "raw" else "")


def is_requires(text):
    return text == "!requires" or text.startswith("!requires ")


def script_requires(lines):
    """The command names of a script's '!requires' lines (lowercased, in order, once each) and
    the (lineno, message) of misplaced or empty ones."""
    needs, bad = [], []
    seen_command = False
    for lineno, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if not is_requires(text):
            seen_command = True
            continue
        names = text.split()[1:]
        if seen_command:
            bad.append((lineno, "!requires must come before the first command"))
        elif not names:
            bad.append((lineno, "!requires names no command"))
        for n in names:
            n = n.lower()
            if n not in needs:
                needs.append(n)
    return needs, bad


def count_commands(lines):
    """How many lines of a script are compared (what a skipped script leaves unchecked)."""
    n = 0
    for line in lines:
        text = line.strip()
        if text and not text.startswith("#") and not is_requires(text) and text != "!proto3":
            n += 1
    return n


def missing_commands(conn, names):
    """The names the server behind conn does not know: COMMAND INFO answers nil for them."""
    r = conn.call([b"COMMAND", b"INFO"] + [n.encode() for n in names])
    if not (r.is_agg() and r.count == len(names)):
        raise RuntimeError(f"COMMAND INFO on {conn.host}:{conn.port} answered {r.raw[:200]!r}")
    return [n for n, c in zip(names, r.children) if is_nil(c)]


def is_nil(r):
    """Any RESP null: $-1 (what COMMAND INFO answers for an unknown name), *-1, or RESP3 _."""
    if r.type == b"_":
        return True
    if r.type in BULK_TYPES:
        return r.payload is None
    return r.type in AGG_TYPES and r.children is None


def show_path(p):
    """A script path relative to the current directory when it is below it."""
    rel = os.path.relpath(p)
    return p if rel.startswith("..") else rel


def parse_addr(s):
    host, _, port = s.rpartition(":")
    return (host or "127.0.0.1", int(port))


def main():
    ap = argparse.ArgumentParser(description="Compare Vole's replies with redis-server's.")
    ap.add_argument("scripts", nargs="*", help="script files (default: tests/diff/scripts/*.txt)")
    ap.add_argument("--redis-only", action="store_true",
                    help="compare two redis-servers (validates the scripts themselves)")
    ap.add_argument("--vole", metavar="ADDR", help="use a running Vole at host:port")
    ap.add_argument("--redis", metavar="ADDR", help="use a running redis-server at host:port")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                    help="seconds to wait for one reply")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every command")
    args = ap.parse_args()

    scripts = args.scripts or sorted(glob.glob(str(HERE / "scripts" / "*.txt")))
    if not scripts:
        print("no scripts found")
        print("0 passed, 0 failed, 0 skipped")
        return 0

    from lib import vole_proc

    started = []
    try:
        if args.redis:
            a_addr = parse_addr(args.redis)
        else:
            r = vole_proc.start_redis()
            started.append(r)
            a_addr = (r.host, r.port)
        if args.vole:
            b_addr, b_name = parse_addr(args.vole), "vole"
        elif args.redis_only:
            r2 = vole_proc.start_redis()
            started.append(r2)
            b_addr, b_name = (r2.host, r2.port), "redis2"
        else:
            # the oracle runs without persistence (--appendonly no --save ""): so does Vole
            # here; persistence has its own tests
            v = vole_proc.start_vole(extra_args=["--appendonly", "no"])
            started.append(v)
            b_addr, b_name = (v.host, v.port), "vole"
        runner = Runner(a_addr, b_addr, "redis", b_name, args.timeout, args.verbose,
                        may_skip=not args.redis_only)
        errors = 0
        for s in scripts:
            t0 = time.monotonic()
            before = (runner.passed, runner.failed, runner.skipped)
            try:
                runner.run_script(s)
            except (RuntimeError, OSError) as e:
                errors += 1
                runner.failed += 1
                print(f"ERROR {s}: {e}")
            dp, df, ds = (runner.passed - before[0], runner.failed - before[1],
                          runner.skipped - before[2])
            print(f"{show_path(s)}: {dp} passed, {df} failed, {ds} skipped "
                  f"({time.monotonic() - t0:.1f}s)")
            sys.stdout.flush()
        for p in started:
            if not p.alive():
                print(f"{p.kind} died during the run:\n{p.log_tail()}")
                runner.failed += 1
        print(f"{runner.passed} passed, {runner.failed} failed, {runner.skipped} skipped")
        return 1 if runner.failed else 0
    finally:
        for p in started:
            p.stop()


if __name__ == "__main__":
    sys.exit(main())
