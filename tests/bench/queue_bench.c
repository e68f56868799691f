/* A load generator for tests/bench/queue.sh: C threads, one connection each, pipelined
 * requests, so the server and not the client sets the pace when RATELIMIT and the queue
 * commands are compared with SET on the same server. Python clients cannot drive DEQUEUE +
 * QACK fast enough (each QACK needs the id the DEQUEUE returned), and redis-benchmark cannot
 * feed a reply into the next request.
 *
 * Usage: vole-bench-queue HOST PORT MODE CONNS PIPELINE SECONDS
 * MODE: set | ratelimit | enqueue | dequeue-ack (DEQUEUE then QACK of what it returned, on a
 * queue filled by the enqueue run) | cycle (ENQUEUE, DEQUEUE, QACK)
 * Prints "<commands per second> <commands> <seconds>". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd, idx;
    char rbuf[1 << 20];
    size_t rlen, rpos;
    long long done;
    char (*ids)[48]; /* ids DEQUEUE returned, for the QACKs */
    int nids;
    volatile int finished;
} conn_t;

static const char *s_host, *s_mode;
static int s_port, s_pipeline;
static volatile int s_stop;

static double s_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void s_die(const char *what) {
    perror(what);
    exit(2);
}

static void s_send(conn_t *c, const char *p, size_t n) {
    while (n) {
        ssize_t w = write(c->fd, p, n);
        if (w <= 0) s_die("write");
        p += w;
        n -= (size_t)w;
    }
}

static void s_fill(conn_t *c) {
    if (c->rpos == c->rlen) c->rpos = c->rlen = 0;
    if (c->rpos > sizeof c->rbuf / 2) {
        memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
        c->rlen -= c->rpos;
        c->rpos = 0;
    }
    ssize_t r = read(c->fd, c->rbuf + c->rlen, sizeof c->rbuf - c->rlen);
    if (r <= 0) s_die("read");
    c->rlen += (size_t)r;
}

/* One line (without CRLF) from the reply stream. */
static char *s_line(conn_t *c, size_t *len) {
    for (;;) {
        char *start = c->rbuf + c->rpos;
        char *nl = memmem(start, c->rlen - c->rpos, "\r\n", 2);
        if (nl) {
            *len = (size_t)(nl - start);
            c->rpos += *len + 2;
            return start;
        }
        s_fill(c);
    }
}

/* Reads one reply; when id is not NULL and the reply is DEQUEUE's [id, body, n], copies the
 * id (else id[0] = 0). Errors abort the run: a benchmark of failing commands means nothing. */
static void s_reply(conn_t *c, char *id, int depth) {
    size_t n;
    char *l = s_line(c, &n);
    if (id && depth == 0) id[0] = 0;
    switch (l[0]) {
    case '-':
        fprintf(stderr, "error reply: %.*s\n", (int)n, l);
        exit(3);
    case '$': {
        long len = strtol(l + 1, NULL, 10);
        if (len < 0) return;
        while (c->rlen - c->rpos < (size_t)len + 2) s_fill(c);
        if (id && depth == 1 && len < 48 && !id[0]) {
            memcpy(id, c->rbuf + c->rpos, (size_t)len);
            id[len] = 0;
        }
        c->rpos += (size_t)len + 2;
        return;
    }
    case '*': {
        long k = strtol(l + 1, NULL, 10);
        for (long i = 0; i < k; i++) s_reply(c, id, depth + 1);
        return;
    }
    default: return; /* + : _ and the like: one line */
    }
}

static size_t s_cmd(char *dst, int argc, const char **argv) {
    size_t n = (size_t)sprintf(dst, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        n += (size_t)sprintf(dst + n, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
    return n;
}

/* Sends count copies of one command and reads the replies. */
static void s_round(conn_t *c, char *buf, int argc, const char **argv, int count, int keep_ids) {
    size_t n = 0;
    for (int i = 0; i < count; i++) n += s_cmd(buf + n, argc, argv);
    s_send(c, buf, n);
    c->nids = 0;
    for (int i = 0; i < count; i++) {
        s_reply(c, keep_ids ? c->ids[c->nids] : NULL, 0);
        if (keep_ids && c->ids[c->nids][0]) c->nids++;
    }
    c->done += count;
}

static void s_ack_round(conn_t *c, char *buf) {
    if (!c->nids) return;
    size_t n = 0;
    for (int i = 0; i < c->nids; i++) {
        const char *a[] = {"QACK", "bench:queue", c->ids[i]};
        n += s_cmd(buf + n, 3, a);
    }
    s_send(c, buf, n);
    for (int i = 0; i < c->nids; i++) s_reply(c, NULL, 0);
    c->done += c->nids;
}

static void *s_run(void *arg) {
    conn_t *c = arg;
    char *buf = malloc((size_t)s_pipeline * 256 + 64);
    char key[64], body[] = "{\"type\":\"email\",\"to\":\"user@example.com\",\"n\":12345}";
    c->ids = malloc((size_t)s_pipeline * sizeof *c->ids);
    if (!buf || !c->ids) s_die("malloc");
    unsigned seq = 0;
    while (!s_stop) {
        if (!strcmp(s_mode, "set")) {
            snprintf(key, sizeof key, "bench:set:%d:%u", c->idx, seq++ % 1000);
            const char *a[] = {"SET", key, body};
            s_round(c, buf, 3, a, s_pipeline, 0);
        } else if (!strcmp(s_mode, "ratelimit")) {
            /* 1000 limiters per connection, generous enough that most requests are allowed */
            snprintf(key, sizeof key, "bench:rl:%d:%u", c->idx, seq++ % 1000);
            const char *a[] = {"RATELIMIT", key, "1000", "60"};
            s_round(c, buf, 4, a, s_pipeline, 0);
        } else if (!strcmp(s_mode, "enqueue")) {
            const char *a[] = {"ENQUEUE", "bench:queue", body};
            s_round(c, buf, 3, a, s_pipeline, 0);
        } else if (!strcmp(s_mode, "dequeue-ack")) {
            const char *d[] = {"DEQUEUE", "bench:queue"};
            s_round(c, buf, 2, d, s_pipeline, 1);
            if (!c->nids) break; /* drained */
            s_ack_round(c, buf);
        } else if (!strcmp(s_mode, "cycle")) {
            const char *e[] = {"ENQUEUE", "bench:queue", body};
            s_round(c, buf, 3, e, s_pipeline, 0);
            const char *d[] = {"DEQUEUE", "bench:queue"};
            s_round(c, buf, 2, d, s_pipeline, 1);
            s_ack_round(c, buf);
        } else {
            fprintf(stderr, "unknown mode %s\n", s_mode);
            exit(2);
        }
    }
    free(buf);
    free(c->ids);
    c->finished = 1;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s HOST PORT MODE CONNS PIPELINE SECONDS\n", argv[0]);
        return 2;
    }
    s_host = argv[1];
    s_port = atoi(argv[2]);
    s_mode = argv[3];
    int nconn = atoi(argv[4]);
    s_pipeline = atoi(argv[5]);
    double secs = atof(argv[6]);
    if (nconn < 1 || s_pipeline < 1 || secs <= 0) return 2;
    conn_t **cs = calloc((size_t)nconn, sizeof *cs);
    pthread_t *th = calloc((size_t)nconn, sizeof *th);
    for (int i = 0; i < nconn; i++) {
        cs[i] = calloc(1, sizeof **cs);
        cs[i]->idx = i;
        cs[i]->fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s_port)};
        inet_pton(AF_INET, s_host, &sa.sin_addr);
        if (connect(cs[i]->fd, (struct sockaddr *)&sa, sizeof sa) < 0) s_die("connect");
        int one = 1;
        setsockopt(cs[i]->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    double t0 = s_now();
    for (int i = 0; i < nconn; i++) pthread_create(&th[i], NULL, s_run, cs[i]);
    while (s_now() - t0 < secs) {
        usleep(10000);
        /* dequeue-ack ends early once the queue is drained */
        int alive = 0;
        for (int i = 0; i < nconn; i++) alive += !cs[i]->finished;
        if (!alive) break;
    }
    s_stop = 1;
    long long total = 0;
    for (int i = 0; i < nconn; i++) {
        pthread_join(th[i], NULL);
        total += cs[i]->done;
    }
    double el = s_now() - t0;
    printf("%.0f %lld %.3f\n", (double)total / el, total, el);
    return 0;
}
