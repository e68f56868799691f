/* Vole's settings: one table of every setting, parsed from command-line flags
 * (--name value) and from a redis.conf-style file (name value, '#' comments; flags win).
 * The supervisor and every role parse the same arguments, so a role sees what the
 * supervisor saw. */
#ifndef VOLE_CONFIG_H
#define VOLE_CONFIG_H
#include <stddef.h>

typedef struct vole_config {
    /* process layout */
    char role[32];        /* "" = supervisor; else engine, frontend-resp, ... */
    char roles[256];      /* roles the supervisor starts: "engine,frontend-resp" */
    char run_dir[512];    /* runtime dir for ipc endpoints; default <dir>/run */
    char engine_ep[600];  /* engine endpoint; default ipc://<run_dir>/engine.sock */
    int hb_fd;            /* heartbeat pipe write end given to a child (-1: none) */
    char config_file[512];
    /* network */
    char addr[128];       /* RESP listen address host:port (default 127.0.0.1:7379) */
    /* storage */
    char dir[512];        /* data directory (default ".") */
    /* logging */
    char loglevel[16];    /* debug|verbose|notice|warning */
    char logfile[512];    /* "" = stderr */
    /* engine */
    int databases;
    int hz;
    long long maxclients;
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    long long maxmemory;
    char maxmemory_policy[32];
    char enable_debug_command[8]; /* no | yes | local, as in Redis */
    char notify_keyspace_events[32]; /* Redis's class letters; "" = off (Redis's default) */
    /* persistence (persister role; the engine reads what it must enforce) */
    char appendonly[4];       /* yes | no */
    char appendfsync[16];     /* always | everysec | no */
    char appendfilename[256]; /* base name of the AOF files */
    char appenddirname[256];  /* directory of the AOF files inside dir */
    int auto_aof_rewrite_percentage;     /* growth over the base that makes a new base; 0 = off */
    long long auto_aof_rewrite_min_size; /* ...once the AOF is at least this large */
    char snapshot[256];       /* snapshot file name inside dir (Redis's dbfilename) */
    char snapshot_interval[32]; /* "0" = off, or a duration like 300, 5m, 1h */
    char save[256];           /* Redis-style save rules "secs changes ...", "" = none */
    char client_output_buffer_limit[256]; /* "class hard soft secs ..." lines joined */
    long long effect_backlog_size; /* bytes of recent effects the engine keeps for consumers */
    char requirepass[512];    /* the default user's password ("" = none), as redis.conf */
    /* settings only the engine has (timeout, encodings...): "name value...\n" lines in the
     * order given; the engine applies them at start with CONFIG SET's rules */
    char engine_settings[4096];
    /* frontend */
    int batches_in_flight; /* CMD_BATCHes a frontend may have unanswered (default 1) */
    char cpu_affinity[128]; /* CPUs for the engine and frontends: auto, none or a list */
    /* supervisor */
    int watchdog_ms;       /* a child silent this long is considered hung and restarted */
    /* scheduler: cron jobs and webhook delivery (DESIGN.md §7) */
    char cron_timezone[64];   /* zone cron expressions are read in (default UTC) */
    char cron_catchup[8];     /* skip | once: runs missed while Vole was down */
    int cron_time_scale;      /* tests: the scheduler's cron clock runs this many times faster */
    int webhook_timeout_ms;   /* one delivery attempt's time limit */
    int webhook_retries;      /* attempts after the first before a delivery counts as failed */
    int webhook_retry_base_ms; /* first retry delay; doubles each time, with jitter */
    int webhook_max_inflight; /* concurrent HTTP requests */
    int webhook_queue_max;    /* deliveries the scheduler holds (queued + in flight + waiting) */
    long long webhook_outbox_max;       /* engine: undelivered events kept (records) */
    long long webhook_outbox_max_bytes; /* engine: and bytes */
    /* HTTP frontend (frontend-http role, started when http_addr is set) */
    char http_addr[128];         /* HTTP/JSON API address host:port or :port; "" = off */
    long long http_max_body;     /* largest request body (413 above) */
    int http_max_header;         /* largest request line + header section (431 above) */
    int http_request_timeout_ms; /* a request must arrive completely within this (408) */
    int http_idle_timeout_ms;    /* an idle keep-alive connection is closed after this */
    char http_cors_origin[256];  /* Access-Control-Allow-Origin value; "" = no CORS headers */
    int http_sse_heartbeat_ms;   /* SSE comment line sent this often on quiet streams */
    long long http_sse_max_buffer; /* an SSE reader that lets this much pile up is dropped */
} vole_config_t;

void config_defaults(vole_config_t *c);
/* Parses argv (flags; --config FILE is loaded first so flags win). Returns 0, or -1 with a
 * message in err. --help sets *help. */
int config_parse_args(vole_config_t *c, int argc, char **argv, int *help, char *err, size_t errlen);
/* Applies one "name value..." setting (from a file line or a flag); 0 or -1 with err. */
int config_set(vole_config_t *c, const char *name, int argc, char **argv, char *err, size_t errlen);
int config_load_file(vole_config_t *c, const char *path, char *err, size_t errlen);
/* Fills derived defaults (run_dir, engine_ep) once parsing is done. */
void config_finish(vole_config_t *c);
/* Prints every flag with its meaning and default. */
void config_print_help(const char *prog);
/* Parses a memory size like Redis ("512mb", "1gb", "100"); returns -1 when invalid. */
long long config_memtoll(const char *s, int *ok);
#endif
