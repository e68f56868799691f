/* Unit tests for engine/types/t_queue.c: the message store alone (FIFO, timers in (time, id)
 * order, retries and the dead-letter list, ids, copies, a randomized check of the heaps
 * against a plain model), the commands at a clock the test sets (visibility timeouts and
 * delays run on access, replies, errors, an emptied queue leaving the keyspace), and the
 * persistence round trip: everything recorded, replayed into a fresh engine at another time,
 * gives the same queues. */
#include "tests/unit/engine/vole_cmd_harness.h"

#include "engine/blocking.h"
#include "engine/types/t_queue.h"
#include "shared/util.h"

/* ---- the message store ---- */

static qid_t s_id(uint64_t ms, uint64_t seq) { return (qid_t){ms, seq}; }

static void test_fifo_and_states(void **state) {
    (void)state;
    queue_t *q = queue_new();
    for (int i = 0; i < 3; i++) {
        char b[8];
        snprintf(b, sizeof b, "m%d", i);
        assert_non_null(queue_add(q, s_id(10, (uint64_t)i), b, strlen(b), 5, 0));
    }
    assert_null(queue_add(q, s_id(10, 1), "dup", 3, 5, 0)); /* ids only grow */
    assert_null(queue_add(q, s_id(9, 9), "old", 3, 5, 0));
    assert_null(queue_find(q, s_id(10, 0))); /* only processing and dead ones are indexed */
    assert_non_null(queue_find_in(q, s_id(10, 1), QM_READY));
    assert_int_equal(q->ready.len, 3);
    qmsg_t *m0 = q->ready.head;
    assert_string_equal(m0->body, "m0");
    queue_deliver(q, m0, 500);
    assert_int_equal(m0->state, QM_PROCESSING);
    assert_string_equal(q->ready.head->body, "m1");
    assert_int_equal(queue_next_timer(q), 500);
    assert_null(queue_due(q, 499));
    assert_ptr_equal(queue_due(q, 500), m0);
    /* a failed delivery goes to the tail: FIFO in the order messages became ready */
    assert_int_equal(queue_fail(q, m0, 0), QM_READY);
    assert_int_equal(m0->retries, 1);
    assert_ptr_equal(q->ready.tail, m0);
    qmsg_t *m1 = q->ready.head;
    queue_deliver(q, m1, 600);
    queue_ack(q, m1);
    assert_null(queue_find(q, s_id(10, 1)));
    assert_int_equal(queue_size(q), 2);
    queue_free(q);
}

static void test_dead_letter_and_requeue(void **state) {
    (void)state;
    queue_t *q = queue_new();
    qmsg_t *m = queue_add(q, s_id(1, 0), "x", 1, 2, 0);
    queue_deliver(q, m, 10);
    assert_int_equal(queue_fail(q, m, 0), QM_READY); /* 1 failure of 2 */
    queue_deliver(q, m, 20);
    assert_int_equal(queue_fail(q, m, 0), QM_DEAD); /* the 2nd: dead */
    assert_int_equal(q->dead.len, 1);
    assert_int_equal(q->ready.len, 0);
    queue_requeue(q, m);
    assert_int_equal(m->state, QM_READY);
    assert_int_equal(m->retries, 0);
    assert_int_equal(q->dead.len, 0);
    /* a delayed retry */
    queue_deliver(q, m, 30);
    assert_int_equal(queue_fail(q, m, 100), QM_DELAYED);
    assert_int_equal(queue_next_timer(q), 100);
    queue_make_ready(q, m);
    assert_int_equal(q->ready.len, 1);
    queue_free(q);
}

static void test_due_order(void **state) {
    (void)state;
    queue_t *q = queue_new();
    qmsg_t *p = queue_add(q, s_id(4, 0), "p", 1, 5, 0);
    qmsg_t *d = queue_add(q, s_id(5, 0), "d", 1, 5, 100); /* delayed until 100 */
    queue_deliver(q, p, 100); /* processing until 100: a tie, the delayed one first */
    qmsg_t *p2 = queue_add(q, s_id(6, 0), "p2", 2, 5, 0);
    queue_deliver(q, p2, 50);
    assert_ptr_equal(queue_due(q, 1000), p2);
    queue_fail(q, p2, 0);
    assert_ptr_equal(queue_due(q, 1000), d);
    queue_make_ready(q, d);
    assert_ptr_equal(queue_due(q, 1000), p);
    queue_free(q);
}

static void test_ids(void **state) {
    (void)state;
    char b[QID_STR_MAX];
    qid_t id;
    assert_int_equal(qid_format(b, s_id(1732243200000ull, 7)), 15);
    assert_string_equal(b, "1732243200000-7");
    assert_true(qid_parse(b, strlen(b), &id));
    assert_int_equal(id.ms, 1732243200000ull);
    assert_int_equal(id.seq, 7);
    assert_false(qid_parse("12", 2, &id));
    assert_false(qid_parse("1-x", 3, &id));
    assert_false(qid_parse("-1-2", 4, &id));
    assert_false(qid_parse("1-", 2, &id));
    queue_t *q = queue_new();
    assert_int_equal(qid_cmp(queue_next_id(q, 100), s_id(100, 0)), 0);
    queue_add(q, s_id(100, 0), "a", 1, 5, 0);
    assert_int_equal(qid_cmp(queue_next_id(q, 100), s_id(100, 1)), 0);
    /* a clock that stepped back still gives increasing ids */
    assert_int_equal(qid_cmp(queue_next_id(q, 50), s_id(100, 1)), 0);
    assert_int_equal(qid_cmp(queue_next_id(q, 101), s_id(101, 0)), 0);
    queue_free(q);
}

/* A plain model: every message with its state and time; the store must agree after random
 * operations, and the timers must come out in (time, id) order. */
typedef struct {
    qid_t id;
    int state, live;
    int64_t at;
    uint32_t retries;
} s_model_t;

static void test_random_against_model(void **state) {
    (void)state;
    enum { N = 400 };
    s_model_t mdl[N];
    memset(mdl, 0, sizeof mdl);
    queue_t *q = queue_new();
    srand(7);
    int n = 0;
    for (int step = 0; step < 20000; step++) {
        int op = rand() % 6;
        int i = n ? rand() % n : 0;
        if (op == 0 && n < N) {
            int64_t at = rand() % 3 ? 0 : 1 + rand() % 1000;
            mdl[n] = (s_model_t){s_id(1, (uint64_t)n), at ? QM_DELAYED : QM_READY, 1, at, 0};
            assert_non_null(queue_add(q, mdl[n].id, "b", 1, 3, at));
            n++;
        } else if (op == 1 && q->ready.head) {
            qmsg_t *m = q->ready.head;
            int64_t at = 1 + rand() % 1000;
            queue_deliver(q, m, at);
            mdl[m->id.seq].state = QM_PROCESSING;
            mdl[m->id.seq].at = at;
        } else if (op == 2 && n && mdl[i].live && mdl[i].state == QM_PROCESSING) {
            queue_ack(q, queue_find(q, mdl[i].id));
            mdl[i].live = 0;
        } else if (op == 3) {
            /* the earliest timer must be the model's smallest (at, id), delayed first on ties */
            qmsg_t *m = queue_due(q, 1 << 30);
            int best = -1;
            for (int j = 0; j < n; j++) {
                if (!mdl[j].live || (mdl[j].state != QM_DELAYED && mdl[j].state != QM_PROCESSING))
                    continue;
                if (best < 0 || mdl[j].at < mdl[best].at ||
                    (mdl[j].at == mdl[best].at && mdl[j].state == QM_DELAYED &&
                     mdl[best].state != QM_DELAYED) ||
                    (mdl[j].at == mdl[best].at && mdl[j].state == mdl[best].state && j < best))
                    best = j;
            }
            if (best < 0) {
                assert_null(m);
                continue;
            }
            assert_non_null(m);
            assert_int_equal(m->at, mdl[best].at);
            if (m->state == QM_DELAYED) {
                queue_make_ready(q, m);
                mdl[m->id.seq].state = QM_READY;
            } else {
                int st = queue_fail(q, m, 0);
                mdl[m->id.seq].retries++;
                mdl[m->id.seq].state = mdl[m->id.seq].retries >= 3 ? QM_DEAD : QM_READY;
                assert_int_equal(st, mdl[m->id.seq].state);
            }
        } else if (op == 4 && q->dead.head) {
            qmsg_t *m = q->dead.head;
            queue_requeue(q, m);
            mdl[m->id.seq].state = QM_READY;
            mdl[m->id.seq].retries = 0;
        }
        uint64_t cnt[4] = {0};
        for (int j = 0; j < n; j++)
            if (mdl[j].live) cnt[mdl[j].state]++;
        assert_int_equal(q->ready.len, cnt[QM_READY]);
        assert_int_equal(q->processing.n, cnt[QM_PROCESSING]);
        assert_int_equal(q->delayed.n, cnt[QM_DELAYED]);
        assert_int_equal(q->dead.len, cnt[QM_DEAD]);
    }
    queue_t *d = queue_dup(q);
    assert_int_equal(queue_size(d), queue_size(q));
    for (qmsg_t *a = q->ready.head, *b = d->ready.head; a || b;
         a = a->link.l.next, b = b->link.l.next) {
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(qid_cmp(a->id, b->id), 0);
    }
    queue_free(d);
    queue_free(q);
}

/* ---- commands at a test clock ---- */

static void test_commands_basic(void **state) {
    (void)state;
    CHECK("$9\r\n1000000-0\r\n", "ENQUEUE", "q", "hello");
    CHECK("$9\r\n1000000-1\r\n", "ENQUEUE", "q", "world", "MAXRETRIES", "2");
    CHECK("+queue\r\n", "TYPE", "q");
    CHECK(":2\r\n", "QLEN", "q");
    CHECK("*1\r\n*3\r\n$9\r\n1000000-0\r\n$5\r\nhello\r\n:0\r\n", "QPEEK", "q");
    CHECK("*3\r\n$9\r\n1000000-0\r\n$5\r\nhello\r\n:0\r\n", "DEQUEUE", "q");
    CHECK("*8\r\n$7\r\npending\r\n:1\r\n$10\r\nprocessing\r\n:1\r\n$4\r\ndead\r\n:0\r\n"
          "$7\r\ndelayed\r\n:0\r\n",
          "QINFO", "q");
    CHECK(":1\r\n", "QACK", "q", "1000000-0");
    CHECK(":0\r\n", "QACK", "q", "1000000-0"); /* only once */
    CHECK(":0\r\n", "QACK", "q", "1000000-1"); /* not delivered: nothing to acknowledge */
    /* the default visibility is 30 s: the message comes back once it passes, on access */
    CHECK("*3\r\n$9\r\n1000000-1\r\n$5\r\nworld\r\n:0\r\n", "DEQUEUE", "q");
    H.now += 29999;
    CHECK(":0\r\n", "QLEN", "q");
    H.now += 1;
    CHECK(":1\r\n", "QLEN", "q");
    CHECK("*3\r\n$9\r\n1000000-1\r\n$5\r\nworld\r\n:1\r\n", "DEQUEUE", "q", "TIMEOUT", "1.5");
    H.now += 1500; /* second failure of MAXRETRIES 2: dead */
    CHECK("*-1\r\n", "DEQUEUE", "q");
    CHECK("*1\r\n*3\r\n$9\r\n1000000-1\r\n$5\r\nworld\r\n:2\r\n", "QDEAD", "q");
    CHECK(":1\r\n", "QREQUEUE", "q", "1000000-1");
    CHECK(":0\r\n", "QREQUEUE", "q", "1000000-1");
    CHECK("*3\r\n$9\r\n1000000-1\r\n$5\r\nworld\r\n:0\r\n", "DEQUEUE", "q");
    CHECK(":1\r\n", "QACK", "q", "1000000-1");
    /* the last message gone, the key goes */
    CHECK(":0\r\n", "EXISTS", "q");
    CHECK("*-1\r\n", "DEQUEUE", "q");
    CHECK(":0\r\n", "QLEN", "q");
    CHECK("*0\r\n", "QPEEK", "q", "COUNT", "5");
    CHECK("*0\r\n", "QDEAD", "q");
    CHECK(":0\r\n", "QACK", "q", "1-1");
}

static void test_delay_and_nack(void **state) {
    (void)state;
    CHECK("$9\r\n1000000-0\r\n", "ENQUEUE", "q", "later", "DELAY", "10");
    CHECK("$9\r\n1000000-1\r\n", "ENQUEUE", "q", "now");
    /* FIFO among ready messages: the delayed one is not ready yet */
    CHECK("*3\r\n$9\r\n1000000-1\r\n$3\r\nnow\r\n:0\r\n", "DEQUEUE", "q");
    CHECK("*-1\r\n", "DEQUEUE", "q");
    H.now += 10000;
    CHECK(":1\r\n", "QNACK", "q", "1000000-1", "DELAY", "0.5");
    CHECK(":0\r\n", "QNACK", "q", "1000000-1");
    CHECK("*8\r\n$7\r\npending\r\n:1\r\n$10\r\nprocessing\r\n:0\r\n$4\r\ndead\r\n:0\r\n"
          "$7\r\ndelayed\r\n:1\r\n",
          "QINFO", "q");
    CHECK("*3\r\n$9\r\n1000000-0\r\n$5\r\nlater\r\n:0\r\n", "DEQUEUE", "q");
    H.now += 500;
    CHECK("*3\r\n$9\r\n1000000-1\r\n$3\r\nnow\r\n:1\r\n", "DEQUEUE", "q");
    /* RESP3: QINFO is a map */
    H.c->resp = 3;
    CHECK("%4\r\n$7\r\npending\r\n:0\r\n$10\r\nprocessing\r\n:2\r\n$4\r\ndead\r\n:0\r\n"
          "$7\r\ndelayed\r\n:0\r\n",
          "QINFO", "q");
    CHECK("_\r\n", "DEQUEUE", "q");
}

static void test_errors(void **state) {
    (void)state;
    CHECK("+OK\r\n", "SET", "s", "x");
    CHECK("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "ENQUEUE",
          "s", "b");
    CHECK("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "QLEN", "s");
    CHECK("-ERR syntax error\r\n", "ENQUEUE", "q", "b", "DELAY");
    CHECK("-ERR DELAY must be a non-negative number of seconds\r\n", "ENQUEUE", "q", "b",
          "DELAY", "-1");
    CHECK("-ERR MAXRETRIES must be a positive integer\r\n", "ENQUEUE", "q", "b", "MAXRETRIES",
          "0");
    CHECK("-ERR TIMEOUT must be a positive number of seconds\r\n", "DEQUEUE", "q", "TIMEOUT",
          "0");
    CHECK("-ERR BLOCK must be a non-negative number of milliseconds\r\n", "DEQUEUE", "q", "BLOCK",
          "-5");
    CHECK("-ERR Invalid message ID: expected <ms>-<seq>\r\n", "QACK", "q", "nope");
    CHECK("-ERR COUNT must be a positive integer\r\n", "QPEEK", "q", "COUNT", "0");
    CHECK(":0\r\n", "EXISTS", "q"); /* nothing was created by the failures */
    /* the internal replay command is refused to clients */
    CHECK("-ERR vole.queue is internal: it only replays recorded effects\r\n", "VOLE.QUEUE",
          "ADD", "q", "1-0", "0", "5", "body");
}

static void test_dirty_and_effects_of_reads(void **state) {
    (void)state;
    RUN("ENQUEUE", "q", "a");
    RUN("DEQUEUE", "q", "TIMEOUT", "1");
    long long d0 = H.e->stats.dirty;
    uint64_t s0 = effects_last_seq(H.e);
    CHECK(":0\r\n", "QLEN", "q"); /* nothing due: a read changes nothing */
    assert_int_equal(H.e->stats.dirty, d0);
    assert_int_equal(effects_last_seq(H.e), s0);
    H.now += 1000;
    CHECK(":1\r\n", "QLEN", "q"); /* the timeout ran on access: recorded */
    assert_true(H.e->stats.dirty > d0);
    assert_int_equal(effects_last_seq(H.e), s0 + 1);
}

/* ---- persistence: replaying the effects elsewhere, at another time ---- */

/* A canonical text of every queue in db 0 of e (lists in order, heaps sorted by (at, id)). */
static void s_dump_list(char **p, char *end, const qlist_t *l, const char *tag) {
    for (const qmsg_t *m = l->head; m; m = m->link.l.next)
        *p += snprintf(*p, (size_t)(end - *p), "%s %llu-%llu %s r%u/%u;", tag,
                       (unsigned long long)m->id.ms, (unsigned long long)m->id.seq, m->body,
                       m->retries, m->maxretries);
}

static int s_cmp_msg(const void *a, const void *b) {
    const qmsg_t *x = *(qmsg_t *const *)a, *y = *(qmsg_t *const *)b;
    if (x->at != y->at) return x->at < y->at ? -1 : 1;
    return qid_cmp(x->id, y->id);
}

static void s_dump_heap(char **p, char *end, const qheap_t *h, const char *tag) {
    qmsg_t **v = malloc((h->n + 1) * sizeof *v);
    memcpy(v, h->a, h->n * sizeof *v);
    qsort(v, h->n, sizeof *v, s_cmp_msg);
    for (size_t i = 0; i < h->n; i++)
        *p += snprintf(*p, (size_t)(end - *p), "%s %llu-%llu %s r%u/%u at%lld;", tag,
                       (unsigned long long)v[i]->id.ms, (unsigned long long)v[i]->id.seq,
                       v[i]->body, v[i]->retries, v[i]->maxretries, (long long)v[i]->at);
    free(v);
}

static void s_dump(engine_t *e, const char *key, char *buf, size_t cap) {
    char *p = buf, *end = buf + cap;
    vobj_t *o = db_peek(&e->dbs[0], key, strlen(key));
    if (!o) {
        snprintf(buf, cap, "(none)");
        return;
    }
    assert_int_equal(o->type, OBJ_QUEUE);
    queue_t *q = o->v.p;
    p += snprintf(p, (size_t)(end - p), "last %llu-%llu;", (unsigned long long)q->last.ms,
                  (unsigned long long)q->last.seq);
    s_dump_list(&p, end, &q->ready, "R");
    s_dump_list(&p, end, &q->dead, "X");
    s_dump_heap(&p, end, &q->delayed, "D");
    s_dump_heap(&p, end, &q->processing, "P");
}

/* Dumps the keys of H.e, rebuilds them in the empty H.b (replaying the effects, or through a
 * snapshot), dumps the same keys there and compares. */
static void s_assert_rebuilt_same(const char **keys, int n, engine_t *(*rebuild)(void)) {
    static char x[4][1 << 14], y[1 << 14];
    assert_true(n <= 4);
    for (int i = 0; i < n; i++) s_dump(H.e, keys[i], x[i], sizeof x[i]);
    engine_t *b = rebuild();
    assert_ptr_equal(b, H.b);
    for (int i = 0; i < n; i++) {
        s_dump(b, keys[i], y, sizeof y);
        if (strcmp(x[i], y) != 0) fail_msg("%s differs when rebuilt:\n  %s\n  %s", keys[i], x[i], y);
    }
}

static void test_replay_round_trip(void **state) {
    (void)state;
    client_t *waiter = client_new(H.e, H.e->frontends, 2);
    RUN("ENQUEUE", "jobs", "a");
    RUN("ENQUEUE", "jobs", "b", "MAXRETRIES", "1");
    RUN("ENQUEUE", "jobs", "c", "DELAY", "5");
    RUN("ENQUEUE", "other", "x");
    RUN("DEQUEUE", "jobs", "TIMEOUT", "2");
    RUN("DEQUEUE", "jobs", "TIMEOUT", "3");
    H.now += 2500; /* a's visibility passed; b's not yet */
    RUN("QLEN", "jobs");
    H.now += 600; /* b's passed: dead (MAXRETRIES 1) */
    RUN("QINFO", "jobs");
    RUN("QREQUEUE", "jobs", "1000000-1");
    RUN("DEQUEUE", "jobs");
    RUN("QNACK", "jobs", "1000000-0", "DELAY", "7");
    H.now += 2000; /* c is ready */
    RUN("DEQUEUE", "jobs");
    RUN("QACK", "jobs", "1000000-2");
    RUN("DEQUEUE", "other");
    RUN("QACK", "other", "1000000-0"); /* other empties: deleted */
    /* a blocked DEQUEUE served by a later ENQUEUE records its delivery too */
    const char *w[] = {"DEQUEUE", "idle", "BLOCK", "0", "TIMEOUT", "9"};
    h_runv_as(waiter, 6, w);
    assert_true(waiter->flags & CLIENT_BLOCKED);
    RUN("ENQUEUE", "idle", "wake");
    assert_false(waiter->flags & CLIENT_BLOCKED);
    RUN("MULTI");
    RUN("ENQUEUE", "jobs", "in-multi");
    RUN("DEQUEUE", "jobs");
    RUN("EXEC");

    assert_null(db_peek(H.c->db, "other", 5));
    vobj_t *idle = db_peek(H.c->db, "idle", 4);
    assert_non_null(idle);
    assert_int_equal(((queue_t *)idle->v.p)->processing.n, 1);
    client_free(H.e, waiter);
    const char *keys[] = {"jobs", "other", "idle"};
    s_assert_rebuilt_same(keys, 3, h_replay_all);
}

/* Random commands at random times on two queues, then the effects replayed elsewhere must
 * give the same queues (the ids a client names are taken from what the queue holds). */
static void test_random_replay(void **state) {
    (void)state;
    srand(99);
    const char *keys[] = {"r1", "r2"};
    for (int step = 0; step < 3000; step++) {
        H.now += rand() % 4 == 0 ? rand() % 3000 : rand() % 20;
        const char *k = keys[rand() % 2];
        char n1[24], n2[24], body[24], idb[QID_STR_MAX];
        snprintf(body, sizeof body, "b%d", step);
        snprintf(n1, sizeof n1, "%d.%03d", rand() % 3, rand() % 1000);
        snprintf(n2, sizeof n2, "%d", 1 + rand() % 4);
        vobj_t *o = db_peek(H.c->db, k, 2);
        queue_t *q = o ? o->v.p : NULL;
        switch (rand() % 8) {
        case 0:
        case 1: RUN("ENQUEUE", k, body, "MAXRETRIES", n2); break;
        case 2: RUN("ENQUEUE", k, body, "DELAY", n1); break;
        case 3: RUN("DEQUEUE", k, "TIMEOUT", rand() % 2 ? n1 : "2"); break;
        case 4:
            if (q && q->processing.n) {
                qid_format(idb, q->processing.a[(size_t)rand() % q->processing.n]->id);
                RUN("QACK", k, idb);
            }
            break;
        case 5:
            if (q && q->processing.n) {
                qid_format(idb, q->processing.a[(size_t)rand() % q->processing.n]->id);
                if (rand() % 2)
                    RUN("QNACK", k, idb);
                else
                    RUN("QNACK", k, idb, "DELAY", n1);
            }
            break;
        case 6:
            if (q && q->dead.head) {
                qid_format(idb, q->dead.head->id);
                RUN("QREQUEUE", k, idb);
            }
            break;
        default: RUN(rand() % 2 ? "QLEN" : "QINFO", k); break;
        }
    }
    s_assert_rebuilt_same(keys, 2, h_replay_all);
}

/* DEQUEUE ... BLOCK through engine/blocking.c's custom waiters: served in blocking order by
 * ENQUEUE, a disconnected waiter forgotten, and the engine loop's timer pass serving a waiter
 * when a delayed message falls due (at the real clock, which blocking_cron reads). */
static void test_block_custom(void **state) {
    (void)state;
    client_t *w1 = client_new(H.e, H.e->frontends, 2), *w2 = client_new(H.e, H.e->frontends, 3),
             *w3 = client_new(H.e, H.e->frontends, 4);
    const char *blk[] = {"DEQUEUE", "bq", "BLOCK", "0"};
    h_runv_as(w1, 4, blk);
    h_runv_as(w2, 4, blk);
    h_runv_as(w3, 4, blk);
    assert_int_equal(blocking_blocked_count(), 3);
    client_free(H.e, w2); /* disconnects while waiting */
    assert_int_equal(blocking_blocked_count(), 2);
    /* the ENQUEUE's reply, then w1's delivery, in the frontend's one outgoing message */
    const char *out = RUN("ENQUEUE", "bq", "one");
    static const char mine[] = "$9\r\n1000000-0\r\n",
                      w1s[] = "*3\r\n$9\r\n1000000-0\r\n$3\r\none\r\n:0\r\n";
    assert_non_null(memmem(out, H.outlen, mine, sizeof mine - 1));
    assert_non_null(memmem(out, H.outlen, w1s, sizeof w1s - 1));
    assert_false(w1->flags & CLIENT_BLOCKED);
    assert_true(w3->flags & CLIENT_BLOCKED);
    CHECK(":1\r\n", "QACK", "bq", "1000000-0");
    /* the loop's timer pass: a message due in 1 ms serves w3 without any command */
    H.now = now_ms();
    RUN("ENQUEUE", "bq", "two", "DELAY", "0.001");
    assert_true(w3->flags & CLIENT_BLOCKED);
    long wait = blocking_cron(H.e);
    assert_true(wait >= 0 && wait <= 1);
    while (w3->flags & CLIENT_BLOCKED) {
        usleep(1000);
        blocking_cron(H.e);
    }
    static const char two[] = "$3\r\ntwo\r\n:0\r\n";
    assert_non_null(memmem(w3->fe->out.data, w3->fe->out.len, two, sizeof two - 1));
    assert_int_equal(blocking_blocked_count(), 0);
    assert_int_equal(blocking_cron(H.e), -1); /* nobody waits: no timer bounds the loop */
    client_free(H.e, w1);
    client_free(H.e, w3);
    const char *keys[] = {"bq"};
    s_assert_rebuilt_same(keys, 1, h_replay_all); /* the timer's READY and DELIVER included */
}

/* Malformed internal effects fail the replay with an error and never crash it. */
static void s_put_u32(char **p, uint32_t v) {
    memcpy(*p, &v, 4);
    *p += 4;
}

static int s_apply(engine_t *b, int argc, const char **argv) {
    char unit[1024], *p = unit;
    s_put_u32(&p, 1);
    s_put_u32(&p, 0);
    s_put_u32(&p, (uint32_t)argc);
    for (int i = 0; i < argc; i++) {
        s_put_u32(&p, (uint32_t)strlen(argv[i]));
        memcpy(p, argv[i], strlen(argv[i]));
        p += strlen(argv[i]);
    }
    char err[256];
    return engine_apply_unit(b, unit, (size_t)(p - unit), err, sizeof err);
}

static void test_bad_effects(void **state) {
    (void)state;
    engine_t *b = H.e;
    const char *ok[] = {"VOLE.QUEUE", "ADD", "bq", "5-0", "0", "3", "body"};
    assert_int_equal(s_apply(b, 7, ok), 0);
    const char *bad[][8] = {
        {"VOLE.QUEUE", "ADD", "bq", "5-0", "0", "3", "again"}, /* ids only grow */
        {"VOLE.QUEUE", "ADD", "bq", "6-0", "0", "0", "b"},     /* MAXRETRIES 0 */
        {"VOLE.QUEUE", "ADD", "bq", "6-0", "-1", "3", "b"},
        {"VOLE.QUEUE", "ADD", "bq", "6-0", "0", "3"},
        {"VOLE.QUEUE", "BOGUS", "bq", "5-0"},
        {"VOLE.QUEUE", "ACK", "bq", "5-0"},     /* ready, not processing */
        {"VOLE.QUEUE", "READY", "bq", "5-0"},   /* not delayed */
        {"VOLE.QUEUE", "REQUEUE", "bq", "5-0"}, /* not dead */
        {"VOLE.QUEUE", "DELIVER", "bq", "9-9", "100"},
        {"VOLE.QUEUE", "DELIVER", "bq", "5-0", "x"},
        {"VOLE.QUEUE", "FAIL", "nokey", "5-0", "0"},
        {"VOLE.QUEUE", "ACK", "bq", "not-an-id"},
        {"VOLE.RATELIMIT", "rk", "5", "1000", "6", "100"}, /* cost > max */
        {"VOLE.RATELIMIT", "rk", "0", "1000", "1", "100"},
        {"VOLE.RATELIMIT", "rk", "5", "-1", "1", "100"},
        {"VOLE.RATELIMIT", "bq", "5", "1000", "1", "100"}, /* wrong type */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int argc = 0;
        while (argc < 8 && bad[i][argc]) argc++;
        if (s_apply(b, argc, bad[i]) != -1) fail_msg("effect %zu was accepted", i);
    }
    const char *deliver[] = {"VOLE.QUEUE", "DELIVER", "bq", "5-0", "100"};
    assert_int_equal(s_apply(b, 5, deliver), 0);
    const char *ack[] = {"VOLE.QUEUE", "ACK", "bq", "5-0"};
    assert_int_equal(s_apply(b, 4, ack), 0);
    assert_null(db_peek(H.c->db, "bq", 2)); /* emptied: gone */
}

static void test_snapshot_round_trip(void **state) {
    (void)state;
    RUN("ENQUEUE", "s", "ready-1");
    RUN("ENQUEUE", "s", "dies", "MAXRETRIES", "1");
    RUN("ENQUEUE", "s", "ready-2");
    RUN("ENQUEUE", "s", "later", "DELAY", "60");
    RUN("ENQUEUE", "s", "bin\x01ary");
    RUN("DEQUEUE", "s", "TIMEOUT", "5"); /* ready-1: processing */
    RUN("DEQUEUE", "s", "TIMEOUT", "1"); /* dies */
    H.now += 1000;
    RUN("QLEN", "s"); /* dies: dead */
    RUN("QNACK", "s", "1000000-0", "DELAY", "2"); /* ready-1: delayed again */
    RUN("DEQUEUE", "s", "TIMEOUT", "9"); /* ready-2: processing */
    const char *keys[] = {"s"};
    s_assert_rebuilt_same(keys, 1, h_snapshot_round_trip);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_and_states),
        cmocka_unit_test(test_dead_letter_and_requeue),
        cmocka_unit_test(test_due_order),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test_setup(test_commands_basic, h_fresh),
        cmocka_unit_test_setup(test_delay_and_nack, h_fresh),
        cmocka_unit_test_setup(test_errors, h_fresh),
        cmocka_unit_test_setup(test_dirty_and_effects_of_reads, h_fresh),
        cmocka_unit_test_setup(test_replay_round_trip, h_fresh),
        cmocka_unit_test_setup(test_random_replay, h_fresh),
        cmocka_unit_test_setup(test_block_custom, h_fresh),
        cmocka_unit_test_setup(test_bad_effects, h_fresh),
        cmocka_unit_test_setup(test_snapshot_round_trip, h_fresh),
    };
    return cmocka_run_group_tests(tests, h_setup, h_teardown);
}
