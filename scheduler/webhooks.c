/* Webhook delivery: reads the engine's STREAM_WEBHOOKS outbox by sequence number, POSTs each
 * record's JSON payload with libcurl's multi interface (many transfers at once, none ever
 * blocking the loop), retries failures with exponential backoff and jitter, signs the body
 * with HMAC-SHA256 when the registration has a secret, and acknowledges a sequence to the
 * engine only when every record up to it is delivered or finally failed (and recorded in the
 * engine's failed list). So a crash of this process loses nothing: its successor subscribes
 * again and the engine still holds every unacknowledged record (at-least-once).
 *
 * The queue is bounded (webhook-queue-max records held here): past it, records the engine
 * sends are left unaccepted and asked for again once the queue has drained to half. */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/scheduler.h"
#include "shared/config.h"
#include "shared/log.h"
#include "shared/proto.h"
#include "shared/schedrec.h"
#include "shared/util.h"

#define BACKOFF_CAP_MS (5 * 60 * 1000)

enum { D_WAITING, D_INFLIGHT, D_RECORDING, D_DONE };

typedef struct dlv {
    uint64_t seq;
    int acked_by_us; /* 0 for records of an engine run that is gone: nothing to acknowledge */
    char *raw;       /* the record as the engine sent it (r points into it) */
    whrec_t r;
    buf_t body;
    int state, attempts;
    int64_t next_try_ms; /* monotonic */
    CURL *easy;
    struct curl_slist *hdrs;
    char errbuf[CURL_ERROR_SIZE];
    char last_error[256];
} dlv_t;

static struct {
    const vole_config_t *cfg;
    CURLM *multi;
    char run_id[41];
    /* the held records, in sequence order (a ring) */
    dlv_t **q;
    size_t head, len, cap;
    size_t inflight;
    uint64_t next_seq;   /* the next sequence we expect from this engine run */
    uint64_t resub_from; /* records from here were refused (queue full): ask again later */
    uint64_t acked;      /* the last sequence acknowledged to this engine run */
    int subscribed, had_data;
    /* scanning the queue for records to start: only when something may have become
     * startable (new records, a finished transfer, a free slot) or a retry comes due */
    int scan;
    int64_t next_due;
    long long delivered, retries, failed, lost, refused, received;
} s_w;

void *webhooks_multi(void) { return s_w.multi; }

/* ===================== payload ===================== */

/* JSON string body: valid UTF-8 as is, other bytes as \u00XX */
static void s_json_str(buf_t *b, const char *p, size_t n) {
    buf_append(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch == '"' || ch == '\\') {
            buf_append(b, "\\", 1);
            buf_append(b, p + i, 1);
        } else if (ch < 0x20) {
            buf_printf(b, "\\u%04x", ch);
        } else if (ch < 0x80) {
            buf_append(b, p + i, 1);
        } else {
            size_t len = ch >= 0xf0 && ch < 0xf5 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc2 && ch < 0xe0 ? 2 : 0;
            size_t k = 1;
            while (len && k < len && i + k < n && ((unsigned char)p[i + k] & 0xc0) == 0x80) k++;
            if (len && k == len) {
                buf_append(b, p + i, len);
                i += len - 1;
            } else {
                buf_printf(b, "\\u%04x", ch);
            }
        }
    }
    buf_append(b, "\"", 1);
}

static void s_body(dlv_t *d) {
    buf_t *b = &d->body;
    buf_append_str(b, "{\"event\":");
    s_json_str(b, d->r.event.p, d->r.event.len);
    buf_append_str(b, ",\"key\":");
    s_json_str(b, d->r.key.p, d->r.key.len);
    buf_printf(b, ",\"db\":%u,\"timestamp\":%lld,\"node\":", d->r.db, (long long)d->r.ts_ms);
    s_json_str(b, d->r.node.p, d->r.node.len);
    buf_append_str(b, "}");
}

/* "sha256=" + hex HMAC-SHA256(secret, body) */
static void s_signature(const dlv_t *d, char *out, size_t cap) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    HMAC(EVP_sha256(), d->r.secret.p, (int)d->r.secret.len, (const unsigned char *)d->body.data,
         d->body.len, mac, &maclen);
    size_t o = (size_t)snprintf(out, cap, "sha256=");
    for (unsigned i = 0; i < maclen && o + 2 < cap; i++) o += (size_t)snprintf(out + o, cap - o, "%02x", mac[i]);
}

/* ===================== transfers ===================== */

static size_t s_discard(char *p, size_t size, size_t n, void *ud) {
    (void)p, (void)ud;
    return size * n;
}

static void s_start(dlv_t *d) {
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(d->last_error, sizeof d->last_error, "cannot create a transfer");
        d->next_try_ms = mono_us() / 1000 + 1000;
        return;
    }
    char url[2100], hdr[256];
    snprintf(url, sizeof url, "%.*s", (int)d->r.url.len, d->r.url.p);
    struct curl_slist *hs = NULL;
    hs = curl_slist_append(hs, "Content-Type: application/json");
    hs = curl_slist_append(hs, "User-Agent: vole-scheduler");
    hs = curl_slist_append(hs, "Expect:"); /* no 100-continue round trip */
    snprintf(hdr, sizeof hdr, "X-Vole-Event: %.*s", (int)d->r.event.len, d->r.event.p);
    hs = curl_slist_append(hs, hdr);
    snprintf(hdr, sizeof hdr, "X-Vole-Delivery: %.16s-%llu", s_w.run_id, (unsigned long long)d->seq);
    hs = curl_slist_append(hs, hdr);
    snprintf(hdr, sizeof hdr, "X-Vole-Attempt: %d", d->attempts + 1);
    hs = curl_slist_append(hs, hdr);
    if (d->r.secret.len) {
        char sig[100];
        s_signature(d, sig, sizeof sig);
        snprintf(hdr, sizeof hdr, "X-Vole-Signature: %s", sig);
        hs = curl_slist_append(hs, hdr);
    }
    d->hdrs = hs;
    d->errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, d->body.data);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)d->body.len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)s_w.cfg->webhook_timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)s_w.cfg->webhook_timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s_discard);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, d->errbuf);
    curl_easy_setopt(h, CURLOPT_PRIVATE, d);
    d->easy = h;
    d->state = D_INFLIGHT;
    s_w.inflight++;
    curl_multi_add_handle(s_w.multi, h);
}

static void s_end_transfer(dlv_t *d) {
    curl_multi_remove_handle(s_w.multi, d->easy);
    curl_easy_cleanup(d->easy);
    curl_slist_free_all(d->hdrs);
    d->easy = NULL;
    d->hdrs = NULL;
    s_w.inflight--;
}

static void s_recorded(void *ctx, const char *resp, size_t len) {
    dlv_t *d = ctx;
    if (sched_reply_is_error(resp, len)) {
        /* the engine went away or refused: try recording it again shortly */
        char why[200];
        sched_reply_summary(resp, len, why, sizeof why);
        log_warn("recording failed delivery %llu: %s; trying again",
                 (unsigned long long)d->seq, why);
        d->state = D_WAITING; /* attempts stays past the limit: the next turn records again */
        d->next_try_ms = mono_us() / 1000 + 1000;
        if (d->next_try_ms < s_w.next_due) s_w.next_due = d->next_try_ms;
        return;
    }
    d->state = D_DONE;
}

static void s_record_failure(dlv_t *d) {
    char db[24], ts[24], att[24], now[24];
    ll_to_str(db, d->r.db);
    ll_to_str(ts, d->r.ts_ms);
    ll_to_str(att, d->attempts);
    ll_to_str(now, now_ms());
    const char *argv[] = {"vole.webhook-failed", d->r.url.p, d->r.event.p, d->r.key.p, db, ts, att,
                          d->last_error, now};
    size_t lens[] = {19, d->r.url.len, d->r.event.len, d->r.key.len, strlen(db), strlen(ts),
                     strlen(att), strlen(d->last_error), strlen(now)};
    d->state = D_RECORDING;
    sched_command(9, argv, lens, s_recorded, d);
}

static void s_finished(dlv_t *d, CURLcode rc) {
    long status = 0;
    s_w.scan = 1; /* a slot is free */
    if (rc == CURLE_OK) curl_easy_getinfo(d->easy, CURLINFO_RESPONSE_CODE, &status);
    s_end_transfer(d);
    d->attempts++;
    if (rc == CURLE_OK && status >= 200 && status < 300) {
        d->state = D_DONE;
        s_w.delivered++;
        return;
    }
    if (rc != CURLE_OK)
        snprintf(d->last_error, sizeof d->last_error, "%s", d->errbuf[0] ? d->errbuf : curl_easy_strerror(rc));
    else snprintf(d->last_error, sizeof d->last_error, "HTTP status %ld", status);
    if (d->attempts > s_w.cfg->webhook_retries) {
        s_w.failed++;
        log_notice("webhook delivery %llu to %.*s failed after %d attempts: %s",
                   (unsigned long long)d->seq, (int)d->r.url.len, d->r.url.p, d->attempts,
                   d->last_error);
        s_record_failure(d);
        return;
    }
    /* exponential backoff with jitter: a random delay in [d/2, d], d = base * 2^(n-1) */
    s_w.retries++;
    int64_t delay = s_w.cfg->webhook_retry_base_ms;
    for (int i = 1; i < d->attempts && delay < BACKOFF_CAP_MS; i++) delay *= 2;
    if (delay > BACKOFF_CAP_MS) delay = BACKOFF_CAP_MS;
    delay = delay / 2 + (int64_t)rand_below((uint64_t)(delay / 2 + 1));
    d->state = D_WAITING;
    d->next_try_ms = mono_us() / 1000 + delay;
    if (d->next_try_ms < s_w.next_due) s_w.next_due = d->next_try_ms;
}

/* ===================== the queue ===================== */

static dlv_t *s_at(size_t i) { return s_w.q[(s_w.head + i) % s_w.cap]; }

static void s_dlv_free(dlv_t *d) {
    if (d->easy) s_end_transfer(d);
    buf_free(&d->body);
    free(d->raw);
    free(d);
}

static void s_push(dlv_t *d) {
    if (s_w.len == s_w.cap) {
        size_t ncap = s_w.cap ? s_w.cap * 2 : 256;
        dlv_t **n = malloc(ncap * sizeof *n);
        if (!n) abort();
        for (size_t i = 0; i < s_w.len; i++) n[i] = s_at(i);
        free(s_w.q);
        s_w.q = n;
        s_w.cap = ncap;
        s_w.head = 0;
    }
    s_w.q[(s_w.head + s_w.len) % s_w.cap] = d;
    s_w.len++;
}

/* Drops the finished records at the front and acknowledges the last one of this run. */
static void s_ack_front(void) {
    uint64_t ack = 0;
    while (s_w.len && s_at(0)->state == D_DONE) {
        dlv_t *d = s_at(0);
        if (d->acked_by_us) ack = d->seq;
        s_dlv_free(d);
        s_w.head = (s_w.head + 1) % s_w.cap;
        s_w.len--;
    }
    if (ack > s_w.acked && sched_send_ctl(MSG_STREAM_ACK, STREAM_WEBHOOKS, ack, 0) == 0)
        s_w.acked = ack;
}

static void s_subscribe(uint64_t from) {
    if (sched_send_ctl(MSG_STREAM_SUB, STREAM_WEBHOOKS, from, 0) == 0) {
        s_w.subscribed = 1;
        s_w.next_seq = from;
        log_verbose("subscribed to the webhook outbox from %llu", (unsigned long long)from);
    }
}

void webhooks_on_engine(const char *run_id, int same_run) {
    if (!same_run) {
        /* a new engine run numbers its outbox from 1 again: what we hold belongs to the old
         * one and is still delivered, but never acknowledged */
        for (size_t i = 0; i < s_w.len; i++) s_at(i)->acked_by_us = 0;
        s_w.acked = 0;
        s_w.had_data = 0;
        s_w.next_seq = 1;
    }
    snprintf(s_w.run_id, sizeof s_w.run_id, "%s", run_id);
    s_w.resub_from = 0;
    /* from 1 on a fresh start: the engine answers GAP with the oldest record it still holds
     * (the first our predecessor did not acknowledge) and we go on from there */
    s_subscribe(s_w.next_seq ? s_w.next_seq : 1);
}

void webhooks_on_link_down(void) { s_w.subscribed = 0; }

void webhooks_on_gap(uint64_t oldest, uint64_t last) {
    if (s_w.had_data && oldest > s_w.next_seq) {
        long long lost = (long long)(oldest - s_w.next_seq);
        s_w.lost += lost;
        log_warn("%lld webhook events were dropped by the engine's full outbox before delivery "
                 "(webhook-outbox-max)", lost);
    }
    (void)last;
    s_subscribe(oldest);
}

void webhooks_on_data(const char *data, size_t len) {
    proto_seqrec_iter_t it;
    uint8_t stream;
    uint64_t seq;
    const char *p;
    size_t n;
    if (proto_seqrec_iter_init(&it, data, len, &stream) < 0 || stream != STREAM_WEBHOOKS) return;
    int rc;
    while ((rc = proto_seqrec_next(&it, &seq, &p, &n)) == 1) {
        if (seq < s_w.next_seq) continue; /* sent again after a re-subscription */
        if (s_w.resub_from) continue;      /* refused: asked for again later */
        if (s_w.len >= (size_t)s_w.cfg->webhook_queue_max) {
            s_w.resub_from = seq;
            s_w.refused++;
            continue;
        }
        s_w.next_seq = seq + 1;
        s_w.had_data = 1;
        s_w.received++;
        dlv_t *d = calloc(1, sizeof *d);
        if (!d) abort();
        d->seq = seq;
        d->acked_by_us = 1;
        d->raw = malloc(n ? n : 1);
        if (!d->raw) abort();
        memcpy(d->raw, p, n);
        buf_init(&d->body);
        if (whrec_decode(d->raw, n, &d->r) < 0) {
            log_warn("dropping malformed webhook record %llu", (unsigned long long)seq);
            d->state = D_DONE;
        } else {
            s_body(d);
        }
        s_push(d);
        s_w.scan = 1;
    }
    if (rc < 0) log_warn("malformed webhook stream message; rest dropped");
}

long webhooks_run(long cap_ms) {
    int running;
    curl_multi_perform(s_w.multi, &running);
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(s_w.multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        dlv_t *d = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&d);
        if (d) s_finished(d, m->data.result);
    }
    int64_t now = mono_us() / 1000;
    long wait = cap_ms;
    size_t max = (size_t)s_w.cfg->webhook_max_inflight;
    if ((s_w.scan || now >= s_w.next_due) && s_w.inflight < max) {
        s_w.scan = 0;
        s_w.next_due = INT64_MAX;
        for (size_t i = 0; i < s_w.len; i++) {
            dlv_t *d = s_at(i);
            if (d->state != D_WAITING) continue;
            if (d->next_try_ms > now) {
                if (d->next_try_ms < s_w.next_due) s_w.next_due = d->next_try_ms;
                continue;
            }
            if (d->attempts > s_w.cfg->webhook_retries) {
                s_record_failure(d); /* recording it failed before: again */
                continue;
            }
            if (s_w.inflight >= max) {
                s_w.scan = 1; /* more to start when a slot frees */
                break;
            }
            s_start(d);
        }
    }
    if (s_w.next_due != INT64_MAX && s_w.next_due - now < wait)
        wait = s_w.next_due <= now ? 0 : (long)(s_w.next_due - now);
    if (s_w.inflight) curl_multi_perform(s_w.multi, &running);
    s_ack_front();
    if (s_w.resub_from && s_w.len <= (size_t)s_w.cfg->webhook_queue_max / 2 && sched_engine_ready()) {
        uint64_t from = s_w.resub_from;
        s_w.resub_from = 0;
        s_subscribe(from);
    }
    long cw = -1;
    curl_multi_timeout(s_w.multi, &cw);
    if (cw >= 0 && cw < wait) wait = cw;
    return wait < 0 ? 0 : wait;
}

int webhooks_stats(const char **names, long long *values, int cap) {
    static const char *const n[] = {"webhook_queued",   "webhook_inflight", "webhook_delivered",
                                    "webhook_retries",  "webhook_failed",   "webhook_lost",
                                    "webhook_refused",  "webhook_received", "webhook_acked_seq",
                                    "webhook_queue_max"};
    long long v[] = {(long long)s_w.len, (long long)s_w.inflight, s_w.delivered, s_w.retries,
                     s_w.failed, s_w.lost, s_w.refused, s_w.received, (long long)s_w.acked,
                     s_w.cfg->webhook_queue_max};
    int k = 0;
    for (; k < (int)(sizeof n / sizeof n[0]) && k < cap; k++) {
        names[k] = n[k];
        values[k] = v[k];
    }
    return k;
}

int webhooks_init(const vole_config_t *cfg) {
    s_w.cfg = cfg;
    s_w.next_due = INT64_MAX;
    s_w.multi = curl_multi_init();
    if (!s_w.multi) {
        log_warn("cannot create a libcurl multi handle");
        return -1;
    }
    curl_multi_setopt(s_w.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)cfg->webhook_max_inflight);
    return 0;
}

void webhooks_shutdown(void) {
    while (s_w.len) {
        s_dlv_free(s_at(0));
        s_w.head = (s_w.head + 1) % s_w.cap;
        s_w.len--;
    }
    free(s_w.q);
    curl_multi_cleanup(s_w.multi);
}
