/* Chained hash table with incremental rehashing, reverse-binary SCAN cursors, random
 * sampling and safe iterators; also the seeded XXH3 hash helpers every dict user shares. */
#include "engine/ds/dict.h"

#include <assert.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack for the nocase hash */
#include <xxhash.h>

#define DICT_MIN_SIZE 4
#define DICT_FORCE_RATIO 5 /* grow even while an iterator pauses rehashing */
#define DICT_MIN_FILL 10   /* percent below which dict_maybe_shrink resizes */
#define NOCASE_CHUNK 256

static uint64_t s_seed = 0x9e3779b97f4a7c15ULL;
static uint64_t s_rng = 0x2545f4914f6cdd1dULL;

/* ===================== hashing and randomness ===================== */

void dict_set_seed(const uint8_t seed[16]) {
    uint64_t a, b;
    memcpy(&a, seed, 8);
    memcpy(&b, seed + 8, 8);
    s_seed = a ^ ((b << 32) | (b >> 32));
    /* The sampling generator only needs to differ between runs, not be secret. */
    s_rng = (a + 0x9e3779b97f4a7c15ULL) ^ b;
    if (s_rng == 0) s_rng = 1;
}

uint64_t dict_hash_bytes(const void *p, size_t len) { return XXH3_64bits_withSeed(p, len, s_seed); }

/* Lowercases in chunks so arbitrarily long keys need no allocation; XXH3's streaming digest
 * equals its one-shot digest, so this matches dict_hash_bytes over the lowered bytes. */
uint64_t dict_hash_bytes_nocase(const void *p, size_t len) {
    const unsigned char *s = p;
    unsigned char buf[NOCASE_CHUNK];
    if (len <= sizeof buf) {
        for (size_t i = 0; i < len; i++)
            buf[i] = (unsigned char)tolower(s[i]);
        return XXH3_64bits_withSeed(buf, len, s_seed);
    }
    XXH3_state_t st;
    XXH3_64bits_reset_withSeed(&st, s_seed);
    while (len > 0) {
        size_t n = len < sizeof buf ? len : sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = (unsigned char)tolower(s[i]);
        XXH3_64bits_update(&st, buf, n);
        s += n;
        len -= n;
    }
    return XXH3_64bits_digest(&st);
}

/* splitmix64: cheap, good enough spread for picking buckets. */
static uint64_t s_random(void) {
    uint64_t z = (s_rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ===================== table management ===================== */

dict_t *dict_new(const dict_type_t *type) {
    dict_t *d = calloc(1, sizeof *d);
    if (!d) abort();
    d->type = type;
    d->rehash_idx = -1;
    return d;
}

static void s_free_entry(dict_t *d, dict_entry_t *e) {
    if (d->type->key_free) d->type->key_free(e->key);
    if (d->type->val_free) d->type->val_free(e->v.val);
    free(e);
}

void dict_clear(dict_t *d) {
    for (int t = 0; t < 2; t++) {
        for (uint64_t i = 0; i < d->size[t] && d->used[t] > 0; i++) {
            dict_entry_t *e = d->table[t][i];
            while (e) {
                dict_entry_t *next = e->next;
                s_free_entry(d, e);
                d->used[t]--;
                e = next;
            }
        }
        free(d->table[t]);
        d->table[t] = NULL;
        d->size[t] = 0;
        d->used[t] = 0;
    }
    d->rehash_idx = -1;
}

void dict_destroy(dict_t **dp) {
    if (!dp || !*dp) return;
    dict_clear(*dp);
    free(*dp);
    *dp = NULL;
}

static uint64_t s_next_power(uint64_t n) {
    uint64_t s = DICT_MIN_SIZE;
    if (n >= (UINT64_C(1) << 63)) return UINT64_C(1) << 63;
    while (s < n)
        s <<= 1;
    return s;
}

/* Starts a resize to hold n elements: allocates the first table, or a second one and
 * begins rehashing into it. Returns -1 when nothing changes. */
static int s_resize(dict_t *d, uint64_t n) {
    if (dict_is_rehashing(d) || d->used[0] > n) return -1;
    uint64_t size = s_next_power(n);
    if (size == d->size[0]) return -1;
    dict_entry_t **t = calloc(size, sizeof *t);
    if (!t) abort();
    if (d->table[0] == NULL) {
        d->table[0] = t;
        d->size[0] = size;
        d->used[0] = 0;
        return 0;
    }
    d->table[1] = t;
    d->size[1] = size;
    d->used[1] = 0;
    d->rehash_idx = 0;
    return 0;
}

int dict_expand(dict_t *d, uint64_t n) { return s_resize(d, n); }

static void s_grow_if_needed(dict_t *d) {
    if (dict_is_rehashing(d)) return;
    if (d->size[0] == 0) {
        s_resize(d, DICT_MIN_SIZE);
        return;
    }
    if (d->used[0] < d->size[0]) return;
    if (d->pause_rehash == 0 || d->used[0] / d->size[0] >= DICT_FORCE_RATIO)
        s_resize(d, d->used[0] + 1);
}

/* Moves up to n buckets from the old table to the new one, visiting at most 10*n empty
 * buckets so one step stays cheap on a sparse table. Returns 1 while work remains. */
static int s_rehash(dict_t *d, int n) {
    long empty_visits = (long)n * 10;
    if (!dict_is_rehashing(d)) return 0;
    uint64_t mask1 = d->size[1] - 1;
    while (n-- > 0 && d->used[0] != 0) {
        assert((uint64_t)d->rehash_idx < d->size[0]);
        while (d->table[0][d->rehash_idx] == NULL) {
            d->rehash_idx++;
            if (--empty_visits == 0) return 1;
        }
        dict_entry_t *e = d->table[0][d->rehash_idx];
        while (e) {
            dict_entry_t *next = e->next;
            uint64_t idx = d->type->hash(e->key) & mask1;
            e->next = d->table[1][idx];
            d->table[1][idx] = e;
            d->used[0]--;
            d->used[1]++;
            e = next;
        }
        d->table[0][d->rehash_idx] = NULL;
        d->rehash_idx++;
    }
    if (d->used[0] == 0) {
        free(d->table[0]);
        d->table[0] = d->table[1];
        d->size[0] = d->size[1];
        d->used[0] = d->used[1];
        d->table[1] = NULL;
        d->size[1] = 0;
        d->used[1] = 0;
        d->rehash_idx = -1;
        return 0;
    }
    return 1;
}

static void s_rehash_step(dict_t *d) {
    if (d->pause_rehash == 0) s_rehash(d, 1);
}

int dict_rehash_ms(dict_t *d, int ms) {
    if (d->pause_rehash > 0) return dict_is_rehashing(d);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t deadline = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + (int64_t)ms * 1000000;
    while (s_rehash(d, 100)) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        if ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec >= deadline) break;
    }
    return dict_is_rehashing(d);
}

void dict_maybe_shrink(dict_t *d) {
    if (dict_is_rehashing(d) || d->pause_rehash > 0) return;
    if (d->size[0] <= DICT_MIN_SIZE) return;
    if (d->used[0] * 100 / d->size[0] >= DICT_MIN_FILL) return;
    s_resize(d, d->used[0] < DICT_MIN_SIZE ? DICT_MIN_SIZE : d->used[0]);
}

/* ===================== lookup and update ===================== */

/* The entry for key and, through prev/tbl/idx, where it hangs; NULL when absent. */
static dict_entry_t *s_locate(dict_t *d, const void *key, uint64_t h, dict_entry_t **prev_out,
                              int *tbl_out, uint64_t *idx_out) {
    for (int t = 0; t <= 1; t++) {
        if (d->size[t] == 0) break;
        uint64_t idx = h & (d->size[t] - 1);
        dict_entry_t *prev = NULL;
        for (dict_entry_t *e = d->table[t][idx]; e; prev = e, e = e->next) {
            if (e->key == key || d->type->key_eq(e->key, key)) {
                if (prev_out) *prev_out = prev;
                if (tbl_out) *tbl_out = t;
                if (idx_out) *idx_out = idx;
                return e;
            }
        }
        if (!dict_is_rehashing(d)) break;
    }
    return NULL;
}

dict_entry_t *dict_find(dict_t *d, const void *key) {
    if (dict_size(d) == 0) return NULL;
    s_rehash_step(d);
    return s_locate(d, key, d->type->hash(key), NULL, NULL, NULL);
}

static dict_entry_t *s_insert(dict_t *d, void *key, uint64_t h) {
    int t = dict_is_rehashing(d) ? 1 : 0;
    uint64_t idx = h & (d->size[t] - 1);
    dict_entry_t *e = malloc(sizeof *e);
    if (!e) abort();
    e->key = key;
    e->v.val = NULL;
    e->next = d->table[t][idx];
    d->table[t][idx] = e;
    d->used[t]++;
    return e;
}

dict_entry_t *dict_add_or_find(dict_t *d, void *key, int *existed) {
    s_rehash_step(d);
    uint64_t h = d->type->hash(key);
    dict_entry_t *e = dict_size(d) ? s_locate(d, key, h, NULL, NULL, NULL) : NULL;
    if (existed) *existed = e != NULL;
    if (e) return e;
    s_grow_if_needed(d);
    return s_insert(d, key, h);
}

dict_entry_t *dict_add(dict_t *d, void *key, void *val) {
    int existed;
    dict_entry_t *e = dict_add_or_find(d, key, &existed);
    if (existed) return NULL;
    e->v.val = val;
    return e;
}

dict_entry_t *dict_unlink(dict_t *d, const void *key) {
    if (dict_size(d) == 0) return NULL;
    s_rehash_step(d);
    dict_entry_t *prev;
    int t;
    uint64_t idx;
    dict_entry_t *e = s_locate(d, key, d->type->hash(key), &prev, &t, &idx);
    if (!e) return NULL;
    if (prev)
        prev->next = e->next;
    else
        d->table[t][idx] = e->next;
    d->used[t]--;
    e->next = NULL;
    return e;
}

void dict_free_unlinked(dict_t *d, dict_entry_t *e) {
    if (e) s_free_entry(d, e);
}

int dict_delete(dict_t *d, const void *key) {
    dict_entry_t *e = dict_unlink(d, key);
    if (!e) return -1;
    s_free_entry(d, e);
    return 0;
}

/* ===================== sampling ===================== */

dict_entry_t *dict_random(dict_t *d) {
    if (dict_size(d) == 0) return NULL;
    s_rehash_step(d);
    dict_entry_t *head;
    if (dict_is_rehashing(d)) {
        /* Buckets of the old table below rehash_idx are empty: skip them. */
        uint64_t lo = (uint64_t)d->rehash_idx;
        uint64_t span = d->size[0] + d->size[1] - lo;
        do {
            uint64_t i = lo + s_random() % span;
            head = i >= d->size[0] ? d->table[1][i - d->size[0]] : d->table[0][i];
        } while (head == NULL);
    } else {
        uint64_t mask = d->size[0] - 1;
        do {
            head = d->table[0][s_random() & mask];
        } while (head == NULL);
    }
    uint64_t len = 0;
    for (dict_entry_t *e = head; e; e = e->next)
        len++;
    uint64_t pick = s_random() % len;
    while (pick--)
        head = head->next;
    return head;
}

dict_entry_t *dict_random_fair(dict_t *d) {
    /* Reservoir-sample about 20 entries from consecutive buckets starting at a random one:
     * the chance of an entry no longer depends on how crowded its bucket is (as Redis's
     * fair random key does with a sample of keys). */
    enum { WANT = 20 };
    if (dict_size(d) == 0) return NULL;
    uint64_t span = d->size[0] > d->size[1] ? d->size[0] : d->size[1];
    uint64_t j = s_random() % span, seen = 0;
    dict_entry_t *pick = NULL;
    for (uint64_t steps = 0; steps < span && steps < WANT * 10; steps++, j = (j + 1) % span) {
        for (int t = 0; t < 2; t++) {
            if (j >= d->size[t]) continue;
            if (t == 0 && dict_is_rehashing(d) && (long)j < d->rehash_idx) continue;
            for (dict_entry_t *de = d->table[t][j]; de; de = de->next)
                if (s_random() % ++seen == 0) pick = de;
        }
        if (seen >= WANT) break;
    }
    return pick ? pick : dict_random(d); /* a very sparse table: fall back */
}

/* ===================== scan ===================== */

static uint64_t s_rev(uint64_t v) {
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0f0f0f0f0f0f0f0fULL) | ((v & 0x0f0f0f0f0f0f0f0fULL) << 4);
    v = ((v >> 8) & 0x00ff00ff00ff00ffULL) | ((v & 0x00ff00ff00ff00ffULL) << 8);
    v = ((v >> 16) & 0x0000ffff0000ffffULL) | ((v & 0x0000ffff0000ffffULL) << 16);
    return (v >> 32) | (v << 32);
}

static void s_emit_bucket(dict_entry_t *e, dict_scan_fn *fn, void *priv) {
    while (e) {
        dict_entry_t *next = e->next;
        fn(priv, e);
        e = next;
    }
}

/* The cursor counts with its bits reversed, so the high bits a larger table adds are the
 * ones that vary fastest: a bucket of the small table and all its expansions in the large
 * one are visited together, and a resize between calls neither skips nor repeats more than
 * the buckets that split or merged. */
uint64_t dict_scan(dict_t *d, uint64_t v, dict_scan_fn *fn, void *priv) {
    if (dict_size(d) == 0) return 0;
    /* Callbacks must not see entries move under them. */
    d->pause_rehash++;
    if (!dict_is_rehashing(d)) {
        uint64_t m0 = d->size[0] - 1;
        s_emit_bucket(d->table[0][v & m0], fn, priv);
        v |= ~m0;
        v = s_rev(v);
        v++;
        v = s_rev(v);
    } else {
        int small = d->size[0] <= d->size[1] ? 0 : 1;
        int large = 1 - small;
        uint64_t m0 = d->size[small] - 1, m1 = d->size[large] - 1;
        s_emit_bucket(d->table[small][v & m0], fn, priv);
        do {
            s_emit_bucket(d->table[large][v & m1], fn, priv);
            v |= ~m1;
            v = s_rev(v);
            v++;
            v = s_rev(v);
        } while (v & (m0 ^ m1));
    }
    d->pause_rehash--;
    return v;
}

/* ===================== safe iteration ===================== */

void dict_iter_init(dict_iter_t *it, dict_t *d) {
    it->d = d;
    it->table = 0;
    it->index = -1;
    it->entry = NULL;
    it->next = NULL;
    d->pause_rehash++;
}

dict_entry_t *dict_iter_next(dict_iter_t *it) {
    dict_t *d = it->d;
    for (;;) {
        if (it->entry == NULL) {
            it->index++;
            if ((uint64_t)it->index >= d->size[it->table]) {
                if (it->table == 0 && dict_is_rehashing(d)) {
                    it->table = 1;
                    it->index = 0;
                } else {
                    it->index = (long)d->size[it->table]; /* stay exhausted */
                    return NULL;
                }
            }
            it->entry = d->table[it->table][it->index];
        } else {
            it->entry = it->next;
        }
        if (it->entry) {
            it->next = it->entry->next;
            return it->entry;
        }
    }
}

void dict_iter_done(dict_iter_t *it) {
    if (it->d) {
        assert(it->d->pause_rehash > 0);
        it->d->pause_rehash--;
        it->d = NULL;
    }
}
