/* main.c: riskline-monitor: its state and hooks; rl_service runs the loop. */
#include "handlers.h"
#include "rl_service.h"

static const char *endpoint(const rl_config_t *cfg) { return cfg->monitor_endpoint; }

static int setup(void *p, const rl_service_ctx_t *ctx)
{
    server_t *srv = p;
    srv->log = ctx->log;
    srv->store = ctx->store;
    return 0;
}

int main(int argc, char **argv)
{
    server_t srv = {.clock = rl_clock_system()};
    const rl_service_t svc = {
        "monitor",
        "Takes risk events from other systems (acknowledged after they are persisted, stored once per\n"
        "source and event id) on RISKLINE_MONITOR_ENDPOINT (default tcp://127.0.0.1:7103).",
        endpoint, setup, handlers_route, NULL, NULL, &srv,
    };
    return rl_service_main(argc, argv, &svc);
}
