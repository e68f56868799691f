/* Pub/Sub and keyspace notifications (engine/pubsub.c). */
#ifndef VOLE_PUBSUB_H
#define VOLE_PUBSUB_H
#include "engine/engine.h"

/* RESP2 clients in subscribed mode may only run (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT
 * and RESET: returns 1 when cmd may run, else replies Redis's error and returns 0. */
int pubsub_context_allowed(client_t *c, const command_t *cmd);
/* Drops c's subscriptions (disconnect, RESET). */
void pubsub_client_free(client_t *c);
#endif
