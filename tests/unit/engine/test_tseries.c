/* Unit tests for engine/ds/tseries.c: the compressed chunk encoding round-trips every kind of
 * timestamp step and value (constant, integer, random bits, infinities, huge jumps), compresses
 * regular series well, and the series operations (upsert with each duplicate policy, deletes,
 * trimming, forward/reverse ranges) agree with a plain sorted-array model under random
 * operations, in both encodings and with tiny chunks that force splits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ds/tseries.h"

static uint64_t s_rng = 88172645463325252ull;
static uint64_t s_rand(void) {
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

static int s_same(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static void s_roundtrip(int compressed, const int64_t *ts, const double *v, int n) {
    tschunk_t *c = tschunk_new(compressed, 1 << 20);
    for (int i = 0; i < n; i++) assert_int_equal(tschunk_append(c, ts[i], v[i]), 0);
    assert_int_equal(c->count, n);
    assert_true(c->first_ts == ts[0] && c->last_ts == ts[n - 1]);
    tschunk_iter_t it;
    tschunk_iter_init(&it, c);
    int64_t t;
    double x;
    for (int i = 0; i < n; i++) {
        assert_int_equal(tschunk_iter_next(&it, &t, &x), 1);
        assert_true(t == ts[i]);
        assert_true(s_same(x, v[i]));
    }
    assert_int_equal(tschunk_iter_next(&it, &t, &x), 0);
    tschunk_free(c);
}

static void test_chunk_roundtrip(void **state) {
    (void)state;
    enum { N = 5000 };
    int64_t *ts = malloc(N * sizeof *ts);
    double *v = malloc(N * sizeof *v);
    for (int kind = 0; kind < 6; kind++) {
        int64_t t = kind == 5 ? INT64_MAX / 2 : 0;
        for (int i = 0; i < N; i++) {
            switch (kind) {
            case 0: t += 1000; v[i] = 42.0; break;                         /* regular, constant */
            case 1: t += 1000 + (int64_t)(s_rand() % 3); v[i] = (double)(s_rand() % 100); break;
            case 2: t += 1 + (int64_t)(s_rand() % 100000); {
                    uint64_t b = s_rand();
                    memcpy(&v[i], &b, 8);
                    if (isnan(v[i])) v[i] = 1.5; /* NaN payloads aside, every bit pattern */
                }
                break;
            case 3: t += (int64_t)(1 + (s_rand() % 2 ? s_rand() % (1ull << 40) : 1)); /* jumps */
                v[i] = i % 2 ? INFINITY : -INFINITY;
                break;
            case 4: t += 1; v[i] = i * 0.1 - 250; break;
            case 5: t += 1 + (int64_t)(s_rand() % 5000); v[i] = -0.0; break;
            }
            ts[i] = t;
        }
        s_roundtrip(1, ts, v, N);
        s_roundtrip(0, ts, v, N);
    }
    free(ts);
    free(v);
}

static void test_chunk_compresses_regular_series(void **state) {
    (void)state;
    tschunk_t *c = tschunk_new(1, 1 << 20);
    for (int i = 0; i < 10000; i++) tschunk_append(c, 1700000000000 + i * 1000, 20 + (i % 10));
    /* regular timestamps cost one bit; small integer values a few bytes at most */
    double bytes = (double)(c->nbits + 7) / 8;
    assert_true(bytes / c->count < 3.0);
    tschunk_free(c);
    c = tschunk_new(1, 1 << 20);
    for (int i = 0; i < 10000; i++) tschunk_append(c, i * 10, 1.0);
    assert_true((double)(c->nbits + 7) / 8 / c->count < 0.3);
    tschunk_free(c);
}

static void test_chunk_full(void **state) {
    (void)state;
    tschunk_t *c = tschunk_new(1, 48);
    int n = 0;
    while (tschunk_append(c, n * 1000 + (int64_t)(s_rand() % 999), (double)s_rand()) == 0) n++;
    assert_true(n >= 2);
    assert_true((c->nbits + 7) / 8 <= 48);
    tschunk_free(c);
    c = tschunk_new(0, 48);
    n = 0;
    while (tschunk_append(c, n, n) == 0) n++;
    assert_int_equal(n, 3);
    tschunk_free(c);
}

/* ---- the series against a model ---- */

typedef struct {
    int64_t ts[4096];
    double v[4096];
    int n;
} s_model_t;

static int s_model_find(const s_model_t *m, int64_t ts) {
    int lo = 0, hi = m->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (m->ts[mid] < ts) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static int s_model_upsert(s_model_t *m, int64_t ts, double v, ts_dup_policy_t p) {
    int i = s_model_find(m, ts);
    if (i < m->n && m->ts[i] == ts) {
        double old = m->v[i];
        switch (p) {
        case TS_DUP_BLOCK: return TSU_BLOCKED;
        case TS_DUP_FIRST: return TSU_IGNORED;
        case TS_DUP_LAST: m->v[i] = v; break;
        case TS_DUP_MIN: m->v[i] = v < old ? v : old; break;
        case TS_DUP_MAX: m->v[i] = v > old ? v : old; break;
        case TS_DUP_SUM: m->v[i] = old + v; break;
        default: break;
        }
        return TSU_UPDATED;
    }
    memmove(m->ts + i + 1, m->ts + i, (size_t)(m->n - i) * sizeof *m->ts);
    memmove(m->v + i + 1, m->v + i, (size_t)(m->n - i) * sizeof *m->v);
    m->ts[i] = ts;
    m->v[i] = v;
    m->n++;
    return TSU_ADDED;
}

typedef struct {
    int64_t ts[4096];
    double v[4096];
    int n, limit;
} s_got_t;

static int s_collect(void *ctx, int64_t ts, double v) {
    s_got_t *g = ctx;
    g->ts[g->n] = ts;
    g->v[g->n] = v;
    g->n++;
    return g->limit && g->n >= g->limit;
}

static void s_check_range(const tseries_t *s, const s_model_t *m, int64_t from, int64_t to, int rev,
                          int limit) {
    static s_got_t g;
    g.n = 0;
    g.limit = limit;
    tseries_range(s, from, to, rev, s_collect, &g);
    int k = 0;
    for (int j = 0; j < m->n; j++) {
        int i = rev ? m->n - 1 - j : j;
        if (m->ts[i] < from || m->ts[i] > to) continue;
        if (limit && k == limit) break;
        assert_true(k < g.n);
        assert_true(g.ts[k] == m->ts[i]);
        assert_true(s_same(g.v[k], m->v[i]));
        k++;
    }
    assert_int_equal(k, g.n);
}

static void s_series_random(int compressed, uint32_t chunk) {
    static s_model_t m;
    m.n = 0;
    tseries_t s;
    tseries_init(&s, compressed, chunk);
    for (int step = 0; step < 6000; step++) {
        int op = (int)(s_rand() % 10);
        if (op < 7 && m.n < 4000) {
            int64_t ts = op < 4 && m.n ? m.ts[m.n - 1] + 1 + (int64_t)(s_rand() % 50)
                                       : (int64_t)(s_rand() % 100000);
            double v = (double)(int64_t)(s_rand() % 1000) / 4;
            ts_dup_policy_t p = (ts_dup_policy_t)(1 + s_rand() % 6);
            double stored;
            int want = s_model_upsert(&m, ts, v, p);
            assert_int_equal(tseries_upsert(&s, ts, v, p, &stored), want);
        } else if (op == 7) {
            int64_t a = (int64_t)(s_rand() % 100000), b = a + (int64_t)(s_rand() % 3000);
            int i = s_model_find(&m, a), j = s_model_find(&m, b + 1);
            memmove(m.ts + i, m.ts + j, (size_t)(m.n - j) * sizeof *m.ts);
            memmove(m.v + i, m.v + j, (size_t)(m.n - j) * sizeof *m.v);
            m.n -= j - i;
            assert_int_equal(tseries_del(&s, a, b), j - i);
        } else {
            int64_t a = (int64_t)(s_rand() % 110000) - 5000;
            int64_t b = a + (int64_t)(s_rand() % 20000);
            s_check_range(&s, &m, a, b, (int)(s_rand() % 2), (int)(s_rand() % 3) * 7);
        }
        assert_int_equal(s.total, m.n);
        /* chunks stay ordered and non-overlapping */
        for (uint32_t c = 1; c < s.n; c++) assert_true(s.chunks[c - 1]->last_ts < s.chunks[c]->first_ts);
    }
    s_check_range(&s, &m, 0, INT64_MAX, 0, 0);
    s_check_range(&s, &m, 0, INT64_MAX, 1, 0);
    int64_t lt;
    double lv;
    if (m.n) {
        assert_int_equal(tseries_last(&s, &lt, &lv), 1);
        assert_true(lt == m.ts[m.n - 1] && s_same(lv, m.v[m.n - 1]));
        /* trimming drops whole chunks older than the cutoff only */
        int64_t cut = m.ts[m.n / 2];
        tseries_trim(&s, cut);
        assert_true(s.n == 0 || s.chunks[0]->last_ts >= cut);
        int64_t first;
        if (tseries_first(&s, &first)) assert_true(first <= cut);
    }
    tseries_free(&s);
}

static void test_series_random_compressed(void **state) {
    (void)state;
    s_series_random(1, 4096);
    s_series_random(1, 48);
}

static void test_series_random_plain(void **state) {
    (void)state;
    s_series_random(0, 4096);
    s_series_random(0, 64);
}

static void test_policy_names(void **state) {
    (void)state;
    assert_int_equal(ts_dup_policy_parse("LAST", 4), TS_DUP_LAST);
    assert_int_equal(ts_dup_policy_parse("sum", 3), TS_DUP_SUM);
    assert_int_equal(ts_dup_policy_parse("nope", 4), -1);
    assert_string_equal(ts_dup_policy_name(TS_DUP_BLOCK), "block");
    assert_null(ts_dup_policy_name(TS_DUP_NONE));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunk_roundtrip),
        cmocka_unit_test(test_chunk_compresses_regular_series),
        cmocka_unit_test(test_chunk_full),
        cmocka_unit_test(test_series_random_compressed),
        cmocka_unit_test(test_series_random_plain),
        cmocka_unit_test(test_policy_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
