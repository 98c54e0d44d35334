/* test_integ_treatment_cli.c: the `riskline` treatment commands (plan, milestone, control, soa, accept) against the real register, treatment service and Redis: tables and details, --json, compare-and-set, segregation of duties through the CLI, usage errors (exit 1, nothing written), service refusals (2), conflicts (4), a service down (3). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "harness_msg.h"

#define SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* The last CLI run: its output stays readable until the next run. */
static harness_run_t last;

static int setup(void **state)
{
    harness_t *h = harness_new();
    if (harness_treatment_start(h) != 0) {
        harness_destroy(&h);
        fail_msg("riskline-treatment did not start");
    }
    harness_issue_key(h, "tom", "treatment_owner", "default");
    harness_issue_key(h, "ann", "approver", "default");
    harness_issue_key(h, "rob", "risk_owner", "default");
    *state = h;
    return 0;
}

static int teardown(void **state)
{
    harness_t *h = *state;
    harness_run_free(&last);
    int st = harness_treatment_stop(h);
    harness_destroy(&h);
    return st == 0 ? 0 : -1;
}

/* Runs the CLI as `who` (its key in keys_dir; NULL = the local admin) and wants exit status `want`. */
static void run_as(harness_t *h, const char *who, int want, const char *const *argv)
{
    harness_cli_as(h, who, want, argv, &last);
}
#define RUN(h, who, want, ...) run_as(h, who, want, (const char *const[]){__VA_ARGS__, NULL})

static void out_has(const char *s)
{
    if (!strstr(last.out, s))
        fail_msg("stdout lacks \"%s\":\n%s", s, last.out);
}

static void out_lacks(const char *s)
{
    if (strstr(last.out, s))
        fail_msg("stdout has \"%s\":\n%s", s, last.out);
}

static void err_has(const char *s)
{
    if (!strstr(last.err, s))
        fail_msg("stderr lacks \"%s\":\n%s", s, last.err);
}

/* A detail line "key:<padding to column 20>value". */
static void kv_is(const char *k, const char *v)
{
    char line[300];
    snprintf(line, sizeof line, "%s:", k);
    snprintf(line + strlen(line), sizeof line - strlen(line), "%*s%s\n", (int)(20 - strlen(line)), "", v);
    for (const char *p = last.out; (p = strstr(p, line)) != NULL; p++)
        if (p == last.out || p[-1] == '\n')
            return;
    fail_msg("stdout lacks the line \"%s\":\n%s", line, last.out);
}

/* A line that starts with `first` and then holds each further word in order (table rows). */
static void row_has(const char *first, ...)
{
    size_t flen = strlen(first);
    for (const char *p = last.out; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len >= flen && strncmp(p, first, flen) == 0 && (p[flen] == ' ' || len == flen)) {
            char row[1000];
            snprintf(row, sizeof row, "%.*s", (int)len, p);
            const char *at = row + flen;
            va_list ap;
            va_start(ap, first);
            const char *w;
            while ((w = va_arg(ap, const char *)) != NULL && (at = strstr(at, w)) != NULL)
                at += strlen(w);
            va_end(ap);
            if (at)
                return;
        }
        p = nl ? nl + 1 : NULL;
    }
    fail_msg("stdout has no row starting \"%s\" with the expected cells:\n%s", first, last.out);
}

static cJSON *json_out(void)
{
    return harness_json(&last, 0);
}

static const cJSON *jobj(const cJSON *j, const char *name)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, name);
    if (!o)
        fail_msg("JSON has no \"%s\"", name);
    return o;
}

/* --- the lifecycle of one plan through the CLI, by its real actors --- */

static void test_lifecycle(void **state)
{
    harness_t *h = *state;
    char start[16], target[16], due1[16], due2[16], today[16], line[200];
    harness_date_in(1, start);
    harness_date_in(60, target);
    harness_date_in(10, due1);
    harness_date_in(20, due2);
    harness_date_in(0, today);

    RUN(h, NULL, 0, "risk", "add", "--title", "Ransomware on file servers", "--owner", "rob", "--likelihood", "4",
        "--impact", "5");
    RUN(h, "tom", 0, "plan", "create", "--risk", "R-1", "--title", "Harden the file servers", "--option", "modify",
        "--owner", "tom", "--approver", "ann", "--rationale", "cut the likelihood", "--control", "A.8.7",
        "--control", "A.8.13:in_progress", "--budget", "1250.50", "--currency", "eur", "--start", start, "--target",
        target, "--residual-likelihood", "2", "--residual-impact", "3", "--tool", "EDR", "--tool", "backup vault",
        "--effort-days", "12", "--person", "Ann Lee:engineer:40", "--person", "Bo:analyst:8");
    assert_string_equal(last.out, "TP-1 created: version 1, state draft\n");

    RUN(h, "tom", 0, "plan", "show", "TP-1");
    kv_is("id", "TP-1");
    kv_is("risk", "R-1");
    kv_is("option", "reduce"); /* ISO 27005 "modify" */
    kv_is("state", "draft");
    kv_is("treatment owner", "tom");
    kv_is("approver", "ann");
    kv_is("start", start);
    kv_is("target", target);
    kv_is("expected residual", "likelihood 2 x impact 3 = 6");
    kv_is("budget", "1250.50 EUR");
    kv_is("spent", "0.00 EUR (0% of the budget)");
    kv_is("over budget", "no");
    kv_is("effort", "12 days");
    kv_is("tools", "EDR, backup vault");
    kv_is("approval", "-");
    row_has("CONTROL", "STATUS", "NOTES", NULL);
    row_has("A.8.7", "not_started", NULL);
    row_has("A.8.13", "in_progress", NULL);
    row_has("Ann Lee", "engineer", "40", "0", NULL);
    row_has("Bo", "analyst", "8", NULL);
    out_has("no milestones\n");

    /* milestones, M-2 after M-1 */
    RUN(h, "tom", 0, "milestone", "add", "TP-1", "--title", "Patch baseline", "--owner", "tom", "--due", due1);
    snprintf(line, sizeof line, "TP-1 M-1 added: pending, due %s, plan version 2, progress 0%%\n", due1);
    assert_string_equal(last.out, line);
    RUN(h, "tom", 0, "milestone", "add", "TP-1", "--title", "Restore drill", "--owner", "tom", "--due", due2,
        "--depends", "M-1");
    out_has("TP-1 M-2 added: pending");
    RUN(h, "tom", 0, "milestone", "list", "TP-1");
    row_has("ID", "TITLE", "OWNER", "DUE", "STATUS", "DEPENDS", "EVIDENCE", "COMPLETED", NULL);
    row_has("M-1", "Patch baseline", "tom", due1, "pending", "-", "0", "-", NULL);
    row_has("M-2", "Restore drill", "tom", due2, "pending", "M-1", "0", "-", NULL);
    out_has("2 milestones, progress 0%\n");
    /* not before what it depends on: a conflict, nothing written */
    RUN(h, "tom", 4, "milestone", "done", "TP-1", "M-2");
    err_has("M-1");

    /* the workflow: the owner cannot approve his own plan; the approver can */
    RUN(h, "tom", 0, "plan", "submit", "TP-1", "--comment", "ready for review");
    assert_string_equal(last.out, "TP-1 submitted: version 4, state submitted, progress 0%\n");
    RUN(h, "tom", 2, "plan", "approve", "TP-1");
    err_has("riskline: forbidden:");
    RUN(h, "ann", 0, "plan", "approve", "TP-1", "--comment", "proportionate");
    out_has("TP-1 approved: version 5, state approved");
    RUN(h, "tom", 0, "plan", "start", "TP-1");
    out_has("TP-1 started: version 6, state in_progress");

    /* evidence, then M-1 done */
    RUN(h, "tom", 0, "milestone", "update", "TP-1", "M-1", "--evidence", "https://docs.example/patch-report.pdf",
        "--sha256", SHA);
    out_has("TP-1 M-1 updated: pending");
    RUN(h, "tom", 0, "milestone", "start", "TP-1", "M-1");
    out_has("TP-1 M-1 started: in_progress");
    RUN(h, "tom", 0, "milestone", "done", "TP-1", "M-1");
    out_has("TP-1 M-1 done: done");
    out_has("progress 50%\n");

    /* costs: spent and the derived over-budget state */
    RUN(h, "tom", 0, "plan", "cost", "add", "TP-1", "--amount", "300.25", "--date", today, "--note", "EDR licences");
    assert_string_equal(last.out, "TP-1 cost recorded: 300.25 EUR, version 10, spent 300.25 EUR of 1250.50 EUR\n");
    RUN(h, "tom", 0, "plan", "cost", "add", "TP-1", "--amount", "1000", "--date", today);
    assert_string_equal(last.out,
                        "TP-1 cost recorded: 1000.00 EUR, version 11, spent 1300.25 EUR of 1250.50 EUR - OVER BUDGET\n");

    RUN(h, "tom", 0, "plan", "implement", "TP-1");
    out_has("state implemented");
    /* verification is the approver's, with a verdict and a result */
    RUN(h, "tom", 2, "plan", "verify", "TP-1", "--effective", "yes", "--comment", "restore test passed");
    err_has("riskline: forbidden:");
    RUN(h, "ann", 0, "plan", "verify", "TP-1", "--effective", "yes", "--comment", "restore test passed");
    out_has("TP-1 verified: version 13, state verified");
    /* close needs M-2 settled: waived with a reason */
    RUN(h, "tom", 2, "plan", "close", "TP-1");
    err_has("riskline: invalid_argument: waive: plan TP-1 has 1 milestone(s) neither done nor waived: M-2");
    RUN(h, "tom", 0, "plan", "close", "TP-1", "--waive", "M-2", "--waive-reason", "covered by the DR programme");
    out_has("TP-1 closed: version 14, state closed, progress 100%");

    RUN(h, "rob", 0, "plan", "show", "TP-1");
    kv_is("state", "closed");
    kv_is("progress", "100% (2 of 2 milestones done or waived)");
    kv_is("spent", "1300.25 EUR (104% of the budget)");
    kv_is("over budget", "yes");
    kv_is("result", "restore test passed");
    kv_is("approval comment", "proportionate");
    out_has("by ann at ");
    out_has("effective, by ann at ");
    row_has("DATE", "AMOUNT", "NOTE", "RECORDED BY", NULL);
    row_has(today, "300.25", "EDR licences", "tom", NULL);
    row_has(today, "1000.00", "-", "tom", NULL);
    row_has("M-1", "done", "1", "by tom", NULL);
    row_has("M-2", "waived", NULL);
    out_has("M-1 evidence: https://docs.example/patch-report.pdf sha256:" SHA " (");
    out_has("M-2 waived: covered by the DR programme\n");

    /* the table of plans and the history */
    RUN(h, "rob", 0, "plan", "list", "--risk", "R-1");
    row_has("ID", "RISK", "TITLE", "OPTION", "OWNER", "STATE", "PROGRESS", "TARGET", NULL);
    row_has("TP-1", "R-1", "Harden the file servers", "reduce", "tom", "closed", "100%", target, NULL);
    out_has("1 plan\n");
    RUN(h, "rob", 0, "plan", "list", "--state", "draft");
    assert_string_equal(last.out, "0 plans\n");
    RUN(h, "rob", 0, "plan", "history", "TP-1");
    out_has("  tom  plan.created  version 1\n");
    out_has("  ann  plan.approve  version 5\n");
    out_has("  comment: proportionate\n");
    out_has("  tom  plan.close  version 14\n");

    /* --json: the reply body */
    RUN(h, "rob", 0, "--json", "plan", "show", "TP-1");
    cJSON *j = json_out();
    const cJSON *p = jobj(j, "plan");
    assert_string_equal(harness_jstr(p, "state"), "closed");
    assert_string_equal(harness_jstr(p, "option"), "reduce");
    const cJSON *res = jobj(p, "resources");
    assert_int_equal((int)harness_jnum(res, "spent_minor"), 130025);
    assert_true(harness_jbool(res, "over_budget"));
    assert_int_equal((int)harness_jnum(jobj(res, "budget"), "amount_minor"), 125050);
    assert_string_equal(harness_jstr(jobj(res, "budget"), "currency"), "EUR");
    assert_int_equal(cJSON_GetArraySize(jobj(p, "milestones")), 2);
    cJSON_Delete(j);
    RUN(h, "rob", 0, "milestone", "list", "TP-1", "--json");
    j = json_out();
    assert_string_equal(harness_jstr(j, "plan_id"), "TP-1");
    assert_int_equal((int)harness_jnum(j, "progress_pct"), 100);
    const cJSON *ms = jobj(j, "milestones");
    assert_int_equal(cJSON_GetArraySize(ms), 2);
    assert_string_equal(harness_jstr(cJSON_GetArrayItem(ms, 1), "status"), "waived");
    cJSON_Delete(j);
    RUN(h, "rob", 0, "--json", "plan", "list");
    j = json_out();
    assert_int_equal(cJSON_GetArraySize(jobj(j, "plans")), 1);
    cJSON_Delete(j);

    /* closed: no more changes */
    RUN(h, "tom", 4, "plan", "update", "TP-1", "--title", "Too late");
    err_has("riskline: conflict: state");
}

/* --- update: masks, partial pairs, clearing, compare-and-set, outdated approvals --- */

static void test_update(void **state)
{
    harness_t *h = *state;
    char target[16], later[16];
    harness_date_in(30, target);
    harness_date_in(90, later);
    RUN(h, NULL, 0, "risk", "add", "--title", "Supplier outage", "--owner", "rob", "--likelihood", "3", "--impact",
        "3");
    RUN(h, NULL, 0, "plan", "create", "--risk", "R-1", "--title", "Second supplier", "--option", "share", "--owner",
        "tom", "--approver", "ann", "--transfer-party", "Backup Co", "--budget", "100", "--currency", "EUR",
        "--residual-likelihood", "2", "--residual-impact", "2", "--tool", "contract db", "--control", "A.5.19",
        "--target", target);
    out_has("TP-1 created: version 1, state draft");

    /* without --version the plan is read first */
    RUN(h, "tom", 0, "plan", "update", "TP-1", "--title", "Second supplier, contracted");
    assert_string_equal(last.out, "TP-1 updated: version 2, state draft\n");
    /* a stale version: conflict, exit 4 */
    RUN(h, "tom", 4, "plan", "update", "TP-1", "--version", "1", "--title", "Stale");
    err_has("riskline: conflict: expected_version:");
    /* one half of a pair keeps the other; --budget alone keeps the currency */
    RUN(h, "tom", 0, "--json", "plan", "update", "TP-1", "--residual-impact", "1", "--budget", "150.5");
    cJSON *j = json_out();
    const cJSON *p = jobj(j, "plan");
    assert_int_equal((int)harness_jnum(jobj(p, "expected_residual"), "likelihood"), 2);
    assert_int_equal((int)harness_jnum(jobj(p, "expected_residual"), "impact"), 1);
    const cJSON *b = jobj(jobj(p, "resources"), "budget");
    assert_int_equal((int)harness_jnum(b, "amount_minor"), 15050);
    assert_string_equal(harness_jstr(b, "currency"), "EUR");
    assert_string_equal(harness_jstr(p, "title"), "Second supplier, contracted");
    assert_string_equal(harness_jstr(p, "option"), "transfer");
    assert_string_equal(harness_jstr(p, "transfer_party"), "Backup Co");
    assert_int_equal((int)harness_jnum(p, "version"), 3);
    cJSON_Delete(j);
    /* clearing: a single '' empties a list; '' clears a text */
    RUN(h, "tom", 0, "--json", "plan", "update", "TP-1", "--tool", "", "--rationale", "", "--person", "Cy:lawyer:5");
    j = json_out();
    p = jobj(j, "plan");
    assert_int_equal(cJSON_GetArraySize(jobj(jobj(p, "resources"), "tools")), 0);
    assert_int_equal(cJSON_GetArraySize(jobj(jobj(p, "resources"), "personnel")), 1);
    assert_int_equal(cJSON_GetArraySize(jobj(p, "controls")), 1); /* untouched */
    cJSON_Delete(j);
    RUN(h, "tom", 0, "plan", "show", "TP-1");
    kv_is("tools", "-");
    kv_is("rationale", "-");
    kv_is("budget", "150.50 EUR");
    kv_is("transfer party", "Backup Co");
    row_has("Cy", "lawyer", "5", NULL);

    /* an approved plan changed materially: its approval is outdated, and says why */
    RUN(h, "tom", 0, "plan", "submit", "TP-1");
    RUN(h, "ann", 0, "plan", "approve", "TP-1");
    RUN(h, "tom", 0, "plan", "update", "TP-1", "--target", later);
    out_has("TP-1 updated: version 7, state submitted");
    out_has("approval outdated: ");
    out_has("(re-approval needed)\n");
    RUN(h, "tom", 0, "plan", "show", "TP-1");
    out_has(" - OUTDATED\n");
    out_has("outdated because:   ");

    /* nothing to update; a pair half with nothing to keep */
    RUN(h, "tom", 1, "plan", "update", "TP-1");
    err_has("nothing to update");
    RUN(h, NULL, 0, "plan", "create", "--risk", "R-1", "--title", "Accept it", "--option", "retain", "--owner", "tom",
        "--approver", "ann");
    out_has("TP-2 created");
    RUN(h, "tom", 1, "plan", "update", "TP-2", "--residual-likelihood", "3");
    err_has("riskline: usage: --residual-impact: required too: TP-2 has no expected residual");
    RUN(h, "tom", 1, "plan", "update", "TP-2", "--currency", "USD");
    err_has("riskline: usage: --budget: required too: TP-2 has no budget");
    RUN(h, "tom", 0, "plan", "show", "TP-2");
    kv_is("option", "accept");
    kv_is("version", "1");

    /* hold and resume, cancel with a reason */
    RUN(h, "tom", 0, "plan", "hold", "TP-2", "--comment", "waiting for the board");
    out_has("TP-2 put on hold: version 2, state on_hold");
    RUN(h, "tom", 0, "plan", "show", "TP-2");
    kv_is("state", "on_hold (from draft)");
    RUN(h, "tom", 0, "plan", "resume", "TP-2");
    out_has("state draft");
    RUN(h, "tom", 2, "plan", "cancel", "TP-2");
    err_has("comment");
    RUN(h, "tom", 0, "plan", "cancel", "TP-2", "--comment", "superseded by TP-1", "--version", "3");
    out_has("TP-2 cancelled: version 4, state cancelled");
    RUN(h, "tom", 0, "plan", "list", "--state", "cancelled");
    row_has("TP-2", "R-1", "Accept it", "accept", "tom", "cancelled", "0%", "-", NULL);
}

/* --- controls, the SoA and risk acceptance --- */

static void test_controls_soa_accept(void **state)
{
    harness_t *h = *state;
    RUN(h, "rob", 0, "control", "list");
    row_has("ID", "THEME", "TYPE", "TITLE", NULL);
    row_has("A.5.1", "organizational", "-", "Policies for information security", NULL);
    row_has("A.8.34", "technological", NULL);
    out_has("\n93 controls\n");
    RUN(h, "rob", 0, "control", "list", "--theme", "people");
    out_has("\n8 controls\n");
    out_lacks("A.5.1 ");
    RUN(h, NULL, 0, "control", "add", "--title", "Quarterly phishing drill", "--type", "training", "--theme", "people",
        "--description", "every quarter, all staff");
    assert_string_equal(last.out, "C-1 added: Quarterly phishing drill\n");
    RUN(h, "rob", 0, "control", "list", "--custom");
    row_has("C-1", "people", "training", "Quarterly phishing drill", NULL);
    assert_non_null(strstr(last.out, "\n1 control\n"));
    RUN(h, "rob", 0, "control", "show", "C-1");
    kv_is("id", "C-1");
    kv_is("type", "training");
    kv_is("catalogue", "own control");
    kv_is("description", "every quarter, all staff");
    RUN(h, "rob", 0, "control", "show", "5.1");
    kv_is("id", "A.5.1");
    kv_is("theme", "organizational");
    kv_is("catalogue", "ISO/IEC 27001:2022 Annex A");
    RUN(h, "rob", 2, "control", "show", "A.9.1");
    err_has("riskline: not_found: id:");
    RUN(h, "rob", 0, "--json", "control", "show", "A.8.7");
    cJSON *j = json_out();
    assert_string_equal(harness_jstr(cJSON_GetArrayItem(jobj(j, "controls"), 0), "id"), "A.8.7");
    cJSON_Delete(j);

    /* the SoA: exclusions with their reason, selections with their risks and plans */
    RUN(h, NULL, 0, "soa", "exclude", "A.7.4", "--reason", "no premises of our own");
    assert_string_equal(last.out, "A.7.4 excluded: not applicable (no premises of our own)\n");
    RUN(h, "rob", 0, "soa", "show", "--theme", "physical");
    row_has("CONTROL", "TITLE", "APPLICABLE", "STATUS", "JUSTIFICATION", NULL);
    row_has("A.7.4", "no", "-", "no premises of our own", NULL);
    out_has("14 controls: 0 applicable (0 verified, 0 implemented, 0 in progress, 0 not started), 14 not applicable\n");

    RUN(h, NULL, 0, "risk", "add", "--title", "Phishing", "--owner", "rob", "--likelihood", "3", "--impact", "3");
    RUN(h, NULL, 0, "plan", "create", "--risk", "R-1", "--title", "Awareness", "--option", "reduce", "--owner",
        "tom", "--approver", "ann", "--control", "A.8.7:in_progress", "--control", "C-1");
    RUN(h, "rob", 0, "soa", "show");
    row_has("A.8.7", "yes", "in_progress", "risks R-1; plans TP-1", NULL);
    row_has("C-1", "Quarterly phishing drill", "yes", "not_started", "risks R-1; plans TP-1", NULL);
    row_has("A.5.1", "no", "-", "not selected by any treatment plan", NULL);
    out_has("94 controls: 2 applicable (0 verified, 0 implemented, 1 in progress, 1 not started), 92 not applicable\n");
    RUN(h, "rob", 0, "soa", "show", "--status", "in_progress");
    row_has("A.8.7", "yes", NULL);
    out_has("1 control: 1 applicable");
    /* a selected control stays applicable, and the CLI says so */
    RUN(h, NULL, 0, "soa", "exclude", "8.7", "--reason", "covered elsewhere");
    out_has("A.8.7 excluded: applicable (risks R-1; plans TP-1)\n");
    out_has("note: the control stays applicable");
    RUN(h, NULL, 0, "soa", "include", "A.7.4");
    assert_string_equal(last.out, "A.7.4 included: not applicable (not selected by any treatment plan)\n");
    RUN(h, "rob", 0, "--json", "soa", "show");
    j = json_out();
    assert_int_equal(cJSON_GetArraySize(jobj(j, "entries")), 94);
    cJSON_Delete(j);

    /* acceptance by the risk owner only, with an expiry */
    char expires[16], line[120];
    harness_date_in(180, expires);
    RUN(h, NULL, 0, "risk", "add", "--title", "Printer jams", "--owner", "rob", "--likelihood", "1", "--impact", "2");
    RUN(h, "tom", 2, "accept", "R-2", "--justification", "negligible", "--expires", expires);
    err_has("riskline: forbidden:"); /* not a role that accepts risks */
    RUN(h, "ann", 2, "accept", "R-2", "--justification", "negligible", "--expires", expires);
    err_has("riskline: forbidden: accepted_by:"); /* not the risk owner */
    RUN(h, "rob", 0, "accept", "R-2", "--justification", "negligible", "--expires", expires);
    snprintf(line, sizeof line, "R-2 accepted by rob until %s: score 2\n", expires);
    assert_string_equal(last.out, line);
    RUN(h, "rob", 0, "--json", "accept", "R-2", "--justification", "still negligible", "--expires", expires);
    j = json_out();
    assert_string_equal(harness_jstr(jobj(j, "acceptance"), "accepted_by"), "rob");
    assert_false(harness_jbool(jobj(j, "acceptance"), "above_appetite"));
    cJSON_Delete(j);
}

/* --- bad input: usage errors name the option and write nothing; the service's refusals too --- */

static void test_bad_input(void **state)
{
    harness_t *h = *state;
    char due[16];
    harness_date_in(10, due);
    RUN(h, NULL, 0, "risk", "add", "--title", "Data leak", "--owner", "rob", "--likelihood", "2", "--impact", "2");
    RUN(h, NULL, 0, "plan", "create", "--risk", "R-1", "--title", "DLP", "--option", "reduce", "--owner", "tom",
        "--approver", "ann");
    RUN(h, NULL, 0, "milestone", "add", "TP-1", "--title", "Rules", "--owner", "tom", "--due", due);
    /* the register follows the new plan on its own time (the risk's plans): not a refused input's doing */
    assert_int_equal(harness_settle(h, "default", 20000), 0);
    harness_snapshot_t *before = harness_snapshot(h);

#define CREATE "plan", "create", "--risk", "R-1", "--title", "T", "--option", "reduce", "--owner", "tom"
    static const struct {
        const char *argv[24];
        const char *err;
    } usage[] = {
        {{CREATE, NULL}, "missing required option --approver"},
        {{CREATE, "--approver", "ann", "--option", "x", NULL}, "--option: given more than once"},
        {{"plan", "create", "--risk", "R-1", "--title", "T", "--option", "remove", "--owner", "o", "--approver", "a",
          NULL},
         "--option: expected avoid"},
        {{CREATE, "--approver", "ann", "--budget", "1.234", "--currency", "EUR", NULL}, "--budget: expected an amount"},
        {{CREATE, "--approver", "ann", "--budget", "92233720368547758.08", "--currency", "EUR", NULL},
         "--budget: amount '92233720368547758.08' is too large"},
        {{CREATE, "--approver", "ann", "--budget", "-5", "--currency", "EUR", NULL}, "--budget: expected"},
        {{CREATE, "--approver", "ann", "--budget", "10", NULL}, "--currency: required with --budget"},
        {{CREATE, "--approver", "ann", "--budget", "10", "--currency", "EURO", NULL}, "--currency: expected an ISO 4217"},
        {{CREATE, "--approver", "ann", "--control", "A.5.1:verified", NULL}, "--control: expected a control id"},
        {{CREATE, "--approver", "ann", "--control", "", NULL}, "--control: expected"},
        {{CREATE, "--approver", "ann", "--person", "Ann:engineer", NULL}, "--person: expected NAME:ROLE:PLANNED_HOURS"},
        {{CREATE, "--approver", "ann", "--person", "Ann:engineer:lots", NULL}, "--person:"},
        {{CREATE, "--approver", "ann", "--start", "2025-13-01", NULL}, "--start: expected a date"},
        {{CREATE, "--approver", "ann", "--residual-likelihood", "2", NULL},
         "--residual-impact: required with --residual-likelihood"},
        {{CREATE, "--approver", "ann", "--effort-days", "-1", NULL}, "--effort-days: expected a whole number"},
        {{CREATE, "--approver", "ann", "--version", "1", NULL}, "unknown option '--version'"},
        {{"plan", "update", "TP-1", "--risk", "R-2", NULL}, "unknown option '--risk'"},
        {{"plan", "update", "TP-1", "--version", "x", "--title", "T", NULL}, "--version: expected a whole number"},
        {{"plan", "update", "TP-1", "--budget", "", "--currency", "EUR", NULL}, "--currency: cannot go with --budget ''"},
        {{"plan", "show", NULL}, "missing argument ID"},
        {{"plan", "show", "TP-1", "TP-2", NULL}, "unexpected argument 'TP-2'"},
        {{"plan", "list", "--state", "open", NULL}, "--state: expected draft, submitted"},
        {{"plan", "list", "--limit", "ten", NULL}, "--limit:"},
        {{"plan", "verify", "TP-1", "--comment", "ok", NULL}, "--effective: required"},
        {{"plan", "verify", "TP-1", "--effective", "maybe", NULL}, "--effective: expected yes or no"},
        {{"plan", "submit", "TP-1", "--effective", "yes", NULL}, "unknown option '--effective'"},
        {{"plan", "close", "TP-1", "--waive", "M-1", NULL}, "--waive-reason: required with --waive"},
        {{"plan", "close", "TP-1", "--waive-reason", "r", NULL}, "--waive: required with --waive-reason"},
        {{"plan", "close", "TP-1", "--waive", "M-1,,M-2", "--waive-reason", "r", NULL}, "--waive: expected ids"},
        {{"plan", "close", "TP-1", "--accept-justification", "j", NULL},
         "--accept-expires: required with --accept-justification"},
        {{"plan", "close", "TP-1", "--accept-justification", "j", "--accept-expires", "soon", NULL},
         "--accept-expires: expected a date"},
        {{"plan", "cost", "add", "TP-1", "--amount", "5", NULL}, "missing required option --date"},
        {{"plan", "cost", "add", "TP-1", "--amount", "1e3", "--date", "2025-01-01", NULL}, "--amount: expected"},
        {{"plan", "cost", "TP-1", "--amount", "5", "--date", "2025-01-01", NULL}, "unknown cost subcommand 'TP-1'"},
        {{"plan", "cost", "add", NULL}, "missing argument ID"},
        {{"plan", "frobnicate", "TP-1", NULL}, "unknown plan subcommand 'frobnicate'"},
        {{"milestone", "add", "TP-1", "--title", "t", "--owner", "o", "--due", "2025-02-30", NULL},
         "--due: expected a date"},
        {{"milestone", "add", "TP-1", "--title", "t", "--owner", "o", NULL}, "missing required option --due"},
        {{"milestone", "add", "TP-1", "--title", "t", "--owner", "o", "--due", "2030-01-01", "--depends", "M 1", NULL},
         "--depends: expected ids"},
        {{"milestone", "update", "TP-1", "M-1", NULL}, "nothing to update"},
        {{"milestone", "update", "TP-1", "M-1", "--sha256", SHA, NULL}, "--evidence: required with --sha256"},
        {{"milestone", "update", "TP-1", "M-1", "--evidence", "x", "--sha256", "abc", NULL}, "--sha256: expected 64"},
        {{"milestone", "done", "TP-1", "M-1", "--reason", "r", NULL}, "unknown option '--reason'"},
        {{"milestone", "done", "TP-1", NULL}, "missing argument PLAN M-ID"},
        {{"control", "list", "--theme", "space", NULL}, "--theme: expected organizational"},
        {{"control", "add", "--title", "t", "--type", "gadget", NULL}, "--type: expected technical"},
        {{"control", "add", "--type", "policy", NULL}, "missing required option --title"},
        {{"soa", "show", "--status", "done", NULL}, "--status: expected not_started"},
        {{"soa", "exclude", "A.5.1", NULL}, "missing required option --reason"},
        {{"soa", "exclude", "A.5.1", "--reason", "", NULL}, "--reason: an exclusion needs its justification"},
        {{"accept", "R-1", "--justification", "j", "--expires", "tomorrow", NULL}, "--expires: expected a date"},
        {{"accept", "--justification", "j", "--expires", "2030-01-01", NULL}, "missing argument RISK"},
    };
#undef CREATE
    for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++) {
        run_as(h, NULL, 1, usage[i].argv);
        if (!strstr(last.err, usage[i].err))
            fail_msg("usage case %zu: stderr lacks \"%s\":\n%s", i, usage[i].err, last.err);
        assert_non_null(strstr(last.err, "riskline: usage: "));
        assert_int_equal(last.out_len, 0);
    }

    /* --help everywhere, exit 0 */
    static const char *const helps[][4] = {
        {"plan", "--help", NULL},          {"plan", "create", "--help", NULL}, {"plan", "cost", "--help", NULL},
        {"milestone", "--help", NULL},     {"milestone", "waive", "--help", NULL},
        {"control", "add", "--help", NULL}, {"soa", "--help", NULL},           {"accept", "--help", NULL},
    };
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
        run_as(h, NULL, 0, helps[i]);
        assert_non_null(strstr(last.out, "usage: riskline"));
    }
    RUN(h, NULL, 0, "--help");
    out_has("  plan create|show|list|update|history|submit|approve|reject|start|implement|verify|\n");
    out_has("  accept RISK ");

    /* the service's refusals: exit 2 with the field, nothing written */
    RUN(h, NULL, 2, "plan", "create", "--risk", "R-1", "--title", "T", "--option", "reduce", "--owner", "tom",
        "--approver", "ann", "--control", "A.9.9");
    err_has("riskline: invalid_argument: plan.controls[0].control_id:");
    RUN(h, NULL, 2, "plan", "create", "--risk", "R-1", "--title", "T", "--option", "reduce", "--owner", "tom",
        "--approver", "tom");
    err_has("riskline: invalid_argument: plan.approver");
    RUN(h, NULL, 2, "plan", "create", "--risk", "R-9", "--title", "T", "--option", "reduce", "--owner", "tom",
        "--approver", "ann");
    err_has("riskline: not_found: plan.risk_id");
    RUN(h, NULL, 2, "plan", "show", "TP-99");
    err_has("riskline: not_found:");
    RUN(h, NULL, 4, "plan", "cost", "add", "TP-1", "--amount", "5", "--date", "2025-01-01");
    err_has("riskline: conflict: resources.budget: plan TP-1 has no budget");
    RUN(h, NULL, 2, "milestone", "update", "TP-1", "M-9", "--title", "x");
    err_has("riskline: not_found: milestone_id:");
    RUN(h, "rob", 2, "control", "add", "--title", "x", "--type", "policy");
    err_has("riskline: forbidden:");
    harness_snapshot_t *after = harness_snapshot(h);
    char diff[512];
    if (!harness_snapshot_equal(before, after, diff, sizeof diff))
        fail_msg("refused input changed Redis: %s", diff);
    harness_snapshot_free(&before);
    harness_snapshot_free(&after);

    /* exit 3: the treatment service does not answer */
    char ep[80];
    snprintf(ep, sizeof ep, "RISKLINE_TREATMENT_ENDPOINT=tcp://127.0.0.1:%d", harness_free_port());
    const char *env[] = {ep, "RISKLINE_TIMEOUT_MS=300", "RISKLINE_RETRIES=0", NULL};
    const char *argv[] = {"plan", "list", NULL};
    harness_run_free(&last);
    harness_cli(h, env, argv, &last);
    if (last.status != 3)
        fail_msg("plan list against a dead endpoint: exit %d, want 3; stderr %s", last.status, last.err);
    err_has("unavailable");
    /* --endpoint overrides the treatment endpoint too */
    RUN(h, NULL, 0, "--endpoint", h->treatment_endpoint, "plan", "list");
    out_has("1 plan\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_controls_soa_accept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
    };
    return cmocka_run_group_tests_name("treatment_cli", tests, NULL, NULL);
}
