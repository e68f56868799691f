/* Number parsing/formatting with Redis's rules, glob matching, clocks. */
#include "shared/util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

int str_to_ull(const char *s, size_t len, unsigned long long *out) {
    if (len == 0 || len > 20) return 0;
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return 1;
    }
    if (s[0] < '1' || s[0] > '9') return 0;
    unsigned long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

int str_to_ll(const char *s, size_t len, long long *out) {
    if (len == 0) return 0;
    int neg = 0;
    if (s[0] == '-') {
        neg = 1;
        s++;
        len--;
        /* like Redis's string2ll: "-" and "-0" are not numbers */
        if (len == 0 || s[0] == '0') return 0;
    }
    unsigned long long v;
    if (!str_to_ull(s, len, &v)) return 0;
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1) return 0;
        *out = (long long)(0 - v);
    } else {
        if (v > (unsigned long long)LLONG_MAX) return 0;
        *out = (long long)v;
    }
    return 1;
}

int str_to_ld(const char *s, size_t len, long double *out) {
    char buf[5 * 1024]; /* MAX_LONG_DOUBLE_CHARS: Redis refuses longer input */
    if (len == 0 || len >= sizeof buf) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (isspace((unsigned char)buf[0])) return 0;
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if ((size_t)(end - buf) != len || isnan(v) ||
        (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0)))
        return 0;
    *out = v;
    return 1;
}

int str_to_d(const char *s, size_t len, double *out) {
    char small[128];
    if (len == 0 || isspace((unsigned char)s[0])) return 0;
    char *buf = len < sizeof small ? small : malloc(len + 1);
    if (!buf) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    int ok = (size_t)(end - buf) == len && !isnan(v) &&
             !(errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || v == 0));
    if (buf != small) free(buf);
    if (ok) *out = v;
    return ok;
}

int ull_to_str(char *dst, unsigned long long v) {
    char tmp[21];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++) dst[i] = tmp[n - 1 - i];
    dst[n] = '\0';
    return n;
}

int ll_to_str(char *dst, long long v) {
    if (v < 0) {
        dst[0] = '-';
        return 1 + ull_to_str(dst + 1, (unsigned long long)0 - (unsigned long long)v);
    }
    return ull_to_str(dst, (unsigned long long)v);
}

int d_to_str(char *dst, size_t cap, double v) {
    if (isinf(v)) return snprintf(dst, cap, v > 0 ? "inf" : "-inf");
    if (isnan(v)) return snprintf(dst, cap, "nan");
    if (v == 0) return snprintf(dst, cap, signbit(v) ? "-0" : "0");
    /* Integers that a double represents exactly print without exponent, as Redis does. */
    double min = -4503599627370495.0, max = 4503599627370496.0; /* (2^52) */
    long long ll;
    if (v > min && v < max && v == (double)(ll = (long long)v)) return ll_to_str(dst, ll);
    return snprintf(dst, cap, "%.17g", v);
}

int ld_to_str_human(char *dst, size_t cap, long double v) {
    if (isinf(v) || isnan(v)) return 0;
    int n = snprintf(dst, cap, "%.17Lf", v);
    if (n < 1 || (size_t)n >= cap) return 0;
    if (strchr(dst, '.')) {
        char *p = dst + n - 1;
        while (*p == '0') {
            p--;
            n--;
        }
        if (*p == '.') n--;
    }
    if (n == 2 && dst[0] == '-' && dst[1] == '0') {
        dst[0] = '0';
        n = 1;
    }
    dst[n] = '\0';
    return n;
}

unsigned long long mem_unit(const char *u) {
    static const struct { const char *name; unsigned long long mul; } units[] = {
        {"", 1}, {"b", 1}, {"k", 1000ULL}, {"kb", 1024ULL}, {"m", 1000ULL * 1000},
        {"mb", 1024ULL * 1024}, {"g", 1000ULL * 1000 * 1000}, {"gb", 1024ULL * 1024 * 1024},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcasecmp(u, units[i].name) == 0) return units[i].mul;
    return 0;
}

static int s_glob(const char *p, size_t plen, const char *s, size_t slen, int nocase, int *skip,
                  int depth) {
    if (depth > 1000) return 0; /* bound recursion on hostile patterns */
    while (plen && slen) {
        switch (p[0]) {
        case '*':
            while (plen > 1 && p[1] == '*') {
                p++;
                plen--;
            }
            if (plen == 1) return 1;
            while (slen) {
                if (s_glob(p + 1, plen - 1, s, slen, nocase, skip, depth + 1)) return 1;
                if (*skip) return 0;
                s++;
                slen--;
            }
            *skip = 1; /* the rest of the string cannot match: stop trying */
            return 0;
        case '?':
            s++;
            slen--;
            break;
        case '[': {
            int not = 0, match = 0;
            p++;
            plen--;
            not = plen && p[0] == '^';
            if (not) {
                p++;
                plen--;
            }
            for (;;) {
                if (plen == 0) {
                    /* unterminated class: back up so the outer loop sees the end */
                    p--;
                    plen++;
                    break;
                }
                if (p[0] == '\\' && plen >= 2) {
                    p++;
                    plen--;
                    if (p[0] == s[0]) match = 1;
                } else if (p[0] == ']') {
                    break;
                } else if (plen >= 3 && p[1] == '-') {
                    int a = (unsigned char)p[0], b = (unsigned char)p[2], c = (unsigned char)s[0];
                    if (a > b) {
                        int t = a;
                        a = b;
                        b = t;
                    }
                    if (nocase) {
                        a = tolower(a);
                        b = tolower(b);
                        c = tolower(c);
                    }
                    p += 2;
                    plen -= 2;
                    if (c >= a && c <= b) match = 1;
                } else if (nocase ? tolower((unsigned char)p[0]) == tolower((unsigned char)s[0])
                                  : p[0] == s[0]) {
                    match = 1;
                }
                p++;
                plen--;
            }
            if (not) match = !match;
            if (!match) return 0;
            s++;
            slen--;
            break;
        }
        case '\\':
            if (plen >= 2) {
                p++;
                plen--;
            }
            /* fall through */
        default:
            if (nocase ? tolower((unsigned char)p[0]) != tolower((unsigned char)s[0]) : p[0] != s[0])
                return 0;
            s++;
            slen--;
            break;
        }
        p++;
        plen--;
        if (slen == 0) {
            while (plen && *p == '*') {
                p++;
                plen--;
            }
            break;
        }
    }
    return plen == 0 && slen == 0;
}

int glob_match(const char *pat, size_t patlen, const char *s, size_t slen, int nocase) {
    int skip = 0;
    return s_glob(pat, patlen, s, slen, nocase, &skip, 0);
}

static uint64_t s_rng;

uint64_t rand_u64(void) {
    if (s_rng == 0) {
        if (getrandom(&s_rng, sizeof s_rng, 0) != (ssize_t)sizeof s_rng)
            s_rng = (uint64_t)now_us() ^ ((uint64_t)getpid() << 32);
        if (s_rng == 0) s_rng = 0x9e3779b97f4a7c15ULL;
    }
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return s_rng * 0x2545f4914f6cdd1dULL;
}

uint64_t rand_below(uint64_t n) { return (uint64_t)(((unsigned __int128)rand_u64() * n) >> 64); }

int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t now_ms(void) { return now_us() / 1000; }

int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#if defined(__x86_64__)
#include <x86intrin.h>
uint64_t ticks_now(void) { return __rdtsc(); }

int64_t ticks_to_ns(uint64_t ticks) {
    static double ns_per_tick;
    if (ns_per_tick == 0) {
        /* calibrate once: 2 ms of the time-stamp counter against the monotonic clock */
        int64_t t0 = mono_ns();
        uint64_t c0 = __rdtsc();
        while (mono_ns() - t0 < 2000000) {
        }
        int64_t t1 = mono_ns();
        uint64_t c1 = __rdtsc();
        ns_per_tick = c1 > c0 ? (double)(t1 - t0) / (double)(c1 - c0) : 1.0;
    }
    return (int64_t)((double)ticks * ns_per_tick);
}
#else
uint64_t ticks_now(void) { return (uint64_t)mono_ns(); }
int64_t ticks_to_ns(uint64_t ticks) { return (int64_t)ticks; }
#endif

int64_t mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
