/* JSON documents: the OBJ_JSON type (a jansson tree per key) and the RedisJSON-compatible
 * JSON.* commands, with RedisJSON 2.x's reply shapes: a path starting with '$' is a JSONPath
 * and answers with one entry per match; any other path is a legacy path ("." / ".a" / "a",
 * rewritten to "$" / "$.a") that answers with the first match alone and errors when nothing
 * matches. Every command is deterministic, so its own argv is its effect (replayed as is).
 * Documents are kept as trees, not text: updates at a path touch only the nodes involved. */
#include "engine/types/t_json.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/effects.h"
#include "engine/snapshot.h"
#include "engine/types/jsonpath.h"
#include "shared/util.h"

/* Redis's keyspace-event class for module types ('d'), which RedisJSON's events use. */
#define NOTIFY_JSON (1 << 13)

#define ERR_NO_KEY_OP "-ERR could not perform this operation on a key that doesn't exist"
#define ERR_NOT_ROOT "-ERR new objects must be created at the root"
#define ERR_TOO_DEEP "-ERR the document would nest deeper than 128 levels"

/* ===================== encoding helpers ===================== */

static size_t s_depth_rec(const json_t *v, size_t lvl) {
    size_t best = lvl;
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            size_t d = s_depth_rec(json_array_get(v, i), lvl + 1);
            if (d > best) best = d;
        }
        return best > lvl ? best : lvl + 1;
    }
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c) {
            size_t d = s_depth_rec(c, lvl + 1);
            if (d > best) best = d;
        }
        return best > lvl ? best : lvl + 1;
    }
    return lvl;
}

size_t json_type_depth(const json_t *v) { return s_depth_rec(v, 0); }

static void s_ser_int(buf_t *b, json_int_t v) {
    char d[22];
    size_t n = 0;
    uint64_t u = (uint64_t)v;
    if (v < 0) {
        d[n++] = '-';
        u = 0 - u;
    }
    n += (size_t)ull_to_str(d + n, u);
    buf_append(b, d, n);
}

/* The shortest decimal digits that read back as d (d finite, non-zero, positive): digits in
 * out (no dot, no trailing zeros) and the decimal exponent of the first one. */
static size_t s_shortest_digits(double d, char *out, int *exp10) {
    /* common case, 1e-5 <= d < 1e15: the first k for which some m / 10^k == d exactly
     * (m < 2^53 and 10^k <= 10^22 are exact doubles, so the division is correctly rounded,
     * as strtod's reading of the decimal is) gives the fewest digits */
    if (d >= 1e-5 && d < 1e15) {
        double scale = 1;
        for (int k = 0; k <= 22; k++, scale *= 10) {
            double x = d * scale;
            if (x >= 9007199254740992.0) break;
            double m0 = floor(x + 0.5);
            for (int delta = -1; delta <= 1; delta++) {
                double m = m0 + delta;
                if (m <= 0 || m / scale != d) continue;
                char tmp[24];
                int n = ull_to_str(tmp, (unsigned long long)m);
                *exp10 = n - 1 - k;
                while (n > 1 && tmp[n - 1] == '0')
                    n--;
                memcpy(out, tmp, (size_t)n);
                return (size_t)n;
            }
        }
    }
    /* otherwise the shortest %.*e that reads back; for a normal double, rounding to 15
     * digits gives the shortest form when it has at most 15 (its relative spacing is below
     * half a unit of the 15th digit); subnormals try every length */
    char tmp[40];
    for (int prec = d < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
        if (strtod(tmp, NULL) == d) break;
    }
    size_t nd = 0;
    const char *e = strchr(tmp, 'e');
    for (const char *q = tmp; q < e; q++)
        if (*q != '.') out[nd++] = *q;
    while (nd > 1 && out[nd - 1] == '0')
        nd--;
    *exp10 = atoi(e + 1);
    return nd;
}

void json_type_format_double(buf_t *b, double d) {
    if (!isfinite(d)) { /* never stored (parsing and arithmetic refuse them) */
        buf_append_str(b, "null");
        return;
    }
    if (d == 0) {
        buf_append_str(b, signbit(d) ? "-0.0" : "0.0");
        return;
    }
    if (d < 0) {
        buf_append(b, "-", 1);
        d = -d;
    }
    /* the shortest digits, then ryu's layout as serde_json prints it */
    char digits[32];
    int exp10;
    size_t nd = s_shortest_digits(d, digits, &exp10);
    int kk = exp10 + 1; /* position of the decimal point after the first digit */
    int k = kk - (int)nd;
    if (k >= 0 && kk <= 16) {
        buf_append(b, digits, nd);
        for (int i = 0; i < k; i++)
            buf_append(b, "0", 1);
        buf_append(b, ".0", 2);
    } else if (kk > 0 && kk <= 16) {
        buf_append(b, digits, (size_t)kk);
        buf_append(b, ".", 1);
        buf_append(b, digits + kk, nd - (size_t)kk);
    } else if (kk > -5 && kk <= 0) {
        buf_append(b, "0.", 2);
        for (int i = 0; i < -kk; i++)
            buf_append(b, "0", 1);
        buf_append(b, digits, nd);
    } else {
        buf_append(b, digits, 1);
        if (nd > 1) {
            buf_append(b, ".", 1);
            buf_append(b, digits + 1, nd - 1);
        }
        buf_printf(b, "e%d", kk - 1);
    }
}

static void s_ser_string(buf_t *b, const char *p, size_t n) {
    static const char hex[] = "0123456789abcdef";
    buf_append(b, "\"", 1);
    size_t run = 0, i = 0;
    for (;;) {
        /* bytes that need no escape go out in runs */
        while (i < n && (unsigned char)p[i] >= 0x20 && p[i] != '"' && p[i] != '\\')
            i++;
        buf_append(b, p + run, i - run);
        if (i == n) break;
        unsigned char ch = (unsigned char)p[i];
        char e[6] = {'\\', 0};
        size_t elen = 2;
        switch (ch) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        default:
            memcpy(e, "\\u00", 4);
            e[4] = hex[ch >> 4];
            e[5] = hex[ch & 15];
            elen = 6;
        }
        buf_append(b, e, elen);
        run = ++i;
    }
    buf_append(b, "\"", 1);
}

static void s_newline(buf_t *b, const json_fmt_t *f, int level) {
    if (!f) return;
    if (f->newline) buf_append(b, f->newline, f->newline_len);
    if (f->indent)
        for (int i = 0; i < level; i++)
            buf_append(b, f->indent, f->indent_len);
}

static void s_ser(buf_t *b, const json_t *v, const json_fmt_t *f, int level) {
    switch (json_typeof(v)) {
    case JSON_NULL: buf_append(b, "null", 4); break;
    case JSON_TRUE: buf_append(b, "true", 4); break;
    case JSON_FALSE: buf_append(b, "false", 5); break;
    case JSON_INTEGER: s_ser_int(b, json_integer_value(v)); break;
    case JSON_REAL: json_type_format_double(b, json_real_value(v)); break;
    case JSON_STRING: s_ser_string(b, json_string_value(v), json_string_length(v)); break;
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        buf_append(b, "[", 1);
        for (size_t i = 0; i < n; i++) {
            if (i) buf_append(b, ",", 1);
            s_newline(b, f, level + 1);
            s_ser(b, json_array_get(v, i), f, level + 1);
        }
        if (n) s_newline(b, f, level);
        buf_append(b, "]", 1);
        break;
    }
    case JSON_OBJECT: {
        const char *k;
        size_t kl;
        json_t *c;
        int first = 1;
        buf_append(b, "{", 1);
        json_object_keylen_foreach((json_t *)v, k, kl, c) {
            if (!first) buf_append(b, ",", 1);
            first = 0;
            s_newline(b, f, level + 1);
            s_ser_string(b, k, kl);
            buf_append(b, ":", 1);
            if (f && f->space) buf_append(b, f->space, f->space_len);
            s_ser(b, c, f, level + 1);
        }
        if (!first) s_newline(b, f, level);
        buf_append(b, "}", 1);
        break;
    }
    }
}

void json_type_serialize(buf_t *b, const json_t *v, const json_fmt_t *fmt) { s_ser(b, v, fmt, 0); }

/* jansson's node sizes (its structs are private): header, and per member/slot costs. */
size_t json_type_mem(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_NULL:
    case JSON_TRUE:
    case JSON_FALSE: return 0; /* shared singletons */
    case JSON_INTEGER:
    case JSON_REAL: return 32;
    case JSON_STRING: return 32 + json_string_length(v) + 1;
    case JSON_ARRAY: {
        size_t n = json_array_size(v), sum = 48 + n * 8;
        for (size_t i = 0; i < n; i++)
            sum += json_type_mem(json_array_get(v, i));
        return sum;
    }
    case JSON_OBJECT: {
        size_t n = json_object_size(v), buckets = 8, sum;
        while (buckets < n)
            buckets *= 2;
        sum = 80 + buckets * 16;
        const char *k;
        size_t kl;
        json_t *c;
        json_object_keylen_foreach((json_t *)v, k, kl, c) { sum += 64 + kl + json_type_mem(c); }
        return sum;
    }
    }
    return 0;
}

const char *json_type_name(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_NULL: return "null";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_STRING: return "string";
    case JSON_ARRAY: return "array";
    case JSON_OBJECT: return "object";
    }
    return "null";
}

/* ===================== the type ===================== */

vobj_t *json_type_create(json_t *root) {
    vobj_t *o = calloc(1, sizeof *o);
    if (!o) abort();
    o->type = OBJ_JSON;
    o->enc = ENC_RAW;
    o->v.p = root;
    return o;
}

static void s_free(vobj_t *o) { json_decref(o->v.p); }

static vobj_t *s_dup(const vobj_t *o) { return json_type_create(json_deep_copy(o->v.p)); }

static size_t s_mem(const vobj_t *o) { return sizeof *o + json_type_mem(o->v.p); }

/* Snapshots hold the compact text: compact, and independent of jansson's layout. */
static void s_save(const vobj_t *o, snap_writer_t *w) {
    buf_t b;
    buf_init(&b);
    json_type_serialize(&b, o->v.p, NULL);
    snap_put_bytes(w, b.data, b.len);
    buf_free(&b);
}

static vobj_t *s_load(engine_t *e, snap_reader_t *r) {
    (void)e;
    const char *p;
    size_t len;
    if (snap_get_bytes(r, &p, &len)) return NULL;
    char err[200];
    json_t *v = json_type_parse(p, len, err, sizeof err);
    if (!v) {
        snap_fail(r, "malformed JSON document");
        return NULL;
    }
    return json_type_create(v);
}

static const obj_type_t s_json_type = {"ReJSON-RL", s_free, s_dup, s_mem, s_save, s_load};

__attribute__((constructor)) static void s_register_type(void) {
    obj_register_type(OBJ_JSON, &s_json_type);
}

/* ===================== command helpers ===================== */

/* A path argument: compiled, with RedisJSON's legacy rewriting. */
typedef struct {
    jp_path_t *jp;
    int legacy;
    const char *orig; /* as given */
    size_t olen;
    char *fixed; /* the JSONPath text ("$.a" for ".a" or "a"); NUL-terminated */
    int is_root; /* the path is exactly "$" after rewriting */
} s_path_t;

static void s_path_free(s_path_t *p) {
    jp_free(p->jp);
    free(p->fixed);
    p->jp = NULL;
    p->fixed = NULL;
}

static int s_path_parse(const char *s, size_t n, s_path_t *p, char *err, size_t errlen) {
    memset(p, 0, sizeof *p);
    p->orig = s;
    p->olen = n;
    p->legacy = !(n > 0 && s[0] == '$');
    const char *prefix = "";
    size_t skip = 0;
    if (p->legacy) {
        if (n == 1 && s[0] == '.')
            skip = 1, prefix = "$";
        else if (n > 0 && s[0] == '.')
            prefix = "$";
        else
            prefix = "$.";
    }
    size_t pl = strlen(prefix);
    p->fixed = malloc(pl + n - skip + 1);
    if (!p->fixed) abort();
    memcpy(p->fixed, prefix, pl);
    memcpy(p->fixed + pl, s + skip, n - skip);
    size_t fl = pl + n - skip;
    p->fixed[fl] = '\0';
    p->jp = jp_compile(p->fixed, fl, err, errlen);
    if (!p->jp) {
        free(p->fixed);
        p->fixed = NULL;
        return -1;
    }
    p->is_root = fl == 1;
    return 0;
}

static int s_path_or_reply(client_t *c, const proto_arg_t *a, s_path_t *p) {
    char err[300];
    if (s_path_parse(a->ptr, a->len, p, err + 5, sizeof err - 5) == 0) return 0;
    memcpy(err, "-ERR ", 5);
    reply_error(c, err);
    return -1;
}

/* The default path of commands whose path is optional: "." (the legacy root) in RESP2,
 * "$" in RESP3, as RedisJSON. */
static const proto_arg_t *s_default_path(const client_t *c) {
    static const proto_arg_t dot = {".", 1}, dollar = {"$", 1};
    return c->resp == 3 ? &dollar : &dot;
}

static int s_opt_path_or_reply(client_t *c, int idx, s_path_t *p) {
    return s_path_or_reply(c, idx < c->argc ? &c->argv[idx] : s_default_path(c), p);
}

static json_t *s_value_or_reply(client_t *c, const proto_arg_t *a) {
    char err[300];
    json_t *v = json_type_parse(a->ptr, a->len, err, sizeof err);
    if (!v) reply_error(c, err);
    return v;
}

/* The document at key for reading; NULL when missing (*wrongtype tells if it replied). */
static json_t *s_doc_read(client_t *c, const proto_arg_t *key, int *wrongtype) {
    vobj_t *o = lookup_read_or_reply_type(c, key, OBJ_JSON, wrongtype);
    return o ? o->v.p : NULL;
}

static vobj_t *s_doc_write(client_t *c, const proto_arg_t *key, int *wrongtype) {
    return lookup_write_or_reply_type(c, key, OBJ_JSON, wrongtype);
}

/* The matches of a path over a document, evaluated once per command. */
static void s_eval(const s_path_t *p, json_t *doc, jp_matches_t *m) { jp_eval(p->jp, doc, 0, m); }

/* Read commands with an optional path (argv[2]): parses it and looks the document up.
 * Returns 1 with both, 0 when the key is missing (nothing replied yet), -1 after replying
 * (bad path, wrong type). With >= 0 the caller frees p. */
static int s_read_begin(client_t *c, s_path_t *p, json_t **doc) {
    if (s_opt_path_or_reply(c, 2, p)) return -1;
    int wrongtype;
    *doc = s_doc_read(c, &c->argv[1], &wrongtype);
    if (wrongtype) {
        s_path_free(p);
        return -1;
    }
    return *doc ? 1 : 0;
}

/* s_read_begin, then nil for a missing key, else the path's matches in m: returns 1 when
 * the caller has matches to answer with (and frees p and m), 0 when all is done. */
static int s_read_matches(client_t *c, s_path_t *p, jp_matches_t *m) {
    json_t *doc;
    int found = s_read_begin(c, p, &doc);
    if (found < 0) return 0;
    if (!found) {
        reply_null(c);
        s_path_free(p);
        return 0;
    }
    s_eval(p, doc, m);
    return 1;
}

/* For commands that need the key to exist: replies the RedisJSON error when it does not. */
static vobj_t *s_doc_write_existing(client_t *c, const proto_arg_t *key) {
    int wrongtype;
    vobj_t *o = s_doc_write(c, key, &wrongtype);
    if (!o && !wrongtype) reply_error(c, ERR_NO_KEY_OP);
    return o;
}

static void s_written(client_t *c, const proto_arg_t *key, const char *event) {
    signal_modified_key(c->eng, c->db, key->ptr, key->len);
    notify_keyspace_event(c->eng, NOTIFY_JSON, event, key->ptr, key->len, c->db->id);
    c->eng->stats.dirty++;
}

/* Replaces the node a match names (the root when it has no parent) with v (stolen). */
static void s_replace(vobj_t *o, const jp_match_t *m, json_t *v) {
    if (!m->parent) {
        json_decref(o->v.p);
        o->v.p = v;
    } else if (json_is_object(m->parent)) {
        json_object_setn_new_nocheck(m->parent, m->key, m->klen, v);
    } else {
        json_array_set_new(m->parent, m->idx, v);
    }
}

/* Before changing a document at several matches: each match keeps its node and parent alive
 * and owns a copy of its member name, so that changing one match (which may hold or move
 * another: $..a inside an a) never leaves another pointing at freed memory. */
static void s_pin(jp_matches_t *m) {
    for (size_t i = 0; i < m->n; i++) {
        jp_match_t *x = &m->v[i];
        json_incref(x->node);
        if (x->parent) json_incref(x->parent);
        if (x->key) {
            char *k = malloc(x->klen + 1);
            if (!k) abort();
            memcpy(k, x->key, x->klen);
            k[x->klen] = '\0';
            x->key = k;
        }
    }
}

static void s_unpin(jp_matches_t *m) {
    for (size_t i = 0; i < m->n; i++) {
        jp_match_t *x = &m->v[i];
        json_decref(x->node);
        if (x->parent) json_decref(x->parent);
        free((char *)x->key);
        x->key = NULL;
    }
}

/* Whether a match still sits where it was found (an earlier change may have removed it). */
static int s_in_place(const vobj_t *o, const jp_match_t *m) {
    if (!m->parent) return o->v.p == m->node;
    if (json_is_object(m->parent)) return json_object_getn(m->parent, m->key, m->klen) == m->node;
    return m->idx < json_array_size(m->parent) && json_array_get(m->parent, m->idx) == m->node;
}

static void s_reply_serialized(client_t *c, const json_t *v, const json_fmt_t *f) {
    buf_t b;
    buf_init(&b);
    json_type_serialize(&b, v, f);
    reply_bulk(c, b.data, b.len);
    buf_free(&b);
}

/* The first match of type t (or any type when t < 0) for a legacy path, else replies the
 * "does not exist" error naming path; NULL then. */
static json_t *s_first_or_reply(client_t *c, json_t *doc, const s_path_t *p, const char *name) {
    jp_matches_t m = {0};
    s_eval(p, doc, &m);
    json_t *v = m.n ? m.v[0].node : NULL;
    jp_matches_free(&m);
    if (!v) reply_errorf(c, "Path '%s' does not exist", name);
    return v;
}

static void s_reply_wrong_type(client_t *c, const char *expected, const json_t *found) {
    reply_errorf(c, "-WRONGTYPE wrong type of path value - expected %s but found %s", expected,
                 json_type_name(found));
}

/* ===================== JSON.SET JSON.MERGE ===================== */

/* RFC 7396 merge of patch (stolen) into *slot, as RedisJSON's JSON.MERGE. */
static json_t *s_merge(json_t *doc, json_t *patch) {
    if (!json_is_object(patch)) {
        json_decref(doc);
        return patch;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        doc = json_object();
    }
    const char *k;
    size_t kl;
    json_t *v;
    json_object_keylen_foreach(patch, k, kl, v) {
        if (json_is_null(v)) {
            json_object_deln(doc, k, kl);
            continue;
        }
        json_t *cur = json_object_getn(doc, k, kl);
        json_t *merged = s_merge(cur ? json_incref(cur) : json_null(), json_incref(v));
        json_object_setn_new_nocheck(doc, k, kl, merged);
    }
    json_decref(patch);
    return doc;
}

enum { SET_NONE, SET_NX, SET_XX, SET_MERGE };

/* Sets (or merges) val at the places path names in an existing document, adding the last
 * member when the path is static and its parent exists. Returns 1 when something changed,
 * 0 when nothing did, -1 after replying an error. val is not consumed. */
static int s_set_at(client_t *c, vobj_t *o, const s_path_t *p, json_t *val, int mode) {
    json_t *doc = o->v.p;
    size_t vdepth = json_type_depth(val);
    jp_matches_t m = {0};
    int changed = 0;
    if (mode != SET_NX) s_eval(p, doc, &m);
    if (m.n > 0) {
        for (size_t i = 0; i < m.n; i++)
            if (m.v[i].depth + vdepth > JSON_MAX_DEPTH) {
                jp_matches_free(&m);
                reply_error(c, ERR_TOO_DEEP);
                return -1;
            }
        s_pin(&m);
        for (size_t i = 0; i < m.n; i++) {
            if (!s_in_place(o, &m.v[i])) continue;
            json_t *nv = json_deep_copy(val);
            if (mode == SET_MERGE) nv = s_merge(json_incref(m.v[i].node), nv);
            s_replace(o, &m.v[i], nv);
        }
        s_unpin(&m);
        jp_matches_free(&m);
        return 1;
    }
    jp_matches_free(&m);
    if (mode == SET_XX) return 0;
    if (!jp_is_static(p->jp)) {
        reply_error(c, "wrong static path");
        return -1;
    }
    const char *name;
    size_t nlen;
    if (!jp_last_name(p->jp, &name, &nlen)) {
        /* an index: out of range, or NX on an element that exists */
        s_eval(p, doc, &m);
        size_t n = m.n;
        jp_matches_free(&m);
        if (n == 0) {
            reply_error(c, "array index out of range");
            return -1;
        }
        return 0;
    }
    jp_eval(p->jp, doc, 1, &m);
    for (size_t i = 0; i < m.n; i++)
        if (json_is_object(m.v[i].node) && m.v[i].depth + 1 + vdepth > JSON_MAX_DEPTH) {
            jp_matches_free(&m);
            reply_error(c, ERR_TOO_DEEP);
            return -1;
        }
    s_pin(&m);
    for (size_t i = 0; i < m.n; i++) {
        json_t *parent = m.v[i].node;
        if (!json_is_object(parent) || json_object_getn(parent, name, nlen)) continue;
        json_object_setn_new_nocheck(parent, name, nlen, json_deep_copy(val));
        changed = 1;
    }
    s_unpin(&m);
    jp_matches_free(&m);
    return changed;
}

static void s_set_generic(client_t *c, int mode) {
    const proto_arg_t *key = &c->argv[1];
    const char *event = mode == SET_MERGE ? "json.merge" : "json.set";
    for (int i = 4; i < c->argc; i++) {
        if (mode != SET_MERGE && arg_is(&c->argv[i], "NX") && mode == SET_NONE)
            mode = SET_NX;
        else if (mode != SET_MERGE && arg_is(&c->argv[i], "XX") && mode == SET_NONE)
            mode = SET_XX;
        else if (arg_is(&c->argv[i], "FORMAT") && i + 1 < c->argc && c->argv[i + 1].len == 4 &&
                 memcmp(c->argv[i + 1].ptr, "JSON", 4) == 0)
            i++;
        else if (arg_is(&c->argv[i], "FORMAT") && i + 1 < c->argc) {
            reply_errorf(c, "wrong format %.*s", (int)c->argv[i + 1].len, c->argv[i + 1].ptr);
            return;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    s_path_t p;
    if (s_path_or_reply(c, &c->argv[2], &p)) return;
    int wrongtype;
    vobj_t *o = s_doc_write(c, key, &wrongtype);
    json_t *val = NULL;
    if (wrongtype || !(val = s_value_or_reply(c, &c->argv[3]))) goto done;
    if (!o) {
        if (mode == SET_XX) {
            reply_null(c);
        } else if (!p.is_root) {
            reply_error(c, ERR_NOT_ROOT);
        } else {
            db_add(c->eng, c->db, key->ptr, key->len, json_type_create(json_incref(val)));
            s_written(c, key, event);
            reply_ok(c);
        }
        goto done;
    }
    if (p.is_root) {
        if (mode == SET_NX) {
            reply_null(c);
            goto done;
        }
        o->v.p = mode == SET_MERGE ? s_merge(o->v.p, json_incref(val))
                                   : (json_decref(o->v.p), json_incref(val));
        s_written(c, key, event);
        reply_ok(c);
        goto done;
    }
    int r = s_set_at(c, o, &p, val, mode);
    if (r < 0) goto done;
    if (r > 0) {
        s_written(c, key, event);
        reply_ok(c);
    } else {
        reply_null(c);
    }
done:
    if (val) json_decref(val);
    s_path_free(&p);
}

static void cmd_json_set(client_t *c) { s_set_generic(c, SET_NONE); }

static void cmd_json_merge(client_t *c) {
    if (c->argc > 4) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    s_set_generic(c, SET_MERGE);
}

/* ===================== JSON.GET JSON.MGET JSON.TYPE ===================== */

/* Serialises the answer for one path: the first match (legacy) or the array of matches.
 * Returns -1 when a legacy path matches nothing (nothing appended). */
static int s_ser_path(buf_t *b, json_t *doc, const s_path_t *p, int legacy, const json_fmt_t *f,
                      int level) {
    jp_matches_t m = {0};
    s_eval(p, doc, &m);
    if (legacy && m.n == 0) {
        jp_matches_free(&m);
        return -1;
    }
    if (legacy) {
        s_ser(b, m.v[0].node, f, level);
    } else {
        json_t *arr = json_array();
        for (size_t i = 0; i < m.n; i++)
            json_array_append(arr, m.v[i].node);
        s_ser(b, arr, f, level);
        json_decref(arr);
    }
    jp_matches_free(&m);
    return 0;
}

static void cmd_json_get(client_t *c) {
    json_fmt_t f = {0};
    int npaths = 0, anyfmt = 0;
    const proto_arg_t **paths = calloc((size_t)c->argc, sizeof *paths);
    if (!paths) abort();
    for (int i = 2; i < c->argc; i++) {
        const proto_arg_t *a = &c->argv[i];
        int opt = a->len <= 8 && i + 1 < c->argc;
        if (opt && arg_is(a, "INDENT")) {
            f.indent = c->argv[++i].ptr, f.indent_len = c->argv[i].len, anyfmt = 1;
        } else if (opt && arg_is(a, "NEWLINE")) {
            f.newline = c->argv[++i].ptr, f.newline_len = c->argv[i].len, anyfmt = 1;
        } else if (opt && arg_is(a, "SPACE")) {
            f.space = c->argv[++i].ptr, f.space_len = c->argv[i].len, anyfmt = 1;
        } else if (a->len <= 8 && arg_is(a, "NOESCAPE")) {
            continue; /* accepted and ignored, as RedisJSON does */
        } else if (opt && arg_is(a, "FORMAT")) {
            const proto_arg_t *v = &c->argv[++i];
            if (!(v->len == 4 && memcmp(v->ptr, "JSON", 4) == 0)) {
                reply_errorf(c, "wrong format %.*s", (int)v->len, v->ptr);
                free(paths);
                return;
            }
        } else {
            paths[npaths++] = a;
        }
    }
    if (npaths == 0) paths[npaths++] = s_default_path(c);
    const json_fmt_t *fmt = anyfmt ? &f : NULL;

    s_path_t *ps = calloc((size_t)npaths, sizeof *ps);
    if (!ps) abort();
    int ok = 1, legacy = 1;
    for (int i = 0; i < npaths && ok; i++) {
        if (s_path_or_reply(c, paths[i], &ps[i]))
            ok = 0;
        else if (!ps[i].legacy)
            legacy = 0;
    }
    int wrongtype = 0;
    json_t *doc = ok ? s_doc_read(c, &c->argv[1], &wrongtype) : NULL;
    if (!ok || wrongtype) goto done;
    if (!doc) {
        reply_null(c);
        goto done;
    }
    buf_t b;
    buf_init(&b);
    if (npaths == 1) {
        if (s_ser_path(&b, doc, &ps[0], legacy, fmt, 0) < 0)
            reply_errorf(c, "Path '%s' does not exist", ps[0].fixed);
        else
            reply_bulk(c, b.data, b.len);
    } else {
        /* an object keyed by each distinct path as given */
        buf_append(&b, "{", 1);
        int first = 1, missing = -1;
        for (int i = 0; i < npaths && missing < 0; i++) {
            int dup = 0;
            for (int j = 0; j < i && !dup; j++)
                dup = ps[j].olen == ps[i].olen && memcmp(ps[j].orig, ps[i].orig, ps[i].olen) == 0;
            if (dup) continue;
            if (!first) buf_append(&b, ",", 1);
            first = 0;
            s_newline(&b, fmt, 1);
            s_ser_string(&b, ps[i].orig, ps[i].olen);
            buf_append(&b, ":", 1);
            if (fmt && fmt->space) buf_append(&b, fmt->space, fmt->space_len);
            if (s_ser_path(&b, doc, &ps[i], legacy, fmt, 1) < 0) missing = i;
        }
        if (missing >= 0) {
            reply_errorf(c, "Path '%.*s' does not exist", (int)ps[missing].olen, ps[missing].orig);
        } else {
            if (!first) s_newline(&b, fmt, 0);
            buf_append(&b, "}", 1);
            reply_bulk(c, b.data, b.len);
        }
    }
    buf_free(&b);
done:
    for (int i = 0; i < npaths; i++)
        s_path_free(&ps[i]);
    free(ps);
    free(paths);
}

static void cmd_json_mget(client_t *c) {
    s_path_t p;
    if (s_path_or_reply(c, &c->argv[c->argc - 1], &p)) return;
    reply_array(c, c->argc - 2);
    buf_t b;
    buf_init(&b);
    for (int i = 1; i < c->argc - 1; i++) {
        const proto_arg_t *k = &c->argv[i];
        vobj_t *o = db_lookup_read(c->eng, c->db, k->ptr, k->len);
        buf_clear(&b);
        if (o && o->type == OBJ_JSON && s_ser_path(&b, o->v.p, &p, p.legacy, NULL, 0) == 0)
            reply_bulk(c, b.data, b.len);
        else
            reply_null(c);
    }
    buf_free(&b);
    s_path_free(&p);
}

static void cmd_json_type(client_t *c) {
    s_path_t p;
    jp_matches_t m = {0};
    if (!s_read_matches(c, &p, &m)) return;
    if (p.legacy) {
        if (m.n)
            reply_bulk_cstr(c, json_type_name(m.v[0].node));
        else
            reply_null(c);
    } else {
        reply_array(c, (long long)m.n);
        for (size_t i = 0; i < m.n; i++) {
            if (c->resp == 3) reply_array(c, 1); /* RESP3: one array per match */
            reply_bulk_cstr(c, json_type_name(m.v[i].node));
        }
    }
    jp_matches_free(&m);
    s_path_free(&p);
}

/* ===================== JSON.DEL JSON.FORGET JSON.CLEAR ===================== */

typedef struct {
    json_t *parent;
    const char *key;
    size_t klen, idx;
} s_slot_t;

static int s_slot_cmp(const void *a, const void *b) {
    const s_slot_t *x = a, *y = b;
    if (x->parent != y->parent) return x->parent < y->parent ? -1 : 1;
    if (x->key && y->key) {
        size_t n = x->klen < y->klen ? x->klen : y->klen;
        int r = memcmp(x->key, y->key, n);
        if (r) return r;
        return (x->klen > y->klen) - (x->klen < y->klen);
    }
    return (x->idx > y->idx) - (x->idx < y->idx);
}

typedef struct {
    s_slot_t *v;
    size_t n;
} s_slots_t;

static int s_slot_marked(const s_slots_t *s, json_t *parent, const char *k, size_t kl, size_t idx) {
    s_slot_t probe = {parent, k, kl, idx};
    return bsearch(&probe, s->v, s->n, sizeof *s->v, s_slot_cmp) != NULL;
}

/* Removes the marked members top-down: a member below a removed one is not counted, as
 * RedisJSON counts only the outermost of nested matches. */
static long long s_delete_marked(json_t *n, const s_slots_t *s) {
    long long count = 0;
    if (json_is_object(n)) {
        void *it = json_object_iter(n);
        while (it) {
            const char *k = json_object_iter_key(it);
            size_t kl = json_object_iter_key_len(it);
            json_t *v = json_object_iter_value(it);
            void *next = json_object_iter_next(n, it);
            if (s_slot_marked(s, n, k, kl, 0)) {
                json_object_deln(n, k, kl);
                count++;
            } else {
                count += s_delete_marked(v, s);
            }
            it = next;
        }
    } else if (json_is_array(n)) {
        for (size_t i = json_array_size(n); i-- > 0;) {
            if (s_slot_marked(s, n, NULL, 0, i)) {
                json_array_remove(n, i);
                count++;
            } else {
                count += s_delete_marked(json_array_get(n, i), s);
            }
        }
    }
    return count;
}

static void cmd_json_del(client_t *c) {
    s_path_t p;
    if (s_opt_path_or_reply(c, 2, &p)) return;
    int wrongtype;
    vobj_t *o = s_doc_write(c, &c->argv[1], &wrongtype);
    if (wrongtype) goto done;
    if (!o) {
        reply_int(c, 0);
        goto done;
    }
    const proto_arg_t *key = &c->argv[1];
    if (p.is_root) {
        db_delete(c->eng, c->db, key->ptr, key->len);
        s_written(c, key, "json.del");
        reply_int(c, 1);
        goto done;
    }
    jp_matches_t m = {0};
    s_eval(&p, o->v.p, &m);
    s_pin(&m);
    s_slots_t s = {calloc(m.n + 1, sizeof(s_slot_t)), 0};
    if (!s.v) abort();
    int root_matched = 0;
    for (size_t i = 0; i < m.n; i++) {
        if (!m.v[i].parent)
            root_matched = 1;
        else
            s.v[s.n++] = (s_slot_t){m.v[i].parent, m.v[i].key, m.v[i].klen, m.v[i].idx};
    }
    qsort(s.v, s.n, sizeof *s.v, s_slot_cmp);
    long long n;
    if (root_matched) { /* "$.." style paths can name the document itself */
        n = 1;
    } else {
        n = s_delete_marked(o->v.p, &s);
    }
    free(s.v);
    s_unpin(&m);
    jp_matches_free(&m);
    if (root_matched) db_delete(c->eng, c->db, key->ptr, key->len);
    if (n > 0) s_written(c, key, "json.del");
    reply_int(c, n);
done:
    s_path_free(&p);
}

static void cmd_json_clear(client_t *c) {
    s_path_t p;
    static const proto_arg_t root = {"$", 1};
    if (s_path_or_reply(c, c->argc > 2 ? &c->argv[2] : &root, &p)) return;
    vobj_t *o = s_doc_write_existing(c, &c->argv[1]);
    if (!o) goto done;
    jp_matches_t m = {0};
    s_eval(&p, o->v.p, &m);
    s_pin(&m);
    long long cleared = 0;
    for (size_t i = 0; i < m.n; i++) {
        json_t *v = m.v[i].node;
        if (!s_in_place(o, &m.v[i])) continue;
        if (json_is_array(v) && json_array_size(v))
            json_array_clear(v);
        else if (json_is_object(v) && json_object_size(v))
            json_object_clear(v);
        else if ((json_is_integer(v) && json_integer_value(v) != 0) ||
                 (json_is_real(v) && json_real_value(v) != 0))
            s_replace(o, &m.v[i], json_integer(0));
        else
            continue;
        cleared++;
    }
    s_unpin(&m);
    jp_matches_free(&m);
    if (cleared) s_written(c, &c->argv[1], "json.clear");
    reply_int(c, cleared);
done:
    s_path_free(&p);
}

/* ===================== the per-match operations =====================
 * NUMINCRBY, NUMMULTBY, TOGGLE, STRAPPEND, ARRAPPEND, ARRINSERT, ARRPOP and ARRTRIM share
 * one shape: evaluate the path; a $ path answers per match (nil where the match has the
 * wrong type); a legacy path changes every match of the right type, answers for the last
 * one and errors when there is none. An operation first checks every match (op->check), so
 * a command either applies everywhere or changes nothing: replaying its argv always
 * reproduces the same document. */

enum { ANS_NULL, ANS_INT, ANS_STR, ANS_JSON };
typedef struct {
    int kind;
    long long i;
    const char *s;
    json_t *v; /* owned */
} s_ans_t;

typedef struct s_op s_op_t;
struct s_op {
    int json_type;        /* the type a match must have: JSON_ARRAY, JSON_STRING, ... */
    const char *type_err; /* legacy error tail: "not an array" */
    int err_orig;         /* the legacy error names the path as given (else rewritten) */
    int json_reply;       /* the answer is JSON text (NUMINCRBY) rather than RESP values */
    const char *event;
    /* optional check before anything changes: 0, or -1 after replying */
    int (*check)(client_t *c, s_op_t *op, const jp_match_t *m);
    /* applies to one match and gives its answer */
    s_ans_t (*apply)(s_op_t *op, vobj_t *o, const jp_match_t *m);
    json_t **vals;
    int nvals;
    long long i1, i2;
    json_t *num;
};

static int s_type_ok(const s_op_t *op, const json_t *v) {
    if (op->json_type == JSON_TRUE) return json_is_boolean(v);
    if (op->json_type == JSON_INTEGER) return json_is_number(v);
    return json_typeof(v) == op->json_type;
}

static void s_reply_ans(client_t *c, s_ans_t *a) {
    switch (a->kind) {
    case ANS_NULL: reply_null(c); break;
    case ANS_INT: reply_int(c, a->i); break;
    case ANS_STR: reply_bulk_cstr(c, a->s); break;
    case ANS_JSON:
        /* NUMINCRBY's numbers are RESP3 numbers; everything else is JSON text */
        if (c->resp == 3 && json_is_integer(a->v))
            reply_int(c, json_integer_value(a->v));
        else if (c->resp == 3 && json_is_real(a->v))
            reply_double(c, json_real_value(a->v));
        else
            s_reply_serialized(c, a->v, NULL);
        break;
    }
}

static json_t *s_ans_json(s_ans_t *a) {
    switch (a->kind) {
    case ANS_INT: return json_integer(a->i);
    case ANS_STR: return json_string(a->s);
    case ANS_JSON: return json_incref(a->v);
    default: return json_null();
    }
}

static void s_ans_free(s_ans_t *a) {
    if (a->kind == ANS_JSON) json_decref(a->v);
    a->kind = ANS_NULL;
}

static void s_run_op(client_t *c, s_op_t *op, int path_idx) {
    s_path_t p;
    if (s_opt_path_or_reply(c, path_idx, &p)) return;
    const proto_arg_t *key = &c->argv[1];
    vobj_t *o = s_doc_write_existing(c, key);
    if (!o) goto done;
    jp_matches_t m = {0};
    s_eval(&p, o->v.p, &m);
    size_t nok = 0;
    for (size_t i = 0; i < m.n; i++) {
        if (!s_type_ok(op, m.v[i].node)) continue;
        nok++;
        if (op->check && op->check(c, op, &m.v[i])) goto out;
    }
    if (p.legacy && nok == 0) {
        if (op->err_orig)
            reply_errorf(c, "Path '%.*s' does not exist or %s", (int)p.olen, p.orig, op->type_err);
        else
            reply_errorf(c, "Path '%s' does not exist or %s", p.fixed, op->type_err);
        goto out;
    }
    s_pin(&m);
    s_ans_t last = {ANS_NULL, 0, NULL, NULL};
    /* NUMINCRBY in RESP2 answers with one JSON text; in RESP3 with numbers */
    json_t *all = op->json_reply && c->resp == 2 ? json_array() : NULL;
    if (!p.legacy && !all) reply_array(c, (long long)m.n);
    int changed = 0;
    for (size_t i = 0; i < m.n; i++) {
        s_ans_t a = {ANS_NULL, 0, NULL, NULL};
        if (s_type_ok(op, m.v[i].node) && s_in_place(o, &m.v[i])) {
            a = op->apply(op, o, &m.v[i]);
            changed |= a.kind != ANS_NULL; /* ARRPOP of an empty array changes nothing */
        }
        if (p.legacy) {
            if (a.kind != ANS_NULL || s_type_ok(op, m.v[i].node)) {
                s_ans_free(&last);
                last = a;
                continue;
            }
        } else if (all) {
            json_array_append_new(all, s_ans_json(&a));
        } else {
            s_reply_ans(c, &a);
        }
        s_ans_free(&a);
    }
    s_unpin(&m);
    if (changed) s_written(c, key, op->event);
    if (p.legacy) {
        s_reply_ans(c, &last);
        s_ans_free(&last);
    } else if (all) {
        s_reply_serialized(c, all, NULL);
    }
    if (all) json_decref(all);
out:
    jp_matches_free(&m);
done:
    s_path_free(&p);
}

/* ---- NUMINCRBY / NUMMULTBY ---- */

static int s_num_result(const s_op_t *op, const json_t *cur, json_t **out) {
    int mult = (int)op->i1;
    if (json_is_integer(cur) && json_is_integer(op->num)) {
        unsigned long long a = (unsigned long long)json_integer_value(cur);
        unsigned long long b = (unsigned long long)json_integer_value(op->num);
        /* two's complement wrap-around, as RedisJSON's wrapping_add / wrapping_mul */
        *out = json_integer((json_int_t)(mult ? a * b : a + b));
        return 0;
    }
    double r = mult ? json_number_value(cur) * json_number_value(op->num)
                    : json_number_value(cur) + json_number_value(op->num);
    if (!isfinite(r)) return -1;
    *out = json_real(r);
    return 0;
}

static int s_num_check(client_t *c, s_op_t *op, const jp_match_t *m) {
    json_t *r;
    if (s_num_result(op, m->node, &r)) {
        reply_error(c, "result is not a number");
        return -1;
    }
    json_decref(r);
    return 0;
}

static s_ans_t s_num_apply(s_op_t *op, vobj_t *o, const jp_match_t *m) {
    json_t *r = NULL;
    s_num_result(op, m->node, &r);
    s_replace(o, m, json_incref(r));
    return (s_ans_t){ANS_JSON, 0, NULL, r};
}

static void s_num_generic(client_t *c, int mult) {
    char err[300];
    json_t *num = json_type_parse(c->argv[3].ptr, c->argv[3].len, err, sizeof err);
    if (!num) {
        reply_error(c, err);
        return;
    }
    if (!json_is_number(num)) {
        json_decref(num);
        reply_error(c, "bad input number");
        return;
    }
    s_op_t op = {.json_type = JSON_INTEGER,
                 .type_err = "does not contains a number",
                 .json_reply = 1,
                 .event = mult ? "json.nummultby" : "json.numincrby",
                 .check = s_num_check,
                 .apply = s_num_apply,
                 .num = num,
                 .i1 = mult};
    s_run_op(c, &op, 2);
    json_decref(num);
}

static void cmd_json_numincrby(client_t *c) { s_num_generic(c, 0); }
static void cmd_json_nummultby(client_t *c) { s_num_generic(c, 1); }

/* ---- TOGGLE ---- */

static s_ans_t s_toggle_apply(s_op_t *op, vobj_t *o, const jp_match_t *m) {
    int now = !json_is_true(m->node);
    s_replace(o, m, json_boolean(now));
    if (op->i1) return (s_ans_t){ANS_STR, 0, now ? "true" : "false", NULL}; /* legacy */
    return (s_ans_t){ANS_INT, now, NULL, NULL};
}

static void cmd_json_toggle(client_t *c) {
    s_op_t op = {.json_type = JSON_TRUE,
                 .type_err = "not a bool",
                 .event = "json.toggle",
                 .apply = s_toggle_apply,
                 .i1 = !(c->argv[2].len > 0 && c->argv[2].ptr[0] == '$')};
    s_run_op(c, &op, 2);
}

/* ---- STRAPPEND ---- */

static s_ans_t s_strappend_apply(s_op_t *op, vobj_t *o, const jp_match_t *m) {
    json_t *s = m->node, *add = op->vals[0];
    size_t a = json_string_length(s), b = json_string_length(add);
    char *buf = malloc(a + b + 1);
    if (!buf) abort();
    memcpy(buf, json_string_value(s), a);
    memcpy(buf + a, json_string_value(add), b);
    json_string_setn_nocheck(s, buf, a + b);
    free(buf);
    return (s_ans_t){ANS_INT, (long long)(a + b), NULL, NULL};
}

static void cmd_json_strappend(client_t *c) {
    if (c->argc > 4) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    const proto_arg_t *va = &c->argv[c->argc - 1];
    json_t *v = s_value_or_reply(c, va);
    if (!v) return;
    if (!json_is_string(v)) {
        reply_errorf(c, "-WRONGTYPE wrong type of path value - expected string but found %.*s",
                     (int)va->len, va->ptr);
        json_decref(v);
        return;
    }
    s_op_t op = {.json_type = JSON_STRING,
                 .type_err = "not a string",
                 .event = "json.strappend",
                 .apply = s_strappend_apply,
                 .vals = &v,
                 .nvals = 1};
    s_run_op(c, &op, c->argc == 4 ? 2 : c->argc);
    json_decref(v);
}

/* ---- ARRAPPEND ARRINSERT ---- */

static int s_vals_depth_check(client_t *c, s_op_t *op, const jp_match_t *m) {
    for (int i = 0; i < op->nvals; i++)
        if (m->depth + 1 + json_type_depth(op->vals[i]) > JSON_MAX_DEPTH) {
            reply_error(c, ERR_TOO_DEEP);
            return -1;
        }
    return 0;
}

static s_ans_t s_arrappend_apply(s_op_t *op, vobj_t *o, const jp_match_t *m) {
    for (int i = 0; i < op->nvals; i++)
        json_array_append_new(m->node, json_deep_copy(op->vals[i]));
    return (s_ans_t){ANS_INT, (long long)json_array_size(m->node), NULL, NULL};
}

static json_t **s_values_or_reply(client_t *c, int from, int *n) {
    *n = c->argc - from;
    json_t **vals = calloc((size_t)*n, sizeof *vals);
    if (!vals) abort();
    for (int i = 0; i < *n; i++) {
        if (!(vals[i] = s_value_or_reply(c, &c->argv[from + i]))) {
            for (int j = 0; j < i; j++)
                json_decref(vals[j]);
            free(vals);
            return NULL;
        }
    }
    return vals;
}

static void s_values_free(json_t **vals, int n) {
    for (int i = 0; i < n; i++)
        json_decref(vals[i]);
    free(vals);
}

static void cmd_json_arrappend(client_t *c) {
    int n;
    json_t **vals = s_values_or_reply(c, 3, &n);
    if (!vals) return;
    s_op_t op = {.json_type = JSON_ARRAY,
                 .type_err = "not an array",
                 .err_orig = 1,
                 .event = "json.arrappend",
                 .check = s_vals_depth_check,
                 .apply = s_arrappend_apply,
                 .vals = vals,
                 .nvals = n};
    s_run_op(c, &op, 2);
    s_values_free(vals, n);
}

static int s_arrinsert_check(client_t *c, s_op_t *op, const jp_match_t *m) {
    long long len = (long long)json_array_size(m->node);
    long long idx = op->i1 < 0 ? len + op->i1 : op->i1;
    if (idx < 0 || idx > len) {
        reply_error(c, "index out of bounds");
        return -1;
    }
    return s_vals_depth_check(c, op, m);
}

static s_ans_t s_arrinsert_apply(s_op_t *op, vobj_t *o, const jp_match_t *m) {
    long long len = (long long)json_array_size(m->node);
    size_t idx = (size_t)(op->i1 < 0 ? len + op->i1 : op->i1);
    for (int i = 0; i < op->nvals; i++)
        json_array_insert_new(m->node, idx + (size_t)i, json_deep_copy(op->vals[i]));
    return (s_ans_t){ANS_INT, (long long)json_array_size(m->node), NULL, NULL};
}

static void cmd_json_arrinsert(client_t *c) {
    long long idx;
    if (arg_ll_or_reply(c, &c->argv[3], &idx, ERR_NOT_INT)) return;
    int n;
    json_t **vals = s_values_or_reply(c, 4, &n);
    if (!vals) return;
    s_op_t op = {.json_type = JSON_ARRAY,
                 .type_err = "not an array",
                 .event = "json.arrinsert",
                 .check = s_arrinsert_check,
                 .apply = s_arrinsert_apply,
                 .vals = vals,
                 .nvals = n,
                 .i1 = idx};
    s_run_op(c, &op, 2);
    s_values_free(vals, n);
}

/* ---- ARRPOP ARRTRIM ---- */

static long long s_norm(long long i, long long len) {
    if (i < 0) return len + i < 0 ? 0 : len + i;
    return i > len - 1 ? len - 1 : i;
}

static s_ans_t s_arrpop_apply(s_op_t *op, vobj_t *o, const jp_match_t *m) {
    long long len = (long long)json_array_size(m->node);
    if (len == 0) return (s_ans_t){ANS_NULL, 0, NULL, NULL};
    size_t i = (size_t)s_norm(op->i1, len);
    json_t *v = json_incref(json_array_get(m->node, i));
    json_array_remove(m->node, i);
    return (s_ans_t){ANS_JSON, 0, NULL, v};
}

static void cmd_json_arrpop(client_t *c) {
    long long idx = c->argc > 2 ? -1 : LLONG_MAX;
    if (c->argc > 4) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (c->argc > 3 && arg_ll_or_reply(c, &c->argv[3], &idx, ERR_NOT_INT)) return;
    s_op_t op = {.json_type = JSON_ARRAY,
                 .type_err = "not an array",
                 .event = "json.arrpop",
                 .apply = s_arrpop_apply,
                 .i1 = idx};
    s_run_op(c, &op, 2);
}

static s_ans_t s_arrtrim_apply(s_op_t *op, vobj_t *o, const jp_match_t *m) {
    json_t *a = m->node;
    long long len = (long long)json_array_size(a);
    long long stop = s_norm(op->i2, len);
    long long start = op->i1 >= 0 && op->i1 >= len ? stop + 1 : s_norm(op->i1, len);
    if (start > stop || len == 0) {
        json_array_clear(a);
    } else {
        for (long long i = len - 1; i > stop; i--)
            json_array_remove(a, (size_t)i);
        for (long long i = 0; i < start; i++)
            json_array_remove(a, 0);
    }
    return (s_ans_t){ANS_INT, (long long)json_array_size(a), NULL, NULL};
}

static void cmd_json_arrtrim(client_t *c) {
    long long start, stop;
    if (arg_ll_or_reply(c, &c->argv[3], &start, ERR_NOT_INT) ||
        arg_ll_or_reply(c, &c->argv[4], &stop, ERR_NOT_INT))
        return;
    s_op_t op = {.json_type = JSON_ARRAY,
                 .type_err = "not an array",
                 .event = "json.arrtrim",
                 .apply = s_arrtrim_apply,
                 .i1 = start,
                 .i2 = stop};
    s_run_op(c, &op, 2);
}

/* ===================== read-only per-match commands =====================
 * STRLEN, ARRLEN, OBJLEN, OBJKEYS: a $ path answers per match; a legacy path answers for
 * the first match, each command with RedisJSON's own choice of errors and nils. */

enum { MISS_NIL, MISS_ERR_FIXED, MISS_ERR_ORIG };
enum { WRONG_TYPEERR, WRONG_PATHERR_ORIG, WRONG_PATHERR_FIXED };

typedef struct {
    const char *expected; /* "string", "array", "object" */
    int json_type;
    void (*answer)(client_t *c, const json_t *v);
    int missing_path;         /* legacy path matching nothing: MISS_* */
    int wrong_type;           /* legacy path on another type: WRONG_* */
    int dollar_nokey_patherr; /* $ path on a missing key: "Path ... not an object" error */
} s_read_t;

static void s_read_op(client_t *c, const s_read_t *r) {
    s_path_t p;
    json_t *doc;
    int found = s_read_begin(c, &p, &doc);
    if (found < 0) return;
    if (!found) {
        if (p.legacy)
            reply_null(c);
        else if (r->dollar_nokey_patherr)
            reply_errorf(c, "Path '%s' does not exist or not an %s", p.fixed, r->expected);
        else
            reply_error(c, ERR_NO_KEY_OP);
        goto done;
    }
    jp_matches_t m = {0};
    s_eval(&p, doc, &m);
    if (p.legacy) {
        if (m.n == 0) {
            if (r->missing_path == MISS_NIL)
                reply_null(c);
            else if (r->missing_path == MISS_ERR_ORIG)
                reply_errorf(c, "Path '%.*s' does not exist", (int)p.olen, p.orig);
            else
                reply_errorf(c, "Path '%s' does not exist", p.fixed);
        } else if (json_typeof(m.v[0].node) != r->json_type) {
            if (r->wrong_type == WRONG_TYPEERR)
                s_reply_wrong_type(c, r->expected, m.v[0].node);
            else if (r->wrong_type == WRONG_PATHERR_ORIG)
                reply_errorf(c, "Path '%.*s' does not exist or not an %s", (int)p.olen, p.orig,
                             r->expected);
            else
                reply_errorf(c, "Path '%s' does not exist or not an %s", p.fixed, r->expected);
        } else {
            r->answer(c, m.v[0].node);
        }
    } else {
        reply_array(c, (long long)m.n);
        for (size_t i = 0; i < m.n; i++) {
            if (json_typeof(m.v[i].node) == r->json_type)
                r->answer(c, m.v[i].node);
            else
                reply_null(c);
        }
    }
    jp_matches_free(&m);
done:
    s_path_free(&p);
}

static void s_answer_strlen(client_t *c, const json_t *v) {
    reply_int(c, (long long)json_string_length(v));
}
static void s_answer_size(client_t *c, const json_t *v) {
    reply_int(c, (long long)(json_is_array(v) ? json_array_size(v) : json_object_size(v)));
}
static void s_answer_keys(client_t *c, const json_t *v) {
    reply_array(c, (long long)json_object_size(v));
    const char *k;
    size_t kl;
    json_t *x;
    json_object_keylen_foreach((json_t *)v, k, kl, x) { reply_bulk(c, k, kl); }
}

static void cmd_json_strlen(client_t *c) {
    static const s_read_t r = {"string",       JSON_STRING,   s_answer_strlen,
                               MISS_ERR_FIXED, WRONG_TYPEERR, 0};
    s_read_op(c, &r);
}

static void cmd_json_arrlen(client_t *c) {
    static const s_read_t r = {"array",       JSON_ARRAY,         s_answer_size,
                               MISS_ERR_ORIG, WRONG_PATHERR_ORIG, 0};
    s_read_op(c, &r);
}

static void cmd_json_objlen(client_t *c) {
    static const s_read_t r = {"object", JSON_OBJECT, s_answer_size, MISS_NIL, WRONG_TYPEERR, 1};
    s_read_op(c, &r);
}

static void cmd_json_objkeys(client_t *c) {
    static const s_read_t r = {"object", JSON_OBJECT,         s_answer_keys,
                               MISS_NIL, WRONG_PATHERR_FIXED, 0};
    s_read_op(c, &r);
}

/* ---- ARRINDEX ---- */

static long long s_arrindex(const json_t *a, const json_t *v, long long start, long long end) {
    long long len = (long long)json_array_size(a);
    if (len == 0) return -1;
    start = start < 0 ? (len + start < 0 ? 0 : len + start) : (start > len - 1 ? len - 1 : start);
    end = end == 0 ? len : end < 0 ? (len + end < 0 ? 0 : len + end) : (end > len ? len : end);
    for (long long i = start; i < end; i++)
        if (jp_equal(json_array_get(a, (size_t)i), v)) return i;
    return -1;
}

static void cmd_json_arrindex(client_t *c) {
    long long start = 0, end = 0;
    if (c->argc > 6) { /* RedisJSON checks the count of arguments here, not the arity */
        reply_errorf(c, "wrong number of arguments for '%s' command", c->cmd->fullname);
        return;
    }
    if ((c->argc > 4 && arg_ll_or_reply(c, &c->argv[4], &start, ERR_NOT_INT)) ||
        (c->argc > 5 && arg_ll_or_reply(c, &c->argv[5], &end, ERR_NOT_INT)))
        return;
    s_path_t p;
    if (s_path_or_reply(c, &c->argv[2], &p)) return;
    int wrongtype;
    json_t *doc = s_doc_read(c, &c->argv[1], &wrongtype), *v = NULL;
    if (wrongtype) goto done;
    if (!doc) {
        reply_errorf(c, "Path '%.*s' does not exist", (int)p.olen, p.orig);
        goto done;
    }
    if (!(v = s_value_or_reply(c, &c->argv[3]))) goto done;
    if (p.legacy) {
        json_t *a = s_first_or_reply(c, doc, &p, p.fixed);
        if (!a) goto done;
        if (!json_is_array(a))
            s_reply_wrong_type(c, "array", a);
        else
            reply_int(c, s_arrindex(a, v, start, end));
        goto done;
    }
    jp_matches_t m = {0};
    s_eval(&p, doc, &m);
    reply_array(c, (long long)m.n);
    for (size_t i = 0; i < m.n; i++) {
        if (json_is_array(m.v[i].node))
            reply_int(c, s_arrindex(m.v[i].node, v, start, end));
        else
            reply_null(c);
    }
    jp_matches_free(&m);
done:
    if (v) json_decref(v);
    s_path_free(&p);
}

/* ---- JSON.KEYS (Vole) ---- */

/* JSON.KEYS key [path]: the member names of the first object the path names, as one flat
 * array (the spec's form; JSON.OBJKEYS is RedisJSON's per-match form). */
static void cmd_json_keys(client_t *c) {
    s_path_t p;
    jp_matches_t m = {0};
    if (!s_read_matches(c, &p, &m)) return;
    if (m.n == 0)
        reply_array(c, 0);
    else if (!json_is_object(m.v[0].node))
        s_reply_wrong_type(c, "object", m.v[0].node);
    else
        s_answer_keys(c, m.v[0].node);
    jp_matches_free(&m);
    s_path_free(&p);
}

/* ===================== the command table ===================== */

// clang-format off
static command_t json_commands[] = {
    {.name = "json.set", .proc = cmd_json_set, .arity = -4, .flags = "write denyoom",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "json", .since = "1.0.0",
     .summary = "Sets a JSON value at a path, creating the document at the root.",
     .complexity = "O(M+N): M the size of the value before, N the size of the new one.",
     .args = "key:key@0 string:path string:value ?oneof:condition(=NX =XX)"},
    {.name = "json.get", .proc = cmd_json_get, .arity = -2, .flags = "readonly",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "json", .since = "1.0.0",
     .summary = "Returns the JSON text of the values at one or more paths.",
     .complexity = "O(N), N the size of the values returned.",
     .args = "key:key@0 ?string:indent=INDENT ?string:newline=NEWLINE ?string:space=SPACE "
             "*string:path"},
    {.name = "json.mget", .proc = cmd_json_mget, .arity = -3, .flags = "readonly",
     .keyspecs = "RO access;index:1;range:-2,1,0", .group = "json", .since = "1.0.0",
     .summary = "Returns the values at a path from several documents.",
     .complexity = "O(M*N): M keys, N the size of the values returned.",
     .args = "*key:key@0 string:path"},
    {.name = "json.del", .proc = cmd_json_del, .arity = -2, .flags = "write",
     .keyspecs = "RW delete;index:1;range:0,1,0", .group = "json", .since = "1.0.0",
     .summary = "Deletes the values at a path (the whole key at the root).",
     .complexity = "O(N), N the size of the values deleted.",
     .args = "key:key@0 ?string:path"},
    {.name = "json.forget", .proc = cmd_json_del, .arity = -2, .flags = "write",
     .keyspecs = "RW delete;index:1;range:0,1,0", .group = "json", .since = "1.0.0",
     .summary = "Deletes the values at a path (an alias of JSON.DEL).",
     .complexity = "O(N), N the size of the values deleted.",
     .args = "key:key@0 ?string:path"},
    {.name = "json.type", .proc = cmd_json_type, .arity = -2, .flags = "readonly",
     .keyspecs = "RO;index:1;range:0,1,0", .group = "json", .since = "1.0.0",
     .summary = "Returns the JSON type of the values at a path.",
     .complexity = "O(1) per value.", .args = "key:key@0 ?string:path"},
    {.name = "json.numincrby", .proc = cmd_json_numincrby, .arity = 4, .flags = "write",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "json", .since = "1.0.0",
     .summary = "Adds a number to the numbers at a path.",
     .complexity = "O(1) per value.", .args = "key:key@0 string:path double:value"},
    {.name = "json.nummultby", .proc = cmd_json_nummultby, .arity = 4, .flags = "write",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "json", .since = "1.0.0",
     .summary = "Multiplies the numbers at a path by a number.",
     .complexity = "O(1) per value.", .args = "key:key@0 string:path double:value"},
    {.name = "json.strappend", .proc = cmd_json_strappend, .arity = -3,
     .flags = "write denyoom", .keyspecs = "RW update;index:1;range:0,1,0", .group = "json",
     .since = "1.0.0", .summary = "Appends a JSON string to the strings at a path.",
     .complexity = "O(1) per value.", .args = "key:key@0 ?string:path string:value"},
    {.name = "json.strlen", .proc = cmd_json_strlen, .arity = -2, .flags = "readonly",
     .keyspecs = "RO;index:1;range:0,1,0", .group = "json", .since = "1.0.0",
     .summary = "Returns the length in bytes of the strings at a path.",
     .complexity = "O(1) per value.", .args = "key:key@0 ?string:path"},
    {.name = "json.arrappend", .proc = cmd_json_arrappend, .arity = -4,
     .flags = "write denyoom", .keyspecs = "RW update;index:1;range:0,1,0", .group = "json",
     .since = "1.0.0", .summary = "Appends JSON values to the arrays at a path.",
     .complexity = "O(1) per value appended.", .args = "key:key@0 string:path *string:value"},
    {.name = "json.arrinsert", .proc = cmd_json_arrinsert, .arity = -5,
     .flags = "write denyoom", .keyspecs = "RW update;index:1;range:0,1,0", .group = "json",
     .since = "1.0.0", .summary = "Inserts JSON values before an index of the arrays at a path.",
     .complexity = "O(N), N the size of the array.",
     .args = "key:key@0 string:path integer:index *string:value"},
    {.name = "json.arrindex", .proc = cmd_json_arrindex, .arity = -4, .flags = "readonly",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "json", .since = "1.0.0",
     .summary = "Returns the first index of a JSON value in the arrays at a path.",
     .complexity = "O(N), N the size of the array.",
     .args = "key:key@0 string:path string:value ?block:range(integer:start ?integer:stop)"},
    {.name = "json.arrlen", .proc = cmd_json_arrlen, .arity = -2, .flags = "readonly",
     .keyspecs = "RO;index:1;range:0,1,0", .group = "json", .since = "1.0.0",
     .summary = "Returns the length of the arrays at a path.",
     .complexity = "O(1) per value.", .args = "key:key@0 ?string:path"},
    {.name = "json.arrpop", .proc = cmd_json_arrpop, .arity = -2, .flags = "write",
     .keyspecs = "RW access delete;index:1;range:0,1,0", .group = "json", .since = "1.0.0",
     .summary = "Removes and returns the element at an index (the last by default) of the "
                "arrays at a path.",
     .complexity = "O(N), N the size of the array.",
     .args = "key:key@0 ?block:path(string:path ?integer:index)"},
    {.name = "json.arrtrim", .proc = cmd_json_arrtrim, .arity = 5, .flags = "write",
     .keyspecs = "RW access delete;index:1;range:0,1,0", .group = "json", .since = "1.0.0",
     .summary = "Keeps only an inclusive range of the arrays at a path.",
     .complexity = "O(N), N the size of the array.",
     .args = "key:key@0 string:path integer:start integer:stop"},
    {.name = "json.objkeys", .proc = cmd_json_objkeys, .arity = -2, .flags = "readonly",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "json", .since = "1.0.0",
     .summary = "Returns the member names of the objects at a path.",
     .complexity = "O(N), N the number of members.", .args = "key:key@0 ?string:path"},
    {.name = "json.objlen", .proc = cmd_json_objlen, .arity = -2, .flags = "readonly",
     .keyspecs = "RO;index:1;range:0,1,0", .group = "json", .since = "1.0.0",
     .summary = "Returns the number of members of the objects at a path.",
     .complexity = "O(1) per value.", .args = "key:key@0 ?string:path"},
    {.name = "json.clear", .proc = cmd_json_clear, .arity = -2, .flags = "write",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "json", .since = "2.0.0",
     .summary = "Empties the arrays and objects and zeroes the numbers at a path.",
     .complexity = "O(N), N the size of the values cleared.", .args = "key:key@0 ?string:path"},
    {.name = "json.toggle", .proc = cmd_json_toggle, .arity = 3, .flags = "write",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "json", .since = "2.0.0",
     .summary = "Flips the booleans at a path.", .complexity = "O(1) per value.",
     .args = "key:key@0 string:path"},
    {.name = "json.merge", .proc = cmd_json_merge, .arity = 4, .flags = "write denyoom",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "json", .since = "2.6.0",
     .summary = "Merges a JSON value into the values at a path (RFC 7396 merge patch).",
     .complexity = "O(M+N): M the size of the value, N the size of the patch.",
     .args = "key:key@0 string:path string:value"},
    {.name = "json.keys", .proc = cmd_json_keys, .arity = -2, .flags = "readonly",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "json", .since = "1.0.0",
     .summary = "Vole: returns the member names of the object at a path as one flat list.",
     .complexity = "O(N), N the number of members.", .args = "key:key@0 ?string:path"},
    {0},
};
// clang-format on

__attribute__((constructor)) static void s_register_commands(void) {
    command_group_register(json_commands);
}
