/* Time-series chunks and series (see tseries.h). Compressed chunk layout, bit by bit, most
 * significant first:
 *   first sample: 64-bit timestamp, 64-bit IEEE value;
 *   then per sample: the timestamp's delta-of-delta d (zigzag encoded as z) as
 *     '0' (z = 0) | '10' + 7 bits | '110' + 9 bits | '1110' + 12 bits | '11110' + 32 bits |
 *     '11111' + 64 bits,
 *   and the value XORed with the previous value x as
 *     '0' (x = 0) | '10' + the bits inside the previous window (leading/trailing zeros at
 *     least as many as last time) | '11' + 6 bits leading zeros + 6 bits (length - 1) +
 *     length bits. */
#include "engine/ds/tseries.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* the most bits one sample can take after the first: 5 + 64 for the time, 2 + 12 + 64 for
 * the value */
#define S_MAX_SAMPLE_BITS 147

static uint64_t s_dbits(double v) {
    uint64_t b;
    memcpy(&b, &v, 8);
    return b;
}

static double s_bitsd(uint64_t b) {
    double v;
    memcpy(&v, &b, 8);
    return v;
}

/* ===================== bit stream ===================== */

static void s_reserve(tschunk_t *c, uint64_t bits) {
    size_t need = (size_t)((bits + 7) / 8);
    if (need <= c->alloc) return;
    size_t n = c->alloc ? c->alloc : 32;
    while (n < need) n *= 2;
    c->data = realloc(c->data, n);
    if (!c->data) abort();
    memset(c->data + c->alloc, 0, n - c->alloc);
    c->alloc = (uint32_t)n;
}

static void s_put(tschunk_t *c, uint64_t v, int n) {
    s_reserve(c, c->nbits + (uint64_t)n);
    while (n > 0) {
        size_t byte = (size_t)(c->nbits >> 3);
        int room = 8 - (int)(c->nbits & 7);
        int take = n < room ? n : room;
        uint8_t part = (uint8_t)((v >> (n - take)) & ((1u << take) - 1));
        c->data[byte] |= (uint8_t)(part << (room - take));
        c->nbits += (uint64_t)take;
        n -= take;
    }
}

static uint64_t s_get(const uint8_t *data, uint64_t *pos, int n) {
    uint64_t v = 0;
    while (n > 0) {
        size_t byte = (size_t)(*pos >> 3);
        int room = 8 - (int)(*pos & 7);
        int take = n < room ? n : room;
        uint8_t part = (uint8_t)((data[byte] >> (room - take)) & ((1u << take) - 1));
        v = take == 64 ? part : (v << take) | part;
        *pos += (uint64_t)take;
        n -= take;
    }
    return v;
}

/* ===================== chunks ===================== */

tschunk_t *tschunk_new(int compressed, uint32_t cap) {
    tschunk_t *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->compressed = compressed ? 1 : 0;
    c->cap = cap;
    c->lead = 0xff;
    return c;
}

void tschunk_free(tschunk_t *c) {
    if (!c) return;
    free(c->data);
    free(c);
}

size_t tschunk_mem(const tschunk_t *c) { return sizeof *c + c->alloc; }

static void s_put_value(tschunk_t *c, double v) {
    uint64_t x = s_dbits(v) ^ s_dbits(c->last_v);
    if (x == 0) {
        s_put(c, 0, 1);
        return;
    }
    int lead = __builtin_clzll(x), trail = __builtin_ctzll(x);
    if (c->lead != 0xff && lead >= c->lead && trail >= c->trail) {
        s_put(c, 2, 2);
        s_put(c, x >> c->trail, 64 - c->lead - c->trail);
        return;
    }
    int len = 64 - lead - trail;
    s_put(c, 3, 2);
    s_put(c, (uint64_t)lead, 6);
    s_put(c, (uint64_t)(len - 1), 6);
    s_put(c, x >> trail, len);
    c->lead = (uint8_t)lead;
    c->trail = (uint8_t)trail;
}

int tschunk_append(tschunk_t *c, int64_t ts, double v) {
    if (!c->compressed) {
        if ((uint64_t)(c->count + 1) * 16 > c->cap && c->count > 0) return -1;
        size_t need = (size_t)(c->count + 1) * 16;
        if (need > c->alloc) {
            size_t n = c->alloc ? c->alloc * 2 : 64;
            while (n < need) n *= 2;
            c->data = realloc(c->data, n);
            if (!c->data) abort();
            c->alloc = (uint32_t)n;
        }
        memcpy(c->data + (size_t)c->count * 16, &ts, 8);
        memcpy(c->data + (size_t)c->count * 16 + 8, &v, 8);
    } else if (c->count == 0) {
        s_put(c, (uint64_t)ts, 64);
        s_put(c, s_dbits(v), 64);
        c->delta = 0;
    } else {
        if (c->nbits + S_MAX_SAMPLE_BITS > (uint64_t)c->cap * 8) return -1;
        uint64_t delta = (uint64_t)ts - (uint64_t)c->last_ts;
        uint64_t dod = delta - (uint64_t)c->delta;
        uint64_t z = (dod << 1) ^ (uint64_t)((int64_t)dod >> 63);
        if (z == 0) {
            s_put(c, 0, 1);
        } else if (z < (1u << 7)) {
            s_put(c, 2, 2);
            s_put(c, z, 7);
        } else if (z < (1u << 9)) {
            s_put(c, 6, 3);
            s_put(c, z, 9);
        } else if (z < (1u << 12)) {
            s_put(c, 14, 4);
            s_put(c, z, 12);
        } else if (z < (1ull << 32)) {
            s_put(c, 30, 5);
            s_put(c, z, 32);
        } else {
            s_put(c, 31, 5);
            s_put(c, z, 64);
        }
        c->delta = (int64_t)delta;
        s_put_value(c, v);
    }
    if (c->count == 0) c->first_ts = ts;
    c->last_ts = ts;
    c->last_v = v;
    c->count++;
    return 0;
}

void tschunk_iter_init(tschunk_iter_t *it, const tschunk_t *c) {
    memset(it, 0, sizeof *it);
    it->c = c;
    it->lead = 0xff;
}

int tschunk_iter_next(tschunk_iter_t *it, int64_t *ts, double *v) {
    const tschunk_t *c = it->c;
    if (it->i >= c->count) return 0;
    if (!c->compressed) {
        memcpy(ts, c->data + (size_t)it->i * 16, 8);
        memcpy(v, c->data + (size_t)it->i * 16 + 8, 8);
        it->i++;
        return 1;
    }
    if (it->i == 0) {
        it->ts = (int64_t)s_get(c->data, &it->pos, 64);
        it->bits = s_get(c->data, &it->pos, 64);
        it->delta = 0;
    } else {
        int ones = 0;
        while (ones < 5 && s_get(c->data, &it->pos, 1)) ones++;
        static const int widths[6] = {0, 7, 9, 12, 32, 64};
        uint64_t z = ones == 0 ? 0 : s_get(c->data, &it->pos, widths[ones]);
        uint64_t dod = (z >> 1) ^ (0 - (z & 1));
        uint64_t delta = (uint64_t)it->delta + dod;
        it->delta = (int64_t)delta;
        it->ts = (int64_t)((uint64_t)it->ts + delta);
        if (s_get(c->data, &it->pos, 1)) {
            if (s_get(c->data, &it->pos, 1)) {
                it->lead = (uint8_t)s_get(c->data, &it->pos, 6);
                int len = (int)s_get(c->data, &it->pos, 6) + 1;
                it->trail = (uint8_t)(64 - it->lead - len);
            }
            int len = 64 - it->lead - it->trail;
            it->bits ^= s_get(c->data, &it->pos, len) << it->trail;
        }
    }
    *ts = it->ts;
    *v = s_bitsd(it->bits);
    it->i++;
    return 1;
}

void tschunk_decode(const tschunk_t *c, int64_t *ts, double *v) {
    tschunk_iter_t it;
    tschunk_iter_init(&it, c);
    uint32_t i = 0;
    while (tschunk_iter_next(&it, &ts[i], &v[i])) i++;
}

/* ===================== duplicate policies ===================== */

static const char *const s_policy_names[] = {NULL, "block", "first", "last", "min", "max", "sum"};

const char *ts_dup_policy_name(ts_dup_policy_t p) {
    return (int)p >= 0 && p <= TS_DUP_SUM ? s_policy_names[p] : NULL;
}

int ts_dup_policy_parse(const char *p, size_t len) {
    for (int i = TS_DUP_BLOCK; i <= TS_DUP_SUM; i++)
        if (strlen(s_policy_names[i]) == len && strncasecmp(p, s_policy_names[i], len) == 0)
            return i;
    return -1;
}

/* ===================== series ===================== */

void tseries_init(tseries_t *s, int compressed, uint32_t chunk_size) {
    memset(s, 0, sizeof *s);
    s->compressed = compressed ? 1 : 0;
    s->chunk_size = chunk_size;
}

void tseries_free(tseries_t *s) {
    for (uint32_t i = 0; i < s->n; i++) tschunk_free(s->chunks[i]);
    free(s->chunks);
    s->chunks = NULL;
    s->n = s->cap = 0;
    s->total = 0;
}

void tseries_set_chunk_size(tseries_t *s, uint32_t chunk_size) { s->chunk_size = chunk_size; }

size_t tseries_mem(const tseries_t *s) {
    size_t m = sizeof *s + (size_t)s->cap * sizeof(tschunk_t *);
    for (uint32_t i = 0; i < s->n; i++) m += tschunk_mem(s->chunks[i]);
    return m;
}

/* Replaces chunks [at, at + nold) with the nnew chunks of repl. */
static void s_splice(tseries_t *s, uint32_t at, uint32_t nold, tschunk_t **repl, uint32_t nnew) {
    uint32_t n = s->n - nold + nnew;
    if (n > s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 4;
        while (cap < n) cap *= 2;
        s->chunks = realloc(s->chunks, (size_t)cap * sizeof *s->chunks);
        if (!s->chunks) abort();
        s->cap = cap;
    }
    for (uint32_t i = 0; i < nold; i++) tschunk_free(s->chunks[at + i]);
    memmove(s->chunks + at + nnew, s->chunks + at + nold,
            (size_t)(s->n - at - nold) * sizeof *s->chunks);
    if (nnew) memcpy(s->chunks + at, repl, (size_t)nnew * sizeof *s->chunks);
    s->n = n;
}

/* Index of the last chunk whose first timestamp is <= ts (0 when ts precedes them all). */
static uint32_t s_find(const tseries_t *s, int64_t ts) {
    uint32_t lo = 0, hi = s->n; /* answer in [lo, hi) */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->chunks[mid]->first_ts <= ts) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* Encodes n samples into as many chunks as they need; returns the chunk count. */
static uint32_t s_encode(const tseries_t *s, const int64_t *ts, const double *v, uint32_t n,
                         tschunk_t ***out) {
    uint32_t cap = 2, k = 0;
    tschunk_t **arr = malloc(cap * sizeof *arr);
    if (!arr) abort();
    tschunk_t *c = NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (!c || tschunk_append(c, ts[i], v[i]) < 0) {
            c = tschunk_new(s->compressed, s->chunk_size);
            tschunk_append(c, ts[i], v[i]);
            if (k == cap) {
                cap *= 2;
                arr = realloc(arr, cap * sizeof *arr);
                if (!arr) abort();
            }
            arr[k++] = c;
        }
    }
    *out = arr;
    return k;
}

static void s_recode(tseries_t *s, uint32_t idx, const int64_t *ts, const double *v, uint32_t n) {
    tschunk_t **repl;
    uint32_t k = s_encode(s, ts, v, n, &repl);
    s_splice(s, idx, 1, repl, k);
    free(repl);
}

static double s_apply_policy(ts_dup_policy_t p, double old, double v, int *rc) {
    *rc = TSU_UPDATED;
    switch (p) {
    case TS_DUP_FIRST: *rc = TSU_IGNORED; return old;
    case TS_DUP_LAST: return v;
    case TS_DUP_MIN: return v < old ? v : old;
    case TS_DUP_MAX: return v > old ? v : old;
    case TS_DUP_SUM: return old + v;
    default: *rc = TSU_BLOCKED; return old;
    }
}

int tseries_upsert(tseries_t *s, int64_t ts, double v, ts_dup_policy_t policy, double *stored) {
    *stored = v;
    tschunk_t *last = s->n ? s->chunks[s->n - 1] : NULL;
    if (!last || ts > last->last_ts) {
        if (!last || tschunk_append(last, ts, v) < 0) {
            tschunk_t *c = tschunk_new(s->compressed, s->chunk_size);
            tschunk_append(c, ts, v);
            s_splice(s, s->n, 0, &c, 1);
        }
        s->total++;
        return TSU_ADDED;
    }
    uint32_t idx = s_find(s, ts);
    tschunk_t *c = s->chunks[idx];
    uint32_t n = c->count;
    int64_t *tsa = malloc(((size_t)n + 1) * sizeof *tsa);
    double *va = malloc(((size_t)n + 1) * sizeof *va);
    if (!tsa || !va) abort();
    tschunk_decode(c, tsa, va);
    uint32_t lo = 0, hi = n; /* first index with tsa >= ts */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (tsa[mid] < ts) lo = mid + 1;
        else hi = mid;
    }
    int rc = TSU_ADDED;
    if (lo < n && tsa[lo] == ts) {
        double nv = s_apply_policy(policy, va[lo], v, &rc);
        *stored = nv;
        if (rc == TSU_UPDATED && s_dbits(nv) != s_dbits(va[lo])) {
            va[lo] = nv;
            s_recode(s, idx, tsa, va, n);
        }
    } else {
        memmove(tsa + lo + 1, tsa + lo, (size_t)(n - lo) * sizeof *tsa);
        memmove(va + lo + 1, va + lo, (size_t)(n - lo) * sizeof *va);
        tsa[lo] = ts;
        va[lo] = v;
        s_recode(s, idx, tsa, va, n + 1);
        s->total++;
    }
    free(tsa);
    free(va);
    return rc;
}

uint64_t tseries_del(tseries_t *s, int64_t from, int64_t to) {
    if (s->n == 0 || from > to) return 0;
    uint64_t removed = 0;
    uint32_t i = s_find(s, from);
    while (i < s->n && s->chunks[i]->first_ts <= to) {
        tschunk_t *c = s->chunks[i];
        if (c->last_ts < from) {
            i++;
            continue;
        }
        if (c->first_ts >= from && c->last_ts <= to) {
            removed += c->count;
            s_splice(s, i, 1, NULL, 0);
            continue;
        }
        uint32_t n = c->count, k = 0;
        int64_t *tsa = malloc((size_t)n * sizeof *tsa);
        double *va = malloc((size_t)n * sizeof *va);
        if (!tsa || !va) abort();
        tschunk_decode(c, tsa, va);
        for (uint32_t j = 0; j < n; j++) {
            if (tsa[j] >= from && tsa[j] <= to) continue;
            tsa[k] = tsa[j];
            va[k] = va[j];
            k++;
        }
        removed += n - k;
        tschunk_t **repl;
        uint32_t nc = s_encode(s, tsa, va, k, &repl);
        s_splice(s, i, 1, repl, nc);
        free(repl);
        free(tsa);
        free(va);
        i += nc;
    }
    s->total -= removed;
    return removed;
}

void tseries_trim(tseries_t *s, int64_t cutoff) {
    uint32_t k = 0;
    while (k < s->n && s->chunks[k]->last_ts < cutoff) s->total -= s->chunks[k++]->count;
    if (k) s_splice(s, 0, k, NULL, 0);
}

int tseries_last(const tseries_t *s, int64_t *ts, double *v) {
    if (s->n == 0) return 0;
    *ts = s->chunks[s->n - 1]->last_ts;
    *v = s->chunks[s->n - 1]->last_v;
    return 1;
}

int tseries_first(const tseries_t *s, int64_t *ts) {
    if (s->n == 0) return 0;
    *ts = s->chunks[0]->first_ts;
    return 1;
}

void tseries_range(const tseries_t *s, int64_t from, int64_t to, int rev, tseries_visit_fn *fn,
                   void *ctx) {
    if (s->n == 0 || from > to) return;
    int64_t ts;
    double v;
    if (!rev) {
        for (uint32_t i = s_find(s, from); i < s->n && s->chunks[i]->first_ts <= to; i++) {
            const tschunk_t *c = s->chunks[i];
            if (c->last_ts < from) continue;
            tschunk_iter_t it;
            tschunk_iter_init(&it, c);
            while (tschunk_iter_next(&it, &ts, &v)) {
                if (ts < from) continue;
                if (ts > to || fn(ctx, ts, v)) return;
            }
        }
        return;
    }
    int64_t *tsa = NULL;
    double *va = NULL;
    uint32_t have = 0;
    int stop = 0;
    for (int64_t i = s_find(s, to); i >= 0 && !stop && s->chunks[i]->last_ts >= from; i--) {
        const tschunk_t *c = s->chunks[i];
        if (c->first_ts > to) continue;
        if (c->count > have) {
            have = c->count;
            tsa = realloc(tsa, (size_t)have * sizeof *tsa);
            va = realloc(va, (size_t)have * sizeof *va);
            if (!tsa || !va) abort();
        }
        tschunk_decode(c, tsa, va);
        for (int64_t j = (int64_t)c->count - 1; j >= 0; j--) {
            if (tsa[j] > to) continue;
            if (tsa[j] < from || fn(ctx, tsa[j], va[j])) {
                stop = 1;
                break;
            }
        }
    }
    free(tsa);
    free(va);
}
