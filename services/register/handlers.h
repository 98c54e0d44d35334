/* handlers.h: the register's request handlers (request -> domain rules -> store -> reply). */
#ifndef HANDLERS_H
#define HANDLERS_H

#include "risk_store.h"
#include "rl_bus.h"
#include "rl_clock.h"
#include "rl_keys.h"
#include "rl_log.h"

/* The service's one state object, owned by main and passed to every handler. */
typedef struct {
    rl_log_t *log;
    rl_store_t *store;
    risk_store_t *risks;
    rl_clock_t clock;
    rl_keys_t *keys;       /* the key store (owned by main's rl_secure) */
} server_t;

/* Routes every register request on bus to its handler. 0 ok, -1 on failure. */
int handlers_route(rl_bus_server_t *bus);
/* Routes the key requests (keys_handler.c). */
int keys_handler_route(rl_bus_server_t *bus);
/* AuditRead: a page of the tenant's audit chain with its signed head (audit_handler.c). */
rl_err_t audit_handler_read(void *app, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err);

#endif
