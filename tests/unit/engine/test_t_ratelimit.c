/* Unit tests for engine/types/t_ratelimit.c: the sliding-window log alone (exact window edges,
 * COST, retry times, bursts in one millisecond taking one entry, memory bounded by max, a
 * randomized comparison with a log of every allowed request), the commands at a clock the
 * test sets (replies, PEEK consuming nothing, RESET, the key's TTL, errors), and the
 * persistence round trip: replayed at another time, the logs are the same. */
#include "tests/unit/engine/vole_cmd_harness.h"

#include "engine/types/t_ratelimit.h"

/* ---- the log ---- */

static void test_exact_window(void **state) {
    (void)state;
    ratelimit_t *rl = rl_new();
    rl_result_t r;
    for (int i = 0; i < 3; i++) {
        r = rl_take(rl, 100 * i, 3, 1000, 1);
        assert_int_equal(r.allowed, 1);
        assert_int_equal(r.remaining, 2 - i);
        assert_int_equal(r.retry_after_ms, 0);
        assert_int_equal(r.reset_at_ms, 1000); /* the first request leaves at 0 + 1000 */
    }
    r = rl_take(rl, 300, 3, 1000, 1);
    assert_int_equal(r.allowed, 0);
    assert_int_equal(r.remaining, 0);
    assert_int_equal(r.retry_after_ms, 700);
    assert_int_equal(r.reset_at_ms, 1000);
    r = rl_take(rl, 999, 3, 1000, 1); /* still inside: the window is exact */
    assert_int_equal(r.allowed, 0);
    assert_int_equal(r.retry_after_ms, 1);
    r = rl_take(rl, 1000, 3, 1000, 1); /* the request at 0 has left */
    assert_int_equal(r.allowed, 1);
    assert_int_equal(r.remaining, 0);
    assert_int_equal(r.reset_at_ms, 1100);
    /* COST 2 needs the two oldest (100 and 200) gone: at 1200 */
    r = rl_take(rl, 1050, 3, 1000, 2);
    assert_int_equal(r.allowed, 0);
    assert_int_equal(r.retry_after_ms, 150);
    r = rl_take(rl, 1200, 3, 1000, 2);
    assert_int_equal(r.allowed, 1);
    assert_int_equal(r.remaining, 0);
    assert_int_equal(rl->total, 3);
    rl_free(rl);
}

static void test_bursts_and_memory(void **state) {
    (void)state;
    ratelimit_t *rl = rl_new();
    /* a burst in one millisecond is one entry */
    for (int i = 0; i < 50; i++) assert_int_equal(rl_take(rl, 5, 100, 1000, 1).allowed, 1);
    assert_int_equal(rl->len, 1);
    assert_int_equal(rl->total, 50);
    rl_free(rl);
    /* a long steady stream never holds more than max entries, and the ring shrinks back */
    rl = rl_new();
    int64_t t = 0;
    for (int i = 0; i < 200000; i++, t += 3) {
        rl_take(rl, t, 100, 1000, 1);
        assert_true(rl->len <= 100);
    }
    assert_true(rl->cap <= 256);
    rl_take(rl, t + 5000, 100, 1000, 1);
    assert_int_equal(rl->len, 1);
    assert_true(rl->cap <= 32);
    rl_free(rl);
}

/* Against a plain log of every allowed request: the verdicts and all four numbers agree. */
static void test_random_against_log(void **state) {
    (void)state;
    enum { N = 5000 };
    static int64_t log_ts[N * 4];
    int nlog = 0;
    ratelimit_t *rl = rl_new();
    srand(11);
    int64_t t = 0, max = 20, window = 700;
    for (int step = 0; step < N; step++) {
        t += rand() % 3 == 0 ? rand() % 200 : rand() % 5;
        int64_t cost = 1 + rand() % 3;
        int64_t used = 0, first = -1;
        for (int i = 0; i < nlog; i++)
            if (log_ts[i] + window > t) {
                used++;
                if (first < 0) first = i;
            }
        rl_result_t r = rl_take(rl, t, max, window, cost);
        int allowed = used + cost <= max;
        assert_int_equal(r.allowed, allowed);
        if (allowed) {
            assert_int_equal(r.remaining, max - used - cost);
            for (int k = 0; k < cost; k++) log_ts[nlog++] = t;
            if (first < 0) first = nlog - cost;
            assert_int_equal(r.reset_at_ms, log_ts[first] + window);
        } else {
            assert_int_equal(r.remaining, max - used);
            /* the (used + cost - max)-th oldest counted request leaving frees enough */
            int64_t need = used + cost - max;
            assert_int_equal(r.retry_after_ms, log_ts[first + need - 1] + window - t);
            assert_int_equal(r.reset_at_ms, log_ts[first] + window);
        }
        assert_int_equal(rl_count(rl, t, window), (uint64_t)(allowed ? used + cost : used));
    }
    ratelimit_t *d = rl_dup(rl);
    assert_int_equal(d->len, rl->len);
    assert_int_equal(d->total, rl->total);
    for (uint32_t i = 0; i < rl->len; i++) {
        assert_int_equal(rl_at(d, i)->ts, rl_at(rl, i)->ts);
        assert_int_equal(rl_at(d, i)->n, rl_at(rl, i)->n);
    }
    rl_free(d);
    rl_free(rl);
}

/* ---- commands ---- */

static void test_commands(void **state) {
    (void)state;
    H.now = 1000000;
    CHECK("*4\r\n:1\r\n:2\r\n:0\r\n:1060000\r\n", "RATELIMIT", "api", "3", "60");
    CHECK("+ratelimit\r\n", "TYPE", "api");
    /* gone one to two windows after its newest request: the TTL moves a window ahead when
     * it falls short */
    CHECK(":120000\r\n", "PTTL", "api");
    H.now += 1000;
    CHECK("*4\r\n:1\r\n:0\r\n:0\r\n:1060000\r\n", "RATELIMIT", "api", "3", "60", "COST", "2");
    CHECK(":119000\r\n", "PTTL", "api");
    CHECK("*4\r\n:0\r\n:0\r\n:59000\r\n:1060000\r\n", "RATELIMIT.PEEK", "api");
    CHECK("*4\r\n:0\r\n:0\r\n:59000\r\n:1060000\r\n", "RATELIMIT.PEEK", "api", "3", "60");
    CHECK("*4\r\n:1\r\n:7\r\n:0\r\n:1060000\r\n", "RATELIMIT.PEEK", "api", "10", "60");
    CHECK("*4\r\n:0\r\n:0\r\n:59000\r\n:1060000\r\n", "RATELIMIT", "api", "3", "60");
    H.now = 1060000; /* the first request leaves; the two of COST 2 stay until 1061000 */
    CHECK("*4\r\n:1\r\n:0\r\n:0\r\n:1061000\r\n", "RATELIMIT", "api", "3", "60");
    CHECK(":60000\r\n", "PTTL", "api");
    H.now = 1090000; /* the new newest needs the key until 1150000: moved a window further */
    RUN("RATELIMIT", "api", "3", "60");
    CHECK(":120000\r\n", "PTTL", "api");
    CHECK(":1\r\n", "RATELIMIT.RESET", "api");
    CHECK(":0\r\n", "RATELIMIT.RESET", "api");
    CHECK("$-1\r\n", "RATELIMIT.PEEK", "api");
    CHECK("*4\r\n:1\r\n:5\r\n:0\r\n:1090000\r\n", "RATELIMIT.PEEK", "api", "5", "1");
    /* fractional windows are milliseconds */
    CHECK("*4\r\n:1\r\n:0\r\n:0\r\n:1090250\r\n", "RATELIMIT", "fast", "1", "0.25");
    CHECK("*4\r\n:0\r\n:0\r\n:250\r\n:1090250\r\n", "RATELIMIT", "fast", "1", "0.25");
    H.now += 250;
    CHECK("*4\r\n:1\r\n:0\r\n:0\r\n:1090500\r\n", "RATELIMIT", "fast", "1", "0.25");
}

static void test_errors(void **state) {
    (void)state;
    CHECK("-ERR max must be a positive integer (at most 4294967295)\r\n", "RATELIMIT", "k", "0",
          "10");
    CHECK("-ERR window must be a positive number of seconds\r\n", "RATELIMIT", "k", "5", "0");
    CHECK("-ERR window must be a positive number of seconds\r\n", "RATELIMIT", "k", "5", "abc");
    CHECK("-ERR COST must be a positive integer\r\n", "RATELIMIT", "k", "5", "1", "COST", "0");
    CHECK("-ERR COST must not exceed max: such a request could never be allowed\r\n", "RATELIMIT",
          "k", "5", "1", "COST", "6");
    CHECK("-ERR syntax error\r\n", "RATELIMIT", "k", "5", "1", "COST");
    CHECK("-ERR syntax error\r\n", "RATELIMIT.PEEK", "k", "5");
    CHECK(":0\r\n", "EXISTS", "k");
    CHECK("+OK\r\n", "SET", "s", "x");
    CHECK("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "RATELIMIT",
          "s", "5", "1");
    CHECK("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
          "RATELIMIT.RESET", "s");
    CHECK("-ERR vole.ratelimit is internal: it only replays recorded effects\r\n",
          "VOLE.RATELIMIT", "k", "5", "1000", "1", "1000");
}

static void test_denied_records_nothing(void **state) {
    (void)state;
    RUN("RATELIMIT", "k", "1", "10");
    uint64_t s0 = effects_last_seq(H.e);
    long long d0 = H.e->stats.dirty;
    RUN("RATELIMIT", "k", "1", "10"); /* denied, nothing left the window: no change */
    assert_int_equal(effects_last_seq(H.e), s0);
    assert_int_equal(H.e->stats.dirty, d0);
    RUN("RATELIMIT.PEEK", "k");
    assert_int_equal(effects_last_seq(H.e), s0);
}

static void s_dump(engine_t *e, const char *key, char *buf, size_t cap) {
    vobj_t *o = db_peek(&e->dbs[0], key, strlen(key));
    if (!o) {
        snprintf(buf, cap, "(none)");
        return;
    }
    assert_int_equal(o->type, OBJ_RATELIMIT);
    const ratelimit_t *rl = o->v.p;
    int n = snprintf(buf, cap, "max %lld win %lld ttl %lld;", (long long)rl->max,
                     (long long)rl->window_ms, (long long)db_get_expire(&e->dbs[0], key, strlen(key)));
    for (uint32_t i = 0; i < rl->len && (size_t)n < cap; i++)
        n += snprintf(buf + n, cap - (size_t)n, "%lld*%u;", (long long)rl_at(rl, i)->ts,
                      rl_at(rl, i)->n);
}

/* Dumps keys a and b of H.e, rebuilds them in a fresh engine and compares. */
static void s_assert_rebuilt_same(engine_t *(*rebuild)(void)) {
    static char x[2][1 << 14], y[1 << 14];
    const char *keys[] = {"a", "b"};
    for (int i = 0; i < 2; i++) s_dump(H.e, keys[i], x[i], sizeof x[i]);
    engine_t *b = rebuild();
    for (int i = 0; i < 2; i++) {
        s_dump(b, keys[i], y, sizeof y);
        if (strcmp(x[i], y) != 0) fail_msg("%s differs:\n  %s\n  %s", keys[i], x[i], y);
    }
}

static void test_replay_round_trip(void **state) {
    (void)state;
    srand(3);
    for (int i = 0; i < 300; i++) {
        H.now += rand() % 40;
        char cost[8], win[8];
        snprintf(cost, sizeof cost, "%d", 1 + rand() % 3);
        snprintf(win, sizeof win, "%d", 1 + rand() % 2); /* the window changes between calls */
        RUN("RATELIMIT", i % 3 ? "a" : "b", "10", win, "COST", cost);
        if (i == 150) RUN("RATELIMIT.RESET", "b");
    }
    s_assert_rebuilt_same(h_replay_all); /* replayed now: decades after the recorded times */
}

static void test_snapshot_round_trip(void **state) {
    (void)state;
    for (int i = 0; i < 40; i++) {
        H.now += 7;
        RUN("RATELIMIT", i % 2 ? "a" : "b", "30", "5", "COST", i % 3 ? "1" : "2");
    }
    s_assert_rebuilt_same(h_snapshot_round_trip);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_window),
        cmocka_unit_test(test_bursts_and_memory),
        cmocka_unit_test(test_random_against_log),
        cmocka_unit_test_setup(test_commands, h_fresh),
        cmocka_unit_test_setup(test_errors, h_fresh),
        cmocka_unit_test_setup(test_denied_records_nothing, h_fresh),
        cmocka_unit_test_setup(test_replay_round_trip, h_fresh),
        cmocka_unit_test_setup(test_snapshot_round_trip, h_fresh),
    };
    return cmocka_run_group_tests(tests, h_setup, h_teardown);
}
