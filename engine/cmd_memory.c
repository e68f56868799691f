/* MEMORY and its subcommands: per-key size estimates (USAGE), the allocator's view (STATS,
 * MALLOC-STATS, PURGE) and a short plain-language report (DOCTOR). */
#include <jemalloc/jemalloc.h>
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"
#include "shared/buf.h"

/* Bytes a key costs: its entry in the keyspace dict, the key string and the value. */
static size_t s_key_usage(const dict_entry_t *de) {
    const vstr_t *k = de->key;
    const vobj_t *o = de->v.val;
    size_t n = sizeof(dict_entry_t) + sizeof(vstr_t) + k->len + 1;
    if (obj_types[o->type] && obj_types[o->type]->mem) n += obj_types[o->type]->mem(o);
    else n += sizeof(vobj_t);
    return n;
}

static void cmd_memory_usage(client_t *c) {
    /* SAMPLES is validated like Redis (the count matters only for sampled estimates of large
     * containers; the type estimators here are exact or O(1)) */
    for (int i = 3; i < c->argc; i++) {
        if (arg_is(&c->argv[i], "samples") && i + 1 < c->argc) {
            long long samples;
            if (arg_ll_or_reply(c, &c->argv[i + 1], &samples, NULL)) return;
            if (samples < 0) {
                reply_error(c, ERR_SYNTAX);
                return;
            }
            i++;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    const proto_arg_t *key = &c->argv[2];
    if (!db_lookup_read(c->eng, c->db, key->ptr, key->len)) {
        reply_null(c);
        return;
    }
    vstr_t *k = vstr_new(key->ptr, key->len);
    dict_entry_t *de = dict_find(c->db->keys, k);
    vstr_free(k);
    reply_int(c, de ? (long long)s_key_usage(de) : 0);
}

static void s_kv_ll(client_t *c, const char *k, long long v) {
    reply_bulk_cstr(c, k);
    reply_int(c, v);
}

static void s_kv_d(client_t *c, const char *k, double v) {
    reply_bulk_cstr(c, k);
    reply_double(c, v);
}

static void cmd_memory_stats(client_t *c) {
    engine_t *e = c->eng;
    engine_mem_t m;
    engine_memory(e, &m);
    long long keys = 0, overhead = 0;
    int dbs_used = 0;
    for (int i = 0; i < e->ndbs; i++) {
        keys += (long long)dict_size(e->dbs[i].keys);
        if (dict_size(e->dbs[i].keys)) dbs_used++;
    }
    size_t handle = reply_deferred_len(c);
    long long pairs = 0;
    s_kv_ll(c, "peak.allocated", (long long)m.peak), pairs++;
    s_kv_ll(c, "total.allocated", (long long)m.allocated), pairs++;
    s_kv_ll(c, "startup.allocated", (long long)m.startup), pairs++;
    s_kv_ll(c, "replication.backlog", 0), pairs++;
    s_kv_ll(c, "clients.slaves", 0), pairs++;
    long long clients_mem = e->connected_clients * (long long)sizeof(client_t);
    s_kv_ll(c, "clients.normal", clients_mem), pairs++;
    s_kv_ll(c, "cluster.links", 0), pairs++;
    s_kv_ll(c, "aof.buffer", 0), pairs++;
    s_kv_ll(c, "lua.caches", 0), pairs++;
    s_kv_ll(c, "functions.caches", 0), pairs++;
    overhead = (long long)m.startup + clients_mem;
    for (int i = 0; i < e->ndbs; i++) {
        db_t *db = &e->dbs[i];
        if (!dict_size(db->keys)) continue;
        char name[32];
        snprintf(name, sizeof name, "db.%d", i);
        long long main = (long long)(dict_buckets(db->keys) * sizeof(void *) +
                                     dict_size(db->keys) * sizeof(dict_entry_t));
        long long exp = (long long)(dict_buckets(db->expires) * sizeof(void *) +
                                    dict_size(db->expires) * sizeof(dict_entry_t));
        reply_bulk_cstr(c, name);
        reply_map(c, 3);
        s_kv_ll(c, "overhead.hashtable.main", main);
        s_kv_ll(c, "overhead.hashtable.expires", exp);
        s_kv_ll(c, "overhead.hashtable.slot-to-keys", 0);
        overhead += main + exp;
        pairs++;
    }
    (void)dbs_used;
    long long dataset = (long long)m.allocated > overhead ? (long long)m.allocated - overhead : 0;
    long long net = (long long)m.allocated - (long long)m.startup;
    s_kv_ll(c, "overhead.total", overhead), pairs++;
    s_kv_ll(c, "keys.count", keys), pairs++;
    s_kv_ll(c, "keys.bytes-per-key", keys ? net / keys : 0), pairs++;
    s_kv_ll(c, "dataset.bytes", dataset), pairs++;
    s_kv_d(c, "dataset.percentage", net > 0 ? (double)dataset * 100 / (double)net : 0), pairs++;
    s_kv_d(c, "peak.percentage", m.peak ? (double)m.allocated * 100 / (double)m.peak : 0), pairs++;
    s_kv_ll(c, "allocator.allocated", (long long)m.allocated), pairs++;
    s_kv_ll(c, "allocator.active", (long long)m.active), pairs++;
    s_kv_ll(c, "allocator.resident", (long long)m.resident), pairs++;
    s_kv_d(c, "allocator-fragmentation.ratio",
           m.allocated ? (double)m.active / (double)m.allocated : 0), pairs++;
    s_kv_ll(c, "allocator-fragmentation.bytes", (long long)m.active - (long long)m.allocated),
        pairs++;
    s_kv_d(c, "allocator-rss.ratio", m.active ? (double)m.resident / (double)m.active : 0),
        pairs++;
    s_kv_ll(c, "allocator-rss.bytes", (long long)m.resident - (long long)m.active), pairs++;
    s_kv_d(c, "rss-overhead.ratio", m.resident ? (double)m.rss / (double)m.resident : 0), pairs++;
    s_kv_ll(c, "rss-overhead.bytes", (long long)m.rss - (long long)m.resident), pairs++;
    s_kv_d(c, "fragmentation", m.allocated ? (double)m.rss / (double)m.allocated : 0), pairs++;
    s_kv_ll(c, "fragmentation.bytes", (long long)m.rss - (long long)m.allocated), pairs++;
    reply_set_deferred_map_len(c, handle, pairs);
}

static void cmd_memory_doctor(client_t *c) {
    engine_mem_t m;
    engine_memory(c->eng, &m);
    buf_t b;
    buf_init(&b);
    if (m.allocated < 5 * 1024 * 1024) {
        buf_printf(&b, "Vole holds very little data (%zu bytes allocated): nothing to diagnose "
                       "yet.\n", m.allocated);
    } else {
        double frag = m.allocated ? (double)m.rss / (double)m.allocated : 0;
        int issues = 0;
        if (m.peak > m.allocated + m.allocated / 2) {
            buf_printf(&b, "* Peak memory: the peak (%zu bytes) is more than 150%% of what is "
                           "allocated now (%zu): memory was freed, RSS may stay high until the "
                           "allocator returns it (MEMORY PURGE helps).\n", m.peak, m.allocated);
            issues++;
        }
        if (frag > 1.4) {
            buf_printf(&b, "* High fragmentation: RSS is %.2f times the allocated bytes.\n", frag);
            issues++;
        }
        if (!issues) buf_printf(&b, "No memory problems found.\n");
    }
    reply_verbatim(c, b.data, b.len, "txt");
    buf_free(&b);
}

static void s_malloc_stats_cb(void *opaque, const char *s) { buf_append_str(opaque, s); }

static void cmd_memory_malloc_stats(client_t *c) {
    buf_t b;
    buf_init(&b);
    malloc_stats_print(s_malloc_stats_cb, &b, NULL);
    reply_verbatim(c, b.data ? b.data : "", b.len, "txt");
    buf_free(&b);
}

static void cmd_memory_purge(client_t *c) {
    char cmd[64];
    snprintf(cmd, sizeof cmd, "arena.%u.purge", (unsigned)MALLCTL_ARENAS_ALL);
    mallctl(cmd, NULL, NULL, NULL, 0);
    reply_ok(c);
}

static void cmd_memory_help(client_t *c) {
    static const char *lines[] = {
        "DOCTOR",
        "    Report memory problems in plain words.",
        "MALLOC-STATS",
        "    The memory allocator's own statistics report.",
        "PURGE",
        "    Ask the allocator to return unused pages to the system.",
        "STATS",
        "    Memory use of the server, broken down.",
        "USAGE <key> [SAMPLES <count>]",
        "    Bytes used by <key> and its value. Large containers may be sampled up to",
        "    <count> elements (default: 5, 0 means all).",
        NULL};
    reply_help(c, lines);
}

static command_t s_memory_subs[] = {
    {.name = "doctor", .proc = cmd_memory_doctor, .arity = 2,
     .tips = "nondeterministic_output request_policy:all_shards response_policy:special",
     .group = "server", .since = "4.0.0", .summary = "Reports memory problems in plain words.",
     .complexity = "O(1)"},
    {.name = "help", .proc = cmd_memory_help, .arity = 2, .flags = "loading stale",
     .group = "server", .since = "4.0.0", .summary = "Lists the MEMORY subcommands.",
     .complexity = "O(1)"},
    {.name = "malloc-stats", .proc = cmd_memory_malloc_stats, .arity = 2,
     .tips = "nondeterministic_output request_policy:all_shards response_policy:special",
     .group = "server", .since = "4.0.0", .summary = "Returns the allocator's statistics report.",
     .complexity = "Depends on how much memory is allocated, could be slow"},
    {.name = "purge", .proc = cmd_memory_purge, .arity = 2,
     .tips = "request_policy:all_shards response_policy:all_succeeded", .group = "server",
     .since = "4.0.0", .summary = "Asks the allocator to release unused memory.",
     .complexity = "Depends on how much memory is allocated, could be slow"},
    {.name = "stats", .proc = cmd_memory_stats, .arity = 2,
     .tips = "nondeterministic_output request_policy:all_shards response_policy:special",
     .group = "server", .since = "4.0.0", .summary = "Returns a breakdown of memory use.",
     .complexity = "O(1)"},
    {.name = "usage", .proc = cmd_memory_usage, .arity = -3, .flags = "readonly",
     .keyspecs = "RO;index:2;range:0,1,0", .group = "server", .since = "4.0.0",
     .summary = "Estimates how many bytes a key and its value use.",
     .complexity = "O(N) where N is the number of samples.",
     .args = "key:key@0 ?integer:count=SAMPLES"},
    {0}};

command_t memory_commands[] = {
    {.name = "memory", .arity = -2, .group = "server", .since = "4.0.0",
     .summary = "A container for memory diagnostics commands.",
     .complexity = "Depends on the subcommand.", .subcommands = s_memory_subs},
    {0}};
