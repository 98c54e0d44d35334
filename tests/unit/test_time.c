/* test_time.c: calendar dates, UTC timestamps and day numbers (common/rl_time.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rl_time.h"

/* Parses s, expects day number `want`, and formats it back to the same text. */
static void assert_date_round_trip(const char *s, int64_t want)
{
    int64_t days = -999999;
    char buf[RL_DATE_LEN];
    assert_int_equal(rl_date_parse(s, &days), 0);
    assert_int_equal(days, want);
    assert_string_equal(rl_date_format(days, buf), s);
}

static void assert_date_rejected(const char *s)
{
    int64_t days = 12345;
    assert_int_equal(rl_date_parse(s, &days), -1);
    assert_int_equal(days, 12345); /* untouched on failure */
}

static void test_days_from_civil_known_values(void **state)
{
    (void)state;
    assert_int_equal(rl_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(rl_days_from_civil(1970, 1, 2), 1);
    assert_int_equal(rl_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(rl_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(rl_days_from_civil(2000, 2, 29), 11016);
    assert_int_equal(rl_days_from_civil(1900, 1, 1), -25567);
    assert_int_equal(rl_days_from_civil(2026, 1, 1), 20454);

    int64_t y;
    unsigned m, d;
    rl_civil_from_days(11017, &y, &m, &d);
    assert_int_equal(y, 2000);
    assert_int_equal(m, 3);
    assert_int_equal(d, 1);
    rl_civil_from_days(-1, &y, &m, &d);
    assert_int_equal(y, 1969);
    assert_int_equal(m, 12);
    assert_int_equal(d, 31);
}

static void test_civil_round_trip_every_day(void **state)
{
    (void)state;
    /* 1900-01-01 .. 2100-12-31: days_from_civil(civil_from_days(z)) == z and days are consecutive. */
    int64_t first = rl_days_from_civil(1900, 1, 1), last = rl_days_from_civil(2100, 12, 31);
    unsigned prev_d = 0;
    for (int64_t z = first; z <= last; z++) {
        int64_t y;
        unsigned m, d;
        rl_civil_from_days(z, &y, &m, &d);
        assert_int_equal(rl_days_from_civil(y, m, d), z);
        assert_true(d == 1 || d == prev_d + 1);
        prev_d = d;
    }
}

static void test_date_round_trips(void **state)
{
    (void)state;
    assert_date_round_trip("1970-01-01", 0);
    assert_date_round_trip("2000-03-01", 11017);
    assert_date_round_trip("2026-01-01", 20454);
    assert_date_round_trip("1900-01-01", -25567);
    assert_date_round_trip("9999-12-31", 2932896);
    assert_date_round_trip("2026-12-31", 20454 + 364);
}

static void test_date_leap_years(void **state)
{
    (void)state;
    assert_date_round_trip("2024-02-29", 19782);
    assert_date_round_trip("2000-02-29", 11016);
    assert_date_rejected("2023-02-29");
    assert_date_rejected("1900-02-29"); /* divisible by 100, not by 400 */
    assert_date_rejected("2100-02-29");
    assert_date_rejected("2024-02-30");
    assert_date_round_trip("2023-02-28", 19781 - 365);
}

static void test_date_rejects_bad_text(void **state)
{
    (void)state;
    assert_date_rejected("2026-1-01");
    assert_date_rejected("2026-01-1");
    assert_date_rejected("2026-13-01");
    assert_date_rejected("2026-00-10");
    assert_date_rejected("2026-01-00");
    assert_date_rejected("2026-01-32");
    assert_date_rejected("2026-04-31");
    assert_date_rejected("20260101");
    assert_date_rejected("2026-01-01x");
    assert_date_rejected("2026-01-01 ");
    assert_date_rejected("2026-01-01T00:00:00Z");
    assert_date_rejected(" 2026-01-01");
    assert_date_rejected("2026/01/01");
    assert_date_rejected("+026-01-01");
    assert_date_rejected("2026-0a-01");
    assert_date_rejected("");
    assert_date_rejected(NULL);
    assert_date_rejected("1899-12-31");
    assert_date_rejected("0001-01-01");
}

static void test_ts_parse_utc(void **state)
{
    (void)state;
    int64_t ms = -1;
    assert_int_equal(rl_ts_parse("1970-01-01T00:00:00Z", &ms), 0);
    assert_int_equal(ms, 0);
    assert_int_equal(rl_ts_parse("2026-03-15T12:34:56Z", &ms), 0);
    assert_int_equal(ms, 1773578096000LL);
    assert_int_equal(rl_ts_parse("1969-12-31T23:59:59Z", &ms), 0);
    assert_int_equal(ms, -1000);
}

static void test_ts_parse_fraction(void **state)
{
    (void)state;
    int64_t ms = -1;
    assert_int_equal(rl_ts_parse("2026-03-15T12:34:56.789Z", &ms), 0);
    assert_int_equal(ms, 1773578096789LL);
    assert_int_equal(rl_ts_parse("2026-03-15T12:34:56.5Z", &ms), 0);
    assert_int_equal(ms, 1773578096500LL);
    assert_int_equal(rl_ts_parse("2026-03-15T12:34:56.05Z", &ms), 0);
    assert_int_equal(ms, 1773578096050LL);
    /* sub-millisecond digits are truncated */
    assert_int_equal(rl_ts_parse("2026-03-15T12:34:56.789999Z", &ms), 0);
    assert_int_equal(ms, 1773578096789LL);
    assert_int_equal(rl_ts_parse("1969-12-31T23:59:59.500Z", &ms), 0);
    assert_int_equal(ms, -500);
    ms = 7;
    assert_int_equal(rl_ts_parse("2026-03-15T12:34:56.Z", &ms), -1);
    assert_int_equal(rl_ts_parse("2026-03-15T12:34:56.1234567890Z", &ms), -1);
    assert_int_equal(rl_ts_parse("2026-03-15T12:34:56.12aZ", &ms), -1);
    assert_int_equal(ms, 7);
}

static void test_ts_parse_offsets(void **state)
{
    (void)state;
    int64_t utc = 0, ms = 0;
    assert_int_equal(rl_ts_parse("2026-03-15T12:34:56Z", &utc), 0);
    assert_int_equal(rl_ts_parse("2026-03-15T14:34:56+02:00", &ms), 0);
    assert_int_equal(ms, utc);
    assert_int_equal(rl_ts_parse("2026-03-15T07:04:56-05:30", &ms), 0);
    assert_int_equal(ms, utc);
    assert_int_equal(rl_ts_parse("2026-03-15T12:34:56+00:00", &ms), 0);
    assert_int_equal(ms, utc);
    /* an offset moves the instant across midnight */
    assert_int_equal(rl_ts_parse("2026-03-16T01:00:00+02:00", &ms), 0);
    assert_int_equal(rl_ts_parse("2026-03-15T23:00:00Z", &utc), 0);
    assert_int_equal(ms, utc);
    assert_int_equal(rl_ts_parse("2026-03-15T14:34:56.250+02:00", &ms), 0);
    assert_int_equal(ms, 1773578096250LL);
}

static void test_ts_parse_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "2026-03-15T24:00:00Z",       "2026-03-15T12:60:00Z",      "2026-03-15T12:00:60Z",
        "2026-03-15T12:34:56",        "2026-03-15 12:34:56Z",      "2026-03-15T12:34:56z",
        "2026-03-15T12:34:56Zjunk",   "2026-03-15T12:34:56+24:00", "2026-03-15T12:34:56+02:60",
        "2026-03-15T12:34:56+0200",   "2026-03-15T12:34:56+02:00x", "2026-03-15T1:34:56Z",
        "2026-02-30T12:34:56Z",       "1899-12-31T23:59:59Z",      "2026-03-15",
        "",                           "2026-03-15T12:3a:56Z",      "2026-03-15T12:34:56+2:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 42;
        if (rl_ts_parse(bad[i], &ms) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(ms, 42);
    }
    int64_t ms = 42;
    assert_int_equal(rl_ts_parse(NULL, &ms), -1);
}

static void test_ts_format(void **state)
{
    (void)state;
    char buf[RL_TS_LEN];
    assert_string_equal(rl_ts_format(0, buf), "1970-01-01T00:00:00.000Z");
    assert_string_equal(rl_ts_format(1773578096789LL, buf), "2026-03-15T12:34:56.789Z");
    assert_string_equal(rl_ts_format(1773578096000LL, buf), "2026-03-15T12:34:56.000Z");
    assert_string_equal(rl_ts_format(-1, buf), "1969-12-31T23:59:59.999Z");
    assert_string_equal(rl_ts_format(-500, buf), "1969-12-31T23:59:59.500Z");
    assert_string_equal(rl_ts_format(86399999, buf), "1970-01-01T23:59:59.999Z");
    assert_int_equal(strlen(buf), RL_TS_LEN - 1);
}

static void test_ts_round_trip(void **state)
{
    (void)state;
    static const int64_t values[] = {0, 1, 999, 1000, 86400000, 951782400123LL /* 2000-02-29 */,
                                     1773578096789LL, -1, -86400000, -86400001, 253402300799999LL};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char buf[RL_TS_LEN];
        int64_t back = 0;
        rl_ts_format(values[i], buf);
        assert_int_equal(rl_ts_parse(buf, &back), 0);
        assert_int_equal(back, values[i]);
    }
}

static void test_days_from_ms(void **state)
{
    (void)state;
    assert_int_equal(rl_days_from_ms(0), 0);
    assert_int_equal(rl_days_from_ms(1), 0);
    assert_int_equal(rl_days_from_ms(86399999), 0);
    assert_int_equal(rl_days_from_ms(86400000), 1);
    assert_int_equal(rl_days_from_ms(1773578096789LL), rl_days_from_civil(2026, 3, 15));
    /* negative ms floor towards the earlier day, not towards zero */
    assert_int_equal(rl_days_from_ms(-1), -1);
    assert_int_equal(rl_days_from_ms(-86399999), -1);
    assert_int_equal(rl_days_from_ms(-86400000), -1);
    assert_int_equal(rl_days_from_ms(-86400001), -2);
    assert_int_equal(rl_days_from_ms(-25567LL * 86400000), -25567);
}

/* Found by fuzz_time: INT64_MIN was negated (undefined) and the remainder overflowed. Any instant
 * formats to the fixed length without undefined behaviour (the CLI prints at_ms from replies). */
static void test_ts_format_extremes(void **state)
{
    (void)state;
    char buf[RL_TS_LEN];
    assert_int_equal(rl_days_from_ms(INT64_MIN), INT64_MIN / 86400000 - 1);
    assert_int_equal(rl_days_from_ms(INT64_MAX), INT64_MAX / 86400000);
    assert_int_equal(strlen(rl_ts_format(INT64_MIN, buf)), RL_TS_LEN - 1);
    assert_int_equal(strlen(rl_ts_format(INT64_MIN + 1, buf)), RL_TS_LEN - 1);
    assert_int_equal(strlen(rl_ts_format(INT64_MAX, buf)), RL_TS_LEN - 1);
    assert_string_equal(rl_ts_format(-86400000, buf), "1969-12-31T00:00:00.000Z");
    assert_string_equal(rl_ts_format(-86400001, buf), "1969-12-30T23:59:59.999Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days_from_civil_known_values),
        cmocka_unit_test(test_civil_round_trip_every_day),
        cmocka_unit_test(test_date_round_trips),
        cmocka_unit_test(test_date_leap_years),
        cmocka_unit_test(test_date_rejects_bad_text),
        cmocka_unit_test(test_ts_parse_utc),
        cmocka_unit_test(test_ts_parse_fraction),
        cmocka_unit_test(test_ts_parse_offsets),
        cmocka_unit_test(test_ts_parse_rejects),
        cmocka_unit_test(test_ts_format),
        cmocka_unit_test(test_ts_round_trip),
        cmocka_unit_test(test_days_from_ms),
        cmocka_unit_test(test_ts_format_extremes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
