/* Client-side caching (CLIENT TRACKING): the table of keys tracking clients read, the BCAST
 * prefixes, and the invalidation messages, as Redis 7.0 sends them. */
#include "engine/tracking.h"

#include <stdlib.h>
#include <string.h>

#include "engine/commands.h"
#include "engine/pubsub.h"
#include "shared/util.h"


enum {
    T_ON = 1,
    T_BCAST = 2,
    T_OPTIN = 4,
    T_OPTOUT = 8,
    T_CACHING = 16,
    T_NOLOOP = 32,
    T_BROKEN = 64
};

typedef struct {
    uint64_t *v;
    size_t n, cap;
} s_ids_t;

typedef struct {
    client_t *c;
    uint32_t flags;
    uint64_t redir;
    vstr_t **prefixes; /* BCAST prefixes, sorted */
    size_t nprefixes;
} s_state_t;

typedef struct {
    vstr_t *key;
    uint64_t by; /* the client that changed it (0: none), for NOLOOP */
} s_bkey_t;

typedef struct {
    vstr_t *prefix;
    s_ids_t clients;
    s_bkey_t *keys; /* changed since the last flush, sorted, unique */
    size_t nkeys, capkeys;
} s_prefix_t;

long long tracking_clients_count;
static dict_t *s_table;        /* vstr_t* key -> s_ids_t* */
static dict_t *s_states;       /* client id -> s_state_t* */
static s_prefix_t *s_prefixes; /* sorted by prefix */
static size_t s_nprefixes;
static long long s_items; /* (key, client) pairs in s_table: INFO tracking_total_items */
static client_t *s_current;
/* invalidations the current client caused to itself: sent after its reply; a NULL key
 * stands for a flush. The owner is kept because dispatch nests (unblocked clients' deferred
 * commands run inside the command that served them). */
typedef struct {
    vstr_t *key;
    uint64_t owner;
} s_pend_t;
static s_pend_t *s_pending;
static size_t s_npending, s_cappending;

static void s_idsfree(void *v) {
    s_ids_t *ids = v;
    free(ids->v);
    free(ids);
}
static const dict_type_t s_table_type = {vstr_dict_hash, vstr_dict_eq, vstr_dict_free, s_idsfree};
static uint64_t s_idhash(const void *k) {
    uint64_t v = (uint64_t)(uintptr_t)k;
    return dict_hash_bytes(&v, sizeof v);
}
static int s_ideq(const void *a, const void *b) { return a == b; }
static const dict_type_t s_states_type = {s_idhash, s_ideq, NULL, NULL};

static void s_init(void) {
    if (s_table) return;
    s_table = dict_new(&s_table_type);
    s_states = dict_new(&s_states_type);
}

static s_state_t *s_state(const client_t *c) {
    if (!s_states) return NULL;
    dict_entry_t *de = dict_find(s_states, (void *)(uintptr_t)c->id);
    return de ? de->v.val : NULL;
}

static s_state_t *s_state_by_id(uint64_t id) {
    if (!s_states) return NULL;
    dict_entry_t *de = dict_find(s_states, (void *)(uintptr_t)id);
    return de ? de->v.val : NULL;
}

static int s_ids_add(s_ids_t *ids, uint64_t id) {
    size_t i = 0;
    while (i < ids->n && ids->v[i] < id)
        i++;
    if (i < ids->n && ids->v[i] == id) return 0;
    if (ids->n == ids->cap) {
        ids->cap = ids->cap ? ids->cap * 2 : 4;
        ids->v = realloc(ids->v, ids->cap * sizeof *ids->v);
        if (!ids->v) abort();
    }
    memmove(&ids->v[i + 1], &ids->v[i], (ids->n - i) * sizeof *ids->v);
    ids->v[i] = id;
    ids->n++;
    return 1;
}

static void s_ids_del(s_ids_t *ids, uint64_t id) {
    for (size_t i = 0; i < ids->n; i++) {
        if (ids->v[i] != id) continue;
        memmove(&ids->v[i], &ids->v[i + 1], (ids->n - i - 1) * sizeof *ids->v);
        ids->n--;
        return;
    }
}

/* Finds a client by id among all frontends (REDIRECT targets). */
static client_t *s_client_by_id(engine_t *e, uint64_t id) {
    for (frontend_t *fe = e->frontends; fe; fe = fe->next) {
        if (fe->hidden) continue; /* Vole's own clients (loader, scheduler) */
        dict_iter_t it;
        dict_entry_t *de;
        client_t *found = NULL;
        dict_iter_init(&it, fe->clients);
        while ((de = dict_iter_next(&it))) {
            client_t *cl = de->v.val;
            if (cl->id == id && !(cl->flags & CLIENT_CLOSED)) {
                found = cl;
                break;
            }
        }
        dict_iter_done(&it);
        if (found) return found;
    }
    return NULL;
}

/* ---------- messages ---------- */

/* One invalidation for st's client: keys (nkeys >= 1) or, with keys NULL, the flush null.
 * Goes to the client itself in RESP3, or to its REDIRECT target (a RESP3 push, or a
 * __redis__:invalidate message when the target is a RESP2 client in pub/sub mode). */
static void s_send(engine_t *e, s_state_t *st, const vstr_t *const *keys, size_t nkeys,
                   const s_bkey_t *bkeys) {
    client_t *c = st->c;
    int from_resp = c->resp;
    int redirected = 0;
    if (st->redir) {
        client_t *r = s_client_by_id(e, st->redir);
        if (!r) {
            st->flags |= T_BROKEN;
            if (c->resp > 2) {
                reply_push(c, 2);
                reply_bulk(c, "tracking-redir-broken", 21);
                reply_int(c, (long long)st->redir);
            }
            return;
        }
        c = r;
        redirected = 1;
    }
    if (c->resp > 2) {
        reply_push(c, 2);
        reply_bulk(c, "invalidate", 10);
    } else if (redirected && (c->flags & CLIENT_PUBSUB)) {
        reply_raw(c, "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n", 44);
    } else {
        return; /* RESP2 without a pub/sub redirect: nowhere to send it */
    }
    if (!keys && !bkeys) {
        /* the flush null is encoded for the tracking client's protocol, as Redis does */
        if (from_resp > 2)
            reply_raw(c, "_\r\n", 3);
        else
            reply_raw(c, "$-1\r\n", 5);
        return;
    }
    reply_array(c, (long long)nkeys);
    for (size_t i = 0; i < nkeys; i++) {
        if (bkeys)
            reply_bulk(c, bkeys[i].key->ptr, bkeys[i].key->len);
        else
            reply_bulk(c, keys[i]->ptr, keys[i]->len);
    }
}

static void s_pending_add(vstr_t *k, uint64_t owner) {
    if (s_npending == s_cappending) {
        s_cappending = s_cappending ? s_cappending * 2 : 8;
        s_pending = realloc(s_pending, s_cappending * sizeof *s_pending);
        if (!s_pending) abort();
    }
    s_pending[s_npending].key = k;
    s_pending[s_npending++].owner = owner;
}

/* ---------- BCAST ---------- */

static s_prefix_t *s_prefix_find(const char *p, size_t len, size_t *pos) {
    size_t i = 0;
    for (; i < s_nprefixes; i++) {
        const vstr_t *x = s_prefixes[i].prefix;
        size_t m = x->len < len ? x->len : len;
        int r = memcmp(x->ptr, p, m);
        if (r == 0) r = x->len < len ? -1 : x->len > len;
        if (r == 0) return &s_prefixes[i];
        if (r > 0) break;
    }
    if (pos) *pos = i;
    return NULL;
}

static void s_prefix_add_client(const char *p, size_t len, uint64_t id) {
    size_t pos;
    s_prefix_t *pf = s_prefix_find(p, len, &pos);
    if (!pf) {
        s_prefixes = realloc(s_prefixes, (s_nprefixes + 1) * sizeof *s_prefixes);
        if (!s_prefixes) abort();
        memmove(&s_prefixes[pos + 1], &s_prefixes[pos], (s_nprefixes - pos) * sizeof *s_prefixes);
        s_nprefixes++;
        pf = &s_prefixes[pos];
        memset(pf, 0, sizeof *pf);
        pf->prefix = vstr_new(p, len);
    }
    s_ids_add(&pf->clients, id);
}

static void s_prefix_drop_keys(s_prefix_t *pf) {
    for (size_t i = 0; i < pf->nkeys; i++)
        vstr_free(pf->keys[i].key);
    pf->nkeys = 0;
}

static void s_prefix_remove_client(const vstr_t *prefix, uint64_t id) {
    s_prefix_t *pf = s_prefix_find(prefix->ptr, prefix->len, NULL);
    if (!pf) return;
    s_ids_del(&pf->clients, id);
    if (pf->clients.n) return;
    s_prefix_drop_keys(pf);
    free(pf->keys);
    free(pf->clients.v);
    vstr_free(pf->prefix);
    size_t i = (size_t)(pf - s_prefixes);
    memmove(&s_prefixes[i], &s_prefixes[i + 1], (s_nprefixes - i - 1) * sizeof *s_prefixes);
    s_nprefixes--;
}

/* Remembers a changed key for each prefix it starts with (keys kept sorted and unique, as
 * Redis's radix tree returns them; the last writer wins for NOLOOP). */
static void s_bcast_remember(const char *key, size_t len, uint64_t by) {
    for (size_t i = 0; i < s_nprefixes; i++) {
        s_prefix_t *pf = &s_prefixes[i];
        if (pf->prefix->len > len || memcmp(pf->prefix->ptr, key, pf->prefix->len)) continue;
        size_t j = 0;
        int r = 1;
        for (; j < pf->nkeys; j++) {
            const vstr_t *k = pf->keys[j].key;
            size_t m = k->len < len ? k->len : len;
            r = memcmp(k->ptr, key, m);
            if (r == 0) r = k->len < len ? -1 : k->len > len;
            if (r >= 0) break;
        }
        if (j < pf->nkeys && r == 0) {
            pf->keys[j].by = by;
            continue;
        }
        if (pf->nkeys == pf->capkeys) {
            pf->capkeys = pf->capkeys ? pf->capkeys * 2 : 8;
            pf->keys = realloc(pf->keys, pf->capkeys * sizeof *pf->keys);
            if (!pf->keys) abort();
        }
        memmove(&pf->keys[j + 1], &pf->keys[j], (pf->nkeys - j) * sizeof *pf->keys);
        pf->keys[j].key = vstr_new(key, len);
        pf->keys[j].by = by;
        pf->nkeys++;
    }
}

void tracking_broadcast_flush(engine_t *e) {
    for (size_t i = 0; i < s_nprefixes; i++) {
        s_prefix_t *pf = &s_prefixes[i];
        if (!pf->nkeys) continue;
        for (size_t j = 0; j < pf->clients.n; j++) {
            s_state_t *st = s_state_by_id(pf->clients.v[j]);
            if (!st || !(st->flags & T_BCAST)) continue;
            if (!(st->flags & T_NOLOOP)) {
                s_send(e, st, NULL, pf->nkeys, pf->keys);
                continue;
            }
            /* NOLOOP: leave out the keys this client changed itself */
            s_bkey_t *sel = malloc(pf->nkeys * sizeof *sel);
            if (!sel) abort();
            size_t n = 0;
            for (size_t k = 0; k < pf->nkeys; k++)
                if (pf->keys[k].by != st->c->id) sel[n++] = pf->keys[k];
            if (n) s_send(e, st, NULL, n, sel);
            free(sel);
        }
        s_prefix_drop_keys(pf);
    }
}

/* ---------- the table ---------- */

static void s_invalidate(engine_t *e, const char *key, size_t len, int bcast) {
    if (bcast && s_nprefixes) s_bcast_remember(key, len, s_current ? s_current->id : 0);
    if (!s_table || dict_size(s_table) == 0) return;
    vstr_t *k = vstr_new(key, len);
    dict_entry_t *de = dict_find(s_table, k);
    if (!de) {
        vstr_free(k);
        return;
    }
    s_ids_t *ids = de->v.val;
    for (size_t i = 0; i < ids->n; i++) {
        s_state_t *st = s_state_by_id(ids->v[i]);
        /* keys read before switching to BCAST are not reported any more */
        if (!st || !(st->flags & T_ON) || (st->flags & T_BCAST)) continue;
        if (st->c == s_current) {
            if (st->flags & T_NOLOOP) continue;
            /* after the reply of the running command */
            s_pending_add(vstr_new(key, len), st->c->id);
            continue;
        }
        const vstr_t *one = k;
        s_send(e, st, &one, 1, NULL);
    }
    s_items -= (long long)ids->n;
    dict_delete(s_table, k);
    vstr_free(k);
}

void tracking_invalidate_key(engine_t *e, const char *key, size_t len) {
    if (!s_nprefixes && (!s_table || dict_size(s_table) == 0)) return;
    s_invalidate(e, key, len, 1);
    /* changes outside any command (active expiry) are broadcast at once */
    if (!s_current && s_nprefixes) tracking_broadcast_flush(e);
}

void tracking_invalidate_all(engine_t *e) {
    if (tracking_clients_count) {
        dict_iter_t it;
        dict_entry_t *de;
        /* states in client-id order, as Redis walks its client list */
        size_t n = 0;
        s_state_t **v = malloc(dict_size(s_states) * sizeof *v + 1);
        if (!v) abort();
        dict_iter_init(&it, s_states);
        while ((de = dict_iter_next(&it))) {
            s_state_t *st = de->v.val;
            if (st->flags & T_ON) v[n++] = st;
        }
        dict_iter_done(&it);
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && v[j - 1]->c->id > v[j]->c->id; j--) {
                s_state_t *t = v[j];
                v[j] = v[j - 1];
                v[j - 1] = t;
            }
        for (size_t i = 0; i < n; i++) {
            if (v[i]->c == s_current)
                s_pending_add(NULL, v[i]->c->id);
            else
                s_send(e, v[i], NULL, 0, NULL);
        }
        free(v);
    }
    if (s_table) dict_clear(s_table);
    s_items = 0;
}

/* tracking-table-max-keys (CONFIG, default 1000000, 0 = no limit): beyond it, keys are
 * invalidated at random. */
static int s_over_limit(const engine_t *e) {
    long long max = e->cfg.tracking_table_max_keys;
    return max > 0 && (long long)dict_size(s_table) > max;
}

/* Over the limit: invalidate random keys, as Redis's trackingLimitUsedSlots. */
static void s_limit(engine_t *e) {
    int effort = 100;
    while (s_over_limit(e) && effort-- > 0) {
        dict_entry_t *de = dict_random(s_table);
        if (!de) break;
        vstr_t *k = de->key;
        vstr_t *copy = vstr_new(k->ptr, k->len);
        client_t *cur = s_current;
        s_current = NULL;
        s_invalidate(e, copy->ptr, copy->len, 0);
        s_current = cur;
        vstr_free(copy);
    }
}

void tracking_after_call(client_t *c, const command_t *cmd) {
    if (!(cmd->flagbits & CMD_READONLY) || (cmd->flagbits & CMD_PUBSUB)) return;
    s_state_t *st = s_state(c);
    if (!st || !(st->flags & T_ON) || (st->flags & T_BCAST)) return;
    int caching = !!(st->flags & T_CACHING);
    if ((st->flags & T_OPTIN) && !caching) return;
    if ((st->flags & T_OPTOUT) && caching) return;
    cmd_keys_t keys;
    cmd_keys_init(&keys);
    int n = command_get_keys(cmd, c->argc, c->argv, &keys);
    for (int i = 0; i < n; i++) {
        const proto_arg_t *a = &c->argv[keys.keys[i].pos];
        vstr_t *k = vstr_new(a->ptr, a->len);
        int existed;
        dict_entry_t *de = dict_add_or_find(s_table, k, &existed);
        if (existed) {
            vstr_free(k);
        } else {
            s_ids_t *ids = calloc(1, sizeof *ids);
            if (!ids) abort();
            de->v.val = ids;
        }
        s_items += s_ids_add(de->v.val, c->id);
    }
    cmd_keys_free(&keys);
    if (s_over_limit(c->eng)) s_limit(c->eng);
}

void tracking_set_current(client_t *c) { s_current = c; }

void tracking_command_done(client_t *c, const command_t *cmd) {
    s_current = NULL;
    /* nobody tracks: nothing can be pending and no CACHING flag can be set */
    if (!tracking_clients_count && !s_npending) return;
    s_state_t *st = s_state(c);
    if (s_npending) {
        size_t keep = 0;
        for (size_t i = 0; i < s_npending; i++) {
            s_pend_t *pe = &s_pending[i];
            if (pe->owner != c->id) {
                s_pending[keep++] = *pe; /* an outer command's: sent when it completes */
                continue;
            }
            if (st && (st->flags & T_ON)) {
                const vstr_t *one = pe->key;
                s_send(c->eng, st, pe->key ? &one : NULL, pe->key ? 1 : 0, NULL);
            }
            if (pe->key) vstr_free(pe->key);
        }
        s_npending = keep;
    }
    /* CLIENT CACHING lasts for the next command (or transaction), as in Redis, where any
     * CLIENT subcommand keeps it */
    if (st && !(c->flags & CLIENT_MULTI) &&
        !(cmd && cmd->parent && !strcmp(cmd->parent->name, "client")))
        st->flags &= ~(uint32_t)T_CACHING;
}

/* ---------- enabling ---------- */

static void s_disable(s_state_t *st) {
    if (st->flags & T_BCAST) {
        for (size_t i = 0; i < st->nprefixes; i++) {
            s_prefix_remove_client(st->prefixes[i], st->c->id);
            vstr_free(st->prefixes[i]);
        }
        free(st->prefixes);
        st->prefixes = NULL;
        st->nprefixes = 0;
    }
    if (st->flags & T_ON) tracking_clients_count--;
    st->flags = 0;
}

void tracking_client_free(client_t *c) {
    size_t keep = 0;
    for (size_t i = 0; i < s_npending; i++) {
        if (s_pending[i].owner != c->id)
            s_pending[keep++] = s_pending[i];
        else if (s_pending[i].key)
            vstr_free(s_pending[i].key);
    }
    s_npending = keep;
    s_state_t *st = s_state(c);
    if (!st) return;
    s_disable(st);
    dict_delete(s_states, (void *)(uintptr_t)c->id);
    free(st);
}

static int s_has_prefix(const char *a, size_t al, const char *b, size_t bl) {
    size_t m = al < bl ? al : bl;
    return memcmp(a, b, m) == 0;
}

static void s_add_prefix(s_state_t *st, const char *p, size_t len) {
    for (size_t i = 0; i < st->nprefixes; i++)
        if (st->prefixes[i]->len == len && !memcmp(st->prefixes[i]->ptr, p, len)) return;
    size_t pos = 0;
    while (pos < st->nprefixes) {
        const vstr_t *x = st->prefixes[pos];
        size_t m = x->len < len ? x->len : len;
        int r = memcmp(x->ptr, p, m);
        if (r == 0) r = x->len < len ? -1 : 1;
        if (r > 0) break;
        pos++;
    }
    st->prefixes = realloc(st->prefixes, (st->nprefixes + 1) * sizeof *st->prefixes);
    if (!st->prefixes) abort();
    memmove(&st->prefixes[pos + 1], &st->prefixes[pos],
            (st->nprefixes - pos) * sizeof *st->prefixes);
    st->prefixes[pos] = vstr_new(p, len);
    st->nprefixes++;
    s_prefix_add_client(p, len, st->c->id);
}

void cmd_client_tracking(client_t *c) {
    long long redir = 0;
    uint32_t opts = 0;
    int nprefix = 0;
    const proto_arg_t **prefix = malloc(sizeof *prefix * (size_t)c->argc);
    if (!prefix) abort();
    for (int j = 3; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        const proto_arg_t *a = &c->argv[j];
        if (arg_is(a, "redirect") && more) {
            j++;
            if (redir != 0) {
                reply_error(c, "A client can only redirect to a single other client");
                goto done;
            }
            if (arg_ll_or_reply(c, &c->argv[j], &redir, NULL)) goto done;
            if (redir <= 0 || !s_client_by_id(c->eng, (uint64_t)redir)) {
                reply_error(c, "The client ID you want redirect to does not exist");
                goto done;
            }
        } else if (arg_is(a, "bcast")) {
            opts |= T_BCAST;
        } else if (arg_is(a, "optin")) {
            opts |= T_OPTIN;
        } else if (arg_is(a, "optout")) {
            opts |= T_OPTOUT;
        } else if (arg_is(a, "noloop")) {
            opts |= T_NOLOOP;
        } else if (arg_is(a, "prefix") && more) {
            prefix[nprefix++] = &c->argv[++j];
        } else {
            reply_error(c, ERR_SYNTAX);
            goto done;
        }
    }
    s_state_t *st = s_state(c);
    uint32_t cur = st ? st->flags : 0;
    if (arg_is(&c->argv[2], "on")) {
        if (!(opts & T_BCAST) && nprefix) {
            reply_error(c, "PREFIX option requires BCAST mode to be enabled");
            goto done;
        }
        if ((cur & T_ON) && !!(cur & T_BCAST) != !!(opts & T_BCAST)) {
            reply_error(c, "You can't switch BCAST mode on/off before disabling tracking for "
                           "this client, and then re-enabling it with a different mode.");
            goto done;
        }
        if ((opts & T_BCAST) && (opts & (T_OPTIN | T_OPTOUT))) {
            reply_error(c, "OPTIN and OPTOUT are not compatible with BCAST");
            goto done;
        }
        if ((opts & T_OPTIN) && (opts & T_OPTOUT)) {
            reply_error(c, "You can't specify both OPTIN mode and OPTOUT mode");
            goto done;
        }
        if (((opts & T_OPTIN) && (cur & T_OPTOUT)) || ((opts & T_OPTOUT) && (cur & T_OPTIN))) {
            reply_error(c, "You can't switch OPTIN/OPTOUT mode before disabling tracking for "
                           "this client, and then re-enabling it with a different mode.");
            goto done;
        }
        if (opts & T_BCAST) {
            for (int i = 0; i < nprefix; i++) {
                const proto_arg_t *p = prefix[i];
                for (size_t k = 0; st && k < st->nprefixes; k++) {
                    if (s_has_prefix(st->prefixes[k]->ptr, st->prefixes[k]->len, p->ptr, p->len)) {
                        reply_errorf(c,
                                     "Prefix '%.*s' overlaps with an existing prefix '%s'. "
                                     "Prefixes for a single client must not overlap.",
                                     (int)strnlen(p->ptr, p->len), p->ptr, st->prefixes[k]->ptr);
                        goto done;
                    }
                }
                for (int k = i + 1; k < nprefix; k++) {
                    const proto_arg_t *q = prefix[k];
                    if (s_has_prefix(p->ptr, p->len, q->ptr, q->len)) {
                        reply_errorf(c,
                                     "Prefix '%.*s' overlaps with another provided prefix "
                                     "'%.*s'. Prefixes for a single client must not overlap.",
                                     (int)strnlen(p->ptr, p->len), p->ptr,
                                     (int)strnlen(q->ptr, q->len), q->ptr);
                        goto done;
                    }
                }
            }
        }
        s_init();
        if (!st) {
            st = calloc(1, sizeof *st);
            if (!st) abort();
            st->c = c;
            dict_add(s_states, (void *)(uintptr_t)c->id, st);
        }
        if (!(st->flags & T_ON)) tracking_clients_count++;
        st->flags =
            (st->flags & ~(uint32_t)(T_BROKEN | T_BCAST | T_OPTIN | T_OPTOUT | T_NOLOOP)) | T_ON;
        st->redir = (uint64_t)redir;
        if (opts & T_BCAST) {
            st->flags |= T_BCAST;
            if (nprefix == 0) s_add_prefix(st, "", 0);
            for (int i = 0; i < nprefix; i++)
                s_add_prefix(st, prefix[i]->ptr, prefix[i]->len);
        }
        st->flags |= opts & (T_OPTIN | T_OPTOUT | T_NOLOOP);
    } else if (arg_is(&c->argv[2], "off")) {
        if (st) s_disable(st);
    } else {
        reply_error(c, ERR_SYNTAX);
        goto done;
    }
    reply_ok(c);
done:
    free(prefix);
}

void cmd_client_caching(client_t *c) {
    s_state_t *st = s_state(c);
    if (!st || !(st->flags & T_ON)) {
        reply_error(c, "CLIENT CACHING can be called only when the client is in tracking mode "
                       "with OPTIN or OPTOUT mode enabled");
        return;
    }
    if (arg_is(&c->argv[2], "yes")) {
        if (!(st->flags & T_OPTIN)) {
            reply_error(c, "CLIENT CACHING YES is only valid when tracking is enabled in OPTIN "
                           "mode.");
            return;
        }
    } else if (arg_is(&c->argv[2], "no")) {
        if (!(st->flags & T_OPTOUT)) {
            reply_error(c, "CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT "
                           "mode.");
            return;
        }
    } else {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    st->flags |= T_CACHING;
    reply_ok(c);
}

long long tracking_redir(const client_t *c) {
    s_state_t *st = s_state(c);
    return st && (st->flags & T_ON) ? (long long)st->redir : -1;
}

char *tracking_flags_str(const client_t *c, char *p) {
    s_state_t *st = s_state(c);
    if (!st) return p;
    if (st->flags & T_ON) *p++ = 't';
    if (st->flags & T_BROKEN) *p++ = 'R';
    if (st->flags & T_BCAST) *p++ = 'B';
    return p;
}

void tracking_stats(long long *keys, long long *items, long long *prefixes) {
    *keys = s_table ? (long long)dict_size(s_table) : 0;
    *items = s_items;
    *prefixes = (long long)s_nprefixes;
}

void cmd_client_getredir(client_t *c) { reply_int(c, tracking_redir(c)); }

void cmd_client_trackinginfo(client_t *c) {
    s_state_t *st = s_state(c);
    uint32_t f = st ? st->flags : 0;
    const char *flags[8];
    int n = 0;
    flags[n++] = (f & T_ON) ? "on" : "off";
    if (f & T_BCAST) flags[n++] = "bcast";
    if (f & T_OPTIN) {
        flags[n++] = "optin";
        if (f & T_CACHING) flags[n++] = "caching-yes";
    }
    if (f & T_OPTOUT) {
        flags[n++] = "optout";
        if (f & T_CACHING) flags[n++] = "caching-no";
    }
    if (f & T_NOLOOP) flags[n++] = "noloop";
    if (f & T_BROKEN) flags[n++] = "broken_redirect";
    reply_map(c, 3);
    reply_bulk_cstr(c, "flags");
    reply_set(c, n);
    for (int i = 0; i < n; i++)
        reply_bulk_cstr(c, flags[i]);
    reply_bulk_cstr(c, "redirect");
    reply_int(c, tracking_redir(c));
    reply_bulk_cstr(c, "prefixes");
    size_t np = st ? st->nprefixes : 0;
    reply_array(c, (long long)np);
    for (size_t i = 0; i < np; i++)
        reply_bulk(c, st->prefixes[i]->ptr, st->prefixes[i]->len);
}
