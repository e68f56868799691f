/* Rate limiting: RATELIMIT, RATELIMIT.PEEK, RATELIMIT.RESET and the internal VOLE.RATELIMIT that
 * replays them, over the exact sliding-window log of engine/types/t_ratelimit.h.
 *
 * Time: a request is judged at the engine's clock of the batch (e->now_ms). What is recorded
 * is VOLE.RATELIMIT key max window_ms cost at_ms: the clock reading and the decision, so a
 * replay at any later time rebuilds the same log (a denied request records cost 0, which only
 * drops the entries that left the window, as the original did). A key expires by itself when
 * its newest request leaves the window (its TTL is set to that moment on every change), so
 * idle limiters cost nothing. */
#include "engine/types/t_ratelimit.h"

#include <stdlib.h>
#include <string.h>

#include "engine/effects.h"
#include "engine/snapshot.h"
#include "engine/types/vole_args.h"
#include "shared/util.h"

/* ===================== the sliding-window log ===================== */

ratelimit_t *rl_new(void) {
    ratelimit_t *rl = calloc(1, sizeof *rl);
    if (!rl) abort();
    return rl;
}

void rl_free(ratelimit_t *rl) {
    if (!rl) return;
    free(rl->ring);
    free(rl);
}

static void s_resize(ratelimit_t *rl, uint32_t cap) {
    rl_entry_t *n = malloc((size_t)cap * sizeof *n);
    if (!n) abort();
    for (uint32_t i = 0; i < rl->len; i++) n[i] = *rl_at(rl, i);
    free(rl->ring);
    rl->ring = n;
    rl->cap = cap;
    rl->head = 0;
}

ratelimit_t *rl_dup(const ratelimit_t *rl) {
    ratelimit_t *d = rl_new();
    *d = *rl;
    d->ring = NULL;
    d->cap = d->len = d->head = 0;
    if (rl->len) {
        s_resize(d, rl->len);
        for (uint32_t i = 0; i < rl->len; i++) d->ring[i] = *rl_at(rl, i);
        d->len = rl->len;
    }
    return d;
}

size_t rl_mem(const ratelimit_t *rl) { return sizeof *rl + (size_t)rl->cap * sizeof(rl_entry_t); }

/* Index of the first entry still inside the window at now (entries are in time order). */
static uint32_t s_first_live(const ratelimit_t *rl, int64_t now, int64_t window_ms) {
    uint32_t lo = 0, hi = rl->len;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (rl_at(rl, mid)->ts + window_ms <= now)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint64_t rl_count(const ratelimit_t *rl, int64_t now, int64_t window_ms) {
    uint64_t n = rl->total;
    for (uint32_t i = 0, first = s_first_live(rl, now, window_ms); i < first; i++)
        n -= rl_at(rl, i)->n;
    return n;
}

uint32_t rl_prune(ratelimit_t *rl, int64_t now, int64_t window_ms) {
    uint32_t k = s_first_live(rl, now, window_ms);
    for (uint32_t i = 0; i < k; i++) rl->total -= rl_at(rl, i)->n;
    rl->head = rl->cap ? (rl->head + k) % rl->cap : 0;
    rl->len -= k;
    /* give memory back once a burst has passed */
    if (rl->cap > 16 && rl->len < rl->cap / 4) {
        uint32_t cap = rl->cap;
        while (cap > 16 && rl->len < cap / 4) cap /= 2;
        s_resize(rl, cap);
    }
    if (rl->len == 0) rl->head = 0;
    return k;
}

void rl_push(ratelimit_t *rl, int64_t ts, uint32_t cost) {
    if (rl->len) {
        rl_entry_t *last = (rl_entry_t *)rl_at(rl, rl->len - 1);
        /* a clock that stepped back counts the request at the newest time, keeping order */
        if (ts <= last->ts) {
            last->n += cost;
            rl->total += cost;
            return;
        }
    }
    if (rl->len == rl->cap) s_resize(rl, rl->cap ? rl->cap * 2 : 4);
    rl->ring[(rl->head + rl->len) % rl->cap] = (rl_entry_t){ts, cost};
    rl->len++;
    rl->total += cost;
}

rl_result_t rl_check(const ratelimit_t *rl, int64_t now, int64_t max, int64_t window_ms,
                     int64_t cost) {
    rl_result_t r = {0};
    uint32_t first = s_first_live(rl, now, window_ms);
    /* the total less what left the window: O(1) right after a prune */
    uint64_t used = rl->total;
    for (uint32_t i = 0; i < first; i++) used -= rl_at(rl, i)->n;
    r.reset_at_ms = first < rl->len ? rl_at(rl, first)->ts + window_ms : now;
    if (used + (uint64_t)cost <= (uint64_t)max) {
        r.allowed = 1;
        r.remaining = max - (int64_t)used;
        return r;
    }
    r.remaining = (uint64_t)max > used ? max - (int64_t)used : 0;
    /* the first moment enough of the oldest requests have left for cost more to fit */
    uint64_t need = used + (uint64_t)cost - (uint64_t)max, freed = 0;
    for (uint32_t i = first; i < rl->len; i++) {
        freed += rl_at(rl, i)->n;
        if (freed >= need) {
            r.retry_after_ms = rl_at(rl, i)->ts + window_ms - now;
            break;
        }
    }
    return r;
}

rl_result_t rl_take(ratelimit_t *rl, int64_t now, int64_t max, int64_t window_ms, int64_t cost) {
    rl_prune(rl, now, window_ms);
    rl_result_t r = rl_check(rl, now, max, window_ms, cost);
    if (r.allowed) {
        rl_push(rl, now, (uint32_t)cost);
        r.remaining -= cost;
        r.reset_at_ms = rl_at(rl, 0)->ts + window_ms;
    }
    return r;
}

/* ===================== the object type ===================== */

static ratelimit_t *s_rl(const vobj_t *o) { return o->v.p; }

static void s_free_obj(vobj_t *o) { rl_free(o->v.p); }

static vobj_t *s_wrap(ratelimit_t *rl) {
    vobj_t *o = calloc(1, sizeof *o);
    if (!o) abort();
    o->type = OBJ_RATELIMIT;
    o->enc = ENC_RAW;
    o->v.p = rl;
    return o;
}

static vobj_t *s_dup_obj(const vobj_t *o) { return s_wrap(rl_dup(s_rl(o))); }
static size_t s_mem_obj(const vobj_t *o) { return sizeof *o + rl_mem(s_rl(o)); }

/* Snapshot payload of a rate limit (primitives of engine/snapshot.h):
 *   i64 max, i64 window_ms, u64 n, then n entries oldest first: i64 time delta from the
 *   previous entry (the first from 0, the others > 0), u64 count (>= 1). */
static void s_save(const vobj_t *o, snap_writer_t *w) {
    const ratelimit_t *rl = s_rl(o);
    snap_put_i64(w, rl->max);
    snap_put_i64(w, rl->window_ms);
    snap_put_u64(w, rl->len);
    int64_t prev = 0;
    for (uint32_t i = 0; i < rl->len; i++) {
        const rl_entry_t *en = rl_at(rl, i);
        snap_put_i64(w, en->ts - prev); /* deltas: small numbers, few bytes */
        snap_put_u64(w, en->n);
        prev = en->ts;
    }
}

static vobj_t *s_load(engine_t *e, snap_reader_t *r) {
    (void)e;
    int64_t max, window;
    uint64_t n;
    if (snap_get_i64(r, &max) || snap_get_i64(r, &window) || snap_get_count(r, &n)) return NULL;
    if (max < 1 || window < 1 || window > VOLE_MAX_DURATION_MS || n > UINT32_MAX) {
        snap_fail(r, "rate limit: bad limit, window or entry count");
        return NULL;
    }
    ratelimit_t *rl = rl_new();
    rl->max = max;
    rl->window_ms = window;
    int64_t ts = 0;
    for (uint64_t i = 0; i < n; i++) {
        int64_t d;
        uint64_t cnt;
        if (snap_get_i64(r, &d) || snap_get_u64(r, &cnt)) goto fail;
        if ((i > 0 && d <= 0) || cnt == 0 || cnt > UINT32_MAX || d > INT64_MAX / 2 ||
            d < -(INT64_MAX / 2)) {
            snap_fail(r, "rate limit: entries out of order or empty");
            goto fail;
        }
        ts += d;
        rl_push(rl, ts, (uint32_t)cnt);
    }
    return s_wrap(rl);
fail:
    rl_free(rl);
    return NULL;
}

static const obj_type_t s_ratelimit_type = {"ratelimit", s_free_obj, s_dup_obj, s_mem_obj,
                                            s_save, s_load};

/* ===================== commands ===================== */

static void s_reply_result(client_t *c, const rl_result_t *r) {
    reply_array(c, 4);
    reply_int(c, r->allowed);
    reply_int(c, r->remaining);
    reply_int(c, r->retry_after_ms);
    reply_int(c, r->reset_at_ms);
}

/* max and window (argv[2], argv[3]) of RATELIMIT / RATELIMIT.PEEK. */
static int s_limit_or_reply(client_t *c, int64_t *max, int64_t *window_ms) {
    long long m;
    if (arg_range_or_reply(c, &c->argv[2], 1, UINT32_MAX, &m,
                           "max must be a positive integer (at most 4294967295)"))
        return -1;
    *max = m;
    return arg_seconds_ms_or_reply(c, &c->argv[3], 1, "window", window_ms);
}

/* After a change: the key lives at least until its newest request leaves the window (it
 * goes at once when nothing is counted any more). The TTL is moved only when it falls short,
 * and then to one more window ahead, so a busy limiter does not rewrite its TTL on every
 * request: an idle key goes between one and two windows after its newest request. */
static void s_after_change(engine_t *e, db_t *db, const proto_arg_t *key, ratelimit_t *rl,
                           int64_t window_ms) {
    if (rl->len == 0) {
        db_delete(e, db, key->ptr, key->len);
        notify_keyspace_event(e, NOTIFY_GENERIC, "del", key->ptr, key->len, db->id);
    } else {
        int64_t need = rl_at(rl, rl->len - 1)->ts + window_ms;
        if (db_get_expire(db, key->ptr, key->len) < need)
            db_set_expire(e, db, key->ptr, key->len, need + window_ms);
        notify_keyspace_event(e, NOTIFY_VOLE_TYPE, "ratelimit", key->ptr, key->len, db->id);
    }
    signal_modified_key(e, db, key->ptr, key->len);
    e->stats.dirty++;
}

/* The clock's digits, formatted once per clock value (a batch of requests shares it). */
static proto_arg_t s_now_text(int64_t now) {
    static int64_t cached = -1;
    static char text[24];
    static size_t len;
    if (now != cached) {
        len = (size_t)ll_to_str(text, now);
        cached = now;
    }
    return EFF_ARG(text, len);
}

/* RATELIMIT key max window_seconds [COST n] */
static void cmd_ratelimit(client_t *c) {
    int64_t max, window_ms;
    long long cost = 1;
    const proto_arg_t *cost_arg = NULL;
    const vole_opt_t opts[] = {
        {"cost", 0, 1, UINT32_MAX, "COST must be a positive integer", &cost, &cost_arg}};
    if (s_limit_or_reply(c, &max, &window_ms) || vole_opts_or_reply(c, 4, opts, 1)) return;
    proto_arg_t cost_text = cost_arg ? *cost_arg : EFF_LIT("1");
    if (cost > max) {
        reply_error(c, "COST must not exceed max: such a request could never be allowed");
        return;
    }
    int wrongtype;
    vobj_t *o = lookup_write_or_reply_type(c, &c->argv[1], OBJ_RATELIMIT, &wrongtype);
    if (wrongtype) return;
    engine_t *e = c->eng;
    int64_t now = e->now_ms;
    ratelimit_t *rl;
    if (!o) {
        rl = rl_new();
        o = s_wrap(rl);
        db_add(e, c->db, c->argv[1].ptr, c->argv[1].len, o);
    } else {
        rl = s_rl(o);
    }
    uint32_t dropped = rl_prune(rl, now, window_ms);
    rl_result_t r = rl_take(rl, now, max, window_ms, cost);
    int changed = r.allowed || dropped || rl->max != max || rl->window_ms != window_ms;
    if (changed) {
        rl->max = max;
        rl->window_ms = window_ms;
        /* max and COST were parsed strictly (canonical digits): their text is reused */
        char wb[24];
        proto_arg_t eff[6] = {EFF_LIT("VOLE.RATELIMIT"), c->argv[1], c->argv[2],
                              EFF_ARG(wb, ll_to_str(wb, window_ms)),
                              r.allowed ? cost_text : EFF_LIT("0"), s_now_text(now)};
        effect_add(c, 6, eff);
        s_after_change(e, c->db, &c->argv[1], rl, window_ms);
    } else {
        effect_none(c);
    }
    s_reply_result(c, &r);
}

/* RATELIMIT.PEEK key [max window_seconds]: the verdict for one more request, consuming
 * nothing; without a limit, the key's last one (nil when the key does not exist). */
static void cmd_ratelimit_peek(client_t *c) {
    if (c->argc != 2 && c->argc != 4) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    int64_t max = 0, window_ms = 0;
    if (c->argc == 4 && s_limit_or_reply(c, &max, &window_ms)) return;
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_RATELIMIT, &wrongtype);
    if (wrongtype) return;
    if (!o && c->argc == 2) {
        reply_null(c);
        return;
    }
    ratelimit_t empty = {0};
    const ratelimit_t *rl = o ? s_rl(o) : &empty;
    if (c->argc == 2) {
        max = rl->max;
        window_ms = rl->window_ms;
    }
    rl_result_t r = rl_check(rl, c->eng->now_ms, max, window_ms, 1);
    s_reply_result(c, &r);
}

/* RATELIMIT.RESET key: forgets every counted request (deletes the key). */
static void cmd_ratelimit_reset(client_t *c) {
    int wrongtype;
    vobj_t *o = lookup_write_or_reply_type(c, &c->argv[1], OBJ_RATELIMIT, &wrongtype);
    if (wrongtype) return;
    if (!o) {
        reply_int(c, 0);
        return;
    }
    engine_t *e = c->eng;
    db_delete(e, c->db, c->argv[1].ptr, c->argv[1].len);
    notify_keyspace_event(e, NOTIFY_GENERIC, "del", c->argv[1].ptr, c->argv[1].len, c->db->id);
    signal_modified_key(e, c->db, c->argv[1].ptr, c->argv[1].len);
    e->stats.dirty++;
    reply_int(c, 1);
}

/* VOLE.RATELIMIT key max window_ms cost at_ms (effects only): the entries that left the
 * window at at_ms go, then cost requests (0: none) are counted at at_ms, as decided when the
 * effect was recorded. */
static void cmd_vole_ratelimit(client_t *c) {
    if (internal_only_or_reply(c)) return;
    long long v[4];
    for (int i = 0; i < 4; i++)
        if (arg_ll_or_reply(c, &c->argv[2 + i], &v[i], NULL)) return;
    if (v[0] < 1 || v[0] > UINT32_MAX || v[1] < 1 || v[1] > VOLE_MAX_DURATION_MS || v[2] < 0 ||
        v[2] > v[0]) {
        reply_error(c, "VOLE.RATELIMIT: argument out of range");
        return;
    }
    engine_t *e = c->eng;
    vobj_t *o = db_peek(c->db, c->argv[1].ptr, c->argv[1].len);
    if (o && o->type != OBJ_RATELIMIT) {
        reply_error(c, ERR_WRONGTYPE);
        return;
    }
    if (!o) {
        o = s_wrap(rl_new());
        db_add(e, c->db, c->argv[1].ptr, c->argv[1].len, o);
    }
    ratelimit_t *rl = s_rl(o);
    rl_prune(rl, v[3], v[1]);
    if (v[2] > 0) rl_push(rl, v[3], (uint32_t)v[2]);
    rl->max = v[0];
    rl->window_ms = v[1];
    s_after_change(e, c->db, &c->argv[1], rl, v[1]);
    reply_ok(c);
}

// clang-format off
static command_t s_ratelimit_commands[] = {
    {.name = "ratelimit", .proc = cmd_ratelimit, .arity = -4, .flags = "write denyoom fast",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "ratelimit", .since = "1.0.0",
     .summary = "Counts a request against an exact sliding-window limit and tells whether it is "
                "allowed: [allowed, remaining, retry_after_ms, reset_at_ms].",
     .complexity = "O(log N + E), N being the requests counted in the window (at most max) and "
                   "E those that left it since the last call; O(N) at worst for a denied "
                   "request's retry time.",
     .args = "key:key@0 integer:max double:window ?integer:cost=COST"},
    {.name = "ratelimit.peek", .proc = cmd_ratelimit_peek, .arity = -2,
     .flags = "readonly fast", .keyspecs = "RO access;index:1;range:0,1,0",
     .group = "ratelimit", .since = "1.0.0",
     .summary = "Tells what RATELIMIT would answer for one more request, consuming nothing.",
     .complexity = "O(log N + E), N being the requests counted in the window and E those that "
                   "left it.",
     .args = "key:key@0 ?block:limit(integer:max double:window)"},
    {.name = "ratelimit.reset", .proc = cmd_ratelimit_reset, .arity = 2, .flags = "write fast",
     .keyspecs = "RW delete;index:1;range:0,1,0", .group = "ratelimit", .since = "1.0.0",
     .summary = "Forgets every request counted for a rate limit.", .complexity = "O(1)",
     .args = "key:key@0"},
    {.name = "vole.ratelimit", .proc = cmd_vole_ratelimit, .arity = 6,
     .flags = "write noscript fast", .keyspecs = "RW update;index:1;range:0,1,0",
     .group = "ratelimit", .since = "1.0.0", .doc_flags = "syscmd",
     .summary = "Internal: replays a RATELIMIT decision recorded with its absolute time (only "
                "while effects are replayed).",
     .complexity = "O(log N)",
     .args = "key:key@0 integer:max integer:window-ms integer:cost unix-time:at-ms"},
    {0},
};
// clang-format on

__attribute__((constructor)) static void s_register(void) {
    obj_register_type(OBJ_RATELIMIT, &s_ratelimit_type);
    command_group_register(s_ratelimit_commands);
}
