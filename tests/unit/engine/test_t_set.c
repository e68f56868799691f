/* Unit tests for engine/types/t_set.c: the type API (encodings, conversion at the configured
 * threshold, dup, iteration order, SPOP's member hand-out for the effect stream) and what the
 * diff scripts cannot see from outside: dirty and hit/miss counters as Redis 7.0 counts them,
 * TTLs of stored results, and the fairness of the random picks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/types/t_set.h"
#include "shared/util.h"

typedef struct {
    engine_t *e;
    client_t *c;
    size_t hdr; /* bytes of record framing before a reply's RESP */
} s_ctx_t;

static s_ctx_t s_ctx;

/* Runs one command given as NUL-terminated words (NULL-terminated list); returns the reply
 * bytes, valid until the next call. */
static const char *s_run_v(size_t *len, const char *first, va_list ap) {
    proto_arg_t argv[64];
    int argc = 0;
    for (const char *w = first; w; w = va_arg(ap, const char *)) {
        assert_true(argc < 64);
        argv[argc].ptr = w;
        argv[argc].len = strlen(w);
        argc++;
    }
    frontend_t *fe = s_ctx.c->fe;
    fe->out.len = 0;
    fe->out_client = NULL;
    fe->out_count = 0;
    s_ctx.e->now_ms = now_ms();
    engine_execute(s_ctx.e, s_ctx.c, argc, argv);
    assert_true(fe->out.len >= s_ctx.hdr);
    *len = fe->out.len - s_ctx.hdr;
    return (const char *)fe->out.data + s_ctx.hdr;
}

static const char *s_run(size_t *len, const char *first, ...) {
    va_list ap;
    va_start(ap, first);
    const char *r = s_run_v(len, first, ap);
    va_end(ap);
    return r;
}

/* Runs a command and checks its reply is exactly expect. */
#define CHECK(expect, ...)                                                                         \
    do {                                                                                           \
        size_t n_;                                                                                 \
        const char *r_ = s_run(&n_, __VA_ARGS__, (const char *)NULL);                              \
        if (n_ != strlen(expect) || memcmp(r_, expect, n_) != 0)                                   \
            fail_msg("reply %.*s, expected %s", (int)n_, r_, expect);                              \
    } while (0)

/* Runs a command and checks how much dirty grew. */
#define DIRTY(delta, ...)                                                                          \
    do {                                                                                           \
        long long d0_ = s_ctx.e->stats.dirty;                                                      \
        size_t n_;                                                                                 \
        s_run(&n_, __VA_ARGS__, (const char *)NULL);                                               \
        assert_int_equal(s_ctx.e->stats.dirty - d0_, (delta));                                     \
    } while (0)

static int s_setup(void **state) {
    (void)state;
    s_ctx.e = engine_new_for_test();
    s_ctx.c = client_new(s_ctx.e, s_ctx.e->frontends, 1);
    s_ctx.hdr = 0;
    size_t n;
    s_run(&n, "GET", "__probe__", (const char *)NULL);
    s_ctx.hdr = n - 5; /* the reply was "$-1\r\n": everything before it is record framing */
    assert_memory_equal(s_ctx.c->fe->out.data + s_ctx.hdr, "$-1\r\n", 5);
    return 0;
}

static int s_teardown(void **state) {
    (void)state;
    client_free(s_ctx.e, s_ctx.c);
    engine_free_for_test(s_ctx.e);
    return 0;
}

static int s_flush(void **state) {
    (void)state;
    db_flush(s_ctx.e, -1);
    s_ctx.e->cfg.set_max_intset_entries = 512;
    return 0;
}

static vobj_t *s_peek(const char *key) { return db_peek(s_ctx.c->db, key, strlen(key)); }

static int s_add(vobj_t *set, const char *m) { return set_type_add(s_ctx.e, set, m, strlen(m)); }

static int s_has(const vobj_t *set, const char *m) { return set_type_is_member(set, m, strlen(m)); }

/* ---- the type API ---- */

static void test_api_encodings(void **state) {
    (void)state;
    s_ctx.e->cfg.set_max_intset_entries = 3;
    vobj_t *s = set_type_create("12", 2);
    assert_int_equal(s->type, OBJ_SET);
    assert_int_equal(s->enc, ENC_INTSET);
    assert_int_equal(s_add(s, "12"), 1);
    assert_int_equal(s_add(s, "12"), 0);
    assert_int_equal(s_add(s, "-5"), 1);
    assert_int_equal(s_add(s, "9223372036854775807"), 1);
    assert_int_equal(s->enc, ENC_INTSET);
    assert_int_equal(set_type_size(s), 3);
    assert_true(s_has(s, "-5"));
    assert_false(s_has(s, "012"));
    assert_false(s_has(s, "+12"));
    assert_false(s_has(s, "x"));

    /* ascending iteration */
    set_iter_t it;
    set_member_t m;
    int64_t prev = INT64_MIN;
    int n = 0;
    set_iter_init(&it, s);
    while (set_iter_next(&it, &m)) {
        assert_null(m.p);
        assert_true(m.ll > prev || n == 0);
        prev = m.ll;
        n++;
    }
    set_iter_done(&it);
    assert_int_equal(n, 3);

    /* a copy keeps the encoding and is independent */
    vobj_t *d = set_type_dup(s);
    assert_int_equal(d->enc, ENC_INTSET);
    assert_int_equal(set_type_remove(d, "12", 2), 1);
    assert_true(s_has(s, "12"));

    /* the fourth integer passes the threshold of 3 */
    assert_int_equal(s_add(s, "7"), 1);
    assert_int_equal(s->enc, ENC_HT);
    assert_true(s_has(s, "7"));
    assert_true(s_has(s, "9223372036854775807"));
    assert_false(s_has(s, "8"));
    assert_int_equal(set_type_remove(s, "7", 1), 1);
    assert_int_equal(set_type_remove(s, "7", 1), 0);
    assert_int_equal(s->enc, ENC_HT); /* never back */
    assert_true(set_type_mem(s) > sizeof(vobj_t));

    vobj_t *h = set_type_create("a", 1);
    assert_int_equal(h->enc, ENC_HT);
    assert_int_equal(s_add(h, "a\0b"), 1); /* strlen: "a" */
    assert_int_equal(set_type_add(s_ctx.e, h, "a\0b", 3), 1);
    assert_int_equal(set_type_size(h), 2);
    assert_true(set_type_is_member(h, "a\0b", 3));
    vobj_t *hd = set_type_dup(h);
    assert_int_equal(hd->enc, ENC_HT);
    assert_int_equal(set_type_size(hd), 2);
    assert_true(set_type_is_member(hd, "a\0b", 3));

    /* a long member takes the lookup path for big strings */
    char big[5000];
    memset(big, 'q', sizeof big);
    assert_int_equal(set_type_add(s_ctx.e, h, big, sizeof big), 1);
    assert_true(set_type_is_member(h, big, sizeof big));
    assert_int_equal(set_type_remove(h, big, sizeof big), 1);

    /* threshold 0: even one integer makes a hashtable */
    s_ctx.e->cfg.set_max_intset_entries = 0;
    vobj_t *z = set_type_create("1", 1);
    assert_int_equal(z->enc, ENC_INTSET);
    assert_int_equal(s_add(z, "1"), 1);
    assert_int_equal(z->enc, ENC_HT);

    obj_free(s);
    obj_free(d);
    obj_free(h);
    obj_free(hd);
    obj_free(z);
}

/* ---- SPOP's member hand-out ---- */

typedef struct {
    char **members;
    size_t n;
} s_popped_t;

static void s_collect(void *priv, const char *p, size_t len) {
    s_popped_t *pp = priv;
    pp->members = realloc(pp->members, (pp->n + 1) * sizeof *pp->members);
    assert_non_null(pp->members);
    pp->members[pp->n] = strndup(p, len);
    pp->n++;
}

static void s_check_pop(int kind, uint64_t count) {
    char buf[32];
    vobj_t *s = kind == 0 ? set_type_new_intset() : set_type_new_ht(0);
    for (int i = 0; i < 100; i++) {
        if (kind == 2)
            snprintf(buf, sizeof buf, "m%d", i);
        else
            snprintf(buf, sizeof buf, "%d", i);
        s_add(s, buf);
    }
    int was_ht = s->enc == ENC_HT;
    s_popped_t pp = {NULL, 0};
    set_type_pop_count(s_ctx.e, s, count, s_collect, &pp);
    assert_int_equal(pp.n, count);
    assert_int_equal(set_type_size(s), 100 - count);
    char seen[100] = {0};
    for (size_t i = 0; i < pp.n; i++) {
        int v = atoi(pp.members[i] + (kind == 2));
        assert_true(v >= 0 && v < 100);
        assert_false(seen[v]); /* handed out once */
        seen[v] = 1;
        assert_false(s_has(s, pp.members[i])); /* and really gone */
        free(pp.members[i]);
    }
    free(pp.members);
    for (int i = 0; i < 100; i++) {
        if (kind == 2)
            snprintf(buf, sizeof buf, "m%d", i);
        else
            snprintf(buf, sizeof buf, "%d", i);
        assert_int_equal(s_has(s, buf), !seen[i]);
    }
    /* most of a hashtable of integers popped: the rest is rebuilt, as an intset */
    if (kind == 1 && (100 - count) * 5 <= count)
        assert_int_equal(s->enc, ENC_INTSET);
    else if (was_ht)
        assert_int_equal(s->enc, ENC_HT);
    obj_free(s);
}

static void test_pop_count(void **state) {
    (void)state;
    uint64_t counts[] = {1, 10, 50, 83, 84, 90, 99};
    for (int kind = 0; kind < 3; kind++) {
        s_ctx.e->cfg.set_max_intset_entries = kind == 1 ? 50 : 512; /* kind 1: ints, hashtable */
        for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
            s_check_pop(kind, counts[i]);
    }
}

static void test_pop_random(void **state) {
    (void)state;
    for (int kind = 0; kind < 2; kind++) {
        vobj_t *s = kind ? set_type_create("a", 1) : set_type_new_intset();
        char buf[32];
        for (int i = 0; i < 50; i++) {
            snprintf(buf, sizeof buf, kind ? "a%d" : "%d", i);
            s_add(s, buf);
        }
        char seen[50] = {0};
        for (int i = 0; i < 50; i++) {
            vstr_t *m = set_type_pop_random(s);
            int v = atoi(m->ptr + kind);
            assert_false(seen[v]);
            seen[v] = 1;
            vstr_free(m);
        }
        assert_int_equal(set_type_size(s), 0);
        obj_free(s);
    }
}

/* ---- fairness: Pearson's chi-square over 10 members, as Redis's own test (df 9; 40 is
 * far beyond any plausible value of a fair pick) ---- */

static double s_chi_square(const int *counts, int k, int draws) {
    double expect = (double)draws / k, chi = 0;
    for (int i = 0; i < k; i++)
        chi += (counts[i] - expect) * (counts[i] - expect) / expect;
    return chi;
}

static void test_random_fair(void **state) {
    (void)state;
    for (int kind = 0; kind < 2; kind++) {
        vobj_t *s = kind ? set_type_create("a", 1) : set_type_new_intset();
        char buf[32];
        for (int i = 0; i < 10; i++) {
            snprintf(buf, sizeof buf, kind ? "a%d" : "%d", i);
            s_add(s, buf);
        }
        int counts[10] = {0};
        for (int i = 0; i < 10000; i++) {
            set_member_t m;
            set_type_random(s, &m);
            size_t len;
            const char *p = set_member_str(&m, buf, &len);
            counts[atoi(p + kind)]++;
        }
        assert_true(s_chi_square(counts, 10, 10000) < 40);
        obj_free(s);
    }
}

/* SRANDMEMBER and SPOP through the dispatcher: right counts, distinct members when the count
 * is positive, and a fair spread over many calls. */
static void test_srandmember_spop_commands(void **state) {
    (void)state;
    CHECK(":10\r\n", "SADD", "s", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    CHECK(":10\r\n", "SADD", "h", "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9");
    const char *keys[] = {"s", "h"};
    for (int k = 0; k < 2; k++) {
        int counts[10] = {0};
        for (int round = 0; round < 1000; round++) {
            for (int which = 0; which < 3; which++) {
                const char *cnt = which == 0 ? "3" : which == 1 ? "8" : "-4";
                size_t n;
                const char *r = s_run(&n, "SRANDMEMBER", keys[k], cnt, (const char *)NULL);
                int want = which == 0 ? 3 : which == 1 ? 8 : 4;
                char hdr[8];
                snprintf(hdr, sizeof hdr, "*%d\r\n", want);
                assert_memory_equal(r, hdr, strlen(hdr));
                const char *p = r + strlen(hdr);
                char seen[10] = {0};
                for (int i = 0; i < want; i++) {
                    /* $N\r\n<member>\r\n with the digit last */
                    const char *nl = strchr(p, '\n');
                    int len = atoi(p + 1);
                    int v = nl[len] - '0';
                    assert_true(v >= 0 && v <= 9);
                    if (which != 2) {
                        assert_false(seen[v]);
                        seen[v] = 1;
                    }
                    if (which == 0) counts[v]++;
                    p = nl + 1 + len + 2;
                }
                assert_int_equal(p - r, (long)n);
            }
        }
        assert_true(s_chi_square(counts, 10, 3000) < 40);
    }
    /* SPOP's first pick from a fresh 10-member set, many times */
    int counts[10] = {0};
    for (int round = 0; round < 2000; round++) {
        CHECK(":10\r\n", "SADD", "p", "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9");
        size_t n;
        const char *r = s_run(&n, "SPOP", "p", (const char *)NULL);
        assert_int_equal(n, 8); /* $2\r\nxD\r\n */
        counts[r[5] - '0']++;
        CHECK(":1\r\n", "DEL", "p");
    }
    assert_true(s_chi_square(counts, 10, 2000) < 40);
}

/* ---- dirty, hits and misses, as measured on redis-server 7.0 ---- */

static void test_dirty(void **state) {
    (void)state;
    DIRTY(3, "SADD", "s", "1", "2", "3");
    DIRTY(0, "SADD", "s", "1", "2", "3");
    DIRTY(1, "SADD", "s", "4", "4");
    DIRTY(0, "SREM", "s", "9");
    DIRTY(2, "SREM", "s", "1", "9", "2");
    DIRTY(0, "SREM", "nokey", "1");
    DIRTY(4, "SADD", "a", "1", "2", "3", "x");
    DIRTY(3, "SADD", "b", "2", "3", "4");
    DIRTY(1, "SINTERSTORE", "d", "a", "b");
    DIRTY(1, "SINTERSTORE", "d", "a", "nokey");
    DIRTY(0, "SINTERSTORE", "d", "a", "nokey");
    DIRTY(1, "SUNIONSTORE", "d", "a", "b");
    DIRTY(1, "SUNIONSTORE", "d", "nokey");
    DIRTY(0, "SUNIONSTORE", "d", "nokey");
    DIRTY(1, "SDIFFSTORE", "d", "a", "b");
    DIRTY(1, "SDIFFSTORE", "d", "a", "a");
    DIRTY(0, "SDIFFSTORE", "d", "a", "a");
    DIRTY(2, "SMOVE", "a", "b", "x");
    DIRTY(1, "SMOVE", "a", "b", "2");
    DIRTY(0, "SMOVE", "a", "b", "9");
    DIRTY(0, "SMOVE", "nokey", "b", "9");
    DIRTY(0, "SMOVE", "a", "a", "1");
    DIRTY(2, "SMOVE", "a", "c", "1");
    DIRTY(1, "SPOP", "b");
    DIRTY(0, "SPOP", "nokey");
    DIRTY(0, "SPOP", "b", "0");
    DIRTY(1, "SPOP", "b", "1");
    DIRTY(2, "SPOP", "b", "100"); /* the members there were, not the count asked */
    DIRTY(10, "SADD", "p", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10");
    DIRTY(2, "SPOP", "p", "2");
    DIRTY(7, "SPOP", "p", "7");
    DIRTY(1, "SPOP", "p", "5");
    DIRTY(0, "SRANDMEMBER", "c", "-5");
    DIRTY(0, "SINTER", "a", "c");
}

static void test_hits_misses(void **state) {
    (void)state;
    engine_stats_t *st = &s_ctx.e->stats;
    CHECK(":3\r\n", "SADD", "a", "1", "2", "3");
    CHECK(":2\r\n", "SADD", "b", "2", "9");
    long long h = st->keyspace_hits, m = st->keyspace_misses;
    CHECK(":1\r\n", "SISMEMBER", "a", "1");
    CHECK(":0\r\n", "SISMEMBER", "nokey", "1");
    CHECK(":3\r\n", "SCARD", "a");
    CHECK("*2\r\n:1\r\n:0\r\n", "SMISMEMBER", "a", "1", "7");
    assert_int_equal(st->keyspace_hits, h + 3);
    assert_int_equal(st->keyspace_misses, m + 1);
    /* the set operations read every key, STORE forms included */
    CHECK("*0\r\n", "SINTER", "a", "b", "nokey");
    CHECK(":1\r\n", "SINTERSTORE", "d", "a", "b");
    CHECK(":1\r\n", "SINTERCARD", "2", "a", "b");
    CHECK(":4\r\n", "SUNIONSTORE", "d", "a", "b", "nokey");
    assert_int_equal(st->keyspace_hits, h + 3 + 8);
    assert_int_equal(st->keyspace_misses, m + 1 + 2);
    /* writes look up without counting, except SPOP of the whole set, which Redis answers
     * through a SUNION of the key */
    CHECK(":1\r\n", "SADD", "a", "4");
    CHECK(":1\r\n", "SREM", "a", "4");
    CHECK(":1\r\n", "SMOVE", "a", "b", "3");
    size_t n;
    s_run(&n, "SPOP", "b", "1", (const char *)NULL); /* a random one of three */
    assert_int_equal(st->keyspace_hits, h + 11);
    CHECK("*2\r\n$1\r\n1\r\n$1\r\n2\r\n", "SPOP", "a", "2");
    assert_int_equal(st->keyspace_hits, h + 12);
    assert_int_equal(st->keyspace_misses, m + 3);
}

/* ---- stored results replace the destination and its TTL ---- */

static void test_store_ttl(void **state) {
    (void)state;
    db_t *db = s_ctx.c->db;
    CHECK(":2\r\n", "SADD", "a", "1", "2");
    CHECK(":1\r\n", "SADD", "t", "x");
    CHECK(":1\r\n", "EXPIRE", "t", "100");
    assert_true(db_get_expire(db, "t", 1) > 0);
    CHECK(":2\r\n", "SUNIONSTORE", "t", "a");
    assert_int_equal(db_get_expire(db, "t", 1), -1);
    assert_int_equal(s_peek("t")->enc, ENC_INTSET);
    CHECK(":1\r\n", "EXPIRE", "t", "100");
    CHECK(":1\r\n", "SADD", "t", "3");
    assert_true(db_get_expire(db, "t", 1) > 0); /* SADD keeps it */
    CHECK(":0\r\n", "SINTERSTORE", "t", "a", "nokey");
    assert_null(s_peek("t"));
    assert_int_equal(db_get_expire(db, "t", 1), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_api_encodings, s_flush),
        cmocka_unit_test_setup(test_pop_count, s_flush),
        cmocka_unit_test_setup(test_pop_random, s_flush),
        cmocka_unit_test_setup(test_random_fair, s_flush),
        cmocka_unit_test_setup(test_srandmember_spop_commands, s_flush),
        cmocka_unit_test_setup(test_dirty, s_flush),
        cmocka_unit_test_setup(test_hits_misses, s_flush),
        cmocka_unit_test_setup(test_store_ttl, s_flush),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
