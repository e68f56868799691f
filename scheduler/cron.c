/* Cron timing: the job table lives in the engine; this file reads it (VOLE.CRON-JOBS every
 * quarter second, which answers nil while nothing changed), computes each job's next run in
 * cron-timezone, sends the job's command through the internal client when the wall-clock
 * minute comes, and records the outcome with VOLE.CRON-DONE. A job never overlaps itself: a
 * run due while the previous one has not answered yet is skipped. CRON.RUN requests are
 * served at the next look at the table. cron-catchup once: at start, a job whose last
 * scheduled time since its last run (or creation) has passed runs once at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/scheduler.h"
#include "shared/config.h"
#include "shared/cronexpr.h"
#include "shared/log.h"
#include "shared/schedrec.h"
#include "shared/util.h"

#define POLL_MS 250

typedef struct sjob {
    char *name;
    size_t nlen;
    char *expr;
    cron_expr_t ce;
    int64_t created_ms, last_run_ms;
    uint64_t run_req, run_done, serving;
    int dbid;
    int argc;
    char **argv;
    size_t *lens;
    int64_t next_fire; /* cron clock, unix seconds */
    int running;
} sjob_t;

/* one run in flight (the job may be deleted meanwhile: found again by name) */
typedef struct {
    char *name;
    size_t nlen;
    int64_t run_ms;
    uint64_t served;
} run_t;

static struct {
    const vole_config_t *cfg;
    sjob_t **jobs;
    size_t n;
    uint64_t version;
    int poll_pending, catchup_pending;
    int64_t next_poll;
    int cur_db;
    int64_t clock_start;
    long long runs, failures, skipped;
} s_c;

/* The cron clock (unix ms): wall-clock time, or time running cron-time-scale times faster
 * from the start (tests). */
static int64_t s_now_ms(void) {
    int64_t real = now_ms();
    return s_c.clock_start + (real - s_c.clock_start) * s_c.cfg->cron_time_scale;
}

static sjob_t *s_find(const char *name, size_t nlen) {
    for (size_t i = 0; i < s_c.n; i++)
        if (s_c.jobs[i]->nlen == nlen && memcmp(s_c.jobs[i]->name, name, nlen) == 0)
            return s_c.jobs[i];
    return NULL;
}

static void s_job_free(sjob_t *j) {
    for (int i = 0; i < j->argc; i++) free(j->argv[i]);
    free(j->argv);
    free(j->lens);
    free(j->name);
    free(j->expr);
    free(j);
}

static char *s_dup(const srec_str_t *s) {
    char *p = malloc(s->len + 1);
    if (!p) abort();
    memcpy(p, s->p, s->len);
    p[s->len] = '\0';
    return p;
}

/* ===================== running ===================== */

static void s_done_recorded(void *ctx, const char *resp, size_t len) {
    (void)ctx;
    if (sched_reply_is_error(resp, len)) {
        char why[200];
        sched_reply_summary(resp, len, why, sizeof why);
        log_warn("recording a cron run: %s", why);
    }
}

static void s_ran(void *ctx, const char *resp, size_t len) {
    run_t *r = ctx;
    int ok = !sched_reply_is_error(resp, len);
    char result[201], served[24], when[24];
    sched_reply_summary(resp, len, result, sizeof result);
    s_c.runs++;
    if (!ok) {
        s_c.failures++;
        log_notice("cron job '%.*s' failed: %s", (int)r->nlen, r->name, result);
    }
    ll_to_str(when, r->run_ms);
    ll_to_str(served, (long long)r->served);
    const char *argv[] = {"vole.cron-done", r->name, when, ok ? "ok" : "error", result, served};
    size_t lens[] = {14, r->nlen, strlen(when), ok ? 2 : 5, strlen(result), strlen(served)};
    sched_command(6, argv, lens, s_done_recorded, NULL);
    sjob_t *j = s_find(r->name, r->nlen);
    if (j) j->running = 0;
    free(r->name);
    free(r);
}

static void s_selected(void *ctx, const char *resp, size_t len) {
    s_c.cur_db = sched_reply_is_error(resp, len) ? -1 : (int)(intptr_t)ctx;
}

/* fire_ms: the minute a scheduled run is for (recorded as its last run), 0 for CRON.RUN */
static void s_run(sjob_t *j, uint64_t served, int64_t fire_ms) {
    if (j->dbid != s_c.cur_db) {
        char db[24];
        ll_to_str(db, j->dbid);
        const char *argv[] = {"SELECT", db};
        sched_command_cstr(2, argv, s_selected, (void *)(intptr_t)j->dbid);
        s_c.cur_db = j->dbid; /* assumed from here on; a failure resets it */
    }
    run_t *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->name = malloc(j->nlen + 1);
    if (!r->name) abort();
    memcpy(r->name, j->name, j->nlen + 1);
    r->nlen = j->nlen;
    r->run_ms = fire_ms ? fire_ms : s_now_ms();
    r->served = served;
    j->running = 1;
    if (served) j->serving = served;
    log_verbose("running cron job '%s'%s", j->name, served ? " (CRON.RUN)" : "");
    sched_command(j->argc, (const char *const *)j->argv, j->lens, s_ran, r);
}

/* ===================== the table ===================== */

static int s_load_table(const char *p, size_t len) {
    srec_reader_t r = {p, len, 0};
    uint64_t version;
    uint32_t n;
    if (srec_get_u64(&r, &version) < 0 || srec_get_u32(&r, &n) < 0) return -1;
    sjob_t **jobs = calloc(n ? n : 1, sizeof *jobs);
    if (!jobs) abort();
    size_t got = 0;
    int64_t now_s = s_now_ms() / 1000;
    int bad = 0;
    for (uint32_t i = 0; i < n && !bad; i++) {
        srec_str_t name, expr, arg;
        uint64_t created, last, req, done;
        uint32_t db, argc;
        if (srec_get_str(&r, &name) < 0 || srec_get_str(&r, &expr) < 0 ||
            srec_get_u64(&r, &created) < 0 || srec_get_u64(&r, &last) < 0 ||
            srec_get_u64(&r, &req) < 0 || srec_get_u64(&r, &done) < 0 ||
            srec_get_u32(&r, &db) < 0 || srec_get_u32(&r, &argc) < 0 || argc == 0 ||
            argc > len) {
            bad = 1;
            break;
        }
        sjob_t *j = calloc(1, sizeof *j);
        if (!j) abort();
        j->name = s_dup(&name);
        j->nlen = name.len;
        j->expr = s_dup(&expr);
        j->created_ms = (int64_t)created;
        j->last_run_ms = (int64_t)last;
        j->run_req = req;
        j->run_done = done;
        j->dbid = (int)db;
        j->argv = calloc(argc, sizeof *j->argv);
        j->lens = calloc(argc, sizeof *j->lens);
        if (!j->argv || !j->lens) abort();
        for (uint32_t k = 0; k < argc; k++) {
            if (srec_get_str(&r, &arg) < 0) {
                bad = 1;
                break;
            }
            j->argv[k] = s_dup(&arg);
            j->lens[k] = arg.len;
            j->argc++;
        }
        char err[200];
        if (!bad && cron_parse(&j->ce, j->expr, strlen(j->expr), err, sizeof err) < 0) bad = 1;
        jobs[got++] = j;
        if (bad) break;
        /* timing state carries over for a job that kept its schedule */
        sjob_t *old = s_find(j->name, j->nlen);
        if (old && !strcmp(old->expr, j->expr) && old->created_ms == j->created_ms) {
            j->next_fire = old->next_fire;
            j->running = old->running;
            j->serving = old->serving;
            continue;
        }
        j->next_fire = cron_next(&j->ce, now_s);
        if (s_c.catchup_pending && !strcmp(s_c.cfg->cron_catchup, "once")) {
            int64_t ref = (j->last_run_ms > j->created_ms ? j->last_run_ms : j->created_ms) / 1000;
            int64_t due = cron_next(&j->ce, ref);
            if (due >= 0 && due <= now_s) {
                log_notice("cron job '%s' missed its run of %lld: running it once now (cron-catchup once)",
                           j->name, (long long)due);
                j->next_fire = now_s; /* due now */
            }
        }
    }
    if (bad || r.pos != len) {
        for (size_t i = 0; i < got; i++) s_job_free(jobs[i]);
        free(jobs);
        return -1;
    }
    for (size_t i = 0; i < s_c.n; i++) s_job_free(s_c.jobs[i]);
    free(s_c.jobs);
    s_c.jobs = jobs;
    s_c.n = got;
    s_c.version = version;
    s_c.catchup_pending = 0;
    return 0;
}

static void s_polled(void *ctx, const char *resp, size_t len) {
    (void)ctx;
    s_c.poll_pending = 0;
    if (len == 0 || resp[0] == '-') return; /* engine gone or loading: next poll */
    if (resp[0] != '$') return;
    long long n;
    const char *eol = memchr(resp, '\r', len);
    if (!eol || !str_to_ll(resp + 1, (size_t)(eol - resp - 1), &n)) return;
    if (n < 0) return; /* nil: unchanged */
    size_t off = (size_t)(eol - resp) + 2;
    if (off + (size_t)n > len || s_load_table(resp + off, (size_t)n) < 0)
        log_warn("malformed cron table from the engine");
}

long cron_run(long cap_ms) {
    int64_t mono = mono_us() / 1000;
    if (sched_engine_ready() && !s_c.poll_pending && mono >= s_c.next_poll) {
        char v[24];
        ll_to_str(v, (long long)s_c.version);
        const char *argv[] = {"vole.cron-jobs", v};
        s_c.poll_pending = 1;
        s_c.next_poll = mono + POLL_MS;
        sched_command_cstr(2, argv, s_polled, NULL);
    }
    int64_t now = s_now_ms(), now_s = now / 1000;
    long wait = cap_ms;
    for (size_t i = 0; i < s_c.n; i++) {
        sjob_t *j = s_c.jobs[i];
        if (!j->running && j->run_req > j->run_done && j->serving < j->run_req) {
            s_run(j, j->run_req, 0);
            continue;
        }
        if (j->next_fire < 0) continue; /* never matches */
        if (now_s >= j->next_fire) {
            if (j->running) {
                s_c.skipped++;
                log_notice("cron job '%s' is still running: skipping its run", j->name);
            } else {
                s_run(j, 0, j->next_fire * 1000);
            }
            j->next_fire = cron_next(&j->ce, now_s);
            continue;
        }
        int64_t ms = (j->next_fire * 1000 - now) / s_c.cfg->cron_time_scale;
        if (ms < wait) wait = (long)(ms < 0 ? 0 : ms);
    }
    return wait;
}

void cron_on_engine(void) {
    s_c.version = 0; /* read the whole table again */
    s_c.cur_db = -1;
}

void cron_on_link_down(void) { s_c.cur_db = -1; }

int cron_stats(const char **names, long long *values, int cap) {
    static const char *const n[] = {"cron_jobs", "cron_runs", "cron_failures", "cron_skipped"};
    long long v[] = {(long long)s_c.n, s_c.runs, s_c.failures, s_c.skipped};
    int k = 0;
    for (; k < 4 && k < cap; k++) {
        names[k] = n[k];
        values[k] = v[k];
    }
    return k;
}

void cron_init(const vole_config_t *cfg) {
    s_c.cfg = cfg;
    s_c.cur_db = -1;
    s_c.catchup_pending = 1;
    s_c.clock_start = now_ms();
    if (cron_set_timezone(cfg->cron_timezone) < 0)
        log_warn("unknown cron-timezone '%s': using UTC", cfg->cron_timezone);
}

void cron_shutdown(void) {
    for (size_t i = 0; i < s_c.n; i++) s_job_free(s_c.jobs[i]);
    free(s_c.jobs);
    s_c.jobs = NULL;
    s_c.n = 0;
}
