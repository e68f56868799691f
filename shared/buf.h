/* Growable byte buffer used for socket I/O, message building and replies. */
#ifndef VOLE_BUF_H
#define VOLE_BUF_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    char *data;
    size_t len;
    size_t cap;
} buf_t;

void buf_init(buf_t *b);
void buf_free(buf_t *b);
/* Makes room for at least n more bytes; returns a pointer to the free space. */
char *buf_reserve(buf_t *b, size_t n);
void buf_append(buf_t *b, const void *p, size_t n);
void buf_append_str(buf_t *b, const char *s);
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes. */
void buf_consume(buf_t *b, size_t n);
/* Releases memory when the buffer is empty and larger than keep bytes. */
void buf_shrink(buf_t *b, size_t keep);
/* Hands the storage to the caller (who frees it) and leaves b empty. */
char *buf_detach(buf_t *b, size_t *len);

static inline void buf_clear(buf_t *b) { b->len = 0; }
static inline void buf_put_u8(buf_t *b, uint8_t v) {
    char *p = buf_reserve(b, 1);
    p[0] = (char)v;
    b->len += 1;
}
static inline void buf_put_u16(buf_t *b, uint16_t v) {
    char *p = buf_reserve(b, 2);
    memcpy(p, &v, 2);
    b->len += 2;
}
static inline void buf_put_u32(buf_t *b, uint32_t v) {
    char *p = buf_reserve(b, 4);
    memcpy(p, &v, 4);
    b->len += 4;
}
static inline void buf_put_u64(buf_t *b, uint64_t v) {
    char *p = buf_reserve(b, 8);
    memcpy(p, &v, 8);
    b->len += 8;
}
#endif
