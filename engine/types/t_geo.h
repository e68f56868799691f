/* The GEO commands: points kept in sorted sets (TYPE "zset") whose scores are 52-bit
 * geohashes (engine/ds/geohash.h), with Redis 7.0's replies, errors and search results.
 * There is no GEO type of its own: these helpers work on any sorted set. */
#ifndef VOLE_T_GEO_H
#define VOLE_T_GEO_H
#include <stddef.h>

#include "engine/engine.h"

/* The position of a member (xy[0] longitude, xy[1] latitude): 0, or -1 when absent. */
int geo_member_xy(const vobj_t *z, const char *m, size_t len, double xy[2]);
/* The score GEOADD stores for a point; -1 when the point is outside the indexable band. */
int geo_score_of(double lon, double lat, double *score);

/* The rows of the geo commands (engine/commands.c joins them). */
extern command_t geo_commands[];
#endif
