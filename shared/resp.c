/* RESP request parser, reply encoder and reply scanner. Error texts match Redis 7. */
#include "shared/resp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/util.h"

void resp_parser_init(resp_parser_t *p, long long max_bulk_len) {
    memset(p, 0, sizeof *p);
    buf_init(&p->scratch);
    p->max_bulk_len = max_bulk_len;
}

void resp_parser_free(resp_parser_t *p) {
    free(p->argv);
    free(p->argvlen);
    buf_free(&p->scratch);
    memset(p, 0, sizeof *p);
}

static void s_argv_reserve(resp_parser_t *p, int n) {
    if (n <= p->argv_cap) return;
    int cap = p->argv_cap ? p->argv_cap : 16;
    while (cap < n) cap *= 2;
    p->argv = realloc(p->argv, sizeof(*p->argv) * cap);
    p->argvlen = realloc(p->argvlen, sizeof(*p->argvlen) * cap);
    if (!p->argv || !p->argvlen) abort();
    p->argv_cap = cap;
}

#define PERR(msg) "-ERR Protocol error: " msg "\r\n"

static int s_hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int resp_split_inline(resp_parser_t *p, const char *s, size_t len) {
    /* First pass writes unescaped bytes to scratch and records offsets; pointers are fixed
     * up at the end because scratch may move while growing. */
    buf_clear(&p->scratch);
    size_t i = 0;
    int argc = 0;
    size_t offs_cap = 16, *offs = malloc(offs_cap * sizeof *offs * 2);
    for (;;) {
        while (i < len && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t' ||
                           s[i] == '\f' || s[i] == '\v'))
            i++;
        if (i >= len) break;
        int inq = 0, insq = 0, done = 0;
        size_t start = p->scratch.len;
        while (!done) {
            if (inq) {
                if (i >= len) goto unbalanced;
                if (s[i] == '\\' && i + 3 < len && s[i + 1] == 'x' && s[i + 2] && s[i + 3] &&
                    s_hexval(s[i + 2]) >= 0 && s_hexval(s[i + 3]) >= 0) {
                    char c = (char)(s_hexval(s[i + 2]) * 16 + s_hexval(s[i + 3]));
                    buf_append(&p->scratch, &c, 1);
                    i += 3;
                } else if (s[i] == '\\' && i + 1 < len) {
                    char c;
                    i++;
                    switch (s[i]) {
                    case 'n': c = '\n'; break;
                    case 'r': c = '\r'; break;
                    case 't': c = '\t'; break;
                    case 'b': c = '\b'; break;
                    case 'a': c = '\a'; break;
                    default: c = s[i]; break;
                    }
                    buf_append(&p->scratch, &c, 1);
                } else if (s[i] == '"') {
                    /* closing quote must be followed by a space or nothing */
                    if (i + 1 < len && !(s[i + 1] == ' ' || s[i + 1] == '\n' || s[i + 1] == '\r' ||
                                         s[i + 1] == '\t' || s[i + 1] == '\f' || s[i + 1] == '\v'))
                        goto unbalanced;
                    done = 1;
                } else {
                    buf_append(&p->scratch, &s[i], 1);
                }
            } else if (insq) {
                if (i >= len) goto unbalanced;
                if (s[i] == '\\' && i + 1 < len && s[i + 1] == '\'') {
                    i++;
                    buf_append(&p->scratch, "'", 1);
                } else if (s[i] == '\'') {
                    if (i + 1 < len && !(s[i + 1] == ' ' || s[i + 1] == '\n' || s[i + 1] == '\r' ||
                                         s[i + 1] == '\t' || s[i + 1] == '\f' || s[i + 1] == '\v'))
                        goto unbalanced;
                    done = 1;
                } else {
                    buf_append(&p->scratch, &s[i], 1);
                }
            } else {
                if (i >= len) {
                    done = 1;
                    break;
                }
                switch (s[i]) {
                case ' ': case '\n': case '\r': case '\t': case '\0':
                    done = 1;
                    break;
                case '"': inq = 1; break;
                case '\'': insq = 1; break;
                default: buf_append(&p->scratch, &s[i], 1); break;
                }
            }
            if (i < len) i++;
        }
        if ((size_t)argc + 1 > offs_cap) {
            offs_cap *= 2;
            offs = realloc(offs, offs_cap * sizeof *offs * 2);
        }
        offs[argc * 2] = start;
        offs[argc * 2 + 1] = p->scratch.len - start;
        argc++;
    }
    s_argv_reserve(p, argc ? argc : 1);
    for (int a = 0; a < argc; a++) {
        p->argv[a] = p->scratch.data + offs[a * 2];
        p->argvlen[a] = offs[a * 2 + 1];
    }
    p->argc = argc;
    free(offs);
    return argc;
unbalanced:
    free(offs);
    p->argc = 0;
    return -1;
}

static int s_parse_inline(resp_parser_t *p, const char *data, size_t len, size_t *used,
                          const char **err) {
    const char *nl = memchr(data, '\n', len);
    if (!nl) {
        if (len > RESP_INLINE_MAX) {
            *err = PERR("too big inline request");
            return RESP_PROTO_ERROR;
        }
        return RESP_INCOMPLETE;
    }
    size_t linelen = (size_t)(nl - data);
    *used = linelen + 1;
    if (linelen && data[linelen - 1] == '\r') linelen--;
    int argc = resp_split_inline(p, data, linelen);
    if (argc < 0) {
        *err = PERR("unbalanced quotes in request");
        return RESP_PROTO_ERROR;
    }
    return argc == 0 ? RESP_EMPTY : RESP_COMMAND;
}

int resp_parse_request(resp_parser_t *p, const char *data, size_t len, size_t *used,
                       const char **err) {
    if (len == 0) return RESP_INCOMPLETE;
    if (data[0] != '*') return s_parse_inline(p, data, len, used, err);

    const char *cr = memchr(data, '\r', len);
    if (!cr) {
        if (len > RESP_INLINE_MAX) {
            *err = PERR("too big mbulk count string");
            return RESP_PROTO_ERROR;
        }
        return RESP_INCOMPLETE;
    }
    size_t pos = (size_t)(cr - data);
    if (pos + 2 > len) return RESP_INCOMPLETE;
    long long mb;
    if (!str_to_ll(data + 1, pos - 1, &mb) || mb > 2147483647LL) {
        *err = PERR("invalid multibulk length");
        return RESP_PROTO_ERROR;
    }
    if (mb > 10 && p->auth_required) {
        *err = PERR("unauthenticated multibulk length");
        return RESP_PROTO_ERROR;
    }
    pos += 2;
    if (mb <= 0) {
        *used = pos;
        return RESP_EMPTY;
    }
    /* bounds argv growth by what the input can hold: every argument needs >= 4 bytes */
    s_argv_reserve(p, (int)(mb < 1024 ? mb : 1024));
    int argc = 0;
    while (argc < mb) {
        if (pos >= len) return RESP_INCOMPLETE;
        const char *cr2 = memchr(data + pos, '\r', len - pos);
        if (!cr2) {
            if (len - pos > RESP_INLINE_MAX) {
                *err = PERR("too big bulk count string");
                return RESP_PROTO_ERROR;
            }
            return RESP_INCOMPLETE;
        }
        size_t e = (size_t)(cr2 - data);
        if (e + 2 > len) return RESP_INCOMPLETE;
        if (data[pos] != '$') {
            static char msg[64];
            snprintf(msg, sizeof msg, "-ERR Protocol error: expected '$', got '%c'\r\n", data[pos]);
            *err = msg;
            return RESP_PROTO_ERROR;
        }
        long long bl;
        if (!str_to_ll(data + pos + 1, e - pos - 1, &bl) || bl < 0 || bl > p->max_bulk_len) {
            *err = PERR("invalid bulk length");
            return RESP_PROTO_ERROR;
        }
        if (bl > 16384 && p->auth_required) {
            *err = PERR("unauthenticated bulk length");
            return RESP_PROTO_ERROR;
        }
        pos = e + 2;
        if (len - pos < (size_t)bl + 2) return RESP_INCOMPLETE;
        s_argv_reserve(p, argc + 1);
        p->argv[argc] = data + pos;
        p->argvlen[argc] = (size_t)bl;
        argc++;
        pos += (size_t)bl + 2; /* like Redis, the two bytes after the payload are not checked */
    }
    p->argc = argc;
    *used = pos;
    return RESP_COMMAND;
}

/* ---------- reply encoding ---------- */

static void s_prefix_len(buf_t *b, char type, long long n) {
    char *p = buf_reserve(b, 24);
    p[0] = type;
    int k = ll_to_str(p + 1, n);
    p[1 + k] = '\r';
    p[2 + k] = '\n';
    b->len += (size_t)k + 3;
}

void resp_simple(buf_t *b, const char *s, size_t n) {
    char *p = buf_reserve(b, n + 3);
    p[0] = '+';
    memcpy(p + 1, s, n);
    p[n + 1] = '\r';
    p[n + 2] = '\n';
    b->len += n + 3;
}

void resp_error(buf_t *b, const char *s, size_t n) {
    char *p = buf_reserve(b, n + 3);
    p[0] = '-';
    /* newlines would break the protocol: Redis replaces them with spaces */
    for (size_t i = 0; i < n; i++) p[1 + i] = (s[i] == '\r' || s[i] == '\n') ? ' ' : s[i];
    p[n + 1] = '\r';
    p[n + 2] = '\n';
    b->len += n + 3;
}

void resp_int(buf_t *b, long long v) { s_prefix_len(b, ':', v); }

void resp_bulk(buf_t *b, const char *s, size_t n) {
    char *p = buf_reserve(b, n + 24 + 2);
    p[0] = '$';
    int k = ll_to_str(p + 1, (long long)n);
    p[1 + k] = '\r';
    p[2 + k] = '\n';
    memcpy(p + 3 + k, s, n);
    p[3 + k + n] = '\r';
    p[4 + k + n] = '\n';
    b->len += (size_t)k + 5 + n;
}

void resp_bulk_ll(buf_t *b, long long v) {
    char tmp[24];
    int n = ll_to_str(tmp, v);
    resp_bulk(b, tmp, (size_t)n);
}

void resp_null(buf_t *b, int proto) { buf_append(b, proto == 3 ? "_\r\n" : "$-1\r\n", proto == 3 ? 3 : 5); }

void resp_null_array(buf_t *b, int proto) {
    buf_append(b, proto == 3 ? "_\r\n" : "*-1\r\n", proto == 3 ? 3 : 5);
}

void resp_array(buf_t *b, long long n) { s_prefix_len(b, '*', n); }
void resp_map(buf_t *b, int proto, long long n) {
    if (proto == 3) s_prefix_len(b, '%', n);
    else s_prefix_len(b, '*', n * 2);
}
void resp_set(buf_t *b, int proto, long long n) { s_prefix_len(b, proto == 3 ? '~' : '*', n); }
void resp_push(buf_t *b, int proto, long long n) { s_prefix_len(b, proto == 3 ? '>' : '*', n); }

void resp_double(buf_t *b, int proto, double d) {
    char tmp[64];
    int n;
    if (isinf(d)) n = snprintf(tmp, sizeof tmp, d > 0 ? "inf" : "-inf");
    else n = snprintf(tmp, sizeof tmp, "%.17g", d);
    if (proto == 3) {
        buf_put_u8(b, ',');
        buf_append(b, tmp, (size_t)n);
        buf_append(b, "\r\n", 2);
    } else {
        resp_bulk(b, tmp, (size_t)n);
    }
}

void resp_bool(buf_t *b, int proto, int v) {
    if (proto == 3) buf_append(b, v ? "#t\r\n" : "#f\r\n", 4);
    else buf_append(b, v ? ":1\r\n" : ":0\r\n", 4);
}

void resp_verbatim(buf_t *b, int proto, const char *s, size_t n, const char *ext3) {
    if (proto != 3) {
        resp_bulk(b, s, n);
        return;
    }
    s_prefix_len(b, '=', (long long)n + 4);
    buf_append(b, ext3, 3);
    buf_put_u8(b, ':');
    buf_append(b, s, n);
    buf_append(b, "\r\n", 2);
}

void resp_bignum(buf_t *b, int proto, const char *s, size_t n) {
    if (proto != 3) {
        resp_bulk(b, s, n);
        return;
    }
    buf_put_u8(b, '(');
    buf_append(b, s, n);
    buf_append(b, "\r\n", 2);
}

/* ---------- reply scanning ---------- */

static long long s_scan(const char *d, size_t len, int depth) {
    if (depth > 64 || len < 1) return len < 1 ? 0 : -1;
    const char *cr = memchr(d, '\r', len);
    if (!cr) return 0;
    size_t e = (size_t)(cr - d);
    if (e + 2 > len) return 0;
    size_t pos = e + 2;
    long long n;
    switch (d[0]) {
    case '+': case '-': case ':': case ',': case '#': case '_': case '(':
        return (long long)pos;
    case '$': case '=': case '!':
        if (!str_to_ll(d + 1, e - 1, &n)) return -1;
        if (n < 0) return (long long)pos;
        if (len - pos < (size_t)n + 2) return 0;
        return (long long)(pos + (size_t)n + 2);
    case '*': case '~': case '>': case '%': case '|': {
        if (!str_to_ll(d + 1, e - 1, &n)) return -1;
        if (n < 0) return (long long)pos;
        if (d[0] == '%' || d[0] == '|') n *= 2;
        for (long long i = 0; i < n; i++) {
            long long k = s_scan(d + pos, len - pos, depth + 1);
            if (k <= 0) return k;
            pos += (size_t)k;
        }
        /* an attribute is followed by the value it describes */
        if (d[0] == '|') {
            long long k = s_scan(d + pos, len - pos, depth + 1);
            if (k <= 0) return k;
            pos += (size_t)k;
        }
        return (long long)pos;
    }
    default:
        return -1;
    }
}

long long resp_reply_length(const char *data, size_t len) { return s_scan(data, len, 0); }
