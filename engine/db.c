/* The keyspace: per-database dicts of key -> value and key -> expiry time, lazy expiry on
 * access and the active expiry cycle. */
#include <stdlib.h>
#include <string.h>

#include "engine/blocking.h"
#include "engine/effects.h"
#include "engine/engine.h"
#include "engine/multi.h"
#include "engine/tracking.h"
#include "shared/util.h"

/* ---------- dict types ---------- */

static void s_val_free(void *v) { obj_free(v); }

const dict_type_t db_keys_type = {vstr_dict_hash, vstr_dict_eq, vstr_dict_free, s_val_free};
const dict_type_t db_expires_type = {vstr_dict_hash, vstr_dict_eq, NULL, NULL};

/* Lookups take (ptr, len); the dicts compare vstr_t keys, so short keys are copied into a
 * stack buffer shaped like a vstr_t and longer ones into a heap one. */
typedef struct {
    vstr_t *k;
    union {
        vstr_t hdr;
        char space[sizeof(vstr_t) + 129];
    } u;
} s_lkey_t;

static const vstr_t *s_lkey(s_lkey_t *lk, const char *p, size_t len) {
    if (len <= 128) {
        lk->k = &lk->u.hdr;
        lk->k->len = len;
        memcpy(lk->k->ptr, p, len);
        lk->k->ptr[len] = '\0';
    } else {
        lk->k = vstr_new(p, len);
    }
    return lk->k;
}

static void s_lkey_done(s_lkey_t *lk) {
    if (lk->k != &lk->u.hdr) vstr_free(lk->k);
}

static dict_entry_t *s_find(dict_t *d, const char *key, size_t len) {
    if (dict_size(d) == 0) return NULL;
    s_lkey_t lk;
    dict_entry_t *de = dict_find(d, s_lkey(&lk, key, len));
    s_lkey_done(&lk);
    return de;
}

db_t *db_get(engine_t *e, int id) {
    if (id < 0 || id >= e->cfg.databases) return NULL;
    return &e->dbs[id];
}

/* ---------- expiry ---------- */

int64_t db_get_expire(db_t *db, const char *key, size_t len) {
    dict_entry_t *de = s_find(db->expires, key, len);
    return de ? de->v.s64 : -1;
}

static void s_delete_expired(engine_t *e, db_t *db, const char *key, size_t len) {
    /* replayed as a DEL: a replay must not depend on when it runs */
    proto_arg_t del[2] = {EFF_LIT("DEL"), EFF_ARG(key, len)};
    effect_add_db(e, db->id, 2, del);
    db_delete(e, db, key, len);
    e->stats.expired_keys++;
    notify_keyspace_event(e, NOTIFY_EXPIRED, "expired", key, len, db->id);
    signal_modified_key(e, db, key, len);
}

int db_expire_if_needed(engine_t *e, db_t *db, const char *key, size_t len) {
    /* while loading, the effects being replayed decide: a key whose time passed may still be
     * extended or read by a later effect, and its removal is recorded after loading */
    if (dict_size(db->expires) == 0 || e->loading) return 0;
    int64_t when = db_get_expire(db, key, len);
    if (when < 0 || e->now_ms <= when) return 0;
    s_delete_expired(e, db, key, len);
    return 1;
}

void db_set_expire(engine_t *e, db_t *db, const char *key, size_t len, int64_t when_ms) {
    dict_entry_t *kde = s_find(db->keys, key, len);
    if (!kde) return; /* programming error in the caller; nothing to attach to */
    int existed;
    dict_entry_t *ede = dict_add_or_find(db->expires, kde->key, &existed);
    ede->v.s64 = when_ms;
}

int db_remove_expire(db_t *db, const char *key, size_t len) {
    if (dict_size(db->expires) == 0) return 0;
    s_lkey_t lk;
    int r = dict_delete(db->expires, s_lkey(&lk, key, len)) == 0;
    s_lkey_done(&lk);
    return r;
}

/* ---------- lookups ---------- */

static vobj_t *s_lookup(engine_t *e, db_t *db, const char *key, size_t len, int touch) {
    db_expire_if_needed(e, db, key, len);
    dict_entry_t *de = s_find(db->keys, key, len);
    if (!de) return NULL;
    vobj_t *o = de->v.val;
    if (touch) o->lru = e->lruclock;
    return o;
}

vobj_t *db_lookup_read(engine_t *e, db_t *db, const char *key, size_t len) {
    vobj_t *o = s_lookup(e, db, key, len, 1);
    if (o) {
        e->stats.keyspace_hits++;
    } else {
        e->stats.keyspace_misses++;
        notify_keyspace_event(e, NOTIFY_KEY_MISS, "keymiss", key, len, db->id);
    }
    return o;
}

vobj_t *db_lookup_write(engine_t *e, db_t *db, const char *key, size_t len) {
    return s_lookup(e, db, key, len, 1);
}

vobj_t *db_peek(db_t *db, const char *key, size_t len) {
    dict_entry_t *de = s_find(db->keys, key, len);
    return de ? de->v.val : NULL;
}

/* ---------- modification ---------- */

void db_add(engine_t *e, db_t *db, const char *key, size_t len, vobj_t *val) {
    val->lru = e->lruclock;
    dict_entry_t *de = dict_add(db->keys, vstr_new(key, len), val);
    if (!de) abort(); /* the caller checked absence: a broken invariant, not input */
    blocking_signal_key(e, db, key, len);
    notify_keyspace_event(e, NOTIFY_NEW, "new", key, len, db->id);
}

void db_overwrite(engine_t *e, db_t *db, const char *key, size_t len, vobj_t *val) {
    dict_entry_t *de = s_find(db->keys, key, len);
    if (!de) abort();
    val->lru = e->lruclock;
    obj_free(de->v.val);
    de->v.val = val;
}

void db_set(engine_t *e, db_t *db, const char *key, size_t len, vobj_t *val, int keepttl) {
    /* one hash lookup: add with the temporary key, then give the entry its own copy */
    s_lkey_t lk;
    int existed;
    dict_entry_t *de = dict_add_or_find(db->keys, (void *)s_lkey(&lk, key, len), &existed);
    val->lru = e->lruclock;
    if (existed) {
        obj_free(de->v.val);
        de->v.val = val;
        if (!keepttl) db_remove_expire(db, key, len);
    } else {
        de->key = lk.k == &lk.u.hdr ? vstr_new(key, len) : lk.k;
        de->v.val = val;
        blocking_signal_key(e, db, key, len);
        notify_keyspace_event(e, NOTIFY_NEW, "new", key, len, db->id);
        if (lk.k != &lk.u.hdr) return; /* the heap key now belongs to the entry */
    }
    s_lkey_done(&lk);
}

int db_delete(engine_t *e, db_t *db, const char *key, size_t len) {
    if (dict_size(db->keys) == 0) return 0;
    s_lkey_t lk;
    const vstr_t *k = s_lkey(&lk, key, len);
    /* the expires entry shares the key string: unlink it first */
    if (dict_size(db->expires)) dict_delete(db->expires, k);
    int r = dict_delete(db->keys, k) == 0;
    s_lkey_done(&lk);
    return r;
}

vobj_t *db_take(engine_t *e, db_t *db, const char *key, size_t len) {
    if (dict_size(db->keys) == 0) return NULL;
    s_lkey_t lk;
    const vstr_t *k = s_lkey(&lk, key, len);
    if (dict_size(db->expires)) dict_delete(db->expires, k);
    dict_entry_t *de = dict_unlink(db->keys, k);
    s_lkey_done(&lk);
    if (!de) return NULL;
    vobj_t *o = de->v.val;
    de->v.val = NULL;
    dict_free_unlinked(db->keys, de); /* frees the key; the value is NULL now */
    return o;
}

long long db_flush(engine_t *e, int dbid) {
    long long removed = 0;
    signal_flushed_db(e, dbid);
    for (int i = 0; i < e->cfg.databases; i++) {
        if (dbid != -1 && i != dbid) continue;
        db_t *db = &e->dbs[i];
        removed += (long long)dict_size(db->keys);
        dict_clear(db->expires);
        dict_clear(db->keys);
        db->avg_ttl = 0;
        db->expires_cursor = 0;
    }
    return removed;
}

/* ---------- active expiry ---------- */

typedef struct {
    vstr_t *keys[32];
    int64_t when[32];
    int n;
} s_sample_t;

static void s_sample_cb(void *priv, dict_entry_t *de) {
    s_sample_t *s = priv;
    if (s->n < 32) {
        s->keys[s->n] = vstr_new(((vstr_t *)de->key)->ptr, ((vstr_t *)de->key)->len);
        s->when[s->n] = de->v.s64;
        s->n++;
    }
}

void db_active_expire(engine_t *e, int64_t budget_us) {
    if (e->loading) return; /* see db_expire_if_needed */
    int64_t start = mono_us();
    int64_t now = now_ms();
    for (int i = 0; i < e->cfg.databases; i++) {
        db_t *db = &e->dbs[i];
        for (;;) {
            if (dict_size(db->expires) == 0) break;
            s_sample_t s = {.n = 0};
            int visited = 0;
            /* walk buckets until about 20 keys were looked at */
            do {
                db->expires_cursor = dict_scan(db->expires, db->expires_cursor, s_sample_cb, &s);
                visited++;
            } while (s.n < 20 && db->expires_cursor != 0 && visited < 400);
            int expired = 0;
            long long ttl_sum = 0;
            int ttl_n = 0;
            for (int k = 0; k < s.n; k++) {
                if (now > s.when[k]) {
                    s_delete_expired(e, db, s.keys[k]->ptr, s.keys[k]->len);
                    expired++;
                } else {
                    ttl_sum += s.when[k] - now;
                    ttl_n++;
                }
                vstr_free(s.keys[k]);
            }
            if (ttl_n) {
                long long avg = ttl_sum / ttl_n;
                db->avg_ttl = db->avg_ttl ? (db->avg_ttl / 50) * 49 + avg / 50 : avg;
            }
            /* like Redis: keep going while a quarter or more of the sample was stale */
            if (s.n == 0 || expired * 4 < s.n || db->expires_cursor == 0) break;
            if (mono_us() - start > budget_us) return;
        }
        if (mono_us() - start > budget_us) return;
    }
}

/* ---------- write hooks ---------- */

void signal_modified_key(engine_t *e, db_t *db, const char *key, size_t len) {
    multi_touch_key(e, db, key, len);
    tracking_invalidate_key(e, key, len);
}

void signal_flushed_db(engine_t *e, int dbid) {
    multi_touch_db(e, dbid);
    tracking_invalidate_all(e);
}
