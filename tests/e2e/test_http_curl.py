# The README's curl examples, run with curl against a live instance.
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.http_util import http_instance  # noqa: E402

pytestmark = pytest.mark.skipif(not shutil.which("curl"), reason="curl not installed")


@pytest.fixture(scope="module")
def h():
    yield from http_instance(["--notify-keyspace-events", "KEA"])


def curl(h, *args, timeout=10):
    """Runs curl with the URL's localhost:8080 replaced by the test's port; returns (status,
    body)."""
    args = [a.replace("localhost:8080", f"127.0.0.1:{h.port}") for a in args]
    p = subprocess.run(["curl", "-sS", "-w", "\n%{http_code}", *args], capture_output=True,
                       timeout=timeout)
    assert p.returncode in (0, 28), p.stderr.decode()
    out = p.stdout.decode()
    body, _, code = out.rpartition("\n")
    return int(code), body


def j(h, *args):
    st, body = curl(h, *args)
    return st, json.loads(body)


def test_readme_examples(h):
    assert j(h, "-X", "PUT", "localhost:8080/api/v1/keys/mykey", "-d",
             '{"value":"hello","ex":3600}') == (200, {"ok": True})
    st, body = j(h, "localhost:8080/api/v1/keys/mykey")
    assert st == 200 and body["value"] == "hello"
    assert j(h, "-X", "DELETE", "localhost:8080/api/v1/keys/mykey") == (200, {"deleted": 1})
    assert j(h, "-X", "PUT", "localhost:8080/api/v1/hash/user:1", "-d",
             '{"name":"John","age":"30"}') == (200, {"added": 2})
    assert j(h, "localhost:8080/api/v1/hash/user:1") == (200, {"name": "John", "age": "30"})
    assert j(h, "-X", "POST", "localhost:8080/api/v1/list/tasks/push", "-d",
             '{"values":["a","b"],"side":"left"}') == (200, {"length": 2})
    assert j(h, "localhost:8080/api/v1/list/tasks?start=0&stop=-1") == (200, {"values": ["b", "a"]})
    assert j(h, "-X", "POST", "localhost:8080/api/v1/set/tags", "-d",
             '{"members":["go","database"]}') == (200, {"added": 2})
    st, body = j(h, "localhost:8080/api/v1/set/tags")
    assert st == 200 and sorted(body["members"]) == ["database", "go"]
    assert j(h, "-X", "POST", "localhost:8080/api/v1/zset/scores", "-d",
             '{"members":[{"member":"alice","score":100}]}') == (200, {"added": 1})
    assert j(h, "-X", "POST", "localhost:8080/api/v1/publish/events", "-d",
             '{"message":"hello"}') == (200, {"receivers": 0})
    assert j(h, "-X", "POST", "localhost:8080/api/v1/command", "-d",
             '["ZADD","z","1","a"]') == (200, {"result": 1})
    st, text = curl(h, "localhost:8080/metrics")
    assert st == 200 and "vole_commands_processed_total" in text
    assert j(h, "localhost:8080/health") == (200, {"status": "ok"})


def test_curl_sse_stream(h):
    """curl -N on the events route, with a write arriving while it listens."""
    url = f"http://127.0.0.1:{h.port}/api/v1/events?patterns=__keyspace__:user:*"
    p = subprocess.Popen(["curl", "-sS", "-N", "--max-time", "3", url], stdout=subprocess.PIPE)
    try:
        first = p.stdout.readline()
        assert first.startswith(b": subscribed")
        h.request("PUT", "/api/v1/keys/user:9", {"value": "x"})
        out = b""
        while b"data:" not in out:
            line = p.stdout.readline()
            if not line:
                break
            out += line
        data = json.loads(out.split(b"data: ", 1)[1].split(b"\n")[0])
        assert data["key"] == "user:9" and data["event"] == "set"
    finally:
        p.kill()
        p.wait()


def test_curl_large_body_with_expect(h):
    """curl sends Expect: 100-continue for bodies over 1 kB; the answer must not stall."""
    value = "v" * 5000
    st, body = curl(h, "-X", "PUT", "localhost:8080/api/v1/keys/bigv", "-H",
                    "Content-Type: application/json", "-d", json.dumps({"value": value}),
                    "--expect100-timeout", "5")
    assert (st, json.loads(body)) == (200, {"ok": True})
    assert h.get("/api/v1/keys/bigv")[2]["value"] == value
