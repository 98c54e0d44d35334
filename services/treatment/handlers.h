/* handlers.h: the treatment service's request handlers (request -> domain rules -> store -> reply). */
#ifndef HANDLERS_H
#define HANDLERS_H

#include "catalogue.h"
#include "plan.h"
#include "plan_store.h"
#include "rl_bus.h"
#include "rl_clock.h"
#include "rl_log.h"

/* The service's one state object, owned by main and passed to every handler. */
typedef struct {
    rl_log_t *log;
    rl_store_t *store;
    plan_store_t *plans;
    rl_clock_t clock;
    plan_policy_t policy;
} server_t;

/* Routes every treatment request on bus to its handler. 0 ok, -1 on failure. */
int handlers_route(rl_bus_server_t *bus);

#endif
