/* Unit tests for engine/ds/fvpack.c: appends, lookups, in-place value changes across the
 * varint size boundaries, deletions anywhere, order, copies, and a randomized run against a
 * plain array model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ds/fvpack.h"

static void s_expect_pair(const fvpack_t *p, size_t off, const char *f, size_t flen, const char *v,
                          size_t vlen) {
    assert_true(off != FVP_NONE);
    fvp_pair_t pr;
    fvp_get(p, off, &pr);
    assert_int_equal(pr.flen, flen);
    assert_int_equal(pr.vlen, vlen);
    if (flen) assert_memory_equal(pr.f, f, flen);
    if (vlen) assert_memory_equal(pr.v, v, vlen);
}

static void s_expect_get(const fvpack_t *p, const char *f, const char *v) {
    size_t off = fvp_find(p, f, strlen(f));
    s_expect_pair(p, off, f, strlen(f), v, strlen(v));
}

static void test_basic(void **state) {
    (void)state;
    fvpack_t *p = fvp_new(0);
    assert_int_equal(fvp_count(p), 0);
    assert_true(fvp_first(p) == FVP_NONE);
    assert_true(fvp_find(p, "a", 1) == FVP_NONE);
    p = fvp_append(p, "a", 1, "1", 1);
    p = fvp_append(p, "bb", 2, "", 0);
    p = fvp_append(p, "", 0, "empty", 5);
    assert_int_equal(fvp_count(p), 3);
    s_expect_get(p, "a", "1");
    s_expect_get(p, "bb", "");
    s_expect_get(p, "", "empty");
    assert_true(fvp_find(p, "b", 1) == FVP_NONE);
    assert_true(fvp_find(p, "bbb", 3) == FVP_NONE);
    /* order and the index walk */
    const char *order[] = {"a", "bb", ""};
    fvp_pair_t pr;
    int i = 0;
    for (size_t off = fvp_first(p); off != FVP_NONE; off = pr.next, i++) {
        fvp_get(p, off, &pr);
        assert_int_equal(pr.flen, strlen(order[i]));
        assert_int_equal(fvp_index(p, (uint32_t)i), off);
    }
    assert_int_equal(i, 3);
    fvp_destroy(&p);
    assert_null(p);
    fvp_destroy(&p); /* safe twice */
}

static void test_binary(void **state) {
    (void)state;
    fvpack_t *p = fvp_new(0);
    const char f1[] = {'a', 0, 'b'}, f2[] = {'a', 0, 'c'}, v[] = {0, (char)0xff, 0};
    p = fvp_append(p, f1, 3, v, 3);
    p = fvp_append(p, f2, 3, "x", 1);
    s_expect_pair(p, fvp_find(p, f1, 3), f1, 3, v, 3);
    s_expect_pair(p, fvp_find(p, f2, 3), f2, 3, "x", 1);
    assert_true(fvp_find(p, "a", 1) == FVP_NONE);
    fvp_destroy(&p);
}

/* Value sizes across the 1/2/3-byte varint boundaries, growing and shrinking in place, with
 * pairs before and after the changed one. */
static void test_set_value_sizes(void **state) {
    (void)state;
    static const size_t sizes[] = {0, 1, 127, 128, 129, 300, 16383, 16384, 70000, 5, 0, 128, 1};
    char *big = malloc(70000);
    for (size_t i = 0; i < 70000; i++)
        big[i] = (char)('a' + i % 26);
    fvpack_t *p = fvp_new(0);
    p = fvp_append(p, "before", 6, "B", 1);
    p = fvp_append(p, "f", 1, "", 0);
    p = fvp_append(p, "after", 5, "A", 1);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t off = fvp_find(p, "f", 1);
        p = fvp_set_value(p, off, big, sizes[k]);
        assert_int_equal(fvp_count(p), 3);
        s_expect_pair(p, fvp_find(p, "f", 1), "f", 1, big, sizes[k]);
        s_expect_get(p, "before", "B");
        s_expect_get(p, "after", "A");
        assert_int_equal(fvp_index(p, 2), fvp_find(p, "after", 5));
    }
    /* long fields too */
    p = fvp_append(p, big, 20000, "long", 4);
    s_expect_pair(p, fvp_find(p, big, 20000), big, 20000, "long", 4);
    assert_true(fvp_find(p, big, 19999) == FVP_NONE);
    free(big);
    fvp_destroy(&p);
}

static void test_delete(void **state) {
    (void)state;
    fvpack_t *p = fvp_new(0);
    char f[16];
    for (int i = 0; i < 10; i++) {
        int n = snprintf(f, sizeof f, "f%d", i);
        p = fvp_append(p, f, (size_t)n, f, (size_t)n);
    }
    p = fvp_delete(p, fvp_find(p, "f0", 2)); /* first */
    p = fvp_delete(p, fvp_find(p, "f9", 2)); /* last */
    p = fvp_delete(p, fvp_find(p, "f5", 2)); /* middle */
    assert_int_equal(fvp_count(p), 7);
    const char *left[] = {"f1", "f2", "f3", "f4", "f6", "f7", "f8"};
    fvp_pair_t pr;
    int i = 0;
    for (size_t off = fvp_first(p); off != FVP_NONE; off = pr.next, i++) {
        fvp_get(p, off, &pr);
        assert_int_equal(pr.flen, 2);
        assert_memory_equal(pr.f, left[i], 2);
        assert_memory_equal(pr.v, left[i], 2);
    }
    assert_int_equal(i, 7);
    while (fvp_count(p))
        p = fvp_delete(p, fvp_first(p));
    assert_true(fvp_first(p) == FVP_NONE);
    assert_int_equal(p->len, 0);
    fvp_destroy(&p);
}

static void test_dup_and_shrink(void **state) {
    (void)state;
    fvpack_t *p = fvp_new(0);
    char v[1000];
    memset(v, 'v', sizeof v);
    char f[16];
    for (int i = 0; i < 100; i++) {
        int n = snprintf(f, sizeof f, "%d", i);
        p = fvp_append(p, f, (size_t)n, v, sizeof v);
    }
    size_t grown = fvp_mem(p);
    fvpack_t *d = fvp_dup(p);
    assert_int_equal(d->len, p->len);
    assert_int_equal(fvp_count(d), 100);
    assert_memory_equal(d->data, p->data, p->len);
    /* emptying most of the pack gives memory back; the copy is independent */
    for (int i = 0; i < 95; i++)
        p = fvp_delete(p, fvp_first(p));
    assert_true(fvp_mem(p) < grown / 4);
    assert_int_equal(fvp_count(d), 100);
    s_expect_pair(d, fvp_find(d, "0", 1), "0", 1, v, sizeof v);
    s_expect_pair(p, fvp_find(p, "99", 2), "99", 2, v, sizeof v);
    fvp_destroy(&p);
    fvp_destroy(&d);
}

/* Random appends, updates and deletes checked against an array of pairs. */
typedef struct {
    char f[8], v[300];
    size_t flen, vlen;
} s_model_t;

static void test_random_model(void **state) {
    (void)state;
    enum { MAXN = 64, OPS = 20000 };
    s_model_t m[MAXN];
    int n = 0;
    fvpack_t *p = fvp_new(0);
    srand(12345);
    for (int op = 0; op < OPS; op++) {
        int kind = rand() % 3;
        char f[8];
        size_t flen = (size_t)snprintf(f, sizeof f, "k%d", rand() % (MAXN * 2));
        size_t vlen = (size_t)(rand() % 4 == 0 ? rand() % 300 : rand() % 10);
        char v[300];
        for (size_t i = 0; i < vlen; i++)
            v[i] = (char)rand();
        int at = -1;
        for (int i = 0; i < n; i++)
            if (m[i].flen == flen && memcmp(m[i].f, f, flen) == 0) at = i;
        size_t off = fvp_find(p, f, flen);
        assert_int_equal(off == FVP_NONE, at < 0);
        if (kind < 2) {
            if (at >= 0) {
                p = fvp_set_value(p, off, v, vlen);
            } else if (n < MAXN) {
                p = fvp_append(p, f, flen, v, vlen);
                at = n++;
                memcpy(m[at].f, f, flen);
                m[at].flen = flen;
            } else {
                continue;
            }
            memcpy(m[at].v, v, vlen);
            m[at].vlen = vlen;
        } else if (at >= 0) {
            p = fvp_delete(p, off);
            memmove(&m[at], &m[at + 1], (size_t)(n - at - 1) * sizeof m[0]);
            n--;
        }
        assert_int_equal(fvp_count(p), n);
        if (op % 97 == 0) {
            fvp_pair_t pr;
            int i = 0;
            for (size_t o = fvp_first(p); o != FVP_NONE; o = pr.next, i++) {
                fvp_get(p, o, &pr);
                assert_int_equal(pr.flen, m[i].flen);
                assert_memory_equal(pr.f, m[i].f, pr.flen);
                assert_int_equal(pr.vlen, m[i].vlen);
                if (pr.vlen) assert_memory_equal(pr.v, m[i].v, pr.vlen);
            }
            assert_int_equal(i, n);
        }
    }
    fvp_destroy(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),           cmocka_unit_test(test_binary),
        cmocka_unit_test(test_set_value_sizes), cmocka_unit_test(test_delete),
        cmocka_unit_test(test_dup_and_shrink),  cmocka_unit_test(test_random_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
