/* main.c: riskline-monitor: its state and hooks; rl_service runs the loop. */
#include "correlate_consumer.h"
#include "handlers.h"
#include "rl_service.h"

static const char *endpoint(const rl_config_t *cfg) { return cfg->monitor_endpoint; }

static int setup(void *p, const rl_service_ctx_t *ctx)
{
    server_t *srv = p;
    srv->log = ctx->log;
    srv->store = ctx->store;
    srv->clock = ctx->clock;
    alert_policy_defaults(&srv->alerts);
    srv->sweep_arena = rl_arena_new(0);
    rl_group_reader_t reader;
    rl_service_group_reader(ctx, CORRELATOR_GROUP, &reader);
    /* the correlator runs on the work thread, with that thread's connection; its backstop, which
     * stands in while that thread is starved, is a second one under a consumer name of its own */
    srv->correlator = correlator_new(ctx->work_store, ctx->log, &srv->clock, &reader);
    rl_service_backstop_reader(ctx, CORRELATOR_GROUP, &reader);
    srv->backstop = correlator_new(ctx->backstop_store, ctx->log, &srv->clock, &reader);
    srv->answer_store = ctx->answer_store;
    return srv->sweep_arena && srv->correlator && srv->backstop ? 0 : -1;
}

/* Schedules are swept every SWEEP_INTERVAL_MS (and on demand: sweep_run). */
#define SWEEP_INTERVAL_MS 5000

static void tick(void *p, const rl_service_ctx_t *ctx)
{
    server_t *srv = p;
    (void)ctx;
    if (rl_clock_now(&srv->clock) - srv->last_sweep_ms >= SWEEP_INTERVAL_MS)
        handlers_sweep_all(srv);
}

/* Correlation runs beside the requests: ingestion is acknowledged without waiting for it, and it
 * keeps up on the other core while the loop is busy. */
static size_t work(void *p)
{
    server_t *srv = p;
    return correlator_tick(srv->correlator);
}

static size_t backstop(void *p)
{
    server_t *srv = p;
    return correlator_tick(srv->backstop);
}

/* Batches are answered once their appends come back, while the loop goes on (handlers_answer). */
static void answer(void *p, rl_bus_server_t *rpc, int wait) { handlers_answer(p, rpc, wait); }
static int answer_fd(void *p) { return handlers_answer_fd(p); }

static void teardown(void *p)
{
    server_t *srv = p;
    correlator_t *c = srv->correlator, *b = srv->backstop;
    correlator_destroy(&c);
    correlator_destroy(&b);
    rl_arena_destroy(&srv->sweep_arena);
}

/* Readiness: the correlator keeps up with every tenant's ingested risk events. */
static const rl_health_group_t groups[] = {{"riskevent:log", CORRELATOR_GROUP}};

static void metrics(void *p, const rl_service_ctx_t *ctx, rl_metrics_t *m)
{
    (void)ctx;
    handlers_metrics(p, m);
}

int main(int argc, char **argv)
{
    server_t srv = {.clock = rl_clock_system()};
    const rl_service_t svc = {
        "monitor",
        "Takes risk events from other systems (acknowledged after they are persisted, stored once per\n"
        "source and event id) on RISKLINE_MONITOR_ENDPOINT (default tcp://127.0.0.1:7103).",
        endpoint, setup, handlers_route, tick, teardown, &srv, 0 /* default idle tick */,
        groups, sizeof groups / sizeof groups[0], metrics, work, answer, answer_fd, backstop,
    };
    return rl_service_main(argc, argv, &svc);
}
