/* The supervisor's process table and loop: spawns each role by re-executing /proc/self/exe,
 * relays child output with a role prefix, kills children whose heartbeat stops, restarts
 * with backoff, and stops everything in order (frontends, engine, the rest). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2, close_range */
#endif
#include "supervisor/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared/buf.h"
#include "shared/log.h"
#include "shared/util.h"

#define HEALTHY_MS 30000     /* a child up this long has its crash backoff reset */
#define BACKOFF_FIRST_MS 100 /* delay of the second rapid restart; the first is immediate */
#define BACKOFF_MAX_MS 10000
#define STOP_GRACE_MS 5000   /* SIGTERM, then SIGKILL after this long */
#define MAX_LINE 16384       /* longer child output is relayed in pieces */
#define MAX_CHILDREN 16

typedef enum {
    CHILD_IDLE,     /* not started yet */
    CHILD_RUNNING,  /* forked; heartbeats watched */
    CHILD_BACKOFF,  /* exited; restarts at next_start_ms */
    CHILD_STOPPING, /* SIGTERM sent during shutdown; SIGKILL at kill_at_ms */
    CHILD_DONE,     /* stopped for good (shutdown) */
} child_state_t;

static const char *s_state_names[] = {"idle", "running", "backoff", "stopping", "done"};

/* One row of the process table. */
typedef struct child {
    char role[32];
    pid_t pid;
    child_state_t state;
    int restarts;          /* restarts since the supervisor started */
    int rapid;             /* consecutive crashes without a healthy stretch */
    int64_t last_start_ms; /* monotonic */
    int64_t last_hb_ms;    /* monotonic; the start time until the first beat */
    int64_t next_start_ms; /* CHILD_BACKOFF */
    int64_t kill_at_ms;    /* CHILD_STOPPING */
    int killed;            /* SIGKILL already sent (watchdog or stop timeout) */
    int out_fd, hb_fd;     /* read ends of the output and heartbeat pipes, -1 when closed */
    buf_t line;            /* partial output line */
} child_t;

typedef struct {
    const vole_config_t *cfg;
    int argc;
    char **argv; /* the user's arguments (argv[0] included) */
    child_t kids[MAX_CHILDREN];
    int nkids;
    pid_t self;
    int stop_phase; /* 0 running; 1 frontends, 2 engine, 3 the rest are being stopped */
    int config_error; /* a child refused the settings: everything stops, exit status 78 */
    int lock_fd;
} sup_t;

static int s_sigpipe[2] = {-1, -1};
static volatile sig_atomic_t s_got_chld, s_got_term, s_got_hup, s_got_usr1;

/* ===================== small helpers ===================== */

static int64_t s_now_ms(void) { return mono_us() / 1000; }

static void s_on_signal(int sig) {
    int saved = errno;
    if (sig == SIGCHLD) s_got_chld = 1;
    else if (sig == SIGHUP) s_got_hup = 1;
    else if (sig == SIGUSR1) s_got_usr1 = 1;
    else s_got_term++;
    ssize_t w = write(s_sigpipe[1], "", 1); /* wakes poll(); a full pipe is fine */
    (void)w;
    errno = saved;
}

static void s_write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return; /* a closed stderr must not take the supervisor down */
        }
        p += w;
        n -= (size_t)w;
    }
}

static int s_mkdirs(const char *path, mode_t mode) {
    char tmp[1024];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, mode) < 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(tmp, mode) < 0 && errno != EEXIST) return -1;
    struct stat st;
    if (stat(tmp, &st) < 0) return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* Class of a role in the stop order: frontends first, then the engine, then the rest
 * (persister, replicator... which consume what the engine produces). */
static int s_stop_class(const char *role) {
    if (strncmp(role, "frontend", 8) == 0) return 1;
    if (strcmp(role, "engine") == 0) return 2;
    return 3;
}

static int s_alive(const child_t *k) {
    return k->state == CHILD_RUNNING || k->state == CHILD_STOPPING;
}

static void s_describe_status(int st, char *out, size_t cap) {
    if (WIFEXITED(st)) snprintf(out, cap, "exited with status %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(out, cap, "was killed by signal %d (%s)%s", WTERMSIG(st),
                 strsignal(WTERMSIG(st)), WCOREDUMP(st) ? ", core dumped" : "");
    else snprintf(out, cap, "changed state (status 0x%x)", st);
}

/* ===================== child output ===================== */

/* Writes the complete lines of k->line to stderr prefixed with "[role] ", in one write so
 * they do not interleave with the supervisor's own log lines. */
static void s_emit_lines(child_t *k, int flush_partial) {
    buf_t out;
    buf_init(&out);
    size_t start = 0;
    for (;;) {
        char *nl = memchr(k->line.data + start, '\n', k->line.len - start);
        size_t end;
        if (nl) end = (size_t)(nl - k->line.data);
        else if (k->line.len - start >= MAX_LINE || (flush_partial && k->line.len > start))
            end = k->line.len;
        else break;
        buf_printf(&out, "[%s] ", k->role);
        size_t n = end - start;
        if (n > 0 && k->line.data[end - 1] == '\r') n--;
        buf_append(&out, k->line.data + start, n);
        buf_append(&out, "\n", 1);
        start = nl ? end + 1 : end;
    }
    if (out.len) s_write_all(STDERR_FILENO, out.data, out.len);
    buf_free(&out);
    buf_consume(&k->line, start);
}

/* Reads what the child wrote; returns -1 at end of file (the pipe is then closed). */
static int s_read_output(child_t *k) {
    char chunk[65536];
    for (int rounds = 0; rounds < 16; rounds++) {
        ssize_t n = read(k->out_fd, chunk, sizeof chunk);
        if (n > 0) {
            buf_append(&k->line, chunk, (size_t)n);
            s_emit_lines(k, 0);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
        /* end of file (or an error we cannot recover from) */
        s_emit_lines(k, 1);
        close(k->out_fd);
        k->out_fd = -1;
        return -1;
    }
    return 0;
}

static void s_read_heartbeat(child_t *k) {
    char chunk[256];
    for (;;) {
        ssize_t n = read(k->hb_fd, chunk, sizeof chunk);
        if (n > 0) {
            k->last_hb_ms = s_now_ms();
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        /* The child closed its end: no more beats, so the watchdog will judge it. */
        close(k->hb_fd);
        k->hb_fd = -1;
        return;
    }
}

static void s_close_pipes(child_t *k) {
    if (k->out_fd >= 0) {
        /* The child is gone, so everything it wrote is already in the pipe; a grandchild
         * still holding the write end must not keep us reading. */
        fcntl(k->out_fd, F_SETFL, fcntl(k->out_fd, F_GETFL) | O_NONBLOCK);
        if (s_read_output(k) == 0) {
            s_emit_lines(k, 1);
            close(k->out_fd);
            k->out_fd = -1;
        }
    }
    if (k->hb_fd >= 0) {
        close(k->hb_fd);
        k->hb_fd = -1;
    }
    buf_clear(&k->line);
}

/* ===================== spawning ===================== */

/* Consumes one flag and its values from the user's arguments: a flag runs up to the next
 * "--name", as config_parse_args reads it. */
static int s_flag_span(int argc, char **argv, int i) {
    if (strchr(argv[i], '=')) return 1;
    int j = i + 1;
    while (j < argc && !(argv[j][0] == '-' && argv[j][1] == '-' && argv[j][2])) j++;
    return j - i;
}

static int s_is_internal_flag(const char *a) {
    static const char *names[] = {"role", "run-dir", "run_dir", "hb-fd", "hb_fd", NULL};
    if (a[0] != '-' || a[1] != '-') return 0;
    for (int i = 0; names[i]; i++) {
        size_t n = strlen(names[i]);
        if (strncasecmp(a + 2, names[i], n) == 0 && (a[2 + n] == '\0' || a[2 + n] == '='))
            return 1;
    }
    return 0;
}

/* argv for a child: argv0 --role R --run-dir D --hb-fd N [--config F] <user flags>, with
 * the user's own internal flags dropped (ours must win) and redis-server's positional
 * config file turned into --config so it may follow other flags. */
static char **s_child_argv(const sup_t *s, const child_t *k, const char *hbstr) {
    char **av = calloc((size_t)s->argc + 10, sizeof *av);
    if (!av) return NULL;
    int n = 0;
    av[n++] = s->argv[0];
    av[n++] = "--role";
    av[n++] = (char *)k->role;
    av[n++] = "--run-dir";
    av[n++] = (char *)s->cfg->run_dir;
    av[n++] = "--hb-fd";
    av[n++] = (char *)hbstr;
    int i = 1;
    if (s->argc > 1 && s->argv[1][0] != '-') {
        av[n++] = "--config";
        av[n++] = s->argv[1];
        i = 2;
    }
    while (i < s->argc) {
        int span = s_flag_span(s->argc, s->argv, i);
        if (!s_is_internal_flag(s->argv[i]))
            for (int j = 0; j < span; j++) av[n++] = s->argv[i + j];
        i += span;
    }
    av[n] = NULL;
    return av;
}

static void s_close_from_to(int lo, int hi) {
    if (close_range((unsigned)lo, hi < 0 ? ~0U : (unsigned)hi, 0) == 0) return;
    long max = sysconf(_SC_OPEN_MAX); /* kernels before 5.9 */
    if (hi < 0 || hi >= max) hi = (int)(max > 0 ? max - 1 : 1023);
    for (int fd = lo; fd <= hi; fd++) close(fd);
}

/* Runs in the forked child: wire fds, undo the supervisor's signal setup, exec. */
static void s_exec_child(const sup_t *s, char **av, int out_w, int hb_w) {
    setpgid(0, 0); /* a terminal's Ctrl-C reaches only the supervisor, which stops in order */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != s->self) _exit(1); /* the supervisor died before prctl took effect */
    struct sigaction sa = {0};
    sa.sa_handler = SIG_DFL;
    int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGPIPE};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0 && devnull != 0) {
        dup2(devnull, 0);
        close(devnull);
    }
    dup2(out_w, 1);
    dup2(out_w, 2);
    if (out_w > 2) close(out_w);
    /* The heartbeat pipe is the one extra fd the child keeps; whatever else the supervisor
     * inherited from its own parent is not the child's business. */
    if (hb_w > 3) s_close_from_to(3, hb_w - 1);
    s_close_from_to(hb_w + 1, -1);
    fcntl(hb_w, F_SETFD, 0);
    execv("/proc/self/exe", av);
    dprintf(2, "cannot execute /proc/self/exe: %s\n", strerror(errno));
    _exit(127);
}

static void s_schedule_restart(child_t *k, int64_t now, int ran_healthy) {
    if (ran_healthy) k->rapid = 0;
    int64_t delay = 0;
    if (k->rapid > 0) {
        delay = BACKOFF_FIRST_MS;
        for (int i = 1; i < k->rapid && delay < BACKOFF_MAX_MS; i++) delay *= 2;
        if (delay > BACKOFF_MAX_MS) delay = BACKOFF_MAX_MS;
    }
    k->rapid++;
    k->state = CHILD_BACKOFF;
    k->next_start_ms = now + delay;
}

static int s_spawn(sup_t *s, child_t *k) {
    int outp[2], hbp[2];
    if (pipe2(outp, O_CLOEXEC) < 0) {
        log_warn("cannot create a pipe for %s: %s", k->role, strerror(errno));
        return -1;
    }
    if (pipe2(hbp, O_CLOEXEC | O_NONBLOCK) < 0) {
        log_warn("cannot create a pipe for %s: %s", k->role, strerror(errno));
        close(outp[0]);
        close(outp[1]);
        return -1;
    }
    fcntl(outp[0], F_SETFL, O_NONBLOCK);
    char hbstr[16];
    snprintf(hbstr, sizeof hbstr, "%d", hbp[1]);
    char **av = s_child_argv(s, k, hbstr);
    pid_t pid = av ? fork() : -1;
    if (pid == 0) s_exec_child(s, av, outp[1], hbp[1]);
    int saved = errno;
    free(av);
    close(outp[1]);
    close(hbp[1]);
    if (pid < 0) {
        log_warn("cannot start %s: %s", k->role, strerror(saved));
        close(outp[0]);
        close(hbp[0]);
        return -1;
    }
    k->pid = pid;
    k->state = CHILD_RUNNING;
    k->out_fd = outp[0];
    k->hb_fd = hbp[0];
    k->killed = 0;
    k->last_start_ms = k->last_hb_ms = s_now_ms();
    buf_clear(&k->line);
    return 0;
}

static void s_write_status(const sup_t *s);

static void s_start(sup_t *s, child_t *k, int is_restart) {
    if (is_restart) k->restarts++;
    if (s_spawn(s, k) < 0) {
        s_schedule_restart(k, s_now_ms(), 0);
        return;
    }
    if (is_restart)
        log_notice("restarted %s as pid %d (restart #%d)", k->role, (int)k->pid, k->restarts);
    else log_notice("started %s as pid %d", k->role, (int)k->pid);
    s_write_status(s);
}

/* The process table as a small text file in the run dir (run_dir/processes), rewritten
 * atomically on every start, exit and restart, so other roles (the HTTP frontend's /metrics)
 * can report restarts without talking to the supervisor. One line per role:
 * "role pid state restarts". */
static void s_write_status(const sup_t *s) {
    char path[sizeof s->cfg->run_dir + 32], tmp[sizeof path + 8];
    snprintf(path, sizeof path, "%s/processes", s->cfg->run_dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    for (int i = 0; i < s->nkids; i++)
        fprintf(f, "%s %d %s %d\n", s->kids[i].role, (int)s->kids[i].pid,
                s_state_names[s->kids[i].state], s->kids[i].restarts);
    if (fclose(f) == 0) rename(tmp, path);
    else unlink(tmp);
}

/* ===================== reaping and watching ===================== */

static child_t *s_find_pid(sup_t *s, pid_t pid) {
    for (int i = 0; i < s->nkids; i++)
        if (s->kids[i].pid == pid && s_alive(&s->kids[i])) return &s->kids[i];
    return NULL;
}

static void s_reap(sup_t *s) {
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        child_t *k = s_find_pid(s, pid);
        if (!k) continue;
        s_close_pipes(k);
        char why[128];
        s_describe_status(st, why, sizeof why);
        int64_t now = s_now_ms();
        int64_t ran = now - k->last_start_ms;
        k->pid = 0;
        if (s->stop_phase || k->state == CHILD_STOPPING) {
            k->state = CHILD_DONE;
            log_notice("%s (pid %d) %s", k->role, (int)pid, why);
            continue;
        }
        if (WIFEXITED(st) && WEXITSTATUS(st) == EX_CONFIG) {
            /* a setting it cannot accept: restarting would fail the same way */
            k->state = CHILD_DONE;
            log_warn("%s (pid %d) refused the settings (see its log above): stopping everything",
                     k->role, (int)pid);
            s->config_error = 1;
            s->stop_phase = 1;
            continue;
        }
        s_schedule_restart(k, now, ran >= HEALTHY_MS);
        s_write_status(s);
        log_warn("%s (pid %d) %s after %lld.%03lld s; restart #%d in %lld ms", k->role, (int)pid,
                 why, (long long)(ran / 1000), (long long)(ran % 1000), k->restarts + 1,
                 (long long)(k->next_start_ms - now));
    }
}

static void s_watchdog(sup_t *s, int64_t now) {
    for (int i = 0; i < s->nkids; i++) {
        child_t *k = &s->kids[i];
        if (k->state != CHILD_RUNNING || k->killed) continue;
        if (now - k->last_hb_ms < s->cfg->watchdog_ms) continue;
        log_warn("%s (pid %d) sent no heartbeat for %lld ms: killing it as hung", k->role,
                 (int)k->pid, (long long)(now - k->last_hb_ms));
        kill(k->pid, SIGKILL);
        k->killed = 1;
    }
}

/* SIGUSR1: one line per row of the process table. */
static void s_log_table(const sup_t *s) {
    int64_t now = s_now_ms();
    for (int i = 0; i < s->nkids; i++) {
        const child_t *k = &s->kids[i];
        log_notice("process %s: pid %d, %s, %d restarts, up %lld ms, last heartbeat %lld ms ago",
                   k->role, (int)k->pid, s_state_names[k->state], k->restarts,
                   s_alive(k) ? (long long)(now - k->last_start_ms) : 0LL,
                   s_alive(k) ? (long long)(now - k->last_hb_ms) : -1LL);
    }
}

/* ===================== orderly stop ===================== */

/* Advances the stop: each class gets SIGTERM, then SIGKILL after the grace period; the next
 * class starts once the previous one is gone. Returns 1 when every child is down. */
static int s_stop_step(sup_t *s, int64_t now) {
    for (;;) {
        int alive = 0;
        for (int i = 0; i < s->nkids; i++) {
            child_t *k = &s->kids[i];
            if (s_stop_class(k->role) != s->stop_phase) continue;
            if (k->state == CHILD_IDLE || k->state == CHILD_BACKOFF) k->state = CHILD_DONE;
            if (k->state == CHILD_RUNNING) {
                log_notice("stopping %s (pid %d)", k->role, (int)k->pid);
                kill(k->pid, SIGTERM);
                k->state = CHILD_STOPPING;
                k->kill_at_ms = now + STOP_GRACE_MS;
            }
            if (k->state == CHILD_STOPPING) {
                alive++;
                if (!k->killed && now >= k->kill_at_ms) {
                    log_warn("%s (pid %d) did not stop within %d ms: killing it", k->role,
                             (int)k->pid, STOP_GRACE_MS);
                    kill(k->pid, SIGKILL);
                    k->killed = 1;
                }
            }
        }
        if (alive) return 0;
        if (s->stop_phase >= 3) return 1;
        s->stop_phase++;
    }
}

static void s_kill_all(sup_t *s) {
    for (int i = 0; i < s->nkids; i++) {
        child_t *k = &s->kids[i];
        if (s_alive(k) && !k->killed) {
            kill(k->pid, SIGKILL);
            k->killed = 1;
        }
        if (k->state == CHILD_RUNNING) k->state = CHILD_STOPPING;
        if (k->state == CHILD_IDLE || k->state == CHILD_BACKOFF) k->state = CHILD_DONE;
    }
}

/* ===================== setup ===================== */

static int s_open_logfile(const char *path) {
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    if (fd != STDERR_FILENO) {
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    return 0;
}

/* Whether the comma-separated list names role (spaces around names are ignored). */
static int s_role_listed(const char *list, const char *role) {
    size_t n = strlen(role);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',' || *p == '\t') p++;
        const char *e = p;
        while (*e && *e != ',') e++;
        const char *t = e;
        while (t > p && (t[-1] == ' ' || t[-1] == '\t')) t--;
        if ((size_t)(t - p) == n && memcmp(p, role, n) == 0) return 1;
        p = e;
    }
    return 0;
}

static int s_parse_roles(sup_t *s, const char *roles, const char *const *known) {
    char tmp[sizeof s->cfg->roles + 32];
    snprintf(tmp, sizeof tmp, "%s", roles);
    char *save = NULL;
    for (char *tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t') tok++;
        char *end = tok + strlen(tok);
        while (end > tok && (end[-1] == ' ' || end[-1] == '\t')) *--end = '\0';
        if (!*tok) continue;
        int ok = 0;
        for (int i = 0; known[i]; i++) ok |= strcmp(tok, known[i]) == 0;
        if (!ok) {
            char list[256] = "";
            for (int i = 0; known[i]; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                         known[i]);
            log_warn("unknown role '%s' in roles (known roles: %s)", tok, list);
            return -1;
        }
        for (int i = 0; i < s->nkids; i++) {
            if (strcmp(s->kids[i].role, tok) == 0) {
                log_warn("role '%s' is listed twice in roles", tok);
                return -1;
            }
        }
        if (s->nkids >= MAX_CHILDREN) {
            log_warn("too many roles");
            return -1;
        }
        child_t *k = &s->kids[s->nkids++];
        memset(k, 0, sizeof *k);
        snprintf(k->role, sizeof k->role, "%s", tok);
        k->out_fd = k->hb_fd = -1;
        buf_init(&k->line);
    }
    if (s->nkids == 0) {
        log_warn("no roles to run (roles is empty)");
        return -1;
    }
    /* The engine starts first: frontends connect to its socket (ZeroMQ reconnects anyway). */
    for (int i = 1; i < s->nkids; i++) {
        if (strcmp(s->kids[i].role, "engine") != 0) continue;
        child_t e = s->kids[i];
        memmove(&s->kids[1], &s->kids[0], sizeof(child_t) * (size_t)i);
        s->kids[0] = e;
        break;
    }
    return 0;
}

/* One supervisor per run dir: a second one would fight the first over the sockets. */
static int s_lock_run_dir(sup_t *s) {
    char path[sizeof s->cfg->run_dir + 32];
    snprintf(path, sizeof path, "%s/supervisor.pid", s->cfg->run_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_warn("cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        char buf[24] = "";
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        log_warn("another vole supervisor (pid %s) is already running with run dir %s",
                 buf[0] ? buf : "unknown", s->cfg->run_dir);
        close(fd);
        return -1;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    if (ftruncate(fd, 0) == 0) {
        ssize_t w = pwrite(fd, pid, (size_t)n, 0);
        (void)w;
    }
    s->lock_fd = fd;
    return 0;
}

/* ===================== the loop ===================== */

int supervisor_main(const vole_config_t *cfg, int argc, char **argv,
                    const char *const *known_roles) {
    /* fds 0-2 must be open so no pipe lands on them and gets clobbered by dup2 in a child. */
    for (;;) {
        int fd = open("/dev/null", O_RDWR);
        if (fd < 0) break;
        if (fd > 2) {
            close(fd);
            break;
        }
    }
    if (cfg->logfile[0] && s_open_logfile(cfg->logfile) < 0) {
        fprintf(stderr, "vole: cannot open logfile '%s': %s\n", cfg->logfile, strerror(errno));
        return 1;
    }
    int lvl = log_level_parse(cfg->loglevel);
    log_init("supervisor", lvl < 0 ? LOG_NOTICE : lvl);

    static sup_t sup; /* static: the table is large and lives as long as the process */
    sup_t *s = &sup;
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->argc = argc;
    s->argv = argv;
    s->self = getpid();
    s->lock_fd = -1;
    /* http-addr turns the HTTP frontend on even when roles does not list it */
    char roles[sizeof cfg->roles + 32];
    snprintf(roles, sizeof roles, "%s", cfg->roles);
    if (cfg->http_addr[0] && !s_role_listed(cfg->roles, "frontend-http"))
        snprintf(roles + strlen(roles), sizeof roles - strlen(roles), ",frontend-http");
    if (!cfg->http_addr[0] && s_role_listed(cfg->roles, "frontend-http")) {
        log_warn("roles lists frontend-http but http-addr is not set");
        return 1;
    }
    if (s_parse_roles(s, roles, known_roles) < 0) return 1;

    if (s_mkdirs(cfg->dir, 0700) < 0) {
        log_warn("cannot create dir %s: %s", cfg->dir, strerror(errno));
        return 1;
    }
    if (s_mkdirs(cfg->run_dir, 0700) < 0 || chmod(cfg->run_dir, 0700) < 0) {
        log_warn("cannot create run dir %s: %s", cfg->run_dir, strerror(errno));
        return 1;
    }
    if (s_lock_run_dir(s) < 0) return 1;

    if (pipe2(s_sigpipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        log_warn("cannot create the signal pipe: %s", strerror(errno));
        return 1;
    }
    struct sigaction sa = {0};
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    char names[256] = "";
    for (int i = 0; i < s->nkids; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? "," : "",
                 s->kids[i].role);
    log_notice("vole supervisor pid %d starting %s (dir %s, run dir %s, listening on %s)",
               (int)s->self, names, cfg->dir, cfg->run_dir, cfg->addr);
    for (int i = 0; i < s->nkids; i++) s_start(s, &s->kids[i], 0);

    int seen_term = 0;
    for (;;) {
        if (s_got_chld) {
            s_got_chld = 0;
            s_reap(s);
        }
        if (s_got_hup) {
            s_got_hup = 0;
            if (cfg->logfile[0]) {
                if (s_open_logfile(cfg->logfile) < 0)
                    log_warn("cannot reopen logfile %s: %s", cfg->logfile, strerror(errno));
                else log_notice("logfile reopened");
            }
        }
        if (s_got_usr1) {
            s_got_usr1 = 0;
            s_log_table(s);
        }
        if (s_got_term != seen_term) {
            int first = seen_term == 0;
            seen_term = s_got_term;
            if (first) {
                log_notice("received a stop signal: stopping frontends, then the engine");
                s->stop_phase = 1;
            } else {
                log_warn("second stop signal: killing every child now");
                s_kill_all(s);
            }
        }
        int64_t now = s_now_ms();
        if (s->stop_phase) {
            if (s_stop_step(s, now)) break;
        } else {
            for (int i = 0; i < s->nkids; i++) {
                child_t *k = &s->kids[i];
                if (k->state == CHILD_BACKOFF && now >= k->next_start_ms) s_start(s, k, 1);
            }
            s_watchdog(s, now);
        }

        /* Sleep until a signal, child output, a heartbeat or the next deadline. */
        struct pollfd pfd[1 + 2 * MAX_CHILDREN];
        child_t *owner[1 + 2 * MAX_CHILDREN];
        int np = 0;
        pfd[np].fd = s_sigpipe[0];
        pfd[np].events = POLLIN;
        owner[np++] = NULL;
        int64_t deadline = now + 1000;
        for (int i = 0; i < s->nkids; i++) {
            child_t *k = &s->kids[i];
            if (k->out_fd >= 0) {
                pfd[np].fd = k->out_fd;
                pfd[np].events = POLLIN;
                owner[np++] = k;
            }
            if (k->hb_fd >= 0) {
                pfd[np].fd = k->hb_fd;
                pfd[np].events = POLLIN;
                owner[np++] = k;
            }
            int64_t d = INT64_MAX;
            if (k->state == CHILD_BACKOFF && !s->stop_phase) d = k->next_start_ms;
            else if (k->state == CHILD_RUNNING && !k->killed && !s->stop_phase)
                d = k->last_hb_ms + cfg->watchdog_ms;
            else if (k->state == CHILD_STOPPING && !k->killed) d = k->kill_at_ms;
            if (d < deadline) deadline = d;
        }
        int64_t timeout = deadline - now;
        if (timeout < 0) timeout = 0;
        int rc = poll(pfd, (nfds_t)np, (int)timeout);
        if (rc < 0 && errno != EINTR) {
            log_warn("poll: %s", strerror(errno));
            continue;
        }
        if (rc <= 0) continue;
        for (int i = 0; i < np; i++) {
            if (!pfd[i].revents) continue;
            child_t *k = owner[i];
            if (!k) {
                char drain[64];
                while (read(s_sigpipe[0], drain, sizeof drain) > 0) {
                }
            } else if (pfd[i].fd == k->out_fd) {
                s_read_output(k);
            } else if (pfd[i].fd == k->hb_fd) {
                s_read_heartbeat(k);
            }
        }
    }

    for (int i = 0; i < s->nkids; i++) buf_free(&s->kids[i].line);
    log_notice("all children stopped; supervisor exiting");
    if (s->lock_fd >= 0) {
        char path[sizeof cfg->run_dir + 32];
        snprintf(path, sizeof path, "%s/supervisor.pid", cfg->run_dir);
        unlink(path);
        close(s->lock_fd);
    }
    return s->config_error ? EX_CONFIG : 0;
}
