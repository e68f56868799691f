/* Unit tests for engine/types/t_ts.c through the engine's dispatcher: the label index follows
 * every way a key comes and goes (create, alter, DEL, RENAME, MOVE, COPY, SET over it, expiry,
 * FLUSHDB, SWAPDB), and the effect stream replays to the same data: commands that read the
 * clock ('*', TS.INCRBY without TIMESTAMP) or partly fail (TS.MADD) are run on one engine,
 * every recorded unit is applied to a fresh engine, and both must answer the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "engine/effects_backlog.h"
#include "engine/engine.h"
#include "engine/snapshot.h"
#include "engine/types/t_ts.h"
#include "shared/util.h"

typedef struct {
    engine_t *e;
    client_t *c;
    size_t hdr;
} s_eng_t;

static s_eng_t s_a, s_b;

static const char *s_runv(s_eng_t *x, size_t *len, int argc, const char **words) {
    proto_arg_t argv[64];
    for (int i = 0; i < argc; i++) argv[i] = (proto_arg_t){words[i], strlen(words[i])};
    frontend_t *fe = x->c->fe;
    fe->out.len = 0;
    fe->out_client = NULL;
    fe->out_count = 0;
    x->e->now_ms = now_ms();
    engine_execute(x->e, x->c, argc, argv);
    *len = fe->out.len - x->hdr;
    return (const char *)fe->out.data + x->hdr;
}

static char s_last[65536];

/* The NULL-terminated words first, ... into words[64]; returns their count. */
static int s_words(const char **words, const char *first, va_list ap) {
    int argc = 0;
    for (const char *w = first; w; w = va_arg(ap, const char *)) {
        assert_true(argc < 64);
        words[argc++] = w;
    }
    return argc;
}

/* Runs a command and returns its reply as a NUL-terminated string (kept until the next run). */
static const char *s_run(s_eng_t *x, const char *first, ...) {
    const char *words[64];
    va_list ap;
    va_start(ap, first);
    int argc = s_words(words, first, ap);
    va_end(ap);
    size_t n;
    const char *r = s_runv(x, &n, argc, words);
    assert_true(n < sizeof s_last);
    memcpy(s_last, r, n);
    s_last[n] = '\0';
    return s_last;
}

#define RUN(x, ...) s_run(x, __VA_ARGS__, (const char *)NULL)
#define CHECK(x, expect, ...)                                                                      \
    do {                                                                                           \
        const char *r_ = RUN(x, __VA_ARGS__);                                                      \
        if (strcmp(r_, expect) != 0) fail_msg("reply %s, expected %s", r_, expect);                 \
    } while (0)

static void s_eng_init(s_eng_t *x) {
    x->e = engine_new_for_test();
    x->c = client_new(x->e, x->e->frontends, 1);
    x->hdr = 0;
    size_t n;
    const char *w[] = {"GET", "__probe__"};
    s_runv(x, &n, 2, w);
    x->hdr = n - 5;
}

static void s_eng_free(s_eng_t *x) {
    engine_free_for_test(x->e); /* frees the frontend's clients too */
}

static int s_setup(void **state) {
    (void)state;
    s_eng_init(&s_a);
    s_eng_init(&s_b);
    return 0;
}

static int s_teardown(void **state) {
    (void)state;
    s_eng_free(&s_a);
    s_eng_free(&s_b);
    return 0;
}

static uint64_t s_idx(s_eng_t *x, int db, const char *l, const char *v) {
    return ts_index_count(&x->e->dbs[db], l, v);
}

static void test_index_follows_keyspace(void **state) {
    (void)state;
    s_eng_t *a = &s_a;
    RUN(a, "FLUSHALL");
    CHECK(a, "+OK\r\n", "TS.CREATE", "k", "LABELS", "host", "web1", "dc", "eu");
    assert_int_equal(s_idx(a, 0, "host", "web1"), 1);
    CHECK(a, "*1\r\n$1\r\nk\r\n", "TS.QUERYINDEX", "host=web1");
    /* ALTER replaces the labels */
    CHECK(a, "+OK\r\n", "TS.ALTER", "k", "LABELS", "host=web2");
    assert_int_equal(s_idx(a, 0, "host", "web1"), 0);
    assert_int_equal(s_idx(a, 0, "dc", "eu"), 0);
    assert_int_equal(s_idx(a, 0, "host", "web2"), 1);
    /* RENAME moves the entry */
    CHECK(a, "+OK\r\n", "RENAME", "k", "k2");
    CHECK(a, "*1\r\n$2\r\nk2\r\n", "TS.QUERYINDEX", "host=web2");
    /* COPY indexes the copy too */
    CHECK(a, ":1\r\n", "COPY", "k2", "k3");
    assert_int_equal(s_idx(a, 0, "host", "web2"), 2);
    /* SET over a series removes it */
    CHECK(a, "+OK\r\n", "SET", "k3", "x");
    assert_int_equal(s_idx(a, 0, "host", "web2"), 1);
    /* MOVE to another database */
    CHECK(a, ":1\r\n", "MOVE", "k2", "1");
    assert_int_equal(s_idx(a, 0, "host", "web2"), 0);
    assert_int_equal(s_idx(a, 1, "host", "web2"), 1);
    /* SWAPDB swaps the indexes with the keys */
    CHECK(a, "+OK\r\n", "SWAPDB", "0", "1");
    assert_int_equal(s_idx(a, 0, "host", "web2"), 1);
    CHECK(a, "*1\r\n$2\r\nk2\r\n", "TS.QUERYINDEX", "host=web2");
    /* DEL */
    CHECK(a, ":1\r\n", "DEL", "k2");
    assert_int_equal(s_idx(a, 0, "host", "web2"), 0);
    /* expiry: the key is gone from the index when it expires */
    RUN(a, "TS.CREATE", "e", "LABELS", "t", "x");
    RUN(a, "PEXPIREAT", "e", "1");
    CHECK(a, "*0\r\n", "TS.QUERYINDEX", "t=x");
    assert_int_equal(s_idx(a, 0, "t", "x"), 0);
    /* FLUSHDB drops the whole index */
    RUN(a, "TS.CREATE", "f", "LABELS", "t", "y");
    RUN(a, "FLUSHDB");
    assert_null(a->e->dbs[0].ts_index);
    CHECK(a, "*0\r\n", "TS.QUERYINDEX", "t=y");
}

static void test_filters(void **state) {
    (void)state;
    s_eng_t *a = &s_a;
    RUN(a, "FLUSHALL");
    RUN(a, "TS.CREATE", "s1", "LABELS", "room", "study", "type", "temp");
    RUN(a, "TS.CREATE", "s2", "LABELS", "room", "study", "type", "hum");
    RUN(a, "TS.CREATE", "s3", "LABELS", "room", "kitchen", "type", "temp", "floor", "1");
    CHECK(a, "*2\r\n$2\r\ns1\r\n$2\r\ns3\r\n", "TS.QUERYINDEX", "type=temp");
    CHECK(a, "*1\r\n$2\r\ns1\r\n", "TS.QUERYINDEX", "type=temp", "floor=");
    CHECK(a, "*1\r\n$2\r\ns3\r\n", "TS.QUERYINDEX", "type=temp", "floor!=");
    CHECK(a, "*1\r\n$2\r\ns2\r\n", "TS.QUERYINDEX", "room=(study,kitchen)", "type!=temp");
    CHECK(a, "*3\r\n$2\r\ns1\r\n$2\r\ns2\r\n$2\r\ns3\r\n", "TS.QUERYINDEX",
          "room=(study,kitchen)", "floor!=(2,3)");
    CHECK(a, "*1\r\n$2\r\ns2\r\n", "TS.QUERYINDEX", "room=(study,kitchen)", "type!=(temp,x)");
    CHECK(a, "-ERR TSDB: please provide at least one matcher\r\n", "TS.QUERYINDEX", "type!=temp");
    CHECK(a, "-ERR TSDB: failed parsing labels\r\n", "TS.QUERYINDEX", "nonsense");
}

/* Runs the same read on both engines and compares. */
static void s_same(const char *first, ...) {
    const char *words[64];
    va_list ap;
    va_start(ap, first);
    int argc = s_words(words, first, ap);
    va_end(ap);
    size_t n1, n2;
    const char *r1 = s_runv(&s_a, &n1, argc, words);
    static char copy[65536];
    assert_true(n1 < sizeof copy);
    memcpy(copy, r1, n1);
    const char *r2 = s_runv(&s_b, &n2, argc, words);
    if (n1 != n2 || memcmp(copy, r2, n1) != 0)
        fail_msg("%s differs after replay:\n%.*s\nvs\n%.*s", first, (int)n1, copy, (int)n2, r2);
}

static void test_effects_replay(void **state) {
    (void)state;
    s_eng_t *a = &s_a, *b = &s_b;
    RUN(a, "FLUSHALL");
    RUN(b, "FLUSHALL");
    uint64_t first = effects_last_seq(a->e) + 1;
    RUN(a, "TS.CREATE", "src", "RETENTION", "100000000", "DUPLICATE_POLICY", "LAST", "LABELS",
        "kind", "cpu", "host", "h1");
    RUN(a, "TS.CREATE", "dst", "LABELS", "kind", "cpu-avg");
    RUN(a, "TS.CREATERULE", "src", "dst", "AGGREGATION", "avg", "1000");
    RUN(a, "TS.CREATE", "twa");
    RUN(a, "TS.CREATERULE", "src", "twa", "AGGREGATION", "twa", "700", "50");
    char ts[32], v[32];
    for (int i = 0; i < 50; i++) {
        snprintf(ts, sizeof ts, "%d", 1000 + i * 137);
        snprintf(v, sizeof v, "%d.25", i % 7);
        RUN(a, "TS.ADD", "src", ts, v);
    }
    RUN(a, "TS.ADD", "src", "1500", "99");                        /* update in a closed bucket */
    RUN(a, "TS.ADD", "now", "*", "1.5", "LABELS", "kind=clock"); /* the server's time */
    RUN(a, "TS.ADD", "now", "*", "2.5", "ON_DUPLICATE", "SUM");
    RUN(a, "TS.INCRBY", "counter", "3", "LABELS", "kind", "counter");
    RUN(a, "TS.INCRBY", "counter", "4", "TIMESTAMP", "*");
    RUN(a, "TS.DECRBY", "counter", "1");
    RUN(a, "TS.MADD", "src", "9000", "1", "missing", "9000", "2", "src", "*", "3", "src", "x", "1");
    RUN(a, "TS.DEL", "src", "2000", "3000");
    RUN(a, "TS.ALTER", "src", "LABELS", "kind", "cpu", "host", "h2");
    RUN(a, "TS.DOWNSAMPLE", "src", "down", "max", "-", "+", "5000");
    RUN(a, "RENAME", "dst", "dst2");
    RUN(a, "TS.ADD", "src", "20000", "5");
    RUN(a, "TS.CREATE", "gone", "LABELS", "kind", "cpu");
    RUN(a, "PEXPIREAT", "gone", "1");
    RUN(a, "TS.QUERYINDEX", "kind=cpu"); /* expires it: recorded as DEL */
    uint64_t last = effects_last_seq(a->e);
    assert_true(last >= first);
    assert_true(effects_oldest_seq(a->e) <= first);
    char err[256];
    b->e->now_ms = 12345; /* a replay that read the clock would store other timestamps */
    for (uint64_t s = first; s <= last; s++) {
        const char *p;
        size_t len;
        assert_int_equal(effects_get(a->e, s, &p, &len), 0);
        if (engine_apply_unit(b->e, p, len, err, sizeof err) != 0) fail_msg("unit %llu: %s", (unsigned long long)s, err);
    }
    const char *keys[] = {"src", "dst2", "twa", "now", "counter", "down", "gone"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        s_same("TS.RANGE", keys[i], "-", "+", (const char *)NULL);
        s_same("TS.INFO", keys[i], (const char *)NULL);
    }
    s_same("TS.MRANGE", "-", "+", "WITHLABELS", "FILTER", "kind=(cpu,cpu-avg,clock,counter)",
           (const char *)NULL);
    s_same("TS.QUERYINDEX", "host=h2", (const char *)NULL);
    s_same("DBSIZE", (const char *)NULL);
    /* and the replayed compaction keeps working the same way on both */
    RUN(a, "TS.ADD", "src", "40000", "1");
    RUN(b, "TS.ADD", "src", "40000", "1");
    s_same("TS.RANGE", "dst2", "-", "+", (const char *)NULL);
}

/* Snapshot round trip (engine/snapshot.c). */
/* TS.INFO without the fields that depend on how chunks were laid out (a load re-encodes). */
static void s_same_info(const char *key) {
    size_t n1, n2;
    const char *w[] = {"TS.INFO", key};
    static char a[8192], b[8192];
    const char *r = s_runv(&s_a, &n1, 2, w);
    assert_true(n1 < sizeof a);
    memcpy(a, r, n1);
    a[n1] = '\0';
    r = s_runv(&s_b, &n2, 2, w);
    assert_true(n2 < sizeof b);
    memcpy(b, r, n2);
    b[n2] = '\0';
    const char *drop[] = {"memoryUsage\r\n", "chunkCount\r\n"};
    for (int i = 0; i < 2; i++) {
        char *x = strstr(a, drop[i]), *y = strstr(b, drop[i]);
        assert_non_null(x);
        assert_non_null(y);
        char *xe = strstr(x + strlen(drop[i]), "\r\n"), *ye = strstr(y + strlen(drop[i]), "\r\n");
        memmove(x, xe, strlen(xe) + 1);
        memmove(y, ye, strlen(ye) + 1);
    }
    if (strcmp(a, b) != 0) fail_msg("TS.INFO %s differs after a load:\n%s\nvs\n%s", key, a, b);
}

static void test_snapshot_round_trip(void **state) {
    (void)state;
    s_eng_t *a = &s_a, *b = &s_b;
    RUN(a, "FLUSHALL");
    RUN(b, "FLUSHALL");
    RUN(a, "TS.CREATE", "src", "RETENTION", "100000000", "DUPLICATE_POLICY", "MAX", "CHUNK_SIZE",
        "64", "LABELS", "kind", "cpu", "host", "h1");
    RUN(a, "TS.CREATE", "raw", "ENCODING", "UNCOMPRESSED", "IGNORE", "5", "0.5", "LABELS", "kind=raw");
    RUN(a, "TS.CREATE", "avg", "LABELS", "kind", "avg");
    RUN(a, "TS.CREATE", "twa");
    RUN(a, "TS.CREATE", "empty", "LABELS", "kind", "cpu");
    RUN(a, "TS.CREATERULE", "src", "avg", "AGGREGATION", "avg", "1000");
    RUN(a, "TS.CREATERULE", "src", "twa", "AGGREGATION", "twa", "700", "50");
    char ts[32], v[32];
    for (int i = 0; i < 500; i++) {
        snprintf(ts, sizeof ts, "%d", 1000 + i * 37 + (i % 5) * 3);
        snprintf(v, sizeof v, "%.6f", (i % 17) * 1.37 - 4);
        RUN(a, "TS.ADD", "src", ts, v);
        RUN(a, "TS.ADD", "raw", ts, v);
    }
    RUN(a, "TS.ADD", "src", "1500", "1e300"); /* an update in a closed bucket */
    RUN(a, "TS.ADD", "ttl", "1", "1", "LABELS", "kind", "cpu");
    RUN(a, "PEXPIRE", "ttl", "100000000");
    if (snapshot_save_file(a->e, "/tmp/vole-test-ts.snap", 9, NULL, 0) < 0) {
        char err[256];
        snapshot_save_file(a->e, "/tmp/vole-test-ts.snap", 9, err, sizeof err);
        fail_msg("save: %s", err);
    }
    char err[256];
    uint64_t seq;
    if (snapshot_load_file(b->e, "/tmp/vole-test-ts.snap", &seq, NULL, NULL, err, sizeof err) < 0)
        fail_msg("load: %s", err);
    unlink("/tmp/vole-test-ts.snap");
    /* a rename before any TS.* command keeps the compaction links */
    RUN(b, "RENAME", "twa", "twa2");
    RUN(a, "RENAME", "twa", "twa2");
    /* the index is there on the first command after the load */
    s_same("TS.QUERYINDEX", "kind=cpu", (const char *)NULL);
    s_same("TS.MRANGE", "-", "+", "WITHLABELS", "FILTER", "kind=(cpu,raw,avg)", (const char *)NULL);
    const char *keys[] = {"src", "raw", "avg", "twa2", "empty", "ttl"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        s_same("TS.RANGE", keys[i], "-", "+", (const char *)NULL);
        s_same_info(keys[i]);
    }
    s_same("PTTL", "ttl", (const char *)NULL);
    s_same("TS.GET", "avg", "LATEST", (const char *)NULL);
    /* the open buckets of the rules came back: the next samples close them the same way */
    RUN(a, "TS.ADD", "src", "90000", "3");
    RUN(b, "TS.ADD", "src", "90000", "3");
    RUN(a, "TS.ADD", "raw", "90001", "3");
    RUN(b, "TS.ADD", "raw", "90001", "3");
    s_same("TS.RANGE", "avg", "-", "+", (const char *)NULL);
    s_same("TS.RANGE", "twa2", "-", "+", (const char *)NULL);
    s_same("TS.RANGE", "raw", "90000", "+", (const char *)NULL);
    /* renames after the load keep the links */
    RUN(b, "RENAME", "avg", "avg2");
    RUN(a, "RENAME", "avg", "avg2");
    s_same_info("src");
    s_same_info("avg2");
}

/* Random commands built from TS.* vocabulary (run under valgrind to catch memory errors):
 * whatever the input, replies come and the series stay readable. */
static void test_random_commands(void **state) {
    (void)state;
    static const char *const words[] = {
        "-", "+", "*", "0", "1", "-1", "1.5", "nan", "inf", "99999999999999999999", "",
        "LABELS", "a", "a=b", "a=", "a!=", "a=(b,c)", "a!=(b)", "(", "=", "FILTER", "COUNT",
        "AGGREGATION", "avg", "twa", "sum", "std.s", "ALIGN", "start", "BUCKETTIMESTAMP", "~",
        "EMPTY", "LATEST", "RETENTION", "CHUNK_SIZE", "48", "ENCODING", "UNCOMPRESSED",
        "DUPLICATE_POLICY", "LAST", "ON_DUPLICATE", "SUM", "TIMESTAMP", "WITHLABELS",
        "SELECTED_LABELS", "GROUPBY", "REDUCE", "max", "FILTER_BY_TS", "FILTER_BY_VALUE", "DEBUG",
        "k1", "k2", "k3"};
    static const char *const cmds[] = {
        "TS.CREATE", "TS.ALTER", "TS.ADD", "TS.MADD", "TS.INCRBY", "TS.DECRBY", "TS.DEL",
        "TS.GET", "TS.MGET", "TS.RANGE", "TS.REVRANGE", "TS.MRANGE", "TS.MREVRANGE", "TS.INFO",
        "TS.QUERYINDEX", "TS.CREATERULE", "TS.DELETERULE", "TS.DOWNSAMPLE", "RENAME", "DEL",
        "COPY"};
    s_eng_t *a = &s_a;
    RUN(a, "FLUSHALL");
    RUN(a, "TS.CREATE", "k1", "LABELS", "a", "b", "CHUNK_SIZE", "48", "DUPLICATE_POLICY", "SUM");
    RUN(a, "TS.CREATE", "k2", "LABELS", "a", "c");
    RUN(a, "TS.CREATERULE", "k1", "k2", "AGGREGATION", "twa", "30");
    uint64_t seed = 12345;
    char nums[16][24];
    for (int i = 0; i < 3000; i++) {
        const char *argv[10];
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        int argc = 1 + (int)((seed >> 33) % 9);
        argv[0] = cmds[(seed >> 13) % (sizeof cmds / sizeof *cmds)];
        for (int k = 1; k < argc; k++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            if ((seed >> 40) % 10 < 6) {
                argv[k] = words[(seed >> 20) % (sizeof words / sizeof *words)];
            } else {
                snprintf(nums[k], sizeof nums[k], "%d", (int)((seed >> 24) % 6000) - 5);
                argv[k] = nums[k];
            }
        }
        size_t n;
        s_runv(a, &n, argc, argv);
        assert_true(n > 0);
    }
    const char *keys[] = {"k1", "k2", "k3"};
    for (int i = 0; i < 3; i++) {
        size_t n;
        const char *w[] = {"TS.RANGE", keys[i], "-", "+"};
        s_runv(a, &n, 4, w);
        assert_true(n > 0);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_follows_keyspace),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_effects_replay),
        cmocka_unit_test(test_random_commands),
        cmocka_unit_test(test_snapshot_round_trip),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
