# GEO commands against redis-server with thousands of random points: the same GEOADD batches
# go to both servers, then positions, hashes, distances and many random area searches (circles
# and boxes, every option, near the poles and the antimeridian, huge and tiny radii, points
# sharing coordinates) must come back as the very same reply bytes.
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.resp_raw import RawConn  # noqa: E402
from lib.vole_proc import requires  # noqa: E402

GEO_CMDS = ("geoadd", "geopos", "geodist", "geohash", "geosearch", "geosearchstore",
            "georadius", "georadiusbymember", "georadius_ro", "georadiusbymember_ro")
LAT_MAX = 85.05112878
UNITS = ["m", "km", "ft", "mi", "M", "KM", "Ft", "mI"]
TIMEOUT = 30.0    # big pipelines of searches: the wait for one reply


@pytest.fixture(scope="module")
def conns(servers):
    r, v = servers
    requires(v, *GEO_CMDS)
    a, b = RawConn(r, timeout=TIMEOUT), RawConn(v, timeout=TIMEOUT)
    yield a, b
    a.close()
    b.close()


def both(conns, cmds):
    """Runs the commands on both servers; asserts every reply is byte-identical."""
    ra, rb = conns[0].pipeline(cmds), conns[1].pipeline(cmds)
    for cmd, x, y in zip(cmds, ra, rb):
        if x != y:
            at = next(i for i in range(min(len(x), len(y)) + 1) if x[i:i + 1] != y[i:i + 1])
            lo = max(0, at - 120)
            pytest.fail(f"{cmd}: replies differ at byte {at}: redis ...{x[lo:at + 120]!r} "
                        f"vole ...{y[lo:at + 120]!r}")
    return ra


def fmt(v):
    return repr(float(v))


def random_points(rng, n):
    """Points spread worldwide, clustered around a few centres (dense cells), on the edges of
    the indexable band and the antimeridian, and repeated under other names (equal
    distances, so sort stability shows)."""
    centres = [(rng.uniform(-180, 180), rng.uniform(-80, 80)) for _ in range(12)]
    centres += [(179.9, 10.0), (-179.9, -10.0), (0.0, 84.9), (30.0, -84.9), (0.0, 0.0)]
    pts = []
    for i in range(n):
        k = rng.random()
        if k < 0.35:
            lon, lat = rng.uniform(-180, 180), rng.uniform(-LAT_MAX, LAT_MAX)
        elif k < 0.85:
            cx, cy = rng.choice(centres)
            s = rng.choice([0.001, 0.01, 0.1, 1.0, 5.0])
            lon = min(180.0, max(-180.0, rng.gauss(cx, s)))
            lat = min(LAT_MAX, max(-LAT_MAX, rng.gauss(cy, s)))
        elif k < 0.92:
            lon = rng.choice([-180.0, 180.0, rng.uniform(-180, 180)])
            lat = rng.choice([-LAT_MAX, LAT_MAX, rng.uniform(-LAT_MAX, LAT_MAX)])
        elif pts:
            lon, lat = rng.choice(pts)[:2]  # same place, another name
        else:
            lon, lat = 0.0, 0.0
        pts.append((lon, lat, f"p{i}"))
    return pts


@pytest.fixture(scope="module")
def loaded(conns):
    rng = random.Random(20240607)
    pts = random_points(rng, 3000)
    both(conns, [["FLUSHALL"]])
    cmds = []
    for i in range(0, len(pts), 100):
        args = ["GEOADD", "big"]
        for lon, lat, m in pts[i:i + 100]:
            args += [fmt(lon), fmt(lat), m]
        cmds.append(args)
    # a small one stays listpack-encoded
    small = ["GEOADD", "small"]
    for lon, lat, m in pts[:100]:
        small += [fmt(lon), fmt(lat), m]
    cmds.append(small)
    both(conns, cmds)
    both(conns, [["OBJECT", "ENCODING", "big"], ["OBJECT", "ENCODING", "small"]])
    return pts


def test_scores_positions_hashes(conns, loaded):
    names = [m for _, _, m in loaded]
    both(conns, [["ZRANGE", "big", "0", "-1", "WITHSCORES"]])
    cmds = [["GEOPOS", "big"] + names[i:i + 200] + ["missing"] for i in range(0, len(names), 200)]
    cmds += [["GEOHASH", "big"] + names[i:i + 200] + ["missing"]
             for i in range(0, len(names), 200)]
    both(conns, cmds)


def test_distances(conns, loaded):
    rng = random.Random(7)
    names = [m for _, _, m in loaded]
    cmds = []
    for _ in range(3000):
        a, b = rng.choice(names), rng.choice(names)
        cmd = ["GEODIST", "big", a, b]
        if rng.random() < 0.7:
            cmd.append(rng.choice(UNITS))
        cmds.append(cmd)
    both(conns, cmds)


def random_centre(rng, names):
    k = rng.random()
    if k < 0.4:
        return ["FROMMEMBER", rng.choice(names)]
    if k < 0.55:
        return ["FROMLONLAT", fmt(rng.choice([-180.0, 180.0, rng.uniform(-180, 180)])),
                fmt(rng.uniform(-LAT_MAX, LAT_MAX))]
    if k < 0.7:
        return ["FROMLONLAT", fmt(rng.uniform(-180, 180)),
                fmt(rng.choice([1, -1]) * rng.uniform(60, LAT_MAX))]
    return ["FROMLONLAT", fmt(rng.uniform(-180, 180)), fmt(rng.uniform(-LAT_MAX, LAT_MAX))]


def random_size(rng):
    """A size in metres from centimetres to beyond the Earth's circumference, and a unit."""
    metres = 10 ** rng.uniform(-1, 7.7)
    if rng.random() < 0.03:
        metres = 0.0
    unit = rng.choice(UNITS)
    per = {"m": 1, "km": 1000, "ft": 0.3048, "mi": 1609.34}[unit.lower()]
    return fmt(metres / per), unit


def random_options(rng, store):
    opts = []
    if not store:
        for o in ("WITHDIST", "WITHCOORD", "WITHHASH"):
            if rng.random() < 0.5:
                opts.append(o)
    k = rng.random()
    if k < 0.3:
        opts.append("ASC")
    elif k < 0.6:
        opts.append("DESC")
    if rng.random() < 0.5:
        opts += ["COUNT", str(rng.choice([1, 2, 3, 5, 10, 50, 500, 5000]))]
        if rng.random() < 0.3:
            opts.append("ANY")
    return opts


def search_cmds(rng, names, key, n):
    cmds = []
    for _ in range(n):
        frm = random_centre(rng, names)
        if rng.random() < 0.5:
            r, u = random_size(rng)
            by = ["BYRADIUS", r, u]
        else:
            w, u = random_size(rng)
            h, _ = random_size(rng)
            by = ["BYBOX", w, h, u]
        cmds.append(["GEOSEARCH", key] + frm + by + random_options(rng, False))
    return cmds


def test_geosearch(conns, loaded):
    rng = random.Random(11)
    names = [m for _, _, m in loaded]
    for key in ("big", "small"):
        pool = names if key == "big" else names[:100]
        cmds = search_cmds(rng, pool, key, 1500)
        for i in range(0, len(cmds), 100):
            both(conns, cmds[i:i + 100])


def test_georadius_variants(conns, loaded):
    rng = random.Random(13)
    names = [m for _, _, m in loaded]
    cmds = []
    for _ in range(1500):
        r, u = random_size(rng)
        opts = random_options(rng, False)
        k = rng.random()
        if k < 0.5:
            lon, lat = fmt(rng.uniform(-180, 180)), fmt(rng.uniform(-LAT_MAX, LAT_MAX))
            name = "GEORADIUS" if rng.random() < 0.5 else "GEORADIUS_RO"
            cmds.append([name, "big", lon, lat, r, u] + opts)
        else:
            name = "GEORADIUSBYMEMBER" if rng.random() < 0.5 else "GEORADIUSBYMEMBER_RO"
            cmds.append([name, "big", rng.choice(names), r, u] + opts)
    for i in range(0, len(cmds), 100):
        both(conns, cmds[i:i + 100])


def test_store_variants(conns, loaded):
    rng = random.Random(17)
    names = [m for _, _, m in loaded]
    for i in range(400):
        r, u = random_size(rng)
        opts = random_options(rng, True)
        k = rng.random()
        dist = rng.random() < 0.5
        if k < 0.4:
            cmd = (["GEOSEARCHSTORE", "dst", "big"] + random_centre(rng, names) +
                   ["BYRADIUS", r, u] + opts + (["STOREDIST"] if dist else []))
        elif k < 0.7:
            cmd = (["GEORADIUS", "big", fmt(rng.uniform(-180, 180)),
                    fmt(rng.uniform(-LAT_MAX, LAT_MAX)), r, u] + opts +
                   ["STOREDIST" if dist else "STORE", "dst"])
        else:
            cmd = (["GEORADIUSBYMEMBER", "big", rng.choice(names), r, u] + opts +
                   ["STOREDIST" if dist else "STORE", "dst"])
        both(conns, [cmd, ["ZRANGE", "dst", "0", "-1", "WITHSCORES"], ["OBJECT", "ENCODING", "dst"],
                     ["EXISTS", "dst"]])


def test_resp3_replies(conns, loaded):
    rng = random.Random(19)
    names = [m for _, _, m in loaded]
    conns[0].call("HELLO", "3")
    conns[1].call("HELLO", "3")
    try:
        cmds = [["GEOPOS", "big"] + names[:300]]
        cmds += [["GEODIST", "big", names[i], names[i + 1], "km"] for i in range(50)]
        cmds += search_cmds(rng, names, "big", 300)
        both(conns, cmds)
    finally:
        conns[0].call("HELLO", "2")
        conns[1].call("HELLO", "2")


def test_equal_distances_keep_redis_order(conns):
    """Hundreds of members share a few points, so most distances tie: the full sort (stable)
    and the partial sort COUNT uses (three-way quicksort) must order the ties as Redis does."""
    rng = random.Random(23)
    spots = [(2.35, 48.85), (2.36, 48.86), (2.34, 48.84), (-0.12, 51.5)]
    args = ["GEOADD", "ties"]
    for i in range(900):
        lon, lat = rng.choice(spots)
        args += [fmt(lon), fmt(lat), f"m{rng.randrange(10**6)}:{i}"]
    both(conns, [["DEL", "ties"], args])
    cmds = []
    for _ in range(600):
        order = rng.choice([[], ["ASC"], ["DESC"]])
        count = ["COUNT", str(rng.choice([1, 2, 3, 7, 8, 40, 41, 100, 233, 500, 899, 900, 5000]))]
        if rng.random() < 0.2:
            count.append("ANY")
        frm = rng.choice([["FROMLONLAT", "2.35", "48.85"], ["FROMLONLAT", "2.3", "48.8"],
                          ["FROMMEMBER", args[4]]])
        cmds.append(["GEOSEARCH", "ties"] + frm + ["BYRADIUS", "600", "km", "WITHDIST"] + order +
                    (count if rng.random() < 0.8 else []))
    for i in range(0, len(cmds), 100):
        both(conns, cmds[i:i + 100])


def test_whole_world_searches(conns, loaded):
    """Radii and boxes past the Earth's size: the coarsest cells, whose neighbours repeat."""
    cmds = []
    for lon, lat in [(0, 0), (180, 0), (-180, 85.05112878), (90, -85.05112878), (-45.5, 60)]:
        for size in ("10000", "20000", "20037.72637", "40000", "1e9"):
            cmds.append(["GEOSEARCH", "big", "FROMLONLAT", str(lon), str(lat), "BYRADIUS", size,
                         "km", "ASC", "COUNT", "20", "WITHDIST", "WITHHASH"])
            cmds.append(["GEOSEARCH", "big", "FROMLONLAT", str(lon), str(lat), "BYBOX", size,
                         size, "km", "DESC", "COUNT", "20", "WITHCOORD"])
            cmds.append(["GEORADIUS", "big", str(lon), str(lat), size, "km", "STORE", "w"])
            cmds.append(["ZRANGE", "w", "0", "-1", "WITHSCORES"])
    cmds.append(["GEOSEARCH", "big", "FROMLONLAT", "0", "0", "BYRADIUS", "inf", "km", "COUNT",
                 "3"])
    cmds.append(["GEOSEARCH", "big", "FROMLONLAT", "0", "0", "BYBOX", "inf", "1", "km", "COUNT",
                 "3"])
    both(conns, cmds)


WRITES = [
    ["GEOADD", "w:a", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
    ["GEOADD", "w:a", "13.361389", "38.115556", "Palermo"],
    ["GEOADD", "w:a", "CH", "13.4", "38.1", "Palermo", "1", "1", "x"],
    ["GEOADD", "w:a", "XX", "1", "1", "nobody"],
    ["GEOADD", "w:none", "XX", "1", "1", "nobody"],
    ["GEOADD", "w:a", "200", "1", "bad"],
    ["GEOPOS", "w:a", "Palermo", "nobody"],
    ["GEOPOS", "w:none", "Palermo"],
    ["GEODIST", "w:a", "Palermo", "Catania"],
    ["GEODIST", "w:none", "Palermo", "Catania"],
    ["GEOHASH", "w:a", "Palermo"],
    ["GEOSEARCH", "w:a", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"],
    ["GEOSEARCH", "w:none", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"],
    ["GEOSEARCHSTORE", "w:d", "w:a", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"],
    ["GEOSEARCHSTORE", "w:d", "w:a", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km",
     "STOREDIST"],
    ["GEOSEARCHSTORE", "w:d", "w:a", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"],
    ["GEOSEARCHSTORE", "w:d", "w:a", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"],
    ["GEORADIUS", "w:a", "15", "37", "200", "km", "STORE", "w:e"],
    ["GEORADIUS", "w:none", "15", "37", "200", "km", "STORE", "w:e"],
    ["GEORADIUSBYMEMBER", "w:a", "Palermo", "200", "km", "STOREDIST", "w:f"],
    ["GEORADIUSBYMEMBER_RO", "w:a", "Palermo", "200", "km"],
    ["GEORADIUS_RO", "w:a", "15", "37", "200", "km"],
]


def _info_counts(conn):
    text = conn.call("INFO", "all").decode()
    vals = {}
    for line in text.split("\r\n"):
        k, _, v = line.partition(":")
        if k in ("rdb_changes_since_last_save", "keyspace_hits", "keyspace_misses"):
            vals[k] = int(v)
    return vals


def test_dirty_and_keyspace_stats(conns):
    """Each write adds to the dirty counter as Redis's does; reads count hits and misses."""
    both(conns, [["FLUSHALL"]])
    for cmd in WRITES:
        before = [_info_counts(c) for c in conns]
        both(conns, [cmd])
        after = [_info_counts(c) for c in conns]
        deltas = [{k: a[k] - b[k] for k in a} for a, b in zip(after, before)]
        assert deltas[0] == deltas[1], f"{cmd}: redis {deltas[0]} vole {deltas[1]}"


def test_keyspace_events(servers):
    """The events geo writes signal, in order (waits for pub/sub to exist in Vole)."""
    r, v = servers
    requires(v, "psubscribe")
    got = []
    for srv in (r, v):
        ctl, sub = RawConn(srv, timeout=TIMEOUT), RawConn(srv, timeout=TIMEOUT)
        try:
            ctl.call("FLUSHALL")
            ctl.call("CONFIG", "SET", "notify-keyspace-events", "KEA")
            sub.call("PSUBSCRIBE", "__key*__:*")
            ctl.pipeline(WRITES + [["SET", "w:sentinel", "1"]])
            msgs = []
            while not msgs or not (b"__keyevent" in msgs[-1] and b"w:sentinel" in msgs[-1]):
                msgs.append(sub.frame())
            got.append(msgs)
        finally:
            ctl.call("CONFIG", "SET", "notify-keyspace-events", "")
            ctl.close()
            sub.close()
    assert got[0] == got[1]
