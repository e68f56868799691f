/* JSONPath compilation and evaluation over jansson trees (see jsonpath.h for the syntax). */
#include "engine/types/jsonpath.h"

#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ===================== the compiled form ===================== */

enum { ST_NAMES, ST_WILD, ST_INDEXES, ST_SLICE, ST_FILTER };
enum { EX_OR, EX_AND, EX_NOT, EX_CMP, EX_EXISTS };
enum { T_LIT, T_REL, T_ABS };
enum { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE, C_RE };

typedef struct jp_expr jp_expr_t;

typedef struct {
    int kind;
    int recursive; /* ..step */
    size_t n;      /* names or indexes */
    char **names;
    size_t *nlens;
    long long *idx;
    long long start, end, step;
    int has_start, has_end;
    jp_expr_t *filter;
} jp_step_t;

struct jp_path {
    jp_step_t *steps;
    size_t n;
};

typedef struct {
    int kind;
    json_t *lit;
    jp_path_t *path;
} jp_term_t;

struct jp_expr {
    int op, cmp;
    jp_expr_t *l, *r;
    jp_term_t a, b;
    regex_t *re; /* =~ with a literal pattern: compiled once (NULL: invalid pattern) */
    int re_bad;
};

static void *s_xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) abort();
    return p;
}

static void s_expr_free(jp_expr_t *x);

/* A POSIX extended regex; a "(?i)" prefix makes it case-insensitive. NULL when invalid. */
static regex_t *s_regex_new(const char *p) {
    int flags = REG_EXTENDED | REG_NOSUB;
    if (strncmp(p, "(?i)", 4) == 0) {
        flags |= REG_ICASE;
        p += 4;
    }
    regex_t *re = s_xrealloc(NULL, sizeof *re);
    if (regcomp(re, p, flags) != 0) {
        free(re);
        return NULL;
    }
    return re;
}

static void s_step_free(jp_step_t *st) {
    for (size_t i = 0; i < st->n && st->names; i++)
        free(st->names[i]);
    free(st->names);
    free(st->nlens);
    free(st->idx);
    s_expr_free(st->filter);
}

void jp_free(jp_path_t *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n; i++)
        s_step_free(&p->steps[i]);
    free(p->steps);
    free(p);
}

static void s_term_free(jp_term_t *t) {
    if (t->lit) json_decref(t->lit);
    jp_free(t->path);
}

static void s_expr_free(jp_expr_t *x) {
    if (!x) return;
    s_expr_free(x->l);
    s_expr_free(x->r);
    s_term_free(&x->a);
    s_term_free(&x->b);
    if (x->re) {
        regfree(x->re);
        free(x->re);
    }
    free(x);
}

int jp_is_static(const jp_path_t *p) {
    for (size_t i = 0; i < p->n; i++) {
        const jp_step_t *st = &p->steps[i];
        if (st->recursive || st->n != 1 || (st->kind != ST_NAMES && st->kind != ST_INDEXES))
            return 0;
    }
    return 1;
}

size_t jp_size(const jp_path_t *p) { return p->n; }

int jp_last_name(const jp_path_t *p, const char **name, size_t *len) {
    if (p->n == 0) return 0;
    const jp_step_t *st = &p->steps[p->n - 1];
    if (st->kind != ST_NAMES || st->n != 1) return 0;
    *name = st->names[0];
    *len = st->nlens[0];
    return 1;
}

/* ===================== parser ===================== */

typedef struct {
    const char *s;
    size_t len, pos;
    char *err;
    size_t errlen;
    int failed;
    int depth;
} s_parser_t;

static int s_fail(s_parser_t *ps, const char *fmt, ...) {
    if (!ps->failed) {
        char msg[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(ps->err, ps->errlen, "JSON Path error: path error at position %zu: %s",
                 ps->pos + 1, msg);
    }
    ps->failed = 1;
    return -1;
}

static int s_peek(s_parser_t *ps) { return ps->pos < ps->len ? (unsigned char)ps->s[ps->pos] : -1; }

static void s_skip_ws(s_parser_t *ps) {
    while (ps->pos < ps->len && (ps->s[ps->pos] == ' ' || ps->s[ps->pos] == '\t'))
        ps->pos++;
}

static int s_eat(s_parser_t *ps, char ch) {
    s_skip_ws(ps);
    if (s_peek(ps) != (unsigned char)ch) return 0;
    ps->pos++;
    return 1;
}

static void s_add_name(jp_step_t *st, const char *p, size_t n) {
    st->names = s_xrealloc(st->names, (st->n + 1) * sizeof *st->names);
    st->nlens = s_xrealloc(st->nlens, (st->n + 1) * sizeof *st->nlens);
    char *copy = s_xrealloc(NULL, n + 1);
    memcpy(copy, p, n);
    copy[n] = '\0';
    st->names[st->n] = copy;
    st->nlens[st->n] = n;
    st->n++;
}

/* A quoted string ('...' or "...") with backslash escapes; the bytes go to out (malloc'd). */
static int s_parse_quoted(s_parser_t *ps, char **out, size_t *outlen) {
    char q = ps->s[ps->pos++];
    size_t cap = 16, n = 0;
    char *b = s_xrealloc(NULL, cap);
    for (;;) {
        if (ps->pos >= ps->len) {
            free(b);
            return s_fail(ps, "unterminated string");
        }
        char ch = ps->s[ps->pos++];
        if (ch == q) break;
        if (ch == '\\') {
            if (ps->pos >= ps->len) continue;
            char e = ps->s[ps->pos++];
            switch (e) {
            case 'n': ch = '\n'; break;
            case 't': ch = '\t'; break;
            case 'r': ch = '\r'; break;
            case 'b': ch = '\b'; break;
            case 'f': ch = '\f'; break;
            default: ch = e; break; /* \\ \' \" \/ */
            }
        }
        if (n + 1 >= cap) b = s_xrealloc(b, cap *= 2);
        b[n++] = ch;
    }
    b[n] = '\0';
    *out = b;
    *outlen = n;
    return 0;
}

static int s_parse_int(s_parser_t *ps, long long *v) {
    s_skip_ws(ps);
    size_t st = ps->pos;
    if (ps->pos < ps->len && (ps->s[ps->pos] == '-' || ps->s[ps->pos] == '+')) ps->pos++;
    size_t digits = ps->pos;
    while (ps->pos < ps->len && ps->s[ps->pos] >= '0' && ps->s[ps->pos] <= '9')
        ps->pos++;
    if (ps->pos == digits || ps->pos - st > 20) return s_fail(ps, "expected an integer");
    char tmp[24];
    memcpy(tmp, ps->s + st, ps->pos - st);
    tmp[ps->pos - st] = '\0';
    *v = strtoll(tmp, NULL, 10);
    return 0;
}

static jp_expr_t *s_parse_or(s_parser_t *ps);
static int s_parse_steps(s_parser_t *ps, jp_path_t *p, int in_filter);

/* Inside [...] after '[': names, indexes, a slice, * or a filter. */
static int s_parse_bracket(s_parser_t *ps, jp_step_t *st) {
    s_skip_ws(ps);
    int ch = s_peek(ps);
    if (ch == '*') {
        ps->pos++;
        st->kind = ST_WILD;
    } else if (ch == '?') {
        ps->pos++;
        st->kind = ST_FILTER;
        st->filter = s_parse_or(ps);
        if (!st->filter) return -1;
    } else if (ch == '\'' || ch == '"') {
        st->kind = ST_NAMES;
        do {
            s_skip_ws(ps);
            ch = s_peek(ps);
            if (ch != '\'' && ch != '"') return s_fail(ps, "expected a quoted member name");
            char *name;
            size_t n;
            if (s_parse_quoted(ps, &name, &n)) return -1;
            s_add_name(st, name, n);
            free(name);
        } while (s_eat(ps, ','));
    } else {
        long long v = 0;
        int have_first = 0;
        s_skip_ws(ps);
        if (s_peek(ps) != ':') {
            if (s_parse_int(ps, &v)) return -1;
            have_first = 1;
        }
        s_skip_ws(ps);
        if (s_peek(ps) == ':') {
            ps->pos++;
            st->kind = ST_SLICE;
            st->start = v;
            st->has_start = have_first;
            st->step = 1;
            s_skip_ws(ps);
            if (s_peek(ps) != ':' && s_peek(ps) != ']') {
                if (s_parse_int(ps, &st->end)) return -1;
                st->has_end = 1;
            }
            if (s_eat(ps, ':')) {
                s_skip_ws(ps);
                if (s_peek(ps) != ']') {
                    if (s_parse_int(ps, &st->step)) return -1;
                    if (st->step <= 0) return s_fail(ps, "slice step must be positive");
                }
            }
        } else {
            st->kind = ST_INDEXES;
            for (;;) {
                st->idx = s_xrealloc(st->idx, (st->n + 1) * sizeof *st->idx);
                st->idx[st->n++] = v;
                if (!s_eat(ps, ',')) break;
                if (s_parse_int(ps, &v)) return -1;
            }
        }
    }
    if (!s_eat(ps, ']')) return s_fail(ps, "expected ']'");
    return 0;
}

static int s_is_name_char(int ch, int in_filter) {
    if (ch < 0 || ch == '.' || ch == '[' || ch == ']' || ch == ' ' || ch == '\t') return 0;
    if (in_filter && strchr("()!=<>&|,~'\"", ch)) return 0;
    return 1;
}

/* Steps after $ or @: .name .* ..x [...] (in a filter, stops at the first other byte). */
static int s_parse_steps(s_parser_t *ps, jp_path_t *p, int in_filter) {
    while (ps->pos < ps->len && !ps->failed) {
        int ch = s_peek(ps);
        if (ch != '.' && ch != '[') {
            if (in_filter) return 0;
            return s_fail(ps, "expected '.' or '['");
        }
        p->steps = s_xrealloc(p->steps, (p->n + 1) * sizeof *p->steps);
        jp_step_t *st = &p->steps[p->n++];
        memset(st, 0, sizeof *st);
        ps->pos++;
        if (ch == '[') {
            if (s_parse_bracket(ps, st)) return -1;
            continue;
        }
        if (s_peek(ps) == '.') {
            st->recursive = 1;
            ps->pos++;
        }
        ch = s_peek(ps);
        if (ch == '*') {
            ps->pos++;
            st->kind = ST_WILD;
        } else if (ch == '[') {
            ps->pos++;
            if (s_parse_bracket(ps, st)) return -1;
        } else {
            size_t start = ps->pos;
            while (ps->pos < ps->len && s_is_name_char(s_peek(ps), in_filter))
                ps->pos++;
            if (ps->pos == start) return s_fail(ps, "expected a member name");
            st->kind = ST_NAMES;
            s_add_name(st, ps->s + start, ps->pos - start);
        }
    }
    return ps->failed ? -1 : 0;
}

/* A literal: number, 'string', "string", true, false, null. */
static json_t *s_parse_literal(s_parser_t *ps) {
    s_skip_ws(ps);
    int ch = s_peek(ps);
    if (ch == '\'' || ch == '"') {
        char *s;
        size_t n;
        if (s_parse_quoted(ps, &s, &n)) return NULL;
        json_t *v = json_stringn_nocheck(s, n);
        free(s);
        return v;
    }
    static const struct {
        const char *w;
        int t;
    } words[] = {{"true", JSON_TRUE}, {"false", JSON_FALSE}, {"null", JSON_NULL}};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(words[i].w);
        if (ps->len - ps->pos >= n && memcmp(ps->s + ps->pos, words[i].w, n) == 0) {
            ps->pos += n;
            return words[i].t == JSON_TRUE    ? json_true()
                   : words[i].t == JSON_FALSE ? json_false()
                                              : json_null();
        }
    }
    size_t st = ps->pos;
    int real = 0;
    while (ps->pos < ps->len && strchr("+-0123456789.eE", ps->s[ps->pos])) {
        if (strchr(".eE", ps->s[ps->pos])) real = 1;
        ps->pos++;
    }
    size_t n = ps->pos - st;
    if (n == 0 || n > 64) {
        s_fail(ps, "expected a value");
        return NULL;
    }
    char tmp[72];
    memcpy(tmp, ps->s + st, n);
    tmp[n] = '\0';
    char *end;
    if (!real) {
        long long v = strtoll(tmp, &end, 10);
        if (*end == '\0') return json_integer(v);
    }
    double d = strtod(tmp, &end);
    if (*end != '\0' || !isfinite(d)) {
        s_fail(ps, "invalid number");
        return NULL;
    }
    return json_real(d);
}

static int s_parse_term(s_parser_t *ps, jp_term_t *t) {
    s_skip_ws(ps);
    int ch = s_peek(ps);
    if (ch == '@' || ch == '$') {
        ps->pos++;
        t->kind = ch == '@' ? T_REL : T_ABS;
        t->path = calloc(1, sizeof *t->path);
        if (!t->path) abort();
        return s_parse_steps(ps, t->path, 1);
    }
    t->kind = T_LIT;
    t->lit = s_parse_literal(ps);
    return t->lit ? 0 : -1;
}

static jp_expr_t *s_new_expr(int op) {
    jp_expr_t *x = calloc(1, sizeof *x);
    if (!x) abort();
    x->op = op;
    return x;
}

static int s_parse_cmp_op(s_parser_t *ps) {
    s_skip_ws(ps);
    static const struct {
        const char *s;
        int op;
    } ops[] = {{"==", C_EQ}, {"!=", C_NE}, {"<=", C_LE}, {">=", C_GE},
               {"=~", C_RE}, {"<", C_LT},  {">", C_GT}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t n = strlen(ops[i].s);
        if (ps->len - ps->pos >= n && memcmp(ps->s + ps->pos, ops[i].s, n) == 0) {
            ps->pos += n;
            return ops[i].op;
        }
    }
    return -1;
}

static jp_expr_t *s_parse_unary(s_parser_t *ps) {
    if (++ps->depth > 64) {
        s_fail(ps, "filter nested too deeply");
        return NULL;
    }
    jp_expr_t *x = NULL;
    s_skip_ws(ps);
    if (s_peek(ps) == '!' && !(ps->pos + 1 < ps->len && ps->s[ps->pos + 1] == '=')) {
        ps->pos++;
        jp_expr_t *in = s_parse_unary(ps);
        if (in) {
            x = s_new_expr(EX_NOT);
            x->l = in;
        }
    } else if (s_peek(ps) == '(') {
        ps->pos++;
        x = s_parse_or(ps);
        if (x && !s_eat(ps, ')')) {
            s_fail(ps, "expected ')'");
            s_expr_free(x);
            x = NULL;
        }
    } else {
        x = s_new_expr(EX_EXISTS);
        if (s_parse_term(ps, &x->a)) {
            s_expr_free(x);
            x = NULL;
        } else {
            size_t save = ps->pos;
            int op = s_parse_cmp_op(ps);
            if (op >= 0) {
                x->op = EX_CMP;
                x->cmp = op;
                if (s_parse_term(ps, &x->b)) {
                    s_expr_free(x);
                    x = NULL;
                } else if (op == C_RE && x->b.kind == T_LIT && json_is_string(x->b.lit)) {
                    x->re = s_regex_new(json_string_value(x->b.lit));
                    x->re_bad = x->re == NULL;
                }
            } else {
                ps->pos = save;
                if (x->a.kind == T_LIT) { /* a lone literal is no test */
                    s_fail(ps, "expected a comparison");
                    s_expr_free(x);
                    x = NULL;
                }
            }
        }
    }
    ps->depth--;
    return x;
}

/* level 0: a || b || ...; level 1: a && b && ...; below: unary terms. */
static jp_expr_t *s_parse_binary(s_parser_t *ps, int level) {
    static const char *tok[2] = {"||", "&&"};
    static const int op[2] = {EX_OR, EX_AND};
    jp_expr_t *l = level == 0 ? s_parse_binary(ps, 1) : s_parse_unary(ps);
    while (l) {
        s_skip_ws(ps);
        if (!(ps->len - ps->pos >= 2 && memcmp(ps->s + ps->pos, tok[level], 2) == 0)) break;
        ps->pos += 2;
        jp_expr_t *r = level == 0 ? s_parse_binary(ps, 1) : s_parse_unary(ps);
        if (!r) {
            s_expr_free(l);
            return NULL;
        }
        jp_expr_t *x = s_new_expr(op[level]);
        x->l = l;
        x->r = r;
        l = x;
    }
    return l;
}

static jp_expr_t *s_parse_or(s_parser_t *ps) { return s_parse_binary(ps, 0); }

jp_path_t *jp_compile(const char *path, size_t len, char *err, size_t errlen) {
    s_parser_t ps = {path, len, 0, err, errlen, 0, 0};
    if (len == 0 || path[0] != '$') {
        s_fail(&ps, "a path starts with '$'");
        return NULL;
    }
    ps.pos = 1;
    jp_path_t *p = calloc(1, sizeof *p);
    if (!p) abort();
    if (s_parse_steps(&ps, p, 0)) {
        jp_free(p);
        return NULL;
    }
    return p;
}

/* ===================== evaluation ===================== */

static void s_push(jp_matches_t *m, json_t *node, json_t *parent, const char *key, size_t klen,
                   size_t idx, size_t depth) {
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 8;
        m->v = s_xrealloc(m->v, m->cap * sizeof *m->v);
    }
    m->v[m->n++] = (jp_match_t){node, parent, key, klen, idx, depth};
}

void jp_matches_free(jp_matches_t *m) {
    free(m->v);
    m->v = NULL;
    m->n = m->cap = 0;
}

int jp_equal(const json_t *a, const json_t *b) {
    if (json_typeof(a) != json_typeof(b)) return 0;
    switch (json_typeof(a)) {
    case JSON_INTEGER: return json_integer_value(a) == json_integer_value(b);
    case JSON_REAL: return json_real_value(a) == json_real_value(b);
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b)) return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!jp_equal(json_array_get(a, i), json_array_get(b, i))) return 0;
        return 1;
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b)) return 0;
        const char *k;
        size_t kl;
        json_t *v;
        json_object_keylen_foreach((json_t *)a, k, kl, v) {
            json_t *o = json_object_getn(b, k, kl);
            if (!o || !jp_equal(v, o)) return 0;
        }
        return 1;
    }
    default: return 1; /* true, false, null */
    }
}

static void s_eval_steps(const jp_step_t *steps, size_t n, json_t *root, json_t *start,
                         jp_matches_t *out);

/* The first node a filter term names (NULL when none). */
static json_t *s_term_value(const jp_term_t *t, json_t *item, json_t *root) {
    if (t->kind == T_LIT) return t->lit;
    json_t *from = t->kind == T_REL ? item : root;
    const jp_path_t *p = t->path;
    /* the common case, @.a.b or @[0]: walk without collecting */
    json_t *cur = from;
    size_t i = 0;
    for (; i < p->n && cur; i++) {
        const jp_step_t *st = &p->steps[i];
        if (st->recursive || st->n != 1) break;
        if (st->kind == ST_NAMES)
            cur = json_is_object(cur) ? json_object_getn(cur, st->names[0], st->nlens[0]) : NULL;
        else if (st->kind == ST_INDEXES && json_is_array(cur)) {
            long long k = st->idx[0], len = (long long)json_array_size(cur);
            if (k < 0) k += len;
            cur = k >= 0 && k < len ? json_array_get(cur, (size_t)k) : NULL;
        } else
            break;
    }
    if (!cur || i == p->n) return cur;
    jp_matches_t m = {0};
    s_eval_steps(p->steps + i, p->n - i, root, cur, &m);
    json_t *v = m.n ? m.v[0].node : NULL;
    jp_matches_free(&m);
    return v;
}

static int s_regex_match(const jp_expr_t *x, const json_t *s, const json_t *pat) {
    if (!json_is_string(s) || !json_is_string(pat) || x->re_bad) return 0;
    if (x->re) return regexec(x->re, json_string_value(s), 0, NULL, 0) == 0;
    regex_t *re = s_regex_new(json_string_value(pat)); /* a pattern from the document */
    if (!re) return 0;
    int ok = regexec(re, json_string_value(s), 0, NULL, 0) == 0;
    regfree(re);
    free(re);
    return ok;
}

static int s_ord(int op, int c) {
    switch (op) {
    case C_EQ: return c == 0;
    case C_NE: return c != 0;
    case C_LT: return c < 0;
    case C_LE: return c <= 0;
    case C_GT: return c > 0;
    case C_GE: return c >= 0;
    default: return 0;
    }
}

static int s_compare(const jp_expr_t *x, const json_t *a, const json_t *b) {
    int op = x->cmp;
    if (!a || !b) return 0; /* a missing member satisfies no comparison */
    if (op == C_RE) return s_regex_match(x, a, b);
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b)) {
            json_int_t x = json_integer_value(a), y = json_integer_value(b);
            return s_ord(op, (x > y) - (x < y));
        }
        double x = json_number_value(a), y = json_number_value(b);
        return s_ord(op, (x > y) - (x < y));
    }
    if (json_is_string(a) && json_is_string(b)) {
        size_t la = json_string_length(a), lb = json_string_length(b);
        int c = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);
        if (c == 0) c = (la > lb) - (la < lb);
        return s_ord(op, c);
    }
    int same = json_typeof(a) == json_typeof(b) || (json_is_boolean(a) && json_is_boolean(b));
    if (!same) return op == C_NE;
    if (op != C_EQ && op != C_NE) return 0;
    return (op == C_EQ) == jp_equal(a, b);
}

static int s_test(const jp_expr_t *x, json_t *item, json_t *root) {
    switch (x->op) {
    case EX_OR: return s_test(x->l, item, root) || s_test(x->r, item, root);
    case EX_AND: return s_test(x->l, item, root) && s_test(x->r, item, root);
    case EX_NOT: return !s_test(x->l, item, root);
    case EX_EXISTS: return s_term_value(&x->a, item, root) != NULL;
    default: return s_compare(x, s_term_value(&x->a, item, root), s_term_value(&x->b, item, root));
    }
}

/* The children of m->node that one step selects. */
static void s_apply(const jp_step_t *st, const jp_match_t *m, json_t *root, jp_matches_t *out) {
    json_t *n = m->node;
    size_t d = m->depth + 1;
    const char *k;
    size_t kl;
    json_t *v;
    switch (st->kind) {
    case ST_NAMES:
        if (!json_is_object(n)) return;
        for (size_t i = 0; i < st->n; i++) {
            json_t *c = json_object_getn(n, st->names[i], st->nlens[i]);
            if (c) s_push(out, c, n, st->names[i], st->nlens[i], 0, d);
        }
        return;
    case ST_WILD:
    case ST_FILTER:
        if (json_is_object(n)) {
            json_object_keylen_foreach(n, k, kl, v) {
                if (st->kind == ST_WILD || s_test(st->filter, v, root))
                    s_push(out, v, n, k, kl, 0, d);
            }
        } else if (json_is_array(n)) {
            for (size_t i = 0; i < json_array_size(n); i++) {
                v = json_array_get(n, i);
                if (st->kind == ST_WILD || s_test(st->filter, v, root))
                    s_push(out, v, n, NULL, 0, i, d);
            }
        }
        return;
    case ST_INDEXES:
        if (!json_is_array(n)) return;
        for (size_t i = 0; i < st->n; i++) {
            long long x = st->idx[i], len = (long long)json_array_size(n);
            if (x < 0) x += len;
            if (x >= 0 && x < len)
                s_push(out, json_array_get(n, (size_t)x), n, NULL, 0, (size_t)x, d);
        }
        return;
    case ST_SLICE: {
        if (!json_is_array(n)) return;
        long long len = (long long)json_array_size(n);
        long long s = st->has_start ? st->start : 0, e = st->has_end ? st->end : len;
        if (s < 0) s = s + len < 0 ? 0 : s + len;
        if (e < 0) e = e + len < 0 ? 0 : e + len;
        if (s > len) s = len;
        if (e > len) e = len;
        for (long long i = s; i < e; i += st->step)
            s_push(out, json_array_get(n, (size_t)i), n, NULL, 0, (size_t)i, d);
        return;
    }
    }
}

/* ..step: the step applied at the node and at every node below it, in document order. */
static void s_apply_recursive(const jp_step_t *st, const jp_match_t *m, json_t *root,
                              jp_matches_t *out) {
    s_apply(st, m, root, out);
    json_t *n = m->node;
    const char *k;
    size_t kl;
    json_t *v;
    if (json_is_object(n)) {
        json_object_keylen_foreach(n, k, kl, v) {
            if (!json_is_object(v) && !json_is_array(v)) continue;
            jp_match_t c = {v, n, k, kl, 0, m->depth + 1};
            s_apply_recursive(st, &c, root, out);
        }
    } else if (json_is_array(n)) {
        for (size_t i = 0; i < json_array_size(n); i++) {
            v = json_array_get(n, i);
            if (!json_is_object(v) && !json_is_array(v)) continue;
            jp_match_t c = {v, n, NULL, 0, i, m->depth + 1};
            s_apply_recursive(st, &c, root, out);
        }
    }
}

static void s_eval_from(const jp_step_t *steps, size_t n, json_t *root, jp_matches_t *cur,
                        jp_matches_t *out) {
    jp_matches_t next = {0};
    for (size_t i = 0; i < n; i++) {
        jp_matches_t *dst = i + 1 == n ? out : &next;
        for (size_t j = 0; j < cur->n; j++) {
            if (steps[i].recursive)
                s_apply_recursive(&steps[i], &cur->v[j], root, dst);
            else
                s_apply(&steps[i], &cur->v[j], root, dst);
        }
        if (i + 1 < n) {
            jp_matches_t t = *cur;
            *cur = next;
            next = t;
            next.n = 0;
        }
    }
    jp_matches_free(&next);
}

static void s_eval_steps(const jp_step_t *steps, size_t n, json_t *root, json_t *start,
                         jp_matches_t *out) {
    if (n == 0) {
        s_push(out, start, NULL, NULL, 0, 0, 0);
        return;
    }
    jp_matches_t cur = {0};
    s_push(&cur, start, NULL, NULL, 0, 0, 0);
    s_eval_from(steps, n, root, &cur, out);
    jp_matches_free(&cur);
}

void jp_eval(const jp_path_t *p, json_t *root, int skip_last, jp_matches_t *out) {
    size_t n = p->n;
    if (skip_last && n > 0) n--;
    s_eval_steps(p->steps, n, root, root, out);
}
