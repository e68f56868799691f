/* The HTTP API: turns a parsed request into engine commands (a job), and the engine's RESP3
 * replies into the HTTP response; also Server-Sent Events and /metrics. Sockets live in
 * frontend_http.c; this part is pure so the fuzz target and unit tests can drive it. */
#ifndef VOLE_HTTP_API_H
#define VOLE_HTTP_API_H
#include <stddef.h>
#include <stdint.h>

#include "frontend-http/http_parse.h"
#include "shared/buf.h"

struct hroute;

/* Latency histogram bounds of HTTP requests, in seconds. */
#define HAPI_NBUCKETS 12

typedef struct {
    /* settings */
    const char *cors_origin; /* "" = no CORS headers */
    const char *run_dir;     /* where the supervisor's process table file lives */
    /* state the API reads */
    int engine_up;
    long long conns, sse_streams, conns_total;
    /* counters it keeps */
    long long responses[6]; /* by status class: [1] 1xx ... [5] 5xx */
    long long latency_buckets[HAPI_NBUCKETS + 1]; /* cumulative at render time, +Inf last */
    double latency_sum;
    long long latency_count;
    long long sse_events, sse_dropped;
} hapi_t;

typedef struct hjob hjob_t;
struct hjob {
    hjob_t *next;
    const struct hroute *route;
    int ncmds;   /* engine commands to send (prefix included) */
    int nprefix; /* leading AUTH / NAMESPACE / SELECT commands */
    int auth_at; /* index of the AUTH command, -1 when none */
    int got;     /* replies received */
    int reopen;  /* open a fresh engine client first (identity changed) */
    buf_t cmds;  /* per command: u32 argc, then argc x (u32 len, bytes) */
    size_t cpos; /* offset of the argc of the command being built */
    buf_t replies;
    size_t *roff; /* start of each reply in replies, ncmds + 1 entries once all arrived */
    size_t roff_cap;
    buf_t resp;  /* the response bytes once done */
    buf_t xhdr;  /* extra response headers ("Name: value\r\n"...) */
    int done;
    int keep_alive;
    int close_after; /* close the connection once this response is written */
    int sse;         /* an event stream: stays at the head of the queue */
    int sse_started; /* its header was sent */
    int sse_pending; /* subscription confirmations still expected */
    long long sse_id; /* id of the last event sent */
    long long iv[4];
    buf_t sv; /* text the renderer needs (a key name...) */
    int64_t start_us;
    int status; /* status of the response, for the metrics */
};

hjob_t *hjob_new(void);
void hjob_free(hjob_t *j);

/* The identity a request runs as: its Authorization value and its database/namespace choice.
 * A connection whose identity changes gets a fresh engine client, so nothing (an earlier
 * AUTH, a SELECT, a MULTI) leaks from one request's credentials to another's. */
void hapi_identity(const hreq_t *r, buf_t *out);

/* Fills j from request r: either a complete response (j->done) or commands for the engine.
 * identity is the connection's current identity; when the request's differs, j->reopen is set
 * and identity is updated. */
void hapi_route(hapi_t *a, hreq_t *r, hjob_t *j, buf_t *identity);
/* A complete response for a request the parser rejected (status 400/413/414/431/...). */
void hapi_error_response(hapi_t *a, hjob_t *j, int status, const char *why);
/* Appends one engine reply to the job; for an event stream also appends the bytes to send to
 * out. Returns 1 when the job is done (its response is in j->resp). */
int hapi_reply(hapi_t *a, hjob_t *j, const char *p, size_t len, buf_t *out);
/* SSE keep-alive comment. */
void hapi_sse_heartbeat(buf_t *out);
/* Counts a finished response (status class, latency) for /metrics. */
void hapi_account(hapi_t *a, hjob_t *j, int64_t now_us);
/* 408 for a request that did not arrive in time. */
void hapi_timeout_response(hapi_t *a, hjob_t *j);
#endif
