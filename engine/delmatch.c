/* DELMATCH pattern [COUNT n]: deletes every key of the current database whose name matches a
 * glob pattern (DEL takes literal key names only: `DEL temp:*` deletes a key named "temp:*").
 *
 * Incremental, so the engine never stalls on a million keys: the work is a cursor over the
 * keyspace (dict_scan: every key present for the whole run is visited at least once). The
 * command runs one step of COUNT keys (default 1000) and replies with the number it deleted
 * in that step; if keys remain to be scanned the same cursor goes on in the background, in
 * steps of COUNT keys run from the engine's loop for about 1 ms at a time between message
 * batches (so other clients wait at most about a millisecond plus one step). Keys created after the command may or may not be deleted.
 *
 * Every deleted key raises a "del" keyspace event (and webhooks) and is recorded as DEL in
 * the effect stream, so replay is exact whatever the timing was. */
#include <stdlib.h>
#include <string.h>

#include "engine/commands.h"
#include "engine/effects.h"
#include "engine/sched.h"
#include "shared/util.h"

#define JOBS_MAX 256
#define SLICE_US 1000

typedef struct dm_job {
    int dbid;
    vstr_t *pattern;
    uint64_t cursor;
    long long count;
    struct dm_job *next;
} dm_job_t;

static struct {
    dm_job_t *jobs;
    int njobs;
    long long deleted_bg; /* keys deleted by background steps since start */
    /* one step's matches (copies: deleting inside dict_scan's callback is not allowed) */
    vstr_t **found;
    size_t nfound, cap;
    const vstr_t *pat;
    long long visited;
} s_dm;

static void s_visit(void *priv, dict_entry_t *de) {
    (void)priv;
    const vstr_t *k = de->key;
    s_dm.visited++;
    if (!glob_match(s_dm.pat->ptr, s_dm.pat->len, k->ptr, k->len, 0)) return;
    if (s_dm.nfound == s_dm.cap) {
        s_dm.cap = s_dm.cap ? s_dm.cap * 2 : 256;
        s_dm.found = realloc(s_dm.found, s_dm.cap * sizeof *s_dm.found);
        if (!s_dm.found) abort();
    }
    s_dm.found[s_dm.nfound++] = vstr_new(k->ptr, k->len);
}

/* Scans about job->count keys and deletes the matches; returns the number deleted and
 * leaves job->cursor at 0 when the scan is complete. c is the client running DELMATCH
 * (effects belong to its command), or NULL for a background step. */
static long long s_step(engine_t *e, dm_job_t *job, client_t *c) {
    db_t *db = db_get(e, job->dbid);
    if (!db) {
        job->cursor = 0;
        return 0;
    }
    s_dm.pat = job->pattern;
    s_dm.nfound = 0;
    s_dm.visited = 0;
    do {
        job->cursor = dict_scan(db->keys, job->cursor, s_visit, NULL);
    } while (job->cursor && s_dm.visited < job->count);
    long long deleted = 0;
    proto_arg_t *eff = malloc((s_dm.nfound + 1) * sizeof *eff);
    if (!eff) abort();
    eff[0] = EFF_LIT("DEL");
    for (size_t i = 0; i < s_dm.nfound; i++) {
        vstr_t *k = s_dm.found[i];
        if (db_delete(e, db, k->ptr, k->len)) {
            signal_modified_key(e, db, k->ptr, k->len);
            notify_keyspace_event(e, NOTIFY_GENERIC, "del", k->ptr, k->len, db->id);
            e->stats.dirty++;
            eff[1 + deleted++] = EFF_ARG(k->ptr, k->len);
        }
    }
    if (deleted && c) effect_add(c, (int)deleted + 1, eff);
    else if (deleted) effect_add_db(e, db->id, (int)deleted + 1, eff);
    else if (c) effect_none(c);
    free(eff);
    for (size_t i = 0; i < s_dm.nfound; i++) vstr_free(s_dm.found[i]);
    s_dm.nfound = 0;
    if (s_dm.cap > 4096) {
        free(s_dm.found);
        s_dm.found = NULL;
        s_dm.cap = 0;
    }
    return deleted;
}

static void s_job_free(dm_job_t *j) {
    vstr_free(j->pattern);
    free(j);
}

int delmatch_cron(engine_t *e) {
    if (!s_dm.jobs || e->loading) return 0;
    int64_t start = mono_us();
    e->now_ms = now_ms();
    while (s_dm.jobs && mono_us() - start < SLICE_US) {
        /* round robin: the head job takes a step, then goes to the back */
        dm_job_t *j = s_dm.jobs;
        s_dm.jobs = j->next;
        j->next = NULL;
        s_dm.deleted_bg += s_step(e, j, NULL);
        if (j->cursor == 0) {
            s_job_free(j);
            s_dm.njobs--;
            continue;
        }
        dm_job_t **pp = &s_dm.jobs;
        while (*pp) pp = &(*pp)->next;
        *pp = j;
    }
    return s_dm.jobs != NULL;
}

void delmatch_reset(void) {
    while (s_dm.jobs) {
        dm_job_t *j = s_dm.jobs;
        s_dm.jobs = j->next;
        s_job_free(j);
    }
    s_dm.njobs = 0;
    free(s_dm.found);
    s_dm.found = NULL;
    s_dm.cap = 0;
}

static void cmd_delmatch(client_t *c) {
    long long count = 1000;
    if (c->argc == 4 && arg_is(&c->argv[2], "count")) {
        if (arg_range_or_reply(c, &c->argv[3], 1, 1000000, &count,
                               "-ERR COUNT must be between 1 and 1000000") < 0)
            return;
    } else if (c->argc != 2) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (s_dm.njobs >= JOBS_MAX) {
        reply_error(c, "-BUSY too many DELMATCH runs in progress, try again later");
        return;
    }
    dm_job_t *j = calloc(1, sizeof *j);
    if (!j) abort();
    j->dbid = c->db->id;
    j->pattern = vstr_new(c->argv[1].ptr, c->argv[1].len);
    j->count = count;
    long long deleted = s_step(c->eng, j, c);
    reply_int(c, deleted);
    if (j->cursor == 0) {
        s_job_free(j);
        return;
    }
    j->next = s_dm.jobs;
    s_dm.jobs = j;
    s_dm.njobs++;
}

// clang-format off
static command_t s_delmatch_commands[] = {
    {.name = "delmatch", .proc = cmd_delmatch, .arity = -2, .flags = "write",
     .acl = "keyspace", .tips = "nondeterministic_output", .group = "generic", .since = "1.0.0",
     .summary = "Deletes the keys matching a glob pattern, incrementally (COUNT keys per step).",
     .complexity = "O(COUNT) per step; O(N) in all, N being the number of keys in the database.",
     .args = "pattern:pattern ?integer:count=COUNT"},
    {0}};
// clang-format on

__attribute__((constructor)) static void s_reg(void) { command_group_register(s_delmatch_commands); }
