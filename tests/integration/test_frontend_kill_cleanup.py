# When a child dies, the engine must forget every client of the dead connection set: no blocked
# waiter left to swallow a later push, no subscriber left to be counted by PUBLISH or PUBSUB, and
# CLIENT LIST / INFO clients showing only the connections that really exist.
import os
import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.resp_raw import RawConn  # noqa: E402
from lib.vole_proc import start_vole, wait_until  # noqa: E402

N_BLOCKED = 20
N_SUBS = 20
CHANNEL = "fk:ch"
TIMEOUT = 5.0


@pytest.fixture
def vole():
    v = start_vole()
    yield v
    v.stop()


def _bulk(frame):
    assert frame.startswith(b"$"), frame[:200]
    return frame[frame.index(b"\r\n") + 2:-2]


def _int(frame):
    assert frame.startswith(b":"), frame[:200]
    return int(frame[1:-2])


def _info_clients(c):
    out = {}
    for line in _bulk(c.call("INFO", "clients")).decode().splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k] = v
    return out


def _numsub(c, channel):
    f = c.call("PUBSUB", "NUMSUB", channel)
    return int(f.split(b"\r\n")[-2][1:])


def _state(c):
    """What the engine says about its clients, as one comparable dict."""
    info = _info_clients(c)
    clients = _bulk(c.call("CLIENT", "LIST")).decode().strip().splitlines()
    return {
        "connected_clients": int(info.get("connected_clients", -1)),
        "blocked_clients": int(info.get("blocked_clients", -1)),
        "numsub": _numsub(c, CHANNEL),
        "channels": c.call("PUBSUB", "CHANNELS"),
        "client_list_lines": len(clients),
    }


CLEAN = {"connected_clients": 1, "blocked_clients": 0, "numsub": 0, "channels": b"*0\r\n",
         "client_list_lines": 1}


def _open_old_clients(v):
    """20 clients blocked in BLPOP on their own key and 20 subscribed to CHANNEL; returns them
    once a separate connection sees all of them."""
    blocked, subs = [], []
    for i in range(N_BLOCKED):
        c = RawConn(v)
        c.send("BLPOP", f"fk:list:{i}", 0)
        blocked.append(c)
    for _ in range(N_SUBS):
        c = RawConn(v)
        c.send("SUBSCRIBE", CHANNEL)
        subs.append(c)
    for c in subs:
        f = c.frame()
        assert f.startswith(b"*3\r\n$9\r\nsubscribe\r\n"), f
    checker = RawConn(v)
    want = {"blocked_clients": N_BLOCKED, "numsub": N_SUBS,
            "connected_clients": N_BLOCKED + N_SUBS + 1}

    def seen():
        st = _state(checker)
        return st if all(st[k] == want[k] for k in want) else None

    st = wait_until(seen, TIMEOUT)
    assert st, f"before the kill, expected {want}, engine says {_state(checker)}"
    checker.close()
    return blocked + subs


def _check_forgotten(v, what):
    """After the restart: a new connection works and the engine knows only it."""
    assert wait_until(lambda: v.ping(timeout=0.5), TIMEOUT), \
        f"no PONG within {TIMEOUT}s of killing the {what}\n{v.log_tail()}"
    c = RawConn(v)
    try:
        assert c.call("PING") == b"+PONG\r\n"
        # the readiness pings' own connections may take a moment to be reported closed
        last = {}

        def clean():
            last.update(_state(c))
            return last == CLEAN

        ok = wait_until(clean, TIMEOUT)
        assert ok, (f"after killing the {what}, the engine still remembers old clients: "
                    f"expected {CLEAN}, got {last}\nCLIENT LIST:\n"
                    f"{_bulk(c.call('CLIENT', 'LIST')).decode()}")
        # no ghost BLPOP waiter takes the pushed value
        assert _int(c.call("LPUSH", "fk:list:7", "survivor")) == 1
        assert c.call("PING") == b"+PONG\r\n"  # a barrier: anything served by now is served
        assert _int(c.call("LLEN", "fk:list:7")) == 1, \
            f"after killing the {what}, a ghost BLPOP waiter consumed the LPUSH"
        assert c.call("LRANGE", "fk:list:7", 0, -1) == b"*1\r\n$8\r\nsurvivor\r\n"
        # and no ghost subscriber is counted by PUBLISH
        assert _int(c.call("PUBLISH", CHANNEL, "anyone?")) == 0, \
            f"after killing the {what}, PUBLISH still counts old subscribers"
        # new blocking and subscribing clients work as usual
        w = RawConn(v)
        try:
            w.send("BLPOP", "fk:new", 0)
            assert wait_until(lambda: _info_clients(c)["blocked_clients"] == "1", TIMEOUT)
            assert _int(c.call("LPUSH", "fk:new", "x")) == 1
            assert w.frame() == b"*2\r\n$6\r\nfk:new\r\n$1\r\nx\r\n"
        finally:
            w.close()
    finally:
        c.close()


def _wait_new_child(v, role, old):
    pid = wait_until(lambda: (lambda p: p if p and p != old else None)(v.child_pid(role)),
                     TIMEOUT)
    assert pid, f"no new {role} child of supervisor {v.pid}: {v.children()}\n{v.log_tail()}"
    return pid


@pytest.mark.parametrize("role", ["frontend-resp", "engine"])
def test_killed_child_leaves_no_ghost_clients(vole, role):
    olds = _open_old_clients(vole)
    try:
        pid = vole.child_pid(role)
        assert pid, f"no {role} child: {vole.children()}"
        os.kill(pid, signal.SIGKILL)
        _wait_new_child(vole, role, pid)
        # every old connection is closed
        for c in olds:
            assert c.closed_by_peer(TIMEOUT), f"an old client stays open after the {role} kill"
        _check_forgotten(vole, role)
    finally:
        for c in olds:
            c.close()
    assert vole.alive(), vole.log_tail()
