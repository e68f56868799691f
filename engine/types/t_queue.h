/* The reliable queue type (OBJ_QUEUE): messages with ids, each in one of four states --
 * ready (a FIFO list, in the order messages became ready), processing (delivered, waiting for
 * QACK until a visibility deadline), delayed (until a due time) and dead (the dead-letter
 * list, in the order messages died). Processing and delayed messages sit in min-heaps on
 * (time, id) so the next timer is O(1) to find. Only processing and dead messages are in the
 * dict by id (the ones QACK, QNACK and QREQUEUE name): an enqueue into a long queue touches
 * no hash table, only the list's tail.
 * Knows nothing about clocks or replies: callers pass times in (unix ms), so the same calls
 * replayed give the same state. t_queue.c's commands sit on top. */
#ifndef VOLE_T_QUEUE_H
#define VOLE_T_QUEUE_H
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* A message id, "<ms>-<seq>" like a stream entry's: increasing in enqueue order. */
typedef struct qid {
    uint64_t ms, seq;
} qid_t;

enum { QM_READY = 0, QM_PROCESSING = 1, QM_DELAYED = 2, QM_DEAD = 3 };

typedef struct qmsg {
    qid_t id;
    uint32_t retries;    /* failed deliveries so far (visibility timeouts and QNACKs) */
    uint32_t maxretries; /* failed deliveries after which it dies */
    uint8_t state;       /* QM_* */
    int64_t at;          /* delayed: when it becomes ready; processing: visibility deadline */
    union {
        struct {
            struct qmsg *prev, *next;
        } l;             /* ready and dead: list links */
        size_t heap_idx; /* delayed and processing: position in the heap */
    } link;
    size_t blen;
    char body[]; /* blen bytes and a NUL, in the same allocation */
} qmsg_t;

typedef struct qlist {
    qmsg_t *head, *tail;
    uint64_t len;
} qlist_t;

typedef struct qheap {
    qmsg_t **a;
    size_t n, cap;
} qheap_t;

typedef struct queue {
    dict_t *ids; /* processing and dead messages: qid_t* (inside the message) -> qmsg_t* */
    qlist_t ready, dead;
    qheap_t delayed, processing;
    qid_t last; /* the highest id ever added */
} queue_t;

#define QUEUE_DEFAULT_VISIBILITY_MS 30000
#define QUEUE_DEFAULT_MAXRETRIES 5
#define QID_STR_MAX 44 /* "<u64>-<u64>" and a NUL */

queue_t *queue_new(void);
void queue_free(queue_t *q);
queue_t *queue_dup(const queue_t *q);
size_t queue_mem(const queue_t *q);
static inline uint64_t queue_size(const queue_t *q) {
    return q->ready.len + q->dead.len + q->delayed.n + q->processing.n;
}

/* Ids: parse "<ms>-<seq>" (1 on success), format (returns the length). */
int qid_parse(const char *p, size_t len, qid_t *out);
int qid_format(char *dst, qid_t id);
int qid_cmp(qid_t a, qid_t b);
/* The id an enqueue at now gets: (now, 0), or one past the last id when the clock has not
 * moved past it. */
qid_t queue_next_id(const queue_t *q, int64_t now);

/* Adds a message (the body is copied): ready when ready_at is 0, else delayed until ready_at.
 * Ids only grow: returns NULL unless id is above every id added so far. */
qmsg_t *queue_add(queue_t *q, qid_t id, const char *body, size_t len, uint32_t maxretries,
                  int64_t ready_at);
/* A processing or dead message by id (the ones commands name), or NULL. */
qmsg_t *queue_find(queue_t *q, qid_t id);
/* A message by id in the given state (replaying effects): the dict for processing and dead
 * ones; for ready and delayed ones the list's head or the heap's top, which is what effects
 * name in practice, else a scan. */
qmsg_t *queue_find_in(queue_t *q, qid_t id, int state);
/* A ready message is delivered: processing until deadline. */
void queue_deliver(queue_t *q, qmsg_t *m, int64_t deadline);
/* A processing message is done: removed and freed. */
void queue_ack(queue_t *q, qmsg_t *m);
/* A processing message failed (QNACK or visibility timeout): one more failed delivery; dead
 * once retries reach maxretries, else ready (ready_at 0, at the tail) or delayed until
 * ready_at. Returns the new state. */
int queue_fail(queue_t *q, qmsg_t *m, int64_t ready_at);
/* A delayed message becomes ready (at the tail). */
void queue_make_ready(queue_t *q, qmsg_t *m);
/* A dead message goes back to the ready tail with its failure count cleared. */
void queue_requeue(queue_t *q, qmsg_t *m);
/* The earliest timer due at now (delayed or processing, by (time, id); a delayed one first
 * on a tie), or NULL. */
qmsg_t *queue_due(const queue_t *q, int64_t now);
/* The unix ms of the next timer, 0 when none. */
int64_t queue_next_timer(const queue_t *q);
#endif
