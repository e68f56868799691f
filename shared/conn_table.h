/* The frontends' connection table: a slot per connection, and the 32-bit id the engine knows
 * the connection by (generation << CONN_SLOT_BITS | slot), so a reply for a connection that
 * closed and whose slot was reused is recognised as stale. */
#ifndef VOLE_CONN_TABLE_H
#define VOLE_CONN_TABLE_H
#include <stdint.h>

#define CONN_SLOT_BITS 18
#define CONN_SLOT_MASK ((1u << CONN_SLOT_BITS) - 1)

typedef struct {
    void **conns;   /* by slot; NULL when free */
    uint32_t *ids;  /* id of the connection in each slot */
    uint32_t *gens; /* generation of each slot */
    uint32_t *free_slots;
    uint32_t nslots, nfree;
} conn_table_t;

/* Room for max connections (capped by the id space). */
void conn_table_init(conn_table_t *t, long long max);
void conn_table_free(conn_table_t *t);
/* Stores conn and returns its new id, or 0 when the table is full (ids are never 0). */
uint32_t conn_table_add(conn_table_t *t, void *conn);
/* The connection with this id, or NULL when it is gone. */
void *conn_table_get(const conn_table_t *t, uint32_t id);
void conn_table_del(conn_table_t *t, uint32_t id);
#endif
