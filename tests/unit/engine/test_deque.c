/* Unit tests for engine/ds/deque.c: pushes and pops at both ends across wrap-around, growth
 * and shrinking, insert/remove in the middle on either side, bulk drops, against a model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine/ds/deque.h"

#define P(i) ((void *)(uintptr_t)((i) + 1))
#define I(p) ((long)((uintptr_t)(p)-1))

/* The model: a plain array with the same contents. */
typedef struct {
    long *v;
    size_t len, cap;
} model_t;

static void s_model_insert(model_t *m, size_t i, long x) {
    if (m->len == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->v = realloc(m->v, m->cap * sizeof(long));
    }
    memmove(m->v + i + 1, m->v + i, (m->len - i) * sizeof(long));
    m->v[i] = x;
    m->len++;
}

static long s_model_remove(model_t *m, size_t i) {
    long x = m->v[i];
    memmove(m->v + i, m->v + i + 1, (m->len - i - 1) * sizeof(long));
    m->len--;
    return x;
}

static void s_check(const deque_t *d, const model_t *m) {
    assert_int_equal(deque_len(d), m->len);
    if (d->cap) assert_int_equal(d->cap & (d->cap - 1), 0);
    assert_true(d->len <= d->cap);
    for (size_t i = 0; i < m->len; i++)
        assert_int_equal(I(deque_get(d, i)), m->v[i]);
}

static void test_empty(void **state) {
    (void)state;
    deque_t d;
    deque_init(&d);
    assert_int_equal(deque_len(&d), 0);
    assert_int_equal(deque_slot_bytes(&d), 0);
    deque_clear(&d);
    deque_clear(&d); /* twice is fine */
}

static void test_push_pop_both_ends(void **state) {
    (void)state;
    deque_t d;
    deque_init(&d);
    for (long i = 0; i < 100; i++) {
        deque_push_tail(&d, P(i));
        deque_push_head(&d, P(-i - 1));
    }
    assert_int_equal(deque_len(&d), 200);
    for (long i = 0; i < 200; i++)
        assert_int_equal(I(deque_get(&d, (size_t)i)), i - 100);
    assert_int_equal(I(*deque_slot(&d, 5)), -95);
    for (long i = 0; i < 100; i++) {
        assert_int_equal(I(deque_pop_head(&d)), i - 100);
        assert_int_equal(I(deque_pop_tail(&d)), 99 - i);
    }
    assert_int_equal(deque_len(&d), 0);
    assert_int_equal(d.cap, 0); /* an empty deque holds no slots */
}

static void test_wraparound_fifo(void **state) {
    (void)state;
    /* a queue that never holds more than 5 keeps its small ring and wraps many times */
    deque_t d;
    deque_init(&d);
    long next_in = 0, next_out = 0;
    for (int round = 0; round < 1000; round++) {
        while (deque_len(&d) < 5)
            deque_push_tail(&d, P(next_in++));
        assert_int_equal(I(deque_pop_head(&d)), next_out++);
        assert_int_equal(I(deque_pop_head(&d)), next_out++);
    }
    assert_true(d.cap <= 8);
    deque_clear(&d);
}

static void test_shrink(void **state) {
    (void)state;
    deque_t d;
    deque_init(&d);
    for (long i = 0; i < 10000; i++)
        deque_push_tail(&d, P(i));
    assert_true(d.cap >= 10000);
    for (long i = 0; i < 9990; i++)
        assert_int_equal(I(deque_pop_head(&d)), i);
    assert_true(d.cap <= 64);
    for (long i = 0; i < 10; i++)
        assert_int_equal(I(deque_get(&d, (size_t)i)), 9990 + i);
    deque_clear(&d);
}

static void test_reserve_and_set(void **state) {
    (void)state;
    deque_t d;
    deque_init(&d);
    deque_reserve(&d, 1000);
    assert_true(d.cap >= 1000);
    size_t cap = d.cap;
    for (long i = 0; i < 1000; i++)
        deque_push_head(&d, P(i));
    assert_int_equal(d.cap, cap); /* no reallocation */
    deque_set(&d, 0, P(-5));
    assert_int_equal(I(deque_get(&d, 0)), -5);
    assert_int_equal(I(deque_get(&d, 999)), 0);
    deque_clear(&d);
}

static void test_drop(void **state) {
    (void)state;
    deque_t d;
    deque_init(&d);
    for (long i = 0; i < 100; i++)
        deque_push_head(&d, P(99 - i));
    deque_drop_head(&d, 10);
    deque_drop_tail(&d, 20);
    deque_drop_head(&d, 0);
    assert_int_equal(deque_len(&d), 70);
    assert_int_equal(I(deque_get(&d, 0)), 10);
    assert_int_equal(I(deque_get(&d, 69)), 79);
    deque_drop_tail(&d, 70);
    assert_int_equal(deque_len(&d), 0);
    deque_clear(&d);
}

/* Random operations on both the deque and the model, checking the whole content often. */
static void test_random_against_model(void **state) {
    (void)state;
    deque_t d;
    deque_init(&d);
    model_t m = {0};
    srand(12345);
    long next = 0;
    for (int step = 0; step < 200000; step++) {
        int op = rand() % 10;
        if (m.len > 2000) op = 6 + rand() % 4; /* keep it small enough to check fully */
        switch (op) {
        case 0:
        case 1:
            deque_push_head(&d, P(next));
            s_model_insert(&m, 0, next++);
            break;
        case 2:
        case 3:
            deque_push_tail(&d, P(next));
            s_model_insert(&m, m.len, next++);
            break;
        case 4:
        case 5: {
            size_t i = (size_t)rand() % (m.len + 1);
            deque_insert(&d, i, P(next));
            s_model_insert(&m, i, next++);
            break;
        }
        case 6:
            if (m.len) assert_int_equal(I(deque_pop_head(&d)), s_model_remove(&m, 0));
            break;
        case 7:
            if (m.len) assert_int_equal(I(deque_pop_tail(&d)), s_model_remove(&m, m.len - 1));
            break;
        case 8:
            if (m.len) {
                size_t i = (size_t)rand() % m.len;
                assert_int_equal(I(deque_remove(&d, i)), s_model_remove(&m, i));
            }
            break;
        case 9:
            if (m.len) {
                size_t n = (size_t)rand() % (m.len < 8 ? m.len + 1 : 8);
                if (rand() % 2) {
                    deque_drop_head(&d, n);
                    memmove(m.v, m.v + n, (m.len - n) * sizeof(long));
                } else {
                    deque_drop_tail(&d, n);
                }
                m.len -= n;
            }
            break;
        }
        if (step % 97 == 0) s_check(&d, &m);
    }
    s_check(&d, &m);
    deque_clear(&d);
    free(m.v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_push_pop_both_ends),
        cmocka_unit_test(test_wraparound_fifo),
        cmocka_unit_test(test_shrink),
        cmocka_unit_test(test_reserve_and_set),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_random_against_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
