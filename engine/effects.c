/* The effect stream's recording side: builds units as commands run and keeps the most
 * recent ones in a backlog from which consumers (persister, replicator, scheduler) read by
 * sequence number. Encoding of a unit (also the payload of an AOF record, docs/file-formats.md):
 *   u32 ncmds, then per command: u32 db, u32 argc, argc x (u32 len, bytes)
 * all little-endian. */
#include <stdlib.h>
#include <string.h>

#include "engine/core.h"
#include "engine/effects.h"
#include "engine/effects_backlog.h"
#include "engine/streams.h"
#include "shared/log.h"

static effects_t *s_fx(engine_t *e) {
    if (!e->effects) {
        e->effects = calloc(1, sizeof(effects_t));
        if (!e->effects) abort();
        effects_t *fx = e->effects;
        buf_init(&fx->unit);
        buf_init(&fx->ring);
        fx->backlog_max = 64ull << 20;
    }
    return e->effects;
}

static void s_put_cmd(effects_t *fx, int dbid, int argc, const proto_arg_t *argv) {
    if (fx->unit.len == 0) buf_put_u32(&fx->unit, 0);
    buf_put_u32(&fx->unit, (uint32_t)dbid);
    buf_put_u32(&fx->unit, (uint32_t)argc);
    for (int i = 0; i < argc; i++) {
        buf_put_u32(&fx->unit, (uint32_t)argv[i].len);
        buf_append(&fx->unit, argv[i].ptr, argv[i].len);
    }
    fx->unit_cmds++;
}

static void s_record(engine_t *e, int dbid, int argc, const proto_arg_t *argv) {
    if (e->loading || argc < 1) return;
    effects_t *fx = s_fx(e);
    if (fx->off) {
        if (fx->depth == 0) fx->seq++;
        return;
    }
    int standalone = fx->depth == 0;
    if (standalone) effects_unit_begin(e);
    s_put_cmd(fx, dbid, argc, argv);
    if (standalone) effects_unit_end(e);
}

void effect_add_in(client_t *c, int dbid, int argc, const proto_arg_t *argv) {
    engine_t *e = c->eng;
    if (e->loading || (e->effects && ((effects_t *)e->effects)->off)) return;
    s_fx(e)->explicit_set = 1;
    s_record(e, dbid, argc, argv);
}

void effect_add(client_t *c, int argc, const proto_arg_t *argv) {
    effect_add_in(c, c->db ? c->db->id : 0, argc, argv);
}

void effect_add_cstrs(client_t *c, int argc, const char *const *argv) {
    proto_arg_t a[argc > 0 ? argc : 1];
    for (int i = 0; i < argc; i++) a[i] = EFF_ARG(argv[i], strlen(argv[i]));
    effect_add(c, argc, a);
}

void effect_none(client_t *c) {
    if (c->eng->loading) return;
    s_fx(c->eng)->explicit_set = 1;
}

void effect_add_db(engine_t *e, int dbid, int argc, const proto_arg_t *argv) {
    s_record(e, dbid, argc, argv);
}

void effects_unit_begin(engine_t *e) {
    if (e->loading) return;
    s_fx(e)->depth++;
}

/* Drops the oldest units until the backlog fits its budget (always keeping the newest). */
static void s_trim(effects_t *fx) {
    while (fx->nidx > 1 && fx->ring.len - fx->idx[fx->head].off > fx->backlog_max) fx->head++;
    /* compact once the dropped prefix dominates */
    if (fx->head > 0 && fx->head * 2 >= fx->nidx) {
        size_t off0 = fx->idx[fx->head].off;
        memmove(fx->ring.data, fx->ring.data + off0, fx->ring.len - off0);
        fx->ring.len -= off0;
        size_t n = fx->nidx - fx->head;
        memmove(fx->idx, fx->idx + fx->head, n * sizeof *fx->idx);
        for (size_t i = 0; i < n; i++) fx->idx[i].off -= off0;
        fx->nidx = n;
        fx->head = 0;
    }
}

static void s_store_unit(effects_t *fx);

/* A change of recording asked for inside the unit that just ended. */
static void s_apply_pending(engine_t *e, effects_t *fx) {
    if (!fx->pending_off) return;
    int off = fx->pending_off == 2;
    fx->pending_off = 0;
    effects_set_off(e, off);
}

void effects_unit_end(engine_t *e) {
    if (e->loading) return;
    effects_t *fx = s_fx(e);
    if (fx->depth == 0) return; /* programming error guarded: unbalanced end */
    if (--fx->depth > 0) return;
    if (fx->unit_cmds) s_store_unit(fx);
    s_apply_pending(e, fx);
}

/* Numbers the unit built so far and keeps it in the backlog. */
static void s_store_unit(effects_t *fx) {
    uint32_t n = fx->unit_cmds;
    memcpy(fx->unit.data, &n, 4);
    uint64_t seq = ++fx->seq;
    if (fx->nidx == fx->idx_cap) {
        fx->idx_cap = fx->idx_cap ? fx->idx_cap * 2 : 1024;
        fx->idx = realloc(fx->idx, fx->idx_cap * sizeof *fx->idx);
        if (!fx->idx) abort();
    }
    fx->idx[fx->nidx++] = (effects_idx_t){seq, fx->ring.len, fx->unit.len};
    buf_append(&fx->ring, fx->unit.data, fx->unit.len);
    buf_clear(&fx->unit);
    fx->unit_cmds = 0;
    s_trim(fx);
}

void effects_cmd_start(client_t *c, long long dirty_before) {
    (void)dirty_before;
    engine_t *e = c->eng;
    if (e->loading) return;
    effects_t *fx = s_fx(e);
    fx->explicit_set = 0;
    effects_unit_begin(e);
}

void effects_cmd_end(client_t *c, const command_t *cmd, long long dirty_before) {
    engine_t *e = c->eng;
    if (e->loading) return;
    effects_t *fx = s_fx(e);
    if (fx->off) {
        /* nothing is built: a write just moves the numbering on */
        fx->depth--;
        if (fx->depth == 0 && e->stats.dirty != dirty_before) fx->seq++;
        if (fx->depth == 0) s_apply_pending(e, fx);
        return;
    }
    if (!fx->explicit_set && e->stats.dirty != dirty_before && (cmd->flagbits & CMD_WRITE))
        s_put_cmd(fx, c->db ? c->db->id : 0, c->argc, c->argv);
    core_after_command(c, cmd, dirty_before); /* the audit log, in the same unit (core.h) */
    fx->explicit_set = 0;
    effects_unit_end(e);
}

void effects_set_backlog_size(engine_t *e, size_t bytes) { s_fx(e)->backlog_max = bytes; }

void effects_set_off(engine_t *e, int off) {
    effects_t *fx = s_fx(e);
    if (fx->depth) {
        fx->pending_off = off ? 2 : 1;
        return;
    }
    fx->pending_off = 0;
    if (fx->off == off) return;
    fx->off = off;
    buf_clear(&fx->unit);
    fx->unit_cmds = 0;
}

uint64_t effects_last_seq(engine_t *e) { return e->effects ? ((effects_t *)e->effects)->seq : 0; }

void effects_set_seq(engine_t *e, uint64_t seq) {
    effects_t *fx = s_fx(e);
    /* the backlog no longer connects to the new numbering */
    fx->seq = seq;
    fx->nidx = fx->head = 0;
    buf_clear(&fx->ring);
}

uint64_t effects_oldest_seq(engine_t *e) {
    effects_t *fx = s_fx(e);
    return fx->head < fx->nidx ? fx->idx[fx->head].seq : fx->seq + 1;
}

int effects_get(engine_t *e, uint64_t seq, const char **p, size_t *len) {
    effects_t *fx = s_fx(e);
    if (fx->head >= fx->nidx) return -1;
    uint64_t first = fx->idx[fx->head].seq;
    if (seq < first || seq > fx->seq) return -1;
    const effects_idx_t *ix = &fx->idx[fx->head + (seq - first)];
    *p = fx->ring.data + ix->off;
    *len = ix->len;
    return 0;
}

size_t effects_memory(engine_t *e) {
    effects_t *fx = e->effects;
    return fx ? fx->ring.cap + fx->unit.cap + fx->idx_cap * sizeof *fx->idx : 0;
}

void effects_free(engine_t *e) {
    effects_t *fx = e->effects;
    if (!fx) return;
    buf_free(&fx->unit);
    buf_free(&fx->ring);
    free(fx->idx);
    free(fx);
    e->effects = NULL;
}

int effects_unit_decode(const char *p, size_t len, effects_visit_fn *visit, void *ctx) {
    size_t pos = 0;
    uint32_t ncmds;
    if (len < 4) return -1;
    memcpy(&ncmds, p, 4);
    pos = 4;
    proto_arg_t argv[64], *args = argv;
    size_t args_cap = 64;
    int rc = 0;
    for (uint32_t k = 0; k < ncmds && rc == 0; k++) {
        uint32_t db, argc;
        if (len - pos < 8) { rc = -1; break; }
        memcpy(&db, p + pos, 4);
        memcpy(&argc, p + pos + 4, 4);
        pos += 8;
        if (argc == 0 || argc > (len - pos) / 4) { rc = -1; break; }
        if (argc > args_cap) {
            proto_arg_t *n = malloc(argc * sizeof *n);
            if (!n) abort();
            if (args != argv) free(args);
            args = n;
            args_cap = argc;
        }
        for (uint32_t i = 0; i < argc; i++) {
            uint32_t l;
            if (len - pos < 4) { rc = -1; break; }
            memcpy(&l, p + pos, 4);
            pos += 4;
            if (l > len - pos) { rc = -1; break; }
            args[i] = EFF_ARG(p + pos, l);
            pos += l;
        }
        if (rc == 0 && visit) rc = visit(ctx, (int)db, (int)argc, args) < 0 ? -2 : 0;
    }
    if (rc == 0 && pos != len) rc = -1;
    if (args != argv) free(args);
    return rc;
}

/* ---------- the effect stream as a provider for consumers ---------- */

static uint64_t s_last(engine_t *e) { return effects_last_seq(e); }

static void s_acked(engine_t *e, frontend_t *fe, uint64_t seq, uint64_t flags) {
    if ((flags & STREAM_ACK_F_DURABLE) && !strcmp(fe->role, "persister")) engine_on_durable(e, seq);
}

static const stream_provider_t s_provider = {STREAM_EFFECTS, "effect", effects_oldest_seq, s_last,
                                             effects_get, s_acked};

__attribute__((constructor)) static void s_register(void) { streams_register(&s_provider); }
