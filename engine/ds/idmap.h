/* Ordered map from 128-bit IDs (ms, seq) to pointers: a skip list with backward links, so
 * lookups and seeks are O(log n) and walks in either direction O(1) per step. Streams keep
 * their entries and pending lists in it. Knows nothing about the engine. */
#ifndef VOLE_IDMAP_H
#define VOLE_IDMAP_H
#include <stddef.h>
#include <stdint.h>

typedef struct idm_id {
    uint64_t ms, seq;
} idm_id_t;

typedef struct idm_node {
    idm_id_t id;
    void *val;
    struct idm_node *prev;
    int nlevel;
    struct idm_node *next[]; /* next[0] is the following node */
} idm_node_t;

typedef struct idmap {
    idm_node_t *head; /* sentinel with the maximum level */
    idm_node_t *tail;
    size_t len;
    int level;
} idmap_t;

static inline int idm_cmp(idm_id_t a, idm_id_t b) {
    if (a.ms != b.ms) return a.ms < b.ms ? -1 : 1;
    if (a.seq != b.seq) return a.seq < b.seq ? -1 : 1;
    return 0;
}

idmap_t *idm_new(void);
/* Frees the map; free_val (may be NULL) is called on every value. */
void idm_free(idmap_t *m, void (*free_val)(void *));
static inline size_t idm_len(const idmap_t *m) { return m->len; }
/* Inserts id -> val; returns the new node, or NULL when id is already present. */
idm_node_t *idm_insert(idmap_t *m, idm_id_t id, void *val);
idm_node_t *idm_find(const idmap_t *m, idm_id_t id);
/* Removes id; returns 1 and its value in *val (if val) when it was present. */
int idm_delete(idmap_t *m, idm_id_t id, void **val);
idm_node_t *idm_first(const idmap_t *m);
static inline idm_node_t *idm_last(const idmap_t *m) { return m->tail; }
/* The first node with an ID >= id, or NULL. */
idm_node_t *idm_seek_ge(const idmap_t *m, idm_id_t id);
/* The last node with an ID <= id, or NULL. */
idm_node_t *idm_seek_le(const idmap_t *m, idm_id_t id);
static inline idm_node_t *idm_next(const idm_node_t *n) { return n->next[0]; }
/* NULL before the first node. */
idm_node_t *idm_prev(const idmap_t *m, const idm_node_t *n);
#endif
