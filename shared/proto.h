/* The one definition of every message exchanged between Vole's processes over ZeroMQ, and
 * its codec. Every message is a single ZeroMQ frame (plus the ROUTER routing-id frame on the
 * engine side) starting with a fixed header; integers are little-endian, no pointers or raw
 * structs cross the wire. Receivers validate everything and drop malformed messages.
 *
 * Hot path (DESIGN.md §3): a frontend packs every complete command it read in one loop
 * iteration, from all its connections, into one CMD_BATCH. The engine answers each CMD_BATCH
 * with exactly one REPLY_BATCH (possibly with no records) holding already-encoded RESP, in the
 * order the commands were executed. Replies that are not answers to a batch (pub/sub
 * messages, unblocked clients, kills) come as PUSH messages, on the same socket pair so their
 * order relative to replies holds; they do not count against the frontend's batches in flight.
 */
#ifndef VOLE_PROTO_H
#define VOLE_PROTO_H
#include <stddef.h>
#include <stdint.h>

#include "shared/buf.h"

#define PROTO_MAGIC 0x564fu /* "OV" little-endian: rejects foreign frames */
#define PROTO_VERSION 1
#define PROTO_HEADER_SIZE 12

/* Message types. */
enum {
    MSG_FE_HELLO = 1,    /* frontend -> engine: role name, instance; first message after connect */
    MSG_CMD_BATCH = 2,   /* frontend -> engine: records of kind REC_* below */
    MSG_REPLY_BATCH = 3, /* engine -> frontend: reply records, answers one CMD_BATCH */
    MSG_PUSH = 4,        /* engine -> frontend: reply records not tied to a batch */
    MSG_CONFIG = 5,      /* engine -> frontend: settings frontends enforce (name, value) */
    /* Streams (the effect stream, the webhook outbox...): a consumer (persister, replicator,
     * scheduler) says FE_HELLO with its role like a frontend, then subscribes. The engine
     * sends DATA while the consumer's unacknowledged bytes stay under a window (credit flow
     * control); ACK returns credit and tells the engine what is done. */
    MSG_STREAM_SUB = 6,  /* consumer -> engine: u8 stream, u64 from (first seq wanted; 0 = only
                            what comes next), u64 unused */
    MSG_STREAM_DATA = 7, /* engine -> consumer: u8 stream, count x (u64 seq, u32 len, bytes) */
    MSG_STREAM_ACK = 8,  /* consumer -> engine: u8 stream, u64 seq (everything <= seq is done),
                            u64 flags (STREAM_ACK_F_*) */
    MSG_STREAM_GAP = 9,  /* engine -> consumer: u8 stream, u64 oldest seq still kept, u64 last:
                            the requested start is no longer in the backlog */
    MSG_ENGINE_STATE = 10, /* engine -> consumer after its hello: u8 stream 0, u64 last seq,
                              u64 flags (ENGINE_F_*), then 40 bytes run id */
    MSG_LOAD = 11,       /* persister -> engine: u8 kind (LOAD_*), then per kind (below) */
    MSG_LOAD_ACK = 12,   /* engine -> persister: u8 ok, u64 last seq applied, u64 unused,
                            then the error text when not ok */
    MSG_SNAPSHOT_DONE = 13, /* engine -> persister: u8 kind (SNAP_*), u64 seq, u64 ok, then
                               the file path (ok) or the error text */
    MSG_PERSIST_STATE = 14, /* persister -> engine: u8 ok, u64 unused x2, then the error text:
                               writes are refused with -MISCONF while not ok */
    MSG_SNAPSHOT_REQ = 15,  /* persister -> engine: u8 kind (SNAP_AOF_BASE): take a snapshot
                               into the path given as tail bytes */
    MSG_PERSIST_INFO = 16,  /* persister -> engine: u8 0, u64 AOF size (base + segments), u64
                               base size: for INFO persistence (sent when they changed, at most
                               once a second, and at once after a new base) */
};
/* Snapshot kinds: the user's snapshot file (SAVE/BGSAVE/save rules), or a new AOF base
 * (BGREWRITEAOF, the persister fell behind, the AOF grew). */
enum { SNAP_FILE = 1, SNAP_AOF_BASE = 2 };

/* Stream ids. */
enum { STREAM_EFFECTS = 1, STREAM_WEBHOOKS = 2, STREAM_MAX = 8 };
enum { STREAM_ACK_F_DURABLE = 1 }; /* the persister: everything <= seq is fsynced */
enum { ENGINE_F_LOADED = 1, ENGINE_F_WANTS_LOAD = 2, ENGINE_F_FSYNC_ALWAYS = 4 };
/* MSG_LOAD kinds: SNAPSHOT (u16 len, path: the engine reads the file itself), UNITS (count x
 * (u64 seq, u32 len, effect unit), as STREAM_DATA), DONE (u64 last seq: loading is over),
 * FAIL (text: loading cannot go on; the engine stays in the loading state). */
enum { LOAD_SNAPSHOT = 1, LOAD_UNITS = 2, LOAD_DONE = 3, LOAD_FAIL = 4 };

/* Record kinds inside a CMD_BATCH. Opening and closing a connection travel in the batch so
 * they are ordered with the commands of that connection. */
enum {
    REC_CMD = 1,        /* u32 argc, argc x (u32 len, bytes) */
    REC_OPEN = 2,       /* u16 len addr, u16 len laddr, u8 flags (CONN_F_*) */
    REC_CLOSE = 3,      /* nothing: the connection is gone, forget the client */
    REC_ERR_CLOSE = 4,  /* u32 len, bytes: a reply the frontend wants echoed in order, then close */
};

/* Connection flags in REC_OPEN. */
enum { CONN_F_TLS = 1, CONN_F_UNIX = 2, CONN_F_HTTP = 4 };

/* Reply record flags. */
enum {
    REPLY_F_CLOSE = 1, /* close the connection after writing this record */
    REPLY_F_PUBSUB = 2, /* the client has subscriptions: the pub/sub output limit applies */
};

/* Header: u16 magic, u8 version, u8 type, u32 count (records), u32 seq. A frontend numbers
 * its CMD_BATCHes in seq and the engine echoes the number in the REPLY_BATCH that answers
 * it, so a frontend can ignore answers to batches sent before an engine restart. */
typedef struct {
    uint8_t type;
    uint32_t count;
    uint32_t seq;
} proto_header_t;

/* Parses the header; returns 0, or -1 with a reason for a malformed/foreign frame. */
int proto_header_parse(const void *data, size_t len, proto_header_t *h, const char **why);
/* Starts a message in b (cleared first); records are appended with the functions below and
 * proto_finish() stores the record count. */
void proto_begin(buf_t *b, uint8_t type);
void proto_finish(buf_t *b, uint32_t count);
void proto_set_seq(buf_t *b, uint32_t seq);

/* --- FE_HELLO: u16 len role, u16 len instance --- */
void proto_put_hello(buf_t *b, const char *role, const char *instance);
int proto_get_hello(const void *data, size_t len, char *role, size_t rolecap, char *inst,
                    size_t instcap);

/* --- CONFIG: records of u16 len name, u16 len value (decimal text) --- */
void proto_put_config(buf_t *b, const char *name, const char *value);
/* Returns 1 with the next setting (NUL-terminated copies), 0 at the end, -1 if malformed.
 * *pos starts at PROTO_HEADER_SIZE. */
int proto_config_next(const void *data, size_t len, size_t *pos, char *name, size_t namecap,
                      char *value, size_t valcap);

/* --- CMD_BATCH encoding (frontend) --- */
void proto_put_cmd_start(buf_t *b, uint32_t client, uint32_t argc);
void proto_put_arg(buf_t *b, const void *p, uint32_t len);
void proto_put_open(buf_t *b, uint32_t client, const char *addr, const char *laddr, uint8_t flags);
void proto_put_close(buf_t *b, uint32_t client);
void proto_put_err_close(buf_t *b, uint32_t client, const char *reply, uint32_t len);

/* --- CMD_BATCH decoding (engine) ---
 * Decodes a whole batch in one pass, validating it; on success the record array and the
 * argument array point into the message, which must outlive them. */
typedef struct {
    const char *ptr;
    size_t len;
} proto_arg_t;

typedef struct {
    uint8_t kind;
    uint32_t client;
    uint32_t argc;   /* REC_CMD */
    uint32_t arg0;   /* REC_CMD: index of the first argument in the batch's argument array */
    const char *s1;  /* REC_OPEN: addr; REC_ERR_CLOSE: reply bytes */
    size_t s1len;
    const char *s2;  /* REC_OPEN: laddr */
    size_t s2len;
    uint8_t flags;   /* REC_OPEN */
} proto_rec_t;

typedef struct {
    proto_rec_t *recs;
    size_t nrecs, recs_cap;
    proto_arg_t *args;
    size_t nargs, args_cap;
} proto_batch_t;

void proto_batch_init(proto_batch_t *pb);
void proto_batch_free(proto_batch_t *pb);
/* Returns 0, or -1 with a reason when the message is malformed (nothing is half-decoded). */
int proto_batch_decode(proto_batch_t *pb, const void *data, size_t len, const char **why);

/* --- REPLY_BATCH / PUSH: records of u32 client, u8 flags, u32 len, bytes --- */
/* Starts a reply record and returns the offset of its length field for proto_reply_end(). */
size_t proto_reply_begin(buf_t *b, uint32_t client, uint8_t flags);
void proto_reply_end(buf_t *b, size_t lenpos);

typedef struct {
    const char *data;
    size_t len, pos;
    uint32_t left;
} proto_reply_iter_t;

/* Prepares iteration over a REPLY_BATCH/PUSH body; returns -1 on a bad header. */
int proto_reply_iter_init(proto_reply_iter_t *it, const void *data, size_t len,
                          proto_header_t *h, const char **why);
/* Returns 1 with the next record, 0 at the end, -1 when the message is malformed. */
int proto_reply_next(proto_reply_iter_t *it, uint32_t *client, uint8_t *flags, const char **p,
                     size_t *len);

/* --- stream control messages (SUB, ACK, GAP, ENGINE_STATE, LOAD_ACK, SNAPSHOT_DONE):
 * u8 byte, u64 a, u64 b, then optional trailing bytes --- */
void proto_put_ctl(buf_t *b, uint8_t type, uint8_t byte, uint64_t a, uint64_t c, const void *tail,
                   size_t taillen);
/* Returns 0 (tail/taillen may be NULL), or -1 when the message is too short. */
int proto_get_ctl(const void *data, size_t len, uint8_t *byte, uint64_t *a, uint64_t *c,
                  const char **tail, size_t *taillen);

/* --- sequence-numbered records (STREAM_DATA, LOAD UNITS): after a u8 (stream or kind) --- */
void proto_put_seqrec(buf_t *b, uint64_t seq, const void *p, uint32_t len);
typedef struct {
    const char *data;
    size_t len, pos;
    uint32_t left;
} proto_seqrec_iter_t;
/* Starts at the first record (after the header and the u8); -1 when the header is bad. */
int proto_seqrec_iter_init(proto_seqrec_iter_t *it, const void *data, size_t len, uint8_t *byte);
/* Returns 1 with the next record, 0 at the end, -1 when malformed. */
int proto_seqrec_next(proto_seqrec_iter_t *it, uint64_t *seq, const char **p, size_t *plen);
#endif
