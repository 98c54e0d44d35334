/* rl_time.c: calendar arithmetic (H. Hinnant's civil-from-days algorithms), strict parsers. */
#include "rl_time.h"

#include <stdio.h>
#include <string.h>

int64_t rl_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void rl_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static unsigned month_days(int y, int m)
{
    static const unsigned md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return md[m - 1];
}

static int parse_ymd(const char *s, int64_t *days_out)
{
    int y, m, d;
    if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &m) || s[7] != '-' ||
        digits(s + 8, 2, &d))
        return -1;
    if (y < 1900 || m < 1 || m > 12 || d < 1 || (unsigned)d > month_days(y, m))
        return -1;
    *days_out = rl_days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

int rl_date_parse(const char *s, int64_t *days_out)
{
    if (!s || strlen(s) != 10)
        return -1;
    return parse_ymd(s, days_out);
}

char *rl_date_format(int64_t days, char *buf)
{
    int64_t y;
    unsigned m, d;
    rl_civil_from_days(days, &y, &m, &d);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%04d-%02u-%02u", (int)(y % 10000), m % 100, d % 100);
    memcpy(buf, tmp, RL_DATE_LEN - 1);
    buf[RL_DATE_LEN - 1] = '\0';
    return buf;
}

int rl_ts_parse(const char *s, int64_t *ms_out)
{
    int64_t days;
    int hh, mi, ss, frac = 0;
    if (!s || strlen(s) < 20 || strlen(s) > 35)
        return -1;
    if (parse_ymd(s, &days) || s[10] != 'T' || digits(s + 11, 2, &hh) || s[13] != ':' ||
        digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &ss))
        return -1;
    if (hh > 23 || mi > 59 || ss > 59)
        return -1;
    const char *p = s + 19;
    if (*p == '.') {
        int n = 0;
        p++;
        while (p[n] >= '0' && p[n] <= '9')
            n++;
        if (n == 0 || n > 9)
            return -1;
        int v;
        int take = n < 3 ? n : 3;
        if (digits(p, take, &v))
            return -1;
        for (int i = take; i < 3; i++)
            v *= 10;
        frac = v;
        p += n;
    }
    int64_t offset_min = 0;
    if (*p == 'Z' && p[1] == '\0') {
        /* UTC */
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset_min = (int64_t)oh * 60 + om;
        if (*p == '-')
            offset_min = -offset_min;
    } else {
        return -1;
    }
    int64_t secs = days * 86400 + (int64_t)hh * 3600 + (int64_t)mi * 60 + ss - offset_min * 60;
    *ms_out = secs * 1000 + frac;
    return 0;
}

char *rl_ts_format(int64_t ms, char *buf)
{
    int64_t days = rl_days_from_ms(ms);
    int64_t rem = ms % 86400000; /* not ms - days * 86400000: that overflows near INT64_MIN */
    if (rem < 0)
        rem += 86400000;
    int64_t y;
    unsigned m, d;
    rl_civil_from_days(days, &y, &m, &d);
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", (int)(y % 10000), m % 100,
             d % 100, (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
             (int)(rem % 1000));
    memcpy(buf, tmp, RL_TS_LEN - 1);
    buf[RL_TS_LEN - 1] = '\0';
    return buf;
}
