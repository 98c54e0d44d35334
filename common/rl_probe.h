/* rl_probe.h: a running service's health and metrics (HealthGet on its bus, GET /metrics and
 * /healthz over HTTP, request counters), and `riskline-<service> --check`, the probe that asks it. */
#ifndef RL_PROBE_H
#define RL_PROBE_H

#include "rl_service.h"

typedef struct rl_probe rl_probe_t;

/* Answers HealthGet on rpc, counts every request rpc handles, and serves /metrics and /healthz on
 * cfg metrics_host:<the service's metrics port> (0 = no HTTP). Everything runs in the service loop
 * (rl_probe_run after each poll): no thread, no lock. NULL with err set (RL_ERR_UNAVAILABLE: the
 * port cannot be bound). svc, ctx and rpc must outlive the probe. */
rl_probe_t *rl_probe_new(const rl_service_t *svc, const rl_service_ctx_t *ctx, rl_bus_server_t *rpc,
                         rl_error_t *err);
void rl_probe_destroy(rl_probe_t **self_p);
/* The longest the loop may wait before rl_probe_run must run (ms), or -1: only when woken. */
int rl_probe_timeout_ms(const rl_probe_t *self);
/* Serves waiting HTTP requests without blocking. */
void rl_probe_run(rl_probe_t *self);

/* `riskline-<service> --check[=MODE]`: with the service's own configuration and key, sends
 * HealthGet to its endpoint and prints one line. MODE "ready" (default): exit 0 when ready, 1
 * otherwise; "live": 0 when it answers at all. */
int rl_probe_check(const rl_service_t *svc, const char *mode);

/* The address a client uses to reach an endpoint a server binds: a wildcard host ("*",
 * "0.0.0.0") becomes 127.0.0.1. Into buf; -1 when it does not fit. Pure. */
int rl_probe_connect_endpoint(const char *bind, char *buf, size_t size);

#endif
