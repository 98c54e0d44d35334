/* main.c: riskline-report: the update stream for subscribers (PUB), its catch-up and the reports
 * (ROUTER). */
#include "handlers.h"
#include "rl_service.h"

static const char *endpoint(const rl_config_t *cfg) { return cfg->report_endpoint; }

static int setup(void *p, const rl_service_ctx_t *ctx)
{
    server_t *srv = p;
    rl_error_t err;
    srv->log = ctx->log;
    srv->store = ctx->store;
    srv->clock = ctx->clock;
    srv->keys = rl_secure_keys(ctx->sec);
    srv->revocations = UINT64_MAX;  /* the first read sets the baseline */
    srv->arena = rl_arena_new(0);
    srv->scratch = rl_arena_new(0);
    srv->risks = risk_store_new(ctx->store);
    srv->plans = plan_store_new(ctx->store);
    if (!srv->scratch || !srv->risks || !srv->plans) {
        rl_log_error(ctx->log, "cannot start the report stores", "reason", "out of memory");
        return -1;
    }
    rl_principal_t local;
    rl_principal_local(&local, ctx->cfg->principal);
    /* the ZAP handler runs already (rl_service started it before any bind) */
    srv->pub = srv->arena ? rl_bus_pub_new(ctx->bus, ctx->cfg->report_pub_endpoint, rl_secure_curve_secret(ctx->sec),
                                           &local, &err)
                          : NULL;
    if (!srv->pub)
        rl_log_error(ctx->log, "cannot start the publisher", "endpoint", ctx->cfg->report_pub_endpoint, "reason",
                     srv->arena ? err.message : "out of memory");
    return srv->pub ? 0 : -1;
}

static void tick(void *p, const rl_service_ctx_t *ctx)
{
    server_t *srv = p;
    (void)ctx;
    rl_bus_pub_poll(srv->pub, 0);  /* subscriptions (checked per tenant) and handshakes */
    handlers_publish(srv);
}

static void teardown(void *p)
{
    server_t *srv = p;
    rl_bus_pub_destroy(&srv->pub);
    rl_arena_destroy(&srv->arena);
    rl_arena_destroy(&srv->scratch);
    risk_store_destroy(&srv->risks);
    plan_store_destroy(&srv->plans);
}

int main(int argc, char **argv)
{
    server_t srv = {.clock = rl_clock_system()};
    const rl_service_t svc = {
        "report",
        "Publishes every domain event as [<tenant>.<kind>][Update] on RISKLINE_REPORT_PUB_ENDPOINT (default\n"
        "tcp://127.0.0.1:7105) and answers catch-up requests on RISKLINE_REPORT_ENDPOINT (default :7104).",
        endpoint, setup, handlers_route, tick, teardown, &srv,
        /* updates reach subscribers within about one tick even when no request wakes the loop */
        REPORT_TICK_MS,
        NULL, 0, NULL, NULL, NULL, NULL, NULL, /* no consumer group: it reads every stream from its own position */
    };
    return rl_service_main(argc, argv, &svc);
}
