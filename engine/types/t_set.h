/* The set type's API: set objects in Redis 7.0's two encodings, "intset" (engine/ds/intset.h)
 * while every member is a canonical integer and there are at most set-max-intset-entries of
 * them, else "hashtable" (engine/ds/dict.h, vstr_t* members, no values). A set converts to a
 * hashtable exactly when Redis's would and never converts back; an empty set never stays in
 * the keyspace. Members are binary-safe byte strings; intset members are read back as their
 * decimal form. */
#ifndef VOLE_T_SET_H
#define VOLE_T_SET_H
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* ---------- objects ---------- */

/* An empty set, encoded as Redis creates one for a first member (intset when first is a
 * canonical integer, else hashtable). The first member is not added. */
vobj_t *set_type_create(const char *first, size_t len);
vobj_t *set_type_new_intset(void);
/* An empty hashtable-encoded set pre-sized for about size_hint members. */
vobj_t *set_type_new_ht(uint64_t size_hint);
vobj_t *set_type_dup(const vobj_t *set); /* same encoding, same members */
uint64_t set_type_size(const vobj_t *set);

/* ---------- members ---------- */

/* 1 when the bytes are what Redis stores in an intset: a canonical int64 ("12", not "012",
 * "+12" or "-0"). */
int set_member_is_int(const char *p, size_t len, int64_t *v);
/* Adds a member; 1 when added, 0 when already there. Converts to hashtable when the member is
 * not an integer or the intset grows past e's set-max-intset-entries. */
int set_type_add(const engine_t *e, vobj_t *set, const char *p, size_t len);
/* Removes a member; 1 when it was there. The caller deletes the key when the set empties. */
int set_type_remove(vobj_t *set, const char *p, size_t len);
int set_type_is_member(const vobj_t *set, const char *p, size_t len);
/* Converts an intset-encoded set to hashtable (the only conversion there is). */
void set_type_convert_to_ht(vobj_t *set);

/* A member handed out by the API: the bytes, or for an intset member its integer (p NULL,
 * bytes produced by set_member_str()). */
typedef struct set_member {
    const char *p;
    size_t len;
    int64_t ll;
} set_member_t;
/* The bytes of m; buf (>= 24 bytes) holds the digits of an integer member. */
const char *set_member_str(const set_member_t *m, char *buf, size_t *len);

/* ---------- iteration ---------- */

/* Visits every member once: ascending for an intset, table order for a hashtable. The set
 * must not change during the iteration (other sets may). */
typedef struct set_iter {
    const vobj_t *set;
    uint32_t pos;
    dict_iter_t di;
} set_iter_t;
void set_iter_init(set_iter_t *it, const vobj_t *set);
/* 1 and *m filled, or 0 at the end. */
int set_iter_next(set_iter_t *it, set_member_t *m);
void set_iter_done(set_iter_t *it);

/* ---------- random members ---------- */

/* A random member (the set must not be empty); *m is valid until the set changes. */
void set_type_random(const vobj_t *set, set_member_t *m);
/* Removes a random member (the set must not be empty) and returns it as a new string the
 * caller frees. */
vstr_t *set_type_pop_random(vobj_t *set);

/* Receives members one by one (SPOP's popped members, in reply order). */
typedef void set_member_fn(void *priv, const char *p, size_t len);
/* SPOP with a count below the size: removes count random members, handing each to fn exactly
 * once; these are the members a replica or the AOF must see removed (one SREM each). As in
 * Redis, when most of the set goes the kept members move to a fresh set instead, so the
 * encoding may change (a hashtable of integers can become an intset again). */
void set_type_pop_count(const engine_t *e, vobj_t *set, uint64_t count, set_member_fn *fn,
                        void *priv);

/* ---------- the type's registration ---------- */

/* MEMORY USAGE estimate (sampled for hashtables, as Redis does). */
size_t set_type_mem(const vobj_t *set);
#endif
