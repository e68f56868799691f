/* Memory accounting (jemalloc's own counts, the peak, RSS) for INFO, MEMORY and maxmemory,
 * and eviction over maxmemory by the configured policy using Redis's sampling approach, or
 * the OOM refusal of commands that may grow memory. */
#include <jemalloc/jemalloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/effects_backlog.h"
#include "engine/engine.h"

#define EVICT_SAMPLES 5 /* Redis's maxmemory-samples default */

static size_t s_stat(const char *name) {
    size_t v = 0, sz = sizeof v;
    if (mallctl(name, &v, &sz, NULL, 0) != 0) return 0;
    return v;
}

static void s_refresh(void) {
    uint64_t epoch = 1;
    size_t esz = sizeof epoch;
    mallctl("epoch", &epoch, &esz, &epoch, esz); /* refreshes jemalloc's cached totals */
}

size_t engine_used_memory(void) {
    s_refresh();
    return s_stat("stats.allocated");
}

static size_t s_rss(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long long size = 0, resident = 0;
    int ok = fscanf(f, "%llu %llu", &size, &resident) == 2;
    fclose(f);
    return ok ? (size_t)(resident * (unsigned long long)sysconf(_SC_PAGESIZE)) : 0;
}

void engine_memory(engine_t *e, engine_mem_t *m) {
    s_refresh();
    m->allocated = s_stat("stats.allocated");
    m->active = s_stat("stats.active");
    m->resident = s_stat("stats.resident");
    m->rss = s_rss();
    if (m->allocated > e->mem_peak) e->mem_peak = m->allocated;
    m->peak = e->mem_peak;
    m->startup = e->mem_startup;
}

static size_t s_entry_mem(const vstr_t *key, const vobj_t *o) {
    size_t m = sizeof(vstr_t) + key->len + 1 + sizeof(dict_entry_t);
    if (obj_types[o->type] && obj_types[o->type]->mem) m += obj_types[o->type]->mem(o);
    return m;
}

/* Picks the best victim in one database by sampling; returns its key or NULL. */
static vstr_t *s_pick(db_t *db, const char *policy, int64_t *score_out) {
    int volatile_only = !strncmp(policy, "volatile-", 9);
    dict_t *from = volatile_only ? db->expires : db->keys;
    if (dict_size(from) == 0) return NULL;
    int random = strstr(policy, "random") != NULL, ttl = !strcmp(policy, "volatile-ttl");
    vstr_t *best = NULL;
    int64_t best_score = 0;
    for (int i = 0; i < (random ? 1 : EVICT_SAMPLES); i++) {
        dict_entry_t *de = dict_random_fair(from);
        if (!de) break;
        int64_t score;
        if (ttl) {
            score = -de->v.s64; /* sooner expiry = better victim */
        } else if (random) {
            score = 0;
        } else {
            /* LRU (and LFU, approximated by recency: access frequency is not tracked yet):
             * the longer idle, the better the victim */
            dict_entry_t *ke = volatile_only ? dict_find(db->keys, de->key) : de;
            if (!ke) continue;
            score = -(int64_t)((vobj_t *)ke->v.val)->lru;
        }
        if (!best || score > best_score) {
            best = de->key;
            best_score = score;
        }
    }
    *score_out = best_score;
    return best;
}

/* Frees about `need` bytes; returns the bytes freed (an estimate). */
static size_t s_evict(engine_t *e, size_t need) {
    const char *policy = e->cfg.maxmemory_policy;
    size_t freed = 0;
    int idle_rounds = 0;
    while (freed < need && idle_rounds < 2) {
        int evicted = 0;
        for (int i = 0; i < e->ndbs && freed < need; i++) { /* namespaces too */
            db_t *db = &e->dbs[i];
            int64_t score;
            vstr_t *k = s_pick(db, policy, &score);
            if (!k) continue;
            vstr_t *key = vstr_new(k->ptr, k->len); /* the original dies with the entry */
            vobj_t *o = db_peek(db, key->ptr, key->len);
            if (o) freed += s_entry_mem(key, o);
            proto_arg_t del[2] = {EFF_LIT("DEL"), EFF_ARG(key->ptr, key->len)};
            effect_add_db(e, db->id, 2, del);
            db_delete(e, db, key->ptr, key->len);
            e->stats.evicted_keys++;
            notify_keyspace_event(e, NOTIFY_EVICTED, "evicted", key->ptr, key->len, db->id);
            signal_modified_key(e, db, key->ptr, key->len);
            vstr_free(key);
            evicted++;
        }
        idle_rounds = evicted ? 0 : idle_rounds + 1;
    }
    return freed;
}

int engine_enforce_maxmemory(engine_t *e) {
    if (e->cfg.maxmemory <= 0) return 0;
    /* as Redis leaves out its replication backlog and AOF buffers: evicting keys cannot
     * shrink the effect backlog */
    size_t used = engine_used_memory(), fx = effects_memory(e);
    used = used > fx ? used - fx : 0;
    if (used <= (size_t)e->cfg.maxmemory) return 0;
    if (strcmp(e->cfg.maxmemory_policy, "noeviction") != 0)
        used -= s_evict(e, used - (size_t)e->cfg.maxmemory);
    return used > (size_t)e->cfg.maxmemory ? -1 : 0;
}
