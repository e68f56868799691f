/* Transactions: MULTI/EXEC/DISCARD queueing and execution, and WATCH's optimistic locking
 * (per-database key -> watchers index, per-client watched keys), with Redis 7.0's rules for
 * keys that expire while watched. Owns the multi_commands table. */
#include "engine/multi.h"

#include <stdlib.h>
#include <string.h>

#include "engine/commands.h"
#include "engine/effects.h"
#include "engine/monitor.h"
#include "shared/util.h"

void cmd_multi(client_t *c);
void cmd_exec(client_t *c);
void cmd_discard(client_t *c);
void cmd_watch(client_t *c);
void cmd_unwatch(client_t *c);

/* ===================== state ===================== */

typedef struct s_wlist s_wlist_t;

/* One client watching one key of one database: a node of the key's watcher list and an
 * entry of the client's watched array. */
typedef struct s_wkey {
    client_t *c;
    db_t *db;
    const vstr_t *key; /* the watch index's key, alive while anyone watches it */
    s_wlist_t *list;
    struct s_wkey *prev, *next;
    /* the key was logically expired (still stored) when WATCH ran: its deletion is then no
     * change, as in Redis 7.0 */
    int expired;
} s_wkey_t;

struct s_wlist {
    s_wkey_t *head, *tail;
};

/* A queued command: the argument array and the bytes it points to, in one allocation. */
typedef struct {
    const command_t *cmd;
    int argc;
    proto_arg_t *argv;
} s_queued_t;

typedef struct {
    s_queued_t *q;
    int count, cap;
    size_t mem;     /* multi-mem: argument bytes plus one pointer per argument */
    uint64_t flags; /* union of the queued commands' flag bits (a deny-OOM one dooms EXEC) */
    int dirty_cas;  /* a watched key changed */
    int dirty_exec; /* a command was refused while queueing */
    int executing;
    s_wkey_t **watched;
    int nwatched, capwatched;
} s_state_t;

/* key -> s_wlist_t, one index per database id (SWAPDB exchanges contents, not watchers) */
static dict_t **s_index;
static int s_nindex;

static const dict_type_t s_index_type = {vstr_dict_hash, vstr_dict_eq, vstr_dict_free, NULL};

static dict_t *s_index_of(const db_t *db, int create) {
    if (db->id >= s_nindex) {
        if (!create) return NULL;
        int n = db->id + 1 > ENGINE_DBS_MAX ? db->id + 1 : ENGINE_DBS_MAX;
        dict_t **p = realloc(s_index, (size_t)n * sizeof *p);
        if (!p) abort();
        memset(p + s_nindex, 0, (size_t)(n - s_nindex) * sizeof *p);
        s_index = p;
        s_nindex = n;
    }
    if (!s_index[db->id] && create) s_index[db->id] = dict_new(&s_index_type);
    return s_index[db->id];
}

/* Finds key in d without allocating for short keys (the index compares vstr_t keys). */
static dict_entry_t *s_index_find(dict_t *d, const char *key, size_t len) {
    if (!d || dict_size(d) == 0) return NULL;
    union {
        vstr_t hdr;
        char space[sizeof(vstr_t) + 128];
    } u;
    vstr_t *k = len <= 128 ? &u.hdr : vstr_new(key, len);
    if (k == &u.hdr) {
        k->len = len;
        memcpy(k->ptr, key, len);
    }
    dict_entry_t *de = dict_find(d, k);
    if (k != &u.hdr) vstr_free(k);
    return de;
}

static s_state_t *s_state(client_t *c) {
    if (!c->multi) {
        c->multi = calloc(1, sizeof(s_state_t));
        if (!c->multi) abort();
    }
    return c->multi;
}

/* Redis's keyIsExpired: a TTL in the past, whether or not the key was deleted yet. */
static int s_key_is_expired(engine_t *e, db_t *db, const char *key, size_t len) {
    int64_t when = db_get_expire(db, key, len);
    return when >= 0 && e->now_ms > when;
}

/* ===================== queue ===================== */

static void s_free_queue(s_state_t *m) {
    for (int i = 0; i < m->count; i++) free(m->q[i].argv);
    free(m->q);
    m->q = NULL;
    m->count = m->cap = 0;
    m->mem = 0;
    m->flags = 0;
}

static void s_queue(client_t *c, const command_t *cmd) {
    s_state_t *m = s_state(c);
    /* an aborted transaction keeps nothing (Redis still answers +QUEUED) */
    if (m->dirty_cas || m->dirty_exec) return;
    if (m->count == m->cap) {
        int cap = m->cap ? m->cap * 2 : 4;
        s_queued_t *q = realloc(m->q, (size_t)cap * sizeof *q);
        if (!q) abort();
        m->q = q;
        m->cap = cap;
    }
    size_t bytes = 0;
    for (int i = 0; i < c->argc; i++) bytes += c->argv[i].len + 1;
    /* the arguments point into the batch message, freed once the batch is done: copy */
    proto_arg_t *argv = malloc((size_t)c->argc * sizeof *argv + bytes);
    if (!argv) abort();
    char *p = (char *)(argv + c->argc);
    for (int i = 0; i < c->argc; i++) {
        memcpy(p, c->argv[i].ptr, c->argv[i].len);
        p[c->argv[i].len] = '\0';
        argv[i].ptr = p;
        argv[i].len = c->argv[i].len;
        p += c->argv[i].len + 1;
        m->mem += c->argv[i].len + sizeof(void *);
    }
    m->q[m->count++] = (s_queued_t){cmd, c->argc, argv};
    m->flags |= cmd->flagbits;
}

/* ===================== watching ===================== */

static void s_unwatch_all(client_t *c) {
    s_state_t *m = c->multi;
    if (!m) return;
    for (int i = 0; i < m->nwatched; i++) {
        s_wkey_t *wk = m->watched[i];
        s_wlist_t *l = wk->list;
        if (wk->prev) wk->prev->next = wk->next;
        else l->head = wk->next;
        if (wk->next) wk->next->prev = wk->prev;
        else l->tail = wk->prev;
        if (!l->head) {
            dict_delete(s_index_of(wk->db, 0), wk->key); /* frees the key */
            free(l);
        }
        free(wk);
    }
    free(m->watched);
    m->watched = NULL;
    m->nwatched = m->capwatched = 0;
}

static void s_watch_key(client_t *c, const proto_arg_t *key) {
    s_state_t *m = s_state(c);
    for (int i = 0; i < m->nwatched; i++) {
        const s_wkey_t *wk = m->watched[i];
        if (wk->db == c->db && wk->key->len == key->len &&
            memcmp(wk->key->ptr, key->ptr, key->len) == 0)
            return;
    }
    dict_t *d = s_index_of(c->db, 1);
    dict_entry_t *de = s_index_find(d, key->ptr, key->len);
    if (!de) {
        s_wlist_t *l = calloc(1, sizeof *l);
        if (!l) abort();
        de = dict_add(d, vstr_new(key->ptr, key->len), l);
    }
    s_wlist_t *l = de->v.val;
    s_wkey_t *wk = calloc(1, sizeof *wk);
    if (!wk) abort();
    wk->c = c;
    wk->db = c->db;
    wk->key = de->key;
    wk->list = l;
    wk->expired = s_key_is_expired(c->eng, c->db, key->ptr, key->len);
    wk->prev = l->tail;
    if (l->tail) l->tail->next = wk;
    else l->head = wk;
    l->tail = wk;
    if (m->nwatched == m->capwatched) {
        int cap = m->capwatched ? m->capwatched * 2 : 4;
        s_wkey_t **w = realloc(m->watched, (size_t)cap * sizeof *w);
        if (!w) abort();
        m->watched = w;
        m->capwatched = cap;
    }
    m->watched[m->nwatched++] = wk;
}

/* A watched key that was alive at WATCH time and whose TTL has passed since, even if nobody
 * deleted it yet, fails the EXEC. */
static int s_watched_key_expired(client_t *c) {
    s_state_t *m = c->multi;
    for (int i = 0; m && i < m->nwatched; i++) {
        const s_wkey_t *wk = m->watched[i];
        if (!wk->expired && s_key_is_expired(c->eng, wk->db, wk->key->ptr, wk->key->len))
            return 1;
    }
    return 0;
}

void multi_touch_key(engine_t *e, db_t *db, const char *key, size_t len) {
    (void)e;
    dict_entry_t *de = s_index_find(db->id < s_nindex ? s_index[db->id] : NULL, key, len);
    if (!de) return;
    s_wlist_t *l = de->v.val;
    for (s_wkey_t *wk = l->head, *next; wk; wk = next) {
        next = wk->next;
        if (wk->expired) {
            if (!db_peek(db, key, len)) {
                /* the stale key was deleted: logically nothing changed; from now on it is
                 * watched as a missing key */
                wk->expired = 0;
                continue;
            }
            /* Redis 7.0.15 stops at such a watcher (it leaves this one and those after it
             * clean); kept for identical outcomes */
            break;
        }
        client_t *c = wk->c;
        ((s_state_t *)c->multi)->dirty_cas = 1;
        /* a dirty client needs no watches any more; this unlinks only c's nodes, and the
         * next node belongs to another client, so it stays valid (if wk was the last node
         * the list itself is freed and next is NULL) */
        s_unwatch_all(c);
    }
}

/* Redis's touchAllWatchedKeysInDb: emptied loses its contents, replaced_with (SWAPDB) is what
 * takes their place, or NULL for a flush. Only flags clients: unwatching here could free
 * index entries the walk still has to visit. */
static void s_touch_all(engine_t *e, db_t *emptied, db_t *replaced_with) {
    dict_t *d = s_index_of(emptied, 0);
    if (!d || dict_size(d) == 0) return;
    dict_iter_t it;
    dict_entry_t *de;
    dict_iter_init(&it, d);
    while ((de = dict_iter_next(&it))) {
        const vstr_t *k = de->key;
        int in_emptied = db_peek(emptied, k->ptr, k->len) != NULL;
        int in_replacement = replaced_with && db_peek(replaced_with, k->ptr, k->len);
        if (!in_emptied && !in_replacement) continue;
        for (s_wkey_t *wk = ((s_wlist_t *)de->v.val)->head; wk; wk = wk->next) {
            if (wk->expired) {
                if (!in_replacement) {
                    wk->expired = 0; /* the stale key is gone: no logical change */
                    continue;
                }
                if (s_key_is_expired(e, replaced_with, k->ptr, k->len)) continue;
            } else if (!in_emptied && s_key_is_expired(e, replaced_with, k->ptr, k->len)) {
                wk->expired = 1; /* a missing key replaced by an already expired one */
                continue;
            }
            ((s_state_t *)wk->c->multi)->dirty_cas = 1;
        }
    }
    dict_iter_done(&it);
}

void multi_touch_db(engine_t *e, int dbid) {
    for (int i = 0; i < e->ndbs && i < s_nindex; i++)
        if (dbid == -1 || dbid == i) s_touch_all(e, &e->dbs[i], NULL);
}

void multi_touch_swapdb(engine_t *e, int id1, int id2) {
    db_t *a = db_get(e, id1), *b = db_get(e, id2);
    if (!a || !b || a == b) return;
    s_touch_all(e, a, b);
    s_touch_all(e, b, a);
}

/* ===================== client state ===================== */

/* Redis's discardTransaction: leaves MULTI, drops the queue, the dirty marks and watches. */
static void s_discard(client_t *c) {
    s_state_t *m = c->multi;
    c->flags &= ~(uint32_t)CLIENT_MULTI;
    if (!m) return;
    s_free_queue(m);
    m->dirty_cas = m->dirty_exec = 0;
    s_unwatch_all(c);
}

void multi_client_free(client_t *c) {
    s_discard(c);
    free(c->multi);
    c->multi = NULL;
}

void multi_flag_error(client_t *c) {
    if (c->flags & CLIENT_MULTI) s_state(c)->dirty_exec = 1;
}

int multi_is_executing(const client_t *c) {
    return c->multi && ((const s_state_t *)c->multi)->executing;
}

int multi_queued_count(const client_t *c) {
    if (!(c->flags & CLIENT_MULTI)) return -1;
    return c->multi ? ((const s_state_t *)c->multi)->count : 0;
}

size_t multi_mem_usage(const client_t *c) {
    return c->multi ? ((const s_state_t *)c->multi)->mem : 0;
}

int multi_is_dirty_cas(const client_t *c) {
    return c->multi && ((const s_state_t *)c->multi)->dirty_cas;
}

static int s_is(const command_t *cmd, const char *name) {
    return !cmd->parent && !strcmp(cmd->name, name);
}

/* Over maxmemory with nothing left to evict (dispatch's test, shared so both agree). */
static int s_oom(engine_t *e) {
    if (e->oom_recheck) {
        e->oom_recheck = 0;
        e->oom = engine_enforce_maxmemory(e) < 0;
    }
    return e->oom;
}

static void s_refuse(client_t *c, const command_t *cmd, const char *err) {
    ((command_t *)cmd)->rejected++;
    s_state(c)->dirty_exec = 1;
    reply_error(c, err);
}

int multi_intercept(client_t *c, const command_t *cmd) {
    /* Redis's order: no_multi, then (after dispatch's own checks) memory */
    if (cmd->flagbits & CMD_NO_MULTI) {
        s_refuse(c, cmd, "Command not allowed inside a transaction");
        return 1;
    }
    int at_once = cmd->proc == cmd_exec || cmd->proc == cmd_discard || s_is(cmd, "quit") ||
                  s_is(cmd, "reset");
    /* queueing grows memory whatever the command: over maxmemory only the commands that end
     * the transaction still run (dispatch already refused deny-OOM ones) */
    if (!at_once && !(cmd->flagbits & CMD_DENYOOM) && s_oom(c->eng)) {
        s_refuse(c, cmd, "-OOM command not allowed when used memory > 'maxmemory'.");
        return 1;
    }
    if (at_once || cmd->proc == cmd_multi || cmd->proc == cmd_watch) return 0;
    s_queue(c, cmd);
    reply_simple(c, "QUEUED");
    return 1;
}

static void s_abort(client_t *c, const char *why) {
    s_discard(c);
    reply_errorf(c, "-EXECABORT Transaction discarded because of: %s", why);
}

int multi_exec_refused(client_t *c, const command_t *cmd) {
    if (cmd->proc != cmd_exec) return 0;
    const s_state_t *m = c->multi;
    if (c->argc != 1) {
        s_abort(c, "wrong number of arguments for 'exec' command");
    } else if ((c->flags & CLIENT_MULTI) && m && (m->flags & CMD_DENYOOM) && s_oom(c->eng)) {
        /* EXEC counts as deny-OOM when it would run a command that is */
        s_abort(c, "OOM command not allowed when used memory > 'maxmemory'.");
    } else if ((c->flags & CLIENT_PUBSUB) && c->resp == 2) {
        s_abort(c, "Can't execute 'exec': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT "
                   "/ RESET are allowed in this context");
    } else {
        return 0;
    }
    return 1;
}

/* ===================== commands ===================== */

void cmd_multi(client_t *c) {
    if (c->flags & CLIENT_MULTI) {
        reply_error(c, "MULTI calls can not be nested");
        return;
    }
    c->flags |= CLIENT_MULTI;
    reply_ok(c);
}

void cmd_discard(client_t *c) {
    if (!(c->flags & CLIENT_MULTI)) {
        reply_error(c, "DISCARD without MULTI");
        return;
    }
    s_discard(c);
    reply_ok(c);
}

void cmd_exec(client_t *c) {
    engine_t *e = c->eng;
    if (!(c->flags & CLIENT_MULTI)) {
        reply_error(c, "EXEC without MULTI");
        return;
    }
    s_state_t *m = s_state(c);
    if (s_watched_key_expired(c)) m->dirty_cas = 1;
    if (m->dirty_exec || m->dirty_cas) {
        if (m->dirty_exec) reply_error(c, "-EXECABORT Transaction discarded because of previous "
                                          "errors.");
        else reply_null_array(c);
        s_discard(c);
        return;
    }
    s_unwatch_all(c); /* nothing the transaction does can fail it any more */
    /* CLIENT LIST shows EXEC as the client's command while the transaction runs */
    c->lastcmd = c->cmd;
    const command_t *exec_cmd = c->cmd;
    int argc = c->argc;
    const proto_arg_t *argv = c->argv;
    m->executing = 1;
    reply_array(c, m->count);
    /* the queue stays owned by m while it runs: nothing a queued command does re-queues
     * (dispatch is not re-entered) or discards it (RESET and QUIT are never queued) */
    for (int i = 0; i < m->count; i++) {
        const s_queued_t *q = &m->q[i];
        c->argc = q->argc;
        c->argv = q->argv;
        c->cmd = q->cmd;
        long long dirty0 = e->stats.dirty;
        effects_cmd_start(c, dirty0); /* inside EXEC's unit: the whole transaction is one */
        uint64_t t0 = ticks_now();
        q->cmd->proc(c);
        command_account(q->cmd, ticks_to_ns(ticks_now() - t0));
        effects_cmd_end(c, q->cmd, dirty0);
        hooks_after_call(c, q->cmd); /* monitors, client tracking (engine/monitor.h) */
        ((command_t *)q->cmd)->calls++;
        e->stats.total_commands++;
    }
    m->executing = 0;
    c->argc = argc;
    c->argv = argv;
    c->cmd = exec_cmd;
    s_discard(c);
}

void cmd_watch(client_t *c) {
    if (c->flags & CLIENT_MULTI) {
        reply_error(c, "WATCH inside MULTI is not allowed");
        return;
    }
    /* a client already doomed gains nothing by watching more */
    if (!multi_is_dirty_cas(c))
        for (int i = 1; i < c->argc; i++) s_watch_key(c, &c->argv[i]);
    reply_ok(c);
}

void cmd_unwatch(client_t *c) {
    s_unwatch_all(c);
    if (c->multi) ((s_state_t *)c->multi)->dirty_cas = 0;
    reply_ok(c);
}

/* ===================== table ===================== */

command_t multi_commands[] = {
    {.name = "multi", .proc = cmd_multi, .arity = 1,
     .flags = "noscript loading stale fast allow_busy", .acl = "transaction",
     .group = "transactions", .since = "1.2.0",
     .summary = "Starts a transaction: later commands are queued until EXEC.",
     .complexity = "O(1)"},
    {.name = "exec", .proc = cmd_exec, .arity = 1, .flags = "noscript loading stale skip_slowlog",
     .acl = "transaction", .group = "transactions", .since = "1.2.0",
     .summary = "Runs the queued commands of a transaction as one step.",
     .complexity = "The sum of the queued commands' complexities."},
    {.name = "discard", .proc = cmd_discard, .arity = 1,
     .flags = "noscript loading stale fast allow_busy", .acl = "transaction",
     .group = "transactions", .since = "2.0.0",
     .summary = "Drops the queued commands of a transaction and leaves it.",
     .complexity = "O(N), N being the number of queued commands."},
    {.name = "watch", .proc = cmd_watch, .arity = -2,
     .flags = "noscript loading stale fast allow_busy", .acl = "transaction",
     .keyspecs = "RO;index:1;range:-1,1,0", .group = "transactions", .since = "2.2.0",
     .summary = "Makes the next EXEC fail if any of the given keys changes before it.",
     .complexity = "O(1) per key.", .args = "*key:key@0"},
    {.name = "unwatch", .proc = cmd_unwatch, .arity = 1,
     .flags = "noscript loading stale fast allow_busy", .acl = "transaction",
     .group = "transactions", .since = "2.2.0",
     .summary = "Forgets every key the connection watches.", .complexity = "O(1)"},
    {0},
};
