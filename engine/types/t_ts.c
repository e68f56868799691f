/* The time-series type: samples in compressed chunks (engine/ds/tseries.c), labels with a
 * per-database index (label=value -> keys) kept in step with the keyspace through the type's
 * `linked` hook, compaction rules applied as samples arrive, and the TS.* commands with
 * RedisTimeSeries's syntax, reply shapes and error texts, plus Vole's TS.DOWNSAMPLE.
 *
 * Determinism: every command replays to the same state from its own argv except when it
 * reads the clock (TS.ADD/TS.MADD with '*', TS.INCRBY/DECRBY without TIMESTAMP), which
 * record the timestamp they chose; TS.MADD records one TS.ADD per sample it stored.
 * Compactions and retention depend only on the samples, so replaying the source's writes
 * rebuilds the destinations. */
#include "engine/types/t_ts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/ds/tseries.h"
#include "engine/effects.h"
#include "engine/snapshot.h"
#include "shared/util.h"

/* Redis's keyspace-event class for module types ('d'), which RedisTimeSeries uses. */
#define S_NOTIFY_MODULE (1 << 13)
#define S_DEFAULT_CHUNK 4096
#define S_CHUNK_MIN 48
#define S_CHUNK_MAX 1048576
#define S_TS_MAX INT64_MAX

/* ===================== aggregation ===================== */

enum {
    AGG_NONE = -1, AGG_AVG = 0, AGG_SUM, AGG_MIN, AGG_MAX, AGG_RANGE, AGG_COUNT, AGG_FIRST,
    AGG_LAST, AGG_STD_P, AGG_STD_S, AGG_VAR_P, AGG_VAR_S, AGG_TWA, AGG_N
};
static const char *const s_agg_names[AGG_N] = {"avg",   "sum",   "min",   "max",
                                               "range", "count", "first", "last",
                                               "std.p", "std.s", "var.p", "var.s",
                                               "twa"};
static const char *const s_agg_upper[AGG_N] = {"AVG",   "SUM",   "MIN",   "MAX",
                                               "RANGE", "COUNT", "FIRST", "LAST",
                                               "STD.P", "STD.S", "VAR.P", "VAR.S",
                                               "TWA"};

static int s_agg_parse(const proto_arg_t *a) {
    for (int i = 0; i < AGG_N; i++)
        if (arg_is(a, s_agg_names[i])) return i;
    return AGG_NONE;
}

typedef struct {
    uint64_t n;
    double sum, min, max, first, last, mean, m2; /* mean/m2: Welford's running variance */
    /* twa: the bucket [bs, be), the area under the samples joined by straight lines, and the
     * samples just outside the bucket (interpolated to its edges when present) */
    int64_t fts, lts, bs, be;
    double area;
    uint8_t has_prev, has_next;
    int64_t prev_ts, next_ts;
    double prev_v, next_v;
} s_agg_t;

static void s_agg_add(s_agg_t *a, int64_t ts, double v) {
    if (a->n == 0) {
        a->min = a->max = a->first = v;
        a->fts = ts;
    } else {
        a->area += (a->last + v) / 2 * (double)(ts - a->lts);
        if (v < a->min) a->min = v;
        if (v > a->max) a->max = v;
    }
    a->last = v;
    a->lts = ts;
    a->sum += v;
    a->n++;
    double d = v - a->mean;
    a->mean += d / (double)a->n;
    a->m2 += d * (v - a->mean);
}

static double s_interp(int64_t t0, double v0, int64_t t1, double v1, double t) {
    return t1 == t0 ? v1 : v0 + (v1 - v0) * (t - (double)t0) / (double)(t1 - t0);
}

/* Time-weighted average: the area under the bucket's samples joined by straight lines (and,
 * when there are samples beyond the bucket, the lines to them cut at the bucket's edges),
 * divided by the time it covers. */
static double s_twa(const s_agg_t *a) {
    double area = a->area;
    double start = (double)a->fts, end = (double)a->lts;
    if (a->has_prev && a->prev_ts < a->fts && a->bs < a->fts) {
        double vb = s_interp(a->prev_ts, a->prev_v, a->fts, a->first, (double)a->bs);
        area += (vb + a->first) / 2 * (double)(a->fts - a->bs);
        start = (double)a->bs;
    }
    if (a->has_next && a->next_ts > a->lts && a->be > a->lts) {
        int64_t be = a->be < a->next_ts ? a->be : a->next_ts;
        double ve = s_interp(a->lts, a->last, a->next_ts, a->next_v, (double)be);
        area += (a->last + ve) / 2 * (double)(be - a->lts);
        end = (double)be;
    }
    return end > start ? area / (end - start) : a->last;
}

static double s_agg_value(int agg, const s_agg_t *a) {
    if (a->n == 0) return agg == AGG_SUM || agg == AGG_COUNT ? 0 : NAN;
    switch (agg) {
    case AGG_AVG: return a->sum / (double)a->n;
    case AGG_SUM: return a->sum;
    case AGG_MIN: return a->min;
    case AGG_MAX: return a->max;
    case AGG_RANGE: return a->max - a->min;
    case AGG_COUNT: return (double)a->n;
    case AGG_FIRST: return a->first;
    case AGG_LAST: return a->last;
    case AGG_VAR_P: return a->m2 / (double)a->n;
    case AGG_VAR_S: return a->n > 1 ? a->m2 / (double)(a->n - 1) : 0;
    case AGG_STD_P: return sqrt(a->m2 / (double)a->n);
    case AGG_STD_S: return a->n > 1 ? sqrt(a->m2 / (double)(a->n - 1)) : 0;
    case AGG_TWA: return s_twa(a);
    default: return NAN;
    }
}

/* Start of the bucket holding ts, buckets aligned to align. */
static int64_t s_bucket_start(int64_t ts, int64_t bucket, int64_t align) {
    int64_t m = (ts - align) % bucket;
    if (m < 0) m += bucket;
    int64_t bs = ts - m;
    return bs < 0 ? 0 : bs;
}

/* ===================== the object ===================== */

typedef struct {
    vstr_t *dest;
    int agg;
    int64_t bucket, align;
    int has_cur;     /* a bucket is open */
    int64_t cur;     /* its start */
    s_agg_t st;      /* its running aggregate */
} s_rule_t;

typedef struct {
    tseries_t s;
    int64_t retention; /* ms; 0 keeps everything */
    ts_dup_policy_t policy;
    int64_t ignore_t; /* IGNORE: in-order samples this close in time and value to the last */
    double ignore_v;  /* one are dropped (with policy LAST, on series that are no destination) */
    uint32_t nlabels;
    vstr_t **lk, **lv;
    s_rule_t *rules;
    uint32_t nrules;
    vstr_t *src;  /* the series compacting into this one, NULL if none */
    vstr_t *self; /* the key this series lives under (kept by the linked hook) */
} ts_t;

static ts_t *s_ts_new(int compressed, uint32_t chunk_size) {
    ts_t *t = calloc(1, sizeof *t);
    if (!t) abort();
    tseries_init(&t->s, compressed, chunk_size);
    return t;
}

static void s_labels_free(ts_t *t) {
    for (uint32_t i = 0; i < t->nlabels; i++) {
        vstr_free(t->lk[i]);
        vstr_free(t->lv[i]);
    }
    free(t->lk);
    free(t->lv);
    t->lk = t->lv = NULL;
    t->nlabels = 0;
}

static void s_label_push(ts_t *t, const char *k, size_t kl, const char *v, size_t vl) {
    for (uint32_t i = 0; i < t->nlabels; i++) {
        if (t->lk[i]->len == kl && memcmp(t->lk[i]->ptr, k, kl) == 0) {
            vstr_free(t->lv[i]); /* a repeated label: the last value wins */
            t->lv[i] = vstr_new(v, vl);
            return;
        }
    }
    t->lk = realloc(t->lk, (t->nlabels + 1) * sizeof *t->lk);
    t->lv = realloc(t->lv, (t->nlabels + 1) * sizeof *t->lv);
    if (!t->lk || !t->lv) abort();
    t->lk[t->nlabels] = vstr_new(k, kl);
    t->lv[t->nlabels] = vstr_new(v, vl);
    t->nlabels++;
}

static const vstr_t *s_label_get(const ts_t *t, const char *k, size_t kl) {
    for (uint32_t i = 0; i < t->nlabels; i++)
        if (t->lk[i]->len == kl && memcmp(t->lk[i]->ptr, k, kl) == 0) return t->lv[i];
    return NULL;
}

static void s_rule_remove(ts_t *t, uint32_t i) {
    vstr_free(t->rules[i].dest);
    memmove(t->rules + i, t->rules + i + 1, (t->nrules - i - 1) * sizeof *t->rules);
    t->nrules--;
}

static void s_ts_free(ts_t *t) {
    tseries_free(&t->s);
    s_labels_free(t);
    for (uint32_t i = 0; i < t->nrules; i++) vstr_free(t->rules[i].dest);
    free(t->rules);
    vstr_free(t->src);
    vstr_free(t->self);
    free(t);
}

static void s_free_payload(vobj_t *o) { s_ts_free(o->v.p); }

static int s_vstr_eq(const vstr_t *a, const char *p, size_t len) {
    return a && a->len == len && memcmp(a->ptr, p, len) == 0;
}

static int s_copy_samples(void *ctx, int64_t ts, double v) {
    double stored;
    tseries_upsert(ctx, ts, v, TS_DUP_LAST, &stored);
    return 0;
}

/* COPY: samples, settings and labels; compaction links stay with the original, as a copy
 * is neither the source nor the destination of its rules. */
static vobj_t *s_dup(const vobj_t *o) {
    const ts_t *t = o->v.p;
    ts_t *n = s_ts_new(t->s.compressed, t->s.chunk_size);
    n->retention = t->retention;
    n->policy = t->policy;
    n->ignore_t = t->ignore_t;
    n->ignore_v = t->ignore_v;
    for (uint32_t i = 0; i < t->nlabels; i++)
        s_label_push(n, t->lk[i]->ptr, t->lk[i]->len, t->lv[i]->ptr, t->lv[i]->len);
    tseries_range(&t->s, 0, S_TS_MAX, 0, s_copy_samples, &n->s);
    vobj_t *d = calloc(1, sizeof *d);
    if (!d) abort();
    d->type = OBJ_TS;
    d->v.p = n;
    return d;
}

static size_t s_mem(const vobj_t *o) {
    const ts_t *t = o->v.p;
    size_t m = sizeof *o + sizeof *t + tseries_mem(&t->s);
    for (uint32_t i = 0; i < t->nlabels; i++)
        m += 2 * sizeof(vstr_t) + t->lk[i]->len + t->lv[i]->len + 2 * sizeof(vstr_t *);
    m += t->nrules * sizeof(s_rule_t);
    return m;
}

uint64_t ts_type_samples(const vobj_t *o) { return ((const ts_t *)o->v.p)->s.total; }

/* ===================== label index ===================== */

/* db->ts_index: "label\0value" -> set of keys (a dict with vstr_t keys, no values). */
static const dict_type_t s_keyset_type = {vstr_dict_hash, vstr_dict_eq, vstr_dict_free, NULL};
static void s_set_free(void *p) {
    dict_t *d = p;
    dict_destroy(&d);
}
static const dict_type_t s_index_type = {vstr_dict_hash, vstr_dict_eq, vstr_dict_free, s_set_free};

static vstr_t *s_pair(const char *k, size_t kl, const char *v, size_t vl) {
    vstr_t *p = vstr_empty(kl + 1 + vl);
    memcpy(p->ptr, k, kl);
    memcpy(p->ptr + kl + 1, v, vl);
    return p;
}

static dict_t *s_index_set(db_t *db, const char *k, size_t kl, const char *v, size_t vl) {
    if (!db->ts_index) return NULL;
    vstr_t *p = s_pair(k, kl, v, vl);
    dict_entry_t *de = dict_find(db->ts_index, p);
    vstr_free(p);
    return de ? de->v.val : NULL;
}

static void s_index_add(db_t *db, const char *key, size_t len, const ts_t *t) {
    if (t->nlabels == 0) return;
    if (!db->ts_index) db->ts_index = dict_new(&s_index_type);
    for (uint32_t i = 0; i < t->nlabels; i++) {
        vstr_t *p = s_pair(t->lk[i]->ptr, t->lk[i]->len, t->lv[i]->ptr, t->lv[i]->len);
        int existed;
        dict_entry_t *de = dict_add_or_find(db->ts_index, p, &existed);
        if (existed) vstr_free(p);
        else de->v.val = dict_new(&s_keyset_type);
        vstr_t *k = vstr_new(key, len);
        if (!dict_add(de->v.val, k, NULL)) vstr_free(k);
    }
}

static void s_index_del(db_t *db, const char *key, size_t len, const ts_t *t) {
    if (!db->ts_index) return;
    vstr_t *k = vstr_new(key, len);
    for (uint32_t i = 0; i < t->nlabels; i++) {
        vstr_t *p = s_pair(t->lk[i]->ptr, t->lk[i]->len, t->lv[i]->ptr, t->lv[i]->len);
        dict_entry_t *de = dict_find(db->ts_index, p);
        if (de) {
            dict_delete(de->v.val, k);
            if (dict_size(de->v.val) == 0) dict_delete(db->ts_index, p);
        }
        vstr_free(p);
    }
    vstr_free(k);
}

uint64_t ts_index_count(db_t *db, const char *label, const char *value) {
    dict_t *set = s_index_set(db, label, strlen(label), value, strlen(value));
    return set ? dict_size(set) : 0;
}

static ts_t *s_peek_ts(db_t *db, const char *key, size_t len) {
    vobj_t *o = db_peek(db, key, len);
    return o && o->type == OBJ_TS ? o->v.p : NULL;
}

static void s_vstr_set(vstr_t **slot, const char *p, size_t len) {
    vstr_free(*slot);
    *slot = vstr_new(p, len);
}

/* The keyspace calls this whenever a series enters or leaves a key (add, overwrite, delete,
 * rename, move, expiry, eviction). Renames keep compaction links by name: when a series
 * reappears under another key, its peers are pointed at the new name. */
static void s_linked(engine_t *e, db_t *db, const char *key, size_t len, vobj_t *o, int on) {
    ts_t *t = o->v.p;
    if (!on) {
        s_index_del(db, key, len, t);
        return;
    }
    s_index_add(db, key, len, t);
    if (t->self && !s_vstr_eq(t->self, key, len)) {
        for (uint32_t i = 0; i < t->nrules; i++) {
            ts_t *d = s_peek_ts(db, t->rules[i].dest->ptr, t->rules[i].dest->len);
            if (d && d != t && d->src && s_vstr_eq(d->src, t->self->ptr, t->self->len))
                s_vstr_set(&d->src, key, len);
        }
        ts_t *s = t->src ? s_peek_ts(db, t->src->ptr, t->src->len) : NULL;
        for (uint32_t i = 0; s && s != t && i < s->nrules; i++)
            if (s_vstr_eq(s->rules[i].dest, t->self->ptr, t->self->len))
                s_vstr_set(&s->rules[i].dest, key, len);
    }
    if (!s_vstr_eq(t->self, key, len)) s_vstr_set(&t->self, key, len);
}

static void s_db_emptied(engine_t *e, db_t *db) {
    if (db->ts_index) dict_destroy((dict_t **)&db->ts_index);
}

/* A compaction link is valid while both ends exist and point at each other. */
static ts_t *s_rule_dest(db_t *db, const ts_t *t, const s_rule_t *r) {
    ts_t *d = s_peek_ts(db, r->dest->ptr, r->dest->len);
    if (!d || d == t || !t->self || !s_vstr_eq(d->src, t->self->ptr, t->self->len)) return NULL;
    return d;
}

static ts_t *s_src_of(db_t *db, const ts_t *t) {
    if (!t->src || !t->self) return NULL;
    ts_t *s = s_peek_ts(db, t->src->ptr, t->src->len);
    if (!s || s == t) return NULL;
    for (uint32_t i = 0; i < s->nrules; i++)
        if (s_vstr_eq(s->rules[i].dest, t->self->ptr, t->self->len)) return s;
    return NULL;
}

/* Drops the rules whose destination is gone and the source link whose source is gone. */
static void s_links_validate(db_t *db, ts_t *t) {
    for (uint32_t i = 0; i < t->nrules;) {
        if (s_rule_dest(db, t, &t->rules[i])) i++;
        else s_rule_remove(t, i);
    }
    if (t->src && !s_src_of(db, t)) {
        vstr_free(t->src);
        t->src = NULL;
    }
}

/* ===================== snapshot ===================== */

/* Snapshot loading adds keys to the database dicts directly, without the linked hook: the
 * first time-series command after a load links every series (index, self name). The
 * engines that loaded series since (one per process, but tests run several). */
static engine_t **s_unlinked;
static int s_nunlinked;

static void s_ensure_linked(engine_t *e) {
    int i = 0;
    while (i < s_nunlinked && s_unlinked[i] != e) i++;
    if (i == s_nunlinked) return;
    s_unlinked[i] = s_unlinked[--s_nunlinked];
    for (int i = 0; i < e->ndbs; i++) {
        dict_iter_t it;
        dict_iter_init(&it, e->dbs[i].keys);
        for (dict_entry_t *de; (de = dict_iter_next(&it));) {
            vobj_t *o = de->v.val;
            const vstr_t *k = de->key;
            if (o && o->type == OBJ_TS) s_linked(e, &e->dbs[i], k->ptr, k->len, o, 1);
        }
        dict_iter_done(&it);
    }
}

static void s_save(const vobj_t *o, snap_writer_t *w);
static vobj_t *s_load(engine_t *e, snap_reader_t *r);

static const obj_type_t s_ts_type = {.name = "TSDB-TYPE",
                                     .free = s_free_payload,
                                     .dup = s_dup,
                                     .mem = s_mem,
                                     .save = s_save,
                                     .load = s_load,
                                     .linked = s_linked,
                                     .db_emptied = s_db_emptied};

__attribute__((constructor)) static void s_register_ts(void) { obj_register_type(OBJ_TS, &s_ts_type); }

typedef struct {
    snap_writer_t *w;
    int64_t prev;
} s_save_ctx_t;

static int s_save_sample(void *ctx, int64_t ts, double v) {
    s_save_ctx_t *sc = ctx;
    snap_put_i64(sc->w, ts - sc->prev);
    snap_put_double(sc->w, v);
    sc->prev = ts;
    return 0;
}

static void s_save(const vobj_t *o, snap_writer_t *w) {
    const ts_t *t = o->v.p;
    snap_put_u8(w, 1); /* layout version */
    snap_put_i64(w, t->retention);
    snap_put_u8(w, (uint8_t)t->policy);
    snap_put_i64(w, t->ignore_t);
    snap_put_double(w, t->ignore_v);
    snap_put_u8(w, t->s.compressed);
    snap_put_u64(w, t->s.chunk_size);
    snap_put_u64(w, t->nlabels);
    for (uint32_t i = 0; i < t->nlabels; i++) {
        snap_put_bytes(w, t->lk[i]->ptr, t->lk[i]->len);
        snap_put_bytes(w, t->lv[i]->ptr, t->lv[i]->len);
    }
    snap_put_u64(w, t->nrules);
    for (uint32_t i = 0; i < t->nrules; i++) {
        const s_rule_t *r = &t->rules[i];
        snap_put_bytes(w, r->dest->ptr, r->dest->len);
        snap_put_u8(w, (uint8_t)r->agg);
        snap_put_i64(w, r->bucket);
        snap_put_i64(w, r->align);
        snap_put_u8(w, (uint8_t)r->has_cur);
        snap_put_i64(w, r->cur);
    }
    snap_put_u8(w, t->src ? 1 : 0);
    if (t->src) snap_put_bytes(w, t->src->ptr, t->src->len);
    /* the key's own name: a RENAME before the first TS.* command after a load must still
     * find the rules' other ends by it */
    snap_put_u8(w, t->self ? 1 : 0);
    if (t->self) snap_put_bytes(w, t->self->ptr, t->self->len);
    snap_put_u64(w, t->s.total);
    s_save_ctx_t sc = {w, 0};
    tseries_range(&t->s, 0, S_TS_MAX, 0, s_save_sample, &sc);
}

static void s_rule_recompute(const ts_t *t, s_rule_t *r);

static vobj_t *s_load(engine_t *e, snap_reader_t *r) {
    uint8_t ver, policy, compressed, u8;
    int64_t retention, ignore_t;
    double ignore_v;
    uint64_t chunk, n;
    const char *p, *q;
    size_t pl, ql;
    if (snap_get_u8(r, &ver) || snap_get_i64(r, &retention) || snap_get_u8(r, &policy) ||
        snap_get_i64(r, &ignore_t) || snap_get_double(r, &ignore_v) ||
        snap_get_u8(r, &compressed) || snap_get_u64(r, &chunk))
        return NULL;
    if (ver != 1) return snap_fail(r, "unknown time-series layout"), NULL;
    if (policy > TS_DUP_SUM || compressed > 1 || chunk < S_CHUNK_MIN || chunk > S_CHUNK_MAX ||
        retention < 0 || ignore_t < 0 || !(ignore_v >= 0))
        return snap_fail(r, "bad time-series settings"), NULL;
    ts_t *t = s_ts_new(compressed, (uint32_t)chunk);
    t->retention = retention;
    t->policy = policy;
    t->ignore_t = ignore_t;
    t->ignore_v = ignore_v;
    if (snap_get_count(r, &n)) goto fail;
    for (uint64_t i = 0; i < n; i++) {
        if (snap_get_bytes(r, &p, &pl)) goto fail;
        vstr_t *k = vstr_new(p, pl); /* p is only valid until the next read */
        if (snap_get_bytes(r, &q, &ql)) {
            vstr_free(k);
            goto fail;
        }
        s_label_push(t, k->ptr, k->len, q, ql);
        vstr_free(k);
    }
    if (snap_get_count(r, &n)) goto fail;
    for (uint64_t i = 0; i < n; i++) {
        s_rule_t rule = {0};
        uint8_t agg, has;
        if (snap_get_bytes(r, &p, &pl)) goto fail;
        rule.dest = vstr_new(p, pl);
        if (snap_get_u8(r, &agg) || snap_get_i64(r, &rule.bucket) || snap_get_i64(r, &rule.align) ||
            snap_get_u8(r, &has) || snap_get_i64(r, &rule.cur) || agg >= AGG_N || rule.bucket <= 0) {
            vstr_free(rule.dest);
            snap_fail(r, "bad compaction rule");
            goto fail;
        }
        rule.agg = agg;
        rule.has_cur = has ? 1 : 0;
        t->rules = realloc(t->rules, (t->nrules + 1) * sizeof *t->rules);
        if (!t->rules) abort();
        t->rules[t->nrules++] = rule;
    }
    if (snap_get_u8(r, &u8)) goto fail;
    if (u8) {
        if (snap_get_bytes(r, &p, &pl)) goto fail;
        t->src = vstr_new(p, pl);
    }
    if (snap_get_u8(r, &u8)) goto fail;
    if (u8) {
        if (snap_get_bytes(r, &p, &pl)) goto fail;
        t->self = vstr_new(p, pl);
    }
    if (snap_get_count(r, &n)) goto fail;
    int64_t prev = 0;
    for (uint64_t i = 0; i < n; i++) {
        int64_t d;
        double v, stored;
        if (snap_get_i64(r, &d) || snap_get_double(r, &v)) goto fail;
        if ((i > 0 && d <= 0) || (i == 0 && d < 0) || prev > S_TS_MAX - d) {
            snap_fail(r, "time-series timestamps out of order");
            goto fail;
        }
        prev += d;
        tseries_upsert(&t->s, prev, v, TS_DUP_LAST, &stored);
    }
    for (uint32_t i = 0; i < t->nrules; i++) s_rule_recompute(t, &t->rules[i]);
    vobj_t *o = calloc(1, sizeof *o);
    if (!o) abort();
    o->type = OBJ_TS;
    o->v.p = t;
    int k = 0;
    while (k < s_nunlinked && s_unlinked[k] != e) k++;
    if (k == s_nunlinked) {
        s_unlinked = realloc(s_unlinked, (size_t)(s_nunlinked + 1) * sizeof *s_unlinked);
        if (!s_unlinked) abort();
        s_unlinked[s_nunlinked++] = e;
    }
    return o;
fail:
    s_ts_free(t);
    return NULL;
}

/* ===================== writing samples ===================== */

static int s_agg_visit(void *ctx, int64_t ts, double v) {
    s_agg_add(ctx, ts, v);
    return 0;
}

typedef struct {
    int has;
    int64_t ts;
    double v;
} s_sample_t;

static int s_first_visit(void *ctx, int64_t ts, double v) {
    *(s_sample_t *)ctx = (s_sample_t){1, ts, v};
    return 1;
}

/* The newest sample before ts (rev) or the oldest after it. */
static s_sample_t s_neighbour(const ts_t *t, int64_t ts, int rev) {
    s_sample_t x = {0};
    if (rev && ts > 0) tseries_range(&t->s, 0, ts - 1, 1, s_first_visit, &x);
    if (!rev && ts < S_TS_MAX) tseries_range(&t->s, ts + 1, S_TS_MAX, 0, s_first_visit, &x);
    return x;
}

static void s_set_prev(s_agg_t *a, s_sample_t p) {
    a->has_prev = (uint8_t)p.has;
    a->prev_ts = p.ts;
    a->prev_v = p.v;
}

static void s_set_next(s_agg_t *a, s_sample_t n) {
    a->has_next = (uint8_t)n.has;
    a->next_ts = n.ts;
    a->next_v = n.v;
}

/* Aggregates t's samples in [from, to], one bucket (twa also looks just outside it). */
static void s_aggregate(const ts_t *t, int agg, int64_t from, int64_t to, s_agg_t *a) {
    memset(a, 0, sizeof *a);
    tseries_range(&t->s, from, to, 0, s_agg_visit, a);
    if (agg != AGG_TWA) return;
    a->bs = from;
    a->be = to < S_TS_MAX ? to + 1 : to;
    s_set_prev(a, s_neighbour(t, from, 1));
    s_set_next(a, s_neighbour(t, to, 0));
}

static int64_t s_bucket_end(int64_t bs, int64_t bucket) {
    return bs > S_TS_MAX - bucket ? S_TS_MAX : bs + bucket - 1;
}

static void s_rule_recompute(const ts_t *t, s_rule_t *r) {
    if (r->has_cur) s_aggregate(t, r->agg, r->cur, s_bucket_end(r->cur, r->bucket), &r->st);
}

/* Stores a sample and applies retention; returns a TSU_* code. */
static int s_put(ts_t *t, int64_t ts, double v, ts_dup_policy_t policy, double *stored) {
    int rc = tseries_upsert(&t->s, ts, v, policy ? policy : TS_DUP_BLOCK, stored);
    int64_t last;
    double lv;
    if (rc != TSU_BLOCKED && t->retention > 0 && tseries_last(&t->s, &last, &lv) &&
        last > t->retention)
        tseries_trim(&t->s, last - t->retention);
    return rc;
}

static void s_dest_written(client_t *c, const s_rule_t *r, const char *event) {
    engine_t *e = c->eng;
    e->stats.dirty++;
    signal_modified_key(e, c->db, r->dest->ptr, r->dest->len);
    notify_keyspace_event(e, S_NOTIFY_MODULE, event, r->dest->ptr, r->dest->len, c->db->id);
}

/* Writes bucket bs of rule r into its destination (from the source's samples), or removes
 * it there when the bucket is empty. */
static void s_rule_emit(client_t *c, const ts_t *t, ts_t *d, const s_rule_t *r, int64_t bs,
                        const s_agg_t *given) {
    s_agg_t a;
    if (given) a = *given;
    else s_aggregate(t, r->agg, bs, s_bucket_end(bs, r->bucket), &a);
    double stored;
    if (a.n == 0) {
        if (tseries_del(&d->s, bs, bs)) s_dest_written(c, r, "ts.del:dest");
        return;
    }
    s_put(d, bs, s_agg_value(r->agg, &a), TS_DUP_LAST, &stored);
    s_dest_written(c, r, "ts.add:dest");
}

/* After a sample at ts was stored in t (appended when it is the newest). */
static void s_rules_on_add(client_t *c, ts_t *t, int64_t ts, double v, int appended) {
    if (t->nrules == 0) return;
    s_links_validate(c->db, t);
    for (uint32_t i = 0; i < t->nrules; i++) {
        s_rule_t *r = &t->rules[i];
        ts_t *d = s_rule_dest(c->db, t, r);
        int64_t bs = s_bucket_start(ts, r->bucket, r->align);
        if (!r->has_cur || bs > r->cur) {
            /* a new bucket: the open one closes (twa: with the line to this sample), and the
             * new one starts from the series itself, so it holds exactly what a recompute
             * after a load would find there */
            if (r->has_cur && appended && r->st.n) {
                s_agg_t old = r->st;
                s_set_next(&old, (s_sample_t){1, ts, v});
                s_rule_emit(c, t, d, r, r->cur, &old);
            } else if (r->has_cur) {
                s_rule_emit(c, t, d, r, r->cur, NULL);
            }
            r->has_cur = 1;
            r->cur = bs;
            s_rule_recompute(t, r);
        } else if (bs == r->cur) {
            if (appended) s_agg_add(&r->st, ts, v);
            else s_rule_recompute(t, r);
        } else {
            s_rule_emit(c, t, d, r, bs, NULL); /* a late sample for a closed bucket */
        }
    }
}

/* After samples in [from, to] were deleted from t. */
static void s_rules_on_del(client_t *c, ts_t *t, int64_t from, int64_t to) {
    if (t->nrules == 0) return;
    s_links_validate(c->db, t);
    for (uint32_t i = 0; i < t->nrules; i++) {
        s_rule_t *r = &t->rules[i];
        ts_t *d = s_rule_dest(c->db, t, r);
        int64_t b0 = s_bucket_start(from, r->bucket, r->align);
        int64_t b1 = s_bucket_start(to, r->bucket, r->align);
        int64_t limit = r->has_cur ? r->cur - 1 : S_TS_MAX; /* closed buckets only */
        int64_t hi = s_bucket_end(b1, r->bucket);
        if (hi > limit) hi = limit;
        if (b0 <= hi && tseries_del(&d->s, b0, hi)) s_dest_written(c, r, "ts.del:dest");
        if (b0 <= limit) s_rule_emit(c, t, d, r, b0, NULL);
        if (b1 != b0 && b1 <= limit) s_rule_emit(c, t, d, r, b1, NULL);
        if (r->has_cur && r->cur <= to && s_bucket_end(r->cur, r->bucket) >= from)
            s_rule_recompute(t, r);
    }
}

/* ===================== argument parsing ===================== */

static const char *const s_err_nokey = "-ERR TSDB: the key does not exist";
/* EMPTY fills the gaps between buckets; a bucket far smaller than the gaps would make the
 * reply (and the memory to build it) unbounded, so a query may fill this many at most. */
#define S_EMPTY_MAX 1000000
static const char *const s_err_empty =
    "-ERR TSDB: EMPTY would report more than 1000000 empty buckets: use a larger bucket";

static int s_ts_arg(const proto_arg_t *a, int64_t *out) {
    long long v;
    if (!str_to_ll(a->ptr, a->len, &v) || v < 0) return -1;
    *out = v;
    return 0;
}

static int s_value_arg(const proto_arg_t *a, double *out) { return str_to_d(a->ptr, a->len, out) ? 0 : -1; }

/* Settings given to TS.CREATE, TS.ALTER, TS.ADD, TS.INCRBY (and which of them were). */
typedef struct {
    int has_retention, has_chunk, has_policy, has_encoding, has_labels, has_on_dup, has_ignore;
    int64_t ignore_t;
    double ignore_v;
    int64_t retention;
    uint32_t chunk;
    ts_dup_policy_t policy, on_dup;
    int compressed;
    const proto_arg_t *labels; /* after LABELS */
    int nlabels;               /* arguments after LABELS */
    int labels_kv;             /* Vole's k=v form */
    int has_ts;                /* TS.INCRBY's TIMESTAMP */
    const proto_arg_t *ts_arg;
} s_opts_t;

enum { OPT_CREATE = 1, OPT_ALTER = 2, OPT_ADD = 4, OPT_INCR = 8 };

static int s_labels_or_reply(client_t *c, s_opts_t *o, int from) {
    int n = c->argc - from;
    const proto_arg_t *a = c->argv + from;
    int kv = n > 0;
    for (int i = 0; i < n && kv; i++) {
        const char *eq = memchr(a[i].ptr, '=', a[i].len);
        if (!eq || eq == a[i].ptr) kv = 0;
    }
    if (!kv && n % 2) {
        reply_error(c, "-ERR TSDB: Couldn't parse LABELS");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (a[i].len == 0 && (kv || i % 2 == 0)) {
            reply_error(c, "-ERR TSDB: Couldn't parse LABELS");
            return -1;
        }
    }
    o->labels = a;
    o->nlabels = n;
    o->labels_kv = kv;
    o->has_labels = 1;
    return 0;
}

static int s_opts_or_reply(client_t *c, int i, int allowed, s_opts_t *o) {
    memset(o, 0, sizeof *o);
    o->compressed = 1;
    o->chunk = S_DEFAULT_CHUNK;
    for (; i < c->argc; i++) {
        const proto_arg_t *a = &c->argv[i];
        int more = i + 1 < c->argc;
        long long v;
        if (arg_is(a, "RETENTION")) {
            if (!more || !str_to_ll(c->argv[i + 1].ptr, c->argv[i + 1].len, &v) || v < 0) {
                reply_error(c, "-ERR TSDB: Couldn't parse RETENTION");
                return -1;
            }
            o->retention = v;
            o->has_retention = 1;
            i++;
        } else if (arg_is(a, "CHUNK_SIZE")) {
            if (!more || !str_to_ll(c->argv[i + 1].ptr, c->argv[i + 1].len, &v)) {
                reply_error(c, "-ERR TSDB: Couldn't parse CHUNK_SIZE");
                return -1;
            }
            if (v < S_CHUNK_MIN || v > S_CHUNK_MAX || v % 8) {
                reply_error(c, "-ERR TSDB: CHUNK_SIZE value must be a multiple of 8 in the range "
                               "[48 .. 1048576]");
                return -1;
            }
            o->chunk = (uint32_t)v;
            o->has_chunk = 1;
            i++;
        } else if (arg_is(a, "DUPLICATE_POLICY") || (arg_is(a, "ON_DUPLICATE") && (allowed & OPT_ADD))) {
            int p = more ? ts_dup_policy_parse(c->argv[i + 1].ptr, c->argv[i + 1].len) : -1;
            if (p < 0) {
                reply_errorf(c, "-ERR TSDB: Unknown %s", arg_is(a, "ON_DUPLICATE") ? "ON_DUPLICATE"
                                                                                   : "DUPLICATE_POLICY");
                return -1;
            }
            if (arg_is(a, "ON_DUPLICATE")) {
                o->on_dup = p;
                o->has_on_dup = 1;
            } else {
                o->policy = p;
                o->has_policy = 1;
            }
            i++;
        } else if (arg_is(a, "ENCODING") && !(allowed & OPT_ALTER)) {
            if (more && arg_is(&c->argv[i + 1], "COMPRESSED")) o->compressed = 1;
            else if (more && arg_is(&c->argv[i + 1], "UNCOMPRESSED")) o->compressed = 0;
            else {
                reply_error(c, "-ERR TSDB: unknown ENCODING parameter");
                return -1;
            }
            o->has_encoding = 1;
            i++;
        } else if (arg_is(a, "UNCOMPRESSED") && !(allowed & OPT_ALTER)) {
            o->compressed = 0;
            o->has_encoding = 1;
        } else if (arg_is(a, "TIMESTAMP") && (allowed & OPT_INCR)) {
            if (!more) {
                reply_error(c, "-ERR TSDB: invalid timestamp");
                return -1;
            }
            o->has_ts = 1;
            o->ts_arg = &c->argv[i + 1];
            i++;
        } else if (arg_is(a, "IGNORE")) {
            if (i + 2 >= c->argc || !str_to_ll(c->argv[i + 1].ptr, c->argv[i + 1].len, &v) || v < 0 ||
                !str_to_d(c->argv[i + 2].ptr, c->argv[i + 2].len, &o->ignore_v) || o->ignore_v < 0) {
                reply_error(c, "-ERR TSDB: Couldn't parse IGNORE");
                return -1;
            }
            o->ignore_t = v;
            o->has_ignore = 1;
            i += 2;
        } else if (arg_is(a, "LABELS")) {
            return s_labels_or_reply(c, o, i + 1);
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

static void s_set_labels(ts_t *t, const s_opts_t *o) {
    s_labels_free(t);
    for (int i = 0; i < o->nlabels; i += o->labels_kv ? 1 : 2) {
        const proto_arg_t *a = &o->labels[i];
        if (o->labels_kv) {
            const char *eq = memchr(a->ptr, '=', a->len);
            s_label_push(t, a->ptr, (size_t)(eq - a->ptr), eq + 1, a->len - (size_t)(eq - a->ptr) - 1);
        } else {
            s_label_push(t, a->ptr, a->len, o->labels[i + 1].ptr, o->labels[i + 1].len);
        }
    }
}

static ts_t *s_ts_from_opts(const s_opts_t *o) {
    ts_t *t = s_ts_new(o->compressed, o->chunk);
    t->retention = o->retention;
    t->policy = o->policy;
    t->ignore_t = o->ignore_t;
    t->ignore_v = o->ignore_v;
    if (o->has_labels) s_set_labels(t, o);
    return t;
}

/* Adds a new series at key (which must be absent); the linked hook indexes it. */
static ts_t *s_create(client_t *c, const proto_arg_t *key, const s_opts_t *o) {
    ts_t *t = s_ts_from_opts(o);
    vobj_t *obj = calloc(1, sizeof *obj);
    if (!obj) abort();
    obj->type = OBJ_TS;
    obj->v.p = t;
    db_add(c->eng, c->db, key->ptr, key->len, obj);
    c->eng->stats.dirty++;
    notify_keyspace_event(c->eng, S_NOTIFY_MODULE, "ts.create", key->ptr, key->len, c->db->id);
    signal_modified_key(c->eng, c->db, key->ptr, key->len);
    return t;
}

/* The series at key for writing: NULL with a reply when it is another type or absent (when
 * absent and !quiet_missing). */
static ts_t *s_lookup_write(client_t *c, const proto_arg_t *key, int *missing) {
    int wrong = 0;
    vobj_t *o = lookup_write_or_reply_type(c, key, OBJ_TS, &wrong);
    *missing = !o && !wrong;
    return o ? o->v.p : NULL;
}

static ts_t *s_lookup_read_or_reply(client_t *c, const proto_arg_t *key) {
    int wrong = 0;
    vobj_t *o = lookup_read_or_reply_type(c, key, OBJ_TS, &wrong);
    if (!o && !wrong) reply_error(c, s_err_nokey);
    return o ? o->v.p : NULL;
}

/* ===================== replies ===================== */

/* Sample values: doubles in RESP3; in RESP2 bulk strings with the shortest text that reads
 * back as the same double, as RedisTimeSeries prints them. */
static void s_reply_value(client_t *c, double v) {
    if (c->resp == 3) {
        reply_double(c, v);
        return;
    }
    char buf[64];
    int n;
    if (isnan(v)) n = snprintf(buf, sizeof buf, "NaN");
    else if (isinf(v)) n = snprintf(buf, sizeof buf, v > 0 ? "inf" : "-inf");
    else if (v == (double)(long long)v && fabs(v) < 1e15 && !(v == 0 && signbit(v)))
        n = ll_to_str(buf, (long long)v); /* the common case, without printf */
    else {
        for (int prec = 15;; prec++) {
            n = snprintf(buf, sizeof buf, "%.*g", prec, v);
            if (prec >= 17 || strtod(buf, NULL) == v) break;
        }
    }
    reply_bulk(c, buf, (size_t)n);
}

static void s_reply_sample(client_t *c, int64_t ts, double v) {
    reply_array(c, 2);
    reply_int(c, ts);
    s_reply_value(c, v);
}

static void s_reply_pair_list(client_t *c, long long n) {
    if (c->resp == 3) reply_map(c, n);
    else reply_array(c, n);
}

static void s_reply_pair(client_t *c, const char *k, size_t kl, const vstr_t *v) {
    if (c->resp != 3) reply_array(c, 2);
    reply_bulk(c, k, kl);
    if (v) reply_bulk(c, v->ptr, v->len);
    else reply_null(c);
}

static void s_reply_labels(client_t *c, const ts_t *t) {
    s_reply_pair_list(c, t->nlabels);
    for (uint32_t i = 0; i < t->nlabels; i++) s_reply_pair(c, t->lk[i]->ptr, t->lk[i]->len, t->lv[i]);
}

/* ===================== TS.CREATE TS.ALTER ===================== */

static void cmd_ts_create(client_t *c) {
    s_ensure_linked(c->eng);
    s_opts_t o;
    if (s_opts_or_reply(c, 2, OPT_CREATE, &o)) return;
    if (db_lookup_write(c->eng, c->db, c->argv[1].ptr, c->argv[1].len)) {
        reply_error(c, "-ERR TSDB: key already exists");
        return;
    }
    s_create(c, &c->argv[1], &o);
    reply_ok(c);
}

static void cmd_ts_alter(client_t *c) {
    s_ensure_linked(c->eng);
    s_opts_t o;
    if (s_opts_or_reply(c, 2, OPT_ALTER, &o)) return;
    int missing;
    ts_t *t = s_lookup_write(c, &c->argv[1], &missing);
    if (!t) {
        if (missing) reply_error(c, s_err_nokey);
        return;
    }
    const proto_arg_t *key = &c->argv[1];
    if (o.has_retention) t->retention = o.retention;
    if (o.has_chunk) tseries_set_chunk_size(&t->s, o.chunk);
    if (o.has_policy) t->policy = o.policy;
    if (o.has_ignore) {
        t->ignore_t = o.ignore_t;
        t->ignore_v = o.ignore_v;
    }
    if (o.has_labels) {
        s_index_del(c->db, key->ptr, key->len, t);
        s_set_labels(t, &o);
        s_index_add(c->db, key->ptr, key->len, t);
    }
    if (o.has_retention && t->retention > 0) {
        int64_t last;
        double lv;
        if (tseries_last(&t->s, &last, &lv) && last > t->retention) tseries_trim(&t->s, last - t->retention);
    }
    c->eng->stats.dirty++;
    notify_keyspace_event(c->eng, S_NOTIFY_MODULE, "ts.alter", key->ptr, key->len, c->db->id);
    signal_modified_key(c->eng, c->db, key->ptr, key->len);
    reply_ok(c);
}

/* ===================== TS.ADD TS.MADD TS.INCRBY TS.DECRBY ===================== */

/* IGNORE: an in-order sample close enough to the last one is dropped (series with policy
 * LAST that are not compaction destinations). */
static int s_ignored(client_t *c, ts_t *t, int has_last, int64_t last, double lv, int64_t ts,
                     double v) {
    if (!has_last || (t->ignore_t == 0 && t->ignore_v == 0) || t->policy != TS_DUP_LAST) return 0;
    if (ts < last || ts - last > t->ignore_t || fabs(v - lv) > t->ignore_v) return 0;
    return !s_src_of(c->db, t);
}

/* Adds one sample, creating the series from o when absent (o NULL: absent is an error).
 * Returns 0 (replied nothing yet: *rts holds the timestamp to reply) or -1 after an error
 * reply. */
static int s_add_one(client_t *c, const proto_arg_t *key, int64_t ts, double v, const s_opts_t *o,
                     int *wrote, int64_t *rts) {
    int missing;
    *wrote = 0;
    *rts = ts;
    ts_t *t = s_lookup_write(c, key, &missing);
    if (!t && !missing) return -1;
    if (!t) {
        if (!o) {
            reply_error(c, s_err_nokey);
            return -1;
        }
        t = s_create(c, key, o);
    }
    int64_t last;
    double lv, stored;
    int has_last = tseries_last(&t->s, &last, &lv);
    if (s_ignored(c, t, has_last, last, lv, ts, v)) {
        *rts = last;
        return 0;
    }
    if (t->retention > 0 && has_last && last > t->retention && ts < last - t->retention) {
        reply_error(c, "-ERR TSDB: Timestamp is older than retention");
        return -1;
    }
    ts_dup_policy_t pol = o && o->has_on_dup ? o->on_dup : t->policy;
    int appended = !has_last || ts > last;
    int rc = s_put(t, ts, v, pol, &stored);
    if (rc == TSU_BLOCKED) {
        reply_error(c, "-ERR TSDB: Error at upsert, update is not supported when DUPLICATE_POLICY "
                       "is set to BLOCK mode");
        return -1;
    }
    if (rc != TSU_IGNORED) {
        s_rules_on_add(c, t, ts, stored, appended);
        c->eng->stats.dirty++;
        notify_keyspace_event(c->eng, S_NOTIFY_MODULE, "ts.add", key->ptr, key->len, c->db->id);
        signal_modified_key(c->eng, c->db, key->ptr, key->len);
        *wrote = 1;
    }
    return 0;
}

/* TS.ADD key timestamp value [options]: '*' is the server's time, recorded as a number. */
static void cmd_ts_add(client_t *c) {
    s_ensure_linked(c->eng);
    s_opts_t o;
    int64_t ts;
    double v;
    int star = c->argv[2].len == 1 && c->argv[2].ptr[0] == '*';
    if (star) ts = c->eng->now_ms;
    else if (s_ts_arg(&c->argv[2], &ts)) {
        reply_error(c, "-ERR TSDB: invalid timestamp, must be a nonnegative integer");
        return;
    }
    if (s_value_arg(&c->argv[3], &v)) {
        reply_error(c, "-ERR TSDB: invalid value");
        return;
    }
    if (s_opts_or_reply(c, 4, OPT_CREATE | OPT_ADD, &o)) return;
    int wrote;
    int64_t rts;
    if (s_add_one(c, &c->argv[1], ts, v, &o, &wrote, &rts)) return;
    if (star && wrote) {
        proto_arg_t *argv = malloc((size_t)c->argc * sizeof *argv);
        if (!argv) abort();
        memcpy(argv, c->argv, (size_t)c->argc * sizeof *argv);
        char buf[24];
        argv[2] = EFF_ARG(buf, ll_to_str(buf, ts));
        effect_add(c, c->argc, argv);
        free(argv);
    }
    reply_int(c, rts);
}

static void cmd_ts_madd(client_t *c) {
    s_ensure_linked(c->eng);
    if ((c->argc - 1) % 3) {
        reply_error(c, "-ERR wrong number of arguments for 'ts.madd' command");
        return;
    }
    int n = (c->argc - 1) / 3;
    int any_effect = 0;
    reply_array(c, n);
    for (int i = 0; i < n; i++) {
        const proto_arg_t *a = &c->argv[1 + 3 * i];
        int64_t ts;
        double v;
        if (a[1].len == 1 && a[1].ptr[0] == '*') ts = c->eng->now_ms;
        else if (s_ts_arg(&a[1], &ts)) {
            reply_error(c, "-ERR TSDB: invalid timestamp, must be a nonnegative integer");
            continue;
        }
        if (s_value_arg(&a[2], &v)) {
            reply_error(c, "-ERR TSDB: invalid value");
            continue;
        }
        int wrote;
        int64_t rts;
        if (s_add_one(c, a, ts, v, NULL, &wrote, &rts)) continue;
        if (wrote) {
            char buf[24];
            proto_arg_t eff[4] = {EFF_LIT("TS.ADD"), a[0], EFF_ARG(buf, ll_to_str(buf, ts)), a[2]};
            effect_add(c, 4, eff);
            any_effect = 1;
        }
        reply_int(c, rts);
    }
    if (!any_effect) effect_none(c);
}

static void s_incrby(client_t *c, int sign) {
    s_ensure_linked(c->eng);
    double by;
    if (s_value_arg(&c->argv[2], &by)) {
        reply_error(c, "-ERR TSDB: invalid value");
        return;
    }
    s_opts_t o;
    if (s_opts_or_reply(c, 3, OPT_CREATE | OPT_INCR, &o)) return;
    int64_t ts = c->eng->now_ms;
    if (o.has_ts && !(o.ts_arg->len == 1 && o.ts_arg->ptr[0] == '*') && s_ts_arg(o.ts_arg, &ts)) {
        reply_error(c, "-ERR TSDB: invalid timestamp, must be a nonnegative integer");
        return;
    }
    const proto_arg_t *key = &c->argv[1];
    int missing;
    ts_t *t = s_lookup_write(c, key, &missing);
    if (!t && !missing) return;
    int64_t last = 0;
    double lv = 0, stored;
    int has_last = t && tseries_last(&t->s, &last, &lv);
    if (has_last && ts < last) {
        reply_error(c, "-ERR TSDB: timestamp must be equal to or higher than the maximum existing "
                       "timestamp");
        return;
    }
    double v = lv + (sign > 0 ? by : -by);
    if (t && s_ignored(c, t, has_last, last, lv, ts, v)) {
        effect_none(c);
        reply_int(c, last);
        return;
    }
    if (!t) t = s_create(c, key, &o);
    s_put(t, ts, v, TS_DUP_LAST, &stored);
    s_rules_on_add(c, t, ts, v, !has_last || ts > last);
    c->eng->stats.dirty++;
    notify_keyspace_event(c->eng, S_NOTIFY_MODULE, sign > 0 ? "ts.incrby" : "ts.decrby", key->ptr,
                          key->len, c->db->id);
    signal_modified_key(c->eng, c->db, key->ptr, key->len);
    /* recorded with the timestamp used, placed before any LABELS (which run to the end) */
    proto_arg_t *argv = malloc(((size_t)c->argc + 2) * sizeof *argv);
    if (!argv) abort();
    int n = 0;
    argv[n++] = c->argv[0];
    argv[n++] = c->argv[1];
    argv[n++] = c->argv[2];
    char buf[24];
    argv[n++] = EFF_LIT("TIMESTAMP");
    argv[n++] = EFF_ARG(buf, ll_to_str(buf, ts));
    for (int i = 3; i < c->argc; i++) {
        if (o.has_ts && (&c->argv[i] == o.ts_arg - 1 || &c->argv[i] == o.ts_arg)) continue;
        argv[n++] = c->argv[i];
    }
    effect_add(c, n, argv);
    free(argv);
    reply_int(c, ts);
}

static void cmd_ts_incrby(client_t *c) { s_incrby(c, 1); }
static void cmd_ts_decrby(client_t *c) { s_incrby(c, -1); }

/* ===================== TS.DEL TS.GET ===================== */

static int s_range_ts(const proto_arg_t *a, int is_to, int64_t *out) {
    if (a->len == 1 && a->ptr[0] == '-') *out = 0;
    else if (a->len == 1 && a->ptr[0] == '+') *out = S_TS_MAX;
    else return s_ts_arg(a, out);
    return 0;
}

static void cmd_ts_del(client_t *c) {
    s_ensure_linked(c->eng);
    int64_t from, to;
    if (s_range_ts(&c->argv[2], 0, &from)) {
        reply_error(c, "-ERR TSDB: wrong fromTimestamp");
        return;
    }
    if (s_range_ts(&c->argv[3], 1, &to)) {
        reply_error(c, "-ERR TSDB: wrong toTimestamp");
        return;
    }
    int missing;
    ts_t *t = s_lookup_write(c, &c->argv[1], &missing);
    if (!t) {
        if (missing) reply_error(c, s_err_nokey);
        return;
    }
    uint64_t n = tseries_del(&t->s, from, to);
    if (n) {
        const proto_arg_t *key = &c->argv[1];
        s_rules_on_del(c, t, from, to);
        c->eng->stats.dirty++;
        notify_keyspace_event(c->eng, S_NOTIFY_MODULE, "ts.del", key->ptr, key->len, c->db->id);
        signal_modified_key(c->eng, c->db, key->ptr, key->len);
    }
    reply_int(c, (long long)n);
}

static void s_reply_last(client_t *c, const ts_t *t, int latest);

static void cmd_ts_get(client_t *c) {
    s_ensure_linked(c->eng);
    if (c->argc > 3 || (c->argc == 3 && !arg_is(&c->argv[2], "LATEST"))) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    ts_t *t = s_lookup_read_or_reply(c, &c->argv[1]);
    if (t) s_reply_last(c, t, c->argc == 3);
}

/* ===================== range queries ===================== */

typedef struct {
    int64_t *ts;
    double *v;
    size_t n, cap;
} s_vec_t;

static void s_vec_push(s_vec_t *x, int64_t ts, double v) {
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 16;
        x->ts = realloc(x->ts, x->cap * sizeof *x->ts);
        x->v = realloc(x->v, x->cap * sizeof *x->v);
        if (!x->ts || !x->v) abort();
    }
    x->ts[x->n] = ts;
    x->v[x->n] = v;
    x->n++;
}

static void s_vec_free(s_vec_t *x) {
    free(x->ts);
    free(x->v);
    memset(x, 0, sizeof *x);
}

enum { FILT_EQ, FILT_NE, FILT_ABSENT, FILT_PRESENT, FILT_IN, FILT_NOTIN };

typedef struct {
    int op;
    const char *label;
    size_t llen;
    const char *val; /* FILT_EQ/NE: the value; FILT_IN/NOTIN: "a,b" without parentheses */
    size_t vlen;
} s_filter_t;

typedef struct {
    int64_t from, to;
    int from_min, to_max;
    long long count; /* -1: all */
    int64_t *fts;    /* FILTER_BY_TS, sorted */
    int nfts;
    int has_fv;
    double vmin, vmax;
    int agg;
    int64_t bucket;
    int align_kind; /* 0 number, 1 start, 2 end */
    int64_t align;
    int bt; /* BUCKETTIMESTAMP: 0 start, 1 end, 2 mid */
    int empty;
    int latest;
    /* TS.MRANGE / TS.MGET */
    int withlabels;
    const proto_arg_t *sel;
    int nsel;
    s_filter_t *filters;
    int nfilters;
    int groupby;
    const proto_arg_t *glabel;
    int reducer;
} s_range_t;

static void s_range_free(s_range_t *ra) {
    free(ra->fts);
    free(ra->filters);
}

static int s_cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int s_is_keyword(const proto_arg_t *a) {
    static const char *const kw[] = {"LATEST", "FILTER_BY_TS", "FILTER_BY_VALUE", "WITHLABELS",
                                     "SELECTED_LABELS", "COUNT", "ALIGN", "AGGREGATION",
                                     "BUCKETTIMESTAMP", "EMPTY", "FILTER", "GROUPBY", NULL};
    for (int i = 0; kw[i]; i++)
        if (arg_is(a, kw[i])) return 1;
    return 0;
}

static int s_filter_parse(const proto_arg_t *a, s_filter_t *f) {
    const char *eq = memchr(a->ptr, '=', a->len);
    if (!eq) return -1;
    int neg = eq > a->ptr && eq[-1] == '!';
    f->label = a->ptr;
    f->llen = (size_t)(eq - a->ptr) - (neg ? 1 : 0);
    if (f->llen == 0) return -1;
    f->val = eq + 1;
    f->vlen = a->len - (size_t)(eq + 1 - a->ptr);
    if (f->vlen == 0) {
        f->op = neg ? FILT_PRESENT : FILT_ABSENT;
    } else if (f->val[0] == '(') {
        if (f->vlen < 2 || f->val[f->vlen - 1] != ')') return -1;
        f->val++;
        f->vlen -= 2;
        f->op = neg ? FILT_NOTIN : FILT_IN;
    } else {
        f->op = neg ? FILT_NE : FILT_EQ;
    }
    return 0;
}

/* Parses filter expressions argv[i..] up to GROUPBY (or the end, when stop_groupby is 0). */
static int s_filters_or_reply(client_t *c, int i, int end, s_range_t *ra) {
    if (i >= end) {
        reply_error(c, "-ERR TSDB: missing FILTER argument");
        return -1;
    }
    ra->filters = calloc((size_t)(end - i), sizeof *ra->filters);
    if (!ra->filters) abort();
    int positive = 0;
    for (; i < end; i++) {
        s_filter_t *f = &ra->filters[ra->nfilters];
        if (s_filter_parse(&c->argv[i], f)) {
            reply_error(c, "-ERR TSDB: failed parsing labels");
            return -1;
        }
        if (f->op == FILT_EQ || f->op == FILT_IN) positive = 1;
        ra->nfilters++;
    }
    if (!positive) {
        reply_error(c, "-ERR TSDB: please provide at least one matcher");
        return -1;
    }
    return 0;
}

/* Does the comma-separated list (p, n) hold v? */
static int s_list_has(const char *p, size_t n, const vstr_t *v) {
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || p[i] == ',') {
            if (v && i - start == v->len && memcmp(p + start, v->ptr, v->len) == 0) return 1;
            start = i + 1;
        }
    }
    return 0;
}

static int s_filters_match(const ts_t *t, const s_range_t *ra) {
    for (int i = 0; i < ra->nfilters; i++) {
        const s_filter_t *f = &ra->filters[i];
        const vstr_t *v = s_label_get(t, f->label, f->llen);
        int eq = v && v->len == f->vlen && memcmp(v->ptr, f->val, f->vlen) == 0;
        switch (f->op) {
        case FILT_EQ: if (!eq) return 0; break;
        case FILT_NE: if (eq) return 0; break;
        case FILT_ABSENT: if (v) return 0; break;
        case FILT_PRESENT: if (!v) return 0; break;
        case FILT_IN: if (!s_list_has(f->val, f->vlen, v)) return 0; break;
        case FILT_NOTIN: if (s_list_has(f->val, f->vlen, v)) return 0; break;
        }
    }
    return 1;
}

/* An aggregator name and a bucket duration (> 0), as AGGREGATION, TS.CREATERULE and
 * TS.DOWNSAMPLE take them. */
static int s_agg_bucket_or_reply(client_t *c, const proto_arg_t *name, const proto_arg_t *dur,
                                 int *agg, int64_t *bucket) {
    long long v;
    *agg = s_agg_parse(name);
    if (*agg == AGG_NONE) {
        reply_error(c, "-ERR TSDB: Unknown aggregation type");
        return -1;
    }
    if (!str_to_ll(dur->ptr, dur->len, &v) || v <= 0) {
        reply_error(c, "-ERR TSDB: bucketDuration must be greater than zero");
        return -1;
    }
    *bucket = v;
    return 0;
}

/* Parses the options of TS.RANGE (multi = 0), TS.MRANGE (1) or TS.MGET (2) from argv[i]. */
static int s_range_opts_or_reply(client_t *c, int i, int multi, s_range_t *ra) {
    ra->count = -1;
    ra->agg = AGG_NONE;
    int has_align = 0, has_bt = 0;
    for (; i < c->argc; i++) {
        const proto_arg_t *a = &c->argv[i];
        int more = i + 1 < c->argc;
        long long v;
        if (arg_is(a, "LATEST")) {
            ra->latest = 1;
        } else if (arg_is(a, "FILTER_BY_TS") && multi != 2) {
            int j = i + 1;
            while (j < c->argc && !s_is_keyword(&c->argv[j])) j++;
            if (j == i + 1) {
                reply_error(c, "-ERR TSDB: FILTER_BY_TS one or more arguments are missing");
                return -1;
            }
            free(ra->fts);
            ra->fts = malloc((size_t)(j - i - 1) * sizeof *ra->fts);
            if (!ra->fts) abort();
            ra->nfts = 0;
            for (int k = i + 1; k < j; k++) {
                if (s_ts_arg(&c->argv[k], &ra->fts[ra->nfts++])) {
                    reply_error(c, "-ERR TSDB: invalid timestamp");
                    return -1;
                }
            }
            qsort(ra->fts, (size_t)ra->nfts, sizeof *ra->fts, s_cmp_i64);
            i = j - 1;
        } else if (arg_is(a, "FILTER_BY_VALUE") && multi != 2) {
            if (i + 2 >= c->argc || s_value_arg(&c->argv[i + 1], &ra->vmin) ||
                s_value_arg(&c->argv[i + 2], &ra->vmax)) {
                reply_error(c, "-ERR TSDB: Couldn't parse MIN or MAX");
                return -1;
            }
            ra->has_fv = 1;
            i += 2;
        } else if (arg_is(a, "COUNT") && multi != 2) {
            if (!more || !str_to_ll(c->argv[i + 1].ptr, c->argv[i + 1].len, &v) || v <= 0) {
                reply_error(c, "-ERR TSDB: Couldn't parse COUNT");
                return -1;
            }
            ra->count = v;
            i++;
        } else if (arg_is(a, "ALIGN") && multi != 2) {
            const proto_arg_t *b = more ? &c->argv[i + 1] : NULL;
            if (b && (arg_is(b, "start") || arg_is(b, "-"))) ra->align_kind = 1;
            else if (b && (arg_is(b, "end") || arg_is(b, "+"))) ra->align_kind = 2;
            else if (b && str_to_ll(b->ptr, b->len, &v)) ra->align = v;
            else {
                reply_error(c, "-ERR TSDB: unknown ALIGN parameter");
                return -1;
            }
            has_align = 1;
            i++;
        } else if (arg_is(a, "AGGREGATION") && multi != 2) {
            if (i + 2 >= c->argc) {
                reply_error(c, "-ERR TSDB: Couldn't parse AGGREGATION");
                return -1;
            }
            if (s_agg_bucket_or_reply(c, &c->argv[i + 1], &c->argv[i + 2], &ra->agg, &ra->bucket))
                return -1;
            i += 2;
        } else if (arg_is(a, "BUCKETTIMESTAMP") && multi != 2) {
            const proto_arg_t *b = more ? &c->argv[i + 1] : NULL;
            if (b && (arg_is(b, "-") || arg_is(b, "start") || arg_is(b, "low"))) ra->bt = 0;
            else if (b && (arg_is(b, "+") || arg_is(b, "end") || arg_is(b, "high"))) ra->bt = 1;
            else if (b && (arg_is(b, "~") || arg_is(b, "mid"))) ra->bt = 2;
            else {
                reply_error(c, "-ERR TSDB: unknown BUCKETTIMESTAMP parameter");
                return -1;
            }
            has_bt = 1;
            i++;
        } else if (arg_is(a, "EMPTY") && multi != 2) {
            ra->empty = 1;
        } else if (arg_is(a, "WITHLABELS") && multi) {
            ra->withlabels = 1;
        } else if (arg_is(a, "SELECTED_LABELS") && multi) {
            int j = i + 1;
            while (j < c->argc && !s_is_keyword(&c->argv[j])) j++;
            if (j == i + 1) {
                reply_error(c, "-ERR TSDB: SELECTED_LABELS requires at least one label");
                return -1;
            }
            ra->sel = &c->argv[i + 1];
            ra->nsel = j - i - 1;
            i = j - 1;
        } else if (arg_is(a, "FILTER") && multi) {
            int j = i + 1;
            while (j < c->argc && !arg_is(&c->argv[j], "GROUPBY")) j++;
            if (s_filters_or_reply(c, i + 1, j, ra)) return -1;
            i = j - 1;
        } else if (arg_is(a, "GROUPBY") && multi == 1) {
            if (i + 3 >= c->argc || !arg_is(&c->argv[i + 2], "REDUCE")) {
                reply_error(c, "-ERR TSDB: Couldn't parse GROUPBY");
                return -1;
            }
            ra->glabel = &c->argv[i + 1];
            ra->reducer = s_agg_parse(&c->argv[i + 3]);
            if (ra->reducer == AGG_NONE || ra->reducer == AGG_FIRST || ra->reducer == AGG_LAST ||
                ra->reducer == AGG_TWA) {
                reply_error(c, "-ERR TSDB: invalid reducer");
                return -1;
            }
            ra->groupby = 1;
            i += 3;
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    if (multi && !ra->filters) {
        reply_error(c, "-ERR TSDB: missing FILTER argument");
        return -1;
    }
    if (ra->withlabels && ra->nsel) {
        reply_error(c, "-ERR TSDB: cannot accept WITHLABELS and SELECT_LABELS together");
        return -1;
    }
    if ((has_align || has_bt || ra->empty) && ra->agg == AGG_NONE) {
        reply_error(c, "-ERR TSDB: ALIGN, BUCKETTIMESTAMP and EMPTY require AGGREGATION");
        return -1;
    }
    return 0;
}

static int s_range_args_or_reply(client_t *c, int at, s_range_t *ra) {
    if (s_range_ts(&c->argv[at], 0, &ra->from)) {
        reply_error(c, "-ERR TSDB: wrong fromTimestamp");
        return -1;
    }
    if (s_range_ts(&c->argv[at + 1], 1, &ra->to)) {
        reply_error(c, "-ERR TSDB: wrong toTimestamp");
        return -1;
    }
    ra->from_min = arg_is(&c->argv[at], "-");
    ra->to_max = arg_is(&c->argv[at + 1], "+");
    return 0;
}

typedef struct {
    const s_range_t *ra;
    s_vec_t *out;
    /* aggregation */
    int open;
    int64_t bs, align;
    s_agg_t st;
    long long limit; /* stop after this many outputs (-1: none) */
    s_sample_t last; /* the newest sample aggregated so far (twa's previous sample) */
    uint64_t filled; /* empty buckets EMPTY reported so far */
    int overflow;    /* ... too many: the query fails */
} s_qctx_t;

static int s_passes(const s_range_t *ra, int64_t ts, double v) {
    if (ra->nfts && !bsearch(&ts, ra->fts, (size_t)ra->nfts, sizeof *ra->fts, s_cmp_i64)) return 0;
    if (ra->has_fv && (v < ra->vmin || v > ra->vmax)) return 0;
    return 1;
}

static int s_raw_visit(void *ctx, int64_t ts, double v) {
    s_qctx_t *q = ctx;
    if (!s_passes(q->ra, ts, v)) return 0;
    s_vec_push(q->out, ts, v);
    return q->limit >= 0 && (long long)q->out->n >= q->limit;
}

static void s_close_bucket(s_qctx_t *q) {
    const s_range_t *ra = q->ra;
    if (ra->empty && q->out->n) {
        int64_t prev = q->out->ts[q->out->n - 1];
        for (int64_t b = prev + ra->bucket; b < q->bs && b > prev; b += ra->bucket) {
            if (++q->filled > S_EMPTY_MAX) {
                q->overflow = 1;
                return;
            }
            s_agg_t none = {0};
            double v = s_agg_value(ra->agg, &none);
            if (ra->agg == AGG_TWA && q->st.has_prev) /* the line across the gap, at mid-bucket */
                v = s_interp(q->st.prev_ts, q->st.prev_v, q->st.fts, q->st.first,
                             (double)b + (double)ra->bucket / 2);
            s_vec_push(q->out, b, v);
            if (q->limit >= 0 && (long long)q->out->n >= q->limit) return;
        }
    }
    s_vec_push(q->out, q->bs, s_agg_value(ra->agg, &q->st));
}

static int s_agg_visit_q(void *ctx, int64_t ts, double v) {
    s_qctx_t *q = ctx;
    if (!s_passes(q->ra, ts, v)) return 0;
    int64_t bs = s_bucket_start(ts, q->ra->bucket, q->align);
    if (q->open && bs != q->bs) {
        s_set_next(&q->st, (s_sample_t){1, ts, v});
        s_close_bucket(q);
        q->open = 0;
        if (q->overflow || (q->limit >= 0 && (long long)q->out->n >= q->limit)) return 1;
    }
    if (!q->open) {
        q->open = 1;
        q->bs = bs;
        memset(&q->st, 0, sizeof q->st);
        q->st.bs = bs;
        q->st.be = s_bucket_end(bs, q->ra->bucket) + 1;
        s_set_prev(&q->st, q->last);
    }
    s_agg_add(&q->st, ts, v);
    q->last = (s_sample_t){1, ts, v};
    return 0;
}

static void s_vec_reverse(s_vec_t *x) {
    for (size_t i = 0, j = x->n ? x->n - 1 : 0; i < j; i++, j--) {
        int64_t ts = x->ts[i];
        x->ts[i] = x->ts[j];
        x->ts[j] = ts;
        double v = x->v[i];
        x->v[i] = x->v[j];
        x->v[j] = v;
    }
}

/* LATEST: a compaction destination's bucket still open in its source, as a sample. */
typedef struct {
    int has;
    int64_t ts;
    double v;
} s_latest_t;

static s_latest_t s_latest(db_t *db, const ts_t *t) {
    s_latest_t l = {0};
    const ts_t *s = s_src_of(db, t);
    for (uint32_t i = 0; s && i < s->nrules; i++) {
        const s_rule_t *r = &s->rules[i];
        if (s_vstr_eq(r->dest, t->self->ptr, t->self->len) && r->has_cur && r->st.n)
            l = (s_latest_t){1, r->cur, s_agg_value(r->agg, &r->st)};
    }
    return l;
}

/* The samples (or buckets) of t that the query asks for, in reply order; lat (may be NULL)
 * is LATEST's extra sample. -1 (out emptied) when EMPTY would report too many buckets. */
static int s_query(const ts_t *t, const s_range_t *ra, int rev, const s_latest_t *lat,
                    s_vec_t *out) {
    int64_t from = ra->from, to = ra->to, last;
    double lv;
    int has = tseries_last(&t->s, &last, &lv);
    int use_lat = lat && lat->has && (!has || lat->ts > last);
    if (use_lat) {
        last = lat->ts;
        has = 1;
    }
    if (!has) return 0;
    if (t->retention > 0 && last > t->retention && from < last - t->retention)
        from = last - t->retention;
    use_lat = use_lat && lat->ts >= from && lat->ts <= to;
    s_qctx_t q = {.ra = ra, .out = out, .limit = ra->count};
    if (ra->agg == AGG_NONE) {
        if (use_lat && rev) s_raw_visit(&q, lat->ts, lat->v);
        if (q.limit < 0 || (long long)out->n < q.limit) tseries_range(&t->s, from, to, rev, s_raw_visit, &q);
        if (use_lat && !rev && (q.limit < 0 || (long long)out->n < q.limit))
            s_raw_visit(&q, lat->ts, lat->v);
        return 0;
    }
    q.align = ra->align_kind == 1 ? ra->from : ra->align_kind == 2 ? (ra->to_max ? last : ra->to)
                                                                   : ra->align;
    if (rev) q.limit = -1; /* buckets come out oldest first: COUNT applies after reversing */
    if (ra->agg == AGG_TWA) q.last = s_neighbour(t, from, 1);
    tseries_range(&t->s, from, to, 0, s_agg_visit_q, &q);
    if (use_lat && (q.limit < 0 || (long long)out->n < q.limit)) s_agg_visit_q(&q, lat->ts, lat->v);
    if (q.open && !q.overflow && (q.limit < 0 || (long long)out->n < q.limit)) {
        if (ra->agg == AGG_TWA) s_set_next(&q.st, use_lat ? (s_sample_t){0} : s_neighbour(t, to, 0));
        s_close_bucket(&q);
    }
    if (q.overflow) {
        s_vec_free(out);
        return -1;
    }
    if (rev) {
        s_vec_reverse(out);
        if (ra->count >= 0 && (long long)out->n > ra->count) out->n = (size_t)ra->count;
    }
    int64_t shift = ra->bt == 1 ? ra->bucket : ra->bt == 2 ? ra->bucket / 2 : 0;
    for (size_t i = 0; i < out->n; i++) out->ts[i] += shift;
    return 0;
}

static void s_reply_last(client_t *c, const ts_t *t, int latest) {
    int64_t ts;
    double v;
    s_latest_t lat = latest ? s_latest(c->db, t) : (s_latest_t){0};
    int has = tseries_last(&t->s, &ts, &v);
    if (lat.has && (!has || lat.ts > ts)) s_reply_sample(c, lat.ts, lat.v);
    else if (has) s_reply_sample(c, ts, v);
    else reply_array(c, 0);
}

static void s_reply_vec(client_t *c, const s_vec_t *x) {
    reply_array(c, (long long)x->n);
    for (size_t i = 0; i < x->n; i++) s_reply_sample(c, x->ts[i], x->v[i]);
}

static void s_range_cmd(client_t *c, int rev) {
    s_ensure_linked(c->eng);
    s_range_t ra = {0};
    if (s_range_args_or_reply(c, 2, &ra) || s_range_opts_or_reply(c, 4, 0, &ra)) {
        s_range_free(&ra);
        return;
    }
    ts_t *t = s_lookup_read_or_reply(c, &c->argv[1]);
    if (t) {
        s_vec_t out = {0};
        s_latest_t lat = ra.latest ? s_latest(c->db, t) : (s_latest_t){0};
        if (s_query(t, &ra, rev, &lat, &out)) reply_error(c, s_err_empty);
        else s_reply_vec(c, &out);
        s_vec_free(&out);
    }
    s_range_free(&ra);
}

static void cmd_ts_range(client_t *c) { s_range_cmd(c, 0); }
static void cmd_ts_revrange(client_t *c) { s_range_cmd(c, 1); }

/* ===================== multi-series queries ===================== */

typedef struct {
    vstr_t **keys;
    ts_t **series;
    size_t n;
} s_matches_t;

static int s_cmp_vstr(const void *a, const void *b) {
    const vstr_t *x = *(vstr_t *const *)a, *y = *(vstr_t *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->ptr, y->ptr, n);
    return r ? r : (x->len > y->len) - (x->len < y->len);
}

static void s_matches_free(s_matches_t *m) {
    for (size_t i = 0; i < m->n; i++) vstr_free(m->keys[i]);
    free(m->keys);
    free(m->series);
}

static void s_collect_set(dict_t *set, vstr_t ***keys, size_t *n, size_t *cap) {
    dict_iter_t it;
    dict_iter_init(&it, set);
    for (dict_entry_t *de; (de = dict_iter_next(&it));) {
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 16;
            *keys = realloc(*keys, *cap * sizeof **keys);
            if (!*keys) abort();
        }
        const vstr_t *k = de->key;
        (*keys)[(*n)++] = vstr_new(k->ptr, k->len);
    }
    dict_iter_done(&it);
}

/* The series of c's database matching the filters, sorted by key. Candidates come from the
 * most selective positive matcher through the index; each is then checked against every
 * matcher (and expired when its TTL passed). */
static void s_match(client_t *c, const s_range_t *ra, s_matches_t *m) {
    memset(m, 0, sizeof *m);
    db_t *db = c->db;
    const s_filter_t *best = NULL;
    uint64_t best_n = UINT64_MAX;
    for (int i = 0; i < ra->nfilters; i++) {
        const s_filter_t *f = &ra->filters[i];
        uint64_t n = 0;
        if (f->op == FILT_EQ) {
            dict_t *set = s_index_set(db, f->label, f->llen, f->val, f->vlen);
            n = set ? dict_size(set) : 0;
        } else if (f->op == FILT_IN) {
            size_t start = 0;
            for (size_t k = 0; k <= f->vlen; k++) {
                if (k == f->vlen || f->val[k] == ',') {
                    dict_t *set = s_index_set(db, f->label, f->llen, f->val + start, k - start);
                    n += set ? dict_size(set) : 0;
                    start = k + 1;
                }
            }
        } else {
            continue;
        }
        if (n < best_n) {
            best_n = n;
            best = f;
        }
    }
    if (!best || best_n == 0) return;
    vstr_t **keys = NULL;
    size_t n = 0, cap = 0;
    if (best->op == FILT_EQ) {
        s_collect_set(s_index_set(db, best->label, best->llen, best->val, best->vlen), &keys, &n, &cap);
    } else {
        size_t start = 0;
        for (size_t k = 0; k <= best->vlen; k++) {
            if (k == best->vlen || best->val[k] == ',') {
                dict_t *set = s_index_set(db, best->label, best->llen, best->val + start, k - start);
                if (set) s_collect_set(set, &keys, &n, &cap);
                start = k + 1;
            }
        }
    }
    qsort(keys, n, sizeof *keys, s_cmp_vstr);
    m->keys = malloc((n ? n : 1) * sizeof *m->keys);
    m->series = malloc((n ? n : 1) * sizeof *m->series);
    if (!m->keys || !m->series) abort();
    /* expire first: expiry changes the index, so the keys were copied out of it above */
    for (size_t i = 0; i < n; i++) db_expire_if_needed(c->eng, db, keys[i]->ptr, keys[i]->len);
    /* a key listed under two values of an IN list shows once */
    for (size_t i = n; i-- > 1;) {
        if (s_cmp_vstr(&keys[i - 1], &keys[i]) == 0) {
            vstr_free(keys[i]);
            keys[i] = NULL;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!keys[i]) continue;
        ts_t *t = s_peek_ts(db, keys[i]->ptr, keys[i]->len);
        if (t && s_filters_match(t, ra)) {
            m->keys[m->n] = keys[i];
            m->series[m->n] = t;
            m->n++;
        } else {
            vstr_free(keys[i]);
        }
    }
    free(keys);
}

static void s_reply_selected(client_t *c, const ts_t *t, const s_range_t *ra) {
    if (ra->withlabels) {
        s_reply_labels(c, t);
        return;
    }
    s_reply_pair_list(c, ra->nsel);
    for (int i = 0; i < ra->nsel; i++)
        s_reply_pair(c, ra->sel[i].ptr, ra->sel[i].len, s_label_get(t, ra->sel[i].ptr, ra->sel[i].len));
}

/* Header of one series in TS.MGET/MRANGE: RESP2 [key, labels, ...], RESP3 key => [labels,
 * ...]. n is the number of elements after the key. */
static void s_reply_series_head(client_t *c, const char *k, size_t kl, int n) {
    if (c->resp == 3) {
        reply_bulk(c, k, kl);
        reply_array(c, n);
    } else {
        reply_array(c, n + 1);
        reply_bulk(c, k, kl);
    }
}

static void s_reply_series_list(client_t *c, size_t n) {
    if (c->resp == 3) reply_map(c, (long long)n);
    else reply_array(c, (long long)n);
}

static void cmd_ts_mget(client_t *c) {
    s_ensure_linked(c->eng);
    s_range_t ra = {0};
    if (s_range_opts_or_reply(c, 1, 2, &ra)) {
        s_range_free(&ra);
        return;
    }
    s_matches_t m;
    s_match(c, &ra, &m);
    s_reply_series_list(c, m.n);
    for (size_t i = 0; i < m.n; i++) {
        s_reply_series_head(c, m.keys[i]->ptr, m.keys[i]->len, 2);
        s_reply_selected(c, m.series[i], &ra);
        s_reply_last(c, m.series[i], ra.latest);
    }
    s_matches_free(&m);
    s_range_free(&ra);
}

static void s_reply_meta(client_t *c, const char *name, const char *value) {
    if (c->resp != 3) return;
    reply_map(c, 1);
    reply_bulk_cstr(c, name);
    if (value) {
        reply_array(c, 1);
        reply_bulk_cstr(c, value);
    } else {
        reply_array(c, 0);
    }
}

typedef struct {
    int64_t ts;
    double v;
} s_pt_t;

static int s_cmp_pt(const void *a, const void *b) {
    const s_pt_t *x = a, *y = b;
    return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* GROUPBY label REDUCE r: one output series per value of the label, each sample the
 * reduction of the group's samples at that timestamp. */
static void s_mrange_grouped(client_t *c, const s_range_t *ra, s_matches_t *m, s_vec_t *outs, int rev) {
    const proto_arg_t *gl = ra->glabel;
    /* the groups, by label value (series without the label are left out) */
    size_t *order = malloc((m->n ? m->n : 1) * sizeof *order);
    size_t nin = 0;
    if (!order) abort();
    for (size_t i = 0; i < m->n; i++)
        if (s_label_get(m->series[i], gl->ptr, gl->len)) order[nin++] = i;
    /* sort by value (insertion sort keeps key order inside a group) */
    for (size_t i = 1; i < nin; i++) {
        size_t x = order[i], j = i;
        const vstr_t *vx = s_label_get(m->series[x], gl->ptr, gl->len);
        while (j > 0) {
            const vstr_t *vy = s_label_get(m->series[order[j - 1]], gl->ptr, gl->len);
            if (s_cmp_vstr(&vy, &vx) <= 0) break;
            order[j] = order[j - 1];
            j--;
        }
        order[j] = x;
    }
    size_t ngroups = 0;
    for (size_t i = 0; i < nin; i++) {
        const vstr_t *v = s_label_get(m->series[order[i]], gl->ptr, gl->len);
        if (i == 0 || s_cmp_vstr(&v, &(const vstr_t *){s_label_get(m->series[order[i - 1]], gl->ptr, gl->len)}))
            ngroups++;
    }
    s_reply_series_list(c, ngroups);
    for (size_t i = 0; i < nin;) {
        const vstr_t *v = s_label_get(m->series[order[i]], gl->ptr, gl->len);
        size_t j = i;
        size_t npts = 0;
        while (j < nin && s_vstr_eq(s_label_get(m->series[order[j]], gl->ptr, gl->len), v->ptr, v->len)) {
            npts += outs[order[j]].n;
            j++;
        }
        s_pt_t *pts = malloc((npts ? npts : 1) * sizeof *pts);
        if (!pts) abort();
        size_t k = 0;
        vstr_t *sources = vstr_empty(0);
        for (size_t g = i; g < j; g++) {
            const s_vec_t *x = &outs[order[g]];
            for (size_t s = 0; s < x->n; s++) pts[k++] = (s_pt_t){x->ts[s], x->v[s]};
            if (g > i) sources = vstr_cat(sources, ",", 1);
            sources = vstr_cat(sources, m->keys[order[g]]->ptr, m->keys[order[g]]->len);
        }
        qsort(pts, npts, sizeof *pts, s_cmp_pt);
        s_vec_t red = {0};
        for (size_t a = 0; a < npts;) {
            s_agg_t st = {0};
            size_t b = a;
            while (b < npts && pts[b].ts == pts[a].ts) {
                s_agg_add(&st, pts[b].ts, pts[b].v);
                b++;
            }
            s_vec_push(&red, pts[a].ts, s_agg_value(ra->reducer, &st));
            a = b;
        }
        if (rev) s_vec_reverse(&red);
        if (ra->count >= 0 && (long long)red.n > ra->count) red.n = (size_t)ra->count;
        /* name "label=value", labels: the group label, __reducer__, __source__ */
        vstr_t *name = vstr_empty(0);
        name = vstr_cat(name, gl->ptr, gl->len);
        name = vstr_cat(name, "=", 1);
        name = vstr_cat(name, v->ptr, v->len);
        s_reply_series_head(c, name->ptr, name->len, c->resp == 3 ? 3 : 2);
        vstr_t *rname = vstr_new(s_agg_names[ra->reducer], strlen(s_agg_names[ra->reducer]));
        s_reply_pair_list(c, 3);
        s_reply_pair(c, gl->ptr, gl->len, v);
        s_reply_pair(c, "__reducer__", 11, rname);
        s_reply_pair(c, "__source__", 10, sources);
        if (c->resp == 3) {
            reply_map(c, 2);
            reply_bulk_cstr(c, "reducers");
            reply_array(c, 1);
            reply_bulk(c, rname->ptr, rname->len);
            reply_bulk_cstr(c, "sources");
            reply_array(c, (long long)(j - i));
            for (size_t g = i; g < j; g++) reply_bulk(c, m->keys[order[g]]->ptr, m->keys[order[g]]->len);
        }
        s_reply_vec(c, &red);
        vstr_free(rname);
        vstr_free(name);
        vstr_free(sources);
        s_vec_free(&red);
        free(pts);
        i = j;
    }
    free(order);
}

static void s_mrange_cmd(client_t *c, int rev) {
    s_ensure_linked(c->eng);
    s_range_t ra = {0};
    if (s_range_args_or_reply(c, 1, &ra) || s_range_opts_or_reply(c, 3, 1, &ra)) {
        s_range_free(&ra);
        return;
    }
    s_matches_t m;
    s_match(c, &ra, &m);
    s_vec_t *outs = calloc(m.n ? m.n : 1, sizeof *outs);
    if (!outs) abort();
    int failed = 0;
    for (size_t i = 0; i < m.n && !failed; i++) {
        s_latest_t lat = ra.latest ? s_latest(c->db, m.series[i]) : (s_latest_t){0};
        failed = s_query(m.series[i], &ra, rev, &lat, &outs[i]);
    }
    if (failed) {
        reply_error(c, s_err_empty);
    } else if (ra.groupby) {
        s_mrange_grouped(c, &ra, &m, outs, rev);
    } else {
        s_reply_series_list(c, m.n);
        for (size_t i = 0; i < m.n; i++) {
            s_reply_series_head(c, m.keys[i]->ptr, m.keys[i]->len, c->resp == 3 ? 3 : 2);
            s_reply_selected(c, m.series[i], &ra);
            s_reply_meta(c, "aggregators", ra.agg == AGG_NONE ? NULL : s_agg_names[ra.agg]);
            s_reply_vec(c, &outs[i]);
        }
    }
    for (size_t i = 0; i < m.n; i++) s_vec_free(&outs[i]);
    free(outs);
    s_matches_free(&m);
    s_range_free(&ra);
}

static void cmd_ts_mrange(client_t *c) { s_mrange_cmd(c, 0); }
static void cmd_ts_mrevrange(client_t *c) { s_mrange_cmd(c, 1); }

static void cmd_ts_queryindex(client_t *c) {
    s_ensure_linked(c->eng);
    s_range_t ra = {0};
    if (s_filters_or_reply(c, 1, c->argc, &ra)) {
        s_range_free(&ra);
        return;
    }
    s_matches_t m;
    s_match(c, &ra, &m);
    if (c->resp == 3) reply_set(c, (long long)m.n);
    else reply_array(c, (long long)m.n);
    for (size_t i = 0; i < m.n; i++) reply_bulk(c, m.keys[i]->ptr, m.keys[i]->len);
    s_matches_free(&m);
    s_range_free(&ra);
}

/* ===================== TS.INFO ===================== */

static void s_info_field(client_t *c, const char *name) { reply_bulk_cstr(c, name); }

static void cmd_ts_info(client_t *c) {
    s_ensure_linked(c->eng);
    int debug = 0;
    if (c->argc > 3 || (c->argc == 3 && !(debug = arg_is(&c->argv[2], "DEBUG")))) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    ts_t *t = s_lookup_read_or_reply(c, &c->argv[1]);
    if (!t) return;
    s_links_validate(c->db, t);
    int64_t first = 0, last = 0;
    double lv;
    tseries_first(&t->s, &first);
    tseries_last(&t->s, &last, &lv);
    int n = 14 + (debug ? 2 : 0);
    if (c->resp == 3) reply_map(c, n);
    else reply_array(c, 2 * n);
    s_info_field(c, "totalSamples");
    reply_int(c, (long long)t->s.total);
    s_info_field(c, "memoryUsage");
    vobj_t tmp = {.type = OBJ_TS, .v.p = t};
    reply_int(c, (long long)s_mem(&tmp));
    s_info_field(c, "firstTimestamp");
    reply_int(c, first);
    s_info_field(c, "lastTimestamp");
    reply_int(c, last);
    s_info_field(c, "retentionTime");
    reply_int(c, t->retention);
    s_info_field(c, "chunkCount");
    reply_int(c, t->s.n);
    s_info_field(c, "chunkSize");
    reply_int(c, t->s.chunk_size);
    s_info_field(c, "chunkType");
    reply_bulk_cstr(c, t->s.compressed ? "compressed" : "uncompressed");
    s_info_field(c, "duplicatePolicy");
    if (t->policy) reply_bulk_cstr(c, ts_dup_policy_name(t->policy));
    else reply_null(c);
    s_info_field(c, "ignoreMaxTimeDiff");
    reply_int(c, t->ignore_t);
    s_info_field(c, "ignoreMaxValDiff");
    s_reply_value(c, t->ignore_v);
    s_info_field(c, "labels");
    s_reply_labels(c, t);
    s_info_field(c, "sourceKey");
    if (t->src) reply_bulk(c, t->src->ptr, t->src->len);
    else reply_null(c);
    s_info_field(c, "rules");
    s_reply_pair_list(c, t->nrules);
    for (uint32_t i = 0; i < t->nrules; i++) {
        const s_rule_t *r = &t->rules[i];
        if (c->resp == 3) {
            reply_bulk(c, r->dest->ptr, r->dest->len);
            reply_array(c, 3);
        } else {
            reply_array(c, 4);
            reply_bulk(c, r->dest->ptr, r->dest->len);
        }
        reply_int(c, r->bucket);
        reply_bulk_cstr(c, s_agg_upper[r->agg]);
        reply_int(c, r->align);
    }
    if (debug) {
        s_info_field(c, "keySelfName");
        reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
        s_info_field(c, "Chunks");
        reply_array(c, t->s.n);
        for (uint32_t i = 0; i < t->s.n; i++) {
            const tschunk_t *ch = t->s.chunks[i];
            size_t bytes = ch->compressed ? (size_t)((ch->nbits + 7) / 8) : (size_t)ch->count * 16;
            if (c->resp == 3) reply_map(c, 5);
            else reply_array(c, 10);
            s_info_field(c, "startTimestamp");
            reply_int(c, ch->first_ts);
            s_info_field(c, "endTimestamp");
            reply_int(c, ch->last_ts);
            s_info_field(c, "samples");
            reply_int(c, ch->count);
            s_info_field(c, "size");
            reply_int(c, (long long)ch->cap);
            s_info_field(c, "bytesPerSample");
            char buf[32];
            int bl = snprintf(buf, sizeof buf, "%.4g", ch->count ? (double)bytes / ch->count : 0.0);
            reply_bulk(c, buf, (size_t)bl);
        }
    }
}

/* ===================== compaction rules ===================== */

static void cmd_ts_createrule(client_t *c) {
    s_ensure_linked(c->eng);
    const proto_arg_t *sk = &c->argv[1], *dk = &c->argv[2];
    if (!arg_is(&c->argv[3], "AGGREGATION") || c->argc > 7) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    int agg;
    int64_t bucket;
    long long align = 0;
    if (s_agg_bucket_or_reply(c, &c->argv[4], &c->argv[5], &agg, &bucket)) return;
    if (c->argc == 7 && !str_to_ll(c->argv[6].ptr, c->argv[6].len, &align)) {
        reply_error(c, "-ERR TSDB: Couldn't parse alignTimestamp");
        return;
    }
    if (sk->len == dk->len && memcmp(sk->ptr, dk->ptr, sk->len) == 0) {
        reply_error(c, "-ERR TSDB: the source key and destination key should be different");
        return;
    }
    int missing;
    ts_t *s = s_lookup_write(c, sk, &missing);
    if (!s) {
        if (missing) reply_error(c, s_err_nokey);
        return;
    }
    ts_t *d = s_lookup_write(c, dk, &missing);
    if (!d) {
        if (missing) reply_error(c, "-ERR TSDB: the key does not exist");
        return;
    }
    s_links_validate(c->db, s);
    s_links_validate(c->db, d);
    if (d->src) {
        reply_error(c, "-ERR TSDB: the destination key already has a src rule");
        return;
    }
    if (d->nrules) {
        reply_error(c, "-ERR TSDB: the destination key already has a dst rule");
        return;
    }
    if (s->src) {
        reply_error(c, "-ERR TSDB: the source key already has a source rule");
        return;
    }
    s->rules = realloc(s->rules, (s->nrules + 1) * sizeof *s->rules);
    if (!s->rules) abort();
    s->rules[s->nrules++] = (s_rule_t){.dest = vstr_new(dk->ptr, dk->len), .agg = agg,
                                       .bucket = bucket, .align = align};
    s_vstr_set(&d->src, sk->ptr, sk->len);
    c->eng->stats.dirty++;
    notify_keyspace_event(c->eng, S_NOTIFY_MODULE, "ts.createrule:src", sk->ptr, sk->len, c->db->id);
    notify_keyspace_event(c->eng, S_NOTIFY_MODULE, "ts.createrule:dest", dk->ptr, dk->len, c->db->id);
    signal_modified_key(c->eng, c->db, sk->ptr, sk->len);
    signal_modified_key(c->eng, c->db, dk->ptr, dk->len);
    reply_ok(c);
}

static void cmd_ts_deleterule(client_t *c) {
    s_ensure_linked(c->eng);
    const proto_arg_t *sk = &c->argv[1], *dk = &c->argv[2];
    int missing;
    ts_t *s = s_lookup_write(c, sk, &missing);
    if (!s) {
        if (missing) reply_error(c, s_err_nokey);
        return;
    }
    s_links_validate(c->db, s);
    for (uint32_t i = 0; i < s->nrules; i++) {
        if (!s_vstr_eq(s->rules[i].dest, dk->ptr, dk->len)) continue;
        ts_t *d = s_rule_dest(c->db, s, &s->rules[i]);
        if (d) {
            vstr_free(d->src);
            d->src = NULL;
        }
        s_rule_remove(s, i);
        c->eng->stats.dirty++;
        notify_keyspace_event(c->eng, S_NOTIFY_MODULE, "ts.deleterule:src", sk->ptr, sk->len, c->db->id);
        notify_keyspace_event(c->eng, S_NOTIFY_MODULE, "ts.deleterule:dest", dk->ptr, dk->len, c->db->id);
        signal_modified_key(c->eng, c->db, sk->ptr, sk->len);
        signal_modified_key(c->eng, c->db, dk->ptr, dk->len);
        reply_ok(c);
        return;
    }
    reply_error(c, "-ERR TSDB: compaction rule does not exist");
}

/* TS.DOWNSAMPLE src dst agg from to bucket: writes the buckets of src's [from, to] (aligned
 * to 0) into dst, creating dst (uncompressed settings as the defaults) when absent and
 * replacing samples already at those timestamps. Replies with the number of buckets
 * written. */
static void cmd_ts_downsample(client_t *c) {
    s_ensure_linked(c->eng);
    s_range_t ra = {.count = -1};
    if (s_agg_bucket_or_reply(c, &c->argv[3], &c->argv[6], &ra.agg, &ra.bucket)) return;
    if (s_range_args_or_reply(c, 4, &ra)) return;
    ts_t *s = s_lookup_read_or_reply(c, &c->argv[1]);
    if (!s) return;
    const proto_arg_t *dk = &c->argv[2];
    int missing;
    ts_t *d = s_lookup_write(c, dk, &missing);
    if (!d && !missing) return;
    if (d == s) {
        reply_error(c, "-ERR TSDB: the source key and destination key should be different");
        return;
    }
    s_vec_t out = {0};
    s_query(s, &ra, 0, NULL, &out); /* no EMPTY here: cannot fail */
    if (out.n) {
        if (!d) {
            s_opts_t o = {.compressed = 1, .chunk = S_DEFAULT_CHUNK};
            d = s_create(c, dk, &o);
        }
        for (size_t i = 0; i < out.n; i++) {
            double stored;
            int64_t last;
            double lv;
            int appended = !tseries_last(&d->s, &last, &lv) || out.ts[i] > last;
            s_put(d, out.ts[i], out.v[i], TS_DUP_LAST, &stored);
            s_rules_on_add(c, d, out.ts[i], stored, appended);
        }
        c->eng->stats.dirty++;
        notify_keyspace_event(c->eng, S_NOTIFY_MODULE, "ts.add", dk->ptr, dk->len, c->db->id);
        signal_modified_key(c->eng, c->db, dk->ptr, dk->len);
    }
    reply_int(c, (long long)out.n);
    s_vec_free(&out);
}

/* ===================== command table ===================== */

#define S_CREATE_OPTS                                                                              \
    "?integer:retentionPeriod=RETENTION ?oneof:enc=ENCODING(=COMPRESSED =UNCOMPRESSED) "          \
    "?integer:size=CHUNK_SIZE "                                                                    \
    "?oneof:policy=DUPLICATE_POLICY(=BLOCK =FIRST =LAST =MIN =MAX =SUM) "                        \
    "?block:ignore=IGNORE(integer:ignoreMaxTimediff double:ignoreMaxValDiff) "                   \
    "?*block:labels=LABELS(string:label string:value)"
#define S_RANGE_OPTS                                                                               \
    "?=LATEST ?*integer:Timestamp=FILTER_BY_TS "                                                   \
    "?block:filter_by_value=FILTER_BY_VALUE(double:min double:max) ?integer:count=COUNT "         \
    "?block:aggregation(?string:align=ALIGN "                                                      \
    "oneof:aggregator=AGGREGATION(=AVG =FIRST =LAST =MIN =MAX =SUM =RANGE =COUNT =STD.P =STD.S " \
    "=VAR.P =VAR.S =TWA) integer:bucketDuration ?string:buckettimestamp=BUCKETTIMESTAMP ?=EMPTY)"
#define S_LABEL_OPTS "?oneof:labels(=WITHLABELS *string:label=SELECTED_LABELS)"

static command_t ts_commands[] = {
    {.name = "ts.create", .proc = cmd_ts_create, .arity = -2, .flags = "write denyoom",
     .keyspecs = "RW insert;index:1;range:0,1,0", .group = "timeseries", .since = "1.0.0",
     .summary = "Creates a time series with optional retention, encoding, chunk size, duplicate "
                "policy and labels (LABELS k v ... or k=v ...).",
     .complexity = "O(1)", .args = "key:key@0 " S_CREATE_OPTS},
    {.name = "ts.alter", .proc = cmd_ts_alter, .arity = -2, .flags = "write denyoom",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "timeseries", .since = "1.0.0",
     .summary = "Changes a time series' retention, chunk size, duplicate policy or labels "
                "(LABELS replaces them all).",
     .complexity = "O(N) where N is the number of labels",
     .args = "key:key@0 ?integer:retentionPeriod=RETENTION ?integer:size=CHUNK_SIZE "
             "?oneof:policy=DUPLICATE_POLICY(=BLOCK =FIRST =LAST =MIN =MAX =SUM) "
             "?block:ignore=IGNORE(integer:ignoreMaxTimediff double:ignoreMaxValDiff) "
             "?*block:labels=LABELS(string:label string:value)"},
    {.name = "ts.add", .proc = cmd_ts_add, .arity = -4, .flags = "write denyoom",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "timeseries", .since = "1.0.0",
     .summary = "Appends a sample ('*' = the server's time), creating the series when absent.",
     .complexity = "O(M) when M is the number of compaction rules, or O(1) with no compaction",
     .args = "key:key@0 string:timestamp double:value " S_CREATE_OPTS
             " ?oneof:policy_ovr=ON_DUPLICATE(=BLOCK =FIRST =LAST =MIN =MAX =SUM)"},
    {.name = "ts.madd", .proc = cmd_ts_madd, .arity = -4, .flags = "write denyoom",
     .keyspecs = "RW update;index:1;range:-1,3,0", .group = "timeseries", .since = "1.0.0",
     .summary = "Appends samples to several existing series.",
     .complexity = "O(N*M) when N is the number of series updated and M the number of "
                   "compaction rules",
     .args = "*block:ktv(key:key@0 string:timestamp double:value)"},
    {.name = "ts.incrby", .proc = cmd_ts_incrby, .arity = -3, .flags = "write denyoom",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "timeseries", .since = "1.0.0",
     .summary = "Adds to the latest sample's value, at a timestamp no older than it.",
     .complexity = "O(M) when M is the number of compaction rules, or O(1) with no compaction",
     .args = "key:key@0 double:addend ?string:timestamp=TIMESTAMP " S_CREATE_OPTS},
    {.name = "ts.decrby", .proc = cmd_ts_decrby, .arity = -3, .flags = "write denyoom",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "timeseries", .since = "1.0.0",
     .summary = "Subtracts from the latest sample's value, at a timestamp no older than it.",
     .complexity = "O(M) when M is the number of compaction rules, or O(1) with no compaction",
     .args = "key:key@0 double:subtrahend ?string:timestamp=TIMESTAMP " S_CREATE_OPTS},
    {.name = "ts.del", .proc = cmd_ts_del, .arity = 4, .flags = "write",
     .keyspecs = "RW delete;index:1;range:0,1,0", .group = "timeseries", .since = "1.6.0",
     .summary = "Deletes the samples between two timestamps (inclusive).",
     .complexity = "O(N) where N is the number of samples removed",
     .args = "key:key@0 string:fromTimestamp string:toTimestamp"},
    {.name = "ts.get", .proc = cmd_ts_get, .arity = -2, .flags = "readonly fast",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "timeseries", .since = "1.0.0",
     .summary = "Returns the latest sample of a time series.", .complexity = "O(1)",
     .args = "key:key@0 ?=LATEST"},
    {.name = "ts.mget", .proc = cmd_ts_mget, .arity = -3, .flags = "readonly",
     .group = "timeseries", .since = "1.0.0",
     .summary = "Returns the latest sample of every series whose labels match the filters.",
     .complexity = "O(n) where n is the number of time-series that match the filters",
     .args = "?=LATEST " S_LABEL_OPTS " *string:filterExpr=FILTER"},
    {.name = "ts.range", .proc = cmd_ts_range, .arity = -4, .flags = "readonly",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "timeseries", .since = "1.0.0",
     .summary = "Returns samples (or aggregated buckets) between two timestamps, oldest first.",
     .complexity = "O(n/m+k) where n is the number of samples, m the chunk size and k the "
                   "number of samples in range",
     .args = "key:key@0 string:fromTimestamp string:toTimestamp " S_RANGE_OPTS},
    {.name = "ts.revrange", .proc = cmd_ts_revrange, .arity = -4, .flags = "readonly",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "timeseries", .since = "1.4.0",
     .summary = "Returns samples (or aggregated buckets) between two timestamps, newest first.",
     .complexity = "O(n/m+k) where n is the number of samples, m the chunk size and k the "
                   "number of samples in range",
     .args = "key:key@0 string:fromTimestamp string:toTimestamp " S_RANGE_OPTS},
    {.name = "ts.mrange", .proc = cmd_ts_mrange, .arity = -4, .flags = "readonly",
     .group = "timeseries", .since = "1.0.0",
     .summary = "Range query over every series whose labels match the filters, optionally "
                "grouped by a label and reduced.",
     .complexity = "O(n/m+k) where n is the number of samples, m the chunk size and k the "
                   "number of samples in range",
     .args = "string:fromTimestamp string:toTimestamp " S_RANGE_OPTS " " S_LABEL_OPTS
             " *string:filterExpr=FILTER "
             "?block:groupby(string:label=GROUPBY string:reducer=REDUCE)"},
    {.name = "ts.mrevrange", .proc = cmd_ts_mrevrange, .arity = -4, .flags = "readonly",
     .group = "timeseries", .since = "1.4.0",
     .summary = "TS.MRANGE, newest samples first.",
     .complexity = "O(n/m+k) where n is the number of samples, m the chunk size and k the "
                   "number of samples in range",
     .args = "string:fromTimestamp string:toTimestamp " S_RANGE_OPTS " " S_LABEL_OPTS
             " *string:filterExpr=FILTER "
             "?block:groupby(string:label=GROUPBY string:reducer=REDUCE)"},
    {.name = "ts.info", .proc = cmd_ts_info, .arity = -2, .flags = "readonly",
     .keyspecs = "RO;index:1;range:0,1,0", .group = "timeseries", .since = "1.0.0",
     .summary = "Returns a time series' settings, labels, rules and storage statistics.",
     .complexity = "O(1)", .args = "key:key@0 ?=DEBUG"},
    {.name = "ts.queryindex", .proc = cmd_ts_queryindex, .arity = -2, .flags = "readonly",
     .group = "timeseries", .since = "1.0.0",
     .summary = "Returns the keys of the series whose labels match the filters.",
     .complexity = "O(n) where n is the number of time-series that match the filters",
     .args = "*string:filterExpr"},
    {.name = "ts.createrule", .proc = cmd_ts_createrule, .arity = -6, .flags = "write denyoom",
     .keyspecs = "RW access update;index:1;range:0,1,0|RW update;index:2;range:0,1,0",
     .group = "timeseries", .since = "1.0.0",
     .summary = "Creates a compaction rule: samples added to the source are aggregated per "
                "bucket into the destination.",
     .complexity = "O(1)",
     .args = "key:sourceKey@0 key:destKey@1 "
             "oneof:aggregator=AGGREGATION(=AVG =FIRST =LAST =MIN =MAX =SUM =RANGE =COUNT "
             "=STD.P =STD.S =VAR.P =VAR.S =TWA) integer:bucketDuration ?integer:alignTimestamp"},
    {.name = "ts.deleterule", .proc = cmd_ts_deleterule, .arity = 3, .flags = "write",
     .keyspecs = "RW access update;index:1;range:0,1,0|RW update;index:2;range:0,1,0",
     .group = "timeseries", .since = "1.0.0", .summary = "Deletes a compaction rule.",
     .complexity = "O(1)", .args = "key:sourceKey@0 key:destKey@1"},
    {.name = "ts.downsample", .proc = cmd_ts_downsample, .arity = 7, .flags = "write denyoom",
     .keyspecs = "RO access;index:1;range:0,1,0|RW update;index:2;range:0,1,0",
     .group = "timeseries", .since = "1.0.0",
     .summary = "Vole: aggregates a range of one series into buckets written to another "
                "(created when absent); replies with the number of buckets written.",
     .complexity = "O(n/m+k) where k is the number of samples in range",
     .args = "key:source@0 key:destination@1 "
             "oneof:aggregator(=AVG =FIRST =LAST =MIN =MAX =SUM =RANGE =COUNT =STD.P =STD.S "
             "=VAR.P =VAR.S =TWA) string:fromTimestamp string:toTimestamp integer:bucketDuration"},
    {0},
};

__attribute__((constructor)) static void s_register_ts_commands(void) {
    command_group_register(ts_commands);
}
