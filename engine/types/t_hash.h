/* The hash type's API: field -> value maps of binary-safe byte strings in Redis 7.0's two
 * encodings, "listpack" (engine/ds/fvpack.h, pairs in insertion order) while the hash is small,
 * "hashtable" (engine/ds/dict.h, vstr_t* field -> vstr_t* value) beyond the
 * hash-max-listpack-entries / hash-max-listpack-value thresholds. A hash converts exactly when
 * Redis's does and never converts back; an empty hash never stays in the keyspace (callers
 * delete the key when the last field goes). Users: the HASH commands, and later SORT's
 * BY/GET "key->field", HSEARCH, snapshots and replication. */
#ifndef VOLE_T_HASH_H
#define VOLE_T_HASH_H
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* ---------- objects ---------- */

/* An empty hash encoded as Redis creates one (listpack; conversions happen on writes). */
vobj_t *hash_type_create(void);
/* An empty hash of the given encoding (ENC_LISTPACK or ENC_HT), pre-sized for size_hint
 * fields (snapshot loading, COPY). */
vobj_t *hash_type_create_enc(int enc, uint64_t size_hint);
vobj_t *hash_type_dup(const vobj_t *h); /* same encoding, same fields in the same order */
uint64_t hash_type_length(const vobj_t *h);
size_t hash_type_mem(const vobj_t *h); /* MEMORY USAGE estimate in bytes */

/* ---------- fields ---------- */

/* 1 and the value's bytes (valid until the hash changes) when the field exists, else 0. */
int hash_type_get(const vobj_t *h, const char *f, size_t flen, const char **v, size_t *vlen);
int hash_type_exists(const vobj_t *h, const char *f, size_t flen);
/* Sets field to value; returns 1 when the field is new, 0 when its value was replaced.
 * Converts to hashtable as Redis's hashTypeSet does: first when the field or the value is
 * longer than hash-max-listpack-value, then when the number of fields exceeds
 * hash-max-listpack-entries (even after a mere update, e.g. once CONFIG SET lowered it). */
int hash_type_set(const engine_config_t *cfg, vobj_t *h, const char *f, size_t flen, const char *v,
                  size_t vlen);
/* Removes a field; 1 when it existed. Does not delete the key when the hash empties. */
int hash_type_delete(vobj_t *h, const char *f, size_t flen);
/* The check HSET/HSETNX make before writing the n strings of args (fields and values):
 * converts a listpack hash when one of them is longer than hash-max-listpack-value, or when
 * the pack would grow past its safety size. */
void hash_type_try_conversion(const engine_config_t *cfg, vobj_t *h, const proto_arg_t *args,
                              int n);
/* Converts a listpack hash to hashtable (the only conversion there is). */
void hash_type_convert(vobj_t *h);

/* ---------- iteration ---------- */

/* A field and its value handed out by the API: pointers into the hash. */
typedef struct hash_field {
    const char *f, *v;
    size_t flen, vlen;
} hash_field_t;

/* Visits every field once: insertion order for a listpack, table order for a hashtable. The
 * hash must not change during the iteration, except that hash_iter_delete() may remove the
 * field just returned. */
typedef struct hash_iter {
    vobj_t *h;
    size_t off, cur; /* listpack: the next pair / the pair just returned */
    dict_iter_t di;
    dict_entry_t *de; /* hashtable: the entry just returned */
    int deleted;      /* hashtable: hash_iter_delete() was called */
} hash_iter_t;
void hash_iter_init(hash_iter_t *it, const vobj_t *h);
/* 1 and *out filled, or 0 at the end. */
int hash_iter_next(hash_iter_t *it, hash_field_t *out);
/* Removes the field last returned by hash_iter_next(). */
void hash_iter_delete(hash_iter_t *it);
void hash_iter_done(hash_iter_t *it);

/* ---------- random fields ---------- */

/* A random field of a non-empty hash (uniform for a listpack, close to it for a hashtable). */
void hash_type_random(const vobj_t *h, hash_field_t *out);

/* ---------- scanning ---------- */

/* One HSCAN step: hands fields to fn and returns the next cursor. A listpack hash is visited
 * whole in one call and returns 0, as in Redis; a hashtable one visits dict_scan() buckets
 * until about count strings (fields plus values, as Redis counts them) were seen. */
typedef void hash_field_fn(void *priv, const hash_field_t *hf);
uint64_t hash_type_scan(const vobj_t *h, uint64_t cursor, long long count, hash_field_fn *fn,
                        void *priv);
#endif
