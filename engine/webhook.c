/* Webhooks, the engine's half (DESIGN.md §7): the registrations (WEBHOOK REGISTER / LIST /
 * UNREGISTER), the failed-deliveries list (WEBHOOK FAILED), and the outbox: every keyspace
 * event matching a registration becomes one delivery record, numbered by its own sequence and
 * served to the scheduler as stream STREAM_WEBHOOKS (engine/streams.h). The scheduler POSTs
 * it and acknowledges a sequence only once the delivery succeeded or finally failed (it
 * then records the failure here with VOLE.WEBHOOK-FAILED), so the outbox keeps everything
 * not yet acknowledged and a restarted scheduler resumes where its predecessor stopped.
 *
 * Bounds: the outbox keeps at most webhook-outbox-max records and webhook-outbox-max-bytes
 * bytes; past either, the oldest records are dropped (counted in WEBHOOK STATS as
 * outbox_dropped, logged) and a scheduler that had not acknowledged them gets a GAP and
 * goes on from the oldest record kept.
 *
 * The outbox is persisted like data, so deliveries not yet acknowledged survive a restart of
 * the engine (or of everything): a record appended records the effect `VOLE.WEBHOOK-OUTBOX
 * ADD record` in the unit of the write that caused it, an acknowledgement records
 * `VOLE.WEBHOOK-OUTBOX ACK seq`, and the records still held are the snapshot section
 * "webhook-outbox". Replayed, they rebuild the outbox with the same sequence numbers (events
 * themselves are never raised by a replay). A scheduler that meets a new engine run
 * subscribes from 1, gets GAP with the oldest record kept and goes on from there.
 *
 * Registrations and the failed list are engine data: persisted as the "webhooks" snapshot
 * section and as effects (the commands replay as they are). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/commands.h"
#include "engine/effects.h"
#include "engine/sched.h"
#include "engine/snapshot.h"
#include "engine/streams.h"
#include "shared/log.h"
#include "shared/schedrec.h"
#include "shared/util.h"


#define FAILED_MAX 1000 /* failed deliveries kept (oldest dropped first) */

typedef struct hook {
    vstr_t *pattern, *event, *url, *secret; /* secret NULL: unsigned */
    struct hook *next;
} hook_t;

typedef struct {
    vstr_t *url, *event, *key, *error;
    int64_t ts_ms, failed_ms;
    long long db, attempts;
} failed_t;

typedef struct {
    uint64_t seq;
    char *data;
    size_t len;
} outrec_t;

long long webhook_count;

static struct {
    hook_t *hooks, *tail;
    /* outbox: a ring of records, oldest at head */
    outrec_t *ring;
    size_t head, len, cap;
    size_t bytes;
    uint64_t last_seq;
    long long max_records, max_bytes;
    long long dropped, appended;
    /* failed deliveries: a ring, oldest at fhead */
    failed_t *failed;
    size_t fhead, flen;
    long long failed_total;
    /* the scheduler's own counters (VOLE.SCHEDULER-STATS), shown by WEBHOOK STATS */
    vstr_t **sched_stats;
    int nsched_stats;
    int64_t sched_stats_ms;
    buf_t scratch;
} s_wh = {.max_records = 100000, .max_bytes = 64LL << 20};

void webhook_configure(long long outbox_max, long long outbox_max_bytes) {
    if (outbox_max > 0) s_wh.max_records = outbox_max;
    if (outbox_max_bytes > 0) s_wh.max_bytes = outbox_max_bytes;
}

/* ===================== registrations ===================== */

static int s_eq(const vstr_t *s, const proto_arg_t *a) {
    return s->len == a->len && memcmp(s->ptr, a->ptr, a->len) == 0;
}

static hook_t *s_find(const proto_arg_t *pat, const proto_arg_t *ev, const proto_arg_t *url,
                      hook_t **prev) {
    hook_t *p = NULL;
    for (hook_t *h = s_wh.hooks; h; p = h, h = h->next) {
        if (s_eq(h->pattern, pat) && s_eq(h->event, ev) && s_eq(h->url, url)) {
            if (prev) *prev = p;
            return h;
        }
    }
    return NULL;
}

static void s_hook_free(hook_t *h) {
    vstr_free(h->pattern);
    vstr_free(h->event);
    vstr_free(h->url);
    if (h->secret) vstr_free(h->secret);
    free(h);
}

static void s_hook_add(const char *pat, size_t pl, const char *ev, size_t el, const char *url,
                       size_t ul, const char *sec, size_t sl) {
    hook_t *h = calloc(1, sizeof *h);
    if (!h) abort();
    h->pattern = vstr_new(pat, pl);
    h->event = vstr_new(ev, el);
    /* event names are lowercase, as Redis raises them */
    for (size_t i = 0; i < el; i++)
        if (h->event->ptr[i] >= 'A' && h->event->ptr[i] <= 'Z') h->event->ptr[i] += 32;
    h->url = vstr_new(url, ul);
    h->secret = sec ? vstr_new(sec, sl) : NULL;
    if (s_wh.tail) s_wh.tail->next = h;
    else s_wh.hooks = h;
    s_wh.tail = h;
    webhook_count++;
}

static void s_hook_unlink(hook_t *h, hook_t *prev) {
    if (prev) prev->next = h->next;
    else s_wh.hooks = h->next;
    if (s_wh.tail == h) s_wh.tail = prev;
    s_hook_free(h);
    webhook_count--;
}

static int s_url_ok(const proto_arg_t *a) {
    if (a->len > 2048 || memchr(a->ptr, '\0', a->len) || memchr(a->ptr, ' ', a->len)) return 0;
    size_t hl = a->len >= 8 && !strncasecmp(a->ptr, "https://", 8) ? 8
                : a->len >= 7 && !strncasecmp(a->ptr, "http://", 7) ? 7 : 0;
    return hl && a->len > hl;
}

static int s_event_ok(const proto_arg_t *a) {
    if (a->len == 0 || a->len > 64) return 0;
    if (a->len == 1 && a->ptr[0] == '*') return 1;
    for (size_t i = 0; i < a->len; i++) {
        char ch = a->ptr[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

/* ===================== the outbox ===================== */

static void s_outbox_pop(void) {
    outrec_t *r = &s_wh.ring[s_wh.head];
    s_wh.bytes -= r->len;
    free(r->data);
    s_wh.head = (s_wh.head + 1) % s_wh.cap;
    s_wh.len--;
}

static void s_outbox_push(const char *p, size_t len) {
    while (s_wh.len && ((long long)s_wh.len >= s_wh.max_records ||
                        (long long)(s_wh.bytes + len) > s_wh.max_bytes)) {
        if (s_wh.dropped++ % 10000 == 0)
            log_warn("webhook outbox full (%zu records, %zu bytes): dropping the oldest "
                     "undelivered events (%lld dropped so far)", s_wh.len, s_wh.bytes,
                     s_wh.dropped);
        s_outbox_pop();
    }
    if (s_wh.len == s_wh.cap) {
        size_t ncap = s_wh.cap ? s_wh.cap * 2 : 64;
        outrec_t *n = malloc(ncap * sizeof *n);
        if (!n) abort();
        for (size_t i = 0; i < s_wh.len; i++) n[i] = s_wh.ring[(s_wh.head + i) % s_wh.cap];
        free(s_wh.ring);
        s_wh.ring = n;
        s_wh.cap = ncap;
        s_wh.head = 0;
    }
    outrec_t *r = &s_wh.ring[(s_wh.head + s_wh.len) % s_wh.cap];
    r->seq = ++s_wh.last_seq;
    r->data = malloc(len);
    if (!r->data) abort();
    memcpy(r->data, p, len);
    r->len = len;
    s_wh.len++;
    s_wh.bytes += len;
    s_wh.appended++;
}

void webhook_key_event(engine_t *e, const char *event, const char *key, size_t keylen, int dbid) {
    if (!webhook_count || e->loading) return; /* replayed history was delivered already */
    size_t evlen = strlen(event);
    /* '*' means what Redis's class "A" means: "new" and "keymiss" only when asked by name */
    int in_star = strcmp(event, "new") != 0 && strcmp(event, "keymiss") != 0;
    for (hook_t *h = s_wh.hooks; h; h = h->next) {
        int star = h->event->len == 1 && h->event->ptr[0] == '*';
        if (star ? !in_star : h->event->len != evlen || memcmp(h->event->ptr, event, evlen) != 0)
            continue;
        if (!glob_match(h->pattern->ptr, h->pattern->len, key, keylen, 0)) continue;
        whrec_t r = {
            .url = {h->url->ptr, h->url->len},
            .secret = {h->secret ? h->secret->ptr : "", h->secret ? h->secret->len : 0},
            .event = {event, evlen},
            .key = {key, keylen},
            .node = {e->cfg.bind_addr, strlen(e->cfg.bind_addr)},
            .ts_ms = e->now_ms, /* the batch's (or timer's) clock, read once */
            .db = (uint32_t)dbid,
        };
        buf_clear(&s_wh.scratch);
        whrec_encode(&s_wh.scratch, &r);
        s_outbox_push(s_wh.scratch.data, s_wh.scratch.len);
        proto_arg_t eff[3] = {EFF_LIT("VOLE.WEBHOOK-OUTBOX"), EFF_LIT("ADD"),
                              EFF_ARG(s_wh.scratch.data, s_wh.scratch.len)};
        effect_add_db(e, dbid, 3, eff); /* in the unit of the write that raised the event */
    }
    buf_shrink(&s_wh.scratch, 1 << 16);
}

static uint64_t s_oldest(engine_t *e) {
    (void)e;
    return s_wh.len ? s_wh.ring[s_wh.head].seq : s_wh.last_seq + 1;
}
static uint64_t s_last(engine_t *e) { return (void)e, s_wh.last_seq; }
static int s_get(engine_t *e, uint64_t seq, const char **p, size_t *len) {
    (void)e;
    if (!s_wh.len || seq < s_wh.ring[s_wh.head].seq || seq > s_wh.last_seq) return -1;
    const outrec_t *r = &s_wh.ring[(s_wh.head + (seq - s_wh.ring[s_wh.head].seq)) % s_wh.cap];
    *p = r->data;
    *len = r->len;
    return 0;
}
/* delivered (or finally failed and recorded): no longer needed */
static void s_acked(engine_t *e, frontend_t *fe, uint64_t seq, uint64_t flags) {
    (void)fe, (void)flags;
    if (!s_wh.len || s_wh.ring[s_wh.head].seq > seq) return;
    while (s_wh.len && s_wh.ring[s_wh.head].seq <= seq) s_outbox_pop();
    buf_shrink(&s_wh.scratch, 0);
    char num[24];
    int nl = ll_to_str(num, (long long)seq);
    proto_arg_t eff[3] = {EFF_LIT("VOLE.WEBHOOK-OUTBOX"), EFF_LIT("ACK"), EFF_ARG(num, nl)};
    effect_add_db(e, 0, 3, eff);
}

/* VOLE.WEBHOOK-OUTBOX ADD record | ACK seq: effects only (refused outside a replay). */
static void cmd_vole_webhook_outbox(client_t *c) {
    engine_t *e = c->eng;
    if (!e->loading) {
        reply_error(c, "VOLE.WEBHOOK-OUTBOX is internal: it only replays recorded effects");
        return;
    }
    if (arg_is(&c->argv[1], "add")) {
        s_outbox_push(c->argv[2].ptr, c->argv[2].len);
    } else if (arg_is(&c->argv[1], "ack")) {
        long long seq;
        if (arg_ll_or_reply(c, &c->argv[2], &seq, NULL)) return;
        while (s_wh.len && s_wh.ring[s_wh.head].seq <= (uint64_t)seq) s_outbox_pop();
    } else {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    reply_ok(c);
}

static const stream_provider_t s_provider = {STREAM_WEBHOOKS, "webhooks", s_oldest, s_last,
                                             s_get, s_acked};

/* ===================== failed deliveries ===================== */

static void s_failed_free(failed_t *f) {
    vstr_free(f->url);
    vstr_free(f->event);
    vstr_free(f->key);
    vstr_free(f->error);
}

static void s_failed_add(const proto_arg_t *url, const proto_arg_t *ev, const proto_arg_t *key,
                         long long db, int64_t ts, long long attempts, const proto_arg_t *err,
                         int64_t failed_ms) {
    if (!s_wh.failed) {
        s_wh.failed = calloc(FAILED_MAX, sizeof *s_wh.failed);
        if (!s_wh.failed) abort();
    }
    if (s_wh.flen == FAILED_MAX) {
        s_failed_free(&s_wh.failed[s_wh.fhead]);
        s_wh.fhead = (s_wh.fhead + 1) % FAILED_MAX;
        s_wh.flen--;
    }
    failed_t *f = &s_wh.failed[(s_wh.fhead + s_wh.flen) % FAILED_MAX];
    f->url = vstr_new(url->ptr, url->len);
    f->event = vstr_new(ev->ptr, ev->len);
    f->key = vstr_new(key->ptr, key->len);
    f->error = vstr_new(err->ptr, err->len);
    f->db = db;
    f->ts_ms = ts;
    f->attempts = attempts;
    f->failed_ms = failed_ms;
    s_wh.flen++;
    s_wh.failed_total++;
}

/* ===================== commands ===================== */

/* WEBHOOK REGISTER pattern event url [SECRET s] */
static void cmd_webhook_register(client_t *c) {
    const proto_arg_t *a = c->argv;
    const proto_arg_t *secret = NULL;
    if (c->argc == 7 && arg_is(&a[5], "secret")) secret = &a[6];
    else if (c->argc != 5) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (!s_event_ok(&a[3])) {
        reply_error(c, "-ERR invalid event name: use a keyspace event such as set, del, "
                       "expired, evicted, or * for every event");
        return;
    }
    if (!s_url_ok(&a[4])) {
        reply_error(c, "-ERR invalid webhook URL: want http://... or https://...");
        return;
    }
    if (secret && secret->len == 0) {
        reply_error(c, "-ERR the SECRET must not be empty");
        return;
    }
    hook_t *prev, *h = s_find(&a[2], &a[3], &a[4], &prev);
    if (h) s_hook_unlink(h, prev); /* registering again replaces the secret */
    s_hook_add(a[2].ptr, a[2].len, a[3].ptr, a[3].len, a[4].ptr, a[4].len,
               secret ? secret->ptr : NULL, secret ? secret->len : 0);
    c->eng->stats.dirty++;
    reply_ok(c);
}

/* WEBHOOK UNREGISTER pattern event url */
static void cmd_webhook_unregister(client_t *c) {
    proto_arg_t ev = c->argv[3];
    char low[64];
    if (ev.len <= sizeof low) { /* registrations store the event lowercased */
        for (size_t i = 0; i < ev.len; i++)
            low[i] = (char)(ev.ptr[i] >= 'A' && ev.ptr[i] <= 'Z' ? ev.ptr[i] + 32 : ev.ptr[i]);
        ev.ptr = low;
    }
    hook_t *prev, *h = s_find(&c->argv[2], &ev, &c->argv[4], &prev);
    if (!h) {
        reply_int(c, 0);
        return;
    }
    s_hook_unlink(h, prev);
    c->eng->stats.dirty++;
    reply_int(c, 1);
}

static void cmd_webhook_list(client_t *c) {
    reply_array(c, webhook_count);
    for (hook_t *h = s_wh.hooks; h; h = h->next) {
        reply_map(c, 4);
        reply_bulk_cstr(c, "pattern");
        reply_bulk(c, h->pattern->ptr, h->pattern->len);
        reply_bulk_cstr(c, "event");
        reply_bulk(c, h->event->ptr, h->event->len);
        reply_bulk_cstr(c, "url");
        reply_bulk(c, h->url->ptr, h->url->len);
        reply_bulk_cstr(c, "signed");
        reply_bulk_cstr(c, h->secret ? "yes" : "no");
    }
}

/* WEBHOOK FAILED [COUNT n]: the newest first */
static void cmd_webhook_failed(client_t *c) {
    long long count = 10;
    if (c->argc == 4 && arg_is(&c->argv[2], "count")) {
        if (arg_range_or_reply(c, &c->argv[3], 1, FAILED_MAX, &count,
                               "-ERR COUNT must be between 1 and 1000") < 0)
            return;
    } else if (c->argc != 2) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    long long n = (long long)s_wh.flen < count ? (long long)s_wh.flen : count;
    reply_array(c, n);
    for (long long i = 0; i < n; i++) {
        const failed_t *f = &s_wh.failed[(s_wh.fhead + s_wh.flen - 1 - (size_t)i) % FAILED_MAX];
        reply_map(c, 8);
        reply_bulk_cstr(c, "event");
        reply_bulk(c, f->event->ptr, f->event->len);
        reply_bulk_cstr(c, "key");
        reply_bulk(c, f->key->ptr, f->key->len);
        reply_bulk_cstr(c, "db");
        reply_int(c, f->db);
        reply_bulk_cstr(c, "timestamp");
        reply_int(c, f->ts_ms);
        reply_bulk_cstr(c, "url");
        reply_bulk(c, f->url->ptr, f->url->len);
        reply_bulk_cstr(c, "attempts");
        reply_int(c, f->attempts);
        reply_bulk_cstr(c, "error");
        reply_bulk(c, f->error->ptr, f->error->len);
        reply_bulk_cstr(c, "failed_at");
        reply_int(c, f->failed_ms);
    }
}

/* WEBHOOK STATS: the outbox and the scheduler's last report */
static void cmd_webhook_stats(client_t *c) {
    reply_map(c, 9 + s_wh.nsched_stats / 2);
    reply_bulk_cstr(c, "webhooks");
    reply_int(c, webhook_count);
    reply_bulk_cstr(c, "outbox_records");
    reply_int(c, (long long)s_wh.len);
    reply_bulk_cstr(c, "outbox_bytes");
    reply_int(c, (long long)s_wh.bytes);
    reply_bulk_cstr(c, "outbox_appended");
    reply_int(c, s_wh.appended);
    reply_bulk_cstr(c, "outbox_dropped");
    reply_int(c, s_wh.dropped);
    reply_bulk_cstr(c, "outbox_last_seq");
    reply_int(c, (long long)s_wh.last_seq);
    reply_bulk_cstr(c, "failed_total");
    reply_int(c, s_wh.failed_total);
    reply_bulk_cstr(c, "failed_kept");
    reply_int(c, (long long)s_wh.flen);
    reply_bulk_cstr(c, "scheduler_report_age_ms");
    reply_int(c, s_wh.sched_stats_ms ? c->eng->now_ms - s_wh.sched_stats_ms : -1);
    for (int i = 0; i + 1 < s_wh.nsched_stats; i += 2) {
        reply_bulk(c, s_wh.sched_stats[i]->ptr, s_wh.sched_stats[i]->len);
        reply_bulk(c, s_wh.sched_stats[i + 1]->ptr, s_wh.sched_stats[i + 1]->len);
    }
}

static void cmd_webhook_help(client_t *c) {
    static const char *lines[] = {
        "WEBHOOK <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "REGISTER <pattern> <event> <url> [SECRET <secret>]",
        "    POST every <event> (set, del, expired, evicted, any keyspace event name, or *)",
        "    on a key matching <pattern> to <url>, signed with HMAC-SHA256 when SECRET is set.",
        "UNREGISTER <pattern> <event> <url>",
        "    Removes that registration.",
        "LIST",
        "    Lists the registrations.",
        "FAILED [COUNT <n>]",
        "    The latest deliveries that failed after every retry, newest first.",
        "STATS",
        "    Outbox and delivery counters.",
        "HELP",
        "    Prints this help.",
        NULL};
    reply_help(c, lines);
}

/* VOLE.WEBHOOK-FAILED url event key db timestamp attempts error failed_at */
static void cmd_vole_webhook_failed(client_t *c) {
    if (sched_internal_or_reply(c) < 0) return;
    long long db, ts, attempts, failed_at;
    const proto_arg_t *a = c->argv;
    if (arg_ll_or_reply(c, &a[4], &db, NULL) < 0 || arg_ll_or_reply(c, &a[5], &ts, NULL) < 0 ||
        arg_ll_or_reply(c, &a[6], &attempts, NULL) < 0 ||
        arg_ll_or_reply(c, &a[8], &failed_at, NULL) < 0)
        return;
    s_failed_add(&a[1], &a[2], &a[3], db, ts, attempts, &a[7], failed_at);
    c->eng->stats.dirty++;
    reply_ok(c);
}

/* VOLE.SCHEDULER-STATS name value [name value ...]: the scheduler's counters, kept for
 * WEBHOOK STATS; not data (nothing is recorded). */
static void cmd_vole_scheduler_stats(client_t *c) {
    if (sched_internal_or_reply(c) < 0) return;
    if ((c->argc - 1) % 2) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    for (int i = 0; i < s_wh.nsched_stats; i++) vstr_free(s_wh.sched_stats[i]);
    free(s_wh.sched_stats);
    s_wh.nsched_stats = c->argc - 1;
    s_wh.sched_stats = calloc((size_t)s_wh.nsched_stats + 1, sizeof *s_wh.sched_stats);
    if (!s_wh.sched_stats) abort();
    for (int i = 0; i < s_wh.nsched_stats; i++)
        s_wh.sched_stats[i] = vstr_new(c->argv[i + 1].ptr, c->argv[i + 1].len);
    s_wh.sched_stats_ms = c->eng->now_ms;
    reply_ok(c);
}

void webhook_reset(void) {
    while (s_wh.hooks) s_hook_unlink(s_wh.hooks, NULL);
    while (s_wh.len) s_outbox_pop();
    while (s_wh.flen) {
        s_failed_free(&s_wh.failed[s_wh.fhead]);
        s_wh.fhead = (s_wh.fhead + 1) % FAILED_MAX;
        s_wh.flen--;
    }
    free(s_wh.failed);
    free(s_wh.ring);
    for (int i = 0; i < s_wh.nsched_stats; i++) vstr_free(s_wh.sched_stats[i]);
    free(s_wh.sched_stats);
    buf_free(&s_wh.scratch);
    s_wh.failed = NULL;
    s_wh.ring = NULL;
    s_wh.sched_stats = NULL;
    s_wh.nsched_stats = 0;
    s_wh.head = s_wh.cap = s_wh.fhead = 0;
}

/* ===================== snapshot section ===================== */

static void s_save(engine_t *e, snap_writer_t *w) {
    (void)e;
    snap_put_u64(w, (uint64_t)webhook_count);
    for (hook_t *h = s_wh.hooks; h; h = h->next) {
        snap_put_bytes(w, h->pattern->ptr, h->pattern->len);
        snap_put_bytes(w, h->event->ptr, h->event->len);
        snap_put_bytes(w, h->url->ptr, h->url->len);
        snap_put_u64(w, h->secret ? 1 : 0);
        if (h->secret) snap_put_bytes(w, h->secret->ptr, h->secret->len);
    }
    snap_put_u64(w, s_wh.flen);
    for (size_t i = 0; i < s_wh.flen; i++) {
        const failed_t *f = &s_wh.failed[(s_wh.fhead + i) % FAILED_MAX];
        snap_put_bytes(w, f->url->ptr, f->url->len);
        snap_put_bytes(w, f->event->ptr, f->event->len);
        snap_put_bytes(w, f->key->ptr, f->key->len);
        snap_put_bytes(w, f->error->ptr, f->error->len);
        snap_put_i64(w, f->db);
        snap_put_i64(w, f->ts_ms);
        snap_put_i64(w, f->attempts);
        snap_put_i64(w, f->failed_ms);
    }
}

/* reads one byte string into a freshly allocated copy (the reader's pointer is short-lived) */
static int s_get_copy(snap_reader_t *r, proto_arg_t *out, char **own) {
    const char *p;
    size_t n;
    if (snap_get_bytes(r, &p, &n) < 0) return -1;
    *own = malloc(n + 1);
    if (!*own) abort();
    memcpy(*own, p, n);
    *out = (proto_arg_t){*own, n};
    return 0;
}

static int s_load(engine_t *e, snap_reader_t *r) {
    (void)e;
    uint64_t n, has;
    if (snap_get_count(r, &n) < 0) return -1;
    for (uint64_t i = 0; i < n; i++) {
        proto_arg_t f[4] = {{0}};
        char *own[4] = {0};
        int rc = s_get_copy(r, &f[0], &own[0]) < 0 || s_get_copy(r, &f[1], &own[1]) < 0 ||
                         s_get_copy(r, &f[2], &own[2]) < 0 || snap_get_u64(r, &has) < 0 ||
                         (has && s_get_copy(r, &f[3], &own[3]) < 0)
                     ? -1 : 0;
        if (rc == 0 && (!s_url_ok(&f[2]) || !s_event_ok(&f[1])))
            rc = snap_fail(r, "a webhook registration with an invalid URL or event");
        if (rc == 0)
            s_hook_add(f[0].ptr, f[0].len, f[1].ptr, f[1].len, f[2].ptr, f[2].len,
                       has ? f[3].ptr : NULL, f[3].len);
        for (int k = 0; k < 4; k++) free(own[k]);
        if (rc < 0) return -1;
    }
    if (snap_get_count(r, &n) < 0) return -1;
    for (uint64_t i = 0; i < n; i++) {
        proto_arg_t f[4] = {{0}};
        char *own[4] = {0};
        int64_t db = 0, ts = 0, attempts = 0, failed_ms = 0;
        int rc = s_get_copy(r, &f[0], &own[0]) < 0 || s_get_copy(r, &f[1], &own[1]) < 0 ||
                         s_get_copy(r, &f[2], &own[2]) < 0 || s_get_copy(r, &f[3], &own[3]) < 0 ||
                         snap_get_i64(r, &db) < 0 || snap_get_i64(r, &ts) < 0 ||
                         snap_get_i64(r, &attempts) < 0 || snap_get_i64(r, &failed_ms) < 0
                     ? -1 : 0;
        if (rc == 0) s_failed_add(&f[0], &f[1], &f[2], db, ts, attempts, &f[3], failed_ms);
        for (int k = 0; k < 4; k++) free(own[k]);
        if (rc < 0) return -1;
    }
    return 0;
}

static void s_clear(engine_t *e) {
    (void)e;
    webhook_reset();
}

static const snap_section_t s_section = {"webhooks", s_save, s_load, s_clear};

/* "webhook-outbox": u64 last sequence number, then the records still held (consecutive
 * numbers, ending at the last one), oldest first. */
static void s_outbox_save(engine_t *e, snap_writer_t *w) {
    (void)e;
    snap_put_u64(w, s_wh.last_seq);
    snap_put_u64(w, s_wh.len);
    for (size_t i = 0; i < s_wh.len; i++) {
        const outrec_t *r = &s_wh.ring[(s_wh.head + i) % s_wh.cap];
        snap_put_bytes(w, r->data, r->len);
    }
}

static int s_outbox_load(engine_t *e, snap_reader_t *r) {
    (void)e;
    uint64_t last, n;
    if (snap_get_u64(r, &last) < 0 || snap_get_count(r, &n) < 0) return -1;
    if (n > last) return snap_fail(r, "more outbox records than sequence numbers");
    while (s_wh.len) s_outbox_pop();
    s_wh.last_seq = last - n; /* the records get last - n + 1 .. last again */
    for (uint64_t i = 0; i < n; i++) {
        const char *p;
        size_t len;
        if (snap_get_bytes(r, &p, &len) < 0) return -1;
        s_outbox_push(p, len);
    }
    s_wh.last_seq = last;
    return 0;
}

static void s_outbox_clear(engine_t *e) {
    (void)e;
    while (s_wh.len) s_outbox_pop();
    s_wh.last_seq = 0;
}

static const snap_section_t s_outbox_section = {"webhook-outbox", s_outbox_save, s_outbox_load,
                                                s_outbox_clear};

// clang-format off
static command_t s_webhook_subs[] = {
    {.name = "register", .proc = cmd_webhook_register, .arity = -5, .flags = "write denyoom",
     .acl = "keyspace", .group = "webhook", .since = "1.0.0",
     .summary = "Registers an HTTP endpoint to be called on key events matching a pattern.",
     .complexity = "O(N), N being the number of registrations.",
     .args = "pattern:pattern string:event string:url ?string:secret=SECRET"},
    {.name = "unregister", .proc = cmd_webhook_unregister, .arity = 5, .flags = "write",
     .acl = "keyspace", .group = "webhook", .since = "1.0.0",
     .summary = "Removes a webhook registration.",
     .complexity = "O(N), N being the number of registrations.",
     .args = "pattern:pattern string:event string:url"},
    {.name = "list", .proc = cmd_webhook_list, .arity = 2, .flags = "readonly",
     .acl = "keyspace", .group = "webhook", .since = "1.0.0",
     .summary = "Lists the webhook registrations (secrets are not shown).",
     .complexity = "O(N), N being the number of registrations."},
    {.name = "failed", .proc = cmd_webhook_failed, .arity = -2, .flags = "readonly",
     .acl = "keyspace", .group = "webhook", .since = "1.0.0",
     .summary = "Lists the latest deliveries that failed after their last retry.",
     .complexity = "O(N), N being the number of entries returned.",
     .args = "?integer:count=COUNT"},
    {.name = "stats", .proc = cmd_webhook_stats, .arity = 2, .flags = "readonly",
     .group = "webhook", .since = "1.0.0", .tips = "nondeterministic_output",
     .summary = "Returns the delivery outbox and scheduler counters.", .complexity = "O(1)"},
    {.name = "help", .proc = cmd_webhook_help, .arity = 2, .flags = "loading stale",
     .group = "webhook", .since = "1.0.0", .summary = "Lists the WEBHOOK subcommands.",
     .complexity = "O(1)"},
    {0}};

static command_t s_webhook_commands[] = {
    {.name = "webhook", .arity = -2, .group = "webhook", .since = "1.0.0",
     .summary = "A container for webhook commands.", .complexity = "Depends on the subcommand.",
     .subcommands = s_webhook_subs},
    {.name = "vole.webhook-failed", .proc = cmd_vole_webhook_failed, .arity = 9,
     .flags = "write noscript", .group = "webhook", .since = "1.0.0",
     .summary = "Internal: the scheduler records a delivery that failed after its last retry.",
     .complexity = "O(1)",
     .args = "string:url string:event string:key integer:db integer:timestamp "
             "integer:attempts string:error integer:failed-at"},
    {.name = "vole.webhook-outbox", .proc = cmd_vole_webhook_outbox, .arity = 3,
     .flags = "write noscript", .group = "webhook", .since = "1.0.0",
     .summary = "Internal: replays an outbox record or an acknowledgement from the effect "
                "stream (refused outside a replay).",
     .complexity = "O(1)", .args = "string:action string:argument"},
    {.name = "vole.scheduler-stats", .proc = cmd_vole_scheduler_stats, .arity = -1,
     .flags = "noscript loading stale", .group = "webhook", .since = "1.0.0",
     .summary = "Internal: the scheduler reports its delivery counters.", .complexity = "O(N)",
     .args = "*block:stat(string:name string:value)"},
    {0}};
// clang-format on

__attribute__((constructor)) static void s_reg(void) {
    command_group_register(s_webhook_commands);
    streams_register(&s_provider);
    snapshot_register_section(&s_section);
    snapshot_register_section(&s_outbox_section);
}
