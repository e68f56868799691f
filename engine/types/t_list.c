/* The list type and its commands (LPUSH ... LMPOP): elements in a ring-buffer deque, short ones
 * kept inside their slot; OBJECT ENCODING says "quicklist" as Redis 7.0 always does. */
#include "engine/types/t_list.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "engine/commands.h"
#include "engine/effects.h"
#include "engine/snapshot.h"

/* ===================== elements =====================
 * An element is one pointer-sized word. Strings of up to 7 bytes live in the word itself
 * (low bit 1, length in bits 1-3, byte i in bits 8(i+1)..8(i+1)+7), so short values (counters,
 * ids, flags) cost no allocation; longer ones are a vstr_t* (aligned, so low bit 0). Every
 * element is made by s_elem_new, hence a given short string always has the same word and
 * equality against it is one integer comparison. */

_Static_assert(sizeof(uintptr_t) == 8, "inline list elements need 64-bit words");
#define INLINE_MAX 7

static inline int s_is_inline(const void *e) { return ((uintptr_t)e & 1) != 0; }

static uintptr_t s_inline_word(const char *p, size_t len) {
    uintptr_t w = 1 | ((uintptr_t)len << 1);
    for (size_t i = 0; i < len; i++)
        w |= (uintptr_t)(unsigned char)p[i] << (8 * (i + 1));
    return w;
}

/* Heap bytes of a long element as counted for MEMORY USAGE (allocator rounding to 8). */
static inline size_t s_heap_size(size_t len) { return (sizeof(vstr_t) + len + 1 + 7) & ~(size_t)7; }

static void *s_elem_new(list_t *l, const char *p, size_t len) {
    if (len <= INLINE_MAX) return (void *)s_inline_word(p, len);
    l->heap_bytes += s_heap_size(len);
    return vstr_new(p, len);
}

static void s_elem_free(list_t *l, void *e) {
    if (s_is_inline(e)) return;
    vstr_t *s = e;
    l->heap_bytes -= s_heap_size(s->len);
    vstr_free(s);
}

static const char *s_elem_bytes(const void *e, char *tmp, size_t *len) {
    if (!s_is_inline(e)) {
        const vstr_t *s = e;
        *len = s->len;
        return s->ptr;
    }
    uintptr_t w = (uintptr_t)e;
    size_t n = (w >> 1) & 7;
    for (size_t i = 0; i < n; i++)
        tmp[i] = (char)((w >> (8 * (i + 1))) & 0xff);
    *len = n;
    return tmp;
}

static inline size_t s_elem_heap_size(const void *e) {
    return s_is_inline(e) ? 0 : s_heap_size(((const vstr_t *)e)->len);
}

/* A value searched for (LPOS, LREM, LINSERT's pivot), prepared once. */
typedef struct {
    uintptr_t word; /* the inline word when the value is short, else 0 */
    const char *p;
    size_t len;
} s_needle_t;

static void s_needle_init(s_needle_t *n, const char *p, size_t len) {
    n->p = p;
    n->len = len;
    n->word = len <= INLINE_MAX ? s_inline_word(p, len) : 0;
}

static inline int s_match(const s_needle_t *n, const void *e) {
    if (n->word) return (uintptr_t)e == n->word;
    if (s_is_inline(e)) return 0;
    const vstr_t *s = e;
    return s->len == n->len && memcmp(s->ptr, n->p, n->len) == 0;
}

static void s_reply_elem(client_t *c, const void *e) {
    char tmp[LIST_TMP];
    size_t len;
    const char *p = s_elem_bytes(e, tmp, &len);
    reply_bulk(c, p, len);
}

/* ===================== the type API ===================== */

static inline list_t *s_list(const vobj_t *o) { return o->v.p; }

/* Normalises a Redis-style index (negative from the tail); -1 when out of range. */
static long long s_index(size_t len, long long index) {
    if (index < 0) index += (long long)len;
    if (index < 0 || index >= (long long)len) return -1;
    return index;
}

vobj_t *list_type_new(void) {
    list_t *l = malloc(sizeof *l);
    vobj_t *o = malloc(sizeof *o);
    if (!l || !o) abort(); /* out of memory: maxmemory is the graceful path */
    deque_init(&l->items);
    l->heap_bytes = 0;
    o->type = OBJ_LIST;
    o->enc = ENC_QUICKLIST;
    o->lru = 0;
    o->v.p = l;
    return o;
}

static void s_list_free(vobj_t *o) {
    list_t *l = o->v.p;
    for (size_t i = 0, n = deque_len(&l->items); i < n; i++)
        s_elem_free(l, deque_get(&l->items, i));
    deque_clear(&l->items);
    free(l);
}

static vobj_t *s_list_dup(const vobj_t *o) {
    const list_t *src = s_list(o);
    vobj_t *n = list_type_new();
    list_t *dst = s_list(n);
    size_t len = deque_len(&src->items);
    deque_reserve(&dst->items, len);
    for (size_t i = 0; i < len; i++) {
        void *e = deque_get(&src->items, i);
        if (!s_is_inline(e)) {
            const vstr_t *s = e;
            e = s_elem_new(dst, s->ptr, s->len);
        }
        deque_push_tail(&dst->items, e);
    }
    return n;
}

static size_t s_list_mem(const vobj_t *o) {
    const list_t *l = s_list(o);
    return sizeof(vobj_t) + sizeof(list_t) + deque_slot_bytes(&l->items) + l->heap_bytes;
}

/* Snapshot payload: the count, then each element from head to tail. */
static void s_list_save(const vobj_t *o, snap_writer_t *w) {
    const list_t *l = s_list(o);
    size_t n = deque_len(&l->items);
    snap_put_u64(w, n);
    for (size_t i = 0; i < n; i++) {
        char tmp[LIST_TMP];
        size_t len;
        const char *p = s_elem_bytes(deque_get(&l->items, i), tmp, &len);
        snap_put_bytes(w, p, len);
    }
}

static vobj_t *s_list_load(engine_t *e, snap_reader_t *r) {
    uint64_t n;
    if (snap_get_size(r, &n, "list") < 0) return NULL;
    vobj_t *o = list_type_new();
    list_t *l = s_list(o);
    deque_reserve(&l->items, snap_presize(r, n));
    for (uint64_t i = 0; i < n; i++) {
        const char *p;
        size_t len;
        if (snap_get_bytes(r, &p, &len) < 0) {
            obj_free(o);
            return NULL;
        }
        deque_push_tail(&l->items, s_elem_new(l, p, len));
    }
    return o;
}

static const obj_type_t s_list_type = {"list",     s_list_free, s_list_dup,
                                       s_list_mem, s_list_save, s_list_load};

__attribute__((constructor)) static void s_register_list(void) {
    obj_register_type(OBJ_LIST, &s_list_type);
}

size_t list_type_length(const vobj_t *o) { return deque_len(&s_list(o)->items); }

void list_type_push(vobj_t *o, const char *p, size_t len, int where) {
    list_t *l = s_list(o);
    void *e = s_elem_new(l, p, len);
    if (where == LIST_HEAD)
        deque_push_head(&l->items, e);
    else
        deque_push_tail(&l->items, e);
}

/* Detaches the element at an end (the list must not be empty); the caller frees it. */
static void *s_pop_elem(list_t *l, int where) {
    void *e = where == LIST_HEAD ? deque_pop_head(&l->items) : deque_pop_tail(&l->items);
    l->heap_bytes -= s_elem_heap_size(e);
    return e;
}

vstr_t *list_type_pop(vobj_t *o, int where) {
    list_t *l = s_list(o);
    if (deque_len(&l->items) == 0) return NULL;
    void *e = s_pop_elem(l, where);
    if (!s_is_inline(e)) return e;
    char tmp[LIST_TMP];
    size_t len;
    const char *p = s_elem_bytes(e, tmp, &len);
    return vstr_new(p, len);
}

const char *list_type_index(const vobj_t *o, long long index, char tmp[LIST_TMP], size_t *len) {
    const deque_t *d = &s_list(o)->items;
    long long i = s_index(deque_len(d), index);
    if (i < 0) return NULL;
    return s_elem_bytes(deque_get(d, (size_t)i), tmp, len);
}

int list_type_set(vobj_t *o, long long index, const char *p, size_t len) {
    list_t *l = s_list(o);
    long long i = s_index(deque_len(&l->items), index);
    if (i < 0) return -1;
    s_elem_free(l, deque_get(&l->items, (size_t)i));
    deque_set(&l->items, (size_t)i, s_elem_new(l, p, len));
    return 0;
}

void list_type_insert(vobj_t *o, size_t pos, const char *p, size_t len, int where) {
    list_t *l = s_list(o);
    deque_insert(&l->items, where == LIST_HEAD ? pos : pos + 1, s_elem_new(l, p, len));
}

void list_type_delete_range(vobj_t *o, long long start, long long count) {
    list_t *l = s_list(o);
    deque_t *d = &l->items;
    size_t len = deque_len(d);
    if (start < 0) start += (long long)len;
    if (start < 0) start = 0;
    if (count <= 0 || start >= (long long)len) return;
    size_t s = (size_t)start;
    size_t n = (unsigned long long)count > len - s ? len - s : (size_t)count;
    for (size_t i = s; i < s + n; i++)
        s_elem_free(l, deque_get(d, i));
    if (s < len - (s + n)) {
        /* fewer elements before the range: slide them towards the tail over it */
        for (size_t i = s; i > 0; i--)
            deque_set(d, i - 1 + n, deque_get(d, i - 1));
        deque_drop_head(d, n);
    } else {
        for (size_t i = s + n; i < len; i++)
            deque_set(d, i - n, deque_get(d, i));
        deque_drop_tail(d, n);
    }
}

int list_type_move(vobj_t *src, int from, vobj_t *dst, int to) {
    list_t *sl = s_list(src), *dl = s_list(dst);
    if (deque_len(&sl->items) == 0) return -1;
    void *e = s_pop_elem(sl, from);
    dl->heap_bytes += s_elem_heap_size(e);
    if (to == LIST_HEAD)
        deque_push_head(&dl->items, e);
    else
        deque_push_tail(&dl->items, e);
    return 0;
}

void list_iter_init(list_iter_t *it, const vobj_t *o, long long start, int dir) {
    it->d = &s_list(o)->items;
    it->dir = dir;
    long long len = (long long)deque_len(it->d);
    if (start < 0) start += len;
    it->pos = 0;
    it->left = 0;
    if (dir == LIST_TAIL) {
        if (start < 0) start = 0;
        if (start >= len) return;
        it->pos = (size_t)start;
        it->left = (size_t)(len - start);
    } else {
        if (start >= len) start = len - 1;
        if (start < 0) return;
        it->pos = (size_t)start;
        it->left = (size_t)start + 1;
    }
}

int list_iter_next(list_iter_t *it, const char **p, size_t *len) {
    if (it->left == 0) return 0;
    *p = s_elem_bytes(deque_get(it->d, it->pos), it->tmp, len);
    it->left--;
    if (it->left) it->pos += it->dir == LIST_TAIL ? 1 : (size_t)-1;
    return 1;
}

/* ===================== building blocks of the commands ===================== */

static vobj_t *s_create_key(client_t *c, const char *key, size_t len) {
    /* Redis configures each new quicklist from list-max-listpack-size / list-compress-depth;
     * the deque has no node size or compression, so nothing here depends on them. */
    vobj_t *o = list_type_new();
    db_add(c->eng, c->db, key, len, o);
    return o;
}

/* After elements were removed: the event, the key's deletion once empty, the bookkeeping
 * (Redis's listElementsRemoved). */
static void s_removed(client_t *c, const char *key, size_t keylen, vobj_t *o, const char *event,
                      long long count, int *deleted) {
    engine_t *e = c->eng;
    notify_keyspace_event(e, NOTIFY_LIST, event, key, keylen, c->db->id);
    int gone = list_type_length(o) == 0;
    if (gone) {
        db_delete(e, c->db, key, keylen);
        notify_keyspace_event(e, NOTIFY_GENERIC, "del", key, keylen, c->db->id);
    }
    if (deleted) *deleted = gone;
    signal_modified_key(e, c->db, key, keylen);
    e->stats.dirty += count;
}

int list_parse_where_or_reply(client_t *c, const proto_arg_t *a, int *where) {
    if (arg_is(a, "right")) {
        *where = LIST_TAIL;
    } else if (arg_is(a, "left")) {
        *where = LIST_HEAD;
    } else {
        reply_error(c, ERR_SYNTAX);
        return -1;
    }
    return 0;
}

void list_reply_range(client_t *c, const vobj_t *o, long long start, long long end, int reverse) {
    const deque_t *d = &s_list(o)->items;
    long long llen = (long long)deque_len(d);
    if (start < 0) start += llen;
    if (end < 0) end += llen;
    if (start < 0) start = 0;
    if (start > end || start >= llen) {
        reply_array(c, 0);
        return;
    }
    if (end >= llen) end = llen - 1;
    reply_array(c, end - start + 1);
    if (reverse) {
        for (long long i = end; i >= start; i--)
            s_reply_elem(c, deque_get(d, (size_t)i));
    } else {
        for (long long i = start; i <= end; i++)
            s_reply_elem(c, deque_get(d, (size_t)i));
    }
}

long long list_pop_reply(client_t *c, const char *key, size_t keylen, vobj_t *o, int where,
                         long long count, int shape, int *deleted) {
    list_t *l = s_list(o);
    long long llen = (long long)deque_len(&l->items);
    long long n = count > llen ? llen : count;
    if (shape == LIST_POP_KEY_VALUE || shape == LIST_POP_KEY_ARRAY) {
        reply_array(c, 2);
        reply_bulk(c, key, keylen);
    }
    if (shape == LIST_POP_ARRAY || shape == LIST_POP_KEY_ARRAY) reply_array(c, n);
    for (long long i = 0; i < n; i++) {
        void *e = s_pop_elem(l, where);
        s_reply_elem(c, e);
        s_elem_free(l, e);
    }
    s_removed(c, key, keylen, o, where == LIST_HEAD ? "lpop" : "rpop", n, deleted);
    if (n > 0) {
        /* BLPOP, BLMPOP, LMPOP... all replay as the plain pop they did */
        char nb[24];
        int nl = snprintf(nb, sizeof nb, "%lld", n);
        proto_arg_t fx[3] = {where == LIST_HEAD ? EFF_LIT("LPOP") : EFF_LIT("RPOP"),
                             EFF_ARG(key, keylen), EFF_ARG(nb, nl)};
        effect_add(c, 3, fx);
    }
    return n;
}

int list_move_reply(client_t *c, const char *src, size_t srclen, vobj_t *sobj, const char *dst,
                    size_t dstlen, int from, int to) {
    engine_t *e = c->eng;
    vobj_t *dobj = db_lookup_write(e, c->db, dst, dstlen);
    if (dobj && dobj->type != OBJ_LIST) {
        reply_error(c, ERR_WRONGTYPE);
        return -1;
    }
    if (!dobj) dobj = s_create_key(c, dst, dstlen);
    signal_modified_key(e, c->db, dst, dstlen);
    list_type_move(sobj, from, dobj, to);
    notify_keyspace_event(e, NOTIFY_LIST, to == LIST_HEAD ? "lpush" : "rpush", dst, dstlen,
                          c->db->id);
    const deque_t *dd = &s_list(dobj)->items;
    s_reply_elem(c, deque_get(dd, to == LIST_HEAD ? 0 : deque_len(dd) - 1));
    s_removed(c, src, srclen, sobj, from == LIST_HEAD ? "lpop" : "rpop", 1, NULL);
    proto_arg_t fx[5] = {EFF_LIT("LMOVE"), EFF_ARG(src, srclen), EFF_ARG(dst, dstlen),
                         from == LIST_HEAD ? EFF_LIT("LEFT") : EFF_LIT("RIGHT"),
                         to == LIST_HEAD ? EFF_LIT("LEFT") : EFF_LIT("RIGHT")};
    effect_add(c, 5, fx);
    return 0;
}

/* ===================== commands ===================== */

static void s_push(client_t *c, int where, int only_existing) {
    const proto_arg_t *key = &c->argv[1];
    int wrong;
    vobj_t *o = lookup_write_or_reply_type(c, key, OBJ_LIST, &wrong);
    if (wrong) return;
    if (!o) {
        if (only_existing) {
            reply_int(c, 0);
            return;
        }
        o = s_create_key(c, key->ptr, key->len);
    }
    for (int j = 2; j < c->argc; j++)
        list_type_push(o, c->argv[j].ptr, c->argv[j].len, where);
    c->eng->stats.dirty += c->argc - 2;
    reply_int(c, (long long)list_type_length(o));
    signal_modified_key(c->eng, c->db, key->ptr, key->len);
    notify_keyspace_event(c->eng, NOTIFY_LIST, where == LIST_HEAD ? "lpush" : "rpush", key->ptr,
                          key->len, c->db->id);
}

static void cmd_lpush(client_t *c) { s_push(c, LIST_HEAD, 0); }
static void cmd_rpush(client_t *c) { s_push(c, LIST_TAIL, 0); }
static void cmd_lpushx(client_t *c) { s_push(c, LIST_HEAD, 1); }
static void cmd_rpushx(client_t *c) { s_push(c, LIST_TAIL, 1); }

/* LPOP / RPOP: a bulk without a count; with one, an array (empty for 0) and a null array for
 * a missing key. The count is parsed before the key is looked at. */
static void s_pop(client_t *c, int where) {
    if (c->argc > 3) {
        reply_errorf(c, "wrong number of arguments for '%s' command", c->cmd->fullname);
        return;
    }
    int has_count = c->argc == 3;
    long long count = 0;
    if (has_count &&
        arg_positive_or_reply(c, &c->argv[2], &count, "value is out of range, must be positive"))
        return;
    const proto_arg_t *key = &c->argv[1];
    int wrong;
    vobj_t *o = lookup_write_or_reply_type(c, key, OBJ_LIST, &wrong);
    if (wrong) return;
    if (!o) {
        if (has_count)
            reply_null_array(c);
        else
            reply_null(c);
        return;
    }
    if (has_count && count == 0) {
        reply_array(c, 0);
        return;
    }
    list_pop_reply(c, key->ptr, key->len, o, where, has_count ? count : 1,
                   has_count ? LIST_POP_ARRAY : LIST_POP_BULK, NULL);
}

static void cmd_lpop(client_t *c) { s_pop(c, LIST_HEAD); }
static void cmd_rpop(client_t *c) { s_pop(c, LIST_TAIL); }

static void cmd_lrange(client_t *c) {
    long long start, end;
    if (arg_ll_or_reply(c, &c->argv[2], &start, NULL) ||
        arg_ll_or_reply(c, &c->argv[3], &end, NULL))
        return;
    int wrong;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_LIST, &wrong);
    if (wrong) return;
    if (!o) {
        reply_array(c, 0);
        return;
    }
    list_reply_range(c, o, start, end, 0);
}

static void cmd_llen(client_t *c) {
    int wrong;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_LIST, &wrong);
    if (wrong) return;
    reply_int(c, o ? (long long)list_type_length(o) : 0);
}

/* LINDEX looks the key up before parsing the index (a missing key answers nil even for a bad
 * index), as Redis does. */
static void cmd_lindex(client_t *c) {
    int wrong;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_LIST, &wrong);
    if (wrong) return;
    if (!o) {
        reply_null(c);
        return;
    }
    long long index;
    if (arg_ll_or_reply(c, &c->argv[2], &index, NULL)) return;
    char tmp[LIST_TMP];
    size_t len;
    const char *p = list_type_index(o, index, tmp, &len);
    if (p)
        reply_bulk(c, p, len);
    else
        reply_null(c);
}

static void cmd_lset(client_t *c) {
    const proto_arg_t *key = &c->argv[1];
    int wrong;
    vobj_t *o = lookup_write_or_reply_type(c, key, OBJ_LIST, &wrong);
    if (wrong) return;
    if (!o) {
        reply_error(c, ERR_NO_KEY);
        return;
    }
    long long index;
    if (arg_ll_or_reply(c, &c->argv[2], &index, NULL)) return;
    if (list_type_set(o, index, c->argv[3].ptr, c->argv[3].len) < 0) {
        reply_error(c, ERR_OUT_OF_RANGE);
        return;
    }
    reply_ok(c);
    signal_modified_key(c->eng, c->db, key->ptr, key->len);
    notify_keyspace_event(c->eng, NOTIFY_LIST, "lset", key->ptr, key->len, c->db->id);
    c->eng->stats.dirty++;
}

static void cmd_linsert(client_t *c) {
    int where;
    if (arg_is(&c->argv[2], "after")) {
        where = LIST_TAIL;
    } else if (arg_is(&c->argv[2], "before")) {
        where = LIST_HEAD;
    } else {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    const proto_arg_t *key = &c->argv[1];
    int wrong;
    vobj_t *o = lookup_write_or_reply_type(c, key, OBJ_LIST, &wrong);
    if (wrong) return;
    if (!o) {
        reply_int(c, 0);
        return;
    }
    s_needle_t pivot;
    s_needle_init(&pivot, c->argv[3].ptr, c->argv[3].len);
    const deque_t *d = &s_list(o)->items;
    size_t len = deque_len(d), i;
    for (i = 0; i < len && !s_match(&pivot, deque_get(d, i)); i++)
        ;
    if (i == len) {
        reply_int(c, -1);
        return;
    }
    list_type_insert(o, i, c->argv[4].ptr, c->argv[4].len, where);
    signal_modified_key(c->eng, c->db, key->ptr, key->len);
    notify_keyspace_event(c->eng, NOTIFY_LIST, "linsert", key->ptr, key->len, c->db->id);
    c->eng->stats.dirty++;
    reply_int(c, (long long)list_type_length(o));
}

/* LPOS: options are parsed (and RANK 0 refused) before the key is looked at. Redis negates a
 * negative RANK in a long, so RANK -9223372036854775808 stays negative there: every match
 * then qualifies and COUNT never stops the walk. The unsigned arithmetic below reproduces
 * that without overflowing. */
static void cmd_lpos(client_t *c) {
    long long rank = 1, count = -1, maxlen = 0; /* count -1: no COUNT option */
    for (int j = 3; j < c->argc; j++) {
        const proto_arg_t *opt = &c->argv[j];
        int more = c->argc - 1 - j;
        if (arg_is(opt, "rank") && more) {
            if (arg_ll_or_reply(c, &c->argv[++j], &rank, NULL)) return;
            if (rank == 0) {
                reply_error(c, "RANK can't be zero: use 1 to start from the first match, 2 from "
                               "the second ... or use negative to start from the end of the "
                               "list");
                return;
            }
        } else if (arg_is(opt, "count") && more) {
            if (arg_positive_or_reply(c, &c->argv[++j], &count, "COUNT can't be negative")) return;
        } else if (arg_is(opt, "maxlen") && more) {
            if (arg_positive_or_reply(c, &c->argv[++j], &maxlen, "MAXLEN can't be negative"))
                return;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    int dir = LIST_TAIL;
    if (rank < 0) {
        rank = (long long)(0ULL - (unsigned long long)rank);
        dir = LIST_HEAD;
    }
    int wrong;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_LIST, &wrong);
    if (wrong) return;
    if (!o) {
        if (count != -1)
            reply_array(c, 0);
        else
            reply_null(c);
        return;
    }
    size_t handle = 0;
    if (count != -1) handle = reply_deferred_len(c);
    s_needle_t ele;
    s_needle_init(&ele, c->argv[2].ptr, c->argv[2].len);
    const deque_t *d = &s_list(o)->items;
    long long llen = (long long)deque_len(d);
    long long matches = 0, found = -1, emitted = 0;
    for (long long index = 0; index < llen && (maxlen == 0 || index < maxlen); index++) {
        long long pos = dir == LIST_TAIL ? index : llen - index - 1;
        if (!s_match(&ele, deque_get(d, (size_t)pos))) continue;
        matches++;
        if (matches < rank) continue;
        if (count == -1) {
            found = pos;
            break;
        }
        emitted++;
        reply_int(c, pos);
        long long past = (long long)((unsigned long long)matches - (unsigned long long)rank + 1);
        if (count && past >= count) break;
    }
    if (count != -1)
        reply_set_deferred_len(c, handle, emitted);
    else if (found != -1)
        reply_int(c, found);
    else
        reply_null(c);
}

/* LREM: walks from the end the sign of count names. The elements to remove all lie between
 * that end and the last match taken, so only that stretch is compacted: removing the first
 * few matches of a long list costs as much as reaching them. */
static void cmd_lrem(client_t *c) {
    long long toremove;
    if (arg_ll_or_reply(c, &c->argv[2], &toremove, NULL)) return;
    const proto_arg_t *key = &c->argv[1];
    int wrong;
    vobj_t *o = lookup_write_or_reply_type(c, key, OBJ_LIST, &wrong);
    if (wrong) return;
    if (!o) {
        reply_int(c, 0);
        return;
    }
    int from_tail = toremove < 0;
    /* 0 means all; -LLONG_MIN negated as unsigned is 2^63, more than any list holds, so it
     * removes all like Redis (whose negation overflows and never matches the count) */
    unsigned long long want =
        from_tail ? 0ULL - (unsigned long long)toremove : (unsigned long long)toremove;
    s_needle_t ele;
    s_needle_init(&ele, c->argv[3].ptr, c->argv[3].len);
    list_t *l = s_list(o);
    deque_t *d = &l->items;
    size_t len = deque_len(d);
    unsigned long long found = 0;
    size_t last = 0; /* distance from the starting end of the last match taken */
    for (size_t k = 0; k < len; k++) {
        if (!s_match(&ele, deque_get(d, from_tail ? len - 1 - k : k))) continue;
        found++;
        last = k;
        if (want && found == want) break;
    }
    if (found) {
        /* keep the non-matching elements of the stretch, packed against its far side */
        size_t w = last;
        for (size_t k = last + 1; k-- > 0;) {
            size_t r = from_tail ? len - 1 - k : k;
            void *e = deque_get(d, r);
            if (s_match(&ele, e)) {
                s_elem_free(l, e);
            } else {
                deque_set(d, from_tail ? len - 1 - w : w, e);
                w--;
            }
        }
        if (from_tail)
            deque_drop_tail(d, (size_t)found);
        else
            deque_drop_head(d, (size_t)found);
        c->eng->stats.dirty += (long long)found;
        notify_keyspace_event(c->eng, NOTIFY_LIST, "lrem", key->ptr, key->len, c->db->id);
        if (list_type_length(o) == 0) {
            db_delete(c->eng, c->db, key->ptr, key->len);
            notify_keyspace_event(c->eng, NOTIFY_GENERIC, "del", key->ptr, key->len, c->db->id);
        }
        signal_modified_key(c->eng, c->db, key->ptr, key->len);
    }
    reply_int(c, (long long)found);
}

static void cmd_ltrim(client_t *c) {
    long long start, end;
    if (arg_ll_or_reply(c, &c->argv[2], &start, NULL) ||
        arg_ll_or_reply(c, &c->argv[3], &end, NULL))
        return;
    const proto_arg_t *key = &c->argv[1];
    int wrong;
    vobj_t *o = lookup_write_or_reply_type(c, key, OBJ_LIST, &wrong);
    if (wrong) return;
    if (!o) {
        reply_ok(c);
        return;
    }
    long long llen = (long long)list_type_length(o), ltrim, rtrim;
    if (start < 0) start += llen;
    if (end < 0) end += llen;
    if (start < 0) start = 0;
    if (start > end || start >= llen) {
        ltrim = llen; /* an empty range empties the list */
        rtrim = 0;
    } else {
        if (end >= llen) end = llen - 1;
        ltrim = start;
        rtrim = llen - end - 1;
    }
    list_type_delete_range(o, 0, ltrim);
    list_type_delete_range(o, -rtrim, rtrim);
    notify_keyspace_event(c->eng, NOTIFY_LIST, "ltrim", key->ptr, key->len, c->db->id);
    if (list_type_length(o) == 0) {
        db_delete(c->eng, c->db, key->ptr, key->len);
        notify_keyspace_event(c->eng, NOTIFY_GENERIC, "del", key->ptr, key->len, c->db->id);
    }
    signal_modified_key(c->eng, c->db, key->ptr, key->len);
    c->eng->stats.dirty += ltrim + rtrim;
    reply_ok(c);
}

static void s_move(client_t *c, int from, int to) {
    const proto_arg_t *src = &c->argv[1], *dst = &c->argv[2];
    int wrong;
    vobj_t *sobj = lookup_write_or_reply_type(c, src, OBJ_LIST, &wrong);
    if (wrong) return;
    if (!sobj) {
        reply_null(c);
        return;
    }
    list_move_reply(c, src->ptr, src->len, sobj, dst->ptr, dst->len, from, to);
}

static void cmd_rpoplpush(client_t *c) { s_move(c, LIST_TAIL, LIST_HEAD); }

static void cmd_lmove(client_t *c) {
    int from, to;
    if (list_parse_where_or_reply(c, &c->argv[3], &from) ||
        list_parse_where_or_reply(c, &c->argv[4], &to))
        return;
    s_move(c, from, to);
}

/* LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: every argument is checked before any
 * key is looked at; then the first key holding a list is popped from, and a key of another
 * type met before it is an error. */
static void cmd_lmpop(client_t *c) {
    long long numkeys, count = -1;
    if (arg_range_or_reply(c, &c->argv[1], 1, LLONG_MAX, &numkeys,
                           "numkeys should be greater than 0"))
        return;
    if (numkeys > c->argc - 3) {
        reply_error(c, ERR_SYNTAX); /* the keys run past LEFT|RIGHT's place */
        return;
    }
    int where_idx = 2 + (int)numkeys, where;
    if (list_parse_where_or_reply(c, &c->argv[where_idx], &where)) return;
    for (int j = where_idx + 1; j < c->argc; j++) {
        if (count == -1 && arg_is(&c->argv[j], "count") && j + 1 < c->argc) {
            if (arg_range_or_reply(c, &c->argv[++j], 1, LLONG_MAX, &count,
                                   "count should be greater than 0"))
                return;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    if (count == -1) count = 1;
    for (int j = 2; j < where_idx; j++) {
        const proto_arg_t *key = &c->argv[j];
        vobj_t *o = db_lookup_write(c->eng, c->db, key->ptr, key->len);
        if (!o) continue;
        if (o->type != OBJ_LIST) {
            reply_error(c, ERR_WRONGTYPE);
            return;
        }
        if (list_type_length(o) == 0) continue;
        list_pop_reply(c, key->ptr, key->len, o, where, count, LIST_POP_KEY_ARRAY, NULL);
        return;
    }
    reply_null_array(c);
}

/* ===================== command table ===================== */

// clang-format off
command_t list_commands[] = {
    {.name = "lpush", .proc = cmd_lpush, .arity = -3, .flags = "write denyoom fast", .acl = "list",
     .keyspecs = "RW insert;index:1;range:0,1,0", .group = "list", .since = "1.0.0",
     .summary = "Adds elements at the head of a list, creating the list when missing.",
     .complexity = "O(1) per element added, O(N) for N elements.",
     .history = "2.4.0 Takes several elements.", .args = "key:key@0 *string:element"},
    {.name = "rpush", .proc = cmd_rpush, .arity = -3, .flags = "write denyoom fast", .acl = "list",
     .keyspecs = "RW insert;index:1;range:0,1,0", .group = "list", .since = "1.0.0",
     .summary = "Adds elements at the tail of a list, creating the list when missing.",
     .complexity = "O(1) per element added, O(N) for N elements.",
     .history = "2.4.0 Takes several elements.", .args = "key:key@0 *string:element"},
    {.name = "lpushx", .proc = cmd_lpushx, .arity = -3, .flags = "write denyoom fast",
     .acl = "list", .keyspecs = "RW insert;index:1;range:0,1,0", .group = "list", .since = "2.2.0",
     .summary = "Adds elements at the head of a list only when the list exists.",
     .complexity = "O(1) per element added, O(N) for N elements.",
     .history = "4.0.0 Takes several elements.", .args = "key:key@0 *string:element"},
    {.name = "rpushx", .proc = cmd_rpushx, .arity = -3, .flags = "write denyoom fast",
     .acl = "list", .keyspecs = "RW insert;index:1;range:0,1,0", .group = "list", .since = "2.2.0",
     .summary = "Adds elements at the tail of a list only when the list exists.",
     .complexity = "O(1) per element added, O(N) for N elements.",
     .history = "4.0.0 Takes several elements.", .args = "key:key@0 *string:element"},
    {.name = "lpop", .proc = cmd_lpop, .arity = -2, .flags = "write fast", .acl = "list",
     .keyspecs = "RW access delete;index:1;range:0,1,0", .group = "list", .since = "1.0.0",
     .summary = "Removes and returns the first elements of a list; an emptied list is deleted.",
     .complexity = "O(N), N being the number of elements returned.",
     .history = "6.2.0 Optional count.", .args = "key:key@0 ?integer:count+6.2.0"},
    {.name = "rpop", .proc = cmd_rpop, .arity = -2, .flags = "write fast", .acl = "list",
     .keyspecs = "RW access delete;index:1;range:0,1,0", .group = "list", .since = "1.0.0",
     .summary = "Removes and returns the last elements of a list; an emptied list is deleted.",
     .complexity = "O(N), N being the number of elements returned.",
     .history = "6.2.0 Optional count.", .args = "key:key@0 ?integer:count+6.2.0"},
    {.name = "lrange", .proc = cmd_lrange, .arity = 4, .flags = "readonly", .acl = "list",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "list", .since = "1.0.0",
     .summary = "Returns the elements of a list between two indexes.",
     .complexity = "O(N), N being the number of elements returned.",
     .args = "key:key@0 integer:start integer:stop"},
    {.name = "llen", .proc = cmd_llen, .arity = 2, .flags = "readonly fast", .acl = "list",
     .keyspecs = "RO;index:1;range:0,1,0", .group = "list", .since = "1.0.0",
     .summary = "Returns the number of elements of a list.", .complexity = "O(1)",
     .args = "key:key@0"},
    {.name = "lindex", .proc = cmd_lindex, .arity = 3, .flags = "readonly", .acl = "list",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "list", .since = "1.0.0",
     .summary = "Returns the element of a list at an index.", .complexity = "O(1)",
     .args = "key:key@0 integer:index"},
    {.name = "lset", .proc = cmd_lset, .arity = 4, .flags = "write denyoom", .acl = "list",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "list", .since = "1.0.0",
     .summary = "Replaces the element of a list at an index.", .complexity = "O(1)",
     .args = "key:key@0 integer:index string:element"},
    {.name = "linsert", .proc = cmd_linsert, .arity = 5, .flags = "write denyoom", .acl = "list",
     .keyspecs = "RW insert;index:1;range:0,1,0", .group = "list", .since = "2.2.0",
     .summary = "Inserts an element just before or just after the first occurrence of a pivot.",
     .complexity = "O(N), N being the number of elements before the pivot plus those moved to "
                   "make room.",
     .args = "key:key@0 oneof:where(=BEFORE =AFTER) string:pivot string:element"},
    {.name = "lpos", .proc = cmd_lpos, .arity = -3, .flags = "readonly", .acl = "list",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "list", .since = "6.0.6",
     .summary = "Returns the indexes at which an element occurs in a list.",
     .complexity = "O(N), N being the number of elements looked at (bounded by MAXLEN).",
     .args = "key:key@0 string:element ?integer:rank=RANK ?integer:num-matches=COUNT "
             "?integer:len=MAXLEN"},
    {.name = "lrem", .proc = cmd_lrem, .arity = 4, .flags = "write", .acl = "list",
     .keyspecs = "RW delete;index:1;range:0,1,0", .group = "list", .since = "1.0.0",
     .summary = "Removes occurrences of an element from a list.",
     .complexity = "O(N), N being the number of elements up to the last one removed.",
     .args = "key:key@0 integer:count string:element"},
    {.name = "ltrim", .proc = cmd_ltrim, .arity = 4, .flags = "write", .acl = "list",
     .keyspecs = "RW delete;index:1;range:0,1,0", .group = "list", .since = "1.0.0",
     .summary = "Keeps only the elements of a list between two indexes.",
     .complexity = "O(N), N being the number of elements removed.",
     .args = "key:key@0 integer:start integer:stop"},
    {.name = "rpoplpush", .proc = cmd_rpoplpush, .arity = 3, .flags = "write denyoom",
     .acl = "list",
     .keyspecs = "RW access delete;index:1;range:0,1,0|RW insert;index:2;range:0,1,0",
     .group = "list", .since = "1.2.0",
     .summary = "Moves the last element of a list to the head of another and returns it.",
     .complexity = "O(1)", .doc_flags = "deprecated", .deprecated_since = "6.2.0",
     .replaced_by = "`LMOVE` with `RIGHT` and `LEFT`", .args = "key:source@0 key:destination@1"},
    {.name = "lmove", .proc = cmd_lmove, .arity = 5, .flags = "write denyoom", .acl = "list",
     .keyspecs = "RW access delete;index:1;range:0,1,0|RW insert;index:2;range:0,1,0",
     .group = "list", .since = "6.2.0",
     .summary = "Moves an element from one end of a list to an end of another and returns it.",
     .complexity = "O(1)",
     .args = "key:source@0 key:destination@1 oneof:wherefrom(=LEFT =RIGHT) "
             "oneof:whereto(=LEFT =RIGHT)"},
    {.name = "lmpop", .proc = cmd_lmpop, .arity = -4, .flags = "write", .acl = "list",
     .keyspecs = "RW access delete;index:1;keynum:0,1,1", .group = "list", .since = "7.0.0",
     .summary = "Pops elements from the first non-empty list among several keys.",
     .complexity = "O(N+M), N being the number of keys given and M the number of elements "
                   "returned.",
     .args = "integer:numkeys *key:key@0 oneof:where(=LEFT =RIGHT) ?integer:count=COUNT"},
    {0},
};
// clang-format on
