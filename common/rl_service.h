/* rl_service.h: what every service's main does, once: configuration, log, store, ZAP and CURVE,
 * bind, signals, the request loop and a clean shutdown. A service supplies its hooks. */
#ifndef RL_SERVICE_H
#define RL_SERVICE_H

#include "rl_bus.h"
#include "rl_clock.h"
#include "rl_config.h"
#include "rl_health.h"
#include "rl_log.h"
#include "rl_metrics.h"
#include "rl_secure.h"
#include "rl_store.h"

#include <signal.h>

/* The loop calls a service's tick hook (its consumers, sweeps) at most this often (ms); when
 * idle, at least every RL_IDLE_TICK_MS (the poll timeout), or the service's own tick_ms. */
#define RL_TICK_MS 10
#define RL_IDLE_TICK_MS 200
/* The work thread (rl_service_t.work) runs SCHED_IDLE, or where that is refused at this nice value:
 * below the loop's, which answers requests. The backstop thread (rl_service_t.backstop) runs at it. */
#define RL_WORK_NICE 10
/* The work thread is starved when it has not caught up (a call found nothing to do) for this long
 * (ms): the backstop then works too, until it has. Checked every RL_WORK_BACKSTOP_CHECK_MS. */
#define RL_WORK_STARVED_MS 2000
#define RL_WORK_BACKSTOP_CHECK_MS 100

/* What the service's hooks get: everything wired, owned by rl_service_main. */
typedef struct {
    const rl_config_t *cfg;
    rl_log_t *log;
    rl_store_t *store;
    rl_secure_t *sec;
    rl_bus_t *bus;
    /* The service's clock: the wall clock, shifted by RISKLINE_CLOCK_OFFSET_S (tests only). A
     * service's setup takes it as its own (srv->clock = ctx->clock). */
    rl_clock_t clock;
    /* This process's consumer name in its consumer groups (RISKLINE_CONSUMER_NAME, or
     * <hostname>:<endpoint port>): a consumer builds its rl_group_reader_t from it. */
    const char *consumer;
    /* Set once SIGTERM/SIGINT arrived: a consumer reads nothing new and finishes what it holds
     * for at most RL_STOP_FINISH_MS, so the service exits within RL_STOP_BOUND_MS however long
     * its backlog (rl_limits.h). */
    const volatile sig_atomic_t *stopping;
    /* The work hook's own connection (rl_service_t.work; NULL for a service without one): a store
     * serves one thread. Same settings and signer as store. */
    rl_store_t *work_store;
    /* The connection for requests answered later (rl_service_t.answer; NULL without): commands
     * are sent on it without waiting (rl_store_append_send), so nothing else may use it. */
    rl_store_t *answer_store;
    /* The backstop hook's own connection (rl_service_t.backstop; NULL without). */
    rl_store_t *backstop_store;
} rl_service_ctx_t;

/* The reader of `group` for this process (its consumer name, RISKLINE_CLAIM_IDLE_MS, the stop flag). */
void rl_service_group_reader(const rl_service_ctx_t *ctx, const char *group, rl_group_reader_t *out);
/* The same for the backstop hook (rl_service_t.backstop): consumer "<name>/backstop", claiming
 * what has been pending RL_WORK_STARVED_MS (what the starved work thread holds), or less. */
void rl_service_backstop_reader(const rl_service_ctx_t *ctx, const char *group, rl_group_reader_t *out);

typedef struct {
    const char *name;        /* "treatment": log service, key file <keys_dir>/<name>.key, signer */
    const char *summary;     /* one line for --help */
    /* The endpoint to bind, from the configuration (e.g. cfg->treatment_endpoint). */
    const char *(*endpoint)(const rl_config_t *cfg);
    /* Builds the service's state in app once store and security are up; 0 ok, -1 fails start (1). */
    int (*setup)(void *app, const rl_service_ctx_t *ctx);
    /* Routes its requests; 0 ok. */
    int (*route)(rl_bus_server_t *rpc);
    /* Called between request batches, every RL_TICK_MS at most and every tick_ms at least, e.g.
     * for consumers; may be NULL. */
    void (*tick)(void *app, const rl_service_ctx_t *ctx);
    /* Frees what setup made; may be NULL. */
    void (*teardown)(void *app);
    void *app;               /* the service's server_t */
    /* Longest wait between ticks when no request arrives (the poll timeout), ms; 0 = RL_IDLE_TICK_MS.
     * A service whose tick is latency-bound (the report's publisher) sets a short one. */
    int tick_ms;
    /* The consumer groups the service runs, one per stream suffix (on every tenant's stream): its
     * readiness requires each within RISKLINE_READY_MAX_LAG entries, and their lag is a metric.
     * NULL/0: none (ready = Redis reachable). */
    const rl_health_group_t *groups;
    size_t ngroups;
    /* Sets the service's own metrics just before a scrape (rl_metrics_declare, then set/add); runs
     * in the loop, like every hook. May be NULL. */
    void (*metrics)(void *app, const rl_service_ctx_t *ctx, rl_metrics_t *m);
    /* Background work on a thread of its own with its own Redis connection (ctx->work_store, made
     * before setup), so that it never delays a request nor waits behind one: a consumer that must
     * keep up with a stream while requests keep the loop busy (the monitor's correlator). Called
     * again at once while it returns > 0 (work done, more may wait), else after RL_TICK_MS. Once
     * the service stops it is called until it returns 0 (its consumers finished what they held,
     * or gave up: rl_group_give_up) and the process waits for that. It must share nothing mutable
     * with the loop's hooks (the log and the clock may be shared). May be NULL. */
    size_t (*work)(void *app);
    /* Requests its gather handlers answer later (RL_BUS_LATER), once their store replies are in
     * (ctx->answer_store, made before setup): the loop, which meanwhile reads and checks the next
     * requests, calls answer(wait 0) after every poll to answer those whose replies came, and
     * answer(wait 1) once the service stops, before requests are refused, to answer them all.
     * answer_fd: what the poll also waits on for them (-1: nothing in flight). May be NULL. */
    void (*answer)(void *app, rl_bus_server_t *rpc, int wait);
    int (*answer_fd)(void *app);
    /* The work's backstop, for a service with work: the work thread yields to every other thread
     * of the process (SCHED_IDLE), so a process that keeps the CPU busy would starve it for good.
     * While the work thread is starved (behind for RL_WORK_STARVED_MS), this hook is called as work
     * is, on a thread of its own at nice RL_WORK_NICE with its own connection (ctx->backstop_store),
     * until the work thread has caught up; once the service stops, until it returns 0. It
     * must do what work does without sharing its state (the monitor: a second correlator, under a
     * consumer name of its own in the same group). May be NULL. */
    size_t (*backstop)(void *app);
} rl_service_t;

/* Runs the service until SIGINT/SIGTERM. Exit status: 0 stopped, 1 bad configuration or setup,
 * 3 cannot bind (requests or metrics port). Handles --help, --version and --check[=live|ready]
 * (rl_probe.h: asks the running service, exit 0 ready/live, 1 not). */
int rl_service_main(int argc, char **argv, const rl_service_t *svc);

#endif
