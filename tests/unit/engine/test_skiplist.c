/* Unit tests for engine/ds/skiplist.c: order by (score, member), spans and ranks checked
 * against a sorted model after random inserts, deletes and score updates; score and
 * lexicographic ranges with open/closed bounds and infinities; range deletions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ds/skiplist.h"

/* ---- a model: members m<i> with scores, kept in an array ---- */

#define N_MAX 2000

typedef struct {
    char name[16];
    size_t len;
    double score;
    int present;
} model_el_t;

static model_el_t s_model[N_MAX];

static int s_model_cmp(const void *a, const void *b) {
    const model_el_t *x = *(model_el_t *const *)a, *y = *(model_el_t *const *)b;
    if (x->score != y->score) return x->score < y->score ? -1 : 1;
    return zsl_cmp_member(x->name, x->len, y->name, y->len);
}

/* Every level's spans add up to the true positions, backward links mirror forward ones, and
 * the order is the model's. */
static void s_check(const zsl_t *zsl) {
    model_el_t *sorted[N_MAX];
    size_t n = 0;
    for (int i = 0; i < N_MAX; i++)
        if (s_model[i].present) sorted[n++] = &s_model[i];
    qsort(sorted, n, sizeof sorted[0], s_model_cmp);
    assert_int_equal(zsl->length, n);

    /* level 0 against the model; remember each node's rank */
    const zsl_node_t *prev = NULL;
    size_t r = 0;
    for (const zsl_node_t *x = zsl_first(zsl); x; x = zsl_next(x), r++) {
        assert_true(r < n);
        assert_true(x->score == sorted[r]->score);
        assert_int_equal(x->ele.len, sorted[r]->len);
        assert_memory_equal(x->ele.ptr, sorted[r]->name, x->ele.len);
        assert_ptr_equal(x->backward, prev);
        prev = x;
    }
    assert_int_equal(r, n);
    assert_ptr_equal(zsl->tail, prev);

    /* each level: the sum of spans to a node is its rank */
    for (int lvl = 0; lvl < zsl->level; lvl++) {
        const zsl_node_t *x = zsl->header;
        unsigned long rank = 0;
        while (x->level[lvl].forward) {
            rank += x->level[lvl].span;
            x = x->level[lvl].forward;
            assert_int_equal(zsl_rank(zsl, x->score, x->ele.ptr, x->ele.len), rank);
            assert_ptr_equal(zsl_by_rank(zsl, rank), x);
        }
    }
}

static void s_model_reset(void) { memset(s_model, 0, sizeof s_model); }

static zsl_node_t *s_add(zsl_t *zsl, int i, double score) {
    model_el_t *m = &s_model[i];
    m->len = (size_t)snprintf(m->name, sizeof m->name, "m%d", i);
    m->score = score;
    m->present = 1;
    return zsl_insert(zsl, score, m->name, m->len);
}

static void test_insert_order_and_ranks(void **state) {
    (void)state;
    s_model_reset();
    zsl_t *zsl = zsl_new();
    srand(42);
    for (int i = 0; i < 1000; i++)
        s_add(zsl, i, (double)(rand() % 50)); /* many equal scores: member order matters */
    s_check(zsl);
    assert_null(zsl_by_rank(zsl, 0));
    assert_null(zsl_by_rank(zsl, 1001));
    assert_int_equal(zsl_rank(zsl, 3.5, "zz", 2), 0);
    zsl_free(zsl);
}

static void test_unlink_and_update(void **state) {
    (void)state;
    s_model_reset();
    zsl_t *zsl = zsl_new();
    srand(7);
    for (int i = 0; i < 500; i++)
        s_add(zsl, i, (double)(rand() % 100) / 4);
    /* delete every third */
    for (int i = 0; i < 500; i += 3) {
        model_el_t *m = &s_model[i];
        zsl_node_t *x = zsl_unlink(zsl, m->score, m->name, m->len);
        assert_non_null(x);
        zsl_free_node(x);
        m->present = 0;
    }
    assert_null(zsl_unlink(zsl, s_model[0].score, s_model[0].name, s_model[0].len));
    assert_null(zsl_unlink(zsl, -1, "m1", 2)); /* right member, wrong score */
    s_check(zsl);
    /* update scores, some staying in place, some moving */
    for (int i = 1; i < 500; i += 3) {
        model_el_t *m = &s_model[i];
        double ns = (i % 2) ? m->score + 0.000001 : (double)(rand() % 100) - 50;
        zsl_node_t *before = NULL;
        for (zsl_node_t *x = zsl_first(zsl); x; x = zsl_next(x))
            if (x->ele.len == m->len && memcmp(x->ele.ptr, m->name, m->len) == 0) before = x;
        zsl_node_t *after = zsl_update_score(zsl, m->score, m->name, m->len, ns);
        assert_ptr_equal(before, after); /* the node keeps its address */
        m->score = ns;
    }
    s_check(zsl);
    zsl_free(zsl);
}

static void test_node_new_relink(void **state) {
    (void)state;
    s_model_reset();
    zsl_t *zsl = zsl_new();
    for (int i = 0; i < 300; i++) {
        model_el_t *m = &s_model[i];
        m->len = (size_t)snprintf(m->name, sizeof m->name, "m%d", i);
        m->score = (double)((i * 37) % 101);
        m->present = 1;
        zsl_relink(zsl, zsl_node_new(m->score, m->name, m->len));
    }
    s_check(zsl);
    zsl_free(zsl);
}

static void test_score_ranges(void **state) {
    (void)state;
    zsl_t *zsl = zsl_new();
    for (int i = 1; i <= 10; i++) {
        char name[8];
        int n = snprintf(name, sizeof name, "e%02d", i);
        zsl_insert(zsl, i, name, (size_t)n);
    }
    zsl_range_t r = {3, 6, 0, 0};
    assert_true(zsl_first_in_range(zsl, &r)->score == 3);
    assert_true(zsl_last_in_range(zsl, &r)->score == 6);
    r.minex = r.maxex = 1;
    assert_true(zsl_first_in_range(zsl, &r)->score == 4);
    assert_true(zsl_last_in_range(zsl, &r)->score == 5);
    zsl_range_t empty1 = {5, 5, 1, 0}, empty2 = {6, 5, 0, 0}, out = {11, 20, 0, 0},
                gap = {3.2, 3.8, 0, 0}, all = {-INFINITY, INFINITY, 0, 0};
    assert_true(zsl_range_empty(&empty1));
    assert_true(zsl_range_empty(&empty2));
    assert_null(zsl_first_in_range(zsl, &empty1));
    assert_null(zsl_first_in_range(zsl, &out));
    assert_null(zsl_last_in_range(zsl, &out));
    assert_null(zsl_first_in_range(zsl, &gap));
    assert_null(zsl_last_in_range(zsl, &gap));
    assert_true(zsl_first_in_range(zsl, &all)->score == 1);
    assert_true(zsl_last_in_range(zsl, &all)->score == 10);

    /* (2, 4]: 3 and 4 go */
    zsl_range_t del = {2, 4, 1, 0};
    assert_int_equal(zsl_delete_range_by_score(zsl, &del, NULL, NULL), 2);
    assert_int_equal(zsl->length, 8);
    assert_int_equal(zsl_rank(zsl, 5, "e05", 3), 3);
    /* ranks 2..3 (e02, e05) */
    assert_int_equal(zsl_delete_range_by_rank(zsl, 2, 3, NULL, NULL), 2);
    assert_int_equal(zsl->length, 6);
    assert_true(zsl_by_rank(zsl, 2)->score == 6);
    assert_int_equal(zsl_delete_range_by_rank(zsl, 5, 100, NULL, NULL), 2);
    assert_int_equal(zsl->length, 4);
    assert_true(zsl_last(zsl)->score == 8);
    zsl_free(zsl);
}

static int s_seen;
static void s_count_unlinked(void *priv, zsl_node_t *n) {
    (void)n;
    (*(int *)priv)++;
    s_seen++;
}

static void test_lex_ranges(void **state) {
    (void)state;
    zsl_t *zsl = zsl_new();
    const char *names[] = {"a", "b", "ba", "c", "d", "e"};
    for (size_t i = 0; i < 6; i++)
        zsl_insert(zsl, 0, names[i], strlen(names[i]));
    zsl_lex_range_t all = {{ZLEX_NEG_INF, 1, NULL, 0}, {ZLEX_POS_INF, 1, NULL, 0}};
    assert_false(zsl_lex_range_empty(&all));
    assert_memory_equal(zsl_first_in_lex_range(zsl, &all)->ele.ptr, "a", 1);
    assert_memory_equal(zsl_last_in_lex_range(zsl, &all)->ele.ptr, "e", 1);
    zsl_lex_range_t none = {{ZLEX_POS_INF, 1, NULL, 0}, {ZLEX_NEG_INF, 1, NULL, 0}};
    assert_true(zsl_lex_range_empty(&none));
    zsl_lex_range_t same = {{ZLEX_NEG_INF, 1, NULL, 0}, {ZLEX_NEG_INF, 1, NULL, 0}};
    assert_true(zsl_lex_range_empty(&same));
    zsl_lex_range_t closed = {{ZLEX_VALUE, 0, "c", 1}, {ZLEX_VALUE, 0, "c", 1}};
    assert_false(zsl_lex_range_empty(&closed));
    zsl_lex_range_t open = {{ZLEX_VALUE, 1, "c", 1}, {ZLEX_VALUE, 0, "c", 1}};
    assert_true(zsl_lex_range_empty(&open));
    /* (b, d) holds ba and c */
    zsl_lex_range_t r = {{ZLEX_VALUE, 1, "b", 1}, {ZLEX_VALUE, 1, "d", 1}};
    zsl_node_t *f = zsl_first_in_lex_range(zsl, &r), *l = zsl_last_in_lex_range(zsl, &r);
    assert_int_equal(f->ele.len, 2);
    assert_memory_equal(f->ele.ptr, "ba", 2);
    assert_memory_equal(l->ele.ptr, "c", 1);
    zsl_lex_range_t gap = {{ZLEX_VALUE, 1, "ba", 2}, {ZLEX_VALUE, 1, "c", 1}};
    assert_null(zsl_first_in_lex_range(zsl, &gap));
    assert_null(zsl_last_in_lex_range(zsl, &gap));
    int n = 0;
    s_seen = 0;
    assert_int_equal(zsl_delete_range_by_lex(zsl, &r, s_count_unlinked, &n), 2);
    assert_int_equal(n, 2);
    assert_int_equal(zsl->length, 4);
    zsl_lex_range_t tail = {{ZLEX_VALUE, 0, "d", 1}, {ZLEX_POS_INF, 1, NULL, 0}};
    assert_int_equal(zsl_delete_range_by_lex(zsl, &tail, s_count_unlinked, &n), 2);
    assert_int_equal(s_seen, 4);
    assert_memory_equal(zsl_last(zsl)->ele.ptr, "b", 1);
    zsl_free(zsl);
}

static void test_member_order(void **state) {
    (void)state;
    assert_true(zsl_cmp_member("a", 1, "b", 1) < 0);
    assert_true(zsl_cmp_member("a", 1, "ab", 2) < 0);
    assert_true(zsl_cmp_member("", 0, "\0", 1) < 0);
    assert_true(zsl_cmp_member("\xff", 1, "\x01", 1) > 0); /* bytes compare unsigned */
    assert_int_equal(zsl_cmp_member("ab", 2, "ab", 2), 0);
    zsl_t *zsl = zsl_new();
    zsl_insert(zsl, 1, "b\0c", 3);
    zsl_insert(zsl, 1, "b", 1);
    zsl_insert(zsl, 1, "b\0", 2);
    zsl_insert(zsl, -INFINITY, "z", 1);
    zsl_insert(zsl, INFINITY, "a", 1);
    assert_int_equal(zsl_rank(zsl, 1, "b", 1), 2);
    assert_int_equal(zsl_rank(zsl, 1, "b\0", 2), 3);
    assert_int_equal(zsl_rank(zsl, 1, "b\0c", 3), 4);
    assert_int_equal(zsl_rank(zsl, INFINITY, "a", 1), 5);
    assert_true(zsl_node_size(zsl_first(zsl)) > sizeof(zsl_node_t));
    zsl_free(zsl);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_order_and_ranks),
        cmocka_unit_test(test_unlink_and_update),
        cmocka_unit_test(test_node_new_relink),
        cmocka_unit_test(test_score_ranges),
        cmocka_unit_test(test_lex_ranges),
        cmocka_unit_test(test_member_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
