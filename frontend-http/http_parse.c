/* Request collection over libhttp-parser's callbacks, with Vole's limits. */
#include "frontend-http/http_parse.h"

#include <strings.h>

static hparse_t *s_hp(http_parser *p) { return p->data; }

static void s_req_clear(hreq_t *r) {
    buf_clear(&r->url);
    buf_clear(&r->body);
    buf_clear(&r->auth);
    buf_clear(&r->ns);
    buf_clear(&r->last_event_id);
    r->has_auth = r->has_ns = r->has_last_id = 0;
    r->keep_alive = r->expect_continue = r->origin = 0;
    r->method = 0;
    buf_shrink(&r->body, 64 * 1024);
}

static int s_fail(hparse_t *hp, int status, const char *why) {
    hp->status = status;
    hp->why = why;
    return 1; /* a non-zero callback result stops http_parser with an error */
}

static int s_head_bytes(hparse_t *hp, size_t n) {
    hp->head_bytes += n;
    return hp->head_bytes > hp->max_head;
}

static int s_on_begin(http_parser *p) {
    hparse_t *hp = s_hp(p);
    hp->in_msg = 1;
    hp->head_bytes = 0;
    hp->in_value = 0;
    buf_clear(&hp->hname);
    buf_clear(&hp->hval);
    s_req_clear(&hp->req);
    return 0;
}

static int s_on_url(http_parser *p, const char *at, size_t n) {
    hparse_t *hp = s_hp(p);
    if (s_head_bytes(hp, n)) return s_fail(hp, 414, "request target too long");
    buf_append(&hp->req.url, at, n);
    return 0;
}

static int s_name_is(const buf_t *b, const char *name) {
    size_t n = strlen(name);
    return b->len == n && strncasecmp(b->data, name, n) == 0;
}

/* Keeps the headers Vole acts on; the others are only counted against the limit. */
static void s_header_done(hparse_t *hp) {
    hreq_t *r = &hp->req;
    const buf_t *n = &hp->hname, *v = &hp->hval;
    if (s_name_is(n, "authorization")) {
        buf_clear(&r->auth);
        buf_append(&r->auth, v->data, v->len);
        r->has_auth = 1;
    } else if (s_name_is(n, "x-vole-namespace")) {
        buf_clear(&r->ns);
        buf_append(&r->ns, v->data, v->len);
        r->has_ns = 1;
    } else if (s_name_is(n, "last-event-id")) {
        buf_clear(&r->last_event_id);
        buf_append(&r->last_event_id, v->data, v->len);
        r->has_last_id = 1;
    } else if (s_name_is(n, "expect")) {
        r->expect_continue = v->len == 12 && strncasecmp(v->data, "100-continue", 12) == 0;
    } else if (s_name_is(n, "origin")) {
        r->origin = 1;
    }
    buf_clear(&hp->hname);
    buf_clear(&hp->hval);
    hp->in_value = 0;
}

static int s_on_hfield(http_parser *p, const char *at, size_t n) {
    hparse_t *hp = s_hp(p);
    if (s_head_bytes(hp, n)) return s_fail(hp, 431, "request header fields too large");
    if (hp->in_value) s_header_done(hp);
    buf_append(&hp->hname, at, n);
    return 0;
}

static int s_on_hvalue(http_parser *p, const char *at, size_t n) {
    hparse_t *hp = s_hp(p);
    if (s_head_bytes(hp, n)) return s_fail(hp, 431, "request header fields too large");
    hp->in_value = 1;
    buf_append(&hp->hval, at, n);
    return 0;
}

static int s_on_headers_complete(http_parser *p) {
    hparse_t *hp = s_hp(p);
    if (hp->in_value) s_header_done(hp);
    if (p->http_major != 1) {
        s_fail(hp, 505, "HTTP version not supported");
        http_parser_pause(p, 1);
        return 0;
    }
    if ((p->flags & F_CONTENTLENGTH) && p->content_length > hp->max_body) {
        s_fail(hp, 413, "request body too large");
        http_parser_pause(p, 1); /* stop before reading the body */
        return 0;
    }
    hp->req.method = (int)p->method;
    hp->req.keep_alive = http_should_keep_alive(p);
    if (hp->on_head && hp->on_head(hp->ud, &hp->req)) {
        hp->paused = 1;
        http_parser_pause(p, 1);
    }
    return 0;
}

static int s_on_body(http_parser *p, const char *at, size_t n) {
    hparse_t *hp = s_hp(p);
    if (hp->req.body.len + n > hp->max_body) return s_fail(hp, 413, "request body too large");
    buf_append(&hp->req.body, at, n);
    return 0;
}

static int s_on_complete(http_parser *p) {
    hparse_t *hp = s_hp(p);
    hp->in_msg = 0;
    hp->req.method = (int)p->method;
    hp->req.keep_alive = http_should_keep_alive(p);
    if (hp->on_request(hp->ud, &hp->req)) {
        hp->stopped = 1;
        http_parser_pause(p, 1);
    }
    s_req_clear(&hp->req);
    return 0;
}

static const http_parser_settings s_settings = {
    .on_message_begin = s_on_begin,
    .on_url = s_on_url,
    .on_header_field = s_on_hfield,
    .on_header_value = s_on_hvalue,
    .on_headers_complete = s_on_headers_complete,
    .on_body = s_on_body,
    .on_message_complete = s_on_complete,
};

void hparse_init(hparse_t *hp, size_t max_head, size_t max_body, void *ud, hparse_head_fn on_head,
                 hparse_req_fn on_request) {
    memset(hp, 0, sizeof *hp);
    http_parser_init(&hp->p, HTTP_REQUEST);
    hp->p.data = hp;
    hp->ud = ud;
    hp->on_head = on_head;
    hp->on_request = on_request;
    hp->max_head = max_head;
    hp->max_body = max_body;
    buf_init(&hp->hname);
    buf_init(&hp->hval);
}

void hparse_free(hparse_t *hp) {
    buf_free(&hp->req.url);
    buf_free(&hp->req.body);
    buf_free(&hp->req.auth);
    buf_free(&hp->req.ns);
    buf_free(&hp->req.last_event_id);
    buf_free(&hp->hname);
    buf_free(&hp->hval);
}

void hparse_resume(hparse_t *hp) {
    hp->paused = 0;
    http_parser_pause(&hp->p, 0);
}

size_t hparse_feed(hparse_t *hp, const char *data, size_t len) {
    if (hp->status || hp->stopped || hp->paused || len == 0) return 0;
    size_t n = http_parser_execute(&hp->p, &s_settings, data, len);
    enum http_errno e = HTTP_PARSER_ERRNO(&hp->p);
    if (e == HPE_OK || e == HPE_PAUSED) return n;
    if (!hp->status) {
        if (e == HPE_HEADER_OVERFLOW) {
            hp->status = 431;
            hp->why = "request header fields too large";
        } else if (e == HPE_INVALID_METHOD) {
            hp->status = 501;
            hp->why = "method not implemented";
        } else if (e == HPE_INVALID_VERSION) {
            hp->status = 505;
            hp->why = "HTTP version not supported";
        } else {
            hp->status = 400;
            hp->why = http_errno_description(e);
        }
    }
    return n;
}
