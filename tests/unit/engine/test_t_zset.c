/* Unit tests for the sorted set type API (engine/types/t_zset.h): both encodings driven with
 * the same random operations must agree member for member, rank for rank; conversions at the
 * thresholds; iterators over ranks, score and lexicographic intervals; ZADD's flags. Through
 * the dispatcher: ZRANDMEMBER's picks (distinct when asked, covering every member evenly)
 * and the dirty counter, which the diff scripts cannot see. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/types/t_zset.h"

static engine_config_t s_cfg;

static int s_setup(void **state) {
    (void)state;
    engine_config_defaults(&s_cfg);
    return 0;
}

/* Both objects hold the same members in the same order with the same scores. */
static void s_same(const vobj_t *a, const vobj_t *b) {
    assert_int_equal(zset_length(a), zset_length(b));
    zset_iter_t ia, ib;
    zset_iter_rank(&ia, a, 0, 0);
    zset_iter_rank(&ib, b, 0, 0);
    const char *ma, *mb;
    size_t la, lb;
    double sa, sb;
    unsigned long n = 0;
    while (zset_iter_next(&ia, &ma, &la, &sa)) {
        assert_true(zset_iter_next(&ib, &mb, &lb, &sb));
        assert_int_equal(la, lb);
        assert_memory_equal(ma, mb, la);
        assert_true(sa == sb);
        assert_int_equal(zset_rank(a, ma, la, 0), n);
        assert_int_equal(zset_rank(b, ma, la, 0), n);
        assert_int_equal(zset_rank(b, ma, la, 1), zset_length(b) - 1 - n);
        double s;
        assert_int_equal(zset_score(b, ma, la, &s), 0);
        assert_true(s == sa);
        n++;
    }
    assert_false(zset_iter_next(&ib, &mb, &lb, &sb));
    assert_int_equal(n, zset_length(a));
}

static void test_encodings_agree(void **state) {
    (void)state;
    engine_config_t big = s_cfg;
    big.zset_max_listpack_entries = 1 << 20;
    big.zset_max_listpack_value = 1 << 20;
    vobj_t *lp = zset_create_enc(ENC_LISTPACK), *sk = zset_create_enc(ENC_SKIPLIST);
    srand(1234);
    for (int step = 0; step < 20000; step++) {
        char m[16];
        int len = snprintf(m, sizeof m, "k%d", rand() % 300);
        double score = (double)(rand() % 40) / 2 - 5;
        int op = rand() % 10;
        if (op < 6) {
            int flags =
                (int[]){ZADD_IN_NONE, ZADD_IN_INCR,           ZADD_IN_NX, ZADD_IN_XX, ZADD_IN_GT,
                        ZADD_IN_LT,   ZADD_IN_XX | ZADD_IN_GT}[rand() % 7];
            int oa, ob;
            double na = 0, nb = 0;
            int ra = zset_add(&big, lp, score, m, (size_t)len, flags, &oa, &na);
            int rb = zset_add(&big, sk, score, m, (size_t)len, flags, &ob, &nb);
            assert_int_equal(ra, rb);
            assert_int_equal(oa, ob);
            if (!(oa & ZADD_OUT_NOP)) assert_true(na == nb);
        } else if (op < 8) {
            assert_int_equal(zset_delete(lp, m, (size_t)len), zset_delete(sk, m, (size_t)len));
        } else if (op == 8) {
            zrange_spec_t r = {score, score + 1, rand() % 2, rand() % 2};
            assert_int_equal(zset_count_in_range(lp, &r), zset_count_in_range(sk, &r));
            if (rand() % 20 == 0)
                assert_int_equal(zset_delete_range_by_score(lp, &r),
                                 zset_delete_range_by_score(sk, &r));
        } else {
            unsigned long n = zset_length(lp);
            if (n && rand() % 10 == 0) {
                unsigned long s = (unsigned long)rand() % n, e = s + (unsigned long)rand() % 5;
                assert_int_equal(zset_delete_range_by_rank(lp, s, e),
                                 zset_delete_range_by_rank(sk, s, e));
            }
        }
        if (step % 500 == 0) s_same(lp, sk);
    }
    s_same(lp, sk);
    assert_int_equal(lp->enc, ENC_LISTPACK);
    assert_int_equal(sk->enc, ENC_SKIPLIST);
    /* converting either way keeps everything */
    vobj_t *lp2 = zset_dup(lp), *sk2 = zset_dup(sk);
    zset_convert(lp2, ENC_SKIPLIST);
    zset_convert(sk2, ENC_LISTPACK);
    s_same(lp2, sk);
    s_same(sk2, lp);
    obj_free(lp);
    obj_free(sk);
    obj_free(lp2);
    obj_free(sk2);
}

static void test_thresholds(void **state) {
    (void)state;
    engine_config_t cfg = s_cfg;
    cfg.zset_max_listpack_entries = 3;
    cfg.zset_max_listpack_value = 4;
    vobj_t *z = zset_create(&cfg, 0, 1);
    assert_int_equal(z->enc, ENC_LISTPACK);
    int out;
    zset_add(&cfg, z, 1, "a", 1, 0, &out, NULL);
    zset_add(&cfg, z, 2, "b", 1, 0, &out, NULL);
    zset_add(&cfg, z, 3, "cccc", 4, 0, &out, NULL);
    assert_int_equal(z->enc, ENC_LISTPACK);
    zset_add(&cfg, z, 3, "cccc", 4, ZADD_IN_INCR, &out, NULL); /* an update adds nothing */
    assert_int_equal(z->enc, ENC_LISTPACK);
    zset_add(&cfg, z, 4, "d", 1, 0, &out, NULL);
    assert_int_equal(z->enc, ENC_SKIPLIST);
    assert_true(out & ZADD_OUT_ADDED);
    zset_delete(z, "d", 1);
    assert_int_equal(z->enc, ENC_SKIPLIST); /* never back by itself */
    zset_convert_to_listpack_if_needed(&cfg, z, 5, 7);
    assert_int_equal(z->enc, ENC_SKIPLIST); /* a member too long */
    zset_convert_to_listpack_if_needed(&cfg, z, 4, 6);
    assert_int_equal(z->enc, ENC_LISTPACK);
    obj_free(z);

    vobj_t *l = zset_create(&cfg, 0, 5);
    assert_int_equal(l->enc, ENC_SKIPLIST);
    obj_free(l);
    l = zset_create(&cfg, 4, 1);
    assert_int_equal(l->enc, ENC_SKIPLIST);
    obj_free(l);
    cfg.zset_max_listpack_entries = 0;
    l = zset_create(&cfg, 0, 0);
    assert_int_equal(l->enc, ENC_SKIPLIST);
    obj_free(l);
    l = zset_create_enc(ENC_LISTPACK);
    zset_add(&cfg, l, 1, "x", 1, 0, &out, NULL); /* entries 0: the first add converts */
    assert_int_equal(l->enc, ENC_SKIPLIST);
    assert_int_equal(zset_length(l), 1);
    obj_free(l);
}

static void test_add_flags_and_nan(void **state) {
    (void)state;
    vobj_t *z = zset_create(&s_cfg, 0, 1);
    int out;
    double ns;
    assert_int_equal(zset_add(&s_cfg, z, NAN, "a", 1, 0, &out, &ns), 0);
    assert_int_equal(out, ZADD_OUT_NAN);
    assert_int_equal(zset_length(z), 0);
    assert_int_equal(zset_add(&s_cfg, z, INFINITY, "a", 1, 0, &out, &ns), 1);
    assert_int_equal(out, ZADD_OUT_ADDED);
    assert_int_equal(zset_add(&s_cfg, z, -INFINITY, "a", 1, ZADD_IN_INCR, &out, &ns), 0);
    assert_int_equal(out, ZADD_OUT_NAN);
    assert_int_equal(zset_add(&s_cfg, z, 5, "a", 1, ZADD_IN_NX, &out, &ns), 1);
    assert_int_equal(out, ZADD_OUT_NOP);
    assert_int_equal(zset_add(&s_cfg, z, 5, "b", 1, ZADD_IN_XX, &out, &ns), 1);
    assert_int_equal(out, ZADD_OUT_NOP);
    assert_int_equal(zset_add(&s_cfg, z, 5, "a", 1, ZADD_IN_GT, &out, &ns), 1);
    assert_int_equal(out, ZADD_OUT_NOP);
    assert_int_equal(zset_add(&s_cfg, z, 5, "a", 1, ZADD_IN_LT, &out, &ns), 1);
    assert_int_equal(out, ZADD_OUT_UPDATED);
    assert_true(ns == 5);
    assert_int_equal(zset_add(&s_cfg, z, 5, "a", 1, 0, &out, &ns), 1);
    assert_int_equal(out, 0); /* same score: neither added nor updated */
    /* -0 is stored as 0 in a listpack, kept in a skiplist */
    zset_add(&s_cfg, z, -0.0, "z", 1, 0, &out, &ns);
    double s;
    zset_score(z, "z", 1, &s);
    assert_false(signbit(s));
    zset_convert(z, ENC_SKIPLIST);
    zset_add(&s_cfg, z, -0.0, "y", 1, 0, &out, &ns);
    zset_score(z, "y", 1, &s);
    assert_true(signbit(s));
    obj_free(z);
}

static void s_fill(vobj_t *z) {
    int out;
    const char *names[] = {"a", "b", "c", "d", "e", "f"};
    for (int i = 0; i < 6; i++)
        zset_add(&s_cfg, z, i + 1, names[i], 1, 0, &out, NULL);
}

static void s_walk(zset_iter_t *it, const char *expect) {
    char got[64] = "";
    const char *m;
    size_t len;
    while (zset_iter_next(it, &m, &len, NULL))
        strncat(got, m, len);
    assert_string_equal(got, expect);
}

static void test_iterators(void **state) {
    (void)state;
    for (int enc = 0; enc < 2; enc++) {
        vobj_t *z = zset_create_enc(enc ? ENC_SKIPLIST : ENC_LISTPACK);
        s_fill(z);
        zset_iter_t it;
        zset_iter_rank(&it, z, 0, 0);
        s_walk(&it, "abcdef");
        zset_iter_rank(&it, z, 2, 1);
        s_walk(&it, "dcba");
        zset_iter_rank(&it, z, 6, 0);
        s_walk(&it, "");
        zrange_spec_t r = {2, 5, 1, 0};
        zset_iter_score(&it, z, &r, 0);
        s_walk(&it, "cde");
        zset_iter_score(&it, z, &r, 1);
        s_walk(&it, "edc");
        zset_iter_score(&it, z, &r, 0);
        zset_iter_skip(&it, 2);
        s_walk(&it, "e");
        zset_iter_score(&it, z, &r, 0);
        zset_iter_skip(&it, 100);
        s_walk(&it, "");
        zlex_range_t lex = {{ZLEX_VALUE, 0, "b", 1}, {ZLEX_VALUE, 1, "e", 1}};
        zset_iter_lex(&it, z, &lex, 0);
        s_walk(&it, "bcd");
        zset_iter_lex(&it, z, &lex, 1);
        s_walk(&it, "dcb");
        assert_int_equal(zset_count_in_range(z, &r), 3);
        assert_int_equal(zset_count_in_lex_range(z, &lex), 3);
        const char *m;
        size_t len;
        double score;
        assert_true(zset_peek(z, ZSET_MAX, &m, &len, &score));
        assert_memory_equal(m, "f", 1);
        assert_true(score == 6);
        assert_int_equal(zset_delete_range_by_lex(z, &lex), 3);
        zset_iter_rank(&it, z, 0, 0);
        s_walk(&it, "aef");
        assert_true(zset_mem(z) > 0);
        obj_free(z);
    }
}

static void test_parse_ranges(void **state) {
    (void)state;
    zrange_spec_t r;
    proto_arg_t a = {"(1.5", 4}, b = {"+inf", 4}, bad = {"x", 1}, nan = {"nan", 3}, empty = {"", 0},
                nul = {"2\0x", 3};
    assert_int_equal(zset_parse_range(&a, &b, &r), 0);
    assert_true(r.min == 1.5 && r.minex && isinf(r.max) && !r.maxex);
    assert_int_equal(zset_parse_range(&bad, &b, &r), -1);
    assert_int_equal(zset_parse_range(&a, &nan, &r), -1);
    assert_int_equal(zset_parse_range(&empty, &nul, &r), 0); /* C-string reading, as Redis */
    assert_true(r.min == 0 && r.max == 2);
    zlex_range_t l;
    proto_arg_t minus = {"-", 1}, plus = {"+", 1}, open = {"(a\0b", 4}, junk = {"+x", 2};
    assert_int_equal(zset_parse_lex_range(&minus, &plus, &l), 0);
    assert_int_equal(l.min.kind, ZLEX_NEG_INF);
    assert_int_equal(l.max.kind, ZLEX_POS_INF);
    assert_int_equal(zset_parse_lex_range(&open, &plus, &l), 0);
    assert_int_equal(l.min.len, 3); /* members are binary: all bytes count */
    assert_true(l.min.ex);
    assert_int_equal(zset_parse_lex_range(&junk, &plus, &l), -1);
    assert_int_equal(zset_parse_lex_range(&empty, &plus, &l), -1);
}

/* ---- through the dispatcher: ZRANDMEMBER's randomness, dirty counts ---- */

typedef struct {
    engine_t *e;
    client_t *c;
    size_t hdr; /* bytes of record framing before a reply's RESP */
} s_ctx_t;

static s_ctx_t s_ctx;

/* Runs one command (NULL-terminated words); returns the reply bytes until the next call. */
static const char *s_run(size_t *len, const char *first, ...) {
    proto_arg_t argv[300];
    int argc = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *w = first; w; w = va_arg(ap, const char *)) {
        argv[argc].ptr = w;
        argv[argc].len = strlen(w);
        argc++;
    }
    va_end(ap);
    frontend_t *fe = s_ctx.c->fe;
    fe->out.len = 0;
    fe->out_client = NULL;
    fe->out_count = 0;
    engine_execute(s_ctx.e, s_ctx.c, argc, argv);
    *len = fe->out.len - s_ctx.hdr;
    return (const char *)fe->out.data + s_ctx.hdr;
}

static int s_engine_setup(void **state) {
    (void)state;
    engine_config_defaults(&s_cfg);
    s_ctx.e = engine_new_for_test();
    s_ctx.c = client_new(s_ctx.e, s_ctx.e->frontends, 1);
    s_ctx.hdr = 0;
    size_t n;
    s_run(&n, "GET", "__probe__", (const char *)NULL);
    s_ctx.hdr = n - 5; /* the reply was "$-1\r\n" */
    assert_memory_equal(s_ctx.c->fe->out.data + s_ctx.hdr, "$-1\r\n", 5);
    return 0;
}

static int s_engine_teardown(void **state) {
    (void)state;
    client_free(s_ctx.e, s_ctx.c);
    engine_free_for_test(s_ctx.e);
    return 0;
}

static int s_flush(void **state) {
    (void)state;
    db_flush(s_ctx.e, -1);
    return 0;
}

/* Splits a flat RESP2 array of bulk strings into items (copied, NUL-terminated). */
static int s_items(const char *r, size_t len, char items[][32], int max) {
    const char *end = r + len;
    assert_true(r[0] == '*');
    int n = atoi(r + 1);
    assert_true(n <= max);
    r = strstr(r, "\r\n") + 2;
    for (int i = 0; i < n; i++) {
        assert_true(r < end && r[0] == '$');
        int l = atoi(r + 1);
        r = strstr(r, "\r\n") + 2;
        assert_true(l < 32);
        memcpy(items[i], r, (size_t)l);
        items[i][l] = '\0';
        r += l + 2;
    }
    assert_ptr_equal(r, end);
    return n;
}

/* A set of 20 members "m0".."m19" scoring their index, in the given encoding. */
static void s_make20(int skiplist) {
    size_t n;
    s_run(&n, "CONFIG", "SET", "zset-max-listpack-entries", skiplist ? "0" : "128",
          (const char *)NULL);
    for (int i = 0; i < 20; i++) {
        char m[16], sc[16];
        snprintf(m, sizeof m, "m%d", i);
        snprintf(sc, sizeof sc, "%d", i);
        s_run(&n, "ZADD", "r", sc, m, (const char *)NULL);
    }
    s_run(&n, "CONFIG", "SET", "zset-max-listpack-entries", "128", (const char *)NULL);
    vobj_t *z = db_peek(s_ctx.c->db, "r", 1);
    assert_non_null(z);
    assert_int_equal(z->enc, skiplist ? ENC_SKIPLIST : ENC_LISTPACK);
}

static void test_randmember(void **state) {
    (void)state;
    static char items[600][32];
    for (int enc = 0; enc < 2; enc++) {
        db_flush(s_ctx.e, -1);
        s_make20(enc);
        size_t len;
        const char *r;
        /* distinct picks, for counts below and above a third of the set */
        const char *counts[] = {"2", "5", "7", "15", "19"};
        for (size_t ci = 0; ci < 5; ci++) {
            for (int trial = 0; trial < 50; trial++) {
                r = s_run(&len, "ZRANDMEMBER", "r", counts[ci], "WITHSCORES", (const char *)NULL);
                int n = s_items(r, len, items, 600);
                assert_int_equal(n, 2 * atoi(counts[ci]));
                int seen[20] = {0};
                for (int i = 0; i < n; i += 2) {
                    assert_true(items[i][0] == 'm');
                    int idx = atoi(items[i] + 1);
                    assert_true(idx >= 0 && idx < 20);
                    assert_int_equal(atoi(items[i + 1]), idx); /* the member's own score */
                    assert_int_equal(seen[idx], 0);
                    seen[idx] = 1;
                }
            }
        }
        /* uniform enough: single picks and repeated picks both reach every member about
         * equally (expected 200 each; a fair generator stays far inside these bounds) */
        int freq[20] = {0};
        for (int i = 0; i < 2000; i++) {
            r = s_run(&len, "ZRANDMEMBER", "r", (const char *)NULL);
            assert_true(r[0] == '$');
            freq[atoi(strstr(r, "\r\n") + 3)]++;
        }
        for (int t = 0; t < 4; t++) {
            r = s_run(&len, "ZRANDMEMBER", "r", "-500", (const char *)NULL);
            int n = s_items(r, len, items, 600);
            assert_int_equal(n, 500);
            for (int i = 0; i < n; i++)
                freq[atoi(items[i] + 1)]++;
        }
        for (int i = 0; i < 20; i++) {
            assert_true(freq[i] > 120);
            assert_true(freq[i] < 280);
        }
        /* a one-member set repeats it */
        s_run(&len, "ZADD", "one", "1", "x", (const char *)NULL);
        r = s_run(&len, "ZRANDMEMBER", "one", "-3", (const char *)NULL);
        assert_int_equal(len, strlen("*3\r\n$1\r\nx\r\n$1\r\nx\r\n$1\r\nx\r\n"));
        assert_memory_equal(r, "*3\r\n$1\r\nx\r\n$1\r\nx\r\n$1\r\nx\r\n", len);
    }
}

static void test_dirty(void **state) {
    (void)state;
    long long *d = &s_ctx.e->stats.dirty, d0 = *d;
    size_t n;
    s_run(&n, "ZADD", "k", "1", "a", "2", "b", "3", "c", (const char *)NULL);
    assert_int_equal(*d, d0 + 3);
    s_run(&n, "ZADD", "k", "1", "a", "5", "b", (const char *)NULL); /* one update */
    assert_int_equal(*d, d0 + 4);
    s_run(&n, "ZADD", "k", "XX", "1", "nosuch", (const char *)NULL);
    s_run(&n, "ZADD", "k", "xx", "nx", "1", "a", (const char *)NULL);
    assert_int_equal(*d, d0 + 4);
    s_run(&n, "ZREM", "k", "a", "nosuch", (const char *)NULL);
    assert_int_equal(*d, d0 + 5);
    s_run(&n, "ZPOPMAX", "k", "5", (const char *)NULL); /* pops 2 and deletes the key */
    assert_int_equal(*d, d0 + 7);
    assert_null(db_peek(s_ctx.c->db, "k", 1));
    s_run(&n, "ZUNIONSTORE", "d", "1", "nokey", (const char *)NULL); /* nothing to delete */
    assert_int_equal(*d, d0 + 7);
    s_run(&n, "ZADD", "k", "1", "a", (const char *)NULL);
    s_run(&n, "ZUNIONSTORE", "d", "1", "k", (const char *)NULL);
    assert_int_equal(*d, d0 + 9);
    s_run(&n, "ZINTERSTORE", "d", "2", "k", "nokey", (const char *)NULL); /* deletes d */
    assert_int_equal(*d, d0 + 10);
    assert_null(db_peek(s_ctx.c->db, "d", 1));
    s_run(&n, "ZREMRANGEBYSCORE", "k", "-inf", "+inf", (const char *)NULL);
    assert_int_equal(*d, d0 + 11);
    assert_null(db_peek(s_ctx.c->db, "k", 1));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encodings_agree),   cmocka_unit_test(test_thresholds),
        cmocka_unit_test(test_add_flags_and_nan), cmocka_unit_test(test_iterators),
        cmocka_unit_test(test_parse_ranges),
    };
    const struct CMUnitTest engine_tests[] = {
        cmocka_unit_test_setup(test_randmember, s_flush),
        cmocka_unit_test_setup(test_dirty, s_flush),
    };
    int failed = cmocka_run_group_tests(tests, s_setup, NULL);
    return failed + cmocka_run_group_tests(engine_tests, s_engine_setup, s_engine_teardown);
}
