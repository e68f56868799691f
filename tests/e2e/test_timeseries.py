# Time series over RESP (RedisTimeSeries-compatible TS.* commands plus Vole's TS.DOWNSAMPLE).
# There is no oracle server with the module here, so the expected semantics are written out:
# values, reply shapes (RESP2 and RESP3), error texts, compaction, the label index, keyspace
# events and COMMAND DOCS. redis-py's own TimeSeries client (ts(r)) is used where it parses
# replies, since existing clients working unchanged is the point of matching the module.
import math
import statistics
import sys
import time
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.resp_raw import RawConn  # noqa: E402
from lib.vole_proc import start_vole, wait_until  # noqa: E402


@pytest.fixture(scope="module")
def server():
    v = start_vole()
    yield v
    assert v.stop() == 0, v.log_tail()


@pytest.fixture
def r(server):
    c = redis.Redis(host=server.host, port=server.port)
    c.flushall()
    yield c
    c.close()


def ts(r):
    """redis-py's TimeSeries client on r's connections: it installs reply parsers on the
    client it wraps, so it gets its own, keeping r's replies raw."""
    return redis.Redis(connection_pool=r.connection_pool).ts()


def err(r, *args):
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


def raw_range(r, *args):
    return [(t, float(v)) for t, v in r.execute_command(*args)]


# ---------------------------------------------------------------- basics

def test_create_add_get_range(r):
    assert r.execute_command("TS.CREATE", "t", "RETENTION", 0, "LABELS", "a", "1") == b"OK"
    assert err(r, "TS.CREATE", "t") == "TSDB: key already exists"
    for i in range(10):
        assert r.execute_command("TS.ADD", "t", 1000 + i, i * 0.5) == 1000 + i
    assert r.execute_command("TS.GET", "t") == [1009, b"4.5"]
    assert ts(r).get("t") == (1009, 4.5)
    assert ts(r).range("t", "-", "+") == [(1000 + i, i * 0.5) for i in range(10)]
    assert ts(r).revrange("t", 1003, 1005) == [(1005, 2.5), (1004, 2.0), (1003, 1.5)]
    assert ts(r).range("t", 0, "+", count=2) == [(1000, 0.0), (1001, 0.5)]
    assert r.execute_command("TS.RANGE", "t", 5000, 6000) == []
    assert r.execute_command("TS.RANGE", "t", 2000, 1000) == []
    assert r.type("t") == b"TSDB-TYPE"
    # values print in their shortest exact form in RESP2
    r.execute_command("TS.ADD", "t", 2000, 0.1)
    r.execute_command("TS.ADD", "t", 2001, 1e300)
    r.execute_command("TS.ADD", "t", 2002, -7)
    assert r.execute_command("TS.RANGE", "t", 2000, "+") == [[2000, b"0.1"], [2001, b"1e+300"],
                                                            [2002, b"-7"]]


def test_add_star_uses_server_time(r):
    before = int(time.time() * 1000)
    ts = r.execute_command("TS.ADD", "now", "*", 1)
    after = int(time.time() * 1000)
    assert before - 1000 <= ts <= after + 1000
    assert r.execute_command("TS.GET", "now") == [ts, b"1"]


def test_add_creates_with_options_and_labels(r):
    r.execute_command("TS.ADD", "k1", 1, 1, "RETENTION", 500, "ENCODING", "UNCOMPRESSED",
                      "CHUNK_SIZE", 128, "DUPLICATE_POLICY", "MAX", "LABELS", "host", "web1",
                      "dc", "eu")
    info = ts(r).info("k1")
    assert info.retention_msecs == 500
    assert info.chunk_size == 128
    assert info.duplicate_policy in ("max", b"max")
    assert info.labels == {"host": "web1", "dc": "eu"}
    # Vole's k=v label form
    r.execute_command("TS.ADD", "k2", 1, 1, "LABELS", "host=web2", "region=us-east")
    assert ts(r).info("k2").labels == {"host": "web2", "region": "us-east"}
    # options only matter when the series is created
    r.execute_command("TS.ADD", "k2", 2, 1, "RETENTION", 5)
    assert ts(r).info("k2").retention_msecs == 0


def test_errors(r):
    r.set("str", "x")
    r.execute_command("TS.CREATE", "t")
    assert err(r, "TS.ADD", "t", -1, 1) == "TSDB: invalid timestamp, must be a nonnegative integer"
    assert err(r, "TS.ADD", "t", "abc", 1) == "TSDB: invalid timestamp, must be a nonnegative integer"
    assert err(r, "TS.ADD", "t", 1, "nan") == "TSDB: invalid value"
    assert err(r, "TS.ADD", "t", 1, "x") == "TSDB: invalid value"
    assert err(r, "TS.ADD", "str", 1, 1).startswith("WRONGTYPE")
    assert err(r, "TS.RANGE", "missing", "-", "+") == "TSDB: the key does not exist"
    assert err(r, "TS.GET", "missing") == "TSDB: the key does not exist"
    assert err(r, "TS.INFO", "missing") == "TSDB: the key does not exist"
    assert err(r, "TS.RANGE", "t", "x", "+") == "TSDB: wrong fromTimestamp"
    assert err(r, "TS.RANGE", "t", "-", "y") == "TSDB: wrong toTimestamp"
    assert err(r, "TS.RANGE", "t", "-", "+", "AGGREGATION", "foo", 10) == \
        "TSDB: Unknown aggregation type"
    assert err(r, "TS.RANGE", "t", "-", "+", "AGGREGATION", "avg", 0) == \
        "TSDB: bucketDuration must be greater than zero"
    assert err(r, "TS.RANGE", "t", "-", "+", "AGGREGATION", "avg") == \
        "TSDB: Couldn't parse AGGREGATION"
    assert err(r, "TS.RANGE", "t", "-", "+", "COUNT", 0) == "TSDB: Couldn't parse COUNT"
    assert err(r, "TS.RANGE", "t", "-", "+", "BOGUS") == "syntax error"
    assert err(r, "TS.CREATE", "u", "RETENTION", -1) == "TSDB: Couldn't parse RETENTION"
    assert err(r, "TS.CREATE", "u", "CHUNK_SIZE", 10) == \
        "TSDB: CHUNK_SIZE value must be a multiple of 8 in the range [48 .. 1048576]"
    assert err(r, "TS.CREATE", "u", "ENCODING", "zip") == "TSDB: unknown ENCODING parameter"
    assert err(r, "TS.CREATE", "u", "DUPLICATE_POLICY", "often") == "TSDB: Unknown DUPLICATE_POLICY"
    assert err(r, "TS.CREATE", "u", "LABELS", "a") == "TSDB: Couldn't parse LABELS"
    assert err(r, "TS.MADD", "t", 1) == "wrong number of arguments for 'ts.madd' command"
    assert err(r, "TS.MADD", "t", 1, 2, 3) == "wrong number of arguments for 'ts.madd' command"
    assert err(r, "TS.MRANGE", "-", "+", "COUNT", 1) == "TSDB: missing FILTER argument"
    assert err(r, "TS.MGET", "FILTER", "a!=b") == "TSDB: please provide at least one matcher"
    assert err(r, "TS.MGET", "FILTER", "ab") == "TSDB: failed parsing labels"
    assert r.exists("u") == 0


# ---------------------------------------------------------------- duplicates, retention, incr

def test_duplicate_policies(r):
    r.execute_command("TS.ADD", "d", 10, 5)
    assert err(r, "TS.ADD", "d", 10, 7) == ("TSDB: Error at upsert, update is not supported when "
                                            "DUPLICATE_POLICY is set to BLOCK mode")
    expect = {"FIRST": 5, "LAST": 7, "MIN": 5, "MAX": 7, "SUM": 12}
    for pol, want in expect.items():
        r.delete("d")
        r.execute_command("TS.ADD", "d", 10, 5)
        assert r.execute_command("TS.ADD", "d", 10, 7, "ON_DUPLICATE", pol) == 10
        assert ts(r).get("d") == (10, want)
    r.execute_command("TS.ALTER", "d", "DUPLICATE_POLICY", "LAST")
    r.execute_command("TS.ADD", "d", 10, 1)
    assert ts(r).get("d") == (10, 1)
    # out-of-order inserts land in order
    for t in (5, 30, 20, 1):
        r.execute_command("TS.ADD", "d", t, t)
    assert [t for t, _ in ts(r).range("d", "-", "+")] == [1, 5, 10, 20, 30]


def test_retention(r):
    r.execute_command("TS.CREATE", "ret", "RETENTION", 100)
    for t in range(0, 1000, 10):
        r.execute_command("TS.ADD", "ret", t, t)
    got = ts(r).range("ret", "-", "+")
    assert got[0][0] == 890 and got[-1][0] == 990  # last - retention .. last
    assert err(r, "TS.ADD", "ret", 100, 1) == "TSDB: Timestamp is older than retention"
    assert ts(r).range("ret", 0, 880) == []
    # ALTER RETENTION 0 keeps everything from now on
    r.execute_command("TS.ALTER", "ret", "RETENTION", 0)
    r.execute_command("TS.ADD", "ret", 5000, 1)
    assert ts(r).info("ret").retention_msecs == 0


def test_ignore(r):
    # IGNORE drops in-order samples close to the last one, with policy LAST only
    r.execute_command("TS.CREATE", "ig", "DUPLICATE_POLICY", "LAST", "IGNORE", 100, 0.5)
    assert r.execute_command("TS.ADD", "ig", 1000, 10) == 1000
    assert r.execute_command("TS.ADD", "ig", 1050, 10.4) == 1000   # ignored: the last timestamp
    assert r.execute_command("TS.ADD", "ig", 1101, 10.4) == 1101   # too late to ignore
    assert r.execute_command("TS.ADD", "ig", 1150, 11) == 1150     # too different
    assert r.execute_command("TS.ADD", "ig", 1100, 11) == 1100     # out of order: stored
    assert r.execute_command("TS.INCRBY", "ig", 0.1, "TIMESTAMP", 1160) == 1150
    assert r.execute_command("TS.MADD", "ig", 1170, 11.2) == [1150]
    assert ts(r).range("ig", "-", "+") == [(1000, 10.0), (1100, 11.0), (1101, 10.4), (1150, 11.0)]
    flat = r.execute_command("TS.INFO", "ig")
    d = dict(zip(flat[::2], flat[1::2]))
    assert d[b"ignoreMaxTimeDiff"] == 100 and d[b"ignoreMaxValDiff"] == b"0.5"
    r.execute_command("TS.ALTER", "ig", "DUPLICATE_POLICY", "BLOCK")
    assert r.execute_command("TS.ADD", "ig", 1160, 11) == 1160     # not LAST: kept
    r.execute_command("TS.ALTER", "ig", "IGNORE", 0, 0)
    flat = r.execute_command("TS.INFO", "ig")
    assert dict(zip(flat[::2], flat[1::2]))[b"ignoreMaxTimeDiff"] == 0
    assert err(r, "TS.CREATE", "x", "IGNORE", 1) == "TSDB: Couldn't parse IGNORE"
    assert err(r, "TS.CREATE", "x", "IGNORE", -1, 1) == "TSDB: Couldn't parse IGNORE"


def test_incrby_decrby(r):
    assert r.execute_command("TS.INCRBY", "c", 5, "TIMESTAMP", 100, "LABELS", "kind", "cnt") == 100
    assert r.execute_command("TS.INCRBY", "c", 2.5, "TIMESTAMP", 100) == 100
    assert r.execute_command("TS.DECRBY", "c", 1, "TIMESTAMP", 200) == 200
    assert ts(r).range("c", "-", "+") == [(100, 7.5), (200, 6.5)]
    assert err(r, "TS.INCRBY", "c", 1, "TIMESTAMP", 150) == \
        "TSDB: timestamp must be equal to or higher than the maximum existing timestamp"
    now = r.execute_command("TS.INCRBY", "c", 1)
    assert abs(now - time.time() * 1000) < 5000
    assert ts(r).get("c") == (now, 7.5)
    assert ts(r).info("c").labels == {"kind": "cnt"}


def test_madd_and_del(r):
    r.execute_command("TS.CREATE", "m1")
    r.execute_command("TS.CREATE", "m2")
    r.set("s", "x")
    res = r.execute_command("TS.MADD", "m1", 1, 10, "m2", 2, 20, "nope", 3, 30, "s", 4, 40,
                            "m1", 5, "bad")
    assert res[:2] == [1, 2]
    assert isinstance(res[2], redis.ResponseError) and str(res[2]) == "TSDB: the key does not exist"
    assert isinstance(res[3], redis.ResponseError) and str(res[3]).startswith("WRONGTYPE")
    assert isinstance(res[4], redis.ResponseError) and str(res[4]) == "TSDB: invalid value"
    assert r.exists("nope") == 0
    for t in range(10, 100):
        r.execute_command("TS.ADD", "m1", t, t)
    assert r.execute_command("TS.DEL", "m1", 20, 29) == 10
    assert r.execute_command("TS.DEL", "m1", 20, 29) == 0
    assert [t for t, _ in ts(r).range("m1", 15, 35)] == list(range(15, 20)) + list(range(30, 36))
    assert r.execute_command("TS.DEL", "m1", "-", "+") == 81
    assert r.execute_command("TS.GET", "m1") == []
    assert r.exists("m1") == 1  # an empty series stays
    assert err(r, "TS.DEL", "zz", 0, 1) == "TSDB: the key does not exist"


def test_many_samples_across_chunks(r):
    # enough samples for many chunks: inserts in the middle, deletes and ranges stay exact
    r.execute_command("TS.CREATE", "big", "CHUNK_SIZE", 128, "DUPLICATE_POLICY", "LAST")
    p = r.pipeline(transaction=False)
    for t in range(0, 20000, 2):
        p.execute_command("TS.ADD", "big", t, t % 97)
    p.execute()
    for t in range(1, 2000, 10):
        r.execute_command("TS.ADD", "big", t, -1)
    info = ts(r).info("big")
    assert info.total_samples == 10000 + 200
    assert info.chunk_count > 10
    got = ts(r).range("big", 0, 100)
    expect = sorted([(t, float(t % 97)) for t in range(0, 101, 2)] +
                    [(t, -1.0) for t in range(1, 101, 10)])
    assert got == expect
    assert ts(r).revrange("big", "-", "+", count=3) == [(19998, 19998 % 97), (19996, 19996 % 97),
                                                         (19994, 19994 % 97)]
    assert r.execute_command("TS.DEL", "big", 5000, 15000) == 5001
    assert ts(r).range("big", 4990, 15010) == [(t, float(t % 97)) for t in
                                                (4990, 4992, 4994, 4996, 4998, 15002, 15004,
                                                 15006, 15008, 15010)]


# ---------------------------------------------------------------- aggregation

DATA = [(1000, 1.0), (1500, 4.0), (1999, 2.0), (2000, 10.0), (2600, 3.0), (4100, 8.0), (4200, 6.0)]


def load(r, key="agg", data=DATA):
    r.execute_command("TS.CREATE", key)
    for t, v in data:
        r.execute_command("TS.ADD", key, t, v)


def expected(agg, vals):
    return {
        "avg": lambda: statistics.fmean(vals), "sum": lambda: sum(vals),
        "min": lambda: min(vals), "max": lambda: max(vals),
        "range": lambda: max(vals) - min(vals), "count": lambda: len(vals),
        "first": lambda: vals[0], "last": lambda: vals[-1],
        "std.p": lambda: statistics.pstdev(vals),
        "std.s": lambda: statistics.stdev(vals) if len(vals) > 1 else 0.0,
        "var.p": lambda: statistics.pvariance(vals),
        "var.s": lambda: statistics.variance(vals) if len(vals) > 1 else 0.0,
    }[agg]()


@pytest.mark.parametrize("agg", ["avg", "sum", "min", "max", "range", "count", "first", "last",
                                 "std.p", "std.s", "var.p", "var.s"])
def test_aggregations(r, agg):
    load(r)
    got = raw_range(r, "TS.RANGE", "agg", "-", "+", "AGGREGATION", agg, 1000)
    buckets = {}
    for t, v in DATA:
        buckets.setdefault(t - t % 1000, []).append(v)
    want = [(b, float(expected(agg, vs))) for b, vs in sorted(buckets.items())]
    assert [t for t, _ in got] == [t for t, _ in want]
    for (_, g), (_, w) in zip(got, want):
        assert math.isclose(g, w, rel_tol=1e-12, abs_tol=1e-12)
    rev = raw_range(r, "TS.REVRANGE", "agg", "-", "+", "AGGREGATION", agg, 1000)
    assert rev == got[::-1]


def twa_reference(data, bs, be):
    """Time-weighted average over [bs, be): the samples joined by straight lines, extended to
    the bucket's edges along the lines to the nearest samples outside it."""
    inside = [(t, v) for t, v in data if bs <= t < be]
    before = [(t, v) for t, v in data if t < bs]
    after = [(t, v) for t, v in data if t >= be]
    pts = list(inside)
    if before:
        (t0, v0), (t1, v1) = before[-1], inside[0]
        pts.insert(0, (bs, v0 + (v1 - v0) * (bs - t0) / (t1 - t0)))
    if after:
        (t0, v0), (t1, v1) = inside[-1], after[0]
        pts.append((be, v0 + (v1 - v0) * (be - t0) / (t1 - t0)))
    if pts[-1][0] == pts[0][0]:
        return pts[-1][1]
    area = sum((pts[i][1] + pts[i + 1][1]) / 2 * (pts[i + 1][0] - pts[i][0])
               for i in range(len(pts) - 1))
    return area / (pts[-1][0] - pts[0][0])


def test_twa(r):
    load(r)
    got = raw_range(r, "TS.RANGE", "agg", "-", "+", "AGGREGATION", "twa", 1000)
    want = [(b, twa_reference(DATA, b, b + 1000)) for b in (1000, 2000, 4000)]
    assert [t for t, _ in got] == [t for t, _ in want]
    for (_, g), (_, w) in zip(got, want):
        assert math.isclose(g, w, rel_tol=1e-12)
    # a partial range still looks at the samples around it
    got = raw_range(r, "TS.RANGE", "agg", 2000, 2999, "AGGREGATION", "twa", 1000)
    assert math.isclose(got[0][1], twa_reference(DATA, 2000, 3000), rel_tol=1e-12)
    # EMPTY buckets get the value of the line across the gap at their middle
    got = raw_range(r, "TS.RANGE", "agg", "-", "+", "AGGREGATION", "twa", 1000, "EMPTY")
    assert got[2][0] == 3000 and math.isclose(got[2][1], 3.0 + (8.0 - 3.0) * (3500 - 2600) / 1500)
    # as a compaction rule, closed buckets get the same values
    r.execute_command("TS.CREATE", "src")
    r.execute_command("TS.CREATE", "dst")
    r.execute_command("TS.CREATERULE", "src", "dst", "AGGREGATION", "twa", 1000)
    for t, v in DATA:
        r.execute_command("TS.ADD", "src", t, v)
    got = raw_range(r, "TS.RANGE", "dst", "-", "+")
    assert [t for t, _ in got] == [1000, 2000]
    for t, g in got:
        assert math.isclose(g, twa_reference(DATA, t, t + 1000), rel_tol=1e-12)
    assert err(r, "TS.MRANGE", "-", "+", "FILTER", "a=b", "GROUPBY", "a", "REDUCE", "twa") == \
        "TSDB: invalid reducer"


def test_aggregation_options(r):
    load(r)
    q = ("TS.RANGE", "agg", "-", "+", "AGGREGATION")
    # bucket timestamps: start (default), end, mid
    assert [t for t, _ in raw_range(r, *q, "sum", 1000)] == [1000, 2000, 4000]
    assert [t for t, _ in raw_range(r, *q, "sum", 1000, "BUCKETTIMESTAMP", "+")] == \
        [2000, 3000, 5000]
    assert [t for t, _ in raw_range(r, *q, "sum", 1000, "BUCKETTIMESTAMP", "mid")] == \
        [1500, 2500, 4500]
    # EMPTY reports the empty buckets between: sum/count 0, the others NaN
    assert raw_range(r, *q, "sum", 1000, "EMPTY") == [(1000, 7.0), (2000, 13.0), (3000, 0.0),
                                                      (4000, 14.0)]
    got = raw_range(r, *q, "max", 1000, "EMPTY")
    assert got[2][0] == 3000 and math.isnan(got[2][1])
    assert r.execute_command(*q, "max", 1000, "EMPTY")[2][1] == b"NaN"
    # ALIGN: buckets start at the given timestamp (or the range's start/end)
    assert raw_range(r, "TS.RANGE", "agg", 500, "+", "ALIGN", "start", "AGGREGATION", "count",
                     1000) == [(500, 1.0), (1500, 3.0), (2500, 1.0), (3500, 2.0)]
    assert raw_range(r, "TS.RANGE", "agg", "-", "+", "ALIGN", 500, "AGGREGATION", "count",
                     1000) == [(500, 1.0), (1500, 3.0), (2500, 1.0), (3500, 2.0)]
    # COUNT limits buckets; on REVRANGE the newest ones
    assert raw_range(r, *q, "sum", 1000, "COUNT", 2) == [(1000, 7.0), (2000, 13.0)]
    assert raw_range(r, "TS.REVRANGE", "agg", "-", "+", "COUNT", 2, "AGGREGATION", "sum",
                     1000) == [(4000, 14.0), (2000, 13.0)]
    # filters apply before aggregation
    assert raw_range(r, "TS.RANGE", "agg", "-", "+", "FILTER_BY_VALUE", 2, 8) == \
        [(1500, 4.0), (1999, 2.0), (2600, 3.0), (4100, 8.0), (4200, 6.0)]
    assert raw_range(r, "TS.RANGE", "agg", "-", "+", "FILTER_BY_TS", 4200, 1000, 1234) == \
        [(1000, 1.0), (4200, 6.0)]
    assert raw_range(r, "TS.RANGE", "agg", "-", "+", "FILTER_BY_TS", 1000, 1500, 2000,
                     "AGGREGATION", "sum", 1000) == [(1000, 5.0), (2000, 10.0)]
    assert err(r, "TS.RANGE", "agg", "-", "+", "EMPTY") == \
        "TSDB: ALIGN, BUCKETTIMESTAMP and EMPTY require AGGREGATION"
    # a bucket tiny next to the gaps cannot make EMPTY's reply unbounded
    r.execute_command("TS.ADD", "agg", 10**12, 1)
    assert err(r, "TS.RANGE", "agg", "-", "+", "AGGREGATION", "sum", 1, "EMPTY") == \
        "TSDB: EMPTY would report more than 1000000 empty buckets: use a larger bucket"
    r.execute_command("TS.ALTER", "agg", "LABELS", "x", "y")
    assert err(r, "TS.MRANGE", "-", "+", "AGGREGATION", "sum", 1, "EMPTY", "FILTER", "x=y") == \
        "TSDB: EMPTY would report more than 1000000 empty buckets: use a larger bucket"
    assert len(r.execute_command("TS.RANGE", "agg", "-", "+", "AGGREGATION", "sum", 1)) == 8


# ---------------------------------------------------------------- multi-series and the index

def fleet(r):
    r.execute_command("TS.CREATE", "cpu:1", "LABELS", "metric", "cpu", "host", "a", "dc", "eu")
    r.execute_command("TS.CREATE", "cpu:2", "LABELS", "metric=cpu", "host=b", "dc=us")
    r.execute_command("TS.CREATE", "mem:1", "LABELS", "metric", "mem", "host", "a", "dc", "eu")
    r.execute_command("TS.CREATE", "other")
    for i in range(5):
        r.execute_command("TS.MADD", "cpu:1", 1000 * i, i, "cpu:2", 1000 * i, 10 * i,
                          "mem:1", 1000 * i, 100 + i)


def test_queryindex_and_filters(r):
    fleet(r)
    q = lambda *f: sorted(r.execute_command("TS.QUERYINDEX", *f))  # noqa: E731
    assert q("metric=cpu") == [b"cpu:1", b"cpu:2"]
    assert q("host=a") == [b"cpu:1", b"mem:1"]
    assert q("metric=cpu", "dc!=eu") == [b"cpu:2"]
    assert q("metric=(cpu,mem)", "dc=eu") == [b"cpu:1", b"mem:1"]
    assert q("metric=(cpu,mem)", "host!=(a)") == [b"cpu:2"]
    assert q("metric=cpu", "region=") == [b"cpu:1", b"cpu:2"]
    assert q("metric=cpu", "dc!=") == [b"cpu:1", b"cpu:2"]
    assert q("host=zzz") == []
    # the index follows DEL, RENAME, ALTER and expiry
    r.rename("cpu:2", "cpu:9")
    assert q("metric=cpu") == [b"cpu:1", b"cpu:9"]
    r.execute_command("TS.ALTER", "cpu:9", "LABELS", "metric", "disk")
    assert q("metric=cpu") == [b"cpu:1"]
    r.delete("cpu:1")
    assert q("metric=cpu") == []
    r.pexpire("mem:1", 1)
    wait_until(lambda: q("metric=mem") == [], 5)


def test_mget(r):
    fleet(r)
    assert r.execute_command("TS.MGET", "FILTER", "metric=cpu") == [
        [b"cpu:1", [], [4000, b"4"]], [b"cpu:2", [], [4000, b"40"]]]
    got = ts(r).mget(["metric=cpu", "host=a"], with_labels=True)
    assert got == [{"cpu:1": [{"metric": "cpu", "host": "a", "dc": "eu"}, 4000, 4.0]}]
    assert r.execute_command("TS.MGET", "SELECTED_LABELS", "dc", "nope", "FILTER", "host=a") == [
        [b"cpu:1", [[b"dc", b"eu"], [b"nope", None]], [4000, b"4"]],
        [b"mem:1", [[b"dc", b"eu"], [b"nope", None]], [4000, b"104"]]]
    r.execute_command("TS.CREATE", "empty", "LABELS", "metric", "cpu")
    assert r.execute_command("TS.MGET", "FILTER", "metric=cpu")[2] == [b"empty", [], []]


def test_mrange(r):
    fleet(r)
    got = r.execute_command("TS.MRANGE", 1000, 2000, "FILTER", "metric=cpu")
    assert got == [[b"cpu:1", [], [[1000, b"1"], [2000, b"2"]]],
                   [b"cpu:2", [], [[1000, b"10"], [2000, b"20"]]]]
    got = r.execute_command("TS.MREVRANGE", "-", "+", "COUNT", 1, "WITHLABELS", "FILTER", "dc=eu")
    assert got == [[b"cpu:1", [[b"metric", b"cpu"], [b"host", b"a"], [b"dc", b"eu"]], [[4000, b"4"]]],
                   [b"mem:1", [[b"metric", b"mem"], [b"host", b"a"], [b"dc", b"eu"]],
                    [[4000, b"104"]]]]
    got = ts(r).mrange("-", "+", ["metric=cpu"], aggregation_type="sum", bucket_size_msec=2000)
    assert got == [{"cpu:1": [{}, [(0, 1.0), (2000, 5.0), (4000, 4.0)]]},
                   {"cpu:2": [{}, [(0, 10.0), (2000, 50.0), (4000, 40.0)]]}]
    got = r.execute_command("TS.MRANGE", "-", "+", "SELECTED_LABELS", "host", "FILTER_BY_VALUE",
                            2, 3, "FILTER", "metric=cpu")
    assert got == [[b"cpu:1", [[b"host", b"a"]], [[2000, b"2"], [3000, b"3"]]],
                   [b"cpu:2", [[b"host", b"b"]], []]]


def test_mrange_groupby(r):
    fleet(r)
    got = r.execute_command("TS.MRANGE", 0, 1000, "FILTER", "metric=(cpu,mem)", "GROUPBY", "host",
                            "REDUCE", "max")
    assert got == [
        [b"host=a", [[b"host", b"a"], [b"__reducer__", b"max"], [b"__source__", b"cpu:1,mem:1"]],
         [[0, b"100"], [1000, b"101"]]],
        [b"host=b", [[b"host", b"b"], [b"__reducer__", b"max"], [b"__source__", b"cpu:2"]],
         [[0, b"0"], [1000, b"10"]]]]
    got = r.execute_command("TS.MREVRANGE", "-", "+", "COUNT", 2, "FILTER", "metric=(cpu,mem)",
                            "GROUPBY", "dc", "REDUCE", "sum")
    assert [(g[0], g[2]) for g in got] == [(b"dc=eu", [[4000, b"108"], [3000, b"106"]]),
                                           (b"dc=us", [[4000, b"40"], [3000, b"30"]])]
    assert err(r, "TS.MRANGE", "-", "+", "FILTER", "metric=cpu", "GROUPBY", "host") == \
        "TSDB: Couldn't parse GROUPBY"


# ---------------------------------------------------------------- compaction rules

def test_compaction_rules(r):
    r.execute_command("TS.CREATE", "raw")
    r.execute_command("TS.CREATE", "avg1s")
    r.execute_command("TS.CREATE", "cnt1s")
    assert r.execute_command("TS.CREATERULE", "raw", "avg1s", "AGGREGATION", "avg", 1000) == b"OK"
    assert r.execute_command("TS.CREATERULE", "raw", "cnt1s", "AGGREGATION", "count", 1000) == b"OK"
    for t in range(0, 3500, 250):
        r.execute_command("TS.ADD", "raw", t, t / 250)
    # closed buckets only: 0, 1000, 2000 (3000 is still open)
    assert ts(r).range("avg1s", "-", "+") == [(0, 1.5), (1000, 5.5), (2000, 9.5)]
    assert ts(r).range("cnt1s", "-", "+") == [(0, 4.0), (1000, 4.0), (2000, 4.0)]
    # LATEST shows the open bucket
    assert r.execute_command("TS.GET", "avg1s", "LATEST") == [3000, b"12.5"]
    assert raw_range(r, "TS.RANGE", "avg1s", "-", "+", "LATEST")[-1] == (3000, 12.5)
    assert r.execute_command("TS.GET", "avg1s") == [2000, b"9.5"]
    # a late sample for a closed bucket updates it
    r.execute_command("TS.ADD", "raw", 1999, 100)
    assert ts(r).range("avg1s", 1000, 1000) == [(1000, (4 + 5 + 6 + 7 + 100) / 5)]
    # deleting source samples recomputes the destination buckets
    r.execute_command("TS.DEL", "raw", 0, 999)
    assert ts(r).range("avg1s", "-", "+")[0][0] == 1000
    info = ts(r).info("raw")
    assert info.rules == [[b"avg1s", 1000, b"AVG", 0], [b"cnt1s", 1000, b"COUNT", 0]]
    assert ts(r).info("avg1s").source_key == b"raw"
    # rules survive renaming either end
    r.rename("raw", "raw2")
    r.rename("avg1s", "avg2")
    assert ts(r).info("avg2").source_key == b"raw2"
    r.execute_command("TS.ADD", "raw2", 5000, 1)
    assert ts(r).range("avg2", 3000, 3000) == [(3000, 12.5)]
    # errors
    r.execute_command("TS.CREATE", "x")
    assert err(r, "TS.CREATERULE", "x", "x", "AGGREGATION", "avg", 10) == \
        "TSDB: the source key and destination key should be different"
    assert err(r, "TS.CREATERULE", "x", "avg2", "AGGREGATION", "avg", 10) == \
        "TSDB: the destination key already has a src rule"
    assert err(r, "TS.CREATERULE", "x", "nope", "AGGREGATION", "avg", 10) == \
        "TSDB: the key does not exist"
    assert err(r, "TS.CREATERULE", "x", "raw2", "AGGREGATION", "avg", 10) == \
        "TSDB: the destination key already has a dst rule"
    assert err(r, "TS.CREATERULE", "x", "y", "AGGREGATION", "bogus", 10) == \
        "TSDB: Unknown aggregation type"
    # DELETERULE unlinks both ends
    assert r.execute_command("TS.DELETERULE", "raw2", "avg2") == b"OK"
    assert err(r, "TS.DELETERULE", "raw2", "avg2") == "TSDB: compaction rule does not exist"
    assert ts(r).info("avg2").source_key is None
    assert [rule[0] for rule in ts(r).info("raw2").rules] == [b"cnt1s"]
    # deleting the destination drops the rule
    r.delete("cnt1s")
    assert ts(r).info("raw2").rules == []


def test_rule_on_a_series_with_samples(r):
    # a rule starts with the bucket of the next sample, counting the samples already in it;
    # older buckets are not back-filled (TS.DOWNSAMPLE does that)
    r.execute_command("TS.CREATE", "a")
    r.execute_command("TS.CREATE", "a:sum")
    for t in (100, 1500):
        r.execute_command("TS.ADD", "a", t, 1)
    r.execute_command("TS.CREATERULE", "a", "a:sum", "AGGREGATION", "sum", 1000)
    r.execute_command("TS.ADD", "a", 1600, 1)
    r.execute_command("TS.ADD", "a", 2100, 1)
    assert ts(r).range("a:sum", "-", "+") == [(1000, 2.0)]


def test_downsample(r):
    r.execute_command("TS.ADD", "metrics:cpu", 0, 10, "LABELS", "host=web1", "region=us-east")
    for t, v in [(1000, 20), (3_600_000, 30), (3_600_500, 50), (7_300_000, 5)]:
        r.execute_command("TS.ADD", "metrics:cpu", t, v)
    assert r.execute_command("TS.DOWNSAMPLE", "metrics:cpu", "metrics:cpu:hourly", "avg", 0,
                             9999999999999, 3600000) == 3
    assert ts(r).range("metrics:cpu:hourly", "-", "+") == [(0, 15.0), (3_600_000, 40.0),
                                                            (7_200_000, 5.0)]
    # a narrower range overwrites what is there
    assert r.execute_command("TS.DOWNSAMPLE", "metrics:cpu", "metrics:cpu:hourly", "max", "-",
                             3_600_000, 3600000) == 2
    assert ts(r).range("metrics:cpu:hourly", "-", "+") == [(0, 20.0), (3_600_000, 30.0),
                                                            (7_200_000, 5.0)]
    assert r.execute_command("TS.DOWNSAMPLE", "metrics:cpu", "none", "avg", 10**12, "+", 10) == 0
    assert r.exists("none") == 0
    assert err(r, "TS.DOWNSAMPLE", "missing", "d", "avg", 0, 1, 10) == "TSDB: the key does not exist"
    assert err(r, "TS.DOWNSAMPLE", "metrics:cpu", "d", "median", 0, 1, 10) == \
        "TSDB: Unknown aggregation type"


# ---------------------------------------------------------------- info, RESP3, events, docs

def test_info_resp2(r):
    r.execute_command("TS.CREATE", "i", "RETENTION", 60000, "LABELS", "a", "b")
    r.execute_command("TS.ADD", "i", 5, 1)
    r.execute_command("TS.ADD", "i", 9, 2)
    flat = r.execute_command("TS.INFO", "i")
    d = dict(zip(flat[::2], flat[1::2]))
    assert d[b"totalSamples"] == 2 and d[b"firstTimestamp"] == 5 and d[b"lastTimestamp"] == 9
    assert d[b"retentionTime"] == 60000 and d[b"chunkCount"] == 1 and d[b"chunkSize"] == 4096
    assert d[b"chunkType"] == b"compressed" and d[b"duplicatePolicy"] is None
    assert d[b"labels"] == [[b"a", b"b"]] and d[b"sourceKey"] is None and d[b"rules"] == []
    assert d[b"memoryUsage"] > 0
    flat = r.execute_command("TS.INFO", "i", "DEBUG")
    d = dict(zip(flat[::2], flat[1::2]))
    assert d[b"keySelfName"] == b"i"
    chunk = dict(zip(d[b"Chunks"][0][::2], d[b"Chunks"][0][1::2]))
    assert chunk[b"startTimestamp"] == 5 and chunk[b"endTimestamp"] == 9 and chunk[b"samples"] == 2


def test_resp3_shapes(r, server):
    # RESP3: values are doubles, labels and INFO are maps, multi-series replies map key ->
    # [labels, metadata, samples], QUERYINDEX is a set
    c = RawConn(server)
    try:
        c.call("HELLO", "3")
        c.call("TS.ADD", "s", 1, 1.5, "LABELS", "k", "v")
        c.call("TS.ADD", "s", 2, 2)
        assert c.call("TS.GET", "s") == b"*2\r\n:2\r\n,2\r\n"
        assert c.call("TS.RANGE", "s", "-", "+") == b"*2\r\n*2\r\n:1\r\n,1.5\r\n*2\r\n:2\r\n,2\r\n"
        info = c.call("TS.INFO", "s")
        assert info.startswith(b"%14\r\n$12\r\ntotalSamples\r\n:2\r\n")
        assert b"$15\r\nduplicatePolicy\r\n_\r\n" in info
        assert b",0\r\n$6\r\nlabels\r\n%1\r\n$1\r\nk\r\n$1\r\nv\r\n" in info
        assert c.call("TS.MGET", "WITHLABELS", "FILTER", "k=v") == \
            b"%1\r\n$1\r\ns\r\n*2\r\n%1\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n:2\r\n,2\r\n"
        assert c.call("TS.MRANGE", "-", "+", "AGGREGATION", "sum", 10, "FILTER", "k=v") == (
            b"%1\r\n$1\r\ns\r\n*3\r\n%0\r\n%1\r\n$11\r\naggregators\r\n*1\r\n$3\r\nsum\r\n"
            b"*1\r\n*2\r\n:0\r\n,3.5\r\n")
        assert c.call("TS.QUERYINDEX", "k=v") == b"~1\r\n$1\r\ns\r\n"
    finally:
        c.close()


def test_keyspace_events(r, server):
    r.config_set("notify-keyspace-events", "KEA")
    p = r.pubsub()
    p.psubscribe("__keyevent@0__:ts.*")
    assert p.get_message(timeout=2)["type"] == "psubscribe"
    r.execute_command("TS.CREATE", "ev")
    r.execute_command("TS.ADD", "ev", 1, 1)
    r.execute_command("TS.ALTER", "ev", "RETENTION", 5)
    r.execute_command("TS.INCRBY", "ev", 1, "TIMESTAMP", 2)
    r.execute_command("TS.DEL", "ev", 0, 1)
    seen = []
    while len(seen) < 5:
        m = p.get_message(timeout=2)
        assert m is not None, seen
        if m["type"] == "pmessage":
            seen.append((m["channel"], m["data"]))
    assert seen == [(b"__keyevent@0__:ts.create", b"ev"), (b"__keyevent@0__:ts.add", b"ev"),
                    (b"__keyevent@0__:ts.alter", b"ev"), (b"__keyevent@0__:ts.incrby", b"ev"),
                    (b"__keyevent@0__:ts.del", b"ev")]
    p.close()
    r.config_set("notify-keyspace-events", "")


def test_command_docs(r):
    r = redis.Redis(connection_pool=r.connection_pool)
    r.response_callbacks.pop("COMMAND", None)  # redis-py's parser knows only COMMAND INFO
    docs = r.execute_command("COMMAND", "DOCS", "ts.add", "ts.mrange", "ts.downsample")
    d = dict(zip(docs[::2], docs[1::2]))
    for name in (b"ts.add", b"ts.mrange", b"ts.downsample"):
        fields = dict(zip(d[name][::2], d[name][1::2]))
        assert fields[b"group"] == b"timeseries"
        assert fields[b"summary"]
        assert fields[b"arguments"]
    info = r.execute_command("COMMAND", "INFO", "ts.madd")[0]
    assert info[0] == b"ts.madd" and info[1] == -4 and info[3:6] == [1, -1, 3]
    assert r.execute_command("COMMAND", "GETKEYS", "TS.MADD", "a", 1, 1, "b", 2, 2) == [b"a", b"b"]


def test_transactions_and_watch(r, server):
    r.execute_command("TS.CREATE", "w")
    other = redis.Redis(host=server.host, port=server.port)
    with r.pipeline() as p:
        p.watch("w")
        other.execute_command("TS.ADD", "w", 1, 1)
        p.multi()
        p.execute_command("TS.ADD", "w", 2, 2)
        with pytest.raises(redis.WatchError):
            p.execute()
    other.close()
    with r.pipeline() as p:
        p.execute_command("TS.ADD", "w", 3, 3)
        p.execute_command("TS.RANGE", "w", "-", "+")
        assert p.execute() == [3, [[1, b"1"], [3, b"3"]]]


def test_random_commands_keep_the_server_sound(r, server):
    # bad and odd input of every shape: errors are fine, a crash or a hang is not; the series
    # stay readable afterwards
    import random
    rnd = random.Random(7)
    words = ["-", "+", "*", "0", "1", "-1", "1.5", "nan", "inf", "99999999999999999999", "",
             "LABELS", "a", "a=b", "a=", "a!=", "a=(b,c)", "(", "=", "FILTER", "COUNT",
             "AGGREGATION", "avg", "twa", "sum", "ALIGN", "BUCKETTIMESTAMP", "EMPTY", "LATEST",
             "RETENTION", "CHUNK_SIZE", "48", "ENCODING", "UNCOMPRESSED", "DUPLICATE_POLICY",
             "LAST", "ON_DUPLICATE", "SUM", "TIMESTAMP", "WITHLABELS", "SELECTED_LABELS",
             "GROUPBY", "REDUCE", "max", "FILTER_BY_TS", "FILTER_BY_VALUE", "DEBUG", "k1", "k2"]
    cmds = ["TS.CREATE", "TS.ALTER", "TS.ADD", "TS.MADD", "TS.INCRBY", "TS.DECRBY", "TS.DEL",
            "TS.GET", "TS.MGET", "TS.RANGE", "TS.REVRANGE", "TS.MRANGE", "TS.MREVRANGE", "TS.INFO",
            "TS.QUERYINDEX", "TS.CREATERULE", "TS.DELETERULE", "TS.DOWNSAMPLE"]
    r.execute_command("TS.CREATE", "k1", "LABELS", "a", "b", "CHUNK_SIZE", 48)
    r.execute_command("TS.CREATE", "k2", "LABELS", "a", "c")
    for i in range(200):
        r.execute_command("TS.ADD", "k1", i * 10, i % 13)
    for _ in range(4000):
        args = [rnd.choice(cmds)] + [rnd.choice(words) if rnd.random() < 0.7 else
                                     str(rnd.randrange(-5, 3000)) for _ in range(rnd.randrange(8))]
        try:
            r.execute_command(*args)
        except redis.ResponseError:
            pass
    assert r.ping()
    for k in r.keys("*"):
        if r.type(k) == b"TSDB-TYPE":
            r.execute_command("TS.RANGE", k, "-", "+")
            r.execute_command("TS.INFO", k)
