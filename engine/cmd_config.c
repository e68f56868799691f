/* CONFIG GET/SET/RESETSTAT/REWRITE/HELP over a table of the settings the engine has: their
 * Redis names, types, bounds, and whether a change can take effect at run time. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/commands.h"
#include "engine/engine.h"
#include "engine/types/t_stream.h"
#include "shared/buf.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/util.h"

/* ===================== settings kept here until engine_config_t has them ============== */

/* Redis's keyspace-event class bits beyond the NOTIFY_* classes of engine.h. */
enum {
    NKE_KEYSPACE = 1 << 0, NKE_KEYEVENT = 1 << 1, NKE_KEY_MISS = 1 << 11, NKE_MODULE = 1 << 13,
    NKE_NEW = 1 << 14,
};
#define NKE_ALL                                                                              \
    (NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET | \
     NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NKE_MODULE)

/* client-output-buffer-limit classes, as Redis numbers them */
enum { COBL_NORMAL = 0, COBL_REPLICA = 1, COBL_PUBSUB = 2, COBL_CLASSES = 3 };

static struct {
    /* hard, soft (bytes) and soft seconds per class; Redis's defaults */
    long long cobl[COBL_CLASSES][3];
    char requirepass[512]; /* the default user's password; "" = none (AUTH not required) */
    int notify_flags;
    long long timeout; /* seconds a client may idle before it is closed; 0 = never */
    char *save;        /* canonical "secs changes ..." save rules, NULL = none */
} s_extra = {.cobl = {{0, 0, 0}, {256LL << 20, 64LL << 20, 60}, {32LL << 20, 8LL << 20, 60}}};

void config_pubsub_output_limits(long long *hard, long long *soft, long long *secs) {
    *hard = s_extra.cobl[COBL_PUBSUB][0];
    *soft = s_extra.cobl[COBL_PUBSUB][1];
    *secs = s_extra.cobl[COBL_PUBSUB][2];
}

void config_normal_output_limits(long long *hard, long long *soft, long long *secs) {
    *hard = s_extra.cobl[COBL_NORMAL][0];
    *soft = s_extra.cobl[COBL_NORMAL][1];
    *secs = s_extra.cobl[COBL_NORMAL][2];
}

int config_notify_keyspace_events(void) { return s_extra.notify_flags; }

static int s_parse_notify(const char *v);

int config_init_notify_keyspace_events(const char *classes) {
    int flags = s_parse_notify(classes);
    if (flags < 0) return -1;
    s_extra.notify_flags = flags;
    return 0;
}
long long config_client_timeout(void) { return s_extra.timeout; }
const char *config_save_rules(void) { return s_extra.save ? s_extra.save : ""; }

static char *s_parse_save(const char *v);

int config_init_save(const char *rules) {
    char *canon = s_parse_save(rules);
    if (!canon) return -1;
    free(s_extra.save);
    s_extra.save = canon;
    return 0;
}

/* ===================== the table ===================== */

enum {
    K_INT,    /* signed number, plain integer syntax */
    K_UINT,   /* unsigned number, plain integer syntax */
    K_MEM,    /* signed number, memory syntax (512mb) */
    K_UMEM,   /* unsigned number, memory syntax */
    K_ENUM,   /* one of choices, stored as a string */
    K_BOOL,   /* yes|no */
    K_SAVE,   /* save rules */
    K_NOTIFY, /* keyspace event classes */
    K_COBL,   /* client-output-buffer-limit: class hard soft seconds ... */
    K_PASS,   /* requirepass: any string, "" = none */
};

enum {
    F_IMMUTABLE = 1 << 0, /* fixed at start-up */
    F_PROTECTED = 1 << 1, /* Redis refuses it at run time unless enable-protected-configs */
    F_FRONTEND = 1 << 2,  /* enforced by the frontends: a change is sent to them */
    F_PERSISTER = 1 << 3, /* the persister's: a change is sent to it */
};

/* Where a value lives. */
enum { AT_NONE, AT_CFG_INT, AT_CFG_LL, AT_CFG_STR, AT_TIMEOUT, AT_AOF_LL, AT_AOF_STR };


typedef struct cfg_def {
    const char *name;
    int kind, flags;
    long long min, max; /* numeric bounds (compared unsigned for K_UINT/K_UMEM) */
    int at;
    size_t off; /* into engine_config_t for AT_CFG_* */
    size_t cap; /* AT_CFG_STR buffer size */
    const char *const *choices;
    /* value for CONFIG GET when not simply stored (NULL: read from at/off) */
    void (*get)(engine_t *e, char *out, size_t cap);
    /* refuses a value the parser accepted but Vole cannot honour yet (NULL: none) */
    const char *(*check)(const char *v, long long n);
} cfg_def_t;

static const char *const s_policies[] = {"volatile-lru", "volatile-lfu", "volatile-random",
                                         "volatile-ttl", "allkeys-lru", "allkeys-lfu",
                                         "allkeys-random", "noeviction", NULL};
static const char *const s_yesno[] = {"yes", "no", NULL};
static const char *const s_debug_modes[] = {"no", "yes", "local", NULL};

static void s_get_dir(engine_t *e, char *out, size_t cap) {
    char *abs = realpath(e->cfg.dir, NULL);
    snprintf(out, cap, "%s", abs ? abs : e->cfg.dir);
    free(abs);
}

static void s_get_port(engine_t *e, char *out, size_t cap) {
    const char *colon = strrchr(e->cfg.bind_addr, ':');
    snprintf(out, cap, "%s", colon ? colon + 1 : "0");
}

static void s_get_bind(engine_t *e, char *out, size_t cap) {
    const char *a = e->cfg.bind_addr, *colon = strrchr(a, ':');
    size_t n = colon ? (size_t)(colon - a) : strlen(a);
    if (n >= 2 && a[0] == '[' && a[n - 1] == ']') {
        a++;
        n -= 2;
    }
    snprintf(out, cap, "%.*s", (int)n, a);
}

static void s_get_no(engine_t *e, char *out, size_t cap) {
    (void)e;
    snprintf(out, cap, "no");
}

static void s_get_cobl(engine_t *e, char *out, size_t cap) {
    (void)e;
    static const char *names[COBL_CLASSES] = {"normal", "slave", "pubsub"};
    size_t len = 0;
    for (int k = 0; k < COBL_CLASSES && len < cap; k++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s %lld %lld %lld", k ? " " : "",
                                names[k], s_extra.cobl[k][0], s_extra.cobl[k][1],
                                s_extra.cobl[k][2]);
}

static int s_parse_mem(const char *s, unsigned long long *out);

/* "class hard soft seconds ..." as Redis reads it: returns NULL with the classes given set in
 * out (the others untouched), or Redis's reason. */
static const char *s_parse_cobl(const char *v, long long out[COBL_CLASSES][3]) {
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", v);
    char *tok[64];
    int n = 0;
    for (char *sp = NULL, *t = strtok_r(tmp, " ", &sp); t; t = strtok_r(NULL, " ", &sp)) {
        if (n == 64) return "Wrong number of arguments in buffer limit configuration.";
        tok[n++] = t;
    }
    if (n % 4) return "Wrong number of arguments in buffer limit configuration.";
    for (int i = 0; i < n; i += 4) {
        int k;
        if (!strcasecmp(tok[i], "normal")) k = COBL_NORMAL;
        else if (!strcasecmp(tok[i], "slave") || !strcasecmp(tok[i], "replica")) k = COBL_REPLICA;
        else if (!strcasecmp(tok[i], "pubsub")) k = COBL_PUBSUB;
        else return "Invalid client class specified in buffer limit configuration.";
        unsigned long long hard, soft;
        char *end;
        long long secs = strtoll(tok[i + 3], &end, 10);
        if (s_parse_mem(tok[i + 1], &hard) || s_parse_mem(tok[i + 2], &soft) || secs < 0 ||
            (long long)hard < 0 || (long long)soft < 0)
            return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        out[k][0] = (long long)hard;
        out[k][1] = (long long)soft;
        out[k][2] = secs;
    }
    return NULL;
}

const char *config_requirepass(void) { return s_extra.requirepass; }

void config_init_requirepass(const char *v) {
    snprintf(s_extra.requirepass, sizeof s_extra.requirepass, "%s", v);
}

static void s_get_requirepass(engine_t *e, char *out, size_t cap) {
    (void)e;
    snprintf(out, cap, "%s", s_extra.requirepass);
}

int config_init_client_output_buffer_limit(const char *v) {
    if (!*v) return 0;
    return s_parse_cobl(v, s_extra.cobl) ? -1 : 0;
}

static void s_get_save(engine_t *e, char *out, size_t cap) {
    (void)e;
    snprintf(out, cap, "%s", s_extra.save ? s_extra.save : "");
}

static void s_notify_to_str(int flags, char *out, size_t cap) {
    char tmp[32], *p = tmp;
    if ((flags & NKE_ALL) == NKE_ALL) {
        *p++ = 'A';
    } else {
        static const struct { int bit; char ch; } cls[] = {
            {NOTIFY_GENERIC, 'g'}, {NOTIFY_STRING, '$'}, {NOTIFY_LIST, 'l'}, {NOTIFY_SET, 's'},
            {NOTIFY_HASH, 'h'},    {NOTIFY_ZSET, 'z'},   {NOTIFY_EXPIRED, 'x'},
            {NOTIFY_EVICTED, 'e'}, {NOTIFY_STREAM, 't'}, {NKE_MODULE, 'd'}, {NKE_NEW, 'n'},
        };
        for (size_t i = 0; i < sizeof cls / sizeof cls[0]; i++)
            if (flags & cls[i].bit) *p++ = cls[i].ch;
    }
    if (flags & NKE_KEYSPACE) *p++ = 'K';
    if (flags & NKE_KEYEVENT) *p++ = 'E';
    if (flags & NKE_KEY_MISS) *p++ = 'm';
    *p = '\0';
    snprintf(out, cap, "%s", tmp);
}

static void s_get_notify(engine_t *e, char *out, size_t cap) {
    (void)e;
    s_notify_to_str(s_extra.notify_flags, out, cap);
}

/* in Redis's order (its error message lists them so) */
static const char *const s_fsync_modes[] = {"everysec", "always", "no", NULL};

/* The persister's settings (the engine answers CONFIG for them and forwards changes). */
static struct {
    long long appendonly;   /* the AOF is on */
    char appendfsync[16];   /* one of s_fsync_modes */
    char filename[256];     /* appendfilename, fixed */
    char dirname[256];      /* appenddirname, fixed */
    long long rewrite_perc; /* auto-aof-rewrite-percentage */
    long long rewrite_min;  /* auto-aof-rewrite-min-size */
} s_aof = {0, "everysec", "", "", 100, 64LL << 20};

void config_init_aof(int on, const char *appendfsync, const char *filename, const char *dirname,
                     int rewrite_perc, long long rewrite_min) {
    s_aof.appendonly = on;
    s_aof.rewrite_perc = rewrite_perc;
    s_aof.rewrite_min = rewrite_min;
    snprintf(s_aof.filename, sizeof s_aof.filename, "%s", filename);
    snprintf(s_aof.dirname, sizeof s_aof.dirname, "%s", dirname);
    for (const char *const *m = s_fsync_modes; *m; m++)
        if (!strcasecmp(*m, appendfsync))
            snprintf(s_aof.appendfsync, sizeof s_aof.appendfsync, "%s", *m);
}

const char *config_appendfsync(void) { return s_aof.appendfsync; }
int config_appendonly(void) { return s_aof.appendonly != 0; }

void config_aof_rewrite(long long *perc, long long *min_size) {
    *perc = s_aof.rewrite_perc;
    *min_size = s_aof.rewrite_min;
}


#define CFG_INT(field) AT_CFG_INT, offsetof(engine_config_t, field), 0
#define CFG_LL(field) AT_CFG_LL, offsetof(engine_config_t, field), 0
#define CFG_STR(field) AT_CFG_STR, offsetof(engine_config_t, field), \
                       sizeof(((engine_config_t *)0)->field)
#define NOWHERE AT_NONE, 0, 0
#define AOF_LL(field) AT_AOF_LL, offsetof(__typeof__(s_aof), field), 0
#define AOF_STR(field) AT_AOF_STR, offsetof(__typeof__(s_aof), field), sizeof s_aof.field

/* proto-max-bulk-len, client-query-buffer-limit and maxclients are enforced by the
 * frontends: a change is sent to them (engine_send_frontend_config) before the reply. port,
 * bind and dir belong to other processes and stay fixed at run time. */
static const cfg_def_t s_cfgs[] = {
    {"databases", K_INT, F_IMMUTABLE, 1, INT_MAX, CFG_INT(databases), NULL, NULL, NULL},
    {"hz", K_INT, 0, 0, INT_MAX, CFG_INT(hz), NULL, NULL, NULL},
    {"maxclients", K_UINT, F_FRONTEND, 1, UINT_MAX, CFG_LL(maxclients), NULL, NULL, NULL},
    {"maxmemory", K_UMEM, 0, 0, -1 /* ULLONG_MAX */, CFG_LL(maxmemory), NULL, NULL, NULL},
    {"maxmemory-policy", K_ENUM, 0, 0, 0, CFG_STR(maxmemory_policy), s_policies, NULL, NULL},
    {"proto-max-bulk-len", K_MEM, F_FRONTEND, 1024 * 1024, LONG_MAX, CFG_LL(proto_max_bulk_len),
     NULL, NULL, NULL},
    {"client-query-buffer-limit", K_MEM, F_FRONTEND, 1024 * 1024, LONG_MAX,
     CFG_LL(client_query_buffer_limit), NULL, NULL, NULL},
    {"dir", K_ENUM, F_PROTECTED, 0, 0, NOWHERE, NULL, s_get_dir, NULL},
    {"save", K_SAVE, 0, 0, 0, NOWHERE, NULL, s_get_save, NULL},
    {"requirepass", K_PASS, 0, 0, 0, NOWHERE, NULL, s_get_requirepass, NULL},
    {"client-output-buffer-limit", K_COBL, F_FRONTEND, 0, 0, NOWHERE, NULL, s_get_cobl, NULL},
    {"appendonly", K_BOOL, F_PERSISTER, 0, 0, AOF_LL(appendonly), s_yesno, NULL, NULL},
    {"appendfsync", K_ENUM, F_PERSISTER, 0, 0, AOF_STR(appendfsync), s_fsync_modes, NULL, NULL},
    {"auto-aof-rewrite-percentage", K_INT, F_PERSISTER, 0, INT_MAX, AOF_LL(rewrite_perc), NULL,
     NULL, NULL},
    {"auto-aof-rewrite-min-size", K_MEM, F_PERSISTER, 0, LLONG_MAX, AOF_LL(rewrite_min), NULL,
     NULL, NULL},
    {"appendfilename", K_ENUM, F_IMMUTABLE, 0, 0, AOF_STR(filename), NULL, NULL, NULL},
    {"appenddirname", K_ENUM, F_IMMUTABLE, 0, 0, AOF_STR(dirname), NULL, NULL, NULL},
    {"port", K_INT, F_IMMUTABLE, 0, 65535, NOWHERE, NULL, s_get_port, NULL},
    {"bind", K_ENUM, F_IMMUTABLE, 0, 0, NOWHERE, NULL, s_get_bind, NULL},
    {"timeout", K_UINT, 0, 0, INT_MAX, AT_TIMEOUT, 0, 0, NULL, NULL, NULL},
    {"notify-keyspace-events", K_NOTIFY, 0, 0, 0, NOWHERE, NULL, s_get_notify, NULL},
    {"cluster-enabled", K_BOOL, F_IMMUTABLE, 0, 0, NOWHERE, s_yesno, s_get_no, NULL},
    /* compact encodings (the ziplist names are Redis's aliases) */
    {"hash-max-listpack-entries", K_UINT, 0, 0, LONG_MAX, CFG_LL(hash_max_listpack_entries), NULL,
     NULL, NULL},
    {"hash-max-ziplist-entries", K_UINT, 0, 0, LONG_MAX, CFG_LL(hash_max_listpack_entries), NULL,
     NULL, NULL},
    {"hash-max-listpack-value", K_UMEM, 0, 0, LONG_MAX, CFG_LL(hash_max_listpack_value), NULL,
     NULL, NULL},
    {"hash-max-ziplist-value", K_UMEM, 0, 0, LONG_MAX, CFG_LL(hash_max_listpack_value), NULL,
     NULL, NULL},
    {"set-max-intset-entries", K_UINT, 0, 0, LONG_MAX, CFG_LL(set_max_intset_entries), NULL,
     NULL, NULL},
    {"zset-max-listpack-entries", K_UINT, 0, 0, LONG_MAX, CFG_LL(zset_max_listpack_entries), NULL,
     NULL, NULL},
    {"zset-max-ziplist-entries", K_UINT, 0, 0, LONG_MAX, CFG_LL(zset_max_listpack_entries), NULL,
     NULL, NULL},
    {"zset-max-listpack-value", K_UMEM, 0, 0, LONG_MAX, CFG_LL(zset_max_listpack_value), NULL,
     NULL, NULL},
    {"zset-max-ziplist-value", K_UMEM, 0, 0, LONG_MAX, CFG_LL(zset_max_listpack_value), NULL,
     NULL, NULL},
    {"list-max-listpack-size", K_INT, 0, INT_MIN, INT_MAX, CFG_INT(list_max_listpack_size), NULL,
     NULL, NULL},
    {"list-max-ziplist-size", K_INT, 0, INT_MIN, INT_MAX, CFG_INT(list_max_listpack_size), NULL,
     NULL, NULL},
    {"stream-node-max-bytes", K_MEM, 0, 0, LONG_MAX, CFG_LL(stream_node_max_bytes), NULL, NULL,
     NULL},
    {"stream-node-max-entries", K_INT, 0, 0, LLONG_MAX, CFG_LL(stream_node_max_entries), NULL,
     NULL, NULL},
    {"tracking-table-max-keys", K_UINT, 0, 0, LONG_MAX, CFG_LL(tracking_table_max_keys), NULL,
     NULL, NULL},
    {"hll-sparse-max-bytes", K_UMEM, 0, 0, LONG_MAX, CFG_LL(hll_sparse_max_bytes), NULL, NULL,
     NULL},
    {"list-compress-depth", K_INT, 0, 0, INT_MAX, CFG_INT(list_compress_depth), NULL, NULL, NULL},
    {"enable-debug-command", K_ENUM, F_IMMUTABLE, 0, 0, CFG_STR(enable_debug_command),
     s_debug_modes, NULL, NULL},
    /* Vole's audit log (engine/audit.c) */
    {"audit-max-entries", K_UINT, 0, 1, 100000000, CFG_LL(audit_max_entries), NULL, NULL, NULL},
    {"audit-value-max-len", K_UINT, 0, 1, 1 << 20, CFG_LL(audit_value_max_len), NULL, NULL,
     NULL},
    {NULL, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL},
};

static const cfg_def_t *s_lookup(const char *p, size_t len) {
    for (const cfg_def_t *d = s_cfgs; d->name; d++)
        if (strlen(d->name) == len && strncasecmp(d->name, p, len) == 0) return d;
    return NULL;
}

static void s_get(engine_t *e, const cfg_def_t *d, char *out, size_t cap) {
    if (d->get) {
        d->get(e, out, cap);
        return;
    }
    char *base = (char *)&e->cfg;
    switch (d->at) {
    case AT_CFG_INT: snprintf(out, cap, "%d", *(int *)(base + d->off)); break;
    case AT_CFG_LL:
        if (d->kind == K_UMEM || d->kind == K_UINT)
            snprintf(out, cap, "%llu", *(unsigned long long *)(base + d->off));
        else snprintf(out, cap, "%lld", *(long long *)(base + d->off));
        break;
    case AT_CFG_STR: snprintf(out, cap, "%s", base + d->off); break;
    case AT_TIMEOUT: snprintf(out, cap, "%lld", s_extra.timeout); break;
    case AT_AOF_STR: snprintf(out, cap, "%s", (char *)&s_aof + d->off); break;
    case AT_AOF_LL: {
        long long v = *(long long *)((char *)&s_aof + d->off);
        if (d->kind == K_BOOL) snprintf(out, cap, "%s", v ? "yes" : "no");
        else snprintf(out, cap, "%lld", v);
        break;
    }
    default: out[0] = '\0';
    }
}

/* ===================== parsing (Redis's rules, so the same inputs fail) ============== */

/* Memory syntax: digits with an optional b/k/kb/m/mb/g/gb suffix; an empty string is 0 and
 * too many digits saturate, then the bounds check speaks. Returns 0 or -1. */
static int s_parse_mem(const char *s, unsigned long long *out) {
    const char *u = s;
    if (*u == '-') return -1;
    while (*u >= '0' && *u <= '9') u++;
    unsigned long long mul = mem_unit(u);
    if (!mul) return -1;
    unsigned long long v = 0;
    for (const char *p = s; p < u; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (ULLONG_MAX - d) / 10) {
            v = ULLONG_MAX;
            break;
        }
        v = v * 10 + d;
    }
    *out = v * mul;
    return 0;
}

/* Save rules: "secs changes" pairs separated by single spaces, as Redis splits them. Returns
 * the canonical form (malloc'ed, "" for none) or NULL when invalid. */
static char *s_parse_save(const char *v) {
    buf_t b;
    buf_init(&b);
    if (*v == '\0') {
        buf_append(&b, "", 1);
        return buf_detach(&b, NULL);
    }
    int j = 0;
    const char *p = v;
    for (;;) {
        const char *sp = strchr(p, ' ');
        size_t n = sp ? (size_t)(sp - p) : strlen(p);
        char tok[64];
        if (n >= sizeof tok) goto bad;
        memcpy(tok, p, n);
        tok[n] = '\0';
        char *end;
        long long x = strtoll(tok, &end, 10);
        if (*end != '\0' || ((j & 1) == 0 && x < 1) || ((j & 1) == 1 && x < 0)) goto bad;
        buf_printf(&b, "%s%lld", j ? " " : "", (j & 1) ? (long long)(int)x : x);
        j++;
        if (!sp) break;
        p = sp + 1;
    }
    if (j & 1) goto bad;
    buf_append(&b, "", 1);
    return buf_detach(&b, NULL);
bad:
    buf_free(&b);
    return NULL;
}

static int s_parse_notify(const char *v) {
    int flags = 0;
    for (; *v; v++) {
        switch (*v) {
        case 'A': flags |= NKE_ALL; break;
        case 'g': flags |= NOTIFY_GENERIC; break;
        case '$': flags |= NOTIFY_STRING; break;
        case 'l': flags |= NOTIFY_LIST; break;
        case 's': flags |= NOTIFY_SET; break;
        case 'h': flags |= NOTIFY_HASH; break;
        case 'z': flags |= NOTIFY_ZSET; break;
        case 'x': flags |= NOTIFY_EXPIRED; break;
        case 'e': flags |= NOTIFY_EVICTED; break;
        case 'K': flags |= NKE_KEYSPACE; break;
        case 'E': flags |= NKE_KEYEVENT; break;
        case 't': flags |= NOTIFY_STREAM; break;
        case 'm': flags |= NKE_KEY_MISS; break;
        case 'd': flags |= NKE_MODULE; break;
        case 'n': flags |= NKE_NEW; break;
        default: return -1;
        }
    }
    return flags;
}

/* A parsed, not yet applied value. */
typedef struct {
    const cfg_def_t *def;
    long long n;
    const char *choice; /* K_ENUM */
    char *str;          /* K_SAVE, owned */
    long long cobl[COBL_CLASSES][3]; /* K_COBL */
} staged_t;

/* Parses v for d into st; returns NULL or the reason it was refused (Redis's wording). */
static const char *s_parse(const cfg_def_t *d, const char *v, size_t vlen, staged_t *st,
                           char *errbuf, size_t errcap) {
    st->def = d;
    switch (d->kind) {
    case K_INT:
    case K_UINT:
    case K_MEM:
    case K_UMEM: {
        long long n;
        if (d->kind == K_MEM || d->kind == K_UMEM) {
            unsigned long long u;
            if (s_parse_mem(v, &u)) return "argument must be a memory value";
            n = (long long)u;
        } else if (!str_to_ll(v, vlen, &n)) {
            return "argument couldn't be parsed into an integer";
        }
        if (d->kind == K_UINT || d->kind == K_UMEM) {
            unsigned long long u = (unsigned long long)n;
            if (u < (unsigned long long)d->min || u > (unsigned long long)d->max) {
                snprintf(errbuf, errcap, "argument must be between %llu and %llu inclusive",
                         (unsigned long long)d->min, (unsigned long long)d->max);
                return errbuf;
            }
        } else if (n < d->min || n > d->max) {
            snprintf(errbuf, errcap, "argument must be between %lld and %lld inclusive", d->min,
                     d->max);
            return errbuf;
        }
        st->n = n;
        break;
    }
    case K_ENUM: {
        for (const char *const *ch = d->choices; ch && *ch; ch++) {
            if (strcasecmp(*ch, v) == 0) {
                st->choice = *ch;
                return NULL;
            }
        }
        size_t len = (size_t)snprintf(errbuf, errcap, "argument(s) must be one of the following: ");
        for (const char *const *ch = d->choices; ch && *ch && len < errcap; ch++)
            len += (size_t)snprintf(errbuf + len, errcap - len, "%s%s", *ch, ch[1] ? ", " : "");
        return errbuf;
    }
    case K_BOOL:
        if (strcasecmp(v, "yes") == 0) st->n = 1;
        else if (strcasecmp(v, "no") == 0) st->n = 0;
        else return "argument must be 'yes' or 'no'";
        break;
    case K_SAVE:
        st->str = s_parse_save(v);
        if (!st->str) return "Invalid save parameters";
        break;
    case K_NOTIFY:
        st->n = s_parse_notify(v);
        if (st->n < 0) return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
        break;
    case K_PASS:
        if (vlen >= sizeof s_extra.requirepass) return "argument is too long";
        st->str = strndup(v, vlen);
        if (!st->str) abort();
        break;
    case K_COBL: {
        memcpy(st->cobl, s_extra.cobl, sizeof st->cobl);
        const char *why = s_parse_cobl(v, st->cobl);
        if (why) return why;
        break;
    }
    }
    if (d->check) return d->check(v, st->n);
    return NULL;
}

static void s_apply(engine_t *e, staged_t *st) {
    const cfg_def_t *d = st->def;
    char *base = (char *)&e->cfg;
    switch (d->kind) {
    case K_SAVE:
        free(s_extra.save);
        s_extra.save = st->str;
        st->str = NULL;
        return;
    case K_NOTIFY: s_extra.notify_flags = (int)st->n; return;
    case K_COBL: memcpy(s_extra.cobl, st->cobl, sizeof s_extra.cobl); return;
    case K_PASS:
        /* connections already authenticated stay so, as in Redis */
        snprintf(s_extra.requirepass, sizeof s_extra.requirepass, "%s", st->str);
        return;
    case K_ENUM:
        if (d->at == AT_CFG_STR) {
            snprintf(base + d->off, d->cap, "%s", st->choice);
        } else if (d->at == AT_AOF_STR) { /* appendfsync */
            snprintf((char *)&s_aof + d->off, d->cap, "%s", st->choice);
            engine_set_fsync_always(e, s_aof.appendonly && strcmp(st->choice, "always") == 0);
        }
        return;
    default: break;
    }
    long long n = st->n;
    /* Redis keeps the configured hz but runs within 1..500 and reports the effective one */
    if (strcmp(d->name, "hz") == 0) n = n < 1 ? 1 : n > 500 ? 500 : n;
    switch (d->at) {
    case AT_CFG_INT: *(int *)(base + d->off) = (int)n; break;
    case AT_CFG_LL:
        *(long long *)(base + d->off) = n;
        if (!strncmp(d->name, "stream-node-max-", 16))
            stream_set_node_limits(e->cfg.stream_node_max_bytes, e->cfg.stream_node_max_entries);
        break;
    case AT_TIMEOUT: s_extra.timeout = n; break;
    case AT_AOF_LL: {
        long long *field = (long long *)((char *)&s_aof + d->off);
        int turned = field == &s_aof.appendonly && (n != 0) != (*field != 0);
        *field = n;
        if (turned) engine_set_appendonly(e, n != 0);
        break;
    }
    default: break;
    }
}

/* ===================== handlers ===================== */

void cmd_config_get(client_t *c) {
    engine_t *e = c->eng;
    size_t ncfg = sizeof s_cfgs / sizeof s_cfgs[0] - 1;
    /* matched settings in reply order, each with the name to answer with: an exact name is
     * echoed as the client typed it, a pattern answers with the setting's own name */
    const cfg_def_t *match[sizeof s_cfgs / sizeof s_cfgs[0]];
    const proto_arg_t *as_typed[sizeof s_cfgs / sizeof s_cfgs[0]];
    size_t nmatch = 0;
    for (int i = 2; i < c->argc; i++) {
        const proto_arg_t *pat = &c->argv[i];
        size_t plen = strnlen(pat->ptr, pat->len);
        int glob = memchr(pat->ptr, '*', plen) || memchr(pat->ptr, '?', plen) ||
                   memchr(pat->ptr, '[', plen);
        for (size_t k = 0; k < ncfg; k++) {
            const cfg_def_t *d = &s_cfgs[k];
            int hit = glob ? glob_match(pat->ptr, pat->len, d->name, strlen(d->name), 1)
                           : (strlen(d->name) == pat->len &&
                              strncasecmp(d->name, pat->ptr, pat->len) == 0);
            if (!hit) continue;
            size_t m = 0;
            while (m < nmatch && match[m] != d) m++;
            if (m < nmatch) continue;
            match[nmatch] = d;
            as_typed[nmatch] = glob ? NULL : pat;
            nmatch++;
        }
    }
    reply_map(c, (long long)nmatch);
    char val[1024];
    for (size_t m = 0; m < nmatch; m++) {
        if (as_typed[m]) reply_bulk(c, as_typed[m]->ptr, as_typed[m]->len);
        else reply_bulk_cstr(c, match[m]->name);
        s_get(e, match[m], val, sizeof val);
        reply_bulk_cstr(c, val);
    }
}

void cmd_config_set(client_t *c) {
    engine_t *e = c->eng;
    if (c->argc % 2) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    int count = (c->argc - 2) / 2;
    staged_t *st = calloc((size_t)count, sizeof *st);
    if (!st) abort();
    const proto_arg_t *bad_name = NULL, *unknown = NULL;
    const char *why = NULL;
    char errbuf[512];

    /* names first: the first unknown, immutable or repeated one fails the whole call */
    for (int i = 0; i < count && !unknown && !why; i++) {
        const proto_arg_t *name = &c->argv[2 + 2 * i];
        const cfg_def_t *d = s_lookup(name->ptr, name->len);
        if (!d) {
            unknown = name;
        } else if (d->flags & (F_IMMUTABLE | F_PROTECTED)) {
            why = d->flags & F_IMMUTABLE ? "can't set immutable config"
                                         : "can't set protected config";
            bad_name = name;
        } else {
            for (int j = 0; j < i; j++)
                if (st[j].def == d) {
                    why = "duplicate parameter";
                    bad_name = name;
                }
            st[i].def = d;
        }
    }
    if (unknown) {
        reply_errorf(c, "Unknown option or number of arguments for CONFIG SET - '%.*s'",
                     (int)unknown->len, unknown->ptr);
        goto done;
    }
    if (why) {
        reply_errorf(c, "CONFIG SET failed (possibly related to argument '%.*s') - %s",
                     (int)bad_name->len, bad_name->ptr, why);
        goto done;
    }

    /* then values, all of them before anything changes, so the call is atomic */
    for (int i = 0; i < count; i++) {
        const proto_arg_t *v = &c->argv[3 + 2 * i];
        char *tmp = malloc(v->len + 1);
        if (!tmp) abort();
        memcpy(tmp, v->ptr, v->len);
        tmp[v->len] = '\0';
        why = s_parse(st[i].def, tmp, v->len, &st[i], errbuf, sizeof errbuf);
        free(tmp);
        if (why) {
            reply_errorf(c, "CONFIG SET failed (possibly related to argument '%s') - %s",
                         st[i].def->name, why);
            goto done;
        }
    }
    int frontend = 0, persister = 0;
    for (int i = 0; i < count; i++) {
        s_apply(e, &st[i]);
        frontend |= st[i].def->flags & F_FRONTEND;
        persister |= st[i].def->flags & F_PERSISTER;
    }
    if (frontend) engine_send_frontend_config(e);
    if (persister) engine_send_persister_config(e);
    e->oom_recheck = 1; /* maxmemory or its policy may have changed */
    reply_ok(c);
done:
    for (int i = 0; i < count; i++) free(st[i].str);
    free(st);
}

void cmd_config_resetstat(client_t *c) {
    engine_t *e = c->eng;
    long long dirty = e->stats.dirty; /* a persistence counter, not a statistic */
    memset(&e->stats, 0, sizeof e->stats);
    e->stats.dirty = dirty;
    for (command_t *cmd = commands_table(); cmd && cmd->name; cmd++) {
        cmd->calls = cmd->usec = cmd->rejected = cmd->failed = 0;
        memset(cmd->lat_hist, 0, sizeof cmd->lat_hist);
        if (cmd->subcommands)
            for (command_t *sub = cmd->subcommands; sub->name; sub++) {
                sub->calls = sub->usec = sub->rejected = sub->failed = 0;
                memset(sub->lat_hist, 0, sizeof sub->lat_hist);
            }
    }
    reply_ok(c);
}

/* Settings only the engine has, from the settings file or flags ("name value\n" lines, see
 * vole_config_t.engine_settings): checked and applied with CONFIG SET's rules. 0, or -1 with
 * the reason in err. */
int config_apply_startup(engine_t *e, const char *lines, char *err, size_t errlen) {
    for (const char *l = lines; l && *l;) {
        const char *eol = strchr(l, '\n');
        size_t len = eol ? (size_t)(eol - l) : strlen(l);
        const char *sp = memchr(l, ' ', len);
        size_t nlen = sp ? (size_t)(sp - l) : len;
        char value[1024];
        snprintf(value, sizeof value, "%.*s", sp ? (int)(len - nlen - 1) : 0, sp ? sp + 1 : "");
        const cfg_def_t *d = s_lookup(l, nlen);
        if (!d) {
            snprintf(err, errlen, "unknown setting '%.*s'", (int)nlen, l);
            return -1;
        }
        staged_t st = {0};
        char errbuf[256];
        const char *why = s_parse(d, value, strlen(value), &st, errbuf, sizeof errbuf);
        if (!why && d->kind == K_BOOL && st.n && !strcmp(d->name, "cluster-enabled"))
            why = "Vole runs without cluster mode";
        if (why) {
            snprintf(err, errlen, "invalid value '%s' for '%s': %s", value, d->name, why);
            free(st.str);
            return -1;
        }
        s_apply(e, &st);
        free(st.str);
        l += len + (eol ? 1 : 0);
    }
    return 0;
}

/* ===================== CONFIG REWRITE ===================== */

static char s_config_path[PATH_MAX]; /* the settings file the server started with, "" = none */
static char **s_start_values;        /* every setting's value once start-up was done */

void config_init_rewrite(engine_t *e, const char *config_file) {
    s_config_path[0] = '\0';
    if (config_file && config_file[0] && !realpath(config_file, s_config_path))
        snprintf(s_config_path, sizeof s_config_path, "%s", config_file);
    size_t n = sizeof s_cfgs / sizeof s_cfgs[0] - 1;
    if (!s_start_values) s_start_values = calloc(n, sizeof *s_start_values);
    if (!s_start_values) abort();
    for (size_t i = 0; i < n; i++) {
        char v[2048];
        s_get(e, &s_cfgs[i], v, sizeof v);
        free(s_start_values[i]);
        s_start_values[i] = strdup(v);
        if (!s_start_values[i]) abort();
    }
}

/* Appends v as one argument of a settings line, quoted when it must be or when Redis always
 * quotes that kind of setting (strings). */
static void s_put_arg(buf_t *b, const char *v, int quote) {
    int plain = v[0] != '\0' && !quote;
    for (const char *p = v; *p && plain; p++)
        if (!isgraph((unsigned char)*p) || *p == '"' || *p == '\'' || *p == '\\') plain = 0;
    if (plain) {
        buf_append(b, v, strlen(v));
        return;
    }
    buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') snprintf(esc, sizeof esc, "\\%c", *p);
        else if (isprint(*p)) snprintf(esc, sizeof esc, "%c", *p);
        else snprintf(esc, sizeof esc, "\\x%02x", *p);
        buf_append(b, esc, strlen(esc));
    }
    buf_append(b, "\"", 1);
}

/* A byte count the way Redis writes it in a settings file: 1gb, 64mb, 512kb or plain. */
static void s_fmt_mem(char *out, size_t cap, long long v) {
    static const struct { long long unit; const char *name; } units[] = {
        {1LL << 30, "gb"}, {1LL << 20, "mb"}, {1LL << 10, "kb"}};
    for (size_t i = 0; i < 3; i++)
        if (v && v % units[i].unit == 0) {
            snprintf(out, cap, "%lld%s", v / units[i].unit, units[i].name);
            return;
        }
    snprintf(out, cap, "%lld", v);
}

/* The settings lines for d as it is now. appended: the file had none (then, as Redis, only
 * the client-output-buffer-limit classes that differ from the defaults are written). */
static void s_rewrite_lines(engine_t *e, const cfg_def_t *d, buf_t *b, int appended) {
    char v[2048];
    if (d->kind == K_COBL) {
        static const char *names[COBL_CLASSES] = {"normal", "replica", "pubsub"};
        static const long long defaults[COBL_CLASSES][3] = {
            {0, 0, 0}, {256LL << 20, 64LL << 20, 60}, {32LL << 20, 8LL << 20, 60}};
        for (int k = 0; k < COBL_CLASSES; k++) {
            if (appended && !memcmp(s_extra.cobl[k], defaults[k], sizeof defaults[k])) continue;
            char hard[32], soft[32], line[160];
            s_fmt_mem(hard, sizeof hard, s_extra.cobl[k][0]);
            s_fmt_mem(soft, sizeof soft, s_extra.cobl[k][1]);
            snprintf(line, sizeof line, "client-output-buffer-limit %s %s %s %lld\n", names[k],
                     hard, soft, s_extra.cobl[k][2]);
            buf_append(b, line, strlen(line));
        }
        return;
    }
    s_get(e, d, v, sizeof v);
    if (d->kind == K_SAVE && v[0]) { /* one line per rule, as Redis writes them */
        char *save_ptr = NULL;
        for (char *secs = strtok_r(v, " ", &save_ptr); secs; secs = strtok_r(NULL, " ", &save_ptr)) {
            char *changes = strtok_r(NULL, " ", &save_ptr);
            char line[96];
            snprintf(line, sizeof line, "save %s %s\n", secs, changes ? changes : "1");
            buf_append(b, line, strlen(line));
        }
        return;
    }
    if (d->kind == K_MEM || d->kind == K_UMEM) s_fmt_mem(v, sizeof v, strtoll(v, NULL, 10));
    buf_append(b, d->name, strlen(d->name));
    buf_append(b, " ", 1);
    s_put_arg(b, v, d->kind == K_PASS || d->kind == K_NOTIFY || !strcmp(d->name, "dir"));
    buf_append(b, "\n", 1);
}

/* The setting a line of the file sets, or NULL (comments, blank lines, settings the engine
 * does not have: those lines stay as they are). */
static const cfg_def_t *s_line_setting(const char *line, size_t len) {
    while (len && isspace((unsigned char)*line)) line++, len--;
    size_t w = 0;
    while (w < len && !isspace((unsigned char)line[w])) w++;
    if (!w || line[0] == '#') return NULL;
    return s_lookup(line, w);
}

/* Rewrites the settings file as Redis does: a setting's first line gets its current value,
 * later lines of the same setting go, and settings changed since start-up that the file does
 * not have are added at the end. Written to a temporary file, fsynced and renamed. */
void cmd_config_rewrite(client_t *c) {
    engine_t *e = c->eng;
    if (!s_config_path[0]) {
        reply_error(c, "-ERR The server is running without a config file");
        return;
    }
    size_t ncfg = sizeof s_cfgs / sizeof s_cfgs[0] - 1;
    char *written = calloc(ncfg, 1);
    if (!written) abort();
    buf_t out;
    buf_init(&out);
    FILE *f = fopen(s_config_path, "r");
    if (!f && errno != ENOENT) {
        reply_errorf(c, "Rewriting config file: %s", strerror(errno));
        free(written);
        buf_free(&out);
        return;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int has_marker = 0;
    static const char marker[] = "# Generated by CONFIG REWRITE";
    while (f && (n = getline(&line, &cap, f)) >= 0) {
        if (!strncmp(line, marker, sizeof marker - 1)) has_marker = 1;
        const cfg_def_t *d = s_line_setting(line, (size_t)n);
        if (!d) {
            buf_append(&out, line, (size_t)n);
            if (n && line[n - 1] != '\n') buf_append(&out, "\n", 1);
            continue;
        }
        size_t i = (size_t)(d - s_cfgs);
        if (written[i]) continue; /* a later line of a setting already written */
        written[i] = 1;
        s_rewrite_lines(e, d, &out, 0);
    }
    free(line);
    if (f) fclose(f);
    for (size_t i = 0; i < ncfg; i++) {
        const cfg_def_t *d = &s_cfgs[i];
        /* Redis's old names (…-ziplist-…) share their value with the new ones */
        if (written[i] || strstr(d->name, "ziplist")) continue;
        char v[2048];
        s_get(e, d, v, sizeof v);
        if (s_start_values && s_start_values[i] && !strcmp(v, s_start_values[i])) continue;
        if (!has_marker) {
            buf_append(&out, marker, sizeof marker - 1);
            buf_append(&out, "\n", 1);
            has_marker = 1;
        }
        s_rewrite_lines(e, d, &out, 1);
    }
    free(written);
    char err[PATH_MAX + 128];
    int rc = file_replace(s_config_path, out.data, out.len, -1, err, sizeof err);
    int en = errno;
    buf_free(&out);
    if (rc < 0) {
        log_warn("CONFIG REWRITE failed: %s", err);
        reply_errorf(c, "Rewriting config file: %s", strerror(en));
        return;
    }
    log_notice("CONFIG REWRITE executed with success (%s)", s_config_path);
    reply_ok(c);
}

void cmd_config_help(client_t *c) {
    static const char *lines[] = {
        "GET <pattern>",
        "    Show the settings whose names match the glob-style <pattern>, with their values.",
        "SET <directive> <value>",
        "    Change the setting <directive> to <value>.",
        "RESETSTAT",
        "    Zero the statistics INFO reports.",
        "REWRITE",
        "    Save the current settings to the configuration file.",
        NULL,
    };
    reply_help(c, lines);
}
