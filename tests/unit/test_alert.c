/* test_alert.c: alerts and schedule rules (services/monitor/alert.c): acknowledge and resolve with
 * who/when, refusals naming the state, auto-resolve, and each schedule rule at its day boundaries
 * with an injected today (milestones, plans, reviews, acceptances), active and cleared findings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../services/monitor/alert.h"
#include "rl_time.h"
#include "unit_arena.h"

#define AS(x) RISKLINE__V1__ALERT_STATE__ALERT_STATE_##x
#define SEV(x) RISKLINE__V1__SEVERITY__SEVERITY_##x
#define ST(x) RISKLINE__V1__PLAN_STATE__PLAN_STATE_##x
#define MS(x) RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_##x

#define NOW 1767225600000LL /* 2026-01-01T00:00:00Z */
#define DAY 86400000LL
#define MAXF 8

/* --- fixtures ---------------------------------------------------------------------------------- */

static int64_t day(const char *s)
{
    int64_t d = 0;
    assert_int_equal(rl_date_parse(s, &d), 0);
    return d;
}

static rl_principal_t principal(const char *name)
{
    rl_principal_t p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "%s", name);
    p.roles = RL_ROLE_RISK_OWNER | RL_ROLE_VIEWER;
    p.all_tenants = 1;
    return p;
}

/* An open alert AL-9 on milestone TP-3/M-2, raised a day before NOW. */
static alert_t alert_open(void)
{
    alert_t a;
    riskline__v1__alert__init(&a);
    a.id = "AL-9";
    a.kind = ALERT_MILESTONE_OVERDUE;
    a.severity = SEV(HIGH);
    a.subject = "TP-3/M-2";
    a.message = "milestone TP-3/M-2 was due 2025-12-30";
    a.state = AS(OPEN);
    a.raised_at_ms = NOW - DAY;
    a.version = 4;
    return a;
}

static alert_policy_t policy(void)
{
    alert_policy_t p;
    alert_policy_defaults(&p);
    return p;
}

/* Plan TP-3 (in progress, owner olivia, target 2026-06-30, budget 1000.00 EUR) with milestone M-2. */
typedef struct {
    Riskline__V1__Plan p;
    Riskline__V1__Resources res;
    Riskline__V1__Money budget;
    Riskline__V1__Milestone m;
    Riskline__V1__Milestone *mp[1];
} fx_t;

static void fx_init(fx_t *f)
{
    memset(f, 0, sizeof *f);
    riskline__v1__plan__init(&f->p);
    riskline__v1__resources__init(&f->res);
    riskline__v1__money__init(&f->budget);
    riskline__v1__milestone__init(&f->m);
    f->p.id = "TP-3";
    f->p.risk_id = "R-1";
    f->p.title = "Phishing-resistant MFA";
    f->p.treatment_owner = "olivia";
    f->p.approver = "adam";
    f->p.state = ST(IN_PROGRESS);
    f->p.start_date = "2025-10-01";
    f->p.target_date = "2026-06-30";
    f->budget.amount_minor = 100000;
    f->budget.currency = "EUR";
    f->res.budget = &f->budget;
    f->p.resources = &f->res;
    f->p.created_at_ms = NOW - 90 * DAY;
    f->p.updated_at_ms = NOW - DAY;
    f->p.progress_pct = 40;
    f->m.id = "M-2";
    f->m.title = "Roll out keys";
    f->m.owner = "peter";
    f->m.due_date = "2026-01-01";
    f->m.status = MS(PENDING);
    f->mp[0] = &f->m;
    f->p.milestones = f->mp;
    f->p.n_milestones = 1;
}

/* A finding as expected: kind, subject, severity, active and the exact message. */
static void expect_finding(const alert_finding_t *f, const char *kind, const char *subject,
                           Riskline__V1__Severity sev, int active, const char *message)
{
    if (strcmp(f->kind, kind) != 0 || strcmp(f->subject, subject) != 0 || f->severity != sev ||
        f->active != active || strcmp(f->message, message) != 0)
        fail_msg("expected %s %s sev %d %s \"%s\"\n     got %s %s sev %d %s \"%s\"", kind, subject, (int)sev,
                 active ? "active" : "inactive", message, f->kind, f->subject, (int)f->severity,
                 f->active ? "active" : "inactive", f->message);
}

static void expect_err(rl_err_t rc, const rl_error_t *err, rl_err_t code, const char *field, const char *message)
{
    if (rc != code || strcmp(err->field, field) != 0 || strcmp(err->message, message) != 0)
        fail_msg("expected %s on \"%s\": \"%s\", got %s on \"%s\": \"%s\"", rl_strerror(code), field, message,
                 rl_strerror(rc), err->field, err->message);
}

/* --- alert changes ----------------------------------------------------------------------------- */

static void test_policy_defaults(void **state)
{
    (void)state;
    alert_policy_t p;
    memset(&p, 0x7f, sizeof p);
    alert_policy_defaults(&p);
    assert_int_equal(p.due_soon_days, 7);
    assert_int_equal(p.acceptance_warn_days, 30);
    assert_int_equal(p.stalled_days, 30);
}

static void test_change_allowed(void **state)
{
    rl_arena_t *arena = *state;
    rl_principal_t alice = principal("alice"), bob = principal("bob");
    rl_error_t err;
    /* open -> acknowledged -> resolved, each recording who and when */
    alert_t a = alert_open();
    assert_int_equal(alert_change(&a, AS(ACKNOWLEDGED), &alice, NOW, arena, &err), RL_OK);
    assert_int_equal(a.state, AS(ACKNOWLEDGED));
    assert_string_equal(a.acknowledged_by, "alice");
    assert_int_equal(a.acknowledged_at_ms, NOW);
    assert_int_equal(a.resolved_at_ms, 0);
    assert_string_equal(a.resolved_by, "");
    assert_int_equal(alert_change(&a, AS(RESOLVED), &bob, NOW + 5, arena, &err), RL_OK);
    assert_int_equal(a.state, AS(RESOLVED));
    assert_string_equal(a.resolved_by, "bob");
    assert_int_equal(a.resolved_at_ms, NOW + 5);
    assert_string_equal(a.acknowledged_by, "alice"); /* kept */
    assert_int_equal(a.acknowledged_at_ms, NOW);
    /* the rest of the alert is untouched (the caller bumps the version) */
    assert_string_equal(a.kind, ALERT_MILESTONE_OVERDUE);
    assert_string_equal(a.subject, "TP-3/M-2");
    assert_int_equal(a.raised_at_ms, NOW - DAY);
    assert_int_equal(a.version, 4);
    /* open -> resolved directly, without acknowledgement */
    a = alert_open();
    assert_int_equal(alert_change(&a, AS(RESOLVED), &bob, NOW, arena, &err), RL_OK);
    assert_int_equal(a.state, AS(RESOLVED));
    assert_string_equal(a.resolved_by, "bob");
    assert_int_equal(a.resolved_at_ms, NOW);
    assert_int_equal(a.acknowledged_at_ms, 0);
    /* the name is a copy: the principal may go away */
    a = alert_open();
    rl_principal_t tmp = principal("carol");
    assert_int_equal(alert_change(&a, AS(ACKNOWLEDGED), &tmp, NOW, arena, &err), RL_OK);
    memset(&tmp, 0, sizeof tmp);
    assert_string_equal(a.acknowledged_by, "carol");
}

static void test_change_refused(void **state)
{
    rl_arena_t *arena = *state;
    rl_principal_t alice = principal("alice");
    rl_error_t err;
    alert_t a = alert_open();
    /* acknowledge needs open */
    a.state = AS(ACKNOWLEDGED);
    a.acknowledged_by = "bob";
    a.acknowledged_at_ms = NOW - 10;
    expect_err(alert_change(&a, AS(ACKNOWLEDGED), &alice, NOW, arena, &err), &err, RL_ERR_CONFLICT, "state",
               "alert AL-9 is acknowledged; acknowledge needs open");
    assert_string_equal(a.acknowledged_by, "bob"); /* nothing changed */
    assert_int_equal(a.acknowledged_at_ms, NOW - 10);
    a.state = AS(RESOLVED);
    a.resolved_by = "monitor";
    a.resolved_at_ms = NOW - 5;
    expect_err(alert_change(&a, AS(ACKNOWLEDGED), &alice, NOW, arena, &err), &err, RL_ERR_CONFLICT, "state",
               "alert AL-9 is resolved; acknowledge needs open");
    /* resolve needs open or acknowledged */
    expect_err(alert_change(&a, AS(RESOLVED), &alice, NOW, arena, &err), &err, RL_ERR_CONFLICT, "state",
               "alert AL-9 is resolved; resolve needs open or acknowledged");
    assert_int_equal(a.state, AS(RESOLVED));
    assert_string_equal(a.resolved_by, "monitor");
    assert_int_equal(a.resolved_at_ms, NOW - 5);
    /* an alert without a state is neither */
    a = alert_open();
    a.state = AS(UNSPECIFIED);
    expect_err(alert_change(&a, AS(ACKNOWLEDGED), &alice, NOW, arena, &err), &err, RL_ERR_CONFLICT, "state",
               "alert AL-9 is unspecified; acknowledge needs open");
    expect_err(alert_change(&a, AS(RESOLVED), &alice, NOW, arena, &err), &err, RL_ERR_CONFLICT, "state",
               "alert AL-9 is unspecified; resolve needs open or acknowledged");
    /* other target states are invalid, whatever the current state */
    static const Riskline__V1__AlertState from[] = {AS(OPEN), AS(ACKNOWLEDGED), AS(RESOLVED)};
    for (size_t i = 0; i < 3; i++) {
        a = alert_open();
        a.state = from[i];
        expect_err(alert_change(&a, AS(OPEN), &alice, NOW, arena, &err), &err, RL_ERR_INVALID, "state",
                   "must be acknowledged or resolved, got open");
        expect_err(alert_change(&a, AS(UNSPECIFIED), &alice, NOW, arena, &err), &err, RL_ERR_INVALID, "state",
                   "must be acknowledged or resolved, got unspecified");
        expect_err(alert_change(&a, (Riskline__V1__AlertState)99, &alice, NOW, arena, &err), &err, RL_ERR_INVALID,
                   "state", "must be acknowledged or resolved, got 99");
        assert_int_equal(a.state, from[i]);
        assert_int_equal(a.acknowledged_at_ms, 0);
        assert_int_equal(a.resolved_at_ms, 0);
    }
}

static void test_auto_resolve(void **state)
{
    (void)state;
    /* open: resolved by the monitor */
    alert_t a = alert_open();
    alert_auto_resolve(&a, NOW);
    assert_int_equal(a.state, AS(RESOLVED));
    assert_string_equal(a.resolved_by, "monitor");
    assert_int_equal(a.resolved_at_ms, NOW);
    /* idempotent: a second sweep changes nothing */
    alert_auto_resolve(&a, NOW + DAY);
    assert_int_equal(a.state, AS(RESOLVED));
    assert_string_equal(a.resolved_by, "monitor");
    assert_int_equal(a.resolved_at_ms, NOW);
    /* acknowledged: resolved too, the acknowledgement kept */
    a = alert_open();
    a.state = AS(ACKNOWLEDGED);
    a.acknowledged_by = "alice";
    a.acknowledged_at_ms = NOW - 10;
    alert_auto_resolve(&a, NOW);
    assert_int_equal(a.state, AS(RESOLVED));
    assert_string_equal(a.resolved_by, "monitor");
    assert_string_equal(a.acknowledged_by, "alice");
    assert_int_equal(a.acknowledged_at_ms, NOW - 10);
    /* resolved by a person: stays theirs */
    a = alert_open();
    a.state = AS(RESOLVED);
    a.resolved_by = "bob";
    a.resolved_at_ms = NOW - 3;
    alert_auto_resolve(&a, NOW);
    assert_string_equal(a.resolved_by, "bob");
    assert_int_equal(a.resolved_at_ms, NOW - 3);
}

/* --- milestones -------------------------------------------------------------------------------- */

static size_t milestone(fx_t *f, const char *due, int64_t today, const alert_policy_t *p, rl_arena_t *arena,
                        alert_finding_t *out)
{
    f->m.due_date = (char *)due;
    memset(out, 0, MAXF * sizeof *out);
    return alert_rule_milestone(&f->p, &f->m, today, p, arena, out, MAXF);
}

static void test_milestone_days(void **state)
{
    rl_arena_t *arena = *state;
    alert_policy_t p = policy();
    alert_finding_t out[MAXF];
    fx_t f;
    fx_init(&f);
    const int64_t today = day("2026-01-10");
    /* due yesterday: overdue (HIGH), not due soon */
    assert_int_equal(milestone(&f, "2026-01-09", today, &p, arena, out), 2);
    expect_finding(&out[0], ALERT_MILESTONE_OVERDUE, "TP-3/M-2", SEV(HIGH), 1,
                   "milestone TP-3/M-2 \"Roll out keys\" (owner peter) was due 2026-01-09: 1 day overdue");
    expect_finding(&out[1], ALERT_MILESTONE_DUE_SOON, "TP-3/M-2", SEV(MEDIUM), 0,
                   "milestone TP-3/M-2 was due 2026-01-09: overdue, no longer due soon");
    /* long overdue */
    milestone(&f, "2025-12-01", today, &p, arena, out);
    expect_finding(&out[0], ALERT_MILESTONE_OVERDUE, "TP-3/M-2", SEV(HIGH), 1,
                   "milestone TP-3/M-2 \"Roll out keys\" (owner peter) was due 2025-12-01: 40 days overdue");
    /* due today: due soon, not overdue */
    assert_int_equal(milestone(&f, "2026-01-10", today, &p, arena, out), 2);
    expect_finding(&out[0], ALERT_MILESTONE_OVERDUE, "TP-3/M-2", SEV(HIGH), 0,
                   "milestone TP-3/M-2 is due 2026-01-10, not overdue");
    expect_finding(&out[1], ALERT_MILESTONE_DUE_SOON, "TP-3/M-2", SEV(MEDIUM), 1,
                   "milestone TP-3/M-2 \"Roll out keys\" (owner peter) is due 2026-01-10, today");
    /* due tomorrow */
    milestone(&f, "2026-01-11", today, &p, arena, out);
    expect_finding(&out[1], ALERT_MILESTONE_DUE_SOON, "TP-3/M-2", SEV(MEDIUM), 1,
                   "milestone TP-3/M-2 \"Roll out keys\" (owner peter) is due 2026-01-11, in 1 day");
    /* due_soon_days (7) ahead: still due soon */
    milestone(&f, "2026-01-17", today, &p, arena, out);
    expect_finding(&out[0], ALERT_MILESTONE_OVERDUE, "TP-3/M-2", SEV(HIGH), 0,
                   "milestone TP-3/M-2 is due 2026-01-17, not overdue");
    expect_finding(&out[1], ALERT_MILESTONE_DUE_SOON, "TP-3/M-2", SEV(MEDIUM), 1,
                   "milestone TP-3/M-2 \"Roll out keys\" (owner peter) is due 2026-01-17, in 7 days");
    /* one more day: neither */
    assert_int_equal(milestone(&f, "2026-01-18", today, &p, arena, out), 2);
    expect_finding(&out[0], ALERT_MILESTONE_OVERDUE, "TP-3/M-2", SEV(HIGH), 0,
                   "milestone TP-3/M-2 is due 2026-01-18, not overdue");
    expect_finding(&out[1], ALERT_MILESTONE_DUE_SOON, "TP-3/M-2", SEV(MEDIUM), 0,
                   "milestone TP-3/M-2 is due 2026-01-18, more than 7 days ahead");
    /* the policy decides the window */
    p.due_soon_days = 0;
    milestone(&f, "2026-01-10", today, &p, arena, out);
    assert_true(out[1].active);
    milestone(&f, "2026-01-11", today, &p, arena, out);
    expect_finding(&out[1], ALERT_MILESTONE_DUE_SOON, "TP-3/M-2", SEV(MEDIUM), 0,
                   "milestone TP-3/M-2 is due 2026-01-11, more than 0 days ahead");
    p.due_soon_days = 30;
    milestone(&f, "2026-02-09", today, &p, arena, out);
    assert_true(out[1].active);
    milestone(&f, "2026-02-10", today, &p, arena, out);
    assert_false(out[1].active);
    /* across a year end and a leap day */
    p = policy();
    milestone(&f, "2028-02-29", day("2028-03-01"), &p, arena, out);
    expect_finding(&out[0], ALERT_MILESTONE_OVERDUE, "TP-3/M-2", SEV(HIGH), 1,
                   "milestone TP-3/M-2 \"Roll out keys\" (owner peter) was due 2028-02-29: 1 day overdue");
    milestone(&f, "2026-01-01", day("2025-12-25"), &p, arena, out);
    expect_finding(&out[1], ALERT_MILESTONE_DUE_SOON, "TP-3/M-2", SEV(MEDIUM), 1,
                   "milestone TP-3/M-2 \"Roll out keys\" (owner peter) is due 2026-01-01, in 7 days");
}

static void test_milestone_status(void **state)
{
    rl_arena_t *arena = *state;
    alert_policy_t p = policy();
    alert_finding_t out[MAXF];
    fx_t f;
    fx_init(&f);
    const int64_t today = day("2026-01-10");
    /* settled milestones never alert, overdue or due soon */
    static const struct { Riskline__V1__MilestoneStatus status; const char *name; } settled[] = {
        {MS(DONE), "done"}, {MS(WAIVED), "waived"}};
    static const char *const dues[] = {"2025-12-01", "2026-01-09", "2026-01-10", "2026-01-17"};
    char want[128];
    for (size_t i = 0; i < 2; i++)
        for (size_t d = 0; d < 4; d++) {
            f.m.status = settled[i].status;
            assert_int_equal(milestone(&f, dues[d], today, &p, arena, out), 2);
            snprintf(want, sizeof want, "milestone TP-3/M-2 is %s", settled[i].name);
            expect_finding(&out[0], ALERT_MILESTONE_OVERDUE, "TP-3/M-2", SEV(HIGH), 0, want);
            expect_finding(&out[1], ALERT_MILESTONE_DUE_SOON, "TP-3/M-2", SEV(MEDIUM), 0, want);
        }
    /* unsettled ones do: pending, in progress, missed (and a stored unspecified) */
    static const Riskline__V1__MilestoneStatus unsettled[] = {MS(PENDING), MS(IN_PROGRESS), MS(MISSED),
                                                              MS(UNSPECIFIED)};
    for (size_t i = 0; i < 4; i++) {
        f.m.status = unsettled[i];
        milestone(&f, "2026-01-09", today, &p, arena, out);
        assert_true(out[0].active);
        milestone(&f, "2026-01-12", today, &p, arena, out);
        assert_true(out[1].active);
    }
    /* no due date, or not a date: nothing to conclude, both cleared */
    f.m.status = MS(PENDING);
    milestone(&f, "", today, &p, arena, out);
    expect_finding(&out[0], ALERT_MILESTONE_OVERDUE, "TP-3/M-2", SEV(HIGH), 0, "milestone TP-3/M-2 has no due date");
    expect_finding(&out[1], ALERT_MILESTONE_DUE_SOON, "TP-3/M-2", SEV(MEDIUM), 0,
                   "milestone TP-3/M-2 has no due date");
    milestone(&f, "2026-02-30", today, &p, arena, out);
    assert_false(out[0].active);
    assert_false(out[1].active);
}

static void test_milestone_plan_state(void **state)
{
    rl_arena_t *arena = *state;
    alert_policy_t p = policy();
    alert_finding_t out[MAXF];
    fx_t f;
    fx_init(&f);
    const int64_t today = day("2026-01-10");
    /* a closed or cancelled plan never alerts on its milestones */
    static const struct { Riskline__V1__PlanState s; const char *name; } done[] = {
        {ST(CLOSED), "closed"}, {ST(CANCELLED), "cancelled"}, {ST(UNSPECIFIED), "unspecified"}};
    char want[128];
    for (size_t i = 0; i < 3; i++) {
        f.p.state = done[i].s;
        snprintf(want, sizeof want, "milestone TP-3/M-2: plan TP-3 is %s", done[i].name);
        milestone(&f, "2026-01-09", today, &p, arena, out);
        expect_finding(&out[0], ALERT_MILESTONE_OVERDUE, "TP-3/M-2", SEV(HIGH), 0, want);
        expect_finding(&out[1], ALERT_MILESTONE_DUE_SOON, "TP-3/M-2", SEV(MEDIUM), 0, want);
        milestone(&f, "2026-01-10", today, &p, arena, out);
        assert_false(out[1].active);
    }
    /* every open state alerts, on hold included */
    static const Riskline__V1__PlanState open[] = {ST(DRAFT),       ST(SUBMITTED), ST(APPROVED), ST(IN_PROGRESS),
                                                   ST(IMPLEMENTED), ST(VERIFIED),  ST(ON_HOLD)};
    for (size_t i = 0; i < sizeof open / sizeof open[0]; i++) {
        f.p.state = open[i];
        milestone(&f, "2026-01-09", today, &p, arena, out);
        assert_true(out[0].active);
    }
    /* max bounds what is filled */
    f.p.state = ST(IN_PROGRESS);
    f.m.due_date = "2026-01-09";
    memset(out, 0, sizeof out);
    assert_int_equal(alert_rule_milestone(&f.p, &f.m, today, &p, arena, out, 1), 1);
    assert_string_equal(out[0].kind, ALERT_MILESTONE_OVERDUE);
    assert_null(out[1].kind);
    assert_int_equal(alert_rule_milestone(&f.p, &f.m, today, &p, arena, out, 0), 0);
}

/* --- plans ------------------------------------------------------------------------------------- */

static size_t plan_rule(fx_t *f, int64_t today, int64_t now_ms, const alert_policy_t *p, rl_arena_t *arena,
                        alert_finding_t *out)
{
    memset(out, 0, MAXF * sizeof *out);
    return alert_rule_plan(&f->p, today, now_ms, p, arena, out, MAXF);
}

static void test_plan_target(void **state)
{
    rl_arena_t *arena = *state;
    alert_policy_t p = policy();
    alert_finding_t out[MAXF];
    fx_t f;
    fx_init(&f);
    /* target yesterday: past target (HIGH); nothing else holds */
    f.p.target_date = "2025-12-31";
    assert_int_equal(plan_rule(&f, day("2026-01-01"), NOW, &p, arena, out), 3);
    expect_finding(&out[0], ALERT_PLAN_PAST_TARGET, "TP-3", SEV(HIGH), 1,
                   "plan TP-3 \"Phishing-resistant MFA\" (owner olivia) is in_progress, 1 day past its target date "
                   "2025-12-31");
    expect_finding(&out[1], ALERT_BUDGET_OVERRUN, "TP-3", SEV(MEDIUM), 0, "plan TP-3 is within its budget");
    expect_finding(&out[2], ALERT_PLAN_STALLED, "TP-3", SEV(LOW), 0, "plan TP-3 changed 2025-12-31, within 30 days");
    /* target today: not yet */
    f.p.target_date = "2026-01-01";
    plan_rule(&f, day("2026-01-01"), NOW, &p, arena, out);
    expect_finding(&out[0], ALERT_PLAN_PAST_TARGET, "TP-3", SEV(HIGH), 0,
                   "plan TP-3 is within its target date 2026-01-01");
    /* no target date */
    f.p.target_date = "";
    plan_rule(&f, day("2026-01-01"), NOW, &p, arena, out);
    expect_finding(&out[0], ALERT_PLAN_PAST_TARGET, "TP-3", SEV(HIGH), 0, "plan TP-3 has no target date");
    /* every open state is past its target, on hold and verified too, named in the message */
    f.p.target_date = "2025-11-30";
    static const struct { Riskline__V1__PlanState s; const char *name; } open[] = {
        {ST(DRAFT), "draft"},     {ST(SUBMITTED), "submitted"}, {ST(APPROVED), "approved"},
        {ST(IMPLEMENTED), "implemented"}, {ST(VERIFIED), "verified"},   {ST(ON_HOLD), "on_hold"}};
    char want[256];
    for (size_t i = 0; i < sizeof open / sizeof open[0]; i++) {
        f.p.state = open[i].s;
        plan_rule(&f, day("2026-01-01"), NOW, &p, arena, out);
        snprintf(want, sizeof want,
                 "plan TP-3 \"Phishing-resistant MFA\" (owner olivia) is %s, 32 days past its target date 2025-11-30",
                 open[i].name);
        expect_finding(&out[0], ALERT_PLAN_PAST_TARGET, "TP-3", SEV(HIGH), 1, want);
    }
}

static void test_plan_closed(void **state)
{
    rl_arena_t *arena = *state;
    alert_policy_t p = policy();
    alert_finding_t out[MAXF];
    fx_t f;
    fx_init(&f);
    /* past target, over budget and stale, but closed or cancelled: every rule cleared */
    f.p.target_date = "2025-01-01";
    f.res.spent_minor = 200000;
    f.res.over_budget = 1;
    f.p.updated_at_ms = NOW - 300 * DAY;
    static const struct { Riskline__V1__PlanState s; const char *want; } done[] = {
        {ST(CLOSED), "plan TP-3 is closed"}, {ST(CANCELLED), "plan TP-3 is cancelled"}};
    for (size_t i = 0; i < 2; i++) {
        f.p.state = done[i].s;
        assert_int_equal(plan_rule(&f, day("2026-01-01"), NOW, &p, arena, out), 3);
        expect_finding(&out[0], ALERT_PLAN_PAST_TARGET, "TP-3", SEV(HIGH), 0, done[i].want);
        expect_finding(&out[1], ALERT_BUDGET_OVERRUN, "TP-3", SEV(MEDIUM), 0, done[i].want);
        expect_finding(&out[2], ALERT_PLAN_STALLED, "TP-3", SEV(LOW), 0, done[i].want);
    }
    /* the same plan open again: all three hold */
    f.p.state = ST(IN_PROGRESS);
    plan_rule(&f, day("2026-01-01"), NOW, &p, arena, out);
    assert_true(out[0].active && out[1].active && out[2].active);
    /* max bounds what is filled, in order */
    memset(out, 0, sizeof out);
    assert_int_equal(alert_rule_plan(&f.p, day("2026-01-01"), NOW, &p, arena, out, 2), 2);
    assert_string_equal(out[0].kind, ALERT_PLAN_PAST_TARGET);
    assert_string_equal(out[1].kind, ALERT_BUDGET_OVERRUN);
    assert_null(out[2].kind);
}

static void test_plan_budget(void **state)
{
    rl_arena_t *arena = *state;
    alert_policy_t p = policy();
    alert_finding_t out[MAXF];
    fx_t f;
    fx_init(&f);
    const int64_t today = day("2026-01-01");
    /* over budget as plan_derive marks it */
    f.res.spent_minor = 120050;
    f.res.over_budget = 1;
    plan_rule(&f, today, NOW, &p, arena, out);
    expect_finding(&out[1], ALERT_BUDGET_OVERRUN, "TP-3", SEV(MEDIUM), 1,
                   "plan TP-3 has spent 1200.50 EUR of its budget of 1000.00 EUR (120%)");
    /* spent equal to the budget is not an overrun */
    f.res.spent_minor = 100000;
    f.res.over_budget = 0;
    plan_rule(&f, today, NOW, &p, arena, out);
    expect_finding(&out[1], ALERT_BUDGET_OVERRUN, "TP-3", SEV(MEDIUM), 0, "plan TP-3 is within its budget");
    /* a zero budget overrun has no share */
    f.budget.amount_minor = 0;
    f.res.spent_minor = 1;
    f.res.over_budget = 1;
    plan_rule(&f, today, NOW, &p, arena, out);
    expect_finding(&out[1], ALERT_BUDGET_OVERRUN, "TP-3", SEV(MEDIUM), 1,
                   "plan TP-3 has spent 0.01 EUR of its budget of 0.00 EUR");
    /* no resources or no budget: nothing to overrun */
    f.res.budget = NULL;
    plan_rule(&f, today, NOW, &p, arena, out);
    assert_false(out[1].active);
    f.p.resources = NULL;
    plan_rule(&f, today, NOW, &p, arena, out);
    expect_finding(&out[1], ALERT_BUDGET_OVERRUN, "TP-3", SEV(MEDIUM), 0, "plan TP-3 is within its budget");
}

static void test_plan_stalled(void **state)
{
    rl_arena_t *arena = *state;
    alert_policy_t p = policy();
    alert_finding_t out[MAXF];
    fx_t f;
    fx_init(&f);
    const int64_t today = day("2026-01-01");
    /* exactly stalled_days (30) since the last change: not stalled yet */
    f.p.updated_at_ms = NOW - 30 * DAY;
    plan_rule(&f, today, NOW, &p, arena, out);
    expect_finding(&out[2], ALERT_PLAN_STALLED, "TP-3", SEV(LOW), 0, "plan TP-3 changed 2025-12-02, within 30 days");
    /* 1 ms more: stalled (LOW) */
    f.p.updated_at_ms = NOW - 30 * DAY - 1;
    plan_rule(&f, today, NOW, &p, arena, out);
    expect_finding(&out[2], ALERT_PLAN_STALLED, "TP-3", SEV(LOW), 1,
                   "plan TP-3 \"Phishing-resistant MFA\" (owner olivia) has not changed since 2025-12-01, more than "
                   "30 days ago, at 40% progress");
    /* progress 100: done with its milestones, not stalled */
    f.p.progress_pct = 100;
    plan_rule(&f, today, NOW, &p, arena, out);
    expect_finding(&out[2], ALERT_PLAN_STALLED, "TP-3", SEV(LOW), 0, "plan TP-3 is at 100% progress");
    f.p.progress_pct = 99;
    plan_rule(&f, today, NOW, &p, arena, out);
    assert_true(out[2].active);
    /* never updated: counted from its creation */
    f.p.updated_at_ms = 0;
    f.p.created_at_ms = NOW - 30 * DAY;
    plan_rule(&f, today, NOW, &p, arena, out);
    assert_false(out[2].active);
    f.p.created_at_ms = NOW - 31 * DAY;
    plan_rule(&f, today, NOW, &p, arena, out);
    assert_true(out[2].active);
    f.p.created_at_ms = 0;
    plan_rule(&f, today, NOW, &p, arena, out);
    expect_finding(&out[2], ALERT_PLAN_STALLED, "TP-3", SEV(LOW), 0, "plan TP-3 has no change time");
    /* the policy decides; a change in the future (clock skew) is not stalled */
    p.stalled_days = 7;
    f.p.updated_at_ms = NOW - 7 * DAY;
    plan_rule(&f, today, NOW, &p, arena, out);
    assert_false(out[2].active);
    f.p.updated_at_ms = NOW - 7 * DAY - 1;
    plan_rule(&f, today, NOW, &p, arena, out);
    assert_true(out[2].active);
    f.p.updated_at_ms = NOW + DAY;
    plan_rule(&f, today, NOW, &p, arena, out);
    assert_false(out[2].active);
    /* on hold is open: it can stall */
    f.p.state = ST(ON_HOLD);
    f.p.updated_at_ms = NOW - 60 * DAY;
    plan_rule(&f, today, NOW, &p, arena, out);
    assert_true(out[2].active);
}

/* --- reviews and acceptances ------------------------------------------------------------------- */

static void test_review(void **state)
{
    rl_arena_t *arena = *state;
    alert_finding_t out[MAXF];
    const int64_t today = day("2026-01-10");
    memset(out, 0, sizeof out);
    assert_int_equal(alert_rule_review("R-1", day("2026-01-09"), today, arena, out, MAXF), 1);
    expect_finding(&out[0], ALERT_REVIEW_DUE, "R-1", SEV(MEDIUM), 1, "risk R-1 review was due 2026-01-09, 1 day ago");
    alert_rule_review("R-1", day("2025-01-10"), today, arena, out, MAXF);
    expect_finding(&out[0], ALERT_REVIEW_DUE, "R-1", SEV(MEDIUM), 1, "risk R-1 review was due 2025-01-10, 365 days ago");
    alert_rule_review("R-1", today, today, arena, out, MAXF);
    expect_finding(&out[0], ALERT_REVIEW_DUE, "R-1", SEV(MEDIUM), 1, "risk R-1 review is due today (2026-01-10)");
    alert_rule_review("R-1", day("2026-01-11"), today, arena, out, MAXF);
    expect_finding(&out[0], ALERT_REVIEW_DUE, "R-1", SEV(MEDIUM), 0, "risk R-1 next review is 2026-01-11");
    /* max 0 fills nothing; extreme day numbers do not overflow */
    assert_int_equal(alert_rule_review("R-1", today, today, arena, out, 0), 0);
    assert_int_equal(alert_rule_review("R-2", INT64_MIN, INT64_MAX, arena, out, MAXF), 1);
    assert_true(out[0].active);
    assert_string_equal(out[0].subject, "R-2");
    assert_int_equal(alert_rule_review("R-2", INT64_MAX, INT64_MIN, arena, out, MAXF), 1);
    assert_false(out[0].active);
}

static size_t acceptance(const char *expires, int64_t today, const alert_policy_t *p, rl_arena_t *arena,
                         alert_finding_t *out)
{
    memset(out, 0, MAXF * sizeof *out);
    return alert_rule_acceptance("R-4", day(expires), today, p, arena, out, MAXF);
}

static void test_acceptance(void **state)
{
    rl_arena_t *arena = *state;
    alert_policy_t p = policy();
    alert_finding_t out[MAXF];
    const int64_t today = day("2026-01-10");
    /* expired yesterday: expired (HIGH), no longer expiring */
    assert_int_equal(acceptance("2026-01-09", today, &p, arena, out), 2);
    expect_finding(&out[0], ALERT_ACCEPTANCE_EXPIRED, "R-4", SEV(HIGH), 1,
                   "acceptance of risk R-4 expired 2026-01-09, 1 day ago: the risk is open for treatment again");
    expect_finding(&out[1], ALERT_ACCEPTANCE_EXPIRING, "R-4", SEV(MEDIUM), 0,
                   "acceptance of risk R-4 has expired (2026-01-09)");
    /* expires today: still valid, expiring */
    assert_int_equal(acceptance("2026-01-10", today, &p, arena, out), 2);
    expect_finding(&out[0], ALERT_ACCEPTANCE_EXPIRED, "R-4", SEV(HIGH), 0,
                   "acceptance of risk R-4 runs until 2026-01-10");
    expect_finding(&out[1], ALERT_ACCEPTANCE_EXPIRING, "R-4", SEV(MEDIUM), 1,
                   "acceptance of risk R-4 expires 2026-01-10, today");
    /* acceptance_warn_days (30) ahead: expiring */
    acceptance("2026-02-09", today, &p, arena, out);
    expect_finding(&out[0], ALERT_ACCEPTANCE_EXPIRED, "R-4", SEV(HIGH), 0,
                   "acceptance of risk R-4 runs until 2026-02-09");
    expect_finding(&out[1], ALERT_ACCEPTANCE_EXPIRING, "R-4", SEV(MEDIUM), 1,
                   "acceptance of risk R-4 expires 2026-02-09, in 30 days");
    /* one more day: neither */
    acceptance("2026-02-10", today, &p, arena, out);
    expect_finding(&out[0], ALERT_ACCEPTANCE_EXPIRED, "R-4", SEV(HIGH), 0,
                   "acceptance of risk R-4 runs until 2026-02-10");
    expect_finding(&out[1], ALERT_ACCEPTANCE_EXPIRING, "R-4", SEV(MEDIUM), 0,
                   "acceptance of risk R-4 runs until 2026-02-10, more than 30 days ahead");
    /* tomorrow */
    acceptance("2026-01-11", today, &p, arena, out);
    expect_finding(&out[1], ALERT_ACCEPTANCE_EXPIRING, "R-4", SEV(MEDIUM), 1,
                   "acceptance of risk R-4 expires 2026-01-11, in 1 day");
    /* the policy decides the window */
    p.acceptance_warn_days = 0;
    acceptance("2026-01-10", today, &p, arena, out);
    assert_true(out[1].active);
    acceptance("2026-01-11", today, &p, arena, out);
    assert_false(out[1].active);
    p.acceptance_warn_days = 90;
    acceptance("2026-04-10", today, &p, arena, out);
    assert_true(out[1].active);
    acceptance("2026-04-11", today, &p, arena, out);
    assert_false(out[1].active);
    /* max bounds what is filled, in order */
    memset(out, 0, sizeof out);
    assert_int_equal(alert_rule_acceptance("R-4", day("2026-01-01"), today, &p, arena, out, 1), 1);
    assert_string_equal(out[0].kind, ALERT_ACCEPTANCE_EXPIRED);
    assert_true(out[0].active);
    assert_null(out[1].kind);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_defaults),
        cmocka_unit_test_setup_teardown(test_change_allowed, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_change_refused, setup_arena, teardown_arena),
        cmocka_unit_test(test_auto_resolve),
        cmocka_unit_test_setup_teardown(test_milestone_days, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_milestone_status, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_milestone_plan_state, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_plan_target, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_plan_closed, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_plan_budget, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_plan_stalled, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_review, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_acceptance, setup_arena, teardown_arena),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
