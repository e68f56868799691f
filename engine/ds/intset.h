/* A sorted array of distinct 64-bit integers in one allocation, stored at the narrowest width
 * (2, 4 or 8 bytes) that holds every member: the compact encoding of small integer sets.
 * Knows nothing about the engine. */
#ifndef VOLE_INTSET_H
#define VOLE_INTSET_H
#include <stddef.h>
#include <stdint.h>

/* width: bytes per member (2, 4 or 8); it only grows, as members needing it arrive. Members
 * are in host byte order, ascending. */
typedef struct intset {
    uint32_t width;
    uint32_t len;
    uint8_t data[];
} intset_t;

intset_t *intset_new(void);
void intset_destroy(intset_t **is);
intset_t *intset_dup(const intset_t *is);

static inline uint32_t intset_len(const intset_t *is) { return is->len; }
static inline uint32_t intset_width(const intset_t *is) { return is->width; }
/* Bytes of the allocation (header and members). */
static inline size_t intset_bytes(const intset_t *is) {
    return sizeof(intset_t) + (size_t)is->len * is->width;
}

/* Adds v; returns the (possibly moved) set. *added is 1 when v was new, else 0. */
intset_t *intset_add(intset_t *is, int64_t v, int *added);
/* Removes v; returns the (possibly moved) set. *removed is 1 when v was there, else 0. The
 * width never shrinks. */
intset_t *intset_remove(intset_t *is, int64_t v, int *removed);
/* 1 when v is a member (binary search). */
int intset_find(const intset_t *is, int64_t v);
/* The member at pos (0 = smallest); pos must be < intset_len(). */
int64_t intset_get(const intset_t *is, uint32_t pos);
/* Largest and smallest members; the set must not be empty. */
static inline int64_t intset_min(const intset_t *is) { return intset_get(is, 0); }
static inline int64_t intset_max(const intset_t *is) { return intset_get(is, is->len - 1); }
/* The width needed for v alone (2, 4 or 8). */
uint32_t intset_width_for(int64_t v);
/* 1 when blob (len bytes, e.g. read back from a file) is a well-formed intset: known width,
 * length matching the size, members strictly ascending. */
int intset_validate(const void *blob, size_t len);
#endif
