/* The compact field/value pair array (fvpack.h): varint-prefixed byte strings back to back in
 * one growable allocation. */
#include "engine/ds/fvpack.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define FVP_MIN_CAP 16

static size_t s_varint_len(size_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t s_varint_put(unsigned char *dst, size_t v) {
    size_t n = 0;
    while (v >= 0x80) {
        dst[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    dst[n++] = (unsigned char)v;
    return n;
}

static size_t s_varint_get(const unsigned char *src, size_t *v) {
    size_t r = 0, n = 0;
    int shift = 0;
    for (;;) {
        unsigned char b = src[n++];
        r |= (size_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) break;
        shift += 7;
    }
    *v = r;
    return n;
}

static size_t s_entry_len(size_t len) { return s_varint_len(len) + len; }

static fvpack_t *s_alloc(size_t cap) {
    fvpack_t *p = malloc(sizeof *p + cap);
    if (!p) abort(); /* out of memory: maxmemory is the graceful path */
    p->cap = cap;
    return p;
}

/* Makes room for need bytes of data in total. */
static fvpack_t *s_reserve(fvpack_t *p, size_t need) {
    if (need <= p->cap) return p;
    size_t cap = p->cap < FVP_MIN_CAP ? FVP_MIN_CAP : p->cap;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    fvpack_t *n = realloc(p, sizeof *n + cap);
    if (!n) abort();
    n->cap = cap;
    return n;
}

/* Gives memory back after deletions leave most of the allocation unused. */
static fvpack_t *s_maybe_shrink(fvpack_t *p) {
    if (p->cap <= FVP_MIN_CAP * 4 || p->len > p->cap / 4) return p;
    size_t cap = p->len * 2 < FVP_MIN_CAP ? FVP_MIN_CAP : p->len * 2;
    fvpack_t *n = realloc(p, sizeof *n + cap);
    if (!n) return p; /* keeping the larger block is harmless */
    n->cap = cap;
    return n;
}

fvpack_t *fvp_new(size_t cap_hint) {
    fvpack_t *p = s_alloc(cap_hint ? cap_hint : FVP_MIN_CAP);
    p->count = 0;
    p->len = 0;
    return p;
}

void fvp_destroy(fvpack_t **p) {
    if (!p || !*p) return;
    free(*p);
    *p = NULL;
}

fvpack_t *fvp_dup(const fvpack_t *p) {
    fvpack_t *n = s_alloc(p->len ? p->len : FVP_MIN_CAP);
    n->count = p->count;
    n->len = p->len;
    memcpy(n->data, p->data, p->len);
    return n;
}

size_t fvp_mem(const fvpack_t *p) { return sizeof *p + p->cap; }

void fvp_get(const fvpack_t *p, size_t off, fvp_pair_t *out) {
    assert(off < p->len);
    const unsigned char *d = p->data;
    off += s_varint_get(d + off, &out->flen);
    out->f = (const char *)d + off;
    off += out->flen;
    off += s_varint_get(d + off, &out->vlen);
    out->v = (const char *)d + off;
    off += out->vlen;
    out->next = off < p->len ? off : FVP_NONE;
}

/* Offset just past the pair at off. */
static size_t s_pair_end(const fvpack_t *p, size_t off) {
    size_t n;
    off += s_varint_get(p->data + off, &n);
    off += n;
    off += s_varint_get(p->data + off, &n);
    return off + n;
}

size_t fvp_index(const fvpack_t *p, uint32_t i) {
    assert(i < p->count);
    size_t off = 0;
    while (i--)
        off = s_pair_end(p, off);
    return off;
}

size_t fvp_find(const fvpack_t *p, const char *f, size_t flen) {
    const unsigned char *d = p->data;
    size_t off = 0;
    while (off < p->len) {
        size_t n, pos = off;
        pos += s_varint_get(d + pos, &n);
        if (n == flen && memcmp(d + pos, f, flen) == 0) return off;
        pos += n;
        pos += s_varint_get(d + pos, &n);
        off = pos + n;
    }
    return FVP_NONE;
}

fvpack_t *fvp_append(fvpack_t *p, const char *f, size_t flen, const char *v, size_t vlen) {
    size_t add = s_entry_len(flen) + s_entry_len(vlen);
    p = s_reserve(p, p->len + add);
    unsigned char *d = p->data + p->len;
    d += s_varint_put(d, flen);
    if (flen) memcpy(d, f, flen);
    d += flen;
    d += s_varint_put(d, vlen);
    if (vlen) memcpy(d, v, vlen);
    p->len += add;
    p->count++;
    return p;
}

fvpack_t *fvp_set_value(fvpack_t *p, size_t off, const char *v, size_t vlen) {
    size_t flen, oldv;
    size_t voff = off + s_varint_get(p->data + off, &flen);
    voff += flen;
    size_t vhdr = s_varint_get(p->data + voff, &oldv);
    size_t old_total = vhdr + oldv, new_total = s_entry_len(vlen);
    size_t tail = voff + old_total; /* where the following pairs start */
    if (new_total > old_total) p = s_reserve(p, p->len + (new_total - old_total));
    memmove(p->data + voff + new_total, p->data + tail, p->len - tail);
    p->len = p->len - old_total + new_total;
    unsigned char *d = p->data + voff;
    d += s_varint_put(d, vlen);
    if (vlen) memcpy(d, v, vlen);
    return new_total < old_total ? s_maybe_shrink(p) : p;
}

fvpack_t *fvp_delete(fvpack_t *p, size_t off) {
    size_t end = s_pair_end(p, off);
    memmove(p->data + off, p->data + end, p->len - end);
    p->len -= end - off;
    p->count--;
    return s_maybe_shrink(p);
}
