/* fuzz_envelope_monitor.c: libFuzzer target: any bytes as a request Envelope through the monitor's
 * whole request path (RiskEvent batches: decode, checks, the append script in Redis; metrics,
 * alerts), as a viewer and as the all-roles local principal; reply invariants in fz_bus.c. */
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

/* FZ_WRITE_SEEDS=<dir>: writes a few valid requests there (the committed corpus) and exits. */
static void write_seeds(const char *dir)
{
    Riskline__V1__Attribute attr = RISKLINE__V1__ATTRIBUTE__INIT;
    Riskline__V1__Attribute *attrs[] = {&attr};
    attr.key = "metric";
    attr.value = "K-1";
    char *risks[] = {"R-1"}, *assets[] = {"mail gateway"}, *controls[] = {"A.8.8"};
    Riskline__V1__RiskEvent e1 = RISKLINE__V1__RISK_EVENT__INIT, e2 = RISKLINE__V1__RISK_EVENT__INIT;
    e1.source = "siem-prod";
    e1.event_id = "evt-1";
    e1.kind = RISKLINE__V1__EVENT_KIND__EVENT_KIND_INCIDENT;
    e1.severity = RISKLINE__V1__SEVERITY__SEVERITY_HIGH;
    e1.occurred_at_ms = now_ms - 1000;
    e1.summary = "failed logins";
    e1.risk_ids = risks;
    e1.n_risk_ids = 1;
    e1.assets = assets;
    e1.n_assets = 1;
    e1.controls = controls;
    e1.n_controls = 1;
    e2 = e1;
    e2.event_id = "kri-1";
    e2.kind = RISKLINE__V1__EVENT_KIND__EVENT_KIND_KRI_MEASUREMENT;
    e2.measurement_case = RISKLINE__V1__RISK_EVENT__MEASUREMENT_VALUE;
    e2.value = 87.5;
    e2.attributes = attrs;
    e2.n_attributes = 1;
    Riskline__V1__RiskEvent *evs[] = {&e1, &e2};
    Riskline__V1__EventBatch batch = RISKLINE__V1__EVENT_BATCH__INIT;
    batch.events = evs;
    batch.n_events = 2;
    Riskline__V1__Metric m = RISKLINE__V1__METRIC__INIT;
    m.name = "Patched in time";
    m.control_id = "A.8.8";
    m.frequency_days = 30;
    m.target = 95;
    m.warning = 90;
    m.breach = 80;
    m.direction = RISKLINE__V1__METRIC_DIRECTION__METRIC_DIRECTION_HIGHER_IS_BETTER;
    m.owner = "ops";
    Riskline__V1__MetricDefine md = RISKLINE__V1__METRIC_DEFINE__INIT;
    md.metric = &m;
    Riskline__V1__MetricRecord mr = RISKLINE__V1__METRIC_RECORD__INIT;
    mr.metric_id = "K-1";
    mr.value = 70;
    Riskline__V1__AlertList al = RISKLINE__V1__ALERT_LIST__INIT;
    Riskline__V1__AlertChange ac = RISKLINE__V1__ALERT_CHANGE__INIT;
    ac.id = "AL-1";
    ac.state = RISKLINE__V1__ALERT_STATE__ALERT_STATE_ACKNOWLEDGED;
    Riskline__V1__SweepRun sw = RISKLINE__V1__SWEEP_RUN__INIT;
    const fz_seed_t seeds[] = {
        {RISKLINE__V1__ENVELOPE__BODY_EVENT_BATCH, &batch}, {RISKLINE__V1__ENVELOPE__BODY_METRIC_DEFINE, &md},
        {RISKLINE__V1__ENVELOPE__BODY_METRIC_RECORD, &mr},  {RISKLINE__V1__ENVELOPE__BODY_ALERT_LIST, &al},
        {RISKLINE__V1__ENVELOPE__BODY_ALERT_CHANGE, &ac},   {RISKLINE__V1__ENVELOPE__BODY_SWEEP_RUN, &sw},
    };
    fz_bus_write_seeds(dir, seeds, sizeof seeds / sizeof seeds[0]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    srv.store = fz_bus_start(&fz, "monitor", write_seeds);
    srv.log = fz.log;
    srv.clock = rl_clock_fixed(&now_ms);
    alert_policy_defaults(&srv.alerts);
    srv.sweep_arena = rl_arena_new(0);
    if (!srv.store || !srv.sweep_arena || handlers_route(fz.server) != 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_bus_run(&fz, &srv, data, size);
    return 0;
}
