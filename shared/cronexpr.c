/* Cron expression parsing and next-run computation; see shared/cronexpr.h. */
#include "shared/cronexpr.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const s_months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const s_days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const struct {
    const char *name, *expr;
} s_macros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

typedef struct {
    const char *name;
    int lo, hi;
    const char *const *names; /* 3-letter names for lo.. (NULL: numbers only) */
    int name_base;
} field_t;

static const field_t s_fields[5] = {
    {"minute", 0, 59, NULL, 0},
    {"hour", 0, 23, NULL, 0},
    {"day-of-month", 1, 31, NULL, 0},
    {"month", 1, 12, s_months, 1},
    {"day-of-week", 0, 7, s_days, 0}, /* 7 is Sunday too */
};

/* A number or a name at *p (advanced); -1 when neither. */
static int s_value(const field_t *f, const char **p, const char *end) {
    const char *s = *p;
    if (s < end && isdigit((unsigned char)*s)) {
        int v = 0;
        while (s < end && isdigit((unsigned char)*s) && v < 1000) v = v * 10 + (*s++ - '0');
        *p = s;
        return v;
    }
    if (f->names && end - s >= 3) {
        int n = f == &s_fields[3] ? 12 : 7;
        for (int i = 0; i < n; i++) {
            if (strncasecmp(s, f->names[i], 3) == 0 &&
                (end - s == 3 || !isalpha((unsigned char)s[3]))) {
                *p = s + 3;
                return i + f->name_base;
            }
        }
    }
    return -1;
}

/* One field (s..end) into bits; *star tells a field starting with '*'. */
static int s_field(const field_t *f, const char *s, const char *end, uint64_t *bits, int *star,
                   char *err, size_t errlen) {
    *bits = 0;
    *star = s < end && *s == '*';
    while (s < end) {
        const char *item = s;
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *iend = comma ? comma : end;
        int lo, hi, step = 1;
        if (s < iend && *s == '*') {
            lo = f->lo;
            hi = f->hi == 7 ? 6 : f->hi;
            s++;
        } else {
            lo = s_value(f, &s, iend);
            if (lo < 0) goto bad;
            hi = lo;
            if (s < iend && *s == '-') {
                s++;
                hi = s_value(f, &s, iend);
                if (hi < 0) goto bad;
            } else if (s < iend && *s == '/') {
                hi = f->hi == 7 ? 6 : f->hi; /* "5/15": from 5 to the end */
            }
        }
        if (s < iend && *s == '/') {
            s++;
            const char *d = s;
            step = 0;
            while (s < iend && isdigit((unsigned char)*s) && step < 1000) step = step * 10 + (*s++ - '0');
            if (s == d || step == 0) goto bad;
        }
        if (s != iend) goto bad;
        if (lo < f->lo || hi > f->hi || lo > hi) {
            snprintf(err, errlen, "%s value out of range (%d-%d) in '%.*s'", f->name, f->lo, f->hi,
                     (int)(iend - item), item);
            return -1;
        }
        for (int v = lo; v <= hi; v += step) *bits |= 1ull << (f->hi == 7 && v == 7 ? 0 : v);
        s = comma ? comma + 1 : end;
        if (comma && s == end) goto bad; /* trailing comma */
        continue;
    bad:
        snprintf(err, errlen, "invalid %s field '%.*s'", f->name, (int)(end - item), item);
        return -1;
    }
    if (!*bits) {
        snprintf(err, errlen, "empty %s field", f->name);
        return -1;
    }
    return 0;
}

int cron_parse(cron_expr_t *ce, const char *s, size_t len, char *err, size_t errlen) {
    char tmp[256];
    if (len >= sizeof tmp) {
        snprintf(err, errlen, "cron expression too long");
        return -1;
    }
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    const char *text = tmp;
    while (isspace((unsigned char)*text)) text++;
    if (*text == '@') {
        size_t n = strcspn(text, " \t");
        const char *rest = text + n, *name = text;
        int found = 0;
        for (size_t i = 0; i < sizeof s_macros / sizeof s_macros[0]; i++) {
            if (strlen(s_macros[i].name) == n && strncasecmp(text, s_macros[i].name, n) == 0) {
                text = s_macros[i].expr;
                found = 1;
                break;
            }
        }
        while (*rest && isspace((unsigned char)*rest)) rest++;
        if (!found || *rest) {
            snprintf(err, errlen, "unknown cron macro '%.*s' (use @yearly, @annually, @monthly, "
                                  "@weekly, @daily, @midnight or @hourly)", (int)n, name);
            return -1;
        }
    }
    const char *starts[6], *ends[6];
    int nf = 0;
    const char *p = text;
    while (*p) {
        while (*p && isspace((unsigned char)*p)) p++;
        if (!*p) break;
        if (nf == 5) {
            snprintf(err, errlen, "a cron expression has 5 fields (minute hour day-of-month "
                                  "month day-of-week), found more");
            return -1;
        }
        starts[nf] = p;
        while (*p && !isspace((unsigned char)*p)) p++;
        ends[nf++] = p;
    }
    if (nf != 5) {
        snprintf(err, errlen, "a cron expression has 5 fields (minute hour day-of-month month "
                              "day-of-week), found %d", nf);
        return -1;
    }
    uint64_t bits[5];
    int star[5];
    for (int i = 0; i < 5; i++)
        if (s_field(&s_fields[i], starts[i], ends[i], &bits[i], &star[i], err, errlen) < 0) return -1;
    memset(ce, 0, sizeof *ce);
    ce->minute = bits[0];
    ce->hour = (uint32_t)bits[1];
    ce->mday = (uint32_t)bits[2];
    ce->month = (uint16_t)bits[3];
    ce->wday = (uint8_t)bits[4];
    ce->mday_star = (uint8_t)star[2];
    ce->wday_star = (uint8_t)star[4];
    return 0;
}

int cron_set_timezone(const char *tz) {
    if (!tz || !*tz) tz = "UTC";
    /* glibc silently falls back to UTC for an unknown zone: check the zone file exists */
    if (strcmp(tz, "UTC") != 0 && strcmp(tz, "GMT") != 0) {
        if (strstr(tz, "..") || tz[0] == '/') return -1;
        char path[512];
        snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
        FILE *f = fopen(path, "rb");
        if (!f) return -1;
        fclose(f);
    }
    setenv("TZ", tz, 1);
    tzset();
    return 0;
}

static int s_day_ok(const cron_expr_t *ce, const struct tm *tm) {
    int dm = (ce->mday >> tm->tm_mday) & 1, dw = (ce->wday >> tm->tm_wday) & 1;
    if (ce->mday_star || ce->wday_star) return dm && dw;
    return dm || dw; /* both restricted: either matches (Vixie cron) */
}

int64_t cron_next(const cron_expr_t *ce, int64_t after) {
    int64_t t = (after >= 0 ? after / 60 + 1 : after / 60) * 60;
    int64_t limit = after + 5LL * 366 * 86400;
    while (t <= limit) {
        time_t tt = (time_t)t;
        struct tm tm;
        localtime_r(&tt, &tm);
        int64_t nt;
        if (!((ce->month >> (tm.tm_mon + 1)) & 1)) {
            tm.tm_mon++;
            tm.tm_mday = 1;
            tm.tm_hour = tm.tm_min = 0;
        } else if (!s_day_ok(ce, &tm)) {
            tm.tm_mday++;
            tm.tm_hour = tm.tm_min = 0;
        } else if (!((ce->hour >> tm.tm_hour) & 1)) {
            tm.tm_hour++;
            tm.tm_min = 0;
        } else if (!((ce->minute >> tm.tm_min) & 1)) {
            t += 60;
            continue;
        } else {
            return t;
        }
        tm.tm_sec = 0;
        tm.tm_isdst = -1;
        nt = (int64_t)mktime(&tm);
        /* DST transitions can normalise backwards: always move forward */
        t = nt > t ? nt - nt % 60 : t + 60;
    }
    return -1;
}
