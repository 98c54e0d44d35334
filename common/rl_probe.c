/* rl_probe.c: health (HealthGet, /healthz), metrics (/metrics) and the --check probe of a service. */
#include "rl_probe.h"
#include "rl_secure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef RL_VERSION
#define RL_VERSION "0.1.0"
#endif

struct rl_probe {
    const rl_service_t *svc;
    const rl_service_ctx_t *ctx;
    rl_bus_server_t *rpc;
    int64_t started_ms;
    rl_metrics_t *m;
    rl_metrics_http_t *http;
    rl_arena_t *arena;        /* scratch of one health answer or scrape */
    int64_t store_read_ms;    /* when a scrape last read Redis (lag, the service's hook) */
};

/* A scrape reads Redis (a round trip per tenant stream) at most this often; scrapes in between
 * render the values read last, so a client polling /metrics in a loop cannot load the service. */
#define STORE_READ_MIN_MS 1000

/* Request latency buckets (seconds): a request is a Redis round trip or a few (~0.1..5 ms). */
static const double latency_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

static int metrics_port(const rl_config_t *cfg, const char *service)
{
    if (!strcmp(service, "register"))
        return cfg->register_metrics_port;
    if (!strcmp(service, "treatment"))
        return cfg->treatment_metrics_port;
    if (!strcmp(service, "monitor"))
        return cfg->monitor_metrics_port;
    if (!strcmp(service, "report"))
        return cfg->report_metrics_port;
    return 0;
}

/* Fills h for now: Redis PING, every consumer group's lag, the judgement. -1 out of memory. */
static int health_fill(rl_probe_t *self, rl_arena_t *a, Riskline__V1__Health *h)
{
    h->service = (char *)self->svc->name;
    h->version = RL_VERSION;
    h->live = 1;
    h->uptime_ms = rl_mono_ms() - self->started_ms;
    rl_error_t err;
    rl_error_clear(&err);
    rl_health_lag_t *lags = NULL;
    size_t n = 0;
    const char *redis_error = NULL, *lag_error = NULL;
    if (rl_store_ping(self->ctx->store, &err) != RL_OK)
        redis_error = err.message[0] ? err.message : rl_strerror(err.code);
    else if (rl_health_lags(self->ctx->store, a, self->svc->groups, self->svc->ngroups, &lags, &n, &err) != RL_OK)
        lag_error = err.message[0] ? err.message : rl_strerror(err.code);
    h->redis_connects = rl_store_connects(self->ctx->store);
    return rl_health_judge(redis_error, lag_error, lags, n, (uint64_t)self->ctx->cfg->ready_max_lag, a, h);
}

static rl_err_t on_health(void *p, const rl_bus_req_t *req, rl_envelope_t *reply, rl_error_t *err)
{
    rl_probe_t *self = p;
    Riskline__V1__Health *h = rl_arena_alloc(req->arena, sizeof *h);
    if (!h)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    riskline__v1__health__init(h);
    if (health_fill(self, req->arena, h) != 0)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    reply->body_case = RISKLINE__V1__ENVELOPE__BODY_HEALTH;
    reply->health = h;
    return RL_OK;
}

/* /healthz: the same judgement as HealthGet. */
static int on_ready(void *p, char *reason, size_t size)
{
    rl_probe_t *self = p;
    rl_arena_reset(self->arena);
    Riskline__V1__Health h;
    riskline__v1__health__init(&h);
    if (health_fill(self, self->arena, &h) != 0) {
        snprintf(reason, size, "out of memory");
        return 0;
    }
    if (h.n_reasons)
        snprintf(reason, size, "%s%s", h.reasons[0], h.n_reasons > 1 ? " (and more: see HealthGet)" : "");
    return h.ready;
}

static void observe(void *p, const char *route, rl_err_t code, int64_t duration_ns)
{
    rl_probe_t *self = p;
    const char *l1[] = {"service", self->svc->name, "type", route, "code", rl_strerror(code)};
    rl_metric_add(rl_metrics_get(self->m, "riskline_requests_total", l1, 3), 1);
    rl_metric_observe(rl_metrics_get(self->m, "riskline_request_duration_seconds", l1, 2),
                      (double)duration_ns / 1e9);
}

static void set_svc(rl_probe_t *self, const char *name, double v)
{
    const char *l[] = {"service", self->svc->name};
    rl_metric_set(rl_metrics_get(self->m, name, l, 1), v);
}

/* Sum and maximum of lag, and the sum of pending, per consumer group over the tenant streams. */
static void refresh_lag(rl_probe_t *self, const rl_health_lag_t *lags, size_t n)
{
    for (size_t g = 0; g < self->svc->ngroups; g++) {
        double sum = 0, max = 0, pending = 0;
        for (size_t i = 0; i < n; i++)
            if (lags[i].group == self->svc->groups[g].group) {
                sum += (double)lags[i].lag;
                pending += (double)lags[i].pending;
                if ((double)lags[i].lag > max)
                    max = (double)lags[i].lag;
            }
        const char *l[] = {"service", self->svc->name, "group", self->svc->groups[g].group};
        rl_metric_set(rl_metrics_get(self->m, "riskline_consumer_lag_entries", l, 2), sum);
        rl_metric_set(rl_metrics_get(self->m, "riskline_consumer_lag_max_entries", l, 2), max);
        rl_metric_set(rl_metrics_get(self->m, "riskline_consumer_pending_entries", l, 2), pending);
    }
}

/* Before a scrape: what is read on demand rather than counted as it happens. */
static void on_refresh(void *p)
{
    rl_probe_t *self = p;
    int64_t now = rl_mono_ms();
    if (!self->store_read_ms || now - self->store_read_ms >= STORE_READ_MIN_MS) {
        self->store_read_ms = now;
        rl_arena_reset(self->arena);
        rl_error_t err;
        rl_error_clear(&err);
        rl_health_lag_t *lags = NULL;
        size_t n = 0;
        int up = rl_store_ping(self->ctx->store, &err) == RL_OK;
        if (up && rl_health_lags(self->ctx->store, self->arena, self->svc->groups, self->svc->ngroups, &lags, &n,
                                 &err) == RL_OK)
            refresh_lag(self, lags, n);
        set_svc(self, "riskline_redis_up", up);
        if (self->svc->metrics)
            self->svc->metrics(self->svc->app, self->ctx, self->m);
    }
    uint64_t connects = rl_store_connects(self->ctx->store);
    set_svc(self, "riskline_redis_reconnects_total", connects > 1 ? (double)(connects - 1) : 0);
    set_svc(self, "riskline_uptime_seconds", (double)(rl_mono_ms() - self->started_ms) / 1000.0);
    rl_bus_stats_t st;
    rl_bus_server_stats(self->rpc, &st);
    set_svc(self, "riskline_replies_undelivered_total", (double)st.unroutable);
    set_svc(self, "riskline_handshakes_refused_total", (double)rl_bus_zap_denied(self->ctx->bus));
}

static int declare_all(rl_metrics_t *m)
{
    return rl_metrics_declare(m, "riskline_build_info", "Build of the service (value 1).", RL_METRIC_GAUGE, NULL, 0) ||
           rl_metrics_declare(m, "riskline_requests_total", "Requests handled, by type and outcome code.",
                              RL_METRIC_COUNTER, NULL, 0) ||
           rl_metrics_declare(m, "riskline_request_duration_seconds", "Time to handle a request, by type.",
                              RL_METRIC_HISTOGRAM, latency_buckets,
                              sizeof latency_buckets / sizeof latency_buckets[0]) ||
           rl_metrics_declare(m, "riskline_redis_up", "1 when Redis answered a PING (read at most once a second).",
                              RL_METRIC_GAUGE, NULL, 0) ||
           rl_metrics_declare(m, "riskline_redis_reconnects_total",
                              "Connections to Redis made again after the first.", RL_METRIC_COUNTER, NULL, 0) ||
           rl_metrics_declare(m, "riskline_consumer_lag_entries",
                              "Stream entries not yet delivered to the consumer group, summed over tenants.",
                              RL_METRIC_GAUGE, NULL, 0) ||
           rl_metrics_declare(m, "riskline_consumer_lag_max_entries",
                              "The largest lag of the consumer group on one tenant stream.", RL_METRIC_GAUGE, NULL,
                              0) ||
           rl_metrics_declare(m, "riskline_consumer_pending_entries",
                              "Entries delivered to the group and not acknowledged, summed over tenants.",
                              RL_METRIC_GAUGE, NULL, 0) ||
           rl_metrics_declare(m, "riskline_uptime_seconds", "Seconds since the service started.", RL_METRIC_GAUGE,
                              NULL, 0) ||
           rl_metrics_declare(m, "riskline_replies_undelivered_total",
                              "Replies whose client had gone before they were sent.", RL_METRIC_COUNTER, NULL, 0) ||
           rl_metrics_declare(m, "riskline_handshakes_refused_total",
                              "CURVE handshakes refused (key unknown or revoked).", RL_METRIC_COUNTER, NULL, 0);
}

rl_probe_t *rl_probe_new(const rl_service_t *svc, const rl_service_ctx_t *ctx, rl_bus_server_t *rpc,
                         rl_error_t *err)
{
    rl_probe_t *self = calloc(1, sizeof *self);
    if (!self) {
        rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
        return NULL;
    }
    self->svc = svc;
    self->ctx = ctx;
    self->rpc = rpc;
    self->started_ms = rl_mono_ms();
    self->m = rl_metrics_new();
    self->arena = rl_arena_new(0);
    if (!self->m || !self->arena || declare_all(self->m) != 0) {
        rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
        rl_probe_destroy(&self);
        return NULL;
    }
    const char *info[] = {"service", svc->name, "version", RL_VERSION};
    rl_metric_set(rl_metrics_get(self->m, "riskline_build_info", info, 2), 1);
    int port = metrics_port(ctx->cfg, svc->name);
    if (port > 0) {
        rl_metrics_http_hooks_t hooks = {on_refresh, on_ready, self};
        self->http = rl_metrics_http_new(ctx->cfg->metrics_host, port, self->m, &hooks, err);
        if (!self->http) {
            rl_probe_destroy(&self);
            return NULL;
        }
        rl_bus_server_watch_fd(rpc, rl_metrics_http_fd(self->http));
        char addr[96];
        snprintf(addr, sizeof addr, "http://%s:%d/metrics", ctx->cfg->metrics_host, port);
        rl_log_info(ctx->log, "metrics", "address", addr);
    }
    rl_bus_server_set_health(rpc, on_health, self);
    rl_bus_server_observe(rpc, observe, self);
    return self;
}

void rl_probe_destroy(rl_probe_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rl_probe_t *self = *self_p;
    if (self->rpc) {
        rl_bus_server_watch_fd(self->rpc, -1);
        rl_bus_server_set_health(self->rpc, NULL, NULL);
        rl_bus_server_observe(self->rpc, NULL, NULL);
    }
    rl_metrics_http_destroy(&self->http);
    rl_metrics_destroy(&self->m);
    rl_arena_destroy(&self->arena);
    free(self);
    *self_p = NULL;
}

int rl_probe_timeout_ms(const rl_probe_t *self) { return self->http ? rl_metrics_http_timeout_ms(self->http) : -1; }

void rl_probe_run(rl_probe_t *self)
{
    if (self->http)
        rl_metrics_http_run(self->http);
}

/* --- the probe: riskline-<service> --check --- */

int rl_probe_connect_endpoint(const char *bind, char *buf, size_t size)
{
    const char *sep = strstr(bind, "://");
    const char *host = sep ? sep + 3 : bind;
    const char *colon = strrchr(host, ':');
    size_t hlen = colon ? (size_t)(colon - host) : strlen(host);
    int wildcard = (hlen == 1 && host[0] == '*') || (hlen == 7 && !strncmp(host, "0.0.0.0", 7));
    int n = wildcard ? snprintf(buf, size, "%.*s127.0.0.1%s", (int)(host - bind), bind, colon ? colon : "")
                     : snprintf(buf, size, "%s", bind);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int rl_probe_check(const rl_service_t *svc, const char *mode)
{
    int live_only = !strcmp(mode, "live");
    if (!live_only && strcmp(mode, "ready")) {
        printf("riskline-%s: --check=%.40s: the mode is live or ready\n", svc->name, mode);
        return 1;
    }
    rl_config_t cfg;
    rl_error_t err;
    rl_error_clear(&err);
    if (rl_config_load(&cfg, &err) != RL_OK) {
        printf("riskline-%s: not %s: configuration: %s: %s\n", svc->name, mode, err.field, err.message);
        return 1;
    }
    memset(cfg.redis_password, 0, sizeof cfg.redis_password);  /* the probe never talks to Redis */
    memset(cfg.redis_sentinel_password, 0, sizeof cfg.redis_sentinel_password);
    char ep[300];
    rl_bus_client_keys_t keys;
    int plaintext = 0;
    if (rl_probe_connect_endpoint(svc->endpoint(&cfg), ep, sizeof ep) != 0 ||
        rl_secure_self_client_keys(&cfg, svc->name, &keys, &plaintext, &err) != RL_OK) {
        printf("riskline-%s: not %s: %s: %s\n", svc->name, mode, err.field[0] ? err.field : "endpoint",
               err.message[0] ? err.message : "too long");
        return 1;
    }
    rl_bus_t *bus = rl_bus_new(NULL);
    rl_bus_client_t *client = bus ? rl_bus_client_new(bus, ep, cfg.timeout_ms, 0, plaintext ? NULL : &keys) : NULL;
    rl_arena_t *arena = rl_arena_new(0);
    memset(&keys, 0, sizeof keys);
    int status = 1;
    if (!client || !arena) {
        printf("riskline-%s: not %s: cannot make a client for %s\n", svc->name, mode, ep);
        goto done;
    }
    rl_envelope_t *req = rl_codec_envelope_new(arena), *reply = NULL;
    Riskline__V1__HealthGet get = RISKLINE__V1__HEALTH_GET__INIT;
    if (!req)
        goto done;
    req->tenant = cfg.tenant;
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_HEALTH_GET;
    req->health_get = &get;
    if (rl_bus_client_call(client, req, arena, &reply, &err) != RL_OK || reply->body_case !=
                                                                           RISKLINE__V1__ENVELOPE__BODY_HEALTH) {
        printf("riskline-%s: not live: %s\n", svc->name, err.message[0] ? err.message : "no Health in the reply");
        goto done;
    }
    const Riskline__V1__Health *h = reply->health;
    if (h->ready) {
        printf("riskline-%s: ready: redis ok, %u consumer stream(s) within %llu entries\n", svc->name,
               h->consumers_total, (unsigned long long)h->max_lag);
        status = 0;
    } else {
        printf("riskline-%s: %s: %s%s\n", svc->name, live_only ? "live, not ready" : "not ready",
               h->n_reasons ? h->reasons[0] : "no reason given", h->n_reasons > 1 ? " (and more)" : "");
        status = live_only ? 0 : 1;
    }
done:
    rl_arena_destroy(&arena);
    rl_bus_client_destroy(&client);
    rl_bus_destroy(&bus);
    return status;
}
