/* The engine's side of the scheduler features (DESIGN.md §7): webhook registrations and
 * their delivery outbox (engine/webhook.c), cron jobs (engine/cron.c) and DELMATCH's
 * background deletions (engine/delmatch.c). The scheduler process does the timing and the
 * HTTP; the engine only keeps the data and never waits for anyone. */
#ifndef VOLE_SCHED_H
#define VOLE_SCHED_H
#include <stdint.h>

#include "engine/engine.h"

struct vole_config;
/* Start-up settings: cron-timezone (for CRON.INFO's next run) and the outbox bounds. */
void sched_engine_configure(engine_t *e, const struct vole_config *vc);
/* Frees all of it (engine shutdown: leak checkers see only real leaks). */
void sched_engine_free(engine_t *e);

/* Called for every keyspace event (even with notify-keyspace-events off): appends one
 * delivery per matching webhook to the outbox. One load and a branch when none exist. */
extern long long webhook_count;
void webhook_key_event(engine_t *e, const char *event, const char *key, size_t keylen, int dbid);
void webhook_configure(long long outbox_max, long long outbox_max_bytes);

/* The vole.* commands the scheduler sends are refused to every other client (the effect
 * replayer excepted): replies the error and returns -1. */
int sched_internal_or_reply(client_t *c);

/* Drop every job / registration, failed delivery and outbox record (a snapshot section's
 * clear, tests, shutdown). The outbox keeps its sequence numbering. */
void cron_reset(void);
void webhook_reset(void);
void delmatch_reset(void);

/* Runs a slice (about 1 ms) of the pending DELMATCH deletions, from the engine's loop between
 * message batches; returns 1 while work remains (the loop then does not sleep). */
int delmatch_cron(engine_t *e);
#endif
