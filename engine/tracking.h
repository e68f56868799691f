/* Client-side caching: CLIENT TRACKING and its invalidation messages (engine/tracking.c). */
#ifndef VOLE_TRACKING_H
#define VOLE_TRACKING_H
#include "engine/engine.h"

/* Clients with tracking on right now (fast-path test for the hooks). */
extern long long tracking_clients_count;

/* After one executed command (also each queued command of an EXEC): remembers the keys a
 * read-only command of a tracking client read. */
void tracking_after_call(client_t *c, const command_t *cmd);
/* End of a dispatched command (also rejected or queued ones): sends the invalidations the
 * client caused to itself (after its reply, as Redis) and drops a one-shot CLIENT CACHING. */
void tracking_command_done(client_t *c, const command_t *cmd);
/* Called before a dispatched command runs: c is the client NOLOOP refers to. */
void tracking_set_current(client_t *c);
/* A key changed (signal_modified_key): invalidates it for the clients that read it and
 * queues it for the BCAST clients whose prefixes match. */
void tracking_invalidate_key(engine_t *e, const char *key, size_t len);
/* FLUSHDB / FLUSHALL: every tracking client gets a null invalidation; the table empties. */
void tracking_invalidate_all(engine_t *e);
/* Sends the BCAST invalidations collected so far (end of a batch). */
void tracking_broadcast_flush(engine_t *e);
/* Disables tracking for c and forgets it (disconnect, RESET). */
void tracking_client_free(client_t *c);
/* CLIENT LIST: appends c's flags 't' 'R' 'B' to p, returns the new end; redir= value. */
char *tracking_flags_str(const client_t *c, char *p);
long long tracking_redir(const client_t *c);
/* INFO: tracking_total_keys, tracking_total_items, tracking_total_prefixes. */
void tracking_stats(long long *keys, long long *items, long long *prefixes);

void cmd_client_tracking(client_t *c);
void cmd_client_caching(client_t *c);
void cmd_client_getredir(client_t *c);
void cmd_client_trackinginfo(client_t *c);
#endif
