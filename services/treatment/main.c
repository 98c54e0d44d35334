/* main.c: riskline-treatment: its state and hooks; rl_service runs the loop. */
#include "handlers.h"
#include "rl_service.h"

static const char *endpoint(const rl_config_t *cfg) { return cfg->treatment_endpoint; }

static int setup(void *p, const rl_service_ctx_t *ctx)
{
    server_t *srv = p;
    srv->log = ctx->log;
    srv->store = ctx->store;
    plan_policy_defaults(&srv->policy);
    srv->policy.reapproval_budget_pct = (uint32_t)ctx->cfg->reapproval_budget_pct;
    srv->policy.max_acceptance_days = (uint32_t)ctx->cfg->max_acceptance_days;
    srv->plans = plan_store_new(ctx->store);
    return srv->plans ? 0 : -1;
}

static void teardown(void *p)
{
    server_t *srv = p;
    plan_store_destroy(&srv->plans);
}

int main(int argc, char **argv)
{
    server_t srv = {.clock = rl_clock_system()};
    const rl_service_t svc = {
        "treatment",
        "Serves treatment plans, controls, milestones, approvals, acceptances and the SoA on\n"
        "RISKLINE_TREATMENT_ENDPOINT (default tcp://127.0.0.1:7102).",
        endpoint, setup, handlers_route, NULL, teardown, &srv,
    };
    return rl_service_main(argc, argv, &svc);
}
