/* Unit tests for engine/types/t_list.c: the type API (short elements kept in place vs heap
 * ones, the heap byte count, deep copies, iteration, ranges, moves) and, through the engine's
 * dispatcher, what the diff scripts cannot see: the dirty counter, hit/miss counters, emptied
 * keys leaving the keyspace, and the reply shapes kept for the blocking commands. */
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

static void s_reset_out(void) {
    frontend_t *fe = s_ctx.c->fe;
    fe->out.len = 0;
    fe->out_client = NULL;
    fe->out_count = 0;
}

/* The reply bytes written since s_reset_out(). */
static const char *s_out(size_t *len) {
    frontend_t *fe = s_ctx.c->fe;
    assert_true(fe->out.len >= s_ctx.hdr);
    *len = fe->out.len - s_ctx.hdr;
    return (const char *)fe->out.data + s_ctx.hdr;
}

static const char *s_run(size_t *len, const char *first, ...) {
    proto_arg_t argv[64];
    int argc = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *w = first; w; w = va_arg(ap, const char *)) {
        assert_true(argc < 64);
        argv[argc].ptr = w;
        argv[argc].len = strlen(w);
        argc++;
    }
    va_end(ap);
    s_reset_out();
    s_ctx.e->now_ms = now_ms();
    engine_execute(s_ctx.e, s_ctx.c, argc, argv);
    return s_out(len);
}

#define EXPECT_OUT(expect)                                                                         \
    do {                                                                                           \
        size_t n_;                                                                                 \
        const char *r_ = s_out(&n_);                                                               \
        if (n_ != strlen(expect) || memcmp(r_, expect, n_) != 0)                                   \
            fail_msg("reply %.*s, expected %s", (int)n_, r_, expect);                              \
    } while (0)

#define CHECK(expect, ...)                                                                         \
    do {                                                                                           \
        size_t n_;                                                                                 \
        s_run(&n_, __VA_ARGS__, (const char *)NULL);                                               \
        EXPECT_OUT(expect);                                                                        \
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
    return 0;
}

static vobj_t *s_peek(const char *key) { return db_peek(s_ctx.c->db, key, strlen(key)); }

static void s_expect_elem(const vobj_t *o, long long index, const char *want, size_t wantlen) {
    char tmp[LIST_TMP];
    size_t len;
    const char *p = list_type_index(o, index, tmp, &len);
    assert_non_null(p);
    assert_int_equal(len, wantlen);
    assert_memory_equal(p, want, wantlen);
}

/* ---- the type API ---- */

static void test_elements_short_and_long(void **state) {
    (void)state;
    vobj_t *o = list_type_new();
    assert_int_equal(o->type, OBJ_LIST);
    assert_string_equal(obj_encoding_name(o), "quicklist");
    const list_t *l = o->v.p;
    /* every length around the in-slot limit, with NULs and high bytes */
    char buf[16];
    for (size_t n = 0; n <= 12; n++) {
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)(i % 3 == 0 ? 0 : 0xf0 + i);
        list_type_push(o, buf, n, LIST_TAIL);
    }
    assert_int_equal(list_type_length(o), 13);
    for (size_t n = 0; n <= 12; n++) {
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)(i % 3 == 0 ? 0 : 0xf0 + i);
        s_expect_elem(o, (long long)n, buf, n);
    }
    /* only the five longer than seven bytes are on the heap */
    size_t heap = l->heap_bytes;
    assert_true(heap > 0);
    vstr_t *s = list_type_pop(o, LIST_HEAD); /* the empty one */
    assert_int_equal(s->len, 0);
    vstr_free(s);
    assert_int_equal(l->heap_bytes, heap);
    s = list_type_pop(o, LIST_TAIL); /* 12 bytes */
    assert_int_equal(s->len, 12);
    vstr_free(s);
    assert_true(l->heap_bytes < heap);
    char tmp[LIST_TMP];
    size_t len;
    assert_null(list_type_index(o, 11, tmp, &len));
    assert_null(list_type_index(o, -12, tmp, &len));
    s_expect_elem(o, -11, "\0", 1);
    /* replacing elements keeps the heap count exact: back to zero once all are short */
    for (long long i = 0; i < (long long)list_type_length(o); i++)
        assert_int_equal(list_type_set(o, i, "x", 1), 0);
    assert_int_equal(l->heap_bytes, 0);
    assert_int_equal(list_type_set(o, 11, "x", 1), -1);
    obj_free(o);
}

static void test_dup_is_deep(void **state) {
    (void)state;
    vobj_t *o = list_type_new();
    list_type_push(o, "short", 5, LIST_TAIL);
    list_type_push(o, "a value longer than seven", 25, LIST_TAIL);
    vobj_t *d = obj_dup(o);
    assert_int_equal(list_type_length(d), 2);
    assert_int_equal(((list_t *)d->v.p)->heap_bytes, ((list_t *)o->v.p)->heap_bytes);
    list_type_set(o, 1, "changed in the source", 21);
    s_expect_elem(d, 1, "a value longer than seven", 25);
    obj_free(o);
    s_expect_elem(d, 0, "short", 5);
    obj_free(d);
}

static void test_iter(void **state) {
    (void)state;
    vobj_t *o = list_type_new();
    char buf[32];
    for (int i = 0; i < 20; i++) {
        int n = snprintf(buf, sizeof buf, i % 2 ? "element number %d" : "%d", i);
        list_type_push(o, buf, (size_t)n, LIST_TAIL);
    }
    list_iter_t it;
    const char *p;
    size_t len;
    int seen = 0;
    list_iter_init(&it, o, 0, LIST_TAIL);
    while (list_iter_next(&it, &p, &len)) {
        int n = snprintf(buf, sizeof buf, seen % 2 ? "element number %d" : "%d", seen);
        assert_int_equal(len, (size_t)n);
        assert_memory_equal(p, buf, len);
        seen++;
    }
    assert_int_equal(seen, 20);
    /* headwards from -1: 19 down to 0 */
    seen = 0;
    list_iter_init(&it, o, -1, LIST_HEAD);
    while (list_iter_next(&it, &p, &len))
        seen++;
    assert_int_equal(seen, 20);
    /* clamping: before the head walking tailwards = all; past the tail walking headwards =
     * all; the other two = nothing */
    int cases[4][3] = {
        {-100, LIST_TAIL, 20}, {100, LIST_HEAD, 20}, {20, LIST_TAIL, 0}, {-21, LIST_HEAD, 0}};
    for (int k = 0; k < 4; k++) {
        seen = 0;
        list_iter_init(&it, o, cases[k][0], cases[k][1]);
        while (list_iter_next(&it, &p, &len))
            seen++;
        assert_int_equal(seen, cases[k][2]);
    }
    list_iter_init(&it, o, 5, LIST_HEAD);
    seen = 0;
    while (list_iter_next(&it, &p, &len))
        seen++;
    assert_int_equal(seen, 6);
    obj_free(o);
}

static void test_delete_range_and_insert(void **state) {
    (void)state;
    vobj_t *o = list_type_new();
    char buf[32];
    for (int i = 0; i < 100; i++) {
        int n = snprintf(buf, sizeof buf, "%d", i);
        list_type_push(o, buf, (size_t)n, LIST_TAIL);
    }
    list_type_delete_range(o, 10, 5);   /* 10..14, closer to the head */
    list_type_delete_range(o, -10, 3);  /* 90..92, closer to the tail */
    list_type_delete_range(o, 0, 0);    /* nothing */
    list_type_delete_range(o, 200, 5);  /* nothing */
    list_type_delete_range(o, -200, 1); /* clamped to the head: removes 0 */
    assert_int_equal(list_type_length(o), 91);
    s_expect_elem(o, 0, "1", 1);
    s_expect_elem(o, 8, "9", 1);
    s_expect_elem(o, 9, "15", 2);
    s_expect_elem(o, -7, "93", 2);
    s_expect_elem(o, -8, "89", 2);
    list_type_insert(o, 0, "head", 4, LIST_HEAD);
    list_type_insert(o, 0, "after-head", 10, LIST_TAIL);
    s_expect_elem(o, 0, "head", 4);
    s_expect_elem(o, 1, "after-head", 10);
    s_expect_elem(o, 2, "1", 1);
    list_type_insert(o, list_type_length(o) - 1, "last", 4, LIST_TAIL);
    s_expect_elem(o, -1, "last", 4);
    list_type_delete_range(o, 1, 1000); /* to the end */
    assert_int_equal(list_type_length(o), 1);
    assert_int_equal(((list_t *)o->v.p)->heap_bytes, 0);
    obj_free(o);
}

static void test_move(void **state) {
    (void)state;
    vobj_t *a = list_type_new(), *b = list_type_new();
    list_type_push(a, "a long element here", 19, LIST_TAIL);
    list_type_push(a, "x", 1, LIST_TAIL);
    size_t heap = ((list_t *)a->v.p)->heap_bytes;
    assert_int_equal(list_type_move(a, LIST_HEAD, b, LIST_TAIL), 0);
    assert_int_equal(((list_t *)a->v.p)->heap_bytes, 0);
    assert_int_equal(((list_t *)b->v.p)->heap_bytes, heap);
    assert_int_equal(list_type_move(a, LIST_TAIL, a, LIST_HEAD), 0); /* same list */
    assert_int_equal(list_type_length(a), 1);
    assert_int_equal(list_type_move(a, LIST_TAIL, b, LIST_HEAD), 0);
    assert_int_equal(list_type_move(a, LIST_TAIL, b, LIST_HEAD), -1); /* empty source */
    s_expect_elem(b, 0, "x", 1);
    s_expect_elem(b, 1, "a long element here", 19);
    obj_free(a);
    obj_free(b);
}

/* ---- through the dispatcher ---- */

static void test_dirty(void **state) {
    (void)state;
    long long *d = &s_ctx.e->stats.dirty;
    long long d0 = *d;
    CHECK(":3\r\n", "RPUSH", "l", "a", "b", "c");
    assert_int_equal(*d, d0 + 3);
    CHECK(":0\r\n", "LPUSHX", "nokey", "a");
    CHECK("*0\r\n", "LPOP", "l", "0");
    CHECK("$-1\r\n", "LPOP", "nokey");
    CHECK(":-1\r\n", "LINSERT", "l", "BEFORE", "zz", "v");
    CHECK(":0\r\n", "LREM", "l", "0", "zz");
    CHECK("-ERR index out of range\r\n", "LSET", "l", "5", "v");
    assert_int_equal(*d, d0 + 3);
    CHECK("*2\r\n$1\r\nc\r\n$1\r\nb\r\n", "RPOP", "l", "2");
    assert_int_equal(*d, d0 + 5);
    CHECK(":5\r\n", "RPUSH", "l", "x", "y", "x", "z");
    CHECK(":2\r\n", "LREM", "l", "0", "x");
    CHECK("+OK\r\n", "LTRIM", "l", "1", "1");
    assert_int_equal(*d, d0 + 13);
    CHECK("+OK\r\n", "LTRIM", "l", "0", "-1"); /* nothing removed */
    CHECK("+OK\r\n", "LSET", "l", "0", "v");
    CHECK(":2\r\n", "LINSERT", "l", "AFTER", "v", "w");
    CHECK("$1\r\nv\r\n", "LMOVE", "l", "m", "LEFT", "LEFT");
    assert_int_equal(*d, d0 + 16);
    CHECK("*2\r\n$1\r\nl\r\n*1\r\n$1\r\nw\r\n", "LMPOP", "2", "nokey", "l", "LEFT", "COUNT", "9");
    assert_int_equal(*d, d0 + 17);
}

static void test_hits_misses(void **state) {
    (void)state;
    engine_stats_t *st = &s_ctx.e->stats;
    CHECK(":1\r\n", "RPUSH", "l", "a");
    long long h = st->keyspace_hits, m = st->keyspace_misses;
    CHECK("*1\r\n$1\r\na\r\n", "LRANGE", "l", "0", "-1");
    CHECK(":1\r\n", "LLEN", "l");
    CHECK("$1\r\na\r\n", "LINDEX", "l", "0");
    CHECK(":0\r\n", "LPOS", "l", "a");
    assert_int_equal(st->keyspace_hits, h + 4);
    CHECK("*0\r\n", "LRANGE", "nokey", "0", "-1");
    CHECK(":0\r\n", "LLEN", "nokey");
    assert_int_equal(st->keyspace_misses, m + 2);
    /* writes look keys up without counting */
    CHECK(":2\r\n", "RPUSH", "l", "b");
    CHECK("$1\r\na\r\n", "LPOP", "l");
    CHECK("$-1\r\n", "RPOP", "nokey");
    assert_int_equal(st->keyspace_hits, h + 4);
    assert_int_equal(st->keyspace_misses, m + 2);
}

static void test_emptied_keys_leave(void **state) {
    (void)state;
    CHECK(":2\r\n", "RPUSH", "a", "1", "2");
    CHECK("*2\r\n$1\r\n1\r\n$1\r\n2\r\n", "LPOP", "a", "2");
    assert_null(s_peek("a"));
    CHECK(":1\r\n", "RPUSH", "a", "1");
    CHECK(":1\r\n", "LREM", "a", "0", "1");
    assert_null(s_peek("a"));
    CHECK(":1\r\n", "RPUSH", "a", "1");
    CHECK("+OK\r\n", "LTRIM", "a", "1", "0");
    assert_null(s_peek("a"));
    CHECK(":1\r\n", "RPUSH", "a", "1");
    CHECK("$1\r\n1\r\n", "RPOPLPUSH", "a", "b");
    assert_null(s_peek("a"));
    assert_non_null(s_peek("b"));
    CHECK("$1\r\n1\r\n", "LMOVE", "b", "b", "LEFT", "RIGHT"); /* its own source: stays */
    assert_non_null(s_peek("b"));
    CHECK("*2\r\n$1\r\nb\r\n*1\r\n$1\r\n1\r\n", "LMPOP", "1", "b", "RIGHT");
    assert_null(s_peek("b"));
    /* a failed move changes nothing */
    CHECK("+OK\r\n", "SET", "s", "v");
    CHECK(":1\r\n", "RPUSH", "a", "1");
    CHECK("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "LMOVE", "a",
          "s", "LEFT", "RIGHT");
    assert_int_equal(list_type_length(s_peek("a")), 1);
}

/* The pop shapes BLPOP / BLMPOP will use when a key they wait on becomes ready. */
static void test_pop_reply_shapes(void **state) {
    (void)state;
    CHECK(":4\r\n", "RPUSH", "q", "a", "b", "c", "d");
    s_reset_out();
    int deleted = -1;
    assert_int_equal(
        list_pop_reply(s_ctx.c, "q", 1, s_peek("q"), LIST_HEAD, 1, LIST_POP_KEY_VALUE, &deleted),
        1);
    EXPECT_OUT("*2\r\n$1\r\nq\r\n$1\r\na\r\n");
    assert_int_equal(deleted, 0);
    s_reset_out();
    assert_int_equal(
        list_pop_reply(s_ctx.c, "q", 1, s_peek("q"), LIST_TAIL, 2, LIST_POP_KEY_ARRAY, &deleted),
        2);
    EXPECT_OUT("*2\r\n$1\r\nq\r\n*2\r\n$1\r\nd\r\n$1\r\nc\r\n");
    s_reset_out();
    assert_int_equal(
        list_pop_reply(s_ctx.c, "q", 1, s_peek("q"), LIST_TAIL, 1, LIST_POP_BULK, &deleted), 1);
    EXPECT_OUT("$1\r\nb\r\n");
    assert_int_equal(deleted, 1);
    assert_null(s_peek("q"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elements_short_and_long),
        cmocka_unit_test(test_dup_is_deep),
        cmocka_unit_test(test_iter),
        cmocka_unit_test(test_delete_range_and_insert),
        cmocka_unit_test(test_move),
        cmocka_unit_test_setup(test_dirty, s_flush),
        cmocka_unit_test_setup(test_hits_misses, s_flush),
        cmocka_unit_test_setup(test_emptied_keys_leave, s_flush),
        cmocka_unit_test_setup(test_pop_reply_shapes, s_flush),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
