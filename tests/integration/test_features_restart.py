# Vole's own features over the HTTP command route, surviving a restart: every one is written
# through POST /api/v1/command, the server is stopped (SIGTERM) and started again on the same
# data directory, then everything is read back over HTTP and RESP. Then the same after a
# SIGKILL of every process (appendfsync always), and once more through a BGREWRITEAOF base.
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.http_util import VoleHttp, http_ready  # noqa: E402
from lib.vole_proc import free_port, start_vole, wait_until  # noqa: E402


def start(data, *extra):
    port = free_port()
    v = start_vole(extra_args=["--dir", str(data), "--http-addr", f"127.0.0.1:{port}", *extra])
    h = VoleHttp(v, port)
    # /ready: the engine answers and has loaded its data (what /health does not say)
    assert wait_until(lambda: http_ready(port, "/ready"), 20), v.log_tail()
    return h


def cmd(h, *args):
    st, _, body = h.request("POST", "/api/v1/command", body=list(args))
    assert st == 200, (args, st, body)
    return body["result"]


WRITES = [
    ["JSON.SET", "doc", "$", '{"name":"vole","tags":["a","b"],"n":1}'],
    ["JSON.NUMINCRBY", "doc", "$.n", "41"],
    ["TS.CREATE", "temp", "RETENTION", "0", "LABELS", "room", "kitchen"],
    ["TS.ADD", "temp", "1000", "20.5"],
    ["TS.ADD", "temp", "2000", "21.5"],
    ["ENQUEUE", "jobs", "job-1"],
    ["ENQUEUE", "jobs", "job-2", "MAXRETRIES", "3"],
    ["RATELIMIT", "api:u1", "10", "60"],
    ["HSET", "user:1", "name", "Ann", "age", "33"],
    ["TAG", "user:1", "team=core", "tier=gold"],
    ["SCHEMA.SET", "user:*", "name:string:required", "age:int"],
    ["NAMESPACE", "CREATE", "tenant"],
    ["CRON.ADD", "tick", "*/5 * * * *", "INCR", "ticks"],
    ["WEBHOOK", "REGISTER", "user:*", "set", "http://127.0.0.1:9/hook"],
    ["AUDIT.ENABLE"],
    ["SET", "audited", "v"],
    ["SETDELAYED", "later", "soon", "3600"],
]

READS = [
    ["JSON.GET", "doc", "$.n"],
    ["JSON.GET", "doc", "$.tags"],
    ["TS.RANGE", "temp", "-", "+"],
    ["TS.QUERYINDEX", "room=kitchen"],
    ["QLEN", "jobs"],
    ["QPEEK", "jobs", "COUNT", "2"],
    ["RATELIMIT.PEEK", "api:u1", "10", "60"],
    ["HGETALL", "user:1"],
    ["TAGGET", "user:1"],
    ["TAGQUERY", "team=core AND tier=gold"],
    ["SCHEMA.LIST"],
    ["NAMESPACE", "LIST"],
    ["CRON.LIST"],
    ["WEBHOOK", "LIST"],
    ["AUDIT.SIZE"],
    ["EXISTS", "later"],
    ["DBSIZE"],
]


def snapshot(h):
    out = {}
    for r in READS:
        res = cmd(h, *r)
        if r[0] == "RATELIMIT.PEEK":
            res = res[:2]  # allowed, remaining (the times move on)
        out[" ".join(r)] = res
    return out


def write_all(h):
    for w in WRITES:
        cmd(h, *w)
    # the namespace holds its own key
    st, _, body = h.request("POST", "/api/v1/command", body=["SET", "ns-key", "in-tenant"],
                            headers={"X-Vole-Namespace": "tenant"})
    assert st == 200, body
    before = snapshot(h)
    assert before["QLEN jobs"] == 2
    assert before["EXISTS later"] == 0  # delayed: invisible until due
    assert before["AUDIT.SIZE"] >= 1
    return before


def ns_key(h):
    st, _, body = h.request("POST", "/api/v1/command", body=["GET", "ns-key"],
                            headers={"X-Vole-Namespace": "tenant"})
    assert st == 200, body
    return body["result"]


def test_features_survive_sigterm_restart(tmp_path):
    data = tmp_path / "data"
    h = start(data)
    try:
        before = write_all(h)
    finally:
        assert h.stop() == 0
    h = start(data)
    try:
        assert snapshot(h) == before
        assert ns_key(h) == "in-tenant"
        # the queue still works where it left off: FIFO, ids kept
        got = cmd(h, "DEQUEUE", "jobs")
        assert got[1] == "job-1"
        # and RESP sees the same data
        c = h.vole.client(decode_responses=True)
        assert c.execute_command("JSON.GET", "doc", "$.n") == "[42]"
    finally:
        h.stop()


def test_features_survive_sigkill_and_a_new_base(tmp_path):
    data = tmp_path / "data"
    h = start(data, "--appendfsync", "always")
    try:
        before = write_all(h)
        # half the data goes into a snapshot base, the rest stays in the segments
        cmd(h, "BGREWRITEAOF")
        man = data / "appendonlydir" / "appendonly.aof.manifest"
        assert wait_until(lambda: "base " in man.read_text(), 20), h.vole.log_tail()
        cmd(h, "TS.ADD", "temp", "3000", "22.5")
        cmd(h, "ENQUEUE", "jobs", "job-3")
        before["TS.RANGE temp - +"] = cmd(h, "TS.RANGE", "temp", "-", "+")
        before["QLEN jobs"] = 3
        before["QPEEK jobs COUNT 2"] = cmd(h, "QPEEK", "jobs", "COUNT", "2")
        before["DBSIZE"] = cmd(h, "DBSIZE")
        before["AUDIT.SIZE"] = cmd(h, "AUDIT.SIZE")
        for pid in list(h.vole.instance_pids()) + [h.vole.pid]:
            os.kill(pid, signal.SIGKILL)
    finally:
        h.stop()
    h = start(data)
    try:
        assert snapshot(h) == before
        assert ns_key(h) == "in-tenant"
    finally:
        h.stop()
