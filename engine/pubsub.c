/* Pub/Sub and keyspace notifications: arrive with issue 4; until then nobody can subscribe,
 * so a notification has no receiver and every command may run. */
#include "engine/pubsub.h"

int pubsub_context_allowed(client_t *c, const command_t *cmd) { return (void)c, (void)cmd, 1; }
void pubsub_client_free(client_t *c) { (void)c; }

void notify_keyspace_event(engine_t *e, int type, const char *event, const char *key,
                           size_t keylen, int dbid) {
    (void)e, (void)type, (void)event, (void)key, (void)keylen, (void)dbid;
}

command_t pubsub_commands[] = {{0}};
