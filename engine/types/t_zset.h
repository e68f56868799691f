/* The sorted set type: two encodings as Redis 7.0 has them ("listpack": a packed array of
 * (member, score) kept in order, while small; "skiplist": a skip list plus a dict from member
 * to node) and the API every user of sorted sets goes through: the ZSET commands, and later
 * the blocking pops, GEO, SORT, snapshots and replication. Members are binary-safe bytes;
 * scores are doubles, never NaN. */
#ifndef VOLE_T_ZSET_H
#define VOLE_T_ZSET_H
#include <stddef.h>

#include "engine/ds/skiplist.h"
#include "engine/engine.h"

/* Which end: the lowest or the highest score. */
enum { ZSET_MIN = 0, ZSET_MAX = 1 };

/* zset_add() input flags (ZADD's options). */
enum {
    ZADD_IN_NONE = 0,
    ZADD_IN_INCR = 1 << 0, /* add the score to the current one (0 when absent) */
    ZADD_IN_NX = 1 << 1,   /* only add new members */
    ZADD_IN_XX = 1 << 2,   /* only update existing members */
    ZADD_IN_GT = 1 << 3,   /* only update when the new score is greater */
    ZADD_IN_LT = 1 << 4,   /* only update when the new score is less */
};
/* zset_add() output flags. */
enum {
    ZADD_OUT_NOP = 1 << 0,     /* nothing done because of NX/XX/GT/LT */
    ZADD_OUT_NAN = 1 << 1,     /* the resulting score would be NaN: nothing done */
    ZADD_OUT_ADDED = 1 << 2,   /* a new member */
    ZADD_OUT_UPDATED = 1 << 3, /* an existing member's score changed */
};

/* Score and lexicographic intervals are the skip list's (engine/ds/skiplist.h). */
typedef zsl_range_t zrange_spec_t;
typedef zsl_lex_range_t zlex_range_t;

/* ---------- create, free, copy, size ---------- */

/* A new empty sorted set, encoded as Redis would for a key about to receive size_hint
 * members of at most maxelelen bytes (listpack when both fit the thresholds in cfg). */
vobj_t *zset_create(const engine_config_t *cfg, size_t size_hint, size_t maxelelen);
/* A new empty sorted set with the given encoding (ENC_LISTPACK or ENC_SKIPLIST). */
vobj_t *zset_create_enc(int enc);
vobj_t *zset_dup(const vobj_t *z); /* same encoding, as COPY needs */
unsigned long zset_length(const vobj_t *z);
size_t zset_mem(const vobj_t *z); /* MEMORY USAGE estimate in bytes */

/* ---------- members ---------- */

/* Adds or updates a member as ZADD does (flags above); converts listpack -> skiplist when a
 * threshold in cfg is crossed. Returns 1 on success (*out_flags say what happened,
 * *newscore, when not NULL, gets the member's score afterwards), 0 when the score is or
 * would become NaN (ZADD_OUT_NAN, nothing changed). */
int zset_add(const engine_config_t *cfg, vobj_t *z, double score, const char *m, size_t len,
             int in_flags, int *out_flags, double *newscore);
/* 0 and *score set when the member exists, -1 otherwise. */
int zset_score(const vobj_t *z, const char *m, size_t len, double *score);
/* Removes a member; 1 when it existed. */
int zset_delete(vobj_t *z, const char *m, size_t len);
/* 0-based rank (from the highest score when reverse), -1 when absent. */
long zset_rank(const vobj_t *z, const char *m, size_t len, int reverse);

/* ---------- ranges ---------- */

/* Removals by interval / by 0-based inclusive rank (start <= end < length); each returns the
 * number of members removed. The key is not deleted here even when it becomes empty. */
unsigned long zset_delete_range_by_score(vobj_t *z, const zrange_spec_t *r);
unsigned long zset_delete_range_by_lex(vobj_t *z, const zlex_range_t *r);
unsigned long zset_delete_range_by_rank(vobj_t *z, unsigned long start, unsigned long end);

/* Iteration in order (or reverse). Member bytes stay valid until the set is modified.
 *   zset_iter_rank   starts at a 0-based rank counted in the walk's direction;
 *   zset_iter_score  starts at the first member in the interval (last when reverse) and
 *                    stops at the first member outside it;
 *   zset_iter_lex    the same for a lexicographic interval.
 * zset_iter_skip() moves n members on without checking the interval (LIMIT's offset). */
typedef struct zset_iter {
    const vobj_t *z;
    int reverse;
    int kind; /* internal: which interval (if any) bounds the walk */
    const zrange_spec_t *range;
    const zlex_range_t *lex;
    long idx;         /* listpack: current index, -1 / length when done */
    zsl_node_t *node; /* skiplist: current node, NULL when done */
} zset_iter_t;
void zset_iter_rank(zset_iter_t *it, const vobj_t *z, unsigned long start, int reverse);
void zset_iter_score(zset_iter_t *it, const vobj_t *z, const zrange_spec_t *r, int reverse);
void zset_iter_lex(zset_iter_t *it, const vobj_t *z, const zlex_range_t *r, int reverse);
void zset_iter_skip(zset_iter_t *it, unsigned long n);
/* The next member: 1 with m, len and score set (score may be NULL), 0 at the end. */
int zset_iter_next(zset_iter_t *it, const char **m, size_t *len, double *score);

/* Members counted in an interval. */
unsigned long zset_count_in_range(const vobj_t *z, const zrange_spec_t *r);
unsigned long zset_count_in_lex_range(const vobj_t *z, const zlex_range_t *r);

/* The member at the low or high end; 0 when empty. */
int zset_peek(const vobj_t *z, int where, const char **m, size_t *len, double *score);

/* ---------- encodings ---------- */

void zset_convert(vobj_t *z, int enc);
/* skiplist -> listpack when the set now fits the thresholds (Redis does this for results
 * of ZUNIONSTORE & co. and GEO's STORE): maxelelen is the longest member, totlen their sum. */
void zset_convert_to_listpack_if_needed(const engine_config_t *cfg, vobj_t *z, size_t maxelelen,
                                        size_t totlen);

/* ---------- argument parsing (Redis's rules and error texts) ---------- */

/* ZRANGEBYSCORE-style bounds: "1.5", "(1.5", "-inf", "+inf"; 0, or -1 when not a float. */
int zset_parse_range(const proto_arg_t *min, const proto_arg_t *max, zrange_spec_t *r);
/* ZRANGEBYLEX-style bounds: "[a", "(a", "-", "+"; 0, or -1 when invalid. The interval points
 * into the arguments. */
int zset_parse_lex_range(const proto_arg_t *min, const proto_arg_t *max, zlex_range_t *r);

/* ---------- command-level building blocks ---------- */

/* ZADD's work after its own parsing, for commands that add as ZADD does (GEOADD): looks the
 * key up (WRONGTYPE reply), creates it unless XX, adds the n pairs with in_flags, replies
 * (the count added, or added+updated with ch; the new score or nil with ZADD_IN_INCR) and
 * signals the "zadd" / "zincr" event. */
void zset_add_generic(client_t *c, const proto_arg_t *key, int in_flags, int ch,
                      const double *scores, const proto_arg_t *members, long n);

/* The pop used by ZPOPMIN/ZPOPMAX/ZMPOP and the blocking variants, as Redis's
 * genericZpopCommand: takes the first of the nkeys keys that exists (WRONGTYPE reply on the
 * first of another type), pops up to count members (-1: a single one) from the where end and
 * replies:
 *   emitkey=0 nested=0   [m, s, m, s...]              ZPOPMIN/ZPOPMAX (RESP2, or no count)
 *   emitkey=0 nested=1   [[m, s], ...]                ZPOPMIN/ZPOPMAX with count in RESP3
 *   emitkey=1 nested=0   [key, m, s, ...]             BZPOPMIN/BZPOPMAX
 *   emitkey=1 nested=1   [key, [[m, s], ...]]         ZMPOP/BZMPOP
 * With no key to pop from: a nil array when reply_nil_when_empty, else an empty array.
 * Deletes the key when emptied (*deleted = 1 then, when not NULL) and signals the events.
 * Returns the number of members popped. */
long zset_pop_generic(client_t *c, const proto_arg_t *keys, int nkeys, int where, int emitkey,
                      long count, int nested, int reply_nil_when_empty, int *deleted);

/* The rows of the sorted set commands (engine/commands.c joins them). */
extern command_t zset_commands[];
#endif
