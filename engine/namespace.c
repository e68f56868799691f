/* Namespaces: named keyspaces, as separate as the numbered databases (not key prefixes).
 *
 * A namespace is a db_t in e->dbs after the numbered databases (e->dbs[cfg.databases ..
 * e->ndbs)), with its name in db->name; "default" is database 0. e->dbs is allocated once
 * with room for ENGINE_NAMESPACES_MAX namespaces, so db_t pointers held by clients never
 * move. A slot in that range whose name is NULL is free (its dicts stay allocated and empty,
 * so every loop over e->ndbs can use them); NAMESPACE CREATE takes the lowest free slot,
 * which depends only on the set of live namespaces, so replaying the effects (NAMESPACE
 * CREATE/DROP as called) rebuilds the same numbering. Keys in a namespace are recorded as
 * effects in its slot number like any database's.
 *
 * NAMESPACE USE switches the connection as SELECT does (and SELECT leaves a namespace).
 * Snapshots save a namespace as a named database (engine/snapshot.c); loading must put it
 * back in the same slot (namespace_slot()), because later effects name slots by number. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/commands.h"
#include "engine/core.h"
#include "engine/blocking.h"

extern const dict_type_t db_keys_type, db_expires_type;

#define NAME_MAX_LEN 128

int namespace_slot_live(engine_t *e, int id) {
    if (id < 0 || id >= e->ndbs) return 0;
    return id < e->cfg.databases || e->dbs[id].name != NULL;
}

db_t *namespace_find(engine_t *e, const char *name, size_t len) {
    if (len == 7 && memcmp(name, "default", 7) == 0) return &e->dbs[0];
    for (int i = e->cfg.databases; i < e->ndbs; i++) {
        const char *n = e->dbs[i].name;
        if (n && strlen(n) == len && memcmp(n, name, len) == 0) return &e->dbs[i];
    }
    return NULL;
}

db_t *namespace_slot(engine_t *e, int id, const char *name, size_t len) {
    if (id < e->cfg.databases || id >= e->cfg.databases + ENGINE_NAMESPACES_MAX) return NULL;
    while (e->ndbs <= id) {
        db_t *db = &e->dbs[e->ndbs];
        memset(db, 0, sizeof *db);
        db->id = e->ndbs;
        db->keys = dict_new(&db_keys_type);
        db->expires = dict_new(&db_expires_type);
        e->ndbs++;
    }
    db_t *db = &e->dbs[id];
    if (!name) return db;
    if (db->name) {
        if (strlen(db->name) == len && memcmp(db->name, name, len) == 0) return db;
        return NULL;
    }
    db->name = malloc(len + 1);
    if (!db->name) abort();
    memcpy(db->name, name, len);
    db->name[len] = '\0';
    return db;
}

/* Frees the unused slots at the end, so e->ndbs covers only what is or was in use below the
 * highest live namespace. */
static void s_shrink(engine_t *e) {
    while (e->ndbs > e->cfg.databases && !e->dbs[e->ndbs - 1].name) {
        db_t *db = &e->dbs[e->ndbs - 1];
        dict_destroy(&db->expires);
        dict_destroy(&db->keys);
        memset(db, 0, sizeof *db);
        e->ndbs--;
    }
}

static int s_valid_name(const proto_arg_t *a) {
    if (a->len == 0 || a->len > NAME_MAX_LEN) return 0;
    for (size_t i = 0; i < a->len; i++) {
        char ch = a->ptr[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.' || ch == ':'))
            return 0;
    }
    return 1;
}

static void s_reply_no_such(client_t *c, const proto_arg_t *name) {
    reply_errorf(c, "no such namespace '%.*s'", (int)name->len, name->ptr);
}

/* ===================== commands ===================== */

static void cmd_namespace_create(client_t *c) {
    engine_t *e = c->eng;
    const proto_arg_t *name = &c->argv[2];
    if (!s_valid_name(name)) {
        reply_errorf(c,
                     "invalid namespace name: use 1 to %d letters, digits or _-.:", NAME_MAX_LEN);
        return;
    }
    if (namespace_find(e, name->ptr, name->len)) {
        reply_errorf(c, "namespace '%.*s' already exists", (int)name->len, name->ptr);
        return;
    }
    int id = e->cfg.databases;
    while (id < e->ndbs && e->dbs[id].name)
        id++;
    if (id >= e->cfg.databases + ENGINE_NAMESPACES_MAX) {
        reply_errorf(c, "too many namespaces (at most %d)", ENGINE_NAMESPACES_MAX);
        return;
    }
    namespace_slot(e, id, name->ptr, name->len);
    e->stats.dirty++;
    reply_ok(c);
}

static void cmd_namespace_use(client_t *c) {
    db_t *db = namespace_find(c->eng, c->argv[2].ptr, c->argv[2].len);
    if (!db) {
        s_reply_no_such(c, &c->argv[2]);
        return;
    }
    c->db = db;
    reply_ok(c);
}

static int s_name_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void cmd_namespace_list(client_t *c) {
    engine_t *e = c->eng;
    const char **names = malloc(sizeof(char *) * (size_t)(e->ndbs + 1));
    if (!names) abort();
    int n = 0;
    for (int i = e->cfg.databases; i < e->ndbs; i++)
        if (e->dbs[i].name) names[n++] = e->dbs[i].name;
    qsort(names, (size_t)n, sizeof *names, s_name_cmp);
    reply_array(c, n + 1);
    reply_bulk_cstr(c, "default");
    for (int i = 0; i < n; i++)
        reply_bulk_cstr(c, names[i]);
    free(names);
}

static void cmd_namespace_current(client_t *c) {
    db_t *db = c->db;
    if (db->name) {
        reply_bulk_cstr(c, db->name);
    } else if (db->id == 0) {
        reply_bulk_cstr(c, "default");
    } else {
        char buf[32];
        snprintf(buf, sizeof buf, "db%d", db->id);
        reply_bulk_cstr(c, buf);
    }
}

/* Every connection in the dropped namespace goes back to "default" (the slot may be reused
 * by a later NAMESPACE CREATE). */
static void s_move_clients(engine_t *e, db_t *from) {
    for (frontend_t *fe = e->frontends; fe; fe = fe->next) {
        dict_iter_t it;
        dict_entry_t *de;
        dict_iter_init(&it, fe->clients);
        while ((de = dict_iter_next(&it))) {
            client_t *cl = de->v.val;
            if (cl->db == from) cl->db = &e->dbs[0];
        }
        dict_iter_done(&it);
    }
    if (e->loader && e->loader->db == from) e->loader->db = &e->dbs[0];
}

static void cmd_namespace_drop(client_t *c) {
    engine_t *e = c->eng;
    const proto_arg_t *name = &c->argv[2];
    db_t *db = namespace_find(e, name->ptr, name->len);
    if (!db) {
        s_reply_no_such(c, name);
        return;
    }
    if (db->id == 0) {
        reply_error(c, "the default namespace cannot be dropped");
        return;
    }
    long long removed = db_flush(e, db->id); /* tags, indexes, delayed keys go too */
    /* clients waiting on its keys would otherwise wait for a namespace that is gone (or be
     * served by a later one created in the same slot) */
    blocking_unblock_db(e, db->id, "-UNBLOCKED the namespace was dropped");
    s_move_clients(e, db);
    free(db->name);
    db->name = NULL;
    db->avg_ttl = 0;
    s_shrink(e);
    e->stats.dirty += removed + 1;
    reply_int(c, removed);
}

static void cmd_namespace_help(client_t *c) {
    static const char *lines[] = {
        "CREATE <name>",
        "    Create an empty namespace: a keyspace of its own.",
        "USE <name>",
        "    Switch this connection to the namespace ('default' is database 0).",
        "LIST",
        "    List the namespaces, 'default' first.",
        "CURRENT",
        "    Return the name of this connection's namespace.",
        "DROP <name>",
        "    Delete the namespace and every key in it; returns the number of keys.",
        NULL,
    };
    reply_help(c, lines);
}

void core_info_keyspace(engine_t *e, buf_t *b) {
    if (e->core) hsearch_info(e, b);
    for (int i = e->cfg.databases; i < e->ndbs; i++) {
        db_t *db = &e->dbs[i];
        unsigned long long keys = dict_size(db->keys);
        if (!db->name || !keys) continue;
        buf_printf(b, "ns_%s:keys=%llu,expires=%llu,avg_ttl=%lld\r\n", db->name, keys,
                   (unsigned long long)dict_size(db->expires), db->avg_ttl);
    }
}

// clang-format off
static command_t s_ns_subs[] = {
    {.name = "create", .proc = cmd_namespace_create, .arity = 3, .flags = "write",
     .acl = "keyspace", .group = "namespace", .since = "0.1.0",
     .summary = "Creates an empty namespace, a keyspace of its own.",
     .complexity = "O(N), N being the number of namespaces.", .args = "string:name"},
    {.name = "use", .proc = cmd_namespace_use, .arity = 3, .flags = "loading stale fast",
     .acl = "connection", .group = "namespace", .since = "0.1.0",
     .summary = "Switches the connection to a namespace, as SELECT does for databases.",
     .complexity = "O(N), N being the number of namespaces.", .args = "string:name"},
    {.name = "list", .proc = cmd_namespace_list, .arity = 2, .flags = "loading stale",
     .acl = "keyspace", .group = "namespace", .since = "0.1.0",
     .summary = "Lists the namespaces, 'default' first, the others by name.",
     .complexity = "O(N log N), N being the number of namespaces."},
    {.name = "current", .proc = cmd_namespace_current, .arity = 2, .flags = "loading stale fast",
     .acl = "connection", .group = "namespace", .since = "0.1.0",
     .summary = "Returns the name of the connection's namespace.", .complexity = "O(1)"},
    {.name = "drop", .proc = cmd_namespace_drop, .arity = 3, .flags = "write",
     .acl = "keyspace dangerous", .group = "namespace", .since = "0.1.0",
     .summary = "Deletes a namespace and every key in it; returns the number of keys removed.",
     .complexity = "O(N), N being the number of keys in the namespace.", .args = "string:name"},
    {.name = "help", .proc = cmd_namespace_help, .arity = 2, .flags = "loading stale",
     .acl = "connection", .group = "namespace", .since = "0.1.0",
     .summary = "Returns helpful text about the different subcommands.", .complexity = "O(1)"},
    {0}};

static command_t s_ns_commands[] = {
    {.name = "namespace", .proc = NULL, .arity = -2, .flags = "", .group = "namespace",
     .since = "0.1.0", .summary = "Manages named keyspaces (namespaces).",
     .complexity = "Depends on the subcommand.", .subcommands = s_ns_subs},
    {0}};
// clang-format on

__attribute__((constructor)) static void s_reg(void) { command_group_register(s_ns_commands); }
