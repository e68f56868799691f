# `vole check-snapshot FILE`: the real binary on snapshot files written by the real binary
# (`vole bench-snapshot` fills an in-process engine from RESP commands and writes a snapshot):
# the summary of a good file, and the error naming what and where for damaged ones (exit 1).
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.vole_proc import vole_binary  # noqa: E402


def _resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def _run(*args):
    return subprocess.run([str(vole_binary()), *args], capture_output=True, timeout=60)


def _snapshot(tmp_path):
    cmds = [_resp("SET", "s", "hello"), _resp("SET", "n", 42),
            _resp("SET", "t", "ttl", "PX", 100000000),
            _resp("RPUSH", "l", "a", "b", "c"), _resp("SADD", "si", 1, 2, 3),
            _resp("SADD", "ss", "x", "y"), _resp("ZADD", "z", 1, "a", 2, "b"),
            _resp("HSET", "h", "f", "v"), _resp("XADD", "x", "1-1", "f", "v"),
            _resp("XGROUP", "CREATE", "x", "g", "0"),
            _resp("SELECT", 2), _resp("SET", "other", "db")]
    data = tmp_path / "data.resp"
    data.write_bytes(b"".join(cmds))
    snap = tmp_path / "dump.vsnap"
    r = _run("bench-snapshot", str(data), str(snap))
    assert r.returncode == 0, r.stderr
    assert b"keys=10 " in r.stdout and b"loaded_keys=10" in r.stdout
    return snap


def test_good_file_summary(tmp_path):
    snap = _snapshot(tmp_path)
    r = _run("check-snapshot", str(snap))
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout.decode()
    assert f"snapshot {snap}: OK" in out
    assert "format version: 1" in out
    assert "sequence: 1" in out
    assert "keys: 10" in out
    assert "db0: keys=9,expires=1" in out
    assert "db2: keys=1,expires=0" in out
    assert "type string: 4 (int 1, embstr 3)" in out
    assert "type set: 2 (hashtable 1, intset 1)" in out
    for t in ("list: 1", "zset: 1", "hash: 1", "stream: 1"):
        assert f"type {t}" in out
    # every registered piece of engine state has its section, empty here
    for sec in ("cron", "webhooks", "tags", "schemas", "delayed", "audit"):
        assert f"section {sec}: " in out, out


def test_damaged_files(tmp_path):
    snap = _snapshot(tmp_path)
    good = snap.read_bytes()
    bad = tmp_path / "bad.vsnap"

    bad.write_bytes(good[: len(good) - 5])
    r = _run("check-snapshot", str(bad))
    assert r.returncode == 1
    assert b"truncated" in r.stdout and b"byte" in r.stdout

    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x10
    bad.write_bytes(bytes(flipped))
    r = _run("check-snapshot", str(bad))
    assert r.returncode == 1
    assert b"bad snapshot" in r.stdout and b"byte" in r.stdout

    bad.write_bytes(b"REDIS0009" + good[9:])
    r = _run("check-snapshot", str(bad))
    assert r.returncode == 1
    assert b"bad magic" in r.stdout

    r = _run("check-snapshot", str(tmp_path / "missing"))
    assert r.returncode == 1
    assert b"cannot open" in r.stderr


def test_usage():
    r = _run("check-snapshot")
    assert r.returncode == 1
    assert b"usage: vole check-snapshot FILE" in r.stderr
    r = _run("check-snapshot", "--help")
    assert r.returncode == 0
