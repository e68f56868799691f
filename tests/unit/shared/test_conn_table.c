/* Unit tests for shared/conn_table.c: ids are never 0, a reused slot gets a new id so stale
 * ids miss, and the table refuses connections once full. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "shared/conn_table.h"

static void test_add_get_del(void **state) {
    conn_table_t t;
    conn_table_init(&t, 3);
    int a, b, c, d;
    uint32_t ia = conn_table_add(&t, &a), ib = conn_table_add(&t, &b);
    assert_true(ia && ib && ia != ib);
    assert_ptr_equal(conn_table_get(&t, ia), &a);
    assert_ptr_equal(conn_table_get(&t, ib), &b);
    conn_table_del(&t, ia);
    assert_null(conn_table_get(&t, ia));
    uint32_t ic = conn_table_add(&t, &c);
    assert_int_equal(ic & CONN_SLOT_MASK, ia & CONN_SLOT_MASK); /* the slot is reused... */
    assert_int_not_equal(ic, ia);                               /* ...under a new id */
    assert_null(conn_table_get(&t, ia));
    conn_table_del(&t, ia); /* a stale id deletes nothing */
    assert_ptr_equal(conn_table_get(&t, ic), &c);
    assert_true(conn_table_add(&t, &d) != 0);
    assert_true(conn_table_add(&t, &d) != 0);
    assert_int_equal(conn_table_add(&t, &d), 0); /* 4 slots for max 3, all taken */
    assert_null(conn_table_get(&t, 0xffffffffu));
    conn_table_free(&t);
}

static void test_generations_wrap_without_zero(void **state) {
    conn_table_t t;
    conn_table_init(&t, 0);
    int a;
    for (int i = 0; i < (1 << (32 - CONN_SLOT_BITS)) + 5; i++) {
        uint32_t id = conn_table_add(&t, &a);
        assert_int_not_equal(id, 0);
        assert_ptr_equal(conn_table_get(&t, id), &a);
        conn_table_del(&t, id);
    }
    conn_table_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_get_del),
        cmocka_unit_test(test_generations_wrap_without_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
