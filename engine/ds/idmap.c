/* Skip list keyed by 128-bit IDs (see idmap.h). Levels are drawn with p = 1/4 up to 32, so a
 * map of any practical size stays O(log n) per operation. */
#include "engine/ds/idmap.h"

#include <stdlib.h>

#include "shared/util.h"

#define IDM_MAXLEVEL 32

static int s_random_level(void) {
    uint64_t r = rand_u64();
    int lvl = 1;
    while (lvl < IDM_MAXLEVEL && (r & 3) == 0) {
        lvl++;
        r >>= 2;
    }
    return lvl;
}

static idm_node_t *s_node(int level, idm_id_t id, void *val) {
    idm_node_t *n = malloc(sizeof(*n) + (size_t)level * sizeof(idm_node_t *));
    if (!n) abort();
    n->id = id;
    n->val = val;
    n->prev = NULL;
    n->nlevel = level;
    for (int i = 0; i < level; i++) n->next[i] = NULL;
    return n;
}

idmap_t *idm_new(void) {
    idmap_t *m = malloc(sizeof(*m));
    if (!m) abort();
    m->head = s_node(IDM_MAXLEVEL, (idm_id_t){0, 0}, NULL);
    m->tail = NULL;
    m->len = 0;
    m->level = 1;
    return m;
}

void idm_free(idmap_t *m, void (*free_val)(void *)) {
    if (!m) return;
    idm_node_t *n = m->head->next[0];
    while (n) {
        idm_node_t *nx = n->next[0];
        if (free_val) free_val(n->val);
        free(n);
        n = nx;
    }
    free(m->head);
    free(m);
}

/* Fills update[] with the last node before id on every level. */
static void s_path(const idmap_t *m, idm_id_t id, idm_node_t **update) {
    idm_node_t *x = m->head;
    for (int i = m->level - 1; i >= 0; i--) {
        while (x->next[i] && idm_cmp(x->next[i]->id, id) < 0) x = x->next[i];
        update[i] = x;
    }
}

idm_node_t *idm_insert(idmap_t *m, idm_id_t id, void *val) {
    idm_node_t *update[IDM_MAXLEVEL];
    s_path(m, id, update);
    idm_node_t *at = update[0]->next[0];
    if (at && idm_cmp(at->id, id) == 0) return NULL;
    int lvl = s_random_level();
    if (lvl > m->level) {
        for (int i = m->level; i < lvl; i++) update[i] = m->head;
        m->level = lvl;
    }
    idm_node_t *n = s_node(lvl, id, val);
    for (int i = 0; i < lvl; i++) {
        n->next[i] = update[i]->next[i];
        update[i]->next[i] = n;
    }
    n->prev = update[0] == m->head ? NULL : update[0];
    if (n->next[0])
        n->next[0]->prev = n;
    else
        m->tail = n;
    m->len++;
    return n;
}

idm_node_t *idm_find(const idmap_t *m, idm_id_t id) {
    idm_node_t *n = idm_seek_ge(m, id);
    return n && idm_cmp(n->id, id) == 0 ? n : NULL;
}

int idm_delete(idmap_t *m, idm_id_t id, void **val) {
    idm_node_t *update[IDM_MAXLEVEL];
    s_path(m, id, update);
    idm_node_t *n = update[0]->next[0];
    if (!n || idm_cmp(n->id, id) != 0) return 0;
    for (int i = 0; i < m->level; i++) {
        if (update[i]->next[i] != n) break;
        update[i]->next[i] = n->next[i];
    }
    if (n->next[0])
        n->next[0]->prev = n->prev;
    else
        m->tail = n->prev;
    while (m->level > 1 && !m->head->next[m->level - 1]) m->level--;
    m->len--;
    if (val) *val = n->val;
    free(n);
    return 1;
}

idm_node_t *idm_first(const idmap_t *m) { return m->head->next[0]; }

idm_node_t *idm_seek_ge(const idmap_t *m, idm_id_t id) {
    idm_node_t *x = m->head;
    for (int i = m->level - 1; i >= 0; i--)
        while (x->next[i] && idm_cmp(x->next[i]->id, id) < 0) x = x->next[i];
    return x->next[0];
}

idm_node_t *idm_seek_le(const idmap_t *m, idm_id_t id) {
    idm_node_t *x = m->head;
    for (int i = m->level - 1; i >= 0; i--)
        while (x->next[i] && idm_cmp(x->next[i]->id, id) <= 0) x = x->next[i];
    return x == m->head ? NULL : x;
}

idm_node_t *idm_prev(const idmap_t *m, const idm_node_t *n) {
    (void)m;
    return n->prev;
}
