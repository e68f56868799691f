/* Stream consumers: per-consumer position and credit; see engine/streams.h. */
#include "engine/streams.h"

#include <stdlib.h>
#include <string.h>

#include "shared/log.h"

/* Credit: a consumer may have this many records or bytes sent and not acknowledged. */
#define WINDOW_RECORDS 200000
#define WINDOW_BYTES (32u << 20)
#define MSG_MAX_BYTES (1u << 20) /* a DATA message is cut after about this many bytes */

typedef struct sub {
    frontend_t *fe;
    const stream_provider_t *p;
    uint64_t next;   /* next seq to send */
    uint64_t acked;  /* everything <= acked is acknowledged */
    uint64_t gap_at; /* GAP sent for this start; 0 = none pending */
    size_t inflight_bytes;
    /* bytes of records sent and not acknowledged, by seq, to return credit on ACK */
    struct {
        uint64_t seq;
        size_t bytes;
    } *ring;
    size_t rhead, rlen, rcap;
    struct sub *next_sub;
} sub_t;

static const stream_provider_t *s_providers[STREAM_MAX];
static sub_t *s_subs;

void streams_register(const stream_provider_t *p) {
    if (p->id == 0 || p->id >= STREAM_MAX) abort(); /* programming error */
    s_providers[p->id] = p;
}

static sub_t *s_find(frontend_t *fe, uint8_t id) {
    for (sub_t *s = s_subs; s; s = s->next_sub)
        if (s->fe == fe && s->p->id == id) return s;
    return NULL;
}

static void s_free(sub_t *s) {
    free(s->ring);
    free(s);
}

void streams_drop(engine_t *e, frontend_t *fe) { streams_unsub(e, fe, 0); }

int streams_subscribed(engine_t *e, uint8_t id) {
    (void)e;
    for (sub_t *sub = s_subs; sub; sub = sub->next_sub)
        if (sub->p == s_providers[id]) return 1;
    return 0;
}

void streams_unsub(engine_t *e, frontend_t *fe, uint8_t id) {
    (void)e;
    for (sub_t **pp = &s_subs; *pp;) {
        if ((*pp)->fe == fe && (id == 0 || (*pp)->p == s_providers[id])) {
            sub_t *dead = *pp;
            *pp = dead->next_sub;
            s_free(dead);
        } else {
            pp = &(*pp)->next_sub;
        }
    }
}

void streams_on_sub(engine_t *e, frontend_t *fe, const char *data, size_t len) {
    uint8_t id;
    uint64_t from, unused;
    if (proto_get_ctl(data, len, &id, &from, &unused, NULL, NULL) < 0 || id == 0 ||
        id >= STREAM_MAX || !s_providers[id]) {
        log_warn("dropping a malformed stream subscription from %s", fe->role);
        return;
    }
    sub_t *s = s_find(fe, id);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s) abort();
        s->fe = fe;
        s->p = s_providers[id];
        s->next_sub = s_subs;
        s_subs = s;
    }
    s->next = from ? from : s->p->last(e) + 1;
    s->acked = s->next - 1;
    s->gap_at = 0;
    s->inflight_bytes = 0;
    s->rhead = s->rlen = 0;
    log_verbose("%s subscribed to the %s stream from %llu", fe->role, s->p->name,
                (unsigned long long)s->next);
    streams_pump(e);
}

void streams_on_ack(engine_t *e, frontend_t *fe, const char *data, size_t len) {
    uint8_t id;
    uint64_t seq, flags;
    if (proto_get_ctl(data, len, &id, &seq, &flags, NULL, NULL) < 0) {
        log_warn("dropping a malformed stream ack from %s", fe->role);
        return;
    }
    sub_t *s = id < STREAM_MAX ? s_find(fe, id) : NULL;
    if (!s) return;
    if (seq >= s->next) seq = s->next - 1; /* cannot acknowledge what was never sent */
    if (seq > s->acked) s->acked = seq;
    while (s->rlen && s->ring[s->rhead].seq <= s->acked) {
        s->inflight_bytes -= s->ring[s->rhead].bytes;
        s->rhead = (s->rhead + 1) % s->rcap;
        s->rlen--;
    }
    if (s->p->acked) s->p->acked(e, fe, seq, flags);
}

static void s_track(sub_t *s, uint64_t seq, size_t bytes) {
    if (s->rlen == s->rcap) {
        size_t ncap = s->rcap ? s->rcap * 2 : 256;
        __typeof__(s->ring) n = malloc(ncap * sizeof *n);
        if (!n) abort();
        for (size_t i = 0; i < s->rlen; i++) n[i] = s->ring[(s->rhead + i) % s->rcap];
        free(s->ring);
        s->ring = n;
        s->rcap = ncap;
        s->rhead = 0;
    }
    s->ring[(s->rhead + s->rlen) % s->rcap].seq = seq;
    s->ring[(s->rhead + s->rlen) % s->rcap].bytes = bytes;
    s->rlen++;
    s->inflight_bytes += bytes;
}

static void s_pump_one(engine_t *e, sub_t *s, buf_t *b) {
    uint64_t last = s->p->last(e);
    while (s->next <= last) {
        uint64_t oldest = s->p->oldest(e);
        if (s->next < oldest) {
            if (s->gap_at != s->next) {
                s->gap_at = s->next;
                buf_clear(b);
                proto_put_ctl(b, MSG_STREAM_GAP, s->p->id, oldest, last, NULL, 0);
                engine_send_to(e, s->fe, b->data, b->len);
                log_notice("%s asked the %s stream from %llu, the backlog starts at %llu",
                           s->fe->role, s->p->name, (unsigned long long)s->next,
                           (unsigned long long)oldest);
            }
            return;
        }
        if (s->rlen >= WINDOW_RECORDS || s->inflight_bytes >= WINDOW_BYTES) return;
        buf_clear(b);
        proto_begin(b, MSG_STREAM_DATA);
        buf_put_u8(b, s->p->id);
        uint32_t n = 0;
        while (s->next <= last && b->len < MSG_MAX_BYTES && s->rlen < WINDOW_RECORDS &&
               s->inflight_bytes < WINDOW_BYTES) {
            const char *p;
            size_t len;
            if (s->p->get(e, s->next, &p, &len) < 0) break;
            proto_put_seqrec(b, s->next, p, (uint32_t)len);
            s_track(s, s->next, len + 12);
            s->next++;
            n++;
        }
        if (n == 0) return;
        proto_finish(b, n);
        if (engine_send_to(e, s->fe, b->data, b->len) < 0) return;
    }
}

void streams_pump(engine_t *e) {
    if (!s_subs) return;
    static buf_t b;
    /* a failed send only marks the frontend gone (dropped later by the loop), so the list
     * stays intact while we walk it */
    for (sub_t *s = s_subs; s; s = s->next_sub)
        if (!s->fe->gone) s_pump_one(e, s, &b);
    buf_shrink(&b, 1 << 20);
}

int streams_caught_up(engine_t *e, uint8_t id) {
    for (sub_t *s = s_subs; s; s = s->next_sub)
        if (s->p->id == id && !s->fe->gone && s->acked < s->p->last(e)) return 0;
    return 1;
}
