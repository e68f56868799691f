/* Unit tests for engine/types/t_string.c through the engine's dispatcher: what the diff
 * scripts cannot see from outside (dirty counter, hit/miss counters, stored encodings and
 * expiry times), plus LCS lengths against a reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/types/t_list.h"
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
    proto_arg_t argv[32];
    int argc = 0;
    for (const char *w = first; w; w = va_arg(ap, const char *)) {
        assert_true(argc < 32);
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

static int s_setup(void **state) {
    (void)state;
    s_ctx.e = engine_new_for_test();
    s_ctx.c = client_new(s_ctx.e, s_ctx.e->frontends, 1);
    s_ctx.hdr = 0;
    size_t n;
    s_run(&n, "GET", "__probe__", (const char *)NULL);
    /* the reply was "$-1\r\n": everything before it is record framing */
    s_ctx.hdr = n - 5;
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
    return 0;
}

static vobj_t *s_peek(const char *key) { return db_peek(s_ctx.c->db, key, strlen(key)); }

/* ---- dirty: one per change, none for refused or empty writes ---- */

static void test_dirty(void **state) {
    (void)state;
    long long *d = &s_ctx.e->stats.dirty;
    long long d0 = *d;
    CHECK("+OK\r\n", "SET", "a", "1");
    assert_int_equal(*d, d0 + 1);
    CHECK("+OK\r\n", "SET", "a", "1", "EX", "100");
    assert_int_equal(*d, d0 + 2);
    CHECK("$-1\r\n", "SET", "a", "1", "NX");
    assert_int_equal(*d, d0 + 2);
    CHECK("-ERR syntax error\r\n", "SET", "a", "1", "NX", "XX");
    assert_int_equal(*d, d0 + 2);
    CHECK("+OK\r\n", "MSET", "x", "1", "y", "2", "z", "3");
    assert_int_equal(*d, d0 + 5);
    CHECK(":0\r\n", "MSETNX", "x", "1", "w", "2");
    assert_int_equal(*d, d0 + 5);
    CHECK(":2\r\n", "INCR", "a");
    CHECK("$3\r\n2.5\r\n", "INCRBYFLOAT", "a", "0.5");
    CHECK(":4\r\n", "APPEND", "a", "0");
    CHECK(":4\r\n", "APPEND", "a", "");
    assert_int_equal(*d, d0 + 9);
    CHECK(":4\r\n", "SETRANGE", "a", "0", "");
    CHECK(":0\r\n", "SETRANGE", "nokey", "5", "");
    assert_int_equal(*d, d0 + 9);
    CHECK(":4\r\n", "SETRANGE", "a", "0", "9");
    assert_int_equal(*d, d0 + 10);
    CHECK("$1\r\n1\r\n", "GETEX", "x", "PERSIST"); /* no TTL: nothing changes */
    assert_int_equal(*d, d0 + 10);
    CHECK("$1\r\n1\r\n", "GETEX", "x", "EX", "100");
    CHECK("$1\r\n1\r\n", "GETEX", "x", "PERSIST");
    CHECK("$1\r\n1\r\n", "GETEX", "x", "PXAT", "1");
    assert_int_equal(*d, d0 + 13);
    CHECK("$-1\r\n", "GETDEL", "x");
    CHECK("$1\r\n2\r\n", "GETDEL", "y");
    CHECK("$1\r\n3\r\n", "GETSET", "z", "4");
    assert_int_equal(*d, d0 + 15);
    CHECK("-ERR increment or decrement would overflow\r\n", "INCRBY", "z", "9223372036854775807");
    CHECK("$-1\r\n", "GET", "nokey");
    assert_int_equal(*d, d0 + 15);
}

/* ---- keyspace hits and misses: read lookups only ---- */

static void test_hits_misses(void **state) {
    (void)state;
    engine_stats_t *st = &s_ctx.e->stats;
    CHECK("+OK\r\n", "SET", "a", "v");
    long long h = st->keyspace_hits, m = st->keyspace_misses;
    CHECK("$1\r\nv\r\n", "GET", "a");
    CHECK("$-1\r\n", "GET", "b");
    assert_int_equal(st->keyspace_hits, h + 1);
    assert_int_equal(st->keyspace_misses, m + 1);
    CHECK("*3\r\n$1\r\nv\r\n$-1\r\n$1\r\nv\r\n", "MGET", "a", "b", "a");
    assert_int_equal(st->keyspace_hits, h + 3);
    assert_int_equal(st->keyspace_misses, m + 2);
    CHECK("$1\r\nv\r\n", "SET", "a", "w", "GET");
    CHECK("$-1\r\n", "SET", "b", "w", "GET");
    assert_int_equal(st->keyspace_hits, h + 4);
    assert_int_equal(st->keyspace_misses, m + 3);
    CHECK("$1\r\nw\r\n", "LCS", "a", "b");
    CHECK("$0\r\n\r\n", "LCS", "a", "c");
    assert_int_equal(st->keyspace_hits, h + 7);
    assert_int_equal(st->keyspace_misses, m + 4);
    /* writes look keys up without counting */
    CHECK(":1\r\n", "INCR", "n");
    CHECK(":2\r\n", "APPEND", "a", "x");
    CHECK(":2\r\n", "SETRANGE", "a", "0", "z");
    CHECK("$1\r\n1\r\n", "INCRBYFLOAT", "m", "1");
    CHECK("+OK\r\n", "SET", "a", "q");
    assert_int_equal(st->keyspace_hits, h + 7);
    assert_int_equal(st->keyspace_misses, m + 4);
}

/* ---- stored encodings and expiry times ---- */

static void test_encodings(void **state) {
    (void)state;
    CHECK("+OK\r\n", "SET", "i", "123");
    assert_int_equal(s_peek("i")->enc, ENC_INT);
    CHECK("+OK\r\n", "SET", "e", "hello");
    assert_int_equal(s_peek("e")->enc, ENC_EMBSTR);
    CHECK(":6\r\n", "APPEND", "e", "!");
    assert_int_equal(s_peek("e")->enc, ENC_RAW);
    CHECK(":3\r\n", "SETRANGE", "i", "0", "9");
    assert_int_equal(s_peek("i")->enc, ENC_RAW);
    CHECK(":924\r\n", "INCR", "i");
    assert_int_equal(s_peek("i")->enc, ENC_INT);
    CHECK("$3\r\n925\r\n", "INCRBYFLOAT", "i", "1");
    assert_int_equal(s_peek("i")->enc, ENC_EMBSTR);
    CHECK("$1\r\n1\r\n", "INCRBYFLOAT", "f", "1");
    assert_int_equal(s_peek("f")->enc, ENC_EMBSTR);
    CHECK(":5\r\n", "SETRANGE", "r", "2", "abc");
    assert_int_equal(s_peek("r")->enc, ENC_RAW);
    assert_memory_equal(s_peek("r")->v.s->ptr, "\0\0abc", 5);
}

static void test_expiry(void **state) {
    (void)state;
    db_t *db = s_ctx.c->db;
    /* Redis 7.0 stores a past time from SET as is; the key goes on next access */
    CHECK("+OK\r\n", "SET", "p", "v", "PXAT", "1000");
    assert_non_null(s_peek("p"));
    assert_int_equal(db_get_expire(db, "p", 1), 1000);
    CHECK("$-1\r\n", "GET", "p");
    assert_null(s_peek("p"));
    /* GETEX with a past absolute time deletes at once */
    CHECK("+OK\r\n", "SET", "g", "v");
    CHECK("$1\r\nv\r\n", "GETEX", "g", "EXAT", "1");
    assert_null(s_peek("g"));
    /* relative times become absolute from the engine's clock */
    int64_t before = now_ms();
    CHECK("+OK\r\n", "SET", "t", "5", "EX", "100");
    int64_t when = db_get_expire(db, "t", 1);
    assert_true(when >= before + 100000 && when <= now_ms() + 100000);
    CHECK(":6\r\n", "INCR", "t");
    assert_int_equal(db_get_expire(db, "t", 1), when);
    CHECK("$3\r\n6.5\r\n", "INCRBYFLOAT", "t", "0.5");
    assert_int_equal(db_get_expire(db, "t", 1), when);
    CHECK(":4\r\n", "APPEND", "t", "1");
    CHECK(":4\r\n", "SETRANGE", "t", "0", "7");
    assert_int_equal(db_get_expire(db, "t", 1), when);
    CHECK("+OK\r\n", "SET", "t", "x", "KEEPTTL");
    assert_int_equal(db_get_expire(db, "t", 1), when);
    CHECK("$1\r\nx\r\n", "GETSET", "t", "y");
    assert_int_equal(db_get_expire(db, "t", 1), -1);
    CHECK("+OK\r\n", "PSETEX", "t", "5000", "z");
    assert_true(db_get_expire(db, "t", 1) >= before + 5000);
    CHECK("$1\r\nz\r\n", "GETEX", "t", "PERSIST");
    assert_int_equal(db_get_expire(db, "t", 1), -1);
}

/* ---- a key of another type: every command refuses it and leaves it alone ---- */

#define WT "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"

static void test_wrongtype(void **state) {
    (void)state;
    /* a real list under the key "h" */
    vobj_t *o = list_type_new();
    db_add(s_ctx.e, s_ctx.c->db, "h", 1, o);
    long long d0 = s_ctx.e->stats.dirty;
    CHECK(WT, "GET", "h");
    CHECK(WT, "SET", "h", "v", "GET");
    CHECK(WT, "SET", "h", "v", "NX", "GET");
    CHECK("-ERR invalid expire time in 'set' command\r\n", "SET", "h", "v", "GET", "EX", "0");
    CHECK(WT, "GETSET", "h", "v");
    CHECK(WT, "GETDEL", "h");
    CHECK(WT, "GETEX", "h", "EX", "0");
    CHECK("-ERR syntax error\r\n", "GETEX", "h", "bogus");
    CHECK(WT, "GETRANGE", "h", "0", "-1");
    CHECK(WT, "SUBSTR", "h", "0", "-1");
    CHECK("-ERR value is not an integer or out of range\r\n", "GETRANGE", "h", "x", "-1");
    CHECK(WT, "SETRANGE", "h", "0", "v");
    CHECK(WT, "SETRANGE", "h", "0", "");
    CHECK("-ERR offset is out of range\r\n", "SETRANGE", "h", "-1", "v");
    CHECK(WT, "APPEND", "h", "v");
    CHECK(WT, "STRLEN", "h");
    CHECK(WT, "INCR", "h");
    CHECK(WT, "DECR", "h");
    CHECK(WT, "INCRBY", "h", "1");
    CHECK(WT, "DECRBY", "h", "1");
    CHECK("-ERR decrement would overflow\r\n", "DECRBY", "h", "-9223372036854775808");
    CHECK(WT, "INCRBYFLOAT", "h", "1");
    CHECK(WT, "INCRBYFLOAT", "h", "x");
    CHECK(":0\r\n", "SETNX", "h", "v");
    CHECK(":0\r\n", "MSETNX", "a", "1", "h", "v");
    CHECK("*2\r\n$-1\r\n$-1\r\n", "MGET", "h", "nokey");
    CHECK("-ERR The specified keys must contain string values\r\n", "LCS", "h", "nokey");
    CHECK("-ERR The specified keys must contain string values\r\n", "LCS", "nokey", "h", "LEN");
    CHECK("-ERR The specified keys must contain string values\r\n", "LCS", "h", "h", "bogus");
    assert_int_equal(s_ctx.e->stats.dirty, d0);
    assert_ptr_equal(s_peek("h"), o);
    assert_null(s_peek("a"));
    /* the plain setters replace it */
    CHECK("+OK\r\n", "SET", "h", "v");
    assert_int_equal(s_peek("h")->type, OBJ_STRING);
}

/* ---- LCS against a plain reference ---- */

static size_t s_ref_lcs(const char *a, size_t al, const char *b, size_t bl) {
    size_t *prev = calloc(bl + 1, sizeof *prev), *cur = calloc(bl + 1, sizeof *cur);
    for (size_t i = 1; i <= al; i++) {
        for (size_t j = 1; j <= bl; j++) {
            if (a[i - 1] == b[j - 1])
                cur[j] = prev[j - 1] + 1;
            else
                cur[j] = prev[j] > cur[j - 1] ? prev[j] : cur[j - 1];
        }
        size_t *t = prev;
        prev = cur;
        cur = t;
    }
    size_t r = prev[bl];
    free(prev);
    free(cur);
    return r;
}

static void test_lcs_random(void **state) {
    (void)state;
    srand(7);
    char a[200], b[200], want[32];
    for (int round = 0; round < 50; round++) {
        size_t al = (size_t)(rand() % 150), bl = (size_t)(rand() % 150);
        for (size_t i = 0; i < al; i++)
            a[i] = (char)('a' + rand() % 4);
        for (size_t i = 0; i < bl; i++)
            b[i] = (char)('a' + rand() % 4);
        a[al] = b[bl] = '\0';
        if (al)
            CHECK("+OK\r\n", "SET", "la", a);
        else
            db_delete(s_ctx.e, s_ctx.c->db, "la", 2);
        if (bl)
            CHECK("+OK\r\n", "SET", "lb", b);
        else
            db_delete(s_ctx.e, s_ctx.c->db, "lb", 2);
        size_t l = s_ref_lcs(a, al, b, bl);
        snprintf(want, sizeof want, ":%zu\r\n", l);
        CHECK(want, "LCS", "la", "lb", "LEN");
        /* the string form has that length and is a subsequence of both */
        size_t n;
        const char *r = s_run(&n, "LCS", "la", "lb", (const char *)NULL);
        char head[32];
        int hl = snprintf(head, sizeof head, "$%zu\r\n", l);
        assert_true(n == (size_t)hl + l + 2);
        assert_memory_equal(r, head, (size_t)hl);
        const char *s = r + hl;
        size_t ia = 0, ib = 0;
        for (size_t k = 0; k < l; k++) {
            while (ia < al && a[ia] != s[k])
                ia++;
            while (ib < bl && b[ib] != s[k])
                ib++;
            assert_true(ia < al && ib < bl);
            ia++;
            ib++;
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_dirty, s_flush),
        cmocka_unit_test_setup(test_hits_misses, s_flush),
        cmocka_unit_test_setup(test_encodings, s_flush),
        cmocka_unit_test_setup(test_expiry, s_flush),
        cmocka_unit_test_setup(test_wrongtype, s_flush),
        cmocka_unit_test_setup(test_lcs_random, s_flush),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
