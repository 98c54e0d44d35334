/* handlers.h: the monitor's request handlers: event ingestion (acked after persisting), status. */
#ifndef HANDLERS_H
#define HANDLERS_H

#include "alert.h"
#include "event.h"
#include "rl_bus.h"
#include "rl_clock.h"
#include "rl_limits.h"
#include "rl_log.h"
#include "rl_metrics.h"
#include "rl_store.h"

/* The service's one state object, owned by main and passed to every handler. */
typedef struct {
    rl_log_t *log;
    rl_store_t *store;
    rl_clock_t clock;
    uint64_t accepted, duplicates, rejected;   /* since start, for the log */
    alert_policy_t alerts;
    int64_t last_sweep_ms;
    rl_arena_t *sweep_arena;
    void *correlator;      /* correlator_t (correlate_consumer.h), owned by main */
    void *backstop;        /* the second one, of the backstop thread (rl_service_t.backstop) */
    /* Ingestion appends in flight on a connection of their own (ctx->answer_store), each with the
     * requests it answers, oldest first: the loop reads and checks the next batches meanwhile. */
    rl_store_t *answer_store;
    struct ingest_job *jobs[RL_LATER_MAX];
    size_t job_head, njobs;
    int64_t overlap_until_ms;  /* monotonic: batches overlapped lately (handlers.c job_new) */
} server_t;

/* Sweeps every tenant's schedules (alert_store_sweep); returns the alerts raised or resolved. */
size_t handlers_sweep_all(server_t *srv);

/* Sets the monitor's metrics before a scrape: events received since start by outcome, and the
 * alerts open (or acknowledged) over every tenant (one pipeline of ZCARD). */
void handlers_metrics(server_t *srv, rl_metrics_t *m);

/* Answers the batches whose appends have come back (wait 0), or all of them (wait 1): the
 * rl_service_t.answer hook. */
void handlers_answer(server_t *srv, rl_bus_server_t *rpc, int wait);
/* What the loop's poll waits on for them; -1 when nothing is in flight. */
int handlers_answer_fd(const server_t *srv);

/* Routes every monitor request on bus to its handler. 0 ok, -1 on failure. */
int handlers_route(rl_bus_server_t *bus);

#endif
