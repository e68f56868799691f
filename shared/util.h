/* Small helpers shared by every role: number parsing/formatting with Redis's exact rules,
 * glob matching, clocks. */
#ifndef VOLE_UTIL_H
#define VOLE_UTIL_H
#include <stddef.h>
#include <stdint.h>

/* Strict integer parsing as Redis does it: no spaces, no '+', no leading zeros, fits in
 * int64. Returns 1 on success, 0 on failure. */
int str_to_ll(const char *s, size_t len, long long *out);
int str_to_ull(const char *s, size_t len, unsigned long long *out);
/* Long double parsing as Redis's string2ld: no spaces, no NaN; returns 1/0. */
int str_to_ld(const char *s, size_t len, long double *out);
/* Double parsing as Redis's string2d / getDoubleFromObject (accepts inf, rejects nan and
 * trailing garbage or spaces); returns 1/0. */
int str_to_d(const char *s, size_t len, double *out);

/* Writes the decimal form of v; returns its length (buffer of at least 21 bytes). */
int ll_to_str(char *dst, long long v);
int ull_to_str(char *dst, unsigned long long v);
/* Double as Redis 7.0 prints it in replies (%.17g, "inf"/"-inf"); buffer >= 128 bytes. */
int d_to_str(char *dst, size_t cap, double v);
/* Long double in Redis's "human" form used by INCRBYFLOAT (%.17Lf with trailing zeros
 * removed); returns 0 when it does not fit. */
int ld_to_str_human(char *dst, size_t cap, long double v);

/* Multiplier for a memory-size suffix as Redis reads them ("" and "b" = 1, k = 1000,
 * kb = 1024, m, mb, g, gb; case-insensitive); returns 0 for an unknown suffix. */
unsigned long long mem_unit(const char *suffix);

/* Redis's glob: * ? [abc] [^a] [a-z] and \ escapes; binary safe. Returns 1 on match. */
int glob_match(const char *pat, size_t patlen, const char *s, size_t slen, int nocase);

/* Fast non-cryptographic randomness (xorshift64*, seeded from the kernel on first use) for
 * random replies, sampling and skip-list levels. */
uint64_t rand_u64(void);
/* Uniform in [0, n), n > 0 (multiply-shift, no modulo bias worth speaking of). */
uint64_t rand_below(uint64_t n);

int64_t now_us(void);
int64_t now_ms(void);
/* Monotonic clock in microseconds. */
int64_t mono_us(void);
int64_t mono_ns(void); /* monotonic clock in nanoseconds */
/* A cheap tick counter for timing commands (the CPU's time-stamp counter on x86-64, where a
 * clock_gettime per command measurably costs throughput; mono_ns elsewhere), and the
 * conversion of a tick difference to nanoseconds (calibrated against mono_ns on first use). */
uint64_t ticks_now(void);
int64_t ticks_to_ns(uint64_t ticks);
#endif
