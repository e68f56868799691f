/* Cron expressions: the standard 5 fields (minute hour day-of-month month day-of-week) with
 * '*', lists, ranges, steps, month and day names (JAN..DEC, SUN..SAT, any case), 7 for
 * Sunday, and the macros @yearly @annually @monthly @weekly @daily @midnight @hourly. When
 * both day-of-month and day-of-week are restricted a day matches if EITHER does, as Vixie
 * cron does. Shared by the engine (CRON.ADD validation, CRON.INFO next run) and the
 * scheduler (timing). */
#ifndef VOLE_CRONEXPR_H
#define VOLE_CRONEXPR_H
#include <stddef.h>
#include <stdint.h>

typedef struct cron_expr {
    uint64_t minute;  /* bit m for minutes 0..59 */
    uint32_t hour;    /* bits 0..23 */
    uint32_t mday;    /* bits 1..31 */
    uint16_t month;   /* bits 1..12 */
    uint8_t wday;     /* bits 0..6, Sunday = 0 */
    uint8_t mday_star, wday_star; /* the field was '*' (or '*' with a step: Vixie's rule) */
} cron_expr_t;

/* Parses s (len bytes); returns 0, or -1 with a reason in err. */
int cron_parse(cron_expr_t *ce, const char *s, size_t len, char *err, size_t errlen);
/* Selects the time zone used by cron_next ("UTC", "Europe/Paris", ...); returns
 * -1 when the zone is unknown (the previous one stays). */
int cron_set_timezone(const char *tz);
/* The first minute strictly after `after` (unix seconds) that matches, in unix seconds, or
 * -1 when none within the next 5 years (e.g. "0 0 31 2 *"). */
int64_t cron_next(const cron_expr_t *ce, int64_t after);
#endif
