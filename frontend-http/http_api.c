/* The HTTP API's routes: each is a row (method, path, builder, renderer). A builder turns the
 * request into engine commands; the renderer turns the engine's RESP3 replies into JSON. The
 * engine enforces everything (auth, types, schemas, persistence); this file only translates. */
#include "frontend-http/http_api.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "frontend-http/json_out.h"
#include "frontend-http/metrics.h"
#include "frontend-http/resp3.h"
#include "shared/util.h"

#define MAX_SEGS 8
#define MAX_QUERY 32

/* ===================== jobs ===================== */

hjob_t *hjob_new(void) {
    hjob_t *j = calloc(1, sizeof *j);
    if (!j) abort();
    buf_init(&j->cmds);
    buf_init(&j->replies);
    buf_init(&j->resp);
    buf_init(&j->xhdr);
    buf_init(&j->sv);
    j->auth_at = -1;
    j->start_us = mono_us();
    return j;
}

void hjob_free(hjob_t *j) {
    if (!j) return;
    buf_free(&j->cmds);
    buf_free(&j->replies);
    buf_free(&j->resp);
    buf_free(&j->xhdr);
    buf_free(&j->sv);
    free(j->roff);
    free(j);
}

/* ===================== request context ===================== */

typedef struct {
    hapi_t *a;
    hreq_t *r;
    hjob_t *j;
    buf_t scratch; /* decoded path segments and query pairs */
    size_t seg_off[MAX_SEGS], seg_len[MAX_SEGS];
    int nseg;
    size_t q_off[MAX_QUERY][2], q_len[MAX_QUERY][2];
    int nq;
    const char *capv[4];
    size_t capn[4];
    int ncap;
    json_t *body;
    int err_status;
    char err[256];
} rctx_t;

typedef struct hroute {
    int method;
    const char *path; /* "/api/v1/keys/:" -- ':' captures one segment */
    int (*build)(rctx_t *x);
    int (*render)(hapi_t *a, hjob_t *j, buf_t *body); /* returns the status */
    const char *field; /* JSON field of generic renderers */
    int flags;
} hroute_t;

enum {
    R_OWN_ERRORS = 1, /* the renderer shows engine errors itself */
    R_NO_ENGINE = 2,  /* answered without the engine */
    R_TEXT = 4,       /* text/plain response (metrics) */
};

static int s_fail(rctx_t *x, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int s_fail(rctx_t *x, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err, sizeof x->err, fmt, ap);
    va_end(ap);
    x->err_status = status;
    return -1;
}

static int s_hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes [p, p+n) into scratch ('+' is a space in queries); returns the offset or -1
 * for a bad escape. */
static long s_decode(buf_t *scratch, const char *p, size_t n, int plus_space, size_t *outlen) {
    size_t off = scratch->len;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '%') {
            int h, l;
            if (i + 2 >= n || (h = s_hexval((unsigned char)p[i + 1])) < 0 ||
                (l = s_hexval((unsigned char)p[i + 2])) < 0)
                return -1;
            buf_put_u8(scratch, (uint8_t)(h << 4 | l));
            i += 2;
        } else if (c == '+' && plus_space) {
            buf_put_u8(scratch, ' ');
        } else {
            buf_put_u8(scratch, (uint8_t)c);
        }
    }
    *outlen = scratch->len - off;
    return (long)off;
}

/* Splits the target into decoded path segments and query pairs. */
static int s_parse_target(rctx_t *x) {
    const char *u = x->r->url.data;
    size_t n = x->r->url.len;
    if (n == 0 || u[0] != '/') return s_fail(x, 400, "request target must be an absolute path");
    const char *q = memchr(u, '?', n);
    size_t plen = q ? (size_t)(q - u) : n;
    const char *hash = memchr(u, '#', n);
    if (hash && (!q || hash < q)) plen = (size_t)(hash - u);
    size_t i = 1;
    while (i <= plen) {
        size_t j = i;
        while (j < plen && u[j] != '/') j++;
        if (j > i || j < plen) {
            if (x->nseg == MAX_SEGS) return s_fail(x, 404, "no such route");
            size_t len;
            long off = s_decode(&x->scratch, u + i, j - i, 0, &len);
            if (off < 0) return s_fail(x, 400, "bad percent-escape in path");
            x->seg_off[x->nseg] = (size_t)off;
            x->seg_len[x->nseg++] = len;
        }
        i = j + 1;
    }
    if (q) {
        const char *qs = q + 1, *qe = u + n;
        const char *h2 = memchr(qs, '#', (size_t)(qe - qs));
        if (h2) qe = h2;
        while (qs < qe) {
            const char *amp = memchr(qs, '&', (size_t)(qe - qs));
            const char *pe = amp ? amp : qe;
            if (pe > qs) {
                if (x->nq == MAX_QUERY) return s_fail(x, 400, "too many query parameters");
                const char *eq = memchr(qs, '=', (size_t)(pe - qs));
                const char *ke = eq ? eq : pe;
                size_t kl, vl = 0;
                long ko = s_decode(&x->scratch, qs, (size_t)(ke - qs), 1, &kl);
                long vo = eq ? s_decode(&x->scratch, eq + 1, (size_t)(pe - eq - 1), 1, &vl)
                             : (long)x->scratch.len;
                if (ko < 0 || vo < 0) return s_fail(x, 400, "bad percent-escape in query");
                x->q_off[x->nq][0] = (size_t)ko, x->q_len[x->nq][0] = kl;
                x->q_off[x->nq][1] = (size_t)vo, x->q_len[x->nq][1] = vl;
                x->nq++;
            }
            qs = pe + 1;
        }
    }
    return 0;
}

static const char *s_seg(const rctx_t *x, int i, size_t *n) {
    *n = x->seg_len[i];
    return x->scratch.data ? x->scratch.data + x->seg_off[i] : "";
}

/* The value of query parameter name (the last one when repeated), or NULL. */
static const char *s_q(const rctx_t *x, const char *name, size_t *n) {
    size_t nl = strlen(name);
    const char *found = NULL;
    for (int i = 0; i < x->nq; i++) {
        if (x->q_len[i][0] == nl && memcmp(x->scratch.data + x->q_off[i][0], name, nl) == 0) {
            found = x->scratch.data + x->q_off[i][1];
            *n = x->q_len[i][1];
        }
    }
    return found;
}

static int s_q_ll(rctx_t *x, const char *name, long long def, long long *out) {
    size_t n;
    const char *v = s_q(x, name, &n);
    if (!v) {
        *out = def;
        return 0;
    }
    if (!str_to_ll(v, n, out)) return s_fail(x, 400, "query parameter '%s' must be an integer", name);
    return 0;
}

static int s_q_bool(const rctx_t *x, const char *name) {
    size_t n;
    const char *v = s_q(x, name, &n);
    if (!v) return 0;
    return !(n == 1 && v[0] == '0') && !(n == 5 && strncasecmp(v, "false", 5) == 0) &&
           !(n == 2 && strncasecmp(v, "no", 2) == 0);
}

/* The JSON body (an object or array); NULL with a 400 when missing or invalid. */
static json_t *s_body(rctx_t *x, int optional) {
    if (x->body) return x->body;
    if (x->r->body.len == 0) {
        if (!optional) s_fail(x, 400, "a JSON body is required");
        return NULL;
    }
    json_error_t e;
    x->body = json_loadb(x->r->body.data, x->r->body.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!x->body) {
        s_fail(x, 400, "invalid JSON: %s (line %d, column %d)", e.text, e.line, e.column);
        return NULL;
    }
    return x->body;
}

static json_t *s_body_obj(rctx_t *x, int optional) {
    json_t *b = s_body(x, optional);
    if (b && !json_is_object(b)) {
        s_fail(x, 400, "the JSON body must be an object");
        return NULL;
    }
    return b;
}

/* ===================== command building ===================== */

static void c_begin(hjob_t *j) {
    j->cpos = j->cmds.len;
    buf_put_u32(&j->cmds, 0);
}

static void c_arg(hjob_t *j, const char *p, size_t n) {
    uint32_t argc;
    memcpy(&argc, j->cmds.data + j->cpos, 4);
    argc++;
    memcpy(j->cmds.data + j->cpos, &argc, 4);
    buf_put_u32(&j->cmds, (uint32_t)n);
    buf_append(&j->cmds, p, n);
}

static void c_argz(hjob_t *j, const char *s) { c_arg(j, s, strlen(s)); }

static void c_argll(hjob_t *j, long long v) {
    char tmp[24];
    c_arg(j, tmp, (size_t)ll_to_str(tmp, v));
}

static void c_end(hjob_t *j) { j->ncmds++; }

/* Appends a JSON scalar as one argument: strings as is, numbers in decimal, booleans 1/0,
 * {"$base64": "..."} decoded. */
static int c_arg_json(rctx_t *x, json_t *v, const char *what) {
    hjob_t *j = x->j;
    char tmp[64];
    if (json_is_string(v)) {
        c_arg(j, json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        c_argll(j, (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        snprintf(tmp, sizeof tmp, "%.17g", d);
        c_argz(j, tmp);
    } else if (json_is_boolean(v)) {
        c_argz(j, json_is_true(v) ? "1" : "0");
    } else if (json_is_object(v) && json_object_size(v) == 1 && json_object_get(v, JSON_B64_KEY) &&
               json_is_string(json_object_get(v, JSON_B64_KEY))) {
        json_t *s = json_object_get(v, JSON_B64_KEY);
        buf_t dec;
        buf_init(&dec);
        if (base64_decode(&dec, json_string_value(s), json_string_length(s)) < 0) {
            buf_free(&dec);
            return s_fail(x, 400, "%s: invalid base64", what);
        }
        c_arg(j, dec.data ? dec.data : "", dec.len);
        buf_free(&dec);
    } else {
        return s_fail(x, 400, "%s must be a string, a number, a boolean or {\"" JSON_B64_KEY
                      "\": ...}", what);
    }
    return 0;
}

static void c_cap(rctx_t *x, int i) { c_arg(x->j, x->capv[i], x->capn[i]); }

/* Saves capture i for the renderer. */
static void s_save_cap(rctx_t *x, int i) {
    buf_clear(&x->j->sv);
    buf_append(&x->j->sv, x->capv[i], x->capn[i]);
}

/* ===================== responses ===================== */

static const char *s_reason(int status) {
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 421: return "Misdirected Request";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    default: return "Unknown";
    }
}

static void s_cors(hapi_t *a, buf_t *b) {
    if (!a->cors_origin || !a->cors_origin[0]) return;
    buf_printf(b, "Access-Control-Allow-Origin: %s\r\n", a->cors_origin);
    if (strcmp(a->cors_origin, "*") != 0) buf_append_str(b, "Vary: Origin\r\n");
    buf_append_str(b, "Access-Control-Expose-Headers: RateLimit-Limit, RateLimit-Remaining, "
                      "RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, "
                      "X-RateLimit-Reset, Retry-After\r\n");
}

static void s_respond(hapi_t *a, hjob_t *j, int status, const char *ctype, const char *body,
                      size_t n) {
    buf_t *b = &j->resp;
    buf_clear(b);
    /* appends rather than printf: this runs for every response */
    char num[24];
    buf_append_str(b, "HTTP/1.1 ");
    buf_append(b, num, (size_t)ll_to_str(num, status));
    buf_append_str(b, " ");
    buf_append_str(b, s_reason(status));
    buf_append_str(b, "\r\nServer: vole\r\n");
    if (ctype) {
        buf_append_str(b, "Content-Type: ");
        buf_append_str(b, ctype);
        buf_append_str(b, "\r\n");
    }
    buf_append_str(b, "Content-Length: ");
    buf_append(b, num, (size_t)ll_to_str(num, (long long)n));
    buf_append_str(b, "\r\n");
    if (!j->keep_alive) {
        buf_append_str(b, "Connection: close\r\n");
        j->close_after = 1;
    }
    s_cors(a, b);
    buf_append(b, j->xhdr.data, j->xhdr.len);
    buf_append_str(b, "\r\n");
    buf_append(b, body, n);
    j->done = 1;
    j->status = status;
}

static void s_respond_json(hapi_t *a, hjob_t *j, int status, const buf_t *body) {
    s_respond(a, j, status, "application/json", body->data ? body->data : "", body->len);
}

static void s_respond_error(hapi_t *a, hjob_t *j, int status, const char *msg, size_t n) {
    buf_t b;
    buf_init(&b);
    buf_append_str(&b, "{\"error\":");
    json_bytes(&b, msg, n);
    buf_append_str(&b, "}");
    s_respond_json(a, j, status, &b);
    buf_free(&b);
}

void hapi_error_response(hapi_t *a, hjob_t *j, int status, const char *why) {
    j->keep_alive = 0; /* the stream cannot be trusted past a parse error */
    s_respond_error(a, j, status, why, strlen(why));
}

void hapi_timeout_response(hapi_t *a, hjob_t *j) {
    hapi_error_response(a, j, 408, "request not received in time");
}

/* Status for an engine error reply, by its code (the first word). */
static int s_error_status(const char *p, size_t n) {
    size_t w = 0;
    while (w < n && p[w] != ' ') w++;
#define IS(code) (w == sizeof code - 1 && memcmp(p, code, w) == 0)
    if (IS("WRONGPASS") || IS("NOAUTH")) return 401;
    if (IS("NOPERM") || IS("READONLY")) return 403;
    if (IS("WRONGTYPE")) return 409;
    if (IS("LOADING") || IS("BUSY") || IS("MASTERDOWN") || IS("TRYAGAIN") || IS("CLUSTERDOWN"))
        return 503;
    if (IS("OOM")) return 507;
    if (IS("MOVED") || IS("ASK")) return 421;
#undef IS
    if (n > 20 && memcmp(p, "ERR unknown command", 19) == 0) return 501;
    if (n > 23 && memcmp(p, "ERR unknown subcommand", 22) == 0) return 501;
    return 400;
}

/* ===================== replies ===================== */

/* Reply i of the route (after the prefix): [*p, *end). */
static void s_rep(const hjob_t *j, int i, const char **p, const char **end) {
    int k = j->nprefix + i;
    *p = j->replies.data + j->roff[k];
    *end = j->replies.data + j->roff[k + 1];
}

static int s_rep_val(const hjob_t *j, int i, r3_val_t *v) {
    const char *p, *end;
    s_rep(j, i, &p, &end);
    return r3_next(&p, end, v);
}

/* {"<field>": <reply 0 as JSON>} */
static int rd_convert(hapi_t *a, hjob_t *j, buf_t *body) {
    const char *p, *end;
    s_rep(j, 0, &p, &end);
    buf_printf(body, "{\"%s\":", j->route->field);
    if (r3_to_json(body, &p, end) != 1) return 500;
    buf_append_str(body, "}");
    return 200;
}

/* Like rd_convert, but a null or empty reply is 404 (the key does not exist). */
static int rd_convert_404(hapi_t *a, hjob_t *j, buf_t *body) {
    r3_val_t v;
    if (s_rep_val(j, 0, &v) != 1) return 500;
    if (v.type == '_' || ((v.type == '*' || v.type == '%' || v.type == '~') && v.n == 0)) {
        buf_append_str(body, "{\"error\":\"not found\"}");
        return 404;
    }
    return rd_convert(a, j, body);
}

static int rd_ok(hapi_t *a, hjob_t *j, buf_t *body) {
    buf_append_str(body, "{\"ok\":true}");
    return 200;
}

/* A map reply as a plain object (HGETALL): {"field": "value", ...}; 404 when empty. */
static int rd_object_404(hapi_t *a, hjob_t *j, buf_t *body) {
    r3_val_t v;
    if (s_rep_val(j, 0, &v) != 1) return 500;
    if ((v.type == '%' || v.type == '*') && v.n == 0) {
        buf_append_str(body, "{\"error\":\"not found\"}");
        return 404;
    }
    const char *p, *end;
    s_rep(j, 0, &p, &end);
    return r3_to_json(body, &p, end) == 1 ? 200 : 500;
}

static int rd_key_get(hapi_t *a, hjob_t *j, buf_t *body) {
    r3_val_t v, t;
    if (s_rep_val(j, 0, &v) != 1 || s_rep_val(j, 1, &t) != 1) return 500;
    if (v.type == '_') {
        buf_append_str(body, "{\"error\":\"not found\"}");
        return 404;
    }
    buf_append_str(body, "{\"key\":");
    json_bytes(body, j->sv.data ? j->sv.data : "", j->sv.len);
    buf_append_str(body, ",\"value\":");
    json_bytes(body, v.s, v.len);
    buf_append_str(body, ",\"ttl_ms\":");
    json_ll(body, t.type == ':' ? t.n : -1);
    buf_append_str(body, "}");
    return 200;
}

static int rd_key_set(hapi_t *a, hjob_t *j, buf_t *body) {
    r3_val_t v;
    if (s_rep_val(j, 0, &v) != 1) return 500;
    if (v.type == '_') {
        buf_append_str(body, "{\"ok\":false,\"error\":\"not set: nx/xx condition not met\"}");
        return 409;
    }
    buf_append_str(body, "{\"ok\":true}");
    return 200;
}

static int rd_bool(hapi_t *a, hjob_t *j, buf_t *body) {
    r3_val_t v;
    if (s_rep_val(j, 0, &v) != 1) return 500;
    buf_printf(body, "{\"%s\":%s}", j->route->field, v.n ? "true" : "false");
    return 200;
}

/* INCRBY answers an integer, INCRBYFLOAT a bulk string holding the number */
static int rd_incr(hapi_t *a, hjob_t *j, buf_t *body) {
    r3_val_t v;
    if (s_rep_val(j, 0, &v) != 1) return 500;
    buf_append_str(body, "{\"value\":");
    if (v.type == ':') json_ll(body, v.n);
    else buf_append(body, v.s, v.len);
    buf_append_str(body, "}");
    return 200;
}

/* LPOP/RPOP: a string, an array (with a count) or null -> {"values": [...]} */
static int rd_pop(hapi_t *a, hjob_t *j, buf_t *body) {
    const char *p, *end;
    r3_val_t v;
    s_rep(j, 0, &p, &end);
    const char *start = p;
    if (r3_next(&p, end, &v) != 1) return 500;
    buf_append_str(body, "{\"values\":");
    if (v.type == '_') {
        buf_append_str(body, "[]");
    } else if (r3_is_str(&v)) {
        buf_append_str(body, "[");
        json_bytes(body, v.s, v.len);
        buf_append_str(body, "]");
    } else {
        p = start;
        if (r3_to_json(body, &p, end) != 1) return 500;
    }
    buf_append_str(body, "}");
    return 200;
}

/* ZRANGE ... WITHSCORES: RESP3 gives [[member, score], ...] */
static int rd_zrange(hapi_t *a, hjob_t *j, buf_t *body) {
    const char *p, *end;
    r3_val_t v, e, m, s;
    s_rep(j, 0, &p, &end);
    if (r3_next(&p, end, &v) != 1 || v.type != '*') return 500;
    buf_append_str(body, "{\"members\":[");
    for (long long i = 0; i < v.n; i++) {
        if (r3_next(&p, end, &e) != 1 || e.n != 2 || r3_next(&p, end, &m) != 1 ||
            r3_next(&p, end, &s) != 1)
            return 500;
        if (i) buf_append_str(body, ",");
        buf_append_str(body, "{\"member\":");
        json_bytes(body, m.s, m.len);
        buf_append_str(body, ",\"score\":");
        if (s.type == ',') json_double(body, s.d);
        else buf_append(body, s.s, s.len);
        buf_append_str(body, "}");
    }
    buf_append_str(body, "]}");
    return 200;
}

/* SCAN: [cursor, [keys]] */
static int rd_scan(hapi_t *a, hjob_t *j, buf_t *body) {
    const char *p, *end;
    r3_val_t v, cur;
    s_rep(j, 0, &p, &end);
    if (r3_next(&p, end, &v) != 1 || v.n != 2 || r3_next(&p, end, &cur) != 1) return 500;
    buf_append_str(body, "{\"cursor\":");
    json_bytes(body, cur.s, cur.len);
    buf_append_str(body, ",\"keys\":");
    if (r3_to_json(body, &p, end) != 1) return 500;
    buf_append_str(body, "}");
    return 200;
}

/* Whether text is a number in JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int s_is_json_number(const char *p, size_t n) {
    size_t i = 0;
    if (i < n && p[i] == '-') i++;
    if (i >= n || !isdigit((unsigned char)p[i])) return 0;
    if (p[i] == '0') i++;
    else while (i < n && isdigit((unsigned char)p[i])) i++;
    if (i < n && p[i] == '.') {
        if (++i >= n || !isdigit((unsigned char)p[i])) return 0;
        while (i < n && isdigit((unsigned char)p[i])) i++;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-')) i++;
        if (i >= n || !isdigit((unsigned char)p[i])) return 0;
        while (i < n && isdigit((unsigned char)p[i])) i++;
    }
    return i == n && n < 40;
}

/* Parses INFO-style text ("# Section" headers, "name:value" lines) into JSON: an object per
 * section when sections is set, else one flat object. Integers and decimals become numbers. */
static void s_info_json(buf_t *body, const char *p, size_t n, int sections) {
    const char *end = p + n;
    int nsec = 0, nfield = 0;
    buf_append_str(body, "{");
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        size_t ll = (size_t)(le - p);
        if (ll && p[ll - 1] == '\r') ll--;
        if (ll > 2 && p[0] == '#' && sections) {
            if (nsec++) buf_append_str(body, "}");
            if (nsec > 1) buf_append_str(body, ",");
            buf_t name;
            buf_init(&name);
            for (size_t i = 2; i < ll; i++) buf_put_u8(&name, (uint8_t)tolower((unsigned char)p[i]));
            json_str(body, name.data, name.len);
            buf_free(&name);
            buf_append_str(body, ":{");
            nfield = 0;
        } else if (ll && p[0] != '#') {
            const char *colon = memchr(p, ':', ll);
            if (colon) {
                if (sections && nsec == 0) { /* text before any header */
                    buf_append_str(body, "\"\":{");
                    nsec = 1;
                }
                if (nfield++) buf_append_str(body, ",");
                json_bytes(body, p, (size_t)(colon - p));
                buf_append_str(body, ":");
                const char *val = colon + 1;
                size_t vl = ll - (size_t)(colon + 1 - p);
                if (s_is_json_number(val, vl)) buf_append(body, val, vl);
                else json_bytes(body, val, vl);
            }
        }
        p = eol ? eol + 1 : end;
    }
    if (sections && nsec) buf_append_str(body, "}");
    buf_append_str(body, "}");
}

static int rd_info(hapi_t *a, hjob_t *j, buf_t *body) {
    r3_val_t v;
    if (s_rep_val(j, 0, &v) != 1 || !r3_is_str(&v)) return 500;
    s_info_json(body, v.s, v.len, 1);
    return 200;
}

static int rd_cluster_info(hapi_t *a, hjob_t *j, buf_t *body) {
    r3_val_t v;
    if (s_rep_val(j, 0, &v) == 1 && r3_is_error(&v) &&
        memmem(v.s, v.len, "cluster support disabled", 24)) {
        /* a single node (as INFO cluster says): not an error for this route */
        buf_append_str(body, "{\"cluster_enabled\":0}");
        return 200;
    }
    if (s_rep_val(j, 0, &v) != 1 || !r3_is_str(&v)) return 500;
    s_info_json(body, v.s, v.len, 0);
    return 200;
}

static int rd_ready(hapi_t *a, hjob_t *j, buf_t *body) {
    r3_val_t v;
    if (s_rep_val(j, 0, &v) != 1) return 500;
    if (r3_is_error(&v)) {
        buf_append_str(body, "{\"ready\":false,\"reason\":");
        json_bytes(body, v.s, v.len);
        buf_append_str(body, "}");
        return 503;
    }
    buf_append_str(body, "{\"ready\":true}");
    return 200;
}

static int rd_metrics(hapi_t *a, hjob_t *j, buf_t *body) {
    r3_val_t v;
    if (s_rep_val(j, 0, &v) != 1 || !r3_is_str(&v)) return 500;
    metrics_render(body, a, v.s, v.len);
    return 200;
}

/* RATELIMIT key max window -> [allowed, remaining, retry_after_ms, reset] (see docs) */
static int rd_ratelimit(hapi_t *a, hjob_t *j, buf_t *body) {
    const char *p, *end;
    r3_val_t v, f[4];
    s_rep(j, 0, &p, &end);
    if (r3_next(&p, end, &v) != 1 || v.type != '*' || v.n < 4) {
        buf_append_str(body, "{\"error\":\"unexpected RATELIMIT reply\"}");
        return 500;
    }
    for (int i = 0; i < 4; i++)
        if (r3_next(&p, end, &f[i]) != 1 || f[i].type != ':') {
            buf_append_str(body, "{\"error\":\"unexpected RATELIMIT reply\"}");
            return 500;
        }
    long long limit = j->iv[0], window = j->iv[1];
    long long allowed = f[0].n, remaining = f[1].n, retry_ms = f[2].n, reset = f[3].n;
    /* reset may be an absolute time (ms or s since the epoch) or a delay in ms */
    long long now = now_ms(), reset_s;
    if (reset > 100000000000LL) reset_s = (reset - now + 999) / 1000;
    else if (reset > 1000000000LL) reset_s = reset - now / 1000;
    else reset_s = (reset + 999) / 1000;
    if (reset_s < 0) reset_s = 0;
    long long retry_s = (retry_ms + 999) / 1000;
    buf_printf(&j->xhdr,
               "RateLimit-Limit: %lld\r\nRateLimit-Remaining: %lld\r\nRateLimit-Reset: %lld\r\n"
               "RateLimit-Policy: %lld;w=%lld\r\nX-RateLimit-Limit: %lld\r\n"
               "X-RateLimit-Remaining: %lld\r\nX-RateLimit-Reset: %lld\r\n",
               limit, remaining, reset_s, limit, window, limit, remaining, reset_s);
    if (!allowed) buf_printf(&j->xhdr, "Retry-After: %lld\r\n", retry_s > 0 ? retry_s : 1);
    buf_printf(body,
               "{\"allowed\":%s,\"limit\":%lld,\"remaining\":%lld,\"retry_after_ms\":%lld,"
               "\"reset\":%lld}",
               allowed ? "true" : "false", limit, remaining, retry_ms, reset);
    return allowed ? 200 : 429;
}

/* POST /api/v1/command: one command -> {"result": ...}; a list of commands ->
 * {"results": [...]} with errors in place as {"error": ...}. */
static int rd_command(hapi_t *a, hjob_t *j, buf_t *body) {
    int n = j->ncmds - j->nprefix;
    if (j->iv[0] == 0) { /* a single command */
        r3_val_t v;
        if (s_rep_val(j, 0, &v) != 1) return 500;
        if (r3_is_error(&v)) {
            buf_append_str(body, "{\"error\":");
            json_bytes(body, v.s, v.len);
            buf_append_str(body, "}");
            return s_error_status(v.s, v.len);
        }
        const char *p, *end;
        s_rep(j, 0, &p, &end);
        buf_append_str(body, "{\"result\":");
        if (r3_to_json(body, &p, end) != 1) return 500;
        buf_append_str(body, "}");
        return 200;
    }
    buf_append_str(body, "{\"results\":[");
    for (int i = 0; i < n; i++) {
        const char *p, *end;
        s_rep(j, i, &p, &end);
        if (i) buf_append_str(body, ",");
        if (r3_to_json(body, &p, end) != 1) return 500;
    }
    buf_append_str(body, "]}");
    return 200;
}

/* ===================== builders ===================== */

static int b_none(rctx_t *x) { return 0; }

static int b_ready(rctx_t *x) {
    if (!x->a->engine_up) return s_fail(x, 503, "engine unavailable");
    /* DBSIZE is refused with -LOADING while the engine loads its data (INFO is not) */
    c_begin(x->j), c_argz(x->j, "DBSIZE"), c_end(x->j);
    return 0;
}

static int b_metrics(rctx_t *x) {
    c_begin(x->j), c_argz(x->j, "INFO"), c_argz(x->j, "everything"), c_end(x->j);
    return 0;
}

static int b_key_get(rctx_t *x) {
    s_save_cap(x, 0);
    c_begin(x->j), c_argz(x->j, "GET"), c_cap(x, 0), c_end(x->j);
    c_begin(x->j), c_argz(x->j, "PTTL"), c_cap(x, 0), c_end(x->j);
    return 0;
}

/* Optional integer member of an object: 1 found, 0 absent, -1 wrong type. */
static int s_get_int(rctx_t *x, json_t *o, const char *name, long long *out) {
    json_t *v = json_object_get(o, name);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_integer(v)) return s_fail(x, 400, "'%s' must be an integer", name);
    *out = (long long)json_integer_value(v);
    return 1;
}

static int s_get_bool(json_t *o, const char *name) {
    json_t *v = json_object_get(o, name);
    return v && json_is_true(v);
}

static int b_key_set(rctx_t *x) {
    json_t *b = s_body_obj(x, 0);
    if (!b) return -1;
    json_t *val = json_object_get(b, "value");
    if (!val) return s_fail(x, 400, "'value' is required");
    c_begin(x->j), c_argz(x->j, "SET"), c_cap(x, 0);
    if (c_arg_json(x, val, "'value'") < 0) return -1;
    static const char *const ttl[] = {"ex", "px", "exat", "pxat"};
    int nttl = 0;
    for (int i = 0; i < 4; i++) {
        long long t;
        int r = s_get_int(x, b, ttl[i], &t);
        if (r < 0) return -1;
        if (r) {
            char up[8];
            for (int k = 0; ttl[i][k] || (up[k] = 0); k++) up[k] = (char)toupper(ttl[i][k]), up[k + 1] = 0;
            c_argz(x->j, up), c_argll(x->j, t);
            nttl++;
        }
    }
    if (nttl > 1) return s_fail(x, 400, "give at most one of ex, px, exat, pxat");
    if (s_get_bool(b, "nx")) c_argz(x->j, "NX");
    if (s_get_bool(b, "xx")) c_argz(x->j, "XX");
    if (s_get_bool(b, "keepttl")) c_argz(x->j, "KEEPTTL");
    c_end(x->j);
    return 0;
}

/* Commands of the form NAME <capture 0> */
static int b_key_cmd(rctx_t *x, const char *cmd) {
    c_begin(x->j), c_argz(x->j, cmd), c_cap(x, 0), c_end(x->j);
    return 0;
}
static int b_del(rctx_t *x) { return b_key_cmd(x, "DEL"); }
static int b_hgetall(rctx_t *x) { return b_key_cmd(x, "HGETALL"); }
static int b_smembers(rctx_t *x) { return b_key_cmd(x, "SMEMBERS"); }

/* Commands of the form NAME <capture 0> <capture 1> */
static int b_key_field_cmd(rctx_t *x, const char *cmd) {
    c_begin(x->j), c_argz(x->j, cmd), c_cap(x, 0), c_cap(x, 1), c_end(x->j);
    return 0;
}
static int b_hget(rctx_t *x) { return b_key_field_cmd(x, "HGET"); }
static int b_hdel(rctx_t *x) { return b_key_field_cmd(x, "HDEL"); }
static int b_srem_one(rctx_t *x) { return b_key_field_cmd(x, "SREM"); }
static int b_zrem_one(rctx_t *x) { return b_key_field_cmd(x, "ZREM"); }

static int b_incr(rctx_t *x) {
    json_t *b = s_body_obj(x, 1);
    if (!b && x->err_status) return -1;
    json_t *by = b ? json_object_get(b, "by") : NULL;
    if (by && json_is_real(by)) {
        c_begin(x->j), c_argz(x->j, "INCRBYFLOAT"), c_cap(x, 0);
        if (c_arg_json(x, by, "'by'") < 0) return -1;
    } else if (by && json_is_integer(by)) {
        c_begin(x->j), c_argz(x->j, "INCRBY"), c_cap(x, 0), c_argll(x->j, json_integer_value(by));
    } else if (by && !json_is_null(by)) {
        return s_fail(x, 400, "'by' must be a number");
    } else {
        c_begin(x->j), c_argz(x->j, "INCR"), c_cap(x, 0);
    }
    c_end(x->j);
    return 0;
}

static int b_expire(rctx_t *x) {
    json_t *b = s_body_obj(x, 0);
    if (!b) return -1;
    long long t;
    int r;
    if ((r = s_get_int(x, b, "ex", &t)) < 0) return -1;
    if (r) {
        c_begin(x->j), c_argz(x->j, "EXPIRE"), c_cap(x, 0), c_argll(x->j, t), c_end(x->j);
        return 0;
    }
    if ((r = s_get_int(x, b, "px", &t)) < 0) return -1;
    if (r) {
        c_begin(x->j), c_argz(x->j, "PEXPIRE"), c_cap(x, 0), c_argll(x->j, t), c_end(x->j);
        return 0;
    }
    if (s_get_bool(b, "persist")) return b_key_cmd(x, "PERSIST");
    return s_fail(x, 400, "give 'ex' or 'px' (or \"persist\": true)");
}

static int b_scan(rctx_t *x) {
    size_t n;
    const char *cur = s_q(x, "cursor", &n);
    c_begin(x->j), c_argz(x->j, "SCAN");
    if (cur) c_arg(x->j, cur, n);
    else c_argz(x->j, "0");
    const char *v;
    if ((v = s_q(x, "pattern", &n))) c_argz(x->j, "MATCH"), c_arg(x->j, v, n);
    if ((v = s_q(x, "count", &n))) c_argz(x->j, "COUNT"), c_arg(x->j, v, n);
    if ((v = s_q(x, "type", &n))) c_argz(x->j, "TYPE"), c_arg(x->j, v, n);
    c_end(x->j);
    return 0;
}

static int b_hset(rctx_t *x) {
    json_t *b = s_body_obj(x, 0);
    if (!b) return -1;
    if (json_object_size(b) == 0) return s_fail(x, 400, "give at least one field");
    c_begin(x->j), c_argz(x->j, "HSET"), c_cap(x, 0);
    const char *k;
    json_t *v;
    json_object_foreach(b, k, v) {
        c_argz(x->j, k);
        if (c_arg_json(x, v, "a field value") < 0) return -1;
    }
    c_end(x->j);
    return 0;
}

static int b_hset_field(rctx_t *x) {
    json_t *b = s_body_obj(x, 0);
    if (!b) return -1;
    json_t *v = json_object_get(b, "value");
    if (!v) return s_fail(x, 400, "'value' is required");
    c_begin(x->j), c_argz(x->j, "HSET"), c_cap(x, 0), c_cap(x, 1);
    if (c_arg_json(x, v, "'value'") < 0) return -1;
    c_end(x->j);
    return 0;
}

/* "side": "left" | "right" (default def); returns 'L', 'R' or 0 after failing. */
static char s_side(rctx_t *x, json_t *b, char def) {
    json_t *s = b ? json_object_get(b, "side") : NULL;
    if (!s) return def;
    const char *v = json_is_string(s) ? json_string_value(s) : "";
    if (!strcasecmp(v, "left")) return 'L';
    if (!strcasecmp(v, "right")) return 'R';
    s_fail(x, 400, "'side' must be \"left\" or \"right\"");
    return 0;
}

/* Appends every element of array member name as arguments; fails when missing or empty. */
static int s_args_array(rctx_t *x, json_t *b, const char *name) {
    json_t *arr = json_object_get(b, name);
    if (!arr || !json_is_array(arr) || json_array_size(arr) == 0)
        return s_fail(x, 400, "'%s' must be a non-empty array", name);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (c_arg_json(x, v, name) < 0) return -1;
    }
    return 0;
}

static int b_lpush(rctx_t *x) {
    json_t *b = s_body_obj(x, 0);
    if (!b) return -1;
    char side = s_side(x, b, 'R');
    if (!side) return -1;
    c_begin(x->j), c_argz(x->j, side == 'L' ? "LPUSH" : "RPUSH"), c_cap(x, 0);
    if (s_args_array(x, b, "values") < 0) return -1;
    c_end(x->j);
    return 0;
}

static int b_lpop(rctx_t *x) {
    json_t *b = s_body_obj(x, 1);
    if (!b && x->err_status) return -1;
    char side = s_side(x, b, 'L');
    if (!side) return -1;
    long long count = 0;
    int r = b ? s_get_int(x, b, "count", &count) : 0;
    if (r < 0) return -1;
    c_begin(x->j), c_argz(x->j, side == 'L' ? "LPOP" : "RPOP"), c_cap(x, 0);
    if (r) c_argll(x->j, count);
    c_end(x->j);
    return 0;
}

static int b_lrange(rctx_t *x) {
    long long start, stop;
    if (s_q_ll(x, "start", 0, &start) < 0 || s_q_ll(x, "stop", -1, &stop) < 0) return -1;
    c_begin(x->j), c_argz(x->j, "LRANGE"), c_cap(x, 0), c_argll(x->j, start), c_argll(x->j, stop);
    c_end(x->j);
    return 0;
}

static int b_members_cmd(rctx_t *x, const char *cmd) {
    json_t *b = s_body_obj(x, 0);
    if (!b) return -1;
    c_begin(x->j), c_argz(x->j, cmd), c_cap(x, 0);
    if (s_args_array(x, b, "members") < 0) return -1;
    c_end(x->j);
    return 0;
}
static int b_sadd(rctx_t *x) { return b_members_cmd(x, "SADD"); }
static int b_srem(rctx_t *x) { return b_members_cmd(x, "SREM"); }
static int b_zrem(rctx_t *x) { return b_members_cmd(x, "ZREM"); }

static int b_zadd(rctx_t *x) {
    json_t *b = s_body_obj(x, 0);
    if (!b) return -1;
    json_t *arr = json_object_get(b, "members");
    if (!arr || !json_is_array(arr) || json_array_size(arr) == 0)
        return s_fail(x, 400, "'members' must be a non-empty array of {\"member\", \"score\"}");
    c_begin(x->j), c_argz(x->j, "ZADD"), c_cap(x, 0);
    static const char *const opts[] = {"nx", "xx", "gt", "lt", "ch"};
    for (int i = 0; i < 5; i++)
        if (s_get_bool(b, opts[i])) {
            char up[3] = {(char)toupper(opts[i][0]), (char)toupper(opts[i][1]), 0};
            c_argz(x->j, up);
        }
    size_t i;
    json_t *m;
    json_array_foreach(arr, i, m) {
        json_t *mem = json_object_get(m, "member"), *sc = json_object_get(m, "score");
        if (!json_is_object(m) || !mem || !sc || !json_is_number(sc))
            return s_fail(x, 400, "each member must be {\"member\": ..., \"score\": number}");
        if (c_arg_json(x, sc, "'score'") < 0 || c_arg_json(x, mem, "'member'") < 0) return -1;
    }
    c_end(x->j);
    return 0;
}

static int b_zrange(rctx_t *x) {
    size_t n1, n2;
    const char *min = s_q(x, "min", &n1), *max = s_q(x, "max", &n2);
    c_begin(x->j), c_argz(x->j, "ZRANGE"), c_cap(x, 0);
    if (min || max) {
        if (!min) min = "-inf", n1 = 4;
        if (!max) max = "+inf", n2 = 4;
        int rev = s_q_bool(x, "rev");
        /* ZRANGE BYSCORE REV takes max before min */
        if (rev) c_arg(x->j, max, n2), c_arg(x->j, min, n1);
        else c_arg(x->j, min, n1), c_arg(x->j, max, n2);
        c_argz(x->j, "BYSCORE");
        if (rev) c_argz(x->j, "REV");
        long long off, lim;
        if (s_q_ll(x, "offset", 0, &off) < 0 || s_q_ll(x, "limit", -1, &lim) < 0) return -1;
        if (lim >= 0 || off) c_argz(x->j, "LIMIT"), c_argll(x->j, off), c_argll(x->j, lim);
    } else {
        long long start, stop;
        if (s_q_ll(x, "start", 0, &start) < 0 || s_q_ll(x, "stop", -1, &stop) < 0) return -1;
        c_argll(x->j, start), c_argll(x->j, stop);
        if (s_q_bool(x, "rev")) c_argz(x->j, "REV");
    }
    c_argz(x->j, "WITHSCORES");
    c_end(x->j);
    return 0;
}

static int b_publish(rctx_t *x) {
    json_t *b = s_body_obj(x, 0);
    if (!b) return -1;
    json_t *m = json_object_get(b, "message");
    if (!m) return s_fail(x, 400, "'message' is required");
    c_begin(x->j), c_argz(x->j, "PUBLISH"), c_cap(x, 0);
    if (c_arg_json(x, m, "'message'") < 0) return -1;
    c_end(x->j);
    return 0;
}

static int b_ratelimit(rctx_t *x) {
    json_t *b = s_body_obj(x, 0);
    if (!b) return -1;
    long long max, window;
    int r1 = s_get_int(x, b, "max", &max);
    if (r1 < 0) return -1;
    int r2 = s_get_int(x, b, "window", &window);
    if (r2 < 0) return -1;
    if (!r1 || !r2 || max <= 0 || window <= 0)
        return s_fail(x, 400, "'max' and 'window' (seconds) must be positive integers");
    x->j->iv[0] = max, x->j->iv[1] = window;
    c_begin(x->j), c_argz(x->j, "RATELIMIT"), c_cap(x, 0), c_argll(x->j, max);
    c_argll(x->j, window), c_end(x->j);
    return 0;
}

/* where=age>18 AND status=active -> WHERE age > 18 AND status = active: operators get spaces
 * around them so HSEARCH sees separate tokens. */
static void s_where_args(hjob_t *j, const char *w, size_t n) {
    static const char *const ops[] = {">=", "<=", "!=", "=", ">", "<"};
    buf_t tok;
    buf_init(&tok);
    for (size_t i = 0; i <= n;) {
        const char *op = NULL;
        if (i < n)
            for (int k = 0; k < 6; k++) {
                size_t ol = strlen(ops[k]);
                if (i + ol <= n && memcmp(w + i, ops[k], ol) == 0) {
                    op = ops[k];
                    break;
                }
            }
        if (i == n || w[i] == ' ' || op) {
            if (tok.len) c_arg(j, tok.data, tok.len);
            buf_clear(&tok);
            if (op) {
                c_argz(j, op);
                i += strlen(op);
            } else {
                i++;
            }
            continue;
        }
        buf_put_u8(&tok, (uint8_t)w[i]);
        i++;
    }
    buf_free(&tok);
}

static int b_search_hash(rctx_t *x) {
    size_t n;
    const char *pat = s_q(x, "pattern", &n);
    c_begin(x->j), c_argz(x->j, "HSEARCH");
    if (pat) c_arg(x->j, pat, n);
    else c_argz(x->j, "*");
    const char *w = s_q(x, "where", &n);
    if (w && n) c_argz(x->j, "WHERE"), s_where_args(x->j, w, n);
    long long off, lim;
    if (s_q_ll(x, "offset", 0, &off) < 0 || s_q_ll(x, "limit", -1, &lim) < 0) return -1;
    if (lim >= 0) c_argz(x->j, "LIMIT"), c_argll(x->j, off), c_argll(x->j, lim);
    c_end(x->j);
    return 0;
}

static int s_webhook(rctx_t *x, const char *sub) {
    json_t *b = s_body_obj(x, 0);
    if (!b) return -1;
    c_begin(x->j), c_argz(x->j, "WEBHOOK"), c_argz(x->j, sub);
    static const char *const f[] = {"pattern", "event", "url"};
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(b, f[i]);
        if (!v || !json_is_string(v)) return s_fail(x, 400, "'%s' must be a string", f[i]);
        c_arg_json(x, v, f[i]);
    }
    /* REGISTER's optional signing secret ("secret": "..."): WEBHOOK REGISTER ... SECRET s */
    json_t *secret = strcmp(sub, "REGISTER") == 0 ? json_object_get(b, "secret") : NULL;
    if (secret) {
        if (!json_is_string(secret)) return s_fail(x, 400, "'secret' must be a string");
        c_argz(x->j, "SECRET");
        c_arg_json(x, secret, "secret");
    }
    c_end(x->j);
    return 0;
}
static int b_webhook_add(rctx_t *x) { return s_webhook(x, "REGISTER"); }
static int b_webhook_del(rctx_t *x) { return s_webhook(x, "UNREGISTER"); }
static int b_webhook_list(rctx_t *x) {
    c_begin(x->j), c_argz(x->j, "WEBHOOK"), c_argz(x->j, "LIST"), c_end(x->j);
    return 0;
}

static int b_info(rctx_t *x) {
    size_t n;
    const char *s = s_q(x, "section", &n);
    c_begin(x->j), c_argz(x->j, "INFO");
    if (s) c_arg(x->j, s, n);
    c_end(x->j);
    return 0;
}

static int b_dbsize(rctx_t *x) {
    c_begin(x->j), c_argz(x->j, "DBSIZE"), c_end(x->j);
    return 0;
}

static int b_flush(rctx_t *x) {
    json_t *b = s_body_obj(x, 1);
    if (!b && x->err_status) return -1;
    int all = (b && s_get_bool(b, "all")) || s_q_bool(x, "all");
    int async = (b && s_get_bool(b, "async")) || s_q_bool(x, "async");
    c_begin(x->j), c_argz(x->j, all ? "FLUSHALL" : "FLUSHDB");
    if (async) c_argz(x->j, "ASYNC");
    c_end(x->j);
    return 0;
}

static int b_cluster_info(rctx_t *x) {
    c_begin(x->j), c_argz(x->j, "CLUSTER"), c_argz(x->j, "INFO"), c_end(x->j);
    return 0;
}

/* Commands that change what the connection is (its protocol, database, credentials or
 * subscriptions) have their own HTTP form; over /command they would desynchronise the
 * connection from the requests that follow. */
static const char *s_command_refused(const char *name, size_t n) {
    static const struct {
        const char *name, *why;
    } refused[] = {
        {"subscribe", "use GET /api/v1/events?channels=..."},
        {"psubscribe", "use GET /api/v1/events?patterns=..."},
        {"ssubscribe", "use GET /api/v1/events"},
        {"unsubscribe", "use GET /api/v1/events"},
        {"punsubscribe", "use GET /api/v1/events"},
        {"sunsubscribe", "use GET /api/v1/events"},
        {"monitor", "not available over HTTP"},
        {"hello", "HTTP clients always speak RESP3, converted to JSON"},
        {"reset", "each HTTP identity has its own connection state"},
        {"select", "use ?db=N or the X-Vole-Namespace header"},
        {"auth", "use the Authorization header"},
        {"quit", "close the HTTP connection instead"},
        {"sync", "not available over HTTP"},
        {"psync", "not available over HTTP"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (strlen(refused[i].name) == n && strncasecmp(refused[i].name, name, n) == 0)
            return refused[i].why;
    return NULL;
}

static int s_command_one(rctx_t *x, json_t *arr) {
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return s_fail(x, 400, "a command is a non-empty JSON array like [\"GET\", \"key\"]");
    json_t *name = json_array_get(arr, 0);
    if (!json_is_string(name)) return s_fail(x, 400, "the command name must be a string");
    const char *why = s_command_refused(json_string_value(name), json_string_length(name));
    if (why) return s_fail(x, 400, "%s is not allowed over /api/v1/command: %s",
                           json_string_value(name), why);
    c_begin(x->j);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (c_arg_json(x, v, "a command argument") < 0) return -1;
    }
    c_end(x->j);
    return 0;
}

static int b_command(rctx_t *x) {
    json_t *b = s_body(x, 0);
    if (!b) return -1;
    if (!json_is_array(b) || json_array_size(b) == 0)
        return s_fail(x, 400, "the body must be a JSON array: [\"CMD\", \"arg\", ...] or a list "
                              "of them");
    if (json_is_array(json_array_get(b, 0))) {
        if (json_array_size(b) > 10000) return s_fail(x, 400, "at most 10000 commands");
        x->j->iv[0] = 1;
        size_t i;
        json_t *c;
        json_array_foreach(b, i, c) {
            if (s_command_one(x, c) < 0) return -1;
        }
        return 0;
    }
    return s_command_one(x, b);
}

/* ---- Server-Sent Events ---- */

/* "a,b,c" -> SUBSCRIBE-style arguments; __keyspace__:/__keyevent__: without a database are
 * given the request's database (Redis channels carry it: __keyspace@0__:key). */
static int s_sse_list(rctx_t *x, const char *v, size_t n, long long db) {
    int count = 0;
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && v[j] != ',') j++;
        if (j > i) {
            const char *s = v + i;
            size_t l = j - i;
            static const char *const pre[] = {"__keyspace__:", "__keyevent__:"};
            int done = 0;
            for (int k = 0; k < 2 && !done; k++) {
                size_t pl = strlen(pre[k]);
                if (l >= pl && memcmp(s, pre[k], pl) == 0) {
                    char head[48];
                    int hl = snprintf(head, sizeof head, "%.10s@%lld__:", pre[k], db);
                    buf_t t;
                    buf_init(&t);
                    buf_append(&t, head, (size_t)hl);
                    buf_append(&t, s + pl, l - pl);
                    c_arg(x->j, t.data, t.len);
                    buf_free(&t);
                    done = 1;
                }
            }
            if (!done) c_arg(x->j, s, l);
            count++;
        }
        i = j + 1;
    }
    return count;
}

static int b_events(rctx_t *x) {
    size_t nc = 0, np = 0;
    const char *ch = s_q(x, "channels", &nc), *pa = s_q(x, "patterns", &np);
    if (!ch) ch = s_q(x, "channel", &nc);
    if (!pa) pa = s_q(x, "pattern", &np);
    if ((!ch || !nc) && (!pa || !np))
        return s_fail(x, 400, "give channels=a,b and/or patterns=p*,q*");
    long long db = 0;
    if (s_q_ll(x, "db", 0, &db) < 0) return -1;
    int pending = 0;
    if (ch && nc) {
        c_begin(x->j), c_argz(x->j, "SUBSCRIBE");
        pending += s_sse_list(x, ch, nc, db);
        c_end(x->j);
    }
    if (pa && np) {
        c_begin(x->j), c_argz(x->j, "PSUBSCRIBE");
        pending += s_sse_list(x, pa, np, db);
        c_end(x->j);
    }
    if (pending == 0) return s_fail(x, 400, "give channels=a,b and/or patterns=p*,q*");
    if (x->r->has_last_id) {
        long long id;
        if (str_to_ll(x->r->last_event_id.data, x->r->last_event_id.len, &id) && id >= 0)
            x->j->sse_id = id; /* no replay (pub/sub keeps no history): ids go on from there */
    }
    x->j->sse = 1;
    x->j->sse_pending = pending;
    return 0;
}

/* ===================== the table ===================== */

static const hroute_t s_routes[] = {
    {HTTP_GET, "/health", b_none, NULL, NULL, R_NO_ENGINE},
    {HTTP_GET, "/ready", b_ready, rd_ready, NULL, R_OWN_ERRORS},
    {HTTP_GET, "/metrics", b_metrics, rd_metrics, NULL, R_TEXT},
    {HTTP_POST, "/api/v1/command", b_command, rd_command, NULL, R_OWN_ERRORS},
    {HTTP_GET, "/api/v1/keys", b_scan, rd_scan, NULL, 0},
    {HTTP_GET, "/api/v1/keys/:", b_key_get, rd_key_get, NULL, 0},
    {HTTP_PUT, "/api/v1/keys/:", b_key_set, rd_key_set, NULL, 0},
    {HTTP_DELETE, "/api/v1/keys/:", b_del, rd_convert, "deleted", 0},
    {HTTP_POST, "/api/v1/keys/:/incr", b_incr, rd_incr, NULL, 0},
    {HTTP_POST, "/api/v1/keys/:/expire", b_expire, rd_bool, "ok", 0},
    {HTTP_GET, "/api/v1/hash/:", b_hgetall, rd_object_404, NULL, 0},
    {HTTP_PUT, "/api/v1/hash/:", b_hset, rd_convert, "added", 0},
    {HTTP_POST, "/api/v1/hash/:", b_hset, rd_convert, "added", 0},
    {HTTP_DELETE, "/api/v1/hash/:", b_del, rd_convert, "deleted", 0},
    {HTTP_GET, "/api/v1/hash/:/:", b_hget, rd_convert_404, "value", 0},
    {HTTP_PUT, "/api/v1/hash/:/:", b_hset_field, rd_convert, "added", 0},
    {HTTP_DELETE, "/api/v1/hash/:/:", b_hdel, rd_convert, "deleted", 0},
    {HTTP_GET, "/api/v1/list/:", b_lrange, rd_convert, "values", 0},
    {HTTP_DELETE, "/api/v1/list/:", b_del, rd_convert, "deleted", 0},
    {HTTP_POST, "/api/v1/list/:/push", b_lpush, rd_convert, "length", 0},
    {HTTP_POST, "/api/v1/list/:/pop", b_lpop, rd_pop, NULL, 0},
    {HTTP_GET, "/api/v1/set/:", b_smembers, rd_convert, "members", 0},
    {HTTP_POST, "/api/v1/set/:", b_sadd, rd_convert, "added", 0},
    {HTTP_DELETE, "/api/v1/set/:", b_del, rd_convert, "deleted", 0},
    {HTTP_POST, "/api/v1/set/:/remove", b_srem, rd_convert, "removed", 0},
    {HTTP_DELETE, "/api/v1/set/:/:", b_srem_one, rd_convert, "removed", 0},
    {HTTP_GET, "/api/v1/zset/:", b_zrange, rd_zrange, NULL, 0},
    {HTTP_POST, "/api/v1/zset/:", b_zadd, rd_convert, "added", 0},
    {HTTP_DELETE, "/api/v1/zset/:", b_del, rd_convert, "deleted", 0},
    {HTTP_POST, "/api/v1/zset/:/remove", b_zrem, rd_convert, "removed", 0},
    {HTTP_DELETE, "/api/v1/zset/:/:", b_zrem_one, rd_convert, "removed", 0},
    {HTTP_POST, "/api/v1/publish/:", b_publish, rd_convert, "receivers", 0},
    {HTTP_POST, "/api/v1/ratelimit/:", b_ratelimit, rd_ratelimit, NULL, 0},
    {HTTP_GET, "/api/v1/search/hash", b_search_hash, rd_convert, "results", 0},
    {HTTP_GET, "/api/v1/events", b_events, NULL, NULL, 0},
    {HTTP_GET, "/api/v1/webhooks", b_webhook_list, rd_convert, "webhooks", 0},
    {HTTP_POST, "/api/v1/webhooks", b_webhook_add, rd_ok, NULL, 0},
    {HTTP_DELETE, "/api/v1/webhooks", b_webhook_del, rd_ok, NULL, 0},
    {HTTP_GET, "/api/v1/info", b_info, rd_info, NULL, 0},
    {HTTP_GET, "/api/v1/dbsize", b_dbsize, rd_convert, "dbsize", 0},
    {HTTP_POST, "/api/v1/flush", b_flush, rd_ok, NULL, 0},
    {HTTP_GET, "/api/v1/cluster/info", b_cluster_info, rd_cluster_info, NULL, R_OWN_ERRORS},
};
#define NROUTES (sizeof s_routes / sizeof s_routes[0])

/* Whether the request's path matches the route's; fills the captures. */
static int s_match(rctx_t *x, const char *path) {
    int seg = 0;
    x->ncap = 0;
    const char *p = path + 1;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t pl = e ? (size_t)(e - p) : strlen(p);
        if (seg >= x->nseg) return 0;
        size_t sl;
        const char *s = s_seg(x, seg, &sl);
        if (pl == 1 && p[0] == ':') {
            if (sl == 0 || x->ncap == 4) return 0;
            x->capv[x->ncap] = s;
            x->capn[x->ncap++] = sl;
        } else if (pl != sl || memcmp(p, s, sl) != 0) {
            return 0;
        }
        seg++;
        p += pl + (e ? 1 : 0);
    }
    return seg == x->nseg;
}

/* ===================== identity ===================== */

/* The identity of a parsed request: credentials, namespace and database as the prefix
 * commands will send them (the decoded ?db= value, the last one when repeated). */
static void s_identity(const rctx_t *x, buf_t *out) {
    const hreq_t *r = x->r;
    buf_clear(out);
    if (r->has_auth) buf_append(out, r->auth.data, r->auth.len);
    buf_put_u8(out, 0);
    if (r->has_ns) {
        buf_append_str(out, "ns:");
        buf_append(out, r->ns.data, r->ns.len);
        buf_put_u8(out, 0);
    }
    size_t n;
    const char *db = s_q(x, "db", &n);
    if (db) {
        buf_append_str(out, "db:");
        buf_append(out, db, n);
    }
}

void hapi_identity(const hreq_t *r, buf_t *out) {
    rctx_t x = {.r = (hreq_t *)r};
    buf_init(&x.scratch);
    if (s_parse_target(&x) < 0) x.nq = 0; /* the request fails in routing anyway */
    s_identity(&x, out);
    buf_free(&x.scratch);
}

/* AUTH from the Authorization header: "Bearer <password>" -> AUTH password; "Basic b64" ->
 * AUTH user password. */
static int s_prefix_auth(rctx_t *x) {
    const buf_t *h = &x->r->auth;
    const char *v = h->data ? h->data : "";
    size_t n = h->len;
    if (n > 7 && strncasecmp(v, "Bearer ", 7) == 0) {
        x->j->auth_at = x->j->ncmds;
        c_begin(x->j), c_argz(x->j, "AUTH"), c_arg(x->j, v + 7, n - 7), c_end(x->j);
        return 0;
    }
    if (n > 6 && strncasecmp(v, "Basic ", 6) == 0) {
        buf_t dec;
        buf_init(&dec);
        if (base64_decode(&dec, v + 6, n - 6) < 0 || !dec.len || !memchr(dec.data, ':', dec.len)) {
            buf_free(&dec);
            return s_fail(x, 401, "malformed Basic credentials");
        }
        const char *colon = memchr(dec.data, ':', dec.len);
        size_t ul = (size_t)(colon - dec.data);
        x->j->auth_at = x->j->ncmds;
        c_begin(x->j), c_argz(x->j, "AUTH");
        c_arg(x->j, dec.data, ul);
        c_arg(x->j, colon + 1, dec.len - ul - 1);
        c_end(x->j);
        buf_free(&dec);
        return 0;
    }
    return s_fail(x, 401, "unsupported Authorization scheme (use Bearer or Basic)");
}

static int s_prefix(rctx_t *x) {
    if (x->r->has_auth && s_prefix_auth(x) < 0) return -1;
    if (x->r->has_ns) {
        c_begin(x->j), c_argz(x->j, "NAMESPACE"), c_argz(x->j, "USE");
        c_arg(x->j, x->r->ns.data, x->r->ns.len), c_end(x->j);
    }
    size_t n;
    const char *db = s_q(x, "db", &n);
    if (db) {
        long long v;
        if (!str_to_ll(db, n, &v) || v < 0) return s_fail(x, 400, "'db' must be a database number");
        c_begin(x->j), c_argz(x->j, "SELECT"), c_arg(x->j, db, n), c_end(x->j);
    }
    x->j->nprefix = x->j->ncmds;
    return 0;
}

/* ===================== routing ===================== */

static void s_method_list(rctx_t *x, buf_t *allow) {
    for (size_t i = 0; i < NROUTES; i++) {
        if (!s_match(x, s_routes[i].path)) continue;
        if (allow->len) buf_append_str(allow, ", ");
        buf_append_str(allow, http_method_str((enum http_method)s_routes[i].method));
    }
    if (allow->len) buf_append_str(allow, ", OPTIONS");
}

void hapi_route(hapi_t *a, hreq_t *r, hjob_t *j, buf_t *identity) {
    rctx_t x = {.a = a, .r = r, .j = j};
    buf_init(&x.scratch);
    j->keep_alive = r->keep_alive;
    if (s_parse_target(&x) < 0) goto fail;
    const hroute_t *rt = NULL;
    int path_known = 0;
    for (size_t i = 0; i < NROUTES && !rt; i++) {
        if (!s_match(&x, s_routes[i].path)) continue;
        path_known = 1;
        if (s_routes[i].method == r->method) rt = &s_routes[i];
    }
    if (!rt) {
        if (!path_known) {
            s_fail(&x, 404, "no such route");
            goto fail;
        }
        buf_t allow;
        buf_init(&allow);
        s_method_list(&x, &allow);
        buf_printf(&j->xhdr, "Allow: %.*s\r\n", (int)allow.len, allow.data);
        if (r->method == HTTP_OPTIONS) { /* CORS preflight */
            if (a->cors_origin && a->cors_origin[0])
                buf_printf(&j->xhdr,
                           "Access-Control-Allow-Methods: %.*s\r\nAccess-Control-Allow-Headers: "
                           "Authorization, Content-Type, X-Vole-Namespace, Last-Event-ID\r\n"
                           "Access-Control-Max-Age: 600\r\n",
                           (int)allow.len, allow.data);
            buf_free(&allow);
            s_respond(a, j, 204, NULL, "", 0);
            goto out;
        }
        buf_free(&allow);
        s_fail(&x, 405, "method %s not allowed here", http_method_str((enum http_method)r->method));
        goto fail;
    }
    j->route = rt;
    if (rt->flags & R_NO_ENGINE) {
        buf_t b;
        buf_init(&b);
        buf_append_str(&b, "{\"status\":\"ok\"}");
        s_respond_json(a, j, 200, &b);
        buf_free(&b);
        goto out;
    }
    if (!a->engine_up) {
        s_fail(&x, 503, "engine unavailable");
        goto fail;
    }
    buf_t id;
    buf_init(&id);
    s_identity(&x, &id);
    if (id.len != identity->len || memcmp(id.data, identity->data, id.len) != 0) {
        j->reopen = 1;
        buf_clear(identity);
        buf_append(identity, id.data, id.len);
        if (s_prefix(&x) < 0) {
            buf_free(&id);
            buf_clear(identity); /* nothing was opened: the next request starts afresh */
            goto fail;
        }
    }
    buf_free(&id);
    if (rt->build(&x) < 0) {
        if (j->reopen) buf_clear(identity);
        goto fail;
    }
    if (j->ncmds == 0) {
        s_fail(&x, 500, "route built no command");
        goto fail;
    }
    goto out;
fail:
    j->ncmds = j->nprefix = 0;
    j->reopen = 0;
    j->sse = 0;
    buf_clear(&j->cmds);
    s_respond_error(a, j, x.err_status ? x.err_status : 400, x.err, strlen(x.err));
out:
    if (x.body) json_decref(x.body);
    buf_free(&x.scratch);
}

/* ===================== replies ===================== */

/* An error among the prefix replies: a refused AUTH is 401; an AUTH the engine cannot check
 * (no password configured, or no AUTH command yet) lets the request through, as Redis does for
 * clients that send a password to a server without one. */
static int s_prefix_error(hjob_t *j, const char **msg, size_t *n) {
    for (int i = 0; i < j->nprefix; i++) {
        const char *p = j->replies.data + j->roff[i], *end = j->replies.data + j->roff[i + 1];
        r3_val_t v;
        if (r3_next(&p, end, &v) != 1 || !r3_is_error(&v)) continue;
        if (i == j->auth_at) {
            int refused = (v.len >= 9 && memcmp(v.s, "WRONGPASS", 9) == 0) ||
                          (v.len >= 20 && memcmp(v.s, "ERR invalid password", 20) == 0);
            if (!refused) continue;
            *msg = v.s, *n = v.len;
            return 401;
        }
        *msg = v.s, *n = v.len;
        return s_error_status(v.s, v.len);
    }
    return 0;
}

static void s_render(hapi_t *a, hjob_t *j) {
    const char *msg;
    size_t n;
    int st = s_prefix_error(j, &msg, &n);
    if (st) {
        j->close_after = 1; /* the engine client is in an unknown state: start afresh */
        j->keep_alive = 0;
        s_respond_error(a, j, st, msg, n);
        return;
    }
    if (!(j->route->flags & R_OWN_ERRORS)) {
        for (int i = 0; i < j->ncmds - j->nprefix; i++) {
            r3_val_t v;
            if (s_rep_val(j, i, &v) == 1 && r3_is_error(&v)) {
                s_respond_error(a, j, s_error_status(v.s, v.len), v.s, v.len);
                return;
            }
        }
    }
    buf_t body;
    buf_init(&body);
    int status = j->route->render(a, j, &body);
    if (status == 500 && body.len == 0) buf_append_str(&body, "{\"error\":\"unexpected reply from the engine\"}");
    if (j->route->flags & R_TEXT && status == 200)
        s_respond(a, j, status, "text/plain; version=0.0.4; charset=utf-8", body.data ? body.data : "",
                  body.len);
    else s_respond_json(a, j, status, &body);
    buf_free(&body);
}

/* One event of a stream: message [channel, payload] or pmessage [pattern, channel, payload]. */
static void s_sse_event(hapi_t *a, hjob_t *j, const r3_val_t *kind, const char *p,
                        const char *end, buf_t *out) {
    int pm = kind->len == 8;
    r3_val_t pat = {0}, ch, msg;
    if (pm && r3_next(&p, end, &pat) != 1) return;
    if (r3_next(&p, end, &ch) != 1 || r3_next(&p, end, &msg) != 1) return;
    j->sse_id++;
    a->sse_events++;
    buf_printf(out, "id: %lld\nevent: message\ndata: {\"channel\":", j->sse_id);
    json_bytes(out, ch.s, ch.len);
    if (pm) {
        buf_append_str(out, ",\"pattern\":");
        json_bytes(out, pat.s, pat.len);
    }
    buf_append_str(out, ",\"message\":");
    json_bytes(out, msg.s, msg.len);
    /* keyspace notifications name the key and the event, one in the channel, one in the
     * message */
    static const char *const pre[] = {"__keyspace@", "__keyevent@"};
    for (int k = 0; k < 2; k++) {
        size_t pl = strlen(pre[k]);
        if (ch.len <= pl || memcmp(ch.s, pre[k], pl) != 0) continue;
        const char *sep = memmem(ch.s + pl, ch.len - pl, "__:", 3);
        if (!sep) continue;
        long long db;
        if (!str_to_ll(ch.s + pl, (size_t)(sep - ch.s - pl), &db)) continue;
        const char *rest = sep + 3;
        size_t rl = ch.len - (size_t)(rest - ch.s);
        buf_printf(out, ",\"db\":%lld,\"key\":", db);
        json_bytes(out, k == 0 ? rest : msg.s, k == 0 ? rl : msg.len);
        buf_append_str(out, ",\"event\":");
        json_bytes(out, k == 0 ? msg.s : rest, k == 0 ? msg.len : rl);
    }
    buf_append_str(out, "}\n\n");
}

static void s_sse_reply(hapi_t *a, hjob_t *j, const char *p, size_t len, buf_t *out) {
    const char *end = p + len;
    r3_val_t v, kind;
    if (r3_next(&p, end, &v) != 1) return;
    if (v.type != '>' && v.type != '*') return;
    if (v.n < 1 || r3_next(&p, end, &kind) != 1 || !r3_is_str(&kind)) return;
    if ((kind.len == 7 && !memcmp(kind.s, "message", 7)) ||
        (kind.len == 8 && !memcmp(kind.s, "pmessage", 8)))
        s_sse_event(a, j, &kind, p, end, out);
}

static void s_sse_start(hapi_t *a, hjob_t *j, buf_t *out) {
    buf_append_str(out, "HTTP/1.1 200 OK\r\nServer: vole\r\nContent-Type: text/event-stream\r\n"
                        "Cache-Control: no-cache\r\nConnection: close\r\nX-Accel-Buffering: no\r\n");
    s_cors(a, out);
    buf_append_str(out, "\r\n: subscribed\nretry: 2000\n\n");
    j->sse_started = 1;
    j->status = 200;
    j->close_after = 1;
}

static void s_store(hjob_t *j, const char *p, size_t len) {
    if ((size_t)j->got + 2 > j->roff_cap) {
        j->roff_cap = j->roff_cap ? j->roff_cap * 2 : 8;
        while (j->roff_cap < (size_t)j->got + 2) j->roff_cap *= 2;
        j->roff = realloc(j->roff, j->roff_cap * sizeof *j->roff);
        if (!j->roff) abort();
    }
    j->roff[j->got] = j->replies.len;
    buf_append(&j->replies, p, len);
    j->roff[++j->got] = j->replies.len;
}

int hapi_reply(hapi_t *a, hjob_t *j, const char *p, size_t len, buf_t *out) {
    r3_val_t v, kind;
    const char *q = p, *end = p + len;
    if (r3_next(&q, end, &v) != 1) return 0;
    int is_push = v.type == '>';
    if (j->sse && j->sse_started) {
        if (r3_is_error(&v)) { /* a later subscription was refused: say so and end */
            buf_append_str(out, "event: error\ndata: {\"error\":");
            json_bytes(out, v.s, v.len);
            buf_append_str(out, "}\n\n");
            return 2;
        }
        s_sse_reply(a, j, p, len, out);
        return 0;
    }
    if (is_push && !j->sse) return 0; /* e.g. client tracking invalidations: not an answer */
    if (!is_push) {
        if (j->got >= j->ncmds) return 0;
        s_store(j, p, len);
        if (!j->sse) {
            if (j->got < j->ncmds) return 0;
            s_render(a, j);
            return 1;
        }
        if (j->got < j->nprefix) return 0;
        const char *msg;
        size_t n;
        int st = 0;
        if (j->got == j->nprefix) {
            st = s_prefix_error(j, &msg, &n);
            if (!st) return 0;
        } else { /* SUBSCRIBE answers with pushes; anything else is its error */
            msg = v.s, n = v.len;
            st = r3_is_error(&v) ? s_error_status(v.s, v.len) : 500;
        }
        j->keep_alive = 0;
        s_respond_error(a, j, st, msg ? msg : "", msg ? n : 0);
        return 1;
    }
    /* a push on a stream that has not started: confirmations, or a message that another
     * client published between our SUBSCRIBE and PSUBSCRIBE */
    if (v.n >= 1 && r3_next(&q, end, &kind) == 1 && r3_is_str(&kind) &&
        ((kind.len == 9 && !memcmp(kind.s, "subscribe", 9)) ||
         (kind.len == 10 && !memcmp(kind.s, "psubscribe", 10)))) {
        if (--j->sse_pending <= 0) s_sse_start(a, j, out);
        return 0;
    }
    s_sse_start(a, j, out);
    s_sse_reply(a, j, p, len, out);
    return 0;
}

void hapi_sse_heartbeat(buf_t *out) { buf_append_str(out, ": keepalive\n\n"); }

void hapi_account(hapi_t *a, hjob_t *j, int64_t now) {
    static const double bounds[HAPI_NBUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                 0.01,   0.025,   0.05,   0.1,   0.5,    1.0};
    int cls = j->status / 100;
    if (cls >= 1 && cls <= 5) a->responses[cls]++;
    double s = (double)(now - j->start_us) / 1e6;
    int b = 0;
    while (b < HAPI_NBUCKETS && s > bounds[b]) b++;
    a->latency_buckets[b]++;
    a->latency_sum += s;
    a->latency_count++;
}
