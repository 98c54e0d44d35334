/* rl_metrics.h: a registry of counters, gauges and histograms, its Prometheus text rendering
 * (format 0.0.4) and the HTTP server that exposes it (libmicrohttpd, served from the caller's loop). */
#ifndef RL_METRICS_H
#define RL_METRICS_H

#include <stddef.h>

#include "rl_err.h"

typedef enum { RL_METRIC_COUNTER, RL_METRIC_GAUGE, RL_METRIC_HISTOGRAM } rl_metric_type_t;

/* Bounds: a registry holds at most this many families and series (label combinations); a series
 * has at most RL_METRICS_MAX_LABELS label pairs and a histogram RL_METRICS_MAX_BUCKETS bounds.
 * Past them rl_metrics_get returns NULL and the update is lost (counted in rl_metrics_dropped). */
#define RL_METRICS_MAX_FAMILIES 48
#define RL_METRICS_MAX_SERIES 1024
#define RL_METRICS_MAX_LABELS 4
#define RL_METRICS_MAX_BUCKETS 16

/* Single-threaded: every call from one thread (the service loop). */
typedef struct rl_metrics rl_metrics_t;
typedef struct rl_metric rl_metric_t;

rl_metrics_t *rl_metrics_new(void);
void rl_metrics_destroy(rl_metrics_t **self_p);

/* Declares a family: name [a-zA-Z_:][a-zA-Z0-9_:]*, help one line (escaped when rendered). A
 * histogram takes its bucket upper bounds, ascending (+Inf is implied). Declaring the same name
 * again with the same type is a no-op (0). -1: bad name or buckets, another type, or full. */
int rl_metrics_declare(rl_metrics_t *self, const char *name, const char *help, rl_metric_type_t type,
                       const double *buckets, size_t nbuckets);

/* The series of family `name` with the label pairs labels[0..2*npairs) (name, value, name, value;
 * values are any bytes, escaped when rendered; names [a-zA-Z_][a-zA-Z0-9_]*), made on first use
 * with value 0. Series render in the order they were made. NULL: unknown family, bad label name,
 * or the registry is full. */
rl_metric_t *rl_metrics_get(rl_metrics_t *self, const char *name, const char *const *labels, size_t npairs);

/* add: a counter grows by v (>= 0). set: a gauge takes v; a counter too, to mirror a count that
 * only grows kept elsewhere (e.g. the bus's). observe: one observation of a histogram. A call on
 * the wrong type is ignored. All are NULL-safe (a series the registry could not make). */
void rl_metric_add(rl_metric_t *m, double v);
void rl_metric_set(rl_metric_t *m, double v);
void rl_metric_observe(rl_metric_t *m, double v);

/* Updates lost because a series could not be made. */
size_t rl_metrics_dropped(const rl_metrics_t *self);

/* The registry in the Prometheus text format 0.0.4: malloc'd, NUL-terminated, length in *len;
 * NULL when out of memory. Pure: no I/O. */
char *rl_metrics_render(const rl_metrics_t *self, size_t *len);

/* --- HTTP: GET /metrics and GET /healthz, nothing else --- */
/*
 *   GET|HEAD /metrics  200 text/plain; version=0.0.4   (refresh hook, then the registry)
 *   GET|HEAD /healthz  200 "ready\n" | 503 "not ready: <reason>\n"
 *   other paths        404        other methods on those paths  405 (Allow: GET, HEAD)
 *
 * At most RL_METRICS_HTTP_MAX_CONN connections, idle ones closed after RL_METRICS_HTTP_TIMEOUT_S,
 * request headers bounded by RL_METRICS_HTTP_MEMORY bytes. No thread: the server runs when the
 * caller calls rl_metrics_http_run (from its loop, when rl_metrics_http_fd is readable or at its
 * timeout), so the hooks and the registry are only ever touched from that one thread: no locks.
 */
#define RL_METRICS_HTTP_MAX_CONN 16
#define RL_METRICS_HTTP_TIMEOUT_S 5
#define RL_METRICS_HTTP_MEMORY 16384

typedef struct {
    /* Before a scrape: sets the gauges that are read on demand (lag, Redis up). May be NULL. */
    void (*refresh)(void *ctx);
    /* /healthz: 1 ready, 0 not (then `reason` says why, one line). NULL: /healthz answers 404. */
    int (*ready)(void *ctx, char *reason, size_t size);
    void *ctx;
} rl_metrics_http_hooks_t;

typedef struct rl_metrics_http rl_metrics_http_t;

/* Listens on host (an IPv4 address) : port. NULL with err set (bad address, port in use). */
rl_metrics_http_t *rl_metrics_http_new(const char *host, int port, rl_metrics_t *registry,
                                       const rl_metrics_http_hooks_t *hooks, rl_error_t *err);
void rl_metrics_http_destroy(rl_metrics_http_t **self_p);
/* The fd that becomes readable when the server has work (an epoll fd). */
int rl_metrics_http_fd(const rl_metrics_http_t *self);
/* Longest wait before rl_metrics_http_run must run again (connection timeouts, pending writes),
 * ms; -1 when only the fd matters. */
int rl_metrics_http_timeout_ms(const rl_metrics_http_t *self);
/* Serves what is waiting, without blocking. */
void rl_metrics_http_run(rl_metrics_http_t *self);

#endif
