/* Reply writer: encodes RESP for the client's protocol straight into the outgoing message
 * of the client's frontend, opening a new reply record whenever another client speaks. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "shared/resp.h"
#include "shared/util.h"

/* Returns the buffer to append c's reply bytes to, with c's record open. */
static void s_flush_push(client_t *c);

static buf_t *s_out(client_t *c) {
    frontend_t *fe = c->fe;
    if (c->pushbuf.len) s_flush_push(c); /* gathered messages come before this reply */
    if (fe->out_client != c) {
        if (fe->out_client) proto_reply_end(&fe->out, fe->out_lenpos);
        if (fe->out.len == 0) proto_begin(&fe->out, MSG_REPLY_BATCH);
        fe->out_lenpos = proto_reply_begin(&fe->out, c->fe_id,
                                           (c->flags & CLIENT_PUBSUB) ? REPLY_F_PUBSUB : 0);
        fe->out_count++;
        fe->out_client = c;
    }
    return &fe->out;
}

static void s_flush_push(client_t *c) {
    buf_t pb = c->pushbuf;
    buf_init(&c->pushbuf); /* s_out below must not flush again */
    buf_append(s_out(c), pb.data, pb.len);
    buf_free(&pb);
}

void reply_push_raw(client_t *c, const char *p, size_t len) {
    frontend_t *fe = c->fe;
    if (c->pushbuf.len == 0) {
        if (fe->npushing == fe->pushing_cap) {
            fe->pushing_cap = fe->pushing_cap ? fe->pushing_cap * 2 : 64;
            fe->pushing = realloc(fe->pushing, fe->pushing_cap * sizeof *fe->pushing);
            if (!fe->pushing) abort();
        }
        fe->pushing[fe->npushing++] = c;
    }
    buf_append(&c->pushbuf, p, len);
}

void reply_flush_pushes(frontend_t *fe) {
    for (size_t i = 0; i < fe->npushing; i++)
        if (fe->pushing[i] && fe->pushing[i]->pushbuf.len) s_flush_push(fe->pushing[i]);
    fe->npushing = 0;
}

void reply_mark_close(client_t *c) {
    buf_t *b = s_out(c);
    b->data[c->fe->out_lenpos - 1] |= REPLY_F_CLOSE;
}

void reply_raw(client_t *c, const char *p, size_t len) { buf_append(s_out(c), p, len); }
void reply_ok(client_t *c) { buf_append(s_out(c), "+OK\r\n", 5); }
void reply_simple(client_t *c, const char *s) { resp_simple(s_out(c), s, strlen(s)); }

static void s_error_len(client_t *c, const char *msg, size_t len) {
    buf_t *b = s_out(c);
    if (len && msg[0] == '-') {
        resp_error(b, msg + 1, len - 1);
    } else {
        char *p = buf_reserve(b, 4);
        memcpy(p, "-ERR", 4);
        b->len += 4;
        /* resp_error writes its own '-': emit " msg" after "-ERR" by hand instead */
        char *q = buf_reserve(b, len + 3);
        q[0] = ' ';
        for (size_t i = 0; i < len; i++) q[1 + i] = (msg[i] == '\r' || msg[i] == '\n') ? ' ' : msg[i];
        q[len + 1] = '\r';
        q[len + 2] = '\n';
        b->len += len + 3;
    }
    c->eng->stats.total_error_replies++;
}

void reply_error(client_t *c, const char *msg) { s_error_len(c, msg, strlen(msg)); }

void reply_errorf(client_t *c, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof tmp) n = sizeof tmp - 1;
    s_error_len(c, tmp, (size_t)n);
}

void reply_int(client_t *c, long long v) { resp_int(s_out(c), v); }
void reply_bulk(client_t *c, const char *p, size_t len) { resp_bulk(s_out(c), p, len); }
void reply_bulk_cstr(client_t *c, const char *s) { resp_bulk(s_out(c), s, strlen(s)); }
void reply_bulk_ll(client_t *c, long long v) { resp_bulk_ll(s_out(c), v); }

void reply_bulk_obj(client_t *c, const vobj_t *o) {
    char tmp[24];
    size_t len;
    const char *p = obj_str(o, tmp, &len);
    resp_bulk(s_out(c), p, len);
}

void reply_null(client_t *c) { resp_null(s_out(c), c->resp); }
void reply_null_array(client_t *c) { resp_null_array(s_out(c), c->resp); }
void reply_array(client_t *c, long long n) { resp_array(s_out(c), n); }
void reply_map(client_t *c, long long npairs) { resp_map(s_out(c), c->resp, npairs); }
void reply_set(client_t *c, long long n) { resp_set(s_out(c), c->resp, n); }
void reply_push(client_t *c, long long n) { resp_push(s_out(c), c->resp, n); }
void reply_double(client_t *c, double d) { resp_double(s_out(c), c->resp, d); }
void reply_bool(client_t *c, int v) { resp_bool(s_out(c), c->resp, v); }
void reply_verbatim(client_t *c, const char *p, size_t len, const char *ext3) {
    resp_verbatim(s_out(c), c->resp, p, len, ext3);
}

/* Deferred lengths: the handle is the absolute offset in the frontend's buffer where the
 * header goes; the header is inserted later, shifting what followed. */
size_t reply_deferred_len(client_t *c) { return s_out(c)->len; }

static void s_insert_header(client_t *c, size_t at, char type, long long n) {
    frontend_t *fe = c->fe;
    char hdr[32];
    hdr[0] = type;
    int k = ll_to_str(hdr + 1, n);
    hdr[1 + k] = '\r';
    hdr[2 + k] = '\n';
    size_t hl = (size_t)k + 3;
    buf_reserve(&fe->out, hl);
    memmove(fe->out.data + at + hl, fe->out.data + at, fe->out.len - at);
    memcpy(fe->out.data + at, hdr, hl);
    fe->out.len += hl;
    if (fe->out_lenpos > at) {
        /* another client's record opened after the deferral: the deferring client's record
         * was closed with a length that must grow by the inserted header */
        fe->out_lenpos += hl;
        size_t pos = PROTO_HEADER_SIZE;
        while (pos < at) {
            uint32_t len;
            memcpy(&len, fe->out.data + pos + 5, 4);
            if (pos + 9 + len >= at) {
                len += (uint32_t)hl;
                memcpy(fe->out.data + pos + 5, &len, 4);
                break;
            }
            pos += 9 + len;
        }
    }
}

void reply_set_deferred_len(client_t *c, size_t handle, long long n) {
    s_insert_header(c, handle, '*', n);
}

void reply_set_deferred_map_len(client_t *c, size_t handle, long long npairs) {
    if (c->resp == 3) s_insert_header(c, handle, '%', npairs);
    else s_insert_header(c, handle, '*', npairs * 2);
}

static void s_upper(char *dst, size_t cap, const proto_arg_t *a) {
    size_t n = a->len < cap - 1 ? a->len : cap - 1;
    for (size_t i = 0; i < n; i++) dst[i] = (char)toupper((unsigned char)a->ptr[i]);
    dst[n] = '\0';
}

void reply_help(client_t *c, const char **lines) {
    char cmd[129], first[256];
    s_upper(cmd, sizeof cmd, &c->argv[0]);
    long long n = 0;
    while (lines[n]) n++;
    reply_array(c, n + 3);
    snprintf(first, sizeof first, "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", cmd);
    reply_simple(c, first);
    for (long long i = 0; i < n; i++) reply_simple(c, lines[i]);
    reply_simple(c, "HELP");
    reply_simple(c, "    Prints this help.");
}

void reply_subcommand_syntax_error(client_t *c) {
    char cmd[129];
    s_upper(cmd, sizeof cmd, &c->argv[0]);
    int n = c->argc > 1 ? (int)(c->argv[1].len < 128 ? c->argv[1].len : 128) : 0;
    reply_errorf(c, "unknown subcommand or wrong number of arguments for '%.*s'. Try %s HELP.", n,
                 c->argc > 1 ? c->argv[1].ptr : "", cmd);
}
