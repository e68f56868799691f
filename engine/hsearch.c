/* HSEARCH: query hashes by field values.
 *
 *   HSEARCH pattern [WHERE field op value [AND|OR field op value ...]]
 *           [SORTBY field [ASC|DESC]] [LIMIT offset count] [COUNT]
 *
 * op is = != > < >= <= CONTAINS STARTSWITH; comparisons are numeric when both sides are
 * numbers, byte-wise otherwise; a condition on a missing field is false. AND binds tighter
 * than OR. The reply is an array of [key, fields] pairs (fields as a map in RESP3, a flat
 * array in RESP2), sorted by key unless SORTBY says otherwise; COUNT replies the number of
 * matches only.
 *
 * What is indexed: the fields that schemas declare (SCHEMA.SET), for the hashes whose key
 * matches the declaring schema's pattern, per database/namespace. Every declared field has
 * an equality index (value -> keys); fields declared int or float also have an ordered one
 * (a skip list by numeric value) for > < >= <= and numeric =. A query uses the indexes when
 * each OR branch has at least one condition (=, or a range on a numeric field, not != /
 * CONTAINS / STARTSWITH) on an indexed field whose schema pattern covers the query's pattern
 * (the same pattern, or "prefix*" with the query pattern starting with prefix); the branch
 * takes its smallest candidate set. Otherwise it scans every key of the database. Every
 * candidate is checked against the whole query, so the index only has to hold a superset.
 *
 * Maintenance: hash writes (core_hash_write), keys entering (db_add: COPY, MOVE, RENAME,
 * loading) and leaving (delete, expiry, eviction) update the indexes; HDEL and overwriting a
 * hash with another type leave stale entries that the check filters out. When schemas
 * change, after SWAPDB or a load, the indexes are rebuilt by one scan at the next HSEARCH. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/commands.h"
#include "engine/core.h"
#include "engine/ds/skiplist.h"
#include "engine/types/t_hash.h"
#include "shared/util.h"

typedef struct field_index {
    dict_t *eq; /* vstr value -> dict_t* set of vstr key (owned) */
    zsl_t *num; /* int/float fields: the distinct values of eq that are numbers, by number
                 * (score) and bytes (member); a range walks it and unites eq's sets */
    long long entries; /* (value, key) pairs held: INFO keyspace hsearch_index entries= */
} field_index_t;

typedef struct hsearch_state {
    int valid;    /* the indexes are complete: queries may use them */
    int building; /* the cron is filling them (the write hooks maintain them meanwhile) */
    int bdb;      /* building: the database being scanned, and the dict_scan cursor */
    uint64_t bcursor;
    dict_t **bydb; /* per db: vstr field -> field_index_t* (NULL until used) */
    int n;
} hsearch_state_t;

static void s_set_free(void *p) {
    dict_t *d = p;
    dict_destroy(&d);
}
static const dict_type_t s_keyset_type = {vstr_dict_hash, vstr_dict_eq, vstr_dict_free, NULL};
static const dict_type_t s_eq_type = {vstr_dict_hash, vstr_dict_eq, vstr_dict_free, s_set_free};
static void s_fi_free(void *p) {
    field_index_t *fi = p;
    dict_destroy(&fi->eq);
    if (fi->num) zsl_free(fi->num);
    free(fi);
}
static const dict_type_t s_fields_type = {vstr_dict_hash, vstr_dict_eq, vstr_dict_free, s_fi_free};

static void s_drop_all(hsearch_state_t *st) {
    for (int i = 0; i < st->n; i++)
        if (st->bydb[i]) dict_destroy(&st->bydb[i]);
}

/* Empties the indexes and starts filling them from the data (complete at once when no
 * schema declares anything). */
static void s_restart(engine_t *e, hsearch_state_t *st) {
    s_drop_all(st);
    st->building = schema_count(e) > 0;
    st->valid = !st->building;
    st->bdb = 0;
    st->bcursor = 0;
}

static hsearch_state_t *s_state(engine_t *e, int create) {
    int created;
    hsearch_state_t *st = CORE_MODULE(e, hsearch, create, &created);
    if (created) {
        st->n = e->cfg.databases + ENGINE_NAMESPACES_MAX;
        st->bydb = calloc((size_t)st->n, sizeof *st->bydb);
        if (!st->bydb) abort();
        s_restart(e, st);
    }
    return st;
}

/* The write hooks keep the indexes up to date while they are complete or being filled. */
static int s_maintained(const hsearch_state_t *st) { return st && (st->valid || st->building); }

void hsearch_invalidate(engine_t *e) { s_restart(e, s_state(e, 1)); }

void hsearch_free(engine_t *e) {
    hsearch_state_t *st = s_state(e, 0);
    if (!st) return;
    s_drop_all(st);
    free(st->bydb);
    free(st);
    core_of(e)->hsearch = NULL;
}

void hsearch_flushed(engine_t *e, int dbid) {
    hsearch_state_t *st = s_state(e, 0);
    if (!s_maintained(st)) return;
    for (int i = 0; i < st->n; i++)
        if ((dbid == -1 || dbid == i) && st->bydb[i]) dict_clear(st->bydb[i]);
}

/* ---------- entries ---------- */

static int s_num(const char *p, size_t len, double *out) {
    return len > 0 && str_to_d(p, len, out) && *out == *out;
}

static field_index_t *s_field(hsearch_state_t *st, int dbid, const char *f, size_t flen,
                              int numeric, int create) {
    if (!st->bydb[dbid]) {
        if (!create) return NULL;
        st->bydb[dbid] = dict_new(&s_fields_type);
    }
    vstr_t *k = vstr_new(f, flen);
    int existed = 0;
    dict_entry_t *de =
        create ? dict_add_or_find(st->bydb[dbid], k, &existed) : dict_find(st->bydb[dbid], k);
    if (!create || existed) vstr_free(k);
    if (!de) return NULL;
    if (create && !existed) {
        field_index_t *fi = calloc(1, sizeof *fi);
        if (!fi) abort();
        fi->eq = dict_new(&s_eq_type);
        de->v.val = fi;
    }
    field_index_t *fi = de->v.val;
    if (create && numeric && !fi->num) fi->num = zsl_new();
    return fi;
}

static void s_entry_add(field_index_t *fi, const char *key, size_t klen, const char *v,
                        size_t vlen) {
    vstr_t *val = vstr_new(v, vlen);
    int existed;
    dict_entry_t *de = dict_add_or_find(fi->eq, val, &existed);
    if (existed) {
        vstr_free(val);
    } else {
        de->v.val = dict_new(&s_keyset_type);
        double d;
        if (fi->num && s_num(v, vlen, &d)) zsl_insert(fi->num, d, v, vlen); /* a new value */
    }
    vstr_t *k = vstr_new(key, klen);
    if (!dict_add(de->v.val, k, NULL)) vstr_free(k);
    else fi->entries++;
}

static void s_entry_del(field_index_t *fi, const char *key, size_t klen, const char *v,
                        size_t vlen) {
    vstr_t *val = vstr_new(v, vlen);
    dict_entry_t *de = dict_find(fi->eq, val);
    if (de) {
        vstr_t *k = vstr_new(key, klen);
        if (dict_delete(de->v.val, k) == 0) fi->entries--;
        vstr_free(k);
        if (dict_size(de->v.val) == 0) { /* the last key with this value */
            dict_delete(fi->eq, val);
            double d;
            zsl_node_t *old =
                fi->num && s_num(v, vlen, &d) ? zsl_unlink(fi->num, d, v, vlen) : NULL;
            if (old) zsl_free_node(old);
        }
    }
    vstr_free(val);
}

/* Adds (add = 1) or removes the index entries of every declared field of hash h at key. */
typedef struct {
    hsearch_state_t *st;
    int dbid, add;
    const char *key;
    size_t klen;
    const vobj_t *h;
} s_walk_t;

static void s_walk_field(void *ctx, const char *f, size_t flen, int type) {
    s_walk_t *w = ctx;
    const char *v;
    size_t vlen;
    if (!hash_type_get(w->h, f, flen, &v, &vlen)) return;
    int numeric = type == SCHEMA_T_INT || type == SCHEMA_T_FLOAT;
    field_index_t *fi = s_field(w->st, w->dbid, f, flen, numeric, w->add);
    if (!fi) return;
    if (w->add)
        s_entry_add(fi, w->key, w->klen, v, vlen);
    else
        s_entry_del(fi, w->key, w->klen, v, vlen);
}

static void s_index_hash(engine_t *e, hsearch_state_t *st, int dbid, const char *key, size_t len,
                         const vobj_t *h, int add) {
    s_walk_t w = {st, dbid, add, key, len, h};
    schema_fields_for_key(e, key, len, s_walk_field, &w);
}

void hsearch_key_added(engine_t *e, db_t *db, const char *key, size_t len, const vobj_t *val) {
    hsearch_state_t *st = s_state(e, 0);
    if (!s_maintained(st) || hash_type_length(val) == 0) return;
    s_index_hash(e, st, db->id, key, len, val, 1);
}

void hsearch_key_removed(engine_t *e, db_t *db, const char *key, size_t len) {
    hsearch_state_t *st = s_state(e, 0);
    if (!s_maintained(st) || !st->bydb[db->id]) return;
    vobj_t *o = db_peek(db, key, len);
    if (o && o->type == OBJ_HASH) s_index_hash(e, st, db->id, key, len, o, 0);
}

typedef struct {
    hsearch_state_t *st;
    int dbid;
    const char *key;
    size_t klen;
    const vobj_t *existing;
    const proto_arg_t *fv; /* field/value pairs (step 2) or fields being deleted (step 1) */
    int n, step;
} s_write_t;

/* A declared field is written (its old entry goes, the new one comes) or deleted. */
static void s_write_field(void *ctx, const char *f, size_t flen, int type) {
    s_write_t *w = ctx;
    for (int i = 0; i < w->n; i += w->step) {
        if (w->fv[i].len != flen || memcmp(w->fv[i].ptr, f, flen)) continue;
        int numeric = type == SCHEMA_T_INT || type == SCHEMA_T_FLOAT;
        field_index_t *fi = s_field(w->st, w->dbid, f, flen, numeric, 1);
        const char *v;
        size_t vlen;
        if (w->existing && hash_type_get(w->existing, f, flen, &v, &vlen))
            s_entry_del(fi, w->key, w->klen, v, vlen);
        if (w->step == 2) s_entry_add(fi, w->key, w->klen, w->fv[i + 1].ptr, w->fv[i + 1].len);
        else break; /* HDEL k f f: the entry is gone after the first */
    }
}

void hsearch_hash_write(engine_t *e, db_t *db, const char *key, size_t len, const vobj_t *existing,
                        const proto_arg_t *fv, int n) {
    hsearch_state_t *st = s_state(e, 0);
    if (!s_maintained(st)) return;
    s_write_t w = {st, db->id, key, len, existing, fv, n, 2};
    schema_fields_for_key(e, key, len, s_write_field, &w);
}

void hsearch_hash_del(engine_t *e, db_t *db, const char *key, size_t len, const vobj_t *existing,
                      const proto_arg_t *fields, int n) {
    hsearch_state_t *st = s_state(e, 0);
    if (!s_maintained(st) || !existing) return;
    s_write_t w = {st, db->id, key, len, existing, fields, n, 1};
    schema_fields_for_key(e, key, len, s_write_field, &w);
}

/* Fills the indexes from the data a slice at a time, from the engine's cron: at most 40% of
 * a cron period per tick (about 13 s for 1 M hashes with four indexed fields at hz 10), so
 * commands keep running meanwhile; HSEARCH scans until the indexes are complete. dict_scan
 * may visit a key twice and the write hooks index keys before the scan reaches them: adding
 * an entry twice changes nothing. */
typedef struct {
    engine_t *e;
    hsearch_state_t *st;
    int dbid;
} s_build_t;

static void s_build_entry(void *ctx, dict_entry_t *de) {
    s_build_t *b = ctx;
    const vobj_t *o = de->v.val;
    const vstr_t *k = de->key;
    if (o->type == OBJ_HASH) s_index_hash(b->e, b->st, b->dbid, k->ptr, k->len, o, 1);
}

void hsearch_cron(engine_t *e) {
    hsearch_state_t *st = s_state(e, 0);
    if (!st || !st->building) return;
    int64_t start = mono_us(), budget = 400000 / (e->cfg.hz > 0 ? e->cfg.hz : 10);
    int steps = 0;
    while (st->bdb < e->ndbs) {
        db_t *db = &e->dbs[st->bdb];
        if (db->keys && dict_size(db->keys)) {
            s_build_t b = {e, st, st->bdb};
            st->bcursor = dict_scan(db->keys, st->bcursor, s_build_entry, &b);
        } else {
            st->bcursor = 0;
        }
        if (st->bcursor == 0) st->bdb++;
        if (++steps % 32 == 0 && mono_us() - start > budget) return;
    }
    st->building = 0;
    st->valid = 1;
}

void hsearch_info(engine_t *e, buf_t *b) {
    hsearch_state_t *st = s_state(e, 0);
    if (!schema_count(e)) return;
    long long entries = 0;
    for (int i = 0; st && i < st->n; i++) {
        if (!st->bydb[i]) continue;
        dict_iter_t it;
        dict_entry_t *de;
        dict_iter_init(&it, st->bydb[i]);
        while ((de = dict_iter_next(&it))) entries += ((field_index_t *)de->v.val)->entries;
        dict_iter_done(&it);
    }
    buf_printf(b, "hsearch_index:status=%s,schemas=%d,entries=%lld\r\n",
               st && st->valid      ? "ready"
               : st && st->building ? "building"
                                    : "none",
               schema_count(e), entries);
}

/* ===================== queries ===================== */

enum { OP_EQ, OP_NE, OP_GT, OP_LT, OP_GE, OP_LE, OP_CONTAINS, OP_STARTSWITH };
static const char *const s_ops[] = {"=", "!=", ">", "<", ">=", "<=", "contains", "startswith"};

typedef struct {
    const proto_arg_t *field, *value;
    int op;
    int num_ok; /* value is a number */
    double num;
} s_cond_t;

typedef struct {
    s_cond_t *conds;
    int nconds;
    int *group_end; /* the OR branches: conds [start, group_end[g]) */
    int ngroups;
} s_where_t;

static int s_cmp_bytes(const char *a, size_t al, const char *b, size_t bl) {
    int r = memcmp(a, b, al < bl ? al : bl);
    return r ? r : (al > bl) - (al < bl);
}

static int s_memmem(const char *h, size_t hl, const char *n, size_t nl) {
    if (nl == 0) return 1;
    if (nl > hl) return 0;
    return memmem(h, hl, n, nl) != NULL;
}

static int s_cond_true(const s_cond_t *c, const vobj_t *h) {
    const char *v;
    size_t vl;
    if (!hash_type_get(h, c->field->ptr, c->field->len, &v, &vl)) return 0;
    if (c->op == OP_CONTAINS) return s_memmem(v, vl, c->value->ptr, c->value->len);
    if (c->op == OP_STARTSWITH)
        return vl >= c->value->len && memcmp(v, c->value->ptr, c->value->len) == 0;
    double d;
    int cmp;
    if (c->num_ok && s_num(v, vl, &d))
        cmp = (d > c->num) - (d < c->num);
    else
        cmp = s_cmp_bytes(v, vl, c->value->ptr, c->value->len);
    switch (c->op) {
    case OP_EQ: return cmp == 0;
    case OP_NE: return cmp != 0;
    case OP_GT: return cmp > 0;
    case OP_LT: return cmp < 0;
    case OP_GE: return cmp >= 0;
    default: return cmp <= 0;
    }
}

static int s_where_true(const s_where_t *w, const vobj_t *h) {
    if (w->ngroups == 0) return 1;
    int start = 0;
    for (int g = 0; g < w->ngroups; g++) {
        int ok = 1;
        for (int i = start; i < w->group_end[g] && ok; i++)
            ok = s_cond_true(&w->conds[i], h);
        if (ok) return 1;
        start = w->group_end[g];
    }
    return 0;
}

/* The keys whose field holds exactly these bytes (NULL when none). */
static dict_t *s_eq_set(field_index_t *fi, const char *v, size_t len) {
    vstr_t *k = vstr_new(v, len);
    dict_entry_t *de = dict_find(fi->eq, k);
    vstr_free(k);
    return de ? de->v.val : NULL;
}

static long long s_set_size(const dict_t *d) { return d ? (long long)dict_size(d) : 0; }

static zsl_range_t s_range(const s_cond_t *c) {
    zsl_range_t r = {-1.0 / 0.0, 1.0 / 0.0, 0, 0};
    switch (c->op) {
    case OP_EQ: r.min = r.max = c->num; break;
    case OP_GT: r.min = c->num, r.minex = 1; break;
    case OP_GE: r.min = c->num; break;
    case OP_LT: r.max = c->num, r.maxex = 1; break;
    default: r.max = c->num; break;
    }
    return r;
}

/* Number of index entries a condition would yield, or -1 when it cannot use an index. */
static long long s_cond_cost(engine_t *e, hsearch_state_t *st, int dbid, const proto_arg_t *qpat,
                             const s_cond_t *c) {
    if (c->op == OP_NE || c->op == OP_CONTAINS || c->op == OP_STARTSWITH) return -1;
    int numeric = 0;
    if (!schema_field_covered(e, qpat, c->field->ptr, c->field->len, &numeric)) return -1;
    field_index_t *fi = s_field(st, dbid, c->field->ptr, c->field->len, 0, 0);
    if (c->op == OP_EQ && !c->num_ok)
        return fi ? s_set_size(s_eq_set(fi, c->value->ptr, c->value->len)) : 0;
    /* numeric comparisons need the ordered index: only for fields declared numeric */
    if (!c->num_ok || !numeric) return -1;
    if (!fi || !fi->num) return 0;
    zsl_range_t r = s_range(c);
    if (zsl_range_empty(&r)) return 0;
    long long n = 0;
    for (zsl_node_t *x = zsl_first_in_range(fi->num, &r); x && zsl_value_lte_max(x->score, &r);
         x = zsl_next(x))
        n += s_set_size(s_eq_set(fi, x->ele.ptr, x->ele.len));
    return n;
}

/* Visits the keys the index holds for a condition (strings owned by the index: valid until
 * the index changes, i.e. for the whole command). */
typedef void s_key_fn(void *ctx, const vstr_t *key);

static void s_visit_set(dict_t *set, s_key_fn *fn, void *ctx) {
    if (!set) return;
    dict_iter_t it;
    dict_entry_t *ke;
    dict_iter_init(&it, set);
    while ((ke = dict_iter_next(&it)))
        fn(ctx, ke->key);
    dict_iter_done(&it);
}

static void s_cond_visit(hsearch_state_t *st, int dbid, const s_cond_t *c, s_key_fn *fn,
                         void *ctx) {
    field_index_t *fi = s_field(st, dbid, c->field->ptr, c->field->len, 0, 0);
    if (!fi) return;
    if (c->op == OP_EQ && !c->num_ok) {
        s_visit_set(s_eq_set(fi, c->value->ptr, c->value->len), fn, ctx);
        return;
    }
    zsl_range_t r = s_range(c);
    for (zsl_node_t *n = zsl_first_in_range(fi->num, &r); n && zsl_value_lte_max(n->score, &r);
         n = zsl_next(n))
        s_visit_set(s_eq_set(fi, n->ele.ptr, n->ele.len), fn, ctx);
}

/* The condition each OR branch takes its candidates from (the cheapest indexed one), or
 * NULL when some branch has none: the query scans. The caller frees the array. */
static int *s_plan(engine_t *e, hsearch_state_t *st, int dbid, const proto_arg_t *qpat,
                   const s_where_t *w) {
    if (w->ngroups == 0) return NULL;
    int *best = malloc(sizeof(int) * (size_t)w->ngroups);
    if (!best) abort();
    int start = 0;
    for (int g = 0; g < w->ngroups; g++) {
        long long bestcost = -1;
        best[g] = -1;
        for (int i = start; i < w->group_end[g]; i++) {
            long long cost = s_cond_cost(e, st, dbid, qpat, &w->conds[i]);
            if (cost >= 0 && (bestcost < 0 || cost < bestcost)) bestcost = cost, best[g] = i;
        }
        start = w->group_end[g];
        if (best[g] < 0) {
            free(best);
            return NULL;
        }
    }
    return best;
}

typedef struct {
    const vstr_t *key;
    const vobj_t *h;
} s_match_t;

typedef struct {
    s_match_t *v;
    size_t n, cap;
} s_matches_t;

static void s_match_add(s_matches_t *m, const vstr_t *k, const vobj_t *h) {
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->v = realloc(m->v, m->cap * sizeof *m->v);
        if (!m->v) abort();
    }
    m->v[m->n++] = (s_match_t){k, h};
}

/* The live hash at a key of db (a due TTL counts as gone; nothing is deleted here). */
static int s_live(engine_t *e, db_t *db, const vstr_t *k) {
    if (dict_size(db->expires) == 0) return 1;
    int64_t when = db_get_expire(db, k->ptr, k->len);
    return when < 0 || e->now_ms <= when;
}

static void s_consider(engine_t *e, db_t *db, const proto_arg_t *pat, const s_where_t *w,
                       dict_entry_t *de, s_matches_t *m) {
    const vstr_t *k = de->key;
    const vobj_t *o = de->v.val;
    if (o->type != OBJ_HASH) return;
    if (pat && !glob_match(pat->ptr, pat->len, k->ptr, k->len, 0)) return;
    if (!s_live(e, db, k) || !s_where_true(w, o)) return;
    s_match_add(m, k, o);
}

typedef struct {
    engine_t *e;
    db_t *db;
    const proto_arg_t *pat;
    const s_where_t *w;
    s_matches_t *m;
} s_scan_t;

/* A candidate from an index: checked against the keyspace and the whole query. */
static void s_consider_key(void *ctx, const vstr_t *k) {
    s_scan_t *sc = ctx;
    dict_entry_t *de = dict_size(sc->db->keys) ? dict_find(sc->db->keys, k) : NULL;
    if (de) s_consider(sc->e, sc->db, sc->pat, sc->w, de, sc->m);
}

/* Several OR branches: their candidates are gathered once each (keys borrowed). */
static const dict_type_t s_borrowed_keys_type = {vstr_dict_hash, vstr_dict_eq, NULL, NULL};
static void s_gather_key(void *ctx, const vstr_t *k) {
    int existed;
    dict_add_or_find(ctx, (void *)k, &existed);
}

static const proto_arg_t *s_sortby;
static int s_sortdesc;

static int s_match_cmp(const void *a, const void *b) {
    const s_match_t *x = a, *y = b;
    int r = 0;
    if (s_sortby) {
        const char *xv, *yv;
        size_t xl, yl;
        int hx = hash_type_get(x->h, s_sortby->ptr, s_sortby->len, &xv, &xl);
        int hy = hash_type_get(y->h, s_sortby->ptr, s_sortby->len, &yv, &yl);
        if (hx != hy) return hx ? -1 : 1; /* missing values last, either direction */
        if (hx) {
            double dx, dy;
            if (s_num(xv, xl, &dx) && s_num(yv, yl, &dy))
                r = (dx > dy) - (dx < dy);
            else
                r = s_cmp_bytes(xv, xl, yv, yl);
            if (s_sortdesc) r = -r;
        }
    }
    return r ? r : s_cmp_bytes(x->key->ptr, x->key->len, y->key->ptr, y->key->len);
}

static void s_reply_hash(client_t *c, const vobj_t *h) {
    reply_map(c, (long long)hash_type_length(h));
    hash_iter_t it;
    hash_field_t hf;
    hash_iter_init(&it, h);
    while (hash_iter_next(&it, &hf)) {
        reply_bulk(c, hf.f, hf.flen);
        reply_bulk(c, hf.v, hf.vlen);
    }
    hash_iter_done(&it);
}

static int s_parse_op(const proto_arg_t *a) {
    for (int i = 0; i < 8; i++)
        if (strlen(s_ops[i]) == a->len && strncasecmp(s_ops[i], a->ptr, a->len) == 0) return i;
    return -1;
}

static void cmd_hsearch(client_t *c) {
    engine_t *e = c->eng;
    const proto_arg_t *pat = &c->argv[1];
    s_where_t w = {0};
    long long offset = 0, count = -1;
    int count_only = 0;
    const proto_arg_t *sortby = NULL;
    int desc = 0;
    int i = 2;
    const char *err = NULL;
    w.conds = malloc(sizeof(s_cond_t) * (size_t)(c->argc / 3 + 1));
    w.group_end = malloc(sizeof(int) * (size_t)(c->argc / 3 + 1));
    if (!w.conds || !w.group_end) abort();
    if (i < c->argc && arg_is(&c->argv[i], "where")) {
        i++;
        for (;;) {
            if (i + 3 > c->argc) {
                err = "syntax error: expected field op value after WHERE/AND/OR";
                break;
            }
            s_cond_t *cd = &w.conds[w.nconds];
            cd->field = &c->argv[i];
            cd->op = s_parse_op(&c->argv[i + 1]);
            cd->value = &c->argv[i + 2];
            if (cd->op < 0) {
                err = "syntax error: operator must be = != > < >= <= CONTAINS or STARTSWITH";
                break;
            }
            cd->num_ok = s_num(cd->value->ptr, cd->value->len, &cd->num);
            w.nconds++;
            i += 3;
            if (i < c->argc && arg_is(&c->argv[i], "and")) {
                i++;
            } else if (i < c->argc && arg_is(&c->argv[i], "or")) {
                w.group_end[w.ngroups++] = w.nconds;
                i++;
            } else {
                w.group_end[w.ngroups++] = w.nconds;
                break;
            }
        }
    }
    while (!err && i < c->argc) {
        const proto_arg_t *a = &c->argv[i];
        if (arg_is(a, "limit") && i + 2 < c->argc) {
            if (arg_range_or_reply(c, &c->argv[i + 1], 0, LLONG_MAX, &offset,
                                   "LIMIT offset must be a non-negative integer") ||
                arg_range_or_reply(c, &c->argv[i + 2], 0, LLONG_MAX, &count,
                                   "LIMIT count must be a non-negative integer"))
                goto done;
            i += 3;
        } else if (arg_is(a, "sortby") && i + 1 < c->argc) {
            sortby = &c->argv[i + 1];
            i += 2;
            if (i < c->argc && (arg_is(&c->argv[i], "asc") || arg_is(&c->argv[i], "desc")))
                desc = arg_is(&c->argv[i++], "desc");
        } else if (arg_is(a, "count")) {
            count_only = 1;
            i++;
        } else {
            err = "syntax error";
        }
    }
    if (err) {
        reply_error(c, err);
        goto done;
    }
    hsearch_state_t *st = s_state(e, 1);
    db_t *db = c->db;
    s_matches_t m = {0};
    const proto_arg_t *match_pat = pat->len == 1 && pat->ptr[0] == '*' ? NULL : pat;
    int *best = st->valid ? s_plan(e, st, db->id, pat, &w) : NULL; /* building: scan */
    s_scan_t sc = {e, db, match_pat, &w, &m};
    if (best && w.ngroups == 1) {
        s_cond_visit(st, db->id, &w.conds[best[0]], s_consider_key, &sc);
    } else if (best) {
        dict_t *cand = dict_new(&s_borrowed_keys_type);
        for (int g = 0; g < w.ngroups; g++)
            s_cond_visit(st, db->id, &w.conds[best[g]], s_gather_key, cand);
        dict_iter_t it;
        dict_entry_t *ce;
        dict_iter_init(&it, cand);
        while ((ce = dict_iter_next(&it)))
            s_consider_key(&sc, ce->key);
        dict_iter_done(&it);
        dict_destroy(&cand);
    } else {
        dict_iter_t it;
        dict_entry_t *de;
        dict_iter_init(&it, db->keys);
        uint64_t seen = 0;
        while ((de = dict_iter_next(&it))) {
            s_consider(e, db, match_pat, &w, de, &m);
            if ((++seen & 0x3fff) == 0) core_heartbeat(e); /* a long scan */
        }
        dict_iter_done(&it);
    }
    free(best);
    if (count_only) {
        reply_int(c, (long long)m.n);
    } else {
        s_sortby = sortby;
        s_sortdesc = desc;
        qsort(m.v, m.n, sizeof *m.v, s_match_cmp);
        s_sortby = NULL;
        size_t from = (unsigned long long)offset < m.n ? (size_t)offset : m.n;
        size_t to =
            count < 0 || (unsigned long long)count > m.n - from ? m.n : from + (size_t)count;
        reply_array(c, (long long)(to - from));
        for (size_t k = from; k < to; k++) {
            reply_array(c, 2);
            reply_bulk(c, m.v[k].key->ptr, m.v[k].key->len);
            s_reply_hash(c, m.v[k].h);
        }
    }
    free(m.v);
done:
    free(w.conds);
    free(w.group_end);
}

// clang-format off
static command_t s_hsearch_commands[] = {
    {.name = "hsearch", .proc = cmd_hsearch, .arity = -2, .flags = "readonly",
     .acl = "hash keyspace", .tips = "nondeterministic_output", .group = "hash",
     .since = "0.1.0",
     .summary = "Finds the hashes whose key matches a pattern and whose fields satisfy "
                "conditions; uses the indexes of schema-declared fields, a scan otherwise.",
     .complexity = "O(C) with an index, C being the candidates it yields; O(N) for a scan, N "
                   "being the number of keys; plus O(M log M) to sort M matches.",
     .args = "pattern:pattern ?block:where(=WHERE string:field string:op string:value "
             "*block:more(oneof:join(=AND =OR) string:field string:op string:value)) "
             "?block:sortby(string:field=SORTBY ?oneof:order(=ASC =DESC)) "
             "?block:limit(integer:offset=LIMIT integer:count) ?=COUNT"},
    {0}};
// clang-format on

__attribute__((constructor)) static void s_reg(void) { command_group_register(s_hsearch_commands); }
