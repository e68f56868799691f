/* Reading RESP3 replies (the engine's answers to an HTTP client) and turning them into JSON.
 * RESP2 is a subset, so a client switched back to RESP2 still converts. */
#ifndef VOLE_HTTP_RESP3_H
#define VOLE_HTTP_RESP3_H
#include <stddef.h>

#include "shared/buf.h"

#define R3_MAX_DEPTH 64

/* One value's header. Aggregates ('*' array, '~' set, '>' push, '%' map, '|' attribute) have
 * n children (a map n pairs) following it; strings point into the reply. */
typedef struct {
    char type;   /* the RESP type byte; '_' also for RESP2 null bulk/array */
    long long n; /* integer value, boolean 0/1, or aggregate size */
    double d;    /* ',' */
    const char *s; /* '+' '-' '$' '=' '!' '(' ',' text ('=' without its "txt:" prefix) */
    size_t len;
} r3_val_t;

/* Reads the header of the value at *p; returns 1 and advances, 0 if incomplete, -1 if
 * malformed. */
int r3_next(const char **p, const char *end, r3_val_t *v);
/* Skips one whole value (children included); 1, 0 incomplete, -1 malformed. */
int r3_skip(const char **p, const char *end);
/* Size of the complete value at the start of [p, p+len): 1 with *used, 0 incomplete, -1
 * malformed. */
int r3_frame(const char *p, size_t len, size_t *used);
/* Appends one value as JSON and advances *p (the value must be complete). Maps become objects
 * (non-string keys use their JSON text as the key), sets and pushes arrays, doubles numbers,
 * nulls null, errors {"error": "..."}, bytes that are not UTF-8 {"$base64": "..."}. */
int r3_to_json(buf_t *out, const char **p, const char *end);
/* Whether the value is an error ('-' or '!'); its text in s/len. */
static inline int r3_is_error(const r3_val_t *v) { return v->type == '-' || v->type == '!'; }
static inline int r3_is_str(const r3_val_t *v) {
    return v->type == '+' || v->type == '$' || v->type == '=';
}
#endif
