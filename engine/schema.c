/* Hash schemas: `SCHEMA.SET pattern field:type[:required] ...` declares the fields of the
 * hashes whose key matches a glob pattern; types are string, int, float, bool and email, and
 * `field:required` alone means a required string. Every hash write (HSET, HMSET, HSETNX,
 * HINCRBY, HINCRBYFLOAT, over RESP or HTTP) is checked before anything is written
 * (core_hash_write from engine/types/t_hash.c): each written field declared by a matching
 * schema must hold a value of its type, and each required field must be in the write or
 * already in the hash. The first failure is replied as
 * `ERR schema violation: field 'age' must be int` and nothing is written.
 *
 * A schema applies to writes made after it is set; existing hashes are not checked. Several
 * schemas may match one key: all apply. Schemas are engine-wide (every database and
 * namespace), replay as called, and are saved in the snapshot section "schemas". HSEARCH
 * indexes the fields schemas declare (engine/hsearch.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/commands.h"
#include "engine/core.h"
#include "engine/snapshot.h"
#include "engine/types/t_hash.h"
#include "shared/util.h"

typedef struct schema_field {
    vstr_t *name;
    int type;
    int required;
} schema_field_t;

typedef struct schema {
    vstr_t *pattern;
    schema_field_t *fields;
    int nfields;
} schema_t;

typedef struct schema_state {
    schema_t *v; /* sorted by pattern */
    int n, cap;
} schema_state_t;

static const char *const s_type_names[] = {"string", "int", "float", "bool", "email"};
#define NTYPES 5

static schema_state_t *s_state(engine_t *e, int create) {
    int created;
    return CORE_MODULE(e, schemas, create, &created);
}

static void s_schema_free(schema_t *s) {
    vstr_free(s->pattern);
    for (int i = 0; i < s->nfields; i++)
        vstr_free(s->fields[i].name);
    free(s->fields);
}

void schema_free(engine_t *e) {
    schema_state_t *st = s_state(e, 0);
    if (!st) return;
    for (int i = 0; i < st->n; i++)
        s_schema_free(&st->v[i]);
    free(st->v);
    free(st);
    core_of(e)->schemas = NULL;
}

int schema_count(engine_t *e) {
    schema_state_t *st = s_state(e, 0);
    return st ? st->n : 0;
}

static int s_cmp(const char *a, size_t al, const char *b, size_t bl) {
    int r = memcmp(a, b, al < bl ? al : bl);
    return r ? r : (al > bl) - (al < bl);
}

/* Index of the schema with this pattern, or -(insertion point) - 1. */
static int s_find(schema_state_t *st, const char *p, size_t len) {
    int lo = 0, hi = st ? st->n - 1 : -1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int r = s_cmp(st->v[mid].pattern->ptr, st->v[mid].pattern->len, p, len);
        if (r == 0) return mid;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -lo - 1;
}

/* Parses "name:type", "name:type:required" or "name:required"; 0 or -1. */
static int s_parse_field(const proto_arg_t *a, schema_field_t *out) {
    const char *c1 = memchr(a->ptr, ':', a->len);
    if (!c1 || c1 == a->ptr) return -1;
    size_t nl = (size_t)(c1 - a->ptr);
    const char *rest = c1 + 1, *end = a->ptr + a->len;
    const char *c2 = memchr(rest, ':', (size_t)(end - rest));
    size_t tl = (size_t)((c2 ? c2 : end) - rest);
    out->required = 0;
    out->type = -1;
    if (tl == 8 && !strncasecmp(rest, "required", 8) && !c2) {
        out->type = SCHEMA_T_STRING;
        out->required = 1;
    } else {
        for (int t = 0; t < NTYPES; t++)
            if (strlen(s_type_names[t]) == tl && !strncasecmp(rest, s_type_names[t], tl))
                out->type = t;
        if (out->type < 0) return -1;
        if (c2) {
            size_t rl = (size_t)(end - c2 - 1);
            if (rl != 8 || strncasecmp(c2 + 1, "required", 8)) return -1;
            out->required = 1;
        }
    }
    out->name = vstr_new(a->ptr, nl);
    return 0;
}

static int s_valid_email(const char *p, size_t len) {
    const char *at = memchr(p, '@', len);
    if (!at || at == p || memchr(at + 1, '@', len - (size_t)(at - p) - 1)) return 0;
    const char *dom = at + 1, *end = p + len;
    if (dom >= end) return 0;
    for (const char *q = p; q < end; q++)
        if ((unsigned char)*q <= ' ' || *q == 0x7f) return 0;
    const char *dot = NULL;
    for (const char *q = dom; q < end; q++)
        if (*q == '.') dot = q;
    return dot && dot > dom && dot < end - 1 && dom[0] != '.';
}

static int s_valid_bool(const char *p, size_t len) {
    static const char *const ok[] = {"true", "false", "1", "0", "yes", "no"};
    for (size_t i = 0; i < 6; i++)
        if (strlen(ok[i]) == len && !strncasecmp(p, ok[i], len)) return 1;
    return 0;
}

/* 1 when the bytes are a value of the type. */
static int s_valid(int type, const char *p, size_t len) {
    long long ll;
    double d;
    switch (type) {
    case SCHEMA_T_INT: return str_to_ll(p, len, &ll);
    case SCHEMA_T_FLOAT: return str_to_d(p, len, &d) && d == d && d - d == 0; /* finite */
    case SCHEMA_T_BOOL: return s_valid_bool(p, len);
    case SCHEMA_T_EMAIL: return s_valid_email(p, len);
    default: return 1;
    }
}

static int s_field_in(const proto_arg_t *fv, int n, const vstr_t *name) {
    for (int i = 0; i < n; i += 2)
        if (fv[i].len == name->len && memcmp(fv[i].ptr, name->ptr, name->len) == 0) return 1;
    return 0;
}

int schema_check(client_t *c, const proto_arg_t *key, const vobj_t *existing, const proto_arg_t *fv,
                 int n) {
    schema_state_t *st = s_state(c->eng, 0);
    if (!st || st->n == 0) return 0;
    for (int s = 0; s < st->n; s++) {
        const schema_t *sc = &st->v[s];
        if (!glob_match(sc->pattern->ptr, sc->pattern->len, key->ptr, key->len, 0)) continue;
        for (int i = 0; i < n; i += 2) {
            for (int f = 0; f < sc->nfields; f++) {
                const schema_field_t *sf = &sc->fields[f];
                if (sf->name->len != fv[i].len || memcmp(sf->name->ptr, fv[i].ptr, fv[i].len))
                    continue;
                if (!s_valid(sf->type, fv[i + 1].ptr, fv[i + 1].len)) {
                    reply_errorf(c, "schema violation: field '%.*s' must be %s", (int)sf->name->len,
                                 sf->name->ptr, s_type_names[sf->type]);
                    return -1;
                }
            }
        }
        for (int f = 0; f < sc->nfields; f++) {
            const schema_field_t *sf = &sc->fields[f];
            if (!sf->required || s_field_in(fv, n, sf->name)) continue;
            if (existing && hash_type_exists(existing, sf->name->ptr, sf->name->len)) continue;
            reply_errorf(c, "schema violation: field '%.*s' is required", (int)sf->name->len,
                         sf->name->ptr);
            return -1;
        }
    }
    return 0;
}

void schema_fields_for_key(engine_t *e, const char *key, size_t len, schema_field_fn *fn,
                           void *ctx) {
    schema_state_t *st = s_state(e, 0);
    for (int s = 0; st && s < st->n; s++) {
        const schema_t *sc = &st->v[s];
        if (!glob_match(sc->pattern->ptr, sc->pattern->len, key, len, 0)) continue;
        for (int f = 0; f < sc->nfields; f++)
            fn(ctx, sc->fields[f].name->ptr, sc->fields[f].name->len, sc->fields[f].type);
    }
}

/* A schema pattern covers a query pattern: the same, or "prefix*" (no other wildcard) with
 * the query pattern starting with prefix. */
static int s_covers(const vstr_t *sp, const proto_arg_t *qp) {
    size_t sl = sp->len;
    if (sl == qp->len && memcmp(sp->ptr, qp->ptr, sl) == 0) return 1;
    if (sl == 0 || sp->ptr[sl - 1] != '*') return 0;
    for (size_t i = 0; i + 1 < sl; i++)
        if (strchr("*?[\\", sp->ptr[i])) return 0;
    return qp->len >= sl - 1 && memcmp(qp->ptr, sp->ptr, sl - 1) == 0;
}

int schema_field_covered(engine_t *e, const proto_arg_t *qpat, const char *f, size_t flen,
                         int *numeric) {
    schema_state_t *st = s_state(e, 0);
    int covered = 0;
    *numeric = 0;
    for (int s = 0; st && s < st->n; s++) {
        const schema_t *sc = &st->v[s];
        if (!s_covers(sc->pattern, qpat)) continue;
        for (int i = 0; i < sc->nfields; i++) {
            const schema_field_t *sf = &sc->fields[i];
            if (sf->name->len != flen || memcmp(sf->name->ptr, f, flen)) continue;
            covered = 1;
            if (sf->type == SCHEMA_T_INT || sf->type == SCHEMA_T_FLOAT) *numeric = 1;
        }
    }
    return covered;
}

/* Puts sc (taken over) in place of the schema with its pattern, or inserts it. */
static void s_put(schema_state_t *st, schema_t *sc) {
    int i = s_find(st, sc->pattern->ptr, sc->pattern->len);
    if (i >= 0) {
        s_schema_free(&st->v[i]);
        st->v[i] = *sc;
        return;
    }
    i = -i - 1;
    if (st->n == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 8;
        st->v = realloc(st->v, (size_t)st->cap * sizeof *st->v);
        if (!st->v) abort();
    }
    memmove(&st->v[i + 1], &st->v[i], (size_t)(st->n - i) * sizeof *st->v);
    st->v[i] = *sc;
    st->n++;
}

/* ===================== commands ===================== */

static void cmd_schema_set(client_t *c) {
    engine_t *e = c->eng;
    int nf = c->argc - 2;
    schema_t sc = {vstr_new(c->argv[1].ptr, c->argv[1].len),
                   calloc((size_t)nf, sizeof(schema_field_t)), 0};
    if (!sc.fields) abort();
    for (int i = 0; i < nf; i++) {
        const proto_arg_t *a = &c->argv[2 + i];
        if (s_parse_field(a, &sc.fields[i]) < 0) {
            reply_errorf(c,
                         "invalid schema field '%.*s': expected name:type[:required] with "
                         "type string, int, float, bool or email (or name:required)",
                         (int)(a->len > 128 ? 128 : a->len), a->ptr);
            s_schema_free(&sc);
            return;
        }
        sc.nfields++;
        for (int j = 0; j < i; j++)
            if (sc.fields[j].name->len == sc.fields[i].name->len &&
                !memcmp(sc.fields[j].name->ptr, sc.fields[i].name->ptr, sc.fields[i].name->len)) {
                reply_errorf(c, "field '%.*s' is declared twice", (int)sc.fields[i].name->len,
                             sc.fields[i].name->ptr);
                s_schema_free(&sc);
                return;
            }
    }
    s_put(s_state(e, 1), &sc);
    hsearch_invalidate(e);
    e->stats.dirty++;
    reply_ok(c);
}

static void s_reply_type(client_t *c, const schema_field_t *f) {
    char buf[32];
    snprintf(buf, sizeof buf, "%s%s", s_type_names[f->type], f->required ? ":required" : "");
    reply_bulk_cstr(c, buf);
}

static void cmd_schema_get(client_t *c) {
    schema_state_t *st = s_state(c->eng, 0);
    int i = s_find(st, c->argv[1].ptr, c->argv[1].len);
    if (i < 0) {
        reply_null(c);
        return;
    }
    const schema_t *sc = &st->v[i];
    reply_map(c, sc->nfields);
    for (int f = 0; f < sc->nfields; f++) {
        reply_bulk(c, sc->fields[f].name->ptr, sc->fields[f].name->len);
        s_reply_type(c, &sc->fields[f]);
    }
}

static void cmd_schema_del(client_t *c) {
    engine_t *e = c->eng;
    schema_state_t *st = s_state(e, 0);
    int i = s_find(st, c->argv[1].ptr, c->argv[1].len);
    if (i < 0) {
        reply_int(c, 0);
        return;
    }
    s_schema_free(&st->v[i]);
    memmove(&st->v[i], &st->v[i + 1], (size_t)(st->n - i - 1) * sizeof *st->v);
    st->n--;
    hsearch_invalidate(e);
    e->stats.dirty++;
    reply_int(c, 1);
}

static void cmd_schema_list(client_t *c) {
    schema_state_t *st = s_state(c->eng, 0);
    int n = st ? st->n : 0;
    reply_array(c, n);
    for (int i = 0; i < n; i++)
        reply_bulk(c, st->v[i].pattern->ptr, st->v[i].pattern->len);
}

/* ===================== snapshot section ===================== */

static void s_save(engine_t *e, snap_writer_t *w) {
    schema_state_t *st = s_state(e, 0);
    int n = st ? st->n : 0;
    snap_put_u64(w, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        const schema_t *sc = &st->v[i];
        snap_put_bytes(w, sc->pattern->ptr, sc->pattern->len);
        snap_put_u64(w, (uint64_t)sc->nfields);
        for (int f = 0; f < sc->nfields; f++) {
            snap_put_bytes(w, sc->fields[f].name->ptr, sc->fields[f].name->len);
            snap_put_u8(w, (uint8_t)sc->fields[f].type);
            snap_put_u8(w, (uint8_t)sc->fields[f].required);
        }
    }
}

static int s_load(engine_t *e, snap_reader_t *r) {
    uint64_t n;
    if (snap_get_count(r, &n) < 0) return -1;
    for (uint64_t i = 0; i < n; i++) {
        const char *p;
        size_t len;
        uint64_t nf;
        if (snap_get_bytes(r, &p, &len) < 0) return -1;
        schema_t sc = {vstr_new(p, len), NULL, 0};
        if (snap_get_count(r, &nf) < 0) {
            s_schema_free(&sc);
            return -1;
        }
        sc.fields = calloc(nf ? nf : 1, sizeof(schema_field_t));
        if (!sc.fields) abort();
        int bad = 0;
        for (uint64_t f = 0; f < nf && !bad; f++) {
            uint8_t type = 0, req = 0;
            if (snap_get_bytes(r, &p, &len) < 0) {
                bad = 1;
                break;
            }
            sc.fields[f].name = vstr_new(p, len);
            sc.nfields++;
            if (snap_get_u8(r, &type) < 0 || snap_get_u8(r, &req) < 0)
                bad = 1;
            else if (type >= NTYPES || req > 1)
                bad = snap_fail(r, "schema field: bad type") < 0;
            sc.fields[f].type = type;
            sc.fields[f].required = req;
        }
        if (bad) {
            s_schema_free(&sc);
            return -1;
        }
        s_put(s_state(e, 1), &sc);
    }
    hsearch_invalidate(e);
    return 0;
}

static const snap_section_t s_section = {.name = "schemas", .save = s_save, .load = s_load};

// clang-format off
static command_t s_schema_commands[] = {
    {.name = "schema.set", .proc = cmd_schema_set, .arity = -3, .flags = "write denyoom",
     .acl = "hash", .group = "schema", .since = "0.1.0",
     .summary = "Declares the field types of the hashes whose key matches a pattern; hash "
                "writes that break it are refused.",
     .complexity = "O(N), N being the number of fields declared.",
     .args = "pattern:pattern *string:field:type"},
    {.name = "schema.get", .proc = cmd_schema_get, .arity = 2, .flags = "readonly fast",
     .acl = "hash", .group = "schema", .since = "0.1.0",
     .summary = "Returns the fields a schema declares, as a map of field to type.",
     .complexity = "O(N), N being the number of fields.", .args = "pattern:pattern"},
    {.name = "schema.del", .proc = cmd_schema_del, .arity = 2, .flags = "write",
     .acl = "hash", .group = "schema", .since = "0.1.0",
     .summary = "Removes the schema of a pattern; returns 1 if there was one.",
     .complexity = "O(N), N being the number of schemas.", .args = "pattern:pattern"},
    {.name = "schema.list", .proc = cmd_schema_list, .arity = 1, .flags = "readonly",
     .acl = "hash", .group = "schema", .since = "0.1.0",
     .summary = "Lists the patterns that have a schema, sorted.",
     .complexity = "O(N), N being the number of schemas."},
    {0}};
// clang-format on

__attribute__((constructor)) static void s_reg(void) {
    command_group_register(s_schema_commands);
    snapshot_register_section(&s_section);
}
