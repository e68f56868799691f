# End-to-end tests through redis-cli (output compared with redis-server's), redis-cli --pipe
# mass insertion, and Vole's own vole-cli.
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.vole_proc import requires, vole_binary  # noqa: E402

REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"



def cli(srv, *args, stdin=None, binary=REDIS_CLI, timeout=60):
    p = subprocess.run([str(binary), "-h", srv.host, "-p", str(srv.port), *args], input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


SESSION = [
    ["flushall"],
    ["set", "a", "b"],
    ["get", "a"],
    ["get", "missing"],
    ["incr", "n"],
    ["incrby", "n", "41"],
    ["incr", "a"],
    ["set", "sp", "with space\nand newline"],
    ["get", "sp"],
    ["rpush", "l", "x", "y", "z"],
    ["lrange", "l", "0", "-1"],
    ["hset", "h", "f", "v"],
    ["hgetall", "h"],
    ["keys", "n"],
    ["dbsize"],
    ["exists", "a", "l", "nope"],
    ["del", "a"],
    ["type", "l"],
    ["nosuchcommand", "x"],
    ["get"],
]
# SESSION needs lists and hashes; its lines without them check the CLI layouts of strings and
# keys until those types exist (EXISTS and TYPE of the list key then see no key, on both sides).
SESSION_TYPE_COMMANDS = ("rpush", "lrange", "hset", "hgetall")
STRING_SESSION = [cmd for cmd in SESSION if cmd[0] not in SESSION_TYPE_COMMANDS]


@pytest.mark.parametrize("session", ["strings", "all-types"])
@pytest.mark.parametrize("mode", [[], ["--no-raw"]], ids=["raw", "no-raw"])
def test_cli_session_matches_redis(servers, mode, session):
    r, v = servers
    if session == "all-types":
        requires(v, *SESSION_TYPE_COMMANDS)
    for cmd in (SESSION if session == "all-types" else STRING_SESSION):
        want = cli(r, *mode, *cmd)
        got = cli(v, *mode, *cmd)
        assert got == want, f"redis-cli {' '.join(mode + cmd)}"


def test_cli_basic_values(servers):
    _, v = servers
    assert cli(v, "flushall")[1] == b"OK\n"
    assert cli(v, "set", "a", "b")[1] == b"OK\n"
    assert cli(v, "get", "a")[1] == b"b\n"
    assert cli(v, "--no-raw", "get", "a")[1] == b'"b"\n'
    assert cli(v, "incr", "c")[1] == b"1\n"
    assert cli(v, "--no-raw", "incr", "c")[1] == b"(integer) 2\n"
    assert sorted(cli(v, "keys", "*")[1].split()) == [b"a", b"c"]


def test_cli_pipe_mass_insertion(servers):
    n = 100000
    body = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$%d\r\nval:%d\r\n"
                    % (len(b"key:%d" % i), i, len(b"val:%d" % i), i) for i in range(n))
    for srv in servers:
        assert cli(srv, "flushall")[1] == b"OK\n"
        rc, out, err = cli(srv, "--pipe", stdin=body, timeout=120)
        assert rc == 0, (srv.kind, out, err)
        assert b"errors: 0, replies: 100000" in out, (srv.kind, out, err)
        assert cli(srv, "dbsize")[1] == b"100000\n"
        assert cli(srv, "get", "key:99999")[1] == b"val:99999\n"


def test_cli_pipe_counts_errors(servers):
    requires(servers[1], "lpush")
    body = b"SET a 1\r\nINCR a\r\nLPUSH a x\r\nNOSUCH\r\nGET a\r\n"
    outs = []
    for srv in servers:
        cli(srv, "flushall")
        rc, out, err = cli(srv, "--pipe", stdin=body)
        outs.append((rc, out.splitlines()[-1] if out else out, err))
    assert outs[0] == outs[1]
    assert outs[0][1] == b"errors: 2, replies: 5"


VOLE_CLI = vole_binary("vole-cli")


@pytest.fixture
def vole_cli():
    if not VOLE_CLI.exists():
        pytest.fail(f"{VOLE_CLI} was not built")
    return VOLE_CLI


def test_vole_cli_basic(servers, vole_cli):
    # vole-cli prints redis-cli's human layout (quoted, "(integer)") unless --raw is given
    _, v = servers
    cli(v, "flushall")
    assert cli(v, "SET", "a", "b", binary=vole_cli)[:2] == (0, b"OK\n")
    assert cli(v, "GET", "a", binary=vole_cli)[1] == b'"b"\n'
    assert cli(v, "GET", "a", binary=vole_cli)[1] == cli(v, "--no-raw", "GET", "a")[1]
    assert cli(v, "INCR", "n", binary=vole_cli)[1] == b"(integer) 1\n"
    assert cli(v, "--raw", "GET", "a", binary=vole_cli)[1] == b"b\n"


@pytest.mark.parametrize("mode", [["--no-raw"], ["--raw"]], ids=["no-raw", "raw"])
def test_vole_cli_matches_redis_cli(servers, vole_cli, mode):
    # the whole session with redis-cli, then again with vole-cli (SESSION starts with FLUSHALL)
    _, v = servers
    want = [cli(v, *mode, *cmd)[1] for cmd in SESSION]
    got = [cli(v, *mode, *cmd, binary=vole_cli)[1] for cmd in SESSION]
    for cmd, w, g in zip(SESSION, want, got):
        assert g == w, f"vole-cli {' '.join(mode + cmd)}"


def test_vole_cli_unreachable(vole_cli):
    from lib.vole_proc import free_port
    p = subprocess.run([str(vole_cli), "-p", str(free_port()), "PING"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    assert p.returncode != 0
    assert p.stdout or p.stderr
