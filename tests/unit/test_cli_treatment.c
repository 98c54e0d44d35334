/* test_cli_treatment.c: the CLI's strict parsers of treatment option values (cli/cli_parse_treatment.c): money, currency, control[:status], person triples, id lists, yes/no, SHA-256, enums. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli_parse_treatment.h"
#include "rl_limits.h"

static rl_arena_t *arena;

static int setup(void **state)
{
    (void)state;
    arena = rl_arena_new(0);
    return arena ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rl_arena_destroy(&arena);
    return 0;
}

static int64_t money_ok(const char *s)
{
    rl_error_t err;
    rl_error_clear(&err);
    int64_t v = -1;
    if (cli_parse_money("--budget", s, &v, &err) != 0)
        fail_msg("refused \"%s\": %s", s, err.message);
    return v;
}

static void money_refused(const char *s)
{
    rl_error_t err;
    rl_error_clear(&err);
    int64_t v = 4242;
    if (cli_parse_money("--amount", s, &v, &err) != -1)
        fail_msg("accepted \"%s\" as %lld", s ? s : "(null)", (long long)v);
    assert_int_equal(v, 4242);
    assert_int_equal(err.code, RL_ERR_INVALID);
    assert_string_equal(err.field, "--amount");
}

static void test_money_accepts(void **state)
{
    (void)state;
    assert_int_equal(money_ok("1250.50"), 125050);
    assert_int_equal(money_ok("12.5"), 1250);
    assert_int_equal(money_ok("12"), 1200);
    assert_int_equal(money_ok("0"), 0);
    assert_int_equal(money_ok("0.01"), 1);
    assert_int_equal(money_ok("0.10"), 10);
    assert_int_equal(money_ok("007.05"), 705);
    /* the largest amount: INT64_MAX minor units */
    assert_int_equal(money_ok("92233720368547758.07"), INT64_MAX);
    assert_int_equal(money_ok("92233720368547758"), INT64_MAX - 7);
}

static void test_money_refuses(void **state)
{
    (void)state;
    const char *bad[] = {"", "1.234", "1.", ".5", "-1", "+1", " 1", "1 ", "1,50", "1e3", "1.5.0", "abc",
                         "12.x", "0x10", "1_000", "１"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        money_refused(bad[i]);
    money_refused(NULL);
}

static void test_money_overflow(void **state)
{
    (void)state;
    money_refused("92233720368547758.08");              /* INT64_MAX + 1 minor units */
    money_refused("92233720368547759");                 /* whole units past the limit */
    money_refused("9223372036854775807");               /* INT64_MAX units: x100 overflows */
    money_refused("18446744073709551616");              /* past uint64 while reading digits */
    money_refused("99999999999999999999999999999.99");
    rl_error_t err;
    int64_t v;
    assert_int_equal(cli_parse_money("--budget", "92233720368547758.08", &v, &err), -1);
    assert_non_null(strstr(err.message, "too large"));
}

static void test_money_format(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(cli_format_money(125050, buf, sizeof buf), "1250.50");
    assert_string_equal(cli_format_money(0, buf, sizeof buf), "0.00");
    assert_string_equal(cli_format_money(7, buf, sizeof buf), "0.07");
    assert_string_equal(cli_format_money(-5, buf, sizeof buf), "-0.05");
    assert_string_equal(cli_format_money(INT64_MAX, buf, sizeof buf), "92233720368547758.07");
    assert_string_equal(cli_format_money(INT64_MIN, buf, sizeof buf), "-92233720368547758.08");
    /* round trip */
    assert_int_equal(money_ok(cli_format_money(123456789, buf, sizeof buf)), 123456789);
}

static void test_currency(void **state)
{
    (void)state;
    char c[4];
    rl_error_t err;
    assert_int_equal(cli_parse_currency("--currency", "EUR", c, &err), 0);
    assert_string_equal(c, "EUR");
    assert_int_equal(cli_parse_currency("--currency", "usd", c, &err), 0);
    assert_string_equal(c, "USD");
    const char *bad[] = {"", "EU", "EURO", "E1R", "E R", "€"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rl_error_clear(&err);
        if (cli_parse_currency("--currency", bad[i], c, &err) != -1)
            fail_msg("accepted currency \"%s\"", bad[i]);
        assert_string_equal(err.field, "--currency");
    }
}

static void test_plan_control(void **state)
{
    (void)state;
    Riskline__V1__PlanControl pc;
    rl_error_t err;
    assert_int_equal(cli_parse_plan_control("--control", "A.5.1", arena, &pc, &err), 0);
    assert_string_equal(pc.control_id, "A.5.1");
    assert_int_equal(pc.status, RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_UNSPECIFIED);
    assert_int_equal(cli_parse_plan_control("--control", "A.8.7:in_progress", arena, &pc, &err), 0);
    assert_string_equal(pc.control_id, "A.8.7");
    assert_int_equal(pc.status, RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_IN_PROGRESS);
    assert_int_equal(cli_parse_plan_control("--control", "C-3:implemented", arena, &pc, &err), 0);
    assert_string_equal(pc.control_id, "C-3");
    assert_int_equal(pc.status, RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_IMPLEMENTED);
    assert_int_equal(cli_parse_plan_control("--control", "5.1:not_started", arena, &pc, &err), 0);
    assert_int_equal(pc.status, RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_NOT_STARTED);

    /* verified is the SoA's, not a plan's; unknown statuses, empty parts, odd characters */
    const char *bad[] = {"", ":in_progress", "A.5.1:", "A.5.1:verified", "A.5.1:done", "A.5.1:unspecified",
                         "A.5.1:in_progress:x", "A 5.1", "A.5.1\n", "A/5/1", "123456789012345678901234567890123"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rl_error_clear(&err);
        if (cli_parse_plan_control("--control", bad[i], arena, &pc, &err) != -1)
            fail_msg("accepted control \"%s\"", bad[i]);
        assert_string_equal(err.field, "--control");
        assert_int_equal(err.code, RL_ERR_INVALID);
    }
}

static void test_person(void **state)
{
    (void)state;
    Riskline__V1__Personnel p;
    rl_error_t err;
    assert_int_equal(cli_parse_person("--person", "Ann Lee:engineer:40", arena, &p, &err), 0);
    assert_string_equal(p.person, "Ann Lee");
    assert_string_equal(p.role, "engineer");
    assert_int_equal(p.planned_hours, 40);
    assert_int_equal(p.actual_hours, 0);
    /* a name may hold a colon: the split is at the last two */
    assert_int_equal(cli_parse_person("--person", "ops:team:lead:0", arena, &p, &err), 0);
    assert_string_equal(p.person, "ops:team");
    assert_string_equal(p.role, "lead");
    assert_int_equal(p.planned_hours, 0);
    assert_int_equal(cli_parse_person("--person", "x:y:4294967295", arena, &p, &err), 0);
    assert_int_equal(p.planned_hours, UINT32_MAX);

    const char *bad[] = {"", "Ann", "Ann:engineer", "Ann:engineer:", ":engineer:40", "Ann::40", "Ann:engineer:-1",
                         "Ann:engineer:4294967296", "Ann:engineer:1.5", "Ann:engineer:40h", "::", "Ann:engineer: 40"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rl_error_clear(&err);
        if (cli_parse_person("--person", bad[i], arena, &p, &err) != -1)
            fail_msg("accepted person \"%s\"", bad[i]);
        assert_string_equal(err.field, "--person");
    }
}

static void test_id_list(void **state)
{
    (void)state;
    char *list[4];
    size_t n = 0;
    rl_error_t err;
    assert_int_equal(cli_parse_id_list("--waive", "M-1,M-2", arena, list, 4, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0], "M-1");
    assert_string_equal(list[1], "M-2");
    /* appends: a repeated option adds to the list */
    assert_int_equal(cli_parse_id_list("--waive", "M-7", arena, list, 4, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(list[2], "M-7");
    /* over the capacity */
    rl_error_clear(&err);
    assert_int_equal(cli_parse_id_list("--waive", "M-8,M-9", arena, list, 4, &n, &err), -1);
    assert_string_equal(err.field, "--waive");
    assert_non_null(strstr(err.message, "at most 4"));

    const char *bad[] = {"", ",", "M-1,", ",M-1", "M-1,,M-2", "M 1", "M-1;M-2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = 0;
        rl_error_clear(&err);
        if (cli_parse_id_list("--depends", bad[i], arena, list, 4, &n, &err) != -1)
            fail_msg("accepted id list \"%s\"", bad[i]);
        assert_string_equal(err.field, "--depends");
    }
}

static void test_yes_no(void **state)
{
    (void)state;
    int v = -1;
    rl_error_t err;
    assert_int_equal(cli_parse_yes_no("--effective", "yes", &v, &err), 0);
    assert_int_equal(v, 1);
    assert_int_equal(cli_parse_yes_no("--effective", "NO", &v, &err), 0);
    assert_int_equal(v, 0);
    assert_int_equal(cli_parse_yes_no("--effective", "ineffective", &v, &err), 0);
    assert_int_equal(v, 0);
    v = 9;
    assert_int_equal(cli_parse_yes_no("--effective", "y", &v, &err), -1);
    assert_int_equal(cli_parse_yes_no("--effective", "", &v, &err), -1);
    assert_int_equal(cli_parse_yes_no("--effective", "1", &v, &err), -1);
    assert_int_equal(v, 9);
    assert_string_equal(err.field, "--effective");
}

static void test_sha256(void **state)
{
    (void)state;
    char out[65];
    rl_error_t err;
    const char *ok = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
    assert_int_equal(cli_parse_sha256("--sha256", ok, out, &err), 0);
    assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    char bad[80];
    memcpy(bad, ok, 65);
    bad[10] = 'g';
    assert_int_equal(cli_parse_sha256("--sha256", bad, out, &err), -1);
    assert_string_equal(err.field, "--sha256");
    assert_int_equal(cli_parse_sha256("--sha256", "abc", out, &err), -1);
    snprintf(bad, sizeof bad, "%s0", ok); /* 65 characters */
    assert_int_equal(cli_parse_sha256("--sha256", bad, out, &err), -1);
}

static void test_enum(void **state)
{
    (void)state;
    rl_error_t err;
    assert_int_equal(cli_parse_enum(&riskline__v1__plan_state__descriptor, "--state", "in_progress", 1, 9, "states",
                                    &err),
                     RISKLINE__V1__PLAN_STATE__PLAN_STATE_IN_PROGRESS);
    assert_int_equal(cli_parse_enum(&riskline__v1__control_theme__descriptor, "--theme", "Technological", 1, 4,
                                    "themes", &err),
                     RISKLINE__V1__CONTROL_THEME__CONTROL_THEME_TECHNOLOGICAL);
    /* 0 (unspecified), unknown names and values outside the range are refused */
    assert_int_equal(cli_parse_enum(&riskline__v1__plan_state__descriptor, "--state", "unspecified", 1, 9, "states",
                                    &err),
                     -1);
    assert_int_equal(cli_parse_enum(&riskline__v1__plan_state__descriptor, "--state", "open", 1, 9, "states", &err),
                     -1);
    assert_string_equal(err.field, "--state");
    assert_non_null(strstr(err.message, "states"));
    assert_int_equal(cli_parse_enum(&riskline__v1__implementation_status__descriptor, "--status", "verified", 1, 3,
                                    "statuses", &err),
                     -1);
    assert_int_equal(cli_parse_enum(&riskline__v1__control_type__descriptor, "--type", "", 1, 5, "types", &err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_money_accepts), cmocka_unit_test(test_money_refuses),
        cmocka_unit_test(test_money_overflow), cmocka_unit_test(test_money_format),
        cmocka_unit_test(test_currency),      cmocka_unit_test(test_plan_control),
        cmocka_unit_test(test_person),        cmocka_unit_test(test_id_list),
        cmocka_unit_test(test_yes_no),        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_enum),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
