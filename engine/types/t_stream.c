/* The stream type (see t_stream.h) and its commands: XADD XRANGE XREVRANGE XLEN XDEL XTRIM
 * XSETID XINFO XREAD XGROUP XREADGROUP XACK XPENDING XCLAIM XAUTOCLAIM. */
#include "engine/types/t_stream.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/blocking.h"
#include "engine/commands.h"
#include "engine/effects.h"
#include "engine/multi.h"
#include "engine/snapshot.h"
#include "shared/util.h"

void (*stream_block_hook)(client_t *c, const stream_read_req_t *req);

/* Redis's stream-node-max-bytes / stream-node-max-entries defaults (not configurable here). */
/* stream-node-max-bytes / -entries (CONFIG; 0 = no limit), Redis's defaults */
static long long s_node_max_bytes = 4096, s_node_max_entries = 100;
#define STREAM_LISTPACK_MAX_SIZE (1LL << 30) /* a node never grows past this, as in Redis */

void stream_set_node_limits(long long max_bytes, long long max_entries) {
    s_node_max_bytes = max_bytes;
    s_node_max_entries = max_entries;
}

static const stream_id_t s_id_min = {0, 0};
static const stream_id_t s_id_max = {UINT64_MAX, UINT64_MAX};

/* ===================== entries and the node model ===================== */

/* Redis keeps entries in listpacks of at most 100 entries / 4096 bytes hung off a radix
 * tree; which entries share a node decides what `~` trimming removes and what XINFO reports.
 * We keep the entries in an ordered map and, beside it, only the nodes' bookkeeping: their
 * master ID and fields, live/deleted counts and the listpack byte size. */
struct stream_node {
    stream_id_t master_id, last_id;
    uint64_t live, deleted;
    size_t base_bytes; /* listpack bytes except the live/deleted counters */
    int nmaster;
    char *master; /* nmaster fields packed as [u32 len][bytes] */
    size_t master_len;
    stream_node_t *prev, *next;
};

typedef struct stream_entry {
    stream_node_t *node;
    uint32_t nfields;
    uint32_t len;
    char data[]; /* 2*nfields strings packed as [u32 len][bytes] */
} stream_entry_t;

static void *s_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) abort();
    return p;
}

static void *s_xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) abort();
    return p;
}

/* ---------- listpack sizes, as listpack.c encodes ---------- */

static size_t s_lp_backlen(size_t l) {
    return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

static size_t s_lp_int(int64_t v) {
    size_t l;
    if (v >= 0 && v <= 127)
        l = 1;
    else if (v >= -4096 && v <= 4095)
        l = 2;
    else if (v >= -32768 && v <= 32767)
        l = 3;
    else if (v >= -8388608 && v <= 8388607)
        l = 4;
    else if (v >= INT32_MIN && v <= INT32_MAX)
        l = 5;
    else
        l = 9;
    return l + s_lp_backlen(l);
}

static size_t s_lp_str(const char *p, size_t len) {
    long long v;
    if (len <= 20 && str_to_ll(p, len, &v)) return s_lp_int(v);
    size_t l = len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len;
    return l + s_lp_backlen(l);
}

static size_t s_node_bytes(const stream_node_t *n) {
    return n->base_bytes + s_lp_int((int64_t)n->live) + s_lp_int((int64_t)n->deleted);
}

/* ---------- packed strings ---------- */

static size_t s_pack(char *dst, const char *p, size_t len) {
    uint32_t l = (uint32_t)len;
    memcpy(dst, &l, 4);
    memcpy(dst + 4, p, len);
    return 4 + len;
}

static const char *s_unpack(const char *src, size_t *len) {
    uint32_t l;
    memcpy(&l, src, 4);
    *len = l;
    return src + 4;
}

/* Walks an entry's strings: call with *off = 0. */
static const char *s_entry_next(const stream_entry_t *e, size_t *off, size_t *len) {
    const char *p = s_unpack(e->data + *off, len);
    *off += 4 + *len;
    return p;
}

/* ---------- the stream object ---------- */

static stream_t *s_stream_new(void) {
    stream_t *s = calloc(1, sizeof(*s));
    if (!s) abort();
    s->entries = idm_new();
    return s;
}

vobj_t *stream_type_create(void) {
    vobj_t *o = s_xmalloc(sizeof(*o));
    memset(o, 0, sizeof(*o));
    o->type = OBJ_STREAM;
    o->enc = ENC_STREAM;
    o->v.p = s_stream_new();
    return o;
}

stream_id_t stream_first_id(const stream_t *s) {
    idm_node_t *n = idm_first(s->entries);
    return n ? n->id : s_id_min;
}

stream_id_t stream_last_valid_id(const stream_t *s) {
    idm_node_t *n = idm_last(s->entries);
    return n ? n->id : s_id_min;
}

static void s_node_unlink(stream_t *s, stream_node_t *n) {
    if (n->prev) n->prev->next = n->next; else s->head = n->next;
    if (n->next) n->next->prev = n->prev; else s->tail = n->prev;
    s->nnodes--;
    free(n->master);
    free(n);
}

static int s_id_incr(stream_id_t *id) {
    if (id->seq == UINT64_MAX) {
        if (id->ms == UINT64_MAX) {
            id->ms = id->seq = 0;
            return -1;
        }
        id->ms++;
        id->seq = 0;
    } else {
        id->seq++;
    }
    return 0;
}

static int s_id_decr(stream_id_t *id) {
    if (id->seq == 0) {
        if (id->ms == 0) {
            id->ms = id->seq = UINT64_MAX;
            return -1;
        }
        id->ms--;
        id->seq = UINT64_MAX;
    } else {
        id->seq--;
    }
    return 0;
}

int stream_append(stream_t *s, const proto_arg_t *args, int nfields, const stream_id_t *use_id,
                  int seq_given, int64_t now_ms, stream_id_t *out) {
    stream_id_t id;
    if (use_id) {
        if (seq_given) {
            id = *use_id;
        } else if (s->last_id.ms == use_id->ms) {
            /* "ms-*": continue the sequence of the last ID */
            if (s->last_id.seq == UINT64_MAX) return -2;
            id = s->last_id;
            id.seq++;
        } else {
            id = *use_id;
        }
    } else {
        uint64_t ms = (uint64_t)now_ms;
        if (ms > s->last_id.ms) {
            id.ms = ms;
            id.seq = 0;
        } else {
            id = s->last_id;
            s_id_incr(&id);
        }
    }
    if (idm_cmp(id, s->last_id) <= 0) return -1;

    size_t totlen = 0, datalen = 0;
    for (int i = 0; i < nfields * 2; i++) {
        totlen += args[i].len;
        datalen += 4 + args[i].len;
    }
    stream_node_t *n = s->tail;
    long long max_bytes = s_node_max_bytes;
    if (max_bytes == 0 || max_bytes > STREAM_LISTPACK_MAX_SIZE) max_bytes = STREAM_LISTPACK_MAX_SIZE;
    if (n && ((long long)(s_node_bytes(n) + totlen) >= max_bytes ||
              (s_node_max_entries && n->live + n->deleted >= s_node_max_entries)))
        n = NULL;
    int same = 0;
    if (!n) {
        n = calloc(1, sizeof(*n));
        if (!n) abort();
        n->master_id = id;
        n->nmaster = nfields;
        size_t mlen = 0;
        for (int i = 0; i < nfields; i++) mlen += 4 + args[2 * i].len;
        n->master = s_xmalloc(mlen);
        n->master_len = mlen;
        size_t off = 0;
        n->base_bytes = 7 + s_lp_int(nfields) + s_lp_int(0);
        for (int i = 0; i < nfields; i++) {
            off += s_pack(n->master + off, args[2 * i].ptr, args[2 * i].len);
            n->base_bytes += s_lp_str(args[2 * i].ptr, args[2 * i].len);
        }
        n->prev = s->tail;
        if (s->tail) s->tail->next = n; else s->head = n;
        s->tail = n;
        s->nnodes++;
        same = 1;
    } else if (n->nmaster == nfields) {
        size_t off = 0;
        int i;
        for (i = 0; i < nfields; i++) {
            size_t l;
            const char *p = s_unpack(n->master + off, &l);
            off += 4 + l;
            if (l != args[2 * i].len || memcmp(p, args[2 * i].ptr, l) != 0) break;
        }
        same = i == nfields;
    }
    size_t add = s_lp_int(same ? 2 : 0) + s_lp_int((int64_t)(id.ms - n->master_id.ms)) +
                 s_lp_int((int64_t)(id.seq - n->master_id.seq));
    if (!same) add += s_lp_int(nfields);
    for (int i = 0; i < nfields; i++) {
        if (!same) add += s_lp_str(args[2 * i].ptr, args[2 * i].len);
        add += s_lp_str(args[2 * i + 1].ptr, args[2 * i + 1].len);
    }
    add += s_lp_int(nfields + 3 + (same ? 0 : nfields + 1));
    n->base_bytes += add;
    n->live++;
    n->last_id = id;

    stream_entry_t *e = s_xmalloc(sizeof(*e) + datalen);
    e->node = n;
    e->nfields = (uint32_t)nfields;
    e->len = (uint32_t)datalen;
    size_t off = 0;
    for (int i = 0; i < nfields * 2; i++) off += s_pack(e->data + off, args[i].ptr, args[i].len);
    idm_insert(s->entries, id, e);
    s->last_id = id;
    s->entries_added++;
    if (out) *out = id;
    return 0;
}

/* Removes a live entry from the map, marking it deleted in its node; the node goes when its
 * last live entry goes and drop_empty is set (XDEL does, trimming inside a node does not). */
static void s_remove_entry(stream_t *s, stream_id_t id, int drop_empty) {
    void *v = NULL;
    if (!idm_delete(s->entries, id, &v)) return;
    stream_entry_t *e = v;
    stream_node_t *n = e->node;
    n->live--;
    n->deleted++;
    if (drop_empty && n->live == 0) s_node_unlink(s, n);
    free(e);
}

int stream_delete(stream_t *s, stream_id_t id) {
    if (!idm_find(s->entries, id)) return 0;
    s_remove_entry(s, id, 1);
    if (idm_cmp(id, s->max_deleted_id) > 0) s->max_deleted_id = id;
    return 1;
}

int stream_entry_exists(const stream_t *s, stream_id_t id) {
    return idm_find(s->entries, id) != NULL;
}

int64_t stream_trim(stream_t *s, int strategy, long long maxlen, stream_id_t minid, int approx,
                    long long limit) {
    if (strategy == STREAM_TRIM_NONE) return 0;
    int64_t deleted = 0;
    stream_node_t *n = s->head;
    while (n) {
        uint64_t len = stream_length(s);
        if (strategy == STREAM_TRIM_MAXLEN && len <= (uint64_t)maxlen) break;
        int64_t entries = (int64_t)n->live;
        if (limit && deleted + entries > limit) break;
        int remove_node;
        if (strategy == STREAM_TRIM_MAXLEN)
            remove_node = len - (uint64_t)entries >= (uint64_t)maxlen;
        else
            remove_node = idm_cmp(n->last_id, minid) < 0;
        if (remove_node) {
            idm_node_t *x = idm_seek_ge(s->entries, n->master_id);
            while (x && ((stream_entry_t *)x->val)->node == n) {
                idm_node_t *nx = idm_next(x);
                free(x->val);
                idm_delete(s->entries, x->id, NULL);
                x = nx;
            }
            stream_node_t *next = n->next;
            s_node_unlink(s, n);
            deleted += entries;
            n = next;
            continue;
        }
        if (approx) break;
        idm_node_t *x = idm_seek_ge(s->entries, n->master_id);
        while (x && ((stream_entry_t *)x->val)->node == n) {
            int stop = strategy == STREAM_TRIM_MAXLEN ? stream_length(s) <= (uint64_t)maxlen
                                                      : idm_cmp(x->id, minid) >= 0;
            if (stop) break;
            idm_node_t *nx = idm_next(x);
            s_remove_entry(s, x->id, 0);
            deleted++;
            x = nx;
        }
        break;
    }
    return deleted;
}

/* ---------- consumer groups ---------- */

/* Redis orders group and consumer names as its rax does: bytewise, a prefix first. */
static int s_name_cmp(const char *a, size_t alen, const char *b, size_t blen) {
    int r = memcmp(a, b, alen < blen ? alen : blen);
    if (r) return r;
    return alen < blen ? -1 : alen > blen;
}

/* Binary search in an array of pointers to structs whose first member is a vstr_t *name. */
static size_t s_name_search(void *const *arr, size_t n, const char *name, size_t len,
                            int *found) {
    size_t lo = 0, hi = n;
    *found = 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const vstr_t *m = *(vstr_t *const *)arr[mid];
        int r = s_name_cmp(m->ptr, m->len, name, len);
        if (r == 0) {
            *found = 1;
            return mid;
        }
        if (r < 0) lo = mid + 1; else hi = mid;
    }
    return lo;
}

static void s_array_insert(void ***arr, size_t *n, size_t *cap, size_t at, void *item) {
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        *arr = s_xrealloc(*arr, *cap * sizeof(void *));
    }
    memmove(*arr + at + 1, *arr + at, (*n - at) * sizeof(void *));
    (*arr)[at] = item;
    (*n)++;
}

static void s_array_remove(void **arr, size_t *n, size_t at) {
    memmove(arr + at, arr + at + 1, (*n - at - 1) * sizeof(void *));
    (*n)--;
}

stream_cg_t *stream_lookup_group(const stream_t *s, const char *name, size_t len) {
    int found;
    size_t at = s_name_search((void *const *)s->groups, s->ngroups, name, len, &found);
    return found ? s->groups[at] : NULL;
}

/* NULL when a group of that name exists. */
static stream_cg_t *s_group_create(stream_t *s, const char *name, size_t len, stream_id_t id,
                                   long long entries_read) {
    int found;
    size_t at = s_name_search((void *const *)s->groups, s->ngroups, name, len, &found);
    if (found) return NULL;
    stream_cg_t *cg = calloc(1, sizeof(*cg));
    if (!cg) abort();
    cg->name = vstr_new(name, len);
    cg->last_id = id;
    cg->entries_read = entries_read;
    cg->pel = idm_new();
    s_array_insert((void ***)&s->groups, &s->ngroups, &s->capgroups, at, cg);
    return cg;
}

static void s_consumer_free(stream_consumer_t *sc) {
    idm_free(sc->pel, NULL);
    vstr_free(sc->name);
    free(sc);
}

static void s_group_free(stream_cg_t *cg) {
    idm_free(cg->pel, free);
    for (size_t i = 0; i < cg->nconsumers; i++) s_consumer_free(cg->consumers[i]);
    free(cg->consumers);
    vstr_free(cg->name);
    free(cg);
}

static stream_consumer_t *s_consumer_lookup(const stream_cg_t *cg, const char *name, size_t len) {
    int found;
    size_t at = s_name_search((void *const *)cg->consumers, cg->nconsumers, name, len, &found);
    return found ? cg->consumers[at] : NULL;
}

/* NULL when it exists already. */
static stream_consumer_t *s_consumer_create(stream_cg_t *cg, const char *name, size_t len,
                                            int64_t now) {
    int found;
    size_t at = s_name_search((void *const *)cg->consumers, cg->nconsumers, name, len, &found);
    if (found) return NULL;
    stream_consumer_t *sc = calloc(1, sizeof(*sc));
    if (!sc) abort();
    sc->name = vstr_new(name, len);
    sc->seen_time = now;
    sc->pel = idm_new();
    s_array_insert((void ***)&cg->consumers, &cg->nconsumers, &cg->capconsumers, at, sc);
    return sc;
}

static void s_consumer_delete(stream_cg_t *cg, stream_consumer_t *sc) {
    for (idm_node_t *x = idm_first(sc->pel); x; x = idm_next(x)) {
        void *nack = NULL;
        idm_delete(cg->pel, x->id, &nack);
        free(nack);
    }
    int found;
    size_t at = s_name_search((void *const *)cg->consumers, cg->nconsumers, sc->name->ptr,
                              sc->name->len, &found);
    if (found) s_array_remove((void **)cg->consumers, &cg->nconsumers, at);
    s_consumer_free(sc);
}

static void s_nack_remove(stream_cg_t *cg, stream_id_t id, stream_nack_t *nack) {
    idm_delete(cg->pel, id, NULL);
    if (nack->consumer) idm_delete(nack->consumer->pel, id, NULL);
    free(nack);
}

/* ---------- entries_read and lag (Redis 7.0's estimates) ---------- */

static int s_id_zero(stream_id_t id) { return id.ms == 0 && id.seq == 0; }

/* 1 when a tombstone may lie in start..(end or the last ID). */
static int s_range_has_tombstones(const stream_t *s, const stream_id_t *start,
                                  const stream_id_t *end) {
    if (!stream_length(s) || s_id_zero(s->max_deleted_id)) return 0;
    stream_id_t first = stream_first_id(s);
    if (idm_cmp(first, s->max_deleted_id) > 0) return 0;
    stream_id_t a = start ? *start : s_id_min, b = end ? *end : s_id_max;
    return idm_cmp(a, s->max_deleted_id) <= 0 && idm_cmp(s->max_deleted_id, b) <= 0;
}

static long long s_estimate_distance(const stream_t *s, stream_id_t id) {
    if (!s->entries_added) return 0;
    if (!stream_length(s) && idm_cmp(id, s->last_id) < 1) return (long long)s->entries_added;
    int cmp_last = idm_cmp(id, s->last_id);
    if (cmp_last == 0) return (long long)s->entries_added;
    if (cmp_last > 0) return STREAM_ENTRIES_READ_INVALID;
    stream_id_t first = stream_first_id(s);
    int cmp_first = idm_cmp(id, first);
    if (s_id_zero(s->max_deleted_id) || idm_cmp(s->max_deleted_id, first) < 0) {
        if (cmp_first < 0) return (long long)(s->entries_added - stream_length(s));
        if (cmp_first == 0) return (long long)(s->entries_added - stream_length(s) + 1);
    }
    return STREAM_ENTRIES_READ_INVALID;
}

static void s_reply_lag(client_t *c, const stream_t *s, const stream_cg_t *cg) {
    if (!s->entries_added) {
        reply_int(c, 0);
        return;
    }
    if (cg->entries_read != STREAM_ENTRIES_READ_INVALID &&
        !s_range_has_tombstones(s, &cg->last_id, NULL)) {
        reply_int(c, (long long)s->entries_added - cg->entries_read);
        return;
    }
    long long er = s_estimate_distance(s, cg->last_id);
    if (er != STREAM_ENTRIES_READ_INVALID)
        reply_int(c, (long long)s->entries_added - er);
    else
        reply_null(c);
}

/* ---------- object callbacks ---------- */

static void s_stream_free(stream_t *s) {
    idm_free(s->entries, free);
    stream_node_t *n = s->head;
    while (n) {
        stream_node_t *nx = n->next;
        free(n->master);
        free(n);
        n = nx;
    }
    for (size_t i = 0; i < s->ngroups; i++) s_group_free(s->groups[i]);
    free(s->groups);
    free(s);
}

static void s_free_payload(vobj_t *o) { s_stream_free(o->v.p); }

vobj_t *stream_type_dup(const vobj_t *o) {
    const stream_t *s = o->v.p;
    vobj_t *d = stream_type_create();
    stream_t *t = d->v.p;
    /* nodes first, then entries pointing at the copies */
    for (stream_node_t *n = s->head; n; n = n->next) {
        stream_node_t *m = s_xmalloc(sizeof(*m));
        *m = *n;
        m->master = s_xmalloc(n->master_len);
        memcpy(m->master, n->master, n->master_len);
        m->prev = t->tail;
        m->next = NULL;
        if (t->tail) t->tail->next = m; else t->head = m;
        t->tail = m;
        t->nnodes++;
    }
    stream_node_t *src = s->head, *dst = t->head;
    for (idm_node_t *x = idm_first(s->entries); x; x = idm_next(x)) {
        const stream_entry_t *e = x->val;
        while (src != e->node) {
            src = src->next;
            dst = dst->next;
        }
        stream_entry_t *f = s_xmalloc(sizeof(*f) + e->len);
        memcpy(f, e, sizeof(*f) + e->len);
        f->node = dst;
        idm_insert(t->entries, x->id, f);
    }
    t->last_id = s->last_id;
    t->max_deleted_id = s->max_deleted_id;
    t->entries_added = s->entries_added;
    for (size_t i = 0; i < s->ngroups; i++) {
        const stream_cg_t *cg = s->groups[i];
        stream_cg_t *ng = s_group_create(t, cg->name->ptr, cg->name->len, cg->last_id,
                                         cg->entries_read);
        for (size_t j = 0; j < cg->nconsumers; j++) {
            const stream_consumer_t *sc = cg->consumers[j];
            stream_consumer_t *nc = s_consumer_create(ng, sc->name->ptr, sc->name->len,
                                                      sc->seen_time);
            (void)nc;
        }
        for (idm_node_t *x = idm_first(cg->pel); x; x = idm_next(x)) {
            const stream_nack_t *nk = x->val;
            stream_nack_t *m = s_xmalloc(sizeof(*m));
            *m = *nk;
            m->consumer = NULL;
            if (nk->consumer) {
                m->consumer = s_consumer_lookup(ng, nk->consumer->name->ptr,
                                                nk->consumer->name->len);
                idm_insert(m->consumer->pel, x->id, m);
            }
            idm_insert(ng->pel, x->id, m);
        }
    }
    return d;
}

size_t stream_type_mem(const vobj_t *o) {
    const stream_t *s = o->v.p;
    size_t total = sizeof(vobj_t) + sizeof(stream_t);
    for (stream_node_t *n = s->head; n; n = n->next) total += sizeof(*n) + s_node_bytes(n);
    total += idm_len(s->entries) * 48;
    for (size_t i = 0; i < s->ngroups; i++) {
        const stream_cg_t *cg = s->groups[i];
        total += sizeof(*cg) + idm_len(cg->pel) * (48 + sizeof(stream_nack_t));
        for (size_t j = 0; j < cg->nconsumers; j++)
            total += sizeof(stream_consumer_t) + cg->consumers[j]->name->len +
                     idm_len(cg->consumers[j]->pel) * 48;
    }
    return total;
}

/* ---------- snapshot ----------
 * The payload keeps everything XINFO and trimming depend on: the node model (each node's
 * master ID and fields, last ID, deleted count and modelled size) with the entries of each
 * node, then the groups with their pending entries and consumers. */

static void s_put_id(snap_writer_t *w, stream_id_t id) {
    snap_put_u64(w, id.ms);
    snap_put_u64(w, id.seq);
}

static int s_get_id(snap_reader_t *r, stream_id_t *id) {
    return snap_get_u64(r, &id->ms) < 0 || snap_get_u64(r, &id->seq) < 0 ? -1 : 0;
}

static void s_stream_save(const vobj_t *o, snap_writer_t *w) {
    const stream_t *s = o->v.p;
    s_put_id(w, s->last_id);
    s_put_id(w, s->max_deleted_id);
    snap_put_u64(w, s->entries_added);
    snap_put_u64(w, s->nnodes);
    idm_node_t *x = idm_first(s->entries);
    for (const stream_node_t *n = s->head; n; n = n->next) {
        s_put_id(w, n->master_id);
        s_put_id(w, n->last_id);
        snap_put_u64(w, n->deleted);
        snap_put_u64(w, n->base_bytes);
        snap_put_u64(w, (uint64_t)n->nmaster);
        size_t off = 0;
        for (int i = 0; i < n->nmaster; i++) {
            size_t l;
            const char *p = s_unpack(n->master + off, &l);
            off += 4 + l;
            snap_put_bytes(w, p, l);
        }
        uint64_t count = 0;
        for (idm_node_t *y = x; y && ((stream_entry_t *)y->val)->node == n; y = idm_next(y))
            count++;
        snap_put_u64(w, count);
        for (; count--; x = idm_next(x)) {
            const stream_entry_t *e = x->val;
            s_put_id(w, x->id);
            snap_put_u64(w, e->nfields);
            size_t eoff = 0;
            for (uint32_t i = 0; i < 2 * e->nfields; i++) {
                size_t l;
                const char *p = s_entry_next(e, &eoff, &l);
                snap_put_bytes(w, p, l);
            }
        }
    }
    snap_put_u64(w, s->ngroups);
    for (size_t g = 0; g < s->ngroups; g++) {
        const stream_cg_t *cg = s->groups[g];
        snap_put_bytes(w, cg->name->ptr, cg->name->len);
        s_put_id(w, cg->last_id);
        snap_put_i64(w, cg->entries_read);
        snap_put_u64(w, idm_len(cg->pel));
        for (idm_node_t *y = idm_first(cg->pel); y; y = idm_next(y)) {
            const stream_nack_t *nk = y->val;
            s_put_id(w, y->id);
            snap_put_i64(w, nk->delivery_time);
            snap_put_u64(w, nk->delivery_count);
        }
        snap_put_u64(w, cg->nconsumers);
        for (size_t c = 0; c < cg->nconsumers; c++) {
            const stream_consumer_t *sc = cg->consumers[c];
            snap_put_bytes(w, sc->name->ptr, sc->name->len);
            snap_put_i64(w, sc->seen_time);
            snap_put_u64(w, idm_len(sc->pel));
            for (idm_node_t *y = idm_first(sc->pel); y; y = idm_next(y))
                s_put_id(w, y->id);
        }
    }
}

/* Appends one [u32 len][bytes] string read from r to b; -1 on a read failure. */
static int s_load_packed(snap_reader_t *r, buf_t *b) {
    const char *p;
    size_t len;
    if (snap_get_bytes(r, &p, &len) < 0) return -1;
    if (len > UINT32_MAX - 4) return snap_fail(r, "stream string too long");
    char *dst = buf_reserve(b, 4 + len);
    b->len += s_pack(dst, p, len);
    return 0;
}

/* One node and its entries; prev is the last ID seen so far (entries and nodes ascend). */
static int s_load_node(snap_reader_t *r, stream_t *s, stream_id_t *prev, int *any, buf_t *b) {
    stream_node_t *n = calloc(1, sizeof(*n));
    if (!n) abort();
    n->prev = s->tail;
    if (s->tail)
        s->tail->next = n;
    else
        s->head = n;
    s->tail = n;
    s->nnodes++;
    uint64_t nmaster, count, base;
    if (s_get_id(r, &n->master_id) < 0 || s_get_id(r, &n->last_id) < 0 ||
        snap_get_u64(r, &n->deleted) < 0 || snap_get_u64(r, &base) < 0 ||
        snap_get_count(r, &nmaster) < 0)
        return -1;
    n->base_bytes = (size_t)base;
    if (*any && idm_cmp(n->master_id, *prev) <= 0) return snap_fail(r, "stream node out of order");
    if (idm_cmp(n->last_id, n->master_id) < 0)
        return snap_fail(r, "stream node's last ID before its first");
    if (nmaster > INT32_MAX) return snap_fail(r, "too many stream master fields");
    buf_clear(b);
    for (uint64_t i = 0; i < nmaster; i++)
        if (s_load_packed(r, b) < 0) return -1;
    n->nmaster = (int)nmaster;
    n->master_len = b->len;
    n->master = s_xmalloc(b->len);
    memcpy(n->master, b->data, b->len);
    *prev = n->master_id;
    *any = 1;
    if (snap_get_count(r, &count) < 0) return -1;
    for (uint64_t k = 0; k < count; k++) {
        stream_id_t id;
        uint64_t nfields;
        if (s_get_id(r, &id) < 0 || snap_get_count(r, &nfields) < 0) return -1;
        if (idm_cmp(id, *prev) < 0 || (k > 0 && idm_cmp(id, *prev) == 0))
            return snap_fail(r, "stream entries out of order");
        if (idm_cmp(id, n->last_id) > 0) return snap_fail(r, "stream entry after its node's end");
        if (nfields > UINT32_MAX / 2) return snap_fail(r, "too many stream fields");
        buf_clear(b);
        for (uint64_t i = 0; i < 2 * nfields; i++)
            if (s_load_packed(r, b) < 0) return -1;
        if (b->len > UINT32_MAX) return snap_fail(r, "stream entry too long");
        stream_entry_t *e = s_xmalloc(sizeof(*e) + b->len);
        e->node = n;
        e->nfields = (uint32_t)nfields;
        e->len = (uint32_t)b->len;
        memcpy(e->data, b->data, b->len);
        idm_insert(s->entries, id, e);
        n->live++;
        *prev = id;
    }
    *prev = n->last_id;
    return 0;
}

static int s_load_group(snap_reader_t *r, stream_t *s) {
    const char *p;
    size_t len;
    stream_id_t last;
    int64_t entries_read;
    uint64_t npel, nconsumers;
    if (snap_get_bytes(r, &p, &len) < 0) return -1;
    vstr_t *name = vstr_new(p, len);
    int bad = s_get_id(r, &last) < 0 || snap_get_i64(r, &entries_read) < 0;
    stream_cg_t *cg = bad ? NULL : s_group_create(s, name->ptr, name->len, last, entries_read);
    vstr_free(name);
    if (bad) return -1;
    if (!cg) return snap_fail(r, "duplicate consumer group");
    if (snap_get_count(r, &npel) < 0) return -1;
    for (uint64_t i = 0; i < npel; i++) {
        stream_id_t id;
        stream_nack_t nk = {0};
        if (s_get_id(r, &id) < 0 || snap_get_i64(r, &nk.delivery_time) < 0 ||
            snap_get_u64(r, &nk.delivery_count) < 0)
            return -1;
        stream_nack_t *m = s_xmalloc(sizeof(*m));
        *m = nk;
        if (!idm_insert(cg->pel, id, m)) {
            free(m);
            return snap_fail(r, "duplicate pending entry");
        }
    }
    if (snap_get_count(r, &nconsumers) < 0) return -1;
    for (uint64_t c = 0; c < nconsumers; c++) {
        int64_t seen;
        uint64_t n;
        if (snap_get_bytes(r, &p, &len) < 0) return -1;
        name = vstr_new(p, len);
        bad = snap_get_i64(r, &seen) < 0;
        stream_consumer_t *sc = bad ? NULL : s_consumer_create(cg, name->ptr, name->len, seen);
        vstr_free(name);
        if (bad) return -1;
        if (!sc) return snap_fail(r, "duplicate consumer");
        if (snap_get_count(r, &n) < 0) return -1;
        for (uint64_t i = 0; i < n; i++) {
            stream_id_t id;
            if (s_get_id(r, &id) < 0) return -1;
            idm_node_t *x = idm_find(cg->pel, id);
            if (!x) return snap_fail(r, "consumer's pending entry missing from its group");
            stream_nack_t *nk = x->val;
            if (nk->consumer) return snap_fail(r, "pending entry owned by two consumers");
            nk->consumer = sc;
            idm_insert(sc->pel, id, nk);
        }
    }
    return 0;
}

static vobj_t *s_stream_load(engine_t *e, snap_reader_t *r) {
    vobj_t *o = stream_type_create();
    stream_t *s = o->v.p;
    uint64_t nnodes, ngroups;
    buf_t b;
    buf_init(&b);
    if (s_get_id(r, &s->last_id) < 0 || s_get_id(r, &s->max_deleted_id) < 0 ||
        snap_get_u64(r, &s->entries_added) < 0 || snap_get_count(r, &nnodes) < 0)
        goto bad;
    stream_id_t prev = {0, 0};
    int any = 0;
    for (uint64_t i = 0; i < nnodes; i++)
        if (s_load_node(r, s, &prev, &any, &b) < 0) goto bad;
    if (idm_cmp(stream_last_valid_id(s), s->last_id) > 0) {
        snap_fail(r, "stream entry after the stream's last ID");
        goto bad;
    }
    if (snap_get_count(r, &ngroups) < 0) goto bad;
    for (uint64_t g = 0; g < ngroups; g++)
        if (s_load_group(r, s) < 0) goto bad;
    buf_free(&b);
    return o;
bad:
    buf_free(&b);
    obj_free(o);
    return NULL;
}

static const obj_type_t s_stream_type = {"stream",        s_free_payload, stream_type_dup,
                                         stream_type_mem, s_stream_save,  s_stream_load};

__attribute__((constructor)) static void s_register_stream(void) {
    obj_register_type(OBJ_STREAM, &s_stream_type);
}

/* The number of nodes Redis's radix tree has for the listpack keys (16-byte big-endian
 * master IDs): one node per branching point, per compressed run and per leaf. */
static void s_encode_id(unsigned char *b, stream_id_t id) {
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(id.ms >> (56 - 8 * i));
        b[8 + i] = (unsigned char)(id.seq >> (56 - 8 * i));
    }
}

static uint64_t s_rax_nodes(unsigned char (*keys)[16], size_t lo, size_t hi, int depth) {
    if (depth == 16) return 1;
    if (hi - lo == 1) return 2; /* a compressed run to the leaf */
    /* common prefix of the sorted range = common prefix of its first and last keys */
    int d = depth;
    while (d < 16 && keys[lo][d] == keys[hi - 1][d]) d++;
    if (d > depth) return 1 + s_rax_nodes(keys, lo, hi, d);
    uint64_t total = 1;
    size_t i = lo;
    while (i < hi) {
        size_t j = i + 1;
        while (j < hi && keys[j][depth] == keys[i][depth]) j++;
        total += s_rax_nodes(keys, i, j, depth + 1);
        i = j;
    }
    return total;
}

static uint64_t s_radix_tree_nodes(const stream_t *s) {
    if (!s->nnodes) return 1;
    unsigned char (*keys)[16] = s_xmalloc(s->nnodes * 16);
    size_t i = 0;
    for (stream_node_t *n = s->head; n; n = n->next) s_encode_id(keys[i++], n->master_id);
    uint64_t r = s_rax_nodes(keys, 0, i, 0);
    free(keys);
    return r;
}

/* ===================== replies ===================== */

static int s_fmt_id(char *buf, stream_id_t id) {
    int n = ull_to_str(buf, id.ms);
    buf[n++] = '-';
    n += ull_to_str(buf + n, id.seq);
    return n;
}

void stream_reply_id(client_t *c, stream_id_t id) {
    char buf[48];
    int n = s_fmt_id(buf, id);
    reply_bulk(c, buf, (size_t)n);
}

static void s_reply_entry(client_t *c, stream_id_t id, const stream_entry_t *e) {
    reply_array(c, 2);
    stream_reply_id(c, id);
    reply_array(c, (long long)e->nfields * 2);
    size_t off = 0;
    for (uint32_t i = 0; i < e->nfields * 2; i++) {
        size_t l;
        const char *p = s_entry_next(e, &off, &l);
        reply_bulk(c, p, l);
    }
}

/* Emits the entries of start..end without the enclosing array; returns how many. */
static size_t s_emit_range(client_t *c, stream_t *s, stream_id_t start, stream_id_t end,
                           size_t count, int rev) {
    size_t n = 0;
    if (idm_cmp(start, end) > 0) return 0;
    idm_node_t *x = rev ? idm_seek_le(s->entries, end) : idm_seek_ge(s->entries, start);
    while (x && (!count || n < count)) {
        if (rev ? idm_cmp(x->id, start) < 0 : idm_cmp(x->id, end) > 0) break;
        s_reply_entry(c, x->id, x->val);
        n++;
        x = rev ? idm_prev(s->entries, x) : idm_next(x);
    }
    return n;
}

size_t stream_reply_range(client_t *c, stream_t *s, stream_id_t start, stream_id_t end,
                          size_t count, int rev) {
    size_t h = reply_deferred_len(c);
    size_t n = s_emit_range(c, s, start, end, count, rev);
    reply_set_deferred_len(c, h, (long long)n);
    return n;
}

/* One entry as the reply element of XCLAIM / XAUTOCLAIM / XINFO's first-entry; 0 if absent. */
static int s_reply_one(client_t *c, stream_t *s, stream_id_t id) {
    idm_node_t *x = idm_find(s->entries, id);
    if (!x) return 0;
    s_reply_entry(c, id, x->val);
    return 1;
}

int stream_has_after(const stream_t *s, stream_id_t after) {
    return stream_length(s) && idm_cmp(stream_last_valid_id(s), after) > 0;
}

int stream_serve_read(client_t *c, stream_t *s, const char *key, size_t klen, stream_id_t after,
                      size_t count) {
    if (!stream_has_after(s, after)) return 0;
    stream_id_t start = after;
    s_id_incr(&start);
    reply_bulk(c, key, klen);
    stream_reply_range(c, s, start, s_id_max, count, 0);
    return 1;
}

/* Entries of the group from start on, delivered to consumer sc: PELs and last ID updated. */
static size_t s_group_deliver(client_t *c, stream_t *s, stream_cg_t *cg, stream_consumer_t *sc,
                              stream_id_t start, size_t count, int noack) {
    int64_t now = c->eng->now_ms;
    size_t h = reply_deferred_len(c), n = 0;
    for (idm_node_t *x = idm_seek_ge(s->entries, start); x && (!count || n < count);
         x = idm_next(x)) {
        stream_id_t id = x->id;
        if (idm_cmp(id, cg->last_id) > 0) {
            if (cg->entries_read != STREAM_ENTRIES_READ_INVALID &&
                !s_range_has_tombstones(s, &id, NULL))
                cg->entries_read++;
            else if (s->entries_added)
                cg->entries_read = s_estimate_distance(s, id);
            cg->last_id = id;
        }
        s_reply_entry(c, id, x->val);
        n++;
        if (noack) continue;
        idm_node_t *p = idm_find(cg->pel, id);
        if (!p) {
            stream_nack_t *nack = s_xmalloc(sizeof(*nack));
            nack->delivery_time = now;
            nack->delivery_count = 1;
            nack->consumer = sc;
            idm_insert(cg->pel, id, nack);
            idm_insert(sc->pel, id, nack);
        } else {
            stream_nack_t *nack = p->val;
            if (nack->consumer) idm_delete(nack->consumer->pel, id, NULL);
            nack->consumer = sc;
            nack->delivery_time = now;
            nack->delivery_count = 1;
            idm_insert(sc->pel, id, nack);
        }
    }
    reply_set_deferred_len(c, h, (long long)n);
    return n;
}

/* A consumer's history: its pending IDs from start on, with their entries (nil fields when
 * the entry was deleted meanwhile). */
static size_t s_group_history(client_t *c, stream_t *s, stream_consumer_t *sc, stream_id_t start,
                              size_t count) {
    size_t h = reply_deferred_len(c), n = 0;
    for (idm_node_t *x = idm_seek_ge(sc->pel, start); x && (!count || n < count);
         x = idm_next(x)) {
        if (!s_reply_one(c, s, x->id)) {
            reply_array(c, 2);
            stream_reply_id(c, x->id);
            reply_null_array(c);
        } else {
            stream_nack_t *nack = x->val;
            nack->delivery_time = c->eng->now_ms;
            nack->delivery_count++;
        }
        n++;
    }
    reply_set_deferred_len(c, h, (long long)n);
    return n;
}

static void s_written(client_t *c, const char *key, size_t klen, const char *event) {
    signal_modified_key(c->eng, c->db, key, klen);
    notify_keyspace_event(c->eng, NOTIFY_STREAM, event, key, klen, c->db->id);
}

/* The consumer for a read or claim, created (with its keyspace event) when missing. */
static stream_consumer_t *s_consumer_get(client_t *c, stream_cg_t *cg, const char *name,
                                         size_t len, const char *key, size_t klen) {
    stream_consumer_t *sc = s_consumer_lookup(cg, name, len);
    if (!sc) {
        sc = s_consumer_create(cg, name, len, c->eng->now_ms);
        c->eng->stats.dirty++;
        notify_keyspace_event(c->eng, NOTIFY_STREAM, "xgroup-createconsumer", key, klen,
                              c->db->id);
        proto_arg_t fx[5] = {EFF_LIT("XGROUP"), EFF_LIT("CREATECONSUMER"), EFF_ARG(key, klen),
                             EFF_ARG(cg->name->ptr, cg->name->len), EFF_ARG(name, len)};
        effect_add(c, 5, fx);
    }
    return sc;
}

static void s_claim_effect(client_t *c, const char *key, size_t klen, const stream_cg_t *cg,
                           const char *consumer, size_t clen, stream_id_t id,
                           const stream_nack_t *nack);

/* XACK key group id: a pending entry whose stream entry is gone, dropped by a claim. */
static void s_unpend_effect(client_t *c, const proto_arg_t *key, const proto_arg_t *group,
                            stream_id_t id) {
    char idb[48];
    int idn = s_fmt_id(idb, id);
    proto_arg_t fx[4] = {EFF_LIT("XACK"), *key, *group, EFF_ARG(idb, idn)};
    effect_add(c, 4, fx);
}

/* XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID LASTID last: how a
 * delivery (or a claim) replays, with the times of now (as Redis propagates them). */
static void s_claim_effect(client_t *c, const char *key, size_t klen, const stream_cg_t *cg,
                           const char *consumer, size_t clen, stream_id_t id,
                           const stream_nack_t *nack) {
    char idb[48], lastb[48], tb[24], nb[24];
    int idn = s_fmt_id(idb, id), lastn = s_fmt_id(lastb, cg->last_id);
    int tn = snprintf(tb, sizeof tb, "%lld", (long long)nack->delivery_time);
    int nn = snprintf(nb, sizeof nb, "%llu", (unsigned long long)nack->delivery_count);
    proto_arg_t fx[14] = {EFF_LIT("XCLAIM"),     EFF_ARG(key, klen),
                          EFF_ARG(cg->name->ptr, cg->name->len),
                          EFF_ARG(consumer, clen), EFF_LIT("0"),
                          EFF_ARG(idb, idn),     EFF_LIT("TIME"),
                          EFF_ARG(tb, tn),       EFF_LIT("RETRYCOUNT"),
                          EFF_ARG(nb, nn),       EFF_LIT("FORCE"),
                          EFF_LIT("JUSTID"),     EFF_LIT("LASTID"),
                          EFF_ARG(lastb, lastn)};
    effect_add(c, 14, fx);
}

/* XGROUP SETID key group last ENTRIESREAD n: the group's position after a read. */
static void s_setid_effect(client_t *c, const char *key, size_t klen, const stream_cg_t *cg) {
    char lastb[48], nb[24];
    int lastn = s_fmt_id(lastb, cg->last_id);
    int nn = snprintf(nb, sizeof nb, "%lld", cg->entries_read);
    proto_arg_t fx[7] = {EFF_LIT("XGROUP"),       EFF_LIT("SETID"),
                         EFF_ARG(key, klen),       EFF_ARG(cg->name->ptr, cg->name->len),
                         EFF_ARG(lastb, lastn),    EFF_LIT("ENTRIESREAD"),
                         EFF_ARG(nb, nn)};
    effect_add(c, 7, fx);
}

/* The effects of a group read: the consumer's creation, every delivery as a claim, and the
 * group's new position. */
static void s_group_read_effects(client_t *c, stream_t *s, const char *key, size_t klen,
                                 stream_cg_t *cg, stream_consumer_t *sc, int created,
                                 stream_id_t start, size_t n, int history) {
    /* the consumer's creation was recorded by s_consumer_get */
    idmap_t *pel = history ? sc->pel : s->entries;
    size_t k = 0;
    for (idm_node_t *x = idm_seek_ge(pel, start); x && k < n; x = idm_next(x), k++) {
        idm_node_t *p = idm_find(cg->pel, x->id);
        if (history && !idm_find(s->entries, x->id)) continue; /* left as it was */
        if (p && ((stream_nack_t *)p->val)->consumer == sc)
            s_claim_effect(c, key, klen, cg, sc->name->ptr, sc->name->len, x->id, p->val);
    }
    if (!history) s_setid_effect(c, key, klen, cg);
    if (!created && k == 0) effect_none(c);
}

int stream_serve_group(client_t *c, stream_t *s, const char *key, size_t klen, stream_cg_t *cg,
                       const char *consumer, size_t clen, int history, stream_id_t from,
                       size_t count, int noack) {
    stream_id_t gt = from;
    if (!history) {
        if (!stream_length(s) || idm_cmp(stream_last_valid_id(s), cg->last_id) <= 0) return 0;
        gt = cg->last_id;
    }
    stream_id_t start = gt;
    s_id_incr(&start);
    reply_bulk(c, key, klen);
    int created = s_consumer_lookup(cg, consumer, clen) == NULL;
    stream_consumer_t *sc = s_consumer_get(c, cg, consumer, clen, key, klen);
    sc->seen_time = c->eng->now_ms;
    size_t n;
    if (history)
        n = s_group_history(c, s, sc, start, count);
    else
        n = s_group_deliver(c, s, cg, sc, start, count, noack);
    s_group_read_effects(c, s, key, klen, cg, sc, created, start, n, history);
    c->eng->stats.dirty++;
    return 1;
}

/* ===================== argument parsing ===================== */

/* Redis compares option words as C strings: an argument is read up to its first NUL. */
static int s_opt(const proto_arg_t *a, const char *lit) {
    size_t n = strnlen(a->ptr, a->len);
    size_t m = strlen(lit);
    return n == m && strncasecmp(a->ptr, lit, m) == 0;
}

static int s_is(const proto_arg_t *a, const char *lit) {
    size_t n = strnlen(a->ptr, a->len);
    return n == strlen(lit) && memcmp(a->ptr, lit, n) == 0;
}

/* Redis's string2ull: strict integer first, then strtoull (which takes spaces and a sign). */
static int s_str2ull(const char *s, unsigned long long *v) {
    long long ll;
    size_t len = strlen(s);
    if (str_to_ll(s, len, &ll)) {
        if (ll < 0) return 0;
        *v = (unsigned long long)ll;
        return 1;
    }
    errno = 0;
    char *end = NULL;
    *v = strtoull(s, &end, 10);
    if (errno == EINVAL || errno == ERANGE || !(*s != '\0' && *end == '\0')) return 0;
    return 1;
}

#define ERR_INVALID_ID "-ERR Invalid stream ID specified as stream command argument"

/* Parses "ms-seq", "ms" (seq = missing_seq), "-" and "+" (not when strict), and "ms-*" when
 * seq_given is non-NULL (then *seq_given = 0). Replies on error when c is non-NULL. */
static int s_parse_id(client_t *c, const proto_arg_t *a, stream_id_t *id, uint64_t missing_seq,
                      int strict, int *seq_given) {
    char buf[128];
    size_t len = strnlen(a->ptr, a->len);
    if (len > sizeof(buf) - 1) goto invalid;
    memcpy(buf, a->ptr, len);
    buf[len] = '\0';
    if (strict && (buf[0] == '-' || buf[0] == '+') && buf[1] == '\0') goto invalid;
    if (seq_given) *seq_given = 1;
    if (buf[0] == '-' && buf[1] == '\0') {
        *id = s_id_min;
        return 0;
    }
    if (buf[0] == '+' && buf[1] == '\0') {
        *id = s_id_max;
        return 0;
    }
    unsigned long long ms, seq;
    char *dash = strchr(buf, '-');
    if (dash) *dash = '\0';
    if (!s_str2ull(buf, &ms)) goto invalid;
    if (dash) {
        if (seq_given && dash[1] == '*' && dash[2] == '\0') {
            seq = 0;
            *seq_given = 0;
        } else if (!s_str2ull(dash + 1, &seq)) {
            goto invalid;
        }
    } else {
        seq = missing_seq;
    }
    id->ms = ms;
    id->seq = seq;
    return 0;
invalid:
    if (c) reply_error(c, ERR_INVALID_ID);
    return -1;
}

/* A range bound: '(' makes it exclusive (and strict). */
static int s_parse_interval(client_t *c, const proto_arg_t *a, stream_id_t *id, int *exclude,
                            uint64_t missing_seq) {
    *exclude = a->len > 1 && a->ptr[0] == '(';
    if (*exclude) {
        proto_arg_t t = {.ptr = a->ptr + 1, .len = a->len - 1};
        return s_parse_id(c, &t, id, missing_seq, 1, NULL);
    }
    return s_parse_id(c, a, id, missing_seq, 0, NULL);
}

/* start/end of XRANGE-like commands, with the exclusive adjustments. */
static int s_parse_range(client_t *c, const proto_arg_t *sa, const proto_arg_t *ea,
                         stream_id_t *start, stream_id_t *end) {
    int ex;
    if (s_parse_interval(c, sa, start, &ex, 0) < 0) return -1;
    if (ex && s_id_incr(start) < 0) {
        reply_error(c, "invalid start ID for the interval");
        return -1;
    }
    if (!ea) return 0;
    if (s_parse_interval(c, ea, end, &ex, UINT64_MAX) < 0) return -1;
    if (ex && s_id_decr(end) < 0) {
        reply_error(c, "invalid end ID for the interval");
        return -1;
    }
    return 0;
}

typedef struct trim_args {
    int strategy, strategy_arg; /* argv index of the MAXLEN/MINID value */
    int approx;
    long long maxlen, limit;
    stream_id_t minid;
    int nomkstream;
    int id_given, seq_given;
    stream_id_t id;
} trim_args_t;

/* XADD / XTRIM options; returns the index of XADD's ID argument (argc for XTRIM), -1 after
 * replying an error. */
static int s_parse_add_trim(client_t *c, trim_args_t *t, int xadd) {
    memset(t, 0, sizeof(*t));
    int limit_given = 0;
    int i = 2;
    for (; i < c->argc; i++) {
        int more = c->argc - 1 - i;
        const proto_arg_t *a = &c->argv[i];
        if (xadd && a->len >= 1 && a->ptr[0] == '*' && (a->len == 1 || a->ptr[1] == '\0')) {
            break;
        } else if (s_opt(a, "maxlen") && more) {
            if (t->strategy != STREAM_TRIM_NONE) {
                reply_error(c, "syntax error, MAXLEN and MINID options at the same time are not "
                               "compatible");
                return -1;
            }
            t->approx = 0;
            const proto_arg_t *nx = &c->argv[i + 1];
            if (more >= 2 && s_is(nx, "~")) {
                t->approx = 1;
                i++;
            } else if (more >= 2 && s_is(nx, "=")) {
                i++;
            }
            if (arg_ll_or_reply(c, &c->argv[i + 1], &t->maxlen, NULL) < 0) return -1;
            if (t->maxlen < 0) {
                reply_error(c, "The MAXLEN argument must be >= 0.");
                return -1;
            }
            i++;
            t->strategy = STREAM_TRIM_MAXLEN;
            t->strategy_arg = i;
        } else if (s_opt(a, "minid") && more) {
            if (t->strategy != STREAM_TRIM_NONE) {
                reply_error(c, "syntax error, MAXLEN and MINID options at the same time are not "
                               "compatible");
                return -1;
            }
            t->approx = 0;
            const proto_arg_t *nx = &c->argv[i + 1];
            if (more >= 2 && s_is(nx, "~")) {
                t->approx = 1;
                i++;
            } else if (more >= 2 && s_is(nx, "=")) {
                i++;
            }
            if (s_parse_id(c, &c->argv[i + 1], &t->minid, 0, 1, NULL) < 0) return -1;
            i++;
            t->strategy = STREAM_TRIM_MINID;
            t->strategy_arg = i;
        } else if (s_opt(a, "limit") && more) {
            if (arg_ll_or_reply(c, &c->argv[i + 1], &t->limit, NULL) < 0) return -1;
            if (t->limit < 0) {
                reply_error(c, "The LIMIT argument must be >= 0.");
                return -1;
            }
            limit_given = 1;
            i++;
        } else if (xadd && s_opt(a, "nomkstream")) {
            t->nomkstream = 1;
        } else if (xadd) {
            if (s_parse_id(c, a, &t->id, 0, 1, &t->seq_given) < 0) return -1;
            t->id_given = 1;
            break;
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    if (t->limit && t->strategy == STREAM_TRIM_NONE) {
        reply_error(c, "syntax error, LIMIT cannot be used without specifying a trimming "
                       "strategy");
        return -1;
    }
    if (!xadd && t->strategy == STREAM_TRIM_NONE) {
        reply_error(c, "syntax error, XTRIM must be called with a trimming strategy");
        return -1;
    }
    if (limit_given) {
        if (!t->approx) {
            reply_error(c, "syntax error, LIMIT cannot be used without the special ~ option");
            return -1;
        }
    } else if (t->approx) {
        /* at most 100 nodes' worth of work, bounded both ways as Redis bounds it */
        t->limit = s_node_max_entries > 10000000 ? 1000000 : 100LL * s_node_max_entries;
        if (t->limit <= 0) t->limit = 10000;
        if (t->limit > 1000000) t->limit = 1000000;
    } else {
        t->limit = 0;
    }
    return i;
}

static void s_reply_arity(client_t *c) {
    char name[64];
    size_t n = c->argv[0].len < sizeof(name) - 1 ? c->argv[0].len : sizeof(name) - 1;
    for (size_t i = 0; i < n; i++) {
        char ch = c->argv[0].ptr[i];
        name[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
    }
    name[n] = '\0';
    reply_errorf(c, "wrong number of arguments for '%s' command", name);
}

/* The NUL-terminated prefix of an argument, as Redis's "%s" prints it. */
static int s_clen(const proto_arg_t *a) { return (int)strnlen(a->ptr, a->len); }

/* ===================== commands ===================== */

/* A trim replays as an exact trim to the length it reached: "~" depends on node layout,
 * which a snapshot load may rebuild differently (Redis rewrites it the same way). */
static void s_trim_effect(client_t *c, const proto_arg_t *key, const stream_t *s) {
    char n[24];
    int nl = snprintf(n, sizeof n, "%llu", (unsigned long long)stream_length(s));
    proto_arg_t fx[5] = {EFF_LIT("XTRIM"), *key, EFF_LIT("MAXLEN"), EFF_LIT("="), EFF_ARG(n, nl)};
    effect_add(c, 5, fx);
}

static void cmd_xadd(client_t *c) {
    trim_args_t t;
    int idpos = s_parse_add_trim(c, &t, 1);
    if (idpos < 0) return;
    int fpos = idpos + 1;
    if (c->argc - fpos < 2 || (c->argc - fpos) % 2 == 1) {
        s_reply_arity(c);
        return;
    }
    if (t.id_given && t.seq_given && t.id.ms == 0 && t.id.seq == 0) {
        reply_error(c, "The ID specified in XADD must be greater than 0-0");
        return;
    }
    const proto_arg_t *key = &c->argv[1];
    int wrongtype;
    vobj_t *o = lookup_write_or_reply_type(c, key, OBJ_STREAM, &wrongtype);
    if (wrongtype) return;
    int created = 0;
    if (!o) {
        if (t.nomkstream) {
            reply_null(c);
            return;
        }
        o = stream_type_create();
        db_add(c->eng, c->db, key->ptr, key->len, o);
        created = 1;
    }
    stream_t *s = o->v.p;
    if (s->last_id.ms == UINT64_MAX && s->last_id.seq == UINT64_MAX) {
        reply_error(c, "The stream has exhausted the last possible ID, unable to add more items");
        return;
    }
    stream_id_t id;
    int r = stream_append(s, c->argv + fpos, (c->argc - fpos) / 2, t.id_given ? &t.id : NULL,
                          t.seq_given, c->eng->now_ms, &id);
    if (r < 0) {
        /* Redis 7.0 words an exhausted "ms-*" sequence as a size error */
        reply_error(c, r == -2 ? "Elements are too large to be stored"
                               : "The ID specified in XADD is equal or smaller than the target "
                                 "stream top item");
        return;
    }
    stream_reply_id(c, id);
    s_written(c, key->ptr, key->len, "xadd");
    c->eng->stats.dirty++;
    /* replayed with the ID chosen now, and an exact trim to the length reached now */
    {
        char idbuf[48];
        int idn = s_fmt_id(idbuf, id);
        int nf = c->argc - fpos;
        proto_arg_t stat[16], *fx = nf + 3 > 16 ? s_xmalloc(sizeof(*fx) * (size_t)(nf + 3)) : stat;
        fx[0] = EFF_LIT("XADD");
        fx[1] = *key;
        fx[2] = EFF_ARG(idbuf, idn);
        memcpy(fx + 3, c->argv + fpos, sizeof(*fx) * (size_t)nf);
        effect_add(c, nf + 3, fx);
        if (fx != stat) free(fx);
    }
    if (t.strategy != STREAM_TRIM_NONE) {
        if (stream_trim(s, t.strategy, t.maxlen, t.minid, t.approx, t.limit)) {
            notify_keyspace_event(c->eng, NOTIFY_STREAM, "xtrim", key->ptr, key->len, c->db->id);
            s_trim_effect(c, key, s);
        }
    }
    if (!created) blocking_signal_key(c->eng, c->db, key->ptr, key->len);
}

static void s_xrange_generic(client_t *c, int rev) {
    const proto_arg_t *sa = rev ? &c->argv[3] : &c->argv[2];
    const proto_arg_t *ea = rev ? &c->argv[2] : &c->argv[3];
    stream_id_t start, end;
    if (s_parse_range(c, sa, ea, &start, &end) < 0) return;
    long long count = -1;
    for (int j = 4; j < c->argc; j++) {
        if (s_opt(&c->argv[j], "COUNT") && c->argc - j - 1 >= 1) {
            if (arg_ll_or_reply(c, &c->argv[j + 1], &count, NULL) < 0) return;
            if (count < 0) count = 0;
            j++;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_STREAM, &wrongtype);
    if (wrongtype) return;
    if (!o) {
        reply_array(c, 0);
        return;
    }
    if (count == 0) {
        reply_null_array(c);
        return;
    }
    stream_reply_range(c, o->v.p, start, end, count == -1 ? 0 : (size_t)count, rev);
}

static void cmd_xrange(client_t *c) { s_xrange_generic(c, 0); }
static void cmd_xrevrange(client_t *c) { s_xrange_generic(c, 1); }

static void cmd_xlen(client_t *c) {
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_STREAM, &wrongtype);
    if (wrongtype) return;
    reply_int(c, o ? (long long)stream_length(o->v.p) : 0);
}

static void cmd_xdel(client_t *c) {
    int wrongtype;
    vobj_t *o = lookup_write_or_reply_type(c, &c->argv[1], OBJ_STREAM, &wrongtype);
    if (wrongtype) return;
    if (!o) {
        reply_int(c, 0);
        return;
    }
    int n = c->argc - 2;
    stream_id_t stat[16], *ids = n > 16 ? s_xmalloc(sizeof(stream_id_t) * n) : stat;
    for (int j = 2; j < c->argc; j++) {
        if (s_parse_id(c, &c->argv[j], &ids[j - 2], 0, 1, NULL) < 0) goto done;
    }
    stream_t *s = o->v.p;
    long long deleted = 0;
    for (int j = 0; j < n; j++) deleted += stream_delete(s, ids[j]);
    if (deleted) {
        s_written(c, c->argv[1].ptr, c->argv[1].len, "xdel");
        c->eng->stats.dirty += deleted;
    }
    reply_int(c, deleted);
done:
    if (ids != stat) free(ids);
}

static void cmd_xtrim(client_t *c) {
    trim_args_t t;
    if (s_parse_add_trim(c, &t, 0) < 0) return;
    int wrongtype;
    vobj_t *o = lookup_write_or_reply_type(c, &c->argv[1], OBJ_STREAM, &wrongtype);
    if (wrongtype) return;
    if (!o) {
        reply_int(c, 0);
        return;
    }
    int64_t deleted = stream_trim(o->v.p, t.strategy, t.maxlen, t.minid, t.approx, t.limit);
    if (deleted) {
        s_trim_effect(c, &c->argv[1], o->v.p);
        notify_keyspace_event(c->eng, NOTIFY_STREAM, "xtrim", c->argv[1].ptr, c->argv[1].len,
                              c->db->id);
        signal_modified_key(c->eng, c->db, c->argv[1].ptr, c->argv[1].len);
        c->eng->stats.dirty += deleted;
    }
    reply_int(c, deleted);
}

static void cmd_xsetid(client_t *c) {
    stream_id_t id, maxdel = {0, 0};
    long long added = -1;
    if (s_parse_id(c, &c->argv[2], &id, 0, 1, NULL) < 0) return;
    for (int i = 3; i < c->argc;) {
        int more = c->argc - 1 - i;
        if (s_opt(&c->argv[i], "ENTRIESADDED") && more) {
            if (arg_ll_or_reply(c, &c->argv[i + 1], &added, NULL) < 0) return;
            if (added < 0) {
                reply_error(c, "entries_added must be positive");
                return;
            }
            i += 2;
        } else if (s_opt(&c->argv[i], "MAXDELETEDID") && more) {
            if (s_parse_id(c, &c->argv[i + 1], &maxdel, 0, 1, NULL) < 0) return;
            if (idm_cmp(id, maxdel) < 0) {
                reply_error(c, "The ID specified in XSETID is smaller than the provided "
                               "max_deleted_entry_id");
                return;
            }
            i += 2;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    int wrongtype;
    vobj_t *o = lookup_write_or_reply_type(c, &c->argv[1], OBJ_STREAM, &wrongtype);
    if (wrongtype) return;
    if (!o) {
        reply_error(c, ERR_NO_KEY);
        return;
    }
    stream_t *s = o->v.p;
    if (stream_length(s) > 0) {
        if (idm_cmp(id, stream_last_valid_id(s)) < 0) {
            reply_error(c, "The ID specified in XSETID is smaller than the target stream top "
                           "item");
            return;
        }
        if (added != -1 && stream_length(s) > (uint64_t)added) {
            reply_error(c, "The entries_added specified in XSETID is smaller than the target "
                           "stream length");
            return;
        }
    }
    s->last_id = id;
    if (added != -1) s->entries_added = (uint64_t)added;
    if (!s_id_zero(maxdel)) s->max_deleted_id = maxdel;
    reply_ok(c);
    s_written(c, c->argv[1].ptr, c->argv[1].len, "xsetid");
    c->eng->stats.dirty++;
}

/* ---------- XINFO ---------- */

static void cmd_xinfo_help(client_t *c) {
    static const char *help[] = {
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        NULL,
    };
    reply_help(c, help);
}

static vobj_t *s_xinfo_lookup(client_t *c) {
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[2], OBJ_STREAM, &wrongtype);
    if (wrongtype) return NULL;
    if (!o) reply_error(c, ERR_NO_KEY);
    return o;
}

static void cmd_xinfo_consumers(client_t *c) {
    vobj_t *o = s_xinfo_lookup(c);
    if (!o) return;
    stream_t *s = o->v.p;
    stream_cg_t *cg = stream_lookup_group(s, c->argv[3].ptr, c->argv[3].len);
    if (!cg) {
        reply_errorf(c, "-NOGROUP No such consumer group '%.*s' for key name '%.*s'",
                     s_clen(&c->argv[3]), c->argv[3].ptr, s_clen(&c->argv[2]), c->argv[2].ptr);
        return;
    }
    int64_t now = c->eng->now_ms;
    reply_array(c, (long long)cg->nconsumers);
    for (size_t i = 0; i < cg->nconsumers; i++) {
        stream_consumer_t *sc = cg->consumers[i];
        int64_t idle = now - sc->seen_time;
        if (idle < 0) idle = 0;
        reply_map(c, 3);
        reply_bulk_cstr(c, "name");
        reply_bulk(c, sc->name->ptr, sc->name->len);
        reply_bulk_cstr(c, "pending");
        reply_int(c, (long long)idm_len(sc->pel));
        reply_bulk_cstr(c, "idle");
        reply_int(c, idle);
    }
}

static void s_reply_entries_read(client_t *c, const stream_cg_t *cg) {
    if (cg->entries_read != STREAM_ENTRIES_READ_INVALID)
        reply_int(c, cg->entries_read);
    else
        reply_null(c);
}

static void cmd_xinfo_groups(client_t *c) {
    vobj_t *o = s_xinfo_lookup(c);
    if (!o) return;
    stream_t *s = o->v.p;
    reply_array(c, (long long)s->ngroups);
    for (size_t i = 0; i < s->ngroups; i++) {
        stream_cg_t *cg = s->groups[i];
        reply_map(c, 6);
        reply_bulk_cstr(c, "name");
        reply_bulk(c, cg->name->ptr, cg->name->len);
        reply_bulk_cstr(c, "consumers");
        reply_int(c, (long long)cg->nconsumers);
        reply_bulk_cstr(c, "pending");
        reply_int(c, (long long)idm_len(cg->pel));
        reply_bulk_cstr(c, "last-delivered-id");
        stream_reply_id(c, cg->last_id);
        reply_bulk_cstr(c, "entries-read");
        s_reply_entries_read(c, cg);
        reply_bulk_cstr(c, "lag");
        s_reply_lag(c, s, cg);
    }
}

static void cmd_xinfo_stream(client_t *c) {
    vobj_t *o = s_xinfo_lookup(c);
    if (!o) return;
    stream_t *s = o->v.p;
    int full = 0;
    long long count = 10;
    if (c->argc > 3) {
        if (!s_opt(&c->argv[3], "full")) {
            reply_subcommand_syntax_error(c);
            return;
        }
        full = 1;
        if (c->argc > 4) {
            if (c->argc != 6 || !s_opt(&c->argv[4], "count")) {
                reply_subcommand_syntax_error(c);
                return;
            }
            if (arg_ll_or_reply(c, &c->argv[5], &count, NULL) < 0) return;
            if (count < 0) count = 10;
        }
    }
    reply_map(c, full ? 9 : 10);
    reply_bulk_cstr(c, "length");
    reply_int(c, (long long)stream_length(s));
    reply_bulk_cstr(c, "radix-tree-keys");
    reply_int(c, (long long)s->nnodes);
    reply_bulk_cstr(c, "radix-tree-nodes");
    reply_int(c, (long long)s_radix_tree_nodes(s));
    reply_bulk_cstr(c, "last-generated-id");
    stream_reply_id(c, s->last_id);
    reply_bulk_cstr(c, "max-deleted-entry-id");
    stream_reply_id(c, s->max_deleted_id);
    reply_bulk_cstr(c, "entries-added");
    reply_int(c, (long long)s->entries_added);
    reply_bulk_cstr(c, "recorded-first-entry-id");
    stream_reply_id(c, stream_first_id(s));
    if (!full) {
        reply_bulk_cstr(c, "groups");
        reply_int(c, (long long)s->ngroups);
        reply_bulk_cstr(c, "first-entry");
        idm_node_t *x = idm_first(s->entries);
        if (x) s_reply_entry(c, x->id, x->val); else reply_null(c);
        reply_bulk_cstr(c, "last-entry");
        x = idm_last(s->entries);
        if (x) s_reply_entry(c, x->id, x->val); else reply_null(c);
        return;
    }
    reply_bulk_cstr(c, "entries");
    stream_reply_range(c, s, s_id_min, s_id_max, (size_t)count, 0);
    reply_bulk_cstr(c, "groups");
    reply_array(c, (long long)s->ngroups);
    for (size_t i = 0; i < s->ngroups; i++) {
        stream_cg_t *cg = s->groups[i];
        reply_map(c, 7);
        reply_bulk_cstr(c, "name");
        reply_bulk(c, cg->name->ptr, cg->name->len);
        reply_bulk_cstr(c, "last-delivered-id");
        stream_reply_id(c, cg->last_id);
        reply_bulk_cstr(c, "entries-read");
        s_reply_entries_read(c, cg);
        reply_bulk_cstr(c, "lag");
        s_reply_lag(c, s, cg);
        reply_bulk_cstr(c, "pel-count");
        reply_int(c, (long long)idm_len(cg->pel));
        reply_bulk_cstr(c, "pending");
        size_t h = reply_deferred_len(c);
        long long n = 0;
        for (idm_node_t *x = idm_first(cg->pel); x && (!count || n < count); x = idm_next(x)) {
            stream_nack_t *nack = x->val;
            reply_array(c, 4);
            stream_reply_id(c, x->id);
            reply_bulk(c, nack->consumer->name->ptr, nack->consumer->name->len);
            reply_int(c, nack->delivery_time);
            reply_int(c, (long long)nack->delivery_count);
            n++;
        }
        reply_set_deferred_len(c, h, n);
        reply_bulk_cstr(c, "consumers");
        reply_array(c, (long long)cg->nconsumers);
        for (size_t j = 0; j < cg->nconsumers; j++) {
            stream_consumer_t *sc = cg->consumers[j];
            reply_map(c, 4);
            reply_bulk_cstr(c, "name");
            reply_bulk(c, sc->name->ptr, sc->name->len);
            reply_bulk_cstr(c, "seen-time");
            reply_int(c, sc->seen_time);
            reply_bulk_cstr(c, "pel-count");
            reply_int(c, (long long)idm_len(sc->pel));
            reply_bulk_cstr(c, "pending");
            h = reply_deferred_len(c);
            n = 0;
            for (idm_node_t *x = idm_first(sc->pel); x && (!count || n < count);
                 x = idm_next(x)) {
                stream_nack_t *nack = x->val;
                reply_array(c, 3);
                stream_reply_id(c, x->id);
                reply_int(c, nack->delivery_time);
                reply_int(c, (long long)nack->delivery_count);
                n++;
            }
            reply_set_deferred_len(c, h, n);
        }
    }
}

/* ---------- XREAD / XREADGROUP ---------- */

static void s_xread_generic(client_t *c, int xreadgroup) {
    long long timeout = -1, count = 0;
    int streams_arg = 0, nstreams = 0, noack = 0;
    const proto_arg_t *group = NULL, *consumer = NULL;
    for (int i = 1; i < c->argc; i++) {
        int more = c->argc - i - 1;
        const proto_arg_t *a = &c->argv[i];
        if (s_opt(a, "BLOCK") && more) {
            i++;
            if (arg_ll_or_reply(c, &c->argv[i], &timeout,
                                "-ERR timeout is not an integer or out of range") < 0)
                return;
            if (timeout < 0) {
                reply_error(c, "timeout is negative");
                return;
            }
            if (timeout > 0) {
                if (timeout > LLONG_MAX - c->eng->now_ms) {
                    reply_error(c, "timeout is out of range");
                    return;
                }
                timeout += c->eng->now_ms;
            }
        } else if (s_opt(a, "COUNT") && more) {
            i++;
            if (arg_ll_or_reply(c, &c->argv[i], &count, NULL) < 0) return;
            if (count < 0) count = 0;
        } else if (s_opt(a, "STREAMS") && more) {
            streams_arg = i + 1;
            nstreams = c->argc - streams_arg;
            if (nstreams % 2) {
                /* Redis 7.0 words it so for XREADGROUP too */
                reply_error(c, "Unbalanced XREAD list of streams: for each stream key an ID or "
                               "'$' must be specified.");
                return;
            }
            nstreams /= 2;
            break;
        } else if (s_opt(a, "GROUP") && more >= 2) {
            if (!xreadgroup) {
                reply_error(c, "The GROUP option is only supported by XREADGROUP. You called "
                               "XREAD instead.");
                return;
            }
            group = &c->argv[i + 1];
            consumer = &c->argv[i + 2];
            i += 2;
        } else if (s_opt(a, "NOACK")) {
            if (!xreadgroup) {
                reply_error(c, "The NOACK option is only supported by XREADGROUP. You called "
                               "XREAD instead.");
                return;
            }
            noack = 1;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    if (!streams_arg) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (xreadgroup && !group) {
        reply_error(c, "Missing GROUP option for XREADGROUP");
        return;
    }
    stream_id_t stat[8], *ids = nstreams > 8 ? s_xmalloc(sizeof(stream_id_t) * nstreams) : stat;
    stream_cg_t *gstat[8], **groups = NULL;
    if (group) groups = nstreams > 8 ? s_xmalloc(sizeof(stream_cg_t *) * nstreams) : gstat;
    for (int i = streams_arg + nstreams; i < c->argc; i++) {
        int idx = i - streams_arg - nstreams;
        const proto_arg_t *key = &c->argv[i - nstreams];
        int wrongtype;
        vobj_t *o = lookup_read_or_reply_type(c, key, OBJ_STREAM, &wrongtype);
        if (wrongtype) goto done;
        if (group) {
            stream_cg_t *cg = o ? stream_lookup_group(o->v.p, group->ptr, group->len) : NULL;
            if (!cg) {
                reply_errorf(c, "-NOGROUP No such key '%.*s' or consumer group '%.*s' in "
                                "XREADGROUP with GROUP option",
                             s_clen(key), key->ptr, s_clen(group), group->ptr);
                goto done;
            }
            groups[idx] = cg;
        }
        const proto_arg_t *a = &c->argv[i];
        if (s_is(a, "$")) {
            if (xreadgroup) {
                reply_error(c, "The $ ID is meaningless in the context of XREADGROUP: you want "
                               "to read the history of this consumer by specifying a proper ID, "
                               "or use the > ID to get new messages. The $ ID would just return "
                               "an empty result set.");
                goto done;
            }
            ids[idx] = o ? ((stream_t *)o->v.p)->last_id : s_id_min;
            continue;
        } else if (s_is(a, ">")) {
            if (!xreadgroup) {
                reply_error(c, "The > ID can be specified only when calling XREADGROUP using "
                               "the GROUP <group> <consumer> option.");
                goto done;
            }
            ids[idx] = s_id_max;
            continue;
        }
        if (s_parse_id(c, a, &ids[idx], 0, 1, NULL) < 0) goto done;
    }
    size_t h = 0;
    long long served = 0;
    for (int i = 0; i < nstreams; i++) {
        const proto_arg_t *key = &c->argv[streams_arg + i];
        vobj_t *o = db_lookup_read(c->eng, c->db, key->ptr, key->len);
        if (!o) continue;
        stream_t *s = o->v.p;
        if (groups) {
            int history = !(ids[i].ms == UINT64_MAX && ids[i].seq == UINT64_MAX);
            if (!history &&
                (!stream_length(s) || idm_cmp(stream_last_valid_id(s), groups[i]->last_id) <= 0))
                continue;
            if (!served) h = reply_deferred_len(c);
            if (c->resp == 2) reply_array(c, 2);
            stream_serve_group(c, s, key->ptr, key->len, groups[i], consumer->ptr, consumer->len,
                               history, ids[i], (size_t)count, noack);
            served++;
        } else {
            if (!stream_has_after(s, ids[i])) continue;
            if (!served) h = reply_deferred_len(c);
            if (c->resp == 2) reply_array(c, 2);
            stream_serve_read(c, s, key->ptr, key->len, ids[i], (size_t)count);
            served++;
        }
    }
    if (served) {
        if (c->resp == 2)
            reply_set_deferred_len(c, h, served);
        else
            reply_set_deferred_map_len(c, h, served);
        goto done;
    }
    if (timeout != -1 && !multi_is_executing(c) && stream_block_hook) {
        stream_read_req_t req = {.nkeys = nstreams, .keys = c->argv + streams_arg, .ids = ids,
                                 .count = count, .timeout_ms = timeout, .group = group,
                                 .consumer = consumer, .noack = noack};
        stream_block_hook(c, &req);
        goto done;
    }
    reply_null_array(c);
done:
    if (ids != stat) free(ids);
    if (groups && groups != gstat) free(groups);
}

static void cmd_xread(client_t *c) { s_xread_generic(c, 0); }
static void cmd_xreadgroup(client_t *c) { s_xread_generic(c, 1); }

/* ---------- XGROUP ---------- */

static void cmd_xgroup_help(client_t *c) {
    static const char *help[] = {
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        NULL,
    };
    reply_help(c, help);
}

/* The part common to every XGROUP subcommand: options, the key, the group. Returns -1 after
 * replying; *s is NULL only for CREATE with MKSTREAM on a missing key. */
static int s_xgroup_prep(client_t *c, const char *sub, stream_t **s, stream_cg_t **cg,
                         int *mkstream, long long *entries_read) {
    *s = NULL;
    *cg = NULL;
    *mkstream = 0;
    *entries_read = STREAM_ENTRIES_READ_INVALID;
    int create = !strcmp(sub, "create"), setid = !strcmp(sub, "setid");
    if (create || setid) {
        for (int i = 5; i < c->argc;) {
            if (create && s_opt(&c->argv[i], "MKSTREAM")) {
                *mkstream = 1;
                i++;
            } else if (s_opt(&c->argv[i], "ENTRIESREAD") && i + 1 < c->argc) {
                if (arg_ll_or_reply(c, &c->argv[i + 1], entries_read, NULL) < 0) return -1;
                if (*entries_read < 0 && *entries_read != STREAM_ENTRIES_READ_INVALID) {
                    reply_error(c, "value for ENTRIESREAD must be positive or -1");
                    return -1;
                }
                i += 2;
            } else {
                reply_subcommand_syntax_error(c);
                return -1;
            }
        }
    }
    int wrongtype;
    vobj_t *o = lookup_write_or_reply_type(c, &c->argv[2], OBJ_STREAM, &wrongtype);
    if (wrongtype) return -1;
    if (o) *s = o->v.p;
    if (*mkstream) return 0;
    if (!*s) {
        reply_error(c, "The XGROUP subcommand requires the key to exist. Note that for CREATE "
                       "you may want to use the MKSTREAM option to create an empty stream "
                       "automatically.");
        return -1;
    }
    *cg = stream_lookup_group(*s, c->argv[3].ptr, c->argv[3].len);
    if (!*cg && !create && strcmp(sub, "destroy")) {
        reply_errorf(c, "-NOGROUP No such consumer group '%.*s' for key name '%.*s'",
                     s_clen(&c->argv[3]), c->argv[3].ptr, s_clen(&c->argv[2]), c->argv[2].ptr);
        return -1;
    }
    return 0;
}

static void cmd_xgroup_create(client_t *c) {
    stream_t *s;
    stream_cg_t *cg;
    int mkstream;
    long long er;
    if (c->argc > 8) {
        reply_subcommand_syntax_error(c);
        return;
    }
    if (s_xgroup_prep(c, "create", &s, &cg, &mkstream, &er) < 0) return;
    stream_id_t id;
    if (s_is(&c->argv[4], "$")) {
        id = s ? s->last_id : s_id_min;
    } else if (s_parse_id(c, &c->argv[4], &id, 0, 1, NULL) < 0) {
        return;
    }
    const proto_arg_t *key = &c->argv[2];
    if (!s) {
        vobj_t *o = stream_type_create();
        db_add(c->eng, c->db, key->ptr, key->len, o);
        s = o->v.p;
        signal_modified_key(c->eng, c->db, key->ptr, key->len);
    }
    if (s_group_create(s, c->argv[3].ptr, c->argv[3].len, id, er)) {
        reply_ok(c);
        c->eng->stats.dirty++;
        notify_keyspace_event(c->eng, NOTIFY_STREAM, "xgroup-create", key->ptr, key->len,
                              c->db->id);
    } else {
        reply_error(c, "-BUSYGROUP Consumer Group name already exists");
    }
}

static void cmd_xgroup_setid(client_t *c) {
    stream_t *s;
    stream_cg_t *cg;
    int mkstream;
    long long er;
    if (c->argc != 5 && c->argc != 7) {
        reply_subcommand_syntax_error(c);
        return;
    }
    if (s_xgroup_prep(c, "setid", &s, &cg, &mkstream, &er) < 0) return;
    stream_id_t id;
    if (s_is(&c->argv[4], "$")) {
        id = s->last_id;
    } else if (s_parse_id(c, &c->argv[4], &id, 0, 0, NULL) < 0) {
        return;
    }
    cg->last_id = id;
    cg->entries_read = er;
    reply_ok(c);
    c->eng->stats.dirty++;
    notify_keyspace_event(c->eng, NOTIFY_STREAM, "xgroup-setid", c->argv[2].ptr, c->argv[2].len,
                          c->db->id);
}

static void cmd_xgroup_destroy(client_t *c) {
    stream_t *s;
    stream_cg_t *cg;
    int mkstream;
    long long er;
    if (s_xgroup_prep(c, "destroy", &s, &cg, &mkstream, &er) < 0) return;
    if (!cg) {
        reply_int(c, 0);
        return;
    }
    int found;
    size_t at = s_name_search((void *const *)s->groups, s->ngroups, cg->name->ptr, cg->name->len,
                              &found);
    s_array_remove((void **)s->groups, &s->ngroups, at);
    s_group_free(cg);
    reply_int(c, 1);
    c->eng->stats.dirty++;
    notify_keyspace_event(c->eng, NOTIFY_STREAM, "xgroup-destroy", c->argv[2].ptr,
                          c->argv[2].len, c->db->id);
    /* readers blocked on the group must learn it is gone */
    blocking_signal_key(c->eng, c->db, c->argv[2].ptr, c->argv[2].len);
}

static void cmd_xgroup_createconsumer(client_t *c) {
    stream_t *s;
    stream_cg_t *cg;
    int mkstream;
    long long er;
    if (s_xgroup_prep(c, "createconsumer", &s, &cg, &mkstream, &er) < 0) return;
    stream_consumer_t *sc =
        s_consumer_create(cg, c->argv[4].ptr, c->argv[4].len, c->eng->now_ms);
    if (sc) {
        c->eng->stats.dirty++;
        notify_keyspace_event(c->eng, NOTIFY_STREAM, "xgroup-createconsumer", c->argv[2].ptr,
                              c->argv[2].len, c->db->id);
    }
    reply_int(c, sc ? 1 : 0);
}

static void cmd_xgroup_delconsumer(client_t *c) {
    stream_t *s;
    stream_cg_t *cg;
    int mkstream;
    long long er;
    if (s_xgroup_prep(c, "delconsumer", &s, &cg, &mkstream, &er) < 0) return;
    stream_consumer_t *sc = s_consumer_lookup(cg, c->argv[4].ptr, c->argv[4].len);
    long long pending = 0;
    if (sc) {
        pending = (long long)idm_len(sc->pel);
        s_consumer_delete(cg, sc);
        c->eng->stats.dirty++;
        notify_keyspace_event(c->eng, NOTIFY_STREAM, "xgroup-delconsumer", c->argv[2].ptr,
                              c->argv[2].len, c->db->id);
    }
    reply_int(c, pending);
}

/* ---------- XACK / XPENDING / XCLAIM / XAUTOCLAIM ---------- */

static void cmd_xack(client_t *c) {
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_STREAM, &wrongtype);
    if (wrongtype) return;
    stream_cg_t *cg = o ? stream_lookup_group(o->v.p, c->argv[2].ptr, c->argv[2].len) : NULL;
    if (!cg) {
        reply_int(c, 0);
        return;
    }
    int n = c->argc - 3;
    stream_id_t stat[16], *ids = n > 16 ? s_xmalloc(sizeof(stream_id_t) * n) : stat;
    for (int j = 3; j < c->argc; j++)
        if (s_parse_id(c, &c->argv[j], &ids[j - 3], 0, 1, NULL) < 0) goto done;
    long long acked = 0;
    for (int j = 0; j < n; j++) {
        idm_node_t *x = idm_find(cg->pel, ids[j]);
        if (!x) continue;
        s_nack_remove(cg, ids[j], x->val);
        acked++;
        c->eng->stats.dirty++;
    }
    reply_int(c, acked);
done:
    if (ids != stat) free(ids);
}

static void cmd_xpending(client_t *c) {
    int justinfo = c->argc == 3;
    stream_id_t start = s_id_min, end = s_id_max;
    long long count = 0, minidle = 0;
    const proto_arg_t *cname = NULL;
    if (c->argc != 3 && (c->argc < 6 || c->argc > 9)) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (c->argc >= 6) {
        int si = 3;
        if (s_opt(&c->argv[3], "IDLE")) {
            if (arg_ll_or_reply(c, &c->argv[4], &minidle, NULL) < 0) return;
            if (c->argc < 8) {
                reply_error(c, ERR_SYNTAX);
                return;
            }
            si += 2;
        }
        if (arg_ll_or_reply(c, &c->argv[si + 2], &count, NULL) < 0) return;
        if (count < 0) count = 0;
        if (s_parse_range(c, &c->argv[si], &c->argv[si + 1], &start, &end) < 0) return;
        if (si + 3 < c->argc) cname = &c->argv[si + 3];
    }
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_STREAM, &wrongtype);
    if (wrongtype) return;
    stream_cg_t *cg = o ? stream_lookup_group(o->v.p, c->argv[2].ptr, c->argv[2].len) : NULL;
    if (!cg) {
        reply_errorf(c, "-NOGROUP No such key '%.*s' or consumer group '%.*s'",
                     s_clen(&c->argv[1]), c->argv[1].ptr, s_clen(&c->argv[2]), c->argv[2].ptr);
        return;
    }
    if (justinfo) {
        reply_array(c, 4);
        reply_int(c, (long long)idm_len(cg->pel));
        if (!idm_len(cg->pel)) {
            reply_null(c);
            reply_null(c);
            reply_null_array(c);
            return;
        }
        stream_reply_id(c, idm_first(cg->pel)->id);
        stream_reply_id(c, idm_last(cg->pel)->id);
        long long n = 0;
        for (size_t i = 0; i < cg->nconsumers; i++) n += idm_len(cg->consumers[i]->pel) > 0;
        reply_array(c, n);
        for (size_t i = 0; i < cg->nconsumers; i++) {
            stream_consumer_t *sc = cg->consumers[i];
            if (!idm_len(sc->pel)) continue;
            reply_array(c, 2);
            reply_bulk(c, sc->name->ptr, sc->name->len);
            reply_bulk_ll(c, (long long)idm_len(sc->pel));
        }
        return;
    }
    idmap_t *pel = cg->pel;
    if (cname) {
        stream_consumer_t *sc = s_consumer_lookup(cg, cname->ptr, cname->len);
        if (!sc) {
            reply_array(c, 0);
            return;
        }
        pel = sc->pel;
    }
    int64_t now = c->eng->now_ms;
    size_t h = reply_deferred_len(c);
    long long n = 0;
    for (idm_node_t *x = idm_seek_ge(pel, start); count && x && idm_cmp(x->id, end) <= 0;
         x = idm_next(x)) {
        stream_nack_t *nack = x->val;
        if (minidle && now - nack->delivery_time < minidle) continue;
        n++;
        count--;
        reply_array(c, 4);
        stream_reply_id(c, x->id);
        reply_bulk(c, nack->consumer->name->ptr, nack->consumer->name->len);
        int64_t elapsed = now - nack->delivery_time;
        reply_int(c, elapsed < 0 ? 0 : elapsed);
        reply_int(c, (long long)nack->delivery_count);
    }
    reply_set_deferred_len(c, h, n);
}

static void cmd_xclaim(client_t *c) {
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_STREAM, &wrongtype);
    if (wrongtype) return;
    stream_cg_t *cg = o ? stream_lookup_group(o->v.p, c->argv[2].ptr, c->argv[2].len) : NULL;
    if (!cg) {
        reply_errorf(c, "-NOGROUP No such key '%.*s' or consumer group '%.*s'",
                     s_clen(&c->argv[1]), c->argv[1].ptr, s_clen(&c->argv[2]), c->argv[2].ptr);
        return;
    }
    stream_t *s = o->v.p;
    long long minidle, retrycount = -1, deliverytime = -1;
    int force = 0, justid = 0;
    if (arg_ll_or_reply(c, &c->argv[4], &minidle, "-ERR Invalid min-idle-time argument for XCLAIM") <
        0)
        return;
    if (minidle < 0) minidle = 0;
    int n = c->argc - 5;
    stream_id_t stat[16], *ids = n > 16 ? s_xmalloc(sizeof(stream_id_t) * n) : stat;
    int j;
    for (j = 5; j < c->argc; j++)
        if (s_parse_id(NULL, &c->argv[j], &ids[j - 5], 0, 1, NULL) < 0) break;
    int last_id_arg = j - 1;
    int64_t now = c->eng->now_ms;
    stream_id_t last_id = s_id_min;
    for (; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        const proto_arg_t *a = &c->argv[j];
        if (s_opt(a, "FORCE")) {
            force = 1;
        } else if (s_opt(a, "JUSTID")) {
            justid = 1;
        } else if (s_opt(a, "IDLE") && more) {
            j++;
            if (arg_ll_or_reply(c, &c->argv[j], &deliverytime,
                                "-ERR Invalid IDLE option argument for XCLAIM") < 0)
                goto done;
            deliverytime = now - deliverytime;
        } else if (s_opt(a, "TIME") && more) {
            j++;
            if (arg_ll_or_reply(c, &c->argv[j], &deliverytime,
                                "-ERR Invalid TIME option argument for XCLAIM") < 0)
                goto done;
        } else if (s_opt(a, "RETRYCOUNT") && more) {
            j++;
            if (arg_ll_or_reply(c, &c->argv[j], &retrycount,
                                "-ERR Invalid RETRYCOUNT option argument for XCLAIM") < 0)
                goto done;
        } else if (s_opt(a, "LASTID") && more) {
            j++;
            if (s_parse_id(c, &c->argv[j], &last_id, 0, 1, NULL) < 0) goto done;
        } else {
            reply_errorf(c, "Unrecognized XCLAIM option '%.*s'", s_clen(a), a->ptr);
            goto done;
        }
    }
    int lastid_moved = 0;
    if (idm_cmp(last_id, cg->last_id) > 0) {
        cg->last_id = last_id;
        c->eng->stats.dirty++;
        lastid_moved = 1;
    }
    if (deliverytime != -1) {
        if (deliverytime < 0 || deliverytime > now) deliverytime = now;
    } else {
        deliverytime = now;
    }
    stream_consumer_t *sc = NULL;
    size_t h = reply_deferred_len(c);
    long long replied = 0;
    for (int k = 5; k <= last_id_arg; k++) {
        stream_id_t id = ids[k - 5];
        idm_node_t *p = idm_find(cg->pel, id);
        stream_nack_t *nack = p ? p->val : NULL;
        if (!stream_entry_exists(s, id)) {
            if (nack) {
                c->eng->stats.dirty++;
                s_nack_remove(cg, id, nack);
                s_unpend_effect(c, &c->argv[1], &c->argv[2], id);
            }
            continue;
        }
        if (force && !nack) {
            nack = s_xmalloc(sizeof(*nack));
            nack->delivery_time = now;
            nack->delivery_count = 1;
            nack->consumer = NULL;
            idm_insert(cg->pel, id, nack);
        }
        if (!nack) continue;
        if (nack->consumer && minidle && now - nack->delivery_time < minidle) continue;
        if (!sc) {
            sc = s_consumer_get(c, cg, c->argv[3].ptr, c->argv[3].len, c->argv[1].ptr,
                                c->argv[1].len);
            sc->seen_time = now;
        }
        if (nack->consumer != sc && nack->consumer) idm_delete(nack->consumer->pel, id, NULL);
        nack->delivery_time = deliverytime;
        if (retrycount >= 0)
            nack->delivery_count = (uint64_t)retrycount;
        else if (!justid)
            nack->delivery_count++;
        if (nack->consumer != sc) {
            idm_insert(sc->pel, id, nack);
            nack->consumer = sc;
        }
        if (justid)
            stream_reply_id(c, id);
        else if (!s_reply_one(c, s, id))
            reply_null(c);
        replied++;
        c->eng->stats.dirty++;
        s_claim_effect(c, c->argv[1].ptr, c->argv[1].len, cg, c->argv[3].ptr, c->argv[3].len, id,
                       nack);
    }
    if (replied == 0 && lastid_moved) {
        /* only LASTID changed: a claim of 0-0 (never an entry) carries it */
        char lastb[48];
        int lastn = s_fmt_id(lastb, cg->last_id);
        proto_arg_t fx[8] = {EFF_LIT("XCLAIM"), c->argv[1], c->argv[2], c->argv[3], EFF_LIT("0"),
                             EFF_LIT("0-0"), EFF_LIT("LASTID"), EFF_ARG(lastb, lastn)};
        effect_add(c, 8, fx);
    }
    reply_set_deferred_len(c, h, replied);
done:
    if (ids != stat) free(ids);
}

static void cmd_xautoclaim(client_t *c) {
    long long minidle, count = 100;
    int justid = 0;
    if (arg_ll_or_reply(c, &c->argv[4], &minidle,
                        "-ERR Invalid min-idle-time argument for XAUTOCLAIM") < 0)
        return;
    if (minidle < 0) minidle = 0;
    stream_id_t start, unused;
    if (s_parse_range(c, &c->argv[5], NULL, &start, &unused) < 0) return;
    for (int j = 6; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        if (s_opt(&c->argv[j], "COUNT") && more) {
            long long max_count = LONG_MAX / 16;
            if (!str_to_ll(c->argv[j + 1].ptr, c->argv[j + 1].len, &count) || count < 1 ||
                count > max_count) {
                reply_error(c, "COUNT must be > 0");
                return;
            }
            j++;
        } else if (s_opt(&c->argv[j], "JUSTID")) {
            justid = 1;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_STREAM, &wrongtype);
    if (wrongtype) return;
    stream_cg_t *cg = o ? stream_lookup_group(o->v.p, c->argv[2].ptr, c->argv[2].len) : NULL;
    if (!cg) {
        reply_errorf(c, "-NOGROUP No such key '%.*s' or consumer group '%.*s'",
                     s_clen(&c->argv[1]), c->argv[1].ptr, s_clen(&c->argv[2]), c->argv[2].ptr);
        return;
    }
    stream_t *s = o->v.p;
    int64_t now = c->eng->now_ms;
    /* The cursor (the first PEL entry this call will not visit) comes first in the reply:
     * find it with a read-only pass taking the same steps as the claiming one. */
    long long attempts = count * 10, left = count;
    idm_node_t *x = idm_seek_ge(cg->pel, start);
    while (attempts-- && left && x) {
        stream_nack_t *nack = x->val;
        if (!stream_entry_exists(s, x->id) || !minidle || now - nack->delivery_time >= minidle)
            left--;
        x = idm_next(x);
    }
    stream_id_t cursor = x ? x->id : s_id_min;
    reply_array(c, 3);
    stream_reply_id(c, cursor);
    size_t hlist = reply_deferred_len(c);
    size_t capdeleted = (size_t)(count < 1024 ? count : 1024);
    stream_id_t *deleted = s_xmalloc(sizeof(stream_id_t) * capdeleted);
    size_t ndeleted = 0;
    stream_consumer_t *sc = NULL;
    long long replied = 0;
    attempts = count * 10;
    x = idm_seek_ge(cg->pel, start);
    while (attempts-- && count && x) {
        idm_node_t *nx = idm_next(x);
        stream_id_t id = x->id;
        stream_nack_t *nack = x->val;
        if (!stream_entry_exists(s, id)) {
            c->eng->stats.dirty++;
            s_nack_remove(cg, id, nack);
            s_unpend_effect(c, &c->argv[1], &c->argv[2], id);
            if (ndeleted == capdeleted) {
                capdeleted *= 2;
                deleted = s_xrealloc(deleted, sizeof(stream_id_t) * capdeleted);
            }
            deleted[ndeleted++] = id;
            count--;
            x = nx;
            continue;
        }
        if (minidle && now - nack->delivery_time < minidle) {
            x = nx;
            continue;
        }
        if (!sc) {
            sc = s_consumer_get(c, cg, c->argv[3].ptr, c->argv[3].len, c->argv[1].ptr,
                                c->argv[1].len);
            sc->seen_time = now;
        }
        if (nack->consumer != sc && nack->consumer) idm_delete(nack->consumer->pel, id, NULL);
        nack->delivery_time = now;
        if (!justid) nack->delivery_count++;
        if (nack->consumer != sc) {
            idm_insert(sc->pel, id, nack);
            nack->consumer = sc;
        }
        if (justid)
            stream_reply_id(c, id);
        else
            s_reply_one(c, s, id);
        replied++;
        count--;
        c->eng->stats.dirty++;
        s_claim_effect(c, c->argv[1].ptr, c->argv[1].len, cg, c->argv[3].ptr, c->argv[3].len, id,
                       nack);
        x = nx;
    }
    reply_set_deferred_len(c, hlist, replied);
    reply_array(c, (long long)ndeleted);
    for (size_t i = 0; i < ndeleted; i++) stream_reply_id(c, deleted[i]);
    free(deleted);
}

/* ===================== the command table ===================== */

// clang-format off
static command_t s_xinfo_subs[] = {
    {.name = "consumers", .proc = cmd_xinfo_consumers, .arity = 4, .flags = "readonly",
     .acl = "stream", .keyspecs = "RO access;index:2;range:0,1,0",
     .tips = "nondeterministic_output", .group = "stream", .since = "5.0.0",
     .summary = "Lists the consumers of a consumer group.", .complexity = "O(1)",
     .args = "key:key@0 string:groupname"},
    {.name = "groups", .proc = cmd_xinfo_groups, .arity = 3, .flags = "readonly",
     .acl = "stream", .keyspecs = "RO access;index:2;range:0,1,0", .group = "stream",
     .since = "5.0.0", .summary = "Lists the consumer groups of a stream.", .complexity = "O(1)",
     .history = "7.0.0 Reports entries-read and lag.", .args = "key:key@0"},
    {.name = "stream", .proc = cmd_xinfo_stream, .arity = -3, .flags = "readonly",
     .acl = "stream", .keyspecs = "RO access;index:2;range:0,1,0", .group = "stream",
     .since = "5.0.0", .summary = "Describes a stream, or with FULL dumps it with its groups.",
     .complexity = "O(log N) for the summary; O(N) with FULL, N bounded by COUNT.",
     .history = "6.0.0 FULL.|7.0.0 Reports max-deleted-entry-id, entries-added, "
                "recorded-first-entry-id, entries-read and lag.",
     .args = "key:key@0 ?block:full_block(=FULL ?integer:count=COUNT)"},
    {.name = "help", .proc = cmd_xinfo_help, .arity = 2, .flags = "loading stale",
     .acl = "stream", .group = "stream", .since = "5.0.0",
     .summary = "Lists the XINFO subcommands.", .complexity = "O(1)"},
    {0}};

static command_t s_xgroup_subs[] = {
    {.name = "create", .proc = cmd_xgroup_create, .arity = -5, .flags = "write denyoom",
     .acl = "stream", .keyspecs = "RW insert;index:2;range:0,1,0", .group = "stream",
     .since = "5.0.0", .summary = "Creates a consumer group on a stream.", .complexity = "O(1)",
     .history = "7.0.0 ENTRIESREAD.",
     .args = "key:key@0 string:groupname oneof:id_selector(string:id pure-token:new_id=$) "
             "?=MKSTREAM ?integer:entries_read=ENTRIESREAD"},
    {.name = "createconsumer", .proc = cmd_xgroup_createconsumer, .arity = 5,
     .flags = "write denyoom", .acl = "stream", .keyspecs = "RW insert;index:2;range:0,1,0",
     .group = "stream", .since = "6.2.0", .summary = "Adds a consumer to a consumer group.",
     .complexity = "O(1)", .args = "key:key@0 string:groupname string:consumername"},
    {.name = "delconsumer", .proc = cmd_xgroup_delconsumer, .arity = 5, .flags = "write",
     .acl = "stream", .keyspecs = "RW delete;index:2;range:0,1,0", .group = "stream",
     .since = "5.0.0",
     .summary = "Removes a consumer from a consumer group, with its pending entries.",
     .complexity = "O(1)", .args = "key:key@0 string:groupname string:consumername"},
    {.name = "destroy", .proc = cmd_xgroup_destroy, .arity = 4, .flags = "write",
     .acl = "stream", .keyspecs = "RW delete;index:2;range:0,1,0", .group = "stream",
     .since = "5.0.0", .summary = "Removes a consumer group.",
     .complexity = "O(N), N being the entries of the group's pending list.",
     .args = "key:key@0 string:groupname"},
    {.name = "setid", .proc = cmd_xgroup_setid, .arity = -5, .flags = "write", .acl = "stream",
     .keyspecs = "RW update;index:2;range:0,1,0", .group = "stream", .since = "5.0.0",
     .summary = "Moves the last delivered ID of a consumer group.", .complexity = "O(1)",
     .history = "7.0.0 ENTRIESREAD.",
     .args = "key:key@0 string:groupname oneof:id_selector(string:id pure-token:new_id=$) "
             "?integer:entriesread=ENTRIESREAD"},
    {.name = "help", .proc = cmd_xgroup_help, .arity = 2, .flags = "loading stale",
     .acl = "stream", .group = "stream", .since = "5.0.0",
     .summary = "Lists the XGROUP subcommands.", .complexity = "O(1)"},
    {0}};

command_t stream_commands[] = {
    {.name = "xadd", .proc = cmd_xadd, .arity = -5, .flags = "write denyoom fast",
     .acl = "stream",
     .keyspecs = "RW update;index:1;range:0,1,0;UPDATE instead of INSERT because of the "
                 "optional trimming feature",
     .tips = "nondeterministic_output", .group = "stream", .since = "5.0.0",
     .summary = "Appends an entry to a stream, optionally trimming it.",
     .complexity = "O(1) to add; trimming is O(N), N being the entries removed.",
     .history = "6.2.0 NOMKSTREAM, MINID and LIMIT.|7.0.0 Partial IDs of the form ms-*.",
     .args = "key:key@0 ?=NOMKSTREAM+6.2.0 ?block:trim(oneof:strategy(=MAXLEN =MINID+6.2.0) "
             "?oneof:operator(pure-token:equal== pure-token:approximately=~) string:threshold "
             "?integer:count=LIMIT+6.2.0) oneof:id_selector(pure-token:auto_id=* string:id) "
             "*block:data(string:field string:value)"},
    {.name = "xrange", .proc = cmd_xrange, .arity = -4, .flags = "readonly", .acl = "stream",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "stream", .since = "5.0.0",
     .summary = "Returns the entries of a stream within an ID range.",
     .complexity = "O(log N + M), M being the entries returned.",
     .history = "6.2.0 Exclusive ranges.",
     .args = "key:key@0 string:start string:end ?integer:count=COUNT"},
    {.name = "xrevrange", .proc = cmd_xrevrange, .arity = -4, .flags = "readonly",
     .acl = "stream", .keyspecs = "RO access;index:1;range:0,1,0", .group = "stream",
     .since = "5.0.0", .summary = "Returns the entries of a stream within an ID range, newest first.",
     .complexity = "O(log N + M), M being the entries returned.",
     .history = "6.2.0 Exclusive ranges.",
     .args = "key:key@0 string:end string:start ?integer:count=COUNT"},
    {.name = "xlen", .proc = cmd_xlen, .arity = 2, .flags = "readonly fast", .acl = "stream",
     .keyspecs = "RO;index:1;range:0,1,0", .group = "stream", .since = "5.0.0",
     .summary = "Returns the number of entries of a stream.", .complexity = "O(1)",
     .args = "key:key@0"},
    {.name = "xdel", .proc = cmd_xdel, .arity = -3, .flags = "write fast", .acl = "stream",
     .keyspecs = "RW delete;index:1;range:0,1,0", .group = "stream", .since = "5.0.0",
     .summary = "Removes entries from a stream by ID.",
     .complexity = "O(log N) per entry removed.", .args = "key:key@0 *string:id"},
    {.name = "xtrim", .proc = cmd_xtrim, .arity = -4, .flags = "write", .acl = "stream",
     .keyspecs = "RW delete;index:1;range:0,1,0", .tips = "nondeterministic_output",
     .group = "stream", .since = "5.0.0",
     .summary = "Removes the oldest entries of a stream by length or by ID.",
     .complexity = "O(N), N being the entries removed.",
     .history = "6.2.0 MINID and LIMIT.",
     .args = "key:key@0 block:trim(oneof:strategy(=MAXLEN =MINID+6.2.0) "
             "?oneof:operator(pure-token:equal== pure-token:approximately=~) string:threshold "
             "?integer:count=LIMIT+6.2.0)"},
    {.name = "xsetid", .proc = cmd_xsetid, .arity = -3, .flags = "write denyoom fast",
     .acl = "stream", .keyspecs = "RW update;index:1;range:0,1,0", .group = "stream",
     .since = "5.0.0", .summary = "Sets the last generated ID of a stream (internal use).",
     .complexity = "O(1)", .history = "7.0.0 ENTRIESADDED and MAXDELETEDID.",
     .args = "key:key@0 string:last-id ?integer:entries_added=ENTRIESADDED+7.0.0 "
             "?string:max_deleted_entry_id=MAXDELETEDID+7.0.0"},
    {.name = "xinfo", .proc = NULL, .arity = -2, .flags = "", .group = "stream",
     .since = "5.0.0", .summary = "Inspects streams and their consumer groups.",
     .complexity = "Depends on the subcommand.", .subcommands = s_xinfo_subs},
    {.name = "xread", .proc = cmd_xread, .arity = -4, .flags = "readonly blocking",
     .acl = "stream", .keyspecs = "RO access;keyword:STREAMS,1;range:-1,1,2", .group = "stream",
     .since = "5.0.0",
     .summary = "Returns entries newer than given IDs from streams, optionally waiting.",
     .complexity = "O(log N + M) per stream, M being the entries returned.",
     .args = "?integer:count=COUNT ?integer:milliseconds=BLOCK "
             "block:streams=STREAMS(*key:key@0 *string:id)"},
    {.name = "xgroup", .proc = NULL, .arity = -2, .flags = "", .group = "stream",
     .since = "5.0.0", .summary = "Manages consumer groups.",
     .complexity = "Depends on the subcommand.", .subcommands = s_xgroup_subs},
    {.name = "xreadgroup", .proc = cmd_xreadgroup, .arity = -7, .flags = "write blocking",
     .acl = "stream", .keyspecs = "RO access;keyword:STREAMS,4;range:-1,1,2", .group = "stream",
     .since = "5.0.0",
     .summary = "Reads entries from streams for a consumer of a group, optionally waiting.",
     .complexity = "O(M) per stream, M being the entries returned.",
     .args = "block:group_block=GROUP(string:group string:consumer) ?integer:count=COUNT "
             "?integer:milliseconds=BLOCK ?=NOACK block:streams=STREAMS(*key:key@0 *string:id)"},
    {.name = "xack", .proc = cmd_xack, .arity = -4, .flags = "write fast", .acl = "stream",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "stream", .since = "5.0.0",
     .summary = "Acknowledges entries of a consumer group's pending list.",
     .complexity = "O(log N) per ID.", .args = "key:key@0 string:group *string:id"},
    {.name = "xpending", .proc = cmd_xpending, .arity = -3, .flags = "readonly",
     .acl = "stream", .keyspecs = "RO access;index:1;range:0,1,0",
     .tips = "nondeterministic_output", .group = "stream", .since = "5.0.0",
     .summary = "Describes the pending entries of a consumer group.",
     .complexity = "O(N) with N the entries returned; O(C) for the summary, C consumers.",
     .history = "6.2.0 IDLE and exclusive ranges.",
     .args = "key:key@0 string:group ?block:filters(?integer:min-idle-time=IDLE+6.2.0 "
             "string:start string:end integer:count ?string:consumer)"},
    {.name = "xclaim", .proc = cmd_xclaim, .arity = -6, .flags = "write fast", .acl = "stream",
     .keyspecs = "RW update;index:1;range:0,1,0", .tips = "nondeterministic_output",
     .group = "stream", .since = "5.0.0",
     .summary = "Transfers pending entries of a consumer group to another consumer.",
     .complexity = "O(log N) per ID.",
     .args = "key:key@0 string:group string:consumer string:min-idle-time *string:id "
             "?integer:ms=IDLE ?unix-time:unix-time-milliseconds=TIME "
             "?integer:count=RETRYCOUNT ?=FORCE ?=JUSTID ?string:lastid=LASTID"},
    {.name = "xautoclaim", .proc = cmd_xautoclaim, .arity = -6, .flags = "write fast",
     .acl = "stream", .keyspecs = "RW delete;index:1;range:0,1,0",
     .tips = "nondeterministic_output", .group = "stream", .since = "6.2.0",
     .summary = "Transfers the idle pending entries of a group to a consumer, by cursor.",
     .complexity = "O(1) per entry examined, bounded by COUNT.",
     .history = "7.0.0 Returns the deleted IDs as a third element; no longer counts them as "
                "claimed.",
     .args = "key:key@0 string:group string:consumer string:min-idle-time string:start "
             "?integer:count=COUNT ?=JUSTID"},
    {0},
};
// clang-format on
