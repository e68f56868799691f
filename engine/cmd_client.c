/* CLIENT and its subcommands: the connection registry as clients see it (ID, names, LIST/INFO
 * lines, KILL filters, NO-EVICT), plus the client-name rules HELLO SETNAME shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/commands.h"
#include "engine/engine.h"
#include "engine/monitor.h"
#include "engine/multi.h"
#include "engine/pubsub.h"
#include "engine/tracking.h"
#include "shared/buf.h"
#include "shared/util.h"

#define ERR_CLIENT_NAME "-ERR Client names cannot contain spaces, newlines or special characters."

/* Client types as CLIENT LIST TYPE / CLIENT KILL TYPE name them. */
enum { CTYPE_NORMAL = 0, CTYPE_REPLICA = 1, CTYPE_PUBSUB = 2, CTYPE_MASTER = 3 };

/* ---------- helpers ---------- */

/* Names are printed unquoted in CLIENT LIST, so only visible ASCII without spaces is
 * allowed (the empty name clears it). */
int client_name_is_valid(const char *p, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (p[i] < '!' || p[i] > '~') return 0;
    return 1;
}

void client_set_name(client_t *c, const char *p, size_t len) {
    if (c->name) vstr_free(c->name);
    c->name = len ? vstr_new(p, len) : NULL;
}

static int s_type_by_name(const proto_arg_t *a) {
    if (arg_is(a, "normal")) return CTYPE_NORMAL;
    if (arg_is(a, "slave") || arg_is(a, "replica")) return CTYPE_REPLICA;
    if (arg_is(a, "pubsub")) return CTYPE_PUBSUB;
    if (arg_is(a, "master")) return CTYPE_MASTER;
    return -1;
}

/* A connection is a pub/sub client while it has subscriptions, else a normal one (replicas
 * and masters arrive with replication). */
static int s_client_type(const client_t *cl) {
    return (cl->flags & CLIENT_PUBSUB) ? CTYPE_PUBSUB : CTYPE_NORMAL;
}

static int s_by_id(const void *a, const void *b) {
    const client_t *x = *(client_t *const *)a, *y = *(client_t *const *)b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* All clients of every frontend in connection order (ids grow), as Redis lists them. The
 * caller frees the array. */
static client_t **s_all_clients(engine_t *e, size_t *n) {
    size_t cap = 16, len = 0;
    client_t **v = malloc(cap * sizeof *v);
    if (!v) abort();
    for (frontend_t *fe = e->frontends; fe; fe = fe->next) {
        if (fe->hidden) continue; /* Vole's own clients (loader, scheduler) */
        dict_iter_t it;
        dict_iter_init(&it, fe->clients);
        dict_entry_t *de;
        while ((de = dict_iter_next(&it))) {
            client_t *cl = de->v.val;
            if (cl->flags & CLIENT_CLOSED) continue;
            if (len == cap) {
                cap *= 2;
                v = realloc(v, cap * sizeof *v);
                if (!v) abort();
            }
            v[len++] = cl;
        }
        dict_iter_done(&it);
    }
    qsort(v, len, sizeof *v, s_by_id);
    *n = len;
    return v;
}

static client_t *s_client_by_id(engine_t *e, uint64_t id) {
    for (frontend_t *fe = e->frontends; fe; fe = fe->next) {
        if (fe->hidden) continue; /* Vole's own clients (loader, scheduler) */
        dict_iter_t it;
        dict_iter_init(&it, fe->clients);
        dict_entry_t *de;
        client_t *found = NULL;
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

static void s_flags_str(const client_t *cl, char *out) {
    char *p = out; /* Redis's order: O P x b t R B d c u A U r e */
    if (monitors_count && monitor_is_monitor(cl)) *p++ = 'O';
    if (cl->flags & CLIENT_PUBSUB) *p++ = 'P';
    if (cl->flags & CLIENT_MULTI) *p++ = 'x';
    if (cl->flags & CLIENT_BLOCKED) *p++ = 'b';
    p = tracking_flags_str(cl, p);
    if (multi_is_dirty_cas(cl)) *p++ = 'd';
    if (cl->flags & CLIENT_CLOSE_AFTER_REPLY) *p++ = 'c';
    if (cl->conn_flags & CONN_F_UNIX) *p++ = 'U';
    if (cl->flags & CLIENT_NO_EVICT) *p++ = 'e';
    if (p == out) *p++ = 'N';
    *p = '\0';
}

/* One CLIENT LIST line in Redis 7.0's field order. The engine does not see the socket, so fd
 * is the frontend's connection id and the buffer fields describe the engine's side: no query
 * buffer, replies leave with each batch. */
static void s_client_line(buf_t *b, client_t *self, client_t *cl) {
    engine_t *e = cl->eng;
    int64_t now = e->now_ms;
    char flags[16];
    s_flags_str(cl, flags);
    size_t argv_mem = 0;
    if (cl->argv)
        for (int i = 0; i < cl->argc; i++) argv_mem += cl->argv[i].len;
    size_t tot_mem = sizeof *cl + argv_mem + (cl->name ? sizeof(vstr_t) + cl->name->len + 1 : 0);
    /* the running command for the caller itself, except during EXEC, where Redis shows
     * exec; for others the last command looked up */
    const command_t *cmd =
        (cl == self && cl->cmd && !multi_is_executing(cl)) ? cl->cmd : cl->lastcmd;
    long long sub, psub, ssub;
    pubsub_client_counts(cl, &sub, &psub, &ssub);
    long long age = now > cl->ctime_ms ? (now - cl->ctime_ms) / 1000 : 0;
    long long idle = now > cl->last_ms ? (now - cl->last_ms) / 1000 : 0;
    buf_printf(b,
               "id=%llu addr=%s laddr=%s fd=%u name=%s age=%lld idle=%lld flags=%s db=%d "
               "sub=%lld psub=%lld ssub=%lld multi=%d qbuf=0 qbuf-free=0 argv-mem=%zu "
               "multi-mem=%zu rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=%zu events=r cmd=%s "
               "user=default redir=%lld resp=%d\n",
               (unsigned long long)cl->id, cl->addr, cl->laddr, cl->fe_id,
               cl->name ? cl->name->ptr : "", age, idle, flags, cl->db ? cl->db->id : 0, sub,
               psub, ssub, multi_queued_count(cl), argv_mem, multi_mem_usage(cl),
               tot_mem + multi_mem_usage(cl), cmd ? cmd->fullname : "NULL", tracking_redir(cl),
               cl->resp);
}

/* The timeout setting: closes clients that sent nothing for longer than it (engine cron). */
void clients_close_idle(engine_t *e) {
    long long timeout = config_client_timeout();
    if (timeout <= 0) return;
    size_t n;
    client_t **all = s_all_clients(e, &n);
    for (size_t i = 0; i < n; i++) {
        client_t *cl = all[i];
        /* Redis spares blocked and subscribed clients from the idle timeout */
        if (cl->flags &
            (CLIENT_KILLED | CLIENT_CLOSE_AFTER_REPLY | CLIENT_BLOCKED | CLIENT_PUBSUB))
            continue;
        if ((e->now_ms - cl->last_ms) / 1000 > timeout) client_kill(e, cl);
    }
    free(all);
}

/* ---------- handlers ---------- */

void cmd_client_id(client_t *c) { reply_int(c, (long long)c->id); }

void cmd_client_setname(client_t *c) {
    const proto_arg_t *name = &c->argv[2];
    if (!client_name_is_valid(name->ptr, name->len)) {
        reply_error(c, ERR_CLIENT_NAME);
        return;
    }
    client_set_name(c, name->ptr, name->len);
    reply_ok(c);
}

void cmd_client_getname(client_t *c) {
    if (c->name) reply_bulk(c, c->name->ptr, c->name->len);
    else reply_null(c);
}

void cmd_client_list(client_t *c) {
    engine_t *e = c->eng;
    int type = -1;
    buf_t out;
    buf_init(&out);
    if (c->argc == 4 && arg_is(&c->argv[2], "type")) {
        type = s_type_by_name(&c->argv[3]);
        if (type < 0) {
            reply_errorf(c, "Unknown client type '%.*s'", (int)c->argv[3].len, c->argv[3].ptr);
            return;
        }
    } else if (c->argc > 3 && arg_is(&c->argv[2], "id")) {
        /* ids are validated one by one as listed, so a bad id anywhere fails the call */
        for (int i = 3; i < c->argc; i++) {
            long long id;
            if (!str_to_ll(c->argv[i].ptr, c->argv[i].len, &id)) {
                buf_free(&out);
                reply_error(c, "-ERR Invalid client ID");
                return;
            }
            client_t *cl = id > 0 ? s_client_by_id(e, (uint64_t)id) : NULL;
            if (cl) s_client_line(&out, c, cl);
        }
        reply_verbatim(c, out.data ? out.data : "", out.len, "txt");
        buf_free(&out);
        return;
    } else if (c->argc != 2) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    size_t n;
    client_t **all = s_all_clients(e, &n);
    for (size_t i = 0; i < n; i++)
        if (type < 0 || s_client_type(all[i]) == type) s_client_line(&out, c, all[i]);
    free(all);
    reply_verbatim(c, out.data ? out.data : "", out.len, "txt");
    buf_free(&out);
}

void cmd_client_info(client_t *c) {
    buf_t out;
    buf_init(&out);
    s_client_line(&out, c, c);
    reply_verbatim(c, out.data, out.len, "txt");
    buf_free(&out);
}

void cmd_client_kill(client_t *c) {
    engine_t *e = c->eng;
    const proto_arg_t *addr = NULL, *laddr = NULL;
    long long id = 0;
    int type = -1, skipme = 1;

    if (c->argc == 3) {
        addr = &c->argv[2]; /* the old form CLIENT KILL ip:port, which may kill the caller */
        skipme = 0;
    } else {
        for (int i = 2; i < c->argc; i += 2) {
            if (i + 1 >= c->argc) {
                reply_error(c, ERR_SYNTAX);
                return;
            }
            const proto_arg_t *opt = &c->argv[i], *val = &c->argv[i + 1];
            if (arg_is(opt, "id")) {
                if (!str_to_ll(val->ptr, val->len, &id) || id < 1) {
                    reply_error(c, "-ERR client-id should be greater than 0");
                    return;
                }
            } else if (arg_is(opt, "type")) {
                type = s_type_by_name(val);
                if (type < 0) {
                    reply_errorf(c, "Unknown client type '%.*s'", (int)val->len, val->ptr);
                    return;
                }
            } else if (arg_is(opt, "addr")) {
                addr = val;
            } else if (arg_is(opt, "laddr")) {
                laddr = val;
            } else if (arg_is(opt, "user")) {
                /* "default" is the only user until ACLs exist and every client is it, so the
                 * filter only has to name it */
                if (!(val->len == 7 && memcmp(val->ptr, "default", 7) == 0)) {
                    reply_errorf(c, "No such user '%.*s'", (int)val->len, val->ptr);
                    return;
                }
            } else if (arg_is(opt, "skipme")) {
                if (arg_is(val, "yes")) {
                    skipme = 1;
                } else if (arg_is(val, "no")) {
                    skipme = 0;
                } else {
                    reply_error(c, ERR_SYNTAX);
                    return;
                }
            } else {
                reply_error(c, ERR_SYNTAX);
                return;
            }
        }
    }

    /* Collect first: killing may change the registry we walk. */
    size_t n, killed = 0;
    int kill_self = 0;
    client_t **all = s_all_clients(e, &n);
    for (size_t i = 0; i < n; i++) {
        client_t *cl = all[i];
        if (cl->flags & CLIENT_KILLED) continue;
        if (addr && !(strlen(cl->addr) == addr->len && memcmp(cl->addr, addr->ptr, addr->len) == 0))
            continue;
        if (laddr &&
            !(strlen(cl->laddr) == laddr->len && memcmp(cl->laddr, laddr->ptr, laddr->len) == 0))
            continue;
        if (type >= 0 && s_client_type(cl) != type) continue;
        if (id && cl->id != (uint64_t)id) continue;
        if (cl == c && skipme) continue;
        if (cl == c) kill_self = 1;
        else client_kill(e, cl);
        killed++;
    }
    free(all);

    if (c->argc == 3) {
        if (killed == 0) reply_error(c, "-ERR No such client");
        else reply_ok(c);
    } else {
        reply_int(c, (long long)killed);
    }
    /* the caller hears the answer before its connection closes */
    if (kill_self) c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

void cmd_client_no_evict(client_t *c) {
    if (arg_is(&c->argv[2], "on")) {
        c->flags |= CLIENT_NO_EVICT;
    } else if (arg_is(&c->argv[2], "off")) {
        c->flags &= ~CLIENT_NO_EVICT;
    } else {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    reply_ok(c);
}

void cmd_client_help(client_t *c) {
    static const char *lines[] = {
        "CACHING (YES|NO)",
        "    Turn key tracking on or off for the next command (OPTIN/OPTOUT modes).",
        "GETREDIR",
        "    Show the id of the client tracking invalidations are redirected to.",
        "GETNAME",
        "    Show the name of this connection.",
        "ID",
        "    Show the id of this connection.",
        "INFO",
        "    Describe this connection.",
        "KILL <ip:port>",
        "    Close the connection coming from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Close every connection matching all the filters:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Connections coming from this address.",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Connections made to this local address.",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Connections of this type.",
        "    * USER <username>",
        "      Connections authenticated as <username>.",
        "    * SKIPME (YES|NO)",
        "      Whether to spare this connection (default: yes).",
        "LIST [options ...]",
        "    Describe client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Only clients of this type.",
        "UNPAUSE",
        "    End a client pause and let traffic resume.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Hold back all clients, or only writes, for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Choose whether this connection receives replies.",
        "SETNAME <name>",
        "    Name this connection <name>.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Wake a blocked client up.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Turn server-assisted client-side caching on or off.",
        "TRACKINGINFO",
        "    Show the tracking state of this connection.",
        "NO-EVICT (ON|OFF)",
        "    Exempt this connection from client eviction.",
        NULL,
    };
    reply_help(c, lines);
}
