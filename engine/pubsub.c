/* Pub/Sub: channel, pattern and shard-channel subscriptions, message delivery to subscribers
 * on any frontend, PUBSUB introspection, RESP2 subscribed mode, and keyspace notifications
 * (which are ordinary publishes on __keyspace@<db>__ / __keyevent@<db>__ channels). */
#include "engine/pubsub.h"
#include "engine/sched.h"

#include <stdlib.h>
#include <string.h>

#include "shared/resp.h"
#include "shared/util.h"

/* Keyspace-event bits beyond engine.h's NOTIFY_* classes, as cmd_config.c parses them. */
enum { NKE_KEYSPACE = 1 << 0, NKE_KEYEVENT = 1 << 1 };

/* Subscribers of one channel or pattern, in subscription order (delivery order). */
typedef struct {
    client_t **v;
    size_t n, cap;
} s_subs_t;

/* A client's own view: which channels, shard channels and patterns it holds. Patterns keep
 * subscription order because PUNSUBSCRIBE without arguments answers in that order. */
typedef struct {
    dict_t *channels, *shard; /* vstr_t* -> NULL */
    vstr_t **pats;
    size_t npats, patcap;
} s_client_t;

/* Server-wide registry: vstr_t* -> s_subs_t*. The engine is one per process. */
static struct {
    dict_t *channels, *patterns, *shard;
} s_ps;

static void s_subs_free(void *v) {
    s_subs_t *s = v;
    free(s->v);
    free(s);
}
static const dict_type_t s_server_type = {vstr_dict_hash, vstr_dict_eq, vstr_dict_free, s_subs_free};
static const dict_type_t s_client_type = {vstr_dict_hash, vstr_dict_eq, vstr_dict_free, NULL};

static dict_t *s_server_dict(dict_t **d) {
    if (!*d) *d = dict_new(&s_server_type);
    return *d;
}

/* A lookup key shaped like a vstr_t: on the stack when short, else on the heap. */
typedef struct {
    vstr_t *k;
    union {
        vstr_t hdr;
        char space[sizeof(vstr_t) + 257];
    } u;
} s_tmp_t;

static vstr_t *s_tmp(s_tmp_t *t, const char *p, size_t len) {
    if (len <= 256) {
        t->k = &t->u.hdr;
        t->k->len = len;
        memcpy(t->k->ptr, p, len);
        t->k->ptr[len] = '\0';
    } else {
        t->k = vstr_new(p, len);
    }
    return t->k;
}
static void s_tmp_done(s_tmp_t *t) {
    if (t->k != &t->u.hdr) vstr_free(t->k);
}

static dict_entry_t *s_find(dict_t *d, const char *p, size_t len) {
    if (!d || dict_size(d) == 0) return NULL;
    s_tmp_t t;
    dict_entry_t *de = dict_find(d, s_tmp(&t, p, len));
    s_tmp_done(&t);
    return de;
}

static s_client_t *s_state(client_t *c) {
    if (!c->pubsub) {
        s_client_t *st = calloc(1, sizeof *st);
        if (!st) abort();
        st->channels = dict_new(&s_client_type);
        st->shard = dict_new(&s_client_type);
        c->pubsub = st;
    }
    return c->pubsub;
}

static long long s_count(const client_t *c) { /* channels + patterns, as SUBSCRIBE replies */
    const s_client_t *st = c->pubsub;
    return st ? (long long)(dict_size(st->channels) + st->npats) : 0;
}
static long long s_shard_count(const client_t *c) {
    const s_client_t *st = c->pubsub;
    return st ? (long long)dict_size(st->shard) : 0;
}

/* ---------- server-side lists ---------- */

static void s_server_add(dict_t **d, const char *p, size_t len, client_t *c) {
    int existed;
    vstr_t *k = vstr_new(p, len);
    dict_entry_t *de = dict_add_or_find(s_server_dict(d), k, &existed);
    if (existed) {
        vstr_free(k);
    } else {
        de->v.val = calloc(1, sizeof(s_subs_t));
        if (!de->v.val) abort();
    }
    s_subs_t *s = de->v.val;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v) abort();
    }
    s->v[s->n++] = c;
}

static void s_server_remove(dict_t *d, const vstr_t *name, client_t *c) {
    dict_entry_t *de = d ? dict_find(d, name) : NULL;
    if (!de) return;
    s_subs_t *s = de->v.val;
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i] == c) {
            memmove(s->v + i, s->v + i + 1, (s->n - i - 1) * sizeof *s->v);
            s->n--;
            break;
        }
    }
    if (s->n == 0) dict_delete(d, name);
}

/* ---------- replies ---------- */

static void s_reply_event(client_t *c, const char *kind, const char *p, size_t len,
                          long long count) {
    reply_push(c, 3);
    reply_bulk_cstr(c, kind);
    if (p) reply_bulk(c, p, len);
    else reply_null(c);
    reply_int(c, count);
}

static int s_can_receive(const client_t *c) {
    return c->fe && !(c->flags & (CLIENT_KILLED | CLIENT_CLOSED));
}

/* ---------- channels (plain and shard) ---------- */

static void s_subscribe(client_t *c, int shard, const proto_arg_t *ch) {
    s_client_t *st = s_state(c);
    dict_t *mine = shard ? st->shard : st->channels;
    vstr_t *k = vstr_new(ch->ptr, ch->len);
    if (dict_add(mine, k, NULL))
        s_server_add(shard ? &s_ps.shard : &s_ps.channels, ch->ptr, ch->len, c);
    else
        vstr_free(k);
    s_reply_event(c, shard ? "ssubscribe" : "subscribe", ch->ptr, ch->len,
                  shard ? s_shard_count(c) : s_count(c));
}

/* Drops one channel of c; replies when notify. Returns 1 if c was subscribed. */
static int s_unsubscribe(client_t *c, int shard, const char *p, size_t len, int notify) {
    s_client_t *st = c->pubsub;
    int found = 0;
    if (st) {
        dict_t *mine = shard ? st->shard : st->channels;
        dict_entry_t *de = NULL;
        if (dict_size(mine)) {
            s_tmp_t t;
            de = dict_unlink(mine, s_tmp(&t, p, len));
            s_tmp_done(&t);
        }
        if (de) {
            found = 1;
            s_server_remove(shard ? s_ps.shard : s_ps.channels, de->key, c);
            dict_free_unlinked(mine, de);
        }
    }
    if (notify)
        s_reply_event(c, shard ? "sunsubscribe" : "unsubscribe", p, len,
                      shard ? s_shard_count(c) : s_count(c));
    return found;
}

static void s_unsubscribe_all(client_t *c, int shard, int notify) {
    s_client_t *st = c->pubsub;
    dict_t *mine = st ? (shard ? st->shard : st->channels) : NULL;
    size_t n = mine ? dict_size(mine) : 0;
    if (n) {
        /* detach the names first: unsubscribing deletes from the dict being walked */
        vstr_t **names = malloc(n * sizeof *names);
        if (!names) abort();
        size_t k = 0;
        dict_iter_t it;
        dict_iter_init(&it, mine);
        for (dict_entry_t *de; (de = dict_iter_next(&it));) {
            const vstr_t *name = de->key;
            names[k++] = vstr_new(name->ptr, name->len);
        }
        dict_iter_done(&it);
        for (size_t i = 0; i < k; i++) {
            s_unsubscribe(c, shard, names[i]->ptr, names[i]->len, notify);
            vstr_free(names[i]);
        }
        free(names);
    } else if (notify) {
        s_reply_event(c, shard ? "sunsubscribe" : "unsubscribe", NULL, 0,
                      shard ? s_shard_count(c) : s_count(c));
    }
}

/* ---------- patterns ---------- */

static long s_pat_index(const s_client_t *st, const char *p, size_t len) {
    for (size_t i = 0; st && i < st->npats; i++)
        if (st->pats[i]->len == len && memcmp(st->pats[i]->ptr, p, len) == 0) return (long)i;
    return -1;
}

static void s_psubscribe(client_t *c, const proto_arg_t *pat) {
    s_client_t *st = s_state(c);
    if (s_pat_index(st, pat->ptr, pat->len) < 0) {
        if (st->npats == st->patcap) {
            st->patcap = st->patcap ? st->patcap * 2 : 4;
            st->pats = realloc(st->pats, st->patcap * sizeof *st->pats);
            if (!st->pats) abort();
        }
        st->pats[st->npats++] = vstr_new(pat->ptr, pat->len);
        s_server_add(&s_ps.patterns, pat->ptr, pat->len, c);
    }
    s_reply_event(c, "psubscribe", pat->ptr, pat->len, s_count(c));
}

static void s_punsubscribe(client_t *c, const char *p, size_t len, int notify) {
    s_client_t *st = c->pubsub;
    long i = s_pat_index(st, p, len);
    vstr_t *name = NULL;
    if (i >= 0) {
        name = st->pats[i];
        memmove(st->pats + i, st->pats + i + 1, (st->npats - (size_t)i - 1) * sizeof *st->pats);
        st->npats--;
        s_server_remove(s_ps.patterns, name, c);
    }
    if (notify) s_reply_event(c, "punsubscribe", p, len, s_count(c));
    vstr_free(name);
}

static void s_punsubscribe_all(client_t *c, int notify) {
    s_client_t *st = c->pubsub;
    if (!st || st->npats == 0) {
        if (notify) s_reply_event(c, "punsubscribe", NULL, 0, s_count(c));
        return;
    }
    while (st->npats) {
        /* the first pattern goes first: Redis answers in subscription order */
        vstr_t *name = vstr_new(st->pats[0]->ptr, st->pats[0]->len);
        s_punsubscribe(c, name->ptr, name->len, notify);
        vstr_free(name);
    }
}

/* ---------- lifecycle ---------- */

static void s_update_flag(client_t *c) {
    s_client_t *st = c->pubsub;
    if (!st || dict_size(st->channels) + dict_size(st->shard) + st->npats == 0)
        c->flags &= ~(uint32_t)CLIENT_PUBSUB;
}

void pubsub_client_free(client_t *c) {
    s_client_t *st = c->pubsub;
    if (!st) return;
    s_unsubscribe_all(c, 0, 0);
    s_unsubscribe_all(c, 1, 0);
    s_punsubscribe_all(c, 0);
    dict_destroy(&st->channels);
    dict_destroy(&st->shard);
    free(st->pats);
    free(st);
    c->pubsub = NULL;
    c->flags &= ~(uint32_t)CLIENT_PUBSUB;
}

int pubsub_context_allowed(client_t *c, const command_t *cmd) {
    if (!(c->flags & CLIENT_PUBSUB) || c->resp != 2) return 1;
    static const char *const allowed[] = {"ping",         "subscribe",   "ssubscribe",
                                          "unsubscribe",  "sunsubscribe", "psubscribe",
                                          "punsubscribe", "quit",         "reset",
                                          NULL};
    if (!cmd->parent)
        for (int i = 0; allowed[i]; i++)
            if (!strcmp(cmd->name, allowed[i])) return 1;
    reply_errorf(c,
                 "Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
                 "RESET are allowed in this context",
                 cmd->fullname);
    return 0;
}

void pubsub_counts(const engine_t *e, long long *channels, long long *patterns,
                   long long *shard_channels) {
    (void)e;
    if (channels) *channels = s_ps.channels ? (long long)dict_size(s_ps.channels) : 0;
    if (patterns) *patterns = s_ps.patterns ? (long long)dict_size(s_ps.patterns) : 0;
    if (shard_channels) *shard_channels = s_ps.shard ? (long long)dict_size(s_ps.shard) : 0;
}

void pubsub_client_counts(const client_t *c, long long *sub, long long *psub, long long *ssub) {
    const s_client_t *st = c->pubsub;
    if (sub) *sub = st ? (long long)dict_size(st->channels) : 0;
    if (psub) *psub = st ? (long long)st->npats : 0;
    if (ssub) *ssub = st ? (long long)dict_size(st->shard) : 0;
}

/* ---------- publishing ---------- */

long long pubsub_publish(engine_t *e, const char *channel, size_t chlen, const char *msg,
                         size_t msglen, int shard) {
    (void)e;
    long long receivers = 0;
    dict_entry_t *de = s_find(shard ? s_ps.shard : s_ps.channels, channel, chlen);
    if (de) {
        /* the frame is the same for every subscriber of a protocol: encode it once per
         * protocol and copy the bytes (fan-out spent most of its time re-encoding) */
        buf_t frame[2];
        buf_init(&frame[0]);
        buf_init(&frame[1]);
        const s_subs_t *s = de->v.val;
        for (size_t i = 0; i < s->n; i++) {
            client_t *c = s->v[i];
            if (!s_can_receive(c)) continue;
            buf_t *f = &frame[c->resp == 3];
            if (f->len == 0) {
                resp_push(f, c->resp, 3);
                const char *kind = shard ? "smessage" : "message";
                resp_bulk(f, kind, strlen(kind));
                resp_bulk(f, channel, chlen);
                resp_bulk(f, msg, msglen);
            }
            reply_push_raw(c, f->data, f->len);
            receivers++;
        }
        buf_free(&frame[0]);
        buf_free(&frame[1]);
    }
    if (shard || !s_ps.patterns || dict_size(s_ps.patterns) == 0) return receivers;
    dict_iter_t it;
    dict_iter_init(&it, s_ps.patterns);
    for (dict_entry_t *pe; (pe = dict_iter_next(&it));) {
        const vstr_t *pat = pe->key;
        if (!glob_match(pat->ptr, pat->len, channel, chlen, 0)) continue;
        const s_subs_t *s = pe->v.val;
        for (size_t i = 0; i < s->n; i++) {
            client_t *c = s->v[i];
            if (!s_can_receive(c)) continue;
            reply_push(c, 4);
            reply_bulk(c, "pmessage", 8);
            reply_bulk(c, pat->ptr, pat->len);
            reply_bulk(c, channel, chlen);
            reply_bulk(c, msg, msglen);
            receivers++;
        }
    }
    dict_iter_done(&it);
    return receivers;
}

/* ---------- keyspace notifications ---------- */

/* Publishes "<prefix><db>__:<suffix>" with msg. */
static void s_notify_publish(engine_t *e, const char *prefix, int dbid, const char *suffix,
                             size_t suffixlen, const char *msg, size_t msglen) {
    char stackbuf[256];
    size_t plen = strlen(prefix);
    size_t need = plen + 24 + 3 + suffixlen;
    char *buf = need <= sizeof stackbuf ? stackbuf : malloc(need);
    if (!buf) abort();
    memcpy(buf, prefix, plen);
    size_t n = plen + (size_t)ll_to_str(buf + plen, dbid);
    memcpy(buf + n, "__:", 3);
    n += 3;
    memcpy(buf + n, suffix, suffixlen);
    n += suffixlen;
    pubsub_publish(e, buf, n, msg, msglen, 0);
    if (buf != stackbuf) free(buf);
}

void notify_keyspace_event(engine_t *e, int type, const char *event, const char *key,
                           size_t keylen, int dbid) {
    if (webhook_count) webhook_key_event(e, event, key, keylen, dbid); /* even with events off */
    /* nobody listens: the common case costs two loads and a branch */
    if ((!s_ps.channels || dict_size(s_ps.channels) == 0) &&
        (!s_ps.patterns || dict_size(s_ps.patterns) == 0))
        return;
    int flags = config_notify_keyspace_events();
    if (!(flags & type)) return;
    size_t evlen = strlen(event);
    if (flags & NKE_KEYSPACE)
        s_notify_publish(e, "__keyspace@", dbid, key, keylen, event, evlen);
    if (flags & NKE_KEYEVENT)
        s_notify_publish(e, "__keyevent@", dbid, event, evlen, key, keylen);
}

/* ---------- commands ---------- */

static void cmd_subscribe(client_t *c) {
    for (int j = 1; j < c->argc; j++) s_subscribe(c, 0, &c->argv[j]);
    c->flags |= CLIENT_PUBSUB;
}

static void cmd_unsubscribe(client_t *c) {
    if (c->argc == 1) s_unsubscribe_all(c, 0, 1);
    else
        for (int j = 1; j < c->argc; j++)
            s_unsubscribe(c, 0, c->argv[j].ptr, c->argv[j].len, 1);
    s_update_flag(c);
}

static void cmd_psubscribe(client_t *c) {
    for (int j = 1; j < c->argc; j++) s_psubscribe(c, &c->argv[j]);
    c->flags |= CLIENT_PUBSUB;
}

static void cmd_punsubscribe(client_t *c) {
    if (c->argc == 1) s_punsubscribe_all(c, 1);
    else
        for (int j = 1; j < c->argc; j++) s_punsubscribe(c, c->argv[j].ptr, c->argv[j].len, 1);
    s_update_flag(c);
}

static void cmd_ssubscribe(client_t *c) {
    /* inside EXEC a reply per command is expected, so Redis refuses shard subscriptions
     * there (plain SUBSCRIBE keeps its historical exception) */
    if (c->flags & CLIENT_MULTI) {
        reply_error(c, "SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
        return;
    }
    for (int j = 1; j < c->argc; j++) s_subscribe(c, 1, &c->argv[j]);
    c->flags |= CLIENT_PUBSUB;
}

static void cmd_sunsubscribe(client_t *c) {
    if (c->argc == 1) s_unsubscribe_all(c, 1, 1);
    else
        for (int j = 1; j < c->argc; j++)
            s_unsubscribe(c, 1, c->argv[j].ptr, c->argv[j].len, 1);
    s_update_flag(c);
}

static void cmd_publish(client_t *c) {
    reply_int(c, pubsub_publish(c->eng, c->argv[1].ptr, c->argv[1].len, c->argv[2].ptr,
                                c->argv[2].len, 0));
}

static void cmd_spublish(client_t *c) {
    reply_int(c, pubsub_publish(c->eng, c->argv[1].ptr, c->argv[1].len, c->argv[2].ptr,
                                c->argv[2].len, 1));
}

/* PUBSUB CHANNELS / SHARDCHANNELS [pattern] */
static void s_list_channels(client_t *c, dict_t *d) {
    if (c->argc > 3) {
        reply_subcommand_syntax_error(c);
        return;
    }
    const proto_arg_t *pat = c->argc == 3 ? &c->argv[2] : NULL;
    size_t n = d ? dict_size(d) : 0, k = 0;
    const vstr_t **names = n ? malloc(n * sizeof *names) : NULL;
    if (n && !names) abort();
    if (n) {
        dict_iter_t it;
        dict_iter_init(&it, d);
        for (dict_entry_t *de; (de = dict_iter_next(&it));) {
            const vstr_t *ch = de->key;
            if (!pat || glob_match(pat->ptr, pat->len, ch->ptr, ch->len, 0)) names[k++] = ch;
        }
        dict_iter_done(&it);
    }
    reply_array(c, (long long)k);
    for (size_t i = 0; i < k; i++) reply_bulk(c, names[i]->ptr, names[i]->len);
    free(names);
}

/* PUBSUB NUMSUB / SHARDNUMSUB [channel ...] */
static void s_numsub(client_t *c, dict_t *d) {
    reply_array(c, (long long)(c->argc - 2) * 2);
    for (int j = 2; j < c->argc; j++) {
        dict_entry_t *de = s_find(d, c->argv[j].ptr, c->argv[j].len);
        reply_bulk(c, c->argv[j].ptr, c->argv[j].len);
        reply_int(c, de ? (long long)((s_subs_t *)de->v.val)->n : 0);
    }
}

static void cmd_pubsub_channels(client_t *c) { s_list_channels(c, s_ps.channels); }
static void cmd_pubsub_shardchannels(client_t *c) { s_list_channels(c, s_ps.shard); }
static void cmd_pubsub_numsub(client_t *c) { s_numsub(c, s_ps.channels); }
static void cmd_pubsub_shardnumsub(client_t *c) { s_numsub(c, s_ps.shard); }
static void cmd_pubsub_numpat(client_t *c) {
    reply_int(c, s_ps.patterns ? (long long)dict_size(s_ps.patterns) : 0);
}

static void cmd_pubsub_help(client_t *c) {
    static const char *lines[] = {
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: "
        "'*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        NULL,
    };
    reply_help(c, lines);
}

/* ---------- command table ---------- */

// clang-format off
static command_t s_pubsub_subs[] = {
    {.name = "channels", .proc = cmd_pubsub_channels, .arity = -2, .flags = "pubsub loading stale",
     .group = "pubsub", .since = "2.8.0",
     .summary = "Lists the channels that have subscribers, optionally filtered by a pattern.",
     .complexity = "O(N) where N is the number of active channels (pattern matching assumed "
                   "to take constant time)",
     .args = "?pattern:pattern"},
    {.name = "numpat", .proc = cmd_pubsub_numpat, .arity = 2, .flags = "pubsub loading stale",
     .group = "pubsub", .since = "2.8.0",
     .summary = "Returns how many distinct patterns have subscribers.", .complexity = "O(1)"},
    {.name = "numsub", .proc = cmd_pubsub_numsub, .arity = -2, .flags = "pubsub loading stale",
     .group = "pubsub", .since = "2.8.0",
     .summary = "Returns the subscriber count of each given channel, patterns not counted.",
     .complexity = "O(N) where N is the number of channels given",
     .args = "?*string:channel"},
    {.name = "shardchannels", .proc = cmd_pubsub_shardchannels, .arity = -2,
     .flags = "pubsub loading stale", .group = "pubsub", .since = "7.0.0",
     .summary = "Lists the shard channels that have subscribers, optionally filtered by a "
                "pattern.",
     .complexity = "O(N) where N is the number of active shard channels (pattern matching "
                   "assumed to take constant time)",
     .args = "?pattern:pattern"},
    {.name = "shardnumsub", .proc = cmd_pubsub_shardnumsub, .arity = -2,
     .flags = "pubsub loading stale", .group = "pubsub", .since = "7.0.0",
     .summary = "Returns the subscriber count of each given shard channel.",
     .complexity = "O(N) where N is the number of shard channels given",
     .args = "?*string:shardchannel"},
    {.name = "help", .proc = cmd_pubsub_help, .arity = 2, .flags = "loading stale",
     .group = "pubsub", .since = "6.2.0", .summary = "Lists the PUBSUB subcommands.",
     .complexity = "O(1)"},
    {0}};

command_t pubsub_commands[] = {
    {.name = "subscribe", .proc = cmd_subscribe, .arity = -2,
     .flags = "pubsub noscript loading stale", .group = "pubsub", .since = "2.0.0",
     .summary = "Starts receiving the messages published to channels.",
     .complexity = "O(N) where N is the number of channels given",
     .args = "*string:channel"},
    {.name = "unsubscribe", .proc = cmd_unsubscribe, .arity = -1,
     .flags = "pubsub noscript loading stale", .group = "pubsub", .since = "2.0.0",
     .summary = "Stops receiving the messages of channels, or of all channels when none is "
                "given.",
     .complexity = "O(N) where N is the number of subscribers of the channels left",
     .args = "?*string:channel"},
    {.name = "psubscribe", .proc = cmd_psubscribe, .arity = -2,
     .flags = "pubsub noscript loading stale", .group = "pubsub", .since = "2.0.0",
     .summary = "Starts receiving the messages published to channels matching patterns.",
     .complexity = "O(N) where N is the number of patterns the client already holds",
     .args = "*block:pattern(pattern:pattern)"},
    {.name = "punsubscribe", .proc = cmd_punsubscribe, .arity = -1,
     .flags = "pubsub noscript loading stale", .group = "pubsub", .since = "2.0.0",
     .summary = "Stops receiving the messages of patterns, or of all patterns when none is "
                "given.",
     .complexity = "O(N+M) where N is the number of patterns the client holds and M the "
                   "number of subscribers of the patterns left",
     .args = "?*pattern:pattern"},
    {.name = "publish", .proc = cmd_publish, .arity = 3, .flags = "pubsub loading stale fast",
     .group = "pubsub", .since = "2.0.0",
     .summary = "Sends a message to the subscribers of a channel.",
     .complexity = "O(N+M) where N is the number of subscribers of the channel and M the "
                   "number of subscribed patterns",
     .args = "string:channel string:message"},
    {.name = "pubsub", .proc = NULL, .arity = -2, .flags = "", .group = "pubsub",
     .since = "2.8.0", .summary = "Inspects the state of the Pub/Sub system.",
     .complexity = "Depends on the subcommand.", .subcommands = s_pubsub_subs},
    {.name = "ssubscribe", .proc = cmd_ssubscribe, .arity = -2,
     .flags = "pubsub noscript loading stale", .keyspecs = "not_key;index:1;range:-1,1,0",
     .group = "pubsub", .since = "7.0.0",
     .summary = "Starts receiving the messages published to shard channels.",
     .complexity = "O(N) where N is the number of shard channels given",
     .args = "*string:shardchannel"},
    {.name = "spublish", .proc = cmd_spublish, .arity = 3, .flags = "pubsub loading stale fast",
     .keyspecs = "not_key;index:1;range:0,1,0", .group = "pubsub", .since = "7.0.0",
     .summary = "Sends a message to the subscribers of a shard channel.",
     .complexity = "O(N) where N is the number of subscribers of the shard channel",
     .args = "string:shardchannel string:message"},
    {.name = "sunsubscribe", .proc = cmd_sunsubscribe, .arity = -1,
     .flags = "pubsub noscript loading stale", .keyspecs = "not_key;index:1;range:-1,1,0",
     .group = "pubsub", .since = "7.0.0",
     .summary = "Stops receiving the messages of shard channels, or of all of them when none "
                "is given.",
     .complexity = "O(N) where N is the number of subscribers of the shard channels left",
     .args = "?*string:shardchannel"},
    {0}};
// clang-format on
