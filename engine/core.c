/* The hooks of Vole's own keyspace features (engine/core.h): the engine calls each from one
 * place and they fan out here to the modules that care, so db.c, t_hash.c and friends know
 * nothing about tags, schemas, indexes, delayed keys or the audit log. */
#include <stdlib.h>
#include <unistd.h>

#include "engine/core.h"
#include "shared/net.h"
#include "shared/util.h"

core_state_t *core_of(engine_t *e) {
    if (!e->core) {
        e->core = calloc(1, sizeof(core_state_t));
        if (!e->core) abort();
    }
    return e->core;
}

void *core_module(engine_t *e, size_t off, size_t size, int create, int *created) {
    *created = 0;
    if (!e->core && !create) return NULL;
    void **slot = (void **)((char *)core_of(e) + off);
    if (!*slot && create) {
        *slot = calloc(1, size);
        if (!*slot) abort();
        *created = 1;
    }
    return *slot;
}

void core_heartbeat(engine_t *e) {
    static int64_t next;
    net_heartbeat(e->hb_fd, &next); /* non-blocking, like the loop's beat */
}

void core_key_added(engine_t *e, db_t *db, const char *key, size_t len, vobj_t *val) {
    if (val->type == OBJ_HASH) hsearch_key_added(e, db, key, len, val);
}

void core_key_removed(engine_t *e, db_t *db, const char *key, size_t len) {
    if (!e->core) return;
    tags_removed(e, db, key, len);
    hsearch_key_removed(e, db, key, len);
}

void core_key_renamed(engine_t *e, db_t *sdb, const char *src, size_t slen, db_t *ddb,
                      const char *dst, size_t dlen) {
    if (!e->core) return;
    tags_renamed(e, sdb, src, slen, ddb, dst, dlen);
}

void core_db_swapped(engine_t *e, int id1, int id2) {
    if (!e->core) return;
    tags_swapped(e, id1, id2);
    delayed_swapped(e, id1, id2);
    hsearch_invalidate(e);
}

void core_db_flushed(engine_t *e, int dbid) {
    if (!e->core) return;
    tags_flushed(e, dbid);
    hsearch_flushed(e, dbid);
    delayed_flushed(e, dbid);
}

int core_hash_write(client_t *c, const proto_arg_t *key, const vobj_t *existing,
                    const proto_arg_t *fv, int n) {
    engine_t *e = c->eng;
    if (!e->core) return 0;
    if (schema_check(c, key, existing, fv, n) < 0) return -1;
    hsearch_hash_write(e, c->db, key->ptr, key->len, existing, fv, n);
    return 0;
}

void core_hash_del(client_t *c, const proto_arg_t *key, const vobj_t *existing,
                   const proto_arg_t *fields, int n) {
    engine_t *e = c->eng;
    if (!e->core) return;
    hsearch_hash_del(e, c->db, key->ptr, key->len, existing, fields, n);
}

void core_cron(engine_t *e) {
    for (int i = e->cfg.databases; i < e->ndbs; i++) {
        db_t *db = &e->dbs[i];
        if (!db->keys) continue;
        dict_maybe_shrink(db->keys);
        dict_maybe_shrink(db->expires);
        if (dict_is_rehashing(db->keys)) dict_rehash_ms(db->keys, 1);
        if (dict_is_rehashing(db->expires)) dict_rehash_ms(db->expires, 1);
    }
    if (!e->core) return;
    delayed_cron(e);
    hsearch_cron(e);
}

void core_after_command(client_t *c, const command_t *cmd, long long dirty_before) {
    if (c->eng->core) audit_after_command(c, cmd, dirty_before);
}

void core_free(engine_t *e) {
    if (!e->core) return;
    delayed_free(e);
    tags_free(e);
    hsearch_free(e);
    schema_free(e);
    audit_free(e);
    free(e->core);
    e->core = NULL;
}
