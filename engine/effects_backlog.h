/* The effect stream's backlog and the functions the engine core uses to serve consumers and
 * to load. Commands use engine/effects.h only. */
#ifndef VOLE_EFFECTS_BACKLOG_H
#define VOLE_EFFECTS_BACKLOG_H
#include <stdint.h>

#include "engine/effects.h"

typedef struct {
    uint64_t seq;
    size_t off, len;
} effects_idx_t;

typedef struct effects {
    buf_t unit;          /* the unit being built */
    uint32_t unit_cmds;
    int depth;           /* open units (nesting) */
    int explicit_set;    /* the running command recorded its own effects (or none) */
    uint64_t seq;        /* last sequence number given */
    buf_t ring;          /* encoded units, oldest first, from idx[head].off */
    effects_idx_t *idx;
    size_t nidx, head, idx_cap;
    size_t backlog_max;  /* bytes of units kept for consumers */
    int off;             /* nobody can consume effects (no persister with an AOF, no replica):
                            units are only counted, not built; a later subscriber gets GAP */
    int pending_off;     /* a change of off asked for inside a unit (CONFIG SET appendonly):
                            0 none, 1 on, 2 off; made when the unit ends */
} effects_t;

/* Oldest sequence still in the backlog (last + 1 when it is empty). */
uint64_t effects_oldest_seq(engine_t *e);
/* The encoded unit numbered seq; -1 when it is not in the backlog. */
int effects_get(engine_t *e, uint64_t seq, const char **p, size_t *len);
/* Restarts the numbering at seq (after loading data whose last unit was seq). */
void effects_set_seq(engine_t *e, uint64_t seq);
void effects_free(engine_t *e);
/* Turns the recording of units off (only counted) while no consumer can exist, or on; asked
 * for inside a command, the change is made when the command's unit ends. */
void effects_set_off(engine_t *e, int off);
/* How many bytes of units the backlog keeps (effect-backlog-size). */
void effects_set_backlog_size(engine_t *e, size_t bytes);
/* Bytes held by the backlog (left out of maxmemory accounting, as Redis leaves out its
 * replication backlog). */
size_t effects_memory(engine_t *e);

/* The persister reports everything <= seq fsynced (engine.c releases held replies). */
void engine_on_durable(engine_t *e, uint64_t seq);

/* Decodes one unit, calling visit for each command; returns 0, -1 when malformed, -2 when
 * visit returned < 0. With visit NULL it only validates. */
typedef int effects_visit_fn(void *ctx, int dbid, int argc, const proto_arg_t *argv);
int effects_unit_decode(const char *p, size_t len, effects_visit_fn *visit, void *ctx);
#endif
