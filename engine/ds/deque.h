/* Double-ended queue of opaque pointers in a power-of-two ring buffer: push and pop at either
 * end in amortised O(1), O(1) access by index, insert/remove in the middle moving the shorter
 * side. It never looks at the pointers, so the caller owns (and frees) what they point to. */
#ifndef VOLE_DEQUE_H
#define VOLE_DEQUE_H
#include <stddef.h>

typedef struct deque {
    void **slots;
    size_t cap;  /* 0 or a power of two */
    size_t head; /* slot of element 0 */
    size_t len;
} deque_t;

/* An empty deque (no allocation until the first push). */
void deque_init(deque_t *d);
/* Releases the slots (not what they point to); the deque is empty and reusable afterwards. */
void deque_clear(deque_t *d);
/* Makes room for at least n elements in total (bulk loads). */
void deque_reserve(deque_t *d, size_t n);

static inline size_t deque_len(const deque_t *d) { return d->len; }
/* Element i, 0 <= i < len (checked by the caller). */
static inline void *deque_get(const deque_t *d, size_t i) {
    return d->slots[(d->head + i) & (d->cap - 1)];
}
static inline void deque_set(deque_t *d, size_t i, void *v) {
    d->slots[(d->head + i) & (d->cap - 1)] = v;
}
/* The slot of element i: lets a caller read in place without copying the pointer out. */
static inline void *const *deque_slot(const deque_t *d, size_t i) {
    return &d->slots[(d->head + i) & (d->cap - 1)];
}

void deque_push_head(deque_t *d, void *v);
void deque_push_tail(deque_t *d, void *v);
/* Remove and return the first / last element; the deque must not be empty. */
void *deque_pop_head(deque_t *d);
void *deque_pop_tail(deque_t *d);
/* Inserts v so that it becomes element i (0 <= i <= len). */
void deque_insert(deque_t *d, size_t i, void *v);
/* Removes and returns element i (0 <= i < len). */
void *deque_remove(deque_t *d, size_t i);
/* Forgets the first / last n elements (n <= len); the caller has dealt with them already. */
void deque_drop_head(deque_t *d, size_t n);
void deque_drop_tail(deque_t *d, size_t n);
/* Bytes of slot memory held (MEMORY USAGE). */
static inline size_t deque_slot_bytes(const deque_t *d) { return d->cap * sizeof(void *); }
#endif
