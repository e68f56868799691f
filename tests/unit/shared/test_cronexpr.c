/* Unit tests for shared/cronexpr.c: fields, lists, ranges, steps, names, macros, the Vixie
 * day-of-month OR day-of-week rule, next-run computation across months, leap years, time
 * zones and DST, and rejection of malformed expressions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "shared/cronexpr.h"

static cron_expr_t s_parse(const char *s) {
    cron_expr_t ce;
    char err[200] = "";
    if (cron_parse(&ce, s, strlen(s), err, sizeof err) != 0) fail_msg("%s: %s", s, err);
    return ce;
}

static void s_bad(const char *s, const char *want) {
    cron_expr_t ce;
    char err[200] = "";
    assert_int_equal(cron_parse(&ce, s, strlen(s), err, sizeof err), -1);
    if (!strstr(err, want)) fail_msg("'%s': error '%s' lacks '%s'", s, err, want);
}

/* unix seconds of a UTC date */
static int64_t s_utc(int y, int mo, int d, int h, int mi) {
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm(&tm);
}

static void s_next_is(const char *expr, int64_t after, int64_t want) {
    cron_expr_t ce = s_parse(expr);
    int64_t got = cron_next(&ce, after);
    if (got != want) fail_msg("%s after %lld: got %lld want %lld", expr, (long long)after,
                              (long long)got, (long long)want);
}

static void test_fields(void **st) {
    (void)st;
    cron_expr_t ce = s_parse("*/15 9-17 * JAN,mar-May mon-FRI");
    assert_true(ce.minute == ((1ull << 0) | (1ull << 15) | (1ull << 30) | (1ull << 45)));
    assert_int_equal(ce.hour, 0x3fe00u);
    assert_int_equal(ce.month, (1u << 1) | (1u << 3) | (1u << 4) | (1u << 5));
    assert_int_equal(ce.wday, 0x3eu);
    assert_true(ce.mday_star);
    assert_false(ce.wday_star);
    ce = s_parse("5/20 0 1,15 * 7");
    assert_true(ce.minute == ((1ull << 5) | (1ull << 25) | (1ull << 45)));
    assert_int_equal(ce.wday, 1u); /* 7 is Sunday */
    assert_int_equal(ce.mday, (1u << 1) | (1u << 15));
    ce = s_parse("0-10/5 * * * 0-7");
    assert_true(ce.minute == ((1ull << 0) | (1ull << 5) | (1ull << 10)));
    assert_int_equal(ce.wday, 0x7fu);
}

static void test_macros(void **st) {
    (void)st;
    cron_expr_t a = s_parse("@hourly"), b = s_parse("0 * * * *");
    assert_memory_equal(&a, &b, sizeof a);
    a = s_parse("@DAILY");
    b = s_parse("0 0 * * *");
    assert_memory_equal(&a, &b, sizeof a);
    a = s_parse("@weekly");
    b = s_parse("0 0 * * sun");
    assert_memory_equal(&a, &b, sizeof a);
    a = s_parse("@yearly");
    b = s_parse("@annually");
    assert_memory_equal(&a, &b, sizeof a);
    s_parse("@monthly");
    s_parse("@midnight");
    s_bad("@reboot", "unknown cron macro");
    s_bad("@daily 5", "unknown cron macro");
}

static void test_errors(void **st) {
    (void)st;
    s_bad("", "found 0");
    s_bad("* * * *", "found 4");
    s_bad("* * * * * *", "found more");
    s_bad("60 * * * *", "minute value out of range");
    s_bad("* 24 * * *", "hour value out of range");
    s_bad("* * 0 * *", "day-of-month value out of range");
    s_bad("* * 32 * *", "day-of-month");
    s_bad("* * * 13 *", "month value out of range");
    s_bad("* * * * 8", "day-of-week value out of range");
    s_bad("*/0 * * * *", "invalid minute");
    s_bad("5-1 * * * *", "out of range");
    s_bad("1,,2 * * * *", "invalid minute");
    s_bad("1, * * * *", "invalid minute");
    s_bad("a * * * *", "invalid minute");
    s_bad("* * * foo *", "invalid month");
    s_bad("* * * * mond", "invalid day-of-week");
    s_bad("*/ * * * *", "invalid minute");
}

static void test_next(void **st) {
    (void)st;
    assert_int_equal(cron_set_timezone("UTC"), 0);
    int64_t t0 = s_utc(2026, 11, 22, 3, 7) + 13; /* Sunday */
    s_next_is("* * * * *", t0, s_utc(2026, 11, 22, 3, 8));
    s_next_is("* * * * *", s_utc(2026, 11, 22, 3, 8), s_utc(2026, 11, 22, 3, 9));
    s_next_is("*/15 * * * *", t0, s_utc(2026, 11, 22, 3, 15));
    s_next_is("@hourly", t0, s_utc(2026, 11, 22, 4, 0));
    s_next_is("0 */6 * * *", t0, s_utc(2026, 11, 22, 6, 0));
    s_next_is("@daily", t0, s_utc(2026, 11, 23, 0, 0));
    s_next_is("@monthly", t0, s_utc(2026, 12, 1, 0, 0));
    s_next_is("@yearly", t0, s_utc(2027, 1, 1, 0, 0));
    s_next_is("30 9 * * mon-fri", t0, s_utc(2026, 11, 23, 9, 30));
    s_next_is("0 0 29 2 *", t0, s_utc(2028, 2, 29, 0, 0)); /* next leap year */
    s_next_is("0 0 31 * *", s_utc(2026, 11, 1, 0, 0), s_utc(2026, 12, 31, 0, 0));
    /* Vixie: both restricted -> either; the 1st is a Tuesday, the 27th a Friday */
    s_next_is("0 0 1 * fri", s_utc(2026, 11, 22, 0, 0), s_utc(2026, 11, 27, 0, 0));
    s_next_is("0 0 1 * fri", s_utc(2026, 11, 27, 0, 0), s_utc(2026, 12, 1, 0, 0));
    /* one restricted, the other '*' -> that one alone */
    s_next_is("0 0 1 * *", s_utc(2026, 11, 22, 0, 0), s_utc(2026, 12, 1, 0, 0));
    s_next_is("0 0 */2 * fri", s_utc(2026, 11, 22, 0, 0), s_utc(2026, 11, 27, 0, 0)); /* star: AND */
    cron_expr_t never = s_parse("0 0 31 2 *");
    assert_int_equal(cron_next(&never, t0), -1);
}

static void test_timezone(void **st) {
    (void)st;
    if (cron_set_timezone("Europe/Paris") != 0) skip(); /* no tzdata on this machine */
    /* 09:00 in Paris is 08:00 UTC in winter (CET) and 07:00 UTC in summer (CEST) */
    s_next_is("0 9 * * *", s_utc(2026, 11, 22, 3, 0), s_utc(2026, 11, 22, 8, 0));
    s_next_is("0 9 * * *", s_utc(2026, 7, 1, 3, 0), s_utc(2026, 7, 1, 7, 0));
    /* 2026-03-29: 02:00 -> 03:00 local; 02:30 does not exist that day, the next is 03-30 */
    s_next_is("30 2 * * *", s_utc(2026, 3, 28, 12, 0), s_utc(2026, 3, 30, 0, 30));
    assert_int_equal(cron_set_timezone("No/Such_Zone"), -1);
    assert_int_equal(cron_set_timezone("../etc/passwd"), -1);
    assert_int_equal(cron_set_timezone("UTC"), 0);
    s_next_is("0 9 * * *", s_utc(2026, 11, 22, 3, 0), s_utc(2026, 11, 22, 9, 0));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),   cmocka_unit_test(test_macros),
        cmocka_unit_test(test_errors),   cmocka_unit_test(test_next),
        cmocka_unit_test(test_timezone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
