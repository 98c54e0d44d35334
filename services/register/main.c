/* main.c: riskline-register: configuration, wiring, the request loop, clean shutdown. */
#include "handlers.h"
#include "rl_config.h"
#include "rl_secure.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t stop_flag = 0;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

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

static int usage(void)
{
    printf("usage: riskline-register [--help] [--version]\n"
           "Serves the risk register on RISKLINE_REGISTER_ENDPOINT (default tcp://127.0.0.1:7101),\n"
           "storing in Redis at RISKLINE_REDIS_HOST:RISKLINE_REDIS_PORT (default 127.0.0.1:7100).\n"
           "All settings: see README \"Configuration\". Exit: 0 stopped, 1 bad configuration, 3 cannot bind.\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0)
        return usage();
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("riskline-register %s\n", RL_VERSION);
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "riskline-register: unknown argument %s (try --help)\n", argv[1]);
        return 1;
    }
    int status = 0;
    rl_config_t cfg;
    rl_error_t err;
    rl_error_clear(&err);
    server_t srv = {.clock = rl_clock_system()};
    rl_bus_t *bus = NULL;
    rl_bus_server_t *rpc = NULL;
    rl_secure_t *sec = NULL;
    if (rl_config_load(&cfg, &err) != RL_OK) {
        fprintf(stderr, "riskline-register: configuration: %s: %s\n", err.field, err.message);
        return 1;
    }
    srv.log = rl_log_new("register", (rl_log_level_t)rl_log_level_parse(cfg.log_level), stdout, NULL);
    rl_store_opts_t so = {cfg.redis_host, cfg.redis_port, cfg.redis_user, cfg.redis_password,
                          cfg.redis_timeout_ms};
    srv.store = rl_store_new(&so, srv.log);
    memset(cfg.redis_password, 0, sizeof cfg.redis_password);
    srv.risks = srv.store ? risk_store_new(srv.store) : NULL;
    bus = rl_bus_new(srv.log);
    if (!srv.log || !srv.store || !srv.risks || !bus) {
        fprintf(stderr, "riskline-register: out of memory\n");
        status = 1;
        goto cleanup;
    }
    /* ZAP before any bind: a CURVE socket without it would accept every client. */
    sec = rl_secure_new(&cfg, "register", bus, srv.store, srv.log, &err);
    if (!sec) {
        fprintf(stderr, "riskline-register: %s: %s\n", err.field, err.message);
        status = 1;
        goto cleanup;
    }
    srv.keys = rl_secure_keys(sec);
    /* Audit chain heads are signed with the service's key; without one (insecure) they are not. */
    const rl_keyfile_t *kf = rl_secure_keyfile(sec);
    rl_store_set_signer(srv.store, "register", kf && kf->has_sign_secret ? kf->sign_secret : NULL, &err);
    rl_principal_t local;
    rl_principal_local(&local, cfg.principal);
    rpc = rl_bus_server_new(bus, "register", cfg.register_endpoint, rl_secure_curve_secret(sec), &local, &err);
    if (!rpc) {
        rl_log_error(srv.log, "cannot start", "endpoint", cfg.register_endpoint, "reason", err.message);
        status = 3;
        goto cleanup;
    }
    if (handlers_route(rpc) != 0) {
        status = 1;
        goto cleanup;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (rl_store_ping(srv.store, &err) != RL_OK)
        rl_log_warn(srv.log, "redis not reachable yet; requests get 'unavailable' until it is", "reason",
                    err.message);
    char redis[300];
    snprintf(redis, sizeof redis, "%s:%d", cfg.redis_host, cfg.redis_port);
    rl_log_info(srv.log, "listening", "endpoint", cfg.register_endpoint, "redis", redis, "principal",
                cfg.principal, "version", RL_VERSION);
    int seeded = cfg.insecure;
    int64_t next_seed = 0;
    while (!stop_flag) {
        if (!seeded && rl_mono_ms() >= next_seed) {
            seeded = seed_admin(&srv, &cfg);
            next_seed = rl_mono_ms() + 2000;
        }
        if (rl_bus_server_poll(rpc, &srv, 200) < 0) {
            status = 1;
            break;
        }
    }
    rl_bus_stats_t st;
    rl_bus_server_stats(rpc, &st);
    char reqs[32], errs[32];
    snprintf(reqs, sizeof reqs, "%llu", (unsigned long long)st.requests);
    snprintf(errs, sizeof errs, "%llu", (unsigned long long)st.errors);
    rl_log_info(srv.log, "stopped", "requests", reqs, "errors", errs);
cleanup:
    rl_bus_server_destroy(&rpc);
    rl_secure_destroy(&sec);
    rl_bus_destroy(&bus);
    risk_store_destroy(&srv.risks);
    rl_store_destroy(&srv.store);
    rl_log_destroy(&srv.log);
    return status;
}
