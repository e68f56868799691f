/* The engine role: owns the keyspace; a single-threaded loop over its ZeroMQ ROUTER socket
 * that executes command batches from frontends and runs timers (active expiry, rehashing,
 * heartbeats to the supervisor). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sysexits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "engine/blocking.h"
#include "engine/core.h"
#include "engine/effects_backlog.h"
#include "engine/engine.h"
#include "engine/types/t_stream.h"
#include "engine/monitor.h"
#include "engine/multi.h"
#include "engine/persist.h"
#include "engine/pubsub.h"
#include "engine/sched.h" /* scheduler features: cron, webhooks, DELMATCH */
#include "engine/streams.h"
#include "engine/tracking.h"
#include "shared/config.h"
#include "shared/log.h"
#include "shared/util.h"

extern const dict_type_t db_keys_type, db_expires_type, client_ids_type;

static volatile sig_atomic_t s_stop;
static void s_on_term(int sig) { (void)sig, s_stop = 1; }

void engine_config_defaults(engine_config_t *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->databases = ENGINE_DBS_MAX;
    cfg->hz = 10;
    cfg->maxclients = 10000;
    cfg->proto_max_bulk_len = 512LL * 1024 * 1024;
    cfg->client_query_buffer_limit = 1024LL * 1024 * 1024;
    snprintf(cfg->maxmemory_policy, sizeof cfg->maxmemory_policy, "noeviction");
    snprintf(cfg->enable_debug_command, sizeof cfg->enable_debug_command, "no");
    cfg->hash_max_listpack_entries = 512;
    cfg->hash_max_listpack_value = 64;
    cfg->set_max_intset_entries = 512;
    cfg->zset_max_listpack_entries = 128;
    cfg->zset_max_listpack_value = 64;
    cfg->list_max_listpack_size = -2;
    cfg->list_compress_depth = 0;
    cfg->hll_sparse_max_bytes = 3000;
    cfg->stream_node_max_bytes = 4096;
    cfg->stream_node_max_entries = 100;
    cfg->tracking_table_max_keys = 1000000;
    cfg->active_expire = 1;
    cfg->audit_max_entries = 10000;
    cfg->audit_value_max_len = 128;
    snprintf(cfg->dir, sizeof cfg->dir, ".");
}

static void s_random_hex(char *dst, size_t n) {
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[64];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        for (size_t i = 0; i < sizeof raw; i++) raw[i] = (unsigned char)(rand() ^ (int)now_us());
    }
    for (size_t i = 0; i < n; i++) dst[i] = hex[raw[i % sizeof raw] & 15];
    dst[n] = '\0';
}

static engine_t *s_engine_new(const engine_config_t *cfg) {
    engine_t *e = calloc(1, sizeof *e);
    if (!e) abort();
    e->cfg = *cfg;
    if (e->cfg.databases < 1) e->cfg.databases = 1;
    /* the dicts' hash seed is the process's: set once, or a second engine (tests, tools)
     * would strand every entry the first one hashed */
    static int seeded;
    if (!seeded) {
        uint8_t seed[16];
        if (getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed)
            for (int i = 0; i < 16; i++) seed[i] = (uint8_t)(now_us() >> (i % 8));
        dict_set_seed(seed);
        seeded = 1;
    }
    /* room for the namespaces too: a db_t never moves (engine/core.h) */
    e->dbs = calloc((size_t)e->cfg.databases + ENGINE_NAMESPACES_MAX, sizeof(db_t));
    if (!e->dbs) abort();
    e->ndbs = e->cfg.databases;
    for (int i = 0; i < e->cfg.databases; i++) {
        e->dbs[i].id = i;
        e->dbs[i].keys = dict_new(&db_keys_type);
        e->dbs[i].expires = dict_new(&db_expires_type);
    }
    e->next_client_id = 1;
    e->start_ms = now_ms();
    e->now_ms = e->start_ms;
    e->lruclock = (uint32_t)(e->start_ms / 1000);
    s_random_hex(e->run_id, 40);
    e->hb_fd = -1;
    proto_batch_init(&e->batch);
    commands_init();
    return e;
}

/* ---------- frontends ---------- */

static frontend_t *s_frontend_new(engine_t *e, const char *rid, size_t rlen) {
    frontend_t *fe = calloc(1, sizeof *fe);
    if (!fe) abort();
    if (rlen > sizeof fe->routing_id) rlen = sizeof fe->routing_id;
    memcpy(fe->routing_id, rid, rlen);
    fe->routing_len = rlen;
    fe->clients = dict_new(&client_ids_type);
    buf_init(&fe->out);
    fe->next = e->frontends;
    e->frontends = fe;
    return fe;
}

static frontend_t *s_frontend_find(engine_t *e, const char *rid, size_t rlen) {
    for (frontend_t *fe = e->frontends; fe; fe = fe->next)
        if (fe->routing_len == rlen && memcmp(fe->routing_id, rid, rlen) == 0) return fe;
    return NULL;
}

static void s_load_abort(engine_t *e, const char *why);

/* A reply message held back (appendfsync always) until the effects it acknowledges are on
 * disk; sent in order with everything after it to the same frontend. */
struct parked_msg {
    struct parked_msg *next;
    char *data;
    size_t len;
    uint64_t need_seq;
};

static void s_frontend_drop(engine_t *e, frontend_t *fe) {
    dict_iter_t it;
    dict_entry_t *de;
    dict_iter_init(&it, fe->clients);
    while ((de = dict_iter_next(&it))) client_free(e, de->v.val);
    dict_iter_done(&it);
    for (frontend_t **pp = &e->frontends; *pp; pp = &(*pp)->next) {
        if (*pp == fe) {
            *pp = fe->next;
            break;
        }
    }
    streams_drop(e, fe);
    if (e->load_owner == fe) s_load_abort(e, "the persister went away");
    while (fe->parked_head) {
        struct parked_msg *pm = fe->parked_head;
        fe->parked_head = pm->next;
        free(pm->data);
        free(pm);
    }
    dict_destroy(&fe->clients);
    buf_free(&fe->out);
    free(fe->pushing);
    free(fe);
}

static void s_zfree(void *data, void *hint) { (void)hint, free(data); }


/* Sends an encoded message (ownership of data passes to ZeroMQ); 0, or -1 if fe is gone. */
static int s_send_owned(engine_t *e, frontend_t *fe, char *data, size_t len) {
    zmq_msg_t msg;
    zmq_msg_init_data(&msg, data, len, s_zfree, NULL);
    if (zmq_send(e->router, fe->routing_id, fe->routing_len, ZMQ_SNDMORE) < 0 ||
        zmq_msg_send(&msg, e->router, 0) < 0) {
        zmq_msg_close(&msg);
        if (errno == EHOSTUNREACH) {
            if (!fe->gone)
                log_notice("%s (%.*s) is gone; dropping its clients", fe->role,
                           (int)fe->routing_len, fe->routing_id);
            fe->gone = 1;
        }
        return -1;
    }
    return 0;
}

int engine_send_to(engine_t *e, frontend_t *fe, const void *data, size_t len) {
    if (fe->gone || fe->internal) return -1;
    char *copy = malloc(len ? len : 1);
    if (!copy) abort();
    memcpy(copy, data, len);
    return s_send_owned(e, fe, copy, len);
}

/* Sends fe's held replies whose effects up to upto are durable, in order. */
static void s_release_parked(engine_t *e, frontend_t *fe, uint64_t upto) {
    while (fe->parked_head && fe->parked_head->need_seq <= upto && !fe->gone) {
        struct parked_msg *pm = fe->parked_head;
        fe->parked_head = pm->next;
        if (!fe->parked_head) fe->parked_tail = NULL;
        s_send_owned(e, fe, pm->data, pm->len);
        free(pm);
    }
}

/* The persister's run-time settings (they may differ from its command line). */
static void s_send_persister_config(engine_t *e, frontend_t *fe) {
    long long perc, min_size;
    char v1[32], v2[32];
    config_aof_rewrite(&perc, &min_size);
    snprintf(v1, sizeof v1, "%lld", perc);
    snprintf(v2, sizeof v2, "%lld", min_size);
    buf_t b;
    buf_init(&b);
    proto_begin(&b, MSG_CONFIG);
    proto_put_config(&b, "appendonly", config_appendonly() ? "yes" : "no");
    proto_put_config(&b, "appendfsync", config_appendfsync());
    proto_put_config(&b, "auto-aof-rewrite-percentage", v1);
    proto_put_config(&b, "auto-aof-rewrite-min-size", v2);
    proto_finish(&b, 4);
    engine_send_to(e, fe, b.data, b.len);
    buf_free(&b);
}

void engine_send_persister_config(engine_t *e) {
    for (frontend_t *fe = e->frontends; fe; fe = fe->next)
        if (!strcmp(fe->role, "persister")) s_send_persister_config(e, fe);
}

void engine_set_appendonly(engine_t *e, int on) {
    persist_set_aof(e, on);
    if (on) {
        /* effects from now on are kept for the persister: its new base is taken after this */
        effects_set_off(e, 0);
        /* replies wait for the fsync (always) once the persister subscribes after its base */
        return;
    }
    engine_set_fsync_always(e, 0);
    for (frontend_t *fe = e->frontends; fe; fe = fe->next)
        if (!strcmp(fe->role, "persister")) streams_unsub(e, fe, STREAM_EFFECTS);
    /* nobody reads effects any more (a replica would still be subscribed): count them only */
    if (!streams_subscribed(e, STREAM_EFFECTS)) effects_set_off(e, 1);
}

void engine_set_fsync_always(engine_t *e, int always) {
    if (!e->cfg.wait_for_load) always = 0; /* no persister role: nothing would ever be fsynced */
    int was = e->cfg.fsync_always;
    e->cfg.fsync_always = always;
    /* replies held for the fsync go now: the policy no longer asks for it */
    if (was && !always)
        for (frontend_t *fe = e->frontends; fe; fe = fe->next)
            s_release_parked(e, fe, UINT64_MAX);
}

void engine_on_durable(engine_t *e, uint64_t seq) {
    if (seq <= e->durable_seq) return;
    e->durable_seq = seq;
    for (frontend_t *fe = e->frontends; fe; fe = fe->next) s_release_parked(e, fe, seq);
}

/* Sends fe's pending records as one message; REPLY_BATCH answers a batch (always sent, even
 * empty, because the frontend counts batches in flight), PUSH carries unsolicited records. */
static void s_flush(engine_t *e, frontend_t *fe, uint8_t type, uint32_t seq) {
    if (fe->internal) return;
    reply_flush_pushes(fe);
    if (type == MSG_PUSH && fe->out_count == 0) return;
    if (fe->out.len == 0) proto_begin(&fe->out, type);
    if (fe->out_client) proto_reply_end(&fe->out, fe->out_lenpos);
    fe->out.data[3] = (char)type;
    proto_finish(&fe->out, fe->out_count);
    proto_set_seq(&fe->out, seq);
    fe->out_client = NULL;
    fe->out_count = 0;
    size_t len;
    char *data = buf_detach(&fe->out, &len);
    e->stats.total_net_output_bytes += (long long)len;
    /* appendfsync always: nothing leaves before the effects written so far are on disk
     * (and nothing overtakes a held message) */
    uint64_t need = effects_last_seq(e);
    if (e->cfg.fsync_always && (fe->parked_head || need > e->durable_seq)) {
        struct parked_msg *pm = malloc(sizeof *pm);
        if (!pm) abort();
        *pm = (struct parked_msg){NULL, data, len, need};
        if (fe->parked_tail) fe->parked_tail->next = pm;
        else fe->parked_head = pm;
        fe->parked_tail = pm;
        return;
    }
    s_send_owned(e, fe, data, len);
}

static void s_send_config(engine_t *e, frontend_t *fe) {
    buf_t b;
    char v[32];
    buf_init(&b);
    proto_begin(&b, MSG_CONFIG);
    snprintf(v, sizeof v, "%lld", e->cfg.proto_max_bulk_len);
    proto_put_config(&b, "proto-max-bulk-len", v);
    snprintf(v, sizeof v, "%lld", e->cfg.client_query_buffer_limit);
    proto_put_config(&b, "client-query-buffer-limit", v);
    snprintf(v, sizeof v, "%lld", e->cfg.maxclients);
    proto_put_config(&b, "maxclients", v);
    long long lim[2][3];
    config_normal_output_limits(&lim[0][0], &lim[0][1], &lim[0][2]);
    config_pubsub_output_limits(&lim[1][0], &lim[1][1], &lim[1][2]);
    static const char *names[2][3] = {{"normal-hard", "normal-soft", "normal-soft-seconds"},
                                      {"pubsub-hard", "pubsub-soft", "pubsub-soft-seconds"}};
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < 3; j++) {
            snprintf(v, sizeof v, "%lld", lim[k][j]);
            proto_put_config(&b, names[k][j], v);
        }
    proto_finish(&b, 9);
    /* sent before the reply that acknowledges the change, on the same pipe, so the
     * frontend applies it first */
    if (zmq_send(e->router, fe->routing_id, fe->routing_len, ZMQ_SNDMORE) >= 0)
        zmq_send(e->router, b.data, b.len, 0);
    buf_free(&b);
}

void engine_send_frontend_config(engine_t *e) {
    for (frontend_t *fe = e->frontends; fe; fe = fe->next)
        if (!fe->internal) s_send_config(e, fe);
}

/* ---------- command execution ---------- */

static size_t s_cstrlen(const proto_arg_t *a, size_t max) {
    const char *nul = memchr(a->ptr, '\0', a->len);
    size_t n = nul ? (size_t)(nul - a->ptr) : a->len;
    return n < max ? n : max;
}

static void s_reply_unknown(client_t *c, int argc, const proto_arg_t *argv) {
    const command_t *base = command_lookup(1, argv);
    if (base && base->subcommands && argc > 1) {
        char up[129];
        size_t n = s_cstrlen(&argv[0], 128);
        for (size_t i = 0; i < n; i++) up[i] = (char)toupper((unsigned char)argv[0].ptr[i]);
        up[n] = '\0';
        reply_errorf(c, "unknown subcommand '%.*s'. Try %s HELP.", (int)s_cstrlen(&argv[1], 128),
                     argv[1].ptr, up);
        return;
    }
    char args[256];
    size_t al = 0;
    for (int i = 1; i < argc && al < 128; i++) {
        size_t n = s_cstrlen(&argv[i], 128 - al);
        args[al++] = '\'';
        memcpy(args + al, argv[i].ptr, n);
        al += n;
        args[al++] = '\'';
        args[al++] = ' ';
    }
    args[al] = '\0';
    reply_errorf(c, "unknown command '%.*s', with args beginning with: %s",
                 (int)s_cstrlen(&argv[0], 128), argv[0].ptr, args);
}

/* DEBUG is the only protected command: refused unless enable-debug-command allows it, as in
 * Redis 7 (where it is off by default). */
static int s_protected_allowed(engine_t *e, client_t *c) {
    const char *mode = e->cfg.enable_debug_command;
    if (!strcmp(mode, "yes")) return 1;
    if (!strcmp(mode, "local"))
        return (c->conn_flags & CONN_F_UNIX) || !strncmp(c->addr, "127.0.0.1:", 10) ||
               !strncmp(c->addr, "::1:", 4);
    return 0;
}

void engine_execute(engine_t *e, client_t *c, int argc, const proto_arg_t *argv) {
    c->last_ms = e->now_ms;
    c->argc = argc;
    c->argv = argv;
    /* the common checks, in Redis's order; a rejection inside MULTI dooms the EXEC */
    const command_t *cmd = command_lookup(argc, argv);
    c->lastcmd = cmd; /* as Redis: set at lookup, also for queued and rejected commands */
    int rejected = 1;
    if (cmd && multi_exec_refused(c, cmd)) {
        /* a refused EXEC aborts the transaction (EXECABORT, replied by engine/multi.c) */
    } else if (!cmd) {
        s_reply_unknown(c, argc, argv);
    } else if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity || !cmd->proc) {
        reply_errorf(c, "wrong number of arguments for '%s' command", cmd->fullname);
    } else if (!(c->flags & CLIENT_AUTHED) && !(cmd->flagbits & CMD_NO_AUTH) &&
               config_requirepass()[0]) {
        reply_error(c, "-NOAUTH Authentication required.");
    } else if ((cmd->flagbits & CMD_PROTECTED) && !s_protected_allowed(e, c)) {
        reply_error(c, "DEBUG command not allowed. If the enable-debug-command option is set to "
                       "\"local\", you can run it from a local connection, otherwise you need to "
                       "set this option in the configuration file, and then restart the server.");
    } else if (e->loading && c != e->loader && !(cmd->flagbits & CMD_LOADING)) {
        reply_error(c, "-LOADING Redis is loading the dataset in memory");
    } else if ((cmd->flagbits & CMD_DENYOOM) && c != e->loader &&
               (e->oom_recheck ? (e->oom_recheck = 0, e->oom = engine_enforce_maxmemory(e) < 0)
                               : e->oom)) {
        reply_error(c, "-OOM command not allowed when used memory > 'maxmemory'.");
    } else if (persist_refuses(e, c, cmd)) {
        /* -MISCONF: the persister cannot write */
    } else if (!pubsub_context_allowed(c, cmd)) {
        /* replied by the pub/sub module */
    } else if (!monitor_context_allowed(c, cmd)) {
        /* replied by the monitor module */
    } else {
        rejected = 0;
    }
    if (rejected) {
        if (cmd) ((command_t *)cmd)->rejected++;
        if (c->flags & CLIENT_MULTI) multi_flag_error(c);
    } else if ((c->flags & CLIENT_MULTI) && multi_intercept(c, cmd)) {
        /* queued */
    } else {
        c->cmd = cmd;
        tracking_set_current(c);
        long long dirty0 = e->stats.dirty;
        effects_cmd_start(c, dirty0);
        uint64_t t0 = ticks_now();
        cmd->proc(c);
        int64_t took = ticks_to_ns(ticks_now() - t0);
        effects_cmd_end(c, cmd, dirty0);
        hooks_after_call(c, cmd); /* monitors, client tracking */
        if (!(cmd->flagbits & CMD_FAST)) e->now_ms = now_ms();
        c->lastcmd = cmd;
        if (c != e->loader) { /* replaying the data at start-up is not traffic (as Redis) */
            command_account(cmd, took);
            ((command_t *)cmd)->calls++;
            e->stats.total_commands++;
        }
        /* keys this command (or EXEC) made ready wake their waiters now, as in Redis */
        blocking_serve_ready(e);
    }
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY) reply_mark_close(c);
    tracking_command_done(c, cmd);
    c->argc = 0;
    c->argv = NULL;
}

static client_t *s_client_find(frontend_t *fe, uint32_t id) {
    dict_entry_t *de = dict_find(fe->clients, (void *)(uintptr_t)id);
    return de ? de->v.val : NULL;
}

static void s_copy_field(char *dst, size_t cap, const char *s, size_t n) {
    if (n >= cap) n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static void s_exec_batch(engine_t *e, frontend_t *fe, const char *data, size_t len,
                         uint32_t seq) {
    const char *why;
    if (proto_batch_decode(&e->batch, data, len, &why) < 0) {
        log_warn("dropping malformed batch from %s: %s", fe->role, why);
        s_flush(e, fe, MSG_REPLY_BATCH, seq); /* still answer: the frontend counts batches */
        return;
    }
    fe->answering = 1;
    e->stats.batches++;
    e->stats.total_net_input_bytes += (long long)len;
    /* one clock read per batch (Redis caches its clock per command; a batch runs for
     * microseconds); commands that can take long refresh it themselves */
    e->now_ms = now_ms();
    /* memory is checked once per batch: a batch is bounded, and reading jemalloc's totals
     * for every command would cost more than the command */
    e->oom = engine_enforce_maxmemory(e) < 0;
    for (size_t i = 0; i < e->batch.nrecs; i++) {
        const proto_rec_t *r = &e->batch.recs[i];
        client_t *c = s_client_find(fe, r->client);
        switch (r->kind) {
        case REC_OPEN:
            if (c) client_free(e, c);
            c = client_new(e, fe, r->client);
            s_copy_field(c->addr, sizeof c->addr, r->s1, r->s1len);
            s_copy_field(c->laddr, sizeof c->laddr, r->s2, r->s2len);
            c->conn_flags = r->flags;
            /* HTTP clients speak RESP3 from the start: the HTTP frontend turns RESP3's typed
             * replies (maps, sets, doubles, nulls) into JSON */
            if (r->flags & CONN_F_HTTP) c->resp = 3;
            break;
        case REC_CLOSE:
            if (c) client_free(e, c);
            break;
        case REC_ERR_CLOSE:
            if (!c) break;
            reply_raw(c, r->s1, r->s1len);
            reply_mark_close(c);
            c->flags |= CLIENT_KILLED;
            break;
        case REC_CMD:
            if (!c) {
                /* commands for a connection this engine never saw (it restarted under the
                 * frontend): answer and have the frontend close it */
                log_verbose("command for unknown client %u from %s", r->client, fe->role);
                client_t tmp = {.eng = e, .fe = fe, .fe_id = r->client, .resp = 2};
                reply_error(&tmp, "-ERR connection state lost (engine restarted); reconnect");
                reply_mark_close(&tmp);
                if (fe->out_client == &tmp) {
                    proto_reply_end(&fe->out, fe->out_lenpos);
                    fe->out_client = NULL;
                }
                break;
            }
            if (c->flags & CLIENT_KILLED) break;
            if (blocking_defer(c, (int)r->argc, &e->batch.args[r->arg0])) break;
            engine_execute(e, c, (int)r->argc, &e->batch.args[r->arg0]);
            break;
        }
    }
    fe->answering = 0;
    tracking_broadcast_flush(e); /* BCAST invalidations, once per batch */
    streams_pump(e);             /* the persister gets the batch's effects at once */
    s_flush(e, fe, MSG_REPLY_BATCH, seq);
}

/* ---------- loading (the persister streams the data in) ---------- */

static void s_load_ack(engine_t *e, frontend_t *fe, int ok, const char *err) {
    buf_t b;
    buf_init(&b);
    proto_put_ctl(&b, MSG_LOAD_ACK, (uint8_t)ok, e->load_seq, 0, err, err ? strlen(err) : 0);
    engine_send_to(e, fe, b.data, b.len);
    buf_free(&b);
}

/* Forgets a half-done load: the next persister starts again from nothing. */
static void s_load_abort(engine_t *e, const char *why) {
    log_warn("loading aborted (%s); the data loaded so far is dropped", why);
    e->load_owner = NULL;
    e->load_seq = 0;
    e->loaded_units = 0;
    db_flush(e, -1);
}

static void s_on_load(engine_t *e, frontend_t *fe, const char *data, size_t len) {
    if (len < PROTO_HEADER_SIZE + 1) {
        log_warn("dropping a malformed load message from %s", fe->role);
        return;
    }
    uint8_t kind = (uint8_t)data[PROTO_HEADER_SIZE];
    if (!e->loading) {
        s_load_ack(e, fe, 0, "the engine is not loading");
        return;
    }
    if (e->load_owner && e->load_owner != fe) {
        s_load_ack(e, fe, 0, "another persister is loading the engine");
        return;
    }
    if (!e->load_owner) {
        e->load_owner = fe;
        e->loading_start_ms = now_ms();
        e->load_seq = 0;
        e->loaded_units = 0;
    }
    char err[512];
    switch (kind) {
    case LOAD_SNAPSHOT: {
        uint8_t unused;
        uint64_t a, b;
        const char *path;
        size_t plen;
        if (proto_get_ctl(data, len, &unused, &a, &b, &path, &plen) < 0 || plen == 0 ||
            plen >= 4096) {
            s_load_ack(e, fe, 0, "malformed snapshot load request");
            return;
        }
        char file[4096];
        memcpy(file, path, plen);
        file[plen] = '\0';
        uint64_t seq = 0;
        if (engine_load_snapshot(e, file, &seq, err, sizeof err) < 0) {
            db_flush(e, -1);
            s_load_ack(e, fe, 0, err);
            return;
        }
        e->load_seq = seq;
        s_load_ack(e, fe, 1, NULL);
        return;
    }
    case LOAD_UNITS: {
        proto_seqrec_iter_t it;
        uint8_t k;
        uint64_t seq;
        const char *p;
        size_t plen;
        int rc;
        if (proto_seqrec_iter_init(&it, data, len, &k) < 0) {
            s_load_ack(e, fe, 0, "malformed load message");
            return;
        }
        e->now_ms = now_ms();
        while ((rc = proto_seqrec_next(&it, &seq, &p, &plen)) == 1) {
            if (e->load_seq && seq != e->load_seq + 1) {
                snprintf(err, sizeof err, "effect %llu follows %llu: a gap in the data",
                         (unsigned long long)seq, (unsigned long long)e->load_seq);
                s_load_ack(e, fe, 0, err);
                return;
            }
            if (engine_apply_unit(e, p, plen, err, sizeof err) < 0) {
                char msg[700];
                snprintf(msg, sizeof msg, "effect %llu: %s", (unsigned long long)seq, err);
                s_load_ack(e, fe, 0, msg);
                return;
            }
            e->load_seq = seq;
            e->loaded_units++;
        }
        if (rc < 0) {
            s_load_ack(e, fe, 0, "malformed load message");
            return;
        }
        s_load_ack(e, fe, 1, NULL);
        return;
    }
    case LOAD_DONE: {
        e->loading = 0;
        e->load_owner = NULL;
        effects_set_seq(e, e->load_seq);
        e->durable_seq = e->load_seq;
        e->now_ms = now_ms();
        long long keys = 0;
        for (int i = 0; i < e->ndbs; i++) keys += (long long)dict_size(e->dbs[i].keys);
        log_notice("data loaded: %lld keys, %lld effects replayed, at effect %llu, in %lld ms",
                   keys, e->loaded_units, (unsigned long long)e->load_seq,
                   (long long)(now_ms() - e->loading_start_ms));
        s_load_ack(e, fe, 1, NULL);
        return;
    }
    case LOAD_FAIL: {
        uint8_t unused;
        uint64_t a, b;
        const char *why;
        size_t wlen;
        if (proto_get_ctl(data, len, &unused, &a, &b, &why, &wlen) < 0) wlen = 0;
        snprintf(err, sizeof err, "the persister cannot load the data: %.*s", (int)wlen, why);
        s_load_abort(e, err);
        return;
    }
    default:
        s_load_ack(e, fe, 0, "unknown load message");
    }
}

static void s_on_message(engine_t *e, const char *rid, size_t rlen, const char *data, size_t len) {
    proto_header_t h;
    const char *why;
    if (proto_header_parse(data, len, &h, &why) < 0) {
        log_warn("dropping message from %.*s: %s", (int)rlen, rid, why);
        return;
    }
    frontend_t *fe = s_frontend_find(e, rid, rlen);
    if (!fe) fe = s_frontend_new(e, rid, rlen);
    switch (h.type) {
    case MSG_FE_HELLO:
        if (proto_get_hello(data, len, fe->role, sizeof fe->role, fe->instance,
                            sizeof fe->instance) < 0) {
            log_warn("dropping malformed hello from %.*s", (int)rlen, rid);
            return;
        }
        /* a restarted frontend: forget the connections its predecessor had */
        for (frontend_t *o = e->frontends, *next; o; o = next) {
            next = o->next;
            if (o != fe && strcmp(o->role, fe->role) == 0 && strcmp(o->instance, fe->instance) == 0)
                s_frontend_drop(e, o);
        }
        log_verbose("%s/%s connected", fe->role, fe->instance);
        fe->hidden = !strcmp(fe->role, "scheduler"); /* its jobs' client is Vole's own */
        if (strcmp(fe->role, "persister") && strcmp(fe->role, "scheduler") &&
            strcmp(fe->role, "replicator")) {
            s_send_config(e, fe);
        } else {
            /* a consumer (persister, scheduler, replicator): where the data stands */
            buf_t b;
            buf_init(&b);
            uint64_t flags = (e->loading ? 0 : ENGINE_F_LOADED) |
                             (e->loading && !e->load_owner ? ENGINE_F_WANTS_LOAD : 0) |
                             (e->cfg.fsync_always ? ENGINE_F_FSYNC_ALWAYS : 0);
            proto_put_ctl(&b, MSG_ENGINE_STATE, 0, effects_last_seq(e), flags, e->run_id, 40);
            engine_send_to(e, fe, b.data, b.len);
            buf_free(&b);
            if (!strcmp(fe->role, "persister")) s_send_persister_config(e, fe);
        }
        break;
    case MSG_STREAM_SUB:
        if (len > PROTO_HEADER_SIZE && (uint8_t)data[PROTO_HEADER_SIZE] == STREAM_EFFECTS) {
            /* a persister writes effects only while appendonly is on (it may have been
             * started with another setting than the one CONFIG SET gave since) */
            if (!strcmp(fe->role, "persister") && !config_appendonly()) break;
            effects_set_off(e, 0); /* someone reads effects now */
            if (!strcmp(fe->role, "persister") && !strcmp(config_appendfsync(), "always"))
                engine_set_fsync_always(e, 1); /* appendonly turned on at run time */
        }
        streams_on_sub(e, fe, data, len);
        break;
    case MSG_STREAM_ACK:
        streams_on_ack(e, fe, data, len);
        break;
    case MSG_LOAD:
        s_on_load(e, fe, data, len);
        break;
    case MSG_PERSIST_STATE:
        persist_on_state(e, fe, data, len);
        break;
    case MSG_PERSIST_INFO:
        persist_on_info(e, data, len);
        break;
    case MSG_SNAPSHOT_REQ:
        persist_on_snapshot_req(e, fe, data, len);
        break;
    case MSG_CMD_BATCH:
        s_exec_batch(e, fe, data, len, h.seq);
        break;
    default:
        log_warn("dropping message of unexpected type %d from %.*s", h.type, (int)rlen, rid);
    }
}

/* ---------- timers ---------- */

static void s_cron(engine_t *e) {
    int64_t now = now_ms();
    e->now_ms = now;
    e->lruclock = (uint32_t)(now / 1000);
    if (e->cfg.active_expire) db_active_expire(e, 250000 / (e->cfg.hz > 0 ? e->cfg.hz : 10));
    clients_close_idle(e);
    persist_cron(e);
    for (int i = 0; i < e->cfg.databases; i++) {
        db_t *db = &e->dbs[i];
        dict_maybe_shrink(db->keys);
        dict_maybe_shrink(db->expires);
        if (dict_is_rehashing(db->keys)) dict_rehash_ms(db->keys, 1);
        if (dict_is_rehashing(db->expires)) dict_rehash_ms(db->expires, 1);
    }
    core_cron(e); /* delayed keys, namespaces' dicts (engine/core.h) */
}

static void s_heartbeat(engine_t *e) {
    if (e->hb_fd < 0) return;
    ssize_t w = write(e->hb_fd, ".", 1); /* non-blocking: a full pipe just skips a beat */
    (void)w;
}

static int s_mkdirs(const char *path) {
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0700);
            *p = '/';
        }
    }
    return mkdir(tmp, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* "300", "300s", "5m", "1h" -> seconds; -1 when invalid. */
static long long s_duration_s(const char *v) {
    char *end;
    long long n = strtoll(v, &end, 10);
    if (end == v || n < 0) return -1;
    if (*end == '\0' || !strcmp(end, "s")) return n;
    if (!strcmp(end, "m")) return n * 60;
    if (!strcmp(end, "h")) return n * 3600;
    return -1;
}

static int s_has_role(const char *roles, const char *role) {
    size_t n = strlen(role);
    for (const char *p = roles; (p = strstr(p, role)); p += n)
        if ((p == roles || p[-1] == ',') && (p[n] == '\0' || p[n] == ',')) return 1;
    return 0;
}

int engine_main(const vole_config_t *vc) {
    log_init("engine", log_level_parse(vc->loglevel) < 0 ? LOG_NOTICE : log_level_parse(vc->loglevel));
    engine_config_t cfg;
    engine_config_defaults(&cfg);
    cfg.databases = vc->databases;
    cfg.hz = vc->hz > 0 ? vc->hz : 10;
    cfg.maxclients = vc->maxclients;
    cfg.proto_max_bulk_len = vc->proto_max_bulk_len;
    cfg.client_query_buffer_limit = vc->client_query_buffer_limit;
    cfg.maxmemory = vc->maxmemory;
    snprintf(cfg.maxmemory_policy, sizeof cfg.maxmemory_policy, "%s", vc->maxmemory_policy);
    snprintf(cfg.enable_debug_command, sizeof cfg.enable_debug_command, "%s",
             vc->enable_debug_command);
    snprintf(cfg.dir, sizeof cfg.dir, "%s", vc->dir);
    snprintf(cfg.run_dir, sizeof cfg.run_dir, "%s", vc->run_dir);
    snprintf(cfg.bind_addr, sizeof cfg.bind_addr, "%s", vc->addr);
    /* replies wait for a persister's fsync only when one runs (else they would wait forever) */
    cfg.fsync_always = !strcmp(vc->appendonly, "yes") && !strcmp(vc->appendfsync, "always") &&
                       s_has_role(vc->roles, "persister");
    /* with a persister among the roles, the data comes from it: wait until it loaded us */
    cfg.wait_for_load = s_has_role(vc->roles, "persister");

    struct sigaction sa = {0};
    sa.sa_handler = s_on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    engine_t *e = s_engine_new(&cfg);
    e->loading = cfg.wait_for_load;
    if (config_init_save(vc->save) < 0) {
        log_warn("invalid save rules '%s'", vc->save);
        return EX_CONFIG;
    }
    long long interval = s_duration_s(vc->snapshot_interval);
    if (interval < 0) {
        log_warn("invalid snapshot-interval '%s' (seconds, or a number with s, m or h)",
                 vc->snapshot_interval);
        return EX_CONFIG;
    }
    config_init_aof(!strcmp(vc->appendonly, "yes"), vc->appendfsync, vc->appendfilename,
                    vc->appenddirname, vc->auto_aof_rewrite_percentage,
                    vc->auto_aof_rewrite_min_size);
    config_init_requirepass(vc->requirepass);
    effects_set_backlog_size(e, (size_t)vc->effect_backlog_size);
    /* without an AOF or a replica nobody reads effects: count them, build nothing (a consumer
     * that subscribes later turns recording on and starts from a snapshot) */
    effects_set_off(e, !(cfg.wait_for_load && !strcmp(vc->appendonly, "yes")) &&
                           !s_has_role(vc->roles, "replicator"));
    (void)ticks_to_ns(0); /* calibrate the command timer now, not on the first command */
    if (config_init_client_output_buffer_limit(vc->client_output_buffer_limit) < 0) {
        log_warn("invalid client-output-buffer-limit '%s'", vc->client_output_buffer_limit);
        return EX_CONFIG;
    }
    persist_init(e, vc->snapshot, !strcmp(vc->appendonly, "yes"), vc->appenddirname, interval);
    sched_engine_configure(e, vc); /* scheduler features: cron-timezone, webhook outbox */
    if (config_init_notify_keyspace_events(vc->notify_keyspace_events) < 0) {
        log_warn("invalid notify-keyspace-events '%s'", vc->notify_keyspace_events);
        return EX_CONFIG;
    }
    char cerr[1400];
    if (config_apply_startup(e, vc->engine_settings, cerr, sizeof cerr) < 0) {
        log_warn("%s", cerr);
        return EX_CONFIG; /* the supervisor stops: restarting would fail the same way */
    }
    stream_set_node_limits(e->cfg.stream_node_max_bytes, e->cfg.stream_node_max_entries);
    config_init_rewrite(e, vc->config_file); /* after every setting above is in place */
    e->hb_fd = vc->hb_fd;
    if (e->hb_fd >= 0) fcntl(e->hb_fd, F_SETFL, fcntl(e->hb_fd, F_GETFL) | O_NONBLOCK);

    if (strncmp(vc->engine_ep, "ipc://", 6) == 0) {
        s_mkdirs(vc->run_dir);
        unlink(vc->engine_ep + 6); /* a stale socket from a killed predecessor */
    }
    e->zctx = zmq_ctx_new();
    e->router = zmq_socket(e->zctx, ZMQ_ROUTER);
    int one = 1, zero = 0;
    zmq_setsockopt(e->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    /* never drop replies at a high-water mark: batches in flight bound what is queued */
    zmq_setsockopt(e->router, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(e->router, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(e->router, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(e->router, vc->engine_ep) < 0) {
        log_warn("cannot bind %s: %s", vc->engine_ep, zmq_strerror(errno));
        return 1;
    }
    e->mem_startup = engine_used_memory();
    log_notice("engine ready on %s (%d databases, run id %s)", vc->engine_ep, e->cfg.databases,
               e->run_id);

    int64_t period_us = 1000000 / e->cfg.hz;
    int64_t next_cron = mono_us() + period_us, next_hb = mono_us();
    zmq_msg_t rid, body;
    zmq_msg_init(&rid);
    zmq_msg_init(&body);
    while (!s_stop) {
        int64_t now = mono_us();
        if (now >= next_hb) {
            s_heartbeat(e);
            next_hb = now + 200000;
        }
        if (now >= next_cron) {
            s_cron(e);
            /* CONFIG SET hz takes effect at the next tick */
            period_us = 1000000 / (e->cfg.hz > 0 ? e->cfg.hz : 10);
            next_cron = now + period_us;
        }
        int64_t wait = (next_cron < next_hb ? next_cron : next_hb) - mono_us();
        long block_ms = blocking_cron(e); /* times out due waiters, tells the next deadline */
        if (delmatch_cron(e)) wait = 0; /* scheduler features: DELMATCH steps between batches */
        if (block_ms >= 0 && block_ms * 1000 < wait) wait = block_ms * 1000;
        zmq_pollitem_t item = {e->router, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, wait > 0 ? (long)((wait + 999) / 1000) : 0);
        if (rc < 0) {
            if (errno == EINTR) continue;
            log_warn("zmq_poll: %s", zmq_strerror(errno));
            break;
        }
        /* drain what is queued, bounded so timers keep running under load */
        for (int n = 0; n < 256; n++) {
            if (zmq_msg_recv(&rid, e->router, ZMQ_DONTWAIT) < 0) break;
            int more = zmq_msg_more(&rid);
            if (!more) {
                log_warn("dropping a message without routing frame");
                continue;
            }
            if (zmq_msg_recv(&body, e->router, 0) < 0) break;
            if (zmq_msg_more(&body)) {
                /* our messages are one frame: drain and drop the whole multi-frame message
                 * (ZeroMQ delivers all frames of a message together, so this cannot block) */
                int more = 1, frames = 1;
                while (more) {
                    zmq_msg_t extra;
                    zmq_msg_init(&extra);
                    if (zmq_msg_recv(&extra, e->router, ZMQ_DONTWAIT) < 0) {
                        zmq_msg_close(&extra);
                        break;
                    }
                    more = zmq_msg_more(&extra);
                    frames++;
                    zmq_msg_close(&extra);
                }
                log_warn("dropping a %d-frame message from %.*s: Vole messages have one frame",
                         frames, (int)zmq_msg_size(&rid), (const char *)zmq_msg_data(&rid));
                continue;
            }
            s_on_message(e, zmq_msg_data(&rid), zmq_msg_size(&rid), zmq_msg_data(&body),
                         zmq_msg_size(&body));
        }
        streams_pump(e);
        for (frontend_t *fe = e->frontends, *next; fe; fe = next) {
            next = fe->next;
            s_flush(e, fe, MSG_PUSH, 0);
        }
        for (frontend_t *fe = e->frontends, *next; fe; fe = next) {
            next = fe->next;
            if (fe->gone) s_frontend_drop(e, fe);
        }
    }
    /* the persister must hold every effect before we go: wait (bounded) for its acks */
    int64_t deadline = mono_us() + 4000000;
    while (!streams_caught_up(e, STREAM_EFFECTS) && mono_us() < deadline) {
        persist_reap(e); /* a persister behind the backlog waits for its new base */
        streams_pump(e);
        zmq_pollitem_t item = {e->router, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 50) <= 0) continue;
        while (zmq_msg_recv(&rid, e->router, ZMQ_DONTWAIT) >= 0) {
            if (!zmq_msg_more(&rid) || zmq_msg_recv(&body, e->router, 0) < 0) continue;
            proto_header_t h;
            const char *why;
            /* acknowledgements, and a consumer (re)subscribing meanwhile: its next effects
             * must still reach it */
            if (proto_header_parse(zmq_msg_data(&body), zmq_msg_size(&body), &h, &why) == 0 &&
                (h.type == MSG_STREAM_ACK || h.type == MSG_STREAM_SUB || h.type == MSG_FE_HELLO ||
                 h.type == MSG_SNAPSHOT_REQ))
                s_on_message(e, zmq_msg_data(&rid), zmq_msg_size(&rid), zmq_msg_data(&body),
                             zmq_msg_size(&body));
        }
    }
    if (!streams_caught_up(e, STREAM_EFFECTS))
        log_warn("shutting down before the persister acknowledged every write");
    persist_shutdown(e);
    log_notice("engine shutting down");
    zmq_msg_close(&rid);
    zmq_msg_close(&body);
    zmq_close(e->router);
    zmq_ctx_term(e->zctx);
    /* free everything, so a leak checker run on the engine reports only real leaks */
    engine_free(e);
    return 0;
}

/* ---------- replaying effects (loading, replicas, tests) ---------- */

typedef struct {
    engine_t *e;
    client_t *c;
    char *err;
    size_t errlen;
} s_apply_t;

static int s_apply_cmd(void *ctx, int dbid, int argc, const proto_arg_t *argv) {
    s_apply_t *a = ctx;
    if (dbid < 0 || dbid >= a->e->ndbs) {
        snprintf(a->err, a->errlen, "an effect names database %d, which does not exist", dbid);
        return -1;
    }
    a->c->db = &a->e->dbs[dbid];
    long long errors = a->e->stats.total_error_replies;
    engine_execute(a->e, a->c, argc, argv);
    if (a->e->stats.total_error_replies != errors) {
        /* the data diverged from what the effect was recorded against: never skip silently */
        snprintf(a->err, a->errlen, "replaying '%.*s' failed", (int)(argv[0].len > 64 ? 64 : argv[0].len),
                 argv[0].ptr);
        return -1;
    }
    return 0;
}

int engine_apply_unit(engine_t *e, const char *p, size_t len, char *err, size_t errlen) {
    if (effects_unit_decode(p, len, NULL, NULL) < 0) {
        snprintf(err, errlen, "malformed effect unit");
        return -1;
    }
    if (!e->loader) {
        frontend_t *fe = s_frontend_new(e, "\0loader", 7);
        snprintf(fe->role, sizeof fe->role, "loader");
        fe->internal = fe->hidden = 1;
        e->loader = client_new(e, fe, 0);
        snprintf(e->loader->addr, sizeof e->loader->addr, "loader");
    }
    client_t *c = e->loader;
    int was_loading = e->loading;
    e->loading = 1;
    s_apply_t a = {e, c, err, errlen};
    int rc = effects_unit_decode(p, len, s_apply_cmd, &a) == 0 ? 0 : -1;
    e->loading = was_loading;
    /* replies to the loader go nowhere */
    frontend_t *fe = c->fe;
    buf_clear(&fe->out);
    fe->out_client = NULL;
    fe->out_count = 0;
    return rc;
}

/* ---------- test support ---------- */

engine_t *engine_new_for_test(void) {
    engine_config_t cfg;
    engine_config_defaults(&cfg);
    engine_t *e = s_engine_new(&cfg);
    s_frontend_new(e, "test", 4);
    return e;
}

void engine_free_for_test(engine_t *e) { engine_free(e); }

void engine_free(engine_t *e) {
    while (e->frontends) s_frontend_drop(e, e->frontends);
    for (int i = 0; i < e->ndbs; i++) {
        db_emptied_notify(e, &e->dbs[i]);
        dict_destroy(&e->dbs[i].expires); /* shares the key strings: goes first */
        dict_destroy(&e->dbs[i].keys);
        free(e->dbs[i].name);
    }
    core_free(e); /* engine/core.h */
    free(e->dbs);
    sched_engine_free(e); /* scheduler features: cron jobs, webhooks, DELMATCH runs */
    effects_free(e);
    persist_free(e);
    proto_batch_free(&e->batch);
    free(e);
}
