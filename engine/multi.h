/* Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (engine/multi.c). */
#ifndef VOLE_MULTI_H
#define VOLE_MULTI_H
#include "engine/engine.h"

/* Called by dispatch for each command of a client in MULTI that passed the common checks:
 * queues it (with copies of its arguments) and replies +QUEUED, unless the command is one
 * that runs at once inside MULTI (EXEC, DISCARD, MULTI, WATCH, QUIT, RESET). Returns 1 when
 * the command was consumed here. */
int multi_intercept(client_t *c, const command_t *cmd);
/* A command of a client in MULTI was rejected by the common checks (unknown, arity, OOM...):
 * its EXEC must then fail with EXECABORT. */
void multi_flag_error(client_t *c);
/* A key changed: transactions watching it will fail (called by signal_modified_key). */
void multi_touch_key(engine_t *e, db_t *db, const char *key, size_t len);
/* Every key of a database may have changed (FLUSHDB/FLUSHALL with dbid -1, SWAPDB). */
void multi_touch_db(engine_t *e, int dbid);
/* Forgets c's queued commands and watched keys (disconnect, RESET). */
void multi_client_free(client_t *c);
#endif
