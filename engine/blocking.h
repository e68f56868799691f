/* Blocking commands: clients waiting for a key (BLPOP, BZPOPMIN, XREAD BLOCK...) or a timeout
 * (engine/blocking.c). */
#ifndef VOLE_BLOCKING_H
#define VOLE_BLOCKING_H
#include "engine/engine.h"

/* A blocked client's later commands wait, in order, until it is unblocked: returns 1 when
 * the command was deferred (its arguments copied), 0 when c may run it now. */
int blocking_defer(client_t *c, int argc, const proto_arg_t *argv);
/* A key blocked clients may be waiting for was created or grew (db_add calls it for every
 * new key; commands that grow an existing list/zset/stream call it too). O(1), and free when
 * nobody waits on the key. */
void blocking_signal_key(engine_t *e, db_t *db, const char *key, size_t len);
/* Every key of a database may now hold something else (SWAPDB, after the exchange): the
 * keys clients wait on there that exist are signalled, as Redis rescans swapped databases. */
void blocking_scan_db(engine_t *e, int dbid);
/* Serves clients blocked on keys signalled since the last call; dispatch calls it after each
 * command (so after EXEC as a whole). Also runs the deferred commands of clients unblocked
 * meanwhile. */
void blocking_serve_ready(engine_t *e);
/* Times out blocked clients whose deadline passed; returns milliseconds until the next
 * deadline, or -1 when nobody waits with a timeout (the engine loop sleeps no longer). It
 * returns 0 right after replying to someone, so the loop sends that reply at once. */
long blocking_cron(engine_t *e);
/* Unblocks and forgets c (disconnect, CLIENT KILL, RESET). */
void blocking_client_free(client_t *c);
/* Clients blocked right now (INFO blocked_clients). */
long long blocking_blocked_count(void);
/* Blocked clients that have a timeout (INFO clients_in_timeout_table). */
long long blocking_timeout_count(void);

/* Blocking for Vole's own types (DEQUEUE ... BLOCK): the type says how to serve a waiter and,
 * when its keys have timers (delayed messages, visibility timeouts), runs them from the engine
 * loop so that a waiter is served as soon as a timer makes its key servable, not only when a
 * command touches the key. */
typedef struct blocking_custom {
    int obj_type; /* the OBJ_* type a key must hold to serve the waiter */
    /* Serves c from key (holding o) as its command would; returns 1 when it replied (c is
     * then unblocked), 0 to keep c waiting. */
    int (*serve)(client_t *c, db_t *db, const char *key, size_t len, vobj_t *o, long long arg);
    /* Runs the due timers of key (holding o) at now, signalling the key when that makes it
     * servable; returns the unix ms of its next timer, 0 when it has none. May be NULL. */
    int64_t (*timers)(engine_t *e, db_t *db, const char *key, size_t len, vobj_t *o,
                      int64_t now);
} blocking_custom_t;
/* Parks c on keys (of c's database) until t->serve serves it, the deadline (unix ms, 0 =
 * forever) passes (null array reply) or it is unblocked; arg is handed to t->serve. */
void blocking_block_custom(client_t *c, const blocking_custom_t *t, const proto_arg_t *keys,
                           int nkeys, uint64_t deadline, long long arg);
/* Whether c may block now (not inside MULTI/EXEC, where blocking commands time out at once). */
int blocking_may_block(const client_t *c);

/* CLIENT UNBLOCK client-id [TIMEOUT|ERROR] (the row is in engine/commands.c's CLIENT table). */
void cmd_client_unblock(client_t *c);
/* Answers every client blocked on keys of database dbid with the error err and unblocks it
 * (its namespace is being dropped). */
void blocking_unblock_db(engine_t *e, int dbid, const char *err);

/* The rows of BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX BZMPOP. */
extern command_t blocking_commands[];
#endif
