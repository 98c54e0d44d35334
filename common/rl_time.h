/* rl_time.h: ISO-8601 dates (YYYY-MM-DD) and UTC timestamps, as day numbers and Unix ms. */
#ifndef RL_TIME_H
#define RL_TIME_H

#include <stddef.h>
#include <stdint.h>

#define RL_DATE_LEN 11   /* "YYYY-MM-DD" + NUL */
#define RL_TS_LEN 25     /* "YYYY-MM-DDTHH:MM:SS.mmmZ" + NUL */

/* Days since 1970-01-01 of a proleptic Gregorian date (any int year). */
int64_t rl_days_from_civil(int64_t y, unsigned m, unsigned d);
void rl_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* Parse exactly "YYYY-MM-DD", year 1900..9999, a real calendar day. 0 ok, -1 otherwise. */
int rl_date_parse(const char *s, int64_t *days_out);
/* Writes "YYYY-MM-DD" into buf (>= RL_DATE_LEN). Returns buf. */
char *rl_date_format(int64_t days, char *buf);

/* Parse "YYYY-MM-DDTHH:MM:SS[.fff]Z" or with "+HH:MM"/"-HH:MM" offset; 0 ok, -1 otherwise. */
int rl_ts_parse(const char *s, int64_t *ms_out);
/* Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (>= RL_TS_LEN). Returns buf. */
char *rl_ts_format(int64_t ms, char *buf);

static inline int64_t rl_days_from_ms(int64_t ms)
{
    /* floor division; no negation, which overflows for INT64_MIN */
    return ms >= 0 ? ms / 86400000 : (ms + 1) / 86400000 - 1;
}

#endif
