/* Unit tests for engine/types/t_hll.c without an engine: the hash and register choice (vectors
 * read back from redis-server's values), the exact empty value, dense register packing,
 * sparse edits against a model of the registers, the sparse -> dense conversion, merging,
 * the estimator, and hand-made corrupt sparse data (errors, never an out-of-bounds access:
 * run under ASan/Valgrind to see the latter). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/types/t_hll.h"

/* Register i of a dense value, read independently of the implementation. */
static unsigned s_dense_reg(const vstr_t *s, unsigned i) {
    const uint8_t *r = (const uint8_t *)s->ptr + HLL_HDR_SIZE;
    unsigned v = 0;
    for (unsigned b = 0; b < 6; b++) {
        unsigned bit = i * 6 + b;
        v |= (unsigned)((r[bit / 8] >> (bit % 8)) & 1) << b;
    }
    return v;
}

/* All registers of a valid value, through a merge into zeroed one-byte registers. */
static void s_registers(const vstr_t *s, uint8_t *regs) {
    memset(regs, 0, HLL_REGISTERS);
    assert_int_equal(hll_merge_into(regs, s), 0);
}

static vstr_t *s_bytes(const char *p, size_t len) { return vstr_new(p, len); }

/* ---- hashing ---- */

static void test_rank_vectors(void **state) {
    (void)state;
    /* (element, register, rank) as redis-server 7.0 stores them */
    static const struct {
        const char *ele;
        size_t len;
        unsigned index, rank;
    } v[] = {
        {"", 0, 5938, 2},
        {"a", 1, 12711, 2},
        {"foo", 3, 7348, 5},
        {"hello world", 11, 9399, 4},
        {"0123456789abcdef", 16, 5949, 1},
        {"\x00\xff", 2, 3937, 1},
        {"r3465021361", 11, 8118, 33},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        unsigned index;
        unsigned rank = hll_rank(v[i].ele, v[i].len, &index);
        assert_int_equal(index, v[i].index);
        assert_int_equal(rank, v[i].rank);
    }
}

static void test_rank_bounds(void **state) {
    (void)state;
    char buf[32];
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(buf, sizeof buf, "x%d", i);
        unsigned index, rank = hll_rank(buf, (size_t)n, &index);
        assert_true(index < HLL_REGISTERS);
        assert_true(rank >= 1 && rank <= 51);
    }
}

/* ---- the empty value and the cache ---- */

static void test_new_value(void **state) {
    (void)state;
    vstr_t *s = hll_new();
    static const char expect[] = "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff";
    assert_int_equal(s->len, 18);
    assert_memory_equal(s->ptr, expect, 18);
    assert_true(hll_is_valid(s->ptr, s->len));
    uint64_t card = 99;
    assert_int_equal(hll_cache_get(s, &card), 1);
    assert_int_equal(card, 0);
    assert_int_equal(hll_count(s, &card), 0);
    assert_int_equal(card, 0);
    hll_cache_set(s, 0x0102030405060708ULL);
    assert_memory_equal(s->ptr + 8, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
    hll_cache_invalidate(s);
    assert_int_equal((uint8_t)s->ptr[15], 0x81);
    assert_int_equal(hll_cache_get(s, &card), 0);
    vstr_free(s);
}

static void test_validity(void **state) {
    (void)state;
    vstr_t *s = hll_new();
    assert_false(hll_is_valid(s->ptr, 15));
    s->ptr[4] = 2;
    assert_false(hll_is_valid(s->ptr, s->len));
    s->ptr[4] = HLL_DENSE; /* dense needs exactly 12304 bytes */
    assert_false(hll_is_valid(s->ptr, s->len));
    s->ptr[4] = HLL_SPARSE;
    s->ptr[0] = 'h';
    assert_false(hll_is_valid(s->ptr, s->len));
    vstr_free(s);
    assert_int_equal(HLL_DENSE_SIZE, 12304);
}

/* ---- sparse edits against a model ---- */

static void test_sparse_matches_model(void **state) {
    (void)state;
    uint8_t model[HLL_REGISTERS] = {0}, regs[HLL_REGISTERS];
    vstr_t *s = hll_new();
    srand(1);
    for (int i = 0; i < 3000; i++) {
        /* clustered indexes make runs merge and split */
        unsigned index = (unsigned)(rand() % 2 ? rand() % 64 : rand() % HLL_REGISTERS);
        unsigned count = (unsigned)(rand() % 32) + 1;
        int r = hll_set_register(&s, index, count, 1u << 20);
        assert_int_equal(r, count > model[index]);
        if (count > model[index]) model[index] = (uint8_t)count;
        assert_int_equal(hll_encoding(s), HLL_SPARSE);
    }
    s_registers(s, regs);
    assert_memory_equal(regs, model, HLL_REGISTERS);
    assert_true(s->len < 3 * HLL_REGISTERS); /* at most three bytes per edit */
    assert_int_equal(hll_to_dense(&s), 0);
    assert_int_equal(s->len, HLL_DENSE_SIZE);
    for (unsigned i = 0; i < HLL_REGISTERS; i++)
        assert_int_equal(s_dense_reg(s, i), model[i]);
    vstr_free(s);
}

static void test_sparse_promotions(void **state) {
    (void)state;
    vstr_t *s = hll_new();
    /* a value above 32 cannot be sparse */
    assert_int_equal(hll_set_register(&s, 100, 33, 3000), 1);
    assert_int_equal(hll_encoding(s), HLL_DENSE);
    assert_int_equal(s_dense_reg(s, 100), 33);
    assert_int_equal(hll_set_register(&s, 100, 20, 3000), 0);
    assert_int_equal(hll_set_register(&s, HLL_REGISTERS - 1, 63, 3000), 1);
    assert_int_equal(s_dense_reg(s, HLL_REGISTERS - 1), 63);
    assert_int_equal(s_dense_reg(s, HLL_REGISTERS - 2), 0);
    vstr_free(s);

    /* growth past sparse_max converts; the limit counts the header too */
    s = hll_new();
    assert_int_equal(hll_set_register(&s, 5000, 3, 21), 1); /* 18 -> 21 bytes */
    assert_int_equal(hll_encoding(s), HLL_SPARSE);
    assert_int_equal(s->len, 21);
    assert_int_equal(hll_set_register(&s, 9000, 3, 21), 1);
    assert_int_equal(hll_encoding(s), HLL_DENSE);
    assert_int_equal(s_dense_reg(s, 5000), 3);
    assert_int_equal(s_dense_reg(s, 9000), 3);
    vstr_free(s);
}

static void test_adjacent_values_merge(void **state) {
    (void)state;
    vstr_t *s = hll_new();
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(hll_set_register(&s, i, 7, 3000), 1);
    /* one VAL opcode for four registers, then the zero run */
    assert_int_equal(s->len, 16 + 1 + 2);
    assert_int_equal((uint8_t)s->ptr[16], 0x80 | (6 << 2) | 3);
    vstr_free(s);
}

/* ---- corrupt sparse data ---- */

static void test_corrupt_sparse(void **state) {
    (void)state;
    static const struct {
        const char *body;
        size_t len;
    } bad[] = {
        {"", 0},                 /* no registers at all */
        {"\x7f\xfe", 2},         /* one register short */
        {"\x7f\xff\x00", 3},     /* one register too many */
        {"\xff\xff\xff\xff", 4}, /* 16 registers */
        {"\x7f\xff\x7f\xff", 4}, /* twice the registers */
        {"\x7f", 1},             /* a cut XZERO reads as 16129 registers */
        {"\xfc\xfc\xfc\x7f\xf3", 5},
    };
    uint8_t regs[HLL_REGISTERS];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char buf[64];
        memcpy(buf, "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80", 16);
        memcpy(buf + 16, bad[i].body, bad[i].len);
        vstr_t *s = s_bytes(buf, 16 + bad[i].len);
        assert_true(hll_is_valid(s->ptr, s->len));
        uint64_t card;
        assert_int_equal(hll_count(s, &card), -1);
        memset(regs, 0, sizeof regs);
        assert_int_equal(hll_merge_into(regs, s), -1);
        vstr_t *d = s_bytes(s->ptr, s->len);
        assert_int_equal(hll_to_dense(&d), -1);
        assert_int_equal(d->len, s->len); /* untouched */
        assert_int_equal(hll_set_register(&d, HLL_REGISTERS - 1, 40, 3000), -1);
        vstr_free(d);
        vstr_free(s);
    }
    /* registers past the end of short data cannot be set */
    vstr_t *s = s_bytes("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe", 18);
    assert_int_equal(hll_set_register(&s, HLL_REGISTERS - 1, 5, 3000), -1);
    assert_int_equal(hll_set_register(&s, 0, 5, 3000), 1); /* inside the runs: edited */
    vstr_free(s);
    /* a register inside a cut XZERO is refused rather than written past the end */
    s = s_bytes("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f", 17);
    assert_int_equal(hll_set_register(&s, 10, 5, 3000), -1);
    vstr_free(s);
}

/* Random damage to valid values: every operation returns, and the data stays within its
 * allocation (checked by the sanitizers when the build uses them). */
static void test_random_damage(void **state) {
    (void)state;
    srand(7);
    vstr_t *base = hll_new();
    for (int i = 0; i < 300; i++)
        hll_set_register(&base, (unsigned)rand() % HLL_REGISTERS, (unsigned)rand() % 32 + 1, 3000);
    uint8_t regs[HLL_REGISTERS];
    for (int round = 0; round < 2000; round++) {
        vstr_t *s = s_bytes(base->ptr, base->len);
        int edits = rand() % 4 + 1;
        for (int e = 0; e < edits; e++) {
            size_t pos = HLL_HDR_SIZE + (size_t)rand() % (s->len - HLL_HDR_SIZE);
            if (rand() % 3 == 0) {
                /* truncate into an exact-size allocation so a sanitizer sees any overread */
                vstr_t *t = s_bytes(s->ptr, pos);
                vstr_free(s);
                s = t;
                if (s->len == HLL_HDR_SIZE) break;
            } else {
                s->ptr[pos] = (char)(rand() % 256);
            }
        }
        uint64_t card;
        int c = hll_count(s, &card);
        memset(regs, 0, sizeof regs);
        assert_int_equal(hll_merge_into(regs, s), c);
        for (int k = 0; k < 20; k++) {
            int r = hll_set_register(&s, (unsigned)rand() % HLL_REGISTERS,
                                     (unsigned)rand() % 40 + 1, 3000);
            assert_true(r >= -1 && r <= 1);
        }
        vstr_free(s);
    }
    vstr_free(base);
}

/* ---- estimator ---- */

static void test_estimates(void **state) {
    (void)state;
    uint8_t regs[HLL_REGISTERS] = {0};
    assert_int_equal(hll_count_registers(regs), 0);
    /* one register at 1 is one element, as Redis answers after PFADD of one element */
    regs[3] = 1;
    assert_int_equal(hll_count_registers(regs), 1);
    /* 10000 distinct elements estimate within 3% */
    vstr_t *s = hll_new();
    char buf[32];
    for (int i = 0; i < 10000; i++) {
        int n = snprintf(buf, sizeof buf, "element:%d", i);
        assert_true(hll_add(&s, buf, (size_t)n, 3000) >= 0);
    }
    assert_int_equal(hll_encoding(s), HLL_DENSE);
    uint64_t card;
    assert_int_equal(hll_count(s, &card), 0);
    assert_true(card > 9700 && card < 10300);
    /* merging into one-byte registers gives the same estimate */
    s_registers(s, regs);
    assert_int_equal(hll_count_registers(regs), card);
    vstr_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rank_vectors),
        cmocka_unit_test(test_rank_bounds),
        cmocka_unit_test(test_new_value),
        cmocka_unit_test(test_validity),
        cmocka_unit_test(test_sparse_matches_model),
        cmocka_unit_test(test_sparse_promotions),
        cmocka_unit_test(test_adjacent_values_merge),
        cmocka_unit_test(test_corrupt_sparse),
        cmocka_unit_test(test_random_damage),
        cmocka_unit_test(test_estimates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
