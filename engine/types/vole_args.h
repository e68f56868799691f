/* Argument helpers shared by Vole's own time-based types (rate limits, queues): durations
 * given in seconds with a fraction, and the guard of the internal commands that only
 * replayed effects may run. */
#ifndef VOLE_TYPES_VOLE_ARGS_H
#define VOLE_TYPES_VOLE_ARGS_H
#include <stdint.h>

#include "engine/engine.h"

/* The keyspace-event class of Vole's own types: 'd', the class Redis gives module types. */
#define NOTIFY_VOLE_TYPE (1 << 13)

/* Longest duration accepted anywhere (100 years), so deadlines never overflow. */
#define VOLE_MAX_DURATION_MS (100LL * 366 * 24 * 3600 * 1000)

/* Seconds as a decimal number ("30", "0.25") to whole milliseconds, rounded to nearest;
 * must be >= 0 (> 0 when positive is set) and at most VOLE_MAX_DURATION_MS. Replies
 * "ERR <what> must be a positive number of seconds" (or "non-negative") on failure. */
int arg_seconds_ms_or_reply(client_t *c, const proto_arg_t *a, int positive, const char *what,
                            int64_t *ms);
/* An internal command (VOLE.*) runs only while effects are replayed; anything else gets an
 * error. Returns -1 after replying. */
int internal_only_or_reply(client_t *c);
#endif
