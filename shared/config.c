/* Vole's settings table and its two front doors: command-line flags (--name value) and
 * redis.conf-style files. Every setting is a row below, so parsing, validation and --help agree. */
#include "shared/config.h"
#include "shared/util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "shared/log.h"
#include "shared/resp.h"

/* ===================== the table ===================== */

typedef enum {
    S_STR,      /* char array copied as is */
    S_INT,      /* int within [min, max] */
    S_LL,       /* long long within [min, max] */
    S_MEM,      /* long long memory size ("512mb") within [min, max] */
    S_ENUM,     /* char array, one of a fixed list (case-insensitive, stored lowercase) */
    S_LOGLEVEL, /* char array, one of log.h's level names */
    S_ADDR,     /* host:port */
    S_PORT,     /* alias: replaces the port of addr */
    S_BIND,     /* alias: replaces the host of addr (first address of a redis.conf bind) */
    S_CONFIG,   /* --config FILE: handled before the other flags */
    S_INCLUDE,  /* file-only: loads another file in place */
    S_ENGINE,   /* the engine's alone: kept as "name value" lines in engine_settings and
                   checked and applied by the engine at start (its CONFIG SET rules) */
} setting_kind_t;

typedef struct {
    const char *name;
    const char *arg; /* placeholder shown by --help */
    setting_kind_t kind;
    size_t off, size; /* field in vole_config_t */
    long long min, max;
    const char *const *choices; /* S_ENUM */
    const char *def;            /* default as shown by --help */
    const char *help;
    int internal; /* passed by the supervisor to its children; listed apart in --help */
} setting_t;

static const char *const s_policies[] = {"volatile-lru",    "allkeys-lru",    "volatile-lfu",
                                         "allkeys-lfu",     "volatile-random", "allkeys-random",
                                         "volatile-ttl",    "noeviction",     NULL};

static const char *const s_debug_modes[] = {"no", "yes", "local", NULL};
static const char *const s_yesno[] = {"yes", "no", NULL};
static const char *const s_fsync_modes[] = {"always", "everysec", "no", NULL};
static const char *const s_catchup_modes[] = {"skip", "once", NULL};

#define F(field) offsetof(vole_config_t, field), sizeof(((vole_config_t *)0)->field)
#define NOF 0, 0

static const setting_t s_settings[] = {
    {"config", "FILE", S_CONFIG, F(config_file), 0, 0, NULL, "",
     "settings file (redis.conf style) loaded before the flags; flags win", 0},
    {"addr", "HOST:PORT", S_ADDR, F(addr), 0, 0, NULL, "127.0.0.1:7379",
     "address the RESP frontend listens on", 0},
    {"port", "PORT", S_PORT, NOF, 0, 65535, NULL, "7379",
     "redis.conf compatibility: sets the port of addr", 0},
    {"bind", "HOST...", S_BIND, NOF, 0, 0, NULL, "127.0.0.1",
     "redis.conf compatibility: sets the host of addr (the first address given)", 0},
    {"dir", "DIR", S_STR, F(dir), 0, 0, NULL, ".", "data directory, created if missing", 0},
    {"roles", "LIST", S_STR, F(roles), 0, 0, NULL, "engine,frontend-resp,persister,scheduler",
     "comma-separated roles the supervisor starts, each as its own process", 0},
    {"loglevel", "LEVEL", S_LOGLEVEL, F(loglevel), 0, 0, NULL, "notice",
     "debug, verbose, notice or warning", 0},
    {"logfile", "FILE", S_STR, F(logfile), 0, 0, NULL, "\"\" = stderr",
     "file the supervisor appends every process's log lines to (reopened on SIGHUP)", 0},
    {"databases", "N", S_INT, F(databases), 1, 1000000, NULL, "16", "number of databases", 0},
    {"hz", "N", S_INT, F(hz), 1, 500, NULL, "10",
     "background tasks (active expiry, eviction) per second", 0},
    {"maxclients", "N", S_LL, F(maxclients), 1, LLONG_MAX, NULL, "10000",
     "maximum simultaneous client connections", 0},
    {"proto-max-bulk-len", "SIZE", S_MEM, F(proto_max_bulk_len), 1024 * 1024, LLONG_MAX, NULL,
     "512mb", "largest bulk string a client may send", 0},
    {"client-query-buffer-limit", "SIZE", S_MEM, F(client_query_buffer_limit), 1024 * 1024,
     LLONG_MAX, NULL, "1gb", "largest unparsed input buffered for one client", 0},
    {"maxmemory", "SIZE", S_MEM, F(maxmemory), 0, LLONG_MAX, NULL, "0",
     "memory limit for data; 0 means no limit", 0},
    {"maxmemory-policy", "POLICY", S_ENUM, F(maxmemory_policy), 0, 0, s_policies, "noeviction",
     "what to evict at maxmemory: volatile-lru, allkeys-lru, volatile-lfu, allkeys-lfu, "
     "volatile-random, allkeys-random, volatile-ttl or noeviction",
     0},
    {"notify-keyspace-events", "CLASSES", S_STR, F(notify_keyspace_events), 0, 0, NULL, "\"\"",
     "keyspace events published on pub/sub, Redis's class letters (KEA = all); deploy/vole.conf "
     "(used by make run) turns them all on",
     0},
    {"timeout", "SECONDS", S_ENGINE, NOF, 0, 0, NULL, "0",
     "close a client idle this long; 0 = never", 0},
    {"hash-max-listpack-entries", "N", S_ENGINE, NOF, 0, 0, NULL, "512",
     "compact encodings, as Redis's: largest hash kept compact (entries)", 0},
    {"hash-max-ziplist-entries", "N", S_ENGINE, NOF, 0, 0, NULL, "512",
     "Redis's older name for hash-max-listpack-entries", 0},
    {"hash-max-listpack-value", "SIZE", S_ENGINE, NOF, 0, 0, NULL, "64",
     "...and longest field or value in it", 0},
    {"hash-max-ziplist-value", "SIZE", S_ENGINE, NOF, 0, 0, NULL, "64",
     "Redis's older name for hash-max-listpack-value", 0},
    {"set-max-intset-entries", "N", S_ENGINE, NOF, 0, 0, NULL, "512",
     "largest set of integers kept as an intset", 0},
    {"zset-max-listpack-entries", "N", S_ENGINE, NOF, 0, 0, NULL, "128",
     "largest sorted set kept compact (entries)", 0},
    {"zset-max-ziplist-entries", "N", S_ENGINE, NOF, 0, 0, NULL, "128",
     "Redis's older name for zset-max-listpack-entries", 0},
    {"zset-max-listpack-value", "SIZE", S_ENGINE, NOF, 0, 0, NULL, "64",
     "...and longest member in it", 0},
    {"zset-max-ziplist-value", "SIZE", S_ENGINE, NOF, 0, 0, NULL, "64",
     "Redis's older name for zset-max-listpack-value", 0},
    {"list-max-listpack-size", "N", S_ENGINE, NOF, 0, 0, NULL, "-2",
     "list node size: entries when positive, -1..-5 = 4..64 KB", 0},
    {"list-max-ziplist-size", "N", S_ENGINE, NOF, 0, 0, NULL, "-2",
     "Redis's older name for list-max-listpack-size", 0},
    {"list-compress-depth", "N", S_ENGINE, NOF, 0, 0, NULL, "0",
     "list nodes left uncompressed at each end (0 = none compressed)", 0},
    {"hll-sparse-max-bytes", "SIZE", S_ENGINE, NOF, 0, 0, NULL, "3000",
     "largest sparse HyperLogLog", 0},
    {"stream-node-max-bytes", "SIZE", S_ENGINE, NOF, 0, 0, NULL, "4096",
     "largest stream node (as Redis's listpacks; 0 = no limit)", 0},
    {"stream-node-max-entries", "N", S_ENGINE, NOF, 0, 0, NULL, "100",
     "most entries in a stream node (0 = no limit)", 0},
    {"tracking-table-max-keys", "N", S_ENGINE, NOF, 0, 0, NULL, "1000000",
     "keys remembered for client-side caching; past it keys are invalidated at random (0 = "
     "no limit)", 0},
    {"cluster-enabled", "no", S_ENGINE, NOF, 0, 0, NULL, "no",
     "redis.conf compatibility: Vole runs without cluster mode", 0},
    {"audit-max-entries", "N", S_ENGINE, NOF, 0, 0, NULL, "10000",
     "audit log entries kept (oldest dropped beyond)", 0},
    {"audit-value-max-len", "N", S_ENGINE, NOF, 0, 0, NULL, "128",
     "audit log: longest value recorded (longer ones are cut)", 0},
    {"enable-debug-command", "no|yes|local", S_ENUM, F(enable_debug_command), 0, 0, s_debug_modes,
     "no", "whether DEBUG may run: never, always, or from local connections only (as Redis)", 0},
    {"appendonly", "yes|no", S_ENUM, F(appendonly), 0, 0, s_yesno, "yes",
     "keep an append-only file of every write (the persister role)", 0},
    {"appendfsync", "POLICY", S_ENUM, F(appendfsync), 0, 0, s_fsync_modes, "everysec",
     "always (a write is answered after it is on disk), everysec or no", 0},
    {"appendfilename", "NAME", S_STR, F(appendfilename), 0, 0, NULL, "appendonly.aof",
     "base name of the append-only files", 0},
    {"appenddirname", "NAME", S_STR, F(appenddirname), 0, 0, NULL, "appendonlydir",
     "directory inside dir holding the append-only files and their manifest", 0},
    {"auto-aof-rewrite-percentage", "N", S_INT, F(auto_aof_rewrite_percentage), 0, INT_MAX, NULL,
     "100", "make a new AOF base (as BGREWRITEAOF) when the AOF grew by this many percent "
     "over the last base; 0 = never by itself", 0},
    {"auto-aof-rewrite-min-size", "SIZE", S_MEM, F(auto_aof_rewrite_min_size), 0, LLONG_MAX, NULL,
     "64mb", "...and is at least this large", 0},
    {"snapshot", "FILE", S_STR, F(snapshot), 0, 0, NULL, "dump.vdb",
     "snapshot file name inside dir (SAVE, BGSAVE, SHUTDOWN SAVE, save rules)", 0},
    {"dbfilename", "FILE", S_STR, F(snapshot), 0, 0, NULL, "dump.vdb",
     "redis.conf compatibility: the same as snapshot", 0},
    {"snapshot-interval", "DURATION", S_STR, F(snapshot_interval), 0, 0, NULL, "0",
     "take a snapshot this often (seconds, or with s/m/h: 5m); 0 = only by save rules", 0},
    {"save", "RULES", S_STR, F(save), 0, 0, NULL, "\"\"",
     "Redis-style rules \"secs changes ...\": snapshot after secs if at least changes writes", 0},
    {"requirepass", "PASSWORD", S_STR, F(requirepass), 0, 0, NULL, "\"\" = none",
     "clients must AUTH with this password first (the default user's, as in redis.conf); "
     "HTTP clients send it as Authorization: Bearer",
     0},
    {"effect-backlog-size", "SIZE", S_MEM, F(effect_backlog_size), 16 * 1024, LLONG_MAX, NULL,
     "64mb",
     "recent effects the engine keeps, so a restarted persister (or a replica) resumes "
     "without a new snapshot; as Redis's repl-backlog-size",
     0},
    {"client-output-buffer-limit", "CLASS HARD SOFT SECS", S_STR, F(client_output_buffer_limit),
     0, 0, NULL, "pubsub 32mb 8mb 60",
     "as redis.conf (one class per line): a client whose unsent output passes HARD, or stays "
     "above SOFT for SECS seconds, is disconnected (normal, replica, pubsub)",
     0},
    {"batches-in-flight", "N", S_INT, F(batches_in_flight), 1, 1024, NULL, "1",
     "command batches a frontend may have unanswered by the engine", 0},
    {"cpu-affinity", "CPUS", S_STR, F(cpu_affinity), 0, 0, NULL, "auto",
     "CPUs the engine and frontends run on: auto (one shared core, the last one), none, or a "
     "list like 0-3",
     0},
    {"watchdog-ms", "MS", S_INT, F(watchdog_ms), 100, INT_MAX, NULL, "15000",
     "a child process silent (no heartbeat) this long is killed and restarted", 0},
    {"cron-timezone", "ZONE", S_STR, F(cron_timezone), 0, 0, NULL, "UTC",
     "time zone cron expressions are read in (a tz database name like Europe/Paris)", 0},
    {"cron-catchup", "skip|once", S_ENUM, F(cron_catchup), 0, 0, s_catchup_modes, "skip",
     "runs a cron job missed while Vole was down: skip them, or run once at start", 0},
    {"webhook-timeout-ms", "MS", S_INT, F(webhook_timeout_ms), 10, 600000, NULL, "5000",
     "time limit of one webhook delivery attempt", 0},
    {"webhook-retries", "N", S_INT, F(webhook_retries), 0, 100, NULL, "5",
     "retries after a failed webhook delivery before it goes to the failed list", 0},
    {"webhook-retry-base-ms", "MS", S_INT, F(webhook_retry_base_ms), 1, 3600000, NULL, "1000",
     "delay before the first webhook retry; doubles at each retry (with jitter, at most 5 min)", 0},
    {"webhook-max-inflight", "N", S_INT, F(webhook_max_inflight), 1, 10000, NULL, "64",
     "webhook HTTP requests the scheduler runs at once", 0},
    {"webhook-queue-max", "N", S_INT, F(webhook_queue_max), 1, 10000000, NULL, "10000",
     "webhook deliveries the scheduler holds in memory; more wait in the engine's outbox", 0},
    {"webhook-outbox-max", "N", S_LL, F(webhook_outbox_max), 1, LLONG_MAX, NULL, "100000",
     "undelivered webhook events the engine keeps; past it the oldest are dropped", 0},
    {"webhook-outbox-max-bytes", "SIZE", S_MEM, F(webhook_outbox_max_bytes), 1024, LLONG_MAX,
     NULL, "64mb", "the same bound in bytes", 0},
    {"cron-time-scale", "N", S_INT, F(cron_time_scale), 1, 3600, NULL, "1",
     "tests only: the scheduler's cron clock runs N times faster from its start", 1},
    {"http-addr", "HOST:PORT", S_STR, F(http_addr), 0, 0, NULL, "\"\" = off",
     "address of the HTTP/JSON API (frontend-http role, started when this is set); ':8080' "
     "listens on every interface; deploy/vole.conf (make run) sets 127.0.0.1:8080",
     0},
    {"http-max-body", "SIZE", S_MEM, F(http_max_body), 0, LLONG_MAX, NULL, "1mb",
     "largest HTTP request body; larger requests get 413", 0},
    {"http-max-header", "BYTES", S_INT, F(http_max_header), 256, 1024 * 1024, NULL, "8192",
     "largest HTTP request line plus header section; larger requests get 431", 0},
    {"http-request-timeout-ms", "MS", S_INT, F(http_request_timeout_ms), 10, INT_MAX, NULL,
     "10000", "an HTTP request must arrive completely within this (slow clients get 408)", 0},
    {"http-idle-timeout-ms", "MS", S_INT, F(http_idle_timeout_ms), 10, INT_MAX, NULL, "60000",
     "idle HTTP keep-alive connections are closed after this", 0},
    {"http-cors-origin", "ORIGIN", S_STR, F(http_cors_origin), 0, 0, NULL, "\"\" = no CORS",
     "value of Access-Control-Allow-Origin on HTTP replies (e.g. * or https://app.example); "
     "also enables answers to CORS preflight requests",
     0},
    {"http-sse-heartbeat-ms", "MS", S_INT, F(http_sse_heartbeat_ms), 10, INT_MAX, NULL, "15000",
     "a comment line is sent on quiet Server-Sent Events streams this often", 0},
    {"http-sse-max-buffer", "SIZE", S_MEM, F(http_sse_max_buffer), 0, LLONG_MAX, NULL, "32mb",
     "an SSE reader whose unsent events pass this size is disconnected", 0},
    {"engine", "ENDPOINT", S_STR, F(engine_ep), 0, 0, NULL, "ipc://<run-dir>/engine.sock",
     "ZeroMQ endpoint of the engine, bound by the engine, connected to by frontends", 0},
    {"run-dir", "DIR", S_STR, F(run_dir), 0, 0, NULL, "<dir>/run",
     "runtime directory for ipc sockets and the supervisor's pid file", 0},
    {"role", "NAME", S_STR, F(role), 0, 0, NULL, "none: run as the supervisor",
     "run as this one role (engine, frontend-resp) instead of as the supervisor", 1},
    {"hb-fd", "FD", S_INT, F(hb_fd), -1, INT_MAX, NULL, "-1",
     "write end of the heartbeat pipe inherited from the supervisor", 1},
    {"include", "FILE", S_INCLUDE, NOF, 0, 0, NULL, "", "loads another settings file in place",
     2},
};
#define NSETTINGS (sizeof s_settings / sizeof s_settings[0])

#define MAX_INCLUDE_DEPTH 8

static int s_load_file(vole_config_t *c, const char *path, int depth, char *err, size_t errlen);

/* ===================== helpers ===================== */

static void s_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void s_err(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Names are matched case-insensitively and with '_' standing for '-', so "run_dir",
 * "Run-Dir" and "run-dir" are the same setting. */
static int s_name_eq(const char *a, const char *b) {
    for (; *a && *b; a++, b++) {
        char x = (char)tolower((unsigned char)(*a == '_' ? '-' : *a));
        char y = (char)tolower((unsigned char)(*b == '_' ? '-' : *b));
        if (x != y) return 0;
    }
    return *a == *b;
}

static const setting_t *s_find(const char *name) {
    for (size_t i = 0; i < NSETTINGS; i++)
        if (s_name_eq(name, s_settings[i].name)) return &s_settings[i];
    return NULL;
}

static int s_copy(char *dst, size_t cap, const char *src, const char *name, char *err,
                  size_t errlen) {
    size_t n = strlen(src);
    if (n >= cap) {
        s_err(err, errlen, "value for '%s' is too long (at most %zu bytes)", name, cap - 1);
        return -1;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

static int s_parse_ll(const char *s, long long *out) {
    if (!*s) return 0;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || isspace((unsigned char)*s)) return 0;
    *out = v;
    return 1;
}

long long config_memtoll(const char *s, int *ok) {
    if (ok) *ok = 0;
    if (!s) return -1;
    const char *p = s;
    if (!isdigit((unsigned char)*p)) return -1; /* no sign, no spaces, no empty string */
    unsigned long long v = 0;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (ULLONG_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    unsigned long long mul = mem_unit(p);
    if (!mul) return -1;
    if (v > (unsigned long long)LLONG_MAX / mul) return -1;
    if (ok) *ok = 1;
    return (long long)(v * mul);
}

/* Splits "host:port", "[v6]:port" or a bare "host" / ":port"; the missing parts come back
 * empty. Returns -1 when the port is not a number in 0..65535. */
static int s_split_addr(const char *addr, char *host, size_t hostcap, long long *port) {
    const char *colon;
    *port = -1;
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close) return -1;
        size_t n = (size_t)(close - addr - 1);
        if (n >= hostcap) return -1;
        memcpy(host, addr + 1, n);
        host[n] = '\0';
        colon = close[1] == ':' ? close + 1 : NULL;
        if (!colon && close[1]) return -1;
    } else {
        colon = strrchr(addr, ':');
        /* More than one colon without brackets is an IPv6 address with no port. */
        if (colon && strchr(addr, ':') != colon) colon = NULL;
        size_t n = colon ? (size_t)(colon - addr) : strlen(addr);
        if (n >= hostcap) return -1;
        memcpy(host, addr, n);
        host[n] = '\0';
    }
    if (colon) {
        long long p;
        if (!s_parse_ll(colon + 1, &p) || p < 0 || p > 65535) return -1;
        *port = p;
    }
    return 0;
}

static int s_join_addr(vole_config_t *c, const char *host, long long port, char *err,
                       size_t errlen) {
    int need_brackets = strchr(host, ':') != NULL;
    int n = snprintf(c->addr, sizeof c->addr, need_brackets ? "[%s]:%lld" : "%s:%lld", host,
                     port);
    if (n < 0 || (size_t)n >= sizeof c->addr) {
        s_err(err, errlen, "address '%s' is too long", host);
        return -1;
    }
    return 0;
}

/* ===================== public API ===================== */

void config_defaults(vole_config_t *c) {
    memset(c, 0, sizeof *c);
    snprintf(c->roles, sizeof c->roles, "engine,frontend-resp,persister,scheduler");
    c->hb_fd = -1;
    snprintf(c->addr, sizeof c->addr, "127.0.0.1:7379");
    snprintf(c->dir, sizeof c->dir, ".");
    snprintf(c->loglevel, sizeof c->loglevel, "notice");
    c->databases = 16;
    c->hz = 10;
    c->maxclients = 10000;
    c->proto_max_bulk_len = 512LL * 1024 * 1024;
    c->client_query_buffer_limit = 1024LL * 1024 * 1024;
    c->maxmemory = 0;
    snprintf(c->maxmemory_policy, sizeof c->maxmemory_policy, "noeviction");
    snprintf(c->enable_debug_command, sizeof c->enable_debug_command, "no");
    c->batches_in_flight = 1;
    snprintf(c->cpu_affinity, sizeof c->cpu_affinity, "auto");
    c->watchdog_ms = 15000;
    c->http_max_body = 1024 * 1024;
    c->http_max_header = 8192;
    c->http_request_timeout_ms = 10000;
    c->http_idle_timeout_ms = 60000;
    c->http_sse_heartbeat_ms = 15000;
    c->http_sse_max_buffer = 32LL * 1024 * 1024;
    snprintf(c->appendonly, sizeof c->appendonly, "yes");
    c->effect_backlog_size = 64LL << 20;
    snprintf(c->appendfsync, sizeof c->appendfsync, "everysec");
    snprintf(c->appendfilename, sizeof c->appendfilename, "appendonly.aof");
    snprintf(c->appenddirname, sizeof c->appenddirname, "appendonlydir");
    c->auto_aof_rewrite_percentage = 100;
    c->auto_aof_rewrite_min_size = 64LL << 20;
    snprintf(c->snapshot, sizeof c->snapshot, "dump.vdb");
    snprintf(c->snapshot_interval, sizeof c->snapshot_interval, "0");
    snprintf(c->cron_timezone, sizeof c->cron_timezone, "UTC");
    snprintf(c->cron_catchup, sizeof c->cron_catchup, "skip");
    c->cron_time_scale = 1;
    c->webhook_timeout_ms = 5000;
    c->webhook_retries = 5;
    c->webhook_retry_base_ms = 1000;
    c->webhook_max_inflight = 64;
    c->webhook_queue_max = 10000;
    c->webhook_outbox_max = 100000;
    c->webhook_outbox_max_bytes = 64LL << 20;
}

int config_set(vole_config_t *c, const char *name, int argc, char **argv, char *err,
               size_t errlen) {
    const setting_t *s = s_find(name);
    if (!s) {
        s_err(err, errlen, "unknown setting '%s'", name);
        return -1;
    }
    if (!strcmp(s->name, "client-output-buffer-limit")) {
        /* each line adds a class; the engine validates the whole (CONFIG SET's rules) */
        size_t used = strlen(c->client_output_buffer_limit);
        for (int i = 0; i < argc; i++) {
            int n = snprintf(c->client_output_buffer_limit + used,
                             sizeof c->client_output_buffer_limit - used, "%s%s",
                             used ? " " : "", argv[i]);
            if (n < 0 || (size_t)n >= sizeof c->client_output_buffer_limit - used) {
                s_err(err, errlen, "client-output-buffer-limit is too long");
                return -1;
            }
            used += (size_t)n;
        }
        return 0;
    }
    if (!strcmp(s->name, "save")) {
        /* as redis.conf: each save line adds rules, save "" removes them all; a flag may
         * carry several rules in one argument ("--save '900 1 300 10'") */
        char joined[sizeof c->save];
        size_t jl = 0;
        for (int i = 0; i < argc; i++)
            jl += (size_t)snprintf(joined + jl, jl < sizeof joined ? sizeof joined - jl : 0,
                                   "%s%s", i ? " " : "", argv[i]);
        if (jl >= sizeof joined) {
            s_err(err, errlen, "too many save rules");
            return -1;
        }
        int n = 0;
        char out[sizeof c->save] = "";
        size_t ol = 0;
        for (char *save_ptr = NULL, *tok = strtok_r(joined, " \t", &save_ptr); tok;
             tok = strtok_r(NULL, " \t", &save_ptr), n++) {
            long long v;
            if (!s_parse_ll(tok, &v) || v < 0) {
                s_err(err, errlen, "invalid value '%s' for 'save'", tok);
                return -1;
            }
            ol += (size_t)snprintf(out + ol, sizeof out - ol, "%s%lld", ol ? " " : "", v);
        }
        if (n == 0) {
            c->save[0] = '\0';
            return 0;
        }
        if (n % 2) {
            s_err(err, errlen, "save takes pairs of seconds and changes");
            return -1;
        }
        size_t used = strlen(c->save);
        if (used + 1 + ol >= sizeof c->save) {
            s_err(err, errlen, "too many save rules");
            return -1;
        }
        snprintf(c->save + used, sizeof c->save - used, "%s%s", used ? " " : "", out);
        return 0;
    }
    if (s->kind == S_ENGINE) {
        /* checked by the engine when it starts (an error there stops the start) */
        size_t used = strlen(c->engine_settings);
        int n = snprintf(c->engine_settings + used, sizeof c->engine_settings - used, "%s",
                         s->name);
        for (int i = 0; i < argc && n >= 0; i++) {
            used += (size_t)n;
            if (used >= sizeof c->engine_settings) break;
            n = snprintf(c->engine_settings + used, sizeof c->engine_settings - used, " %s",
                         argv[i]);
        }
        if (n >= 0) used += (size_t)n;
        if (argc < 1 || used + 1 >= sizeof c->engine_settings || strchr(s->name, '\n')) {
            s_err(err, errlen, argc < 1 ? "'%s' needs a value" : "too many engine settings",
                  s->name);
            return -1;
        }
        c->engine_settings[used] = '\n';
        c->engine_settings[used + 1] = '\0';
        return 0;
    }
    if (argc < 1 || (argc > 1 && s->kind != S_BIND)) {
        s_err(err, errlen, "'%s' takes exactly one value (got %d)", s->name, argc);
        return -1;
    }
    const char *v = argv[0];
    char *field = (char *)c + s->off;
    switch (s->kind) {
    case S_STR:
    case S_CONFIG:
        return s_copy(field, s->size, v, s->name, err, errlen);
    case S_INT:
    case S_LL: {
        long long n;
        if (!s_parse_ll(v, &n) || n < s->min || n > s->max) {
            s_err(err, errlen, "invalid value '%s' for '%s': must be an integer from %lld to %lld",
                  v, s->name, s->min, s->max);
            return -1;
        }
        if (s->kind == S_INT) *(int *)field = (int)n;
        else *(long long *)field = n;
        return 0;
    }
    case S_MEM: {
        int ok;
        long long n = config_memtoll(v, &ok);
        if (!ok || n < s->min || n > s->max) {
            s_err(err, errlen,
                  "invalid value '%s' for '%s': must be a memory size like 100000, 64kb, 512mb or "
                  "1gb%s",
                  v, s->name, s->min > 0 ? ", at least 1mb" : "");
            return -1;
        }
        *(long long *)field = n;
        return 0;
    }
    case S_ENUM:
        for (const char *const *ch = s->choices; *ch; ch++) {
            if (strcasecmp(v, *ch) == 0) return s_copy(field, s->size, *ch, s->name, err, errlen);
        }
        s_err(err, errlen, "invalid value '%s' for '%s'", v, s->name);
        return -1;
    case S_LOGLEVEL: {
        int lvl = log_level_parse(v);
        if (lvl < 0) {
            s_err(err, errlen,
                  "invalid value '%s' for 'loglevel': must be debug, verbose, notice or warning",
                  v);
            return -1;
        }
        static const char *names[] = {"debug", "verbose", "notice", "warning"};
        return s_copy(field, s->size, names[lvl], s->name, err, errlen);
    }
    case S_ADDR: {
        char host[128];
        long long port;
        if (s_split_addr(v, host, sizeof host, &port) < 0 || !host[0] || port < 0) {
            s_err(err, errlen, "invalid value '%s' for 'addr': expected host:port", v);
            return -1;
        }
        return s_join_addr(c, host, port, err, errlen);
    }
    case S_PORT: {
        long long port;
        if (!s_parse_ll(v, &port) || port < 0 || port > 65535) {
            s_err(err, errlen, "invalid value '%s' for 'port': must be an integer from 0 to 65535",
                  v);
            return -1;
        }
        char host[128];
        long long old;
        if (s_split_addr(c->addr, host, sizeof host, &old) < 0) host[0] = '\0';
        return s_join_addr(c, host[0] ? host : "127.0.0.1", port, err, errlen);
    }
    case S_BIND: {
        /* redis.conf marks optional addresses with a leading '-'; the first one wins. */
        const char *h = v[0] == '-' ? v + 1 : v;
        if (!h[0] || strlen(h) >= 120) {
            s_err(err, errlen, "invalid value '%s' for 'bind'", v);
            return -1;
        }
        char host[128];
        long long port;
        if (s_split_addr(c->addr, host, sizeof host, &port) < 0 || port < 0) port = 7379;
        return s_join_addr(c, h, port, err, errlen);
    }
    case S_ENGINE: /* handled above */
        break;
    case S_INCLUDE:
        s_err(err, errlen, "'include' is only valid inside a settings file");
        return -1;
    }
    s_err(err, errlen, "unhandled setting '%s'", s->name);
    return -1;
}

/* Reads one file; lines are split with the same quoting rules as Redis's inline commands. */
static int s_load_file(vole_config_t *c, const char *path, int depth, char *err, size_t errlen) {
    if (depth > MAX_INCLUDE_DEPTH) {
        s_err(err, errlen, "%s: includes nested more than %d deep", path, MAX_INCLUDE_DEPTH);
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        s_err(err, errlen, "cannot open config file '%s': %s", path, strerror(errno));
        return -1;
    }
    resp_parser_t p;
    resp_parser_init(&p, LLONG_MAX);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0, rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        const char *l = line;
        while (n > 0 && isspace((unsigned char)*l)) l++, n--;
        if (n == 0 || *l == '#') continue;
        int argc = resp_split_inline(&p, l, (size_t)n);
        if (argc < 0) {
            s_err(err, errlen, "%s line %d: unbalanced quotes", path, lineno);
            rc = -1;
            break;
        }
        if (argc == 0) continue;
        /* Copy arguments out as C strings; a NUL byte inside a value is refused. */
        char **av = calloc((size_t)argc, sizeof *av);
        if (!av) abort();
        for (int i = 0; i < argc; i++) {
            if (memchr(p.argv[i], '\0', p.argvlen[i])) {
                s_err(err, errlen, "%s line %d: NUL byte in a value", path, lineno);
                rc = -1;
            }
            av[i] = strndup(p.argv[i], p.argvlen[i]);
            if (!av[i]) abort();
        }
        if (rc == 0) {
            const setting_t *s = s_find(av[0]);
            char sub[400];
            if (s && s->kind == S_INCLUDE) {
                if (argc != 2) {
                    s_err(err, errlen, "%s line %d: 'include' takes one file name", path, lineno);
                    rc = -1;
                } else if (s_load_file(c, av[1], depth + 1, err, errlen) < 0) {
                    rc = -1; /* the inner message already names its file and line */
                }
            } else if (s && s->kind == S_CONFIG) {
                s_err(err, errlen, "%s line %d: 'config' is not allowed in a file; use 'include'",
                      path, lineno);
                rc = -1;
            } else if (config_set(c, av[0], argc - 1, av + 1, sub, sizeof sub) < 0) {
                s_err(err, errlen, "%s line %d: %s", path, lineno, sub);
                rc = -1;
            }
        }
        for (int i = 0; i < argc; i++) free(av[i]);
        free(av);
    }
    if (rc == 0 && ferror(f)) {
        s_err(err, errlen, "error reading config file '%s'", path);
        rc = -1;
    }
    free(line);
    resp_parser_free(&p);
    fclose(f);
    return rc;
}

int config_load_file(vole_config_t *c, const char *path, char *err, size_t errlen) {
    return s_load_file(c, path, 0, err, errlen);
}

static int s_is_flag(const char *a) { return a[0] == '-' && a[1] == '-' && a[2]; }

int config_parse_args(vole_config_t *c, int argc, char **argv, int *help, char *err,
                      size_t errlen) {
    if (help) *help = 0;
    /* Pass 1: --help anywhere wins; find the config file (--config or, as redis-server
     * accepts, a first argument that is not a flag) so it can be loaded before the flags. */
    const char *file = NULL;
    int first = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            if (help) *help = 1;
            return 0;
        }
    }
    if (argc > 1 && argv[1][0] != '-') {
        file = argv[1];
        first = 2;
    }
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc || s_is_flag(argv[i + 1])) {
                s_err(err, errlen, "option --config needs a file name");
                return -1;
            }
            file = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            file = argv[i] + 9;
        }
    }
    if (file) {
        if (s_copy(c->config_file, sizeof c->config_file, file, "config", err, errlen) < 0)
            return -1;
        if (config_load_file(c, file, err, errlen) < 0) return -1;
    }
    /* Pass 2: flags. As redis-server does, a flag takes every following argument up to the
     * next "--name", so "--bind 127.0.0.1 ::1" works; "--name=value" takes exactly one. */
    for (int i = first; i < argc;) {
        const char *a = argv[i];
        if (!s_is_flag(a)) {
            s_err(err, errlen, "unexpected argument '%s' (options look like --name value)", a);
            return -1;
        }
        char name[128];
        const char *eq = strchr(a + 2, '=');
        size_t nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (nlen >= sizeof name) nlen = sizeof name - 1;
        memcpy(name, a + 2, nlen);
        name[nlen] = '\0';
        const setting_t *s = s_find(name);
        if (!s || s->kind == S_INCLUDE) {
            s_err(err, errlen, "unknown option --%s", name);
            return -1;
        }
        char *one[1];
        char **vals;
        int nvals;
        int next;
        if (eq) {
            one[0] = (char *)eq + 1;
            vals = one;
            nvals = 1;
            next = i + 1;
        } else {
            int j = i + 1;
            while (j < argc && !s_is_flag(argv[j])) j++;
            vals = argv + i + 1;
            nvals = j - i - 1;
            next = j;
        }
        if (nvals == 0) {
            s_err(err, errlen, "option --%s needs a value", s->name);
            return -1;
        }
        if (s->kind != S_CONFIG) {
            char sub[400];
            if (config_set(c, s->name, nvals, vals, sub, sizeof sub) < 0) {
                s_err(err, errlen, "option --%s: %s", s->name, sub);
                return -1;
            }
        } else if (nvals != 1) {
            s_err(err, errlen, "option --config takes one file name");
            return -1;
        }
        i = next;
    }
    return 0;
}

/* Lexically cleans an absolute path: drops "." and empty components, resolves "..". The
 * directory may not exist yet (the supervisor creates it), so realpath() cannot be used. */
static void s_clean_path(char *path, size_t cap) {
    char out[PATH_MAX];
    size_t olen = 0;
    const char *p = path;
    while (*p) {
        while (*p == '/') p++;
        const char *start = p;
        while (*p && *p != '/') p++;
        size_t n = (size_t)(p - start);
        if (n == 0 || (n == 1 && start[0] == '.')) continue;
        if (n == 2 && start[0] == '.' && start[1] == '.') {
            while (olen > 0 && out[olen - 1] != '/') olen--;
            if (olen > 0) olen--; /* the slash before the dropped component */
            continue;
        }
        if (olen + 1 + n >= sizeof out) return; /* too long: keep the original */
        out[olen++] = '/';
        memcpy(out + olen, start, n);
        olen += n;
    }
    if (olen == 0) out[olen++] = '/';
    out[olen] = '\0';
    if (olen < cap) memcpy(path, out, olen + 1);
}

static void s_absolute(char *dst, size_t cap, const char *path) {
    char tmp[PATH_MAX * 2];
    if (path[0] == '/') {
        snprintf(tmp, sizeof tmp, "%s", path);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, ".");
        snprintf(tmp, sizeof tmp, "%s/%s", cwd, path);
    }
    if (tmp[0] == '/') s_clean_path(tmp, sizeof tmp);
    /* A path too long for the field stays relative rather than being cut short. */
    size_t n = strlen(tmp);
    if (n < cap) memcpy(dst, tmp, n + 1);
    else if (dst != path && strlen(path) < cap) memcpy(dst, path, strlen(path) + 1);
}

void config_finish(vole_config_t *c) {
    if (!c->run_dir[0]) {
        char tmp[sizeof c->dir + 8];
        snprintf(tmp, sizeof tmp, "%s/run", c->dir[0] ? c->dir : ".");
        c->run_dir[0] = '\0';
        s_absolute(c->run_dir, sizeof c->run_dir, tmp);
        /* a unix socket path holds at most 107 bytes: a deep data dir gets its sockets in a
         * directory under /tmp named after it instead */
        if (strlen(c->run_dir) + sizeof "/engine.sock" > 100) {
            uint64_t h = 1469598103934665603ull;
            for (const char *q = c->run_dir; *q; q++) h = (h ^ (unsigned char)*q) * 1099511628211ull;
            snprintf(c->run_dir, sizeof c->run_dir, "/tmp/vole-run-%u-%016llx", (unsigned)getuid(),
                     (unsigned long long)h);
        }
    } else if (c->run_dir[0] != '/') {
        char tmp[sizeof c->run_dir];
        snprintf(tmp, sizeof tmp, "%s", c->run_dir);
        s_absolute(c->run_dir, sizeof c->run_dir, tmp);
    }
    if (!c->engine_ep[0])
        snprintf(c->engine_ep, sizeof c->engine_ep, "ipc://%s/engine.sock", c->run_dir);
}

/* Prints text wrapped at 100 columns, continuation lines indented by indent. */
static void s_print_wrapped(const char *text, int col, int indent) {
    const char *p = text;
    while (*p) {
        const char *sp = strchr(p, ' ');
        int wlen = sp ? (int)(sp - p) : (int)strlen(p);
        if (col > indent && col + 1 + wlen > 100) {
            printf("\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            putchar(' ');
            col++;
        }
        printf("%.*s", wlen, p);
        col += wlen;
        p += wlen;
        while (*p == ' ') p++;
    }
    putchar('\n');
}

void config_print_help(const char *prog) {
    printf("Usage: %s [FILE] [--config FILE] [--name value ...]\n"
           "       %s --help\n\n"
           "Runs the supervisor, which starts each role in --roles as its own process and\n"
           "restarts it when it dies. Every option can also be written in a settings file as\n"
           "'name value' (redis.conf style: '#' comments, quoted values, 'include FILE');\n"
           "flags win over the file. Sizes take units: 1k=1000, 1kb=1024, 1m, 1mb, 1g, 1gb.\n",
           prog, prog);
    static const char *titles[] = {"Options:", "Internal options (the supervisor passes these "
                                               "to its children):",
                                   "Settings-file only:"};
    enum { INDENT = 36 };
    for (int pass = 0; pass < 3; pass++) {
        printf("\n%s\n", titles[pass]);
        for (size_t i = 0; i < NSETTINGS; i++) {
            const setting_t *s = &s_settings[i];
            if (s->internal != pass) continue;
            char lhs[64], text[400];
            int n = snprintf(lhs, sizeof lhs, "  %s%s %s", pass == 2 ? "" : "--", s->name, s->arg);
            if (s->def[0]) snprintf(text, sizeof text, "%s (default: %s)", s->help, s->def);
            else snprintf(text, sizeof text, "%s", s->help);
            if (n + 1 > INDENT) printf("%s\n%*s", lhs, INDENT, "");
            else printf("%-*s", INDENT, lhs);
            s_print_wrapped(text, INDENT, INDENT);
        }
        if (pass == 0) printf("%-*s%s\n", INDENT, "  --help", "prints this help and exits");
    }
}
