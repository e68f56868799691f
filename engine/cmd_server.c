/* Connection and server commands: PING, ECHO, HELLO, QUIT, RESET, SELECT, TIME, DEBUG and
 * INFO with its sections. */
#include <jemalloc/jemalloc.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "engine/blocking.h"
#include "engine/commands.h"
#include "engine/core.h"
#include "engine/effects_backlog.h"
#include "engine/engine.h"
#include "engine/persist.h"
#include "engine/monitor.h"
#include "engine/multi.h"
#include "engine/pubsub.h"
#include "engine/tracking.h"
#include "shared/buf.h"
#include "shared/log.h"
#include "shared/resp.h"
#include "shared/util.h"

/* Shared with cmd_client.c (not yet in engine.h; see the report to the lead). */

#ifndef VOLE_VERSION
#define VOLE_VERSION "0.1.0"
#endif
/* Clients gate features on the Redis version they believe they talk to. */
#define REDIS_COMPAT_VERSION "7.0.15"

#define STR2(x) #x
#define STR(x) STR2(x)

static void s_reply_arity(client_t *c) {
    reply_errorf(c, "wrong number of arguments for '%s' command",
                 c->cmd ? c->cmd->fullname : "unknown");
}

/* ===================== connection commands ===================== */

void cmd_ping(client_t *c) {
    if (c->argc > 2) {
        s_reply_arity(c);
        return;
    }
    if ((c->flags & CLIENT_PUBSUB) && c->resp == 2) {
        /* subscribed RESP2 clients get the reply in the shape of a message */
        reply_array(c, 2);
        reply_bulk(c, "pong", 4);
        reply_bulk(c, c->argc == 2 ? c->argv[1].ptr : "", c->argc == 2 ? c->argv[1].len : 0);
    } else if (c->argc == 1) {
        reply_simple(c, "PONG");
    } else {
        reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
    }
}

void cmd_echo(client_t *c) { reply_bulk(c, c->argv[1].ptr, c->argv[1].len); }

int auth_check(const proto_arg_t *user, const proto_arg_t *pass) {
    if (!(user->len == 7 && memcmp(user->ptr, "default", 7) == 0)) return 0;
    const char *want = config_requirepass();
    size_t wl = strlen(want);
    if (!wl) return 1; /* nopass */
    /* compared in time independent of where they differ */
    unsigned char diff = (unsigned char)(pass->len != wl);
    for (size_t i = 0; i < wl; i++)
        diff |= (unsigned char)(want[i] ^ (i < pass->len ? pass->ptr[i] : 0));
    return diff == 0;
}

void cmd_auth(client_t *c) {
    if (c->argc > 3) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    static const proto_arg_t def = {"default", 7};
    const proto_arg_t *user = c->argc == 3 ? &c->argv[1] : &def, *pass = &c->argv[c->argc - 1];
    if (c->argc == 2 && !config_requirepass()[0]) {
        reply_error(c, "AUTH <password> called without any password configured for the default "
                       "user. Are you sure your configuration is correct?");
        return;
    }
    if (!auth_check(user, pass)) {
        reply_error(c, "-WRONGPASS invalid username-password pair or user is disabled.");
        return;
    }
    c->flags |= CLIENT_AUTHED;
    reply_ok(c);
}

void cmd_hello(client_t *c) {
    long long ver = 0;
    int next = 1;
    if (c->argc >= 2) {
        next = 2;
        if (!str_to_ll(c->argv[1].ptr, c->argv[1].len, &ver)) {
            reply_error(c, "-ERR Protocol version is not an integer or out of range");
            return;
        }
        if (ver < 2 || ver > 3) {
            reply_error(c, "-NOPROTO unsupported protocol version");
            return;
        }
    }
    /* Options take effect one by one, as in Redis 7.0: a later bad option does not undo an
     * earlier SETNAME. */
    for (int j = next; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        const proto_arg_t *opt = &c->argv[j];
        if (arg_is(opt, "auth") && more >= 2) {
            /* the only user until ACLs exist is "default", with requirepass as its password
             * (none: any password is accepted, as Redis's nopass default user) */
            if (!auth_check(&c->argv[j + 1], &c->argv[j + 2])) {
                reply_error(c, "-WRONGPASS invalid username-password pair or user is disabled.");
                return;
            }
            c->flags |= CLIENT_AUTHED;
            j += 2;
        } else if (arg_is(opt, "setname") && more >= 1) {
            const proto_arg_t *name = &c->argv[j + 1];
            if (!client_name_is_valid(name->ptr, name->len)) {
                reply_error(c, "-ERR Client names cannot contain spaces, newlines or special "
                               "characters.");
                return;
            }
            client_set_name(c, name->ptr, name->len);
            j++;
        } else {
            reply_errorf(c, "Syntax error in HELLO option '%.*s'", (int)opt->len, opt->ptr);
            return;
        }
    }
    if (ver) c->resp = (int)ver;

    reply_map(c, 7);
    reply_bulk_cstr(c, "server");
    reply_bulk_cstr(c, "redis");
    reply_bulk_cstr(c, "version");
    reply_bulk_cstr(c, REDIS_COMPAT_VERSION);
    reply_bulk_cstr(c, "proto");
    reply_int(c, c->resp);
    reply_bulk_cstr(c, "id");
    reply_int(c, (long long)c->id);
    reply_bulk_cstr(c, "mode");
    reply_bulk_cstr(c, "standalone");
    reply_bulk_cstr(c, "role");
    reply_bulk_cstr(c, "master");
    reply_bulk_cstr(c, "modules");
    reply_array(c, 0);
}

void cmd_quit(client_t *c) {
    reply_ok(c);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

/* Back to the state of a fresh connection. MULTI, subscriptions and tracking hook in here
 * as they arrive. */
void cmd_reset(client_t *c) {
    c->db = db_get(c->eng, 0);
    c->resp = 2;
    client_set_name(c, NULL, 0);
    multi_client_free(c);
    pubsub_client_free(c);
    monitor_client_free(c);
    tracking_client_free(c);
    reply_simple(c, "RESET");
}

void cmd_select(client_t *c) {
    long long id;
    if (!str_to_ll(c->argv[1].ptr, c->argv[1].len, &id)) {
        reply_error(c, ERR_NOT_INT);
        return;
    }
    if (id < INT_MIN || id > INT_MAX) {
        reply_error(c, "-ERR value is out of range, value must between -2147483648 and "
                       "2147483647");
        return;
    }
    db_t *db = db_get(c->eng, (int)id);
    if (!db) {
        reply_error(c, ERR_DB_INDEX);
        return;
    }
    c->db = db;
    reply_ok(c);
}

void cmd_time(client_t *c) {
    int64_t us = now_us();
    reply_array(c, 2);
    reply_bulk_ll(c, us / 1000000);
    reply_bulk_ll(c, us % 1000000);
}

/* ===================== DEBUG ===================== */

static void s_debug_protocol(client_t *c) {
    const proto_arg_t *t = &c->argv[2];
    buf_t b;
    buf_init(&b);
    if (arg_is(t, "string")) {
        reply_bulk_cstr(c, "Hello World");
    } else if (arg_is(t, "integer")) {
        reply_int(c, 12345);
    } else if (arg_is(t, "double")) {
        reply_double(c, 3.141);
    } else if (arg_is(t, "bignum")) {
        resp_bignum(&b, c->resp, "1234567999999999999999999999999999999", 37);
        reply_raw(c, b.data, b.len);
    } else if (arg_is(t, "null")) {
        reply_null(c);
    } else if (arg_is(t, "array") || arg_is(t, "set")) {
        if (arg_is(t, "set")) reply_set(c, 3);
        else reply_array(c, 3);
        for (int j = 0; j < 3; j++) reply_int(c, j);
    } else if (arg_is(t, "map")) {
        reply_map(c, 3);
        for (int j = 0; j < 3; j++) {
            reply_int(c, j);
            reply_bool(c, j == 1);
        }
    } else if (arg_is(t, "attrib")) {
        if (c->resp >= 3) {
            buf_append_str(&b, "|1\r\n");
            resp_bulk(&b, "key-popularity", 14);
            resp_array(&b, 2);
            resp_bulk(&b, "key:123", 7);
            resp_int(&b, 90);
            reply_raw(c, b.data, b.len);
        }
        reply_bulk_cstr(c, "Some real reply following the attribute");
    } else if (arg_is(t, "push")) {
        if (c->resp < 3) {
            reply_error(c, "-ERR RESP2 is not supported by this command");
        } else {
            resp_push(&b, c->resp, 2);
            resp_bulk(&b, "server-cpu-usage", 16);
            resp_int(&b, 42);
            reply_raw(c, b.data, b.len);
            reply_bulk_cstr(c, "Some real reply following the push reply");
        }
    } else if (arg_is(t, "verbatim")) {
        reply_verbatim(c, "This is a verbatim\nstring", 25, "txt");
    } else if (arg_is(t, "true")) {
        reply_bool(c, 1);
    } else if (arg_is(t, "false")) {
        reply_bool(c, 0);
    } else {
        reply_error(c, "-ERR Wrong protocol type name. Please use one of the following: "
                       "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|"
                       "true|false");
    }
    buf_free(&b);
}

/* Copies an argument into a NUL-terminated buffer (truncating) for atof/atoi-style parsing. */
static void s_arg_cstr(const proto_arg_t *a, char *dst, size_t cap) {
    size_t n = a->len < cap - 1 ? a->len : cap - 1;
    memcpy(dst, a->ptr, n);
    dst[n] = '\0';
}

void cmd_debug(client_t *c) {
    const proto_arg_t *sub = &c->argv[1];
    char tmp[128];
    if (c->argc == 2 && arg_is(sub, "help")) {
        static const char *lines[] = {
            "ERROR <string>",
            "    Reply with an error whose text is <string> (for client tests).",
            "LOG <message>",
            "    Write <message> to the server log.",
            "PROTOCOL <type>",
            "    Reply with a sample of a RESP type: string, integer, double, bignum, null,",
            "    array, set, map, attrib, push, verbatim, true or false.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Turn the background expiry of keys off or on; keys still expire on access.",
            "SLEEP <seconds>",
            "    Hold the engine for <seconds> (fractions allowed) without serving anyone.",
            NULL,
        };
        reply_help(c, lines);
    } else if (c->argc == 3 && arg_is(sub, "sleep")) {
        /* atof semantics: garbage means 0; negative, NaN or absurd values do not sleep */
        s_arg_cstr(&c->argv[2], tmp, sizeof tmp);
        double secs = strtod(tmp, NULL);
        if (isfinite(secs) && secs > 0 && secs < 9.2e12) {
            long long us = (long long)(secs * 1000000);
            struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
            while (nanosleep(&ts, &ts) == -1) {
            }
        }
        reply_ok(c);
    } else if (c->argc == 3 && arg_is(sub, "set-active-expire")) {
        s_arg_cstr(&c->argv[2], tmp, sizeof tmp);
        c->eng->cfg.active_expire = atoi(tmp);
        reply_ok(c);
    } else if (c->argc == 3 && arg_is(sub, "error")) {
        /* sent verbatim after '-', with line breaks blanked so the reply stays one line */
        const proto_arg_t *m = &c->argv[2];
        buf_t b;
        buf_init(&b);
        buf_append(&b, "-", 1);
        for (size_t i = 0; i < m->len; i++) {
            char ch = m->ptr[i];
            buf_put_u8(&b, (uint8_t)((ch == '\r' || ch == '\n') ? ' ' : ch));
        }
        buf_append(&b, "\r\n", 2);
        reply_raw(c, b.data, b.len);
        buf_free(&b);
    } else if (c->argc == 3 && arg_is(sub, "log")) {
        log_warn("DEBUG LOG: %.*s", (int)c->argv[2].len, c->argv[2].ptr);
        reply_ok(c);
    } else if (c->argc == 3 && arg_is(sub, "protocol")) {
        s_debug_protocol(c);
    } else {
        reply_subcommand_syntax_error(c);
    }
}

/* ===================== INFO ===================== */

enum {
    SEC_SERVER = 1 << 0, SEC_CLIENTS = 1 << 1, SEC_MEMORY = 1 << 2, SEC_PERSISTENCE = 1 << 3,
    SEC_STATS = 1 << 4, SEC_REPLICATION = 1 << 5, SEC_CPU = 1 << 6, SEC_MODULES = 1 << 7,
    SEC_COMMANDSTATS = 1 << 8, SEC_ERRORSTATS = 1 << 9, SEC_LATENCYSTATS = 1 << 10,
    SEC_CLUSTER = 1 << 11, SEC_KEYSPACE = 1 << 12,
};
#define SEC_ALL 0x1fff
#define SEC_DEFAULT (SEC_ALL & ~(SEC_COMMANDSTATS | SEC_LATENCYSTATS))

static const struct {
    const char *name;
    unsigned bit;
} s_sections[] = {
    {"server", SEC_SERVER},           {"clients", SEC_CLIENTS},
    {"memory", SEC_MEMORY},           {"persistence", SEC_PERSISTENCE},
    {"stats", SEC_STATS},             {"replication", SEC_REPLICATION},
    {"cpu", SEC_CPU},                 {"modules", SEC_MODULES},
    {"commandstats", SEC_COMMANDSTATS}, {"errorstats", SEC_ERRORSTATS},
    {"latencystats", SEC_LATENCYSTATS}, {"cluster", SEC_CLUSTER},
    {"keyspace", SEC_KEYSPACE},       {NULL, 0},
};

/* Numbers the engine samples itself between INFO calls (Redis keeps them in its cron). */
static struct {
    int64_t ops_ms;
    long long ops_cmds, ops_rate;
    char replid[41];
} s_info;

/* Redis's human-readable sizes: B below 1K, then K/M/G/T/P with two decimals. */
static void s_human(char *dst, size_t cap, unsigned long long n) {
    static const char units[] = "KMGTP";
    if (n < 1024) {
        snprintf(dst, cap, "%lluB", n);
        return;
    }
    double d = (double)n / 1024;
    int u = 0;
    while (u < 4 && d >= 1024) {
        d /= 1024;
        u++;
    }
    if (d >= 1024) snprintf(dst, cap, "%lluB", n); /* beyond petabytes, as Redis does */
    else snprintf(dst, cap, "%.2f%c", d, units[u]);
}

static const char *s_port(const engine_t *e) {
    const char *colon = strrchr(e->cfg.bind_addr, ':');
    return colon ? colon + 1 : "0";
}

static void s_info_server(engine_t *e, buf_t *b) {
    struct utsname un;
    if (uname(&un) != 0) memset(&un, 0, sizeof un);
    char exe[512];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    int64_t now = now_us();
    long long uptime = (now / 1000 - e->start_ms) / 1000;
    buf_printf(b,
               "# Server\r\n"
               "redis_version:" REDIS_COMPAT_VERSION "\r\n"
               "vole_version:" VOLE_VERSION "\r\n"
               "redis_git_sha1:00000000\r\n"
               "redis_git_dirty:0\r\n"
               "redis_mode:standalone\r\n"
               "os:%s %s %s\r\n"
               "arch_bits:%d\r\n"
               "monotonic_clock:POSIX clock_gettime\r\n"
               "gcc_version:%d.%d.%d\r\n"
               "process_id:%ld\r\n"
               "process_supervised:no\r\n"
               "run_id:%s\r\n"
               "tcp_port:%s\r\n"
               "server_time_usec:%lld\r\n"
               "uptime_in_seconds:%lld\r\n"
               "uptime_in_days:%lld\r\n"
               "hz:%d\r\n"
               "configured_hz:%d\r\n"
               "lru_clock:%u\r\n"
               "executable:%s\r\n"
               "io_threads_active:0\r\n",
               un.sysname, un.release, un.machine, (int)(sizeof(long) * 8),
#ifdef __GNUC__
               __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__,
#else
               0, 0, 0,
#endif
               (long)getpid(), e->run_id, s_port(e), (long long)now, uptime, uptime / 86400,
               e->cfg.hz, e->cfg.hz, e->lruclock & ((1u << 24) - 1), exe);
}

static void s_info_clients(engine_t *e, buf_t *b) {
    buf_printf(b,
               "# Clients\r\n"
               "connected_clients:%lld\r\n"
               "cluster_connections:0\r\n"
               "maxclients:%lld\r\n"
               "client_recent_max_input_buffer:0\r\n"
               "client_recent_max_output_buffer:0\r\n"
               "blocked_clients:%lld\r\n"
               "tracking_clients:%lld\r\n"
               "clients_in_timeout_table:%lld\r\n",
               e->connected_clients, e->cfg.maxclients, blocking_blocked_count(),
               tracking_clients_count, blocking_timeout_count());
}

static void s_info_memory(engine_t *e, buf_t *b) {
    engine_mem_t m;
    engine_memory(e, &m);
    size_t allocated = m.allocated, active = m.active, resident = m.resident, rss = m.rss;
    size_t peak = m.peak;
    unsigned long long total = (unsigned long long)sysconf(_SC_PHYS_PAGES) *
                               (unsigned long long)sysconf(_SC_PAGESIZE);
    char h_used[32], h_rss[32], h_peak[32], h_total[32], h_max[32];
    s_human(h_used, sizeof h_used, allocated);
    s_human(h_rss, sizeof h_rss, rss);
    s_human(h_peak, sizeof h_peak, peak);
    s_human(h_total, sizeof h_total, total);
    s_human(h_max, sizeof h_max, (unsigned long long)e->cfg.maxmemory);
    double peak_perc = peak ? (double)allocated * 100 / (double)peak : 0;
    double frag = allocated ? (double)rss / (double)allocated : 0;
    buf_printf(b,
               "# Memory\r\n"
               "used_memory:%zu\r\n"
               "used_memory_human:%s\r\n"
               "used_memory_rss:%zu\r\n"
               "used_memory_rss_human:%s\r\n"
               "used_memory_peak:%zu\r\n"
               "used_memory_peak_human:%s\r\n"
               "used_memory_peak_perc:%.2f%%\r\n"
               "allocator_allocated:%zu\r\n"
               "allocator_active:%zu\r\n"
               "allocator_resident:%zu\r\n"
               "total_system_memory:%llu\r\n"
               "total_system_memory_human:%s\r\n"
               "maxmemory:%lld\r\n"
               "maxmemory_human:%s\r\n"
               "maxmemory_policy:%s\r\n"
               "allocator_frag_ratio:%.2f\r\n"
               "allocator_frag_bytes:%lld\r\n"
               "allocator_rss_ratio:%.2f\r\n"
               "allocator_rss_bytes:%lld\r\n"
               "mem_fragmentation_ratio:%.2f\r\n"
               "mem_fragmentation_bytes:%lld\r\n"
               "mem_not_counted_for_evict:%zu\r\n"
               "mem_allocator:jemalloc-" STR(JEMALLOC_VERSION_MAJOR) "." STR(
                   JEMALLOC_VERSION_MINOR) "." STR(JEMALLOC_VERSION_BUGFIX) "\r\n"
               "active_defrag_running:0\r\n"
               "lazyfree_pending_objects:0\r\n"
               "lazyfreed_objects:0\r\n",
               allocated, h_used, rss, h_rss, peak, h_peak, peak_perc, allocated, active, resident,
               total, h_total, e->cfg.maxmemory, h_max, e->cfg.maxmemory_policy,
               allocated ? (double)active / (double)allocated : 0,
               (long long)active - (long long)allocated,
               active ? (double)resident / (double)active : 0,
               (long long)resident - (long long)active, frag,
               (long long)rss - (long long)allocated, effects_memory(e));
}

static void s_info_persistence(engine_t *e, buf_t *b) { persist_info(e, b); }

static void s_info_stats(engine_t *e, buf_t *b) {
    const engine_stats_t *s = &e->stats;
    int64_t now = now_ms();
    if (s_info.ops_ms == 0) {
        s_info.ops_ms = now;
        s_info.ops_cmds = s->total_commands;
    } else if (now - s_info.ops_ms >= 100) {
        s_info.ops_rate = (s->total_commands - s_info.ops_cmds) * 1000 / (now - s_info.ops_ms);
        s_info.ops_ms = now;
        s_info.ops_cmds = s->total_commands;
    }
    long long channels, patterns, shard_channels;
    pubsub_counts(e, &channels, &patterns, &shard_channels);
    long long tr_keys, tr_items, tr_prefixes;
    tracking_stats(&tr_keys, &tr_items, &tr_prefixes);
    long long fork_usec, forks;
    persist_fork_stats(e, &fork_usec, &forks);
    buf_printf(b,
               "# Stats\r\n"
               "total_connections_received:%lld\r\n"
               "total_commands_processed:%lld\r\n"
               "instantaneous_ops_per_sec:%lld\r\n"
               "total_net_input_bytes:%lld\r\n"
               "total_net_output_bytes:%lld\r\n"
               "rejected_connections:%lld\r\n"
               "sync_full:0\r\n"
               "sync_partial_ok:0\r\n"
               "sync_partial_err:0\r\n"
               "expired_keys:%lld\r\n"
               "evicted_keys:%lld\r\n"
               "evicted_clients:0\r\n"
               "keyspace_hits:%lld\r\n"
               "keyspace_misses:%lld\r\n"
               "pubsub_channels:%lld\r\n"
               "pubsub_patterns:%lld\r\n"
               "pubsubshard_channels:%lld\r\n"
               "latest_fork_usec:%lld\r\n"
               "total_forks:%lld\r\n"
               "tracking_total_keys:%lld\r\n"
               "tracking_total_items:%lld\r\n"
               "tracking_total_prefixes:%lld\r\n"
               "total_error_replies:%lld\r\n"
               "vole_batches_received:%lld\r\n",
               s->total_connections, s->total_commands, s_info.ops_rate,
               s->total_net_input_bytes, s->total_net_output_bytes, s->rejected_connections,
               s->expired_keys, s->evicted_keys, s->keyspace_hits, s->keyspace_misses,
               channels, patterns, shard_channels, fork_usec, forks, tr_keys, tr_items,
               tr_prefixes, s->total_error_replies, s->batches);
}

static void s_info_replication(engine_t *e, buf_t *b) {
    (void)e;
    if (!s_info.replid[0]) {
        /* our own replication id, distinct from the run id as in Redis */
        static const char hex[] = "0123456789abcdef";
        unsigned long long x = (unsigned long long)now_us() ^ ((unsigned long long)getpid() << 32);
        for (int i = 0; i < 40; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            s_info.replid[i] = hex[x & 15];
        }
        s_info.replid[40] = '\0';
    }
    buf_printf(b,
               "# Replication\r\n"
               "role:master\r\n"
               "connected_slaves:0\r\n"
               "master_failover_state:no-failover\r\n"
               "master_replid:%s\r\n"
               "master_replid2:0000000000000000000000000000000000000000\r\n"
               "master_repl_offset:0\r\n"
               "second_repl_offset:-1\r\n"
               "repl_backlog_active:0\r\n"
               "repl_backlog_size:1048576\r\n"
               "repl_backlog_first_byte_offset:0\r\n"
               "repl_backlog_histlen:0\r\n",
               s_info.replid);
}

static void s_info_cpu(buf_t *b) {
    struct rusage self, children, thread;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
#ifdef RUSAGE_THREAD
    getrusage(RUSAGE_THREAD, &thread);
#else
    thread = self;
#endif
    buf_printf(b,
               "# CPU\r\n"
               "used_cpu_sys:%ld.%06ld\r\n"
               "used_cpu_user:%ld.%06ld\r\n"
               "used_cpu_sys_children:%ld.%06ld\r\n"
               "used_cpu_user_children:%ld.%06ld\r\n"
               "used_cpu_sys_main_thread:%ld.%06ld\r\n"
               "used_cpu_user_main_thread:%ld.%06ld\r\n",
               (long)self.ru_stime.tv_sec, (long)self.ru_stime.tv_usec,
               (long)self.ru_utime.tv_sec, (long)self.ru_utime.tv_usec,
               (long)children.ru_stime.tv_sec, (long)children.ru_stime.tv_usec,
               (long)children.ru_utime.tv_sec, (long)children.ru_utime.tv_usec,
               (long)thread.ru_stime.tv_sec, (long)thread.ru_stime.tv_usec,
               (long)thread.ru_utime.tv_sec, (long)thread.ru_utime.tv_usec);
}

static void s_cmdstat(buf_t *b, const command_t *cmd) {
    if (!cmd->calls && !cmd->failed && !cmd->rejected) return;
    buf_printf(b,
               "cmdstat_%s:calls=%lld,usec=%lld,usec_per_call=%.2f,rejected_calls=%lld,"
               "failed_calls=%lld\r\n",
               cmd->fullname, cmd->calls, cmd->usec,
               cmd->calls ? (double)cmd->usec / (double)cmd->calls : 0.0, cmd->rejected,
               cmd->failed);
}

static void s_info_commandstats(buf_t *b) {
    buf_append_str(b, "# Commandstats\r\n");
    for (const command_t *cmd = commands_table(); cmd && cmd->name; cmd++) {
        s_cmdstat(b, cmd);
        if (cmd->subcommands)
            for (const command_t *sub = cmd->subcommands; sub->name; sub++) s_cmdstat(b, sub);
    }
}

/* Redis 7's latencystats lines (p50, p99, p99.9 in microseconds), from each command's
 * power-of-two histogram: a percentile is the upper edge of the bucket that holds it. */
static void s_latstat(buf_t *b, const command_t *cmd) {
    if (!cmd->calls) return;
    buf_printf(b, "latency_percentiles_usec_%s:p50=%.3f,p99=%.3f,p99.9=%.3f\r\n", cmd->fullname,
               command_latency_percentile(cmd, 0.5), command_latency_percentile(cmd, 0.99),
               command_latency_percentile(cmd, 0.999));
}

static void s_info_latencystats(buf_t *b) {
    buf_append_str(b, "# Latencystats\r\n");
    for (const command_t *cmd = commands_table(); cmd && cmd->name; cmd++) {
        s_latstat(b, cmd);
        for (const command_t *sub = cmd->subcommands; sub && sub->name; sub++) s_latstat(b, sub);
    }
}

static void s_info_keyspace(engine_t *e, buf_t *b) {
    buf_append_str(b, "# Keyspace\r\n");
    for (int i = 0; i < e->cfg.databases; i++) {
        db_t *db = &e->dbs[i];
        unsigned long long keys = dict_size(db->keys);
        if (!keys) continue;
        buf_printf(b, "db%d:keys=%llu,expires=%llu,avg_ttl=%lld\r\n", i, keys,
                   (unsigned long long)dict_size(db->expires), db->avg_ttl);
    }
    core_info_keyspace(e, b); /* namespaces (engine/core.h) */
}

/* Sections requested by the arguments (Redis's INFO [section ...]; unknown names add
 * nothing). */
static unsigned s_info_sections(client_t *c) {
    if (c->argc < 2) return SEC_DEFAULT;
    unsigned want = 0;
    for (int i = 1; i < c->argc; i++) {
        const proto_arg_t *a = &c->argv[i];
        if (arg_is(a, "all") || arg_is(a, "everything")) {
            want |= SEC_ALL;
            continue;
        }
        if (arg_is(a, "default")) {
            want |= SEC_DEFAULT;
            continue;
        }
        for (int j = 0; s_sections[j].name; j++)
            if (arg_is(a, s_sections[j].name)) want |= s_sections[j].bit;
    }
    return want;
}

void cmd_info(client_t *c) {
    engine_t *e = c->eng;
    unsigned want = s_info_sections(c);
    buf_t b;
    buf_init(&b);
    for (int j = 0; s_sections[j].name; j++) {
        unsigned bit = s_sections[j].bit;
        if (!(want & bit)) continue;
        /* per-error-code statistics are not kept yet */
        if (bit == SEC_ERRORSTATS) continue;
        if (b.len) buf_append(&b, "\r\n", 2);
        switch (bit) {
        case SEC_SERVER: s_info_server(e, &b); break;
        case SEC_CLIENTS: s_info_clients(e, &b); break;
        case SEC_MEMORY: s_info_memory(e, &b); break;
        case SEC_PERSISTENCE: s_info_persistence(e, &b); break;
        case SEC_STATS: s_info_stats(e, &b); break;
        case SEC_REPLICATION: s_info_replication(e, &b); break;
        case SEC_CPU: s_info_cpu(&b); break;
        case SEC_MODULES: buf_append_str(&b, "# Modules\r\n"); break;
        case SEC_COMMANDSTATS: s_info_commandstats(&b); break;
        case SEC_LATENCYSTATS: s_info_latencystats(&b); break;
        case SEC_CLUSTER: buf_append_str(&b, "# Cluster\r\ncluster_enabled:0\r\n"); break;
        case SEC_KEYSPACE: s_info_keyspace(e, &b); break;
        }
    }
    reply_verbatim(c, b.data ? b.data : "", b.len, "txt");
    buf_free(&b);
}
