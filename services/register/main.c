/* main.c: riskline-register: its state and hooks; rl_service runs the loop. */
#include "handlers.h"
#include "plan_consumer.h"
#include "rl_service.h"

/* The local administrator's key (<keys_dir>/cli.pub, made by `riskline keys init`) is put into an
 * empty key store so the first CLI call works; an entry for it, even revoked, is left alone.
 * 1 when done (or nothing to do), 0 to try again later (Redis not reachable yet). */
static int seed_admin(server_t *srv, const rl_config_t *cfg)
{
    char path[1100];
    rl_keyfile_t kf;
    rl_error_t err;
    rl_error_clear(&err);
    if (rl_keyfile_path(path, sizeof path, cfg->keys_dir, "cli", "pub") || rl_keyfile_load(&kf, path, &err))
        return 1;
    rl_arena_t *a = rl_arena_new(1 << 20);
    if (!a)
        return 0;
    rl_err_t rc = rl_keys_seed(srv->keys, a, kf.curve_public, cfg->principal, rl_clock_now(&srv->clock), &err);
    rl_arena_destroy(&a);
    if (rc == RL_ERR_UNAVAILABLE)
        return 0;
    if (rc)
        rl_log_error(srv->log, "cannot seed the administrator key", "reason", err.message);
    return 1;
}

typedef struct {
    server_t srv;
    follower_t *follower;   /* the risks follow their plans */
    int seeded;
    int64_t next_seed;
} app_t;

static const char *endpoint(const rl_config_t *cfg) { return cfg->register_endpoint; }

static int setup(void *p, const rl_service_ctx_t *ctx)
{
    app_t *app = p;
    app->srv.log = ctx->log;
    app->srv.store = ctx->store;
    app->srv.clock = ctx->clock;
    app->srv.keys = rl_secure_keys(ctx->sec);
    app->srv.risks = risk_store_new(ctx->store);
    rl_group_reader_t reader;
    rl_service_group_reader(ctx, FOLLOWER_GROUP, &reader);
    app->follower = follower_new(&app->srv, &reader);
    app->seeded = ctx->cfg->insecure;
    return app->srv.risks && app->follower ? 0 : -1;
}

static void tick(void *p, const rl_service_ctx_t *ctx)
{
    app_t *app = p;
    if (!app->seeded && rl_mono_ms() >= app->next_seed) {
        app->seeded = seed_admin(&app->srv, ctx->cfg);
        app->next_seed = rl_mono_ms() + 2000;
    }
    follower_tick(app->follower);
}

static void teardown(void *p)
{
    app_t *app = p;
    follower_destroy(&app->follower);
    risk_store_destroy(&app->srv.risks);
}

/* Readiness: the plan follower keeps up with every tenant's domain events. */
static const rl_health_group_t groups[] = {{"events", FOLLOWER_GROUP}};

int main(int argc, char **argv)
{
    /* server_t is the first member: handlers get app as their server_t */
    app_t app = {.srv = {.clock = rl_clock_system()}};
    const rl_service_t svc = {
        "register", "Serves the risk register on RISKLINE_REGISTER_ENDPOINT (default tcp://127.0.0.1:7101).",
        endpoint, setup, handlers_route, tick, teardown, &app, 0 /* default idle tick */,
        groups, sizeof groups / sizeof groups[0], NULL, NULL, NULL, NULL, NULL,
    };
    return rl_service_main(argc, argv, &svc);
}
