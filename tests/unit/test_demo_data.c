/* test_demo_data.c: the example organisation of `riskline demo load` against the domain rules, without I/O: the tables agree with each other, the risks spread over every level, every control exists in Annex A, the metrics are valid and their last results include breaches, a plan goes over budget and milestones are overdue. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "catalogue.h"
#include "cli_demo_data.h"
#include "measure.h"
#include "rl_criteria.h"

static void test_tables_agree(void **state)
{
    (void)state;
    rl_error_t err;
    rl_error_clear(&err);
    if (demo_data_check(&err) != RL_OK)
        fail_msg("%s: %s", err.field, err.message);
    assert_int_equal(demo_person_index("sofia") >= 0, 1);
    assert_int_equal(demo_person_index("nobody"), -1);
}

/* Levels as the register computes them on the default criteria (5x5, 5/10/16). */
static void test_risk_levels(void **state)
{
    (void)state;
    Riskline__V1__Criteria c;
    rl_criteria_defaults(&c);
    size_t n, levels[4] = {0};
    const demo_risk_t *r = demo_risks(&n);
    assert_int_equal(n, 30);
    for (size_t i = 0; i < n; i++) {
        uint32_t s = r[i].likelihood * r[i].impact;
        assert_true(r[i].likelihood >= 1 && r[i].likelihood <= c.likelihood_levels);
        assert_true(r[i].impact >= 1 && r[i].impact <= c.impact_levels);
        assert_non_null(r[i].assets[0]);
        levels[s >= c.critical_min ? 3 : s >= c.high_min ? 2 : s >= c.medium_min ? 1 : 0]++;
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(r[i].title, r[k].title);
    }
    assert_int_equal(levels[0], 5);  /* low */
    assert_int_equal(levels[1], 13); /* medium */
    assert_int_equal(levels[2], 8);  /* high */
    assert_int_equal(levels[3], 4);  /* critical */
}

static void annex_a(const char *id)
{
    if (id && id[0] != '#' && !catalogue_find(id))
        fail_msg("%s is not an Annex A control", id);
}

static void test_controls_exist(void **state)
{
    (void)state;
    size_t n;
    const demo_plan_t *p = demo_plans(&n);
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < DEMO_MAX_LIST; k++)
            annex_a(p[i].controls[k]);
    const demo_metric_t *m = demo_metrics(&n);
    for (size_t i = 0; i < n; i++)
        annex_a(m[i].control);
    const demo_event_t *e = demo_events(&n);
    for (size_t i = 0; i < n; i++)
        annex_a(e[i].controls[0]), annex_a(e[i].controls[1]);
    const demo_exclusion_t *x = demo_exclusions(&n);
    for (size_t i = 0; i < n; i++)
        annex_a(x[i].control);
}

/* The definitions pass the monitor's rules; results come oldest first; the last results include
 * breaches, warnings and results in range; the KRI measurement is a breach of its metric. */
static void test_metrics(void **state)
{
    (void)state;
    size_t n, ne, levels[3] = {0};
    const demo_metric_t *m = demo_metrics(&n);
    for (size_t i = 0; i < n; i++) {
        Riskline__V1__Metric k = RISKLINE__V1__METRIC__INIT;
        k.name = (char *)m[i].name;
        k.control_id = (char *)(m[i].control ? m[i].control : "");
        k.risk_id = (char *)(m[i].control ? "" : "R-1");
        k.method = (char *)m[i].method;
        k.frequency_days = m[i].frequency_days;
        k.direction = m[i].direction;
        k.target = m[i].target;
        k.warning = m[i].warning;
        k.breach = m[i].breach;
        k.owner = (char *)m[i].owner;
        k.weight = m[i].weight;
        rl_error_t err;
        if (measure_validate(&k, &err) != RL_OK)
            fail_msg("metric %zu: %s: %s", i, err.field, err.message);
        int last = -1;
        for (int r = 0; r < DEMO_MAX_LIST && m[i].results[r].day; r++) {
            assert_true(m[i].results[r].day < 0);
            assert_true(r == 0 || m[i].results[r].day > m[i].results[r - 1].day);
            last = r;
        }
        assert_true(last >= 0);
        levels[measure_level(&k, m[i].results[last].value)]++;
        const demo_event_t *e = demo_events(&ne);
        for (size_t j = 0; j < ne; j++)
            if (e[j].metric == (int)i)
                assert_int_equal(measure_level(&k, e[j].value), MEASURE_BREACH);
    }
    assert_true(levels[MEASURE_BREACH] >= 2);
    assert_true(levels[MEASURE_WARNING] >= 1);
    assert_true(levels[MEASURE_OK] >= 1);
}

/* A plan spends more than its budget; started plans have milestones overdue and milestones done. */
static void test_plans(void **state)
{
    (void)state;
    size_t n, over = 0, overdue = 0, done = 0, transfer = 0;
    const demo_plan_t *p = demo_plans(&n);
    for (size_t i = 0; i < n; i++) {
        int64_t spent = 0;
        for (int c = 0; c < DEMO_MAX_LIST && p[i].costs[c].amount_minor; c++)
            spent += p[i].costs[c].amount_minor;
        over += spent > p[i].budget_minor;
        for (int k = 0; k < DEMO_MAX_LIST && p[i].milestones[k].title; k++) {
            const demo_milestone_t *ms = &p[i].milestones[k];
            overdue += ms->status != RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_DONE && ms->due < 0;
            done += ms->status == RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_DONE;
        }
        transfer += p[i].option == RISKLINE__V1__TREATMENT__TREATMENT_TRANSFER && p[i].transfer_party;
        assert_true(p[i].target >= p[i].start);
    }
    assert_int_equal(over, 1);
    assert_true(overdue >= 2);
    assert_true(done >= 10);
    assert_int_equal(transfer, 1);
    size_t na;
    const demo_acceptance_t *a = demo_acceptances(&na);
    int expiring = 0;
    for (size_t i = 0; i < na; i++)
        expiring += a[i].expires_in > 0 && a[i].expires_in <= 30;
    assert_int_equal(expiring, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_agree), cmocka_unit_test(test_risk_levels), cmocka_unit_test(test_controls_exist),
        cmocka_unit_test(test_metrics),      cmocka_unit_test(test_plans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
