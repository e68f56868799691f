# Cron on the real clock, bounded by a deadline (at most about a minute): one instance runs a
# "* * * * *" job at the next wall-clock minute; in a second instance (cron-catchup once) the
# scheduler is stopped across that same minute and then killed: its successor runs the missed
# job once at start.
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.vole_proc import start_vole, wait_until  # noqa: E402

ROLES = ("--roles", "engine,frontend-resp,scheduler")


def info(c, name):
    v = c.execute_command("CRON.INFO", name)
    return dict(zip(v[::2], v[1::2]))


def test_runs_on_the_minute_and_catches_up_once():
    # not too close to a minute boundary, so the jobs are in place before it
    if 60 - time.time() % 60 < 3:
        time.sleep(60 - time.time() % 60 + 0.5)
    a = start_vole(extra_args=ROLES)
    b = start_vole(extra_args=(*ROLES, "--cron-catchup", "once", "--watchdog-ms", "120000"))
    try:
        ca, cb = a.client(decode_responses=True), b.client(decode_responses=True)
        ca.execute_command("CRON.ADD", "m", "* * * * *", "INCR", "n")
        cb.execute_command("CRON.ADD", "m", "* * * * *", "INCR", "n")
        boundary = (info(ca, "m")["created"] // 60000 + 1) * 60000
        assert info(ca, "m")["next_run"] == boundary
        sched_b = wait_until(lambda: b.child_pid("scheduler"), 5)
        os.kill(sched_b, signal.SIGSTOP)
        # instance a: the run happens at the minute, not before
        assert ca.get("n") is None
        ran = wait_until(lambda: ca.get("n") == "1", boundary / 1000 - time.time() + 5,
                         interval=0.01)
        seen = time.time() * 1000
        assert ran, a.log_tail()
        assert boundary - 50 <= seen <= boundary + 2000, (seen - boundary)
        i = info(ca, "m")
        assert i["last_run"] == boundary and i["run_count"] == 1
        assert i["next_run"] == boundary + 60000
        # instance b: its scheduler slept through the minute; a new one catches up once
        assert cb.get("n") is None
        os.kill(sched_b, signal.SIGKILL)
        assert wait_until(lambda: cb.get("n") == "1", 10), b.log_tail()
        assert info(cb, "m")["run_count"] == 1
        assert "missed its run" in b.log_text()
        time.sleep(0.5)  # once, not again before the next minute
        assert cb.get("n") == "1" or time.time() * 1000 >= boundary + 60000
        print(f"\nrun seen {seen - boundary:.0f} ms after the minute")
    finally:
        rc_a, rc_b = a.stop(), b.stop()
    assert rc_a == 0 and rc_b == 0
