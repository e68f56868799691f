/* Blocking commands (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX BZMPOP, CLIENT
 * UNBLOCK): who waits on which key, the order they are served in, their deadlines, and the
 * commands a blocked client sent meanwhile. */
#include "engine/blocking.h"
#include "engine/core.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/effects.h"
#include "engine/types/t_list.h"
#include "engine/types/t_stream.h"
#include "engine/types/t_zset.h"
#include "shared/util.h"

/* What a client waits for: the type of key that can serve it. */
enum { BK_LIST = 1, BK_ZSET = 2, BK_STREAM = 3, BK_CUSTOM = 4 /* blocking_custom_t */ };
/* What it does once served, which fixes the reply's shape. */
enum {
    BOP_POP,   /* BLPOP BRPOP: [key, element] */
    BOP_MPOP,  /* BLMPOP: [key, [elements]] */
    BOP_MOVE,  /* BLMOVE BRPOPLPUSH: the element, pushed to the target */
    BOP_ZPOP,  /* BZPOPMIN BZPOPMAX: [key, member, score] */
    BOP_ZMPOP, /* BZMPOP: [key, [[member, score], ...]] */
    BOP_XREAD, /* XREAD / XREADGROUP BLOCK: {key: entries} */
};

typedef struct block block_t;
typedef struct wait_list wait_list_t;

/* Lookup key of the per-database wait dicts: bytes of a key, not owned. */
typedef struct bkey {
    const char *p;
    size_t len;
} bkey_t;

/* One client waiting on one key: a link of that key's FIFO. */
typedef struct wait_node {
    struct wait_node *prev, *next;
    wait_list_t *list;
    block_t *b;
    stream_id_t after; /* XREAD: entries after this ID serve the client */
} wait_node_t;

/* The clients waiting on one key of one database, first blocked first. Exists only while
 * someone waits, so signalling a key nobody waits on is one failed hash lookup. */
struct wait_list {
    bkey_t k; /* the dict key: points into key */
    vstr_t *key;
    int dbid;
    int ready; /* queued in s_bk.ready */
    wait_node_t *head, *tail;
    int ncustom; /* BK_CUSTOM waiters: while > 0 the list is linked in s_bk.custom_lists */
    struct wait_list *cprev, *cnext;
};

/* A command received while its client was blocked, with its own copy of the arguments. */
typedef struct deferred {
    struct deferred *next;
    int argc;
    proto_arg_t argv[]; /* followed by the argument bytes, each NUL-terminated */
} deferred_t;

/* A client's blocking state (c->block); kept for the client's life once created. */
struct block {
    client_t *c;
    int blocked; /* in wait lists (CLIENT_BLOCKED) */
    int kind, op, where, whereto;
    long count;               /* BLMPOP / BZMPOP */
    vstr_t *target;           /* BLMOVE's destination */
    vstr_t *group, *consumer; /* XREADGROUP */
    int noack;
    int dbid;
    int nnodes;
    wait_node_t *nodes;
    uint64_t deadline; /* unix ms; 0 = forever */
    uint64_t seq;      /* block order: ties between equal deadlines keep it */
    size_t heap_idx;   /* position in s_bk.heap, SIZE_MAX when not there */
    deferred_t *q_head, *q_tail;
    int pending; /* in s_bk.pending: unblocked, deferred commands to run */
    const blocking_custom_t *custom; /* BK_CUSTOM: how to serve it */
    long long custom_arg;
};

typedef struct ready_key {
    int dbid;
    vstr_t *key;
} ready_key_t;

static struct {
    engine_t *e;
    int ndbs;
    dict_t **waits; /* per database: bkey_t* -> wait_list_t* (created on first use) */
    dict_t *by_id;  /* blocked clients: id -> block_t* (CLIENT UNBLOCK) */
    ready_key_t *ready;
    size_t nready, ready_cap;
    block_t **heap; /* min-heap on (deadline, seq) of the blocked clients with a timeout */
    size_t nheap, heap_cap;
    client_t **pending;
    size_t npending, pending_cap;
    uint64_t seq;
    long long nblocked;
    int draining;
    wait_list_t *custom_lists; /* keys with BK_CUSTOM waiters (their timers run from the loop) */
} s_bk;

/* ===================== dict types ===================== */

static uint64_t s_bkey_hash(const void *k) {
    const bkey_t *b = k;
    return dict_hash_bytes(b->p, b->len);
}
static int s_bkey_eq(const void *a, const void *b) {
    const bkey_t *x = a, *y = b;
    return x->len == y->len && memcmp(x->p, y->p, x->len) == 0;
}
static const dict_type_t s_waits_type = {s_bkey_hash, s_bkey_eq, NULL, NULL};

static uint64_t s_id_hash(const void *k) {
    uint64_t v = (uint64_t)(uintptr_t)k;
    return dict_hash_bytes(&v, sizeof v);
}
static int s_id_eq(const void *a, const void *b) { return a == b; }
static const dict_type_t s_ids_type = {s_id_hash, s_id_eq, NULL, NULL};

static void s_grow(void **arr, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(*arr, n * elem);
    if (!p) abort();
    *arr = p;
    *cap = n;
}

/* The module state belongs to one engine (unit tests make several in turn). */
static void s_init(engine_t *e) {
    if (s_bk.e == e) return;
    if (s_bk.waits)
        for (int i = 0; i < s_bk.ndbs; i++)
            if (s_bk.waits[i]) dict_destroy(&s_bk.waits[i]);
    free(s_bk.waits);
    if (s_bk.by_id) dict_destroy(&s_bk.by_id);
    for (size_t i = 0; i < s_bk.nready; i++)
        vstr_free(s_bk.ready[i].key);
    free(s_bk.ready);
    free(s_bk.heap);
    free(s_bk.pending);
    memset(&s_bk, 0, sizeof s_bk);
    s_bk.e = e;
    s_bk.ndbs = e->cfg.databases + ENGINE_NAMESPACES_MAX; /* namespaces too (engine/core.h) */
    s_bk.waits = calloc((size_t)s_bk.ndbs, sizeof *s_bk.waits);
    if (!s_bk.waits) abort();
    s_bk.by_id = dict_new(&s_ids_type);
}

static wait_list_t *s_wait_list(int dbid, const char *key, size_t len) {
    if (s_bk.e == NULL || dbid < 0 || dbid >= s_bk.ndbs || !s_bk.waits[dbid]) return NULL;
    bkey_t k = {key, len};
    dict_entry_t *de = dict_find(s_bk.waits[dbid], &k);
    return de ? de->v.val : NULL;
}

/* ===================== deadlines: a min-heap ===================== */

static int s_heap_less(const block_t *a, const block_t *b) {
    return a->deadline != b->deadline ? a->deadline < b->deadline : a->seq < b->seq;
}

static void s_heap_set(size_t i, block_t *b) {
    s_bk.heap[i] = b;
    b->heap_idx = i;
}

static void s_heap_up(size_t i) {
    block_t *b = s_bk.heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!s_heap_less(b, s_bk.heap[parent])) break;
        s_heap_set(i, s_bk.heap[parent]);
        i = parent;
    }
    s_heap_set(i, b);
}

static void s_heap_down(size_t i) {
    block_t *b = s_bk.heap[i];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const block_t *best = b;
        if (l < s_bk.nheap && s_heap_less(s_bk.heap[l], best)) m = l, best = s_bk.heap[l];
        if (r < s_bk.nheap && s_heap_less(s_bk.heap[r], best)) m = r;
        if (m == i) break;
        s_heap_set(i, s_bk.heap[m]);
        i = m;
    }
    s_heap_set(i, b);
}

static void s_heap_push(block_t *b) {
    s_grow((void **)&s_bk.heap, &s_bk.heap_cap, s_bk.nheap + 1, sizeof *s_bk.heap);
    s_bk.heap[s_bk.nheap] = b;
    b->heap_idx = s_bk.nheap++;
    s_heap_up(b->heap_idx);
}

static void s_heap_remove(block_t *b) {
    size_t i = b->heap_idx;
    if (i == SIZE_MAX) return;
    b->heap_idx = SIZE_MAX;
    block_t *last = s_bk.heap[--s_bk.nheap];
    if (i == s_bk.nheap) return;
    s_heap_set(i, last);
    s_heap_up(i);
    s_heap_down(last->heap_idx);
}

/* ===================== blocking and unblocking ===================== */

static block_t *s_block_state(client_t *c) {
    if (!c->block) {
        block_t *b = calloc(1, sizeof *b);
        if (!b) abort();
        b->c = c;
        b->heap_idx = SIZE_MAX;
        c->block = b;
    }
    return c->block;
}

/* Parks c on keys (duplicates count once, as in Redis) until served, timed out or
 * unblocked. The key bytes are copied; nothing is replied now. */
static void s_block(client_t *c, int kind, int op, const proto_arg_t *keys, int nkeys, int where,
                    int whereto, long count, const proto_arg_t *target, const stream_id_t *ids,
                    uint64_t deadline) {
    engine_t *e = c->eng;
    s_init(e);
    block_t *b = s_block_state(c);
    b->kind = kind;
    b->op = op;
    b->where = where;
    b->whereto = whereto;
    b->count = count;
    b->target = target ? vstr_new(target->ptr, target->len) : NULL;
    b->dbid = c->db->id;
    b->deadline = deadline;
    b->seq = ++s_bk.seq;
    b->nodes = malloc((size_t)nkeys * sizeof *b->nodes);
    if (!b->nodes) abort();
    b->nnodes = 0;
    dict_t **dp = &s_bk.waits[b->dbid];
    if (!*dp) *dp = dict_new(&s_waits_type);
    for (int i = 0; i < nkeys; i++) {
        bkey_t k = {keys[i].ptr, keys[i].len};
        dict_entry_t *de = dict_find(*dp, &k);
        wait_list_t *wl;
        if (de) {
            wl = de->v.val;
            /* this client's own node is the tail when the key was already named */
            if (wl->tail && wl->tail->b == b) continue;
        } else {
            wl = calloc(1, sizeof *wl);
            if (!wl) abort();
            wl->key = vstr_new(keys[i].ptr, keys[i].len);
            wl->k.p = wl->key->ptr;
            wl->k.len = wl->key->len;
            wl->dbid = b->dbid;
            dict_add(*dp, &wl->k, wl);
        }
        wait_node_t *n = &b->nodes[b->nnodes++];
        n->list = wl;
        n->b = b;
        n->after = ids ? ids[i] : (stream_id_t){0, 0};
        n->next = NULL;
        n->prev = wl->tail;
        if (wl->tail)
            wl->tail->next = n;
        else
            wl->head = n;
        wl->tail = n;
        if (kind == BK_CUSTOM && wl->ncustom++ == 0) {
            wl->cprev = NULL;
            wl->cnext = s_bk.custom_lists;
            if (s_bk.custom_lists) s_bk.custom_lists->cprev = wl;
            s_bk.custom_lists = wl;
        }
    }
    if (deadline) s_heap_push(b);
    dict_add(s_bk.by_id, (void *)(uintptr_t)c->id, b);
    b->blocked = 1;
    c->flags |= CLIENT_BLOCKED;
    s_bk.nblocked++;
}

static void s_pending_remove(client_t *c) {
    for (size_t i = 0; i < s_bk.npending; i++) {
        if (s_bk.pending[i] == c) {
            memmove(&s_bk.pending[i], &s_bk.pending[i + 1],
                    (s_bk.npending - i - 1) * sizeof *s_bk.pending);
            s_bk.npending--;
            return;
        }
    }
}

/* Takes b's client out of every wait list and the deadline heap. Its deferred commands, if
 * any, are queued to run (after the current command or serving pass) unless it is going
 * away. */
static void s_unblock(block_t *b, int run_deferred) {
    if (!b->blocked) return;
    for (int i = 0; i < b->nnodes; i++) {
        wait_node_t *n = &b->nodes[i];
        wait_list_t *wl = n->list;
        if (b->kind == BK_CUSTOM && --wl->ncustom == 0) {
            if (wl->cprev)
                wl->cprev->cnext = wl->cnext;
            else
                s_bk.custom_lists = wl->cnext;
            if (wl->cnext) wl->cnext->cprev = wl->cprev;
            wl->cprev = wl->cnext = NULL;
        }
        if (n->prev)
            n->prev->next = n->next;
        else
            wl->head = n->next;
        if (n->next)
            n->next->prev = n->prev;
        else
            wl->tail = n->prev;
        if (!wl->head) {
            dict_delete(s_bk.waits[wl->dbid], &wl->k);
            vstr_free(wl->key);
            free(wl);
        }
    }
    free(b->nodes);
    b->nodes = NULL;
    b->nnodes = 0;
    if (b->target) vstr_free(b->target);
    if (b->group) vstr_free(b->group);
    if (b->consumer) vstr_free(b->consumer);
    b->target = b->group = b->consumer = NULL;
    s_heap_remove(b);
    dict_delete(s_bk.by_id, (void *)(uintptr_t)b->c->id);
    b->blocked = 0;
    b->c->flags &= ~CLIENT_BLOCKED;
    s_bk.nblocked--;
    if (run_deferred && b->q_head && !b->pending) {
        s_grow((void **)&s_bk.pending, &s_bk.pending_cap, s_bk.npending + 1, sizeof *s_bk.pending);
        s_bk.pending[s_bk.npending++] = b->c;
        b->pending = 1;
    }
}

static void s_free_deferred(block_t *b) {
    while (b->q_head) {
        deferred_t *d = b->q_head;
        b->q_head = d->next;
        free(d);
    }
    b->q_tail = NULL;
}

void blocking_client_free(client_t *c) {
    block_t *b = c->block;
    if (!b) return;
    s_unblock(b, 0);
    if (b->pending) s_pending_remove(c);
    s_free_deferred(b);
    free(b);
    c->block = NULL;
}

int blocking_defer(client_t *c, int argc, const proto_arg_t *argv) {
    block_t *b = c->block;
    if (!b || (!b->blocked && !b->q_head)) return 0;
    size_t bytes = 0;
    for (int i = 0; i < argc; i++)
        bytes += argv[i].len + 1;
    deferred_t *d = malloc(sizeof *d + (size_t)argc * sizeof(proto_arg_t) + bytes);
    if (!d) abort();
    d->next = NULL;
    d->argc = argc;
    char *p = (char *)(d->argv + argc);
    for (int i = 0; i < argc; i++) {
        memcpy(p, argv[i].ptr, argv[i].len);
        p[argv[i].len] = '\0';
        d->argv[i].ptr = p;
        d->argv[i].len = argv[i].len;
        p += argv[i].len + 1;
    }
    if (b->q_tail)
        b->q_tail->next = d;
    else
        b->q_head = d;
    b->q_tail = d;
    return 1;
}

long long blocking_blocked_count(void) { return s_bk.nblocked; }
long long blocking_timeout_count(void) { return (long long)s_bk.nheap; }

/* ===================== serving ===================== */

void blocking_signal_key(engine_t *e, db_t *db, const char *key, size_t len) {
    (void)e;
    wait_list_t *wl = s_wait_list(db->id, key, len);
    if (!wl || wl->ready) return;
    wl->ready = 1;
    s_grow((void **)&s_bk.ready, &s_bk.ready_cap, s_bk.nready + 1, sizeof *s_bk.ready);
    /* a copy: the wait list may be gone (its waiters left) before the key is served */
    s_bk.ready[s_bk.nready++] = (ready_key_t){db->id, vstr_new(key, len)};
}

void blocking_scan_db(engine_t *e, int dbid) {
    if (s_bk.e != e || dbid < 0 || dbid >= s_bk.ndbs || !s_bk.waits[dbid]) return;
    db_t *db = &e->dbs[dbid];
    dict_iter_t it;
    dict_entry_t *de;
    dict_iter_init(&it, s_bk.waits[dbid]);
    while ((de = dict_iter_next(&it))) {
        wait_list_t *wl = de->v.val;
        if (db_peek(db, wl->k.p, wl->k.len)) blocking_signal_key(e, db, wl->k.p, wl->k.len);
    }
    dict_iter_done(&it);
}

/* Gives b's client what it waited for from the key (holding o, of b's kind), replying as its
 * command does. Works on the client's db, which is the key's. */
static void s_serve_one(block_t *b, const vstr_t *key, vobj_t *o) {
    client_t *c = b->c;
    proto_arg_t k = {key->ptr, key->len};
    switch (b->op) {
    case BOP_POP:
        list_pop_reply(c, key->ptr, key->len, o, b->where, 1, LIST_POP_KEY_VALUE, NULL);
        break;
    case BOP_MPOP:
        list_pop_reply(c, key->ptr, key->len, o, b->where, b->count, LIST_POP_KEY_ARRAY, NULL);
        break;
    case BOP_MOVE:
        /* a destination of another type gets the client WRONGTYPE, and it is unblocked all
         * the same with nothing moved, as in Redis */
        list_move_reply(c, key->ptr, key->len, o, b->target->ptr, b->target->len, b->where,
                        b->whereto);
        break;
    case BOP_ZPOP: zset_pop_generic(c, &k, 1, b->where, 1, -1, 0, 0, NULL); break;
    case BOP_ZMPOP: zset_pop_generic(c, &k, 1, b->where, 1, b->count, 1, 1, NULL); break;
    }
}

/* XREAD / XREADGROUP waiting on the stream o at key: served (and unblocked) when the stream
 * has entries past the client's ID for this key, or, in a group, past the group's last
 * delivered ID (other readers of the group may have taken the new entries already). A group
 * destroyed meanwhile unblocks the client with NOGROUP. */
static void s_serve_stream(wait_node_t *n, const vstr_t *key, vobj_t *o) {
    block_t *b = n->b;
    client_t *c = b->c;
    stream_t *st = stream_of(o);
    stream_cg_t *cg = NULL;
    stream_id_t after = n->after;
    if (b->group) {
        cg = stream_lookup_group(st, b->group->ptr, b->group->len);
        if (!cg) {
            reply_error(c, "-NOGROUP the consumer group this client was blocked on no longer "
                           "exists");
            s_unblock(b, 1);
            return;
        }
        after = cg->last_id;
    }
    if (!stream_has_after(st, after)) return;
    if (c->resp == 2) {
        reply_array(c, 1);
        reply_array(c, 2);
    } else {
        reply_map(c, 1);
    }
    size_t count = b->count > 0 ? (size_t)b->count : 0;
    if (cg)
        stream_serve_group(c, st, key->ptr, key->len, cg, b->consumer->ptr, b->consumer->len, 0,
                           after, count, b->noack);
    else
        stream_serve_read(c, st, key->ptr, key->len, after, count);
    s_unblock(b, 1);
}

static int s_kind_of(const vobj_t *o) {
    switch (o->type) {
    case OBJ_LIST: return BK_LIST;
    case OBJ_ZSET: return BK_ZSET;
    case OBJ_STREAM: return BK_STREAM;
    default: return 0;
    }
}

/* Serves the clients waiting on one ready key, first blocked first, while the key holds
 * something of the type they wait for. */
static void s_serve_key(engine_t *e, const ready_key_t *rk) {
    wait_list_t *wl = s_wait_list(rk->dbid, rk->key->ptr, rk->key->len);
    if (!wl) return;
    wl->ready = 0;
    db_t *db = &e->dbs[rk->dbid];
    vobj_t *o = db_lookup_write(e, db, rk->key->ptr, rk->key->len);
    if (!o) return;
    int kind = s_kind_of(o);
    /* Unblocking a client frees its node (and the list with the last one), but never the
     * next node, which belongs to another client still waiting here. */
    for (wait_node_t *n = wl->head, *next; n; n = next) {
        next = n->next;
        block_t *b = n->b;
        if (b->kind == BK_CUSTOM) {
            if (b->custom->obj_type != o->type) continue;
            if (b->c->flags & CLIENT_KILLED) {
                s_unblock(b, 0);
                continue;
            }
            if (b->custom->serve(b->c, db, rk->key->ptr, rk->key->len, o, b->custom_arg))
                s_unblock(b, 1);
            o = db_peek(db, rk->key->ptr, rk->key->len);
            if (!o) break;
            continue;
        }
        if (!kind || b->kind != kind) continue;
        if (b->c->flags & CLIENT_KILLED) {
            s_unblock(b, 0); /* its connection is closing: nobody to answer */
            continue;
        }
        if (kind == BK_STREAM) {
            effects_unit_begin(e); /* the serving is a write of its own */
            s_serve_stream(n, rk->key, o); /* may leave it waiting */
            effects_unit_end(e);
            continue;
        }
        effects_unit_begin(e);
        s_serve_one(b, rk->key, o);
        effects_unit_end(e);
        s_unblock(b, 1);
        o = db_peek(db, rk->key->ptr, rk->key->len);
        if (!o || s_kind_of(o) != kind) break;
    }
}

/* Runs, until nothing is left: the ready keys (each pass may make new ones ready, e.g. a
 * served BLMOVE creating its target), then one deferred command at a time of each client
 * unblocked meanwhile (Redis serves ready keys after every command, and an unblocked client
 * may block again). */
static void s_drain(engine_t *e) {
    if (s_bk.draining || s_bk.e != e) return;
    s_bk.draining = 1;
    for (;;) {
        if (s_bk.nready) {
            ready_key_t *batch = s_bk.ready;
            size_t n = s_bk.nready;
            s_bk.ready = NULL;
            s_bk.nready = s_bk.ready_cap = 0;
            for (size_t i = 0; i < n; i++) {
                s_serve_key(e, &batch[i]);
                vstr_free(batch[i].key);
            }
            free(batch);
            continue;
        }
        if (!s_bk.npending) break;
        client_t *c = s_bk.pending[0];
        block_t *b = c->block;
        /* after QUIT (or a kill) the rest of what it sent is never run, as in Redis */
        int closing = (c->flags & (CLIENT_KILLED | CLIENT_CLOSE_AFTER_REPLY)) != 0;
        if (b->blocked || !b->q_head || closing) {
            if (closing) s_free_deferred(b);
            b->pending = 0;
            s_pending_remove(c);
            continue;
        }
        deferred_t *d = b->q_head;
        b->q_head = d->next;
        if (!b->q_head) b->q_tail = NULL;
        engine_execute(e, c, d->argc, d->argv);
        free(d);
    }
    s_bk.draining = 0;
}

void blocking_serve_ready(engine_t *e) {
    if (s_bk.nready || s_bk.npending) s_drain(e);
}

/* Runs the timers of the keys BK_CUSTOM clients wait on (which may make keys ready); returns
 * the earliest next timer among them (unix ms), 0 when none. */
static int64_t s_custom_timers(engine_t *e, int64_t now) {
    int64_t next = 0;
    for (wait_list_t *wl = s_bk.custom_lists; wl; wl = wl->cnext) {
        const blocking_custom_t *t = NULL;
        for (wait_node_t *n = wl->head; n && !t; n = n->next)
            if (n->b->kind == BK_CUSTOM) t = n->b->custom;
        if (!t || !t->timers) continue;
        db_t *db = &e->dbs[wl->dbid];
        vobj_t *o = db_peek(db, wl->k.p, wl->k.len);
        if (!o || o->type != t->obj_type) continue;
        int64_t at = t->timers(e, db, wl->k.p, wl->k.len, o, now);
        if (at > 0 && (next == 0 || at < next)) next = at;
    }
    return next;
}

long blocking_cron(engine_t *e) {
    if (s_bk.e != e || (!s_bk.nheap && !s_bk.custom_lists)) return -1;
    int64_t now = now_ms();
    int replied = 0;
    int64_t next_timer = 0;
    if (s_bk.custom_lists) {
        e->now_ms = now;
        next_timer = s_custom_timers(e, now);
        if (s_bk.nready) {
            s_drain(e);
            return 0; /* served waiters: the loop sends the replies before it sleeps */
        }
    }
    while (s_bk.nheap && s_bk.heap[0]->deadline <= (uint64_t)now) {
        block_t *b = s_bk.heap[0];
        if (!(b->c->flags & CLIENT_KILLED)) {
            reply_null_array(b->c); /* every blocking command times out with a null array */
            replied = 1;
        }
        s_unblock(b, 1);
    }
    if (replied) {
        e->now_ms = now;
        s_drain(e);
        return 0; /* the loop sends the replies before it sleeps */
    }
    uint64_t left = UINT64_MAX;
    if (s_bk.nheap) left = s_bk.heap[0]->deadline - (uint64_t)now;
    if (next_timer > 0) {
        uint64_t t = next_timer > now ? (uint64_t)(next_timer - now) : 0;
        if (t < left) left = t;
    }
    if (left == UINT64_MAX) return -1;
    return left > 3600000 ? 3600000 : (long)left;
}

/* ===================== argument helpers ===================== */

/* Redis's timeout argument: seconds as a long double, rounded up to whole milliseconds (so
 * 0.0001 waits 1 ms, and a tiny negative one rounds to 0: forever); the deadline wraps past
 * the clock's range as Redis's does, which makes such a huge timeout never fire. */
static int s_timeout_or_reply(client_t *c, const proto_arg_t *a, uint64_t *deadline) {
    long double secs;
    if (arg_ld_or_reply(c, a, &secs, "timeout is not a float or out of range")) return -1;
    long double ms = ceill(secs * 1000.0);
    /* out of range converts to LLONG_MIN, as the x86 conversion Redis relies on does */
    long long t = (ms < 0x1p63L && ms >= -0x1p63L) ? (long long)ms : LLONG_MIN;
    if (t < 0) {
        reply_error(c, "timeout is negative");
        return -1;
    }
    *deadline = t > 0 ? (uint64_t)t + (uint64_t)c->eng->now_ms : 0;
    return 0;
}

/* Blocking commands run inside EXEC as if the timeout had passed (CLIENT_MULTI is still set
 * while EXEC runs the queue; outside EXEC a client in MULTI only queues). */
static int s_may_block(const client_t *c) { return !(c->flags & CLIENT_MULTI); }

int blocking_may_block(const client_t *c) { return s_may_block(c); }

void blocking_block_custom(client_t *c, const blocking_custom_t *t, const proto_arg_t *keys,
                           int nkeys, uint64_t deadline, long long arg) {
    s_block(c, BK_CUSTOM, 0, keys, nkeys, 0, 0, 0, NULL, NULL, deadline);
    block_t *b = c->block;
    b->custom = t;
    b->custom_arg = arg;
}

/* The numkeys / where / COUNT tail of BLMPOP and BZMPOP (numkeys at argv[2]); where_names
 * are the two accepted words for where (index 0 -> *where = w0). Returns -1 after replying. */
static int s_mpop_args_or_reply(client_t *c, const char *name0, int w0, const char *name1, int w1,
                                long long *numkeys, int *where, long *count) {
    if (arg_range_or_reply(c, &c->argv[2], 1, LONG_MAX, numkeys,
                           "numkeys should be greater than 0"))
        return -1;
    if (*numkeys > c->argc - 4) {
        reply_error(c, ERR_SYNTAX); /* where's place is past the arguments */
        return -1;
    }
    int where_idx = 3 + (int)*numkeys;
    if (arg_is(&c->argv[where_idx], name0)) {
        *where = w0;
    } else if (arg_is(&c->argv[where_idx], name1)) {
        *where = w1;
    } else {
        reply_error(c, ERR_SYNTAX);
        return -1;
    }
    long long cnt = -1;
    for (int j = where_idx + 1; j < c->argc; j++) {
        if (cnt == -1 && arg_is(&c->argv[j], "count") && j + 1 < c->argc) {
            if (arg_range_or_reply(c, &c->argv[++j], 1, LONG_MAX, &cnt,
                                   "count should be greater than 0"))
                return -1;
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    *count = cnt == -1 ? 1 : (long)cnt;
    return 0;
}

/* ===================== list commands ===================== */

/* BLPOP / BRPOP / BLMPOP once the arguments are parsed: the first non-empty list among keys
 * is popped from at once (replying as LPOP/LMPOP's blocking forms do), a key of another type
 * before it is WRONGTYPE; with none, the client blocks. */
static void s_list_pop_or_block(client_t *c, const proto_arg_t *keys, int nkeys, int where,
                                long count, int op, uint64_t deadline) {
    for (int j = 0; j < nkeys; j++) {
        vobj_t *o = db_lookup_write(c->eng, c->db, keys[j].ptr, keys[j].len);
        if (!o) continue;
        if (o->type != OBJ_LIST) {
            reply_error(c, ERR_WRONGTYPE);
            return;
        }
        if (op == BOP_POP)
            list_pop_reply(c, keys[j].ptr, keys[j].len, o, where, 1, LIST_POP_KEY_VALUE, NULL);
        else
            list_pop_reply(c, keys[j].ptr, keys[j].len, o, where, count, LIST_POP_KEY_ARRAY, NULL);
        return;
    }
    if (!s_may_block(c)) {
        reply_null_array(c);
        return;
    }
    s_block(c, BK_LIST, op, keys, nkeys, where, 0, count, NULL, NULL, deadline);
}

static void s_bpop(client_t *c, int where) {
    uint64_t deadline;
    if (s_timeout_or_reply(c, &c->argv[c->argc - 1], &deadline)) return;
    s_list_pop_or_block(c, &c->argv[1], c->argc - 2, where, 1, BOP_POP, deadline);
}

static void cmd_blpop(client_t *c) { s_bpop(c, LIST_HEAD); }
static void cmd_brpop(client_t *c) { s_bpop(c, LIST_TAIL); }

static void cmd_blmpop(client_t *c) {
    long long numkeys;
    int where;
    long count;
    uint64_t deadline;
    if (s_mpop_args_or_reply(c, "left", LIST_HEAD, "right", LIST_TAIL, &numkeys, &where, &count))
        return;
    if (s_timeout_or_reply(c, &c->argv[1], &deadline)) return;
    s_list_pop_or_block(c, &c->argv[3], (int)numkeys, where, count, BOP_MPOP, deadline);
}

static void s_bmove(client_t *c, int from, int to, uint64_t deadline) {
    const proto_arg_t *src = &c->argv[1], *dst = &c->argv[2];
    vobj_t *o = db_lookup_write(c->eng, c->db, src->ptr, src->len);
    if (o && o->type != OBJ_LIST) {
        reply_error(c, ERR_WRONGTYPE);
        return;
    }
    if (o) {
        list_move_reply(c, src->ptr, src->len, o, dst->ptr, dst->len, from, to);
    } else if (!s_may_block(c)) {
        reply_null(c); /* LMOVE's answer for an empty source */
    } else {
        s_block(c, BK_LIST, BOP_MOVE, src, 1, from, to, 1, dst, NULL, deadline);
    }
}

static void cmd_blmove(client_t *c) {
    int from, to;
    uint64_t deadline;
    if (list_parse_where_or_reply(c, &c->argv[3], &from) ||
        list_parse_where_or_reply(c, &c->argv[4], &to) ||
        s_timeout_or_reply(c, &c->argv[5], &deadline))
        return;
    s_bmove(c, from, to, deadline);
}

static void cmd_brpoplpush(client_t *c) {
    uint64_t deadline;
    if (s_timeout_or_reply(c, &c->argv[3], &deadline)) return;
    s_bmove(c, LIST_TAIL, LIST_HEAD, deadline);
}

/* ===================== sorted set commands ===================== */

static void s_zpop_or_block(client_t *c, const proto_arg_t *keys, int nkeys, int where, long count,
                            int op, uint64_t deadline) {
    for (int j = 0; j < nkeys; j++) {
        vobj_t *o = db_lookup_write(c->eng, c->db, keys[j].ptr, keys[j].len);
        if (!o) continue;
        if (o->type != OBJ_ZSET) {
            reply_error(c, ERR_WRONGTYPE);
            return;
        }
        if (op == BOP_ZPOP)
            zset_pop_generic(c, &keys[j], 1, where, 1, -1, 0, 0, NULL);
        else
            zset_pop_generic(c, &keys[j], 1, where, 1, count, 1, 1, NULL);
        return;
    }
    if (!s_may_block(c)) {
        reply_null_array(c);
        return;
    }
    s_block(c, BK_ZSET, op, keys, nkeys, where, 0, count, NULL, NULL, deadline);
}

static void s_bzpop(client_t *c, int where) {
    uint64_t deadline;
    if (s_timeout_or_reply(c, &c->argv[c->argc - 1], &deadline)) return;
    s_zpop_or_block(c, &c->argv[1], c->argc - 2, where, -1, BOP_ZPOP, deadline);
}

static void cmd_bzpopmin(client_t *c) { s_bzpop(c, ZSET_MIN); }
static void cmd_bzpopmax(client_t *c) { s_bzpop(c, ZSET_MAX); }

static void cmd_bzmpop(client_t *c) {
    long long numkeys;
    int where;
    long count;
    uint64_t deadline;
    if (s_mpop_args_or_reply(c, "min", ZSET_MIN, "max", ZSET_MAX, &numkeys, &where, &count)) return;
    if (s_timeout_or_reply(c, &c->argv[1], &deadline)) return;
    s_zpop_or_block(c, &c->argv[3], (int)numkeys, where, count, BOP_ZMPOP, deadline);
}

/* ===================== XREAD / XREADGROUP BLOCK ===================== */

/* The stream commands parse and try to serve; when they must wait they hand the request
 * here (stream_block_hook). */
static void s_stream_block(client_t *c, const stream_read_req_t *req) {
    s_block(c, BK_STREAM, BOP_XREAD, req->keys, req->nkeys, 0, 0, (long)req->count, NULL, req->ids,
            (uint64_t)req->timeout_ms);
    block_t *b = c->block;
    if (req->group) {
        b->group = vstr_new(req->group->ptr, req->group->len);
        b->consumer = vstr_new(req->consumer->ptr, req->consumer->len);
    }
    b->noack = req->noack;
}

__attribute__((constructor)) static void s_register_stream_hook(void) {
    stream_block_hook = s_stream_block;
}

/* ===================== CLIENT UNBLOCK ===================== */

void cmd_client_unblock(client_t *c) {
    if (c->argc != 3 && c->argc != 4) {
        reply_subcommand_syntax_error(c);
        return;
    }
    int as_error = 0;
    if (c->argc == 4) {
        if (arg_is(&c->argv[3], "timeout")) {
            as_error = 0;
        } else if (arg_is(&c->argv[3], "error")) {
            as_error = 1;
        } else {
            reply_error(c, "CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    }
    long long id;
    if (arg_ll_or_reply(c, &c->argv[2], &id, NULL)) return;
    dict_entry_t *de = s_bk.by_id ? dict_find(s_bk.by_id, (void *)(uintptr_t)id) : NULL;
    block_t *b = de ? de->v.val : NULL;
    if (!b || (b->c->flags & CLIENT_KILLED)) {
        reply_int(c, 0);
        return;
    }
    if (as_error)
        reply_error(b->c, "-UNBLOCKED client unblocked via CLIENT UNBLOCK");
    else
        reply_null_array(b->c);
    /* its deferred commands run when this command is done (dispatch serves then) */
    s_unblock(b, 1);
    reply_int(c, 1);
}

void blocking_unblock_db(engine_t *e, int dbid, const char *err) {
    (void)e;
    if (!s_bk.by_id) return;
    /* collected first: unblocking removes entries from by_id */
    size_t n = 0, cap = 0;
    block_t **found = NULL;
    dict_iter_t it;
    dict_entry_t *de;
    dict_iter_init(&it, s_bk.by_id);
    while ((de = dict_iter_next(&it))) {
        block_t *b = de->v.val;
        if (!b->blocked || b->dbid != dbid || (b->c->flags & CLIENT_KILLED)) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            found = realloc(found, cap * sizeof *found);
            if (!found) abort();
        }
        found[n++] = b;
    }
    dict_iter_done(&it);
    for (size_t i = 0; i < n; i++) {
        reply_error(found[i]->c, err);
        s_unblock(found[i], 1);
    }
    free(found);
}

/* ===================== command table ===================== */

// clang-format off
command_t blocking_commands[] = {
    {.name = "blpop", .proc = cmd_blpop, .arity = -3, .flags = "write noscript blocking",
     .acl = "list", .keyspecs = "RW access delete;index:1;range:-2,1,0", .group = "list",
     .since = "2.0.0",
     .summary = "Pops the first element of the first non-empty list, waiting for one when all "
                "are empty.",
     .complexity = "O(N), N being the number of keys given.",
     .history = "6.0.0 The timeout is a double instead of an integer.",
     .args = "*key:key@0 double:timeout"},
    {.name = "brpop", .proc = cmd_brpop, .arity = -3, .flags = "write noscript blocking",
     .acl = "list", .keyspecs = "RW access delete;index:1;range:-2,1,0", .group = "list",
     .since = "2.0.0",
     .summary = "Pops the last element of the first non-empty list, waiting for one when all "
                "are empty.",
     .complexity = "O(N), N being the number of keys given.",
     .history = "6.0.0 The timeout is a double instead of an integer.",
     .args = "*key:key@0 double:timeout"},
    {.name = "brpoplpush", .proc = cmd_brpoplpush, .arity = 4,
     .flags = "write denyoom noscript blocking", .acl = "list",
     .keyspecs = "RW access delete;index:1;range:0,1,0|RW insert;index:2;range:0,1,0",
     .group = "list", .since = "2.2.0",
     .summary = "Moves the last element of a list to the head of another and returns it, "
                "waiting for one when the source is empty.",
     .complexity = "O(1)",
     .history = "6.0.0 The timeout is a double instead of an integer.",
     .doc_flags = "deprecated", .deprecated_since = "6.2.0",
     .replaced_by = "`BLMOVE` with the `RIGHT` and `LEFT` arguments",
     .args = "key:source@0 key:destination@1 double:timeout"},
    {.name = "blmove", .proc = cmd_blmove, .arity = 6, .flags = "write denyoom noscript blocking",
     .acl = "list",
     .keyspecs = "RW access delete;index:1;range:0,1,0|RW insert;index:2;range:0,1,0",
     .group = "list", .since = "6.2.0",
     .summary = "Moves an element from an end of a list to an end of another and returns it, "
                "waiting for one when the source is empty.",
     .complexity = "O(1)",
     .args = "key:source@0 key:destination@1 oneof:wherefrom(=LEFT =RIGHT) "
             "oneof:whereto(=LEFT =RIGHT) double:timeout"},
    {.name = "blmpop", .proc = cmd_blmpop, .arity = -5, .flags = "write blocking",
     .acl = "list", .keyspecs = "RW access delete;index:2;keynum:0,1,1", .group = "list",
     .since = "7.0.0",
     .summary = "Pops elements from the first non-empty list among several keys, waiting for "
                "one when all are empty.",
     .complexity = "O(N+M), N being the number of keys given and M the number of elements "
                   "returned.",
     .args = "double:timeout integer:numkeys *key:key@0 oneof:where(=LEFT =RIGHT) "
             "?integer:count=COUNT"},
    {.name = "bzpopmin", .proc = cmd_bzpopmin, .arity = -3,
     .flags = "write noscript blocking fast", .acl = "sortedset",
     .keyspecs = "RW access delete;index:1;range:-2,1,0", .group = "sorted-set",
     .since = "5.0.0",
     .summary = "Pops the member with the lowest score from the first non-empty sorted set, "
                "waiting for one when all are empty.",
     .complexity = "O(log(N)), N being the size of the sorted set.",
     .history = "6.0.0 The timeout is a double instead of an integer.",
     .args = "*key:key@0 double:timeout"},
    {.name = "bzpopmax", .proc = cmd_bzpopmax, .arity = -3,
     .flags = "write noscript blocking fast", .acl = "sortedset",
     .keyspecs = "RW access delete;index:1;range:-2,1,0", .group = "sorted-set",
     .since = "5.0.0",
     .summary = "Pops the member with the highest score from the first non-empty sorted set, "
                "waiting for one when all are empty.",
     .complexity = "O(log(N)), N being the size of the sorted set.",
     .history = "6.0.0 The timeout is a double instead of an integer.",
     .args = "*key:key@0 double:timeout"},
    {.name = "bzmpop", .proc = cmd_bzmpop, .arity = -5, .flags = "write blocking",
     .acl = "sortedset", .keyspecs = "RW access delete;index:2;keynum:0,1,1",
     .group = "sorted-set", .since = "7.0.0",
     .summary = "Pops members by score from the first non-empty sorted set among several keys, "
                "waiting for one when all are empty.",
     .complexity = "O(K) + O(M*log(N)), K being the number of keys given, N the size of the "
                   "sorted set and M the number of members popped.",
     .args = "double:timeout integer:numkeys *key:key@0 oneof:where(=MIN =MAX) "
             "?integer:count=COUNT"},
    {0},
};
// clang-format on
