/* Growable byte buffer. */
#include "shared/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void buf_init(buf_t *b) {
    b->data = NULL;
    b->len = b->cap = 0;
}

void buf_free(buf_t *b) {
    free(b->data);
    buf_init(b);
}

char *buf_reserve(buf_t *b, size_t n) {
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n) cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) abort(); /* out of memory is not recoverable here */
        b->data = p;
        b->cap = cap;
    }
    return b->data + b->len;
}

void buf_append(buf_t *b, const void *p, size_t n) {
    if (n == 0) return;
    memcpy(buf_reserve(b, n), p, n);
    b->len += n;
}

void buf_append_str(buf_t *b, const char *s) { buf_append(b, s, strlen(s)); }

void buf_printf(buf_t *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        buf_append(b, tmp, (size_t)n);
        return;
    }
    char *dst = buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(dst, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void buf_consume(buf_t *b, size_t n) {
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void buf_shrink(buf_t *b, size_t keep) {
    if (b->len == 0 && b->cap > keep) buf_free(b);
}

char *buf_detach(buf_t *b, size_t *len) {
    char *p = b->data;
    if (len) *len = b->len;
    buf_init(b);
    return p;
}
