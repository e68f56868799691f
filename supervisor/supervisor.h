/* The supervisor: starts each role as its own process, relays their logs, watches their
 * heartbeats, restarts them with backoff and stops them in order. It does no data-path I/O. */
#ifndef VOLE_SUPERVISOR_H
#define VOLE_SUPERVISOR_H
#include "shared/config.h"

/* Heartbeat contract: a child finds the write end of its heartbeat pipe in cfg->hb_fd
 * (non-blocking, the only inherited fd besides 0-2) and writes at least one byte every 250 ms.
 * A child silent for cfg->watchdog_ms is SIGKILLed and restarted. */
#define SUPERVISOR_HEARTBEAT_MS 250

/* Runs until SIGTERM/SIGINT; returns the process exit code. cfg must be finished
 * (config_finish). argc/argv are the user's original arguments, handed again to every child
 * after "--role NAME --run-dir DIR --hb-fd N". known_roles is NULL-terminated. */
int supervisor_main(const vole_config_t *cfg, int argc, char **argv,
                    const char *const *known_roles);
#endif
