# Persistence end to end: data survives restarts and SIGKILL of any process (with appendfsync
# always nothing acknowledged is lost), a torn AOF tail is cut, damage in the middle stops the
# start with a clear error that `vole check-aof` explains and repairs, and a full disk turns
# writes into -MISCONF without losing or corrupting anything.
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.vole_proc import free_port, start_vole, vole_binary, wait_until  # noqa: E402

RESTART_TIMEOUT = 20.0


def start_in(datadir, *extra):
    """Vole on a fresh port whose data lives in datadir (kept across instances)."""
    return start_vole(extra_args=["--dir", str(datadir), *extra])


def wait_loaded(v, timeout=RESTART_TIMEOUT):
    """Until the engine answers a read (not -LOADING) on a new connection."""
    def ok():
        try:
            c = v.client(socket_timeout=2)
            c.dbsize()
            return True
        except (redis.exceptions.BusyLoadingError, redis.exceptions.ConnectionError,
                redis.exceptions.TimeoutError):
            return False
    assert wait_until(ok, timeout), f"not serving after {timeout}s\n{v.log_tail()}"


def kill_everything(v):
    """SIGKILL of the supervisor and every process it started: the whole host dies."""
    for pid in list(v.instance_pids()) + [v.pid]:
        os.kill(pid, signal.SIGKILL)


def fill_all_types(c):
    c.set("str", "hello")
    c.set("int", 42)
    c.set("ttl", "x", ex=1000)
    c.incrbyfloat("float", 1.25)
    c.rpush("list", *[f"e{i}" for i in range(300)])
    c.sadd("intset", 1, 2, 3)
    c.sadd("set", *[f"m{i}" for i in range(600)])
    c.spop("set", 5)
    c.zadd("zsmall", {"a": 1, "b": 2.5})
    c.zadd("zbig", {f"m{i}": i / 3 for i in range(200)})
    c.hset("hsmall", mapping={"f1": "v1", "f2": "v2"})
    c.hset("hbig", mapping={f"f{i}": "x" * (i % 70) for i in range(600)})
    c.hincrbyfloat("hsmall", "n", 0.5)
    c.pfadd("hll", *[f"u{i}" for i in range(100)])
    c.setbit("bits", 1000, 1)
    c.geoadd("geo", (13.361389, 38.115556, "Palermo"))
    for i in range(50):
        c.xadd("stream", {"n": i}, maxlen=30, approximate=True)
    c.xgroup_create("stream", "grp", id="0")
    c.xreadgroup("grp", "alice", {"stream": ">"}, count=4)
    c.xreadgroup("grp", "bob", {"stream": ">"}, count=2, noack=True)
    c.select(3)
    c.set("in-db3", "yes")
    c.select(0)
    with c.pipeline(transaction=True) as p:
        p.incr("tx1")
        p.set("tx2", "v", px=500000)
        p.execute()


def dump(c):
    """Every key of databases 0 and 3 with its type, absolute expiry and value."""
    out = {}
    for db in (0, 3):
        c.select(db)
        for k in sorted(c.keys("*")):
            t = c.type(k)
            if t == b"string":
                val = c.get(k)
            elif t == b"list":
                val = c.lrange(k, 0, -1)
            elif t == b"set":
                val = sorted(c.smembers(k))
            elif t == b"zset":
                val = c.zrange(k, 0, -1, withscores=True)
            elif t == b"hash":
                val = sorted(c.hgetall(k).items())
            elif t == b"stream":
                val = (c.xrange(k), c.xinfo_groups(k), c.xpending(k, "grp"))
            else:
                val = None
            out[(db, k)] = (t, c.pexpiretime(k), c.object("encoding", k), val)
    c.select(0)
    return out


def assert_comes_back(data, before, log_phrase=None, *extra):
    """A new instance on data serves exactly the keys dumped in before."""
    v = start_in(data, *extra)
    try:
        wait_loaded(v)
        assert dump(v.client()) == before
        if log_phrase:
            assert log_phrase in v.log_text()
    finally:
        v.stop()


def test_every_type_survives_a_restart(tmp_path):
    data = tmp_path / "data"
    v = start_in(data)
    try:
        c = v.client()
        fill_all_types(c)
        before = dump(c)
        assert len(before) == 18
    finally:
        assert v.stop() == 0
    assert_comes_back(data, before, "data loaded")


def test_every_type_survives_sigkill_of_everything(tmp_path):
    data = tmp_path / "data"
    v = start_in(data, "--appendfsync", "always")
    try:
        c = v.client()
        fill_all_types(c)
        before = dump(c)
        kill_everything(v)
    finally:
        v.stop()
    assert_comes_back(data, before)


class Writer(threading.Thread):
    """Writes k<i> = i over and over, remembering every write that was acknowledged."""

    def __init__(self, v):
        super().__init__(daemon=True)
        self.v = v
        self.acked = {}
        self.i = 0
        self.stop_flag = False
        self.errors = 0

    def run(self):
        c = None
        while not self.stop_flag:
            try:
                if c is None:
                    c = self.v.client(socket_timeout=5)
                key = f"k{self.i}"
                if c.set(key, self.i):
                    self.acked[key] = self.i
                self.i += 1
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                    redis.exceptions.BusyLoadingError, redis.exceptions.ResponseError):
                self.errors += 1
                self.i += 1  # that write may or may not have happened: never reuse its key
                c = None
                time.sleep(0.01)  # retry pacing while the server restarts, not readiness

    def count(self):
        return len(self.acked)


def check_acked(c, acked):
    keys = list(acked)
    lost = []
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        for k, got in zip(chunk, c.mget(chunk)):
            if got is None or int(got) != acked[k]:
                lost.append(k)
    return lost


@pytest.mark.parametrize("target", ["engine", "persister", "all"])
def test_no_acknowledged_write_is_lost_with_fsync_always(tmp_path, target):
    data = tmp_path / "data"
    v = start_in(data, "--appendfsync", "always")
    rounds = 4
    try:
        for r in range(rounds):
            w = Writer(v)
            w.start()
            base = len(w.acked)
            assert wait_until(lambda: w.count() >= base + 150, 20), \
                f"writer stuck ({w.count()} acked)\n{v.log_tail()}"
            if target == "all":
                kill_everything(v)
                w.stop_flag = True
                w.join(10)
                v.stop()
                v = start_in(data, "--appendfsync", "always")
            else:
                pid = v.child_pid(target)
                assert pid, v.log_tail()
                os.kill(pid, signal.SIGKILL)
                # the writer keeps going across the restart
                assert wait_until(lambda: v.child_pid(target) not in (None, pid), 10)
                n = w.count()
                assert wait_until(lambda: w.count() >= n + 50, 30), \
                    f"no writes after restarting the {target}\n{v.log_tail()}"
                w.stop_flag = True
                w.join(10)
            wait_loaded(v)
            lost = check_acked(v.client(), w.acked)
            assert not lost, (f"round {r}: {len(lost)} of {len(w.acked)} acknowledged writes "
                              f"lost after killing the {target}: {lost[:5]}\n{v.log_tail()}")
    finally:
        v.stop()


def segments(data):
    d = Path(data) / "appendonlydir"
    return sorted(d.glob("*.seg"))


def test_torn_tail_is_cut_with_a_warning(tmp_path):
    data = tmp_path / "data"
    v = start_in(data)
    try:
        c = v.client()
        for i in range(100):
            c.set(f"t{i}", i)
    finally:
        assert v.stop() == 0
    seg = segments(data)[-1]
    size = seg.stat().st_size
    with open(seg, "ab") as f:  # half a record: a write that never completed
        f.write(b"\x40\x00\x00\x00\x65\x00\x00\x00\x00\x00")
    v = start_in(data)
    try:
        wait_loaded(v)
        c = v.client()
        assert [int(x) for x in c.mget([f"t{i}" for i in range(100)])] == list(range(100))
        assert "cutting it at offset" in v.log_text()
        assert seg.stat().st_size >= size  # cut back, then appended to again
        c.set("after", "1")
    finally:
        assert v.stop() == 0


def test_appendfsync_changes_at_run_time(tmp_path):
    """CONFIG SET appendfsync always takes effect at once (acknowledged writes survive a
    SIGKILL of everything) and reaches a persister that restarts later."""
    data = tmp_path / "data"
    v = start_in(data, "--appendfsync", "everysec")
    try:
        c = v.client()
        assert c.config_set("appendfsync", "always")
        assert c.config_get("appendfsync") == {"appendfsync": "always"}
        assert wait_until(lambda: "appendfsync is now always" in v.log_text(), 10)
        pid = v.child_pid("persister")
        os.kill(pid, signal.SIGKILL)  # its successor starts with --appendfsync everysec...
        assert wait_until(lambda: v.child_pid("persister") not in (None, pid), 10)
        # ...and is told the policy in force when it connects
        assert wait_until(lambda: v.log_text().count("appendfsync is now always") >= 2, 10), \
            v.log_tail()
        for i in range(200):
            c.set(f"k{i}", i)
        kill_everything(v)
    finally:
        v.stop()
    v = start_in(data)
    try:
        wait_loaded(v)
        c = v.client()
        assert [int(x) for x in c.mget([f"k{i}" for i in range(200)])] == list(range(200))
        # back to the start-up policy; from always to everysec nothing stays held
        assert c.config_get("appendfsync") == {"appendfsync": "everysec"}
        c.config_set("appendfsync", "always")
        c.set("x", "1")
        c.config_set("appendfsync", "everysec")
        assert c.set("y", "2") and c.get("x") == b"1"
    finally:
        assert v.stop() == 0


def test_appendonly_on_and_off_at_run_time(tmp_path):
    """CONFIG SET appendonly yes on a server started without an AOF makes a base from the
    data and then appends (with appendfsync always, acknowledged writes survive a SIGKILL of
    everything); appendonly no stops the writing and keeps the files."""
    data = tmp_path / "data"
    v = start_in(data, "--appendonly", "no", "--appendfsync", "always")
    try:
        c = v.client()
        for i in range(300):
            c.set(f"before{i}", i)
        assert c.info("persistence")["aof_enabled"] == 0
        assert c.config_set("appendonly", "yes")
        assert c.config_get("appendonly") == {"appendonly": "yes"}
        assert wait_until(lambda: "new AOF base at effect" in v.log_text(), 20), v.log_tail()
        assert c.info("persistence")["aof_enabled"] == 1
        for i in range(300):
            c.set(f"after{i}", i)  # answered once fsynced: the persister took over
        kill_everything(v)
    finally:
        v.stop()
    v = start_in(data, "--appendonly", "yes")
    try:
        wait_loaded(v)
        c = v.client()
        assert [int(x) for x in c.mget([f"before{i}" for i in range(300)])] == list(range(300))
        assert [int(x) for x in c.mget([f"after{i}" for i in range(300)])] == list(range(300))
        assert c.config_set("appendonly", "no")
        assert wait_until(lambda: "AOF off (appendonly no)" in v.log_text(), 10), v.log_tail()
        assert c.info("persistence")["aof_enabled"] == 0
        c.set("while-off", "1")
        c.set("before0", "changed")
    finally:
        assert v.stop() == 0
    v = start_in(data, "--appendonly", "yes")
    try:
        wait_loaded(v)
        c = v.client()
        # the files end where the AOF was turned off
        assert c.get("while-off") is None and c.get("before0") == b"0"
        assert c.get("after299") == b"299"
    finally:
        assert v.stop() == 0


def test_appendonly_turned_on_over_old_files(tmp_path):
    """Files left by an earlier AOF (numbered past what the engine has now) are replaced by
    the new base when appendonly is turned on again, never replayed on top of it."""
    data = tmp_path / "data"
    v = start_in(data, "--appendonly", "yes", "--save", "")
    try:
        c = v.client()
        for i in range(100):
            c.set(f"old{i}", i)
        c.config_set("appendonly", "no")
        assert wait_until(lambda: "AOF off (appendonly no)" in v.log_text(), 10)
    finally:
        assert v.stop() == 0
    v = start_in(data, "--appendonly", "no", "--save", "")  # starts empty: no snapshot
    try:
        c = v.client()
        assert c.dbsize() == 0
        for i in range(10):
            c.set(f"new{i}", i)
        c.config_set("appendonly", "yes")
        assert wait_until(lambda: "new AOF base at effect" in v.log_text(), 20), v.log_tail()
        c.set("after", "1")
        assert wait_until(lambda: c.info("persistence")["effect_durable_seq"] ==
                          c.info("persistence")["effect_seq"], 10)
    finally:
        assert v.stop() == 0
    v = start_in(data, "--appendonly", "yes")
    try:
        wait_loaded(v)
        c = v.client()
        assert sorted(k.decode() for k in c.keys("*")) == \
            sorted([f"new{i}" for i in range(10)] + ["after"])
    finally:
        assert v.stop() == 0


def test_appendfsync_always_without_a_persister_role(tmp_path):
    """Nothing would ever fsync: replies must not wait for it (they used to, forever)."""
    v = start_in(tmp_path / "data", "--roles", "engine,frontend-resp", "--appendfsync", "always")
    try:
        c = v.client(socket_timeout=5)
        assert c.set("k", "v") and c.get("k") == b"v"
        c.config_set("appendfsync", "everysec")
        c.config_set("appendfsync", "always")
        assert c.incr("n") == 1
    finally:
        assert v.stop() == 0


def test_auto_aof_rewrite_settings(tmp_path):
    """A new base is made once the AOF reaches auto-aof-rewrite-min-size and grew by the
    percentage; percentage 0 (set at run time) turns that off."""
    data = tmp_path / "data"
    aof = data / "appendonlydir"
    v = start_in(data, "--auto-aof-rewrite-min-size", "1mb")
    try:
        c = v.client()
        assert c.config_get("auto-aof-rewrite-min-size") == \
            {"auto-aof-rewrite-min-size": str(1 << 20)}
        for i in range(400):
            c.set(f"k{i}", "v" * 4000)  # ~1.6 MB of effects
        assert wait_until(lambda: list(aof.glob("*.base.*")), 20), v.log_tail()
        assert "grew past auto-aof-rewrite-percentage" in v.log_text()
    finally:
        assert v.stop() == 0
    # the setting travels with the effect stream: changed before the writes, it holds for them
    data2 = tmp_path / "data2"
    v = start_in(data2, "--auto-aof-rewrite-min-size", "1mb")
    try:
        c = v.client()
        c.config_set("auto-aof-rewrite-percentage", 0)
        for i in range(1200):
            c.set(f"k{i}", "w" * 4000)  # ~5 MB: would have made bases
        assert c.get("k1199") == b"w" * 4000

        def all_durable():
            info = c.info("persistence")
            return info["effect_durable_seq"] == info["effect_seq"]
        assert wait_until(all_durable, 20)  # the persister has seen every write
        assert not list((data2 / "appendonlydir").glob("*.base.*"))
        assert "grew past" not in v.log_text()
    finally:
        assert v.stop() == 0
    v = start_in(data2)
    try:
        wait_loaded(v)
        assert v.client().get("k0") == b"w" * 4000
    finally:
        assert v.stop() == 0


def data_end(raw):
    """Where the records of a segment end: the persister reserves space ahead of its writes,
    so after a SIGKILL the file goes on with zeros."""
    pos = 8  # "VOLEAOF1"
    while pos + 16 <= len(raw):
        n = int.from_bytes(raw[pos:pos + 4], "little")
        if n == 0:
            break
        pos += 16 + n
    return pos


def test_torn_write_in_reserved_space_after_sigkill(tmp_path):
    data = tmp_path / "data"
    v = start_in(data, "--appendfsync", "always")
    try:
        c = v.client()
        for i in range(100):
            c.set(f"t{i}", i)
        kill_everything(v)
    finally:
        v.stop()
    seg = segments(data)[-1]
    raw = seg.read_bytes()
    end = data_end(raw)
    assert len(raw) > end and not raw[end:].strip(b"\0"), "expected reserved space (zeros)"
    check = vole_binary("vole")
    out = subprocess.run([str(check), "check-aof", str(data / "appendonlydir")],
                         capture_output=True, text=True)
    assert out.returncode == 0 and "reserved after the data" in out.stdout, out.stdout
    with open(seg, "r+b") as f:  # half a record where the next write went
        f.seek(end)
        f.write(b"\x40\x00\x00\x00\x65\x00\x00\x00\x00\x00")
    v = start_in(data)
    try:
        wait_loaded(v)
        c = v.client()
        assert [int(x) for x in c.mget([f"t{i}" for i in range(100)])] == list(range(100))
        assert f"cutting it at offset {end}" in v.log_text()
        c.set("after", "1")
    finally:
        assert v.stop() == 0
    # a clean stop gives the reserved space back: the file ends with its last record
    raw = seg.read_bytes()
    assert data_end(raw) == len(raw)


def test_damage_in_the_middle_stops_start_and_check_aof_repairs(tmp_path):
    data = tmp_path / "data"
    v = start_in(data)
    try:
        c = v.client()
        for i in range(200):
            c.set(f"d{i}", "v" * 50)
    finally:
        assert v.stop() == 0
    seg = segments(data)[-1]
    raw = bytearray(seg.read_bytes())
    mid = len(raw) // 2
    raw[mid] ^= 0xFF
    seg.write_bytes(bytes(raw))
    check = vole_binary("vole")
    out = subprocess.run([str(check), "check-aof", str(data / "appendonlydir")],
                         capture_output=True, text=True)
    assert out.returncode == 1 and "DAMAGED" in out.stdout, out.stdout + out.stderr
    # the start refuses to serve damaged data: clients see -LOADING, the log says why
    port = free_port()
    proc = subprocess.Popen([str(check), "--dir", str(data), "--port", str(port),
                             "--cpu-affinity", "none"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        log = []
        reader = threading.Thread(target=lambda: log.extend(proc.stdout), daemon=True)
        reader.start()
        assert wait_until(lambda: any("damaged record at offset" in ln for ln in log), 10), \
            "".join(log)

        def loading():
            try:
                redis.Redis(port=port, socket_timeout=2).get("d0")
            except redis.exceptions.BusyLoadingError:
                return True
            except redis.exceptions.ConnectionError:
                return False
            return False
        assert wait_until(loading, 10), "".join(log)
    finally:
        proc.terminate()
        proc.wait(15)
    fixed = subprocess.run([str(check), "check-aof", "--fix", str(data / "appendonlydir")],
                           capture_output=True, text=True)
    assert fixed.returncode == 0 and "fixed:" in fixed.stdout, fixed.stdout + fixed.stderr
    v = start_in(data)
    try:
        wait_loaded(v)
        n = v.client().dbsize()
        assert 0 < n < 200  # everything before the damage, nothing after it
    finally:
        v.stop()


@pytest.fixture
def small_fs(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {r.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_full_disk_refuses_writes_and_loses_nothing(small_fs):
    data = small_fs / "data"
    v = start_in(data, "--appendfsync", "always")
    try:
        c = v.client(socket_timeout=10)
        acked = {}
        misconf = None
        for i in range(100000):
            try:
                c.set(f"f{i}", "x" * 200)
                acked[f"f{i}"] = i
            except redis.exceptions.ResponseError as e:
                misconf = str(e)
                break
        assert misconf and misconf.startswith("MISCONF Errors writing to the AOF file"), misconf
        # reads go on
        assert c.get("f0") == b"x" * 200
        with pytest.raises(redis.exceptions.ResponseError, match="MISCONF"):
            c.set("more", "1")
        # room again: writes resume by themselves
        subprocess.run(["mount", "-o", "remount,size=64m", str(small_fs)], check=True)
        assert wait_until(lambda: _set_ok(c), 10), v.log_tail()
        for k in acked:
            assert c.exists(k)
    finally:
        assert v.stop() == 0
    v = start_in(data)
    try:
        wait_loaded(v)
        c = v.client()
        assert c.get("more") == b"1"
        missing = [k for k in acked if not c.exists(k)]
        assert not missing, missing[:5]
    finally:
        v.stop()


def _set_ok(c):
    try:
        return c.set("more", "1")
    except redis.exceptions.ResponseError:
        return False


def wait_info(c, field, value, timeout=20):
    return wait_until(lambda: str(c.info("persistence").get(field)) == str(value), timeout)


def test_snapshot_alone_with_appendonly_no(tmp_path):
    data = tmp_path / "data"
    v = start_in(data, "--appendonly", "no")
    try:
        c = v.client()
        fill_all_types(c)
        before = dump(c)
        t0 = c.lastsave()
        assert c.bgsave() in (True, b"Background saving started")
        assert wait_info(c, "rdb_bgsave_in_progress", 0)
        assert c.info("persistence")["rdb_last_bgsave_status"] == "ok"
        assert c.lastsave() >= t0
        assert (data / "dump.vdb").exists()
        assert not (data / "appendonlydir").exists()
        c.set("after-save", "lost")  # not in any file: appendonly is off
    finally:
        assert v.stop() == 0
    out = subprocess.run([str(vole_binary("vole")), "check-snapshot", str(data / "dump.vdb")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    v = start_in(data, "--appendonly", "no")
    try:
        wait_loaded(v)
        c = v.client()
        assert c.get("after-save") is None
        assert dump(c) == before
    finally:
        v.stop()


def test_save_and_shutdown_save(tmp_path):
    data = tmp_path / "data"
    v = start_in(data, "--appendonly", "no")
    try:
        c = v.client()
        c.set("a", "1")
        assert c.save() is True
        c.set("b", "2")
        c.shutdown(save=True)  # redis-py raises unless the server closed the connection
        assert v.proc.wait(15) == 0
    finally:
        v.stop()
    v = start_in(data, "--appendonly", "no")
    try:
        wait_loaded(v)
        assert v.client().mget("a", "b") == [b"1", b"2"]
    finally:
        v.stop()


def test_bgrewriteaof_makes_a_base_and_drops_old_segments(tmp_path):
    data = tmp_path / "data"
    v = start_in(data)
    try:
        c = v.client()
        fill_all_types(c)
        for i in range(2000):
            c.set(f"r{i}", i)
        old = set(p.name for p in segments(data))
        # INFO reports the AOF's size as Redis does (the persister tells the engine)
        seg_bytes = sum(data_end(p.read_bytes()) for p in segments(data))  # without reserve
        assert wait_until(lambda: c.info("persistence")["aof_current_size"] == seg_bytes, 5), \
            (c.info("persistence")["aof_current_size"], seg_bytes)
        assert c.info("persistence")["aof_base_size"] == 0
        assert c.bgrewriteaof() in (True, b"Background append only file rewriting started")
        man = data / "appendonlydir" / "appendonly.aof.manifest"
        assert wait_until(lambda: "base " in man.read_text(), 20), v.log_tail()
        assert wait_info(c, "aof_rewrite_in_progress", 0)
        c.set("after-rewrite", "yes")
        assert wait_until(lambda: not (old & set(p.name for p in segments(data))), 10), \
            (old, man.read_text())
        base = next((data / "appendonlydir").glob("*.vdb")).stat().st_size
        assert wait_until(lambda: c.info("persistence")["aof_base_size"] == base, 5)
        assert c.info("persistence")["aof_current_size"] >= base
        before = dump(c)
    finally:
        assert v.stop() == 0
    assert_comes_back(data, before, "loading snapshot")


def test_bgsave_while_clients_write(tmp_path):
    """Every acknowledged write is in the snapshot or in the AOF after it."""
    data = tmp_path / "data"
    v = start_in(data, "--appendfsync", "always")
    try:
        writers = [Writer(v) for _ in range(50)]
        for i, w in enumerate(writers):
            w.i = i * 10_000_000  # distinct keys per writer
            w.start()
        assert wait_until(lambda: sum(w.count() for w in writers) >= 2000, 30)
        c = v.client()
        c.bgrewriteaof()
        c.bgsave(schedule=True)
        assert wait_info(c, "aof_rewrite_in_progress", 0)
        assert wait_info(c, "rdb_bgsave_in_progress", 0)
        n = sum(w.count() for w in writers)
        assert wait_until(lambda: sum(w.count() for w in writers) >= n + 1000, 30)
        for w in writers:
            w.stop_flag = True
        for w in writers:
            w.join(10)
        acked = {}
        for w in writers:
            acked.update(w.acked)
        kill_everything(v)
    finally:
        v.stop()
    v = start_in(data)
    try:
        wait_loaded(v)
        lost = check_acked(v.client(), acked)
        assert not lost, f"{len(lost)} of {len(acked)} lost: {lost[:5]}"
    finally:
        v.stop()


def test_bgsave_becomes_the_aof_base_and_sigterm_saves(tmp_path):
    """A snapshot at S also serves as the AOF's base: segments up to S go. With save rules,
    SIGTERM writes a final snapshot (as Redis with save points)."""
    data = tmp_path / "data"
    v = start_in(data, "--save", "3600 1")
    try:
        c = v.client()
        for i in range(3000):
            c.set(f"b{i}", i)
        old = set(p.name for p in segments(data))
        c.bgsave()
        man = data / "appendonlydir" / "appendonly.aof.manifest"
        assert wait_until(lambda: "base " in man.read_text(), 20), v.log_tail()
        assert wait_until(lambda: not (old & set(p.name for p in segments(data))), 10)
        c.set("after", "1")
        before = dump(c)
        mtime = (data / "dump.vdb").stat().st_mtime_ns
    finally:
        assert v.stop() == 0
    assert (data / "dump.vdb").stat().st_mtime_ns > mtime  # the final snapshot
    assert_comes_back(data, before, "loading snapshot")


def test_persister_behind_the_backlog_gets_a_new_base(tmp_path):
    """A persister that fell out of the engine's backlog (here: stopped while much more than
    effect-backlog-size was written) gets a snapshot as its new AOF base, then the effects
    after it; nothing is lost."""
    data = tmp_path / "data"
    v = start_in(data, "--effect-backlog-size", "256kb")
    try:
        c = v.client(socket_timeout=30)
        c.set("first", "1")
        pid = v.child_pid("persister")
        os.kill(pid, signal.SIGSTOP)
        try:
            p = c.pipeline(transaction=False)
            for i in range(40000):  # ~40 MB of effects: past the 32 MB the engine sends ahead
                p.set(f"g{i}", "x" * 1000)
                if i % 1000 == 999:
                    p.execute()
            p.execute()
        finally:
            os.kill(pid, signal.SIGCONT)
        assert wait_until(lambda: "asking the engine for a new AOF base" in v.log_text(), 20), \
            v.log_tail()
        man = data / "appendonlydir" / "appendonly.aof.manifest"
        assert wait_until(lambda: "base " in man.read_text(), 30), v.log_tail()
        c.set("last", "1")
        assert c.dbsize() == 40002
    finally:
        assert v.stop() == 0
    v = start_in(data)
    try:
        wait_loaded(v)
        c = v.client()
        missing = [k for k in ["first", "last"] + [f"g{i}" for i in range(40000)]
                   if not c.exists(k)]
        assert not missing, (missing[:10], v.log_tail(30))
        assert c.dbsize() == 40002
    finally:
        v.stop()
