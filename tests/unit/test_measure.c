/* test_measure.c: measurement of effectiveness (services/monitor/measure.c): metric checks field by
 * field, threshold order per direction, levels at the thresholds, weighted control effectiveness
 * with stale results, overdue metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "../../services/monitor/measure.h"
#include "rl_limits.h"
#include "rl_time.h"

#define DIR(x) RISKLINE__V1__METRIC_DIRECTION__METRIC_DIRECTION_##x
#define EF(x) RISKLINE__V1__EFFECTIVENESS__EFFECTIVENESS_##x

#define NOW 1767225600000LL /* 2026-01-01T00:00:00Z */
#define DAY 86400000LL

/* --- fixtures ---------------------------------------------------------------------------------- */

/* A valid metric K-1 on control A.8.8: patch coverage in %, higher is better, 95/90/80, weekly. */
static metric_t metric(void)
{
    metric_t m;
    riskline__v1__metric__init(&m);
    m.id = "K-1";
    m.name = "Critical patches applied within 14 days";
    m.control_id = "A.8.8";
    m.method = "Scanner export, share of critical findings closed in time";
    m.frequency_days = 7;
    m.target = 95;
    m.direction = DIR(HIGHER_IS_BETTER);
    m.warning = 90;
    m.breach = 80;
    m.owner = "ivan";
    m.weight = 1;
    return m;
}

/* The same, lower is better: open critical findings, 0/5/10. */
static metric_t metric_lower(void)
{
    metric_t m = metric();
    m.name = "Open critical findings";
    m.direction = DIR(LOWER_IS_BETTER);
    m.target = 0;
    m.warning = 5;
    m.breach = 10;
    return m;
}

static void expect_err(rl_err_t rc, const rl_error_t *err, rl_err_t code, const char *field, const char *needle)
{
    if (rc != code || strcmp(err->field, field) != 0)
        fail_msg("expected %s on \"%s\", got %s on \"%s\": %s", rl_strerror(code), field, rl_strerror(rc),
                 err->field, err->message);
    if (needle && !strstr(err->message, needle))
        fail_msg("message \"%s\" does not contain \"%s\"", err->message, needle);
}

static void expect_ok(const metric_t *m)
{
    rl_error_t err;
    rl_error_clear(&err);
    rl_err_t rc = measure_validate(m, &err);
    if (rc != RL_OK)
        fail_msg("expected ok, got %s on \"%s\": %s", rl_strerror(rc), err.field, err.message);
}

/* --- validation -------------------------------------------------------------------------------- */

static void test_validate_ok(void **state)
{
    (void)state;
    metric_t m = metric();
    expect_ok(&m);
    m = metric_lower();
    expect_ok(&m);
    /* a risk instead of a control; limits at their edges */
    static char name[RL_MAX_TITLE + 1], method[RL_MAX_TEXT + 1], owner[RL_MAX_NAME + 1];
    memset(name, 'n', RL_MAX_TITLE);
    memset(method, 'm', RL_MAX_TEXT);
    memset(owner, 'o', RL_MAX_NAME);
    m = metric();
    m.control_id = "";
    m.risk_id = "R-2";
    m.name = name;
    m.method = method;
    m.owner = owner;
    m.frequency_days = 366;
    m.weight = 100;
    expect_ok(&m);
    m = metric();
    m.control_id = NULL;
    m.risk_id = "R-9007199254740992";
    m.method = NULL; /* optional */
    m.frequency_days = 1;
    m.weight = 0; /* counts as 1 */
    expect_ok(&m);
    m.method = "line one\nline two\twith a tab";
    expect_ok(&m);
    /* every Annex A theme at its first and last control, and own controls */
    static const char *const controls[] = {"A.5.1", "A.5.37", "A.6.1", "A.6.8", "A.7.1",
                                           "A.7.14", "A.8.1", "A.8.34", "C-1", "C-42"};
    for (size_t i = 0; i < sizeof controls / sizeof controls[0]; i++) {
        m = metric();
        m.control_id = (char *)controls[i];
        expect_ok(&m);
    }
    /* all three thresholds equal is ordered in both directions */
    m = metric();
    m.target = m.warning = m.breach = 50;
    expect_ok(&m);
    m.direction = DIR(LOWER_IS_BETTER);
    expect_ok(&m);
    /* negative and fractional numbers are fine */
    m = metric_lower();
    m.target = -1.5;
    m.warning = -1.25;
    m.breach = 0.5;
    expect_ok(&m);
}

/* One field wrong at a time: the error names it. */
static void test_validate_each_field(void **state)
{
    (void)state;
    static char long_name[RL_MAX_TITLE + 2], long_method[RL_MAX_TEXT + 2], long_owner[RL_MAX_NAME + 2];
    memset(long_name, 'n', RL_MAX_TITLE + 1);
    memset(long_method, 'm', RL_MAX_TEXT + 1);
    memset(long_owner, 'o', RL_MAX_NAME + 1);
    rl_error_t err;
    metric_t m;

    expect_err(measure_validate(NULL, &err), &err, RL_ERR_INVALID, "metric", "is required");

    m = metric();
    m.name = "";
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.name", "is required");
    m.name = NULL;
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.name", "is required");
    m.name = long_name;
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.name", "201 bytes, over the limit of 200");
    m.name = "two\nlines";
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.name", "control character at byte 3");
    m.name = "bad \xff utf-8";
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.name", "not valid UTF-8");

    m = metric();
    m.control_id = "";
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.control_id",
               "is required: a metric measures a control (control_id) or a risk (risk_id)");
    m.control_id = NULL;
    m.risk_id = NULL;
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.control_id", "is required");
    m.control_id = "A.8.8";
    m.risk_id = "R-2";
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.risk_id",
               "must be empty when control_id is set: a metric measures one control or one risk");
    static const char *const bad_controls[] = {"A.5.38", "A.6.9", "A.7.15", "A.8.35", "A.4.1", "A.9.1", "A.5.0",
                                               "A.5.01", "A.5.", "A.5", "5.1", "a.5.1", "A.5.1 ", "A.5.1.2",
                                               "A.8.+1", "C-0", "C-01", "C-", "R-1", "X"};
    for (size_t i = 0; i < sizeof bad_controls / sizeof bad_controls[0]; i++) {
        m = metric();
        m.control_id = (char *)bad_controls[i];
        rl_err_t rc = measure_validate(&m, &err);
        if (rc != RL_ERR_INVALID || strcmp(err.field, "metric.control_id") != 0 ||
            !strstr(err.message, "A.5.1..A.8.34 or an own control C-<n>"))
            fail_msg("control \"%s\": got %s on \"%s\": %s", bad_controls[i], rl_strerror(rc), err.field,
                     err.message);
    }
    static const char *const bad_risks[] = {"R-0", "R-", "R-01", "r-1", "K-1", "R-1x", "R--1"};
    for (size_t i = 0; i < sizeof bad_risks / sizeof bad_risks[0]; i++) {
        m = metric();
        m.control_id = "";
        m.risk_id = (char *)bad_risks[i];
        rl_err_t rc = measure_validate(&m, &err);
        if (rc != RL_ERR_INVALID || strcmp(err.field, "metric.risk_id") != 0 ||
            strcmp(err.message, "must be a risk id R-<n>") != 0)
            fail_msg("risk \"%s\": got %s on \"%s\": %s", bad_risks[i], rl_strerror(rc), err.field, err.message);
    }

    m = metric();
    m.method = long_method;
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.method", "1001 bytes, over the limit of 1000");
    m.method = "bell\a";
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.method", "control character at byte 4");

    m = metric();
    m.frequency_days = 0;
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.frequency_days", "must be 1..366 days, got 0");
    m.frequency_days = 367;
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.frequency_days", "got 367");

    m = metric();
    m.direction = DIR(UNSPECIFIED);
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.direction",
               "must be higher_is_better or lower_is_better, got 0");
    m.direction = (Riskline__V1__MetricDirection)3;
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.direction", "got 3");

    const double bad_numbers[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < 3; i++) {
        m = metric();
        m.target = bad_numbers[i];
        expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.target", "must be a finite number");
        m = metric();
        m.warning = bad_numbers[i];
        expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.warning", "must be a finite number");
        m = metric();
        m.breach = bad_numbers[i];
        expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.breach", "must be a finite number");
    }

    m = metric();
    m.owner = "";
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.owner", "is required");
    m.owner = NULL;
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.owner", "is required");
    m.owner = long_owner;
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.owner", "129 bytes, over the limit of 128");

    m = metric();
    m.weight = 101;
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.weight",
               "must be 0..100 (0 counts as 1), got 101");
}

static void test_validate_threshold_order(void **state)
{
    (void)state;
    rl_error_t err;
    /* higher is better: breach <= warning <= target */
    metric_t m = metric();
    m.warning = 95.5;
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.warning",
               "must be at or below the target 95 when higher is better, got 95.5");
    m.warning = 95;
    expect_ok(&m);
    m.breach = 95.25;
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.breach",
               "must be at or below the warning 95 when higher is better, got 95.25");
    m.breach = 95;
    expect_ok(&m);
    /* a lower-is-better order under higher is better is refused, and the other way round */
    m = metric();
    m.target = 0;
    m.warning = 5;
    m.breach = 10;
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.warning",
               "must be at or below the target 0 when higher is better, got 5");
    m = metric_lower();
    m.warning = -0.5;
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.warning",
               "must be at or above the target 0 when lower is better, got -0.5");
    m.warning = 0;
    expect_ok(&m);
    m.breach = -1;
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.breach",
               "must be at or above the warning 0 when lower is better, got -1");
    m.breach = 0;
    expect_ok(&m);
    m = metric_lower();
    m.target = 95;
    m.warning = 90;
    m.breach = 80;
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.warning",
               "must be at or above the target 95 when lower is better, got 90");
    /* breach beyond warning in the right direction but warning wrong: warning is named first */
    m = metric();
    m.warning = 99;
    m.breach = 99.5;
    expect_err(measure_validate(&m, &err), &err, RL_ERR_INVALID, "metric.warning", NULL);
}

/* --- levels ------------------------------------------------------------------------------------ */

static void test_level_higher_is_better(void **state)
{
    (void)state;
    metric_t m = metric(); /* target 95, warning 90, breach 80 */
    assert_int_equal(measure_level(&m, 100), MEASURE_OK);
    assert_int_equal(measure_level(&m, 95), MEASURE_OK);      /* at target */
    assert_int_equal(measure_level(&m, 92), MEASURE_OK);      /* below target, above warning */
    assert_int_equal(measure_level(&m, 90.001), MEASURE_OK);
    assert_int_equal(measure_level(&m, 90), MEASURE_WARNING); /* at warning */
    assert_int_equal(measure_level(&m, 85), MEASURE_WARNING);
    assert_int_equal(measure_level(&m, 80.001), MEASURE_WARNING);
    assert_int_equal(measure_level(&m, 80), MEASURE_BREACH);  /* at breach */
    assert_int_equal(measure_level(&m, 0), MEASURE_BREACH);
    assert_int_equal(measure_level(&m, -INFINITY), MEASURE_BREACH);
    assert_int_equal(measure_level(&m, INFINITY), MEASURE_OK);
    assert_int_equal(measure_level(&m, NAN), MEASURE_BREACH);
    /* equal thresholds: at the target is already a breach */
    m.target = m.warning = m.breach = 50;
    assert_int_equal(measure_level(&m, 50), MEASURE_BREACH);
    assert_int_equal(measure_level(&m, 50.5), MEASURE_OK);
}

static void test_level_lower_is_better(void **state)
{
    (void)state;
    metric_t m = metric_lower(); /* target 0, warning 5, breach 10 */
    assert_int_equal(measure_level(&m, -1), MEASURE_OK);
    assert_int_equal(measure_level(&m, 0), MEASURE_OK);       /* at target */
    assert_int_equal(measure_level(&m, 4.999), MEASURE_OK);
    assert_int_equal(measure_level(&m, 5), MEASURE_WARNING);  /* at warning */
    assert_int_equal(measure_level(&m, 9.999), MEASURE_WARNING);
    assert_int_equal(measure_level(&m, 10), MEASURE_BREACH);  /* at breach */
    assert_int_equal(measure_level(&m, 1e9), MEASURE_BREACH);
    assert_int_equal(measure_level(&m, INFINITY), MEASURE_BREACH);
    assert_int_equal(measure_level(&m, -INFINITY), MEASURE_OK);
    assert_int_equal(measure_level(&m, NAN), MEASURE_BREACH);
    /* the same numbers read the other way round under higher is better */
    m.direction = DIR(HIGHER_IS_BETTER);
    m.target = 10;
    m.breach = 0;
    assert_int_equal(measure_level(&m, 10), MEASURE_OK);
    assert_int_equal(measure_level(&m, 5), MEASURE_WARNING);
    assert_int_equal(measure_level(&m, 0), MEASURE_BREACH);
}

/* --- control effectiveness --------------------------------------------------------------------- */

/* Metrics of one control: value sets the level (OK 100, WARNING 85, BREACH 50), measured at `at`. */
#define NMET 12
typedef struct {
    metric_t m[NMET];
    const metric_t *p[NMET];
    size_t n;
} set_t;

static const double OK_V = 100, WARN_V = 85, BREACH_V = 50;

static void set_add(set_t *s, uint32_t weight, double value, int64_t at)
{
    assert_true(s->n < NMET);
    metric_t *m = &s->m[s->n];
    *m = metric();
    m->weight = weight;
    m->last_value = value;
    m->last_at_ms = at;
    s->p[s->n] = m;
    s->n++;
}

static Riskline__V1__Effectiveness eff(const set_t *s)
{
    return measure_control(s->p, s->n, NOW);
}

static void test_control_basic(void **state)
{
    (void)state;
    set_t s = {.n = 0};
    /* no metrics at all */
    assert_int_equal(measure_control(NULL, 0, NOW), EF(NOT_MEASURED));
    assert_int_equal(eff(&s), EF(NOT_MEASURED));
    /* metrics never measured */
    set_add(&s, 1, OK_V, 0);
    set_add(&s, 5, BREACH_V, 0);
    assert_int_equal(eff(&s), EF(NOT_MEASURED));
    /* one result, OK */
    s.n = 0;
    set_add(&s, 1, OK_V, NOW - DAY);
    assert_int_equal(eff(&s), EF(EFFECTIVE));
    s.m[0].last_value = WARN_V;
    assert_int_equal(eff(&s), EF(PARTIALLY_EFFECTIVE));
    s.m[0].last_value = BREACH_V;
    assert_int_equal(eff(&s), EF(INEFFECTIVE));
    /* lower is better: the level, not the raw value, counts */
    s.m[0] = metric_lower();
    s.m[0].last_at_ms = NOW - DAY;
    s.m[0].last_value = 0;
    assert_int_equal(eff(&s), EF(EFFECTIVE));
    s.m[0].last_value = 10;
    assert_int_equal(eff(&s), EF(INEFFECTIVE));
    /* NULL entries are skipped */
    const metric_t *with_null[3] = {NULL, &s.m[0], NULL};
    assert_int_equal(measure_control(with_null, 3, NOW), EF(INEFFECTIVE));
    const metric_t *only_null[1] = {NULL};
    assert_int_equal(measure_control(only_null, 1, NOW), EF(NOT_MEASURED));
}

/* Weighted shares at their boundaries: OK >= 80% effective, BREACH >= 50% ineffective. */
static void test_control_weights(void **state)
{
    (void)state;
    set_t s = {.n = 0};
    /* OK 4 of 5 = exactly 80% -> effective */
    set_add(&s, 4, OK_V, NOW - DAY);
    set_add(&s, 1, BREACH_V, NOW - DAY);
    assert_int_equal(eff(&s), EF(EFFECTIVE));
    /* OK 79 of 100 -> not effective; breach 21% -> partially */
    s.n = 0;
    set_add(&s, 79, OK_V, NOW - DAY);
    set_add(&s, 21, BREACH_V, NOW - DAY);
    assert_int_equal(eff(&s), EF(PARTIALLY_EFFECTIVE));
    /* 80 of 100 -> effective */
    s.m[0].weight = 80;
    s.m[1].weight = 20;
    assert_int_equal(eff(&s), EF(EFFECTIVE));
    /* BREACH exactly 50%: ineffective */
    s.n = 0;
    set_add(&s, 50, BREACH_V, NOW - DAY);
    set_add(&s, 50, OK_V, NOW - DAY);
    assert_int_equal(eff(&s), EF(INEFFECTIVE));
    /* BREACH 49 of 100, OK 51: partially */
    s.m[0].weight = 49;
    s.m[1].weight = 51;
    assert_int_equal(eff(&s), EF(PARTIALLY_EFFECTIVE));
    /* warnings are neither: 1 OK, 1 warning -> 50% OK, 0% breach: partially */
    s.n = 0;
    set_add(&s, 1, OK_V, NOW - DAY);
    set_add(&s, 1, WARN_V, NOW - DAY);
    assert_int_equal(eff(&s), EF(PARTIALLY_EFFECTIVE));
    /* the weight decides, not the count: 1 heavy OK beats 3 light breaches (10 vs 3 -> 76.9%) ... */
    s.n = 0;
    set_add(&s, 10, OK_V, NOW - DAY);
    set_add(&s, 1, BREACH_V, NOW - DAY);
    set_add(&s, 1, BREACH_V, NOW - DAY);
    set_add(&s, 1, BREACH_V, NOW - DAY);
    assert_int_equal(eff(&s), EF(PARTIALLY_EFFECTIVE));
    s.m[0].weight = 12; /* 12 of 15 = 80% */
    assert_int_equal(eff(&s), EF(EFFECTIVE));
    /* ... and 3 light OKs lose to 1 heavy breach (3 of 6 breach = 50%) */
    s.n = 0;
    set_add(&s, 3, BREACH_V, NOW - DAY);
    set_add(&s, 1, OK_V, NOW - DAY);
    set_add(&s, 1, OK_V, NOW - DAY);
    set_add(&s, 1, OK_V, NOW - DAY);
    assert_int_equal(eff(&s), EF(INEFFECTIVE));
    /* weight 0 counts as 1: 0/0/0/0 OK and one weight-1 breach = 4 of 5 OK */
    s.n = 0;
    for (int i = 0; i < 4; i++)
        set_add(&s, 0, OK_V, NOW - DAY);
    set_add(&s, 1, BREACH_V, NOW - DAY);
    assert_int_equal(eff(&s), EF(EFFECTIVE));
    /* if weight 0 counted as 0, a single weight-0 breach would weigh nothing: it weighs 1 */
    s.n = 0;
    set_add(&s, 0, BREACH_V, NOW - DAY);
    set_add(&s, 1, OK_V, NOW - DAY);
    assert_int_equal(eff(&s), EF(INEFFECTIVE));
}

/* Results older than 2 x frequency count as not measured (and keep their weight in the whole). */
static void test_control_stale(void **state)
{
    (void)state;
    set_t s = {.n = 0};
    /* weekly metric: a result exactly 14 days old still counts, 1 ms older does not */
    set_add(&s, 1, OK_V, NOW - 14 * DAY);
    assert_int_equal(eff(&s), EF(EFFECTIVE));
    s.m[0].last_at_ms = NOW - 14 * DAY - 1;
    assert_int_equal(eff(&s), EF(NOT_MEASURED));
    /* a stale breach no longer makes the control ineffective ... */
    s.m[0].last_value = BREACH_V;
    set_add(&s, 1, OK_V, NOW - DAY);
    /* ... but its weight stays in the whole: 1 OK of 2 = 50%, no breach counted -> partially */
    assert_int_equal(eff(&s), EF(PARTIALLY_EFFECTIVE));
    s.m[0].last_at_ms = NOW - DAY; /* fresh again: 50% breach */
    assert_int_equal(eff(&s), EF(INEFFECTIVE));
    /* a never-measured heavy metric keeps light OK results from effective */
    s.n = 0;
    set_add(&s, 1, OK_V, NOW - DAY);
    set_add(&s, 4, OK_V, 0);
    assert_int_equal(eff(&s), EF(PARTIALLY_EFFECTIVE));
    s.m[1].last_at_ms = NOW; /* measured now */
    assert_int_equal(eff(&s), EF(EFFECTIVE));
    /* the frequency of each metric decides: a daily metric 3 days old is stale, a monthly one is not */
    s.n = 0;
    set_add(&s, 1, BREACH_V, NOW - 3 * DAY);
    s.m[0].frequency_days = 1;
    assert_int_equal(eff(&s), EF(NOT_MEASURED));
    s.m[0].frequency_days = 30;
    assert_int_equal(eff(&s), EF(INEFFECTIVE));
    /* a result from the future (clock skew) counts as measured */
    s.m[0].last_at_ms = NOW + DAY;
    assert_int_equal(eff(&s), EF(INEFFECTIVE));
    /* a stored frequency of 0 counts as 1 day: 2 days old counts, 2 days and 1 ms does not */
    s.m[0].frequency_days = 0;
    s.m[0].last_at_ms = NOW - 2 * DAY;
    assert_int_equal(eff(&s), EF(INEFFECTIVE));
    s.m[0].last_at_ms = NOW - 2 * DAY - 1;
    assert_int_equal(eff(&s), EF(NOT_MEASURED));
}

/* --- overdue ----------------------------------------------------------------------------------- */

static void test_overdue(void **state)
{
    (void)state;
    metric_t m = metric(); /* weekly */
    const int64_t created = NOW - 30 * DAY;
    /* measured: counted from the last result */
    m.last_at_ms = NOW - 7 * DAY;
    assert_false(measure_overdue(&m, created, NOW));
    m.last_at_ms = NOW - 7 * DAY - 1;
    assert_true(measure_overdue(&m, created, NOW));
    m.last_at_ms = NOW;
    assert_false(measure_overdue(&m, created, NOW));
    m.last_at_ms = NOW + DAY; /* future result */
    assert_false(measure_overdue(&m, created, NOW));
    /* never measured: counted from the definition */
    m.last_at_ms = 0;
    assert_true(measure_overdue(&m, created, NOW));
    assert_false(measure_overdue(&m, NOW - 7 * DAY, NOW));
    assert_true(measure_overdue(&m, NOW - 7 * DAY - 1, NOW));
    assert_false(measure_overdue(&m, NOW, NOW));
    /* the frequency decides */
    m.frequency_days = 366;
    assert_false(measure_overdue(&m, NOW - 366 * DAY, NOW));
    assert_true(measure_overdue(&m, NOW - 366 * DAY - 1, NOW));
    m.frequency_days = 1;
    assert_false(measure_overdue(&m, NOW - DAY, NOW));
    assert_true(measure_overdue(&m, NOW - DAY - 1, NOW));
    /* extreme clock values do not overflow */
    assert_true(measure_overdue(&m, INT64_MIN, INT64_MAX));
    assert_false(measure_overdue(&m, INT64_MAX, INT64_MIN));
}

/* --- control tests ----------------------------------------------------------------------------- */

/* The ids measure_control_test_targets picks, as "K-1 K-3" ("" for none). */
static const char *targets(const char *named, char *const *controls, size_t nc, metric_t *const *all, size_t n,
                           size_t max)
{
    static char buf[128];
    size_t idx[8];
    size_t k = measure_control_test_targets(named, controls, nc, all, n, idx, max);
    assert_true(k <= max);
    buf[0] = '\0';
    for (size_t i = 0; i < k; i++) {
        assert_true(idx[i] < n);
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "", all[idx[i]]->id);
    }
    return buf;
}

static void test_control_test_targets(void **state)
{
    (void)state;
    /* K-1 pass rate of A.8.8 (95/90/80); K-2 open findings of A.8.8 (lower is better); K-3 a pass
     * rate of A.5.1; K-4 of A.8.8 higher is better but in units over 100; K-5 a risk's metric */
    metric_t m[5] = {metric(), metric_lower(), metric(), metric(), metric()};
    m[1].id = "K-2";
    m[2].id = "K-3";
    m[2].control_id = "A.5.1";
    m[3].id = "K-4";
    m[3].target = 500;
    m[3].warning = 300;
    m[3].breach = 100;
    m[4].id = "K-5";
    m[4].control_id = "";
    m[4].risk_id = "R-1";
    metric_t *all[6] = {&m[0], &m[1], NULL, &m[2], &m[3], &m[4]};
    char *a888[] = {"A.8.8"}, *both[] = {"A.5.1", "A.8.8"}, *none[] = {"A.6.3"}, *prefix[] = {"A.8"};
    /* the tested control's pass-rate metrics only */
    assert_string_equal(targets(NULL, a888, 1, all, 6, 8), "K-1");
    assert_string_equal(targets("", both, 2, all, 6, 8), "K-1 K-3");
    /* a control nobody measures, a prefix that is no control, no controls at all: none */
    assert_string_equal(targets(NULL, none, 1, all, 6, 8), "");
    assert_string_equal(targets(NULL, prefix, 1, all, 6, 8), "");
    assert_string_equal(targets(NULL, NULL, 0, all, 6, 8), "");
    /* the boundaries of a pass rate: 0 and 100 are in, just over 100 or below 0 is out */
    m[0].target = 100;
    m[0].breach = 0;
    assert_string_equal(targets(NULL, a888, 1, all, 6, 8), "K-1");
    m[0].target = 100.5;
    assert_string_equal(targets(NULL, a888, 1, all, 6, 8), "");
    m[0].target = 95;
    m[0].breach = -1;
    assert_string_equal(targets(NULL, a888, 1, all, 6, 8), "");
    m[0].breach = 80;
    /* a named metric wins over the controls, whatever it measures; an unknown one is none */
    assert_string_equal(targets("K-2", a888, 1, all, 6, 8), "K-2");
    assert_string_equal(targets("K-5", none, 1, all, 6, 8), "K-5");
    assert_string_equal(targets("K-9", a888, 1, all, 6, 8), "");
    /* at most max */
    assert_string_equal(targets(NULL, both, 2, all, 6, 1), "K-1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_ok),
        cmocka_unit_test(test_validate_each_field),
        cmocka_unit_test(test_validate_threshold_order),
        cmocka_unit_test(test_level_higher_is_better),
        cmocka_unit_test(test_level_lower_is_better),
        cmocka_unit_test(test_control_basic),
        cmocka_unit_test(test_control_weights),
        cmocka_unit_test(test_control_stale),
        cmocka_unit_test(test_overdue),
        cmocka_unit_test(test_control_test_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
