/* test_integ_treatment.c: the treatment service with the register and real Redis: a plan's whole
 * lifecycle by its real actors (segregation of duties), milestones with dependencies and evidence,
 * costs, approval outdating, the SoA, acceptance, refused input writing nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>
#include <time.h>
#include <zmq.h>

#include "harness.h"
#include "harness_msg.h"

#define INVALID RISKLINE__V1__CODE__CODE_INVALID_ARGUMENT
#define CONFLICT RISKLINE__V1__CODE__CODE_CONFLICT
#define FORBIDDEN RISKLINE__V1__CODE__CODE_FORBIDDEN

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
    int st = harness_treatment_stop(h);
    harness_destroy(&h);
    return st == 0 ? 0 : -1;
}

/* One request to the treatment service as `who` (a key in keys_dir; NULL = the admin CLI key). */
static harness_env_t *as(harness_t *h, const char *who, harness_env_t *env)
{
    char key[600];
    snprintf(key, sizeof key, "%s/%s.key", h->keys_dir, who ? who : "cli");
    void *s = harness_dealer_to(h, h->treatment_endpoint, "treatment", key);
    assert_non_null(s);
    harness_env_prepare(h, env);
    harness_env_t *reply = NULL;
    if (harness_send_env(h, s, env) == 0)
        reply = harness_recv_env(s, 5000);
    zmq_close(s);
    if (!reply)
        fail_msg("no reply from the treatment service");
    return reply;
}

static void expect_ok(const harness_env_t *r, const char *what)
{
    if (harness_code(r) != 0)
        fail_msg("%s: %s", what, harness_reply_text(r));
}

static void expect_code(const harness_env_t *r, int code, const char *field, const char *text)
{
    if (harness_code(r) != code || strcmp(harness_field(r), field) || (text && !strstr(r->status->message, text)))
        fail_msg("wanted code %d field %s (\"%s\"), got %s", code, field, text ? text : "", harness_reply_text(r));
}

static harness_env_t *transition(harness_t *h, const char *who, uint64_t version, Riskline__V1__PlanAction action,
                                 const char *comment, int effective)
{
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__PlanTransition t = RISKLINE__V1__PLAN_TRANSITION__INIT;
    t.id = "TP-1";
    t.expected_version = version;
    t.action = action;
    t.comment = (char *)(comment ? comment : "");
    t.effective = effective;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_TRANSITION;
    env.plan_transition = &t;
    return as(h, who, &env);
}

static const Riskline__V1__Plan *plan_of(const harness_env_t *r)
{
    assert_int_equal(r->body_case, RISKLINE__V1__ENVELOPE__BODY_PLAN_RESULT);
    return r->plan_result->plan;
}

static harness_env_t *milestone(harness_t *h, const char *who, uint64_t version, const char *id,
                                Riskline__V1__MilestoneStatus status, const char *evidence)
{
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__MilestoneUpdate u = RISKLINE__V1__MILESTONE_UPDATE__INIT;
    Riskline__V1__Evidence ev = RISKLINE__V1__EVIDENCE__INIT;
    u.plan_id = "TP-1";
    u.milestone_id = (char *)id;
    u.expected_version = version;
    u.status = status;
    if (evidence) {
        ev.uri = (char *)evidence;
        ev.sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        u.evidence = &ev;
    }
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_MILESTONE_UPDATE;
    env.milestone_update = &u;
    return as(h, who, &env);
}

/* Waits (up to 5 s) until risk R-1 has status st; returns its version. */
static uint64_t wait_risk(harness_t *h, Riskline__V1__RiskStatus st)
{
    for (int i = 0; i < 100; i++) {
        harness_env_t *r = harness_get(h, "R-1");
        const harness_risk_t *risk = r ? harness_reply_risk(r) : NULL;
        uint64_t v = risk && risk->status == st ? risk->version : 0;
        if (r)
            riskline__v1__envelope__free_unpacked(r, NULL);
        if (v)
            return v;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    fail_msg("risk R-1 never reached status %d", (int)st);
    return 0;
}

static void test_lifecycle_by_its_actors(void **state)
{
    harness_t *h = *state;
    /* the risk, owned by rob, in the register */
    harness_risk_in_t in;
    harness_risk_init(&in, "Ransomware on file servers", "rob", 4, 5);
    harness_env_t *r = harness_create(h, &in.risk, NULL);
    expect_ok(r, "risk create");
    riskline__v1__envelope__free_unpacked(r, NULL);

    /* tom plans it: two Annex A controls, a budget, a target, the residual he expects */
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__PlanCreate pc = RISKLINE__V1__PLAN_CREATE__INIT;
    Riskline__V1__Plan p = RISKLINE__V1__PLAN__INIT;
    Riskline__V1__PlanControl c1 = RISKLINE__V1__PLAN_CONTROL__INIT, c2 = RISKLINE__V1__PLAN_CONTROL__INIT;
    Riskline__V1__PlanControl *cs[] = {&c1, &c2};
    Riskline__V1__Resources res = RISKLINE__V1__RESOURCES__INIT;
    Riskline__V1__Money budget = RISKLINE__V1__MONEY__INIT;
    Riskline__V1__Rating resid = RISKLINE__V1__RATING__INIT;
    c1.control_id = "8.13";  /* Information backup, normalised to A.8.13 */
    c2.control_id = "A.8.7";
    budget.amount_minor = 1000000;
    budget.currency = "EUR";
    res.budget = &budget;
    resid.likelihood = 2;
    resid.impact = 3;
    p.risk_id = "R-1";
    p.title = "Offline backups and EDR";
    p.option = RISKLINE__V1__TREATMENT__TREATMENT_REDUCE;
    p.treatment_owner = "tom";
    p.approver = "ann";
    p.rationale = "restore within a day";
    p.controls = cs;
    p.n_controls = 2;
    p.resources = &res;
    p.start_date = "2026-12-01";
    p.target_date = "2027-03-31";
    p.expected_residual = &resid;
    pc.plan = &p;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_CREATE;
    env.plan_create = &pc;
    r = as(h, "tom", &env);
    expect_ok(r, "plan create");
    const Riskline__V1__Plan *got = plan_of(r);
    assert_string_equal(got->id, "TP-1");
    assert_int_equal(got->state, RISKLINE__V1__PLAN_STATE__PLAN_STATE_DRAFT);
    assert_string_equal(got->controls[0]->control_id, "A.8.13");
    assert_string_equal(got->created_by, "tom");
    riskline__v1__envelope__free_unpacked(r, NULL);

    /* two milestones, the second after the first */
    const char *titles[] = {"Immutable backup target", "Restore drill"};
    for (int i = 0; i < 2; i++) {
        harness_env_t e = RISKLINE__V1__ENVELOPE__INIT;
        Riskline__V1__MilestoneAdd a = RISKLINE__V1__MILESTONE_ADD__INIT;
        Riskline__V1__Milestone m = RISKLINE__V1__MILESTONE__INIT;
        char *deps[] = {"M-1"};
        m.title = (char *)titles[i];
        m.owner = "tom";
        m.due_date = i ? "2027-02-15" : "2027-01-15";
        if (i) {
            m.depends_on = deps;
            m.n_depends_on = 1;
        }
        a.plan_id = "TP-1";
        a.expected_version = (uint64_t)(1 + i);
        a.milestone = &m;
        e.body_case = RISKLINE__V1__ENVELOPE__BODY_MILESTONE_ADD;
        e.milestone_add = &a;
        r = as(h, "tom", &e);
        expect_ok(r, "milestone add");
        riskline__v1__envelope__free_unpacked(r, NULL);
    }
    /* submit; the owner cannot approve his own plan; the approver can */
    r = transition(h, "tom", 3, RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_SUBMIT, NULL, 0);
    expect_ok(r, "submit");
    riskline__v1__envelope__free_unpacked(r, NULL);
    r = transition(h, "tom", 4, RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_APPROVE, NULL, 0);
    assert_int_equal(harness_code(r), FORBIDDEN);
    riskline__v1__envelope__free_unpacked(r, NULL);
    r = transition(h, "ann", 4, RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_APPROVE, "fine", 0);
    expect_ok(r, "approve");
    got = plan_of(r);
    assert_int_equal(got->state, RISKLINE__V1__PLAN_STATE__PLAN_STATE_APPROVED);
    assert_non_null(got->approval);
    assert_string_equal(got->approval->approver, "ann");
    assert_int_equal(got->approval->plan_version, 4);
    assert_non_null(got->approval->risk);  /* bound to the risk as it stood */
    assert_string_equal(got->approval->risk->title, "Ransomware on file servers");
    riskline__v1__envelope__free_unpacked(r, NULL);
    /* a disallowed transition names the state and what is allowed now */
    r = transition(h, "tom", 5, RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_IMPLEMENT, NULL, 0);
    expect_code(r, CONFLICT, "state", "approved");
    riskline__v1__envelope__free_unpacked(r, NULL);
    r = transition(h, "tom", 5, RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_START, NULL, 0);
    expect_ok(r, "start");
    riskline__v1__envelope__free_unpacked(r, NULL);
    /* the register follows: the risk is in treatment, its decision taken from the plan */
    wait_risk(h, RISKLINE__V1__RISK_STATUS__RISK_STATUS_IN_TREATMENT);
    /* M-2 cannot be done before M-1 */
    r = milestone(h, "tom", 6, "M-2", RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_DONE, NULL);
    expect_code(r, CONFLICT, "status", "M-1");
    riskline__v1__envelope__free_unpacked(r, NULL);
    r = milestone(h, "tom", 6, "M-1", RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_DONE, "https://wiki/backup");
    expect_ok(r, "M-1 done");
    got = plan_of(r);
    assert_int_equal(got->progress_pct, 50);
    assert_string_equal(got->milestones[0]->completed_by, "tom");
    assert_int_equal(got->milestones[0]->n_evidence, 1);
    riskline__v1__envelope__free_unpacked(r, NULL);
    r = milestone(h, "tom", 7, "M-2", RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_DONE, NULL);
    expect_ok(r, "M-2 done");
    assert_int_equal(plan_of(r)->progress_pct, 100);
    riskline__v1__envelope__free_unpacked(r, NULL);
    /* a cost */
    {
        harness_env_t e = RISKLINE__V1__ENVELOPE__INIT;
        Riskline__V1__PlanCostAdd ca = RISKLINE__V1__PLAN_COST_ADD__INIT;
        Riskline__V1__Cost cost = RISKLINE__V1__COST__INIT;
        cost.date = "2027-01-10";
        cost.amount_minor = 250050;
        cost.note = "backup appliance";
        ca.id = "TP-1";
        ca.expected_version = 8;
        ca.cost = &cost;
        e.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_COST_ADD;
        e.plan_cost_add = &ca;
        r = as(h, "tom", &e);
        expect_ok(r, "cost add");
        got = plan_of(r);
        assert_int_equal(got->resources->spent_minor, 250050);
        assert_false(got->resources->over_budget);
        riskline__v1__envelope__free_unpacked(r, NULL);
    }
    /* the owner reports the controls implemented: statuses only, not a material change */
    {
        harness_env_t e = RISKLINE__V1__ENVELOPE__INIT;
        Riskline__V1__PlanUpdate u = RISKLINE__V1__PLAN_UPDATE__INIT;
        Riskline__V1__Plan patch = RISKLINE__V1__PLAN__INIT;
        Riskline__V1__PlanControl d1 = RISKLINE__V1__PLAN_CONTROL__INIT, d2 = RISKLINE__V1__PLAN_CONTROL__INIT;
        Riskline__V1__PlanControl *ds[] = {&d1, &d2};
        char *mask[] = {"controls"};
        d1.control_id = "A.8.13";
        d2.control_id = "A.8.7";
        d1.status = d2.status = RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_IMPLEMENTED;
        patch.controls = ds;
        patch.n_controls = 2;
        u.id = "TP-1";
        u.expected_version = 9;
        u.patch = &patch;
        u.update_mask = mask;
        u.n_update_mask = 1;
        e.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_UPDATE;
        e.plan_update = &u;
        r = as(h, "tom", &e);
        expect_ok(r, "controls implemented");
        assert_false(plan_of(r)->approval->outdated);
        riskline__v1__envelope__free_unpacked(r, NULL);
    }
    r = transition(h, "tom", 10, RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_IMPLEMENT, NULL, 0);
    expect_ok(r, "implement");
    riskline__v1__envelope__free_unpacked(r, NULL);
    /* verification is not the owner's; it needs a result */
    r = transition(h, "tom", 11, RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_VERIFY, "works", 1);
    assert_int_equal(harness_code(r), FORBIDDEN);
    riskline__v1__envelope__free_unpacked(r, NULL);
    r = transition(h, "ann", 11, RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_VERIFY, "restore drill passed in 6 h", 1);
    expect_ok(r, "verify");
    got = plan_of(r);
    assert_int_equal(got->state, RISKLINE__V1__PLAN_STATE__PLAN_STATE_VERIFIED);
    assert_true(got->verification->effective);
    riskline__v1__envelope__free_unpacked(r, NULL);
    /* verified effective: the risk is treated, its residual the plan's expected residual */
    wait_risk(h, RISKLINE__V1__RISK_STATUS__RISK_STATUS_TREATED);
    r = harness_get(h, "R-1");
    assert_int_equal(harness_reply_risk(r)->residual->likelihood, 2);
    assert_int_equal(harness_reply_risk(r)->residual->impact, 3);
    assert_int_equal(harness_reply_risk(r)->treatment, RISKLINE__V1__TREATMENT__TREATMENT_REDUCE);
    riskline__v1__envelope__free_unpacked(r, NULL);
    r = transition(h, "tom", 12, RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_CLOSE, "done", 0);
    expect_ok(r, "close");
    assert_int_equal(plan_of(r)->state, RISKLINE__V1__PLAN_STATE__PLAN_STATE_CLOSED);
    riskline__v1__envelope__free_unpacked(r, NULL);

    /* the SoA: A.8.13 applicable through TP-1 / R-1, verified; an unselected control is not */
    {
        harness_env_t e = RISKLINE__V1__ENVELOPE__INIT;
        Riskline__V1__SoaGet q = RISKLINE__V1__SOA_GET__INIT;
        e.body_case = RISKLINE__V1__ENVELOPE__BODY_SOA_GET;
        e.soa_get = &q;
        r = as(h, "rob", &e);
        expect_ok(r, "soa");
        assert_int_equal(r->body_case, RISKLINE__V1__ENVELOPE__BODY_SOA_RESULT);
        assert_int_equal(r->soa_result->n_entries, 93);
        int seen = 0;
        for (size_t i = 0; i < r->soa_result->n_entries; i++) {
            const Riskline__V1__SoaEntry *s = r->soa_result->entries[i];
            if (!strcmp(s->control->id, "A.8.13")) {
                seen = 1;
                assert_true(s->applicable);
                assert_int_equal(s->status, RISKLINE__V1__IMPLEMENTATION_STATUS__IMPLEMENTATION_STATUS_VERIFIED);
                assert_string_equal(s->plan_ids[0], "TP-1");
                assert_string_equal(s->risk_ids[0], "R-1");
            }
            if (!strcmp(s->control->id, "A.5.1"))
                assert_false(s->applicable);
        }
        assert_true(seen);
        riskline__v1__envelope__free_unpacked(r, NULL);
    }
    /* the plan's history names each actor */
    {
        harness_env_t e = RISKLINE__V1__ENVELOPE__INIT;
        Riskline__V1__PlanHistory q = RISKLINE__V1__PLAN_HISTORY__INIT;
        q.id = "TP-1";
        e.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_HISTORY;
        e.plan_history = &q;
        r = as(h, "rob", &e);
        expect_ok(r, "history");
        const Riskline__V1__HistoryPage *hp = r->history_page;
        assert_int_equal(hp->n_events, 13);
        assert_string_equal(hp->events[0]->kind, "plan.created");
        assert_string_equal(hp->events[4]->kind, "plan.approve");
        assert_string_equal(hp->events[4]->actor, "ann");
        assert_string_equal(hp->events[12]->kind, "plan.close");
        riskline__v1__envelope__free_unpacked(r, NULL);
    }
    /* the risk owner accepts the residual risk; the register follows */
    {
        char expires[16];
        harness_env_t e = RISKLINE__V1__ENVELOPE__INIT;
        Riskline__V1__RiskAccept q = RISKLINE__V1__RISK_ACCEPT__INIT;
        q.risk_id = "R-1";
        q.justification = "residual 6 within appetite after verified backups";
        q.expires = harness_date_in(180, expires);
        e.body_case = RISKLINE__V1__ENVELOPE__BODY_RISK_ACCEPT;
        e.risk_accept = &q;
        r = as(h, "tom", &e);  /* not the risk owner */
        assert_int_equal(harness_code(r), FORBIDDEN);
        riskline__v1__envelope__free_unpacked(r, NULL);
        r = as(h, "rob", &e);
        expect_ok(r, "accept");
        assert_string_equal(r->acceptance_result->acceptance->accepted_by, "rob");
        riskline__v1__envelope__free_unpacked(r, NULL);
    }
    uint64_t v = wait_risk(h, RISKLINE__V1__RISK_STATUS__RISK_STATUS_ACCEPTED);
    /* every event delivered again (as after a crash before the ack): nothing changes twice */
    {
        redisContext *c = harness_redis_connect(h);
        assert_non_null(c);
        redisReply *rep = redisCommand(c, "XGROUP SETID rl:{default}:events register 0");
        assert_non_null(rep);
        assert_int_equal(rep->type, REDIS_REPLY_STATUS);
        freeReplyObject(rep);
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
        rep = redisCommand(c, "XINFO GROUPS rl:{default}:events");
        freeReplyObject(rep);
        redisFree(c);
        assert_int_equal(wait_risk(h, RISKLINE__V1__RISK_STATUS__RISK_STATUS_ACCEPTED), v);
    }
    /* the audit chain of the tenant covers both services' events */
    harness_run_t run;
    harness_clif(h, &run, "audit", "verify", NULL);
    assert_int_equal(run.status, 0);
    assert_non_null(strstr(run.out, "chain intact: "));
    harness_run_free(&run);
}

static void test_bad_input_writes_nothing(void **state)
{
    harness_t *h = *state;
    harness_risk_in_t in;
    harness_risk_init(&in, "Phishing", "rob", 3, 3);
    harness_env_t *r = harness_create(h, &in.risk, NULL);
    expect_ok(r, "risk create");
    riskline__v1__envelope__free_unpacked(r, NULL);
    harness_snapshot_t *before = harness_snapshot(h);
    struct {
        const char *risk, *control, *owner, *approver, *field;
        int code;
    } cases[] = {
        {"R-1", "A.9.1", "tom", "ann", "plan.controls[0].control_id", INVALID},
        {"R-9", "A.5.1", "tom", "ann", "plan.risk_id", RISKLINE__V1__CODE__CODE_NOT_FOUND},
        {"R-1", "A.5.1", "tom", "tom", "plan.approver", INVALID},
        {"X", "A.5.1", "tom", "ann", "plan.risk_id", INVALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
        Riskline__V1__PlanCreate pc = RISKLINE__V1__PLAN_CREATE__INIT;
        Riskline__V1__Plan p = RISKLINE__V1__PLAN__INIT;
        Riskline__V1__PlanControl c = RISKLINE__V1__PLAN_CONTROL__INIT;
        Riskline__V1__PlanControl *cs[] = {&c};
        c.control_id = (char *)cases[i].control;
        p.risk_id = (char *)cases[i].risk;
        p.title = "x";
        p.option = RISKLINE__V1__TREATMENT__TREATMENT_REDUCE;
        p.treatment_owner = (char *)cases[i].owner;
        p.approver = (char *)cases[i].approver;
        p.controls = cs;
        p.n_controls = 1;
        pc.plan = &p;
        env.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_CREATE;
        env.plan_create = &pc;
        r = as(h, NULL, &env);
        if (harness_code(r) != cases[i].code || strcmp(harness_field(r), cases[i].field))
            fail_msg("case %zu: wanted %d %s, got %s", i, cases[i].code, cases[i].field, harness_reply_text(r));
        riskline__v1__envelope__free_unpacked(r, NULL);
    }
    /* every field of a plan, one bad value at a time, through the wire */
    static char long_text[5000];
    memset(long_text, 'x', sizeof long_text - 1);
    for (int k = 0; k < 19; k++) {
        harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
        Riskline__V1__PlanCreate pc = RISKLINE__V1__PLAN_CREATE__INIT;
        Riskline__V1__Plan p = RISKLINE__V1__PLAN__INIT;
        Riskline__V1__PlanControl c1 = RISKLINE__V1__PLAN_CONTROL__INIT, c2 = RISKLINE__V1__PLAN_CONTROL__INIT;
        Riskline__V1__PlanControl *cs[] = {&c1, &c2};
        Riskline__V1__Resources res = RISKLINE__V1__RESOURCES__INIT;
        Riskline__V1__Money budget = RISKLINE__V1__MONEY__INIT;
        Riskline__V1__Rating resid = RISKLINE__V1__RATING__INIT;
        c1.control_id = "A.5.1";
        c2.control_id = "A.8.8";
        budget.amount_minor = 1000;
        budget.currency = "EUR";
        res.budget = &budget;
        resid.likelihood = 1;
        resid.impact = 1;
        p.risk_id = "R-1";
        p.title = "Good plan";
        p.option = RISKLINE__V1__TREATMENT__TREATMENT_REDUCE;
        p.treatment_owner = "tom";
        p.approver = "ann";
        p.controls = cs;
        p.n_controls = 2;
        p.resources = &res;
        p.start_date = "2027-01-01";
        p.target_date = "2027-06-30";
        p.expected_residual = &resid;
        const char *field = NULL;
        switch (k) {
        case 0: p.risk_id = "", field = "plan.risk_id"; break;
        case 1: p.risk_id = "R-1'", field = "plan.risk_id"; break;
        case 2: p.title = "", field = "plan.title"; break;
        case 3: p.title = long_text, field = "plan.title"; break;
        case 4: p.title = "bad \xff utf-8", field = "plan.title"; break;
        case 5: p.option = (Riskline__V1__Treatment)99, field = "plan.option"; break;
        case 6: p.option = RISKLINE__V1__TREATMENT__TREATMENT_UNSPECIFIED, field = "plan.option"; break;
        case 7: p.treatment_owner = "", field = "plan.treatment_owner"; break;
        case 8: p.approver = "", field = "plan.approver"; break;
        case 9: p.start_date = "2027-13-01", field = "plan.start_date"; break;
        case 10: p.target_date = "2026-12-31", field = "plan.target_date"; break;
        case 11: resid.likelihood = 9, field = "plan.expected_residual"; break;
        case 12: p.option = RISKLINE__V1__TREATMENT__TREATMENT_TRANSFER, field = "plan.transfer_party"; break;
        case 13: c2.control_id = "5.1", field = "plan.controls[1].control_id"; break;
        case 14: c1.status = (Riskline__V1__ImplementationStatus)9, field = "plan.controls[0].status"; break;
        case 15: budget.amount_minor = -5, field = "plan.resources.budget.amount_minor"; break;
        case 16: budget.currency = "eur", field = "plan.resources.budget.currency"; break;
        case 17: p.rationale = long_text, field = "plan.rationale"; break;
        case 18: p.title = "line\nbreak", field = "plan.title"; break;
        }
        pc.plan = &p;
        env.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_CREATE;
        env.plan_create = &pc;
        r = as(h, "tom", &env);
        if (harness_code(r) == 0 || strncmp(harness_field(r), field, strlen(field)) != 0)
            fail_msg("bad field %d: wanted a refusal naming %s, got %s", k, field, harness_reply_text(r));
        riskline__v1__envelope__free_unpacked(r, NULL);
    }
    harness_snapshot_t *after = harness_snapshot(h);
    char diff[512];
    if (!harness_snapshot_equal(before, after, diff, sizeof diff))
        fail_msg("refused plans changed Redis: %s", diff);
    harness_snapshot_free(&before);
    harness_snapshot_free(&after);
    assert_true(harness_treatment_alive(h));
}

/* A minimal plan of R-1 by tom, approved by ann; returns nothing, fails the test on error. */
static void make_plan(harness_t *h)
{
    harness_risk_in_t in;
    harness_risk_init(&in, "Supplier outage", "rob", 3, 4);
    harness_env_t *r = harness_create(h, &in.risk, NULL);
    expect_ok(r, "risk create");
    riskline__v1__envelope__free_unpacked(r, NULL);
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__PlanCreate pc = RISKLINE__V1__PLAN_CREATE__INIT;
    Riskline__V1__Plan p = RISKLINE__V1__PLAN__INIT;
    p.risk_id = "R-1";
    p.title = "Second supplier";
    p.option = RISKLINE__V1__TREATMENT__TREATMENT_REDUCE;
    p.treatment_owner = "tom";
    p.approver = "ann";
    p.target_date = "2027-06-30";
    pc.plan = &p;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_CREATE;
    env.plan_create = &pc;
    r = as(h, "tom", &env);
    expect_ok(r, "plan create");
    riskline__v1__envelope__free_unpacked(r, NULL);
}

/* Two updates of one plan from the same version at once: one wins, the other gets a conflict. */
static void test_concurrent_updates(void **state)
{
    harness_t *h = *state;
    make_plan(h);
    char key[600];
    snprintf(key, sizeof key, "%s/tom.key", h->keys_dir);
    void *s[2];
    const char *titles[2] = {"Second supplier (A)", "Second supplier (B)"};
    Riskline__V1__PlanUpdate u[2];
    Riskline__V1__Plan patch[2];
    harness_env_t env[2];
    char *mask[] = {"title"};
    for (int i = 0; i < 2; i++) {
        s[i] = harness_dealer_to(h, h->treatment_endpoint, "treatment", key);
        riskline__v1__plan_update__init(&u[i]);
        riskline__v1__plan__init(&patch[i]);
        riskline__v1__envelope__init(&env[i]);
        patch[i].title = (char *)titles[i];
        u[i].id = "TP-1";
        u[i].expected_version = 1;
        u[i].patch = &patch[i];
        u[i].update_mask = mask;
        u[i].n_update_mask = 1;
        env[i].body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_UPDATE;
        env[i].plan_update = &u[i];
        harness_env_prepare(h, &env[i]);
    }
    /* both sent before either reply is read */
    assert_int_equal(harness_send_env(h, s[0], &env[0]), 0);
    assert_int_equal(harness_send_env(h, s[1], &env[1]), 0);
    int ok = 0, conflicts = 0;
    for (int i = 0; i < 2; i++) {
        harness_env_t *r = harness_recv_env(s[i], 5000);
        assert_non_null(r);
        if (harness_code(r) == 0)
            ok++;
        else if (harness_code(r) == CONFLICT && !strcmp(harness_field(r), "expected_version"))
            conflicts++;
        riskline__v1__envelope__free_unpacked(r, NULL);
        zmq_close(s[i]);
    }
    assert_int_equal(ok, 1);
    assert_int_equal(conflicts, 1);
    harness_env_t g = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__PlanGet q = RISKLINE__V1__PLAN_GET__INIT;
    q.id = "TP-1";
    g.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_GET;
    g.plan_get = &q;
    harness_env_t *r = as(h, "ann", &g);
    expect_ok(r, "get");
    assert_int_equal(plan_of(r)->version, 2);
    riskline__v1__envelope__free_unpacked(r, NULL);
}

/* Either service restarts mid-lifecycle: nothing acknowledged is lost, the register catches up
 * with the plan events it missed while it was down. */
static void test_restarts_mid_lifecycle(void **state)
{
    harness_t *h = *state;
    make_plan(h);
    assert_int_equal(harness_treatment_stop(h), 0);
    assert_int_equal(harness_treatment_start(h), 0);
    harness_env_t *r = transition(h, "tom", 1, RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_SUBMIT, NULL, 0);
    expect_ok(r, "submit after a treatment restart");
    riskline__v1__envelope__free_unpacked(r, NULL);
    wait_risk(h, RISKLINE__V1__RISK_STATUS__RISK_STATUS_TREATMENT_PLANNED);
    /* the register is down while the plan is approved and started */
    assert_int_equal(harness_register_stop(h), 0);
    r = transition(h, "ann", 2, RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_APPROVE, NULL, 0);
    expect_ok(r, "approve while the register is down");
    riskline__v1__envelope__free_unpacked(r, NULL);
    r = transition(h, "tom", 3, RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_START, NULL, 0);
    expect_ok(r, "start while the register is down");
    riskline__v1__envelope__free_unpacked(r, NULL);
    assert_int_equal(harness_register_start(h), 0);
    wait_risk(h, RISKLINE__V1__RISK_STATUS__RISK_STATUS_IN_TREATMENT);
}

/* A risk owner who also owns the plan accepts the residual when closing it: the acceptance is
 * recorded, indexed by expiry for the monitor, and the register marks the risk accepted. */
static void test_close_with_residual_acceptance(void **state)
{
    harness_t *h = *state;
    harness_issue_key(h, "rita", "risk_owner,treatment_owner", "default");
    harness_risk_in_t in;
    harness_risk_init(&in, "Lost laptops", "rita", 2, 3);
    harness_env_t *r = harness_create(h, &in.risk, NULL);
    expect_ok(r, "risk create");
    riskline__v1__envelope__free_unpacked(r, NULL);
    harness_env_t env = RISKLINE__V1__ENVELOPE__INIT;
    Riskline__V1__PlanCreate pc = RISKLINE__V1__PLAN_CREATE__INIT;
    Riskline__V1__Plan p = RISKLINE__V1__PLAN__INIT;
    p.risk_id = "R-1";
    p.title = "Disk encryption";
    p.option = RISKLINE__V1__TREATMENT__TREATMENT_REDUCE;
    p.treatment_owner = "rita";
    p.approver = "ann";
    pc.plan = &p;
    env.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_CREATE;
    env.plan_create = &pc;
    r = as(h, "rita", &env);
    expect_ok(r, "plan create");
    riskline__v1__envelope__free_unpacked(r, NULL);
    const struct {
        const char *who;
        Riskline__V1__PlanAction action;
        const char *comment;
    } steps[] = {
        {"rita", RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_SUBMIT, NULL},
        {"ann", RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_APPROVE, NULL},
        {"rita", RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_START, NULL},
        {"rita", RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_IMPLEMENT, NULL},
        {"ann", RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_VERIFY, "all laptops encrypted"},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        r = transition(h, steps[i].who, i + 1, steps[i].action, steps[i].comment, 1);
        expect_ok(r, "step");
        riskline__v1__envelope__free_unpacked(r, NULL);
    }
    char expires[16];
    Riskline__V1__PlanTransition t = RISKLINE__V1__PLAN_TRANSITION__INIT;
    Riskline__V1__Acceptance a = RISKLINE__V1__ACCEPTANCE__INIT;
    a.justification = "residual within appetite";
    a.expires = harness_date_in(90, expires);
    t.id = "TP-1";
    t.expected_version = 6;
    t.action = RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_CLOSE;
    t.comment = "done";
    t.acceptance = &a;
    harness_env_t e = RISKLINE__V1__ENVELOPE__INIT;
    e.body_case = RISKLINE__V1__ENVELOPE__BODY_PLAN_TRANSITION;
    e.plan_transition = &t;
    r = as(h, "rita", &e);
    expect_ok(r, "close with acceptance");
    assert_string_equal(plan_of(r)->acceptance->accepted_by, "rita");
    riskline__v1__envelope__free_unpacked(r, NULL);
    wait_risk(h, RISKLINE__V1__RISK_STATUS__RISK_STATUS_ACCEPTED);
    redisContext *c = harness_redis_connect(h);
    assert_non_null(c);
    redisReply *rep = redisCommand(c, "ZRANGE rl:{default}:idx:accept:expiry 0 -1");
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_ARRAY);
    assert_int_equal(rep->elements, 1);
    assert_string_equal(rep->element[0]->str, "R-1");
    freeReplyObject(rep);
    redisFree(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lifecycle_by_its_actors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_updates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restarts_mid_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_with_residual_acceptance, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
