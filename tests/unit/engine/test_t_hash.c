/* Unit tests for engine/types/t_hash.c: the type API in both encodings (conversions, copies,
 * iteration with deletion, scanning) and, through the engine's dispatcher, what the diff
 * scripts cannot compare: HRANDFIELD's random picks (distinct, complete, roughly uniform, in
 * pack order when sampling a listpack), the dirty counter, hit/miss counters and emptied
 * hashes leaving the keyspace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/types/t_hash.h"
#include "shared/resp.h"
#include "shared/util.h"

typedef struct {
    engine_t *e;
    client_t *c;
    size_t hdr; /* bytes of record framing before a reply's RESP */
} s_ctx_t;

static s_ctx_t s_ctx;

static void s_reset_out(void) {
    frontend_t *fe = s_ctx.c->fe;
    fe->out.len = 0;
    fe->out_client = NULL;
    fe->out_count = 0;
}

static const char *s_out(size_t *len) {
    frontend_t *fe = s_ctx.c->fe;
    assert_true(fe->out.len >= s_ctx.hdr);
    *len = fe->out.len - s_ctx.hdr;
    return (const char *)fe->out.data + s_ctx.hdr;
}

static const char *s_runv(size_t *len, int argc, const char **words) {
    proto_arg_t argv[600];
    assert_true(argc <= 600);
    for (int i = 0; i < argc; i++) {
        argv[i].ptr = words[i];
        argv[i].len = strlen(words[i]);
    }
    s_reset_out();
    s_ctx.e->now_ms = now_ms();
    engine_execute(s_ctx.e, s_ctx.c, argc, argv);
    return s_out(len);
}

static const char *s_run(size_t *len, const char *first, ...) {
    const char *words[64];
    int argc = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *w = first; w; w = va_arg(ap, const char *)) {
        assert_true(argc < 64);
        words[argc++] = w;
    }
    va_end(ap);
    return s_runv(len, argc, words);
}

#define CHECK(expect, ...)                                                                         \
    do {                                                                                           \
        size_t n_;                                                                                 \
        const char *r_ = s_run(&n_, __VA_ARGS__, (const char *)NULL);                              \
        if (n_ != strlen(expect) || memcmp(r_, expect, n_) != 0)                                   \
            fail_msg("reply %.*s, expected %s", (int)n_, r_, expect);                              \
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
    s_ctx.c->resp = 2;
    return 0;
}

static vobj_t *s_peek(const char *key) { return db_peek(s_ctx.c->db, key, strlen(key)); }

/* A tiny RESP reader for the replies HRANDFIELD gives: an array of bulks (or of 2-arrays). */
typedef struct {
    const char *p, *end;
} s_rd_t;

static long long s_rd_len(s_rd_t *r, char type) {
    assert_true(r->p < r->end);
    assert_int_equal(*r->p, type);
    char *e;
    long long n = strtoll(r->p + 1, &e, 10);
    assert_memory_equal(e, "\r\n", 2);
    r->p = e + 2;
    return n;
}

static void s_rd_bulk(s_rd_t *r, char *dst, size_t cap) {
    long long n = s_rd_len(r, '$');
    assert_true(n >= 0 && (size_t)n < cap);
    memcpy(dst, r->p, (size_t)n);
    dst[n] = '\0';
    r->p += n + 2;
}

/* ---- the type API ---- */

static engine_config_t s_cfg(long long entries, long long value) {
    engine_config_t cfg;
    engine_config_defaults(&cfg);
    cfg.hash_max_listpack_entries = entries;
    cfg.hash_max_listpack_value = value;
    return cfg;
}

static void s_expect_value(const vobj_t *h, const char *f, const char *want) {
    const char *v;
    size_t vlen;
    if (!want) {
        assert_false(hash_type_get(h, f, strlen(f), &v, &vlen));
        assert_false(hash_type_exists(h, f, strlen(f)));
        return;
    }
    assert_true(hash_type_get(h, f, strlen(f), &v, &vlen));
    assert_true(hash_type_exists(h, f, strlen(f)));
    assert_int_equal(vlen, strlen(want));
    assert_memory_equal(v, want, vlen);
}

static void test_api_both_encodings(void **state) {
    (void)state;
    engine_config_t cfg = s_cfg(4, 8);
    vobj_t *h = hash_type_create();
    assert_int_equal(h->type, OBJ_HASH);
    assert_string_equal(obj_encoding_name(h), "listpack");
    assert_int_equal(hash_type_set(&cfg, h, "a", 1, "1", 1), 1);
    assert_int_equal(hash_type_set(&cfg, h, "b", 1, "2", 1), 1);
    assert_int_equal(hash_type_set(&cfg, h, "a", 1, "11", 2), 0);
    s_expect_value(h, "a", "11");
    s_expect_value(h, "c", NULL);
    assert_int_equal(hash_type_length(h), 2);
    /* a value over the length threshold converts before writing */
    assert_int_equal(hash_type_set(&cfg, h, "c", 1, "123456789", 9), 1);
    assert_string_equal(obj_encoding_name(h), "hashtable");
    s_expect_value(h, "a", "11");
    s_expect_value(h, "b", "2");
    s_expect_value(h, "c", "123456789");
    assert_int_equal(hash_type_set(&cfg, h, "c", 1, "x", 1), 0);
    assert_int_equal(hash_type_set(&cfg, h, "c", 1, "y", 1), 0); /* same size, in place */
    s_expect_value(h, "c", "y");
    assert_int_equal(hash_type_delete(h, "b", 1), 1);
    assert_int_equal(hash_type_delete(h, "b", 1), 0);
    assert_int_equal(hash_type_length(h), 2);
    obj_free(h);

    /* the entry threshold: the fifth field converts */
    h = hash_type_create();
    char f[16];
    for (int i = 0; i < 5; i++) {
        int n = snprintf(f, sizeof f, "f%d", i);
        hash_type_set(&cfg, h, f, (size_t)n, f, (size_t)n);
        assert_string_equal(obj_encoding_name(h), i < 4 ? "listpack" : "hashtable");
    }
    for (int i = 0; i < 5; i++) {
        snprintf(f, sizeof f, "f%d", i);
        s_expect_value(h, f, f);
    }
    obj_free(h);
}

static void test_try_conversion(void **state) {
    (void)state;
    engine_config_t cfg = s_cfg(128, 3);
    vobj_t *h = hash_type_create();
    proto_arg_t ok[2] = {{"abc", 3}, {"de", 2}}, bad[2] = {{"ab", 2}, {"long", 4}};
    hash_type_try_conversion(&cfg, h, ok, 2);
    assert_string_equal(obj_encoding_name(h), "listpack");
    hash_type_try_conversion(&cfg, h, bad, 2);
    assert_string_equal(obj_encoding_name(h), "hashtable");
    hash_type_try_conversion(&cfg, h, bad, 2); /* no-op on a hashtable */
    obj_free(h);
}

static void test_dup_and_iter_delete(void **state) {
    (void)state;
    for (int enc = 0; enc < 2; enc++) {
        engine_config_t cfg = s_cfg(enc ? 2 : 1000, 64);
        vobj_t *h = hash_type_create();
        char f[16], v[16];
        for (int i = 0; i < 200; i++) {
            int fl = snprintf(f, sizeof f, "f%d", i), vl = snprintf(v, sizeof v, "v%d", i);
            hash_type_set(&cfg, h, f, (size_t)fl, v, (size_t)vl);
        }
        assert_string_equal(obj_encoding_name(h), enc ? "hashtable" : "listpack");
        vobj_t *d = hash_type_dup(h);
        assert_int_equal(d->enc, h->enc);
        assert_int_equal(hash_type_length(d), 200);
        /* listpack copies keep the order */
        hash_iter_t a, b;
        hash_field_t x, y;
        if (!enc) {
            hash_iter_init(&a, h);
            hash_iter_init(&b, d);
            while (hash_iter_next(&a, &x)) {
                assert_true(hash_iter_next(&b, &y));
                assert_int_equal(x.flen, y.flen);
                assert_memory_equal(x.f, y.f, x.flen);
                assert_true(x.f != y.f);
            }
            assert_false(hash_iter_next(&b, &y));
            hash_iter_done(&a);
            hash_iter_done(&b);
        }
        /* delete the even fields while iterating the original */
        int seen = 0;
        hash_iter_init(&a, h);
        while (hash_iter_next(&a, &x)) {
            seen++;
            int idx = atoi(x.f + 1);
            if (idx % 2 == 0) hash_iter_delete(&a);
        }
        hash_iter_done(&a);
        assert_int_equal(seen, 200);
        assert_int_equal(hash_type_length(h), 100);
        for (int i = 0; i < 200; i++) {
            snprintf(f, sizeof f, "f%d", i);
            snprintf(v, sizeof v, "v%d", i);
            s_expect_value(h, f, i % 2 ? v : NULL);
            s_expect_value(d, f, v);
        }
        assert_true(hash_type_mem(h) > 100 * 4);
        obj_free(h);
        obj_free(d);
    }
}

typedef struct {
    int counts[1000];
    int calls;
} s_scan_seen_t;

static void s_scan_cb(void *priv, const hash_field_t *hf) {
    s_scan_seen_t *s = priv;
    char tmp[16];
    assert_true(hf->flen < sizeof tmp);
    memcpy(tmp, hf->f, hf->flen);
    tmp[hf->flen] = '\0';
    if (tmp[0] == 'f') s->counts[atoi(tmp + 1)]++; /* the "g" ones arrive mid-scan */
    s->calls++;
}

static void test_scan_covers_everything(void **state) {
    (void)state;
    engine_config_t cfg = s_cfg(128, 64);
    vobj_t *h = hash_type_create();
    char f[16];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(f, sizeof f, "f%d", i);
        hash_type_set(&cfg, h, f, (size_t)n, "v", 1);
    }
    s_scan_seen_t *seen = calloc(1, sizeof *seen);
    uint64_t cursor = 0;
    int steps = 0;
    do {
        cursor = hash_type_scan(h, cursor, 10, s_scan_cb, seen);
        steps++;
        /* grow the table halfway through: nothing may be missed */
        if (steps == 20)
            for (int i = 1000; i < 3000; i++) {
                int n = snprintf(f, sizeof f, "g%d", i);
                hash_type_set(&cfg, h, f, (size_t)n, "v", 1);
            }
    } while (cursor);
    assert_true(steps > 20);
    for (int i = 0; i < 1000; i++)
        assert_true(seen->counts[i] >= 1);
    free(seen);
    obj_free(h);

    /* a listpack is scanned whole, cursor 0 */
    h = hash_type_create();
    hash_type_set(&cfg, h, "f1", 2, "v", 1);
    hash_type_set(&cfg, h, "f2", 2, "v", 1);
    seen = calloc(1, sizeof *seen);
    assert_int_equal(hash_type_scan(h, 12345, 1, s_scan_cb, seen), 0);
    assert_int_equal(seen->calls, 2);
    free(seen);
    obj_free(h);
}

static void test_random_uniform(void **state) {
    (void)state;
    enum { N = 10, DRAWS = 20000 };
    for (int enc = 0; enc < 2; enc++) {
        engine_config_t cfg = s_cfg(enc ? 0 : 128, 64);
        vobj_t *h = hash_type_create();
        char f[8];
        for (int i = 0; i < N; i++) {
            int n = snprintf(f, sizeof f, "f%d", i);
            hash_type_set(&cfg, h, f, (size_t)n, f, (size_t)n);
        }
        int counts[N] = {0};
        for (int i = 0; i < DRAWS; i++) {
            hash_field_t hf;
            hash_type_random(h, &hf);
            assert_int_equal(hf.flen, hf.vlen);
            assert_memory_equal(hf.f, hf.v, hf.flen);
            counts[atoi(hf.f + 1)]++;
        }
        for (int i = 0; i < N; i++) /* expected 2000 each */
            assert_true(counts[i] > 1600 && counts[i] < 2400);
        obj_free(h);
    }
}

/* ---- through the dispatcher ---- */

static void s_fill(const char *key, int n, int long_value) {
    const char *words[2 + 2 * 300];
    char buf[300][2][16];
    int argc = 0;
    words[argc++] = "HSET";
    words[argc++] = key;
    for (int i = 0; i < n; i++) {
        snprintf(buf[i][0], 16, "f%d", i);
        snprintf(buf[i][1], 16, "v%d", i);
        words[argc++] = buf[i][0];
        words[argc++] = buf[i][1];
    }
    size_t len;
    s_runv(&len, argc, words);
    if (long_value)
        s_run(&len, "HSET", key, "long",
              "0123456789012345678901234567890123456789012345678901234567890123456789",
              (const char *)NULL);
}

/* Runs HRANDFIELD key count [WITHVALUES] and returns the field indexes in reply order ("long"
 * is -1); checks values match fields. */
static int s_randfield(const char *key, long long count, int withvalues, int *out, int cap) {
    char num[32];
    snprintf(num, sizeof num, "%lld", count);
    size_t len;
    const char *r = withvalues
                        ? s_run(&len, "HRANDFIELD", key, num, "WITHVALUES", (const char *)NULL)
                        : s_run(&len, "HRANDFIELD", key, num, (const char *)NULL);
    s_rd_t rd = {r, r + len};
    long long n = s_rd_len(&rd, '*');
    int resp3 = s_ctx.c->resp == 3;
    if (withvalues && !resp3) {
        assert_int_equal(n % 2, 0);
        n /= 2;
    }
    assert_true(n <= cap);
    for (long long i = 0; i < n; i++) {
        char f[128], v[128];
        if (withvalues && resp3) assert_int_equal(s_rd_len(&rd, '*'), 2);
        s_rd_bulk(&rd, f, sizeof f);
        out[i] = strcmp(f, "long") == 0 ? -1 : atoi(f + 1);
        if (withvalues) {
            s_rd_bulk(&rd, v, sizeof v);
            if (out[i] >= 0) assert_int_equal(atoi(v + 1), out[i]);
        }
    }
    assert_true(rd.p == rd.end);
    return (int)n;
}

static void test_hrandfield_distinct(void **state) {
    (void)state;
    int out[400];
    for (int enc = 0; enc < 2; enc++) {
        const char *key = enc ? "ht" : "lp";
        s_fill(key, enc ? 299 : 100, enc);
        int size = enc ? 300 : 100;
        assert_string_equal(obj_encoding_name(s_peek(key)), enc ? "hashtable" : "listpack");
        static const long long counts[] = {1, 2, 10, 33, 34, 50, 99, 100, 150, 299, 300, 1000};
        for (int resp = 2; resp <= 3; resp++) {
            s_ctx.c->resp = resp;
            for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
                for (int wv = 0; wv < 2; wv++) {
                    int n = s_randfield(key, counts[k], wv, out, 400);
                    int want = counts[k] < size ? (int)counts[k] : size;
                    assert_int_equal(n, want);
                    char seen[301] = {0};
                    for (int i = 0; i < n; i++) {
                        int idx = out[i] < 0 ? 300 : out[i];
                        assert_false(seen[idx]);
                        seen[idx] = 1;
                    }
                }
            }
            /* negative counts: exactly that many, repeats allowed */
            assert_int_equal(s_randfield(key, -350, 1, out, 400), 350);
            assert_int_equal(s_randfield(key, -5, 0, out, 400), 5);
        }
        s_ctx.c->resp = 2;
    }
}

/* Sampling a small part of a listpack returns the picks in the pack's order. */
static void test_hrandfield_listpack_order(void **state) {
    (void)state;
    int out[128];
    s_fill("lp", 100, 0);
    for (int round = 0; round < 50; round++) {
        int n = s_randfield("lp", 20, round % 2, out, 128);
        assert_int_equal(n, 20);
        for (int i = 1; i < n; i++)
            assert_true(out[i - 1] < out[i]);
    }
}

/* Every field shows up, and none far more often than the others. */
static void test_hrandfield_spread(void **state) {
    (void)state;
    int out[400];
    for (int enc = 0; enc < 2; enc++) {
        const char *key = enc ? "ht" : "lp";
        db_flush(s_ctx.e, -1);
        s_fill(key, 9, enc); /* 9 or 10 fields */
        int size = enc ? 10 : 9;
        int counts[11] = {0};
        for (int round = 0; round < 100; round++) {
            int n = s_randfield(key, -300, 0, out, 400);
            for (int i = 0; i < n; i++)
                counts[out[i] < 0 ? 10 : out[i]]++;
        }
        int expect = 30000 / size;
        for (int i = 0; i < 11; i++) {
            if (i >= 9 && i < 10) continue;
            if (!enc && i == 10) continue;
            assert_true(counts[i] > expect * 8 / 10 && counts[i] < expect * 12 / 10);
        }
        /* distinct picks of 3 of 9/10 fields cover every field over many rounds */
        int hit[11] = {0};
        for (int round = 0; round < 300; round++) {
            int n = s_randfield(key, 3, 0, out, 400);
            for (int i = 0; i < n; i++)
                hit[out[i] < 0 ? 10 : out[i]]++;
        }
        for (int i = 0; i < 11; i++) {
            if (i == 9 || (!enc && i == 10)) continue;
            assert_true(hit[i] > 0);
        }
        /* a lone draw too */
        int lone[11] = {0};
        for (int round = 0; round < 2000; round++) {
            size_t len;
            const char *r = s_run(&len, "HRANDFIELD", key, (const char *)NULL);
            s_rd_t rd = {r, r + len};
            char f[128];
            s_rd_bulk(&rd, f, sizeof f);
            lone[strcmp(f, "long") == 0 ? 10 : atoi(f + 1)]++;
        }
        for (int i = 0; i < 11; i++) {
            if (i == 9 || (!enc && i == 10)) continue;
            assert_true(lone[i] > 2000 / size / 2);
        }
    }
}

static void test_dirty_and_events(void **state) {
    (void)state;
    engine_t *e = s_ctx.e;
    long long d0 = e->stats.dirty;
    CHECK(":3\r\n", "HSET", "h", "a", "1", "b", "2", "c", "3");
    assert_int_equal(e->stats.dirty - d0, 3);
    CHECK(":0\r\n", "HSET", "h", "a", "1", "b", "2");
    assert_int_equal(e->stats.dirty - d0, 5); /* Redis counts every pair written */
    CHECK("+OK\r\n", "HMSET", "h", "a", "1");
    assert_int_equal(e->stats.dirty - d0, 6);
    CHECK(":0\r\n", "HSETNX", "h", "a", "1");
    assert_int_equal(e->stats.dirty - d0, 6);
    CHECK(":1\r\n", "HSETNX", "h", "d", "1");
    assert_int_equal(e->stats.dirty - d0, 7);
    CHECK(":5\r\n", "HINCRBY", "h", "d", "4");
    CHECK("$3\r\n5.5\r\n", "HINCRBYFLOAT", "h", "d", "0.5");
    assert_int_equal(e->stats.dirty - d0, 9);
    CHECK("-ERR hash value is not an integer\r\n", "HINCRBY", "h", "d", "1");
    assert_int_equal(e->stats.dirty - d0, 9);
    CHECK(":0\r\n", "HDEL", "h", "nope");
    assert_int_equal(e->stats.dirty - d0, 9);
    CHECK(":2\r\n", "HDEL", "h", "a", "b", "zz");
    assert_int_equal(e->stats.dirty - d0, 11);
    CHECK(":2\r\n", "HDEL", "h", "c", "d", "c");
    assert_int_equal(e->stats.dirty - d0, 13);
    assert_null(s_peek("h"));
}

static void test_hits_misses(void **state) {
    (void)state;
    engine_t *e = s_ctx.e;
    CHECK(":1\r\n", "HSET", "h", "a", "1");
    long long h0 = e->stats.keyspace_hits, m0 = e->stats.keyspace_misses;
    CHECK("$1\r\n1\r\n", "HGET", "h", "a");
    CHECK("$-1\r\n", "HGET", "h", "b");
    CHECK("$-1\r\n", "HGET", "nokey", "b");
    CHECK(":1\r\n", "HLEN", "h");
    CHECK("*0\r\n", "HGETALL", "nokey");
    assert_int_equal(e->stats.keyspace_hits - h0, 3);
    assert_int_equal(e->stats.keyspace_misses - m0, 2);
    /* writes do not count */
    CHECK(":1\r\n", "HSET", "h2", "a", "1");
    CHECK(":1\r\n", "HDEL", "h2", "a");
    assert_int_equal(e->stats.keyspace_hits - h0, 3);
    assert_int_equal(e->stats.keyspace_misses - m0, 2);
}

static void test_resp3_map(void **state) {
    (void)state;
    CHECK(":2\r\n", "HSET", "h", "a", "1", "b", "2");
    s_ctx.c->resp = 3;
    CHECK("%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n", "HGETALL", "h");
    CHECK("%0\r\n", "HGETALL", "nokey");
    CHECK("_\r\n", "HGET", "h", "x");
    CHECK(":1\r\n", "HSET", "one", "a", "1");
    CHECK("*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n", "HRANDFIELD", "one", "1", "WITHVALUES");
    s_ctx.c->resp = 2;
    CHECK("*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n", "HGETALL", "h");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_both_encodings),
        cmocka_unit_test(test_try_conversion),
        cmocka_unit_test(test_dup_and_iter_delete),
        cmocka_unit_test(test_scan_covers_everything),
        cmocka_unit_test(test_random_uniform),
        cmocka_unit_test_setup(test_hrandfield_distinct, s_flush),
        cmocka_unit_test_setup(test_hrandfield_listpack_order, s_flush),
        cmocka_unit_test_setup(test_hrandfield_spread, s_flush),
        cmocka_unit_test_setup(test_dirty_and_events, s_flush),
        cmocka_unit_test_setup(test_hits_misses, s_flush),
        cmocka_unit_test_setup(test_resp3_map, s_flush),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
