/* Vole's own keyspace features (issue 7, "core" part): namespaces (engine/namespace.c),
 * delayed keys (engine/delayed.c), tags (engine/tags.c), hash schemas (engine/schema.c),
 * HSEARCH and its indexes (engine/hsearch.c) and the audit log (engine/audit.c).
 *
 * The rest of the engine reaches them only through the hooks below, each called from one
 * place (engine/core.c fans them out to the modules). Their state lives in e->core, one per
 * engine, so unit tests can run two engines side by side (a persistence round trip). */
#ifndef VOLE_CORE_H
#define VOLE_CORE_H
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "shared/buf.h"

/* Namespaces live in e->dbs after the numbered databases; e->dbs is allocated once with
 * room for this many of them, so a db_t never moves (clients hold c->db). */
#define ENGINE_NAMESPACES_MAX 1024

/* ---- hooks (each called from exactly one place) ---- */

/* engine/db.c, db_add: a value entered the keyspace (HSEARCH indexes hashes). */
void core_key_added(engine_t *e, db_t *db, const char *key, size_t len, vobj_t *val);
/* engine/db.c, db_delete and db_take: a key is about to leave the keyspace (delete, expiry,
 * eviction, the source of RENAME/MOVE): its tags and index entries go. */
void core_key_removed(engine_t *e, db_t *db, const char *key, size_t len);
/* engine/cmd_keys.c, RENAME and MOVE, before the value is taken from src: tags follow the
 * value to dst (dst's own were dropped when it was deleted). */
void core_key_renamed(engine_t *e, db_t *sdb, const char *src, size_t slen, db_t *ddb,
                      const char *dst, size_t dlen);
/* engine/cmd_keys.c, SWAPDB: the contents of two databases were exchanged. */
void core_db_swapped(engine_t *e, int id1, int id2);
/* engine/db.c, db_flush: every key of dbid (-1: all databases and namespaces) went. */
void core_db_flushed(engine_t *e, int dbid);
/* engine/types/t_hash.c, before a hash write (HSET HMSET HSETNX HINCRBY HINCRBYFLOAT):
 * fv holds n strings, field/value pairs with the values to be written; existing is the hash
 * or NULL. Replies "schema violation" and returns -1 when a field breaks a schema (nothing
 * may be written then); otherwise updates HSEARCH's indexes and returns 0. */
int core_hash_write(client_t *c, const proto_arg_t *key, const vobj_t *existing,
                    const proto_arg_t *fv, int n);
/* HDEL is about to delete fields (n strings) of the hash existing: HSEARCH drops their index
 * entries while the values are still there. */
void core_hash_del(client_t *c, const proto_arg_t *key, const vobj_t *existing,
                   const proto_arg_t *fields, int n);
/* engine/types/t_string.c, SET: handles `SET key value AFTER seconds ...`; returns 1 when it
 * did (replied), 0 for a plain SET. */
int core_set_intercept(client_t *c);
/* engine/engine.c, the cron: delayed keys coming due, namespace dict housekeeping. */
void core_cron(engine_t *e);
/* engine/effects.c, after each command (also inside EXEC): the audit log. */
void core_after_command(client_t *c, const command_t *cmd, long long dirty_before);
/* engine/cmd_server.c, INFO keyspace: one line per non-empty namespace. */
void core_info_keyspace(engine_t *e, buf_t *b);
/* engine/engine.c, engine_free. */
void core_free(engine_t *e);

/* ---- shared between the core modules ---- */

typedef struct core_state {
    struct delayed_state *delayed;
    struct tags_state *tags;
    struct schema_state *schemas;
    struct hsearch_state *hsearch;
    struct audit_state *audit;
} core_state_t;
core_state_t *core_of(engine_t *e);
/* A module's state, the core_state_t member at offset off: NULL when it does not exist and
 * create is 0, else made (size zeroed bytes) on first use with *created set, so the module
 * can finish it. CORE_MODULE(e, audit, create, &created) names the member instead. */
void *core_module(engine_t *e, size_t off, size_t size, int create, int *created);
#define CORE_MODULE(e, member, create, created)                                                    \
    ((__typeof__(((core_state_t *)0)->member))core_module((e), offsetof(core_state_t, member),     \
                                                          sizeof(*((core_state_t *)0)->member),    \
                                                          (create), (created)))

/* Namespaces (engine/namespace.c). */
/* The namespace called name, or NULL ("default" is database 0). */
db_t *namespace_find(engine_t *e, const char *name, size_t len);
/* Makes slot id a namespace named name (snapshot loading, NAMESPACE CREATE); returns the
 * db or NULL when id is out of range or the slot is taken by another name. */
db_t *namespace_slot(engine_t *e, int id, const char *name, size_t len);
/* 1 when db slot id holds data that belongs to a live database or namespace. */
int namespace_slot_live(engine_t *e, int id);

/* Long loops over the keyspace (HSEARCH scans, index rebuilds) call this every few thousand
 * steps: it tells the supervisor's watchdog the engine is alive (at most every 200 ms), as
 * the engine's loop does between batches. */
void core_heartbeat(engine_t *e);

/* Per module: reactions to the hooks, and their frees. */
void delayed_cron(engine_t *e);
void delayed_flushed(engine_t *e, int dbid);
/* SWAPDB: the pending keys of the two databases change places with the data. */
void delayed_swapped(engine_t *e, int id1, int id2);
void delayed_free(engine_t *e);
void tags_removed(engine_t *e, db_t *db, const char *key, size_t len);
void tags_renamed(engine_t *e, db_t *sdb, const char *src, size_t slen, db_t *ddb, const char *dst,
                  size_t dlen);
void tags_flushed(engine_t *e, int dbid);
void tags_swapped(engine_t *e, int id1, int id2);
void tags_free(engine_t *e);
int schema_check(client_t *c, const proto_arg_t *key, const vobj_t *existing, const proto_arg_t *fv,
                 int n);
void schema_free(engine_t *e);
/* Schemas whose pattern matches key, for HSEARCH's indexes: calls fn for each declared
 * field (its type in SCHEMA_T_*). */
enum { SCHEMA_T_STRING, SCHEMA_T_INT, SCHEMA_T_FLOAT, SCHEMA_T_BOOL, SCHEMA_T_EMAIL };
typedef void schema_field_fn(void *ctx, const char *field, size_t flen, int type);
int schema_count(engine_t *e);
void schema_fields_for_key(engine_t *e, const char *key, size_t len, schema_field_fn *fn,
                           void *ctx);
/* 1 when field f is declared by a schema whose pattern covers the query pattern qpat (the
 * same, or "prefix*" with qpat starting with prefix): HSEARCH may then use the index;
 * *numeric tells whether a covering schema declares it int or float. */
int schema_field_covered(engine_t *e, const proto_arg_t *qpat, const char *f, size_t flen,
                         int *numeric);
/* HSEARCH's indexes (engine/hsearch.c) over the fields schemas declare. */
void hsearch_key_added(engine_t *e, db_t *db, const char *key, size_t len, const vobj_t *val);
void hsearch_key_removed(engine_t *e, db_t *db, const char *key, size_t len);
void hsearch_hash_write(engine_t *e, db_t *db, const char *key, size_t len, const vobj_t *existing,
                        const proto_arg_t *fv, int n);
void hsearch_hash_del(engine_t *e, db_t *db, const char *key, size_t len, const vobj_t *existing,
                      const proto_arg_t *fields, int n);
void hsearch_flushed(engine_t *e, int dbid);
/* From the cron: fills the indexes a slice at a time after they were invalidated. */
void hsearch_cron(engine_t *e);
/* INFO keyspace: "hsearch_index:status=ready|building,schemas=N" while some schema exists. */
void hsearch_info(engine_t *e, buf_t *b);
/* Schemas changed (or SWAPDB, or a load): the indexes are emptied and refilled by the cron. */
void hsearch_invalidate(engine_t *e);
void hsearch_free(engine_t *e);
void audit_after_command(client_t *c, const command_t *cmd, long long dirty_before);
void audit_free(engine_t *e);
#endif
