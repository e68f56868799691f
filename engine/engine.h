/* The engine's shared types and the API command handlers use: clients, replies, the
 * keyspace, objects and the command table. The engine is single-threaded; every function
 * here runs on its one loop. */
#ifndef VOLE_ENGINE_H
#define VOLE_ENGINE_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/ds/dict.h"
#include "shared/buf.h"
#include "shared/proto.h"

typedef struct engine engine_t;
typedef struct client client_t;
typedef struct command command_t;

/* ===================== strings and objects ===================== */

/* Length-prefixed, NUL-terminated byte string used for keys and string values. */
typedef struct vstr {
    size_t len;
    char ptr[];
} vstr_t;

vstr_t *vstr_new(const char *p, size_t len);
vstr_t *vstr_empty(size_t len); /* len zero bytes */
/* Returns s grown to at least len bytes (new bytes zeroed); s may move. */
vstr_t *vstr_grow_zero(vstr_t *s, size_t len);
vstr_t *vstr_cat(vstr_t *s, const char *p, size_t len);
void vstr_free(vstr_t *s);
/* dict callbacks for vstr_t keys (keyspace, hash fields, set members, channels...) */
uint64_t vstr_dict_hash(const void *k);
int vstr_dict_eq(const void *a, const void *b);
void vstr_dict_free(void *p);

enum { OBJ_STRING = 0, OBJ_LIST = 1, OBJ_SET = 2, OBJ_ZSET = 3, OBJ_HASH = 4, OBJ_STREAM = 6,
       /* Vole's own types (numbers are part of the snapshot format: never reuse one) */
       OBJ_TS = 8, OBJ_JSON = 9, OBJ_QUEUE = 10, OBJ_RATELIMIT = 11,
       OBJ_TYPE_MAX = 16 };
/* Encodings, named as Redis names them in OBJECT ENCODING. */
enum { ENC_RAW = 0, ENC_INT = 1, ENC_HT = 2, ENC_EMBSTR = 8, ENC_LISTPACK = 11,
       ENC_QUICKLIST = 9, ENC_INTSET = 6, ENC_SKIPLIST = 7, ENC_STREAM = 10 };

typedef struct vobj {
    uint8_t type;
    uint8_t enc;
    uint32_t lru; /* access clock in seconds (LRU) for OBJECT IDLETIME */
    union {
        long long i; /* ENC_INT strings */
        vstr_t *s;   /* ENC_RAW / ENC_EMBSTR strings */
        void *p;     /* other types */
    } v;
} vobj_t;

struct snap_writer;
struct snap_reader;
struct db;
/* Per-type behaviour so later types plug in without touching the keyspace code. */
typedef struct obj_type {
    const char *name;   /* TYPE reply: "string", "list", ... */
    void (*free)(vobj_t *o); /* frees o's payload (not o itself), by o->enc */
    vobj_t *(*dup)(const vobj_t *o); /* COPY */
    size_t (*mem)(const vobj_t *o);  /* MEMORY USAGE estimate */
    /* Snapshot (engine/snapshot.h): writes o's payload; reads one back, choosing the
     * encoding as the current settings would. load returns NULL on malformed input (the
     * reader then holds the reason); it must never trust lengths or counts it reads. */
    void (*save)(const vobj_t *o, struct snap_writer *w);
    vobj_t *(*load)(engine_t *e, struct snap_reader *r);
    /* Optional, for types that keep a per-database index of their keys (time-series labels):
     * told when o starts (on = 1) or stops (on = 0) being the value of key in db. The keyspace
     * calls it from db_add/db_set/db_overwrite/db_delete/db_take, so deletes, renames, moves,
     * expiry and eviction are all covered. */
    void (*linked)(engine_t *e, struct db *db, const char *key, size_t len, vobj_t *o, int on);
    /* Optional: every key of db was dropped at once (FLUSHDB/FLUSHALL, engine shutdown). */
    void (*db_emptied)(engine_t *e, struct db *db);
} obj_type_t;
extern const obj_type_t *obj_types[OBJ_TYPE_MAX];
void obj_register_type(int type, const obj_type_t *t);

/* A string object from bytes, encoded as Redis would for SET: int when the bytes are a
 * canonical integer of at most 20 chars, embstr up to 44 bytes, else raw. */
vobj_t *obj_string(const char *p, size_t len);
vobj_t *obj_string_raw(const char *p, size_t len); /* always raw (APPEND, SETRANGE) */
vobj_t *obj_string_ll(long long v);                  /* int encoding */
vobj_t *obj_string_from_vstr(vstr_t *s);             /* takes ownership; raw */
void obj_free(vobj_t *o);
vobj_t *obj_dup(const vobj_t *o);
/* Bytes of a string object; tmp (>= 24 bytes) holds the digits of an int-encoded one. */
const char *obj_str(const vobj_t *o, char *tmp, size_t *len);
size_t obj_strlen(const vobj_t *o);
/* Converts an int/embstr string object to a modifiable raw one (APPEND, SETRANGE). */
void obj_make_raw(vobj_t *o);
const char *obj_encoding_name(const vobj_t *o);

/* ===================== keyspace ===================== */

typedef struct db {
    int id;
    char *name; /* a namespace's name; NULL for the numbered databases */
    dict_t *keys;    /* vstr_t* -> vobj_t* */
    dict_t *expires; /* same vstr_t* key as in keys -> s64 unix ms */
    long long avg_ttl;
    uint64_t expires_cursor;
    dict_t *ts_index; /* time-series label index (engine/types/t_ts.c), NULL until used */
} db_t;

/* Lookup for reading: expires the key if due, counts keyspace hits/misses, updates LRU. */
vobj_t *db_lookup_read(engine_t *e, db_t *db, const char *key, size_t len);
/* Lookup for writing: expires the key if due, no hit/miss accounting. */
vobj_t *db_lookup_write(engine_t *e, db_t *db, const char *key, size_t len);
/* Lookup without side effects (no expiry, no stats): existence checks inside commands. */
vobj_t *db_peek(db_t *db, const char *key, size_t len);
/* Adds a key that must not exist (the value is owned by the db afterwards). */
void db_add(engine_t *e, db_t *db, const char *key, size_t len, vobj_t *val);
/* Replaces the value of an existing key (the old one is freed); the TTL is kept. */
void db_overwrite(engine_t *e, db_t *db, const char *key, size_t len, vobj_t *val);
/* SET semantics: add or overwrite; removes the TTL unless keepttl. */
void db_set(engine_t *e, db_t *db, const char *key, size_t len, vobj_t *val, int keepttl);
/* Removes a key and its TTL; returns 1 if it existed. */
int db_delete(engine_t *e, db_t *db, const char *key, size_t len);
/* Detaches the value of a key (removing the key and its TTL) without freeing the value. */
vobj_t *db_take(engine_t *e, db_t *db, const char *key, size_t len);
/* TTL handling: absolute unix time in ms; -1 from db_get_expire means no TTL. */
void db_set_expire(engine_t *e, db_t *db, const char *key, size_t len, int64_t when_ms);
int64_t db_get_expire(db_t *db, const char *key, size_t len);
int db_remove_expire(db_t *db, const char *key, size_t len);
/* Deletes the key if its TTL passed; returns 1 when it was expired. */
int db_expire_if_needed(engine_t *e, db_t *db, const char *key, size_t len);
/* Empties one database (or all with dbid -1); returns the number of keys removed. */
long long db_flush(engine_t *e, int dbid);
/* Active expiry cycle: samples keys with a TTL for up to budget_us. */
void db_active_expire(engine_t *e, int64_t budget_us);
db_t *db_get(engine_t *e, int id); /* NULL when out of range */
/* Tells the types that keep per-database indexes that db lost all its keys at once (db_flush
 * calls it; so must anything else that empties or frees a database's dicts directly). */
void db_emptied_notify(engine_t *e, db_t *db);

/* Hooks every write ends with (WATCH, client tracking, keyspace events and the effect
 * stream attach here as they arrive). */
void signal_modified_key(engine_t *e, db_t *db, const char *key, size_t len);
/* Every key of a database may have changed (FLUSHDB, FLUSHALL with -1, each side of
 * SWAPDB). */
void signal_flushed_db(engine_t *e, int dbid);
/* type is one of NOTIFY_* classes; event is Redis's event name ("set", "del", ...). */
void notify_keyspace_event(engine_t *e, int type, const char *event, const char *key,
                           size_t keylen, int dbid);
enum { NOTIFY_GENERIC = 1 << 2, NOTIFY_STRING = 1 << 3, NOTIFY_LIST = 1 << 4, NOTIFY_SET = 1 << 5,
       NOTIFY_HASH = 1 << 6, NOTIFY_ZSET = 1 << 7, NOTIFY_EXPIRED = 1 << 8,
       NOTIFY_EVICTED = 1 << 9, NOTIFY_STREAM = 1 << 10, NOTIFY_KEY_MISS = 1 << 11,
       NOTIFY_NEW = 1 << 14 };

/* ===================== clients ===================== */

typedef struct frontend {
    char routing_id[64];
    size_t routing_len;
    char role[32], instance[64];
    dict_t *clients; /* frontend-local id (as uint64 key in v.s64) -> client_t* */
    buf_t out;       /* reply records being built for this frontend */
    uint32_t out_count;
    client_t *out_client; /* client whose record is open in out, or NULL */
    client_t **pushing;   /* clients with bytes waiting in their push buffer */
    size_t npushing, pushing_cap;
    size_t out_lenpos;
    int answering; /* a CMD_BATCH from this frontend is being executed */
    int internal;  /* the engine's own (the loader): nothing is ever sent to it */
    int hidden;    /* its clients are Vole's own (loader, scheduler): not listed by CLIENT
                      LIST, not killed by CLIENT KILL, not counted, not shown to MONITOR */
    int gone;      /* a send found it disconnected: dropped at the end of the loop turn */
    /* appendfsync always: reply messages held until the persister has fsynced the effects
     * they acknowledge (engine.c) */
    struct parked_msg *parked_head, *parked_tail;
    struct frontend *next;
} frontend_t;

enum {
    CLIENT_CLOSE_AFTER_REPLY = 1 << 0,
    CLIENT_CLOSED = 1 << 1, /* the frontend reported the connection closed */
    CLIENT_KILLED = 1 << 2, /* killed: commands still in flight from it are dropped */
    CLIENT_NO_EVICT = 1 << 3, /* CLIENT NO-EVICT on */
    CLIENT_MULTI = 1 << 4,    /* between MULTI and EXEC/DISCARD */
    CLIENT_PUBSUB = 1 << 5,   /* has subscriptions (RESP2: subscribed mode) */
    CLIENT_BLOCKED = 1 << 6,  /* waiting in a blocking command */
    CLIENT_AUTHED = 1 << 7,   /* authenticated (or no password was required when it came) */
};

struct client {
    uint64_t id; /* CLIENT ID: engine-wide, never reused */
    engine_t *eng;
    frontend_t *fe;
    uint32_t fe_id; /* the frontend's own id for this connection */
    db_t *db;
    int resp; /* 2 or 3 */
    vstr_t *name;
    char addr[64], laddr[64];
    uint8_t conn_flags; /* CONN_F_* from the open record */
    uint32_t flags;     /* CLIENT_* */
    int64_t ctime_ms, last_ms;
    /* the command being executed: arguments point into the batch message */
    int argc;
    const proto_arg_t *argv;
    const command_t *cmd, *lastcmd;
    char lib_name[64], lib_ver[64];
    /* pub/sub messages gathered during a batch, sent as one record per client (see
     * reply_push_raw); flushed before any other reply to the client, so order holds */
    buf_t pushbuf;
    /* state private to the transaction, pub/sub and blocking modules (NULL when unused) */
    void *multi, *pubsub, *block;
};

/* ===================== replies =====================
 * Every reply function appends already-encoded RESP for c's protocol to the frontend's
 * outgoing message, so replies leave in the order commands ran. */
void reply_raw(client_t *c, const char *p, size_t len); /* pre-encoded protocol */
/* Pre-encoded bytes for a client that is not the one running the command (PUBLISH fan-out):
 * gathered per client and sent as one record when the message leaves, instead of one
 * record per message per subscriber. */
void reply_push_raw(client_t *c, const char *p, size_t len);
/* Moves every gathered push into fe's outgoing message (before it is sent). */
void reply_flush_pushes(frontend_t *fe);
void reply_ok(client_t *c);
void reply_simple(client_t *c, const char *s);
/* msg as Redis's addReplyError: "-CODE text" is sent as is, anything else gets "-ERR ". */
void reply_error(client_t *c, const char *msg);
void reply_errorf(client_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_int(client_t *c, long long v);
void reply_bulk(client_t *c, const char *p, size_t len);
void reply_bulk_cstr(client_t *c, const char *s);
void reply_bulk_ll(client_t *c, long long v);
void reply_bulk_obj(client_t *c, const vobj_t *o); /* a string object */
void reply_null(client_t *c);                      /* nil bulk: $-1 / _ */
void reply_null_array(client_t *c);                /* nil array: *-1 / _ */
void reply_array(client_t *c, long long n);
void reply_map(client_t *c, long long npairs);
void reply_set(client_t *c, long long n);
/* A push frame header (RESP3 ">n", RESP2 "*n"): pub/sub messages and confirmations. */
void reply_push(client_t *c, long long n);
void reply_double(client_t *c, double d);
void reply_bool(client_t *c, int v);
void reply_verbatim(client_t *c, const char *p, size_t len, const char *ext3);
void reply_help(client_t *c, const char **lines); /* NULL-terminated; Redis's HELP layout */
void reply_subcommand_syntax_error(client_t *c);
/* Makes the frontend close c's connection after the bytes replied so far. */
void reply_mark_close(client_t *c);
/* Disconnects target (CLIENT KILL): its frontend closes it, later commands are dropped. */
void client_kill(engine_t *e, client_t *target);
/* Client names (CLIENT SETNAME, HELLO SETNAME): no spaces, newlines or control bytes. */
int client_name_is_valid(const char *p, size_t len);
void client_set_name(client_t *c, const char *p, size_t len);
/* Closes clients idle longer than the `timeout` setting (called from the cron). */
void clients_close_idle(engine_t *e);
/* Settings held by cmd_config.c that other parts read. */
int config_notify_keyspace_events(void);
/* Sets the classes at start-up (the notify-keyspace-events flag); -1 when invalid. */
int config_init_notify_keyspace_events(const char *classes);
long long config_client_timeout(void);
/* Save rules, canonical "secs changes ..." ("" = none); set at start-up from the settings. */
const char *config_save_rules(void);
void config_init_aof(int on, const char *appendfsync, const char *filename, const char *dirname,
                     int rewrite_perc, long long rewrite_min);
/* The persister's settings as set now (CONFIG SET may change them at run time). */
const char *config_appendfsync(void);
int config_appendonly(void);
/* Remembers the settings file (for CONFIG REWRITE) and every setting's start-up value; call
 * once the engine's settings are all in place. */
void config_init_rewrite(engine_t *e, const char *config_file);
/* Applies the settings only the engine has, given in the file or as flags ("name value\n"
 * lines); 0, or -1 with the reason. */
int config_apply_startup(engine_t *e, const char *lines, char *err, size_t errlen);
void config_aof_rewrite(long long *perc, long long *min_size);
/* Whether replies wait for the fsync (appendfsync always); held replies go at once when not. */
void engine_set_fsync_always(engine_t *e, int always);
/* Sends the persister's run-time settings to every persister (also done when one connects, so
 * a restarted persister follows them rather than its command line). */
void engine_send_persister_config(engine_t *e);
/* appendonly turned on (the persister makes a new base, then takes the effects after it) or
 * off (the persister stops writing; its effect subscription ends) at run time. */
void engine_set_appendonly(engine_t *e, int on);
/* client-output-buffer-limit: the pubsub and normal classes' hard and soft limits (bytes,
 * 0 = none) and soft seconds, which the frontends enforce; set at start-up from the settings
 * (-1 when invalid). */
void config_pubsub_output_limits(long long *hard, long long *soft, long long *secs);
void config_normal_output_limits(long long *hard, long long *soft, long long *secs);
int config_init_client_output_buffer_limit(const char *v);
/* requirepass: the default user's password ("" = none); set at start-up from the settings. */
const char *config_requirepass(void);
void config_init_requirepass(const char *v);
/* AUTH/HELLO AUTH: checks user and password against the default user; 1 when they match. */
int auth_check(const proto_arg_t *user, const proto_arg_t *pass);
int config_init_save(const char *rules);
/* Deferred array length: returns a handle, then set_deferred_len(c, h, n). */
size_t reply_deferred_len(client_t *c);
void reply_set_deferred_len(client_t *c, size_t handle, long long n);
void reply_set_deferred_map_len(client_t *c, size_t handle, long long npairs);

/* Standard Redis error texts. */
#define ERR_WRONGTYPE "-WRONGTYPE Operation against a key holding the wrong kind of value"
#define ERR_SYNTAX "-ERR syntax error"
#define ERR_NOT_INT "-ERR value is not an integer or out of range"
#define ERR_NOT_FLOAT "-ERR value is not a valid float"
#define ERR_NO_KEY "-ERR no such key"
#define ERR_OUT_OF_RANGE "-ERR index out of range"
#define ERR_DB_INDEX "-ERR DB index is out of range"
#define ERR_OVERFLOW "-ERR increment or decrement would overflow"

/* Argument helpers. All *_or_reply functions reply on failure and return -1 (the caller just
 * returns); 0 on success. */
int arg_is(const proto_arg_t *a, const char *lit); /* case-insensitive equality */
int arg_ll_or_reply(client_t *c, const proto_arg_t *a, long long *out, const char *err);
int arg_ld_or_reply(client_t *c, const proto_arg_t *a, long double *out, const char *err);
int arg_double_or_reply(client_t *c, const proto_arg_t *a, double *out, const char *err);
int arg_range_or_reply(client_t *c, const proto_arg_t *a, long long min, long long max,
                       long long *out, const char *err);
int arg_positive_or_reply(client_t *c, const proto_arg_t *a, long long *out, const char *err);
/* SCAN, SSCAN, HSCAN, ZSCAN: the cursor ("invalid cursor" as Redis) and the options from
 * argv[first] on (COUNT >= 1, MATCH, and TYPE when type is not NULL). *pat is NULL when
 * absent or "*" (matches everything). */
int arg_cursor_or_reply(client_t *c, const proto_arg_t *a, uint64_t *cursor);
int scan_opts_or_reply(client_t *c, int first, long long *count, const proto_arg_t **pat,
                       const proto_arg_t **type);
/* Lookup returning NULL (and replying WRONGTYPE) when the key holds another type. The
 * read variant counts hits/misses. *wrongtype tells the two NULLs apart. */
vobj_t *lookup_read_or_reply_type(client_t *c, const proto_arg_t *key, int type, int *wrongtype);
vobj_t *lookup_write_or_reply_type(client_t *c, const proto_arg_t *key, int type, int *wrongtype);

/* ===================== command table ===================== */

typedef void cmd_handler_t(client_t *c);
struct cmd_keys;
/* Finds the keys of argv for cmd into out (engine/commands.h); returns the number found. */
typedef int cmd_getkeys_t(const command_t *cmd, int argc, const proto_arg_t *argv,
                          struct cmd_keys *out);

/* Command flag bits (parsed at start-up from the row's flag words). */
enum {
    CMD_WRITE = 1 << 0, CMD_READONLY = 1 << 1, CMD_DENYOOM = 1 << 2, CMD_MODULE = 1 << 3,
    CMD_ADMIN = 1 << 4, CMD_PUBSUB = 1 << 5, CMD_NOSCRIPT = 1 << 6, CMD_BLOCKING = 1 << 8,
    CMD_LOADING = 1 << 9, CMD_STALE = 1 << 10, CMD_SKIP_MONITOR = 1 << 11,
    CMD_SKIP_SLOWLOG = 1 << 12, CMD_ASKING = 1 << 13, CMD_FAST = 1 << 14, CMD_NO_AUTH = 1 << 15,
    CMD_MAY_REPLICATE = 1 << 16, CMD_SENTINEL = 1 << 17, CMD_ONLY_SENTINEL = 1 << 18,
    CMD_NO_MANDATORY_KEYS = 1 << 19, CMD_PROTECTED = 1 << 20, CMD_NO_ASYNC_LOADING = 1 << 23,
    CMD_NO_MULTI = 1 << 24, CMD_MOVABLE_KEYS = 1 << 25, CMD_ALLOW_BUSY = 1 << 26,
};

#define CMD_LAT_BUCKETS 40
/* Adds one call's duration to cmd's totals (commandstats usec, latencystats histogram). */
void command_account(const command_t *cmd, int64_t ns);
/* The duration below which a fraction p of cmd's calls finished, in microseconds (the upper
 * edge of the histogram bucket holding that call); 0 when there were no calls. */
double command_latency_percentile(const command_t *cmd, double p);

/* One row per command: the single source of truth read by dispatch, COMMAND, the CLI's
 * help and the HTTP API. Static strings use Redis's vocabulary so COMMAND INFO matches. */
struct command {
    const char *name;        /* lowercase, e.g. "get"; subcommand rows: "encoding" */
    cmd_handler_t *proc;     /* NULL for a container (CONFIG, CLIENT, ...) */
    int arity;               /* N exact, -N at least N (argv[0] counts) */
    const char *flags;       /* "write denyoom fast" */
    const char *acl;         /* categories beyond those the flags imply: "string keyspace" */
    const char *keyspecs;    /* key specifications, notation documented in commands.c */
    const char *tips;        /* "nondeterministic_output request_policy:all_shards" or NULL */
    const char *group;       /* COMMAND DOCS group: "string", "generic", "server", ... */
    const char *since;
    const char *summary;     /* our own words */
    const char *complexity;
    const char *args;        /* argument notation for COMMAND DOCS, documented in commands.c */
    command_t *subcommands;  /* NULL-name terminated array, for containers */
    const char *history;     /* COMMAND DOCS history: "VERSION text|VERSION text", our words */
    const char *doc_flags;   /* "deprecated", "syscmd" */
    const char *deprecated_since;
    const char *replaced_by;
    /* Key finder for commands whose key flags or positions depend on the arguments (SET's
     * GET option); NULL means the key specs say it all. */
    cmd_getkeys_t *getkeys;
    /* filled at start-up */
    int first_key, last_key, key_step; /* Redis's legacy key range, derived from the key specs */
    struct cmd_keyspec *specs; /* parsed keyspecs (engine/commands.h) */
    int nspecs;
    struct cmd_arg *docargs; /* parsed args */
    int ndocargs;
    int nsubcommands;
    uint64_t flagbits;
    uint64_t aclbits;
    char fullname[64]; /* "config|get" */
    command_t *parent;
    long long calls, usec, rejected, failed;
    /* latency histogram (INFO latencystats): bucket k counts calls of 2^k..2^(k+1) ns */
    uint64_t lat_hist[CMD_LAT_BUCKETS];
};

/* Adds a NULL-name terminated table of rows (a file's own commands) to the command table;
 * call it from a constructor, before commands_init(). */
void command_group_register(command_t *rows);
/* Finds the command for argv (resolving subcommands); NULL if unknown. */
const command_t *command_lookup(int argc, const proto_arg_t *argv);
/* Finds a command by its full name ("get", "config|get"), case-insensitive. */
const command_t *command_by_fullname(const char *name, size_t len);
void commands_init(void);
/* Iterates the top-level table (NULL-name terminated). */
command_t *commands_table(void);

/* ===================== the engine ===================== */

#define ENGINE_DBS_MAX 16

typedef struct engine_stats {
    long long total_commands, total_connections, rejected_connections;
    long long keyspace_hits, keyspace_misses, expired_keys, evicted_keys;
    long long expired_stale_perc, total_net_input_bytes, total_net_output_bytes;
    long long dirty; /* writes since start (save rules, INFO) */
    long long total_error_replies;
    long long batches; /* CMD_BATCH messages executed: commands / batches = batching */
} engine_stats_t;

typedef struct engine_config {
    int databases;
    int hz;
    long long maxclients;
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    long long maxmemory;
    char maxmemory_policy[32];
    char enable_debug_command[8]; /* no | yes | local */
    /* compact-encoding thresholds, Redis's names and defaults */
    long long hash_max_listpack_entries, hash_max_listpack_value;
    long long set_max_intset_entries;
    long long zset_max_listpack_entries, zset_max_listpack_value;
    int list_max_listpack_size, list_compress_depth;
    long long hll_sparse_max_bytes;
    long long stream_node_max_bytes, stream_node_max_entries; /* 0 = no limit */
    long long tracking_table_max_keys;                        /* 0 = no limit */
    int active_expire;
    int fsync_always;  /* appendfsync always: replies wait for the persister's fsync */
    int wait_for_load; /* a persister runs: start in the loading state until it loaded us */
    char dir[512];
    char run_dir[512];
    char bind_addr[128]; /* the RESP address, for INFO */
    long long audit_max_entries, audit_value_max_len; /* engine/audit.c */
} engine_config_t;

struct engine {
    engine_config_t cfg;
    db_t *dbs;
    int ndbs; /* entries in dbs: the numbered databases (cfg.databases), then namespaces */
    engine_stats_t stats;
    frontend_t *frontends;
    uint64_t next_client_id;
    long long connected_clients;
    int64_t start_ms;
    int64_t now_ms;    /* cached unix time of the batch being executed */
    uint32_t lruclock; /* seconds */
    char run_id[41];
    void *zctx, *router;
    proto_batch_t batch;
    int hb_fd; /* heartbeat pipe to the supervisor, -1 if none */
    int oom;   /* over maxmemory with nothing left to evict: refuse deny-OOM commands */
    int oom_recheck; /* settings changed mid-batch: check memory again before the next write */
    size_t mem_peak, mem_startup; /* allocated bytes: highest seen, and after start-up */
    void *effects;   /* the effect stream (engine/effects_backlog.h) */
    int loading;     /* replaying effects/snapshot: nothing is recorded, clients get -LOADING */
    client_t *loader; /* the internal client that replays effects */
    void *core;       /* namespaces, delayed keys, tags, schemas, audit (engine/core.h) */
    uint64_t durable_seq; /* the persister has fsynced every effect up to this one */
    long long loading_start_ms, loaded_units;
    void *persist; /* snapshot children, save status, persistence errors (engine/persist.c) */
    frontend_t *load_owner; /* the persister loading us */
    uint64_t load_seq;      /* last effect sequence loaded so far */
    volatile int stop;
};

struct vole_config;
/* Runs the engine role until SIGTERM; returns the process exit code. */
int engine_main(const struct vole_config *cfg);
void engine_config_defaults(engine_config_t *cfg);
/* Used by unit tests: an engine with databases but no sockets. */
engine_t *engine_new_for_test(void);
void engine_free_for_test(engine_t *e);
/* Frees the engine and all its data (shutdown, tests). */
void engine_free(engine_t *e);
/* Client lifecycle (also used by tests). */
client_t *client_new(engine_t *e, frontend_t *fe, uint32_t fe_id);
void client_free(engine_t *e, client_t *c);
/* Bytes the engine has allocated (jemalloc's count). */
size_t engine_used_memory(void);
typedef struct engine_mem {
    size_t allocated, active, resident, rss, peak, startup;
} engine_mem_t;
/* A fresh snapshot of the memory counters (also tracks the peak). */
void engine_memory(engine_t *e, engine_mem_t *m);
/* Over maxmemory, evicts keys by the policy; returns -1 when memory is still over the limit
 * (commands that may grow memory are then refused with -OOM). */
int engine_enforce_maxmemory(engine_t *e);
/* Tells every frontend the settings it enforces (proto-max-bulk-len,
 * client-query-buffer-limit, maxclients); called after CONFIG SET changes one. */
void engine_send_frontend_config(engine_t *e);
/* Replays one encoded effect unit (engine/effects.c) as the internal loader client; returns
 * 0, or -1 with err when the unit is malformed or a command in it fails (the data diverged). */
int engine_apply_unit(engine_t *e, const char *p, size_t len, char *err, size_t errlen);
/* Loads a snapshot file into the (empty, loading) engine; *seq gets its effect sequence. */
int engine_load_snapshot(engine_t *e, const char *path, uint64_t *seq, char *err, size_t errlen);
/* Executes one command for c (argv set); dispatch checks arity, lookup etc. */
void engine_execute(engine_t *e, client_t *c, int argc, const proto_arg_t *argv);
#endif
