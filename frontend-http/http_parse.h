/* HTTP/1.1 request parsing for the HTTP frontend on top of libhttp-parser: collects one
 * request at a time (URL, the headers Vole uses, the body, chunked bodies decoded), enforces
 * the size limits and reports each complete request to its owner. Knows nothing of sockets,
 * so the fuzz target drives it directly. */
#ifndef VOLE_HTTP_PARSE_H
#define VOLE_HTTP_PARSE_H
#include <http_parser.h>
#include <stddef.h>

#include "shared/buf.h"

typedef struct {
    int method; /* enum http_method */
    buf_t url;  /* request target as sent */
    buf_t body;
    buf_t auth; /* Authorization value */
    buf_t ns;   /* X-Vole-Namespace value */
    buf_t last_event_id;
    int has_auth, has_ns, has_last_id;
    int keep_alive;
    int expect_continue;
    int origin; /* an Origin header was sent (CORS) */
} hreq_t;

typedef struct hparse hparse_t;
/* Called when the headers are complete: return 1 to pause the parser there (the owner calls
 * hparse_resume() and feeds the rest later), 0 to go on. */
typedef int (*hparse_head_fn)(void *ud, hreq_t *r);
/* Called with each complete request; the request is reset after the call returns. Return 1 to
 * stop parsing after this request (the rest of the input is left unparsed). */
typedef int (*hparse_req_fn)(void *ud, hreq_t *r);

struct hparse {
    http_parser p;
    hreq_t req;
    void *ud;
    hparse_head_fn on_head;
    hparse_req_fn on_request;
    size_t max_head, max_body, head_bytes;
    buf_t hname, hval; /* the header being read */
    int in_value;
    int in_msg;   /* a request has started and is not complete yet */
    int stopped;  /* on_request asked to stop */
    int paused;   /* on_head asked to pause */
    int status;   /* error status to answer (400, 413, 414, 431...), then close */
    const char *why;
};

void hparse_init(hparse_t *hp, size_t max_head, size_t max_body, void *ud, hparse_head_fn on_head,
                 hparse_req_fn on_request);
void hparse_free(hparse_t *hp);
/* Parses data; returns the bytes consumed. Stops early when paused, stopped or on an error
 * (hp->status != 0, with a reason in hp->why). */
size_t hparse_feed(hparse_t *hp, const char *data, size_t len);
void hparse_resume(hparse_t *hp);
#endif
