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
/* The options of a command's tail ("DELAY 5 MAXRETRIES 3"): each word once or more (the
 * last one wins), in any order, followed by its value. */
typedef struct vole_opt {
    const char *name;     /* the option's word, matched case-insensitively */
    int seconds;          /* 1: seconds with a fraction, stored as ms; 0: an integer */
    long long min, max;   /* integers: the range; seconds: min 1 means positive */
    const char *err;      /* integers: the error text; seconds: the name the error uses */
    long long *out;
    const proto_arg_t **text; /* when not NULL: the value's argument as given */
} vole_opt_t;
/* Parses argv[first..] against opts; anything else is a syntax error. -1 after replying. */
int vole_opts_or_reply(client_t *c, int first, const vole_opt_t *opts, int nopts);

/* An internal command (VOLE.*) runs only while effects are replayed; anything else gets an
 * error. Returns -1 after replying. */
int internal_only_or_reply(client_t *c);
#endif
