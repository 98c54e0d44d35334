/* rl_service.c: the one main loop of every service (wiring, signals, shutdown). */
#define _GNU_SOURCE /* SCHED_IDLE */
#include "rl_service.h"
#include "rl_clock.h"
#include "rl_limits.h"
#include "rl_probe.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The process-wide stop flag set by SIGINT/SIGTERM (the one mutable global a service has). */
static volatile sig_atomic_t stop_flag = 0;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* The default consumer name: <hostname>:<port of the request endpoint> (<hostname>/<endpoint> for
 * an endpoint without a port). Two live processes of one service on a host cannot share it (the
 * second cannot bind), and a replica restarted on the same host and port (a container restarted
 * in its pod keeps its hostname) gets it again, so it first re-reads what it left pending. */
static void consumer_name(const rl_config_t *cfg, const char *endpoint, char *out, size_t size)
{
    if (cfg->consumer_name[0]) {
        snprintf(out, size, "%s", cfg->consumer_name);
        return;
    }
    char host[64] = "localhost";
    if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    const char *colon = strrchr(endpoint, ':');
    if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1))
        snprintf(out, size, "%s:%s", host, colon + 1);
    else
        snprintf(out, size, "%s/%s", host, endpoint);
}

void rl_service_group_reader(const rl_service_ctx_t *ctx, const char *group, rl_group_reader_t *out)
{
    rl_group_reader_init(out, group, ctx->consumer, ctx->cfg->claim_idle_ms, ctx->stopping);
}

void rl_service_backstop_reader(const rl_service_ctx_t *ctx, const char *group, rl_group_reader_t *out)
{
    static const char suffix[] = "/backstop";
    char name[RL_MAX_CONSUMER + 1];
    snprintf(name, sizeof name, "%.*s%s", (int)(sizeof name - sizeof suffix), ctx->consumer, suffix);
    /* it runs only while the work thread is starved: what that thread holds is claimed soon */
    int claim_ms = ctx->cfg->claim_idle_ms < RL_WORK_STARVED_MS ? ctx->cfg->claim_idle_ms : RL_WORK_STARVED_MS;
    rl_group_reader_init(out, group, name, claim_ms, ctx->stopping);
}

/* The work hook's thread (rl_service_t.work), or its backstop's (rl_service_t.backstop). */
typedef struct worker {
    const rl_service_t *svc;
    rl_log_t *log;
    atomic_int quit;       /* the loop failed: end now, whatever is held */
    atomic_llong caught_up_ms;  /* work: when a call last found nothing to do (monotonic ms) */
    const struct worker *watched;  /* backstop: the work thread it stands in for; NULL: work */
    int started;
    pthread_t thread;
} worker_t;

/* Background work yields the CPU: requests are answered first and the work takes what is left.
 * SCHED_IDLE where the system allows it: a thread of the loop, of ZeroMQ or of Redis that wakes
 * then runs at once instead of waiting out the work's time slice (the scheduler does not preempt
 * a nice 10 thread for a waking one until their deadlines say so); refused, nice RL_WORK_NICE.
 * Both are per thread on Linux and need no privilege. Under a load that leaves no CPU the work
 * lags; its consumer lag then makes the service not ready (RISKLINE_READY_MAX_LAG), so an
 * orchestrator sends the load elsewhere until it has caught up. */
static void work_nice(rl_log_t *log)
{
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), RL_WORK_NICE) != 0)
        rl_log_debug(log, "background work keeps the loop's priority", "reason", strerror(errno));
}

static void work_priority(rl_log_t *log)
{
#ifdef SCHED_IDLE
    struct sched_param idle = {0};
    int rc = pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
    if (rc == 0) {
        rl_log_debug(log, "background work runs when the CPU is idle", "policy", "SCHED_IDLE");
        return;
    }
    rl_log_debug(log, "no SCHED_IDLE for background work", "reason", strerror(rc));
#endif
    work_nice(log);
}

static void sleep_ms(long ms) { nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL); }

/* 1 when the work thread has not caught up for RL_WORK_STARVED_MS: it waits for a CPU, or gets
 * too little of one to keep up (a SCHED_IDLE thread waits out the others' slices at every Redis
 * round trip). Both threads then work, which the hooks allow. */
static int starved(const worker_t *work)
{
    return rl_mono_ms() - atomic_load(&work->caught_up_ms) > RL_WORK_STARVED_MS;
}

static void *worker_main(void *p)
{
    worker_t *w = p;
    if (w->watched)
        work_nice(w->log);  /* the backstop: a share of the CPU however busy it is */
    else
        work_priority(w->log);
    int standing_in = 0;
    size_t done = 0;
    while (!atomic_load(&w->quit)) {
        /* the backstop rests only once its own last call found nothing: what it claimed and did not
         * finish is pending under its name, and the work thread would claim it back only after
         * RISKLINE_CLAIM_IDLE_MS */
        if (w->watched && !stop_flag && !done && !starved(w->watched)) {
            if (standing_in)
                rl_log_info(w->log, "background work caught up: the backstop thread rests");
            standing_in = 0;
            sleep_ms(RL_WORK_BACKSTOP_CHECK_MS);
            continue;
        }
        if (w->watched && !standing_in && !stop_flag) {
            char ms[24];
            snprintf(ms, sizeof ms, "%d", RL_WORK_STARVED_MS);
            rl_log_warn(w->log, "background work behind: the backstop thread helps until it has caught up",
                        "behind_ms", ms);
            standing_in = 1;
        }
        done = w->watched ? w->svc->backstop(w->svc->app) : w->svc->work(w->svc->app);
        if (!done && !w->watched)
            atomic_store(&w->caught_up_ms, rl_mono_ms());
        if (stop_flag && !done)
            break;  /* stopping, and nothing more was held: finished */
        if (!done)  /* nothing to do: look again in RL_TICK_MS */
            sleep_ms(RL_TICK_MS);
    }
    return NULL;
}

/* Starts the thread with SIGINT and SIGTERM blocked in it: the signal goes to the loop, whose
 * poll it interrupts. 0 ok. */
static int worker_start(worker_t *w, const rl_service_t *svc, rl_log_t *log, const worker_t *watched)
{
    w->svc = svc;
    w->log = log;
    w->watched = watched;
    atomic_init(&w->quit, 0);
    atomic_init(&w->caught_up_ms, rl_mono_ms());
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    w->started = rc == 0;
    return rc == 0 ? 0 : -1;
}

/* Waits for the thread: after a stop it finishes what it holds (bounded by RL_STOP_FINISH_MS, see
 * rl_group_give_up); quit ends it at its next turn. */
static void worker_join(worker_t *w, int quit)
{
    if (!w->started)
        return;
    if (quit)
        atomic_store(&w->quit, 1);
    pthread_join(w->thread, NULL);
    w->started = 0;
}

/* SIGTERM: the request in hand was answered (the poll's batch ended with it). Requests queued or
 * arriving are refused `unavailable` (field "stopping") so their clients resend them elsewhere at
 * once instead of waiting for a timeout; the consumers finish the entries they hold and read
 * nothing new (one last tick: no interval); requests that came meanwhile are refused too. Bounds:
 * rl_limits.h RL_STOP_*. */
static void stop_gracefully(const rl_service_t *svc, const rl_service_ctx_t *ctx, rl_bus_server_t *rpc,
                            worker_t *worker, worker_t *backstop)
{
    int64_t t0 = rl_mono_ms();
    if (svc->answer)  /* requests taken are answered, whatever comes next */
        svc->answer(svc->app, rpc, 1);
    int refused = rl_bus_server_drain(rpc, RL_STOP_QUIET_MS, RL_STOP_DRAIN_MS);
    if (svc->tick)
        svc->tick(svc->app, ctx);
    worker_join(worker, 0);  /* its consumers finished meanwhile, or give up */
    worker_join(backstop, 0);
    refused += rl_bus_server_drain(rpc, 0, 0);
    char n[24], ms[24];
    snprintf(n, sizeof n, "%d", refused);
    snprintf(ms, sizeof ms, "%lld", (long long)(rl_mono_ms() - t0));
    rl_log_info(ctx->log, "stopping: requests refused, consumers finished", "refused", n, "ms", ms);
}

static int usage(const rl_service_t *svc)
{
    printf("usage: riskline-%s [--help] [--version] [--check[=live|ready]]\n"
           "%s\n"
           "  --check[=ready]  ask the running service (same configuration and key) whether it is ready:\n"
           "                   Redis reachable and its consumers caught up; exit 0 ready, 1 not (one line why)\n"
           "  --check=live     exit 0 when it answers at all\n"
           "All settings: see README \"Configuration\". Exit: 0 stopped, 1 bad configuration, 3 cannot bind.\n",
           svc->name, svc->summary);
    return 0;
}

int rl_service_main(int argc, char **argv, const rl_service_t *svc)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0)
        return usage(svc);
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("riskline-%s %s\n", svc->name, RL_VERSION);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--check") == 0)
        return rl_probe_check(svc, "ready");
    if (argc > 1 && strncmp(argv[1], "--check=", 8) == 0)
        return rl_probe_check(svc, argv[1] + 8);
    if (argc > 1) {
        fprintf(stderr, "riskline-%s: unknown argument %s (try --help)\n", svc->name, argv[1]);
        return 1;
    }
    int status = 0, set_up = 0;
    rl_config_t cfg;
    rl_error_t err;
    rl_error_clear(&err);
    char consumer[RL_MAX_CONSUMER + 1];
    rl_service_ctx_t ctx = {&cfg, NULL, NULL, NULL, NULL, rl_clock_system(), consumer, &stop_flag, NULL, NULL, NULL};
    worker_t worker = {0}, backstop = {0};
    int64_t clock_offset_ms = 0;  /* read by ctx.clock while the service runs */
    rl_bus_server_t *rpc = NULL;
    rl_probe_t *probe = NULL;
    if (rl_config_load(&cfg, &err) != RL_OK) {
        fprintf(stderr, "riskline-%s: configuration: %s: %s\n", svc->name, err.field, err.message);
        return 1;
    }
    /* from here on SIGTERM is a graceful stop (exit 0), even while the service is still starting */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    /* a Redis round trip in hand completes (its reply is read) instead of failing with EINTR;
     * the poll still returns at once (poll is never restarted) */
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    const char *endpoint = svc->endpoint(&cfg);
    consumer_name(&cfg, endpoint, consumer, sizeof consumer);
    clock_offset_ms = (int64_t)cfg.clock_offset_s * 1000;
    ctx.clock = rl_clock_offset(&clock_offset_ms);
    ctx.log = rl_log_new(svc->name, (rl_log_level_t)rl_log_level_parse(cfg.log_level), stdout, NULL);
    rl_store_opts_t so = {cfg.redis_host,           cfg.redis_port,          cfg.redis_user,
                          cfg.redis_password,       cfg.redis_timeout_ms,    cfg.redis_sentinels,
                          cfg.redis_master_name,    cfg.redis_sentinel_user, cfg.redis_sentinel_password,
                          cfg.redis_wait_replicas,  cfg.redis_wait_timeout_ms, cfg.redis_cluster};
    int with_backstop = svc->work && svc->backstop;  /* a backstop stands in for work only */
    ctx.store = rl_store_new(&so, ctx.log);
    if (svc->work)
        ctx.work_store = rl_store_new(&so, ctx.log);
    if (with_backstop)
        ctx.backstop_store = rl_store_new(&so, ctx.log);
    if (svc->answer)
        ctx.answer_store = rl_store_new(&so, ctx.log);
    memset(cfg.redis_password, 0, sizeof cfg.redis_password);
    memset(cfg.redis_sentinel_password, 0, sizeof cfg.redis_sentinel_password);
    ctx.bus = rl_bus_new(ctx.log);
    if (!ctx.log || !ctx.store || !ctx.bus || (svc->work && !ctx.work_store) ||
        (with_backstop && !ctx.backstop_store) || (svc->answer && !ctx.answer_store)) {
        fprintf(stderr, "riskline-%s: out of memory\n", svc->name);
        status = 1;
        goto cleanup;
    }
    /* ZAP before any bind: a CURVE socket without it would accept every client. */
    ctx.sec = rl_secure_new(&cfg, svc->name, ctx.bus, ctx.store, ctx.log, &err);
    if (!ctx.sec) {
        fprintf(stderr, "riskline-%s: %s: %s\n", svc->name, err.field, err.message);
        status = 1;
        goto cleanup;
    }
    /* Audit chain heads are signed with the service's key; without one (insecure) they are not. */
    const rl_keyfile_t *kf = rl_secure_keyfile(ctx.sec);
    const uint8_t *sign_secret = kf && kf->has_sign_secret ? kf->sign_secret : NULL;
    rl_store_t *writers[] = {ctx.store, ctx.work_store, ctx.backstop_store};  /* those that write entities */
    for (size_t i = 0; i < sizeof writers / sizeof writers[0]; i++)
        if (writers[i])
            rl_store_set_signer(writers[i], svc->name, sign_secret, &err);
    if (cfg.clock_offset_s) {
        char off[24];
        snprintf(off, sizeof off, "%d", cfg.clock_offset_s);
        rl_log_warn(ctx.log, "clock shifted by RISKLINE_CLOCK_OFFSET_S: for tests only, never in production",
                    "clock_offset_s", off);
    }
    if (svc->setup(svc->app, &ctx) != 0) {
        fprintf(stderr, "riskline-%s: cannot set up the service\n", svc->name);
        status = 1;
        goto cleanup;
    }
    set_up = 1;
    rl_principal_t local;
    rl_principal_local(&local, cfg.principal);
    rpc = rl_bus_server_new(ctx.bus, svc->name, endpoint, rl_secure_curve_secret(ctx.sec), &local, &err);
    if (!rpc) {
        rl_log_error(ctx.log, "cannot start", "endpoint", endpoint, "reason", err.message);
        status = 3;
        goto cleanup;
    }
    if (svc->route(rpc) != 0) {
        status = 1;
        goto cleanup;
    }
    probe = rl_probe_new(svc, &ctx, rpc, &err);
    if (!probe) {
        rl_log_error(ctx.log, "cannot start", "reason", err.message);
        status = err.code == RL_ERR_UNAVAILABLE ? 3 : 1;
        goto cleanup;
    }
    rl_bus_server_stop_on(rpc, &stop_flag);
    if (rl_store_ping(ctx.store, &err) != RL_OK)
        rl_log_warn(ctx.log, "redis not reachable yet; requests get 'unavailable' until it is", "reason", err.message);
    char redis[300];
    snprintf(redis, sizeof redis, "%s:%d", cfg.redis_host, cfg.redis_port);
    rl_log_info(ctx.log, "listening", "endpoint", endpoint, "redis", redis, "principal", cfg.principal, "consumer",
                consumer, "version", RL_VERSION);
    if (svc->work && (worker_start(&worker, svc, ctx.log, NULL) != 0 ||
                      (with_backstop && worker_start(&backstop, svc, ctx.log, &worker) != 0))) {
        rl_log_error(ctx.log, "cannot start", "reason", "no thread for the background work");
        status = 1;
        goto cleanup;
    }
    int64_t last_tick = 0;
    int idle_ms = svc->tick_ms > 0 ? svc->tick_ms : RL_IDLE_TICK_MS;
    while (!stop_flag) {
        /* at most every RL_TICK_MS: under load the loop turns per request batch, and a tick costs
         * the consumers Redis round trips that would otherwise come with every request */
        int64_t now = rl_mono_ms();
        if (svc->tick && now - last_tick >= RL_TICK_MS) {
            svc->tick(svc->app, &ctx);
            last_tick = now;
        }
        int wait_ms = idle_ms, http_ms = rl_probe_timeout_ms(probe);
        if (http_ms >= 0 && http_ms < wait_ms)
            wait_ms = http_ms;
        rl_bus_server_watch_answers(rpc, svc->answer_fd ? svc->answer_fd(svc->app) : -1);
        if (rl_bus_server_poll(rpc, svc->app, wait_ms) < 0) {
            status = 1;
            break;
        }
        if (svc->answer)
            svc->answer(svc->app, rpc, 0);
        /* the metrics HTTP server runs here, in the loop: it reads the counters without a lock */
        rl_probe_run(probe);
    }
    if (stop_flag)
        stop_gracefully(svc, &ctx, rpc, &worker, &backstop);
    rl_bus_stats_t st;
    rl_bus_server_stats(rpc, &st);
    char reqs[32], errs[32];
    snprintf(reqs, sizeof reqs, "%llu", (unsigned long long)st.requests);
    snprintf(errs, sizeof errs, "%llu", (unsigned long long)st.errors);
    rl_log_info(ctx.log, "stopped", "requests", reqs, "errors", errs);
cleanup:
    worker_join(&backstop, 1);
    worker_join(&worker, 1);
    rl_probe_destroy(&probe);
    rl_bus_server_destroy(&rpc);
    if (set_up && svc->teardown)
        svc->teardown(svc->app);
    rl_secure_destroy(&ctx.sec);
    rl_bus_destroy(&ctx.bus);
    rl_store_destroy(&ctx.work_store);
    rl_store_destroy(&ctx.backstop_store);
    rl_store_destroy(&ctx.answer_store);
    rl_store_destroy(&ctx.store);
    rl_log_destroy(&ctx.log);
    return status;
}
