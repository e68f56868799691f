/* Listening sockets, peer addresses, the engine link and heartbeats for the frontends. */
#include "shared/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "shared/buf.h"
#include "shared/log.h"
#include "shared/proto.h"
#include "shared/util.h"

void net_fmt_addr(const struct sockaddr_storage *ss, char *dst, size_t cap) {
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const void *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        port = ntohs(a->sin6_port);
    }
    snprintf(dst, cap, "%s:%d", host, port);
}

int net_listen(const char *addr, char *laddr, size_t laddr_cap) {
    char host[128], port[16];
    const char *colon = strrchr(addr, ':');
    if (!colon) {
        log_warn("bad address '%s' (want host:port)", addr);
        return -1;
    }
    size_t hl = (size_t)(colon - addr);
    if (hl >= sizeof host) hl = sizeof host - 1;
    memcpy(host, addr, hl);
    host[hl] = '\0';
    if (host[0] == '[' && hl > 1 && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    snprintf(port, sizeof port, "%s", colon + 1);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE}, *res;
    int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (rc) {
        log_warn("cannot resolve %s: %s", addr, gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 511) < 0) {
        log_warn("cannot listen on %s: %s", addr, strerror(errno));
        freeaddrinfo(res);
        if (fd >= 0) close(fd);
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    net_fmt_addr(&ss, laddr, laddr_cap);
    freeaddrinfo(res);
    return fd;
}

int net_engine_link_open(net_engine_link_t *l, const char *endpoint, const char *rid_prefix) {
    memset(l, 0, sizeof *l);
    l->ctx = zmq_ctx_new();
    l->dealer = zmq_socket(l->ctx, ZMQ_DEALER);
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
    l->monitor = zmq_socket(l->ctx, ZMQ_PAIR);
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

void net_engine_link_close(net_engine_link_t *l) {
    if (!l->ctx) return;
    zmq_socket_monitor(l->dealer, NULL, 0);
    zmq_close(l->monitor);
    zmq_close(l->dealer);
    zmq_ctx_term(l->ctx);
    l->ctx = NULL;
}

int net_engine_link_event(net_engine_link_t *l) {
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
    if (event == ZMQ_EVENT_CONNECTED) return 1;
    if (event == ZMQ_EVENT_DISCONNECTED) return -1;
    return 2;
}

void net_engine_link_hello(net_engine_link_t *l, const char *role, const char *instance) {
    buf_t b;
    buf_init(&b);
    proto_put_hello(&b, role, instance);
    zmq_send(l->dealer, b.data, b.len, 0);
    buf_free(&b);
}

int net_zmq_readable(void *sock) {
    int events = 0;
    size_t sz = sizeof events;
    zmq_getsockopt(sock, ZMQ_EVENTS, &events, &sz);
    return events & ZMQ_POLLIN;
}

void net_heartbeat(int fd, int64_t *next_us) {
    int64_t now = mono_us();
    if (fd < 0 || now < *next_us) return;
    ssize_t w = write(fd, ".", 1);
    (void)w;
    *next_us = now + 200000;
}

/* ---------- the command batch ---------- */

buf_t *net_batch_rec(net_batch_t *b) {
    if (b->buf.len == 0) proto_begin(&b->buf, MSG_CMD_BATCH);
    b->count++;
    return &b->buf;
}

int net_batch_send(net_batch_t *b, void *dealer) {
    if (b->count == 0) return 0;
    b->seq++;
    proto_finish(&b->buf, b->count);
    proto_set_seq(&b->buf, b->seq);
    if (zmq_send(dealer, b->buf.data, b->buf.len, 0) < 0) {
        log_warn("sending batch to engine: %s", zmq_strerror(errno));
        b->seq--;
        return -1;
    }
    b->inflight++;
    buf_clear(&b->buf);
    b->count = 0;
    return 0;
}

void net_batch_lost(net_batch_t *b) {
    buf_clear(&b->buf);
    b->count = 0;
    b->reset_seq = b->seq;
    b->inflight = 0;
}

int net_batch_answered(net_batch_t *b, uint32_t seq) {
    if (seq <= b->reset_seq) return 0;
    if (b->inflight > 0) b->inflight--;
    return 1;
}

int net_accept(int lfd, int full, const char *refusal, size_t refusal_len, char *addr,
               size_t addrcap) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EINTR) log_warn("accept: %s", strerror(errno));
        return -1;
    }
    if (full) {
        ssize_t w = write(fd, refusal, refusal_len);
        (void)w;
        close(fd);
        return -2;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    net_fmt_addr(&ss, addr, addrcap);
    return fd;
}
