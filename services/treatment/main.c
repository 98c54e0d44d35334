/* main.c: riskline-treatment: its state and hooks; rl_service runs the loop. */
#include "handlers.h"
#include "review_consumer.h"
#include "rl_service.h"

typedef struct {
    server_t srv;            /* first: handlers get the app as their server_t */
    review_consumer_t *reviews;
} app_t;

static const char *endpoint(const rl_config_t *cfg) { return cfg->treatment_endpoint; }

static int setup(void *p, const rl_service_ctx_t *ctx)
{
    app_t *app = p;
    server_t *srv = &app->srv;
    srv->log = ctx->log;
    srv->store = ctx->store;
    srv->clock = ctx->clock;
    plan_policy_defaults(&srv->policy);
    srv->policy.reapproval_budget_pct = (uint32_t)ctx->cfg->reapproval_budget_pct;
    srv->policy.max_acceptance_days = (uint32_t)ctx->cfg->max_acceptance_days;
    srv->plans = plan_store_new(ctx->store);
    rl_group_reader_t reader;
    rl_service_group_reader(ctx, REVIEW_GROUP, &reader);
    app->reviews = srv->plans ? review_consumer_new(srv, &reader) : NULL;
    return app->reviews ? 0 : -1;
}

static void tick(void *p, const rl_service_ctx_t *ctx)
{
    (void)ctx;
    review_consumer_tick(((app_t *)p)->reviews);
}

static void teardown(void *p)
{
    app_t *app = p;
    review_consumer_destroy(&app->reviews);
    plan_store_destroy(&app->srv.plans);
}

/* Readiness: the review consumer keeps up with every tenant's domain events. */
static const rl_health_group_t groups[] = {{"events", REVIEW_GROUP}};

int main(int argc, char **argv)
{
    app_t app = {.srv = {.clock = rl_clock_system()}};
    const rl_service_t svc = {
        "treatment",
        "Serves treatment plans, controls, milestones, approvals, acceptances and the SoA on\n"
        "RISKLINE_TREATMENT_ENDPOINT (default tcp://127.0.0.1:7102).",
        endpoint, setup, handlers_route, tick, teardown, &app, 0 /* default idle tick */,
        groups, sizeof groups / sizeof groups[0], NULL, NULL, NULL, NULL, NULL,
    };
    return rl_service_main(argc, argv, &svc);
}
