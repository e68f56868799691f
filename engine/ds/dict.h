/* Hash table with chaining, power-of-two sizes and incremental rehashing (a step of work on
 * every operation plus an explicit dict_rehash_ms() from the engine's timer), and a
 * reverse-binary SCAN cursor that visits every element present for the whole scan at least
 * once even while the table grows or shrinks. Knows nothing about the engine. */
#ifndef VOLE_DICT_H
#define VOLE_DICT_H
#include <stddef.h>
#include <stdint.h>

typedef struct dict_entry {
    void *key;
    union {
        void *val;
        int64_t s64;
    } v;
    struct dict_entry *next;
} dict_entry_t;

typedef struct dict_type {
    uint64_t (*hash)(const void *key);
    int (*key_eq)(const void *a, const void *b); /* 1 when equal */
    void (*key_free)(void *key);                  /* may be NULL */
    void (*val_free)(void *val);                  /* may be NULL */
} dict_type_t;

typedef struct dict {
    const dict_type_t *type;
    dict_entry_t **table[2];
    uint64_t size[2]; /* bucket counts (0 or a power of two) */
    uint64_t used[2];
    long rehash_idx;  /* -1 when not rehashing */
    int pause_rehash; /* > 0 while a safe iterator is alive */
} dict_t;

dict_t *dict_new(const dict_type_t *type);
void dict_destroy(dict_t **d);
/* Removes every entry (freeing keys/values through the type) and the tables. */
void dict_clear(dict_t *d);
static inline uint64_t dict_size(const dict_t *d) { return d->used[0] + d->used[1]; }
static inline uint64_t dict_buckets(const dict_t *d) { return d->size[0] + d->size[1]; }
static inline int dict_is_rehashing(const dict_t *d) { return d->rehash_idx != -1; }

dict_entry_t *dict_find(dict_t *d, const void *key);
/* Adds key -> val; returns the new entry, or NULL when the key exists (nothing changes). */
dict_entry_t *dict_add(dict_t *d, void *key, void *val);
/* Returns the entry for key, adding it with a NULL value when missing (*existed tells). */
dict_entry_t *dict_add_or_find(dict_t *d, void *key, int *existed);
/* Removes key, freeing key and value through the type; returns 0, or -1 when absent. */
int dict_delete(dict_t *d, const void *key);
/* Unlinks key without freeing; the caller frees with dict_free_unlinked(). */
dict_entry_t *dict_unlink(dict_t *d, const void *key);
void dict_free_unlinked(dict_t *d, dict_entry_t *e);

/* Pre-sizes the table for n elements; returns -1 when nothing changes. */
int dict_expand(dict_t *d, uint64_t n);
/* Rehashes for about ms milliseconds; returns 1 if more rehashing is pending. */
int dict_rehash_ms(dict_t *d, int ms);
/* Shrinks the table when it is mostly empty (call from a timer). */
void dict_maybe_shrink(dict_t *d);
/* A random entry, or NULL when empty; cheap, but an entry alone in its bucket is more likely
 * than one in a crowded bucket. */
dict_entry_t *dict_random(dict_t *d);
/* A random entry with (close to) equal chances for all: samples ~20 entries from
 * neighbouring buckets. For commands whose randomness clients see (SRANDMEMBER, SPOP,
 * RANDOMKEY, HRANDFIELD) and for eviction sampling. */
dict_entry_t *dict_random_fair(dict_t *d);

/* SCAN: calls fn for each entry of the bucket(s) at cursor and returns the next cursor
 * (0 when the scan is complete). */
typedef void dict_scan_fn(void *priv, dict_entry_t *e);
uint64_t dict_scan(dict_t *d, uint64_t cursor, dict_scan_fn *fn, void *priv);

/* Safe iteration: the table does not rehash while an iterator is alive; the current entry
 * may be deleted. */
typedef struct {
    dict_t *d;
    int table;
    long index;
    dict_entry_t *entry, *next;
} dict_iter_t;
void dict_iter_init(dict_iter_t *it, dict_t *d);
dict_entry_t *dict_iter_next(dict_iter_t *it);
void dict_iter_done(dict_iter_t *it);

/* Hash helpers (seeded at start-up with a random seed so inputs cannot be chosen to
 * collide). */
void dict_set_seed(const uint8_t seed[16]);
uint64_t dict_hash_bytes(const void *p, size_t len);
uint64_t dict_hash_bytes_nocase(const void *p, size_t len);
#endif
