/* The effect stream: commands whose replay would differ (relative times, randomness,
 * generated IDs, blocking, approximate trims, consumer-group deliveries) are recorded so that
 * replaying every unit into an empty engine, later, rebuilds the same data. The test runs a
 * workload on one engine, replays its backlog into a second one, and compares both with
 * read commands whose replies do not depend on the current time. */
#include <stdio.h>

#include "engine/effects_backlog.h"
#include "tests/unit/engine/engine_harness.h"

typedef th_engine_t s_side_t;

static s_side_t s_a, s_b;

static s_side_t s_new(void) { return th_new(); }

static void s_free(s_side_t *s) { th_free(s); }

#define s_run th_run

#define RUN_A(...)                                                                                 \
    do {                                                                                           \
        size_t n_;                                                                                 \
        free(s_run(&s_a, &n_, __VA_ARGS__, (const char *)NULL));                                   \
    } while (0)

/* The same read on both sides must give the same bytes. */
#define SAME(...)                                                                                  \
    do {                                                                                           \
        size_t na_, nb_;                                                                           \
        char *ra_ = s_run(&s_a, &na_, __VA_ARGS__, (const char *)NULL);                            \
        char *rb_ = s_run(&s_b, &nb_, __VA_ARGS__, (const char *)NULL);                            \
        if (na_ != nb_ || memcmp(ra_, rb_, na_) != 0)                                              \
            fail_msg("%s: original %.*s / replayed %.*s", #__VA_ARGS__, (int)na_, ra_, (int)nb_,   \
                     rb_);                                                                         \
        free(ra_);                                                                                 \
        free(rb_);                                                                                 \
    } while (0)

/* Replays every unit A recorded into B. */
static void s_replay_all(void) {
    uint64_t last = effects_last_seq(s_a.e);
    assert_true(last > 0);
    assert_int_equal(effects_oldest_seq(s_a.e), 1);
    s_b.e->loading = 1;
    for (uint64_t seq = 1; seq <= last; seq++) {
        const char *p;
        size_t len;
        char err[256];
        assert_int_equal(effects_get(s_a.e, seq, &p, &len), 0);
        if (engine_apply_unit(s_b.e, p, len, err, sizeof err) < 0)
            fail_msg("unit %llu: %s", (unsigned long long)seq, err);
    }
    s_b.e->loading = 0;
    effects_set_seq(s_b.e, last);
}

static void test_replay_is_identical(void **state) {
    (void)state;
    s_a = s_new();
    s_b = s_new();
    /* strings and relative times */
    RUN_A("SET", "s1", "v", "EX", "1000");
    RUN_A("SET", "s2", "v", "PX", "123456", "GET");
    RUN_A("SETEX", "s3", "500", "x");
    RUN_A("SET", "n", "1.5");
    RUN_A("INCRBYFLOAT", "n", "0.1");
    RUN_A("EXPIRE", "n", "300");
    RUN_A("SET", "g", "gv");
    RUN_A("GETEX", "g", "EX", "77");
    RUN_A("SET", "gone", "x");
    RUN_A("EXPIRE", "gone", "-1");
    /* random pops */
    RUN_A("SADD", "set", "a", "b", "c", "d", "e", "f", "g", "h", "1", "2");
    RUN_A("SPOP", "set");
    RUN_A("SPOP", "set", "3");
    RUN_A("SADD", "small", "x", "y");
    RUN_A("SPOP", "small", "5");
    RUN_A("HSET", "h", "f", "1.25");
    RUN_A("HINCRBYFLOAT", "h", "f", "0.5");
    /* blocking commands that did not need to wait, multi-pops */
    RUN_A("RPUSH", "l", "1", "2", "3", "4", "5");
    RUN_A("BLPOP", "nothere", "l", "0");
    RUN_A("LMPOP", "1", "l", "RIGHT", "COUNT", "2");
    RUN_A("BLMOVE", "l", "l2", "LEFT", "RIGHT", "0");
    RUN_A("ZADD", "z", "1", "a", "2", "b", "3", "c");
    RUN_A("BZPOPMIN", "z", "0");
    RUN_A("ZMPOP", "1", "z", "MAX");
    /* streams: generated IDs, approximate trims, groups */
    for (int i = 0; i < 300; i++) RUN_A("XADD", "st", "MAXLEN", "~", "120", "*", "f", "v");
    RUN_A("XADD", "st", "1-*", "f", "old");
    RUN_A("XGROUP", "CREATE", "st", "g", "0");
    RUN_A("XREADGROUP", "GROUP", "g", "alice", "COUNT", "5", "STREAMS", "st", ">");
    RUN_A("XREADGROUP", "GROUP", "g", "bob", "COUNT", "3", "NOACK", "STREAMS", "st", ">");
    RUN_A("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "st", "0");
    RUN_A("XAUTOCLAIM", "st", "g", "carol", "0", "0", "COUNT", "2");
    RUN_A("XTRIM", "st", "MAXLEN", "~", "50");
    /* a transaction is one unit */
    RUN_A("MULTI");
    RUN_A("INCR", "m");
    RUN_A("SET", "m2", "v", "EX", "60");
    RUN_A("EXEC");

    s_replay_all();

    /* not vacuous: the keys are there (KEYS order depends on each dict's history) */
    size_t n;
    char *r = s_run(&s_a, &n, "DBSIZE", (const char *)NULL);
    if (!memmem(r, n, ":13\r\n", 5)) fail_msg("DBSIZE %.*s", (int)n, r);
    free(r);
    SAME("DBSIZE");
    const char *keys[] = {"s1", "s2", "s3", "n", "g", "gone", "set", "small", "h", "l", "l2", "z",
                          "st", "m", "m2", "nothere"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        SAME("TYPE", keys[i]);
        SAME("OBJECT", "ENCODING", keys[i]);
    }
    SAME("GET", "s1");
    SAME("PEXPIRETIME", "s1");
    SAME("PEXPIRETIME", "s2");
    SAME("PEXPIRETIME", "s3");
    SAME("GET", "n");
    SAME("PEXPIRETIME", "n");
    SAME("PEXPIRETIME", "g");
    SAME("EXISTS", "gone");
    SAME("SORT", "set", "ALPHA");
    SAME("EXISTS", "small");
    SAME("HGET", "h", "f");
    SAME("LRANGE", "l", "0", "-1");
    SAME("LRANGE", "l2", "0", "-1");
    SAME("ZRANGE", "z", "0", "-1", "WITHSCORES");
    SAME("XLEN", "st");
    SAME("XRANGE", "st", "-", "+");
    SAME("XPENDING", "st", "g");
    SAME("XINFO", "GROUPS", "st");
    SAME("GET", "m");
    SAME("PEXPIRETIME", "m2");
    s_free(&s_a);
    s_free(&s_b);
}

/* Expiry and eviction are recorded as DEL, inside the unit of the command that caused them. */
static void test_expired_key_becomes_del(void **state) {
    (void)state;
    s_a = s_new();
    RUN_A("SET", "k", "v", "PX", "1");
    uint64_t before = effects_last_seq(s_a.e);
    s_a.e->now_ms += 10;
    /* a read finds it expired: the DEL is recorded though GET itself records nothing */
    size_t n;
    proto_arg_t get[2] = {EFF_LIT("GET"), EFF_LIT("k")};
    s_a.c->fe->out.len = 0;
    s_a.c->fe->out_client = NULL;
    engine_execute(s_a.e, s_a.c, 2, get);
    (void)n;
    assert_int_equal(effects_last_seq(s_a.e), before + 1);
    const char *p;
    size_t len;
    assert_int_equal(effects_get(s_a.e, before + 1, &p, &len), 0);
    assert_non_null(memmem(p, len, "DEL", 3));
    s_free(&s_a);
}

/* Damaged units are refused before anything is applied. */
static void test_malformed_unit_refused(void **state) {
    (void)state;
    s_b = s_new();
    char err[256];
    assert_int_equal(engine_apply_unit(s_b.e, "\x01\x00\x00", 3, err, sizeof err), -1);
    /* one command claiming 5 arguments with only one present */
    char bad[] = {1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 3, 0, 0, 0, 'S', 'E', 'T'};
    assert_int_equal(engine_apply_unit(s_b.e, bad, sizeof bad, err, sizeof err), -1);
    s_free(&s_b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_is_identical),
        cmocka_unit_test(test_expired_key_becomes_del),
        cmocka_unit_test(test_malformed_unit_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
