# The supervisor's contract: children are restarted quickly after a crash, SIGTERM shuts the
# whole instance down cleanly with no orphans, and the command line is checked.
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.vole_proc import (free_port, proc_is_zombie, proc_ppid, start_vole,  # noqa: E402
                           vole_binary, wait_until)

RESTART_WITHIN = 2.0


@pytest.fixture
def vole():
    v = start_vole()
    yield v
    v.stop()


def _wait_child(v, role, timeout=5.0):
    pid = wait_until(lambda: v.child_pid(role), timeout)
    assert pid, f"no {role} child of supervisor {v.pid}: {v.children()}\n{v.log_tail()}"
    return pid


def _logged_restart(v, role):
    """True when a log line names the role and says it was restarted (or is restarting)."""
    for line in v.log_text().splitlines():
        low = line.lower()
        if role in low and "restart" in low:
            return True
    return False


def _kill_and_recover(v, role):
    old = _wait_child(v, role)
    t0 = time.monotonic()
    v_alive_before = v.alive()
    os.kill(old, signal.SIGKILL)
    # the old process must be gone (reaped or at least dead) before a PONG proves anything
    assert wait_until(lambda: proc_is_zombie(old), RESTART_WITHIN), f"{role} {old} survived SIGKILL"
    # a fresh client must get PONG within the deadline (polling, each try a new connection)
    ok = wait_until(lambda: v.ping(timeout=0.5), RESTART_WITHIN + 0.5, interval=0.02)
    took = time.monotonic() - t0
    assert v_alive_before and v.alive(), f"supervisor died\n{v.log_tail()}"
    assert ok and took <= RESTART_WITHIN + 0.5, \
        f"no PONG {took:.2f}s after SIGKILL of {role}\n{v.log_tail()}"
    new = _wait_child(v, role)
    assert new != old
    assert proc_ppid(new) == v.pid
    assert wait_until(lambda: _logged_restart(v, role), 2.0), \
        f"restart of {role} not logged\n{v.log_tail()}"
    return took


def test_children_have_roles(vole):
    roles = sorted(set(wait_until(lambda: vole.children(), 5.0).values()))
    assert "engine" in roles and "frontend-resp" in roles, roles


def test_frontend_killed_restarts(vole):
    c = vole.client(socket_timeout=5)
    c.set("survives", "yes")
    c.close()
    _kill_and_recover(vole, "frontend-resp")
    c = vole.client(socket_timeout=5)
    # the engine kept its data: only the frontend died
    assert c.get("survives") == b"yes"
    c.close()


def test_engine_killed_restarts(vole):
    _kill_and_recover(vole, "engine")
    c = vole.client(socket_timeout=5)
    assert wait_until(lambda: _try(lambda: c.set("after", "1")), 5.0)
    assert c.get("after") == b"1"
    c.close()


def _try(f):
    try:
        return f()
    except Exception:
        return None


def test_both_killed_in_turn_then_clean_shutdown(vole):
    _kill_and_recover(vole, "frontend-resp")
    _kill_and_recover(vole, "engine")
    pids = set(vole.instance_pids())
    assert pids, "no role processes before shutdown"
    _sigterm_clean(vole, pids)


def _sigterm_clean(v, pids):
    t0 = time.monotonic()
    v.proc.send_signal(signal.SIGTERM)
    try:
        rc = v.proc.wait(10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"supervisor still running 10 s after SIGTERM\n{v.log_tail()}")
    took = time.monotonic() - t0
    assert rc == 0, f"supervisor exit code {rc}\n{v.log_tail()}"
    assert took < 10
    # children get a moment to finish exiting, but none may remain
    left = wait_until(lambda: not v.instance_pids(), 2.0)
    assert left, f"orphans after shutdown: {v.instance_pids()} (was {pids})\n{v.log_tail()}"


def test_sigterm_exits_zero_without_orphans(vole):
    _wait_child(vole, "engine")
    _wait_child(vole, "frontend-resp")
    pids = set(vole.instance_pids())
    _sigterm_clean(vole, pids)
    assert not wait_until(lambda: vole.ping(timeout=0.2), 0.3), "still answering after exit"


def test_sigterm_with_clients_connected(vole):
    clients = [vole.connect() for _ in range(5)]
    for s in clients:
        s.sendall(b"PING\r\n")
        assert s.recv(7) == b"+PONG\r\n"
    try:
        _sigterm_clean(vole, set(vole.instance_pids()))
    finally:
        for s in clients:
            s.close()


def _run_vole(*args, tmp_path=None):
    """Runs the vole binary expecting it to exit by itself; if it does not within 10 s, its
    whole process group is killed so no server is left behind."""
    p = subprocess.Popen([str(vole_binary()), *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        pytest.fail(f"vole {' '.join(args)} did not exit")
    return p.returncode, (out + err).decode(errors="replace")


def test_help_lists_flags():
    rc, out = _run_vole("--help")
    assert rc == 0, out
    for flag in ("--addr", "--dir", "--config", "--loglevel"):
        assert flag in out, f"{flag} missing from --help:\n{out}"


def test_bad_flag_fails_with_message(tmp_path):
    rc, msg = _run_vole("--addr", f"127.0.0.1:{free_port()}", "--dir", str(tmp_path),
                        "--no-such-flag", "1")
    assert rc != 0
    assert "no-such-flag" in msg, f"message does not name the flag: {msg!r}"


def test_bad_flag_value_fails(tmp_path):
    rc, msg = _run_vole("--addr", f"127.0.0.1:{free_port()}", "--dir", str(tmp_path),
                        "--databases", "lots")
    assert rc != 0
    assert msg.strip(), "no message"
