/* Transactions (MULTI/EXEC/WATCH): arrive with issue 4; until then no client is ever in
 * MULTI, so dispatch's hooks have nothing to do. */
#include "engine/multi.h"

int multi_intercept(client_t *c, const command_t *cmd) { return (void)c, (void)cmd, 0; }
void multi_flag_error(client_t *c) { (void)c; }
void multi_touch_key(engine_t *e, db_t *db, const char *key, size_t len) {
    (void)e, (void)db, (void)key, (void)len;
}
void multi_touch_db(engine_t *e, int dbid) { (void)e, (void)dbid; }
void multi_client_free(client_t *c) { (void)c; }

command_t multi_commands[] = {{0}};
