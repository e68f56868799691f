/* MONITOR: the list of monitor clients and the status line each executed command becomes,
 * quoted as Redis quotes it ("+<sec>.<usec> [<db> <addr>] "arg" ..."). */
#include "engine/monitor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "engine/multi.h"
#include "engine/tracking.h"
#include "shared/buf.h"

long long monitors_count;
static client_t **s_monitors;
static size_t s_cap;

int monitor_is_monitor(const client_t *c) {
    for (long long i = 0; i < monitors_count; i++)
        if (s_monitors[i] == c) return 1;
    return 0;
}

void monitor_client_free(client_t *c) {
    for (long long i = 0; i < monitors_count; i++) {
        if (s_monitors[i] != c) continue;
        /* keep the order: monitors get lines in the order they started */
        memmove(&s_monitors[i], &s_monitors[i + 1],
                (size_t)(monitors_count - i - 1) * sizeof *s_monitors);
        monitors_count--;
        return;
    }
}

int monitor_context_allowed(client_t *c, const command_t *cmd) {
    if (!monitors_count || !monitor_is_monitor(c)) return 1;
    if (!(cmd->flagbits & (CMD_READONLY | CMD_WRITE | CMD_MAY_REPLICATE))) return 1;
    reply_error(c, "Replica can't interact with the keyspace");
    return 0;
}

/* Redis's sdscatrepr: quotes, escapes \ and ", the usual control escapes, \xHH for the
 * rest of the non-printable bytes (C locale). */
static void s_cat_repr(buf_t *b, const char *p, size_t len) {
    buf_append(b, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)p[i];
        switch (ch) {
        case '\\': buf_append(b, "\\\\", 2); break;
        case '"': buf_append(b, "\\\"", 2); break;
        case '\n': buf_append(b, "\\n", 2); break;
        case '\r': buf_append(b, "\\r", 2); break;
        case '\t': buf_append(b, "\\t", 2); break;
        case '\a': buf_append(b, "\\a", 2); break;
        case '\b': buf_append(b, "\\b", 2); break;
        default:
            if (ch >= 0x20 && ch < 0x7f)
                buf_append(b, (const char *)&ch, 1);
            else
                buf_printf(b, "\\x%02x", ch);
        }
    }
    buf_append(b, "\"", 1);
}

/* AUTH and HELLO ... AUTH never show their credentials (Redis 7 redacts them). */
static int s_redacted(const command_t *cmd, int argc, const proto_arg_t *argv, int i) {
    if (!strcmp(cmd->fullname, "auth")) return i >= 1;
    if (!strcmp(cmd->fullname, "hello")) {
        for (int j = 2; j + 2 < argc; j++)
            if (arg_is(&argv[j], "auth")) return i == j + 1 || i == j + 2;
        return 0;
    }
    if (!strcmp(cmd->fullname, "migrate")) {
        for (int j = 6; j < argc; j++) {
            if (arg_is(&argv[j], "auth")) return i == j + 1;
            if (arg_is(&argv[j], "auth2")) return i == j + 1 || i == j + 2;
        }
    }
    return 0;
}

void monitor_feed(client_t *c, const command_t *cmd) {
    if (!monitors_count || (cmd->flagbits & (CMD_ADMIN | CMD_SKIP_MONITOR))) return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    buf_t b;
    buf_init(&b);
    buf_printf(&b, "+%ld.%06ld ", (long)tv.tv_sec, (long)tv.tv_usec);
    if (c->conn_flags & CONN_F_UNIX)
        buf_printf(&b, "[%d unix:%s] ", c->db->id, c->laddr);
    else
        buf_printf(&b, "[%d %s] ", c->db->id, c->addr);
    for (int i = 0; i < c->argc; i++) {
        if (s_redacted(cmd, c->argc, c->argv, i))
            buf_append(&b, "\"(redacted)\"", 12);
        else
            s_cat_repr(&b, c->argv[i].ptr, c->argv[i].len);
        if (i != c->argc - 1) buf_append(&b, " ", 1);
    }
    buf_append(&b, "\r\n", 2);
    for (long long i = 0; i < monitors_count; i++)
        reply_raw(s_monitors[i], b.data, b.len);
    buf_free(&b);
}

void hooks_after_call(client_t *c, const command_t *cmd) {
    if (tracking_clients_count) tracking_after_call(c, cmd);
    if (monitors_count && !c->fe->hidden) monitor_feed(c, cmd);
}

static void cmd_monitor(client_t *c) {
    /* inside EXEC the client expects one reply per command, so it cannot start streaming */
    if (multi_is_executing(c)) {
        reply_error(c, "MONITOR isn't allowed for DENY BLOCKING client");
        return;
    }
    if (monitor_is_monitor(c)) return; /* Redis ignores it, without a reply */
    if ((size_t)monitors_count == s_cap) {
        s_cap = s_cap ? s_cap * 2 : 8;
        s_monitors = realloc(s_monitors, s_cap * sizeof *s_monitors);
        if (!s_monitors) abort();
    }
    s_monitors[monitors_count++] = c;
    reply_ok(c);
}

// clang-format off
command_t monitor_commands[] = {
    {.name = "monitor", .proc = cmd_monitor, .arity = 1, .flags = "admin noscript loading stale",
     .group = "server", .since = "1.0.0",
     .summary = "Streams every command the server executes, as it executes it.",
     .complexity = "O(1) to start; each streamed command costs O(N) in its arguments."},
    {0}};
// clang-format on
