/* What every process other than the engine does the same way: start as a role (log prefix,
 * signals), and keep a ZeroMQ DEALER link to the engine whose (re)connections are watched
 * by a socket monitor, so the process can say hello again after an engine restart. */
#ifndef VOLE_LINK_H
#define VOLE_LINK_H

/* log_init with the role's name and the loglevel setting; handler gets SIGTERM and SIGINT;
 * SIGPIPE is ignored. */
void role_init(const char *role, const char *loglevel, void (*on_term)(int));

typedef struct {
    void *zctx, *dealer, *monitor;
    int zfd, mfd; /* their notification descriptors, for epoll/poll */
} engine_link_t;

/* Creates the context, the DEALER (routing id "<rid_prefix>-<pid>-<time>", no high-water
 * marks, fast reconnects) and its monitor, and connects to endpoint. 0, or -1 (logged). */
int engine_link_open(engine_link_t *l, const char *endpoint, const char *rid_prefix);
/* The next monitor event: ZMQ_EVENT_CONNECTED or ZMQ_EVENT_DISCONNECTED; 0 when none. */
int engine_link_event(engine_link_t *l);
/* Does the socket have a message waiting? (its descriptor only signals edges) */
int engine_link_readable(void *sock);
void engine_link_close(engine_link_t *l);
#endif
