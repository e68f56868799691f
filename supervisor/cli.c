/* vole-cli: a small redis-cli lookalike. Sends one command (or a line at a time from stdin)
 * as RESP and prints the reply in redis-cli's human-readable layout. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "shared/buf.h"
#include "shared/resp.h"

typedef struct {
    const char *host;
    int port;
    int db;
    const char *password;
    const char *user;
    int resp3;
    int raw; /* --raw: redis-cli's raw output instead of the quoted, numbered one */
} cli_opts_t;

typedef struct {
    int fd;     /* -1 when not connected */
    buf_t in;   /* bytes read and not yet consumed */
    int db;     /* selected database, for the prompt */
} cli_conn_t;

static cli_opts_t s_opts = {"127.0.0.1", 7379, 0, NULL, NULL, 0, 0};

/* ===================== connection ===================== */

static int s_connect(cli_conn_t *c, int quiet) {
    char port[16];
    snprintf(port, sizeof port, "%d", s_opts.port);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(s_opts.host, port, &hints, &res);
    if (rc != 0) {
        if (!quiet)
            fprintf(stderr, "Could not connect to Vole at %s:%d: %s\n", s_opts.host, s_opts.port,
                    gai_strerror(rc));
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        if (!quiet)
            fprintf(stderr, "Could not connect to Vole at %s:%d: %s\n", s_opts.host, s_opts.port,
                    strerror(err));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    buf_clear(&c->in);
    c->db = 0;
    return 0;
}

static void s_disconnect(cli_conn_t *c) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    buf_clear(&c->in);
}

static int s_send(cli_conn_t *c, int argc, const char **argv, const size_t *lens) {
    buf_t out;
    buf_init(&out);
    buf_printf(&out, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        buf_printf(&out, "$%zu\r\n", lens[i]);
        buf_append(&out, argv[i], lens[i]);
        buf_append(&out, "\r\n", 2);
    }
    size_t off = 0;
    int rc = 0;
    while (off < out.len) {
        ssize_t w = write(c->fd, out.data + off, out.len - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            rc = -1;
            break;
        }
        off += (size_t)w;
    }
    buf_free(&out);
    return rc;
}

/* Reads until one complete reply is buffered; returns its length, or -1 (message printed). */
static long long s_read_reply(cli_conn_t *c) {
    for (;;) {
        long long n = resp_reply_length(c->in.data, c->in.len);
        if (n > 0) return n;
        if (n < 0) {
            fprintf(stderr, "Error: Protocol error, got \"%c\" as reply type byte\n",
                    c->in.len ? c->in.data[0] : '?');
            return -1;
        }
        /* Reading more each time keeps rescanning a huge aggregate from going quadratic. */
        size_t want = c->in.len > 65536 ? c->in.len : 65536;
        char *p = buf_reserve(&c->in, want);
        ssize_t r = read(c->fd, p, want);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            if (r == 0) fprintf(stderr, "Error: Server closed the connection\n");
            else fprintf(stderr, "Error: %s\n", strerror(errno));
            return -1;
        }
        c->in.len += (size_t)r;
    }
}

/* ===================== reply formatting ===================== */

/* End of the reply being formatted. resp_reply_length has already checked that it is one
 * complete, well-formed reply, so the walkers below only need this as a safety bound. */
static const char *s_end;

/* One RESP header: type byte and the text up to CRLF. */
static char s_header(const char **pp, const char **line, size_t *len) {
    const char *p = *pp;
    char t = *p++;
    const char *cr = memmem(p, (size_t)(s_end - p), "\r\n", 2);
    if (!cr) cr = s_end - 2;
    *line = p;
    *len = (size_t)(cr - p);
    *pp = cr + 2;
    return t;
}

static long long s_line_ll(const char *line, size_t len) {
    char tmp[32];
    if (len >= sizeof tmp) len = sizeof tmp - 1;
    memcpy(tmp, line, len);
    tmp[len] = '\0';
    return strtoll(tmp, NULL, 10);
}

/* redis-cli's quoting of bulk strings: "..." with C-style escapes and \xHH for the rest. */
static void s_repr(buf_t *out, const char *s, size_t n) {
    buf_append(out, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        switch (ch) {
        case '\\': buf_append(out, "\\\\", 2); break;
        case '"': buf_append(out, "\\\"", 2); break;
        case '\n': buf_append(out, "\\n", 2); break;
        case '\r': buf_append(out, "\\r", 2); break;
        case '\t': buf_append(out, "\\t", 2); break;
        case '\a': buf_append(out, "\\a", 2); break;
        case '\b': buf_append(out, "\\b", 2); break;
        default:
            if (isprint(ch)) buf_append(out, (const char *)&ch, 1);
            else buf_printf(out, "\\x%02x", ch);
        }
    }
    buf_append(out, "\"", 1);
}

static void s_skip(const char **pp);

/* Skips one complete reply (used for RESP3 attributes, which are not shown). */
static void s_skip(const char **pp) {
    const char *line;
    size_t len;
    char t = s_header(pp, &line, &len);
    long long n = s_line_ll(line, len);
    switch (t) {
    case '$': case '!': case '=':
        if (n >= 0) *pp += n + 2;
        break;
    case '*': case '~': case '>':
        for (long long i = 0; i < n; i++) s_skip(pp);
        break;
    case '%': case '|':
        for (long long i = 0; i < 2 * n; i++) s_skip(pp);
        break;
    default: break;
    }
}

static int s_count_lines(const buf_t *b, size_t from) {
    int n = 0;
    for (size_t i = from; i < b->len; i++) n += b->data[i] == '\n';
    return n;
}

/* The numbered, quoted layout redis-cli uses on a terminal. Nested aggregates indent by the
 * width of their parent's index plus two; a map value that spans lines starts on its own. */
static void s_format_tty(const char **pp, const char *prefix, buf_t *out) {
    const char *line;
    size_t len;
    char t = s_header(pp, &line, &len);
    long long n;
    switch (t) {
    case '+': buf_append(out, line, len); break;
    case '-': buf_append(out, "(error) ", 8); buf_append(out, line, len); break;
    case ':': buf_append(out, "(integer) ", 10); buf_append(out, line, len); break;
    case ',': buf_append(out, "(double) ", 9); buf_append(out, line, len); break;
    case '(': buf_append(out, "(big number) ", 13); buf_append(out, line, len); break;
    case '#': buf_append_str(out, len && line[0] == 't' ? "(true)" : "(false)"); break;
    case '_': buf_append_str(out, "(nil)"); break;
    case '$':
    case '!':
    case '=':
        n = s_line_ll(line, len);
        if (n < 0) {
            buf_append_str(out, "(nil)");
            break;
        }
        if (t == '$') s_repr(out, *pp, (size_t)n);
        else if (t == '!') {
            buf_append(out, "(error) ", 8);
            buf_append(out, *pp, (size_t)n);
        } else {
            size_t skip = n >= 4 ? 4 : 0; /* the "txt:" format tag */
            buf_append(out, *pp + skip, (size_t)n - skip);
        }
        *pp += n + 2;
        break;
    case '|':
        for (long long i = 0, m = s_line_ll(line, len); i < 2 * m; i++) s_skip(pp);
        s_format_tty(pp, prefix, out);
        return;
    case '*':
    case '~':
    case '>':
    case '%': {
        n = s_line_ll(line, len);
        if (n < 0) {
            buf_append_str(out, "(nil)");
            break;
        }
        if (n == 0) {
            buf_append_str(out, t == '*'   ? "(empty array)"
                                : t == '~' ? "(empty set)"
                                : t == '%' ? "(empty hash)"
                                           : "(empty push)");
            break;
        }
        int width = 0;
        for (long long v = n; v; v /= 10) width++;
        char sub[1024];
        snprintf(sub, sizeof sub, "%s%*s", prefix, width + 2, "");
        char sep = t == '~' ? '~' : t == '%' ? '#' : ')';
        for (long long i = 0; i < n; i++) {
            buf_printf(out, "%s%*lld%c ", i == 0 ? "" : prefix, width, i + 1, sep);
            s_format_tty(pp, sub, out);
            if (t == '%') {
                out->len--; /* the key's newline */
                buf_append(out, " => ", 4);
                buf_t val;
                buf_init(&val);
                s_format_tty(pp, sub, &val);
                if (s_count_lines(&val, 0) > 1) {
                    buf_append(out, "\n", 1);
                    buf_append_str(out, sub);
                }
                buf_append(out, val.data, val.len);
                buf_free(&val);
            }
        }
        return; /* every element ended its own line */
    }
    default:
        buf_printf(out, "(unknown reply type '%c')", t);
        break;
    }
    buf_append(out, "\n", 1);
}

/* redis-cli --raw: values as they are, aggregates one element per line. */
static void s_format_raw(const char **pp, buf_t *out) {
    const char *line;
    size_t len;
    char t = s_header(pp, &line, &len);
    long long n;
    switch (t) {
    case '+': case ':': case ',': case '(': buf_append(out, line, len); break;
    case '-': /* redis-cli ends an error with its own newline even in raw mode */
        buf_append(out, line, len);
        buf_append(out, "\n", 1);
        break;
    case '#': buf_append_str(out, len && line[0] == 't' ? "(true)" : "(false)"); break;
    case '_': break;
    case '$': case '!': case '=':
        n = s_line_ll(line, len);
        if (n < 0) break;
        if (t == '=' && n >= 4) buf_append(out, *pp + 4, (size_t)n - 4);
        else buf_append(out, *pp, (size_t)n);
        *pp += n + 2;
        break;
    case '|':
        for (long long i = 0, m = s_line_ll(line, len); i < 2 * m; i++) s_skip(pp);
        s_format_raw(pp, out);
        break;
    case '*': case '~': case '>': case '%':
        n = s_line_ll(line, len);
        for (long long i = 0; i < n; i++) {
            if (i) buf_append(out, "\n", 1);
            s_format_raw(pp, out);
            if (t == '%') {
                buf_append(out, " ", 1);
                s_format_raw(pp, out);
            }
        }
        break;
    default: break;
    }
}

/* Commands whose text reply redis-cli prints as is even on a terminal. */
static int s_prints_raw(int argc, const char **argv) {
    const char *c = argv[0];
    const char *a1 = argc >= 2 ? argv[1] : "";
    if (!strcasecmp(c, "info") || !strcasecmp(c, "lolwut")) return 1;
    if (!strcasecmp(c, "client") && (!strcasecmp(a1, "list") || !strcasecmp(a1, "info")))
        return 1;
    if (!strcasecmp(c, "memory") && (!strcasecmp(a1, "doctor") || !strcasecmp(a1, "malloc-stats")))
        return 1;
    if (!strcasecmp(c, "cluster") && argc == 2 &&
        (!strcasecmp(a1, "nodes") || !strcasecmp(a1, "info")))
        return 1;
    if (!strcasecmp(c, "latency") &&
        ((argc == 2 && !strcasecmp(a1, "doctor")) || (argc == 3 && !strcasecmp(a1, "graph"))))
        return 1;
    if (!strcasecmp(c, "debug") && (!strcasecmp(a1, "htstats") || !strcasecmp(a1, "htstats-key")))
        return 1;
    return 0;
}

static void s_print_reply(const char *data, long long len, int raw_text) {
    buf_t out;
    buf_init(&out);
    const char *p = data;
    s_end = data + len;
    if (raw_text) {
        s_format_raw(&p, &out);
    } else if (s_opts.raw) {
        s_format_raw(&p, &out);
        buf_append(&out, "\n", 1);
    } else {
        s_format_tty(&p, "", &out);
    }
    fwrite(out.data, 1, out.len, stdout);
    fflush(stdout);
    buf_free(&out);
}

/* ===================== commands ===================== */

/* Sends a command and reads its reply; returns the reply length (data at c->in.data) or -1
 * when the connection failed (it is then closed). */
static long long s_call(cli_conn_t *c, int argc, const char **argv, const size_t *lens) {
    if (s_send(c, argc, argv, lens) < 0) {
        fprintf(stderr, "Error: %s\n", strerror(errno));
        s_disconnect(c);
        return -1;
    }
    long long n = s_read_reply(c);
    if (n < 0) s_disconnect(c);
    return n;
}

/* A helper call whose reply only matters when it is an error (AUTH, SELECT, HELLO). */
static int s_call_quiet(cli_conn_t *c, int argc, const char **argv, const char *what) {
    size_t lens[4];
    for (int i = 0; i < argc; i++) lens[i] = strlen(argv[i]);
    long long n = s_call(c, argc, argv, lens);
    if (n < 0) return -1;
    int rc = 0;
    if (c->in.data[0] == '-' || c->in.data[0] == '!') {
        const char *p = c->in.data;
        buf_t out;
        buf_init(&out);
        s_end = p + n;
        s_format_raw(&p, &out);
        fprintf(stderr, "%s: %.*s\n", what, (int)out.len, out.data);
        buf_free(&out);
        rc = 1;
    }
    buf_consume(&c->in, (size_t)n);
    return rc;
}

/* Connects and applies -a/--user, --resp3 and -n. */
static int s_open(cli_conn_t *c, int quiet) {
    if (s_connect(c, quiet) < 0) return -1;
    if (s_opts.password) {
        const char *av[3] = {"AUTH", s_opts.user ? s_opts.user : s_opts.password,
                             s_opts.password};
        if (s_call_quiet(c, s_opts.user ? 3 : 2, av, "AUTH failed") < 0) return -1;
    }
    if (s_opts.resp3) {
        const char *av[2] = {"HELLO", "3"};
        if (s_call_quiet(c, 2, av, "HELLO 3 failed") < 0) return -1;
    }
    if (s_opts.db) {
        char num[16];
        snprintf(num, sizeof num, "%d", s_opts.db);
        const char *av[2] = {"SELECT", num};
        int rc = s_call_quiet(c, 2, av, "SELECT failed");
        if (rc < 0) return -1;
        if (rc == 0) c->db = s_opts.db;
    }
    return 0;
}

static int s_is_subscribe(const char *cmd) {
    return !strcasecmp(cmd, "subscribe") || !strcasecmp(cmd, "psubscribe") ||
           !strcasecmp(cmd, "ssubscribe") || !strcasecmp(cmd, "monitor");
}

/* Runs one command and prints its reply; 0, or -1 when the connection failed. */
static int s_run(cli_conn_t *c, int argc, const char **argv, const size_t *lens) {
    long long n = s_call(c, argc, argv, lens);
    if (n < 0) return -1;
    int is_error = c->in.data[0] == '-';
    int subscribed = !is_error && s_is_subscribe(argv[0]);
    if (subscribed && !s_opts.raw) printf("Reading messages... (press Ctrl-C to quit)\n");
    s_print_reply(c->in.data, n, !is_error && s_prints_raw(argc, argv));
    buf_consume(&c->in, (size_t)n);
    if (!is_error && !strcasecmp(argv[0], "select") && argc == 2) c->db = atoi(argv[1]);
    if (subscribed) {
        for (;;) {
            n = s_read_reply(c);
            if (n < 0) {
                s_disconnect(c);
                return -1;
            }
            s_print_reply(c->in.data, n, 0);
            buf_consume(&c->in, (size_t)n);
        }
    }
    return 0;
}

static void s_repl(cli_conn_t *c) {
    int tty = isatty(STDIN_FILENO);
    resp_parser_t parser;
    resp_parser_init(&parser, 512LL * 1024 * 1024);
    char *line = NULL;
    size_t cap = 0;
    for (;;) {
        if (tty) {
            if (c->fd < 0) printf("not connected> ");
            else if (c->db) printf("%s:%d[%d]> ", s_opts.host, s_opts.port, c->db);
            else printf("%s:%d> ", s_opts.host, s_opts.port);
            fflush(stdout);
        }
        ssize_t len = getline(&line, &cap, stdin);
        if (len < 0) break;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
        int argc = resp_split_inline(&parser, line, (size_t)len);
        if (argc < 0) {
            printf("Invalid argument(s)\n");
            continue;
        }
        if (argc == 0) continue;
        const char **argv = parser.argv;
        if (argc == 1 && parser.argvlen[0] == 4 &&
            (!strncasecmp(argv[0], "quit", 4) || !strncasecmp(argv[0], "exit", 4)))
            break;
        /* Arguments point into the parser's scratch; copy them out as C strings so the
         * command-name checks can use str* functions. */
        char **args = calloc((size_t)argc, sizeof *args);
        size_t *lens = calloc((size_t)argc, sizeof *lens);
        for (int i = 0; i < argc; i++) {
            args[i] = malloc(parser.argvlen[i] + 1);
            memcpy(args[i], argv[i], parser.argvlen[i]);
            args[i][parser.argvlen[i]] = '\0';
            lens[i] = parser.argvlen[i];
        }
        if (c->fd < 0) s_open(c, 0); /* reconnect after the server went away */
        if (c->fd >= 0) s_run(c, argc, (const char **)args, lens);
        for (int i = 0; i < argc; i++) free(args[i]);
        free(args);
        free(lens);
    }
    free(line);
    resp_parser_free(&parser);
}

static void s_usage(FILE *f) {
    fprintf(f,
            "Usage: vole-cli [OPTIONS] [cmd [arg [arg ...]]]\n"
            "  -h <hostname>      Server hostname (default: 127.0.0.1).\n"
            "  -p <port>          Server port (default: 7379).\n"
            "  -a <password>      Password to use when connecting to the server.\n"
            "  --user <username>  Used to send ACL style 'AUTH username pass'. Needs -a.\n"
            "  -n <db>            Database number.\n"
            "  -3, --resp3        Start the session in RESP3 protocol mode.\n"
            "  --raw              Use raw formatting for replies.\n"
            "  --no-raw           Use the quoted, numbered formatting (the default).\n"
            "  --help             Output this help and exit.\n"
            "\n"
            "With no command, reads commands from standard input, one per line.\n"
            "Examples:\n"
            "  vole-cli -p 7379 set key value\n"
            "  vole-cli --resp3 hgetall myhash\n");
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (a[0] != '-') break;
        if (!strcmp(a, "-h") && has_val) s_opts.host = argv[++i];
        else if (!strcmp(a, "-p") && has_val) s_opts.port = atoi(argv[++i]);
        else if (!strcmp(a, "-n") && has_val) s_opts.db = atoi(argv[++i]);
        else if (!strcmp(a, "-a") && has_val) s_opts.password = argv[++i];
        else if (!strcmp(a, "--pass") && has_val) s_opts.password = argv[++i];
        else if (!strcmp(a, "--user") && has_val) s_opts.user = argv[++i];
        else if (!strcmp(a, "-3") || !strcmp(a, "--resp3")) s_opts.resp3 = 1;
        else if (!strcmp(a, "--raw")) s_opts.raw = 1;
        else if (!strcmp(a, "--no-raw")) s_opts.raw = 0;
        else if (!strcmp(a, "--help")) {
            s_usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "Unrecognized option or bad number of args for: '%s'\n", a);
            return 1;
        }
    }
    cli_conn_t conn = {.fd = -1};
    buf_init(&conn.in);
    if (s_open(&conn, 0) < 0) return 1;
    int rc = 0;
    if (i < argc) {
        int n = argc - i;
        size_t *lens = calloc((size_t)n, sizeof *lens);
        for (int j = 0; j < n; j++) lens[j] = strlen(argv[i + j]);
        if (s_run(&conn, n, (const char **)argv + i, lens) < 0) rc = 1;
        free(lens);
    } else {
        s_repl(&conn);
    }
    s_disconnect(&conn);
    buf_free(&conn.in);
    return rc;
}
