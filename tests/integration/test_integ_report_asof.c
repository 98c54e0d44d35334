/* test_integ_report_asof.c: reports as of a past instant (risk_register, plans, soa) through the
 * real services and `riskline report --as-of`: rebuilt from the events, each equals, table for
 * table byte for byte, the report fetched at that instant, while the current report differs; and
 * as_of is refused in the future, before the first event, on other reports, and malformed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "harness_msg.h"
#include "rl_time.h"

static harness_run_t last;

static int setup(void **state)
{
    harness_t *h = harness_new_with_report();
    *state = h;
    return 0;
}

static int teardown(void **state)
{
    harness_t *h = *state;
    harness_run_free(&last);
    harness_destroy(&h);
    return 0;
}

static void run_as(harness_t *h, const char *who, int want, const char *const *argv)
{
    harness_cli_as(h, who, want, argv, &last);
}
#define RUN(h, who, want, ...) run_as(h, who, want, (const char *const[]){__VA_ARGS__, NULL})

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The report NAME in fmt (as of as_of when not NULL), whole, malloc'd. */
static char *report_in(harness_t *h, const char *name, const char *fmt, const char *tag, const char *as_of)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s-%s.%s", h->dir, name, tag, fmt);
    const char *argv[10] = {"report", name, "--format", fmt, "--out", path, NULL};
    if (as_of) {
        argv[6] = "--as-of";
        argv[7] = as_of;
        argv[8] = NULL;
    }
    run_as(h, NULL, 0, argv);
    size_t len;
    char *text = harness_read_file(path, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

static char *report(harness_t *h, const char *name, const char *tag, const char *as_of)
{
    return report_in(h, name, "json", tag, as_of);
}

/* The document from its "tables" on: what the report says (the head holds generated_at and the
 * parameters, which name as_of). */
static const char *tables(const char *doc)
{
    const char *t = strstr(doc, "\"tables\":");
    if (!t)
        fail_msg("no tables in %.300s", doc);
    return t;
}

/* On a difference, says where: the message is cut short, so it shows the first differing byte on. */
static void same_tables(const char *at_t1, const char *as_of, const char *name)
{
    const char *a = tables(at_t1), *b = tables(as_of);
    size_t i = 0;
    while (a[i] && a[i] == b[i])
        i++;
    if (a[i] == b[i])
        return;
    size_t from = i > 200 ? i - 200 : 0;
    fail_msg("%s as of T1 differs from the report at T1 at byte %zu:\nat T1: ...%.400s\nas of: ...%.400s", name, i,
             a + from, b + from);
}

/* T1 must follow every reaction to the changes before it (the register links plans to risks from
 * the treatment's events): a reaction landing between the report at T1 and T1 itself is in one and
 * not the other. */
static void settle(harness_t *h)
{
    assert_int_equal(harness_settle(h, "default", 20000), 0);
}

static void test_as_of(void **state)
{
    harness_t *h = *state;
    RUN(h, NULL, 0, "risk", "add", "--title", "Phishing", "--owner", "alice", "--likelihood", "4", "--impact", "5",
        "--residual-likelihood", "2", "--residual-impact", "3");
    RUN(h, NULL, 0, "risk", "add", "--title", "Ransomware", "--owner", "bob", "--likelihood", "3", "--impact", "4");
    RUN(h, NULL, 0, "risk", "add", "--title", "Supplier outage", "--owner", "bob", "--likelihood", "2", "--impact", "3");
    RUN(h, NULL, 0, "risk", "add", "--title", "Flood", "--owner", "carol", "--likelihood", "5", "--impact", "5");
    RUN(h, NULL, 0, "plan", "create", "--risk", "R-1", "--title", "Awareness", "--option", "reduce", "--owner", "tom",
        "--approver", "ann", "--control", "5.1", "--control", "A.8.8:in_progress");
    RUN(h, NULL, 0, "plan", "create", "--risk", "R-2", "--title", "Backups", "--option", "reduce", "--owner", "tom",
        "--approver", "ann", "--control", "8.13");
    RUN(h, NULL, 0, "soa", "exclude", "A.7.4", "--reason", "cloud only");
    RUN(h, NULL, 0, "criteria", "show");
    settle(h);

    char *reg1 = report(h, "risk_register", "t1", NULL);
    char *plans1 = report(h, "plans", "t1", NULL);
    char *soa1 = report(h, "soa", "t1", NULL);
    char *heat1 = report(h, "heatmap", "t1", NULL);
    char t1[RL_TS_LEN];
    rl_ts_format(now_ms(), t1);
    harness_sleep_ms(30);  /* what follows is in a later millisecond */

    /* the changes after T1: re-rate, archive, approve a plan, add controls, include A.7.4 again */
    RUN(h, NULL, 0, "risk", "update", "R-2", "--likelihood", "5");
    RUN(h, NULL, 0, "risk", "archive", "R-4", "--reason", "site closed");
    RUN(h, NULL, 0, "risk", "add", "--title", "Insider", "--owner", "dave", "--likelihood", "3", "--impact", "3");
    RUN(h, "tom", 0, "plan", "submit", "TP-1");
    RUN(h, "ann", 0, "plan", "approve", "TP-1", "--comment", "fine");
    RUN(h, NULL, 0, "control", "add", "--title", "Clean desk walks", "--type", "process");
    RUN(h, "tom", 0, "plan", "update", "TP-2", "--control", "8.13", "--control", "C-1");
    RUN(h, NULL, 0, "soa", "include", "A.7.4");
    RUN(h, NULL, 0, "criteria", "set", "--thresholds", "6,12,17");  /* re-levels every risk now, not then */
    harness_sleep_ms(500);

    char *reg2 = report(h, "risk_register", "now", NULL);
    char *plans2 = report(h, "plans", "now", NULL);
    char *soa2 = report(h, "soa", "now", NULL);
    char *reg_asof = report(h, "risk_register", "asof", t1);
    char *plans_asof = report(h, "plans", "asof", t1);
    char *soa_asof = report(h, "soa", "asof", t1);
    char *heat2 = report(h, "heatmap", "now", NULL);
    char *heat_asof = report(h, "heatmap", "asof", t1);

    /* the changes show now, not then */
    assert_non_null(strstr(reg2, "Insider"));
    assert_null(strstr(reg_asof, "Insider"));
    assert_null(strstr(reg2, "\"Flood\""));
    assert_non_null(strstr(reg_asof, "\"Flood\""));
    assert_non_null(strstr(reg_asof, "\"as_of\":"));
    assert_true(strcmp(tables(reg1), tables(reg2)) != 0);
    assert_true(strcmp(tables(plans1), tables(plans2)) != 0);
    assert_true(strcmp(tables(soa1), tables(soa2)) != 0);
    assert_non_null(strstr(plans_asof, "\"state\":\"draft\""));
    assert_non_null(strstr(soa_asof, "cloud only"));
    assert_null(strstr(soa_asof, "Clean desk walks"));
    assert_non_null(strstr(soa2, "Clean desk walks"));

    /* as of T1 is what the reports said at T1 */
    same_tables(reg1, reg_asof, "risk_register");
    same_tables(plans1, plans_asof, "plans");
    same_tables(soa1, soa_asof, "soa");
    same_tables(heat1, heat_asof, "heatmap");
    assert_true(strcmp(tables(heat1), tables(heat2)) != 0);

    /* archived at T1: none; archived now: R-4, and as of T1 the archived list is empty */
    char *arch = NULL;
    {
        char path[600];
        snprintf(path, sizeof path, "%s/arch.json", h->dir);
        RUN(h, NULL, 0, "report", "risk_register", "--format", "json", "--archived", "--as-of", t1, "--out", path);
        arch = harness_read_file(path, NULL);
        assert_non_null(arch);
        assert_non_null(strstr(arch, "\"risks\":[]"));
    }
    free(arch);
    free(reg1), free(plans1), free(soa1), free(reg2), free(plans2), free(soa2);
    free(reg_asof), free(plans_asof), free(soa_asof), free(heat1), free(heat2), free(heat_asof);
}

/* Many risks and plans: the as-of pages (one event pass each) cross chunks like the current ones;
 * the CSV, which has no head, is equal as a whole file. */
static void test_as_of_many_chunks(void **state)
{
    harness_t *h = *state;
    enum { N = 230, P = 110 };  /* plans: more than one window of 100 (asof_handler.c) */
    harness_create_bulk(h, N);
    for (int i = 0; i < P; i++) {
        char rid[16];
        snprintf(rid, sizeof rid, "R-%d", 200 + i % 3);
        RUN(h, NULL, 0, "plan", "create", "--risk", rid, "--title", "Bulk plan", "--option", "reduce", "--owner", "tom",
            "--approver", "ann", "--control", "8.8");
    }
    settle(h);
    char *reg1 = report(h, "risk_register", "t1", NULL);
    char *csv1 = report_in(h, "risk_register", "csv", "t1", NULL);
    char *plans1 = report(h, "plans", "t1", NULL);
    char t1[RL_TS_LEN];
    rl_ts_format(now_ms(), t1);
    harness_sleep_ms(30);
    RUN(h, NULL, 0, "risk", "update", "R-205", "--likelihood", "5", "--impact", "5");
    RUN(h, NULL, 0, "risk", "archive", "R-7", "--reason", "merged");
    RUN(h, "tom", 0, "plan", "update", "TP-104", "--title", "Renamed later");
    harness_sleep_ms(300);
    char *reg_asof = report(h, "risk_register", "asof", t1);
    char *csv_asof = report_in(h, "risk_register", "csv", "asof", t1);
    char *plans_asof = report(h, "plans", "asof", t1);
    char *plans2 = report(h, "plans", "now", NULL);
    assert_non_null(strstr(plans2, "Renamed later"));
    assert_null(strstr(plans_asof, "Renamed later"));
    assert_non_null(strstr(reg_asof, "\"id\":\"R-7\""));
    assert_non_null(strstr(reg_asof, "\"plans\":\"TP-1 TP-4 TP-7 TP-10 TP-13 TP-16 TP-19 TP-22 TP-25 TP-28"));
    same_tables(reg1, reg_asof, "risk_register");
    same_tables(plans1, plans_asof, "plans");
    assert_string_equal(csv1, csv_asof);
    free(reg1), free(csv1), free(plans1), free(reg_asof), free(csv_asof), free(plans_asof), free(plans2);
}

static void test_as_of_refused(void **state)
{
    harness_t *h = *state;
    RUN(h, NULL, 2, "report", "risk_register", "--format", "json", "--as-of", "2020-01-01");
    assert_non_null(strstr(last.err, "as_of"));  /* no events yet */
    RUN(h, NULL, 0, "risk", "add", "--title", "Phishing", "--owner", "alice", "--likelihood", "4", "--impact", "5");
    RUN(h, NULL, 2, "report", "risk_register", "--format", "json", "--as-of", "2020-01-01");
    assert_non_null(strstr(last.err, "invalid_argument: as_of: is before the tenant's first event"));
    RUN(h, NULL, 2, "report", "soa", "--format", "json", "--as-of", "2999-01-01");
    assert_non_null(strstr(last.err, "invalid_argument: as_of: is in the future"));
    char today[16];
    harness_date_in(0, today);
    RUN(h, NULL, 2, "report", "plans", "--format", "json", "--as-of", today);  /* the day is not over */
    assert_non_null(strstr(last.err, "as_of: is in the future"));
    RUN(h, NULL, 2, "report", "dashboard", "--format", "json", "--as-of", "2020-01-01");
    assert_non_null(strstr(last.err, "invalid_argument: as_of: only risk_register, plans, soa and heatmap"));
    RUN(h, NULL, 2, "report", "risk_register", "--format", "json", "--as-of", "yesterday");
    assert_non_null(strstr(last.err, "invalid_argument: as_of: must be YYYY-MM-DD"));
    RUN(h, NULL, 2, "report", "risk_register", "--format", "json", "--as-of", "2026-01-01T10:00:00+01:00");
    assert_non_null(strstr(last.err, "invalid_argument: as_of"));
    char t[RL_TS_LEN];
    rl_ts_format(now_ms() - 1, t);
    RUN(h, NULL, 2, "report", "risk_register", "--format", "json", "--sort", "score", "--as-of", t);
    assert_non_null(strstr(last.err, "filters.sort"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_as_of, setup, teardown),
        cmocka_unit_test_setup_teardown(test_as_of_many_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_as_of_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
