/* Reliable queues: ENQUEUE DEQUEUE QACK QNACK QPEEK QLEN QINFO QDEAD QREQUEUE and the internal
 * VOLE.QUEUE that replays them, over the message store of engine/types/t_queue.h.
 *
 * Timers (a delayed message becoming ready, an unacknowledged message's visibility timeout
 * passing) run on access: every queue command first runs the queue's due timers at the
 * engine's clock, in (time, id) order. For queues that DEQUEUE ... BLOCK clients wait on, the
 * engine loop also runs them when they fall due (engine/blocking.c's custom waiters), so a
 * waiter is served at the due time. A queue nobody touches keeps its due timers pending; they
 * change nothing anyone can observe until the next access runs them.
 *
 * Effects: every change is recorded as VOLE.QUEUE <op> key ... with the message id as chosen
 * and absolute unix-ms times, so a replay at any time rebuilds the same queue:
 *   ADD key id ready_at maxretries body   (ready_at 0: ready now)
 *   DELIVER key id deadline               READY key id   (a delayed message became ready)
 *   ACK key id                            FAIL key id ready_at   (QNACK, visibility timeout)
 *   REQUEUE key id
 * Timer actions run during a command belong to its unit; those run by the loop are a unit of
 * their own. */
#include "engine/types/t_queue.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "engine/blocking.h"
#include "engine/effects.h"
#include "engine/snapshot.h"
#include "engine/types/vole_args.h"
#include "shared/util.h"

/* ===================== ids ===================== */

int qid_cmp(qid_t a, qid_t b) {
    if (a.ms != b.ms) return a.ms < b.ms ? -1 : 1;
    if (a.seq != b.seq) return a.seq < b.seq ? -1 : 1;
    return 0;
}

int qid_parse(const char *p, size_t len, qid_t *out) {
    const char *dash = memchr(p, '-', len);
    if (!dash) return 0;
    unsigned long long ms, seq;
    if (!str_to_ull(p, (size_t)(dash - p), &ms) ||
        !str_to_ull(dash + 1, len - (size_t)(dash - p) - 1, &seq))
        return 0;
    out->ms = ms;
    out->seq = seq;
    return 1;
}

int qid_format(char *dst, qid_t id) {
    int n = ull_to_str(dst, id.ms);
    dst[n++] = '-';
    n += ull_to_str(dst + n, id.seq);
    dst[n] = '\0';
    return n;
}

qid_t queue_next_id(const queue_t *q, int64_t now) {
    uint64_t t = now > 0 ? (uint64_t)now : 0;
    if (t > q->last.ms) return (qid_t){t, 0};
    if (q->last.seq == UINT64_MAX) return (qid_t){q->last.ms + 1, 0};
    return (qid_t){q->last.ms, q->last.seq + 1};
}

/* ===================== lists and heaps ===================== */

static void s_list_append(qlist_t *l, qmsg_t *m) {
    m->link.l.next = NULL;
    m->link.l.prev = l->tail;
    if (l->tail)
        l->tail->link.l.next = m;
    else
        l->head = m;
    l->tail = m;
    l->len++;
}

static void s_list_remove(qlist_t *l, qmsg_t *m) {
    if (m->link.l.prev)
        m->link.l.prev->link.l.next = m->link.l.next;
    else
        l->head = m->link.l.next;
    if (m->link.l.next)
        m->link.l.next->link.l.prev = m->link.l.prev;
    else
        l->tail = m->link.l.prev;
    l->len--;
}

static int s_heap_less(const qmsg_t *a, const qmsg_t *b) {
    return a->at != b->at ? a->at < b->at : qid_cmp(a->id, b->id) < 0;
}

static void s_heap_set(qheap_t *h, size_t i, qmsg_t *m) {
    h->a[i] = m;
    m->link.heap_idx = i;
}

static void s_heap_up(qheap_t *h, size_t i) {
    qmsg_t *m = h->a[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!s_heap_less(m, h->a[parent])) break;
        s_heap_set(h, i, h->a[parent]);
        i = parent;
    }
    s_heap_set(h, i, m);
}

static void s_heap_down(qheap_t *h, size_t i) {
    qmsg_t *m = h->a[i];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        const qmsg_t *bm = m;
        if (l < h->n && s_heap_less(h->a[l], bm)) best = l, bm = h->a[l];
        if (r < h->n && s_heap_less(h->a[r], bm)) best = r;
        if (best == i) break;
        s_heap_set(h, i, h->a[best]);
        i = best;
    }
    s_heap_set(h, i, m);
}

static void s_heap_push(qheap_t *h, qmsg_t *m) {
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 8;
        h->a = realloc(h->a, h->cap * sizeof *h->a);
        if (!h->a) abort();
    }
    h->a[h->n] = m;
    m->link.heap_idx = h->n++;
    s_heap_up(h, m->link.heap_idx);
}

static void s_heap_remove(qheap_t *h, qmsg_t *m) {
    size_t i = m->link.heap_idx;
    qmsg_t *last = h->a[--h->n];
    if (i == h->n) return;
    s_heap_set(h, i, last);
    s_heap_up(h, i);
    s_heap_down(h, last->link.heap_idx);
}

/* ===================== the message store ===================== */

static uint64_t s_id_hash(const void *k) { return dict_hash_bytes(k, sizeof(qid_t)); }
static int s_id_eq(const void *a, const void *b) {
    return qid_cmp(*(const qid_t *)a, *(const qid_t *)b) == 0;
}
static const dict_type_t s_ids_type = {s_id_hash, s_id_eq, NULL, NULL};

queue_t *queue_new(void) {
    queue_t *q = calloc(1, sizeof *q);
    if (!q) abort();
    q->ids = dict_new(&s_ids_type);
    return q;
}

static void s_msg_free(qmsg_t *m) { free(m); }

/* Calls fn on every message: lists in order, then the heaps in array order. */
static void s_each(const queue_t *q, void (*fn)(const qmsg_t *m, void *ctx), void *ctx) {
    for (const qmsg_t *m = q->ready.head, *next; m; m = next) {
        next = m->link.l.next;
        fn(m, ctx);
    }
    for (const qmsg_t *m = q->dead.head, *next; m; m = next) {
        next = m->link.l.next;
        fn(m, ctx);
    }
    for (size_t i = 0; i < q->delayed.n; i++) fn(q->delayed.a[i], ctx);
    for (size_t i = 0; i < q->processing.n; i++) fn(q->processing.a[i], ctx);
}

static void s_free_cb(const qmsg_t *m, void *ctx) {
    (void)ctx;
    s_msg_free((qmsg_t *)m);
}

void queue_free(queue_t *q) {
    if (!q) return;
    s_each(q, s_free_cb, NULL);
    dict_destroy(&q->ids);
    free(q->delayed.a);
    free(q->processing.a);
    free(q);
}

/* Unlinks m from the structure of its state. */
static void s_detach(queue_t *q, qmsg_t *m) {
    if (m->state == QM_PROCESSING || m->state == QM_DEAD) dict_delete(q->ids, &m->id);
    switch (m->state) {
    case QM_READY: s_list_remove(&q->ready, m); break;
    case QM_DEAD: s_list_remove(&q->dead, m); break;
    case QM_DELAYED: s_heap_remove(&q->delayed, m); break;
    case QM_PROCESSING: s_heap_remove(&q->processing, m); break;
    }
}

/* Links m into the structure of state (at: its timer for the heaps); 0, or -1 when a
 * processing or dead message with its id exists already (nothing changes then). */
static int s_attach(queue_t *q, qmsg_t *m, int state, int64_t at) {
    if ((state == QM_PROCESSING || state == QM_DEAD) && !dict_add(q->ids, &m->id, m)) return -1;
    m->state = (uint8_t)state;
    m->at = at;
    switch (state) {
    case QM_READY: s_list_append(&q->ready, m); break;
    case QM_DEAD: s_list_append(&q->dead, m); break;
    case QM_DELAYED: s_heap_push(&q->delayed, m); break;
    case QM_PROCESSING: s_heap_push(&q->processing, m); break;
    }
    return 0;
}

/* Adds a message in any state (loading a snapshot and copying use it too); NULL when a
 * processing or dead one has its id. Callers check ids grow where that matters. */
static qmsg_t *s_add(queue_t *q, qid_t id, const char *body, size_t len, uint32_t retries,
                     uint32_t maxretries, int state, int64_t at) {
    qmsg_t *m = malloc(sizeof *m + len + 1);
    if (!m) abort();
    memset(m, 0, sizeof *m);
    m->id = id;
    m->blen = len;
    memcpy(m->body, body, len);
    m->body[len] = '\0';
    m->retries = retries;
    m->maxretries = maxretries;
    if (s_attach(q, m, state, at) < 0) {
        free(m);
        return NULL;
    }
    if (qid_cmp(id, q->last) > 0) q->last = id;
    return m;
}

qmsg_t *queue_add(queue_t *q, qid_t id, const char *body, size_t len, uint32_t maxretries,
                  int64_t ready_at) {
    if (qid_cmp(id, q->last) <= 0) return NULL;
    return s_add(q, id, body, len, 0, maxretries, ready_at ? QM_DELAYED : QM_READY, ready_at);
}

qmsg_t *queue_find(queue_t *q, qid_t id) {
    dict_entry_t *de = dict_find(q->ids, &id);
    return de ? de->v.val : NULL;
}

qmsg_t *queue_find_in(queue_t *q, qid_t id, int state) {
    if (state == QM_READY) {
        for (qmsg_t *m = q->ready.head; m; m = m->link.l.next)
            if (qid_cmp(m->id, id) == 0) return m;
        return NULL;
    }
    if (state == QM_DELAYED) {
        for (size_t i = 0; i < q->delayed.n; i++)
            if (qid_cmp(q->delayed.a[i]->id, id) == 0) return q->delayed.a[i];
        return NULL;
    }
    qmsg_t *m = queue_find(q, id);
    return m && m->state == state ? m : NULL;
}

void queue_deliver(queue_t *q, qmsg_t *m, int64_t deadline) {
    s_detach(q, m);
    s_attach(q, m, QM_PROCESSING, deadline);
}

void queue_ack(queue_t *q, qmsg_t *m) {
    s_detach(q, m);
    s_msg_free(m);
}

int queue_fail(queue_t *q, qmsg_t *m, int64_t ready_at) {
    s_detach(q, m);
    if (m->retries < UINT32_MAX) m->retries++;
    if (m->retries >= m->maxretries)
        s_attach(q, m, QM_DEAD, 0);
    else
        s_attach(q, m, ready_at ? QM_DELAYED : QM_READY, ready_at);
    return m->state;
}

void queue_make_ready(queue_t *q, qmsg_t *m) {
    s_detach(q, m);
    s_attach(q, m, QM_READY, 0);
}

void queue_requeue(queue_t *q, qmsg_t *m) {
    s_detach(q, m);
    m->retries = 0;
    s_attach(q, m, QM_READY, 0);
}

qmsg_t *queue_due(const queue_t *q, int64_t now) {
    qmsg_t *d = q->delayed.n && q->delayed.a[0]->at <= now ? q->delayed.a[0] : NULL;
    qmsg_t *p = q->processing.n && q->processing.a[0]->at <= now ? q->processing.a[0] : NULL;
    if (d && p) return p->at < d->at ? p : d;
    return d ? d : p;
}

int64_t queue_next_timer(const queue_t *q) {
    int64_t t = 0;
    if (q->delayed.n) t = q->delayed.a[0]->at;
    if (q->processing.n && (t == 0 || q->processing.a[0]->at < t)) t = q->processing.a[0]->at;
    return t;
}

/* Copies every message in its state; s_each visits lists in order (COPY, tests). */
static void s_copy_cb(const qmsg_t *m, void *ctx) {
    s_add(ctx, m->id, m->body, m->blen, m->retries, m->maxretries, m->state, m->at);
}

queue_t *queue_dup(const queue_t *q) {
    queue_t *d = queue_new();
    s_each(q, s_copy_cb, d);
    d->last = q->last;
    return d;
}

static void s_mem_cb(const qmsg_t *m, void *ctx) { *(size_t *)ctx += sizeof *m + m->blen + 1; }

size_t queue_mem(const queue_t *q) {
    size_t n = sizeof *q + (q->delayed.cap + q->processing.cap) * sizeof(qmsg_t *) +
               dict_buckets(q->ids) * sizeof(void *) + dict_size(q->ids) * sizeof(dict_entry_t);
    s_each(q, s_mem_cb, &n);
    return n;
}

/* ===================== the object type ===================== */

static queue_t *s_q(const vobj_t *o) { return o->v.p; }

static vobj_t *s_wrap(queue_t *q) {
    vobj_t *o = calloc(1, sizeof *o);
    if (!o) abort();
    o->type = OBJ_QUEUE;
    o->enc = ENC_RAW;
    o->v.p = q;
    return o;
}

static void s_free_obj(vobj_t *o) { queue_free(o->v.p); }
static vobj_t *s_dup_obj(const vobj_t *o) { return s_wrap(queue_dup(s_q(o))); }
static size_t s_mem_obj(const vobj_t *o) { return sizeof *o + queue_mem(s_q(o)); }

static void s_save_msg(snap_writer_t *w, const qmsg_t *m) {
    snap_put_u64(w, m->id.ms);
    snap_put_u64(w, m->id.seq);
    snap_put_u8(w, m->state);
    snap_put_i64(w, m->at);
    snap_put_u64(w, m->retries);
    snap_put_u64(w, m->maxretries);
    snap_put_bytes(w, m->body, m->blen);
}

static void s_save_cb(const qmsg_t *m, void *w) { s_save_msg(w, m); }

/* Snapshot payload of a queue (primitives of engine/snapshot.h):
 *   u64 last.ms, u64 last.seq, u64 n, then n messages, each
 *   u64 id.ms, u64 id.seq, u8 state (0 ready, 1 processing, 2 delayed, 3 dead), i64 at,
 *   u64 retries, u64 maxretries (>= 1), bytes body.
 * Ready, then dead messages come first, in list order, so loading rebuilds both orders; the
 * heaps' order does not matter. Loading rejects unknown states, bad counts and repeated ids. */
static void s_save(const vobj_t *o, snap_writer_t *w) {
    const queue_t *q = s_q(o);
    snap_put_u64(w, q->last.ms);
    snap_put_u64(w, q->last.seq);
    snap_put_u64(w, queue_size(q));
    s_each(q, s_save_cb, w);
}

static const dict_type_t s_seen_type = {s_id_hash, s_id_eq, free, NULL};

static vobj_t *s_load(engine_t *e, snap_reader_t *r) {
    (void)e;
    uint64_t lms, lseq, n;
    if (snap_get_u64(r, &lms) || snap_get_u64(r, &lseq) || snap_get_count(r, &n)) return NULL;
    queue_t *q = queue_new();
    /* every id once, whatever its state (the store itself only indexes some) */
    dict_t *seen = dict_new(&s_seen_type);
    for (uint64_t i = 0; i < n; i++) {
        qid_t id;
        uint8_t state;
        int64_t at;
        uint64_t retries, maxretries;
        const char *body;
        size_t blen;
        if (snap_get_u64(r, &id.ms) || snap_get_u64(r, &id.seq) || snap_get_u8(r, &state) ||
            snap_get_i64(r, &at) || snap_get_u64(r, &retries) || snap_get_u64(r, &maxretries) ||
            snap_get_bytes(r, &body, &blen))
            goto fail;
        if (state > QM_DEAD || retries > UINT32_MAX || maxretries < 1 ||
            maxretries > UINT32_MAX) {
            snap_fail(r, "queue: bad message state or retry counts");
            goto fail;
        }
        qid_t *k = malloc(sizeof *k);
        if (!k) abort();
        *k = id;
        if (!dict_add(seen, k, NULL)) {
            free(k);
            snap_fail(r, "queue: duplicate message id");
            goto fail;
        }
        s_add(q, id, body, blen, (uint32_t)retries, (uint32_t)maxretries, state, at);
    }
    if (qid_cmp((qid_t){lms, lseq}, q->last) > 0) q->last = (qid_t){lms, lseq};
    dict_destroy(&seen);
    return s_wrap(q);
fail:
    dict_destroy(&seen);
    queue_free(q);
    return NULL;
}

static const obj_type_t s_queue_type = {"queue", s_free_obj, s_dup_obj, s_mem_obj, s_save,
                                        s_load};

/* ===================== effects, events, timers ===================== */

/* Records VOLE.QUEUE op key id [numbers...] [body of with_body] in db. */
static void s_effect(engine_t *e, int dbid, const char *op, const char *key, size_t klen, qid_t id,
                     int nnum, const int64_t *nums, const qmsg_t *with_body) {
    char idb[QID_STR_MAX], nb[3][24];
    proto_arg_t a[8];
    int n = 0;
    a[n++] = EFF_LIT("VOLE.QUEUE");
    a[n++] = EFF_ARG(op, strlen(op));
    a[n++] = EFF_ARG(key, klen);
    a[n++] = EFF_ARG(idb, qid_format(idb, id));
    for (int i = 0; i < nnum && i < 3; i++) a[n++] = EFF_ARG(nb[i], ll_to_str(nb[i], nums[i]));
    if (with_body) a[n++] = EFF_ARG(with_body->body, with_body->blen);
    effect_add_db(e, dbid, n, a);
}

static void s_event(engine_t *e, db_t *db, const char *event, const char *key, size_t klen) {
    notify_keyspace_event(e, NOTIFY_VOLE_TYPE, event, key, klen, db->id);
}

/* Every change ends here: WATCH/tracking, and the counter of writes. */
static void s_changed(engine_t *e, db_t *db, const char *key, size_t klen) {
    signal_modified_key(e, db, key, klen);
    e->stats.dirty++;
}

/* Runs the queue's due timers at now, oldest first, recording each; signals the key when a
 * message became ready. Nothing runs while effects are replayed: the recorded ones do. */
static void s_tick(engine_t *e, db_t *db, const char *key, size_t klen, queue_t *q, int64_t now) {
    if (e->loading) return;
    int became_ready = 0, any = 0;
    qmsg_t *m;
    while ((m = queue_due(q, now))) {
        any = 1;
        if (m->state == QM_DELAYED) {
            queue_make_ready(q, m);
            s_effect(e, db->id, "READY", key, klen, m->id, 0, NULL, NULL);
            s_event(e, db, "qready", key, klen);
            became_ready = 1;
            continue;
        }
        int64_t zero = 0;
        s_effect(e, db->id, "FAIL", key, klen, m->id, 1, &zero, NULL);
        int st = queue_fail(q, m, 0);
        s_event(e, db, "qexpired", key, klen);
        if (st == QM_DEAD)
            s_event(e, db, "qdead", key, klen);
        else
            became_ready = 1;
    }
    if (any) s_changed(e, db, key, klen);
    if (became_ready) blocking_signal_key(e, db, key, klen);
}

/* The queue at argv[1] after its due timers ran; NULL when missing (or WRONGTYPE replied:
 * *wrongtype tells). */
static queue_t *s_lookup(client_t *c, int write, int *wrongtype) {
    const proto_arg_t *k = &c->argv[1];
    vobj_t *o = write ? lookup_write_or_reply_type(c, k, OBJ_QUEUE, wrongtype)
                      : lookup_read_or_reply_type(c, k, OBJ_QUEUE, wrongtype);
    if (!o) return NULL;
    s_tick(c->eng, c->db, k->ptr, k->len, s_q(o), c->eng->now_ms);
    return s_q(o);
}

/* Deletes the key once its last message is gone, as an emptied list goes. */
static void s_maybe_delete(engine_t *e, db_t *db, const char *key, size_t klen, queue_t *q) {
    if (queue_size(q)) return;
    db_delete(e, db, key, klen);
    notify_keyspace_event(e, NOTIFY_GENERIC, "del", key, klen, db->id);
}

static void s_reply_msg(client_t *c, const qmsg_t *m) {
    char idb[QID_STR_MAX];
    reply_array(c, 3);
    reply_bulk(c, idb, (size_t)qid_format(idb, m->id));
    reply_bulk(c, m->body, m->blen);
    reply_int(c, m->retries);
}

/* Delivers the head of the ready list to c for visibility_ms; 0 when nothing is ready. */
static int s_deliver(client_t *c, db_t *db, const char *key, size_t klen, queue_t *q,
                     long long visibility_ms) {
    qmsg_t *m = q->ready.head;
    if (!m) return 0;
    engine_t *e = c->eng;
    int64_t deadline = e->now_ms + visibility_ms;
    queue_deliver(q, m, deadline);
    s_effect(e, db->id, "DELIVER", key, klen, m->id, 1, &deadline, NULL);
    s_event(e, db, "dequeue", key, klen);
    s_changed(e, db, key, klen);
    s_reply_msg(c, m);
    return 1;
}

/* DEQUEUE ... BLOCK waiters (engine/blocking.c): served from the ready list in the order
 * they blocked; the queue's timers run from the engine loop while they wait. */
static int s_block_serve(client_t *c, db_t *db, const char *key, size_t len, vobj_t *o,
                         long long visibility_ms) {
    engine_t *e = c->eng;
    effects_unit_begin(e);
    s_tick(e, db, key, len, s_q(o), e->now_ms);
    int served = s_deliver(c, db, key, len, s_q(o), visibility_ms);
    effects_unit_end(e);
    return served;
}

static int64_t s_block_timers(engine_t *e, db_t *db, const char *key, size_t len, vobj_t *o,
                              int64_t now) {
    queue_t *q = s_q(o);
    if (!queue_due(q, now)) return queue_next_timer(q);
    effects_unit_begin(e);
    s_tick(e, db, key, len, q, now);
    effects_unit_end(e);
    return queue_next_timer(q);
}

static const blocking_custom_t s_queue_blocking = {OBJ_QUEUE, s_block_serve, s_block_timers};

/* ===================== command helpers ===================== */

static int s_id_or_reply(client_t *c, const proto_arg_t *a, qid_t *id) {
    if (qid_parse(a->ptr, a->len, id)) return 0;
    reply_error(c, "Invalid message ID: expected <ms>-<seq>");
    return -1;
}

/* [COUNT n] from argv[2] on (QPEEK, QDEAD). */
static int s_count_or_reply(client_t *c, long long *count) {
    const vole_opt_t opts[] = {
        {"count", 0, 1, LLONG_MAX, "COUNT must be a positive integer", count, NULL}};
    return vole_opts_or_reply(c, 2, opts, 1);
}

/* Replies with up to count messages of a list, in order. */
static void s_reply_list(client_t *c, const qlist_t *l, long long count) {
    uint64_t n = l->len < (uint64_t)count ? l->len : (uint64_t)count;
    reply_array(c, (long long)n);
    const qmsg_t *m = l->head;
    for (uint64_t i = 0; i < n; i++, m = m->link.l.next) s_reply_msg(c, m);
}

/* ===================== commands ===================== */

/* ENQUEUE q body [DELAY s] [MAXRETRIES n] -> id */
static void cmd_enqueue(client_t *c) {
    long long delay_ms = 0, maxretries = QUEUE_DEFAULT_MAXRETRIES;
    const vole_opt_t opts[] = {
        {"delay", 1, 0, 0, "DELAY", &delay_ms, NULL},
        {"maxretries", 0, 1, UINT32_MAX, "MAXRETRIES must be a positive integer", &maxretries,
         NULL},
    };
    if (vole_opts_or_reply(c, 3, opts, 2)) return;
    int wrongtype;
    queue_t *q = s_lookup(c, 1, &wrongtype);
    if (wrongtype) return;
    effect_none(c); /* everything is recorded as VOLE.QUEUE */
    engine_t *e = c->eng;
    const proto_arg_t *k = &c->argv[1];
    if (!q) {
        q = queue_new();
        db_add(e, c->db, k->ptr, k->len, s_wrap(q));
    }
    qid_t id = queue_next_id(q, e->now_ms);
    int64_t ready_at = delay_ms ? e->now_ms + delay_ms : 0;
    qmsg_t *m = queue_add(q, id, c->argv[2].ptr, c->argv[2].len, (uint32_t)maxretries, ready_at);
    int64_t nums[2] = {ready_at, maxretries};
    s_effect(e, c->db->id, "ADD", k->ptr, k->len, id, 2, nums, m);
    s_event(e, c->db, "enqueue", k->ptr, k->len);
    s_changed(e, c->db, k->ptr, k->len);
    if (!ready_at) blocking_signal_key(e, c->db, k->ptr, k->len);
    char idb[QID_STR_MAX];
    reply_bulk(c, idb, (size_t)qid_format(idb, id));
}

/* DEQUEUE q [TIMEOUT visibility_s] [BLOCK ms] -> [id, body, retry_count] or nil */
static void cmd_dequeue(client_t *c) {
    long long visibility_ms = QUEUE_DEFAULT_VISIBILITY_MS, block_ms = -1;
    const vole_opt_t opts[] = {
        {"timeout", 1, 1, 0, "TIMEOUT", &visibility_ms, NULL},
        {"block", 0, 0, VOLE_MAX_DURATION_MS,
         "BLOCK must be a non-negative number of milliseconds", &block_ms, NULL},
    };
    if (vole_opts_or_reply(c, 2, opts, 2)) return;
    int wrongtype;
    queue_t *q = s_lookup(c, 1, &wrongtype);
    if (wrongtype) return;
    effect_none(c);
    const proto_arg_t *k = &c->argv[1];
    if (q && s_deliver(c, c->db, k->ptr, k->len, q, visibility_ms)) return;
    if (block_ms < 0 || !blocking_may_block(c)) {
        reply_null_array(c);
        return;
    }
    uint64_t deadline = block_ms ? (uint64_t)(c->eng->now_ms + block_ms) : 0;
    blocking_block_custom(c, &s_queue_blocking, k, 1, deadline, visibility_ms);
}

/* QACK q id [id ...] -> how many processing messages were acknowledged */
static void cmd_qack(client_t *c) {
    qid_t ids[c->argc];
    for (int i = 2; i < c->argc; i++)
        if (s_id_or_reply(c, &c->argv[i], &ids[i])) return;
    int wrongtype;
    queue_t *q = s_lookup(c, 1, &wrongtype);
    if (wrongtype) return;
    effect_none(c);
    long long acked = 0;
    engine_t *e = c->eng;
    const proto_arg_t *k = &c->argv[1];
    for (int i = 2; q && i < c->argc; i++) {
        qmsg_t *m = queue_find(q, ids[i]);
        if (!m || m->state != QM_PROCESSING) continue;
        queue_ack(q, m);
        s_effect(e, c->db->id, "ACK", k->ptr, k->len, ids[i], 0, NULL, NULL);
        acked++;
    }
    if (acked) {
        s_event(e, c->db, "qack", k->ptr, k->len);
        s_maybe_delete(e, c->db, k->ptr, k->len, q);
        s_changed(e, c->db, k->ptr, k->len);
    }
    reply_int(c, acked);
}

/* QNACK q id [DELAY s] -> 1 when the processing message was given back */
static void cmd_qnack(client_t *c) {
    qid_t id;
    long long delay_ms = 0;
    const vole_opt_t opts[] = {{"delay", 1, 0, 0, "DELAY", &delay_ms, NULL}};
    if (s_id_or_reply(c, &c->argv[2], &id) || vole_opts_or_reply(c, 3, opts, 1)) return;
    int wrongtype;
    queue_t *q = s_lookup(c, 1, &wrongtype);
    if (wrongtype) return;
    effect_none(c);
    qmsg_t *m = q ? queue_find(q, id) : NULL;
    if (!m || m->state != QM_PROCESSING) {
        reply_int(c, 0);
        return;
    }
    engine_t *e = c->eng;
    const proto_arg_t *k = &c->argv[1];
    int64_t ready_at = delay_ms ? e->now_ms + delay_ms : 0;
    s_effect(e, c->db->id, "FAIL", k->ptr, k->len, id, 1, &ready_at, NULL);
    int st = queue_fail(q, m, ready_at);
    s_event(e, c->db, "qnack", k->ptr, k->len);
    if (st == QM_DEAD) s_event(e, c->db, "qdead", k->ptr, k->len);
    s_changed(e, c->db, k->ptr, k->len);
    if (st == QM_READY) blocking_signal_key(e, c->db, k->ptr, k->len);
    reply_int(c, 1);
}

/* QREQUEUE q id -> 1 when the dead message went back to the ready list */
static void cmd_qrequeue(client_t *c) {
    qid_t id;
    if (s_id_or_reply(c, &c->argv[2], &id)) return;
    int wrongtype;
    queue_t *q = s_lookup(c, 1, &wrongtype);
    if (wrongtype) return;
    effect_none(c);
    qmsg_t *m = q ? queue_find(q, id) : NULL;
    if (!m || m->state != QM_DEAD) {
        reply_int(c, 0);
        return;
    }
    engine_t *e = c->eng;
    const proto_arg_t *k = &c->argv[1];
    queue_requeue(q, m);
    s_effect(e, c->db->id, "REQUEUE", k->ptr, k->len, id, 0, NULL, NULL);
    s_event(e, c->db, "qrequeue", k->ptr, k->len);
    s_changed(e, c->db, k->ptr, k->len);
    blocking_signal_key(e, c->db, k->ptr, k->len);
    reply_int(c, 1);
}

/* QPEEK q [COUNT n]: the next n ready messages, in delivery order, delivering nothing. */
static void cmd_qpeek(client_t *c) {
    long long count = 1;
    if (s_count_or_reply(c, &count)) return;
    int wrongtype;
    queue_t *q = s_lookup(c, 0, &wrongtype);
    if (wrongtype) return;
    static const qlist_t empty;
    s_reply_list(c, q ? &q->ready : &empty, count);
}

/* QDEAD q [COUNT n]: the oldest n dead messages (default 10). */
static void cmd_qdead(client_t *c) {
    long long count = 10;
    if (s_count_or_reply(c, &count)) return;
    int wrongtype;
    queue_t *q = s_lookup(c, 0, &wrongtype);
    if (wrongtype) return;
    static const qlist_t empty;
    s_reply_list(c, q ? &q->dead : &empty, count);
}

/* QLEN q: messages ready to be delivered. */
static void cmd_qlen(client_t *c) {
    int wrongtype;
    queue_t *q = s_lookup(c, 0, &wrongtype);
    if (wrongtype) return;
    reply_int(c, q ? (long long)q->ready.len : 0);
}

/* QINFO q: {pending, processing, dead, delayed} */
static void cmd_qinfo(client_t *c) {
    int wrongtype;
    queue_t *q = s_lookup(c, 0, &wrongtype);
    if (wrongtype) return;
    static const queue_t empty;
    if (!q) q = (queue_t *)&empty;
    reply_map(c, 4);
    reply_bulk_cstr(c, "pending");
    reply_int(c, (long long)q->ready.len);
    reply_bulk_cstr(c, "processing");
    reply_int(c, (long long)q->processing.n);
    reply_bulk_cstr(c, "dead");
    reply_int(c, (long long)q->dead.len);
    reply_bulk_cstr(c, "delayed");
    reply_int(c, (long long)q->delayed.n);
}

/* ===================== VOLE.QUEUE: replaying effects ===================== */

static int s_num_or_reply(client_t *c, int i, long long min, long long max, long long *v) {
    if (i >= c->argc || !str_to_ll(c->argv[i].ptr, c->argv[i].len, v) || *v < min || *v > max) {
        reply_error(c, "VOLE.QUEUE: bad number");
        return -1;
    }
    return 0;
}

/* The message an effect names, in the state it must be in; NULL after replying. */
static qmsg_t *s_effect_msg(client_t *c, queue_t *q, qid_t id, int state) {
    qmsg_t *m = q ? queue_find_in(q, id, state) : NULL;
    if (!m) {
        reply_error(c, "VOLE.QUEUE: the message is not in the state the effect expects");
        return NULL;
    }
    return m;
}

/* VOLE.QUEUE op key id ... (see the file's header). */
static void cmd_vole_queue(client_t *c) {
    if (internal_only_or_reply(c)) return;
    engine_t *e = c->eng;
    const proto_arg_t *op = &c->argv[1], *k = &c->argv[2];
    qid_t id;
    if (s_id_or_reply(c, &c->argv[3], &id)) return;
    vobj_t *o = db_peek(c->db, k->ptr, k->len);
    if (o && o->type != OBJ_QUEUE) {
        reply_error(c, ERR_WRONGTYPE);
        return;
    }
    queue_t *q = o ? s_q(o) : NULL;
    long long a, b;
    qmsg_t *m;
    if (arg_is(op, "add")) {
        if (s_num_or_reply(c, 4, 0, LLONG_MAX, &a) || s_num_or_reply(c, 5, 1, UINT32_MAX, &b))
            return;
        if (c->argc != 7) return reply_error(c, "VOLE.QUEUE ADD: wrong number of arguments");
        if (!q) {
            q = queue_new();
            db_add(e, c->db, k->ptr, k->len, s_wrap(q));
        }
        if (!queue_add(q, id, c->argv[6].ptr, c->argv[6].len, (uint32_t)b, a))
            return reply_error(c, "VOLE.QUEUE ADD: the message id exists");
        s_event(e, c->db, "enqueue", k->ptr, k->len);
    } else if (arg_is(op, "deliver")) {
        if (s_num_or_reply(c, 4, LLONG_MIN, LLONG_MAX, &a)) return;
        if (!(m = s_effect_msg(c, q, id, QM_READY))) return;
        queue_deliver(q, m, a);
        s_event(e, c->db, "dequeue", k->ptr, k->len);
    } else if (arg_is(op, "ready")) {
        if (!(m = s_effect_msg(c, q, id, QM_DELAYED))) return;
        queue_make_ready(q, m);
        s_event(e, c->db, "qready", k->ptr, k->len);
    } else if (arg_is(op, "ack")) {
        if (!(m = s_effect_msg(c, q, id, QM_PROCESSING))) return;
        queue_ack(q, m);
        s_event(e, c->db, "qack", k->ptr, k->len);
        s_maybe_delete(e, c->db, k->ptr, k->len, q);
    } else if (arg_is(op, "fail")) {
        if (s_num_or_reply(c, 4, 0, LLONG_MAX, &a)) return;
        if (!(m = s_effect_msg(c, q, id, QM_PROCESSING))) return;
        if (queue_fail(q, m, a) == QM_DEAD) s_event(e, c->db, "qdead", k->ptr, k->len);
    } else if (arg_is(op, "requeue")) {
        if (!(m = s_effect_msg(c, q, id, QM_DEAD))) return;
        queue_requeue(q, m);
        s_event(e, c->db, "qrequeue", k->ptr, k->len);
    } else {
        reply_error(c, "VOLE.QUEUE: unknown operation");
        return;
    }
    s_changed(e, c->db, k->ptr, k->len);
    reply_ok(c);
}

// clang-format off
static command_t s_queue_commands[] = {
    {.name = "enqueue", .proc = cmd_enqueue, .arity = -3, .flags = "write denyoom fast",
     .keyspecs = "RW insert;index:1;range:0,1,0", .group = "queue", .since = "1.0.0",
     .summary = "Adds a message to a reliable queue, ready now or after a delay, and returns "
                "its id.",
     .complexity = "O(1), O(log N) with a delay (N delayed messages).",
     .args = "key:key@0 string:body ?double:seconds=DELAY ?integer:maxretries=MAXRETRIES"},
    {.name = "dequeue", .proc = cmd_dequeue, .arity = -2, .flags = "write fast blocking",
     .keyspecs = "RW access update;index:1;range:0,1,0", .group = "queue", .since = "1.0.0",
     .summary = "Delivers the oldest ready message, which returns to the queue unless "
                "acknowledged within its visibility timeout; can wait for one.",
     .complexity = "O(log N), N being the number of messages being processed.",
     .args = "key:key@0 ?double:visibility=TIMEOUT ?integer:milliseconds=BLOCK"},
    {.name = "qack", .proc = cmd_qack, .arity = -3, .flags = "write fast",
     .keyspecs = "RW delete;index:1;range:0,1,0", .group = "queue", .since = "1.0.0",
     .summary = "Acknowledges delivered messages: they are done and leave the queue.",
     .complexity = "O(log N) per id, N being the number of messages being processed.",
     .args = "key:key@0 *string:id"},
    {.name = "qnack", .proc = cmd_qnack, .arity = -3, .flags = "write fast",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "queue", .since = "1.0.0",
     .summary = "Gives a delivered message back as a failed delivery: ready again (now or "
                "after a delay), or dead after too many failures.",
     .complexity = "O(log N), N being the number of messages being processed.",
     .args = "key:key@0 string:id ?double:seconds=DELAY"},
    {.name = "qrequeue", .proc = cmd_qrequeue, .arity = 3, .flags = "write fast",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "queue", .since = "1.0.0",
     .summary = "Moves a dead message back to the ready list with its failure count cleared.",
     .complexity = "O(1)", .args = "key:key@0 string:id"},
    {.name = "qpeek", .proc = cmd_qpeek, .arity = -2, .flags = "readonly",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "queue", .since = "1.0.0",
     .summary = "Returns the next ready messages in delivery order without delivering them.",
     .complexity = "O(N), N being the number of messages returned.",
     .args = "key:key@0 ?integer:count=COUNT"},
    {.name = "qlen", .proc = cmd_qlen, .arity = 2, .flags = "readonly fast",
     .keyspecs = "RO;index:1;range:0,1,0", .group = "queue", .since = "1.0.0",
     .summary = "Returns the number of messages ready to be delivered.", .complexity = "O(1)",
     .args = "key:key@0"},
    {.name = "qinfo", .proc = cmd_qinfo, .arity = 2, .flags = "readonly fast",
     .keyspecs = "RO;index:1;range:0,1,0", .group = "queue", .since = "1.0.0",
     .summary = "Returns the number of pending, processing, dead and delayed messages.",
     .complexity = "O(1)", .args = "key:key@0"},
    {.name = "qdead", .proc = cmd_qdead, .arity = -2, .flags = "readonly",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "queue", .since = "1.0.0",
     .summary = "Returns the oldest messages of the dead-letter list.",
     .complexity = "O(N), N being the number of messages returned.",
     .args = "key:key@0 ?integer:count=COUNT"},
    {.name = "vole.queue", .proc = cmd_vole_queue, .arity = -4, .flags = "write noscript fast",
     .keyspecs = "RW update;index:2;range:0,1,0", .group = "queue", .since = "1.0.0",
     .doc_flags = "syscmd",
     .summary = "Internal: replays one recorded queue change with its message id and absolute "
                "times (only while effects are replayed).",
     .complexity = "O(log N)",
     .args = "oneof:op(=ADD =DELIVER =READY =ACK =FAIL =REQUEUE) key:key@0 string:id "
             "*string:arg"},
    {0},
};
// clang-format on

__attribute__((constructor)) static void s_register(void) {
    obj_register_type(OBJ_QUEUE, &s_queue_type);
    command_group_register(s_queue_commands);
}
