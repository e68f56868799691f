/* Cron jobs, the engine's half (DESIGN.md §7): the job table (CRON.ADD / DEL / LIST / INFO /
 * RUN) is engine data, persisted as the "cron" snapshot section and as effects. The engine
 * never runs a job itself: the scheduler process learns the table (it polls VOLE.CRON-JOBS,
 * which answers nil while nothing changed), computes run times, sends each job's command
 * through its own internal client at the wall-clock minute, and records the outcome with
 * VOLE.CRON-DONE (last run, result, run count, failures).
 *
 * A job runs in the database it was added from. Commands that would leave the scheduler's
 * client in another state (blocking, MULTI, SUBSCRIBE, SELECT...) are refused at CRON.ADD. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/commands.h"
#include "engine/effects.h"
#include "engine/sched.h"
#include "engine/snapshot.h"
#include "shared/config.h"
#include "shared/cronexpr.h"
#include "shared/log.h"
#include "shared/schedrec.h"
#include "shared/util.h"


#define RESULT_MAX 200 /* bytes of a run's result kept for CRON.INFO */

typedef struct job {
    vstr_t *name, *expr;
    cron_expr_t ce;
    int argc;
    vstr_t **argv;
    int dbid;
    int64_t created_ms, last_run_ms; /* last_run_ms 0: never ran */
    int last_ok;
    vstr_t *last_result;
    long long runs, failures;
    uint64_t run_req, run_done; /* CRON.RUN requests made / served (not persisted) */
} job_t;

static struct {
    job_t **jobs; /* sorted by name */
    size_t n, cap;
    uint64_t version; /* changes whenever the scheduler must re-read the table */
    buf_t out;
} s_cron = {.version = 1};

void sched_engine_configure(engine_t *e, const struct vole_config *vc) {
    (void)e;
    if (cron_set_timezone(vc->cron_timezone) < 0)
        log_warn("unknown cron-timezone '%s': using UTC", vc->cron_timezone);
    webhook_configure(vc->webhook_outbox_max, vc->webhook_outbox_max_bytes);
}

void sched_engine_free(engine_t *e) {
    (void)e;
    cron_reset();
    webhook_reset();
    delmatch_reset();
}

/* ===================== the table ===================== */

static size_t s_pos(const char *name, size_t len, int *found) {
    size_t lo = 0, hi = s_cron.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const vstr_t *m = s_cron.jobs[mid]->name;
        int cmp = memcmp(m->ptr, name, m->len < len ? m->len : len);
        if (cmp == 0) cmp = m->len < len ? -1 : m->len > len ? 1 : 0;
        if (cmp == 0) {
            *found = 1;
            return mid;
        }
        if (cmp < 0) lo = mid + 1;
        else hi = mid;
    }
    *found = 0;
    return lo;
}

static job_t *s_get(const proto_arg_t *name) {
    int found;
    size_t i = s_pos(name->ptr, name->len, &found);
    return found ? s_cron.jobs[i] : NULL;
}

static void s_job_free(job_t *j) {
    vstr_free(j->name);
    vstr_free(j->expr);
    for (int i = 0; i < j->argc; i++) vstr_free(j->argv[i]);
    free(j->argv);
    if (j->last_result) vstr_free(j->last_result);
    free(j);
}

static void s_remove(size_t i) {
    s_job_free(s_cron.jobs[i]);
    memmove(&s_cron.jobs[i], &s_cron.jobs[i + 1], (s_cron.n - i - 1) * sizeof *s_cron.jobs);
    s_cron.n--;
    s_cron.version++;
}

/* Adds (or replaces) a job whose expression already parsed. */
static job_t *s_put(const proto_arg_t *name, const proto_arg_t *expr, const cron_expr_t *ce,
                    int dbid, int64_t created, int argc, const proto_arg_t *argv) {
    int found;
    size_t i = s_pos(name->ptr, name->len, &found);
    if (found) {
        s_job_free(s_cron.jobs[i]);
    } else {
        if (s_cron.n == s_cron.cap) {
            s_cron.cap = s_cron.cap ? s_cron.cap * 2 : 16;
            s_cron.jobs = realloc(s_cron.jobs, s_cron.cap * sizeof *s_cron.jobs);
            if (!s_cron.jobs) abort();
        }
        memmove(&s_cron.jobs[i + 1], &s_cron.jobs[i], (s_cron.n - i) * sizeof *s_cron.jobs);
        s_cron.n++;
    }
    job_t *j = calloc(1, sizeof *j);
    if (!j) abort();
    j->name = vstr_new(name->ptr, name->len);
    j->expr = vstr_new(expr->ptr, expr->len);
    j->ce = *ce;
    j->dbid = dbid;
    j->created_ms = created;
    j->argc = argc;
    j->argv = calloc((size_t)argc, sizeof *j->argv);
    if (!j->argv) abort();
    for (int k = 0; k < argc; k++) j->argv[k] = vstr_new(argv[k].ptr, argv[k].len);
    s_cron.jobs[i] = j;
    s_cron.version++;
    return j;
}

/* Commands a job may not run: they would block or change the state of the scheduler's
 * client for the jobs after it. */
static const char *const s_refused[] = {
    "multi", "exec", "discard", "watch", "unwatch", "subscribe", "psubscribe", "ssubscribe",
    "unsubscribe", "punsubscribe", "sunsubscribe", "monitor", "quit", "reset", "hello",
    "select", "auth", "client", NULL};

static int s_command_ok_or_reply(client_t *c, int argc, const proto_arg_t *argv) {
    const command_t *cmd = command_lookup(argc, argv);
    if (!cmd || !cmd->proc) {
        reply_errorf(c, "unknown command '%.*s' for the cron job", (int)(argv[0].len > 64 ? 64 : argv[0].len),
                     argv[0].ptr);
        return -1;
    }
    const command_t *top = cmd->parent ? cmd->parent : cmd;
    int refused = (cmd->flagbits & CMD_BLOCKING) != 0;
    for (int i = 0; s_refused[i] && !refused; i++) refused = !strcasecmp(top->name, s_refused[i]);
    if (refused) {
        reply_errorf(c, "a cron job cannot run '%s' (blocking, transaction or connection "
                        "state commands are refused)", cmd->fullname);
        return -1;
    }
    if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity) {
        reply_errorf(c, "wrong number of arguments for '%s' command", cmd->fullname);
        return -1;
    }
    return 0;
}

static int s_parse_or_reply(client_t *c, const proto_arg_t *expr, cron_expr_t *ce) {
    char err[200];
    if (cron_parse(ce, expr->ptr, expr->len, err, sizeof err) < 0) {
        reply_errorf(c, "invalid cron expression: %s", err);
        return -1;
    }
    return 0;
}

/* ===================== commands ===================== */

static int s_add(client_t *c, const proto_arg_t *name, const proto_arg_t *expr, int dbid,
                 int64_t created, int argc, const proto_arg_t *argv) {
    cron_expr_t ce;
    if (name->len == 0 || name->len > 200) {
        reply_error(c, "-ERR the job name must be 1 to 200 bytes");
        return -1;
    }
    if (s_parse_or_reply(c, expr, &ce) < 0 || s_command_ok_or_reply(c, argc, argv) < 0) return -1;
    s_put(name, expr, &ce, dbid, created, argc, argv);
    c->eng->stats.dirty++;
    reply_ok(c);
    return 0;
}


/* CRON.ADD name expr command [arg ...] (replaces a job of that name) */
static void cmd_cron_add(client_t *c) {
    int64_t now = c->eng->now_ms;
    if (s_add(c, &c->argv[1], &c->argv[2], c->db->id, now, c->argc - 3, c->argv + 3) < 0) return;
    /* replays with the creation time (catch-up of missed runs counts from it) */
    int n = c->argc + 2;
    proto_arg_t *eff = malloc((size_t)n * sizeof *eff);
    if (!eff) abort();
    char ts[24], db[24];
    eff[0] = EFF_LIT("vole.cron-set");
    eff[1] = c->argv[1];
    eff[2] = c->argv[2];
    eff[3] = EFF_ARG(ts, ll_to_str(ts, now));
    eff[4] = EFF_ARG(db, ll_to_str(db, c->db->id));
    for (int i = 3; i < c->argc; i++) eff[i + 2] = c->argv[i];
    effect_add(c, n, eff);
    free(eff);
}

/* VOLE.CRON-SET name expr created_ms dbid command [arg ...]: CRON.ADD's effect */
static void cmd_vole_cron_set(client_t *c) {
    long long created, db;
    if (sched_internal_or_reply(c) < 0) return;
    if (arg_ll_or_reply(c, &c->argv[3], &created, NULL) < 0 ||
        arg_range_or_reply(c, &c->argv[4], 0, c->eng->ndbs - 1, &db, ERR_DB_INDEX) < 0)
        return;
    s_add(c, &c->argv[1], &c->argv[2], (int)db, created, c->argc - 5, c->argv + 5);
}

static void cmd_cron_del(client_t *c) {
    int found;
    size_t i = s_pos(c->argv[1].ptr, c->argv[1].len, &found);
    if (found) {
        s_remove(i);
        c->eng->stats.dirty++;
    }
    reply_int(c, found);
}

static void s_reply_command(client_t *c, const job_t *j) {
    buf_clear(&s_cron.out);
    for (int i = 0; i < j->argc; i++) {
        if (i) buf_append(&s_cron.out, " ", 1);
        buf_append(&s_cron.out, j->argv[i]->ptr, j->argv[i]->len);
    }
    reply_bulk(c, s_cron.out.data ? s_cron.out.data : "", s_cron.out.len);
}

static long long s_next_ms(const job_t *j, int64_t now_ms) {
    int64_t t = cron_next(&j->ce, now_ms / 1000);
    return t < 0 ? -1 : t * 1000;
}

/* A job as a map: name, schedule, command, next_run; CRON.INFO adds the rest. */
static void s_reply_job(client_t *c, const job_t *j, int full) {
    reply_map(c, full ? 11 : 4);
    reply_bulk_cstr(c, "name");
    reply_bulk(c, j->name->ptr, j->name->len);
    reply_bulk_cstr(c, "schedule");
    reply_bulk(c, j->expr->ptr, j->expr->len);
    reply_bulk_cstr(c, "command");
    s_reply_command(c, j);
    reply_bulk_cstr(c, "next_run");
    reply_int(c, s_next_ms(j, c->eng->now_ms));
    if (!full) return;
    reply_bulk_cstr(c, "db");
    reply_int(c, j->dbid);
    reply_bulk_cstr(c, "created");
    reply_int(c, j->created_ms);
    reply_bulk_cstr(c, "last_run");
    reply_int(c, j->last_run_ms ? j->last_run_ms : -1);
    reply_bulk_cstr(c, "last_status");
    reply_bulk_cstr(c, !j->last_run_ms ? "never" : j->last_ok ? "ok" : "error");
    reply_bulk_cstr(c, "last_result");
    if (j->last_result) reply_bulk(c, j->last_result->ptr, j->last_result->len);
    else reply_null(c);
    reply_bulk_cstr(c, "run_count");
    reply_int(c, j->runs);
    reply_bulk_cstr(c, "failures");
    reply_int(c, j->failures);
}

static void cmd_cron_list(client_t *c) {
    reply_array(c, (long long)s_cron.n);
    for (size_t i = 0; i < s_cron.n; i++) s_reply_job(c, s_cron.jobs[i], 0);
}

static void cmd_cron_info(client_t *c) {
    const job_t *j = s_get(&c->argv[1]);
    if (!j) {
        reply_error(c, "-ERR no such cron job");
        return;
    }
    s_reply_job(c, j, 1);
}

/* CRON.RUN name: the scheduler runs it at its next look at the table (within a second) */
static void cmd_cron_run(client_t *c) {
    job_t *j = s_get(&c->argv[1]);
    if (!j) {
        reply_error(c, "-ERR no such cron job");
        return;
    }
    j->run_req++;
    s_cron.version++;
    reply_ok(c);
}

int sched_internal_or_reply(client_t *c) {
    if (c == c->eng->loader || !strcmp(c->fe->role, "scheduler")) return 0;
    reply_errorf(c, "'%s' is internal to Vole (used by the scheduler process)", c->cmd->fullname);
    return -1;
}

/* VOLE.CRON-JOBS version: nil while the table is at that version, else the table
 * (shared/schedrec.h) */
static void cmd_vole_cron_jobs(client_t *c) {
    if (sched_internal_or_reply(c) < 0) return;
    long long v;
    if (arg_ll_or_reply(c, &c->argv[1], &v, NULL) < 0) return;
    if ((uint64_t)v == s_cron.version) {
        reply_null(c);
        return;
    }
    buf_t *b = &s_cron.out;
    buf_clear(b);
    buf_put_u64(b, s_cron.version);
    buf_put_u32(b, (uint32_t)s_cron.n);
    for (size_t i = 0; i < s_cron.n; i++) {
        const job_t *j = s_cron.jobs[i];
        srec_put_str(b, j->name->ptr, j->name->len);
        srec_put_str(b, j->expr->ptr, j->expr->len);
        buf_put_u64(b, (uint64_t)j->created_ms);
        buf_put_u64(b, (uint64_t)j->last_run_ms);
        buf_put_u64(b, j->run_req);
        buf_put_u64(b, j->run_done);
        buf_put_u32(b, (uint32_t)j->dbid);
        buf_put_u32(b, (uint32_t)j->argc);
        for (int k = 0; k < j->argc; k++) srec_put_str(b, j->argv[k]->ptr, j->argv[k]->len);
    }
    reply_bulk(c, b->data, b->len);
    buf_shrink(b, 1 << 16);
}

/* VOLE.CRON-DONE name run_ms ok|error result served_request */
static void cmd_vole_cron_done(client_t *c) {
    if (sched_internal_or_reply(c) < 0) return;
    long long run_ms, served;
    int ok = arg_is(&c->argv[3], "ok");
    if (!ok && !arg_is(&c->argv[3], "error")) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (arg_ll_or_reply(c, &c->argv[2], &run_ms, NULL) < 0 ||
        arg_ll_or_reply(c, &c->argv[5], &served, NULL) < 0)
        return;
    job_t *j = s_get(&c->argv[1]);
    if (!j) { /* deleted while it ran */
        reply_int(c, 0);
        return;
    }
    j->last_run_ms = run_ms;
    j->last_ok = ok;
    j->runs++;
    if (!ok) j->failures++;
    if (j->last_result) vstr_free(j->last_result);
    size_t n = c->argv[4].len > RESULT_MAX ? RESULT_MAX : c->argv[4].len;
    j->last_result = vstr_new(c->argv[4].ptr, n);
    if ((uint64_t)served > j->run_done && (uint64_t)served <= j->run_req) j->run_done = (uint64_t)served;
    s_cron.version++;
    c->eng->stats.dirty++;
    reply_int(c, 1);
}

static void cmd_cron_help(client_t *c) {
    static const char *lines[] = {
        "CRON.ADD <name> <expression> <command> [<arg> ...]",
        "    Runs <command> whenever the 5-field cron <expression> matches (minute hour",
        "    day-of-month month day-of-week; names, ranges, steps, @hourly/@daily/...).",
        "CRON.DEL <name>",
        "CRON.LIST",
        "CRON.INFO <name>",
        "    Schedule, command, next run, last run and result, run count, failures.",
        "CRON.RUN <name>",
        "    Runs the job now (within a second).",
        NULL};
    reply_help(c, lines);
}

void cron_reset(void) {
    while (s_cron.n) s_remove(s_cron.n - 1);
    free(s_cron.jobs);
    s_cron.jobs = NULL;
    s_cron.cap = 0;
    buf_free(&s_cron.out);
}

/* ===================== snapshot section ===================== */

static void s_save(engine_t *e, snap_writer_t *w) {
    (void)e;
    snap_put_u64(w, s_cron.n);
    for (size_t i = 0; i < s_cron.n; i++) {
        const job_t *j = s_cron.jobs[i];
        snap_put_bytes(w, j->name->ptr, j->name->len);
        snap_put_bytes(w, j->expr->ptr, j->expr->len);
        snap_put_i64(w, j->dbid);
        snap_put_i64(w, j->created_ms);
        snap_put_i64(w, j->last_run_ms);
        snap_put_u64(w, (uint64_t)j->last_ok);
        snap_put_bytes(w, j->last_result ? j->last_result->ptr : "", j->last_result ? j->last_result->len : 0);
        snap_put_i64(w, j->runs);
        snap_put_i64(w, j->failures);
        snap_put_u64(w, (uint64_t)j->argc);
        for (int k = 0; k < j->argc; k++) snap_put_bytes(w, j->argv[k]->ptr, j->argv[k]->len);
    }
}

static vstr_t *s_get_vstr(snap_reader_t *r) {
    const char *p;
    size_t n;
    return snap_get_bytes(r, &p, &n) < 0 ? NULL : vstr_new(p, n);
}

static int s_load(engine_t *e, snap_reader_t *r) {
    uint64_t n;
    if (snap_get_count(r, &n) < 0) return -1;
    for (uint64_t i = 0; i < n; i++) {
        vstr_t *name = s_get_vstr(r), *expr = name ? s_get_vstr(r) : NULL, *res = NULL;
        int64_t db = 0, created = 0, last = 0, runs = 0, fails = 0;
        uint64_t ok = 0, argc = 0;
        int rc = -1;
        vstr_t **argv = NULL;
        cron_expr_t ce;
        char err[200];
        if (!expr || snap_get_i64(r, &db) < 0 || snap_get_i64(r, &created) < 0 ||
            snap_get_i64(r, &last) < 0 || snap_get_u64(r, &ok) < 0 || !(res = s_get_vstr(r)) ||
            snap_get_i64(r, &runs) < 0 || snap_get_i64(r, &fails) < 0 ||
            snap_get_count(r, &argc) < 0)
            goto done;
        if (argc == 0 || db < 0 || db >= e->ndbs || cron_parse(&ce, expr->ptr, expr->len, err, sizeof err) < 0) {
            snap_fail(r, "a cron job with no command, a bad database or a bad expression");
            goto done;
        }
        argv = calloc(argc, sizeof *argv);
        if (!argv) abort();
        uint64_t k;
        for (k = 0; k < argc; k++)
            if (!(argv[k] = s_get_vstr(r))) break;
        if (k == argc) {
            proto_arg_t *args = malloc(argc * sizeof *args);
            if (!args) abort();
            for (k = 0; k < argc; k++) args[k] = EFF_ARG(argv[k]->ptr, argv[k]->len);
            proto_arg_t pn = EFF_ARG(name->ptr, name->len), pe = EFF_ARG(expr->ptr, expr->len);
            job_t *j = s_put(&pn, &pe, &ce, (int)db, created, (int)argc, args);
            free(args);
            j->last_run_ms = last;
            j->last_ok = ok != 0;
            j->last_result = res->len || last ? vstr_new(res->ptr, res->len) : NULL;
            j->runs = runs;
            j->failures = fails;
            rc = 0;
        }
        for (k = 0; k < argc && argv; k++)
            if (argv[k]) vstr_free(argv[k]);
    done:
        free(argv);
        if (name) vstr_free(name);
        if (expr) vstr_free(expr);
        if (res) vstr_free(res);
        if (rc < 0) return -1;
    }
    return 0;
}

static void s_clear(engine_t *e) {
    (void)e;
    cron_reset();
}

static const snap_section_t s_section = {"cron", s_save, s_load, s_clear};

// clang-format off
static command_t s_cron_commands[] = {
    {.name = "cron.add", .proc = cmd_cron_add, .arity = -4, .flags = "write denyoom",
     .group = "cron", .since = "1.0.0",
     .summary = "Adds (or replaces) a cron job that runs a command on a 5-field schedule.",
     .complexity = "O(log N), N being the number of jobs.",
     .args = "string:name string:expression string:command *string:arg"},
    {.name = "cron.del", .proc = cmd_cron_del, .arity = 2, .flags = "write",
     .group = "cron", .since = "1.0.0", .summary = "Deletes a cron job.",
     .complexity = "O(N), N being the number of jobs.", .args = "string:name"},
    {.name = "cron.list", .proc = cmd_cron_list, .arity = 1, .flags = "readonly",
     .group = "cron", .since = "1.0.0", .tips = "nondeterministic_output",
     .summary = "Lists the cron jobs with their schedule, command and next run.",
     .complexity = "O(N), N being the number of jobs."},
    {.name = "cron.info", .proc = cmd_cron_info, .arity = 2, .flags = "readonly",
     .group = "cron", .since = "1.0.0", .tips = "nondeterministic_output",
     .summary = "Returns a cron job's schedule, next and last run, last result and counters.",
     .complexity = "O(log N), N being the number of jobs.", .args = "string:name"},
    {.name = "cron.run", .proc = cmd_cron_run, .arity = 2, .flags = "",
     .group = "cron", .since = "1.0.0",
     .summary = "Runs a cron job now (the scheduler picks it up within a second).",
     .complexity = "O(log N), N being the number of jobs.", .args = "string:name"},
    {.name = "cron.help", .proc = cmd_cron_help, .arity = 1, .flags = "loading stale",
     .group = "cron", .since = "1.0.0", .summary = "Lists the CRON commands.",
     .complexity = "O(1)"},
    {.name = "vole.cron-set", .proc = cmd_vole_cron_set, .arity = -6, .flags = "write noscript",
     .group = "cron", .since = "1.0.0",
     .summary = "Internal: CRON.ADD as recorded in the effect stream (with its creation time).",
     .complexity = "O(log N)",
     .args = "string:name string:expression integer:created integer:db string:command *string:arg"},
    {.name = "vole.cron-jobs", .proc = cmd_vole_cron_jobs, .arity = 2,
     .flags = "readonly noscript", .group = "cron", .since = "1.0.0",
     .summary = "Internal: the scheduler reads the job table when it changed.",
     .complexity = "O(N)", .args = "integer:version"},
    {.name = "vole.cron-done", .proc = cmd_vole_cron_done, .arity = 6, .flags = "write noscript",
     .group = "cron", .since = "1.0.0",
     .summary = "Internal: the scheduler records a job's run and its result.",
     .complexity = "O(log N)",
     .args = "string:name integer:run-ms oneof:status(=OK =ERROR) string:result integer:served"},
    {0}};
// clang-format on

__attribute__((constructor)) static void s_reg(void) {
    command_group_register(s_cron_commands);
    snapshot_register_section(&s_section);
}
