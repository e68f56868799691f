/* Time-series storage: a series is a sorted array of chunks, each holding samples (int64
 * millisecond timestamp, double value) in strictly increasing timestamp order. A chunk is
 * either compressed (timestamps as delta-of-delta, values XORed with the previous one, as
 * Facebook's Gorilla paper describes; typically 1-3 bytes per regular sample) or plain (16
 * bytes per sample). Appending after the last sample is O(1); finding where a range starts is
 * a binary search over the chunks, then a decode of one chunk; writes in the middle re-encode
 * one chunk (splitting it when it outgrows its size). No engine dependencies. */
#ifndef VOLE_DS_TSERIES_H
#define VOLE_DS_TSERIES_H
#include <stddef.h>
#include <stdint.h>

typedef struct tschunk {
    int64_t first_ts, last_ts;
    double last_v;
    uint32_t count;
    uint32_t cap;   /* the most bytes the chunk may use (CHUNK_SIZE) */
    uint32_t alloc; /* bytes allocated in data */
    uint8_t compressed;
    /* encoder state of a compressed chunk, to append without decoding */
    uint8_t lead, trail; /* XOR window of the last stored value; lead 0xff = none yet */
    uint64_t nbits;
    int64_t delta; /* last timestamp delta */
    uint8_t *data;
} tschunk_t;

/* A cursor over one chunk's samples, oldest first. */
typedef struct {
    const tschunk_t *c;
    uint32_t i;
    uint64_t pos;
    int64_t ts, delta;
    uint64_t bits;
    uint8_t lead, trail;
} tschunk_iter_t;

tschunk_t *tschunk_new(int compressed, uint32_t cap);
void tschunk_free(tschunk_t *c);
/* Appends a sample after the last one (ts > last_ts unless empty); -1 when the chunk is full. */
int tschunk_append(tschunk_t *c, int64_t ts, double v);
void tschunk_iter_init(tschunk_iter_t *it, const tschunk_t *c);
/* 1 with the next sample, 0 at the end. */
int tschunk_iter_next(tschunk_iter_t *it, int64_t *ts, double *v);
/* Decodes every sample into ts[] and v[] (count entries each). */
void tschunk_decode(const tschunk_t *c, int64_t *ts, double *v);
size_t tschunk_mem(const tschunk_t *c);

/* What to do when a sample's timestamp is already present. */
typedef enum {
    TS_DUP_NONE = 0, /* unset: the server default (BLOCK) applies */
    TS_DUP_BLOCK,
    TS_DUP_FIRST,
    TS_DUP_LAST,
    TS_DUP_MIN,
    TS_DUP_MAX,
    TS_DUP_SUM,
} ts_dup_policy_t;

/* Name as RedisTimeSeries spells it in TS.INFO ("block", "last"...); NULL for NONE. */
const char *ts_dup_policy_name(ts_dup_policy_t p);
/* Parses a policy name, case-insensitively; -1 when unknown. */
int ts_dup_policy_parse(const char *p, size_t len);

typedef struct tseries {
    tschunk_t **chunks;
    uint32_t n, cap;
    uint32_t chunk_size; /* bytes per chunk for new chunks */
    uint8_t compressed;
    uint64_t total; /* samples */
} tseries_t;

enum { TSU_ADDED = 0, TSU_UPDATED = 1, TSU_IGNORED = 2, TSU_BLOCKED = -1 };

void tseries_init(tseries_t *s, int compressed, uint32_t chunk_size);
void tseries_free(tseries_t *s);
/* Adds or updates the sample at ts; on a duplicate the policy decides (BLOCK refuses it,
 * FIRST keeps the old value, LAST replaces it, MIN/MAX keep the smaller/larger, SUM adds).
 * *stored gets the value now held at ts. Returns a TSU_* code. */
int tseries_upsert(tseries_t *s, int64_t ts, double v, ts_dup_policy_t policy, double *stored);
/* Removes the samples with from <= ts <= to; returns how many. */
uint64_t tseries_del(tseries_t *s, int64_t from, int64_t to);
/* Drops the whole chunks whose samples are all older than cutoff (retention). */
void tseries_trim(tseries_t *s, int64_t cutoff);
/* The newest sample; 0 when the series is empty. */
int tseries_last(const tseries_t *s, int64_t *ts, double *v);
int tseries_first(const tseries_t *s, int64_t *ts);
/* Calls fn for each sample with from <= ts <= to, ascending (rev 0) or descending, until fn
 * returns non-zero. */
typedef int tseries_visit_fn(void *ctx, int64_t ts, double v);
void tseries_range(const tseries_t *s, int64_t from, int64_t to, int rev, tseries_visit_fn *fn,
                   void *ctx);
/* Changes the chunk size for chunks created from now on. */
void tseries_set_chunk_size(tseries_t *s, uint32_t chunk_size);
size_t tseries_mem(const tseries_t *s);
#endif
