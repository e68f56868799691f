/* The stream type's API: entries (ID -> field/value pairs) kept in an ID-ordered map
 * (engine/ds/idmap.h), the listpack node layout Redis 7.0 would have modelled alongside (so
 * approximate trimming with `~` and XINFO's radix-tree figures match), and consumer groups
 * with their pending entries lists. Users: the X* commands, the blocking module (XREAD and
 * XREADGROUP with BLOCK), later snapshots and replication. */
#ifndef VOLE_T_STREAM_H
#define VOLE_T_STREAM_H
#include <stddef.h>
#include <stdint.h>

#include "engine/ds/idmap.h"
#include "engine/engine.h"

typedef idm_id_t stream_id_t;

typedef struct stream_node stream_node_t; /* one modelled listpack node */
typedef struct stream_cg stream_cg_t;
typedef struct stream_consumer stream_consumer_t;

/* One pending entry: shared by the group's PEL and its consumer's PEL. */
typedef struct stream_nack {
    int64_t delivery_time; /* unix ms */
    uint64_t delivery_count;
    stream_consumer_t *consumer;
} stream_nack_t;

struct stream_consumer {
    vstr_t *name;
    int64_t seen_time;
    idmap_t *pel; /* ID -> stream_nack_t* (owned by the group's PEL) */
};

#define STREAM_ENTRIES_READ_INVALID (-1LL)

struct stream_cg {
    vstr_t *name;
    stream_id_t last_id;
    long long entries_read; /* STREAM_ENTRIES_READ_INVALID when unknown */
    idmap_t *pel;           /* ID -> stream_nack_t* (owned) */
    stream_consumer_t **consumers; /* sorted by name as Redis's rax orders them */
    size_t nconsumers, capconsumers;
};

typedef struct stream {
    idmap_t *entries; /* ID -> stream_entry (opaque) */
    stream_node_t *head, *tail;
    uint64_t nnodes;
    stream_id_t last_id, max_deleted_id;
    uint64_t entries_added;
    stream_cg_t **groups; /* sorted by name */
    size_t ngroups, capgroups;
} stream_t;

/* ---------- objects ---------- */

vobj_t *stream_type_create(void);
vobj_t *stream_type_dup(const vobj_t *o); /* entries, node layout and groups */
size_t stream_type_mem(const vobj_t *o);
static inline stream_t *stream_of(const vobj_t *o) { return o->v.p; }
static inline uint64_t stream_length(const stream_t *s) { return idm_len(s->entries); }
/* The first entry's ID, 0-0 when empty. */
stream_id_t stream_first_id(const stream_t *s);
/* The last entry's ID (not last_id, which survives deletions), 0-0 when empty. */
stream_id_t stream_last_valid_id(const stream_t *s);

/* ---------- entries ---------- */

/* Appends an entry of nfields field/value pairs (args[2i], args[2i+1]). use_id NULL: the
 * next time-based ID; else *use_id, with seq_given 0 meaning "ms-*". Returns 0 and the ID,
 * -1 when the ID is not greater than the top item, -2 when "ms-*" has no sequence left. */
int stream_append(stream_t *s, const proto_arg_t *args, int nfields, const stream_id_t *use_id,
                  int seq_given, int64_t now_ms, stream_id_t *out);
/* Deletes one entry (XDEL semantics, updates max-deleted-entry-id); 1 when it existed. */
int stream_delete(stream_t *s, stream_id_t id);
int stream_entry_exists(const stream_t *s, stream_id_t id);

enum { STREAM_TRIM_NONE = 0, STREAM_TRIM_MAXLEN, STREAM_TRIM_MINID };
/* Trims like Redis's streamTrim (whole nodes first; approx stops at a node boundary; limit
 * bounds the entries removed, 0 = none). Returns the number of entries removed. */
int64_t stream_trim(stream_t *s, int strategy, long long maxlen, stream_id_t minid, int approx,
                    long long limit);

/* ---------- replies (shared with the blocking module) ---------- */

void stream_reply_id(client_t *c, stream_id_t id);
/* Replies [[id, [f, v, ...]], ...] for start..end, count (0 = all), in reverse when rev. */
size_t stream_reply_range(client_t *c, stream_t *s, stream_id_t start, stream_id_t end,
                          size_t count, int rev);
/* XREAD's per-key reply part for entries after `after` (exclusive), count (0 = all): the key
 * then its entries; the caller has emitted the 2-array (RESP2) or counts a map pair (RESP3).
 * 1 when there was something to serve (nothing is replied otherwise). */
int stream_serve_read(client_t *c, stream_t *s, const char *key, size_t klen, stream_id_t after,
                      size_t count);
/* 1 when XREAD from `after` would return something now. */
int stream_has_after(const stream_t *s, stream_id_t after);
/* XREADGROUP's per-key part for ">" (new entries for the group) or a history ID: creates
 * the consumer, updates the PELs and the group's last ID, replies key then entries. Returns
 * 1 when it replied, 0 when ">" had nothing new (nothing replied). Counts dirty. */
int stream_serve_group(client_t *c, stream_t *s, const char *key, size_t klen, stream_cg_t *cg,
                       const char *consumer, size_t clen, int history, stream_id_t from,
                       size_t count, int noack);
stream_cg_t *stream_lookup_group(const stream_t *s, const char *name, size_t len);

/* A parsed XREAD / XREADGROUP that found nothing to serve and asked to BLOCK: the blocking
 * module takes it (argv stays valid during the call only). ids[i] is the exclusive start for
 * key i; for XREADGROUP with ">" it is UINT64_MAX-UINT64_MAX. timeout_ms is absolute unix ms,
 * 0 = forever. */
typedef struct stream_read_req {
    int nkeys;
    const proto_arg_t *keys;
    const stream_id_t *ids;
    long long count; /* 0 = no COUNT */
    int64_t timeout_ms;
    const proto_arg_t *group, *consumer; /* NULL for XREAD */
    int noack;
} stream_read_req_t;
/* Set by the blocking module; when NULL a BLOCK that cannot be served replies as a timeout. The
 * hook blocks c (and must not reply). */
extern void (*stream_block_hook)(client_t *c, const stream_read_req_t *req);
/* stream-node-max-bytes / stream-node-max-entries (0 = no limit): where XADD starts a new
 * node, and the default LIMIT of an approximate trim. */
void stream_set_node_limits(long long max_bytes, long long max_entries);

#endif
