/* A compact array of (field, value) byte-string pairs in one allocation, in insertion order:
 * the small-hash encoding (Redis's "listpack" hashes). Lookups scan linearly, so it is meant
 * for the few dozen pairs a threshold keeps it to. Knows nothing about the engine. */
#ifndef VOLE_FVPACK_H
#define VOLE_FVPACK_H
#include <stddef.h>
#include <stdint.h>

/* Layout of data: for each pair, varint(field length) field-bytes varint(value length)
 * value-bytes, the varints being 7-bit little-endian groups (1 byte below 128). */
typedef struct fvpack {
    size_t len;     /* bytes of data in use */
    size_t cap;     /* bytes of data allocated */
    uint32_t count; /* pairs */
    unsigned char data[];
} fvpack_t;

/* A pair is addressed by the offset of its field in data; FVP_NONE means "no pair". */
#define FVP_NONE ((size_t)-1)

/* A decoded pair: pointers into the pack, valid until the pack is modified. */
typedef struct fvp_pair {
    const char *f, *v;
    size_t flen, vlen;
    size_t next; /* offset of the following pair, or FVP_NONE at the end */
} fvp_pair_t;

fvpack_t *fvp_new(size_t cap_hint);
void fvp_destroy(fvpack_t **p);
fvpack_t *fvp_dup(const fvpack_t *p);
static inline uint32_t fvp_count(const fvpack_t *p) { return p->count; }
/* Bytes of memory the pack holds (header plus allocation). */
size_t fvp_mem(const fvpack_t *p);

/* Iteration: first pair (FVP_NONE when empty), then pair.next. */
static inline size_t fvp_first(const fvpack_t *p) { return p->len ? 0 : FVP_NONE; }
void fvp_get(const fvpack_t *p, size_t off, fvp_pair_t *out);
/* The offset of the pair at 0-based index i (i < count), walking from the start. */
size_t fvp_index(const fvpack_t *p, uint32_t i);
/* The offset of field's pair, or FVP_NONE. */
size_t fvp_find(const fvpack_t *p, const char *f, size_t flen);

/* The modifiers may move the pack: they return its new address (the old one is invalid).
 * Appends a pair without checking whether the field exists. */
fvpack_t *fvp_append(fvpack_t *p, const char *f, size_t flen, const char *v, size_t vlen);
/* Replaces the value of the pair at off. */
fvpack_t *fvp_set_value(fvpack_t *p, size_t off, const char *v, size_t vlen);
/* Removes the pair at off; the pairs after it keep their order. */
fvpack_t *fvp_delete(fvpack_t *p, size_t off);
#endif
