/* The engine's client registry (one client per frontend connection) and the argument
 * helpers handlers use to parse numbers and look keys up with Redis's error replies. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/blocking.h"
#include "engine/engine.h"
#include "engine/monitor.h"
#include "engine/multi.h"
#include "engine/pubsub.h"
#include "engine/tracking.h"
#include "shared/util.h"

static uint64_t s_id_hash(const void *k) {
    uint64_t v = (uint64_t)(uintptr_t)k;
    return dict_hash_bytes(&v, sizeof v);
}
static int s_id_eq(const void *a, const void *b) { return a == b; }
const dict_type_t client_ids_type = {s_id_hash, s_id_eq, NULL, NULL};

client_t *client_new(engine_t *e, frontend_t *fe, uint32_t fe_id) {
    client_t *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->id = e->next_client_id++;
    c->eng = e;
    c->fe = fe;
    c->fe_id = fe_id;
    c->db = &e->dbs[0];
    c->resp = 2;
    c->ctime_ms = c->last_ms = now_ms();
    if (fe) dict_add(fe->clients, (void *)(uintptr_t)fe_id, c);
    /* as Redis: a connection made while the default user has no password is authenticated;
     * Vole's own clients always are */
    if (!config_requirepass()[0] || !fe || fe->hidden) c->flags |= CLIENT_AUTHED;
    if (!fe || !fe->hidden) {
        e->connected_clients++;
        e->stats.total_connections++;
    }
    return c;
}

void client_free(engine_t *e, client_t *c) {
    if (!c) return;
    blocking_client_free(c);
    multi_client_free(c);
    pubsub_client_free(c);
    monitor_client_free(c);
    tracking_client_free(c);
    if (c->fe) {
        dict_delete(c->fe->clients, (void *)(uintptr_t)c->fe_id);
        if (c->fe->out_client == c) {
            proto_reply_end(&c->fe->out, c->fe->out_lenpos);
            c->fe->out_client = NULL;
        }
    }
    if (c->name) vstr_free(c->name);
    if (c->fe)
        for (size_t i = 0; i < c->fe->npushing; i++)
            if (c->fe->pushing[i] == c) c->fe->pushing[i] = NULL;
    buf_free(&c->pushbuf);
    if (!c->fe || !c->fe->hidden) e->connected_clients--;
    free(c);
}

void client_kill(engine_t *e, client_t *target) {
    (void)e;
    target->flags |= CLIENT_KILLED | CLIENT_CLOSE_AFTER_REPLY;
    reply_mark_close(target);
}

/* ---------- argument helpers ---------- */

int arg_is(const proto_arg_t *a, const char *lit) {
    /* Redis compares options as C strings, so bytes after a NUL do not count */
    const char *nul = memchr(a->ptr, '\0', a->len);
    size_t alen = nul ? (size_t)(nul - a->ptr) : a->len;
    size_t n = strlen(lit);
    return alen == n && strncasecmp(a->ptr, lit, n) == 0;
}

int arg_ll_or_reply(client_t *c, const proto_arg_t *a, long long *out, const char *err) {
    if (str_to_ll(a->ptr, a->len, out)) return 0;
    reply_error(c, err ? err : ERR_NOT_INT);
    return -1;
}

int arg_ld_or_reply(client_t *c, const proto_arg_t *a, long double *out, const char *err) {
    if (str_to_ld(a->ptr, a->len, out)) return 0;
    reply_error(c, err ? err : ERR_NOT_FLOAT);
    return -1;
}

int arg_double_or_reply(client_t *c, const proto_arg_t *a, double *out, const char *err) {
    if (str_to_d(a->ptr, a->len, out)) return 0;
    reply_error(c, err ? err : ERR_NOT_FLOAT);
    return -1;
}

int arg_range_or_reply(client_t *c, const proto_arg_t *a, long long min, long long max,
                       long long *out, const char *err) {
    if (arg_ll_or_reply(c, a, out, err)) return -1;
    if (*out < min || *out > max) {
        if (err) reply_error(c, err);
        else reply_errorf(c, "value is out of range, value must between %lld and %lld", min, max);
        return -1;
    }
    return 0;
}

int arg_positive_or_reply(client_t *c, const proto_arg_t *a, long long *out, const char *err) {
    if (arg_ll_or_reply(c, a, out, err)) return -1;
    if (*out < 0) {
        reply_error(c, err ? err : "value is out of range, must be positive");
        return -1;
    }
    return 0;
}

int arg_cursor_or_reply(client_t *c, const proto_arg_t *a, uint64_t *out) {
    /* as Redis: strtoul over the argument as a C string, no leading space, no junk */
    char stack[64];
    char *s = a->len < sizeof stack ? stack : malloc(a->len + 1);
    if (!s) abort();
    memcpy(s, a->ptr, a->len);
    s[a->len] = '\0';
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    int bad = (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')) || *end != '\0' || errno == ERANGE;
    if (s != stack) free(s);
    if (bad) {
        reply_error(c, "invalid cursor");
        return -1;
    }
    *out = v;
    return 0;
}

int scan_opts_or_reply(client_t *c, int first, long long *count, const proto_arg_t **pat,
                       const proto_arg_t **type) {
    *pat = NULL;
    if (type) *type = NULL;
    for (int i = first; i < c->argc; i += 2) {
        int more = c->argc - i >= 2;
        if (more && arg_is(&c->argv[i], "count")) {
            if (arg_ll_or_reply(c, &c->argv[i + 1], count, NULL)) return -1;
            if (*count < 1) {
                reply_error(c, ERR_SYNTAX);
                return -1;
            }
        } else if (more && arg_is(&c->argv[i], "match")) {
            *pat = &c->argv[i + 1];
        } else if (more && type && arg_is(&c->argv[i], "type")) {
            *type = &c->argv[i + 1];
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    /* "*" matches everything: no need to match at all */
    if (*pat && (*pat)->len == 1 && (*pat)->ptr[0] == '*') *pat = NULL;
    return 0;
}

static vobj_t *s_lookup_type(client_t *c, vobj_t *o, int type, int *wrongtype) {
    if (wrongtype) *wrongtype = 0;
    if (o && o->type != type) {
        reply_error(c, ERR_WRONGTYPE);
        if (wrongtype) *wrongtype = 1;
        return NULL;
    }
    return o;
}

vobj_t *lookup_read_or_reply_type(client_t *c, const proto_arg_t *key, int type, int *wrongtype) {
    return s_lookup_type(c, db_lookup_read(c->eng, c->db, key->ptr, key->len), type, wrongtype);
}

vobj_t *lookup_write_or_reply_type(client_t *c, const proto_arg_t *key, int type, int *wrongtype) {
    return s_lookup_type(c, db_lookup_write(c->eng, c->db, key->ptr, key->len), type, wrongtype);
}
