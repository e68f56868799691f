/* Key tags: `TAG key name=value ...`, TAGGET, TAGDEL and `TAGQUERY expr [LIMIT n]` where expr
 * combines name=value terms (name=* matches any value) with AND, OR, NOT and parentheses.
 *
 * Per database (numbered or namespace): `bykey` maps a tagged key to its tags (name ->
 * value), and `inv` maps "name=value" to the set of keys carrying it (sets hold the key
 * string owned by bykey, compared by address). A query evaluates the expression to sets:
 * a term is one lookup in inv, AND intersects (walking the smaller side), OR unites, NOT
 * takes the complement within the tagged keys. Results are sorted by key.
 *
 * Tags belong to the key: they go when it is deleted, expires, is evicted or flushed
 * (core_key_removed / core_db_flushed), RENAME and MOVE carry them (core_key_renamed);
 * overwriting a key's value keeps them. TAG requires the key to exist. TAG and TAGDEL replay
 * as called; tags are saved in the snapshot section "tags". */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "engine/commands.h"
#include "engine/core.h"
#include "engine/snapshot.h"
#include "shared/util.h"

typedef struct tags_db {
    dict_t *bykey; /* vstr key -> dict_t* (vstr name -> vstr value) */
    dict_t *inv;   /* vstr "name=value" -> dict_t* set of key (the bykey's vstr, by address) */
} tags_db_t;

typedef struct tags_state {
    tags_db_t *dbs; /* cfg.databases + ENGINE_NAMESPACES_MAX, created on first use */
    int n;
} tags_state_t;

static uint64_t s_ptr_hash(const void *k) {
    uintptr_t v = (uintptr_t)k;
    return dict_hash_bytes(&v, sizeof v);
}
static int s_ptr_eq(const void *a, const void *b) { return a == b; }
static const dict_type_t s_ptrset_type = {s_ptr_hash, s_ptr_eq, NULL, NULL};
static const dict_type_t s_tagmap_type = {vstr_dict_hash, vstr_dict_eq, vstr_dict_free,
                                          vstr_dict_free};
static void s_map_free(void *p) {
    dict_t *d = p;
    dict_destroy(&d);
}
static const dict_type_t s_bykey_type = {vstr_dict_hash, vstr_dict_eq, vstr_dict_free, s_map_free};
static const dict_type_t s_inv_type = {vstr_dict_hash, vstr_dict_eq, vstr_dict_free, s_map_free};

static tags_db_t *s_db(engine_t *e, int dbid, int create) {
    int created;
    tags_state_t *st = CORE_MODULE(e, tags, create, &created);
    if (!st) return NULL;
    if (created) {
        st->n = e->cfg.databases + ENGINE_NAMESPACES_MAX;
        st->dbs = calloc((size_t)st->n, sizeof *st->dbs);
        if (!st->dbs) abort();
    }
    if (dbid < 0 || dbid >= st->n) return NULL;
    tags_db_t *t = &st->dbs[dbid];
    if (!t->bykey && create) {
        t->bykey = dict_new(&s_bykey_type);
        t->inv = dict_new(&s_inv_type);
    }
    return t->bykey ? t : NULL;
}

static vstr_t *s_pair(const char *n, size_t nl, const char *v, size_t vl) {
    vstr_t *p = vstr_empty(nl + 1 + vl);
    memcpy(p->ptr, n, nl);
    p->ptr[nl] = '=';
    memcpy(p->ptr + nl + 1, v, vl);
    return p;
}

static dict_entry_t *s_find_key(tags_db_t *t, const char *key, size_t len) {
    if (!t || dict_size(t->bykey) == 0) return NULL;
    vstr_t *k = vstr_new(key, len);
    dict_entry_t *de = dict_find(t->bykey, k);
    vstr_free(k);
    return de;
}

static void s_inv_add(tags_db_t *t, const vstr_t *name, const vstr_t *val, vstr_t *owner) {
    vstr_t *p = s_pair(name->ptr, name->len, val->ptr, val->len);
    int existed;
    dict_entry_t *de = dict_add_or_find(t->inv, p, &existed);
    if (existed)
        vstr_free(p);
    else
        de->v.val = dict_new(&s_ptrset_type);
    dict_add(de->v.val, owner, NULL);
}

static void s_inv_del(tags_db_t *t, const vstr_t *name, const vstr_t *val, vstr_t *owner) {
    vstr_t *p = s_pair(name->ptr, name->len, val->ptr, val->len);
    dict_entry_t *de = dict_find(t->inv, p);
    if (de) {
        dict_delete(de->v.val, owner);
        if (dict_size(de->v.val) == 0) dict_delete(t->inv, p);
    }
    vstr_free(p);
}

/* Sets one tag of a key (creating its entry); returns 1 when the name is new. */
static int s_set(tags_db_t *t, const char *key, size_t klen, const char *n, size_t nl,
                 const char *v, size_t vl) {
    int existed;
    vstr_t *k = vstr_new(key, klen);
    dict_entry_t *kde = dict_add_or_find(t->bykey, k, &existed);
    if (existed)
        vstr_free(k);
    else
        kde->v.val = dict_new(&s_tagmap_type);
    vstr_t *owner = kde->key;
    dict_t *map = kde->v.val;
    vstr_t *name = vstr_new(n, nl);
    dict_entry_t *tde = dict_add_or_find(map, name, &existed);
    if (existed) {
        vstr_free(name);
        s_inv_del(t, tde->key, tde->v.val, owner);
        vstr_free(tde->v.val);
    }
    tde->v.val = vstr_new(v, vl);
    s_inv_add(t, tde->key, tde->v.val, owner);
    return !existed;
}

/* Drops every tag of the key entry kde (and the entry). */
static void s_drop_entry(tags_db_t *t, dict_entry_t *kde) {
    dict_iter_t it;
    dict_entry_t *tde;
    dict_iter_init(&it, kde->v.val);
    while ((tde = dict_iter_next(&it)))
        s_inv_del(t, tde->key, tde->v.val, kde->key);
    dict_iter_done(&it);
    dict_delete(t->bykey, kde->key);
}

void tags_removed(engine_t *e, db_t *db, const char *key, size_t len) {
    tags_db_t *t = s_db(e, db->id, 0);
    dict_entry_t *kde = s_find_key(t, key, len);
    if (kde) s_drop_entry(t, kde);
}

void tags_renamed(engine_t *e, db_t *sdb, const char *src, size_t slen, db_t *ddb, const char *dst,
                  size_t dlen) {
    tags_db_t *t = s_db(e, sdb->id, 0);
    dict_entry_t *kde = s_find_key(t, src, slen);
    if (!kde) return;
    tags_db_t *d = s_db(e, ddb->id, 1);
    dict_iter_t it;
    dict_entry_t *tde;
    dict_iter_init(&it, kde->v.val);
    while ((tde = dict_iter_next(&it))) {
        const vstr_t *n = tde->key, *v = tde->v.val;
        s_set(d, dst, dlen, n->ptr, n->len, v->ptr, v->len);
    }
    dict_iter_done(&it);
    s_drop_entry(t, kde);
}

static void s_clear_db(tags_db_t *t) {
    if (!t || !t->bykey) return;
    dict_clear(t->inv);
    dict_clear(t->bykey);
}

void tags_flushed(engine_t *e, int dbid) {
    tags_state_t *st = e->core ? core_of(e)->tags : NULL;
    if (!st) return;
    for (int i = 0; i < st->n; i++)
        if (dbid == -1 || dbid == i) s_clear_db(&st->dbs[i]);
}

void tags_swapped(engine_t *e, int id1, int id2) {
    tags_state_t *st = core_of(e)->tags;
    if (!st) return;
    tags_db_t t = st->dbs[id1];
    st->dbs[id1] = st->dbs[id2];
    st->dbs[id2] = t;
}

void tags_free(engine_t *e) {
    tags_state_t *st = core_of(e)->tags;
    if (!st) return;
    for (int i = 0; i < st->n; i++) {
        if (!st->dbs[i].bykey) continue;
        dict_destroy(&st->dbs[i].inv);
        dict_destroy(&st->dbs[i].bykey);
    }
    free(st->dbs);
    free(st);
    core_of(e)->tags = NULL;
}

/* ===================== TAG TAGGET TAGDEL ===================== */

static void cmd_tag(client_t *c) {
    engine_t *e = c->eng;
    const proto_arg_t *key = &c->argv[1];
    for (int i = 2; i < c->argc; i++) {
        const char *eq = memchr(c->argv[i].ptr, '=', c->argv[i].len);
        if (!eq || eq == c->argv[i].ptr) {
            reply_errorf(c, "invalid tag '%.*s': expected name=value", (int)c->argv[i].len,
                         c->argv[i].ptr);
            return;
        }
    }
    if (!db_lookup_write(e, c->db, key->ptr, key->len)) {
        reply_error(c, ERR_NO_KEY);
        return;
    }
    tags_db_t *t = s_db(e, c->db->id, 1);
    long long added = 0;
    for (int i = 2; i < c->argc; i++) {
        const proto_arg_t *a = &c->argv[i];
        size_t nl = (size_t)((const char *)memchr(a->ptr, '=', a->len) - a->ptr);
        added += s_set(t, key->ptr, key->len, a->ptr, nl, a->ptr + nl + 1, a->len - nl - 1);
    }
    e->stats.dirty += c->argc - 2;
    signal_modified_key(e, c->db, key->ptr, key->len);
    notify_keyspace_event(e, NOTIFY_GENERIC, "tag", key->ptr, key->len, c->db->id);
    reply_int(c, added);
}

static int s_vstr_ptr_cmp(const void *a, const void *b) {
    const vstr_t *x = *(vstr_t *const *)a, *y = *(vstr_t *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->ptr, y->ptr, n);
    return r ? r : (x->len > y->len) - (x->len < y->len);
}

/* The entries of a dict's keys (vstr_t*), sorted; the caller frees the array. */
static vstr_t **s_sorted_keys(dict_t *d, size_t *n) {
    *n = dict_size(d);
    vstr_t **v = malloc((*n ? *n : 1) * sizeof *v);
    if (!v) abort();
    size_t i = 0;
    dict_iter_t it;
    dict_entry_t *de;
    dict_iter_init(&it, d);
    while ((de = dict_iter_next(&it)))
        v[i++] = de->key;
    dict_iter_done(&it);
    qsort(v, *n, sizeof *v, s_vstr_ptr_cmp);
    return v;
}

static void s_heap_down(vstr_t **h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, big = i;
        if (l < n && s_vstr_ptr_cmp(&h[l], &h[big]) > 0) big = l;
        if (l + 1 < n && s_vstr_ptr_cmp(&h[l + 1], &h[big]) > 0) big = l + 1;
        if (big == i) return;
        vstr_t *t = h[i];
        h[i] = h[big];
        h[big] = t;
        i = big;
    }
}

/* The first `limit` keys of set d in order (all when limit < 0), in *n; the caller frees
 * the array. A bounded max-heap keeps a small LIMIT at O(N log LIMIT). */
static vstr_t **s_first_keys(dict_t *d, long long limit, size_t *n) {
    *n = 0;
    if (!d || dict_size(d) == 0) return NULL;
    if (limit < 0 || (uint64_t)limit >= dict_size(d)) return s_sorted_keys(d, n);
    size_t k = (size_t)limit;
    vstr_t **h = malloc((k ? k : 1) * sizeof *h);
    if (!h) abort();
    dict_iter_t it;
    dict_entry_t *de;
    dict_iter_init(&it, d);
    while (k && (de = dict_iter_next(&it))) {
        vstr_t *key = de->key;
        if (*n < k) {
            h[(*n)++] = key;
            if (*n == k)
                for (size_t i = k / 2 + 1; i-- > 0;)
                    s_heap_down(h, k, i);
        } else if (s_vstr_ptr_cmp(&key, &h[0]) < 0) {
            h[0] = key;
            s_heap_down(h, k, 0);
        }
    }
    dict_iter_done(&it);
    qsort(h, *n, sizeof *h, s_vstr_ptr_cmp);
    return h;
}

static void cmd_tagget(client_t *c) {
    engine_t *e = c->eng;
    const proto_arg_t *key = &c->argv[1];
    db_lookup_read(e, c->db, key->ptr, key->len); /* expires it if due (its tags go too) */
    dict_entry_t *kde = s_find_key(s_db(e, c->db->id, 0), key->ptr, key->len);
    if (!kde) {
        reply_map(c, 0);
        return;
    }
    size_t n;
    vstr_t **names = s_sorted_keys(kde->v.val, &n);
    reply_map(c, (long long)n);
    for (size_t i = 0; i < n; i++) {
        const vstr_t *v = dict_find(kde->v.val, names[i])->v.val;
        reply_bulk(c, names[i]->ptr, names[i]->len);
        reply_bulk(c, v->ptr, v->len);
    }
    free(names);
}

static void cmd_tagdel(client_t *c) {
    engine_t *e = c->eng;
    const proto_arg_t *key = &c->argv[1];
    db_lookup_write(e, c->db, key->ptr, key->len);
    tags_db_t *t = s_db(e, c->db->id, 0);
    dict_entry_t *kde = s_find_key(t, key->ptr, key->len);
    long long removed = 0;
    for (int i = 2; kde && i < c->argc; i++) {
        vstr_t *name = vstr_new(c->argv[i].ptr, c->argv[i].len);
        dict_entry_t *tde = dict_find(kde->v.val, name);
        if (tde) {
            s_inv_del(t, tde->key, tde->v.val, kde->key);
            dict_delete(kde->v.val, name);
            removed++;
        }
        vstr_free(name);
        if (dict_size(kde->v.val) == 0) {
            dict_delete(t->bykey, kde->key);
            kde = NULL;
        }
    }
    if (removed) {
        e->stats.dirty += removed;
        signal_modified_key(e, c->db, key->ptr, key->len);
        notify_keyspace_event(e, NOTIFY_GENERIC, "tagdel", key->ptr, key->len, c->db->id);
    }
    reply_int(c, removed);
}

/* ===================== TAGQUERY ===================== */

typedef struct {
    const char *p;
    size_t len;
} s_tok_t;

typedef struct {
    s_tok_t *toks;
    int n, pos;
    tags_db_t *t;
    const char *err;
} s_query_t;

/* Splits the arguments into tokens: spaces separate, parentheses stand alone. */
static int s_tokenize(client_t *c, int from, int to, s_query_t *q) {
    size_t cap = 16;
    q->toks = malloc(cap * sizeof *q->toks);
    if (!q->toks) abort();
    for (int i = from; i < to; i++) {
        const char *p = c->argv[i].ptr, *end = p + c->argv[i].len;
        while (p < end) {
            if (*p == ' ' || *p == '\t') {
                p++;
                continue;
            }
            const char *s = p;
            if (*p == '(' || *p == ')')
                p++;
            else
                while (p < end && *p != ' ' && *p != '\t' && *p != '(' && *p != ')')
                    p++;
            if ((size_t)q->n == cap) {
                cap *= 2;
                q->toks = realloc(q->toks, cap * sizeof *q->toks);
                if (!q->toks) abort();
            }
            q->toks[q->n++] = (s_tok_t){s, (size_t)(p - s)};
        }
    }
    return q->n;
}

static int s_tok_is(const s_tok_t *t, const char *w) {
    size_t n = strlen(w);
    return t->len == n && strncasecmp(t->p, w, n) == 0;
}

/* A set of keys (the bykey strings, by address) while a query is evaluated: a term's set
 * is borrowed from the index (never copied when nothing combines it), the others are owned. */
typedef struct {
    dict_t *d; /* NULL: the empty set */
    int owned;
} s_set_t;

static const s_set_t s_fail = {NULL, -1}; /* a syntax error (q->err says which) */

static int s_failed(s_set_t s) { return s.owned < 0; }
static uint64_t s_size(s_set_t s) { return s.d ? dict_size(s.d) : 0; }
static int s_has(s_set_t s, const void *k) { return s.d && dict_find(s.d, k) != NULL; }
static void s_release(s_set_t *s) {
    if (s->owned > 0 && s->d) dict_destroy(&s->d);
    s->d = NULL;
}
static s_set_t s_owned(void) { return (s_set_t){dict_new(&s_ptrset_type), 1}; }

/* A set s may be added to: owned as it is, or an owned copy of a borrowed one. */
static s_set_t s_writable(s_set_t s) {
    if (s.owned > 0) return s;
    s_set_t w = s_owned();
    dict_iter_t it;
    dict_entry_t *de;
    dict_iter_init(&it, s.d ? s.d : w.d);
    while (s.d && (de = dict_iter_next(&it)))
        dict_add(w.d, de->key, NULL);
    dict_iter_done(&it);
    return w;
}

static s_set_t s_expr(s_query_t *q);

static s_set_t s_term(s_query_t *q) {
    if (q->pos >= q->n) {
        q->err = "syntax error: the expression ends too early";
        return s_fail;
    }
    s_tok_t *tk = &q->toks[q->pos++];
    if (s_tok_is(tk, "not")) {
        s_set_t inner = s_term(q);
        if (s_failed(inner)) return inner;
        s_set_t out = s_owned();
        dict_iter_t it;
        dict_entry_t *de;
        dict_iter_init(&it, q->t->bykey);
        while ((de = dict_iter_next(&it)))
            if (!s_has(inner, de->key)) dict_add(out.d, de->key, NULL);
        dict_iter_done(&it);
        s_release(&inner);
        return out;
    }
    if (tk->len == 1 && tk->p[0] == '(') {
        s_set_t inner = s_expr(q);
        if (s_failed(inner)) return inner;
        if (q->pos >= q->n || !(q->toks[q->pos].len == 1 && q->toks[q->pos].p[0] == ')')) {
            s_release(&inner);
            q->err = "syntax error: missing ')'";
            return s_fail;
        }
        q->pos++;
        return inner;
    }
    const char *eq = memchr(tk->p, '=', tk->len);
    if (!eq || eq == tk->p || s_tok_is(tk, "and") || s_tok_is(tk, "or")) {
        q->err = "syntax error: expected name=value, NOT or '('";
        return s_fail;
    }
    size_t nl = (size_t)(eq - tk->p);
    if (tk->len - nl - 1 == 1 && eq[1] == '*') { /* name=*: any value */
        s_set_t out = s_owned();
        vstr_t *name = vstr_new(tk->p, nl);
        dict_iter_t it;
        dict_entry_t *de;
        dict_iter_init(&it, q->t->bykey);
        while ((de = dict_iter_next(&it)))
            if (dict_find(de->v.val, name)) dict_add(out.d, de->key, NULL);
        dict_iter_done(&it);
        vstr_free(name);
        return out;
    }
    vstr_t *pair = vstr_new(tk->p, tk->len);
    dict_entry_t *de = dict_find(q->t->inv, pair);
    vstr_free(pair);
    return (s_set_t){de ? de->v.val : NULL, 0};
}

static int s_peek_op(s_query_t *q, const char *op) {
    return q->pos < q->n && s_tok_is(&q->toks[q->pos], op);
}

static s_set_t s_and(s_query_t *q) {
    s_set_t acc = s_term(q);
    while (!s_failed(acc) && s_peek_op(q, "and")) {
        q->pos++;
        s_set_t rhs = s_term(q);
        if (s_failed(rhs)) {
            s_release(&acc);
            return rhs;
        }
        s_set_t small = s_size(acc) <= s_size(rhs) ? acc : rhs;
        s_set_t big = small.d == acc.d ? rhs : acc;
        s_set_t out = s_owned();
        dict_iter_t it;
        dict_entry_t *de;
        dict_iter_init(&it, small.d ? small.d : out.d);
        while (small.d && (de = dict_iter_next(&it)))
            if (s_has(big, de->key)) dict_add(out.d, de->key, NULL);
        dict_iter_done(&it);
        s_release(&acc);
        s_release(&rhs);
        acc = out;
    }
    return acc;
}

static s_set_t s_expr(s_query_t *q) {
    s_set_t acc = s_and(q);
    while (!s_failed(acc) && s_peek_op(q, "or")) {
        q->pos++;
        s_set_t rhs = s_and(q);
        if (s_failed(rhs)) {
            s_release(&acc);
            return rhs;
        }
        acc = s_writable(acc);
        if (rhs.d) {
            dict_iter_t it;
            dict_entry_t *de;
            dict_iter_init(&it, rhs.d);
            while ((de = dict_iter_next(&it))) {
                int existed;
                dict_add_or_find(acc.d, de->key, &existed);
            }
            dict_iter_done(&it);
        }
        s_release(&rhs);
    }
    return acc;
}

static void cmd_tagquery(client_t *c) {
    engine_t *e = c->eng;
    int to = c->argc;
    long long limit = -1;
    if (c->argc >= 4 && arg_is(&c->argv[c->argc - 2], "limit")) {
        if (arg_range_or_reply(c, &c->argv[c->argc - 1], 0, LLONG_MAX, &limit,
                               "LIMIT must be a non-negative integer"))
            return;
        to = c->argc - 2;
    }
    s_query_t q = {0};
    tags_db_t *t = s_db(e, c->db->id, 1);
    q.t = t;
    if (s_tokenize(c, 1, to, &q) == 0) {
        free(q.toks);
        reply_error(c, "syntax error: empty tag expression");
        return;
    }
    s_set_t res = s_expr(&q);
    if (!s_failed(res) && q.pos < q.n) {
        q.err = "syntax error: unexpected token after the expression (use AND/OR)";
        s_release(&res);
        res = s_fail;
    }
    free(q.toks);
    if (s_failed(res)) {
        reply_error(c, q.err);
        return;
    }
    size_t n = 0, out;
    vstr_t **keys = s_first_keys(res.d, limit, &n);
    out = n;
    reply_array(c, (long long)out);
    for (size_t i = 0; i < out; i++)
        reply_bulk(c, keys[i]->ptr, keys[i]->len);
    free(keys);
    s_release(&res);
}

/* ===================== snapshot section ===================== */

static void s_save(engine_t *e, snap_writer_t *w) {
    tags_state_t *st = e->core ? core_of(e)->tags : NULL;
    uint64_t n = 0;
    for (int i = 0; st && i < st->n; i++)
        n += st->dbs[i].bykey ? dict_size(st->dbs[i].bykey) : 0;
    snap_put_u64(w, n);
    for (int i = 0; st && i < st->n; i++) {
        if (!st->dbs[i].bykey) continue;
        dict_iter_t it;
        dict_entry_t *kde;
        dict_iter_init(&it, st->dbs[i].bykey);
        while ((kde = dict_iter_next(&it))) {
            const vstr_t *k = kde->key;
            snap_put_u64(w, (uint64_t)i);
            snap_put_bytes(w, k->ptr, k->len);
            snap_put_u64(w, dict_size(kde->v.val));
            dict_iter_t ti;
            dict_entry_t *tde;
            dict_iter_init(&ti, kde->v.val);
            while ((tde = dict_iter_next(&ti))) {
                const vstr_t *tn = tde->key, *tv = tde->v.val;
                snap_put_bytes(w, tn->ptr, tn->len);
                snap_put_bytes(w, tv->ptr, tv->len);
            }
            dict_iter_done(&ti);
        }
        dict_iter_done(&it);
    }
}

static int s_load(engine_t *e, snap_reader_t *r) {
    uint64_t n;
    if (snap_get_count(r, &n) < 0) return -1;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t dbid, ntags;
        const char *p;
        size_t len;
        if (snap_get_u64(r, &dbid) < 0 || snap_get_bytes(r, &p, &len) < 0) return -1;
        tags_db_t *t = dbid < (uint64_t)(e->cfg.databases + ENGINE_NAMESPACES_MAX)
                           ? s_db(e, (int)dbid, 1)
                           : NULL;
        if (!t) return snap_fail(r, "tags: database out of range");
        vstr_t *key = vstr_new(p, len);
        int rc = snap_get_count(r, &ntags);
        for (uint64_t k = 0; rc == 0 && k < ntags; k++) {
            const char *np, *vp;
            size_t nl, vl;
            if (snap_get_bytes(r, &np, &nl) < 0) {
                rc = -1;
                break;
            }
            vstr_t *name = vstr_new(np, nl);
            if (snap_get_bytes(r, &vp, &vl) == 0)
                s_set(t, key->ptr, key->len, name->ptr, name->len, vp, vl);
            else
                rc = -1;
            vstr_free(name);
        }
        vstr_free(key);
        if (rc) return -1;
    }
    return 0;
}

static const snap_section_t s_section = {.name = "tags", .save = s_save, .load = s_load};

// clang-format off
static command_t s_tag_commands[] = {
    {.name = "tag", .proc = cmd_tag, .arity = -3, .flags = "write denyoom", .acl = "keyspace",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "tags", .since = "0.1.0",
     .summary = "Sets name=value tags on an existing key; returns how many names were new.",
     .complexity = "O(N), N being the number of tags given.",
     .args = "key:key@0 *string:name=value"},
    {.name = "tagget", .proc = cmd_tagget, .arity = 2, .flags = "readonly", .acl = "keyspace",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "tags", .since = "0.1.0",
     .summary = "Returns the tags of a key as a map of name to value.",
     .complexity = "O(N log N), N being the number of tags of the key.", .args = "key:key@0"},
    {.name = "tagdel", .proc = cmd_tagdel, .arity = -3, .flags = "write", .acl = "keyspace",
     .keyspecs = "RW delete;index:1;range:0,1,0", .group = "tags", .since = "0.1.0",
     .summary = "Removes tags from a key by name; returns how many were removed.",
     .complexity = "O(N), N being the number of names given.", .args = "key:key@0 *string:name"},
    {.name = "tagquery", .proc = cmd_tagquery, .arity = -2, .flags = "readonly",
     .acl = "keyspace", .group = "tags", .since = "0.1.0",
     .summary = "Returns the keys whose tags match an expression of name=value terms with AND, "
                "OR, NOT and parentheses, sorted.",
     .complexity = "O(N) in the sizes of the sets the expression combines (NOT and name=* "
                   "walk every tagged key).",
     .args = "*string:expression ?integer:limit=LIMIT"},
    {0}};
// clang-format on

__attribute__((constructor)) static void s_reg(void) {
    command_group_register(s_tag_commands);
    snapshot_register_section(&s_section);
}
