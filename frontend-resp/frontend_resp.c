/* The RESP frontend: accepts client connections (epoll), parses RESP into batches for the
 * engine (one CMD_BATCH per loop iteration holding every complete command read from every
 * connection), and writes the engine's already-encoded replies back. Holds no data. */
#include "frontend-resp/frontend_resp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
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

#include "shared/buf.h"
#include "shared/config.h"
#include "shared/conn_table.h"
#include "shared/log.h"
#include "shared/net.h"
#include "shared/proto.h"
#include "shared/resp.h"
#include "shared/util.h"

#define READ_CHUNK (64 * 1024)
#define BATCH_SOFT_MAX (8 * 1024 * 1024) /* stop reading more this iteration past this */
/* client-output-buffer-limit: a client whose unsent output passes the hard limit, or stays
 * above the soft limit for longer than the soft seconds, is disconnected (Redis's rule,
 * checked when output is added). The engine sends the values (CONFIG SET); Redis's defaults
 * until it does. */
typedef struct {
    long long hard, soft, secs;
} out_limit_t;

typedef struct conn {
    uint32_t id; /* from the connection table: what the engine knows us by */
    int fd;
    buf_t in;
    buf_t out;
    size_t out_pos;
    int close_after; /* close once out is written (QUIT, kill, protocol error) */
    int stop_reading;
    int want_write;
    uint32_t recs; /* reply records for this connection in the message being handled */
    int64_t soft_since_ms; /* output above the soft limit since then; 0 = below it */
    char addr[64];
} conn_t;

typedef struct frontend {
    const vole_config_t *cfg;
    int ep, lfd;
    net_engine_link_t link;
    void *zctx, *dealer, *monitor;
    int zfd, mfd;
    conn_table_t conns;
    long long nconns;
    char laddr[64];
    resp_parser_t parser;
    net_batch_t eb;      /* the command batch for the engine (shared/net.h) */
    int max_inflight;
    int hb_fd;
    int engine_up;
    /* connections that got reply records in the message being handled */
    uint32_t *touched;
    size_t touched_n, touched_cap;
    /* limits the engine may change at run time (CONFIG SET), starting from the flags */
    long long maxclients, qbuf_limit;
    out_limit_t limit_normal, limit_pubsub;
} frontend_t;

static volatile sig_atomic_t s_stop;
static void s_on_term(int sig) { (void)sig, s_stop = 1; }

/* ---------- connections ---------- */

static conn_t *s_conn_get(frontend_t *f, uint32_t id) {
    return conn_table_get(&f->conns, id);
}

static void s_conn_close(frontend_t *f, conn_t *c, int tell_engine) {
    if (tell_engine) proto_put_close(net_batch_rec(&f->eb), c->id);
    epoll_ctl(f->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    conn_table_del(&f->conns, c->id);
    buf_free(&c->in);
    buf_free(&c->out);
    free(c);
    f->nconns--;
}

static void s_set_events(frontend_t *f, conn_t *c, int want_write) {
    if (c->want_write == want_write) return;
    struct epoll_event ev = {.events = EPOLLIN | (want_write ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(f->ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_write = want_write;
}

static void s_accept(frontend_t *f) {
    for (;;) {
        static const char err[] = "-ERR max number of clients reached\r\n";
        char addr[64];
        int fd = net_accept(f->lfd, f->nconns >= f->maxclients || f->conns.nfree == 0, err,
                            sizeof err - 1, addr, sizeof addr);
        if (fd == -1) return;
        if (fd == -2) continue;
        conn_t *c = calloc(1, sizeof *c);
        if (!c) abort();
        c->id = conn_table_add(&f->conns, c);
        c->fd = fd;
        snprintf(c->addr, sizeof c->addr, "%s", addr);
        buf_init(&c->in);
        buf_init(&c->out);
        f->nconns++;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(f->ep, EPOLL_CTL_ADD, fd, &ev);
        proto_put_open(net_batch_rec(&f->eb), c->id, c->addr, f->laddr, 0);
    }
}

/* Parses every complete command in c->in into the batch. */
static void s_parse(frontend_t *f, conn_t *c) {
    size_t pos = 0;
    while (pos < c->in.len && !c->stop_reading) {
        size_t used = 0;
        const char *err = NULL;
        int r = resp_parse_request(&f->parser, c->in.data + pos, c->in.len - pos, &used, &err);
        if (r == RESP_INCOMPLETE) break;
        if (r == RESP_PROTO_ERROR) {
            /* the error travels through the engine so it follows earlier replies */
            proto_put_err_close(net_batch_rec(&f->eb), c->id, err, (uint32_t)strlen(err));
            c->stop_reading = 1;
            pos = c->in.len;
            break;
        }
        pos += used;
        if (r == RESP_EMPTY) continue;
        proto_put_cmd_start(net_batch_rec(&f->eb), c->id, (uint32_t)f->parser.argc);
        for (int i = 0; i < f->parser.argc; i++)
            proto_put_arg(&f->eb.buf, f->parser.argv[i], (uint32_t)f->parser.argvlen[i]);
    }
    buf_consume(&c->in, pos);
    if (!c->stop_reading && (long long)c->in.len > f->qbuf_limit) {
        log_warn("closing client %s that reached max query buffer length", c->addr);
        s_conn_close(f, c, 1);
        return;
    }
    buf_shrink(&c->in, READ_CHUNK * 4);
}

static void s_read(frontend_t *f, conn_t *c) {
    if (c->stop_reading) {
        /* discard input after a protocol error, as Redis does, until the close */
        char junk[4096];
        ssize_t n = read(c->fd, junk, sizeof junk);
        if (n == 0) s_conn_close(f, c, 1);
        return;
    }
    char *p = buf_reserve(&c->in, READ_CHUNK);
    ssize_t n = read(c->fd, p, c->in.cap - c->in.len);
    if (n > 0) {
        c->in.len += (size_t)n;
        s_parse(f, c);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        s_conn_close(f, c, 1);
    }
}

/* Writes pending output; returns -1 when the connection was closed. */
static int s_write(frontend_t *f, conn_t *c) {
    while (c->out_pos < c->out.len) {
        ssize_t n = write(c->fd, c->out.data + c->out_pos, c->out.len - c->out_pos);
        if (n < 0) {
            if (errno == EAGAIN) {
                s_set_events(f, c, 1);
                return 0;
            }
            if (errno == EINTR) continue;
            s_conn_close(f, c, 1);
            return -1;
        }
        c->out_pos += (size_t)n;
    }
    c->out.len = c->out_pos = 0;
    buf_shrink(&c->out, 64 * 1024);
    s_set_events(f, c, 0);
    if (c->close_after) {
        s_conn_close(f, c, 1);
        return -1;
    }
    return 0;
}

/* Writes bytes from a reply record, directly when nothing is queued before them. */
static void s_send(frontend_t *f, conn_t *c, const char *p, size_t len) {
    if (c->out.len == 0) {
        while (len) {
            ssize_t n = write(c->fd, p, len);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno != EAGAIN) {
                    c->close_after = 1; /* the peer is gone: close after this message */
                    return;
                }
                break;
            }
            p += n;
            len -= (size_t)n;
        }
        if (len == 0) return;
    }
    buf_append(&c->out, p, len);
    s_set_events(f, c, 1);
}

/* ---------- engine link ---------- */

static void s_send_batch(frontend_t *f) {
    if (f->engine_up) net_batch_send(&f->eb, f->dealer);
}

/* Whether c's unsent output breaks its class's limit (hard at once, soft for too long). */
static int s_over_limit(conn_t *c, const out_limit_t *l) {
    long long pending = (long long)(c->out.len - c->out_pos);
    if (l->hard && pending > l->hard) return 1;
    if (!l->soft || pending <= l->soft) {
        c->soft_since_ms = 0;
        return 0;
    }
    int64_t now = now_ms();
    if (!c->soft_since_ms) {
        c->soft_since_ms = now;
        return 0;
    }
    return now - c->soft_since_ms > l->secs * 1000;
}

static void s_apply_config(frontend_t *f, const char *data, size_t len) {
    size_t pos = PROTO_HEADER_SIZE;
    char name[64], value[64];
    int r;
    while ((r = proto_config_next(data, len, &pos, name, sizeof name, value, sizeof value)) == 1) {
        long long v;
        if (!str_to_ll(value, strlen(value), &v) || v < 0) continue;
        if (strcmp(name, "proto-max-bulk-len") == 0) f->parser.max_bulk_len = v;
        else if (strcmp(name, "client-query-buffer-limit") == 0) f->qbuf_limit = v;
        else if (strcmp(name, "maxclients") == 0) f->maxclients = v;
        else if (strcmp(name, "pubsub-hard") == 0) f->limit_pubsub.hard = v;
        else if (strcmp(name, "pubsub-soft") == 0) f->limit_pubsub.soft = v;
        else if (strcmp(name, "pubsub-soft-seconds") == 0) f->limit_pubsub.secs = v;
        else if (strcmp(name, "normal-hard") == 0) f->limit_normal.hard = v;
        else if (strcmp(name, "normal-soft") == 0) f->limit_normal.soft = v;
        else if (strcmp(name, "normal-soft-seconds") == 0) f->limit_normal.secs = v;
    }
    if (r < 0) log_warn("malformed config message from engine");
}

static void s_handle_reply(frontend_t *f, const char *data, size_t len) {
    proto_reply_iter_t it;
    proto_header_t h;
    const char *why;
    if (len >= PROTO_HEADER_SIZE && proto_header_parse(data, len, &h, &why) == 0 &&
        h.type == MSG_CONFIG) {
        s_apply_config(f, data, len);
        return;
    }
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
    /* First pass: how many records each connection has in this message. A connection with
     * one record (the usual answer to a batch) is written straight from the message; one
     * with several (a PUBLISH fan-out puts one record per message per subscriber) gathers
     * them and gets a single write at the end instead of one per record. */
    proto_reply_iter_t count_it = it;
    f->touched_n = 0;
    while (proto_reply_next(&count_it, &id, &flags, &p, &n) == 1) {
        conn_t *c = s_conn_get(f, id);
        if (!c) continue;
        if (c->recs++ == 0) {
            if (f->touched_n == f->touched_cap) {
                f->touched_cap = f->touched_cap ? f->touched_cap * 2 : 256;
                f->touched = realloc(f->touched, f->touched_cap * sizeof *f->touched);
                if (!f->touched) abort();
            }
            f->touched[f->touched_n++] = id;
        }
    }
    while ((r = proto_reply_next(&it, &id, &flags, &p, &n)) == 1) {
        conn_t *c = s_conn_get(f, id);
        if (!c) continue; /* closed meanwhile */
        if (n) {
            if (c->recs == 1) s_send(f, c, p, n);
            else buf_append(&c->out, p, n);
        }
        if (flags & REPLY_F_CLOSE) c->close_after = 1;
        if (s_over_limit(c, (flags & REPLY_F_PUBSUB) ? &f->limit_pubsub : &f->limit_normal)) {
            log_notice("closing client %s: its %s output buffer passed the "
                       "client-output-buffer-limit", c->addr,
                       (flags & REPLY_F_PUBSUB) ? "pubsub" : "normal");
            c->recs = 0;
            s_conn_close(f, c, 1);
        }
    }
    if (r < 0) log_warn("malformed reply record from engine; rest of message dropped");
    /* Second step: one write per connection that gathered output; closes that were asked
     * for happen once everything before them is written (s_write closes after the flush). */
    for (size_t i = 0; i < f->touched_n; i++) {
        conn_t *c = s_conn_get(f, f->touched[i]);
        if (!c) continue;
        c->recs = 0;
        if (c->out.len > c->out_pos) {
            if (!c->want_write) s_write(f, c); /* else epoll tells us when it drains */
        } else if (c->close_after) {
            s_conn_close(f, c, 1);
        }
    }
}

static void s_drain_engine(frontend_t *f) {
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    while (zmq_msg_recv(&msg, f->dealer, ZMQ_DONTWAIT) >= 0)
        s_handle_reply(f, zmq_msg_data(&msg), zmq_msg_size(&msg));
    zmq_msg_close(&msg);
}

static void s_send_hello(frontend_t *f) {
    net_engine_link_hello(&f->link, "frontend-resp", f->cfg->addr);
}

/* Connection events on the engine link: on (re)connect say hello; on loss drop every client
 * (their state lived in the dead engine) and forget batches in flight. */
static void s_drain_monitor(frontend_t *f) {
    int event;
    while ((event = net_engine_link_event(&f->link)) != 0) {
        if (event == 1) {
            log_notice("connected to engine");
            f->engine_up = 1;
            s_send_hello(f);
        } else if (event == -1) {
            log_warn("engine connection lost; closing %lld client connections", f->nconns);
            f->engine_up = 0;
            for (uint32_t s = 0; s < f->conns.nslots; s++)
                if (f->conns.conns[s]) s_conn_close(f, f->conns.conns[s], 0);
            net_batch_lost(&f->eb);
        }
    }
}

static int s_zmq_readable(void *sock) { return net_zmq_readable(sock); }

/* ---------- setup ---------- */

static int s_listen(frontend_t *f) {
    f->lfd = net_listen(f->cfg->addr, f->laddr, sizeof f->laddr);
    return f->lfd < 0 ? -1 : 0;
}

static int s_engine_link(frontend_t *f) {
    if (net_engine_link_open(&f->link, f->cfg->engine_ep, "resp") < 0) return -1;
    f->zctx = f->link.ctx;
    f->dealer = f->link.dealer;
    f->monitor = f->link.monitor;
    f->zfd = f->link.zfd;
    f->mfd = f->link.mfd;
    return 0;
}

static void s_heartbeat(frontend_t *f, int64_t *next) { net_heartbeat(f->hb_fd, next); }

int frontend_resp_main(const vole_config_t *cfg) {
    int lvl = log_level_parse(cfg->loglevel);
    log_init("frontend-resp", lvl < 0 ? LOG_NOTICE : lvl);
    struct sigaction sa = {0};
    sa.sa_handler = s_on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    frontend_t *f = calloc(1, sizeof *f);
    if (!f) abort();
    f->cfg = cfg;
    f->hb_fd = cfg->hb_fd;
    if (f->hb_fd >= 0) fcntl(f->hb_fd, F_SETFL, fcntl(f->hb_fd, F_GETFL) | O_NONBLOCK);
    f->max_inflight = cfg->batches_in_flight > 0 ? cfg->batches_in_flight : 1;
    conn_table_init(&f->conns, cfg->maxclients);
    resp_parser_init(&f->parser, cfg->proto_max_bulk_len);
    f->maxclients = cfg->maxclients;
    f->qbuf_limit = cfg->client_query_buffer_limit;
    f->limit_normal = (out_limit_t){0, 0, 0};
    f->limit_pubsub = (out_limit_t){32LL << 20, 8LL << 20, 60};
    buf_init(&f->eb.buf);

    if (s_listen(f) < 0 || s_engine_link(f) < 0) return 1;
    f->ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(f->ep, EPOLL_CTL_ADD, f->lfd, &ev);
    static int zmark, mmark;
    ev.data.ptr = &zmark;
    epoll_ctl(f->ep, EPOLL_CTL_ADD, f->zfd, &ev);
    ev.data.ptr = &mmark;
    epoll_ctl(f->ep, EPOLL_CTL_ADD, f->mfd, &ev);
    log_notice("ready to accept connections on %s", f->laddr);

    struct epoll_event evs[256];
    int64_t next_hb = 0;
    while (!s_stop) {
        s_heartbeat(f, &next_hb);
        s_drain_monitor(f);
        if (f->eb.inflight >= f->max_inflight) {
            /* wait for the engine only: client input piles up in the kernel meanwhile and
             * is read in one go afterwards, which makes the next batch bigger */
            zmq_pollitem_t items[2] = {{f->dealer, 0, ZMQ_POLLIN, 0}, {f->monitor, 0, ZMQ_POLLIN, 0}};
            int rc = zmq_poll(items, 2, 200);
            if (rc < 0 && errno != EINTR) break;
            s_drain_monitor(f);
            s_drain_engine(f);
            continue;
        }
        int timeout = 200;
        if (s_zmq_readable(f->dealer) || s_zmq_readable(f->monitor)) timeout = 0;
        int n = epoll_wait(f->ep, evs, 256, timeout);
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < n; i++) {
            void *tag = evs[i].data.ptr;
            if (tag == NULL) {
                s_accept(f);
                continue;
            }
            if (tag == &zmark || tag == &mmark) continue;
            conn_t *c = tag;
            if (evs[i].events & EPOLLOUT) {
                if (s_write(f, c) < 0) continue;
            }
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                if (f->eb.buf.len < BATCH_SOFT_MAX) s_read(f, c);
            }
        }
        s_drain_monitor(f);
        s_drain_engine(f);
        s_send_batch(f);
    }

    log_notice("frontend shutting down: closing %lld connections", f->nconns);
    close(f->lfd);
    for (uint32_t s = 0; s < f->conns.nslots; s++)
        if (f->conns.conns[s]) s_conn_close(f, f->conns.conns[s], 1);
    s_send_batch(f);
    net_engine_link_close(&f->link);
    /* free everything, so a leak checker run on the frontend reports only real leaks */
    close(f->ep);
    resp_parser_free(&f->parser);
    buf_free(&f->eb.buf);
    conn_table_free(&f->conns);
    free(f->touched);
    free(f);
    return 0;
}
