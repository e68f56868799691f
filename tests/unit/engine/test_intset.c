/* Unit tests for engine/ds/intset.c: ordering, duplicates, widening at the 16/32-bit limits
 * (from either end), removal without narrowing, lookups of values wider than the set, the
 * extremes of int64, validation of blobs, and a randomized comparison with a reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine/ds/intset.h"

static void s_check_sorted(const intset_t *is) {
    for (uint32_t i = 1; i < intset_len(is); i++)
        assert_true(intset_get(is, i - 1) < intset_get(is, i));
}

static intset_t *s_add(intset_t *is, int64_t v, int expect_added) {
    int added = -1;
    is = intset_add(is, v, &added);
    assert_int_equal(added, expect_added);
    return is;
}

static intset_t *s_rem(intset_t *is, int64_t v, int expect_removed) {
    int removed = -1;
    is = intset_remove(is, v, &removed);
    assert_int_equal(removed, expect_removed);
    return is;
}

static void test_basic(void **state) {
    (void)state;
    intset_t *is = intset_new();
    assert_int_equal(intset_len(is), 0);
    assert_int_equal(intset_width(is), 2);
    assert_false(intset_find(is, 0));
    int64_t vals[] = {5, 1, 3, -7, 100, 3, 5};
    int expect[] = {1, 1, 1, 1, 1, 0, 0};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        is = s_add(is, vals[i], expect[i]);
    assert_int_equal(intset_len(is), 5);
    int64_t sorted[] = {-7, 1, 3, 5, 100};
    for (uint32_t i = 0; i < 5; i++)
        assert_int_equal(intset_get(is, i), sorted[i]);
    assert_int_equal(intset_min(is), -7);
    assert_int_equal(intset_max(is), 100);
    assert_true(intset_find(is, 3));
    assert_false(intset_find(is, 4));
    assert_int_equal(intset_bytes(is), sizeof(intset_t) + 5 * 2);

    is = s_rem(is, 3, 1);
    is = s_rem(is, 3, 0);
    is = s_rem(is, -7, 1);
    is = s_rem(is, 100, 1);
    assert_int_equal(intset_len(is), 2);
    assert_int_equal(intset_get(is, 0), 1);
    assert_int_equal(intset_get(is, 1), 5);
    intset_destroy(&is);
    assert_null(is);
    intset_destroy(&is); /* safe twice */
}

static void test_width_limits(void **state) {
    (void)state;
    assert_int_equal(intset_width_for(INT16_MAX), 2);
    assert_int_equal(intset_width_for(INT16_MIN), 2);
    assert_int_equal(intset_width_for((int64_t)INT16_MAX + 1), 4);
    assert_int_equal(intset_width_for((int64_t)INT16_MIN - 1), 4);
    assert_int_equal(intset_width_for(INT32_MAX), 4);
    assert_int_equal(intset_width_for(INT32_MIN), 4);
    assert_int_equal(intset_width_for((int64_t)INT32_MAX + 1), 8);
    assert_int_equal(intset_width_for((int64_t)INT32_MIN - 1), 8);
    assert_int_equal(intset_width_for(INT64_MAX), 8);
    assert_int_equal(intset_width_for(INT64_MIN), 8);
}

static void test_widen_up(void **state) {
    (void)state;
    intset_t *is = intset_new();
    for (int64_t v = -10; v <= 10; v++)
        is = s_add(is, v, 1);
    is = s_add(is, 40000, 1); /* above every member: appended */
    assert_int_equal(intset_width(is), 4);
    assert_int_equal(intset_len(is), 22);
    assert_int_equal(intset_max(is), 40000);
    for (int64_t v = -10; v <= 10; v++)
        assert_true(intset_find(is, v));
    s_check_sorted(is);
    is = s_add(is, INT64_MAX, 1);
    assert_int_equal(intset_width(is), 8);
    assert_int_equal(intset_max(is), INT64_MAX);
    s_check_sorted(is);
    is = s_add(is, INT64_MAX, 0);
    intset_destroy(&is);
}

static void test_widen_down(void **state) {
    (void)state;
    intset_t *is = intset_new();
    for (int64_t v = 0; v < 50; v++)
        is = s_add(is, v * 3, 1);
    is = s_add(is, -40000, 1); /* below every member: prepended */
    assert_int_equal(intset_width(is), 4);
    assert_int_equal(intset_min(is), -40000);
    assert_int_equal(intset_get(is, 1), 0);
    assert_int_equal(intset_max(is), 147);
    s_check_sorted(is);
    is = s_add(is, INT64_MIN, 1);
    assert_int_equal(intset_width(is), 8);
    assert_int_equal(intset_min(is), INT64_MIN);
    assert_int_equal(intset_get(is, 1), -40000);
    s_check_sorted(is);
    assert_int_equal(intset_len(is), 52);
    intset_destroy(&is);
}

static void test_remove_keeps_width(void **state) {
    (void)state;
    intset_t *is = intset_new();
    is = s_add(is, 1, 1);
    is = s_add(is, 1LL << 40, 1);
    assert_int_equal(intset_width(is), 8);
    is = s_rem(is, 1LL << 40, 1);
    assert_int_equal(intset_width(is), 8);
    assert_int_equal(intset_len(is), 1);
    assert_int_equal(intset_bytes(is), sizeof(intset_t) + 8);
    is = s_rem(is, 1, 1);
    assert_int_equal(intset_len(is), 0);
    is = s_add(is, 7, 1);
    assert_int_equal(intset_get(is, 0), 7);
    intset_destroy(&is);
}

static void test_wider_lookups(void **state) {
    (void)state;
    intset_t *is = intset_new();
    is = s_add(is, 1, 1);
    /* values wider than the set can't be members; nor must they alias a truncated member */
    assert_false(intset_find(is, 65537));
    assert_false(intset_find(is, (1LL << 32) + 1));
    is = s_rem(is, 65537, 0);
    is = s_rem(is, (1LL << 32) + 1, 0);
    assert_int_equal(intset_len(is), 1);
    assert_int_equal(intset_width(is), 2);
    intset_destroy(&is);
}

static void test_dup_validate(void **state) {
    (void)state;
    intset_t *is = intset_new();
    assert_true(intset_validate(is, intset_bytes(is)));
    for (int64_t v = 0; v < 100; v++)
        is = s_add(is, v * v - 500, 1);
    intset_t *c = intset_dup(is);
    assert_int_equal(intset_bytes(c), intset_bytes(is));
    assert_memory_equal(c, is, intset_bytes(is));
    assert_true(intset_validate(c, intset_bytes(c)));
    assert_false(intset_validate(c, intset_bytes(c) - 1));
    assert_false(intset_validate(c, 4));
    int64_t v0 = intset_get(c, 0);
    memcpy(c->data, c->data + c->width, c->width); /* duplicate: not strictly ascending */
    assert_false(intset_validate(c, intset_bytes(c)));
    memcpy(c->data, &v0, c->width);
    assert_true(intset_validate(c, intset_bytes(c)));
    c->width = 3;
    assert_false(intset_validate(c, intset_bytes(is)));
    intset_destroy(&c);
    intset_destroy(&is);
}

/* Random adds and removes across all widths, compared with a plain presence table. */
static void test_random_vs_reference(void **state) {
    (void)state;
    enum { N = 4000 };
    int64_t *pool = malloc(N * sizeof *pool);
    char *in = calloc(N, 1);
    assert_non_null(pool);
    assert_non_null(in);
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < N;) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t v = (int64_t)x;
        if (i % 3 == 0)
            v = (int16_t)v;
        else if (i % 3 == 1)
            v = (int32_t)v;
        int dup = 0;
        for (int j = 0; j < i && !dup; j++)
            dup = pool[j] == v; /* keep the pool distinct */
        if (!dup) pool[i++] = v;
    }
    intset_t *is = intset_new();
    uint32_t count = 0;
    for (int round = 0; round < 20000; round++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int i = (int)(x % N);
        if ((x >> 32) & 1) {
            is = s_add(is, pool[i], !in[i]);
            if (!in[i]) count++;
            in[i] = 1;
        } else {
            is = s_rem(is, pool[i], in[i]);
            if (in[i]) count--;
            in[i] = 0;
        }
    }
    assert_int_equal(intset_len(is), count);
    s_check_sorted(is);
    for (int i = 0; i < N; i++)
        assert_int_equal(intset_find(is, pool[i]), in[i]);
    assert_true(intset_validate(is, intset_bytes(is)));
    intset_destroy(&is);
    free(pool);
    free(in);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_width_limits),
        cmocka_unit_test(test_widen_up),
        cmocka_unit_test(test_widen_down),
        cmocka_unit_test(test_remove_keeps_width),
        cmocka_unit_test(test_wider_lookups),
        cmocka_unit_test(test_dup_validate),
        cmocka_unit_test(test_random_vs_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
