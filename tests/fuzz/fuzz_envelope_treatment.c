/* fuzz_envelope_treatment.c: libFuzzer target: any bytes as a request Envelope through the treatment
 * service's whole request path (decode, checks, role table, plan/catalogue rules, Redis), as a
 * viewer and as the all-roles local principal; the reply invariants are in fz_bus.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fz_bus.h"
#include "handlers.h"

static fz_bus_t fz;
static server_t srv;
static int64_t now_ms = 1773576000000LL; /* 2026-03-15T12:00:00Z: dates in replies are reproducible */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FZ_WRITE_SEEDS=<dir>: writes one valid request of each kind there (the committed corpus) and exits. */
static void write_seeds(const char *dir)
{
    static char *roles_c[] = {"A.5.1", "8.13"};
    Riskline__V1__PlanControl c1 = RISKLINE__V1__PLAN_CONTROL__INIT, c2 = RISKLINE__V1__PLAN_CONTROL__INIT;
    Riskline__V1__PlanControl *cs[] = {&c1, &c2};
    c1.control_id = roles_c[0];
    c2.control_id = roles_c[1];
    Riskline__V1__Money budget = RISKLINE__V1__MONEY__INIT;
    budget.amount_minor = 100000;
    budget.currency = "EUR";
    Riskline__V1__Resources res = RISKLINE__V1__RESOURCES__INIT;
    res.budget = &budget;
    Riskline__V1__Plan plan = RISKLINE__V1__PLAN__INIT;
    plan.risk_id = "R-1";
    plan.title = "Backups";
    plan.option = RISKLINE__V1__TREATMENT__TREATMENT_REDUCE;
    plan.treatment_owner = "fuzz-admin";
    plan.approver = "ann";
    plan.controls = cs;
    plan.n_controls = 2;
    plan.resources = &res;
    plan.start_date = "2026-04-01";
    plan.target_date = "2026-09-30";
    Riskline__V1__PlanCreate create = RISKLINE__V1__PLAN_CREATE__INIT;
    create.plan = &plan;
    Riskline__V1__PlanGet get = RISKLINE__V1__PLAN_GET__INIT;
    get.id = "TP-1";
    Riskline__V1__PlanTransition tr = RISKLINE__V1__PLAN_TRANSITION__INIT;
    tr.id = "TP-1";
    tr.expected_version = 1;
    tr.action = RISKLINE__V1__PLAN_ACTION__PLAN_ACTION_SUBMIT;
    Riskline__V1__Milestone m = RISKLINE__V1__MILESTONE__INIT;
    m.title = "Target";
    m.owner = "fuzz-admin";
    m.due_date = "2026-06-01";
    Riskline__V1__MilestoneAdd ma = RISKLINE__V1__MILESTONE_ADD__INIT;
    ma.plan_id = "TP-1";
    ma.expected_version = 1;
    ma.milestone = &m;
    Riskline__V1__Cost cost = RISKLINE__V1__COST__INIT;
    cost.date = "2026-05-01";
    cost.amount_minor = 1250;
    Riskline__V1__PlanCostAdd ca = RISKLINE__V1__PLAN_COST_ADD__INIT;
    ca.id = "TP-1";
    ca.expected_version = 1;
    ca.cost = &cost;
    Riskline__V1__SoaGet soa = RISKLINE__V1__SOA_GET__INIT;
    Riskline__V1__SoaExclude ex = RISKLINE__V1__SOA_EXCLUDE__INIT;
    ex.control_id = "A.7.4";
    ex.reason = "no premises";
    Riskline__V1__Control ctl = RISKLINE__V1__CONTROL__INIT;
    ctl.title = "Quarterly phishing drill";
    ctl.type = RISKLINE__V1__CONTROL_TYPE__CONTROL_TYPE_TRAINING;
    Riskline__V1__ControlAdd cadd = RISKLINE__V1__CONTROL_ADD__INIT;
    cadd.control = &ctl;
    Riskline__V1__RiskAccept acc = RISKLINE__V1__RISK_ACCEPT__INIT;
    acc.risk_id = "R-1";
    acc.justification = "within appetite";
    acc.expires = "2026-12-31";
    const fz_seed_t seeds[] = {
        {RISKLINE__V1__ENVELOPE__BODY_PLAN_CREATE, &create}, {RISKLINE__V1__ENVELOPE__BODY_PLAN_GET, &get},
        {RISKLINE__V1__ENVELOPE__BODY_PLAN_TRANSITION, &tr}, {RISKLINE__V1__ENVELOPE__BODY_MILESTONE_ADD, &ma},
        {RISKLINE__V1__ENVELOPE__BODY_PLAN_COST_ADD, &ca},   {RISKLINE__V1__ENVELOPE__BODY_SOA_GET, &soa},
        {RISKLINE__V1__ENVELOPE__BODY_SOA_EXCLUDE, &ex},     {RISKLINE__V1__ENVELOPE__BODY_CONTROL_ADD, &cadd},
        {RISKLINE__V1__ENVELOPE__BODY_RISK_ACCEPT, &acc},
    };
    fz_bus_write_seeds(dir, seeds, sizeof seeds / sizeof seeds[0]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    srv.store = fz_bus_start(&fz, "treatment", write_seeds);
    srv.log = fz.log;
    srv.clock = rl_clock_fixed(&now_ms);
    plan_policy_defaults(&srv.policy);
    srv.plans = srv.store ? plan_store_new(srv.store) : NULL;
    if (!srv.plans || handlers_route(fz.server) != 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_bus_run(&fz, &srv, data, size);
    return 0;
}
