/* Blocking commands: clients waiting for a key (BLPOP, BZPOPMIN, XREAD BLOCK...) or a timeout
 * (engine/blocking.c). */
#ifndef VOLE_BLOCKING_H
#define VOLE_BLOCKING_H
#include "engine/engine.h"

/* A blocked client's later commands wait, in order, until it is unblocked: returns 1 when
 * the command was deferred (its arguments copied), 0 when c may run it now. */
int blocking_defer(client_t *c, int argc, const proto_arg_t *argv);
/* A key blocked clients may be waiting for was created or grew (db_add calls it for every
 * new key; commands that grow an existing list/zset/stream call it too). */
void blocking_signal_key(engine_t *e, db_t *db, const char *key, size_t len);
/* Serves clients blocked on keys signalled since the last call; dispatch calls it after each
 * command (so after EXEC as a whole). */
void blocking_serve_ready(engine_t *e);
/* Times out blocked clients whose deadline passed; returns milliseconds until the next
 * deadline, or -1 when nobody waits with a timeout (the engine loop sleeps no longer). */
long blocking_cron(engine_t *e);
/* Unblocks and forgets c (disconnect, CLIENT KILL, RESET). */
void blocking_client_free(client_t *c);
#endif
