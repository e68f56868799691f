/* Blocking commands: arrive with issue 4; until then no client is ever blocked. */
#include "engine/blocking.h"

int blocking_defer(client_t *c, int argc, const proto_arg_t *argv) {
    return (void)c, (void)argc, (void)argv, 0;
}
void blocking_signal_key(engine_t *e, db_t *db, const char *key, size_t len) {
    (void)e, (void)db, (void)key, (void)len;
}
void blocking_serve_ready(engine_t *e) { (void)e; }
long blocking_cron(engine_t *e) { return (void)e, -1; }
void blocking_client_free(client_t *c) { (void)c; }

command_t blocking_commands[] = {{0}};
