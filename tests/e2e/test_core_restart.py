# Namespaces, delayed keys, tags, schemas and the audit log survive a restart (snapshot and
# effect log).
import shutil
import sys
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.vole_proc import VoleProc, free_port, start_vole, wait_until  # noqa: E402


def restart(v):
    """Stops v and starts the same binary on the same data dir; returns the new server."""
    v.stop()
    argv = list(v.argv)
    port = free_port(v.host)
    argv[argv.index("--addr") + 1] = f"{v.host}:{port}"
    w = VoleProc(argv, v.host, port, v.tmpdir, v.datadir, keep_tmp=True)
    w.wait_ready()
    return w


def loaded(r):
    try:
        r.ping()
        r.dbsize()
        return True
    except redis.exceptions.BusyLoadingError:
        return False


def test_everything_comes_back():
    v = start_vole(keep_tmp=True)
    w = None
    try:
        r = v.client(decode_responses=True)
        r.set("plain", "1")
        r.execute_command("AUDIT.ENABLE")
        r.execute_command("SCHEMA.SET", "user:*", "age:int")
        r.execute_command("NAMESPACE", "CREATE", "gone")
        r.execute_command("NAMESPACE", "CREATE", "staging")
        r.execute_command("NAMESPACE", "DROP", "gone")
        r.execute_command("NAMESPACE", "USE", "staging")
        r.hset("user:1", mapping={"age": 30})
        r.execute_command("TAG", "user:1", "env=staging")
        r.execute_command("SETDELAYED", "soon", "v", 2, "EX", 100)
        audit_before = r.execute_command("AUDIT.SEARCH", "*", "COUNT", 100)
        r.close()
        w = restart(v)
        r = w.client(decode_responses=True)
        assert wait_until(lambda: loaded(r), 30)
        assert r.get("plain") == "1"
        assert r.execute_command("NAMESPACE", "LIST") == ["default", "staging"]
        assert r.execute_command("SCHEMA.LIST") == ["user:*"]
        r.execute_command("NAMESPACE", "USE", "staging")
        assert r.hgetall("user:1") == {"age": "30"}
        assert r.execute_command("TAGQUERY", "env=staging") == ["user:1"]
        assert r.execute_command("AUDIT.SEARCH", "*", "COUNT", 100) == audit_before
        with pytest.raises(redis.ResponseError, match="schema violation"):
            r.hset("user:2", "age", "x")
        assert wait_until(lambda: r.get("soon") == "v", 10)
        assert 95 <= r.ttl("soon") <= 100
        r.close()
    finally:
        (w or v).stop()
        shutil.rmtree(v.tmpdir, ignore_errors=True)
