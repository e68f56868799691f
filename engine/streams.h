/* Serving sequence-numbered streams to consumer processes (DESIGN.md §3): the effect stream
 * to the persister and replicator, the webhook outbox to the scheduler. A provider exposes
 * its backlog by sequence number; this module keeps each consumer's position, sends DATA
 * within a credit window, handles ACK and tells a consumer when it fell out of the backlog
 * (GAP). Messages: MSG_STREAM_* in shared/proto.h. */
#ifndef VOLE_STREAMS_H
#define VOLE_STREAMS_H
#include <stdint.h>

#include "engine/engine.h"

typedef struct stream_provider {
    uint8_t id; /* STREAM_* */
    const char *name;
    uint64_t (*oldest)(engine_t *e); /* oldest seq still kept (last + 1 when none) */
    uint64_t (*last)(engine_t *e);   /* newest seq (0 when none yet) */
    /* the record numbered seq; -1 when it is not kept */
    int (*get)(engine_t *e, uint64_t seq, const char **p, size_t *len);
    /* a consumer acknowledged everything <= seq (flags: STREAM_ACK_F_*); may be NULL */
    void (*acked)(engine_t *e, frontend_t *fe, uint64_t seq, uint64_t flags);
} stream_provider_t;

/* Call from a constructor. */
void streams_register(const stream_provider_t *p);

/* ---- engine core ---- */
void streams_on_sub(engine_t *e, frontend_t *fe, const char *data, size_t len);
void streams_on_ack(engine_t *e, frontend_t *fe, const char *data, size_t len);
/* Sends each consumer what it has credit for; cheap when nothing is new. */
void streams_pump(engine_t *e);
/* 1 when every consumer of stream id has acknowledged everything produced so far. */
int streams_caught_up(engine_t *e, uint8_t id);
/* Forgets fe's subscriptions (it disconnected or restarted). */
void streams_drop(engine_t *e, frontend_t *fe);
/* 1 when some consumer is subscribed to stream id. */
int streams_subscribed(engine_t *e, uint8_t id);
/* Ends fe's subscription to stream id (0: all of them). */
void streams_unsub(engine_t *e, frontend_t *fe, uint8_t id);
/* Sends one message to fe (a whole encoded message); -1 when fe is gone. */
int engine_send_to(engine_t *e, frontend_t *fe, const void *data, size_t len);
#endif
