/* Unit tests for engine/ds/idmap.c: ordering by (ms, seq) including the 64-bit extremes,
 * duplicates, seeks in both directions, deletion while walking, and a randomized comparison
 * with a sorted reference array. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine/ds/idmap.h"

static idm_id_t s_id(uint64_t ms, uint64_t seq) { return (idm_id_t){ms, seq}; }

static void test_basic(void **state) {
    (void)state;
    idmap_t *m = idm_new();
    assert_int_equal(idm_len(m), 0);
    assert_null(idm_first(m));
    assert_null(idm_last(m));
    assert_null(idm_seek_ge(m, s_id(0, 0)));
    assert_null(idm_seek_le(m, s_id(UINT64_MAX, UINT64_MAX)));
    assert_non_null(idm_insert(m, s_id(5, 1), (void *)1));
    assert_non_null(idm_insert(m, s_id(1, UINT64_MAX), (void *)2));
    assert_non_null(idm_insert(m, s_id(UINT64_MAX, UINT64_MAX), (void *)3));
    assert_non_null(idm_insert(m, s_id(5, 0), (void *)4));
    assert_null(idm_insert(m, s_id(5, 0), (void *)5));
    assert_int_equal(idm_len(m), 4);
    idm_node_t *n = idm_first(m);
    assert_true(n->id.ms == 1 && n->id.seq == UINT64_MAX);
    n = idm_next(n);
    assert_true(n->id.ms == 5 && n->id.seq == 0);
    assert_ptr_equal(n->val, (void *)4);
    n = idm_next(n);
    assert_true(n->id.ms == 5 && n->id.seq == 1);
    n = idm_next(n);
    assert_true(n->id.ms == UINT64_MAX);
    assert_null(idm_next(n));
    assert_ptr_equal(idm_last(m), n);
    assert_true(idm_prev(m, n)->id.seq == 1);
    assert_null(idm_prev(m, idm_first(m)));
    assert_true(idm_seek_ge(m, s_id(2, 0))->id.ms == 5);
    assert_true(idm_seek_ge(m, s_id(5, 1))->id.seq == 1);
    assert_true(idm_seek_le(m, s_id(5, 0))->id.seq == 0);
    assert_true(idm_seek_le(m, s_id(4, 9))->id.ms == 1);
    assert_null(idm_seek_le(m, s_id(1, 5)));
    assert_null(idm_find(m, s_id(5, 2)));
    assert_ptr_equal(idm_find(m, s_id(5, 1))->val, (void *)1);
    void *v = NULL;
    assert_int_equal(idm_delete(m, s_id(UINT64_MAX, UINT64_MAX), &v), 1);
    assert_ptr_equal(v, (void *)3);
    assert_int_equal(idm_delete(m, s_id(UINT64_MAX, UINT64_MAX), &v), 0);
    assert_true(idm_last(m)->id.ms == 5 && idm_last(m)->id.seq == 1);
    assert_int_equal(idm_delete(m, s_id(1, UINT64_MAX), NULL), 1);
    assert_null(idm_prev(m, idm_first(m)));
    assert_int_equal(idm_len(m), 2);
    idm_free(m, NULL);
}

static int s_cmp_ref(const void *a, const void *b) {
    return idm_cmp(*(const idm_id_t *)a, *(const idm_id_t *)b);
}

static void s_check(idmap_t *m, idm_id_t *ref, size_t n) {
    assert_int_equal(idm_len(m), n);
    idm_node_t *x = idm_first(m);
    for (size_t i = 0; i < n; i++, x = idm_next(x)) {
        assert_non_null(x);
        assert_int_equal(idm_cmp(x->id, ref[i]), 0);
    }
    assert_null(x);
    x = idm_last(m);
    for (size_t i = n; i > 0; i--, x = idm_prev(m, x)) assert_int_equal(idm_cmp(x->id, ref[i - 1]), 0);
    assert_null(x);
}

static void test_random(void **state) {
    (void)state;
    srand(42);
    idmap_t *m = idm_new();
    enum { N = 3000 };
    idm_id_t *ref = malloc(sizeof(idm_id_t) * N);
    size_t n = 0;
    for (int round = 0; round < 20000; round++) {
        idm_id_t id = s_id((uint64_t)(rand() % 50), (uint64_t)(rand() % 50));
        idm_id_t *hit = bsearch(&id, ref, n, sizeof *ref, s_cmp_ref);
        if (rand() % 3 && n < N) {
            idm_node_t *node = idm_insert(m, id, NULL);
            assert_int_equal(node == NULL, hit != NULL);
            if (!hit) {
                ref[n++] = id;
                qsort(ref, n, sizeof *ref, s_cmp_ref);
            }
        } else {
            assert_int_equal(idm_delete(m, id, NULL), hit != NULL);
            if (hit) {
                memmove(hit, hit + 1, (size_t)(ref + n - hit - 1) * sizeof *ref);
                n--;
            }
        }
        /* seeks against the reference */
        idm_id_t q = s_id((uint64_t)(rand() % 52), (uint64_t)(rand() % 52));
        idm_node_t *ge = idm_seek_ge(m, q), *le = idm_seek_le(m, q);
        size_t lo = 0;
        while (lo < n && idm_cmp(ref[lo], q) < 0) lo++;
        if (lo == n) assert_null(ge); else assert_int_equal(idm_cmp(ge->id, ref[lo]), 0);
        size_t hi = n;
        while (hi > 0 && idm_cmp(ref[hi - 1], q) > 0) hi--;
        if (hi == 0) assert_null(le); else assert_int_equal(idm_cmp(le->id, ref[hi - 1]), 0);
        if (round % 1000 == 0) s_check(m, ref, n);
    }
    s_check(m, ref, n);
    /* delete everything while walking forward */
    idm_node_t *x = idm_first(m);
    while (x) {
        idm_node_t *nx = idm_next(x);
        assert_int_equal(idm_delete(m, x->id, NULL), 1);
        x = nx;
    }
    assert_int_equal(idm_len(m), 0);
    assert_null(idm_last(m));
    free(ref);
    idm_free(m, NULL);
}

static void s_free_val(void *p) { free(p); }

static void test_free_values(void **state) {
    (void)state;
    idmap_t *m = idm_new();
    for (uint64_t i = 0; i < 1000; i++) idm_insert(m, s_id(i, 0), malloc(8));
    idm_free(m, s_free_val);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_free_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
