/* One-line logging to stderr. */
#include "shared/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char s_role[32] = "vole";
static int s_level = LOG_NOTICE;

void log_init(const char *role, int level) {
    snprintf(s_role, sizeof s_role, "%s", role);
    s_level = level;
}

int log_level_parse(const char *name) {
    static const char *names[] = {"debug", "verbose", "notice", "warning"};
    for (int i = 0; i < 4; i++)
        if (strcasecmp(name, names[i]) == 0) return i;
    return -1;
}

void log_msg(int level, const char *fmt, ...) {
    if (level < s_level) return;
    static const char marks[] = {'.', '-', '*', '#'};
    char line[1024];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    int off = snprintf(line, sizeof line, "%d:%s %02d:%02d:%02d.%03d %c ", (int)getpid(), s_role,
                       tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000), marks[level]);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line + off, sizeof line - off - 1, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    off += n;
    if (off > (int)sizeof line - 2) off = sizeof line - 2;
    line[off++] = '\n';
    /* One write per line so lines from concurrent processes do not interleave. */
    ssize_t w = write(STDERR_FILENO, line, off);
    (void)w;
}
