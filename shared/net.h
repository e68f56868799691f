/* Socket and engine-link plumbing shared by the frontends (RESP and HTTP): listening on a
 * host:port, printing peer addresses, the DEALER link to the engine with its connection
 * monitor, and the heartbeat the supervisor watches. */
#ifndef VOLE_NET_H
#define VOLE_NET_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "shared/buf.h"

/* "ip:port" of a socket address (IPv4 or IPv6; "?:0" for anything else). */
void net_fmt_addr(const struct sockaddr_storage *ss, char *dst, size_t cap);
/* Listens on "host:port" ("[v6]:port"; an empty host means every interface), non-blocking.
 * Returns the fd and the bound address in laddr, or -1 after logging why. */
int net_listen(const char *addr, char *laddr, size_t laddr_cap);

/* Accepts one pending connection on lfd (non-blocking, TCP_NODELAY) and prints its peer in
 * addr. Returns the fd; -1 when none is pending; -2 when full is set: the refusal bytes were
 * written to it and it was closed. */
int net_accept(int lfd, int full, const char *refusal, size_t refusal_len, char *addr,
               size_t addrcap);

/* The link to the engine: a DEALER socket (no high-water marks, no linger, fast reconnect)
 * connected to endpoint, and a PAIR socket receiving its CONNECTED/DISCONNECTED events. */
typedef struct {
    void *ctx, *dealer, *monitor;
    int zfd, mfd; /* ZMQ_FD of each, for epoll */
} net_engine_link_t;

/* rid_prefix names the frontend in the routing id ("resp", "http"). Returns 0 or -1. */
int net_engine_link_open(net_engine_link_t *l, const char *endpoint, const char *rid_prefix);
void net_engine_link_close(net_engine_link_t *l);
/* Reads one pending monitor event: returns 1 (connected), -1 (disconnected), 2 (another
 * event), 0 when none is pending. */
int net_engine_link_event(net_engine_link_t *l);
/* Sends FE_HELLO for role on the link. */
void net_engine_link_hello(net_engine_link_t *l, const char *role, const char *instance);
/* Whether a ZeroMQ socket has a message to read (edge-triggered ZMQ_FD needs this check). */
int net_zmq_readable(void *sock);

/* The command batch a frontend builds for the engine (DESIGN.md §3): records of every
 * connection gathered into one CMD_BATCH, numbered so answers to batches sent to an engine
 * that died are recognised, and counted while unanswered. */
typedef struct {
    buf_t buf;          /* the CMD_BATCH being built */
    uint32_t count;     /* records in it */
    uint32_t seq;       /* number of the last batch sent */
    uint32_t reset_seq; /* answers to batches up to this one are stale (engine restarted) */
    int inflight;       /* batches sent and not answered yet */
} net_batch_t;

/* Starts the message if needed and counts one record; returns the buffer to encode it in. */
buf_t *net_batch_rec(net_batch_t *b);
/* Sends the batch (if it has records) on the engine link's DEALER; 0, or -1 (logged). */
int net_batch_send(net_batch_t *b, void *dealer);
/* The engine went away: the batch being built is dropped, answers to those sent are stale. */
void net_batch_lost(net_batch_t *b);
/* An answer numbered seq arrived: 1 when it answers a batch of the current engine (and it
 * is no longer in flight), 0 when stale. */
int net_batch_answered(net_batch_t *b, uint32_t seq);

/* Writes a heartbeat byte to fd at most every 200 ms (nothing when fd < 0). */
void net_heartbeat(int fd, int64_t *next_us);
#endif
