/* handlers.h: the report service: the live update stream (publisher) and its catch-up request. */
#ifndef HANDLERS_H
#define HANDLERS_H

#include "rl_bus.h"
#include "rl_clock.h"
#include "rl_keys.h"
#include "rl_log.h"
#include "plan_store.h"
#include "risk_store.h"
#include "rl_store.h"
#include "update.h"

#define REPORT_MAX_TENANTS 256
/* How often the publisher reads the tenants' streams, and the service's idle tick (ms): the bound
 * on the time an event waits in Redis before it is published. */
#define REPORT_TICK_MS 20

/* The service's one state object, owned by main and passed to every handler. */
typedef struct {
    rl_log_t *log;
    rl_store_t *store;
    rl_clock_t clock;
    rl_bus_pub_t *pub;          /* NULL until main made it */
    rl_keys_t *keys;            /* the key store behind ZAP: revocations re-check subscribers */
    uint64_t revocations;
    int64_t next_publish_ms, next_keys_ms;
    rl_arena_t *arena;          /* the publisher's scratch */
    risk_store_t *risks;        /* reads of the register's risks and criteria (report_handler.c) */
    plan_store_t *plans;        /* reads of the treatment's plans, controls and SoA */
    rl_arena_t *scratch;        /* a report's page-by-page reads (reset after each page) */
    int started;                /* the first round of tenants has been positioned */
    size_t ntenants;
    struct {
        char tenant[33];
        char last[48];          /* last stream id published */
    } tenants[REPORT_MAX_TENANTS];
} server_t;

/* Routes the report's requests. 0 ok. */
int handlers_route(rl_bus_server_t *bus);

/* report_get (report_handler.c): the next chunk of a report (docs/CONTRACT.md "Reports"). */
rl_err_t report_handle_get(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err);

/* Publishes what every tenant's stream gained since the last call (a bounded batch per tenant)
 * as [topic][Update], and re-makes the publisher after a key revocation. Returns updates sent. */
size_t handlers_publish(server_t *srv);

#endif
