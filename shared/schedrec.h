/* Records the engine hands the scheduler (DESIGN.md §7), shared by both sides:
 *   - a webhook delivery (one record of the STREAM_WEBHOOKS outbox): what happened to which
 *     key, and where to POST it;
 *   - the cron job table (the reply of the internal VOLE.CRON-JOBS command).
 * Little-endian integers, u32-length-prefixed byte strings; decoders check every length
 * against what is left and never trust the input. */
#ifndef VOLE_SCHEDREC_H
#define VOLE_SCHEDREC_H
#include <stddef.h>
#include <stdint.h>

#include "shared/buf.h"

typedef struct {
    const char *p;
    size_t len;
} srec_str_t;

/* ---- webhook deliveries ---- */
typedef struct {
    srec_str_t url, secret, event, key, node; /* secret.len 0: unsigned */
    int64_t ts_ms;                            /* when the event happened (unix ms) */
    uint32_t db;
} whrec_t;
void whrec_encode(buf_t *b, const whrec_t *r);
/* Fields point into p; returns 0, or -1 when malformed. */
int whrec_decode(const char *p, size_t len, whrec_t *r);

/* ---- the cron table: u64 version, u32 count, then per job:
 * name, expr, i64 created_ms, i64 last_run_ms, u64 run_req, u64 run_done, u32 argc, args ---- */
typedef struct {
    const char *data;
    size_t len, pos;
} srec_reader_t;
void srec_put_str(buf_t *b, const void *p, size_t len);
int srec_get_u32(srec_reader_t *r, uint32_t *v);
int srec_get_u64(srec_reader_t *r, uint64_t *v);
int srec_get_str(srec_reader_t *r, srec_str_t *s);
#endif
