/* Role start-up and the engine link; see shared/link.h. */
#include "shared/link.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "shared/log.h"
#include "shared/util.h"

void role_init(const char *role, const char *loglevel, void (*on_term)(int)) {
    int lvl = log_level_parse(loglevel);
    log_init(role, lvl < 0 ? LOG_NOTICE : lvl);
    struct sigaction sa = {0};
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int engine_link_open(engine_link_t *l, const char *endpoint, const char *rid_prefix) {
    memset(l, 0, sizeof *l);
    l->zctx = zmq_ctx_new();
    l->dealer = zmq_socket(l->zctx, ZMQ_DEALER);
    char rid[64];
    snprintf(rid, sizeof rid, "%s-%d-%lld", rid_prefix, (int)getpid(), (long long)now_us());
    zmq_setsockopt(l->dealer, ZMQ_ROUTING_ID, rid, strlen(rid));
    int zero = 0, ivl = 20, ivlmax = 200;
    zmq_setsockopt(l->dealer, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(l->dealer, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(l->dealer, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(l->dealer, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(l->dealer, ZMQ_RECONNECT_IVL_MAX, &ivlmax, sizeof ivlmax);
    const char *mon = "inproc://engine-link-monitor";
    if (zmq_socket_monitor(l->dealer, mon, ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED) < 0)
        return -1;
    l->monitor = zmq_socket(l->zctx, ZMQ_PAIR);
    if (zmq_connect(l->monitor, mon) < 0) return -1;
    if (zmq_connect(l->dealer, endpoint) < 0) {
        log_warn("cannot connect to engine at %s: %s", endpoint, zmq_strerror(errno));
        return -1;
    }
    size_t sz = sizeof l->zfd;
    zmq_getsockopt(l->dealer, ZMQ_FD, &l->zfd, &sz);
    sz = sizeof l->mfd;
    zmq_getsockopt(l->monitor, ZMQ_FD, &l->mfd, &sz);
    return 0;
}

int engine_link_event(engine_link_t *l) {
    for (;;) {
        zmq_msg_t ev, addr;
        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, l->monitor, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&ev);
            return 0;
        }
        uint16_t event = 0;
        if (zmq_msg_size(&ev) >= 2) memcpy(&event, zmq_msg_data(&ev), 2);
        zmq_msg_close(&ev);
        zmq_msg_init(&addr);
        zmq_msg_recv(&addr, l->monitor, 0);
        zmq_msg_close(&addr);
        if (event == ZMQ_EVENT_CONNECTED || event == ZMQ_EVENT_DISCONNECTED) return event;
    }
}

int engine_link_readable(void *sock) {
    int events = 0;
    size_t sz = sizeof events;
    zmq_getsockopt(sock, ZMQ_EVENTS, &events, &sz);
    return events & ZMQ_POLLIN;
}

void engine_link_close(engine_link_t *l) {
    zmq_socket_monitor(l->dealer, NULL, 0);
    zmq_close(l->monitor);
    zmq_close(l->dealer);
    zmq_ctx_term(l->zctx);
}
