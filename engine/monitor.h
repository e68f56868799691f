/* MONITOR: clients that receive a line for every command the server executes
 * (engine/monitor.c), and the per-call hooks that monitors and client tracking share. */
#ifndef VOLE_MONITOR_H
#define VOLE_MONITOR_H
#include "engine/engine.h"

/* Clients in monitor mode right now: callers test it before calling in (fast path). */
extern long long monitors_count;

/* A monitor client may not touch the keyspace (Redis treats it as a replica): returns 1
 * when cmd may run, else replies Redis's error and returns 0. */
int monitor_context_allowed(client_t *c, const command_t *cmd);
/* Streams c's current command (argv as received) to every monitor, unless the command is
 * admin or skip_monitor. Called after the command ran, as Redis's call() does. */
void monitor_feed(client_t *c, const command_t *cmd);
/* Leaves monitor mode (disconnect, RESET) without replying. */
void monitor_client_free(client_t *c);
int monitor_is_monitor(const client_t *c);

/* Everything that follows one executed command (dispatch, and each queued command of an
 * EXEC): monitor feed, remembering the keys a tracking client read. */
void hooks_after_call(client_t *c, const command_t *cmd);

/* The MONITOR row. */
extern command_t monitor_commands[];
#endif
