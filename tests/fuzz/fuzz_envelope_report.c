/* fuzz_envelope_report.c: libFuzzer target: any bytes as a request Envelope through the report
 * service's whole request path (decode, checks, role table, report_get with its cursor and filters,
 * updates_after, Redis reads), as a viewer and as the all-roles local principal; the reply
 * invariants are in fz_bus.c. */
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
    Riskline__V1__RiskList f = RISKLINE__V1__RISK_LIST__INIT;
    f.owner = "alice";
    f.level = RISKLINE__V1__LEVEL__LEVEL_HIGH;
    Riskline__V1__ReportGet reg = RISKLINE__V1__REPORT_GET__INIT, heat = RISKLINE__V1__REPORT_GET__INIT,
                            soa = RISKLINE__V1__REPORT_GET__INIT, plans = RISKLINE__V1__REPORT_GET__INIT,
                            dash = RISKLINE__V1__REPORT_GET__INIT, next = RISKLINE__V1__REPORT_GET__INIT;
    reg.name = "risk_register";
    reg.format = RISKLINE__V1__REPORT_FORMAT__REPORT_FORMAT_CSV;
    reg.filters = &f;
    reg.since = "2026-01-01";
    heat.name = "heatmap";
    heat.format = RISKLINE__V1__REPORT_FORMAT__REPORT_FORMAT_HTML;
    soa.name = "soa";
    soa.format = RISKLINE__V1__REPORT_FORMAT__REPORT_FORMAT_JSON;
    plans.name = "plans";
    plans.format = RISKLINE__V1__REPORT_FORMAT__REPORT_FORMAT_HTML;
    plans.plan_id = "TP-1";
    dash.name = "dashboard";
    dash.format = RISKLINE__V1__REPORT_FORMAT__REPORT_FORMAT_JSON;
    next.name = "plans";
    next.format = RISKLINE__V1__REPORT_FORMAT__REPORT_FORMAT_JSON;
    next.cursor = "r1.7.7.3.0.0.0.0.0.0.0.0.200.5";
    Riskline__V1__UpdatesAfter ua = RISKLINE__V1__UPDATES_AFTER__INIT;
    ua.limit = 10;
    const fz_seed_t seeds[] = {
        {RISKLINE__V1__ENVELOPE__BODY_REPORT_GET, &reg},   {RISKLINE__V1__ENVELOPE__BODY_REPORT_GET, &heat},
        {RISKLINE__V1__ENVELOPE__BODY_REPORT_GET, &soa},   {RISKLINE__V1__ENVELOPE__BODY_REPORT_GET, &plans},
        {RISKLINE__V1__ENVELOPE__BODY_REPORT_GET, &dash},  {RISKLINE__V1__ENVELOPE__BODY_REPORT_GET, &next},
        {RISKLINE__V1__ENVELOPE__BODY_UPDATES_AFTER, &ua},
    };
    fz_bus_write_seeds(dir, seeds, sizeof seeds / sizeof seeds[0]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    srv.store = fz_bus_start(&fz, "report", write_seeds);
    srv.log = fz.log;
    srv.clock = rl_clock_fixed(&now_ms);
    srv.arena = rl_arena_new(0);
    srv.scratch = rl_arena_new(0);
    srv.risks = srv.store ? risk_store_new(srv.store) : NULL;
    srv.plans = srv.store ? plan_store_new(srv.store) : NULL;
    if (!srv.risks || !srv.plans || !srv.arena || !srv.scratch || handlers_route(fz.server) != 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_bus_run(&fz, &srv, data, size);
    return 0;
}
