/* Delayed keys: `SET key value AFTER seconds [EX s|PX ms]` and `SETDELAYED key value delay_s
 * [EX s|PX ms]`. Until the delay passes the key is not in the keyspace at all (so every read,
 * EXISTS, KEYS, SCAN, DBSIZE and TYPE act as if it did not exist); it waits here, ordered by
 * due time. The engine's cron moves due keys into the keyspace (overwriting what is there, as
 * SET would), starts their TTL then, and sends the "set" keyspace event. One pending value per
 * key and namespace: scheduling again replaces it. FLUSHDB, FLUSHALL and NAMESPACE DROP drop
 * the pending keys of what they empty; SWAPDB moves them with the data of the two databases.
 *
 * Effects: scheduling records `VOLE.DELAYED ADD key value due_ms ttl_ms` (absolute due time);
 * the cron records `VOLE.DELAYED FIRE key now_ms` when it moves a key in, so a replay puts
 * the key in at the same moment of the stream with the same expiry time, whatever the clock
 * says during the replay. VOLE.DELAYED is refused outside a replay. Pending keys are saved in
 * the snapshot section "delayed". */
#include <stdlib.h>
#include <string.h>

#include "engine/commands.h"
#include "engine/core.h"
#include "engine/ds/skiplist.h"
#include "engine/effects.h"
#include "engine/snapshot.h"
#include "shared/util.h"

typedef struct delayed_entry {
    vstr_t *id; /* u32 db id, then the key bytes: the dict key and the skip-list member */
    vstr_t *value;
    int64_t due_ms, ttl_ms; /* ttl_ms 0: no TTL */
} delayed_entry_t;

typedef struct delayed_state {
    dict_t *by_id; /* id -> delayed_entry_t* */
    zsl_t *by_due; /* (due_ms, id) */
} delayed_state_t;

static void s_entry_free(void *p) {
    delayed_entry_t *d = p;
    vstr_free(d->id);
    vstr_free(d->value);
    free(d);
}
static const dict_type_t s_by_id_type = {vstr_dict_hash, vstr_dict_eq, NULL, s_entry_free};

static delayed_state_t *s_state(engine_t *e, int create) {
    int created;
    delayed_state_t *st = CORE_MODULE(e, delayed, create, &created);
    if (created) {
        st->by_id = dict_new(&s_by_id_type);
        st->by_due = zsl_new();
    }
    return st;
}

static vstr_t *s_make_id(int dbid, const char *key, size_t len) {
    vstr_t *id = vstr_empty(4 + len);
    uint32_t d = (uint32_t)dbid;
    memcpy(id->ptr, &d, 4);
    memcpy(id->ptr + 4, key, len);
    return id;
}

static int s_id_db(const vstr_t *id) {
    uint32_t d;
    memcpy(&d, id->ptr, 4);
    return (int)d;
}

static delayed_entry_t *s_find(delayed_state_t *st, int dbid, const char *key, size_t len) {
    if (!st || dict_size(st->by_id) == 0) return NULL;
    vstr_t *id = s_make_id(dbid, key, len);
    dict_entry_t *de = dict_find(st->by_id, id);
    vstr_free(id);
    return de ? de->v.val : NULL;
}

/* The entry of a skip-list node (its member is the entry's id bytes). */
static delayed_entry_t *s_of_node(delayed_state_t *st, const zsl_node_t *n) {
    vstr_t *id = vstr_new(n->ele.ptr, n->ele.len);
    dict_entry_t *de = dict_find(st->by_id, id);
    vstr_free(id);
    return de ? de->v.val : NULL;
}

static void s_remove(delayed_state_t *st, delayed_entry_t *d) {
    zsl_node_t *n = zsl_unlink(st->by_due, (double)d->due_ms, d->id->ptr, d->id->len);
    if (n) zsl_free_node(n);
    dict_delete(st->by_id, d->id); /* frees d */
}

static void s_schedule(engine_t *e, int dbid, const char *key, size_t klen, const char *val,
                       size_t vlen, int64_t due_ms, int64_t ttl_ms) {
    delayed_state_t *st = s_state(e, 1);
    delayed_entry_t *old = s_find(st, dbid, key, klen);
    if (old) s_remove(st, old);
    delayed_entry_t *d = malloc(sizeof *d);
    if (!d) abort();
    d->id = s_make_id(dbid, key, klen);
    d->value = vstr_new(val, vlen);
    d->due_ms = due_ms;
    d->ttl_ms = ttl_ms;
    dict_add(st->by_id, d->id, d);
    zsl_insert(st->by_due, (double)due_ms, d->id->ptr, d->id->len);
}

/* Moves a pending key into its database at time now_ms. */
static void s_fire(engine_t *e, delayed_state_t *st, delayed_entry_t *d, int64_t now) {
    int dbid = s_id_db(d->id);
    const char *key = d->id->ptr + 4;
    size_t klen = d->id->len - 4;
    db_t *db = &e->dbs[dbid];
    db_set(e, db, key, klen, obj_string(d->value->ptr, d->value->len), 0);
    if (d->ttl_ms > 0) db_set_expire(e, db, key, klen, now + d->ttl_ms);
    e->stats.dirty++;
    signal_modified_key(e, db, key, klen);
    notify_keyspace_event(e, NOTIFY_STRING, "set", key, klen, dbid);
    if (d->ttl_ms > 0) notify_keyspace_event(e, NOTIFY_GENERIC, "expire", key, klen, dbid);
    s_remove(st, d);
}

void delayed_cron(engine_t *e) {
    delayed_state_t *st = s_state(e, 0);
    if (!st || e->loading) return;
    int64_t now = now_ms();
    e->now_ms = now;
    zsl_node_t *n;
    while ((n = zsl_first(st->by_due)) && (int64_t)n->score <= now) {
        delayed_entry_t *d = s_of_node(st, n);
        if (!d) { /* cannot happen: both structures change together */
            zsl_node_t *x = zsl_unlink(st->by_due, n->score, n->ele.ptr, n->ele.len);
            if (x) zsl_free_node(x);
            continue;
        }
        char nowbuf[24];
        int nl = ll_to_str(nowbuf, now);
        proto_arg_t eff[4] = {EFF_LIT("VOLE.DELAYED"), EFF_LIT("FIRE"),
                              EFF_ARG(d->id->ptr + 4, d->id->len - 4), EFF_ARG(nowbuf, nl)};
        effect_add_db(e, s_id_db(d->id), 4, eff);
        s_fire(e, st, d, now);
    }
}

void delayed_flushed(engine_t *e, int dbid) {
    delayed_state_t *st = s_state(e, 0);
    if (!st || dict_size(st->by_id) == 0) return;
    if (dbid == -1) {
        dict_clear(st->by_id);
        zsl_free(st->by_due);
        st->by_due = zsl_new();
        return;
    }
    for (zsl_node_t *n = zsl_first(st->by_due), *next; n; n = next) {
        next = zsl_next(n);
        delayed_entry_t *d = s_of_node(st, n);
        if (d && s_id_db(d->id) == dbid) s_remove(st, d);
    }
}

void delayed_swapped(engine_t *e, int id1, int id2) {
    delayed_state_t *st = s_state(e, 0);
    if (!st || dict_size(st->by_id) == 0) return;
    /* the ids hold the database: the entries of either one are taken out, then put back
     * under the other id (no two of them can collide) */
    size_t n = 0, cap = 0;
    delayed_entry_t *moved = NULL;
    for (zsl_node_t *node = zsl_first(st->by_due), *next; node; node = next) {
        next = zsl_next(node);
        delayed_entry_t *d = s_of_node(st, node);
        int db = d ? s_id_db(d->id) : -1;
        if (db != id1 && db != id2) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            moved = realloc(moved, cap * sizeof *moved);
            if (!moved) abort();
        }
        moved[n] = (delayed_entry_t){s_make_id(db == id1 ? id2 : id1, d->id->ptr + 4,
                                               d->id->len - 4),
                                     vstr_new(d->value->ptr, d->value->len), d->due_ms,
                                     d->ttl_ms};
        n++;
        s_remove(st, d);
    }
    for (size_t i = 0; i < n; i++) {
        delayed_entry_t *m = &moved[i];
        s_schedule(e, s_id_db(m->id), m->id->ptr + 4, m->id->len - 4, m->value->ptr,
                   m->value->len, m->due_ms, m->ttl_ms);
        vstr_free(m->id);
        vstr_free(m->value);
    }
    free(moved);
}

void delayed_free(engine_t *e) {
    delayed_state_t *st = s_state(e, 0);
    if (!st) return;
    dict_destroy(&st->by_id);
    zsl_free(st->by_due);
    free(st);
    core_of(e)->delayed = NULL;
}

/* ===================== commands ===================== */

/* Schedules argv[1] = argv[2] after delay seconds, with the TTL options from argv[from] on
 * (EX seconds | PX milliseconds); replies. */
static void s_setdelayed(client_t *c, const proto_arg_t *delay, int from) {
    long long secs, ttl_ms = 0;
    if (arg_ll_or_reply(c, delay, &secs, NULL)) return;
    if (secs < 0 || secs > 100LL * 365 * 86400) {
        reply_error(c, "invalid delay: seconds from 0 to 100 years");
        return;
    }
    for (int i = from; i < c->argc; i++) {
        int ex = arg_is(&c->argv[i], "ex"), px = arg_is(&c->argv[i], "px");
        if ((!ex && !px) || i + 1 >= c->argc || ttl_ms) {
            reply_error(c, ERR_SYNTAX);
            return;
        }
        long long v;
        if (arg_ll_or_reply(c, &c->argv[++i], &v, NULL)) return;
        if (v <= 0 || v > (ex ? 100LL * 365 * 86400 : 100LL * 365 * 86400 * 1000)) {
            reply_errorf(c, "invalid expire time in '%s' command", c->cmd->fullname);
            return;
        }
        ttl_ms = ex ? v * 1000 : v;
    }
    engine_t *e = c->eng;
    const proto_arg_t *key = &c->argv[1], *val = &c->argv[2];
    int64_t due = e->now_ms + secs * 1000;
    s_schedule(e, c->db->id, key->ptr, key->len, val->ptr, val->len, due, ttl_ms);
    char dbuf[24], tbuf[24];
    int dl = ll_to_str(dbuf, due), tl = ll_to_str(tbuf, ttl_ms);
    proto_arg_t eff[6] = {EFF_LIT("VOLE.DELAYED"), EFF_LIT("ADD"),   *key, *val,
                          EFF_ARG(dbuf, dl),       EFF_ARG(tbuf, tl)};
    effect_add(c, 6, eff);
    e->stats.dirty++;
    notify_keyspace_event(e, NOTIFY_STRING, "setdelayed", key->ptr, key->len, c->db->id);
    reply_ok(c);
}

static void cmd_setdelayed(client_t *c) { s_setdelayed(c, &c->argv[3], 4); }

int core_set_intercept(client_t *c) {
    /* SET key value AFTER seconds [EX s|PX ms] (AFTER first among the options) */
    if (c->argc < 5 || !arg_is(&c->argv[3], "after")) {
        for (int i = 4; i < c->argc; i++)
            if (arg_is(&c->argv[i], "after")) {
                reply_error(c, "AFTER must come right after the value (SET key value AFTER "
                               "seconds [EX seconds|PX milliseconds])");
                return 1;
            }
        return 0;
    }
    s_setdelayed(c, &c->argv[4], 5);
    return 1;
}

/* VOLE.DELAYED ADD key value due_ms ttl_ms | VOLE.DELAYED FIRE key at_ms: effects only. */
static void cmd_vole_delayed(client_t *c) {
    engine_t *e = c->eng;
    if (!e->loading) {
        reply_error(c, "VOLE.DELAYED is internal: it only replays recorded effects");
        return;
    }
    long long due, ttl, at;
    if (arg_is(&c->argv[1], "add") && c->argc == 6) {
        if (arg_ll_or_reply(c, &c->argv[4], &due, NULL) ||
            arg_ll_or_reply(c, &c->argv[5], &ttl, NULL))
            return;
        s_schedule(e, c->db->id, c->argv[2].ptr, c->argv[2].len, c->argv[3].ptr, c->argv[3].len,
                   due, ttl < 0 ? 0 : ttl);
        e->stats.dirty++;
        reply_ok(c);
    } else if (arg_is(&c->argv[1], "fire") && c->argc == 4) {
        if (arg_ll_or_reply(c, &c->argv[3], &at, NULL)) return;
        delayed_state_t *st = s_state(e, 0);
        delayed_entry_t *d = s_find(st, c->db->id, c->argv[2].ptr, c->argv[2].len);
        if (!d) {
            reply_error(c, "no such delayed key");
            return;
        }
        s_fire(e, st, d, at);
        reply_ok(c);
    } else {
        reply_error(c, ERR_SYNTAX);
    }
}

/* ===================== snapshot section ===================== */

static void s_save(engine_t *e, snap_writer_t *w) {
    delayed_state_t *st = s_state(e, 0);
    uint64_t n = st ? dict_size(st->by_id) : 0;
    snap_put_u64(w, n);
    if (!n) return;
    for (zsl_node_t *x = zsl_first(st->by_due); x; x = zsl_next(x)) {
        const delayed_entry_t *d = s_of_node(st, x);
        snap_put_u64(w, (uint64_t)s_id_db(d->id));
        snap_put_bytes(w, d->id->ptr + 4, d->id->len - 4);
        snap_put_bytes(w, d->value->ptr, d->value->len);
        snap_put_i64(w, d->due_ms);
        snap_put_i64(w, d->ttl_ms);
    }
}

static int s_load(engine_t *e, snap_reader_t *r) {
    uint64_t n;
    if (snap_get_count(r, &n) < 0) return -1;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t dbid;
        const char *k, *v;
        size_t kl, vl;
        int64_t due, ttl;
        if (snap_get_u64(r, &dbid) < 0 || snap_get_bytes(r, &k, &kl) < 0) return -1;
        vstr_t *key = vstr_new(k, kl); /* the next read moves the reader's buffer */
        int rc = snap_get_bytes(r, &v, &vl) < 0 || snap_get_i64(r, &due) < 0 ||
                 snap_get_i64(r, &ttl) < 0;
        if (!rc && (dbid >= (uint64_t)(e->cfg.databases + ENGINE_NAMESPACES_MAX) || ttl < 0))
            rc = snap_fail(r, "delayed key: bad database or TTL");
        if (!rc) s_schedule(e, (int)dbid, key->ptr, key->len, v, vl, due, ttl);
        vstr_free(key);
        if (rc) return -1;
    }
    return 0;
}

static const snap_section_t s_section = {.name = "delayed", .save = s_save, .load = s_load};

// clang-format off
static command_t s_delayed_commands[] = {
    {.name = "setdelayed", .proc = cmd_setdelayed, .arity = -4, .flags = "write denyoom",
     .acl = "string", .keyspecs = "OW update;index:1;range:0,1,0", .group = "string",
     .since = "0.1.0",
     .summary = "Sets a string key that stays invisible until a delay passes, then appears "
                "(its TTL starting then).",
     .complexity = "O(log N), N being the number of keys waiting.",
     .args = "key:key@0 string:value integer:delay ?oneof:expiration(integer:seconds=EX "
             "integer:milliseconds=PX)"},
    {.name = "vole.delayed", .proc = cmd_vole_delayed, .arity = -4, .flags = "write denyoom "
     "noscript", .acl = "string", .keyspecs = "OW update;index:2;range:0,1,0", .group = "string",
     .since = "0.1.0",
     .summary = "Internal: replays a delayed key's scheduling or appearance from the effect "
                "stream (refused outside a replay).",
     .complexity = "O(log N), N being the number of keys waiting.",
     .args = "string:action key:key@0 *string:arguments"},
    {0}};
// clang-format on

__attribute__((constructor)) static void s_reg(void) {
    command_group_register(s_delayed_commands);
    snapshot_register_section(&s_section);
}
