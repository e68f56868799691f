# Bitmap commands against redis-server with random inputs: the same random mix of SETBIT,
# GETBIT, BITCOUNT, BITPOS, BITOP and BITFIELD(_RO) calls (random strings, ranges with negative
# and out-of-range indexes, every field width, overflow policy and "#N" offset) goes to both
# servers through redis-py, and every reply and the resulting values must be the same. Long
# strings with long runs of 0x00 / 0xff bytes exercise the word-at-a-time paths.
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.vole_proc import requires  # noqa: E402

BIT_CMDS = ("setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro")
KEYS = ["k0", "k1", "k2", "k3"]
TYPES = ["i1", "i2", "i5", "i7", "i8", "i9", "i15", "i16", "i31", "i32", "i33", "i63", "i64",
         "u1", "u2", "u7", "u8", "u9", "u31", "u32", "u62", "u63"]


@pytest.fixture
def conns(servers):
    r, v = servers
    requires(v, *BIT_CMDS)
    a, b = r.client(socket_timeout=60), v.client(socket_timeout=60)
    for c in (a, b):
        c.flushall()
    yield a, b
    a.close()
    b.close()


def _norm(x):
    if isinstance(x, Exception):
        return ("error", type(x).__name__, str(x))
    return x


def run_both(conns, cmds):
    out = []
    for c in conns:
        p = c.pipeline(transaction=False)
        for args in cmds:
            p.execute_command(*args)
        out.append([_norm(x) for x in p.execute(raise_on_error=False)])
    for args, x, y in zip(cmds, out[0], out[1]):
        assert x == y, f"{args}: redis {str(x)[:300]} vole {str(y)[:300]}"
    return out[0]


class Gen:
    def __init__(self, seed):
        self.rnd = random.Random(seed)

    def string(self):
        rnd = self.rnd
        kind = rnd.random()
        if kind < 0.15:
            n = rnd.choice([40, 100, 200])
            out = bytearray([rnd.choice([0, 255])]) * n
            for _ in range(rnd.randint(0, 2)):
                out[rnd.randrange(n)] = rnd.randrange(256)
            return bytes(out)
        n = rnd.choice([0, 1, 2, 3, 5, 8, 9, 16, 17, 33])
        if kind < 0.3:
            return bytes(rnd.choice([0, 255]) for _ in range(n))
        if kind < 0.4:
            return str(rnd.randint(-10**12, 10**12)).encode()  # int-encoded
        return bytes(rnd.randrange(256) for _ in range(n))

    def index(self, n):
        rnd = self.rnd
        return str(rnd.choice([rnd.randint(-3 * n - 10, 3 * n + 10), rnd.randint(-2, 2),
                               rnd.randint(-8 * n - 20, 8 * n + 20)]))

    def unit(self):
        return self.rnd.choice(["bit", "BYTE", "byte", "Bit"])

    def bitfield(self, key):
        rnd = self.rnd
        args = [rnd.choice(["BITFIELD"] * 4 + ["BITFIELD_RO"]), key]
        for _ in range(rnd.randint(1, 5)):
            m = rnd.random()
            t = rnd.choice(TYPES)
            bits = int(t[1:])
            off = rnd.choice([str(rnd.randint(0, 200)), "#" + str(rnd.randint(0, 20))])
            if m < 0.15:
                args += ["OVERFLOW", rnd.choice(["WRAP", "SAT", "FAIL"])]
            elif m < 0.45:
                args += ["GET", t, off]
            else:
                v = rnd.choice([rnd.randint(-2**63, 2**63 - 1), rnd.randint(-2**bits, 2**bits),
                                rnd.randint(-5, 5), 2**(bits - 1), -2**(bits - 1),
                                2**(bits - 1) - 1, 2**bits - 1, 2**bits])
                v = max(min(v, 2**63 - 1), -2**63)
                args += [rnd.choice(["SET", "INCRBY"]), t, off, str(v)]
        return args

    def command(self):
        rnd = self.rnd
        k = rnd.choice(KEYS)
        r = rnd.random()
        if r < 0.08:
            return [("SET", k, self.string())]
        if r < 0.10:
            return [("DEL", k)]
        if r < 0.25:
            n = rnd.choice([40, 200])
            args = ["BITCOUNT", k]
            m = rnd.random()
            if m < 0.8:
                args += [self.index(n), self.index(n)]
            if m < 0.5:
                args.append(self.unit())
            return [tuple(args)]
        if r < 0.45:
            n = rnd.choice([40, 200])
            args = ["BITPOS", k, rnd.choice(["0", "1"])]
            m = rnd.random()
            if m < 0.85:
                args.append(self.index(n))
            if m < 0.6:
                args.append(self.index(n))
            if m < 0.35:
                args.append(self.unit())
            return [tuple(args)]
        if r < 0.55:
            return [("SETBIT", k, str(rnd.randint(0, 300)), rnd.choice(["0", "1"]))]
        if r < 0.60:
            return [("GETBIT", k, str(rnd.randint(0, 300)))]
        if r < 0.68:
            op = rnd.choice(["AND", "OR", "XOR", "NOT", "and"])
            srcs = rnd.sample(KEYS + ["nokey"], 1 if op == "NOT" else rnd.randint(1, 4))
            dest = rnd.choice(KEYS)
            return [("BITOP", op, dest, *srcs), ("GET", dest)]
        return [tuple(self.bitfield(k)), ("GET", k)]


@pytest.mark.parametrize("seed", range(6))
def test_random_mix(conns, seed):
    gen = Gen(seed)
    for _ in range(40):
        cmds = []
        for _ in range(100):
            cmds += gen.command()
        run_both(conns, cmds)
    run_both(conns, [("GET", k) for k in KEYS] + [("STRLEN", k) for k in KEYS])


def test_long_strings(conns):
    """BITCOUNT / BITPOS / BITOP over strings of hundreds of KB: sparse bits in long zero or
    one runs, at every alignment, in byte and bit ranges."""
    rnd = random.Random(1234)
    cmds = []
    for i, fill in enumerate((0x00, 0xFF, None)):
        n = 300000 + i * 7
        if fill is None:
            data = bytearray(rnd.getrandbits(8) for _ in range(n))
        else:
            data = bytearray([fill]) * n
            for _ in range(5):
                data[rnd.randrange(n)] ^= 1 << rnd.randrange(8)
        key = f"long{i}"
        cmds.append(("SET", key, bytes(data)))
        for _ in range(200):
            s, e = rnd.randrange(-n, n), rnd.randrange(-n, n)
            cmds.append(("BITCOUNT", key, s, e))
            cmds.append(("BITCOUNT", key, s * 8 + rnd.randrange(8), e * 8 - rnd.randrange(8),
                         "BIT"))
            for bit in (0, 1):
                cmds.append(("BITPOS", key, bit, s))
                cmds.append(("BITPOS", key, bit, s, e))
                cmds.append(("BITPOS", key, bit, s * 8 + rnd.randrange(8), e * 8 + 3, "BIT"))
        cmds += [("BITCOUNT", key), ("BITPOS", key, 0), ("BITPOS", key, 1)]
    cmds += [("BITOP", "AND", "r", "long0", "long1", "long2"), ("GET", "r"),
             ("BITOP", "OR", "r", "long0", "long1", "long2"), ("GET", "r"),
             ("BITOP", "XOR", "r", "long2", "long1"), ("GET", "r"),
             ("BITOP", "NOT", "r", "long2"), ("GET", "r"),
             ("SETBIT", "grow", 4000000, 1), ("BITCOUNT", "grow"), ("BITPOS", "grow", 1),
             ("BITPOS", "grow", 0, 1), ("STRLEN", "grow")]
    run_both(conns, cmds)


def _dirty(c):
    return c.info("persistence")["rdb_changes_since_last_save"]


def test_dirty_counts(conns):
    """Each write adds to the change counter as Redis's does: an unchanged SETBIT adds
    nothing, BITFIELD adds one per applied SET/INCRBY (a FAIL adds none, even when it
    created the key), BITOP one for a store or a delete."""
    cmds = [("SETBIT", "b", 7, 1), ("SETBIT", "b", 7, 1), ("SETBIT", "b", 100, 0),
            ("SETBIT", "b", 7, 0), ("GETBIT", "b", 7),
            ("BITFIELD", "f", "SET", "u8", 0, 1, "SET", "u8", 8, 2, "OVERFLOW", "FAIL",
             "INCRBY", "u2", 0, 100),
            ("BITFIELD", "f", "GET", "u8", 0), ("BITFIELD", "f", "INCRBY", "u8", 0, 0),
            ("BITFIELD", "f2", "OVERFLOW", "FAIL", "INCRBY", "u2", 0, 100),
            ("BITOP", "AND", "d", "b", "f"), ("BITOP", "AND", "d", "none"),
            ("BITOP", "AND", "d", "none"), ("BITOP", "NOT", "d", "b")]
    for c in cmds:
        deltas = []
        for conn in conns:
            before = _dirty(conn)
            conn.execute_command(*c)
            deltas.append(_dirty(conn) - before)
        assert deltas[0] == deltas[1], f"{c}: redis +{deltas[0]}, vole +{deltas[1]}"


def test_keyspace_events(servers, conns):
    """The events each command publishes (setbit, set, del) match Redis's."""
    requires(servers[1], "psubscribe")
    seqs = []
    for conn in conns:
        conn.config_set("notify-keyspace-events", "KEA")
        ps = conn.pubsub()
        ps.psubscribe("__keyevent@0__:*")
        assert ps.get_message(timeout=5)["type"] == "psubscribe"
        for c in [("SETBIT", "b", 7, 1), ("SETBIT", "b", 7, 1), ("BITFIELD", "b", "GET", "u8", 0),
                  ("BITFIELD", "b", "SET", "u8", 0, 1, "INCRBY", "u8", 8, 1),
                  ("BITFIELD", "x", "OVERFLOW", "FAIL", "INCRBY", "u2", 0, 9),
                  ("BITOP", "OR", "d", "b"), ("BITOP", "OR", "d", "none"),
                  ("SET", "zz-end", 1)]:
            conn.execute_command(*c)
        seq = []
        while True:
            m = ps.get_message(timeout=5)
            assert m is not None, f"events so far {seq}"
            if m["type"] != "pmessage":
                continue
            seq.append((m["channel"], m["data"]))
            if m["data"] == b"zz-end":
                break
        ps.close()
        conn.config_set("notify-keyspace-events", "")
        seqs.append(seq)
    assert seqs[0] == seqs[1]
