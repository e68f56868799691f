# /metrics (Prometheus text, checked with promtool), /health and /ready, and the HTTP frontend
# across process restarts under the supervisor.
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.http_util import http_instance, http_ready  # noqa: E402
from lib.vole_proc import wait_until  # noqa: E402


@pytest.fixture(scope="module")
def h():
    yield from http_instance()


def metrics(h):
    st, hd, text = h.get("/metrics")
    assert st == 200 and hd["content-type"].startswith("text/plain; version=0.0.4")
    return text


def sample(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


def test_promtool_accepts_metrics(h):
    r = h.vole.client()
    r.set("a", 1)
    r.get("a")
    r.get("missing")
    r.close()
    text = metrics(h)
    promtool = shutil.which("promtool")
    if not promtool:
        pytest.skip("promtool not installed (deploy/install-deps.sh --test installs prometheus)")
    p = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True,
                       timeout=30)
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()


def test_metric_values(h):
    r = h.vole.client()
    r.set("k", 1)
    for _ in range(3):
        r.get("k")
    r.get("nope")
    r.close()
    text = metrics(h)
    assert sample(text, 'vole_command_calls_total{cmd="get"}') >= 4
    assert sample(text, "vole_keyspace_hits_total") >= 3
    assert sample(text, "vole_keyspace_misses_total") >= 1
    assert sample(text, "vole_memory_used_bytes") > 0
    assert sample(text, "vole_connected_clients") >= 1
    assert sample(text, 'vole_db_keys{db="0"}') >= 1
    assert sample(text, "vole_expired_keys_total") is not None
    assert sample(text, "vole_evicted_keys_total") is not None
    assert sample(text, "vole_loading") == 0
    assert sample(text, 'vole_replication_role{role="master"}') == 1
    assert sample(text, 'vole_process_up{role="engine"}') == 1
    assert sample(text, 'vole_process_restarts_total{role="frontend-http"}') == 0
    assert sample(text, "vole_http_connections") >= 1
    before = sample(text, 'vole_http_responses_total{code="4xx"}')
    assert h.get("/nope")[0] == 404
    text = metrics(h)
    assert sample(text, 'vole_http_responses_total{code="4xx"}') == before + 1
    assert sample(text, "vole_http_request_duration_seconds_count") >= 2
    assert 'vole_http_request_duration_seconds_bucket{le="+Inf"}' in text


def test_metrics_with_urllib(h):
    with urllib.request.urlopen(f"http://127.0.0.1:{h.port}/metrics", timeout=5) as resp:
        assert resp.status == 200
        assert b"# TYPE vole_commands_processed_total counter" in resp.read()


def test_restarts_counted_and_http_survives_engine_restart(h):
    v = h.vole
    pid = v.child_pid("frontend-resp")
    os.kill(pid, signal.SIGKILL)
    assert wait_until(lambda: v.child_pid("frontend-resp") not in (None, pid), 10)
    assert wait_until(lambda: sample(metrics(h), 'vole_process_restarts_total{role="frontend-resp"}')
                      == 1, 10)
    # the engine restarts: HTTP clients are closed, new requests work again once it is back
    epid = v.child_pid("engine")
    os.kill(epid, signal.SIGKILL)
    assert wait_until(lambda: v.child_pid("engine") not in (None, epid), 10)
    assert wait_until(lambda: http_ready(h.port, "/ready"), 10)
    assert h.request("PUT", "/api/v1/keys/after", {"value": "1"})[0] == 200
    assert sample(metrics(h), 'vole_process_restarts_total{role="engine"}') == 1


def test_http_frontend_restart(h):
    v = h.vole
    pid = v.child_pid("frontend-http")
    os.kill(pid, signal.SIGKILL)
    assert wait_until(lambda: v.child_pid("frontend-http") not in (None, pid), 10)
    assert wait_until(lambda: http_ready(h.port, "/ready"), 10)
    assert sample(metrics(h), 'vole_process_restarts_total{role="frontend-http"}') == 1


def test_http_off_without_setting():
    """Without http-addr there is no frontend-http process."""
    from lib.vole_proc import start_vole
    v = start_vole()
    try:
        assert "frontend-http" not in v.children().values()
    finally:
        assert v.stop() == 0


def test_http_addr_all_interfaces_form():
    """--http-addr :PORT listens on every interface, as the spec's example does."""
    from lib.vole_proc import free_port, start_vole
    port = free_port()
    v = start_vole(extra_args=["--http-addr", f":{port}"])
    try:
        assert wait_until(lambda: http_ready(port), 10)
    finally:
        assert v.stop() == 0


def test_command_latency_summary(h):
    """Each command that ran has a latency summary: p50/p99/p99.9 quantiles from the engine's
    histogram (INFO latencystats), with its sum and count (INFO commandstats)."""
    c = h.vole.client()
    c.config_resetstat()
    for i in range(100):
        c.set(f"l{i}", i)
    info = c.info("latencystats")
    assert "latency_percentiles_usec_set" in info, info
    assert set(info["latency_percentiles_usec_set"]) == {"p50", "p99", "p99.9"}
    stats = c.info("commandstats")["cmdstat_set"]
    assert stats["calls"] == 100 and stats["usec"] > 0
    text = metrics(h)
    assert "# TYPE vole_command_latency_seconds summary" in text
    assert 'vole_command_latency_seconds{cmd="set",quantile="0.99"}' in text
    assert 'vole_command_latency_seconds_count{cmd="set"} 100' in text
