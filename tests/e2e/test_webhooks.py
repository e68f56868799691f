# Webhooks end to end: WEBHOOK REGISTER/LIST/UNREGISTER/FAILED/STATS, delivery by the scheduler
# process to a local HTTP receiver (payload, HMAC-SHA256 signature, events and patterns,
# retries with backoff, the failed list after the last retry, unregister), with keyspace
# notifications off (webhooks do not depend on them).
import json
import sys
import time
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.vole_proc import start_vole, wait_until  # noqa: E402
from lib.webhook_receiver import Receiver, signature  # noqa: E402

ARGS = ("--roles", "engine,frontend-resp,scheduler", "--webhook-retries", "2",
        "--webhook-retry-base-ms", "50", "--webhook-timeout-ms", "2000")


@pytest.fixture(scope="module")
def vole():
    v = start_vole(extra_args=ARGS)
    yield v
    rc = v.stop()
    assert rc == 0, v.log_tail()


@pytest.fixture(scope="module")
def recv():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def r(vole):
    c = vole.client(decode_responses=True)
    c.flushall()
    for h in c.execute_command("WEBHOOK", "LIST"):
        d = dict(zip(h[::2], h[1::2]))
        c.execute_command("WEBHOOK", "UNREGISTER", d["pattern"], d["event"], d["url"])
    yield c
    c.close()


def test_register_list_unregister(r, recv):
    url = recv.url("/ok-list")
    assert r.execute_command("WEBHOOK", "REGISTER", "user:*", "set", url) == "OK"
    assert r.execute_command("WEBHOOK", "REGISTER", "s:*", "EXPIRED", url, "SECRET", "k") == "OK"
    # registering the same triple again replaces it (here: adds a secret)
    assert r.execute_command("WEBHOOK", "REGISTER", "user:*", "set", url, "SECRET", "x") == "OK"
    hooks = [dict(zip(h[::2], h[1::2])) for h in r.execute_command("WEBHOOK", "LIST")]
    assert hooks == [{"pattern": "s:*", "event": "expired", "url": url, "signed": "yes"},
                     {"pattern": "user:*", "event": "set", "url": url, "signed": "yes"}]
    assert r.execute_command("WEBHOOK", "UNREGISTER", "user:*", "set", url) == 1
    assert r.execute_command("WEBHOOK", "UNREGISTER", "user:*", "set", url) == 0
    assert r.execute_command("WEBHOOK", "UNREGISTER", "s:*", "Expired", url) == 1
    assert r.execute_command("WEBHOOK", "LIST") == []


@pytest.mark.parametrize("args,msg", [
    (("p", "set", "ftp://x"), "invalid webhook URL"),
    (("p", "set", "http://"), "invalid webhook URL"),
    (("p", "s e t", "http://x"), "invalid event name"),
    (("p", "set", "http://x", "SECRET"), "syntax error"),
    (("p", "set", "http://x", "SECRET", ""), "must not be empty"),
    (("p", "set", "http://x", "NOPE", "s"), "syntax error"),
])
def test_register_errors(r, args, msg):
    with pytest.raises(redis.ResponseError, match=msg):
        r.execute_command("WEBHOOK", "REGISTER", *args)


def test_internal_commands_refused_to_users(r):
    with pytest.raises(redis.ResponseError, match="internal to Vole"):
        r.execute_command("vole.webhook-failed", "u", "e", "k", "0", "1", "1", "x", "1")
    with pytest.raises(redis.ResponseError, match="internal to Vole"):
        r.execute_command("vole.scheduler-stats", "a", "1")


def test_delivery_payload_and_signature(r, recv, vole):
    url = recv.url("/ok-signed")
    r.execute_command("WEBHOOK", "REGISTER", "user:*", "set", url, "SECRET", "s3cr3t")
    t0 = int(time.time() * 1000)
    r.set("user:1", "a")
    r.set("other", "b")  # does not match the pattern
    r.execute_command("SELECT", "0")
    got = wait_until(lambda: recv.got("/ok-signed"), 10)
    assert got, vole.log_tail()
    req = got[0]
    doc = json.loads(req["body"])
    assert set(doc) == {"event", "key", "db", "timestamp", "node"}
    assert doc["event"] == "set" and doc["key"] == "user:1" and doc["db"] == 0
    assert doc["node"] == f"127.0.0.1:{vole.port}"
    assert t0 - 1000 <= doc["timestamp"] <= int(time.time() * 1000) + 1000
    h = {k.lower(): v for k, v in req["headers"].items()}
    assert h["content-type"] == "application/json"
    assert h["x-vole-event"] == "set"
    assert h["x-vole-signature"] == signature("s3cr3t", req["body"])
    assert h["x-vole-attempt"] == "1"
    assert h["x-vole-delivery"]
    time.sleep(0.3)  # nothing else arrives (the non-matching key)
    assert len(recv.got("/ok-signed")) == 1


def test_unsigned_binary_key_and_db(r, recv):
    url = recv.url("/ok-unsigned")
    r.execute_command("WEBHOOK", "REGISTER", "*", "*", url)
    c = redis.Redis(host=r.connection_pool.connection_kwargs["host"],
                    port=r.connection_pool.connection_kwargs["port"], db=3)
    c.set(b"k\xff\"q\n\xc3\xa9", "v")
    c.close()
    got = wait_until(lambda: recv.got("/ok-unsigned"), 10)
    doc = got[0]["json"]
    assert doc["db"] == 3 and doc["event"] == "set"
    assert doc["key"] == "k\u00ff\"q\n\u00e9"  # invalid UTF-8 bytes as \u00XX
    assert "x-vole-signature" not in {k.lower() for k in got[0]["headers"]}


def test_events_del_expired_and_star(r, recv):
    r.execute_command("WEBHOOK", "REGISTER", "e:*", "del", recv.url("/ok-del"))
    r.execute_command("WEBHOOK", "REGISTER", "e:*", "expired", recv.url("/ok-exp"))
    r.execute_command("WEBHOOK", "REGISTER", "e:*", "*", recv.url("/ok-all"))
    r.set("e:1", "x")
    r.delete("e:1")
    r.set("e:2", "x", px=50)
    assert wait_until(lambda: recv.got("/ok-exp"), 10)
    assert wait_until(lambda: len(recv.got("/ok-all")) >= 5, 10)
    assert [q["json"]["key"] for q in recv.got("/ok-del")] == ["e:1"]
    assert [q["json"]["key"] for q in recv.got("/ok-exp")] == ["e:2"]
    evs = [q["json"]["event"] for q in recv.got("/ok-all")]
    assert sorted(evs) == ["del", "expire", "expired", "set", "set"]  # SET PX: set + expire


def test_retry_then_success(r, recv):
    url = recv.url("/flaky2/a")
    r.execute_command("WEBHOOK", "REGISTER", "retry", "set", url)
    r.set("retry", "1")
    assert wait_until(lambda: len(recv.got("/flaky2/a")) >= 3, 10)
    got = recv.got("/flaky2/a")
    assert [q["headers"]["X-Vole-Attempt"] for q in got] == ["1", "2", "3"]
    # backoff: the second retry waits longer than the first (base 50 ms, doubling, jitter)
    assert got[2]["t"] - got[1]["t"] >= 0.045
    time.sleep(0.3)
    assert len(recv.got("/flaky2/a")) == 3
    assert r.execute_command("WEBHOOK", "FAILED") == []


def test_failed_list_after_last_retry(r, recv):
    url = recv.url("/fail-always")
    r.execute_command("WEBHOOK", "REGISTER", "doomed:*", "set", url)
    r.set("doomed:1", "x")
    got = wait_until(lambda: r.execute_command("WEBHOOK", "FAILED", "COUNT", "5"), 10)
    f = dict(zip(got[0][::2], got[0][1::2]))
    assert f["key"] == "doomed:1" and f["event"] == "set" and f["url"] == url
    assert f["attempts"] == 3  # the first try and webhook-retries 2
    assert f["error"] == "HTTP status 500"
    assert len(recv.got("/fail-always")) == 3
    stats = r.execute_command("WEBHOOK", "STATS")
    stats = dict(zip(stats[::2], stats[1::2]))
    assert stats["failed_total"] >= 1
    assert wait_until(lambda: (lambda s: int(dict(zip(s[::2], s[1::2]))["webhook_failed"]) >= 1)(
        r.execute_command("WEBHOOK", "STATS")), 5)
    with pytest.raises(redis.ResponseError, match="COUNT"):
        r.execute_command("WEBHOOK", "FAILED", "COUNT", "0")


def test_unregister_stops_delivery(r, recv):
    url = recv.url("/ok-unreg")
    r.execute_command("WEBHOOK", "REGISTER", "u:*", "set", url)
    r.set("u:1", "x")
    assert wait_until(lambda: recv.got("/ok-unreg"), 10)
    assert r.execute_command("WEBHOOK", "UNREGISTER", "u:*", "set", url) == 1
    r.set("u:2", "x")
    r.execute_command("WEBHOOK", "REGISTER", "marker", "set", recv.url("/ok-marker"))
    r.set("marker", "x")
    assert wait_until(lambda: recv.got("/ok-marker"), 10)
    time.sleep(0.2)
    assert recv.keys("/ok-unreg") == ["u:1"]


def test_outbox_acknowledged(r, recv):
    r.execute_command("WEBHOOK", "REGISTER", "ack:*", "set", recv.url("/ok-ack"))
    for i in range(50):
        r.set(f"ack:{i}", i)
    assert wait_until(lambda: len(recv.got("/ok-ack")) == 50, 10)

    def drained():
        s = r.execute_command("WEBHOOK", "STATS")
        s = dict(zip(s[::2], s[1::2]))
        return s["outbox_records"] == 0
    assert wait_until(drained, 5)
