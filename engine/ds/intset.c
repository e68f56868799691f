/* Sorted integer array with a per-set member width that widens on demand (never narrows):
 * binary search for lookups, memmove for inserts and removals. */
#include "engine/ds/intset.h"

#include <stdlib.h>
#include <string.h>

static void *s_realloc(void *p, size_t n) {
    void *q = realloc(p, n);
    if (!q) abort(); /* out of memory: maxmemory is the graceful path */
    return q;
}

uint32_t intset_width_for(int64_t v) {
    if (v >= INT16_MIN && v <= INT16_MAX) return 2;
    if (v >= INT32_MIN && v <= INT32_MAX) return 4;
    return 8;
}

/* Members are read and written through memcpy: the array is packed, not aligned. */
static int64_t s_get(const intset_t *is, uint32_t pos, uint32_t width) {
    const uint8_t *p = is->data + (size_t)pos * width;
    if (width == 2) {
        int16_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    if (width == 4) {
        int32_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    int64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void s_set(intset_t *is, uint32_t pos, int64_t v) {
    uint8_t *p = is->data + (size_t)pos * is->width;
    if (is->width == 2) {
        int16_t x = (int16_t)v;
        memcpy(p, &x, sizeof x);
    } else if (is->width == 4) {
        int32_t x = (int32_t)v;
        memcpy(p, &x, sizeof x);
    } else {
        memcpy(p, &v, sizeof v);
    }
}

int64_t intset_get(const intset_t *is, uint32_t pos) { return s_get(is, pos, is->width); }

static intset_t *s_resize(intset_t *is, uint32_t len) {
    return s_realloc(is, sizeof(intset_t) + (size_t)len * is->width);
}

/* Binary search: 1 and *pos = index when found, else 0 and *pos = where v would go. The ends
 * are checked first so appends of ascending values (the common load pattern) cost O(1). */
static int s_search(const intset_t *is, int64_t v, uint32_t *pos) {
    if (is->len == 0) {
        *pos = 0;
        return 0;
    }
    if (v > intset_get(is, is->len - 1)) {
        *pos = is->len;
        return 0;
    }
    if (v < intset_get(is, 0)) {
        *pos = 0;
        return 0;
    }
    uint32_t lo = 0, hi = is->len; /* answer in [lo, hi) */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int64_t cur = intset_get(is, mid);
        if (cur == v) {
            *pos = mid;
            return 1;
        }
        if (cur < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return 0;
}

intset_t *intset_new(void) {
    intset_t *is = s_realloc(NULL, sizeof(intset_t));
    is->width = 2;
    is->len = 0;
    return is;
}

void intset_destroy(intset_t **is) {
    if (!is || !*is) return;
    free(*is);
    *is = NULL;
}

intset_t *intset_dup(const intset_t *is) {
    size_t n = intset_bytes(is);
    intset_t *c = s_realloc(NULL, n);
    memcpy(c, is, n);
    return c;
}

/* v does not fit the current width, so it is below or above every member: widen every
 * member in place (from the end, as the wider slots overlap the narrower ones) and put v at
 * the matching end. */
static intset_t *s_widen_and_add(intset_t *is, int64_t v) {
    uint32_t old = is->width, len = is->len;
    int at_front = v < 0;
    is->width = intset_width_for(v);
    is = s_resize(is, len + 1);
    for (uint32_t i = len; i-- > 0;)
        s_set(is, i + (uint32_t)at_front, s_get(is, i, old));
    s_set(is, at_front ? 0 : len, v);
    is->len = len + 1;
    return is;
}

intset_t *intset_add(intset_t *is, int64_t v, int *added) {
    *added = 1;
    if (intset_width_for(v) > is->width) return s_widen_and_add(is, v);
    uint32_t pos;
    if (s_search(is, v, &pos)) {
        *added = 0;
        return is;
    }
    is = s_resize(is, is->len + 1);
    if (pos < is->len)
        memmove(is->data + (size_t)(pos + 1) * is->width, is->data + (size_t)pos * is->width,
                (size_t)(is->len - pos) * is->width);
    s_set(is, pos, v);
    is->len++;
    return is;
}

intset_t *intset_remove(intset_t *is, int64_t v, int *removed) {
    uint32_t pos;
    *removed = 0;
    if (intset_width_for(v) > is->width || !s_search(is, v, &pos)) return is;
    if (pos < is->len - 1)
        memmove(is->data + (size_t)pos * is->width, is->data + (size_t)(pos + 1) * is->width,
                (size_t)(is->len - pos - 1) * is->width);
    is->len--;
    *removed = 1;
    return s_resize(is, is->len);
}

int intset_find(const intset_t *is, int64_t v) {
    uint32_t pos;
    return intset_width_for(v) <= is->width && s_search(is, v, &pos);
}

int intset_validate(const void *blob, size_t len) {
    intset_t hdr;
    if (len < sizeof hdr) return 0;
    memcpy(&hdr, blob, sizeof hdr);
    if (hdr.width != 2 && hdr.width != 4 && hdr.width != 8) return 0;
    if ((len - sizeof hdr) % hdr.width || (len - sizeof hdr) / hdr.width != hdr.len) return 0;
    const intset_t *is = blob;
    for (uint32_t i = 1; i < hdr.len; i++)
        if (s_get(is, i - 1, hdr.width) >= s_get(is, i, hdr.width)) return 0;
    return 1;
}
