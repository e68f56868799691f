/* Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (engine/multi.c). */
#ifndef VOLE_MULTI_H
#define VOLE_MULTI_H
#include "engine/engine.h"

/* Called by dispatch for each command of a client in MULTI that passed the common checks:
 * queues it (with copies of its arguments) and replies +QUEUED, unless the command is one
 * that runs at once inside MULTI (EXEC, DISCARD, MULTI, WATCH, QUIT, RESET). Commands flagged
 * no_multi are refused here (and doom the transaction). Returns 1 when the command was
 * consumed here. */
int multi_intercept(client_t *c, const command_t *cmd);
/* A command of a client in MULTI was rejected by the common checks (unknown, arity, OOM...):
 * its EXEC must then fail with EXECABORT. */
void multi_flag_error(client_t *c);
/* Dispatch asks this first for every known command: an EXEC that the common checks would
 * refuse (wrong arity; RESP2 subscribed context) aborts the transaction, as Redis does, with
 * "-EXECABORT Transaction discarded because of: <reason>". Returns 1 when it replied so (the
 * caller counts the rejection); 0 for any other command or an EXEC that may run. */
int multi_exec_refused(client_t *c, const command_t *cmd);
/* A key changed: transactions watching it will fail (called by signal_modified_key). */
void multi_touch_key(engine_t *e, db_t *db, const char *key, size_t len);
/* Every key of a database may have changed (FLUSHDB, FLUSHALL with dbid -1): watchers of
 * keys that exist there fail. */
void multi_touch_db(engine_t *e, int dbid);
/* SWAPDB id1 id2, called before the contents are exchanged: a watcher fails when its key
 * exists in either database (so its value changes or appears). */
void multi_touch_swapdb(engine_t *e, int id1, int id2);
/* Forgets c's queued commands and watched keys (disconnect, RESET). */
void multi_client_free(client_t *c);

/* For other modules and CLIENT LIST. */
/* 1 while c's EXEC is running its queued commands (CLIENT_MULTI is still set then, as in
 * Redis, whose CLIENT LIST shows flag x during EXEC): blocking commands must not block. */
int multi_is_executing(const client_t *c);
/* CLIENT LIST multi=: the number of queued commands, -1 when c is not in MULTI. */
int multi_queued_count(const client_t *c);
/* CLIENT LIST multi-mem= (Redis 7.0: the queued arguments' bytes plus one pointer each). */
size_t multi_mem_usage(const client_t *c);
/* 1 when a watched key of c changed (CLIENT LIST flag 'd', after 'x' 'b' 't' 'R' 'B'). */
int multi_is_dirty_cas(const client_t *c);
#endif
