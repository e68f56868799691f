/* JSON text to jansson trees (json_type_parse): one pass over the bytes, strings copied in
 * runs and validated as UTF-8 once. jansson's own json_loadb reads one byte at a time through
 * a stream callback and measured about 30 us for a 1 KB document, most of JSON.SET's time;
 * this parser builds the same trees (jansson still owns them) in a fraction of that, and
 * tests/unit/engine/test_t_json.c checks it against json_loadb on valid and damaged input.
 * Error messages follow serde_json's wording (RedisJSON's parser), with line and column. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/types/t_json.h"

typedef struct {
    const unsigned char *start, *p, *end;
    char *err;
    size_t errlen;
    int depth;
    buf_t sb; /* scratch for strings with escapes */
} s_rd_t;

static json_t *s_fail(s_rd_t *r, const char *what) {
    if (r->err[0]) return NULL; /* the first error wins */
    int line = 1, col = 0;
    for (const unsigned char *q = r->start; q < r->p && q < r->end; q++) {
        if (*q == '\n')
            line++, col = 0;
        else
            col++;
    }
    if (r->p < r->end) col++;
    snprintf(r->err, r->errlen, "ERR %s at line %d column %d", what, line, col);
    return NULL;
}

static void s_ws(s_rd_t *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
        r->p++;
}

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), 0 when invalid. */
static size_t s_utf8_len(const unsigned char *p, const unsigned char *end) {
    unsigned c = p[0];
    size_t n;
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if ((size_t)(end - p) < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

static int s_hex4(const unsigned char *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

static void s_put_utf8(buf_t *b, unsigned cp) {
    char u[4];
    size_t n;
    if (cp < 0x80)
        u[0] = (char)cp, n = 1;
    else if (cp < 0x800)
        u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    else if (cp < 0x10000)
        u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
        u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    else
        u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f)),
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    buf_append(b, u, n);
}

/* A string after its opening quote; the bytes go to r->sb (cleared first). 0 or -1. */
static int s_string(s_rd_t *r) {
    buf_clear(&r->sb);
    for (;;) {
        const unsigned char *run = r->p;
        while (r->p < r->end && *r->p != '"' && *r->p != '\\' && *r->p >= 0x20 && *r->p < 0x80)
            r->p++;
        buf_append(&r->sb, run, (size_t)(r->p - run));
        if (r->p >= r->end) {
            s_fail(r, "EOF while parsing a string");
            return -1;
        }
        unsigned c = *r->p;
        if (c == '"') {
            r->p++;
            return 0;
        }
        if (c < 0x20) {
            s_fail(r, "control character (\\u0000-\\u001F) found while parsing a string");
            return -1;
        }
        if (c >= 0x80) {
            size_t n = s_utf8_len(r->p, r->end);
            if (!n) {
                s_fail(r, "invalid UTF-8 in string");
                return -1;
            }
            buf_append(&r->sb, r->p, n);
            r->p += n;
            continue;
        }
        /* a backslash */
        if (r->end - r->p < 2) {
            r->p = r->end;
            s_fail(r, "EOF while parsing a string");
            return -1;
        }
        unsigned e = r->p[1];
        const char *simple = NULL;
        switch (e) {
        case '"': simple = "\""; break;
        case '\\': simple = "\\"; break;
        case '/': simple = "/"; break;
        case 'b': simple = "\b"; break;
        case 'f': simple = "\f"; break;
        case 'n': simple = "\n"; break;
        case 'r': simple = "\r"; break;
        case 't': simple = "\t"; break;
        }
        if (simple) {
            buf_append(&r->sb, simple, 1);
            r->p += 2;
            continue;
        }
        unsigned cp, lo;
        if (e != 'u') {
            r->p++;
            s_fail(r, "invalid escape");
            return -1;
        }
        if (r->end - r->p < 6 || s_hex4(r->p + 2, &cp)) {
            s_fail(r, "invalid escape");
            return -1;
        }
        r->p += 6;
        if (cp >= 0xdc00 && cp <= 0xdfff) {
            s_fail(r, "lone leading surrogate in hex escape");
            return -1;
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' || s_hex4(r->p + 2, &lo) ||
                lo < 0xdc00 || lo > 0xdfff) {
                s_fail(r, "unexpected end of hex escape");
                return -1;
            }
            r->p += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        s_put_utf8(&r->sb, cp);
    }
}

static json_t *s_number(s_rd_t *r) {
    const unsigned char *st = r->p;
    int real = 0;
    if (r->p < r->end && *r->p == '-') r->p++;
    if (r->p >= r->end) return s_fail(r, "EOF while parsing a value");
    if (*r->p == '0') {
        r->p++;
    } else if (*r->p >= '1' && *r->p <= '9') {
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    } else {
        return s_fail(r, "invalid number");
    }
    if (r->p < r->end && *r->p == '.') {
        real = 1;
        r->p++;
        const unsigned char *d = r->p;
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
        if (r->p == d) return s_fail(r, "invalid number");
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        real = 1;
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-')) r->p++;
        const unsigned char *d = r->p;
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
        if (r->p == d) return s_fail(r, "invalid number");
    }
    size_t n = (size_t)(r->p - st);
    char tmp[64], *num = n < sizeof tmp ? tmp : malloc(n + 1);
    if (!num) abort();
    memcpy(num, st, n);
    num[n] = '\0';
    json_t *v = NULL;
    if (!real) {
        char *e;
        errno = 0;
        long long x = strtoll(num, &e, 10);
        if (errno == 0) v = json_integer(x);
    }
    if (!v) { /* reals, and integers beyond 64 bits (kept as numbers, as serde_json does) */
        double d = strtod(num, NULL);
        if (isfinite(d)) v = json_real(d);
    }
    if (num != tmp) free(num);
    if (!v) {
        r->p = st;
        return s_fail(r, "number out of range");
    }
    return v;
}

static json_t *s_value(s_rd_t *r);

/* After an item of a list or an object: 1 at the closing byte (consumed), 0 after a comma
 * (consumed), -1 on anything else (error set). */
static int s_after_item(s_rd_t *r, char close, const char *eof, const char *expected) {
    s_ws(r);
    if (r->p >= r->end) {
        s_fail(r, eof);
        return -1;
    }
    if (*r->p == close || *r->p == ',') return *r->p++ == close;
    s_fail(r, expected);
    return -1;
}

static json_t *s_array(s_rd_t *r) {
    json_t *a = json_array();
    s_ws(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return a;
    }
    for (;;) {
        json_t *v = s_value(r);
        if (!v) break;
        json_array_append_new(a, v);
        int end = s_after_item(r, ']', "EOF while parsing a list", "expected `,` or `]`");
        if (end < 0) break;
        if (end) return a;
    }
    json_decref(a);
    return NULL;
}

static json_t *s_object(s_rd_t *r) {
    json_t *o = json_object();
    s_ws(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return o;
    }
    for (;;) {
        s_ws(r);
        if (r->p >= r->end) {
            s_fail(r, "EOF while parsing an object");
            break;
        }
        if (*r->p != '"') {
            s_fail(r, "key must be a string");
            break;
        }
        r->p++;
        if (s_string(r)) break;
        size_t klen = r->sb.len;
        char kbuf[64], *key = klen < sizeof kbuf ? kbuf : malloc(klen + 1);
        if (!key) abort();
        memcpy(key, r->sb.data, klen);
        s_ws(r);
        json_t *v = NULL;
        if (r->p >= r->end)
            s_fail(r, "EOF while parsing an object");
        else if (*r->p != ':')
            s_fail(r, "expected `:`");
        else {
            r->p++;
            v = s_value(r);
        }
        if (v) json_object_setn_new_nocheck(o, key, klen, v); /* a repeated key: last wins */
        if (key != kbuf) free(key);
        if (!v) break;
        int end = s_after_item(r, '}', "EOF while parsing an object", "expected `,` or `}`");
        if (end < 0) break;
        if (end) return o;
    }
    json_decref(o);
    return NULL;
}

static int s_word(s_rd_t *r, const char *w, size_t n) {
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0) return 0;
    r->p += n;
    return 1;
}

static json_t *s_value(s_rd_t *r) {
    s_ws(r);
    if (r->p >= r->end) return s_fail(r, "EOF while parsing a value");
    switch (*r->p) {
    case '{':
    case '[': {
        if (++r->depth > JSON_MAX_DEPTH) return s_fail(r, "recursion limit exceeded");
        int obj = *r->p++ == '{';
        json_t *v = obj ? s_object(r) : s_array(r);
        r->depth--;
        return v;
    }
    case '"':
        r->p++;
        if (s_string(r)) return NULL;
        return json_stringn_nocheck(r->sb.data ? r->sb.data : "", r->sb.len);
    case 't':
        if (s_word(r, "true", 4)) return json_true();
        break;
    case 'f':
        if (s_word(r, "false", 5)) return json_false();
        break;
    case 'n':
        if (s_word(r, "null", 4)) return json_null();
        break;
    default:
        if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')) return s_number(r);
        break;
    }
    return s_fail(r, "expected value");
}

json_t *json_type_parse(const char *p, size_t len, char *err, size_t errlen) {
    s_rd_t r = {(const unsigned char *)p,
                (const unsigned char *)p,
                (const unsigned char *)p + len,
                err,
                errlen,
                0,
                {0}};
    err[0] = '\0';
    json_t *v = s_value(&r);
    if (v) {
        s_ws(&r);
        if (r.p < r.end) {
            json_decref(v);
            v = s_fail(&r, "trailing characters");
        }
    }
    buf_free(&r.sb);
    return v;
}
