/* Sorted sets: the packed ("listpack") and skip list + dict ("skiplist") encodings, the type
 * API of t_zset.h over both, and the Z* commands with Redis 7.0's replies and errors. */
#include "engine/types/t_zset.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/commands.h"
#include "engine/effects.h"
#include "engine/snapshot.h"
#include "engine/types/t_set.h"
#include "shared/util.h"

#define ZPK_MAX_BYTES (1u << 30) /* Redis refuses to grow a listpack past 1 GiB */

static void *s_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) abort(); /* out of memory: maxmemory is the graceful path */
    return p;
}

static void *s_xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) abort();
    return p;
}

/* ===================== the packed encoding ("listpack") =====================
 * Members in order in one byte arena, and a parallel array of slots (score, offset, length)
 * so ranks are O(1) and score bounds a binary search. Small by construction (the
 * zset-max-listpack-* thresholds), so inserts and deletes move memory linearly, like Redis's
 * listpack does. */

typedef struct zpk_slot {
    double score;
    uint32_t off, len;
} zpk_slot_t;

typedef struct zpk {
    zpk_slot_t *slots;
    uint32_t n, cap;
    char *bytes;
    size_t used, bcap;
} zpk_t;

static zpk_t *s_zpk_new(void) {
    zpk_t *p = s_xmalloc(sizeof *p);
    memset(p, 0, sizeof *p);
    return p;
}

static void s_zpk_free(zpk_t *p) {
    if (!p) return;
    free(p->slots);
    free(p->bytes);
    free(p);
}

static zpk_t *s_zpk_dup(const zpk_t *p) {
    zpk_t *q = s_zpk_new();
    q->n = q->cap = p->n;
    q->used = q->bcap = p->used;
    q->slots = s_xmalloc(p->n * sizeof(zpk_slot_t));
    if (p->n) memcpy(q->slots, p->slots, p->n * sizeof(zpk_slot_t));
    q->bytes = s_xmalloc(p->used);
    if (p->used) memcpy(q->bytes, p->bytes, p->used);
    return q;
}

static inline const char *s_zpk_member(const zpk_t *p, uint32_t i, size_t *len) {
    *len = p->slots[i].len;
    return p->bytes + p->slots[i].off;
}

/* Redis keeps a listpack score as an integer when it is one (up to +-2^62), which turns -0
 * into 0; the other values round-trip exactly through their %.17g text. */
static inline double s_lp_score(double d) { return d == 0 ? 0.0 : d; }

static long s_zpk_find(const zpk_t *p, const char *m, size_t len) {
    for (uint32_t i = 0; i < p->n; i++)
        if (p->slots[i].len == len && memcmp(p->bytes + p->slots[i].off, m, len) == 0) return i;
    return -1;
}

/* Index of the first slot ordered after (score, m). */
static uint32_t s_zpk_upper(const zpk_t *p, double score, const char *m, size_t len) {
    uint32_t lo = 0, hi = p->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const zpk_slot_t *s = &p->slots[mid];
        int after = s->score > score ||
                    (s->score == score && zsl_cmp_member(p->bytes + s->off, s->len, m, len) > 0);
        if (after)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Inserts a member that is not present; returns its index. */
static uint32_t s_zpk_insert(zpk_t *p, const char *m, size_t len, double score) {
    score = s_lp_score(score);
    uint32_t at = s_zpk_upper(p, score, m, len);
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 4;
        p->slots = s_xrealloc(p->slots, p->cap * sizeof(zpk_slot_t));
    }
    if (p->used + len > p->bcap) {
        size_t cap = p->bcap ? p->bcap * 2 : 32;
        while (cap < p->used + len)
            cap *= 2;
        p->bytes = s_xrealloc(p->bytes, cap);
        p->bcap = cap;
    }
    uint32_t off = at < p->n ? p->slots[at].off : (uint32_t)p->used;
    memmove(p->bytes + off + len, p->bytes + off, p->used - off);
    if (len) memcpy(p->bytes + off, m, len);
    p->used += len;
    memmove(&p->slots[at + 1], &p->slots[at], (p->n - at) * sizeof(zpk_slot_t));
    p->n++;
    p->slots[at].score = score;
    p->slots[at].off = off;
    p->slots[at].len = (uint32_t)len;
    for (uint32_t i = at + 1; i < p->n; i++)
        p->slots[i].off += (uint32_t)len;
    return at;
}

/* Removes count slots from index at. */
static void s_zpk_delete(zpk_t *p, uint32_t at, uint32_t count) {
    if (!count) return;
    uint32_t end = at + count;
    uint32_t off = p->slots[at].off;
    uint32_t stop = end < p->n ? p->slots[end].off : (uint32_t)p->used;
    uint32_t gone = stop - off;
    memmove(p->bytes + off, p->bytes + stop, p->used - stop);
    p->used -= gone;
    memmove(&p->slots[at], &p->slots[end], (p->n - end) * sizeof(zpk_slot_t));
    p->n -= count;
    for (uint32_t i = at; i < p->n; i++)
        p->slots[i].off -= gone;
    /* give memory back once mostly empty */
    if (p->cap > 16 && p->n < p->cap / 4) {
        p->cap /= 2;
        p->slots = s_xrealloc(p->slots, p->cap * sizeof(zpk_slot_t));
    }
    if (p->bcap > 256 && p->used < p->bcap / 4) {
        p->bcap /= 2;
        p->bytes = s_xrealloc(p->bytes, p->bcap);
    }
}

static int s_zpk_in_range(const zpk_t *p, const zrange_spec_t *r) {
    if (zsl_range_empty(r) || p->n == 0) return 0;
    return zsl_value_gte_min(p->slots[p->n - 1].score, r) &&
           zsl_value_lte_max(p->slots[0].score, r);
}

/* First / last index in the interval, -1 when none. */
static long s_zpk_first_in_range(const zpk_t *p, const zrange_spec_t *r) {
    if (!s_zpk_in_range(p, r)) return -1;
    uint32_t lo = 0, hi = p->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (zsl_value_gte_min(p->slots[mid].score, r))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo < p->n && zsl_value_lte_max(p->slots[lo].score, r) ? (long)lo : -1;
}

static long s_zpk_last_in_range(const zpk_t *p, const zrange_spec_t *r) {
    if (!s_zpk_in_range(p, r)) return -1;
    uint32_t lo = 0, hi = p->n; /* first index past the max */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (zsl_value_lte_max(p->slots[mid].score, r))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && zsl_value_gte_min(p->slots[lo - 1].score, r) ? (long)lo - 1 : -1;
}

/* Lexicographic bounds are walked linearly from the ends, as Redis does on a listpack, so a
 * set whose members are not in lexicographic order answers exactly as Redis's does. */
static int s_zpk_lex_gte(const zpk_t *p, uint32_t i, const zlex_range_t *r) {
    return zsl_lex_gte_min(p->bytes + p->slots[i].off, p->slots[i].len, r);
}

static int s_zpk_lex_lte(const zpk_t *p, uint32_t i, const zlex_range_t *r) {
    return zsl_lex_lte_max(p->bytes + p->slots[i].off, p->slots[i].len, r);
}

static int s_zpk_in_lex_range(const zpk_t *p, const zlex_range_t *r) {
    if (zsl_lex_range_empty(r) || p->n == 0) return 0;
    return s_zpk_lex_gte(p, p->n - 1, r) && s_zpk_lex_lte(p, 0, r);
}

static long s_zpk_first_in_lex_range(const zpk_t *p, const zlex_range_t *r) {
    if (!s_zpk_in_lex_range(p, r)) return -1;
    for (uint32_t i = 0; i < p->n; i++)
        if (s_zpk_lex_gte(p, i, r)) return s_zpk_lex_lte(p, i, r) ? (long)i : -1;
    return -1;
}

static long s_zpk_last_in_lex_range(const zpk_t *p, const zlex_range_t *r) {
    if (!s_zpk_in_lex_range(p, r)) return -1;
    for (long i = (long)p->n - 1; i >= 0; i--)
        if (s_zpk_lex_lte(p, (uint32_t)i, r)) return s_zpk_lex_gte(p, (uint32_t)i, r) ? i : -1;
    return -1;
}

/* ===================== the skip list encoding ("skiplist") =====================
 * The dict's keys are the skip list nodes themselves (a node starts with its member view),
 * so a member costs one node and one dict entry. */

typedef struct zsk {
    zsl_t *zsl;
    dict_t *dict; /* zsl_node_t* (as zsl_member_t*) -> the same node */
} zsk_t;

static uint64_t s_member_hash(const void *k) {
    const zsl_member_t *m = k;
    return dict_hash_bytes(m->ptr, m->len);
}

static int s_member_eq(const void *a, const void *b) {
    const zsl_member_t *x = a, *y = b;
    return x->len == y->len && memcmp(x->ptr, y->ptr, x->len) == 0;
}

static const dict_type_t s_zsk_dict_type = {s_member_hash, s_member_eq, NULL, NULL};

static zsk_t *s_zsk_new(void) {
    zsk_t *s = s_xmalloc(sizeof *s);
    s->zsl = zsl_new();
    s->dict = dict_new(&s_zsk_dict_type);
    return s;
}

static void s_zsk_free(zsk_t *s) {
    if (!s) return;
    dict_destroy(&s->dict);
    zsl_free(s->zsl);
    free(s);
}

static zsl_node_t *s_zsk_find(const zsk_t *s, const char *m, size_t len) {
    if (dict_size(s->dict) == 0) return NULL;
    zsl_member_t probe = {m, len};
    dict_entry_t *de = dict_find(s->dict, &probe);
    return de ? de->key : NULL;
}

static zsl_node_t *s_zsk_insert(zsk_t *s, const char *m, size_t len, double score) {
    zsl_node_t *n = zsl_insert(s->zsl, score, m, len);
    if (!dict_add(s->dict, n, n)) abort(); /* callers checked absence */
    return n;
}

static int s_zsk_delete(zsk_t *s, const char *m, size_t len) {
    if (dict_size(s->dict) == 0) return 0;
    zsl_member_t probe = {m, len};
    dict_entry_t *de = dict_unlink(s->dict, &probe);
    if (!de) return 0;
    zsl_node_t *n = de->key;
    dict_free_unlinked(s->dict, de);
    zsl_node_t *x = zsl_unlink(s->zsl, n->score, n->ele.ptr, n->ele.len);
    if (x != n) abort(); /* the dict and the list disagree: a broken invariant */
    zsl_free_node(n);
    dict_maybe_shrink(s->dict);
    return 1;
}

static void s_zsk_forget(void *priv, zsl_node_t *n) { dict_delete(priv, n); }

static zsk_t *s_zsk_dup(const zsk_t *s) {
    zsk_t *d = s_zsk_new();
    dict_expand(d->dict, dict_size(s->dict));
    /* from the highest down: each insert then stops at the head */
    for (zsl_node_t *n = zsl_last(s->zsl); n; n = zsl_prev(n))
        s_zsk_insert(d, n->ele.ptr, n->ele.len, n->score);
    return d;
}

/* ===================== the type API ===================== */

static inline zpk_t *s_pk(const vobj_t *z) { return z->v.p; }
static inline zsk_t *s_sk(const vobj_t *z) { return z->v.p; }

static vobj_t *s_zset_obj(int enc, void *p) {
    vobj_t *o = s_xmalloc(sizeof *o);
    o->type = OBJ_ZSET;
    o->enc = (uint8_t)enc;
    o->lru = 0;
    o->v.p = p;
    return o;
}

vobj_t *zset_create_enc(int enc) {
    if (enc == ENC_LISTPACK) return s_zset_obj(ENC_LISTPACK, s_zpk_new());
    return s_zset_obj(ENC_SKIPLIST, s_zsk_new());
}

vobj_t *zset_create(const engine_config_t *cfg, size_t size_hint, size_t maxelelen) {
    if (cfg->zset_max_listpack_entries == 0 ||
        size_hint > (unsigned long long)cfg->zset_max_listpack_entries ||
        maxelelen > (unsigned long long)cfg->zset_max_listpack_value)
        return zset_create_enc(ENC_SKIPLIST);
    return zset_create_enc(ENC_LISTPACK);
}

unsigned long zset_length(const vobj_t *z) {
    if (z->enc == ENC_LISTPACK) return s_pk(z)->n;
    return s_sk(z)->zsl->length;
}

vobj_t *zset_dup(const vobj_t *z) {
    if (z->enc == ENC_LISTPACK) return s_zset_obj(ENC_LISTPACK, s_zpk_dup(s_pk(z)));
    return s_zset_obj(ENC_SKIPLIST, s_zsk_dup(s_sk(z)));
}

void zset_convert(vobj_t *z, int enc) {
    if (z->enc == enc) return;
    if (z->enc == ENC_LISTPACK) {
        zpk_t *p = s_pk(z);
        zsk_t *s = s_zsk_new();
        dict_expand(s->dict, p->n);
        for (long i = (long)p->n - 1; i >= 0; i--)
            s_zsk_insert(s, p->bytes + p->slots[i].off, p->slots[i].len, p->slots[i].score);
        s_zpk_free(p);
        z->v.p = s;
        z->enc = ENC_SKIPLIST;
    } else {
        zsk_t *s = s_sk(z);
        zpk_t *p = s_zpk_new();
        for (zsl_node_t *n = zsl_first(s->zsl); n; n = zsl_next(n))
            s_zpk_insert(p, n->ele.ptr, n->ele.len, n->score);
        s_zsk_free(s);
        z->v.p = p;
        z->enc = ENC_LISTPACK;
    }
}

void zset_convert_to_listpack_if_needed(const engine_config_t *cfg, vobj_t *z, size_t maxelelen,
                                        size_t totlen) {
    if (z->enc == ENC_LISTPACK) return;
    if (zset_length(z) <= (unsigned long long)cfg->zset_max_listpack_entries &&
        maxelelen <= (unsigned long long)cfg->zset_max_listpack_value && totlen < ZPK_MAX_BYTES)
        zset_convert(z, ENC_LISTPACK);
}

int zset_score(const vobj_t *z, const char *m, size_t len, double *score) {
    if (z->enc == ENC_LISTPACK) {
        long i = s_zpk_find(s_pk(z), m, len);
        if (i < 0) return -1;
        *score = s_pk(z)->slots[i].score;
        return 0;
    }
    zsl_node_t *n = s_zsk_find(s_sk(z), m, len);
    if (!n) return -1;
    *score = n->score;
    return 0;
}

int zset_add(const engine_config_t *cfg, vobj_t *z, double score, const char *m, size_t len,
             int in_flags, int *out_flags, double *newscore) {
    int incr = (in_flags & ZADD_IN_INCR) != 0, nx = (in_flags & ZADD_IN_NX) != 0;
    int xx = (in_flags & ZADD_IN_XX) != 0, gt = (in_flags & ZADD_IN_GT) != 0;
    int lt = (in_flags & ZADD_IN_LT) != 0;
    *out_flags = 0;
    if (isnan(score)) {
        *out_flags = ZADD_OUT_NAN;
        return 0;
    }
    double cur;
    long idx = -1;
    zsl_node_t *node = NULL;
    int found;
    if (z->enc == ENC_LISTPACK) {
        idx = s_zpk_find(s_pk(z), m, len);
        found = idx >= 0;
        if (found) cur = s_pk(z)->slots[idx].score;
    } else {
        node = s_zsk_find(s_sk(z), m, len);
        found = node != NULL;
        if (found) cur = node->score;
    }

    if (found) {
        if (nx) {
            *out_flags |= ZADD_OUT_NOP;
            return 1;
        }
        if (incr) {
            score += cur;
            if (isnan(score)) {
                *out_flags |= ZADD_OUT_NAN;
                return 0;
            }
        }
        if ((lt && score >= cur) || (gt && score <= cur)) {
            *out_flags |= ZADD_OUT_NOP;
            return 1;
        }
        /* the reply shows the score as computed, even a -0 the listpack will store as 0 */
        if (newscore) *newscore = score;
        if (score != cur) {
            if (z->enc == ENC_LISTPACK) {
                zpk_t *p = s_pk(z);
                /* copy the member out of the arena the delete rewrites */
                char small[64];
                char *tmp = len <= sizeof small ? small : s_xmalloc(len);
                memcpy(tmp, m, len);
                s_zpk_delete(p, (uint32_t)idx, 1);
                s_zpk_insert(p, tmp, len, score);
                if (tmp != small) free(tmp);
            } else {
                zsl_update_score(s_sk(z)->zsl, cur, node->ele.ptr, node->ele.len, score);
            }
            *out_flags |= ZADD_OUT_UPDATED;
        }
        return 1;
    }
    if (xx) {
        *out_flags |= ZADD_OUT_NOP;
        return 1;
    }
    if (z->enc == ENC_LISTPACK) {
        zpk_t *p = s_pk(z);
        if ((unsigned long long)p->n + 1 > (unsigned long long)cfg->zset_max_listpack_entries ||
            len > (unsigned long long)cfg->zset_max_listpack_value ||
            p->used + len >= ZPK_MAX_BYTES) {
            zset_convert(z, ENC_SKIPLIST);
        } else {
            s_zpk_insert(p, m, len, score);
            if (newscore) *newscore = score;
            *out_flags |= ZADD_OUT_ADDED;
            return 1;
        }
    }
    s_zsk_insert(s_sk(z), m, len, score);
    if (newscore) *newscore = score;
    *out_flags |= ZADD_OUT_ADDED;
    return 1;
}

int zset_delete(vobj_t *z, const char *m, size_t len) {
    if (z->enc == ENC_LISTPACK) {
        long i = s_zpk_find(s_pk(z), m, len);
        if (i < 0) return 0;
        s_zpk_delete(s_pk(z), (uint32_t)i, 1);
        return 1;
    }
    return s_zsk_delete(s_sk(z), m, len);
}

long zset_rank(const vobj_t *z, const char *m, size_t len, int reverse) {
    unsigned long n = zset_length(z);
    if (z->enc == ENC_LISTPACK) {
        long i = s_zpk_find(s_pk(z), m, len);
        if (i < 0) return -1;
        return reverse ? (long)(n - 1 - (unsigned long)i) : i;
    }
    zsl_node_t *node = s_zsk_find(s_sk(z), m, len);
    if (!node) return -1;
    unsigned long r = zsl_rank(s_sk(z)->zsl, node->score, node->ele.ptr, node->ele.len);
    if (r == 0) abort(); /* a member the dict knows is in the list */
    return reverse ? (long)(n - r) : (long)(r - 1);
}

unsigned long zset_delete_range_by_score(vobj_t *z, const zrange_spec_t *r) {
    if (z->enc == ENC_LISTPACK) {
        zpk_t *p = s_pk(z);
        long first = s_zpk_first_in_range(p, r);
        if (first < 0) return 0;
        uint32_t end = (uint32_t)first;
        while (end < p->n && zsl_value_lte_max(p->slots[end].score, r))
            end++;
        s_zpk_delete(p, (uint32_t)first, end - (uint32_t)first);
        return end - (uint32_t)first;
    }
    zsk_t *s = s_sk(z);
    unsigned long n = zsl_delete_range_by_score(s->zsl, r, s_zsk_forget, s->dict);
    dict_maybe_shrink(s->dict);
    return n;
}

unsigned long zset_delete_range_by_lex(vobj_t *z, const zlex_range_t *r) {
    if (z->enc == ENC_LISTPACK) {
        zpk_t *p = s_pk(z);
        long first = s_zpk_first_in_lex_range(p, r);
        if (first < 0) return 0;
        uint32_t end = (uint32_t)first;
        while (end < p->n && s_zpk_lex_lte(p, end, r))
            end++;
        s_zpk_delete(p, (uint32_t)first, end - (uint32_t)first);
        return end - (uint32_t)first;
    }
    zsk_t *s = s_sk(z);
    unsigned long n = zsl_delete_range_by_lex(s->zsl, r, s_zsk_forget, s->dict);
    dict_maybe_shrink(s->dict);
    return n;
}

unsigned long zset_delete_range_by_rank(vobj_t *z, unsigned long start, unsigned long end) {
    unsigned long len = zset_length(z);
    if (start > end || start >= len) return 0;
    if (end >= len) end = len - 1;
    if (z->enc == ENC_LISTPACK) {
        s_zpk_delete(s_pk(z), (uint32_t)start, (uint32_t)(end - start + 1));
        return end - start + 1;
    }
    zsk_t *s = s_sk(z);
    unsigned long n = zsl_delete_range_by_rank(s->zsl, start + 1, end + 1, s_zsk_forget, s->dict);
    dict_maybe_shrink(s->dict);
    return n;
}

/* ---------- iteration ---------- */

enum { IT_ALL = 0, IT_SCORE = 1, IT_LEX = 2 };

static void s_iter_base(zset_iter_t *it, const vobj_t *z, int reverse) {
    memset(it, 0, sizeof *it);
    it->z = z;
    it->reverse = reverse;
    it->idx = -1;
}

void zset_iter_rank(zset_iter_t *it, const vobj_t *z, unsigned long start, int reverse) {
    s_iter_base(it, z, reverse);
    unsigned long n = zset_length(z);
    if (start >= n) return;
    if (z->enc == ENC_LISTPACK) {
        it->idx = reverse ? (long)(n - 1 - start) : (long)start;
    } else {
        const zsl_t *zsl = s_sk(z)->zsl;
        if (reverse)
            it->node = start == 0 ? zsl_last(zsl) : zsl_by_rank(zsl, n - start);
        else
            it->node = start == 0 ? zsl_first(zsl) : zsl_by_rank(zsl, start + 1);
    }
}

void zset_iter_score(zset_iter_t *it, const vobj_t *z, const zrange_spec_t *r, int reverse) {
    s_iter_base(it, z, reverse);
    it->kind = IT_SCORE;
    it->range = r;
    if (z->enc == ENC_LISTPACK)
        it->idx = reverse ? s_zpk_last_in_range(s_pk(z), r) : s_zpk_first_in_range(s_pk(z), r);
    else
        it->node =
            reverse ? zsl_last_in_range(s_sk(z)->zsl, r) : zsl_first_in_range(s_sk(z)->zsl, r);
}

void zset_iter_lex(zset_iter_t *it, const vobj_t *z, const zlex_range_t *r, int reverse) {
    s_iter_base(it, z, reverse);
    it->kind = IT_LEX;
    it->lex = r;
    if (z->enc == ENC_LISTPACK)
        it->idx =
            reverse ? s_zpk_last_in_lex_range(s_pk(z), r) : s_zpk_first_in_lex_range(s_pk(z), r);
    else
        it->node = reverse ? zsl_last_in_lex_range(s_sk(z)->zsl, r)
                           : zsl_first_in_lex_range(s_sk(z)->zsl, r);
}

static inline int s_iter_done(const zset_iter_t *it) {
    if (it->z->enc == ENC_LISTPACK) return it->idx < 0 || it->idx >= (long)s_pk(it->z)->n;
    return it->node == NULL;
}

static inline void s_iter_step(zset_iter_t *it) {
    if (it->z->enc == ENC_LISTPACK)
        it->idx += it->reverse ? -1 : 1;
    else
        it->node = it->reverse ? zsl_prev(it->node) : zsl_next(it->node);
}

void zset_iter_skip(zset_iter_t *it, unsigned long n) {
    if (it->z->enc == ENC_LISTPACK) {
        long len = (long)s_pk(it->z)->n;
        if (s_iter_done(it)) return;
        if (it->reverse)
            it->idx = (unsigned long)it->idx < n ? -1 : it->idx - (long)n;
        else
            it->idx = n >= (unsigned long)(len - it->idx) ? len : it->idx + (long)n;
        return;
    }
    while (n-- && it->node)
        s_iter_step(it);
}

int zset_iter_next(zset_iter_t *it, const char **m, size_t *len, double *score) {
    if (s_iter_done(it)) return 0;
    const char *p;
    size_t l;
    double sc;
    if (it->z->enc == ENC_LISTPACK) {
        const zpk_t *pk = s_pk(it->z);
        p = s_zpk_member(pk, (uint32_t)it->idx, &l);
        sc = pk->slots[it->idx].score;
    } else {
        p = it->node->ele.ptr;
        l = it->node->ele.len;
        sc = it->node->score;
    }
    int inside = 1;
    if (it->kind == IT_SCORE)
        inside = it->reverse ? zsl_value_gte_min(sc, it->range) : zsl_value_lte_max(sc, it->range);
    else if (it->kind == IT_LEX)
        inside = it->reverse ? zsl_lex_gte_min(p, l, it->lex) : zsl_lex_lte_max(p, l, it->lex);
    if (!inside) {
        it->idx = -1;
        it->node = NULL;
        return 0;
    }
    s_iter_step(it);
    *m = p;
    *len = l;
    if (score) *score = sc;
    return 1;
}

unsigned long zset_count_in_range(const vobj_t *z, const zrange_spec_t *r) {
    if (z->enc == ENC_LISTPACK) {
        const zpk_t *p = s_pk(z);
        long first = s_zpk_first_in_range(p, r);
        if (first < 0) return 0;
        long last = s_zpk_last_in_range(p, r);
        return (unsigned long)(last - first + 1);
    }
    const zsl_t *zsl = s_sk(z)->zsl;
    zsl_node_t *f = zsl_first_in_range(zsl, r);
    if (!f) return 0;
    unsigned long count = zsl->length - (zsl_rank(zsl, f->score, f->ele.ptr, f->ele.len) - 1);
    zsl_node_t *l = zsl_last_in_range(zsl, r);
    if (l) count -= zsl->length - zsl_rank(zsl, l->score, l->ele.ptr, l->ele.len);
    return count;
}

unsigned long zset_count_in_lex_range(const vobj_t *z, const zlex_range_t *r) {
    if (z->enc == ENC_LISTPACK) {
        const zpk_t *p = s_pk(z);
        long first = s_zpk_first_in_lex_range(p, r);
        if (first < 0) return 0;
        unsigned long n = 0;
        for (uint32_t i = (uint32_t)first; i < p->n && s_zpk_lex_lte(p, i, r); i++)
            n++;
        return n;
    }
    const zsl_t *zsl = s_sk(z)->zsl;
    zsl_node_t *f = zsl_first_in_lex_range(zsl, r);
    if (!f) return 0;
    unsigned long count = zsl->length - (zsl_rank(zsl, f->score, f->ele.ptr, f->ele.len) - 1);
    zsl_node_t *l = zsl_last_in_lex_range(zsl, r);
    if (l) count -= zsl->length - zsl_rank(zsl, l->score, l->ele.ptr, l->ele.len);
    return count;
}

int zset_peek(const vobj_t *z, int where, const char **m, size_t *len, double *score) {
    if (zset_length(z) == 0) return 0;
    if (z->enc == ENC_LISTPACK) {
        const zpk_t *p = s_pk(z);
        uint32_t i = where == ZSET_MAX ? p->n - 1 : 0;
        *m = s_zpk_member(p, i, len);
        if (score) *score = p->slots[i].score;
        return 1;
    }
    const zsl_t *zsl = s_sk(z)->zsl;
    zsl_node_t *n = where == ZSET_MAX ? zsl_last(zsl) : zsl_first(zsl);
    *m = n->ele.ptr;
    *len = n->ele.len;
    if (score) *score = n->score;
    return 1;
}

size_t zset_mem(const vobj_t *z) {
    size_t size = sizeof(vobj_t);
    if (z->enc == ENC_LISTPACK) {
        const zpk_t *p = s_pk(z);
        return size + sizeof *p + p->cap * sizeof(zpk_slot_t) + p->bcap;
    }
    /* like Redis, sample a few members and scale to the whole set */
    const zsk_t *s = s_sk(z);
    size += sizeof *s + sizeof(zsl_t) + sizeof(dict_t) + zsl_node_size(s->zsl->header) +
            dict_buckets(s->dict) * sizeof(dict_entry_t *);
    size_t sampled = 0, bytes = 0;
    for (zsl_node_t *n = zsl_first(s->zsl); n && sampled < 5; n = zsl_next(n), sampled++)
        bytes += zsl_node_size(n) + sizeof(dict_entry_t);
    if (sampled) size += (size_t)((double)bytes / (double)sampled * (double)s->zsl->length);
    return size;
}

/* ---------- registration ---------- */

static void s_zset_free(vobj_t *o) {
    if (!o->v.p) return;
    if (o->enc == ENC_LISTPACK)
        s_zpk_free(o->v.p);
    else
        s_zsk_free(o->v.p);
}

/* Snapshot payload: the count, then (score, member) from the highest to the lowest, so that
 * every skip list insert on loading stops at the head. The score comes first so the member's
 * bytes, read last, stay valid while the member is added. */
static void s_zset_save(const vobj_t *z, snap_writer_t *w) {
    snap_put_u64(w, zset_length(z));
    if (z->enc == ENC_LISTPACK) {
        const zpk_t *p = s_pk(z);
        for (uint32_t i = p->n; i-- > 0;) {
            snap_put_double(w, p->slots[i].score);
            snap_put_bytes(w, p->bytes + p->slots[i].off, p->slots[i].len);
        }
        return;
    }
    for (zsl_node_t *n = zsl_last(s_sk(z)->zsl); n; n = zsl_prev(n)) {
        snap_put_double(w, n->score);
        snap_put_bytes(w, n->ele.ptr, n->ele.len);
    }
}

/* The encoding follows the settings as Redis's loading does: listpack when the count fits,
 * turning into a skip list as soon as a member is too long. */
static vobj_t *s_zset_load(engine_t *e, snap_reader_t *r) {
    uint64_t n;
    if (snap_get_size(r, &n, "sorted set") < 0) return NULL;
    vobj_t *z = zset_create(&e->cfg, n, 0);
    if (z->enc == ENC_SKIPLIST) dict_expand(s_sk(z)->dict, snap_presize(r, n));
    for (uint64_t i = 0; i < n; i++) {
        const char *m;
        size_t len;
        double score;
        int out;
        if (snap_get_double(r, &score) < 0 || snap_get_bytes(r, &m, &len) < 0) goto bad;
        if (isnan(score)) {
            snap_fail(r, "sorted set score is NaN");
            goto bad;
        }
        zset_add(&e->cfg, z, score, m, len, ZADD_IN_NX, &out, NULL);
        if (!(out & ZADD_OUT_ADDED)) {
            snap_fail(r, "duplicate sorted set member");
            goto bad;
        }
    }
    return z;
bad:
    obj_free(z);
    return NULL;
}

static const obj_type_t s_zset_type = {"zset",   s_zset_free, zset_dup,
                                       zset_mem, s_zset_save, s_zset_load};

__attribute__((constructor)) static void s_register_zset(void) {
    obj_register_type(OBJ_ZSET, &s_zset_type);
}

/* ===================== argument parsing ===================== */

/* Redis reads these arguments as C strings: anything after an embedded NUL is ignored. */
static size_t s_cstrlen(const proto_arg_t *a) {
    const char *nul = memchr(a->ptr, '\0', a->len);
    return nul ? (size_t)(nul - a->ptr) : a->len;
}

/* One score bound as strtod reads it (leading spaces, hex and "inf" accepted, NaN not);
 * "(" makes it exclusive and an empty string is 0, as in Redis. */
static int s_parse_score_bound(const proto_arg_t *a, double *v, int *ex) {
    size_t len = s_cstrlen(a);
    const char *p = a->ptr;
    *ex = 0;
    if (len && p[0] == '(') {
        *ex = 1;
        p++;
        len--;
    }
    char small[128];
    char *buf = len < sizeof small ? small : s_xmalloc(len + 1);
    memcpy(buf, p, len);
    buf[len] = '\0';
    char *end;
    *v = strtod(buf, &end);
    int ok = *end == '\0' && !isnan(*v);
    if (buf != small) free(buf);
    return ok ? 0 : -1;
}

int zset_parse_range(const proto_arg_t *min, const proto_arg_t *max, zrange_spec_t *r) {
    if (s_parse_score_bound(min, &r->min, &r->minex)) return -1;
    if (s_parse_score_bound(max, &r->max, &r->maxex)) return -1;
    return 0;
}

static int s_parse_lex_bound(const proto_arg_t *a, zsl_lex_bound_t *b) {
    if (a->len == 0) return -1;
    /* "+" and "-" must end there, read as a C string */
    switch (a->ptr[0]) {
    case '+':
    case '-':
        if (a->len > 1 && a->ptr[1] != '\0') return -1;
        b->kind = a->ptr[0] == '+' ? ZLEX_POS_INF : ZLEX_NEG_INF;
        b->ex = 1;
        b->ptr = NULL;
        b->len = 0;
        return 0;
    case '(':
    case '[':
        b->kind = ZLEX_VALUE;
        b->ex = a->ptr[0] == '(';
        b->ptr = a->ptr + 1;
        b->len = a->len - 1;
        return 0;
    default: return -1;
    }
}

int zset_parse_lex_range(const proto_arg_t *min, const proto_arg_t *max, zlex_range_t *r) {
    if (s_parse_lex_bound(min, &r->min) || s_parse_lex_bound(max, &r->max)) return -1;
    return 0;
}

#define ERR_NOT_FLOAT_RANGE "min or max is not a float"
#define ERR_NOT_LEX_RANGE "min or max not valid string range item"

/* ===================== helpers for the commands ===================== */

/* A uniformly random member, O(1) for listpack and O(log n) for skiplist (by rank). */
static void s_random_member(const vobj_t *z, const char **m, size_t *len, double *score) {
    unsigned long n = zset_length(z);
    unsigned long r = (unsigned long)(rand_below(n));
    if (z->enc == ENC_LISTPACK) {
        const zpk_t *p = s_pk(z);
        *m = s_zpk_member(p, (uint32_t)r, len);
        *score = p->slots[r].score;
        return;
    }
    zsl_node_t *node = zsl_by_rank(s_sk(z)->zsl, r + 1);
    *m = node->ele.ptr;
    *len = node->ele.len;
    *score = node->score;
}

static void s_written(client_t *c, const proto_arg_t *key, const char *event, long long dirty) {
    signal_modified_key(c->eng, c->db, key->ptr, key->len);
    notify_keyspace_event(c->eng, NOTIFY_ZSET, event, key->ptr, key->len, c->db->id);
    c->eng->stats.dirty += dirty;
}

static void s_deleted_event(client_t *c, const proto_arg_t *key) {
    notify_keyspace_event(c->eng, NOTIFY_GENERIC, "del", key->ptr, key->len, c->db->id);
}

/* Replies with a member's score the way every score leaves: a double (bulk in RESP2). */
static inline void s_reply_score(client_t *c, double d) { reply_double(c, d); }

/* ===================== ZADD, ZINCRBY ===================== */

void zset_add_generic(client_t *c, const proto_arg_t *key, int in_flags, int ch,
                      const double *scores, const proto_arg_t *members, long n) {
    engine_t *e = c->eng;
    int incr = (in_flags & ZADD_IN_INCR) != 0;
    long added = 0, updated = 0, processed = 0;
    double score = 0;
    int wrongtype;
    vobj_t *z = lookup_write_or_reply_type(c, key, OBJ_ZSET, &wrongtype);
    if (wrongtype) return;
    if (!z) {
        if (in_flags & ZADD_IN_XX) goto reply;
        z = zset_create(&e->cfg, 0, n ? members[0].len : 0);
        db_add(e, c->db, key->ptr, key->len, z);
    }
    for (long j = 0; j < n; j++) {
        int out;
        double newscore;
        if (!zset_add(&e->cfg, z, scores[j], members[j].ptr, members[j].len, in_flags, &out,
                      &newscore)) {
            reply_error(c, "resulting score is not a number (NaN)");
            goto done;
        }
        if (out & ZADD_OUT_ADDED) added++;
        if (out & ZADD_OUT_UPDATED) updated++;
        if (!(out & ZADD_OUT_NOP)) processed++;
        score = newscore;
    }
    e->stats.dirty += added + updated;
reply:
    if (incr) {
        if (processed)
            s_reply_score(c, score);
        else
            reply_null(c);
    } else {
        reply_int(c, ch ? added + updated : added);
    }
done:
    /* never leave an empty set behind (nothing was added to a key just created) */
    if (z && zset_length(z) == 0) db_delete(e, c->db, key->ptr, key->len);
    if (added || updated) {
        signal_modified_key(e, c->db, key->ptr, key->len);
        notify_keyspace_event(e, NOTIFY_ZSET, incr ? "zincr" : "zadd", key->ptr, key->len,
                              c->db->id);
    }
}

static void s_zadd_command(client_t *c, int flags) {
    int ch = 0, idx = 2;
    for (; idx < c->argc; idx++) {
        const proto_arg_t *a = &c->argv[idx];
        if (arg_is(a, "nx"))
            flags |= ZADD_IN_NX;
        else if (arg_is(a, "xx"))
            flags |= ZADD_IN_XX;
        else if (arg_is(a, "ch"))
            ch = 1;
        else if (arg_is(a, "incr"))
            flags |= ZADD_IN_INCR;
        else if (arg_is(a, "gt"))
            flags |= ZADD_IN_GT;
        else if (arg_is(a, "lt"))
            flags |= ZADD_IN_LT;
        else
            break;
    }
    int nx = flags & ZADD_IN_NX, xx = flags & ZADD_IN_XX, gt = flags & ZADD_IN_GT;
    int lt = flags & ZADD_IN_LT;
    long elements = c->argc - idx;
    if (elements % 2 || !elements) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    elements /= 2;
    if (nx && xx) {
        reply_error(c, "XX and NX options at the same time are not compatible");
        return;
    }
    if ((gt && nx) || (lt && nx) || (gt && lt)) {
        reply_error(c, "GT, LT, and/or NX options at the same time are not compatible");
        return;
    }
    if ((flags & ZADD_IN_INCR) && elements > 1) {
        reply_error(c, "INCR option supports a single increment-element pair");
        return;
    }
    double small[16];
    double *scores = elements <= 16 ? small : s_xmalloc((size_t)elements * sizeof(double));
    proto_arg_t msmall[16];
    proto_arg_t *members =
        elements <= 16 ? msmall : s_xmalloc((size_t)elements * sizeof(proto_arg_t));
    for (long j = 0; j < elements; j++) {
        if (arg_double_or_reply(c, &c->argv[idx + j * 2], &scores[j], NULL)) goto out;
        members[j] = c->argv[idx + j * 2 + 1];
    }
    zset_add_generic(c, &c->argv[1], flags, ch, scores, members, elements);
out:
    if (scores != small) free(scores);
    if (members != msmall) free(members);
}

static void cmd_zadd(client_t *c) { s_zadd_command(c, ZADD_IN_NONE); }
static void cmd_zincrby(client_t *c) { s_zadd_command(c, ZADD_IN_INCR); }

/* ===================== ZREM, ZREMRANGEBY* ===================== */

static void cmd_zrem(client_t *c) {
    engine_t *e = c->eng;
    const proto_arg_t *key = &c->argv[1];
    int wrongtype;
    vobj_t *z = lookup_write_or_reply_type(c, key, OBJ_ZSET, &wrongtype);
    if (wrongtype) return;
    if (!z) {
        reply_int(c, 0);
        return;
    }
    long deleted = 0;
    int keyremoved = 0;
    for (int j = 2; j < c->argc; j++) {
        deleted += zset_delete(z, c->argv[j].ptr, c->argv[j].len);
        if (zset_length(z) == 0) {
            db_delete(e, c->db, key->ptr, key->len);
            keyremoved = 1;
            break;
        }
    }
    if (deleted) {
        notify_keyspace_event(e, NOTIFY_ZSET, "zrem", key->ptr, key->len, c->db->id);
        if (keyremoved) s_deleted_event(c, key);
        signal_modified_key(e, c->db, key->ptr, key->len);
        e->stats.dirty += deleted;
    }
    reply_int(c, deleted);
}

enum { ZR_RANK = 0, ZR_SCORE = 1, ZR_LEX = 2 };

static void s_zremrange(client_t *c, int type) {
    engine_t *e = c->eng;
    const proto_arg_t *key = &c->argv[1];
    long long start = 0, end = 0;
    zrange_spec_t range;
    zlex_range_t lex;
    const char *event;
    if (type == ZR_RANK) {
        event = "zremrangebyrank";
        if (arg_ll_or_reply(c, &c->argv[2], &start, NULL) ||
            arg_ll_or_reply(c, &c->argv[3], &end, NULL))
            return;
    } else if (type == ZR_SCORE) {
        event = "zremrangebyscore";
        if (zset_parse_range(&c->argv[2], &c->argv[3], &range)) {
            reply_error(c, ERR_NOT_FLOAT_RANGE);
            return;
        }
    } else {
        event = "zremrangebylex";
        if (zset_parse_lex_range(&c->argv[2], &c->argv[3], &lex)) {
            reply_error(c, ERR_NOT_LEX_RANGE);
            return;
        }
    }
    int wrongtype;
    vobj_t *z = lookup_write_or_reply_type(c, key, OBJ_ZSET, &wrongtype);
    if (wrongtype) return;
    if (!z) {
        reply_int(c, 0);
        return;
    }
    unsigned long deleted;
    if (type == ZR_RANK) {
        long long llen = (long long)zset_length(z);
        if (start < 0) start += llen;
        if (end < 0) end += llen;
        if (start < 0) start = 0;
        if (start > end || start >= llen) {
            reply_int(c, 0);
            return;
        }
        if (end >= llen) end = llen - 1;
        deleted = zset_delete_range_by_rank(z, (unsigned long)start, (unsigned long)end);
    } else if (type == ZR_SCORE) {
        deleted = zset_delete_range_by_score(z, &range);
    } else {
        deleted = zset_delete_range_by_lex(z, &lex);
    }
    int keyremoved = 0;
    if (zset_length(z) == 0) {
        db_delete(e, c->db, key->ptr, key->len);
        keyremoved = 1;
    }
    if (deleted) {
        signal_modified_key(e, c->db, key->ptr, key->len);
        notify_keyspace_event(e, NOTIFY_ZSET, event, key->ptr, key->len, c->db->id);
        if (keyremoved) s_deleted_event(c, key);
    }
    e->stats.dirty += (long long)deleted;
    reply_int(c, (long long)deleted);
}

static void cmd_zremrangebyrank(client_t *c) { s_zremrange(c, ZR_RANK); }
static void cmd_zremrangebyscore(client_t *c) { s_zremrange(c, ZR_SCORE); }
static void cmd_zremrangebylex(client_t *c) { s_zremrange(c, ZR_LEX); }

/* ===================== ZCARD, ZSCORE, ZMSCORE, ZRANK, ZCOUNT ===================== */

static void cmd_zcard(client_t *c) {
    int wrongtype;
    vobj_t *z = lookup_read_or_reply_type(c, &c->argv[1], OBJ_ZSET, &wrongtype);
    if (wrongtype) return;
    reply_int(c, z ? (long long)zset_length(z) : 0);
}

static void cmd_zscore(client_t *c) {
    int wrongtype;
    vobj_t *z = lookup_read_or_reply_type(c, &c->argv[1], OBJ_ZSET, &wrongtype);
    if (wrongtype) return;
    double score;
    if (!z || zset_score(z, c->argv[2].ptr, c->argv[2].len, &score))
        reply_null(c);
    else
        s_reply_score(c, score);
}

static void cmd_zmscore(client_t *c) {
    int wrongtype;
    vobj_t *z = lookup_read_or_reply_type(c, &c->argv[1], OBJ_ZSET, &wrongtype);
    if (wrongtype) return;
    reply_array(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        double score;
        if (!z || zset_score(z, c->argv[j].ptr, c->argv[j].len, &score))
            reply_null(c);
        else
            s_reply_score(c, score);
    }
}

static void s_zrank(client_t *c, int reverse) {
    int wrongtype;
    vobj_t *z = lookup_read_or_reply_type(c, &c->argv[1], OBJ_ZSET, &wrongtype);
    if (wrongtype) return;
    long rank = z ? zset_rank(z, c->argv[2].ptr, c->argv[2].len, reverse) : -1;
    if (rank >= 0)
        reply_int(c, rank);
    else
        reply_null(c);
}

static void cmd_zrank(client_t *c) { s_zrank(c, 0); }
static void cmd_zrevrank(client_t *c) { s_zrank(c, 1); }

static void cmd_zcount(client_t *c) {
    zrange_spec_t range;
    if (zset_parse_range(&c->argv[2], &c->argv[3], &range)) {
        reply_error(c, ERR_NOT_FLOAT_RANGE);
        return;
    }
    int wrongtype;
    vobj_t *z = lookup_read_or_reply_type(c, &c->argv[1], OBJ_ZSET, &wrongtype);
    if (wrongtype) return;
    reply_int(c, z ? (long long)zset_count_in_range(z, &range) : 0);
}

static void cmd_zlexcount(client_t *c) {
    zlex_range_t lex;
    if (zset_parse_lex_range(&c->argv[2], &c->argv[3], &lex)) {
        reply_error(c, ERR_NOT_LEX_RANGE);
        return;
    }
    int wrongtype;
    vobj_t *z = lookup_read_or_reply_type(c, &c->argv[1], OBJ_ZSET, &wrongtype);
    if (wrongtype) return;
    reply_int(c, z ? (long long)zset_count_in_lex_range(z, &lex) : 0);
}

/* ===================== ZRANGE and its relatives ===================== */

/* Where a range's members go: the client (with or without scores) or a new sorted set for
 * ZRANGESTORE. */
typedef struct {
    client_t *c;
    int store;
    int withscores;
    int nested; /* RESP3 with scores: one [member, score] pair per member */
    int deferred;
    size_t handle;
    vobj_t *dst;
} s_range_out_t;

static void s_out_begin(s_range_out_t *o, long length) {
    if (o->store) {
        o->dst = zset_create(&o->c->eng->cfg, length > 0 ? (size_t)length : 0, 0);
        return;
    }
    if (length > 0) {
        reply_array(o->c, o->withscores && o->c->resp == 2 ? length * 2 : length);
        o->deferred = 0;
    } else {
        o->handle = reply_deferred_len(o->c);
        o->deferred = 1;
    }
}

static void s_out_emit(s_range_out_t *o, const char *m, size_t len, double score) {
    if (o->store) {
        int out;
        zset_add(&o->c->eng->cfg, o->dst, score, m, len, ZADD_IN_NONE, &out, NULL);
        return;
    }
    if (o->nested) reply_array(o->c, 2);
    reply_bulk(o->c, m, len);
    if (o->withscores) s_reply_score(o->c, score);
}

static void s_out_end(s_range_out_t *o, const proto_arg_t *dstkey, long count) {
    client_t *c = o->c;
    if (!o->store) {
        if (o->deferred)
            reply_set_deferred_len(c, o->handle, o->withscores && c->resp == 2 ? count * 2 : count);
        return;
    }
    engine_t *e = c->eng;
    if (count) {
        db_set(e, c->db, dstkey->ptr, dstkey->len, o->dst, 0);
        o->dst = NULL;
        reply_int(c, count);
        s_written(c, dstkey, "zrangestore", 1);
    } else {
        reply_int(c, 0);
        if (db_delete(e, c->db, dstkey->ptr, dstkey->len)) {
            signal_modified_key(e, c->db, dstkey->ptr, dstkey->len);
            s_deleted_event(c, dstkey);
            e->stats.dirty++;
        }
    }
    obj_free(o->dst);
    o->dst = NULL;
}

static void s_range_by_rank(s_range_out_t *o, const vobj_t *z, long long start, long long end,
                            int reverse, const proto_arg_t *dstkey) {
    long long llen = (long long)zset_length(z);
    if (start < 0) start += llen;
    if (end < 0) end += llen;
    if (start < 0) start = 0;
    if (start > end || start >= llen) {
        s_out_begin(o, 0);
        s_out_end(o, dstkey, 0);
        return;
    }
    if (end >= llen) end = llen - 1;
    long rangelen = (long)(end - start + 1);
    s_out_begin(o, rangelen);
    zset_iter_t it;
    zset_iter_rank(&it, z, (unsigned long)start, reverse);
    const char *m;
    size_t len;
    double score;
    for (long i = 0; i < rangelen && zset_iter_next(&it, &m, &len, &score); i++)
        s_out_emit(o, m, len, score);
    s_out_end(o, dstkey, rangelen);
}

/* LIMIT as Redis applies it: a negative offset yields nothing, a negative count means all. */
static void s_range_walk(s_range_out_t *o, zset_iter_t *it, long long offset, long long limit,
                         const proto_arg_t *dstkey) {
    long count = 0;
    s_out_begin(o, -1);
    if (offset < 0) {
        s_out_end(o, dstkey, 0);
        return;
    }
    zset_iter_skip(it, (unsigned long)offset);
    const char *m;
    size_t len;
    double score;
    while ((limit < 0 || count < limit) && zset_iter_next(it, &m, &len, &score)) {
        s_out_emit(o, m, len, score);
        count++;
    }
    s_out_end(o, dstkey, count);
}

/* ZRANGE, ZRANGESTORE and the older Z[REV]RANGE[BYSCORE|BYLEX] forms, parsed as Redis does:
 * options first, then their conflicts, then the bounds, then the key. type / reverse are
 * fixed by the older commands and -1 ("auto") for ZRANGE and ZRANGESTORE. */
static void s_zrange_generic(client_t *c, int keyidx, int store, int type, int reverse) {
    const proto_arg_t *dstkey = store ? &c->argv[1] : NULL;
    const proto_arg_t *key = &c->argv[keyidx];
    int minidx = keyidx + 1, maxidx = keyidx + 2;
    int withscores = 0;
    long long offset = 0, limit = -1;
    for (int j = keyidx + 3; j < c->argc; j++) {
        int left = c->argc - j - 1;
        const proto_arg_t *a = &c->argv[j];
        if (!store && arg_is(a, "withscores")) {
            withscores = 1;
        } else if (arg_is(a, "limit") && left >= 2) {
            if (arg_ll_or_reply(c, &c->argv[j + 1], &offset, NULL) ||
                arg_ll_or_reply(c, &c->argv[j + 2], &limit, NULL))
                return;
            j += 2;
        } else if (reverse == -1 && arg_is(a, "rev")) {
            reverse = 1;
        } else if (type == -1 && arg_is(a, "bylex")) {
            type = ZR_LEX;
        } else if (type == -1 && arg_is(a, "byscore")) {
            type = ZR_SCORE;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    if (reverse == -1) reverse = 0;
    if (type == -1) type = ZR_RANK;
    if (limit != -1 && type == ZR_RANK) {
        reply_error(c, "syntax error, LIMIT is only supported in combination with either BYSCORE "
                       "or BYLEX");
        return;
    }
    if (withscores && type == ZR_LEX) {
        reply_error(c, "syntax error, WITHSCORES not supported in combination with BYLEX");
        return;
    }
    if (reverse && type != ZR_RANK) {
        int t = minidx;
        minidx = maxidx;
        maxidx = t;
    }
    long long start = 0, end = 0;
    zrange_spec_t range;
    zlex_range_t lex;
    if (type == ZR_RANK) {
        if (arg_ll_or_reply(c, &c->argv[minidx], &start, NULL) ||
            arg_ll_or_reply(c, &c->argv[maxidx], &end, NULL))
            return;
    } else if (type == ZR_SCORE) {
        if (zset_parse_range(&c->argv[minidx], &c->argv[maxidx], &range)) {
            reply_error(c, ERR_NOT_FLOAT_RANGE);
            return;
        }
    } else if (zset_parse_lex_range(&c->argv[minidx], &c->argv[maxidx], &lex)) {
        reply_error(c, ERR_NOT_LEX_RANGE);
        return;
    }

    s_range_out_t o = {c, store, withscores || store, (withscores && c->resp > 2), 0, 0, NULL};
    int wrongtype;
    vobj_t *z = lookup_read_or_reply_type(c, key, OBJ_ZSET, &wrongtype);
    if (wrongtype) return;
    if (!z) {
        if (store) {
            s_out_begin(&o, -1);
            s_out_end(&o, dstkey, 0);
        } else {
            reply_array(c, 0);
        }
        return;
    }
    if (type == ZR_RANK) {
        s_range_by_rank(&o, z, start, end, reverse, dstkey);
        return;
    }
    zset_iter_t it;
    if (type == ZR_SCORE) {
        /* an offset past the end answers at once, without a walk */
        if (offset > 0 && (unsigned long long)offset >= zset_length(z)) {
            s_out_begin(&o, -1);
            s_out_end(&o, dstkey, 0);
            return;
        }
        zset_iter_score(&it, z, &range, reverse);
    } else {
        zset_iter_lex(&it, z, &lex, reverse);
    }
    s_range_walk(&o, &it, offset, limit, dstkey);
}

static void cmd_zrange(client_t *c) { s_zrange_generic(c, 1, 0, -1, -1); }
static void cmd_zrangestore(client_t *c) { s_zrange_generic(c, 2, 1, -1, -1); }
static void cmd_zrevrange(client_t *c) { s_zrange_generic(c, 1, 0, ZR_RANK, 1); }
static void cmd_zrangebyscore(client_t *c) { s_zrange_generic(c, 1, 0, ZR_SCORE, 0); }
static void cmd_zrevrangebyscore(client_t *c) { s_zrange_generic(c, 1, 0, ZR_SCORE, 1); }
static void cmd_zrangebylex(client_t *c) { s_zrange_generic(c, 1, 0, ZR_LEX, 0); }
static void cmd_zrevrangebylex(client_t *c) { s_zrange_generic(c, 1, 0, ZR_LEX, 1); }

/* ===================== ZPOPMIN, ZPOPMAX, ZMPOP ===================== */

long zset_pop_generic(client_t *c, const proto_arg_t *keys, int nkeys, int where, int emitkey,
                      long count, int nested, int reply_nil_when_empty, int *deleted) {
    engine_t *e = c->eng;
    const proto_arg_t *key = NULL;
    vobj_t *z = NULL;
    if (deleted) *deleted = 0;
    for (int i = 0; i < nkeys; i++) {
        int wrongtype;
        z = lookup_write_or_reply_type(c, &keys[i], OBJ_ZSET, &wrongtype);
        if (wrongtype) return 0;
        if (z) {
            key = &keys[i];
            break;
        }
    }
    if (!z) {
        if (reply_nil_when_empty)
            reply_null_array(c);
        else
            reply_array(c, 0);
        return 0;
    }
    if (count == 0) {
        reply_array(c, 0);
        return 0;
    }
    if (count == -1) count = 1;
    long llen = (long)zset_length(z);
    long rangelen = count > llen ? llen : count;
    if (!nested && !emitkey) {
        reply_array(c, rangelen * 2);
    } else if (nested && !emitkey) {
        reply_array(c, rangelen);
    } else if (!nested && emitkey) {
        reply_array(c, rangelen * 2 + 1);
        reply_bulk(c, key->ptr, key->len);
    } else {
        reply_array(c, 2);
        reply_bulk(c, key->ptr, key->len);
        reply_array(c, rangelen);
    }
    for (long i = 0; i < rangelen; i++) {
        const char *m;
        size_t len;
        double score;
        zset_peek(z, where, &m, &len, &score);
        if (nested) reply_array(c, 2);
        reply_bulk(c, m, len);
        s_reply_score(c, score);
        /* the reply holds its own copy of the member now */
        if (z->enc == ENC_LISTPACK)
            s_zpk_delete(s_pk(z), where == ZSET_MAX ? s_pk(z)->n - 1 : 0, 1);
        else
            s_zsk_delete(s_sk(z), m, len);
        e->stats.dirty++;
        if (i == 0) {
            notify_keyspace_event(e, NOTIFY_ZSET, where == ZSET_MAX ? "zpopmax" : "zpopmin",
                                  key->ptr, key->len, c->db->id);
            signal_modified_key(e, c->db, key->ptr, key->len);
        }
    }
    if (rangelen > 0) {
        /* BZPOPMIN, BZMPOP, ZMPOP... replay as the plain pop they did */
        char nb[24];
        int nl = snprintf(nb, sizeof nb, "%ld", rangelen);
        proto_arg_t fx[3] = {where == ZSET_MAX ? EFF_LIT("ZPOPMAX") : EFF_LIT("ZPOPMIN"), *key,
                             EFF_ARG(nb, nl)};
        effect_add(c, 3, fx);
    }
    if (zset_length(z) == 0) {
        if (deleted) *deleted = 1;
        db_delete(e, c->db, key->ptr, key->len);
        s_deleted_event(c, key);
    }
    return rangelen;
}

static void s_zpop_minmax(client_t *c, int where) {
    if (c->argc > 3) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    long long count = -1;
    /* Redis's getPositiveLong...: a non-number gets the same message as a negative one */
    if (c->argc == 3 &&
        arg_positive_or_reply(c, &c->argv[2], &count, "value is out of range, must be positive"))
        return;
    int nested = c->resp > 2 && count != -1;
    zset_pop_generic(c, &c->argv[1], 1, where, 0, (long)count, nested, 0, NULL);
}

static void cmd_zpopmin(client_t *c) { s_zpop_minmax(c, ZSET_MIN); }
static void cmd_zpopmax(client_t *c) { s_zpop_minmax(c, ZSET_MAX); }

static void cmd_zmpop(client_t *c) {
    long long numkeys, count = -1;
    if (arg_range_or_reply(c, &c->argv[1], 1, LONG_MAX, &numkeys,
                           "numkeys should be greater than 0"))
        return;
    /* MIN|MAX follows the keys */
    if (numkeys > c->argc - 3) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    int where_idx = 2 + (int)numkeys, where;
    if (arg_is(&c->argv[where_idx], "min")) {
        where = ZSET_MIN;
    } else if (arg_is(&c->argv[where_idx], "max")) {
        where = ZSET_MAX;
    } else {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    for (int j = where_idx + 1; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        if (count == -1 && arg_is(&c->argv[j], "count") && more) {
            j++;
            if (arg_range_or_reply(c, &c->argv[j], 1, LONG_MAX, &count,
                                   "count should be greater than 0"))
                return;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    if (count == -1) count = 1;
    zset_pop_generic(c, &c->argv[2], (int)numkeys, where, 1, (long)count, 1, 1, NULL);
}

/* ===================== ZRANDMEMBER ===================== */

static void s_reply_pick(client_t *c, const char *m, size_t len, double score, int withscores) {
    if (withscores && c->resp > 2) reply_array(c, 2);
    reply_bulk(c, m, len);
    if (withscores) s_reply_score(c, score);
}

static void s_zrandmember_count(client_t *c, long long l, int withscores) {
    int wrongtype;
    vobj_t *z = lookup_read_or_reply_type(c, &c->argv[1], OBJ_ZSET, &wrongtype);
    if (wrongtype) return;
    if (!z) {
        reply_array(c, 0);
        return;
    }
    unsigned long size = zset_length(z), count;
    int uniq = 1;
    if (l >= 0) {
        count = (unsigned long)l;
    } else {
        count = (unsigned long)-l;
        uniq = 0;
    }
    if (count == 0) {
        reply_array(c, 0);
        return;
    }
    const char *m;
    size_t len;
    double score;
    /* repetitions allowed: independent draws, in random order */
    if (!uniq || count == 1) {
        reply_array(c, withscores && c->resp == 2 ? (long long)count * 2 : (long long)count);
        while (count--) {
            s_random_member(z, &m, &len, &score);
            s_reply_pick(c, m, len, score, withscores);
        }
        return;
    }
    unsigned long n = count < size ? count : size;
    reply_array(c, withscores && c->resp == 2 ? (long long)n * 2 : (long long)n);
    /* the whole set: Redis walks it from the highest score down */
    if (count >= size) {
        zset_iter_t it;
        zset_iter_rank(&it, z, 0, 1);
        while (zset_iter_next(&it, &m, &len, &score))
            s_reply_pick(c, m, len, score, withscores);
        return;
    }
    /* count distinct ranks: a partial Fisher-Yates shuffle when count is a large part of the
     * set, rejection sampling into a small open-addressing table otherwise */
    unsigned long *ranks = s_xmalloc(count * sizeof *ranks);
    if (count * 3 > size) {
        unsigned long *all = s_xmalloc(size * sizeof *all);
        for (unsigned long i = 0; i < size; i++)
            all[i] = i;
        for (unsigned long i = 0; i < count; i++) {
            unsigned long j = i + (unsigned long)(rand_u64() % (size - i));
            unsigned long t = all[i];
            all[i] = all[j];
            all[j] = t;
            ranks[i] = all[i];
        }
        free(all);
    } else {
        unsigned long cap = 16;
        while (cap < count * 2)
            cap <<= 1;
        unsigned long *seen = s_xmalloc(cap * sizeof *seen);
        for (unsigned long i = 0; i < cap; i++)
            seen[i] = ULONG_MAX;
        unsigned long got = 0;
        while (got < count) {
            unsigned long r = (unsigned long)(rand_u64() % size);
            unsigned long h = (unsigned long)((r * 0x9e3779b97f4a7c15ULL) >> 7) & (cap - 1);
            while (seen[h] != ULONG_MAX && seen[h] != r)
                h = (h + 1) & (cap - 1);
            if (seen[h] == r) continue;
            seen[h] = r;
            ranks[got++] = r;
        }
        free(seen);
    }
    for (unsigned long i = 0; i < count; i++) {
        zset_iter_t it;
        zset_iter_rank(&it, z, ranks[i], 0);
        if (zset_iter_next(&it, &m, &len, &score)) s_reply_pick(c, m, len, score, withscores);
    }
    free(ranks);
}

static void cmd_zrandmember(client_t *c) {
    if (c->argc >= 3) {
        long long l;
        if (arg_range_or_reply(c, &c->argv[2], -LONG_MAX, LONG_MAX, &l, NULL)) return;
        int withscores = 0;
        if (c->argc > 4 || (c->argc == 4 && !arg_is(&c->argv[3], "withscores"))) {
            reply_error(c, ERR_SYNTAX);
            return;
        }
        if (c->argc == 4) {
            withscores = 1;
            /* the reply would hold twice as many items as a long can count */
            if (l < -LONG_MAX / 2 || l > LONG_MAX / 2) {
                reply_error(c, "value is out of range");
                return;
            }
        }
        s_zrandmember_count(c, l, withscores);
        return;
    }
    int wrongtype;
    vobj_t *z = lookup_read_or_reply_type(c, &c->argv[1], OBJ_ZSET, &wrongtype);
    if (wrongtype) return;
    if (!z) {
        reply_null(c);
        return;
    }
    const char *m;
    size_t len;
    double score;
    s_random_member(z, &m, &len, &score);
    reply_bulk(c, m, len);
}

/* ===================== ZUNION, ZINTER, ZDIFF (+STORE), ZINTERCARD ===================== */

/* An input of a set operation: a sorted set, a set (every member scoring 1) or a missing
 * key (empty). */
typedef struct {
    const vobj_t *obj;
    double weight;
    unsigned long len;
    int pos; /* argument order, to keep the sort by size stable */
} s_src_t;

enum { AGG_SUM = 0, AGG_MIN = 1, AGG_MAX = 2 };
enum { OP_UNION = 0, OP_INTER = 1, OP_DIFF = 2 };

/* Walks any input: sorted sets from the highest score down (as Redis does), sets in their
 * own order. */
typedef struct {
    const s_src_t *src;
    zset_iter_t zi;
    set_iter_t si;
    char buf[24];
} s_src_iter_t;

static void s_src_iter_init(s_src_iter_t *it, const s_src_t *src) {
    it->src = src;
    if (!src->obj) return;
    if (src->obj->type == OBJ_ZSET)
        zset_iter_rank(&it->zi, src->obj, 0, 1);
    else
        set_iter_init(&it->si, src->obj);
}

static int s_src_iter_next(s_src_iter_t *it, const char **m, size_t *len, double *score) {
    if (!it->src->obj) return 0;
    if (it->src->obj->type == OBJ_ZSET) return zset_iter_next(&it->zi, m, len, score);
    set_member_t sm;
    if (!set_iter_next(&it->si, &sm)) return 0;
    *m = set_member_str(&sm, it->buf, len);
    *score = 1.0;
    return 1;
}

static void s_src_iter_done(s_src_iter_t *it) {
    if (it->src->obj && it->src->obj->type == OBJ_SET) set_iter_done(&it->si);
}

/* 1 with *score set when the member is in the input. */
static int s_src_find(const s_src_t *src, const char *m, size_t len, double *score) {
    if (!src->obj) return 0;
    if (src->obj->type == OBJ_ZSET) return zset_score(src->obj, m, len, score) == 0;
    if (!set_type_is_member(src->obj, m, len)) return 0;
    *score = 1.0;
    return 1;
}

static int s_src_cmp(const void *a, const void *b) {
    const s_src_t *x = a, *y = b;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->pos - y->pos;
}

static inline void s_aggregate(double *target, double v, int agg) {
    if (agg == AGG_SUM) {
        *target += v;
        /* inf + -inf: Redis settles on 0 */
        if (isnan(*target)) *target = 0.0;
    } else if (agg == AGG_MIN) {
        *target = v < *target ? v : *target;
    } else {
        *target = v > *target ? v : *target;
    }
}

/* Adds a member known to be absent to the result, tracking the sizes Redis uses to decide
 * whether a stored result fits a listpack. */
static void s_result_add(zsk_t *res, const char *m, size_t len, double score, size_t *maxlen,
                         size_t *totlen) {
    s_zsk_insert(res, m, len, score);
    if (len > *maxlen) *maxlen = len;
    *totlen += len;
}

static void s_setop_generic(client_t *c, const proto_arg_t *dstkey, int numkeys_idx, int op,
                            int cardinality_only) {
    engine_t *e = c->eng;
    long long setnum;
    if (arg_ll_or_reply(c, &c->argv[numkeys_idx], &setnum, NULL)) return;
    if (setnum < 1) {
        reply_errorf(c, "at least 1 input key is needed for '%s' command", c->cmd->fullname);
        return;
    }
    if (setnum > c->argc - (numkeys_idx + 1)) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    s_src_t *src = s_xmalloc((size_t)setnum * sizeof *src);
    int j = numkeys_idx + 1;
    for (int i = 0; i < setnum; i++, j++) {
        vobj_t *o = db_lookup_read(e, c->db, c->argv[j].ptr, c->argv[j].len);
        if (o && o->type != OBJ_ZSET && o->type != OBJ_SET) {
            free(src);
            reply_error(c, ERR_WRONGTYPE);
            return;
        }
        src[i].obj = o;
        src[i].weight = 1.0;
        src[i].pos = i;
        src[i].len = !o                    ? 0
                     : o->type == OBJ_ZSET ? zset_length(o)
                                           : (unsigned long)set_type_size(o);
    }

    int aggregate = AGG_SUM, withscores = 0;
    long long limit = 0;
    int remaining = c->argc - j;
    while (remaining) {
        const proto_arg_t *a = &c->argv[j];
        if (op != OP_DIFF && !cardinality_only && remaining >= setnum + 1 && arg_is(a, "weights")) {
            j++, remaining--;
            for (int i = 0; i < setnum; i++, j++, remaining--) {
                if (arg_double_or_reply(c, &c->argv[j], &src[i].weight,
                                        "weight value is not a float")) {
                    free(src);
                    return;
                }
            }
        } else if (op != OP_DIFF && !cardinality_only && remaining >= 2 && arg_is(a, "aggregate")) {
            j++, remaining--;
            if (arg_is(&c->argv[j], "sum")) {
                aggregate = AGG_SUM;
            } else if (arg_is(&c->argv[j], "min")) {
                aggregate = AGG_MIN;
            } else if (arg_is(&c->argv[j], "max")) {
                aggregate = AGG_MAX;
            } else {
                free(src);
                reply_error(c, ERR_SYNTAX);
                return;
            }
            j++, remaining--;
        } else if (remaining >= 1 && !dstkey && !cardinality_only && arg_is(a, "withscores")) {
            j++, remaining--;
            withscores = 1;
        } else if (cardinality_only && remaining >= 2 && arg_is(a, "limit")) {
            j++, remaining--;
            if (arg_positive_or_reply(c, &c->argv[j], &limit, "LIMIT can't be negative")) {
                free(src);
                return;
            }
            j++, remaining--;
        } else {
            free(src);
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }

    /* smallest first: fewer lookups for an intersection; the order also fixes in which order
     * a union sums its scores, so it must be Redis's (a stable sort by size) */
    if (op != OP_DIFF) qsort(src, (size_t)setnum, sizeof *src, s_src_cmp);

    zsk_t *res = s_zsk_new();
    size_t maxlen = 0, totlen = 0;
    unsigned long cardinality = 0;
    const char *m;
    size_t len;
    double score;
    if (op == OP_INTER) {
        if (src[0].len > 0) {
            s_src_iter_t it;
            s_src_iter_init(&it, &src[0]);
            while (s_src_iter_next(&it, &m, &len, &score)) {
                double acc = src[0].weight * score, v;
                if (isnan(acc)) acc = 0;
                int k;
                for (k = 1; k < setnum; k++) {
                    if (src[k].obj == src[0].obj) {
                        v = score * src[k].weight;
                    } else if (s_src_find(&src[k], m, len, &v)) {
                        v *= src[k].weight;
                    } else {
                        break;
                    }
                    s_aggregate(&acc, v, aggregate);
                }
                if (k < setnum) continue;
                if (cardinality_only) {
                    cardinality++;
                    if (limit && cardinality >= (unsigned long long)limit) break;
                } else {
                    s_result_add(res, m, len, acc, &maxlen, &totlen);
                }
            }
            s_src_iter_done(&it);
        }
    } else if (op == OP_UNION) {
        /* gather in the dict first, order the nodes once at the end */
        for (int i = 0; i < setnum; i++) {
            if (src[i].len == 0) continue;
            s_src_iter_t it;
            s_src_iter_init(&it, &src[i]);
            while (s_src_iter_next(&it, &m, &len, &score)) {
                double v = src[i].weight * score;
                if (isnan(v)) v = 0;
                zsl_node_t *node = s_zsk_find(res, m, len);
                if (node) {
                    s_aggregate(&node->score, v, aggregate);
                } else {
                    node = zsl_node_new(v, m, len);
                    dict_add(res->dict, node, node);
                    if (len > maxlen) maxlen = len;
                    totlen += len;
                }
            }
            s_src_iter_done(&it);
        }
        dict_iter_t di;
        dict_iter_init(&di, res->dict);
        for (dict_entry_t *de; (de = dict_iter_next(&di));)
            zsl_relink(res->zsl, de->key);
        dict_iter_done(&di);
    } else if (src[0].len > 0) {
        /* difference: members of the first input found in none of the others */
        int same = 0;
        for (int k = 1; k < setnum; k++)
            if (src[k].obj == src[0].obj) same = 1;
        if (!same) {
            s_src_iter_t it;
            s_src_iter_init(&it, &src[0]);
            while (s_src_iter_next(&it, &m, &len, &score)) {
                int found = 0;
                double v;
                for (int k = 1; k < setnum && !found; k++)
                    found = s_src_find(&src[k], m, len, &v);
                if (!found) s_result_add(res, m, len, score, &maxlen, &totlen);
            }
            s_src_iter_done(&it);
        }
    }
    free(src);

    vobj_t *dst = s_zset_obj(ENC_SKIPLIST, res);
    if (dstkey) {
        if (res->zsl->length) {
            zset_convert_to_listpack_if_needed(&e->cfg, dst, maxlen, totlen);
            long long n = (long long)zset_length(dst);
            db_set(e, c->db, dstkey->ptr, dstkey->len, dst, 0);
            reply_int(c, n);
            s_written(c, dstkey,
                      op == OP_UNION   ? "zunionstore"
                      : op == OP_INTER ? "zinterstore"
                                       : "zdiffstore",
                      1);
            return;
        }
        reply_int(c, 0);
        if (db_delete(e, c->db, dstkey->ptr, dstkey->len)) {
            signal_modified_key(e, c->db, dstkey->ptr, dstkey->len);
            s_deleted_event(c, dstkey);
            e->stats.dirty++;
        }
    } else if (cardinality_only) {
        reply_int(c, (long long)cardinality);
    } else {
        unsigned long n = res->zsl->length;
        reply_array(c, withscores && c->resp == 2 ? (long long)n * 2 : (long long)n);
        for (zsl_node_t *node = zsl_first(res->zsl); node; node = zsl_next(node)) {
            if (withscores && c->resp > 2) reply_array(c, 2);
            reply_bulk(c, node->ele.ptr, node->ele.len);
            if (withscores) s_reply_score(c, node->score);
        }
    }
    obj_free(dst);
}

static void cmd_zunionstore(client_t *c) { s_setop_generic(c, &c->argv[1], 2, OP_UNION, 0); }
static void cmd_zinterstore(client_t *c) { s_setop_generic(c, &c->argv[1], 2, OP_INTER, 0); }
static void cmd_zdiffstore(client_t *c) { s_setop_generic(c, &c->argv[1], 2, OP_DIFF, 0); }
static void cmd_zunion(client_t *c) { s_setop_generic(c, NULL, 1, OP_UNION, 0); }
static void cmd_zinter(client_t *c) { s_setop_generic(c, NULL, 1, OP_INTER, 0); }
static void cmd_zdiff(client_t *c) { s_setop_generic(c, NULL, 1, OP_DIFF, 0); }
static void cmd_zintercard(client_t *c) { s_setop_generic(c, NULL, 1, OP_INTER, 1); }

/* ===================== ZSCAN ===================== */

/* A listpack score as Redis keeps it: an integer when it is one (up to +-2^62), else its
 * %.17g text, and that is what ZSCAN hands out. */
static int s_lp_score_str(char *buf, size_t cap, double d) {
    if (d >= (double)(-LLONG_MAX / 2) && d <= (double)(LLONG_MAX / 2) && d == (double)(long long)d)
        return ll_to_str(buf, (long long)d);
    return d_to_str(buf, cap, d);
}

typedef struct {
    const zsl_node_t **nodes;
    size_t n, cap;
} s_scan_list_t;

static void s_scan_collect(void *priv, dict_entry_t *de) {
    s_scan_list_t *l = priv;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->nodes = s_xrealloc(l->nodes, l->cap * sizeof *l->nodes);
    }
    l->nodes[l->n++] = de->key;
}

static void cmd_zscan(client_t *c) {
    uint64_t cursor;
    if (arg_cursor_or_reply(c, &c->argv[2], &cursor)) return;
    int wrongtype;
    vobj_t *z = lookup_read_or_reply_type(c, &c->argv[1], OBJ_ZSET, &wrongtype);
    if (wrongtype) return;
    if (!z) {
        reply_array(c, 2);
        reply_bulk(c, "0", 1);
        reply_array(c, 0);
        return;
    }
    long long count = 10;
    const proto_arg_t *pat;
    if (scan_opts_or_reply(c, 3, &count, &pat, NULL)) return;
    int use_pattern = pat != NULL;
    char buf[128];
    if (z->enc == ENC_LISTPACK) {
        const zpk_t *p = s_pk(z);
        size_t handle = 0;
        reply_array(c, 2);
        reply_bulk(c, "0", 1);
        handle = reply_deferred_len(c);
        long long n = 0;
        for (uint32_t i = 0; i < p->n; i++) {
            size_t len;
            const char *m = s_zpk_member(p, i, &len);
            if (use_pattern && !glob_match(pat->ptr, pat->len, m, len, 0)) continue;
            reply_bulk(c, m, len);
            int sl = s_lp_score_str(buf, sizeof buf, p->slots[i].score);
            reply_bulk(c, buf, (size_t)sl);
            n += 2;
        }
        reply_set_deferred_len(c, handle, n);
        return;
    }
    /* two reply items per member, as Redis counts them */
    const zsk_t *s = s_sk(z);
    count = count > LLONG_MAX / 2 ? LLONG_MAX : count * 2;
    long long maxiter = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
    s_scan_list_t l = {NULL, 0, 0};
    do {
        cursor = dict_scan(s->dict, cursor, s_scan_collect, &l);
    } while (cursor && maxiter-- && (long long)(l.n * 2) < count);
    size_t kept = 0;
    for (size_t i = 0; i < l.n; i++)
        if (!use_pattern ||
            glob_match(pat->ptr, pat->len, l.nodes[i]->ele.ptr, l.nodes[i]->ele.len, 0))
            l.nodes[kept++] = l.nodes[i];
    reply_array(c, 2);
    reply_bulk_ll(c, (long long)cursor);
    reply_array(c, (long long)kept * 2);
    for (size_t i = 0; i < kept; i++) {
        reply_bulk(c, l.nodes[i]->ele.ptr, l.nodes[i]->ele.len);
        int sl = d_to_str(buf, sizeof buf, l.nodes[i]->score);
        reply_bulk(c, buf, (size_t)sl);
    }
    free(l.nodes);
}

/* ===================== the command table ===================== */

/* Rows laid out by hand to stay compact (clang-format would give every field a line). */
// clang-format off
command_t zset_commands[] = {
    {.name = "zadd", .proc = cmd_zadd, .arity = -4, .flags = "write denyoom fast",
     .acl = "sortedset", .keyspecs = "RW update;index:1;range:0,1,0", .group = "sorted-set",
     .since = "1.2.0",
     .summary = "Adds members with scores to a sorted set, or changes the scores of members "
                "already there.",
     .complexity = "O(log(N)) per member given, N being the size of the sorted set.",
     .history = "2.4.0 Several members may be given at once.|3.0.2 Options XX, NX, CH and "
                "INCR.|6.2.0 Options GT and LT.",
     .args = "key:key@0 ?oneof:condition+3.0.2(=NX =XX) ?oneof:comparison+6.2.0(=GT =LT) "
             "?pure-token:change=CH+3.0.2 ?pure-token:increment=INCR+3.0.2 "
             "*block:score_member(double:score string:member)"},
    {.name = "zincrby", .proc = cmd_zincrby, .arity = 4, .flags = "write denyoom fast",
     .acl = "sortedset", .keyspecs = "RW access update;index:1;range:0,1,0",
     .group = "sorted-set", .since = "1.2.0",
     .summary = "Adds an increment to the score of a sorted set member (0 when it is new).",
     .complexity = "O(log(N)), N being the size of the sorted set.",
     .args = "key:key@0 integer:increment string:member"},
    {.name = "zrem", .proc = cmd_zrem, .arity = -3, .flags = "write fast", .acl = "sortedset",
     .keyspecs = "RW delete;index:1;range:0,1,0", .group = "sorted-set", .since = "1.2.0",
     .summary = "Removes members from a sorted set; the key goes away with the last one.",
     .complexity = "O(M*log(N)), M being the number of members given and N the size of the "
                   "sorted set.",
     .history = "2.4.0 Several members may be given at once.",
     .args = "key:key@0 *string:member"},
    {.name = "zscore", .proc = cmd_zscore, .arity = 3, .flags = "readonly fast",
     .acl = "sortedset", .keyspecs = "RO access;index:1;range:0,1,0", .group = "sorted-set",
     .since = "1.2.0", .summary = "Returns the score of a sorted set member.",
     .complexity = "O(1)", .args = "key:key@0 string:member"},
    {.name = "zmscore", .proc = cmd_zmscore, .arity = -3, .flags = "readonly fast",
     .acl = "sortedset", .keyspecs = "RO access;index:1;range:0,1,0", .group = "sorted-set",
     .since = "6.2.0", .summary = "Returns the scores of several sorted set members.",
     .complexity = "O(N), N being the number of members asked for.",
     .args = "key:key@0 *string:member"},
    {.name = "zcard", .proc = cmd_zcard, .arity = 2, .flags = "readonly fast",
     .acl = "sortedset", .keyspecs = "RO;index:1;range:0,1,0", .group = "sorted-set",
     .since = "1.2.0", .summary = "Returns how many members a sorted set has.",
     .complexity = "O(1)", .args = "key:key@0"},
    {.name = "zcount", .proc = cmd_zcount, .arity = 4, .flags = "readonly fast",
     .acl = "sortedset", .keyspecs = "RO access;index:1;range:0,1,0", .group = "sorted-set",
     .since = "2.0.0", .summary = "Counts the sorted set members whose scores fall in an interval.",
     .complexity = "O(log(N)), N being the size of the sorted set.",
     .args = "key:key@0 double:min double:max"},
    {.name = "zlexcount", .proc = cmd_zlexcount, .arity = 4, .flags = "readonly fast",
     .acl = "sortedset", .keyspecs = "RO access;index:1;range:0,1,0", .group = "sorted-set",
     .since = "2.8.9",
     .summary = "Counts the sorted set members between two members in lexicographic order.",
     .complexity = "O(log(N)), N being the size of the sorted set.",
     .args = "key:key@0 string:min string:max"},
    {.name = "zrank", .proc = cmd_zrank, .arity = 3, .flags = "readonly fast",
     .acl = "sortedset", .keyspecs = "RO access;index:1;range:0,1,0", .group = "sorted-set",
     .since = "2.0.0",
     .summary = "Returns the position of a member in a sorted set, lowest score first.",
     .complexity = "O(log(N))", .args = "key:key@0 string:member"},
    {.name = "zrevrank", .proc = cmd_zrevrank, .arity = 3, .flags = "readonly fast",
     .acl = "sortedset", .keyspecs = "RO access;index:1;range:0,1,0", .group = "sorted-set",
     .since = "2.0.0",
     .summary = "Returns the position of a member in a sorted set, highest score first.",
     .complexity = "O(log(N))", .args = "key:key@0 string:member"},
    {.name = "zrange", .proc = cmd_zrange, .arity = -4, .flags = "readonly", .acl = "sortedset",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "sorted-set", .since = "1.2.0",
     .summary = "Returns sorted set members by position, score or lexicographic interval.",
     .complexity = "O(log(N)+M), N being the size of the sorted set and M the number of "
                   "members returned.",
     .history = "6.2.0 Options REV, BYSCORE, BYLEX and LIMIT.",
     .args = "key:key@0 string:start string:stop ?oneof:sortby+6.2.0(=BYSCORE =BYLEX) "
             "?=REV+6.2.0 ?block:offset_count=LIMIT+6.2.0(integer:offset integer:count) "
             "?=WITHSCORES"},
    {.name = "zrangestore", .proc = cmd_zrangestore, .arity = -5, .flags = "write denyoom",
     .acl = "sortedset",
     .keyspecs = "OW update;index:1;range:0,1,0|RO access;index:2;range:0,1,0",
     .group = "sorted-set", .since = "6.2.0",
     .summary = "Stores a range of a sorted set's members, as ZRANGE selects them, at another "
                "key.",
     .complexity = "O(log(N)+M), N being the size of the source and M the number of members "
                   "stored.",
     .args = "key:dst@0 key:src@1 string:min string:max ?oneof:sortby(=BYSCORE =BYLEX) ?=REV "
             "?block:offset_count=LIMIT(integer:offset integer:count)"},
    {.name = "zrangebyscore", .proc = cmd_zrangebyscore, .arity = -4, .flags = "readonly",
     .acl = "sortedset", .keyspecs = "RO access;index:1;range:0,1,0", .group = "sorted-set",
     .since = "1.0.5",
     .summary = "Returns the sorted set members whose scores fall in an interval, lowest first.",
     .complexity = "O(log(N)+M), N being the size of the sorted set and M the number of "
                   "members returned; with a constant LIMIT count that is O(log(N)).",
     .history = "2.0.0 Option WITHSCORES.", .doc_flags = "deprecated",
     .deprecated_since = "6.2.0", .replaced_by = "`ZRANGE` with its `BYSCORE` option",
     .args = "key:key@0 double:min double:max ?=WITHSCORES+2.0.0 "
             "?block:offset_count=LIMIT(integer:offset integer:count)"},
    {.name = "zrevrangebyscore", .proc = cmd_zrevrangebyscore, .arity = -4,
     .flags = "readonly", .acl = "sortedset", .keyspecs = "RO access;index:1;range:0,1,0",
     .group = "sorted-set", .since = "2.2.0",
     .summary = "Returns the sorted set members whose scores fall in an interval, highest "
                "first.",
     .complexity = "O(log(N)+M), N being the size of the sorted set and M the number of "
                   "members returned; with a constant LIMIT count that is O(log(N)).",
     .history = "2.1.6 The bounds may be exclusive.", .doc_flags = "deprecated",
     .deprecated_since = "6.2.0", .replaced_by = "`ZRANGE` with its `REV` and `BYSCORE` options",
     .args = "key:key@0 double:max double:min ?=WITHSCORES "
             "?block:offset_count=LIMIT(integer:offset integer:count)"},
    {.name = "zrangebylex", .proc = cmd_zrangebylex, .arity = -4, .flags = "readonly",
     .acl = "sortedset", .keyspecs = "RO access;index:1;range:0,1,0", .group = "sorted-set",
     .since = "2.8.9",
     .summary = "Returns the sorted set members between two members in lexicographic order.",
     .complexity = "O(log(N)+M), N being the size of the sorted set and M the number of "
                   "members returned; with a constant LIMIT count that is O(log(N)).",
     .doc_flags = "deprecated", .deprecated_since = "6.2.0",
     .replaced_by = "`ZRANGE` with its `BYLEX` option",
     .args = "key:key@0 string:min string:max "
             "?block:offset_count=LIMIT(integer:offset integer:count)"},
    {.name = "zrevrangebylex", .proc = cmd_zrevrangebylex, .arity = -4, .flags = "readonly",
     .acl = "sortedset", .keyspecs = "RO access;index:1;range:0,1,0", .group = "sorted-set",
     .since = "2.8.9",
     .summary = "Returns the sorted set members between two members in reverse lexicographic "
                "order.",
     .complexity = "O(log(N)+M), N being the size of the sorted set and M the number of "
                   "members returned; with a constant LIMIT count that is O(log(N)).",
     .doc_flags = "deprecated", .deprecated_since = "6.2.0",
     .replaced_by = "`ZRANGE` with its `REV` and `BYLEX` options",
     .args = "key:key@0 string:max string:min "
             "?block:offset_count=LIMIT(integer:offset integer:count)"},
    {.name = "zrevrange", .proc = cmd_zrevrange, .arity = -4, .flags = "readonly",
     .acl = "sortedset", .keyspecs = "RO access;index:1;range:0,1,0", .group = "sorted-set",
     .since = "1.2.0",
     .summary = "Returns sorted set members by position, highest score first.",
     .complexity = "O(log(N)+M), N being the size of the sorted set and M the number of "
                   "members returned.",
     .doc_flags = "deprecated", .deprecated_since = "6.2.0",
     .replaced_by = "`ZRANGE` with its `REV` option",
     .args = "key:key@0 integer:start integer:stop ?=WITHSCORES"},
    {.name = "zremrangebyrank", .proc = cmd_zremrangebyrank, .arity = 4, .flags = "write",
     .acl = "sortedset", .keyspecs = "RW delete;index:1;range:0,1,0", .group = "sorted-set",
     .since = "2.0.0", .summary = "Removes the sorted set members between two positions.",
     .complexity = "O(log(N)+M), N being the size of the sorted set and M the number of "
                   "members removed.",
     .args = "key:key@0 integer:start integer:stop"},
    {.name = "zremrangebyscore", .proc = cmd_zremrangebyscore, .arity = 4, .flags = "write",
     .acl = "sortedset", .keyspecs = "RW delete;index:1;range:0,1,0", .group = "sorted-set",
     .since = "1.2.0",
     .summary = "Removes the sorted set members whose scores fall in an interval.",
     .complexity = "O(log(N)+M), N being the size of the sorted set and M the number of "
                   "members removed.",
     .args = "key:key@0 double:min double:max"},
    {.name = "zremrangebylex", .proc = cmd_zremrangebylex, .arity = 4, .flags = "write",
     .acl = "sortedset", .keyspecs = "RW delete;index:1;range:0,1,0", .group = "sorted-set",
     .since = "2.8.9",
     .summary = "Removes the sorted set members between two members in lexicographic order.",
     .complexity = "O(log(N)+M), N being the size of the sorted set and M the number of "
                   "members removed.",
     .args = "key:key@0 string:min string:max"},
    {.name = "zpopmin", .proc = cmd_zpopmin, .arity = -2, .flags = "write fast",
     .acl = "sortedset", .keyspecs = "RW access delete;index:1;range:0,1,0",
     .group = "sorted-set", .since = "5.0.0",
     .summary = "Removes and returns the members with the lowest scores.",
     .complexity = "O(log(N)*M), N being the size of the sorted set and M the number of "
                   "members popped.",
     .args = "key:key@0 ?integer:count"},
    {.name = "zpopmax", .proc = cmd_zpopmax, .arity = -2, .flags = "write fast",
     .acl = "sortedset", .keyspecs = "RW access delete;index:1;range:0,1,0",
     .group = "sorted-set", .since = "5.0.0",
     .summary = "Removes and returns the members with the highest scores.",
     .complexity = "O(log(N)*M), N being the size of the sorted set and M the number of "
                   "members popped.",
     .args = "key:key@0 ?integer:count"},
    {.name = "zmpop", .proc = cmd_zmpop, .arity = -4, .flags = "write", .acl = "sortedset",
     .keyspecs = "RW access delete;index:1;keynum:0,1,1", .group = "sorted-set",
     .since = "7.0.0",
     .summary = "Pops members by score from the first non-empty sorted set among several keys.",
     .complexity = "O(K) + O(M*log(N)), K being the number of keys given, N the size of the "
                   "sorted set and M the number of members popped.",
     .args = "integer:numkeys *key:key@0 oneof:where(=MIN =MAX) ?integer:count=COUNT"},
    {.name = "zrandmember", .proc = cmd_zrandmember, .arity = -2, .flags = "readonly",
     .acl = "sortedset", .keyspecs = "RO access;index:1;range:0,1,0",
     .tips = "nondeterministic_output", .group = "sorted-set", .since = "6.2.0",
     .summary = "Returns random members of a sorted set, with or without repetitions.",
     .complexity = "O(N), N being the number of members returned.",
     .args = "key:key@0 ?block:options(integer:count ?=WITHSCORES)"},
    {.name = "zunion", .proc = cmd_zunion, .arity = -3, .flags = "readonly",
     .acl = "sortedset", .keyspecs = "RO access;index:1;keynum:0,1,1", .group = "sorted-set",
     .since = "6.2.0",
     .summary = "Returns the union of sorted sets, with combined scores.",
     .complexity = "O(N)+O(M*log(M)), N being the total size of the inputs and M the size of "
                   "the result.",
     .args = "integer:numkeys *key:key@0 ?*integer:weight=WEIGHTS "
             "?oneof:aggregate=AGGREGATE(=SUM =MIN =MAX) ?=WITHSCORES"},
    {.name = "zinter", .proc = cmd_zinter, .arity = -3, .flags = "readonly",
     .acl = "sortedset", .keyspecs = "RO access;index:1;keynum:0,1,1", .group = "sorted-set",
     .since = "6.2.0",
     .summary = "Returns the intersection of sorted sets, with combined scores.",
     .complexity = "O(N*K)+O(M*log(M)) at worst, N being the size of the smallest input, K the "
                   "number of inputs and M the size of the result.",
     .args = "integer:numkeys *key:key@0 ?*integer:weight=WEIGHTS "
             "?oneof:aggregate=AGGREGATE(=SUM =MIN =MAX) ?=WITHSCORES"},
    {.name = "zdiff", .proc = cmd_zdiff, .arity = -3, .flags = "readonly", .acl = "sortedset",
     .keyspecs = "RO access;index:1;keynum:0,1,1", .group = "sorted-set", .since = "6.2.0",
     .summary = "Returns the members of the first sorted set found in none of the others.",
     .complexity = "O(L + (N-K)log(N)) at worst, L being the total size of the inputs, N the "
                   "size of the first and K the size of the result.",
     .args = "integer:numkeys *key:key@0 ?=WITHSCORES"},
    {.name = "zunionstore", .proc = cmd_zunionstore, .arity = -4, .flags = "write denyoom",
     .acl = "sortedset",
     .keyspecs = "OW update;index:1;range:0,1,0|RO access;index:2;keynum:0,1,1",
     .group = "sorted-set", .since = "2.0.0",
     .summary = "Stores the union of sorted sets, with combined scores, at a key.",
     .complexity = "O(N)+O(M log(M)), N being the total size of the inputs and M the size of "
                   "the result.",
     .args = "key:destination@0 integer:numkeys *key:key@1 ?*integer:weight=WEIGHTS "
             "?oneof:aggregate=AGGREGATE(=SUM =MIN =MAX)"},
    {.name = "zinterstore", .proc = cmd_zinterstore, .arity = -4, .flags = "write denyoom",
     .acl = "sortedset",
     .keyspecs = "OW update;index:1;range:0,1,0|RO access;index:2;keynum:0,1,1",
     .group = "sorted-set", .since = "2.0.0",
     .summary = "Stores the intersection of sorted sets, with combined scores, at a key.",
     .complexity = "O(N*K)+O(M*log(M)) at worst, N being the size of the smallest input, K the "
                   "number of inputs and M the size of the result.",
     .args = "key:destination@0 integer:numkeys *key:key@1 ?*integer:weight=WEIGHTS "
             "?oneof:aggregate=AGGREGATE(=SUM =MIN =MAX)"},
    {.name = "zdiffstore", .proc = cmd_zdiffstore, .arity = -4, .flags = "write denyoom",
     .acl = "sortedset",
     .keyspecs = "OW update;index:1;range:0,1,0|RO access;index:2;keynum:0,1,1",
     .group = "sorted-set", .since = "6.2.0",
     .summary = "Stores the members of the first sorted set found in none of the others at a "
                "key.",
     .complexity = "O(L + (N-K)log(N)) at worst, L being the total size of the inputs, N the "
                   "size of the first and K the size of the result.",
     .args = "key:destination@0 integer:numkeys *key:key@1"},
    {.name = "zintercard", .proc = cmd_zintercard, .arity = -3, .flags = "readonly",
     .acl = "sortedset", .keyspecs = "RO access;index:1;keynum:0,1,1", .group = "sorted-set",
     .since = "7.0.0",
     .summary = "Counts the members of the intersection of sorted sets, optionally stopping at "
                "a limit.",
     .complexity = "O(N*K) at worst, N being the size of the smallest input and K the number of "
                   "inputs.",
     .args = "integer:numkeys *key:key@0 ?integer:limit=LIMIT"},
    {.name = "zscan", .proc = cmd_zscan, .arity = -3, .flags = "readonly", .acl = "sortedset",
     .keyspecs = "RO access;index:1;range:0,1,0", .tips = "nondeterministic_output",
     .group = "sorted-set", .since = "2.8.0",
     .summary = "Iterates over the members and scores of a sorted set with a cursor.",
     .complexity = "O(1) per call; a full iteration is O(N), N being the size of the sorted set.",
     .args = "key:key@0 integer:cursor ?pattern:pattern=MATCH ?integer:count=COUNT"},
    {0}};
// clang-format on
