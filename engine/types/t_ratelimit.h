/* The rate-limit type (OBJ_RATELIMIT): an exact sliding-window log. Each key keeps the times of
 * the requests it allowed in a ring, oldest first, one entry per distinct millisecond with a
 * count (a burst in one millisecond takes one entry), so it holds at most `max` entries and
 * the window is exact: a request allowed at t counts until t + window, never longer or
 * shorter. Knows nothing about replies; t_ratelimit.c's commands sit on top. */
#ifndef VOLE_T_RATELIMIT_H
#define VOLE_T_RATELIMIT_H
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

typedef struct rl_entry {
    int64_t ts;  /* unix ms the requests were allowed at */
    uint32_t n;  /* how many (COST adds up) */
} rl_entry_t;

typedef struct ratelimit {
    rl_entry_t *ring;
    uint32_t cap, head, len; /* entries: ring[(head + i) % cap], i < len, oldest first */
    uint64_t total;          /* sum of n over the entries */
    int64_t max, window_ms;  /* the limit of the last request (RATELIMIT.PEEK without one) */
} ratelimit_t;

/* The four values every RATELIMIT reply carries. */
typedef struct rl_result {
    int allowed;
    int64_t remaining;      /* requests left in the window (after this one when allowed) */
    int64_t retry_after_ms; /* 0 when allowed; else when cost more requests would be allowed */
    int64_t reset_at_ms;    /* unix ms when the oldest counted request leaves the window (now
                               when nothing is counted) */
} rl_result_t;

ratelimit_t *rl_new(void);
void rl_free(ratelimit_t *rl);
ratelimit_t *rl_dup(const ratelimit_t *rl);
size_t rl_mem(const ratelimit_t *rl);
/* Requests counted at now for a window: those allowed after now - window. */
uint64_t rl_count(const ratelimit_t *rl, int64_t now, int64_t window_ms);
/* Drops the entries that left the window at now; returns how many were dropped. */
uint32_t rl_prune(ratelimit_t *rl, int64_t now, int64_t window_ms);
/* Evaluates a request of cost (>= 1, <= max) at now without changing anything. */
rl_result_t rl_check(const ratelimit_t *rl, int64_t now, int64_t max, int64_t window_ms,
                     int64_t cost);
/* rl_check, then records the request when it is allowed (after pruning). */
rl_result_t rl_take(ratelimit_t *rl, int64_t now, int64_t max, int64_t window_ms, int64_t cost);
/* Appends cost requests at ts (ts >= the newest entry's; merged into it when equal). */
void rl_push(ratelimit_t *rl, int64_t ts, uint32_t cost);
/* The i-th entry, oldest first (i < rl->len). */
static inline const rl_entry_t *rl_at(const ratelimit_t *rl, uint32_t i) {
    return &rl->ring[(rl->head + i) % rl->cap];
}
#endif
