/* The HTTP frontend's event loop: accepts connections (epoll), parses HTTP/1.1 requests
 * (keep-alive, pipelining, chunked bodies), turns each into engine commands for the
 * connection's engine client (opened with CONN_F_HTTP, which makes it RESP3), batches them to
 * the engine like the RESP frontend, and writes the rendered responses back in request order.
 * Server-Sent Events streams are connections whose engine client is subscribed. */
#include "frontend-http/frontend_http.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

#include "frontend-http/http_api.h"
#include "frontend-http/http_parse.h"
#include "frontend-http/resp3.h"
#include "shared/buf.h"
#include "shared/config.h"
#include "shared/conn_table.h"
#include "shared/log.h"
#include "shared/net.h"
#include "shared/proto.h"
#include "shared/util.h"

#define READ_CHUNK (64 * 1024)
#define BATCH_SOFT_MAX (8 * 1024 * 1024)
#define MAX_JOBS_PER_CONN 256              /* pipelined requests waiting; stop reading past it */
#define MAX_OUT_PER_CONN (8 * 1024 * 1024) /* unwritten responses; stop reading past it */
#define TIMER_MS 100

typedef struct hconn {
    uint32_t id;
    int fd;
    buf_t in, out;
    size_t out_pos;
    hparse_t hp;
    hjob_t *head, *tail;
    int njobs;
    buf_t ein;      /* engine reply bytes not yet a complete value */
    buf_t identity; /* see hapi_identity() */
    int opened;     /* its engine client exists */
    int close_after;
    int no_more_input; /* a parse error or an event stream: further input is ignored */
    int events;        /* epoll events registered */
    int sse;
    int64_t req_start_ms, last_active_ms, last_sse_ms;
    char addr[64];
} hconn_t;

typedef struct {
    const vole_config_t *cfg;
    hapi_t api;
    int ep, lfd;
    net_engine_link_t link;
    conn_table_t conns;
    char laddr[64];
    net_batch_t eb; /* the command batch for the engine (shared/net.h) */
    int max_inflight;
    int engine_up;
} hfront_t;

static volatile sig_atomic_t s_stop;
static void s_on_term(int sig) { (void)sig, s_stop = 1; }

/* ---------- connections ---------- */

static hconn_t *s_conn_get(hfront_t *f, uint32_t id) {
    return conn_table_get(&f->conns, id);
}

static void s_conn_close(hfront_t *f, hconn_t *c, int tell_engine) {
    if (tell_engine && c->opened) {
        proto_put_close(net_batch_rec(&f->eb), c->id);
    }
    epoll_ctl(f->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    conn_table_del(&f->conns, c->id);
    while (c->head) {
        hjob_t *j = c->head;
        c->head = j->next;
        hjob_free(j);
    }
    if (c->sse) f->api.sse_streams--;
    hparse_free(&c->hp);
    buf_free(&c->in);
    buf_free(&c->out);
    buf_free(&c->ein);
    buf_free(&c->identity);
    free(c);
    f->api.conns--;
}

/* Registers the events the connection needs: input unless throttled or done, output while
 * responses are pending. */
static int s_wants_input(const hconn_t *c) {
    if (c->no_more_input) return 1; /* read and dropped, to notice the peer leaving */
    return !c->close_after && !c->hp.paused && c->njobs < MAX_JOBS_PER_CONN &&
           c->out.len - c->out_pos < MAX_OUT_PER_CONN;
}

static void s_update_events(hfront_t *f, hconn_t *c) {
    int want = EPOLLRDHUP;
    if (s_wants_input(c)) want |= EPOLLIN;
    if (c->out.len > c->out_pos) want |= EPOLLOUT;
    if (want == c->events) return;
    struct epoll_event ev = {.events = (uint32_t)want, .data.ptr = c};
    epoll_ctl(f->ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->events = want;
}

/* Writes pending output; returns -1 when the connection was closed. */
static int s_write(hfront_t *f, hconn_t *c) {
    while (c->out_pos < c->out.len) {
        ssize_t n = write(c->fd, c->out.data + c->out_pos, c->out.len - c->out_pos);
        if (n < 0) {
            if (errno == EAGAIN) break;
            if (errno == EINTR) continue;
            s_conn_close(f, c, 1);
            return -1;
        }
        c->out_pos += (size_t)n;
    }
    if (c->out_pos == c->out.len) {
        c->out.len = c->out_pos = 0;
        buf_shrink(&c->out, 64 * 1024);
        if (c->close_after) {
            s_conn_close(f, c, 1);
            return -1;
        }
    }
    s_update_events(f, c);
    return 0;
}

static void s_feed(hfront_t *f, hconn_t *c);

/* Moves finished responses, in request order, to the output. */
static void s_flush_jobs(hfront_t *f, hconn_t *c) {
    int64_t now = mono_us();
    while (c->head && c->head->done) {
        hjob_t *j = c->head;
        buf_append(&c->out, j->resp.data, j->resp.len);
        if (j->status >= 200) hapi_account(&f->api, j, now);
        c->head = j->next;
        if (!c->head) c->tail = NULL;
        c->njobs--;
        int close_after = j->close_after;
        hjob_free(j);
        if (close_after) {
            c->close_after = 1;
            break;
        }
    }
}

/* The first job still waiting for engine replies. */
static hjob_t *s_waiting(hconn_t *c) {
    for (hjob_t *j = c->head; j; j = j->next)
        if (!j->done && (j->ncmds > 0 || j->sse)) return j;
    return NULL;
}

static void s_enqueue(hconn_t *c, hjob_t *j) {
    if (c->tail) c->tail->next = j;
    else c->head = j;
    c->tail = j;
    c->njobs++;
}

/* Sends the job's commands in the batch, opening a fresh engine client first when needed. */
static void s_submit(hfront_t *f, hconn_t *c, hjob_t *j) {
    if (j->reopen || !c->opened) {
        proto_put_open(net_batch_rec(&f->eb), c->id, c->addr, f->laddr, CONN_F_HTTP);
        c->opened = 1;
    }
    const char *p = j->cmds.data, *end = p + j->cmds.len;
    while (p < end) {
        uint32_t argc, len;
        memcpy(&argc, p, 4);
        p += 4;
        proto_put_cmd_start(net_batch_rec(&f->eb), c->id, argc);
        for (uint32_t i = 0; i < argc; i++) {
            memcpy(&len, p, 4);
            proto_put_arg(&f->eb.buf, p + 4, len);
            p += 4 + len;
        }
    }
    buf_free(&j->cmds);
}

static int s_on_head(void *ud, hreq_t *r) {
    hconn_t *c = ud;
    if (r->expect_continue) {
        hjob_t *j = hjob_new();
        buf_append_str(&j->resp, "HTTP/1.1 100 Continue\r\n\r\n");
        j->done = 1;
        j->status = 100;
        s_enqueue(c, j);
    }
    /* a request that needs a fresh engine client waits until the old one has answered
     * everything (a blocked command would otherwise never answer) */
    if (!s_waiting(c)) return 0;
    buf_t id;
    buf_init(&id);
    hapi_identity(r, &id);
    int differs = id.len != c->identity.len || memcmp(id.data, c->identity.data, id.len) != 0;
    buf_free(&id);
    return differs;
}

static hfront_t *s_front; /* the one frontend of this process, for the parser callbacks */

static int s_on_request(void *ud, hreq_t *r) {
    hconn_t *c = ud;
    hfront_t *f = s_front;
    c->req_start_ms = 0;
    hjob_t *j = hjob_new();
    hapi_route(&f->api, r, j, &c->identity);
    s_enqueue(c, j);
    if (j->ncmds) s_submit(f, c, j);
    if (j->sse) {
        c->sse = 1;
        c->no_more_input = 1;
        f->api.sse_streams++;
        c->last_sse_ms = now_ms();
        return 1;
    }
    /* nothing after a request that closes the connection is read */
    return j->close_after || !j->keep_alive;
}

static void s_feed(hfront_t *f, hconn_t *c) {
    if (c->no_more_input) {
        c->in.len = 0;
        return;
    }
    size_t used = hparse_feed(&c->hp, c->in.data, c->in.len);
    buf_consume(&c->in, used);
    if (c->hp.status) {
        hjob_t *j = hjob_new();
        hapi_error_response(&f->api, j, c->hp.status, c->hp.why ? c->hp.why : "bad request");
        s_enqueue(c, j);
        c->no_more_input = 1;
        c->in.len = 0;
    } else if (c->hp.stopped) {
        c->no_more_input = 1;
        c->in.len = 0;
    }
    if (c->hp.in_msg && !c->req_start_ms) c->req_start_ms = now_ms();
    buf_shrink(&c->in, READ_CHUNK * 4);
    s_flush_jobs(f, c);
}

static void s_read(hfront_t *f, hconn_t *c) {
    char *p = buf_reserve(&c->in, READ_CHUNK);
    ssize_t n = read(c->fd, p, c->in.cap - c->in.len);
    if (n > 0) {
        c->in.len += (size_t)n;
        c->last_active_ms = now_ms();
        if (!c->req_start_ms && !c->no_more_input) c->req_start_ms = c->last_active_ms;
        if (!c->hp.paused) s_feed(f, c);
        if (c->out.len > c->out_pos) s_write(f, c);
        else s_update_events(f, c);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        s_conn_close(f, c, 1);
    }
}

static void s_accept(hfront_t *f) {
    for (;;) {
        static const char err[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: "
                                  "application/json\r\nContent-Length: 41\r\nConnection: "
                                  "close\r\n\r\n{\"error\":\"max number of clients reached\"}";
        char addr[64];
        int fd = net_accept(f->lfd, f->api.conns >= f->cfg->maxclients || f->conns.nfree == 0,
                            err, sizeof err - 1, addr, sizeof addr);
        if (fd == -1) return;
        if (fd == -2) continue;
        hconn_t *c = calloc(1, sizeof *c);
        if (!c) abort();
        c->id = conn_table_add(&f->conns, c);
        c->fd = fd;
        snprintf(c->addr, sizeof c->addr, "%s", addr);
        buf_init(&c->in);
        buf_init(&c->out);
        buf_init(&c->ein);
        buf_init(&c->identity);
        buf_put_u8(&c->identity, 0); /* no credentials, default database */
        hparse_init(&c->hp, (size_t)f->cfg->http_max_header, (size_t)f->cfg->http_max_body, c,
                    s_on_head, s_on_request);
        c->last_active_ms = now_ms();
        f->api.conns++;
        f->api.conns_total++;
        c->events = EPOLLIN | EPOLLRDHUP;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
        epoll_ctl(f->ep, EPOLL_CTL_ADD, fd, &ev);
    }
}

/* ---------- engine link ---------- */

static void s_send_batch(hfront_t *f) {
    if (f->engine_up) net_batch_send(&f->eb, f->link.dealer);
}

/* Hands complete engine replies in [p, p+n) to the connection's jobs; returns the bytes used
 * or -1 on a malformed reply. */
static long s_dispatch(hfront_t *f, hconn_t *c, const char *p, size_t n) {
    size_t pos = 0;
    while (pos < n) {
        size_t used;
        int r = r3_frame(p + pos, n - pos, &used);
        if (r == 0) break;
        if (r < 0) return -1;
        hjob_t *j = s_waiting(c);
        if (j) {
            int rc = hapi_reply(&f->api, j, p + pos, used, &c->out);
            /* read now: a finished job is freed by s_flush_jobs below */
            int sse_live = j->sse && j->sse_started;
            if (rc == 1) {
                s_flush_jobs(f, c);
                if (c->hp.paused && !s_waiting(c)) { /* the identity change may proceed */
                    hparse_resume(&c->hp);
                    s_feed(f, c);
                    s_update_events(f, c);
                }
            } else if (rc == 2) {
                c->close_after = 1;
            }
            if (sse_live) c->last_sse_ms = now_ms();
        }
        pos += used;
    }
    return (long)pos;
}

static void s_engine_bytes(hfront_t *f, hconn_t *c, const char *p, size_t n) {
    if (c->ein.len == 0) {
        long used = s_dispatch(f, c, p, n);
        if (used < 0) goto bad;
        if ((size_t)used < n) buf_append(&c->ein, p + used, n - (size_t)used);
        return;
    }
    buf_append(&c->ein, p, n);
    long used = s_dispatch(f, c, c->ein.data, c->ein.len);
    if (used < 0) goto bad;
    buf_consume(&c->ein, (size_t)used);
    return;
bad:
    log_warn("malformed reply from the engine for HTTP client %s; closing it", c->addr);
    c->close_after = 1;
    buf_clear(&c->ein);
}

static void s_handle_reply(hfront_t *f, const char *data, size_t len) {
    proto_reply_iter_t it;
    proto_header_t h;
    const char *why;
    if (len >= PROTO_HEADER_SIZE && proto_header_parse(data, len, &h, &why) == 0 &&
        h.type == MSG_CONFIG)
        return; /* RESP limits; the HTTP frontend has its own settings */
    if (proto_reply_iter_init(&it, data, len, &h, &why) < 0) {
        log_warn("dropping malformed message from engine: %s", why);
        return;
    }
    if (h.type == MSG_REPLY_BATCH) {
        if (!net_batch_answered(&f->eb, h.seq)) return; /* for a batch sent to a dead engine */
    }
    uint32_t id;
    uint8_t flags;
    const char *p;
    size_t n;
    int r;
    while ((r = proto_reply_next(&it, &id, &flags, &p, &n)) == 1) {
        hconn_t *c = s_conn_get(f, id);
        if (!c) continue;
        if (n) s_engine_bytes(f, c, p, n);
        if (flags & REPLY_F_CLOSE) c->close_after = 1;
        if (c->sse && (long long)(c->out.len - c->out_pos) > f->cfg->http_sse_max_buffer) {
            log_notice("closing SSE reader %s: %zu bytes of events unsent", c->addr,
                       c->out.len - c->out_pos);
            f->api.sse_dropped++;
            s_conn_close(f, c, 1);
            continue;
        }
        if (c->out.len > c->out_pos) s_write(f, c);
        /* a client the engine closed (CLIENT KILL...) will not answer what is waiting */
        else if (c->close_after && ((flags & REPLY_F_CLOSE) || !s_waiting(c))) s_conn_close(f, c, 1);
        else s_update_events(f, c);
    }
    if (r < 0) log_warn("malformed reply record from engine; rest of message dropped");
}

static void s_drain_engine(hfront_t *f) {
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    while (zmq_msg_recv(&msg, f->link.dealer, ZMQ_DONTWAIT) >= 0)
        s_handle_reply(f, zmq_msg_data(&msg), zmq_msg_size(&msg));
    zmq_msg_close(&msg);
}

static void s_drain_monitor(hfront_t *f) {
    int ev;
    while ((ev = net_engine_link_event(&f->link)) != 0) {
        if (ev == 1) {
            log_notice("connected to engine");
            f->engine_up = f->api.engine_up = 1;
            net_engine_link_hello(&f->link, "frontend-http", f->cfg->http_addr);
        } else if (ev == -1) {
            log_warn("engine connection lost; closing %lld HTTP connections", f->api.conns);
            f->engine_up = f->api.engine_up = 0;
            for (uint32_t s = 0; s < f->conns.nslots; s++)
                if (f->conns.conns[s]) s_conn_close(f, f->conns.conns[s], 0);
            net_batch_lost(&f->eb);
        }
    }
}

/* ---------- timers: slow requests, idle connections, SSE heartbeats ---------- */

static void s_timers(hfront_t *f) {
    int64_t now = now_ms();
    for (uint32_t s = 0; s < f->conns.nslots; s++) {
        hconn_t *c = f->conns.conns[s];
        if (!c) continue;
        if (c->sse) {
            if (now - c->last_sse_ms >= f->cfg->http_sse_heartbeat_ms && c->head &&
                c->head->sse_started) {
                hapi_sse_heartbeat(&c->out);
                c->last_sse_ms = now;
                s_write(f, c);
            }
            continue;
        }
        if (c->hp.paused) c->req_start_ms = now; /* waiting for us, not for the client */
        if (c->req_start_ms && now - c->req_start_ms > f->cfg->http_request_timeout_ms) {
            /* slowloris: the request did not arrive in time */
            c->req_start_ms = 0;
            c->no_more_input = 1;
            hjob_t *j = hjob_new();
            hapi_timeout_response(&f->api, j);
            s_enqueue(c, j);
            s_flush_jobs(f, c);
            s_write(f, c);
            continue;
        }
        if (!c->head && c->out.len == c->out_pos && !c->hp.in_msg &&
            now - c->last_active_ms > f->cfg->http_idle_timeout_ms)
            s_conn_close(f, c, 1);
    }
}

/* ---------- main ---------- */

int frontend_http_main(const vole_config_t *cfg) {
    int lvl = log_level_parse(cfg->loglevel);
    log_init("frontend-http", lvl < 0 ? LOG_NOTICE : lvl);
    struct sigaction sa = {0};
    sa.sa_handler = s_on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (!cfg->http_addr[0]) {
        log_warn("http-addr is not set: nothing to serve");
        return 1;
    }
    char addr[160];
    /* ":8080" listens on every interface */
    snprintf(addr, sizeof addr, "%s%s", cfg->http_addr[0] == ':' ? "0.0.0.0" : "", cfg->http_addr);
    http_parser_set_max_header_size((uint32_t)cfg->http_max_header + 1024);

    hfront_t *f = calloc(1, sizeof *f);
    if (!f) abort();
    s_front = f;
    f->cfg = cfg;
    f->api.cors_origin = cfg->http_cors_origin;
    f->api.run_dir = cfg->run_dir;
    int hb_fd = cfg->hb_fd;
    if (hb_fd >= 0) fcntl(hb_fd, F_SETFL, fcntl(hb_fd, F_GETFL) | O_NONBLOCK);
    f->max_inflight = cfg->batches_in_flight > 0 ? cfg->batches_in_flight : 1;
    conn_table_init(&f->conns, cfg->maxclients);
    buf_init(&f->eb.buf);

    f->lfd = net_listen(addr, f->laddr, sizeof f->laddr);
    if (f->lfd < 0 || net_engine_link_open(&f->link, cfg->engine_ep, "http") < 0) return 1;
    f->ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(f->ep, EPOLL_CTL_ADD, f->lfd, &ev);
    static int zmark, mmark;
    ev.data.ptr = &zmark;
    epoll_ctl(f->ep, EPOLL_CTL_ADD, f->link.zfd, &ev);
    ev.data.ptr = &mmark;
    epoll_ctl(f->ep, EPOLL_CTL_ADD, f->link.mfd, &ev);
    log_notice("HTTP API ready on %s", f->laddr);

    struct epoll_event evs[256];
    int64_t next_hb = 0, next_timer = 0;
    while (!s_stop) {
        net_heartbeat(hb_fd, &next_hb);
        int64_t now = mono_us();
        if (now >= next_timer) {
            s_timers(f);
            next_timer = now + TIMER_MS * 1000;
        }
        s_drain_monitor(f);
        if (f->eb.inflight >= f->max_inflight) {
            zmq_pollitem_t items[2] = {{f->link.dealer, 0, ZMQ_POLLIN, 0},
                                       {f->link.monitor, 0, ZMQ_POLLIN, 0}};
            int rc = zmq_poll(items, 2, TIMER_MS);
            if (rc < 0 && errno != EINTR) break;
            s_drain_monitor(f);
            s_drain_engine(f);
            continue;
        }
        int timeout = TIMER_MS;
        if (net_zmq_readable(f->link.dealer) || net_zmq_readable(f->link.monitor)) timeout = 0;
        int n = epoll_wait(f->ep, evs, 256, timeout);
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < n; i++) {
            void *tag = evs[i].data.ptr;
            if (tag == NULL) {
                s_accept(f);
                continue;
            }
            if (tag == &zmark || tag == &mmark) continue;
            hconn_t *c = tag;
            if (evs[i].events & EPOLLOUT) {
                if (s_write(f, c) < 0) continue;
            }
            uint32_t e = evs[i].events;
            if (!(e & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))) continue;
            if (c->no_more_input) {
                char junk[4096];
                ssize_t r = read(c->fd, junk, sizeof junk);
                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) s_conn_close(f, c, 1);
            } else if (s_wants_input(c) && (e & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
                if (f->eb.buf.len < BATCH_SOFT_MAX) s_read(f, c);
            } else if (e & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
                s_conn_close(f, c, 1); /* gone while we were not reading from it */
            }
        }
        s_drain_monitor(f);
        s_drain_engine(f);
        s_send_batch(f);
    }

    log_notice("HTTP frontend shutting down: closing %lld connections", f->api.conns);
    close(f->lfd);
    for (uint32_t s = 0; s < f->conns.nslots; s++)
        if (f->conns.conns[s]) s_conn_close(f, f->conns.conns[s], 1);
    s_send_batch(f);
    net_engine_link_close(&f->link);
    close(f->ep);
    buf_free(&f->eb.buf);
    conn_table_free(&f->conns);
    free(f);
    return 0;
}
