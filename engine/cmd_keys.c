/* Generic keyspace commands: DEL/UNLINK/EXISTS/TYPE, KEYS and SCAN, RENAME/COPY/MOVE, the
 * EXPIRE and TTL families, OBJECT, RANDOMKEY, DBSIZE, FLUSHDB/FLUSHALL and SWAPDB. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/blocking.h"
#include "engine/commands.h"
#include "engine/core.h"
#include "engine/effects.h"
#include "engine/engine.h"
#include "engine/multi.h"
#include "shared/util.h"

#define ERR_SAME_OBJECT "-ERR source and destination objects are the same"
#define SHARED_REFCOUNT 2147483647 /* what Redis reports for its shared integer objects */
#define SHARED_INTEGERS 10000
#define LFU_INIT_VAL 5

/* ===================== helpers ===================== */

/* A read lookup that leaves the access time alone but still expires and counts hits and
 * misses, as Redis's LOOKUP_NOTOUCH (EXISTS, TYPE, TTL, OBJECT). */
static vobj_t *s_lookup_notouch(client_t *c, db_t *db, const proto_arg_t *key) {
    engine_t *e = c->eng;
    db_expire_if_needed(e, db, key->ptr, key->len);
    vobj_t *o = db_peek(db, key->ptr, key->len);
    if (o) {
        e->stats.keyspace_hits++;
    } else {
        e->stats.keyspace_misses++;
        notify_keyspace_event(e, NOTIFY_KEY_MISS, "keymiss", key->ptr, key->len, db->id);
    }
    return o;
}

/* Redis's getIntFromObjectOrReply: msg replaces both the "not an integer" and the
 * "out of range" text when given. */
static int s_int_or_reply(client_t *c, const proto_arg_t *a, int *out, const char *msg) {
    long long v;
    if (!str_to_ll(a->ptr, a->len, &v)) {
        reply_error(c, msg ? msg : ERR_NOT_INT);
        return -1;
    }
    if (v < INT_MIN || v > INT_MAX) {
        if (msg)
            reply_error(c, msg);
        else
            reply_errorf(c, "value is out of range, value must between %d and %d", INT_MIN,
                         INT_MAX);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* Option words compare as Redis's strcasecmp on the C string: bytes after a NUL are
 * ignored ("nx\0junk" is NX). */
static int s_opt_is(const proto_arg_t *a, const char *lit) {
    const char *nul = memchr(a->ptr, '\0', a->len);
    size_t n = nul ? (size_t)(nul - a->ptr) : a->len;
    return n == strlen(lit) && strncasecmp(a->ptr, lit, n) == 0;
}

static int s_arg_eq(const proto_arg_t *a, const proto_arg_t *b) {
    return a->len == b->len && memcmp(a->ptr, b->ptr, a->len) == 0;
}

/* Compares against the cached command time, as Redis does for the duration of a command. */
static int s_key_is_expired(engine_t *e, db_t *db, const vstr_t *key) {
    if (dict_size(db->expires) == 0) return 0;
    dict_entry_t *de = dict_find(db->expires, key);
    return de && e->now_ms > de->v.s64;
}

static const char *s_type_name(const vobj_t *o) {
    if (!o) return "none";
    const obj_type_t *t = obj_types[o->type];
    return t ? t->name : "unknown";
}

static int s_policy_is_lfu(engine_t *e) { return strstr(e->cfg.maxmemory_policy, "lfu") != NULL; }

static void s_write_done(engine_t *e, db_t *db, const proto_arg_t *key, const char *event) {
    signal_modified_key(e, db, key->ptr, key->len);
    notify_keyspace_event(e, NOTIFY_GENERIC, event, key->ptr, key->len, db->id);
}

/* ===================== DEL UNLINK EXISTS TYPE TOUCH ===================== */

static void s_del_generic(client_t *c) {
    engine_t *e = c->eng;
    long long deleted = 0;
    for (int j = 1; j < c->argc; j++) {
        const proto_arg_t *k = &c->argv[j];
        db_expire_if_needed(e, c->db, k->ptr, k->len);
        if (db_delete(e, c->db, k->ptr, k->len)) {
            s_write_done(e, c->db, k, "del");
            e->stats.dirty++;
            deleted++;
        }
    }
    reply_int(c, deleted);
}

/* Values are freed at once: nothing is large enough yet to need a background free. */
void cmd_del(client_t *c) { s_del_generic(c); }
void cmd_unlink(client_t *c) { s_del_generic(c); }

void cmd_exists(client_t *c) {
    long long n = 0;
    for (int j = 1; j < c->argc; j++)
        if (s_lookup_notouch(c, c->db, &c->argv[j])) n++;
    reply_int(c, n);
}

void cmd_type(client_t *c) {
    reply_simple(c, s_type_name(s_lookup_notouch(c, c->db, &c->argv[1])));
}

void cmd_touch(client_t *c) {
    long long n = 0;
    for (int j = 1; j < c->argc; j++)
        if (db_lookup_read(c->eng, c->db, c->argv[j].ptr, c->argv[j].len)) n++;
    reply_int(c, n);
}

/* ===================== KEYS SCAN RANDOMKEY ===================== */

void cmd_keys(client_t *c) {
    engine_t *e = c->eng;
    db_t *db = c->db;
    const proto_arg_t *pat = &c->argv[1];
    int all = pat->len == 1 && pat->ptr[0] == '*';
    size_t handle = reply_deferred_len(c);
    long long n = 0;
    dict_iter_t it;
    dict_iter_init(&it, db->keys);
    dict_entry_t *de;
    while ((de = dict_iter_next(&it)) != NULL) {
        const vstr_t *k = de->key;
        if (!all && !glob_match(pat->ptr, pat->len, k->ptr, k->len, 0)) continue;
        /* expired keys are hidden, not deleted: KEYS must not modify the keyspace */
        if (s_key_is_expired(e, db, k)) continue;
        reply_bulk(c, k->ptr, k->len);
        n++;
    }
    dict_iter_done(&it);
    reply_set_deferred_len(c, handle, n);
}

typedef struct {
    vstr_t **keys;
    size_t n, cap;
} s_keylist_t;

static void s_scan_collect(void *priv, dict_entry_t *de) {
    s_keylist_t *l = priv;
    const vstr_t *k = de->key;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->keys = realloc(l->keys, l->cap * sizeof *l->keys);
        if (!l->keys) abort();
    }
    /* copies: filtering below may expire (and free) keys of the table */
    l->keys[l->n++] = vstr_new(k->ptr, k->len);
}

void cmd_scan(client_t *c) {
    engine_t *e = c->eng;
    db_t *db = c->db;
    uint64_t cursor;
    if (arg_cursor_or_reply(c, &c->argv[1], &cursor)) return;

    long long count = 10;
    const proto_arg_t *pat, *type;
    if (scan_opts_or_reply(c, 2, &count, &pat, &type)) return;
    int use_pattern = pat != NULL;
    /* Redis compares the type as a C string; no type name is anywhere near 64 bytes */
    char tn[64] = "";
    int type_ok = 0;
    if (type) {
        const char *nul = memchr(type->ptr, '\0', type->len);
        size_t tl = nul ? (size_t)(nul - type->ptr) : type->len;
        if (tl < sizeof tn) {
            memcpy(tn, type->ptr, tl);
            tn[tl] = '\0';
            type_ok = 1;
        }
    }

    /* Visit buckets until count keys were gathered, bounding the empty buckets walked. */
    s_keylist_t l = {NULL, 0, 0};
    long long maxiter = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
    do {
        cursor = dict_scan(db->keys, cursor, s_scan_collect, &l);
    } while (cursor && maxiter-- && l.n < (unsigned long long)count);

    size_t kept = 0;
    for (size_t i = 0; i < l.n; i++) {
        vstr_t *k = l.keys[i];
        int filter = 0;
        if (use_pattern && !glob_match(pat->ptr, pat->len, k->ptr, k->len, 0)) filter = 1;
        if (!filter && type) {
            proto_arg_t ka = {k->ptr, k->len};
            const char *name = s_type_name(s_lookup_notouch(c, db, &ka));
            if (!type_ok || strcasecmp(tn, name) != 0) filter = 1;
        }
        if (!filter && db_expire_if_needed(e, db, k->ptr, k->len)) filter = 1;
        if (filter)
            vstr_free(k);
        else
            l.keys[kept++] = k;
    }

    reply_array(c, 2);
    reply_bulk_ll(c, (long long)cursor);
    reply_array(c, (long long)kept);
    for (size_t i = 0; i < kept; i++) {
        reply_bulk(c, l.keys[i]->ptr, l.keys[i]->len);
        vstr_free(l.keys[i]);
    }
    free(l.keys);
}

void cmd_randomkey(client_t *c) {
    engine_t *e = c->eng;
    db_t *db = c->db;
    for (;;) {
        dict_entry_t *de = dict_random_fair(db->keys);
        if (!de) {
            reply_null(c);
            return;
        }
        const vstr_t *k = de->key;
        if (dict_size(db->expires) && dict_find(db->expires, k)) {
            /* expiring frees the table's key string, so work on a copy */
            vstr_t *copy = vstr_new(k->ptr, k->len);
            int expired = db_expire_if_needed(e, db, copy->ptr, copy->len);
            if (!expired) reply_bulk(c, copy->ptr, copy->len);
            vstr_free(copy);
            if (expired) continue;
            return;
        }
        reply_bulk(c, k->ptr, k->len);
        return;
    }
}

/* ===================== RENAME COPY MOVE ===================== */

static void s_rename_generic(client_t *c, int nx) {
    engine_t *e = c->eng;
    db_t *db = c->db;
    const proto_arg_t *src = &c->argv[1], *dst = &c->argv[2];
    int samekey = s_arg_eq(src, dst);

    vobj_t *o = db_lookup_write(e, db, src->ptr, src->len);
    if (!o) {
        reply_error(c, ERR_NO_KEY);
        return;
    }
    if (samekey) {
        if (nx)
            reply_int(c, 0);
        else
            reply_ok(c);
        return;
    }
    int64_t expire = db_get_expire(db, src->ptr, src->len);
    if (db_lookup_write(e, db, dst->ptr, dst->len)) {
        if (nx) {
            reply_int(c, 0);
            return;
        }
        db_delete(e, db, dst->ptr, dst->len);
    }
    uint32_t lru = o->lru; /* the value moves: it keeps its access time */
    core_key_renamed(e, db, src->ptr, src->len, db, dst->ptr, dst->len); /* tags follow */
    o = db_take(e, db, src->ptr, src->len);
    db_add(e, db, dst->ptr, dst->len, o);
    o->lru = lru;
    if (expire != -1) db_set_expire(e, db, dst->ptr, dst->len, expire);
    signal_modified_key(e, db, src->ptr, src->len);
    signal_modified_key(e, db, dst->ptr, dst->len);
    notify_keyspace_event(e, NOTIFY_GENERIC, "rename_from", src->ptr, src->len, db->id);
    notify_keyspace_event(e, NOTIFY_GENERIC, "rename_to", dst->ptr, dst->len, db->id);
    e->stats.dirty++;
    if (nx)
        reply_int(c, 1);
    else
        reply_ok(c);
}

void cmd_rename(client_t *c) { s_rename_generic(c, 0); }
void cmd_renamenx(client_t *c) { s_rename_generic(c, 1); }

void cmd_copy(client_t *c) {
    engine_t *e = c->eng;
    db_t *src = c->db, *dst = c->db;
    int replace = 0;
    for (int j = 3; j < c->argc; j++) {
        if (s_opt_is(&c->argv[j], "replace")) {
            replace = 1;
        } else if (s_opt_is(&c->argv[j], "db") && c->argc - j - 1 >= 1) {
            int id;
            if (s_int_or_reply(c, &c->argv[j + 1], &id, NULL)) return;
            dst = db_get(e, id);
            if (!dst) {
                reply_error(c, ERR_DB_INDEX);
                return;
            }
            j++;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    const proto_arg_t *key = &c->argv[1], *newkey = &c->argv[2];
    if (src == dst && s_arg_eq(key, newkey)) {
        reply_error(c, ERR_SAME_OBJECT);
        return;
    }
    vobj_t *o = db_lookup_read(e, src, key->ptr, key->len);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    int64_t expire = db_get_expire(src, key->ptr, key->len);
    int del = 0;
    if (db_lookup_write(e, dst, newkey->ptr, newkey->len)) {
        if (!replace) {
            reply_int(c, 0);
            return;
        }
        del = 1;
    }
    vobj_t *n = obj_dup(o);
    if (!n) {
        reply_error(c, "unknown type object");
        return;
    }
    if (del) db_delete(e, dst, newkey->ptr, newkey->len);
    db_add(e, dst, newkey->ptr, newkey->len, n);
    if (expire != -1) db_set_expire(e, dst, newkey->ptr, newkey->len, expire);
    s_write_done(e, dst, newkey, "copy_to");
    e->stats.dirty++;
    reply_int(c, 1);
}

void cmd_move(client_t *c) {
    engine_t *e = c->eng;
    db_t *src = c->db;
    const proto_arg_t *key = &c->argv[1];
    int id;
    if (s_int_or_reply(c, &c->argv[2], &id, NULL)) return;
    db_t *dst = db_get(e, id);
    if (!dst) {
        reply_error(c, ERR_DB_INDEX);
        return;
    }
    if (dst == src) {
        reply_error(c, ERR_SAME_OBJECT);
        return;
    }
    vobj_t *o = db_lookup_write(e, src, key->ptr, key->len);
    if (!o) {
        reply_int(c, 0);
        return;
    }
    int64_t expire = db_get_expire(src, key->ptr, key->len);
    if (db_lookup_write(e, dst, key->ptr, key->len)) {
        reply_int(c, 0);
        return;
    }
    uint32_t lru = o->lru;
    core_key_renamed(e, src, key->ptr, key->len, dst, key->ptr, key->len); /* tags follow */
    o = db_take(e, src, key->ptr, key->len);
    db_add(e, dst, key->ptr, key->len, o);
    o->lru = lru;
    if (expire != -1) db_set_expire(e, dst, key->ptr, key->len, expire);
    signal_modified_key(e, src, key->ptr, key->len);
    signal_modified_key(e, dst, key->ptr, key->len);
    notify_keyspace_event(e, NOTIFY_GENERIC, "move_from", key->ptr, key->len, src->id);
    notify_keyspace_event(e, NOTIFY_GENERIC, "move_to", key->ptr, key->len, dst->id);
    e->stats.dirty++;
    reply_int(c, 1);
}

/* ===================== EXPIRE family ===================== */

enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

static int s_expire_flags_or_reply(client_t *c, int *flags) {
    *flags = 0;
    for (int j = 3; j < c->argc; j++) {
        const proto_arg_t *a = &c->argv[j];
        if (s_opt_is(a, "nx")) {
            *flags |= EXP_NX;
        } else if (s_opt_is(a, "xx")) {
            *flags |= EXP_XX;
        } else if (s_opt_is(a, "gt")) {
            *flags |= EXP_GT;
        } else if (s_opt_is(a, "lt")) {
            *flags |= EXP_LT;
        } else {
            /* Redis formats the option as a C string and trims line breaks at the end */
            const char *nul = memchr(a->ptr, '\0', a->len);
            size_t n = nul ? (size_t)(nul - a->ptr) : a->len;
            while (n > 0 && (a->ptr[n - 1] == '\r' || a->ptr[n - 1] == '\n'))
                n--;
            static const char pre[] = "Unsupported option ";
            char *msg = malloc(sizeof pre + n);
            if (!msg) abort();
            memcpy(msg, pre, sizeof pre - 1);
            memcpy(msg + sizeof pre - 1, a->ptr, n);
            msg[sizeof pre - 1 + n] = '\0';
            reply_error(c, msg);
            free(msg);
            return -1;
        }
    }
    int f = *flags;
    if ((f & EXP_NX) && (f & (EXP_XX | EXP_GT | EXP_LT))) {
        reply_error(c, "NX and XX, GT or LT options at the same time are not compatible");
        return -1;
    }
    if ((f & EXP_GT) && (f & EXP_LT)) {
        reply_error(c, "GT and LT options at the same time are not compatible");
        return -1;
    }
    return 0;
}

static void s_expire_generic(client_t *c, long long basetime, int seconds) {
    engine_t *e = c->eng;
    db_t *db = c->db;
    const proto_arg_t *key = &c->argv[1];
    int flags;
    long long when;
    if (s_expire_flags_or_reply(c, &flags)) return;
    if (arg_ll_or_reply(c, &c->argv[2], &when, NULL)) return;
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) goto bad_time;
        when *= 1000;
    }
    if (when > LLONG_MAX - basetime) goto bad_time;
    when += basetime;

    if (!db_lookup_write(e, db, key->ptr, key->len)) {
        reply_int(c, 0);
        return;
    }
    if (flags) {
        int64_t cur = db_get_expire(db, key->ptr, key->len);
        if ((flags & EXP_NX) && cur != -1) goto not_set;
        if ((flags & EXP_XX) && cur == -1) goto not_set;
        /* no TTL counts as an infinite one: GT never beats it, LT always does */
        if ((flags & EXP_GT) && (cur == -1 || when <= cur)) goto not_set;
        if ((flags & EXP_LT) && cur != -1 && when >= cur) goto not_set;
    }
    if (when <= e->now_ms) {
        db_delete(e, db, key->ptr, key->len);
        e->stats.dirty++;
        s_write_done(e, db, key, "del");
        proto_arg_t fx[2] = {EFF_LIT("DEL"), *key};
        effect_add(c, 2, fx);
        reply_int(c, 1);
        return;
    }
    db_set_expire(e, db, key->ptr, key->len, when);
    reply_int(c, 1);
    s_write_done(e, db, key, "expire");
    e->stats.dirty++;
    {
        /* relative times become absolute, as Redis propagates PEXPIREAT */
        char ms[24];
        int n = snprintf(ms, sizeof ms, "%lld", when);
        proto_arg_t fx[3] = {EFF_LIT("PEXPIREAT"), *key, EFF_ARG(ms, n)};
        effect_add(c, 3, fx);
    }
    return;

not_set:
    reply_int(c, 0);
    return;
bad_time:
    reply_errorf(c, "invalid expire time in '%s' command", c->cmd ? c->cmd->fullname : "expire");
}

void cmd_expire(client_t *c) { s_expire_generic(c, c->eng->now_ms, 1); }
void cmd_pexpire(client_t *c) { s_expire_generic(c, c->eng->now_ms, 0); }
void cmd_expireat(client_t *c) { s_expire_generic(c, 0, 1); }
void cmd_pexpireat(client_t *c) { s_expire_generic(c, 0, 0); }

static void s_ttl_generic(client_t *c, int ms, int absolute) {
    if (!s_lookup_notouch(c, c->db, &c->argv[1])) {
        reply_int(c, -2);
        return;
    }
    int64_t expire = db_get_expire(c->db, c->argv[1].ptr, c->argv[1].len);
    if (expire == -1) {
        reply_int(c, -1);
        return;
    }
    long long ttl = absolute ? expire : expire - c->eng->now_ms;
    if (ttl < 0) ttl = 0;
    /* seconds round to nearest, the absolute time included, as Redis does; unsigned so a
     * time near LLONG_MAX rounds up instead of overflowing */
    reply_int(c, ms ? ttl : (long long)(((unsigned long long)ttl + 500) / 1000));
}

void cmd_ttl(client_t *c) { s_ttl_generic(c, 0, 0); }
void cmd_pttl(client_t *c) { s_ttl_generic(c, 1, 0); }
void cmd_expiretime(client_t *c) { s_ttl_generic(c, 0, 1); }
void cmd_pexpiretime(client_t *c) { s_ttl_generic(c, 1, 1); }

void cmd_persist(client_t *c) {
    engine_t *e = c->eng;
    const proto_arg_t *key = &c->argv[1];
    if (db_lookup_write(e, c->db, key->ptr, key->len) &&
        db_remove_expire(c->db, key->ptr, key->len)) {
        s_write_done(e, c->db, key, "persist");
        reply_int(c, 1);
        e->stats.dirty++;
        return;
    }
    reply_int(c, 0);
}

/* ===================== OBJECT ===================== */

static vobj_t *s_object_lookup_or_reply(client_t *c) {
    vobj_t *o = s_lookup_notouch(c, c->db, &c->argv[2]);
    if (!o) reply_null(c);
    return o;
}

void cmd_object_encoding(client_t *c) {
    vobj_t *o = s_object_lookup_or_reply(c);
    if (o) reply_bulk_cstr(c, obj_encoding_name(o));
}

/* Redis shares one object per integer 0..9999 (unless an LRU/LFU policy with maxmemory
 * needs per-key access data) and reports those with the maximal refcount. Vole has no
 * shared objects; it answers what Redis would for the same value. */
void cmd_object_refcount(client_t *c) {
    vobj_t *o = s_object_lookup_or_reply(c);
    if (!o) return;
    engine_t *e = c->eng;
    int no_sharing = e->cfg.maxmemory != 0 && (strstr(e->cfg.maxmemory_policy, "lru") ||
                                               strstr(e->cfg.maxmemory_policy, "lfu"));
    int shared = o->type == OBJ_STRING && o->enc == ENC_INT && o->v.i >= 0 &&
                 o->v.i < SHARED_INTEGERS && !no_sharing;
    reply_int(c, shared ? SHARED_REFCOUNT : 1);
}

void cmd_object_idletime(client_t *c) {
    vobj_t *o = s_object_lookup_or_reply(c);
    if (!o) return;
    if (s_policy_is_lfu(c->eng)) {
        reply_error(c, "An LFU maxmemory policy is selected, idle time not tracked. Please note "
                       "that when switching between policies at runtime LRU and LFU data will "
                       "take some time to adjust.");
        return;
    }
    uint32_t now = c->eng->lruclock;
    reply_int(c, now >= o->lru ? (long long)(now - o->lru) : 0);
}

void cmd_object_freq(client_t *c) {
    vobj_t *o = s_object_lookup_or_reply(c);
    if (!o) return;
    if (!s_policy_is_lfu(c->eng)) {
        reply_error(c, "An LFU maxmemory policy is not selected, access frequency not tracked. "
                       "Please note that when switching between policies at runtime LRU and LFU "
                       "data will take some time to adjust.");
        return;
    }
    /* access frequency is not tracked yet: report the counter a new key starts with */
    reply_int(c, LFU_INIT_VAL);
}

void cmd_object_help(client_t *c) {
    static const char *help[] = {
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        NULL,
    };
    reply_help(c, help);
}

/* ===================== DBSIZE FLUSHDB FLUSHALL SWAPDB ===================== */

void cmd_dbsize(client_t *c) { reply_int(c, (long long)dict_size(c->db->keys)); }

/* ASYNC and SYNC both free at once for now; the option is validated like Redis. */
static int s_flush_flags_or_reply(client_t *c) {
    if (c->argc == 1) return 0;
    if (c->argc == 2 && (s_opt_is(&c->argv[1], "sync") || s_opt_is(&c->argv[1], "async"))) return 0;
    reply_error(c, ERR_SYNTAX);
    return -1;
}

void cmd_flushdb(client_t *c) {
    if (s_flush_flags_or_reply(c)) return;
    c->eng->stats.dirty += db_flush(c->eng, c->db->id);
    reply_ok(c);
}

void cmd_flushall(client_t *c) {
    if (s_flush_flags_or_reply(c)) return;
    c->eng->stats.dirty += db_flush(c->eng, -1) + 1;
    reply_ok(c);
}

void cmd_swapdb(client_t *c) {
    engine_t *e = c->eng;
    int id1, id2;
    if (s_int_or_reply(c, &c->argv[1], &id1, "invalid first DB index")) return;
    if (s_int_or_reply(c, &c->argv[2], &id2, "invalid second DB index")) return;
    db_t *a = db_get(e, id1), *b = db_get(e, id2);
    if (!a || !b) {
        reply_error(c, ERR_DB_INDEX);
        return;
    }
    if (a != b) {
        /* watchers of either database see their keys change (before and after the swap) */
        multi_touch_swapdb(e, id1, id2);
        /* clients keep pointing at their db slot, so swapping the contents is enough */
        dict_t *t = a->keys;
        a->keys = b->keys;
        b->keys = t;
        t = a->expires;
        a->expires = b->expires;
        b->expires = t;
        long long avg = a->avg_ttl;
        a->avg_ttl = b->avg_ttl;
        b->avg_ttl = avg;
        uint64_t cur = a->expires_cursor;
        a->expires_cursor = b->expires_cursor;
        b->expires_cursor = cur;
        t = a->ts_index; /* the time-series label index belongs with the keys */
        a->ts_index = b->ts_index;
        b->ts_index = t;
        /* clients blocked in either database may find their keys there now */
        blocking_scan_db(e, id1);
        blocking_scan_db(e, id2);
        core_db_swapped(e, id1, id2); /* tags follow their keys (engine/core.h) */
    }
    e->stats.dirty++;
    reply_ok(c);
}
