/* test_plan.c: treatment plan domain rules (services/treatment/plan.c): validation, patches, derived
 * fields, the workflow and its segregation of duties, material changes, milestones, costs, acceptance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plan.h"
#include "rl_limits.h"
#include "rl_time.h"
#include "unit_arena.h"

#define ST(x) RISKLINE__V1__PLAN_STATE__PLAN_STATE_##x
#define AC(x) RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_##x
#define MS(x) RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_##x
#define IS(x) RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_##x
#define TR(x) RISKLINE__V1__TREATMENT__TREATMENT_##x

#define NOW 1767225600000LL /* 2026-01-01T00:00:00Z */
#define NMS 6

/* --- fixtures ---------------------------------------------------------------------------------- */

/* A valid plan (TP-3 for R-1, owner olivia, approver adam) with everything in one block. */
typedef struct {
    plan_t p;
    Riskline__V1__Resources res;
    Riskline__V1__Money budget;
    Riskline__V1__Rating residual;
    Riskline__V1__PlanControl ctl[RL_MAX_PLAN_CONTROLS + 2];
    Riskline__V1__PlanControl *ctlp[RL_MAX_PLAN_CONTROLS + 2];
    char ctl_id[RL_MAX_PLAN_CONTROLS + 2][16];
    Riskline__V1__Personnel pers[RL_MAX_PERSONNEL + 2];
    Riskline__V1__Personnel *persp[RL_MAX_PERSONNEL + 2];
    char *tools[RL_MAX_TOOLS + 2];
    plan_milestone_t ms[NMS];
    plan_milestone_t *msp[NMS];
    char ms_id[NMS][8];
    char *deps[NMS][RL_MAX_MILESTONE_DEPS + 2];
    Riskline__V1__Evidence ev[RL_MAX_EVIDENCE + 2];
    Riskline__V1__Evidence *evp[RL_MAX_EVIDENCE + 2];
    Riskline__V1__Approval approval;
    char big[RL_MAX_DESCRIPTION + 8];
} fx_t;

static fx_t *fx_new(void)
{
    fx_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    riskline__v1__plan__init(&f->p);
    riskline__v1__resources__init(&f->res);
    riskline__v1__money__init(&f->budget);
    riskline__v1__rating__init(&f->residual);
    riskline__v1__approval__init(&f->approval);
    f->p.id = "TP-3";
    f->p.risk_id = "R-1";
    f->p.title = "Phishing-resistant MFA for finance";
    f->p.option = TR(REDUCE);
    f->p.treatment_owner = "olivia";
    f->p.approver = "adam";
    f->p.rationale = "Reduces the likelihood of account takeover.\nSee the ISMS minutes.";
    for (size_t i = 0; i < sizeof f->ctl / sizeof f->ctl[0]; i++) {
        riskline__v1__plan_control__init(&f->ctl[i]);
        snprintf(f->ctl_id[i], sizeof f->ctl_id[i], "C-%zu", i + 1);
        f->ctl[i].control_id = f->ctl_id[i];
        f->ctl[i].status = IS(NOT_STARTED);
        f->ctlp[i] = &f->ctl[i];
    }
    snprintf(f->ctl_id[0], sizeof f->ctl_id[0], "A.5.1");
    snprintf(f->ctl_id[1], sizeof f->ctl_id[1], "A.8.7");
    f->ctl[1].status = IS(IN_PROGRESS);
    f->p.controls = f->ctlp;
    f->p.n_controls = 2;
    f->budget.amount_minor = 100000;
    f->budget.currency = "EUR";
    f->res.budget = &f->budget;
    for (size_t i = 0; i < sizeof f->pers / sizeof f->pers[0]; i++) {
        riskline__v1__personnel__init(&f->pers[i]);
        f->pers[i].person = "peter";
        f->pers[i].role = "engineer";
        f->pers[i].planned_hours = 40;
        f->persp[i] = &f->pers[i];
        f->tools[i < sizeof f->tools / sizeof f->tools[0] ? i : 0] = "yubikey";
    }
    f->res.personnel = f->persp;
    f->res.n_personnel = 1;
    f->res.tools = f->tools;
    f->res.n_tools = 1;
    f->res.effort_days = 20;
    f->p.resources = &f->res;
    f->p.start_date = "2026-01-01";
    f->p.target_date = "2026-06-30";
    f->residual.likelihood = 2;
    f->residual.impact = 2;
    f->p.expected_residual = &f->residual;
    f->p.state = ST(DRAFT);
    f->p.version = 7;
    for (size_t i = 0; i < NMS; i++) {
        plan_milestone_t *m = &f->ms[i];
        riskline__v1__milestone__init(m);
        snprintf(f->ms_id[i], sizeof f->ms_id[i], "M-%zu", i + 1);
        m->id = f->ms_id[i];
        m->title = "Roll out keys";
        m->owner = "peter";
        m->due_date = "2026-03-31";
        m->status = MS(PENDING);
        m->depends_on = f->deps[i];
        f->msp[i] = m;
    }
    for (size_t i = 0; i < sizeof f->ev / sizeof f->ev[0]; i++) {
        riskline__v1__evidence__init(&f->ev[i]);
        f->ev[i].uri = "https://dms.example/doc/1";
        f->evp[i] = &f->ev[i];
    }
    f->p.milestones = f->msp;
    f->p.n_milestones = 0;
    f->approval.approver = "adam";
    f->approval.plan_version = 7;
    return f;
}

/* Milestones M-1..M-n, pending, no dependencies. */
static void fx_milestones(fx_t *f, size_t n)
{
    f->p.n_milestones = n;
}

static void dep(fx_t *f, size_t from, size_t to)
{
    plan_milestone_t *m = &f->ms[from - 1];
    m->depends_on[m->n_depends_on++] = f->ms_id[to - 1];
}

static plan_criteria_t defaults(void)
{
    plan_criteria_t c;
    riskline__v1__criteria__init(&c);
    c.likelihood_levels = 5;
    c.impact_levels = 5;
    c.medium_min = 5;
    c.high_min = 10;
    c.critical_min = 16;
    c.acceptance_max = 6;
    return c;
}

static plan_policy_t policy(void)
{
    plan_policy_t p;
    plan_policy_defaults(&p);
    return p;
}

static rl_principal_t principal(const char *name, uint32_t roles)
{
    rl_principal_t p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "%s", name);
    p.roles = roles;
    p.all_tenants = 1;
    return p;
}

#define OWNER() principal("olivia", RL_ROLE_TREATMENT_OWNER | RL_ROLE_VIEWER)
#define APPROVER() principal("adam", RL_ROLE_APPROVER | RL_ROLE_VIEWER)
#define ADMIN() principal("root", RL_ROLE_ADMIN)
#define OTHER() principal("eve", RL_ROLE_TREATMENT_OWNER | RL_ROLE_APPROVER | RL_ROLE_VIEWER)

static int64_t day(const char *s)
{
    int64_t d = 0;
    assert_int_equal(rl_date_parse(s, &d), 0);
    return d;
}

static plan_transition_t tr(plan_action_t a, const char *comment)
{
    plan_transition_t t;
    memset(&t, 0, sizeof t);
    t.action = a;
    t.comment = comment;
    t.effective = 1;
    return t;
}

static void expect_err(rl_err_t rc, const rl_error_t *err, rl_err_t code, const char *field, const char *needle)
{
    if (rc != code || strcmp(err->field, field) != 0)
        fail_msg("expected %s on \"%s\", got %s on \"%s\": %s", rl_strerror(code), field, rl_strerror(rc),
                 err->field, err->message);
    if (needle && !strstr(err->message, needle))
        fail_msg("message \"%s\" does not contain \"%s\"", err->message, needle);
}

/* --- names and states -------------------------------------------------------------------------- */

static void test_policy_defaults(void **state)
{
    (void)state;
    plan_policy_t p;
    memset(&p, 0x7f, sizeof p);
    plan_policy_defaults(&p);
    assert_int_equal(p.reapproval_budget_pct, 10);
    assert_int_equal(p.max_acceptance_days, 365);
}

static void test_names_and_parse(void **state)
{
    (void)state;
    static const char *const states[] = {"unspecified", "draft",       "submitted", "approved", "in_progress",
                                         "implemented", "verified",    "closed",    "on_hold",  "cancelled"};
    static const char *const actions[] = {"unspecified", "submit", "approve", "reject", "start", "implement",
                                          "verify",      "close",  "hold",    "resume", "cancel"};
    for (int s = 0; s < 10; s++) {
        assert_string_equal(plan_state_name((plan_state_t)s), states[s]);
        assert_int_equal(plan_state_parse(states[s]), s ? s : -1);
    }
    for (int a = 0; a < 11; a++) {
        assert_string_equal(plan_action_name((plan_action_t)a), actions[a]);
        assert_int_equal(plan_action_parse(actions[a]), a ? a : -1);
    }
    assert_string_equal(plan_state_name((plan_state_t)99), "unknown");
    assert_string_equal(plan_action_name((plan_action_t)-1), "unknown");
    assert_int_equal(plan_state_parse("IN_PROGRESS"), ST(IN_PROGRESS));
    assert_int_equal(plan_state_parse("PLAN_STATE_ON_HOLD"), ST(ON_HOLD));
    assert_int_equal(plan_action_parse("Approve"), AC(APPROVE));
    assert_int_equal(plan_state_parse("bogus"), -1);
    assert_int_equal(plan_state_parse(""), -1);
    assert_int_equal(plan_state_parse(NULL), -1);
    assert_int_equal(plan_action_parse("approved"), -1);
}

static void test_state_open(void **state)
{
    (void)state;
    static const int open[10] = {0, 1, 1, 1, 1, 1, 1, 0, 1, 0};
    for (int s = 0; s < 10; s++)
        if (plan_state_open((plan_state_t)s) != open[s])
            fail_msg("state %s: open %d, expected %d", plan_state_name((plan_state_t)s),
                     plan_state_open((plan_state_t)s), open[s]);
    assert_false(plan_state_open((plan_state_t)42));
}

static void test_allowed_actions(void **state)
{
    (void)state;
    static const char *const want[10] = {
        "none",                           "submit, hold, cancel",    "approve, reject, hold, cancel",
        "start, hold, cancel",            "implement, hold, cancel", "verify, hold, cancel",
        "close, hold, cancel",            "none",                    "resume, cancel",
        "none"};
    char buf[128];
    for (int s = 0; s < 10; s++) {
        assert_ptr_equal(plan_allowed_actions((plan_state_t)s, buf, sizeof buf), buf);
        assert_string_equal(buf, want[s]);
    }
    /* a short buffer keeps what fits and stays terminated */
    char small[10];
    plan_allowed_actions(ST(SUBMITTED), small, sizeof small);
    assert_string_equal(small, "approve");
    assert_true(strlen(small) < sizeof small);
}

/* --- the workflow, table-driven ---------------------------------------------------------------- */

/* The state each action leads to from each state (0: refused). Admin (not owner) acts, with a
 * comment, effective verification, a valid approval and no milestones. */
static const plan_state_t next_state[10][11] = {
    [ST(DRAFT)] = {[AC(SUBMIT)] = ST(SUBMITTED), [AC(HOLD)] = ST(ON_HOLD), [AC(CANCEL)] = ST(CANCELLED)},
    [ST(SUBMITTED)] = {[AC(APPROVE)] = ST(APPROVED), [AC(REJECT)] = ST(DRAFT), [AC(HOLD)] = ST(ON_HOLD),
                       [AC(CANCEL)] = ST(CANCELLED)},
    [ST(APPROVED)] = {[AC(START)] = ST(IN_PROGRESS), [AC(HOLD)] = ST(ON_HOLD), [AC(CANCEL)] = ST(CANCELLED)},
    [ST(IN_PROGRESS)] = {[AC(IMPLEMENT)] = ST(IMPLEMENTED), [AC(HOLD)] = ST(ON_HOLD),
                         [AC(CANCEL)] = ST(CANCELLED)},
    [ST(IMPLEMENTED)] = {[AC(VERIFY)] = ST(VERIFIED), [AC(HOLD)] = ST(ON_HOLD), [AC(CANCEL)] = ST(CANCELLED)},
    [ST(VERIFIED)] = {[AC(CLOSE)] = ST(CLOSED), [AC(HOLD)] = ST(ON_HOLD), [AC(CANCEL)] = ST(CANCELLED)},
    [ST(ON_HOLD)] = {[AC(RESUME)] = ST(IMPLEMENTED), [AC(CANCEL)] = ST(CANCELLED)},
};

static void test_transition_table(void **state)
{
    rl_arena_t *a = *state;
    rl_principal_t admin = ADMIN();
    char allowed[128], want[256];
    int ok = 0, refused = 0;
    for (int s = 0; s < 10; s++)
        for (int act = 1; act <= 10; act++) {
            fx_t *f = fx_new();
            f->p.state = (plan_state_t)s;
            f->p.held_from = s == ST(ON_HOLD) ? ST(IMPLEMENTED) : ST(UNSPECIFIED);
            f->p.approval = &f->approval;
            plan_transition_t t = tr((plan_action_t)act, "because");
            rl_error_t err;
            rl_error_clear(&err);
            rl_err_t rc = plan_transition(&f->p, &t, &admin, NOW, a, &err);
            plan_state_t want_state = next_state[s][act];
            if (want_state) {
                if (rc != RL_OK || f->p.state != want_state)
                    fail_msg("%s from %s: expected %s, got %s (%s) in %s", plan_action_name((plan_action_t)act),
                             plan_state_name((plan_state_t)s), plan_state_name(want_state), rl_strerror(rc),
                             err.message, plan_state_name(f->p.state));
                assert_int_equal(f->p.updated_at_ms, NOW);
                assert_string_equal(f->p.updated_by, "root");
                assert_int_equal(f->p.version, 7); /* the caller's */
                ok++;
            } else {
                snprintf(want, sizeof want, "plan TP-3 is %s; %s needs ", plan_state_name((plan_state_t)s),
                         plan_action_name((plan_action_t)act));
                expect_err(rc, &err, RL_ERR_CONFLICT, "state", want);
                snprintf(want, sizeof want, "; allowed now: %s",
                         plan_allowed_actions((plan_state_t)s, allowed, sizeof allowed));
                assert_non_null(strstr(err.message, want));
                assert_int_equal(f->p.state, s);
                assert_int_equal(f->p.updated_at_ms, 0);
                refused++;
            }
            free(f);
        }
    assert_int_equal(ok, 21);
    assert_int_equal(refused, 79);
}

static void test_transition_refusal_messages(void **state)
{
    rl_arena_t *a = *state;
    rl_principal_t adam = APPROVER(), olivia = OWNER();
    rl_error_t err;
    fx_t *f = fx_new();
    plan_transition_t t = tr(AC(APPROVE), NULL);
    expect_err(plan_transition(&f->p, &t, &adam, NOW, a, &err), &err, RL_ERR_CONFLICT, "state", NULL);
    assert_string_equal(err.message, "plan TP-3 is draft; approve needs submitted; allowed now: submit, hold, cancel");
    f->p.state = ST(CLOSED);
    t = tr(AC(CANCEL), "late");
    expect_err(plan_transition(&f->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_CONFLICT, "state", NULL);
    assert_string_equal(err.message, "plan TP-3 is closed; cancel needs an open state; allowed now: none");
    f->p.state = ST(ON_HOLD);
    f->p.held_from = ST(DRAFT);
    t = tr(AC(HOLD), "again");
    expect_err(plan_transition(&f->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_CONFLICT, "state", NULL);
    assert_string_equal(err.message,
                        "plan TP-3 is on_hold; hold needs an open state other than on_hold; allowed now: resume, cancel");
    /* unknown actions */
    t = tr(AC(UNSPECIFIED), NULL);
    expect_err(plan_transition(&f->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_INVALID, "action", "unknown action 0");
    t = tr((plan_action_t)99, NULL);
    expect_err(plan_transition(&f->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_INVALID, "action", "unknown action 99");
    assert_int_equal(f->p.state, ST(ON_HOLD));
    free(f);
}

/* --- who may do what --------------------------------------------------------------------------- */

enum { P_OWNER, P_APPROVER, P_ADMIN, P_OTHER, P_NAMED_NO_ROLE, P_ADMIN_OWNER, P_COUNT };

static void test_transition_duties(void **state)
{
    rl_arena_t *a = *state;
    /* 1: allowed. Rows: actions 1..10; columns: P_* */
    static const int may[11][P_COUNT] = {
        [AC(SUBMIT)] = {1, 0, 1, 0, 0, 1},    [AC(APPROVE)] = {0, 1, 1, 0, 0, 0},
        [AC(REJECT)] = {0, 1, 1, 0, 0, 0},    [AC(START)] = {1, 0, 1, 0, 0, 1},
        [AC(IMPLEMENT)] = {1, 0, 1, 0, 0, 1}, [AC(VERIFY)] = {0, 1, 1, 0, 0, 0},
        [AC(CLOSE)] = {1, 1, 1, 0, 1, 1},     [AC(HOLD)] = {1, 1, 1, 0, 1, 1},
        [AC(RESUME)] = {1, 1, 1, 0, 1, 1},    [AC(CANCEL)] = {1, 1, 1, 0, 1, 1},
    };
    static const plan_state_t from[11] = {
        [AC(SUBMIT)] = ST(DRAFT),        [AC(APPROVE)] = ST(SUBMITTED),  [AC(REJECT)] = ST(SUBMITTED),
        [AC(START)] = ST(APPROVED),      [AC(IMPLEMENT)] = ST(IN_PROGRESS), [AC(VERIFY)] = ST(IMPLEMENTED),
        [AC(CLOSE)] = ST(VERIFIED),      [AC(HOLD)] = ST(IN_PROGRESS),   [AC(RESUME)] = ST(ON_HOLD),
        [AC(CANCEL)] = ST(DRAFT),
    };
    static const char *const who_names[P_COUNT] = {"owner", "approver", "admin", "other", "named approver without role",
                                                   "admin owning the plan"};
    for (int act = 1; act <= 10; act++)
        for (int w = 0; w < P_COUNT; w++) {
            fx_t *f = fx_new();
            rl_principal_t who;
            switch (w) {
            case P_OWNER: who = OWNER(); break;
            case P_APPROVER: who = APPROVER(); break;
            case P_ADMIN: who = ADMIN(); break;
            case P_OTHER: who = OTHER(); break;
            case P_NAMED_NO_ROLE: who = principal("adam", RL_ROLE_VIEWER | RL_ROLE_TREATMENT_OWNER); break;
            default: who = ADMIN(); f->p.treatment_owner = "root"; break;
            }
            f->p.state = from[act];
            f->p.held_from = ST(APPROVED);
            f->p.approval = &f->approval;
            plan_transition_t t = tr((plan_action_t)act, "a reason");
            rl_error_t err;
            rl_error_clear(&err);
            rl_err_t rc = plan_transition(&f->p, &t, &who, NOW, a, &err);
            if (may[act][w]) {
                if (rc != RL_OK)
                    fail_msg("%s by %s: refused: %s", plan_action_name((plan_action_t)act), who_names[w], err.message);
                assert_int_not_equal(f->p.state, from[act]);
            } else {
                if (rc != RL_ERR_FORBIDDEN || strcmp(err.field, "action") != 0)
                    fail_msg("%s by %s: expected forbidden on action, got %s on \"%s\"",
                             plan_action_name((plan_action_t)act), who_names[w], rl_strerror(rc), err.field);
                assert_int_equal(f->p.state, from[act]);
                assert_non_null(strstr(err.message, plan_action_name((plan_action_t)act)));
            }
            free(f);
        }
}

static void test_segregation_messages(void **state)
{
    rl_arena_t *a = *state;
    rl_error_t err;
    rl_principal_t olivia = OWNER(), eve = OTHER(), root = ADMIN();
    fx_t *f = fx_new();
    f->p.state = ST(SUBMITTED);
    plan_transition_t t = tr(AC(APPROVE), NULL);
    /* the treatment owner never approves its own plan, whatever roles it holds */
    olivia.roles |= RL_ROLE_APPROVER;
    expect_err(plan_transition(&f->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_FORBIDDEN, "action",
               "olivia is the treatment owner of plan TP-3 and may not approve it (segregation of duties); its "
               "approver adam does");
    /* an admin owning the plan neither */
    f->p.treatment_owner = "root";
    expect_err(plan_transition(&f->p, &t, &root, NOW, a, &err), &err, RL_ERR_FORBIDDEN, "action",
               "segregation of duties");
    f->p.treatment_owner = "olivia";
    /* someone else is told who may */
    expect_err(plan_transition(&f->p, &t, &eve, NOW, a, &err), &err, RL_ERR_FORBIDDEN, "action",
               "approve of plan TP-3 is for its approver (adam) or an admin; eve is neither");
    rl_principal_t adam_viewer = principal("adam", RL_ROLE_VIEWER);
    expect_err(plan_transition(&f->p, &t, &adam_viewer, NOW, a, &err), &err, RL_ERR_FORBIDDEN, "action",
               "does not hold the approver role");
    /* verify is not by the owner */
    f->p.state = ST(IMPLEMENTED);
    t = tr(AC(VERIFY), "KPI met for 3 months");
    expect_err(plan_transition(&f->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_FORBIDDEN, "action",
               "may not verify it");
    f->p.treatment_owner = "root";
    expect_err(plan_transition(&f->p, &t, &root, NOW, a, &err), &err, RL_ERR_FORBIDDEN, "action", "may not verify");
    f->p.treatment_owner = "olivia";
    /* owner actions name the owner */
    f->p.state = ST(DRAFT);
    t = tr(AC(SUBMIT), NULL);
    expect_err(plan_transition(&f->p, &t, &eve, NOW, a, &err), &err, RL_ERR_FORBIDDEN, "action",
               "submit of plan TP-3 is for its treatment owner (olivia) or an admin; eve is neither");
    t = tr(AC(CANCEL), "no longer needed");
    expect_err(plan_transition(&f->p, &t, &eve, NOW, a, &err), &err, RL_ERR_FORBIDDEN, "action",
               "its treatment owner (olivia), its approver (adam) or an admin; eve is none of them");
    /* an empty principal name never matches an empty owner */
    f->p.treatment_owner = "";
    rl_principal_t nobody = principal("", RL_ROLE_TREATMENT_OWNER);
    t = tr(AC(SUBMIT), NULL);
    expect_err(plan_transition(&f->p, &t, &nobody, NOW, a, &err), &err, RL_ERR_FORBIDDEN, "action", NULL);
    free(f);
}

/* --- reasons and records ----------------------------------------------------------------------- */

static void test_reasons_required(void **state)
{
    rl_arena_t *a = *state;
    rl_principal_t adam = APPROVER(), olivia = OWNER();
    static const struct {
        plan_action_t action;
        plan_state_t from;
        const char *needle;
    } cases[] = {
        {AC(REJECT), ST(SUBMITTED), "a reason is required to reject"},
        {AC(HOLD), ST(IN_PROGRESS), "a reason is required to hold"},
        {AC(CANCEL), ST(APPROVED), "a reason is required to cancel"},
        {AC(VERIFY), ST(IMPLEMENTED), "the effectiveness result is required to verify"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int k = 0; k < 3; k++) {
            fx_t *f = fx_new();
            f->p.state = cases[i].from;
            memset(f->big, 'x', RL_MAX_TEXT + 1);
            f->big[RL_MAX_TEXT + 1] = '\0';
            plan_transition_t t = tr(cases[i].action, k == 0 ? NULL : k == 1 ? "" : f->big);
            rl_error_t err;
            rl_principal_t *who = cases[i].action == AC(REJECT) || cases[i].action == AC(VERIFY) ? &adam : &olivia;
            rl_err_t rc = plan_transition(&f->p, &t, who, NOW, a, &err);
            expect_err(rc, &err, RL_ERR_INVALID, "comment", k < 2 ? cases[i].needle : "over the limit of 1000");
            assert_int_equal(f->p.state, cases[i].from);
            free(f);
        }
    /* a comment is checked even where it is optional */
    fx_t *f = fx_new();
    plan_transition_t t = tr(AC(SUBMIT), "bad\x01comment");
    rl_error_t err;
    expect_err(plan_transition(&f->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_INVALID, "comment", "control");
    t = tr(AC(SUBMIT), "multi\nline\tfine");
    assert_int_equal(plan_transition(&f->p, &t, &olivia, NOW, a, &err), RL_OK);
    free(f);
}

static void test_approve_records(void **state)
{
    rl_arena_t *a = *state;
    rl_principal_t adam = APPROVER();
    rl_error_t err;
    fx_t *f = fx_new();
    f->p.state = ST(SUBMITTED);
    f->p.version = 12;
    char comment[] = "ok, go";
    plan_transition_t t = tr(AC(APPROVE), comment);
    assert_int_equal(plan_transition(&f->p, &t, &adam, NOW + 5, a, &err), RL_OK);
    assert_int_equal(f->p.state, ST(APPROVED));
    assert_non_null(f->p.approval);
    assert_ptr_not_equal(f->p.approval, &f->approval);
    assert_string_equal(f->p.approval->approver, "adam");
    assert_int_equal(f->p.approval->at_ms, NOW + 5);
    assert_int_equal(f->p.approval->plan_version, 12);
    assert_false(f->p.approval->outdated);
    assert_null(f->p.approval->risk); /* the caller's snapshot */
    comment[0] = 'X';                 /* copied, not pointed at */
    assert_string_equal(f->p.approval->comment, "ok, go");
    adam.name[0] = 'X';
    assert_string_equal(f->p.approval->approver, "adam");
    assert_string_equal(f->p.updated_by, "adam");
    free(f);
}

static void test_start_needs_valid_approval(void **state)
{
    rl_arena_t *a = *state;
    rl_principal_t olivia = OWNER();
    rl_error_t err;
    fx_t *f = fx_new();
    f->p.state = ST(APPROVED);
    plan_transition_t t = tr(AC(START), NULL);
    expect_err(plan_transition(&f->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_CONFLICT, "approval",
               "has no approval");
    f->p.approval = &f->approval;
    f->approval.outdated = 1;
    f->approval.outdated_reason = "budget up 25% (> 10%)";
    expect_err(plan_transition(&f->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_CONFLICT, "approval",
               "outdated (budget up 25% (> 10%))");
    assert_int_equal(f->p.state, ST(APPROVED));
    f->approval.outdated = 0;
    assert_int_equal(plan_transition(&f->p, &t, &olivia, NOW, a, &err), RL_OK);
    assert_int_equal(f->p.state, ST(IN_PROGRESS));
    free(f);
}

static void test_verify_effective_and_not(void **state)
{
    rl_arena_t *a = *state;
    rl_principal_t adam = APPROVER();
    rl_error_t err;
    fx_t *f = fx_new();
    f->p.state = ST(IMPLEMENTED);
    plan_transition_t t = tr(AC(VERIFY), "phishing click rate 9% (target 5%)");
    t.effective = 0;
    assert_int_equal(plan_transition(&f->p, &t, &adam, NOW, a, &err), RL_OK);
    assert_int_equal(f->p.state, ST(IN_PROGRESS)); /* ineffective: back to work */
    assert_non_null(f->p.verification);
    assert_false(f->p.verification->effective);
    assert_string_equal(f->p.verification->result, "phishing click rate 9% (target 5%)");
    assert_string_equal(f->p.verification->verified_by, "adam");
    assert_int_equal(f->p.verification->at_ms, NOW);
    f->p.state = ST(IMPLEMENTED);
    t = tr(AC(VERIFY), "click rate 3%");
    assert_int_equal(plan_transition(&f->p, &t, &adam, NOW + 1, a, &err), RL_OK);
    assert_int_equal(f->p.state, ST(VERIFIED));
    assert_true(f->p.verification->effective);
    assert_string_equal(f->p.verification->result, "click rate 3%");
    assert_int_equal(f->p.verification->at_ms, NOW + 1);
    free(f);
}

static void test_hold_resume_returns(void **state)
{
    rl_arena_t *a = *state;
    rl_principal_t olivia = OWNER(), adam = APPROVER();
    rl_error_t err;
    for (int s = ST(DRAFT); s <= ST(VERIFIED); s++) {
        fx_t *f = fx_new();
        f->p.state = (plan_state_t)s;
        plan_transition_t t = tr(AC(HOLD), "supplier delay");
        assert_int_equal(plan_transition(&f->p, &t, &olivia, NOW, a, &err), RL_OK);
        assert_int_equal(f->p.state, ST(ON_HOLD));
        assert_int_equal(f->p.held_from, s);
        /* only resume and cancel now */
        t = tr(AC(SUBMIT), NULL);
        expect_err(plan_transition(&f->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_CONFLICT, "state",
                   "allowed now: resume, cancel");
        t = tr(AC(RESUME), NULL);
        assert_int_equal(plan_transition(&f->p, &t, s % 2 ? &olivia : &adam, NOW, a, &err), RL_OK);
        assert_int_equal(f->p.state, s);
        assert_int_equal(f->p.held_from, ST(UNSPECIFIED));
        free(f);
    }
    /* a hold from a state that cannot be resumed is refused, not trusted */
    fx_t *f = fx_new();
    f->p.state = ST(ON_HOLD);
    f->p.held_from = ST(CLOSED);
    plan_transition_t t = tr(AC(RESUME), NULL);
    expect_err(plan_transition(&f->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_CONFLICT, "held_from", NULL);
    f->p.held_from = ST(ON_HOLD);
    expect_err(plan_transition(&f->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_CONFLICT, "held_from", NULL);
    assert_int_equal(f->p.state, ST(ON_HOLD));
    /* cancel from on hold clears held_from */
    f->p.held_from = ST(APPROVED);
    t = tr(AC(CANCEL), "out of scope");
    assert_int_equal(plan_transition(&f->p, &t, &adam, NOW, a, &err), RL_OK);
    assert_int_equal(f->p.state, ST(CANCELLED));
    assert_int_equal(f->p.held_from, ST(UNSPECIFIED));
    free(f);
}

static void test_close_milestones(void **state)
{
    rl_arena_t *a = *state;
    rl_principal_t olivia = OWNER();
    rl_error_t err;
    fx_t *f = fx_new();
    f->p.state = ST(VERIFIED);
    fx_milestones(f, 4);
    f->ms[0].status = MS(DONE);
    f->ms[1].status = MS(PENDING);
    f->ms[2].status = MS(MISSED);
    f->ms[3].status = MS(WAIVED); /* settled already */
    plan_transition_t t = tr(AC(CLOSE), NULL);
    expect_err(plan_transition(&f->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_INVALID, "waive",
               "plan TP-3 has 2 milestone(s) neither done nor waived: M-2 (pending), M-3 (missed); finish them or "
               "waive them with a reason");
    char *w2[] = {"M-2"};
    t.waive = w2;
    t.nwaive = 1;
    t.waive_reason = "replaced by vendor SSO";
    expect_err(plan_transition(&f->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_INVALID, "waive", ": M-3 (missed);");
    char *w23[] = {"M-2", "M-3"};
    t.waive = w23;
    t.nwaive = 2;
    t.waive_reason = "";
    expect_err(plan_transition(&f->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_INVALID, "waive_reason",
               "a reason is required to waive milestones");
    t.waive_reason = NULL;
    expect_err(plan_transition(&f->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_INVALID, "waive_reason", NULL);
    char *wunknown[] = {"M-2", "M-9"};
    t.waive = wunknown;
    t.waive_reason = "x";
    expect_err(plan_transition(&f->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_INVALID, "waive",
               "entry 1 names no milestone of plan TP-3");
    char *wdone[] = {"M-1", "M-2", "M-3"};
    t.waive = wdone;
    t.nwaive = 3;
    expect_err(plan_transition(&f->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_INVALID, "waive",
               "M-1 is done; only unsettled milestones are waived");
    /* refusals changed nothing */
    assert_int_equal(f->ms[1].status, MS(PENDING));
    assert_int_equal(f->ms[2].status, MS(MISSED));
    assert_int_equal(f->p.state, ST(VERIFIED));
    /* waived with a reason: closed */
    char reason[] = "replaced by vendor SSO";
    t.waive = w23;
    t.nwaive = 2;
    t.waive_reason = reason;
    assert_int_equal(plan_transition(&f->p, &t, &olivia, NOW, a, &err), RL_OK);
    assert_int_equal(f->p.state, ST(CLOSED));
    assert_int_equal(f->ms[0].status, MS(DONE));
    assert_int_equal(f->ms[1].status, MS(WAIVED));
    assert_int_equal(f->ms[2].status, MS(WAIVED));
    reason[0] = 'X';
    assert_string_equal(f->ms[1].waive_reason, "replaced by vendor SSO");
    free(f);

    /* all done: closes without waivers; waivers on other actions are refused */
    f = fx_new();
    f->p.state = ST(VERIFIED);
    fx_milestones(f, 2);
    f->ms[0].status = f->ms[1].status = MS(DONE);
    t = tr(AC(CLOSE), NULL);
    assert_int_equal(plan_transition(&f->p, &t, &olivia, NOW, a, &err), RL_OK);
    assert_int_equal(f->p.state, ST(CLOSED));
    f->p.state = ST(DRAFT);
    t = tr(AC(SUBMIT), NULL);
    t.waive = w2;
    t.nwaive = 1;
    expect_err(plan_transition(&f->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_INVALID, "waive",
               "only close waives milestones");
    free(f);
}

static void test_check_editor(void **state)
{
    (void)state;
    rl_error_t err;
    rl_principal_t olivia = OWNER(), root = ADMIN(), adam = APPROVER(), eve = OTHER();
    fx_t *f = fx_new();
    for (int s = 0; s < 10; s++) {
        f->p.state = (plan_state_t)s;
        rl_err_t want = plan_state_open((plan_state_t)s) ? RL_OK : RL_ERR_CONFLICT;
        assert_int_equal(plan_check_editor(&f->p, &olivia, &err), want);
        assert_int_equal(plan_check_editor(&f->p, &root, &err), want);
        if (want)
            assert_string_equal(err.field, "state");
    }
    f->p.state = ST(CLOSED);
    expect_err(plan_check_editor(&f->p, &olivia, &err), &err, RL_ERR_CONFLICT, "state", "plan TP-3 is closed");
    f->p.state = ST(IN_PROGRESS);
    expect_err(plan_check_editor(&f->p, &adam, &err), &err, RL_ERR_FORBIDDEN, "treatment_owner",
               "plan TP-3 is changed by its treatment owner (olivia) or an admin; adam is neither");
    expect_err(plan_check_editor(&f->p, &eve, &err), &err, RL_ERR_FORBIDDEN, "treatment_owner", "eve is neither");
    free(f);
}

/* --- derived fields and costs ------------------------------------------------------------------ */

static void test_derive_progress(void **state)
{
    (void)state;
    fx_t *f = fx_new();
    f->p.progress_pct = 77;
    plan_derive(&f->p);
    assert_int_equal(f->p.progress_pct, 0); /* no milestones */
    fx_milestones(f, 3);
    plan_derive(&f->p);
    assert_int_equal(f->p.progress_pct, 0);
    f->ms[0].status = MS(DONE);
    plan_derive(&f->p);
    assert_int_equal(f->p.progress_pct, 33);
    f->ms[1].status = MS(MISSED); /* missed is not settled */
    f->ms[2].status = MS(IN_PROGRESS);
    plan_derive(&f->p);
    assert_int_equal(f->p.progress_pct, 33);
    f->ms[1].status = MS(WAIVED);
    plan_derive(&f->p);
    assert_int_equal(f->p.progress_pct, 66);
    f->ms[2].status = MS(DONE);
    plan_derive(&f->p);
    assert_int_equal(f->p.progress_pct, 100);
    /* a plan without resources derives too */
    f->p.resources = NULL;
    plan_derive(&f->p);
    assert_int_equal(f->p.progress_pct, 100);
    free(f);
}

static void test_costs_and_over_budget(void **state)
{
    rl_arena_t *a = *state;
    rl_principal_t olivia = OWNER();
    rl_error_t err;
    fx_t *f = fx_new();
    f->budget.amount_minor = 1000;
    f->res.spent_minor = 999999; /* computed fields sent by a client are overwritten */
    f->res.over_budget = 1;
    plan_derive(&f->p);
    assert_int_equal(f->p.resources->spent_minor, 0);
    assert_false(f->p.resources->over_budget);

    Riskline__V1__Cost c = RISKLINE__V1__COST__INIT;
    char note[] = "licences";
    c.date = "2026-02-01";
    c.amount_minor = 400;
    c.note = note;
    c.recorded_by = "forged";
    plan_t before = f->p;
    assert_int_equal(plan_add_cost(&f->p, &c, &olivia, NOW, a, &err), RL_OK);
    assert_int_equal(f->p.resources->n_costs, 1);
    assert_int_equal(before.resources->n_costs, 0); /* a new Resources, the old one untouched */
    note[0] = 'X';
    const Riskline__V1__Cost *got = f->p.resources->costs[0];
    assert_string_equal(got->note, "licences");
    assert_string_equal(got->date, "2026-02-01");
    assert_string_equal(got->recorded_by, "olivia");
    assert_int_equal(got->recorded_at_ms, NOW);
    assert_int_equal(got->amount_minor, 400);
    c.amount_minor = 600;
    assert_int_equal(plan_add_cost(&f->p, &c, &olivia, NOW, a, &err), RL_OK);
    plan_derive(&f->p);
    assert_int_equal(f->p.resources->spent_minor, 1000);
    assert_false(f->p.resources->over_budget); /* spent == budget */
    c.amount_minor = 1;
    assert_int_equal(plan_add_cost(&f->p, &c, &olivia, NOW, a, &err), RL_OK);
    plan_derive(&f->p);
    assert_int_equal(f->p.resources->n_costs, 3);
    assert_int_equal(f->p.resources->spent_minor, 1001);
    assert_true(f->p.resources->over_budget);
    assert_int_equal(f->p.resources->costs[2]->amount_minor, 1);
    free(f);
}

static void test_cost_refusals(void **state)
{
    rl_arena_t *a = *state;
    rl_principal_t olivia = OWNER();
    rl_error_t err;
    fx_t *f = fx_new();
    Riskline__V1__Cost c = RISKLINE__V1__COST__INIT;
    c.date = "2026-02-01";
    c.amount_minor = 5;
    expect_err(plan_add_cost(&f->p, NULL, &olivia, NOW, a, &err), &err, RL_ERR_INVALID, "cost", NULL);
    c.amount_minor = 0;
    expect_err(plan_add_cost(&f->p, &c, &olivia, NOW, a, &err), &err, RL_ERR_INVALID, "cost.amount_minor",
               "must be more than 0");
    c.amount_minor = -5;
    expect_err(plan_add_cost(&f->p, &c, &olivia, NOW, a, &err), &err, RL_ERR_INVALID, "cost.amount_minor", "-5");
    c.amount_minor = 5;
    c.date = "2026-02-30";
    expect_err(plan_add_cost(&f->p, &c, &olivia, NOW, a, &err), &err, RL_ERR_INVALID, "cost.date", "YYYY-MM-DD");
    c.date = NULL;
    expect_err(plan_add_cost(&f->p, &c, &olivia, NOW, a, &err), &err, RL_ERR_INVALID, "cost.date", "is required");
    c.date = "2026-02-01";
    memset(f->big, 'n', RL_MAX_TEXT + 1);
    f->big[RL_MAX_TEXT + 1] = '\0';
    c.note = f->big;
    expect_err(plan_add_cost(&f->p, &c, &olivia, NOW, a, &err), &err, RL_ERR_INVALID, "cost.note", NULL);
    c.note = "";
    /* no budget currency: nothing to count costs in */
    f->budget.currency = "";
    expect_err(plan_add_cost(&f->p, &c, &olivia, NOW, a, &err), &err, RL_ERR_CONFLICT, "resources.budget",
               "plan TP-3 has no budget");
    f->res.budget = NULL;
    expect_err(plan_add_cost(&f->p, &c, &olivia, NOW, a, &err), &err, RL_ERR_CONFLICT, "resources.budget", NULL);
    f->p.resources = NULL;
    expect_err(plan_add_cost(&f->p, &c, &olivia, NOW, a, &err), &err, RL_ERR_CONFLICT, "resources.budget", NULL);
    assert_null(f->p.resources);
    free(f);
}

static void test_cost_overflow(void **state)
{
    rl_arena_t *a = *state;
    rl_principal_t olivia = OWNER();
    rl_error_t err;
    fx_t *f = fx_new();
    f->budget.amount_minor = INT64_MAX;
    Riskline__V1__Cost c = RISKLINE__V1__COST__INIT;
    c.date = "2026-02-01";
    c.amount_minor = INT64_MAX - 10;
    assert_int_equal(plan_add_cost(&f->p, &c, &olivia, NOW, a, &err), RL_OK);
    c.amount_minor = 11;
    expect_err(plan_add_cost(&f->p, &c, &olivia, NOW, a, &err), &err, RL_ERR_INVALID, "cost.amount_minor",
               "would pass the largest amount");
    assert_int_equal(f->p.resources->n_costs, 1);
    c.amount_minor = 10; /* exactly INT64_MAX in total */
    assert_int_equal(plan_add_cost(&f->p, &c, &olivia, NOW, a, &err), RL_OK);
    plan_derive(&f->p);
    assert_int_equal(f->p.resources->spent_minor, INT64_MAX);
    assert_false(f->p.resources->over_budget);
    c.amount_minor = 1;
    expect_err(plan_add_cost(&f->p, &c, &olivia, NOW, a, &err), &err, RL_ERR_INVALID, "cost.amount_minor", NULL);
    c.amount_minor = INT64_MAX;
    expect_err(plan_add_cost(&f->p, &c, &olivia, NOW, a, &err), &err, RL_ERR_INVALID, "cost.amount_minor", NULL);
    assert_int_equal(f->p.resources->n_costs, 2);
    free(f);
}

/* --- patches ----------------------------------------------------------------------------------- */

static void test_patch_copies_masked(void **state)
{
    rl_arena_t *a = *state;
    rl_error_t err;
    fx_t *f = fx_new(), *g = fx_new();
    char title[] = "New title";
    g->p.title = title;
    g->p.option = TR(TRANSFER);
    g->p.transfer_party = "Insurer AG";
    g->p.rationale = "changed";
    g->residual.likelihood = 1;
    g->p.n_controls = 3;
    g->ctl[2].notes = "n";
    g->p.target_date = "2026-12-31";
    char *mask[] = {"title", "option", "transfer_party", "expected_residual", "controls", "target_date"};
    assert_int_equal(plan_apply_patch(&f->p, &g->p, mask, 6, a, &err), RL_OK);
    title[0] = 'X';
    g->residual.likelihood = 5;
    g->ctl_id[2][0] = 'X';
    assert_string_equal(f->p.title, "New title");
    assert_int_equal(f->p.option, TR(TRANSFER));
    assert_string_equal(f->p.transfer_party, "Insurer AG");
    assert_int_equal(f->p.expected_residual->likelihood, 1);
    assert_ptr_not_equal(f->p.expected_residual, &f->residual);
    assert_int_equal(f->residual.likelihood, 2); /* the old sub-message untouched */
    assert_int_equal(f->p.n_controls, 3);
    assert_string_equal(f->p.controls[2]->control_id, "C-3");
    assert_string_equal(f->p.controls[2]->notes, "n");
    assert_string_equal(f->p.target_date, "2026-12-31");
    /* not named: kept */
    assert_string_equal(f->p.rationale, "Reduces the likelihood of account takeover.\nSee the ISMS minutes.");
    assert_string_equal(f->p.risk_id, "R-1");
    /* a residual cleared by the patch */
    g->p.expected_residual = NULL;
    char *m2[] = {"expected_residual"};
    assert_int_equal(plan_apply_patch(&f->p, &g->p, m2, 1, a, &err), RL_OK);
    assert_null(f->p.expected_residual);
    free(f);
    free(g);
}

static void test_patch_resources(void **state)
{
    rl_arena_t *a = *state;
    rl_error_t err;
    rl_principal_t olivia = OWNER();
    fx_t *f = fx_new(), *g = fx_new();
    Riskline__V1__Cost c = RISKLINE__V1__COST__INIT;
    c.date = "2026-02-01";
    c.amount_minor = 50;
    assert_int_equal(plan_add_cost(&f->p, &c, &olivia, NOW, a, &err), RL_OK);
    plan_t before = f->p;
    g->budget.amount_minor = 250000;
    g->res.n_tools = 2;
    g->res.effort_days = 40;
    g->res.n_personnel = 2;
    g->res.n_costs = 0;
    char *all[] = {"resources"};
    assert_int_equal(plan_apply_patch(&f->p, &g->p, all, 1, a, &err), RL_OK);
    assert_ptr_not_equal(f->p.resources, before.resources);
    assert_int_equal(before.resources->budget->amount_minor, 100000);
    assert_int_equal(f->p.resources->budget->amount_minor, 250000);
    assert_string_equal(f->p.resources->budget->currency, "EUR");
    assert_int_equal(f->p.resources->n_tools, 2);
    assert_int_equal(f->p.resources->n_personnel, 2);
    assert_int_equal(f->p.resources->effort_days, 40);
    assert_int_equal(f->p.resources->n_costs, 1); /* costs stay */
    /* one part at a time */
    g->res.effort_days = 3;
    g->res.n_tools = 0;
    char *eff[] = {"resources.effort_days"};
    assert_int_equal(plan_apply_patch(&f->p, &g->p, eff, 1, a, &err), RL_OK);
    assert_int_equal(f->p.resources->effort_days, 3);
    assert_int_equal(f->p.resources->n_tools, 2);
    char *tools[] = {"resources.tools", "resources.personnel"};
    g->res.n_personnel = 0;
    assert_int_equal(plan_apply_patch(&f->p, &g->p, tools, 2, a, &err), RL_OK);
    assert_int_equal(f->p.resources->n_tools, 0);
    assert_int_equal(f->p.resources->n_personnel, 0);
    assert_int_equal(f->p.resources->budget->amount_minor, 250000);
    /* a plan without resources gets some */
    fx_t *h = fx_new();
    h->p.resources = NULL;
    char *bud[] = {"resources.budget"};
    assert_int_equal(plan_apply_patch(&h->p, &g->p, bud, 1, a, &err), RL_OK);
    assert_non_null(h->p.resources);
    assert_int_equal(h->p.resources->budget->amount_minor, 250000);
    free(f);
    free(g);
    free(h);
}

static void test_patch_currency_mismatch(void **state)
{
    rl_arena_t *a = *state;
    rl_error_t err;
    rl_principal_t olivia = OWNER();
    fx_t *f = fx_new(), *g = fx_new();
    char *bud[] = {"resources.budget"};
    /* without costs the currency may change */
    g->budget.currency = "USD";
    assert_int_equal(plan_apply_patch(&f->p, &g->p, bud, 1, a, &err), RL_OK);
    assert_string_equal(f->p.resources->budget->currency, "USD");
    Riskline__V1__Cost c = RISKLINE__V1__COST__INIT;
    c.date = "2026-02-01";
    c.amount_minor = 50;
    assert_int_equal(plan_add_cost(&f->p, &c, &olivia, NOW, a, &err), RL_OK);
    /* with costs in USD, not any more */
    g->budget.currency = "EUR";
    expect_err(plan_apply_patch(&f->p, &g->p, bud, 1, a, &err), &err, RL_ERR_INVALID,
               "plan.resources.budget.currency", "costs are recorded in USD: the budget currency cannot change");
    char *all[] = {"resources"};
    expect_err(plan_apply_patch(&f->p, &g->p, all, 1, a, &err), &err, RL_ERR_INVALID,
               "plan.resources.budget.currency", "currency mismatch");
    g->p.resources = NULL;
    expect_err(plan_apply_patch(&f->p, &g->p, all, 1, a, &err), &err, RL_ERR_INVALID, "plan.resources.budget",
               "may change but not go");
    assert_string_equal(f->p.resources->budget->currency, "USD");
    /* the same currency, another amount: fine */
    g->p.resources = &g->res;
    g->budget.currency = "USD";
    g->budget.amount_minor = 7;
    assert_int_equal(plan_apply_patch(&f->p, &g->p, bud, 1, a, &err), RL_OK);
    assert_int_equal(f->p.resources->budget->amount_minor, 7);
    free(f);
    free(g);
}

static void test_patch_refuses(void **state)
{
    rl_arena_t *a = *state;
    rl_error_t err;
    fx_t *f = fx_new(), *g = fx_new();
    static const char *const fixed[] = {"id", "risk_id", "state", "held_from", "approval", "verification",
                                        "acceptance", "milestones", "next_milestone", "progress_pct", "version",
                                        "created_at_ms", "created_by", "updated_at_ms", "updated_by",
                                        "resources.costs", "resources.spent_minor", "resources.over_budget"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        char *mask[] = {"title", (char *)fixed[i]};
        rl_error_clear(&err);
        rl_err_t rc = plan_apply_patch(&f->p, &g->p, mask, 2, a, &err);
        char want[64];
        snprintf(want, sizeof want, "entry 1: %s ", fixed[i]);
        expect_err(rc, &err, RL_ERR_INVALID, "update_mask", want);
    }
    char *unknown[] = {"titel"};
    expect_err(plan_apply_patch(&f->p, &g->p, unknown, 1, a, &err), &err, RL_ERR_INVALID, "update_mask",
               "entry 0 does not name a field that can be changed");
    assert_null(strstr(err.message, "titel")); /* client bytes not echoed */
    char *null_entry[] = {NULL};
    expect_err(plan_apply_patch(&f->p, &g->p, null_entry, 1, a, &err), &err, RL_ERR_INVALID, "update_mask", NULL);
    expect_err(plan_apply_patch(&f->p, &g->p, NULL, 0, a, &err), &err, RL_ERR_INVALID, "update_mask",
               "names no field");
    char *many[RL_MAX_UPDATE_MASK + 1];
    for (size_t i = 0; i < RL_MAX_UPDATE_MASK + 1; i++)
        many[i] = "title";
    expect_err(plan_apply_patch(&f->p, &g->p, many, RL_MAX_UPDATE_MASK + 1, a, &err), &err, RL_ERR_INVALID,
               "update_mask", "over the limit");
    assert_int_equal(plan_apply_patch(&f->p, &g->p, many, RL_MAX_UPDATE_MASK, a, &err), RL_OK);
    free(f);
    free(g);
}

/* --- material changes -------------------------------------------------------------------------- */

/* An approved plan (version 7) and a copy to change: `after` shares the approval, as a shallow
 * copy of a decoded plan would. */
typedef struct {
    fx_t *f, *g;
    plan_policy_t pol;
} mc_t;

static mc_t mc_new(void)
{
    mc_t m;
    m.f = fx_new();
    m.g = fx_new();
    m.f->p.state = m.g->p.state = ST(APPROVED);
    m.f->p.approval = m.g->p.approval = &m.f->approval;
    m.pol = policy();
    return m;
}

static void mc_free(mc_t *m)
{
    free(m->f);
    free(m->g);
}

static void expect_material(rl_arena_t *a, mc_t *m, const char *reason)
{
    int r = plan_check_material_change(&m->f->p, &m->g->p, &m->pol, a);
    if (!reason) {
        if (r != 0)
            fail_msg("expected no material change, got \"%s\"", m->g->p.approval->outdated_reason);
        assert_false(m->g->p.approval->outdated);
        assert_int_equal(m->g->p.state, ST(APPROVED));
        return;
    }
    if (r != 1)
        fail_msg("expected a material change (%s), got none", reason);
    assert_true(m->g->p.approval->outdated);
    assert_string_equal(m->g->p.approval->outdated_reason, reason);
    assert_false(m->f->approval.outdated); /* the approval before is not changed */
    assert_int_equal(m->g->p.approval->plan_version, 7);
    assert_string_equal(m->g->p.approval->approver, "adam");
    assert_int_equal(m->g->p.state, ST(SUBMITTED));
}

static void test_material_each_field(void **state)
{
    rl_arena_t *a = *state;
    mc_t m = mc_new();
    expect_material(a, &m, NULL);
    m.g->p.option = TR(TRANSFER);
    expect_material(a, &m, "option reduce -> transfer");
    mc_free(&m);

    m = mc_new();
    m.g->p.n_controls = 3; /* C-3 added */
    expect_material(a, &m, "controls added C-3");
    mc_free(&m);
    m = mc_new();
    m.g->p.controls = m.g->ctlp + 1; /* A.5.1 removed, C-3 added */
    expect_material(a, &m, "controls added C-3, removed A.5.1");
    mc_free(&m);
    m = mc_new();
    m.g->p.n_controls = 1;
    expect_material(a, &m, "controls removed A.8.7");
    mc_free(&m);

    m = mc_new();
    m.g->p.target_date = "2026-09-30";
    expect_material(a, &m, "target date 2026-06-30 -> 2026-09-30");
    mc_free(&m);
    m = mc_new();
    m.g->p.target_date = "";
    expect_material(a, &m, "target date 2026-06-30 -> none");
    mc_free(&m);

    m = mc_new();
    m.g->residual.impact = 3;
    expect_material(a, &m, "expected residual 2x2 -> 2x3");
    mc_free(&m);
    m = mc_new();
    m.g->p.expected_residual = NULL;
    expect_material(a, &m, "expected residual 2x2 -> none");
    mc_free(&m);

    m = mc_new();
    m.g->budget.currency = "USD";
    expect_material(a, &m, "budget currency EUR -> USD");
    mc_free(&m);
    m = mc_new();
    m.g->p.resources = NULL;
    expect_material(a, &m, "budget currency EUR -> none");
    mc_free(&m);

    /* several at once, in one reason */
    m = mc_new();
    m.g->p.option = TR(AVOID);
    m.g->p.target_date = "2027-01-31";
    m.g->budget.amount_minor = 200000;
    expect_material(a, &m, "option reduce -> avoid; target date 2026-06-30 -> 2027-01-31; budget up 100% (> 10%): "
                           "100000 -> 200000");
    mc_free(&m);
}

static void test_material_not(void **state)
{
    rl_arena_t *a = *state;
    mc_t m = mc_new();
    m.g->p.title = "Another title";
    m.g->p.rationale = "more words";
    m.g->p.treatment_owner = "oscar";
    m.g->p.start_date = "2026-02-01";
    m.g->res.n_personnel = 3;
    m.g->res.n_tools = 0;
    m.g->res.effort_days = 99;
    m.g->p.transfer_reference = "POL-1";
    m.g->ctl[0].status = IS(IMPLEMENTED); /* control progress is not a change of the plan */
    m.g->ctl[1].notes = "deployed to 80%";
    m.g->budget.amount_minor = 50000;     /* budget down */
    expect_material(a, &m, NULL);
    /* the same controls in another order */
    m.g->ctlp[0] = &m.g->ctl[1];
    m.g->ctlp[1] = &m.g->ctl[0];
    expect_material(a, &m, NULL);
    mc_free(&m);

    /* no approval, or one outdated already: nothing to mark */
    m = mc_new();
    m.g->p.approval = NULL;
    m.g->p.option = TR(AVOID);
    assert_int_equal(plan_check_material_change(&m.f->p, &m.g->p, &m.pol, a), 0);
    assert_int_equal(m.g->p.state, ST(APPROVED));
    m.g->p.approval = &m.g->approval;
    m.g->approval.outdated = 1;
    m.g->approval.outdated_reason = "first reason";
    assert_int_equal(plan_check_material_change(&m.f->p, &m.g->p, &m.pol, a), 0);
    assert_string_equal(m.g->p.approval->outdated_reason, "first reason");
    mc_free(&m);
}

static void test_material_budget_threshold(void **state)
{
    rl_arena_t *a = *state;
    static const struct {
        int64_t before, after;
        uint32_t pct;
        const char *reason; /* NULL: not material */
    } cases[] = {
        {100000, 110000, 10, NULL},                                       /* exactly 10%: not more */
        {100000, 110001, 10, "budget up 10.1% (> 10%): 100000 -> 110001"}, /* rounded up, never "10%" */
        {100000, 125000, 10, "budget up 25% (> 10%): 100000 -> 125000"},
        {100000, 125000, 25, NULL},
        {100000, 125001, 25, "budget up 25.1% (> 25%): 100000 -> 125001"},
        {100000, 100001, 0, "budget up 0.1% (> 0%): 100000 -> 100001"},
        {100000, 100000, 0, NULL},
        {3, 4, 33, "budget up 33.4% (> 33%): 3 -> 4"},
        {0, 1, 10, "budget up from 0 to 1 (> 10%)"},
        {0, 0, 10, NULL},
        {100000, 0, 10, NULL},
        /* near INT64_MAX: exact, no overflow */
        {INT64_MAX / 2, INT64_MAX, 10, "budget up 100% (> 10%): 4611686018427387903 -> 9223372036854775807"},
        {INT64_MAX - 1, INT64_MAX, 10, NULL},
        {INT64_MAX / 11 * 10, INT64_MAX / 11 * 11, 10, NULL},
        {INT64_MAX / 11 * 10, INT64_MAX / 11 * 11 + 1, 10, "*"},
        {INT64_MAX / 2 + 1, INT64_MAX, 100, NULL}, /* up by one less than before */
        {INT64_MAX / 2, INT64_MAX, 100, "*"},      /* up by one more than before */
        /* both products pass 2^64: 200000000000 x 4294967295 == 8589934590000000000 x 100 */
        {200000000000LL, 8589934790000000000LL, UINT32_MAX, NULL},
        {200000000000LL, 8589934790000000001LL, UINT32_MAX, "*"},
        {1000000000000LL, INT64_MAX, UINT32_MAX, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mc_t m = mc_new();
        m.f->budget.amount_minor = cases[i].before;
        m.g->budget.amount_minor = cases[i].after;
        m.pol.reapproval_budget_pct = cases[i].pct;
        int r = plan_check_material_change(&m.f->p, &m.g->p, &m.pol, a);
        if (r != (cases[i].reason != NULL))
            fail_msg("case %zu: %lld -> %lld at %u%%: material %d", i, (long long)cases[i].before,
                     (long long)cases[i].after, cases[i].pct, r);
        if (cases[i].reason && strcmp(cases[i].reason, "*") != 0)
            assert_string_equal(m.g->p.approval->outdated_reason, cases[i].reason);
        mc_free(&m);
    }
}

static void test_material_states(void **state)
{
    rl_arena_t *a = *state;
    /* in progress: keeps running, flagged */
    mc_t m = mc_new();
    m.g->p.state = ST(IN_PROGRESS);
    m.g->p.option = TR(ACCEPT);
    assert_int_equal(plan_check_material_change(&m.f->p, &m.g->p, &m.pol, a), 1);
    assert_int_equal(m.g->p.state, ST(IN_PROGRESS));
    assert_true(m.g->p.approval->outdated);
    mc_free(&m);
    /* on hold from approved: resumes to submitted */
    m = mc_new();
    m.g->p.state = ST(ON_HOLD);
    m.g->p.held_from = ST(APPROVED);
    m.g->p.target_date = "2026-07-01";
    assert_int_equal(plan_check_material_change(&m.f->p, &m.g->p, &m.pol, a), 1);
    assert_int_equal(m.g->p.state, ST(ON_HOLD));
    assert_int_equal(m.g->p.held_from, ST(SUBMITTED));
    mc_free(&m);
    /* and then start is refused until re-approved */
    m = mc_new();
    m.g->p.option = TR(AVOID);
    assert_int_equal(plan_check_material_change(&m.f->p, &m.g->p, &m.pol, a), 1);
    rl_principal_t adam = APPROVER(), olivia = OWNER();
    rl_error_t err;
    plan_transition_t t = tr(AC(START), NULL);
    expect_err(plan_transition(&m.g->p, &t, &olivia, NOW, a, &err), &err, RL_ERR_CONFLICT, "state",
               "plan TP-3 is submitted; start needs approved");
    m.g->p.version = 8;
    t = tr(AC(APPROVE), "re-approved");
    assert_int_equal(plan_transition(&m.g->p, &t, &adam, NOW, a, &err), RL_OK);
    assert_false(m.g->p.approval->outdated);
    assert_int_equal(m.g->p.approval->plan_version, 8);
    mc_free(&m);
}

/* --- milestones -------------------------------------------------------------------------------- */

static void test_milestone_validate(void **state)
{
    (void)state;
    rl_error_t err;
    fx_t *f = fx_new();
    fx_milestones(f, 3);
    plan_milestone_t *m = &f->ms[2];
    dep(f, 3, 1);
    dep(f, 3, 2);
    m->evidence = f->evp;
    m->n_evidence = 2;
    f->ev[1].sha256 = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";
    assert_int_equal(plan_milestone_validate(&f->p, m, &err), RL_OK);
    /* a new milestone (no id yet) with dependencies */
    plan_milestone_t n = f->ms[5];
    n.id = "";
    n.depends_on = f->deps[2];
    n.n_depends_on = 2;
    assert_int_equal(plan_milestone_validate(&f->p, &n, &err), RL_OK);

    static const struct {
        const char *what, *field, *needle;
    } cases[] = {
        {"no title", "milestone.title", "is required"},
        {"no owner", "milestone.owner", "is required"},
        {"no due date", "milestone.due_date", "is required"},
        {"bad due date", "milestone.due_date", "YYYY-MM-DD"},
        {"empty uri", "milestone.evidence[1].uri", "is required"},
        {"1001-byte uri", "milestone.evidence[0].uri", "over the limit of 1000"},
        {"short sha256", "milestone.evidence[1].sha256", "64 hex"},
        {"non-hex sha256", "milestone.evidence[1].sha256", "64 hex"},
        {"21 evidence", "milestone.evidence", "over the limit of 20"},
        {"status 9", "milestone.status", "unknown status 9"},
        {"1001-byte waive reason", "milestone.waive_reason", NULL},
        {"self dependency", "milestone.depends_on[1]", "M-3 cannot depend on itself"},
        {"unknown dependency", "milestone.depends_on[0]", "names no milestone of plan TP-3"},
        {"duplicate dependency", "milestone.depends_on[1]", "repeats milestone.depends_on[0]"},
        {"21 dependencies", "milestone.depends_on", "over the limit of 20"},
        {"done before its dependency", "milestone.depends_on[0]", "M-3 is done and cannot depend on M-1"},
    };
    static char long_uri[RL_MAX_URI + 2];
    memset(long_uri, 'u', RL_MAX_URI + 1);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        fx_t *g = fx_new();
        fx_milestones(g, 3);
        plan_milestone_t *x = &g->ms[2];
        dep(g, 3, 1);
        x->evidence = g->evp;
        x->n_evidence = 2;
        switch (k) {
        case 0: x->title = NULL; break;
        case 1: x->owner = ""; break;
        case 2: x->due_date = NULL; break;
        case 3: x->due_date = "31.03.2026"; break;
        case 4: g->ev[1].uri = ""; break;
        case 5: g->ev[0].uri = long_uri; break;
        case 6: g->ev[1].sha256 = "abc123"; break;
        case 7: g->ev[1].sha256 = "zz86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"; break;
        case 8: x->n_evidence = RL_MAX_EVIDENCE + 1; break;
        case 9: x->status = (Riskline__V1__MilestoneStatus)9; break;
        case 10: memset(g->big, 'w', RL_MAX_TEXT + 1); g->big[RL_MAX_TEXT + 1] = '\0'; x->waive_reason = g->big; break;
        case 11: dep(g, 3, 3); break;
        case 12: x->depends_on[0] = "M-9"; break;
        case 13: dep(g, 3, 1); break;
        case 14:
            for (size_t i = 0; i < RL_MAX_MILESTONE_DEPS; i++)
                dep(g, 3, 1 + i % 2);
            break;
        default: x->status = MS(DONE); break;
        }
        rl_error_clear(&err);
        expect_err(plan_milestone_validate(&g->p, x, &err), &err, RL_ERR_INVALID, cases[k].field, cases[k].needle);
        free(g);
    }
    /* done after its dependency is settled: fine */
    f->ms[0].status = MS(DONE);
    f->ms[1].status = MS(WAIVED);
    m->status = MS(DONE);
    assert_int_equal(plan_milestone_validate(&f->p, m, &err), RL_OK);
    free(f);
}

static void test_milestone_cycles(void **state)
{
    (void)state;
    rl_error_t err;
    fx_t *f = fx_new();
    fx_milestones(f, 4);
    dep(f, 2, 1); /* M-2 -> M-1 */
    dep(f, 3, 2); /* M-3 -> M-2 */
    /* changed M-1 to depend on M-3: M-1 -> M-3 -> M-2 -> M-1 */
    plan_milestone_t m1 = f->ms[0];
    char *d[] = {"M-4", "M-3"};
    m1.depends_on = d;
    m1.n_depends_on = 2;
    expect_err(plan_milestone_validate(&f->p, &m1, &err), &err, RL_ERR_INVALID, "milestone.depends_on",
               "would form a cycle: M-1 -> M-3 -> M-2 -> M-1");
    /* two milestones on each other */
    plan_milestone_t m2 = f->ms[1];
    char *d2[] = {"M-1", "M-3"};
    m2.depends_on = d2;
    m2.n_depends_on = 2;
    expect_err(plan_milestone_validate(&f->p, &m2, &err), &err, RL_ERR_INVALID, "milestone.depends_on",
               "would form a cycle: M-2 -> M-3 -> M-2");
    /* a diamond is no cycle */
    dep(f, 4, 2);
    dep(f, 4, 3);
    plan_milestone_t m4 = f->ms[3];
    assert_int_equal(plan_milestone_validate(&f->p, &m4, &err), RL_OK);
    /* the stored graph is not changed by the check */
    assert_int_equal(f->ms[0].n_depends_on, 0);
    free(f);
}

static void test_milestone_limit(void **state)
{
    (void)state;
    rl_error_t err;
    fx_t *f = fx_new();
    plan_milestone_t *many[RL_MAX_MILESTONES + 1];
    for (size_t i = 0; i < RL_MAX_MILESTONES + 1; i++)
        many[i] = &f->ms[i % 2];
    f->p.milestones = many;
    f->p.n_milestones = RL_MAX_MILESTONES;
    plan_milestone_t n = f->ms[5];
    n.id = "";
    expect_err(plan_milestone_validate(&f->p, &n, &err), &err, RL_ERR_INVALID, "milestone",
               "has 100 milestones, the limit");
    f->p.n_milestones = RL_MAX_MILESTONES - 1;
    assert_int_equal(plan_milestone_validate(&f->p, &n, &err), RL_OK);
    free(f);
}

static void test_milestone_status(void **state)
{
    rl_arena_t *a = *state;
    rl_error_t err;
    rl_principal_t peter = principal("peter", RL_ROLE_TREATMENT_OWNER);
    fx_t *f = fx_new();
    fx_milestones(f, 3);
    dep(f, 2, 1);
    dep(f, 3, 2);
    /* done before its dependency: refused, naming it */
    expect_err(plan_milestone_set_status(&f->p, &f->ms[1], MS(DONE), NULL, &peter, NOW, a, &err), &err,
               RL_ERR_CONFLICT, "status", "M-2 depends on M-1, which is pending: finish or waive it first");
    assert_int_equal(f->ms[1].status, MS(PENDING));
    assert_int_equal(f->ms[1].completed_at_ms, 0);
    /* waived needs a reason */
    expect_err(plan_milestone_set_status(&f->p, &f->ms[0], MS(WAIVED), "", &peter, NOW, a, &err), &err,
               RL_ERR_INVALID, "reason", "a reason is required to waive M-1");
    char reason[] = "covered by group policy";
    assert_int_equal(plan_milestone_set_status(&f->p, &f->ms[0], MS(WAIVED), reason, &peter, NOW, a, &err), RL_OK);
    reason[0] = 'X';
    assert_string_equal(f->ms[0].waive_reason, "covered by group policy");
    /* a waived dependency lets the next one be done, recording who and when */
    assert_int_equal(plan_milestone_set_status(&f->p, &f->ms[1], MS(DONE), NULL, &peter, NOW + 9, a, &err), RL_OK);
    assert_int_equal(f->ms[1].status, MS(DONE));
    assert_int_equal(f->ms[1].completed_at_ms, NOW + 9);
    peter.name[0] = 'X';
    assert_string_equal(f->ms[1].completed_by, "peter");
    /* done again keeps the first completion */
    assert_int_equal(plan_milestone_set_status(&f->p, &f->ms[1], MS(DONE), NULL, &peter, NOW + 99, a, &err), RL_OK);
    assert_int_equal(f->ms[1].completed_at_ms, NOW + 9);
    assert_int_equal(plan_milestone_set_status(&f->p, &f->ms[2], MS(DONE), NULL, &peter, NOW, a, &err), RL_OK);
    /* a settled milestone is not reopened under a done one */
    expect_err(plan_milestone_set_status(&f->p, &f->ms[1], MS(IN_PROGRESS), NULL, &peter, NOW, a, &err), &err,
               RL_ERR_CONFLICT, "status", "M-3 (done) depends on M-2: reopen M-3 first");
    expect_err(plan_milestone_set_status(&f->p, &f->ms[0], MS(PENDING), NULL, &peter, NOW, a, &err), &err,
               RL_ERR_CONFLICT, "status", "M-2 (done) depends on M-1");
    /* top down it works, and reopening clears the completion */
    assert_int_equal(plan_milestone_set_status(&f->p, &f->ms[2], MS(MISSED), NULL, &peter, NOW, a, &err), RL_OK);
    assert_int_equal(f->ms[2].completed_at_ms, 0);
    assert_string_equal(f->ms[2].completed_by, "");
    assert_int_equal(plan_milestone_set_status(&f->p, &f->ms[1], MS(PENDING), NULL, &peter, NOW, a, &err), RL_OK);
    assert_int_equal(plan_milestone_set_status(&f->p, &f->ms[0], MS(PENDING), NULL, &peter, NOW, a, &err), RL_OK);
    assert_string_equal(f->ms[0].waive_reason, "");
    /* unknown statuses and dangling dependencies */
    expect_err(plan_milestone_set_status(&f->p, &f->ms[0], MS(UNSPECIFIED), NULL, &peter, NOW, a, &err), &err,
               RL_ERR_INVALID, "status", NULL);
    expect_err(plan_milestone_set_status(&f->p, &f->ms[0], (Riskline__V1__MilestoneStatus)6, NULL, &peter, NOW, a,
                                         &err),
               &err, RL_ERR_INVALID, "status", NULL);
    f->ms[0].depends_on[0] = "M-77";
    f->ms[0].n_depends_on = 1;
    expect_err(plan_milestone_set_status(&f->p, &f->ms[0], MS(DONE), NULL, &peter, NOW, a, &err), &err,
               RL_ERR_CONFLICT, "status", "does not exist");
    /* find */
    assert_ptr_equal(plan_milestone_find(&f->p, "M-2"), &f->ms[1]);
    assert_null(plan_milestone_find(&f->p, "M-4"));
    assert_null(plan_milestone_find(&f->p, ""));
    assert_null(plan_milestone_find(&f->p, NULL));
    free(f);
}

/* --- acceptance -------------------------------------------------------------------------------- */

typedef struct {
    plan_risk_t r;
    Riskline__V1__Rating inherent, residual;
    Riskline__V1__Acceptance a;
} acc_t;

static void acc_init(acc_t *x)
{
    riskline__v1__risk__init(&x->r);
    riskline__v1__rating__init(&x->inherent);
    riskline__v1__rating__init(&x->residual);
    riskline__v1__acceptance__init(&x->a);
    x->r.id = "R-1";
    x->r.owner = "rita";
    x->inherent.likelihood = 4;
    x->inherent.impact = 4; /* 16 */
    x->residual.likelihood = 2;
    x->residual.impact = 2; /* 4 */
    x->r.inherent = &x->inherent;
    x->r.residual = &x->residual;
    x->a.justification = "cost of further treatment exceeds the loss expectancy";
    x->a.expires = "2026-03-02";
}

static void test_acceptance(void **state)
{
    rl_arena_t *a = *state;
    plan_criteria_t c = defaults();
    plan_policy_t pol = policy();
    rl_principal_t rita = principal("rita", RL_ROLE_RISK_OWNER), root = ADMIN();
    const int64_t today = day("2026-03-01");
    rl_error_t err;
    acc_t x;
    acc_init(&x);
    assert_int_equal(plan_acceptance_check(&x.a, &x.r, &c, &pol, &rita, today, NOW, a, &err), RL_OK);
    assert_int_equal(x.a.score, 4);
    assert_false(x.a.above_appetite);
    assert_string_equal(x.a.accepted_by, "rita");
    assert_string_equal(x.a.risk_id, "R-1");
    assert_string_equal(x.a.approver, "");
    assert_int_equal(x.a.at_ms, NOW);

    /* owner only: not an admin, not anyone else */
    acc_init(&x);
    expect_err(plan_acceptance_check(&x.a, &x.r, &c, &pol, &root, today, NOW, a, &err), &err, RL_ERR_FORBIDDEN,
               "accepted_by", "risk R-1 is accepted by its risk owner (rita), ISO/IEC 27001 6.1.3 f; root is not");
    assert_int_equal(x.a.score, 0);
    /* justification */
    x.a.justification = "";
    expect_err(plan_acceptance_check(&x.a, &x.r, &c, &pol, &rita, today, NOW, a, &err), &err, RL_ERR_INVALID,
               "justification", "is required");
    x.a.justification = "ok";
    /* the expiry window: after today, within the maximum */
    static const struct {
        const char *expires;
        rl_err_t rc;
    } win[] = {{"2026-03-01", RL_ERR_INVALID}, {"2026-02-28", RL_ERR_INVALID}, {"2026-03-02", RL_OK},
               {"2027-03-01", RL_OK},          {"2027-03-02", RL_ERR_INVALID}, {"", RL_ERR_INVALID},
               {"2027-02-29", RL_ERR_INVALID}, {NULL, RL_ERR_INVALID}};
    for (size_t i = 0; i < sizeof win / sizeof win[0]; i++) {
        x.a.expires = (char *)win[i].expires;
        rl_error_clear(&err);
        rl_err_t rc = plan_acceptance_check(&x.a, &x.r, &c, &pol, &rita, today, NOW, a, &err);
        if (rc != win[i].rc || (rc && strcmp(err.field, "expires") != 0))
            fail_msg("expires %s: got %s on %s", win[i].expires ? win[i].expires : "(null)", rl_strerror(rc),
                     err.field);
    }
    x.a.expires = "2026-04-01";
    pol.max_acceptance_days = 30;
    expect_err(plan_acceptance_check(&x.a, &x.r, &c, &pol, &rita, today, NOW, a, &err), &err, RL_ERR_INVALID,
               "expires", "within 30 days");
    x.a.expires = "2026-03-31";
    assert_int_equal(plan_acceptance_check(&x.a, &x.r, &c, &pol, &rita, today, NOW, a, &err), RL_OK);
    pol = policy();

    /* above appetite (no residual: inherent 16 > 6) needs the approver role as well */
    acc_init(&x);
    x.r.residual = NULL;
    expect_err(plan_acceptance_check(&x.a, &x.r, &c, &pol, &rita, today, NOW, a, &err), &err, RL_ERR_FORBIDDEN,
               "approver", "score 16 of risk R-1 is above the acceptance threshold 6");
    rl_principal_t rita_approver = principal("rita", RL_ROLE_RISK_OWNER | RL_ROLE_APPROVER);
    assert_int_equal(plan_acceptance_check(&x.a, &x.r, &c, &pol, &rita_approver, today, NOW, a, &err), RL_OK);
    assert_true(x.a.above_appetite);
    assert_int_equal(x.a.score, 16);
    assert_string_equal(x.a.approver, "rita");
    acc_init(&x);
    x.r.residual = NULL;
    x.a.approver = "adam"; /* a second principal co-signed */
    assert_int_equal(plan_acceptance_check(&x.a, &x.r, &c, &pol, &rita, today, NOW, a, &err), RL_OK);
    assert_true(x.a.above_appetite);
    assert_string_equal(x.a.approver, "adam");
    /* exactly at the threshold is within appetite; 0/0 residual counts as unrated */
    acc_init(&x);
    x.residual.likelihood = 2;
    x.residual.impact = 3;
    assert_int_equal(plan_acceptance_check(&x.a, &x.r, &c, &pol, &rita, today, NOW, a, &err), RL_OK);
    assert_false(x.a.above_appetite);
    assert_int_equal(x.a.score, 6);
    x.residual.likelihood = x.residual.impact = 0;
    expect_err(plan_acceptance_check(&x.a, &x.r, &c, &pol, &rita, today, NOW, a, &err), &err, RL_ERR_FORBIDDEN,
               "approver", "score 16");
    /* archived risks are not accepted */
    acc_init(&x);
    x.r.archived = 1;
    expect_err(plan_acceptance_check(&x.a, &x.r, &c, &pol, &rita, today, NOW, a, &err), &err, RL_ERR_CONFLICT,
               "risk_id", "archived");
}

/* --- validate ---------------------------------------------------------------------------------- */

static void test_validate_ok(void **state)
{
    (void)state;
    plan_criteria_t c = defaults();
    rl_error_t err;
    fx_t *f = fx_new();
    rl_error_clear(&err);
    assert_int_equal(plan_validate(&f->p, &c, &err), RL_OK);
    /* limits, transfer with its party, equal dates, 0/0 residual, no resources */
    f->p.n_controls = RL_MAX_PLAN_CONTROLS;
    f->res.n_personnel = RL_MAX_PERSONNEL;
    f->res.n_tools = RL_MAX_TOOLS;
    f->p.option = TR(TRANSFER);
    f->p.transfer_party = "Insurer AG";
    f->p.target_date = "2026-01-01";
    f->residual.likelihood = f->residual.impact = 0;
    memset(f->big, 'r', RL_MAX_DESCRIPTION);
    f->big[RL_MAX_DESCRIPTION] = '\0';
    f->p.rationale = f->big;
    assert_int_equal(plan_validate(&f->p, &c, &err), RL_OK);
    f->p.expected_residual = NULL;
    f->p.resources = NULL;
    f->p.start_date = "";
    f->p.target_date = NULL;
    f->p.option = TR(ACCEPT);
    assert_int_equal(plan_validate(&f->p, &c, &err), RL_OK);
    /* a budget of 0 needs no currency; any budget with one is fine */
    f->p.resources = &f->res;
    f->budget.amount_minor = 0;
    f->budget.currency = "";
    assert_int_equal(plan_validate(&f->p, &c, &err), RL_OK);
    f->budget.currency = "JPY";
    assert_int_equal(plan_validate(&f->p, &c, &err), RL_OK);
    free(f);
}

static const struct {
    const char *what, *field;
} pv_cases[] = {
    {"no risk id", "plan.risk_id"},
    {"risk id not R-<n>", "plan.risk_id"},
    {"risk id R-0", "plan.risk_id"},
    {"no title", "plan.title"},
    {"201-byte title", "plan.title"},
    {"control character in title", "plan.title"},
    {"invalid UTF-8 in title", "plan.title"},
    {"no option", "plan.option"},
    {"option 99", "plan.option"},
    {"no treatment owner", "plan.treatment_owner"},
    {"129-byte treatment owner", "plan.treatment_owner"},
    {"no approver", "plan.approver"},
    {"129-byte approver", "plan.approver"},
    {"approver is the owner", "plan.approver"},
    {"4001-byte rationale", "plan.rationale"},
    {"transfer without party", "plan.transfer_party"},
    {"201-byte transfer party", "plan.transfer_party"},
    {"201-byte transfer reference", "plan.transfer_reference"},
    {"bad start date", "plan.start_date"},
    {"bad target date", "plan.target_date"},
    {"target before start", "plan.target_date"},
    {"residual likelihood 6", "plan.expected_residual.likelihood"},
    {"residual 3/0", "plan.expected_residual.impact"},
    {"129 controls", "plan.controls"},
    {"empty control id", "plan.controls[1].control_id"},
    {"33-byte control id", "plan.controls[0].control_id"},
    {"duplicate control", "plan.controls[1].control_id"},
    {"control status unspecified", "plan.controls[0].status"},
    {"control status verified", "plan.controls[1].status"},
    {"1001-byte control notes", "plan.controls[0].notes"},
    {"negative budget", "plan.resources.budget.amount_minor"},
    {"amount without currency", "plan.resources.budget.currency"},
    {"lower-case currency", "plan.resources.budget.currency"},
    {"4-letter currency", "plan.resources.budget.currency"},
    {"51 people", "plan.resources.personnel"},
    {"empty person", "plan.resources.personnel[0].person"},
    {"129-byte role", "plan.resources.personnel[0].role"},
    {"51 tools", "plan.resources.tools"},
    {"empty tool", "plan.resources.tools[0]"},
};
#define PV_COUNT (sizeof pv_cases / sizeof pv_cases[0])

static void pv_mutate(fx_t *f, size_t k)
{
    static char name129[RL_MAX_NAME + 2], title201[RL_MAX_TITLE + 2];
    memset(name129, 'n', RL_MAX_NAME + 1);
    memset(title201, 't', RL_MAX_TITLE + 1);
    switch (k) {
    case 0: f->p.risk_id = NULL; break;
    case 1: f->p.risk_id = "TP-1"; break;
    case 2: f->p.risk_id = "R-0"; break;
    case 3: f->p.title = ""; break;
    case 4: f->p.title = title201; break;
    case 5: f->p.title = "tab\tin a title"; break;
    case 6: f->p.title = "bad \xff bytes"; break;
    case 7: f->p.option = TR(UNSPECIFIED); break;
    case 8: f->p.option = (Riskline__V1__Treatment)99; break;
    case 9: f->p.treatment_owner = NULL; break;
    case 10: f->p.treatment_owner = name129; break;
    case 11: f->p.approver = ""; break;
    case 12: f->p.approver = name129; break;
    case 13: f->p.approver = "olivia"; break;
    case 14: memset(f->big, 'r', RL_MAX_DESCRIPTION + 1); f->big[RL_MAX_DESCRIPTION + 1] = '\0'; f->p.rationale = f->big; break;
    case 15: f->p.option = TR(TRANSFER); f->p.transfer_party = ""; break;
    case 16: f->p.transfer_party = title201; break;
    case 17: f->p.transfer_reference = title201; break;
    case 18: f->p.start_date = "2026-13-01"; break;
    case 19: f->p.target_date = "soon"; break;
    case 20: f->p.target_date = "2025-12-31"; break;
    case 21: f->residual.likelihood = 6; break;
    case 22: f->residual.likelihood = 3; f->residual.impact = 0; break;
    case 23: f->p.n_controls = RL_MAX_PLAN_CONTROLS + 1; break;
    case 24: f->ctl_id[1][0] = '\0'; break;
    case 25: f->p.controls[0]->control_id = title201 + RL_MAX_TITLE - RL_MAX_ENTITY_ID; break;
    case 26: snprintf(f->ctl_id[1], sizeof f->ctl_id[1], "A.5.1"); break;
    case 27: f->ctl[0].status = IS(UNSPECIFIED); break;
    case 28: f->ctl[1].status = IS(VERIFIED); break;
    case 29: memset(f->big, 'x', RL_MAX_TEXT + 1); f->big[RL_MAX_TEXT + 1] = '\0'; f->ctl[0].notes = f->big; break;
    case 30: f->budget.amount_minor = -1; break;
    case 31: f->budget.currency = ""; break;
    case 32: f->budget.currency = "eur"; break;
    case 33: f->budget.currency = "EURO"; break;
    case 34: f->res.n_personnel = RL_MAX_PERSONNEL + 1; break;
    case 35: f->pers[0].person = ""; break;
    case 36: f->pers[0].role = name129; break;
    case 37: f->res.n_tools = RL_MAX_TOOLS + 1; break;
    case 38: f->tools[0] = ""; break;
    default: fail();
    }
}

static void test_validate_rejects(void **state)
{
    (void)state;
    plan_criteria_t c = defaults();
    for (size_t k = 0; k < PV_COUNT; k++) {
        fx_t *f = fx_new();
        pv_mutate(f, k);
        rl_error_t err;
        rl_error_clear(&err);
        rl_err_t rc = plan_validate(&f->p, &c, &err);
        if (rc != RL_ERR_INVALID || strcmp(err.field, pv_cases[k].field) != 0)
            fail_msg("%s: expected invalid_argument on %s, got %s on \"%s\"", pv_cases[k].what, pv_cases[k].field,
                     rl_strerror(rc), err.field);
        assert_true(err.message[0] != '\0');
        free(f);
    }
}

static void test_validate_messages(void **state)
{
    (void)state;
    plan_criteria_t c = defaults();
    rl_error_t err;
    fx_t *f = fx_new();
    f->p.approver = "olivia";
    expect_err(plan_validate(&f->p, &c, &err), &err, RL_ERR_INVALID, "plan.approver",
               "must not be the treatment owner (segregation of duties)");
    f->p.approver = "adam";
    snprintf(f->ctl_id[1], sizeof f->ctl_id[1], "A.5.1");
    expect_err(plan_validate(&f->p, &c, &err), &err, RL_ERR_INVALID, "plan.controls[1].control_id",
               "duplicates plan.controls[0]");
    snprintf(f->ctl_id[1], sizeof f->ctl_id[1], "A.8.7");
    f->p.target_date = "2025-12-31";
    expect_err(plan_validate(&f->p, &c, &err), &err, RL_ERR_INVALID, "plan.target_date",
               "must not be before the start date 2026-01-01");
    f->p.target_date = "2026-06-30";
    f->budget.currency = "";
    expect_err(plan_validate(&f->p, &c, &err), &err, RL_ERR_INVALID, "plan.resources.budget.currency",
               "when an amount is set");
    f->budget.currency = "EUR";
    /* the tenant's matrix decides */
    c.likelihood_levels = 3;
    f->residual.likelihood = 4;
    expect_err(plan_validate(&f->p, &c, &err), &err, RL_ERR_INVALID, "plan.expected_residual.likelihood",
               "must be 1..3");
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_defaults),
        cmocka_unit_test(test_names_and_parse),
        cmocka_unit_test(test_state_open),
        cmocka_unit_test(test_allowed_actions),
        cmocka_unit_test_setup_teardown(test_transition_table, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_transition_refusal_messages, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_transition_duties, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_segregation_messages, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_reasons_required, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_approve_records, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_start_needs_valid_approval, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_verify_effective_and_not, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_hold_resume_returns, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_close_milestones, setup_arena, teardown_arena),
        cmocka_unit_test(test_check_editor),
        cmocka_unit_test(test_derive_progress),
        cmocka_unit_test_setup_teardown(test_costs_and_over_budget, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_cost_refusals, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_cost_overflow, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_patch_copies_masked, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_patch_resources, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_patch_currency_mismatch, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_patch_refuses, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_material_each_field, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_material_not, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_material_budget_threshold, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_material_states, setup_arena, teardown_arena),
        cmocka_unit_test(test_milestone_validate),
        cmocka_unit_test(test_milestone_cycles),
        cmocka_unit_test(test_milestone_limit),
        cmocka_unit_test_setup_teardown(test_milestone_status, setup_arena, teardown_arena),
        cmocka_unit_test_setup_teardown(test_acceptance, setup_arena, teardown_arena),
        cmocka_unit_test(test_validate_ok),
        cmocka_unit_test(test_validate_rejects),
        cmocka_unit_test(test_validate_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
