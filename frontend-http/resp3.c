/* RESP3 reply reading and JSON conversion for the HTTP frontend. */
#include "frontend-http/resp3.h"

#include <limits.h>

#include <stdlib.h>
#include <string.h>

#include "frontend-http/json_out.h"
#include "shared/util.h"

/* The line after the type byte: [*p+1, eol) */
static int s_line(const char *p, const char *end, const char **eol) {
    const char *q = memchr(p, '\r', (size_t)(end - p));
    if (!q) return 0;
    if (q + 1 >= end) return 0;
    if (q[1] != '\n') return -1;
    *eol = q;
    return 1;
}

int r3_next(const char **pp, const char *end, r3_val_t *v) {
    const char *p = *pp, *eol;
    if (p >= end) return 0;
    int r = s_line(p, end, &eol);
    if (r <= 0) return r;
    memset(v, 0, sizeof *v);
    v->type = p[0];
    const char *s = p + 1;
    size_t sl = (size_t)(eol - s);
    const char *next = eol + 2;
    switch (v->type) {
    case '+': case '-': case '(':
        v->s = s, v->len = sl;
        break;
    case ':':
        if (!str_to_ll(s, sl, &v->n)) return -1;
        break;
    case ',': {
        char tmp[64];
        if (sl == 0 || sl >= sizeof tmp) return -1;
        memcpy(tmp, s, sl);
        tmp[sl] = '\0';
        char *e;
        v->d = strtod(tmp, &e);
        if (*e) return -1;
        v->s = s, v->len = sl;
        break;
    }
    case '#':
        if (sl != 1 || (s[0] != 't' && s[0] != 'f')) return -1;
        v->n = s[0] == 't';
        break;
    case '_':
        if (sl) return -1;
        break;
    case '$': case '=': case '!': {
        long long n;
        if (!str_to_ll(s, sl, &n) || n < -1) return -1;
        if (n == -1) { /* RESP2 null bulk */
            v->type = '_';
            break;
        }
        if ((size_t)(end - next) < (size_t)n + 2) return 0;
        if (next[n] != '\r' || next[n + 1] != '\n') return -1;
        v->s = next, v->len = (size_t)n;
        if (v->type == '=') {
            if (n < 4 || next[3] != ':') return -1;
            v->s += 4, v->len -= 4;
        }
        next += n + 2;
        break;
    }
    case '*': case '~': case '>': case '%': case '|': {
        long long n;
        if (!str_to_ll(s, sl, &n) || n < -1) return -1;
        if (n == -1) {
            if (v->type != '*') return -1;
            v->type = '_'; /* RESP2 null array */
            break;
        }
        v->n = n;
        break;
    }
    default:
        return -1;
    }
    *pp = next;
    return 1;
}

static long long s_children(const r3_val_t *v) {
    switch (v->type) {
    case '*': case '~': case '>': return v->n;
    case '%': case '|': return v->n > LLONG_MAX / 2 ? LLONG_MAX : v->n * 2; /* never wraps */
    default: return 0;
    }
}

static int s_skip(const char **p, const char *end, int depth) {
    if (depth > R3_MAX_DEPTH) return -1;
    r3_val_t v;
    int r = r3_next(p, end, &v);
    if (r <= 0) return r;
    long long k = s_children(&v);
    if (v.type == '|') { /* an attribute precedes the value it annotates */
        for (long long i = 0; i < k; i++)
            if ((r = s_skip(p, end, depth + 1)) <= 0) return r;
        return s_skip(p, end, depth + 1);
    }
    for (long long i = 0; i < k; i++)
        if ((r = s_skip(p, end, depth + 1)) <= 0) return r;
    return 1;
}

int r3_skip(const char **p, const char *end) { return s_skip(p, end, 0); }

int r3_frame(const char *p, size_t len, size_t *used) {
    const char *q = p;
    int r = r3_skip(&q, p + len);
    if (r == 1) *used = (size_t)(q - p);
    return r;
}

static int s_json(buf_t *out, const char **p, const char *end, int depth) {
    if (depth > R3_MAX_DEPTH) return -1;
    r3_val_t v;
    if (r3_next(p, end, &v) != 1) return -1;
    switch (v.type) {
    case '+': case '$': case '=':
        json_bytes(out, v.s, v.len);
        return 1;
    case '-': case '!':
        buf_append_str(out, "{\"error\":");
        json_bytes(out, v.s, v.len);
        buf_append(out, "}", 1);
        return 1;
    case ':':
        json_ll(out, v.n);
        return 1;
    case '(': /* big numbers are digits with an optional sign: a JSON number already */
        buf_append(out, v.s, v.len);
        return 1;
    case ',':
        json_double(out, v.d);
        return 1;
    case '#':
        buf_append_str(out, v.n ? "true" : "false");
        return 1;
    case '_':
        buf_append_str(out, "null");
        return 1;
    case '|':
        for (long long i = 0; i < s_children(&v); i++) /* s_children never overflows */
            if (s_skip(p, end, depth + 1) != 1) return -1;
        return s_json(out, p, end, depth + 1);
    case '%': {
        buf_append(out, "{", 1);
        buf_t key;
        buf_init(&key);
        for (long long i = 0; i < v.n; i++) {
            if (i) buf_append(out, ",", 1);
            const char *save = *p;
            r3_val_t k;
            if (r3_next(p, end, &k) != 1) goto bad_map;
            if (r3_is_str(&k)) {
                json_bytes(out, k.s, k.len);
            } else {
                /* a non-string key (an integer, an array...) is keyed by its JSON text */
                *p = save;
                buf_clear(&key);
                if (s_json(&key, p, end, depth + 1) != 1) goto bad_map;
                json_str(out, key.data, key.len);
            }
            buf_append(out, ":", 1);
            if (s_json(out, p, end, depth + 1) != 1) goto bad_map;
        }
        buf_free(&key);
        buf_append(out, "}", 1);
        return 1;
    bad_map:
        buf_free(&key);
        return -1;
    }
    default: /* '*', '~', '>' */
        buf_append(out, "[", 1);
        for (long long i = 0; i < v.n; i++) {
            if (i) buf_append(out, ",", 1);
            if (s_json(out, p, end, depth + 1) != 1) return -1;
        }
        buf_append(out, "]", 1);
        return 1;
    }
}

int r3_to_json(buf_t *out, const char **p, const char *end) { return s_json(out, p, end, 0); }
