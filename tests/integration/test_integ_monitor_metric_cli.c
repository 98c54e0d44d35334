/* test_integ_monitor_metric_cli.c: `riskline metric define|record|list|show`, `riskline alert list|ack|resolve` and `riskline monitor sweep` against the real monitor and Redis with the local admin key: exact output lines, a breach raising an alert that a recovery resolves, ack and resolve by a person, --json, and strict option parsing (exit 1 naming the option). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static harness_run_t res;

static int setup(void **state)
{
    harness_t *h = harness_new();
    if (harness_monitor_start(h) != 0) {
        harness_destroy(&h);
        fail_msg("riskline-monitor did not start");
    }
    *state = h;
    return 0;
}

static int teardown(void **state)
{
    harness_t *h = *state;
    harness_run_free(&res);
    harness_monitor_stop(h);
    harness_destroy(&h);
    return 0;
}

/* `riskline <args>` with the CLI's default key (all roles); fails unless it exits with `want`. */
static void cli(harness_t *h, int want, const char *const *args)
{
    harness_run_free(&res);
    harness_cli(h, NULL, args, &res);
    if (res.status != want)
        fail_msg("riskline %s %s ...: exit %d, want %d\nstdout: %s\nstderr: %s", args[0], args[1] ? args[1] : "",
                 res.status, want, res.out, res.err);
}
#define RUN(h, want, ...) cli(h, want, (const char *const[]){__VA_ARGS__, NULL})

static void stdout_is(const char *want)
{
    if (strcmp(res.out, want) != 0)
        fail_msg("stdout is:\n%s\nwant:\n%s", res.out, want);
}

static void stdout_has(const char *want)
{
    if (!strstr(res.out, want))
        fail_msg("stdout lacks \"%s\":\n%s", want, res.out);
}

static void stderr_has(const char *want)
{
    if (!strstr(res.err, want))
        fail_msg("stderr lacks \"%s\":\n%s", want, res.err);
}

#define DEFINE_PATCH                                                                                            \
    "metric", "define", "--name", "Patched within 14 days", "--control", "A.8.8", "--frequency-days", "30",      \
        "--target", "95", "--warning", "90", "--breach", "80", "--direction", "higher", "--owner", "ops-lead",  \
        "--method", "share of critical patches applied within 14 days", "--weight", "2"

/* --- define, record, list, show --- */

static void test_metric_flow(void **state)
{
    harness_t *h = *state;
    RUN(h, 0, DEFINE_PATCH);
    stdout_is("K-1 defined; control A.8.8: not_measured\n");
    RUN(h, 0, "metric", "define", "--name", "Phishing click rate", "--risk", "R-2", "--frequency-days", "7",
        "--target", "2", "--warning", "5", "--breach", "10.5", "--direction", "lower", "--owner", "ciso");
    stdout_is("K-2 defined\n");

    RUN(h, 0, "metric", "list");
    stdout_is("ID   NAME                    SUBJECT        TARGET  WARNING  BREACH  LAST VALUE  LAST AT\n"
              "K-1  Patched within 14 days  control A.8.8  95      90       80      -           -\n"
              "K-2  Phishing click rate     risk R-2       2       5        10.5    -           -\n"
              "2 metrics\n");

    /* results: ok, warning, breach; the control's effectiveness follows */
    RUN(h, 0, "metric", "record", "K-1", "--value", "97.5", "--at", "2026-11-26T10:00:00Z");
    stdout_is("K-1 recorded 97.5: ok; control A.8.8: effective\n");
    RUN(h, 0, "metric", "record", "K-1", "--value", "85");
    stdout_is("K-1 recorded 85: warning; control A.8.8: partially_effective\n");
    RUN(h, 0, "metric", "record", "K-2", "--value", "-1", "--at", "2026-11-19T09:30:00Z");
    stdout_is("K-2 recorded -1: ok\n");
    RUN(h, 0, "metric", "record", "K-2", "--value", "3", "--at", "2026-11-20T09:30:00+01:00");
    stdout_is("K-2 recorded 3: ok\n");

    RUN(h, 0, "metric", "list", "--risk", "R-2");
    stdout_is("ID   NAME                 SUBJECT   TARGET  WARNING  BREACH  LAST VALUE  LAST AT\n"
              "K-2  Phishing click rate  risk R-2  2       5        10.5    3           2026-11-20T08:30:00.000Z\n"
              "1 metric\n");
    RUN(h, 0, "metric", "list", "--control", "A.5.1");
    stdout_is("0 metrics\n");

    RUN(h, 0, "metric", "show", "K-2");
    stdout_is("id:                 K-2\n"
              "name:               Phishing click rate\n"
              "measures:           risk R-2\n"
              "method:             -\n"
              "frequency:          every 7 days\n"
              "direction:          lower is better\n"
              "target:             2\n"
              "warning:            5\n"
              "breach:             10.5\n"
              "weight:             1\n"
              "owner:              ciso\n"
              "last result:        3 at 2026-11-20T08:30:00.000Z: ok\n"
              "version:            3\n");
    RUN(h, 0, "--json", "metric", "show", "K-1");
    stdout_has("\"id\":\t\"K-1\"");
    stdout_has("\"weight\":\t2");
    stdout_has("\"direction\":\t\"higher_is_better\"");
    RUN(h, 0, "metric", "record", "K-1", "--value", "99", "--json");
    stdout_has("\"effectiveness\":\t\"effective\"");

    /* not found, refused by the monitor */
    RUN(h, 2, "metric", "show", "K-9");
    stderr_has("riskline: not_found: metric_id: no metric K-9 in tenant default");
    RUN(h, 2, "metric", "record", "K-9", "--value", "1");
    stderr_has("riskline: not_found: metric_id: no metric K-9");
    RUN(h, 2, "metric", "define", "--name", "n", "--control", "A.9.1", "--frequency-days", "1", "--target", "1",
        "--warning", "1", "--breach", "1", "--direction", "higher", "--owner", "o");
    stderr_has("riskline: invalid_argument: metric.control_id: must be an Annex A control");
    RUN(h, 2, "metric", "define", "--name", "n", "--risk", "R-1", "--frequency-days", "1", "--target", "90",
        "--warning", "95", "--breach", "80", "--direction", "higher", "--owner", "o");
    stderr_has("riskline: invalid_argument: metric.warning: must be at or below the target 90 when higher is better");
    RUN(h, 0, "metric", "list");
    stdout_has("2 metrics\n");
}

/* --- a breach raises an alert, a recovery resolves it; ack and resolve by a person --- */

/* The id of the only metric_breach alert `alert list --kind metric_breach [--state S]` prints,
 * whose row starts with "<id>  metric_breach  high      K-1      <state>  20..." (into id). */
static void breach_alert(harness_t *h, const char *state, char *id, size_t size)
{
    if (state)
        RUN(h, 0, "alert", "list", "--kind", "metric_breach", "--state", state);
    else
        RUN(h, 0, "alert", "list", "--kind", "metric_breach");
    const char *row = strchr(res.out, '\n');
    if (strncmp(res.out, "ID  ", 4) != 0 || !row || !strstr(res.out, "\n1 alert\n"))
        fail_msg("want one metric_breach alert:\n%s", res.out);
    row++;
    size_t n = strcspn(row, " ");
    snprintf(id, size, "%.*s", (int)n, row);
    char want[128];
    snprintf(want, sizeof want, "%s  metric_breach  high      K-1      %s", id, state ? state : "open");
    if (strncmp(row, want, strlen(want)) != 0)
        fail_msg("row is:\n%s\nwant it to start:\n%s", row, want);
}

static void test_alert_flow(void **state)
{
    harness_t *h = *state;
    char id[32], want[160];
    RUN(h, 0, DEFINE_PATCH);
    RUN(h, 0, "alert", "list");
    stdout_is("0 alerts\n");

    RUN(h, 0, "metric", "record", "K-1", "--value", "75");
    stdout_is("K-1 recorded 75: breach; control A.8.8: ineffective\n");
    /* the breach alert (and the control's, found ineffective) */
    RUN(h, 0, "alert", "list");
    stdout_has("  metric_breach        high      K-1      open   20");
    stdout_has("  control_ineffective  high      A.8.8    open   20");
    stdout_has("\n2 alerts\n");
    breach_alert(h, NULL, id, sizeof id);
    assert_string_equal(id, "AL-1");
    stdout_has("Z  metric K-1 \"Patched within 14 days\" (control A.8.8): 75 (breach; target 95, warning 90, "
               "breach 80)\n");
    assert_int_equal(strncmp(strchr(res.out, '\n') - 7, "MESSAGE", 7), 0); /* the header's last column */
    /* a second breach keeps the one alert */
    RUN(h, 0, "metric", "record", "K-1", "--value", "70");
    breach_alert(h, "open", id, sizeof id);
    assert_string_equal(id, "AL-1");
    RUN(h, 0, "alert", "list", "--kind", "milestone_overdue");
    stdout_is("0 alerts\n");

    /* recovery: the monitor resolves it */
    RUN(h, 0, "metric", "record", "K-1", "--value", "96");
    stdout_is("K-1 recorded 96: ok; control A.8.8: effective\n");
    RUN(h, 0, "alert", "list", "--kind", "metric_breach");
    stdout_is("0 alerts\n");
    breach_alert(h, "resolved", id, sizeof id);
    assert_string_equal(id, "AL-1");
    RUN(h, 0, "--json", "alert", "list", "--state", "resolved", "--kind", "metric_breach");
    stdout_has("\"resolved_by\":\t\"monitor\"");

    /* breached again: a new alert, acknowledged then resolved by a person */
    RUN(h, 0, "metric", "record", "K-1", "--value", "60");
    breach_alert(h, "open", id, sizeof id);
    assert_string_not_equal(id, "AL-1");
    RUN(h, 0, "alert", "ack", id, "--comment", "patch run scheduled");
    snprintf(want, sizeof want, "%s acknowledged by local-admin\n", id);
    stdout_is(want);
    RUN(h, 0, "alert", "list", "--state", "open", "--kind", "metric_breach");
    stdout_is("0 alerts\n");
    breach_alert(h, "acknowledged", id, sizeof id);
    RUN(h, 4, "alert", "ack", id);
    snprintf(want, sizeof want, "riskline: conflict: state: alert %s is acknowledged; acknowledge needs open", id);
    stderr_has(want);
    RUN(h, 0, "alert", "resolve", id);
    snprintf(want, sizeof want, "%s resolved by local-admin\n", id);
    stdout_is(want);
    RUN(h, 4, "alert", "resolve", id);
    snprintf(want, sizeof want, "riskline: conflict: state: alert %s is resolved", id);
    stderr_has(want);
    RUN(h, 0, "--json", "alert", "list", "--state", "resolved", "--kind", "metric_breach", "--limit", "1");
    snprintf(want, sizeof want, "\"id\":\t\"%s\"", id); /* the latest resolved first */
    stdout_has(want);
    stdout_has("\"resolved_by\":\t\"local-admin\"");
    RUN(h, 2, "alert", "ack", "AL-99");
    stderr_has("riskline: not_found: id: no alert AL-99 in tenant default");

    /* the sweep on demand */
    RUN(h, 0, "monitor", "sweep");
    assert_int_equal(strncmp(res.out, "sweep done at 20", 16), 0);
}

/* --- usage errors: exit 1 naming the option, nothing sent --- */

/* `metric define` with valid options except `opt`: given value val (added when not among them),
 * or left out when val is NULL; must exit 1 with `want` on stderr. */
static void define_bad(harness_t *h, const char *opt, const char *val, const char *want)
{
    static const char *const base[][2] = {
        {"--name", "n"},     {"--control", "A.8.8"}, {"--frequency-days", "30"}, {"--target", "95"},
        {"--warning", "90"}, {"--breach", "80"},     {"--direction", "higher"},  {"--owner", "o"},
    };
    const char *args[32] = {"metric", "define"};
    size_t n = 2;
    int found = 0;
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
        const char *v = base[i][1];
        if (!strcmp(base[i][0], opt)) {
            found = 1;
            v = val;
        }
        if (v) {
            args[n++] = base[i][0];
            args[n++] = v;
        }
    }
    if (!found) {
        args[n++] = opt;
        args[n++] = val;
    }
    args[n] = NULL;
    cli(h, 1, args);
    stderr_has(want);
}

static void test_bad_options(void **state)
{
    harness_t *h = *state;
    define_bad(h, "--owner", NULL, "riskline: usage: missing required option --owner");
    define_bad(h, "--control", NULL, "riskline: usage: missing --control or --risk");
    define_bad(h, "--risk", "R-1", "riskline: usage: --risk: a metric measures one control or one risk, not both");
    define_bad(h, "--target", "95%", "riskline: usage: --target: '95%' is not a number");
    define_bad(h, "--warning", "nan", "riskline: usage: --warning: 'nan' is not a number");
    define_bad(h, "--breach", "1e999", "riskline: usage: --breach: '1e999' is not a number");
    define_bad(h, "--direction", "up", "riskline: usage: --direction: expected higher or lower, got 'up'");
    define_bad(h, "--frequency-days", "0", "riskline: usage: --frequency-days: must be 1..366, got 0");
    define_bad(h, "--frequency-days", "weekly", "riskline: usage: --frequency-days:");
    define_bad(h, "--weight", "101", "riskline: usage: --weight: must be 1..100, got 101");
    define_bad(h, "--colour", "red", "riskline: usage: --colour");
    RUN(h, 1, "metric", "record", "K-1");
    stderr_has("riskline: usage: missing required option --value");
    RUN(h, 1, "metric", "record", "--value", "3");
    stderr_has("riskline: usage: missing argument ID");
    RUN(h, 1, "metric", "record", "R-1", "--value", "3");
    stderr_has("riskline: usage: ID: 'R-1' is not a metric id like K-1");
    RUN(h, 1, "metric", "record", "K-1", "--value", "3", "--at", "yesterday");
    stderr_has("riskline: usage: --at: 'yesterday' is not a timestamp like 2026-11-26T10:00:00Z");
    RUN(h, 1, "metric", "record", "K-1", "K-2", "--value", "3");
    stderr_has("riskline: usage: unexpected argument 'K-2'");
    RUN(h, 1, "metric", "show");
    stderr_has("riskline: usage: missing argument ID");
    RUN(h, 1, "metric", "list", "--owner", "x");
    stderr_has("--owner");
    RUN(h, 1, "metric", "measure");
    stderr_has("riskline: usage: unknown metric subcommand 'measure'");
    RUN(h, 1, "alert", "list", "--state", "closed");
    stderr_has("riskline: usage: --state: expected open, acknowledged or resolved, got 'closed'");
    RUN(h, 1, "alert", "list", "--limit", "0");
    stderr_has("riskline: usage: --limit: must be 1..500, got 0");
    RUN(h, 1, "alert", "list", "--limit", "501");
    stderr_has("riskline: usage: --limit: must be 1..500, got 501");
    RUN(h, 1, "alert", "list", "--kind", "Metric Breach");
    stderr_has("riskline: usage: --kind: 'Metric Breach' is not an alert kind");
    RUN(h, 1, "alert", "ack", "K-1");
    stderr_has("riskline: usage: ID: 'K-1' is not an alert id like AL-1");
    RUN(h, 1, "alert", "resolve");
    stderr_has("riskline: usage: missing argument ID");
    RUN(h, 1, "alert", "resolve", "AL-1", "--reason", "x");
    stderr_has("--reason");
    RUN(h, 1, "monitor", "sweep", "now");
    stderr_has("riskline: usage: unexpected argument 'now'");
    /* nothing reached the monitor */
    RUN(h, 0, "metric", "list");
    stdout_is("0 metrics\n");

    /* help everywhere */
    RUN(h, 0, "metric", "--help");
    stdout_has("define    define a metric");
    RUN(h, 0, "metric", "define", "--help");
    stdout_has("--direction DIR");
    RUN(h, 0, "metric", "record", "--help");
    RUN(h, 0, "metric", "list", "--help");
    RUN(h, 0, "metric", "show", "--help");
    RUN(h, 0, "alert", "--help");
    stdout_has("resolve   resolve an open or acknowledged alert");
    RUN(h, 0, "alert", "list", "--help");
    stdout_has("--state S");
    RUN(h, 0, "alert", "ack", "--help");
    RUN(h, 0, "alert", "resolve", "--help");
    RUN(h, 0, "monitor", "sweep", "--help");
    stdout_has("idempotent");
    RUN(h, 0, "--help");
    stdout_has("metric define|record|list|show");
    stdout_has("alert list|ack|resolve");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_metric_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alert_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
    };
    return cmocka_run_group_tests_name("monitor_metric_cli", tests, NULL, NULL);
}
