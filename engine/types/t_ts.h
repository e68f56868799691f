/* The time-series type (OBJ_TS): RedisTimeSeries-compatible TS.* commands over
 * engine/ds/tseries.c, with a per-database label index for TS.MGET/MRANGE/QUERYINDEX. */
#ifndef VOLE_T_TS_H
#define VOLE_T_TS_H
#include <stdint.h>

#include "engine/engine.h"

/* Samples in the series held by o (an OBJ_TS object); for tests and INFO-like callers. */
uint64_t ts_type_samples(const vobj_t *o);
/* Keys indexed under label=value in db (tests check the index follows the keyspace). */
uint64_t ts_index_count(db_t *db, const char *label, const char *value);
#endif
