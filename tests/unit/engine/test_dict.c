/* Unit tests for engine/ds/dict.c: basic operations, growth and incremental rehash, safe
 * iteration with deletion, SCAN coverage across resizes, random sampling, clear, hashing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ds/dict.h"

/* ---- integer keys stored directly in the pointer (key i is (void *)(i + 1)) ---- */

static uint64_t s_int_hash(const void *k) {
    uintptr_t v = (uintptr_t)k;
    return dict_hash_bytes(&v, sizeof v);
}
static int s_int_eq(const void *a, const void *b) { return a == b; }
static const dict_type_t s_int_type = {s_int_hash, s_int_eq, NULL, NULL};
#define K(i) ((void *)(uintptr_t)((i) + 1))
#define I(p) ((long)((uintptr_t)(p)-1))

/* ---- heap string keys and values whose frees are counted ---- */

static int s_key_frees, s_val_frees;
static uint64_t s_str_hash(const void *k) { return dict_hash_bytes(k, strlen(k)); }
static int s_str_eq(const void *a, const void *b) { return strcmp(a, b) == 0; }
static void s_key_free(void *k) {
    s_key_frees++;
    free(k);
}
static void s_val_free(void *v) {
    s_val_frees++;
    free(v);
}
static const dict_type_t s_str_type = {s_str_hash, s_str_eq, s_key_free, s_val_free};

static char *s_strf(const char *fmt, long i) {
    char buf[64];
    snprintf(buf, sizeof buf, fmt, i);
    return strdup(buf);
}

static void s_check_invariants(dict_t *d) {
    for (int t = 0; t < 2; t++) {
        uint64_t n = 0;
        if (d->size[t]) assert_int_equal(d->size[t] & (d->size[t] - 1), 0);
        for (uint64_t i = 0; i < d->size[t]; i++)
            for (dict_entry_t *e = d->table[t][i]; e; e = e->next) {
                assert_int_equal(d->type->hash(e->key) & (d->size[t] - 1), i);
                n++;
            }
        assert_int_equal(n, d->used[t]);
    }
    if (!dict_is_rehashing(d)) assert_int_equal(d->size[1], 0);
}

static void test_basic(void **state) {
    s_key_frees = s_val_frees = 0;
    dict_t *d = dict_new(&s_str_type);
    assert_null(dict_find(d, "a"));
    assert_int_equal(dict_delete(d, "a"), -1);
    assert_null(dict_random(d));

    assert_non_null(dict_add(d, strdup("a"), strdup("1")));
    assert_non_null(dict_add(d, strdup("b"), strdup("2")));
    char *dupkey = strdup("a"), *dupval = strdup("x");
    assert_null(dict_add(d, dupkey, dupval)); /* nothing taken */
    free(dupkey);
    free(dupval);
    assert_int_equal(dict_size(d), 2);
    assert_string_equal(dict_find(d, "a")->v.val, "1");
    assert_string_equal(dict_find(d, "b")->v.val, "2");

    /* replace: find the existing entry and swap its value */
    int existed = 0;
    char *k = strdup("a");
    dict_entry_t *e = dict_add_or_find(d, k, &existed);
    assert_true(existed);
    free(k);
    free(e->v.val);
    e->v.val = strdup("3");
    assert_string_equal(dict_find(d, "a")->v.val, "3");

    e = dict_add_or_find(d, strdup("c"), &existed);
    assert_false(existed);
    assert_null(e->v.val);
    e->v.val = strdup("4");
    assert_int_equal(dict_size(d), 3);

    assert_int_equal(dict_delete(d, "b"), 0);
    assert_int_equal(s_key_frees, 1);
    assert_int_equal(s_val_frees, 1);
    assert_null(dict_find(d, "b"));
    assert_int_equal(dict_delete(d, "b"), -1);

    e = dict_unlink(d, "c");
    assert_non_null(e);
    assert_string_equal(e->key, "c");
    assert_null(dict_find(d, "c"));
    assert_int_equal(s_key_frees, 1);
    dict_free_unlinked(d, e);
    assert_int_equal(s_key_frees, 2);
    assert_int_equal(s_val_frees, 2);
    assert_int_equal(dict_size(d), 1);

    dict_destroy(&d);
    assert_null(d);
    assert_int_equal(s_key_frees, 3);
    assert_int_equal(s_val_frees, 3);
    dict_destroy(&d); /* safe twice */
}

static void test_add_existing_keeps_value(void **state) {
    dict_t *d = dict_new(&s_int_type);
    assert_non_null(dict_add(d, K(1), (void *)"one"));
    assert_null(dict_add(d, K(1), (void *)"uno"));
    assert_string_equal(dict_find(d, K(1))->v.val, "one");
    dict_find(d, K(1))->v.s64 = -42;
    assert_int_equal(dict_find(d, K(1))->v.s64, -42);
    dict_destroy(&d);
}

static void test_growth_and_rehash_100k(void **state) {
    const long n = 100000;
    dict_t *d = dict_new(&s_int_type);
    int saw_rehash = 0;
    for (long i = 0; i < n; i++) {
        assert_non_null(dict_add(d, K(i), NULL));
        if (dict_is_rehashing(d)) saw_rehash = 1;
        if ((i & 8191) == 0) {
            s_check_invariants(d);
            for (long j = 0; j <= i; j += 97)
                assert_non_null(dict_find(d, K(j)));
        }
    }
    assert_true(saw_rehash);
    assert_int_equal(dict_size(d), n);
    for (long i = 0; i < n; i++) {
        dict_entry_t *e = dict_find(d, K(i));
        assert_non_null(e);
        assert_ptr_equal(e->key, K(i));
    }
    assert_null(dict_find(d, K(n)));
    while (dict_rehash_ms(d, 1)) {
    }
    assert_false(dict_is_rehashing(d));
    /* load factor at most 1 once growth settles */
    assert_true(dict_size(d) <= d->size[0]);
    assert_true(d->size[0] < 2 * (uint64_t)n * 2);
    s_check_invariants(d);

    /* delete 90%+ and shrink incrementally while still finding everything */
    for (long i = 0; i < n; i++)
        if (i % 20) assert_int_equal(dict_delete(d, K(i)), 0);
    assert_int_equal(dict_size(d), n / 20);
    uint64_t before = d->size[0];
    dict_maybe_shrink(d);
    assert_true(dict_is_rehashing(d));
    for (long i = 0; i < n; i += 20)
        assert_non_null(dict_find(d, K(i)));
    for (long i = 1; i < n; i += 20)
        assert_null(dict_find(d, K(i)));
    while (dict_rehash_ms(d, 1)) {
    }
    assert_true(d->size[0] < before);
    assert_true(d->size[0] >= dict_size(d));
    s_check_invariants(d);
    for (long i = 0; i < n; i += 20)
        assert_non_null(dict_find(d, K(i)));
    dict_maybe_shrink(d); /* already small enough: nothing to do */
    assert_false(dict_is_rehashing(d));
    dict_destroy(&d);
}

static void test_rehash_ms_paused(void **state) {
    dict_t *d = dict_new(&s_int_type);
    for (long i = 0; i < 5000; i++)
        dict_add(d, K(i), NULL);
    while (dict_rehash_ms(d, 1)) {
    }
    dict_iter_t it;
    dict_iter_init(&it, d);
    /* growth is deferred while paused, until the load factor reaches 5 */
    uint64_t size = d->size[0];
    {
        long i = 5000;
        while (dict_size(d) < size)
            dict_add(d, K(i++), NULL);
        dict_add(d, K(i++), NULL);
        assert_false(dict_is_rehashing(d));
        while (dict_size(d) < size * 5)
            dict_add(d, K(i++), NULL);
        dict_add(d, K(i++), NULL);
        assert_true(dict_is_rehashing(d));
        long idx = d->rehash_idx;
        for (long j = 0; j < 100; j++)
            dict_find(d, K(j));
        assert_int_equal(d->rehash_idx, idx); /* no steps while paused */
        assert_int_equal(dict_rehash_ms(d, 5), 1);
    }
    dict_iter_done(&it);
    while (dict_rehash_ms(d, 1)) {
    }
    assert_false(dict_is_rehashing(d));
    s_check_invariants(d);
    dict_destroy(&d);
}

static void test_safe_iter_delete(void **state) {
    const long n = 20000;
    dict_t *d = dict_new(&s_int_type);
    for (long i = 0; i < n; i++)
        dict_add(d, K(i), NULL);
    char *seen = calloc(n, 1);
    dict_iter_t it;
    dict_iter_init(&it, d);
    long visited = 0;
    dict_entry_t *e;
    while ((e = dict_iter_next(&it)) != NULL) {
        long k = I(e->key);
        assert_true(k >= 0 && k < n);
        assert_int_equal(seen[k], 0);
        seen[k] = 1;
        visited++;
        if (k % 2 == 0) assert_int_equal(dict_delete(d, e->key), 0);
    }
    assert_null(dict_iter_next(&it));
    dict_iter_done(&it);
    assert_int_equal(d->pause_rehash, 0);
    assert_int_equal(visited, n);
    assert_int_equal(dict_size(d), n / 2);
    for (long i = 0; i < n; i++) {
        if (i % 2)
            assert_non_null(dict_find(d, K(i)));
        else
            assert_null(dict_find(d, K(i)));
    }
    s_check_invariants(d);

    /* an iterator over an empty dict ends at once */
    dict_t *empty = dict_new(&s_int_type);
    dict_iter_init(&it, empty);
    assert_null(dict_iter_next(&it));
    dict_iter_done(&it);
    dict_destroy(&empty);
    free(seen);
    dict_destroy(&d);
}

static void test_iter_while_rehashing(void **state) {
    dict_t *d = dict_new(&s_int_type);
    long n = 0;
    while (!dict_is_rehashing(d) || d->size[1] < 4096)
        dict_add(d, K(n++), NULL);
    assert_true(dict_is_rehashing(d));
    char *seen = calloc(n, 1);
    dict_iter_t it;
    dict_iter_init(&it, d);
    dict_entry_t *e;
    long visited = 0;
    while ((e = dict_iter_next(&it)) != NULL) {
        assert_int_equal(seen[I(e->key)], 0);
        seen[I(e->key)] = 1;
        visited++;
    }
    dict_iter_done(&it);
    assert_int_equal(visited, n);
    free(seen);
    dict_destroy(&d);
}

typedef struct {
    long n;
    unsigned char *seen;
    long calls;
} scan_state_t;

static void s_scan_cb(void *priv, dict_entry_t *e) {
    scan_state_t *s = priv;
    long k = I(e->key);
    if (k < s->n && s->seen[k] < 255) s->seen[k]++;
    s->calls++;
}

static void test_scan_plain(void **state) {
    dict_t *d = dict_new(&s_int_type);
    scan_state_t s = {.n = 1000};
    s.seen = calloc(s.n, 1);
    assert_int_equal(dict_scan(d, 0, s_scan_cb, &s), 0); /* empty: done at once */
    for (long i = 0; i < s.n; i++)
        dict_add(d, K(i), NULL);
    while (dict_rehash_ms(d, 1)) {
    }
    uint64_t cur = 0;
    long calls = 0;
    do {
        cur = dict_scan(d, cur, s_scan_cb, &s);
        calls++;
    } while (cur != 0);
    assert_int_equal(calls, d->size[0]);
    for (long i = 0; i < s.n; i++)
        assert_int_equal(s.seen[i], 1); /* stable table: once */
    free(s.seen);
    dict_destroy(&d);
}

/* Elements present for the whole scan must be reported even when the table grows (with
 * rehashing in progress across calls) and shrinks mid-scan. */
static void test_scan_resize_mid_scan(void **state) {
    for (int round = 0; round < 6; round++) {
        dict_t *d = dict_new(&s_int_type);
        const long base = 3000; /* keys 0..base-1 stay for the whole scan */
        scan_state_t s = {.n = base};
        s.seen = calloc(base, 1);
        for (long i = 0; i < base; i++)
            dict_add(d, K(i), NULL);
        long extra = 1000000;
        /* extra keys that come and go (K(extra + j)) */
        for (long j = 0; j < 20000; j++)
            dict_add(d, K(extra + j), NULL);
        while (dict_rehash_ms(d, 1)) {
        }
        uint64_t cur = 0;
        long step = 0, added = 20000;
        do {
            cur = dict_scan(d, cur, s_scan_cb, &s);
            step++;
            if (round % 2 == 0) {
                /* shrink: drop the extra keys at some point and resize */
                if (step == 7 + round) {
                    for (long j = 0; j < added; j++)
                        dict_delete(d, K(extra + j));
                    dict_maybe_shrink(d);
                    assert_true(dict_is_rehashing(d));
                }
                if (step > 7 + round && step % 3 == 0) {
                    for (int r = 0; r < 5; r++)
                        dict_find(d, K(r)); /* a few rehash steps */
                }
            } else {
                /* grow: keep adding keys so the table doubles mid-scan, maybe twice */
                if (step % 5 == 0 && added < 200000) {
                    for (long j = 0; j < 4000; j++)
                        dict_add(d, K(extra + added++), NULL);
                }
            }
            assert_true(step < 10000000);
        } while (cur != 0);
        for (long i = 0; i < base; i++)
            assert_true(s.seen[i] >= 1);
        s_check_invariants(d);
        free(s.seen);
        dict_destroy(&d);
    }
}

/* Scan started while rehashing, with rehash finishing part way through. */
static void test_scan_during_rehash(void **state) {
    dict_t *d = dict_new(&s_int_type);
    long n = 0;
    while (!dict_is_rehashing(d) || d->size[1] < 8192)
        dict_add(d, K(n++), NULL);
    scan_state_t s = {.n = n};
    s.seen = calloc(n, 1);
    uint64_t cur = 0;
    long step = 0;
    do {
        cur = dict_scan(d, cur, s_scan_cb, &s);
        if (++step % 4 == 0) dict_rehash_ms(d, 0);
        dict_find(d, K(step % n));
    } while (cur != 0);
    for (long i = 0; i < n; i++)
        assert_true(s.seen[i] >= 1);
    free(s.seen);
    dict_destroy(&d);
}

static void test_random(void **state) {
    dict_t *d = dict_new(&s_int_type);
    assert_null(dict_random(d));
    dict_add(d, K(7), NULL);
    for (int i = 0; i < 10; i++)
        assert_ptr_equal(dict_random(d)->key, K(7));
    const long n = 64;
    for (long i = 0; i < n; i++)
        dict_add(d, K(i), NULL); /* K(7) already there */
    long counts[64] = {0};
    for (int i = 0; i < 64000; i++) {
        dict_entry_t *e = dict_random(d);
        assert_non_null(e);
        long k = I(e->key);
        assert_true(k >= 0 && k < n);
        counts[k]++;
    }
    for (long i = 0; i < n; i++)
        assert_true(counts[i] > 100); /* every key, rough fairness */

    /* while rehashing too */
    long m = n;
    while (!dict_is_rehashing(d))
        dict_add(d, K(m++), NULL);
    for (int i = 0; i < 1000; i++) {
        dict_entry_t *e = dict_random(d);
        assert_non_null(e);
        assert_true(I(e->key) < m);
    }
    dict_destroy(&d);
}

static void test_clear(void **state) {
    s_key_frees = s_val_frees = 0;
    dict_t *d = dict_new(&s_str_type);
    for (long i = 0; i < 1000; i++)
        dict_add(d, s_strf("k%ld", i), s_strf("v%ld", i));
    dict_clear(d);
    assert_int_equal(s_key_frees, 1000);
    assert_int_equal(s_val_frees, 1000);
    assert_int_equal(dict_size(d), 0);
    assert_int_equal(dict_buckets(d), 0);
    assert_false(dict_is_rehashing(d));
    assert_null(dict_find(d, "k1"));
    /* usable again */
    dict_add(d, s_strf("k%ld", 1), s_strf("v%ld", 1));
    assert_string_equal(dict_find(d, "k1")->v.val, "v1");
    dict_destroy(&d);
    assert_int_equal(s_key_frees, 1001);
}

static void test_hash(void **state) {
    const char *a = "Hello World";
    assert_true(dict_hash_bytes("hello world", 11) == dict_hash_bytes_nocase(a, 11));
    assert_true(dict_hash_bytes(a, 11) != dict_hash_bytes_nocase(a, 11));
    /* longer than the lowering chunk: streaming must equal one-shot */
    size_t len = 5000;
    char *up = malloc(len), *low = malloc(len);
    for (size_t i = 0; i < len; i++) {
        up[i] = (char)('A' + i % 26);
        low[i] = (char)('a' + i % 26);
    }
    assert_true(dict_hash_bytes(low, len) == dict_hash_bytes_nocase(up, len));
    assert_true(dict_hash_bytes(low, 256) == dict_hash_bytes_nocase(up, 256));
    assert_true(dict_hash_bytes(low, 257) == dict_hash_bytes_nocase(up, 257));
    uint64_t before = dict_hash_bytes(a, 11);
    uint8_t seed[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    dict_set_seed(seed);
    assert_true(dict_hash_bytes(a, 11) != before);
    assert_true(dict_hash_bytes("hello world", 11) == dict_hash_bytes_nocase(a, 11));
    free(up);
    free(low);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_add_existing_keeps_value),
        cmocka_unit_test(test_growth_and_rehash_100k),
        cmocka_unit_test(test_rehash_ms_paused),
        cmocka_unit_test(test_safe_iter_delete),
        cmocka_unit_test(test_iter_while_rehashing),
        cmocka_unit_test(test_scan_plain),
        cmocka_unit_test(test_scan_resize_mid_scan),
        cmocka_unit_test(test_scan_during_rehash),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
