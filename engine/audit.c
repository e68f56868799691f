/* The audit log: off by default; once AUDIT.ENABLE ran, every command that wrote (a "write"
 * command that raised the dirty counter, also inside EXEC) adds one entry per key it names
 * (one with an empty key for keyless writes such as FLUSHALL): the time in ms, the database
 * or namespace, the key, the command with its arguments (each cut to
 * `audit-value-max-len` bytes, marked "...(N bytes)"), the client's address and its user.
 * The log keeps the newest `audit-max-entries` entries (CONFIG SET takes effect at the next
 * entry).
 *
 *   AUDIT key [COUNT n]          the key's newest entries in this database (default 10)
 *   AUDIT.SEARCH pattern [COUNT n]   entries whose key matches a glob pattern, newest first
 *   AUDIT.ENABLE / AUDIT.DISABLE / AUDIT.CLEAR / AUDIT.SIZE
 *
 * Each entry is a map {time, db, key, command, client, user} (a flat array in RESP2).
 * Survives restarts: every entry is recorded in the effect stream as
 * `VOLE.AUDIT ADD time key command client user` in the same unit as the write it describes
 * (replayed entries are added as recorded, never recomputed), ENABLE/DISABLE/CLEAR replay as
 * called, and the log is saved in the snapshot section "audit". VOLE.AUDIT is refused outside
 * a replay. Users: Vole has no ACL users yet, so the user is always "default". */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/commands.h"
#include "engine/core.h"
#include "engine/effects.h"
#include "engine/snapshot.h"
#include "shared/buf.h"
#include "shared/util.h"

typedef struct audit_entry {
    int64_t time_ms;
    int dbid;
    vstr_t *key, *cmd, *addr, *user;
} audit_entry_t;

typedef struct audit_state {
    int enabled;
    audit_entry_t *ring;
    size_t cap, head, count; /* oldest at ring[head] */
} audit_state_t;

static audit_state_t *s_state(engine_t *e, int create) {
    int created;
    return CORE_MODULE(e, audit, create, &created);
}

static void s_entry_free(audit_entry_t *a) {
    vstr_free(a->key);
    vstr_free(a->cmd);
    vstr_free(a->addr);
    vstr_free(a->user);
}

static audit_entry_t *s_at(audit_state_t *st, size_t i) {
    return &st->ring[(st->head + i) % st->cap];
}

static void s_drop_oldest(audit_state_t *st) {
    s_entry_free(&st->ring[st->head]);
    st->head = (st->head + 1) % st->cap;
    st->count--;
}

static void s_clear(audit_state_t *st) {
    while (st->count)
        s_drop_oldest(st);
    st->head = 0;
}

static void s_add(engine_t *e, int64_t t, int dbid, const proto_arg_t *key, const proto_arg_t *cmd,
                  const proto_arg_t *addr, const proto_arg_t *user) {
    audit_state_t *st = s_state(e, 1);
    size_t max = e->cfg.audit_max_entries > 0 ? (size_t)e->cfg.audit_max_entries : 1;
    while (st->count >= max)
        s_drop_oldest(st);
    if (st->count == st->cap) {
        size_t ncap = st->cap ? st->cap * 2 : 64;
        if (ncap > max) ncap = max > st->cap ? max : st->cap;
        audit_entry_t *n = malloc(ncap * sizeof *n);
        if (!n) abort();
        for (size_t i = 0; i < st->count; i++)
            n[i] = *s_at(st, i);
        free(st->ring);
        st->ring = n;
        st->cap = ncap;
        st->head = 0;
    }
    audit_entry_t *a = &st->ring[(st->head + st->count) % st->cap];
    a->time_ms = t;
    a->dbid = dbid;
    a->key = vstr_new(key->ptr, key->len);
    a->cmd = vstr_new(cmd->ptr, cmd->len);
    a->addr = vstr_new(addr->ptr, addr->len);
    a->user = vstr_new(user->ptr, user->len);
    st->count++;
}

void audit_free(engine_t *e) {
    audit_state_t *st = s_state(e, 0);
    if (!st) return;
    if (st->cap) s_clear(st);
    free(st->ring);
    free(st);
    core_of(e)->audit = NULL;
}

/* The command line as logged: arguments separated by spaces, each cut to max bytes. */
static void s_render(buf_t *b, int argc, const proto_arg_t *argv, size_t max) {
    for (int i = 0; i < argc; i++) {
        if (i) buf_append(b, " ", 1);
        if (argv[i].len <= max) {
            buf_append(b, argv[i].ptr, argv[i].len);
        } else {
            buf_append(b, argv[i].ptr, max);
            buf_printf(b, "...(%zu bytes)", argv[i].len);
        }
    }
}

void audit_after_command(client_t *c, const command_t *cmd, long long dirty_before) {
    engine_t *e = c->eng;
    audit_state_t *st = s_state(e, 0);
    if (!st || !st->enabled || e->loading) return;
    if (!(cmd->flagbits & CMD_WRITE) || e->stats.dirty == dirty_before) return;
    const command_t *top = cmd->parent ? cmd->parent : cmd;
    if (!strncmp(top->name, "audit", 5) || !strncmp(top->name, "vole.", 5)) return;
    buf_t line;
    buf_init(&line);
    size_t max = e->cfg.audit_value_max_len > 0 ? (size_t)e->cfg.audit_value_max_len : 1;
    s_render(&line, c->argc, c->argv, max);
    cmd_keys_t keys;
    cmd_keys_init(&keys);
    int nk = command_get_keys(cmd, c->argc, c->argv, &keys);
    char tbuf[24];
    int tl = ll_to_str(tbuf, e->now_ms);
    proto_arg_t user = EFF_LIT("default");
    proto_arg_t addr = EFF_ARG(c->addr, strlen(c->addr));
    proto_arg_t cl = EFF_ARG(line.data, line.len);
    for (int k = 0; k < (nk > 0 ? nk : 1); k++) {
        proto_arg_t key = nk > 0 ? c->argv[keys.keys[k].pos] : EFF_LIT("");
        s_add(e, e->now_ms, c->db->id, &key, &cl, &addr, &user);
        proto_arg_t eff[7] = {
            EFF_LIT("VOLE.AUDIT"), EFF_LIT("ADD"), EFF_ARG(tbuf, tl), key, cl, addr, user};
        effect_add_db(e, c->db->id, 7, eff);
    }
    cmd_keys_free(&keys);
    buf_free(&line);
}

/* ===================== commands ===================== */

static void s_reply_entry(client_t *c, const audit_entry_t *a) {
    reply_map(c, 6);
    reply_bulk_cstr(c, "time");
    reply_int(c, a->time_ms);
    reply_bulk_cstr(c, "db");
    reply_int(c, a->dbid);
    reply_bulk_cstr(c, "key");
    reply_bulk(c, a->key->ptr, a->key->len);
    reply_bulk_cstr(c, "command");
    reply_bulk(c, a->cmd->ptr, a->cmd->len);
    reply_bulk_cstr(c, "client");
    reply_bulk(c, a->addr->ptr, a->addr->len);
    reply_bulk_cstr(c, "user");
    reply_bulk(c, a->user->ptr, a->user->len);
}

/* COUNT n from argv[from] on (default 10); -1 after replying. */
static int s_count_or_reply(client_t *c, int from, long long *count) {
    *count = 10;
    if (c->argc == from) return 0;
    if (c->argc != from + 2 || !arg_is(&c->argv[from], "count")) {
        reply_error(c, ERR_SYNTAX);
        return -1;
    }
    return arg_range_or_reply(c, &c->argv[from + 1], 1, LLONG_MAX, count,
                              "COUNT must be a positive integer");
}

/* Replies the newest entries of this database whose key is key (exact) or matches pat. */
static void s_query(client_t *c, const proto_arg_t *key, const proto_arg_t *pat, long long count) {
    audit_state_t *st = s_state(c->eng, 0);
    size_t h = reply_deferred_len(c);
    long long n = 0;
    for (size_t i = st ? st->count : 0; i > 0 && n < count; i--) {
        const audit_entry_t *a = s_at(st, i - 1);
        if (a->dbid != c->db->id) continue;
        if (key && (a->key->len != key->len || memcmp(a->key->ptr, key->ptr, key->len))) continue;
        if (pat && !(pat->len == 1 && pat->ptr[0] == '*') && /* "*" also matches "" */
            !glob_match(pat->ptr, pat->len, a->key->ptr, a->key->len, 0))
            continue;
        s_reply_entry(c, a);
        n++;
    }
    reply_set_deferred_len(c, h, n);
}

static void cmd_audit(client_t *c) {
    long long count;
    if (s_count_or_reply(c, 2, &count)) return;
    s_query(c, &c->argv[1], NULL, count);
}

static void cmd_audit_search(client_t *c) {
    long long count;
    if (s_count_or_reply(c, 2, &count)) return;
    s_query(c, NULL, &c->argv[1], count);
}

static void s_set_enabled(client_t *c, int on) {
    audit_state_t *st = s_state(c->eng, 1);
    if (st->enabled != on) c->eng->stats.dirty++;
    st->enabled = on;
    reply_ok(c);
}

static void cmd_audit_enable(client_t *c) { s_set_enabled(c, 1); }
static void cmd_audit_disable(client_t *c) { s_set_enabled(c, 0); }

static void cmd_audit_clear(client_t *c) {
    audit_state_t *st = s_state(c->eng, 0);
    long long n = st ? (long long)st->count : 0;
    if (st && st->cap) s_clear(st);
    c->eng->stats.dirty++;
    reply_int(c, n);
}

static void cmd_audit_size(client_t *c) {
    audit_state_t *st = s_state(c->eng, 0);
    reply_int(c, st ? (long long)st->count : 0);
}

/* VOLE.AUDIT ADD time key command client user: effects only. */
static void cmd_vole_audit(client_t *c) {
    engine_t *e = c->eng;
    if (!e->loading) {
        reply_error(c, "VOLE.AUDIT is internal: it only replays recorded effects");
        return;
    }
    long long t;
    if (c->argc != 7 || !arg_is(&c->argv[1], "add")) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (arg_ll_or_reply(c, &c->argv[2], &t, NULL)) return;
    s_add(e, t, c->db->id, &c->argv[3], &c->argv[4], &c->argv[5], &c->argv[6]);
    e->stats.dirty++;
    reply_ok(c);
}

/* ===================== snapshot section ===================== */

static void s_save(engine_t *e, snap_writer_t *w) {
    audit_state_t *st = s_state(e, 0);
    snap_put_u8(w, st && st->enabled);
    size_t n = st ? st->count : 0;
    snap_put_u64(w, n);
    for (size_t i = 0; i < n; i++) {
        const audit_entry_t *a = s_at(st, i);
        snap_put_i64(w, a->time_ms);
        snap_put_u64(w, (uint64_t)a->dbid);
        snap_put_bytes(w, a->key->ptr, a->key->len);
        snap_put_bytes(w, a->cmd->ptr, a->cmd->len);
        snap_put_bytes(w, a->addr->ptr, a->addr->len);
        snap_put_bytes(w, a->user->ptr, a->user->len);
    }
}

static int s_load(engine_t *e, snap_reader_t *r) {
    uint8_t on;
    uint64_t n;
    if (snap_get_u8(r, &on) < 0 || snap_get_count(r, &n) < 0) return -1;
    if (on > 1) return snap_fail(r, "audit: bad enabled flag");
    s_state(e, 1)->enabled = on;
    for (uint64_t i = 0; i < n; i++) {
        int64_t t;
        uint64_t dbid;
        vstr_t *parts[4] = {0};
        int rc = snap_get_i64(r, &t) < 0 || snap_get_u64(r, &dbid) < 0;
        for (int k = 0; k < 4 && !rc; k++) {
            const char *p;
            size_t len;
            if (snap_get_bytes(r, &p, &len) < 0)
                rc = 1;
            else
                parts[k] = vstr_new(p, len);
        }
        if (!rc && dbid >= (uint64_t)(e->cfg.databases + ENGINE_NAMESPACES_MAX))
            rc = snap_fail(r, "audit: database out of range") < 0;
        if (!rc) {
            proto_arg_t a[4];
            for (int k = 0; k < 4; k++)
                a[k] = EFF_ARG(parts[k]->ptr, parts[k]->len);
            s_add(e, t, (int)dbid, &a[0], &a[1], &a[2], &a[3]);
        }
        for (int k = 0; k < 4; k++)
            vstr_free(parts[k]);
        if (rc) return -1;
    }
    return 0;
}

static const snap_section_t s_section = {.name = "audit", .save = s_save, .load = s_load};

// clang-format off
static command_t s_audit_commands[] = {
    {.name = "audit", .proc = cmd_audit, .arity = -2, .flags = "readonly admin",
     .acl = "keyspace", .keyspecs = "RO;index:1;range:0,1,0", .group = "audit",
     .since = "0.1.0", .summary = "Returns the newest audit entries of a key, newest first.",
     .complexity = "O(N), N being the number of entries in the log.",
     .args = "key:key@0 ?integer:count=COUNT"},
    {.name = "audit.search", .proc = cmd_audit_search, .arity = -2, .flags = "readonly admin",
     .acl = "keyspace", .group = "audit", .since = "0.1.0",
     .summary = "Returns the newest audit entries whose key matches a pattern.",
     .complexity = "O(N), N being the number of entries in the log.",
     .args = "pattern:pattern ?integer:count=COUNT"},
    {.name = "audit.enable", .proc = cmd_audit_enable, .arity = 1, .flags = "write admin",
     .group = "audit", .since = "0.1.0", .summary = "Starts recording every write in the audit log.",
     .complexity = "O(1)"},
    {.name = "audit.disable", .proc = cmd_audit_disable, .arity = 1, .flags = "write admin",
     .group = "audit", .since = "0.1.0", .summary = "Stops recording writes (the log is kept).",
     .complexity = "O(1)"},
    {.name = "audit.clear", .proc = cmd_audit_clear, .arity = 1, .flags = "write admin",
     .group = "audit", .since = "0.1.0",
     .summary = "Empties the audit log; returns the number of entries removed.",
     .complexity = "O(N), N being the number of entries."},
    {.name = "audit.size", .proc = cmd_audit_size, .arity = 1, .flags = "readonly admin fast",
     .group = "audit", .since = "0.1.0", .summary = "Returns the number of entries in the audit log.",
     .complexity = "O(1)"},
    {.name = "vole.audit", .proc = cmd_vole_audit, .arity = 7, .flags = "write admin noscript",
     .group = "audit", .since = "0.1.0",
     .summary = "Internal: replays an audit entry from the effect stream (refused outside a "
                "replay).", .complexity = "O(1)",
     .args = "=ADD integer:time string:key string:command string:client string:user"},
    {0}};
// clang-format on

__attribute__((constructor)) static void s_reg(void) {
    command_group_register(s_audit_commands);
    snapshot_register_section(&s_section);
}
