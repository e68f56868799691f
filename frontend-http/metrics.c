/* Prometheus exposition of INFO EVERYTHING, HTTP counters and process restarts. */
#include "frontend-http/metrics.h"

#include <stdio.h>
#include <string.h>

#include "shared/util.h"

typedef struct {
    const char *field, *name, *type, *help;
} info_metric_t;

/* INFO fields exported as they are, one sample each. */
static const info_metric_t s_info[] = {
    {"uptime_in_seconds", "vole_uptime_seconds", "gauge", "Seconds since the engine started."},
    {"connected_clients", "vole_connected_clients", "gauge", "Client connections open on the engine (all frontends)."},
    {"blocked_clients", "vole_blocked_clients", "gauge", "Clients waiting in a blocking command."},
    {"maxclients", "vole_max_clients", "gauge", "Configured maximum number of clients."},
    {"used_memory", "vole_memory_used_bytes", "gauge", "Bytes allocated for data by the engine."},
    {"used_memory_rss", "vole_memory_rss_bytes", "gauge", "Resident set size of the engine."},
    {"used_memory_peak", "vole_memory_peak_bytes", "gauge", "Peak of used_memory."},
    {"maxmemory", "vole_memory_max_bytes", "gauge", "Configured memory limit (0 = none)."},
    {"total_connections_received", "vole_connections_received_total", "counter", "Client connections accepted."},
    {"rejected_connections", "vole_connections_rejected_total", "counter", "Connections refused (maxclients)."},
    {"total_commands_processed", "vole_commands_processed_total", "counter", "Commands executed by the engine."},
    {"total_net_input_bytes", "vole_net_input_bytes_total", "counter", "Bytes of commands received by the engine."},
    {"total_net_output_bytes", "vole_net_output_bytes_total", "counter", "Bytes of replies sent by the engine."},
    {"keyspace_hits", "vole_keyspace_hits_total", "counter", "Successful key lookups."},
    {"keyspace_misses", "vole_keyspace_misses_total", "counter", "Failed key lookups."},
    {"expired_keys", "vole_expired_keys_total", "counter", "Keys removed because their TTL passed."},
    {"evicted_keys", "vole_evicted_keys_total", "counter", "Keys evicted by the maxmemory policy."},
    {"pubsub_channels", "vole_pubsub_channels", "gauge", "Channels with subscribers."},
    {"pubsub_patterns", "vole_pubsub_patterns", "gauge", "Subscribed patterns."},
    {"loading", "vole_loading", "gauge", "1 while the engine loads its data."},
    {"rdb_changes_since_last_save", "vole_changes_since_last_save", "gauge", "Writes since the last snapshot."},
    {"rdb_bgsave_in_progress", "vole_snapshot_in_progress", "gauge", "1 while a snapshot is written."},
    {"rdb_last_save_time", "vole_last_snapshot_timestamp_seconds", "gauge", "Unix time of the last snapshot."},
    {"aof_enabled", "vole_aof_enabled", "gauge", "1 when the append-only file is on."},
    {"aof_rewrite_in_progress", "vole_aof_rewrite_in_progress", "gauge", "1 while the AOF is rewritten."},
    {"connected_slaves", "vole_replication_connected_replicas", "gauge", "Replicas connected to this node."},
    {"master_repl_offset", "vole_replication_offset", "gauge", "Replication offset of this node."},
};
#define NINFO (sizeof s_info / sizeof s_info[0])

static void s_head(buf_t *b, const char *name, const char *type, const char *help) {
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with Prometheus's escapes (\\, \", \n). */
static void s_label(buf_t *b, const char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\' || p[i] == '"') buf_put_u8(b, '\\'), buf_put_u8(b, (uint8_t)p[i]);
        else if (p[i] == '\n') buf_append_str(b, "\\n");
        else buf_put_u8(b, (uint8_t)p[i]);
    }
}

/* Value of "name=" inside "a=1,b=2" */
static int s_kv(const char *p, size_t n, const char *name, double *out) {
    size_t nl = strlen(name);
    const char *end = p + n;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *e = comma ? comma : end;
        if ((size_t)(e - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=') {
            char tmp[64];
            size_t vl = (size_t)(e - p - nl - 1);
            if (vl >= sizeof tmp) return 0;
            memcpy(tmp, p + nl + 1, vl);
            tmp[vl] = '\0';
            return sscanf(tmp, "%lf", out) == 1;
        }
        p = comma ? comma + 1 : end;
    }
    return 0;
}

static void s_num(buf_t *b, double v) {
    char tmp[64];
    if (v == (double)(long long)v && v < 9e15 && v > -9e15) snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    else snprintf(tmp, sizeof tmp, "%.17g", v);
    buf_append_str(b, tmp);
}

static void s_engine(buf_t *out, const char *info, size_t len) {
    buf_t samples[NINFO];
    for (size_t i = 0; i < NINFO; i++) buf_init(&samples[i]);
    enum { C_CALLS, C_USEC, C_REJ, C_FAIL, K_KEYS, K_EXP, C_LAT, NFAM };
    static const char *const fam[NFAM][3] = {
        {"vole_command_calls_total", "counter", "Calls per command."},
        {"vole_command_duration_seconds_total", "counter", "Time spent executing each command."},
        {"vole_command_rejected_calls_total", "counter", "Calls refused before running (arity, ACL, OOM...)."},
        {"vole_command_failed_calls_total", "counter", "Calls that ran and answered an error."},
        {"vole_db_keys", "gauge", "Keys per database."},
        {"vole_db_expiring_keys", "gauge", "Keys with a TTL per database."},
        {"vole_command_latency_seconds", "summary",
         "Command execution time in the engine: p50, p99, p99.9 (INFO latencystats)."},
    };
    buf_t fb[NFAM];
    for (int i = 0; i < NFAM; i++) buf_init(&fb[i]);
    const char *role = NULL;
    size_t role_len = 0;
    const char *p = info, *end = info + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        size_t ll = (size_t)(le - p);
        if (ll && p[ll - 1] == '\r') ll--;
        const char *colon = ll && p[0] != '#' ? memchr(p, ':', ll) : NULL;
        if (colon) {
            size_t nl = (size_t)(colon - p);
            const char *v = colon + 1;
            size_t vl = ll - nl - 1;
            if (nl > 8 && memcmp(p, "cmdstat_", 8) == 0) {
                double calls = 0, usec = 0, rej = 0, fail = 0;
                s_kv(v, vl, "calls", &calls);
                s_kv(v, vl, "usec", &usec);
                s_kv(v, vl, "rejected_calls", &rej);
                s_kv(v, vl, "failed_calls", &fail);
                if (calls > 0) {
                    /* the summary's sum and count, beside its quantiles below */
                    buf_printf(&fb[C_LAT], "vole_command_latency_seconds_sum{cmd=\"");
                    s_label(&fb[C_LAT], p + 8, nl - 8);
                    buf_append_str(&fb[C_LAT], "\"} ");
                    s_num(&fb[C_LAT], usec / 1e6);
                    buf_printf(&fb[C_LAT], "\nvole_command_latency_seconds_count{cmd=\"");
                    s_label(&fb[C_LAT], p + 8, nl - 8);
                    buf_append_str(&fb[C_LAT], "\"} ");
                    s_num(&fb[C_LAT], calls);
                    buf_append_str(&fb[C_LAT], "\n");
                }
                if (calls > 0 || rej > 0) {
                    double vals[4] = {calls, usec / 1e6, rej, fail};
                    for (int f = 0; f < 4; f++) {
                        buf_printf(&fb[f], "%s{cmd=\"", fam[f][0]);
                        s_label(&fb[f], p + 8, nl - 8);
                        buf_append_str(&fb[f], "\"} ");
                        s_num(&fb[f], vals[f]);
                        buf_append_str(&fb[f], "\n");
                    }
                }
            } else if (nl > 25 && memcmp(p, "latency_percentiles_usec_", 25) == 0) {
                static const char *const qs[3][2] = {{"p50", "0.5"}, {"p99", "0.99"},
                                                     {"p99.9", "0.999"}};
                for (int q = 0; q < 3; q++) {
                    double us;
                    if (!s_kv(v, vl, qs[q][0], &us)) continue;
                    buf_printf(&fb[C_LAT], "vole_command_latency_seconds{cmd=\"");
                    s_label(&fb[C_LAT], p + 25, nl - 25);
                    buf_printf(&fb[C_LAT], "\",quantile=\"%s\"} ", qs[q][1]);
                    s_num(&fb[C_LAT], us / 1e6);
                    buf_append_str(&fb[C_LAT], "\n");
                }
            } else if (nl > 2 && memcmp(p, "db", 2) == 0 && nl < 12) {
                double keys = 0, exp = 0;
                if (s_kv(v, vl, "keys", &keys)) {
                    s_kv(v, vl, "expires", &exp);
                    buf_printf(&fb[K_KEYS], "vole_db_keys{db=\"%.*s\"} ", (int)(nl - 2), p + 2);
                    s_num(&fb[K_KEYS], keys);
                    buf_append_str(&fb[K_KEYS], "\n");
                    buf_printf(&fb[K_EXP], "vole_db_expiring_keys{db=\"%.*s\"} ", (int)(nl - 2), p + 2);
                    s_num(&fb[K_EXP], exp);
                    buf_append_str(&fb[K_EXP], "\n");
                }
            } else if (nl == 4 && memcmp(p, "role", 4) == 0) {
                role = v, role_len = vl;
            } else {
                for (size_t i = 0; i < NINFO; i++) {
                    if (strlen(s_info[i].field) != nl || memcmp(s_info[i].field, p, nl) != 0)
                        continue;
                    double d;
                    char tmp[64];
                    if (vl == 0 || vl >= sizeof tmp || samples[i].len) break;
                    memcpy(tmp, v, vl);
                    tmp[vl] = '\0';
                    if (sscanf(tmp, "%lf", &d) != 1) break;
                    buf_printf(&samples[i], "%s ", s_info[i].name);
                    s_num(&samples[i], d);
                    buf_append_str(&samples[i], "\n");
                    break;
                }
            }
        }
        p = eol ? eol + 1 : end;
    }
    for (size_t i = 0; i < NINFO; i++) {
        if (!samples[i].len) continue;
        s_head(out, s_info[i].name, s_info[i].type, s_info[i].help);
        buf_append(out, samples[i].data, samples[i].len);
        buf_free(&samples[i]);
    }
    for (int f = 0; f < NFAM; f++) {
        if (fb[f].len) {
            s_head(out, fam[f][0], fam[f][1], fam[f][2]);
            buf_append(out, fb[f].data, fb[f].len);
        }
        buf_free(&fb[f]);
    }
    if (role) {
        s_head(out, "vole_replication_role", "gauge", "1 for the node's replication role.");
        buf_append_str(out, "vole_replication_role{role=\"");
        s_label(out, role, role_len);
        buf_append_str(out, "\"} 1\n");
    }
}

static void s_http(buf_t *out, const hapi_t *a) {
    s_head(out, "vole_http_connections", "gauge", "Open HTTP connections.");
    buf_printf(out, "vole_http_connections %lld\n", a->conns);
    s_head(out, "vole_http_connections_total", "counter", "HTTP connections accepted.");
    buf_printf(out, "vole_http_connections_total %lld\n", a->conns_total);
    s_head(out, "vole_http_sse_streams", "gauge", "Open Server-Sent Events streams.");
    buf_printf(out, "vole_http_sse_streams %lld\n", a->sse_streams);
    s_head(out, "vole_http_sse_events_total", "counter", "Events sent on SSE streams.");
    buf_printf(out, "vole_http_sse_events_total %lld\n", a->sse_events);
    s_head(out, "vole_http_sse_dropped_total", "counter",
           "SSE readers disconnected for falling too far behind.");
    buf_printf(out, "vole_http_sse_dropped_total %lld\n", a->sse_dropped);
    s_head(out, "vole_http_responses_total", "counter", "HTTP responses by status class.");
    for (int c = 1; c <= 5; c++)
        buf_printf(out, "vole_http_responses_total{code=\"%dxx\"} %lld\n", c, a->responses[c]);
    static const char *const le[HAPI_NBUCKETS] = {"0.0001", "0.00025", "0.0005", "0.001",
                                                  "0.0025", "0.005",   "0.01",   "0.025",
                                                  "0.05",   "0.1",     "0.5",    "1"};
    s_head(out, "vole_http_request_duration_seconds", "histogram",
           "Time from a complete HTTP request to its response, engine round trip included.");
    long long cum = 0;
    for (int i = 0; i < HAPI_NBUCKETS; i++) {
        cum += a->latency_buckets[i];
        buf_printf(out, "vole_http_request_duration_seconds_bucket{le=\"%s\"} %lld\n", le[i], cum);
    }
    cum += a->latency_buckets[HAPI_NBUCKETS];
    buf_printf(out, "vole_http_request_duration_seconds_bucket{le=\"+Inf\"} %lld\n", cum);
    buf_printf(out, "vole_http_request_duration_seconds_sum %.9f\n", a->latency_sum);
    buf_printf(out, "vole_http_request_duration_seconds_count %lld\n", a->latency_count);
}

/* The supervisor's process table file: "role pid state restarts" per line. */
static void s_processes(buf_t *out, const char *run_dir) {
    if (!run_dir || !run_dir[0]) return;
    char path[1024];
    snprintf(path, sizeof path, "%s/processes", run_dir);
    FILE *f = fopen(path, "r");
    if (!f) return;
    buf_t up, rs;
    buf_init(&up);
    buf_init(&rs);
    char role[64], state[32];
    int pid, restarts;
    while (fscanf(f, "%63s %d %31s %d", role, &pid, state, &restarts) == 4) {
        buf_printf(&up, "vole_process_up{role=\"%s\"} %d\n", role, strcmp(state, "running") == 0);
        buf_printf(&rs, "vole_process_restarts_total{role=\"%s\"} %d\n", role, restarts);
    }
    fclose(f);
    if (up.len) {
        s_head(out, "vole_process_up", "gauge", "1 when the role's process is running.");
        buf_append(out, up.data, up.len);
        s_head(out, "vole_process_restarts_total", "counter",
               "Restarts of each role by the supervisor.");
        buf_append(out, rs.data, rs.len);
    }
    buf_free(&up);
    buf_free(&rs);
}

void metrics_render(buf_t *out, const hapi_t *a, const char *info, size_t len) {
    s_engine(out, info, len);
    s_http(out, a);
    s_processes(out, a->run_dir);
}
