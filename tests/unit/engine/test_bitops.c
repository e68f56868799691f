/* Unit tests for engine/types/t_bitops.c: the bit primitives against bit-by-bit references
 * (population count, first set/clear bit in a range, BITFIELD integers at any offset and
 * width), the overflow rules including Redis's quirks, and through the dispatcher what the
 * diff scripts cannot see: stored encodings and the change counter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/types/t_bitops.h"
#include "shared/util.h"

static int s_bit(const uint8_t *p, uint64_t i) { return (p[i >> 3] >> (7 - (i & 7))) & 1; }

static void s_fill(uint8_t *p, size_t n) {
    int mode = rand() % 3;
    for (size_t i = 0; i < n; i++)
        p[i] = mode == 0 ? (uint8_t)rand() : mode == 1 ? 0x00 : 0xFF;
    if (mode && n) /* long runs with a few odd bits */
        for (int k = rand() % 3; k > 0; k--)
            p[(size_t)rand() % n] ^= (uint8_t)(1 << (rand() % 8));
}

/* ---- primitives ---- */

static void test_popcount(void **state) {
    (void)state;
    uint8_t buf[300];
    srand(1);
    for (int round = 0; round < 2000; round++) {
        s_fill(buf, sizeof buf);
        size_t off = (size_t)rand() % 64, n = (size_t)rand() % (sizeof buf - off);
        long long expect = 0;
        for (uint64_t i = 0; i < n * 8; i++)
            expect += s_bit(buf + off, i);
        assert_int_equal(bitops_popcount(buf + off, n), expect);
    }
}

static void test_find(void **state) {
    (void)state;
    uint8_t buf[200];
    srand(2);
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)rand() % sizeof buf + 1;
        s_fill(buf, n);
        uint64_t from = (uint64_t)rand() % (n * 8), to = (uint64_t)rand() % (n * 8);
        int bit = rand() % 2;
        long long expect = -1;
        for (uint64_t i = from; i <= to && from <= to; i++)
            if (s_bit(buf, i) == bit) {
                expect = (long long)i;
                break;
            }
        assert_int_equal(bitops_find(buf, from, to, bit), expect);
    }
}

static uint64_t s_ref_get(const uint8_t *p, uint64_t off, int bits) {
    uint64_t v = 0;
    for (int i = 0; i < bits; i++)
        v = (v << 1) | (uint64_t)s_bit(p, off + (uint64_t)i);
    return v;
}

static void test_field_get_set(void **state) {
    (void)state;
    uint8_t buf[32], ref[32];
    srand(3);
    for (int round = 0; round < 20000; round++) {
        s_fill(buf, sizeof buf);
        memcpy(ref, buf, sizeof buf);
        int bits = rand() % 64 + 1;
        uint64_t off = (uint64_t)rand() % (sizeof buf * 8 - (uint64_t)bits + 1);
        uint64_t mask = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
        uint64_t got = bitops_get_unsigned(buf, off, bits);
        assert_int_equal(got, s_ref_get(buf, off, bits));
        int64_t sgot = bitops_get_signed(buf, off, bits);
        int neg = s_bit(buf, off);
        assert_int_equal((uint64_t)sgot & mask, got);
        assert_int_equal(sgot < 0, neg && bits > 0);
        uint64_t v = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^ (uint64_t)rand();
        bitops_set_unsigned(buf, off, bits, v);
        for (int i = 0; i < bits; i++) { /* the reference writes bit by bit */
            uint64_t b = off + (uint64_t)i;
            int x = (int)((v >> (bits - 1 - i)) & 1);
            ref[b >> 3] = (uint8_t)((ref[b >> 3] & ~(0x80 >> (b & 7))) | (x << (7 - (b & 7))));
        }
        assert_memory_equal(buf, ref, sizeof buf);
    }
}

static void test_field_add(void **state) {
    (void)state;
    uint64_t out;
    /* unsigned */
    assert_int_equal(bitops_field_add(0, 8, BITOPS_WRAP, 250, 10, &out), 1);
    assert_int_equal(out, 4);
    assert_int_equal(bitops_field_add(0, 8, BITOPS_SAT, 250, 10, &out), 1);
    assert_int_equal(out, 255);
    assert_int_equal(bitops_field_add(0, 8, BITOPS_SAT, 5, -10, &out), 1);
    assert_int_equal(out, 0);
    assert_int_equal(bitops_field_add(0, 8, BITOPS_WRAP, 5, -10, &out), 1);
    assert_int_equal(out, 251);
    assert_int_equal(bitops_field_add(0, 8, BITOPS_WRAP, 5, 250, &out), 0);
    assert_int_equal(out, 255);
    /* an unsigned SET of a negative value is "too big": SAT stores the maximum */
    assert_int_equal(bitops_field_add(0, 8, BITOPS_SAT, (uint64_t)-1, 0, &out), 1);
    assert_int_equal(out, 255);
    assert_int_equal(bitops_field_add(0, 63, BITOPS_SAT, (uint64_t)INT64_MIN, 0, &out), 1);
    assert_int_equal(out, (uint64_t)INT64_MAX);
    assert_int_equal(bitops_field_add(0, 63, BITOPS_WRAP, (uint64_t)INT64_MAX, 1, &out), 1);
    assert_int_equal(out, 0);
    /* signed */
    assert_int_equal(bitops_field_add(1, 8, BITOPS_WRAP, 100, 100, &out), 1);
    assert_int_equal((int64_t)out, -56);
    assert_int_equal(bitops_field_add(1, 8, BITOPS_SAT, 100, 100, &out), 1);
    assert_int_equal((int64_t)out, 127);
    assert_int_equal(bitops_field_add(1, 8, BITOPS_SAT, (uint64_t)-100, -100, &out), 1);
    assert_int_equal((int64_t)out, -128);
    assert_int_equal(bitops_field_add(1, 64, BITOPS_SAT, INT64_MAX, 1, &out), 1);
    assert_int_equal((int64_t)out, INT64_MAX);
    assert_int_equal(bitops_field_add(1, 64, BITOPS_WRAP, INT64_MAX, 1, &out), 1);
    assert_int_equal((int64_t)out, INT64_MIN);
    assert_int_equal(bitops_field_add(1, 64, BITOPS_SAT, (uint64_t)INT64_MIN, INT64_MIN, &out), 1);
    assert_int_equal((int64_t)out, INT64_MIN);
    assert_int_equal(bitops_field_add(1, 64, BITOPS_SAT, (uint64_t)-1, INT64_MIN, &out), 1);
    assert_int_equal((int64_t)out, INT64_MIN);
    assert_int_equal(bitops_field_add(1, 64, BITOPS_WRAP, (uint64_t)-1, INT64_MIN + 1, &out), 0);
    assert_int_equal((int64_t)out, INT64_MIN);
    /* Redis's quirk: a SET far below the minimum of a narrow field saturates upwards */
    assert_int_equal(bitops_field_add(1, 63, BITOPS_SAT, (uint64_t)INT64_MIN, 0, &out), 1);
    assert_int_equal((int64_t)out, INT64_MAX / 2);
    assert_int_equal(bitops_field_add(1, 63, BITOPS_SAT, (uint64_t)(INT64_MIN / 2), 0, &out), 0);
    assert_int_equal(bitops_field_add(1, 63, BITOPS_SAT, (uint64_t)(INT64_MIN / 2 - 1), 0, &out),
                     1);
    assert_int_equal((int64_t)out, INT64_MAX / 2);
    assert_int_equal(bitops_field_add(1, 8, BITOPS_SAT, (uint64_t)-1000, 0, &out), 1);
    assert_int_equal((int64_t)out, -128);
}

/* ---- through the dispatcher ---- */

typedef struct {
    engine_t *e;
    client_t *c;
    size_t hdr;
} s_ctx_t;

static s_ctx_t s_ctx;

static const char *s_run(size_t *len, const char *first, ...) {
    proto_arg_t argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *w = first; w; w = va_arg(ap, const char *)) {
        assert_true(argc < 32);
        argv[argc].ptr = w;
        argv[argc].len = strlen(w);
        argc++;
    }
    va_end(ap);
    frontend_t *fe = s_ctx.c->fe;
    fe->out.len = 0;
    fe->out_client = NULL;
    fe->out_count = 0;
    s_ctx.e->now_ms = now_ms();
    engine_execute(s_ctx.e, s_ctx.c, argc, argv);
    *len = fe->out.len - s_ctx.hdr;
    return (const char *)fe->out.data + s_ctx.hdr;
}

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
    s_ctx.hdr = n - 5; /* the reply is "$-1\r\n"; the rest is record framing */
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

static void test_encodings(void **state) {
    (void)state;
    CHECK("+OK\r\n", "SET", "n", "12345");
    CHECK(":0\r\n", "GETBIT", "n", "0");
    assert_int_equal(s_peek("n")->enc, ENC_INT);
    CHECK(":0\r\n", "SETBIT", "n", "0", "0");
    assert_int_equal(s_peek("n")->enc, ENC_RAW);
    CHECK("$5\r\n12345\r\n", "GET", "n");
    CHECK("+OK\r\n", "SET", "e", "abc");
    assert_int_equal(s_peek("e")->enc, ENC_EMBSTR);
    CHECK("*1\r\n:97\r\n", "BITFIELD", "e", "GET", "u8", "0");
    assert_int_equal(s_peek("e")->enc, ENC_EMBSTR);
    CHECK("*1\r\n:97\r\n", "BITFIELD", "e", "SET", "u8", "0", "97");
    assert_int_equal(s_peek("e")->enc, ENC_RAW);
    CHECK(":3\r\n", "BITOP", "NOT", "d", "e");
    assert_int_equal(s_peek("d")->enc, ENC_RAW);
    CHECK(":1\r\n", "PFADD", "h", "a");
    assert_int_equal(s_peek("h")->enc, ENC_RAW);
}

static void test_dirty(void **state) {
    (void)state;
    long long *d = &s_ctx.e->stats.dirty;
    long long d0 = *d;
    CHECK(":0\r\n", "SETBIT", "b", "7", "1");
    CHECK(":1\r\n", "SETBIT", "b", "7", "1"); /* unchanged */
    assert_int_equal(*d, d0 + 1);
    CHECK(":0\r\n", "SETBIT", "b", "100", "0"); /* grows the string */
    assert_int_equal(*d, d0 + 2);
    CHECK("*3\r\n:1\r\n:0\r\n$-1\r\n", "BITFIELD", "b", "SET", "u8", "0", "1", "SET", "u8", "8",
          "5", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9");
    assert_int_equal(*d, d0 + 3); /* only the SET that changed bits */
    CHECK("*1\r\n$-1\r\n", "BITFIELD", "new", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9");
    assert_int_equal(*d, d0 + 3);
    assert_non_null(s_peek("new")); /* created all the same, as Redis does */
    CHECK(":13\r\n", "BITOP", "OR", "c", "b");
    CHECK(":0\r\n", "BITOP", "OR", "c", "none");
    CHECK(":0\r\n", "BITOP", "OR", "c", "none");
    assert_int_equal(*d, d0 + 5);
    CHECK(":1\r\n", "PFADD", "h", "a", "b", "c");
    assert_int_equal(*d, d0 + 9);
    CHECK(":3\r\n", "PFCOUNT", "h");
    CHECK(":3\r\n", "PFCOUNT", "h");
    assert_int_equal(*d, d0 + 10);
    CHECK("+OK\r\n", "PFMERGE", "h2", "h");
    assert_int_equal(*d, d0 + 11);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_popcount),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_field_get_set),
        cmocka_unit_test(test_field_add),
        cmocka_unit_test_setup(test_encodings, s_flush),
        cmocka_unit_test_setup(test_dirty, s_flush),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
