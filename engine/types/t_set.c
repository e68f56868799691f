/* Sets: the intset and hashtable encodings, the set type API (t_set.h) and the S* commands with
 * their command-table rows, answering as Redis 7.0 does (reply order, encodings, events). */
#include "engine/types/t_set.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "engine/commands.h"
#include "engine/effects.h"
#include "engine/ds/intset.h"
#include "engine/snapshot.h"
#include "shared/util.h"

/* Redis's strategy switches: SPOP moves the kept members to a new set once fewer than a fifth
 * of the popped count would stay; SRANDMEMBER copies and thins the whole set once the count
 * is above a third of it. */
#define SPOP_MOVE_STRATEGY_MUL 5
#define SRANDMEMBER_SUB_STRATEGY_MUL 3
#define INTSET_MAX_CAP (1LL << 30) /* Redis caps set-max-intset-entries here */
#define SSCAN_DEFAULT_COUNT 10

/* ===================== encoding helpers ===================== */

static const dict_type_t s_member_type = {vstr_dict_hash, vstr_dict_eq, vstr_dict_free, NULL};

/* Lookups hash and compare vstr_t keys: members given as (ptr, len) are copied into this
 * reusable probe first (the engine is single-threaded), so no lookup allocates. */
static vstr_t *s_probe;
static size_t s_probe_cap;

static const vstr_t *s_probe_for(const char *p, size_t len) {
    /* a huge member once must not pin a huge probe forever */
    if (!s_probe || len > s_probe_cap || (s_probe_cap > (1u << 20) && len <= 256)) {
        size_t cap = len < 256 ? 256 : len;
        vstr_t *n = realloc(s_probe, sizeof(vstr_t) + cap + 1);
        if (!n) abort();
        s_probe = n;
        s_probe_cap = cap;
    }
    s_probe->len = len;
    if (len) memcpy(s_probe->ptr, p, len);
    s_probe->ptr[len] = '\0';
    return s_probe;
}

/* Random numbers for SPOP/SRANDMEMBER: xorshift64*, seeded once per process. */
static intset_t *s_is(const vobj_t *set) { return set->v.p; }
static dict_t *s_ht(const vobj_t *set) { return set->v.p; }

static long long s_intset_max(const engine_t *e) {
    long long max = e->cfg.set_max_intset_entries;
    return max > INTSET_MAX_CAP ? INTSET_MAX_CAP : max;
}

/* Adds bytes to a hashtable set with one lookup; allocates only for a new member. */
static int s_ht_add(dict_t *d, const char *p, size_t len) {
    int existed;
    dict_entry_t *de = dict_add_or_find(d, (void *)s_probe_for(p, len), &existed);
    if (existed) return 0;
    de->key = vstr_new(p, len);
    return 1;
}

/* ===================== the set type API ===================== */

int set_member_is_int(const char *p, size_t len, int64_t *v) {
    long long ll;
    if (!str_to_ll(p, len, &ll)) return 0;
    *v = ll;
    return 1;
}

const char *set_member_str(const set_member_t *m, char *buf, size_t *len) {
    if (m->p) {
        *len = m->len;
        return m->p;
    }
    *len = (size_t)ll_to_str(buf, m->ll);
    return buf;
}

static vobj_t *s_obj(int enc, void *payload) {
    vobj_t *o = malloc(sizeof *o);
    if (!o) abort();
    o->type = OBJ_SET;
    o->enc = (uint8_t)enc;
    o->lru = 0;
    o->v.p = payload;
    return o;
}

vobj_t *set_type_new_intset(void) { return s_obj(ENC_INTSET, intset_new()); }

vobj_t *set_type_new_ht(uint64_t size_hint) {
    dict_t *d = dict_new(&s_member_type);
    if (size_hint) dict_expand(d, size_hint);
    return s_obj(ENC_HT, d);
}

vobj_t *set_type_create(const char *first, size_t len) {
    int64_t v;
    return set_member_is_int(first, len, &v) ? set_type_new_intset() : set_type_new_ht(0);
}

uint64_t set_type_size(const vobj_t *set) {
    return set->enc == ENC_INTSET ? intset_len(s_is(set)) : dict_size(s_ht(set));
}

void set_type_convert_to_ht(vobj_t *set) {
    if (set->enc != ENC_INTSET) return;
    intset_t *is = s_is(set);
    dict_t *d = dict_new(&s_member_type);
    dict_expand(d, intset_len(is)); /* Redis pre-sizes the table the same way */
    for (uint32_t i = 0; i < intset_len(is); i++) {
        char buf[24];
        int n = ll_to_str(buf, intset_get(is, i));
        dict_add(d, vstr_new(buf, (size_t)n), NULL);
    }
    intset_destroy(&is);
    set->enc = ENC_HT;
    set->v.p = d;
}

/* Adds an intset member that is known to be an integer; converts past the size limit. */
static int s_intset_add(const engine_t *e, vobj_t *set, int64_t v) {
    int added;
    set->v.p = intset_add(s_is(set), v, &added);
    if (added && (long long)intset_len(s_is(set)) > s_intset_max(e)) set_type_convert_to_ht(set);
    return added;
}

int set_type_add(const engine_t *e, vobj_t *set, const char *p, size_t len) {
    if (set->enc == ENC_INTSET) {
        int64_t v;
        if (set_member_is_int(p, len, &v)) return s_intset_add(e, set, v);
        set_type_convert_to_ht(set);
    }
    return s_ht_add(s_ht(set), p, len);
}

/* set_type_add() for a member handed out by the API (no digits round trip for integers). */
static int s_add_member(const engine_t *e, vobj_t *set, const set_member_t *m) {
    if (!m->p && set->enc == ENC_INTSET) return s_intset_add(e, set, m->ll);
    char buf[24];
    size_t len;
    const char *p = set_member_str(m, buf, &len);
    return set_type_add(e, set, p, len);
}

int set_type_remove(vobj_t *set, const char *p, size_t len) {
    if (set->enc == ENC_INTSET) {
        int64_t v;
        int removed = 0;
        if (set_member_is_int(p, len, &v)) set->v.p = intset_remove(s_is(set), v, &removed);
        return removed;
    }
    dict_t *d = s_ht(set);
    if (dict_delete(d, s_probe_for(p, len)) != 0) return 0;
    dict_maybe_shrink(d); /* Redis shrinks a mostly empty table right away too */
    return 1;
}

static int s_remove_member(vobj_t *set, const set_member_t *m) {
    if (!m->p && set->enc == ENC_INTSET) {
        int removed;
        set->v.p = intset_remove(s_is(set), m->ll, &removed);
        return removed;
    }
    char buf[24];
    size_t len;
    const char *p = set_member_str(m, buf, &len);
    return set_type_remove(set, p, len);
}

int set_type_is_member(const vobj_t *set, const char *p, size_t len) {
    if (set->enc == ENC_INTSET) {
        int64_t v;
        return set_member_is_int(p, len, &v) && intset_find(s_is(set), v);
    }
    dict_t *d = s_ht(set);
    return dict_size(d) && dict_find(d, s_probe_for(p, len)) != NULL;
}

static int s_is_member(const vobj_t *set, const set_member_t *m) {
    if (!m->p && set->enc == ENC_INTSET) return intset_find(s_is(set), m->ll);
    char buf[24];
    size_t len;
    const char *p = set_member_str(m, buf, &len);
    return set_type_is_member(set, p, len);
}

vobj_t *set_type_dup(const vobj_t *set) {
    if (set->enc == ENC_INTSET) return s_obj(ENC_INTSET, intset_dup(s_is(set)));
    vobj_t *o = set_type_new_ht(dict_size(s_ht(set)));
    dict_t *d = s_ht(o);
    dict_iter_t it;
    dict_iter_init(&it, s_ht(set));
    dict_entry_t *de;
    while ((de = dict_iter_next(&it)) != NULL) {
        const vstr_t *k = de->key;
        dict_add(d, vstr_new(k->ptr, k->len), NULL);
    }
    dict_iter_done(&it);
    return o;
}

void set_iter_init(set_iter_t *it, const vobj_t *set) {
    it->set = set;
    it->pos = 0;
    if (set->enc == ENC_HT) dict_iter_init(&it->di, s_ht(set));
}

int set_iter_next(set_iter_t *it, set_member_t *m) {
    if (it->set->enc == ENC_INTSET) {
        const intset_t *is = s_is(it->set);
        if (it->pos >= intset_len(is)) return 0;
        m->p = NULL;
        m->len = 0;
        m->ll = intset_get(is, it->pos++);
        return 1;
    }
    dict_entry_t *de = dict_iter_next(&it->di);
    if (!de) return 0;
    const vstr_t *k = de->key;
    m->p = k->ptr;
    m->len = k->len;
    m->ll = 0;
    return 1;
}

void set_iter_done(set_iter_t *it) {
    if (it->set && it->set->enc == ENC_HT) dict_iter_done(&it->di);
    it->set = NULL;
}

void set_type_random(const vobj_t *set, set_member_t *m) {
    if (set->enc == ENC_INTSET) {
        const intset_t *is = s_is(set);
        m->p = NULL;
        m->len = 0;
        m->ll = intset_get(is, (uint32_t)rand_below(intset_len(is)));
        return;
    }
    const vstr_t *k = dict_random_fair(s_ht(set))->key;
    m->p = k->ptr;
    m->len = k->len;
    m->ll = 0;
}

/* Unlinks a random hashtable member, keeping its string. */
static vstr_t *s_ht_pop(dict_t *d) {
    vstr_t *k = dict_random_fair(d)->key;
    dict_entry_t *de = dict_unlink(d, k);
    de->key = NULL; /* the string goes to the caller; the member type frees NULL as a no-op */
    dict_free_unlinked(d, de);
    dict_maybe_shrink(d);
    return k;
}

vstr_t *set_type_pop_random(vobj_t *set) {
    if (set->enc == ENC_HT) return s_ht_pop(s_ht(set));
    intset_t *is = s_is(set);
    int64_t v = intset_get(is, (uint32_t)rand_below(intset_len(is)));
    int removed;
    set->v.p = intset_remove(is, v, &removed);
    char buf[24];
    return vstr_new(buf, (size_t)ll_to_str(buf, v));
}

void set_type_pop_count(const engine_t *e, vobj_t *set, uint64_t count, set_member_fn *fn,
                        void *priv) {
    uint64_t size = set_type_size(set);
    if (count == 0) return;
    if (count >= size) count = size;
    uint64_t remaining = size - count;
    char buf[24];

    if (remaining * SPOP_MOVE_STRATEGY_MUL > count) {
        /* few go: pick and remove them one by one */
        while (count--) {
            if (set->enc == ENC_INTSET) {
                intset_t *is = s_is(set);
                int64_t v = intset_get(is, (uint32_t)rand_below(intset_len(is)));
                int removed;
                set->v.p = intset_remove(is, v, &removed);
                fn(priv, buf, (size_t)ll_to_str(buf, v));
            } else {
                vstr_t *k = s_ht_pop(s_ht(set));
                fn(priv, k->ptr, k->len);
                vstr_free(k);
            }
        }
        return;
    }

    /* most go: move the few kept members to a new set, hand out what is left of the old
     * one, and let the set object carry the new members from then on. The new set is
     * created and filled as any set (so it may be an intset where the old was not). */
    vobj_t *kept = NULL;
    while (remaining--) {
        set_member_t m;
        set_type_random(set, &m);
        if (!kept) {
            size_t len;
            const char *p = set_member_str(&m, buf, &len);
            kept = set_type_create(p, len);
        }
        s_add_member(e, kept, &m);
        s_remove_member(set, &m); /* last: m may point into the member it frees */
    }
    set_iter_t it;
    set_member_t m;
    set_iter_init(&it, set);
    while (set_iter_next(&it, &m)) {
        size_t len;
        const char *p = set_member_str(&m, buf, &len);
        fn(priv, p, len);
    }
    set_iter_done(&it);
    if (!kept) kept = set_type_new_intset(); /* not reached: count < size keeps one */
    uint8_t enc = set->enc;
    void *payload = set->v.p;
    set->enc = kept->enc;
    set->v.p = kept->v.p;
    kept->enc = enc;
    kept->v.p = payload;
    obj_free(kept);
}

size_t set_type_mem(const vobj_t *set) {
    size_t n = sizeof(vobj_t);
    if (set->enc == ENC_INTSET) return n + intset_bytes(s_is(set));
    dict_t *d = s_ht(set);
    n += sizeof(dict_t) + (size_t)dict_buckets(d) * sizeof(dict_entry_t *);
    /* like Redis: the average of a few members stands for all of them */
    size_t sampled = 0, samples = 0;
    dict_iter_t it;
    dict_iter_init(&it, d);
    dict_entry_t *de;
    while (samples < 5 && (de = dict_iter_next(&it)) != NULL) {
        sampled += sizeof(dict_entry_t) + sizeof(vstr_t) + ((const vstr_t *)de->key)->len + 1;
        samples++;
    }
    dict_iter_done(&it);
    if (samples) n += (size_t)((double)sampled / (double)samples * (double)dict_size(d));
    return n;
}

static void s_free_payload(vobj_t *o) {
    if (!o->v.p) return;
    if (o->enc == ENC_HT) {
        dict_t *d = o->v.p;
        dict_destroy(&d);
    } else {
        intset_t *is = o->v.p;
        intset_destroy(&is);
    }
}

/* ---------- snapshot ----------
 * An intset is saved as its integers (the first, then the gaps between neighbours); a
 * hashtable as its members. Loading picks the encoding as the settings now say (Redis's
 * rules: an intset while every member is an integer and there are few enough). */

enum { SET_SNAP_INTS = 0, SET_SNAP_MEMBERS = 1 };

static void s_set_save(const vobj_t *set, snap_writer_t *w) {
    if (set->enc == ENC_INTSET) {
        const intset_t *is = s_is(set);
        snap_put_u8(w, SET_SNAP_INTS);
        snap_put_u64(w, intset_len(is));
        int64_t prev = 0;
        for (uint32_t i = 0; i < intset_len(is); i++) {
            int64_t v = intset_get(is, i);
            if (i == 0)
                snap_put_i64(w, v);
            else
                snap_put_u64(w, (uint64_t)v - (uint64_t)prev);
            prev = v;
        }
        return;
    }
    snap_put_u8(w, SET_SNAP_MEMBERS);
    snap_put_u64(w, dict_size(s_ht(set)));
    dict_iter_t it;
    dict_iter_init(&it, s_ht(set));
    dict_entry_t *de;
    while ((de = dict_iter_next(&it)) != NULL) {
        const vstr_t *m = de->key;
        snap_put_bytes(w, m->ptr, m->len);
    }
    dict_iter_done(&it);
}

static vobj_t *s_set_load_ints(engine_t *e, snap_reader_t *r, uint64_t n) {
    int small = n <= (uint64_t)s_intset_max(e);
    vobj_t *set = small ? set_type_new_intset() : set_type_new_ht(snap_presize(r, n));
    int64_t prev = 0;
    for (uint64_t i = 0; i < n; i++) {
        int64_t v;
        if (i == 0) {
            if (snap_get_i64(r, &v) < 0) goto bad;
        } else {
            uint64_t gap;
            if (snap_get_u64(r, &gap) < 0) goto bad;
            if (gap == 0 || gap > (uint64_t)INT64_MAX - (uint64_t)prev) { /* prev + gap > max */
                snap_fail(r, "intset members not in ascending order");
                goto bad;
            }
            v = (int64_t)((uint64_t)prev + gap);
        }
        prev = v;
        if (small) {
            int added;
            set->v.p = intset_add(s_is(set), v, &added);
        } else {
            char buf[24];
            int len = ll_to_str(buf, v);
            s_ht_add(s_ht(set), buf, (size_t)len);
        }
    }
    return set;
bad:
    obj_free(set);
    return NULL;
}

static vobj_t *s_set_load(engine_t *e, snap_reader_t *r) {
    uint8_t form;
    uint64_t n;
    if (snap_get_u8(r, &form) < 0) return NULL;
    if (form != SET_SNAP_INTS && form != SET_SNAP_MEMBERS) {
        snap_fail(r, "bad set form");
        return NULL;
    }
    if (snap_get_size(r, &n, "set") < 0) return NULL;
    if (form == SET_SNAP_INTS) return s_set_load_ints(e, r, n);
    vobj_t *set = n <= (uint64_t)s_intset_max(e) ? set_type_new_intset()
                                                 : set_type_new_ht(snap_presize(r, n));
    for (uint64_t i = 0; i < n; i++) {
        const char *p;
        size_t len;
        if (snap_get_bytes(r, &p, &len) < 0) goto bad;
        if (!set_type_add(e, set, p, len)) {
            snap_fail(r, "duplicate set member");
            goto bad;
        }
    }
    return set;
bad:
    obj_free(set);
    return NULL;
}

static const obj_type_t s_set_type = {"set",        s_free_payload, set_type_dup,
                                      set_type_mem, s_set_save,     s_set_load};

__attribute__((constructor)) static void s_register_set(void) {
    obj_register_type(OBJ_SET, &s_set_type);
}

/* ===================== command helpers ===================== */

static void s_written(client_t *c, const proto_arg_t *key, const char *event) {
    signal_modified_key(c->eng, c->db, key->ptr, key->len);
    notify_keyspace_event(c->eng, NOTIFY_SET, event, key->ptr, key->len, c->db->id);
}

static void s_notify_del(client_t *c, const proto_arg_t *key) {
    notify_keyspace_event(c->eng, NOTIFY_GENERIC, "del", key->ptr, key->len, c->db->id);
}

static void s_reply_member(client_t *c, const set_member_t *m) {
    if (m->p)
        reply_bulk(c, m->p, m->len);
    else
        reply_bulk_ll(c, m->ll);
}

/* Replies every member of set, as a set (RESP3 '~') or an array. */
static void s_reply_all(client_t *c, const vobj_t *set, int as_set) {
    uint64_t n = set_type_size(set);
    if (as_set)
        reply_set(c, (long long)n);
    else
        reply_array(c, (long long)n);
    set_iter_t it;
    set_member_t m;
    set_iter_init(&it, set);
    while (set_iter_next(&it, &m))
        s_reply_member(c, &m);
    set_iter_done(&it);
}

/* The sets of keys[0..n), looked up for reading in order as Redis does (a missing key is a
 * NULL entry); NULL after replying WRONGTYPE. The caller frees the array. */
static vobj_t **s_lookup_sets(client_t *c, const proto_arg_t *keys, int n, int *missing) {
    vobj_t **sets = malloc(sizeof *sets * (size_t)(n ? n : 1));
    if (!sets) abort();
    *missing = 0;
    for (int j = 0; j < n; j++) {
        int wrongtype;
        sets[j] = lookup_read_or_reply_type(c, &keys[j], OBJ_SET, &wrongtype);
        if (wrongtype) {
            free(sets);
            return NULL;
        }
        if (!sets[j]) (*missing)++;
    }
    return sets;
}

/* Stores a computed set at dst (replacing any value and its TTL) when it has members, else
 * deletes dst; replies with the size. event: the STORE command's event name. */
static void s_store_result(client_t *c, const proto_arg_t *dst, vobj_t *res, const char *event) {
    engine_t *e = c->eng;
    uint64_t n = set_type_size(res);
    if (n > 0) {
        db_lookup_write(e, c->db, dst->ptr, dst->len); /* expires a stale dst first, as Redis */
        db_set(e, c->db, dst->ptr, dst->len, res, 0);
        reply_int(c, (long long)n);
        s_written(c, dst, event);
        e->stats.dirty++;
        return;
    }
    obj_free(res);
    reply_int(c, 0);
    if (db_delete(e, c->db, dst->ptr, dst->len)) {
        signal_modified_key(e, c->db, dst->ptr, dst->len);
        s_notify_del(c, dst);
        e->stats.dirty++;
    }
}

/* ===================== SADD SREM SMOVE ===================== */

static void cmd_sadd(client_t *c) {
    engine_t *e = c->eng;
    const proto_arg_t *key = &c->argv[1];
    int wrongtype;
    vobj_t *set = lookup_write_or_reply_type(c, key, OBJ_SET, &wrongtype);
    if (wrongtype) return;
    if (!set) {
        set = set_type_create(c->argv[2].ptr, c->argv[2].len);
        db_add(e, c->db, key->ptr, key->len, set);
    }
    long long added = 0;
    for (int j = 2; j < c->argc; j++)
        added += set_type_add(e, set, c->argv[j].ptr, c->argv[j].len);
    if (added) s_written(c, key, "sadd");
    e->stats.dirty += added;
    reply_int(c, added);
}

static void cmd_srem(client_t *c) {
    engine_t *e = c->eng;
    const proto_arg_t *key = &c->argv[1];
    int wrongtype;
    vobj_t *set = lookup_write_or_reply_type(c, key, OBJ_SET, &wrongtype);
    if (!set) {
        if (!wrongtype) reply_int(c, 0);
        return;
    }
    long long deleted = 0;
    int emptied = 0;
    for (int j = 2; j < c->argc; j++) {
        if (!set_type_remove(set, c->argv[j].ptr, c->argv[j].len)) continue;
        deleted++;
        if (set_type_size(set) == 0) {
            db_delete(e, c->db, key->ptr, key->len);
            emptied = 1;
            break;
        }
    }
    if (deleted) {
        s_written(c, key, "srem");
        if (emptied) s_notify_del(c, key);
        e->stats.dirty += deleted;
    }
    reply_int(c, deleted);
}

static void cmd_smove(client_t *c) {
    engine_t *e = c->eng;
    const proto_arg_t *src_key = &c->argv[1], *dst_key = &c->argv[2], *ele = &c->argv[3];
    vobj_t *src = db_lookup_write(e, c->db, src_key->ptr, src_key->len);
    vobj_t *dst = db_lookup_write(e, c->db, dst_key->ptr, dst_key->len);
    if (!src) {
        reply_int(c, 0);
        return;
    }
    if (src->type != OBJ_SET || (dst && dst->type != OBJ_SET)) {
        reply_error(c, ERR_WRONGTYPE);
        return;
    }
    if (src == dst) {
        reply_int(c, set_type_is_member(src, ele->ptr, ele->len));
        return;
    }
    if (!set_type_remove(src, ele->ptr, ele->len)) {
        reply_int(c, 0);
        return;
    }
    notify_keyspace_event(e, NOTIFY_SET, "srem", src_key->ptr, src_key->len, c->db->id);
    if (set_type_size(src) == 0) {
        db_delete(e, c->db, src_key->ptr, src_key->len);
        s_notify_del(c, src_key);
    }
    if (!dst) {
        dst = set_type_create(ele->ptr, ele->len);
        db_add(e, c->db, dst_key->ptr, dst_key->len, dst);
    }
    signal_modified_key(e, c->db, src_key->ptr, src_key->len);
    e->stats.dirty++;
    if (set_type_add(e, dst, ele->ptr, ele->len)) {
        e->stats.dirty++;
        s_written(c, dst_key, "sadd");
    }
    reply_int(c, 1);
}

/* ===================== SISMEMBER SMISMEMBER SCARD ===================== */

static void cmd_sismember(client_t *c) {
    int wrongtype;
    vobj_t *set = lookup_read_or_reply_type(c, &c->argv[1], OBJ_SET, &wrongtype);
    if (wrongtype) return;
    reply_int(c, set && set_type_is_member(set, c->argv[2].ptr, c->argv[2].len));
}

static void cmd_smismember(client_t *c) {
    int wrongtype;
    vobj_t *set = lookup_read_or_reply_type(c, &c->argv[1], OBJ_SET, &wrongtype);
    if (wrongtype) return;
    reply_array(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++)
        reply_int(c, set && set_type_is_member(set, c->argv[j].ptr, c->argv[j].len));
}

static void cmd_scard(client_t *c) {
    int wrongtype;
    vobj_t *set = lookup_read_or_reply_type(c, &c->argv[1], OBJ_SET, &wrongtype);
    if (wrongtype) return;
    reply_int(c, set ? (long long)set_type_size(set) : 0);
}

/* ===================== SINTER SINTERCARD SINTERSTORE SMEMBERS ===================== */

typedef struct {
    vobj_t *set;
    uint64_t size;
    int pos;
} s_ranked_t;

static int s_cmp_ranked(const void *a, const void *b) {
    const s_ranked_t *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? -1 : 1;
    return x->pos - y->pos; /* equal sizes keep their argument order, as Redis's sort does */
}

/* Orders sets by ascending size (stable). */
static void s_sort_by_size(vobj_t **sets, int n) {
    s_ranked_t *r = malloc(sizeof *r * (size_t)n);
    if (!r) abort();
    for (int j = 0; j < n; j++)
        r[j] = (s_ranked_t){sets[j], set_type_size(sets[j]), j};
    qsort(r, (size_t)n, sizeof *r, s_cmp_ranked);
    for (int j = 0; j < n; j++)
        sets[j] = r[j].set;
    free(r);
}

/* 1 when m (a member of sets[0]) is in every other set. */
static int s_in_all(vobj_t **sets, int n, const set_member_t *m) {
    for (int j = 1; j < n; j++) {
        if (sets[j] == sets[0]) continue;
        if (!s_is_member(sets[j], m)) return 0;
    }
    return 1;
}

/* The intersection of keys[0..n): replied (as a set, in the iteration order of the smallest
 * set), stored at dst, or only counted (card_only, stopping at limit when limit > 0). */
static void s_sinter(client_t *c, const proto_arg_t *keys, int n, const proto_arg_t *dst,
                     int card_only, unsigned long long limit) {
    engine_t *e = c->eng;
    int missing;
    vobj_t **sets = s_lookup_sets(c, keys, n, &missing);
    if (!sets) return;
    if (missing) {
        free(sets);
        if (dst) {
            if (db_delete(e, c->db, dst->ptr, dst->len)) {
                signal_modified_key(e, c->db, dst->ptr, dst->len);
                s_notify_del(c, dst);
                e->stats.dirty++;
            }
            reply_int(c, 0);
        } else if (card_only) {
            reply_int(c, 0);
        } else {
            reply_set(c, 0);
        }
        return;
    }
    s_sort_by_size(sets, n);

    vobj_t *res = dst ? set_type_new_intset() : NULL;
    set_member_t *found = NULL; /* replies wait until the count is known */
    size_t nfound = 0, cap = 0;
    unsigned long long card = 0;
    set_iter_t it;
    set_member_t m;
    set_iter_init(&it, sets[0]);
    while (set_iter_next(&it, &m)) {
        if (!s_in_all(sets, n, &m)) continue;
        if (card_only) {
            if (++card == limit) break;
        } else if (dst) {
            s_add_member(e, res, &m);
        } else {
            if (nfound == cap) {
                cap = cap ? cap * 2 : 64;
                found = realloc(found, cap * sizeof *found);
                if (!found) abort();
            }
            found[nfound++] = m;
        }
    }
    set_iter_done(&it);

    if (card_only) {
        reply_int(c, (long long)card);
    } else if (dst) {
        s_store_result(c, dst, res, "sinterstore");
    } else {
        /* the members still point into sets[0], which nothing has changed */
        reply_set(c, (long long)nfound);
        for (size_t i = 0; i < nfound; i++)
            s_reply_member(c, &found[i]);
    }
    free(found);
    free(sets);
}

/* Redis 7.0 serves SMEMBERS with SINTER's code: the same replies and errors. */
static void cmd_smembers(client_t *c) { s_sinter(c, &c->argv[1], 1, NULL, 0, 0); }
static void cmd_sinter(client_t *c) { s_sinter(c, &c->argv[1], c->argc - 1, NULL, 0, 0); }
static void cmd_sinterstore(client_t *c) {
    s_sinter(c, &c->argv[2], c->argc - 2, &c->argv[1], 0, 0);
}

static void cmd_sintercard(client_t *c) {
    long long numkeys, limit = 0;
    if (arg_range_or_reply(c, &c->argv[1], 1, LLONG_MAX, &numkeys,
                           "numkeys should be greater than 0"))
        return;
    if (numkeys > c->argc - 2) {
        reply_error(c, "Number of keys can't be greater than number of args");
        return;
    }
    for (int j = 2 + (int)numkeys; j < c->argc; j++) {
        if (arg_is(&c->argv[j], "limit") && j + 1 < c->argc) {
            j++;
            if (arg_positive_or_reply(c, &c->argv[j], &limit, "LIMIT can't be negative")) return;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    s_sinter(c, &c->argv[2], (int)numkeys, NULL, 1, (unsigned long long)limit);
}

/* ===================== SUNION SDIFF and their STORE forms ===================== */

enum { SET_OP_UNION, SET_OP_DIFF };

static int s_cmp_rev_size(const void *a, const void *b) {
    const vobj_t *x = *(vobj_t *const *)a, *y = *(vobj_t *const *)b;
    uint64_t sx = x ? set_type_size(x) : 0, sy = y ? set_type_size(y) : 0;
    return sx < sy ? 1 : sx > sy ? -1 : 0;
}

/* Adds every member of src to res; returns how many were new. */
static long long s_union_into(const engine_t *e, vobj_t *res, const vobj_t *src) {
    long long added = 0;
    set_iter_t it;
    set_member_t m;
    set_iter_init(&it, src);
    while (set_iter_next(&it, &m))
        added += s_add_member(e, res, &m);
    set_iter_done(&it);
    return added;
}

/* The union or difference of keys[0..n), built as a fresh set (so its encoding follows its
 * members, like Redis's) and replied as a set in its order, or stored at dst. */
static void s_sunion_diff(client_t *c, const proto_arg_t *keys, int n, const proto_arg_t *dst,
                          int op) {
    engine_t *e = c->eng;
    int missing;
    vobj_t **sets = s_lookup_sets(c, keys, n, &missing);
    if (!sets) return;
    int sameset = 0;
    for (int j = 1; j < n; j++)
        if (sets[j] && sets[j] == sets[0]) sameset = 1;

    /* Two ways to subtract: test each member of the first set against the others (cheap when
     * the first set is small), or copy it and remove the others' members. Redis's estimate
     * of the work picks one; the result is the same. */
    int diff_by_lookup = 1;
    if (op == SET_OP_DIFF && sets[0] && !sameset) {
        long long lookup_work = 0, remove_work = 0;
        for (int j = 0; j < n; j++) {
            if (!sets[j]) continue;
            lookup_work += (long long)set_type_size(sets[0]);
            remove_work += (long long)set_type_size(sets[j]);
        }
        lookup_work /= 2; /* lookups stop at the first hit: give them the advantage */
        diff_by_lookup = lookup_work <= remove_work;
        if (diff_by_lookup && n > 1) qsort(sets + 1, (size_t)n - 1, sizeof *sets, s_cmp_rev_size);
    }

    vobj_t *res = set_type_new_intset();
    if (op == SET_OP_UNION) {
        for (int j = 0; j < n; j++)
            if (sets[j]) s_union_into(e, res, sets[j]);
    } else if (sets[0] && !sameset && diff_by_lookup) {
        set_iter_t it;
        set_member_t m;
        set_iter_init(&it, sets[0]);
        while (set_iter_next(&it, &m)) {
            int j;
            for (j = 1; j < n; j++) {
                if (!sets[j]) continue;
                if (sets[j] == sets[0] || s_is_member(sets[j], &m)) break;
            }
            if (j == n) s_add_member(e, res, &m);
        }
        set_iter_done(&it);
    } else if (sets[0] && !sameset) {
        long long card = s_union_into(e, res, sets[0]);
        for (int j = 1; j < n && card > 0; j++) {
            if (!sets[j]) continue;
            set_iter_t it;
            set_member_t m;
            set_iter_init(&it, sets[j]);
            while (set_iter_next(&it, &m))
                card -= s_remove_member(res, &m);
            set_iter_done(&it);
        }
    }
    free(sets);

    if (dst) {
        s_store_result(c, dst, res, op == SET_OP_UNION ? "sunionstore" : "sdiffstore");
    } else {
        s_reply_all(c, res, 1);
        obj_free(res);
    }
}

static void cmd_sunion(client_t *c) {
    s_sunion_diff(c, &c->argv[1], c->argc - 1, NULL, SET_OP_UNION);
}
static void cmd_sunionstore(client_t *c) {
    s_sunion_diff(c, &c->argv[2], c->argc - 2, &c->argv[1], SET_OP_UNION);
}
static void cmd_sdiff(client_t *c) {
    s_sunion_diff(c, &c->argv[1], c->argc - 1, NULL, SET_OP_DIFF);
}
static void cmd_sdiffstore(client_t *c) {
    s_sunion_diff(c, &c->argv[2], c->argc - 2, &c->argv[1], SET_OP_DIFF);
}

/* ===================== SPOP SRANDMEMBER ===================== */

/* SPOP with a count replies each popped member and records them, to become SREM effects. */
typedef struct {
    client_t *c;
    buf_t bytes; /* u32 len, bytes per member */
    size_t n;
} s_popped_t;

static void s_reply_popped(void *priv, const char *p, size_t len) {
    s_popped_t *pp = priv;
    reply_bulk(pp->c, p, len);
    buf_put_u32(&pp->bytes, (uint32_t)len);
    buf_append(&pp->bytes, p, len);
    pp->n++;
}

/* SREM key m... effects for the popped members, in chunks as Redis propagates them. */
static void s_popped_effects(s_popped_t *pp, const proto_arg_t *key) {
    enum { CHUNK = 1024 };
    proto_arg_t argv[CHUNK + 2];
    size_t pos = 0;
    for (size_t done = 0; done < pp->n;) {
        int argc = 2;
        argv[0] = EFF_LIT("SREM");
        argv[1] = *key;
        while (done < pp->n && argc < CHUNK + 2) {
            uint32_t len;
            memcpy(&len, pp->bytes.data + pos, 4);
            argv[argc++] = EFF_ARG(pp->bytes.data + pos + 4, len);
            pos += 4 + len;
            done++;
        }
        effect_add(pp->c, argc, argv);
    }
}

static void s_spop_count(client_t *c) {
    engine_t *e = c->eng;
    const proto_arg_t *key = &c->argv[1];
    long long l;
    if (arg_positive_or_reply(c, &c->argv[2], &l, "value is out of range, must be positive"))
        return;
    uint64_t count = (uint64_t)l;
    int wrongtype;
    vobj_t *set = lookup_write_or_reply_type(c, key, OBJ_SET, &wrongtype);
    if (!set) {
        if (!wrongtype) reply_set(c, 0);
        return;
    }
    if (count == 0) {
        reply_set(c, 0);
        return;
    }
    uint64_t size = set_type_size(set);
    notify_keyspace_event(e, NOTIFY_SET, "spop", key->ptr, key->len, c->db->id);
    e->stats.dirty += (long long)(count >= size ? size : count);
    if (count >= size) {
        /* everything goes: Redis answers through SUNION of the key (a read lookup and a
         * freshly built set, hence sorted integers even from a hashtable); the effect is a
         * DEL of the key */
        s_sunion_diff(c, key, 1, NULL, SET_OP_UNION);
        db_delete(e, c->db, key->ptr, key->len);
        s_notify_del(c, key);
        signal_modified_key(e, c->db, key->ptr, key->len);
        proto_arg_t fx[2] = {EFF_LIT("DEL"), *key};
        effect_add(c, 2, fx);
        return;
    }
    reply_set(c, (long long)count);
    s_popped_t pp = {c, {0}, 0};
    buf_init(&pp.bytes);
    set_type_pop_count(e, set, count, s_reply_popped, &pp);
    s_popped_effects(&pp, key); /* the members chosen at random, not SPOP itself */
    buf_free(&pp.bytes);
    signal_modified_key(e, c->db, key->ptr, key->len);
}

static void cmd_spop(client_t *c) {
    engine_t *e = c->eng;
    const proto_arg_t *key = &c->argv[1];
    if (c->argc == 3) {
        s_spop_count(c);
        return;
    }
    if (c->argc > 3) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    int wrongtype;
    vobj_t *set = lookup_write_or_reply_type(c, key, OBJ_SET, &wrongtype);
    if (!set) {
        if (!wrongtype) reply_null(c);
        return;
    }
    vstr_t *m = set_type_pop_random(set);
    notify_keyspace_event(e, NOTIFY_SET, "spop", key->ptr, key->len, c->db->id);
    reply_bulk(c, m->ptr, m->len);
    proto_arg_t fx[3] = {EFF_LIT("SREM"), *key, EFF_ARG(m->ptr, m->len)}; /* the chosen one */
    effect_add(c, 3, fx);
    vstr_free(m);
    if (set_type_size(set) == 0) {
        db_delete(e, c->db, key->ptr, key->len);
        s_notify_del(c, key);
    }
    signal_modified_key(e, c->db, key->ptr, key->len);
    e->stats.dirty++;
}

/* A small open-addressing set of nonzero 64-bit ids (member identities) for sampling without
 * repeats. */
typedef struct {
    uint64_t *slots;
    uint64_t mask;
} s_seen_t;

static void s_seen_init(s_seen_t *s, uint64_t n) {
    uint64_t cap = 16;
    while (cap < n * 2)
        cap <<= 1;
    s->slots = calloc(cap, sizeof *s->slots);
    if (!s->slots) abort();
    s->mask = cap - 1;
}

/* 1 when id was new (and is now recorded). */
static int s_seen_add(s_seen_t *s, uint64_t id) {
    uint64_t i = (id * 0x9e3779b97f4a7c15ULL) >> 20;
    for (;; i++) {
        uint64_t *slot = &s->slots[i & s->mask];
        if (*slot == id) return 0;
        if (*slot == 0) {
            *slot = id;
            return 1;
        }
    }
}

/* SRANDMEMBER key count with 1 < count < size: count distinct members. Redis copies and thins
 * the whole set when count is large, else samples until enough distinct members came up; the
 * order is random either way. */
static void s_srandmember_distinct(client_t *c, const vobj_t *set, uint64_t count) {
    uint64_t size = set_type_size(set);
    reply_array(c, (long long)count);
    if (count * SRANDMEMBER_SUB_STRATEGY_MUL > size) {
        /* partial Fisher-Yates over all the members */
        set_member_t *all = malloc(sizeof *all * size);
        if (!all) abort();
        set_iter_t it;
        uint64_t n = 0;
        set_iter_init(&it, set);
        while (n < size && set_iter_next(&it, &all[n]))
            n++;
        set_iter_done(&it);
        for (uint64_t i = 0; i < count; i++) {
            uint64_t j = i + rand_below(n - i);
            set_member_t t = all[i];
            all[i] = all[j];
            all[j] = t;
            s_reply_member(c, &all[i]);
        }
        free(all);
        return;
    }
    s_seen_t seen;
    s_seen_init(&seen, count);
    for (uint64_t added = 0; added < count;) {
        set_member_t m;
        uint64_t id; /* the member's position (intset) or its string's address, never 0 */
        if (set->enc == ENC_INTSET) {
            const intset_t *is = s_is(set);
            uint64_t pos = rand_below(intset_len(is));
            m = (set_member_t){NULL, 0, intset_get(is, (uint32_t)pos)};
            id = pos + 1;
        } else {
            set_type_random(set, &m);
            id = (uint64_t)(uintptr_t)m.p;
        }
        if (s_seen_add(&seen, id)) {
            s_reply_member(c, &m);
            added++;
        }
    }
    free(seen.slots);
}

static void s_srandmember_count(client_t *c) {
    long long l;
    if (arg_range_or_reply(c, &c->argv[2], -LLONG_MAX, LLONG_MAX, &l, NULL)) return;
    int distinct = l >= 0;
    uint64_t count = distinct ? (uint64_t)l : (uint64_t)-l;
    int wrongtype;
    vobj_t *set = lookup_read_or_reply_type(c, &c->argv[1], OBJ_SET, &wrongtype);
    if (!set) {
        if (!wrongtype) reply_array(c, 0);
        return;
    }
    if (count == 0) {
        reply_array(c, 0);
        return;
    }
    if (!distinct || count == 1) {
        reply_array(c, (long long)count);
        while (count--) {
            set_member_t m;
            set_type_random(set, &m);
            s_reply_member(c, &m);
        }
        return;
    }
    if (count >= set_type_size(set)) {
        s_reply_all(c, set, 0);
        return;
    }
    s_srandmember_distinct(c, set, count);
}

static void cmd_srandmember(client_t *c) {
    if (c->argc == 3) {
        s_srandmember_count(c);
        return;
    }
    if (c->argc > 3) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    int wrongtype;
    vobj_t *set = lookup_read_or_reply_type(c, &c->argv[1], OBJ_SET, &wrongtype);
    if (!set) {
        if (!wrongtype) reply_null(c);
        return;
    }
    set_member_t m;
    set_type_random(set, &m);
    s_reply_member(c, &m);
}

/* ===================== SSCAN ===================== */

typedef struct {
    const vstr_t **items;
    size_t n, cap;
} s_scan_list_t;

static void s_scan_collect(void *priv, dict_entry_t *de) {
    s_scan_list_t *l = priv;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = realloc(l->items, l->cap * sizeof *l->items);
        if (!l->items) abort();
    }
    l->items[l->n++] = de->key; /* nothing changes the set before the reply is written */
}

static void cmd_sscan(client_t *c) {
    uint64_t cursor;
    if (arg_cursor_or_reply(c, &c->argv[2], &cursor)) return;
    int wrongtype;
    vobj_t *set = lookup_read_or_reply_type(c, &c->argv[1], OBJ_SET, &wrongtype);
    if (wrongtype) return;
    if (!set) {
        reply_array(c, 2);
        reply_bulk(c, "0", 1);
        reply_array(c, 0);
        return;
    }
    long long count = SSCAN_DEFAULT_COUNT;
    const proto_arg_t *pat;
    if (scan_opts_or_reply(c, 3, &count, &pat, NULL)) return;
    int use_pattern = pat != NULL;

    if (set->enc == ENC_INTSET) {
        /* small enough to hand over whole: one call, cursor 0, whatever cursor came in */
        const intset_t *is = s_is(set);
        reply_array(c, 2);
        reply_bulk(c, "0", 1);
        size_t inner = reply_deferred_len(c);
        long long n = 0;
        for (uint32_t i = 0; i < intset_len(is); i++) {
            char buf[24];
            int len = ll_to_str(buf, intset_get(is, i));
            if (use_pattern && !glob_match(pat->ptr, pat->len, buf, (size_t)len, 0)) continue;
            reply_bulk(c, buf, (size_t)len);
            n++;
        }
        reply_set_deferred_len(c, inner, n);
        return;
    }

    s_scan_list_t l = {NULL, 0, 0};
    long long maxiter = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
    do {
        cursor = dict_scan(s_ht(set), cursor, s_scan_collect, &l);
    } while (cursor && maxiter-- && l.n < (unsigned long long)count);
    size_t kept = 0;
    for (size_t i = 0; i < l.n; i++) {
        const vstr_t *k = l.items[i];
        if (!use_pattern || glob_match(pat->ptr, pat->len, k->ptr, k->len, 0)) l.items[kept++] = k;
    }
    reply_array(c, 2);
    reply_bulk_ll(c, (long long)cursor);
    reply_array(c, (long long)kept);
    for (size_t i = 0; i < kept; i++)
        reply_bulk(c, l.items[i]->ptr, l.items[i]->len);
    free(l.items);
}

/* ===================== command table ===================== */

// clang-format off
command_t set_commands[] = {
    {.name = "sadd", .proc = cmd_sadd, .arity = -3, .flags = "write denyoom fast", .acl = "set",
     .keyspecs = "RW insert;index:1;range:0,1,0", .group = "set", .since = "1.0.0",
     .summary = "Adds members to a set, creating the set when the key is missing.",
     .complexity = "O(1) per member given, so O(N) for N members.",
     .history = "2.4.0 Several members may be given at once.",
     .args = "key:key@0 *string:member"},
    {.name = "srem", .proc = cmd_srem, .arity = -3, .flags = "write fast", .acl = "set",
     .keyspecs = "RW delete;index:1;range:0,1,0", .group = "set", .since = "1.0.0",
     .summary = "Removes members from a set; the key goes away with the last member.",
     .complexity = "O(N), N being the number of members given.",
     .history = "2.4.0 Several members may be given at once.",
     .args = "key:key@0 *string:member"},
    {.name = "smembers", .proc = cmd_smembers, .arity = 2, .flags = "readonly", .acl = "set",
     .keyspecs = "RO access;index:1;range:0,1,0", .tips = "nondeterministic_output_order",
     .group = "set", .since = "1.0.0", .summary = "Returns every member of a set.",
     .complexity = "O(N), N being the size of the set.", .args = "key:key@0"},
    {.name = "sismember", .proc = cmd_sismember, .arity = 3, .flags = "readonly fast", .acl = "set",
     .keyspecs = "RO;index:1;range:0,1,0", .group = "set", .since = "1.0.0",
     .summary = "Tells whether a value is a member of a set.", .complexity = "O(1)",
     .args = "key:key@0 string:member"},
    {.name = "smismember", .proc = cmd_smismember, .arity = -3, .flags = "readonly fast",
     .acl = "set", .keyspecs = "RO access;index:1;range:0,1,0", .group = "set",
     .since = "6.2.0", .summary = "Tells for each of several values whether it is in a set.",
     .complexity = "O(N), N being the number of values checked.",
     .args = "key:key@0 *string:member"},
    {.name = "scard", .proc = cmd_scard, .arity = 2, .flags = "readonly fast", .acl = "set",
     .keyspecs = "RO;index:1;range:0,1,0", .group = "set", .since = "1.0.0",
     .summary = "Returns the number of members of a set.", .complexity = "O(1)",
     .args = "key:key@0"},
    {.name = "srandmember", .proc = cmd_srandmember, .arity = -2, .flags = "readonly",
     .acl = "set", .keyspecs = "RO access;index:1;range:0,1,0",
     .tips = "nondeterministic_output", .group = "set", .since = "1.0.0",
     .summary = "Returns random members of a set without removing them.",
     .complexity = "O(1) without a count, else O(N) in the absolute value of the count.",
     .history = "2.6.0 The count argument.",
     .args = "key:key@0 ?integer:count+2.6.0"},
    {.name = "spop", .proc = cmd_spop, .arity = -2, .flags = "write fast", .acl = "set",
     .keyspecs = "RW access delete;index:1;range:0,1,0", .tips = "nondeterministic_output",
     .group = "set", .since = "1.0.0",
     .summary = "Removes random members from a set and returns them.",
     .complexity = "O(1) without a count, else O(N) in the count.",
     .history = "3.2.0 The count argument.",
     .args = "key:key@0 ?integer:count+3.2.0"},
    {.name = "smove", .proc = cmd_smove, .arity = 4, .flags = "write fast", .acl = "set",
     .keyspecs = "RW access delete;index:1;range:0,1,0|RW insert;index:2;range:0,1,0",
     .group = "set", .since = "1.0.0",
     .summary = "Moves a member from one set to another.", .complexity = "O(1)",
     .args = "key:source@0 key:destination@1 string:member"},
    {.name = "sinter", .proc = cmd_sinter, .arity = -2, .flags = "readonly", .acl = "set",
     .keyspecs = "RO access;index:1;range:-1,1,0", .tips = "nondeterministic_output_order",
     .group = "set", .since = "1.0.0", .summary = "Returns the intersection of sets.",
     .complexity = "O(N*M) at worst, N being the size of the smallest set and M the number "
                   "of sets.",
     .args = "*key:key@0"},
    {.name = "sintercard", .proc = cmd_sintercard, .arity = -3, .flags = "readonly",
     .acl = "set", .keyspecs = "RO access;index:1;keynum:0,1,1", .group = "set",
     .since = "7.0.0",
     .summary = "Counts the members of the intersection of sets, optionally up to a limit.",
     .complexity = "O(N*M) at worst, N being the size of the smallest set and M the number "
                   "of sets.",
     .args = "integer:numkeys *key:key@0 ?integer:limit=LIMIT"},
    {.name = "sinterstore", .proc = cmd_sinterstore, .arity = -3, .flags = "write denyoom",
     .acl = "set", .keyspecs = "RW update;index:1;range:0,1,0|RO access;index:2;range:-1,1,0",
     .group = "set", .since = "1.0.0",
     .summary = "Stores the intersection of sets at a key.",
     .complexity = "O(N*M) at worst, N being the size of the smallest set and M the number "
                   "of sets.",
     .args = "key:destination@0 *key:key@1"},
    {.name = "sunion", .proc = cmd_sunion, .arity = -2, .flags = "readonly", .acl = "set",
     .keyspecs = "RO access;index:1;range:-1,1,0", .tips = "nondeterministic_output_order",
     .group = "set", .since = "1.0.0", .summary = "Returns the union of sets.",
     .complexity = "O(N), N being the total number of members of the sets.",
     .args = "*key:key@0"},
    {.name = "sunionstore", .proc = cmd_sunionstore, .arity = -3, .flags = "write denyoom",
     .acl = "set", .keyspecs = "OW update;index:1;range:0,1,0|RO access;index:2;range:-1,1,0",
     .group = "set", .since = "1.0.0", .summary = "Stores the union of sets at a key.",
     .complexity = "O(N), N being the total number of members of the sets.",
     .args = "key:destination@0 *key:key@1"},
    {.name = "sdiff", .proc = cmd_sdiff, .arity = -2, .flags = "readonly", .acl = "set",
     .keyspecs = "RO access;index:1;range:-1,1,0", .tips = "nondeterministic_output_order",
     .group = "set", .since = "1.0.0",
     .summary = "Returns the members of the first set that are in none of the others.",
     .complexity = "O(N), N being the total number of members of the sets.",
     .args = "*key:key@0"},
    {.name = "sdiffstore", .proc = cmd_sdiffstore, .arity = -3, .flags = "write denyoom",
     .acl = "set", .keyspecs = "OW update;index:1;range:0,1,0|RO access;index:2;range:-1,1,0",
     .group = "set", .since = "1.0.0",
     .summary = "Stores the difference of the first set and the others at a key.",
     .complexity = "O(N), N being the total number of members of the sets.",
     .args = "key:destination@0 *key:key@1"},
    {.name = "sscan", .proc = cmd_sscan, .arity = -3, .flags = "readonly", .acl = "set",
     .keyspecs = "RO access;index:1;range:0,1,0", .tips = "nondeterministic_output",
     .group = "set", .since = "2.8.0",
     .summary = "Iterates over the members of a set with a cursor.",
     .complexity = "O(1) per call; a full iteration is O(N), N being the size of the set.",
     .args = "key:key@0 integer:cursor ?pattern:pattern=MATCH ?integer:count=COUNT"},
    {0},
};
// clang-format on
