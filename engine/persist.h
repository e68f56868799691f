/* The engine's side of persistence (engine/persist.c). */
#ifndef VOLE_PERSIST_H
#define VOLE_PERSIST_H
#include "engine/engine.h"

void persist_init(engine_t *e, const char *snapshot, int aof_on, const char *aof_dir,
                  long long interval_s);
void persist_free(engine_t *e);
/* Messages from the persister. */
void persist_on_snapshot_req(engine_t *e, frontend_t *fe, const char *data, size_t len);
void persist_on_state(engine_t *e, frontend_t *fe, const char *data, size_t len);
/* The persister's report of the AOF's sizes (INFO aof_current_size, aof_base_size). */
void persist_on_info(engine_t *e, const char *data, size_t len);
/* Refuses c's command with -MISCONF while the persister cannot write; 1 when refused. */
int persist_refuses(engine_t *e, client_t *c, const command_t *cmd);
/* Reaps a finished snapshot child and reports it (also during shutdown, when a persister
 * waits for its new base). */
void persist_reap(engine_t *e);
/* Reaps snapshot children, runs save rules and snapshot-interval (from the engine's cron). */
void persist_cron(engine_t *e);
/* INFO stats: the last fork's duration (the engine's pause for a snapshot) and the count. */
void persist_fork_stats(engine_t *e, long long *latest_usec, long long *total);
/* At SIGTERM: stops a snapshot child, writes a final snapshot when save rules are set. */
void persist_shutdown(engine_t *e);
/* The "# Persistence" section of INFO. */
void persist_info(engine_t *e, buf_t *b);
/* appendonly turned on or off at run time (CONFIG SET). */
void persist_set_aof(engine_t *e, int on);
#endif
