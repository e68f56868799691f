/* The scheduler's process loop and its engine link: a DEALER to the engine that says hello
 * with role "scheduler" on every (re)connect (the engine then answers ENGINE_STATE and serves
 * streams to us), one internal client (REC_OPEN addr "scheduler") for the commands cron and
 * webhook delivery send, and the wait on both ZeroMQ and libcurl's sockets. */
#include "scheduler/scheduler.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "shared/config.h"
#include "shared/link.h"
#include "shared/net.h"
#include "shared/log.h"
#include "shared/proto.h"
#include "shared/util.h"

#define CLIENT_ID 1
#define STATS_EVERY_MS 1000

/* A command waiting for its turn or for its reply. Commands go one per batch: a batch's
 * replies to one client arrive as one record, so one command per batch keeps each reply
 * apart without parsing RESP boundaries. The traffic is a few commands a second. */
typedef struct cmd {
    struct cmd *next;
    buf_t msg; /* the REC_CMD record(s), without the batch header */
    sched_reply_fn *fn;
    void *ctx;
} cmd_t;

static struct {
    const vole_config_t *cfg;
    net_engine_link_t link;
    int link_up, ready, client_open;
    char run_id[41];
    uint32_t seq, inflight_seq; /* batch numbers; inflight_seq 0 = nothing in flight */
    cmd_t *head, *tail;
    size_t ncmds;
    buf_t out;
    int64_t next_stats;
} s_s;

static volatile sig_atomic_t s_stop;
static void s_on_term(int sig) { (void)sig, s_stop = 1; }

/* ===================== RESP helpers ===================== */

int sched_reply_is_error(const char *resp, size_t len) { return len == 0 || resp[0] == '-'; }

void sched_reply_summary(const char *resp, size_t len, char *out, size_t cap) {
    if (len == 0) {
        snprintf(out, cap, "no reply (the engine went away)");
        return;
    }
    const char *eol = memchr(resp, '\r', len);
    size_t line = eol ? (size_t)(eol - resp) : len;
    long long n;
    switch (resp[0]) {
    case '+':
    case '-':
    case ':':
        snprintf(out, cap, "%.*s", (int)(line - 1), resp + 1);
        return;
    case '$':
        if (str_to_ll(resp + 1, line - 1, &n) && n >= 0 && line + 2 + (size_t)n <= len) {
            snprintf(out, cap, "%.*s", (int)n, resp + line + 2);
            return;
        }
        snprintf(out, cap, "(nil)");
        return;
    case '*':
        if (str_to_ll(resp + 1, line - 1, &n) && n >= 0) {
            snprintf(out, cap, "(array of %lld)", n);
            return;
        }
        snprintf(out, cap, "(nil)");
        return;
    default:
        snprintf(out, cap, "%.*s", (int)line, resp);
    }
}

/* ===================== internal client ===================== */

void sched_command(int argc, const char *const *argv, const size_t *lens, sched_reply_fn *fn,
                   void *ctx) {
    cmd_t *c = calloc(1, sizeof *c);
    if (!c) abort();
    buf_init(&c->msg);
    proto_put_cmd_start(&c->msg, CLIENT_ID, (uint32_t)argc);
    for (int i = 0; i < argc; i++) proto_put_arg(&c->msg, argv[i], (uint32_t)lens[i]);
    c->fn = fn;
    c->ctx = ctx;
    if (s_s.tail) s_s.tail->next = c;
    else s_s.head = c;
    s_s.tail = c;
    s_s.ncmds++;
}

void sched_command_cstr(int argc, const char *const *argv, sched_reply_fn *fn, void *ctx) {
    size_t lens[argc > 0 ? argc : 1];
    for (int i = 0; i < argc; i++) lens[i] = strlen(argv[i]);
    sched_command(argc, argv, lens, fn, ctx);
}

size_t sched_pending_commands(void) { return s_s.ncmds; }

int sched_engine_ready(void) { return s_s.link_up && s_s.ready; }

static void s_send(const buf_t *b) {
    if (zmq_send(s_s.link.dealer, b->data, b->len, ZMQ_DONTWAIT) < 0)
        log_warn("sending to the engine: %s", zmq_strerror(errno));
}

int sched_send_ctl(uint8_t type, uint8_t stream, uint64_t a, uint64_t b) {
    if (!s_s.link_up) return -1;
    buf_clear(&s_s.out);
    proto_put_ctl(&s_s.out, type, stream, a, b, NULL, 0);
    s_send(&s_s.out);
    return 0;
}

/* Sends the head command when nothing is in flight. */
static void s_pump_commands(void) {
    if (!sched_engine_ready() || s_s.inflight_seq || !s_s.head) return;
    buf_t *b = &s_s.out;
    proto_begin(b, MSG_CMD_BATCH);
    uint32_t n = 1;
    if (!s_s.client_open) {
        proto_put_open(b, CLIENT_ID, "scheduler", "scheduler", 0);
        s_s.client_open = 1;
        n++;
    }
    buf_append(b, s_s.head->msg.data, s_s.head->msg.len);
    proto_finish(b, n);
    s_s.seq = s_s.seq + 1 ? s_s.seq + 1 : 1;
    proto_set_seq(b, s_s.seq);
    s_s.inflight_seq = s_s.seq;
    s_send(b);
}

static void s_pop_command(const char *resp, size_t len) {
    cmd_t *c = s_s.head;
    if (!c) return;
    s_s.head = c->next;
    if (!s_s.head) s_s.tail = NULL;
    s_s.ncmds--;
    if (c->fn) c->fn(c->ctx, resp, len);
    buf_free(&c->msg);
    free(c);
}

static void s_on_reply_batch(const char *data, size_t len) {
    proto_reply_iter_t it;
    proto_header_t h;
    const char *why;
    if (proto_reply_iter_init(&it, data, len, &h, &why) < 0) {
        log_warn("dropping a malformed reply from the engine: %s", why);
        return;
    }
    if (h.type != MSG_REPLY_BATCH || h.seq != s_s.inflight_seq) return; /* pushes, stale */
    s_s.inflight_seq = 0;
    uint32_t client;
    uint8_t flags;
    const char *p = NULL;
    size_t n = 0;
    buf_t resp;
    buf_init(&resp);
    int closed = 0;
    while (proto_reply_next(&it, &client, &flags, &p, &n) == 1) {
        if (client != CLIENT_ID) continue;
        buf_append(&resp, p, n);
        if (flags & REPLY_F_CLOSE) closed = 1;
    }
    if (resp.len == 0 || closed) {
        /* the engine did not know our client (it restarted under us): open it again and
         * send the same command again */
        s_s.client_open = 0;
        buf_free(&resp);
        return;
    }
    s_pop_command(resp.data, resp.len);
    buf_free(&resp);
}

/* ===================== engine link ===================== */

static void s_hello(void) {
    buf_clear(&s_s.out);
    proto_put_hello(&s_s.out, "scheduler", "scheduler");
    s_send(&s_s.out);
}

static void s_on_engine_state(const char *data, size_t len) {
    uint8_t unused;
    uint64_t last, flags;
    const char *tail;
    size_t tlen;
    if (proto_get_ctl(data, len, &unused, &last, &flags, &tail, &tlen) < 0 || tlen < 40) {
        log_warn("dropping a malformed engine state message");
        return;
    }
    int same = s_s.run_id[0] && memcmp(s_s.run_id, tail, 40) == 0;
    memcpy(s_s.run_id, tail, 40);
    s_s.run_id[40] = '\0';
    s_s.ready = 1;
    log_verbose("engine %s (%s)", s_s.run_id, same ? "same run" : "new run");
    webhooks_on_engine(s_s.run_id, same);
    cron_on_engine();
}

static void s_on_message(const char *data, size_t len) {
    proto_header_t h;
    const char *why;
    if (proto_header_parse(data, len, &h, &why) < 0) {
        log_warn("dropping a message from the engine: %s", why);
        return;
    }
    switch (h.type) {
    case MSG_ENGINE_STATE:
        s_on_engine_state(data, len);
        break;
    case MSG_REPLY_BATCH:
    case MSG_PUSH:
        s_on_reply_batch(data, len);
        break;
    case MSG_STREAM_DATA:
        webhooks_on_data(data, len);
        break;
    case MSG_STREAM_GAP: {
        uint8_t stream;
        uint64_t oldest, last;
        if (proto_get_ctl(data, len, &stream, &oldest, &last, NULL, NULL) == 0 &&
            stream == STREAM_WEBHOOKS)
            webhooks_on_gap(oldest, last);
        break;
    }
    default:
        break; /* CONFIG and others are for frontends */
    }
}

static void s_link_down(void) {
    s_s.link_up = 0;
    s_s.ready = 0;
    s_s.client_open = 0;
    /* a command in flight may or may not have run: its caller decides (len 0) */
    if (s_s.inflight_seq) {
        s_s.inflight_seq = 0;
        s_pop_command(NULL, 0);
    }
    webhooks_on_link_down();
    cron_on_link_down();
}

static void s_drain_monitor(void) {
    int event;
    while ((event = net_engine_link_event(&s_s.link))) {
        if (event == 1) {
            log_notice("connected to the engine");
            s_s.link_up = 1;
            s_hello();
        } else if (event == -1) {
            log_warn("engine connection lost");
            s_link_down();
        }
    }
}

static void s_drain_engine(void) {
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    while (zmq_msg_recv(&msg, s_s.link.dealer, ZMQ_DONTWAIT) >= 0)
        s_on_message(zmq_msg_data(&msg), zmq_msg_size(&msg));
    zmq_msg_close(&msg);
}

/* ===================== stats ===================== */

static void s_report_stats(void) {
    int64_t now = mono_us() / 1000;
    if (now < s_s.next_stats || !sched_engine_ready()) return;
    s_s.next_stats = now + STATS_EVERY_MS;
    const char *names[32];
    long long values[32];
    int n = webhooks_stats(names, values, 16);
    n += cron_stats(names + n, values + n, 32 - n);
    const char *argv[1 + 2 * 32];
    char nums[32][24];
    argv[0] = "vole.scheduler-stats";
    for (int i = 0; i < n; i++) {
        ll_to_str(nums[i], values[i]);
        argv[1 + 2 * i] = names[i];
        argv[2 + 2 * i] = nums[i];
    }
    sched_command_cstr(1 + 2 * n, argv, NULL, NULL);
}

/* ===================== main ===================== */

int scheduler_main(const vole_config_t *cfg) {
    role_init("scheduler", cfg->loglevel, s_on_term);
    s_s.cfg = cfg;
    buf_init(&s_s.out);
    int hb_fd = cfg->hb_fd;
    if (hb_fd >= 0) fcntl(hb_fd, F_SETFL, fcntl(hb_fd, F_GETFL) | O_NONBLOCK);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        log_warn("cannot initialise libcurl");
        return 1;
    }
    if (webhooks_init(cfg) < 0 || net_engine_link_open(&s_s.link, cfg->engine_ep, "sched") < 0)
        return 1;
    cron_init(cfg);
    log_notice("scheduler started (cron-timezone %s, cron-catchup %s)", cfg->cron_timezone,
               cfg->cron_catchup);

    int64_t next_hb = 0;
    while (!s_stop) {
        net_heartbeat(hb_fd, &next_hb);
        s_drain_monitor();
        s_drain_engine();
        long wait = 100;
        wait = cron_run(wait);
        wait = webhooks_run(wait);
        s_report_stats();
        s_pump_commands();
        if (net_zmq_readable(s_s.link.dealer) || net_zmq_readable(s_s.link.monitor))
            wait = 0;
        /* ZeroMQ's descriptors signal edges: we drained both above, so waiting on them is
         * safe; the wait is short anyway */
        struct curl_waitfd extra[2] = {{s_s.link.zfd, CURL_WAIT_POLLIN, 0},
                                       {s_s.link.mfd, CURL_WAIT_POLLIN, 0}};
        int numfds = 0;
        if (wait > 0) curl_multi_poll(webhooks_multi(), extra, 2, (int)wait, &numfds);
    }
    log_notice("scheduler shutting down");
    while (s_s.head) s_pop_command(NULL, 0); /* callbacks still see their deliveries/jobs */
    cron_shutdown();
    webhooks_shutdown();
    net_engine_link_close(&s_s.link);
    curl_global_cleanup();
    buf_free(&s_s.out);
    return 0;
}
