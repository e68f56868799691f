/* Ring-buffer deque of pointers (see deque.h): growth by doubling, shrinking once three
 * quarters are unused so that a list that was long once does not keep its slots forever. */
#include "engine/ds/deque.h"

#include <stdlib.h>
#include <string.h>

#define DEQUE_MIN_CAP 8

void deque_init(deque_t *d) {
    d->slots = NULL;
    d->cap = d->head = d->len = 0;
}

void deque_clear(deque_t *d) {
    free(d->slots);
    deque_init(d);
}

/* Moves the elements into a fresh array of newcap slots (>= len), element 0 first. */
static void s_resize(deque_t *d, size_t newcap) {
    void **n = malloc(newcap * sizeof(void *));
    if (!n) abort(); /* out of memory: maxmemory is the graceful path */
    if (d->len) {
        size_t first = d->cap - d->head; /* slots from head to the end of the array */
        if (first >= d->len) {
            memcpy(n, d->slots + d->head, d->len * sizeof(void *));
        } else {
            memcpy(n, d->slots + d->head, first * sizeof(void *));
            memcpy(n + first, d->slots, (d->len - first) * sizeof(void *));
        }
    }
    free(d->slots);
    d->slots = n;
    d->cap = newcap;
    d->head = 0;
}

static size_t s_pow2_at_least(size_t n) {
    size_t c = DEQUE_MIN_CAP;
    while (c < n)
        c <<= 1;
    return c;
}

void deque_reserve(deque_t *d, size_t n) {
    if (n > d->cap) s_resize(d, s_pow2_at_least(n));
}

static inline void s_grow_for_one(deque_t *d) {
    if (d->len == d->cap) s_resize(d, d->cap ? d->cap * 2 : DEQUE_MIN_CAP);
}

/* Called after removals: halving once len drops below a quarter keeps both growth and
 * shrinking amortised O(1) per element. */
static inline void s_maybe_shrink(deque_t *d) {
    if (d->len == 0) {
        deque_clear(d);
    } else if (d->cap > DEQUE_MIN_CAP && d->len < d->cap / 4) {
        s_resize(d, s_pow2_at_least(d->len * 2));
    }
}

void deque_push_head(deque_t *d, void *v) {
    s_grow_for_one(d);
    d->head = (d->head - 1) & (d->cap - 1);
    d->slots[d->head] = v;
    d->len++;
}

void deque_push_tail(deque_t *d, void *v) {
    s_grow_for_one(d);
    d->slots[(d->head + d->len) & (d->cap - 1)] = v;
    d->len++;
}

void *deque_pop_head(deque_t *d) {
    void *v = d->slots[d->head];
    d->head = (d->head + 1) & (d->cap - 1);
    d->len--;
    s_maybe_shrink(d);
    return v;
}

void *deque_pop_tail(deque_t *d) {
    void *v = deque_get(d, d->len - 1);
    d->len--;
    s_maybe_shrink(d);
    return v;
}

void deque_insert(deque_t *d, size_t i, void *v) {
    s_grow_for_one(d);
    size_t mask = d->cap - 1;
    if (i < d->len - i) {
        /* open a slot before the head and slide the first i elements down by one */
        d->head = (d->head - 1) & mask;
        for (size_t k = 0; k < i; k++)
            d->slots[(d->head + k) & mask] = d->slots[(d->head + k + 1) & mask];
    } else {
        for (size_t k = d->len; k > i; k--)
            d->slots[(d->head + k) & mask] = d->slots[(d->head + k - 1) & mask];
    }
    d->slots[(d->head + i) & mask] = v;
    d->len++;
}

void *deque_remove(deque_t *d, size_t i) {
    size_t mask = d->cap - 1;
    void *v = d->slots[(d->head + i) & mask];
    if (i < d->len / 2) {
        for (size_t k = i; k > 0; k--)
            d->slots[(d->head + k) & mask] = d->slots[(d->head + k - 1) & mask];
        d->head = (d->head + 1) & mask;
    } else {
        for (size_t k = i; k + 1 < d->len; k++)
            d->slots[(d->head + k) & mask] = d->slots[(d->head + k + 1) & mask];
    }
    d->len--;
    s_maybe_shrink(d);
    return v;
}

void deque_drop_head(deque_t *d, size_t n) {
    if (n == 0) return;
    d->head = (d->head + n) & (d->cap - 1);
    d->len -= n;
    s_maybe_shrink(d);
}

void deque_drop_tail(deque_t *d, size_t n) {
    if (n == 0) return;
    d->len -= n;
    s_maybe_shrink(d);
}
