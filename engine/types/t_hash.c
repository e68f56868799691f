/* The hash type: its two encodings (listpack = engine/ds/fvpack.h, hashtable =
 * engine/ds/dict.h), the type API of t_hash.h, and the HASH commands with their table rows. */
#include "engine/types/t_hash.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "engine/commands.h"
#include "engine/core.h"
#include "engine/effects.h"
#include "engine/ds/fvpack.h"
#include "engine/snapshot.h"
#include "shared/util.h"

#define LD_CHARS_MAX (5 * 1024)            /* Redis's MAX_LONG_DOUBLE_CHARS */
#define LISTPACK_SAFETY_SIZE (1ULL << 30)  /* Redis's LISTPACK_MAX_SAFETY_SIZE */
#define HRANDFIELD_SUB_STRATEGY_MUL 3      /* Redis's switch between its two sampling ways */
#define REPLY_RUNAWAY_BYTES (512ULL << 20) /* pending output at which a huge reply gives up */

/* ===================== encoding helpers ===================== */

/* Fields and values are vstr_t*; the table owns both. */
static const dict_type_t s_hash_dict_type = {vstr_dict_hash, vstr_dict_eq, vstr_dict_free, vstr_dict_free};

static fvpack_t *s_fvp(const vobj_t *h) { return h->v.p; }
static dict_t *s_ht(const vobj_t *h) { return h->v.p; }

/* Lookups take (ptr, len) while the table compares vstr_t keys: the bytes are copied into one
 * reusable probe (the engine is single-threaded), so a lookup never allocates once the probe
 * has grown to the longest field seen. */
static vstr_t *s_probe;
static size_t s_probe_cap;

static const vstr_t *s_probe_for(const char *p, size_t len) {
    if (!s_probe || s_probe_cap < len) {
        size_t cap = len < 64 ? 64 : len;
        vstr_t *n = realloc(s_probe, sizeof(vstr_t) + cap + 1);
        if (!n) abort();
        s_probe = n;
        s_probe_cap = cap;
    }
    s_probe->len = len;
    if (len) memcpy(s_probe->ptr, p, len);
    s_probe->ptr[len] = '\0';
    return s_probe;
}

static dict_entry_t *s_ht_find(const vobj_t *h, const char *f, size_t flen) {
    dict_t *d = s_ht(h);
    if (dict_size(d) == 0) return NULL;
    return dict_find(d, s_probe_for(f, flen));
}

/* Random numbers for HRANDFIELD: xorshift64*, seeded once per process. */
static void s_from_entry(const dict_entry_t *de, hash_field_t *out) {
    const vstr_t *f = de->key, *v = de->v.val;
    out->f = f->ptr;
    out->flen = f->len;
    out->v = v->ptr;
    out->vlen = v->len;
}

static void s_from_pair(const fvp_pair_t *pr, hash_field_t *out) {
    out->f = pr->f;
    out->flen = pr->flen;
    out->v = pr->v;
    out->vlen = pr->vlen;
}

/* ===================== the hash type API ===================== */

static vobj_t *s_obj(int enc, void *payload) {
    vobj_t *o = malloc(sizeof *o);
    if (!o) abort();
    o->type = OBJ_HASH;
    o->enc = (uint8_t)enc;
    o->lru = 0;
    o->v.p = payload;
    return o;
}

vobj_t *hash_type_create(void) { return s_obj(ENC_LISTPACK, fvp_new(0)); }

vobj_t *hash_type_create_enc(int enc, uint64_t size_hint) {
    if (enc == ENC_LISTPACK) return hash_type_create();
    assert(enc == ENC_HT);
    dict_t *d = dict_new(&s_hash_dict_type);
    if (size_hint) dict_expand(d, size_hint);
    return s_obj(ENC_HT, d);
}

vobj_t *hash_type_dup(const vobj_t *h) {
    if (h->enc == ENC_LISTPACK) return s_obj(ENC_LISTPACK, fvp_dup(s_fvp(h)));
    dict_t *src = s_ht(h);
    vobj_t *o = hash_type_create_enc(ENC_HT, dict_size(src));
    dict_t *d = s_ht(o);
    dict_iter_t it;
    dict_iter_init(&it, src);
    dict_entry_t *de;
    while ((de = dict_iter_next(&it)) != NULL) {
        const vstr_t *f = de->key, *v = de->v.val;
        dict_add(d, vstr_new(f->ptr, f->len), vstr_new(v->ptr, v->len));
    }
    dict_iter_done(&it);
    return o;
}

uint64_t hash_type_length(const vobj_t *h) {
    return h->enc == ENC_LISTPACK ? fvp_count(s_fvp(h)) : dict_size(s_ht(h));
}

/* Exact for a listpack; for a hashtable the fixed parts plus the average entry of a sample,
 * so MEMORY USAGE stays cheap on big hashes. */
size_t hash_type_mem(const vobj_t *h) {
    size_t mem = sizeof(vobj_t);
    if (h->enc == ENC_LISTPACK) return mem + fvp_mem(s_fvp(h));
    enum { SAMPLES = 32 };
    dict_t *d = s_ht(h);
    mem += sizeof(dict_t) + dict_buckets(d) * sizeof(dict_entry_t *);
    uint64_t n = dict_size(d), seen = 0;
    size_t sampled = 0;
    dict_iter_t it;
    dict_iter_init(&it, d);
    dict_entry_t *de;
    while (seen < SAMPLES && (de = dict_iter_next(&it)) != NULL) {
        const vstr_t *f = de->key, *v = de->v.val;
        sampled += sizeof(dict_entry_t) + 2 * (sizeof(vstr_t) + 1) + f->len + v->len;
        seen++;
    }
    dict_iter_done(&it);
    if (seen) mem += (size_t)((double)sampled / (double)seen * (double)n);
    return mem;
}

int hash_type_get(const vobj_t *h, const char *f, size_t flen, const char **v, size_t *vlen) {
    if (h->enc == ENC_LISTPACK) {
        fvpack_t *p = s_fvp(h);
        size_t off = fvp_find(p, f, flen);
        if (off == FVP_NONE) return 0;
        fvp_pair_t pr;
        fvp_get(p, off, &pr);
        *v = pr.v;
        *vlen = pr.vlen;
        return 1;
    }
    dict_entry_t *de = s_ht_find(h, f, flen);
    if (!de) return 0;
    const vstr_t *val = de->v.val;
    *v = val->ptr;
    *vlen = val->len;
    return 1;
}

int hash_type_exists(const vobj_t *h, const char *f, size_t flen) {
    if (h->enc == ENC_LISTPACK) return fvp_find(s_fvp(h), f, flen) != FVP_NONE;
    return s_ht_find(h, f, flen) != NULL;
}

void hash_type_convert(vobj_t *h) {
    if (h->enc != ENC_LISTPACK) return;
    fvpack_t *p = s_fvp(h);
    dict_t *d = dict_new(&s_hash_dict_type);
    dict_expand(d, fvp_count(p));
    fvp_pair_t pr;
    for (size_t off = fvp_first(p); off != FVP_NONE; off = pr.next) {
        fvp_get(p, off, &pr);
        dict_add(d, vstr_new(pr.f, pr.flen), vstr_new(pr.v, pr.vlen));
    }
    fvp_destroy(&p);
    h->v.p = d;
    h->enc = ENC_HT;
}

static int s_too_long(const engine_config_t *cfg, size_t len) {
    return cfg->hash_max_listpack_value < 0 ||
           (unsigned long long)len > (unsigned long long)cfg->hash_max_listpack_value;
}

void hash_type_try_conversion(const engine_config_t *cfg, vobj_t *h, const proto_arg_t *args,
                              int n) {
    if (h->enc != ENC_LISTPACK) return;
    unsigned long long sum = 0;
    for (int i = 0; i < n; i++) {
        if (s_too_long(cfg, args[i].len)) {
            hash_type_convert(h);
            return;
        }
        sum += args[i].len;
    }
    if (s_fvp(h)->len + sum > LISTPACK_SAFETY_SIZE) hash_type_convert(h);
}

int hash_type_set(const engine_config_t *cfg, vobj_t *h, const char *f, size_t flen, const char *v,
                  size_t vlen) {
    /* HINCRBY* reach here without hash_type_try_conversion(): check their strings too */
    if (h->enc == ENC_LISTPACK && (s_too_long(cfg, flen) || s_too_long(cfg, vlen)))
        hash_type_convert(h);
    if (h->enc == ENC_LISTPACK) {
        fvpack_t *p = s_fvp(h);
        size_t off = fvp_find(p, f, flen);
        int added = off == FVP_NONE;
        p = added ? fvp_append(p, f, flen, v, vlen) : fvp_set_value(p, off, v, vlen);
        h->v.p = p;
        if ((long long)fvp_count(p) > cfg->hash_max_listpack_entries) hash_type_convert(h);
        return added;
    }
    dict_t *d = s_ht(h);
    int existed;
    dict_entry_t *de = dict_add_or_find(d, (void *)s_probe_for(f, flen), &existed);
    if (existed) {
        vstr_t *old = de->v.val;
        if (old->len == vlen) {
            if (vlen) memcpy(old->ptr, v, vlen); /* same size: no allocation */
        } else {
            de->v.val = vstr_new(v, vlen);
            vstr_free(old);
        }
        return 0;
    }
    de->key = vstr_new(f, flen);
    de->v.val = vstr_new(v, vlen);
    return 1;
}

int hash_type_delete(vobj_t *h, const char *f, size_t flen) {
    if (h->enc == ENC_LISTPACK) {
        fvpack_t *p = s_fvp(h);
        size_t off = fvp_find(p, f, flen);
        if (off == FVP_NONE) return 0;
        h->v.p = fvp_delete(p, off);
        return 1;
    }
    dict_t *d = s_ht(h);
    if (dict_size(d) == 0 || dict_delete(d, s_probe_for(f, flen)) != 0) return 0;
    dict_maybe_shrink(d); /* as Redis resizes a hash table left mostly empty */
    return 1;
}

void hash_iter_init(hash_iter_t *it, const vobj_t *h) {
    it->h = (vobj_t *)h;
    it->de = NULL;
    it->deleted = 0;
    if (h->enc == ENC_LISTPACK) {
        it->off = fvp_first(s_fvp(h));
        it->cur = FVP_NONE;
    } else {
        dict_iter_init(&it->di, s_ht(h));
    }
}

int hash_iter_next(hash_iter_t *it, hash_field_t *out) {
    if (it->h->enc == ENC_LISTPACK) {
        if (it->off == FVP_NONE) return 0;
        fvp_pair_t pr;
        fvp_get(s_fvp(it->h), it->off, &pr);
        s_from_pair(&pr, out);
        it->cur = it->off;
        it->off = pr.next;
        return 1;
    }
    it->de = dict_iter_next(&it->di);
    if (!it->de) return 0;
    s_from_entry(it->de, out);
    return 1;
}

void hash_iter_delete(hash_iter_t *it) {
    if (it->h->enc == ENC_LISTPACK) {
        assert(it->cur != FVP_NONE);
        fvpack_t *p = fvp_delete(s_fvp(it->h), it->cur);
        it->h->v.p = p;
        /* the following pair slid down to where the deleted one was */
        it->off = it->cur < p->len ? it->cur : FVP_NONE;
        it->cur = FVP_NONE;
        return;
    }
    assert(it->de);
    dict_delete(s_ht(it->h), it->de->key);
    it->de = NULL;
    it->deleted = 1;
}

void hash_iter_done(hash_iter_t *it) {
    if (it->h->enc == ENC_HT) {
        dict_iter_done(&it->di);
        /* the iterator kept the table from resizing while fields were deleted */
        if (it->deleted) dict_maybe_shrink(s_ht(it->h));
    }
}

void hash_type_random(const vobj_t *h, hash_field_t *out) {
    if (h->enc == ENC_LISTPACK) {
        fvpack_t *p = s_fvp(h);
        fvp_pair_t pr;
        fvp_get(p, fvp_index(p, (uint32_t)rand_below(fvp_count(p))), &pr);
        s_from_pair(&pr, out);
        return;
    }
    s_from_entry(dict_random_fair(s_ht(h)), out);
}

typedef struct {
    hash_field_fn *fn;
    void *priv;
    unsigned long long strings;
} s_scan_ctx_t;

static void s_scan_entry(void *priv, dict_entry_t *de) {
    s_scan_ctx_t *ctx = priv;
    hash_field_t hf;
    s_from_entry(de, &hf);
    ctx->fn(ctx->priv, &hf);
    ctx->strings += 2;
}

uint64_t hash_type_scan(const vobj_t *h, uint64_t cursor, long long count, hash_field_fn *fn,
                        void *priv) {
    if (h->enc == ENC_LISTPACK) {
        fvpack_t *p = s_fvp(h);
        fvp_pair_t pr;
        for (size_t off = fvp_first(p); off != FVP_NONE; off = pr.next) {
            fvp_get(p, off, &pr);
            hash_field_t hf;
            s_from_pair(&pr, &hf);
            fn(priv, &hf);
        }
        return 0;
    }
    /* Redis counts fields and values alike against COUNT, and bounds the empty buckets
     * visited to ten times COUNT. */
    s_scan_ctx_t ctx = {fn, priv, 0};
    long long maxiter = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
    do {
        cursor = dict_scan(s_ht(h), cursor, s_scan_entry, &ctx);
    } while (cursor && maxiter-- && ctx.strings < (unsigned long long)count);
    return cursor;
}

/* ---------- registration ---------- */

static void s_free_payload(vobj_t *o) {
    if (o->enc == ENC_HT) {
        dict_t *d = o->v.p;
        dict_destroy(&d);
    } else {
        fvpack_t *fp = o->v.p;
        fvp_destroy(&fp);
    }
}

/* Snapshot payload: the count, then each field and its value (a listpack's in order). */
static void s_hash_save(const vobj_t *h, snap_writer_t *w) {
    snap_put_u64(w, hash_type_length(h));
    hash_iter_t it;
    hash_field_t hf;
    hash_iter_init(&it, h);
    while (hash_iter_next(&it, &hf)) {
        snap_put_bytes(w, hf.f, hf.flen);
        snap_put_bytes(w, hf.v, hf.vlen);
    }
    hash_iter_done(&it);
}

/* The encoding follows the settings: a hashtable when there are more fields than
 * hash-max-listpack-entries, else a listpack that converts as a long string arrives. */
static vobj_t *s_hash_load(engine_t *e, snap_reader_t *r) {
    uint64_t n;
    if (snap_get_size(r, &n, "hash") < 0) return NULL;
    int big = n > (uint64_t)e->cfg.hash_max_listpack_entries;
    vobj_t *h = hash_type_create_enc(big ? ENC_HT : ENC_LISTPACK, big ? snap_presize(r, n) : 0);
    /* the field is copied out (reading the value may move the reader's buffer): into the
     * table's own key for a hashtable, into one scratch buffer for a listpack */
    buf_t scratch;
    buf_init(&scratch);
    vstr_t *field = NULL;
    for (uint64_t i = 0; i < n; i++) {
        const char *p, *f;
        size_t len, flen;
        if (snap_get_bytes(r, &p, &len) < 0) goto bad;
        if (h->enc == ENC_HT) {
            field = vstr_new(p, len);
        } else {
            scratch.len = 0;
            buf_append(&scratch, p, len);
        }
        flen = len;
        if (snap_get_bytes(r, &p, &len) < 0) goto bad;
        int added;
        if (field) {
            dict_entry_t *de = dict_add(s_ht(h), field, NULL);
            added = de != NULL;
            if (de) {
                de->v.val = vstr_new(p, len);
                field = NULL;
            }
        } else {
            f = scratch.data ? scratch.data : "";
            added = hash_type_set(&e->cfg, h, f, flen, p, len);
        }
        if (!added) {
            snap_fail(r, "duplicate hash field");
            goto bad;
        }
    }
    buf_free(&scratch);
    return h;
bad:
    buf_free(&scratch);
    vstr_free(field);
    obj_free(h);
    return NULL;
}

static const obj_type_t s_hash_type = {"hash",        s_free_payload, hash_type_dup,
                                       hash_type_mem, s_hash_save,    s_hash_load};

__attribute__((constructor)) static void s_register_hash(void) {
    obj_register_type(OBJ_HASH, &s_hash_type);
}

/* ===================== command helpers ===================== */

/* Redis compares option words as C strings, so an argument is only read up to its first
 * NUL byte. */
static int s_opt(const proto_arg_t *a, const char *lit) {
    size_t n = strnlen(a->ptr, a->len);
    size_t m = strlen(lit);
    return n == m && strncasecmp(a->ptr, lit, m) == 0;
}

static void s_written(client_t *c, const proto_arg_t *key, const char *event, long long dirty) {
    signal_modified_key(c->eng, c->db, key->ptr, key->len);
    notify_keyspace_event(c->eng, NOTIFY_HASH, event, key->ptr, key->len, c->db->id);
    c->eng->stats.dirty += dirty;
}

/* The hash at key for a write of the n strings of fv (field/value pairs), created (and added
 * to the keyspace) when missing; NULL after replying WRONGTYPE or a schema violation. */
static vobj_t *s_lookup_write_or_create(client_t *c, const proto_arg_t *key,
                                        const proto_arg_t *fv, int n) {
    int wrongtype;
    vobj_t *o = lookup_write_or_reply_type(c, key, OBJ_HASH, &wrongtype);
    if (wrongtype) return NULL;
    /* schemas and HSEARCH indexes (engine/core.h): nothing is written on a violation */
    if (core_hash_write(c, key, o, fv, n) < 0) return NULL;
    if (!o) {
        o = hash_type_create();
        db_add(c->eng, c->db, key->ptr, key->len, o);
    }
    return o;
}

static void s_reply_field(client_t *c, const hash_field_t *hf, int what) {
    if (what & 1) reply_bulk(c, hf->f, hf->flen);
    if (what & 2) reply_bulk(c, hf->v, hf->vlen);
}

/* ===================== HSET HSETNX HMSET HGET HMGET ===================== */

static void s_hset_generic(client_t *c, int is_hmset) {
    if (c->argc % 2 == 1) {
        reply_errorf(c, "wrong number of arguments for '%s' command", c->cmd->fullname);
        return;
    }
    const proto_arg_t *key = &c->argv[1];
    vobj_t *o = s_lookup_write_or_create(c, key, &c->argv[2], c->argc - 2);
    if (!o) return;
    const engine_config_t *cfg = &c->eng->cfg;
    hash_type_try_conversion(cfg, o, &c->argv[2], c->argc - 2);
    long long created = 0;
    for (int i = 2; i < c->argc; i += 2)
        created += hash_type_set(cfg, o, c->argv[i].ptr, c->argv[i].len, c->argv[i + 1].ptr,
                                 c->argv[i + 1].len);
    s_written(c, key, "hset", (c->argc - 2) / 2);
    if (is_hmset)
        reply_ok(c);
    else
        reply_int(c, created);
}

static void cmd_hset(client_t *c) { s_hset_generic(c, 0); }
static void cmd_hmset(client_t *c) { s_hset_generic(c, 1); }

static void cmd_hsetnx(client_t *c) {
    const proto_arg_t *key = &c->argv[1], *f = &c->argv[2], *v = &c->argv[3];
    int wrongtype;
    vobj_t *o = lookup_write_or_reply_type(c, key, OBJ_HASH, &wrongtype);
    if (wrongtype) return;
    if (o && hash_type_exists(o, f->ptr, f->len)) {
        reply_int(c, 0);
        return;
    }
    o = s_lookup_write_or_create(c, key, f, 2);
    if (!o) return;
    const engine_config_t *cfg = &c->eng->cfg;
    hash_type_try_conversion(cfg, o, f, 2);
    hash_type_set(cfg, o, f->ptr, f->len, v->ptr, v->len);
    s_written(c, key, "hset", 1);
    reply_int(c, 1);
}

static void cmd_hget(client_t *c) {
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_HASH, &wrongtype);
    if (wrongtype) return;
    const char *v;
    size_t vlen;
    if (o && hash_type_get(o, c->argv[2].ptr, c->argv[2].len, &v, &vlen))
        reply_bulk(c, v, vlen);
    else
        reply_null(c);
}

static void cmd_hmget(client_t *c) {
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_HASH, &wrongtype);
    if (wrongtype) return;
    reply_array(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        const char *v;
        size_t vlen;
        if (o && hash_type_get(o, c->argv[i].ptr, c->argv[i].len, &v, &vlen))
            reply_bulk(c, v, vlen);
        else
            reply_null(c);
    }
}

/* ===================== HDEL HLEN HSTRLEN HEXISTS ===================== */

static void cmd_hdel(client_t *c) {
    const proto_arg_t *key = &c->argv[1];
    int wrongtype;
    vobj_t *o = lookup_write_or_reply_type(c, key, OBJ_HASH, &wrongtype);
    if (wrongtype) return;
    if (!o) {
        reply_int(c, 0);
        return;
    }
    long long deleted = 0;
    int removed = 0;
    core_hash_del(c, key, o, &c->argv[2], c->argc - 2); /* HSEARCH, while the values exist */
    for (int i = 2; i < c->argc; i++) {
        if (!hash_type_delete(o, c->argv[i].ptr, c->argv[i].len)) continue;
        deleted++;
        if (hash_type_length(o) == 0) {
            db_delete(c->eng, c->db, key->ptr, key->len);
            removed = 1;
            break;
        }
    }
    if (deleted) {
        s_written(c, key, "hdel", deleted);
        if (removed)
            notify_keyspace_event(c->eng, NOTIFY_GENERIC, "del", key->ptr, key->len, c->db->id);
    }
    reply_int(c, deleted);
}

static void cmd_hlen(client_t *c) {
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_HASH, &wrongtype);
    if (wrongtype) return;
    reply_int(c, o ? (long long)hash_type_length(o) : 0);
}

static void cmd_hstrlen(client_t *c) {
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_HASH, &wrongtype);
    if (wrongtype) return;
    const char *v;
    size_t vlen = 0;
    if (!o || !hash_type_get(o, c->argv[2].ptr, c->argv[2].len, &v, &vlen)) vlen = 0;
    reply_int(c, (long long)vlen);
}

static void cmd_hexists(client_t *c) {
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_HASH, &wrongtype);
    if (wrongtype) return;
    reply_int(c, o && hash_type_exists(o, c->argv[2].ptr, c->argv[2].len));
}

/* ===================== HINCRBY HINCRBYFLOAT ===================== */

static void cmd_hincrby(client_t *c) {
    const proto_arg_t *key = &c->argv[1], *f = &c->argv[2];
    long long incr, value = 0;
    if (arg_ll_or_reply(c, &c->argv[3], &incr, NULL)) return;
    int wrongtype;
    vobj_t *o = lookup_write_or_reply_type(c, key, OBJ_HASH, &wrongtype);
    if (wrongtype) return;
    const char *v;
    size_t vlen;
    if (o && hash_type_get(o, f->ptr, f->len, &v, &vlen) && !str_to_ll(v, vlen, &value)) {
        reply_error(c, "hash value is not an integer");
        return;
    }
    if ((incr < 0 && value < 0 && incr < LLONG_MIN - value) ||
        (incr > 0 && value > 0 && incr > LLONG_MAX - value)) {
        reply_error(c, ERR_OVERFLOW);
        return;
    }
    value += incr;
    char buf[24];
    int n = ll_to_str(buf, value);
    proto_arg_t fv[2] = {*f, {buf, (size_t)n}};
    if (!(o = s_lookup_write_or_create(c, key, fv, 2))) return;
    hash_type_set(&c->eng->cfg, o, f->ptr, f->len, buf, (size_t)n);
    reply_int(c, value);
    s_written(c, key, "hincrby", 1);
}

static void cmd_hincrbyfloat(client_t *c) {
    const proto_arg_t *key = &c->argv[1], *f = &c->argv[2];
    long double incr, value = 0;
    if (arg_ld_or_reply(c, &c->argv[3], &incr, NULL)) return;
    if (isnan(incr) || isinf(incr)) {
        reply_error(c, "value is NaN or Infinity");
        return;
    }
    int wrongtype;
    vobj_t *o = lookup_write_or_reply_type(c, key, OBJ_HASH, &wrongtype);
    if (wrongtype) return;
    const char *v;
    size_t vlen;
    if (o && hash_type_get(o, f->ptr, f->len, &v, &vlen) && !str_to_ld(v, vlen, &value)) {
        reply_error(c, "hash value is not a float");
        return;
    }
    value += incr;
    if (isnan(value) || isinf(value)) {
        reply_error(c, "increment would produce NaN or Infinity");
        return;
    }
    char buf[LD_CHARS_MAX];
    int n = ld_to_str_human(buf, sizeof buf, value);
    if (n < 0) n = 0;
    proto_arg_t fv[2] = {*f, {buf, (size_t)n}};
    if (!(o = s_lookup_write_or_create(c, key, fv, 2))) return;
    hash_type_set(&c->eng->cfg, o, f->ptr, f->len, buf, (size_t)n);
    reply_bulk(c, buf, (size_t)n);
    s_written(c, key, "hincrbyfloat", 1);
    proto_arg_t fx[4] = {EFF_LIT("HSET"), *key, *f, EFF_ARG(buf, n)}; /* the result, as Redis */
    effect_add(c, 4, fx);
}

/* ===================== HGETALL HKEYS HVALS ===================== */

enum { H_FIELDS = 1, H_VALUES = 2 };

static void s_getall_generic(client_t *c, int what) {
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_HASH, &wrongtype);
    if (wrongtype) return;
    long long n = o ? (long long)hash_type_length(o) : 0;
    if (what == (H_FIELDS | H_VALUES))
        reply_map(c, n);
    else
        reply_array(c, n);
    if (!o) return;
    hash_iter_t it;
    hash_field_t hf;
    hash_iter_init(&it, o);
    while (hash_iter_next(&it, &hf))
        s_reply_field(c, &hf, what);
    hash_iter_done(&it);
}

static void cmd_hgetall(client_t *c) { s_getall_generic(c, H_FIELDS | H_VALUES); }
static void cmd_hkeys(client_t *c) { s_getall_generic(c, H_FIELDS); }
static void cmd_hvals(client_t *c) { s_getall_generic(c, H_VALUES); }

/* ===================== HRANDFIELD ===================== */

/* Huge negative counts would make Redis build its reply until the output limit closes the
 * connection; do the same instead of exhausting memory. Returns 1 when the reply gave up. */
static int s_reply_runaway(client_t *c) {
    if (!c->fe || c->fe->out.len < REPLY_RUNAWAY_BYTES) return 0;
    reply_mark_close(c);
    return 1;
}

/* One field of HRANDFIELD's reply: RESP3 nests each field/value pair in an array. */
static void s_reply_rand(client_t *c, const hash_field_t *hf, int withvalues) {
    if (withvalues && c->resp > 2) reply_array(c, 2);
    s_reply_field(c, hf, withvalues ? H_FIELDS | H_VALUES : H_FIELDS);
}

static uint64_t s_ptr_hash(const void *k) {
    uintptr_t v = (uintptr_t)k;
    return dict_hash_bytes(&v, sizeof v);
}
static int s_ptr_eq(const void *a, const void *b) { return a == b; }
static const dict_type_t s_ptr_set_type = {s_ptr_hash, s_ptr_eq, NULL, NULL};

/* count distinct random fields, count < size. */
static void s_rand_unique(client_t *c, vobj_t *o, uint64_t count, int withvalues) {
    uint64_t size = hash_type_length(o);
    hash_field_t hf;
    if (o->enc == ENC_LISTPACK) {
        /* Selection sampling: each pair is taken with probability needed/remaining, so the
         * picks come out in the pack's order, as Redis's listpack sampling does. */
        fvpack_t *p = s_fvp(o);
        fvp_pair_t pr;
        uint64_t left = size, need = count;
        for (size_t off = fvp_first(p); off != FVP_NONE && need; off = pr.next, left--) {
            fvp_get(p, off, &pr);
            if (rand_below(left) >= need) continue;
            s_from_pair(&pr, &hf);
            s_reply_rand(c, &hf, withvalues);
            need--;
        }
        return;
    }
    dict_t *d = s_ht(o);
    if (count * HRANDFIELD_SUB_STRATEGY_MUL > size) {
        /* Most of the hash: a partial shuffle of every entry. */
        dict_entry_t **all = malloc(size * sizeof *all);
        if (!all) abort();
        uint64_t n = 0;
        dict_iter_t it;
        dict_iter_init(&it, d);
        dict_entry_t *de;
        while ((de = dict_iter_next(&it)) != NULL)
            all[n++] = de;
        dict_iter_done(&it);
        for (uint64_t i = 0; i < count; i++) {
            uint64_t j = i + rand_below(n - i);
            dict_entry_t *t = all[i];
            all[i] = all[j];
            all[j] = t;
            s_from_entry(all[i], &hf);
            s_reply_rand(c, &hf, withvalues);
        }
        free(all);
        return;
    }
    /* A small part of a big hash: random picks, skipping repeats. */
    dict_t *seen = dict_new(&s_ptr_set_type);
    dict_expand(seen, count);
    uint64_t added = 0;
    while (added < count) {
        dict_entry_t *de = dict_random_fair(d);
        if (!dict_add(seen, de, NULL)) continue;
        added++;
        s_from_entry(de, &hf);
        s_reply_rand(c, &hf, withvalues);
    }
    dict_destroy(&seen);
}

static void s_hrandfield_count(client_t *c, long long l, int withvalues) {
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_HASH, &wrongtype);
    if (wrongtype) return;
    if (!o || l == 0) {
        reply_array(c, 0);
        return;
    }
    uint64_t size = hash_type_length(o);
    int uniq = l > 0;
    uint64_t count = uniq ? (uint64_t)l : (uint64_t)-l;
    hash_field_t hf;

    /* Repeats allowed (and a single field): independent draws, in random order. */
    if (!uniq || count == 1) {
        reply_array(c, (long long)(withvalues && c->resp == 2 ? count * 2 : count));
        if (o->enc == ENC_LISTPACK) {
            /* index the pairs once rather than walking the pack for every draw */
            fvpack_t *p = s_fvp(o);
            size_t *offs = malloc(size * sizeof *offs);
            if (!offs) abort();
            fvp_pair_t pr;
            uint64_t n = 0;
            for (size_t off = fvp_first(p); off != FVP_NONE; off = pr.next) {
                fvp_get(p, off, &pr);
                offs[n++] = off;
            }
            while (count--) {
                fvp_get(p, offs[rand_below(n)], &pr);
                s_from_pair(&pr, &hf);
                s_reply_rand(c, &hf, withvalues);
                if ((count & 1023) == 0 && s_reply_runaway(c)) break;
            }
            free(offs);
        } else {
            while (count--) {
                s_from_entry(dict_random_fair(s_ht(o)), &hf);
                s_reply_rand(c, &hf, withvalues);
                if ((count & 1023) == 0 && s_reply_runaway(c)) break;
            }
        }
        return;
    }

    uint64_t n = count < size ? count : size;
    reply_array(c, (long long)(withvalues && c->resp == 2 ? n * 2 : n));
    if (count >= size) {
        hash_iter_t it;
        hash_iter_init(&it, o);
        while (hash_iter_next(&it, &hf))
            s_reply_rand(c, &hf, withvalues);
        hash_iter_done(&it);
        return;
    }
    s_rand_unique(c, o, count, withvalues);
}

static void cmd_hrandfield(client_t *c) {
    if (c->argc >= 3) {
        long long l;
        if (arg_range_or_reply(c, &c->argv[2], -LLONG_MAX, LLONG_MAX, &l, NULL)) return;
        int withvalues = 0;
        if (c->argc > 4 || (c->argc == 4 && !s_opt(&c->argv[3], "withvalues"))) {
            reply_error(c, ERR_SYNTAX);
            return;
        }
        if (c->argc == 4) {
            withvalues = 1;
            /* the flat RESP2 reply holds twice as many elements */
            if (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2) {
                reply_error(c, "value is out of range");
                return;
            }
        }
        s_hrandfield_count(c, l, withvalues);
        return;
    }
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_HASH, &wrongtype);
    if (wrongtype) return;
    if (!o) {
        reply_null(c);
        return;
    }
    hash_field_t hf;
    hash_type_random(o, &hf);
    reply_bulk(c, hf.f, hf.flen);
}

/* ===================== HSCAN ===================== */

typedef struct {
    hash_field_t *items;
    size_t n, cap;
    const proto_arg_t *pat; /* NULL: no filtering */
} s_scan_list_t;

/* Fields whose pattern does not match are dropped with their values (the hash does not
 * change before the reply, so keeping pointers into it is safe). */
static void s_scan_collect(void *priv, const hash_field_t *hf) {
    s_scan_list_t *l = priv;
    if (l->pat && !glob_match(l->pat->ptr, l->pat->len, hf->f, hf->flen, 0)) return;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = realloc(l->items, l->cap * sizeof *l->items);
        if (!l->items) abort();
    }
    l->items[l->n++] = *hf;
}

static void cmd_hscan(client_t *c) {
    uint64_t cursor;
    if (arg_cursor_or_reply(c, &c->argv[2], &cursor)) return;
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_HASH, &wrongtype);
    if (wrongtype) return;
    if (!o) {
        reply_array(c, 2);
        reply_bulk(c, "0", 1);
        reply_array(c, 0);
        return;
    }
    long long count = 10;
    const proto_arg_t *pat;
    if (scan_opts_or_reply(c, 3, &count, &pat, NULL)) return;
    s_scan_list_t l = {NULL, 0, 0, NULL};
    l.pat = pat;
    cursor = hash_type_scan(o, cursor, count, s_scan_collect, &l);
    reply_array(c, 2);
    reply_bulk_ll(c, (long long)cursor);
    reply_array(c, (long long)l.n * 2);
    for (size_t i = 0; i < l.n; i++)
        s_reply_field(c, &l.items[i], H_FIELDS | H_VALUES);
    free(l.items);
}

/* ===================== the command table ===================== */

// clang-format off
command_t hash_commands[] = {
    {.name = "hset", .proc = cmd_hset, .arity = -4, .flags = "write denyoom fast", .acl = "hash",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "hash", .since = "2.0.0",
     .summary = "Sets fields of a hash to values, creating the hash when needed.",
     .complexity = "O(1) for each field/value pair, so O(N) for N pairs.",
     .history = "4.0.0 Takes several field/value pairs.",
     .args = "key:key@0 *block:field_value(string:field string:value)"},
    {.name = "hsetnx", .proc = cmd_hsetnx, .arity = 4, .flags = "write denyoom fast",
     .acl = "hash", .keyspecs = "RW insert;index:1;range:0,1,0", .group = "hash",
     .since = "2.0.0", .summary = "Sets a field of a hash only when the field is absent.",
     .complexity = "O(1)", .args = "key:key@0 string:field string:value"},
    {.name = "hget", .proc = cmd_hget, .arity = 3, .flags = "readonly fast", .acl = "hash",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "hash", .since = "2.0.0",
     .summary = "Returns the value of one field of a hash.", .complexity = "O(1)",
     .args = "key:key@0 string:field"},
    {.name = "hmget", .proc = cmd_hmget, .arity = -3, .flags = "readonly fast", .acl = "hash",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "hash", .since = "2.0.0",
     .summary = "Returns the values of several fields of a hash.",
     .complexity = "O(N), N being the number of fields asked for.",
     .args = "key:key@0 *string:field"},
    {.name = "hmset", .proc = cmd_hmset, .arity = -4, .flags = "write denyoom fast",
     .acl = "hash", .keyspecs = "RW update;index:1;range:0,1,0", .group = "hash",
     .since = "2.0.0", .summary = "Sets several fields of a hash to values.",
     .complexity = "O(N), N being the number of fields set.", .doc_flags = "deprecated",
     .deprecated_since = "4.0.0", .replaced_by = "`HSET` with multiple field-value pairs",
     .args = "key:key@0 *block:field_value(string:field string:value)"},
    {.name = "hgetall", .proc = cmd_hgetall, .arity = 2, .flags = "readonly", .acl = "hash",
     .keyspecs = "RO access;index:1;range:0,1,0", .tips = "nondeterministic_output_order",
     .group = "hash", .since = "2.0.0", .summary = "Returns every field of a hash with its value.",
     .complexity = "O(N), N being the size of the hash.", .args = "key:key@0"},
    {.name = "hdel", .proc = cmd_hdel, .arity = -3, .flags = "write fast", .acl = "hash",
     .keyspecs = "RW delete;index:1;range:0,1,0", .group = "hash", .since = "2.0.0",
     .summary = "Removes fields from a hash, and the hash when it empties.",
     .complexity = "O(N), N being the number of fields removed.",
     .history = "2.4.0 Takes several fields.", .args = "key:key@0 *string:field"},
    {.name = "hexists", .proc = cmd_hexists, .arity = 3, .flags = "readonly fast", .acl = "hash",
     .keyspecs = "RO;index:1;range:0,1,0", .group = "hash", .since = "2.0.0",
     .summary = "Tells whether a hash has a field.", .complexity = "O(1)",
     .args = "key:key@0 string:field"},
    {.name = "hkeys", .proc = cmd_hkeys, .arity = 2, .flags = "readonly", .acl = "hash",
     .keyspecs = "RO access;index:1;range:0,1,0", .tips = "nondeterministic_output_order",
     .group = "hash", .since = "2.0.0", .summary = "Returns every field name of a hash.",
     .complexity = "O(N), N being the size of the hash.", .args = "key:key@0"},
    {.name = "hvals", .proc = cmd_hvals, .arity = 2, .flags = "readonly", .acl = "hash",
     .keyspecs = "RO access;index:1;range:0,1,0", .tips = "nondeterministic_output_order",
     .group = "hash", .since = "2.0.0", .summary = "Returns every value of a hash.",
     .complexity = "O(N), N being the size of the hash.", .args = "key:key@0"},
    {.name = "hlen", .proc = cmd_hlen, .arity = 2, .flags = "readonly fast", .acl = "hash",
     .keyspecs = "RO;index:1;range:0,1,0", .group = "hash", .since = "2.0.0",
     .summary = "Returns the number of fields of a hash.", .complexity = "O(1)",
     .args = "key:key@0"},
    {.name = "hstrlen", .proc = cmd_hstrlen, .arity = 3, .flags = "readonly fast", .acl = "hash",
     .keyspecs = "RO;index:1;range:0,1,0", .group = "hash", .since = "3.2.0",
     .summary = "Returns the length in bytes of the value of a hash field.", .complexity = "O(1)",
     .args = "key:key@0 string:field"},
    {.name = "hincrby", .proc = cmd_hincrby, .arity = 4, .flags = "write denyoom fast",
     .acl = "hash", .keyspecs = "RW access update;index:1;range:0,1,0", .group = "hash",
     .since = "2.0.0", .summary = "Adds an integer to the integer value of a hash field.",
     .complexity = "O(1)", .args = "key:key@0 string:field integer:increment"},
    {.name = "hincrbyfloat", .proc = cmd_hincrbyfloat, .arity = 4, .flags = "write denyoom fast",
     .acl = "hash", .keyspecs = "RW access update;index:1;range:0,1,0", .group = "hash",
     .since = "2.6.0",
     .summary = "Adds a floating point number to the numeric value of a hash field.",
     .complexity = "O(1)", .args = "key:key@0 string:field double:increment"},
    {.name = "hrandfield", .proc = cmd_hrandfield, .arity = -2, .flags = "readonly",
     .acl = "hash", .keyspecs = "RO access;index:1;range:0,1,0",
     .tips = "nondeterministic_output", .group = "hash", .since = "6.2.0",
     .summary = "Returns random fields of a hash, optionally with their values.",
     .complexity = "O(N), N being the number of fields returned.",
     .args = "key:key@0 ?block:options(integer:count ?=WITHVALUES)"},
    {.name = "hscan", .proc = cmd_hscan, .arity = -3, .flags = "readonly", .acl = "hash",
     .keyspecs = "RO access;index:1;range:0,1,0", .tips = "nondeterministic_output",
     .group = "hash", .since = "2.8.0",
     .summary = "Iterates over the fields and values of a hash with a cursor.",
     .complexity = "O(1) per call; a full iteration is O(N), N being the size of the hash.",
     .args = "key:key@0 integer:cursor ?pattern:pattern=MATCH ?integer:count=COUNT"},
    {0},
};
// clang-format on
