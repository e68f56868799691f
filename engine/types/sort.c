/* SORT and SORT_RO: ordering the elements of a list, set or sorted set by their own value or by
 * keys derived from them (BY / GET patterns, "key->field" for hashes), with Redis 7.0's
 * options, orderings, error texts and quirks; plus the command rows and key finders. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/commands.h"
#include "engine/engine.h"
#include "engine/types/t_hash.h"
#include "engine/types/t_list.h"
#include "engine/types/t_set.h"
#include "engine/types/t_zset.h"
#include "shared/buf.h"

/* ===================== patterns ===================== */

/* A BY or GET pattern, analysed once. Redis reads patterns as C strings for finding '#', '*'
 * and "->" (a NUL byte ends the search) but copies the key's tail and the field by the full
 * length, so both views are kept. */
typedef struct sort_pattern {
    const char *p;
    size_t len;
    int self;          /* "#": the element itself */
    int none;          /* no '*' before a NUL: names no key at all */
    size_t star;       /* offset of the first '*' */
    size_t postlen;    /* bytes after the '*' that belong to the key name */
    const char *field; /* "->field": a hash field, NULL when the key holds a string */
    size_t flen;
} sort_pattern_t;

/* Bytes before the first NUL: what C string functions see. */
static size_t s_cstrlen(const char *p, size_t len) {
    const char *z = memchr(p, '\0', len);
    return z ? (size_t)(z - p) : len;
}

static void s_pattern_init(sort_pattern_t *pt, const proto_arg_t *a) {
    memset(pt, 0, sizeof *pt);
    pt->p = a->ptr;
    pt->len = a->len;
    size_t clen = s_cstrlen(a->ptr, a->len);
    if (clen == 1 && a->ptr[0] == '#') {
        pt->self = 1;
        return;
    }
    const char *star = memchr(a->ptr, '*', clen);
    if (!star) {
        pt->none = 1;
        return;
    }
    pt->star = (size_t)(star - a->ptr);
    /* the first "->" after the '*' makes a hash dereference when a field name follows it */
    for (size_t i = pt->star + 1; i + 1 < clen; i++) {
        if (a->ptr[i] == '-' && a->ptr[i + 1] == '>') {
            if (i + 2 < a->len && a->ptr[i + 2] != '\0') {
                pt->field = a->ptr + i + 2;
                pt->flen = a->len - i - 2;
            }
            break;
        }
    }
    pt->postlen = a->len - pt->star - 1 - (pt->field ? pt->flen + 2 : 0);
}

/* 1 when the BY argument asks for sorting at all: its pattern has a '*' (before any NUL). */
static int s_pattern_has_star(const proto_arg_t *a) {
    return memchr(a->ptr, '*', s_cstrlen(a->ptr, a->len)) != NULL;
}

/* The value a pattern names for an element, as Redis's lookupKeyByPattern: the element for
 * "#", else the string at the key the element substitutes into, or the field of the hash
 * there. 1 with the bytes in *v (valid until the keyspace changes; int strings are written
 * to tmp, >= 24 bytes), 0 when there is no such value. kb is scratch for the key name. */
static int s_pattern_value(client_t *c, const sort_pattern_t *pt, buf_t *kb, const char *el,
                           size_t ellen, char *tmp, const char **v, size_t *vlen) {
    if (pt->self) {
        *v = el;
        *vlen = ellen;
        return 1;
    }
    if (pt->none) return 0;
    buf_clear(kb);
    buf_reserve(kb, 1); /* a non-NULL name even when it is empty */
    buf_append(kb, pt->p, pt->star);
    buf_append(kb, el, ellen);
    buf_append(kb, pt->p + pt->star + 1, pt->postlen);
    vobj_t *o = db_lookup_read(c->eng, c->db, kb->data, kb->len);
    if (!o) return 0;
    if (pt->field) {
        if (o->type != OBJ_HASH) return 0;
        return hash_type_get(o, pt->field, pt->flen, v, vlen);
    }
    if (o->type != OBJ_STRING) return 0;
    *v = obj_str(o, tmp, vlen);
    return 1;
}

/* ===================== weights and comparison ===================== */

/* A sort weight as Redis reads one: strtod over the C string (so a NUL byte ends it; leading
 * spaces, hex and "inf" pass), nothing left over, no overflow or underflow, not NaN. */
static int s_parse_weight(const char *p, size_t len, double *out) {
    char small[128];
    size_t clen = s_cstrlen(p, len);
    char *s = clen < sizeof small ? small : malloc(clen + 1);
    if (!s) abort();
    memcpy(s, p, clen);
    s[clen] = '\0';
    char *eptr;
    errno = 0;
    *out = strtod(s, &eptr);
    int ok = eptr[0] == '\0' && errno != ERANGE && !isnan(*out);
    if (s != small) free(s);
    return ok;
}

typedef struct sort_item {
    size_t off, len;   /* the element's bytes in the arena */
    size_t coff, clen; /* ALPHA with BY: the weight's bytes in the arena */
    int has_cmp;
    double score;
    const char *p, *cp; /* resolved once the arena stops growing */
} sort_item_t;

/* How the comparison works; set before each sort (the engine runs one command at a time). */
static struct { int desc, alpha, bypattern, store; } s_how;

/* Byte order, the shorter first on a common prefix (Redis's compareStringObjects). */
static int s_cmp_bytes(const char *a, size_t alen, const char *b, size_t blen) {
    int r = memcmp(a, b, alen < blen ? alen : blen);
    if (r) return r;
    return alen < blen ? -1 : alen > blen;
}

/* Redis collates with strcoll() unless the result is stored; in the C and C.UTF-8 locales
 * that is strcmp(): byte order up to the first NUL. */
static int s_cmp_coll(const char *a, size_t alen, const char *b, size_t blen) {
    return s_cmp_bytes(a, s_cstrlen(a, alen), b, s_cstrlen(b, blen));
}

static int s_compare(const void *x, const void *y) {
    const sort_item_t *a = x, *b = y;
    int cmp;
    if (!s_how.alpha) {
        if (a->score > b->score)
            cmp = 1;
        else if (a->score < b->score)
            cmp = -1;
        else /* equal weights: the elements decide, so the result is deterministic */
            cmp = s_cmp_bytes(a->p, a->len, b->p, b->len);
    } else if (s_how.bypattern) {
        if (!a->has_cmp || !b->has_cmp) /* a missing weight sorts first */
            cmp = a->has_cmp == b->has_cmp ? 0 : a->has_cmp ? 1 : -1;
        else if (s_how.store)
            cmp = s_cmp_bytes(a->cp, a->clen, b->cp, b->clen);
        else
            cmp = s_cmp_coll(a->cp, a->clen, b->cp, b->clen);
    } else if (s_how.store) {
        cmp = s_cmp_bytes(a->p, a->len, b->p, b->len);
    } else {
        cmp = s_cmp_coll(a->p, a->len, b->p, b->len);
    }
    return s_how.desc ? -cmp : cmp;
}

/* ===================== loading the elements ===================== */

typedef struct sort_vec {
    sort_item_t *items;
    long n, cap;
    buf_t arena;
} sort_vec_t;

static void s_vec_add(sort_vec_t *v, const char *p, size_t len) {
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->items = realloc(v->items, (size_t)v->cap * sizeof *v->items);
        if (!v->items) abort();
    }
    sort_item_t *it = &v->items[v->n++];
    memset(it, 0, sizeof *it);
    it->off = v->arena.len;
    it->len = len;
    buf_append(&v->arena, p, len);
}

/* Up to max elements of a list from index start towards dir. */
static void s_load_list(sort_vec_t *v, const vobj_t *o, long long start, int dir, long max) {
    list_iter_t li;
    const char *p;
    size_t len;
    list_iter_init(&li, o, start, dir);
    while (v->n < max && list_iter_next(&li, &p, &len))
        s_vec_add(v, p, len);
}

static void s_load_set(sort_vec_t *v, const vobj_t *o) {
    set_iter_t si;
    set_member_t m;
    char tmp[32];
    set_iter_init(&si, o);
    while (set_iter_next(&si, &m)) {
        size_t len;
        const char *p = set_member_str(&m, tmp, &len);
        s_vec_add(v, p, len);
    }
    set_iter_done(&si);
}

/* Up to max members of a sorted set from rank start, highest first when reverse. */
static void s_load_zset(sort_vec_t *v, const vobj_t *o, unsigned long start, int reverse,
                        long max) {
    zset_iter_t zi;
    const char *p;
    size_t len;
    zset_iter_rank(&zi, o, start, reverse);
    while (v->n < max && zset_iter_next(&zi, &p, &len, NULL))
        s_vec_add(v, p, len);
}

/* ===================== the command ===================== */

static void s_sort_generic(client_t *c, int readonly) {
    engine_t *e = c->eng;
    int desc = 0, alpha = 0, dontsort = 0, ngets = 0;
    long long lstart = 0, lcount = -1;
    const proto_arg_t *by = NULL, *store = NULL;
    sort_pattern_t *gets = NULL;
    sort_vec_t v = {0};
    buf_t kb;
    buf_init(&kb);
    buf_init(&v.arena);

    /* options first: their errors win over the key's type */
    for (int j = 2; j < c->argc; j++) {
        const proto_arg_t *a = &c->argv[j];
        int left = c->argc - j - 1;
        if (arg_is(a, "asc")) {
            desc = 0;
        } else if (arg_is(a, "desc")) {
            desc = 1;
        } else if (arg_is(a, "alpha")) {
            alpha = 1;
        } else if (arg_is(a, "limit") && left >= 2) {
            if (arg_ll_or_reply(c, &c->argv[j + 1], &lstart, NULL) ||
                arg_ll_or_reply(c, &c->argv[j + 2], &lcount, NULL))
                goto done;
            j += 2;
        } else if (!readonly && arg_is(a, "store") && left >= 1) {
            store = &c->argv[++j];
        } else if (arg_is(a, "by") && left >= 1) {
            by = &c->argv[++j];
            /* a pattern without '*' means "don't sort", and a later BY does not undo it */
            if (!s_pattern_has_star(by)) dontsort = 1;
        } else if (arg_is(a, "get") && left >= 1) {
            if (!gets) {
                gets = malloc(sizeof *gets * (size_t)(c->argc / 2));
                if (!gets) abort();
            }
            s_pattern_init(&gets[ngets++], &c->argv[++j]);
        } else {
            reply_error(c, ERR_SYNTAX);
            goto done;
        }
    }

    vobj_t *src = db_lookup_read(e, c->db, c->argv[1].ptr, c->argv[1].len);
    if (src && src->type != OBJ_LIST && src->type != OBJ_SET && src->type != OBJ_ZSET) {
        reply_error(c, ERR_WRONGTYPE);
        goto done;
    }
    /* a set has no order of its own: what gets stored is sorted so replicas agree */
    if (dontsort && src && src->type == OBJ_SET && store) {
        dontsort = 0;
        alpha = 1;
        by = NULL;
    }
    /* as Redis, even SORT_RO leaves a sorted set skiplist-encoded */
    if (src && src->type == OBJ_ZSET) zset_convert(src, ENC_SKIPLIST);

    long vlen = 0;
    if (src && src->type == OBJ_LIST)
        vlen = (long)list_type_length(src);
    else if (src && src->type == OBJ_SET)
        vlen = (long)set_type_size(src);
    else if (src)
        vlen = (long)zset_length(src);

    /* LIMIT as Redis reads it: a negative offset is 0, a negative count means all */
    long start = lstart < 0 ? 0 : (long)lstart;
    long end;
    if (lcount < 0)
        end = vlen - 1;
    else if (lcount - 1 > LONG_MAX - start)
        end = LONG_MAX;
    else
        end = start + (long)lcount - 1;
    if (start >= vlen) {
        start = vlen - 1;
        end = vlen - 2;
    }
    if (end >= vlen) end = vlen - 1;

    if (src && dontsort && src->type != OBJ_SET) {
        /* lists and sorted sets keep their own order: load just the range, in the direction
         * asked for */
        long want = (start != 0 || end != vlen - 1) ? end - start + 1 : vlen;
        if (end >= start) {
            if (src->type == OBJ_LIST)
                s_load_list(&v, src, desc ? vlen - start - 1 : start, desc ? LIST_HEAD : LIST_TAIL,
                            want);
            else
                s_load_zset(&v, src, (unsigned long)start, desc, want);
            end -= start;
            start = 0;
        }
    } else if (src && src->type == OBJ_LIST) {
        s_load_list(&v, src, 0, LIST_TAIL, vlen);
    } else if (src && src->type == OBJ_SET) {
        s_load_set(&v, src);
    } else if (src) {
        s_load_zset(&v, src, 0, 0, vlen);
    }

    int conversion_error = 0;
    if (!dontsort) {
        sort_pattern_t bp;
        if (by) s_pattern_init(&bp, by);
        for (long j = 0; j < v.n; j++) {
            sort_item_t *it = &v.items[j];
            const char *w;
            size_t wlen;
            char tmp[32];
            if (by) {
                if (!s_pattern_value(c, &bp, &kb, v.arena.data + it->off, it->len, tmp, &w, &wlen))
                    continue; /* no weight: 0, or first for ALPHA */
            } else {
                w = v.arena.data + it->off;
                wlen = it->len;
            }
            if (alpha) {
                if (by) {
                    it->has_cmp = 1;
                    it->coff = v.arena.len;
                    it->clen = wlen;
                    buf_append(&v.arena, w, wlen);
                }
            } else if (!s_parse_weight(w, wlen, &it->score)) {
                conversion_error = 1;
            }
        }
    }
    for (long j = 0; j < v.n; j++) {
        v.items[j].p = v.arena.data + v.items[j].off;
        v.items[j].cp = v.arena.data + v.items[j].coff;
    }
    if (!dontsort && v.n > 1) {
        s_how.desc = desc;
        s_how.alpha = alpha;
        s_how.bypattern = by != NULL;
        s_how.store = store != NULL;
        qsort(v.items, (size_t)v.n, sizeof *v.items, s_compare);
    }

    long long outlen = (long long)(end - start + 1) * (ngets ? ngets : 1);
    if (conversion_error) {
        reply_error(c, "One or more scores can't be converted into double");
    } else if (!store) {
        reply_array(c, outlen);
        for (long j = start; j <= end; j++) {
            const sort_item_t *it = &v.items[j];
            if (!ngets) reply_bulk(c, it->p, it->len);
            for (int g = 0; g < ngets; g++) {
                const char *val;
                size_t vallen;
                char tmp[32];
                if (s_pattern_value(c, &gets[g], &kb, it->p, it->len, tmp, &val, &vallen))
                    reply_bulk(c, val, vallen);
                else
                    reply_null(c);
            }
        }
    } else {
        vobj_t *dst = list_type_new();
        for (long j = start; j <= end; j++) {
            const sort_item_t *it = &v.items[j];
            if (!ngets) list_type_push(dst, it->p, it->len, LIST_TAIL);
            for (int g = 0; g < ngets; g++) {
                const char *val;
                size_t vallen;
                char tmp[32];
                if (!s_pattern_value(c, &gets[g], &kb, it->p, it->len, tmp, &val, &vallen)) {
                    val = "";
                    vallen = 0;
                }
                list_type_push(dst, val, vallen, LIST_TAIL);
            }
        }
        /* nothing reads the source or the patterns' values from here on: storing may free
         * the source when it is the destination */
        if (outlen) {
            db_set(e, c->db, store->ptr, store->len, dst, 0);
            signal_modified_key(e, c->db, store->ptr, store->len);
            notify_keyspace_event(e, NOTIFY_LIST, "sortstore", store->ptr, store->len, c->db->id);
            e->stats.dirty += outlen;
        } else {
            obj_free(dst);
            if (db_delete(e, c->db, store->ptr, store->len)) {
                signal_modified_key(e, c->db, store->ptr, store->len);
                notify_keyspace_event(e, NOTIFY_GENERIC, "del", store->ptr, store->len, c->db->id);
                e->stats.dirty++;
            }
        }
        reply_int(c, outlen);
    }

done:
    free(gets);
    free(v.items);
    buf_free(&v.arena);
    buf_free(&kb);
}

static void cmd_sort(client_t *c) { s_sort_generic(c, 0); }
static void cmd_sort_ro(client_t *c) { s_sort_generic(c, 1); }

/* ===================== key finders ===================== */

/* SORT's key specs cannot locate STORE's destination: it is the argument after the last STORE
 * word, found by skipping the arguments of LIMIT (2), GET and BY (1) as Redis's sortGetKeys
 * does (the destination itself is then read as a possible option word, as there). */
static int s_sort_getkeys(const command_t *cmd, int argc, const proto_arg_t *argv,
                          cmd_keys_t *out) {
    (void)cmd;
    int dest = 0;
    cmd_keys_add(out, 1, KS_RO | KS_ACCESS);
    for (int i = 2; i < argc; i++) {
        if (arg_is(&argv[i], "limit"))
            i += 2;
        else if (arg_is(&argv[i], "get") || arg_is(&argv[i], "by"))
            i += 1;
        else if (arg_is(&argv[i], "store") && i + 1 < argc)
            dest = i + 1;
    }
    if (dest) cmd_keys_add(out, dest, KS_OW | KS_UPDATE);
    return out->numkeys;
}

/* SORT_RO's only locatable key is the one it sorts (its BY/GET spec is unknown). */
static int s_sort_ro_getkeys(const command_t *cmd, int argc, const proto_arg_t *argv,
                             cmd_keys_t *out) {
    (void)cmd;
    (void)argc;
    (void)argv;
    cmd_keys_add(out, 1, KS_RO | KS_ACCESS);
    return 1;
}

/* ===================== command table ===================== */

#define SORT_BYGET_SPEC                                                                            \
    "RO access;unknown;unknown;For the optional BY/GET keyword. It is marked 'unknown' because "   \
    "the key names derive from the content of the key we sort"
/* Redis gives the BY and GET patterns key_spec_index 1 in COMMAND DOCS; the table's parser
 * accepts a key spec on key arguments only, so the patterns name none here. */
#define SORT_ARGS                                                                                  \
    "key:key@0 ?pattern:pattern=BY@1 ?block:offset_count=LIMIT(integer:offset integer:count) "       \
    "?*&pattern:pattern=GET@1 ?oneof:order(=ASC =DESC) ?pure-token:sorting=ALPHA"
#define SORT_COMPLEXITY                                                                            \
    "O(N+M*log(M)) for N elements in the container and M returned; O(N) when nothing is "          \
    "sorted."

// clang-format off
command_t sort_commands[] = {
    {.name = "sort", .proc = cmd_sort, .arity = -2, .flags = "write denyoom",
     .acl = "set sortedset list dangerous",
     .keyspecs = "RO access;index:1;range:0,1,0|" SORT_BYGET_SPEC "|OW update;unknown;unknown;"
                 "For the optional STORE keyword. It is marked 'unknown' because the keyword can "
                 "appear anywhere in the argument array",
     .getkeys = s_sort_getkeys, .group = "generic", .since = "1.0.0",
     .summary = "Orders the elements of a list, set or sorted set, optionally by other keys, "
                "and returns or stores them.",
     .complexity = SORT_COMPLEXITY, .args = SORT_ARGS " ?key:destination=STORE@2"},
    {.name = "sort_ro", .proc = cmd_sort_ro, .arity = -2, .flags = "readonly",
     .acl = "set sortedset list dangerous",
     .keyspecs = "RO access;index:1;range:0,1,0|" SORT_BYGET_SPEC,
     .getkeys = s_sort_ro_getkeys, .group = "generic", .since = "7.0.0",
     .summary = "Orders the elements of a list, set or sorted set without storing them "
                "(the read-only SORT).",
     .complexity = SORT_COMPLEXITY, .args = SORT_ARGS},
    {0}};
// clang-format on
