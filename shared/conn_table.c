/* Slot and generation bookkeeping for frontend connections. */
#include "shared/conn_table.h"

#include <stdlib.h>

void conn_table_init(conn_table_t *t, long long max) {
    t->nslots = (uint32_t)(max + 1 < (long long)CONN_SLOT_MASK ? max + 1 : CONN_SLOT_MASK);
    t->conns = calloc(t->nslots, sizeof *t->conns);
    t->ids = calloc(t->nslots, sizeof *t->ids);
    t->gens = calloc(t->nslots, sizeof *t->gens);
    t->free_slots = malloc(t->nslots * sizeof *t->free_slots);
    if (!t->conns || !t->ids || !t->gens || !t->free_slots) abort();
    for (uint32_t i = 0; i < t->nslots; i++) t->free_slots[i] = t->nslots - 1 - i;
    t->nfree = t->nslots;
}

void conn_table_free(conn_table_t *t) {
    free(t->conns);
    free(t->ids);
    free(t->gens);
    free(t->free_slots);
    t->conns = NULL;
    t->ids = t->gens = t->free_slots = NULL;
    t->nslots = t->nfree = 0;
}

uint32_t conn_table_add(conn_table_t *t, void *conn) {
    if (t->nfree == 0) return 0;
    uint32_t slot = t->free_slots[--t->nfree];
    /* generations start at 1, so no id is 0 */
    uint32_t gen = (t->gens[slot] + 1) & ((1u << (32 - CONN_SLOT_BITS)) - 1);
    if (gen == 0) gen = 1;
    t->gens[slot] = gen;
    t->conns[slot] = conn;
    t->ids[slot] = (gen << CONN_SLOT_BITS) | slot;
    return t->ids[slot];
}

void *conn_table_get(const conn_table_t *t, uint32_t id) {
    uint32_t slot = id & CONN_SLOT_MASK;
    if (slot >= t->nslots || !t->conns[slot] || t->ids[slot] != id) return NULL;
    return t->conns[slot];
}

void conn_table_del(conn_table_t *t, uint32_t id) {
    uint32_t slot = id & CONN_SLOT_MASK;
    if (slot >= t->nslots || !t->conns[slot] || t->ids[slot] != id) return;
    t->conns[slot] = NULL;
    t->free_slots[t->nfree++] = slot;
}
