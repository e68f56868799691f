/* Pub/Sub and keyspace notifications (engine/pubsub.c). */
#ifndef VOLE_PUBSUB_H
#define VOLE_PUBSUB_H
#include "engine/engine.h"

/* RESP2 clients in subscribed mode may only run (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT
 * and RESET: returns 1 when cmd may run, else replies Redis's error and returns 0. */
int pubsub_context_allowed(client_t *c, const command_t *cmd);
/* Drops c's subscriptions (disconnect, RESET) without replying. */
void pubsub_client_free(client_t *c);

/* Delivers msg to the subscribers of channel (and, unless shard, of the patterns matching
 * it); returns the number of receivers, as PUBLISH replies. */
long long pubsub_publish(engine_t *e, const char *channel, size_t chlen, const char *msg,
                         size_t msglen, int shard);

/* INFO stats: distinct channels, distinct patterns and distinct shard channels with at least
 * one subscriber. */
void pubsub_counts(const engine_t *e, long long *channels, long long *patterns,
                   long long *shard_channels);
/* CLIENT LIST sub=, psub=, ssub= of one client. */
void pubsub_client_counts(const client_t *c, long long *sub, long long *psub, long long *ssub);
#endif
