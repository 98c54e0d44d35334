/* fuzz_time.c: libFuzzer target: date and timestamp parsing (common/rl_time.c) with round-trip
 * invariants, and the calendar conversions over every day from year -10^9 to 10^9. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rl_time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *input)
{
    fprintf(stderr, "fuzz invariant broken: %s (input \"%s\")\n", what, input);
    abort();
}

/* The canonical dates are the ones the parser accepts: year 1900..9999. */
#define MIN_DAY (-25567LL)  /* 1900-01-01 */
#define MAX_DAY 2932896LL   /* 9999-12-31 */

static void check_days(int64_t z)
{
    int64_t y;
    unsigned m, d;
    rl_civil_from_days(z, &y, &m, &d);
    if (m < 1 || m > 12 || d < 1 || d > 31 || rl_days_from_civil(y, m, d) != z)
        die("civil_from_days and days_from_civil disagree", "");
    if (z >= MIN_DAY && z <= MAX_DAY) {
        char buf[RL_DATE_LEN];
        int64_t back;
        rl_date_format(z, buf);
        if (rl_date_parse(buf, &back) != 0 || back != z)
            die("a formatted date does not parse back", buf);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[64];
    if (size >= sizeof s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    int64_t days;
    if (rl_date_parse(s, &days) == 0) {
        char buf[RL_DATE_LEN];
        if (days < MIN_DAY || days > MAX_DAY)
            die("a date outside 1900..9999 parsed", s);
        if (strcmp(rl_date_format(days, buf), s) != 0)
            die("a parsed date formats differently", s);
    }

    int64_t ms;
    if (rl_ts_parse(s, &ms) == 0) {
        char buf[RL_TS_LEN], again[RL_TS_LEN];
        int64_t back;
        rl_ts_format(ms, buf);
        /* With an offset the instant may fall in year 1899 or 10000, outside the parser's years. */
        int64_t day = rl_days_from_ms(ms);
        if (day >= MIN_DAY && day <= MAX_DAY) {
            if (rl_ts_parse(buf, &back) != 0 || back != ms)
                die("a formatted timestamp does not parse back to the same instant", s);
            if (strcmp(rl_ts_format(back, again), buf) != 0)
                die("formatting is not canonical", s);
        }
        /* The same wall time with Z differs by the offset only, which is below a day. */
        int64_t d0;
        if (rl_date_parse((char[11]){s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], 0}, &d0) != 0)
            die("a timestamp parsed whose date part does not", s);
        if (ms < d0 * 86400000LL - 86400000LL || ms >= d0 * 86400000LL + 2 * 86400000LL)
            die("a timestamp more than a day away from its date", s);
    }

    /* The input's first 8 bytes as a day number within +-10^9 years. */
    if (size >= 8) {
        int64_t z;
        memcpy(&z, data, sizeof z);
        const int64_t span = 365243000000LL; /* about 10^9 years of days */
        z %= span;
        check_days(z);
        /* Any int64 instant formats to a string of the fixed length (the CLI prints at_ms of replies). */
        int64_t t;
        memcpy(&t, data, sizeof t);
        char buf[RL_TS_LEN];
        if (strlen(rl_ts_format(t, buf)) != RL_TS_LEN - 1)
            die("a formatted timestamp has the wrong length", buf);
    }
    return 0;
}
