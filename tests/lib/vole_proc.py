# Starts and stops Vole and reference redis-servers for the python tests: free ports, readiness
# polling with a deadline, log capture, child lookup by role, and skipping tests of commands the
# server does not have yet (requires).
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 10.0
PING = b"*1\r\n$4\r\nPING\r\n"


def build_dir():
    """The build directory: $VOLE_BUILD (relative paths are taken from the repo root when they
    do not exist from the current directory), default <repo>/build."""
    d = os.environ.get("VOLE_BUILD", "")
    if not d:
        return REPO / "build"
    p = Path(d)
    if not p.is_absolute() and not p.exists():
        p = REPO / p
    return p.resolve()


def vole_binary(name="vole", build=None):
    return Path(build or build_dir()) / name


def free_port(host="127.0.0.1"):
    """A port nothing listens on right now (the kernel picks it; another process could still
    take it before we bind, which start_* handles by retrying)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def ping(host, port, timeout=1.0):
    """True when the server answers PING with +PONG on a fresh connection (or asks for a
    password first: it is serving then too)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(PING)
            data = b""
            while not data.endswith(b"\r\n"):
                chunk = s.recv(256)
                if not chunk:
                    break
                data += chunk
            return data == b"+PONG\r\n" or data.startswith(b"-NOAUTH")
    except OSError:
        return False


def wait_until(pred, timeout, interval=0.02):
    """Polls pred() until it returns a true value or the deadline passes; returns the last
    value."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def recv_until_closed(sock, timeout=5.0):
    """Reads from sock until the peer closes it; returns (bytes read, how it ended): "eof",
    "reset" (ECONNRESET and the like) or "timeout" when it is still open at the deadline."""
    deadline = time.monotonic() + timeout
    data = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return data, "timeout"
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return data, "timeout"
        except OSError:
            return data, "reset"
        if not chunk:
            return data, "eof"
        data += chunk


def _read_proc(pid, name):
    try:
        with open(f"/proc/{pid}/{name}", "rb") as f:
            return f.read()
    except OSError:
        return None


def proc_cmdline(pid):
    raw = _read_proc(pid, "cmdline")
    if raw is None:
        return None
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def proc_ppid(pid):
    raw = _read_proc(pid, "stat")
    if raw is None:
        return None
    # the command name is in parentheses and may contain spaces: parse after the last ')'
    rest = raw[raw.rfind(b")") + 2:].split()
    return int(rest[1]) if len(rest) > 1 else None


def proc_is_zombie(pid):
    raw = _read_proc(pid, "stat")
    if raw is None:
        return True
    rest = raw[raw.rfind(b")") + 2:].split()
    return bool(rest) and rest[0] == b"Z"


def all_pids():
    return [int(n) for n in os.listdir("/proc") if n.isdigit()]


def _role_of(cmd):
    for i, a in enumerate(cmd):
        if a == "--role" and i + 1 < len(cmd):
            return cmd[i + 1]
        if a.startswith("--role="):
            return a.split("=", 1)[1]
    return None


class ServerProc:
    """A server process we started, listening on host:port, with its output in a log file."""

    kind = "server"

    def __init__(self, argv, host, port, tmpdir, keep_tmp=False):
        self.argv = argv
        self.host = host
        self.port = port
        self.tmpdir = Path(tmpdir)
        self.logpath = self.tmpdir / f"{self.kind}.log"
        self.keep_tmp = keep_tmp or bool(os.environ.get("VOLE_KEEP_TMP"))
        self.final_log = None
        self.returncode = None
        self._logf = open(self.logpath, "wb")
        self.proc = subprocess.Popen(argv, stdout=self._logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=str(self.tmpdir))

    @property
    def pid(self):
        return self.proc.pid

    @property
    def addr(self):
        return f"{self.host}:{self.port}"

    def alive(self):
        return self.proc.poll() is None

    def ping(self, timeout=1.0):
        return ping(self.host, self.port, timeout)

    def wait_ready(self, timeout=READY_TIMEOUT):
        """Polls PING until +PONG; raises with the log when the process dies or the deadline
        passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.kind} exited with {self.proc.returncode} before "
                                   f"answering PING\n{self.log_tail()}")
            if self.ping(timeout=0.5):
                return
            time.sleep(0.02)
        raise RuntimeError(f"{self.kind} on {self.addr} did not answer PING within {timeout}s\n"
                           f"{self.log_tail()}")

    def log_text(self):
        if self.final_log is not None:
            return self.final_log
        try:
            return self.logpath.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines=60):
        text = self.log_text().splitlines()
        return f"--- {self.kind} log ({self.logpath}) ---\n" + "\n".join(text[-lines:])

    def connect(self, timeout=5.0):
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        s.settimeout(timeout)
        return s

    def client(self, **kw):
        import redis  # only the python tests need redis-py; the diff harness does not
        return redis.Redis(host=self.host, port=self.port, **kw)

    def signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def stop(self, timeout=10.0):
        """SIGTERM, wait up to timeout, then SIGKILL. Returns the exit code (negative for a
        signal, as subprocess reports it). Safe to call twice."""
        if self.returncode is None:
            if self.alive():
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.returncode = self.proc.returncode
            self._after_stop()
            try:
                self._logf.close()
            except OSError:
                pass
            self.final_log = None
            self.final_log = self.log_text()
            if not self.keep_tmp:
                shutil.rmtree(self.tmpdir, ignore_errors=True)
        return self.returncode

    def _after_stop(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class VoleProc(ServerProc):
    kind = "vole"

    def __init__(self, argv, host, port, tmpdir, datadir, keep_tmp=False):
        self.datadir = Path(datadir)
        super().__init__(argv, host, port, tmpdir, keep_tmp)

    def children(self):
        """{pid: role} of the live (non-zombie) processes whose parent is our supervisor and
        whose command line has --role."""
        out = {}
        for pid in all_pids():
            if proc_ppid(pid) != self.pid or proc_is_zombie(pid):
                continue
            cmd = proc_cmdline(pid)
            role = _role_of(cmd) if cmd else None
            if role:
                out[pid] = role
        return out

    def child_pid(self, role):
        """The pid of the child running role, or None."""
        for pid, r in self.children().items():
            if r == role:
                return pid
        return None

    def instance_pids(self):
        """Every live process with --role that belongs to this instance, whoever its parent is
        now (orphans are re-parented to init): recognised by our unique data dir on its
        command line, or by being a child of our supervisor."""
        mine = str(self.datadir)
        out = {}
        for pid in all_pids():
            if proc_is_zombie(pid):
                continue
            cmd = proc_cmdline(pid)
            if not cmd:
                continue
            role = _role_of(cmd)
            if role and (mine in cmd or any(mine in a for a in cmd) or proc_ppid(pid) == self.pid):
                out[pid] = role
        return out

    @property
    def run_dir(self):
        return self.datadir / "run"

    def engine_endpoint(self):
        """The engine's ZeroMQ endpoint under the default --run-dir."""
        return f"ipc://{self.run_dir / 'engine.sock'}"

    def _after_stop(self):
        # never leave children of a test instance behind, even when the supervisor failed
        for pid in self.instance_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


class RedisProc(ServerProc):
    kind = "redis"


def _tmpdir(prefix):
    return Path(tempfile.mkdtemp(prefix=prefix))


def start_vole(build=None, extra_args=(), host="127.0.0.1", ready_timeout=READY_TIMEOUT,
               attempts=3, keep_tmp=False):
    """Starts <build>/vole on a free port with a fresh data dir and waits until it answers
    PING. Retries on another port when the process dies early (e.g. the port was taken)."""
    binary = vole_binary("vole", build)
    if not binary.exists():
        raise RuntimeError(f"{binary} does not exist: build first (VOLE_BUILD={build_dir()})")
    last = None
    for _ in range(attempts):
        tmp = _tmpdir("vole-test-")
        datadir = tmp / "data"
        datadir.mkdir()
        port = free_port(host)
        argv = [str(binary), "--addr", f"{host}:{port}", "--dir", str(datadir), *extra_args]
        v = VoleProc(argv, host, port, tmp, datadir, keep_tmp)
        try:
            v.wait_ready(ready_timeout)
            return v
        except RuntimeError as e:
            last = e
            early_exit = not v.alive()
            v.stop()
            if not early_exit:
                break
    raise last


def start_redis(extra_args=(), host="127.0.0.1", ready_timeout=READY_TIMEOUT, attempts=3):
    """Starts a reference redis-server without persistence on a free port."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    last = None
    for _ in range(attempts):
        tmp = _tmpdir("vole-redis-")
        port = free_port(host)
        argv = [binary, "--port", str(port), "--bind", host, "--save", "", "--appendonly", "no",
                "--dir", str(tmp), "--daemonize", "no", "--logfile", "", *extra_args]
        r = RedisProc(argv, host, port, tmp)
        try:
            r.wait_ready(ready_timeout)
            return r
        except RuntimeError as e:
            last = e
            early_exit = not r.alive()
            r.stop()
            if not early_exit:
                break
    raise last


def _read_resp(f, depth=0):
    """Reads one RESP2 reply from a binary file object: bytes, int, str (+/- lines, errors
    prefixed with '-'), None for nulls, or a list."""
    line = f.readline()
    if not line.endswith(b"\r\n") or depth > 32:
        raise ConnectionError(f"bad or truncated reply line {line[:80]!r}")
    t, body = line[:1], line[1:-2]
    if t in (b"+", b"-"):
        return (t + body).decode(errors="replace").lstrip("+")
    if t == b":":
        return int(body)
    n = int(body)
    if t == b"$":
        if n < 0:
            return None
        data = f.read(n + 2)
        if len(data) != n + 2:
            raise ConnectionError("truncated bulk reply")
        return data[:n]
    if t == b"*":
        return None if n < 0 else [_read_resp(f, depth + 1) for _ in range(n)]
    raise ConnectionError(f"unexpected reply type {t!r}")


def _addr_of(conn):
    """(host, port) of a ServerProc, a redis-py client, or a (host, port) pair."""
    if isinstance(conn, tuple):
        return conn
    if hasattr(conn, "connection_pool"):
        kw = conn.connection_pool.connection_kwargs
        return kw.get("host", "127.0.0.1"), kw.get("port", 6379)
    return conn.host, conn.port


def missing_commands(conn, *cmds, timeout=5.0):
    """The names among cmds (commands or container|sub) the server does not know: COMMAND INFO
    answers nil for them. Asked on a fresh connection, so the caller's state is untouched."""
    host, port = _addr_of(conn)
    names = [c.encode() if isinstance(c, str) else bytes(c) for c in cmds]
    req = b"*%d\r\n$7\r\nCOMMAND\r\n$4\r\nINFO\r\n" % (len(names) + 2)
    req += b"".join(b"$%d\r\n%s\r\n" % (len(n), n) for n in names)
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(req)
        with s.makefile("rb") as f:
            reply = _read_resp(f)
    if not isinstance(reply, list) or len(reply) != len(names):
        raise RuntimeError(f"COMMAND INFO on {host}:{port} answered {reply!r:.200}")
    return [n.decode(errors="replace") for n, r in zip(names, reply) if r is None]


def requires(conn, *cmds):
    """Skips the calling pytest test when the server lacks any of cmds, naming them, so tests of
    commands that come in a later milestone wait in the tree and run once the commands exist."""
    missing = missing_commands(conn, *cmds)
    if missing:
        import pytest
        msg = f"needs {' '.join(m.upper() for m in missing)}: not implemented by the server yet"
        try:
            # reported at the test's own location rather than this line (pytest >= 7.0)
            exc = pytest.skip.Exception(msg, _use_item_location=True)
        except TypeError:
            exc = pytest.skip.Exception(msg)
        raise exc


def start_subject(extra_args=(), **kw):
    """The server under test: Vole, or a second redis-server when $VOLE_TESTS_AGAINST_REDIS is
    set (to check that a test itself is right before Vole can pass it)."""
    if os.environ.get("VOLE_TESTS_AGAINST_REDIS"):
        return start_redis(**kw)
    return start_vole(extra_args=extra_args, **kw)
