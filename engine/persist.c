/* The engine's side of persistence: snapshots taken by a forked child (copy-on-write, so the
 * engine keeps serving; the fork itself is the only pause and INFO reports it), SAVE, BGSAVE,
 * BGREWRITEAOF, LASTSAVE, SHUTDOWN, save rules and snapshot-interval, -MISCONF while the
 * persister cannot write, loading a snapshot file the persister names, INFO persistence. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/effects_backlog.h"
#include "engine/engine.h"
#include "engine/persist.h"
#include "engine/snapshot.h"
#include "engine/streams.h"
#include "shared/log.h"
#include "shared/util.h"

typedef struct {
    pid_t pid;        /* snapshot child, 0 when none */
    int kind;         /* SNAP_FILE or SNAP_AOF_BASE */
    uint64_t seq;     /* effect sequence the child's copy is at */
    char path[1400];
    int64_t start_ms;
    frontend_t *requester; /* the persister that asked for an AOF base */
    int aof_scheduled, save_scheduled;
    char sched_path[1400]; /* the AOF base to write once the running child is done */
    /* status */
    int64_t lastsave_s, last_try_ms;
    int last_bgsave_ok, last_rewrite_ok;
    long long dirty_at_save, saves, rewrites;
    long long last_bgsave_time_s, last_rewrite_time_s;
    long long fork_usec, forks;
    char write_error[256]; /* the persister's write error; "" when writing works */
    long long aof_current_size, aof_base_size; /* as the persister last reported them */
    char snapshot_path[1200], aof_dir[1200];
    int aof_on;
    int64_t interval_ms, next_interval_ms;
} persist_t;

static persist_t *s_ps(engine_t *e) {
    if (!e->persist) {
        persist_t *ps = calloc(1, sizeof *ps);
        if (!ps) abort();
        ps->lastsave_s = now_ms() / 1000;
        ps->last_bgsave_ok = ps->last_rewrite_ok = 1;
        ps->last_bgsave_time_s = ps->last_rewrite_time_s = -1;
        ps->fork_usec = 0;
        snprintf(ps->snapshot_path, sizeof ps->snapshot_path, "%s/dump.vdb", e->cfg.dir);
        e->persist = ps;
    }
    return e->persist;
}

void persist_init(engine_t *e, const char *snapshot, int aof_on, const char *aof_dir,
                  long long interval_s) {
    persist_t *ps = s_ps(e);
    snprintf(ps->snapshot_path, sizeof ps->snapshot_path, "%s/%s", e->cfg.dir, snapshot);
    snprintf(ps->aof_dir, sizeof ps->aof_dir, "%s/%s", e->cfg.dir, aof_dir);
    ps->aof_on = aof_on;
    ps->interval_ms = interval_s * 1000;
    ps->next_interval_ms = ps->interval_ms ? now_ms() + ps->interval_ms : 0;
}

void persist_set_aof(engine_t *e, int on) { s_ps(e)->aof_on = on; }

void persist_free(engine_t *e) {
    free(e->persist);
    e->persist = NULL;
}

/* ---------- loading ---------- */

static void s_load_progress(void *ctx, uint64_t keys, uint64_t bytes) {
    engine_t *e = ctx;
    log_notice("loading: %llu keys, %.1f MB of data, %lld ms", (unsigned long long)keys,
               (double)bytes / 1e6, (long long)(now_ms() - e->loading_start_ms));
}

int engine_load_snapshot(engine_t *e, const char *path, uint64_t *seq, char *err, size_t errlen) {
    log_notice("loading snapshot %s", path);
    return snapshot_load_file(e, path, seq, s_load_progress, e, err, errlen);
}

/* ---------- snapshots ---------- */

static int s_save_now(engine_t *e, const char *path, char *err, size_t errlen) {
    return snapshot_save_file(e, path, effects_last_seq(e), err, errlen);
}

/* Starts a child writing a snapshot of this moment; 0, or -1 with err. */
static int s_fork_snapshot(engine_t *e, int kind, const char *path, char *err, size_t errlen) {
    persist_t *ps = s_ps(e);
    int64_t t0 = mono_us();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* the child: a frozen copy of the data; touch no socket, run no exit handler */
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        char cerr[512];
        int64_t c0 = mono_us();
        int rc = s_save_now(e, path, cerr, sizeof cerr);
        if (rc < 0) log_warn("snapshot %s failed: %s", path, cerr);
        else log_notice("snapshot %s written in %lld ms", path, (long long)((mono_us() - c0) / 1000));
        _exit(rc < 0 ? 1 : 0);
    }
    ps->fork_usec = mono_us() - t0;
    ps->forks++;
    ps->pid = pid;
    ps->kind = kind;
    ps->seq = effects_last_seq(e);
    ps->start_ms = now_ms();
    snprintf(ps->path, sizeof ps->path, "%s", path);
    log_notice("snapshot started by child %d (%s, effect %llu; fork took %lld us)", (int)pid,
               kind == SNAP_FILE ? path : "new AOF base", (unsigned long long)ps->seq,
               ps->fork_usec);
    return 0;
}

static void s_snapshot_done(engine_t *e, frontend_t *fe, int kind, int ok, uint64_t seq,
                            const char *text) {
    buf_t b;
    buf_init(&b);
    proto_put_ctl(&b, MSG_SNAPSHOT_DONE, (uint8_t)kind, seq, (uint64_t)ok, text, strlen(text));
    engine_send_to(e, fe, b.data, b.len);
    buf_free(&b);
}

static frontend_t *s_persister(engine_t *e) {
    for (frontend_t *fe = e->frontends; fe; fe = fe->next)
        if (!fe->gone && !strcmp(fe->role, "persister")) return fe;
    return NULL;
}

static int s_start_aof_base(engine_t *e, frontend_t *fe, const char *path) {
    char err[512];
    persist_t *ps = s_ps(e);
    if (s_fork_snapshot(e, SNAP_AOF_BASE, path, err, sizeof err) < 0) {
        ps->last_rewrite_ok = 0;
        if (fe) s_snapshot_done(e, fe, SNAP_AOF_BASE, 0, 0, err);
        return -1;
    }
    ps->requester = fe;
    return 0;
}

void persist_on_snapshot_req(engine_t *e, frontend_t *fe, const char *data, size_t len) {
    uint8_t kind;
    uint64_t a, b;
    const char *path;
    size_t plen;
    persist_t *ps = s_ps(e);
    if (proto_get_ctl(data, len, &kind, &a, &b, &path, &plen) < 0 || kind != SNAP_AOF_BASE ||
        plen == 0 || plen >= sizeof ps->path) {
        log_warn("dropping a malformed snapshot request from %s", fe->role);
        return;
    }
    char p[1400];
    snprintf(p, sizeof p, "%.*s", (int)plen, path);
    if (ps->pid) {
        /* one child at a time: after the running one, as Redis schedules a rewrite */
        snprintf(ps->sched_path, sizeof ps->sched_path, "%s", p);
        ps->aof_scheduled = 1;
        ps->requester = fe;
        return;
    }
    s_start_aof_base(e, fe, p);
}

void persist_on_state(engine_t *e, frontend_t *fe, const char *data, size_t len) {
    uint8_t ok;
    uint64_t a, b;
    const char *why;
    size_t wl;
    if (proto_get_ctl(data, len, &ok, &a, &b, &why, &wl) < 0) return;
    persist_t *ps = s_ps(e);
    if (ok) {
        if (ps->write_error[0]) log_notice("the persister writes again: writes are accepted");
        ps->write_error[0] = '\0';
    } else {
        snprintf(ps->write_error, sizeof ps->write_error, "%.*s", (int)wl, why);
        log_warn("the persister cannot write (%s): refusing writes", ps->write_error);
    }
    (void)fe;
}

void persist_on_info(engine_t *e, const char *data, size_t len) {
    uint8_t unused;
    uint64_t cur, base;
    if (proto_get_ctl(data, len, &unused, &cur, &base, NULL, NULL) < 0) return;
    s_ps(e)->aof_current_size = (long long)cur;
    s_ps(e)->aof_base_size = (long long)base;
}

int persist_refuses(engine_t *e, client_t *c, const command_t *cmd) {
    persist_t *ps = e->persist;
    if (!ps || !ps->write_error[0] || c == e->loader) return 0;
    if (!(cmd->flagbits & CMD_WRITE) && strcmp(cmd->fullname, "ping") != 0) return 0;
    reply_errorf(c, "-MISCONF Errors writing to the AOF file: %s", ps->write_error);
    return 1;
}

/* Reaps a finished child and reports it. */
static void s_reap(engine_t *e) {
    persist_t *ps = s_ps(e);
    if (!ps->pid) return;
    int status;
    pid_t r = waitpid(ps->pid, &status, WNOHANG);
    if (r == 0) return;
    int ok = r == ps->pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    long long secs = (now_ms() - ps->start_ms + 999) / 1000;
    if (ps->kind == SNAP_FILE) {
        ps->last_bgsave_ok = ok;
        ps->last_bgsave_time_s = secs;
        if (ok) {
            ps->lastsave_s = now_ms() / 1000;
            ps->saves++;
        }
        ps->last_try_ms = now_ms();
        log_notice("background snapshot %s", ok ? "done" : "FAILED (see the log)");
        /* with the AOF on, the persister makes it the AOF's base and drops what it covers */
        frontend_t *fe = s_persister(e);
        if (ok && fe && ps->aof_on) s_snapshot_done(e, fe, SNAP_FILE, 1, ps->seq, ps->path);
    } else {
        ps->last_rewrite_ok = ok;
        ps->last_rewrite_time_s = secs;
        if (ok) ps->rewrites++;
        frontend_t *fe = s_persister(e);
        if (fe)
            s_snapshot_done(e, fe, SNAP_AOF_BASE, ok, ps->seq,
                            ok ? ps->path : "the snapshot child failed");
        if (!ok) unlink(ps->path);
    }
    ps->pid = 0;
    if (ps->aof_scheduled) {
        ps->aof_scheduled = 0;
        char path[1400];
        snprintf(path, sizeof path, "%s", ps->sched_path);
        s_start_aof_base(e, s_persister(e), path);
    } else if (ps->save_scheduled) {
        char err[512];
        ps->save_scheduled = 0;
        if (s_fork_snapshot(e, SNAP_FILE, ps->snapshot_path, err, sizeof err) < 0)
            log_warn("scheduled BGSAVE failed: %s", err);
    }
}

/* Save rules and snapshot-interval. */
static void s_auto_save(engine_t *e) {
    persist_t *ps = s_ps(e);
    if (ps->pid || e->loading) return;
    int64_t now = now_ms();
    long long changes = e->stats.dirty - ps->dirty_at_save;
    int due = 0;
    if (ps->interval_ms && now >= ps->next_interval_ms) {
        due = changes > 0;
        ps->next_interval_ms = now + ps->interval_ms;
    }
    const char *r = config_save_rules();
    while (!due && *r) {
        long long secs, min;
        int n;
        if (sscanf(r, "%lld %lld%n", &secs, &min, &n) != 2) break;
        r += n;
        while (*r == ' ') r++;
        /* after a failed save, wait 5 s before trying again, as Redis */
        if (changes >= min && now / 1000 - ps->lastsave_s > secs &&
            (ps->last_bgsave_ok || now - ps->last_try_ms > 5000))
            due = 1;
    }
    if (!due) return;
    char err[512];
    ps->dirty_at_save = e->stats.dirty;
    if (s_fork_snapshot(e, SNAP_FILE, ps->snapshot_path, err, sizeof err) < 0) {
        ps->last_bgsave_ok = 0;
        ps->last_try_ms = now;
        log_warn("background snapshot not started: %s", err);
    }
}

void persist_fork_stats(engine_t *e, long long *latest_usec, long long *total) {
    persist_t *ps = s_ps(e);
    *latest_usec = ps->fork_usec;
    *total = ps->forks;
}

void persist_reap(engine_t *e) { s_reap(e); }

void persist_cron(engine_t *e) {
    s_reap(e);
    s_auto_save(e);
}

void persist_shutdown(engine_t *e) {
    persist_t *ps = s_ps(e);
    if (ps->pid) {
        /* a snapshot child must not outlive us half-written: its temp file is never renamed */
        kill(ps->pid, SIGKILL);
        waitpid(ps->pid, NULL, 0);
        ps->pid = 0;
    }
    if (!config_save_rules()[0] || e->loading) return;
    /* as Redis with save points: a final snapshot on SIGTERM */
    char err[512];
    int64_t t0 = mono_us();
    if (s_save_now(e, ps->snapshot_path, err, sizeof err) < 0)
        log_warn("the final snapshot failed: %s", err);
    else
        log_notice("final snapshot %s written in %lld ms", ps->snapshot_path,
                   (long long)((mono_us() - t0) / 1000));
}

/* ---------- commands ---------- */

void cmd_save(client_t *c) {
    engine_t *e = c->eng;
    persist_t *ps = s_ps(e);
    if (ps->pid) {
        reply_error(c, "Background save already in progress");
        return;
    }
    char err[512];
    long long dirty = e->stats.dirty;
    if (s_save_now(e, ps->snapshot_path, err, sizeof err) < 0) {
        log_warn("SAVE failed: %s", err);
        ps->last_bgsave_ok = 0;
        reply_error(c, "-ERR");
        return;
    }
    ps->dirty_at_save = dirty;
    ps->lastsave_s = now_ms() / 1000;
    ps->last_bgsave_ok = 1;
    ps->saves++;
    frontend_t *fe = s_persister(e);
    if (fe && ps->aof_on)
        s_snapshot_done(e, fe, SNAP_FILE, 1, effects_last_seq(e), ps->snapshot_path);
    reply_ok(c);
}

void cmd_bgsave(client_t *c) {
    engine_t *e = c->eng;
    persist_t *ps = s_ps(e);
    int schedule = 0;
    if (c->argc > 1) {
        if (c->argc == 2 && arg_is(&c->argv[1], "schedule")) schedule = 1;
        else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    if (ps->pid && ps->kind == SNAP_FILE) {
        reply_error(c, "Background save already in progress");
        return;
    }
    if (ps->pid) {
        if (!schedule) {
            reply_error(c, "Another child process is active (AOF?): can't BGSAVE right now. Use "
                           "BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
            return;
        }
        ps->save_scheduled = 1;
        reply_simple(c, "Background saving scheduled");
        return;
    }
    char err[512];
    ps->dirty_at_save = e->stats.dirty;
    if (s_fork_snapshot(e, SNAP_FILE, ps->snapshot_path, err, sizeof err) < 0) {
        ps->last_bgsave_ok = 0;
        reply_errorf(c, "%s", err);
        return;
    }
    reply_simple(c, "Background saving started");
}

void cmd_bgrewriteaof(client_t *c) {
    engine_t *e = c->eng;
    persist_t *ps = s_ps(e);
    frontend_t *pfe = s_persister(e);
    if (!ps->aof_on || !pfe) {
        /* Redis with appendonly off still writes a file; Vole's AOF is the persister's */
        reply_error(c, "The append-only file is off (appendonly no) or its persister is not "
                       "running");
        return;
    }
    if (ps->pid && ps->kind == SNAP_AOF_BASE) {
        reply_error(c, "Background append only file rewriting already in progress");
        return;
    }
    char path[1400];
    snprintf(path, sizeof path, "%s/rewrite.%lld.vdb", ps->aof_dir, (long long)now_ms());
    if (ps->pid) {
        ps->aof_scheduled = 1;
        snprintf(ps->sched_path, sizeof ps->sched_path, "%s", path);
        reply_simple(c, "Background append only file rewriting scheduled");
        return;
    }
    if (s_start_aof_base(e, pfe, path) < 0) {
        reply_error(c, "Can't execute an AOF background rewriting. Please check the server logs "
                       "for more information.");
        return;
    }
    reply_simple(c, "Background append only file rewriting started");
}

void cmd_lastsave(client_t *c) { reply_int(c, s_ps(c->eng)->lastsave_s); }

void cmd_shutdown(client_t *c) {
    engine_t *e = c->eng;
    int nosave = 0, save = 0, abort_ = 0;
    for (int i = 1; i < c->argc; i++) {
        if (arg_is(&c->argv[i], "nosave")) nosave = 1;
        else if (arg_is(&c->argv[i], "save")) save = 1;
        else if (arg_is(&c->argv[i], "now") || arg_is(&c->argv[i], "force")) continue;
        else if (arg_is(&c->argv[i], "abort")) abort_ = 1;
        else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    if ((nosave && save) || (abort_ && c->argc != 2)) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (abort_) {
        reply_error(c, "No shutdown in progress.");
        return;
    }
    if (save || (!nosave && config_save_rules()[0])) {
        char err[512];
        persist_t *ps = s_ps(e);
        if (s_save_now(e, ps->snapshot_path, err, sizeof err) < 0) {
            log_warn("SHUTDOWN: the snapshot failed (%s); not shutting down", err);
            reply_error(c, "Errors trying to SHUTDOWN. Check logs.");
            return;
        }
    }
    log_notice("SHUTDOWN asked by client %llu: stopping Vole", (unsigned long long)c->id);
    /* the supervisor stops every role in order (frontends, engine, persister) */
    pid_t parent = getppid();
    if (parent > 1) kill(parent, SIGTERM);
    else kill(getpid(), SIGTERM);
    reply_mark_close(c);
}

/* ---------- INFO ---------- */

void persist_info(engine_t *e, buf_t *b) {
    persist_t *ps = s_ps(e);
    long long load_ms = e->loading && e->loading_start_ms ? now_ms() - e->loading_start_ms : 0;
    buf_printf(b,
               "# Persistence\r\n"
               "loading:%d\r\n"
               "async_loading:0\r\n",
               e->loading ? 1 : 0);
    if (e->loading)
        buf_printf(b,
                   "loading_start_time:%lld\r\n"
                   "loading_loaded_effects:%lld\r\n"
                   "loading_at_effect:%llu\r\n"
                   "loading_eta_seconds:0\r\n"
                   "loading_elapsed_ms:%lld\r\n",
                   (long long)(e->loading_start_ms / 1000), e->loaded_units,
                   (unsigned long long)e->load_seq, load_ms);
    buf_printf(b,
               "current_cow_peak:0\r\n"
               "current_cow_size:0\r\n"
               "current_cow_size_age:0\r\n"
               "current_fork_perc:0.00\r\n"
               "current_save_keys_processed:0\r\n"
               "current_save_keys_total:0\r\n"
               "rdb_changes_since_last_save:%lld\r\n"
               "rdb_bgsave_in_progress:%d\r\n"
               "rdb_last_save_time:%lld\r\n"
               "rdb_last_bgsave_status:%s\r\n"
               "rdb_last_bgsave_time_sec:%lld\r\n"
               "rdb_current_bgsave_time_sec:%lld\r\n"
               "rdb_saves:%lld\r\n"
               "rdb_last_cow_size:0\r\n"
               "rdb_last_load_keys_expired:0\r\n"
               "rdb_last_load_keys_loaded:0\r\n"
               "aof_enabled:%d\r\n"
               "aof_rewrite_in_progress:%d\r\n"
               "aof_rewrite_scheduled:%d\r\n"
               "aof_last_rewrite_time_sec:%lld\r\n"
               "aof_current_rewrite_time_sec:%lld\r\n"
               "aof_last_bgrewrite_status:%s\r\n"
               "aof_rewrites:%lld\r\n"
               "aof_rewrites_consecutive_failures:0\r\n"
               "aof_last_write_status:%s\r\n"
               "aof_last_cow_size:0\r\n"
               "module_fork_in_progress:0\r\n"
               "module_fork_last_cow_size:0\r\n",
               e->stats.dirty - ps->dirty_at_save, ps->pid && ps->kind == SNAP_FILE,
               (long long)ps->lastsave_s, ps->last_bgsave_ok ? "ok" : "err",
               ps->last_bgsave_time_s,
               ps->pid && ps->kind == SNAP_FILE ? (now_ms() - ps->start_ms) / 1000 : -1LL,
               ps->saves, ps->aof_on, ps->pid && ps->kind == SNAP_AOF_BASE, ps->aof_scheduled,
               ps->last_rewrite_time_s,
               ps->pid && ps->kind == SNAP_AOF_BASE ? (now_ms() - ps->start_ms) / 1000 : -1LL,
               ps->last_rewrite_ok ? "ok" : "err", ps->rewrites,
               ps->write_error[0] ? "err" : "ok");
    if (ps->aof_on)
        buf_printf(b,
                   "aof_current_size:%lld\r\n"
                   "aof_base_size:%lld\r\n"
                   "aof_pending_rewrite:%d\r\n"
                   "aof_buffer_length:0\r\n"
                   "aof_pending_bio_fsync:0\r\n"
                   "aof_delayed_fsync:0\r\n",
                   ps->aof_current_size, ps->aof_base_size, ps->aof_scheduled);
    buf_printf(b,
               "effect_seq:%llu\r\n"
               "effect_durable_seq:%llu\r\n",
               (unsigned long long)effects_last_seq(e), (unsigned long long)e->durable_seq);
}

/* ---------- table ---------- */

// clang-format off
command_t persist_commands[] = {
    {.name = "save", .proc = cmd_save, .arity = 1,
     .flags = "admin noscript no_async_loading no_multi", .acl = "dangerous", .group = "server",
     .since = "1.0.0", .summary = "Writes a snapshot of the data to disk, in the foreground.",
     .complexity = "O(N), N being the number of keys in all databases."},
    {.name = "bgsave", .proc = cmd_bgsave, .arity = -1, .flags = "admin noscript no_async_loading",
     .acl = "dangerous", .group = "server", .since = "1.0.0",
     .summary = "Writes a snapshot of the data to disk from a child process.",
     .complexity = "O(1) to start; the child's work is O(N) in the keys.",
     .history = "3.2.2 Added the SCHEDULE option.", .args = "?=SCHEDULE+3.2.2"},
    {.name = "bgrewriteaof", .proc = cmd_bgrewriteaof, .arity = 1,
     .flags = "admin noscript no_async_loading", .acl = "dangerous", .group = "server",
     .since = "1.0.0",
     .summary = "Starts a new append-only file base from a snapshot taken by a child process.",
     .complexity = "O(1) to start; the child's work is O(N) in the keys."},
    {.name = "lastsave", .proc = cmd_lastsave, .arity = 1, .flags = "loading stale fast",
     .acl = "admin dangerous", .tips = "nondeterministic_output", .group = "server",
     .since = "1.0.0", .summary = "Tells the Unix time of the last successful snapshot.",
     .complexity = "O(1)"},
    {.name = "shutdown", .proc = cmd_shutdown, .arity = -1,
     .flags = "admin noscript loading stale no_multi sentinel allow_busy", .acl = "dangerous",
     .group = "server", .since = "1.0.0",
     .summary = "Saves the data if configured to, then stops every Vole process.",
     .complexity = "O(N) with a snapshot, N being the keys; O(1) otherwise.",
     .history = "7.0.0 Added the NOW, FORCE and ABORT modifiers.",
     .args = "?oneof:save-selector(=NOSAVE =SAVE) ?=NOW+7.0.0 ?=FORCE+7.0.0 ?=ABORT+7.0.0"},
    {0}};
// clang-format on

__attribute__((constructor)) static void s_register(void) { command_group_register(persist_commands); }
