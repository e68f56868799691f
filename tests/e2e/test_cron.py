# Cron jobs end to end: CRON.ADD/DEL/LIST/INFO/RUN validation and bookkeeping, jobs run by the
# scheduler process through the engine, a failing job recorded while its next run still
# happens, jobs running in their own database, DELMATCH as a job. Runs use CRON.RUN or the
# test-only cron-time-scale setting (the scheduler's cron clock runs 60 times faster: one cron
# minute per second), so nothing waits for a real minute; test_cron_realtime.py does that once.
import sys
import time
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.vole_proc import start_vole, wait_until  # noqa: E402


@pytest.fixture(scope="module")
def vole():
    v = start_vole(extra_args=("--roles", "engine,frontend-resp,scheduler",
                               "--cron-time-scale", "60"))
    yield v
    rc = v.stop()
    assert rc == 0, v.log_tail()


@pytest.fixture
def r(vole):
    c = vole.client(decode_responses=True)
    c.flushall()
    for j in c.execute_command("CRON.LIST"):
        c.execute_command("CRON.DEL", dict(zip(j[::2], j[1::2]))["name"])
    yield c
    c.close()


def info(r, name):
    v = r.execute_command("CRON.INFO", name)
    return dict(zip(v[::2], v[1::2]))


@pytest.mark.parametrize("args,msg", [
    (("j", "* * * *", "PING"), "found 4"),
    (("j", "*/0 * * * *", "PING"), "invalid minute"),
    (("j", "@reboot", "PING"), "unknown cron macro"),
    (("j", "* * * * *", "NOSUCHCMD"), "unknown command 'NOSUCHCMD'"),
    (("j", "* * * * *", "BLPOP", "l", "0"), "cannot run 'blpop'"),
    (("j", "* * * * *", "MULTI"), "cannot run 'multi'"),
    (("j", "* * * * *", "SUBSCRIBE", "c"), "cannot run 'subscribe'"),
    (("j", "* * * * *", "SELECT", "1"), "cannot run 'select'"),
    (("j", "* * * * *", "GET"), "wrong number of arguments for 'get'"),
    (("", "* * * * *", "PING"), "1 to 200 bytes"),
])
def test_add_errors(r, args, msg):
    with pytest.raises(redis.ResponseError, match=msg):
        r.execute_command("CRON.ADD", *args)
    assert r.execute_command("CRON.LIST") == []


def test_add_list_info_del(r):
    assert r.execute_command("CRON.ADD", "b-job", "0 */6 * * *", "DEL", "temp:1") == "OK"
    assert r.execute_command("CRON.ADD", "a-job", "@daily", "SET", "k", "v w") == "OK"
    jobs = [dict(zip(j[::2], j[1::2])) for j in r.execute_command("CRON.LIST")]
    assert [j["name"] for j in jobs] == ["a-job", "b-job"]
    assert jobs[0]["schedule"] == "@daily" and jobs[0]["command"] == "SET k v w"
    i = info(r, "b-job")
    assert i["schedule"] == "0 */6 * * *" and i["command"] == "DEL temp:1"
    assert i["last_status"] == "never" and i["last_run"] == -1 and i["last_result"] is None
    assert i["run_count"] == 0 and i["failures"] == 0 and i["db"] == 0
    now = time.time() * 1000
    assert i["next_run"] % (6 * 3600 * 1000) == 0 and now < i["next_run"] <= now + 6 * 3600e3
    assert abs(i["created"] - now) < 5000
    # replacing keeps one job of that name
    assert r.execute_command("CRON.ADD", "b-job", "@hourly", "PING") == "OK"
    assert info(r, "b-job")["schedule"] == "@hourly"
    assert r.execute_command("CRON.DEL", "b-job") == 1
    assert r.execute_command("CRON.DEL", "b-job") == 0
    with pytest.raises(redis.ResponseError, match="no such cron job"):
        r.execute_command("CRON.INFO", "b-job")
    with pytest.raises(redis.ResponseError, match="no such cron job"):
        r.execute_command("CRON.RUN", "b-job")


def test_internal_commands_refused_to_users(r):
    with pytest.raises(redis.ResponseError, match="internal to Vole"):
        r.execute_command("vole.cron-jobs", "0")
    with pytest.raises(redis.ResponseError, match="internal to Vole"):
        r.execute_command("vole.cron-done", "x", "1", "ok", "r", "0")
    with pytest.raises(redis.ResponseError, match="internal to Vole"):
        r.execute_command("vole.cron-set", "x", "* * * * *", "1", "0", "PING")


def test_run_now(r):
    # a schedule that will not come during the test: only CRON.RUN runs it
    r.execute_command("CRON.ADD", "manual", "0 0 1 1 *", "INCRBY", "runs", "5")
    assert r.execute_command("CRON.RUN", "manual") == "OK"
    assert wait_until(lambda: info(r, "manual")["run_count"] == 1, 5)
    i = info(r, "manual")
    assert i["last_status"] == "ok" and i["last_result"] == "5" and i["failures"] == 0
    assert r.get("runs") == "5"
    time.sleep(0.6)  # served once, not again at the next look at the table
    assert info(r, "manual")["run_count"] == 1


def test_runs_on_schedule_and_failures_recorded(r):
    # cron clock x60: "* * * * *" comes every real second
    r.execute_command("CRON.ADD", "tick", "* * * * *", "INCR", "ticks")
    r.set("bad", "notanumber")
    r.execute_command("CRON.ADD", "broken", "* * * * *", "INCR", "bad")
    assert wait_until(lambda: info(r, "broken")["run_count"] >= 2, 10)
    b = info(r, "broken")
    assert b["last_status"] == "error" and b["failures"] == b["run_count"]
    assert b["last_result"] == "ERR value is not an integer or out of range"
    assert b["last_run"] % 60000 == 0  # on the (cron clock's) minute
    assert wait_until(lambda: info(r, "tick")["run_count"] >= 2, 10)
    t = info(r, "tick")
    assert t["failures"] == 0 and int(r.get("ticks")) >= 2 and t["last_status"] == "ok"
    # the failing job recovers when its command can succeed
    r.set("bad", "1")
    assert wait_until(lambda: info(r, "broken")["last_status"] == "ok", 10)

    def sched_runs():
        st = r.execute_command("WEBHOOK", "STATS")
        return int(dict(zip(st[::2], st[1::2])).get("cron_runs", 0))
    assert wait_until(lambda: sched_runs() >= 4, 5)  # the scheduler's own counters


def test_job_runs_in_its_database(r, vole):
    c = vole.client(decode_responses=True, db=5)
    c.execute_command("CRON.ADD", "db5", "0 0 1 1 *", "SET", "where", "five")
    assert info(c, "db5")["db"] == 5
    r.execute_command("CRON.ADD", "db0", "0 0 1 1 *", "SET", "where", "zero")
    r.execute_command("CRON.RUN", "db5")
    r.execute_command("CRON.RUN", "db0")
    assert wait_until(lambda: info(r, "db0")["run_count"] == 1 and info(r, "db5")["run_count"] == 1, 5)
    assert c.get("where") == "five" and r.get("where") == "zero"
    c.close()


def test_delmatch_job(r):
    r.mset({f"temp:{i}": i for i in range(100)})
    r.set("keep", "1")
    r.execute_command("CRON.ADD", "cleanup", "0 */6 * * *", "DELMATCH", "temp:*")
    r.execute_command("CRON.RUN", "cleanup")
    assert wait_until(lambda: r.dbsize() == 1, 5)
    assert r.get("keep") == "1"
    assert info(r, "cleanup")["last_result"] == "100"
